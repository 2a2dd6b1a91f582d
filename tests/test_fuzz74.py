"""Robustness round 74 (clinical-safety misreadings of standard inputs): what was fixed, as the tester found it.

- a FHIR lab whose UCUM code and unit text are both units of the lab, and differ, was read in the coded unit: a
  calcium of 2.9 coded mg/dL and written mmol/L (11.6 mg/dL) became a hypocalcaemia, and hyperparathyroidism fell
  from 81% to under 0.1%, under a warning that said the readings differ;
- Condition texts that attribute, test for or deny the coded finding in other words than those known ("Fam hx:
  tuberculosis", "TB contact", "PPD positive", "TB not detected", "TB? no", "Tuberculosis: unlikely", "Sarcoid -ve",
  "Sarcoidosis - biopsy negative", "TB - provisional", "empiric TB treatment") were read as the finding present;
- calyceal distortion stated on ultrasound or plain CT counted (x40 for renal tuberculosis) without a word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import run_document

from nephrocalc.interop.wording import finding_cue

PATIENT = "urn:uuid:p1"
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1968-03-01"}
    nephrocalcinosis = {"resourceType": "Condition", "subject": {"reference": PATIENT}, "verificationStatus": CONFIRMED,
                        "code": {"coding": [{"system": "http://human-phenotype-ontology.org", "code": "HP:0012408",
                                             "display": "Medullary nephrocalcinosis"}]}}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": PATIENT, "resource": patient}, {"resource": nephrocalcinosis},
                      *({"resource": r} for r in resources)]}


def _lab(loinc: str, value: float, code: str, unit: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": PATIENT},
            "effectiveDateTime": "2024-05-01", "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": code}}


@pytest.mark.parametrize(("code", "unit"), [("mg/dL", "mmol/L"), ("mmol/L", "mg/dL")])
def test_a_lab_whose_coded_and_written_units_differ_is_not_used(tmp_path: Path, code: str, unit: str) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(_lab("17861-6", 2.9, code, unit)))
    assert "serum_calcium" not in (result["case"].get("labs") or {})
    assert not any(d["lab"] == "serum_calcium" for d in result["derived"])
    said = {w["id"]: w["message"] for w in result["warnings"]}
    assert "were not used" in said["fhir_lab_unit_conflict"]
    assert f"serum_calcium 2.9: code '{code}', written '{unit}'" in said["fhir_lab_unit_conflict"]


@pytest.mark.parametrize("text", [
    "Family hx TB", "Fam hx: tuberculosis", "TB contact", "Close contact with TB case", "TB exposure", "TB risk",
    "BCG vaccinated", "PPD positive", "Positive Mantoux", "Quantiferon-TB Gold: not detected", "TB -ve",
    "Urine AFB negative x3", "TB not detected", "TB? no", "Tuberculosis: unlikely", "TB screen",
    "Nontuberculous mycobacteria", "Tuberculosis vaccine given", "Sarcoidosis not detected", "Sarcoid -ve",
    "Sarcoidosis - biopsy negative", "Biopsy negative for sarcoid", "Sarcoidosis not supported",
    "Normocalcemic (no hypercalcemia)", "Hypercalcemia: normal", "TB (presumptive)", "TB - provisional",
    "awaiting TB results", "empiric TB treatment"])
def test_words_that_attribute_test_for_or_deny_a_finding(text: str) -> None:
    assert finding_cue(text)


@pytest.mark.parametrize("text", [
    "Tuberculosis", "Renal tuberculosis", "Tuberculosis, treated 2015", "Latent tuberculosis", "HIV positive",
    "Hypercalcaemia (corrected Ca 2.9)", "Hyperparathyroidism (no adenoma seen)", "Kidney stones (calcium oxalate)",
    "Metabolic acidosis, normal anion gap", "Metabolic acidosis: normal anion gap", "Hypokalemia: severe",
    "Sarcoidosis, stage II"])
def test_a_finding_described_more_fully_is_still_the_finding(text: str) -> None:
    assert finding_cue(text) == ""


def test_a_family_history_condition_text_is_not_the_patient_s_tuberculosis(tmp_path: Path) -> None:
    tb = {"resourceType": "Condition", "subject": {"reference": PATIENT}, "verificationStatus": CONFIRMED,
          "code": {"coding": [{"system": "http://snomed.info/sct", "code": "56717001", "display": "Tuberculosis"}],
                   "text": "Fam hx: tuberculosis"}}
    result = run_document(tmp_path, "--fhir", _bundle(tb))
    assert "tuberculosis" not in result["case"].get("clues", {})
    assert "fhir_text_denies_code" in [w["id"] for w in result["warnings"]]


@pytest.mark.parametrize(("modality", "warned"), [("us", True), ("ct", True), ("ctu", False), ("ivu", False)])
def test_calyceal_distortion_off_urography_is_said(run_main: Any, modality: str, warned: bool) -> None:
    import json

    status, out, err = run_main(["diff", "-p", "cortical", "-m", modality, "--laterality", "unilateral", "--age", "45",
                                 "--calyceal-distortion", "--format", "json"])
    assert status == 0, err
    said = {w["id"]: w["message"] for w in json.loads(out)["warnings"]}
    assert ("urographic_sign_without_urography" in said) is warned
    if warned:
        assert "calyceal distortion" in said["urographic_sign_without_urography"].lower()


def _packet(unit: dict[str, str]) -> dict[str, Any]:
    return {"id": "pp1", "subject": {"id": "s1", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration":
                                                                                                    "P58Y"}}},
            "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
            "measurements": [{"assay": {"id": "LOINC:17861-6", "label": "Calcium"},
                              "value": {"quantity": {"unit": unit, "value": 2.9}}}],
            "metaData": {"created": "2026-01-01T00:00:00Z", "createdBy": "x", "phenopacketSchemaVersion": "2.0"}}


@pytest.mark.parametrize(("unit", "read"), [
    ({"id": "UO:0000063", "label": "millimolar"}, {"value": 2.9, "unit": "mmol/L"}),
    ({"id": "UO:0000063", "label": ""}, {"value": 2.9, "unit": "mmol/L"}),
    ({"id": "UO:0000063", "label": "milligram per deciliter"}, None)])
def test_a_phenopacket_unit_of_measurement_ontology_id_is_read(tmp_path: Path, unit: dict[str, str],
                                                               read: dict[str, Any] | None) -> None:
    """UO:0000063 (millimolar) was ignored and its label read: under "milligram per deciliter" a calcium of 2.9 mmol/L
    became a hypocalcaemia without a word."""
    result = run_document(tmp_path, "--phenopacket", _packet(unit))
    assert (result["case"].get("labs") or {}).get("serum_calcium") == read
    if read is None:
        said = " ".join(w["message"] for w in result["warnings"])
        assert 'its id UO:0000063 and its label "milligram per deciliter" are different units' in said


def test_an_unread_unit_id_is_quoted_as_written(tmp_path: Path) -> None:
    packet = _packet({"id": "UO:0000999", "label": ""})
    result = run_document(tmp_path, "--phenopacket", packet)
    said = " ".join(w["message"] for w in result["warnings"])
    assert "serum_calcium" not in (result["case"].get("labs") or {}) and "'UO:0000999'" in said


@pytest.mark.parametrize(("code", "unit", "read"), [
    ("mg.dL-1", "", {"value": 11.9, "unit": "mg/dL"}),
    ("mg/mg", "g/g", None)])
def test_ucum_product_grammar_and_equal_units_are_read(tmp_path: Path, code: str, unit: str,
                                                       read: dict[str, Any] | None) -> None:
    """A calcium coded mg.dL-1 (UCUM's own grammar) was left out; a ratio coded mg/mg and written g/g (the same
    quantity) was called a conflict."""
    if read is not None:
        result = run_document(tmp_path, "--fhir", _bundle(_lab("17861-6", 11.9, code, unit)))
        assert result["case"]["labs"]["serum_calcium"] == read
    else:
        result = run_document(tmp_path, "--fhir", _bundle(_lab("9321-1", 0.35, code, unit)))
        assert result["case"]["labs"]["urine_calcium_creatinine_ratio"] == {"value": 0.35, "unit": "mg/mg"}
    assert "fhir_lab_unit_conflict" not in [w["id"] for w in result["warnings"]]


@pytest.mark.parametrize("where", ["text", "specimen"])
def test_a_lab_whose_own_text_names_another_specimen_is_not_used(tmp_path: Path, where: str) -> None:
    """A 24-hour urine calcium coded with the serum calcium's LOINC (a local code mapped wrongly) became a
    hypercalcaemia of 11.9 mg/dL without a word."""
    lab = _lab("17861-6", 11.9, "mg/dL", "mg/dL")
    if where == "text":
        lab["code"]["text"] = "Calcium, 24h urine"
    else:
        lab["specimen"] = {"display": "urine"}
    result = run_document(tmp_path, "--fhir", _bundle(lab))
    assert "serum_calcium" not in (result["case"].get("labs") or {})
    said = " ".join(w["message"] for w in result["warnings"])
    assert "another specimen than the code's" in said
    plain = _lab("17861-6", 11.9, "mg/dL", "mg/dL")
    plain["code"]["text"] = "Calcium, serum"
    assert run_document(tmp_path, "--fhir", _bundle(plain))["case"]["labs"]["serum_calcium"]["value"] == 11.9
