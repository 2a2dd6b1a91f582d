"""Black-box fuzz review 15: a rule pack may not take a built-in clue's codes without a word."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

PACK = Path(__file__).resolve().parents[1] / "docs" / "packs" / "bartter"


def _pack(tmp_path: Path, line: str) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    clues = pack / "clues.toml"
    lines = clues.read_text(encoding="utf-8").splitlines()
    at = next(i for i, text in enumerate(lines) if text.startswith("[clues.")) + 1
    clues.write_text("\n".join([*lines[:at], line, *lines[at:]]) + "\n", encoding="utf-8")
    return pack


@pytest.mark.parametrize(("line", "said"), [
    ('atc = ["C03CA01"]', "C03CA01 and C03CA of loop_diuretic are one inside the other"),
    ('hpo = ["HP:0001942"]', "HP:0001942 is already a term of clue 'metabolic_acidosis'"),
])
def test_a_pack_clue_may_not_take_a_built_in_clues_code(tmp_path: Path, run_main: Any, line: str, said: str) -> None:
    status, _out, err = run_main(["rules", "check", str(_pack(tmp_path, line))])
    assert status == 2 and said in err and "clues.toml" in err
    assert run_main(["rules", "check", str(PACK)])[0] == 0


def _fhir(tmp_path: Path, patient: dict[str, Any], *resources: dict[str, Any]) -> dict[str, Any]:
    from helpers import run_document

    nc = {"resourceType": "Condition", "code": {"coding": [{"system": "http://snomed.info/sct",
                                                            "code": "236447005"}]}}
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in ({"resourceType": "Patient", **patient}, nc, *resources)]}
    return run_document(tmp_path, "--fhir", bundle)


def test_an_unreadable_date_is_said_not_read_by_its_beginning(tmp_path: Path) -> None:
    said = " ".join(w["message"] for w in _fhir(tmp_path, {"birthDate": "1966-05-02xyz"})["warnings"])
    assert "Patient.birthDate" in said and "1966-05-02xyz" in said
    calcium = {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2020-11-28T25:99:00Z",
               "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
               "valueQuantity": {"value": 9.5, "unit": "mg/dL", "code": "mg/dL"}}
    result = _fhir(tmp_path, {"birthDate": "1966-05-02"}, calcium)
    assert "Observation.effectiveDateTime" in " ".join(w["message"] for w in result["warnings"])


def test_an_unreadable_date_of_death_is_said(tmp_path: Path) -> None:
    result = _fhir(tmp_path, {"birthDate": "1966-05-02", "deceasedDateTime": "garbage"})
    assert "Patient.deceasedDateTime" in " ".join(w["message"] for w in result["warnings"])


def test_a_fhir_leap_second_is_a_date() -> None:
    from nephrocalc.interop.phenopacket import parse_date

    assert str(parse_date("2016-12-31T23:59:60Z")) == "2016-12-31"
    assert parse_date("2016-12-31T23:59:61Z") is None and parse_date("2016-12-31T24:00:00Z") is None
