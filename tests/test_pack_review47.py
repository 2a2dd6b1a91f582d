"""Pack review 47: ratios and priors with no floor, a blank unit, blank text, repeated or empty lists, and a pack
given both in $NEPHROCALC_RULES and with --rules."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import renamed

from nephrocalc.loader import builtin_rules_dir

PACK = Path(__file__).resolve().parents[1] / "docs" / "packs" / "bartter"
CAUSE = "causes/bartter_syndrome.toml"

CAVEAT = '''[[caveats]]
id = "c1"
message = "{message}"
sources = ["Bhat12"]
[caveats.when]
present = {present}
'''


def _pack(tmp_path: Path, file: str = CAUSE, old: str = "", new: str = "", append: str = "") -> Path:
    """The example pack, with one edit of ``file`` (``old`` replaced by ``new``) or text appended to it."""
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    path = pack / file
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if old:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text + append, encoding="utf-8")
    return pack


def _kb_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A complete knowledge base: rules/ copied, with one edit (and a name of its own)."""
    kb = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), kb, ignore=shutil.ignore_patterns("extended"))
    renamed(kb)
    text = (kb / file).read_text(encoding="utf-8")
    assert old in text, old
    (kb / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return kb


def _refused(run_main: Any, pack: Path, line: str) -> None:
    status, out, err = run_main(["rules", "check", str(pack)])
    assert status == 2 and out == "", err
    assert line in err.splitlines(), err
    assert "Traceback" not in err


# --- 1. likelihood ratios and priors have a floor ----------------------------------------------------------------

CONTRADICTS = '\n[[contradicts]]\nclue = "ckd"\nlr = {lr}\nsources = ["Bhat12"]\n'
AGE = '\n[[age]]\nat_least = 30\nratio = {ratio}\nsources = ["Bhat12"]\n'
OTHER = '''
[other]
adult = {adult}
child = 0.1
preterm = 0.05
sources = ["Bhat12"]
[[other.findings]]
clue = "hyperprostaglandinuria"
lr_present = {lr}
sources = ["Bhat12"]
note = "n"
'''


@pytest.mark.parametrize(("file", "old", "new", "append", "line"), [
    # a contradiction of 1e-300 in every built-in cause sent the cap's 5% to the first of twelve underflowed causes
    (CAUSE, "", "", CONTRADICTS.format(lr="1e-300"),
     f"{CAUSE}: contradicts.0.lr: must be from 0.001 to below 1 (got 1e-300)"),
    (CAUSE, 'frequency = "always"', "lr_present = 1e-300\nlr_absent = 0.5", "",
     f"{CAUSE}: findings.3.lr_present: must be from 0.001 to 1000 (got 1e-300)"),
    (CAUSE, 'frequency = "always"', "lr_present = 5.0\nlr_absent = 0.0009", "",
     f"{CAUSE}: findings.3.lr_absent: must be from 0.001 to 1000 (got 0.0009)"),
    (CAUSE, "", "", AGE.format(ratio="1e-300"), f"{CAUSE}: age.0.ratio: must be from 0.001 to 1e+06 (got 1e-300)"),
    # a prior of 5e-324 was accepted where 0 was refused; the cause then sat at 0 "because of the sex or the age"
    (CAUSE, "adult = 0.001", "adult = 5e-324", "",
     f"{CAUSE}: prior.adult: must be from 1e-06 to below 1 (got 4.94066e-324)"),
    ("pack.toml", "", "", OTHER.format(adult="1e-9", lr="2.0"),
     "pack.toml: other.adult: must be from 1e-06 to below 1 (got 1e-09)"),
    ("pack.toml", "", "", OTHER.format(adult="0.1", lr="1e-300"),
     "pack.toml: other.findings.0.lr_present: must be from 0.001 to 20 (got 1e-300)"),
])
def test_a_ratio_below_1_in_1000_or_a_prior_below_1_in_a_million_is_refused(
        tmp_path: Path, run_main: Any, file: str, old: str, new: str, append: str, line: str) -> None:
    _refused(run_main, _pack(tmp_path, file, old, new, append), line)


def test_ratios_and_priors_at_their_floors_are_accepted(tmp_path: Path, run_main: Any) -> None:
    """The floors admit every shipped value: an age band of 0.001 (transient neonatal medullary echogenicity) and
    a prior of 3e-05 (HIV-associated calcification, preterm column)."""
    pack = _pack(tmp_path, CAUSE, "adult = 0.001", "adult = 0.000001",
                 CONTRADICTS.format(lr="0.001") + AGE.format(ratio="0.001"))
    status, _out, err = run_main(["rules", "check", str(pack)])
    assert status == 0, err


# --- 3. a blank unit ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["", "  "])
def test_a_blank_unit_is_refused(tmp_path: Path, run_main: Any, unit: str) -> None:
    """`"" = {}` in a lab's units read a case's unit-less value as mg/dL with no warning, and the accepted units were
    listed as "mg/dL, mmol/L, mg/L, , mEq/L"."""
    kb = _kb_copy(tmp_path, "labs.toml", 'units = { "mg/dL" = {}, "mmol/L"',
                  f'units = {{ "mg/dL" = {{}}, "{unit}" = {{}}, "mmol/L"')
    _refused(run_main, kb, f"labs.toml: labs.serum_calcium.units: {unit!r} is not a unit: every unit needs a name")


# --- 4. blank text ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("file", "old", "new", "append", "field"), [
    (CAUSE, "summary = ", 'summary = "   "', "", "summary"),
    (CAUSE, "mechanism = ", 'mechanism = " \\t "', "", "mechanism"),
    (CAUSE, "cant_miss = ", 'cant_miss = true\ncant_miss_reason = "  "', "", "cant_miss_reason"),
    (CAUSE, "", "", '\n[rule_out]\ntest = "  "\nsources = ["Bhat12"]\n', "rule_out.test"),
    (CAUSE, 'note = "the cause', 'note = "  "', "", "findings.5.note"),
    ("clues.toml", "description = ", 'description = "   "', "", "clues.hyperprostaglandinuria.description"),
    ("pack.toml", "description = ", 'description = "  "', "", "description"),
    ("caveats.toml", "", "", CAVEAT.format(message="   ", present='["polyhydramnios"]'), "caveats.0.message"),
])
def test_blank_text_shown_to_users_is_refused(tmp_path: Path, run_main: Any, file: str, old: str, new: str,
                                              append: str, field: str) -> None:
    """"   " was accepted as a caveat's message (a bullet with nothing after it), a rule-out test ("rule out:" and
    nothing), a summary, a mechanism, a note, a clue's description, a can't-miss reason and a pack's description."""
    pack = _pack(tmp_path, file, append=append)
    if old:  # the line that begins with ``old`` replaced by ``new``
        path = pack / file
        lines = path.read_text(encoding="utf-8").splitlines()
        at = next(index for index, line in enumerate(lines) if line.startswith(old))
        path.write_text("\n".join([*lines[:at], new, *lines[at + 1:]]) + "\n", encoding="utf-8")
    status, out, err = run_main(["rules", "check", str(pack)])
    assert status == 2 and out == "", err
    lines = err.splitlines()
    assert lines[0].startswith(f"{file}: {field}: must be text, not blank (got "), err
    assert len(lines) == 2, err  # the one problem, and the count


# --- 5. a repeated id in a list, an empty list -----------------------------------------------------------------


@pytest.mark.parametrize(("file", "append", "line"), [
    ("caveats.toml", CAVEAT.format(message="m", present='["polyhydramnios", "polyhydramnios"]'),
     "caveats.toml: caveats.0.when.present: 'polyhydramnios' is listed twice"),
    (CAUSE, '\n[[age]]\nat_least = 30\nratio = 0.5\ncolumns = ["adult", "adult"]\nsources = ["Bhat12"]\n',
     f"{CAUSE}: age.0.columns: 'adult' is listed twice"),
    (CAUSE, '\n[rule_out]\ntest = "t"\nclue = "polyhydramnios"\nwhen_present = ["hypokalemia", "hypokalemia"]\n'
            'sources = ["Bhat12"]\n', f"{CAUSE}: rule_out.when_present: 'hypokalemia' is listed twice"),
    # an empty when_present proposes the test for no finding: leave the key out
    (CAUSE, '\n[rule_out]\ntest = "t"\nclue = "polyhydramnios"\nwhen_present = []\nsources = ["Bhat12"]\n',
     f"{CAUSE}: rule_out.when_present: must name at least one, or be left out (got [])"),
    ("clues.toml", "age_backgrounds = []\n",
     "clues.toml: clues.hyperprostaglandinuria.age_backgrounds: must name at least one, or be left out (got [])"),
])
def test_a_repeated_or_empty_list_is_refused(tmp_path: Path, run_main: Any, file: str, append: str,
                                             line: str) -> None:
    _refused(run_main, _pack(tmp_path, file, append=append), line)


def test_a_repeated_first_line_finding_is_refused(tmp_path: Path, run_main: Any) -> None:
    kb = _kb_copy(tmp_path, "knowledge_base.toml", "first_line = [", 'first_line = ["hypercalcemia", ')
    status, _out, err = run_main(["rules", "check", str(kb)])
    assert status == 2 and "knowledge_base.toml: interview.first_line: 'hypercalcemia' is listed twice" in err, err


# --- 6. a pack in $NEPHROCALC_RULES and given with --rules ------------------------------------------------------


def test_a_pack_in_the_environment_given_with_rules_too_is_read_once(tmp_path: Path, run_main: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`rules check A` said "ok" and `diff --rules A` said "'A' is given twice" with NEPHROCALC_RULES=A: the
    same folder given both ways is read once, by both."""
    pack = _pack(tmp_path)
    monkeypatch.setenv("NEPHROCALC_RULES", str(pack))
    status, _out, err = run_main(["rules", "check", str(pack)])
    assert status == 0, err
    for given in (str(pack), f"{pack}/"):
        status, out, err = run_main(["diff", "--rules", given, "-p", "medullary", "--hypokalemia", "-f", "json"])
        assert status == 0, err
        assert out.count('"name": "bartter-example"') == 1, out
    # given twice on the command line, it is still a mistake
    status, _out, err = run_main(["diff", "--rules", str(pack), "--rules", str(pack), "-p", "medullary"])
    assert status == 2 and "is given twice on the command line" in err, err


def test_checking_the_extended_folder_says_it_replaces_no_cause(run_main: Any) -> None:
    """`rules check rules/extended` said "ok" and then that rules/extended replaces the built-in causes
    amphotericin_b_nephrotoxicity, bartter_syndrome, ...: its own causes, read as built-in ones."""
    status, out, err = run_main(["rules", "check", str(builtin_rules_dir() / "extended")])
    assert status == 0 and out.startswith("ok: nephrocalc extended knowledge base"), err
    assert "replaces" not in err, err
