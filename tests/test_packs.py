"""Rule packs (issue 6): loading on top of the built-in rules, reporting, and `rules check`."""

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import renamed

from nephrocalc.errors import RuleError
from nephrocalc.loader import load_knowledge_base

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "packs" / "bartter"
BARTTER_CASE = ["--pattern", "medullary", "--age", "0", "--hyperprostaglandinuria", "--preterm-infant", "--hypokalemia",
                "--metabolic-alkalosis", "--no-hypercalcemia"]


def test_example_pack_loads_and_adds_a_cause_and_a_clue() -> None:
    kb = load_knowledge_base(packs=[EXAMPLE], use_cache=False)
    assert "bartter_syndrome" in kb.causes and "hyperprostaglandinuria" in kb.clues
    assert [p.name for p in kb.packs] == ["nephrocalc built-in knowledge base", "bartter-example"]
    assert len(kb.causes) == 13


def test_pack_clue_becomes_a_flag_and_the_pack_is_reported(run_main: Any) -> None:
    status, out, err = run_main(["diff", "--rules", str(EXAMPLE), *BARTTER_CASE, "--format", "json"])
    assert status == 0, err
    result = json.loads(out)
    assert result["differential"][0]["cause"] == "bartter_syndrome"
    assert [r["name"] for r in result["rules"]] == ["nephrocalc built-in knowledge base", "bartter-example"]
    assert result["rules"][1]["path"] == str(EXAMPLE)


def test_without_the_pack_its_clue_is_an_unknown_option(run_main: Any) -> None:
    status, _, err = run_main(["diff", *BARTTER_CASE])
    assert status == 2 and "--hyperprostaglandinuria" in err and len(err.strip().splitlines()) == 1


def test_pack_from_the_environment(run_main: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEPHROCALC_RULES", str(EXAMPLE))
    status, out, _ = run_main(["causes", "--format", "json"])
    assert status == 0
    assert "bartter_syndrome" in {c["id"] for c in json.loads(out)["causes"]}


def test_batch_and_ask_take_packs(run_main: Any) -> None:
    line = json.dumps({"id": "b1", "pattern": "medullary", "age_years": 0,
                       "clues": {"hyperprostaglandinuria": True, "hypokalemia": True, "metabolic_alkalosis": True}})
    status, out, err = run_main(["batch", "--rules", str(EXAMPLE)], stdin=line + "\n")
    assert status == 0, err
    assert json.loads(out)["differential"][0]["cause"] == "bartter_syndrome"
    status, out, err = run_main(["ask", "--rules", str(EXAMPLE), *BARTTER_CASE, "--format", "json"], stdin="")
    assert status == 0, err
    assert json.loads(out)["case"]["clues"]["hyperprostaglandinuria"] is True


def test_a_pack_cause_replaces_the_built_in_one(tmp_path: Path) -> None:
    pack = tmp_path / "local"
    (pack / "causes").mkdir(parents=True)
    (pack / "pack.toml").write_text('name = "local"\nversion = "1"\n', encoding="utf-8")
    builtin = Path(load_knowledge_base().root) / "causes" / "alport_syndrome.toml"
    text = builtin.read_text(encoding="utf-8")
    text = text.replace('short_name = "Alport syndrome"', 'short_name = "Alport (local)"')
    (pack / "causes" / "alport_syndrome.toml").write_text(text, encoding="utf-8")
    kb = load_knowledge_base(packs=[pack], use_cache=False)
    assert kb.causes["alport_syndrome"].short_name == "Alport (local)" and len(kb.causes) == 12


def test_rules_check_accepts_the_example(run_main: Any) -> None:
    status, out, err = run_main(["rules", "check", str(EXAMPLE)])
    assert status == 0, err
    assert out.startswith("ok: bartter-example 0.1.0")


def _broken(tmp_path: Path, edit: Any) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(EXAMPLE, pack)
    edit(pack)
    return pack


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _add_clue(pack: Path, clue_id: str, extra: str = "") -> None:
    """Append a minimal clue (and ``extra`` lines) to the pack's clues.toml."""
    path = pack / "clues.toml"
    path.write_text(path.read_text(encoding="utf-8") + f'\n[clues.{clue_id}]\nlabel = "x"\ndescription = "x"\n'
                    f'group = "history"\nspecificity = "low"\n{extra}', encoding="utf-8")


CAUSE = "causes/bartter_syndrome.toml"
BROKEN: dict[str, tuple[Any, str, str]] = {
    "unknown key": (lambda p: _replace(p / CAUSE, 'frequency = "usually"', 'frequency = "usually"\nweight = 3'),
                    CAUSE, "findings.0.weight: unknown key"),
    "unknown clue": (lambda p: _replace(p / CAUSE, 'clue = "polyhydramnios"', 'clue = "polyhydramnios_typo"'),
                     CAUSE, "unknown clue 'polyhydramnios_typo'"),
    "level outside the scale": (lambda p: _replace(p / CAUSE, 'frequency = "usually"', 'frequency = "mostly"'),
                                CAUSE, "findings.0.frequency"),
    "duplicate clue id": (lambda p: _add_clue(p, "rta"), "clues.toml", "clues.rta: duplicate clue id"),
    "cause with no sources": (lambda p: _replace(p / CAUSE, 'sources = ["Bhat12", "PR-Bartter"]\n\n[prior]',
                                                 'sources = []\n\n[prior]'),
                              CAUSE, "sources: needs at least one source"),
    "non-positive likelihood ratio": (lambda p: _replace(p / CAUSE, 'frequency = "always"',
                                                         'lr_present = 0.0\nlr_absent = 0.5'),
                                      CAUSE, "lr_present: must be from 0.001 to 1000 (got 0)"),
    "prior that is not a number": (lambda p: _replace(p / CAUSE, "adult = 0.001", 'adult = "rare"'),
                                   CAUSE, "prior.adult: Input should be a valid number"),
    "unknown source tag": (lambda p: _replace(p / CAUSE, 'sources = ["Bhat12"]', 'sources = ["Nobody99"]'),
                           CAUSE, "unknown source tag 'Nobody99'"),
    "not TOML": (lambda p: (p / CAUSE).write_text("name = [", encoding="utf-8"), CAUSE, "not valid TOML"),
    # QA review: a ratio of 1e300 gave a probability of 1.000 and a 40-digit ratio in --explain
    "likelihood ratio out of range": (lambda p: _replace(p / CAUSE, 'frequency = "always"',
                                                         'lr_present = 1e300\nlr_absent = 0.5'),
                                      CAUSE, "lr_present: must be from 0.001 to 1000 (got 1e+300)"),
    "likelihood ratios on one side of 1": (lambda p: _replace(p / CAUSE, 'frequency = "always"',
                                                              'lr_present = 10.0\nlr_absent = 50.0'),
                                           CAUSE, "cannot both be above 1 or both below 1"),
    "the reserved cause id other": (lambda p: (p / CAUSE).rename(p / "causes" / "other.toml"),
                                    "causes/other.toml", "'other' is reserved"),
    "a British spelling of a built-in clue": (lambda p: _add_clue(p, "hypokalaemia"), "clues.toml",
                                              "clue 'hypokalemia' is spelt in British English"),
    "an HPO term of a built-in clue": (lambda p: _add_clue(p, "low_potassium", 'hpo = ["HP:0002900"]\n'),
                                       "clues.toml", "HP:0002900 is already a term of clue 'hypokalemia'"),
}


@pytest.mark.parametrize("problem", list(BROKEN))
def test_rules_check_names_file_and_field(problem: str, tmp_path: Path, run_main: Any) -> None:
    edit, file, expected = BROKEN[problem]
    pack = _broken(tmp_path, edit)
    status, out, err = run_main(["rules", "check", str(pack)])
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert any(line.startswith(f"{file}: ") and expected in line for line in lines), lines
    assert "Traceback" not in err


def test_a_broken_pack_fails_diff_with_one_line(tmp_path: Path, run_main: Any) -> None:
    pack = _broken(tmp_path, BROKEN["unknown clue"][0])
    status, _, err = run_main(["diff", "--rules", str(pack), "--pattern", "medullary"])
    assert status == 2 and len(err.strip().splitlines()) == 1 and "polyhydramnios_typo" in err


def test_rules_check_needs_a_pack(tmp_path: Path, run_main: Any) -> None:
    status, _, err = run_main(["rules", "check", str(tmp_path)])
    assert status == 2 and "pack.toml" in err


def test_a_missing_pack_directory_is_an_error() -> None:
    with pytest.raises(RuleError):
        load_knowledge_base(packs=[Path("/nonexistent/pack")])


def test_a_rules_path_that_is_not_a_folder_names_the_option(run_main: Any, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    status, _, err = run_main(["diff", "--pattern", "medullary", "--rules", str(tmp_path / "missing")])
    assert status == 2 and err.startswith("nephrocalc: error: --rules:") and "does not exist" in err
    monkeypatch.setenv("NEPHROCALC_RULES", str(tmp_path / "missing"))
    status, _, err = run_main(["causes"])
    assert status == 2 and "NEPHROCALC_RULES:" in err


def test_two_packs_defining_one_cause_is_a_problem_naming_both(tmp_path: Path, run_main: Any) -> None:
    """A pack's cause replaces a built-in one of the same id, but a second pack defining it too silently replaced
    the first (QA review): it is refused, naming both packs."""
    first, second = tmp_path / "one", tmp_path / "two"
    shutil.copytree(EXAMPLE, first)
    shutil.copytree(EXAMPLE, second)
    (second / "clues.toml").unlink()  # the clue is the first pack's; the cause file is in both
    status, _, err = run_main(["diff", "--rules", str(first), "--rules", str(second), *BARTTER_CASE])
    assert status == 2 and "bartter_syndrome" in err and str(first) in err, err
    assert "Traceback" not in err


def test_a_drug_already_meaning_another_exposure_is_a_problem_naming_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "pack.toml").write_text('name = "t"\nversion = "1"\n')
    (tmp_path / "clues.toml").write_text(
        '[clues.diuretic_use]\nlabel = "Diuretic"\ndescription = "Any diuretic."\ngroup = "exposures"\n'
        'specificity = "low"\nagents = ["furosemide", "spironolactone"]\nsnomed = ["66931009"]\n')
    with pytest.raises(RuleError) as caught:
        load_knowledge_base(packs=[tmp_path], use_cache=False)
    assert any("clues.toml: clues.diuretic_use.agents" in p and "loop_diuretic" in p for p in caught.value.problems)


def test_a_pack_clue_can_bring_its_own_codes_and_agents(tmp_path: Path) -> None:
    (tmp_path / "pack.toml").write_text('name = "t"\nversion = "1"\n')
    (tmp_path / "clues.toml").write_text(
        '[clues.potassium_sparing]\nlabel = "Potassium-sparing diuretic"\ndescription = "Amiloride."\n'
        'group = "exposures"\nspecificity = "low"\nagents = ["amiloride"]\nsnomed = ["387503008"]\n')
    kb = load_knowledge_base(packs=[tmp_path], use_cache=False)
    assert kb.agent_clues["amiloride"] == "potassium_sparing" and kb.snomed_clues["387503008"] == ("potassium_sparing",)


def test_a_pack_needs_no_pack_toml_and_is_named_after_its_folder(tmp_path: Path, run_main: Any) -> None:
    pack = tmp_path / "ward7"
    shutil.copytree(EXAMPLE, pack)
    (pack / "pack.toml").unlink()
    status, out, err = run_main(["rules", "check", str(pack)])
    assert status == 0, err
    assert out.startswith("ok: ward7 unversioned")
    status, out, err = run_main(["diff", "--rules", str(pack), "-f", "json", *BARTTER_CASE])
    assert status == 0, err
    result = json.loads(out)
    assert result["differential"][0]["cause"] == "bartter_syndrome"
    assert result["rules"][-1] == {"name": "ward7", "version": "unversioned", "path": str(pack.resolve())}


def test_a_stray_file_in_a_pack_is_named_not_ignored(tmp_path: Path, run_main: Any) -> None:
    pack = _broken(tmp_path, lambda p: shutil.copy(p / CAUSE, p / "bartter_syndrome.toml"))
    status, out, err = run_main(["rules", "check", str(pack)])
    assert status == 2 and out == ""
    assert err.startswith("bartter_syndrome.toml: not a rule pack file") and "causes/<id>.toml" in err


def test_a_folder_with_no_rule_files_is_not_a_pack(tmp_path: Path, run_main: Any) -> None:
    status, _, err = run_main(["rules", "check", str(tmp_path)])
    assert status == 2 and "not a rule pack" in err and "pack.toml" in err
    status, _, err = run_main(["diff", "--rules", str(tmp_path), "--pattern", "medullary"])
    assert status == 2 and len(err.strip().splitlines()) == 1 and "not a rule pack" in err


def test_a_complete_knowledge_base_replaces_the_built_in_one(tmp_path: Path, run_main: Any) -> None:
    """An edited copy of rules/ (a folder with a knowledge_base.toml) is checked and used as the knowledge
    base, not laid over the built-in one; a broken copy names file and field."""
    copy = tmp_path / "rules"
    shutil.copytree(Path(load_knowledge_base().root), copy, ignore=shutil.ignore_patterns("extended"))
    status, out, err = run_main(["rules", "check", str(copy)])
    assert status == 0, err
    assert "a complete knowledge base of 12 causes" in out
    cause = copy / "causes" / "alport_syndrome.toml"
    _replace(cause, 'short_name = "Alport syndrome"', 'short_name = "Alport (local)"')
    renamed(copy)  # an edited copy goes by a name of its own
    status, out, err = run_main(["diff", "--rules", str(copy), "-f", "json", "--pattern", "cortical"])
    assert status == 0, err
    result = json.loads(out)
    assert result["rules"] == [{"name": result["knowledge_base"].rsplit(" ", 1)[0],
                                "version": result["knowledge_base"].rsplit(" ", 1)[1], "path": str(copy.resolve())}]
    assert len(result["differential"]) == 13
    status, _, err = run_main(["diff", "--rules", str(copy), "--extended", "-f", "json", "--pattern", "cortical"])
    assert status == 0, err
    _replace(cause, 'frequency = "usually"', 'frequency = "mostly"')
    status, out, err = run_main(["rules", "check", str(copy)])
    assert status == 2 and out == ""
    assert any(line.startswith("causes/alport_syndrome.toml: ") and ".frequency" in line
               for line in err.splitlines()), err
    status, _, err = run_main(["diff", "--rules", str(copy), "--rules", str(copy), "--pattern", "medullary"])
    assert status == 2 and "is given twice" in err and str(copy) in err, "the same folder twice is named"
    other = tmp_path / "rules2"
    shutil.copytree(Path(load_knowledge_base().root), other, ignore=shutil.ignore_patterns("extended"))
    status, _, err = run_main(["diff", "--rules", str(copy), "--rules", str(other), "--pattern", "medullary"])
    assert status == 2 and "only one may replace the built-in rules" in err


def _break_one_way(kind: str, pack: Path) -> None:
    """Break a copy of the example pack in one way."""
    import os

    if kind == "causes_a_file":
        shutil.rmtree(pack / "causes")
        (pack / "causes").write_text("not a folder\n", encoding="utf-8")
    elif kind == "cause_upper_case":
        (pack / "causes" / "bartter_syndrome.toml").rename(pack / "causes" / "bartter_syndrome.TOML")
    elif kind == "notes_and_subfolder":
        (pack / "clues.yaml").write_text("clues: {}\n", encoding="utf-8")
        (pack / "old").mkdir()
    elif kind == "dangling_link":
        (pack / "sources.toml").symlink_to(pack / "nowhere.toml")
    elif kind == "link_loop":
        (pack / "clues.toml").unlink()
        (pack / "clues.toml").symlink_to(pack / "clues.toml")
    elif kind == "named_pipe":
        os.mkfifo(pack / "sources.toml")


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="POSIX file types")
@pytest.mark.parametrize(("kind", "named"), [
    ("causes_a_file", "causes: not a folder"),
    ("cause_upper_case", "causes/bartter_syndrome.TOML: not a cause file"),
    ("notes_and_subfolder", "clues.yaml: not read: a rule file must be named clues.toml"),
    ("dangling_link", "sources.toml: broken symbolic link"),
    ("link_loop", "clues.toml: cannot be read"),
    ("named_pipe", "sources.toml: not a regular file"),
])
def test_a_pack_folder_whose_files_cannot_all_be_read_is_reported(kind: str, named: str, tmp_path: Path,
                                                                   run_main: Any) -> None:
    """Nothing in a pack folder is silently dropped, and a named pipe is refused rather than waited on."""
    pack = tmp_path / "pack"
    shutil.copytree(EXAMPLE, pack)
    _break_one_way(kind, pack)
    status, _, err = run_main(["rules", "check", str(pack)])
    assert status == 2 and named in err, err
    status, _, err = run_main(["diff", "--rules", str(pack), "-p", "medullary"])
    assert status == 2 and len(err.strip().splitlines()) == 1, err


def test_documentation_leftovers_hidden_files_and_a_byte_order_mark_are_fine(tmp_path: Path, run_main: Any) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(EXAMPLE, pack)
    for name in ("README.md", "CHANGELOG", "notes.txt", "clues.toml~", "LICENSE"):
        (pack / name).write_text("# our pack\n", encoding="utf-8")
    (pack / ".git").mkdir()
    clues = pack / "clues.toml"
    clues.write_bytes(b"\xef\xbb\xbf" + clues.read_bytes())  # as Windows editors save UTF-8
    status, out, err = run_main(["rules", "check", str(pack)])
    assert status == 0 and out.startswith("ok:"), err


def test_a_stray_file_added_to_a_cached_pack_is_still_reported(tmp_path: Path, run_main: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Every entry of a pack folder counts in the cache key: a stray file added after the pack was first
    used (and its knowledge base cached) is reported at once, not when the cache is next rebuilt."""
    monkeypatch.setenv("NEPHROCALC_CACHE_DIR", str(tmp_path / "cache"))
    pack = tmp_path / "pack"
    shutil.copytree(EXAMPLE, pack)
    assert run_main(["diff", "--rules", str(pack), "-p", "medullary"])[0] == 0
    (pack / "causes" / "old_cause.json").write_text("{}", encoding="utf-8")
    status, _, err = run_main(["diff", "--rules", str(pack), "-p", "medullary"])
    assert status == 2 and "causes/old_cause.json: not a cause file" in err, err


def test_a_complete_knowledge_base_reports_what_is_not_a_rule_file(tmp_path: Path, run_main: Any) -> None:
    from nephrocalc.loader import builtin_rules_dir

    copy = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), copy)
    assert run_main(["rules", "check", str(copy)])[0] == 0
    (copy / "extra.toml").write_text("", encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(copy)])
    assert status == 2 and "extra.toml: not a knowledge base file" in err, err


@pytest.mark.parametrize(("written", "misspelt", "field"), [
    ("absent_unless = { thiazide = true }", "absent_unless = { thiazid = true }",
     "labs.urine_calcium_24h.limits."),
    ("requires_stated = { ckd = true }", "requires_stated = { ckdd = true }", "labs.egfr.limits."),
])
def test_rules_check_names_file_and_field_of_a_lab_limit_condition(written: str, misspelt: str, field: str,
                                                                   tmp_path: Path, run_main: Any) -> None:
    """A lab limit's condition on a clue (absent_unless, requires_stated) naming an unknown clue is refused
    with file and field."""
    from nephrocalc.loader import builtin_rules_dir

    copy = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), copy)
    labs = copy / "labs.toml"
    text = labs.read_text(encoding="utf-8")
    assert written in text
    labs.write_text(text.replace(written, misspelt, 1), encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(copy)])
    key, clue = misspelt.split(" = { ")[0], misspelt.split(" = { ")[1].split(" = ")[0]
    assert status == 2 and f"labs.toml: {field}" in err and f".{key}: unknown clue '{clue}'" in err, err


def _check_edited_rules(tmp_path: Path, run_main: Any, file_name: str, written: str, edited: str
                       ) -> tuple[int, str]:
    """`rules check` of a copy of the built-in rules with one passage of one file replaced."""
    from nephrocalc.loader import builtin_rules_dir

    copy = tmp_path / "rules"
    if not copy.exists():
        shutil.copytree(builtin_rules_dir(), copy)
    path = copy / file_name
    text = path.read_text(encoding="utf-8")
    assert written in text
    path.write_text(text.replace(written, edited, 1), encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(copy)])
    path.write_text(text, encoding="utf-8")
    return status, err


_IMPLIES = ('implies = ["ckd", "advanced_ckd"]  # ckd is chronic kidney disease, dialysis or kidney transplant '
            '(CONTRACT.md)\nhpo = ["HP:0003774"]')


@pytest.mark.parametrize(("edited", "message"), [
    (_IMPLIES.replace('["ckd", ', '["ckdd", '), "clues.kidney_failure.implies: unknown clue 'ckdd'"),
    (_IMPLIES.replace('["ckd", ', '["kidney_failure", '), "clues.kidney_failure.implies: a clue cannot imply itself"),
    (_IMPLIES.replace('["ckd", ', '["ckd", "ckd", '), "clues.kidney_failure.implies: lists a clue twice"),
])
def test_rules_check_names_file_and_field_of_a_bad_implication(edited: str, message: str, tmp_path: Path,
                                                             run_main: Any) -> None:
    """A clue's implies naming an unknown clue, itself or a clue twice is refused with file and field; so is a
    cycle (kidney failure implies ckd, ckd implies kidney failure)."""
    status, err = _check_edited_rules(tmp_path, run_main, "clues.toml", _IMPLIES, edited)
    assert status == 2 and f"clues.toml: {message}" in err, err
    status, err = _check_edited_rules(tmp_path, run_main, "clues.toml", "[clues.ckd]\n",
                                      '[clues.ckd]\nimplies = ["kidney_failure"]\n')
    assert status == 2 and "implies itself through other clues (a cycle)" in err, err


_SET_ASIDE = 'clue = "high_pth"\nwhen = { hypocalcemia = true }'


@pytest.mark.parametrize(("edited", "message"), [
    ('clue = "high_pt"\nwhen = { hypocalcemia = true }', "set_aside.0.clue: unknown clue 'high_pt'"),
    ('clue = "high_pth"\nwhen = { hypocalcaemia = true }', "set_aside.0.when: unknown clue 'hypocalcaemia'"),
    ('clue = "high_pth"\nwhen = { high_pth = true }', "set_aside.0.when: cannot name the clue it sets aside"),
])
def test_rules_check_names_file_and_field_of_a_bad_set_aside(edited: str, message: str, tmp_path: Path,
                                                            run_main: Any) -> None:
    """[[set_aside]] naming an unknown clue, or setting a clue aside on itself, is refused with file and field."""
    status, err = _check_edited_rules(tmp_path, run_main, "knowledge_base.toml", _SET_ASIDE, edited)
    assert status == 2 and f"knowledge_base.toml: {message}" in err, err


def test_rules_check_names_file_and_field_of_an_open_world_finding(tmp_path: Path, run_main: Any) -> None:
    """[[other.findings]] (explicit likelihood ratios for `other`): an unknown clue, a repeated one, a ratio
    out of range or an unknown source is named with its file and field, in knowledge_base.toml and in the
    pack.toml of a pack that replaces [other]."""
    from nephrocalc.loader import builtin_rules_dir

    copy = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), copy)
    kb_toml = copy / "knowledge_base.toml"
    text = kb_toml.read_text(encoding="utf-8")
    assert 'clue = "high_calcitriol"\nlr_present = 2.0' in text
    for broken, said in (('clue = "high_calcitriol"\nlr_present = 2.0', "other.findings.2.clue: unknown clue"),
                         ('clue = "hypercalcemia"\nlr_present = 2.0', "other.findings.2.clue: 'hypercalcemia' is "
                          "listed twice without an age range"),
                         ('clue = "hypercalcemia"\nage_at_least = 10.0\nlr_present = 2.0',
                          "other.findings.2.clue: 'hypercalcemia' is listed twice for overlapping ages"),
                         ('clue = "high_calcitriol"\nage_at_least = 10.0\nage_below = 5.0\nlr_present = 2.0',
                          "other.findings.2: age_below must be above age_at_least"),
                         ('clue = "high_calcitriol"\nlr_present = 0.0', "other.findings.2.lr_present"),
                         ('clue = "high_calcitriol"\nlr_present = inf', "other.findings.2.lr_present")):
        kb_toml.write_text(text.replace('clue = "high_calcitriol"\nlr_present = 2.0',
                                        broken.replace("high_calcitriol", "high_calcitrol") if "unknown" in said
                                        else broken, 1), encoding="utf-8")
        status, _, err = run_main(["rules", "check", str(copy)])
        assert status == 2 and "knowledge_base.toml: " in err and said in err, (broken, err)
    pack = tmp_path / "pack"
    shutil.copytree(builtin_rules_dir() / "extended", pack)
    _rename_copy(pack)  # a copy may not keep the shipped name
    pack_toml = pack / "pack.toml"
    pack_toml.write_text(pack_toml.read_text(encoding="utf-8") + '\n[[other.findings]]\nclue = "hypercalcemia"\n'
                         'lr_present = 3.0\nsources = ["NoSuchSource"]\nnote = "test"\n', encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(pack)])
    appended = pack_toml.read_text(encoding="utf-8").count("[[other.findings]]") - 1  # the entry added last
    assert status == 2 and f"pack.toml: other.findings.{appended}.sources" in err, err


def test_an_open_world_finding_counts_for_other_alone_and_is_shown(run_main: Any) -> None:
    """Hypercalcaemia counts x5 for `other` in an adult and x2 in a child (knowledge_base.toml [[other.findings]],
    an age-bounded entry replacing the unbounded one) and for no cause that does not list it; with --extended
    the pack's [other] replaces it and the open world is flat for it again."""
    status, out, err = run_main(["diff", "--pattern", "medullary", "--age", "60", "--format", "json"])
    assert status == 0, err
    before = {e["cause"]: e["score"] for e in json.loads(out)["differential"]}
    status, out, err = run_main(["diff", "--pattern", "medullary", "--age", "60", "--hypercalcemia",
                                 "--format", "json"])
    assert status == 0, err
    other = next(e for e in json.loads(out)["differential"] if e["cause"] == "other")
    assert other["score"] == pytest.approx(before["other"] + math.log(5.0), abs=0.002)
    assert [e["weight"] for e in other["supporting"] if e["clue"] == "hypercalcemia"] == [1.61]
    status, out, err = run_main(["diff", "--pattern", "medullary", "--age", "6", "--hypercalcemia", "--format", "json"])
    assert status == 0, err
    other = next(e for e in json.loads(out)["differential"] if e["cause"] == "other")
    assert [e["weight"] for e in other["supporting"] if e["clue"] == "hypercalcemia"] == [0.69]
    status, out, err = run_main(["diff", "--extended", "--pattern", "medullary", "--age", "60", "--hypercalcemia",
                                 "--format", "json"])
    assert status == 0, err
    other = next(e for e in json.loads(out)["differential"] if e["cause"] == "other")
    assert not [e for e in other["supporting"] if e["clue"] == "hypercalcemia"]


def test_rules_check_names_an_open_world_finding_given_another_clue(tmp_path: Path, run_main: Any) -> None:
    """[[other.findings]] with ``given`` (counts only with another clue present): an unknown given clue, a
    clue given itself, a given entry with an age range and the same pair twice are each named with file and
    field."""
    entry = 'clue = "immobilization"\ngiven = "hypercalcemia"\nlr_present = 10.0'
    for broken, said in ((entry.replace('given = "hypercalcemia"', 'given = "hypercalcaemia_typo"'),
                          "given: unknown clue 'hypercalcaemia_typo'"),
                         (entry.replace('given = "hypercalcemia"', 'given = "immobilization"'),
                          "a clue cannot be its own given clue"),
                         (entry.replace('given = "hypercalcemia"', 'given = "hypercalcemia"\nage_below = 18.0'),
                          "an entry with given cannot also have an age range"),
                         (entry + '\nsources = ["Tebben16"]\nnote = "again"\n\n[[other.findings]]\n' + entry,
                          "'immobilization' is listed twice with given 'hypercalcemia'")):
        status, err = _check_edited_rules(tmp_path, run_main, "knowledge_base.toml", entry, broken)
        assert status == 2 and "knowledge_base.toml: other.findings." in err and said in err, (broken, err)


def test_an_open_world_finding_given_another_clue_counts_only_with_it(run_main: Any) -> None:
    """Immobilisation counts x10 for `other` with hypercalcaemia (immobilisation hypercalcaemia lies outside
    the twelve) and nothing alone (it is the hypercalciuria of the idiopathic form); no cause but `other`
    moves, and the term is shown as the open world's own evidence (``counts_with``), in the table too."""
    def scores(*flags: str) -> dict[str, float]:
        status, out, err = run_main(["diff", "--pattern", "medullary", "--age", "20", *flags, "--format", "json"])
        assert status == 0, err
        return {e["cause"]: e["score"] for e in json.loads(out)["differential"]}

    assert scores("--immobilization")["other"] == pytest.approx(scores()["other"], abs=0.002)
    with_calcium, without = scores("--hypercalcemia", "--immobilization"), scores("--hypercalcemia")
    assert with_calcium["other"] == pytest.approx(without["other"] + math.log(10.0), abs=0.002)
    status, out, err = run_main(["diff", "--pattern", "medullary", "--age", "20", "--hypercalcemia",
                                 "--immobilization", "--format", "json"])
    other = next(e for e in json.loads(out)["differential"] if e["cause"] == "other")
    assert [(e["weight"], e["counts_with"]) for e in other["supporting"] if e["clue"] == "immobilization"] == \
        [(2.3, "hypercalcemia")]
    status, out, err = run_main(["diff", "--pattern", "medullary", "--age", "20", "--hypercalcemia",
                                 "--immobilization", "--low-pth", "--no-sarcoidosis", "--no-vitamin-d-therapy"])
    assert status == 0, err
    first = next(line for line in out.splitlines() if line.lstrip().startswith("1 "))
    assert "Other cause" in first and "Immobilisation with hypercalcaemia ×10" in first, out


@pytest.mark.parametrize(("file_name", "written", "edited", "said"), [
    ("knowledge_base.toml", 'unless = ["ckd"]', 'unless = ["ckdd"]', "unless: unknown clue 'ckdd'"),
    ("knowledge_base.toml", 'clue = "polyhydramnios"\n', 'clue = "polyhydramnios"\nunless = ["ckd"]\n',
     "unless is for an entry with given"),
    ("causes/medullary_sponge_kidney.toml", 'unless = "tubular_ectasia"', 'unless = "hearing_loss"',
     "certainty.unless: 'hearing_loss' is not a finding of this cause"),
    ("labs.toml", 'decides_over = ["serum_calcium", "corrected_calcium"]',
     'decides_over = ["serum_calcum", "corrected_calcium"]',
     "labs.ionized_calcium.decides_over.0: 'serum_calcum' is not another lab"),
    ("labs.toml", 'decides_over = ["serum_calcium", "corrected_calcium"]',
     'decides_over = ["ionized_calcium", "corrected_calcium"]',
     "labs.ionized_calcium.decides_over.0: 'ionized_calcium' is not another lab"),
    ("labs.toml", 'decides_over = ["serum_calcium", "corrected_calcium"]',
     'decides_over = ["serum_calcium", "serum_calcium"]',
     "decides_over.1: 'serum_calcium' is listed twice"),
    ("labs.toml", 'decides_over = ["serum_calcium", "corrected_calcium"]',
     'decides_over = ["pth", "corrected_calcium"]',
     "decides_over.0: 'pth' reads no clue that 'ionized_calcium' reads"),
    ("labs.toml", '[labs.serum_calcium]\nlabel = "Serum calcium"',
     '[labs.serum_calcium]\nlabel = "Serum calcium"\ndecides_over = ["ionized_calcium"]',
     "only one of them may decide"),
    ("clues.toml", 'defining_note = "suggests sarcoidosis but also comes with lymphoma, tuberculosis and fungal '
     'infection: sarcoidosis is diagnosed once these are excluded [Crouser20]"', 'defining_note = ""',
     "needs a defining_note"),
])
def test_rules_check_names_a_bad_new_rule_construct(file_name: str, written: str, edited: str, said: str,
                                                     tmp_path: Path, run_main: Any) -> None:
    """Each rule construct this knowledge base gained is checked with file and field: an open-world entry's
    unknown or given-less ``unless``; a [certainty] waiting for a clue its cause does not list; a lab's
    decides_over naming an unknown lab, itself, a lab twice, a lab that reads no common clue, or closing a cycle;
    defining = false without its note (fuzz review)."""
    status, err = _check_edited_rules(tmp_path, run_main, file_name, written, edited)
    assert status == 2 and f"{file_name.rsplit('/', 1)[-1]}: " in err and said in err, err


_CONDITIONAL = 'clue = "high_pth"\ngiven = "hypercalcemia"\nlr = 0.1'


@pytest.mark.parametrize(("edited", "message"), [
    (_CONDITIONAL.replace('given = "hypercalcemia"', 'given = "hypercalcaemia"'),
     "contradicts.0.given: unknown clue 'hypercalcaemia'"),
    (_CONDITIONAL.replace('given = "hypercalcemia"', 'given = "high_pth"'), "a clue cannot be its own given clue"),
    (_CONDITIONAL.replace("lr = 0.1", "lr = 1.5"), "contradicts.0.lr"),
    (_CONDITIONAL + '\nsources = ["Tebben16"]\nnote = "again"\n\n[[contradicts]]\n' + _CONDITIONAL,
     "'high_pth' with 'hypercalcemia' is listed twice"),
])
def test_rules_check_names_file_and_field_of_a_bad_conditional_contradiction(edited: str, message: str,
                                                                           tmp_path: Path, run_main: Any) -> None:
    """A contradiction with ``given`` (it counts only with that clue present) naming an unknown clue, its own
    clue, a ratio of 1 or more, or the same pair twice is refused with file and field."""
    status, err = _check_edited_rules(tmp_path, run_main, "causes/chronic_hypercalciuria.toml", _CONDITIONAL, edited)
    assert status == 2 and "chronic_hypercalciuria.toml: " in err and message in err, err


def test_a_conditional_contradiction_counts_only_with_its_given_clue(run_main: Any) -> None:
    """A raised PTH argues against chronic hypercalciuria only with hypercalcaemia (PTH-driven hypercalcaemia,
    not the secondary hyperparathyroidism of a calcium leak): alone it keeps its usual entry, and with
    hypercalcaemia the pair costs it x0.1 beyond the two findings' own entries, shown with ``counts_with``
    (and "with hypercalcaemia" in the table); no other cause of one form counts the pair beyond its parts."""
    def run(*flags: str) -> dict[str, Any]:
        status, out, err = run_main(["diff", "--pattern", "medullary", "--age", "30", *flags, "--format", "json"])
        assert status == 0, err
        return {e["cause"]: e for e in json.loads(out)["differential"]}

    pth = run("--high-pth")
    assert not [e for e in pth["chronic_hypercalciuria"]["conflicting"] if e["clue"] == "high_pth"]
    both, calcium = run("--high-pth", "--hypercalcemia"), run("--hypercalcemia")
    against = [e for e in both["chronic_hypercalciuria"]["conflicting"] if e["clue"] == "high_pth"]
    assert [(e["weight"], e["counts_with"]) for e in against] == [(round(math.log(0.1), 2), "hypercalcemia")]
    usual = pth["chronic_hypercalciuria"]["score"] - run()["chronic_hypercalciuria"]["score"]
    assert both["chronic_hypercalciuria"]["score"] == pytest.approx(
        calcium["chronic_hypercalciuria"]["score"] + usual + math.log(0.1), abs=0.003)
    # a cause of one form adds its terms (one of several forms mixes them: its score is a log-sum-exp)
    moved = {cause for cause in both if cause != "chronic_hypercalciuria" and both[cause]["form"] is None
             and abs((both[cause]["score"] - calcium[cause]["score"]) - (pth[cause]["score"] - run()[cause]["score"]))
             > 0.003}
    assert not moved, moved
    status, out, _ = run_main(["diff", "--pattern", "medullary", "--age", "30", "--high-pth", "--hypercalcemia",
                               "--top", "13"])
    assert status == 0 and "High PTH with" in out
    status, out, _ = run_main(["cause", "chronic_hypercalciuria", "--format", "json"])
    assert status == 0 and any(f.get("given") == "hypercalcemia" for f in json.loads(out)["findings"])


def test_rules_check_names_a_bad_refines(tmp_path: Path, run_main: Any) -> None:
    """A clue's refines naming an unknown clue, or itself, is refused with file and field."""
    for edited in ('refines = ["proteinuria_typo"]', 'refines = ["low_molecular_weight_proteinuria"]'):
        status, err = _check_edited_rules(tmp_path, run_main, "clues.toml", 'refines = ["proteinuria"]', edited)
        assert status == 2 and "clues.toml: clues.low_molecular_weight_proteinuria.refines.0" in err, err


def test_bariatric_surgery_with_hyperoxaluria_counts_for_the_open_world(run_main: Any) -> None:
    """Hyperoxaluria after bariatric surgery is enteric hyperoxaluria, outside the twelve: primary hyperoxaluria
    lists the surgery against itself, so the pair counted for no cause and `other` stayed at 0% (blind battery
    30). It counts x10 for `other` with hyperoxaluria, and nothing without."""
    def other(*flags: str) -> float:
        status, out, err = run_main(["diff", "--pattern", "medullary", "--age", "53", *flags, "--format", "json"])
        assert status == 0, err
        return float(next(e["score"] for e in json.loads(out)["differential"] if e["cause"] == "other"))

    assert other("--bariatric-surgery-or-malabsorption") == pytest.approx(other(), abs=0.002)
    assert other("--bariatric-surgery-or-malabsorption", "--hyperoxaluria") == pytest.approx(
        other("--hyperoxaluria") + math.log(10.0), abs=0.002)


def _rename_copy(pack: Path) -> None:
    """A copy of the extended knowledge base, renamed: a pack may not take the shipped name."""
    pack_toml = pack / "pack.toml"
    pack_toml.write_text(pack_toml.read_text(encoding="utf-8").replace(
        'name = "nephrocalc extended knowledge base"', 'name = "extended copy"', 1), encoding="utf-8")
