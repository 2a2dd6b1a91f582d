"""Pydantic models of the rule files in ``rules/`` (their format is described in rules/README.md).

These models are only used while the knowledge base is loaded and checked; the engine works on
the compiled form built by ``compile.py``. Every model forbids unknown keys, so a typo in a
rule file is an error that names the file and the field, never a silently ignored line.
"""

from __future__ import annotations

import math
import re
from itertools import combinations
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from nephrocalc.vocab import ID_REGEX, Modality, folded_name, unit_part

T = TypeVar("T")

Frequency = Literal["always", "usually", "often", "sometimes", "rarely", "almost_never"]
Specificity = Literal["high", "moderate", "low"]
Distribution = Literal["medullary", "cortical"]
PatternName = Literal["medullary", "cortical", "combined"]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
OpenProbability = Annotated[float, Field(gt=0.0, lt=1.0, allow_inf_nan=False)]
# the smallest likelihood ratio (or age-band ratio) and prior a rule may give. Below them a value is a typing error,
# not evidence: a ratio of 1e-300 made twelve causes underflow to 0 together, and the share the 95% cap takes
# off the open world then went to the first of them alone (pack review 47). The shipped rules reach 0.001 (an
# age band) and 3e-05 (a prior).
MIN_RATIO = 0.001
MIN_PRIOR = 1e-6


def _within(low: float, high: float, *, below_high: bool = False) -> AfterValidator:
    """A number from ``low`` up to ``high`` (or up to below it), refused with the allowed range said."""
    def check(value: float) -> float:
        if value < low or value > high or (below_high and value == high):
            upper = f"below {high:g}" if below_high else f"{high:g}"
            raise ValueError(f"must be from {low:g} to {upper} (got {value:g})")
        return value
    return AfterValidator(check)


# no likelihood ratio in medicine is near 1000 (a defining finding is about 20 to 50): above it is a typing error
PositiveRatio = Annotated[float, Field(allow_inf_nan=False), _within(MIN_RATIO, 1000.0)]
# P(cause | nephrocalcinosis, age group): a cause rarer than one in a million is not one to rank
PriorProbability = Annotated[float, Field(allow_inf_nan=False), _within(MIN_PRIOR, 1.0, below_high=True)]
FiniteNumber = Annotated[float, Field(allow_inf_nan=False)]
# P(a finding | a cause that does not list it): a finding listed 'always' (about 0.95) against a background of
# 0.001 has a ratio near 1000, the bound of an explicit ratio; a lower background is a typing error
MIN_BACKGROUND = 0.001
Background = Annotated[float, Field(ge=MIN_BACKGROUND, lt=1.0, allow_inf_nan=False)]
Identifier = Annotated[str, Field(pattern=ID_REGEX)]
HpoId = Annotated[str, Field(pattern=r"^HP:\d{7}$")]


def loinc_check_digit(body: str) -> int:
    """The LOINC check digit of a code's digits (the mod-10 algorithm of the LOINC Users' Guide: Luhn's)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return (10 - total % 10) % 10


def _loinc(code: str) -> str:
    body, check = code.split("-")
    if loinc_check_digit(body) != int(check):
        raise ValueError(f"{code} fails the LOINC check digit ({body}-{loinc_check_digit(body)} would pass): "
                         "a typing error?")
    return code


# Verhoeff's dihedral-group tables: the check digit of every SNOMED CT identifier (SNOMED CT Technical Implementation
# Guide, "Check-digit computation"); the permutation table is the powers of (0 1 5 8 9 4 2 7)(3 6)
_D5 = ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
       (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
       (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
       (9, 8, 7, 6, 5, 4, 3, 2, 1, 0))
_P1 = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)
_PERMUTATIONS = [tuple(range(10))]
for _ in range(7):
    _PERMUTATIONS.append(tuple(_P1[x] for x in _PERMUTATIONS[-1]))


def verhoeff_valid(digits: str) -> bool:
    """Whether a digit string ends in its Verhoeff check digit."""
    check = 0
    for position, char in enumerate(reversed(digits)):
        check = _D5[check][_PERMUTATIONS[position % 8][int(char)]]
    return check == 0


def _sctid(code: str) -> str:
    if not verhoeff_valid(code):
        raise ValueError(f"{code} fails the SNOMED CT check digit (Verhoeff): a typing error?")
    if code[-3:-1] not in ("00", "10"):  # the partition identifier: 00 a core concept, 10 an extension concept
        raise ValueError(f"{code} is not a SNOMED CT concept id: its partition digits {code[-3:-1]} are those of a "
                         "description or relationship (a concept's are 00 or 10)")
    return code


LoincCode = Annotated[str, Field(pattern=r"^\d{1,7}-\d$"), AfterValidator(_loinc)]
# a SNOMED CT concept id (SCTID), with its check digit and partition checked
SnomedId = Annotated[str, Field(pattern=r"^[1-9]\d{5,17}$"), AfterValidator(_sctid)]
Agent = Annotated[str, Field(pattern=r"^[a-z][a-z0-9 -]{2,59}$")]  # a drug or agent name, lower case
# a WHO ATC code, or one of its groups (C03CA: sulfonamide loop diuretics; C03CA01: furosemide)
AtcCode = Annotated[str, Field(pattern=r"^[A-Z]\d{2}([A-Z]([A-Z](\d{2})?)?)?$")]
# an ICD-10-CM code (E83.52), a category that covers every code below it (N18), or a block of categories (C00-C96)
IcdCode = Annotated[str, Field(pattern=r"^(?:[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?|[A-Z]\d[0-9A-Z]-[A-Z]\d[0-9A-Z])$")]
SourceTags = Annotated[list[str], Field(min_length=1)]
# a name shown on one line (a table row, the footer, `rules check`'s "ok:" line): no line break, not blank
ONE_LINE = r"^[^\r\n\u2028\u2029]*\S[^\r\n\u2028\u2029]*$"
OneLine = Annotated[str, Field(pattern=ONE_LINE)]


def _not_blank(text: str) -> str:
    shown = repr(text) if len(repr(text)) <= 20 else repr(text)[:17] + "..."
    if not text.strip():  # "   " printed a bullet with nothing after it, or "rule out:" and nothing (pack review 47)
        raise ValueError(f"must be text, not blank (got {shown})")
    return text


# a human-readable text shown to users (a caveat's message, a summary, a note, a rule-out test): never blank
Text = Annotated[str, AfterValidator(_not_blank)]


def _once_each(items: list[T]) -> list[T]:
    """A list of names in which a repeat can only be a slip (a caveat's clues, a band's columns): refused."""
    for index, item in enumerate(items):
        if item in items[:index]:
            raise ValueError(f"{item!r} is listed twice")
    return items


def _listed(items: list[T]) -> list[T]:
    """A list that, given, names at least one item: "one of none" holds never, "all of none" always."""
    if not items:
        raise ValueError("must name at least one, or be left out (got [])")
    return items


# a list of ids each given once (a repeat is a slip), and one that, given, is not empty
Once = AfterValidator(_once_each)
Listed = AfterValidator(_listed)


class RuleModel(BaseModel):
    # every number of a rule file is finite: nan, inf and -inf are refused as such in every float field, not by a
    # field's bound (certainty.cap = nan read "Input should be less than 0.95")
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


# --- knowledge_base.toml ------------------------------------------------------------------


class FrequencyScale(RuleModel):
    """P(finding present | cause) for each level of the frequency scale."""

    always: OpenProbability
    usually: OpenProbability
    often: OpenProbability
    sometimes: OpenProbability
    rarely: OpenProbability
    almost_never: OpenProbability
    sources: SourceTags
    note: Text = ""

    @model_validator(mode="after")
    def _ordered(self) -> FrequencyScale:
        levels = [self.always, self.usually, self.often, self.sometimes, self.rarely, self.almost_never]
        if levels != sorted(levels, reverse=True):
            raise ValueError("levels must decrease from always to almost_never")
        return self


class SpecificityScale(RuleModel):
    """P(finding present | a cause whose file does not list it), by the clue's specificity."""

    high: Background
    moderate: Background
    low: Background
    sources: SourceTags
    note: Text = ""

    @model_validator(mode="after")
    def _ordered(self) -> SpecificityScale:
        # a clue of high specificity is rare in the causes that do not list it: its background is the lowest
        if not self.high < self.moderate < self.low:
            raise ValueError("backgrounds must increase from high to moderate to low specificity")
        return self


def _patterns_sum_to_one(medullary: float, cortical: float, combined: float) -> None:
    total = medullary + cortical + combined
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"medullary + cortical + combined must sum to 1 (they sum to {total:g})")


class PatternLikelihood(RuleModel):
    """P(observed pattern | cause): how often the cause shows each distribution on imaging."""

    medullary: Probability
    cortical: Probability
    combined: Probability
    sources: SourceTags
    note: Text = ""
    estimate: bool = False

    @model_validator(mode="after")
    def _sums_to_one(self) -> PatternLikelihood:
        _patterns_sum_to_one(self.medullary, self.cortical, self.combined)
        if min(self.medullary, self.cortical, self.combined) <= 0.0:
            raise ValueError("every pattern needs a probability above 0: no cause is ever excluded by pattern")
        return self


class PatternMix(RuleModel):
    """Shares of the three patterns (medullary, cortical, combined), summing to 1."""

    medullary: OpenProbability
    cortical: OpenProbability
    combined: OpenProbability

    @model_validator(mode="after")
    def _sums_to_one(self) -> PatternMix:
        _patterns_sum_to_one(self.medullary, self.cortical, self.combined)
        return self


class LateralityByPattern(RuleModel):
    """P(unilateral | pattern) for each pattern."""

    medullary: OpenProbability
    cortical: OpenProbability
    combined: OpenProbability


class OtherPatterns(RuleModel):
    """The open world's own pattern mix by age group, and its one-sided share under each pattern. Without
    it, a cause outside the knowledge base takes the pattern mix of all nephrocalcinosis and one
    one-sided share ([other] unilateral)."""

    preterm: PatternMix
    child: PatternMix
    adult: PatternMix
    unilateral: LateralityByPattern
    sources: SourceTags
    note: Text = ""
    estimate: bool = False


class AgeMix(RuleModel):
    """Weights of the age groups used when the case gives no age."""

    preterm: Probability
    child: Probability
    adult: Probability
    sources: SourceTags
    note: Text = ""
    estimate: bool = False

    @model_validator(mode="after")
    def _sums_to_one(self) -> AgeMix:
        total = self.preterm + self.child + self.adult
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"preterm + child + adult must sum to 1 (they sum to {total:g})")
        return self


class AgeGroups(RuleModel):
    child_below_years: Annotated[float, Field(gt=0, le=30)]
    preterm_below_years: Annotated[float, Field(gt=0, le=2)]
    unknown: AgeMix
    sources: SourceTags
    note: Text = ""

    @model_validator(mode="after")
    def _preterm_first(self) -> AgeGroups:
        # below preterm_below_years a case is read in the preterm column: a child limit under it leaves no child
        if self.preterm_below_years >= self.child_below_years:
            raise ValueError(f"preterm_below_years ({self.preterm_below_years:g}) must be below child_below_years "
                             f"({self.child_below_years:g}): no age would be read as a child's")
        return self


class Laterality(RuleModel):
    """P(unilateral calcification | cause); bilateral is the complement."""

    unilateral: OpenProbability
    sources: SourceTags
    note: Text = ""
    estimate: bool = False


class Interaction(RuleModel):
    """A clue whose weight depends on the pattern, for every cause of one distribution."""

    id: Identifier
    pattern: PatternName
    clue: Identifier
    distribution: Distribution
    lr_present: Annotated[float, Field(allow_inf_nan=False), _within(MIN_RATIO, 100.0)]
    sources: SourceTags
    note: Text
    estimate: bool = False
    # true: only the causes that do not list the clue take this ratio; a cause that lists it (in any
    # form) keeps its own frequency
    unlisted_only: bool = False


class OtherFinding(RuleModel):
    """A finding that is commoner (or rarer) among the causes outside the loaded knowledge base than in
    nephrocalcinosis overall: explicit likelihood ratios for the open world, which otherwise has flat ones."""

    clue: Identifier
    lr_present: Annotated[float, Field(allow_inf_nan=False), _within(MIN_RATIO, 20.0)]
    lr_absent: Annotated[float, Field(allow_inf_nan=False), _within(MIN_RATIO, 20.0)] = 1.0
    sources: SourceTags
    note: Text
    estimate: bool = False
    # an age-bounded entry replaces the clue's unbounded one at the ages [age_at_least, age_below)
    age_at_least: Annotated[float, Field(ge=0.0, le=130.0)] | None = None
    age_below: Annotated[float, Field(gt=0.0, le=130.0)] | None = None
    # the entry counts only when this clue is present too (stated, implied or derived from a lab): a finding
    # that points outside the knowledge base only in that company (immobilisation with hypercalcaemia)
    given: Identifier | None = None
    # with given: the entry does not count when any of these clues is present too (an acid urine during
    # acidosis points outside the twelve, but not with CKD, whose acidosis has an acid urine)
    unless: Annotated[list[Identifier], Listed, Once] = []
    # the causes outside the knowledge base the entry stands for (CLINICAL-EXTENDED ids): once a rule pack loads
    # every one of them, the entry is left out, since the cause itself now takes the finding (robustness round 67:
    # with the example Bartter pack, polyhydramnios still counted x10 for the open world "for antenatal Bartter")
    marks: Annotated[list[Identifier], Listed, Once] = []

    @model_validator(mode="after")
    def _age_range(self) -> OtherFinding:
        if self.age_at_least is not None and self.age_below is not None and self.age_below <= self.age_at_least:
            raise ValueError("age_below must be above age_at_least")
        if self.given is not None and (self.age_at_least is not None or self.age_below is not None):
            raise ValueError("an entry with given cannot also have an age range")
        if self.given is not None and self.given == self.clue:
            raise ValueError("a clue cannot be its own given clue")
        if self.unless and self.given is None:
            raise ValueError("unless is for an entry with given")
        own = sorted({self.given or "", self.clue} & set(self.unless))
        if own:  # the entry counts only when its given clue is present: unless it is, it would never count
            raise ValueError(f"unless names the entry's own {'given clue' if own[0] == self.given else 'clue'} "
                             f"{own[0]!r}: the entry would never count")
        return self


class OtherCause(RuleModel):
    """The open world: P(a cause outside the loaded knowledge base | nephrocalcinosis, age group), and
    how much more often a finding that no loaded cause lists occurs outside the knowledge base."""

    adult: PriorProbability
    child: PriorProbability
    preterm: PriorProbability
    unused_clue_lr: Annotated[float, Field(ge=1.0, le=20.0)] = 1.0
    # P(unilateral | a cause outside the knowledge base); default: [laterality] unilateral
    unilateral: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None
    sources: SourceTags
    note: Text = ""
    estimate: bool = False
    age: AgeBands = []
    findings: list[OtherFinding] = []
    patterns: OtherPatterns | None = None


class CalibrationBin(RuleModel):
    """One row of the calibration table: top-1 probabilities in [low, high), how many patients, the
    mean stated probability and the observed accuracy."""

    low: Probability
    high: Annotated[float, Field(gt=0.0, le=1.01)]
    cases: Annotated[int, Field(ge=0)]
    stated: Probability
    observed: Probability

    @model_validator(mode="after")
    def _ordered(self) -> CalibrationBin:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self


class Measured(RuleModel):
    """The development set's figures at this temperature (bench/evaluate.py --fit prints them)."""

    patients: Annotated[int, Field(ge=1)]  # real patients inside the knowledge base
    description: Text  # where they come from
    top1: Probability
    top3: Probability
    brier: Annotated[float, Field(ge=0.0, le=2.0)]
    mean_top1: Probability
    inside_flagged: Probability  # flagged although the cause is in the knowledge base
    outside_patients: Annotated[int, Field(ge=0)] = 0
    outside_flagged: Probability = 0.0
    bins: list[CalibrationBin] = []

    @field_validator("bins")
    @classmethod
    def _whole(cls, bins: list[CalibrationBin], info: ValidationInfo) -> list[CalibrationBin]:
        # the table `method` prints is of the patients it names (robustness round 67: 5 patients above bins of 118)
        patients = info.data.get("patients")
        if bins and patients is not None and sum(b.cases for b in bins) != patients:
            raise ValueError(f"the bins hold {sum(b.cases for b in bins)} patients, not the {patients} that patients "
                             "gives")
        from itertools import pairwise

        for index, (before, after) in enumerate(pairwise(bins)):
            if after.low < before.high:
                raise ValueError(f"bin {index + 1} starts at {after.low:g}, inside bin {index} (to {before.high:g})")
        return bins


class Calibration(RuleModel):
    """A temperature on the log scores: probabilities are softmax(score / temperature), fitted on the
    development set of published patients (bench/evaluate.py --fit)."""

    temperature: Annotated[float, Field(ge=0.25, le=8.0)]
    fitted_on: Text  # the development set: files, size, date
    sources: list[str] = []
    note: Text = ""
    measured: Measured | None = None


class Supersedes(RuleModel):
    """A diagnosis-level clue that contains its component findings: when it is stated present, the
    components are not counted again (they are correlated, not independent evidence)."""

    clue: Identifier
    components: Annotated[list[Identifier], Field(min_length=1), Once]
    sources: SourceTags
    note: Text = ""


class Exclusive(RuleModel):
    """Findings that are states of one variable (metabolic acidosis and metabolic alkalosis as the net
    acid-base state): when more than one is stated present, the input contradicts itself, so none of
    them is counted and the fit is poor."""

    clues: Annotated[list[Identifier], Field(min_length=2)]
    sources: SourceTags
    note: Text = ""


class SetAside(RuleModel):
    """A finding stated present that is not evidence in a context: a raised PTH stated with a normal or
    low calcium is read as the lab layer reads the value (AUDIT D1), so it is not counted, and a note
    gives ``message``."""

    clue: Identifier
    when: Annotated[dict[Identifier, bool], Field(min_length=1)]
    message: Text
    sources: SourceTags
    note: Text = ""


class LateralityUnweighed(RuleModel):
    """Clues with which the laterality is not weighed, and the note that says so: a transplant recipient's calcified
    graft is one kidney, so 'unilateral' says nothing of a systemic cause."""

    clues: Annotated[list[Identifier], Field(min_length=1), Once]
    message: Annotated[str, Field(min_length=1, pattern=ONE_LINE)]
    sources: SourceTags
    note: Text = ""


class FitSettings(RuleModel):
    """When the fit of the best cause is called poor (CONTRACT.md section 7)."""

    contradiction_weight: Annotated[float, Field(lt=0)]  # a finding at or below this weight contradicts
    unexplained_background: Probability  # a present finding this specific or more must be explained
    max_unexplained: Annotated[int, Field(ge=0)]  # more unexplained findings than this: poor fit
    sources: SourceTags
    note: Text = ""
    estimate: bool = False


class InterviewSettings(RuleModel):
    """How `ask` picks its next question: information gain weighted by the chance of an answer."""

    first_line: Annotated[list[Identifier], Once]  # findings of the first-line work-up: nearly always at hand
    other_weight: Annotated[float, Field(gt=0, le=1)]  # the weight of every other finding's gain
    # the weight of a finding's gain for each finding of its group already answered "unknown"
    unknown_group_weight: Annotated[float, Field(gt=0, le=1)] = 1.0
    sources: SourceTags
    note: Text = ""
    estimate: bool = False


class KnowledgeBaseFile(RuleModel):
    name: OneLine
    version: OneLine
    description: Text = ""
    frequency: FrequencyScale
    specificity: SpecificityScale
    patterns: dict[Distribution, PatternLikelihood]
    laterality: Laterality
    laterality_unweighed: LateralityUnweighed | None = None
    age_groups: AgeGroups
    interactions: list[Interaction] = []
    other: OtherCause
    pattern_hpo: dict[str, list[HpoId]] = {}  # nephrocalcinosis and its patterns as HPO terms
    pattern_snomed: dict[str, list[SnomedId]] = {}  # the same as SNOMED CT concepts (FHIR)
    calibration: Calibration | None = None
    supersedes: list[Supersedes] = []
    exclusive: list[Exclusive] = []
    set_aside: list[SetAside] = []
    fit: FitSettings
    interview: InterviewSettings | None = None

    @model_validator(mode="after")
    def _consistent(self) -> KnowledgeBaseFile:
        # a finding a cause lists as often or more must count for it, whatever the clue's specificity
        if self.specificity.low >= self.frequency.often:
            raise ValueError(f"specificity.low ({self.specificity.low:g}) must be below frequency.often "
                             f"({self.frequency.often:g}): a finding a cause lists as often would count against it")
        for field, codes in (("pattern_hpo", self.pattern_hpo), ("pattern_snomed", self.pattern_snomed)):
            seen: dict[str, str] = {}
            for pattern, terms in codes.items():
                for term in terms:
                    if term in seen and seen[term] != pattern:
                        raise ValueError(f"{field}: {term} is given for both {seen[term]} and {pattern}")
                    seen[term] = pattern
        ids = [interaction.id for interaction in self.interactions]
        repeated = sorted({name for name in ids if ids.count(name) > 1})
        if repeated:  # as caveat, form and cause ids (robustness round 81)
            raise ValueError(f"interactions: duplicate id {', '.join(repeated)}: each interaction needs its own id")
        seen_parts: dict[str, list[str]] = {item.clue: list(item.components) for item in self.supersedes}
        for item in self.supersedes:
            if item.clue in item.components:
                raise ValueError(f"supersedes: {item.clue} is listed among its own components")
            stack, visited = list(item.components), set()
            while stack:  # a diagnosis that contains, through others, itself would discard what is stated
                part = stack.pop()
                if part == item.clue:
                    raise ValueError(f"supersedes: {item.clue} contains itself through other clues (a cycle)")
                if part not in visited:
                    visited.add(part)
                    stack.extend(seen_parts.get(part, ()))
        return self


class HpoFile(RuleModel):
    """rules/hpo.toml: the descendants of the HPO terms the vocabulary uses, so that a more specific term
    maps to its clue, and the ancestors of the clues' terms, so that an excluded broader term rules the
    clue out (generated by bench/hpo_codes.py from an HPO release)."""

    release: str
    descendants: dict[HpoId, list[HpoId]] = {}
    ancestors: dict[HpoId, list[HpoId]] = {}
    leaves: list[HpoId] = []
    obsolete_replaced_by: dict[HpoId, HpoId] = {}
    # each term a clue or pattern names, with its label in the release: a written phenopacket pairs the id with it
    labels: dict[HpoId, Annotated[str, Field(min_length=1, max_length=200, pattern=ONE_LINE)]] = {}
    # SNOMED CT concept -> the HPO terms that cross-reference it (hp.obo xrefs; bench/snomed_xrefs.py): a FHIR
    # coding with a concept no clue lists is read through them
    snomed_xrefs: dict[SnomedId, Annotated[list[HpoId], Field(min_length=1)]] = {}
    # the exact synonyms of the terms of [labels] (hp.obo; bench/snomed_xrefs.py): a finding named by one in a FHIR
    # resource's text is read as the term
    synonyms: dict[HpoId, Annotated[list[Annotated[str, Field(min_length=1, max_length=200, pattern=ONE_LINE)]],
                                    Field(min_length=1)]] = {}

    @model_validator(mode="after")
    def _synonyms_name_one_named_term(self) -> HpoFile:
        """A synonym belongs to a term [labels] names (the FHIR reader reads names of those terms only), and a name
        is one term's: the reader drops a name two terms share, so a synonym written as another term's label made
        that label unreadable without a word (robustness round 88); so do two terms of one label. Names are compared
        as the reader folds them (folded_name: case, runs of spaces, a final full stop and dashes aside; robustness
        round 89: a synonym "Polyuria." of another term, or a second term labelled "Polyuria", passed the check and
        made "Polyuria" unreadable)."""
        owner: dict[str, str] = {}
        for term, label in self.labels.items():
            other = owner.setdefault(folded_name(label), term)
            if other != term:
                raise ValueError(f"labels: {term}'s {label!r} also names {other}: a name of two terms is read as "
                                 "neither")
        for term, names in self.synonyms.items():
            if term not in self.labels:
                raise ValueError(f"synonyms: {term} has no entry in [labels]: its synonyms would name no term read")
            for name in names:
                key = folded_name(name)
                other = owner.setdefault(key, term)
                if other != term:
                    raise ValueError(f"synonyms: {term}'s {name!r} also names {other}: a name of two terms is read "
                                     "as neither")
        return self


# --- pack.toml (rule packs) ------------------------------------------------------------------


class PackFile(RuleModel):
    """A rule pack's identity; it is reported with every result computed with the pack."""

    name: Annotated[str, Field(min_length=1, max_length=80, pattern=ONE_LINE)]
    version: Annotated[str, Field(min_length=1, max_length=40, pattern=ONE_LINE)]
    description: Text = ""
    maintainer: Text = ""
    # a pack that adds causes may take part of the open world's share: the prior of `other` with it
    other: OtherCause | None = None


# --- clues.toml ---------------------------------------------------------------------------


class ChildBackground(RuleModel):
    """P(present | a cause that does not list the clue) among children, where it differs from the
    specificity's adult-weighted figure (growth failure is common in every paediatric cause)."""

    value: Background
    sources: SourceTags  # every number cites a source, and says so when the level is an estimate
    note: Text = ""
    estimate: bool = False


class AgeBackground(ChildBackground):
    """P(present | a cause that does not list the clue) in an adult age band, where a sourced prevalence
    rises with age (CKD: 6% at 18-44 years, 34% from 65 [CDC-CKD23])."""

    at_least: Annotated[float, Field(ge=0.0, le=130.0)]
    below: Annotated[float, Field(gt=0.0, le=130.0)] | None = None


class GivenBackground(RuleModel):
    """P(present | a cause that does not list the clue) when another finding is stated present: a
    finding that follows from that one in any cause (a suppressed PTH in hypercalcaemia that is not
    PTH-driven) is not rare among the causes that do not list it, nor outside the knowledge base."""

    given: Identifier  # the clue stated present under which this background holds
    value: Background
    sources: SourceTags
    note: Text = ""
    estimate: bool = False
    # clues that, present, set this background aside: a finding beyond what the given condition brings (a
    # bicarbonate below 12 mmol/L is more than the acidosis of CKD)
    unless: list[Identifier] = []
    # false: the finding stated absent beside the condition says nothing of the cause, as the condition brings it
    # only at times (vomiting, hypokalaemia); true (the default): its absence counts against the causes that do not
    # list it, as where the condition nearly always brings it (a suppressed PTH in hypercalcaemia not PTH-driven)
    counts_absent: bool = True


class MaskedAbsence(GivenBackground):
    """When the given finding is stated present, this finding stated absent says less: with
    probability ``value`` the given condition alone keeps it below its limit, whatever the cause (urine
    calcium and oxalate fall as kidney function falls). The same fields as a given background."""


def given_backgrounds(entry: ClueEntry) -> list[tuple[str, GivenBackground]]:
    """A clue's given backgrounds, each with its field path (``given_background``, or ``given_background.1`` in an
    array of tables)."""
    spec = entry.given_background
    if spec is None:
        return []
    if isinstance(spec, GivenBackground):
        return [("given_background", spec)]
    return [(f"given_background.{number}", item) for number, item in enumerate(spec)]


class ClueEntry(RuleModel):
    label: Annotated[str, Field(min_length=1, max_length=60, pattern=ONE_LINE)]
    description: Text
    group: Identifier
    specificity: Specificity
    # a finding stated absent counts only when seen on one of these modalities (tubular ectasia: CTU, IVU)
    absent_needs_modality: Annotated[list[Modality], Field(min_length=1), Once] | None = None
    note: Text = ""
    # the HPO terms that mean this clue (their descendants map to it too: hpo.toml); none: say why
    hpo: list[HpoId] = []
    # broader HPO terms read as this clue themselves, present or excluded, but not their descendants: where
    # nothing narrower is said ("renal insufficiency" is reduced kidney function, read as ckd; its child
    # "acute kidney injury" is not)
    hpo_exact: list[HpoId] = []
    # terms of ``hpo`` that are one way among several of having the finding (pulmonary tuberculosis, of
    # tuberculosis): present, each states the clue; excluded, one says nothing of the others, so it rules nothing out
    hpo_one_of: list[HpoId] = []
    hpo_note: Text = ""
    # the SNOMED CT concepts that mean this clue (FHIR Conditions and Observations); exact codes only
    snomed: list[SnomedId] = []
    # for an exposure: the drugs or agents whose use means it (FHIR medications, phenopacket treatments),
    # matched as whole words of the medication's name
    agents: list[Agent] = []
    # for an exposure: the WHO ATC codes, or groups of codes, of those drugs (a FHIR medication coded, not named)
    atc: list[AtcCode] = []
    # the ICD-10-CM codes that mean this clue (a FHIR Condition coded as a US problem list codes it): a code, a
    # category with every code below it (N18: chronic kidney disease), or a block of categories (C00-C96); a code
    # read by the most specific entry that covers it (N18.4 of advanced_ckd before N18 of ckd)
    icd10cm: list[IcdCode] = []
    # P(present | a cause that does not list it), where a sourced prevalence replaces the specificity's
    # default (CKD is common in older adults whatever calcified their kidneys)
    background: ChildBackground | None = None
    # adult age bands with their own background (from child_below_years up; non-overlapping)
    age_backgrounds: Annotated[list[AgeBackground], Listed] = []
    # under the child age limit, the finding's ratios are worked out against this background instead
    child_background: ChildBackground | None = None
    # when the given clue is stated present, the causes that do not list this clue (and a cause outside
    # the knowledge base) have it at this probability instead of the specificity's background
    # (an array of tables when several conditions each bring the finding, one per given clue)
    given_background: GivenBackground | Annotated[list[GivenBackground], Field(min_length=1)] | None = None
    # when the given clue is stated present, this finding stated absent is a weaker sign for every cause
    absent_masked_by: MaskedAbsence | None = None
    # the clues this one means by definition: stated present, it states them present too (kidney failure
    # and a kidney transplant are CKD in the contract's definition of ckd)
    implies: list[Identifier] = []
    # false: the finding suggests a cause but never settles it (hilar lymphadenopathy also comes with lymphoma
    # and tuberculosis), so however large its ratio it does not lift the 95% certainty cap
    defining: bool = True
    defining_note: str = ""  # checked below: "defining = false needs a defining_note"
    # the broader clues this finding is a kind of: a phenopacket or FHIR term that reaches both states this one only
    refines: Annotated[list[Identifier], Listed, Once] = []
    # an exposure whose preparations name their ingredients (parenteral nutrition): the other agents found in the
    # same medication name are its ingredients, not exposures of their own
    mixture: bool = False
    # a finding about a child (growth failure, rickets) or an infant (polyhydramnios in the pregnancy): not proposed
    # as a question from this age on; stated, it still counts
    asked_below: Annotated[float, Field(gt=0.0, le=130.0)] | None = None
    # how the finding is looked for, where no lab value settles it ("CT urography or IVU"): the work-up names the test,
    # not only the finding (a clinician's review, round 66: "check: tubular ectasia", "check: parathyroid lesion")
    test: Annotated[str, Field(max_length=120, pattern=ONE_LINE)] = ""

    @model_validator(mode="after")
    def _defining_note(self) -> ClueEntry:
        if not self.defining and not self.defining_note.strip():
            raise ValueError("defining = false needs a defining_note saying why the finding never settles a cause")
        if self.defining and self.defining_note:
            raise ValueError("defining_note is for a clue marked defining = false")
        return self


class CluesFile(RuleModel):
    groups: dict[Identifier, OneLine] = {}
    clues: dict[Identifier, ClueEntry] = {}


# --- sources.toml -------------------------------------------------------------------------


def _source_url(url: str) -> str:
    """A source's link: a web address, a DOI or an ISBN, with no spaces (shown and linked in every output)."""
    if re.fullmatch(r"(https?://|doi:|isbn:)\S+", url) is None:
        shown = repr(url) if len(repr(url)) <= 40 else repr(url)[:37] + "..."
        raise ValueError(f"must be an http:// or https:// URL, or a doi: or isbn: reference, with no spaces "
                         f"(got {shown})")
    return url


class SourceEntry(RuleModel):
    citation: Annotated[str, Field(min_length=1, pattern=ONE_LINE)]  # one entry per line of `nephrocalc sources`
    url: Annotated[str, AfterValidator(_source_url)]


# --- causes/<id>.toml ---------------------------------------------------------------------


class Finding(RuleModel):
    """One finding of a cause: how often it occurs (frequency), or explicit likelihood ratios."""

    clue: Identifier
    frequency: Frequency | None = None
    lr_present: PositiveRatio | None = None
    lr_absent: PositiveRatio | None = None
    # an age-bounded entry: it replaces the clue's usual entry for ages in [age_at_least, age_below)
    age_at_least: Annotated[float, Field(ge=0.0, le=130.0)] | None = None
    age_below: Annotated[float, Field(gt=0.0, le=130.0)] | None = None
    # a sex-bounded entry: it replaces the clue's usual entry for patients of this sex (a finding whose frequency
    # sources give by sex: haematuria in 100% of males with X-linked Alport syndrome, 95% of females)
    sex: Literal["female", "male"] | None = None
    sources: SourceTags
    note: Text = ""
    estimate: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> Finding:
        if (self.age_at_least is not None and self.age_below is not None
                and self.age_below <= self.age_at_least):
            raise ValueError("age_below must be greater than age_at_least")
        if self.sex is not None and (self.age_at_least is not None or self.age_below is not None):
            raise ValueError("an entry is bounded by sex or by age, not both (give the sex's entry for every age)")
        explicit = self.lr_present is not None or self.lr_absent is not None
        if self.frequency is None and not explicit:
            raise ValueError("give a frequency, or lr_present and lr_absent")
        if self.frequency is not None and explicit:
            raise ValueError("give either a frequency or explicit likelihood ratios, not both")
        if explicit and (self.lr_present is None or self.lr_absent is None):
            raise ValueError("explicit likelihood ratios need both lr_present and lr_absent")
        if (self.lr_present is not None and self.lr_absent is not None
                and (self.lr_present - 1.0) * (self.lr_absent - 1.0) > 0):
            # P(present | cause) above its background means P(absent | cause) below it, and the reverse
            raise ValueError("lr_present and lr_absent cannot both be above 1 or both below 1 (a finding more "
                             "common in the cause than elsewhere is less often absent in it)")
        return self


class Contradiction(RuleModel):
    """A finding that argues against the cause when present, with its own small likelihood ratio,
    independent of how common the finding is among other causes. With ``given``, it argues against the
    cause only when that clue is stated present too, on top of the finding's usual entry: a raised PTH
    with hypercalcaemia is PTH-driven hypercalcaemia, not the secondary hyperparathyroidism a raised PTH
    alone may be."""

    clue: Identifier
    lr: Annotated[float, Field(allow_inf_nan=False), _within(MIN_RATIO, 1.0, below_high=True)]
    given: Identifier | None = None
    sources: SourceTags
    note: Text = ""
    estimate: bool = False

    @model_validator(mode="after")
    def _not_its_own_given(self) -> Contradiction:
        if self.given is not None and self.given == self.clue:
            raise ValueError("a clue cannot be its own given clue")
        return self


class AgeBand(RuleModel):
    """An age band where the cause (or form) is more or less likely than its age-group prior says:
    ratio = P(age in band | cause) / P(age in band | nephrocalcinosis in that age group)."""

    at_least: Annotated[float, Field(ge=0.0, le=130.0)] = 0.0
    below: Annotated[float, Field(gt=0.0, le=130.0)] | None = None
    # a prior correction, not a finding's ratio: a band can move a prior column by thousands (a first-week
    # mimic against the whole first month of the child column)
    ratio: Annotated[float, Field(allow_inf_nan=False), _within(MIN_RATIO, 1e6)]
    sources: SourceTags
    note: Text = ""
    estimate: bool = False
    # the prior columns the band corrects (default: whichever applies). A term infant's band, e.g. the
    # brief's "infant (<1 y, term)" column against its child column, is ["child"]: it then holds from
    # birth for a newborn stated not preterm, and not for a preterm infant, who keeps the preterm column.
    columns: Annotated[list[Literal["preterm", "child", "adult"]], Field(min_length=1), Once] | None = None

    @model_validator(mode="after")
    def _band(self) -> AgeBand:
        if self.below is not None and self.below <= self.at_least:
            raise ValueError("below must be greater than at_least")
        if self.below is None and self.at_least == 0.0:
            if "at_least" in self.model_fields_set:
                raise ValueError("at_least = 0 with no below holds at every age: give below, or change the prior")
            raise ValueError("a band needs at_least or below: with neither it holds at every age (change the prior)")
        return self


def _disjoint_bands(bands: list[AgeBand]) -> list[AgeBand]:
    """Two bands of one cause (or form) that overlap in age and prior column would both apply there, and
    their ratios multiply: refused, as overlapping age ranges of a finding are."""
    every = ("preterm", "child", "adult")
    for index, first in enumerate(bands):
        for second in bands[index + 1:]:
            low = max(first.at_least, second.at_least)
            high = min(first.below or math.inf, second.below or math.inf)
            shared = set(first.columns or every) & set(second.columns or every)
            if low < high and shared:
                raise ValueError(f"age bands [{first.at_least:g}, {first.below or math.inf:g}) and "
                                 f"[{second.at_least:g}, {second.below or math.inf:g}) overlap (column "
                                 f"{', '.join(sorted(shared))}): their ratios would multiply; give one band per age")
    return bands


AgeBands = Annotated[list[AgeBand], AfterValidator(_disjoint_bands)]


class RuleOut(RuleModel):
    """How to rule out a can't-miss cause: the test, and the clue or lab it settles."""

    test: Text
    clue: Identifier | None = None
    lab: Identifier | None = None
    # stated present, any of these findings has the test proposed whatever the cause's probability (sterile
    # pyuria: think of tuberculosis even when another cause explains it better)
    when_present: Annotated[list[Identifier], Listed, Once] = []
    # a finding to settle before the test, proposed in its place while unknown: the serum calcium before the
    # vitamin D metabolite ratio of infantile hypercalcaemia (a healthy newborn's first test is not a genetic one)
    first: Identifier | None = None
    # a patient younger than this many years has the test proposed whatever the cause's probability: every child
    # with nephrocalcinosis is examined for primary hyperoxaluria [Hoppe10]
    below_age: Annotated[float, Field(gt=0.0, le=130.0)] | None = None
    # false: the clue stated absent does not settle the cause, and the test is still proposed: the clue is a history
    # ("no known tuberculosis"), not the test's result (a normal urine oxalate settles primary hyperoxaluria)
    absent_settles: bool = True
    sources: SourceTags


class Certainty(RuleModel):
    """The most certainty a cause is shown with until its defining finding is stated present: a structural
    diagnosis (medullary sponge kidney: tubular ectasia on CT urography or IVU) is not near-certain from the
    findings that only suggest it."""

    cap: Annotated[float, Field(ge=0.3, lt=0.95)]
    # the defining finding that lifts the cap; left out, nothing does (a mimic that does not itself calcify
    # the kidneys cannot be near-certain as the cause of their calcification)
    unless: Identifier | None = None
    # other findings that lift the cap as well (stated, or derived from a lab): an exposure proven by its level
    # (a 25-hydroxyvitamin D in the intoxication range) as well as stated
    also_unless: Annotated[list[Identifier], Listed, Once] = []
    sources: SourceTags
    note: Text


class Prior(RuleModel):
    """P(cause | nephrocalcinosis, age group): how common the cause is among all nephrocalcinosis."""

    adult: PriorProbability
    child: PriorProbability
    preterm: PriorProbability
    sources: SourceTags
    note: Text = ""
    estimate: bool = False


class Sex(RuleModel):
    """P(female | cause)."""

    female: Probability
    sources: SourceTags
    note: Text = ""


class AgeShare(RuleModel):
    adult: Probability
    child: Probability
    preterm: Probability


class Form(RuleModel):
    """A clinical form of a cause (e.g. tertiary hyperparathyroidism) with findings of its own.

    A form's findings add to, or replace (same clue), the cause's common findings.
    """

    id: Identifier
    name: Annotated[str, Field(min_length=1, pattern=ONE_LINE)]
    # shown after the cause's short name, e.g. "Distal RTA (hereditary)"; default: the id, in words
    label: Annotated[str, Field(min_length=1, max_length=40, pattern=ONE_LINE)] | None = None
    share: Probability | AgeShare
    sources: SourceTags
    note: Text = ""
    estimate: bool = False
    sex: Sex | None = None
    laterality: Laterality | None = None
    findings: list[Finding] = []
    contradicts: list[Contradiction] = []
    age: AgeBands = []


class TakesOver(RuleModel):
    """Part of another cause's form that this cause models on its own (a rule pack's cause refining a
    built-in form): ``share`` of that form's prior, by age group, moves out of it while this cause is
    loaded, so that one picture is not counted twice."""

    cause: Identifier
    form: Identifier
    share: AgeShare
    sources: SourceTags
    note: Text = ""
    estimate: bool = False


class CauseFile(RuleModel):
    # a mimic imitates nephrocalcinosis or a cause of it without being one: tells_apart says how to tell
    kind: Literal["cause", "mimic"] = "cause"
    tells_apart: Text = ""
    name: Annotated[str, Field(min_length=1, pattern=ONE_LINE)]
    short_name: Annotated[str, Field(min_length=1, max_length=40, pattern=ONE_LINE)]
    distribution: Distribution
    cant_miss: bool
    cant_miss_reason: Text = ""
    summary: Text
    mechanism: Text
    sources: SourceTags
    prior: Prior
    patterns: PatternLikelihood | None = None
    laterality: Laterality | None = None
    sex: Sex | None = None
    findings: Annotated[list[Finding], Field(min_length=1)]
    contradicts: list[Contradiction] = []
    age: AgeBands = []
    rule_out: RuleOut | None = None
    # false: the cause does not itself calcify the kidneys (a mimic of a cause, as FHH mimics hyperparathyroidism):
    # leading, it leaves the calcification unexplained and the fit is poor
    calcifies: bool = True
    certainty: Certainty | None = None
    forms: list[Form] = []
    takes_over: list[TakesOver] = []

    @field_validator("forms")
    @classmethod
    def _forms_share(cls, forms: list[Form]) -> list[Form]:
        if not forms:
            return forms
        for group in ("adult", "child", "preterm"):
            total = sum(f.share if isinstance(f.share, float) else getattr(f.share, group) for f in forms)
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise ValueError(f"the shares of the forms must sum to 1 (for {group} they sum to {total:g})")
        ids = [f.id for f in forms]
        if len(set(ids)) != len(ids):
            raise ValueError("form ids must be unique")
        for form in forms:  # a form of no share at any age can never be reached, and its findings never count
            shares = [form.share] if isinstance(form.share, float) else \
                [form.share.adult, form.share.child, form.share.preterm]
            if max(shares) <= 0.0:
                raise ValueError(f"form {form.id!r} has a share of 0 at every age: it can never be reached")
        return forms

    @model_validator(mode="after")
    def _cant_miss_reason(self) -> CauseFile:
        if self.cant_miss and not self.cant_miss_reason:
            raise ValueError("cant_miss = true needs a cant_miss_reason")
        if self.kind == "mimic" and not self.tells_apart:
            raise ValueError('kind = "mimic" needs tells_apart: what tells it from nephrocalcinosis')
        return self


# --- caveats.toml -------------------------------------------------------------------------


class Condition(RuleModel):
    """When a caveat applies: every key given must hold."""

    pattern: Annotated[list[PatternName], Once] | None = None
    modality: Annotated[list[Modality], Once] | None = None
    grade: Annotated[list[Annotated[int, Field(ge=0, le=3)]], Once] | None = None
    laterality: Literal["bilateral", "unilateral"] | None = None
    sex: Literal["female", "male"] | None = None
    age_below: Annotated[float, Field(gt=0)] | None = None
    age_at_least: Annotated[float, Field(ge=0)] | None = None
    present: Annotated[list[Identifier], Once] = []
    absent: Annotated[list[Identifier], Once] = []
    unknown: Annotated[list[Identifier], Once] = []
    # stated absent or not stated: the one-rule form of absent + unknown
    not_present: Annotated[list[Identifier], Once] = []
    any_present: Annotated[list[Identifier], Once] = []
    leading: Annotated[list[Identifier], Once] = []
    in_top3: Annotated[list[Identifier], Once] = []

    @model_validator(mode="after")
    def _can_hold(self) -> Condition:
        """A condition that can hold for no case is a rule that never fires, and one of no key at all a rule that
        fires on every case: both refused, not kept silently."""
        if not self.model_fields_set:  # an empty [caveats.when]: "every key given must hold" holds for every case
            raise ValueError("no condition: the caveat would fire on every case (give at least one key)")
        if self.age_below is not None and self.age_at_least is not None and self.age_below <= self.age_at_least:
            raise ValueError("age_below must be above age_at_least (the caveat would apply at no age)")
        if self.age_at_least is not None and self.age_at_least >= 130:
            raise ValueError("age_at_least must be below 130 years (the caveat would apply at no age)")
        for name in ("pattern", "modality", "grade", "any_present", "leading", "in_top3", "present", "absent",
                     "unknown", "not_present"):
            # "one of none" holds never, "all of none" always: either way the key says nothing a reviewer can read
            if name in self.model_fields_set and not getattr(self, name):
                raise ValueError(f"{name} is an empty list: name at least one, or leave the key out")
        # keys that every case meets say nothing: an age from 0, an age below 130 or more, every pattern, every grade
        # (robustness round 82: such a caveat was accepted and fired on every case)
        trivial = {name for name, always in (
            ("age_at_least", self.age_at_least == 0), ("age_below", (self.age_below or 0) > 130),
            ("pattern", set(self.pattern or ()) >= {"medullary", "cortical", "combined"}),
            ("grade", set(self.grade or ()) >= {0, 1, 2, 3})) if always}
        if trivial and not self.model_fields_set - trivial:
            raise ValueError(f"{', '.join(sorted(trivial))} hold for every case: the caveat would fire on every case "
                             "(give a condition that a case must meet)")
        if self.model_fields_set - trivial <= {"not_present", "unknown"}:
            # holds for every case that does not state the clues, which is nearly every case (robustness round 74)
            raise ValueError("only not_present or unknown: the caveat would fire on nearly every case (add a "
                             "condition that the case must meet: a pattern, an age, a clue present ...)")
        stated = set(self.present) | set(self.any_present if len(self.any_present) == 1 else [])
        for name, clues in (("absent", self.absent), ("unknown", self.unknown), ("not_present", self.not_present)):
            both = sorted(stated & set(clues))
            if both:
                # the key as written (robustness round 76: an any_present clue was called "present")
                key = "present" if set(both) & set(self.present) else "any_present"
                raise ValueError(f"{', '.join(both)} is both {key} and {name}: the caveat would apply to no case")
        both = sorted(set(self.absent) & set(self.unknown))
        if both:
            raise ValueError(f"{', '.join(both)} is both absent and unknown: the caveat would apply to no case")
        return self


class CaveatEntry(RuleModel):
    """A caveat (a clinical caution), a warning (about the input), or a cause to consider outside the
    loaded knowledge base (kind = "consider": ``cause`` and ``name`` say which; ``message`` says why)."""

    id: Identifier
    kind: Literal["caveat", "warning", "consider"] = "caveat"
    message: Annotated[str, Field(max_length=400), AfterValidator(_not_blank)]
    sources: SourceTags
    when: Condition
    cause: Identifier | None = None
    name: OneLine = ""
    # consider: when it applies, no loaded cause explains the findings well; caveat: when it applies, the
    # leading cause does not (it needs an exposure or finding nobody stated)
    poor_fit: bool = False

    @model_validator(mode="after")
    def _consider(self) -> CaveatEntry:
        if self.kind == "consider" and (self.cause is None or not self.name):
            raise ValueError('kind = "consider" needs cause and name')
        if self.kind != "consider" and self.cause is not None:
            raise ValueError('cause is for kind = "consider"')
        if self.kind == "warning" and self.poor_fit:
            raise ValueError('poor_fit is for kind = "consider" or "caveat": a warning is about the input')
        return self


class CaveatsFile(RuleModel):
    caveats: list[CaveatEntry]


# --- reference tables (imaging.toml, grading.toml) ----------------------------------------


class ReferenceRow(RuleModel):
    key: str
    cells: list[str]


class ReferenceTable(RuleModel):
    title: Text
    # the row key's heading, then one heading per cell: at least two
    columns: Annotated[list[str], Field(min_length=2)]
    rows: list[ReferenceRow]
    sources: SourceTags
    note: Text = ""

    @field_validator("rows")
    @classmethod
    def _shape(cls, rows: list[ReferenceRow], info: ValidationInfo) -> list[ReferenceRow]:
        # named by the row, as every other problem is by its field (robustness round 67: "(file): row '0' ...")
        columns = info.data.get("columns")
        for index, row in enumerate(rows):
            if columns is not None and len(row.cells) != len(columns) - 1:
                raise ValueError(f"row {index} (key {row.key!r}): needs {len(columns) - 1} cells, one per "
                                 f"column after the key, got {len(row.cells)}")
        return rows


# --- labs.toml ----------------------------------------------------------------------------


class UnitConversion(RuleModel):
    """How a unit converts to the lab's canonical unit: canonical = value * multiply_by / divide_by."""

    multiply_by: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    divide_by: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0


class LabBound(RuleModel):
    """One side of another lab's value, in that lab's canonical unit."""

    above: FiniteNumber | None = None
    below: FiniteNumber | None = None

    @model_validator(mode="after")
    def _one_side(self) -> LabBound:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        return self


class LabLimit(RuleModel):
    """A reference limit that turns a value into a clue.

    ``above``: the clue is present when the value is above it; absent when the value is at or
    below ``absent_at_most`` (default: ``above``), unless ``derive_absent`` is false.
    ``below``: the clue is present below it; absent at or above ``absent_at_least`` (default: ``below``).
    """

    clue: Identifier
    above: FiniteNumber | None = None
    below: FiniteNumber | None = None
    absent_at_most: FiniteNumber | None = None
    absent_at_least: FiniteNumber | None = None
    derive_absent: bool = True
    derive_present: bool = True  # false: the limit only ever documents the clue absent
    # false: beyond the limit (and with its requires) the value derives nothing and the limit's
    # warning says what it means instead (a raised PTH with a low calcium: secondary HPT)
    derive: bool = True
    unit: str | None = None  # a patient-normalised unit with limits of its own; default: the canonical unit
    age_at_least: Annotated[float, Field(ge=0)] | None = None
    age_below: Annotated[float, Field(gt=0)] | None = None
    when_age_unknown: bool = False
    sex: Literal["female", "male"] | None = None
    when_sex_unknown: bool = False
    requires: dict[Identifier, bool] = {}  # the limit applies only when these clues hold
    # the limit applies only when the clinician states these clues (a clue derived from a lab does not do):
    # kidney failure is read from an eGFR only when CKD is known, since one value in a crisis is often acute
    requires_stated: dict[Identifier, bool] = {}
    unless: dict[Identifier, bool] = {}  # the limit does not apply when any of these clues holds
    absent_requires: dict[Identifier, bool] = {}  # documents the clue absent only when these clues hold
    # does not document the clue absent when any of these holds (a normal urine calcium on a thiazide)
    absent_unless: dict[Identifier, bool] = {}
    # the clue is present only when these other labs are given and beyond these bounds (in their canonical
    # units): a two-lab rule (a suppressed TSH is thyrotoxicosis only with a raised free T4)
    present_requires_lab: dict[Identifier, LabBound] = {}
    label: Annotated[str, Field(pattern=ONE_LINE)] = "reference limit"
    warning: Text = ""
    warn_when: Literal["present", "always"] = "present"
    sources: SourceTags
    note: Text = ""
    estimate: bool = False

    @model_validator(mode="after")
    def _one_side(self) -> LabLimit:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        if not self.derive and not self.warning:
            raise ValueError("a limit that derives nothing (derive = false) needs a warning to say what it means")
        if self.age_below is not None and self.age_below <= (self.age_at_least or 0.0):
            raise ValueError("age_below must be above age_at_least (the limit would apply at no age)")
        # the absent bound lies on the absent side of the limit: between the two nothing is derived (a grey zone);
        # on the wrong side a value would be read both ways
        if self.above is not None and self.absent_at_most is not None and self.absent_at_most > self.above:
            raise ValueError("absent_at_most must be at or below above (a value between them would be read both ways)")
        if self.below is not None and self.absent_at_least is not None and self.absent_at_least < self.below:
            raise ValueError("absent_at_least must be at or above below (a value between them would be read both ways)")
        if (self.above is None and self.absent_at_most is not None) or \
                (self.below is None and self.absent_at_least is not None):
            raise ValueError("absent_at_most goes with above, absent_at_least with below")
        for name, needs in (("requires", self.requires), ("requires_stated", self.requires_stated)):
            # a limit that needs a clue to hold and does not apply when it holds applies to no patient (robustness
            # round 81: term infants lost hypocalcaemia without a word)
            clash = [f"{clue} = {str(value).lower()}" for clue, value in needs.items()
                     if self.unless.get(clue) is value]
            if clash:
                raise ValueError(f"{name} and unless both name {', '.join(clash)}: the limit would apply to no patient")
        return self


class LabFlags(RuleModel):
    """What a laboratory's flag on a result of this lab says when no value is given (HL7 ObservationInterpretation H,
    L, N; a result of "High", "Low" or "Normal"): the clues a result above the laboratory's range documents present,
    those one below it documents present, and those one within it documents absent. Each is a clue the lab's limits
    read. A state left empty says nothing (a PTH within range is inappropriately normal beside hypercalcaemia)."""

    high: list[Identifier] = []
    low: list[Identifier] = []
    normal: list[Identifier] = []  # documented absent
    sources: SourceTags
    note: Text = ""

    @model_validator(mode="after")
    def _says_something(self) -> LabFlags:
        if not (self.high or self.low or self.normal):
            raise ValueError("name the clues of at least one of high, low and normal (or leave flags out)")
        both = sorted(set(self.high) & set(self.low))
        if both:
            raise ValueError(f"{', '.join(both)}: a clue cannot be documented by a high and a low result both")
        for name in ("high", "low", "normal"):
            listed = getattr(self, name)
            if len(set(listed)) != len(listed):
                raise ValueError(f"{name}: a clue is listed twice")
        return self


class LabEntry(RuleModel):
    label: Annotated[str, Field(min_length=1, pattern=ONE_LINE)]
    canonical: OneLine
    units: dict[str, UnitConversion]
    own_units: list[str] = []  # accepted, judged only against limits given in that unit
    own_plausible: dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]] = {}
    plausible: Annotated[list[float], Field(min_length=2, max_length=2)]
    extreme: Annotated[list[float], Field(min_length=2, max_length=2)]
    conversion_note: Text = ""
    sources: SourceTags
    limits: list[LabLimit]
    note: Text = ""
    loinc: list[LoincCode] = []  # LOINC codes of the assay (serum, plasma, urine; mass and molar)
    # LOINC codes of an assay that measures a part of the lab (25-hydroxyvitamin D3 alone, of D2 + D3): a value is
    # read as a lower bound of the lab ("at least")
    loinc_at_least: list[LoincCode] = []
    # labs whose reading this one replaces where the two disagree on a clue (ionised over total calcium)
    decides_over: list[Identifier] = []
    # what a laboratory's flag given without a value (a FHIR result "High", interpretation L) documents
    flags: LabFlags | None = None
    # what the unit conversions rest on, checked against them at load time: the analyte's molar mass (g/mol), its
    # charge for mEq, and for a ratio to creatinine the molar mass of the denominator's analyte. A factor the units
    # and these do not give (a factor 10 off) is an error, not a silently misread value
    molar_mass: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | None = None
    valence: Annotated[int, Field(ge=1, le=4)] | None = None
    per_molar_mass: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | None = None

    @field_validator("canonical", "own_units", "units", "own_plausible", mode="after")
    @classmethod
    def _named_units(cls, value: str | list[str] | dict[str, object]) -> str | list[str] | dict[str, object]:
        # units are matched ignoring case and spaces: a blank one ("" = {}) read a case's unit-less value as the
        # canonical unit with no warning, and "accepted units" listed it as ", ," (pack review 47)
        for unit in [value] if isinstance(value, str) else value:
            if not unit.strip():
                raise ValueError(f"{unit!r} is not a unit: every unit needs a name")
        return value

    @model_validator(mode="after")
    def _units(self) -> LabEntry:
        for name in ("plausible", "extreme"):  # first: every bound below is checked against them
            low, high = getattr(self, name)
            if not low < high:
                raise ValueError(f"{name}: must be [lowest, highest], the lowest first (got [{low:g}, {high:g}])")
        for index, limit in enumerate(self.limits):  # an absent bound no plausible value reaches documents nothing
            for name in ("absent_at_most", "absent_at_least"):
                bound = getattr(limit, name)
                if limit.unit is None and bound is not None and not self.plausible[0] <= bound <= self.plausible[1]:
                    raise ValueError(f"limits.{index}.{name}: {bound:g} {self.canonical} is outside the plausible "
                                     f"range {self.plausible[0]:g}-{self.plausible[1]:g}")
        if self.canonical not in self.units:
            raise ValueError("the canonical unit must be listed in units (with no conversion)")
        overlap = set(self.units) & set(self.own_units)
        if overlap:
            raise ValueError(f"{sorted(overlap)} cannot be both converted and judged on their own")
        if not self.plausible[0] <= self.extreme[0] <= self.extreme[1] <= self.plausible[1]:
            raise ValueError("need plausible[0] <= extreme[0] <= extreme[1] <= plausible[1]")
        for index, limit in enumerate(self.limits):
            if limit.unit is not None and limit.unit not in self.own_units:
                raise ValueError(f"limit unit {limit.unit!r} is not one of own_units")
            bound = limit.above if limit.above is not None else limit.below
            if limit.unit is None and bound is not None and not self.plausible[0] < bound < self.plausible[1]:
                # a limit no plausible value can cross derives nothing, ever, and leaves every value in its grey zone
                raise ValueError(f"limits.{index}: {bound:g} {self.canonical} is not inside the plausible range "
                                 f"{self.plausible[0]:g}-{self.plausible[1]:g} (a value must be able to cross it)")
        _no_value_read_both_ways(self.limits)
        _no_age_gap(self.limits)
        for unit, conversion in self.units.items():
            factor = conversion.multiply_by / conversion.divide_by
            if unit == self.canonical and factor != 1.0:  # a value in the canonical unit is read as given
                raise ValueError(f"units.{unit}: the canonical unit converts to itself (its factor must be 1, not "
                                 f"{factor:g})")
            if not 1e-6 <= factor <= 1e6:  # the plausible range in that unit would underflow or overflow
                raise ValueError(f"units.{unit}: a conversion factor of {factor:g} to {self.canonical} is not a unit "
                                 "conversion (allowed: 1e-6 to 1e6)")
            expected = _unit_factor(unit, self.canonical, self.molar_mass, self.valence, self.per_molar_mass)
            if expected is not None and abs(factor / expected - 1.0) > UNIT_FACTOR_TOLERANCE:
                raise ValueError(f"units.{unit}: a conversion factor of {factor:g} to {self.canonical}, but the units "
                                 f"give {expected:.4g}{_unit_basis(self)}: check multiply_by and divide_by")
        return self


# A unit conversion checked against the units themselves may differ from the molar mass it rests on by this much: the
# molar masses laboratories use differ (oxalate 88.02 or oxalic acid 90.03 g/mol, 2%; PTH's 0.106 pmol per pg)
UNIT_FACTOR_TOLERANCE = 0.03
def _unit_factor(unit: str, canonical: str, molar_mass: float | None, valence: int | None,
                 per_molar_mass: float | None) -> float | None:
    """The factor a value in ``unit`` is multiplied by to give ``canonical``, from the units alone (with the molar
    masses and charge they need), or None where they cannot say (pH, mL/min/1.73m2). Raises ValueError when the
    conversion needs a molar mass or charge the lab does not give, or converts one kind into another (IU to mg)."""
    def parse(text: str) -> tuple[tuple[float, str], tuple[float, str]] | None:
        parts = text.strip().split("/")
        if len(parts) != 2:
            return None
        top, bottom = unit_part(parts[0]), unit_part(parts[1])
        return (top, bottom) if top is not None and bottom is not None else None

    given, wanted = parse(unit), parse(canonical)
    if given is None or wanted is None:
        return None

    def to_moles(kind: str, mass: float | None, name: str) -> float:  # one base unit of the kind, in moles
        if kind == "amount":
            return 1.0
        if kind == "mass" and mass is not None:
            return 1.0 / mass
        if kind == "charge" and valence is not None:
            return 1.0 / valence
        if kind in ("mass", "charge"):
            raise ValueError(f"units.{unit}: converting it to {canonical} needs the lab's "
                             f"{name if kind == 'mass' else 'valence'} (the factor is checked against it)")
        raise ValueError(f"units.{unit}: a {kind} unit does not convert to {canonical}")

    def ratio(source: tuple[float, str], target: tuple[float, str], mass: float | None, name: str) -> float:
        (scale_s, kind_s), (scale_t, kind_t) = source, target
        if kind_s == kind_t:
            return scale_s / scale_t
        return scale_s * to_moles(kind_s, mass, name) / (scale_t * to_moles(kind_t, mass, name))

    return ratio(given[0], wanted[0], molar_mass, "molar_mass") / ratio(given[1], wanted[1], per_molar_mass,
                                                                         "per_molar_mass")


def _unit_basis(lab: LabEntry) -> str:
    said = [f"{name} {value:g}" for name, value in (("molar_mass", lab.molar_mass), ("valence", lab.valence),
                                                     ("per_molar_mass", lab.per_molar_mass)) if value is not None]
    return f" (with {', '.join(said)})" if said else ""


def _contexts_exclude(first: tuple[dict[str, bool], dict[str, bool]],
                      second: tuple[dict[str, bool], dict[str, bool]]) -> bool:
    """True when no case meets both contexts, each (clues that must hold as given, clues any of which stops it)."""
    (need_a, stop_a), (need_b, stop_b) = first, second
    return any(need_b.get(clue, value) != value or stop_b.get(clue) == value for clue, value in need_a.items()) or \
        any(stop_a.get(clue) == value for clue, value in need_b.items())


def _ages_meet(first: LabLimit, second: LabLimit) -> bool:
    """True when one patient can fall under both limits' ages: a known age in both ranges, or an unknown age
    that both apply to (a limit with no age bounds applies at any age)."""
    def bounded(limit: LabLimit) -> bool:
        return limit.age_at_least is not None or limit.age_below is not None
    low = max(first.age_at_least or 0.0, second.age_at_least or 0.0)
    high = min(first.age_below or math.inf, second.age_below or math.inf)
    unknown = all(not bounded(limit) or limit.when_age_unknown for limit in (first, second))
    return low < high or unknown


def _present_region(limit: LabLimit) -> tuple[float, float]:
    """The values a limit reads as its clue present: above it, or below it."""
    if limit.above is not None:
        return limit.above, math.inf
    return -math.inf, limit.below if limit.below is not None else -math.inf


def _absent_region(limit: LabLimit) -> tuple[float, float]:
    """The values a limit reads as its clue absent: at or below absent_at_most (default: the limit), or at or
    above absent_at_least."""
    if limit.above is not None:
        return -math.inf, limit.absent_at_most if limit.absent_at_most is not None else limit.above
    low = limit.absent_at_least if limit.absent_at_least is not None else limit.below
    return low if low is not None else math.inf, math.inf


def _no_value_read_both_ways(limits: list[LabLimit]) -> None:
    """Two limits of one clue that can apply to one patient (ages, sex and context overlap) must not read one
    value as the clue present by one and absent by the other: the result would then depend on which wins."""
    for (i, first), (j, second) in combinations(enumerate(limits), 2):
        if first.clue != second.clue or first.unit != second.unit or not (first.derive and second.derive):
            continue
        if first.sex is not None and second.sex is not None and first.sex != second.sex:
            continue
        if not _ages_meet(first, second) or any(
                limit.clue in {*limit.requires, *limit.requires_stated, *limit.unless} for limit in (first, second)):
            continue  # a limit waiting for its own clue is refused on its own (compile), with a clearer message
        for present, absent, p_at, a_at in ((first, second, i, j), (second, first, j, i)):
            if not present.derive_present or not absent.derive_absent:
                continue
            context = ({**present.requires, **present.requires_stated}, present.unless)
            absent_context = ({**absent.requires, **absent.requires_stated, **absent.absent_requires},
                              {**absent.unless, **absent.absent_unless})
            if _contexts_exclude(context, absent_context):
                continue
            # present region: above the limit (or below it); absent region: at or below absent_at_most (or at or
            # above absent_at_least)
            low, high = _present_region(present)
            a_low, a_high = _absent_region(absent)
            if max(low, a_low) < min(high, a_high):
                value = max(low, a_low) if max(low, a_low) != -math.inf else min(high, a_high)
                raise ValueError(f"limits.{p_at} and limits.{a_at} read one value both ways: near {value:g} the first "
                                 f"derives {present.clue} and the second no {present.clue} for the same patients "
                                 "(separate their ages, sex or requires, or move the limits apart)")


def _no_age_gap(limits: list[LabLimit]) -> None:
    """The limits that read one clue on one side, with no context, cover one run of ages for each sex: a gap between
    two of them left a value at those ages unread without a word (robustness round 81: a calcium of 14 mg/dL at 3
    years derived nothing when one limit began at 5 instead of 1). Below the first and above the last a lab may have
    no limit (no eGFR-derived CKD under 2 years), which the output says."""
    runs: dict[tuple[str, bool, str | None], list[tuple[float, float, int, str | None]]] = {}
    for index, limit in enumerate(limits):
        if limit.requires or limit.requires_stated or limit.unless or limit.present_requires_lab or not limit.derive:
            continue
        key = (limit.clue, limit.above is not None, limit.unit)
        runs.setdefault(key, []).append((limit.age_at_least or 0.0, limit.age_below or math.inf, index, limit.sex))
    for (clue, above, _), spans in runs.items():
        sexes: list[str | None] = [*sorted({sex for *_, sex in spans if sex is not None})] or [None]
        for sex in sexes:
            own = sorted(span for span in spans if span[3] in (None, sex))
            reach, last = own[0][1], own[0][2]
            for start, end, index, _ in own[1:]:
                if start > reach:
                    raise ValueError(f"limits.{last} and limits.{index} leave the ages {reach:g} to {start:g} "
                                     + (f"({sex}) " if sex else "") + f"without a limit "
                                     f"{'above' if above else 'below'} which {clue} is read: give one, or move "
                                     "age_at_least and age_below to meet")
                if end > reach:
                    reach, last = end, index


class LabsFile(RuleModel):
    labs: dict[Identifier, LabEntry]
