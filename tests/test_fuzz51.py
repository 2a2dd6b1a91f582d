"""What robustness round 51 found: negated, refuted or qualified statements in FHIR and phenopackets read as present
findings, and unreadable modifiers read as active. Each fix, held by a test that fails without it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke

HPO = "http://purl.obolibrary.org/obo/hp.owl"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
HEARING_LOSS = {"coding": [{"system": HPO, "code": "HP:0000407"}]}


def _fhir(*resources: dict[str, Any]) -> bytes:
    return json.dumps({"resourceType": "Bundle", "type": "collection", "timestamp": "2024-01-01T00:00:00Z", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "2000-01-01"}},
        *({"resource": {"subject": {"reference": "Patient/p1"}, **r}} for r in resources)]}).encode()


def _read(*resources: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    status, out, err = invoke(["diff", "--fhir", "-", "-p", "medullary", "-f", "json"], _fhir(*resources))
    assert status == 0, err
    result = json.loads(out)
    return result["case"].get("clues") or {}, {w["id"]: w["message"] for w in result["warnings"]}


def _finding(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": HEARING_LOSS, **fields}


def test_an_observation_coded_clinical_finding_absent_states_its_value_absent() -> None:
    clues, _ = _read({"resourceType": "Observation", "status": "final",
                      "code": {"coding": [{"system": SNOMED, "code": "373572006"}]},
                      "valueCodeableConcept": HEARING_LOSS})
    assert clues == {"hearing_loss": False}


@pytest.mark.parametrize("fields", [
    {"focus": [{"reference": "RelatedPerson/mother"}], "valueBoolean": True},
    {"code": {"coding": [{"system": LOINC, "code": "8689-2"}]}, "valueCodeableConcept": HEARING_LOSS}])
def test_an_observation_about_a_relative_is_not_the_patients_finding(fields: dict[str, Any]) -> None:
    clues, notes = _read(_finding(**fields))
    assert "hearing_loss" not in clues and "fhir_observation_of_another" in notes


@pytest.mark.parametrize("resource", [
    {"resourceType": "MedicationStatement", "status": "not taken", "medicationCodeableConcept": {"text": "furosemide"}},
    {"resourceType": "MedicationStatement", "status": "Not-Taken", "medicationCodeableConcept": {"text": "furosemide"}},
    {"resourceType": "MedicationRequest", "status": "active", "intent": "order", "doNotPerform": "true",
     "medicationCodeableConcept": {"text": "furosemide"}},
    _finding(status="Cancelled", valueBoolean=True)])
def test_a_modifier_that_is_not_a_fhir_code_makes_the_resource_unused(resource: dict[str, Any]) -> None:
    clues, notes = _read(resource)
    assert not clues and "fhir_resources_withdrawn" in notes


@pytest.mark.parametrize("interpretation", [
    {"coding": [{"system": SNOMED, "code": "260385009", "display": "Negative"}]}, {"text": "negative"},
    {"coding": [{"display": "Negative"}]}])
def test_a_negative_interpretation_in_any_form_states_the_finding_absent(interpretation: dict[str, Any]) -> None:
    clues, _ = _read(_finding(interpretation=[interpretation]))
    assert clues == {"hearing_loss": False}


@pytest.mark.parametrize("fields", [
    {"component": [{"code": {"coding": [{"system": SNOMED, "code": "246112005"}]},
                    "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "410594000"}]}}]},
    {"valueQuantity": {"value": 0}}])
def test_a_finding_whose_result_is_a_component_or_a_number_is_not_read(fields: dict[str, Any]) -> None:
    clues, notes = _read(_finding(**fields))
    assert "hearing_loss" not in clues and "fhir_results_not_read" in notes


@pytest.mark.parametrize("text", ["Sarcoidosis ruled out", "No sarcoidosis", "suspected sarcoidosis",
                                  "sarcoidosis in her mother"])
def test_a_condition_whose_text_denies_or_qualifies_its_code_is_not_read(text: str) -> None:
    clues, notes = _read({"resourceType": "Condition",
                          "code": {"coding": [{"system": SNOMED, "code": "31541009"}], "text": text}})
    assert "sarcoidosis" not in clues and repr(text) in notes["fhir_text_denies_code"]


@pytest.mark.parametrize(("code", "text", "clue"), [
    ("31541009", "Sarcoidosis of lung", "sarcoidosis"),
    ("44054006", "Type 2 diabetes mellitus without complication", "diabetes_mellitus")])
def test_a_condition_whose_text_only_names_it_is_read(code: str, text: str, clue: str) -> None:
    clues, notes = _read({"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": code}],
                                                                "text": text}})
    assert clues.get(clue) is True and "fhir_text_denies_code" not in notes


def _statement(text: str) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "status": "active", "medicationCodeableConcept": {"text": text}}


@pytest.mark.parametrize("text", ["furosemide (not for IV use)", "furosemide injection, preservative-free",
                                  "Furosemide 40 mg (NO SUBSTITUTIONS)"])
def test_an_instruction_after_the_drug_does_not_deny_it(text: str) -> None:
    clues, notes = _read(_statement(text))
    assert clues == {"loop_diuretic": True} and "medication_name_denied" not in notes


@pytest.mark.parametrize("text", ["furosemide discontinued", "stop furosemide", "Lasix d/c", "furosemide held"])
def test_a_drug_named_as_stopped_is_a_past_exposure_and_said(text: str) -> None:
    clues, notes = _read(_statement(text))
    assert clues == {"loop_diuretic": True} and repr(text) in notes["fhir_medications_stopped"]


@pytest.mark.parametrize(("text", "clue"), [("Moduretic", "thiazide"), ("Prograf 1 mg", "calcineurin_inhibitor"),
                                            ("AmBisome", "amphotericin"), ("Crixivan", "protease_inhibitor"),
                                            ("K-Phos Neutral", "phosphate_therapy")])
def test_brand_names_are_read(text: str, clue: str) -> None:
    clues, _ = _read(_statement(text))
    assert clues.get(clue) is True


def test_a_note_that_may_deny_its_resource_is_said() -> None:
    clues, notes = _read({"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "31541009"}]},
                          "note": [{"text": "ruled out by biopsy"}]})
    assert clues == {"sarcoidosis": True} and "'ruled out by biopsy'" in notes["fhir_free_text_not_read"]


def test_phenopacket_negating_modifier_description_and_stopped_treatment() -> None:
    packet = {"id": "x", "subject": {"id": "s", "sex": "MALE"},
              "phenotypicFeatures": [
                  {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}},
                  {"type": {"id": "HP:0002900", "label": "Hypokalemia"},
                   "modifiers": [{"id": "SNOMEDCT:410594000", "label": "Definitely NOT present"}]},
                  {"type": {"id": "HP:0000407", "label": "Sensorineural hearing impairment"},
                   "description": "No hearing loss on audiometry"}],
              "medicalActions": [{"treatment": {"agent": {"id": "NCIT:C0001", "label": "furosemide"}},
                                  "treatmentTerminationReason": {"id": "NCIT:C41331", "label": "Adverse Event"}}],
              "metaData": {"phenopacketSchemaVersion": "2.0"}}
    status, out, _ = invoke(["diff", "--phenopacket", "-", "-f", "json"], json.dumps(packet).encode())
    result = json.loads(out)
    notes = {w["id"]: w["message"] for w in result["warnings"]}
    assert status == 0 and result["case"]["clues"]["hypokalemia"] is False
    assert "phenopacket_modifier_negates" in notes and "phenopacket_modifiers_not_read" not in notes
    assert "'No hearing loss on audiometry'" in notes["phenopacket_description_not_read"]
    assert "Adverse Event" in notes["phenopacket_treatments_stopped"]
    assert result["case"]["clues"]["loop_diuretic"] is True
