"""More properties of the engine (issue 6): reachability of rank 1, 'always' findings stated absent,
findings that only some forms list, lab values, and the JSON output against `nephrocalc schema result`.

Profiles as in conftest.py: "ci" (the default) is bounded and derandomised; HYPOTHESIS_PROFILE=dev
explores many more examples.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
from helpers import WORLD, entry, invoke, probability, score
from hypothesis import assume, given
from hypothesis import strategies as st

from nephrocalc.engine import age_key
from nephrocalc.intake import parse_case
from nephrocalc.knowledge import KnowledgeBase

KB: KnowledgeBase = WORLD.kb
ENGINE = WORLD.engine
CLUES = WORLD.clues
CAUSES = WORLD.causes
RANKED = WORLD.ranked  # the causes and `other`
PATTERNS = ("medullary", "cortical", "combined")
rank = WORLD.rank


# --- strategies ------------------------------------------------------------------------------------


@st.composite
def lab_values(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A plausible lab value in any of the lab's convertible units (never rejected by the plausibility check)."""
    lab = KB.labs[draw(st.sampled_from(sorted(KB.labs)))]
    written, factor = draw(st.sampled_from(sorted(lab.units.values())))
    low, high = lab.plausible
    span = high - low
    canonical = draw(st.floats(low + span * 1e-6, high - span * 1e-6, allow_nan=False, allow_infinity=False))
    value = canonical / factor
    assume(low <= value * factor <= high)  # the division and the multiplication in measure() may round
    return lab.id, {"value": value, "unit": written}


@st.composite
def cases(draw: st.DrawFn, *, labs: bool = False) -> dict[str, Any]:
    case: dict[str, Any] = {"pattern": draw(st.sampled_from(PATTERNS))}
    optional = {
        "id": st.text(max_size=12),
        "age_years": st.one_of(st.integers(0, 130), st.floats(0, 130, allow_nan=False, allow_infinity=False)),
        "sex": st.sampled_from(("female", "male")),
        "laterality": st.sampled_from(("bilateral", "unilateral")),
        "modality": st.sampled_from(("us", "ct", "xr", "mr")),
        "grade": st.integers(0, 3),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            case[key] = draw(strategy)
    case["clues"] = draw(st.dictionaries(st.sampled_from(CLUES), st.booleans(), max_size=12))
    if labs and draw(st.booleans()):
        case["labs"] = dict(draw(st.lists(lab_values(), max_size=6)))
    return case


# --- every cause can lead ------------------------------------------------------------------------------


def _best_pattern(cause_id: str) -> str:
    patterns = KB.causes[cause_id].patterns
    return max(PATTERNS, key=lambda p: patterns[p])


def strongest_case(cause_id: str, form_index: int) -> dict[str, Any]:
    """The cause's own pattern, and every finding one of its forms lists: present when it supports the
    cause (LR > 1), absent when it argues against it (LR < 1, e.g. 'almost_never')."""
    form = KB.causes[cause_id].forms[form_index]
    clues = {clue: finding.lr_present > 1 for clue, finding in form.findings.items() if finding.lr_present != 1}
    return {"id": f"{cause_id}/{form.id}", "pattern": _best_pattern(cause_id), "clues": clues}


def _leading_age(cause_id: str) -> float:
    """A representative age of the age group where the cause is most likely."""
    prior = KB.causes[cause_id].prior
    group = max(("child", "adult"), key=lambda g: prior[g])
    return 6.0 if group == "child" else 45.0


@pytest.mark.parametrize("cause_id", CAUSES)
def test_every_cause_reaches_rank_1(cause_id: str) -> None:
    """Constructive: for every cause, and every form of it, its strongest findings and its own pattern
    rank it first (so no cause is unreachable, however small its prior)."""
    cause = KB.causes[cause_id]
    for index, form in enumerate(cause.forms):
        case = strongest_case(cause_id, index)
        assert case["clues"], f"{cause_id}/{form.id} lists no finding with LR != 1"
        result = rank(case)
        leader = result["differential"][0]
        assert leader["cause"] == cause_id, (case, [(e["cause"], e["probability"]) for e in result["differential"][:3]])
        assert leader["probability"] > 0.5
        with_age = rank({**case, "age_years": _leading_age(cause_id)})
        assert with_age["differential"][0]["cause"] == cause_id


def test_every_cause_reaches_rank_1_for_generated_cases() -> None:
    """Not only by construction: among seeded random cases plus each cause's strongest findings, every cause leads."""
    rnd = random.Random(6)
    leaders: set[str] = set()
    for _ in range(200):
        cause_id = rnd.choice(CAUSES)
        form_index = rnd.randrange(len(KB.causes[cause_id].forms))
        case = strongest_case(cause_id, form_index)
        # keep a random half of the findings: some cause still has to lead, and over 200 cases all do
        keep = {k: v for k, v in case["clues"].items() if rnd.random() < 0.5}
        leaders.add(rank({**case, "clues": keep})["differential"][0]["cause"])
    assert leaders == set(CAUSES)


# --- 'always' findings stated absent ---------------------------------------------------------------------


def _lists(cause: str, clue: str) -> bool:
    return any(clue in form.findings for form in KB.causes[cause].forms)


def _lr_absent(cause: str, clue: str) -> list[float]:
    """LR(absent) of the clue in every form of the cause (1 where a form does not list it)."""
    return [form.findings[clue].lr_absent if clue in form.findings else 1.0 for form in KB.causes[cause].forms]


def _lr_present(cause: str, clue: str) -> list[float]:
    return [form.findings[clue].lr_present if clue in form.findings else 1.0 for form in KB.causes[cause].forms]


def _interaction(clue: str) -> bool:
    return any(item.clue == clue for item in KB.interactions)


def _gains_at_some_age(cause: str, clue: str) -> bool:
    """A form of the cause lists the clue below 'always' and the clue has backgrounds by age: where the background
    is above the form's frequency (CKD at 65 and over, 'sometimes' in primary hyperparathyroidism), that form gains
    from the absence, which _lr_absent (at the default background) does not show."""
    return bool(KB.clues[clue].age_backgrounds) and any(
        clue in f.findings and f.findings[clue].frequency != "always" for f in KB.causes[cause].forms)


# (clue, A): some form of A lists the clue as 'always', and no form of A gains from its absence at any age
ALWAYS_SOME = [
    (clue, a) for clue in CLUES if clue != "preterm_infant" for a in CAUSES
    if any(clue in f.findings and f.findings[clue].frequency == "always" for f in KB.causes[a].forms)
    and max(_lr_absent(a, clue)) <= 1.0 and not _gains_at_some_age(a, clue)
]
# ... and A loses more from its absence than any other cause does: A's probability cannot rise
ALWAYS_LOWEST = [
    (clue, a) for clue, a in ALWAYS_SOME
    if all(max(_lr_absent(a, clue)) <= min(_lr_absent(b, clue)) for b in CAUSES if b != a)
]


def test_always_pairs_cover_partial_forms() -> None:
    partial = [(c, a) for c, a in ALWAYS_SOME
               if not all(c in f.findings and f.findings[c].frequency == "always" for f in KB.causes[a].forms)]
    assert partial, "some 'always' finding belongs to one form only (e.g. a cortical necrosis trigger)"
    assert len(ALWAYS_LOWEST) >= 5


def _given_involved(case: dict[str, Any], clue: str) -> bool:
    """``clue`` has a given background, or is the given clue of a clue the case states or its labs may
    give (clues.toml ``given_background``)."""
    if KB.clues[clue].given_backgrounds:
        return True
    adds = {clue, *KB.clues[clue].implies}  # what it implies comes with it; one that sets a background aside counts
    dependants = {c.id for c in KB.clues.values() for spec in c.given_backgrounds
                  if spec.given in adds or adds & set(spec.unless)}
    return bool(dependants) and (bool(dependants & set(case["clues"])) or bool(case.get("labs")))


def _supersedes_involved(case: dict[str, Any], clue: str) -> bool:
    """``clue`` is a diagnosis whose components the case states or its labs may give, or a component of a
    diagnosis the case states (knowledge_base.toml ``[[supersedes]]``)."""
    components = KB.supersedes.get(clue)
    if components:
        return bool(set(components) & set(case["clues"])) or bool(case.get("labs"))
    return any(clue in parts and case["clues"].get(diagnosis) is True for diagnosis, parts in KB.supersedes.items())


def _without(case: dict[str, Any], clue: str) -> dict[str, Any]:
    return {**case, "clues": {k: v for k, v in case["clues"].items() if k != clue}}


@given(cases(), st.sampled_from(ALWAYS_SOME))
def test_always_finding_absent_never_raises_the_cause(case: dict[str, Any], pair: tuple[str, str]) -> None:
    """Even when only one form lists it as 'always': the cause's score does not rise, it falls relative to
    every cause that does not list the finding, and it falls outright when a form needing it is possible."""
    clue, a = pair
    # with its given clue stated (hypercalcaemia for a suppressed PTH), the absence also moves the causes
    # that do not list it, through the clue's given background
    stated = {c for c, value in case["clues"].items() if value}
    stated |= {other for c in list(stated) for other in KB.clues[c].implies}  # kidney failure: advanced CKD too
    assume(not any(spec.given in stated for spec in KB.clues[clue].given_backgrounds))
    # another state of its variable stated present already makes it absent, and the absence is not counted again
    assume(not any(clue in states and any(case["clues"].get(c) is True for c in states if c != clue)
                   for states in KB.exclusive))
    unknown = _without(case, clue)
    if KB.clues[clue].absent_needs_modality:  # stated absent, it counts only on a modality that shows it
        unknown = {**unknown, "modality": KB.clues[clue].absent_needs_modality[0]}
    absent = {**unknown, "clues": {**unknown["clues"], clue: False}}
    before, after = rank(unknown), rank(absent)
    assert score(after, a) <= score(before, a) + 1e-3
    for b in CAUSES:
        if b != a and not _lists(b, clue):
            assert score(after, b) == score(before, b)
            assert score(after, a) - score(after, b) <= score(before, a) - score(before, b) + 2e-3
    forms = KB.causes[a].forms
    if -math.log(max(_lr_absent(a, clue))) > 2e-3:  # every form loses from the absence
        assert score(after, a) < score(before, a)
    age = age_key(parse_case(absent, KB), KB)
    if age != "unknown" and not unknown["clues"] and "sex" not in case and "laterality" not in case:
        # nothing else tells the forms apart: the score moves by ln(sum of share(form) x LR(absent | form))
        # (each form's share at this age, times its own age bands where the age falls in them)
        years = case.get("age_years")
        assume(years is None or not any(f.clue == clue and f.applies_at(years) for form in forms
                                        for f in form.age_findings))
        shares = [f.share[age] * math.prod(band.ratio for band in f.age  # type: ignore[index]
                                           if years is not None and band.at_least <= years
                                           and (band.below is None or years < band.below)) for f in forms]
        expected = math.log(sum(s * lr for s, lr in zip(shares, _lr_absent(a, clue), strict=True)) / sum(shares))
        assert score(after, a) - score(before, a) == pytest.approx(expected, abs=2e-3)


@given(cases(), st.sampled_from(ALWAYS_LOWEST))
def test_always_finding_absent_lowers_the_probability(case: dict[str, Any], pair: tuple[str, str]) -> None:
    """When no other cause loses as much from the finding's absence, the cause's probability cannot rise."""
    clue, a = pair
    # another state of its variable stated present ([[exclusive]]) already makes it absent, not counted again
    assume(not any(clue in states and any(case["clues"].get(c) is True for c in states if c != clue)
                   for states in KB.exclusive))
    unknown = _without(case, clue)
    if KB.clues[clue].absent_needs_modality:  # stated absent, it counts only on a modality that shows it
        unknown = {**unknown, "modality": KB.clues[clue].absent_needs_modality[0]}
    absent = {**unknown, "clues": {**unknown["clues"], clue: False}}
    before, after = rank(unknown), rank(absent)
    assert probability(after, a) <= probability(before, a) + 2e-6
    capped = any(r["differential"][0]["capped"] for r in (before, after))  # the leader stated at the cap
    if 1e-3 < probability(before, a) < 0.999 and not capped:
        others = [b for b in CAUSES if b != a and min(_lr_absent(b, clue)) > max(_lr_absent(a, clue)) * 1.5]
        if sum(probability(before, b) for b in others) > 1e-2:
            assert probability(after, a) < probability(before, a)


# --- supporting findings that only some forms list --------------------------------------------------

# (clue, A, B): some form of A lists the clue with LR > 1, no form of A with LR < 1, and B does not list it
# Clues that decide how a lab value is read (e.g. PTH against hypercalcaemia): stating them can change
# the clues derived from the labs, so they are left out of the lab-value properties.
LAB_CONDITIONS = {
    clue for lab in KB.labs.values() for limit in lab.limits
    for clue, _ in (*limit.requires, *getattr(limit, "unless", ()), *getattr(limit, "absent_requires", ()))
}
SUPPORT_SOME = [
    (clue, a, b) for clue in CLUES if clue != "preterm_infant" and not _interaction(clue) for a in CAUSES
    if max(_lr_present(a, clue)) > 1 and min(_lr_present(a, clue)) >= 1
    for b in CAUSES if b != a and not _lists(b, clue)
]


def test_support_pairs_cover_partial_forms() -> None:
    partial = {(c, a) for c, a, _ in SUPPORT_SOME if min(_lr_present(a, c)) == 1}
    assert len(partial) >= 5, partial


@given(cases(labs=True), st.sampled_from(SUPPORT_SOME))
def test_supporting_finding_never_lowers_a_cause_against_one_that_ignores_it(
        case: dict[str, Any], pair: tuple[str, str, str]) -> None:
    """With lab values too (a stated clue wins over a derived one)."""
    clue, a, b = pair
    # a clue that is the given of another stated one (CKD for hyperphosphataemia) also moves the causes
    # that do not list that other clue, through its given background: not a clue that "ignores" them
    assume(not _given_involved(case, clue))
    # a diagnosis stated with its components (rta with an alkaline urine) replaces them, by design
    # (knowledge_base.toml [[supersedes]]): the components' weights go, the diagnosis's comes
    assume(not _supersedes_involved(case, clue))
    # a contradiction that counts only with another clue present (a raised PTH with hypercalcaemia against chronic
    # hypercalciuria: [[contradicts]] with given) is the clue's evidence in that context, not a supporting one
    assume(not any(found.clue == clue and found.given in case["clues"] for cause in (a, b)
                   for form in KB.causes[cause].forms for found in form.conditional))
    # an age-bounded entry replaces the usual one at its ages (dRTA lists CKD 'rarely' under 2 years)
    age = case.get("age_years")
    assume(age is None or not any(f.clue == clue and f.applies_at(age) for form in KB.causes[a].forms
                                  for f in form.age_findings))
    # a lab that reads the clue, or its opposite (a phosphate read as hyperphosphataemia, which a stated
    # hypophosphataemia sets aside), changes more than the clue
    if clue in LAB_CONDITIONS or any(limit.clue == clue for lab in case.get("labs", {})
                                     for limit in KB.labs[lab].limits):
        case = {k: v for k, v in case.items() if k != "labs"}
    groups = [group for group in KB.exclusive if clue in group]
    if groups:  # its opposite state, stated or read off a lab, would make the input contradictory
        case = {k: v for k, v in case.items() if k != "labs"}
        case = {**case, "clues": {k: v for k, v in case["clues"].items()
                                  if not any(k in group and k != clue for group in groups)}}
    base = _without(case, clue)
    absent = {**base, "clues": {**base["clues"], clue: False}}
    present = {**base, "clues": {**base["clues"], clue: True}}
    for reference in (absent, base):  # absent -> present, and unknown (or lab-derived) -> present
        before, after = rank(reference), rank(present)
        assert score(after, a) - score(after, b) >= score(before, a) - score(before, b) - 2e-3
        if any(r["differential"][0]["capped"] for r in (before, after)):
            # a leader stated at the certainty cap no longer shows its odds against the others (the rest
            # share what it gives up): the scores above carry the comparison
            continue
        assert probability(after, a) * probability(before, b) >= probability(before, a) * probability(after, b) * (
            1 - 1e-3) - 2e-6


# --- determinism and order with lab values ------------------------------------------------------------


@given(cases(labs=True), st.randoms(use_true_random=False))
def test_order_of_clues_and_labs_does_not_matter(case: dict[str, Any], rnd: random.Random) -> None:
    shuffled = dict(case)
    for key in ("clues", "labs"):
        if key in case:
            items = list(case[key].items())
            rnd.shuffle(items)
            shuffled[key] = dict(items)
    keys = list(shuffled)
    rnd.shuffle(keys)
    shuffled = {key: shuffled[key] for key in keys}
    first = rank(case)
    assert rank(shuffled) == first
    assert rank(json.loads(json.dumps(case))) == first, "deterministic"


@given(cases(labs=True))
def test_invariants_with_labs(case: dict[str, Any]) -> None:
    result = rank(case)
    probabilities = [e["probability"] for e in result["differential"]]
    assert abs(sum(probabilities) - 1.0) <= 1e-6
    assert all(0.0 <= p <= 1.0 and math.isfinite(p) for p in probabilities)
    assert sorted(e["cause"] for e in result["differential"]) == RANKED
    # a clue stated present states the clues it implies too (kidney failure and advanced CKD imply CKD)
    implied = {other for clue, value in case["clues"].items() if value for other in KB.clues[clue].implies}
    stated = {clue for clue, value in case["clues"].items() if value}
    for derivation in result["derived"]:
        assert derivation["lab"] in case.get("labs", {})
        # a step is used unless the clue is stated (or implied by one stated), the lab's reading of the opposite state
        # is stated (a low ionised calcium beside a stated hypercalcaemia: the statement wins), or another lab decides
        # over this one (labs.toml decides_over)
        limits = KB.labs[derivation["lab"]].limits
        sides = {limit.above is None for limit in limits if limit.clue == derivation["clue"]}
        opposite = {limit.clue for limit in limits if limit.clue != derivation["clue"] and (limit.above is None) not in
                    sides and not any({limit.clue, derivation["clue"]} <= set(group) for group in KB.exclusive)}
        assert derivation["used"] is (derivation["clue"] not in case["clues"] and derivation["clue"] not in implied
                                      and not (derivation["present"] and opposite & stated)
                                      and "decided_by" not in derivation)


# --- JSON output against `nephrocalc schema result` -----------------------------------------------


def _printed_schema(which: str) -> dict[str, Any]:
    status, out, err = invoke(["schema", which])
    assert status == 0, err
    schema: dict[str, Any] = json.loads(out)
    return schema


@pytest.fixture(scope="module")
def result_schema() -> dict[str, Any]:
    from test_formats import check_schema

    schema = _printed_schema("result")
    check_schema(schema)  # only keywords the small checker below understands
    return schema


def _errors(value: Any, schema: dict[str, Any], *, closed: bool = True) -> list[str]:
    from test_formats import schema_errors

    errors: list[str] = schema_errors(value, schema, schema, closed=closed)
    return errors


@given(cases(labs=True), st.one_of(st.none(), st.integers(1, 14)), st.sampled_from(("json", "jsonl")))
def test_diff_json_validates_against_the_printed_schema(result_schema: dict[str, Any], case: dict[str, Any],
                                                        top: int | None, fmt: str) -> None:
    argv = ["diff", "--case", "-", "--format", fmt] + ([] if top is None else ["--top", str(top)])
    status, out, err = invoke(argv, json.dumps(case).encode())
    assert status == 0, err
    data = json.loads(out)
    assert _errors(data, result_schema) == []
    assert list(data) == [k for k in result_schema["properties"] if k in data], "the schema's order"
    assert len(data["differential"]) == min(top or len(RANKED), len(RANKED))


@given(st.lists(cases(labs=True), min_size=1, max_size=6))
def test_batch_lines_validate_against_the_printed_schema(result_schema: dict[str, Any],
                                                         batch: list[dict[str, Any]]) -> None:
    stdin = "".join(json.dumps(case) + "\n" for case in batch).encode()
    status, out, err = invoke(["batch"], stdin)
    assert status == 0, err
    lines = out.split("\n")
    assert lines.pop() == ""
    assert len(lines) == len(batch)
    for line, case in zip(lines, batch, strict=True):
        data = json.loads(line)
        assert _errors(data, result_schema) == []
        assert data["id"] == case.get("id")


@given(cases(labs=True), st.lists(st.sampled_from(["y", "n", "u", "yes", "no", "?", "maybe"]), max_size=10))
def test_ask_json_validates_against_the_printed_schema(result_schema: dict[str, Any], case: dict[str, Any],
                                                       answers: list[str]) -> None:
    """ask's JSON is a result plus the answered case under "case" and its own keys (the schema leaves the
    root open, so they validate; every key the schema defines has its type)."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as handle:
        json.dump(case, handle)
        handle.flush()
        status, out, err = invoke(["ask", "--case", handle.name, "--format", "json"],
                                  "".join(a + "\n" for a in answers).encode())
    assert status == 0, err  # an answer that cannot be read ("maybe") leaves its finding unknown, and is counted
    data = json.loads(out)
    assert _errors(data, result_schema, closed=False) == []
    assert set(result_schema["required"]) <= set(data)
    assert entry(rank(data["case"]), data["differential"][0]["cause"])["rank"] == 1, "the case replays to the result"


def test_schema_check_rejects_broken_output(result_schema: dict[str, Any]) -> None:
    """The validation above can fail."""
    status, out, err = invoke(["diff", "--pattern", "medullary", "--rta", "--format", "json"])
    assert status == 0, err
    good = json.loads(out)
    assert _errors(good, result_schema) == []
    assert _errors({**good, "differential": [{**good["differential"][0], "probability": "0.5"}]}, result_schema)
    assert _errors({k: v for k, v in good.items() if k != "notice"}, result_schema)
    assert _errors({**good, "surprise": 1}, result_schema)


# --- every command renders every format (DESIGN-REVIEW.md section 3: what would have found the crash) ---

RESULT_FORMATS = ("table", "json", "jsonl", "tsv", "markdown")


@given(cases(labs=True), st.sampled_from(RESULT_FORMATS), st.booleans(), st.one_of(st.none(), st.integers(1, 14)))
def test_diff_renders_in_every_format(case: dict[str, Any], fmt: str, explain: bool, top: int | None) -> None:
    """Any valid case, any format, with or without --explain and --top: exit 0, output, no error."""
    argv = ["diff", "--case", "-", "--format", fmt, *(["--explain"] if explain else []),
            *(["--top", str(top)] if top else [])]
    status, out, err = invoke(argv, json.dumps(case).encode())
    assert status == 0, err
    assert out.strip() and "internal error" not in err


@given(cases(labs=True), st.sampled_from(RESULT_FORMATS), st.lists(st.sampled_from(["y", "n", "u", "?"]),
                                                                    max_size=4))
def test_ask_renders_in_every_format(case: dict[str, Any], fmt: str, answers: list[str]) -> None:
    import os
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(case, handle)
    try:
        status, out, err = invoke(["ask", "--case", handle.name, "--format", fmt, "--max-questions", "4"],
                                  "".join(a + "\n" for a in answers).encode())
    finally:
        os.unlink(handle.name)
    assert status == 0, err
    assert out.strip() and "internal error" not in err


@pytest.mark.parametrize("fmt", ("jsonl", "json", "tsv", "markdown"))
def test_batch_renders_random_cases_in_every_format(fmt: str) -> None:
    rnd = random.Random(fmt)
    lines = []
    for _ in range(40):
        case: dict[str, Any] = {"pattern": rnd.choice(PATTERNS), "age_years": rnd.choice([0, 0.5, 6, 40, 80])}
        case["clues"] = {c: rnd.random() < 0.6 for c in rnd.sample(CLUES, rnd.randint(0, 8))}
        lines.append(json.dumps(case))
    status, out, err = invoke(["batch", "--format", fmt], ("\n".join(lines) + "\n").encode())
    assert status == 0, err
    assert out.strip()


@pytest.mark.parametrize("command", (["causes"], ["clues"], ["labs"], ["method"], ["imaging"], ["grading"],
                                     ["schema", "case"], ["schema", "result"]))
@pytest.mark.parametrize("fmt", ("table", "json"))
def test_reference_commands_render(command: list[str], fmt: str) -> None:
    argv = [*command, "--format", fmt] if command[0] in ("causes", "clues", "labs") else command
    status, out, err = invoke(argv)
    assert status == 0, err
    assert out.strip()


@pytest.mark.parametrize("cause_id", sorted(WORLD.kb.causes))
@pytest.mark.parametrize("fmt", ("table", "json"))
def test_every_cause_renders(cause_id: str, fmt: str) -> None:
    status, out, err = invoke(["cause", cause_id, "--format", fmt])
    assert status == 0, err
    assert out.strip()


MASKED = sorted((clue.id, clue.absent_masked_by.given) for clue in KB.clues.values()
                if clue.absent_masked_by is not None)


@given(cases(), st.sampled_from(MASKED))
def test_an_absence_masked_by_a_stated_condition_moves_no_cause_further(case: dict[str, Any],
                                                                        pair: tuple[str, str]) -> None:
    """With its masking condition stated (CKD for urine calcium and oxalate), a finding stated absent moves
    every cause the same way it moves it without the condition, never further."""
    clue, given_clue = pair
    assume(case["clues"].get(clue) is None)
    without = {**case, "clues": {k: v for k, v in case["clues"].items() if k != given_clue}}
    withc = {**case, "clues": {**case["clues"], given_clue: True}}
    for base in (without, withc):
        before, after = rank(base), rank({**base, "clues": {**base["clues"], clue: False}})
        moved = {c: score(after, c) - score(before, c) for c in RANKED}
        if base is without:
            plain = moved
    for c in RANKED:
        assert abs(moved[c]) <= abs(plain[c]) + 2e-3
        assert moved[c] * plain[c] >= -1e-6  # the same direction (or none)


# --- every term of every score is shown ------------------------------------------------------------------

GIVEN_PAIRS = sorted((clue.id, spec.given) for clue in KB.clues.values() for spec in clue.given_backgrounds)
INTERACTION_CLUES = sorted({item.clue for item in KB.interactions})


@given(cases(labs=True), st.lists(st.sampled_from(GIVEN_PAIRS), max_size=2),
       st.lists(st.sampled_from(INTERACTION_CLUES), max_size=2))
def test_the_terms_shown_add_up_to_every_score(case: dict[str, Any], pairs: list[tuple[str, str]],
                                               shaped: list[str]) -> None:
    """--explain and the JSON show every term of every score: the prior, the context factors and the
    evidence of the best form add up to the cause's score (each term rounded to 2 decimals), whatever
    mix of pattern interactions, given backgrounds, age bands and lab-derived clues is in force."""
    clues = dict(case["clues"])
    for clue, given_clue in pairs:  # a finding with its given clue: the given background is in force
        clues[clue] = True
        clues[given_clue] = True
    for clue in shaped:  # a finding whose weight depends on the pattern
        clues[clue] = True
    result = rank({**case, "clues": clues})
    for item in result["differential"]:
        terms = [item["log_prior"], *(f["weight"] for f in item["context"]),
                 *(e["weight"] for e in (*item["supporting"], *item["conflicting"]))]
        assert sum(terms) == pytest.approx(item["score"], abs=0.006 * len(terms) + 0.001), (item["cause"], clues)
