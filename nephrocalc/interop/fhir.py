"""FHIR R4 in: a Bundle (or a single resource of a type read below, or a list of resources) read into a
validated ``Case``. Any other top-level ``resourceType``, or none, is refused (exit 2, naming the field).

- the Patient's ``gender`` and ``birthDate`` give the sex and the age, at the date of the latest
  dated Observation or Condition (a ``Period`` is dated by its end, else its start) or, failing that, the
  Bundle's ``timestamp`` (a date in the future, of a resource or the Bundle, is not used, and a note says so);
  without a birthDate, an
  Observation of the age (LOINC 30525-0, 21612-7, 29553-5) or the ``onsetAge`` of the nephrocalcinosis
  Condition; a birthDate with no date to take the age at is reported, not used; the nephrocalcinosis
  Condition's ``onsetAge`` (or ``onsetDateTime`` with the birthDate), when earlier, becomes
  ``onset_age_years``, the age at which the causes are weighed; dates are compared as dates (one that cannot
  be read is named in a note and skipped), and an age outside 0-130 years (a birthDate in the future or
  two centuries ago, an onsetAge of 500 years) is not used: a note names the field;
- Observations coded with LOINC (system http://loinc.org) with a ``valueQuantity`` become labs (UCUM
  units), as do the LOINC-coded ``component`` values of a panel Observation; a value must be a JSON number
  (a FHIR decimal): ``true`` or a string ("11.9") is not read, and a note names the field;
- Observations or Conditions coded with HPO (system http://purl.obolibrary.org/obo/hp.owl or another HPO
  system, or a code written HP:nnnnnnn with no system; not under an unrelated system) become clues, or
  the pattern, through the same HPO mapping as phenopackets; those coded in SNOMED CT
  (http://snomed.info/sct) through the concepts each clue lists (clues.toml ``snomed``; exact codes: no
  SNOMED hierarchy is bundled); a Condition whose ``verificationStatus`` is
  refuted, or an Observation whose ``interpretation`` or value says absent, gives the clue as absent; one
  only suspected (unconfirmed, provisional, differential) is listed in a note, not used, as is one whose
  verificationStatus is not a FHIR code (condition-ver-status, or a code with no system), is coded only in another
  system, or has codings that contradict each other (confirmed and refuted), and an Observation whose value and
  interpretation contradict each other; a term stated absent above a finding stated present is not read (it
  contradicts it), with a note; a clue stated both present and absent is present, with a note;
- a DiagnosticReport's ``conclusionCode`` (HPO or SNOMED CT) gives findings or the pattern, as a Condition
  would; a Procedure's code gives its clue too (dialysis, a kidney transplant); one "not-done" says only that
  it was not performed then, not that the patient has no such history: not used, and a note lists it;
  an ImagingStudy's DICOM modality (US, CT, MR; CR, DX, RG as radiograph) gives the modality when
  the studies agree on one (several: none is set, and a warning says so); a CT or radiograph study whose
  description or procedure says urography is CT urography or IVU; a study of another body part (a series
  bodySite, or the words of a study with none coded: a knee radiograph, an echocardiogram) is not used, and a
  note says so;
- MedicationStatement, MedicationRequest, MedicationAdministration and MedicationDispense resources
  give exposure clues from the medication's name (its text or coding display, or the Medication it
  references): every agent of the vocabulary (clues.toml ``agents``) found in it; a statement
  "not-taken" gives the exposure as absent; one "intended" (a plan), an order drafted, cancelled or declined,
  and a dose not given are not read; a drug stopped or completed is a past exposure, with a note;
- resources entered in error or cancelled are not used, and a note lists them (with the Observations that such a
  DiagnosticReport names as its results, unless a report in force names them too); so are entries without a
  resource or a resourceType, and resources of a type not read (Encounter, ...); a Bundle without entries
  is read as an empty case, with a note.

The resources are read as plain JSON through pydantic models of the parts used (``fhir.resources``
would validate every field of every resource, which this needs not). Codes that map to nothing are
listed in a warning, never dropped silently.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from nephrocalc.case import Case, Lab
from nephrocalc.errors import InputError
from nephrocalc.interop.checks import flags_to_read, hpo_curie, measured_over_denied
from nephrocalc.interop.fhir_elements import REPEATING, REPEATING_INSIDE, unknown_elements
from nephrocalc.interop.phenopacket import (
    BROAD_EXCLUSION,
    MAX_AGE,
    NEPHROCALCINOSIS,
    VITAMIN_D_UPPER_INTAKE_IU,
    both_sides,
    calcium_dose_note,
    checked_labs,
    clues_of_agent,
    clues_of_term,
    denied_agents_note,
    every_way_excluded,
    findings_below,
    in_future,
    is_native_vitamin_d,
    judged_at_own_age,
    lab_unit,
    native_vitamin_d_note,
    native_vitamin_d_read_note,
    onset_of_nephrocalcinosis,
    paired_with_pth,
    parse_date,
    pattern_of,
    shown_value,
    unit_taken,
    units_disagree,
    unread_date,
    vitamin_d_dose_in_text,
    vitamin_d_dose_iu,
    vitamin_d_dose_said,
    years_between,
    years_shown,
)
from nephrocalc.interop.wording import (
    agent_denied,
    agent_stopped,
    finding_cue,
    first_cue,
    flag_level,
    folded_name,
    local_route,
    nephrocalcinosis_denied,
    nephrocalcinosis_named,
    other_specimen,
    shortlist,
    voids,
)
from nephrocalc.knowledge import KnowledgeBase, icd10cm_meaning, normalise_unit
from nephrocalc.result import Note
from nephrocalc.vocab import Laterality, Modality, Sex

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
MEDICATIONS = ("MedicationStatement", "MedicationRequest", "MedicationAdministration", "MedicationDispense")
# when each says the drug was taken, ordered or handed over (R4; STU3 has the same fields)
MEDICATION_DATES = {"MedicationStatement": ("effectiveDateTime", "effectivePeriod", "dateAsserted"),
                    "MedicationRequest": ("authoredOn",),
                    "MedicationAdministration": ("effectiveDateTime", "effectivePeriod"),
                    "MedicationDispense": ("whenHandedOver", "whenPrepared")}
# statuses of a medication resource that say nothing of a drug taken: an error, an order drafted, cancelled or
# declined, a dose not given, a statement of a plan ("intended") or of a use not known ("unknown")
WITHDRAWN_MEDICATION = frozenset({"entered-in-error", "draft", "cancelled", "not-done", "declined", "intended",
                                  "unknown"})
# the status codes of each medication resource (FHIR R4, with STU3's and R5's own): a status outside them is a
# modifier that cannot be read, so the resource is not used, and said (black-box review 51: "not taken",
# "Not-Taken" and "entered in error" were read as a drug taken; FHIR codes are case-sensitive)
MEDICATION_STATUSES = {
    "MedicationStatement": frozenset({"active", "completed", "entered-in-error", "intended", "stopped", "on-hold",
                                      "unknown", "not-taken", "recorded", "draft"}),
    "MedicationRequest": frozenset({"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped",
                                    "draft", "unknown", "ended"}),
    "MedicationAdministration": frozenset({"in-progress", "not-done", "on-hold", "completed", "entered-in-error",
                                           "stopped", "unknown"}),
    "MedicationDispense": frozenset({"preparation", "in-progress", "cancelled", "on-hold", "completed",
                                     "entered-in-error", "stopped", "declined", "unknown"}),
}
HPO_SYSTEMS = ("http://purl.obolibrary.org/obo/hp.owl", "http://human-phenotype-ontology.org",
               "https://hpo.jax.org", "http://purl.obolibrary.org/obo/hp")
# what every spelling of an HPO system holds (http or https, www or not, a trailing path, HP_ IRIs)
_HPO_SYSTEM_MARKS = ("human-phenotype-ontology.org", "hpo.jax.org", "purl.obolibrary.org/obo/hp")


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# the same code systems named by their HL7 OIDs or over https, as some exports write them
SYSTEM_ALIASES = {"urn:oid:2.16.840.1.113883.6.1": "http://loinc.org", "https://loinc.org": "http://loinc.org",
                  "urn:oid:2.16.840.1.113883.6.90": "http://hl7.org/fhir/sid/icd-10-cm",
                  "https://hl7.org/fhir/sid/icd-10-cm": "http://hl7.org/fhir/sid/icd-10-cm",
                  "urn:oid:2.16.840.1.113883.6.96": "http://snomed.info/sct",
                  "https://snomed.info/sct": "http://snomed.info/sct"}


class Coding(_Part):
    system: str = ""
    code: str = ""
    display: str = ""

    @field_validator("system")
    @classmethod
    def _canonical_system(cls, system: str) -> str:
        return SYSTEM_ALIASES.get(system.strip().rstrip("/").lower(), system)


class CodeableConcept(_Part):
    coding: list[Coding] = []
    text: str = ""


class Quantity(_Part):
    value: float
    unit: str = ""
    code: str = ""
    comparator: str = ""  # "<", "<=", ">=", ">": the value is a bound, read as the value with a note


def _hpo_code(coding: Coding) -> str | None:
    """The HPO term a coding states: a code written HP:nnnnnnn with no system or an HPO one, or a bare
    number in an HPO system. An HP code under another system (a local or unrelated code system) is not
    HPO: it is listed among the codes that map to nothing."""
    code = coding.code.strip()
    system = coding.system.strip().rstrip("/").lower()
    # "HPO" or "hp" as the system: informal, but common in exports, and unambiguous with an HP: code
    hpo_system = system in HPO_SYSTEMS or system in ("hpo", "hp") or any(mark in system for mark in _HPO_SYSTEM_MARKS)
    if code.startswith("HP:"):
        return code if hpo_system or not system else None
    if hpo_system and code.isdigit() and code.isascii():
        return f"HP:{int(code):07d}"
    # HP_0003072, as the HPO system's own IRIs write it (robustness round 66: a bare number was read, this not)
    if hpo_system and (curie := hpo_curie(code)) is not None:  # the helper the phenopacket reader shares
        return curie
    return None


# LOINC codes of an observed age: 30525-0 Age, 21612-7 Age - reported, 29553-5 Age calculated
AGE_LOINC = frozenset({"30525-0", "21612-7", "29553-5"})
_YEARS_PER = {"a": 1.0, "yr": 1.0, "y": 1.0, "year": 1.0, "years": 1.0, "mo": 1 / 12, "month": 1 / 12,
              "months": 1 / 12, "wk": 7 / 365.25, "week": 7 / 365.25, "weeks": 7 / 365.25, "d": 1 / 365.25,
              "day": 1 / 365.25, "days": 1 / 365.25, "h": 1 / 8766, "hour": 1 / 8766, "hours": 1 / 8766,
              "min": 1 / 525960, "s": 1 / 31557600}  # UCUM units of an Age (a neonate's onset in hours)
# the statuses of an Observation (and of the DiagnosticReport that contains it) whose value is not yet final: read,
# and said (FHIR R4 observation-status "preliminary"; diagnostic-report-status "partial", "preliminary")
UNVERIFIED_RESULT = frozenset({"preliminary", "partial", "unknown"})
# FHIR R4 observation-status and diagnostic-report-status codes: a status outside them (a modifier element) cannot
# be known not to withdraw the result, so the result is not used, and said (fuzz review 49: "bogus" was read as final)
RESULT_STATUSES = {"Observation": frozenset({"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                                             "entered-in-error", "unknown"}),
                   "DiagnosticReport": frozenset({"registered", "partial", "preliminary", "final", "amended",
                                                  "corrected", "appended", "cancelled", "entered-in-error",
                                                  "unknown"})}
# the status codes of the other resources read that carry one (FHIR R4 event-status, history-status,
# imagingstudy-status): a status outside them is as unreadable as a result's (robustness round 86: a Procedure or a
# FamilyMemberHistory of status "x" or "" was read, where an Observation's was not used, and said)
STATUS_CODES = {**RESULT_STATUSES,
                "Procedure": frozenset({"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
                                        "entered-in-error", "unknown"}),
                "FamilyMemberHistory": frozenset({"partial", "completed", "entered-in-error", "health-unknown"}),
                "ImagingStudy": frozenset({"registered", "available", "cancelled", "entered-in-error", "unknown"})}
# FHIR R4 bundle-type codes (and R5's subscription-notification)
BUNDLE_TYPES = frozenset({"document", "message", "transaction", "transaction-response", "batch", "batch-response",
                          "history", "searchset", "collection", "subscription-notification"})
# the resource types read; any other (Encounter, Practitioner, a misspelt one) is named in a note
READ_TYPES = frozenset({"Patient", "Observation", "Condition", "Procedure", "DiagnosticReport", "ImagingStudy",
                        "FamilyMemberHistory", "Medication", *MEDICATIONS})
# FHIR R4 condition-ver-status codes; a Condition whose verificationStatus has none of them is not used
VERIFICATION_CODES = frozenset({"confirmed", "unconfirmed", "provisional", "differential", "refuted",
                                "entered-in-error"})
_ACCEPTED = ('accepted: "Bundle" (a FHIR R4 Bundle), or one resource of a type that is read ('
             + ", ".join(sorted(READ_TYPES - {"Medication"})) + ")")


def _age(quantity: object, where: str) -> tuple[float | None, str]:
    """An Age or a Quantity of time (UCUM a, mo, wk, d; or the unit spelt out) in years, or None and why
    (naming ``where``): not a number, not a unit of time, or outside 0-130 years."""
    if not isinstance(quantity, dict):
        return None, f"{where}: must be an Age (a value and a unit of time), not {shown_value(quantity)}"
    value = quantity.get("value")
    unit = str(quantity.get("code") or quantity.get("unit") or "").strip().lower()
    per = _YEARS_PER.get(unit)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"{where}.value: must be a number, not {shown_value(value)}"
    if per is None:
        return None, f"{where}: {value:g} {unit[:20]} is not in a unit of time (a, mo, wk, d, h)"
    if not 0 <= value * per <= MAX_AGE:
        return None, f"{where}: {value:g} {unit} is {years_shown(value * per)}; an age must be 0-130 years"
    return float(value) * per, ""


def _impossible(years: float | None, on: str) -> str:
    """Why an age from a date of birth is not used: the birth is after the date, or over 130 years before."""
    if years is not None and years < 0:
        return f"is after the date the age is taken at ({on}); an age must be 0-130 years"
    return f"gives an age of {years_shown(years or 0.0)} at {on}; an age must be 0-130 years"


def _flattened(data: dict[str, Any], nested: list[dict[str, Any]]) -> dict[str, Any]:
    """A Bundle whose entries include Bundles (a batch-response or transaction-response of searches, a collection of
    Bundles) as one Bundle of all their entries, in order, the nested Bundles in ``nested`` (robustness round 83: a
    batch-response of three searchsets was read as an empty case, ranked with exit status 0). A Bundle whose nested
    Bundles hold no entry, and nothing else, has nothing to read: refused."""
    entries = data.get("entry")
    if not isinstance(entries, list) or not any(isinstance(entry, dict) and isinstance(entry.get("resource"), dict)
                                                and entry["resource"].get("resourceType") == "Bundle"
                                                for entry in entries):
        return data
    flat: list[Any] = []
    for entry in entries:
        inner = entry.get("resource") if isinstance(entry, dict) else None
        if not (isinstance(inner, dict) and inner.get("resourceType") == "Bundle"):
            flat.append(entry)
            continue
        nested.append(inner)
        inner = _flattened(inner, nested)
        if inner.get("entry") is not None and not isinstance(inner.get("entry"), list):
            raise InputError("fhir.entry.resource.entry", 'must be a list of entries, each {"resource": {...}}')
        flat.extend(_items(inner.get("entry")))
    if not flat:
        raise InputError("fhir.entry", f"holds only {len(nested)} Bundle(s) without entries: nothing to read")
    return {**data, "entry": flat}


def _resources(data: dict[str, Any], problems: list[str], undecided: list[str]) -> list[dict[str, Any]]:
    """The resources of the document: a Bundle's entries, the items of a list of resources, or the one
    resource given. An entry that holds no resource with a resourceType is named in ``problems``; versions of one
    resource that nothing orders, all read, in ``undecided``."""
    if data.get("resourceType") == "Bundle":
        entries = data.get("entry")
        if entries is not None and not isinstance(entries, list):
            raise InputError("fhir.entry", 'must be a list of entries, each {"resource": {...}}')
        found: list[dict[str, Any]] = []
        where: list[int] = []  # the entry index of each resource found
        own: set[int] = set()  # the resources that are an entry's (not contained: their ids are local)
        deleted: dict[tuple[str, str], int] = {}  # resource (type, id) -> the entry that deletes it
        for index, entry in enumerate(entries or ()):
            if not isinstance(entry, dict):
                problems.append(f'entry[{index}]: {shown_value(entry)}, not an entry {{"resource": {{...}}}}')
            elif isinstance(entry.get("request"), dict) and entry["request"].get("method") == "DELETE":
                # a transaction's entry that deletes its resource states nothing of the patient (black-box review 52);
                # nor does the resource it deletes, given elsewhere in the Bundle: a history Bundle's deletion of a
                # Condition has no resource, and its earlier version was read as current (robustness round 75)
                target = _deleted_target(entry)
                if target is not None:
                    deleted.setdefault(target, index)
                problems.append(f"entry[{index}]: request.method DELETE"
                                + (f" of {target[0]}/{target[1][:40]}" if target is not None else "")
                                + " (the resource is being deleted)")
            elif "resource" not in entry:
                problems.append(f"entry[{index}]: no resource")
            else:
                first = len(found)
                _typed(entry["resource"], f"entry[{index}].resource", found, problems)
                if len(found) > first:  # the entry's own resource comes first; contained ones after it (robustness
                    own.add(first)  # round 63: a last entry without a resourceType was looked up past the end)
                where.extend([index] * (len(found) - len(where)))
        found, where, own = _without_deleted(found, where, own, deleted, data.get("type"), problems)
        return _newest_versions(found, where, own, data.get("type"), problems, undecided)
    if isinstance(data.get("resources"), list):
        found = []
        for index, item in enumerate(data["resources"]):
            _typed(item, f"resources[{index}]", found, problems)
        return found
    return [data]


def _lists_of_one(node: Any, where: str, inside: str, found: list[str]) -> None:
    """In place, as _one_choice_each: each element FHIR repeats that the document gives as one JSON object, not a list
    (``REPEATING`` of fhir_elements, and a CodeableConcept's ``coding``), becomes a list of that one, named in
    ``found`` as Type.path. The reader reads such elements as lists: one written once as an object was dropped
    without a word (robustness round 89: an Observation's interpretation NEG so written read its finding present, a
    dosageInstruction's topical route a systemic exposure, a focus on the mother the mother's result as the
    patient's). ``where`` is the path so far, ``inside`` the element that holds ``node``."""
    if isinstance(node, list):
        for item in node:
            _lists_of_one(item, where, inside, found)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("resourceType")
    if isinstance(kind, str) and kind:
        if kind not in REPEATING and kind not in ("Bundle", "Specimen"):
            return  # a resource of a type not read: nothing of it is read, as a list or not
        where = kind
        repeating: tuple[str, ...] = REPEATING.get(kind, ())
    else:
        repeating = REPEATING_INSIDE.get(inside, ())
    for key, value in node.items():
        if isinstance(value, dict) and (key in repeating or (key == "coding" and "resourceType" not in value)):
            node[key] = value = [value]
            found.append(f"{where}.{key}")
        if isinstance(value, (dict, list)):
            _lists_of_one(value, f"{where}.{key}", key, found)


# The choice elements ([x]) the reader takes a date, an age or a drug from (value[x] is judged where it is read)
_CHOICE = re.compile(r"(effective|onset|abatement|deceased|performed|occurrence|medication|born)(?=[A-Z])")


def _one_choice_each(resource: dict[str, Any], doubled: list[str]) -> None:
    """Take out of the resource (in place: a Patient is found again by identity) a choice element it gives in two
    forms (effectiveDateTime beside effectivePeriod, deceasedBoolean false beside deceasedDateTime), which FHIR does not
    allow: one of them was read without a word (a living patient's age taken at a death date; a sample dated by one of
    two dates), where a value[x] given twice is left unused (robustness rounds 72 and 84). Each is named in
    ``doubled``."""
    forms: dict[str, list[str]] = {}
    for key, value in resource.items():
        # an empty one ({}, as some exports write beside the form they fill) gives nothing, and is no second form
        if value not in (None, {}, [], "") and (match := _CHOICE.match(key)) is not None:
            forms.setdefault(match.group(1), []).append(key)
    twice = [keys for keys in forms.values() if len(keys) > 1]
    if twice:
        doubled.append(f"{_named(resource)}: " + ", ".join(" and ".join(keys) for keys in twice))
        for key in (key for keys in twice for key in keys):
            del resource[key]


def _deleted_target(entry: dict[str, Any]) -> tuple[str, str] | None:
    """The resource (type, id) a DELETE entry deletes: from its request.url ("Condition/cd", a full URL, a version
    "Condition/cd/_history/2"), else its fullUrl, else its resource; None for a conditional delete by search."""
    resource = entry.get("resource")
    for url in (entry["request"].get("url"), entry.get("fullUrl")):
        if isinstance(url, str) and "?" not in url:
            parts = [part for part in url.split("/_history/")[0].split("/") if part]
            if len(parts) >= 2 and parts[-2][:1].isupper() and parts[-2].isalpha():
                return parts[-2], parts[-1].strip()
    if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str) \
            and isinstance(resource.get("id"), str) and resource["id"].strip():
        return resource["resourceType"], resource["id"].strip()
    return None


def _without_deleted(found: list[dict[str, Any]], where: list[int], own: set[int],
                     deleted: dict[tuple[str, str], int], bundle_type: object, problems: list[str]
                     ) -> tuple[list[dict[str, Any]], list[int], set[int]]:
    """The resources less those a DELETE entry of the Bundle deletes: every version of it, or in a history Bundle
    (newest first) the versions listed after the deletion, which it supersedes (a version listed before it was
    written after the deletion, and stands). A deleted resource's contained resources go with it."""
    if not deleted:
        return found, where, own
    gone: set[int] = set()  # entry indices
    for position in sorted(own):
        resource = found[position]
        rid = resource.get("id")
        if not (isinstance(rid, str) and isinstance(resource.get("resourceType"), str)):
            continue
        by = deleted.get((resource["resourceType"], rid.strip()))
        if by is not None and (bundle_type != "history" or where[position] > by):
            gone.add(where[position])
            problems.append(f"entry[{where[position]}]: {resource['resourceType']}/{rid.strip()[:40]} deleted by "
                            f"entry[{by}] (request.method DELETE)")
    if not gone:
        return found, where, own
    keep = [position for position in range(len(found)) if where[position] not in gone]
    renumber = {old: new for new, old in enumerate(keep)}
    return ([found[p] for p in keep], [where[p] for p in keep], {renumber[p] for p in own if p in renumber})


# an Observation's statuses after a change of its result: such a version supersedes a final or preliminary one
_REVISED = frozenset({"amended", "corrected", "appended"})


def _newest_versions(found: list[dict[str, Any]], where: list[int], own: set[int], bundle_type: object,
                     problems: list[str], undecided: list[str]) -> list[dict[str, Any]]:
    """The resources with one version of each: a resource (resourceType and id) given more than once in different
    versions keeps the newest, by meta.versionId (whole numbers), else meta.lastUpdated, else the order of a history
    Bundle (newest first), else an Observation's status (amended or corrected after final); the others are named in
    ``problems``; a contained resource's id is local to its container and is not compared. Where none decides,
    every copy is kept, as before (robustness round 61: in a history Bundle the superseded calcium of version 1 was
    read over its correction, as the later entry)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for position in sorted(own):
        resource = found[position]
        rid = resource.get("id")
        if isinstance(rid, str) and rid.strip() and isinstance(resource.get("resourceType"), str):
            groups.setdefault((resource["resourceType"], rid.strip()), []).append(position)
    dropped: set[int] = set()
    for (kind, rid), positions in groups.items():
        if len(positions) < 2 or all(found[p] == found[positions[0]] for p in positions[1:]):
            continue  # one copy, or the same copy repeated: nothing to choose
        newest, by = _newest(found, positions, bundle_type)
        if newest is None:  # said, not read as samples without a word (robustness round 66: versionIds "a", "b")
            ids = [_meta_field(found[p], "versionId") for p in positions]
            undecided.append(f"{kind}/{rid[:40]} in entries "
                            f"{', '.join(f'[{where[p]}]' for p in positions)}"
                            + (f" (meta.versionId {', '.join(shown_value(v) for v in ids)})"
                               if any(v is not None for v in ids) else ""))
            continue
        for p in positions:
            if p != newest:
                dropped.add(p)
                problems.append(f"entry[{where[p]}]: {kind}/{rid[:40]} superseded by the version of "
                                f"entry[{where[newest]}] ({by})")
    entries = {where[p] for p in dropped}  # with the resources a superseded version contains
    return [resource for position, resource in enumerate(found) if where[position] not in entries]


def _meta_field(resource: dict[str, Any], key: str) -> object:
    value = resource.get("meta")
    return value.get(key) if isinstance(value, dict) else None


def _newest(found: list[dict[str, Any]], positions: list[int], bundle_type: object) -> tuple[int | None, str]:
    """Which of the versions of one resource is the newest, and by what; None when nothing decides."""
    def meta(p: int, key: str) -> object:
        return _meta_field(found[p], key)

    versions = [meta(p, "versionId") for p in positions]
    if all(isinstance(v, str) and v.strip().isdecimal() and v.strip().isascii() and len(v) < 19 for v in versions):
        numbers = [int(str(v).strip()) for v in versions]
        if len(set(numbers)) == len(numbers):
            return positions[numbers.index(max(numbers))], "meta.versionId"
    updated = [parse_date(u) if isinstance(u := meta(p, "lastUpdated"), str) else None for p in positions]
    if all(u is not None for u in updated):
        instants = [_instant(str(meta(p, "lastUpdated")), u) for p, u in zip(positions, updated, strict=True)
                    if u is not None]
        if len(set(instants)) == len(instants):
            return positions[instants.index(max(instants))], "meta.lastUpdated"
    if bundle_type == "history":
        return positions[0], "a history Bundle lists the newest version first"
    statuses = [found[p].get("status") if found[p].get("resourceType") == "Observation" else None for p in positions]
    revised = [p for p, status in zip(positions, statuses, strict=True) if status in _REVISED]
    if len(revised) == 1 and all(status in _REVISED | {"final", "preliminary", "registered"} for status in statuses):
        return revised[0], f"status {found[revised[0]]['status']}: a revised result supersedes the earlier one"
    return None, ""


def _typed(resource: object, where: str, found: list[dict[str, Any]], problems: list[str]) -> None:
    if not isinstance(resource, dict):
        problems.append(f"{where}: {shown_value(resource)}, not a resource (a JSON object)")
    elif resource.get("resourceType") in (None, ""):
        problems.append(f"{where}: no resourceType" + (f" (id {str(resource['id'])[:40]})" if resource.get("id")
                                                         else ""))
    elif not isinstance(resource["resourceType"], str):
        problems.append(f"{where}.resourceType: {shown_value(resource['resourceType'])} is not a resource type")
    else:
        found.append(resource)
        # lab values contained in a report or a panel (DiagnosticReport.contained, referenced from its result) are
        # the report's own: read as the Bundle's Observations are, dated by the report when they carry no date
        if resource.get("resourceType") in ("DiagnosticReport", "Observation"):
            siblings = {f"#{inner['id']}": inner for inner in _items(resource.get("contained"))
                        if isinstance(inner, dict) and inner.get("resourceType") == "Specimen"
                        and isinstance(inner.get("id"), str)}
            for index, inner in enumerate(_items(resource.get("contained"))):
                if isinstance(inner, dict) and inner.get("resourceType") == "Observation":
                    # the report's date only for a result that gives none of its own: its effectivePeriod beside
                    # the result's effectiveDateTime would be a date given in two forms
                    own_date = any(key.startswith("effective") for key in inner)
                    dated = {key: resource[key] for key in ("effectiveDateTime", "effectivePeriod", "effectiveInstant",
                                                            "effectiveTiming", "subject")
                             if key in resource and key not in inner and (key == "subject" or not own_date)}
                    # the specimen of a result is its report's when it names none (a report of one specimen), and a
                    # Specimen the report contains goes with the result that names it, so that its type is read
                    # (robustness round 83: a urine sample coded as a serum calcium was read as one)
                    given = resource.get("specimen")
                    reports = [given] if isinstance(given, dict) else [r for r in _items(given) if isinstance(r, dict)]
                    if "specimen" not in inner and len(reports) == 1:
                        dated["specimen"] = reports[0]
                    named = (inner.get("specimen") or dated.get("specimen") or {})
                    target = named.get("reference") if isinstance(named, dict) else None
                    if isinstance(target, str) and target in siblings:
                        dated["contained"] = [*_items(inner.get("contained")), siblings[target]]
                    status = resource.get("status")
                    if status in ("entered-in-error", "cancelled", "registered"):
                        # a report withdrawn withdraws the results it contains (fuzz review 44: its calcium was used)
                        dated["status"] = resource["status"]
                    elif status is not None and not (isinstance(status, str)
                                                     and status in RESULT_STATUSES[resource["resourceType"]]):
                        # a report of a status that is not a FHIR code is not used, nor are the results it contains
                        # (robustness round 60: its calcium was used though the report was said not used)
                        dated["status"] = status
                    elif resource.get("status") in UNVERIFIED_RESULT and inner.get("status") not in (
                            "entered-in-error", "cancelled", "registered"):
                        # a report not yet final: its results are not either ("partial" is a report's status only:
                        # an Observation's is "preliminary"; robustness round 60: read as an invalid status, dropped)
                        dated["status"] = "preliminary" if resource["status"] == "partial" else resource["status"]
                    _typed({**inner, **dated}, f"{where}.contained[{index}]", found, problems)


def _withdrawn_results(data: dict[str, Any], resources: list[dict[str, Any]]) -> dict[int, str]:
    """The Observations of the document (by ``id()``) that a DiagnosticReport entered in error or cancelled names
    among its results (by ``Observation/id``, an absolute URL ending so, or the entry's fullUrl) and no other report
    does, each with that report's status: withdrawn with the report, as the results it contains are."""
    withdrawn: dict[str, str] = {}
    kept: set[str] = set()
    for resource in resources:
        if resource.get("resourceType") != "DiagnosticReport":
            continue
        status = resource.get("status")
        for result in _items(resource.get("result")):
            target = result.get("reference") if isinstance(result, dict) else None
            if not isinstance(target, str) or target.startswith("#"):
                continue  # a contained result carries the report's status already (_typed)
            keys = {target, "/".join(target.rstrip("/").split("/")[-2:])}
            if status in ("entered-in-error", "cancelled"):
                withdrawn.update(dict.fromkeys(keys, str(status)))
            else:
                kept.update(keys)
    if not withdrawn:
        return {}
    urls = {id(entry["resource"]): entry["fullUrl"] for entry in _items(data.get("entry"))
            if isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str) and isinstance(entry.get("resource"),
                                                                                               dict)}
    found: dict[int, str] = {}
    for resource in resources:
        if resource.get("resourceType") != "Observation":
            continue
        keys = {key for key in (urls.get(id(resource)), f"Observation/{resource.get('id')}" if resource.get("id")
                                else None) if key}
        keys |= {"/".join(key.rstrip("/").split("/")[-2:]) for key in keys}
        hits = [withdrawn[key] for key in keys if key in withdrawn]
        if hits and not keys & kept:
            found[id(resource)] = hits[0]
    return found


def _before_birth(born: str, when: str) -> bool:
    """Whether a date lies before the birthDate (False when either cannot be read: those are named elsewhere)."""
    years = years_between(born, when)
    return years is not None and years < 0


def _period_problem(period: object, status: object) -> str:
    """What is wrong with a medication's effectivePeriod: it ends before it starts, or it has ended while the status
    says active ("" when neither, or when the dates cannot be read: those are named elsewhere)."""
    if not isinstance(period, dict):
        return ""
    start, end = (parse_date(period[key]) if isinstance(period.get(key), str) else None for key in ("start", "end"))
    if start is not None and end is not None and end < start:
        return f"effectivePeriod ends {end.isoformat()}, before it starts {start.isoformat()}"
    if status == "active" and end is not None and end < datetime.now(UTC).date():
        return f"active, but its effectivePeriod ended {end.isoformat()}"
    return ""


def _dated(resource: dict[str, Any], kind: str, fields: tuple[str, ...], dates: list[tuple[date, str, str]],
           bad_dates: dict[str, None]) -> None:
    """The date of a resource: the first of ``fields`` that is a readable date; one that cannot be read is
    named in ``bad_dates`` and the next is tried."""
    for field in fields:
        value = resource.get(field)
        if value is None:
            continue
        if field.endswith("Timing"):  # a FHIR Timing: dated by its last event; a schedule alone has no date
            events = _timing_events(value)
            if not events:
                bad_dates[f"{kind}.{field}: {shown_value(value)} is not a Timing with an event date"] = None
                continue
            field, value = f"{field}.event", events[-1]
        elif field.endswith("Period"):  # a FHIR Period: the finding is dated by its end, else its start
            if not isinstance(value, dict) or not ({"start", "end"} & set(value)):
                bad_dates[f"{kind}.{field}: {shown_value(value)} is not a Period with a start or an end"] = None
                continue
            field, value = (f"{field}.end", value["end"]) if "end" in value else (f"{field}.start", value["start"])
        parsed = parse_date(value)
        if parsed is None:
            bad_dates[f"{kind}.{field}: {shown_value(value)} {unread_date(value, 'is not an ISO 8601 date')}"] = None
            continue
        if in_future(parsed):  # a typo (2099 for 2019): an age taken at it would be decades too old
            bad_dates[f"{kind}.{field}: {shown_value(value)} is in the future"] = None
            continue
        dates.append((parsed, value, f"{kind}.{field}"))
        return


def _record_date(dates: list[tuple[date, str, str]], stamp: object, notes: list[Note]) -> str | None:
    """The date of the record, at which the age is taken: the latest date of a resource read. A date without its day
    ("2024", "2024-02") stands at the middle of its period, so it does not count where an exact date lies within that
    period (it holds the exact one), nor past the Bundle's own timestamp within it (robustness round 81: "2024" on one
    result moved a 10-day-old's age to 2024-07-02, months after every exact date and the document itself)."""
    if not dates:
        return None
    exact = [day for day, written, _ in dates if len(str(written).strip()) >= 10]
    kept = [item for item in dates if len(str(item[1]).strip()) >= 10
            or not any(_within(str(item[1]), day) for day in exact)]
    latest = max(kept)
    written = str(latest[1])
    stamped = parse_date(stamp) if isinstance(stamp, str) and len(stamp.strip()) >= 10 else None
    if len(written.strip()) < 10 and stamped is not None and _within(written, stamped) and stamped < latest[0]:
        notes.append({"id": "fhir_record_date_at_timestamp", "sources": [],
                      "message": f"The latest date of the record ({written.strip()}, {latest[2]}) gives no day, and "
                      f"its middle falls after the Bundle's timestamp ({str(stamp)[:10]}): the age was taken at the "
                      "timestamp."})
        return str(stamp)
    return written


def _within(partial: str, day: date) -> bool:
    """Whether ``day`` lies in the year or month a date without its day names."""
    text = partial.strip()
    return day.year == int(text[:4]) and (len(text) < 7 or day.month == int(text[5:7]))


def case_from_fhir(data: dict[str, Any], kb: KnowledgeBase) -> tuple[Case, list[Note]]:
    """A ``Case`` from a FHIR R4 Bundle (a JSON object), and the warnings of the mapping."""
    if not isinstance(data, dict):
        raise InputError("fhir", "must be a FHIR R4 resource (JSON object with a resourceType), e.g. a Bundle")
    top = data.get("resourceType")
    if top in (None, "") and data.keys() & {"subject", "phenotypicFeatures", "metaData", "proband"}:
        raise InputError("fhir", "this is a GA4GH phenopacket, not a FHIR resource: read it with --phenopacket "
                         "(batch: -i phenopacket)")
    if top in (None, "") and data.keys() & {"pattern", "clues", "labs"}:
        raise InputError("fhir", "this is a contract case, not a FHIR resource: read it with --case (batch: -i case)")
    if not isinstance(top, str) or not top:
        raise InputError("fhir.resourceType", ("missing" if top in (None, "") else f"{shown_value(top)} is not read")
                         + f"; {_ACCEPTED}")
    if top != "Bundle" and top not in READ_TYPES - {"Medication"} and not isinstance(data.get("resources"), list):
        raise InputError("fhir.resourceType", f"{top[:40]!r} is not read; {_ACCEPTED}")
    lists_of_one: list[str] = []  # elements FHIR repeats given as one object: read as a list of one, and said
    _lists_of_one(data, str(top), "", lists_of_one)
    nested: list[dict[str, Any]] = []  # Bundles that are entries of the Bundle (a batch-response's searchsets)
    if top == "Bundle":
        data = _flattened(data, nested)
    entry_problems: list[str] = []  # entries that hold no resource with a resourceType
    undecided: list[str] = []  # versions of one resource that nothing orders (all read)
    resources = _resources(data, entry_problems, undecided)
    doubled_choices: list[str] = []  # resources that give one choice element ([x]) in two forms
    for resource in resources:
        _one_choice_each(resource, doubled_choices)
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    # with none in the bundle, a Patient contained in a resource whose subject names it ("#p") is the patient: a
    # valid R4 form of a reference that resolves locally (black-box review 50: its sex and age were lost, and the
    # note said the bundle held no Patient)
    contained_patient = None if patients else _contained_patient(resources)
    # of several Patients, the one the clinical resources refer to most (the first on a tie): a searchset or an
    # $everything export does not order them (robustness round 78: the first, referred to by nothing, was taken, and
    # every finding dropped as another patient's)
    chosen, chosen_why = _subject_patient(data, patients, resources, kb)
    patient = chosen if chosen is not None else contained_patient
    # the references that name this patient (a contained one is named only inside its container: none filters),
    # with those of a record merged into it (link replaced-by) and its identifiers
    own = _patient_keys(data, chosen)
    for record in patients:
        if record is not chosen and _merged_into(record, own):
            own |= _patient_keys(data, record)
    identifiers = _identifiers(chosen) if chosen is not None else set()
    others_identifiers = {key for record in patients if record is not chosen and not _merged_into(record, own)
                          for key in _identifiers(record)}
    elsewhere: list[str] = []  # resources about another patient: left out
    unnamed: list[str] = []  # resources whose subject (or patient) is not a Reference: whose they are is unknown
    not_own: list[str] = []  # Observations about a relative (focus) or a family member's history: left out
    denied_codes: list[str] = []  # Conditions and Observations whose text denies or qualifies their code: not read
    free_texts: list[str] = []  # notes and reasons in free text that may deny or stop what a resource states: said
    clues: dict[str, bool] = {}
    conflicts: set[str] = set()  # clues stated both present and absent: present wins
    disagreeing: list[str] = []  # concepts whose codings mean different findings: each read, and said
    mislabelled: list[str] = []  # HPO codings displayed with the label of another term: read by the id, and said
    self_denied: list[str] = []  # report conclusions that state nephrocalcinosis and deny it too: read, and said
    unread_drugs: list[str] = []  # medications that map to no exposure
    native_read: list[str] = []  # plain vitamin D read as the exposure (no dose given, or above the usual one)
    denied_drugs: list[str] = []  # medications named with a word that denies them ("not on furosemide"): not read
    calcium_drugs: list[str] = []  # calcium carbonate: read as the intake, with a note on the dose
    local_drugs: list[str] = []  # medications given by a route that does not reach the circulation: not read
    # exposure clue -> the drugs (their agents) stated taken (True) and not taken (False)
    drug_statements: dict[str, dict[bool, set[frozenset[str]]]] = {}
    sides: set[Laterality] = set()  # the laterality the nephrocalcinosis resources' bodySite gives
    hands: set[str] = set()  # the kidneys they name: left and right together are both
    read_as_urography: list[str] = []  # ImagingStudy texts that made a CT or radiograph a urography
    bounds: list[str] = []  # lab values given as a bound ("<3 pg/mL"), read as the value
    not_bounds: list[str] = []  # lab values whose comparator is not a bound ("ad"): read as the value itself
    from_text: list[str] = []  # lab values read from an Observation's valueString
    by_text: list[str] = []  # findings given as text alone that name a finding word for word: read as its term
    # lab results given as the laboratory's flag alone: (lab, "high" | "low" | "normal", as shown, not yet final)
    flag_readings: list[tuple[str, str, str, bool]] = []
    # a pyuria stated present ("pyuria") and a urine culture with no growth ("culture"): a sterile pyuria together
    sterile_parts: dict[str, list[str]] = {}
    from_integer: list[str] = []  # lab values read from a valueInteger, in the lab's only unit
    lab_parts: list[str] = []  # values of an assay of a part of the lab (25OHD3 alone): read as a lower bound
    unit_conflicts: list[str] = []  # values whose UCUM code and unit text are units of the lab that disagree
    repeated: dict[str, list[str]] = {}  # every value of each lab; of a lab given more than once the newest is used
    lab_dates: dict[str, date | None] = {}  # the effective date of each lab value kept
    lab_origins: dict[str, str] = {}  # lab -> the Observation element its kept value came from
    series: dict[str, list[tuple[date, Lab]]] = {}  # every dated, readable value of each lab (to pair a PTH)
    rejected: list[str] = []  # lab values that are not numbers, each naming its field
    flagged: list[str] = []  # lab values the laboratory flagged abnormal: its flag is not read (said)
    preliminary: list[str] = []  # lab values of a result not yet final (preliminary, partial): read, and said
    labs: dict[str, Lab] = {}
    patterns: set[str] = set()
    seen_nc = False
    unmapped: list[str] = []
    dates: list[tuple[date, str, str]] = []  # the dates of the resources: read, as written, and the field
    bad_dates: dict[str, None] = {}  # dates that cannot be read, each naming its field
    unread_ages: list[str] = []  # ages and dates of birth that cannot be read or are impossible
    stated_age: float | None = None  # an Observation of the age (LOINC 30525-0 and kin)
    onset_age: float | None = None  # the onsetAge of the nephrocalcinosis Condition
    onset_date: str | None = None  # its onsetDateTime
    modalities: set[Modality] = set()  # from ImagingStudy (DICOM modality codes)
    other_imaging: list[str] = []  # ImagingStudy of another body part: the part each names
    unconfirmed: list[str] = []  # Conditions only suspected (unconfirmed, provisional, differential)
    unverified: list[str] = []  # Conditions whose verificationStatus is not a FHIR code
    withdrawn: list[str] = []  # resources entered in error or cancelled
    resolved: list[str] = []  # Conditions no longer active: read as past findings
    stopped_drugs: list[str] = []  # medications stopped or completed: read as past exposures
    ended_drugs: list[str] = []  # medications active with a period ended, or ending before it starts: said
    drug_dates: list[tuple[str, str, str]] = []  # a drug read: its date as written, the field, its name
    finding_onsets: list[str] = []  # a finding Condition's onset that cannot be read, or is impossible: said
    finding_dates: list[tuple[str, str]] = []  # a finding Condition's readable onsetDateTime: checked against birth
    unread_results: list[str] = []  # Observations of a finding whose value cannot be read
    unread_fields: list[str] = []  # fields of a Condition read that the case has no place for (severity, stage)
    other_types: dict[str, int] = {}  # resources of a type that is not read
    nc_refuted = False  # nephrocalcinosis itself stated absent (a refuted Condition, a negative Observation)
    medications = {f"Medication/{r.get('id')}": r for r in resources if r.get("resourceType") == "Medication"}
    # a Medication referenced by its entry's fullUrl (urn:uuid:..., as transaction bundles and EHR exports write)
    medications.update({str(entry["fullUrl"]): entry["resource"] for entry in _items(data.get("entry"))
                        if isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str)
                        and isinstance(entry.get("resource"), dict)
                        and entry["resource"].get("resourceType") == "Medication"})
    # elements that are not FHIR's (a misspelt verificationStatus or birthDate): named, not dropped without a word
    unknown = {id(r): found for r in resources if (found := unknown_elements(r))}
    misspelt = [f"{where}.{key}" + (f" (did you mean {meant}?)" if meant else "")
                for where, found in (("Bundle", unknown_elements(data) if top == "Bundle" else []),
                                     *(("Bundle", unknown_elements(inner)) for inner in nested), *(
                    (str(r.get("resourceType")), unknown.get(id(r), [])) for r in resources))
                for key, meant in found]
    modified: list[str] = []  # resources with a modifierExtension, which changes their meaning: not read
    excluded_ways: dict[str, set[str]] = {}  # clue -> its HPO terms (ways of having it) stated refuted or absent
    # the findings read as present: (HPO term or "", as shown, its clues, whether it is the nephrocalcinosis)
    present_findings: list[tuple[str, str, tuple[str, ...], bool]] = []
    # concepts stated absent, with when: read after the present ones
    refuted_later: list[tuple[str, list[Coding], date | None]] = []
    above_present: list[str] = []  # terms stated absent above a finding stated present: contradictory, not read
    broad: list[str] = []  # terms stated absent broader than every finding they rule out: read, and said
    one_way: list[str] = []  # refuted terms that are one way among several of having a finding: rule nothing out
    odd_status: list[str] = []  # Conditions whose clinicalStatus is not a FHIR code: read as findings, and said
    active_abated: list[str] = []  # Conditions active with an abatement (FHIR con-4): read as findings, and said
    dangling: list[str] = []  # DiagnosticReport results that name no resource of the document
    present_refs = {f"{r.get('resourceType')}/{r.get('id')}" for r in resources if r.get("id")}
    present_refs.update(str(entry["fullUrl"]) for entry in _items(data.get("entry"))
                        if isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str))
    unread_contained: list[str] = []  # resources contained in another than a report or a panel: not read
    withdrawn_results = _withdrawn_results(data, resources)  # Observations only a withdrawn report's results
    oneself: list[str] = []  # FamilyMemberHistory of the patient (relationship ONESELF): not a family history
    not_kin: list[str] = []  # FamilyMemberHistory of a spouse, step, adoptive or foster relative, in-law or friend
    unread_sites: list[str] = []  # body sites of the nephrocalcinosis that give no side
    side_conflicts: list[str] = []  # a nephrocalcinosis whose name and body site give different sides: neither read
    by_name_too: list[str] = []  # a coded nephrocalcinosis whose text or display names its side or pattern: said
    # the Specimens the lab Observations name (bundled or contained): their type is read with the value
    specimens: dict[str, dict[str, Any]] = {f"Specimen/{r['id'].strip()}": r for r in resources
                                            if r.get("resourceType") == "Specimen" and isinstance(r.get("id"), str)}
    specimens.update({str(entry["fullUrl"]): entry["resource"] for entry in _items(data.get("entry"))
                      if isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str)
                      and isinstance(entry.get("resource"), dict)
                      and entry["resource"].get("resourceType") == "Specimen"})
    named_specimens = {id(sample) for r in resources if r.get("resourceType") == "Observation"
                       and (sample := _specimen_of(r, specimens)) is not None}
    for resource in resources:
        kind = resource.get("resourceType")
        if kind == "Specimen" and id(resource) in named_specimens:
            continue  # read with the Observation that names it
        if kind not in READ_TYPES:
            other_types[str(kind)[:40]] = other_types.get(str(kind)[:40], 0) + 1
            continue
        if kind not in ("DiagnosticReport", "Observation"):
            # a medication resource's own contained Medication is read, as its medicationReference "#id" names it
            # (interop review 16: it was said not to be)
            referenced = _medication_parts(resource, {})[1] if kind in MEDICATIONS else None
            named = str(referenced.get("reference", "")) if isinstance(referenced, dict) else ""
            unread_contained.extend(f"{str(inner.get('resourceType'))[:40]} in a {kind}"
                                    for inner in _items(resource.get("contained")) if isinstance(inner, dict)
                                    and not (inner.get("resourceType") == "Medication" and named.startswith("#")
                                             and named[1:] == inner.get("id"))
                                    and inner is not contained_patient)
        else:  # a report's or a panel's contained Observations are read, and the Specimen a result names; another
            # resource is said (robustness round 63: a report nested in a report lost its calcium; round 83: a
            # contained Specimen vanished without a word)
            unread_contained.extend(f"{inner['resourceType'][:40]} in a {kind}"
                                    for inner in _items(resource.get("contained")) if isinstance(inner, dict)
                                    and isinstance(inner.get("resourceType"), str)
                                    and inner["resourceType"] != "Observation" and inner is not contained_patient
                                    and id(inner) not in named_specimens)
        # a misspelt modifier element (verificationstatus) may say the same: the resource is not read either
        urls = [f"{key}, read as no element" for key, meant in unknown.get(id(resource), ())
                if meant in MODIFIER_ELEMENTS]
        if kind != "Patient" and (urls := urls + _modifier_urls(resource)):
            # FHIR: an element with a modifier extension the reader does not know must not be read as if it had
            # none (a Condition marked negated, a drug marked not taken)
            code = resource.get("medicationCodeableConcept") if kind in MEDICATIONS else resource.get("code")
            modified.append(f"{kind} {_shown(_concept(code)) or resource.get('id') or ''}".strip()
                            + f" ({', '.join(dict.fromkeys(urls))})")
            continue
        if own and kind != "Patient" and (unreadable := _subject_unreadable(resource)):
            # a subject that is no Reference ("Patient/2" as a bare string, a number) may name another patient: it
            # was read as naming none, so as this patient's, without a word (robustness round 86)
            unnamed.append(f"{kind} {_shown(_concept(resource.get('code'))) or resource.get('id') or ''}".strip()
                           + f" ({unreadable})")
            continue
        if own and not _about(resource, own, identifiers, others_identifiers):  # another patient's record
            elsewhere.append(f"{kind} {_shown(_concept(resource.get('code'))) or resource.get('id') or ''}".strip()
                             + f" (for {_subject_named(resource)[:60]})")
            continue
        free_text = ""
        if kind != "Patient" and (texts := _qualifying_free_text(resource)):
            # notes, a status reason, a dosage text: free text is not read, but one that may deny or stop what the
            # resource states is said (black-box review 51: a note "ruled out by biopsy" was silently ignored)
            free_text = (f"{kind} {_shown(_concept(resource.get('code'))) or _medication_name(resource, {}) or ''}"
                         .strip()[:60] + f": {'; '.join(repr(t[:80]) for t in texts[:2])}")
            if kind not in MEDICATIONS:  # a medication's, only when it is read (below)
                free_texts.append(free_text)
        if kind in ("Observation", "Condition", "Procedure") and (whose := _of_another(resource, own)):
            # an Observation whose focus is a relative, or that records a family member's history (LOINC 8689-2),
            # is not the patient's own finding (black-box review 51: both gave the patient hearing loss)
            not_own.append(f"{_shown(_concept(resource.get('code'))) or 'an Observation'} ({whose})")
            continue
        if kind in MEDICATIONS:
            name = _medication_name(resource, medications)
            # a record made in error, an order only drafted or cancelled, a dose not given or declined, or an
            # order not to give the drug (doNotPerform) says nothing of what was taken: not read, and said
            # "intended": a statement of a plan, not of a drug taken
            status = resource.get("status")
            if status is not None and not isinstance(status, str):  # a code is a string: unreadable, so unknown
                withdrawn.append(f"{kind} {name or _medication_unnamed(resource)} (status not a code)")
                continue
            # STU3's own fields too: a medication not known to be taken, an administration not given
            # an order only proposed or planned says nothing of a drug taken either (MedicationRequest.intent)
            if status is not None and status not in MEDICATION_STATUSES[kind]:
                withdrawn.append(f"{kind} {name or _medication_unnamed(resource)} (status "
                                 f"{shown_value(status[:40])} is not a FHIR {kind} status)")
                continue
            flag = next((field for field in ("doNotPerform", "notGiven") if field in resource
                         and not isinstance(resource[field], bool)), None)
            if flag is not None:  # a modifier that is not true or false: unreadable, so the drug is not read as taken
                withdrawn.append(f"{kind} {name or _medication_unnamed(resource)} ({flag} "
                                 f"{shown_value(resource[flag])} is not true or false)")
                continue
            intent = resource.get("intent")
            if kind == "MedicationRequest" and intent is not None and (not isinstance(intent, str)
                                                                       or intent not in REQUEST_INTENTS):
                # intent is a modifier too: a code outside the value set is unreadable, so the order is not used, as
                # for a status (black-box review 50: intent "bogus" was read as an active order)
                withdrawn.append(f"{kind} {name or _medication_unnamed(resource)} (intent "
                                 f"{shown_value(intent if not isinstance(intent, str) else intent[:40])} is not a "
                                 "FHIR MedicationRequest intent)")
                continue
            if status in WITHDRAWN_MEDICATION or intent in ("proposal", "plan", "option") \
                    or resource.get("doNotPerform") is True \
                    or resource.get("taken") == "unk" or resource.get("notGiven") is True:
                withdrawn.append(f"{kind} {name or _medication_unnamed(resource)}")
                continue
            meant = clues_of_agent(kb, name) if name else ()
            if meant and (word := agent_denied(name, kb.agent_clues)):
                # "not on furosemide" names the drug and denies it: not read, and said (black-box review 50)
                denied_drugs.append(f"{kind} {name!r} (says {word!r}; named, it is {', '.join(meant)})")
                continue
            if not meant:  # a medication coded, not named (or named in words the vocabulary lacks): its ATC code
                meant = _medication_atc(kb, resource, medications)
            if meant and (local := {clue: how for clue in meant
                                    if (how := _local_route_of(resource, medications, clue))}):
                # a cream, eye drops, a bladder irrigation (and an amphotericin by mouth, which is not absorbed) do not
                # reach the circulation: the exposure, whose harm is systemic, is not read, and said
                local_drugs.append(f"{kind} {(name or _medication_unnamed(resource))[:60]!r} ("
                                   + "; ".join(f"{clue}: {how}" for clue, how in local.items()) + ")")
                meant = tuple(clue for clue in meant if clue not in local)
                if not meant:
                    continue
            native = bool(not meant and name and is_native_vitamin_d(name))
            if native:
                # plain vitamin D is the exposure of vitamin D excess unless its dose is a usual one, given in the
                # dosage or the name ("Cholecalciferol 1000 IU tablet"); without a dose it is read, and said (blind
                # curation 83: six of seven published vitamin D intoxications lost their cause)
                dose = _vitamin_d_dose(resource) or vitamin_d_dose_in_text(name)
                if dose is not None and dose <= VITAMIN_D_UPPER_INTAKE_IU:
                    unread_drugs.append(f"{name} ({dose:g} IU a dose)")
                    continue
                meant = ("vitamin_d_therapy",) if "vitamin_d_therapy" in kb.clues else ()
                if status != "not-taken" and resource.get("taken") != "n":
                    # one not taken states the exposure absent, whatever its dose: no note that it was read as taken
                    # (blind FHIR curation 84: "no vitamin D analogues" was said to be read as vitamin D therapy)
                    dose_given = any(resource.get(field) not in (None, [], {}, "") for field in ("dosage",
                                                                                           "dosageInstruction"))
                    native_read.append(f"{name} ({vitamin_d_dose_said(dose, dose_given)})")
            if not meant:
                unmapped.append(f"{kind} {name or _medication_unnamed(resource)}")
            elif free_text:  # a drug not read at all was not "read as coded" (FHIR realism review 54)
                free_texts.append(free_text)
            # a statement that it is not taken states it absent (R4 status not-taken, STU3 taken = "n")
            taken = status != "not-taken" and resource.get("taken") != "n"
            if meant and (period_problem := _period_problem(resource.get("effectivePeriod"), status)):
                # a drug active whose period has ended, or a period that ends before it starts: read as an exposure
                # (past or present, it counts alike), and said (robustness round 61: read without a word)
                ended_drugs.append(f"{name or ', '.join(meant) + ' (by its ATC code)'} ({period_problem})")
            if meant:  # its date, kept only to say one before the birth (not the date the age is taken at)
                drug_dated: list[tuple[date, str, str]] = []
                _dated(resource, kind, MEDICATION_DATES[kind], drug_dated, {})
                drug_dates.extend((value, field, name or ", ".join(meant)) for _, value, field in drug_dated)
            if taken and meant and status in ("stopped", "completed"):
                stopped_drugs.append(f"{name or ', '.join(meant) + ' (by its ATC code)'} ({status})")
            elif taken and meant and name and (word := agent_stopped(name)):
                # the name says what the status does not: a past exposure, read and said (black-box review 51)
                stopped_drugs.append(f"{name!r} (its name says {word!r})")
            if taken and "calcium_alkali_intake" in meant:
                calcium_drugs.append(name or "calcium-alkali intake (by its ATC code)")
            # the drug itself (its agents; its ATC code when unnamed): one drug not taken beside another of its class
            # taken is no contradiction (robustness round 83: furosemide not-taken beside bumetanide active was
            # "stated both present and absent"); the same drug both ways, or a drug against a Condition, is
            words_of = " " + re.sub(r"[^a-z0-9]+", " ", (name or "").lower()) + " "
            drug = frozenset(agent for agent in kb.agent_clues if f" {agent} " in words_of) or frozenset(meant)
            for clue in meant:
                stated = drug_statements.setdefault(clue, {True: set(), False: set()})
                # set by drugs alone (a Condition's statement has none here), then only the same drug both ways
                if clue in clues and clues[clue] != taken and (not (stated[True] or stated[False])
                                                               or drug in stated[not taken]):
                    conflicts.add(clue)
                stated[taken].add(drug)
                clues[clue] = clues.get(clue, False) or taken
            continue
        if kind in ("Patient", "Medication"):
            continue
        if resource.get("status") is not None and not isinstance(resource.get("status"), str):
            # status is a modifier (it may say entered-in-error): one that is not a code is unreadable, so the
            # resource is not used, as for a medication (black-box review 11: an Observation's status 1 was read)
            withdrawn.append(f"{kind} {_shown(_concept(resource.get('code'))) or 'without a code'} (status not a code)")
            continue
        if kind in STATUS_CODES and isinstance(resource.get("status"), str) \
                and resource["status"] not in STATUS_CODES[kind]:  # case-sensitive: "Cancelled" is no code
            withdrawn.append(f"{kind} {_shown(_concept(resource.get('code'))) or 'without a code'} (status "
                             f"{shown_value(resource['status'][:40])} is not a FHIR {kind} status)")
            continue
        if _withdrawn(resource):
            withdrawn.append(f"{kind} {_shown(_concept(resource.get('code'))) or 'without a code'}")
            continue
        if kind == "Observation" and (report := withdrawn_results.get(id(resource))):
            # a result of a report entered in error or cancelled is withdrawn with it, as a result it contains is
            # (fuzz review 59: one referenced by its fullUrl was used)
            withdrawn.append(f"Observation {_shown(_concept(resource.get('code'))) or 'without a code'} (a result of "
                             f"a DiagnosticReport {report})")
            continue
        if kind == "FamilyMemberHistory":  # a relative's conditions
            relationship = _concept(resource.get("relationship"))
            if any(coding.code == "ONESELF" for coding in relationship.coding):
                # v3 RoleCode ONESELF: the patient, not a relative (fuzz review 44: read as a family history)
                oneself.append(f"FamilyMemberHistory {resource.get('id') or ''}".strip()[:80])
                continue
            if (kin := next((coding.code for coding in relationship.coding if coding.code in NOT_BLOOD_KIN), None)):
                # a spouse's, an adoptive or step-parent's, an in-law's or a friend's stones say nothing of the
                # heritable causes the family-history clues stand for (robustness round 78: read as one, unsaid)
                not_kin.append(f"FamilyMemberHistory {resource.get('id') or ''} ({kin})".replace("  ", " ")[:80])
                continue
            if resource.get("condition") is not None and not isinstance(resource.get("condition"), list):
                unmapped.append("FamilyMemberHistory condition that is not a list of conditions")
            for item in _items(resource.get("condition")):
                concept = _concept(item.get("code") if isinstance(item, dict) else None)
                # a relative's condition whose text denies or hedges it ("No kidney stones", "Kidney stones
                # (suspected)") is no family history: said, as for a Condition (robustness round 72)
                said = first_cue([concept.text, *(c.display for c in concept.coding)], family=True)
                if said and concept.coding:
                    denied_codes.append(f"FamilyMemberHistory {_shown(concept)[:60]} (its text: {said[:80]!r})")
                    continue
                relatives = {FAMILY_CLUES[clue] for coding in concept.coding
                             for clue in (_coded(kb, coding, False) or (None, ()))[1] if clue in FAMILY_CLUES}
                # a relative's nephrocalcinosis: family_history_stones is "kidney stones or nephrocalcinosis"
                relatives.update("family_history_stones" for coding in concept.coding
                                 if (_coded(kb, coding, False) or (None, ()))[0] is not None)
                for clue in sorted(relatives):
                    if clue in kb.clues:
                        if clues.get(clue) is False:
                            conflicts.add(clue)
                        clues[clue] = True
                if not relatives:
                    unmapped.append(f"FamilyMemberHistory condition {_shown(concept) or 'without a readable code'}")
            continue
        if kind == "ImagingStudy":
            part = _other_body_part(resource)
            if part is not None:  # a knee radiograph or an echocardiogram did not show the kidneys
                other_imaging.append(part)
                _dated(resource, kind, ("started",), dates, bad_dates)
                continue
            modalities.update(_study_modalities(resource, read_as_urography))
            unmapped.extend(f"ImagingStudy modality {what}" for what in _study_unread_modalities(resource))
            _dated(resource, kind, ("started",), dates, bad_dates)
            continue
        if kind == "DiagnosticReport":  # a report's coded conclusions are findings
            _dated(resource, kind, ("effectiveDateTime", "effectivePeriod", "issued"), dates, bad_dates)
            inner_ids = {f"#{inner.get('id')}" for inner in _items(resource.get("contained"))
                         if isinstance(inner, dict)}
            for result in _items(resource.get("result")):
                target = result.get("reference") if isinstance(result, dict) else None
                # an absolute reference (https://server/fhir/Observation/1) names the resource by its last two parts
                if isinstance(target, str) and target not in inner_ids and target not in present_refs and \
                        "/".join(target.rstrip("/").split("/")[-2:]) not in present_refs:
                    dangling.append(target[:80])
            text = resource.get("conclusion")
            if text is not None and not isinstance(text, str):  # dropped without a word (robustness round 89)
                unmapped.append(f"DiagnosticReport conclusion that is not text ({shown_value(text)})")
            # STU3 named the coded conclusions codedDiagnosis: read as R4's conclusionCode, as its notDone and taken
            # are read (robustness round 89: a report's coded nephrocalcinosis so written was dropped without a word)
            coded_conclusions = [*_items(resource.get("conclusionCode")), *_items(resource.get("codedDiagnosis"))]
            coded_nc: set[str] = set()  # the nephrocalcinosis patterns the report's coded conclusions give
            for item in coded_conclusions:
                try:
                    conclusion = CodeableConcept.model_validate(item)
                except ValidationError:
                    unmapped.append("DiagnosticReport conclusion that is not a readable CodeableConcept")
                    continue
                readings = _readings(kb, conclusion.coding, False, "DiagnosticReport conclusionCode", disagreeing,
                                     mislabelled, conclusion.text)
                if not readings:
                    unmapped.append(f"DiagnosticReport conclusion {_shown(conclusion)}")
                    continue
                # a coded conclusion whose own text, or a sentence of the conclusion that names it, denies or hedges
                # it ("No nephrocalcinosis", "Nephrocalcinosis ruled out") is not read as present, as for a Condition
                # (robustness round 72: the report stating the absence ranked as if it stated nephrocalcinosis); a
                # sentence about something else denies nothing ("No hydronephrosis. Medullary nephrocalcinosis.")
                # a sentence names the conclusion by its text, a display (with or without its semantic tag, as a
                # terminology server writes "Sarcoidosis (disorder)") or the label of what it means here: a display
                # word for word was needed, and "No nephrocalcinosis." beside a coded medullary nephrocalcinosis, or
                # "No sarcoidosis." beside a code without a display, was read as present (robustness round 78)
                names = [name.lower().strip() for name in (
                    conclusion.text, *(c.display for c in conclusion.coding),
                    *(re.sub(r"\s*\([^()]*\)\s*$", "", c.display) for c in conclusion.coding if c.display),
                    *(kb.clues[clue].label for _, meant in readings for clue in meant if clue in kb.clues),
                    *(("nephrocalcinosis",) if any(named is not None for named, _ in readings) else ()))
                    if name and name.strip()]
                naming = [sentence for sentence in (text.split(".") if isinstance(text, str) else [])
                          if any(name in sentence.lower() for name in names)]
                # a sentence that states it plainly outweighs one that denies a variant of it ("Medullary
                # nephrocalcinosis. No cortical nephrocalcinosis.")
                plain = any(not finding_cue(sentence) for sentence in naming)
                said = first_cue([conclusion.text, *(c.display for c in conclusion.coding),
                                  *(naming if not plain else ())])
                if said:
                    denied_codes.append(f"DiagnosticReport {_shown(conclusion)[:60]} (its text: {said[:80]!r})")
                    continue
                for mapped in readings:
                    seen_nc, patterns = _apply(mapped, False, clues, seen_nc, patterns, conflicts)
                coded_nc.update(named for named, _ in readings if named is not None)
                if resource.get("status") in UNVERIFIED_RESULT:  # an imaging read not yet final, as a lab's is said
                    preliminary.append(f"DiagnosticReport {_shown(conclusion)[:60]} ({resource['status']})")
                present_findings.extend(_present_codings(kb, conclusion.coding,
                                                         f"DiagnosticReport {_shown(conclusion)[:60]}"))
            # the conclusion's sentences that are a name of nephrocalcinosis and nothing else, with its pattern and
            # side; a sentence ends at a full stop, a semicolon or a blank line, a line break alone being the
            # wrapping of a sentence, not its end (robustness round 87: "No evidence of\nmedullary
            # nephrocalcinosis." was read as a medullary nephrocalcinosis)
            all_named = [(" ".join(sentence.split()), nc_name)
                         for sentence in re.split(r"[.;]\s*|\n\s*\n", text)
                         if (nc_name := nephrocalcinosis_named(sentence)) is not None
                         and not finding_cue(sentence)] if isinstance(text, str) else []
            # a conclusion that states nephrocalcinosis and, in another sentence, denies or doubts it, of no other
            # pattern ("No nephrocalcinosis. Medullary nephrocalcinosis."), is read as stated, and said: the plain
            # sentence outweighs a denial of a variant ("No cortical nephrocalcinosis."), not one of the same finding
            # (robustness round 89: read as present without a word)
            stated_nc = coded_nc | {found[0] for _, found in all_named}
            if stated_nc and isinstance(text, str) and any(
                    (denied := nephrocalcinosis_denied(sentence)) is not None
                    and (denied == NEPHROCALCINOSIS or denied in stated_nc)
                    for sentence in re.split(r"[.;]\s*|\n\s*\n", text)):
                self_denied.append(f"DiagnosticReport conclusion {' '.join(text.split())[:100]!r}")
            if coded_nc and all_named:
                # a coded nephrocalcinosis whose conclusion names its side ("Bilateral medullary nephrocalcinosis."
                # beside a code of medullary nephrocalcinosis), or its pattern beside the generic code, gives them,
                # as the conclusion alone does, and as a Condition's text does for its code (robustness round 88: both
                # were dropped once the report had a coded conclusion); a sentence of another pattern than the code
                # gives neither, and sentences of different sides or patterns give none
                named_sentences = [(sentence, nc_name) for sentence, nc_name in all_named
                                   if nc_name[0] == NEPHROCALCINOSIS or nc_name[0] in coded_nc
                                   or coded_nc == {NEPHROCALCINOSIS}]
                # a sentence of another pattern than the code ("Bilateral cortical nephrocalcinosis." beside a code of
                # medullary nephrocalcinosis) is read neither way, and said, as a Condition's text naming another
                # pattern than its code is
                coded_names = " and ".join(sorted(NEPHROCALCINOSIS if named == NEPHROCALCINOSIS
                                                  else f"{named} {NEPHROCALCINOSIS}" for named in coded_nc))
                mislabelled.extend(f"DiagnosticReport conclusion {sentence[:60]!r} beside its code of {coded_names}: "
                                   "read as its code"
                                   for sentence, nc_name in all_named if (sentence, nc_name) not in named_sentences)
                report_patterns = {found[0]: sentence for sentence, found in named_sentences
                                   if found[0] != NEPHROCALCINOSIS}
                if coded_nc == {NEPHROCALCINOSIS} and len(report_patterns) > 1:  # which is meant cannot be known
                    mislabelled.append("DiagnosticReport conclusion names " + " and ".join(
                        f"{sentence[:60]!r}" for sentence in report_patterns.values())
                        + f" beside its code of {NEPHROCALCINOSIS}: read as its code, with no pattern")
                if coded_nc == {NEPHROCALCINOSIS} and len(report_patterns) == 1:
                    pattern_named, sentence = next(iter(report_patterns.items()))
                    nc_mapped = _coded(kb, Coding(system=HPO_SYSTEMS[0], code=NC_TERMS[pattern_named]), False)
                    if nc_mapped is not None:
                        seen_nc, patterns = _apply(nc_mapped, False, clues, seen_nc, patterns, conflicts)
                        by_name_too.append(f"DiagnosticReport conclusion {sentence[:60]!r}: {pattern_named}")
                if len(report_patterns) <= 1 or coded_nc != {NEPHROCALCINOSIS}:
                    report_sides = {found[1]: sentence for sentence, found in named_sentences if found[1]}
                    if len(report_sides) == 1:
                        side_named, sentence = next(iter(report_sides.items()))
                        sides.add("bilateral" if side_named == "bilateral" else "unilateral")
                        if side_named != "bilateral":
                            hands.add(side_named)
                        by_name_too.append(f"DiagnosticReport conclusion {sentence[:60]!r}: {side_named}")
                    elif report_sides:
                        side_conflicts.append("DiagnosticReport conclusion names "
                                              + " and ".join(f"{name[:60]!r}" for name in report_sides.values()))
            # free text is not read: said, not dropped, when no coded conclusion stands for it; a sentence that is
            # a name of nephrocalcinosis ("Bilateral medullary nephrocalcinosis.") gives its pattern and side (blind
            # US-style FHIR curation 86: every report held one, none coded), also when the report codes other
            # findings only ("Right renal calculus. Bilateral medullary nephrocalcinosis." coded as a kidney stone:
            # the nephrocalcinosis was lost without a word)
            if isinstance(text, str) and text.strip() and not coded_nc:
                for sentence, (pattern_named, side_named) in all_named:
                    nc_mapped = _coded(kb, Coding(system=HPO_SYSTEMS[0], code=NC_TERMS[pattern_named]), False)
                    if nc_mapped is not None:
                        seen_nc, patterns = _apply(nc_mapped, False, clues, seen_nc, patterns, conflicts)
                    if side_named:
                        sides.add("bilateral" if side_named == "bilateral" else "unilateral")
                        if side_named != "bilateral":
                            hands.add(side_named)
                    by_text.append(f"DiagnosticReport conclusion {sentence[:60]!r} as "
                                   f"{_meaning(kb, NC_TERMS[pattern_named])}" + (f", {side_named}" if side_named
                                                                               else ""))
                    if resource.get("status") in UNVERIFIED_RESULT:
                        preliminary.append(f"DiagnosticReport {sentence[:60]} ({resource['status']})")
                if not all_named and not coded_conclusions:
                    unmapped.append(f"DiagnosticReport conclusion text {text.strip()[:60]!r} (free text is not read: "
                                    "code it in conclusionCode)")
            continue
        try:
            concept = CodeableConcept.model_validate(resource.get("code") or {})
        except ValidationError:
            unmapped.append(f"{kind} without a readable code")
            continue
        status = _verification_codes(resource)
        if problem := _verification_problem(resource):
            # two codings that say different things (confirmed and refuted), or a code of another system spelt as
            # FHIR's: which is meant cannot be known, so the Condition is not used, and said (fuzz review 59)
            unverified.append(f"{kind} {_shown(concept) or 'without a code'} ({problem})")
            continue
        if not status and resource.get("verificationStatus") not in (None, "", {}):
            # a status in words only ({"text": "refuted"}): not read as confirmed
            unverified.append(f"{kind} {_shown(concept) or 'without a code'} (verificationStatus without a code: "
                              f"{_field_shown(resource['verificationStatus'])})")
            continue
        if status and not status & VERIFICATION_CODES:  # "blah": neither confirmed nor refuted
            unverified.append(f"{kind} {_shown(concept) or 'without a code'} (verificationStatus "
                              + ", ".join(sorted(status)) + ")")
            continue
        if kind == "Condition" and _unconfirmed(resource):  # a working or differential diagnosis: not a finding
            unconfirmed.append(_shown(concept) or "without a readable code")
            continue
        # the dates the patient was seen (an onset says when a disease began, not when it was recorded: a
        # nephrocalcinosis of 1990 in a record of 2024 made a 38-year-old 5)
        # an Observation with no effective[x] is dated by when it was issued, as its lab value is (robustness round 72:
        # labs issued in 2023 were ordered by that date but judged at the age of a Condition recorded in 2010)
        issued = ("issued",) if kind == "Observation" and not any(
            resource.get(field) is not None for field in ("effectiveDateTime", "effectivePeriod", "effectiveInstant",
                                                          "effectiveTiming")) else ()
        _dated(resource, kind, ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "effectiveTiming",
                                "recordedDate",
                                "performedDateTime", "performedPeriod", "abatementDateTime", *issued), dates, bad_dates)
        if kind == "Observation" and any(c.system.rstrip("/") == LOINC and c.code in AGE_LOINC
                                         for c in concept.coding):
            years, problem = _age(resource.get("valueQuantity"), "valueQuantity")
            if years is None:
                unmapped.append(f"Observation age not read ({problem})")
            else:
                stated_age = years
            continue
        if kind == "Observation" and (problem := _unreadable_finding_value(resource, kb)):
            # a finding whose result cannot be read is neither present nor absent: said, not guessed
            unread_results.append(f"{_shown(concept) or 'an Observation'} ({problem})")
            continue
        absent = _is_absent(resource)
        used = False
        coded_labs = {kb.loinc_labs[c.code]: c.code for c in concept.coding
                      if c.system.rstrip("/") == LOINC and c.code in kb.loinc_labs} if kind == "Observation" else {}
        if len(coded_labs) > 1:  # one value, coded as two labs: which it is cannot be told (black-box review 11)
            rejected.append("Observation.code: LOINC codes of different labs ("
                            + ", ".join(f"{lab} {code}" for lab, code in sorted(coded_labs.items()))
                            + "): the value cannot be told to be one of them, so not used")
            continue
        # every coding of the concept is read (a concept matches if any of its codings is known): only the first was,
        # so [medullary, cortical] gave medullary and its reverse cortical, and a second finding was dropped
        differing: list[str] = []
        readings = _readings(kb, concept.coding, absent, f"{kind}.code", differing, mislabelled, concept.text)
        named_as = ""  # a finding named word for word, read as its term: said once it is read
        named_side = ""  # the side a name of nephrocalcinosis gives ("Left nephrocalcinosis")
        side_named_by = ""  # the resource and name that give it, for the messages
        side_by_name = ""  # a coded nephrocalcinosis's side its text or display gives: said once it is read
        written = concept  # as the document writes it, for the messages (concept may gain the term its name gives)
        if not readings and not coded_labs and (by_name := _concept_named(kb, concept)) is not None:
            # a finding given as text alone, or coded only in a system nephrocalc does not read (ICD-10, a local
            # code), whose text or display is word for word the name of a finding it reads (an HPO term's label, a
            # clue's): read as that term, and said (blind FHIR curation 84: "Hypocitraturia" and "Alkaline urine" as
            # Condition text were listed among codes that map to nothing). No other text is read.
            text_name, text_term, named_side = by_name
            named_as = f"{kind} {text_name[:60]!r} as {_meaning(kb, text_term)}" + (
                f", {named_side}" if named_side else "")
            side_named_by = f"{kind} {text_name[:60]!r}"
            concept = CodeableConcept(coding=[*concept.coding, Coding(system=HPO_SYSTEMS[0], code=text_term,
                                                                      display=text_name)], text=concept.text)
            readings = _readings(kb, concept.coding, absent, f"{kind}.code", differing, mislabelled)
        elif readings and not absent and (coded_patterns := {named for named, _ in readings if named is not None}):
            # a coded nephrocalcinosis whose text or display names its side ("Left medullary nephrocalcinosis" beside
            # HP:0012408), or its pattern beside the generic code, gives them, as the name alone does (robustness round
            # 88: both were dropped without a word once the name had a code); a name of another pattern gives none
            # (said, _readings), nor do names of different sides or patterns
            names_of = [(nc_found, name.strip()) for name in [concept.text, *(c.display for c in concept.coding)]
                        if (nc_found := nephrocalcinosis_named(name)) is not None
                        and (nc_found[0] == NEPHROCALCINOSIS or nc_found[0] in coded_patterns
                             or coded_patterns == {NEPHROCALCINOSIS})]
            named_sides_of = {found[1]: name for found, name in names_of if found[1]}
            if len(named_sides_of) == 1:
                named_side, side_name = next(iter(named_sides_of.items()))
                side_named_by = f"{kind} {side_name[:60]!r}"
                side_by_name = f"{kind} {_shown(written)[:60]} named {side_name[:60]!r}: {named_side}"
            elif named_sides_of:
                side_conflicts.append(f"{kind} {_shown(written)[:60]} is named "
                                      + " and ".join(f"{name[:60]!r}" for name in named_sides_of.values()))
            named_patterns_of = {found[0]: name for found, name in names_of if found[0] != NEPHROCALCINOSIS}
            if coded_patterns == {NEPHROCALCINOSIS} and len(named_patterns_of) == 1:
                pattern_name, text_name = next(iter(named_patterns_of.items()))
                by_name_too.append(f"{kind} {_shown(written)[:60]} named {text_name[:60]!r}: {pattern_name}")
                concept = CodeableConcept(coding=[*concept.coding, Coding(system=HPO_SYSTEMS[0],
                                                                          code=NC_TERMS[pattern_name])],
                                          text=concept.text)
                readings = _readings(kb, concept.coding, absent, f"{kind}.code", differing)
        if kind in ("Condition", "Observation") and readings and not absent and not coded_labs:
            # a code whose own text or display denies or qualifies it ("Sarcoidosis ruled out", "No hearing loss",
            # "suspected", "in her mother") is not read as the finding present, and said (black-box review 51)
            # a family history, or consanguinity (a fact of the parents by definition: "Parents are first cousins"
            # was read as a finding of a relative, FHIR realism review 54), names relatives as its subject
            family = any(clue.startswith("family_history") or clue == "consanguinity"
                         for mapped in readings for clue in mapped[1])
            said = first_cue([concept.text, *(c.display for c in concept.coding)], family)
            if said:
                # the document's own codes named, not the term its text was read as (robustness round 86: a text
                # "Hypokalemia ruled out" was said both denied and "read as that finding")
                denied_codes.append(f"{kind} {_shown(written)[:60]} (its text: {said[:80]!r})")
                continue
        if named_as:
            by_text.append(named_as)
        disagreeing.extend(differing)
        for coding in concept.coding:
            if kind == "Observation" and coding.system.rstrip("/") == LOINC and coding.code in kb.loinc_labs:
                quantity = resource.get("valueQuantity")
                lab_id = kb.loinc_labs[coding.code]
                flags = _lab_flags(resource)
                values = [key for key in resource if key.startswith("value") and resource[key] is not None]
                if len(values) > 1:
                    # FHIR allows one value[x]: two (a valueQuantity and a valueString that differ) leave the value
                    # unknown, so neither is used, and said (robustness round 72)
                    rejected.append(f"Observation ({lab_id}, LOINC {coding.code}): gives {' and '.join(values)}; "
                                    "FHIR allows one value[x], so neither is used")
                    used = True
                    break
                specimen = resource.get("specimen")
                other = other_specimen(lab_id, [concept.text, *(c.display for c in concept.coding),
                                                specimen.get("display") if isinstance(specimen, dict) else None,
                                                *_specimen_words(_specimen_of(resource, specimens))])
                if other:
                    # a local code mapped to the wrong LOINC: the laboratory's own text names another specimen (a
                    # 24-hour urine calcium coded as a serum calcium became a hypercalcaemia: robustness round 74)
                    rejected.append(f"Observation ({lab_id}, LOINC {coding.code}): its text or specimen says "
                                    f"{other!r}, another specimen than the code's, so not used")
                    used = True
                    break
                if isinstance(quantity, dict) and resource.get("dataAbsentReason") is not None:
                    # a value with the reason it is missing (FHIR obs-6 allows only one): the laboratory says the
                    # value is not to be used (an error, a haemolysed sample)
                    reason = _shown(_concept(resource["dataAbsentReason"])) or "unreadable"
                    rejected.append(f"Observation.valueQuantity ({lab_id}, LOINC {coding.code}): given with a "
                                    f"dataAbsentReason ({reason}), so not used")
                    used = True
                    break
                if quantity is None and "valueInteger" in resource and len(values) == 1:
                    # a whole number carries no unit: read in the lab's only unit (a dipstick pH, an eGFR), as a
                    # valueString without one is; a lab of several units needs one (robustness round 83)
                    quantity, problem = _integer_quantity(kb, lab_id, resource["valueInteger"])
                    if quantity is None:
                        rejected.append(f"Observation ({lab_id}, LOINC {coding.code}): {problem}")
                        used = True
                        break
                    from_integer.append(f"{lab_id} {shown_value(resource['valueInteger'])} "
                                        f"{quantity.get('unit') or 'pH'}")
                if quantity is None and isinstance(resource.get("valueString"), str) \
                        and (match := _VALUE_TEXT.match(resource["valueString"])):
                    # a value sent as text ("<3", ">60", "4.2 mmol/L"), as many laboratory feeds send a bound; words
                    # ("Negative") keep their reading as a finding
                    quantity, problem = _string_quantity(kb, lab_id, resource, match)
                    if quantity is None:
                        rejected.append(f"Observation.valueString ({lab_id}, LOINC {coding.code}): {problem}")
                        used = True
                        break
                    from_text.append(f"{lab_id} {shown_value(resource['valueString'])}")
                if isinstance(quantity, dict):
                    value = _quantity(quantity, _unitless(kb, lab_id))
                    if isinstance(value, Quantity):
                        kept = labs.get(lab_id)
                        _read_lab(kb, lab_id, value, labs, (bounds, not_bounds), repeated, _effective(resource),
                                  lab_dates, unit_conflicts, lab_parts if coding.code in kb.loinc_at_least else None,
                                  coding.code, series)
                        if labs.get(lab_id) is not kept:
                            lab_origins[lab_id] = f"{_named(resource)}.valueQuantity ({lab_id}, LOINC {coding.code})"
                        if resource.get("status") in UNVERIFIED_RESULT:
                            preliminary.append(f"{lab_id} {shown_value(quantity.get('value'))} "
                                               f"({resource['status']})")
                        if flags:
                            flagged.append(f"{lab_id} {shown_value(quantity.get('value'))} ({', '.join(flags)})")
                        elif _items(resource.get("referenceRange")):  # the laboratory's own range: said too
                            flagged.append(f"{lab_id} {shown_value(quantity.get('value'))} (with the laboratory's "
                                           "referenceRange)")
                    else:
                        rejected.append(f"Observation.valueQuantity.{value[0]} ({lab_id}, LOINC {coding.code}): "
                                        + value[1])
                    used = True
                    break
                if quantity is None and (states := _flag_states(resource)):
                    # a result given as the laboratory's flag alone ("High", interpretation L): read as the findings
                    # the lab's flags document (rules/labs.toml), unless a value of the lab is given (below), and
                    # said (blind FHIR curation 84: a "Low" PTH of six patients was not read)
                    flagged_as = ", ".join(dict.fromkeys(word for _, word in states))
                    directions = {state for state, _ in states}
                    documented = kb.labs[lab_id].flags
                    if resource.get("dataAbsentReason") is not None:
                        # a result whose value is missing for a reason (an error, not performed) is no result to
                        # flag, as a finding's Observation with one is not read (robustness round 87: read as high)
                        rejected.append(f"Observation ({lab_id}, LOINC {coding.code}): flagged {flagged_as} beside "
                                        "a dataAbsentReason ("
                                        f"{_shown(_concept(resource.get('dataAbsentReason')))[:40] or 'given'}), "
                                        "so not used")
                    elif len(directions) > 1:
                        rejected.append(f"Observation ({lab_id}, LOINC {coding.code}): its flags disagree "
                                        f"({flagged_as}), so not used")
                    elif (flag_level := next(iter(directions))) not in documented:
                        why = (kb.labs[lab_id].flags_note if documented else
                               f"{lab_id} is read from its value alone") or "it is read from its value"
                        rejected.append(f"Observation ({lab_id}, LOINC {coding.code}): a result flagged {flag_level} "
                                        f"({flagged_as}) without its value documents nothing: {why}; give the value")
                    else:
                        flag_readings.append((lab_id, flag_level, f"{lab_id} {flag_level} ({flagged_as})",
                                              resource.get("status") in UNVERIFIED_RESULT))
                    used = True
                    break
                if not absent:  # a lab without a quantity: said, with the flag it carries, which is not read
                    text = resource.get("valueString")
                    # a text that is not a value ("-2.9 mmol/L", "10-12 mg/dL", "NaN"): named as such (fuzz review 44)
                    worded = isinstance(text, str) and (re.search(r"\d", text) is not None or text.strip().lower()
                                                         in ("nan", "inf", "infinity", "-inf", "-infinity"))
                    said = (f"its valueString {shown_value(text)} is not a value (a number, with a bound and a unit "
                            "if any: \"<3\", \"4.2 mmol/L\")") if worded else _value_kind(resource)
                    rejected.append(f"Observation ({lab_id}, LOINC {coding.code}): {said}"
                                    + (f"; its flag {', '.join(flags)} is not read: give the value" if flags else ""))
                    used = True
                    break
        for mapped in readings:  # beside a lab its LOINC coding gives, as the order of the codings says nothing
            used = True
            if absent and mapped[0] is None:  # a finding stated absent: read once every present one is known
                continue
            seen_nc, patterns = _apply(mapped, absent, clues, seen_nc, patterns, conflicts)
            nc_refuted = nc_refuted or (mapped[0] is not None and absent)
        if readings and kind == "Observation" and resource.get("status") in UNVERIFIED_RESULT:
            # a finding's result not yet final is said as a lab value's is (robustness round 78)
            preliminary.append(f"Observation {_shown(concept)[:60]} ({resource['status']})")
        if absent and any(mapped[0] is None for mapped in readings):
            refuted_later.append((f"{kind} {_shown(concept)[:60]}", concept.coding, _stated_at(resource)))
        elif readings and not absent:
            present_findings.extend(_present_codings(kb, concept.coding, f"{kind} {_shown(concept)[:60]}"))
        if any(mapped[0] is not None for mapped in readings) and not absent:
            # the nephrocalcinosis: its side from its body site
            site_hands: set[str] = set()
            site_sides = _sides(resource, site_hands, unread_sites)
            named_sides: set[Laterality] = ({"bilateral" if named_side == "bilateral" else "unilateral"}
                                            if named_side else set())
            if named_sides and site_sides and (named_sides != site_sides or (
                    named_side in ("left", "right") and site_hands and site_hands != {named_side})):
                # the name and the body site give different sides ("Left nephrocalcinosis" at the right kidney):
                # which is meant cannot be known, so neither is read, and said (robustness round 87: read as both)
                side_conflicts.append(f"{side_named_by} names the {named_side} side, its body site the "
                                      + (", ".join(sorted(site_hands)) or ", ".join(sorted(site_sides))))
            else:
                sides.update(site_sides | named_sides)
                if side_by_name:
                    by_name_too.append(side_by_name)
                hands.update(site_hands | ({named_side} if named_side in ("left", "right") else set()))
            site = resource.get("bodySite")  # Condition: 0..* (a list); Observation: 0..1 (one concept)
            if site is not None and not isinstance(site, dict) and (
                    not isinstance(site, list) or not all(isinstance(item, dict) for item in site)):
                unmapped.append(f"{kind} bodySite that is not a CodeableConcept or a list of them "
                                "(laterality not read)")
            if kind == "Condition" and onset_age is None:
                if resource.get("onsetAge") is not None:
                    onset_age, problem = _age(resource.get("onsetAge"), "Condition.onsetAge")
                    if onset_age is None:
                        unread_ages.append(problem)
                if resource.get("onsetDateTime") is not None:
                    if parse_date(resource["onsetDateTime"]) is not None:
                        onset_date = resource["onsetDateTime"]
                    else:
                        bad_dates[f"Condition.onsetDateTime: {shown_value(resource['onsetDateTime'])} is not "
                                  "an ISO 8601 date"] = None
        elif kind == "Condition" and readings:
            # a finding's own onset is not used (the case has one onset, the nephrocalcinosis's), but one that cannot
            # be a date or an age is said, as every other date is (robustness round 64: "2024-13-45" and an onsetAge
            # of -5 years were read without a word)
            what = _shown(concept)[:50] or "a Condition"
            if resource.get("onsetAge") is not None:
                onset_years, problem = _age(resource.get("onsetAge"), "onsetAge")
                if onset_years is None:
                    finding_onsets.append(f"{what}: {problem}")
            if (onset := resource.get("onsetDateTime")) is not None:
                parsed_onset = parse_date(onset)
                if parsed_onset is None:
                    finding_onsets.append(f"{what}: onsetDateTime {shown_value(onset)} "
                                          f"{unread_date(onset, 'is not an ISO 8601 date')}")
                elif in_future(parsed_onset):
                    finding_onsets.append(f"{what}: onsetDateTime {shown_value(onset)} is in the future")
                else:
                    finding_dates.append((what, onset))
        panel_components: list[str] = []  # the components of a panel none of which was read
        if kind == "Observation" and resource.get("component"):  # a panel's components, each a LOINC value
            unread: list[str] = []
            for index, component in enumerate(_items(resource.get("component"))):
                read = _component_lab(kb, component) if isinstance(component, dict) else None
                if read is None:
                    code = component.get("code") if isinstance(component, dict) else None
                    # a component coded as a finding (HPO, SNOMED CT) does map to a clue: not read here, and said so,
                    # where the note had said its code maps to nothing (robustness round 64)
                    finding = any(_coded(kb, coding, False) for coding in _concept(code).coding)
                    unread.append(f"Observation component {_shown(_concept(code)) or 'unreadable'}"
                                  + (" (a finding: read only as a Condition or an Observation of its own)"
                                     if finding else ""))
                    continue
                lab_id, code, value = read
                if isinstance(value, Quantity) and component.get("dataAbsentReason") is not None:
                    # read as a top-level value is (robustness round 61: a component's was used without a word)
                    reason = _shown(_concept(component["dataAbsentReason"])) or "unreadable"
                    rejected.append(f"Observation.component[{index}].valueQuantity ({lab_id}, LOINC {code}): given "
                                    f"with a dataAbsentReason ({reason}), so not used")
                elif isinstance(value, Quantity):
                    kept = labs.get(lab_id)
                    _read_lab(kb, lab_id, value, labs, (bounds, not_bounds), repeated, _effective(resource), lab_dates,
                              unit_conflicts, lab_parts if code in kb.loinc_at_least else None, code, series)
                    if labs.get(lab_id) is not kept:
                        lab_origins[lab_id] = (f"{_named(resource)}.component[{index}].valueQuantity ({lab_id}, "
                                                  f"LOINC {code})")
                    if resource.get("status") in UNVERIFIED_RESULT:
                        preliminary.append(f"{lab_id} {shown_value(value.value)} ({resource['status']})")
                    # the component's own flags and range, said as a top-level value's are (robustness round 61)
                    if component_flags := _lab_flags(component):
                        flagged.append(f"{lab_id} {shown_value(value.value)} ({', '.join(component_flags)})")
                    elif _items(component.get("referenceRange")):
                        flagged.append(f"{lab_id} {shown_value(value.value)} (with the laboratory's referenceRange)")
                else:
                    rejected.append(f"Observation.component[{index}].{value[0]} ({lab_id}, LOINC {code}): {value[1]}")
                used = True
                if isinstance(value, Quantity) and "valueInteger" in component and "valueQuantity" not in component:
                    from_integer.append(f"{lab_id} {shown_value(component.get('valueInteger'))}")
                elif isinstance(value, Quantity) and "valueQuantity" not in component:
                    from_text.append(f"{lab_id} {shown_value(component.get('valueString'))}")
            if used:  # the rest of a panel that was read is listed; an unread panel is listed whole below
                unmapped.extend(unread)
            else:  # with its components named (a valueString or an HPO-coded component is not read)
                panel_components = [item.removeprefix("Observation component ") for item in unread]
        if not used and kind == "Observation":  # a finding given as the value: code "imaging finding" = X
            value_concept = _concept(resource.get("valueCodeableConcept"))
            value_readings = _readings(kb, value_concept.coding, absent, "Observation.valueCodeableConcept",
                                       disagreeing, mislabelled, value_concept.text)
            for mapped in value_readings:
                used = True
                if absent and mapped[0] is None:  # read once every present finding is known, as above
                    continue
                seen_nc, patterns = _apply(mapped, absent, clues, seen_nc, patterns, conflicts)
                nc_refuted = nc_refuted or (mapped[0] is not None and absent)
            if absent and any(mapped[0] is None for mapped in value_readings):
                refuted_later.append((f"Observation {_shown(value_concept)[:60]}", value_concept.coding,
                                      _stated_at(resource)))
            elif value_readings and not absent:
                present_findings.extend(_present_codings(kb, value_concept.coding,
                                                         f"Observation {_shown(value_concept)[:60]}"))
        if not used and absent:  # a refuted term that is one way among several of having a finding
            terms = [term for coding in concept.coding if (term := _hpo_code(coding)) is not None]
            # and a SNOMED CT concept read through its HPO cross-references (fuzz review 44: a refuted postpartum
            # haemorrhage was said to map to nothing)
            terms += [term for coding in concept.coding if coding.system.rstrip("/") == SNOMED
                      for term in kb.snomed_hpo.get(coding.code, ())]
            refuted = [(term, clues_of_term(kb, term, present=True)) for term in dict.fromkeys(terms)]
            for term, meant in refuted:
                for clue in meant:
                    excluded_ways.setdefault(clue, set()).add(term)
            # an ICD-10-CM code below a finding's category or block (C34.90 of C00-C96), which _coded does not read
            # refuted: one kind of the finding, so one way among several
            if any(meant for _, meant in refuted) or any(
                    coding.system.rstrip("/") == ICD10CM and icd10cm_meaning(kb.icd10cm_clues, coding.code)
                    for coding in concept.coding):
                used = True
                one_way.append(f"{kind} {_shown(concept)}")
        if used and kind == "Condition" and (odd := _clinical_status(resource) - CLINICAL_STATUSES):
            odd_status.append(f"{_shown(concept) or 'a Condition'} ({', '.join(sorted(odd))[:60]})")
        elif used and kind == "Condition" and (words := _status_in_words(resource)):
            odd_status.append(f"{_shown(concept) or 'a Condition'} (text {words!r} only, read as that code)")
        if used and kind == "Condition" and _clinical_status(resource) & CURRENT_STATUSES and any(
                key.startswith("abatement") and resource[key] not in (False, None, "", {}) for key in resource):
            # FHIR con-4 allows an abatement only with inactive, resolved or remission: active and abated at once is
            # said (robustness round 61: the abatement was dropped without a word); read as a finding either way
            active_abated.append(f"{_shown(concept) or 'a Condition'} ("
                                 + ", ".join(f"{key} {_field_shown(resource[key])}" for key in sorted(resource)
                                             if key.startswith("abatement")) + ")")
        if not used and (part := _sterile_pyuria_part(kb, resource, concept, absent)):
            # a pyuria, or a negative urine culture: together they are a sterile pyuria (its definition), read below
            sterile_parts.setdefault(part, []).append(f"{kind} {_shown(concept)[:60] or 'without a code'}")
            used = True
            if resource.get("status") in UNVERIFIED_RESULT:  # "no growth to date": said, as a lab's is
                preliminary.append(f"{kind} {_shown(concept)[:60]} ({resource['status']})")
        if not used:
            unmapped.append(f"{kind} {_shown(concept) or 'without a code'}"
                            + (f" (its components: {shortlist(panel_components, 5)})" if panel_components else ""))
        elif kind == "Condition" and not absent and _clinical_status(resource) & PAST_STATUSES:
            # a past finding still explains a calcification that persists: read, and said (it wins over a lab)
            resolved.append(f"{_shown(concept) or 'a Condition'} ({', '.join(sorted(_clinical_status(resource)))})")
        if used and kind == "Condition":
            # what the model has no place for (a grade, a severity, the evidence), said rather than dropped
            # an evidence that only points at other resources (its detail) says nothing of its own: those resources
            # are read where they stand (blind FHIR curation 84: every such Condition drew a note)
            given = [f"{field} {_field_shown(resource[field])}" for field in UNREAD_CONDITION_FIELDS
                     if resource.get(field) not in (None, "", [], {})
                     and not (field == "evidence" and _only_references(resource[field]))]
            if given:
                unread_fields.append(f"{_shown(concept) or 'a Condition'}: {', '.join(given)}")
    if set(sterile_parts) == {"pyuria", "culture"} and "sterile_pyuria" not in clues:
        clues["sterile_pyuria"] = True
        notes_sterile = [*sterile_parts["pyuria"], *sterile_parts["culture"]]
    else:  # one without the other, or beside a culture that grew, says nothing nephrocalc reads: listed as unmapped
        notes_sterile = []
        unmapped.extend(item + (" (a urine culture that grew: no sterile pyuria)" if part == "grew" else "")
                        for part, items in sterile_parts.items() for item in items)
    flags_read: list[str] = []  # flags read as findings, each with what it was read as
    unfinished_flags = {shown for _, _, shown, unfinished in flag_readings if unfinished}
    to_read, flags_beside_value, not_used = flags_to_read(
        kb, [(lab_id, level, shown) for lab_id, level, shown, _ in flag_readings], labs, "result")
    rejected.extend(not_used)
    for lab_id, flag_state, flag_shown in to_read:
        meant = kb.labs[lab_id].flags[flag_state]
        present = flag_state != "normal"
        seen_nc, patterns = _apply((None, meant), not present, clues, seen_nc, patterns, conflicts)
        labels = ", ".join(kb.clues[c].label if c in kb.clues else c for c in meant)
        flags_read.append(f"{flag_shown} as {labels} {'present' if present else 'absent'}")
        if flag_shown in unfinished_flags:
            preliminary.append(flag_shown)
    below_of: dict[str, list[str]] = {}  # a refuted term given many times is compared with the findings once
    denials: dict[str, list[tuple[str, date | None]]] = {}  # clue -> the statements of its absence, dated
    for said, codings, stated_at in refuted_later:  # the findings stated absent, every present one known
        for coding in dict.fromkeys(codings):
            coded = _coded(kb, coding, True)
            if coded is None or coded[0] is not None:
                continue
            term = _hpo_code(coding)
            terms = [term] if term else list(kb.snomed_hpo.get(coding.code, ())) if (
                coding.system.rstrip("/") == SNOMED and coding.code not in kb.snomed_clues) else []
            below = list(dict.fromkeys(found for t in terms for found in (
                below_of[t] if t in below_of else below_of.setdefault(t, findings_below(kb, t, present_findings)))))
            if below:
                # a term above a finding stated present (Abnormality of the kidney refuted beside nephrocalcinosis)
                # contradicts it: read, it ruled out every clue below it (fuzz review 59, as in a phenopacket)
                above_present.append(f"{said} ({coding.code.strip()[:20]} is above {shortlist(below, 3)})")
                continue
            if len(coded[1]) > BROAD_EXCLUSION and term and not any(term in (*kb.clues[c].hpo, *kb.clues[c].hpo_exact)
                                                       for c in coded[1]):
                broad.append(f"{said} ({len(coded[1])}: {shortlist(list(coded[1]), 8)})")
            seen_nc, patterns = _apply(coded, True, clues, seen_nc, patterns, conflicts)
            for clue in coded[1]:
                denials.setdefault(clue, []).append((said, stated_at))
    # every way of having a finding refuted (uveitis and erythema nodosum) is the finding absent, as the phenopacket
    # reader reads them; one of them alone rules nothing out, and is said so
    for clue, ways in every_way_excluded(kb, excluded_ways, clues):
        clues[clue] = False
        one_way = [item for item in one_way if not any(term in item for term in ways)]
    sexes: dict[str, Sex] = {"female": "female", "male": "male"}
    sex = sexes.get(str(patient.get("gender", ""))) if patient else None
    notes: list[Note] = []
    if top == "Bundle" and (not isinstance(data.get("type"), str) or data["type"] not in BUNDLE_TYPES):
        # FHIR requires Bundle.type (1..1, a code): a missing or unknown one is said, and the entries read as a
        # collection's (robustness round 61: "bogus" and 3 were accepted without a word)
        notes.append({"id": "fhir_bundle_type", "sources": [],
                      "message": ("Bundle.type is missing" if data.get("type") in (None, "") else
                                  f"Bundle.type {shown_value(data.get('type'))[:40]} is not a FHIR Bundle type")
                      + " (document, message, transaction, transaction-response, batch, batch-response, history, "
                      "searchset, collection): the entries were read as a collection's."})
    birth = patient.get("birthDate") if patient else None
    born: str | None = None  # the birthDate, when it is a readable date
    if patient is not None and "birthDate" in patient and birth is None:
        # JSON null, which FHIR does not allow: said as a number or a list there is (robustness round 72)
        unread_ages.append("Patient.birthDate: null is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    if birth is not None and parse_date(birth) is None:
        unread_ages.append(f"Patient.birthDate: {shown_value(birth)} "
                           f"{unread_date(birth, 'is not a date (YYYY, YYYY-MM or YYYY-MM-DD)')}")
    elif isinstance(birth, str):
        born = birth
        if "T" in birth:  # FHIR's date type has no time (robustness round 66: read without a word)
            notes.append({"id": "fhir_birth_date_time", "sources": [],
                          "message": f"Patient.birthDate is {shown_value(birth)}, with a time, which a FHIR date does "
                          f"not have: its day ({birth[:10]}) was used, as written (the time zone was not applied)."})
    # (only when something else is dated after the birth: a birthDate after every date is the one at fault)
    later = [when for when in (*(when for _, when, _ in dates), data.get("timestamp")) if isinstance(when, str)
             and born is not None and (years := years_between(born, when)) is not None and years >= 0
             and not in_future(parse_date(when) or date.min)]
    if born is not None and later and (unborn := [(day, when, field) for day, when, field in dates
                                                  if _before_birth(born, when)]):
        # a date before the birth cannot be when this patient was seen: not the date the age is taken at (robustness
        # round 61: one such date made the age unknown, the valid Bundle.timestamp unused), and said
        dates = [item for item in dates if item not in unborn]
        notes.append({"id": "fhir_dated_before_birth", "sources": [],
                      "message": f"Resources dated before Patient.birthDate ({born[:10]}) did not give the date the "
                      "age is taken at; a finding among them was read as the patient's (a prenatal one, as "
                      "polyhydramnios, may be), a lab value was not: check the dates: "
                      + "; ".join(f"{field} {when[:10]}" for _, when, field in sorted(unborn)[:10])})
    if born is not None and (unborn_drugs := [f"{drug} ({field} {when[:10]})" for when, field, drug in drug_dates
                                              if _before_birth(born, when)]):
        # a drug dated before the birth was not taken by this patient (a mother's, or a date in error): read as
        # stated, and said (robustness round 63: a furosemide of 1980 for a patient born in 1990 said nothing)
        notes.append({"id": "fhir_medication_before_birth", "sources": [],
                      "message": f"Medications dated before Patient.birthDate ({born[:10]}) were read as the "
                      "patient's exposure; a drug taken before birth was the mother's, or the date is wrong: check "
                      "them: " + "; ".join(unborn_drugs[:10]) + (" ..." if len(unborn_drugs) > 10 else "")})
    if born is not None:
        finding_onsets.extend(f"{what}: onsetDateTime {when[:10]} is before Patient.birthDate ({born[:10]})"
                              for what, when in finding_dates if _before_birth(born, when))
    if finding_onsets:
        notes.append({"id": "fhir_finding_onset_not_read", "sources": [],
                      "message": "Onsets of findings that cannot be read, or are impossible (the findings were read; "
                      "a finding's onset is not used): " + "; ".join(finding_onsets[:10])
                      + (" ..." if len(finding_onsets) > 10 else "")})
    on = _record_date(dates, data.get("timestamp"), notes)
    died = parse_date(patient.get("deceasedDateTime")) if patient else None
    if patient and patient.get("deceasedDateTime") is not None and died is None:  # said, not ignored (fuzz review 15)
        unread_ages.append(f"Patient.deceasedDateTime: {shown_value(patient['deceasedDateTime'])} "
                           f"{unread_date(patient['deceasedDateTime'], 'is not an ISO 8601 date')} "
                           "(the age was taken as if the patient were alive)")
    if died is not None and on is not None and (latest := parse_date(on)) is not None and latest > died:
        # a record dated after the death is another person's, or a date typed wrongly: no one ages past death
        notes.append({"id": "fhir_dated_after_death", "sources": [],
                      "message": f"Resources are dated after Patient.deceasedDateTime ({died.isoformat()}), the latest "
                      f"on {latest.isoformat()}: check the dates; the age was taken at death."})
        on = str(patient.get("deceasedDateTime")) if patient is not None else on
    if born is not None and on is None and died is not None and patient is not None:
        # no dated resource: the patient was last seen, at the latest, at death (a document dated later would count
        # the age past it)
        on = str(patient.get("deceasedDateTime"))
        notes.append({"id": "fhir_age_at_death", "sources": [],
                      "message": "No dated resource: the age was taken at Patient.deceasedDateTime "
                      f"({died.isoformat()})."})
    meta = data.get("meta")
    document_dates = (("timestamp", data.get("timestamp")),
                      ("meta.lastUpdated", meta.get("lastUpdated") if isinstance(meta, dict) else None))
    for field, when in document_dates:  # said whether or not it was needed (fuzz review 46)
        if when is not None and parse_date(when) is None:
            bad_dates[f"{top}.{field}: {shown_value(when)} {unread_date(when, 'is not an ISO 8601 date')}"] = None
        elif when is not None and in_future(parse_date(when) or date.min):
            # as a resource's date in the future: a typo (2030 for 2020), and an age taken at it too old (fuzz
            # review 47: a timestamp of 2030 made a patient born in 1980 50, without a word)
            bad_dates[f"{top}.{field}: {shown_value(when)} is in the future"] = None
    if born is not None and on is None:  # no dated resource: the document's own date
        on = next((when for _, when in document_dates if when is not None and (day := parse_date(when)) is not None
                   and not in_future(day)), None)
    if patient and "deceasedBoolean" in patient and not isinstance(patient["deceasedBoolean"], bool):
        unread_ages.append(f"Patient.deceasedBoolean: {shown_value(patient['deceasedBoolean'])} is not true or false "
                           "(the age was taken as if the patient were alive)")
    age = None
    age_from_birth = False
    if born is not None and on is not None:
        years = years_between(born, on)
        if years is not None and 0 <= years <= MAX_AGE:
            age, age_from_birth = years, True
            if years == 0:  # born on the day of the record: hours old, not the contract's age 0 (a preterm neonate of
                # unstated age), which weighs the first week differently (robustness round 66)
                age = 0.5 / 365.25
                partial = born.strip()
                recorded = parse_date(on)
                if len(partial) < 10 and recorded is not None:
                    # a year or a month is no day (robustness round 83: "2024" was said to be the day of the record)
                    start = date(int(partial[:4]), int(partial[5:7]) if len(partial) >= 7 else 1, 1)
                    span = "year" if len(partial) < 7 else "month"
                    notes.append({"id": "fhir_born_on_the_day", "sources": [],
                                  "message": f"Patient.birthDate ({partial}) gives only the {span} of birth, the "
                                  f"{span} of the record ({str(on)[:10]}), whose middle falls after the record: the "
                                  "age was taken as half a day (age 0 means a preterm neonate of unstated age); the "
                                  f"child is 0 to {max((recorded - start).days, 0)} days old: give the age if it "
                                  "matters."})
                else:
                    notes.append({"id": "fhir_born_on_the_day", "sources": [],
                                  "message": f"Patient.birthDate ({born[:10]}) is the day of the record "
                                  f"({str(on)[:10]}): the age was taken as half a day (age 0 means a preterm neonate "
                                  "of unstated age)."})
        else:
            unread_ages.append(f"Patient.birthDate ({born[:10]}) {_impossible(years, on[:10])}")
            born = None  # nor is the onset taken from it
    if onset_age is None and onset_date is not None and born is not None:
        years = years_between(born, onset_date)
        if years is not None and 0 <= years <= MAX_AGE:
            onset_age = years
        else:
            unread_ages.append(f"Condition.onsetDateTime ({onset_date[:10]}) " + (
                f"is before Patient.birthDate ({born[:10]})" if years is not None and years < 0
                else f"is {years or 0:.4g} years after Patient.birthDate ({born[:10]})")
                + "; an age at onset must be 0-130 years")
    if age is None:
        age = stated_age if stated_age is not None else onset_age
        if age is not None and stated_age is None and onset_date is not None and on is None:
            # nothing else is dated: the age is taken at the onset, the earliest the record can be (robustness round
            # 72: a problem list of Conditions with only onsetDateTime gave no age, though the message named it)
            notes.append({"id": "fhir_age_at_onset", "sources": [],
                          "message": f"No resource read is dated but by its onset: the age ({age:.3g} years) was "
                          f"taken at the onset of the nephrocalcinosis ({onset_date[:10]}); the patient may be older "
                          "now."})
        elif age is not None and stated_age is None:
            # no age from a birth date (none, or no dated resource) nor an age Observation: the age is the
            # Condition's onsetAge, the age the nephrocalcinosis was found at, which was taken unsaid (robustness
            # round 91), where an onsetDateTime so taken is said
            notes.append({"id": "fhir_age_at_onset", "sources": [],
                          "message": "No age from Patient.birthDate at a dated resource, nor an Observation of the "
                          f"age: the age ({age:.3g} years) was taken at the onset of the nephrocalcinosis "
                          "(Condition.onsetAge); the patient may be older now."})
    elif stated_age is not None and abs(stated_age - age) >= 1.0:  # said, not dropped (fuzz review 44)
        notes.append({"id": "fhir_age_observation_not_used", "sources": [],
                      "message": f"An Observation of the age ({stated_age:g} years) disagrees with Patient.birthDate, "
                      f"which gives {age:.3g} years at {str(on)[:10]}: the birth date was used."})
    if age is not None and age_from_birth and patient is not None and patient.get("deceasedBoolean") is True \
            and died is None:
        notes.append({"id": "fhir_deceased_without_date", "sources": [],
                      "message": f"Patient.deceasedBoolean says the patient has died, with no date: the age "
                      f"({age:.3g} years) was taken at {str(on)[:10]}, the latest date of the record, and "
                      "may exceed the age at death."})
    onset = onset_of_nephrocalcinosis(onset_age, age, notes)
    if born is not None:  # a value dated before the birth is not the patient's (a mother's, in a newborn's record)
        before = sorted((lab_id, _day(when)) for lab_id, when in lab_dates.items()
                        if when is not None and (years := years_between(born, _day(when))) is not None and years < 0)
        for lab_id, _ in before:
            labs.pop(lab_id, None)
            lab_dates.pop(lab_id, None)
        if before:
            notes.append({"id": "fhir_lab_before_birth", "sources": [],
                          "message": f"Labs dated before Patient.birthDate ({born[:10]}) are not the patient's (a "
                          "mother's value in a newborn's record?) and were not used: "
                          + "; ".join(f"{lab_id} ({day})" for lab_id, day in before)})
    # a calcium dated before the birth is no sample of this patient's: not paired
    born_series = {lab_id: [(when, lab) for when, lab in values
                            if born is None or (years := years_between(born, _day(when))) is None or years >= 0]
                   for lab_id, values in series.items()}
    paired = paired_with_pth(labs, lab_dates, born_series, lambda a, b: (a - b).days, date.toordinal,
                             lambda day: f"of {_day(day)}")
    if paired:
        notes.append({"id": "fhir_labs_paired", "sources": [],
                      "message": "A PTH is judged beside the calcium of the same sample (a raised PTH with a "
                      "calcium measured months later says nothing of the calcium it answered), so the value nearest "
                      "the PTH's date was used, not the newest: " + "; ".join(paired)})
    sampled = judged_at_own_age(labs, {lab_id: (years_between(born, _day(when)) if born else None, _day(when))
                                       for lab_id, when in lab_dates.items() if when is not None}, age)
    if sampled:
        notes.append({"id": "fhir_lab_ages", "sources": [],
                      "message": "Labs taken at another age than the case's were judged against the limits of the "
                      "age at sampling: " + "; ".join(sampled[:10]) + (" ..." if len(sampled) > 10 else "")})
    if top == "Bundle" and not data.get("entry"):
        notes.append({"id": "fhir_bundle_empty", "sources": [],
                      "message": "The Bundle has no entry: no resource was read, and the case is empty (no sex, "
                      "age, findings or labs)."})
    if nested:
        nested_types: dict[str, int] = {}
        for inner in nested:
            nested_types[str(inner.get("type"))[:40]] = nested_types.get(str(inner.get("type"))[:40], 0) + 1
        notes.append({"id": "fhir_bundle_nested", "sources": [],
                      "message": f"The Bundle ({str(data.get('type'))[:40]}) holds {len(nested)} Bundle(s) as "
                      "entries (" + ", ".join(f"{kind} x{n}" for kind, n in sorted(nested_types.items()))
                      + "): their entries were read together as one record, as a collection's (the entry numbers "
                      "in these notes count them in that order)."})
    for inner in [data, *nested]:
        if top == "Bundle" and (page := _one_page(inner)):  # the newest value may be on another page
            notes.append({"id": "fhir_bundle_one_page", "sources": [], "message": page})
    if undecided:
        notes.append({"id": "fhir_versions_undecided", "sources": [],
                      "message": "Versions of one resource whose order nothing decides (a meta.versionId that is not "
                      "a whole number, no meta.lastUpdated, not a history Bundle): each was read as a result of its "
                      "own date, the last in the bundle where the dates do not decide; check which is current: "
                      + "; ".join(undecided[:10])})
    if lists_of_one:
        notes.append({"id": "fhir_list_given_as_one", "sources": [],
                      "message": "Elements that FHIR repeats, given as one object rather than a list of them (as "
                      "STU3 wrote an Observation's interpretation), were read as a list of that one: "
                      + shortlist(list(dict.fromkeys(lists_of_one)), 20)})
    if doubled_choices:
        notes.append({"id": "fhir_choice_given_twice", "sources": [],
                      "message": "Resources that give one element in two forms, where FHIR allows one (a [x] element: "
                      "the two may disagree, and which one is right cannot be known), were read without it: "
                      + "; ".join(doubled_choices[:20]) + ("; ..." if len(doubled_choices) > 20 else "")})
    if entry_problems or other_types:
        kinds = "; ".join(f"{kind} ({n})" for kind, n in sorted(other_types.items()))
        notes.append({"id": "fhir_entries_not_read", "sources": [],
                      "message": "Entries that were not read: " + "; ".join(entry_problems[:20])
                      + ("; ..." if len(entry_problems) > 20 else "")
                      + ("; " if entry_problems and kinds else "")
                      + (f"resources of a type nephrocalc does not read: {kinds}" if kinds else "")})
    if unread_fields:
        notes.append({"id": "fhir_condition_fields_not_read", "sources": [],
                      "message": "Condition fields that were not read (the case has no place for them"
                      + ("; the grade of nephrocalcinosis goes in --grade" if any(
                          f" {field} " in f" {item} " for item in unread_fields for field in ("severity", "stage"))
                         else "")
                      + ("; an onset is read only as onsetAge or onsetDateTime" if any(
                          "onset" in item for item in unread_fields) else "")
                      + "): " + "; ".join(unread_fields[:10])
                      + (" ..." if len(unread_fields) > 10 else "")})
    if unread_results:
        notes.append({"id": "fhir_results_not_read", "sources": [],
                      "message": "Observations of a finding whose result could not be read as present or absent were "
                      "not used: " + "; ".join(unread_results[:10]) + (" ..." if len(unread_results) > 10 else "")})
    if ended_drugs:
        notes.append({"id": "fhir_medication_period", "sources": [],
                      "message": "Medications whose status and effectivePeriod disagree, or whose period ends before "
                      "it starts, were read as exposures (past or present, they count alike); check which is meant: "
                      + "; ".join(ended_drugs[:10]) + (" ..." if len(ended_drugs) > 10 else "")})
    if stopped_drugs:
        notes.append({"id": "fhir_medications_stopped", "sources": [],
                      "message": "Medications stopped or completed were read as exposures (nephrocalcinosis persists "
                      "after the drug that caused it): " + "; ".join(stopped_drugs[:10])
                      + (" ..." if len(stopped_drugs) > 10 else "")})
    if resolved:
        notes.append({"id": "fhir_conditions_resolved", "sources": [],
                      "message": "Conditions no longer active (resolved, inactive, in remission or abated) were "
                      "read as findings of the history, which a persisting calcification may still reflect; a stated "
                      "finding wins over a lab value that disagrees: " + "; ".join(resolved[:10])
                      + (" ..." if len(resolved) > 10 else "")})
    if flagged:
        notes.append({"id": "fhir_lab_flags_not_read", "sources": [],
                      "message": "The laboratory's flags and reference limits were not read (a range may give the "
                      "unit of a value sent as text, no more): each value is judged against "
                      "nephrocalc's limits for the age and sex (nephrocalc labs), which may differ from the "
                      "laboratory's own range: " + shortlist(flagged, 3)})
    if preliminary:
        notes.append({"id": "fhir_results_preliminary", "sources": [],
                      "message": "Results not yet final or of unknown status (preliminary, partial or unknown: "
                      "they may be incomplete or unverified) were read; check them against the final report: "
                      + shortlist(preliminary)})
    if withdrawn:
        notes.append({"id": "fhir_resources_withdrawn", "sources": [],
                      "message": f"{len(withdrawn)} resource(s) marked entered-in-error, cancelled, draft, not done, "
                      "intended, unknown, in preparation, only registered, declined, do-not-perform, or only proposed "
                      "or planned, a relative's health unknown, or "
                      "with a status that is not a code (status or verificationStatus) were not used: "
                      + "; ".join(withdrawn[:20])
                      + ("; ..." if len(withdrawn) > 20 else "")})
    if bad_dates:
        notes.append({"id": "fhir_dates_not_read", "sources": [],
                      "message": "Dates that cannot be read, or lie in the future, were not used (the age is taken at "
                      "the latest readable date): " + "; ".join(list(bad_dates)[:20])})
    if unread_ages:
        notes.append({"id": "fhir_age_not_read", "sources": [],
                      "message": "Ages and dates of birth that cannot be read, or are impossible, were not used: "
                      + "; ".join(unread_ages[:10]) + (". The age is unknown." if age is None else ".")})
    if age is None and born is not None and on is None:
        notes.append({"id": "fhir_age_unknown", "sources": [],
                      "message": f"The Patient's birthDate ({born[:10]}) was not used: no resource read for the case "
                      "is dated (Observation effectiveDateTime, Condition recordedDate, or the nephrocalcinosis "
                      "Condition's onsetDateTime; the dates of resources not used, such as a suspected or refuted "
                      "Condition or a cancelled result, do not count), nor the Bundle (timestamp), so the age at the "
                      "record is unknown."})
    if age_from_birth and born is not None and len(born.strip()) < 10 \
            and not any(note["id"] == "fhir_born_on_the_day" for note in notes):  # said there
        notes.append({"id": "fhir_birth_date_partial", "sources": [],
                      "message": f"The Patient's birthDate ({born.strip()}) gives no day: the age was taken from the "
                      "middle of that year or month."})
    if age_from_birth and on is not None and len(on.strip()) < 10:
        # the date that sets the age gives no day either (robustness round 78: "2024" moved an infant's age by months
        # without a word, and with it the prior table)
        notes.append({"id": "fhir_record_date_partial", "sources": [],
                      "message": f"The date the age was taken at ({on.strip()}) gives no day: the age was taken from "
                      "the middle of that year or month; give the age if it matters (an infant's does)."})
    if contained_patient is not None:
        notes.append({"id": "fhir_patient_contained", "sources": [],
                      "message": "The bundle holds no Patient entry: the Patient contained in a resource that names "
                      f"it as its subject (#{str(contained_patient.get('id'))[:40]}) gave the sex and age."})
    if patient is None and resources:  # sex and age are the Patient's: said when there is none (black-box review 11)
        notes.append({"id": "fhir_no_patient", "sources": [],
                      "message": "The bundle holds no Patient resource: the sex is unknown"
                      + (" and so is the age" if age is None else "") + " (give --sex"
                      + (" and --age" if age is None else "") + " if they are known)."})
    if len(patients) > 1:
        notes.append({"id": "fhir_several_patients", "sources": [],
                      "message": f"The bundle holds {len(patients)} Patient resources: the gender and birthDate of "
                      f"{chosen_why} ({_shown_patient(patient)}) were used, with the "
                      "resources that refer to it (by reference or identifier, or through a record merged into it) "
                      "or to no patient."})
    if free_texts:
        notes.append({"id": "fhir_free_text_not_read", "sources": [],
                      "message": "Free text (notes, status reasons, dosage instructions) is not read, and may deny or "
                      "stop what its resource states, which was read as coded; check: " + shortlist(free_texts)})
    if denied_codes:
        notes.append({"id": "fhir_text_denies_code", "sources": [],
                      "message": "Findings whose text or display denies or qualifies the code (ruled out, absent, "
                      "suspected, of a relative, after the treatment) were not read as present; state each finding "
                      "if it is present, or give it as refuted if absent: " + "; ".join(denied_codes[:10])})
    if not_own:
        notes.append({"id": "fhir_observation_of_another", "sources": [],
                      "message": "Findings recorded about a relative or another subject are not the patient's own "
                      "and were not read: " + "; ".join(not_own[:10])
                      + "; give a family-history clue (--family-history-stones, ...) if one applies."})
    if unnamed:
        notes.append({"id": "fhir_subject_not_a_reference", "sources": [],
                      "message": f"{len(unnamed)} resource(s) whose subject (or patient) is not a FHIR Reference "
                      "({\"reference\": \"Patient/...\"}) were left out, as they may be another patient's: "
                      + "; ".join(unnamed[:10]) + (" ..." if len(unnamed) > 10 else "")})
    if elsewhere:
        notes.append({"id": "fhir_other_patient", "sources": [],
                      "message": f"{len(elsewhere)} resource(s) about another patient were left out: "
                      + "; ".join(elsewhere[:10]) + (" ..." if len(elsewhere) > 10 else "")})
    if patient is not None and (patient.get("gender") not in (None, "female", "male")
                                or ("gender" in patient and patient["gender"] is None)):
        notes.append({"id": "fhir_sex_unknown", "sources": [],
                      "message": f"The Patient's gender is {shown_value(patient.get('gender'))[:40]}: the sex was left "
                      "unknown (sex-specific priors and lab limits use their unknown-sex values, and findings given "
                      "by sex the frequency over both sexes)."})
    if unit_conflicts:
        notes.append({"id": "fhir_lab_unit_conflict", "sources": [],
                      "message": "Lab values whose UCUM unit code and unit as written disagree were not used: which "
                      "unit the value is in cannot be known, and the two readings differ: "
                      + "; ".join(unit_conflicts[:10])})
    if bounds:
        notes.append({"id": "fhir_lab_bounds", "sources": [],
                      "message": "Lab values given as a bound were read as bounds, which settle a limit only from its "
                                 "far side (<5 is below a limit of 10, but says nothing of one of 3): "
                                 + "; ".join(bounds[:20])})
    if from_text:
        notes.append({"id": "fhir_value_string", "sources": [],
                      "message": "Lab values sent as text (valueString) were read as numbers, a unit missing from the "
                                 "text taken from the laboratory's referenceRange or the lab's only unit: "
                                 + "; ".join(from_text[:8])})
    if from_integer:
        notes.append({"id": "fhir_value_integer", "sources": [],
                      "message": "Lab values sent as a whole number (valueInteger), which carries no unit, were read "
                                 "in the lab's only unit: " + "; ".join(from_integer[:8])})
    if read_as_urography:
        notes.append({"id": "fhir_modality_urography", "sources": [],
                      "message": "An imaging study was read as CT urography or IVU from its text (DICOM has no code "
                                 "for urography), so tubular ectasia or papillary-necrosis signs stated absent count: "
                                 + "; ".join(repr(text) for text in read_as_urography[:5])})
    if lab_parts:
        notes.append({"id": "fhir_lab_part", "sources": [],
                      "message": "Lab values of an assay of a part of the lab (25-hydroxyvitamin D3 alone, without D2) "
                                 "were read as a lower bound of the lab: the whole is at least the part: "
                                 + "; ".join(lab_parts[:10])})
    if not_bounds:
        notes.append({"id": "fhir_lab_not_bounds", "sources": [],
                      "message": "Lab values with a comparator that is not a bound (<, <=, >, >=) were read as the "
                                 "value itself: " + "; ".join(not_bounds[:20])})
    repeated = {lab_id: values for lab_id, values in repeated.items() if len(values) > 1}
    if repeated:
        notes.append({"id": "fhir_labs_repeated", "sources": [],
                      "message": "Labs given more than once; the newest readable one was used (by its effective "
                                 "date; the last in the bundle where the dates do not decide), unless said to be "
                                 "paired with a PTH: "
                      + "; ".join(f"{lab_id} {labs[lab_id].value:g} {labs[lab_id].unit}"
                                  + (f" of {_day(when)}" if (when := lab_dates.get(lab_id)) else "")
                                  + f" (all values: {', '.join(values[:6])}"
                                  + (", ..." if len(values) > 6 else "") + ")"
                                  for lab_id, values in sorted(repeated.items()) if lab_id in labs)})
    if local_drugs:
        notes.append({"id": "fhir_medication_route_local", "sources": [],
                      "message": "Medications given by a route that does not reach the circulation (on the skin, in "
                      "the eye, ear, nose, vagina or bladder; amphotericin B also by mouth or inhaled, as it is not "
                      "absorbed) were not read as the exposure, whose harm to the kidney is systemic; give the "
                      "exposure if the drug was also given systemically: " + shortlist(local_drugs)})
    native_vitamin_d_note(unread_drugs, notes)
    native_vitamin_d_read_note(native_read, "fhir", notes)
    denied_agents_note(denied_drugs, notes)
    calcium_dose_note(calcium_drugs, notes)
    if unconfirmed:
        notes.append({"id": "fhir_conditions_unconfirmed", "sources": [],
                      "message": f"{len(unconfirmed)} Condition(s) only suspected (verificationStatus unconfirmed, "
                      "provisional or differential) were not used as findings: " + "; ".join(unconfirmed[:20])})
    if unverified:
        notes.append({"id": "fhir_verification_status_unknown", "sources": [],
                      "message": f"{len(unverified)} resource(s) with a verificationStatus that is not a FHIR code "
                      "(confirmed, unconfirmed, provisional, differential, refuted, entered-in-error, of "
                      f"{VERIFICATION_SYSTEM}), or whose codings contradict each other, were not used: "
                      + "; ".join(unverified[:20])})
    if misspelt:
        notes.append({"id": "fhir_unknown_elements", "sources": [],
                      "message": "Elements that are not part of the FHIR R4 resource were not read: "
                      + "; ".join(misspelt[:20]) + (" ..." if len(misspelt) > 20 else "")})
    if modified:
        notes.append({"id": "fhir_modifier_extension", "sources": [],
                      "message": f"{len(modified)} resource(s) carry a modifier this tool does not read (a "
                      "modifierExtension, or a misspelt modifier element), which may change what they mean (a finding "
                      "negated, a drug not taken), and were not used: "
                      + "; ".join(modified[:20])})
    if active_abated:
        notes.append({"id": "fhir_active_with_abatement", "sources": [],
                      "message": "Conditions whose clinicalStatus is active (or recurrence, relapse) carry an "
                      "abatement, which FHIR allows only with inactive, resolved or remission (con-4): read as "
                      "findings, as a past one would be; check which is meant: " + "; ".join(active_abated[:20])})
    if odd_status:
        notes.append({"id": "fhir_clinical_status_unknown", "sources": [],
                      "message": "Conditions whose clinicalStatus is not a FHIR code (active, recurrence, relapse, "
                      "inactive, remission, resolved), or is one only in words, were read as findings, current or "
                      "past: "
                      + "; ".join(odd_status[:20])})
    if by_name_too:
        notes.append({"id": "fhir_name_refines_code", "sources": [],
                      "message": "The side or pattern of a coded nephrocalcinosis was read from its text or display, "
                      "which names it: " + shortlist(by_name_too)})
    if side_conflicts:
        notes.append({"id": "fhir_side_conflict", "sources": [],
                      "message": "A nephrocalcinosis whose names, or name and body site, give different sides gave no "
                      "side (which is meant cannot be known): " + shortlist(side_conflicts)
                      + "; give the laterality if it is known."})
    if unread_sites:
        notes.append({"id": "fhir_body_site_not_read", "sources": [],
                      "message": "The body site of the nephrocalcinosis was not read as its side (only SNOMED CT "
                      "left, right or both kidneys and the laterality qualifiers are): "
                      + "; ".join(dict.fromkeys(unread_sites[:10])) + "; give the laterality if it is known."})
    if not_kin:
        notes.append({"id": "fhir_family_history_not_blood", "sources": [],
                      "message": "A FamilyMemberHistory of someone not related by blood (a spouse or partner, a step, "
                      "adoptive or foster relative, an in-law, a friend) is no family history of a heritable cause "
                      "and was not read: " + "; ".join(not_kin[:10])})
    if oneself:
        notes.append({"id": "fhir_family_history_of_patient", "sources": [],
                      "message": "A FamilyMemberHistory whose relationship is the patient (ONESELF) is no family "
                      "history and was not read; give the patient's own findings as Conditions: "
                      + "; ".join(oneself[:10])})
    if unread_contained:
        notes.append({"id": "fhir_contained_not_read", "sources": [],
                      "message": "Resources contained in another resource are read only as the Observations of a "
                      "DiagnosticReport or an Observation panel (and a medication's own Medication); these were not "
                      "read: " + "; ".join(dict.fromkeys(unread_contained))})
    if above_present:
        notes.append({"id": "fhir_refuted_above_present", "sources": [],
                      "message": "Refuted or absent terms above a finding stated present contradict it (a term "
                      "absent rules out everything below it) and were not read, so they rule nothing out; check the "
                      "document: " + shortlist(above_present)})
    if broad:
        notes.append({"id": "fhir_refuted_broad_term", "sources": [],
                      "message": "Refuted or absent terms broader than the findings were read as ruling out every "
                      "finding below them; if that is not meant, state the findings one by one: " + shortlist(broad)})
    if one_way:
        notes.append({"id": "fhir_refuted_one_way", "sources": [],
                      "message": "Refuted or absent findings that are one way among several of having a finding rule "
                      "nothing out and were not used: " + "; ".join(one_way[:10])})
    if dangling:
        notes.append({"id": "fhir_result_missing", "sources": [],
                      "message": "DiagnosticReport results that name no resource of the document (not read): "
                      + "; ".join(dict.fromkeys(dangling[:20]))})
    if notes_sterile:
        notes.append({"id": "fhir_sterile_pyuria", "sources": [],
                      "message": "A pyuria with a urine culture that grew nothing was read as sterile pyuria (pyuria "
                      "with negative routine cultures): " + shortlist(notes_sterile)})
    if flags_read:
        notes.append({"id": "fhir_lab_flag_read", "sources": [],
                      "message": "Results given as the laboratory's flag without a value were read as the findings "
                      "the flag states, by the laboratory's own range (a value would be judged here): "
                      + shortlist(list(dict.fromkeys(flags_read)))})
    if flags_beside_value:
        notes.append({"id": "fhir_lab_flag_beside_value", "sources": [],
                      "message": "Results given as a flag alone were not read, as a value of the same lab (or of "
                      "another that reads the same finding, named) is given and is read instead: "
                      + shortlist(list(dict.fromkeys(flags_beside_value)))})
    if by_text:
        notes.append({"id": "fhir_finding_read_from_text", "sources": [],
                      "message": "Findings given by name alone (as text, or in a code that maps to nothing, a WHO "
                      "ICD-10 or local code), each word for word the name of a finding, were read as that finding: "
                      + shortlist(list(dict.fromkeys(by_text)))})
    if mislabelled:
        notes.append({"id": "fhir_display_of_another_term", "sources": [],
                      "message": "HPO (or ICD-10-CM, SNOMED CT) codes displayed or written (their text) with the name "
                      "of another term were read by their code, not by those words; check which is meant (hyper- "
                      "and hypo- terms are easily swapped): "
                      + shortlist(list(dict.fromkeys(mislabelled)))})
    if self_denied:
        notes.append({"id": "fhir_report_denies_what_it_states", "sources": [],
                      "message": "A report's conclusion states nephrocalcinosis and, in another sentence, denies or "
                      "doubts the same finding; read as stated: check the report: "
                      + shortlist(list(dict.fromkeys(self_denied)))})
    if disagreeing:
        notes.append({"id": "fhir_codings_disagree", "sources": [],
                      "message": "Codings of one concept mean different findings; each was read: "
                      + shortlist(disagreeing)})
    if conflicts:
        notes.append({"id": "fhir_present_and_absent", "sources": [],
                      "message": "Findings stated both present and absent were read as present (a present finding "
                      "wins): " + ", ".join(sorted(conflicts))})
    if unmapped:
        # each distinct code once, with its count, findings and drugs before vital signs and other observations
        counted: dict[str, int] = {}
        for item in unmapped:
            counted[item] = counted.get(item, 0) + 1
        order = ("Condition", "Medication", "FamilyMemberHistory", "Procedure", "DiagnosticReport", "ImagingStudy")
        shown = sorted(counted, key=lambda item: next((rank for rank, kind in enumerate(order)
                                                       if item.startswith(kind)), len(order)))
        notes.append({"id": "fhir_codes_not_mapped", "sources": [],
                      "message": f"{len(unmapped)} coded resource(s) map to no clue or lab and were not used: "
                      + "; ".join(item + (f" (x{counted[item]})" if counted[item] > 1 else "") for item in shown[:20])
                      + (f"; and {len(shown) - 20} more distinct" if len(shown) > 20 else "")})
    if not seen_nc and nc_refuted:
        notes.append({"id": "fhir_nephrocalcinosis_refuted", "sources": [],
                      "message": "The bundle states nephrocalcinosis absent (a refuted Condition or a negative "
                      "Observation): this patient has none, and the ranking, which assumes it, does not apply."})
    elif not seen_nc:
        notes.append({"id": "fhir_without_nephrocalcinosis", "sources": [],
                      "message": "No resource states nephrocalcinosis (HPO HP:0000121 or below): the ranking "
                      "assumes it."})
    pattern = pattern_of(patterns, notes)
    if pattern is None:
        notes.append({"id": "pattern_unknown", "sources": [],
                      "message": "No resource gives the pattern of the calcification: the causes were ranked "
                      "without pattern evidence."})
    if other_imaging:
        parts = sorted(set(other_imaging))
        notes.append({"id": "fhir_other_imaging", "sources": [],
                      "message": f"{len(other_imaging)} imaging {'study' if len(other_imaging) == 1 else 'studies'} "
                      f"of another body part ({', '.join(parts[:8])}{', ...' if len(parts) > 8 else ''}) "
                      "did not image the kidneys: not taken as the modality."})
    modality: Modality | None = None
    if len(modalities) == 1:
        modality = next(iter(modalities))
    elif modalities:
        notes.append({"id": "fhir_modalities", "sources": [],
                      "message": f"The imaging studies use several modalities ({', '.join(sorted(modalities))}): "
                      "which one showed the calcification is not known, so no modality was set (give --modality)."})
    sides = both_sides(sides, hands)
    laterality = next(iter(sides)) if len(sides) == 1 else None
    if len(sides) > 1:
        notes.append({"id": "laterality_unknown", "sources": [],
                      "message": "The nephrocalcinosis is sited both in one kidney and in both kidneys: no "
                      "laterality was set."})
    case = Case(pattern=pattern, modality=modality, laterality=laterality,
                id=str(data.get("id") or (patient or {}).get("id") or "") or None,
                age_years=age, onset_age_years=onset, sex=sex, clues=clues, labs=labs)
    case = checked_labs(case, kb, notes, "fhir_observations_not_read", rejected, lab_origins)
    # a refuted Condition does not outweigh a measured value of the bundle unless it is the later (F1, round 83)
    case = measured_over_denied(case, kb, {clue: said for clue, said in denials.items()
                                           if case.clues.get(clue) is False},
                                lab_dates.get, lambda denied, sampled: denied > sampled, lambda at: f"of {_day(at)}",
                                notes, "fhir_refuted_vs_lab", "fhir")
    return case, notes


# specimen type codes that name blood or urine (HL7 v2-0487; SNOMED CT specimen concepts), as their words: a type
# coded without a display is read too
SPECIMEN_CODES = {"UR": "urine", "SER": "serum", "PLAS": "plasma", "BLD": "blood",
                  "122575003": "urine", "276833005": "24 hour urine", "119364003": "serum", "119361006": "plasma",
                  "258580003": "whole blood", "122555007": "venous blood"}


def _specimen_of(resource: dict[str, Any], specimens: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The Specimen an Observation names (specimen.reference): contained ("#id"), or in the bundle (Specimen/id, an
    absolute URL ending so, or an entry's fullUrl); None when it names none the document holds."""
    named = resource.get("specimen")
    target = named.get("reference") if isinstance(named, dict) else None
    if not isinstance(target, str) or not target.strip():
        return None
    target = target.strip().split("/_history/")[0]
    if target.startswith("#"):
        return next((inner for inner in _items(resource.get("contained")) if isinstance(inner, dict)
                     and inner.get("resourceType") == "Specimen" and inner.get("id") == target[1:]), None)
    return specimens.get(target) or specimens.get("/".join(target.rstrip("/").split("/")[-2:]))


def _specimen_words(specimen: dict[str, Any] | None) -> list[str]:
    """The words of a Specimen's type: its text, its codings' displays, and the specimen its codes name."""
    if specimen is None:
        return []
    concept = _concept(specimen.get("type"))
    return [concept.text, *(c.display for c in concept.coding),
            *(SPECIMEN_CODES[c.code.strip()] for c in concept.coding if c.code.strip() in SPECIMEN_CODES)]


def _named(resource: dict[str, Any]) -> str:
    """A resource as a reader finds it in the bundle: Observation/abc, or Observation without an id."""
    rid = resource.get("id")
    return f"{resource.get('resourceType')}/{rid.strip()[:40]}" if isinstance(rid, str) and rid.strip() \
        else str(resource.get("resourceType"))


def _coded(kb: KnowledgeBase, coding: Coding, absent: bool) -> tuple[str | None, tuple[str, ...]] | None:
    """What one SNOMED CT or HPO coding means: (a nephrocalcinosis pattern name, or None; its clues), or
    None when it maps to nothing."""
    if coding.system.rstrip("/") == SNOMED and coding.code:
        named = kb.snomed_patterns.get(coding.code)
        if named is not None:
            return named, ()
        meant = kb.snomed_clues.get(coding.code, ())
        if meant:
            return None, meant
        # a concept no clue lists, read through the HPO terms that cross-reference it (hp.obo xrefs, hpo.toml)
        terms = kb.snomed_hpo.get(coding.code, ())
        named = next((kb.hpo_patterns[t] for t in terms if t in kb.hpo_patterns), None)
        if named is not None:
            return named, ()
        through = tuple(dict.fromkeys(clue for t in terms for clue in clues_of_term(kb, t, present=not absent)))
        return (None, through) if through else None
    if coding.system.rstrip("/") == ICD10CM and coding.code:
        # a US problem list's code (clues.toml icd10cm): the most specific entry that covers it; no ICD-10-CM code
        # names a pattern (nephrocalcinosis is E83.59, "Other disorders of calcium metabolism"). Refuted or absent,
        # a code rules out only the finding it is itself an entry of: one read through its category or block is one
        # way among several of having it (robustness round 88: a refuted lung cancer, C34.90, read as no malignancy
        # at all, as an excluded HPO term never rules out a broader one)
        meant = icd10cm_meaning(kb.icd10cm_clues, coding.code, exact=absent)
        return (None, meant) if meant else None
    term = _hpo_code(coding)
    if term is None:
        return None
    named = kb.hpo_patterns.get(term)
    if named is not None:
        return named, ()
    meant = clues_of_term(kb, term, present=not absent)
    return (None, meant) if meant else None


def _present_codings(kb: KnowledgeBase, codings: list[Coding], shown: str
                     ) -> list[tuple[str, str, tuple[str, ...], bool]]:
    """The findings a concept stated present gives, as findings_below takes them: each coding's HPO term (or ""), the
    concept as shown, its clues, and whether it is the nephrocalcinosis."""
    found = []
    for coding in codings:
        mapped = _coded(kb, coding, False)
        if mapped is not None:
            found.append((_hpo_code(coding) or "", shown, mapped[1], mapped[0] is not None))
    return found


def _readings(kb: KnowledgeBase, codings: list[Coding], absent: bool, where: str,
              disagreeing: list[str], mislabelled: list[str] | None = None, text: str = ""
              ) -> list[tuple[str | None, tuple[str, ...]]]:
    """What every coding of one concept means (_coded), each reading once: a concept matches if any of its codings
    is known, and all that are known are read. Codings are translations of one concept; when they mean different
    findings (medullary and cortical, hypokalaemia and hypocalciuria), each is read as if stated on its own (both
    patterns are the combined one, as two Conditions give) and the concept is listed in ``disagreeing`` for a
    note. A reading that refines another (generic and medullary nephrocalcinosis, a clue and it with more) is no
    disagreement."""
    found: dict[tuple[str | None, tuple[str, ...]], list[str]] = {}
    for coding in codings:
        mapped = _coded(kb, coding, absent)
        if mapped is not None and mislabelled is not None and (said := _label_of_another(kb, coding, mapped, absent)):
            mislabelled.append(said)
        if mapped is not None:
            found.setdefault(mapped, []).append(coding.code.strip())
    readings = list(found)
    if mislabelled is not None and readings and text.strip() and all(
            _named_another(kb, text, mapped, absent) is not None for mapped in readings):
        # the concept's text, the words the user chose, names another finding than its codes (HP:0012409 Cortical
        # nephrocalcinosis with the text "Medullary nephrocalcinosis"): read by the codes, and said, as a display
        # is (robustness round 88: read by the code without a word)
        named_term = _named_another(kb, text, readings[0], absent)
        mislabelled.append(f"{', '.join(code for codes in found.values() for code in codes)[:40]} has the text "
                           f"{text.strip()[:60]!r}, the name of {_meaning(kb, named_term or '')}: read as "
                           f"{'; '.join(_read_as(kb, mapped) for mapped in readings)} (its code)")
    specific = {named for named, _ in readings if named is not None and named != NEPHROCALCINOSIS}
    clue_sets = [set(meant) for named, meant in readings if named is None]
    nested = all(a <= b or b <= a for a in clue_sets for b in clue_sets)
    if len(specific) > 1 or not nested or (clue_sets and any(named is not None for named, _ in readings)):
        disagreeing.append(f"{where} " + "; ".join(
            f"{', '.join(codes)} ({named or ', '.join(meant)})" for (named, meant), codes in found.items()))
    return readings


_LABELS: dict[int, tuple[object, dict[str, str]]] = {}  # per knowledge base: an HPO label (case-folded) -> its term
_NAMES: dict[int, tuple[object, dict[str, str]]] = {}  # per knowledge base: a finding's name (folded) -> its term


# the HPO term of each nephrocalcinosis pattern a name gives (nephrocalcinosis_named)
NC_TERMS = {"medullary": "HP:0012408", "cortical": "HP:0012409", NEPHROCALCINOSIS: "HP:0000121"}


def _concept_named(kb: KnowledgeBase, concept: CodeableConcept) -> tuple[str, str, str] | None:
    """The name, HPO term and side of the first of a concept's text and codings' displays that names a finding word
    for word (_term_named), or nephrocalcinosis with its pattern, side or degree ("Bilateral medullary
    nephrocalcinosis"; the side "" when none is named), or None."""
    names = [concept.text, *(coding.display for coding in concept.coding)]
    for name in names:
        if (term := _term_named(kb, name)) is not None:
            return name.strip(), term, ""
    for name in names:
        if (named := nephrocalcinosis_named(name)) is not None:
            return name.strip(), NC_TERMS[named[0]], named[1]
    return None


def _meaning(kb: KnowledgeBase, term: str) -> str:
    """What a term is read as, in the words of the output: its pattern, or its clues' labels."""
    if term in kb.hpo_patterns:
        return f"{kb.hpo_patterns[term]} nephrocalcinosis ({term})".replace("nephrocalcinosis nephrocalcinosis",
                                                                             "nephrocalcinosis")
    labels = [kb.clues[c].label if c in kb.clues else c for c in clues_of_term(kb, term, present=True)]
    return f"{', '.join(labels)} ({term})"


def _term_named(kb: KnowledgeBase, text: str) -> str | None:
    """The HPO term a text names word for word (case and spacing aside): the label of a term a clue or pattern of
    the knowledge base names, a clue's own label (read as the clue's first term), or one of the term's exact synonyms
    in HPO ("Kidney stones"). A name two terms share that mean different findings names none. Nothing else in a text
    is read: not a part of it, not a negation."""
    if not text.strip():
        return None
    cached = _NAMES.get(id(kb))
    if cached is None or cached[0] is not kb:
        names: dict[str, str] = {}
        shared: set[str] = set()

        def add(name: str, term: str) -> None:
            key = folded_name(name)
            if not key:
                return
            if key in names and names[key] != term and (clues_of_term(kb, names[key], present=True)
                                                         != clues_of_term(kb, term, present=True)
                                                         or kb.hpo_patterns.get(names[key])
                                                         != kb.hpo_patterns.get(term)):
                shared.add(key)
            names.setdefault(key, term)
        for term, label in kb.hpo_labels.items():
            if term in kb.hpo_patterns or clues_of_term(kb, term, present=True):
                add(label, term)
        for clue in kb.clues.values():
            if clue.hpo:
                add(clue.label, clue.hpo[0])
        for term, synonyms in kb.hpo_synonyms.items():  # after the labels: a label keeps its own term
            if term in kb.hpo_patterns or clues_of_term(kb, term, present=True):
                for synonym in synonyms:
                    add(synonym, term)
        cached = _NAMES[id(kb)] = (kb, {key: term for key, term in names.items() if key not in shared})
    return cached[1].get(folded_name(text))


def _label_of_another(kb: KnowledgeBase, coding: Coding, mapped: tuple[str | None, tuple[str, ...]],
                      absent: bool = False) -> str:
    """A coding whose HPO term is displayed with the label of another term nephrocalc maps (HP:0003127 Hypocalciuria
    displayed "Hypercalciuria", the label of HP:0002150), as a note names it; "" otherwise (robustness round 83: read
    by the id without a word, the opposite finding of the one written)."""
    term = _hpo_code(coding)
    display = coding.display.strip().casefold()
    if term is None and display and (named_term := _named_another(kb, display, mapped, absent)) is not None:
        # an ICD-10-CM or SNOMED CT code displayed with the name of a finding it does not mean (E83.52 "Hypokalemia",
        # 66931009 Hypercalcemia "Hypocalcemia"), said as an HPO id displayed so is (robustness rounds 87 and 88: read
        # by the code without a word)
        system = "ICD-10-CM" if coding.system.rstrip("/") == ICD10CM else "SNOMED CT"
        return (f"{system} {coding.code.strip()[:12]} is displayed {coding.display.strip()[:60]!r}, the name of "
                f"{_meaning(kb, named_term)}: read as {_read_as(kb, mapped)} (its code)")
    if term is None or not display:
        return ""
    cached = _LABELS.get(id(kb.hpo_labels))
    if cached is None or cached[0] is not kb.hpo_labels:
        cached = _LABELS[id(kb.hpo_labels)] = (kb.hpo_labels, {label.strip().casefold(): t
                                                               for t, label in kb.hpo_labels.items()})
    labels = cached[1]
    other = labels.get(display)
    if other is None or other == term or (kb.hpo_labels.get(term) or "").strip().casefold() == display:
        return ""
    named, meant = mapped
    own = kb.hpo_labels.get(term) or named or ", ".join(kb.clues[c].label if c in kb.clues else c for c in meant)
    return f"{term} is displayed {coding.display.strip()[:60]!r}, the label of {other}: read as {own} (its id)"


def _named_another(kb: KnowledgeBase, name: str, mapped: tuple[str | None, tuple[str, ...]],
                   absent: bool = False) -> str | None:
    """The HPO term of the finding a text names word for word (_term_named) when it is another than a coding's reading
    ``mapped`` (stated absent when ``absent``): a finding beside a nephrocalcinosis, another pattern (the generic name
    refines either), or clues that share none with the reading, none of them implied by or refining the other's, nor
    named by a term above or below the reading's terms ("Renal tubular acidosis" beside a code of distal RTA); else
    None."""
    named_term = _term_named(kb, name) or (NC_TERMS[found[0]] if (found := nephrocalcinosis_named(name)) else None)
    if named_term is None:
        return None
    coded_pattern, coded_clues = mapped
    named_pattern = kb.hpo_patterns.get(named_term)
    if named_pattern is not None or coded_pattern is not None:
        same = named_pattern is not None and coded_pattern is not None and (
            named_pattern == coded_pattern or NEPHROCALCINOSIS in (named_pattern, coded_pattern))
        return None if same else named_term
    named_clues = clues_of_term(kb, named_term, present=not absent)

    def related(clues: tuple[str, ...]) -> set[str]:  # the clues, and those they imply or refine
        return {*clues, *(other for clue in clues if clue in kb.clues
                          for other in (*kb.clues[clue].implies, *kb.clues[clue].refines))}
    if not named_clues or related(coded_clues) & set(named_clues) or related(named_clues) & set(coded_clues):
        return None
    coded_terms = {term for clue in coded_clues if clue in kb.clues
                   for term in (*kb.clues[clue].hpo, *kb.clues[clue].hpo_exact)}
    if any(named_term in kb.hpo_ancestors.get(term, ()) or term in kb.hpo_ancestors.get(named_term, ())
           for term in coded_terms):
        return None
    return named_term


def _read_as(kb: KnowledgeBase, mapped: tuple[str | None, tuple[str, ...]]) -> str:
    """A coding's reading in the words of the output: its nephrocalcinosis pattern, or its clues' labels."""
    named, meant = mapped
    if named is not None:
        return "nephrocalcinosis" if named == NEPHROCALCINOSIS else f"{named} nephrocalcinosis"
    return ", ".join(kb.clues[c].label if c in kb.clues else c for c in meant)


def _apply(mapped: tuple[str | None, tuple[str, ...]], absent: bool, clues: dict[str, bool], seen_nc: bool,
           patterns: set[str], conflicts: set[str]) -> tuple[bool, set[str]]:
    """Record a mapped coding: a present finding wins over an absent one of the same clue (such a clue is
    added to ``conflicts``, for a note)."""
    named, meant = mapped
    if named is not None and not absent:
        seen_nc = True
        if named != NEPHROCALCINOSIS:
            patterns.add(named)
    for clue in meant:
        if clue in clues and clues[clue] == absent:
            conflicts.add(clue)
        clues[clue] = clues.get(clue, False) or not absent
    return seen_nc, patterns


ATC = "http://www.whocc.no/atc"


# MedicationRequest.intent (R4, required binding): an order of some kind, or a proposal, plan or option
REQUEST_INTENTS = frozenset({"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
                             "instance-order", "option"})


def _medication_parts(resource: dict[str, Any], medications: dict[str, dict[str, Any]]
                      ) -> tuple[Any, Any, Any]:
    """What a medication resource says its medication is: its own concept (medicationCodeableConcept, or R5's
    CodeableReference concept), its reference, and the code of the Medication that reference names (contained, or
    in the Bundle; None when there is none)."""
    concept = resource.get("medicationCodeableConcept")
    reference = resource.get("medicationReference")
    r5 = resource.get("medication")  # R5: a CodeableReference, {concept, reference}
    if concept is None and reference is None and isinstance(r5, dict):
        concept, reference = r5.get("concept"), r5.get("reference")
    referenced = None
    if isinstance(reference, dict):
        target = str(reference.get("reference", ""))
        if target.startswith("#"):
            found = next((c for c in _items(resource.get("contained")) if isinstance(c, dict)
                          and c.get("id") == target[1:]), None)
        else:
            found = medications.get(target) or medications.get(f"Medication/{target.rsplit('/', 1)[-1]}")
        referenced = found.get("code") if isinstance(found, dict) else None
    return concept, reference, referenced


def _vitamin_d_dose(resource: dict[str, Any]) -> float | None:
    """The largest single dose of plain vitamin D a medication resource's dosage gives, in IU (a doseQuantity in IU,
    µg or mg; else a number with its unit in the dosage text), or None."""
    doses: list[float] = []
    given = resource.get("dosage") if resource.get("dosage") is not None else resource.get("dosageInstruction")
    dosages: list[Any] = [given] if isinstance(given, dict) else given if isinstance(given, list) else []
    for dosage in dosages:
        if not isinstance(dosage, dict):
            continue
        listed = dosage.get("doseAndRate")
        rates: list[Any] = listed if isinstance(listed, list) else []
        # a dose given as a range (doseRange, FHIR's other dose[x]) is at most its high end (robustness round 86: a
        # range of 1000-2000 IU was passed over, and the usual dose read as the exposure, "no dose given")
        quantities = [rate.get("doseQuantity") for rate in rates if isinstance(rate, dict)] + [dosage.get("dose")] + [
            rate["doseRange"].get("high") for rate in rates if isinstance(rate, dict)
            and isinstance(rate.get("doseRange"), dict)]
        for quantity in quantities:
            if isinstance(quantity, dict):
                unit = {"id": str(quantity.get("code") or ""), "label": str(quantity.get("unit") or "")}
                found = vitamin_d_dose_iu([{"quantity": {"value": quantity.get("value"), "unit": unit}}])
                if found is not None:
                    doses.append(found)
        if isinstance(dosage.get("text"), str) and (found := vitamin_d_dose_in_text(dosage["text"])) is not None:
            doses.append(found)
    return max(doses) if doses else None


def _medication_atc(kb: KnowledgeBase, resource: dict[str, Any], medications: dict[str, dict[str, Any]]
                    ) -> tuple[str, ...]:
    """The exposure clues a medication's WHO ATC codings mean (its concept's, or the referenced Medication's):
    for each code the longest ATC group of the vocabulary it falls in (clues.toml ``atc``). A medication given by
    code alone, with no name, said nothing (interop review 13: a furosemide coded C03CA01 lost the loop diuretic)."""
    concept, _, referenced = _medication_parts(resource, medications)
    meant: list[str] = []
    for one in (concept, referenced):
        if not isinstance(one, dict):
            continue
        for coding in _concept(one).coding:
            if coding.system.rstrip("/").lower() != ATC or not coding.code:
                continue
            code = coding.code.strip().upper()
            group = next((code[:n] for n in (7, 5, 4, 3, 1) if code[:n] in kb.atc_clues), None)
            if group is not None and kb.atc_clues[group] not in meant:
                meant.append(kb.atc_clues[group])
    return tuple(meant)


def _medication_name(resource: dict[str, Any], medications: dict[str, dict[str, Any]]) -> str:
    """The name of the medication a medication resource is about: its medicationCodeableConcept, or the
    Medication it references (contained, or in the Bundle)."""
    concept, reference, referenced = _medication_parts(resource, medications)
    if isinstance(concept, dict) and isinstance(reference, dict) and not _concept_name(concept):
        concept = None  # an empty concept beside a reference: the reference names the medication
    if not isinstance(concept, dict) and isinstance(reference, dict):
        concept = referenced
        if not isinstance(concept, dict) and isinstance(reference.get("display"), str):
            return str(reference["display"])
    return _concept_name(concept)


# SNOMED CT routes of administration (FHIR's route-codes value set, http://hl7.org/fhir/ValueSet/route-codes) by which
# a drug stays where it is put, for every exposure; and, for a drug the gut and the airways do not absorb (amphotericin
# B), by mouth, through a feeding tube or inhaled. Transdermal (45890007) reaches the circulation: not among them.
LOCAL_ROUTES = {"6064005": "topical", "448598008": "cutaneous", "54485002": "ophthalmic", "372472002": "ocular",
                "446105004": "conjunctival", "372468001": "intraocular", "418401004": "intravitreal",
                "372476004": "subconjunctival", "10547007": "otic", "418091004": "intratympanic", "46713006": "nasal",
                "16857009": "vaginal", "372471009": "intravesical", "90028008": "urethral", "372449004": "dental",
                "372457001": "gingival"}
NOT_ABSORBED_ROUTES = {"26643006": "oral", "372473007": "oromucosal", "54471007": "buccal", "37839007": "sublingual",
                       "447694001": "respiratory tract", "420201002": "intrapulmonary",
                       "447081004": "lower respiratory tract", "419778001": "intrabronchial",
                       "127492001": "nasogastric", "127490009": "gastrostomy", "417985001": "enteral",
                       "372454008": "gastroenteral", "447964005": "digestive tract"}
# the exposures whose drug the gut does not absorb: by mouth it acts in the gut only (oral amphotericin B, ATC A07AA07,
# an intestinal anti-infective)
NOT_ABSORBED = {"amphotericin": ("A07AA07",)}


def _local_route_of(resource: dict[str, Any], medications: dict[str, dict[str, Any]], clue: str) -> str:
    """How a medication resource says the drug of ``clue`` stays where it is put ("" when nothing does): a dosage's
    route (SNOMED CT, or its words), the words of the drug's name or form (cream, eye drops, lozenge), or an ATC code
    of a form the gut does not absorb."""
    not_absorbed = clue in NOT_ABSORBED
    dosages = [*_items(resource.get("dosage")), *_items(resource.get("dosageInstruction"))]
    if isinstance(resource.get("dosage"), dict):  # MedicationAdministration: one dosage
        dosages.append(resource["dosage"])
    for dosage in dosages:
        route = _concept(dosage.get("route") if isinstance(dosage, dict) else None)
        for coding in route.coding:
            if coding.system.rstrip("/") == SNOMED and (
                    (named := LOCAL_ROUTES.get(coding.code.strip()))
                    or (not_absorbed and (named := NOT_ABSORBED_ROUTES.get(coding.code.strip())))):
                return f"dosage route {named} (SNOMED CT {coding.code.strip()})"
        for text in (route.text, *(c.display for c in route.coding)):
            if text and (word := local_route(text, not_absorbed)):
                return f"dosage route {text.strip()[:40]!r}"
    concept, reference, _ = _medication_parts(resource, medications)
    target = str(reference.get("reference", "")) if isinstance(reference, dict) else ""
    medication = (next((c for c in _items(resource.get("contained")) if isinstance(c, dict)
                        and c.get("id") == target[1:]), None) if target.startswith("#")
                  else medications.get(target) or medications.get(f"Medication/{target.rsplit('/', 1)[-1]}"))
    words = [_concept_name(concept), _concept_name(medication.get("code")) if isinstance(medication, dict) else "",
             _concept_name(medication.get("form")) if isinstance(medication, dict) else "",
             str(reference.get("display") or "") if isinstance(reference, dict) else ""]
    for text in words:
        if text and (word := local_route(text, not_absorbed)):
            return f"its name or form says {word!r}"
    codes = [c.code.strip().upper() for one in (concept, medication.get("code") if isinstance(medication, dict)
                                                 else None) for c in _concept(one).coding
             if c.system.rstrip("/").lower() == ATC]
    gut = next((code for code in codes for prefix in NOT_ABSORBED.get(clue, ()) if code.startswith(prefix)), None)
    return f"ATC {gut}, a form the gut does not absorb" if gut else ""


# Condition fields the case has no place for: said when given, not dropped (onsetAge and onsetDateTime are read)
UNREAD_CONDITION_FIELDS = ("severity", "stage", "evidence", "onsetPeriod", "onsetRange", "onsetString")


def _only_references(evidence: Any) -> bool:
    """A Condition.evidence whose every item holds references (detail) and nothing else: no code of its own."""
    items = evidence if isinstance(evidence, list) else [evidence]
    return all(isinstance(item, dict) and item.get("detail") and set(item) <= {"detail", "id", "extension"}
               for item in items)


def _field_shown(value: Any) -> str:
    """A Condition field as a note names it: the words of its concepts, else a short form of the value."""
    words: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            for key in ("summary", "code", "type", "assessment"):  # stage.summary, evidence.code
                inner = item.get(key)
                for one in inner if isinstance(inner, list) else [inner]:
                    if isinstance(one, dict):
                        words.append(_shown(_concept(one)))
            words.append(_shown(_concept(item)))
            if "start" in item or "end" in item:  # a Period
                words.append(f"{item.get('start', '?')} to {item.get('end', '?')}")
    named = "; ".join(dict.fromkeys(word for word in words if word))
    return named[:80] if named else shown_value(value)[:60]


def _one_page(data: dict[str, Any]) -> str:
    """What says that a Bundle is one page of a larger search result ("" when nothing does): a ``next`` link, a
    ``total`` above the entries given, and the diagnostics of an OperationOutcome that came with it."""
    entries = [e for e in _items(data.get("entry")) if isinstance(e, dict)]
    hits = [e for e in entries if not (isinstance(e.get("search"), dict) and e["search"].get("mode") == "outcome")]
    total = data.get("total")
    nexts = [link for link in _items(data.get("link"))
             if isinstance(link, dict) and link.get("relation") == "next"]
    more = isinstance(total, int) and not isinstance(total, bool) and total > len(hits)
    if not nexts and not more:
        return ""
    said = [str(issue.get("diagnostics"))[:120].rstrip(".") for e in entries
            if isinstance(e.get("resource"), dict) and e["resource"].get("resourceType") == "OperationOutcome"
            for issue in _items(e["resource"].get("issue")) if isinstance(issue, dict) and issue.get("diagnostics")]
    return ("The Bundle is one page of a larger search result ("
            + ", ".join([*([f"total {total}, {len(hits)} here"] if more else []),
                         *(["a next link"] if nexts else [])])
            + "): the record read is incomplete, and its newest values may be on another page; fetch every page"
            + (f". The server said: {'; '.join(said[:3])}" if said else "") + ".")


def _medication_unnamed(resource: dict[str, Any]) -> str:
    """A medication resource with codes but no name, as the warning shows it (its codes are not read: RxNorm and
    the like map to no agent), or "without a readable medication"."""
    r5 = resource.get("medication")
    concept = resource.get("medicationCodeableConcept") or (r5.get("concept") if isinstance(r5, dict) else None)
    codes = [f"{c.system or '?'}|{c.code}" for c in _concept(concept).coding if c.code]
    if codes:
        return f"{'; '.join(codes[:3])} (only WHO ATC medication codes are read, and names)"
    return "without a readable medication"


def _concept_name(concept: Any) -> str:
    """The words of a medication's CodeableConcept: its text and its codings' displays ("" when none)."""
    if not isinstance(concept, dict):
        return ""
    try:
        parsed = CodeableConcept.model_validate(concept)
    except ValidationError:
        return ""
    # the text and each display once: Synthea writes the same name as both
    return " ".join(dict.fromkeys(part for part in (parsed.text, *(c.display for c in parsed.coding)) if part))


def _concept(data: Any) -> CodeableConcept:
    """A CodeableConcept, or an empty one when ``data`` is not a readable one."""
    try:
        return CodeableConcept.model_validate(data if isinstance(data, dict) else {})
    except ValidationError:
        return CodeableConcept()


def _value_kind(resource: dict[str, Any]) -> str:
    """Why a lab Observation gave no value, in words: the value[x] it has instead of a valueQuantity (a valueInteger
    carries no unit; black-box review 50), its dataAbsentReason, or none at all."""
    kinds = [key for key in resource if key.startswith("value") and key != "valueQuantity"]
    if kinds == ["valueString"]:  # a number in the text is read; this text held none (robustness round 69)
        return (f"its valueString ({shown_value(resource['valueString'])}) holds no value (a number, with a bound "
                "and a unit if any)")
    if kinds:
        return (f"its {kinds[0]} is not read (a lab value is a valueQuantity, with its unit)")
    if resource.get("dataAbsentReason") is not None:
        return f"no value (dataAbsentReason {_shown(_concept(resource.get('dataAbsentReason'))) or 'given'})"
    return "no valueQuantity"


def _qualifying_free_text(resource: dict[str, Any]) -> list[str]:
    """The free texts of a resource (note, statusReason, reasonNotTaken, dosage text) whose words may deny, stop or
    qualify what it states."""
    texts: list[str] = []
    for note in _items(resource.get("note")):
        if isinstance(note, dict) and isinstance(note.get("text"), str):
            texts.append(note["text"])
    for field in ("statusReason", "reasonNotTaken"):  # a list in some resources, one concept in others
        given = resource.get(field)
        for reason in [given] if isinstance(given, dict) else _items(given):
            concept = _concept(reason)
            texts.extend(t for t in (concept.text, *(c.display for c in concept.coding)) if t)
    for dosage in _items(resource.get("dosage")) + _items(resource.get("dosageInstruction")):
        if isinstance(dosage, dict) and isinstance(dosage.get("text"), str):
            texts.append(dosage["text"])
    if resource.get("resourceType") == "Procedure" and resource.get("status") == "stopped":
        # terminated before it was completed (FHIR event-status): read as done, and said (robustness round 72)
        texts.insert(0, "status stopped (terminated before completion)")
        return [texts[0], *(text for text in texts[1:] if finding_cue(text) or agent_stopped(text) or voids(text))]
    return [text for text in texts if finding_cue(text) or agent_stopped(text) or voids(text)]


# LOINC codes of an Observation that records the health of the patient's relatives, not the patient's own
FAMILY_HISTORY_LOINC = frozenset({"8689-2", "10157-6", "54114-4"})


def _of_another(resource: dict[str, Any], own: set[str]) -> str:
    """Whose a finding is when it is not the patient's own ("" when it is): its subject is a relative
    (RelatedPerson), a Group, or named only in words that name a relative ("Mother of patient"); its focus names
    another subject (a RelatedPerson, a fetus, a device); or its code records a family member's history (black-box
    reviews 51 and 52: each gave the patient a relative's finding)."""
    for field in ("subject", "patient"):
        target = resource.get(field)
        if not isinstance(target, dict):
            continue
        reference = target.get("reference")
        if isinstance(reference, str) and reference.split("/_history/")[0].rsplit("/", 2)[-2:-1] in (
                ["RelatedPerson"], ["Group"]):
            return f"{field} {reference[:60]}"
        display = target.get("display")
        if not isinstance(reference, str) and isinstance(display, str) and finding_cue(display):
            return f"{field} {display[:60]!r}"
    focuses = resource.get("focus")  # a focus that is no list ("Patient/mother" as a bare string): no reference
    for focus in focuses if isinstance(focuses, list) else [] if focuses in (None, "") else [focuses]:
        target = focus.get("reference") if isinstance(focus, dict) else None
        if not isinstance(target, str) or not target:
            return "focus not a reference"
        target = target.split("/_history/")[0]
        if not (target in own or any(target.endswith("/" + key) for key in own if key.startswith("Patient/"))):
            return f"focus {target[:60]}"
    if any(c.system.rstrip("/") == LOINC and c.code in FAMILY_HISTORY_LOINC
           for c in _concept(resource.get("code")).coding):
        return "a family member's history"
    return ""


def _contained_patient(resources: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first Patient contained in a resource whose subject (or patient) references it locally ("#id")."""
    for resource in resources:
        reference = _reference(resource)
        if reference.startswith("#"):
            found = next((inner for inner in _items(resource.get("contained")) if isinstance(inner, dict)
                          and inner.get("resourceType") == "Patient" and inner.get("id") == reference[1:]), None)
            if found is not None:
                return found
    return None


def _patient_keys(data: dict[str, Any], patient: dict[str, Any] | None) -> set[str]:
    """The references that name the (first) Patient: Patient/<id> and the fullUrl of its Bundle entry."""
    if patient is None:
        return set()
    keys = {f"Patient/{patient['id']}"} if isinstance(patient.get("id"), str) and patient["id"] else set()
    for entry in _items(data.get("entry")):
        if isinstance(entry, dict) and entry.get("resource") is patient and isinstance(entry.get("fullUrl"), str):
            keys.add(entry["fullUrl"])
    return keys


def _subject_patient(data: dict[str, Any], patients: list[dict[str, Any]], resources: list[dict[str, Any]],
                     kb: KnowledgeBase) -> tuple[dict[str, Any] | None, str]:
    """The Patient the bundle is about, and why it was chosen: of several, the one most resources refer to (the first
    on a tie), when one patient (with the records merged into it) carries the clinical resources; when several do, the
    one the nephrocalcinosis Condition, Observation or report is about (robustness round 83: a mother's Condition was
    left out as another patient's, and her child, with more Observations, was ranked for a nephrocalcinosis he has
    not). When none of them, or more than one, has the nephrocalcinosis, which is the case cannot be told: refused."""
    if len(patients) < 2:
        return (patients[0] if patients else None), ""
    from collections import Counter

    keys = [_patient_keys(data, candidate) for candidate in patients]
    identifiers = [_identifiers(candidate) for candidate in patients]
    group = list(range(len(patients)))  # records merged into one another (link) are one patient

    def root(index: int) -> int:
        while group[index] != index:
            index = group[index]
        return index

    for i, record in enumerate(patients):
        for j in range(len(patients)):
            if i != j and _merged_into(record, keys[j]):
                group[root(i)] = root(j)
    named = Counter(_reference(resource).split("/_history/")[0] for resource in resources
                    if resource.get("resourceType") != "Patient")
    counts = [sum(named[key] for key in keys[index]) for index in range(len(patients))]
    carriers: set[int] = set()  # the patients (merged records as one) clinical resources name
    with_nc: set[int] = set()  # those a resource stating the nephrocalcinosis names
    for resource in resources:
        if resource.get("resourceType") not in READ_TYPES - {"Patient", "Medication"}:
            continue
        whose = {root(index) for index in _named_patients(resource, keys, identifiers)}
        carriers |= whose
        if whose and _states_nephrocalcinosis(kb, resource):
            with_nc |= whose
    candidates: list[int] = list(range(len(patients)))
    why = "the one the resources refer to most"
    if len(carriers) > 1:
        if len(with_nc) != 1:
            shown = [", ".join(_patient_label(data, patients[index]) for index in range(len(patients))
                               if root(index) == person) for person in sorted(carriers)]
            raise InputError("fhir.entry", f"the bundle holds {len(carriers)} patients with clinical resources ("
                             + "; ".join(shown) + "), "
                             + ("none of whom has" if not with_nc else f"{len(with_nc)} of whom have")
                             + " a nephrocalcinosis Condition or Observation: which one is the case cannot be told; "
                             "split it into one bundle per patient")
        candidates = [index for index in candidates if root(index) in with_nc]
        why = "the one the nephrocalcinosis is stated of"
    return patients[max(candidates, key=lambda index: (counts[index], -index))], why


def _named_patients(resource: dict[str, Any], keys: list[set[str]], identifiers: list[set[tuple[str, str]]]
                    ) -> set[int]:
    """The Patients (indices of ``keys``) a resource names as its subject, by reference (also an absolute URL or a
    version of it) or by identifier; none when it names no patient."""
    reference = _reference(resource).split("/_history/")[0]
    if reference:
        return {index for index, own in enumerate(keys) if reference in own
                or any(reference.endswith("/" + key) for key in own if key.startswith("Patient/"))}
    key = _subject_identifier(resource)
    return {index for index, own in enumerate(identifiers) if key is not None and key in own}


def _states_nephrocalcinosis(kb: KnowledgeBase, resource: dict[str, Any]) -> bool:
    """Whether a Condition, Observation or DiagnosticReport states the nephrocalcinosis (present, in force, not only
    suspected), by its code, its coded value or a coded conclusion."""
    kind = resource.get("resourceType")
    if kind not in ("Condition", "Observation", "DiagnosticReport") or _withdrawn(resource) or _is_absent(resource) \
            or (kind == "Condition" and _unconfirmed(resource)):
        return False
    concepts = [resource.get("code"), resource.get("valueCodeableConcept"), *_items(resource.get("conclusionCode")),
                *_items(resource.get("codedDiagnosis"))]
    return any((mapped := _coded(kb, coding, False)) is not None and mapped[0] is not None
               for concept in concepts for coding in _concept(concept).coding)


def _patient_label(data: dict[str, Any], patient: dict[str, Any]) -> str:
    """A Patient as the refusal names it: Patient/<id>, else its entry's fullUrl."""
    if isinstance(patient.get("id"), str) and patient["id"].strip():
        return f"Patient/{patient['id'].strip()[:40]}"
    return next((str(url)[:60] for url in _patient_keys(data, patient)), "a Patient without an id")


def _identifiers(patient: dict[str, Any] | None) -> set[tuple[str, str]]:
    """A Patient's identifiers as (system, value) pairs."""
    return {(str(item.get("system") or ""), str(item["value"])) for item in _items((patient or {}).get("identifier"))
            if isinstance(item, dict) and isinstance(item.get("value"), str) and item["value"].strip()}


def _merged_into(patient: dict[str, Any], own: set[str]) -> bool:
    """Whether a Patient record was merged into (link replaced-by) the one ``own`` names, or replaces it."""
    for link in _items(patient.get("link")):
        other = link.get("other") if isinstance(link, dict) else None
        if isinstance(other, dict) and link.get("type") in ("replaced-by", "replaces", "seealso") \
                and isinstance(other.get("reference"), str) and other["reference"].split("/_history/")[0] in own:
            return True
    return False


def _shown_patient(patient: dict[str, Any] | None) -> str:
    return f"Patient/{str(patient.get('id'))[:40]}" if patient and patient.get("id") else "the first"


def _subject_named(resource: dict[str, Any]) -> str:
    """Whom a resource names as its patient: the reference, else the identifier (system|value)."""
    if reference := _reference(resource):
        return reference
    if (named := _subject_identifier(resource)) is not None:
        return f"identifier {named[0]}|{named[1]}".replace(" |", " ")
    return "no patient"


def _subject_identifier(resource: dict[str, Any]) -> tuple[str, str] | None:
    """The patient a resource names by identifier alone (subject, else patient), as (system, value)."""
    for field in ("subject", "patient"):
        target = resource.get(field)
        named = target.get("identifier") if isinstance(target, dict) else None
        if isinstance(named, dict) and isinstance(named.get("value"), str):
            return str(named.get("system") or ""), named["value"]
    return None


def _subject_unreadable(resource: dict[str, Any]) -> str:
    """What makes a resource's subject (else patient) unreadable as a Reference, or "": a value that is not an
    object, or a reference that is not a string."""
    for field in ("subject", "patient"):
        if (target := resource.get(field)) is None:
            continue
        if not isinstance(target, dict):
            return f"{field} {shown_value(target)[:60]}"
        if target.get("reference") is not None and not isinstance(target["reference"], str):
            return f"{field}.reference {shown_value(target['reference'])[:60]}"
        return ""
    return ""


def _reference(resource: dict[str, Any]) -> str:
    """The patient a resource is about (subject, else patient), as its reference; "" when it names none."""
    for field in ("subject", "patient"):
        target = resource.get(field)
        if isinstance(target, dict) and isinstance(target.get("reference"), str):
            return str(target["reference"])
    return ""


def _about(resource: dict[str, Any], own: set[str], identifiers: set[tuple[str, str]],
           others: set[tuple[str, str]]) -> bool:
    """Whether a resource is about the patient whose references are ``own`` (and identifiers ``identifiers``;
    ``others``: those of the bundle's other Patients): it names that patient (also as an absolute URL or a version
    of it), or no patient at all. A subject given by identifier alone is another patient's when the identifier is
    another Patient's of the bundle, or differs from this one's in the same system."""
    reference = _reference(resource).split("/_history/")[0]
    if not reference:
        key = _subject_identifier(resource)
        return key is None or key in identifiers or (
            key not in others and not any(system == key[0] for system, _ in identifiers))
    if reference in own:
        return True
    if not reference.startswith("Patient/") and "/Patient/" not in reference and not reference.startswith("urn:"):
        return True  # a Group or a Location: not another patient
    return any(reference.endswith("/" + key) for key in own if key.startswith("Patient/"))


def _effective(resource: dict[str, Any]) -> date | None:
    """When an Observation was made: effectiveDateTime, effectiveInstant or the end (else the start) of
    effectivePeriod, else issued; None when none is a readable date (an unreadable one is named elsewhere).
    A timestamp keeps its time of day and time zone (as a UTC datetime), so that two samples of one day are
    ordered; a date alone counts from its middle (noon UTC; a year or a month from the middle of it)."""
    period = resource.get("effectivePeriod")
    candidates = [resource.get("effectiveDateTime"), resource.get("effectiveInstant"),
                  *((period.get("end"), period.get("start")) if isinstance(period, dict) else ()),
                  *_timing_events(resource.get("effectiveTiming"))[-1:], resource.get("issued")]
    for value in candidates:
        day = parse_date(value) if value is not None else None
        if day is None:
            continue
        return _instant(str(value), day)
    return None


def _stated_at(resource: dict[str, Any]) -> date | None:
    """When a resource stating a finding absent said so: a Condition's recordedDate, else its onset (onsetDateTime,
    the end or start of onsetPeriod), an Observation's effective date; None when undated (as ``_effective``)."""
    period = resource.get("onsetPeriod")
    for value in (resource.get("recordedDate"), resource.get("onsetDateTime"),
                  *((period.get("end"), period.get("start")) if isinstance(period, dict) else ())):
        day = parse_date(value) if value is not None else None
        if day is not None:
            return _instant(str(value), day)
    return _effective(resource)


def _timing_events(value: object) -> list[str]:
    """The readable event dates of a FHIR Timing, earliest first (a sample of a timed series is dated by its
    last event)."""
    if not isinstance(value, dict):
        return []
    events = [event for event in _items(value.get("event")) if isinstance(event, str) and parse_date(event)]
    return sorted(events, key=lambda event: _instant(event, parse_date(event) or date.min))


def _modifier_urls(value: object) -> list[str]:
    """The urls of the modifierExtensions anywhere in a resource (its own, or an element's such as a dosage's)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "modifierExtension":
                found.extend(str(ext.get("url") or "no url")[:80] if isinstance(ext, dict) else "unreadable"
                             for ext in _items(item))
            elif key != "contained":
                found.extend(_modifier_urls(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_modifier_urls(item))
    return found


def _instant(text: str, day: date) -> datetime:
    """A FHIR dateTime as an aware UTC datetime: its own time and zone when it has them, else noon UTC of its
    (middle) day."""
    if "T" in text:
        try:
            stamp = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            stamp = None
        if stamp is not None:
            return (stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)).astimezone(UTC)
    # a year or a month alone is marked in the microseconds (1: a year, 2: a month), which order nothing, so that
    # the notes show it as given, not as the middle day it is counted from (robustness round 66: "2026-11" was shown
    # as "2026-11-16")
    precision = {4: 1, 7: 2}.get(len(text.strip()), 0)
    return datetime(day.year, day.month, day.day, 12, 0, 0, precision, tzinfo=UTC)


def _day(when: date) -> str:
    """A sample's date as the notes write it: YYYY-MM-DD, or YYYY-MM or YYYY when only that was given."""
    if isinstance(when, datetime) and when.microsecond in (1, 2) and (when.hour, when.minute, when.second) == (12, 0,
                                                                                                              0):
        return when.date().isoformat()[:4 if when.microsecond == 1 else 7]
    return (when.date() if isinstance(when, datetime) else when).isoformat()


# FHIR Quantity comparators that make the value a bound (also as HTML escapes, which some exports write)
COMPARATORS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "&lt;": "<", "&lt;=": "<=", "&gt;": ">", "&gt;=": ">="}


def _read_lab(kb: KnowledgeBase, lab_id: str, value: Quantity, labs: dict[str, Lab],
              said: tuple[list[str], list[str]],
              repeated: dict[str, list[str]], when: date | None, lab_dates: dict[str, date | None],
              unit_conflicts: list[str], parts: list[str] | None = None, code: str = "",
              series: dict[str, list[tuple[date, Lab]]] | None = None) -> None:
    """One lab value of the bundle, in a unit the lab takes where the code or the unit text gives one; a
    bound ("<3") is kept as a bound; a lab given again keeps its newest value (by effective date; where the
    dates do not decide, the later in the bundle); both are noted (``said``: the bounds, and the values whose
    comparator is not a bound)."""
    bounds, not_bounds = said
    if units_disagree(kb, lab_id, value.code, value.unit):
        # which unit the value is in cannot be known: not used, and said, as the phenopacket reader does. Read in the
        # coded unit, a calcium of 2.9 coded mg/dL and written mmol/L became a hypocalcaemia and hyperparathyroidism
        # fell from 81% to under 0.1% (robustness round 74); read in the text, a PTH of 0.14 coded ng/mL and written
        # pg/mL became a suppressed PTH (round 73)
        unit_conflicts.append(f"{lab_id} {value.value:g}: code {value.code!r}, written {value.unit!r}")
        return
    unit = lab_unit(kb, lab_id, value.code, value.unit)
    written = value.comparator.strip()
    comparator = COMPARATORS.get(written)
    if parts is not None and comparator in ("<", "<="):  # a part below a value says nothing of the whole
        parts.append(f"{lab_id} {comparator}{value.value:g} {unit} (LOINC {code}; says nothing of the whole)")
        return
    if parts is not None and comparator is None and not written:
        # an assay of a part of the lab (25-hydroxyvitamin D3 alone): the whole is at least the part (said once,
        # as such, not also as a bound the document gave)
        comparator = ">="
        parts.append(f"{lab_id} {value.value:g} {unit} (LOINC {code})")
    elif comparator:
        bounds.append(f"{lab_id} {comparator}{value.value:g} {unit}")
    elif written:  # "ad" (enough to reach the value), "=" or a typo: read as the value itself, and said
        not_bounds.append(f"{lab_id} {value.value:g} {unit} (comparator {written!r})")
    taken = unit_taken(kb, lab_id, unit)
    repeated.setdefault(lab_id, []).append(f"{comparator or ''}{value.value:g} {unit}"
                                           + (f" ({_day(when)})" if when else "")
                                           + ("" if taken else " (a unit the lab does not take)"))
    if series is not None and taken and when is not None:
        series.setdefault(lab_id, []).append(
            (when, Lab(value=value.value, unit=unit, comparator=comparator)))  # type: ignore[arg-type]
    if lab_id in labs:
        # a value in a unit the lab does not take would be refused, and the readable one with it: a readable value
        # wins over an unreadable one whatever their dates; between two of a kind, the newer wins
        kept_taken = unit_taken(kb, lab_id, labs[lab_id].unit)
        if kept_taken and not taken:
            return
        kept = lab_dates.get(lab_id)
        if kept_taken == taken and kept is not None and (when is None or when < kept):  # an older or undated value
            return
    lab_dates[lab_id] = when
    labs[lab_id] = Lab(value=value.value, unit=unit, comparator=comparator)  # type: ignore[arg-type]


def _component_lab(kb: KnowledgeBase, component: dict[str, Any]
                   ) -> tuple[str, str, Quantity | tuple[str, str]] | None:
    """The lab an Observation component gives: a LOINC code of a lab, with a valueQuantity, or a value sent as text
    (valueString), read as a top-level one is (robustness round 64: it was dropped, and said to map to no lab).
    Returns the lab id, the LOINC code, and the quantity, or the component's field that cannot be read and why."""
    for coding in _concept(component.get("code")).coding:
        if coding.system.rstrip("/") == LOINC and coding.code in kb.loinc_labs:
            lab_id = kb.loinc_labs[coding.code]
            quantity = component.get("valueQuantity")
            if isinstance(quantity, dict):
                value = _quantity(quantity, _unitless(kb, lab_id))
                return lab_id, coding.code, value if isinstance(value, Quantity) else (
                    f"valueQuantity.{value[0]}", value[1])
            if "valueInteger" in component:
                read, problem = _integer_quantity(kb, lab_id, component["valueInteger"])
                if read is None:
                    return lab_id, coding.code, ("value", problem)
                value = _quantity(read, _unitless(kb, lab_id))
                return lab_id, coding.code, value if isinstance(value, Quantity) else (
                    "valueInteger", value[1])
            text = component.get("valueString")
            if isinstance(text, str) and (match := _VALUE_TEXT.match(text)):
                read, problem = _string_quantity(kb, lab_id, component, match)
                if read is None:
                    return lab_id, coding.code, ("valueString", problem)
                value = _quantity(read, _unitless(kb, lab_id))
                return lab_id, coding.code, value if isinstance(value, Quantity) else (
                    f"valueString ({shown_value(text)})", value[1])
            return lab_id, coding.code, ("value", _value_kind(component))
    return None


# a lab value written as text: an optional bound, a number (a decimal comma allowed), an optional unit
# a number may carry a plus sign and an exponent ("+11.9", "1.19e1"), as --lab reads it (robustness round 66: "1.19e1
# mg/dL" was read as 1.19 with the unit "e1 mg/dL")
_VALUE_TEXT = re.compile(r"^\s*(<=|>=|<|>|\u2264|\u2265)?\s*\+?([0-9]+(?:[.,][0-9]+)*(?:[eE][+-]?[0-9]+)?)\s*"
                         r"([^\s0-9<>=.,+-].*?)?\s*$")
# a laboratory's abnormal flag after the unit ("11.9 mg/dL H", "11.9 mg/dL*"): not part of the unit
_FLAG = re.compile(r"(?:\s*[*!]+|\s+(?:H|L|HH|LL|A|AA|N|high|low|HIGH|LOW))$")


def _text_number(number: str) -> tuple[float | None, str]:
    """A number written in a valueString: "4.2", a decimal comma "4,2", thousands separated "1,200.5". A single
    comma before three digits ("1,200") is refused: a thousands separator as often as a decimal comma, a 1000-fold
    misreading either way (fuzz review 44: "1,200 mg/day" was read as 1.2 mg/day, no hypercalciuria)."""
    if re.fullmatch(r"[1-9]\d{0,2}\.\d{3}", number):
        # the mirror of the comma: in a decimal-comma locale "1.200" is 1200 (robustness round 78: a PTH of
        # "1.200 pg/ml" was read as 1.2, suppressed, and tertiary hyperparathyroidism fell from 95% to 6%)
        whole, decimals = number.split(".")
        return None, (f"{number!r} is ambiguous: the dot may separate thousands ({whole}{decimals}) or mark the "
                      f"decimal ({number})")
    if re.fullmatch(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", number):
        value = float(number)
        return (value, "") if value != float("inf") else (None, f"{number!r} is too large a number")
    if re.fullmatch(r"\d+,\d+", number):
        whole, decimals = number.split(",")
        if len(decimals) == 3 and whole != "0":
            return None, (f"{number!r} is ambiguous: the comma may separate thousands ({whole}{decimals}) or mark the "
                          f"decimal ({whole}.{decimals})")
        return float(f"{whole}.{decimals}"), ""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", number):
        return float(number.replace(",", "")), ""
    return None, f"{number!r} is not a number"


def _string_quantity(kb: KnowledgeBase, lab_id: str, resource: dict[str, Any], match: re.Match[str]
                     ) -> tuple[dict[str, Any] | None, str]:
    """An Observation's valueString ("<3", ">60", "4.2 mmol/L"; ``match``, of _VALUE_TEXT) as a valueQuantity, or
    None and why not. A text without a unit takes the unit of the laboratory's referenceRange, else the lab's only
    unit; a lab of several units (PTH in pg/mL or pmol/L) needs one (interop review 16)."""
    text = str(resource["valueString"])
    comparator, unit = match.group(1) or "", _FLAG.sub("", (match.group(3) or "").strip()).strip()
    number, problem = _text_number(match.group(2))
    readings = _both_readings(match.group(2)) if number is None else ()
    if number is None and not readings:
        return None, f"{shown_value(text)}: {problem}"
    comparator = {"\u2264": "<=", "\u2265": ">="}.get(comparator, comparator)
    if not unit:
        ranges = [str(bound.get("code") or bound.get("unit")) for limit in _items(resource.get("referenceRange"))
                  if isinstance(limit, dict) for side in ("low", "high")
                  if isinstance(bound := limit.get(side), dict) and (bound.get("code") or bound.get("unit"))]
        # fuzz review 44: a low in pmol/L and a high in pg/mL gave a PTH in pmol/L
        if len({normalise_unit(range_unit) for range_unit in ranges}) > 1:
            return None, (f"{shown_value(text)} has no unit, and its referenceRange gives several "
                          f"({', '.join(dict.fromkeys(ranges))}): give the unit")
        unit = ranges[0] if ranges else ""
    lab = kb.labs.get(lab_id)
    if not unit and lab is not None and len(lab.accepted_units) == 1 and lab.canonical != "pH":
        unit = lab.canonical
    if not unit and not _unitless(kb, lab_id):
        accepted = lab.accepted_units_text if lab is not None else "its unit"
        return None, f"{shown_value(text)} has no unit, and {lab_id} is given in {accepted}: give the unit"
    if unit and lab is not None and normalise_unit(unit) not in lab.units and normalise_unit(unit) not in lab.own_units:
        # said once, here, not also as read (robustness round 66: "read as numbers" and "not used" for one value)
        return None, f"{shown_value(text)}: the unit {unit!r} is not accepted for {lab_id} ({lab.accepted_units_text})"
    if number is None:  # a separator read two ways: the one reading the lab's plausible range allows, if only one
        from nephrocalc.labs import one_plausible

        number = one_plausible(lab_id, readings, unit or (lab.canonical if lab is not None else ""), kb)
        if number is None:
            return None, f"{shown_value(text)}: {problem}"
    quantity: dict[str, Any] = {"value": number, "unit": unit}
    if comparator:
        quantity["comparator"] = comparator
    return quantity, ""


def _integer_quantity(kb: KnowledgeBase, lab_id: str, value: object) -> tuple[dict[str, Any] | None, str]:
    """A valueInteger as a valueQuantity: a whole number has no unit, so it is read in the lab's only unit (a pH has
    none); a lab of several units is refused with why ("its valueInteger is not read ...")."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None, f"its valueInteger is not read ({shown_value(value)} is not a whole number)"
    lab = kb.labs.get(lab_id)
    if _unitless(kb, lab_id):
        return {"value": value}, ""
    if lab is not None and len(lab.accepted_units) == 1:
        return {"value": value, "unit": lab.canonical}, ""
    accepted = lab.accepted_units_text if lab is not None else "a unit"
    return None, (f"its valueInteger is not read ({value} carries no unit, and {lab_id} is given in {accepted}: "
                  "send it as a valueQuantity with its unit)")


def _both_readings(number: str) -> tuple[float, float] | tuple[()]:
    """The two readings of a number whose one separator before three digits may be a thousands separator or a
    decimal mark ("1,200", "1.200"), or none."""
    match = re.fullmatch(r"([1-9]\d{0,2})[.,](\d{3})", number)
    return (float(match.group(1) + match.group(2)), float(f"{match.group(1)}.{match.group(2)}")) if match else ()


def _unitless(kb: KnowledgeBase, lab_id: str) -> bool:
    """Whether the lab has no unit (a pH): its value needs none (interop review 13: a urine pH sent without a
    unit, as many laboratory feeds send it, was refused)."""
    lab = kb.labs.get(lab_id)
    return lab is not None and lab.canonical == "pH"


def _quantity(data: dict[str, Any], unitless: bool = False) -> Quantity | tuple[str, str]:
    """A valueQuantity, or the field of it that cannot be read and why. Its value must be a JSON number (a
    FHIR decimal): true is not 1, and a number written as a string ("11.9") is not read either."""
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "value", "must be a number, not " + (shown_value(value) if "value" in data else "missing")
    if all(data.get(field) in (None, "") for field in ("unit", "code")):
        if unitless:
            data = {**data, "code": "1"}  # a pH is a number without a unit (UCUM "1")
        else:
            return "unit", "no unit given (neither unit nor code): a value without its unit cannot be read"
    try:
        return Quantity.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        return ".".join(str(part) for part in error["loc"]) or "value", error["msg"]


# SNOMED CT body sites and laterality qualifiers of the nephrocalcinosis Condition or Observation
BODY_SITE_SIDES: dict[str, Laterality] = {
    "18639004": "unilateral",  # Left kidney structure
    "9846003": "unilateral",  # Right kidney structure
    "7771000": "unilateral",  # Left (qualifier)
    "24028007": "unilateral",  # Right (qualifier)
    "17373004": "bilateral",  # Both kidneys
    "51440002": "bilateral",  # Right and left (qualifier)
}


BODY_SITE_HANDS = {"18639004": "left", "7771000": "left", "9846003": "right", "24028007": "right"}
KIDNEY_SITE = "64033007"  # Kidney structure: the organ, no side
# a body site given by name alone (text, or a display of a code system not read), word for word (case, spacing and a
# final full stop aside): its side and the kidney it names; None for the kidney with no side (blind FHIR curation 84:
# "Both kidneys" as text was listed as a site that gives no side)
SITE_NAMES: dict[str, tuple[Laterality, str] | None] = {
    "both kidneys": ("bilateral", ""), "bilateral kidneys": ("bilateral", ""), "bilateral": ("bilateral", ""),
    "kidneys, bilateral": ("bilateral", ""), "kidney, bilateral": ("bilateral", ""),
    "left and right kidneys": ("bilateral", ""), "right and left kidneys": ("bilateral", ""),
    "left and right": ("bilateral", ""), "right and left": ("bilateral", ""),
    "left kidney": ("unilateral", "left"), "left kidney structure": ("unilateral", "left"),
    "kidney, left": ("unilateral", "left"), "left": ("unilateral", "left"),
    "right kidney": ("unilateral", "right"), "right kidney structure": ("unilateral", "right"),
    "kidney, right": ("unilateral", "right"), "right": ("unilateral", "right"),
    "kidney": None, "kidney structure": None, "renal": None,
}


def _sides(resource: dict[str, Any], hands: set[str], unread: list[str]) -> set[Laterality]:
    """The laterality a resource's bodySite codes give (SNOMED CT), with their laterality qualifiers; the
    kidney each names (left, right) goes in ``hands``, as both together are both kidneys. A site that gives no
    side (another organ, a side in words only) goes in ``unread``, to be said (fuzz review 44: a Heart was
    passed over in silence); the kidney without a side gives none to read."""
    found: set[Laterality] = set()
    given = resource.get("bodySite")
    for site in [given] if isinstance(given, dict) else _items(given):
        concept = _concept(site)
        sided = False
        for coding in concept.coding:
            if coding.system.rstrip("/") == SNOMED and coding.code in BODY_SITE_SIDES:
                sided = True
                found.add(BODY_SITE_SIDES[coding.code])
                if coding.code in BODY_SITE_HANDS:
                    hands.add(BODY_SITE_HANDS[coding.code])
        kidney = any(coding.system.rstrip("/") == SNOMED and coding.code == KIDNEY_SITE for coding in concept.coding)
        if not sided and not kidney and not any(coding.system.rstrip("/") == SNOMED for coding in concept.coding):
            # no SNOMED CT code: the site by its name, word for word; every name it is given must be one, and agree
            # (robustness round 87: a text "Left kidney" beside a display "Right kidney", or "Heart", was read as the
            # left kidney without a word)
            names = [name for name in (folded_name(name) for name in (concept.text, *(coding.display for coding
                                                                                     in concept.coding))) if name]
            named = {SITE_NAMES[name] for name in names if name in SITE_NAMES}
            if names and all(name in SITE_NAMES for name in names) and len(named - {None}) <= 1:
                kidney = True
                if (side := next(iter(named - {None}), None)) is not None:
                    sided = True
                    found.add(side[0])
                    if side[1]:
                        hands.add(side[1])
        if not sided and not kidney:
            unread.append(_shown(concept) or "a body site without a readable code")
    return found


# HL7 v3 RoleCode relationships that are not by blood (v3-RoleCode: spouses and partners, step, adoptive, foster and
# in-law relatives, and the unrelated, with the older and newer spellings of the adoptive ones): a FamilyMemberHistory
# of theirs is not a family history
NOT_BLOOD_KIN = frozenset({
    "SPS", "HUSB", "WIFE", "DOMPART", "FMRSPS", "SIGOTHR", "FRND", "NBOR", "ROOM", "UNREL",
    "STPPRN", "STPFTH", "STPMTH", "STPSIB", "STPBRO", "STPSIS", "STPCHLD", "STPSON", "STPDAU",
    "ADOPTP", "ADOPTF", "ADOPTM", "ADOPTFTH", "ADOPTMTH", "CHLDADOPT", "DAUADOPT", "SONADOPT",
    "CHLDFOST", "DAUFOST", "SONFOST", "FOSTERP", "FOSTERF", "FOSTERM",
    "INLAW", "PRNINLAW", "FTHINLAW", "MTHINLAW", "SIBINLAW", "BROINLAW", "SISINLAW", "CHLDINLAW", "SONINLAW",
    "DAUINLAW",
})

# A relative's condition (FamilyMemberHistory) as the patient's family-history clue
FAMILY_CLUES = {"nephrolithiasis": "family_history_stones", "calcium_oxalate_stones": "family_history_stones",
                "calcium_phosphate_stones": "family_history_stones", "ckd": "family_history_kidney_failure",
                "hypercalcemia": "family_history_hypercalcemia"}


# DICOM modality codes (http://dicom.nema.org/resources/ontology/DCM) -> the case's modality
# (RF, fluoroscopy: the room where an intravenous urogram is often taken; a radiograph unless it says urography)
DICOM_MODALITIES: dict[str, Modality] = {"US": "us", "CT": "ct", "MR": "mr", "CR": "xr", "DX": "xr", "RG": "xr",
                                         "RF": "xr"}


_UROGRAPHY = re.compile(r"urogra|pyelogra|\bivu\b|\bivp\b|\bctu\b", re.IGNORECASE)
# words with which a text that names urography does not say the study was one ("CT urogram recommended", "compare
# prior IVU", "not a urography"): the study is then read as the plain modality its code gives
_NOT_THIS_STUDY = re.compile(r"\b(not|no|without|recommend\w*|suggest\w*|consider\w*|advis\w*|compar\w*|prior|"
                             r"previous|earlier|old|follow[- ]?up|planned|pending|request\w*|if|would|should|"
                             r"could|may)\b", re.IGNORECASE)


# how a study's contrast is named ("with and without contrast", "no oral contrast", "w/o IV contrast"): the words
# "without" and "no" there say nothing of whether the study was a urography (interop review 16: "CT UROGRAM WITH
# AND WITHOUT CONTRAST", the usual order name, was read as plain CT)
_CONTRAST_PHRASE = re.compile(r"\b(?:(?:with(?:out)?|w/o|wo|w/|no|non|and|or|&|iv|i\.v\.|oral|intravenous)"
                              r"[\s,/&+-]*)+contrast\b", re.IGNORECASE)


def _says_urography(text: str) -> bool:
    """Whether a study's text says it was a urography, not merely naming one (recommended, compared)."""
    return bool(_UROGRAPHY.search(text)) and not _NOT_THIS_STUDY.search(_CONTRAST_PHRASE.sub(" contrast", text))


def _study_modalities(resource: dict[str, Any], read_as_urography: list[str] | None = None) -> set[Modality]:
    """The modalities of an ImagingStudy that nephrocalc knows: the study's and its series'. DICOM has no code for
    urography, so a CT or radiograph study whose description or procedure says urography (CT urography, IVU, IVP)
    is CT urography or IVU, the studies that can show tubular ectasia absent (FHIR consistency review); not when the
    text only mentions one (recommended, compared, not done: black-box review 9). The text read so is added to
    ``read_as_urography``, for the note that says so."""
    found = {DICOM_MODALITIES[code] for value in _modality_values(resource) for code in _modality_codes(value)
             if code in DICOM_MODALITIES}
    words = [str(resource.get("description", ""))]
    words += [str(series.get("description", "")) for series in _items(resource.get("series"))
              if isinstance(series, dict)]
    for concept in _items(resource.get("procedureCode")):
        if isinstance(concept, dict):
            words.append(str(concept.get("text", "")))
            words += [str(c.get("display", "")) for c in _items(concept.get("coding")) if isinstance(c, dict)]
    saying = next((text for text in words if _says_urography(text)), None)
    if saying is not None and found & {"ct", "xr"}:
        found = {"ctu" if m == "ct" else "ivu" if m == "xr" else m for m in found}
        if read_as_urography is not None:
            read_as_urography.append(saying.strip()[:80])
    return found


# the words of an ImagingStudy that say it imaged the kidneys (or the abdomen, where they lie)
_KIDNEY_REGION = re.compile(r"kidney|renal|nephr|abdom|urinar|urogra|pyelogra|retroperiton|flank|\bkub\b|ureter|"
                            r"bladder|upper quadrant|\bivu\b|\bivp\b|\bctu\b", re.IGNORECASE)
# the words of a study of another body part, where no body site is coded
_OTHER_REGION = re.compile(r"\b(head|brain|skull|sinus\w*|dental|neck|thyroid|chest|thora\w*|lungs?|cardiac|heart|"
                           r"echocardio\w*|breast|mammo\w*|shoulder|clavicle|arm|elbow|wrist|hand|finger|hip|knee|"
                           r"leg|ankle|foot|feet|toe|spine|cervical|obstetric|fetal|pregnan\w*)\b", re.IGNORECASE)
# SNOMED CT body sites of the kidneys and the abdomen
KIDNEY_SITES = frozenset({"64033007", "9846003", "18639004", "17373004", "113345001", "818983003"})


def _other_body_part(resource: dict[str, Any]) -> str | None:
    """The body part an ImagingStudy names when it is not the kidneys' region (a knee radiograph, an
    echocardiogram), or None: a series bodySite (an R4 Coding, an R5 CodeableReference) or, where none is coded,
    the words of its description or procedure. A study that says nothing of where it looked is kept."""
    words = [str(resource.get("description", ""))]
    sites: list[tuple[str, str]] = []  # (code, words) of each series bodySite
    for series in _items(resource.get("series")):
        if not isinstance(series, dict):
            continue
        words.append(str(series.get("description", "")))
        site = series.get("bodySite")
        if isinstance(site, dict):
            concept = site.get("concept") if isinstance(site.get("concept"), dict) else None
            codings = [c for c in _items(concept.get("coding")) if isinstance(c, dict)] if concept else [site]
            text = str(concept.get("text", "")) if concept else ""
            for coding in codings:
                sites.append((str(coding.get("code", "")), f"{coding.get('display', '')} {text}".strip()))
            if not codings and text:
                sites.append(("", text))
    for concept in _items(resource.get("procedureCode")):
        if isinstance(concept, dict):
            words.append(str(concept.get("text", "")))
            words += [str(c.get("display", "")) for c in _items(concept.get("coding")) if isinstance(c, dict)]
    if any(code in KIDNEY_SITES or _KIDNEY_REGION.search(text) for code, text in sites):
        return None
    if any(_KIDNEY_REGION.search(text) for text in words):
        return None
    named = [text or f"body site {code}" for code, text in sites if code or text]
    if named:
        return named[0][:40]
    for text in words:
        found = _OTHER_REGION.search(text)
        if found:
            return found.group(0).lower()
    return None


def _study_unread_modalities(resource: dict[str, Any]) -> list[str]:
    """The modalities of an ImagingStudy that give no case modality: a DICOM code nephrocalc does not use (NM,
    PT) or a value that is not a Coding, said rather than dropped without a word."""
    unread: list[str] = []
    for value in _modality_values(resource):
        codes = _modality_codes(value)
        if not isinstance(value, dict):
            unread.append(f"{str(value)[:40]!r} (not a Coding)")
        elif not any(code in DICOM_MODALITIES for code in codes):
            unread.append(f"{', '.join(code[:20] for code in codes) or 'without a code'} (DICOM modalities read: "
                          + ", ".join(DICOM_MODALITIES) + ")")
    return sorted(set(unread))


def _modality_values(resource: dict[str, Any]) -> list[Any]:
    """The modality values of an ImagingStudy and of its series, as given (a study's single value that is not
    a list included, so that it can be said)."""
    study = resource.get("modality")
    values = list(study) if isinstance(study, list) else [] if study is None else [study]
    return values + [series.get("modality") for series in _items(resource.get("series"))
                     if isinstance(series, dict) and series.get("modality") is not None]


def _modality_codes(value: object) -> list[str]:
    """The DICOM codes of a modality: a Coding (R4) or a CodeableConcept of Codings (R5)."""
    if not isinstance(value, dict):
        return []
    codings = [value] if "code" in value else [c for c in _items(value.get("coding")) if isinstance(c, dict)]
    return [str(c.get("code", "")).upper() for c in codings if c.get("code")]


def _shown(concept: CodeableConcept) -> str:
    """A concept as listed among the codes that map to nothing: system|code display, or its text."""
    return "; ".join(f"{c.system or '?'}|{c.code} {c.display}".strip() for c in concept.coding) or concept.text


PYURIA = "HP:0012085"  # Pyuria: with negative routine cultures it is sterile pyuria (HP:0100586, below it)
URINE_CULTURE = frozenset({"630-4"})  # LOINC Bacteria identified in Urine by Culture
_NO_GROWTH = ("no growth", "no bacterial growth", "no significant growth", "sterile", "culture negative",
              "no organisms", "no bacteria")
_GREW = re.compile(r";|\bbut\b|\bcfu\b|10\^|>|\bgrew\b|\bisolated\b|\bpositive\b")


def _sterile_pyuria_part(kb: KnowledgeBase, resource: dict[str, Any], concept: CodeableConcept, absent: bool) -> str:
    """Which half of a sterile pyuria a resource that maps to no clue states: "pyuria" (HPO Pyuria, a SNOMED CT concept
    HPO cross-references to it, or the word itself, stated present), "culture" (a routine urine culture that grew
    nothing), "grew" (one with another result, which denies it), or ""."""
    if resource.get("resourceType") == "Observation" and any(
            c.system.rstrip("/") == LOINC and c.code in URINE_CULTURE for c in concept.coding):
        says = _value_says(resource)
        words = [folded_name(text) for text in (_concept(resource.get("valueCodeableConcept")).text,
                                                 resource.get("valueString")) if isinstance(text, str) and text.strip()]
        # a text that goes on to name a growth ("No growth of Candida; E. coli >10^5 CFU/mL") is no negative culture
        negative = (says is not None and says[0] == "absent") or any(
            w.startswith(_NO_GROWTH) and not _GREW.search(w) for w in words)
        # a culture that grew something (or says so in words not read) denies the pyuria is sterile (robustness round
        # 87: a positive culture beside a negative one was passed over, and sterile pyuria read)
        return "culture" if negative else "grew" if says is not None or words else ""
    if absent:
        return ""
    terms = {_hpo_code(c) for c in concept.coding}
    if PYURIA in terms or folded_name(concept.text) == "pyuria" or any(
            c.system.rstrip("/") == SNOMED and PYURIA in kb.snomed_hpo.get(c.code, ()) for c in concept.coding):
        return "pyuria"
    return ""


# the code systems of a laboratory's flag: HL7's interpretation codes (v3, v2 table 0078, and their older URLs) and
# SNOMED CT's qualifiers, or no system; a code of another system ("N" of a local one, Not done) is read by its display
FLAG_SYSTEMS = frozenset({"", SNOMED, "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                          "http://hl7.org/fhir/v3/ObservationInterpretation",
                          "http://terminology.hl7.org/CodeSystem/v2-0078", "http://hl7.org/fhir/v2/0078"})


def _flag_states(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """What a lab Observation given without a value says of its result by a flag: each ("high" | "low" | "normal",
    the code or word that says it) of its valueCodeableConcept, valueString and interpretation, the codes of a flag's
    systems (FLAG_SYSTEMS) and the words of a display or text alike, so that a code and words that disagree (N
    written "High") are seen to. Empty when none of them is a flag (a "Positive", an "Abnormal")."""
    found: list[tuple[str, str]] = []
    concepts = [resource.get("valueCodeableConcept"), *_items(resource.get("interpretation"))]
    for concept in concepts:
        if not isinstance(concept, dict):
            continue
        for coding in _items(concept.get("coding")):
            if not isinstance(coding, dict):
                continue
            system = str(coding.get("system", "")).strip().rstrip("/")
            code = str(coding.get("code", "")).strip() if SYSTEM_ALIASES.get(system.lower(), system) \
                in FLAG_SYSTEMS else ""
            display = str(coding.get("display", ""))
            shown = str(coding.get("code", "")).strip()[:20] or display.strip()[:20]  # its code, else its words
            found.extend((level, shown) for level in dict.fromkeys((flag_level(code, "") if code else None,
                                                                    flag_level("", display))) if level is not None)
        text = concept.get("text")
        if isinstance(text, str) and (level := flag_level("", text)) is not None:
            found.append((level, text.strip()[:20]))
    text = resource.get("valueString")
    if isinstance(text, str) and (level := flag_level("", text)) is not None:
        found.append((level, text.strip()))
    return found


def _lab_flags(resource: dict[str, Any]) -> list[str]:
    """The interpretation of a lab Observation as the laboratory flagged it: its codes (H, L, A and kin, and N, NEG,
    POS, any other), else its text. Not read, and said: a calcium of 11.8 mg/dL flagged N was read as hypercalcaemia
    without a word where the same value flagged H was said (robustness round 60)."""
    found: list[str] = []
    for interpretation in _items(resource.get("interpretation")):
        if not isinstance(interpretation, dict):
            continue
        codes = [str(c.get("code", "")).strip().upper()[:10] for c in _items(interpretation.get("coding"))
                 if isinstance(c, dict) and str(c.get("code", "")).strip()]
        text = interpretation.get("text")
        found.extend(codes or ([shown_value(text.strip()[:20])] if isinstance(text, str) and text.strip() else []))
    # the flag a laboratory feed writes after the value in its text ("11.2 mg/dL L"), set aside from the unit: the
    # value is read and the flag is not, as an interpretation's; it was dropped unsaid, a calcium of 11.2 mg/dL the
    # laboratory flagged low read as hypercalcaemia without a word (robustness round 91)
    written = resource.get("valueString")
    if isinstance(written, str) and _VALUE_TEXT.match(written) and (flag := _FLAG.search(written.rstrip())):
        found.append(f"{flag.group(0).strip()} in the valueString")
    return sorted(set(found))


def _items(value: object) -> list[Any]:
    """A JSON array's items; anything else (absent, null, a number in a malformed document) is none."""
    return value if isinstance(value, list) else []


def _withdrawn(resource: dict[str, Any]) -> bool:
    """A resource entered in error or cancelled, or (a Condition) verified as an error, or a Procedure not done, only
    in preparation or of unknown status: dialysis not done on one day is no evidence that the kidneys work, and a
    transplant being prepared has not happened (fuzz review 44: a transplant of status unknown gave one)."""
    return (resource.get("status") in ("entered-in-error", "cancelled")
            or (resource.get("resourceType") == "Procedure"
                and resource.get("status") in ("not-done", "preparation", "unknown"))
            # an imaging study only registered has no images yet; one of unknown status may never have been done
            or (resource.get("resourceType") == "ImagingStudy" and resource.get("status") in ("registered", "unknown"))
            # a result or report only registered has no result yet (FHIR R4 observation-status, diagnostic-report-
            # status): a value it carries is not one (interop review 48: a bicarbonate "registered" made dRTA first)
            or (resource.get("resourceType") in ("Observation", "DiagnosticReport")
                and resource.get("status") == "registered")
            # a relative whose health is unknown says nothing of the family's (fuzz review 44)
            or (resource.get("resourceType") == "FamilyMemberHistory" and resource.get("status") == "health-unknown")
            or resource.get("notDone") is True  # FHIR STU3's field for a procedure not done
            or "entered-in-error" in _verification_codes(resource))


# the clinicalStatus codes of a Condition of the past ("abated": an abatement given without a status)
PAST_STATUSES = frozenset({"resolved", "inactive", "remission", "abated"})
# the elements FHIR marks as modifiers (isModifier) in the resources read: misspelt, one would be dropped while it
# may negate the resource (a verificationStatus "refuted", a status "entered-in-error", doNotPerform)
MODIFIER_ELEMENTS = frozenset({"status", "verificationStatus", "clinicalStatus", "intent", "doNotPerform", "taken",
                               "notGiven", "notDone"})
# FHIR R4 condition-clinical codes (and "abated", this reader's own for an abatement without a status)
CURRENT_STATUSES = frozenset({"active", "recurrence", "relapse"})
CLINICAL_STATUSES = frozenset({*CURRENT_STATUSES, *PAST_STATUSES})


def _clinical_status(resource: dict[str, Any]) -> set[str]:
    """The codes of a Condition's clinicalStatus (a CodeableConcept in R4, a code alone in STU3). A Condition
    with an abatement and no status has abated: FHIR requires inactive, resolved or remission then (con-4)."""
    status = resource.get("clinicalStatus")
    if isinstance(status, str):
        return {status}
    if status is not None and not isinstance(status, dict):  # 1.5, a list: said, not read as active unsaid
        return {f"not a code: {shown_value(status)[:30]}"}
    codes = ({str(c.get("code")) for c in _items(status.get("coding")) if isinstance(c, dict) and c.get("code")}
             if isinstance(status, dict) else set())
    if not codes and isinstance(status, dict) and isinstance(status.get("text"), str) and status["text"].strip():
        # a status in words only (robustness round 53: "resolved" in text was read as current, unsaid): a word that
        # is a FHIR code is read as that code, and the loop says the status was not coded
        word = status["text"].strip().lower()
        return {word if word in CLINICAL_STATUSES else f"text {status['text'].strip()[:40]!r}"}
    if not codes and isinstance(status, dict) and status.get("coding") not in (None, [], {}):
        # codings with no code that can be read (a code 0 or "", a coding that is a string): said, as a status that
        # is no object is, not read as active unsaid (robustness round 86)
        return {f"not a code: {shown_value(status['coding'])[:30]}"}
    if not codes and any(key.startswith("abatement") and resource[key] not in (False, None, "", {})
                         for key in resource):
        return {"abated"}
    return codes


def _status_in_words(resource: dict[str, Any]) -> str:
    """A Condition's clinicalStatus given as text with no coding ("" when it has a code or none at all)."""
    status = resource.get("clinicalStatus")
    if not isinstance(status, dict) or any(isinstance(c, dict) and c.get("code") for c in _items(status.get("coding"))):
        return ""
    text = status.get("text")
    return text.strip()[:40] if isinstance(text, str) else ""


# the code system of a Condition's verificationStatus (FHIR R4 condition-ver-status): a code of another system is not
# read as one of these, though it be spelt "refuted" (fuzz review 59: a local system's "refuted" was trusted)
VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
# what each code says of the finding: two codings saying different things contradict each other
_VERIFICATION_MEANINGS = {"confirmed": "confirmed", "refuted": "refuted", "unconfirmed": "suspected",
                          "provisional": "suspected", "differential": "suspected",
                          "entered-in-error": "entered in error"}


def _status_codings(resource: dict[str, Any]) -> list[dict[str, Any]]:
    status = resource.get("verificationStatus")
    return [c for c in _items(status.get("coding")) if isinstance(c, dict)] if isinstance(status, dict) else []


def _is_verification_system(coding: dict[str, Any]) -> bool:
    """A coding of FHIR's condition-ver-status, or one with no system (as many exports write it)."""
    system = coding.get("system")
    return system in (None, "") or (isinstance(system, str) and system.strip().rstrip("/") == VERIFICATION_SYSTEM)


def _verification_codes(resource: dict[str, Any]) -> set[str]:
    """The codes of a resource's verificationStatus: a CodeableConcept's (R4) codings of FHIR's own code system (or
    of none), or a code written alone (STU3). A code that is not a string is kept as written, to be reported."""
    status = resource.get("verificationStatus")
    if isinstance(status, str):
        return {status} if status else set()
    codes = (c.get("code") for c in _status_codings(resource) if _is_verification_system(c))
    return {code if isinstance(code, str) else shown_value(code) for code in codes if code not in (None, "")}


def _verification_problem(resource: dict[str, Any]) -> str:
    """Why a verificationStatus cannot be read ("" when it can): codings of FHIR's code system that say different
    things (confirmed and refuted), or a status coded only in another system, whose codes are not FHIR's though they
    be spelt alike; a coding of another system beside FHIR's is a translation, unless it is spelt as a FHIR code
    that says otherwise."""
    codings = _status_codings(resource)
    own = _verification_codes(resource) if codings else set()
    others = [(str(c.get("system"))[:60], c.get("code")) for c in codings if not _is_verification_system(c)]
    meanings = {_VERIFICATION_MEANINGS[code] for code in own if code in _VERIFICATION_MEANINGS}
    spelt = {_VERIFICATION_MEANINGS[code] for _, code in others if isinstance(code, str) and code in
             _VERIFICATION_MEANINGS}
    if len(meanings) > 1 or (meanings and spelt - meanings):
        said = sorted(own) + [f"{code} of {system}" for system, code in others if code in _VERIFICATION_MEANINGS]
        return f"verificationStatus codings that contradict each other: {', '.join(said)}"
    if not own and others:
        return ("verificationStatus coded only in another system than FHIR's condition-ver-status: "
                + ", ".join(f"{code[:40] if isinstance(code, str) else shown_value(code)} of {system}"
                            for system, code in others[:3]))
    return ""


def _unconfirmed(resource: dict[str, Any]) -> bool:
    """A Condition whose verificationStatus is unconfirmed, provisional or differential."""
    return bool(_verification_codes(resource) & {"unconfirmed", "provisional", "differential"})


def _unreadable_finding_value(resource: dict[str, Any], kb: KnowledgeBase) -> str:
    """Why the result of an Observation of a finding cannot be read ("" when it can): a result left out
    (dataAbsentReason), a valueBoolean that is not a boolean, or a valueString that says neither present nor
    absent ("maybe", ""). An Observation with a quantity or components is a lab, read elsewhere; one with no
    value states its finding."""
    components = [c for c in _items(resource.get("component")) if isinstance(c, dict)]
    if any(_component_lab(kb, component) is not None for component in components):
        return ""  # a panel of labs, read elsewhere
    if "valueQuantity" in resource and any(c.system.rstrip("/") == LOINC and c.code in kb.loinc_labs
                                           for c in _concept(resource.get("code")).coding):
        return ""  # a lab, read elsewhere
    # only an Observation whose own code is a finding of the vocabulary: a smoking status, a sexual orientation or a
    # urine's appearance is no finding's result, and is listed among the codes not mapped
    # (or one named word for word, which is read as that finding: robustness round 86, a text "Hypercalcemia" with a
    # valueQuantity, or a valueString "maybe", was read as the finding present where its HPO code was not)
    concept = _concept(resource.get("code"))
    if not any(_coded(kb, coding, False) is not None for coding in concept.coding) \
            and _concept_named(kb, concept) is None:
        return ""
    values = [key for key in resource if key.startswith("value")]
    if not values and resource.get("dataAbsentReason") is not None:
        return "no result: dataAbsentReason"
    given = [key for key in values if resource[key] is not None]
    if len(given) > 1:
        # FHIR allows one value[x]: valueBoolean true beside valueString "no" was read by one of them, without a word
        # (robustness round 84), where a lab's Observation with two is left unused (robustness round 72)
        return f"gives {' and '.join(given)}; FHIR allows one value[x], so neither is used"
    if components and not values:
        # a finding whose result sits in components the reader does not read (one may say "definitely not
        # present"; black-box review 51): not read as present
        return "its components are not read (a finding's result is its value)"
    if "valueBoolean" in resource and not isinstance(resource["valueBoolean"], bool):
        return f"valueBoolean {shown_value(resource['valueBoolean'])} is not true or false"
    if "valueString" in resource:
        text = resource["valueString"]
        if not isinstance(text, str):
            return f"valueString {shown_value(text)} is not text"
        said = text.strip().lower().rstrip(".")
        if not (said in ABSENT_WORDS or said in PRESENT_WORDS or said.startswith(ABSENT_PREFIXES)
                or said.startswith(PRESENT_PREFIXES)):
            return f"valueString {shown_value(text)} says neither present nor absent"
    if "valueCodeableConcept" in resource and not isinstance(resource["valueCodeableConcept"], dict):
        return f"valueCodeableConcept {shown_value(resource['valueCodeableConcept'])} is not a CodeableConcept"
    if isinstance(value := resource.get("valueCodeableConcept"), dict):
        codes, words = _value_terms(value)
        if codes & UNKNOWN_CODES or words & UNKNOWN_WORDS:
            return "valueCodeableConcept says unknown"
        findings = [_coded(kb, coding, False) for coding in _concept(value).coding]  # the value is the finding
        if (codes or words) and not (codes & (ABSENT_CODES | PRESENT_CODES) or words & (ABSENT_WORDS | PRESENT_WORDS)
                                     or any(w.startswith(ABSENT_PREFIXES + PRESENT_PREFIXES) for w in words)
                                     or any(found is not None for found in findings)):
            # "Maybe", "Low": a value that says neither is not read as the finding present
            shown = sorted(words)[0] if words else sorted(codes)[0]
            return f"valueCodeableConcept {shown_value(shown)} says neither present nor absent"
    # a quantity too (black-box review 51: a valueQuantity of 0 on a finding was read as the finding present)
    if any(key in resource for key in ("valueQuantity", "valueInteger", "valueDecimal", "valueRatio", "valueRange")):
        return "a number is not a present or absent finding"
    # an interpretation that says the result is neither (indeterminate, equivocal, unknown), as such a value would
    # (robustness round 78: tuberculosis interpreted IND was read as present)
    for interpretation in _items(resource.get("interpretation")):
        if isinstance(interpretation, dict):
            codes, words = _value_terms(interpretation)
            if {code.upper() for code in codes} & _INTERPRETATION_NEITHER or codes & UNKNOWN_CODES \
                    or words & UNKNOWN_WORDS:
                shown = sorted(words)[0] if words else sorted(codes)[0].upper()
                return f"its interpretation {shown[:40]!r} says neither present nor absent"
    # a value and an interpretation that say opposite things (valueBoolean true, interpretation NEG): which is right
    # cannot be known (fuzz review 59: the interpretation silently won)
    value_says, interpretation_says = _value_says(resource), _interpretation_says(resource)
    if value_says and interpretation_says and value_says[0] != interpretation_says[0]:
        return (f"its value says {value_says[0]} ({value_says[1]}) and its interpretation {interpretation_says[0]} "
                f"({interpretation_says[1]}): they contradict each other")
    return ""


def _value_says(resource: dict[str, Any]) -> tuple[str, str] | None:
    """Whether an Observation's value states its finding "present" or "absent", and the value as written; None when
    it has no such value."""
    if isinstance(resource.get("valueBoolean"), bool):
        said = "present" if resource["valueBoolean"] else "absent"
        return said, f"valueBoolean {shown_value(resource['valueBoolean'])}"
    value = resource.get("valueCodeableConcept")
    if isinstance(value, dict):
        codes, words = _value_terms(value)
        shown = f"valueCodeableConcept {(_shown(_concept(value)) or ', '.join(sorted(words | codes)))[:40]}"
        if codes & ABSENT_CODES or words & ABSENT_WORDS or any(w.startswith(ABSENT_PREFIXES) for w in words):
            return "absent", shown
        if codes & PRESENT_CODES or words & PRESENT_WORDS or any(w.startswith(PRESENT_PREFIXES) for w in words):
            return "present", shown
    text = resource.get("valueString")
    if isinstance(text, str):
        said = text.strip().lower().rstrip(".")
        if said in ABSENT_WORDS or said.startswith(ABSENT_PREFIXES):
            return "absent", f"valueString {shown_value(text)}"
        if said in PRESENT_WORDS or said.startswith(PRESENT_PREFIXES):
            return "present", f"valueString {shown_value(text)}"
    return None


# v3 ObservationInterpretation codes that state a finding absent or present
_INTERPRETATION_ABSENT = frozenset({"NEG", "N", "ND"})
_INTERPRETATION_PRESENT = frozenset({"POS", "DET"})
# and that say neither: indeterminate, equivocal
_INTERPRETATION_NEITHER = frozenset({"IND", "E"})


def _interpretation_says(resource: dict[str, Any]) -> tuple[str, str] | None:
    """Whether an Observation's interpretation states its finding "absent" (NEG, N, ND, or a negative code or word)
    or "present" (POS, DET, or a positive code or word), and the codes or words that say so; None when it says
    neither, or both."""
    found: dict[str, list[str]] = {}
    for interpretation in _items(resource.get("interpretation")):
        if not isinstance(interpretation, dict):
            continue
        codes, words = _value_terms(interpretation)
        upper = {code.upper() for code in codes}
        if upper & _INTERPRETATION_ABSENT or codes & ABSENT_CODES or words & ABSENT_WORDS \
                or any(w.startswith(ABSENT_PREFIXES) for w in words):
            found.setdefault("absent", []).extend(sorted(upper & _INTERPRETATION_ABSENT or codes | words))
        elif upper & _INTERPRETATION_PRESENT or codes & PRESENT_CODES or words & PRESENT_WORDS \
                or any(w.startswith(PRESENT_PREFIXES) for w in words):
            found.setdefault("present", []).extend(sorted(upper & _INTERPRETATION_PRESENT or codes | words))
    if len(found) != 1:
        return None
    said, what = next(iter(found.items()))
    return said, ", ".join(dict.fromkeys(what))[:60]


def _value_terms(value: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The codes and the words (displays and text, lower case) of a valueCodeableConcept."""
    codings = [c for c in _items(value.get("coding")) if isinstance(c, dict)]
    codes = {str(c.get("code", "")).lower() for c in codings}
    words = {str(c.get("display", "")).strip().lower().rstrip(".") for c in codings}
    words.add(str(value.get("text", "")).strip().lower().rstrip("."))
    words.discard("")
    return codes, words


def _is_absent(resource: dict[str, Any]) -> bool:
    """A refuted Condition, or an Observation stated negative (interpretation NEG, N or ND, valueBoolean false,
    or a negative or absent coded value, or a written one that clearly says so). A lab Observation with a value
    is read from its value."""
    if "refuted" in _verification_codes(resource):
        return True
    if resource.get("valueBoolean") is False:
        return True
    interpretations = resource.get("interpretation")
    if isinstance(interpretations, list):  # an Observation of a finding interpreted negative or normal
        codes = {str(c.get("code", "")).upper() for i in interpretations if isinstance(i, dict)
                 for c in _items(i.get("coding")) if isinstance(c, dict)}
        if codes & _INTERPRETATION_ABSENT:
            return True
        # the same negative in SNOMED CT, or only as a display or a text (black-box review 51: SNOMED 260385009
        # "Negative" and a text "negative" were read as the finding present)
        for interpretation in interpretations:
            if isinstance(interpretation, dict):
                found, words = _value_terms(interpretation)
                if found & ABSENT_CODES or words & ABSENT_WORDS or any(w.startswith(ABSENT_PREFIXES) for w in words):
                    return True
    # an Observation coded "clinical finding absent" (SNOMED CT 373572006) whose value is the finding
    if resource.get("resourceType") == "Observation" and any(
            c.system.rstrip("/") == SNOMED and c.code == FINDING_ABSENT for c in _concept(resource.get("code")).coding):
        return True
    value = resource.get("valueCodeableConcept")
    if isinstance(value, dict):
        codes, words = _value_terms(value)
        if codes & ABSENT_CODES or words & ABSENT_WORDS or any(w.startswith(ABSENT_PREFIXES) for w in words):
            return True
    text = resource.get("valueString")
    if not isinstance(text, str):
        return False
    said = text.strip().lower().rstrip(".")
    return said in ABSENT_WORDS or said.startswith(ABSENT_PREFIXES)


# SNOMED CT Clinical finding absent: an Observation with this code states its value (a finding) absent
FINDING_ABSENT = "373572006"
# A coded or written value that says the finding is not there: SNOMED CT Negative (260385009), Absent
# (2667000) and No (373067005); LOINC answers Negative (LA6577-6) and No (LA32-8); HL7 v2 table 0136 N (No)
ABSENT_CODES = frozenset({"260385009", "2667000", "373067005", "260415000", "la6577-6", "la32-8", "negative",
                          "absent", "n",
                          "410516002", "410594000"})  # SNOMED CT Known absent, Definitely NOT present
# a coded or written value that says the result is not known: SNOMED CT Unknown (261665006), HL7 UNK
UNKNOWN_CODES = frozenset({"261665006", "unk", "unknown", "asku", "nask"})
UNKNOWN_WORDS = frozenset({"unknown", "not known", "uncertain", "unsure", "indeterminate", "equivocal", "inconclusive"})
ABSENT_WORDS = frozenset({"negative", "absent", "no", "not detected", "not present", "none", "neg", "nil", "normal",
                          "false"})
# a written result that clearly says absent: not "no " or "not " alone ("not done", "not sure", "no change" and
# "not excluded" say nothing of the finding, and are listed as results not read)
ABSENT_PREFIXES = ("negative", "absent", "none ", "no evidence", "no sign", "not detected", "not present", "not seen",
                   "not found", "not identified", "not demonstrated")
# a result that states the finding: positive, present, yes, detected (and "+" as dipsticks write it)
PRESENT_WORDS = frozenset({"positive", "present", "yes", "detected", "pos", "+", "++", "+++", "trace", "abnormal",
                           "true"})
# a coded value that states the finding: SNOMED CT Positive (10828004), Present (52101004), Yes (373066001);
# LOINC answers Positive (LA6576-8) and Yes (LA33-6); HL7 v2 table 0136 Y (Yes)
PRESENT_CODES = frozenset({"10828004", "52101004", "373066001", "la6576-8", "la33-6", "positive", "present", "y",
                           "yes"})
PRESENT_PREFIXES = ("positive", "present", "detected", "yes")
