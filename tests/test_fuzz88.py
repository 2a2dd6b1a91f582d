"""Robustness round 88: what was mended.

- a pack clue's ICD-10-CM block that overlaps another file's block without either holding the other (C90-D20 beside
  the built-in malignancy's C00-C96) was accepted by `rules check`, and a code in both (C92.00, a leukaemia) was read
  as the pack's finding only, the malignancy lost without a word;
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def _pack(tmp_path: Path, clues: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.toml").write_text('name = "test pack"\nversion = "1.0"\ndescription = "A pack."\n'
                                    'maintainer = "tests"\n', encoding="utf-8")
    (pack / "clues.toml").write_text(clues, encoding="utf-8")
    return pack


def _clue(icd10cm: str, clue: str = "odd_tumour") -> str:
    return (f'[clues.{clue}]\nlabel = "Odd tumour"\ndescription = "A tumour."\ngroup = "systemic"\n'
            f'specificity = "moderate"\nhpo_note = "none"\nicd10cm = {icd10cm}\n')


@pytest.mark.parametrize("blocks", ['["C90-D20"]', '["B99-C05"]'])
def test_a_pack_block_overlapping_another_files_block_is_refused(tmp_path: Path, blocks: str) -> None:
    status, _, err = invoke(["rules", "check", str(_pack(tmp_path, _clue(blocks)))])
    assert status == 2, err
    assert "clues.toml: clues.odd_tumour.icd10cm.0: " in err and "C00-C96 of malignancy" in err
    assert "Traceback" not in err


def test_blocks_of_two_clues_of_one_file_that_overlap_are_refused(tmp_path: Path) -> None:
    text = _clue('["D50-D60"]') + _clue('["D55-D70"]', "odd_anaemia")
    status, _, err = invoke(["rules", "check", str(_pack(tmp_path, text))])
    assert status == 2, err
    assert "clues.toml: clues.odd_anaemia.icd10cm.0: D55-D70 and D50-D60 of odd_tumour overlap" in err
