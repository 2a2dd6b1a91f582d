"""The stage of CKD and the acidosis it brings (AUDIT D9: "Bicarbonate <22 -> normal-anion-gap acidosis even
with eGFR <30 ... condition acidosis evidence on eGFR").

An eGFR below 30 derives ``advanced_ckd`` (CKD stage 4-5), and with it a cause that does not list a metabolic
acidosis has one in 37% of patients (CRIC, stage 4 [Raphael19]): a low bicarbonate then says much less for distal
RTA. Nothing else changes: no cause weighs the stage itself, and the fit never calls it unexplained.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from helpers import probability

EGFR = "mL/min/1.73m2"


def _case(egfr: float | None, bicarbonate: float | None = None, *, age: float = 60,
          clues: dict[str, bool] | None = None) -> dict[str, Any]:
    labs: dict[str, Any] = {}
    if egfr is not None:
        labs["egfr"] = {"value": egfr, "unit": EGFR}
    if bicarbonate is not None:
        labs["serum_bicarbonate"] = {"value": bicarbonate, "unit": "mmol/L"}
    return {"pattern": "medullary", "modality": "us", "age_years": age, "sex": "male",
            "clues": {"nephrolithiasis": True, **(clues or {})}, "labs": labs}


def _derived(result: dict[str, Any], clue: str) -> list[bool]:
    return [step["present"] for step in result["derived"] if step["clue"] == clue]


def _odds(p: float) -> float:
    return p / (1.0 - p)


@pytest.mark.parametrize(("egfr", "age", "expected"), [
    (22.0, 60, [True]),  # stage 4
    (10.0, 60, [True]),  # stage 5 (kidney failure is read only with CKD stated; the stage is read anyway)
    (30.0, 60, []),  # the limit is strict: 30 is stage 3b
    (45.0, 60, []),  # stage 3: nothing derived, present or absent
    (22.0, 1.5, []),  # no eGFR-derived CKD stage under 2 years (KDIGO; AUDIT D9)
])
def test_an_egfr_below_30_derives_advanced_ckd_from_2_years(rank: Any, egfr: float, age: float,
                                                            expected: list[bool]) -> None:
    assert _derived(rank(_case(egfr, age=age)), "advanced_ckd") == expected


def test_no_stage_is_read_during_acute_kidney_injury(rank: Any) -> None:
    result = rank(_case(22.0, clues={"acute_kidney_injury": True}))
    assert _derived(result, "advanced_ckd") == []


def test_a_low_bicarbonate_says_less_for_distal_rta_at_stage_4(rank: Any) -> None:
    """The same bicarbonate of 19 mmol/L: at an eGFR of 70 it multiplies distal RTA's odds far more than at 22."""
    def lift(egfr: float) -> float:
        without = probability(rank(_case(egfr)), "distal_rta")
        with_bicarbonate = probability(rank(_case(egfr, 19.0)), "distal_rta")
        return _odds(with_bicarbonate) / _odds(without)

    at_stage_2, at_stage_4 = lift(70.0), lift(22.0)
    assert at_stage_4 > 1.0  # still evidence: distal RTA nearly always has the acidosis
    assert at_stage_4 < at_stage_2 / 4  # 37% against the usual 5% in the causes that do not list it


def test_the_acidosis_term_names_the_stage_it_is_read_with(rank: Any) -> None:
    result = rank(_case(22.0, 19.0))
    terms = [item for entry in result["differential"] for item in (*entry["supporting"], *entry["conflicting"])
             if item["clue"] == "metabolic_acidosis" and item.get("given") == "advanced_ckd"]
    assert terms, "a cause that does not list the acidosis takes the stage-4 background"
    # the weight is log(0.37 / background): the same for every cause that does not list it
    assert len({round(item["weight"], 6) for item in terms}) == 1
    assert terms[0]["weight"] > math.log(0.37 / 0.1)


def test_stated_kidney_failure_sets_the_same_background(rank: Any) -> None:
    """Kidney failure (stage 5) is advanced CKD: a stated acidosis counts the same as at a derived stage 4."""
    stated = rank({"pattern": "medullary", "age_years": 50, "clues": {"kidney_failure": True,
                                                                     "metabolic_acidosis": True}})
    derived = rank({"pattern": "medullary", "age_years": 50, "clues": {"kidney_failure": True,
                                                                      "advanced_ckd": True,
                                                                      "metabolic_acidosis": True}})
    assert probability(stated, "distal_rta") == pytest.approx(probability(derived, "distal_rta"))


def test_the_stage_is_never_an_unexplained_finding(rank: Any) -> None:
    """A real patient of the development set (new-distal_rta-03: eGFR 25, bicarbonate 16, potassium 3.3) had a
    poor fit when the stage counted as a finding that no cause lists."""
    result = rank({"pattern": "medullary", "modality": "xr", "laterality": "bilateral", "age_years": 38,
                   "sex": "male", "labs": {"serum_potassium": {"value": 3.3, "unit": "mmol/L"},
                                           "serum_bicarbonate": {"value": 16, "unit": "mmol/L"},
                                           "egfr": {"value": 25, "unit": EGFR}}})
    assert result["differential"][0]["cause"] == "distal_rta"
    assert "advanced_ckd" not in result["fit"]["unexplained"]
    assert result["fit"]["status"] == "good"


def test_a_severe_acidosis_counts_for_distal_rta_whatever_the_stage(rank: Any) -> None:
    """The acidosis of CKD keeps a bicarbonate of 12-23 mmol/L [Kraut11]: a bicarbonate of 9 at an eGFR of 22 is more
    than the kidney failure explains, and counts for distal RTA as fully as it does without advanced CKD."""
    def lift(bicarbonate: float) -> float:
        without = probability(rank(_case(22.0)), "distal_rta")
        return _odds(probability(rank(_case(22.0, bicarbonate)), "distal_rta")) / _odds(without)

    result = rank(_case(22.0, 9.0))
    assert _derived(result, "severe_metabolic_acidosis") == [True]
    assert _derived(rank(_case(22.0, 12.0)), "severe_metabolic_acidosis") == []  # 12 is the bottom of CKD's range
    assert lift(9.0) > 4 * lift(19.0)  # the stage's 37% background is set aside: about 16-fold, not 2.4-fold
    assert "severe_metabolic_acidosis" not in result["fit"]["unexplained"]


def test_a_stated_severe_acidosis_sets_the_stage_background_aside(rank: Any) -> None:
    def drta(**clues: bool) -> float:
        return probability(rank({"pattern": "medullary", "age_years": 50, "clues": clues}), "distal_rta")

    mild = drta(kidney_failure=True, metabolic_acidosis=True)
    severe = drta(kidney_failure=True, metabolic_acidosis=True, severe_metabolic_acidosis=True)
    no_stage = drta(ckd=True, metabolic_acidosis=True)
    assert severe > mild
    assert severe == pytest.approx(drta(kidney_failure=True, metabolic_acidosis=True, severe_metabolic_acidosis=True,
                                        advanced_ckd=True))
    assert no_stage > mild


@pytest.mark.parametrize(("edited", "message"), [
    ('unless = ["severe_metabolic_acidosis", "severe_metabolic_acidosis"]',
     "given_background.0.unless: lists a clue twice"),
    ('unless = ["severe_acidosis"]', "given_background.0.unless.0: unknown clue 'severe_acidosis'"),
    ('unless = ["advanced_ckd"]', "given_background.0.unless.0: 'advanced_ckd' is the clue itself or its given clue"),
])
def test_rules_check_names_the_field_of_a_bad_unless(edited: str, message: str, tmp_path: Any, run_main: Any) -> None:
    from test_packs import _check_edited_rules

    status, err = _check_edited_rules(tmp_path, run_main, "clues.toml", 'unless = ["severe_metabolic_acidosis"]',
                                      edited)
    assert status == 2 and f"clues.toml: clues.metabolic_acidosis.{message}" in err, err


@pytest.mark.parametrize("stated", ["kidney_failure", "advanced_ckd"])
def test_a_lab_step_for_an_implied_clue_is_not_used(rank: Any, stated: str) -> None:
    """Found by the property test in a fresh clone: with advanced CKD stated, the eGFR's CKD step is not used, since the
    stated clue implies CKD (as kidney failure always did)."""
    result = rank({"pattern": "medullary", "clues": {stated: True},
                   "labs": {"egfr": {"value": 1.0, "unit": EGFR}}})
    step = next(d for d in result["derived"] if d["clue"] == "ckd")
    assert step["present"] is True and step["used"] is False
