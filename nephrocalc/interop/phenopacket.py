"""GA4GH Phenopacket v2 (JSON) in, and a phenopacket ``interpretations`` block out.

Mapping (CONTRACT.md section 8):
- ``subject.sex`` FEMALE/MALE -> sex (UNKNOWN_SEX: unknown; OTHER_SEX, or a value GA4GH does not define:
  unknown, with a note);
- the age from ``subject.timeAtLastEncounter`` (an ISO 8601 age; the middle of an age range; 0 for a
  gestational age; a timestamp with ``subject.dateOfBirth``), else from the onset of the
  nephrocalcinosis feature, else the latest onset of any present feature (a lower bound, with a note);
  an onset of the nephrocalcinosis feature earlier than the last encounter becomes ``onset_age_years``,
  the age at which the causes are weighed (a note says so); an age that cannot be read (not an ISO 8601
  duration PnYnMnD) or lies outside 0-130 years is not used, and a note names its field;
- each ``phenotypicFeatures[].type.id``: an HPO term of the vocabulary, or a descendant of one in the
  vendored HPO release (rules/hpo.toml), becomes its clue, false when ``excluded`` is true; an excluded
  term also rules out the clues whose terms all lie below it (excluding a term excludes its descendants),
  except a clue that only refines another (stone composition), with a note naming them when it rules out several;
  an excluded term above a feature stated present (Phenotypic abnormality beside the nephrocalcinosis) contradicts
  it and is not read, with a note naming its entry; the nephrocalcinosis terms give the pattern;
- a laterality modifier of the nephrocalcinosis feature (HPO Unilateral, Left, Right; Bilateral) gives
  the laterality;
- each ``measurements[]`` with a LOINC assay and a quantity becomes a lab (UCUM unit); a value that is
  not a JSON number (``true``, ``"11.9"``) is not read, with a note; an assay measured twice: the newest
  (by ``timeObserved``), except a calcium and its albumin, taken nearest the PTH's age at sampling;
- each ``medicalActions[].treatment.agent`` whose name contains an agent of the vocabulary (clues.toml
  ``agents``: furosemide, calcitriol, ...) becomes that exposure clue;
- a GA4GH Family is read as its ``proband`` (with a note; ``consanguinousParents`` true is consanguinity); a
  GA4GH Cohort (``members``) is refused: one member's phenopacket per line;
- a ``subject.taxonomy`` other than Homo sapiens (NCBITaxon:9606) is ranked all the same, with a note that the
  priors are human ones; a present feature's onset after the age of the record is named in a note.

A clue stated both present and excluded is read as present (as the FHIR reader does), with a note. An excluded
feature that a measured value of the phenopacket reads present is left out, unless its onset is later than the
measurement (interop/checks.py, shared with the FHIR reader); a measurement whose assay label or description names
another specimen than its code is not used; a treatment by a local route is not the exposure; HPO ids in OBO
spellings (HP_0002150, the PURL) are read as CURIEs, and a feature labelled as another mapped term is said.

Nothing is dropped silently: terms that map to nothing are listed in a warning, as are measurements
that cannot be read, the parts not read (diseases and interpretations, which are diagnoses and never
read as findings; procedures; biosamples; fields a phenopacket does not have), a phenopacket with no
nephrocalcinosis term, and a pattern that no term gives (the case then runs with the pattern unknown:
no pattern evidence). Only the parts read are modelled (pydantic, unknown fields ignored, and those
at the top level, in the subject, a phenotypic feature, a measurement, a medical action or its treatment or
procedure named): the official
``phenopackets`` package would bring in protobuf for no gain here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StrictBool, ValidationError, field_validator

from nephrocalc.case import Case, Lab
from nephrocalc.errors import InputError, field_path
from nephrocalc.interop.checks import (
    flags_to_read,
    hpo_curie,
    label_of_another,
    local_route,
    measured_over_denied,
)
from nephrocalc.interop.wording import (
    agent_denied,
    agent_stopped,
    finding_cue,
    flag_level,
    other_specimen,
    shortlist,
    words,
)
from nephrocalc.knowledge import KnowledgeBase, normalise_unit, ucum_code, ucum_spellings
from nephrocalc.result import AskResult, Note, Result
from nephrocalc.vocab import CASE_FIELDS, PATTERNS, Laterality, Pattern, Sex, unit_part

if TYPE_CHECKING:
    from datetime import date

NEPHROCALCINOSIS = "nephrocalcinosis"


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OntologyClass(_Part):
    id: str
    label: str = ""

    @field_validator("id")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        """A CURIE with spaces around it (" HP:0003072 ") is the term, as units and ages are read trimmed (robustness
        round 64: it was dropped, and named trimmed as a term that maps to no clue)."""
        return value.strip()


class Age(_Part):
    iso8601duration: str


class AgeRange(_Part):
    start: Age | None = None
    end: Age | None = None


class GestationalAge(_Part):
    weeks: int = 0
    days: int = 0


class TimeElement(_Part):
    age: Age | None = None
    ageRange: AgeRange | None = None
    gestationalAge: GestationalAge | None = None
    ontologyClass: OntologyClass | None = None
    timestamp: str | None = None  # a date and time: an age only with the subject's dateOfBirth
    interval: dict[str, Any] | None = None  # {start, end} timestamps: its start, with the dateOfBirth

    def years(self, where: str = "", problems: list[str] | None = None, born: str | None = None,
              classes: bool = False) -> float | None:
        """The age this time element gives: an ISO 8601 age; the middle of an age range (its start when
        open-ended); 0 for a gestational age (before or at birth). None for an ontology class (too coarse).
        An age that cannot be read, or lies outside 0-130 years, is None, and ``problems`` (when given)
        gets one line naming its field (``where`` is the path of this time element)."""
        said: list[str] = [] if problems is None else problems
        if self.age is not None:
            return _age_years(self.age.iso8601duration, f"{where}.age.iso8601duration", said)
        if self.ageRange is not None:
            start = end = None
            if self.ageRange.start is not None:
                start = _age_years(self.ageRange.start.iso8601duration, f"{where}.ageRange.start.iso8601duration",
                                   said)
            if self.ageRange.end is not None:
                end = _age_years(self.ageRange.end.iso8601duration, f"{where}.ageRange.end.iso8601duration", said)
            if start is not None and end is not None and end >= start:
                return (start + end) / 2
            if start is not None and end is not None:
                said.append(f"{where}.ageRange: the end is before the start (the start was used)")
            elif start is None and self.ageRange.start is None:
                said.append(f"{where}.ageRange: no start (an age range gives an age from its start)")
            return start
        if self.gestationalAge is not None:
            weeks, days = self.gestationalAge.weeks, self.gestationalAge.days
            if not 0 <= weeks <= 45 or not 0 <= days <= 6:
                # (robustness round 61: -3 weeks was read as a birth, unsaid)
                said.append(f"{where}.gestationalAge: {weeks} weeks {days} days is not a gestational age (weeks "
                            "0-45, days 0-6)")
                return None
            return 0.0
        if self.timestamp is not None and where:  # a date: an age with the subject's date of birth, else said
            return _age_at(self.timestamp, born, where, said)
        if isinstance(self.interval, dict) and isinstance(self.interval.get("start"), str) and where:
            return _age_at(self.interval["start"], born, f"{where}.interval.start", said)
        if self.ontologyClass is not None and classes and self.ontologyClass.id in ONSET_CLASS_AGES:
            return ONSET_CLASS_AGES[self.ontologyClass.id][0]
        if self.ontologyClass is not None and where:  # an onset class (Infantile onset): said, not dropped
            said.append(f"{where}.ontologyClass {self.ontologyClass.id} {self.ontologyClass.label}".rstrip()
                        + ": an age class gives no age")
        return None


# HPO onset classes that bound the age closely enough to read one (the middle of the class, or its start when the
# class has no end), for the onset of the nephrocalcinosis itself: a third of the dated onsets in phenopacket-store
# are classes (interop review 16: an infant's hypercalcaemia with "Infantile onset" was ranked with no age).
# Pediatric onset (0-15 years) and Adult onset (16 years on) are too wide and give none. Ranges: HPO's definitions.
ONSET_CLASS_AGES: dict[str, tuple[float, str]] = {
    "HP:0030674": (0.0, "before birth"),  # Antenatal onset
    "HP:0011460": (0.0, "before birth"),  # Embryonal onset
    "HP:0011461": (0.0, "before birth"),  # Fetal onset
    "HP:0034199": (0.0, "before birth"),  # Late first trimester onset
    "HP:0034198": (0.0, "before birth"),  # Second trimester onset
    "HP:0034197": (0.0, "before birth"),  # Third trimester onset
    "HP:0003577": (0.0, "at birth"),  # Congenital onset
    "HP:0003623": (14 / 365.25, "the middle of the first 28 days"),  # Neonatal onset
    "HP:0003593": (0.5, "the middle of 28 days to 1 year"),  # Infantile onset
    "HP:0011463": (3.0, "the middle of 1 to 5 years"),  # Childhood onset
    "HP:0003621": (10.0, "the middle of 5 to 15 years"),  # Juvenile onset
    "HP:0011462": (28.0, "the middle of 16 to 40 years"),  # Young adult onset
    # its three subclasses (robustness round 60: Early young adult onset gave no age)
    "HP:0025708": (17.5, "the middle of 16 to 19 years"),  # Early young adult onset
    "HP:0025709": (22.0, "the middle of 19 to 25 years"),  # Intermediate young adult onset
    "HP:0025710": (32.5, "the middle of 25 to 40 years"),  # Late young adult onset
    "HP:0003596": (50.0, "the middle of 40 to 60 years"),  # Middle age onset
    "HP:0003584": (60.0, "its start, 60 years"),  # Late onset
}


class Individual(_Part):
    id: str = ""
    sex: str = "UNKNOWN_SEX"
    timeAtLastEncounter: TimeElement | None = None
    dateOfBirth: str | None = None
    vitalStatus: Any = None  # read only for its timeOfDeath, leniently (see _death_age)


def _death_age(subject: Individual | None) -> float | None:
    """The age at death a deceased subject's ``vitalStatus.timeOfDeath`` gives, or None: read leniently, as the
    rest of vitalStatus is not read (a malformed one is no reason to refuse the phenopacket)."""
    vital = subject.vitalStatus if subject is not None else None
    if not isinstance(vital, dict) or vital.get("status") != "DECEASED" or not isinstance(vital.get("timeOfDeath"),
                                                                                            dict):
        return None
    try:
        time = TimeElement.model_validate(vital["timeOfDeath"])
    except ValidationError:
        return None
    return time.years("subject.vitalStatus.timeOfDeath", [], subject.dateOfBirth if subject is not None else None)


class PhenotypicFeature(_Part):
    type: OntologyClass
    # JSON booleans only: "yes", "no", 0 and 1 are not GA4GH booleans, and reading them would guess
    excluded: StrictBool = False
    negated: StrictBool = False  # Phenopacket v1's name of excluded: read as excluded, with a note
    description: str = ""  # free text: not read, but said when it may deny the feature
    onset: TimeElement | None = None

    @field_validator("excluded", "negated", mode="before")
    @classmethod
    def _null_is_default(cls, value: object) -> object:
        # protobuf's JSON mapping: null is accepted for any field and means its default (fuzz review 44)
        return False if value is None else value
    modifiers: list[OntologyClass] = []
    # read only to say so: a resolved feature is a finding of the history; a severity changes no clue
    resolution: object = None
    severity: object = None


# HPO Right and Left: each is one kidney, and both stated (two modifiers, or two features) are both kidneys
HANDS = {"HP:0012834": "right", "HP:0012835": "left"}


def both_sides(sides: set[Laterality], hands: set[str]) -> set[Laterality]:
    """The laterality of the calcification: the left and the right kidney both named are bilateral, not
    unilateral twice (a phenopacket's Left and Right modifiers, a FHIR bodySite of each kidney)."""
    if hands >= {"left", "right"}:
        return (sides - {"unilateral"}) | {"bilateral"}
    return sides


# HPO laterality modifiers of the nephrocalcinosis feature -> the case's laterality
LATERALITY_MODIFIERS: dict[str, Laterality] = {"HP:0012832": "bilateral", "HP:0012833": "unilateral",
                                               "HP:0012834": "unilateral", "HP:0012835": "unilateral"}


class Quantity(_Part):
    # missing, a unit or value makes the one measurement unreadable (named in a note), not the whole document; a pH
    # needs no unit (interop review 16, fuzz review 15)
    unit: OntologyClass | None = None
    value: Any = None  # a JSON number; anything else (true, "11.9", missing) is named in a note and not read
    comparator: Any = None  # not a Phenopacket v2 field (FHIR's): a bound read as exact would mislead, so not used


class Value(_Part):
    quantity: Quantity | None = None
    ontologyClass: OntologyClass | None = None  # a categorical value ("Low"): named, not read as a number


class Measurement(_Part):
    assay: OntologyClass
    description: Any = None  # free text: read only for a specimen other than the assay's, else named as not read
    value: Value | None = None
    timeObserved: TimeElement | None = None  # the age at the sample (an ISO 8601 age or an age range)
    complexValue: Any = None  # not read; beside a value (one of the two, a protobuf oneof) it leaves the value unused


class Treatment(_Part):
    agent: OntologyClass
    routeOfAdministration: Any = None  # read leniently: a local route leaves a systemic exposure unread
    doseIntervals: Any = None  # read only for their intervals (all ended: a past exposure, said); else as before
    adverseEvents: list[OntologyClass] = []  # as phenopacket-store writes them (the schema puts them on the action)


class Procedure(_Part):
    code: OntologyClass


class MedicalAction(_Part):
    treatment: Treatment | None = None
    procedure: Procedure | None = None
    treatmentTerminationReason: OntologyClass | None = None  # a treatment stopped: read as a past exposure, said
    adverseEvents: list[OntologyClass] = []  # the patient's phenotypes that the action caused (curators put them here)


class Phenopacket(_Part):
    id: str = ""
    subject: Individual | None = None
    phenotypicFeatures: list[PhenotypicFeature] = []
    measurements: list[Measurement] = []
    medicalActions: list[MedicalAction] = []


# ASCII digits only (\d and float() take any Unicode digit: "P\u0661Y" was one year), upper-case designators, and a
# T only before a time part ("P5YT" was five years)
_NUMBER = r"([0-9]+(?:[.,][0-9]+)?)"  # ISO 8601 allows a comma as the decimal sign
_DURATION = re.compile(rf"P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
                       rf"(?:T(?=[0-9])(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?", re.ASCII)
MAX_AGE = 130.0  # CONTRACT.md section 1: age_years is 0-130
AGE_FORM = "an ISO 8601 duration PnYnMnD (e.g. P6Y, P2Y6M, P10D)"


def iso_duration_years(text: str) -> float | None:
    """An ISO 8601 duration (P2Y6M, P10D, P3W; the hours of a newborn, PT5H) in years; None when it cannot
    be read."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        return None
    given = [g for g in match.groups() if g]
    if any(not g.isdigit() for g in given[:-1]):  # a fraction only on the smallest unit given (P1.5Y2M is not one)
        return None
    years, months, weeks, days, hours, minutes, seconds = (float(g.replace(",", ".")) if g else 0.0
                                                           for g in match.groups())
    return (years + months / 12.0 + (weeks * 7.0 + days + (hours + minutes / 60 + seconds / 3600) / 24) / 365.25)


def _age_years(text: str, where: str, problems: list[str]) -> float | None:
    """The age an ISO 8601 duration gives, in years; None, with a line naming ``where`` in ``problems``,
    when it cannot be read or lies outside 0-130 years."""
    years = iso_duration_years(text)
    if years is None:
        problems.append(f"{where}: {text[:40]!r} is not {AGE_FORM}")
    elif years > MAX_AGE:
        problems.append(f"{where}: {text[:40]!r} is {years_shown(years)}; an age must be 0-130 years")
        return None
    return years


def clues_of_term(kb: KnowledgeBase, term: str, *, present: bool) -> tuple[str, ...]:
    """The clues an HPO term states. Present, it states the most specific clue it is (the term a clue names,
    or a descendant of it; "calcium oxalate nephrolithiasis" is calcium oxalate stones, which refine
    nephrolithiasis, and is not counted again as nephrolithiasis).
    Excluded, it rules out the clues that name this very term, and those whose terms all lie below it
    (hpo.toml ancestors: "hearing impairment" excluded is no sensorineural hearing loss), except a diagnosis
    clue (distal RTA, which HPO files under metabolic acidosis though incomplete dRTA has none), and never a
    broader one: no calcium oxalate stones says nothing of stones of another kind."""
    if present:
        return kb.hpo_clue_sets.get(term, ())
    return kb.hpo_named.get(term, ())


def every_way_excluded(kb: KnowledgeBase, excluded: dict[str, set[str]],
                       stated: dict[str, bool]) -> list[tuple[str, set[str]]]:
    """The clues not stated otherwise whose every HPO term, each one way of having the finding (uveitis and erythema
    nodosum), was stated excluded or refuted (``excluded``: clue -> those terms): the finding is then absent, as the
    contract reads an excluded term, though one way alone rules nothing out (both readers)."""
    return [(clue, ways) for clue, ways in sorted(excluded.items())
            if clue not in stated and (listed := set(kb.clues[clue].hpo)) and listed <= ways]


def findings_below(kb: KnowledgeBase, term: str, present: list[tuple[str, str, tuple[str, ...], bool]]) -> list[str]:
    """The findings stated present (``present``: each its HPO term, or "" when it has none; as shown; its clues;
    whether it is a nephrocalcinosis term) that lie below an excluded HPO term: a contradiction, since excluding a
    term excludes all below it. Known from the ancestors rules/hpo.toml vendors for the terms of the clues and the
    patterns: the finding's own term, or every term of a clue it means. The same term stated both ways is no such
    case: the clue is present, with its own note."""
    found: list[str] = []
    ruled_out = kb.hpo_named.get(term, ())
    if not ruled_out and term not in kb.hpo_above:
        # above no term of a clue or pattern, and naming no clue: below it lies no finding this tool reads (the
        # usual case, answered without walking the findings: robustness round 61, 32,000 excluded terms beside
        # 32,000 present ones took 8 s)
        return found
    ancestors = kb.hpo_ancestors
    for own, shown, meant, is_nephrocalcinosis in present:
        if own == term:
            continue
        # above the finding's own term, or above every term of a clue it means (compile.py's index)
        below = term in ancestors.get(own, ()) or (not is_nephrocalcinosis and any(
            (clue in ruled_out and not kb.clues[clue].hpo_exact and term not in kb.clues[clue].hpo)
            or (kb.clues[clue].hpo and all(term in ancestors.get(t, ()) for t in kb.clues[clue].hpo))
            for clue in meant))
        if below:
            found.append(shown)
    return list(dict.fromkeys(found))


# An excluded term that rules out more findings than this at once is named in a warning: phenopacket-store states a
# normal alkaline phosphatase or phosphate by excluding the abnormal level (two clues each), which needs no word, but
# an excluded Abnormal blood ion concentration (eight) or Phenotypic abnormality (a hundred) may not be meant
BROAD_EXCLUSION = 4



def _variables(kb: KnowledgeBase, clues: Any) -> set[str]:
    """The measured variables a set of clues are states of: the labs that derive each clue (a high and a low calcium
    are one variable, the serum calcium), or the clue itself where no lab gives it. An excluded term that rules out
    states of two or more variables is a broad one (robustness round 75: "Abnormal circulating nitrogen compound
    concentration" excluded ruled out CKD and both uric acid states without a word)."""
    found: set[str] = set()
    for clue in clues:
        labs = {lab.id for lab in kb.labs.values() if any(limit.clue == clue for limit in lab.limits)}
        found.update(sorted(labs)[:1] if labs else [clue])
    return found


# HPO's medication-history term for loop and thiazide diuretics together (clues.toml: neither clue maps it)
POTASSIUM_WASTING_DIURETIC = "HP:4000179"

# calciol and ercalciol: the IUPAC names of vitamin D3 and D2 (ChEBI labels vitamin D3 "calciol")
_NATIVE_VITAMIN_D = re.compile(r"\b(chole|cole|ergo)?calciferol\b|\b(er)?calciol\b|\bvitamin d ?[23]?\b|\bdrisdol\b",
                               re.IGNORECASE)


def is_native_vitamin_d(name: str) -> bool:
    """Whether a medication's name is plain vitamin D (cholecalciferol, ergocalciferol, "vitamin D3")."""
    return _NATIVE_VITAMIN_D.search(name) is not None


# The tolerable upper intake of vitamin D from 9 years on, 4000 IU a day (Institute of Medicine, Dietary Reference
# Intakes for Calcium and Vitamin D, 2011, doi:10.17226/13050; lower in younger children): a dose at or below it is a
# usual one, not the high dose that vitamin D excess needs.
VITAMIN_D_UPPER_INTAKE_IU = 4000.0
_IU_PER = {"iu": 1.0, "[iu]": 1.0, "international unit": 1.0, "international units": 1.0, "ui": 1.0,
           # casefold() writes the micro sign µ (U+00B5) as the Greek mu μ (U+03BC): the key is the folded one, so
           # that "µg" and "μg" are both read (robustness round 91: a dose in "µg" was not read)
           "ug": 40.0, "\u03bcg": 40.0, "mcg": 40.0, "microgram": 40.0, "micrograms": 40.0,
           "mg": 40000.0, "milligram": 40000.0, "milligrams": 40000.0,
           # the Unit Ontology's ids of the two (a phenopacket's unit is an ontology class: {"id": "UO:0000023"})
           "uo:0000023": 40.0, "uo:0000022": 40000.0}


def vitamin_d_dose_iu(intervals: object) -> float | None:
    """The largest single dose of plain vitamin D that a treatment's dose intervals give, in IU (1 µg = 40 IU), or
    None when none gives a number with a unit read here."""
    doses: list[float] = []
    for interval in intervals if isinstance(intervals, list) else ():
        quantity = interval.get("quantity") if isinstance(interval, dict) else None
        if not isinstance(quantity, dict):
            continue
        value, unit = quantity.get("value"), quantity.get("unit")
        names = [str(unit.get(key) or "") for key in ("label", "id")] if isinstance(unit, dict) else []
        per = next((_IU_PER[n.strip().casefold().removeprefix("ucum:")] for n in names
                    if n.strip().casefold().removeprefix("ucum:") in _IU_PER), None)
        if per is not None and isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            doses.append(float(value) * per)
    return max(doses) if doses else None


# a number standing on its own (not the 3 of "D3"), with thousands written 50,000, and its unit
_DOSE_IN_TEXT = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
                           r"(iu|i\.u\.|ui|units?|mcg|[µμ]g|ug|micrograms?|mg|milligrams?)\b", re.IGNORECASE)
_MICROGRAM_WORDS = ("mcg", "\u03bcg", "ug", "microgram", "micrograms")  # as casefold() writes them: µ is μ


def vitamin_d_dose_in_text(text: str) -> float | None:
    """The largest dose of plain vitamin D a medication's name or dosage text gives ("Cholecalciferol 1000 IU tablet",
    "50,000 units weekly", "25 mcg"), in IU (1 µg = 40 IU), or None."""
    doses: list[float] = []
    for number, unit in _DOSE_IN_TEXT.findall(text or ""):
        value = float(number.replace(",", ""))
        word = unit.casefold().replace(".", "")
        # the micro sign, as casefold() writes it, is the Greek mu: "1250 µg" (50,000 IU) was read as 1250 IU, a usual
        # dose, and the vitamin D therapy dropped (robustness round 91); "25 micrograms" gave no dose at all
        doses.append(value * (40.0 if word in _MICROGRAM_WORDS else 40000.0 if word.startswith(("mg", "milligram"))
                              else 1.0))
    return max(doses) if doses and max(doses) > 0 else None


def vitamin_d_dose_said(dose: float | None, given: bool) -> str:
    """How the dose of plain vitamin D read as the exposure is said: its dose in IU, or that a dose was given that is
    not read here (robustness round 86: a dose in drops, tablets or an unreadable value was said "no dose given")."""
    if dose is not None:
        return f"{dose:g} IU a dose"
    return "its dose not read: give it in IU, µg or mg" if given else "no dose given"


def native_vitamin_d_read_note(read: list[str], where: str, notes: list[Note]) -> None:
    """Plain vitamin D read as the exposure (no dose given, or one above the usual): said, with how to state a usual
    dose otherwise."""
    if read:
        notes.append({"id": f"{where}_native_vitamin_d_read", "sources": [],
                      "message": f"Plain vitamin D among the {where if where != 'fhir' else 'FHIR'} document's "
                      "treatments was read as vitamin D therapy, the exposure of vitamin D excess: "
                      + "; ".join(read[:5]) + f". A usual dose (up to {VITAMIN_D_UPPER_INTAKE_IU:g} IU a day, the "
                      "tolerable upper intake of the Institute of Medicine 2011) is not that exposure: if the dose was "
                      "usual, state --no-vitamin-d-therapy."})


def native_vitamin_d_note(names: list[str], notes: list[Note]) -> None:
    """Plain vitamin D (cholecalciferol, ergocalciferol) is the vitamin_d_therapy exposure only at a high dose: one
    given at a usual dose is named in a note rather than read."""
    found = sorted({name for name in names if _NATIVE_VITAMIN_D.search(name)})
    if found:
        notes.append({"id": "native_vitamin_d_not_read", "sources": [],
                      "message": "Plain vitamin D (" + "; ".join(found[:5]) + ") was not read as vitamin D therapy, "
                      f"which means a high dose or an active analogue: the dose given is a usual one (up to "
                      f"{VITAMIN_D_UPPER_INTAKE_IU:g} IU). If the patient took more, state --vitamin-d-therapy."})


def calcium_dose_note(names: list[str], notes: list[Note]) -> None:
    """A calcium carbonate medication is read as calcium-alkali intake, which milk-alkali syndrome needs in large
    amounts (several grams a day); a medication's name seldom says the dose, and a usual supplement is not that:
    the note says how to state it otherwise (a FHIR review: Caltrate 600 put milk-alkali third)."""
    found = sorted(set(names))
    if found:
        notes.append({"id": "calcium_carbonate_dose", "sources": [],
                      "message": "Calcium carbonate (" + "; ".join(found[:5]) + ") was read as calcium-alkali "
                      "intake, which milk-alkali syndrome needs in large amounts (usually several grams a day); "
                      "if it is a usual supplement, state no calcium-alkali intake (--no-calcium-alkali-intake)."})


# the CURIE prefixes of SNOMED CT
SNOMED_PREFIXES = ("SNOMED", "SNOMEDCT", "SNOMEDCT_US", "SCTID")
# SNOMED CT codes of a qualifier that says a finding is not there: Definitely NOT present, Known absent, Absent,
# Negative, Clinical finding absent
_ABSENT_QUALIFIERS = frozenset({"410594000", "410516002", "2667000", "260385009", "373572006"})


def _denies(modifier: OntologyClass) -> bool:
    """A phenotypic feature's modifier that says the feature is not there: a SNOMED CT absence qualifier, or a label
    saying so."""
    prefix, _, code = modifier.id.partition(":")
    if prefix.upper() in SNOMED_PREFIXES and code in _ABSENT_QUALIFIERS:
        return True
    label = words(modifier.label)
    return any(f" {said} " in label for said in ("not present", "absent", "negative", "excluded", "not seen"))


# HPO's Family history modifier (Clinical modifier > Family history): the feature is a relative's
FAMILY_HISTORY_MODIFIER = "HP:0032316"


def denied_agents_note(denied: list[str], notes: list[Note]) -> None:
    """Drugs named with a word that denies or qualifies them, not read as exposures: said, with how to state one."""
    if denied:
        notes.append({"id": "medication_name_denied", "sources": [],
                      "message": "Medications whose name denies or qualifies the drug were not read as exposures "
                      "(the reader does not interpret clinical language): " + "; ".join(dict.fromkeys(denied[:10]))
                      + ". If the patient took it, state that clue."})


def clues_of_agent(kb: KnowledgeBase, name: str) -> tuple[str, ...]:
    """The exposure clues a medication or treatment means, from its name: every agent of the vocabulary
    (clues.toml ``agents``) found as whole words in it ("Furosemide 40 mg tablet" is a loop diuretic); a mixture
    named in it (clues.toml ``mixture``: parenteral nutrition) alone, its ingredients being part of it."""
    words = " " + re.sub(r"[^a-z0-9]+", " ", name.lower()) + " "
    found: list[str] = []
    for agent, clue in kb.agent_clues.items():
        if f" {agent} " in words and clue not in found:
            found.append(clue)
    mixtures = [clue for clue in found if kb.clues[clue].mixture]
    # a mixture's ingredients (the phosphate of a parenteral nutrition) are not exposures of their own
    return tuple(mixtures or found)


def _both_ways(stated: dict[str, dict[bool, list[str]]]) -> str:
    """Clues with the terms that stated each present and excluded, as a note lists them."""
    return "; ".join(f"{clue} (present: {', '.join(dict.fromkeys(terms[True]))}; excluded: "
                     f"{', '.join(dict.fromkeys(terms[False]))})" for clue, terms in stated.items())


def _spellings(text: str) -> list[str]:
    """The ways a unit may be written in the contract: as given, its UCUM equivalent, and without UCUM
    annotations (mg/mg{creat} is mg/mg)."""
    text = text.strip()
    found = [text]
    found.extend(ucum_spellings(text))
    named = _unit_named(text)
    if named is not None:
        found.append(named)
    return found


# the words of a unit written out, as NCIT and UO labels give it ("Milligram per Deciliter", "millimolar")
_UNIT_WORDS = {"gram": "g", "milligram": "mg", "microgram": "µg", "nanogram": "ng", "picogram": "pg",
               "mole": "mol", "millimole": "mmol", "micromole": "µmol", "nanomole": "nmol", "picomole": "pmol",
               "liter": "L", "litre": "L", "deciliter": "dL", "decilitre": "dL", "milliliter": "mL", "millilitre": "mL",
               "day": "day", "millimolar": "mmol/L", "micromolar": "µmol/L", "nanomolar": "nmol/L",
               "milliequivalent": "mEq", "international unit": "IU", "milli-international unit": "mIU",
               "milliinternational unit": "mIU", "micro-international unit": "µIU"}


def _unit_named(text: str) -> str | None:
    """A unit written out in words ("Milligram per Deciliter" is mg/dL; "millimolar" is mmol/L), or None."""
    words = text.strip().lower().replace("_", " ")
    if words in _UNIT_WORDS:
        return _UNIT_WORDS[words]
    parts = [part.strip().removesuffix("s") for part in words.split(" per ")]
    if len(parts) < 2 or not all(part in _UNIT_WORDS for part in parts):
        return None
    return "/".join(_UNIT_WORDS[part] for part in parts)


def lab_unit(kb: KnowledgeBase, lab_id: str, *texts: str | None) -> str:
    """The unit of a document's value as the lab accepts it: the first spelling of any of ``texts``
    (a UCUM code, then the unit as written) that the lab takes; else the first one given, whose error
    then names the accepted units. A urine pH needs no unit ("1" in UCUM)."""
    lab = kb.labs.get(lab_id)
    given = [text.strip() for text in texts if text and text.strip()]
    if lab is None:
        return given[0] if given else ""
    if lab.canonical == "pH" and all(text in ("1", "") for text in given):
        return "pH"
    for text in given:
        for spelling in _spellings(text):
            key = normalise_unit(spelling)
            if key in lab.units:  # as the lab writes it: mg/kg/d is mg/kg/day, uIU/mL is µIU/mL
                return lab.units[key][0]
            if key in lab.own_units:
                return lab.own_units[key]
    return given[0] if given else ""  # as written, so that the refusal quotes what the document says


def unit_taken(kb: KnowledgeBase, lab_id: str, unit: str) -> bool:
    """Whether the lab takes a unit as ``lab_unit`` returned it: a repeated lab keeps its newest value the
    lab can read, not a newer one in a unit it cannot (whose refusal would drop both)."""
    lab = kb.labs.get(lab_id)
    if lab is None or unit == "pH":
        return True
    key = normalise_unit(unit)
    return key in lab.units or key in lab.own_units


# Units of Measurement Ontology concentration ids, as the unit they name (UO: molar 62, millimolar 63, micromolar 64,
# nanomolar 65, picomolar 66, milligram per liter 273, microgram per milliliter 274)
_UO_UNITS = {"UO:0000062": "mol/L", "UO:0000063": "mmol/L", "UO:0000064": "µmol/L", "UO:0000065": "nmol/L",
             "UO:0000066": "pmol/L", "UO:0000273": "mg/L", "UO:0000274": "µg/mL",
             # gram per liter (albumin), nanogram per milliliter (25-hydroxyvitamin D): robustness round 78, where a
             # PTH labelled "picogram per milliliter" under the ng/mL id went unchecked
             "UO:0000175": "g/L", "UO:0000275": "ng/mL"}
def _same_quantity(first: str, second: str) -> bool:
    """Whether two simple units ("g/g", "mg/mg") read a value alike: the same kinds, the same overall scale."""
    parts = [unit.split("/") for unit in (first, second)]
    if any(len(found) != 2 for found in parts):
        return False
    a, b, c, d = (unit_part(part.strip()) for part in (*parts[0], *parts[1]))
    if a is None or b is None or c is None or d is None:
        return False
    return a[1] == c[1] and b[1] == d[1] and math.isclose(a[0] / b[0], c[0] / d[0], rel_tol=1e-9)


def units_disagree(kb: KnowledgeBase, lab_id: str, code: str | None, text: str | None) -> bool:
    """Whether a value's unit code (UCUM) and its unit as written are both units of the lab that convert the
    value differently (code mg/dL, text mmol/L for a calcium), or the code is a unit of the lab and the text a
    unit of another kind (code mmol/L, text mg/dL for a bicarbonate): then which one is right cannot be known."""
    lab = kb.labs.get(lab_id)
    if lab is None or not code or not text:
        return False
    factors: list[float] = []
    for given in (code, text):
        found = next((lab.units[normalise_unit(s)][1] for s in _spellings(given) if normalise_unit(s) in lab.units),
                     None)
        if found is None:
            if given is code:
                # the code a unit of another kind that some lab takes, the text a unit of the lab (code ng/mL, text
                # pg/mL for a PTH): the text was read and the coded unit dropped without a word, a raised PTH of
                # 0.14 ng/mL read as a suppressed 0.14 pg/mL (robustness round 73); the same quantity spelt
                # otherwise (g/g for mg/mg) agrees
                return any(normalise_unit(s) in other.units for s in _spellings(code) for other in kb.labs.values()) \
                    and any(normalise_unit(s) in lab.units for s in _spellings(text)) \
                    and not _same_quantity(code, text)
            # the code a unit of the lab, the text a unit of another kind that some lab takes (code mmol/L, text
            # mg/dL for a bicarbonate): they disagree as surely (fuzz review 46); free text nobody reads does not
            return factors != [] and any(
                normalise_unit(s) in other.units for s in _spellings(text) for other in kb.labs.values()) \
                and not _same_quantity(code, text)
        factors.append(found)
    return abs(factors[0] - factors[1]) > 1e-9 * max(abs(factors[0]), 1.0)


_PROTO_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")  # a protobuf field name: lower case words joined by _
# The JSON names of the GA4GH Phenopacket Schema's fields (v2, and v1's ages) whose protobuf name differs: a key
# written in the protobuf form of another word stays as written, and is named as not a field (a misspelling)
_CAMEL_FIELDS = frozenset({
    "phenotypicFeatures", "medicalActions", "metaData", "consanguinousParents", "alternateIds", "dateOfBirth",
    "timeAtLastEncounter", "vitalStatus", "karyotypicSex", "timeOfDeath", "causeOfDeath", "survivalTimeInDays",
    "evidenceCode", "ageRange", "gestationalAge", "ontologyClass", "timeObserved", "complexValue", "referenceRange",
    "typedQuantities", "radiationTherapy", "therapeuticRegimen", "treatmentTarget", "treatmentIntent",
    "responseToTreatment", "adverseEvents", "treatmentTerminationReason", "routeOfAdministration", "doseIntervals",
    "drugType", "cumulativeDose", "scheduleFrequency", "bodySite", "externalReference", "externalReferences",
    "startTime", "endTime", "regimenStatus", "diseaseStage", "clinicalTnmFinding", "primarySite", "individualId",
    "derivedFromId", "sampleType", "timeOfCollection", "histologicalDiagnosis", "tumorProgression", "tumorGrade",
    "pathologicalStage", "pathologicalTnmFinding", "diagnosticMarkers", "sampleProcessing", "sampleStorage",
    "createdBy", "submittedBy", "phenopacketSchemaVersion", "namespacePrefix", "iriPrefix", "updatedBy",
    "individualToFileIdentifiers", "fileAttributes", "progressStatus", "genomicInterpretations",
    "subjectOrBiosampleId", "interpretationStatus", "variantInterpretation", "geneDescriptor", "ageAtCollection",
    "ageOfOnset", "classOfOnset"})


def _from_proto_names(data: Any, notes: list[Note]) -> Any:
    """protobuf's JSON mapping has a parser accept a field's proto name (``phenotypic_features``) as well as its JSON
    name (``phenotypicFeatures``), and ``MessageToJson(..., preserving_proto_field_name=True)`` writes the former: read
    as the JSON names, with a note. A field given by both
    names in one object is refused, as a protobuf parser refuses it. Before this, such a phenopacket was read as one
    with none of its parts: no pattern, finding or age, each field named as not a field of the schema."""
    renamed: list[str] = []

    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part[:1].upper() + part[1:] for part in rest)

    def walk(value: Any, where: tuple[object, ...]) -> Any:
        if isinstance(value, list):
            return [walk(item, (*where, index)) for index, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        out: dict[Any, Any] = {}
        for key, item in value.items():
            name = key
            if isinstance(key, str) and _PROTO_NAME.fullmatch(key) and camel(key) in _CAMEL_FIELDS:
                name = camel(key)
                if name in value:
                    raise InputError(field_path("phenopacket", *where, name),
                                     f"given twice, as {name!r} and as its protobuf name {key!r}: give it once")
                if key not in renamed:
                    renamed.append(key)
            out[name] = walk(item, (*where, name))
        return out

    data = walk(data, ())
    if renamed:
        notes.append({"id": "phenopacket_proto_field_names", "sources": [],
                      "message": "Fields written with their protobuf names were read as their JSON names, as "
                                 "protobuf's JSON mapping reads them: " + shortlist(renamed)})
    return data


def _from_v1_ages(data: Any, notes: list[Note]) -> Any:
    """A Phenopacket v1 gives the subject's age as ``ageAtCollection`` and a feature's onset as ``ageOfOnset`` or
    ``classOfOnset``, each age as {"age": "P25Y"}: read as v2's ``timeAtLastEncounter`` and ``onset`` (a v2 field
    given as well wins), with a note. Anything else is returned as it is."""
    if not isinstance(data, dict):
        return data

    def v2_time(value: Any) -> Any:  # v1 Age {"age": "P3Y"} -> v2 TimeElement {"age": {"iso8601duration": "P3Y"}}
        if isinstance(value, dict) and isinstance(value.get("age"), str):
            return {"age": {"iso8601duration": value["age"]}}
        return value

    read: list[str] = []
    subject = data.get("subject")
    if isinstance(subject, dict) and "ageAtCollection" in subject:
        subject = dict(subject)
        collected = subject.pop("ageAtCollection")
        if "timeAtLastEncounter" not in subject:
            subject["timeAtLastEncounter"] = v2_time(collected)
            read.append("subject.ageAtCollection as timeAtLastEncounter")
        data = {**data, "subject": subject}
    features = data.get("phenotypicFeatures")
    if isinstance(features, list):
        changed = []
        for index, feature in enumerate(features):
            if isinstance(feature, dict) and feature.keys() & {"ageOfOnset", "classOfOnset"}:
                feature = dict(feature)
                onset = feature.pop("ageOfOnset", None)
                onset_class = feature.pop("classOfOnset", None)
                if "onset" not in feature:
                    feature["onset"] = v2_time(onset) if onset is not None else {"ontologyClass": onset_class}
                    read.append(f"phenotypicFeatures[{index}].{'ageOfOnset' if onset is not None else 'classOfOnset'}"
                                " as onset")
            changed.append(feature)
        data = {**data, "phenotypicFeatures": changed}
    if read:
        notes.append({"id": "phenopacket_v1_ages", "sources": [],
                      "message": "Phenopacket v1 ages were read as their v2 fields: " + shortlist(read)})
    return data


_PHENOPACKET_FIELDS = frozenset({"id", "subject", "phenotypicFeatures", "measurements", "biosamples",
                                 "interpretations", "diseases", "medicalActions", "files", "metaData"})
_CASE_FIELDS = frozenset(CASE_FIELDS) - {"id"}  # a phenopacket has an id too


# the fields of the parts that are read (GA4GH Phenopacket Schema v2: Individual, PhenotypicFeature, Measurement)
_INDIVIDUAL_FIELDS = frozenset({"id", "alternateIds", "dateOfBirth", "timeAtLastEncounter", "vitalStatus", "sex",
                                "karyotypicSex", "gender", "taxonomy"})
_FEATURE_FIELDS = frozenset({"description", "type", "excluded", "negated", "modifiers", "onset", "resolution",
                             "evidence", "severity"})
_MEASUREMENT_FIELDS = frozenset({"description", "assay", "value", "complexValue", "timeObserved", "procedure"})
# MedicalAction, Treatment and Procedure: a misspelt treatmentTerminationReason read a stopped drug as current (fuzz
# review 59); adverseEvents in a treatment as phenopacket-store writes them
_ACTION_FIELDS = frozenset({"procedure", "treatment", "radiationTherapy", "therapeuticRegimen", "treatmentTarget",
                            "treatmentIntent", "responseToTreatment", "adverseEvents", "treatmentTerminationReason"})
_TREATMENT_FIELDS = frozenset({"agent", "routeOfAdministration", "doseIntervals", "drugType", "cumulativeDose",
                               "adverseEvents"})
_PROCEDURE_FIELDS = frozenset({"code", "bodySite", "performed"})
_FAMILY_FIELDS = frozenset({"id", "proband", "relatives", "consanguinousParents", "pedigree", "files", "metaData"})
GA4GH_SEXES = ("FEMALE", "MALE", "OTHER_SEX", "UNKNOWN_SEX")


# What each part of a phenopacket is, for a message about a value that is not one (pydantic would name the class)
_SHAPES = {
    "OntologyClass": 'an ontology class, {"id": "HP:0000121", "label": "Nephrocalcinosis"}',
    "Age": 'an age, {"iso8601duration": "P10Y"}',
    "AgeRange": 'an age range, {"start": {"iso8601duration": "P1Y"}, "end": {"iso8601duration": "P2Y"}}',
    "GestationalAge": 'a gestational age, {"weeks": 34, "days": 2}',
    "TimeElement": 'a time element such as {"age": {"iso8601duration": "P10Y"}}',
    "Individual": 'the subject, {"id": "patient 1", "sex": "FEMALE", ...}',
    "PhenotypicFeature": 'a phenotypic feature, {"type": {"id": "HP:0000121", "label": "Nephrocalcinosis"}}',
    "Quantity": 'a quantity, {"unit": {"id": "UCUM:mg/dL", "label": "mg/dL"}, "value": 11.8}',
    "Value": 'a value, {"quantity": {"unit": {...}, "value": 11.8}}',
    "Measurement": 'a measurement, {"assay": {"id": "LOINC:17861-6", ...}, "value": {"quantity": {...}}}',
    "Treatment": 'a treatment, {"agent": {"id": "CHEBI:...", "label": ...}}',
    "Procedure": 'a procedure, {"code": {"id": "...", "label": ...}}',
    "MedicalAction": 'a medical action, {"treatment": {...}} or {"procedure": {...}}',
}
_KINDS = {"dict_type": "a JSON object", "list_type": "a list", "string_type": "a string",
          "bool_type": "true or false", "int_type": "a whole number", "int_parsing": "a whole number",
          "int_from_float": "a whole number"}


def _invalid(error: Any) -> str:
    """What a phenopacket's field must be, in the words of the format: pydantic's own message names its classes
    ("a valid dictionary or instance of OntologyClass")."""
    kind = error["type"]
    format_ = "a GA4GH Phenopacket v2 in JSON"
    if kind in ("missing", "missing_argument"):
        return f"required ({format_})"
    if kind in ("model_type", "model_attributes_type", "dataclass_type"):
        wanted = _SHAPES.get(str((error.get("ctx") or {}).get("class_name")), "a JSON object")
    elif kind in _KINDS:
        wanted = _KINDS[kind]
    else:  # another check: pydantic's wording, without any class it names
        said = re.sub(r" or instance of \w+", "", str(error["msg"]))
        return f"{said.replace('Input should be', 'must be', 1)} ({format_})"
    try:  # the value as the JSON it came from (null, true), not as Python writes it
        got = json.dumps(error.get("input"), ensure_ascii=False)
    except (TypeError, ValueError):
        got = repr(error.get("input"))
    return f"must be {wanted} (got {got if len(got) <= 40 else got[:37] + '...'}; {format_})"


def case_from_phenopacket(data: dict[str, Any], kb: KnowledgeBase) -> tuple[Case, list[Note]]:
    """A ``Case`` from one phenopacket (a JSON object), or from the proband of a GA4GH Family, and the
    warnings of the mapping."""
    if isinstance(data, dict) and "resourceType" in data:
        raise InputError("phenopacket", f"this is a FHIR {str(data['resourceType'])[:40]}, not a phenopacket: "
                         "read it with --fhir (batch --input fhir)")
    if isinstance(data, dict) and "members" in data and not data.keys() & {"proband", "subject", "phenotypicFeatures"}:
        # a GA4GH Cohort holds many patients: read as one, it ranked as an empty case
        members = data["members"]
        count = f"{len(members)} member{'' if len(members) == 1 else 's'}" if isinstance(members, list) else "members"
        raise InputError("phenopacket", f"this is a GA4GH Cohort ({count}), not a phenopacket: give one member's "
                         "phenopacket per line (batch --input phenopacket)")
    if isinstance(data, dict) and "relatives" in data and "proband" not in data \
            and not data.keys() & {"subject", "phenotypicFeatures"}:
        # a GA4GH Family without its proband: read as a phenopacket it ranked as an empty case, its relatives' findings
        # dropped under a note that called "relatives" a misspelt field (robustness round 73)
        raise InputError("phenopacket.proband", "this is a GA4GH Family without a proband: give the patient's own "
                         "phenopacket (a Family is read as its proband)")
    notes: list[Note] = []
    case_like = isinstance(data, dict) and bool(data.keys() & _CASE_FIELDS)  # before age_years reads as ageYears
    data = _from_proto_names(data, notes)
    family: dict[str, Any] | None = None
    if isinstance(data, dict) and "proband" in data and not data.keys() & {"subject", "phenotypicFeatures"}:
        family, data = data, _proband(data, notes)
    if isinstance(data, dict) and not data.keys() & (_PHENOPACKET_FIELDS - {"id"}):
        # nothing a phenopacket holds: a contract case or another document would rank as an empty case
        hint = ("this is a contract case, not a phenopacket: read it with --case (batch: -i case)"
                if case_like
                else "no field of a GA4GH Phenopacket v2 (subject, phenotypicFeatures, measurements, ...)")
        raise InputError("phenopacket.proband" if family is not None else "phenopacket", hint)
    data = _from_v1_ages(data, notes)
    try:
        packet = Phenopacket.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        inside = "phenopacket.proband" if family is not None else "phenopacket"
        where = field_path(inside, *error["loc"])
        raise InputError(where, _invalid(error)) from None
    clues: dict[str, bool] = {}
    stated: dict[str, dict[bool, list[str]]] = {}  # clue -> present (True) or excluded (False) -> the terms
    unmapped: list[str] = []
    patterns: set[str] = set()
    seen_nc = False
    sides: set[Laterality] = set()  # laterality modifiers of the nephrocalcinosis feature
    hands: set[str] = set()  # left, right: both together are both kidneys
    excluded_nc: list[tuple[str, str]] = []  # nephrocalcinosis terms stated excluded: (pattern named, term shown)
    onset_age: float | None = None
    latest_onset: float | None = None  # the latest onset age of any present feature: a lower bound of the age
    unread_ages: list[str] = []  # ages that cannot be read or are impossible, each naming its field
    onsets: list[tuple[str, float]] = []  # present features other than nephrocalcinosis -> their onset age
    negated = [f"{feature.type.id} {feature.type.label}".strip() for feature in packet.phenotypicFeatures
               if feature.negated and not feature.excluded]
    if negated:  # a v1 packet: its negated is v2's excluded, and reading it as present would invert the finding
        notes.append({"id": "phenopacket_v1_negated", "sources": [],
                      "message": "negated (Phenopacket v1) was read as excluded: " + shortlist(negated)})
    resolved: list[str] = []  # present features with a resolution: findings of the history
    one_way: list[str] = []  # excluded terms that are one way among several of having a clue: they rule nothing out
    excluded_ways: dict[str, set[str]] = {}  # clue -> its terms (ways of having it) stated excluded
    qualifiers: list[str] = []  # modifiers and severities, which change no clue
    negated_by_modifier: list[str] = []  # features a modifier says are not there: read as excluded
    relatives_features: list[str] = []  # features marked a family history: a relative's, not read
    described: list[str] = []  # features whose free-text description may deny them: read as stated, and said
    stopped_agents: list[str] = []  # treatments stopped or held: read as past exposures, and said
    # the findings read as present: (term, as shown, its clues, whether it is a nephrocalcinosis term)
    present_findings: list[tuple[str, str, tuple[str, ...], bool]] = []
    deferred: list[tuple[int, str, str]] = []  # excluded features (index, term, shown): read after the present ones
    above_present: list[str] = []  # excluded terms above a feature stated present: contradictory, not read
    broad: list[str] = []  # excluded terms broader than every finding they rule out: read, and said
    normalised_ids: list[str] = []  # HPO ids written HP_0002150, hp:0002150 or as the OBO PURL: read as HP:0002150
    mislabelled: list[str] = []  # features whose label is another mapped term's: read by the id, and said
    for index, feature in enumerate(packet.phenotypicFeatures):
        if feature.negated:
            feature = feature.model_copy(update={"excluded": True})
        curie = hpo_curie(feature.type.id)
        if curie is not None and curie != feature.type.id:
            # the OBO IRI forms ontology tooling writes: the term itself, not a term that maps to nothing (robustness
            # round 83; the FHIR reader shares the helper)
            normalised_ids.append(f"phenotypicFeatures[{index}].type.id {feature.type.id[:60]!r} as {curie}")
            feature = feature.model_copy(update={"type": feature.type.model_copy(update={"id": curie})})
        if (other_term := label_of_another(kb, feature.type.id, feature.type.label)) is not None:
            # the id of one term with the label of another (Hypocalciuria's id labelled "Hypercalciuria"): read by its
            # id, as the contract says, but said (robustness round 83: the opposite state was read without a word)
            own = kb.hpo_labels.get(feature.type.id) or ", ".join(clues_of_term(kb, feature.type.id, present=True))
            mislabelled.append(f"phenotypicFeatures[{index}] {feature.type.id} is labelled "
                               f"{feature.type.label.strip()[:60]!r}, the label of {other_term}: read as "
                               + (f"{own} (its id)" if own else "its id"))
        term = feature.type.id
        denying = [m for m in feature.modifiers if _denies(m)] if not feature.excluded else []
        if denying:
            # a modifier that says the feature is not there ("Definitely NOT present") excludes it (black-box
            # review 51: it was read as present, and the note said modifiers change no clue)
            feature = feature.model_copy(update={"excluded": True})
            negated_by_modifier.append(f"{term} {feature.type.label}".strip()
                                       + f" ({', '.join(f'{m.id} {m.label}'.strip() for m in denying)})")
        if not feature.excluded:
            shown = f"{term} {feature.type.label}".strip()
            # a feature marked a family history (HPO's modifier) is a relative's, not the patient's: not read, and
            # said (black-box review 52). Its label is the HPO term's own ("No social interaction" and "Normal
            # interictal EEG" are HPO terms), so a label is not read for denials; a description is (below).
            if any(m.id == FAMILY_HISTORY_MODIFIER or " family history " in words(m.label) for m in feature.modifiers):
                relatives_features.append(shown)
                continue
            if feature.resolution is not None:
                resolved.append(shown)
            if feature.description and finding_cue(feature.description):
                # free text is not read; one that may deny the feature is said (black-box review 51)
                described.append(f"{shown}: {feature.description[:80]!r}")
            unused = [m for m in feature.modifiers
                      if not (m.id in LATERALITY_MODIFIERS and kb.hpo_patterns.get(term) is not None)]
            qualifiers.extend(f"{m.id} {m.label}".strip() + f" (of {shown})" for m in unused)
            if isinstance(feature.severity, dict):
                qualifiers.append(f"severity {_term(feature.severity)} (of {shown})")
        elif not denying:
            # an excluded feature's modifiers and severity change nothing either, and are said as a present one's
            # are (robustness round 77: "excluded" with "Severe" was dropped without a word)
            shown = f"{term} {feature.type.label}".strip() + ", excluded"
            qualifiers.extend(f"{m.id} {m.label}".strip() + f" (of {shown})" for m in feature.modifiers)
            if isinstance(feature.severity, dict):
                qualifiers.append(f"severity {_term(feature.severity)} (of {shown})")
        onset = None
        if not feature.excluded and feature.onset is not None:
            is_nc = kb.hpo_patterns.get(term) is not None
            onset = feature.onset.years(f"phenotypicFeatures[{index}].onset", unread_ages,
                                        packet.subject.dateOfBirth if packet.subject is not None else None,
                                        classes=is_nc)
            if is_nc and onset is not None and feature.onset.ontologyClass is not None and \
                    feature.onset.ontologyClass.id in ONSET_CLASS_AGES:
                reading = ONSET_CLASS_AGES[feature.onset.ontologyClass.id][1]
                notes.append({"id": "phenopacket_onset_class", "sources": [],
                              "message": f"phenotypicFeatures[{index}].onset is the age class "
                              f"{feature.onset.ontologyClass.id} {feature.onset.ontologyClass.label}".rstrip()
                              + f": the onset of the nephrocalcinosis was read as {_years(onset)} ({reading}); "
                              "give --age if the age is known."})
            span = feature.onset.ageRange if feature.onset.age is None else None
            if is_nc and onset is not None and span is not None and span.start is not None and span.end is not None:
                # an onset given as an age range is read as its middle: said, as the same range at the last encounter
                # is (phenopacket_age_range); it was taken unsaid (robustness round 91)
                notes.append({"id": "phenopacket_onset_range", "sources": [],
                              "message": f"phenotypicFeatures[{index}].onset is an age range "
                              f"({span.start.iso8601duration} to {span.end.iso8601duration}): the onset of the "
                              f"nephrocalcinosis was read as its middle, {_years(onset)}."})
            if onset is not None and (latest_onset is None or onset > latest_onset):
                latest_onset = onset
            if onset is not None and kb.hpo_patterns.get(term) is None:
                onsets.append((f"{term} {feature.type.label}".strip(), onset))
        named = kb.hpo_patterns.get(term)
        if named is not None:
            if feature.excluded:
                excluded_nc.append((named, f"{term} {feature.type.label}".strip()))
            else:
                seen_nc = True
                present_findings.append((term, f"{term} {feature.type.label}".strip(), (), True))
                if named != NEPHROCALCINOSIS:
                    patterns.add(named)
                if feature.onset is not None:
                    onset_age = onset
                sides.update(LATERALITY_MODIFIERS[m.id] for m in feature.modifiers if m.id in LATERALITY_MODIFIERS)
                hands.update(HANDS[m.id] for m in feature.modifiers if m.id in HANDS)
            continue
        shown = f"{term} {feature.type.label}".strip()
        if feature.excluded:  # read once every present finding is known: one may lie below this term (below)
            deferred.append((index, term, shown))
            continue
        meant = clues_of_term(kb, term, present=True)
        if not meant:
            unmapped.append(shown)
            continue
        present_findings.append((term, shown, meant, False))
        for clue in meant:  # a present finding wins over an excluded one mapped to the same clue (noted)
            stated.setdefault(clue, {}).setdefault(True, []).append(term)
            clues[clue] = True
    unread_agents: list[str] = []
    native_read: list[str] = []  # plain vitamin D read as the exposure (no dose given, or above the usual one)
    denied_agents: list[str] = []  # treatments named with a word that denies them ("not furosemide"): not read
    local_agents: list[str] = []  # treatments given by a route that does not reach the kidneys: not read
    calcium_agents: list[str] = []  # calcium carbonate given: read as the intake, with a note on the dose
    adverse: list[str] = []  # adverse events read as findings (a calcitriol's nephrocalcinosis)
    for action in packet.medicalActions:  # an adverse event is a phenotype of the patient: read as a present feature
        for event in [*action.adverseEvents, *(action.treatment.adverseEvents if action.treatment else [])]:
            adverse.append(f"{event.id} {event.label}".strip())
            named = kb.hpo_patterns.get(event.id)
            if named is not None:
                seen_nc = True
                present_findings.append((event.id, f"{event.id} {event.label}".strip(), (), True))
                if named != NEPHROCALCINOSIS:
                    patterns.add(named)
                continue
            meant = clues_of_term(kb, event.id, present=True)
            if not meant:
                unmapped.append(f"adverse event {event.id} {event.label}".strip())
            else:
                present_findings.append((event.id, f"{event.id} {event.label}".strip(), meant, False))
            for clue in meant:
                stated.setdefault(clue, {}).setdefault(True, []).append(event.id)
                clues[clue] = True
    below_of: dict[str, list[str]] = {}  # an excluded term given many times is compared with the findings once
    denials: dict[str, list[tuple[str, float | None]]] = {}  # clue -> the excluded features, each with its onset
    for index, term, shown in deferred:  # the excluded features, every present one known
        below = below_of[term] if term in below_of else below_of.setdefault(
            term, findings_below(kb, term, present_findings))
        if below:
            # an excluded term above a finding stated present (Phenotypic abnormality, or Abnormality of the kidney,
            # beside nephrocalcinosis) contradicts it: read, it ruled out every clue below it (fuzz review 59: 101)
            above_present.append(f"phenotypicFeatures[{index}] {shown} (above {shortlist(below, 3)})")
            continue
        meant = clues_of_term(kb, term, present=False)
        if not meant and clues_of_term(kb, term, present=True):
            # one way among several of having a finding (short stature, of growth failure): excluded, it rules
            # nothing out; said so, not "maps to no clue"
            one_way.append(f"{shown} ({', '.join(clues_of_term(kb, term, present=True))})")
            for clue in clues_of_term(kb, term, present=True):
                excluded_ways.setdefault(clue, set()).add(term)
            continue
        if not meant:
            unmapped.append(f"{shown} (excluded)")
            continue
        if (len(meant) > BROAD_EXCLUSION or len(_variables(kb, meant)) > 1) and not any(
                term in (*kb.clues[clue].hpo, *kb.clues[clue].hpo_exact) for clue in meant):
            # a term broader than every finding it rules out: read as HPO reads an exclusion, and said with them
            broad.append(f"phenotypicFeatures[{index}] {shown} ({len(meant)}: {shortlist(list(meant), 8)})")
        excluded_at = _onset_of_denial(packet.phenotypicFeatures[index], index, unread_ages, packet.subject)
        for clue in meant:  # a present finding wins over an excluded one mapped to the same clue (noted)
            stated.setdefault(clue, {}).setdefault(False, []).append(term)
            clues[clue] = clues.get(clue, False)
            denials.setdefault(clue, []).append((f"phenotypicFeatures[{index}] {shown}", excluded_at))
    # every way of having a finding excluded (uveitis and erythema nodosum, for uveitis_or_erythema_nodosum) is the
    # finding excluded, as the contract reads an excluded term; one of them alone still rules nothing out
    for clue, ways in every_way_excluded(kb, excluded_ways, clues):
        clues[clue] = False
        stated.setdefault(clue, {}).setdefault(False, []).extend(sorted(ways))
        one_way = [item for item in one_way if not item.endswith(f"({clue})")]
    two_actions: list[str] = []  # medical actions that give a procedure and a treatment: both read, and said
    for action in packet.medicalActions:  # a treatment given is an exposure (loop diuretic, vitamin D, ...)
        if action.procedure is not None:  # a procedure coded in SNOMED CT (dialysis, a kidney transplant), as FHIR's
            done = action.procedure.code
            meant_by_code = kb.snomed_clues.get(done.id.split(":", 1)[-1], ()) \
                if done.id.upper().startswith(("SNOMED:", "SNOMEDCT:", "SCTID:")) else ()
            for clue in meant_by_code:
                stated.setdefault(clue, {}).setdefault(True, []).append(f"procedure {done.label or done.id}")
                clues[clue] = True
            if not meant_by_code:
                unmapped.append(f"procedure {done.id} {done.label}".strip())
            if action.treatment is None:
                continue
            # a medical action is one of them (a protobuf oneof): its treatment beside the procedure was dropped
            # unsaid (robustness round 84: calcitriol lost); each states what was done, so both are read, and said
            two_actions.append(f"procedure {done.label or done.id} and treatment "
                               f"{action.treatment.agent.label or action.treatment.agent.id}")
        if action.treatment is None:  # another action: listed among the parts not read
            continue
        agent = action.treatment.agent
        meant = clues_of_agent(kb, agent.label or agent.id)
        if meant and (word := agent_denied(agent.label or agent.id, kb.agent_clues)):
            denied_agents.append(f"treatment {agent.label or agent.id!r} (says {word!r}; named, it is "
                                 f"{', '.join(meant)})")
            continue
        native = not meant and is_native_vitamin_d(agent.label or agent.id)
        if native and "vitamin_d_therapy" in kb.clues:
            # plain vitamin D among a phenopacket's medical actions, the treatments its curator judged relevant, is
            # read as the exposure unless its dose is a usual one (a blind curator's phenopackets of published
            # vitamin D intoxications gave the agent alone, and six of seven lost their cause)
            dose = vitamin_d_dose_iu(action.treatment.doseIntervals) or vitamin_d_dose_in_text(agent.label or "")
            if dose is not None and dose <= VITAMIN_D_UPPER_INTAKE_IU:
                unread_agents.append(f"{agent.label or agent.id} ({dose:g} IU a dose)")
                continue
            meant = ("vitamin_d_therapy",)
            native_read.append(f"{agent.label or agent.id} ("
                               + vitamin_d_dose_said(dose, action.treatment.doseIntervals not in (None, [], {}, ""))
                               + ")")
        route = action.treatment.routeOfAdministration if isinstance(action.treatment.routeOfAdministration,
                                                                      dict) else {}
        if meant and (how := local_route(meant, agent.label or agent.id, str(route.get("id") or ""),
                                         str(route.get("label") or ""))):
            # a cream, eye drops or an amphotericin lozenge does not reach the kidneys: not the exposure (robustness
            # round 83: topical amphotericin was read as the nephrotoxic exposure, unsaid)
            local_agents.append(f"{agent.label or agent.id} ({how}; named, it is {', '.join(meant)})")
            continue
        if not meant:
            if is_native_vitamin_d(agent.label or agent.id):  # named in its own note
                unread_agents.append(agent.label or agent.id)
            else:
                unmapped.append(f"treatment {agent.id} {agent.label}".strip())
        for clue in meant:
            stated.setdefault(clue, {}).setdefault(True, []).append(f"treatment {agent.label or agent.id}")
            clues[clue] = True
        if meant and action.treatmentTerminationReason is not None:
            stopped_agents.append(f"{agent.label or agent.id} (terminated: "
                                  f"{action.treatmentTerminationReason.label or action.treatmentTerminationReason.id})")
        elif meant and (word := agent_stopped(agent.label or agent.id)):
            stopped_agents.append(f"{agent.label or agent.id} (its name says {word!r})")
        elif meant and (ended := _intervals_ended(action.treatment.doseIntervals)):
            # a treatment whose every dose interval has ended is a past exposure, read and said as a terminated one
            # (robustness round 61: read as current without a word)
            stopped_agents.append(f"{agent.label or agent.id} ({ended})")
        if "calcium_alkali_intake" in meant:
            calcium_agents.append(agent.label or agent.id)
    if family is not None and family.get("consanguinousParents") is True and "consanguinity" in kb.clues:
        stated.setdefault("consanguinity", {}).setdefault(True, []).append("the Family's consanguinousParents")
        clues["consanguinity"] = True
    labs: dict[str, Lab] = {}
    unread: list[str] = []
    categorical: list[str] = []  # a known assay whose value is a category (Low, High), not a quantity
    flag_readings: list[tuple[str, str, str]] = []  # categories that are a laboratory's flag: (lab, level, as shown)
    rejected: list[str] = []  # lab values that are not numbers, each naming its field
    repeated: dict[str, int] = {}  # assays measured more than once: the newest is used, as in a FHIR bundle
    unreadable_units: list[str] = []  # newer values of a repeated lab in a unit it does not take: not used
    unchecked_ids: list[str] = []  # unit ids of another ontology (NCIT) read by their label alone
    lab_parts: list[str] = []  # values of an assay of a part of the lab (25OHD3 alone): read as a lower bound
    observed: dict[str, float | None] = {}  # lab -> the age at the sample kept (timeObserved), when given
    series: dict[str, list[tuple[float, Lab]]] = {}  # lab -> every readable value with its age at sampling
    origins: dict[str, str] = {}  # lab -> the measurement its kept value came from (named if it cannot be used)
    born = packet.subject.dateOfBirth if packet.subject is not None else None  # dates a timestamp sample
    before_birth: list[str] = []  # lab values sampled before the date of birth: not the patient's
    described_measurements: list[str] = []  # measurement descriptions: free text, not read (said)
    for index, measurement in enumerate(packet.measurements):
        code = measurement.assay.id.split(":", 1)[-1] if measurement.assay.id.upper().startswith("LOINC:") else None
        lab_id = kb.loinc_labs.get(code) if code else None
        quantity = measurement.value.quantity if measurement.value is not None else None
        if lab_id is not None and measurement.value is not None and (
                measurement.complexValue is not None or (quantity is not None
                                                         and measurement.value.ontologyClass is not None)):
            # a measurement holds a value or a complexValue, and a value a quantity or a category (protobuf oneofs):
            # given both, the quantity was read and the other dropped unsaid, a "Low" category beside 11.9 mg/dL
            # (robustness round 84); which one is right cannot be known, as with a FHIR value[x] given twice
            given = "value and complexValue" if measurement.complexValue is not None \
                else "value.quantity and value.ontologyClass"
            rejected.append(f"measurements[{index}] ({lab_id}, LOINC {code}): gives {given}; a measurement holds one "
                            "of them, so neither is used")
            continue
        if lab_id is not None and quantity is None and measurement.value is not None \
                and measurement.value.ontologyClass is not None:
            # a known assay with a category for its value: said as such, not as an unknown assay (robustness round 81)
            category = measurement.value.ontologyClass
            # a flag's id is read in SNOMED CT (High 75540009, Low 62482003), else its label: "N" of another ontology
            # is no Normal, and an id and a label that disagree (Normal labelled "High") are no flag (robustness round
            # 87: both were read, by the id)
            prefix, _, local = category.id.partition(":")
            flag_levels = dict.fromkeys(found for found in (
                flag_level(local, "") if prefix.strip().upper() in SNOMED_PREFIXES else None,
                flag_level("", category.label)) if found is not None)
            if len(flag_levels) > 1:
                categorical.append(f"{measurement.assay.id} ({lab_id}): {category.id} {category.label}".strip()
                                   + " (its id and label are flags that disagree)")
                continue
            level = next(iter(flag_levels), None)
            if level is not None and level in kb.labs[lab_id].flags:
                # a result given as the laboratory's flag ("Low", SNOMEDCT:62482003): read as the findings the lab's
                # flags document (rules/labs.toml), as the FHIR reader reads an Observation "Low"
                flag_readings.append((lab_id, level, f"{lab_id} {level} ({category.id} {category.label})".strip()))
                continue
            categorical.append(f"{measurement.assay.id} ({lab_id}): {category.id} {category.label}".strip()
                               + (f" (a result flagged {level} without its value documents nothing: "
                                  + ((kb.labs[lab_id].flags_note if kb.labs[lab_id].flags else
                                      f"{lab_id} is read from its value alone") or "it is read from its value") + ")"
                                  if level is not None else ""))
            continue
        if lab_id is None or quantity is None:
            unread.append(f"{measurement.assay.id} {measurement.assay.label}".strip())
            continue
        description = measurement.description if isinstance(measurement.description, str) else None
        other = other_specimen(lab_id, [measurement.assay.label, description])
        if other:
            # a urine calcium under the serum calcium's LOINC code: not read, as the FHIR reader refuses an Observation
            # whose text or specimen names another specimen (robustness round 83: read as hypercalcaemia, unsaid)
            rejected.append(f"measurements[{index}] ({lab_id}, LOINC {code}): its assay label or description says "
                            f"{other!r}, another specimen than the code's, so not used")
            continue
        if measurement.description is not None and measurement.description != "":
            described_measurements.append(f"measurements[{index}] ({lab_id}): "
                                          + (repr(description[:80]) if description is not None
                                             else shown_value(measurement.description)))
        if isinstance(quantity.value, bool) or not isinstance(quantity.value, int | float):
            rejected.append(f"measurements[{index}].value.quantity.value ({lab_id}): must be a number, not "
                            + shown_value(quantity.value))
            continue
        if quantity.unit is None and kb.labs[lab_id].canonical != "pH":
            rejected.append(f"measurements[{index}].value.quantity.unit ({lab_id}): missing; a value without its unit "
                            f"cannot be read ({kb.labs[lab_id].accepted_units_text})")
            continue
        if quantity.comparator is not None:
            rejected.append(f"measurements[{index}].value.quantity.comparator ({lab_id}): a Phenopacket Quantity has "
                            f"no bound ({shown_value(quantity.comparator)}), and read as exact the value would mislead")
            continue
        if (day := _dated_before_birth(measurement.timeObserved, born)) is not None:
            # a value sampled before the birth is not the patient's (a mother's, in a newborn's record): not used, as
            # the FHIR reader does (robustness round 61: a calcium of the 20th of December read for a girl born in
            # January, with only "an age that cannot be read" said)
            before_birth.append(f"{lab_id} {shown_value(quantity.value)} (measurements[{index}].timeObserved {day})")
            continue
        # a date of sampling gives its age with the date of birth (without one, that is said)
        when = (measurement.timeObserved.years(f"measurements[{index}].timeObserved", unread_ages, born)
                if measurement.timeObserved is not None else None)
        if quantity.unit is None:  # a pH: a number without a unit (UCUM "1")
            unit = kb.labs[lab_id].canonical
        else:
            given_id = quantity.unit.id.strip()
            # a UCUM id is the unit; the Units of Measurement Ontology's concentration ids are read as theirs (an id
            # UO:0000063, millimolar, under the label "milligram per deciliter" was ignored and the label read, a
            # calcium of 2.9 mmol/L becoming a hypocalcaemia: robustness round 74)
            unit_id = given_id.split(":", 1)[-1] if given_id.upper().startswith("UCUM:") else \
                _UO_UNITS.get(given_id.upper().replace("_", ":"))
            if units_disagree(kb, lab_id, unit_id, quantity.unit.label):  # as FHIR's code and unit (fuzz review 44)
                rejected.append(f"measurements[{index}].value.quantity.unit ({lab_id}): its id {quantity.unit.id} "
                                f"and its label \"{quantity.unit.label}\" are different units; which one "
                                "the value is in cannot be known")
                continue
            # an id nobody reads is quoted as written when nothing else gives the unit ("UO:0000999", not "0000999")
            unit = lab_unit(kb, lab_id, unit_id, quantity.unit.label,
                            given_id.split(":", 1)[-1] if given_id.upper().startswith("UCUM:") else given_id)
            if unit_id is None and given_id and quantity.unit.label.strip() and unit_taken(kb, lab_id, unit):
                # an id this reader does not know (NCIT's unit codes) cannot be checked against its label, which is
                # read: said, as an id that contradicts its label would otherwise go unseen (robustness round 75: an
                # NCIT millimole id under a "milligram per deciliter" label made a calcium of 3.1 mmol/L hypocalcaemia)
                unchecked_ids.append(f"{lab_id} {quantity.value:g}: {given_id[:40]} \"{quantity.unit.label[:40]}\" "
                                     f"(measurements[{index}])")
        if lab_id in labs:
            repeated[lab_id] = repeated.get(lab_id, 1) + 1
            # a value in a unit the lab does not take would be refused, and the readable one with it: a readable
            # value wins over an unreadable one whatever their ages; between two of a kind, the newer wins
            taken, kept_taken = unit_taken(kb, lab_id, unit), unit_taken(kb, lab_id, labs[lab_id].unit)
            if kept_taken and not taken:
                unreadable_units.append(f"{lab_id} {quantity.value:g} {unit!r}")
                continue
            if taken and not kept_taken:
                unreadable_units.append(f"{lab_id} {labs[lab_id].value:g} {labs[lab_id].unit!r}")
            kept = observed.get(lab_id)
            if kept_taken == taken and kept is not None and (when is None or when < kept):  # an older or undated one
                continue
        observed[lab_id] = when
        if code in kb.loinc_at_least:  # an assay of a part of the lab (25OHD3 alone): the whole is at least the part
            lab_parts.append(f"{lab_id} {quantity.value:g} {unit} (LOINC {code})")
            labs[lab_id] = Lab(value=float(quantity.value), unit=unit, comparator=">=")
        else:
            labs[lab_id] = Lab(value=float(quantity.value), unit=unit)
        origins[lab_id] = f"measurements[{index}].value.quantity ({lab_id})"
        if when is not None and unit_taken(kb, lab_id, unit):
            series.setdefault(lab_id, []).append((when, labs[lab_id]))
    flags_read: list[str] = []  # flags read as findings
    to_read, flags_beside_value, not_used = flags_to_read(kb, flag_readings, labs, "measurement")
    rejected.extend(not_used)
    for lab_id, level, flag_shown in to_read:
        present = level != "normal"
        overruled = []  # a normal result does not overrule a feature stated present
        for clue in kb.labs[lab_id].flags[level]:
            if present:
                stated.setdefault(clue, {}).setdefault(True, []).append(f"{lab_id} {level}")
                clues[clue] = True
            elif clues.get(clue) is not True:
                clues[clue] = False
            else:
                overruled.append(clue)
        labels = ", ".join(kb.clues[c].label if c in kb.clues else c for c in kb.labs[lab_id].flags[level])
        flags_read.append(f"{flag_shown} as {labels} {'present' if present else 'absent'}"
                          + (f" (stated present, which wins: {', '.join(overruled)})" if overruled else ""))
    if flags_read:
        notes.append({"id": "phenopacket_lab_flag_read", "sources": [],
                      "message": "Measurements given as the laboratory's flag without a value were read as the "
                      "findings the flag states, by the laboratory's own range (a value would be judged here): "
                      + shortlist(flags_read)})
    if flags_beside_value:
        notes.append({"id": "phenopacket_lab_flag_beside_value", "sources": [],
                      "message": "Measurements given as a flag alone were not read, as a value of the same lab (or "
                      "of another that reads the same finding, named) is given and is read instead: "
                      + shortlist(flags_beside_value)})
    subject = packet.subject
    age = None
    if subject is not None and subject.timeAtLastEncounter is not None:
        time = subject.timeAtLastEncounter
        where = "subject.timeAtLastEncounter"
        age = time.years(where, unread_ages, subject.dateOfBirth)
        if age is not None and time.age is None and time.ageRange is not None and time.ageRange.start is not None \
                and time.ageRange.end is not None and age != iso_duration_years(time.ageRange.start.iso8601duration):
            # an age range is read as its middle: said, as every other reading of an age is (black-box review 11)
            notes.append({"id": "phenopacket_age_range", "sources": [],
                          "message": f"{where} is an age range ({time.ageRange.start.iso8601duration} to "
                          f"{time.ageRange.end.iso8601duration}): read as its middle, {_years(age)}; give --age if "
                          "the age is known."})
        born_on = parse_date(subject.dateOfBirth) if subject.dateOfBirth else None
        if subject.dateOfBirth and born_on is None and time.timestamp is None and time.interval is None:
            # not needed for the age, but written: said, not dropped (fuzz review 46)
            unread_ages.append(f"subject.dateOfBirth: {subject.dateOfBirth[:40]!r} "
                               f"{unread_date(subject.dateOfBirth, 'is not an ISO 8601 date or timestamp')}")
        if age is not None and born_on is not None and time.timestamp is None:
            # an age at the last encounter that would put the encounter in the future: one of the two is wrong
            from datetime import UTC, datetime

            alive = years_between(born_on.isoformat(), datetime.now(UTC).date().isoformat())
            if alive is not None and age > alive + 1:
                notes.append({"id": "phenopacket_age_after_today", "sources": [],
                              "message": f"{where} ({_years(age)}) is more than the subject has lived by today from "
                              f"subject.dateOfBirth ({born_on.isoformat()}): check both; the age of "
                              f"{where} was used."})
        kinds = [part for part in ("age", "ageRange", "gestationalAge", "ontologyClass", "timestamp", "interval")
                 if getattr(time, part) is not None]
        if len(kinds) > 1:  # a TimeElement is one of them (a protobuf oneof): the rest were dropped unsaid (fuzz 46)
            notes.append({"id": "phenopacket_time_kinds", "sources": [],
                          "message": f"{where} gives {' and '.join(kinds)}; a time element holds one of them: "
                          + (f"the age read is {_years(age)}; check the others." if age is not None else
                             "no age was read from it.")})
        if not kinds:
            unread_ages.append(f"{where} is empty (no age, ageRange, gestationalAge, timestamp or interval)")
        if time.gestationalAge is not None and time.age is None and time.ageRange is None and age is not None:
            weeks, days = time.gestationalAge.weeks, time.gestationalAge.days
            notes.append({"id": "phenopacket_gestational_age", "sources": [],
                          "message": f"{where} is a gestational age ({weeks} weeks {days} days): a time before or "
                          "at birth, read as birth. It does not state preterm birth: add Premature birth "
                          "(HP:0001622) if it applies."})
    elif subject is not None and subject.dateOfBirth is not None:
        dated = [when for when in observed.values() if when is not None]
        if dated:  # the latest dated measurement is the latest the record says the patient was seen
            age = max(dated)
            notes.append({"id": "phenopacket_age_from_measurements", "sources": [],
                          "message": f"No subject.timeAtLastEncounter: the age ({age:.3g} years) is that at the latest "
                          "measurement, from its timeObserved and subject.dateOfBirth."})
        elif onset_age is None and _death_age(subject) is None:  # with a dated onset or death it gives the age
            # at the onset or at death, which is used (fuzz review 46; robustness round 91)
            unread_ages.append(f"subject.dateOfBirth ({subject.dateOfBirth[:10]}) without subject.timeAtLastEncounter "
                               "or a dated measurement gives no age: there is no date to count to")
    died = _death_age(subject)
    if age is not None and died is not None and age > died + 1 / 365:
        # no one is seen after death: a later age is a typing error or another record's (as FHIR's
        # fhir_dated_after_death; robustness round 72)
        notes.append({"id": "phenopacket_age_after_death", "sources": [],
                      "message": f"The age of the record ({_years(age)}) is after subject.vitalStatus.timeOfDeath "
                      f"({_years(died)}): check both; the age at death was used."})
        age = died
    if age is None and died is not None:
        # a deceased subject with no age at the last encounter was last seen, at the latest, at death: the age at
        # death is the age of the record, as FHIR's deceasedDateTime gives it (fhir_age_at_death). It was dropped, the
        # age left unknown (robustness round 91: an infant who died at 4 months was weighed at no age at all)
        age = died
        notes.append({"id": "phenopacket_age_at_death", "sources": [],
                      "message": f"No subject.timeAtLastEncounter: the age ({_years(age)}) is that at death, "
                      "subject.vitalStatus.timeOfDeath."})
    if unread_ages:
        notes.append({"id": "phenopacket_age_not_read", "sources": [],
                      "message": "Ages that cannot be read, or are impossible, were not used: "
                      + "; ".join(unread_ages[:10])
                      + ("; ..." if len(unread_ages) > 10 else "")
                      + (". The age is unknown." if age is None and onset_age is None and latest_onset is None
                         else ".")})
    later_onsets = [f"{shown} ({_years(when)})" for shown, when in onsets if age is not None and when > age + 1 / 12]
    if later_onsets:  # as for the onset of nephrocalcinosis (onset_of_nephrocalcinosis): impossible, said
        notes.append({"id": "phenopacket_onset_after_age", "sources": [],
                      "message": f"Features whose onset is after the age of the record ({_years(age or 0.0)}) were "
                      "read as present; check the onset or timeAtLastEncounter: " + shortlist(later_onsets)})
    if age is None and onset_age is not None:
        age = onset_age
        notes.append({"id": "phenopacket_age_from_onset", "sources": [],
                      "message": f"No subject.timeAtLastEncounter: the age ({_years(age)}) is that at the onset of "
                      "the nephrocalcinosis."})
    if age is None and latest_onset is not None:
        # the latest onset is a lower bound: an adult's is taken (the age group is right), a child's is not (a
        # 25-year-old whose renal tubular acidosis began at 4 months is not an infant)
        adult = latest_onset >= kb.ages.child_below_years
        age = latest_onset if adult else None
        notes.append({"id": "age_from_onsets", "sources": [],
                      "message": "No age at the last encounter or at the onset of nephrocalcinosis: "
                      + (f"the age is taken as the latest onset of a stated feature ({latest_onset:g} years), which "
                         "the patient had at least reached." if adult else
                         f"the patient was at least {latest_onset:g} years old (the latest onset of a stated "
                         "feature), a lower bound only: the age is left unknown (give --age).")})
    sexes: dict[str, Sex] = {"FEMALE": "female", "MALE": "male"}
    sex = sexes.get(subject.sex if subject is not None else "")
    if subject is not None and subject.sex not in ("FEMALE", "MALE", "UNKNOWN_SEX"):
        said = ("OTHER_SEX (neither female nor male)" if subject.sex == "OTHER_SEX"
                else f"{subject.sex[:40]!r}, not a GA4GH sex ({', '.join(GA4GH_SEXES)})")
        notes.append({"id": "phenopacket_sex_unknown", "sources": [],
                      "message": f"subject.sex is {said}: the sex was left unknown (sex-specific priors and lab "
                      "limits use their unknown-sex values, and findings given by sex the frequency over both "
                      "sexes)."})
    if subject is None:  # as FHIR's fhir_no_patient: what is unknown for it is said (fuzz review 46)
        notes.append({"id": "phenopacket_no_subject", "sources": [],
                      "message": "The phenopacket has no subject: the sex is unknown"
                      + (" and so is the age" if age is None else "") + " (give --sex"
                      + (" and --age" if age is None else "") + " if they are known)."})
    _not_human(data.get("subject") if isinstance(data, dict) else None, notes)
    native_vitamin_d_note(unread_agents, notes)
    native_vitamin_d_read_note(native_read, "phenopacket", notes)
    denied_agents_note(denied_agents, notes)
    if local_agents:
        notes.append({"id": "phenopacket_treatment_route_local", "sources": [],
                      "message": "Treatments given by a route that does not reach the kidneys were not read as "
                      "exposures, whose harm comes from systemic use: " + shortlist(local_agents)
                      + ". If the patient also had the drug systemically, state that clue."})
    calcium_dose_note(calcium_agents, notes)
    if any(item.startswith(POTASSIUM_WASTING_DIURETIC) and "(excluded)" not in item for item in unmapped):
        # a blind curator's phenopackets of published preterm infants on furosemide gave only this term: said, so the
        # user can state which class it was (the two act on the urine calcium in opposite directions)
        notes.append({"id": "phenopacket_diuretic_class_not_said", "sources": [],
                      "message": f"{POTASSIUM_WASTING_DIURETIC} Potassium-wasting diuretic exposure names loop and "
                      "thiazide diuretics alike, which raise and lower the urine calcium: it was not read; state which "
                      "(--loop-diuretic or --thiazide), or give the drug as a medicalAction treatment."})
    if two_actions:
        notes.append({"id": "phenopacket_two_actions", "sources": [],
                      "message": "Medical actions that give a procedure and a treatment, where a medical action holds "
                      "one of them, were read as both: " + shortlist(two_actions)})
    if unmapped:
        notes.append({"id": "phenopacket_terms_not_mapped", "sources": [],
                      "message": f"{len(unmapped)} phenotypic feature(s) or treatment(s) map to no clue and were "
                      "not used: "
                      + "; ".join(unmapped[:20]) + ("; ..." if len(unmapped) > 20 else "")})
    if adverse:
        notes.append({"id": "phenopacket_adverse_events", "sources": [],
                      "message": "Adverse events of a treatment were read as the patient's findings (the treatment "
                      "may be their cause): " + "; ".join(dict.fromkeys(adverse[:10]))})
    if above_present:
        notes.append({"id": "phenopacket_excluded_above_present", "sources": [],
                      "message": "Excluded terms above a feature stated present contradict it (excluding a term "
                      "excludes everything below it) and were not read, so they rule nothing out; check the file: "
                      + shortlist(above_present)})
    if broad:
        notes.append({"id": "phenopacket_excluded_broad_term", "sources": [],
                      "message": "Excluded terms broader than the findings were read as ruling out every finding "
                      "below them (excluding a term excludes its descendants); if that is not meant, state the "
                      "findings one by one: " + shortlist(broad)})
    if one_way:
        notes.append({"id": "phenopacket_excluded_one_way", "sources": [],
                      "message": "Excluded terms that are one way among several of having a finding rule nothing out "
                      "and were not used: " + shortlist(one_way)})
    both = {clue: terms for clue, terms in stated.items() if True in terms and False in terms}
    # a broader term present, read as the clue itself (hpo_exact: "hearing impairment"), with the clue's own term
    # excluded ("sensorineural hearing impairment"): no conflict, the finding is of another kind; the clue is absent
    other_kind = {clue: terms for clue, terms in both.items() if clue in kb.clues
                  and all(term in kb.clues[clue].hpo_exact for term in terms[True])
                  and any(term not in kb.clues[clue].hpo_exact for term in terms[False])}
    for clue in other_kind:
        clues[clue] = False
        del both[clue]
    if other_kind:
        notes.append({"id": "phenopacket_broader_term_of_another_kind", "sources": [],
                      "message": "A broader term stated present with the finding's own term excluded was read as a "
                      "finding of another kind, and the clue as absent: "
                      + _both_ways(other_kind)})
    if both:
        notes.append({"id": "phenopacket_present_and_excluded", "sources": [],
                      "message": "Findings stated both present and excluded were read as present (a present "
                      "finding wins, as in a FHIR bundle): "
                      + _both_ways(both)})
    if resolved:
        notes.append({"id": "phenopacket_features_resolved", "sources": [],
                      "message": "Features that resolved were read as findings of the history, which a persisting "
                      "calcification may still reflect: " + shortlist(resolved)})
    if negated_by_modifier:
        notes.append({"id": "phenopacket_modifier_negates", "sources": [],
                      "message": "Features whose modifier says they are not there were read as excluded: "
                      + "; ".join(negated_by_modifier[:10])})
    if relatives_features:
        notes.append({"id": "phenopacket_family_history_features", "sources": [],
                      "message": "Features marked as a family history are a relative's, not the patient's, and were "
                      "not read: " + "; ".join(relatives_features[:10])
                      + "; give a family-history clue (--family-history-stones, ...) if one applies."})
    if described:
        notes.append({"id": "phenopacket_description_not_read", "sources": [],
                      "message": "Feature descriptions are free text, which is not read; these may deny their "
                      "feature, which was read as present (set excluded if it is absent): "
                      + "; ".join(described[:10])})
    if stopped_agents:
        notes.append({"id": "phenopacket_treatments_stopped", "sources": [],
                      "message": "Treatments stopped were read as exposures (nephrocalcinosis persists after the "
                      "drug that caused it): " + "; ".join(stopped_agents[:10])})
    if qualifiers:
        notes.append({"id": "phenopacket_modifiers_not_read", "sources": [],
                      "message": "Modifiers and severities change no clue and were not used (a laterality modifier of "
                      "the nephrocalcinosis term is read): " + shortlist(qualifiers)})
    not_read = _parts_not_read(data)
    if not_read:
        notes.append({"id": "phenopacket_parts_not_read", "sources": [],
                      "message": "Parts of the phenopacket that nephrocalc does not read were not used: "
                      + "; ".join(not_read)})
    if unread:
        notes.append({"id": "phenopacket_measurements_not_read", "sources": [],
                      "message": "measurements without a known LOINC assay or a quantity were not used: "
                      + "; ".join(unread[:20])})
    if normalised_ids:
        notes.append({"id": "phenopacket_hpo_id_normalised", "sources": [],
                      "message": "HPO ids not written as the CURIE HP:nnnnnnn were read as the term they name: "
                      + shortlist(normalised_ids)})
    if mislabelled:
        notes.append({"id": "phenopacket_label_of_another_term", "sources": [],
                      "message": "Features whose label is that of another HPO term were read by their id; check the "
                      "term: " + shortlist(mislabelled)})
    if described_measurements:
        notes.append({"id": "phenopacket_measurement_description_not_read", "sources": [],
                      "message": "Measurement descriptions are free text, which is not read (only a specimen other "
                      "than the assay's, named there, leaves the value out): " + shortlist(described_measurements)})
    if categorical:
        notes.append({"id": "phenopacket_measurements_categorical", "sources": [],
                      "message": "measurements of a known assay whose value is a category, not a quantity, were not "
                      "used (the limits read a value with its unit; state the finding as a phenotypic feature): "
                      + "; ".join(categorical[:20])})
    if lab_parts:
        notes.append({"id": "phenopacket_lab_part", "sources": [],
                      "message": "Lab values of an assay of a part of the lab (25-hydroxyvitamin D3 alone, without D2) "
                                 "were read as a lower bound of the lab: the whole is at least the part: "
                                 + "; ".join(lab_parts[:10])})
    paired = paired_with_pth(labs, observed, series, lambda a, b: a - b, float, lambda at: f"at {years_shown(at)}")
    if paired:
        notes.append({"id": "phenopacket_labs_paired", "sources": [],
                      "message": "A PTH is read with the calcium it answered: of a calcium (and its albumin) given "
                                 "more than once, the value nearest the PTH's age at sampling was used, not the "
                                 "newest: " + "; ".join(paired)})
    if unchecked_ids:
        notes.append({"id": "phenopacket_unit_id_unchecked", "sources": [],
                      "message": "Unit ids that are not UCUM's, nor among the Units of Measurement Ontology's "
                                 "concentration ids nephrocalc knows, are not read: "
                                 "each value was read in the unit its label names; check that the id names the same "
                                 "unit: "
                                 + "; ".join(unchecked_ids[:10])})
    if before_birth:
        notes.append({"id": "phenopacket_lab_before_birth", "sources": [],
                      "message": f"Labs sampled before subject.dateOfBirth ({str(born)[:10]}) are not the patient's (a "
                      "mother's value in a newborn's record?) and were not used: " + "; ".join(before_birth[:10])})
    if repeated:
        notes.append({"id": "phenopacket_labs_repeated", "sources": [],
                      "message": "Labs given more than once; the newest was used (by timeObserved; the last in the "
                                 "phenopacket where the ages do not decide), unless paired with the PTH: "
                      + "; ".join(f"{lab_id} ({n} values; used {_lab_shown(labs[lab_id])}"
                                  + (f" at {years_shown(when)}" if (when := observed.get(lab_id)) is not None else "")
                                  + ")" for lab_id, n in sorted(repeated.items()) if lab_id in labs)
                      + ("; values in a unit the lab does not take were not used (a readable one was): "
                         + "; ".join(unreadable_units[:10]) if unreadable_units else "")})
    # an excluded pattern term contradicts nephrocalcinosis stated present only when it is nephrocalcinosis itself or
    # a pattern stated present; medullary present with cortical excluded is one coherent statement (black-box
    # review 12: it was said to exclude nephrocalcinosis)
    against = [shown for named, shown in excluded_nc if named == NEPHROCALCINOSIS or named in patterns]
    other_patterns = [shown for named, shown in excluded_nc if named != NEPHROCALCINOSIS and named not in patterns]
    if seen_nc and against:  # the finding the ranking assumes, stated both ways
        notes.append({"id": "phenopacket_nephrocalcinosis_present_and_excluded", "sources": [],
                      "message": f"The phenopacket states nephrocalcinosis and also excludes it "
                      f"({'; '.join(against)}): it was read as present (a present finding wins); check the file."})
    if seen_nc and other_patterns:
        notes.append({"id": "phenopacket_other_pattern_excluded", "sources": [],
                      "message": f"The phenopacket excludes another pattern ({'; '.join(other_patterns)}): it agrees "
                      "with the nephrocalcinosis stated present, and changes nothing."})
    if not seen_nc and against:
        notes.append({"id": "phenopacket_nephrocalcinosis_excluded", "sources": [],
                      "message": f"The phenopacket excludes nephrocalcinosis ({'; '.join(against)}): this patient "
                      "has none, and the ranking, which assumes it, does not apply."})
    elif not seen_nc:
        notes.append({"id": "phenopacket_without_nephrocalcinosis", "sources": [],
                      "message": "No phenotypic feature states nephrocalcinosis (HP:0000121 or a descendant): "
                      "the ranking assumes it." + (f" It excludes one pattern ({'; '.join(other_patterns)}), which "
                                                   "does not say there is another." if other_patterns else "")})
    pattern = pattern_of(patterns, notes)
    if pattern is None:
        notes.append({"id": "pattern_unknown", "sources": [],
                      "message": "No term gives the pattern of the calcification ("
                      # each pattern's own terms (the cortical one's id was missing: robustness round 63)
                      + ", ".join(f"{name} {' or '.join(kb.pattern_hpo[name])}" for name in ("medullary", "cortical")
                                  if kb.pattern_hpo.get(name))
                      + "): the causes were ranked without pattern evidence."})
    onset = onset_of_nephrocalcinosis(onset_age, age, notes)
    if (age == 0.0 or onset == 0.0) and clues.get("preterm_infant") is True:
        # at birth and born preterm: the contract's age 0, a preterm neonate, which is how --format phenopacket
        # writes it (robustness round 79: age 0 written as P0D alone read back as a term birth, and the ranking moved)
        notes.append({"id": "phenopacket_age_at_birth", "sources": [],
                      "message": "The phenopacket gives " + ("the age" if age == 0.0 else "the age at which the "
                                                             "nephrocalcinosis was found")
                      + " as at or before birth, with Premature birth (HP:0001622): read as age 0, a preterm "
                      "neonate."})
    elif age == 0.0 or onset == 0.0:
        # an age at birth or before it (P0D, Congenital onset, a gestational age) is hours old, not the contract's age
        # 0, a preterm neonate of unstated age, which weighs the first week differently: taken as half a day, as the
        # FHIR reader takes a birth on the day of the record (robustness round 78: a term newborn at P0D was ranked
        # as a preterm neonate, nephrocalcinosis of prematurity 89%, without a word)
        which = "the age" if age == 0.0 else "the age at which the nephrocalcinosis was found"
        age = HALF_DAY if age == 0.0 else age
        onset = HALF_DAY if onset == 0.0 else onset
        notes.append({"id": "phenopacket_age_at_birth", "sources": [],
                      "message": f"The phenopacket gives {which} as at or before birth: taken as half a day (age 0 "
                      "means a preterm neonate of unstated age); state Premature birth (HP:0001622) if the patient "
                      "was born preterm."})
    sampled = judged_at_own_age(labs, {lab_id: (when, "") for lab_id, when in observed.items()}, age)
    if sampled:
        notes.append({"id": "phenopacket_lab_ages", "sources": [],
                      "message": "Labs measured at another age than the case's were judged against the limits of "
                      "the age at sampling (timeObserved): " + "; ".join(sampled[:10])})
    later = [f"{lab_id} at {when:.3g} years" for lab_id, when in sorted(observed.items())
             if when is not None and age is not None and when > age + 1 / 12 and lab_id in labs]
    if later:
        notes.append({"id": "phenopacket_lab_after_encounter", "sources": [],
                      "message": f"Labs observed after the age of the record ({age:.3g} years) were judged at that "
                      "age; check the timeObserved or timeAtLastEncounter: " + "; ".join(later)})
    sides = both_sides(sides, hands)
    laterality = next(iter(sides)) if len(sides) == 1 else None
    if len(sides) > 1:
        notes.append({"id": "laterality_unknown", "sources": [],
                      "message": "The nephrocalcinosis features are modified both unilateral and bilateral: no "
                      "laterality was set."})
    case_id = packet.id or (str(family.get("id") or "") if family is not None else "")
    case = Case(pattern=pattern, id=case_id or None, age_years=age, onset_age_years=onset, laterality=laterality,
                sex=sex, clues=clues, labs=labs)
    case = checked_labs(case, kb, notes, "phenopacket_measurements_not_read", rejected, origins)
    # an excluded feature does not outweigh a measured value of the phenopacket unless it is the later (F1, round 83)
    case = measured_over_denied(
        case, kb, {clue: said for clue, said in denials.items() if case.clues.get(clue) is False},
        lambda lab_id: observed[lab_id] if observed.get(lab_id) is not None else case.age_years,
        lambda denied, sampled: denied > sampled + SAME_AGE, lambda at: f"at {_years(at)}", notes,
        "phenopacket_excluded_vs_lab", "phenopacket")
    return case, notes


# notes of the reader that speak of the age (or the onset) it read: a flag that replaces the age marks them
_AGE_NOTES = frozenset({"phenopacket_age_range", "phenopacket_age_from_onset", "phenopacket_age_from_measurements",
                        "age_from_onsets", "phenopacket_age_after_death", "phenopacket_age_at_death",
                        "phenopacket_gestational_age",
                        "phenopacket_age_at_birth", "phenopacket_age_after_today", "phenopacket_time_kinds",
                        "phenopacket_onset_after_age", "phenopacket_lab_after_encounter", "phenopacket_age_not_read"})
_ONSET_NOTES = frozenset({"phenopacket_onset_class", "phenopacket_onset_range"})
_SEX_NOTES = frozenset({"phenopacket_sex_unknown", "phenopacket_no_subject"})
# notes that name a clue the reader read (or left out): a flag that states the clue marks them
_CLUE_NOTES = frozenset({"phenopacket_excluded_vs_lab", "phenopacket_denial_after_lab",
                         "phenopacket_present_and_excluded", "phenopacket_treatment_route_local"})


def replaced_by_flags(notes: list[Note], read: Mapping[str, Any], case: Case, kb: KnowledgeBase) -> list[Note]:
    """The reader's notes once command-line flags have replaced some of the values it read (``read``: the case the
    phenopacket gave, as a dict; ``case``: the case after the flags): a note about a lab, the age, the sex or a clue
    that a flag replaced is marked "(replaced by --lab ...)", so that the result does not say one value was used
    while another was; the note on the age at which the causes are weighed is said again with the final ages
    (robustness round 83, F15)."""
    read_labs = read.get("labs") or {}
    labs: dict[str, str] = {}
    for lab_id, lab in case.labs.items():
        old = read_labs.get(lab_id)
        if isinstance(old, Mapping) and (old.get("value"), old.get("unit"), old.get("comparator"),
                                         old.get("age_years")) != (lab.value, lab.unit, lab.comparator, lab.age_years):
            labs[lab_id] = f"--lab {lab_id}={lab.comparator or ''}{lab.value:g} {lab.unit}"
    read_clues = read.get("clues") or {}
    clues = {clue: f"--{'' if value else 'no-'}{clue.replace('_', '-')}" for clue, value in case.clues.items()
             if read_clues.get(clue) is not value}
    age_flag = f"--age {case.age_years:g}" if case.age_years is not None and case.age_years != read.get(
        "age_years") else ""
    onset_flag = f"--onset-age {case.onset_age_years:g}" if case.onset_age_years is not None and \
        case.onset_age_years != read.get("onset_age_years") else ""
    sex_flag = f"--sex {case.sex}" if case.sex is not None and case.sex != read.get("sex") else ""
    if not (labs or clues or age_flag or onset_flag or sex_flag):
        return notes
    out: list[Note] = []
    for note in notes:
        if note["id"] in ("causes_weighed_at_onset", "onset_after_age") and (age_flag or onset_flag):
            onset_of_nephrocalcinosis(case.onset_age_years, case.age_years, out)  # said with the final ages
            continue
        message = note["message"]
        said = [f"{lab_id} replaced by {flag}" for lab_id, flag in sorted(labs.items())
                if re.search(rf"(?<![A-Za-z0-9_]){re.escape(lab_id)}(?![A-Za-z0-9_])", message)]
        if note["id"] in _CLUE_NOTES:
            said += [f"{clue} replaced by {flag}" for clue, flag in sorted(clues.items())
                     if re.search(rf"(?<![A-Za-z0-9_]){re.escape(clue)}(?![A-Za-z0-9_])", message)]
        if age_flag and note["id"] in _AGE_NOTES:
            said.append(f"the age replaced by {age_flag}")
        if onset_flag and note["id"] in _ONSET_NOTES:
            said.append(f"the onset replaced by {onset_flag}")
        if sex_flag and note["id"] in _SEX_NOTES:
            said.append(f"the sex replaced by {sex_flag}")
        out.append({**note, "message": f"{message.rstrip()} ({'; '.join(said)})"} if said else note)
    return out


def _onset_of_denial(feature: PhenotypicFeature, index: int, unread_ages: list[str],
                     subject: Individual | None) -> float | None:
    """When an excluded feature was stated absent: its onset, read as a present feature's is (an age that cannot be
    read is named with the others); None when it has none."""
    if feature.onset is None:
        return None
    return feature.onset.years(f"phenotypicFeatures[{index}].onset", unread_ages,
                               subject.dateOfBirth if subject is not None else None)


HALF_DAY = 0.5 / 365.25  # an age at birth, in years (FHIR: born on the day of the record)

T = TypeVar("T")  # when a sample was taken: a FHIR date or a phenopacket age in years


def _lab_shown(lab: Lab) -> str:
    return f"{lab.comparator or ''}{lab.value:g} {lab.unit}"


def paired_with_pth(labs: dict[str, Lab], kept_at: dict[str, T | None], series: Mapping[str, list[tuple[T, Lab]]],
                    apart: Callable[[T, T], float], order: Callable[[T], float],
                    shown: Callable[[T], str]) -> list[str]:
    """Of a calcium sampled more than once, the value nearest the PTH's sample is kept (and of the albumin, the one
    nearest the calcium kept), so that the PTH is read with the calcium it answered, not a later one (interop review
    48: a PTH of 120 drawn during hypercalcaemia of 11.8 was read with a normal calcium 17 months later, and
    hyperparathyroidism fell to fifth). ``kept_at`` and ``series`` give when each value kept and each value was
    sampled: a FHIR date, or a phenopacket's age at sampling; ``apart`` is the distance of two, ``order`` ranks them
    (the newer wins a tie), ``shown`` words one. What was changed, in words; nothing when the PTH is undated."""
    when_pth = kept_at.get("pth")
    if "pth" not in labs or when_pth is None:
        return []
    said = []
    for lab_id in ("serum_calcium", "ionized_calcium", "serum_albumin"):
        target = when_pth
        if lab_id == "serum_albumin":  # the albumin corrects the calcium: the one beside the calcium kept
            calcium_at = kept_at.get("serum_calcium")
            target = when_pth if calcium_at is None else calcium_at
        kept = kept_at.get(lab_id)
        values = series.get(lab_id, [])
        if lab_id not in labs or kept is None or len(values) < 2:
            continue
        when, lab = min(values, key=lambda item: (abs(apart(item[0], target)), -order(item[0])))
        if when == kept:
            continue
        said.append(f"{lab_id} {_lab_shown(lab)} {shown(when)} (the PTH {shown(when_pth)}), not "
                    f"{_lab_shown(labs[lab_id])} {shown(kept)}")
        labs[lab_id] = lab
        kept_at[lab_id] = when
    return said


def _proband(family: dict[str, Any], notes: list[Note]) -> dict[str, Any]:
    """The proband of a GA4GH Family, which is read as the patient; a note says so and names what of the
    family is not read (relatives, pedigree)."""
    proband = family["proband"]
    if not isinstance(proband, dict):
        raise InputError("phenopacket.proband", "must be a phenopacket (a JSON object): a GA4GH Family is read as "
                         "its proband")
    not_read = []
    relatives = family.get("relatives")
    if relatives:
        not_read.append(f"relatives ({len(relatives) if isinstance(relatives, list) else 'unreadable'})")
    if family.get("pedigree") is not None:
        not_read.append("pedigree")
    if family.get("files"):
        not_read.append("files")
    consanguinous = family.get("consanguinousParents")
    if consanguinous not in (None, True, False):
        not_read.append(f"consanguinousParents {shown_value(consanguinous)} (must be true or false)")
    not_read.extend(f"{str(key)[:40]!r}, not a field of a GA4GH Family" for key in family
                    if key not in _FAMILY_FIELDS)
    family_id = family.get("id")
    notes.append({"id": "phenopacket_family_proband", "sources": [],
                  "message": f"This is a GA4GH Family{f' ({str(family_id)[:40]})' if family_id else ''}: its proband "
                  "was read as the patient"
                  + ("; consanguinousParents true was read as consanguinity" if consanguinous is True else "")
                  + ("; not read: " + "; ".join(not_read) if not_read else "") + "."})
    return proband


HUMAN = "NCBITaxon:9606"  # Homo sapiens


def _not_human(subject: object, notes: list[Note]) -> None:
    """A subject whose ``taxonomy`` is not Homo sapiens (a mouse model) is ranked all the same, with a note that
    the priors, lab limits and rules are human ones."""
    if not isinstance(subject, dict) or subject.get("taxonomy") is None:
        return
    taxonomy = subject["taxonomy"]
    if isinstance(taxonomy, dict) and str(taxonomy.get("id", "")).strip().upper() == HUMAN.upper():
        return
    shown = _term(taxonomy) if isinstance(taxonomy, dict) else shown_value(taxonomy)
    notes.append({"id": "phenopacket_not_human", "sources": [],
                  "message": f"subject.taxonomy is {shown}, not Homo sapiens ({HUMAN}): the causes were ranked with "
                  "the priors, lab limits and rules of human patients, which may not apply."})


def _parts_not_read(data: dict[str, Any]) -> list[str]:
    """The parts of a phenopacket that are not read, each named: diseases and interpretations (diagnoses,
    never read as findings), medical actions other than treatments, biosamples, files, and fields a
    phenopacket does not have."""
    parts: list[str] = []
    diseases = [f"{_term(d.get('term'))}{' (excluded)' if d.get('excluded') is True else ''}"
                for d in _listed(data.get("diseases")) if isinstance(d, dict)]
    if data.get("diseases"):
        parts.append("diseases (" + "; ".join(diseases[:5] or ["unreadable"]) + ("; ..." if len(diseases) > 5 else "")
                     + "): a diagnosis is not read as a finding")
    for index, action in enumerate(_listed(data.get("medicalActions"))):
        if isinstance(action, dict) and (isinstance(action.get("treatment"), dict)
                                         or isinstance(action.get("procedure"), dict)):
            # read (its agent or its code), or listed among those that map to no clue; what it was for and how it
            # went are not (robustness round 69: a treatment target of hypoparathyroidism was dropped unsaid)
            for field, why in (("treatmentTarget", "the condition treated is not read as a finding; give it as a "
                                                   "phenotypic feature if the patient has it"),
                               ("treatmentIntent", "not read"), ("responseToTreatment", "not read")):
                if action.get(field) is not None:
                    given = _term(action[field]) if isinstance(action[field], dict) else "unreadable"
                    parts.append(f"medicalActions[{index}].{field} ({given}): {why}")
            continue
        kind = next((key for key in ("procedure", "radiationTherapy", "therapeuticRegimen")
                     if isinstance(action, dict) and key in action), None)
        what = _term(action["procedure"].get("code")) if kind == "procedure" and isinstance(
            action["procedure"], dict) else ""
        parts.append(f"medicalActions[{index}] {kind or 'unreadable'} {what}".strip())
    subject = data.get("subject")
    if isinstance(subject, dict) and subject.get("vitalStatus"):  # the status, time and cause of death
        parts.append("subject.vitalStatus (the status and cause of death are not read; a timeOfDeath only keeps the "
                     "age at or before it, and gives it when nothing else does)")
    for field in ("gender", "karyotypicSex"):  # fields of an Individual, but the sex is subject.sex
        if isinstance(subject, dict) and subject.get(field) is not None:
            given = _term(subject[field]) if isinstance(subject[field], dict) else shown_value(subject[field])
            parts.append(f"subject.{field} ({given}; the sex is read from subject.sex)")
    for field in ("interpretations", "biosamples", "files"):
        if data.get(field):
            count = len(data[field]) if isinstance(data[field], list) else "unreadable"
            parts.append(f"{field} ({count})")
    parts.extend(f"{str(key)[:40]!r}, not a field of a GA4GH Phenopacket v2" for key in data
                 if key not in _PHENOPACKET_FIELDS)
    # a misspelt field inside a part that is read (subject.sexx) is named as well: never silently ignored
    nested = [("subject", [data.get("subject")], _INDIVIDUAL_FIELDS),
              ("phenotypicFeatures", _listed(data.get("phenotypicFeatures")), _FEATURE_FIELDS),
              ("measurements", _listed(data.get("measurements")), _MEASUREMENT_FIELDS),
              ("medicalActions", _listed(data.get("medicalActions")), _ACTION_FIELDS)]
    ranges = 0
    for field, items, known in nested:
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            where = field if field == "subject" else f"{field}[{index}]"
            parts.extend(f"{where}.{str(key)[:40]}, not a field of a GA4GH Phenopacket v2 {field}" for key in item
                         if key not in known)
            for part, fields, name in (("treatment", _TREATMENT_FIELDS, "Treatment"),
                                       ("procedure", _PROCEDURE_FIELDS, "Procedure")):
                inner = item.get(part) if field == "medicalActions" else None
                if isinstance(inner, dict):  # a medical action's treatment or procedure: its fields too
                    parts.extend(f"{where}.{part}.{str(key)[:40]}, not a field of a GA4GH Phenopacket v2 {name}"
                                 for key in inner if key not in fields)
            value = item.get("value") if field == "measurements" else None
            if isinstance(value, dict):  # inside a measurement's value: its quantity's fields too
                parts.extend(f"{where}.value.{str(key)[:40]}, not read" for key in value
                             if key not in ("quantity", "ontologyClass"))
                quantity = value.get("quantity")
                if isinstance(quantity, dict):
                    ranges += "referenceRange" in quantity
                    parts.extend(f"{where}.value.quantity.{str(key)[:40]}, not a field of a GA4GH Phenopacket v2 "
                                 "Quantity" for key in quantity if key not in ("unit", "value", "comparator",
                                                                                "referenceRange"))
    if ranges:  # said once, not once per measurement (FHIR realism review 54: a third of all warnings were such)
        parts.append(f"the referenceRange of {ranges} measurement{'s' if ranges != 1 else ''} (the tool's own "
                     "reference limits are used)")
    return parts


def _term(data: object) -> str:
    """An ontology class as listed: its id and label."""
    if not isinstance(data, dict):
        return "unreadable"
    return f"{str(data.get('id', '?'))[:40]} {str(data.get('label', ''))[:60]}".strip()


def _listed(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def shown_value(value: object) -> str:
    """A JSON value as a note names it: true, null, "11.9" (a string), [...]."""
    if isinstance(value, str):
        return f"the string {json.dumps(value[:40], ensure_ascii=False)}"
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "an object"
    return json.dumps(value) if value is None or isinstance(value, bool) else repr(value)[:40]


def _age_at(timestamp: str, born: str | None, where: str, problems: list[str]) -> float | None:
    """The age a timestamp gives with the subject's date of birth; None, with the problem named, when there
    is no date of birth, either cannot be read, or the age lies outside 0-130 years."""
    if not born:
        problems.append(f"{where}.timestamp ({timestamp[:40]}) gives an age only with subject.dateOfBirth, "
                        "which is not given")
        return None
    when = parse_date(timestamp)
    if when is None:
        problems.append(f"{where}.timestamp: {timestamp[:40]!r} "
                        f"{unread_date(timestamp, 'is not an ISO 8601 date or timestamp')}")
        return None
    if in_future(when):  # a typo (2099 for 2019): the age taken at it would be decades too old
        problems.append(f"{where}.timestamp ({timestamp[:10]}) is in the future")
        return None
    if parse_date(born) is None:
        problems.append(f"subject.dateOfBirth: {born[:40]!r} "
                        f"{unread_date(born, 'is not an ISO 8601 date or timestamp')}")
        return None
    years = years_between(born, timestamp)
    if years is None or not 0 <= years <= MAX_AGE:
        problems.append(f"subject.dateOfBirth ({born[:10]}) " + (
            f"is after {where}.timestamp ({timestamp[:10]})" if years is not None and years < 0
            else f"gives an age of {years_shown(years or 0.0)} at {where}.timestamp ({timestamp[:10]})")
            + "; an age must be 0-130 years")
        return None
    return years


# two ages closer than this are the same age counted two ways (calendar years of dates, 365.25-day years of
# durations): never a whole day, so that every day of a neonate's age counts
SAME_AGE = 0.5 / 365.25


def onset_of_nephrocalcinosis(onset: float | None, age: float | None, notes: list[Note]) -> float | None:
    """The age at which the nephrocalcinosis was found, when a reader states it earlier than the case's age
    (a record of a course): the causes are then weighed at that age, with a note; a later onset than the
    age is inconsistent and not used, with a note. Only an onset within half a day of the age (the same age, two
    ways of counting days) is left out: a month's margin dropped a neonate's onset at 3 days with the age at 20 days
    silently, and a week decides the neonatal causes (fuzz review 47)."""
    if onset is None or age is None or abs(age - onset) < SAME_AGE:
        return None
    if onset > age:
        notes.append({"id": "onset_after_age", "sources": [],
                      "message": f"The onset of nephrocalcinosis ({_years(onset)}) is after the age of the record "
                      f"({_years(age)}): the onset was not used."})
        return None
    notes.append({"id": "causes_weighed_at_onset", "sources": [],
                  "message": f"Nephrocalcinosis was found at {_years(onset)}, the patient is {_years(age)}: the "
                  "causes are weighed at the age it was found (priors, forms), the lab values at the current age "
                  "unless dated otherwise."})
    return onset


# the notes of a FHIR bundle that only say how the age was taken from it: moot once --age gives it
_FHIR_AGE_NOTES = frozenset({"fhir_birth_date_partial", "fhir_record_date_partial", "fhir_born_on_the_day",
                        "fhir_age_at_onset", "fhir_age_observation_not_used", "fhir_deceased_without_date",
                        "fhir_age_at_death", "fhir_record_date_at_timestamp", "fhir_age_unknown"})
# notes that say the age, the sex or the pattern taken from the document, moot once a flag gives it
_FHIR_SEX_NOTES = frozenset({"fhir_sex_unknown"})
_FHIR_PATTERN_NOTES = frozenset({"fhir_without_nephrocalcinosis", "pattern_combined"})


def notes_after_flags(notes: list[Note], case: Case, *, age: bool, sex: bool, pattern: bool,
                      labs: list[str]) -> list[Note]:
    """A document's notes once command-line flags replaced some of its values (robustness round 83: the onset note
    gave the document's age beside --age 60, and the notes on a paired or repeated calcium said it was used beside
    --lab): a note only on how a replaced value was read is dropped, the onset note is said again at the case's age,
    and a note naming a lab that --lab replaced says so."""
    kept: list[Note] = []
    for note in notes:
        if (age and note["id"] in _FHIR_AGE_NOTES) or (sex and note["id"] in _FHIR_SEX_NOTES) \
                or (pattern and note["id"] in _FHIR_PATTERN_NOTES) \
                or (age and note["id"] in ("causes_weighed_at_onset", "onset_after_age")):
            continue
        message = note["message"]
        if age and note["id"] in ("fhir_age_not_read", "fhir_dated_after_death"):
            message = message.removesuffix(" The age is unknown.") + " (The age was given by --age.)"
        named = [lab_id for lab_id in dict.fromkeys(labs) if lab_id and re.search(rf"\b{re.escape(lab_id)}\b", message)]
        if named:
            message += f" ({', '.join(named)} replaced by --lab.)"
        kept.append({**note, "message": message} if message != note["message"] else note)
    if age and case.onset_age_years is not None and case.age_years is not None:
        onset_of_nephrocalcinosis(case.onset_age_years, case.age_years, kept)
    return kept


def in_future(when: date) -> bool:
    """Whether a document's date lies after today (with a day's margin for time zones): no record is dated
    then, so it is a typo, and an age taken at it would be wrong."""
    from datetime import UTC, datetime, timedelta

    return when > datetime.now(UTC).date() + timedelta(days=1)


def years_shown(years: float) -> str:
    """An age out of 0-130 years as a message gives it: never rounded onto the bound it breaks (130.003 years
    was "130 years; an age must be 0-130 years")."""
    shown = f"{years:.4g}"
    if years > MAX_AGE and float(shown) <= MAX_AGE:
        return f"more than {MAX_AGE:g} years"
    return f"{shown} years"


def _intervals_ended(intervals: object) -> str:
    """How a treatment's dose intervals say it is over: every interval ended before today, or one that ends before
    it starts ("" when none says so, or the dates cannot be read)."""
    from datetime import UTC, datetime

    ends: list[date] = []
    for dose in intervals if isinstance(intervals, list) else ():
        interval = dose.get("interval") if isinstance(dose, dict) else None
        if not isinstance(interval, dict):
            return ""
        start, end = (parse_date(interval[key]) if isinstance(interval.get(key), str) else None
                      for key in ("start", "end"))
        if start is not None and end is not None and end < start:
            return f"doseIntervals interval ends {end.isoformat()}, before it starts {start.isoformat()}"
        if end is None:
            return ""
        ends.append(end)
    if ends and max(ends) < datetime.now(UTC).date():
        return f"its doseIntervals ended {max(ends).isoformat()}"
    return ""


def _dated_before_birth(time: TimeElement | None, born: str | None) -> str | None:
    """The date of a time element given as a timestamp (or an interval's start) that lies before the date of birth,
    else None (no date, no birth date, or either unreadable: the age reader says so)."""
    if time is None or born is None or parse_date(born) is None:
        return None
    at = time.timestamp if time.timestamp is not None else (
        time.interval.get("start") if isinstance(time.interval, dict) else None)
    if not isinstance(at, str) or parse_date(at) is None:
        return None
    years = years_between(born, at)
    return at[:10] if years is not None and years < 0 else None


def years_between(born: str, at: str) -> float | None:
    """The age in years between two ISO 8601 dates or timestamps (a birth date and a date of encounter);
    a date of year or year-month precision counts from the middle of that year or month (the age is then
    off by at most half the period, and a negative age within that margin, or within a day, is 0). None when
    either cannot be read. A date of birth after the date of encounter gives a negative age: callers check
    that an age lies in 0-130 years."""
    start, end = parse_date(born), parse_date(at)
    if start is None or end is None:
        return None
    years = _calendar_years(start, end) if end >= start else -_calendar_years(end, start)
    margin = max(_margin(born), _margin(at))
    return 0.0 if -margin < years < 0 else years


def _calendar_years(start: date, end: date) -> float:
    """Years from ``start`` to a later ``end`` as ages are counted: the completed years, then the share of the
    current year of age, so that a birthday is a whole number (days / 365.25 made a child 1.9986 years old on
    her second birthday, and put her in the age band below)."""
    whole = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    last, following = _anniversary(start, start.year + whole), _anniversary(start, start.year + whole + 1)
    return whole + (end - last).days / (following - last).days


def _anniversary(day: date, year: int) -> date:
    """``day``'s date in ``year`` (29 February falls on 28 February in a common year)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def judged_at_own_age(labs: dict[str, Lab], ages: dict[str, tuple[float | None, str]],
                      age: float | None) -> list[str]:
    """Give each lab sampled more than a month before the case's age its own age at sampling (``ages``: lab ->
    (years, the date as written, or "")), so that its age-specific limits are that age's (an infant's phosphate
    was judged against a 9-year-old's limits); one sampled later is judged at the case's age. The labs so
    dated, as the notes name them (FHIR and phenopacket readers alike)."""
    import dataclasses

    sampled: list[str] = []
    for lab_id, (years, written) in sorted(ages.items()):
        if years is not None and age is not None and 0 <= years < age - 1 / 12 and lab_id in labs:
            labs[lab_id] = dataclasses.replace(labs[lab_id], age_years=round(years, 4))
            sampled.append(f"{lab_id} at {years:.2g} years" + (f" ({written})" if written else ""))
    return sampled


FIRST_YEAR, LAST_YEAR = 1000, 9000  # the years a date is read in (beyond them: unreadable)


def parse_date(text: object) -> date | None:
    """The date of an ISO 8601 date or timestamp (its first ten characters; a year or a year and month
    counts from the middle of that period); None when it cannot be read."""
    from datetime import date

    if not isinstance(text, str):
        return None
    text = text.strip()
    # the extended form only (2024-02-20): Python also reads the basic one (20240220) and week dates, which FHIR's
    # date and a phenopacket's timestamp are not, and the partial-date note misread it (robustness round 81)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", _full_date(text[:10])):
        return None
    try:
        day = date.fromisoformat(_full_date(text[:10]))
        if len(text) > 10:  # a timestamp: all of it must read ("2020-01-01garbage", "T25:99" do not: fuzz review 15)
            from datetime import datetime

            # FHIR allows a leap second (:60), which Python's reader does not
            stamp = re.sub(r"^(.{10}[T ]\d{2}:\d{2}):60", r"\1:59", text.replace("z", "Z"))
            if text[10] not in "T " or datetime.fromisoformat(stamp).date() != day:
                return None
    except ValueError:
        return None
    # a year at the ends of the calendar is no record's date, and the arithmetic on it (a time zone, half a year)
    # would leave the calendar: an internal error on 9999-12-31 (fuzz review 46)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None
    return day


def unread_date(text: object, usual: str) -> str:
    """Why ``parse_date`` gave None for ``text``: ``usual`` ("is not an ISO 8601 date"), or, for a date whose year
    is one no record has, that year's range."""
    if isinstance(text, str) and text.strip()[:4].isdigit() and not FIRST_YEAR <= int(text.strip()[:4]) <= LAST_YEAR:
        return f"is outside the years {FIRST_YEAR}-{LAST_YEAR}"
    return usual


def _margin(text: str) -> float:
    """How far, in years, a date of this precision may be from the true one: half a year or half a month
    for a partial date, a day (time zones) for a timestamp, none for a calendar date (a birth date a day after
    the record's date is as impossible as one a year after)."""
    text = text.strip()
    day = text[:10]
    return 0.5 if len(day) == 4 else 1 / 24 if len(day) == 7 else 1 / 365.25 if len(text) > 10 else 0.0


def _full_date(text: str) -> str:
    if len(text) == 4 and text.isdigit():
        return f"{text}-07-02"
    if len(text) == 7 and text[:4].isdigit() and text[4] == "-" and text[5:].isdigit():
        return f"{text}-16"
    return text


def _years(age: float) -> str:
    if age < 1 / 12:  # days in the first month: "0.0986 months" was an onset at 3 days
        return f"{age * 365.25:.3g} days"
    return f"{age:.3g} years" if age >= 2 else f"{age * 12:.3g} months"


def pattern_of(patterns: set[str], notes: list[Note]) -> Pattern | None:
    """The pattern that a document's nephrocalcinosis terms give: one pattern, that one; medullary and
    cortical both (HPO and SNOMED CT have no term for the combined pattern), combined, with a note."""
    if len(patterns) == 1:
        found = next(iter(patterns))
        return found if found in PATTERNS else None
    if patterns and patterns <= {"medullary", "cortical", "combined"}:
        notes.append({"id": "pattern_combined", "sources": [],
                      "message": "Both medullary and cortical nephrocalcinosis are stated: read as the combined "
                      "pattern."})
        return "combined"
    return None


def checked_labs(case: Case, kb: KnowledgeBase, notes: list[Note], note_id: str,
                 rejected: list[str] | None = None, origins: Mapping[str, str] | None = None) -> Case:
    """The case of a standard input without the lab values that cannot be read (a unit the lab does not
    take, an impossible value), each named in a note by where the document gave it (``origins``: lab -> its
    element and the lab; the case's ``labs.…`` path is not one the document has), with those the reader ``rejected``
    already (a value that is not a number): the document's other labs and findings still count."""
    if not case.labs and not rejected:
        return case
    import dataclasses

    from nephrocalc.labs import measure

    good: dict[str, Lab] = {}
    bad: list[str] = list(rejected or ())
    for lab_id, lab in case.labs.items():
        try:
            measure(lab_id, lab.value, lab.unit, kb, lab.comparator or "")
        except InputError as exc:
            origin = (origins or {}).get(lab_id)
            bad.append(f"{origin or lab_id}: {exc.message}")
        else:
            good[lab_id] = lab
    if not bad:
        return case
    notes.append({"id": note_id, "sources": [],
                  "message": f"{len(bad)} lab value(s) were not used" + (" (the others were): " if good else ": ")
                  + "; ".join(bad)})
    return dataclasses.replace(case, labs=good)


def _excluded_terms(kb: KnowledgeBase, clue_id: str) -> tuple[str, ...]:
    """The HPO terms that state a clue absent, excluded, and nothing else: the terms that name this clue alone
    (no metabolic acidosis is not written as "renal tubular acidosis" excluded, which the reader takes as no
    distal RTA and no Fanconi syndrome), else those that name it with others, else, when no term names it alone
    (uveitis or erythema nodosum), every term, since one way of having a finding excluded rules nothing out
    (every_way_excluded, as the readers take it)."""
    terms = kb.clues[clue_id].hpo
    naming = [term for term in terms if clue_id in kb.hpo_named.get(term, ())]
    alone = tuple(term for term in naming if kb.hpo_named.get(term, ()) == (clue_id,))
    return alone or tuple(naming) or tuple(terms)


def _iso_age(years: float) -> str:
    """An age in years as an ISO 8601 duration that reads back (iso_duration_years) as exactly this age, so that
    a written phenopacket gives the same case: in years, months, days, hours, minutes and seconds (P6Y, P45Y3M,
    P24D, P7DT7H19M12S) when these are exact, else in decimal years (P17.99Y, and --age 7d, which is 0.019165
    years, as P0.019165Y: ISO 8601 takes a fraction on the smallest unit). An age rounded to the hour below (0.02
    years as P7DT7H, 7.29 days) fell into the first week's band and changed the ranking (fuzz review 47); rounded
    up, 17.99 years crossed into the adult reference limits (review 9)."""
    whole = int(years)
    months_left = (years - whole) * 12
    months = int(months_left)
    # the rest in whole seconds: a value a hair below a whole day (7 days as 6.9999999 days) is that day
    days, rest = divmod(round((months_left - months) * 365.25 / 12 * 86400), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    text = (f"{whole}Y" if whole else "") + (f"{months}M" if months else "") + (f"{days}D" if days else "")
    written = "P" + (text or ("" if time else "0D")) + (f"T{time}" if time else "")
    if iso_duration_years(written) == years:
        return written
    from decimal import Decimal

    return "P" + format(Decimal(repr(years)), "f") + "Y"  # the shortest decimal that reads back as this float


def _case_parts(case: Mapping[str, Any], kb: KnowledgeBase, subject: str) -> dict[str, Any]:
    """The case a result was computed from, as a phenopacket's subject, features and measurements, so that the
    written phenopacket reads back (--phenopacket) as the same case: the pattern and each clue by its first HPO
    term (excluded when stated absent), each lab by its first LOINC code with its value and unit, and the
    laterality as the HPO modifier of the nephrocalcinosis feature, a lab's age at sampling as its timeObserved.
    Modality and grade have no HPO term and are not carried; a clue without one, and a lab value given as a bound,
    are left out."""
    person: dict[str, Any] = {"id": subject}
    if case.get("sex") in ("female", "male"):
        person["sex"] = str(case["sex"]).upper()
    if isinstance(case.get("age_years"), (int, float)):
        person["timeAtLastEncounter"] = {"age": {"iso8601duration": _iso_age(float(case["age_years"]))}}
    pattern = case.get("pattern")
    names = ("medullary", "cortical") if pattern == "combined" else (pattern or "nephrocalcinosis",)
    onset = case.get("onset_age_years")  # when the nephrocalcinosis was found: its feature's onset
    # the laterality as the HPO modifier of the nephrocalcinosis feature, which the reader takes (black-box review 11)
    side = {"unilateral": {"id": "HP:0012833", "label": "Unilateral"},
            "bilateral": {"id": "HP:0012832", "label": "Bilateral"}}.get(str(case.get("laterality")))
    features: list[dict[str, Any]] = [
        {"type": {"id": term, "label": kb.hpo_labels.get(term) or
                  f"{name} nephrocalcinosis".removeprefix("nephrocalcinosis ").capitalize()},
         **({"onset": {"age": {"iso8601duration": _iso_age(float(onset))}}}
            if isinstance(onset, (int, float)) else {}),
         **({"modifiers": [side]} if side is not None else {})}
        for name in names for term in kb.pattern_hpo.get(name, ())[:1]]
    contradicting = _excluded_above_present(case, kb)
    stated = dict(case.get("clues") or {})
    if 0 in (case.get("age_years"), onset) and "preterm_infant" not in stated and "preterm_infant" in kb.clues:
        # the contract's age 0 is a preterm neonate; P0D alone reads back as a birth at term (robustness round 79)
        stated["preterm_infant"] = True
    for clue_id, present in stated.items():
        clue = kb.clues.get(clue_id)
        if clue is not None and clue.hpo:
            # each term with its own label in the HPO release, not the clue's (robustness round 68: HP:0004918 was
            # written "Metabolic acidosis", which is HP:0001942; it is the hyperchloraemic kind)
            features.extend({"type": {"id": term, "label": kb.hpo_labels.get(term, clue.label)},
                             **({} if present else {"excluded": True})}
                            for term in (clue.hpo[:1] if present else _excluded_terms(kb, clue_id))
                            if present or (clue_id, term) not in contradicting)
    measurements = []
    for lab_id, lab in (case.get("labs") or {}).items():
        known = kb.labs.get(lab_id)
        if known is None or not known.loinc or not isinstance(lab, Mapping) or lab.get("comparator"):
            continue  # a bound ("<6 pg/mL") has no place in a phenopacket quantity: read back, it would be a value
        # the unit as the lab writes it (the user's "MG/DL" is mg/dL), under its UCUM code (robustness round 68)
        unit = lab_unit(kb, lab_id, str(lab.get("unit", "")))
        sampled = lab.get("age_years")  # the age at sampling, when not the case's: read back, the same limits apply
        measurements.append({"assay": {"id": f"LOINC:{known.loinc[0]}", "label": known.label},
                             "value": {"quantity": {"unit": {"id": f"UCUM:{ucum_code(unit)}", "label": unit},
                                                    "value": lab.get("value")}},
                             **({"timeObserved": {"age": {"iso8601duration": _iso_age(float(sampled))}}}
                                if isinstance(sampled, (int, float)) and not isinstance(sampled, bool) else {})})
    return {"subject": person, "phenotypicFeatures": features, **({"measurements": measurements}
                                                                 if measurements else {})}


def _excluded_above_present(case: Mapping[str, Any], kb: KnowledgeBase) -> set[tuple[str, str]]:
    """The (clue, HPO term) pairs of absent findings whose term lies above a finding written present (small kidneys
    absent, HP:0012585 Renal atrophy, beside a thinned cortex, HP:0002048 below it): excluding a term excludes what
    lies below it, so the phenopacket cannot say both and the reader sets such a term aside as contradictory. Left
    out of the document and named by ``not_carried`` (robustness round 71: read back, the case lost the absence and
    its leading cause changed without a word)."""
    clues = case.get("clues") or {}
    present: list[tuple[str, str, tuple[str, ...], bool]] = [
        (kb.clues[clue_id].hpo[0], clue_id, (clue_id,), False) for clue_id, value in clues.items()
        if value is True and clue_id in kb.clues and kb.clues[clue_id].hpo]
    pattern = case.get("pattern")
    for name in ("medullary", "cortical") if pattern == "combined" else (pattern or "nephrocalcinosis",):
        present.extend((term, name, (), True) for term in kb.pattern_hpo.get(name, ())[:1])
    return {(clue_id, term) for clue_id, value in clues.items()
            if value is False and clue_id in kb.clues and kb.clues[clue_id].hpo
            for term in _excluded_terms(kb, clue_id) if findings_below(kb, term, present)}


def not_carried(case: Mapping[str, Any], kb: KnowledgeBase) -> list[str]:
    """What the phenopacket written (``_case_parts``) has no place for: the findings without an HPO term, the absent
    findings whose term lies above one present, and the lab values given as bounds, for the command line to name
    (nothing the user gave is dropped without a word)."""
    clues = [f"{clue_id}" + ("" if value else " (absent)") for clue_id, value in (case.get("clues") or {}).items()
             if clue_id in kb.clues and not kb.clues[clue_id].hpo]
    above = sorted({clue_id for clue_id, _ in _excluded_above_present(case, kb)})
    bounds = [f"{lab_id} {lab.get('comparator')}{lab.get('value')} {lab.get('unit')}"
              for lab_id, lab in (case.get("labs") or {}).items() if isinstance(lab, Mapping) and lab.get("comparator")]
    return ([f"findings without an HPO term: {', '.join(clues)}"] if clues else []) + (
        [f"findings absent whose HPO term lies above one present, which a phenopacket cannot exclude beside it: "
         f"{', '.join(above)}"] if above else []) + (
        [f"lab values given as bounds: {', '.join(bounds)}"] if bounds else []) + [
        field for field in ("modality", "grade") if case.get(field) is not None]


def interpretations(result: Result | AskResult, phenopacket_id: str | None,
                    kb: KnowledgeBase | None = None, subject_id: str | None = None) -> dict[str, Any]:
    """The result as a phenopacket ``interpretations`` block: one interpretation per ranked cause, best
    first, with its probability and evidence in the summary (decision support, not a diagnosis). With the
    knowledge base, the phenopacket also carries the case (subject, features, measurements) it was computed
    from, so that it reads back as the same case."""
    subject = phenopacket_id or result["id"] or "case"
    items: list[dict[str, Any]] = []
    for entry in result["differential"]:
        evidence = "; ".join(f"{'+' if e['weight'] > 0 else '-'}{e['clue']}{'' if e['present'] else ' absent'}"
                             for e in (*entry["supporting"], *entry["conflicting"]))
        items.append({
            "id": f"{subject}-nephrocalc-{entry['rank']}",
            "progressStatus": "IN_PROGRESS",
            "diagnosis": {"disease": {"id": f"nephrocalc:{entry['cause']}", "label": entry["name"]}},
            # a capped probability is a floor, as the table's ">95%" (robustness round 62: written as exact)
            "summary": f"rank {entry['rank']}, probability {'>' if entry['capped'] else ''}{entry['probability']:.4f}"
                       + (" (capped: no defining finding stated)" if entry["capped"] else "")
                       + (f"; evidence: {evidence}" if evidence else "")
                       + (f"; fit {result['fit']['status']}" if entry["rank"] == 1 else ""),
        })
    omitted = result.get("omitted")
    if omitted and items:  # --top N: what was left out is said, as the table says it
        items[-1]["summary"] += (f"; {omitted['causes']} more cause{'s' if omitted['causes'] != 1 else ''} not "
                                 f"written (--top), together probability {omitted['probability']:.4f}")
    from datetime import UTC, datetime

    # MetaData (Phenopacket v2): created is required, and each CURIE prefix used (nephrocalc:) has its resource,
    # here the knowledge base the causes come from (its name and version, with its packs)
    rules = result.get("rules") or []
    base = result["knowledge_base"]
    if rules and rules[0].get("path") not in (None, "", "built-in"):  # a complete knowledge base read from a folder
        base += f" (from {rules[0]['path']})"
    # the packs laid over it named with the knowledge base, not a bare version (robustness round 76: "2.9.75; 1.0.0")
    laid = [f"{pack.get('name', '')} {pack.get('version', '')}".strip() for pack in rules[1:]]
    if laid:
        base += ", with " + ", ".join(laid)
    resource = {"id": "nephrocalc", "name": f"causes of nephrocalcinosis ({base})",
                "url": "urn:nephrocalc:cause",
                "version": "; ".join(str(pack.get("version", "")) for pack in result.get("rules", [])) or "unversioned",
                "namespacePrefix": "nephrocalc", "iriPrefix": "urn:nephrocalc:cause:"}
    # the subject keeps the id the phenopacket read gave it (robustness round 83: pt-1 was written as the case id)
    parts = _case_parts(result["case"], kb, subject_id or subject) if kb is not None and result.get("case") else {}
    resources = [resource, *_ontologies(parts, kb.hpo_release if kb is not None else "")]
    return {"id": subject, **parts, "interpretations": items,
            "metaData": {"created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "createdBy": "nephrocalc",
                         "phenopacketSchemaVersion": "2.0", "resources": resources,
                         "externalReferences": [{"description": result["notice"]}]}}


def _ontologies(parts: Mapping[str, Any], hpo_release: str) -> list[dict[str, str]]:
    """The MetaData resources of the ontologies whose terms the written phenopacket uses (GA4GH Phenopacket v2: one
    Resource for each): HPO, in the release rules/hpo.toml states, for the features and their modifiers; LOINC for
    the assays and UCUM for the units of the measurements, whose versions the rules do not state (fuzz review 59:
    only nephrocalc was listed)."""
    features = parts.get("phenotypicFeatures") or []
    measurements = parts.get("measurements") or []
    ids = [str(term.get("id", "")) for feature in features
           for term in (feature.get("type") or {}, *(feature.get("modifiers") or ()))]
    ids += [str((m.get("assay") or {}).get("id", "")) for m in measurements]
    ids += [str((((m.get("value") or {}).get("quantity") or {}).get("unit") or {}).get("id", "")) for m in measurements]
    prefixes = {term.split(":", 1)[0] for term in ids if ":" in term}
    known = {"HP": {"id": "hp", "name": "human phenotype ontology", "url": "http://purl.obolibrary.org/obo/hp.owl",
                    "version": hpo_release or "unstated", "namespacePrefix": "HP",
                    "iriPrefix": "http://purl.obolibrary.org/obo/HP_"},
             "LOINC": {"id": "loinc", "name": "Logical Observation Identifiers Names and Codes",
                       "url": "https://loinc.org", "version": "unstated", "namespacePrefix": "LOINC",
                       "iriPrefix": "https://loinc.org/"},
             "UCUM": {"id": "ucum", "name": "Unified Code for Units of Measure", "url": "https://ucum.org",
                      "version": "unstated", "namespacePrefix": "UCUM", "iriPrefix": "https://ucum.org/ucum#"}}
    return [entry for prefix, entry in known.items() if prefix in prefixes]
