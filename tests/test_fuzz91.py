"""Robustness round 91 (documents as real systems export them): what was mended.

- a phenopacket of a deceased subject that gives the age at death (``vitalStatus.timeOfDeath``, as phenopacket-store
  writes a case report's "died at 4 months") and no ``timeAtLastEncounter`` left the age unknown, the time of death
  kept only as a cap on another age: an infant who died at 4 months was weighed at no age at all, where a FHIR
  bundle's ``deceasedDateTime`` gives the age. The age at death is now the age of the record when nothing else gives
  one (before the onset of the nephrocalcinosis, as in FHIR), and said;
- a plain vitamin D dose written in micrograms with the micro sign, as nearly every system writes it
  ("Colecalciferol 1250 µg capsule", a dosage text "1250 µg weekly", a phenopacket agent "cholecalciferol 1250 µg"),
  was read as that many IU (casefold() turns the micro sign into the Greek mu, which the unit words did not list):
  50,000 IU a week was called a usual dose of 1250 IU and the vitamin D therapy dropped; a dose whose unit is the
  label "µg" (a FHIR doseQuantity without its UCUM code, a phenopacket unit without a UCUM id) was "not read", and
  "25 micrograms" written out gave no dose either. Each is read in micrograms now (1 µg = 40 IU);
- a laboratory feed's flag written after the value in a valueString ("11.2 mg/dL L", "11.2 mg/dL H"), which the
  reader sets aside from the unit, was dropped without a word: a calcium the laboratory flagged low was read as
  hypercalcaemia, unsaid, where the same flag given as the Observation's interpretation is named as not read. It is
  named now, in a panel's component too, as an interpretation beside a value is;
- a FHIR bundle whose only age is the nephrocalcinosis Condition's ``onsetAge`` (no birthDate, as a de-identified
  export leaves it, or a birthDate with no dated resource) took the age at onset as the patient's without a word,
  where an ``onsetDateTime`` so taken is said (fhir_age_at_onset): an onsetAge of 4 months made the patient an
  infant, unsaid. It is said now, as the phenopacket reader says its phenopacket_age_from_onset;
- a phenopacket whose nephrocalcinosis onset is an age range (P1Y to P2Y) had the onset read as its middle without a
  word, where the same range at the last encounter is said (phenopacket_age_range). It is said now.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import run_document

HPO = "http://purl.obolibrary.org/obo/hp.owl"
LOINC = "http://loinc.org"


def _packet(subject: dict[str, Any], *features: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {"id": "x", "subject": {"id": "s", "sex": "FEMALE", **subject},
            "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}, *features],
            "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"}, **rest}


def _said(result: dict[str, Any]) -> dict[str, str]:
    return {w["id"]: w["message"] for w in result["warnings"]}


@pytest.mark.parametrize(("death", "age"), [({"age": {"iso8601duration": "P4M"}}, 4 / 12),
                                            ({"timestamp": "2012-06-01T00:00:00Z"}, 2.0)])
def test_a_phenopacket_time_of_death_gives_the_age_when_nothing_else_does(tmp_path: Path, death: dict[str, Any],
                                                                          age: float) -> None:
    subject = {"vitalStatus": {"status": "DECEASED", "timeOfDeath": death}, "dateOfBirth": "2010-06-01T00:00:00Z"}
    result = run_document(tmp_path, "--phenopacket", _packet(subject))
    assert result["case"]["age_years"] == pytest.approx(age, abs=0.01)
    said = _said(result)
    assert "timeOfDeath" in said["phenopacket_age_at_death"]
    assert "phenopacket_age_not_read" not in said


def test_the_age_at_death_is_the_record_s_not_the_onset_of_nephrocalcinosis(tmp_path: Path) -> None:
    onset = {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"},
             "onset": {"age": {"iso8601duration": "P2Y"}}}
    packet = _packet({"vitalStatus": {"status": "DECEASED", "timeOfDeath": {"age": {"iso8601duration": "P9Y"}}}})
    packet["phenotypicFeatures"] = [onset]
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["age_years"] == pytest.approx(9.0)
    assert result["case"]["onset_age_years"] == pytest.approx(2.0)
    # with an age at the last encounter, the time of death is only its cap, as before
    packet["subject"]["timeAtLastEncounter"] = {"age": {"iso8601duration": "P8Y"}}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["age_years"] == pytest.approx(8.0)
    assert "phenopacket_age_at_death" not in _said(result)


def _statement(name: str, **rest: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "status": "active", "medicationCodeableConcept": {"text": name},
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2020-02-01", **rest}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-01-01"}
    nc = {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]},
          "subject": {"reference": "Patient/p"}, "recordedDate": "2020-03-01"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (patient, nc, *resources)]}


@pytest.mark.parametrize("medication", [
    _statement("Colecalciferol 1250 \u00b5g capsule"),  # the micro sign
    _statement("Colecalciferol 1250 \u03bcg capsule"),  # the Greek mu
    _statement("Colecalciferol", dosage=[{"text": "1250 \u00b5g weekly"}]),
    _statement("Colecalciferol", dosage=[{"doseAndRate": [{"doseQuantity": {"value": 1250, "unit": "\u00b5g"}}]}]),
])
def test_a_fhir_vitamin_d_dose_in_micrograms_is_read_as_micrograms(tmp_path: Path, medication: dict[str, Any]) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(medication))
    assert result["case"]["clues"]["vitamin_d_therapy"] is True
    assert "50000 IU a dose" in _said(result)["fhir_native_vitamin_d_read"]


@pytest.mark.parametrize("name", ["Colecalciferol 25 \u00b5g capsule", "Vitamin D3 25 micrograms",
                                  "Colecalciferol 25microgram capsules"])
def test_a_usual_vitamin_d_dose_in_micrograms_is_a_usual_dose(tmp_path: Path, name: str) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(_statement(name)))
    assert "vitamin_d_therapy" not in (result["case"].get("clues") or {})
    assert "(1000 IU a dose)" in _said(result)["native_vitamin_d_not_read"]


@pytest.mark.parametrize("treatment", [
    {"agent": {"id": "DrugCentral:556", "label": "cholecalciferol 1250 \u00b5g"}},
    {"agent": {"id": "DrugCentral:556", "label": "cholecalciferol"},
     "doseIntervals": [{"quantity": {"unit": {"id": "x", "label": "\u00b5g"}, "value": 1250},
                        "interval": {"start": "2019-01-01T00:00:00Z", "end": "2020-01-01T00:00:00Z"}}]},
])
def test_a_phenopacket_vitamin_d_dose_in_micrograms_is_read_as_micrograms(tmp_path: Path,
                                                                          treatment: dict[str, Any]) -> None:
    packet = _packet({"timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
                     medicalActions=[{"treatment": treatment}])
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["clues"]["vitamin_d_therapy"] is True
    assert "50000 IU a dose" in _said(result)["phenopacket_native_vitamin_d_read"]


def _calcium_text(text: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": LOINC, "code": "17861-6"}]}, "effectiveDateTime": "2020-03-01",
            "valueString": text}


@pytest.mark.parametrize(("text", "flag"), [("11.2 mg/dL L", "L"), ("11.2 mg/dL H", "H"), ("11.2 mg/dL*", "*")])
def test_a_flag_after_a_value_sent_as_text_is_named_as_not_read(tmp_path: Path, text: str, flag: str) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(_calcium_text(text)))
    assert result["case"]["labs"]["serum_calcium"] == {"value": 11.2, "unit": "mg/dL"}
    assert f"serum_calcium 11.2 ({flag} in the valueString)" in _said(result)["fhir_lab_flags_not_read"]


def test_a_flag_after_a_component_value_sent_as_text_is_named_as_not_read(tmp_path: Path) -> None:
    panel = {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p"},
             "code": {"coding": [{"system": LOINC, "code": "24362-6"}]}, "effectiveDateTime": "2020-03-01",
             "component": [{"code": {"coding": [{"system": LOINC, "code": "17861-6"}]},
                            "valueString": "11.2 mg/dL L"}]}
    result = run_document(tmp_path, "--fhir", _bundle(panel))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.2
    assert "(L in the valueString)" in _said(result)["fhir_lab_flags_not_read"]


def test_a_value_sent_as_text_without_a_flag_says_no_flag(tmp_path: Path) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(_calcium_text("11.2 mg/dL")))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.2
    assert "fhir_lab_flags_not_read" not in _said(result)


@pytest.mark.parametrize("born", [None, "2010-01-01"])
def test_an_age_taken_from_the_condition_s_onset_age_is_said(tmp_path: Path, born: str | None) -> None:
    bundle = _bundle()
    patient, nc = bundle["entry"][0]["resource"], bundle["entry"][1]["resource"]
    patient.pop("birthDate")
    if born:
        patient["birthDate"] = born
    nc.pop("recordedDate")
    nc["onsetAge"] = {"value": 4, "unit": "mo", "system": "http://unitsofmeasure.org", "code": "mo"}
    result = run_document(tmp_path, "--fhir", bundle)
    assert result["case"]["age_years"] == pytest.approx(4 / 12)
    assert "Condition.onsetAge" in _said(result)["fhir_age_at_onset"]
    # an Observation of the age is the patient's age, not the onset's: nothing to say
    age = {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p"},
           "code": {"coding": [{"system": LOINC, "code": "30525-0"}]},
           "valueQuantity": {"value": 7, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}}
    bundle["entry"].append({"resource": age})
    if born:
        patient.pop("birthDate")
    result = run_document(tmp_path, "--fhir", bundle)
    assert result["case"]["age_years"] == pytest.approx(7.0)
    assert "fhir_age_at_onset" not in _said(result)


def test_a_nephrocalcinosis_onset_given_as_an_age_range_is_read_as_its_middle_and_said(tmp_path: Path) -> None:
    packet = _packet({"timeAtLastEncounter": {"age": {"iso8601duration": "P6Y"}}})
    packet["phenotypicFeatures"][0]["onset"] = {"ageRange": {"start": {"iso8601duration": "P1Y"},
                                                             "end": {"iso8601duration": "P2Y"}}}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["onset_age_years"] == pytest.approx(1.5)
    assert "read as its middle, 18 months" in _said(result)["phenopacket_onset_range"]
    packet["phenotypicFeatures"][0]["onset"] = {"age": {"iso8601duration": "P18M"}}  # an age: nothing to say
    assert "phenopacket_onset_range" not in _said(run_document(tmp_path, "--phenopacket", packet))
