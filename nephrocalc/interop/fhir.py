"""FHIR R4 in: a Bundle (or a single Patient, or a list of resources) read into a validated ``Case``.

- the Patient's ``gender`` and ``birthDate`` give the sex and the age, at the date of the latest
  dated Observation or Condition or, failing that, the Bundle's ``timestamp``; without a birthDate, an
  Observation of the age (LOINC 30525-0, 21612-7, 29553-5) or the ``onsetAge`` of the nephrocalcinosis
  Condition; a birthDate with no date to take the age at is reported, not used; the nephrocalcinosis
  Condition's ``onsetAge`` (or ``onsetDateTime`` with the birthDate), when earlier, becomes
  ``onset_age_years``, the age at which the causes are weighed;
- Observations coded with LOINC (system http://loinc.org) with a ``valueQuantity`` become labs (UCUM
  units), as do the LOINC-coded ``component`` values of a panel Observation;
- Observations or Conditions coded with HPO (system http://purl.obolibrary.org/obo/hp.owl, or a code
  written HP:nnnnnnn) become clues, or the pattern, through the same HPO mapping as phenopackets; those
  coded in SNOMED CT (http://snomed.info/sct) through the concepts each clue lists (clues.toml
  ``snomed``; exact codes: no SNOMED hierarchy is bundled); a Condition whose ``verificationStatus`` is
  refuted, or an Observation whose ``interpretation`` or value says absent, gives the clue as absent; one
  only suspected (unconfirmed, provisional, differential) is listed in a note, not used;
- a DiagnosticReport's ``conclusionCode`` (HPO or SNOMED CT) gives findings or the pattern, as a Condition
  would; a Procedure's code gives its clue too (dialysis, a kidney transplant), absent when "not-done";
  an ImagingStudy's DICOM modality (US, CT, MR; CR, DX, RG as radiograph) gives the modality when
  the studies agree on one (several: none is set, and a warning says so);
- MedicationStatement, MedicationRequest, MedicationAdministration and MedicationDispense resources
  give exposure clues from the medication's name (its text or coding display, or the Medication it
  references): every agent of the vocabulary (clues.toml ``agents``) found in it; a statement
  "not-taken" gives the exposure as absent.

The resources are read as plain JSON through pydantic models of the parts used (``fhir.resources``
would validate every field of every resource, which this needs not). Codes that map to nothing are
listed in a warning, never dropped silently.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from nephrocalc.case import Case, Lab
from nephrocalc.errors import InputError
from nephrocalc.interop.phenopacket import (
    NEPHROCALCINOSIS,
    checked_labs,
    clues_of_agent,
    clues_of_term,
    is_native_vitamin_d,
    lab_unit,
    native_vitamin_d_note,
    onset_of_nephrocalcinosis,
    pattern_of,
    years_between,
)
from nephrocalc.knowledge import KnowledgeBase
from nephrocalc.result import Note
from nephrocalc.vocab import Laterality, Modality, Sex

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
MEDICATIONS = ("MedicationStatement", "MedicationRequest", "MedicationAdministration", "MedicationDispense")
HPO_SYSTEMS = ("http://purl.obolibrary.org/obo/hp.owl", "http://human-phenotype-ontology.org",
               "https://hpo.jax.org", "http://purl.obolibrary.org/obo/hp")


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Coding(_Part):
    system: str = ""
    code: str = ""
    display: str = ""


class CodeableConcept(_Part):
    coding: list[Coding] = []
    text: str = ""


class Quantity(_Part):
    value: float
    unit: str = ""
    code: str = ""
    comparator: str = ""  # "<", "<=", ">=", ">": the value is a bound, read as the value with a note


def _hpo_code(coding: Coding) -> str | None:
    code = coding.code.strip()
    if code.startswith("HP:"):
        return code
    if coding.system.rstrip("/") in HPO_SYSTEMS and code.isdigit():
        return f"HP:{int(code):07d}"
    return None


# LOINC codes of an observed age: 30525-0 Age, 21612-7 Age - reported, 29553-5 Age calculated
AGE_LOINC = frozenset({"30525-0", "21612-7", "29553-5"})
_YEARS_PER = {"a": 1.0, "yr": 1.0, "y": 1.0, "year": 1.0, "years": 1.0, "mo": 1 / 12, "month": 1 / 12,
              "months": 1 / 12, "wk": 7 / 365.25, "week": 7 / 365.25, "weeks": 7 / 365.25, "d": 1 / 365.25,
              "day": 1 / 365.25, "days": 1 / 365.25}


def _years(quantity: object) -> float | None:
    """An Age or a Quantity of time (UCUM a, mo, wk, d; or the unit spelt out) in years; None otherwise."""
    if not isinstance(quantity, dict):
        return None
    value = quantity.get("value")
    unit = str(quantity.get("code") or quantity.get("unit") or "").strip().lower()
    per = _YEARS_PER.get(unit)
    if per is None or isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value * per <= 130:
        return None
    return float(value) * per


def _resources(data: dict[str, Any]) -> list[dict[str, Any]]:
    if data.get("resourceType") == "Bundle":
        if data.get("entry") is not None and not isinstance(data.get("entry"), list):
            raise InputError("fhir.entry", 'must be a list of entries, each {"resource": {...}}')
        return [entry["resource"] for entry in _items(data.get("entry")) if isinstance(entry, dict)
                and isinstance(entry.get("resource"), dict)]
    if isinstance(data.get("resources"), list):
        return [item for item in data["resources"] if isinstance(item, dict)]
    return [data]


def case_from_fhir(data: dict[str, Any], kb: KnowledgeBase) -> tuple[Case, list[Note]]:
    """A ``Case`` from a FHIR R4 Bundle (a JSON object), and the warnings of the mapping."""
    if not isinstance(data, dict) or not data.get("resourceType"):
        raise InputError("fhir", "must be a FHIR R4 resource (JSON object with a resourceType), e.g. a Bundle")
    resources = _resources(data)
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    patient = patients[0] if patients else None
    clues: dict[str, bool] = {}
    unread_drugs: list[str] = []  # medications that map to no exposure
    sides: set[Laterality] = set()  # the laterality the nephrocalcinosis resources' bodySite gives
    bounds: list[str] = []  # lab values given as a bound ("<3 pg/mL"), read as the value
    repeated: dict[str, int] = {}  # labs given more than once: the last one in the bundle is used
    labs: dict[str, Lab] = {}
    patterns: set[str] = set()
    seen_nc = False
    unmapped: list[str] = []
    dates: list[str] = []
    stated_age: float | None = None  # an Observation of the age (LOINC 30525-0 and kin)
    onset_age: float | None = None  # the onsetAge of the nephrocalcinosis Condition
    onset_date: str | None = None  # its onsetDateTime
    modalities: set[Modality] = set()  # from ImagingStudy (DICOM modality codes)
    unconfirmed: list[str] = []  # Conditions only suspected (unconfirmed, provisional, differential)
    nc_refuted = False  # nephrocalcinosis itself stated absent (a refuted Condition, a negative Observation)
    medications = {f"Medication/{r.get('id')}": r for r in resources if r.get("resourceType") == "Medication"}
    for resource in resources:
        kind = resource.get("resourceType")
        if kind in MEDICATIONS:
            name = _medication_name(resource, medications)
            meant = clues_of_agent(kb, name) if name else ()
            if not meant and is_native_vitamin_d(name):  # named in its own note
                unread_drugs.append(name)
            elif not meant:
                unmapped.append(f"{kind} {name or 'without a readable medication'}")
            taken = resource.get("status") not in ("not-taken", "entered-in-error", "cancelled")
            for clue in meant:
                clues[clue] = clues.get(clue, False) or taken
            continue
        if kind == "FamilyMemberHistory" and not _withdrawn(resource):  # a relative's conditions
            for item in _items(resource.get("condition")):
                concept = _concept(item.get("code") if isinstance(item, dict) else None)
                relatives = {FAMILY_CLUES[clue] for coding in concept.coding
                             for clue in (_coded(kb, coding, False) or (None, ()))[1] if clue in FAMILY_CLUES}
                for clue in sorted(relatives):
                    if clue in kb.clues:
                        clues[clue] = True
                if not relatives:
                    unmapped.append(f"FamilyMemberHistory condition {_shown(concept) or 'without a readable code'}")
            continue
        if kind == "ImagingStudy" and not _withdrawn(resource):
            modalities.update(_study_modalities(resource))
            if isinstance(resource.get("started"), str):
                dates.append(resource["started"])
            continue
        if kind == "DiagnosticReport" and not _withdrawn(resource):  # a report's coded conclusions are findings
            when = resource.get("effectiveDateTime") or resource.get("issued")
            if isinstance(when, str):
                dates.append(when)
            for item in _items(resource.get("conclusionCode")):
                try:
                    conclusion = CodeableConcept.model_validate(item)
                except ValidationError:
                    continue
                mapped = next((m for m in (_coded(kb, c, False) for c in conclusion.coding) if m is not None), None)
                if mapped is None:
                    unmapped.append(f"DiagnosticReport conclusion {_shown(conclusion)}")
                    continue
                seen_nc, patterns = _apply(mapped, False, clues, seen_nc, patterns)
            continue
        if kind not in ("Observation", "Condition", "Procedure") or _withdrawn(resource):
            continue
        try:
            concept = CodeableConcept.model_validate(resource.get("code") or {})
        except ValidationError:
            unmapped.append(f"{kind} without a readable code")
            continue
        if kind == "Condition" and _unconfirmed(resource):  # a working or differential diagnosis: not a finding
            unconfirmed.append(_shown(concept) or "without a readable code")
            continue
        when = (resource.get("effectiveDateTime") or resource.get("recordedDate") or resource.get("onsetDateTime")
                or resource.get("performedDateTime"))
        if isinstance(when, str):
            dates.append(when)
        if kind == "Observation" and any(c.system.rstrip("/") == LOINC and c.code in AGE_LOINC
                                         for c in concept.coding):
            stated_age = _years(resource.get("valueQuantity"))
            if stated_age is None:
                unmapped.append("Observation age without a value in a unit of time")
            continue
        absent = _is_absent(resource)
        used = False
        for coding in concept.coding:
            if kind == "Observation" and coding.system.rstrip("/") == LOINC and coding.code in kb.loinc_labs:
                quantity = resource.get("valueQuantity")
                if isinstance(quantity, dict):
                    try:
                        value = Quantity.model_validate(quantity)
                    except ValidationError:
                        continue
                    lab_id = kb.loinc_labs[coding.code]
                    _read_lab(kb, lab_id, value, labs, bounds, repeated)
                    used = True
                    break
            mapped = _coded(kb, coding, absent)
            if mapped is not None:
                used = True
                seen_nc, patterns = _apply(mapped, absent, clues, seen_nc, patterns)
                nc_refuted = nc_refuted or (mapped[0] is not None and absent)
                if mapped[0] is not None and not absent:  # the nephrocalcinosis: its side from its body site
                    sides.update(_sides(resource))
                if mapped[0] is not None and not absent and kind == "Condition" and onset_age is None:
                    onset_age = _years(resource.get("onsetAge"))
                    if isinstance(resource.get("onsetDateTime"), str):
                        onset_date = resource["onsetDateTime"]
                break
        if kind == "Observation" and resource.get("component"):  # a panel's components, each a LOINC value
            unread: list[str] = []
            for component in _items(resource.get("component")):
                read = _component_lab(kb, component) if isinstance(component, dict) else None
                if read is None:
                    code = component.get("code") if isinstance(component, dict) else None
                    unread.append(f"Observation component {_shown(_concept(code)) or 'unreadable'}")
                    continue
                _read_lab(kb, read[0], read[1], labs, bounds, repeated)
                used = True
            if used:  # the rest of a panel that was read is listed; an unread panel is listed whole below
                unmapped.extend(unread)
        if not used and kind == "Observation":  # a finding given as the value: code "imaging finding" = X
            for coding in _concept(resource.get("valueCodeableConcept")).coding:
                mapped = _coded(kb, coding, absent)
                if mapped is not None:
                    used = True
                    seen_nc, patterns = _apply(mapped, absent, clues, seen_nc, patterns)
                    nc_refuted = nc_refuted or (mapped[0] is not None and absent)
                    break
        if not used:
            unmapped.append(f"{kind} {_shown(concept)}")
    sexes: dict[str, Sex] = {"female": "female", "male": "male"}
    sex = sexes.get(str(patient.get("gender", ""))) if patient else None
    age = None
    birth = patient.get("birthDate") if patient else None
    meta = data.get("meta")
    on = max(dates) if dates else data.get("timestamp") or (meta.get("lastUpdated") if isinstance(meta, dict) else None)
    notes: list[Note] = []
    if isinstance(birth, str) and isinstance(on, str):
        age = years_between(birth, on)
    if age is None:
        age = stated_age if stated_age is not None else onset_age
    if onset_age is None and onset_date is not None and isinstance(birth, str):
        onset_age = years_between(birth, onset_date)
    onset = onset_of_nephrocalcinosis(onset_age, age, notes)
    if age is None and isinstance(birth, str):
        notes.append({"id": "fhir_age_unknown", "sources": [],
                      "message": f"The Patient's birthDate ({birth[:10]}) was not used: no dated resource "
                      "(Observation effectiveDateTime, Condition recordedDate or onsetDateTime) or Bundle "
                      "timestamp gives the date to take the age at, so the age is unknown."})
    if isinstance(birth, str) and age is not None and len(birth.strip()) < 10:
        notes.append({"id": "fhir_birth_date_partial", "sources": [],
                      "message": f"The Patient's birthDate ({birth.strip()}) gives no day: the age was taken from the "
                      "middle of that year or month."})
    if len(patients) > 1:
        notes.append({"id": "fhir_several_patients", "sources": [],
                      "message": f"The bundle holds {len(patients)} Patient resources: the first one's gender and "
                      "birthDate were used, and every other resource was read as this one patient's."})
    if patient is not None and patient.get("gender") not in (None, "female", "male"):
        notes.append({"id": "fhir_sex_unknown", "sources": [],
                      "message": f"The Patient's gender is {str(patient.get('gender'))[:40]!r}: the sex was left "
                      "unknown (sex-specific priors and lab limits use their unknown-sex values)."})
    if bounds:
        notes.append({"id": "fhir_lab_bounds", "sources": [],
                      "message": "Lab values given as a bound were read as that value: " + "; ".join(bounds[:20])})
    if repeated:
        notes.append({"id": "fhir_labs_repeated", "sources": [],
                      "message": "Labs given more than once; the last in the bundle was used: "
                      + "; ".join(f"{lab_id} ({n} values)" for lab_id, n in sorted(repeated.items()))})
    native_vitamin_d_note(unread_drugs, notes)
    if unconfirmed:
        notes.append({"id": "fhir_conditions_unconfirmed", "sources": [],
                      "message": f"{len(unconfirmed)} Condition(s) only suspected (verificationStatus unconfirmed, "
                      "provisional or differential) were not used as findings: " + "; ".join(unconfirmed[:20])})
    if unmapped:
        notes.append({"id": "fhir_codes_not_mapped", "sources": [],
                      "message": f"{len(unmapped)} coded resource(s) map to no clue or lab and were not used: "
                      + "; ".join(unmapped[:20]) + ("; ..." if len(unmapped) > 20 else "")})
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
    modality: Modality | None = None
    if len(modalities) == 1:
        modality = next(iter(modalities))
    elif modalities:
        notes.append({"id": "fhir_modalities", "sources": [],
                      "message": f"The imaging studies use several modalities ({', '.join(sorted(modalities))}): "
                      "which one showed the calcification is not known, so no modality was set (give --modality)."})
    laterality = next(iter(sides)) if len(sides) == 1 else None
    if len(sides) > 1:
        notes.append({"id": "laterality_unknown", "sources": [],
                      "message": "The nephrocalcinosis is sited both in one kidney and in both kidneys: no "
                      "laterality was set."})
    case = Case(pattern=pattern, modality=modality, laterality=laterality,
                id=str(data.get("id") or (patient or {}).get("id") or "") or None,
                age_years=min(age, 130.0) if age is not None else None, onset_age_years=onset, sex=sex, clues=clues,
                labs=labs)
    return checked_labs(case, kb, notes, "fhir_observations_not_read"), notes


def _coded(kb: KnowledgeBase, coding: Coding, absent: bool) -> tuple[str | None, tuple[str, ...]] | None:
    """What one SNOMED CT or HPO coding means: (a nephrocalcinosis pattern name, or None; its clues), or
    None when it maps to nothing."""
    if coding.system.rstrip("/") == SNOMED and coding.code:
        named = kb.snomed_patterns.get(coding.code)
        if named is not None:
            return named, ()
        meant = kb.snomed_clues.get(coding.code, ())
        return (None, meant) if meant else None
    term = _hpo_code(coding)
    if term is None:
        return None
    named = kb.hpo_patterns.get(term)
    if named is not None:
        return named, ()
    meant = clues_of_term(kb, term, present=not absent)
    return (None, meant) if meant else None


def _apply(mapped: tuple[str | None, tuple[str, ...]], absent: bool, clues: dict[str, bool], seen_nc: bool,
           patterns: set[str]) -> tuple[bool, set[str]]:
    """Record a mapped coding: a present finding wins over an absent one of the same clue."""
    named, meant = mapped
    if named is not None and not absent:
        seen_nc = True
        if named != NEPHROCALCINOSIS:
            patterns.add(named)
    for clue in meant:
        clues[clue] = clues.get(clue, False) or not absent
    return seen_nc, patterns


def _medication_name(resource: dict[str, Any], medications: dict[str, dict[str, Any]]) -> str:
    """The name of the medication a medication resource is about: its medicationCodeableConcept, or the
    Medication it references (contained, or in the Bundle)."""
    concept = resource.get("medicationCodeableConcept")
    reference = resource.get("medicationReference")
    if not isinstance(concept, dict) and isinstance(reference, dict):
        target = str(reference.get("reference", ""))
        found = None
        if target.startswith("#"):
            found = next((c for c in _items(resource.get("contained")) if isinstance(c, dict)
                          and c.get("id") == target[1:]), None)
        else:
            found = medications.get(target) or medications.get(f"Medication/{target.rsplit('/', 1)[-1]}")
        concept = found.get("code") if isinstance(found, dict) else None
        if not isinstance(concept, dict) and isinstance(reference.get("display"), str):
            return str(reference["display"])
    if not isinstance(concept, dict):
        return ""
    try:
        parsed = CodeableConcept.model_validate(concept)
    except ValidationError:
        return ""
    return " ".join([parsed.text, *(c.display for c in parsed.coding)]).strip()


def _concept(data: Any) -> CodeableConcept:
    """A CodeableConcept, or an empty one when ``data`` is not a readable one."""
    try:
        return CodeableConcept.model_validate(data if isinstance(data, dict) else {})
    except ValidationError:
        return CodeableConcept()


def _read_lab(kb: KnowledgeBase, lab_id: str, value: Quantity, labs: dict[str, Lab], bounds: list[str],
              repeated: dict[str, int]) -> None:
    """One lab value of the bundle, in a unit the lab takes where the code or the unit text gives one; a
    bound ("<3") is read as its value, and a lab given again replaces the earlier value; both are noted."""
    unit = lab_unit(kb, lab_id, value.code, value.unit)
    if value.comparator:
        bounds.append(f"{lab_id} {value.comparator}{value.value:g} {unit}")
    if lab_id in labs:
        repeated[lab_id] = repeated.get(lab_id, 1) + 1
    labs[lab_id] = Lab(value=value.value, unit=unit)


def _component_lab(kb: KnowledgeBase, component: dict[str, Any]) -> tuple[str, Quantity] | None:
    """The lab an Observation component gives: a LOINC code of a lab, with a valueQuantity."""
    quantity = component.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None
    for coding in _concept(component.get("code")).coding:
        if coding.system.rstrip("/") == LOINC and coding.code in kb.loinc_labs:
            try:
                value = Quantity.model_validate(quantity)
            except ValidationError:
                return None
            return kb.loinc_labs[coding.code], value
    return None


# SNOMED CT body sites and laterality qualifiers of the nephrocalcinosis Condition or Observation
BODY_SITE_SIDES: dict[str, Laterality] = {
    "18639004": "unilateral",  # Left kidney structure
    "9846003": "unilateral",  # Right kidney structure
    "7771000": "unilateral",  # Left (qualifier)
    "24028007": "unilateral",  # Right (qualifier)
    "17373004": "bilateral",  # Both kidneys
    "51440002": "bilateral",  # Right and left (qualifier)
}


def _sides(resource: dict[str, Any]) -> set[Laterality]:
    """The laterality a resource's bodySite codes give (SNOMED CT), with their laterality qualifiers."""
    found: set[Laterality] = set()
    for site in _items(resource.get("bodySite")):
        concept = _concept(site)
        for coding in concept.coding:
            if coding.system.rstrip("/") == SNOMED and coding.code in BODY_SITE_SIDES:
                found.add(BODY_SITE_SIDES[coding.code])
    return found


# A relative's condition (FamilyMemberHistory) as the patient's family-history clue
FAMILY_CLUES = {"nephrolithiasis": "family_history_stones", "calcium_oxalate_stones": "family_history_stones",
                "calcium_phosphate_stones": "family_history_stones", "ckd": "family_history_kidney_failure",
                "hypercalcemia": "family_history_hypercalcemia"}


# DICOM modality codes (http://dicom.nema.org/resources/ontology/DCM) -> the case's modality
DICOM_MODALITIES: dict[str, Modality] = {"US": "us", "CT": "ct", "MR": "mr", "CR": "xr", "DX": "xr", "RG": "xr"}


def _study_modalities(resource: dict[str, Any]) -> set[Modality]:
    """The modalities of an ImagingStudy that nephrocalc knows: the study's and its series'."""
    codings = [c for c in _items(resource.get("modality")) if isinstance(c, dict)]
    codings += [series["modality"] for series in _items(resource.get("series"))
                if isinstance(series, dict) and isinstance(series.get("modality"), dict)]
    return {DICOM_MODALITIES[code] for c in codings if (code := str(c.get("code", "")).upper()) in DICOM_MODALITIES}


def _shown(concept: CodeableConcept) -> str:
    """A concept as listed among the codes that map to nothing: system|code display, or its text."""
    return "; ".join(f"{c.system or '?'}|{c.code} {c.display}".strip() for c in concept.coding) or concept.text


def _items(value: object) -> list[Any]:
    """A JSON array's items; anything else (absent, null, a number in a malformed document) is none."""
    return value if isinstance(value, list) else []


def _withdrawn(resource: dict[str, Any]) -> bool:
    """An Observation or Condition entered in error, cancelled, or (a Condition) verified as an error."""
    if resource.get("status") in ("entered-in-error", "cancelled"):
        return True
    status = resource.get("verificationStatus")
    if isinstance(status, dict):
        return any(isinstance(c, dict) and c.get("code") == "entered-in-error" for c in _items(status.get("coding")))
    return False


def _unconfirmed(resource: dict[str, Any]) -> bool:
    """A Condition whose verificationStatus is unconfirmed, provisional or differential."""
    status = resource.get("verificationStatus")
    return isinstance(status, dict) and any(
        isinstance(c, dict) and c.get("code") in ("unconfirmed", "provisional", "differential")
        for c in _items(status.get("coding")))


def _is_absent(resource: dict[str, Any]) -> bool:
    """A refuted Condition, a Procedure not done, or an Observation stated negative (interpretation NEG, N or
    ND, valueBoolean false, or a negative or absent coded value). A lab Observation with a value is read from
    its value."""
    status = resource.get("verificationStatus")
    if isinstance(status, dict):
        codes = {str(c.get("code", "")) for c in _items(status.get("coding")) if isinstance(c, dict)}
        if "refuted" in codes:
            return True
    if resource.get("resourceType") == "Procedure" and resource.get("status") == "not-done":
        return True
    if resource.get("valueBoolean") is False:
        return True
    interpretations = resource.get("interpretation")
    if isinstance(interpretations, list):  # an Observation of a finding interpreted negative or normal
        codes = {str(c.get("code", "")).upper() for i in interpretations if isinstance(i, dict)
                 for c in _items(i.get("coding")) if isinstance(c, dict)}
        if codes & {"NEG", "N", "ND"}:
            return True
    value = resource.get("valueCodeableConcept")
    if isinstance(value, dict):
        codes = {str(c.get("code", "")).lower() for c in _items(value.get("coding")) if isinstance(c, dict)}
        if codes & {"260385009", "negative", "absent", "n"}:
            return True
    return False
