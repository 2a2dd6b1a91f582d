"""The result of one differential (CONTRACT.md section 4): typed dictionaries that *are* the JSON.

The engine builds these plain dictionaries directly, so the JSON renderer only serialises them
(one shape, one code path for `diff --format json` and every `batch` line). `nephrocalc schema
result` prints their JSON Schema, derived by pydantic from these definitions, and the tests
validate real output against it.
"""

# typing_extensions.TypedDict: pydantic needs it before Python 3.12 to derive the JSON Schema
from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

NOTICE = "Decision support for clinicians, not a diagnosis."


class Evidence(TypedDict):
    """One stated clue and what it did to one cause; weight is the natural log of its likelihood ratio."""

    clue: str
    present: bool
    weight: float
    why: str
    sources: list[str]
    # the stated clue this finding follows from (clues.toml given_background): the same term for every
    # cause that does not list it, so not a finding that tells those causes apart
    given: NotRequired[str]
    # the clue a ratio counts with: an open-world ratio ([[other.findings]] given), evidence of `other` alone,
    # or a cause's contradiction that holds only with that clue present ([[contradicts]] given)
    counts_with: NotRequired[str]


class Factor(TypedDict):
    """Pattern, form share, the other forms, sex or laterality, and what it did to one cause (natural log)."""

    factor: str
    value: str
    weight: float
    why: str


class Entry(TypedDict):
    """One cause in the ranked differential."""

    rank: int
    cause: str
    name: str
    distribution: str
    score: float
    probability: float
    prior: float
    log_prior: float  # ln of the unrounded prior: the first term of the score (--explain)
    form: str | None
    # the best form's share of the cause's score (0-1), or None for a cause of one form: how settled the form is
    # (an obstetric cortical necrosis at 0.55 when no precipitating event is stated)
    form_share: float | None
    cant_miss: bool
    mimic: bool  # imitates nephrocalcinosis or a cause of it (extended knowledge base): not a cause
    supporting: list[Evidence]
    conflicting: list[Evidence]
    context: list[Factor]
    capped: bool  # above 0.95 without a defining finding: stated at 0.95 (the others share the rest), shown "> 95%"


class Consider(TypedDict):
    """A cause outside the loaded knowledge base that would explain the findings."""

    cause: str
    name: str
    why: str


class Lower(TypedDict):
    """A loaded cause ranked below the leaders that lists a finding they leave unexplained."""

    cause: str
    probability: float
    clues: list[str]  # the unexplained findings it lists strongly (a likelihood ratio of 5 or more)


class Fit(TypedDict):
    """How well the best cause explains the stated findings (CONTRACT.md section 7)."""

    status: Literal["good", "poor"]
    unexplained: list[str]  # present findings (stated or from labs) the leading causes do not explain
    consider: list[Consider]  # causes outside the loaded knowledge base that would explain them
    # present only when the input contradicts itself: the stated findings that exclude each other
    contradictory: NotRequired[list[str]]
    # present only when the best cause nearly always has a finding that is stated absent (or read absent)
    absent: NotRequired[list[str]]
    absent_in: NotRequired[str]  # the cause (the best of the loaded knowledge base) that lacks them
    # present only when the best cause does not itself calcify the kidneys (a mimic of a cause: FHH): its id
    not_calcifying: NotRequired[str]
    # present only when a caveat marked poor_fit applies (the leading cause needs an exposure nobody stated): their ids
    caveats: NotRequired[list[str]]
    # present only when the fit is poor because no loaded cause produces a combination of findings, none of them
    # unexplained alone (a hypokalaemic metabolic alkalosis with hypercalciuria): those findings
    combination: NotRequired[list[str]]
    # present only when the fit is poor and a loaded cause ranked below the leaders lists an unexplained finding
    # strongly: the first three, best first (with --extended, FHHNC tenth at 0.7% for renal magnesium wasting stated
    # with a normal PTH); `consider` names only causes outside the loaded knowledge base (CONTRACT.md section 7)
    lower: NotRequired[list[Lower]]


class Note(TypedDict):
    """A caveat (clinical caution) or a warning (about the input)."""

    id: str
    message: str
    sources: list[str]


class Derivation(TypedDict):
    """One step from a lab value to a clue: "serum_calcium 11.8 mg/dL > 10.5 mg/dL upper reference → hypercalcemia"."""

    lab: str
    value: float
    unit: str
    canonical_value: float
    canonical_unit: str
    limit: float
    comparison: str
    clue: str
    present: bool
    used: bool  # false when the case states the clue itself (a stated clue wins)
    text: str
    sources: list[str]
    # present when the value compared is computed from the lab (eGFR from creatinine): then canonical_value and
    # canonical_unit are the computed lab's
    computed: NotRequired[str]
    # present when the step is not used because another lab decides over this one (labs.toml decides_over:
    # an ionised calcium over a total calcium that disagrees with it)
    decided_by: NotRequired[str]


class NextFinding(TypedDict):
    """An unknown clue worth checking: gain is the expected fall, in bits, of the differential's entropy."""

    clue: str
    label: str
    gain: float
    separates: list[str]
    lab: str | None  # a lab value that would settle the clue
    test: NotRequired[str]  # how the finding is looked for, where no lab settles it (clues.toml ``test``)
    lab_given: NotRequired[bool]  # that lab was given but settled nothing (a grey zone, or read with another value)
    rule_out: NotRequired[str]  # for a can't-miss cause: the test that rules it out
    cant_miss: NotRequired[str]  # the can't-miss cause this finding rules in or out
    triggered_by: NotRequired[list[str]]  # the stated findings that have the test proposed below the floor
    for_age_below: NotRequired[float]  # proposed below the floor for every patient younger than this (years)
    # gain x the chance the answer is at hand (1 for the first-line work-up, [interview] other_weight for the rest):
    # the order `ask` and the table's "check" line follow; the list itself stays by gain (CONTRACT.md section 5)
    priority: NotRequired[float]


class RulePack(TypedDict):
    """A set of rule files a result was computed with: the built-in knowledge base, then any packs."""

    name: str
    version: str
    path: str


class OmittedCantMiss(TypedDict):
    """A can't-miss cause ``--top N`` left out of the differential: named all the same, as the table names it."""

    rank: int
    cause: str
    name: str
    form: str | None
    form_share: NotRequired[float | None]  # as the entry's: a form below 0.8 is shown unsettled ("?")
    probability: float
    capped: bool


class Omitted(TypedDict):
    """What ``--top N`` left out of the differential: how many causes, and their probability together, and the
    can't-miss causes among them."""

    causes: int
    probability: float
    cant_miss: NotRequired[list[OmittedCantMiss]]


class Result(TypedDict):
    """The ranked differential of one case."""

    id: str | None
    pattern: str | None  # None only for a standard input that states no pattern
    differential: list[Entry]
    fit: Fit
    derived: list[Derivation]
    caveats: list[Note]
    warnings: list[Note]
    knowledge_base: str
    rules: list[RulePack]
    notice: str
    case: NotRequired[dict[str, Any]]  # the validated case as entered (every result echoes it; --save writes it)
    next_findings: NotRequired[list[NextFinding]]
    omitted: NotRequired[Omitted]  # --top N: the causes left out of the differential, so it is not read as whole


class InterviewRecord(TypedDict):
    """How a guided work-up (`nephrocalc ask`) went: questions asked and why it stopped."""

    questions: int
    stopped: str


class AskResult(Result):
    """The result of `nephrocalc ask`: a `diff` result whose case is the answered case (which `diff --case`
    accepts unchanged), and the interview."""

    interview: NotRequired[InterviewRecord]
