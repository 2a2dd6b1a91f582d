"""Robustness round 78 (standard inputs as real exporters write them, rule packs): what was fixed.

- a lab value of a phenopacket or a FHIR bundle dropped as implausible was named by the case path
  ``labs.serum_calcium.value``, which the document does not have, not by its measurement or Observation;
- a LOINC or SNOMED CT code mistyped by one digit in a rule file loaded, and silently matched nothing (the check
  digits are now verified; tests/test_pack_review.py);
- a finding with both likelihood ratios 1 loaded, though it changes nothing (tests/test_pack_review.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import run_document

CALCIUM = {"system": "http://loinc.org", "code": "17861-6"}


def _warnings(result: dict[str, Any]) -> str:
    return " ".join(w["message"] for w in result["warnings"])


def test_an_implausible_phenopacket_measurement_is_named_by_its_element(tmp_path: Path) -> None:
    packet = {"id": "t1", "subject": {"id": "s1", "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
              "measurements": [
                  {"assay": {"id": "LOINC:2823-3", "label": "Potassium"},
                   "value": {"quantity": {"unit": {"id": "UCUM:mmol/L", "label": "mmol/L"}, "value": 2.9}}},
                  {"assay": {"id": "LOINC:17861-6", "label": "Calcium"},
                   "value": {"quantity": {"unit": {"id": "UCUM:mg/dL", "label": "mg/dL"}, "value": 112}}}],
              "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"}}
    said = _warnings(run_document(tmp_path, "--phenopacket", packet))
    assert "measurements[1].value.quantity (serum_calcium): 112 mg/dL is outside the plausible range" in said
    assert "labs.serum_calcium" not in said


def test_an_implausible_fhir_value_is_named_by_its_observation(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female"}},
        {"resource": {"resourceType": "Observation", "id": "ca-1", "status": "final", "code": {"coding": [CALCIUM]},
                      "valueQuantity": {"value": 112, "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                                        "code": "mg/dL"}}},
        {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "panel"},
                      "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
                                     "valueQuantity": {"value": 29, "unit": "mmol/L"}}]}}]}
    said = _warnings(run_document(tmp_path, "--fhir", bundle))
    assert "Observation/ca-1.valueQuantity (serum_calcium, LOINC 17861-6): 112 mg/dL is outside" in said
    assert "Observation.component[0].valueQuantity (serum_potassium, LOINC 2823-3): 29 mmol/L is outside" in said
    assert "labs.serum_" not in said
