"""Pack review 44: a pack's cause to consider that the pack itself ranks, a broken link hiding a pack's other
problems, and an edited copy of the knowledge base keeping the shipped name."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import renamed

from nephrocalc.knowledge import KnowledgeBase
from nephrocalc.loader import builtin_rules_dir

PACK = Path(__file__).resolve().parents[1] / "docs" / "packs" / "bartter"

CONSIDER = '''[[caveats]]
id = "c1"
kind = "consider"
cause = "{cause}"
name = "A cause"
message = "Msg."
sources = ["Bhat12"]
[caveats.when]
present = ["polyhydramnios"]
'''


def _pack(tmp_path: Path, name: str = "pack") -> Path:
    pack = tmp_path / name
    shutil.copytree(PACK, pack)
    return pack


def _lines(err: str) -> list[str]:
    return err.strip().splitlines()


# --- 1. a cause to consider that the pack itself ranks --------------------------------------------------------------


def test_a_consider_rule_may_not_name_a_cause_of_its_own_pack(tmp_path: Path, run_main: Any) -> None:
    """A pack's consider rule naming the pack's own cause passed `rules check` and never fired: the cause is loaded
    whenever the rule is, so it is ranked, never considered (as a built-in cause is)."""
    pack = _pack(tmp_path)
    (pack / "caveats.toml").write_text(CONSIDER.format(cause="bartter_syndrome"), encoding="utf-8")
    status, out, err = run_main(["rules", "check", str(pack)])
    assert status == 2 and out == "", err
    assert _lines(err)[0] == ("caveats.toml: caveats.0.cause: 'bartter_syndrome' is a cause of this pack "
                              "(causes/bartter_syndrome.toml), ranked with the others whenever the pack is loaded: "
                              "a cause to consider lies outside it"), err
    # a cause of another pack (here the extended knowledge base's) is considered while that pack is not loaded
    (pack / "caveats.toml").write_text(CONSIDER.format(cause="dent_disease"), encoding="utf-8")
    status, _out, err = run_main(["rules", "check", str(pack)])
    assert status == 0, err


def test_a_consider_rule_may_not_name_a_built_in_cause_the_pack_replaces(tmp_path: Path, run_main: Any) -> None:
    """The pack's own replacement of a built-in cause is ranked in its place: naming it to consider is refused as
    naming the built-in cause is (it passed, the replacement's file not being the knowledge base's)."""
    pack = _pack(tmp_path)
    shutil.copy(builtin_rules_dir() / "causes" / "distal_rta.toml", pack / "causes" / "distal_rta.toml")
    (pack / "caveats.toml").write_text(CONSIDER.format(cause="distal_rta"), encoding="utf-8")
    status, _out, err = run_main(["rules", "check", str(pack)])
    assert status == 2
    assert "caveats.toml: caveats.0.cause: 'distal_rta' is a cause of the knowledge base, ranked with the others: " \
           "a cause to consider lies outside it" in _lines(err), err


# --- 2. a broken link hid the pack's other problems ------------------------------------------------------------------


@pytest.mark.parametrize("link", ["broken", "out"])
def test_a_bad_link_is_listed_with_the_packs_other_problems(tmp_path: Path, run_main: Any, link: str) -> None:
    """With a broken link (or one out of the pack) in causes/, `rules check` said only that: an invalid clues.toml
    and a README in causes/ went unreported until the link was removed."""
    pack = _pack(tmp_path)
    outside = tmp_path / "elsewhere.toml"
    outside.write_text("secret = [1", encoding="utf-8")  # not valid TOML: it is not read, so not echoed either
    os.symlink(tmp_path / "nonexistent" if link == "broken" else outside, pack / "causes" / "linked.toml")
    (pack / "causes" / "README.md").write_text("hi\n", encoding="utf-8")
    (pack / "clues.toml").write_text("x=\n", encoding="utf-8")
    status, out, err = run_main(["rules", "check", str(pack)])
    assert status == 2 and out == ""
    said = ("broken symbolic link (its target does not exist): remove it, or copy the file into the pack"
            if link == "broken" else "a symbolic link out of the pack folder: copy the file or folder into the pack "
            "instead")
    lines = _lines(err)
    assert f"causes/linked.toml: {said}" in lines, err
    assert "causes/README.md: not a cause file: causes/ holds <id>.toml files only" in lines, err
    assert any(line.startswith("clues.toml: not valid TOML") for line in lines), err
    assert lines[-1] == f"nephrocalc: 3 problems in {pack}" and "secret" not in err, err
    # the link is still a rule error for the commands that load the pack
    status, _out, err = run_main(["diff", "--rules", str(pack), "-p", "medullary"])
    assert status == 2 and f"causes/linked.toml: {said}" in err, err


def test_a_link_out_of_a_complete_knowledge_base_is_listed_with_its_other_problems(tmp_path: Path,
                                                                                    run_main: Any) -> None:
    """The same for a complete knowledge base: its link out, and a stray file beside it, are both listed."""
    kb = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), kb, ignore=shutil.ignore_patterns("extended"))
    renamed(kb)
    outside = tmp_path / "imaging.toml"
    shutil.move(kb / "imaging.toml", outside)
    os.symlink(outside, kb / "imaging.toml")
    (kb / "notes.toml").write_text("", encoding="utf-8")
    status, _out, err = run_main(["rules", "check", str(kb)])
    lines = _lines(err)
    assert status == 2 and "imaging.toml: a symbolic link out of the pack folder: copy the file or folder into the " \
                           "pack instead" in lines, err
    assert any(line.startswith("notes.toml: not a knowledge base file") for line in lines), err


# --- 3. an edited copy of the knowledge base kept the shipped name ---------------------------------------------------


def _result(run_main: Any, rules: Path) -> dict[str, Any]:
    status, out, err = run_main(["diff", "--rules", str(rules), "-p", "medullary", "--age", "40", "-f", "json"])
    assert status == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_an_edited_copy_of_the_knowledge_base_may_not_keep_the_shipped_name(tmp_path: Path, run_main: Any,
                                                                            kb: KnowledgeBase) -> None:
    """A copy of rules/ with a unit factor changed (4.008 -> 40.08; now any edit) went by "nephrocalc built-in
    knowledge base" in its results and passed `rules check`, where an edited copy of the extended pack is refused:
    refused the same way until renamed. A copy as shipped (comments, notes and its extended/ folder aside) keeps the
    name."""
    name = f"{kb.name} {kb.version}"
    assert name.startswith("nephrocalc built-in knowledge base ")
    copy = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), copy, ignore=shutil.ignore_patterns("extended"))
    # unedited, or with only a comment and a note added: the shipped knowledge base, under its name
    with (copy / "labs.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n# reviewed locally\n")
    (copy / "NOTES.md").write_text("local notes\n", encoding="utf-8")
    assert run_main(["rules", "check", str(copy)])[0] == 0
    assert _result(run_main, copy)["knowledge_base"] == name
    labs = copy / "labs.toml"
    text = labs.read_text(encoding="utf-8")
    # (a factor 10 off is now refused on its own, against the calcium's molar mass: an edit the loader cannot see
    # wrong, the calcium's warning bounds, is refused for the name alone)
    assert text.count("extreme = [5.0, 16.0]") >= 1  # the total calcium's (and the corrected calcium's)
    labs.write_text(text.replace("extreme = [5.0, 16.0]", "extreme = [5.0, 15.0]", 1), encoding="utf-8")
    message = ("knowledge_base.toml: name: names beginning with 'nephrocalc' are kept for the knowledge bases that "
               "ship with it, as shipped (this copy differs in labs.toml, and an edited copy is a knowledge base of "
               "one's own): name it after its site or purpose")
    status, out, err = run_main(["rules", "check", str(copy)])
    assert status == 2 and out == "" and _lines(err) == [message, f"nephrocalc: 1 problem in {copy}"], err
    status, _out, err = run_main(["diff", "--rules", str(copy), "-p", "medullary"])
    assert status == 2 and message in err, err
    renamed(copy)
    assert run_main(["rules", "check", str(copy)])[0] == 0
    assert _result(run_main, copy)["knowledge_base"].startswith("site knowledge base ")
