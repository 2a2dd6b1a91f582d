"""Black-box review 12, standard inputs (items 1-3 of its report; each test fails without its fix).

A date in the future set the age from it; a repeated lab whose newest value was in a unit the lab does not
take lost its readable older value too; and a phenopacket with medullary nephrocalcinosis present and cortical
excluded was said to exclude nephrocalcinosis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import run_document

LOINC, UCUM, HPO = "http://loinc.org", "http://unitsofmeasure.org", "http://purl.obolibrary.org/obo/hp.owl"


def _potassium(value: float, unit: str, when: str) -> dict[str, Any]:
    return {"resource": {"resourceType": "Observation", "status": "final",
                         "code": {"coding": [{"system": LOINC, "code": "2823-3"}]}, "effectiveDateTime": when,
                         "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}}


def _bundle(*observations: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "gender": "female", "birthDate": "2018-06-01"}},
        *observations,
        {"resource": {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}}}]}




def _said(result: dict[str, Any]) -> str:
    return " ".join(w["message"] for w in result["warnings"])


def test_a_fhir_date_in_the_future_does_not_set_the_age(tmp_path: Path) -> None:
    """1: a potassium dated 2099 made a girl born in 2018 81 years old, with no word, and moved the ranking."""
    result = run_document(tmp_path, "--fhir", _bundle(_potassium(2.9, "mmol/L", "2099-06-01")))
    assert result["case"].get("age_years") is None
    assert "2099-06-01" in _said(result) and "in the future" in _said(result)
    dated = run_document(tmp_path, "--fhir", _bundle(_potassium(2.9, "mmol/L", "2099-06-01"),
                                             _potassium(3.0, "mmol/L", "2024-06-01")))
    assert dated["case"]["age_years"] == 6.0


def test_a_phenopacket_timestamp_in_the_future_does_not_set_the_age(tmp_path: Path) -> None:
    packet = {"id": "p", "subject": {"id": "s", "dateOfBirth": "2018-06-01T00:00:00Z"},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}],
              "measurements": [{"assay": {"id": "LOINC:2823-3"}, "timeObserved": {"timestamp": "2099-06-01T00:00:00Z"},
                                "value": {"quantity": {"unit": {"id": "UCUM:mmol/L"}, "value": 2.9}}}]}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"].get("age_years") is None
    assert "in the future" in _said(result)


@pytest.mark.parametrize("newer_first", [False, True])
def test_a_newer_lab_value_in_a_unit_the_lab_does_not_take_keeps_the_older_one(tmp_path: Path,
                                                                                newer_first: bool) -> None:
    """2: potassium 2.9 mmol/L, then a later 2.8 'mmol': both were lost (no hypokalaemia), and the warning said
    the others were used. The readable one is used, and the other is named."""
    good, bad = _potassium(2.9, "mmol/L", "2024-06-01"), _potassium(2.8, "mmol", "2024-07-01")
    result = run_document(tmp_path, "--fhir", _bundle(*((bad, good) if newer_first else (good, bad))))
    assert result["case"]["labs"]["serum_potassium"] == {"value": 2.9, "unit": "mmol/L"}
    assert any(d["clue"] == "hypokalemia" and d["present"] for d in result["derived"])
    assert "2.8 mmol (2024-07-01) (a unit the lab does not take)" in _said(result)
    packet = {"id": "p", "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": "P6Y"}}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}],
              "measurements": [{"assay": {"id": "LOINC:2823-3"},
                                "value": {"quantity": {"unit": {"id": "UCUM:mmol/L"}, "value": 2.9}}},
                               {"assay": {"id": "LOINC:2823-3"},
                                "value": {"quantity": {"unit": {"id": "UCUM:mmol"}, "value": 2.8}}}]}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["labs"]["serum_potassium"] == {"value": 2.9, "unit": "mmol/L"}
    assert "serum_potassium 2.8 'mmol'" in _said(result)


def test_another_pattern_excluded_is_not_nephrocalcinosis_excluded(tmp_path: Path) -> None:
    """3: medullary present and cortical excluded was warned as nephrocalcinosis stated both ways."""
    packet = {"id": "p", "subject": {"id": "s"}, "phenotypicFeatures": [
        {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}},
        {"type": {"id": "HP:0012409", "label": "Cortical nephrocalcinosis"}, "excluded": True}]}
    result = run_document(tmp_path, "--phenopacket", packet)
    ids = {w["id"] for w in result["warnings"]}
    assert result["pattern"] == "medullary"
    assert "phenopacket_nephrocalcinosis_present_and_excluded" not in ids
    assert "phenopacket_other_pattern_excluded" in ids
    both = {**packet, "phenotypicFeatures": [packet["phenotypicFeatures"][0],
                                             {"type": {"id": "HP:0012408"}, "excluded": True}]}
    assert "phenopacket_nephrocalcinosis_present_and_excluded" in {
        w["id"] for w in run_document(tmp_path, "--phenopacket", both)["warnings"]}
    only_excluded = {**packet, "phenotypicFeatures": [packet["phenotypicFeatures"][1]]}
    said = run_document(tmp_path, "--phenopacket", only_excluded)["warnings"]
    assert "phenopacket_nephrocalcinosis_excluded" not in {w["id"] for w in said}
    assert any(w["id"] == "phenopacket_without_nephrocalcinosis" and "HP:0012409" in w["message"] for w in said)


def test_rules_check_says_when_a_pack_replaces_a_built_in_cause(tmp_path: Path) -> None:
    """4: a pack's causes/distal_rta.toml replaced distal RTA (91% to 6% for a stated RTA) and `rules check` said only
    "ok: 12 causes". Replacing is allowed (CONTRACT.md section 6), and now said; a new cause is not called one."""
    from test_pack_review import CAUSE, _check, _pack

    pack = _pack(tmp_path / "pack", {"causes/distal_rta.toml": CAUSE.format(prior=0.01)})
    status, text = _check(pack)
    assert status == 0 and "replaces the built-in cause distal_rta" in text, text
    new = _pack(tmp_path / "new", {"causes/test_cause.toml": CAUSE.format(prior=0.01)})
    status, text = _check(new)
    assert status == 0 and "replaces" not in text, text


def test_an_age_at_last_encounter_beyond_the_date_of_birth_is_said(tmp_path: Path) -> None:
    """5: dateOfBirth 2018 with timeAtLastEncounter P40Y gave age 40 without a word."""
    packet = {"id": "p", "subject": {"id": "s", "dateOfBirth": "2018-06-01T00:00:00Z",
                                     "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}]}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["age_years"] == 40.0
    assert "phenopacket_age_after_today" in {w["id"] for w in result["warnings"]}
    packet["subject"]["timeAtLastEncounter"] = {"age": {"iso8601duration": "P6Y"}}
    younger = run_document(tmp_path, "--phenopacket", packet)
    assert "phenopacket_age_after_today" not in {w["id"] for w in younger["warnings"]}
