"""The compiled knowledge base: plain, immutable data that the engine, intake and renderers read.

``nephrocalc.loader`` builds it from the TOML rule files of ``rules/`` (see rules/README.md).
Nothing here is clinical knowledge (that all lives in the rule files) and nothing here reads a
file: these are the shapes, and the indexes derived from them once, at compile time.
"""

import re
from collections.abc import Mapping
from typing import NamedTuple

from nephrocalc.vocab import AGE_GROUPS, AgeGroup

__all__ = [
    "AGE_GROUPS",
    "AgeBand",
    "AgeGroup",
    "Calibration",
    "Cause",
    "Caveat",
    "Clue",
    "Condition",
    "Finding",
    "FitSettings",
    "Form",
    "GivenBackground",
    "Interaction",
    "InterviewSettings",
    "KnowledgeBase",
    "Lab",
    "LabLimit",
    "MaskedAbsence",
    "OtherCause",
    "PackInfo",
    "ReferenceTable",
    "RuleOut",
    "Source",
    "normalise_unit",
]


class GivenBackground(NamedTuple):
    """The background of a clue when another clue is stated present (clues.toml ``given_background``)."""

    given: str
    value: float
    sources: tuple[str, ...]
    note: str
    estimate: bool
    unless: tuple[str, ...] = ()  # clues that, present, set this background aside
    counts_absent: bool = True  # false: the finding stated absent beside the given clue weighs nothing


class MaskedAbsence(NamedTuple):
    """A finding whose absence says less when another clue is stated present (clues.toml
    ``absent_masked_by``): with probability ``value`` that condition alone keeps the finding below
    its limit whatever the cause (urine calcium and oxalate fall as the GFR falls)."""

    given: str
    value: float
    sources: tuple[str, ...]
    note: str
    estimate: bool


class SetAside(NamedTuple):
    """A finding stated present that is not counted when the clues of ``when`` have their values."""

    clue: str
    when: tuple[tuple[str, bool], ...]
    message: str
    sources: tuple[str, ...]


class Clue(NamedTuple):
    id: str
    label: str
    description: str
    group: str
    group_title: str
    specificity: str
    background: float  # P(present | a cause that does not list this clue)
    absent_needs_modality: tuple[str, ...] | None = None  # absence counts only on these modalities
    hpo: tuple[str, ...] = ()  # HPO terms that mean this clue
    hpo_note: str = ""
    snomed: tuple[str, ...] = ()  # SNOMED CT concepts that mean this clue
    agents: tuple[str, ...] = ()  # drugs or agents whose use means this exposure
    hpo_exact: tuple[str, ...] = ()  # broader HPO terms read as this clue, present or excluded, not their descendants
    child_background: float | None = None  # the background under the child age limit, where it differs
    # the background when another clue is stated present, one entry per given clue (clues.toml given_background: a
    # table, or an array of tables when several conditions each bring the finding: hypokalaemia with vomiting, with
    # malabsorption, with a metabolic alkalosis)
    given_backgrounds: tuple[GivenBackground, ...] = ()
    absent_masked_by: MaskedAbsence | None = None  # a condition under which the finding's absence says less
    # (at least, below or None, background) of the adult age bands that have their own background
    age_backgrounds: tuple[tuple[float, float | None, float], ...] = ()
    implies: tuple[str, ...] = ()  # the clues this one means by definition (clues.toml ``implies``), transitively
    defining: bool = True  # false: never lifts the certainty cap, however large its ratio (clues.toml)
    # the broader clues this one is a kind of (low-molecular-weight proteinuria is proteinuria): an HPO term that
    # reaches both states only this one, as the same finding stated as a clue would (clues.toml ``refines``)
    refines: tuple[str, ...] = ()
    # an exposure whose preparations name their ingredients: read alone from a medication name (clues.toml)
    mixture: bool = False
    # terms of ``hpo`` that, excluded, rule nothing out: one way among several of having the finding (clues.toml)
    hpo_one_of: tuple[str, ...] = ()
    atc: tuple[str, ...] = ()  # WHO ATC codes (or their groups) of the drugs whose use means this exposure
    asked_below: float | None = None  # not proposed as a question from this age (years) on (a child's finding)
    test: str = ""  # how the finding is looked for, where no lab settles it (clues.toml ``test``)
    icd10cm: tuple[str, ...] = ()  # ICD-10-CM codes, categories or blocks that mean this clue (clues.toml)

    @property
    def flag(self) -> str:
        return "--" + self.id.replace("_", "-")

    def background_at(self, age: float | None, child_below: float) -> float:
        """P(present | a cause that does not list it) at this age: the children's figure under the child
        age limit, an adult band's where one holds, else the clue's own (age unknown)."""
        if age is None:
            return self.background
        if age < child_below:
            return self.child_background if self.child_background is not None else self.background
        for low, high, value in self.age_backgrounds:
            if low <= age and (high is None or age < high):
                return value
        return self.background


class Finding(NamedTuple):
    """A finding of one cause (or one form of it), with its likelihood ratios worked out."""

    clue: str
    frequency: str | None  # None when explicit likelihood ratios are given
    p_present: float | None
    lr_present: float
    lr_absent: float
    sources: tuple[str, ...]
    note: str
    estimate: bool
    contradiction: bool = False  # an explicit contradiction (``contradicts``), not a frequency
    # an age-bounded entry replaces the clue's usual entry for ages in [age_at_least, age_below)
    age_at_least: float | None = None
    age_below: float | None = None
    # [[other.findings]] and a conditional contradiction: the entry counts only when this clue is present
    # too (and, in [[other.findings]], none of ``unless``)
    given: str | None = None
    unless: tuple[str, ...] = ()
    # a sex-bounded entry replaces the clue's usual entry (and its age-banded ones) for patients of this sex
    sex: str | None = None

    @property
    def age_bounded(self) -> bool:
        return self.age_at_least is not None or self.age_below is not None

    def applies_at(self, age: float) -> bool:
        return ((self.age_at_least is None or age >= self.age_at_least)
                and (self.age_below is None or age < self.age_below))

    def sex_text(self) -> str:
        """The sex it is bounded to in words ("in males"); "" when unbounded."""
        return f"in {self.sex}s" if self.sex is not None else ""

    def age_text(self) -> str:
        """The age range in words ("under 2 years", "2 years and over", "1-18 years"); "" when unbounded."""
        low, high = self.age_at_least, self.age_below
        if high is None and not low:  # no bound at all, or "from 0" with no upper bound: every age
            return "at any age" if low is not None else ""
        if low is None or low == 0:
            return f"under {high:g} years"
        if high is None:
            return f"{low:g} years and over"
        return f"{low:g} to under {high:g} years"


class AgeBand(NamedTuple):
    at_least: float
    below: float | None
    ratio: float
    sources: tuple[str, ...]
    note: str
    estimate: bool
    columns: tuple[str, ...] | None = None  # the prior columns (age groups) it corrects; None: all

    def holds(self, age: float, column: str | None = None) -> bool:
        return (age >= self.at_least and (self.below is None or age < self.below)
                and (self.columns is None or column in self.columns))


class RuleOut(NamedTuple):
    test: str
    clue: str | None
    lab: str | None
    sources: tuple[str, ...]
    when_present: tuple[str, ...] = ()  # any stated present: the test is proposed below the floor too
    first: str | None = None  # a finding settled before the test: proposed in its place while unknown
    below_age: float | None = None  # a patient younger than this (years) has the test proposed below the floor too
    absent_settles: bool = True  # false: the clue stated absent (a history) leaves the test proposed


class Certainty(NamedTuple):
    """The most certainty a cause is shown with until the clue ``unless`` is stated present (None: always)."""

    cap: float
    unless: str | None
    sources: tuple[str, ...]
    note: str
    also_unless: tuple[str, ...] = ()  # other findings that lift the cap too

    @property
    def lifted_by(self) -> tuple[str, ...]:
        """Every finding whose presence lifts the cap."""
        return ((self.unless,) if self.unless is not None else ()) + self.also_unless


class Form(NamedTuple):
    id: str
    name: str
    share: Mapping[AgeGroup, float]
    female: float  # P(female | form)
    unilateral: float  # P(unilateral | form)
    findings: Mapping[str, Finding]  # the cause's common findings merged with the form's own
    own_findings: tuple[Finding, ...]
    sources: tuple[str, ...]
    note: str
    estimate: bool
    age: tuple[AgeBand, ...] = ()  # the cause's age bands and the form's own
    label: str = ""  # short, for display after the cause's short name ("hereditary")
    # age-bounded findings in force for this form (the form's own, else the cause's): each replaces
    # the clue's entry in ``findings`` (or its absence) at the ages it covers
    age_findings: tuple[Finding, ...] = ()
    # contradictions that count only with their ``given`` clue present, on top of the clue's usual entry
    # (the cause's and the form's own)
    conditional: tuple[Finding, ...] = ()
    unilateral_estimate: bool = False  # its one-sided share is an estimate (said as "[estimate]" where shown)
    # sex-bounded findings in force for this form (the form's own, else the cause's): each replaces the clue's
    # entry in ``findings`` (or its absence, and its age-bounded entries) for patients of its sex
    sex_findings: tuple[Finding, ...] = ()


class Cause(NamedTuple):
    id: str
    name: str
    short_name: str
    distribution: str
    cant_miss: bool
    cant_miss_reason: str
    summary: str
    mechanism: str
    sources: tuple[str, ...]
    prior: Mapping[AgeGroup, float]
    prior_note: str
    prior_sources: tuple[str, ...]
    patterns: Mapping[str, float]
    patterns_note: str
    patterns_sources: tuple[str, ...]
    findings: tuple[Finding, ...]  # the common findings, as written
    forms: tuple[Form, ...]  # at least one; a cause without forms has one form, "typical"
    path: str
    age: tuple[AgeBand, ...] = ()
    rule_out: RuleOut | None = None
    mimic: bool = False  # imitates nephrocalcinosis (or a cause of it) without being one
    tells_apart: str = ""
    extended: bool = False  # from the extended knowledge base (--extended)
    certainty: Certainty | None = None  # a lower cap on its shown certainty until its defining finding
    calcifies: bool = True  # false: leading, it leaves the calcification unexplained (a mimic of a cause: FHH)
    patterns_estimate: bool = False  # its pattern frequencies are an estimate (said as "[estimate]" where shown)


class Condition(NamedTuple):
    pattern: tuple[str, ...] | None = None
    modality: tuple[str, ...] | None = None
    grade: tuple[int, ...] | None = None
    laterality: str | None = None
    sex: str | None = None
    age_below: float | None = None
    age_at_least: float | None = None
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    any_present: tuple[str, ...] = ()
    leading: tuple[str, ...] = ()
    in_top3: tuple[str, ...] = ()
    not_present: tuple[str, ...] = ()  # none of these is stated present (absent or not stated)


class Caveat(NamedTuple):
    id: str
    kind: str  # "caveat", "warning" or "consider"
    message: str
    sources: tuple[str, ...]
    when: Condition
    cause: str | None = None  # consider: a cause outside the loaded knowledge base
    name: str = ""
    poor_fit: bool = False


class OtherCause(NamedTuple):
    """The open world: a cause outside the loaded knowledge base (CONTRACT.md section 7)."""

    prior: Mapping[AgeGroup, float]
    unused_clue_lr: float
    sources: tuple[str, ...]
    note: str
    age: tuple[AgeBand, ...] = ()
    unilateral: float | None = None  # P(unilateral); None: the knowledge base's default
    findings: tuple[Finding, ...] = ()  # explicit likelihood ratios ([[other.findings]]); the rest are flat
    # [other.patterns]: P(pattern | other, age group), and P(unilateral | other, pattern); None: the pattern mix of
    # all nephrocalcinosis and the one share ``unilateral``
    patterns: Mapping[AgeGroup, Mapping[str, float]] | None = None
    unilateral_by_pattern: Mapping[str, float] | None = None
    patterns_sources: tuple[str, ...] = ()
    patterns_note: str = ""
    estimate: bool = False  # [other]: its shares (one-sided) are estimates
    patterns_estimate: bool = False  # [other.patterns]: its pattern mix is an estimate


class FitSettings(NamedTuple):
    contradiction_weight: float
    unexplained_background: float
    max_unexplained: int
    sources: tuple[str, ...]
    note: str


class InterviewSettings(NamedTuple):
    first_line: frozenset[str]  # findings of the first-line work-up
    other_weight: float  # the weight of any other finding's information gain when `ask` picks a question
    sources: tuple[str, ...]
    note: str
    unknown_group_weight: float = 1.0  # per finding of the same group answered "unknown"


class Calibration(NamedTuple):
    temperature: float
    fitted_on: str
    sources: tuple[str, ...]
    note: str
    # the development set's figures at this temperature: patients, description, top-1, top-3, Brier,
    # mean top-1 probability, inside flagged, outside patients, outside flagged, and the calibration
    # table as (low, high, cases, stated, observed) rows; None when not measured
    measured: tuple[int, str, float, float, float, float, float, int, float,
                    tuple[tuple[float, float, int, float, float], ...]] | None = None


class Interaction(NamedTuple):
    id: str
    pattern: str
    clue: str
    distribution: str
    lr_present: float
    note: str
    sources: tuple[str, ...]
    unlisted_only: bool = False  # only the causes that do not list the clue take this ratio


class Source(NamedTuple):
    tag: str
    citation: str
    url: str


class ReferenceTable(NamedTuple):
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    sources: tuple[str, ...]
    note: str


class LabLimit(NamedTuple):
    clue: str
    above: float | None
    below: float | None
    absent_at_most: float | None
    absent_at_least: float | None
    derive_absent: bool
    derive_present: bool
    unit: str | None  # an own (patient-normalised) unit, or None for the canonical unit
    age_at_least: float | None
    age_below: float | None
    when_age_unknown: bool
    sex: str | None
    when_sex_unknown: bool
    requires: tuple[tuple[str, bool], ...]
    unless: tuple[tuple[str, bool], ...]
    absent_requires: tuple[tuple[str, bool], ...]
    absent_unless: tuple[tuple[str, bool], ...]
    label: str
    warning: str
    warn_when: str
    sources: tuple[str, ...]
    note: str
    estimate: bool
    derive: bool = True  # False: the limit only says something (its warning), it derives no clue
    # (lab, above, below): the clue is present only when that lab is given and beyond the bound
    present_requires_lab: tuple[tuple[str, float | None, float | None], ...] = ()
    requires_stated: tuple[tuple[str, bool], ...] = ()  # clues the clinician must state, not a lab derive


class Lab(NamedTuple):
    id: str
    label: str
    canonical: str
    units: Mapping[str, tuple[str, float]]  # normalised unit -> (unit as written, factor to canonical)
    own_units: Mapping[str, str]  # normalised unit -> unit as written
    own_plausible: Mapping[str, tuple[float, float]]
    plausible: tuple[float, float]
    extreme: tuple[float, float]
    conversion_note: str
    sources: tuple[str, ...]
    limits: tuple[LabLimit, ...]
    note: str
    loinc: tuple[str, ...] = ()
    decides_over: tuple[str, ...] = ()  # labs whose reading this one replaces where they disagree on a clue
    loinc_at_least: tuple[str, ...] = ()  # codes of an assay of a part of the lab: a value is a lower bound
    # a laboratory's flag given without a value ("high", "low", "normal") -> the clues it documents (present for high
    # and low, absent for normal); a state not listed documents nothing
    flags: Mapping[str, tuple[str, ...]] = {}
    flags_note: str = ""  # why a state documents nothing, or how one is read

    @property
    def accepted_units(self) -> list[str]:
        return [written for written, _ in self.units.values()] + list(self.own_units.values())

    @property
    def accepted_units_text(self) -> str:
        """The accepted units for a message, with how the micro sign may be typed (normalise_unit)."""
        units = self.accepted_units
        return ", ".join(units) + (" (µ may be written u or mc)" if any("µ" in unit for unit in units) else "")


_MICRO_STEMS = frozenset({"g", "mol", "u", "iu", "l", "eq"})  # after a "u" written for the micro sign


# UCUM spellings of the units the labs accept (the rest are the same text). UCUM writes a day as
# "d" or "(24.h)", counts with braces ({creat}, {1.73_m2}) and international units as [IU]; µg/L is
# ng/mL and ng/L is pg/mL exactly.
_UCUM = {"iu/l": "U/L", "[ph]": "pH", "meq/l": "mEq/L", "umol/l": "umol/L", "mmol/l": "mmol/L", "mg/dl": "mg/dL",
         "pg/ml": "pg/mL",
         "ng/ml": "ng/mL", "pmol/l": "pmol/L", "g/dl": "g/dL", "g/l": "g/L", "u/l": "U/L", "[iu]/l": "U/L",
         "mg/d": "mg/day", "mmol/d": "mmol/day", "ml/min/{1.73_m2}": "mL/min/1.73m2",
         "ml/min/1.73.m2": "mL/min/1.73m2", "miu/l": "mIU/L", "uiu/ml": "uIU/mL", "ng/dl": "ng/dL",
         "mg/(24.h)": "mg/day", "mmol/(24.h)": "mmol/day", "mg/24.h": "mg/day", "mmol/24.h": "mmol/day",
         "mg/kg/d": "mg/kg/day", "mg/kg/(24.h)": "mg/kg/day", "mg/(kg.d)": "mg/kg/day",
         "mg/(kg.24.h)": "mg/kg/day", "mmol/d/{1.73_m2}": "mmol/1.73m2/day",
         "mmol/(24.h)/{1.73_m2}": "mmol/1.73m2/day", "mmol/{1.73_m2}/d": "mmol/1.73m2/day",
         "ug/l": "ng/mL", "ng/l": "pg/mL", "m[iu]/l": "mIU/L", "u[iu]/ml": "uIU/mL"}


# The UCUM code of each unit a lab writes that is not itself one (UCUM is case-sensitive; the micro sign is "u",
# a day "d", a pH "[pH]", an international unit "[IU]", an annotation in braces): what a written phenopacket
# gives as a unit's id (robustness round 68: "UCUM:pH", "UCUM:mg/day"). Every code reads back (_UCUM above).
_TO_UCUM = {"pH": "[pH]", "mg/day": "mg/d", "mmol/day": "mmol/d", "mL/min/1.73m2": "mL/min/{1.73_m2}",
            "mg/kg/day": "mg/kg/d", "mmol/1.73m2/day": "mmol/d/{1.73_m2}", "µmol/L": "umol/L", "µg/L": "ug/L",
            "mIU/L": "m[IU]/L", "µIU/mL": "u[IU]/mL", "µU/mL": "uU/mL", "mEq/L": "meq/L"}


def ucum_code(written: str) -> str:
    """The UCUM code of a unit as a lab writes it ("pH" is "[pH]", "mg/day" "mg/d"); one that is a UCUM code already
    ("mg/dL", "mmol/L") is itself."""
    return _TO_UCUM.get(written, written)


def ucum_spellings(text: str) -> list[str]:
    """The contract spellings of a unit written in UCUM or with its annotations: "[IU]/L" and "IU/L" are U/L,
    "mg/(24.h)" mg/day, "mg/mg{creat}" mg/mg; none when it is written as the contract writes it. A FHIR resource, a
    phenopacket, --lab and a case's labs all read them (robustness round 67: FHIR read "[IU]/L", --lab refused it)."""
    import re

    text = text.strip()
    found = []
    alias = _UCUM.get(text.lower())
    if alias is not None:
        found.append(alias)
    bare = re.sub(r"\{[^}]*\}", "", text) if "1.73" not in text else text
    if bare != text:
        found.extend((bare, _UCUM.get(bare.lower(), bare)))
    # "{pH}": a unit of 1, named by its annotation
    if (whole := re.fullmatch(r"\{\s*([^{}]+?)\s*\}", text)) is not None:
        found.append(whole.group(1))
    if "1.73" in text and "{" in text:
        # a body-surface annotation is the unit's meaning, written many ways: {1.73_m2}, {1.73m2}, {1.73 m2},
        # {1.73m²} (robustness round 78: an eGFR in mL/min/{1.73m2}, as US feeds write it, was refused)
        surface = re.sub(r"\{\s*1\.73[\s_.]*m(?:2|²|\^2)\s*\}", "{1.73_m2}", text)
        if surface != text:
            found.extend((surface, _UCUM.get(surface.lower(), surface)))
    # UCUM's own product grammar: "mg.dL-1" is mg/dL, "pmol.L-1" pmol/L (robustness round 74: a calcium of 11.9 coded
    # mg.dL-1 was left out)
    product = re.fullmatch(r"([^./\s()]+)\.([^./\s()]+)-1", bare)
    if product is not None:
        quotient = f"{product.group(1)}/{product.group(2)}"
        found.extend((quotient, _UCUM.get(quotient.lower(), quotient)))
    return found


def normalise_unit(unit: str) -> str:
    """Units match ignoring case and spaces: "mg/dl" and "mg / dL" are "mg/dL"; the micro sign (µ) and
    the Greek mu (μ) are one letter (Unicode compatibility normalisation), and so is "mc" (mcg, mcU/mL); "per
    24 h" is per day (mg/24 h, as
    laboratories write a 24-hour urine, is mg/day)."""
    import unicodedata

    key = unicodedata.normalize("NFKC", "".join(unit.split())).lower()
    # "mc" as the micro prefix, as pharmacy and some laboratories write it (mcg, mcU/mL)
    key = "/".join("\u03bc" + part[2:] if part.startswith("mc") and len(part) > 2 else part for part in key.split("/"))
    # "u" for the micro sign, as ASCII text writes it (ug/L, umol/L, uU/mL, uIU/mL); a lone "U" is an enzyme unit
    key = "/".join("\u03bc" + part[1:] if part[:1] == "u" and part[1:] in _MICRO_STEMS else part
                   for part in key.split("/"))
    for spelling in ("/24hours", "/24hour", "/24hrs", "/24hr", "/24h", "/d"):
        if key.endswith(spelling):
            return key[: -len(spelling)] + "/day"
    return key


class PackInfo(NamedTuple):
    """A set of rule files loaded: the built-in knowledge base or a rule pack (--rules DIR)."""

    name: str
    version: str
    path: str


class AgeSettings(NamedTuple):
    child_below_years: float
    preterm_below_years: float
    unknown_mix: Mapping[AgeGroup, float]


class KnowledgeBase(NamedTuple):
    name: str
    version: str
    description: str
    frequency: Mapping[str, float]
    specificity: Mapping[str, float]
    default_unilateral: float
    ages: AgeSettings
    groups: Mapping[str, str]
    clues: Mapping[str, Clue]
    causes: Mapping[str, Cause]  # sorted by id
    caveats: tuple[Caveat, ...]
    interactions: tuple[Interaction, ...]
    sources: Mapping[str, Source]
    tables: Mapping[str, ReferenceTable]
    labs: Mapping[str, Lab]
    root: str
    packs: tuple[PackInfo, ...] = ()
    used_clues: frozenset[str] = frozenset()
    # clue -> the first lab whose reference limits can settle it (alkaline_urine -> urine_ph)
    clue_labs: Mapping[str, str] = {}
    # clue -> every clue the same lab can give (hypercalcemia with itself; high_pth with low_pth)
    lab_siblings: Mapping[str, frozenset[str]] = {}
    other: OtherCause = OtherCause({"preterm": 0.1, "child": 0.1, "adult": 0.1}, 1.0, (), "")
    calibration: Calibration = Calibration(1.0, "", (), "uncalibrated")
    supersedes: Mapping[str, tuple[str, ...]] = {}  # a diagnosis clue -> the component clues it contains
    # groups of findings that are states of one variable: more than one stated present is contradictory
    exclusive: tuple[tuple[str, ...], ...] = ()
    # findings stated present that are not counted in a context (knowledge_base.toml [[set_aside]])
    set_aside: tuple[SetAside, ...] = ()
    fit: FitSettings = FitSettings(-2.3, 0.05, 1, (), "")
    # clues with which a stated laterality is not weighed, and the note saying so (knowledge_base.toml)
    laterality_unweighed: tuple[tuple[str, ...], str, tuple[str, ...]] = ((), "", ())
    interview: InterviewSettings = InterviewSettings(frozenset(), 1.0, (), "")
    pattern_hpo: Mapping[str, tuple[str, ...]] = {}  # "nephrocalcinosis", "medullary", ... -> HPO terms
    # standard codes -> vocabulary (GA4GH phenopackets, FHIR): an HPO term or any descendant -> clue or
    # pattern name; a LOINC code -> lab
    hpo_clues: Mapping[str, str] = {}  # term -> the clue that names it (or the first that reaches it)
    # term -> every clue it means: those that name it and those it is a descendant of (true-path rule)
    hpo_clue_sets: Mapping[str, tuple[str, ...]] = {}
    hpo_named: Mapping[str, tuple[str, ...]] = {}  # term -> the clues that name this very term
    # term of a clue or pattern -> its ancestors in the vendored release (rules/hpo.toml): one excluded above a
    # finding stated present contradicts it
    hpo_ancestors: Mapping[str, frozenset[str]] = {}
    hpo_above: frozenset[str] = frozenset()  # every term in hpo_ancestors' values: one not here is above none
    hpo_patterns: Mapping[str, str] = {}
    loinc_labs: Mapping[str, str] = {}
    loinc_at_least: frozenset[str] = frozenset()  # codes read as a lower bound of their lab (labs.toml)
    hpo_release: str = ""
    hpo_labels: Mapping[str, str] = {}  # term -> its label in the HPO release (a written phenopacket's OntologyClass)
    hpo_synonyms: Mapping[str, tuple[str, ...]] = {}  # term -> its exact synonyms (hpo.toml [synonyms])
    pattern_snomed: Mapping[str, tuple[str, ...]] = {}  # as pattern_hpo, in SNOMED CT
    snomed_clues: Mapping[str, tuple[str, ...]] = {}  # SNOMED CT concept -> the clues that name it
    snomed_patterns: Mapping[str, str] = {}  # SNOMED CT concept -> "nephrocalcinosis", "medullary", ...
    snomed_hpo: Mapping[str, tuple[str, ...]] = {}  # other SNOMED CT concepts -> the HPO terms cross-referencing them
    agent_clues: Mapping[str, str] = {}  # a drug or agent name (lower case) -> its exposure clue
    atc_clues: Mapping[str, str] = {}  # a WHO ATC code or group -> its exposure clue (the longest one given wins)
    # an ICD-10-CM code, category or block (clues.toml icd10cm) -> the clues that name it (icd10cm_meaning reads one)
    icd10cm_clues: Mapping[str, tuple[str, ...]] = {}

    @property
    def loaded_priors(self) -> dict[str, dict[AgeGroup, float]]:
        """Each cause's prior as a ranking uses it: its rule file's value rescaled so that the loaded causes' priors
        sum to 1 in every age group (a rule pack or the extended knowledge base adds causes whose priors were written
        against nephrocalcinosis overall; the open world's share is set aside after this). With the built-in causes
        alone, whose priors sum to 1, the values are the files' own."""
        totals = {group: sum(cause.prior[group] for cause in self.causes.values()) for group in AGE_GROUPS}
        return {cause_id: {group: (cause.prior[group] / totals[group] if totals[group] > 0 else 0.0)
                           for group in AGE_GROUPS} for cause_id, cause in self.causes.items()}

    @property
    def other_neutral(self) -> frozenset[str]:
        """The findings the open world holds neutral: [[other.findings]] with a ratio of 1, no condition and no ages
        (a low albumin, a raised potassium), which point to no cause, inside the knowledge base or outside it."""
        return frozenset(found.clue for found in self.other.findings
                         if found.lr_present == 1.0 and found.given is None and not found.age_bounded)


def lab_for(kb: KnowledgeBase, clue: str, age: float | None) -> str | None:
    """The lab to name for a finding at this age: the first lab whose reference limits settle it
    (``clue_labs``), except in a child, where a lab with a limit for the finding at the child's own age
    comes first (a spot calcium/creatinine ratio in a neonate, not a 24-hour urine calcium: timed urine
    collections are impractical before continence, and spot ratios are the usual practice in children
    [CLINICAL-EXTENDED.md, default work-up])."""
    first = kb.clue_labs.get(clue)
    if first is None or age is None or age >= kb.ages.child_below_years:
        return first
    for lab in kb.labs.values():
        # a limit that settles the finding either way: a one-way bound (a child's 24-hour urine calcium above 400
        # mg, whatever the weight) reads only a value far out, and is not what to ask for
        if any(limit.clue == clue and limit.derive and limit.derive_absent and limit.age_below is not None
               and age < limit.age_below and (limit.age_at_least is None or age >= limit.age_at_least)
               for limit in lab.limits):
            return lab.id
    return first


# an ICD-10-CM code as written: its category (three characters) and the characters after the dot, which some
# exports leave out ("N184" is N18.4) or space ("n18 .4")
_ICD10CM_CODE = re.compile(r"([A-Z][0-9][0-9A-Z])\.?([0-9A-Z]{0,4})")


def icd10cm_meaning(codes: Mapping[str, tuple[str, ...]], code: str, *, exact: bool = False) -> tuple[str, ...]:
    """The clues an ICD-10-CM code means: those of the most specific entry that covers it, the code itself, then its
    parents (N18.4, then N18), then the narrowest block of categories it falls in (C34.90 in C00-C96); () when none
    does, or when the text is no ICD-10-CM code ("C3", "N18-4"). Case, spaces and a missing dot do not matter: N184
    is N18.4, not the broader N18 (robustness round 87). ``exact``: only an entry that is the code itself (a code
    refuted rules out its own finding, not a broader one: robustness round 88)."""
    match = _ICD10CM_CODE.fullmatch("".join(code.split()).upper())
    if match is None:
        return ()
    category, rest = match.groups()
    if exact:
        return codes.get(f"{category}.{rest}" if rest else category, ())
    for end in range(len(rest), -1, -1):
        part = f"{category}.{rest[:end]}" if end else category
        if part in codes:
            return codes[part]
    # a block holds the categories between its first and its last, whatever their letter (C00-D49)
    within = [(first, last, clues) for entry, clues in codes.items() if "-" in entry
              for first, last in [entry.split("-", 1)] if first <= category <= last]
    if not within:
        return ()
    return min(within, key=lambda block: (tuple(-ord(c) for c in block[0]), block[1]))[2]
