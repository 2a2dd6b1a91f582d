"""Robustness round 83 (rule packs): what was mended in `rules check` and the listings.

- a `supersedes` component that implies the clue containing it was accepted: stated, it always stated the diagnosis,
  which set it aside, so a cause listing it never counted it;
- a cause's contradiction implied by one of its own findings (kidney failure listed, CKD contradicting) was accepted:
  the finding always brought the contradiction with it;
- two states of one variable ([[exclusive]]) listed by one cause at frequencies adding up to more than 1 were accepted;
- a [[set_aside]] whose conditions no case can meet (a clue required absent that a required clue implies; two states of
  one variable required together) was accepted and never applied;
- a cause copied from another under a new id was accepted and took half of the real one's probability;
- `causes` showed the priors of a pack's or the extended knowledge base's causes as written (a column summing to 137%)
  while a ranking rescales them, and its JSON did not name the packs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import invoke

from nephrocalc.loader import builtin_rules_dir

CAUSE = '''name = "Tubulopathy X"
short_name = "Tubulopathy X"
distribution = "medullary"
cant_miss = false
summary = "Test cause."
mechanism = "Test."
sources = ["Bhat12"]

[prior]
adult = 0.001
child = 0.01
preterm = 0.01
sources = ["Bhat12"]
estimate = true

[[findings]]
clue = "hypokalemia"
frequency = "usually"
sources = ["Bhat12"]
'''


def _pack(tmp_path: Path, cause: str) -> Path:
    pack = tmp_path / "pack"
    (pack / "causes").mkdir(parents=True)
    (pack / "pack.toml").write_text('name = "fuzz83"\nversion = "0.1"\n', encoding="utf-8")
    (pack / "causes" / "tubulo_x.toml").write_text(cause, encoding="utf-8")
    return pack


def _complete_copy(tmp_path: Path, old: str, new: str) -> Path:
    """The built-in rules as a complete knowledge base, with one text of knowledge_base.toml replaced."""
    root = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), root, ignore=shutil.ignore_patterns("extended"))
    path = root / "knowledge_base.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1).replace('name = "nephrocalc built-in knowledge base"',
                                                      'name = "fuzz83 copy"', 1), encoding="utf-8")
    return root


def test_the_shipped_knowledge_bases_pass_the_new_checks() -> None:
    for path in (builtin_rules_dir(), builtin_rules_dir() / "extended"):
        status, out, err = invoke(["rules", "check", str(path)])
        assert status == 0 and out.startswith("ok:"), err


def test_a_component_implying_the_clue_that_contains_it_is_refused(tmp_path: Path) -> None:
    root = _complete_copy(tmp_path, "[[supersedes]]\nclue = \"rta\"", "[[supersedes]]\nclue = \"metabolic_acidosis\"\n"
                          "components = [\"severe_metabolic_acidosis\"]\nsources = [\"GR-dRTA\"]\n\n"
                          "[[supersedes]]\nclue = \"rta\"")
    status, _, err = invoke(["rules", "check", str(root)])
    assert status == 2 and "knowledge_base.toml: supersedes.0.components.0: 'severe_metabolic_acidosis' implies " \
        "'metabolic_acidosis' (clues.toml), which contains it: stated, it would always be set aside" in err, err


@pytest.mark.parametrize(("finding", "against", "refused"), [
    ("kidney_failure", "ckd", True),      # the finding states the contradicted clue every time
    ("ckd", "kidney_failure", False),     # CKD common but kidney failure against the cause: a real picture
])
def test_a_contradiction_its_own_finding_implies_is_refused(tmp_path: Path, finding: str, against: str,
                                                             refused: bool) -> None:
    pack = _pack(tmp_path, CAUSE + f'''
[[findings]]
clue = "{finding}"
frequency = "always"
sources = ["Bhat12"]

[[contradicts]]
clue = "{against}"
lr = 0.02
sources = ["Bhat12"]
''')
    status, _, err = invoke(["rules", "check", str(pack)])
    if refused:
        assert status == 2 and f"causes/tubulo_x.toml: contradicts.0.clue: '{against}' is implied by '{finding}', " \
            "a finding of this cause" in err, err
    else:
        assert status == 0, err


def test_two_states_of_one_variable_cannot_both_be_usual(tmp_path: Path) -> None:
    listed = ''.join(f'''
[[findings]]
clue = "{clue}"
frequency = "{level}"
sources = ["Bhat12"]
''' for clue, level in (("hypercalciuria", "always"), ("hypocalciuria", "usually")))
    status, _, err = invoke(["rules", "check", str(_pack(tmp_path, CAUSE + listed))])
    assert status == 2 and "causes/tubulo_x.toml: findings.2.frequency: 'hypercalciuria' and 'hypocalciuria' " \
        "exclude each other ([[exclusive]])" in err, err
    rare = listed.replace('frequency = "usually"', 'frequency = "rarely"')
    status, _, err = invoke(["rules", "check", str(_pack(tmp_path / "rare", CAUSE + rare))])
    assert status == 0, err


@pytest.mark.parametrize(("when", "said"), [
    ("{ kidney_transplant = true, ckd = false }",
     "set_aside.2.when: ckd = false can never hold with kidney_transplant present ('kidney_transplant' implies 'ckd')"),
    ("{ metabolic_acidosis = true, metabolic_alkalosis = true }",
     "set_aside.2.when: 'metabolic_acidosis' and 'metabolic_alkalosis' exclude each other ([[exclusive]])"),
])
def test_a_set_aside_that_can_never_apply_is_refused(tmp_path: Path, when: str, said: str) -> None:
    root = _complete_copy(tmp_path, "when = { cortical_atrophy = true }", f"when = {when}")
    status, _, err = invoke(["rules", "check", str(root)])
    assert status == 2 and f"knowledge_base.toml: {said}" in err, err


def test_a_cause_copied_under_a_new_id_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    (pack / "causes").mkdir(parents=True)
    (pack / "pack.toml").write_text('name = "fuzz83-copy"\nversion = "0.1"\n', encoding="utf-8")
    text = (builtin_rules_dir() / "causes" / "distal_rta.toml").read_text(encoding="utf-8")
    copy = text.replace('name = "Distal renal tubular acidosis', 'name = "Local distal RTA', 1)
    copy = copy.replace('short_name = "Distal RTA"', 'short_name = "Local dRTA"', 1)
    assert copy != text
    (pack / "causes" / "drta_local.toml").write_text(copy, encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 2 and "causes/drta_local.toml: findings: the same priors, patterns and findings as cause " \
        "'distal_rta'" in err and "causes/distal_rta.toml, which replaces it" in err, err


def test_causes_shows_priors_as_a_ranking_uses_them_and_names_the_pack(tmp_path: Path) -> None:
    pack = _pack(tmp_path, CAUSE.replace("adult = 0.001", "adult = 0.25"))
    status, out, err = invoke(["causes", "--rules", str(pack), "--format", "json"])
    assert status == 0, err
    listing = json.loads(out)
    assert [p["name"] for p in listing["rules"]][-1] == "fuzz83"
    loaded = [c["prior_loaded"]["adult"] for c in listing["causes"]]
    assert abs(sum(loaded) - 1.0) < 1e-4 and sum(c["prior"]["adult"] for c in listing["causes"]) > 1.2
    ours = next(c for c in listing["causes"] if c["id"] == "tubulo_x")
    assert ours["prior"]["adult"] == 0.25 and abs(ours["prior_loaded"]["adult"] - 0.2) < 1e-4
    status, out, err = invoke(["causes", "--rules", str(pack)])
    said = " ".join(out.split())
    assert status == 0 and "rule packs (fuzz83 0.1)" in said and "rescaled so that the loaded causes' priors sum " \
        "to 100%" in said and "tubulo_x 20.0%" in said, out
    status, out, err = invoke(["causes"])
    assert status == 0 and "rescaled" not in out
    built_in = json.loads(invoke(["causes", "--format", "json"])[1])["causes"]
    assert all(c["prior_loaded"] == pytest.approx(c["prior"], abs=1e-6) for c in built_in)
