"""One scenario per defect the nephrology audit names (AUDIT.md D1-D11), run as a battery.

Each scenario is a short case a clinician would type, with what a nephrologist expects of the answer:
the cause on top (or not on top), a poor fit with the right cause to consider, a probability kept
in check, or a rule-out test proposed. The single-defect tests elsewhere pin the mechanism; this
battery keeps the clinical picture whole, so that a change to one rule that breaks another class of
scenario fails here by name.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import as_data

from nephrocalc import guidance
from nephrocalc.engine import Engine, load_engine
from nephrocalc.intake import parse_case
from nephrocalc.loader import extended_rules_dir

M, C, B = "medullary", "cortical", "combined"
CORTICAL_CAUSES = {"cortical_necrosis", "chronic_glomerulonephritis", "alport_syndrome"}


def lab(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit}


# (name, case, checks); a check is a tuple whose first item names it (see `_failed`)
SCENARIOS: list[tuple[str, dict[str, Any], list[tuple[Any, ...]]]] = [
    # D1: PTH read with calcium and kidney function
    ("D1 vitamin D deficiency: secondary HPT",
     {"pattern": M, "age_years": 55, "sex": "female",
      "labs": {"pth": lab(120, "pg/mL"), "serum_calcium": lab(8.7, "mg/dL"), "vitamin_d_25oh": lab(8, "ng/mL")}},
     [("not_top", "hyperparathyroidism")]),
    ("D1 CKD-MBD: PTH 310 with normal calcium",
     {"pattern": M, "age_years": 60, "clues": {"ckd": True},
      "labs": {"egfr": lab(22, "mL/min/1.73m2"), "pth": lab(310, "pg/mL"), "serum_calcium": lab(9.1, "mg/dL")}},
     [("not_top_above", "hyperparathyroidism", 0.6)]),
    ("D1 vitamin D intoxication with PTH 20",
     {"pattern": M, "age_years": 3, "clues": {"vitamin_d_therapy": True, "hypercalcemia": True},
      "labs": {"vitamin_d_25oh": lab(250, "ng/mL"), "pth": lab(20, "pg/mL")}},
     [("top", "hypervitaminosis_d")]),
    ("D1 classic PHPT from labs",
     {"pattern": M, "age_years": 58, "sex": "female",
      "labs": {"serum_calcium": lab(11.8, "mg/dL"), "pth": lab(140, "pg/mL")}},
     [("top", "hyperparathyroidism")]),
    ("D1 classic PHPT from clues fits well",
     {"pattern": M, "age_years": 58, "clues": {"hypercalcemia": True, "high_pth": True, "nephrolithiasis": True}},
     [("top", "hyperparathyroidism"), ("good",)]),
    ("D1 calcium 10.4 with PTH 95",
     {"pattern": M, "age_years": 50, "labs": {"serum_calcium": lab(10.4, "mg/dL"), "pth": lab(95, "pg/mL")}},
     [("top", "hyperparathyroidism")]),
    ("D1 preterm on furosemide with a high PTH and low calcium",
     {"pattern": M, "age_years": 0, "clues": {"loop_diuretic": True, "preterm_infant": True},
      "labs": {"pth": lab(110, "pg/mL"), "serum_calcium": lab(8.2, "mg/dL")}},
     [("top", "chronic_hypercalciuria")]),
    ("D1 hypercalcaemia with a suppressed PTH",
     {"pattern": M, "age_years": 60, "clues": {"hypercalcemia": True, "low_pth": True}},
     [("not_top", "hyperparathyroidism")]),
    # D2: urine pH only means dRTA with acidaemia
    ("D2 idiopathic hypercalciuria in a child with urine pH 6.5",
     {"pattern": M, "age_years": 8, "clues": {"hypercalciuria": True, "hypercalcemia": False},
      "labs": {"urine_ph": lab(6.5, "pH")}},
     [("top", "chronic_hypercalciuria")]),
    ("D2 PH1 in a child with urine pH 6",
     {"pattern": M, "age_years": 6, "clues": {"hyperoxaluria": True, "nephrolithiasis": True},
      "labs": {"urine_ph": lab(6.0, "pH")}},
     [("top", "primary_hyperoxaluria")]),
    ("D2 milk-alkali with an alkaline urine",
     {"pattern": M, "age_years": 70, "sex": "female",
      "clues": {"hypercalcemia": True, "metabolic_alkalosis": True, "calcium_alkali_intake": True,
                "acute_kidney_injury": True},
      "labs": {"urine_ph": lab(7.5, "pH")}},
     [("top", "milk_alkali_syndrome")]),
    ("D2 classic dRTA from labs",
     {"pattern": M, "age_years": 4, "clues": {"growth_failure": True},
      "labs": {"serum_bicarbonate": lab(14, "mmol/L"), "serum_potassium": lab(2.9, "mmol/L"),
               "urine_ph": lab(7.0, "pH")}},
     [("top", "distal_rta")]),
    ("D2 acidaemia with an acid urine argues against dRTA",
     {"pattern": M, "age_years": 4, "clues": {"metabolic_acidosis": True}, "labs": {"urine_ph": lab(5.0, "pH")}},
     [("not_top", "distal_rta")]),
    # D3: the open world
    ("D3 hypercalcaemia of malignancy",
     {"pattern": M, "age_years": 65, "clues": {"hypercalcemia": True, "low_pth": True, "malignancy": True}},
     [("flag",), ("consider", "hypercalcemia_of_malignancy")]),
    ("D3 infant hypercalcaemia without vitamin D (CYP24A1)",
     {"pattern": M, "age_years": 0.5,
      "clues": {"hypercalcemia": True, "low_pth": True, "hypercalciuria": True, "vitamin_d_therapy": False}},
     [("flag",), ("consider", "idiopathic_infantile_hypercalcemia")]),
    ("D3 antenatal Bartter",
     {"pattern": M, "age_years": 0.2,
      "clues": {"hypokalemia": True, "metabolic_alkalosis": True, "polyhydramnios": True, "hypercalciuria": True}},
     [("flag",), ("consider", "bartter_syndrome")]),
    ("D3 hypokalaemic alkalosis in an adult",
     {"pattern": M, "age_years": 30, "sex": "female", "clues": {"hypokalemia": True, "metabolic_alkalosis": True}},
     [("flag",)]),
    ("D3 FHH",
     {"pattern": M, "age_years": 45,
      "clues": {"hypercalcemia": True, "hypocalciuria": True, "family_history_hypercalcemia": True}},
     [("flag",), ("consider", "familial_hypocalciuric_hypercalcemia")]),
    ("D3 enteric hyperoxaluria",
     {"pattern": M, "age_years": 52, "clues": {"hyperoxaluria": True, "bariatric_surgery_or_malabsorption": True}},
     [("flag",), ("consider", "secondary_hyperoxaluria")]),
    ("D3 Dent disease",
     {"pattern": M, "age_years": 9, "sex": "male",
      "clues": {"low_molecular_weight_proteinuria": True, "hypercalciuria": True, "rickets": True}},
     [("flag",), ("consider", "dent_disease")]),
    ("D3 FHHNC",
     {"pattern": M, "age_years": 10,
      "clues": {"hypomagnesemia": True, "hypercalciuria": True, "renal_magnesium_wasting": True}},
     [("flag",), ("consider", "fhhnc")]),
    ("D3 classic dRTA stays a good fit",
     {"pattern": M, "age_years": 5,
      "clues": {"metabolic_acidosis": True, "alkaline_urine": True, "hypokalemia": True, "growth_failure": True}},
     [("top", "distal_rta"), ("good",)]),
    ("D3 echogenic pyramids in the first week",
     {"pattern": M, "age_years": 0.014, "modality": "us"},
     [("flag",), ("consider", "transient_neonatal_medullary_echogenicity")]),
    ("D3 analgesic papillary necrosis",
     {"pattern": M, "age_years": 60, "clues": {"analgesic_abuse": True, "papillary_necrosis_signs": True}},
     [("flag",), ("consider", "papillary_necrosis")]),
    ("D3 calcified transplant kidney",
     {"pattern": C, "age_years": 45, "clues": {"kidney_transplant": True}},
     [("flag",), ("consider", "chronic_allograft_calcification")]),
    # D4: contradictions
    ("D4 dRTA picture with metabolic alkalosis",
     {"pattern": M, "age_years": 30,
      "clues": {"alkaline_urine": True, "hypokalemia": True, "metabolic_alkalosis": True}},
     [("not_top", "distal_rta")]),
    ("D4 incomplete dRTA is not PHPT with confidence",
     {"pattern": M, "age_years": 40, "sex": "female",
      "clues": {"nephrolithiasis": True, "hypocitraturia": True, "metabolic_acidosis": False},
      "labs": {"urine_ph": lab(6.8, "pH")}},
     [("not_top_above", "hyperparathyroidism", 0.6)]),
    # D5: age
    ("D5 hypercalcaemia at 6 months is not sarcoidosis",
     {"pattern": M, "age_years": 0.5, "clues": {"hypercalcemia": True}},
     [("not_top", "sarcoidosis"), ("below", "sarcoidosis", 0.05)]),
    ("D5 milk-alkali at 2 years is not on top",
     {"pattern": M, "age_years": 2, "clues": {"hypercalcemia": True, "metabolic_alkalosis": True}},
     [("not_top", "milk_alkali_syndrome")]),
    ("D5 infantile oxalosis",
     {"pattern": M, "age_years": 0.4, "clues": {"ckd": True, "growth_failure": True, "hypercalcemia": False}},
     [("top3", "primary_hyperoxaluria")]),
    ("D5 sarcoidosis in an adult",
     {"pattern": M, "age_years": 40, "clues": {"hypercalcemia": True, "hilar_lymphadenopathy": True, "high_ace": True}},
     [("top", "sarcoidosis")]),
    # D6: treated vitamin D outside hypoparathyroidism
    ("D6 XLH on phosphate and calcitriol",
     {"pattern": M, "age_years": 7,
      "clues": {"rickets": True, "phosphate_therapy": True, "vitamin_d_therapy": True, "hypophosphatemia": True}},
     [("top", "hypervitaminosis_d")]),
    ("D6 CKD on calcitriol",
     {"pattern": M, "age_years": 50, "clues": {"ckd": True, "vitamin_d_therapy": True}},
     [("top3", "hypervitaminosis_d")]),
    ("D6 treated hypoparathyroidism",
     {"pattern": M, "age_years": 40, "clues": {"vitamin_d_therapy": True, "low_pth": True, "hypocalcemia": True}},
     [("top", "hypervitaminosis_d")]),
    # D7: findings conditioned on nephrocalcinosis
    ("D7 idiopathic hypercalciuria with calcitriol 70 (AUDIT command)",
     {"pattern": M, "age_years": 40, "sex": "male", "clues": {"hypercalciuria": True, "nephrolithiasis": True},
      "labs": {"vitamin_d_1_25": lab(70, "pg/mL")}},
     [("top", "chronic_hypercalciuria")]),
    ("D7 the same with a low urine citrate",
     {"pattern": M, "age_years": 40, "sex": "male", "clues": {"hypercalciuria": True, "nephrolithiasis": True},
      "labs": {"vitamin_d_1_25": lab(70, "pg/mL"), "urine_citrate_24h": lab(300, "mg/day")}},
     [("top", "chronic_hypercalciuria")]),
    ("D7 vitamin D excess in a toddler",
     {"pattern": M, "age_years": 1.5,
      "clues": {"vomiting_or_dehydration": True, "growth_failure": True, "hypercalcemia": True,
                "vitamin_d_therapy": True}},
     [("top", "hypervitaminosis_d")]),
    ("D7 CKD alone is not confident hyperparathyroidism",
     {"pattern": M, "age_years": 50, "clues": {"ckd": True}},
     [("not_top_above", "hyperparathyroidism", 0.7)]),
    ("D7 normocalcaemic adult stone former",
     {"pattern": M, "age_years": 40, "sex": "male",
      "clues": {"nephrolithiasis": True, "hypercalciuria": True, "hypercalcemia": False}},
     [("top", "chronic_hypercalciuria")]),
    # D8: atrophy, pattern, laterality
    ("D8 combined pattern with cortical atrophy",
     {"pattern": B, "age_years": 50, "clues": {"cortical_atrophy": True}},
     [("cortical_below", 0.6)]),
    ("D8 unilateral cortical calcification is not glomerulonephritis",
     {"pattern": C, "age_years": 50, "sex": "male", "laterality": "unilateral",
      "clues": {"calyceal_distortion": False, "tuberculosis": False, "sterile_pyuria": False}},
     [("not_top", "chronic_glomerulonephritis")]),
    ("D8 small kidneys with CKD under a medullary pattern",
     {"pattern": M, "age_years": 50, "clues": {"small_kidneys": True, "ckd": True}},
     [("cortical_below", 0.3)]),
    # D9: reference limits in context
    ("D9 potassium 3.6 in a 10-year-old with hypercalciuria",
     {"pattern": M, "age_years": 10, "clues": {"hypercalciuria": True, "hypercalcemia": False},
      "labs": {"serum_potassium": lab(3.6, "mmol/L")}},
     [("top", "chronic_hypercalciuria")]),
    ("D9 no eGFR-derived CKD in an infant of 4 months",
     {"pattern": M, "age_years": 0.3, "clues": {"hypercalciuria": True}, "labs": {"egfr": lab(50, "mL/min/1.73m2")}},
     [("not_derived", "ckd")]),
    ("D9 urine oxalate after bariatric surgery",
     {"pattern": M, "age_years": 50, "clues": {"bariatric_surgery_or_malabsorption": True},
      "labs": {"urine_oxalate_24h": lab(0.9, "mmol/day")}},
     [("not_top", "primary_hyperoxaluria")]),
    ("D9 low albumin: corrected calcium with a high PTH",
     {"pattern": M, "age_years": 60,
      "labs": {"serum_calcium": lab(9.8, "mg/dL"), "serum_albumin": lab(2.5, "g/dL"), "pth": lab(110, "pg/mL")}},
     [("top", "hyperparathyroidism")]),
    # D10: harm and overconfidence
    ("D10 unilateral calcification with sterile pyuria (AUDIT command)",
     {"pattern": M, "modality": "ct", "age_years": 32, "sex": "female", "laterality": "unilateral",
      "clues": {"hematuria": True, "sterile_pyuria": True}},
     [("top3", "renal_tuberculosis"), ("rule_out", "renal_tuberculosis")]),
    ("D10 MSK on ultrasound is not near-certain",
     {"pattern": M, "modality": "us", "age_years": 35, "clues": {"nephrolithiasis": True, "hematuria": True}},
     [("top_below", 0.95)]),
    ("D10 cortical calcification with CKD in a child: oxalate proposed",
     {"pattern": C, "age_years": 5, "clues": {"ckd": True}},
     [("rule_out", "primary_hyperoxaluria")]),
    # D11: modality
    ("D11 no ectasia on ultrasound changes nothing",
     {"pattern": M, "modality": "us", "age_years": 35, "clues": {"nephrolithiasis": True, "tubular_ectasia": False}},
     [("same_without", "tubular_ectasia")]),
    ("D11 no ectasia on CT urography counts against MSK",
     {"pattern": M, "modality": "ctu", "age_years": 35, "clues": {"nephrolithiasis": True, "tubular_ectasia": False}},
     [("not_top", "medullary_sponge_kidney")]),
    ("D11 ectasia on IVU",
     {"pattern": M, "modality": "ivu", "age_years": 35, "clues": {"tubular_ectasia": True, "nephrolithiasis": True}},
     [("top", "medullary_sponge_kidney")]),
    # the cortical causes and the whole-kidney picture
    ("obstetric cortical necrosis",
     {"pattern": C, "age_years": 28, "sex": "female",
      "clues": {"obstetric_catastrophe": True, "acute_kidney_injury": True}},
     [("top", "cortical_necrosis")]),
    ("chronic glomerulonephritis",
     {"pattern": C, "age_years": 45,
      "clues": {"glomerulonephritis": True, "ckd": True, "small_kidneys": True, "proteinuria": True}},
     [("top", "chronic_glomerulonephritis")]),
    ("Alport syndrome",
     {"pattern": C, "age_years": 20, "sex": "male", "clues": {"hearing_loss": True, "hematuria": True, "ckd": True}},
     [("top", "alport_syndrome")]),
    ("cortical oxalosis in a child",
     {"pattern": C, "age_years": 6, "clues": {"hyperoxaluria": True, "ckd": True}},
     [("top", "primary_hyperoxaluria")]),
    ("tuberculous putty kidney",
     {"pattern": B, "laterality": "unilateral", "age_years": 40, "clues": {"putty_kidney": True}},
     [("top", "renal_tuberculosis")]),
]

EXTENDED: list[tuple[str, dict[str, Any], str]] = [
    ("Dent disease", SCENARIOS[19][1], "dent_disease"),
    ("FHHNC", SCENARIOS[20][1], "fhhnc"),
    ("antenatal Bartter", SCENARIOS[15][1], "bartter_syndrome"),
    ("infant CYP24A1", SCENARIOS[14][1], "idiopathic_infantile_hypercalcemia"),
    ("hypercalcaemia of malignancy", SCENARIOS[13][1], "hypercalcemia_of_malignancy"),
    ("first-week echogenicity", SCENARIOS[22][1], "transient_neonatal_medullary_echogenicity"),
]


_LAST: dict[tuple[Engine, str], dict[str, Any]] = {}  # the last case ranked: a scenario's checks read one result


def _run(engine: Engine, case: dict[str, Any]) -> dict[str, Any]:
    """The case's result as JSON data; each check of a scenario reads it, so the last one is kept (the ranking is
    deterministic, and no check changes it): the blind batteries ranked each case once a check."""
    key = (engine, json.dumps(case, sort_keys=True))  # the engine itself, whose id a later one could take
    if key not in _LAST:
        _LAST.clear()
        _LAST[key] = as_data(guidance.diff(engine, parse_case(case, engine.kb)))
    return _LAST[key]


def _failed(engine: Engine, case: dict[str, Any], check: tuple[Any, ...]) -> bool:
    result = _run(engine, case)
    ranked = result["differential"]
    top = ranked[0]
    order = [e["cause"] for e in ranked]
    probability = {e["cause"]: e["probability"] for e in ranked}
    kind, *args = check
    if kind == "top":
        return bool(top["cause"] != args[0])
    if kind == "not_top":
        return bool(top["cause"] == args[0])
    if kind == "not_top_above":
        return bool(top["cause"] == args[0] and top["probability"] > args[1])
    if kind == "top3":
        return args[0] not in order[:3]
    if kind == "top_below":
        return bool(top["probability"] >= args[0])
    if kind == "below":
        return bool(probability[args[0]] >= args[1])
    if kind == "cortical_below":
        return bool(sum(probability[c] for c in CORTICAL_CAUSES) >= args[0])
    if kind == "good":
        return bool(result["fit"]["status"] != "good")
    if kind == "flag":
        return not (result["fit"]["status"] == "poor" or top["cause"] == "other" or top["probability"] < 0.5)
    if kind == "consider":
        return args[0] not in [c["cause"] for c in result["fit"]["consider"]]
    if kind == "rule_out":
        # among next_findings, or as a caveat when its finding is stated absent as a history ("no known
        # tuberculosis"), since a given clue never appears among next_findings (CONTRACT.md section 5)
        return not any(n.get("cant_miss") == args[0] for n in result["next_findings"]) and not any(
            c["id"] == f"rule_out_{args[0]}" for c in result["caveats"])
    if kind == "not_derived":
        return any(d.get("clue") == args[0] and d.get("present") and d.get("used", True) for d in result["derived"])
    if kind == "above":
        return bool(probability[args[0]] < args[1])
    if kind == "top_in":
        return top["cause"] not in args[0]
    if kind in ("form", "form_not"):  # the leading cause's best-fitting form
        return (top.get("form") == args[0]) is (kind == "form_not")
    if kind == "derived":  # a lab derived the clue with this value, and it was used
        return not any(d.get("clue") == args[0] and d.get("present") is args[1] and d.get("used", True)
                       for d in result["derived"])
    if kind == "absent_text":  # a lab step documenting the clue absent says "no <clue>"
        steps = [d for d in result["derived"] if d["clue"] == args[0] and not d["present"]]
        return not steps or not all(s["text"].endswith(f"no {args[0]}") for s in steps)
    if kind in ("caveat", "no_caveat"):  # a caveat of this id, or one of its variants (id_...)
        found = any(c["id"] == args[0] or c["id"].startswith(args[0] + "_") for c in result["caveats"])
        return found is (kind == "no_caveat")
    if kind in ("text", "no_text"):  # a caveat or warning says one of these
        messages = [n["message"].lower() for n in (*result["caveats"], *result["warnings"])]
        said = any(s.lower() in m for m in messages for s in args[0])
        return said is (kind == "no_text")
    if kind in ("lab_not_raise", "lab_not_lower"):  # adding the lab moves the cause by at most a tolerance
        without = {**case, "labs": {k: v for k, v in case["labs"].items() if k != args[0]}}
        before = {e["cause"]: e["probability"] for e in _run(engine, without)["differential"]}[args[1]]
        change = probability[args[1]] - before
        return bool(change > args[2] if kind == "lab_not_raise" else -change > args[2])
    if kind == "same_without":
        reduced = json.loads(json.dumps(case))
        del reduced["clues"][args[0]]
        return [(e["cause"], e["probability"]) for e in ranked] != \
            [(e["cause"], e["probability"]) for e in _run(engine, reduced)["differential"]]
    raise AssertionError(f"unknown check {kind!r}")


@pytest.fixture(scope="module")
def extended_engine() -> Engine:
    return load_engine((extended_rules_dir(),))


@pytest.mark.parametrize(("name", "case", "checks"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_audit_scenario(name: str, case: dict[str, Any], checks: list[tuple[Any, ...]], engine: Engine) -> None:
    failed = [check for check in checks if _failed(engine, case, check)]
    assert not failed, f"{name}: {failed}"


@pytest.mark.parametrize(("name", "case", "cause"), EXTENDED, ids=[s[0] for s in EXTENDED])
def test_with_extended_the_cause_to_consider_is_ranked_first(name: str, case: dict[str, Any], cause: str,
                                                              extended_engine: Engine) -> None:
    assert _run(extended_engine, case)["differential"][0]["cause"] == cause, name


def test_the_checks_can_fail(engine: Engine) -> None:
    """Each kind of check fails on a case that contradicts it, so the battery cannot pass vacuously."""
    drta = SCENARIOS[21][1]
    assert _failed(engine, drta, ("top", "hyperparathyroidism"))
    assert _failed(engine, drta, ("not_top", "distal_rta"))
    assert _failed(engine, drta, ("flag",))
    assert _failed(engine, drta, ("consider", "fhhnc"))
    assert _failed(engine, drta, ("top_below", 0.5))
    assert _failed(engine, SCENARIOS[13][1], ("good",))
    # the kinds the second battery uses, each failing and passing once
    phpt = {"pattern": M, "age_years": 58, "sex": "female", "modality": "ct",
            "labs": {"serum_calcium": lab(11.8, "mg/dL"), "pth": lab(140, "pg/mL")}}
    top = _run(engine, phpt)["differential"][0]
    assert top["cause"] == "hyperparathyroidism"
    for check, holds in [
        (("above", "hyperparathyroidism", 0.5), True), (("above", "distal_rta", 0.5), False),
        (("top_in", ["hyperparathyroidism"]), True), (("top_in", ["distal_rta"]), False),
        (("form", top["form"]), True), (("form_not", top["form"]), False),
        (("derived", "hypercalcemia", True), True), (("derived", "hypercalcemia", False), False),
        (("caveat", "ct_sensitivity"), True), (("no_caveat", "ct_sensitivity"), False),
        (("text", ["albumin"]), True), (("no_text", ["albumin"]), False),
        (("lab_not_lower", "pth", "hyperparathyroidism", 0.01), True),
        (("lab_not_raise", "pth", "hyperparathyroidism", 0.01), False),
    ]:
        assert _failed(engine, phpt, check) is not holds, check
    normal = {"pattern": M, "age_years": 40, "labs": {"serum_calcium": lab(9.4, "mg/dL")}}
    assert not _failed(engine, normal, ("absent_text", "hypercalcemia"))
    assert _failed(engine, phpt, ("absent_text", "hypercalcemia"))
