"""Golden outputs: `nephrocalc diff --case - --format json` for four cases, compared with tests/golden/.

A change in the knowledge base or the engine that moves any number, word or order shows up here.
When the change is intended, regenerate the files and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

GOLDEN_CASES: dict[str, dict[str, Any]] = {
    # the contract's example: a child with the flags of distal RTA
    "drta_flags": {
        "id": "case-7", "pattern": "medullary", "modality": "us", "grade": 2, "age_years": 6,
        "clues": {"metabolic_acidosis": True, "alkaline_urine": True, "hypokalemia": True, "hypercalcemia": False},
    },
    # cortical necrosis after an obstetric catastrophe
    "cortical_obstetric": {
        "pattern": "cortical", "modality": "ct", "laterality": "bilateral", "age_years": 31, "sex": "female",
        "clues": {"obstetric_catastrophe": True, "acute_kidney_injury": True, "tramline_calcification": True},
    },
    # an apparently combined pattern with cortical atrophy
    "combined_cortical_atrophy": {
        "pattern": "combined", "modality": "us", "age_years": 62, "sex": "male",
        "clues": {"cortical_atrophy": True, "hypercalcemia": True},
    },
    # an id and several findings looked for and absent
    "absent_findings": {
        "id": "golden-absent-07", "pattern": "medullary", "modality": "ct", "age_years": 45, "sex": "male",
        "clues": {"hypercalcemia": False, "high_pth": False, "tubular_ectasia": False, "alkaline_urine": False,
                  "hypercalciuria": True, "nephrolithiasis": True},
    },
}


def _diff_json(run_main: Any, case: dict[str, Any]) -> dict[str, Any]:
    status, out, err = run_main(["diff", "--case", "-", "--format", "json"], stdin=json.dumps(case))
    assert status == 0, err
    assert err == ""
    data: dict[str, Any] = json.loads(out)
    return data


@pytest.mark.parametrize("name", list(GOLDEN_CASES))
def test_golden_output(name: str, run_main: Any) -> None:
    actual = _diff_json(run_main, GOLDEN_CASES[name])
    path = GOLDEN_DIR / f"{name}.json"
    if UPDATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest tests/test_golden.py"
    expected = json.loads(path.read_text(encoding="utf-8"))
    # compare the parts separately first, for a readable failure
    assert [e["cause"] for e in actual["differential"]] == [e["cause"] for e in expected["differential"]], (
        "ranking changed; if intended, run UPDATE_GOLDEN=1 pytest tests/test_golden.py and review the diff")
    assert [c["id"] for c in actual["caveats"]] == [c["id"] for c in expected["caveats"]]
    assert [w["id"] for w in actual["warnings"]] == [w["id"] for w in expected["warnings"]]
    assert actual == expected, "output changed; if intended, run UPDATE_GOLDEN=1 and review the diff"


def test_golden_files_match_the_cases() -> None:
    """No stale golden file without a case, and the stored outputs echo their case."""
    stored = {p.stem for p in GOLDEN_DIR.glob("*.json")}
    assert stored == set(GOLDEN_CASES)
    for name, case in GOLDEN_CASES.items():
        data = json.loads((GOLDEN_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert data["id"] == case.get("id")
        assert data["pattern"] == case["pattern"]
        assert len(data["differential"]) == 13  # the twelve causes and `other`
