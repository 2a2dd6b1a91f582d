"""What blind battery 48 found (knowledge base 2.9.40): each fix, held by a test that fails without it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import as_data

from nephrocalc import guidance
from nephrocalc.engine import Engine, load_engine
from nephrocalc.intake import parse_case
from nephrocalc.loader import extended_rules_dir

BASE = load_engine(())
PACK = Path(__file__).resolve().parents[1] / "docs" / "packs" / "bartter"


@pytest.fixture(scope="module")
def extended() -> Engine:
    return load_engine((extended_rules_dir(),))


def _diff(engine: Engine, case: dict[str, Any]) -> dict[str, Any]:
    return as_data(guidance.diff(engine, parse_case(case, engine.kb)))


def _top(result: dict[str, Any]) -> tuple[str, float]:
    return result["differential"][0]["cause"], result["differential"][0]["probability"]


# a 74-year-old woman: bilateral cortical calcification on MR, small kidneys, a thinned cortex and CKD, every insult
# of cortical necrosis stated absent, nothing known of a glomerulonephritis
SHRUNKEN = {"pattern": "cortical", "modality": "mr", "laterality": "bilateral", "age_years": 74, "sex": "female",
            "clues": {"small_kidneys": True, "cortical_atrophy": True, "ckd": True, "obstetric_catastrophe": False,
                      "shock": False, "hus": False, "acute_kidney_injury": False}}


def test_small_kidneys_beside_a_thinned_cortex_count_once() -> None:
    # one contracted end-stage kidney, counted twice, multiplied chronic GN's ratio by 16 a second time
    both = _diff(BASE, SHRUNKEN)
    atrophy_only = _diff(BASE, {**SHRUNKEN, "clues": {k: v for k, v in SHRUNKEN["clues"].items()
                                                      if k != "small_kidneys"}})
    assert [(e["cause"], e["probability"]) for e in both["differential"]] == \
        [(e["cause"], e["probability"]) for e in atrophy_only["differential"]]
    assert any("small_kidneys" in w["message"] and "counted once" in w["message"] for w in both["warnings"])


def test_chronic_gn_is_not_near_certain_before_a_glomerulonephritis_is_known() -> None:
    cause, probability = _top(_diff(BASE, SHRUNKEN))
    assert cause == "chronic_glomerulonephritis" and probability <= 0.85
    # the known glomerulonephritis is its defining finding: stated, the cap is lifted
    known = _diff(BASE, {**SHRUNKEN, "clues": {**SHRUNKEN["clues"], "glomerulonephritis": True}})
    cause, probability = _top(known)
    assert cause == "chronic_glomerulonephritis" and probability > 0.85


FHH = {"pattern": "medullary", "modality": "us", "grade": 1, "laterality": "bilateral", "age_years": 45, "sex": "male",
       "clues": {"family_history_hypercalcemia": True},
       "labs": {"serum_calcium": {"value": 10.9, "unit": "mg/dL"}, "pth": {"value": 58, "unit": "pg/mL"},
                "urine_calcium_24h": {"value": 60, "unit": "mg/day"},
                "serum_magnesium": {"value": 1.05, "unit": "mmol/L"}}}


def test_fhh_leads_but_is_not_near_certain_as_the_cause_of_a_calcification_it_does_not_make(extended: Engine) -> None:
    result = _diff(extended, FHH)
    cause, probability = _top(result)
    assert cause == "familial_hypocalciuric_hypercalcemia" and probability == 0.6
    assert result["differential"][0]["capped"] is True
    # what it gives up goes mostly to hyperparathyroidism, which the nephrocalcinosis argues for
    second = result["differential"][1]
    assert second["cause"] == "hyperparathyroidism" and second["probability"] > 0.3
    assert result["fit"]["status"] == "poor"
    assert abs(sum(e["probability"] for e in result["differential"]) - 1.0) < 1e-6


def test_a_cap_without_unless_is_accepted_in_a_pack_and_holds_always(tmp_path: Path, run_main: Any) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    cause = pack / "causes" / "bartter_syndrome.toml"
    text = cause.read_text(encoding="utf-8")
    cause.write_text(text.replace("\n[prior]", '\n[certainty]\ncap = 0.55\nsources = ["Bhat12"]\n'
                                  'note = "test cap"\n\n[prior]', 1), encoding="utf-8")
    status, out, err = run_main(["rules", "check", str(pack)])
    assert status == 0, err
    status, out, err = run_main(["causes", "--rules", str(pack), "--format", "json"])
    assert status == 0, err
    listed = {c["id"]: c for c in json.loads(out)["causes"]}
    assert listed["bartter_syndrome"]["certainty"]["unless"] is None
