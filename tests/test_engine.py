"""The scoring engine: a validated Case and a KnowledgeBase in, a Result out."""

from __future__ import annotations

import itertools
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import as_data, entry, note_ids, probability, ranking, renamed, score

from nephrocalc.case import Case
from nephrocalc.engine import Engine, age_key
from nephrocalc.errors import InputError
from nephrocalc.intake import parse_case
from nephrocalc.knowledge import KnowledgeBase
from nephrocalc.loader import builtin_rules_dir, load_knowledge_base

CASES: dict[str, dict[str, Any]] = {
    "pattern-only": {"pattern": "medullary"},
    "drta-flags": {"id": "case-7", "pattern": "medullary", "modality": "us", "grade": 2, "age_years": 6,
                   "clues": {"metabolic_acidosis": True, "alkaline_urine": True, "hypokalemia": True,
                             "hypercalcemia": False}},
    "cortical-obstetric": {"pattern": "cortical", "sex": "female", "age_years": 30,
                           "clues": {"obstetric_catastrophe": True, "acute_kidney_injury": True}},
    "combined-atrophy": {"pattern": "combined", "clues": {"cortical_atrophy": True}},
    "unilateral-many-absent": {"pattern": "medullary", "laterality": "unilateral", "age_years": 70, "sex": "male",
                               "clues": {"hypercalcemia": False, "high_pth": False, "tubular_ectasia": False,
                                         "alkaline_urine": False, "hypercalciuria": False}},
    "preterm": {"pattern": "medullary", "age_years": 0, "clues": {"preterm_infant": True}},
}


def _case(kb: KnowledgeBase, **fields: Any) -> Case:
    return parse_case(fields, kb)


# --- shape of every result ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_result_shape(case: dict[str, Any], rank: Any, kb: KnowledgeBase) -> None:
    result = rank(case)
    entries = result["differential"]
    probabilities = [e["probability"] for e in entries]
    assert math.isclose(sum(probabilities), 1.0, abs_tol=1e-9)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert sorted(e["cause"] for e in entries) == sorted([*kb.causes, "other"]), "every cause is always listed"
    assert len(entries) == 13  # the twelve causes and `other`
    assert [e["rank"] for e in entries] == list(range(1, 14))
    scores = [e["score"] for e in entries]
    assert scores == sorted(scores, reverse=True)
    assert probabilities == sorted(probabilities, reverse=True)
    assert result["pattern"] == case["pattern"]
    assert result["id"] == case.get("id")
    for item in entries:
        if item["cause"] == "other":
            assert (item["name"], item["cant_miss"], item["form"]) == ("A cause outside the loaded knowledge base",
                                                                       False, None)
            continue
        cause = kb.causes[item["cause"]]
        assert (item["distribution"], item["name"], item["cant_miss"]) == (cause.distribution, cause.name,
                                                                          cause.cant_miss)
        assert all(e["weight"] > 0 for e in item["supporting"])
        assert all(e["weight"] < 0 for e in item["conflicting"])


def test_probabilities_are_a_softmax_of_scores(rank: Any, kb: KnowledgeBase) -> None:
    """At the calibration temperature fitted on published patients (knowledge_base.toml [calibration]);
    a capped leader is stated at 0.95 and the others keep their proportions."""
    temperature = kb.calibration.temperature
    plain = {"pattern": "medullary", "clues": {"hypokalemia": True}}
    for case, capped in ((CASES["drta-flags"], True), (plain, False)):
        result = rank(case)
        entries = result["differential"]
        top = entries[0]["score"]
        weights = [math.exp((e["score"] - top) / temperature) for e in entries]
        softmax = [w / sum(weights) for w in weights]
        assert entries[0]["capped"] is capped
        if capped:
            assert entries[0]["probability"] == 0.95 and softmax[0] > 0.95
            scale = 0.05 / (1.0 - softmax[0])
            softmax = [0.95] + [p * scale for p in softmax[1:]]
        for item, expected in zip(entries, softmax, strict=True):
            assert item["probability"] == pytest.approx(expected, abs=5e-3, rel=1e-3)


def test_cortical_cause_still_listed_in_a_medullary_case(rank: Any) -> None:
    result = rank({"pattern": "medullary", "clues": {"rta": True, "hypokalemia": True}})
    cortical = [e for e in result["differential"] if e["distribution"] == "cortical"]
    assert len(cortical) == 5
    assert all(math.isfinite(e["score"]) for e in cortical)
    assert ranking(result)[0] == "distal_rta"
    medullary = [e for e in result["differential"] if e["distribution"] == "medullary"]
    assert min(e["rank"] for e in cortical) > max(e["rank"] for e in medullary)


# --- input errors -------------------------------------------------------------------------


def test_unknown_clue_raises_input_error(rank: Any) -> None:
    with pytest.raises(InputError) as info:
        rank({"pattern": "medullary", "clues": {"rtaa": True}})
    assert info.value.where == "clues.rtaa"
    assert "'rta'" in info.value.message, "suggests the close match"


def test_nan_age_is_rejected(kb: KnowledgeBase) -> None:
    with pytest.raises(InputError, match="age_years"):
        parse_case({"pattern": "medullary", "age_years": float("nan")}, kb)


def test_engine_checks_clues_of_a_case_built_directly(engine: Engine) -> None:
    """The engine does not trust its caller: a Case made without parse_case is checked too."""
    with pytest.raises(InputError, match="no_such_clue"):
        engine.rank(Case(pattern="medullary", clues={"no_such_clue": True}))


# --- unknown, present and absent clues ----------------------------------------------------------


def test_no_clues_means_prior_times_pattern(rank: Any) -> None:
    """A clue left out is neutral: with no clue stated, each score is ln prior + the pattern weight."""
    result = rank({"pattern": "cortical", "age_years": 40})
    for item in result["differential"]:
        assert not item["supporting"] and not item["conflicting"]
        assert item["context"][0]["factor"] == "pattern"
        assert not {f["factor"] for f in item["context"]} & {"sex", "laterality"}
        age_terms = sum(f["weight"] for f in item["context"] if f["factor"] == "age")
        assert item["score"] == pytest.approx(item["log_prior"] + item["context"][0]["weight"] + age_terms, abs=0.02)


def test_clue_left_out_equals_clue_never_mentioned(rank: Any) -> None:
    """Omitting a clue is the same as an empty clue object and the same as leaving out the key."""
    with_empty = rank({"pattern": "medullary", "age_years": 30, "clues": {}})
    without_key = rank({"pattern": "medullary", "age_years": 30})
    assert with_empty == without_key


def test_clue_left_out_is_not_treated_as_absent(rank: Any) -> None:
    base = {"pattern": "medullary", "age_years": 30, "clues": {"metabolic_acidosis": True}}
    left_out = rank(base)
    absent = rank({**base, "clues": {**base["clues"], "alkaline_urine": False}})
    assert probability(absent, "distal_rta") < probability(left_out, "distal_rta")
    assert "alkaline_urine" not in {e["clue"] for e in entry(left_out, "distal_rta")["conflicting"]}


def test_clue_unlisted_by_a_cause_does_not_move_its_score(rank: Any, kb: KnowledgeBase) -> None:
    """Stating a clue only moves the causes that list it (the likelihood ratio of the others is 1)."""
    base = {"pattern": "medullary", "age_years": 45}
    before = rank(base)
    for value in (True, False):
        after = rank({**base, "clues": {"lenticonus": value}})
        for cause in kb.causes.values():
            listed = any("lenticonus" in form.findings for form in cause.forms)
            if not listed:
                assert score(after, cause.id) == score(before, cause.id), (cause.id, value)
            else:
                assert score(after, cause.id) != score(before, cause.id), (cause.id, value)


@pytest.mark.parametrize(("cause", "clue"), [
    ("distal_rta", "alkaline_urine"),
    ("medullary_sponge_kidney", "tubular_ectasia"),
    ("milk_alkali_syndrome", "calcium_alkali_intake"),
    ("primary_hyperoxaluria", "hyperoxaluria"),
    ("alport_syndrome", "hematuria"),
    ("hyperparathyroidism", "high_pth"),
])
def test_defining_finding_absent_lowers_present_raises(cause: str, clue: str, rank: Any, kb: KnowledgeBase) -> None:
    # defining: "always", or a gate with explicit ratios whose absence argues at least as strongly
    assert all(form.findings[clue].frequency == "always"
               or (form.findings[clue].lr_absent <= 0.06 < 5 <= form.findings[clue].lr_present)
               for form in kb.causes[cause].forms)
    pattern = kb.causes[cause].distribution
    shown_on = kb.clues[clue].absent_needs_modality  # tubular ectasia: absent only counts on CTU or IVU
    where = {"pattern": pattern, **({"modality": shown_on[0]} if shown_on else {})}
    base = rank(where)
    absent = rank({**where, "clues": {clue: False}})
    present = rank({**where, "clues": {clue: True}})
    assert probability(absent, cause) < probability(base, cause) < probability(present, cause)
    assert clue in {e["clue"] for e in entry(absent, cause)["conflicting"]}
    assert clue in {e["clue"] for e in entry(present, cause)["supporting"]}


def test_evidence_weight_is_log_likelihood_ratio(rank: Any, kb: KnowledgeBase) -> None:
    result = rank({"pattern": "medullary", "clues": {"rta": True, "hypercalcemia": True}})
    drta = entry(result, "distal_rta")
    finding = kb.causes["distal_rta"].forms[0].findings["rta"]
    rta = next(e for e in drta["supporting"] if e["clue"] == "rta")
    assert rta["weight"] == pytest.approx(math.log(finding.lr_present), abs=0.005)
    assert rta["present"] is True and rta["sources"] and "Distal RTA" in rta["why"]
    hypercalcemia = next(e for e in drta["conflicting"] if e["clue"] == "hypercalcemia")
    against = kb.causes["distal_rta"].forms[0].findings["hypercalcemia"]
    assert hypercalcemia["weight"] == pytest.approx(math.log(against.lr_present), abs=0.005)
    assert hypercalcemia["weight"] < -1, "hypercalcaemia argues against dRTA"


# --- forms ---------------------------------------------------------------------------------------


def test_best_form_is_reported(rank: Any) -> None:
    hpt = {"pattern": "medullary", "age_years": 50, "clues": {"hypercalcemia": True, "high_pth": True}}
    primary = rank(hpt)
    tertiary = rank({**hpt, "clues": {**hpt["clues"], "ckd": True, "kidney_transplant": True}})
    assert ranking(primary)[0] == ranking(tertiary)[0] == "hyperparathyroidism"
    assert primary["differential"][0]["form"] == "primary"
    assert tertiary["differential"][0]["form"] == "tertiary"
    ckd = next(e for e in tertiary["differential"][0]["supporting"] if e["clue"] == "ckd")
    assert "Tertiary" in ckd["why"]


def test_form_follows_age(rank: Any) -> None:
    child = rank({"pattern": "medullary", "age_years": 3, "clues": {"rta": True}})
    adult = rank({"pattern": "medullary", "age_years": 45, "clues": {"rta": True, "autoimmune_disease": True}})
    assert child["differential"][0]["form"] == "hereditary"
    assert adult["differential"][0]["form"] == "acquired"


def test_cause_without_forms_reports_no_form(rank: Any) -> None:
    result = rank({"pattern": "medullary", "clues": {"tubular_ectasia": True}})
    assert result["differential"][0]["cause"] == "medullary_sponge_kidney"
    assert result["differential"][0]["form"] is None


def test_impossible_form_is_excluded(rank: Any) -> None:
    """A male patient cannot have obstetric cortical necrosis: another form is reported."""
    result = rank({"pattern": "cortical", "sex": "male", "age_years": 30,
                   "clues": {"acute_kidney_injury": True, "obstetric_catastrophe": True}})
    assert entry(result, "cortical_necrosis")["form"] != "obstetric"


# --- determinism ------------------------------------------------------------------------------------


def test_deterministic(rank: Any, kb: KnowledgeBase) -> None:
    case = CASES["drta-flags"]
    first = rank(case)
    assert rank(case) == first
    assert as_data(Engine(kb).rank(parse_case(case, kb))) == first
    assert as_data(Engine(load_knowledge_base()).rank(parse_case(case, kb))) == first


def test_on_disk_cache_never_changes_the_knowledge_base(kb: KnowledgeBase, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import nephrocalc.loader as loader

    monkeypatch.setenv("NEPHROCALC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NEPHROCALC_NO_CACHE", raising=False)
    built = load_knowledge_base()  # an empty cache: built, then stored
    assert list((tmp_path / "cache").glob("kb-*.pickle")), "the build was not stored"

    def must_not_build(*args: Any) -> Any:
        raise AssertionError("the second load rebuilt the knowledge base instead of reading the cache")

    monkeypatch.setattr(loader, "_build", must_not_build)
    cached = load_knowledge_base()
    assert cached == built
    monkeypatch.setenv("NEPHROCALC_NO_CACHE", "1")
    monkeypatch.undo()
    fresh = load_knowledge_base(use_cache=False)
    assert cached == fresh
    case = parse_case({"pattern": "medullary", "clues": {"rta": True, "hypercalcemia": False}}, kb)
    assert as_data(Engine(fresh).rank(case)) == as_data(Engine(cached).rank(case))


def test_clue_order_does_not_matter(rank: Any) -> None:
    clues = {"hypercalcemia": True, "high_pth": True, "ckd": True, "hypophosphatemia": False, "nephrolithiasis": True}
    forward = rank({"pattern": "medullary", "clues": clues})
    backward = rank({"pattern": "medullary", "clues": dict(reversed(list(clues.items())))})
    assert forward == backward


def test_exact_tie_is_broken_by_prior_whatever_the_clue_order(rank: Any) -> None:
    clues = [("hyperphosphatemia", True), ("low_pth", False), ("nephrolithiasis", True)]
    orders = set()
    for permutation in itertools.permutations(clues):
        result = rank({"pattern": "medullary", "age_years": 40, "sex": "male", "clues": dict(permutation)})
        assert score(result, "sarcoidosis") == score(result, "milk_alkali_syndrome"), "the tie itself"
        orders.add(tuple(ranking(result)))
    assert len(orders) == 1, "the clue order changed the ranking"
    order = orders.pop()
    assert order.index("sarcoidosis") < order.index("milk_alkali_syndrome"), "higher prior first"


def test_ties_are_broken_by_prior_then_id(rank: Any) -> None:
    result = rank({"pattern": "cortical", "age_years": 40})
    keys = [(-e["score"], -e["prior"], e["cause"]) for e in result["differential"]]
    assert keys == sorted(keys)


# --- warnings ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kb_with_unused_clue(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(builtin_rules_dir(), root)
    renamed(root)
    with (root / "clues.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[clues.test_orphan_clue]\nlabel = "Orphan"\ndescription = "A clue no cause uses."\n'
                     'group = "history"\nspecificity = "low"\n')
    return load_knowledge_base(root)


def test_unused_clue_warning(kb_with_unused_clue: KnowledgeBase) -> None:
    kb = kb_with_unused_clue
    assert "test_orphan_clue" in kb.clues and "test_orphan_clue" not in kb.used_clues
    engine = Engine(kb)
    base = {"pattern": "medullary", "clues": {"rta": True}}
    without = as_data(engine.rank(parse_case(base, kb)))
    with_orphan = as_data(engine.rank(parse_case({**base, "clues": {"rta": True, "test_orphan_clue": True}}, kb)))
    assert "clues_not_used" in note_ids(with_orphan["warnings"])
    assert "clues_not_used" not in note_ids(without["warnings"])
    note = next(n for n in with_orphan["warnings"] if n["id"] == "clues_not_used")
    assert "test_orphan_clue" in note["message"] and "rta" not in note["message"]
    # a finding no loaded cause lists counts only for `other`, a cause outside the knowledge base
    scores = {e["cause"]: e["score"] for e in without["differential"]}
    for item in with_orphan["differential"]:
        lr = kb.other.unused_clue_lr if item["cause"] == "other" else 1.0
        assert item["score"] == pytest.approx(scores[item["cause"]] + math.log(lr), abs=0.002), item["cause"]
    # stated absent, it changes nothing, and the warning says so rather than that it counts for `other`
    absent = as_data(engine.rank(parse_case({**base, "clues": {"rta": True, "test_orphan_clue": False}}, kb)))
    assert "clues_not_used" not in note_ids(absent["warnings"])
    assert "changes nothing" in next(n for n in absent["warnings"] if n["id"] == "absent_clues_not_used")["message"]
    assert [e["score"] for e in absent["differential"]] == [e["score"] for e in without["differential"]]


def test_no_unused_clue_warning_for_clues_the_causes_use(rank: Any, kb: KnowledgeBase) -> None:
    result = rank({"pattern": "medullary", "clues": dict.fromkeys(sorted(kb.used_clues), True)})
    assert "clues_not_used" not in note_ids(result["warnings"])


def test_labs_become_clues_and_change_the_ranking(rank: Any) -> None:
    base = {"pattern": "medullary", "clues": {"metabolic_acidosis": True}}  # a urine pH is read during acidosis
    labs = {"serum_calcium": {"value": 11.8, "unit": "mg/dL"}, "urine_ph": {"value": 6.8, "unit": "pH"}}
    with_labs = rank({**base, "labs": labs})
    without = rank(base)
    steps = {(d["lab"], d["clue"], d["present"]) for d in with_labs["derived"]}
    assert ("serum_calcium", "hypercalcemia", True) in steps
    assert ("urine_ph", "alkaline_urine", True) in steps
    assert without["derived"] == []
    assert with_labs["differential"] != without["differential"]


# --- caveats ---------------------------------------------------------------------------------------


def test_combined_pattern_caveat(rank: Any) -> None:
    result = rank({"pattern": "combined"})
    assert "combined_pattern_rare" in note_ids(result["caveats"])
    assert "combined_with_cortical_atrophy" not in note_ids(result["caveats"])
    assert "combined_pattern_rare" not in note_ids(rank({"pattern": "medullary"})["caveats"])


def test_combined_with_cortical_atrophy_favours_medullary_causes(rank: Any) -> None:
    plain = rank({"pattern": "combined"})
    atrophy = rank({"pattern": "combined", "clues": {"cortical_atrophy": True}})
    assert {"combined_pattern_rare", "combined_with_cortical_atrophy"} <= set(note_ids(atrophy["caveats"]))
    assert atrophy["differential"][0]["distribution"] == "medullary"

    def medullary_share(result: dict[str, Any]) -> float:
        return sum(e["probability"] for e in result["differential"] if e["distribution"] == "medullary")

    assert medullary_share(atrophy) > medullary_share(plain)
    hpt = entry(atrophy, "hyperparathyroidism")
    assert any(e["clue"] == "cortical_atrophy" and "combined" in e["why"] for e in hpt["supporting"])
    # the interaction applies to the combined pattern only
    medullary = rank({"pattern": "medullary", "clues": {"cortical_atrophy": True}})
    assert not any(e["clue"] == "cortical_atrophy" for e in entry(medullary, "hyperparathyroidism")["supporting"])


def test_cortical_pattern_caveat(rank: Any) -> None:
    assert "cortical_pattern_severe" in note_ids(rank({"pattern": "cortical"})["caveats"])
    assert "cortical_pattern_severe" not in note_ids(rank({"pattern": "medullary"})["caveats"])


def test_stones_caveat(rank: Any) -> None:
    for value, expected in ((True, True), (False, False)):
        result = rank({"pattern": "medullary", "clues": {"nephrolithiasis": value}})
        assert ("stones_vs_nc" in note_ids(result["caveats"])) is expected


def test_hypercalcemia_low_pth_caveat(rank: Any) -> None:
    both = rank({"pattern": "medullary", "clues": {"hypercalcemia": True, "low_pth": True}})
    assert "hypercalcemia_low_pth" in note_ids(both["caveats"])
    assert ranking(both)[0] != "hyperparathyroidism"
    for clues in ({"hypercalcemia": True}, {"low_pth": True}, {"hypercalcemia": True, "low_pth": False}):
        assert "hypercalcemia_low_pth" not in note_ids(rank({"pattern": "medullary", "clues": clues})["caveats"])


def test_grade_zero_is_a_warning(rank: Any) -> None:
    result = rank({"pattern": "medullary", "grade": 0})
    assert "grade_zero_with_pattern" in note_ids(result["warnings"])
    assert "grade_zero_with_pattern" not in note_ids(result["caveats"])
    assert "grade_zero_with_pattern" not in note_ids(rank({"pattern": "medullary", "grade": 1})["warnings"])


@pytest.mark.parametrize(("modality", "expected", "not_expected"), [
    ("mr", "mr_limited", "ct_sensitivity"),
    ("ct", "ct_sensitivity", "mr_limited"),
    ("us", None, "mr_limited"),
])
def test_modality_caveats(modality: str, expected: str | None, not_expected: str, rank: Any) -> None:
    caveats = note_ids(rank({"pattern": "medullary", "modality": modality})["caveats"])
    if expected is not None:
        assert expected in caveats
    assert not_expected not in caveats
    assert "ct_sensitivity" not in note_ids(rank({"pattern": "medullary"})["caveats"])


def test_caveats_carry_messages_and_sources(rank: Any, kb: KnowledgeBase) -> None:
    result = rank({"pattern": "combined", "modality": "ct", "clues": {"nephrolithiasis": True}})
    assert len(result["caveats"]) >= 3
    for note in result["caveats"]:
        assert note["message"].strip() and note["sources"]
        assert all(tag in kb.sources for tag in note["sources"])


# --- age groups -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, "unknown"),
    ({"age_years": 0}, "preterm"),
    ({"age_years": 0, "clues": {"preterm_infant": False}}, "child"),
    ({"clues": {"preterm_infant": True}}, "preterm"),
    ({"age_years": 0.5, "clues": {"preterm_infant": True}}, "preterm"),
    ({"age_years": 5, "clues": {"preterm_infant": True}}, "child"),
    ({"age_years": 0.5}, "child"),
    ({"age_years": 17.9}, "child"),
    ({"age_years": 18}, "adult"),
    ({"age_years": 90}, "adult"),
])
def test_age_key(fields: dict[str, Any], expected: str, kb: KnowledgeBase) -> None:
    assert age_key(_case(kb, pattern="medullary", **fields), kb) == expected


@pytest.mark.parametrize(("age", "group"), [(0, "preterm"), (8, "child"), (40, "adult")])
def test_age_selects_prior_column(age: float, group: str, rank: Any, kb: KnowledgeBase) -> None:
    result = rank({"pattern": "medullary", "age_years": age})
    total = sum(c.prior[group] for c in kb.causes.values())
    known = 1.0 - kb.other.prior[group]  # the open world keeps its share: `other`
    for item in result["differential"]:
        expected = kb.other.prior[group] if item["cause"] == "other" else \
            kb.causes[item["cause"]].prior[group] / total * known
        assert item["prior"] == pytest.approx(expected, abs=1e-4)


def test_age_changes_the_ranking(rank: Any) -> None:
    assert ranking(rank({"pattern": "medullary", "age_years": 0}))[0] == "chronic_hypercalciuria"
    assert ranking(rank({"pattern": "medullary", "age_years": 50}))[0] == "hyperparathyroidism"
    assert ranking(rank({"pattern": "medullary", "age_years": 8}))[0] == "distal_rta"


def test_a_cortical_shape_counts_for_cortical_causes_that_do_not_list_it(rank: Any) -> None:
    """Tramline or rim calcification is a shape of cortical nephrocalcinosis itself: under a cortical
    pattern a cortical cause that does not list it (Alport) takes the cortical level, a cause that
    lists it keeps its own (cortical necrosis "often", chronic GN "sometimes"), and under a medullary
    pattern nothing changes for the cause that does not list it."""
    def weight(result: dict[str, Any], cause: str) -> float:
        entry = next(e for e in result["differential"] if e["cause"] == cause)
        return sum(e["weight"] for e in entry["supporting"] + entry["conflicting"]
                   if e["clue"] == "tramline_calcification")

    cortical = rank({"pattern": "cortical", "clues": {"tramline_calcification": True}})
    assert weight(cortical, "alport_syndrome") == pytest.approx(math.log(10.0), abs=0.01)
    assert weight(cortical, "chronic_glomerulonephritis") == pytest.approx(math.log(10.0), abs=0.01)
    assert weight(cortical, "cortical_necrosis") == pytest.approx(math.log(25.0), abs=0.01)
    assert weight(cortical, "hyperparathyroidism") == 0.0  # a medullary cause: not a cortical shape of it
    medullary = rank({"pattern": "medullary", "clues": {"tramline_calcification": True}})
    assert weight(medullary, "alport_syndrome") == 0.0
    assert weight(medullary, "cortical_necrosis") == pytest.approx(math.log(25.0), abs=0.01)
    # the shown terms are the score: Alport's score moves by exactly its tramline term
    plain = rank({"pattern": "cortical"})
    alport = {r["cause"]: r["score"] for r in plain["differential"]}["alport_syndrome"]
    assert {r["cause"]: r["score"] for r in cortical["differential"]}["alport_syndrome"] - alport == \
        pytest.approx(math.log(10.0), abs=0.002)
