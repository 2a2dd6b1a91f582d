"""What blind battery 47 found (knowledge base 2.9.39): each fix, held by a test that fails without it."""

from __future__ import annotations

from typing import Any

from helpers import as_data

from nephrocalc import guidance
from nephrocalc.engine import load_engine
from nephrocalc.intake import parse_case

ENGINE = load_engine(())


def _rank(case: dict[str, Any]) -> dict[str, Any]:
    return as_data(guidance.diff(ENGINE, parse_case(case, ENGINE.kb)))


INFANT = {"pattern": "medullary", "modality": "us", "age_years": 0.3, "sex": "female",
          "clues": {"rickets": True, "growth_failure": True},
          "labs": {"serum_calcium": {"value": 12.6, "unit": "mg/dL"}, "pth": {"value": 6, "unit": "pg/mL"}}}


def test_a_low_alkaline_phosphatase_points_outside_the_twelve() -> None:
    # hypophosphatasia (GeneReviews): an infant with rickets, hypercalcaemia, a suppressed PTH and an alkaline
    # phosphatase low for age, no vitamin D stated, had vitamin D intoxication first at 87%
    low = _rank({**INFANT, "clues": {**INFANT["clues"], "low_alkaline_phosphatase": True}})
    assert low["differential"][0]["cause"] == "other"
    assert "hypophosphatasia" in [c["cause"] for c in low["fit"]["consider"]]


def test_without_the_low_alkaline_phosphatase_the_open_world_does_not_lead() -> None:
    # the same infant without it: the finding, not the rest of the case, moved the open world
    assert _rank(INFANT)["differential"][0]["cause"] != "other"
