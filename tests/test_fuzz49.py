"""What robustness round 49 found: each fix, held by a test that fails without it."""

from __future__ import annotations

import json

from helpers import invoke


def test_a_batch_whose_lines_end_in_bare_carriage_returns_says_so() -> None:
    # classic Mac OS line ends: the whole input is one line, and the message spoke only of "trailing characters"
    status, out, _ = invoke(["batch", "-"], b'{"pattern":"medullary"}\r{"pattern":"cortical"}\r')
    assert status == 2
    record = json.loads(out.splitlines()[0])
    assert "carriage returns" in record["error"] and "tr '\\r' '\\n'" in record["error"]
    # a line ending in CR LF is a JSON Lines line like any other
    status, out, _ = invoke(["batch", "-"], b'{"pattern":"medullary"}\r\n{"pattern":"cortical"}\r\n')
    assert status == 0 and len(out.splitlines()) == 2


def test_a_bound_no_value_can_meet_is_refused() -> None:
    # "<0 pg/mL" of a PTH was read as a suppressed PTH
    status, _, err = invoke(["diff", "-p", "medullary", "--lab", "pth=<0 pg/mL"])
    assert status == 2 and err.count("\n") == 1 and "labs.pth.value" in err and "no value can meet" in err
    # an undetectable PTH written "<=0" is a PTH of 0: suppressed; and "-0" is echoed as 0
    status, out, _ = invoke(["diff", "-p", "medullary", "--lab", "pth=<=-0 pg/mL", "-f", "json"])
    result = json.loads(out)
    assert status == 0 and result["case"]["labs"]["pth"]["value"] == 0.0
    assert str(result["case"]["labs"]["pth"]["value"]) == "0.0"
    assert any(d["clue"] == "low_pth" and d["present"] for d in result["derived"])


def _bundle(status: str) -> bytes:
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female"}},
        {"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/p1"},
                      "code": {"coding": [{"system": "http://purl.obolibrary.org/obo/hp.owl", "code": "HP:0012408"}]}}},
        {"resource": {"resourceType": "Observation", "status": status, "subject": {"reference": "Patient/p1"},
                      "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
                      "valueQuantity": {"value": 11.8, "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                                        "code": "mg/dL"}}}]}).encode()


def test_a_result_status_outside_fhir_is_not_read_and_unknown_is_read_and_said() -> None:
    status, out, _ = invoke(["diff", "--fhir", "-", "-f", "json"], _bundle("bogus"))
    result = json.loads(out)
    assert status == 0 and not any(d["lab"] == "serum_calcium" for d in result["derived"])
    assert any(w["id"] == "fhir_resources_withdrawn" and "is not a FHIR Observation status" in w["message"]
               for w in result["warnings"])
    status, out, _ = invoke(["diff", "--fhir", "-", "-f", "json"], _bundle("unknown"))
    result = json.loads(out)
    assert any(d["lab"] == "serum_calcium" and d["clue"] == "hypercalcemia" for d in result["derived"])
    assert any(w["id"] == "fhir_results_preliminary" and "(unknown)" in w["message"] for w in result["warnings"])
