"""Standard documents as hospital systems write them (an independent encoder's findings): UCUM unit
codes, one unreadable value among good ones, both patterns stated, a relative's history, partial birth
dates, bounded and repeated values, and terms that a more specific clue names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke

from nephrocalc.knowledge import KnowledgeBase

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def _bundle(*resources: dict[str, Any], patient: dict[str, Any] | None = None) -> bytes:
    nc = {"resourceType": "Condition", "recordedDate": "2024-03-01",
          "code": {"coding": [{"system": SNOMED, "code": "236447005"}]}}
    people = [{"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-03-01",
               **(patient or {})}]
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": r} for r in (*people, nc, *resources)]}).encode()


def _observation(kb: KnowledgeBase, lab: str, value: float, code: str, unit: str = "",
                 **extra: Any) -> dict[str, Any]:
    quantity = {"value": value, "system": UCUM, "code": code, **({"unit": unit} if unit else {}), **extra}
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": kb.labs[lab].loinc[0]}]}, "valueQuantity": quantity}


def _read(argv: list[str], document: bytes) -> dict[str, Any]:
    status, out, err = invoke([*argv, "--format", "json"], document)
    assert status == 0, err
    return dict(json.loads(out))


def _warnings(result: dict[str, Any]) -> dict[str, str]:
    return {w["id"]: w["message"] for w in result["warnings"]}


@pytest.mark.parametrize(("lab", "value", "code", "unit", "read_as"), [
    ("urine_calcium_24h", 380, "mg/(24.h)", "mg per day", "mg/day"),
    ("urine_calcium_24h", 9.5, "mmol/(24.h)", "", "mmol/day"),
    ("urine_calcium_24h", 4.5, "mg/kg/d", "", "mg/kg/day"),
    ("urine_oxalate_24h", 1.2, "mmol/d/{1.73_m2}", "", "mmol/1.73m2/day"),
    ("vitamin_d_25oh", 180, "ug/L", "", "ng/mL"),
    ("vitamin_d_1_25", 95, "ng/L", "", "pg/mL"),
    ("pth", 95, "ng/L", "", "ng/L"),  # PTH takes ng/L itself
    ("tsh", 0.01, "m[IU]/L", "", "mIU/L"),
    ("urine_calcium_creatinine_ratio", 0.4, "mg/mg{creat}", "", "mg/mg"),
    ("urine_ph", 7.0, "1", "", "pH"),
    ("urine_calcium_24h", 380, "mg/24hr-local", "mg/day", "mg/day"),  # a local code: the unit text is used
])
def test_ucum_codes_a_hospital_sends_are_read(lab: str, value: float, code: str, unit: str, read_as: str,
                                              kb: KnowledgeBase) -> None:
    result = _read(["diff", "--fhir", "-"], _bundle(_observation(kb, lab, value, code, unit)))
    assert result["case"]["labs"][lab] == {"value": value, "unit": read_as}


def test_one_unreadable_value_drops_only_itself(kb: KnowledgeBase) -> None:
    study = {"resourceType": "ImagingStudy", "status": "available", "modality": [{"code": "US"}]}
    result = _read(["diff", "--fhir", "-"], _bundle(
        _observation(kb, "serum_calcium", 12.1, "mg/dL"), _observation(kb, "urine_calcium_24h", 380, "furlongs"),
        study))
    assert result["case"]["labs"] == {"serum_calcium": {"value": 12.1, "unit": "mg/dL"}}
    assert result["case"]["modality"] == "us"
    message = _warnings(result)["fhir_observations_not_read"]
    assert "1 lab value" in message and "urine_calcium_24h" in message and "furlongs" in message


def test_medullary_and_cortical_stated_together_are_the_combined_pattern() -> None:
    cortical = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "236446001"}]}}
    result = _read(["diff", "--fhir", "-"], _bundle(cortical))
    assert result["case"]["pattern"] == "combined" and "pattern_combined" in _warnings(result)
    packet = {"id": "x", "subject": {"id": "s", "sex": "MALE"},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}, {"type": {"id": "HP:0012409"}}]}
    result = _read(["diff", "--phenopacket", "-"], json.dumps(packet).encode())
    assert result["case"]["pattern"] == "combined"


def test_a_relatives_stones_are_the_family_history() -> None:
    relative = {"resourceType": "FamilyMemberHistory", "status": "completed", "relationship": {"text": "father"},
                "condition": [{"code": {"coding": [{"system": SNOMED, "code": "95570007"}]}},
                              {"code": {"text": "gout"}}]}
    result = _read(["diff", "--fhir", "-"], _bundle(relative))
    assert result["case"]["clues"] == {"family_history_stones": True}
    assert "FamilyMemberHistory condition gout" in _warnings(result)["fhir_codes_not_mapped"]


def test_the_patient_details_a_bundle_leaves_partial_are_read_and_said(kb: KnowledgeBase) -> None:
    result = _read(["diff", "--fhir", "-"], _bundle(patient={"birthDate": "1980", "gender": "other"}))
    assert result["case"]["age_years"] == pytest.approx(43.7, abs=0.6)
    assert "sex" not in result["case"]
    assert {"fhir_birth_date_partial", "fhir_sex_unknown"} <= set(_warnings(result))
    bounded = _observation(kb, "pth", 3, "pg/mL", comparator="<")
    again = [_observation(kb, "serum_calcium", 12.0, "mg/dL"), _observation(kb, "serum_calcium", 11.2, "mg/dL")]
    second = {"resourceType": "Patient", "id": "q", "gender": "male"}
    result = _read(["diff", "--fhir", "-"], _bundle(bounded, *again, second))
    assert result["case"]["labs"]["pth"]["value"] == 3 and "pth <3" in _warnings(result)["fhir_lab_bounds"]
    assert "serum_calcium (2 values)" in _warnings(result)["fhir_labs_repeated"]
    assert "fhir_several_patients" in _warnings(result)


def test_a_phenopacket_reader_refuses_a_fhir_bundle_and_reads_a_timestamp_age() -> None:
    status, _, err = invoke(["diff", "--phenopacket", "-"], _bundle())
    assert status == 2 and "read it with --fhir" in err and "Traceback" not in err
    packet = {"id": "x", "subject": {"id": "s", "dateOfBirth": "2010-01-01T00:00:00Z",
                                     "timeAtLastEncounter": {"timestamp": "2020-01-01T00:00:00Z"}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}]}
    assert _read(["diff", "--phenopacket", "-"], json.dumps(packet).encode())["case"]["age_years"] == \
        pytest.approx(10, abs=0.01)


@pytest.mark.parametrize(("term", "clues"), [
    ("HP:0002048", {"cortical_atrophy": True}),        # renal cortical atrophy, not also small kidneys
    ("HP:0008672", {"calcium_oxalate_stones": True}),  # calcium oxalate nephrolithiasis, not also stones
    ("HP:0000787", {"nephrolithiasis": True}),
])
def test_a_term_is_the_most_specific_clue_it_reaches(term: str, clues: dict[str, bool]) -> None:
    packet = {"id": "x", "subject": {"id": "s"},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}, {"type": {"id": term}}]}
    assert _read(["diff", "--phenopacket", "-"], json.dumps(packet).encode())["case"]["clues"] == clues


def test_plain_vitamin_d_is_named_not_read_as_high_dose() -> None:
    statement = {"resourceType": "MedicationStatement", "status": "active",
                 "medicationCodeableConcept": {"text": "Cholecalciferol 1000 IU tablet"}}
    result = _read(["diff", "--fhir", "-"], _bundle(statement))
    assert "vitamin_d_therapy" not in result["case"].get("clues", {})
    assert "Cholecalciferol 1000 IU tablet" in _warnings(result)["native_vitamin_d_not_read"]
    assert "Cholecalciferol" not in _warnings(result).get("fhir_codes_not_mapped", "")  # said once
    calcitriol = {**statement, "medicationCodeableConcept": {"text": "Calcitriol 0.25 microgram capsule"}}
    result = _read(["diff", "--fhir", "-"], _bundle(calcitriol))
    assert result["case"]["clues"]["vitamin_d_therapy"] is True and "native_vitamin_d_not_read" not in _warnings(result)


@pytest.mark.parametrize(("sites", "laterality"), [
    (["18639004"], "unilateral"), (["17373004"], "bilateral"), (["9846003", "17373004"], None), ([], None)])
def test_the_body_site_of_the_nephrocalcinosis_gives_the_laterality(sites: list[str], laterality: str | None) -> None:
    nc = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "236447005"}]},
          "bodySite": [{"coding": [{"system": SNOMED, "code": code}]} for code in sites]}
    bundle = json.dumps({"resourceType": "Bundle", "entry": [{"resource": nc}]}).encode()
    result = _read(["diff", "--fhir", "-"], bundle)
    assert result["case"].get("laterality") == laterality
    assert ("laterality_unknown" in _warnings(result)) is (len(sites) == 2)
