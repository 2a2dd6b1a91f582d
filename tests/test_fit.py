"""The open world and the fit (CONTRACT.md section 7), contradictions and grey zones (AUDIT D3, D4, D9)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from helpers import entry, invoke, probability, ranking

from nephrocalc.case import Case
from nephrocalc.knowledge import KnowledgeBase

CLASSIC_DRTA = {"pattern": "medullary", "age_years": 8, "modality": "us",
                "clues": {"metabolic_acidosis": True, "alkaline_urine": True, "hypokalemia": True,
                          "hypercalcemia": False, "nephrolithiasis": True}}


def test_a_classic_presentation_fits_well_with_other_low(rank: Any) -> None:
    result = rank(CLASSIC_DRTA)
    assert ranking(result)[0] == "distal_rta"
    assert result["fit"] == {"status": "good", "unexplained": [], "consider": []}
    assert probability(result, "other") < 0.05


def test_other_is_one_entry_and_probabilities_sum_to_one(rank: Any, kb: KnowledgeBase) -> None:
    result = rank({"pattern": "cortical"})
    causes = [e["cause"] for e in result["differential"]]
    assert causes.count("other") == 1 and len(causes) == len(kb.causes) + 1
    assert math.isclose(sum(e["probability"] for e in result["differential"]), 1.0, abs_tol=1e-9)


def test_other_has_an_age_dependent_prior(rank: Any, kb: KnowledgeBase) -> None:
    for age, group in ((40, "adult"), (8, "child")):
        other = entry(rank({"pattern": "medullary", "age_years": age}), "other")
        assert other["prior"] == pytest.approx(kb.other.prior[group], abs=1e-4)
    assert kb.other.prior["child"] > kb.other.prior["adult"], "more causes outside the list in children"


def test_a_finding_no_cause_lists_raises_other(rank: Any, kb: KnowledgeBase) -> None:
    unused = sorted(set(kb.clues) - set(kb.used_clues))
    assert unused, "the vocabulary holds findings of causes outside the knowledge base"
    base = {"pattern": "medullary", "age_years": 40}
    before = probability(rank(base), "other")
    after = probability(rank({**base, "clues": {unused[0]: True}}), "other")
    assert after > before


def test_other_first_is_a_poor_fit(rank: Any, kb: KnowledgeBase) -> None:
    unused = sorted(set(kb.clues) - set(kb.used_clues))[:6]
    result = rank({"pattern": "medullary", "age_years": 40, "clues": dict.fromkeys(unused, True)})
    if ranking(result)[0] == "other":
        assert result["fit"]["status"] == "poor"


def test_a_contradicting_finding_is_unexplained_and_poor(rank: Any, kb: KnowledgeBase) -> None:
    """metabolic alkalosis contradicts distal RTA: stated with an RTA picture, the fit is poor."""
    contradicting = [(c.id, f.clue) for c in kb.causes.values() for form in c.forms for f in form.findings.values()
                     if f.contradiction]
    assert contradicting, "the knowledge base states contradictions"
    result = rank({"pattern": "medullary", "age_years": 30, "clues": {"rta": True, "metabolic_alkalosis": True}})
    if ("distal_rta", "metabolic_alkalosis") in contradicting and ranking(result)[0] == "distal_rta":
        assert result["fit"]["status"] == "poor" and "metabolic_alkalosis" in result["fit"]["unexplained"]


def test_every_stated_contradiction_lowers_its_cause(rank: Any, kb: KnowledgeBase) -> None:
    """A finding that contradicts every form of a cause lowers it (one that contradicts one form only
    may raise the cause through another form: hypocalcaemia is against vitamin D intoxication but
    expected in treated hypoparathyroidism)."""
    for cause in kb.causes.values():
        everywhere = set.intersection(*({f.clue for f in form.findings.values() if f.contradiction}
                                        for form in cause.forms))
        for clue in sorted(everywhere):
            base = {"pattern": "medullary" if cause.distribution == "medullary" else "cortical", "age_years": 40}
            before = probability(rank(base), cause.id)
            after = probability(rank({**base, "clues": {clue: True}}), cause.id)
            assert after < before, (cause.id, clue)


def test_contradiction_weight_is_its_own_and_shown(rank: Any, kb: KnowledgeBase) -> None:
    for cause in kb.causes.values():
        for form in cause.forms:
            for finding in form.findings.values():
                if finding.contradiction:
                    assert finding.lr_present < 1.0 and finding.lr_absent == 1.0
                    assert finding.frequency is None


@pytest.mark.parametrize(("labs", "clues"), [
    # PTH 20 pg/mL with hypercalcaemia: neither suppressed nor raised
    ({"pth": {"value": 20, "unit": "pg/mL"}}, {"hypercalcemia": True}),
    # calcium 10.3 mg/dL (albumin 4.0 g/dL) in an adult: neither hypercalcaemia nor its absence
    ({"serum_calcium": {"value": 10.3, "unit": "mg/dL"}, "serum_albumin": {"value": 4.0, "unit": "g/dL"}},
     {"hypocalcemia": False, "hypoalbuminemia": False}),
    # no acidaemia: a random urine pH says nothing
    ({"urine_ph": {"value": 6.5, "unit": "pH"}}, {}),
    # a raised PTH without a calcium says only that PTH is not suppressed
    ({"pth": {"value": 150, "unit": "pg/mL"}}, {"low_pth": False}),
])
def test_a_lab_value_in_a_grey_zone_changes_nothing(labs: dict[str, Any], clues: dict[str, bool], rank: Any) -> None:
    base = {"pattern": "medullary", "age_years": 45, "sex": "female", "clues": clues}
    without = rank(base)
    with_lab = rank({**base, "labs": labs})
    assert [(e["cause"], e["probability"]) for e in with_lab["differential"]] == \
        [(e["cause"], e["probability"]) for e in without["differential"]]


def test_a_raised_pth_with_a_low_calcium_is_not_primary_hyperparathyroidism(rank: Any) -> None:
    """Secondary hyperparathyroidism (AUDIT D1): vitamin D deficiency with hypocalcaemia."""
    result = rank({"pattern": "medullary", "age_years": 60, "sex": "female",
                   "labs": {"serum_calcium": {"value": 8.0, "unit": "mg/dL"}, "pth": {"value": 150, "unit": "pg/mL"},
                            "vitamin_d_25oh": {"value": 8, "unit": "ng/mL"}}})
    assert not any(d["clue"] == "high_pth" and d["present"] for d in result["derived"])
    assert probability(result, "hyperparathyroidism") < 0.5


def test_alkaline_urine_counts_only_with_acidosis(rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": 8, "clues": {"metabolic_acidosis": True},
                   "labs": {"urine_ph": {"value": 6.5, "unit": "pH"}}})
    assert any(d["clue"] == "alkaline_urine" and d["present"] for d in result["derived"])


def test_no_egfr_derived_ckd_under_two_years(rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": 0.25, "labs": {"egfr": {"value": 40, "unit": "mL/min/1.73m2"}}})
    assert not any(d["clue"] == "ckd" for d in result["derived"])


def test_calcium_is_corrected_for_albumin(rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": 50, "labs": {
        "serum_calcium": {"value": 9.9, "unit": "mg/dL"}, "serum_albumin": {"value": 2.5, "unit": "g/dL"}}})
    step = next(d for d in result["derived"] if d["clue"] == "hypercalcemia")
    assert step["present"] and "corrected for albumin" in step["text"]
    uncorrected = rank({"pattern": "medullary", "age_years": 50, "labs": {"serum_calcium": {"value": 9.9,
                                                                                             "unit": "mg/dL"}}})
    assert "calcium_not_corrected" in [w["id"] for w in uncorrected["warnings"]]


def test_tubular_ectasia_absent_counts_only_on_urography(rank: Any) -> None:
    base = {"pattern": "medullary", "age_years": 35, "clues": {"nephrolithiasis": True, "tubular_ectasia": False}}
    on_us = rank({**base, "modality": "us"})
    on_ctu = rank({**base, "modality": "ctu"})
    assert probability(on_ctu, "medullary_sponge_kidney") < probability(on_us, "medullary_sponge_kidney")
    assert "absent_not_shown_tubular_ectasia" in [w["id"] for w in on_us["warnings"]]
    assert probability(on_us, "medullary_sponge_kidney") == probability(
        rank({**base, "modality": "us", "clues": {"nephrolithiasis": True}}), "medullary_sponge_kidney")


def test_rta_is_not_counted_again_with_its_components(rank: Any) -> None:
    alone = rank({"pattern": "medullary", "age_years": 30, "clues": {"rta": True}})
    with_parts = rank({"pattern": "medullary", "age_years": 30,
                       "clues": {"rta": True, "metabolic_acidosis": True, "alkaline_urine": True}})
    assert entry(with_parts, "distal_rta")["score"] == pytest.approx(entry(alone, "distal_rta")["score"], abs=1e-6)
    assert "counted_in_rta" in [w["id"] for w in with_parts["warnings"]]


def test_displayed_certainty_is_capped_without_a_defining_finding(rank: Any) -> None:
    for case in (CLASSIC_DRTA, {"pattern": "cortical", "age_years": 30, "sex": "female",
                                "clues": {"obstetric_catastrophe": True, "acute_kidney_injury": True}}):
        result = rank(case)
        for item in result["differential"]:
            strongest = max((e["weight"] for e in item["supporting"]), default=0.0)
            if item["capped"]:  # stated at the cap, and only for want of a defining finding
                assert item["probability"] == 0.95 and strongest < math.log(20.0) and item["rank"] == 1
            else:
                assert item["probability"] <= 0.95 or strongest >= math.log(20.0)
        assert sum(item["probability"] for item in result["differential"]) == pytest.approx(1.0, abs=1e-9)
    # a classic picture without a defining finding is capped: the others share what the leader gives up
    capped = rank({"pattern": "medullary", "modality": "ct", "age_years": 58, "sex": "female",
                   "laterality": "bilateral", "clues": {"hypercalcemia": True, "high_pth": True,
                                                        "hypophosphatemia": True, "hypercalciuria": True,
                                                        "nephrolithiasis": True, "vitamin_d_therapy": False}})
    first, second = capped["differential"][:2]
    assert first["capped"] and first["probability"] == 0.95 and second["probability"] < 0.05
    assert [e["cause"] for e in capped["differential"]] == sorted(
        [e["cause"] for e in capped["differential"]], key=lambda c: -next(
            e["score"] for e in capped["differential"] if e["cause"] == c))


def _entry(cause: str, probability: float, evidence: list[tuple[str, float]]) -> dict[str, Any]:
    items = [{"clue": clue, "present": True, "weight": weight, "why": "", "sources": []} for clue, weight in evidence]
    return {"cause": cause, "probability": probability, "supporting": [e for e in items if e["weight"] > 0],
            "conflicting": [e for e in items if e["weight"] < 0]}


def test_assess_fit_directly(kb: KnowledgeBase) -> None:
    from nephrocalc.engine.fit import assess_fit

    specific = next(c.id for c in kb.clues.values() if c.background <= kb.fit.unexplained_background)
    others = [c.id for c in kb.clues.values() if c.background <= kb.fit.unexplained_background and c.id != specific]
    case = Case(pattern="medullary")
    good = assess_fit(kb, case, [(specific, True)], [_entry("a", 0.9, [(specific, 2.0)]), _entry("other", 0.1, [])],
                      [])
    assert good == {"status": "good", "unexplained": [], "consider": []}
    contradicted = assess_fit(kb, case, [(specific, True)], [_entry("a", 0.9, [(specific, -3.0)])], [])
    assert contradicted["status"] == "poor" and contradicted["unexplained"] == [specific]
    # one finding mildly against a leader that another stated finding supports: tolerated ([fit] max_unexplained)
    mild = assess_fit(kb, case, [(specific, True), (others[1], True)],
                      [_entry("a", 0.9, [(specific, -1.0), (others[1], 1.5)])], [])
    assert mild["status"] == "good" and mild["unexplained"] == [specific]
    # the same finding with nothing stated for the leader: it rests on its prior and explains nothing (blind
    # battery 50: a hypocalcaemia with the leaders at 36% each on their priors said "good")
    unsupported = assess_fit(kb, case, [(specific, True)], [_entry("a", 0.9, [(specific, -1.0)])], [])
    assert unsupported["status"] == "poor" and unsupported["unexplained"] == [specific]
    absent_only = assess_fit(kb, case, [(specific, True), (others[1], False)],
                             [_entry("a", 0.9, [(specific, -1.0), (others[1], 0.5)])], [])
    assert absent_only["status"] == "poor"
    two = assess_fit(kb, case, [(specific, True), (others[0], True)], [_entry("a", 0.9, [])], [])
    assert two["status"] == "poor" and set(two["unexplained"]) == {specific, others[0]}
    explained_by_second = assess_fit(kb, case, [(specific, True)],
                                     [_entry("a", 0.6, []), _entry("b", 0.3, [(specific, 2.0)])], [])
    assert explained_by_second["unexplained"] == []
    other_first = assess_fit(kb, case, [], [_entry("other", 0.5, []), _entry("a", 0.4, [])], [])
    assert other_first["status"] == "poor"
    rule = kb.caveats[0]._replace(kind="consider", cause="bartter_syndrome", name="Bartter", message="why",
                                  poor_fit=True)
    with_rule = assess_fit(kb, case, [], [_entry("a", 0.9, [])], [rule, rule])
    assert with_rule["status"] == "poor"
    assert with_rule["consider"] == [{"cause": "bartter_syndrome", "name": "Bartter", "why": "why"}]
    loaded = rule._replace(cause=next(iter(kb.causes)))
    assert assess_fit(kb, case, [], [_entry("a", 0.9, [])], [loaded])["consider"] == []


def test_the_albumin_correction_is_payne(rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": 50, "labs": {
        "serum_calcium": {"value": 9.9, "unit": "mg/dL"}, "serum_albumin": {"value": 2.5, "unit": "g/dL"}}})
    step = next(d for d in result["derived"] if d["clue"] == "hypercalcemia")
    assert step["canonical_value"] == pytest.approx(9.9 + 0.8 * (4.0 - 2.5))


def test_absent_evidence_says_absent(rank: Any) -> None:
    result = rank({"pattern": "medullary", "age_years": 8, "clues": {"metabolic_acidosis": False}})
    drta = entry(result, "distal_rta")
    item = next(e for e in (*drta["conflicting"], *drta["supporting"]) if e["clue"] == "metabolic_acidosis")
    assert item["present"] is False and "absent" in item["why"]
    # in the incomplete form (normal bicarbonate) the absence fits: it is not said "though it is ... present"
    assert drta["form"] != "incomplete" or "as expected" in item["why"], item


def test_with_the_pattern_unknown_clues_still_count_both_ways(engine: Any, kb: KnowledgeBase) -> None:
    from nephrocalc.case import Case

    base = engine.rank(Case(pattern=None, age_years=8.0))
    absent = engine.rank(Case(pattern=None, age_years=8.0, clues={"metabolic_acidosis": False}))
    present = engine.rank(Case(pattern=None, age_years=8.0, clues={"metabolic_acidosis": True}))
    assert probability(absent, "distal_rta") < probability(base, "distal_rta") < probability(present, "distal_rta")
    assert all(f["factor"] != "pattern" for e in base["differential"] for f in e["context"])


def test_acidosis_and_alkalosis_both_stated_are_contradictory_input(kb: KnowledgeBase) -> None:
    """The acid-base state is one variable ([[exclusive]]): both stated present, neither is counted (the
    alkalosis no longer cancels a stated dRTA), the fit is poor and says the input contradicts itself."""
    from nephrocalc.engine import load_engine
    from nephrocalc.intake import parse_case

    engine = load_engine()
    both = engine.rank(parse_case({"pattern": "medullary", "clues": {
        "alkaline_urine": True, "metabolic_acidosis": True, "metabolic_alkalosis": True}}, engine.kb))
    alone = engine.rank(parse_case({"pattern": "medullary", "clues": {"alkaline_urine": True}}, engine.kb))
    assert both["fit"]["status"] == "poor"
    assert both["fit"]["contradictory"] == ["metabolic_acidosis", "metabolic_alkalosis"]
    assert set(both["fit"]["unexplained"]) >= {"metabolic_acidosis", "metabolic_alkalosis"}
    assert [e["cause"] for e in both["differential"]] == [e["cause"] for e in alone["differential"]]
    assert any(w["id"].startswith("contradictory_") for w in both["warnings"])
    # one of them alone is ordinary evidence, and the fit object has no "contradictory" key
    one = engine.rank(parse_case({"pattern": "medullary", "clues": {"metabolic_alkalosis": True}}, engine.kb))
    assert "contradictory" not in one["fit"]
    # a lab-derived acidosis against a stated alkalosis is the same contradiction
    lab = engine.rank(parse_case({"pattern": "medullary", "age_years": 40, "clues": {"metabolic_alkalosis": True},
                                  "labs": {"serum_bicarbonate": {"value": 12, "unit": "mmol/L"}}}, engine.kb))
    assert lab["fit"].get("contradictory") == ["metabolic_acidosis", "metabolic_alkalosis"]


def test_a_stated_diagnosis_reads_both_acid_base_states_as_findings_of_different_times(kb: KnowledgeBase) -> None:
    """dRTA stated with an acidosis and an alkalosis (an ATP6V1B1 phenopacket: the infant presented vomiting,
    with a hypokalaemic alkalosis): neither state is counted, the alkalosis does not cancel the stated
    diagnosis, and the fit is judged on the rest, not made poor by a course that held both."""
    from nephrocalc.engine import load_engine
    from nephrocalc.intake import parse_case

    engine = load_engine()
    both = engine.rank(parse_case({"pattern": "medullary", "clues": {
        "rta": True, "hypokalemia": True, "metabolic_acidosis": True, "metabolic_alkalosis": True}}, engine.kb))
    alone = engine.rank(parse_case({"pattern": "medullary", "clues": {"rta": True, "hypokalemia": True}}, engine.kb))
    assert [e["cause"] for e in both["differential"]] == [e["cause"] for e in alone["differential"]]
    assert both["differential"][0]["cause"] == "distal_rta"
    # nor does the set-aside alkalosis, with the hypokalaemia, make the Bartter pattern a poor fit
    assert both["fit"]["status"] == alone["fit"]["status"] == "good"
    assert "contradictory" not in both["fit"]
    warning = next(w for w in both["warnings"] if w["id"].startswith("contradictory_"))
    assert "different times" in warning["message"]


def test_the_table_says_the_input_contradicts_itself() -> None:
    status, out, err = invoke(["diff", "--pattern", "medullary", "--metabolic-acidosis", "--metabolic-alkalosis"])
    assert status == 0, err
    assert out.splitlines()[0].startswith("Poor fit: the stated findings contradict each other: Metabolic acidosis")


def test_other_measurements_stated_both_ways_are_warned_about_and_still_counted() -> None:
    status, out, err = invoke(["diff", "--pattern", "medullary", "--hypercalcemia", "--hypocalcemia",
                               "--format", "json"])
    assert status == 0, err
    result = json.loads(out)
    assert "hyper_and_hypocalcaemia_stated" in {w["id"] for w in result["warnings"]}
    assert "contradictory" not in result["fit"]


def test_an_adults_creatinine_is_read_through_the_ckd_epi_2021_egfr(rank: Any) -> None:
    # worked example of the equation [Inker21]: a 55-year-old woman with creatinine 0.9 mg/dL has an eGFR of
    # 142 x (0.9/0.7)^-1.200 x 0.9938^55 x 1.012 = 75.5, reported as 75 mL/min/1.73 m2
    normal = rank({"pattern": "medullary", "age_years": 55, "sex": "female",
                   "labs": {"serum_creatinine": {"value": 0.9, "unit": "mg/dL"}}})
    step = next(d for d in normal["derived"] if d["clue"] == "ckd")
    assert step["lab"] == "serum_creatinine" and step["present"] is False
    # reported in whole mL/min/1.73 m2, as laboratories report it: the value shown is the value compared
    assert step["canonical_value"] == round(142 * (0.9 / 0.7) ** -1.2 * 0.9938 ** 55 * 1.012) == 75
    assert step["computed"] == "egfr" and step["canonical_unit"] == "mL/min/1.73m2"
    assert "CKD-EPI 2021" in step["text"] and "Inker21" in step["sources"]
    failing = rank({"pattern": "medullary", "age_years": 26, "sex": "male",
                    "labs": {"serum_creatinine": {"value": 450, "unit": "umol/L"}}})
    assert next(d for d in failing["derived"] if d["clue"] == "ckd")["present"] is True


def test_no_egfr_is_computed_for_a_child_or_an_unknown_sex(rank: Any) -> None:
    for case in ({"age_years": 10, "sex": "male"}, {"age_years": 40}):
        result = rank({"pattern": "medullary", **case, "labs": {"serum_creatinine": {"value": 3.0, "unit": "mg/dL"}}})
        assert not any(d["clue"] == "ckd" for d in result["derived"])
        assert any("needs an age of 18 years or more and the sex" in w["message"] for w in result["warnings"])


def test_a_given_egfr_wins_over_the_creatinine_and_acute_kidney_injury_derives_no_ckd(rank: Any) -> None:
    both = rank({"pattern": "medullary", "age_years": 40, "sex": "female", "labs": {
        "serum_creatinine": {"value": 3.0, "unit": "mg/dL"}, "egfr": {"value": 75, "unit": "mL/min/1.73m2"}}})
    assert [d["lab"] for d in both["derived"] if d["clue"] == "ckd"] == ["egfr"]
    assert any("the eGFR given was used" in w["message"] for w in both["warnings"])
    acute = rank({"pattern": "medullary", "age_years": 40, "sex": "female", "clues": {"acute_kidney_injury": True},
                  "labs": {"serum_creatinine": {"value": 3.0, "unit": "mg/dL"}}})
    assert not any(d["clue"] == "ckd" for d in acute["derived"])
    assert any("was not read as ckd with acute_kidney_injury" in w["message"] for w in acute["warnings"])


def test_the_open_world_has_its_own_unilateral_share(rank: Any, kb: KnowledgeBase) -> None:
    # systemic causes are bilateral (2%); causes outside the knowledge base include focal ones (5%)
    assert kb.other.unilateral == 0.05 and kb.default_unilateral == 0.02
    result = rank({"pattern": "medullary", "age_years": 40, "laterality": "unilateral"})
    factor = next(f for f in entry(result, "other")["context"] if f["factor"] == "laterality")
    assert factor["weight"] == pytest.approx(math.log(0.05 / 0.02), abs=0.01)
    assert "5% of medullary calcification outside the knowledge base is unilateral" in factor["why"]


def test_the_fit_is_poor_when_the_leader_lacks_what_it_nearly_always_has(rank: Any, run_main: Any) -> None:
    # distal RTA is an alkaline urine during acidosis [Jha11]: in an acidaemic, hypokalaemic, dehydrated child with
    # the alkaline urine stated absent it no longer explains the picture, and no longer leads it alone (a
    # bicarbonate loss from the gut, outside the twelve, ties with it)
    base = {"pattern": "medullary", "age_years": 9, "sex": "male",
            "clues": {"vomiting_or_dehydration": True, "metabolic_acidosis": True, "hypokalemia": True,
                      "alkaline_urine": True}}
    assert rank(base)["fit"]["status"] == "good"
    lacking = rank({**base, "clues": {**base["clues"], "alkaline_urine": False}})
    assert set(ranking(lacking)[:2]) == {"distal_rta", "other"}
    assert lacking["fit"]["status"] == "poor" and lacking["fit"]["absent"] == ["alkaline_urine"]
    assert lacking["fit"]["absent_in"] == "distal_rta"
    status, out, _ = run_main(["diff", "-p", "medullary", "--age", "9", "--sex", "male", "--vomiting-or-dehydration",
                               "--metabolic-acidosis", "--hypokalemia", "--no-alkaline-urine"])
    first = " ".join(out.split("Differential")[0].split())
    assert status == 0 and "nearly always has alkaline urine, absent here" in first
    # cortical necrosis is anuric acute kidney injury [Sahay13]: stated absent, it no longer leads after an
    # obstetric catastrophe (blind battery 31: it led at 58% on the 'always' level's ratio)
    cortical = {"pattern": "cortical", "modality": "ct", "age_years": 30, "sex": "female",
                "clues": {"obstetric_catastrophe": True, "acute_kidney_injury": False}}
    assert ranking(rank(cortical))[0] != "cortical_necrosis"
    # a stated diagnosis that contains findings is left out: "no RTA" in incomplete distal RTA
    incomplete = rank({"pattern": "medullary", "age_years": 35, "sex": "female",
                       "clues": {"rta": False, "alkaline_urine": True, "metabolic_acidosis": False}})
    assert "absent" not in incomplete["fit"]


def test_a_defining_finding_does_not_lift_the_cap_when_one_nearly_always_present_is_absent(rank: Any) -> None:
    # a parathyroid lesion defines hyperparathyroidism, which nearly always has a raised or unsuppressed PTH
    # (cortical necrosis without acute kidney injury, the earlier example, no longer leads: blind battery 31)
    case = {"pattern": "medullary", "age_years": 55, "sex": "female",
            "clues": {"parathyroid_lesion": True, "hypercalcemia": True, "nephrolithiasis": True}}
    with_pth = rank(case)
    assert with_pth["differential"][0]["probability"] > 0.95 and not with_pth["differential"][0]["capped"]
    without = rank({**case, "clues": {**case["clues"], "high_pth": False}})
    top = without["differential"][0]
    assert top["cause"] == "hyperparathyroidism" and top["capped"] and top["probability"] == 0.95
    assert without["fit"]["absent"] == ["high_pth"]


def test_a_finding_that_the_stated_condition_explains_is_not_unexplained(rank: Any, kb: KnowledgeBase) -> None:
    """The hypocalcaemia and hyperphosphataemia of CKD are explained by the CKD (clues.toml
    given_background), whichever cause leads: without CKD the same findings are unexplained."""
    case = {"pattern": "medullary", "modality": "ctu", "age_years": 40, "sex": "female",
            "clues": {"tubular_ectasia": True, "nephrolithiasis": True, "hypocalcemia": True,
                      "hyperphosphatemia": True}}
    alone = rank(case)
    assert ranking(alone)[0] == "medullary_sponge_kidney"
    assert alone["fit"]["status"] == "poor"
    assert set(alone["fit"]["unexplained"]) == {"hypocalcemia", "hyperphosphatemia"}
    for clue in ("hypocalcemia", "hyperphosphatemia"):
        assert "ckd" in [given.given for given in kb.clues[clue].given_backgrounds]
    with_ckd = rank({**case, "clues": {**case["clues"], "ckd": True}})
    assert ranking(with_ckd)[0] == "medullary_sponge_kidney"
    assert with_ckd["fit"] == {"status": "good", "unexplained": [], "consider": []}


def test_the_hint_to_run_with_extended_is_not_given_when_it_was(run_main: Any) -> None:
    """A poor fit's 'consider' list ends with the hint to add --extended; a run that already has it is not
    told to add it (an endocrinology review found the hint under --extended)."""
    flags = ["diff", "--pattern", "medullary", "--age", "20", "--hypercalcemia", "--immobilization", "--low-pth",
             "--no-vitamin-d-therapy", "--no-sarcoidosis", "--no-malignancy"]
    status, out, err = run_main(flags)
    assert status == 0 and "Consider:" in out and "Run with --extended" in out, err
    status, out, err = run_main([*flags, "--extended"])
    assert status == 0 and "Consider:" in out and "Run with --extended" not in out, err


@pytest.mark.parametrize("drug", ["--thiazide", "--lithium"])
def test_hypercalcaemia_on_a_thiazide_or_lithium_says_stop_and_retest(drug: str, run_main: Any) -> None:
    """An endocrinology review: primary HPT above 95% on a thiazide with no advice to stop the drug and re-test
    before imaging the parathyroids. Without hypercalcaemia the caveat is not given."""
    status, out, err = run_main(["diff", "-p", "medullary", "--age", "64", "--sex", "female", drug, "--lab",
                                 "serum_calcium=10.8mg/dL", "--lab", "pth=45pg/mL", "--format", "json"])
    assert status == 0 and "drug_hypercalcemia_retest" in {c["id"] for c in json.loads(out)["caveats"]}, err
    status, out, err = run_main(["diff", "-p", "medullary", "--age", "64", drug, "--format", "json"])
    assert status == 0 and "drug_hypercalcemia_retest" not in {c["id"] for c in json.loads(out)["caveats"]}, err


def test_known_tuberculosis_with_calcitriol_hypercalcaemia_is_not_called_sarcoidosis(run_main: Any) -> None:
    """An endocrinology review: known TB with PTH-independent, calcitriol-mediated hypercalcaemia gave sarcoidosis
    77% (steroids without antituberculous cover disseminate TB). Tuberculosis now argues against sarcoidosis
    [Crouser20] and, with hypercalcaemia, counts for a cause outside the twelve, which leads."""
    status, out, err = run_main(["diff", "-p", "medullary", "--age", "35", "--sex", "male", "--tuberculosis", "--lab",
                                 "serum_calcium=11.6mg/dL", "--lab", "pth=8pg/mL", "--lab", "vitamin_d_1_25=90pg/mL",
                                 "--format", "json"])
    assert status == 0, err
    ranked = json.loads(out)["differential"]
    assert ranked[0]["cause"] == "other"
    sarcoidosis = next(e for e in ranked if e["cause"] == "sarcoidosis")
    assert [e["weight"] for e in sarcoidosis["conflicting"] if e["clue"] == "tuberculosis"] == [-1.2]


def test_a_structural_diagnosis_is_not_near_certain_before_its_defining_finding(run_main: Any) -> None:
    """AUDIT D10: medullary sponge kidney at 96.9% on ultrasound alone. Its [certainty] caps it at 70% ('>70%')
    until tubular ectasia is stated; the others share the rest; with tubular ectasia the usual rules apply."""
    base = ["diff", "-p", "medullary", "-m", "us", "--age", "33", "--sex", "female", "--laterality", "unilateral",
            "--nephrolithiasis", "--hematuria", "--renal-colic"]
    status, out, err = run_main([*base, "--format", "json"])
    assert status == 0, err
    ranked = json.loads(out)["differential"]
    assert ranked[0]["cause"] == "medullary_sponge_kidney" and ranked[0]["probability"] == 0.7 and ranked[0]["capped"]
    assert sum(e["probability"] for e in ranked) == pytest.approx(1.0, abs=1e-6)
    status, out, err = run_main(base)
    assert status == 0 and ">70%" in out, err
    urography = [("ctu" if item == "us" else item) for item in base]
    status, out, err = run_main([*urography, "--tubular-ectasia", "--format", "json"])
    assert status == 0 and json.loads(out)["differential"][0]["probability"] > 0.95, err


def test_rules_check_names_a_certainty_on_an_unknown_clue(tmp_path: Any, run_main: Any) -> None:
    import shutil

    from nephrocalc.loader import builtin_rules_dir

    copy = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), copy)
    path = copy / "causes" / "medullary_sponge_kidney.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('unless = "tubular_ectasia"', 'unless = "tubular_ectasy"'),
                    encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(copy)])
    assert status == 2 and "medullary_sponge_kidney.toml: certainty.unless: unknown clue 'tubular_ectasy'" in err, err


def test_a_low_pth_with_hypomagnesaemic_hypocalcaemia_is_set_aside(run_main: Any) -> None:
    """Magnesium deficiency makes a functional hypoparathyroidism: a magnesium of 0.3 mmol/L, a calcium of 7.5
    and a PTH of 8 gave 'treated hypoparathyroidism' 86% with no treatment (endocrinology review)."""
    status, out, err = run_main(["diff", "-p", "medullary", "--age", "60", "--sex", "male", "--lab",
                                 "serum_magnesium=0.3mmol/L", "--lab", "serum_calcium=7.5mg/dL", "--lab",
                                 "pth=8pg/mL", "--format", "json"])
    assert status == 0, err
    result = json.loads(out)
    assert result["differential"][0]["probability"] < 0.5
    assert not any(e["clue"] == "low_pth" for entry in result["differential"] for e in entry["supporting"])
    assert any("magnesium deficiency" in n["message"] for n in (*result["warnings"], *result["caveats"]))


def test_hypercalcaemia_with_a_raised_pth_on_phosphate_names_tertiary_hyperparathyroidism(run_main: Any) -> None:
    status, out, err = run_main(["diff", "-p", "medullary", "--age", "30", "--sex", "female", "--vitamin-d-therapy",
                                 "--phosphate-therapy", "--lab", "serum_calcium=11.0mg/dL", "--lab", "pth=250pg/mL",
                                 "--format", "json"])
    assert status == 0 and "phosphate_tertiary_hpt" in {c["id"] for c in json.loads(out)["caveats"]}, err


def test_a_suggestive_finding_does_not_lift_the_certainty_cap(run_main: Any) -> None:
    """Hilar lymphadenopathy (x40) lifted the cap and sarcoidosis read '>99.9%' (endocrinology review), though
    lymphoma and tuberculosis give it too: a clue marked defining = false leaves the cap in place, and a
    defining one (non-caseating granulomas) still lifts it."""
    labs = ["--lab", "serum_calcium=11.8mg/dL", "--lab", "pth=9pg/mL", "--lab", "vitamin_d_1_25=110pg/mL"]
    base = ["diff", "-p", "medullary", "--age", "42", "--sex", "female", *labs, "--format", "json"]
    status, out, err = run_main([*base, "--hilar-lymphadenopathy"])
    top = json.loads(out)["differential"][0]
    assert status == 0 and top["cause"] == "sarcoidosis" and top["probability"] == 0.95 and top["capped"], err
    status, out, err = run_main([*base, "--hilar-lymphadenopathy", "--noncaseating-granulomas"])
    top = json.loads(out)["differential"][0]
    assert status == 0 and top["cause"] == "sarcoidosis" and top["probability"] > 0.95 and not top["capped"], err


def test_a_leading_cause_that_does_not_calcify_leaves_the_fit_poor(run_main: Any) -> None:
    """FHH (extended, calcifies = false) led at 99% for a nephrocalcinosis with a good fit (endocrinology
    review): the calcification still needs its own explanation, so the fit is poor, the table says why, and the
    probability shown is capped at 95% whatever its findings."""
    args = ["diff", "-p", "medullary", "--age", "40", "--sex", "female", "--lab", "serum_magnesium=2.8mg/dL", "--lab",
            "serum_calcium=10.8mg/dL", "--lab", "pth=48pg/mL", "--hypocalciuria", "--extended"]
    status, out, err = run_main([*args, "--format", "json"])
    result = json.loads(out)
    assert status == 0 and result["differential"][0]["cause"] == "familial_hypocalciuric_hypercalcemia", err
    assert result["fit"]["status"] == "poor"
    assert result["fit"]["not_calcifying"] == "familial_hypocalciuric_hypercalcemia"
    # nor is it shown near-certain: it cannot be the whole answer
    top = result["differential"][0]
    assert top["probability"] <= 0.95 and top["capped"]
    status, out, err = run_main(args)
    assert status == 0 and out.startswith("Poor fit: the leading cause does not itself calcify the kidneys"), out


def test_an_acid_urine_during_acidosis_counts_for_a_cause_outside_the_twelve(run_main: Any) -> None:
    """Sjogren syndrome with a bicarbonate of 16, potassium 3.1 and a urine pH of 5.0 had distal RTA at 77%
    (blind scenario): an acid urine during acidosis is bicarbonate loss (diarrhoea, proximal RTA), outside the
    twelve, and counts x20 for the open world; an alkaline urine during acidosis does not."""
    base = ["diff", "-p", "medullary", "--age", "33", "--sex", "female", "--autoimmune-disease", "--lab",
            "serum_bicarbonate=16mmol/L", "--lab", "serum_potassium=3.1mmol/L", "--format", "json"]
    status, out, err = run_main([*base, "--lab", "urine_ph=5.0"])
    ranked = {e["cause"]: e for e in json.loads(out)["differential"]}
    assert status == 0 and ranked["distal_rta"]["probability"] < 0.5, err
    assert [e["weight"] for e in ranked["other"]["supporting"] if e["clue"] == "alkaline_urine"] == [3.0]
    status, out, err = run_main([*base, "--lab", "urine_ph=6.8"])
    assert status == 0 and json.loads(out)["differential"][0]["cause"] == "distal_rta", err


def test_an_acid_urine_during_the_acidosis_of_ckd_does_not_point_outside(run_main: Any) -> None:
    """The acidosis of CKD has an acid urine: the open world's acid-urine entry names ckd under unless, so CKD 4
    with a low bicarbonate and a urine pH of 5.2 is not pointed outside the twelve (clinical review)."""
    base = ["diff", "-p", "medullary", "--age", "60", "--sex", "male", "--lab", "serum_bicarbonate=17mmol/L",
            "--lab", "urine_ph=5.2", "--format", "json"]
    status, out, err = run_main([*base, "--ckd"])
    other = next(e for e in json.loads(out)["differential"] if e["cause"] == "other")
    assert status == 0 and not [e for e in other["supporting"] if e["clue"] == "alkaline_urine"], err
    status, out, err = run_main(base)
    other = next(e for e in json.loads(out)["differential"] if e["cause"] == "other")
    assert status == 0 and [e["weight"] for e in other["supporting"] if e["clue"] == "alkaline_urine"] == [3.0], err


def test_hypomagnesaemia_with_hypercalciuria_points_outside_unless_a_loop_diuretic(run_main: Any) -> None:
    """FHHNC's pattern (hypomagnesaemia with hypercalciuria) counts x5 for the open world, but not on a loop
    diuretic, whose calciuria wastes magnesium too."""
    def weight(*flags: str) -> list[float]:
        status, out, err = run_main(["diff", "-p", "medullary", "--age", "6", "--hypomagnesemia", "--hypercalciuria",
                                     *flags, "--format", "json"])
        assert status == 0, err
        other = next(e for e in json.loads(out)["differential"] if e["cause"] == "other")
        return [e["weight"] for e in other["supporting"] if e["clue"] == "hypomagnesemia"]

    assert weight() == [1.61]
    assert weight("--loop-diuretic") == []


def test_a_good_fit_still_names_the_finding_it_leaves_unexplained() -> None:
    """One specific finding the leading causes do not explain leaves the fit good (CONTRACT.md section 7:
    max_unexplained), but the reader is told which: the table, Markdown and HTML name it, and HTML no longer
    says that the leading causes explain the stated findings."""
    argv = ["diff", "-p", "medullary", "--age", "30", "--rta", "--seizures"]
    status, out, _ = invoke([*argv, "-f", "json"])
    fit = json.loads(out)["fit"]
    assert status == 0 and fit["status"] == "good" and fit["unexplained"] == ["seizures"]
    status, out, _ = invoke(argv)
    assert status == 0 and "Not explained by the leading causes: Seizures." in out
    assert not out.startswith("Poor fit")
    status, out, _ = invoke([*argv, "-f", "markdown"])
    assert status == 0 and "Not explained by the leading causes: seizures." in out
    status, out, _ = invoke([*argv, "-f", "html"])
    assert status == 0 and "Fit: good. Not explained by the leading causes: Seizures." in out
    assert "the leading causes explain the stated findings" not in out
    # a fit with nothing unexplained says nothing of the kind
    status, out, _ = invoke(["diff", "-p", "medullary", "--age", "8", "--metabolic-acidosis", "--alkaline-urine",
                             "--hypokalemia"])
    assert status == 0 and "Not explained" not in out


# on CT urography, where normal calyces can be seen (on CT without an excretory phase their absence says nothing)
GRAFT_LIKE = {"pattern": "cortical", "modality": "ctu", "laterality": "unilateral", "age_years": 50, "sex": "male",
              "clues": {"calyceal_distortion": False, "tuberculosis": False, "sterile_pyuria": False,
                        "hypertension": True}}


def test_a_gated_cause_first_without_its_exposure_is_a_poor_fit(run_main: Any) -> None:
    """Blind battery 40: one-sided cortical calcification with hypertension had graft calcification first at 77%
    under --extended with no transplant stated, and a good fit. The ranking is the same, but the fit is poor, names
    the caveat that says what to ask, and the table says why first; stated, the transplant settles it."""
    status, out, err = run_main(["diff", "--case", "-", "--extended", "--format", "json"], json.dumps(GRAFT_LIKE))
    result = json.loads(out)
    assert status == 0 and result["differential"][0]["cause"] == "chronic_allograft_calcification", err
    assert result["fit"]["status"] == "poor"
    assert result["fit"]["caveats"] == ["gated_cause_without_exposure_allograft"]
    assert "gated_cause_without_exposure_allograft" in {c["id"] for c in result["caveats"]}
    status, out, err = run_main(["diff", "--case", "-", "--extended"], json.dumps(GRAFT_LIKE))
    assert status == 0 and out.startswith("Poor fit: the leading cause needs an exposure"), out
    grafted = {**GRAFT_LIKE, "clues": {**GRAFT_LIKE["clues"], "kidney_transplant": True}}
    status, out, err = run_main(["diff", "--case", "-", "--extended", "--format", "json"], json.dumps(grafted))
    result = json.loads(out)
    assert result["differential"][0]["cause"] == "chronic_allograft_calcification", err
    assert "caveats" not in result["fit"]
    assert "gated_cause_without_exposure_allograft" not in {c["id"] for c in result["caveats"]}


def test_every_gated_cause_of_the_extended_pack_has_its_caveat() -> None:
    """A cause whose gate finding excludes it when stated absent (lr_absent <= 0.05 on a finding of its own name
    or exposure) and that the extended caveats name: each caveat leads with its cause and waits on its gate."""
    from nephrocalc.engine import load_engine
    from nephrocalc.loader import extended_rules_dir

    kb = load_engine((extended_rules_dir(),)).kb
    gated = {rule.id: rule for rule in kb.caveats if rule.id.startswith("gated_cause_without_exposure")}
    assert len(gated) == 7
    for rule in gated.values():
        assert rule.kind == "caveat" and rule.poor_fit
        (cause,) = rule.when.leading
        (gate,) = rule.when.unknown
        finding = next(f for f in kb.causes[cause].findings if f.clue == gate)
        assert finding.lr_absent <= 0.05, (cause, gate)


def test_an_albumin_given_to_correct_the_calcium_does_not_count_for_the_open_world(rank: Any) -> None:
    """Blind battery 40: the albumin given to correct a calcium derived hypoalbuminaemia, which no cause lists, and
    which then counted x2 for a cause outside the knowledge base, said so. It is neutral, and said to change
    nothing; a finding the open world does count is still said to count for it."""
    case = {"pattern": "medullary", "age_years": 79, "sex": "female",
            "labs": {"serum_calcium": {"value": 9.8, "unit": "mg/dL"}, "serum_albumin": {"value": 2.6, "unit": "g/dL"},
                     "pth": {"value": 110, "unit": "pg/mL"}}}
    result = rank(case)
    other = entry(result, "other")
    assert not any(item["clue"] == "hypoalbuminemia" for item in other["supporting"])
    said = [w["message"] for w in result["warnings"] if w["id"] == "clues_not_used"]
    assert said == ["No cause of the knowledge base lists hypoalbuminemia: as a finding it changes no cause's score "
                    "(a lab it comes from may still be used: a low albumin corrects the calcium)."]
    counted = rank({"pattern": "medullary", "age_years": 40, "clues": {"hyperuricemia": True}})
    assert any("hyperuricemia: it counts only for a cause outside" in w["message"] for w in counted["warnings"])


def test_a_rule_naming_the_cause_of_the_pattern_keeps_the_fit_poor_under_extended_until_that_cause_explains(
        run_main: Any) -> None:
    """UX review 13: a hypokalaemic alkalosis with hypercalciuria at 25 was a poor fit naming Bartter syndrome without
    --extended, and a good fit with it, although Bartter syndrome ranked fifth at 8% behind medullary sponge kidney.
    Loaded, the named cause must lead or hold a leading share for the fit to be good: an infant's Bartter picture
    led by Bartter syndrome is."""
    adult = ["diff", "-p", "medullary", "--age", "25", "--hypokalemia", "--metabolic-alkalosis", "--hypercalciuria",
             "--format", "json"]
    for flags in ([], ["--extended"]):
        status, out, err = run_main([*adult, *flags])
        assert status == 0 and json.loads(out)["fit"]["status"] == "poor", (flags, err)
    infant = ["diff", "-p", "medullary", "--age", "0.5", "--hypokalemia", "--metabolic-alkalosis", "--hypercalciuria",
              "--polyuria", "--extended", "--format", "json"]
    status, out, err = run_main(infant)
    result = json.loads(out)
    assert result["differential"][0]["cause"] == "bartter_syndrome" and result["fit"]["status"] == "good", err


def test_a_finding_unexplained_with_the_leaders_on_their_priors_alone_is_a_poor_fit(rank: Any) -> None:
    """Blind battery 50: a woman of 72 with a low calcium and a raised PTH (secondary hyperparathyroidism, from a low
    25OHD) had distal RTA and medullary sponge kidney at 36% each on their priors, nothing stated for either, the
    hypocalcaemia named unexplained, and the fit "good"."""
    result = rank({"pattern": "medullary", "age_years": 72, "sex": "female", "labs": {
        "serum_calcium": {"value": 2.02, "unit": "mmol/L"}, "pth": {"value": 17.5, "unit": "pmol/L"},
        "vitamin_d_25oh": {"value": 18, "unit": "nmol/L"}}})
    assert result["differential"][0]["supporting"] == []
    assert result["fit"]["status"] == "poor" and result["fit"]["unexplained"] == ["hypocalcemia"]
    # the same leaders with a finding of their own stay a good fit: the tolerance of one unexplained finding holds
    supported = rank({"pattern": "medullary", "age_years": 72, "sex": "female", "clues": {"alkaline_urine": True},
                      "labs": {"serum_calcium": {"value": 2.02, "unit": "mmol/L"}}})
    assert supported["differential"][0]["supporting"] and supported["fit"]["status"] == "good", supported["fit"]


def test_hypocalciuria_with_hypercalcaemia_counts_for_the_open_world(rank: Any) -> None:
    """Blind battery 51: a calcium of 10.9 mg/dL, a PTH of 55 pg/mL, a urine calcium of 60 mg/day and a family
    history of hypercalcaemia (the pattern of familial hypocalciuric hypercalcaemia, outside the twelve) had primary
    hyperparathyroidism at 78%; the hypocalciuria counted against it and for nothing else."""
    case = {"pattern": "medullary", "age_years": 45, "sex": "male", "clues": {"family_history_hypercalcemia": True},
            "labs": {"serum_calcium": {"value": 10.9, "unit": "mg/dL"}, "pth": {"value": 55, "unit": "pg/mL"},
                     "urine_calcium_24h": {"value": 60, "unit": "mg/day"}}}
    result = rank(case)
    assert result["differential"][0]["cause"] == "other"
    assert 0.2 < entry(result, "hyperparathyroidism")["probability"] < 0.45
    assert "familial_hypocalciuric_hypercalcemia" in [c["cause"] for c in result["fit"]["consider"]]
    # without the hypercalcaemia the low urine calcium is no FHH pattern, and the open world gets nothing from it
    normal = rank({**case, "labs": {**case["labs"], "serum_calcium": {"value": 9.4, "unit": "mg/dL"}}})
    assert not any(e["clue"] == "hypocalciuria" for e in entry(normal, "other")["supporting"])


def test_vitamin_d_excess_without_an_exposure_is_not_near_certain(rank: Any) -> None:
    """Blind battery 52: a woman of 58 with vitamin-D-deficient osteomalacia (25OHD 20 nmol/L, hypocalcaemia, PTH
    14.5 pmol/L, bone pain) was shown hypervitaminosis D at 95% on its active-vitamin-D form's bone findings, with no
    vitamin D taken. All 24 real patients of the development set it led without an exposure had another cause."""
    case = {"pattern": "medullary", "age_years": 58, "sex": "female", "clues": {"bone_disease": True},
            "labs": {"serum_calcium": {"value": 2.05, "unit": "mmol/L"}, "pth": {"value": 14.5, "unit": "pmol/L"},
                     "vitamin_d_25oh": {"value": 20, "unit": "nmol/L"},
                     "serum_phosphate": {"value": 0.7, "unit": "mmol/L"},
                     "alkaline_phosphatase": {"value": 240, "unit": "U/L"}}}
    top = rank(case)["differential"][0]
    assert top["cause"] == "hypervitaminosis_d" and top["probability"] == 0.45 and top["capped"]
    # the exposure stated, or proven by a 25OHD in the intoxication range, lifts the cap
    stated = rank({**case, "clues": {"bone_disease": True, "vitamin_d_therapy": True}})["differential"][0]
    assert stated["cause"] == "hypervitaminosis_d" and stated["probability"] > 0.9
    proven = rank({"pattern": "medullary", "age_years": 40, "labs": {
        "vitamin_d_25oh": {"value": 200, "unit": "ng/mL"}, "serum_calcium": {"value": 12, "unit": "mg/dL"}}})
    assert proven["differential"][0]["cause"] == "hypervitaminosis_d"
    assert proven["differential"][0]["probability"] > 0.6 and not proven["differential"][0]["capped"]


def test_common_adult_comorbidities_on_a_problem_list_do_not_make_the_fit_poor(rank: Any) -> None:
    """FHIR realism review 53: a type 2 diabetes or a hyperlipidaemia on an adult's problem list was read as a finding
    no cause explains, and turned a classic primary hyperparathyroidism into a poor fit. Both are common in adults
    whatever else they have (CDC); in a child they still count."""
    clues = {"hypercalcemia": True, "high_pth": True, "nephrolithiasis": True, "diabetes_mellitus": True,
             "hyperlipidemia": True}
    adult = rank({"pattern": "medullary", "age_years": 60, "sex": "female", "clues": clues})
    assert adult["differential"][0]["cause"] == "hyperparathyroidism" and adult["fit"]["status"] == "good"
    child = rank({"pattern": "medullary", "age_years": 8, "sex": "female", "clues": clues})
    assert {"diabetes_mellitus", "hyperlipidemia"} <= set(child["fit"]["unexplained"])


def test_hypertension_with_hypokalaemia_counts_for_mineralocorticoid_excess(rank: Any) -> None:
    """A held-out real patient (PMC11458079): a woman of 35 with ten years of hypertension and hypokalaemic weakness
    had primary aldosteronism, once misdiagnosed as distal RTA. With both findings stated, distal RTA had 80% and
    nothing said that hypokalaemia with hypertension is mineralocorticoid excess until shown otherwise."""
    case = {"pattern": "medullary", "age_years": 35, "sex": "female",
            "clues": {"hypertension": True, "hypokalemia": True}}
    result = rank(case)
    assert entry(result, "distal_rta")["probability"] < 0.7
    assert any("mineralocorticoid" in e["why"] for e in entry(result, "other")["supporting"])
    assert any(c["id"] == "hypokalemia_hypertension" for c in result["caveats"])
    # a metabolic acidosis is no mineralocorticoid excess (it gives an alkalosis), and CKD makes hypertension the rule
    for extra in ({"metabolic_acidosis": True}, {"ckd": True}):
        other = rank({**case, "clues": {**case["clues"], **extra}})
        assert not any("mineralocorticoid" in e["why"] for e in entry(other, "other")["supporting"])
        assert not any(c["id"] == "hypokalemia_hypertension" for c in other["caveats"])
    # hypokalaemia alone stays the distal RTA finding it is
    alone = rank({**case, "clues": {"hypokalemia": True}})
    assert alone["differential"][0]["cause"] == "distal_rta" and alone["differential"][0]["probability"] > 0.75


def test_a_snake_bite_is_the_insult_of_a_cortical_necrosis(rank: Any) -> None:
    """Blind battery 54: cortical calcification after an anuric kidney injury from a viper bite had chronic
    glomerulonephritis first, with no way to state the bite; haematuria counted only for the glomerular causes."""
    case = {"pattern": "cortical", "age_years": 41, "sex": "male",
            "clues": {"acute_kidney_injury": True, "hematuria": True, "ckd": True, "snake_bite": True}}
    top = rank(case)["differential"][0]
    assert top["cause"] == "cortical_necrosis" and top["probability"] > 0.8
    assert any(e["clue"] == "hematuria" for e in entry(rank(case), "cortical_necrosis")["supporting"])


def test_a_low_urine_chloride_alkalosis_names_chloride_depletion(rank: Any) -> None:
    """Blind batteries 53 and 54: a woman who vomits, with a hypokalaemic alkalosis and a urine chloride of 8 mmol/L,
    was told nothing of vomiting or bulimia; a high urine chloride is Bartter's wasting, not depletion."""
    case = {"pattern": "medullary", "age_years": 23, "sex": "female",
            "clues": {"hypokalemia": True, "metabolic_alkalosis": True},
            "labs": {"urine_chloride": {"value": 8, "unit": "mmol/L"}}}
    assert any(c["id"] == "chloride_depletion_alkalosis" for c in rank(case)["caveats"])
    wasting = {**case, "labs": {"urine_chloride": {"value": 80, "unit": "mmol/L"}}}
    assert not any(c["id"] == "chloride_depletion_alkalosis" for c in rank(wasting)["caveats"])


def test_vitamin_d_excess_leading_with_a_low_calcium_is_a_poor_fit(rank: Any) -> None:
    """Blind battery 55: a woman of 61 with osteomalacia, a calcium of 2.05 mmol/L, a PTH of 158 pg/mL and a 25OHD of
    17 nmol/L had hypervitaminosis D first with a good fit once no longer pointed to CYP24A1 (which raises the
    calcium); vitamin D excess raises the calcium, and this is vitamin D deficiency."""
    case = {"pattern": "medullary", "age_years": 61, "sex": "female", "clues": {"bone_disease": True},
            "labs": {"serum_calcium": {"value": 2.05, "unit": "mmol/L"}, "pth": {"value": 16.8, "unit": "pmol/L"},
                     "vitamin_d_25oh": {"value": 17, "unit": "nmol/L"},
                     "serum_phosphate": {"value": 0.75, "unit": "mmol/L"}}}
    result = rank(case)
    assert result["fit"]["status"] == "poor"
    assert "idiopathic_infantile_hypercalcemia" not in [c["cause"] for c in result["fit"]["consider"]]
    assert any(c["id"] == "hypocalcemia_not_vitamin_d_excess" for c in result["caveats"])
    # on calcitriol the same findings are the treated form's, and nothing is said
    treated = rank({**case, "clues": {"bone_disease": True, "vitamin_d_therapy": True}})
    assert not any(c["id"] == "hypocalcemia_not_vitamin_d_excess" for c in treated["caveats"])


def test_tuberculosis_without_a_finding_of_its_own_is_not_near_certain(rank: Any) -> None:
    """Blind battery 56: one-sided cortical calcification with haematuria at 61, nothing else known, was renal
    tuberculosis at 84%; a calcified tumour, cyst or infarct shows the same."""
    case = {"pattern": "cortical", "modality": "ct", "laterality": "unilateral", "age_years": 61, "sex": "male",
            "clues": {"hematuria": True}}
    top = rank(case)["differential"][0]
    assert top["cause"] == "renal_tuberculosis" and top["probability"] <= 0.45 and top["capped"]
    for finding in ("sterile_pyuria", "tuberculosis", "calyceal_distortion"):
        # calyceal distortion is a urographic sign: it settles only when stated from urography (imaging review 73)
        seen = {**case, "modality": "ctu"} if finding == "calyceal_distortion" else case
        lifted = rank({**seen, "clues": {"hematuria": True, finding: True}})["differential"][0]
        assert lifted["cause"] == "renal_tuberculosis" and lifted["probability"] > 0.6
    on_ct = rank({**case, "clues": {"hematuria": True, "calyceal_distortion": True}})["differential"][0]
    assert on_ct["cause"] == "renal_tuberculosis" and on_ct["probability"] < 0.5 and on_ct["capped"]


def test_phosphate_after_a_purgative_points_outside_both_lists(kb: Any) -> None:
    """Blind battery 56: with --extended, a woman of 67 with acute kidney injury and a high phosphate after phosphate
    (calcium normal) had vitamin D intoxication first at 54%: the extended pack's open world had lost the built-in's
    acute phosphate nephropathy entries."""
    case = {"pattern": "medullary", "age_years": 67, "sex": "female",
            "clues": {"acute_kidney_injury": True, "phosphate_therapy": True, "hypercalcemia": False}}
    from nephrocalc.engine import load_engine
    from nephrocalc.intake import parse_case
    from nephrocalc.loader import extended_rules_dir

    extended = load_engine((extended_rules_dir(),))
    assert extended.rank(parse_case(case, extended.kb))["differential"][0]["cause"] == "other"


@pytest.mark.xfail(strict=True, reason=(
    "rta supersedes its components for every cause alike, and its own ratio (x47 for distal RTA, x10 for "
    "medullary sponge kidney) is smaller than the acidosis, alkaline urine and hypokalaemia together give distal "
    "RTA: stating the diagnosis beside its findings lowers distal RTA (95% to 86% bilateral; with one-sided "
    "calcification medullary sponge kidney leads). Counting the group per cause as whichever says more of it was "
    "built and measured (dev set unchanged) and withdrawn: a finding stated beside the diagnosis then adds to it "
    "(blind battery 28, D10: given the diagnosis its findings are implied and must add nothing), and the diagnosis "
    "no longer lifts the certainty cap. Both hold only if the diagnosis's ratio is at least its findings' product, "
    "a knowledge-base change (the findings' product over-counts correlated findings) left for review"))
def test_stating_rta_beside_its_findings_never_lowers_distal_rta(rank: Any) -> None:
    """Blind battery 57."""
    findings = {"metabolic_acidosis": True, "alkaline_urine": True, "hypokalemia": True, "nephrolithiasis": True}
    for laterality in ("bilateral", "unilateral"):
        case = {"pattern": "medullary", "modality": "ct", "age_years": 35, "sex": "female", "laterality": laterality,
                "clues": findings}
        before = entry(rank(case), "distal_rta")["probability"]
        after = rank({**case, "clues": {**findings, "rta": True}})
        assert after["differential"][0]["cause"] == "distal_rta"
        assert entry(after, "distal_rta")["probability"] >= before - 0.01


def test_milk_alkali_without_the_intake_or_the_alkalosis_is_at_most_even_odds(rank: Any) -> None:
    """AUDIT D4: hypercalcaemia with a suppressed PTH in a woman of 60, and nothing else, led milk-alkali syndrome at
    47% and blind battery 38 at 56%, although calcium-alkali intake was never asked. The syndrome is an exposure: until
    the intake, or the triad's metabolic alkalosis, is stated, it stays first but at most 45%."""
    case = {"pattern": "medullary", "age_years": 60, "sex": "female",
            "clues": {"hypercalcemia": True, "low_pth": True}}
    top = rank(case)["differential"][0]
    assert top["cause"] == "milk_alkali_syndrome" and top["probability"] == 0.45 and top["capped"]
    for lift in ("calcium_alkali_intake", "metabolic_alkalosis"):
        lifted = rank({**case, "clues": {**case["clues"], lift: True}})["differential"][0]
        assert lifted["cause"] == "milk_alkali_syndrome" and lifted["probability"] > 0.6


def test_a_cap_under_one_half_never_puts_the_leader_below_the_second() -> None:
    """The excess above a cap is shared in proportion: at a cap of 45%, a leader at 50% and a second at 45% would give
    the second 49.5%. The cap is raised just enough (to 0.45 / 0.95) that the ranking holds; the sum stays 1."""
    from nephrocalc.engine import _cap_certainty

    unrounded = [0.5, 0.45, 0.05]
    entries: list[Any] = [{"cause": c, "probability": p} for c, p in zip(("a", "b", "other"), unrounded, strict=True)]
    _cap_certainty(entries, unrounded, 0.45)
    probabilities = [e["probability"] for e in entries]
    assert probabilities == sorted(probabilities, reverse=True)
    assert abs(sum(probabilities) - 1.0) < 1e-9
    assert probabilities[0] == pytest.approx(0.45 / 0.95, abs=1e-6) and probabilities[0] >= probabilities[1]
    # a leader well ahead is stated at the cap itself
    unrounded = [0.9, 0.06, 0.04]
    entries = [{"cause": c, "probability": p} for c, p in zip(("a", "b", "other"), unrounded, strict=True)]
    _cap_certainty(entries, unrounded, 0.45)
    assert entries[0]["probability"] == 0.45 and abs(sum(e["probability"] for e in entries) - 1.0) < 1e-9


def test_calcitriol_driven_hypercalcaemia_names_cyp24a1_beside_the_granulomatous_diseases(rank: Any) -> None:
    """Blind battery 59: a woman of 34 with stones, hypercalcaemia, a suppressed PTH and a raised 1,25(OH)2D had only
    malignancy to consider. CYP24A1 deficiency presents in adults too [Azer21]: named beside sarcoidosis while it is
    not known either way (the fit not made poor by it), and as the poor fit's reason once sarcoidosis and hilar
    nodes are stated absent; not once a vitamin D is stated taken, which explains the calcitriol."""
    case = {"pattern": "medullary", "age_years": 34, "sex": "female",
            "clues": {"hypercalcemia": True, "low_pth": True, "high_calcitriol": True, "nephrolithiasis": True}}

    def considered(result: dict[str, Any]) -> list[str]:
        return [c["cause"] for c in result["fit"]["consider"]]

    unknown = rank(case)
    assert "idiopathic_infantile_hypercalcemia" in considered(unknown)
    found = rank({**case, "clues": {**case["clues"], "sarcoidosis": False, "hilar_lymphadenopathy": False,
                                    "vitamin_d_therapy": False}})
    assert "idiopathic_infantile_hypercalcemia" in considered(found) and found["fit"]["status"] == "poor"
    taken = rank({**case, "clues": {**case["clues"], "vitamin_d_therapy": True}})
    assert "idiopathic_infantile_hypercalcemia" not in considered(taken)


def test_a_poor_fit_names_a_lower_ranked_loaded_cause_that_lists_the_unexplained_finding(run_main: Any) -> None:
    """Phenopacket-store run 60: with --extended, a CLDN16 woman of 20 with renal magnesium wasting and hypercalciuria
    (PTH stated normal) had FHHNC tenth at 0.7%, the magnesium wasting unexplained, and FHHNC named nowhere: the
    consider list holds only causes outside the loaded knowledge base (CONTRACT.md section 7). fit.lower names it,
    and every renderer says it; a good fit has no such list."""
    case = {"pattern": "medullary", "age_years": 20, "sex": "female",
            "clues": {"hypercalciuria": True, "renal_magnesium_wasting": True, "high_pth": False, "ckd": False,
                      "urinary_tract_infection": False}}
    status, out, err = run_main(["diff", "--extended", "--case", "-", "--format", "json"], json.dumps(case))
    assert status == 0, err
    result = json.loads(out)
    assert result["fit"]["status"] == "poor" and "renal_magnesium_wasting" in result["fit"]["unexplained"]
    lower = result["fit"]["lower"]
    assert lower[0]["cause"] == "fhhnc" and lower[0]["clues"] == ["renal_magnesium_wasting"]
    assert "fhhnc" not in [c["cause"] for c in result["fit"]["consider"]]
    assert result["differential"][0]["cause"] != "fhhnc" and len(lower) <= 3
    for fmt, said in (("table", "Ranked lower but listing it: FHHNC (#"), ("markdown", "Ranked lower but listing it"),
                      ("html", "Ranked lower but listing it")):
        status, out, err = run_main(["diff", "--extended", "--case", "-", "--format", fmt], json.dumps(case))
        assert status == 0 and said in out, (fmt, err)
    # the twelve alone: FHHNC is outside, and the consider list names it
    status, out, err = run_main(["diff", "--case", "-", "--format", "json"], json.dumps(case))
    base = json.loads(out)
    assert "fhhnc" in [c["cause"] for c in base["fit"]["consider"]]
    assert all(item["cause"] in {e["cause"] for e in base["differential"]} for item in base["fit"].get("lower", []))


def test_an_adults_consider_list_names_malignancy_before_cyp24a1(run_main: Any) -> None:
    """Blind battery 60: a woman of 74 with hypercalcaemia, a suppressed PTH and calcium-alkali intake denied, vitamin
    D excess leading with no exposure, was pointed to idiopathic infantile hypercalcaemia before malignancy, far the
    commoner cause of PTH-independent hypercalcaemia in an adult. An infant's list still starts with it."""
    args = ["diff", "-p", "medullary", "--no-calcium-alkali-intake", "--vomiting-or-dehydration",
            "--lab", "serum_calcium=13.2mg/dL", "--lab", "pth=12pg/mL", "--lab", "serum_bicarbonate=34mmol/L",
            "--format", "json"]
    status, out, err = run_main([*args, "--age", "74", "--sex", "female"])
    assert status == 0, err
    result = json.loads(out)
    assert result["differential"][0]["cause"] == "hypervitaminosis_d"
    considered = [c["cause"] for c in result["fit"]["consider"]]
    assert considered[:2] == ["hypercalcemia_of_malignancy", "idiopathic_infantile_hypercalcemia"], considered
    status, out, err = run_main(["diff", "-p", "medullary", "--age", "0.5", "--lab", "serum_calcium=13.2mg/dL",
                                 "--lab", "pth=12pg/mL", "--format", "json"])
    assert status == 0 and json.loads(out)["fit"]["consider"][0]["cause"] == "idiopathic_infantile_hypercalcemia"


def test_an_infants_hypercalcaemia_after_vitamin_d_names_cyp24a1_without_a_poor_fit(rank: Any) -> None:
    """Blind round 9: two adults with CYP24A1 and SLC34A1 deficiency, whose infant hypercalcaemia followed vitamin D
    prophylaxis, were vitamin D excess at >95% with nothing else named. The exposure cannot tell them apart, so an
    infant's list names the deficiency; the leading cause still explains the findings (the fit stays good). A toxic
    25OHD, or an older child, says nothing of it."""
    case: dict[str, Any] = {"pattern": "medullary", "modality": "us", "age_years": 0.42, "sex": "female",
                            "clues": {"hypercalcemia": True, "low_pth": True, "vitamin_d_therapy": True,
                                      "hypercalciuria": True}}
    result = rank(case)
    assert result["differential"][0]["cause"] == "hypervitaminosis_d"
    assert [c["cause"] for c in result["fit"]["consider"]] == ["idiopathic_infantile_hypercalcemia"]
    assert result["fit"]["status"] == "good"
    said = result["fit"]["consider"][0]["why"]
    assert "25OHD" in said and "24,25(OH)2D" in said
    toxic = {**case, "clues": {**case["clues"], "high_25oh_vitamin_d": True}}
    older = {**case, "age_years": 6}
    for other in (toxic, older):
        assert "idiopathic_infantile_hypercalcemia" not in [c["cause"] for c in rank(other)["fit"]["consider"]]


def test_a_raised_cap_never_loses_its_lead_to_the_rounding_remainder(run_main: Any) -> None:
    """Robustness round 60: an infant with tuberculosis, kidney injury, hypercalciuria, hypercalcaemia and rta stated
    had vitamin D excess at its raised cap, 0.475653, and the open world second at 0.475654: the second took the
    rounding remainder. The ranks and the probabilities must agree, and the sum stay 1."""
    case = {"pattern": None, "age_years": 0.41530054644808745, "sex": "female",
            "clues": {"tuberculosis": True, "acute_kidney_injury": True, "hypercalciuria": True, "rta": True,
                      "hypercalcemia": True}, "labs": {"serum_creatinine": {"value": 1.4, "unit": "mg/dL"}}}
    status, out, err = run_main(["diff", "--case", "-", "--format", "json"], json.dumps(case))
    assert status == 0, err
    ranked = json.loads(out)["differential"]
    probabilities = [e["probability"] for e in ranked]
    assert probabilities == sorted(probabilities, reverse=True) and abs(sum(probabilities) - 1.0) < 1e-9
    assert ranked[0]["capped"] and ranked[0]["probability"] - ranked[1]["probability"] < 1e-5


def test_a_component_read_absent_from_a_lab_is_not_called_stated(rank: Any) -> None:
    """Blind battery 72: a urine pH of 5.1 during an acidosis, beside a stated distal RTA, was reported as
    "alkaline_urine stated absent"; nobody stated it. The diagnosis still governs (the contract's stated-clue rule)."""
    case = {"pattern": "medullary", "modality": "us", "age_years": 40, "sex": "female", "clues": {"rta": True},
            "labs": {"serum_bicarbonate": {"value": 17, "unit": "mmol/L"}, "urine_ph": {"value": 5.1, "unit": "pH"}}}
    said = {w["id"]: w["message"] for w in rank(case)["warnings"]}
    assert said["absent_in_rta"].startswith("alkaline_urine read absent from a lab value but rta stated present")
    assert said["counted_in_rta"].startswith("metabolic_acidosis counted once, as part of rta: that diagnosis "
                                             "already carries it (")
    stated = rank({**case, "clues": {"rta": True, "alkaline_urine": False}, "labs": {}})
    assert {w["id"]: w["message"] for w in stated["warnings"]}["absent_in_rta"].startswith(
        "alkaline_urine stated absent but")


def test_a_tuberculosis_risk_proposes_its_test_whatever_leads(run_main: Any) -> None:
    """Blind battery 72: a man from an endemic region with one-sided pyramidal calcification, haematuria and the
    ectasia of medullary sponge kidney had no urine AFB culture proposed (tuberculosis near 0%)."""
    args = ["diff", "-p", "medullary", "--modality", "ctu", "--laterality", "unilateral", "--age", "38", "--sex",
            "male", "--tubular-ectasia", "--nephrolithiasis", "--hematuria", "--format", "json"]
    for risk, proposed in (("--tb-risk", True), ("--no-tb-risk", False)):
        status, out, err = run_main([*args, risk])
        assert status == 0, err
        result = json.loads(out)
        assert result["differential"][0]["cause"] == "medullary_sponge_kidney"
        tb = [item for item in result["next_findings"] if item.get("cant_miss") == "renal_tuberculosis"]
        assert bool(tb) is proposed
        if proposed:
            assert tb[0]["triggered_by"] == ["tb_risk"] and "AFB" in tb[0]["rule_out"]
