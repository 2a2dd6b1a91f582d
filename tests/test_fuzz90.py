"""Robustness round 90: what was mended.

- a can't-miss cause's rule-out test was proposed (first of `diff`'s next findings, and asked by `ask`) when its
  finding was already settled by another state of its variable ([[exclusive]]) stated present: with a kidney
  transplant and hypoparathyroidism (or a suppressed PTH) stated, `--extended` proposed "PTH and serum calcium" for a
  raised PTH (chronic allograft calcification), though the PTH is known. The ordinary questions already left such a
  state out (UX review 84); the rule-out tests now do too;
- `rules check` looked only at a cause's usual entries for findings that work against each other (robustness round
  83), not at those bounded by sex (the new construct) or by age: a metabolic acidosis listed "usually" for males
  beside a metabolic alkalosis "always" (0.8 + 0.95 of one variable's states), or a kidney transplant (which implies
  CKD) listed for males or from 10 years beside a contradiction of CKD, passed and were scored so. Each entry is now
  checked for the patients it is for, and the problem says which ("in males", "at 10 years and over");
- `rules check` took a pair of [[exclusive]] states given in two groups (the acid-base group repeated in the other
  order): with both stated, the contradiction was said twice and `fit.contradictory` named each state twice. A pair
  is now given in one group;
- a finding listed only by sex (haematuria at 99.5% in males and 95% in females, with no entry over both sexes) was
  accepted, and for a patient whose sex is not known (none given, a FHIR gender "unknown", a phenopacket's
  OTHER_SEX) it counted for nothing in the cause: haematuria stated absent left it where it was. `rules check` now
  asks for the usual entry, which the entries by sex replace.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, renamed

RULES = Path(__file__).resolve().parent.parent / "rules"
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "packs" / "bartter"
CAUSE = "causes/bartter_syndrome.toml"


def _pack(tmp_path: Path, findings: str) -> Path:
    """The example Bartter pack with ``findings`` (TOML) added to its cause."""
    pack = tmp_path / "pack"
    shutil.copytree(EXAMPLE, pack)
    path = pack / CAUSE
    path.write_text(path.read_text(encoding="utf-8") + findings, encoding="utf-8")
    return pack


def _json(argv: list[str], stdin: bytes = b"") -> dict[str, Any]:
    status, out, err = invoke(argv, stdin)
    assert status == 0, err
    assert "Traceback" not in err
    result: dict[str, Any] = json.loads(out)
    return result


# --- a rule-out test whose finding an exclusive state settles --------------------------------------------------------

ALLOGRAFT = ["-p", "cortical", "--kidney-transplant", "--extended"]


@pytest.mark.parametrize("state", ["--hypoparathyroidism", "--low-pth"])
def test_a_rule_out_test_settled_by_an_exclusive_state_is_not_proposed(state: str) -> None:
    result = _json(["diff", *ALLOGRAFT, state, "--format", "json"])
    assert "high_pth" not in [item["clue"] for item in result["next_findings"]]


def test_the_rule_out_test_is_still_proposed_while_its_finding_is_open() -> None:
    result = _json(["diff", *ALLOGRAFT, "--format", "json"])
    proposed = {item["clue"]: item for item in result["next_findings"]}
    assert proposed["high_pth"].get("cant_miss") == "chronic_allograft_calcification"


def test_ask_does_not_put_a_rule_out_test_settled_by_an_exclusive_state() -> None:
    argv = ["ask", *ALLOGRAFT, "--hypoparathyroidism", "--max-questions", "6", "--stop-at", "1"]
    status, _, err = invoke(argv, b"u\n" * 6)
    assert status == 0, err
    asked = [line.split()[1] for line in err.splitlines() if line.startswith("? ")]
    assert asked and "high_pth" not in asked


# --- rules check: entries bounded by sex or age that work against the cause's others ---------------------------------

# each with its usual entry, which an entry bounded by sex replaces (the usual at findings.8, the bounded at 9)
ACIDOSIS = ('\n[[findings]]\nclue = "metabolic_acidosis"\nfrequency = "rarely"\nsources = ["PR-Bartter"]\n'
            '\n[[findings]]\nclue = "metabolic_acidosis"\n{bound}\nfrequency = "{level}"\nsources = ["PR-Bartter"]\n')
BOUNDS = [('sex = "male"', "in males"), ("age_at_least = 10", "at 10 years and over")]
TRANSPLANT = ('\n[[contradicts]]\nclue = "ckd"\nlr = 0.1\nsources = ["PR-Bartter"]\n'
              '\n[[findings]]\nclue = "kidney_transplant"\nlr_present = 0.5\nlr_absent = 1.2\n'
              'sources = ["PR-Bartter"]\n'
              '\n[[findings]]\nclue = "kidney_transplant"\n{bound}\nlr_present = 5\nlr_absent = 0.5\n'
              'sources = ["PR-Bartter"]\n')


@pytest.mark.parametrize(("bound", "said"), BOUNDS)
def test_a_bounded_state_that_adds_up_with_another_past_one_is_refused(tmp_path: Path, bound: str, said: str) -> None:
    # the example cause lists metabolic_alkalosis "always" (0.95): an acidosis "usually" (0.8) in males is impossible
    status, out, err = invoke(["rules", "check", str(_pack(tmp_path, ACIDOSIS.format(bound=bound, level="usually")))])
    assert status == 2 and out == "" and "Traceback" not in err
    assert f"{CAUSE}: findings.9.frequency: 'metabolic_acidosis' and 'metabolic_alkalosis' exclude each other " \
        f"([[exclusive]]) but are listed at 0.8 and 0.95 {said}: " in err, err


@pytest.mark.parametrize("bound", ['sex = "female"', "age_below = 2"])
def test_a_bounded_state_that_leaves_room_for_the_other_passes(tmp_path: Path, bound: str) -> None:
    status, _, err = invoke(["rules", "check", str(_pack(tmp_path, ACIDOSIS.format(bound=bound, level="rarely")))])
    assert status == 0, err


@pytest.mark.parametrize(("bound", "said"), BOUNDS)
def test_a_bounded_finding_that_implies_a_contradiction_is_refused(tmp_path: Path, bound: str, said: str) -> None:
    status, out, err = invoke(["rules", "check", str(_pack(tmp_path, TRANSPLANT.format(bound=bound)))])
    assert status == 2 and out == "" and "Traceback" not in err
    assert f"{CAUSE}: contradicts.0.clue: 'ckd' is implied by 'kidney_transplant', a finding of this cause {said}: " \
        "stating the finding would always count the contradiction too" in err, err


# --- rules check: a pair of exclusive states in two groups ----------------------------------------------------------


def _kb_with(tmp_path: Path, added: str) -> Path:
    """A renamed copy of the whole knowledge base with ``added`` (TOML) at the end of its knowledge_base.toml."""
    copy = tmp_path / "kb"
    shutil.copytree(RULES, copy)
    path = copy / "knowledge_base.toml"
    path.write_text(path.read_text(encoding="utf-8") + added, encoding="utf-8")
    return Path(renamed(copy))


@pytest.mark.parametrize("group", [
    '["metabolic_alkalosis", "metabolic_acidosis"]',  # the acid-base group again, in the other order
    '["high_pth", "low_pth", "hyperkalemia"]',  # a group holding a pair given already
])
def test_a_pair_of_exclusive_states_in_two_groups_is_refused(tmp_path: Path, group: str) -> None:
    kb = _kb_with(tmp_path, f'\n[[exclusive]]\nclues = {group}\nsources = ["Berend14"]\n')
    status, out, err = invoke(["rules", "check", str(kb)])
    assert status == 2 and out == "" and "Traceback" not in err
    problems = [line for line in err.splitlines() if line.startswith("knowledge_base.toml: exclusive.")]
    assert any("exclude each other in exclusive." in line and " already: give each pair of states in one group"
               in line for line in problems), err


def test_the_shipped_groups_give_each_pair_once() -> None:
    status, _, err = invoke(["rules", "check", str(RULES)])
    assert status == 0, err


# --- rules check: a finding listed only by sex ----------------------------------------------------------------------

BY_SEX = ''.join(f'\n[[findings]]\nclue = "hematuria"\nsex = "{sex}"\nlr_present = {present}\nlr_absent = {absent}\n'
                 'sources = ["PR-Bartter"]\n' for sex, present, absent in (("male", 9.95, 0.0056),
                                                                          ("female", 9.5, 0.056)))


def test_a_finding_listed_only_by_sex_is_refused(tmp_path: Path) -> None:
    status, out, err = invoke(["rules", "check", str(_pack(tmp_path, BY_SEX))])
    assert status == 2 and out == "" and "Traceback" not in err
    assert f"{CAUSE}: findings.8.sex: 'hematuria' is listed only by sex: with the sex unknown it would count for " \
        "nothing; give its usual entry too" in err, err


def test_a_finding_by_sex_beside_its_usual_entry_counts_for_every_patient(tmp_path: Path) -> None:
    usual = '\n[[findings]]\nclue = "hematuria"\nlr_present = 9.8\nlr_absent = 0.022\nsources = ["PR-Bartter"]\n'
    pack = _pack(tmp_path, usual + BY_SEX)
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 0, err
    argv = ["diff", "--rules", str(pack), "-p", "medullary", "--age", "1", "--no-hematuria", "--format", "json"]
    for sex, ratio in (([], 0.022), (["--sex", "male"], 0.0056), (["--sex", "female"], 0.056)):
        bartter = next(e for e in _json([*argv, *sex])["differential"] if e["cause"] == "bartter_syndrome")
        weights = [item["weight"] for item in bartter["conflicting"] if item["clue"] == "hematuria"]
        assert weights == [pytest.approx(math.log(ratio), abs=0.01)], (sex, weights)
