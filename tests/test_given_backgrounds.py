"""A finding can follow from more than one stated condition (clues.toml ``given_background`` as an array of tables):
hypokalaemia from vomiting, from diarrhoea or malabsorption, or from a metabolic alkalosis; a metabolic acidosis from
advanced CKD, acute kidney injury or bicarbonate lost in diarrhoea. With any of them stated, the finding is not evidence
for the cause that lists it (blind battery 75: vomiting with hypokalaemia gave distal RTA 92%; a post-partum cortical
necrosis in anuric kidney injury had a poor fit for its hyperphosphataemia and acidosis)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import probability

ADULT = {"pattern": "medullary", "modality": "us", "age_years": 23, "sex": "female"}


def _odds(p: float) -> float:
    return p / (1.0 - p)


@pytest.mark.parametrize("condition", ["vomiting_or_dehydration", "bariatric_surgery_or_malabsorption"])
def test_a_potassium_loss_outside_the_kidney_takes_hypokalaemia_away_from_distal_rta(rank: Any, condition: str
                                                                                     ) -> None:
    def drta(**clues: bool) -> float:
        return probability(rank({**ADULT, "clues": clues}), "distal_rta")

    # what hypokalaemia adds to distal RTA's odds, without and with a condition that loses potassium itself
    alone = _odds(drta(hypokalemia=True)) / _odds(drta())
    beside = _odds(drta(hypokalemia=True, **{condition: True})) / _odds(drta(**{condition: True}))
    assert alone > 5.0
    assert beside < alone / 3.0


def test_the_acidosis_of_malabsorption_is_not_distal_rta_evidence(rank: Any) -> None:
    def drta(**clues: bool) -> float:
        return probability(rank({**ADULT, "age_years": 45, "clues": clues}), "distal_rta")

    alone = _odds(drta(metabolic_acidosis=True)) / _odds(drta())
    beside = (_odds(drta(metabolic_acidosis=True, bariatric_surgery_or_malabsorption=True))
              / _odds(drta(bariatric_surgery_or_malabsorption=True)))
    assert beside < alone / 3.0


def test_the_chemistry_of_acute_kidney_injury_is_explained(rank: Any) -> None:
    case = {"pattern": "cortical", "modality": "ct", "laterality": "bilateral", "age_years": 31, "sex": "female",
            "clues": {"obstetric_catastrophe": True, "acute_kidney_injury": True, "shock": True,
                      "tramline_calcification": True, "small_kidneys": True},
            "labs": {"egfr": {"value": 9, "unit": "mL/min/1.73m2"},
                     "serum_bicarbonate": {"value": 16, "unit": "mmol/L"},
                     "serum_calcium": {"value": 7.6, "unit": "mg/dL"},
                     "serum_phosphate": {"value": 6.8, "unit": "mg/dL"}}}
    result = rank(case)
    assert result["differential"][0]["cause"] == "cortical_necrosis"
    assert result["fit"]["status"] == "good", result["fit"]
    without_aki = rank({**case, "clues": {k: v for k, v in case["clues"].items() if k != "acute_kidney_injury"}})
    # the eGFR of 9 is then read as kidney failure, which explains the same findings
    assert without_aki["fit"]["status"] == "good", without_aki["fit"]


def test_of_several_conditions_the_most_common_background_holds(engine: Any) -> None:
    table = engine.table
    both = table.given_term("hypokalemia", {"metabolic_alkalosis", "vomiting_or_dehydration"})
    vomiting = table.given_term("hypokalemia", {"vomiting_or_dehydration"})
    assert both is not None and both.given == "metabolic_alkalosis"  # 50% against vomiting's 30%
    assert vomiting is not None and vomiting.given == "vomiting_or_dehydration"
    assert table.given_term("hypokalemia", {"ckd"}) is None
    # a background set aside by its unless clue does not hold, while another given one still does
    assert table.given_term("metabolic_acidosis", {"advanced_ckd", "severe_metabolic_acidosis"}) is None
    held = table.given_term("metabolic_acidosis", {"advanced_ckd", "severe_metabolic_acidosis", "acute_kidney_injury"})
    assert held is not None and held.given == "acute_kidney_injury"


def test_clues_json_lists_every_given_background(run_main: Any) -> None:
    status, out, err = run_main(["clues", "--format", "json"])
    assert status == 0, err
    data = json.loads(out)
    clues = {c["id"]: c for c in (data["clues"] if isinstance(data, dict) else data)}
    hypokalemia = clues["hypokalemia"]
    givens = [g["given"] for g in hypokalemia["given_backgrounds"]]
    assert givens == ["metabolic_alkalosis", "vomiting_or_dehydration", "bariatric_surgery_or_malabsorption"]
    assert hypokalemia["given_background"] == hypokalemia["given_backgrounds"][0]  # the earlier key, kept
    assert "hypokalemia" in clues["vomiting_or_dehydration"]["sets_background_of"]


def test_the_clue_view_names_each_condition(run_main: Any) -> None:
    status, out, err = run_main(["clues"])
    assert status == 0, err
    text = " ".join(out.split())
    start = text.index("--hypokalemia Low serum potassium")
    shown = text[start:start + 900]
    assert "with --metabolic-alkalosis" in shown and "with --vomiting-or-dehydration" in shown, shown
    assert "with --bariatric-surgery-or-malabsorption" in shown, shown


@pytest.mark.parametrize(("edited", "message"), [
    ('{ given = "vomiting_or_dehydration", value = 0.3', '{ given = "metabolic_alkalosis", value = 0.3',
     ),
])
def test_a_given_clue_named_twice_is_refused(edited: str, message: str, tmp_path: Any, run_main: Any) -> None:
    from test_packs import _check_edited_rules

    status, err = _check_edited_rules(tmp_path, run_main, "clues.toml", edited, message)
    assert status == 2 and "clues.toml: clues.hypokalemia.given_background: names a given clue twice" in err, err


def test_an_array_entry_error_names_its_position(tmp_path: Any, run_main: Any) -> None:
    from test_packs import _check_edited_rules

    status, err = _check_edited_rules(tmp_path, run_main, "clues.toml",
                                      '{ given = "vomiting_or_dehydration", value = 0.3',
                                      '{ given = "vomiting", value = 0.3')
    assert status == 2 and "clues.hypokalemia.given_background.1.given: unknown clue 'vomiting'" in err, err
    status, err = _check_edited_rules(tmp_path, run_main, "clues.toml",
                                      '{ given = "vomiting_or_dehydration", value = 0.3',
                                      '{ given = "vomiting_or_dehydration", value = 3')
    assert status == 2 and "clues.hypokalemia.given_background.1.value" in err, err
    first = 'given_background = [\n  { given = "metabolic_alkalosis"'
    status, err = _check_edited_rules(tmp_path, run_main, "clues.toml", first, first.replace("[", "'x'\nextra = ["))
    assert status == 2 and "clues.hypokalemia.given_background: must be a table, or an array of tables (got 'x')" \
        in err, err


def test_an_absence_beside_a_condition_that_brings_the_finding_only_at_times_weighs_nothing(rank: Any) -> None:
    """A normal potassium beside vomiting says nothing of the cause (counts_absent = false); a PTH that is not
    suppressed beside hypercalcaemia still counts against the causes that do not list it (the default)."""
    def weights(result: dict[str, Any], clue: str) -> list[float]:
        return [e["weight"] for item in result["differential"] for e in (*item["supporting"], *item["conflicting"])
                if e["clue"] == clue and e["present"] is False and e.get("given")]

    vomiting = rank({**ADULT, "clues": {"vomiting_or_dehydration": True, "hypokalemia": False}})
    assert weights(vomiting, "hypokalemia") == []
    hypercalcaemic = rank({**ADULT, "age_years": 60, "clues": {"hypercalcemia": True, "low_pth": False}})
    assert weights(hypercalcaemic, "low_pth") and all(w < 0 for w in weights(hypercalcaemic, "low_pth"))


def test_counts_absent_is_shown_and_checked(run_main: Any, tmp_path: Any) -> None:
    from test_packs import _check_edited_rules

    status, out, err = run_main(["clues", "--format", "json"])
    data = json.loads(out)
    clues = {c["id"]: c for c in (data["clues"] if isinstance(data, dict) else data)}
    shown = {g["given"]: g.get("counts_absent", True) for g in clues["hypokalemia"]["given_backgrounds"]}
    assert shown == {"metabolic_alkalosis": True, "vomiting_or_dehydration": False,
                     "bariatric_surgery_or_malabsorption": False}
    status, err = _check_edited_rules(tmp_path, run_main, "clues.toml", "absent_masked_by = {",
                                      "absent_masked_by = { counts_absent = false,")
    assert status == 2 and "absent_masked_by.counts_absent: is read only in given_background" in err, err
