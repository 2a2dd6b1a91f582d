"""Regression tests for the defects reproduced in the design review (DESIGN-REVIEW.md sections 1-4):
rule packs that take over options, renderers that recompute model numbers, rule text read as
markup, oversized or deeply nested TOML, non-ASCII ids. Each failed on the first build."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from nephrocalc.errors import RuleError
from nephrocalc.loader import load_knowledge_base
from nephrocalc.vocab import RESERVED_OPTION_NAMES, is_identifier

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "packs" / "bartter"
PACK_TOML = 'name = "test-pack"\nversion = "0.0.1"\ndescription = "a test pack"\nmaintainer = "tests"\n'
CAUSE = Path(EXAMPLE / "causes" / "bartter_syndrome.toml").read_text(encoding="utf-8")


def _clue(clue_id: str, description: str = "A test finding.") -> str:
    return f'[clues.{clue_id}]\nlabel = "Test"\ndescription = "{description}"\ngroup = "history"\nspecificity = "low"\n'


def _pack(tmp_path: Path, *, clues: str = "", causes: dict[str, str] | None = None) -> Path:
    pack = tmp_path / "pack"
    (pack / "causes").mkdir(parents=True)
    (pack / "pack.toml").write_text(PACK_TOML, encoding="utf-8")
    if clues:
        (pack / "clues.toml").write_text(clues, encoding="utf-8")
    for name, text in (causes or {}).items():
        (pack / "causes" / name).write_text(text, encoding="utf-8")
    return pack


# --- a pack can no longer take over an option or a flag ------------------------------------------


@pytest.mark.parametrize("clue_id", ["no_rta", "pattern", "format", "rules", "top", "help", "case", "lab",
                                     "explain", "no_pattern", "version"])
def test_a_clue_that_would_take_over_an_option_is_rejected(clue_id: str, tmp_path: Path, run_main: Any) -> None:
    pack = _pack(tmp_path, clues=_clue(clue_id))
    status, out, err = run_main(["rules", "check", str(pack)])
    assert status == 2, (out, err)
    assert f"clues.toml: clues.{clue_id}: " in err, err
    # and loading it for a run is the same error, never a silently different flag
    status, out, err = run_main(["diff", "--rules", str(pack), "--pattern", "medullary", "--no-rta"])
    assert status == 2 and "clues.toml" in err and "Traceback" not in err, err


def test_no_rta_keeps_its_meaning_without_a_pack(run_main: Any) -> None:
    import json

    status, out, _ = run_main(["diff", "--pattern", "medullary", "--no-rta", "--format", "json"])
    assert status == 0
    drta = next(e for e in json.loads(out)["differential"] if e["cause"] == "distal_rta")
    assert any(e["clue"] == "rta" and not e["present"] for e in drta["conflicting"])


def test_a_clue_and_its_no_form_in_one_pack_are_rejected(tmp_path: Path) -> None:
    pack = _pack(tmp_path, clues=_clue("fizz") + _clue("no_fizz"))
    with pytest.raises(RuleError) as caught:
        load_knowledge_base(packs=[pack], use_cache=False)
    assert any("clues.no_fizz" in p and "--no-fizz" in p for p in caught.value.problems), caught.value.problems


def test_every_reserved_name_is_an_option_or_kept_for_one() -> None:
    assert {"pattern", "format", "rules", "top", "help", "case", "lab"} <= RESERVED_OPTION_NAMES
    assert all(is_identifier(name) for name in RESERVED_OPTION_NAMES)


def test_no_built_in_clue_is_reserved_or_shadows_another(kb: Any) -> None:
    from nephrocalc.vocab import reserved_reason

    assert [c for c in kb.clues if reserved_reason(c, frozenset(kb.clues))] == []


# --- renderers show what the engine computed --------------------------------------------------------


def test_a_tiny_prior_explains_without_a_domain_error(tmp_path: Path, run_main: Any) -> None:
    cause = CAUSE.replace("adult = 0.001", "adult = 0.00001")
    pack = _pack(tmp_path, clues=_clue("hyperprostaglandinuria"), causes={"bartter_syndrome.toml": cause})
    status, out, err = run_main(["diff", "--rules", str(pack), "--pattern", "medullary", "--age", "40",
                                 "--hypokalemia", "--explain"])
    assert status == 0, err
    assert "Bartter" in out and "ln prior -" in out


def test_the_explanation_adds_up_to_the_score_from_engine_numbers(run_main: Any) -> None:
    import json

    status, out, _ = run_main(["diff", "--pattern", "cortical", "--age", "30", "--sex", "female",
                               "--obstetric-catastrophe", "--format", "json"])
    assert status == 0
    for entry in json.loads(out)["differential"]:
        total = entry["log_prior"] + sum(f["weight"] for f in entry["context"]) + sum(
            e["weight"] for e in (*entry["supporting"], *entry["conflicting"]))
        assert total == pytest.approx(entry["score"], abs=0.05), entry["cause"]


# --- rule text is data, never markup ------------------------------------------------------------------


def test_rule_text_with_brackets_prints_as_written(tmp_path: Path, run_main: Any) -> None:
    pack = _pack(tmp_path, clues=_clue("bracketed", "[see 2] [b]x[/b]"))
    status, out, err = run_main(["clues", "--rules", str(pack)])
    assert status == 0, err
    assert "[see 2] [b]x[/b]" in out, out


def test_cause_text_with_brackets_prints_as_written(tmp_path: Path, run_main: Any) -> None:
    cause = CAUSE.replace('note = "hypokalaemic metabolic alkalosis"', 'note = "[see 2] [red]x[/red]"')
    pack = _pack(tmp_path, clues=_clue("hyperprostaglandinuria"), causes={"bartter_syndrome.toml": cause})
    status, out, err = run_main(["cause", "bartter_syndrome", "--rules", str(pack)])
    assert status == 0, err
    assert "[see 2] [red]x[/red]" in out, out


# --- huge, deep or non-ASCII rule files -----------------------------------------------------------------


def test_deeply_nested_toml_is_a_rule_error(tmp_path: Path, run_main: Any) -> None:
    pack = _pack(tmp_path, clues="x = " + "[" * 5000 + "]" * 5000 + "\n")
    status, _, err = run_main(["rules", "check", str(pack)])
    assert status == 2
    assert "clues.toml: not valid TOML" in err and "RecursionError" not in err, err


def test_a_huge_rule_file_is_refused_before_it_is_parsed(tmp_path: Path, run_main: Any) -> None:
    pack = _pack(tmp_path)
    entry = '[tag{n}]\ncitation = "{text}"\nurl = "https://example.org"\n'
    with (pack / "sources.toml").open("w", encoding="utf-8") as handle:
        for n in range(12_000):
            handle.write(entry.format(n=n, text="x" * 200))
    assert (pack / "sources.toml").stat().st_size > 2 * 1024 * 1024
    started = time.perf_counter()
    status, _, err = run_main(["rules", "check", str(pack)])
    assert status == 2
    assert "sources.toml: larger than 2 MiB" in err, err
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("name", ["bartterω.toml", "Bartter.toml", "9lives.toml", "bärtter.toml"])
def test_a_cause_file_name_that_is_not_an_ascii_id_is_rejected(name: str, tmp_path: Path) -> None:
    pack = _pack(tmp_path, clues=_clue("hyperprostaglandinuria"), causes={name: CAUSE})
    with pytest.raises(RuleError) as caught:
        load_knowledge_base(packs=[pack], use_cache=False)
    assert any(name in p and "cause id" in p for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize("text", ["rta", "a", "a_1", "x" * 64])
def test_identifiers(text: str) -> None:
    assert is_identifier(text)


@pytest.mark.parametrize("text", ["", "Rta", "1a", "_a", "a-b", "bartterω", "é", "x" * 65, "a\n"])
def test_not_identifiers(text: str) -> None:
    assert not is_identifier(text)


# --- --rules on every command that reads the knowledge base -----------------------------------------


@pytest.mark.parametrize("argv", [["cause", "bartter_syndrome"], ["causes"], ["clues"], ["labs"], ["imaging"],
                                  ["grading"], ["method"]])
def test_every_knowledge_base_command_takes_rules(argv: list[str], run_main: Any) -> None:
    status, out, err = run_main([*argv, "--rules", str(EXAMPLE)])
    assert status == 0, err
    if argv[0] in ("cause", "causes"):
        assert "Bartter" in out


def test_a_pack_copy_is_not_needed_to_keep_the_example(tmp_path: Path) -> None:
    copy = tmp_path / "bartter"
    shutil.copytree(EXAMPLE, copy)
    kb = load_knowledge_base(packs=[copy], use_cache=False)
    assert "bartter_syndrome" in kb.causes


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_control_characters_in_data_never_reach_the_reader(fmt: str) -> None:
    """A case id (or a document's display text in a warning) with an escape sequence would be a terminal
    command; human-readable output shows U+FFFD instead, while JSON keeps the exact text."""
    from helpers import invoke

    case = json.dumps({"pattern": "medullary", "id": "a\u001b[31mred\u0007\u202e", "clues": {"rta": True}}).encode()
    status, out, err = invoke(["diff", "--case", "-", "--format", fmt], case)
    assert status == 0, err
    shown = "a\ufffd\\[31mred\ufffd" if fmt == "markdown" else "a\ufffd[31mred\ufffd"  # a bracket is syntax there
    assert "\u001b" not in out and "\u0007" not in out and "\u202e" not in out and shown in out
    status, out, _ = invoke(["diff", "--case", "-", "--format", "json"], case)
    assert json.loads(out)["id"] == "a\u001b[31mred\u0007\u202e"


def test_control_characters_in_an_error_message_are_escaped() -> None:
    from helpers import invoke

    status, out, err = invoke(["diff", "--case", "-"], b'{"pattern": "medullary", "clues": {"r\\u001b[31mta": true}}')
    assert status == 2 and out == "" and "\u001b" not in err and "\\x1b[31m" in err
    assert len(err.strip().splitlines()) == 1


# --- input a user typed is never silently dropped (fuzz review, 2026-12-02) -----------------------

@pytest.mark.parametrize(("case", "named"), [
    ({"pattern": "medullary", "clues": {"hypercalcaemia": True, "hypercalcemia": False}}, "clues.hypercalcemia"),
    ({"pattern": "medullary", "labs": {"PTH": {"value": 140, "unit": "pg/mL"}, "pth": {"value": 20, "unit": "pg/mL"}}},
     "labs.pth"),
])
def test_one_finding_under_two_spellings_is_refused_not_merged(case: dict[str, Any], named: str,
                                                              run_main: Any) -> None:
    status, _, err = run_main(["diff", "--case", "-"], stdin=json.dumps(case))
    assert status == 2 and err.startswith(f"nephrocalc: error: {named}: given twice"), err
    status, out, _ = run_main(["batch"], stdin=json.dumps(case) + "\n")
    assert status == 2 and "given twice" in json.loads(out)["error"]


@pytest.mark.parametrize("value", ["2", "garbage", "enabled"])
def test_an_unrecognised_extended_setting_is_refused(value: str, run_main: Any, monkeypatch: pytest.MonkeyPatch
                                                     ) -> None:
    monkeypatch.setenv("NEPHROCALC_EXTENDED", value)
    status, out, err = run_main(["causes", "--format", "json"])
    assert status == 2 and out == "" and err.startswith("nephrocalc: error: NEPHROCALC_EXTENDED: must be"), err


def test_stop_at_nan_is_refused(run_main: Any) -> None:
    status, _, err = run_main(["ask", "-p", "medullary", "--stop-at", "nan"], stdin="y\n")
    assert status == 2 and "--stop-at" in err and len(err.strip().splitlines()) == 1


def test_ask_keeps_the_warnings_of_reading_a_phenopacket(run_main: Any, tmp_path: Path) -> None:
    age = {"age": {"iso8601duration": "P40Y"}}
    packet = {"id": "p1", "subject": {"id": "s1", "sex": "FEMALE", "timeAtLastEncounter": age},
              "phenotypicFeatures": [{"type": {"id": "HP:0000121", "label": "Nephrocalcinosis"}},
                                     {"type": {"id": "HP:0001250", "label": "Seizure"}}],
              "metaData": {"phenopacketSchemaVersion": "2.0"}}
    path = tmp_path / "packet.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    status, out, err = run_main(["ask", "--phenopacket", str(path), "--format", "json"], stdin="q\n")
    _, diff_out, _ = run_main(["diff", "--phenopacket", str(path), "--format", "json"])
    assert status == 0, err
    asked = {w["id"] for w in json.loads(out)["warnings"]}
    assert asked and asked >= {w["id"] for w in json.loads(diff_out)["warnings"]} - {"clues_not_used"}


@pytest.mark.parametrize(("argv", "named"), [
    (["diff", "-p", "medullary", "-p", "cortical"], "--pattern"),
    (["diff", "-p", "medullary", "--age", "5", "--age=50"], "--age"),
    (["diff", "-p", "medullary", "--sex", "female", "--sex", "male"], "--sex"),
    (["diff", "-p", "medullary", "-f", "json", "--format", "csv"], "--format"),
    (["diff", "-pmedullary", "-pcortical"], "--pattern"),
    (["diff", "-n5", "-n", "3", "-p", "medullary"], "--top"),
    (["diff", "-fjson", "-ftable", "-p", "medullary"], "--format"),
    (["ask", "-p", "medullary", "--max-questions", "2", "--max-questions", "3"], "--max-questions"),
    (["batch", "-f", "jsonl", "--format", "csv"], "--format"),
    (["diff", "-p", "medullary", "--save", ""], "--save"),
    (["diff", "-p", "medullary", "--save", "-"], "--save"),
    (["diff", "-p", "medullary", "--rules", ""], "--rules"),
])
def test_an_option_given_twice_or_empty_is_refused_not_overridden(argv: list[str], named: str,
                                                                  run_main: Any) -> None:
    status, out, err = run_main(argv)
    assert status == 2 and out == "" and err.startswith(f"nephrocalc: error: {named}"), err
    assert len(err.strip().splitlines()) == 1


def test_options_that_may_repeat_still_repeat(run_main: Any) -> None:
    status, out, err = run_main(["diff", "-p", "medullary", "--lab", "pth=80pg/mL", "--lab", "serum_calcium=11mg/dL",
                                 "--format", "json"])
    assert status == 0, err
    assert {d["lab"] for d in json.loads(out)["derived"]} >= {"pth", "serum_calcium"}


def test_an_unreadable_age_says_which_forms_an_age_takes(run_main: Any) -> None:
    status, _, err = run_main(["diff", "-p", "medullary", "--age", "6m"])
    assert status == 2 and err.startswith("nephrocalc: error: --age: must be an age in years") and "6mo" in err


@pytest.mark.parametrize("after", [["-p", "cortical"], ["--alkaline-urine"], ["--explain"]])
def test_an_option_after_save_is_refused_not_taken_as_its_file(after: list[str], run_main: Any, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`--save --alkaline-urine` wrote a file named --alkaline-urine and ranked without the finding, exit 0 (robustness
    round 63; `--save -p` had been kept as a file named -p): an option where the file name goes is refused, and
    ./-p names such a file."""
    monkeypatch.chdir(tmp_path)
    status, _, err = run_main(["diff", "-p", "medullary", "--save", *after])
    assert status == 2 and err.startswith("nephrocalc: error: --save: needs a file name") and after[0] in err, err
    assert not list(tmp_path.iterdir())
    status, _, err = run_main(["diff", "-p", "medullary", "--save", "./-p"])
    assert status == 0, err
    assert json.loads((tmp_path / "-p").read_text(encoding="utf-8"))["pattern"] == "medullary"


@pytest.mark.parametrize(("given", "flag", "expected"), [
    ({"clues": {"hypercalcaemia": True}}, ["--no-hypercalcemia"], ("clues", {"hypercalcemia": False})),
    ({"labs": {"PTH": {"value": 95, "unit": "pg/mL"}}}, ["--lab", "pth=20pg/mL"],
     ("labs", {"pth": {"value": 20.0, "unit": "pg/mL"}})),
])
def test_a_flag_overrides_the_case_file_whatever_its_spelling(given: dict[str, Any], flag: list[str],
                                                              expected: tuple[str, Any], run_main: Any,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"pattern": "medullary", **given}), encoding="utf-8")
    status, out, err = run_main(["diff", "--case", str(path), *flag, "--format", "json"])
    assert status == 0, err
    assert json.loads(out)["case"][expected[0]] == expected[1]


# --- found by fuzzing (2026-12-02) ----------------------------------------------------------------------


@pytest.mark.parametrize(("option", "document"), [
    ("--case", '{"pattern": "medullary", "x": %s}'),
    ("--phenopacket", '{"subject": {"id": "s"}, "phenotypicFeatures": [{"type": %s}]}'),
    ("--fhir", '{"resourceType": "Bundle", "entry": %s}'),
])
def test_json_nested_hundreds_of_levels_deep_is_one_line_not_a_crash(option: str, document: str,
                                                                     run_main: Any) -> None:
    for depth in (70, 490, 900):
        status, out, err = run_main(["diff", option, "-"], stdin=document % ("[" * depth + "]" * depth))
        assert (status, out) == (2, ""), err
        assert err.count("\n") == 1 and "internal error" not in err, err
        assert "nested more than 64 levels deep" in err or "not valid JSON" in err, err


def test_a_bad_rules_variable_leaves_help_and_version_working(tmp_path: Path, run_main: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_pack = tmp_path / "notapack"
    not_a_pack.mkdir()
    (not_a_pack / "readme.txt").write_text("x", encoding="utf-8")
    for setting in (str(tmp_path / "missing"), str(not_a_pack)):
        monkeypatch.setenv("NEPHROCALC_RULES", setting)
        for argv in (["--version"], ["--help"], ["diff", "--help"]):
            status, out, err = run_main(argv)
            assert status == 0 and out, (argv, err)
            assert err.startswith("nephrocalc: note: rule pack not loaded: ") and err.count("\n") == 1, err
        status, out, err = run_main(["diff", "--pattern", "medullary"])
        assert (status, out) == (2, "") and err.startswith("nephrocalc: error: "), "a run still refuses it"


def test_a_form_taken_over_twice_and_a_share_that_is_not_a_table_are_named(tmp_path: Path, run_main: Any) -> None:

    from nephrocalc.loader import builtin_rules_dir

    pack = tmp_path / "pack"
    (pack / "causes").mkdir(parents=True)
    shutil.copy(builtin_rules_dir() / "extended" / "sources.toml", pack / "sources.toml")
    cause = (builtin_rules_dir() / "extended" / "causes" / "hypophosphatemic_rickets_therapy.toml").read_text(
        encoding="utf-8")
    start = cause.index("[[takes_over]]")
    block = cause[start:cause.index("\n[", start + 1)]
    target = pack / "causes" / "hypophosphatemic_rickets_therapy.toml"
    target.write_text(cause.replace(block, block + "\n\n" + block, 1), encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(pack)])
    assert status == 2 and "takes_over.1.form: hypervitaminosis_d's form 'active_vitamin_d_therapy' is taken " \
        "over twice" in err, err
    target.write_text(cause.replace(block, block.replace("share = {", "share = 0.5 # {", 1), 1), encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(pack)])
    assert status == 2 and "takes_over.0.share: must be a table {adult, child, preterm} (got 0.5)" in err, err


def test_ask_names_the_answer_not_an_option_when_a_lab_value_lacks_its_unit(kb: Any) -> None:
    from nephrocalc.engine import Engine
    from nephrocalc.errors import InputError
    from nephrocalc.guidance import Interview
    from nephrocalc.intake import parse_case

    interview = Interview(Engine(kb), parse_case({"pattern": "medullary"}, kb))
    with pytest.raises(InputError) as caught:
        interview.answer_lab("hypocitraturia", "urine_citrate_24h", "6.8")
    assert str(caught.value).startswith("answer '6.8' (urine_citrate_24h): the value needs a unit (e.g. 6.8 ")
    assert "--lab" not in str(caught.value)


def test_second_fuzzing_round_rule_files_are_refused_or_run(tmp_path: Path, run_main: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """From a second fuzzing run: an age-bounded entry from 0 with no upper bound runs (it crashed the
    explanation); an empty age range on a lab limit, a repeated or unbounded interaction and forms taken over
    beyond their whole share are refused with file and field; a pack twice in NEPHROCALC_RULES and an empty
    `rules check` folder are named."""
    from helpers import renamed

    from nephrocalc.loader import builtin_rules_dir

    copy = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), copy, ignore=shutil.ignore_patterns("extended"))
    kb_toml = renamed(copy) / "knowledge_base.toml"
    original = kb_toml.read_text(encoding="utf-8")
    kb_toml.write_text(original + '\n[[other.findings]]\nclue = "lenticonus"\nlr_present = 15.0\n'
                       'age_at_least = 0.0\nsources = ["Tebben16"]\nnote = "from birth"\n', encoding="utf-8")
    status, out, err = run_main(["diff", "--rules", str(copy), "-p", "medullary", "--age", "60", "--lenticonus",
                                 "--explain"])
    assert status == 0 and "Lenticonus" in out, err
    start = original.index('id = "combined_with_cortical_atrophy"')
    block = original[original.rindex("[[interactions]]", 0, start):original.index("\n\n", start)]
    kb_toml.write_text(original + "\n" + block.replace("combined_with_cortical_atrophy", "again") + "\n",
                       encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(copy)])
    assert status == 2 and "knowledge_base.toml: interactions." in err and "a second interaction" in err, err
    kb_toml.write_text(original.replace("lr_present = 6.0", "lr_present = 1e300", 1), encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(copy)])
    assert status == 2 and ".lr_present" in err, err
    kb_toml.write_text(original, encoding="utf-8")
    labs = copy / "labs.toml"
    text = labs.read_text(encoding="utf-8")
    labs.write_text(text.replace("requires_stated = { ckd = true }", "requires_stated = { ckd = true }\n"
                                 "age_below = 1", 1), encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(copy)])
    assert status == 2 and "labs.toml: labs.egfr.limits." in err and "age_below must be above" in err, err
    labs.write_text(text, encoding="utf-8")

    pack = tmp_path / "pack"
    shutil.copytree(builtin_rules_dir() / "extended", pack)
    _rename_copy(pack)  # a copy may not keep the shipped name
    takes = '\n[[takes_over]]\ncause = "hypervitaminosis_d"\nform = "active_vitamin_d_therapy"\n' \
            'share = { adult = 0.6, child = 0.6, preterm = 0.6 }\nsources = ["Bota19"]\n'
    for name in ("bartter_syndrome.toml", "dent_disease.toml"):
        cause = pack / "causes" / name
        cause.write_text(cause.read_text(encoding="utf-8") + takes, encoding="utf-8")
    status, _, err = run_main(["rules", "check", str(pack)])
    assert status == 2 and ".share: with the other causes that take over" in err, err

    extended = str(builtin_rules_dir() / "extended")
    monkeypatch.setenv("NEPHROCALC_RULES", os.pathsep.join([extended, extended + "/"]))
    status, _, err = run_main(["diff", "-p", "medullary"])
    assert status == 2 and "is given twice" in err, err
    monkeypatch.delenv("NEPHROCALC_RULES")
    status, _, err = run_main(["rules", "check", ""])
    assert status == 2 and "DIR: needs a folder of rule files (got an empty name)" in err, err


def _rename_copy(pack: Path) -> None:
    """A copy of the extended knowledge base, renamed: a pack may not take the shipped name."""
    pack_toml = pack / "pack.toml"
    pack_toml.write_text(pack_toml.read_text(encoding="utf-8").replace(
        'name = "nephrocalc extended knowledge base"', 'name = "extended copy"', 1), encoding="utf-8")
