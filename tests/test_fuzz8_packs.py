"""Rule-pack messages found wanting by black-box review 8: a problem is reported once, where it lies, and
nothing that follows from it is blamed on another file (rules/README.md: the cross-file pass comes after the
first pass is clean)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import invoke

from nephrocalc.loader import builtin_rules_dir


def _check(*argv: str) -> tuple[int, list[str]]:
    status, out, err = invoke(["rules", "check", *argv])
    return status, (out + err).splitlines()


def _pack(tmp_path: Path, clues: str) -> Path:
    pack = tmp_path / "site"
    (pack / "causes").mkdir(parents=True)
    (pack / "pack.toml").write_text('name = "site pack"\nversion = "1"\n', encoding="utf-8")
    (pack / "clues.toml").write_text(clues, encoding="utf-8")
    return pack


def _kb(tmp_path: Path, name: str = "kb") -> Path:
    kb = tmp_path / name
    shutil.copytree(builtin_rules_dir(), kb, ignore=shutil.ignore_patterns("extended"))
    return kb


def test_a_clue_taking_a_built_in_clues_absent_flag_is_the_only_problem(tmp_path: Path) -> None:
    """A pack clue no_rta would take --no-rta: it is named, and rta (built in) is kept, rather than dropped with
    every rule that names it reported as naming an unknown clue."""
    pack = _pack(tmp_path, '[clues.no_rta]\nlabel = "X"\ndescription = "X thing."\ngroup = "history"\n'
                           'specificity = "high"\n')
    status, lines = _check(str(pack))
    assert status == 2
    assert lines[0] == ("clues.toml: clues.no_rta: 'no_rta' would take over --no-rta, the 'absent' flag of clue "
                        "'rta'; choose another id")
    assert lines[1:] == [f"nephrocalc: 1 problem in {pack}"]


def test_a_broken_sources_file_is_not_followed_by_unknown_source_tags(tmp_path: Path) -> None:
    kb = _kb(tmp_path)
    text = (kb / "sources.toml").read_text(encoding="utf-8")
    (kb / "sources.toml").write_text(text.replace("[UVA-MSK]", "[UVA-MSK", 1), encoding="utf-8")
    status, lines = _check(str(kb))
    assert status == 2 and len(lines) == 2, lines
    assert lines[0].startswith("sources.toml: not valid TOML") and "unknown source tag" not in "\n".join(lines)


def test_a_broken_symbolic_link_is_called_broken_and_named_in_the_pack(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "")
    (pack / "causes" / "gone.toml").symlink_to(tmp_path / "nowhere.toml")
    status, lines = _check(str(pack))
    assert status == 2
    assert lines[0] == ("causes/gone.toml: broken symbolic link (its target does not exist): remove it, or copy "
                        "the file into the pack")
    (pack / "causes" / "gone.toml").unlink()
    outside = tmp_path / "elsewhere.toml"
    outside.write_text("", encoding="utf-8")
    (pack / "causes" / "out.toml").symlink_to(outside)
    status, lines = _check(str(pack))
    assert status == 2 and lines[0].startswith("causes/out.toml: a symbolic link out of the pack folder")


def test_a_problem_of_an_environment_pack_is_laid_at_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A knowledge base of one's own in $NEPHROCALC_RULES with a broken file: `diff` says the variable loads packs
    (the command line names none), and `rules check` of another pack counts the problem at the variable's pack."""
    kb = _kb(tmp_path)
    text = (kb / "sources.toml").read_text(encoding="utf-8")
    (kb / "sources.toml").write_text(text.replace("[UVA-MSK]", "[UVA-MSK", 1), encoding="utf-8")
    monkeypatch.setenv("NEPHROCALC_RULES", str(kb))
    status, out, err = invoke(["diff", "-p", "medullary"])
    assert status == 2 and out == "" and err.count("\n") == 1
    assert f"(rule packs of $NEPHROCALC_RULES are loaded too: {kb})" in err
    pack = _pack(tmp_path, "")
    status, lines = _check(str(pack))
    assert status == 2 and lines[0].startswith("kb/sources.toml: not valid TOML"), lines
    assert lines[-1] == f"nephrocalc: 0 problems in {pack}; 1 in {kb} ($NEPHROCALC_RULES)"
    assert os.environ["NEPHROCALC_RULES"] == str(kb)


def test_a_knowledge_bases_extended_entry_notes_are_set_aside_and_a_file_is_refused(tmp_path: Path) -> None:
    """Black-box review 9: notes and editor backups in a copy's extended/ are set aside, as in any pack, so the copy
    is still the shipped one; an extended that is a file, not a folder, is named."""
    kb = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), kb)
    (kb / "extended" / "NOTES.md").write_text("ours\n", encoding="utf-8")
    shutil.copy(kb / "extended" / "pack.toml", kb / "extended" / "pack.toml~")
    status, lines = _check(str(kb))
    assert status == 0, lines
    shutil.rmtree(kb / "extended")
    status, lines = _check(str(kb))
    assert status == 0, lines  # a knowledge base without extended/ is complete: --extended loads the shipped one
    (kb / "extended").write_text("not a folder\n", encoding="utf-8")
    status, lines = _check(str(kb))
    assert status == 2 and lines[0] == "extended: not a folder: extended/ holds the extended knowledge base (or " \
                                       "leave it out)"


def test_a_pack_whose_only_rule_file_is_a_link_loop_gets_one_message(tmp_path: Path) -> None:
    """Black-box review 9: "cannot be read" and "not a rule pack: it holds none of ..." for the same folder."""
    pack = tmp_path / "loop"
    (pack / "causes").mkdir(parents=True)
    (pack / "clues.toml").symlink_to("clues.toml")
    status, lines = _check(str(pack))
    assert status == 2 and lines[0].startswith("clues.toml: cannot be read") and len(lines) == 2, lines


@pytest.mark.parametrize(("clue_id", "built_in"), [("no_hypercalcaemia", "hypercalcemia"),
                                                   ("no_hypokalaemia", "hypokalemia"), ("no_anaemia", "anemia")])
def test_a_clue_taking_the_british_absent_flag_of_a_built_in_clue_is_refused(tmp_path: Path, clue_id: str,
                                                                              built_in: str) -> None:
    """A pack clue no_hypercalcaemia took --no-hypercalcaemia, the British spelling of --no-hypercalcemia: the same
    command line then stated a finding present instead of hypercalcaemia absent, and `rules check` said ok
    (black-box review 11)."""
    pack = _pack(tmp_path, f'[clues.{clue_id}]\nlabel = "X"\ndescription = "X thing."\ngroup = "history"\n'
                           'specificity = "high"\n')
    status, lines = _check(str(pack))
    assert status == 2
    assert lines[0] == (f"clues.toml: clues.{clue_id}: {clue_id!r} would take over --{clue_id.replace('_', '-')}, "
                        f"the 'absent' flag of clue {built_in!r} spelt in British English; choose another id")


def test_rules_check_notes_a_pack_clue_no_cause_lists(tmp_path: Path) -> None:
    """CONTRACT.md section 1: a clue no loaded cause uses is reported as unused, a warning; `rules check` said only
    "ok", and the author learnt it from a case (black-box review 11)."""
    pack = _pack(tmp_path, '[clues.zz_unused]\nlabel = "Z"\ndescription = "Z thing."\ngroup = "history"\n'
                           'specificity = "high"\n')
    status, out, err = invoke(["rules", "check", str(pack)])
    assert status == 0 and out.startswith("ok: site pack 1"), err
    assert err == (f"nephrocalc: note: {pack / 'clues.toml'}: no cause lists zz_unused: it counts only for a cause "
                   "outside the knowledge base (other)\n")
    status, _, err = invoke(["rules", "check", str(Path(__file__).parents[1] / "docs" / "packs" / "bartter")])
    assert status == 0 and err == "", err
