"""A phenopacket's PTH is read with the calcium of its own age at sampling, as a FHIR bundle's is by date
(fhir_labs_paired, interop review 48); a lab measured more than once names the value used. Each test fails without
its fix: the newest calcium was read beside an older PTH, and the note said only how many values there were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

from nephrocalc.interop.phenopacket import case_from_phenopacket
from nephrocalc.knowledge import KnowledgeBase

CALCIUM, PTH, ALBUMIN = "17861-6", "2731-8", "1751-7"


def _lab(loinc: str, value: float, unit: str, age: str | None) -> dict[str, Any]:
    measurement: dict[str, Any] = {"assay": {"id": f"LOINC:{loinc}", "label": loinc},
                                   "value": {"quantity": {"unit": {"id": f"UCUM:{unit}", "label": unit},
                                                          "value": value}}}
    if age is not None:
        measurement["timeObserved"] = {"age": {"iso8601duration": age}}
    return measurement


def _packet(*measurements: dict[str, Any]) -> dict[str, Any]:
    return {"id": "pp-pair", "subject": {"id": "s", "sex": "FEMALE",
                                         "timeAtLastEncounter": {"age": {"iso8601duration": "P52Y"}}},
            "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
            "measurements": list(measurements)}


# hypercalcaemia of 11.8 mg/dL with a PTH of 120 pg/mL at 50; a normal calcium after the operation at 51.5
HYPERCALCAEMIA_THEN_CURED = _packet(_lab(CALCIUM, 11.8, "mg/dL", "P50Y"), _lab(PTH, 120, "pg/mL", "P50Y"),
                                    _lab(CALCIUM, 9.4, "mg/dL", "P51Y6M"))


def _notes(notes: list[Any]) -> dict[str, str]:
    return {n["id"]: n["message"] for n in notes}


def test_the_pth_is_read_with_the_calcium_it_answered(kb: KnowledgeBase) -> None:
    case, notes = case_from_phenopacket(HYPERCALCAEMIA_THEN_CURED, kb)
    assert case.labs["serum_calcium"].value == 11.8
    said = _notes(notes)["phenopacket_labs_paired"]
    assert "serum_calcium 11.8 mg/dL at 50 years" in said and "not 9.4 mg/dL at 51.5 years" in said
    assert "used 11.8 mg/dL at 50 years" in _notes(notes)["phenopacket_labs_repeated"]


def test_the_albumin_is_the_one_beside_the_calcium_kept(kb: KnowledgeBase) -> None:
    packet = _packet(_lab(CALCIUM, 10.1, "mg/dL", "P50Y"), _lab(ALBUMIN, 2.4, "g/dL", "P50Y"),
                     _lab(PTH, 95, "pg/mL", "P50Y"), _lab(CALCIUM, 9.0, "mg/dL", "P52Y"),
                     _lab(ALBUMIN, 4.2, "g/dL", "P52Y"))
    case, _ = case_from_phenopacket(packet, kb)
    assert (case.labs["serum_calcium"].value, case.labs["serum_albumin"].value) == (10.1, 2.4)


@pytest.mark.parametrize("pth_age", [None, "P51Y6M"])
def test_nothing_is_paired_when_the_pth_is_undated_or_beside_the_newest(pth_age: str | None,
                                                                         kb: KnowledgeBase) -> None:
    packet = _packet(_lab(CALCIUM, 11.8, "mg/dL", "P50Y"), _lab(PTH, 120, "pg/mL", pth_age),
                     _lab(CALCIUM, 9.4, "mg/dL", "P51Y6M"))
    case, notes = case_from_phenopacket(packet, kb)
    assert case.labs["serum_calcium"].value == 9.4
    assert "phenopacket_labs_paired" not in _notes(notes)
    assert "serum_calcium (2 values; used 9.4 mg/dL at 51.5 years)" in _notes(notes)["phenopacket_labs_repeated"]


def test_through_the_command_hyperparathyroidism_leads(tmp_path: Path) -> None:
    path = tmp_path / "packet.json"
    path.write_text(json.dumps(HYPERCALCAEMIA_THEN_CURED), encoding="utf-8")
    status, out, err = invoke(["diff", "--phenopacket", str(path), "--format", "json"])
    assert status == 0, err
    result = json.loads(out)
    assert result["differential"][0]["cause"] == "hyperparathyroidism"
    assert any(w["id"] == "phenopacket_labs_paired" for w in result["warnings"])
