"""Interop review 48: a FHIR result only registered has no value yet, and one not yet final is read and said. Each
test fails without its fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import invoke

LOINC = "http://loinc.org"


def _bundle(status: str, loinc: str, value: float, unit: str, code: str) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-01-01"}},
        {"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/p1"},
                      "code": {"coding": [{"system": "http://purl.obolibrary.org/obo/hp.owl", "code": "HP:0012408"}]}}},
        {"resource": {"resourceType": "Observation", "status": status, "subject": {"reference": "Patient/p1"},
                      "effectiveDateTime": "2024-01-01",
                      "code": {"coding": [{"system": LOINC, "code": loinc}]},
                      "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
                                        "code": code}}}]}


def _run(tmp_path: Path, document: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    status, out, err = invoke(["diff", "--fhir", str(path), "--format", "json"])
    assert status == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_a_result_only_registered_is_not_read(tmp_path: Path) -> None:
    # FHIR R4 observation-status "registered": no result yet; a bicarbonate of 14 so marked made distal RTA first
    result = _run(tmp_path, _bundle("registered", "1963-8", 14, "mmol/L", "mmol/L"))
    assert not any(d["lab"] == "serum_bicarbonate" for d in result["derived"])
    assert any(w["id"] == "fhir_resources_withdrawn" for w in result["warnings"])
    final = _run(tmp_path, _bundle("final", "1963-8", 14, "mmol/L", "mmol/L"))
    assert any(d["lab"] == "serum_bicarbonate" for d in final["derived"])


def test_a_preliminary_result_is_read_and_said(tmp_path: Path) -> None:
    result = _run(tmp_path, _bundle("preliminary", "2731-8", 98, "pg/mL", "pg/mL"))
    assert any(d["lab"] == "pth" for d in result["derived"])
    said = [w["message"] for w in result["warnings"] if w["id"] == "fhir_results_preliminary"]
    assert said and "pth 98 (preliminary)" in said[0]
    final = _run(tmp_path, _bundle("final", "2731-8", 98, "pg/mL", "pg/mL"))
    assert not any(w["id"] == "fhir_results_preliminary" for w in final["warnings"])


def _observation(loinc: str, value: float, unit: str, day: str) -> dict[str, Any]:
    return {"resource": {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
                         "effectiveDateTime": day, "code": {"coding": [{"system": LOINC, "code": loinc}]},
                         "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
                                           "code": unit}}}


def _serial(pth_day: str) -> dict[str, Any]:
    bundle = _bundle("final", "17861-6", 11.8, "mg/dL", "mg/dL")  # a calcium of 11.8 on 2024-01-01
    bundle["entry"] += [_observation("17861-6", 9.1, "mg/dL", "2025-06-01"),
                        _observation("2731-8", 120, "pg/mL", pth_day)]
    return bundle


def test_a_pth_is_read_with_the_calcium_of_its_own_date(tmp_path: Path) -> None:
    # a PTH drawn during hypercalcaemia was read beside a normal calcium 17 months later: hyperparathyroidism fifth
    result = _run(tmp_path, _serial("2024-01-01"))
    assert any(d["clue"] == "hypercalcemia" and d["present"] and d["value"] == 11.8 for d in result["derived"])
    said = [w["message"] for w in result["warnings"] if w["id"] == "fhir_labs_paired"]
    assert said and "serum_calcium 11.8 mg/dL of 2024-01-01 (the PTH of 2024-01-01), not 9.1 mg/dL of 2025-06-01" \
        in said[0]
    assert result["differential"][0]["cause"] == "hyperparathyroidism"
    # a PTH beside the newest calcium: the newest is kept, and nothing is said of pairing
    newest = _run(tmp_path, _serial("2025-06-01"))
    assert any(d["lab"] == "serum_calcium" and d["value"] == 9.1 for d in newest["derived"])
    assert not any(w["id"] == "fhir_labs_paired" for w in newest["warnings"])
