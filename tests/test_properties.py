"""Properties of the engine over random valid cases (hypothesis).

The profile is set in conftest.py: "ci" (the default) is bounded and derandomised, 60 examples per
property; HYPOTHESIS_PROFILE=dev explores many more.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any, Literal, NotRequired

import pytest
from helpers import WORLD, entry, score
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ConfigDict, TypeAdapter, with_config
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from nephrocalc.knowledge import KnowledgeBase

KB: KnowledgeBase = WORLD.kb
ENGINE = WORLD.engine
CLUES = WORLD.clues
CAUSES = WORLD.causes
RANKED = WORLD.ranked  # the causes and `other`
PATTERNS = ("medullary", "cortical", "combined")
rank = WORLD.rank


# --- strategies ------------------------------------------------------------------------------------

ages = st.one_of(st.none(), st.integers(0, 130), st.floats(0, 130, allow_nan=False, allow_infinity=False))


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    case: dict[str, Any] = {"pattern": draw(st.sampled_from(PATTERNS))}
    optional = {
        "id": st.text(max_size=12),
        "age_years": ages.filter(lambda a: a is not None),
        "sex": st.sampled_from(("female", "male")),
        "laterality": st.sampled_from(("bilateral", "unilateral")),
        "modality": st.sampled_from(("us", "ct", "xr", "mr")),
        "grade": st.integers(0, 3),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            case[key] = draw(strategy)
    case["clues"] = draw(st.dictionaries(st.sampled_from(CLUES), st.booleans(), max_size=12))
    return case


# --- the shape of every result ----------------------------------------------------------------------


@given(cases())
def test_result_invariants(case: dict[str, Any]) -> None:
    result = rank(case)
    entries = result["differential"]
    probabilities = [e["probability"] for e in entries]
    assert abs(sum(probabilities) - 1.0) <= 1e-6
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert probabilities == sorted(probabilities, reverse=True), "the probabilities follow the ranks"
    assert sorted(e["cause"] for e in entries) == RANKED
    assert [e["rank"] for e in entries] == list(range(1, len(RANKED) + 1))
    scores = [e["score"] for e in entries]
    assert scores == sorted(scores, reverse=True)
    assert all(math.isfinite(s) for s in scores)
    assert result["id"] == case.get("id") and result["pattern"] == case["pattern"]


@given(cases(), st.randoms(use_true_random=False))
def test_clue_order_does_not_matter(case: dict[str, Any], rnd: random.Random) -> None:
    items = list(case["clues"].items())
    rnd.shuffle(items)
    assert rank({**case, "clues": dict(items)}) == rank(case)


@given(cases())
def test_deterministic(case: dict[str, Any]) -> None:
    assert rank(case) == rank(json.loads(json.dumps(case)))


# --- evidence moves the causes that list it, and only those ---------------------------------------


def _lists(cause: str, clue: str) -> bool:
    return any(clue in form.findings for form in KB.causes[cause].forms)


def _interaction(pattern: str, clue: str, cause: str) -> bool:
    distribution = KB.causes[cause].distribution
    return any(i.pattern == pattern and i.clue == clue and i.distribution == distribution for i in KB.interactions)


def _given_depends(clues: dict[str, bool], clue: str) -> bool:
    """Adding ``clue`` moves the causes that do not list it through a given background (a suppressed PTH
    with hypercalcaemia stated), or moves them through a stated clue whose given it is."""
    # a clue brings the clues it implies (kidney failure brings advanced CKD, the given of the acidosis); a stated
    # clue's background may also be set aside by the one added (given_background.unless)
    adds = {clue, *KB.clues[clue].implies}
    present = {c for c, value in clues.items() if value}
    present |= {other for c in list(present) for other in KB.clues[c].implies}
    return any(spec.given in clues or spec.given in present for spec in KB.clues[clue].given_backgrounds) or any(
        other.given in adds or adds & set(other.unless)
        for stated in clues for other in KB.clues[stated].given_backgrounds)


SUPPORT_PAIRS = [  # (clue, A, B): A lists the clue with LR > 1 in every form, B in none
    (clue, a, b)
    for clue in CLUES
    for a in CAUSES
    if all(clue in form.findings and form.findings[clue].lr_present > 1 for form in KB.causes[a].forms)
    for b in CAUSES
    if b != a and not _lists(b, clue)
]
ALWAYS_PAIRS = [  # (clue, A): A lists the clue as 'always' in every form, or as defining (absent: 0.05 or less)
    (clue, a)
    for clue in CLUES
    for a in CAUSES
    if all(clue in form.findings and (form.findings[clue].frequency == "always"
                                      or (form.findings[clue].frequency is None
                                          and form.findings[clue].lr_absent <= 0.05))
           for form in KB.causes[a].forms)
]


def test_the_property_pairs_are_not_empty() -> None:
    assert len(SUPPORT_PAIRS) > 50
    assert {a for _, a in ALWAYS_PAIRS} >= {"distal_rta", "medullary_sponge_kidney", "primary_hyperoxaluria"}


@given(cases(), st.sampled_from(SUPPORT_PAIRS))
def test_supporting_finding_never_lowers_a_cause_against_one_that_ignores_it(
        case: dict[str, Any], pair: tuple[str, str, str]) -> None:
    clue, a, b = pair
    assume(not _interaction(case["pattern"], clue, a) and not _interaction(case["pattern"], clue, b))
    assume(not _given_depends(case["clues"], clue))
    # an age-bounded entry replaces the usual one at its ages (dRTA lists CKD 'rarely' under 2 years)
    age = case.get("age_years")
    assume(age is None or not any(f.clue == clue and f.applies_at(age) for form in KB.causes[a].forms
                                  for f in form.age_findings))
    assume(clue != "preterm_infant")  # it also selects the age group (prior column)
    # a clue that implies others (kidney failure: CKD and advanced CKD) brings them, which b may list; one that a stated
    # clue implies (CKD with a kidney transplant) is there already
    assume(not KB.clues[clue].implies)
    assume(not any(value and clue in KB.clues[stated].implies for stated, value in case["clues"].items()))
    # a finding set aside in the case's context (a high PTH with hypocalcaemia: [[set_aside]]) is not counted, and one
    # that sets a stated finding aside (cortical atrophy, small kidneys: one contracted kidney) takes its weight away
    assume(not any(item.clue == clue and all(case["clues"].get(c) is v for c, v in item.when) for item in KB.set_aside))
    assume(not any(case["clues"].get(item.clue) and (clue, True) in item.when for item in KB.set_aside))
    # a contradiction that counts only with another clue present ([[contradicts]] with given) is not support
    assume(not any(found.clue == clue and found.given in case["clues"] for cause in (a, b)
                   for form in KB.causes[cause].forms for found in form.conditional))
    # a component of a stated diagnosis clue (rta, hypoparathyroidism) is that same evidence: not counted again
    assume(not any(case["clues"].get(diagnosis) and clue in parts for diagnosis, parts in KB.supersedes.items()))
    # a finding whose opposite state is stated ([[exclusive]]: acidosis, alkalosis) makes the input contradictory
    case = {**case, "clues": {k: v for k, v in case["clues"].items()
                              if not any(clue in group and k in group and k != clue for group in KB.exclusive)}}
    without = {**case, "clues": {k: v for k, v in case["clues"].items() if k != clue}}
    with_clue = {**case, "clues": {**without["clues"], clue: True}}
    before, after = rank(without), rank(with_clue)
    assert score(after, a) - score(after, b) >= score(before, a) - score(before, b) - 2e-3
    assert score(after, b) == score(before, b), "a clue the cause does not list leaves its score alone"
    assert score(after, a) > score(before, a)


@given(cases(), st.sampled_from(ALWAYS_PAIRS))
def test_always_finding_absent_lowers_the_cause(case: dict[str, Any], pair: tuple[str, str]) -> None:
    clue, a = pair
    assume(clue != "preterm_infant")
    # a component of a diagnosis the case states (alkaline urine with rta) is not counted, by design
    # (knowledge_base.toml [[supersedes]]): stated absent, it changes nothing
    assume(not any(clue in parts and case["clues"].get(diagnosis) is True
                   for diagnosis, parts in KB.supersedes.items()))
    # another state of its variable stated present ([[exclusive]]: a low PTH) already makes it absent, not counted again
    assume(not any(clue in states and any(case["clues"].get(c) is True for c in states if c != clue)
                   for states in KB.exclusive))
    unknown = {**case, "clues": {k: v for k, v in case["clues"].items() if k != clue}}
    if KB.clues[clue].absent_needs_modality:  # stated absent, it counts only on a modality that shows it
        unknown = {**unknown, "modality": KB.clues[clue].absent_needs_modality[0]}
    absent = {**unknown, "clues": {**unknown["clues"], clue: False}}
    before, after = rank(unknown), rank(absent)
    assert score(after, a) < score(before, a)
    assert any(e["clue"] == clue and e["present"] is False for e in entry(after, a)["conflicting"])


@given(cases(), st.sampled_from(CLUES))
def test_unknown_is_never_a_penalty_relative_to_absent(case: dict[str, Any], clue: str) -> None:
    """For a cause that lists a finding as at least 'often', stating it absent scores below leaving it out."""
    assume(clue != "preterm_infant")
    # a component of a diagnosis the case states (alkaline urine with rta) is not counted, by design
    assume(not any(clue in parts and case["clues"].get(diagnosis) is True
                   for diagnosis, parts in KB.supersedes.items()))
    # another state of its variable stated present ([[exclusive]]: an acidosis) already makes it absent
    assume(not any(clue in states and any(case["clues"].get(c) is True for c in states if c != clue)
                   for states in KB.exclusive))
    unknown = {**case, "clues": {k: v for k, v in case["clues"].items() if k != clue}}
    if KB.clues[clue].absent_needs_modality:  # stated absent, it counts only on a modality that shows it
        unknown = {**unknown, "modality": KB.clues[clue].absent_needs_modality[0]}
    absent = {**unknown, "clues": {**unknown["clues"], clue: False}}
    before, after = rank(unknown), rank(absent)
    for cause in CAUSES:
        forms = KB.causes[cause].forms
        if all(clue in f.findings and f.findings[clue].frequency in ("always", "usually") for f in forms):
            assert score(after, cause) < score(before, cause), cause


# --- the output validates ------------------------------------------------------------------------------

STRICT = ConfigDict(extra="forbid", strict=True)


@with_config(STRICT)
class EvidenceJSON(TypedDict):
    clue: str
    present: bool
    weight: float
    why: str
    sources: list[str]
    given: NotRequired[str]  # a finding that follows from this stated clue (clues.toml given_background)
    counts_with: NotRequired[str]  # its ratio counts only with this clue present (a contradiction in context)


@with_config(STRICT)
class FactorJSON(TypedDict):
    factor: str
    value: str
    weight: float
    why: str


@with_config(STRICT)
class EntryJSON(TypedDict):
    rank: int
    cause: str
    name: str
    distribution: str
    score: float
    probability: float
    prior: float
    log_prior: float
    form: str | None
    form_share: float | None
    cant_miss: bool
    mimic: bool
    supporting: list[EvidenceJSON]
    conflicting: list[EvidenceJSON]
    context: list[FactorJSON]
    capped: bool


@with_config(STRICT)
class NoteJSON(TypedDict):
    id: str
    message: str
    sources: list[str]


@with_config(STRICT)
class DerivationJSON(TypedDict):
    lab: str
    value: float
    unit: str
    canonical_value: float
    canonical_unit: str
    limit: float
    comparison: str
    clue: str
    present: bool
    used: bool
    text: str
    sources: list[str]


@with_config(STRICT)
class RulePackJSON(TypedDict):
    name: str
    version: str
    path: str


@with_config(STRICT)
class ConsiderJSON(TypedDict):
    cause: str
    name: str
    why: str


class FitJSON(TypedDict):
    status: Literal["good", "poor"]
    unexplained: list[str]
    consider: list[ConsiderJSON]


class ResultJSON(TypedDict):
    id: str | None
    pattern: str
    differential: list[EntryJSON]
    fit: FitJSON
    derived: list[DerivationJSON]
    caveats: list[NoteJSON]
    warnings: list[NoteJSON]
    knowledge_base: str
    rules: list[RulePackJSON]
    notice: str
    next_findings: NotRequired[list[dict[str, Any]]]


RESULT_ADAPTER = TypeAdapter(ResultJSON)


@given(cases())
def test_output_validates_against_the_contract_shape(case: dict[str, Any]) -> None:
    result = rank(case)
    text = json.dumps(result, allow_nan=False)  # JSON-ready: no NaN, no tuples that change on a round trip
    assert json.loads(text) == result
    RESULT_ADAPTER.validate_json(text)


def test_output_validates_against_the_package_result_type() -> None:
    from nephrocalc.result import Result

    adapter = TypeAdapter(Result)
    for case in ({"pattern": "medullary", "clues": {"rta": True}}, {"id": "x", "pattern": "combined", "grade": 0}):
        adapter.validate_python(rank(case))


def test_contract_shape_rejects_a_broken_result() -> None:
    """The validator above can fail: a result missing a field or carrying an extra one is rejected."""
    from pydantic import ValidationError

    good = rank({"pattern": "medullary", "clues": {"rta": True}})
    RESULT_ADAPTER.validate_python(good)
    broken = json.loads(json.dumps(good))
    del broken["differential"][0]["probability"]
    with pytest.raises(ValidationError):
        RESULT_ADAPTER.validate_python(broken)
    extra = json.loads(json.dumps(good))
    extra["differential"][0]["surprise"] = 1
    with pytest.raises(ValidationError):
        RESULT_ADAPTER.validate_python(extra)


@given(cases(), st.one_of(st.none(), st.floats(0, 130, allow_nan=False)), st.sampled_from(("ctu", "ivu", None)))
def test_the_caveat_index_finds_exactly_the_caveats_that_hold(case: dict[str, Any], onset: float | None,
                                                               modality: str | None) -> None:
    """The index that keeps a case from evaluating every caveat (a stated clue, the modality, a young age, a
    cause among the first three, the pattern) never leaves out one that holds: it agrees with checking all."""
    from nephrocalc.intake import parse_case

    if onset is not None and case.get("age_years") is not None and onset <= case["age_years"]:
        case["onset_age_years"] = onset
    if modality is not None:
        case["modality"] = modality
    evaluation = ENGINE.evaluate(parse_case(case, KB))
    ranking = [e["cause"] for e in ENGINE.rank(evaluation)["differential"]]
    full = evaluation.case
    true = {c for c, v in full.clues.items() if v}
    false = {c for c, v in full.clues.items() if not v}
    index = ENGINE._caveats
    every = sorted(c.caveat.id for c in index.checks if c.holds(full, true, false, ranking))
    caveats, warnings, consider = index.notes(full, ranking)
    assert sorted([n["id"] for n in (*caveats, *warnings)] + [c.id for c in consider]) == every


def test_output_with_a_given_background_validates_against_the_contract_shape() -> None:
    """An evidence item of a finding that follows from a stated one carries "given" (an additive key)."""
    result = rank({"pattern": "medullary", "age_years": 68, "clues": {"ckd": True, "hyperphosphatemia": True}})
    assert any("given" in e for entry in result["differential"] for e in entry["supporting"] + entry["conflicting"])
    RESULT_ADAPTER.validate_json(json.dumps(result))


@given(st.lists(st.floats(min_value=1e-9, max_value=1.0), min_size=3, max_size=14),
       st.floats(min_value=0.3, max_value=0.94))
def test_a_capped_leader_keeps_its_rank_and_the_sum_stays_one(weights: list[float], cap: float) -> None:
    """Any cap (0.3 up to 0.95, as [certainty] allows) over any distribution whose leader is above it: the leader
    stays first, every probability follows its rank, and they sum to 1 (robustness round 60 found a raised cap a
    millionth below the second)."""
    from nephrocalc.engine import _cap_certainty

    total = sum(weights)
    unrounded = sorted((w / total for w in weights), reverse=True)
    assume(unrounded[0] > cap + 1e-6)
    entries: list[Any] = [{"cause": f"c{i}", "probability": p} for i, p in enumerate(unrounded)]
    _cap_certainty(entries, unrounded, cap)
    probabilities = [e["probability"] for e in entries]
    assert probabilities == sorted(probabilities, reverse=True), probabilities
    assert abs(sum(probabilities) - 1.0) <= 2e-6
    assert probabilities[0] >= cap - 1e-6


@given(st.floats(min_value=0.3, max_value=0.49), st.floats(min_value=0.0, max_value=2e-6),
       st.lists(st.floats(min_value=1e-6, max_value=1.0), min_size=1, max_size=12),
       st.floats(min_value=0.3, max_value=0.5))
def test_a_capped_leader_in_a_near_tie_keeps_its_rank(lead: float, gap: float, weights: list[float],
                                                      cap: float) -> None:
    """The near tie that robustness round 60 found: a leader and a second a few millionths apart, the cap under one
    half raised to the second's level, and the rounding remainder given to the second."""
    from nephrocalc.engine import _cap_certainty

    second = lead - gap
    rest = 1.0 - lead - second
    assume(rest > 1e-6 and lead > cap + 1e-6)
    total = sum(weights)
    unrounded = [lead, second, *sorted((rest * w / total for w in weights), reverse=True)]
    assume(unrounded[2] <= second)
    entries: list[Any] = [{"cause": f"c{i}", "probability": p} for i, p in enumerate(unrounded)]
    _cap_certainty(entries, unrounded, cap)
    probabilities = [e["probability"] for e in entries]
    assert probabilities == sorted(probabilities, reverse=True), probabilities
    assert abs(sum(probabilities) - 1.0) <= 2e-6
