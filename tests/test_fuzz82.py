"""Robustness round 82 (packs that load but mean something else, fuzzed cases): what was mended.

- batch left out the caveat that a can't-miss cause's test is still due beside a history stated absent ("no known
  tuberculosis"), which diff gave: the engine now says it, for both;
- an [[other.findings]] entry whose `marks` misspelt a cause id was accepted and never matched, so the finding counted
  for the open world beside the cause it stood for;
- a caveat whose every condition holds for every case (an age from 0, every pattern, every grade) was accepted;
- an [[other.findings]] entry, a given_background or a contradiction that could never count (its clue and given
  exclude each other, or its unless names what the given clue implies) was accepted.
(Left open: the same for [[set_aside]], a cause contradicting a clue that implies its own finding, `supersedes`
against `implies`, and `causes --rules` showing a pack's priors as written.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invoke

TB = {"id": "tb1", "pattern": "cortical", "age_years": 40, "clues": {"tuberculosis": False, "sterile_pyuria": True}}


def test_batch_gives_the_caveats_diff_gives() -> None:
    given = json.dumps(TB).encode()
    status, out, err = invoke(["diff", "--case", "-", "-f", "json"], given)
    assert status == 0, err
    from_diff = [c["id"] for c in json.loads(out)["caveats"]]
    status, out, err = invoke(["batch", "-"], given + b"\n")
    assert status == 0, err
    assert [c["id"] for c in json.loads(out)["caveats"]] == from_diff
    assert "rule_out_renal_tuberculosis" in from_diff


def _pack(tmp_path: Path, text: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.toml").write_text(text, encoding="utf-8")
    return pack


PACK_OTHER = '''name = "oth"
version = "1"
[other]
adult = 0.12
child = 0.20
preterm = 0.05
sources = ["Bota19"]

[[other.findings]]
'''
MARKS = PACK_OTHER + '''clue = "polyhydramnios"
lr_present = 5.0
sources = ["Bota19"]
note = "x"
marks = ["{mark}"]
'''


@pytest.mark.parametrize(("mark", "refused"), [("bartter_syndrom", True), ("bartter_syndrome", False)])
def test_a_misspelt_mark_is_refused(tmp_path: Path, mark: str, refused: bool) -> None:
    status, out, err = invoke(["rules", "check", "--extended", str(_pack(tmp_path, MARKS.replace("{mark}", mark)))])
    assert (status == 2) is refused, out + err
    if refused:
        assert "pack.toml: other.findings.0.marks.0: unknown cause 'bartter_syndrom'" in err


@pytest.mark.parametrize("when", ['age_at_least = 0', 'pattern = ["medullary", "cortical", "combined"]',
                                  'grade = [0, 1, 2, 3]\nage_below = 200'])
def test_a_caveat_that_holds_for_every_case_is_refused(tmp_path: Path, when: str) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "caveats.toml").write_text(f'''[[caveats]]
id = "always"
message = "Always said."
sources = ["Bota19"]
[caveats.when]
{when}
''', encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 2 and "the caveat would fire on every case" in err, err


OTHER = PACK_OTHER + '''clue = "{clue}"
given = "{given}"
{unless}lr_present = 5.0
sources = ["Bota19"]
note = "x"
'''


@pytest.mark.parametrize(("clue", "given", "unless", "said"), [
    ("metabolic_alkalosis", "metabolic_acidosis", "", "other.findings.0.given: 'metabolic_alkalosis' and "
     "'metabolic_acidosis' exclude each other ([[exclusive]]): the entry would never count"),
    ("alkaline_urine", "kidney_failure", 'unless = ["ckd"]\n', "other.findings.0.unless: 'ckd' is implied by the "
     "given clue 'kidney_failure': the entry would never count"),
])
def test_an_open_world_entry_that_can_never_count_is_refused(tmp_path: Path, clue: str, given: str, unless: str,
                                                             said: str) -> None:
    text = OTHER.replace("{clue}", clue).replace("{given}", given).replace("{unless}", unless)
    status, _, err = invoke(["rules", "check", str(_pack(tmp_path, text))])
    assert status == 2 and said in err, err


def test_a_given_background_that_can_never_hold_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "clues.toml").write_text('''[clues.newclue]
label = "New clue"
description = "x."
group = "history"
specificity = "high"
hpo = []
hpo_note = "none"
given_background = { given = "kidney_failure", value = 0.3, sources = ["Bota19"], unless = ["ckd"] }
''', encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 2 and "given_background.unless.0: 'ckd' is implied by the given clue 'kidney_failure'" in err, err


def test_a_contradiction_beside_a_clue_it_excludes_is_refused(tmp_path: Path) -> None:
    from nephrocalc.loader import builtin_rules_dir

    pack = tmp_path / "pack"
    (pack / "causes").mkdir(parents=True)
    text = (builtin_rules_dir() / "causes" / "distal_rta.toml").read_text(encoding="utf-8")
    (pack / "causes" / "distal_rta.toml").write_text(text + '''
[[contradicts]]
clue = "metabolic_alkalosis"
given = "metabolic_acidosis"
lr = 0.1
sources = ["GR-dRTA"]
note = "never counts: the two exclude each other"
''', encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 2 and "causes/distal_rta.toml: contradicts: 'metabolic_alkalosis' with given " \
        "'metabolic_acidosis': the two exclude each other" in err, err
