"""Robustness round 86: what was mended.

- a FHIR Observation whose code is a finding named word for word in its text alone ("Hypercalcemia"), read since the
  text-only reading, was read as the finding present whatever its value: a valueQuantity (12 mg/dL), a valueString
  "maybe", two value[x] or a dataAbsentReason, all of which leave the same Observation coded in HPO unused, with a
  warning; it is now judged as the coded one is;
- a finding named word for word whose text then denies it ("Hypokalemia ruled out" beside an ICD-10 display
  "Hypokalemia") was said both denied and "read as that finding", and the denial named an HPO code the document does
  not hold; the name-read note now lists only what was read, and the denial names the document's codes;
- plain vitamin D whose dose was given but not read (in drops or tablets, a malformed doseIntervals) was said read
  with "no dose given"; a FHIR dose given as a doseRange (1000-2000 IU, a usual dose) was passed over and the drug
  read as the high-dose exposure; a phenopacket dose in the Unit Ontology's microgram (UO:0000023) without a label
  was not read. A range is read by its high end, UO's microgram and milligram are read, and a dose not read is
  said so;
- a Procedure, FamilyMemberHistory or ImagingStudy whose status is not a FHIR code ("x", "", "Completed") was read
  without a word (dialysis as kidney failure, a mother's stones as the family history), where an Observation's,
  DiagnosticReport's or medication's such status leaves it unused, with a warning; theirs now does too;
- a resource whose subject (or patient) is not a FHIR Reference ("Patient/zzz" as a bare string, a number, a
  reference that is a number) was read as naming no patient, so as this patient's, without a word, where a
  Reference to another patient is left out; it is now left out, and said;
- a Condition whose clinicalStatus has codings but no code that can be read (a code 0 or "", a coding given as the
  string "resolved") was read as active without a word, where a status that is no object is said; it is said too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke

HPO = "http://purl.obolibrary.org/obo/hp.owl"
ICD10 = "http://hl7.org/fhir/sid/icd-10"


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-01-01"}
    nephrocalcinosis = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                        "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (patient, nephrocalcinosis, *resources)]}


def _diff_fhir(bundle: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(bundle).encode())
    assert status == 0, err
    result = json.loads(out)
    return result, {w["id"]: w["message"] for w in result["warnings"]}


def _observation(code: dict[str, Any], **value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p"}, "code": code,
            **value}


@pytest.mark.parametrize("value", [
    {"valueQuantity": {"value": 12, "unit": "mg/dL"}},
    {"valueString": "maybe"},
    {"valueBoolean": True, "valueString": "no"},
    {"dataAbsentReason": {"text": "error"}},
])
def test_a_finding_named_in_text_with_an_unreadable_value_is_judged_as_its_code(value: dict[str, Any]) -> None:
    coded, _ = _diff_fhir(_bundle(_observation({"coding": [{"system": HPO, "code": "HP:0003072"}]},
                                                         **value)))
    named, named_notes = _diff_fhir(_bundle(_observation({"text": "Hypercalcemia"}, **value)))
    assert "hypercalcemia" not in coded["case"].get("clues", {})
    assert "hypercalcemia" not in named["case"].get("clues", {}), named["case"]
    assert "fhir_results_not_read" in named_notes and "Hypercalcemia" in named_notes["fhir_results_not_read"]
    assert "fhir_finding_read_from_text" not in named_notes


def test_a_finding_named_in_text_with_a_readable_value_is_still_read() -> None:
    result, notes = _diff_fhir(_bundle(_observation({"text": "Hypokalemia"}, valueString="No"),
                                       _observation({"text": "Hypercalcemia"}, valueBoolean=True)))
    assert result["case"]["clues"] == {"hypokalemia": False, "hypercalcemia": True}
    assert "'Hypokalemia'" in notes["fhir_finding_read_from_text"]


def test_a_named_finding_its_text_denies_is_not_also_said_read() -> None:
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                 "code": {"coding": [{"system": ICD10, "code": "E87.6", "display": "Hypokalemia"}],
                          "text": "Hypokalemia ruled out"}}
    result, notes = _diff_fhir(_bundle(condition))
    assert "hypokalemia" not in result["case"].get("clues", {})
    assert "fhir_finding_read_from_text" not in notes
    denied = notes["fhir_text_denies_code"]
    assert "E87.6" in denied and "HP:0002900" not in denied and HPO not in denied


def _vitamin_d_statement(**dosage: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "status": "active", "subject": {"reference": "Patient/p"},
            "medicationCodeableConcept": {"text": "Cholecalciferol"}, **dosage}


def test_a_fhir_vitamin_d_dose_given_as_a_range_is_read_by_its_high_end() -> None:
    dose_range = {"low": {"value": 1000, "unit": "IU"}, "high": {"value": 2000, "unit": "IU", "code": "[iU]"}}
    result, notes = _diff_fhir(_bundle(_vitamin_d_statement(dosage=[{"doseAndRate": [{"doseRange": dose_range}]}])))
    assert "vitamin_d_therapy" not in result["case"].get("clues", {})
    assert any("2000 IU a dose" in message for message in notes.values())


@pytest.mark.parametrize("dosage", [
    [{"doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet", "code": "{tbl}"}}]}],
    [{"text": "one tablet daily"}],
])
def test_a_fhir_vitamin_d_dose_not_read_is_not_said_absent(dosage: list[dict[str, Any]]) -> None:
    result, notes = _diff_fhir(_bundle(_vitamin_d_statement(dosage=dosage)))
    assert result["case"]["clues"] == {"vitamin_d_therapy": True}
    message = notes["fhir_native_vitamin_d_read"]
    assert "no dose given" not in message and "its dose not read" in message
    _, notes = _diff_fhir(_bundle(_vitamin_d_statement()))
    assert "no dose given" in notes["fhir_native_vitamin_d_read"]


def _diff_phenopacket(intervals: Any) -> tuple[dict[str, Any], dict[str, str]]:
    packet = {"id": "x", "subject": {"id": "s"}, "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}],
              "medicalActions": [{"treatment": {"agent": {"id": "CHEBI:28940", "label": "cholecalciferol"},
                                                "doseIntervals": intervals}}]}
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"], json.dumps(packet).encode())
    assert status == 0, err
    result = json.loads(out)
    return result, {w["id"]: w["message"] for w in result["warnings"]}


def test_a_phenopacket_vitamin_d_dose_in_uo_micrograms_is_read() -> None:
    result, notes = _diff_phenopacket([{"quantity": {"value": 25, "unit": {"id": "UO:0000023"}}}])
    assert "vitamin_d_therapy" not in result["case"].get("clues", {})
    assert any("1000 IU a dose" in message for message in notes.values())


@pytest.mark.parametrize("intervals", ["x", [{"quantity": {"value": 5, "unit": {"id": "UO:0000000",
                                                                                  "label": "drop"}}}]])
def test_a_phenopacket_vitamin_d_dose_not_read_is_not_said_absent(intervals: Any) -> None:
    result, notes = _diff_phenopacket(intervals)
    assert result["case"]["clues"] == {"vitamin_d_therapy": True}
    message = notes["phenopacket_native_vitamin_d_read"]
    assert "no dose given" not in message and "its dose not read" in message


_DIALYSIS = {"resourceType": "Procedure", "status": "completed", "subject": {"reference": "Patient/p"},
             "code": {"coding": [{"system": "http://snomed.info/sct", "code": "265764009",
                                  "display": "Renal dialysis"}]}}
_MOTHER_STONES = {"resourceType": "FamilyMemberHistory", "status": "completed", "patient": {"reference": "Patient/p"},
                  "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                               "code": "MTH"}]},
                  "condition": [{"code": {"coding": [{"system": "http://snomed.info/sct", "code": "95570007",
                                                      "display": "Kidney stone"}]}}]}
_CT = {"resourceType": "ImagingStudy", "status": "available", "subject": {"reference": "Patient/p"},
       "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}],
       "description": "CT kidneys"}


@pytest.mark.parametrize(("resource", "read"), [(_DIALYSIS, ("clues", "kidney_failure")),
                                                (_MOTHER_STONES, ("clues", "family_history_stones")),
                                                (_CT, ("modality", None))])
@pytest.mark.parametrize("status", ["x", "", "Completed"])
def test_a_status_that_is_not_a_fhir_code_leaves_its_resource_unused(resource: dict[str, Any], read: tuple[str, Any],
                                                                     status: str) -> None:
    field, clue = read
    result, _ = _diff_fhir(_bundle(resource))
    assert (clue in result["case"][field]) if clue else result["case"][field] == "ct"
    result, notes = _diff_fhir(_bundle({**resource, "status": status}))
    assert (clue not in result["case"].get(field, {})) if clue else field not in result["case"]
    assert f"is not a FHIR {resource['resourceType']} status" in notes["fhir_resources_withdrawn"]


@pytest.mark.parametrize("subject", ["Patient/zzz", "Patient/p", 5, {"reference": 5}])
def test_a_subject_that_is_not_a_reference_is_left_out_and_said(subject: Any) -> None:
    hypokalaemia = {"resourceType": "Condition", "subject": subject,
                    "code": {"coding": [{"system": HPO, "code": "HP:0002900"}]}}
    result, notes = _diff_fhir(_bundle(hypokalaemia))
    assert "hypokalemia" not in result["case"].get("clues", {})
    assert "HP:0002900" in notes["fhir_subject_not_a_reference"]
    result, _ = _diff_fhir(_bundle({**hypokalaemia, "subject": {"reference": "Patient/p"}}))
    assert result["case"]["clues"] == {"hypokalemia": True}


@pytest.mark.parametrize("coding", [[{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                      "code": 0}], [{"code": ""}], "resolved"])
def test_a_clinical_status_with_no_readable_code_is_said(coding: Any) -> None:
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                 "clinicalStatus": {"coding": coding}, "code": {"coding": [{"system": HPO, "code": "HP:0002900"}]}}
    result, notes = _diff_fhir(_bundle(condition))
    assert result["case"]["clues"] == {"hypokalemia": True}
    assert "HP:0002900 (not a code" in notes["fhir_clinical_status_unknown"]
