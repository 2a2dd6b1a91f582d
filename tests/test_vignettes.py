"""Textbook vignettes (tests/cases/vignettes.jsonl): the expected cause must rank first.

Each line is ``{"id", "expected", "note", "case"}``, written from CLINICAL.md section 3, with the
findings a clinician would document against the other causes. A line may carry ``"xfail"``: a
sensible vignette the knowledge base does not yet rank first (knowledge-base feedback); it is a
strict xfail, so fixing the knowledge base makes the test fail until the mark is removed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import ranking

from nephrocalc.knowledge import KnowledgeBase

VIGNETTES_PATH = Path(__file__).parent / "cases" / "vignettes.jsonl"
NAME_CLUES = {"rta", "sarcoidosis", "glomerulonephritis", "tuberculosis", "hyperoxaluria"}


def _load() -> list[dict[str, Any]]:
    lines = VIGNETTES_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


VIGNETTES = _load()


def _params() -> list[Any]:
    params = []
    for vignette in VIGNETTES:
        marks = []
        if "xfail" in vignette:
            marks.append(pytest.mark.xfail(reason=vignette["xfail"], strict=True))
        params.append(pytest.param(vignette, id=vignette["id"], marks=marks))
    return params


@pytest.mark.parametrize("vignette", _params())
def test_vignette_ranks_expected_cause_first(vignette: dict[str, Any], rank: Any) -> None:
    result = rank(vignette["case"])
    order = ranking(result)
    top = result["differential"][0]
    assert order[0] == vignette["expected"], (
        f"{vignette['id']}: expected {vignette['expected']} first, got {top['cause']} "
        f"({top['probability']:.2f}); {vignette['expected']} ranks {order.index(vignette['expected']) + 1}. "
        f"Vignette: {vignette['note']}")


def test_vignette_file_is_well_formed(kb: KnowledgeBase) -> None:
    ids = [v["id"] for v in VIGNETTES]
    assert len(ids) == len(set(ids)), "vignette ids must be unique"
    for vignette in VIGNETTES:
        assert set(vignette) <= {"id", "expected", "note", "case", "xfail"}, vignette["id"]
        assert vignette["expected"] in kb.causes, vignette["id"]
        assert vignette["note"].strip(), vignette["id"]
        assert vignette["case"].get("id") == vignette["id"], "the case echoes the vignette id"


def test_at_least_two_vignettes_per_cause(kb: KnowledgeBase) -> None:
    counts = Counter(v["expected"] for v in VIGNETTES)
    thin = {cause: counts.get(cause, 0) for cause in kb.causes if counts.get(cause, 0) < 2}
    assert not thin, f"causes with fewer than two vignettes: {thin}"
    assert len(VIGNETTES) >= 24


def test_vignettes_are_combinations_not_the_name_clue_alone() -> None:
    for vignette in VIGNETTES:
        stated = set(vignette["case"].get("clues", {}))
        assert len(stated) >= 3, f"{vignette['id']}: a vignette needs a combination of findings"
        assert stated - NAME_CLUES, f"{vignette['id']}: more than the diagnosis itself"
