"""Robustness round 72 (FHIR bundles and phenopackets of real-world shape): what was fixed, each as the reviewer
reproduced it.

- a Condition or Observation whose text hedged or denied its code in other words than those already known
  ("Sarcoidosis (suspected)", "Rule-out sarcoidosis", "Sarcoidosis - negative", "Sarcoidosis vs lymphoma", "Exposure to
  tuberculosis") was read as the finding present: sarcoidosis led at 78%, without a word;
- a DiagnosticReport whose coded conclusion was nephrocalcinosis with the text "No nephrocalcinosis" was read as
  stating it, and a relative's condition "No kidney stones" as a family history of stones;
- a note or status reason that voids its resource ("Procedure aborted", "specimen contaminated, disregard", "patient
  refused") and a Procedure stopped before completion were read as coded without a word;
- a problem list whose only dates were the nephrocalcinosis Condition's onsetDateTime gave no age at all;
- a lab Observation with two value[x] (a valueQuantity and a valueString that differ) used one of them, unsaid;
- a phenopacket whose timeAtLastEncounter is after its subject's timeOfDeath kept the later age (the FHIR reader takes
  the age at death).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import run_document

from nephrocalc.interop.wording import finding_cue

PATIENT = "urn:uuid:11111111-1111-4111-8111-111111111111"
NC = {"coding": [{"system": "http://snomed.info/sct", "code": "236447005", "display": "Medullary nephrocalcinosis"}]}
SARCOIDOSIS = {"system": "http://snomed.info/sct", "code": "31541009", "display": "Sarcoidosis"}


def _condition(code: dict[str, Any], text: str | None = None, **dates: str) -> dict[str, Any]:
    return {"resourceType": "Condition",
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "code": {**code, **({"text": text} if text else {})}, "subject": {"reference": PATIENT}, **dates}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "gender": "female", "birthDate": "1970-03-15"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": PATIENT, "resource": patient}] + [{"resource": r} for r in resources]}


@pytest.mark.parametrize("text", ["Sarcoidosis (suspected)", "Sarcoidosis ruled-out", "Rule-out sarcoidosis",
                                  "Sarcoidosis - negative", "Sarcoidosis, not confirmed", "Sarcoidosis excluded by "
                                  "biopsy", "Sarcoidosis (disproven)", "Sarcoidosis vs lymphoma",
                                  "Evaluate for sarcoidosis", "Presumed sarcoidosis", "Sarcoidosis - maternal aunt"])
def test_a_condition_whose_text_hedges_or_denies_it_is_not_read_as_present(tmp_path: Path,
                                                                            text: str) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(_condition(NC, recordedDate="2023-05-10"),
                                               _condition({"coding": [SARCOIDOSIS]}, text, recordedDate="2023-05-10")))
    assert "sarcoidosis" not in (result["case"].get("clues") or {})
    assert "fhir_text_denies_code" in [w["id"] for w in result["warnings"]]


@pytest.mark.parametrize("text", ["Sarcoidosis", "Sarcoidosis, stage II", "Sarcoidosis, in remission",
                                  "Distal RTA - not yet genotyped", "CKD 3a, no proteinuria", "Kidney stones - left",
                                  "Nephrocalcinosis - grade 2", "Hearing loss (sensorineural)"])
def test_a_text_that_only_describes_its_finding_denies_nothing(text: str) -> None:
    assert finding_cue(text) == ""


def test_a_report_whose_conclusion_denies_nephrocalcinosis_states_none(tmp_path: Path) -> None:
    def report(conclusion: str) -> dict[str, Any]:
        return {"resourceType": "DiagnosticReport", "status": "final", "subject": {"reference": PATIENT},
                "code": {"coding": [{"system": "http://loinc.org", "code": "24558-9"}]},
                "effectiveDateTime": "2023-05-10", "conclusion": conclusion,
                "conclusionCode": [{"coding": [{"system": "http://snomed.info/sct", "code": "48638002",
                                                "display": "Nephrocalcinosis"}]}]}

    denied = run_document(tmp_path, "--fhir", _bundle(report("No nephrocalcinosis. Kidneys normal in size.")))
    assert {"fhir_text_denies_code", "fhir_without_nephrocalcinosis"} <= {w["id"] for w in denied["warnings"]}
    stated = run_document(tmp_path, "--fhir", _bundle(report("No hydronephrosis. Nephrocalcinosis of both kidneys.")))
    assert not {"fhir_text_denies_code", "fhir_without_nephrocalcinosis"} & {w["id"] for w in stated["warnings"]}


def test_a_relatives_condition_whose_text_denies_it_is_no_family_history(tmp_path: Path) -> None:
    def relative(text: str) -> dict[str, Any]:
        return {"resourceType": "FamilyMemberHistory", "status": "completed", "patient": {"reference": PATIENT},
                "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                             "code": "MTH"}]},
                "condition": [{"code": {"coding": [{"system": "http://snomed.info/sct", "code": "95570007",
                                                    "display": "Kidney stone"}], "text": text}}]}

    nc = _condition(NC, recordedDate="2023-05-10")
    denied = run_document(tmp_path, "--fhir", _bundle(nc, relative("No kidney stones")))
    assert "family_history_stones" not in (denied["case"].get("clues") or {})
    assert "fhir_text_denies_code" in [w["id"] for w in denied["warnings"]]
    stated = run_document(tmp_path, "--fhir", _bundle(nc, relative("Kidney stones")))
    assert stated["case"]["clues"]["family_history_stones"] is True


@pytest.mark.parametrize(("resource", "said"), [
    ({"resourceType": "Procedure", "status": "stopped",
      "statusReason": {"text": "Procedure aborted: donor kidney not viable"},
      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "70536003", "display": "Kidney transplant"}]},
      "performedDateTime": "2023-05-10"}, "status stopped"),
    ({"resourceType": "Procedure", "status": "completed", "note": [{"text": "Transplant cancelled"}],
      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "70536003"}]},
      "performedDateTime": "2023-05-10"}, "Transplant cancelled"),
    ({"resourceType": "Observation", "status": "final", "valueBoolean": True,
      "note": [{"text": "specimen contaminated, disregard"}],
      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "34436003", "display": "Hematuria"}]},
      "effectiveDateTime": "2023-05-10"}, "disregard"),
])
def test_a_note_or_status_that_voids_its_resource_is_named(tmp_path: Path, resource: dict[str, Any],
                                                           said: str) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(_condition(NC, recordedDate="2023-05-10"),
                                               {**resource, "subject": {"reference": PATIENT}}))
    named = next((w["message"] for w in result["warnings"] if w["id"] == "fhir_free_text_not_read"), "")
    assert said in named, result["warnings"]


def test_a_problem_list_dated_only_by_its_onset_gives_the_age_at_onset(tmp_path: Path) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(_condition(NC, onsetDateTime="2023-05-01")))
    assert result["case"]["age_years"] == pytest.approx(53.13, abs=0.01)
    assert "fhir_age_at_onset" in [w["id"] for w in result["warnings"]]
    assert "fhir_age_unknown" not in [w["id"] for w in result["warnings"]]


def test_a_lab_dated_only_by_when_it_was_issued_dates_the_record(tmp_path: Path) -> None:
    patient = {"resourceType": "Patient", "gender": "female", "birthDate": "2010-01-01"}
    phosphate = {"resourceType": "Observation", "status": "final", "subject": {"reference": PATIENT},
                 "issued": "2023-05-10T09:00:00Z",
                 "code": {"coding": [{"system": "http://loinc.org", "code": "2777-1"}]},
                 "valueQuantity": {"value": 6.2, "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                                   "code": "mg/dL"}}
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": PATIENT, "resource": patient},
                        {"resource": _condition(NC, recordedDate="2010-07-01")}, {"resource": phosphate}]}
    result = run_document(tmp_path, "--fhir", bundle)
    assert result["case"]["age_years"] == pytest.approx(13.35, abs=0.01)
    assert ("hyperphosphatemia", True) in [(d["clue"], d["present"]) for d in result["derived"]]


def test_a_null_birth_date_or_gender_is_named(tmp_path: Path) -> None:
    bundle = _bundle(_condition(NC, recordedDate="2023-05-10"))
    bundle["entry"][0]["resource"].update({"birthDate": None, "gender": None})
    result = run_document(tmp_path, "--fhir", bundle)
    said = {w["id"]: w["message"] for w in result["warnings"]}
    assert "Patient.birthDate: null" in said["fhir_age_not_read"] and "null" in said["fhir_sex_unknown"]


def test_a_lab_with_two_values_uses_neither_and_says_so(tmp_path: Path) -> None:
    calcium = {"resourceType": "Observation", "status": "final", "subject": {"reference": PATIENT},
               "effectiveDateTime": "2023-05-10",
               "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
               "valueQuantity": {"value": 11.6, "unit": "mg/dL"}, "valueString": "9.2 mg/dL"}
    result = run_document(tmp_path, "--fhir", _bundle(_condition(NC, recordedDate="2023-05-10"), calcium))
    assert "serum_calcium" not in (result["case"].get("labs") or {})
    said = {w["id"]: w["message"] for w in result["warnings"]}
    assert "valueQuantity and valueString" in said["fhir_observations_not_read"]
    calcium.pop("valueString")  # one value: read
    result = run_document(tmp_path, "--fhir", _bundle(_condition(NC, recordedDate="2023-05-10"), calcium))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.6


@pytest.mark.parametrize(("death", "age"), [("P5Y", 5.0), ("P10Y", 8.5)])
def test_a_phenopacket_age_is_never_after_the_time_of_death(tmp_path: Path, death: str, age: float) -> None:
    packet = {"id": "p1", "subject": {"id": "p1", "sex": "FEMALE",
                                      "timeAtLastEncounter": {"age": {"iso8601duration": "P8Y6M"}},
                                      "vitalStatus": {"status": "DECEASED",
                                                      "timeOfDeath": {"age": {"iso8601duration": death}}}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
              "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"}}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["age_years"] == pytest.approx(age)
    assert ("phenopacket_age_after_death" in [w["id"] for w in result["warnings"]]) is (age == 5.0)
