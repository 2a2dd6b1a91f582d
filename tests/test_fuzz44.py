"""Black-box fuzz review 44: lab values with separators and ranges, FHIR statuses that say "not done" or "not
known", and input that was passed over in silence. Each test fails without its fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, run_document

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
NC = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "236447005"}]}}
PATIENT = {"resourceType": "Patient", "gender": "female", "birthDate": "1980-01-01"}


def _bundle(*resources: dict[str, Any], patient: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "timestamp": "2026-01-01T00:00:00Z",
            "entry": [{"resource": r} for r in (patient or PATIENT, NC, *resources)]}


def _observation(code: str, **value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": LOINC, "code": code}]},
            **value}


def _messages(result: dict[str, Any]) -> str:
    return " ".join(" ".join(w["message"].split()) for w in result["warnings"])


@pytest.mark.parametrize(("value", "said"), [
    ("1,200 mg/day", "'1,200' is ambiguous: the comma may separate thousands (1200) or mark the decimal (1.200)"),
    ("1,200.5 mg/day", "'1,200.5': write the number without the thousands separator (1200.5)"),
    ("12,345,678 mg/day", "write the number without the thousands separator (12345678)"),
    ("10-12 mg/day", "'10-12 mg/day' is a range: give the one measured value"),
])
def test_a_lab_with_a_thousands_comma_or_a_range_is_refused_with_what_to_write(value: str, said: str) -> None:
    # the hint for 1,200 was "write the decimal with a point (1.200)", then read as 1.2 mg/day: no hypercalciuria
    status, _out, err = invoke(["diff", "-p", "medullary", "--lab", f"urine_calcium_24h={value}"])
    assert status == 2 and said in err and len(err.strip().splitlines()) == 1


def test_a_decimal_comma_is_still_read_as_one() -> None:
    status, _out, err = invoke(["diff", "-p", "medullary", "--lab", "serum_calcium=11,9 mg/dL"])
    assert status == 2 and "write the decimal with a point (11.9)" in err


def test_a_fhir_value_string_with_a_thousands_comma_is_not_read_1000_times_too_small(tmp_path: Path) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(_observation("6874-2", valueString="1,200 mg/day")))
    assert "urine_calcium_24h" not in (result["case"].get("labs") or {})
    assert not any(d["lab"] == "urine_calcium_24h" for d in result["derived"])
    assert "'1,200' is ambiguous" in _messages(result)
    decimal = run_document(tmp_path, "--fhir", _bundle(_observation("17861-6", valueString="2,9 mmol/L")))
    assert decimal["case"]["labs"]["serum_calcium"]["value"] == 2.9
    grouped = run_document(tmp_path, "--fhir", _bundle(_observation("6874-2", valueString="1,200.5 mg/day")))
    assert grouped["case"]["labs"]["urine_calcium_24h"]["value"] == 1200.5


@pytest.mark.parametrize("text", ["-2.9 mmol/L", "10-12 mg/dL", "NaN"])
def test_a_value_string_that_is_no_value_is_named_as_such(tmp_path: Path, text: str) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(_observation("17861-6", valueString=text)))
    assert "serum_calcium" not in (result["case"].get("labs") or {})
    assert "is not a value" in _messages(result) and "no valueQuantity" not in _messages(result)


def test_a_pth_without_unit_and_a_reference_range_in_two_units_is_not_read(tmp_path: Path) -> None:
    ranged = _observation("2731-8", valueString="45", referenceRange=[
        {"low": {"value": 1.6, "unit": "pmol/L"}, "high": {"value": 65, "unit": "pg/mL"}}])
    result = run_document(tmp_path, "--fhir", _bundle(ranged))
    assert "pth" not in (result["case"].get("labs") or {})
    assert "its referenceRange gives several (pmol/L, pg/mL)" in _messages(result)
    one = _observation("2731-8", valueString="45", referenceRange=[
        {"low": {"value": 15, "unit": "pg/mL"}, "high": {"value": 65, "unit": "pg/mL"}}])
    assert run_document(tmp_path, "--fhir", _bundle(one))["case"]["labs"]["pth"]["unit"] == "pg/mL"


def test_a_withdrawn_report_withdraws_the_results_it_contains(tmp_path: Path) -> None:
    calcium = _observation("17861-6", id="c1", valueQuantity={"value": 11.9, "unit": "mg/dL"})
    report = {"resourceType": "DiagnosticReport", "status": "entered-in-error", "code": {"text": "chemistry"},
              "contained": [calcium], "result": [{"reference": "#c1"}]}
    result = run_document(tmp_path, "--fhir", _bundle(report))
    assert "serum_calcium" not in (result["case"].get("labs") or {})
    final = run_document(tmp_path, "--fhir", _bundle({**report, "status": "final"}))
    assert final["case"]["labs"]["serum_calcium"]["value"] == 11.9


@pytest.mark.parametrize(("resource", "field", "value"), [
    ({"resourceType": "ImagingStudy", "status": "registered",
      "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}],
      "description": "CT urogram"}, "modality", "ctu"),
    ({"resourceType": "Procedure", "status": "unknown",
      "code": {"coding": [{"system": SNOMED, "code": "70536003"}]}}, "clues", "kidney_transplant"),
    ({"resourceType": "FamilyMemberHistory", "status": "health-unknown",
      "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH"}]},
      "condition": [{"code": {"coding": [{"system": SNOMED, "code": "95570007"}]}}]}, "clues", "family_history_stones"),
    ({"resourceType": "FamilyMemberHistory", "status": "completed",
      "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "ONESELF"}]},
      "condition": [{"code": {"coding": [{"system": SNOMED, "code": "95570007"}]}}]}, "clues", "family_history_stones"),
])
def test_a_resource_not_done_or_not_known_or_not_of_a_relative_is_not_read(tmp_path: Path, resource: dict[str, Any],
                                                                          field: str, value: str) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(resource))
    got = result["case"].get(field)
    assert value not in (got if isinstance(got, dict) else [got])
    assert result["warnings"]  # said, not dropped in silence
    done = {**resource, "status": {"ImagingStudy": "available", "Procedure": "completed"}.get(
        resource["resourceType"], "completed")}
    if resource.get("relationship", {}).get("coding", [{}])[0].get("code") == "ONESELF":
        done["relationship"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                            "code": "MTH"}]}
    got = run_document(tmp_path, "--fhir", _bundle(done))["case"].get(field)
    assert value in (got if isinstance(got, dict) else [got])


def test_a_body_site_that_gives_no_side_is_said(tmp_path: Path) -> None:
    heart = {**NC, "bodySite": [{"coding": [{"system": SNOMED, "code": "80891009", "display": "Heart"}]}]}
    bundle = _bundle()
    bundle["entry"][1] = {"resource": heart}
    result = run_document(tmp_path, "--fhir", bundle)
    assert "fhir_body_site_not_read" in [w["id"] for w in result["warnings"]] and "Heart" in _messages(result)
    left = {**NC, "bodySite": [{"coding": [{"system": SNOMED, "code": "18639004"}]}]}
    bundle["entry"][1] = {"resource": left}
    sided = run_document(tmp_path, "--fhir", bundle)
    assert sided["case"]["laterality"] == "unilateral"
    assert "fhir_body_site_not_read" not in [w["id"] for w in sided["warnings"]]


def test_an_age_observation_against_the_birth_date_and_a_death_without_date_are_said(tmp_path: Path) -> None:
    age = _observation("30525-0", valueQuantity={"value": 10, "unit": "a", "system": "http://unitsofmeasure.org",
                                                 "code": "a"})
    result = run_document(tmp_path, "--fhir", _bundle(age))
    assert result["case"]["age_years"] == 46
    assert "An Observation of the age (10 years) disagrees with Patient.birthDate" in _messages(result)
    dead = run_document(tmp_path, "--fhir", _bundle(patient={**PATIENT, "deceasedBoolean": True}))
    assert "fhir_deceased_without_date" in [w["id"] for w in dead["warnings"]]


def test_a_refuted_snomed_concept_that_is_one_way_of_a_finding_is_said_so(tmp_path: Path) -> None:
    refuted = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "47821001"}]},
               "verificationStatus": {"coding": [{"code": "refuted"}]}}
    result = run_document(tmp_path, "--fhir", _bundle(refuted))
    ids = [w["id"] for w in result["warnings"]]
    assert "fhir_refuted_one_way" in ids and "fhir_codes_not_mapped" not in ids


def test_a_phenopacket_unit_whose_id_and_label_disagree_is_not_read(tmp_path: Path) -> None:
    packet = {"id": "p", "subject": {"id": "s", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration":
                                                                                                   "P40Y"}}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
              "metaData": {"created": "2026-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"},
              "measurements": [{"assay": {"id": "LOINC:17861-6"}, "value": {"quantity": {
                  "unit": {"id": "UCUM:mmol/L", "label": "mg/dL"}, "value": 2.9}}}]}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert "serum_calcium" not in (result["case"].get("labs") or {})
    assert "are different units" in _messages(result)
    packet["measurements"][0]["value"]["quantity"]["unit"]["label"] = "mmol/L"
    assert run_document(tmp_path, "--phenopacket", packet)["case"]["labs"]["serum_calcium"]["value"] == 2.9


def test_the_json_case_is_unchanged_by_these_readers() -> None:
    status, out, err = invoke(["diff", "--case", "-", "--format", "json"],
                              json.dumps({"pattern": "medullary", "labs": {"urine_calcium_24h": {
                                  "value": 1200, "unit": "mg/day"}}}).encode())
    assert status == 0, err
    assert any(d["clue"] == "hypercalciuria" and d["present"] for d in json.loads(out)["derived"])


@pytest.mark.parametrize(("case", "said"), [
    ('{"pattern": "medullary", "labs": null}', "(got null)"),
    ('{"pattern": "medullary", "age_years": true}', "(got true)"),
    ('{"pattern": "medullary", "clues": [{"id": "s"}]}', '(got [{"id": "s"}])'),
])
def test_a_wrong_value_is_shown_as_the_json_it_was_not_as_python_writes_it(case: str, said: str) -> None:
    status, _out, err = invoke(["diff", "--case", "-"], case.encode())
    assert status == 2 and said in err and "None" not in err and "True" not in err


def test_an_albumin_given_as_a_bound_is_not_asked_for_again() -> None:
    status, out, _err = invoke(["diff", "-p", "medullary", "--lab", "serum_albumin=<2.0 g/dL",
                                "--lab", "serum_calcium=8 mg/dL"])
    flat = " ".join(out.split())
    assert status == 0 and "a serum_albumin given only as a bound (<2 g/dL) cannot correct it" in flat
    assert "give serum_albumin (or" not in flat


def test_a_phenopacket_excluded_null_is_the_default_as_protobuf_json_reads_it(tmp_path: Path) -> None:
    packet = {"id": "p", "subject": {"id": "s", "sex": "FEMALE"},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"},
                                      "excluded": None},
                                     {"type": {"id": "HP:0002900", "label": "Hypokalemia"}, "excluded": None}],
              "metaData": {"created": "2026-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"}}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["clues"]["hypokalemia"] is True and result["case"]["pattern"] == "medullary"


def test_a_batch_line_with_nan_keeps_its_id(tmp_path: Path) -> None:
    lines = tmp_path / "cases.jsonl"
    lines.write_text('{"id": "nan-line", "pattern": "medullary", "age_years": NaN}\n', encoding="utf-8")
    status, out, _err = invoke(["batch", str(lines)])
    assert status != 0 and json.loads(out.splitlines()[0])["id"] == "nan-line"
