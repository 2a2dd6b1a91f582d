"""Interop review 13 (25 patients, each as a case, a phenopacket and FHIR bundles; each test fails without its fix).

A 25-hydroxyvitamin D3 coded 1989-3 or 14635-7 (many laboratories' code for their 25OHD) was not read at all: a D3
of 190 ng/mL with a PTH-independent hypercalcaemia on vitamin D went to hyperparathyroidism. A D3 is part of the
total 25OHD (D2 + D3): it is read as a lower bound of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, run_document

LOINC, UCUM, HPO = "http://loinc.org", "http://unitsofmeasure.org", "http://purl.obolibrary.org/obo/hp.owl"


def _bundle(code: str, value: float, unit: str, comparator: str = "") -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    if comparator:
        quantity["comparator"] = comparator
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "gender": "male", "birthDate": "1970-01-01"}},
        {"resource": {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2024-01-01",
                      "code": {"coding": [{"system": LOINC, "code": code}]}, "valueQuantity": quantity}},
        {"resource": {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2024-01-01",
                      "code": {"coding": [{"system": LOINC, "code": "17861-6"}]},
                      "valueQuantity": {"value": 12.4, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}}},
        {"resource": {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}}}]}




@pytest.mark.parametrize(("code", "value", "unit"), [("1989-3", 190, "ng/mL"), ("14635-7", 475, "nmol/L")])
def test_a_25_hydroxyvitamin_d3_is_read_as_at_least_the_total(tmp_path: Path, code: str, value: float,
                                                               unit: str) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(code, value, unit))
    assert result["case"]["labs"]["vitamin_d_25oh"] == {"value": value, "unit": unit, "comparator": ">="}
    assert any(d["clue"] == "high_25oh_vitamin_d" and d["present"] for d in result["derived"])
    assert result["differential"][0]["cause"] == "hypervitaminosis_d"
    said = [w for w in result["warnings"] if w["id"] in ("fhir_lab_part", "fhir_lab_bounds")]
    assert [w["id"] for w in said] == ["fhir_lab_part"] and f"LOINC {code}" in said[0]["message"]
    packet = {"id": "p", "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": "P54Y"}}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}],
              "measurements": [{"assay": {"id": f"LOINC:{code}"},
                                "value": {"quantity": {"unit": {"id": f"UCUM:{unit}"}, "value": value}}}]}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["labs"]["vitamin_d_25oh"]["comparator"] == ">="
    assert "phenopacket_lab_part" in {w["id"] for w in result["warnings"]}


def test_a_low_25_hydroxyvitamin_d3_says_nothing_of_the_total(tmp_path: Path) -> None:
    """A D3 of 20 ng/mL leaves room for a D2 taken: it documents no absence of vitamin D excess."""
    result = run_document(tmp_path, "--fhir", _bundle("1989-3", 20, "ng/mL"))
    assert not any(d["clue"] == "high_25oh_vitamin_d" for d in result["derived"])
    below = run_document(tmp_path, "--fhir", _bundle("1989-3", 5, "ng/mL", "<"))
    assert "vitamin_d_25oh" not in below["case"].get("labs", {})
    assert "says nothing of the whole" in " ".join(w["message"] for w in below["warnings"])


def test_the_lab_table_lists_the_lower_bound_codes() -> None:
    status, out, _ = invoke(["labs", "--format", "json"])
    vitamin_d = next(lab for lab in json.loads(out)["labs"] if lab["id"] == "vitamin_d_25oh")
    assert status == 0 and vitamin_d["loinc"] == ["62292-8"] and vitamin_d["loinc_at_least"] == ["1989-3", "14635-7"]


def test_a_code_both_the_labs_own_and_a_part_of_it_is_refused_by_name(tmp_path: Path) -> None:
    from test_pack_review import _check, _kb_copy

    kb = _kb_copy(tmp_path, "labs.toml", '  "62292-8",  # 25-Hydroxyvitamin D2+D3',
                  '  "1989-3",  # 25-Hydroxyvitamin D2+D3')
    status, text = _check(kb)
    assert status == 2 and "labs.vitamin_d_25oh.loinc_at_least.0: 1989-3 is listed twice for this lab" in text, text


def test_a_urine_ph_without_a_unit_is_read(tmp_path: Path) -> None:
    """A urine pH sent without a unit (many laboratory feeds) was refused: "a value without its unit cannot be
    read". A pH has no unit; a calcium without one is still refused."""
    bundle = _bundle("2756-5", 7.0, "")
    del bundle["entry"][1]["resource"]["valueQuantity"]["unit"], bundle["entry"][1]["resource"]["valueQuantity"]["code"]
    result = run_document(tmp_path, "--fhir", bundle)
    assert result["case"]["labs"]["urine_ph"] == {"value": 7.0, "unit": "pH"}
    bundle = _bundle("17861-6", 12.0, "")
    del bundle["entry"][1]["resource"]["valueQuantity"]["unit"], bundle["entry"][1]["resource"]["valueQuantity"]["code"]
    said = " ".join(w["message"] for w in run_document(tmp_path, "--fhir", bundle)["warnings"])
    assert "no unit given" in said


@pytest.mark.parametrize(("lab", "written", "mg_dl"), [("serum_calcium", "124 mg/L", 12.4),
                                                       ("serum_calcium", "6.2 mEq/L", 12.42),
                                                       ("serum_phosphate", "25 mg/L", 2.5)])
def test_calcium_and_phosphate_in_mg_per_litre_and_calcium_in_meq(lab: str, written: str, mg_dl: float) -> None:
    """French laboratories report calcium and phosphate in mg/L, some reports calcium in mEq/L: both were refused."""
    status, out, err = invoke(["diff", "-p", "medullary", "--age", "50", "--lab", f"{lab}={written}",
                               "--format", "json"])
    steps = [d for d in json.loads(out)["derived"] if d["lab"] == lab]
    assert status == 0 and steps and all(round(d["canonical_value"], 2) == mg_dl for d in steps), err



def _medication(coding: list[dict[str, str]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "gender": "male", "birthDate": "2024-01-01"}},
        {"resource": {"resourceType": "MedicationStatement", "status": "active",
                      "medicationCodeableConcept": {"coding": coding}}},
        {"resource": {"resourceType": "Condition", "recordedDate": "2024-03-01",
                      "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}}}]}


def test_a_medication_coded_in_who_atc_is_read(tmp_path: Path) -> None:
    """A MedicationStatement coded C03CA01 (furosemide) with no name lost the loop diuretic: 'other' led where the
    named drug gave the nephrocalcinosis of a loop diuretic. A WHO ATC code is read (its group: C03CA); other code
    systems still are not, and the warning says which are."""
    result = run_document(tmp_path, "--fhir", _medication([{"system": "http://www.whocc.no/atc", "code": "C03CA01"}]))
    assert result["case"]["clues"] == {"loop_diuretic": True}
    assert result["differential"][0]["cause"] == "chronic_hypercalciuria"
    rxnorm = run_document(tmp_path, "--fhir", _medication([{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                    "code": "4603"}]))
    assert "loop_diuretic" not in rxnorm["case"].get("clues", {})
    assert "only WHO ATC medication codes are read" in " ".join(w["message"] for w in rxnorm["warnings"])
    # a topical carbonic anhydrase inhibitor (dorzolamide, S01EC03) is not the systemic exposure
    drops = run_document(tmp_path, "--fhir", _medication([{"system": "http://www.whocc.no/atc", "code": "S01EC03"}]))
    assert "carbonic_anhydrase_inhibitor" not in drops["case"].get("clues", {})


def test_an_atc_code_given_to_two_exposures_is_refused_by_name(tmp_path: Path) -> None:
    from test_pack_review import _check, _kb_copy

    kb = _kb_copy(tmp_path, "clues.toml", 'atc = ["N05AN01"]', 'atc = ["N05AN01", "C03CA"]')
    status, text = _check(kb)
    assert status == 2 and "clues.lithium.atc.1: C03CA is already an ATC code of loop_diuretic" in text, text
