"""Robustness round 84: what was mended.

- a phenopacket written with the protobuf field names (``phenotypic_features``, ``time_at_last_encounter``), which
  protobuf's JSON mapping accepts beside the JSON names (``MessageToJson(..., preserving_proto_field_name=True)``
  writes them), was read as a phenopacket with none of its parts: no pattern, no finding, no age, each field named
  "not a field of a GA4GH Phenopacket v2";
- a FHIR Observation of a finding with two value[x] (valueBoolean true and valueString "no"), which FHIR does not
  allow, was read by one of them, without a word: the finding silently absent; a lab's Observation with two is
  already left unused, with a warning, and now a finding's is too;
- any other choice element given in two forms (deceasedBoolean false beside a deceasedDateTime; effectiveDateTime
  beside effectivePeriod) was read by one of them, without a word: a living patient's age was taken at the death date
  (30 years, not 54), a sample dated by one of its two dates decided which calcium was the newest;
- a phenopacket's protobuf oneofs given twice: a medical action with a procedure and a treatment lost the treatment
  (calcitriol, without a word); a measurement with a value and a complexValue, or a quantity and a category ("Low"
  beside 11.9 mg/dL), was read by its quantity, the other dropped unsaid.
"""

from __future__ import annotations

import json
from typing import Any

from helpers import invoke


def _diff_phenopacket(packet: dict[str, Any], *flags: str) -> tuple[int, dict[str, Any], str]:
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json", *flags], json.dumps(packet).encode())
    return status, (json.loads(out) if status == 0 else {}), err


def test_a_phenopacket_with_protobuf_field_names_is_read_as_with_json_names() -> None:
    camel = {"id": "p1",
             "subject": {"id": "s1", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
             "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}},
                                    {"type": {"id": "HP:0003072", "label": "Hypercalcemia"}, "excluded": True}],
             "measurements": [{"assay": {"id": "LOINC:2731-8", "label": "PTH"},
                               "value": {"quantity": {"unit": {"id": "UCUM:pg/mL", "label": "pg/mL"}, "value": 95}},
                               "timeObserved": {"age": {"iso8601duration": "P40Y"}}}],
             "metaData": {"phenopacketSchemaVersion": "2.0"}}
    snake = json.loads(json.dumps(camel).replace("timeAtLastEncounter", "time_at_last_encounter")
                       .replace("phenotypicFeatures", "phenotypic_features").replace("timeObserved", "time_observed")
                       .replace("phenopacketSchemaVersion", "phenopacket_schema_version"))
    status, expected, _ = _diff_phenopacket(camel)
    assert status == 0
    status, got, err = _diff_phenopacket(snake)
    assert status == 0, err
    assert got["case"] == expected["case"]
    assert got["case"]["pattern"] == "medullary" and got["case"]["clues"] == {"hypercalcemia": False}
    assert got["case"]["age_years"] == 40
    assert [e["cause"] for e in got["differential"]] == [e["cause"] for e in expected["differential"]]
    notes = {w["id"]: w["message"] for w in got["warnings"]}
    assert "phenotypic_features" in notes["phenopacket_proto_field_names"]
    assert not any("not a field" in message for message in notes.values())


def test_a_field_given_by_both_its_names_is_refused_naming_both() -> None:
    packet = {"id": "p1", "subject": {"id": "s1"}, "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}],
              "phenotypic_features": [{"type": {"id": "HP:0012409"}}]}
    status, _, err = _diff_phenopacket(packet)
    assert status == 2
    assert err.count("\n") == 1 and "phenopacket.phenotypicFeatures" in err and "phenotypic_features" in err, err


def test_batch_reads_a_phenopacket_line_with_protobuf_field_names() -> None:
    line = json.dumps({"id": "p1",
                       "subject": {"id": "s1", "time_at_last_encounter": {"age": {"iso8601duration": "P6Y"}}},
                       "phenotypic_features": [{"type": {"id": "HP:0012409"}}]})
    status, out, err = invoke(["batch", "-", "--input", "phenopacket"], (line + "\n").encode())
    assert status == 0, err
    record = json.loads(out)
    assert record["case"]["pattern"] == "cortical" and record["case"]["age_years"] == 6


HPO = "http://purl.obolibrary.org/obo/hp.owl"
SNOMED = "http://snomed.info/sct"


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "gender": "female",
                                                      "birthDate": "1970-03-04"}}
    nc = {"resourceType": "Condition", "subject": {"reference": "urn:uuid:p1"}, "recordedDate": "2024-04-01",
          "code": {"coding": [{"system": HPO, "code": "HP:0012408", "display": "Medullary nephrocalcinosis"}]}}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [patient, {"resource": nc}, *({"resource": r} for r in resources)]}


def _finding(**values: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": "urn:uuid:p1"},
            "effectiveDateTime": "2024-04-01",
            "code": {"coding": [{"system": HPO, "code": "HP:0003072", "display": "Hypercalcemia"}]}, **values}


def test_a_finding_observation_with_two_values_is_not_read_and_is_said() -> None:
    present = {"system": SNOMED, "code": "52101004", "display": "Present"}
    for values in ({"valueBoolean": True, "valueString": "no"},
                   {"valueBoolean": False, "valueCodeableConcept": {"coding": [present]}}):
        status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(_bundle(_finding(**values)))
                                  .encode())
        assert status == 0, err
        result = json.loads(out)
        assert "hypercalcemia" not in result["case"].get("clues", {}), values
        message = {w["id"]: w["message"] for w in result["warnings"]}["fhir_results_not_read"]
        assert "FHIR allows one value[x]" in message and " and ".join(values) in message, message


def test_a_finding_observation_with_one_value_is_still_read() -> None:
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"],
                              json.dumps(_bundle(_finding(valueBoolean=False))).encode())
    assert status == 0, err
    assert json.loads(out)["case"]["clues"] == {"hypercalcemia": False}


def _read_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(bundle).encode())
    assert status == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_a_patient_both_alive_and_dead_is_aged_as_alive_and_said() -> None:
    bundle = _bundle()
    bundle["entry"][0]["resource"].update(deceasedBoolean=False, deceasedDateTime="2000-03-04")
    result = _read_bundle(bundle)
    assert round(result["case"]["age_years"]) == 54
    notes = {w["id"]: w["message"] for w in result["warnings"]}
    assert "fhir_dated_after_death" not in notes
    assert "Patient/p1: deceasedBoolean and deceasedDateTime" in notes["fhir_choice_given_twice"]


def test_a_sample_with_two_dates_does_not_decide_which_value_is_newest() -> None:
    loinc, ucum = "http://loinc.org", "http://unitsofmeasure.org"

    def calcium(value: float, **dates: Any) -> dict[str, Any]:
        return {"resourceType": "Observation", "status": "final", "subject": {"reference": "urn:uuid:p1"},
                "code": {"coding": [{"system": loinc, "code": "17861-6"}]},
                "valueQuantity": {"value": value, "unit": "mg/dL", "system": ucum, "code": "mg/dL"}, **dates}

    doubled = calcium(11.9, effectiveDateTime="2024-01-01", effectivePeriod={"start": "2020-01-01"})
    result = _read_bundle(_bundle(doubled, calcium(9.0, effectiveDateTime="2022-01-01")))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 9.0
    notes = {w["id"]: w["message"] for w in result["warnings"]}
    assert "Observation: effectiveDateTime and effectivePeriod" in notes["fhir_choice_given_twice"]


def test_a_contained_result_with_its_own_date_keeps_it_beside_the_reports_period() -> None:
    result_obs = {"resourceType": "Observation", "id": "ca", "status": "final", "effectiveDateTime": "2024-01-01",
                  "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
                  "valueQuantity": {"value": 11.9, "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                                    "code": "mg/dL"}}
    report = {"resourceType": "DiagnosticReport", "status": "final", "subject": {"reference": "urn:uuid:p1"},
              "code": {"text": "chemistry"}, "effectivePeriod": {"start": "2023-12-31", "end": "2024-01-02"},
              "contained": [result_obs], "result": [{"reference": "#ca"}]}
    result = _read_bundle(_bundle(report))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.9
    assert "fhir_choice_given_twice" not in {w["id"] for w in result["warnings"]}


def _packet(**parts: Any) -> dict[str, Any]:
    return {"id": "p1", "subject": {"id": "s1", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration":
                                                                                                  "P40Y"}}},
            "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}], **parts}


def test_a_medical_action_with_a_procedure_and_a_treatment_reads_both_and_says_so() -> None:
    action = {"procedure": {"code": {"id": "NCIT:C15313", "label": "Radiography"}},
              "treatment": {"agent": {"id": "CHEBI:17823", "label": "calcitriol"}}}
    status, result, err = _diff_phenopacket(_packet(medicalActions=[action]))
    assert status == 0, err
    assert result["case"]["clues"] == {"vitamin_d_therapy": True}
    notes = {w["id"]: w["message"] for w in result["warnings"]}
    assert "procedure Radiography and treatment calcitriol" in notes["phenopacket_two_actions"]


def test_a_measurement_with_two_values_is_not_used_and_is_said() -> None:
    quantity = {"unit": {"id": "UCUM:mg/dL", "label": "mg/dL"}, "value": 11.9}
    for measurement, given in (
            ({"value": {"quantity": quantity, "ontologyClass": {"id": "NCIT:C25228", "label": "Low"}}},
             "value.quantity and value.ontologyClass"),
            ({"value": {"quantity": quantity},
              "complexValue": {"typedQuantities": [{"type": {"id": "NCIT:C25228"}, "quantity": quantity}]}},
             "value and complexValue")):
        status, result, err = _diff_phenopacket(_packet(measurements=[{"assay": {"id": "LOINC:17861-6"},
                                                                       **measurement}]))
        assert status == 0, err
        assert "labs" not in result["case"], given
        message = {w["id"]: w["message"] for w in result["warnings"]}["phenopacket_measurements_not_read"]
        assert f"gives {given}; a measurement holds one of them" in message


def test_two_labs_deciding_over_a_third_are_said_in_the_plural() -> None:
    status, out, err = invoke(["diff", "-p", "medullary", "--lab", "serum_calcium=11.9 mg/dL", "--lab",
                               "corrected_calcium=9 mg/dL", "--lab", "ionized_calcium=1.1 mmol/L", "-f", "json"])
    assert status == 0, err
    messages = [w["message"] for w in json.loads(out)["warnings"] if w["id"] == "lab_conflict"]
    assert any("corrected_calcium and ionized_calcium were used (corrected_calcium and ionized_calcium decide over "
               "serum_calcium)" in m for m in messages), messages
    assert not any(" and ionized_calcium was used" in m for m in messages), messages
