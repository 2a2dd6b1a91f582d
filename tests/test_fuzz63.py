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


@pytest.mark.parametrize("last", [{}, {"resourceType": ""}, {"resourceType": None}, {"resourceType": 1},
                                  {"resourceType": []}, [], 3])
def test_an_unreadable_last_entry_is_named_like_any_other(last: object) -> None:
    """The last entry of a Bundle without a resourceType was an internal error (IndexError); anywhere else it was
    named in fhir_entries_not_read."""
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": {"resourceType": "Patient", "id": "p", "gender": "female"}}, {"resource": last}]}
    result, warnings = _run(["diff", "--fhir", "-", "-p", "medullary"], json.dumps(bundle).encode())
    assert "entry[1].resource" in warnings["fhir_entries_not_read"]
    assert result["case"]["sex"] == "female"


@pytest.mark.parametrize("value", [{"coding": [{"code": "collection"}]}, ["collection"]])
def test_a_bundle_type_or_intent_given_as_an_object_is_said(value: object) -> None:
    """Bundle.type or MedicationRequest.intent given as an object or a list was an internal error (unhashable)."""
    order = {"resourceType": "MedicationRequest", "status": "active", "intent": value,
             "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": {"text": "furosemide"}}
    raw = json.loads(_bundle(order))
    raw["type"] = value
    result, warnings = _run(["diff", "--fhir", "-"], json.dumps(raw).encode())
    assert "is not a FHIR Bundle type" in warnings["fhir_bundle_type"]
    assert "loop_diuretic" not in result["case"].get("clues", {}), "an order whose intent is unreadable is not a drug"


def test_a_report_nested_in_a_report_is_said_not_read() -> None:
    """A DiagnosticReport contained in another (against FHIR's dom-2) lost its calcium without a word."""
    inner = {"resourceType": "DiagnosticReport", "id": "inner", "status": "final", "code": {"text": "x"},
             "contained": [{"resourceType": "Observation", "id": "o1", "status": "final",
                            "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
                            "valueQuantity": {"value": 11.9, "unit": "mg/dL"}}],
             "result": [{"reference": "#o1"}]}
    outer = {"resourceType": "DiagnosticReport", "id": "outer", "status": "final", "code": {"text": "y"},
             "subject": {"reference": "Patient/p"}, "contained": [inner], "result": [{"reference": "#inner"}],
             "effectiveDateTime": "2019-06-01"}
    _, warnings = _run(["diff", "--fhir", "-"], _bundle(outer))
    assert "DiagnosticReport in a DiagnosticReport" in warnings["fhir_contained_not_read"]


NOTICE_LINE = "nephrocalc: note: Decision support for clinicians, not a diagnosis."


@pytest.mark.parametrize("argv", [["diff", "-p", "medullary", "-f", "tsv"], ["diff", "-p", "medullary", "-f", "csv"],
                                  ["batch", "-", "-f", "tsv"], ["batch", "-", "-f", "csv"]])
def test_rows_without_a_notice_say_it_once_on_stderr(argv: list[str]) -> None:
    """tsv and csv never said that the ranking is decision support, on stdout or stderr; every other format does."""
    status, out, err = invoke(argv, b'{"id": "a", "pattern": "medullary"}\n{"id": "b", "pattern": "cortical"}\n')
    assert status == 0 and out.startswith("id"), err
    assert err.count(NOTICE_LINE) == 1 and "Decision support" not in out


def test_omitted_asked_for_without_top_is_refused() -> None:
    """`batch --fields id,omitted` without --top printed {"id": "a"}, and --fields omitted printed {}, exit 0."""
    for fields in ("id,omitted", "omitted"):
        status, out, err = invoke(["batch", "-", "--fields", fields], b'{"id": "a", "pattern": "medullary"}\n')
        assert status == 2 and not out and err.startswith("nephrocalc: error: --fields: omitted is only there with "
                                                          "--top N"), err
    status, out, err = invoke(["batch", "-", "--fields", "id,omitted", "--top", "2"],
                              b'{"id": "a", "pattern": "medullary"}\n')
    assert status == 0 and json.loads(out)["omitted"]["causes"] == 11, err


def test_the_frequency_legend_gives_each_word_its_share_once() -> None:
    """The legend under `nephrocalc cause` read "always = almost 95%, usually = usually 80%" (UX review 2, §6)."""
    status, out, err = invoke(["cause", "distal_rta"])
    assert status == 0, err
    legend = " ".join(out.split()).split("frequency words", 1)[1]
    assert "always ≈ 95%" in legend and "usually ≈ 80%" in legend and "almost never ≈ 1%" in legend
    assert "almost 95%" not in legend and "usually usually" not in legend.replace("=", "")


def test_a_phenopacket_without_a_pattern_names_both_pattern_terms() -> None:
    """The warning named the medullary term's id but not the cortical one's ("medullary HP:0012408, cortical")."""
    packet = {"id": "p", "subject": {"id": "s", "sex": "FEMALE"}, "phenotypicFeatures": [],
              "metaData": {"phenopacketSchemaVersion": "2.0"}}
    _, warnings = _run(["diff", "--phenopacket", "-"], json.dumps(packet).encode())
    assert "(medullary HP:0012408, cortical HP:0012409)" in warnings["pattern_unknown"]
