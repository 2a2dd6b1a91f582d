"""Robustness round 78 (standard inputs as real exporters write them, rule packs): what was fixed.

- a lab value of a phenopacket or a FHIR bundle dropped as implausible was named by the case path
  ``labs.serum_calcium.value``, which the document does not have, not by its measurement or Observation;
- a LOINC or SNOMED CT code mistyped by one digit in a rule file loaded, and silently matched nothing (the check
  digits are now verified; tests/test_pack_review.py);
- lab values sampled years apart were read together: an albumin of 2005 corrected a calcium of 2024, an ionised
  calcium of 19 years before decided over today's total, an eGFR of 2010 stood for a creatinine of 2024;
- "1.200 pg/ml" was read as 1.2, though "1,200" was refused as ambiguous;
- an impossible answer to ask's calcium question was kept as an ionised calcium;
- a DiagnosticReport conclusion denying its code ("No nephrocalcinosis.") was missed unless it repeated the display;
- a phenopacket age at birth (P0D, Congenital onset, a gestational age) was the contract's age 0, a preterm neonate;
- a spouse's, step-parent's or friend's stones were a family history;
- a finding interpreted IND (indeterminate) or E (equivocal) was read as present;
- "Normocalcemic hypercalciuria", "... high cardiovascular risk" and "Twin pregnancy ..." were read as denials;
- preliminary imaging reads were not said to be preliminary; a partial record date set an infant's age unsaid;
- mL/min/{1.73m2} and {pH} were refused; Markdown did not say what the lab values were read as, and --top dropped
  the "?" of an unsettled form in the can't-miss line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, run_document

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


def _bundle(*resources: dict[str, Any], born: str = "1980-05-01") -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": born, "gender": "female"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (patient, *resources)]}


def _lab(code: str, value: float, unit: str, day: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": LOINC, "code": code}]},
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": day,
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}


LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
MEDULLARY = {"resourceType": "Condition", "subject": {"reference": "Patient/p1"}, "recordedDate": "2024-01-10",
             "code": {"coding": [{"system": SCT, "code": "236447005", "display": "Medullary nephrocalcinosis"}]}}


def _derived(result: dict[str, Any], clue: str) -> list[bool]:
    return [d["present"] for d in result["derived"] if d["clue"] == clue and d["used"]]


def test_an_albumin_of_another_year_does_not_correct_the_calcium(tmp_path: Path) -> None:
    old = run_document(tmp_path, "--fhir", _bundle(MEDULLARY, _lab("17861-6", 10.4, "mg/dL", "2024-01-10"),
                                                   _lab("1751-7", 2.5, "g/dL", "2005-01-01")))
    assert True not in _derived(old, "hypercalcemia")
    assert "the serum_albumin was sampled 19.0 years before it" in _warnings(old)
    same = run_document(tmp_path, "--fhir", _bundle(MEDULLARY, _lab("17861-6", 10.4, "mg/dL", "2024-01-10"),
                                                    _lab("1751-7", 2.5, "g/dL", "2024-01-12")))
    assert _derived(same, "hypercalcemia") == [True]  # two days apart: one state, corrected


def test_an_older_ionised_calcium_does_not_decide_over_todays_total(tmp_path: Path) -> None:
    case = {"pattern": "medullary", "age_years": 44, "sex": "female",
            "labs": {"serum_calcium": {"value": 9.6, "unit": "mg/dL"},
                     "ionized_calcium": {"value": 1.45, "unit": "mmol/L", "age_years": 25}}}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    status, out, err = invoke(["diff", "--case", str(path), "--format", "json"])
    assert status == 0, err
    result = json.loads(out)
    assert "hypercalcemia" not in result["case"].get("clues", {}) and False in _derived(result, "hypercalcemia")
    assert "serum_calcium was used (sampled later" in _warnings(result)
    case["labs"]["ionized_calcium"]["age_years"] = 44  # the same day: the ionised calcium decides, as before
    path.write_text(json.dumps(case), encoding="utf-8")
    assert True in _derived(json.loads(invoke(["diff", "--case", str(path), "--format", "json"])[1]), "hypercalcemia")


def test_an_egfr_years_older_than_the_creatinine_does_not_stand_for_it(tmp_path: Path) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(MEDULLARY, _lab("62238-1", 25, "mL/min/{1.73_m2}", "2010-01-01"),
                                                      _lab("2160-0", 0.8, "mg/dL", "2024-01-10")))
    assert _derived(result, "ckd") == [False]
    assert "egfr 25 mL/min/1.73m2 was not used: the serum_creatinine was sampled 14.0 years later" in _warnings(result)


def test_a_dot_before_three_digits_is_as_ambiguous_as_a_comma(tmp_path: Path) -> None:
    pth = {**_lab("2731-8", 0, "pg/mL", "2024-01-10"), "valueString": "1.200 pg/ml"}
    del pth["valueQuantity"]
    result = run_document(tmp_path, "--fhir", _bundle(MEDULLARY, pth))
    assert "pth" not in result["case"].get("labs", {})
    assert "'1.200' is ambiguous: the dot may separate thousands (1200)" in _warnings(result)
    creatinine = {**_lab("2160-0", 0, "mg/dL", "2024-01-10"), "valueString": "1.200 mg/dL"}
    del creatinine["valueQuantity"]  # 1200 mg/dL is no creatinine: the one plausible reading is taken
    result = run_document(tmp_path, "--fhir", _bundle(MEDULLARY, creatinine))
    assert result["case"]["labs"]["serum_creatinine"]["value"] == 1.2


def test_an_impossible_answer_to_a_calcium_question_is_refused_not_rerouted() -> None:
    status, out, err = invoke(["ask", "-p", "medullary", "--age", "50", "--max-questions", "1", "--format", "json"],
                              b"1.2 mg/dL\n")
    assert status == 0, err
    assert "1.2 mg/dL is outside the plausible range 2-25 mg/dL" in err
    assert "ionized_calcium" not in json.loads(out)["case"].get("labs", {})


@pytest.mark.parametrize(("conclusion", "coding", "read"), [
    ("No nephrocalcinosis.", {"system": SCT, "code": "236447005", "display": "Medullary nephrocalcinosis"}, False),
    ("Normal kidneys. No nephrocalcinosis or stones.", {"system": SCT, "code": "236447005"}, False),
    ("Medullary nephrocalcinosis. No cortical nephrocalcinosis.",
     {"system": SCT, "code": "236447005", "display": "Medullary nephrocalcinosis"}, True),
    ("No sarcoidosis.", {"system": SCT, "code": "31541009", "display": "Sarcoidosis (disorder)"}, False),
    ("No sarcoidosis.", {"system": SCT, "code": "31541009"}, False),
    ("No hydronephrosis. Sarcoidosis.", {"system": SCT, "code": "31541009"}, True),
])
def test_a_conclusion_that_denies_its_code_in_other_words_is_not_read(tmp_path: Path, conclusion: str,
                                                                      coding: dict[str, str], read: bool) -> None:
    report = {"resourceType": "DiagnosticReport", "status": "final", "subject": {"reference": "Patient/p1"},
              "code": {"coding": [{"system": LOINC, "code": "24558-9"}]}, "effectiveDateTime": "2024-01-10",
              "conclusion": conclusion, "conclusionCode": [{"coding": [coding]}]}
    case = run_document(tmp_path, "--fhir", _bundle(report))["case"]
    said = case.get("pattern") == "medullary" if coding["code"] == "236447005" else \
        case.get("clues", {}).get("sarcoidosis") is True
    assert said is read


def test_a_phenopacket_age_at_birth_is_half_a_day_not_a_preterm_neonate(tmp_path: Path) -> None:
    packet = {"id": "t0", "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": "P0D"}}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
              "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"}}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["age_years"] == pytest.approx(0.5 / 365.25)
    ids = [w["id"] for w in result["warnings"]]
    assert "phenopacket_age_at_birth" in ids and "neonate_weighed_as_preterm" in ids


@pytest.mark.parametrize("kin", ["SPS", "STPMTH", "ADOPTMTH", "FRND", "SONINLAW"])
def test_a_relative_not_by_blood_gives_no_family_history(tmp_path: Path, kin: str) -> None:
    history = {"resourceType": "FamilyMemberHistory", "id": "f1", "status": "completed",
               "patient": {"reference": "Patient/p1"},
               "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                            "code": kin}]},
               "condition": [{"code": {"coding": [{"system": SCT, "code": "95570007", "display": "Kidney stone"}]}}]}
    result = run_document(tmp_path, "--fhir", _bundle(MEDULLARY, history))
    assert "family_history_stones" not in result["case"].get("clues", {})
    assert "not related by blood" in _warnings(result) and f"({kin})" in _warnings(result)
    history["relationship"]["coding"][0]["code"] = "MTH"
    assert run_document(tmp_path, "--fhir", _bundle(MEDULLARY, history))["case"]["clues"]["family_history_stones"]


@pytest.mark.parametrize("interpretation", [{"coding": [{"code": "IND"}]}, {"coding": [{"code": "E"}]},
                                            {"text": "Indeterminate"}])
def test_an_indeterminate_interpretation_reads_nothing(tmp_path: Path, interpretation: dict[str, Any]) -> None:
    finding = {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
               "effectiveDateTime": "2024-01-10", "interpretation": [interpretation],
               "code": {"coding": [{"system": SCT, "code": "56717001", "display": "Tuberculosis"}]}}
    result = run_document(tmp_path, "--fhir", _bundle(MEDULLARY, finding))
    assert "tuberculosis" not in result["case"].get("clues", {})
    assert "says neither present nor absent" in _warnings(result)


@pytest.mark.parametrize(("text", "clue"), [
    ("Normocalcemic hypercalciuria", "hypercalciuria"), ("Normocalcemic primary hyperparathyroidism", "high_pth"),
    ("CKD stage 3 with high cardiovascular risk", "ckd"),
    ("Twin pregnancy complicated by placental abruption", "obstetric_catastrophe")])
def test_words_that_qualify_another_thing_deny_nothing(text: str, clue: str) -> None:
    from nephrocalc.interop.wording import finding_cue

    assert finding_cue(text) == "", clue
    assert finding_cue("Normocalcaemic") and finding_cue("Tuberculosis risk") and finding_cue("kidney stones (twin)")


def test_a_preliminary_imaging_read_is_said_to_be_preliminary(tmp_path: Path) -> None:
    report = {"resourceType": "DiagnosticReport", "status": "preliminary", "subject": {"reference": "Patient/p1"},
              "code": {"coding": [{"system": LOINC, "code": "24558-9"}]}, "effectiveDateTime": "2024-01-10",
              "conclusionCode": [{"coding": [{"system": SCT, "code": "236447005"}]}]}
    result = run_document(tmp_path, "--fhir", _bundle(report))
    assert result["case"]["pattern"] == "medullary"
    assert "Results not yet final" in _warnings(result) and "(preliminary)" in _warnings(result)


def test_a_partial_record_date_is_said(tmp_path: Path) -> None:
    calcium = _lab("17861-6", 10.0, "mg/dL", "2024")
    result = run_document(tmp_path, "--fhir", _bundle(MEDULLARY | {"recordedDate": "2024"}, calcium,
                                                      born="2023-12-20"))
    assert "The date the age was taken at (2024) gives no day" in _warnings(result)


@pytest.mark.parametrize(("lab", "unit"), [("egfr=25", "mL/min/{1.73m2}"), ("egfr=25", "mL/min/{1.73 m2}"),
                                          ("urine_ph=6.8", "{pH}")])
def test_ucum_annotations_that_name_the_unit_are_read(lab: str, unit: str) -> None:
    status, _, err = invoke(["diff", "-p", "medullary", "--age", "50", "--lab", f"{lab} {unit}", "-f", "json"])
    assert status == 0, err


def test_markdown_says_what_the_lab_values_were_read_as_and_top_keeps_the_unsettled_form(tmp_path: Path) -> None:
    case = {"pattern": "medullary", "age_years": 58, "sex": "female", "modality": "us",
            "clues": {"nephrolithiasis": True},
            "labs": {"serum_calcium": {"value": 11.9, "unit": "mg/dL"}, "pth": {"value": 140, "unit": "pg/mL"},
                     "serum_albumin": {"value": 4.0, "unit": "g/dL"}}}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    _, full, _ = invoke(["diff", "--case", str(path), "-f", "markdown"])
    assert "From the lab values: high PTH, hypercalcaemia" in full
    _, top, _ = invoke(["diff", "--case", str(path), "-f", "markdown", "--top", "2"])
    assert "Cortical necrosis (ischaemic?)" in full and "Cortical necrosis (ischaemic?)" in top


def _patient(pid: str, sex: str, mrn: str, **more: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": sex, "birthDate": "1980-05-01",
            "identifier": [{"system": "urn:mrn", "value": mrn}], **more}


def _calcium(subject: dict[str, Any]) -> dict[str, Any]:
    return {**_lab("17861-6", 11.9, "mg/dL", "2024-01-10"), "subject": subject}


def test_the_patient_is_the_one_the_resources_refer_to_by_reference_or_identifier(tmp_path: Path) -> None:
    a, b = _patient("A", "female", "MRN1"), _patient("B", "male", "MRN2")
    second = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": a}, {"resource": b}, {"resource": {**MEDULLARY, "subject": {"reference": "Patient/B"}}},
        {"resource": _calcium({"reference": "Patient/B"})}]}
    case = run_document(tmp_path, "--fhir", second)["case"]
    assert case["sex"] == "male" and case["pattern"] == "medullary" and "serum_calcium" in case["labs"]
    by_identifier = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": a}, {"resource": b}, {"resource": {**MEDULLARY, "subject": {"reference": "Patient/A"}}},
        {"resource": _calcium({"identifier": {"system": "urn:mrn", "value": "MRN2"}})}]}
    result = run_document(tmp_path, "--fhir", by_identifier)
    assert "labs" not in result["case"] and "(for identifier urn:mrn|MRN2)" in _warnings(result)
    by_identifier["entry"][3]["resource"]["subject"]["identifier"]["value"] = "MRN1"
    assert "serum_calcium" in run_document(tmp_path, "--fhir", by_identifier)["case"]["labs"]


def test_a_record_merged_into_the_patient_is_the_patients(tmp_path: Path) -> None:
    merged = _patient("B", "female", "MRN2", link=[{"other": {"reference": "Patient/A"}, "type": "replaced-by"}])
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": _patient("A", "female", "MRN1")}, {"resource": merged},
        {"resource": {**MEDULLARY, "subject": {"reference": "Patient/A"}}},
        {"resource": _calcium({"reference": "Patient/B"})}]}
    result = run_document(tmp_path, "--fhir", bundle)
    assert "serum_calcium" in result["case"]["labs"] and "about another patient" not in _warnings(result)


def test_an_egfr_computed_from_a_creatinine_is_said_as_a_given_one_is(tmp_path: Path) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(MEDULLARY, _lab("2160-0", 0.8, "mg/dL", "2024-01-10")))
    assert "does not reach 30" not in _warnings(result) and "is not below 30" not in _warnings(result)
