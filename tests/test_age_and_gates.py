"""Age-bounded findings, infant kidney function, and causes that lead without their prerequisite
(AUDIT D3, D4, D5, D9; CLINICAL-EXTENDED gated_cause_without_exposure)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import entry, probability, ranking

from nephrocalc.errors import RuleError
from nephrocalc.knowledge import KnowledgeBase
from nephrocalc.loader import load_knowledge_base

# --- age-bounded findings -------------------------------------------------------------------


def test_an_age_bounded_finding_replaces_the_usual_one_only_at_its_ages(rank: Any, kb: KnowledgeBase) -> None:
    """Idiopathic hypercalciuria lists stones 'sometimes' under 18 years (children are found through
    haematuria or pain) and 'usually' from 18 (adults through their stones): the same stated stones
    weigh differently at 10 and at 30 years, and the evidence shown says which entry counted."""
    idiopathic = {f.id: f for f in kb.causes["chronic_hypercalciuria"].forms}["idiopathic"]
    bounded = [f for f in idiopathic.age_findings if f.clue == "nephrolithiasis"]
    assert {f.age_below for f in bounded} >= {18} and any(f.age_at_least == 18 for f in bounded)

    def stones(age: float | None) -> dict[str, Any]:
        case: dict[str, Any] = {"pattern": "medullary", "clues": {"nephrolithiasis": True}}
        if age is not None:
            case["age_years"] = age
        item = entry(rank(case), "chronic_hypercalciuria")
        found = [e for e in item["supporting"] + item["conflicting"] if e["clue"] == "nephrolithiasis"]
        assert len(found) == 1, found  # the bounded entry replaces the usual one, never both
        return found[0]

    child, adult = stones(10.0), stones(30.0)
    assert 0 < child["weight"] < adult["weight"]
    assert "paediatric" in child["why"] and "adults" in adult["why"]
    assert stones(None)["weight"] > 0  # with the age unknown the usual entry counts


def test_the_score_is_the_sum_of_the_shown_terms_with_an_age_bounded_finding(engine: Any, kb: KnowledgeBase) -> None:
    from nephrocalc.intake import parse_case

    case = parse_case({"pattern": "medullary", "age_years": 30, "clues": {"nephrolithiasis": True,
                                                                          "hypercalciuria": True}}, kb)
    plain = parse_case({"pattern": "medullary", "age_years": 30, "clues": {"hypercalciuria": True}}, kb)
    with_stones = {e["cause"]: e for e in engine.rank(case)["differential"]}
    without = {e["cause"]: e for e in engine.rank(plain)["differential"]}
    item = next(e for e in with_stones["chronic_hypercalciuria"]["supporting"] if e["clue"] == "nephrolithiasis")
    # the idiopathic form dominates at this age: the score moves by about the shown weight
    assert (with_stones["chronic_hypercalciuria"]["score"] - without["chronic_hypercalciuria"]["score"]
            == pytest.approx(item["weight"], abs=0.15))


def test_kidney_failure_in_a_child_weighs_against_the_childrens_background(rank: Any, kb: KnowledgeBase) -> None:
    """Kidney function is normal at diagnosis in nearly every child with nephrocalcinosis [Bota19]: under
    18 years CKD is worked out against 5% of children with another cause (child_background), so the
    causes that list it gain (infantile oxalosis x16), dRTA's 'rarely in infancy' is neutral rather than
    against, and in an adult the usual entries count."""
    assert kb.clues["ckd"].child_background == pytest.approx(0.05)
    infant = rank({"pattern": "medullary", "age_years": 0.4, "clues": {"ckd": True}})
    oxalosis = next(e for e in entry(infant, "primary_hyperoxaluria")["supporting"] if e["clue"] == "ckd")
    assert oxalosis["weight"] == pytest.approx(math.log(16), abs=0.05) and "children" in oxalosis["why"]
    assert not [e for e in entry(infant, "distal_rta")["conflicting"] if e["clue"] == "ckd"]
    # in an adult the entries count against the background of the adult's age band: CKD is common in adults
    # whatever else they have, and more so with age (clues.toml ckd age_backgrounds [CDC-CKD23])
    assert kb.clues["ckd"].age_backgrounds == ((18, 45, 0.06), (45, 65, 0.12), (65, None, 0.34))
    for age, background in ((30, 0.06), (55, 0.12), (75, 0.34)):
        adult = rank({"pattern": "medullary", "age_years": age, "clues": {"ckd": True}})
        later = next(e for e in entry(adult, "primary_hyperoxaluria")["supporting"] if e["clue"] == "ckd")
        assert later["weight"] == pytest.approx(math.log(0.5 / background), abs=0.05)
        assert "children" not in later["why"] and f"{background:.0%} of adults aged" in later["why"]
    unknown = rank({"pattern": "medullary", "clues": {"ckd": True}})  # age unknown: all adults, 14%
    later = next(e for e in entry(unknown, "primary_hyperoxaluria")["supporting"] if e["clue"] == "ckd")
    assert later["weight"] == pytest.approx(math.log(0.5 / 0.14), abs=0.05)
    assert probability(infant, "primary_hyperoxaluria") > probability(
        rank({"pattern": "medullary", "age_years": 0.4}), "primary_hyperoxaluria") * 3


def _pack_with(kb: KnowledgeBase, tmp_path: Path, finding: str, cause: str = "sarcoidosis") -> Path:
    """A copy of the built-in rules with ``finding`` appended to one cause file."""
    rules = tmp_path / "rules"
    shutil.copytree(Path(kb.root), rules)
    path = rules / "causes" / f"{cause}.toml"
    path.write_text(path.read_text(encoding="utf-8") + finding, encoding="utf-8")
    return rules


BROKEN_AGE_RULES = {
    "overlapping age ranges": ("sarcoidosis", '''
[[findings]]
clue = "growth_failure"
frequency = "rarely"
age_below = 10
sources = ["Fanburg76"]

[[findings]]
clue = "growth_failure"
frequency = "often"
age_at_least = 5
sources = ["Fanburg76"]
''', ("age_below", "overlap")),
    "an inverted age range": ("sarcoidosis", '''
[[findings]]
clue = "growth_failure"
frequency = "rarely"
age_at_least = 10
age_below = 2
sources = ["Fanburg76"]
''', ("age_below must be greater",)),
    # the two would each replace the same weight: an age-bounded finding may not meet a pattern interaction
    "an age-bounded finding on a pattern interaction": ("cortical_necrosis", '''
[[findings]]
clue = "small_kidneys"
frequency = "rarely"
age_below = 1
sources = ["RP-RCN"]
''', ("pattern interaction",)),
}


@pytest.mark.parametrize("problem", list(BROKEN_AGE_RULES))
def test_a_broken_age_bounded_finding_is_a_rule_error_naming_the_file(problem: str, kb: KnowledgeBase,
                                                                        tmp_path: Path) -> None:
    cause, finding, expected = BROKEN_AGE_RULES[problem]
    rules = _pack_with(kb, tmp_path, finding, cause=cause)
    with pytest.raises(RuleError) as raised:
        load_knowledge_base(rules, use_cache=False)
    message = str(raised.value)
    assert f"{cause}.toml" in message and all(part in message for part in expected), message


def test_disjoint_age_ranges_load_and_show_in_causes_json(run_main: Any) -> None:
    import json

    status, out, _ = run_main(["cause", "distal_rta", "--format", "json"])
    assert status == 0
    cause = json.loads(out)
    ckd = [f for f in cause["findings"] if f["clue"] == "ckd"]
    assert any(f.get("age_below") == 2 for f in ckd) and any("age_below" not in f for f in ckd)


# --- infant kidney function (AUDIT D5, D9) ---------------------------------------------------


def test_infantile_oxalosis_beats_drta_with_kidney_failure_in_infancy(rank: Any) -> None:
    """AUDIT D5: NC, failure to thrive, acidosis and an eGFR of 15 at 5 months is infantile oxalosis."""
    result = rank({"pattern": "medullary", "modality": "us", "age_years": 0.4,
                   "clues": {"growth_failure": True, "consanguinity": True},
                   "labs": {"egfr": {"value": 15, "unit": "mL/min/1.73m2"},
                            "serum_bicarbonate": {"value": 15, "unit": "mmol/L"}}})
    assert ranking(result)[0] == "primary_hyperoxaluria"
    assert entry(result, "primary_hyperoxaluria")["form"] == "infantile"


@pytest.mark.parametrize(("age", "egfr", "derived"), [
    (0.4, 15, True),    # far below what a healthy infant has
    (0.4, 45, None),    # low by adult standards, not judged in infancy
    (0.04, 15, None),   # the first month: GFR is still rising from about 20
    (1.5, 29, True),
    (3.0, 45, True),    # from 2 years the adult limit (60) applies
])
def test_infant_egfr(age: float, egfr: float, derived: bool | None, rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": age, "labs": {"egfr": {"value": egfr,
                                                                               "unit": "mL/min/1.73m2"}}})
    assert result["case"].get("clues", {}).get("ckd") is None  # the case echoes what was entered
    steps = {d["clue"]: d["present"] for d in result["derived"] if d.get("clue") == "ckd"}
    assert steps.get("ckd") is derived


# --- causes that lead without their prerequisite ---------------------------------------------


@pytest.mark.parametrize(("leading", "clues"), [
    ("milk_alkali_syndrome", {"hypercalcemia": True, "low_pth": True}),
    ("sarcoidosis", {"hypercalcemia": True, "low_pth": True, "calcium_alkali_intake": False,
                     "vitamin_d_therapy": False}),
])
def test_hypercalcaemia_explained_only_without_its_prerequisite_is_a_poor_fit(leading: str, clues: dict[str, bool],
                                                                              rank: Any) -> None:
    """AUDIT D4: hypercalcaemia with a low PTH in a 60-year-old; the leading cause's prerequisite
    (calcium-alkali intake; a granulomatous disease) is not stated: malignancy is named, fit poor."""
    result = rank({"pattern": "medullary", "age_years": 60, "sex": "female", "clues": clues})
    assert ranking(result)[0] == leading
    assert result["fit"]["status"] == "poor"
    assert result["fit"]["consider"][0]["cause"] == "hypercalcemia_of_malignancy"


def test_with_the_prerequisite_stated_the_fit_is_good(rank: Any) -> None:
    for clues in ({"hypercalcemia": True, "low_pth": True, "calcium_alkali_intake": True},
                  {"hypercalcemia": True, "low_pth": True, "vitamin_d_therapy": True},
                  {"hypercalcemia": True, "sarcoidosis": True}):
        result = rank({"pattern": "medullary", "age_years": 60, "sex": "female", "clues": clues})
        assert result["fit"]["status"] == "good", (clues, result["fit"])


def test_the_milk_alkali_triad_is_not_flagged_for_the_missing_history(rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": 70, "sex": "female",
                   "clues": {"hypercalcemia": True, "low_pth": True, "metabolic_alkalosis": True}})
    assert ranking(result)[0] == "milk_alkali_syndrome"
    assert not any(c["cause"] == "hypercalcemia_of_malignancy" and "calcium-alkali" in c["why"]
                   for c in result["fit"]["consider"])


def test_an_infant_with_hypercalcaemia_and_no_stated_vitamin_d_is_a_poor_fit(rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": 1.5, "clues": {"hypercalcemia": True}})
    assert ranking(result)[0] == "hypervitaminosis_d"
    assert result["fit"]["status"] == "poor"
    assert {"idiopathic_infantile_hypercalcemia"} <= {c["cause"] for c in result["fit"]["consider"]}
    stated = rank({"pattern": "medullary", "age_years": 1.5,
                   "clues": {"hypercalcemia": True, "vitamin_d_therapy": True}})
    assert stated["fit"]["status"] == "good"


def test_vitamin_d_stated_absent_argues_strongly_against_intoxication(rank: Any) -> None:
    base = {"pattern": "medullary", "age_years": 40, "clues": {"hypercalcemia": True, "low_pth": True}}
    before = entry(rank(base), "hypervitaminosis_d")["probability"]
    after = entry(rank({**base, "clues": {**base["clues"], "vitamin_d_therapy": False}}),
                  "hypervitaminosis_d")["probability"]
    assert after < before / 5


def test_an_adult_hyperoxaluria_without_history_is_a_poor_fit(rank: Any) -> None:
    """AUDIT D3/D9: enteric hyperoxaluria is commoner than primary in adults."""
    result = rank({"pattern": "cortical", "modality": "ct", "age_years": 52, "sex": "female",
                   "labs": {"urine_oxalate_24h": {"value": 90, "unit": "mg/day"}}})
    assert result["fit"]["status"] == "poor"
    assert result["fit"]["consider"][0]["cause"] == "secondary_hyperoxaluria"
    family = rank({"pattern": "cortical", "age_years": 30, "clues": {"hyperoxaluria": True, "consanguinity": True}})
    assert family["fit"]["status"] == "good"


@pytest.mark.parametrize(("fields", "poor"), [
    ({"age_years": 0.014}, True),                                      # a 5-day-old, nothing else known
    ({"age_years": 0.014, "clues": {"preterm_infant": False}}, True),
    ({"age_years": 0.014, "clues": {"loop_diuretic": True}}, False),   # a risk factor: not physiological
    ({"age_years": 0.014, "clues": {"preterm_infant": True}}, False),
    ({"age_years": 0.1}, False),                                       # after the first week
])
def test_first_week_echogenicity_is_a_poor_fit_without_risk_factors(fields: dict[str, Any], poor: bool,
                                                                     rank: Any) -> None:
    result = rank({"pattern": "medullary", "modality": "us", **fields})
    named = any(c["cause"] == "transient_neonatal_medullary_echogenicity" for c in result["fit"]["consider"])
    assert (result["fit"]["status"] == "poor" and named) is poor, result["fit"]


# --- the development-set figures that `method` states ----------------------------------------


def test_method_states_the_development_set_figures_and_they_are_current(kb: KnowledgeBase, engine: Any,
                                                                        run_main: Any) -> None:
    """`nephrocalc method` reports the development set's size, top-1, top-3, Brier score and a
    calibration table (issue 10), and they must be what bench/evaluate.py measures today: a rule
    change that moves them without re-measuring fails here."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
    try:
        import evaluate
    finally:
        sys.path.pop(0)
    measured = kb.calibration.measured
    assert measured is not None
    patients, _, top1, top3, brier, mean_top1, inside_flagged, outside, outside_flagged, bins = measured
    cases = Path(__file__).parent / "cases"
    records = evaluate.load([*sorted(cases.glob("published_cases*.jsonl")), cases / "outside_cases.jsonl",
                             cases / "phenopacket_cases.jsonl"])
    items = [evaluate.score(engine, record, labs=True) for _, record in records]
    inside = [i for i in items if i.inside]
    assert len(inside) == patients and len(items) - len(inside) == outside
    assert sum(i.position == 1 for i in inside) / patients == pytest.approx(top1, abs=0.002)
    assert sum(i.position <= 3 for i in inside) / patients == pytest.approx(top3, abs=0.002)
    assert evaluate.brier(inside) == pytest.approx(brier, abs=0.002)
    assert sum(i.flagged for i in inside) / patients == pytest.approx(inside_flagged, abs=0.002)
    assert sum(i.top_p for i in inside) / patients == pytest.approx(mean_top1, abs=0.002)
    assert sum(i.flagged for i in items if not i.inside) / outside == pytest.approx(outside_flagged, abs=0.002)
    assert sum(b[2] for b in bins) == patients
    status, out, _ = run_main(["method"])
    assert status == 0
    assert f"Development set: {patients} published patients" in out
    assert f"First: {top1:.0%}; in the first three: {top3:.0%}; Brier score {brier:.3f}" in out
    assert "Calibration (top-1 probability" in out
    assert kb.calibration.fitted_on.startswith(f"{patients} published patients"), \
        "[calibration] fitted_on names the same development set as [calibration.measured]"


def test_calyceal_distortion_led_by_a_metabolic_cause_is_a_poor_fit(rank: Any) -> None:
    """AUDIT D3: calcified papillae with CKD ranked tertiary hyperparathyroidism with no warning."""
    result = rank({"pattern": "medullary", "modality": "ct", "age_years": 60, "sex": "female",
                   "clues": {"calyceal_distortion": True, "ckd": True}})
    assert result["fit"]["status"] == "poor"
    assert result["fit"]["consider"][0]["cause"] == "papillary_necrosis"
    tuberculous = rank({"pattern": "cortical", "age_years": 40,
                        "clues": {"calyceal_distortion": True, "sterile_pyuria": True, "putty_kidney": True}})
    assert ranking(tuberculous)[0] == "renal_tuberculosis" and tuberculous["fit"]["status"] == "good"


# --- lab readings that derive nothing but say what they mean (AUDIT D1, D12) ------------------


@pytest.mark.parametrize(("calcium", "says"), [
    (8.2, "secondary hyperparathyroidism"),
    (9.4, "normocalcaemic primary hyperparathyroidism only once secondary causes are excluded"),
])
def test_a_raised_pth_without_hypercalcaemia_is_explained_not_counted(calcium: float, says: str,
                                                                      rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": 50,
                   "labs": {"pth": {"value": 120, "unit": "pg/mL"},
                            "serum_calcium": {"value": calcium, "unit": "mg/dL"}}})
    messages = [w["message"] for w in result["warnings"]]
    assert any(says in m and m.startswith("pth 120 pg/mL > 65 pg/mL") for m in messages), messages
    assert not any("was not read as high_pth" in m for m in messages)
    assert all(d["clue"] != "high_pth" for d in result["derived"])
    assert ranking(result)[0] != "hyperparathyroidism"


def test_a_limit_that_derives_nothing_needs_its_warning(kb: KnowledgeBase, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(Path(kb.root), rules)
    labs = rules / "labs.toml"
    text = labs.read_text(encoding="utf-8")
    start = text.index('warning = "a raised PTH with a low calcium')
    end = text.index("\n", start)
    labs.write_text(text[:start] + text[end + 1:], encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_knowledge_base(rules, use_cache=False)
    assert "labs.toml" in str(raised.value) and "needs a warning" in str(raised.value)


def test_with_malignancy_excluded_the_fit_stays_poor_without_naming_it(rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": 54, "sex": "male",
                   "clues": {"hypercalcemia": True, "low_pth": True, "malignancy": False}})
    assert result["fit"]["status"] == "poor"
    named = [c["cause"] for c in result["fit"]["consider"]]
    assert "hypercalcemia_of_malignancy" not in named and "idiopathic_infantile_hypercalcemia" in named


def test_a_value_within_a_limit_is_not_described_by_the_limits_label(rank: Any) -> None:
    """AUDIT D13: 'pth 8 pg/mL <= 15 pg/mL raised or inappropriately normal with hypercalcaemia -> no
    high_pth' read as if the PTH were raised; an absent step says the value is within the limit."""
    result = rank({"pattern": "medullary", "age_years": 50, "clues": {"hypercalcemia": True},
                   "labs": {"pth": {"value": 8, "unit": "pg/mL"}}})
    step = next(d for d in result["derived"] if d["clue"] == "high_pth")
    assert step["present"] is False
    assert ", within the limit (raised or inappropriately normal" in step["text"]
    assert step["text"].endswith("→ no high_pth")


def test_a_low_urine_calcium_with_hypercalcaemia_asks_for_the_clearance_ratio(rank: Any) -> None:
    """AUDIT D3/D12: hypercalcaemia, PTH 55 and a urine calcium of 60 mg/day gave PHPT 99.7% with no word
    of FHH. Between 2.5 and 6.25 mmol a day (100-250 mg) the value overlaps with primary hyperparathyroidism:
    the reading says how to exclude FHH and changes nothing. Below 2.5 mmol a day the overlap is small
    [FHH-4Kindreds89]: it is hypocalciuria, which lowers hyperparathyroidism and makes the fit poor."""
    case = {"pattern": "medullary", "age_years": 45, "sex": "male",
            "labs": {"serum_calcium": {"value": 10.9, "unit": "mg/dL"}, "pth": {"value": 55, "unit": "pg/mL"}}}
    before = rank(case)
    grey = rank({**case, "labs": {**case["labs"], "urine_calcium_24h": {"value": 150, "unit": "mg/day"}}})
    assert any("calcium/creatinine clearance ratio" in w["message"] for w in grey["warnings"])
    assert all(d["clue"] != "hypocalciuria" or not d["present"] for d in grey["derived"])
    low = rank({**case, "labs": {**case["labs"], "urine_calcium_24h": {"value": 1.5, "unit": "mmol/day"}}})
    assert any(d["clue"] == "hypocalciuria" and d["present"] and d.get("used", True) for d in low["derived"])
    phpt = {e["cause"]: e["probability"] for e in low["differential"]}["hyperparathyroidism"]
    assert phpt < 0.9 < before["differential"][0]["probability"]
    assert low["fit"]["status"] == "poor"
    assert "familial_hypocalciuric_hypercalcemia" in [c["cause"] for c in low["fit"]["consider"]]
    for context in ({"thiazide": True}, {"ckd": True}, {"lithium": True}):  # each lowers the urine calcium itself
        held = rank({**case, "clues": context,
                     "labs": {**case["labs"], "urine_calcium_24h": {"value": 60, "unit": "mg/day"}}})
        assert all(d["clue"] != "hypocalciuria" or not d["present"] for d in held["derived"]), context
    child = rank({**case, "age_years": 10,
                  "labs": {**case["labs"], "urine_calcium_24h": {"value": 60, "unit": "mg/day"}}})
    assert not any("calcium/creatinine clearance ratio" in w["message"] for w in child["warnings"])
    assert all(d["clue"] != "hypocalciuria" for d in child["derived"])


# --- hypoparathyroidism: a diagnosis, not a suppressed PTH ------------------------------------------


def test_hypoparathyroidism_is_its_own_clue_from_its_hpo_term(kb: KnowledgeBase) -> None:
    from nephrocalc.interop.phenopacket import clues_of_term

    assert clues_of_term(kb, "HP:0000829", present=True) == ("hypoparathyroidism",)
    assert clues_of_term(kb, "HP:0011771", present=True) == ("hypoparathyroidism",)  # autoimmune, a descendant
    assert clues_of_term(kb, "HP:0031817", present=True) == ("low_pth",)


def test_nephrocalcinosis_in_hypoparathyroidism_is_its_treatment_not_sarcoidosis(rank: Any) -> None:
    for age in (8, 28, 60):
        result = rank({"pattern": "medullary", "age_years": age, "clues": {"hypoparathyroidism": True}})
        top = result["differential"][0]
        assert (top["cause"], top["form"]) == ("hypervitaminosis_d", "treated_hypoparathyroidism"), age
        assert probability(result, "hyperparathyroidism") < 0.01, "a low PTH excludes hyperparathyroidism"
        assert result["fit"]["status"] == "good", "the treatment is the exposure: no gated-cause warning"
        assert any(c["id"] == "hypoparathyroidism_treatment" for c in result["caveats"])


def test_a_low_pth_stated_with_hypoparathyroidism_is_counted_once(rank: Any) -> None:
    base = {"pattern": "medullary", "age_years": 30, "clues": {"hypoparathyroidism": True}}
    both = {**base, "clues": {"hypoparathyroidism": True, "low_pth": True}}
    assert [(e["cause"], e["probability"]) for e in rank(base)["differential"]] == \
        [(e["cause"], e["probability"]) for e in rank(both)["differential"]]


def test_granulomas_on_a_biopsy_point_to_their_disease(kb: KnowledgeBase, rank: Any) -> None:
    """Non-caseating granulomas (HP:0012220, as CLINICAL-EXTENDED maps sarcoidosis) and caseating ones are
    biopsy findings real reports state: each names its disease, and the sarcoid gate is satisfied."""
    from nephrocalc.interop.phenopacket import clues_of_term

    assert clues_of_term(kb, "HP:0012220", present=True) == ("noncaseating_granulomas",)
    assert clues_of_term(kb, "HP:0032642", present=True) == ("caseating_granulomas",)
    sarcoid = rank({"pattern": "medullary", "age_years": 40,
                    "clues": {"hypercalcemia": True, "noncaseating_granulomas": True}})
    assert ranking(sarcoid)[0] == "sarcoidosis" and sarcoid["fit"]["status"] == "good"
    tb = rank({"pattern": "combined", "laterality": "unilateral", "age_years": 40,
               "clues": {"caseating_granulomas": True}})
    assert ranking(tb)[0] == "renal_tuberculosis"


# --- the age at which the nephrocalcinosis was found ----------------------------------------


def test_causes_are_weighed_at_the_onset_age_and_labs_judged_at_the_current_age(rank: Any) -> None:
    """A 28-year-old whose nephrocalcinosis was found at 18 months: the differential is that of an
    18-month-old (priors, forms, age bands), but a phosphate of 5.5 mg/dL is judged against the adult
    limit (raised at 28, normal for a toddler)."""
    clues = {"ckd": True, "growth_failure": True}
    onset = rank({"pattern": "medullary", "age_years": 28, "onset_age_years": 1.5, "clues": clues})
    toddler = rank({"pattern": "medullary", "age_years": 1.5, "clues": clues})
    adult = rank({"pattern": "medullary", "age_years": 28, "clues": clues})
    assert [(e["cause"], round(e["probability"], 6)) for e in onset["differential"]] == \
        [(e["cause"], round(e["probability"], 6)) for e in toddler["differential"]]
    assert ranking(onset) != ranking(adult)
    assert onset["case"]["onset_age_years"] == 1.5 and onset["case"]["age_years"] == 28

    phosphate = {"serum_phosphate": {"value": 5.5, "unit": "mg/dL"}}
    later = rank({"pattern": "medullary", "age_years": 28, "onset_age_years": 1.5, "labs": phosphate})
    young = rank({"pattern": "medullary", "age_years": 1.5, "labs": phosphate})
    def derived(result: dict[str, Any]) -> dict[str, bool]:
        return {d["clue"]: d["present"] for d in result["derived"]}

    assert derived(later)["hyperphosphatemia"] is True
    assert derived(young)["hyperphosphatemia"] is False


def test_an_onset_after_the_current_age_is_refused_naming_the_field(rank: Any) -> None:
    from nephrocalc.errors import InputError

    with pytest.raises(InputError) as info:
        rank({"pattern": "medullary", "age_years": 2, "onset_age_years": 5})
    assert "onset_age_years" in str(info.value) and "age_years" in str(info.value)


def test_onset_age_on_the_command_line_is_echoed_and_replayed() -> None:
    import json

    from helpers import invoke

    status, out, err = invoke(["diff", "--pattern", "medullary", "--age", "28", "--onset-age", "18mo", "--ckd",
                               "--format", "json"])
    assert status == 0, err
    result = json.loads(out)
    assert result["case"]["onset_age_years"] == pytest.approx(1.5)
    status, out, err = invoke(["diff", "--pattern", "medullary", "--age", "2", "--onset-age", "5"])
    assert status == 2 and "onset_age_years" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# --- a clue's background among children (AUDIT.md D7, 6.5) -------------------------------------


def test_growth_failure_weighs_against_the_childrens_background(rank: Any, kb: KnowledgeBase) -> None:
    """Growth failure is common in every paediatric cause of NC: among children its ratio is worked out
    against the child background (20%), not the adult-weighted specificity (5%), and the explanation
    says so; with the age unknown the usual entry counts."""
    clue = kb.clues["growth_failure"]
    assert clue.child_background is not None and clue.child_background > clue.background

    def weight(age: float | None) -> tuple[float, str]:
        case: dict[str, Any] = {"pattern": "medullary", "clues": {"growth_failure": True}}
        if age is not None:
            case["age_years"] = age
        item = next(e for e in entry(rank(case), "distal_rta")["supporting"] if e["clue"] == "growth_failure")
        return float(item["weight"]), item["why"]

    child, why = weight(3.0)
    assert child == pytest.approx(math.log(0.8 / clue.child_background), abs=0.01)
    assert "children with another cause" in why and "under 18 years" in why
    unknown, _ = weight(None)
    adult, _ = weight(40.0)
    assert unknown == adult == pytest.approx(math.log(0.8 / clue.background), abs=0.01)
    # a cause that lists it no more often than other children have it gains nothing from it in a child
    ph = next(e for e in entry(rank({"pattern": "medullary", "age_years": 8, "clues": {"growth_failure": True}}),
                               "primary_hyperoxaluria")["supporting"] + [{"clue": "growth_failure", "weight": 0.0}]
              if e["clue"] == "growth_failure")
    assert ph["weight"] == pytest.approx(0.0, abs=0.01)


def test_a_child_background_with_an_unknown_source_names_the_field(kb: KnowledgeBase, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(Path(kb.root), rules)
    path = rules / "clues.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('child_background = { value = 0.2, sources = ["Bota19"',
                                 'child_background = { value = 0.2, sources = ["Nowhere99"', 1), encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_knowledge_base(rules, use_cache=False)
    assert "clues.growth_failure.child_background.sources" in str(raised.value)


def test_a_background_with_an_unknown_source_names_the_field(kb: KnowledgeBase, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(Path(kb.root), rules)
    path = rules / "clues.toml"
    text = path.read_text(encoding="utf-8")
    assert 'background = { value = 0.14, sources = ["CDC-CKD23"]' in text
    path.write_text(text.replace('background = { value = 0.14, sources = ["CDC-CKD23"]',
                                 'background = { value = 0.14, sources = ["Nowhere99"]', 1), encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_knowledge_base(rules, use_cache=False)
    assert "clues.ckd.background.sources" in str(raised.value)


@pytest.mark.parametrize(("bands", "field"), [
    ('[{ at_least = 10, value = 0.1, sources = ["CDC-CKD23"] }]', "clues.ckd.age_backgrounds.0.at_least"),
    ('[{ at_least = 40, below = 30, value = 0.1, sources = ["CDC-CKD23"] }]', "clues.ckd.age_backgrounds.0.below"),
    ('[{ at_least = 18, value = 0.1, sources = ["CDC-CKD23"] }, { at_least = 60, value = 0.3, sources = '
     '["CDC-CKD23"] }]', "clues.ckd.age_backgrounds"),
    ('[{ at_least = 18, value = 0.1, sources = ["Nowhere99"] }]', "clues.ckd.age_backgrounds.0.sources"),
])
def test_a_bad_adult_age_background_names_the_field(kb: KnowledgeBase, tmp_path: Path, bands: str,
                                                    field: str) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(Path(kb.root), rules)
    path = rules / "clues.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("age_backgrounds = [")
    end = text.index("]\n", text.index("at_least = 65", start)) + 1
    path.write_text(text[:start] + "age_backgrounds = " + bands + text[end:], encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_knowledge_base(rules, use_cache=False)
    assert field in str(raised.value)


@pytest.mark.parametrize(("age", "bicarbonate", "alkalosis"), [
    (3.0, 27.0, True),    # above 26, the upper limit at 3 years [MayoHCO3]
    (3.0, 25.0, False),
    (6.5, 28.5, True),
    (12.0, 28.5, False),  # within 21-29 at 8-17 years
    (40.0, 28.5, False),
    (40.0, 31.0, True),
])
def test_a_raised_bicarbonate_is_alkalosis_by_the_age_limits(age: float, bicarbonate: float, alkalosis: bool,
                                                              rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": age,
                   "labs": {"serum_bicarbonate": {"value": bicarbonate, "unit": "mmol/L"}}})
    derived = {d["clue"]: d["present"] for d in result["derived"] if d.get("clue")}
    assert derived.get("metabolic_alkalosis", False) is alkalosis


def test_a_stated_absent_prerequisite_rules_its_cause_out(rank: Any) -> None:
    """The milk-alkali triad with the calcium-alkali intake denied is not milk-alkali syndrome, and acid
    urine during a hypokalaemic acidosis is not distal RTA (CLINICAL 3.2, 3.6: strong against)."""
    triad = {"pattern": "medullary", "age_years": 66, "sex": "female",
             "clues": {"hypercalcemia": True, "metabolic_alkalosis": True, "acute_kidney_injury": True}}
    assert ranking(rank(triad))[0] == "milk_alkali_syndrome"
    denied = rank({**triad, "clues": {**triad["clues"], "calcium_alkali_intake": False}})
    assert ranking(denied)[0] != "milk_alkali_syndrome" and probability(denied, "milk_alkali_syndrome") < 0.2
    acid = {"pattern": "medullary", "age_years": 45, "sex": "male",
            "labs": {"serum_bicarbonate": {"value": 17, "unit": "mmol/L"},
                     "serum_potassium": {"value": 3.2, "unit": "mmol/L"}}}
    assert ranking(rank(acid))[0] == "distal_rta"
    acid_urine = rank({**acid, "labs": {**acid["labs"], "urine_ph": {"value": 5.0, "unit": "pH"}}})
    assert ranking(acid_urine)[0] != "distal_rta"


@pytest.mark.parametrize(("file", "old", "new", "expected"), [
    ("labs.toml", "present_requires_lab = { free_t4 = { above = 1.7 } }",
     "present_requires_lab = { free_t5 = { above = 1.7 } }", "labs.tsh.limits.0.present_requires_lab"),
    ("labs.toml", "present_requires_lab = { free_t4 = { above = 1.7 } }",
     "present_requires_lab = { free_t4 = { above = 1.7, below = 9.0 } }", "exactly one of above or below"),
    ("labs.toml", "present_requires_lab = { free_t4 = { above = 1.7 } }",
     "present_requires_lab = { free_t4 = { above = nan } }", "present_requires_lab.free_t4.above"),
    ("clues.toml", "child_background = { value = 0.2,", "child_background = { value = 1.0,",
     "clues.growth_failure.child_background.value"),
    ("clues.toml", 'given_background = { given = "hypercalcemia"', 'given_background = { given = "hypercalcaemia"',
     "clues.low_pth.given_background.given: unknown clue"),
    ("clues.toml", 'given_background = { given = "hypercalcemia"', 'given_background = { given = "low_pth"',
     "clues.low_pth.given_background.given: a clue cannot be its own given clue"),
    ("clues.toml", 'value = 0.3, sources = ["Tebben16", "MayoPTH"]', 'value = 0.3, sources = ["Tebben61"]',
     "clues.low_pth.given_background.sources"),
    ("clues.toml", 'value = 0.3, sources = ["Tebben16", "MayoPTH"]', 'value = 1.3, sources = ["Tebben16"]',
     "clues.low_pth.given_background.value"),
    ("clues.toml", 'absent_masked_by = { given = "ckd", value = 0.5, sources = ["Liu22"',
     'absent_masked_by = { given = "kidney_disease", value = 0.5, sources = ["Liu22"',
     "clues.hypercalciuria.absent_masked_by.given: unknown clue"),
    ("clues.toml", 'absent_masked_by = { given = "ckd", value = 0.5, sources = ["Liu22"',
     'absent_masked_by = { given = "hypercalciuria", value = 0.5, sources = ["Liu22"',
     "clues.hypercalciuria.absent_masked_by.given: a clue cannot be its own given clue"),
    ("clues.toml", 'absent_masked_by = { given = "ckd", value = 0.5, sources = ["Liu22"',
     'absent_masked_by = { given = "ckd", value = 1.0, sources = ["Liu22"',
     "clues.hypercalciuria.absent_masked_by.value"),
    ("clues.toml", 'absent_masked_by = { given = "ckd", value = 0.5, sources = ["CUHK-Ox"]',
     'absent_masked_by = { given = "ckd", value = 0.5, sources = ["CUHK-0x"]',
     "clues.hyperoxaluria.absent_masked_by.sources"),
    ("clues.toml", "child_background = { value = 0.2,",
     'absent_masked_by = { given = "ckd", value = 0.5, sources = ["Liu22"] }\nchild_background = { value = 0.2,',
     "clues.growth_failure.absent_masked_by: cannot be combined with child_background"),
    # a caveat may wait for the open world to lead (`other` ranks like a cause), but not for a cause unknown
    ("caveats.toml", 'leading = ["milk_alkali_syndrome", "hypervitaminosis_d", "sarcoidosis", "other"]',
     'leading = ["milk_alkali_syndrome", "hypervitaminosis_d", "sarcoidosis", "others"]',
     ".when.leading: unknown cause 'others'"),
])
def test_a_broken_two_lab_rule_or_child_background_names_file_and_field(file: str, old: str, new: str,
                                                                          expected: str, kb: KnowledgeBase,
                                                                          tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(Path(kb.root), rules)
    path = rules / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_knowledge_base(rules, use_cache=False)
    message = str(raised.value)
    assert message.startswith(file) and expected in message, message


def test_each_published_patient_is_counted_once() -> None:
    """The development set counts a patient once: a line marked `duplicate_of` names a counted line
    of the same cause, and no two counted lines encode the same phenopacket-store individual (the
    cohort tables and the per-individual phenopackets of one study describe the same people)."""
    import json
    import re

    cases = Path(__file__).parent / "cases"
    records = [json.loads(line) for path in sorted(cases.glob("*.jsonl")) if "vignettes" not in path.name
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {r["id"]: r for r in records}
    assert len(by_id) == len(records), "case ids are unique across the development set"
    seen: dict[tuple[str, str], str] = {}
    for record in records:
        targets = record.get("duplicate_of")
        if targets:
            for target in [targets] if isinstance(targets, str) else targets:
                assert target in by_id and not by_id[target].get("duplicate_of"), record["id"]
                assert by_id[target]["expected"] == record["expected"], record["id"]
            continue
        text = f"{record.get('source', '')} {record.get('citation', '')}"
        studies = re.findall(r"PMID[ _:]*(\d+)", text)
        person = re.search(r"(?:phenopackets/PMID_\d+_|individual |kindred )([A-Za-z0-9_ :-]+?)(?:\.json|[,;)]|$)",
                           text)
        if not studies or person is None:
            continue
        name = re.sub(r"[^a-z0-9]", "", person.group(1).lower().replace("individual", "").replace("kindred", ""))
        key = (studies[0], name)
        assert key not in seen, f"{record['id']} and {seen[key]} encode the same individual"
        seen[key] = record["id"]


# Lines of one article, one cause and the same age and sex that are different patients, each with the reason.
DISTINCT_PATIENTS = {
    frozenset({"pub-msk-02", "pubx-msk-02"}):
        "two figures of one teaching page; the page does not say they are one patient",
    frozenset({"pub-vitd-08", "pub-vitd-09"}): "the two vitamin-D-intoxicated infants of Puga's series of six",
    frozenset({"pub-tb-02", "pubx-tb-04"}):
        "two patients of Trivedi's series: a putty kidney, and small calcifications",
}


def test_one_article_does_not_count_one_patient_twice() -> None:
    """Blind rounds found some articles again under another address (a publisher's page and a DOI, a mirror),
    so the address alone does not catch a patient counted twice (the encoding audit of 2026-12-07 found 16).
    Two counted lines of one cause whose sources share a DOI, a PubMed or PMC id or a first author, with the same
    age and sex, are the same patient unless DISTINCT_PATIENTS says why not."""
    import json
    import re

    cases = Path(__file__).parent / "cases"
    records = [json.loads(line) for path in sorted(cases.glob("*.jsonl")) if "vignettes" not in path.name
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    # phenopacket-store individuals share their study's PMID; the test above tells them apart by individual
    counted = [r for r in records if not r.get("duplicate_of") and "phenopackets/" not in r["source"]]
    generic = {"case", "ga4gh", "series", "review", "primary", "familial", "renal", "medullary", "distal"}

    def articles(record: dict[str, Any]) -> set[str]:  # DOI, PubMed and PMC ids
        text = f"{record['source']} {record.get('citation', '')}"
        keys = {m.lower().rstrip(".") for m in re.findall(r"10\.\d{4,9}/[^\s?#&;,)]+", text)}
        keys |= {f"pmid{m}" for m in re.findall(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|PMID[ _:]*)(\d+)", text)}
        return keys | {m.lower() for m in re.findall(r"PMC\d+", text)}

    def author(record: dict[str, Any]) -> str | None:
        found = re.match(r"([A-Z][A-Za-z'-]+)", record.get("citation", "").strip("[ "))
        return found.group(1).lower() if found and found.group(1).lower() not in generic else None

    twice = []
    for i, first in enumerate(counted):
        for second in counted[i + 1:]:
            a, b = first["case"], second["case"]
            if (first["expected"] != second["expected"] or a.get("age_years") != b.get("age_years")
                    or a.get("sex") != b.get("sex")):
                continue
            same_article = bool(articles(first) & articles(second)) or (
                author(first) is not None and author(first) == author(second))
            if same_article and frozenset({first["id"], second["id"]}) not in DISTINCT_PATIENTS:
                twice.append((first["id"], second["id"]))
    assert not twice, f"the same patient counted twice (mark the later line duplicate_of): {twice}"
    ids = {r["id"] for r in counted}
    assert all(pair <= ids for pair in DISTINCT_PATIENTS), "DISTINCT_PATIENTS names a line that is not counted"


def test_a_suppressed_pth_follows_from_hypercalcaemia_in_any_cause(rank: Any) -> None:
    """PTH-independent hypercalcaemia suppresses PTH whatever its cause: with hypercalcaemia stated, a
    suppressed PTH counts for the causes that do not list it (and for a cause outside the knowledge
    base) at its given background, not as an independent rare finding; a cause that lists it keeps
    its own weight; and without hypercalcaemia nothing changes."""
    import math

    def term(result: dict[str, Any], cause: str) -> float:
        entry = next(e for e in result["differential"] if e["cause"] == cause)
        return sum(e["weight"] for e in entry["supporting"] + entry["conflicting"] if e["clue"] == "low_pth")

    def scores(result: dict[str, Any]) -> dict[str, float]:
        return {e["cause"]: e["score"] for e in result["differential"]}

    base = {"pattern": "medullary", "age_years": 1.5}
    both = rank({**base, "clues": {"hypercalcemia": True, "low_pth": True}})
    calcium = rank({**base, "clues": {"hypercalcemia": True}})
    alone = rank({**base, "clues": {"low_pth": True}})
    normal_pth = rank({**base, "clues": {"hypercalcemia": True, "low_pth": False}})
    raised = math.log(0.3 / 0.05)
    assert term(both, "other") == pytest.approx(raised, abs=0.01)
    assert scores(both)["other"] - scores(calcium)["other"] == pytest.approx(raised, abs=0.002)
    assert term(both, "medullary_sponge_kidney") == pytest.approx(raised, abs=0.01)
    assert term(both, "sarcoidosis") == term(alone, "sarcoidosis") > raised  # listed: its own "usually"
    assert term(alone, "other") == 0.0 and scores(alone)["other"] == scores(rank(base))["other"]
    assert term(normal_pth, "other") == pytest.approx(math.log(0.7 / 0.95), abs=0.01)
    # the open world now takes its share of PTH-independent hypercalcaemia in a toddler
    toddler = rank({**base, "clues": {"vitamin_d_therapy": False}, "labs": {
        "serum_calcium": {"value": 12.5, "unit": "mg/dL"}, "pth": {"value": 6, "unit": "pg/mL"},
        "vitamin_d_1_25": {"value": 140, "unit": "pg/mL"}}})
    assert toddler["differential"][0]["cause"] == "other" and toddler["fit"]["status"] == "poor"


def test_the_development_set_readme_states_the_current_coverage() -> None:
    """tests/cases/README.md gives the number of patients per cause: it must be what the files hold."""
    import json
    import re

    cases = Path(__file__).parent / "cases"
    counts: dict[str, int] = {}
    for path in sorted(cases.glob("published_cases*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if line.strip() and not record.get("duplicate_of"):
                counts[record["expected"]] = counts.get(record["expected"], 0) + 1
    readme = (cases / "README.md").read_text(encoding="utf-8")
    names = {"distal RTA": "distal_rta", "hypervitaminosis D": "hypervitaminosis_d",
             "hyperparathyroidism": "hyperparathyroidism", "primary hyperoxaluria": "primary_hyperoxaluria",
             "chronic hypercalciuria": "chronic_hypercalciuria", "renal tuberculosis": "renal_tuberculosis",
             "medullary sponge kidney": "medullary_sponge_kidney", "sarcoidosis": "sarcoidosis",
             "Alport syndrome": "alport_syndrome", "milk-alkali syndrome": "milk_alkali_syndrome",
             "cortical necrosis": "cortical_necrosis", "chronic glomerulonephritis": "chronic_glomerulonephritis"}
    rows = re.finditer(r"^\| \**([A-Za-z -]+?)\** \| \**(\d+)", readme, re.MULTILINE)
    stated = {names[m.group(1)]: int(m.group(2)) for m in rows if m.group(1) in names}
    assert stated == {cause: counts.get(cause, 0) for cause in names.values()}
    assert f"There are {sum(counts.values())} patients inside the twelve" in readme


def test_a_finding_that_follows_from_another_is_shown_but_not_as_distinguishing(rank: Any, run_main: Any) -> None:
    """A given-background term names the clue it follows from in JSON (and --explain shows it), but the
    table's strongest-evidence column leaves it out: every cause that does not list the finding shares it."""
    case = {"pattern": "medullary", "age_years": 68, "clues": {"ckd": True, "hyperphosphatemia": True,
                                                             "nephrolithiasis": True}}
    result = rank(case)
    drta = next(e for e in result["differential"] if e["cause"] == "distal_rta")
    item = next(e for e in drta["supporting"] if e["clue"] == "hyperphosphatemia")
    assert item["given"] == "ckd"
    status, out, _ = run_main(["diff", "-p", "medullary", "--age", "68", "--ckd", "--hyperphosphatemia",
                               "--nephrolithiasis"])
    assert status == 0
    line = next(row for row in out.splitlines() if "Distal RTA" in row)
    assert "Hyperphosphataemia" not in line and "Nephrolithiasis" in line
    status, out, _ = run_main(["diff", "-p", "medullary", "--age", "68", "--ckd", "--hyperphosphatemia", "--explain"])
    assert "with chronic kidney disease present, hyperphosphataemia is 30% likely" in " ".join(out.split())


def test_a_normal_urine_calcium_or_oxalate_says_less_with_ckd(rank: Any, kb: KnowledgeBase) -> None:
    """Urine calcium and oxalate fall as the GFR falls (clues.toml absent_masked_by): with CKD stated, a
    finding stated absent keeps its direction but loses most of its weight, for every cause that lists
    it, by P(absent) -> m + (1 - m) P(absent) on both sides of the ratio; without CKD nothing changes;
    and --explain says why."""
    import math

    def term(result: dict[str, Any], cause: str, clue: str) -> float:
        entry = next(e for e in result["differential"] if e["cause"] == cause)
        return sum(e["weight"] for e in entry["supporting"] + entry["conflicting"] if e["clue"] == clue)

    child = {"pattern": "medullary", "age_years": 8}
    plain = rank({**child, "clues": {"hypercalciuria": False}})
    with_ckd = rank({**child, "clues": {"hypercalciuria": False, "ckd": True}})
    mask = kb.clues["hypercalciuria"].absent_masked_by
    assert mask is not None and mask.given == "ckd"
    background = kb.clues["hypercalciuria"].background
    for cause in ("chronic_hypercalciuria", "distal_rta"):
        usual = term(plain, cause, "hypercalciuria")
        assert usual < 0
        keep = (1 - mask.value) * (1 - background)
        expected = math.log((mask.value + keep * math.exp(usual)) / (mask.value + keep))
        assert term(with_ckd, cause, "hypercalciuria") == pytest.approx(expected, abs=0.02)
        assert usual < term(with_ckd, cause, "hypercalciuria") < 0
    assert term(with_ckd, "other", "hypercalciuria") == 0.0
    item = next(e for e in next(x for x in with_ckd["differential"] if x["cause"] == "chronic_hypercalciuria")
                ["conflicting"] if e["clue"] == "hypercalciuria")
    assert "urine calcium falls as the GFR falls" in item["why"] and "Liu22" in item["sources"]
    # primary hyperoxaluria: a normal urine oxalate argues strongly against it only with the GFR preserved
    adult = {"pattern": "medullary", "age_years": 30}
    ox = term(rank({**adult, "clues": {"hyperoxaluria": False}}), "primary_hyperoxaluria", "hyperoxaluria")
    ox_ckd = term(rank({**adult, "clues": {"hyperoxaluria": False, "ckd": True}}), "primary_hyperoxaluria",
                  "hyperoxaluria")
    assert ox < math.log(0.1) < ox_ckd < 0
    # the masked weight is also what the score uses, not only what is shown
    shown = rank({**adult, "clues": {"hyperoxaluria": False, "ckd": True}})
    alone = rank({**adult, "clues": {"ckd": True}})
    ph = [next(e["score"] for e in r["differential"] if e["cause"] == "primary_hyperoxaluria") for r in (shown, alone)]
    assert ph[0] - ph[1] == pytest.approx(ox_ckd, abs=0.02)


def test_amelogenesis_imperfecta_points_to_fhhnc(rank: Any) -> None:
    """Enamel defects with nephrocalcinosis: FHHNC (CLDN16 in all 5 patients examined [Bardet16], CLDN19
    [Yamaguti17]). Without --extended no cause explains it, so the fit names FHHNC; with it, FHHNC leads a
    25-year-old with hypercalciuria, hypomagnesaemia and CKD (a phenopacket of Bardet 2016), and without the
    enamel finding FHHNC is no longer near-certain: primary hyperparathyroidism runs level with it."""
    from nephrocalc.engine import load_engine
    from nephrocalc.intake import parse_case
    from nephrocalc.loader import extended_rules_dir

    case = {"pattern": "medullary", "age_years": 25, "sex": "female",
            "clues": {"amelogenesis_imperfecta": True, "hypercalciuria": True, "hypomagnesemia": True, "ckd": True}}
    assert "fhhnc" in [c["cause"] for c in rank(case)["fit"]["consider"]]
    extended = load_engine((extended_rules_dir(),))
    assert ranking(extended.rank(parse_case(case, extended.kb)))[0] == "fhhnc"
    plain = {**case, "clues": {"hypercalciuria": True, "hypomagnesemia": True, "ckd": True}}
    without = extended.rank(parse_case(plain, extended.kb))
    assert probability(without, "fhhnc") < 0.5 and "hyperparathyroidism" in ranking(without)[:2]


def _iih_age_factor(engine: Any, case: dict[str, Any]) -> float:
    from nephrocalc.intake import parse_case

    result = engine.rank(parse_case(case, engine.kb))
    item = next(e for e in result["differential"] if e["cause"] == "idiopathic_infantile_hypercalcemia")
    return sum(f["weight"] for f in item["context"] if f["factor"] == "age")


def test_a_term_infants_band_corrects_the_child_column_from_birth_and_not_the_preterm_one() -> None:
    """The brief's infant column is for term infants under a year: its band (columns = ["child"]) holds
    from birth for a newborn stated not preterm, and not for a preterm infant, who keeps the
    preterm/neonate column; a neonate not stated term takes that column too."""
    from nephrocalc.engine import load_engine
    from nephrocalc.loader import extended_rules_dir

    engine = load_engine((extended_rules_dir(),))
    base = {"pattern": "medullary", "clues": {"hypercalcemia": True}}
    infant = math.log(3.0)  # 0.06 against 0.02 (CLINICAL-EXTENDED.md section 0)
    assert _iih_age_factor(engine, {**base, "age_years": 0.03, "clues": {
        "hypercalcemia": True, "preterm_infant": False}}) == pytest.approx(infant, abs=0.01)
    assert _iih_age_factor(engine, {**base, "age_years": 0.5}) == pytest.approx(infant, abs=0.01)
    assert _iih_age_factor(engine, {**base, "age_years": 0.5, "clues": {
        "hypercalcemia": True, "preterm_infant": True}}) == 0.0
    assert _iih_age_factor(engine, {**base, "age_years": 0.03}) == 0.0  # a neonate, term not stated
    assert _iih_age_factor(engine, {**base, "age_years": 4}) == 0.0


def test_an_age_band_for_an_unknown_prior_column_is_a_rule_error(kb: KnowledgeBase, tmp_path: Path) -> None:
    from nephrocalc.loader import extended_rules_dir

    pack = tmp_path / "extended"
    shutil.copytree(extended_rules_dir(), pack)
    _rename_copy(pack)  # a copy may not keep the shipped name
    path = pack / "causes" / "dent_disease.toml"
    text = path.read_text(encoding="utf-8")
    assert 'columns = ["child"]' in text
    path.write_text(text.replace('columns = ["child"]', 'columns = ["infant"]', 1), encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_knowledge_base(packs=(pack,), use_cache=False)
    message = str(raised.value)
    assert "dent_disease.toml" in message and "age.0.columns" in message, message


def test_a_causes_own_age_bounded_entry_leaves_the_rest_of_the_band_to_the_band(rank: Any) -> None:
    """Distal RTA has its own CKD entry under 2 years; from 2 to 17 the children's background (5%) still
    holds for it, as for every cause that lists CKD, rather than the adults' figure."""
    child = rank({"pattern": "medullary", "age_years": 10, "clues": {"ckd": True}})
    drta = next(e for e in entry(child, "distal_rta")["supporting"] if e["clue"] == "ckd")
    assert "5% of children" in drta["why"] and drta["weight"] == pytest.approx(math.log(0.2 / 0.05), abs=0.05)
    infant = rank({"pattern": "medullary", "age_years": 1, "clues": {"ckd": True}})
    assert not [e for e in entry(infant, "distal_rta")["conflicting"] if e["clue"] == "ckd"]


def test_clues_shows_the_adult_age_bands(run_main: Any) -> None:
    status, out, _ = run_main(["clues", "--format", "json"])
    ckd = next(c for c in json.loads(out)["clues"] if c["id"] == "ckd")
    assert status == 0 and ckd["background"] == 0.14
    assert ckd["age_backgrounds"][0] == {"at_least": 18, "below": 45, "value": 0.06}
    status, out, _ = run_main(["clues"])
    assert "6% at 18-44, 12% at 45-64, 34% from 65 years" in " ".join(out.split())


def test_cause_shows_the_entries_in_force_by_age(run_main: Any) -> None:
    status, out, _ = run_main(["cause", "distal_rta", "--format", "json"])
    entries = [f for form in json.loads(out)["forms"] for f in form["age_findings"] if f["clue"] == "ckd"]
    assert status == 0 and any(f.get("age_at_least") == 65 and f["lr_present"] < 1 for f in entries)
    status, out, _ = run_main(["cause", "distal_rta"])
    assert "By age" in out and "65 years and over" in out


def test_age_backgrounds_cannot_join_a_given_background(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A given background's weights are worked out against the clue's one background: with age bands as well
    they would not be, so rules check refuses the pair, naming the field."""
    rules = tmp_path / "rules"
    shutil.copytree(Path(kb.root), rules)
    path = rules / "clues.toml"
    text = path.read_text(encoding="utf-8")
    line = next(row for row in text.splitlines() if row.startswith('given_background = { given = "ckd"'))
    path.write_text(text.replace(line, line + '\nage_backgrounds = [{ at_least = 18, value = 0.1, sources = '
                                 '["CDC-CKD23"] }]', 1), encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_knowledge_base(rules, use_cache=False)
    assert "given_background: cannot be combined with age_backgrounds" in str(raised.value)


# --- kidney failure (CKD stage 5) tells tertiary from primary hyperparathyroidism (AUDIT D7) ---------------


def test_on_dialysis_hypercalcaemia_with_a_raised_pth_is_tertiary(rank: Any) -> None:
    """Kidney failure stated, or an eGFR below 15 with CKD stated, makes the picture tertiary; the same
    findings without CKD are primary disease."""
    base = {"pattern": "medullary", "age_years": 52, "sex": "female",
            "clues": {"hypercalcemia": True, "high_pth": True}}
    assert rank(base)["differential"][0]["form"] == "primary"
    stated = rank({**base, "clues": {**base["clues"], "ckd": True, "kidney_failure": True}})
    assert (stated["differential"][0]["cause"], stated["differential"][0]["form"]) == ("hyperparathyroidism",
                                                                                        "tertiary")
    by_lab = rank({**base, "clues": {**base["clues"], "ckd": True},
                   "labs": {"egfr": {"value": 7, "unit": "mL/min/1.73m2"}}})
    assert by_lab["differential"][0]["form"] == "tertiary"
    assert any(d["clue"] == "kidney_failure" and d["present"] for d in by_lab["derived"])


def test_one_low_egfr_without_known_ckd_is_not_read_as_kidney_failure(rank: Any) -> None:
    """An eGFR below 15 from one creatinine in a hypercalcaemic crisis (a parathyroid carcinoma with a
    creatinine of 4.4 mg/dL) is as often acute: kidney failure needs CKD stated (requires_stated); an eGFR of
    15 or more documents it absent, which argues a little against the tertiary form."""
    crisis = rank({"pattern": "medullary", "age_years": 63, "sex": "male", "clues": {"hypercalcemia": True},
                   "labs": {"serum_creatinine": {"value": 4.4, "unit": "mg/dL"}}})
    assert not any(d["clue"] == "kidney_failure" for d in crisis["derived"])
    assert crisis["differential"][0]["cause"] == "hyperparathyroidism"
    assert crisis["differential"][0]["probability"] > 0.5, "kidney failure, not derived, does not count against it"
    stage3 = rank({"pattern": "medullary", "age_years": 50, "clues": {"ckd": True},
                   "labs": {"egfr": {"value": 40, "unit": "mL/min/1.73m2"}}})
    assert any(d["clue"] == "kidney_failure" and d["present"] is False for d in stage3["derived"])


# --- clues that mean another by definition (clues.toml implies) -------------------------------------------


def test_a_kidney_transplant_or_kidney_failure_states_ckd(rank: Any) -> None:
    """CONTRACT.md defines ckd as chronic kidney disease, dialysis or kidney transplant: stating either of the
    two ranks exactly as stating ckd with it, and a note says ckd was counted; the case echoed is as entered."""
    base = {"pattern": "medullary", "age_years": 52, "clues": {"hypercalcemia": True, "high_pth": True}}
    for clue in ("kidney_transplant", "kidney_failure"):
        implied = rank({**base, "clues": {**base["clues"], clue: True}})
        stated = rank({**base, "clues": {**base["clues"], clue: True, "ckd": True}})
        assert [(e["cause"], e["probability"]) for e in implied["differential"]] == \
            [(e["cause"], e["probability"]) for e in stated["differential"]]
        assert "ckd" not in implied["case"]["clues"]
        notes = [w["message"] for w in implied["warnings"] if w["id"] == "implied_ckd"]
        assert notes and f"ckd counted as present: {clue} means it" in notes[0], implied["warnings"]
        assert not any(w["id"] == "implied_ckd" for w in stated["warnings"])


def test_an_implied_clue_stated_absent_is_read_as_present_and_said(rank: Any) -> None:
    """Kidney failure with 'no CKD' contradicts the definition: read as present (as a clue stated both present
    and absent is), never silently."""
    case = {"pattern": "medullary", "age_years": 52, "clues": {"kidney_failure": True, "ckd": False}}
    result = rank(case)
    assert result == rank({**case, "clues": {"kidney_failure": True, "ckd": True}}) | {
        "case": result["case"], "warnings": result["warnings"]}
    note = next(w["message"] for w in result["warnings"] if w["id"] == "implied_ckd")
    assert "ckd was stated absent, but kidney_failure stated present means it" in note


def test_lab_limits_that_need_stated_ckd_see_an_implied_one(rank: Any) -> None:
    """A transplant recipient with an eGFR of 9 is in kidney failure (graft failure): the eGFR limit that asks for
    CKD stated sees the CKD the transplant implies, and the note comes before the lab warnings."""
    result = rank({"pattern": "medullary", "age_years": 40, "clues": {"kidney_transplant": True},
                   "labs": {"egfr": {"value": 9, "unit": "mL/min/1.73m2"}}})
    assert any(d["clue"] == "kidney_failure" and d["present"] for d in result["derived"])
    assert result["warnings"][0]["id"] == "implied_ckd"


def test_a_lab_value_read_by_one_limit_is_not_said_to_be_set_aside_by_another(rank: Any) -> None:
    """A PTH of 300 with hypercalcaemia and CKD is read as high (the tertiary limit); the limit that sets a raised
    PTH aside with CKD must not also say it was not read."""
    result = rank({"pattern": "medullary", "age_years": 50, "clues": {"ckd": True, "hypercalcemia": True},
                   "labs": {"pth": {"value": 300, "unit": "pg/mL"}}})
    assert any(d["clue"] == "high_pth" and d["present"] for d in result["derived"])
    assert not any("was not read as high_pth" in w["message"] for w in result["warnings"]), result["warnings"]
    primary = rank({"pattern": "medullary", "age_years": 50, "clues": {"hypercalcemia": True},
                    "labs": {"pth": {"value": 300, "unit": "pg/mL"}}})
    assert any(d["clue"] == "high_pth" and d["present"] for d in primary["derived"])


def test_an_infant_with_pth_driven_hypercalcaemia_is_not_given_tertiary_hyperparathyroidism(rank: Any) -> None:
    """Tertiary hyperparathyroidism needs years of secondary hyperparathyroidism on dialysis or after a
    transplant: a 6-month-old with hypercalcaemia and a raised PTH was shown 'Hyperparathyroidism (tertiary)'
    75% with CKD not stated (UX review); now the open world (neonatal severe HPT, CASR) leads and any
    hyperparathyroidism shown is the primary form."""
    result = rank({"pattern": "medullary", "age_years": 0.5,
                   "labs": {"serum_calcium": {"value": 2.9, "unit": "mmol/L"}, "pth": {"value": 95, "unit": "pg/mL"}}})
    hpt = next(e for e in result["differential"] if e["cause"] == "hyperparathyroidism")
    assert hpt["form"] == "primary" and result["differential"][0]["cause"] != "hyperparathyroidism"
    child = rank({"pattern": "medullary", "age_years": 12, "clues": {"hypercalcemia": True, "high_pth": True}})
    assert child["differential"][0]["form"] == "primary"


def test_a_low_urine_calcium_counts_against_the_hypercalciuric_causes(rank: Any) -> None:
    """Hypocalciuria is the opposite state of the finding that defines idiopathic hypercalciuria: before, it
    raised chronic hypercalciuria (19% to 24%) and distal RTA, since only hyperparathyroidism listed it."""
    before = {e["cause"]: e["probability"] for e in rank({"pattern": "medullary", "age_years": 40})["differential"]}
    after = {e["cause"]: e["probability"] for e in
             rank({"pattern": "medullary", "age_years": 40, "clues": {"hypocalciuria": True}})["differential"]}
    for cause in ("chronic_hypercalciuria", "distal_rta", "sarcoidosis", "hyperparathyroidism"):
        assert after[cause] < before[cause], cause


def test_a_high_and_a_low_urine_calcium_both_stated_contradict_each_other(rank: Any) -> None:
    """Urine calcium is one variable ([[exclusive]]): both states present is a contradictory input, named in the
    fit, as an acidosis with an alkalosis is."""
    result = rank({"pattern": "medullary", "age_years": 40, "clues": {"hypocalciuria": True, "hypercalciuria": True}})
    assert result["fit"]["status"] == "poor"
    assert sorted(result["fit"]["contradictory"]) == ["hypercalciuria", "hypocalciuria"]


def test_a_raised_pth_stated_with_a_low_calcium_is_read_as_a_pth_value_would_be(rank: Any) -> None:
    """A raised PTH with hypocalcaemia is secondary hyperparathyroidism (AUDIT D1): the value given as a lab is not
    read as high_pth, and the clue stated is not counted either ([[set_aside]]), with a note; stated with a normal
    calcium it stays evidence (normocalcaemic PHPT of the development set)."""
    stated = rank({"pattern": "medullary", "age_years": 40, "clues": {"high_pth": True, "hypocalcemia": True}})
    without = rank({"pattern": "medullary", "age_years": 40, "clues": {"hypocalcemia": True}})
    assert [(e["cause"], e["probability"]) for e in stated["differential"]] == \
        [(e["cause"], e["probability"]) for e in without["differential"]]
    note = next(w["message"] for w in stated["warnings"] if w["id"] == "set_aside_high_pth")
    assert note.startswith("high_pth with hypocalcemia was not counted: a raised PTH with a low calcium is secondary")
    normal = rank({"pattern": "medullary", "age_years": 40, "clues": {"high_pth": True, "hypercalcemia": False}})
    assert not any(w["id"] == "set_aside_high_pth" for w in normal["warnings"])


# --- from a nephrologist's review of the answers ----------------------------------------------------------


def test_a_raised_serum_ace_alone_is_a_test_of_known_accuracy(rank: Any) -> None:
    """A raised ACE has a positive likelihood ratio of about 8 (meta-analysis: sensitivity 60%, specificity
    93%); read as a frequency against a 2% background it counted x25 and made a raised ACE alone 79%
    sarcoidosis."""
    result = rank({"pattern": "medullary", "age_years": 38, "labs": {"serum_ace": {"value": 95, "unit": "U/L"}}})
    top = result["differential"][0]
    assert top["cause"] == "sarcoidosis" and top["probability"] < 0.6
    assert any(e["clue"] == "high_ace" and round(e["weight"], 2) == round(math.log(8.4), 2) for e in top["supporting"])


def test_a_known_cancer_with_pth_independent_hypercalcaemia_puts_the_open_world_first(rank: Any) -> None:
    """Without --extended a man of 70 with a known cancer and a suppressed PTH was given sarcoidosis, milk-alkali
    and vitamin D excess (26-27% each) before the open world; the hypercalcaemia of malignancy lies outside the
    twelve, and fit.consider names it."""
    result = rank({"pattern": "medullary", "age_years": 70, "sex": "male",
                   "clues": {"hypercalcemia": True, "low_pth": True, "malignancy": True}})
    assert result["differential"][0]["cause"] == "other" and result["fit"]["status"] == "poor"
    assert "hypercalcemia_of_malignancy" in [c["cause"] for c in result["fit"]["consider"]]


def test_a_25ohd_between_80_and_150_counts_only_with_vitamin_d_taken(rank: Any) -> None:
    """Intoxication is a 25OHD above 150 ng/mL; 80-150 makes toxicity possible. A value of 88 ng/mL gave vitamin
    D excess 97% as one of 200 did: now it derives nothing (a warning says why) unless vitamin D is known to be
    taken, and above 150 it is the finding."""
    labs = {"serum_calcium": {"value": 2.9, "unit": "mmol/L"}, "pth": {"value": 1, "unit": "pmol/L"}}
    grey = rank({"pattern": "medullary", "age_years": 50,
                 "labs": {**labs, "vitamin_d_25oh": {"value": 220, "unit": "nmol/L"}}})
    assert not any(d["clue"] == "high_25oh_vitamin_d" for d in grey["derived"])
    assert any("80-150 ng/mL" in w["message"] for w in grey["warnings"])
    assert grey["differential"][0]["probability"] < 0.7
    taken = rank({"pattern": "medullary", "age_years": 50, "clues": {"vitamin_d_therapy": True},
                  "labs": {**labs, "vitamin_d_25oh": {"value": 220, "unit": "nmol/L"}}})
    assert any(d["clue"] == "high_25oh_vitamin_d" and d["present"] for d in taken["derived"])
    toxic = rank({"pattern": "medullary", "age_years": 50,
                  "labs": {**labs, "vitamin_d_25oh": {"value": 500, "unit": "nmol/L"}}})
    assert toxic["differential"][0]["cause"] == "hypervitaminosis_d"
    assert not any("80-150 ng/mL" in w["message"] for w in toxic["warnings"])


# --- from a radiologist's and a paediatric nephrologist's review --------------------------------------------


def test_calyces_stated_normal_on_ultrasound_or_a_film_say_nothing(rank: Any) -> None:
    """Calyceal strictures and cavities show on urography: 'no calyceal distortion' on ultrasound dropped renal TB
    from 79% to 31% beside unilateral cortical calcification (radiology review), and the earliest signs are
    excretory-phase signs that CT without an excretory phase or MR cannot exclude (imaging review, round 73)."""
    base = {"pattern": "cortical", "modality": "us", "laterality": "unilateral", "age_years": 35}
    plain = rank(base)
    stated = rank({**base, "clues": {"calyceal_distortion": False}})
    assert [(e["cause"], e["probability"]) for e in plain["differential"]] == \
        [(e["cause"], e["probability"]) for e in stated["differential"]]
    assert any(w["id"] == "absent_not_shown_calyceal_distortion" for w in stated["warnings"])
    for modality, counted in (("ct", False), ("mr", False), ("ctu", True), ("ivu", True)):
        shown = rank({**base, "modality": modality})
        seen = rank({**base, "modality": modality, "clues": {"calyceal_distortion": False}})
        tb = {e["cause"]: e["probability"] for e in seen["differential"]}["renal_tuberculosis"]
        assert (tb < {e["cause"]: e["probability"] for e in shown["differential"]}["renal_tuberculosis"]) is counted


def test_a_cortical_sign_under_a_medullary_pattern_asks_to_check_the_pattern(rank: Any) -> None:
    result = rank({"pattern": "medullary", "modality": "us", "age_years": 40,
                   "clues": {"tramline_calcification": True}})
    assert "cortical_sign_under_medullary_pattern" in {w["id"] for w in result["warnings"]}


def test_the_imaging_and_hypercalcaemia_caveats_say_what_their_sources_say(rank: Any) -> None:
    """Ultrasound is the more sensitive modality for mild medullary nephrocalcinosis: the CT caveat said CT detects
    what ultrasound misses. The sensitivity figures are the rabbit model's [Cramer98]; Boyce 2013 found ultrasound
    grading higher, not CT less reliable (imaging review, round 73). PTH-independent hypercalcaemia in an infant is
    not malignancy first."""
    ct = rank({"pattern": "medullary", "modality": "ct", "age_years": 40})
    caveat = next(c for c in ct["caveats"] if c["id"] == "ct_sensitivity")
    message = caveat["message"]
    assert "In a rabbit model CT was the more specific, ultrasound the more sensitive" in message
    assert "less reliable" not in message and "Cramer98" in caveat["sources"]
    infant = rank({"pattern": "medullary", "age_years": 0.1, "clues": {"hypercalcemia": True, "low_pth": True}})
    message = next(c["message"] for c in infant["caveats"] if c["id"] == "hypercalcemia_low_pth")
    assert "Children: vitamin D excess" in message and "malignancy is rare" in message


def test_an_infant_with_pth_driven_hypercalcaemia_is_offered_neonatal_severe_hyperparathyroidism(rank: Any) -> None:
    """A week-old with a calcium of 15 mg/dL and a PTH of 400 was offered only PTH-suppressed causes to consider
    (fat necrosis, CYP24A1, Williams): neonatal severe hyperparathyroidism (CASR) is named first."""
    result = rank({"pattern": "medullary", "age_years": 0.02, "labs": {
        "serum_calcium": {"value": 15, "unit": "mg/dL"}, "pth": {"value": 400, "unit": "pg/mL"}}})
    assert result["fit"]["consider"][0]["cause"] == "neonatal_severe_hyperparathyroidism"
    adult = rank({"pattern": "medullary", "age_years": 50, "clues": {"hypercalcemia": True, "high_pth": True}})
    assert "neonatal_severe_hyperparathyroidism" not in [c["cause"] for c in adult["fit"]["consider"]]


def test_a_neonate_of_unstated_gestation_is_told_it_was_weighed_as_preterm(rank: Any) -> None:
    """An 18-day-old with gestation not stated is weighed in the preterm column (nephrocalcinosis of prematurity
    89%): a warning says so, and not when preterm_infant is stated or the age is the preterm convention 0."""
    ids = {w["id"] for w in rank({"pattern": "medullary", "modality": "us", "age_years": 0.05})["warnings"]}
    assert "neonate_weighed_as_preterm" in ids
    for case in ({"age_years": 0.05, "clues": {"preterm_infant": False}}, {"age_years": 0}, {"age_years": 2}):
        ids = {w["id"] for w in rank({"pattern": "medullary", **case})["warnings"]}
        assert "neonate_weighed_as_preterm" not in ids, case


def test_a_urographic_sign_stated_on_another_modality_is_flagged(rank: Any) -> None:
    """Tubular ectasia on a plain film gave medullary sponge kidney 97% with no word: it is still counted, with a
    warning that the sign belongs to the excretory phase; on CT urography there is nothing to warn about."""
    film = rank({"pattern": "medullary", "modality": "xr", "age_years": 40, "clues": {"tubular_ectasia": True}})
    assert "urographic_sign_without_urography" in {w["id"] for w in film["warnings"]}
    ctu = rank({"pattern": "medullary", "modality": "ctu", "age_years": 40, "clues": {"tubular_ectasia": True}})
    assert "urographic_sign_without_urography" not in {w["id"] for w in ctu["warnings"]}


def test_an_infant_on_vitamin_d_with_a_normal_25ohd_is_offered_cyp24a1(rank: Any) -> None:
    """Hypercalcaemia on vitamin D prophylaxis with a 25OHD that is not raised: the dose did not intoxicate, and
    prophylaxis unmasks CYP24A1 deficiency; only Williams syndrome was offered (paediatric review)."""
    result = rank({"pattern": "medullary", "age_years": 0.5, "clues": {"vitamin_d_therapy": True},
                   "labs": {"serum_calcium": {"value": 11.5, "unit": "mg/dL"}, "pth": {"value": 8, "unit": "pg/mL"},
                            "vitamin_d_25oh": {"value": 70, "unit": "ng/mL"}}})
    assert result["fit"]["consider"][0]["cause"] == "idiopathic_infantile_hypercalcemia"


def test_a_preterm_infant_is_counted_in_the_preterm_priors_not_again_as_a_finding(rank: Any) -> None:
    """The preterm column holds P(cause | nephrocalcinosis, preterm infant): stating preterm birth selects
    it, and its likelihood ratio (x47 for the nephrocalcinosis of prematurity) would count preterm birth a
    second time. A neonate of age 0 takes that column already, so stating preterm changes no probability;
    an ex-preterm child of three keeps the child column, where preterm birth is evidence."""
    neonate = {"pattern": "medullary", "age_years": 0, "clues": {"hypercalciuria": True}}
    stated = rank({**neonate, "clues": {"hypercalciuria": True, "preterm_infant": True}})
    assert [(e["cause"], e["probability"]) for e in stated["differential"]] == \
        [(e["cause"], e["probability"]) for e in rank(neonate)["differential"]]
    assert not any(item["clue"] == "preterm_infant" for e in stated["differential"]
                   for item in (*e["supporting"], *e["conflicting"]))
    assert any(w["id"] == "counted_in_prior_preterm_infant" for w in stated["warnings"])
    assert probability(stated, "chronic_hypercalciuria") < 0.95  # the prior's share, not near-certainty

    child = rank({"pattern": "medullary", "age_years": 3, "clues": {"hypercalciuria": True, "preterm_infant": True}})
    assert any(item["clue"] == "preterm_infant" for item in entry(child, "chronic_hypercalciuria")["supporting"])
    assert not any(w["id"] == "counted_in_prior_preterm_infant" for w in child["warnings"])


def test_a_neonate_with_pth_driven_hypercalcaemia_is_not_the_nephrocalcinosis_of_prematurity(rank: Any) -> None:
    """A neonate with a calcium of 16.5 mg/dL and a PTH of 650 pg/mL has PTH-driven hypercalcaemia (neonatal
    severe hyperparathyroidism): the raised PTH of a preterm infant is the secondary kind with a normal calcium,
    and parenteral-nutrition hypercalcaemia suppresses the PTH, so the prematurity form's large prior no longer
    wins. Hyperparathyroidism and the open world share the lead: neonatal severe
    hyperparathyroidism is homozygous CASR loss, the severe form of FHH (CLINICAL-EXTENDED 2.13), outside the
    twelve, and the open world's medullary share from the extended pack (97.8% at this age, knowledge base
    2.9.32) tipped the tie to it."""
    case = {"pattern": "medullary", "age_years": 0.05, "labs": {"serum_calcium": {"value": 16.5, "unit": "mg/dL"},
                                                                 "pth": {"value": 650, "unit": "pg/mL"}}}
    result = rank(case)
    assert ranking(result)[0] in ("hyperparathyroidism", "other")
    # (about 41% each until round 66, when the PTH's "not suppressed" stopped counting again beside its "raised":
    # other 46%, hyperparathyroidism 30%)
    assert probability(result, "hyperparathyroidism") > 0.25 and probability(result, "other") > 0.35
    assert probability(result, "chronic_hypercalciuria") < 0.2
    calcium_only = rank({**case, "labs": {"serum_calcium": {"value": 16.5, "unit": "mg/dL"}}})
    assert ranking(calcium_only)[0] != "hyperparathyroidism"  # without the PTH, nothing says PTH-driven


def test_preterm_birth_is_not_counted_for_a_calcification_found_in_an_adult(rank: Any) -> None:
    """--age 80 --preterm-infant counted preterm birth (x2.5 for idiopathic hypercalciuria) and changed the leading
    cause (QA review): the nephrocalcinosis of prematurity is found in infancy and childhood."""
    adult = {"pattern": "medullary", "age_years": 80, "clues": {"hypercalciuria": True}}
    stated = rank({**adult, "clues": {"hypercalciuria": True, "preterm_infant": True}})
    assert [(e["cause"], e["probability"]) for e in stated["differential"]] == \
        [(e["cause"], e["probability"]) for e in rank(adult)["differential"]]
    assert any(w["id"] == "set_aside_preterm_infant" for w in stated["warnings"])


def _rename_copy(pack: Path) -> None:
    """A copy of the extended knowledge base, renamed: a pack may not take the shipped name."""
    pack_toml = pack / "pack.toml"
    pack_toml.write_text(pack_toml.read_text(encoding="utf-8").replace(
        'name = "nephrocalc extended knowledge base"', 'name = "extended copy"', 1), encoding="utf-8")


def test_hypocalcaemia_argues_against_idiopathic_hypercalciuria_only(rank: Any) -> None:
    """Blind round 6: a 4-month-old with hypocalcaemia and oxalate crystals in the kidney had idiopathic
    hypercalciuria first at 73% with the hypocalcaemia unexplained and a good fit. Idiopathic hypercalciuria is
    normocalcaemic [ClinLabNav]: hypocalcaemia now counts against that form (x0.2), not against the loop-diuretic
    form, nor the nephrocalcinosis of prematurity (early neonatal hypocalcaemia is common)."""
    infant = {"pattern": "medullary", "modality": "us", "age_years": 0.33, "sex": "male",
              "clues": {"hypocalcemia": True, "hyperuricemia": True, "calcium_oxalate_stones": True}}
    result = rank(infant)
    assert result["differential"][0]["cause"] != "chronic_hypercalciuria"
    assert result["fit"]["status"] == "poor"
    terms = {(t["clue"], t["present"]): t["weight"] for e in result["differential"]
             if e["cause"] == "chronic_hypercalciuria" for t in e["conflicting"]}
    assert terms[("hypocalcemia", True)] == round(math.log(0.2), 2)
    preterm = rank({"pattern": "medullary", "age_years": 0.05, "clues": {
        "preterm_infant": True, "loop_diuretic": True, "hypocalcemia": True}})
    assert preterm["differential"][0]["cause"] == "chronic_hypercalciuria"
    assert preterm["differential"][0]["form"] != "idiopathic"
