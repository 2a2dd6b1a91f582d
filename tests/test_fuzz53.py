"""What robustness round 53 found: one number too large for a double threw away a whole FHIR export or phenopacket, a
Condition's status given only in words was read as current without a word, a usage conflict was reported as bad
JSON when nothing was piped in, and a single rule pack's errors named no folder. Each fix, held by a test that fails
without it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

HPO = "http://purl.obolibrary.org/obo/hp.owl"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1970-01-01"}
    nc = {"resourceType": "Condition", "id": "nc", "subject": {"reference": "Patient/p"},
          "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (patient, nc, *resources)]}


def _lab(code: str, value: str, unit: str) -> str:
    # the value is spliced in as JSON text: 1e999 cannot pass through json.dumps
    return (f'{{"resourceType": "Observation", "status": "final", "subject": {{"reference": "Patient/p"}}, '
            f'"code": {{"coding": [{{"system": "{LOINC}", "code": "{code}"}}]}}, '
            f'"valueQuantity": {{"value": {value}, "unit": "{unit}"}}}}')


def _bundle_text(*labs: str) -> bytes:
    text = json.dumps(_bundle())
    return (text[:-2] + "".join(f', {{"resource": {lab}}}' for lab in labs) + "]}").encode()


@pytest.mark.parametrize("value", ["1e999", "-1e999", "9" * 400])
def test_a_number_too_large_for_a_double_leaves_out_its_lab_alone(value: str) -> None:
    raw = _bundle_text(_lab("17861-6", "11.9", "mg/dL"), _lab("2823-3", value, "mmol/L"))
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], raw)
    assert status == 0, err
    result = json.loads(out)
    assert {d["lab"] for d in result["derived"]} == {"serum_calcium"}  # the other lab still counts
    said = " ".join(w["message"] for w in result["warnings"])
    assert "serum_potassium" in said and "too large" in said and "(the others were)" in said
    # in batch, the patient's line is ranked, not an error record
    status, out, err = invoke(["batch", "--input", "fhir", "-"], raw.replace(b"\n", b" ") + b"\n")
    assert status == 0 and "error" not in json.loads(out), err


def test_nan_is_still_refused_in_a_document() -> None:
    status, _, err = invoke(["diff", "--fhir", "-"], _bundle_text(_lab("2823-3", "NaN", "mmol/L")))
    assert status == 2 and "valueQuantity.value" in err and "NaN" in err


def test_a_number_too_large_in_a_phenopacket_leaves_out_its_measurement_alone() -> None:
    phenopacket = {"id": "p1", "subject": {"id": "s", "sex": "MALE"}, "metaData": {"created": "2024-01-01T00:00:00Z"},
                   "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
                   "measurements": [{"assay": {"id": "LOINC:2823-3", "label": "Potassium"},
                                     "value": {"quantity": {"unit": {"id": "UCUM:mmol/L", "label": "mmol/L"},
                                                            "value": "BIG"}}}]}
    raw = json.dumps(phenopacket).replace('"BIG"', "1e999").encode()
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"], raw)
    assert status == 0, err
    said = " ".join(w["message"] for w in json.loads(out)["warnings"])
    # the only lab was left out: no "(the others were)" when there are none
    assert "serum_potassium" in said and "too large" in said and "(the others were)" not in said


@pytest.mark.parametrize(("text", "past"), [("resolved", True), ("Inactive", True), ("active", False),
                                             ("Resolvd", False)])
def test_a_condition_status_in_words_only_is_said(text: str, past: bool) -> None:
    sarcoidosis = {"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "clinicalStatus": {"text": text},
                   "code": {"coding": [{"system": SNOMED, "code": "31541009"}]}}
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(_bundle(sarcoidosis)).encode())
    assert status == 0, err
    warnings = {w["id"]: w["message"] for w in json.loads(out)["warnings"]}
    assert text in warnings["fhir_clinical_status_unknown"]
    assert ("fhir_conditions_resolved" in warnings) is past


def test_a_usage_conflict_is_said_before_standard_input_is_read() -> None:
    status, _, err = invoke(["diff", "--case", "-", "--fhir", "-"], b"")
    assert status == 2 and "not several" in err and "JSON" not in err


def test_a_single_rule_pack_is_named_in_its_errors(tmp_path: Path) -> None:
    pack = tmp_path / "site_pack"
    pack.mkdir()
    (pack / "pack.toml").write_text('name = "site\n', encoding="utf-8")
    status, _, err = invoke(["diff", "--pattern", "medullary", "--rules", str(pack)])
    assert status == 2 and f"in the rule pack {pack}" in err and "pack.toml" in err


# --- FHIR realism review 54 -------------------------------------------------------------------------------------


def _clues_of(bundle: dict[str, Any]) -> dict[str, bool]:
    from nephrocalc.engine import load_engine
    from nephrocalc.interop.fhir import case_from_fhir

    case, _ = case_from_fhir(bundle, load_engine().kb)
    return dict(case.clues)


def _observation(code: str, display: str, text: str, system: str = HPO) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": system, "code": code, "display": display}], "text": text}}


def test_consanguinity_in_words_about_the_parents_is_the_patients_finding() -> None:
    """Consanguinity is a fact of the parents by definition: "Parents are first cousins" was read as a finding of a
    relative and dropped."""
    consanguinity = _observation("HP:0025820", "Offspring of consanguineous relationship", "Parents are first cousins")
    clues = _clues_of(_bundle(consanguinity))
    assert clues.get("consanguinity") is True
    # a plain finding with a relative as its subject is still not the patient's
    hearing = _observation("HP:0000365", "Hearing impairment", "Hearing loss")
    assert _clues_of(_bundle(hearing)).get("hearing_loss") is True
    in_mother = {**hearing, "code": {**hearing["code"], "text": "Hearing loss in mother"}}
    assert "hearing_loss" not in _clues_of(_bundle(in_mother))


@pytest.mark.parametrize(("code", "clue"), [("39419009", "shock"), ("54840006", "growth_failure")])
def test_snomed_codes_exports_use_are_read(code: str, clue: str) -> None:
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                 "code": {"coding": [{"system": SNOMED, "code": code}]}}
    assert _clues_of(_bundle(condition)).get(clue) is True


def test_a_lab_caution_is_not_given_for_a_clue_the_clinician_states() -> None:
    """An eGFR of 25 beside a stated CKD was told "one value cannot prove chronicity": the statement is what counts."""
    def warnings(*argv: str) -> list[str]:
        status, out, err = invoke(["diff", "--pattern", "cortical", "--lab", "egfr=25 mL/min/1.73m2", "--format",
                                   "json", *argv])
        assert status == 0, err
        return [w["message"] for w in json.loads(out)["warnings"]]

    assert any("chronicity" in m for m in warnings())
    assert not any("chronicity" in m for m in warnings("--ckd"))


def test_a_phenopacket_reference_range_is_said_once() -> None:
    quantity = {"unit": {"id": "UCUM:mmol/L", "label": "mmol/L"}, "value": 3.0,
                "referenceRange": {"unit": {"id": "UCUM:mmol/L", "label": "mmol/L"}, "low": 3.5, "high": 5.1}}
    phenopacket = {"id": "p1", "subject": {"id": "s", "sex": "MALE"}, "metaData": {"created": "2024-01-01T00:00:00Z"},
                   "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
                   "measurements": [{"assay": {"id": "LOINC:2823-3", "label": "Potassium"},
                                     "value": {"quantity": quantity}}] * 3}
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"], json.dumps(phenopacket).encode())
    assert status == 0, err
    said = " ".join(w["message"] for w in json.loads(out)["warnings"])
    assert said.count("referenceRange") == 1 and "the referenceRange of 3 measurements" in said


# (a usual dose of plain vitamin D is not read; 50,000 units, a high dose, now is: session 2026-12-07, eighth)
@pytest.mark.parametrize(("drug", "said"), [("cholecalciferol 1,000 unit capsule", False), ("furosemide 40 mg", True),
                                           ("cholecalciferol 50,000 unit capsule", True)])
def test_a_free_text_note_is_named_only_for_a_drug_that_was_read(drug: str, said: bool) -> None:
    """A note "Stopped on admission" on a plain vitamin D that was not read at all was said to qualify what "was read
    as coded", beside the warning that the drug was not read."""
    statement = {"resourceType": "MedicationStatement", "status": "active", "subject": {"reference": "Patient/p"},
                 "medicationCodeableConcept": {"text": drug}, "note": [{"text": "Stopped on admission"}]}
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(_bundle(statement)).encode())
    assert status == 0, err
    assert any(w["id"] == "fhir_free_text_not_read" for w in json.loads(out)["warnings"]) is said


# --- robustness round 55 ----------------------------------------------------------------------------------------


def test_batch_refuses_a_key_given_twice_in_a_document_as_diff_does() -> None:
    line = (b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", '
            b'"id": "p", "gender": "female", "gender": "male"}}]}\n')
    status, out, _ = invoke(["batch", "--input", "fhir", "-"], line)
    assert status == 2 and "given twice" in json.loads(out)["error"]
    status, _, err = invoke(["diff", "--fhir", "-"], line)
    assert status == 2 and "given twice" in err


@pytest.mark.parametrize("status_value", [1.5, ["active"], True])
def test_a_condition_status_that_is_no_code_is_said(status_value: Any) -> None:
    sarcoidosis = {"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "clinicalStatus": status_value,
                   "code": {"coding": [{"system": SNOMED, "code": "31541009"}]}}
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(_bundle(sarcoidosis)).encode())
    assert status == 0, err
    assert any(w["id"] == "fhir_clinical_status_unknown" for w in json.loads(out)["warnings"])


def test_the_result_schema_names_the_fit_states() -> None:
    status, out, _ = invoke(["schema", "result"])
    assert status == 0 and json.loads(out)["$defs"]["Fit"]["properties"]["status"]["enum"] == ["good", "poor"]
