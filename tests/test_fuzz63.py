"""What robustness round 63 found. Each fix is held by a test that fails without it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke
from test_fuzz61 import _bundle


def _run(argv: list[str], raw: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    status, out, err = invoke([*argv, "--format", "json"], raw)
    assert status == 0, err
    result = json.loads(out)
    return result, {w["id"]: w["message"] for w in result["warnings"]}


@pytest.mark.parametrize(("typed", "shown"), [("x\\y", "(got 'x\\\\y')"), ("x'y", "(got \"x'y\")"),
                                              ("abc", "(got 'abc')")])
def test_an_unreadable_age_is_quoted_once(typed: str, shown: str) -> None:
    """A backslash typed in --age was shown as four (click's quoting, quoted again), and an age with a quote in it
    fell back to click's "is not a valid float range"."""
    status, _, err = invoke(["diff", "-p", "medullary", "--age", typed])
    assert status == 2 and err.startswith("nephrocalc: error: --age: must be an age in years"), err
    assert shown in err and err.count("\n") == 1, err


@pytest.mark.parametrize(("kind", "dated", "said"), [
    ("MedicationStatement", {"effectiveDateTime": "1960-05-01"}, "MedicationStatement.effectiveDateTime 1960-05-01"),
    ("MedicationRequest", {"authoredOn": "1969-12-01", "intent": "order"}, "MedicationRequest.authoredOn 1969-12-01"),
    ("MedicationAdministration", {"effectivePeriod": {"start": "1960-01-01", "end": "1961-01-01"}},
     "MedicationAdministration.effectivePeriod.end 1961-01-01"),
])
def test_a_drug_dated_before_birth_is_read_and_said(kind: str, dated: dict[str, Any], said: str) -> None:
    """A furosemide of 1980 for a patient born in 1990 was read as the patient's exposure without a word."""
    furosemide = {"resourceType": kind, "status": "completed", "subject": {"reference": "Patient/p"},
                  "medicationCodeableConcept": {"text": "furosemide"}, **dated}
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(furosemide))
    assert result["case"]["clues"]["loop_diuretic"] is True
    assert said in warnings["fhir_medication_before_birth"] and "furosemide" in warnings["fhir_medication_before_birth"]


def test_a_drug_dated_after_birth_needs_no_word() -> None:
    furosemide = {"resourceType": "MedicationStatement", "status": "completed", "subject": {"reference": "Patient/p"},
                  "medicationCodeableConcept": {"text": "furosemide"},
                  "effectivePeriod": {"start": "1960-01-01", "end": "2001-01-01"}}
    _, warnings = _run(["diff", "--fhir", "-"], _bundle(furosemide))
    assert "fhir_medication_before_birth" not in warnings
