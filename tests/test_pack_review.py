"""A black-box review of broken and hostile rule packs (22 defects reported; each test fails without its fix).

Packs are built in a temporary folder from a minimal cause; complete knowledge bases are copies of rules/ with
one edit. `rules check` must refuse what would act silently wrong, naming the file and the field, with exit 2.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import invoke, renamed

from nephrocalc.loader import builtin_rules_dir

CAUSE = """name = "Test cause"
short_name = "Test"
distribution = "medullary"
cant_miss = false
summary = "A test."
mechanism = "Testing."
sources = ["Bhat12"]

[prior]
adult = {prior}
child = 0.01
preterm = 0.01
sources = ["Bhat12"]

[[findings]]
clue = "hypokalemia"
frequency = "usually"
sources = ["Bhat12"]
"""


def _pack(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def _check(folder: Path, *extra: str) -> tuple[int, str]:
    status, out, err = invoke(["rules", "check", str(folder), *extra])
    return status, out + err


def _kb_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A complete knowledge base: rules/ copied, with one edit (and a name of its own)."""
    kb = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), kb, ignore=shutil.ignore_patterns("extended"))
    renamed(kb)
    text = (kb / file).read_text(encoding="utf-8")
    assert old in text, old
    (kb / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return kb


def test_an_unreadable_pack_folder_is_named_not_an_internal_error(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder of mode 000 (simulated: the tests may run as root, who reads it anyway)."""
    import nephrocalc.loader as loader

    pack = _pack(tmp_path / "pack", {"causes/test_cause.toml": CAUSE.format(prior=0.01)})
    listing = loader._listing

    def refused(folder: Path) -> list[Path]:
        if folder == pack.resolve():
            raise PermissionError(13, "Permission denied", str(folder))
        return listing(folder)

    monkeypatch.setattr(loader, "_listing", refused)
    for argv in (["rules", "check", str(pack)], ["diff", "--rules", str(pack), "-p", "medullary"]):
        status, _, err = invoke(argv)
        assert status == 2 and "cannot be read (Permission denied)" in err and "internal error" not in err


def test_a_symbolic_link_out_of_the_pack_is_refused(tmp_path: Path) -> None:
    outside = _pack(tmp_path / "outside", {"secret.toml": 'name = "x"\ndistribution = "s3cr3t"\n'})
    pack = _pack(tmp_path / "pack", {"pack.toml": 'name = "p"\nversion = "1"\n'})
    (pack / "causes").mkdir()
    (pack / "causes" / "test_cause.toml").symlink_to(outside / "secret.toml")
    status, said = _check(pack)
    assert status == 2 and "symbolic link out of the pack folder" in said and "s3cr3t" not in said
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "causes").symlink_to(outside)
    assert _check(linked)[0] == 2


@pytest.mark.parametrize(("file", "old", "new", "said"), [
    ("knowledge_base.toml", "[[supersedes]]", '[[supersedes]]\nclue = "low_pth"\ncomponents = ["hypoparathyroidism"]\n'
     'sources = ["Mitchell12"]\n\n[[supersedes]]', "contains itself through other clues (a cycle)"),
    ("knowledge_base.toml", "high = 0.02", "high = 0.99", "backgrounds must increase"),
    ("knowledge_base.toml", "adult = 0.75\nchild = 0.2", "adult = 0.1\nchild = 0.1",
     "must sum to 1 (they sum to 0.25)"),
    ("knowledge_base.toml", 'cortical = ["HP:0012409"]', 'cortical = ["HP:0012408"]', "is given for both"),
    ("clues.toml", 'label = "Proteinuria"', 'label = "Proteinuria"\nrefines = ["low_molecular_weight_proteinuria"]',
     "in turn (a cycle)"),
    ("labs.toml", "above = 10.5", "above = 100.0", "not inside the plausible range"),
    ("labs.toml", "above = 10.5", "above = 25.0", "not inside the plausible range"),  # at the bound: never crossed
    ("labs.toml", '"mmol/L" = { multiply_by = 4.008 }', '"mmol/L" = { multiply_by = 1e308 }',
     "is not a unit conversion"),
    # a factor the units and the molar mass do not give (robustness round 59: a factor 10 off passed `rules check`
    # and read every calcium in mmol/L ten times too high), and a molar conversion with nothing to check it against
    ("labs.toml", '"mmol/L" = { multiply_by = 4.008 }', '"mmol/L" = { multiply_by = 40.08 }',
     "units.mmol/L: a conversion factor of 40.08 to mg/dL, but the units give 4.008"),
    ("labs.toml", '"nmol/L" = { divide_by = 2.496 }', '"nmol/L" = { divide_by = 24.96 }', "but the units give 0.4006"),
    ("labs.toml", '"mg/g" = { divide_by = 1000.0 }', '"mg/g" = { divide_by = 100.0 }', "but the units give 0.001"),
    ("labs.toml", "molar_mass = 168.11\n", "", "units.µmol/L: converting it to mg/dL needs the lab's molar_mass"),
    # a code mistyped by one digit still has the right shape: the check digits catch it (session 2026-12-07, sixth)
    ("labs.toml", '"2777-1",', '"2771-1",', "labs.toml: labs.serum_phosphate.loinc.0: 2771-1 fails the LOINC check "
     "digit (2771-4 would pass)"),
    ("clues.toml", '"46177005",  # End-stage renal disease\n  "433146000"', '"46177050",  # End-stage renal disease\n  '
     '"433146000"', "clues.ckd.snomed.13: 46177050 fails the SNOMED CT check digit"),
    ("clues.toml", '"46177005",  # End-stage renal disease\n  "433146000"', '"123456017",\n  "433146000"',
     "123456017 is not a SNOMED CT concept id: its partition digits 01"),
])
def test_a_complete_knowledge_base_that_would_act_silently_wrong_is_refused(tmp_path: Path, file: str, old: str,
                                                                            new: str, said: str) -> None:
    status, out = _check(_kb_copy(tmp_path, file, old, new))
    assert status == 2 and said in out, out


def test_priors_split_over_two_packs_are_summed_together(tmp_path: Path) -> None:
    first = _pack(tmp_path / "a", {"causes/test_a.toml": CAUSE.format(prior=0.6)})
    second = _pack(tmp_path / "b", {"causes/test_b.toml": CAUSE.format(prior=0.6)})
    assert _check(first)[0] == 0 and _check(second)[0] == 0
    status, _, err = invoke(["diff", "--rules", str(first), "--rules", str(second), "-p", "medullary"])
    assert status == 2 and "the causes of the packs loaded together have priors summing to 1.2" in err


def test_a_pack_clue_may_not_claim_a_built_in_clue_s_snomed_concept(tmp_path: Path) -> None:
    pack = _pack(tmp_path / "pack", {"clues.toml": '[clues.my_calcium]\nlabel = "My calcium"\ndescription = "x"\n'
                                     'group = "calcium"\nspecificity = "high"\nsnomed = ["66931009"]\n'})
    status, said = _check(pack)
    assert status == 2 and "66931009 is already a concept of clue 'hypercalcemia'" in said


def test_causes_that_take_over_each_other_are_refused(tmp_path: Path) -> None:
    forms = ('\n[[forms]]\nid = "f1"\nname = "F1"\nshare = 0.5\nsources = ["Bhat12"]\n'
             '\n[[forms]]\nid = "f2"\nname = "F2"\nshare = 0.5\nsources = ["Bhat12"]\n')
    take = ('\n[[takes_over]]\ncause = "{other}"\nform = "f1"\nshare = {{adult = 1.0, child = 1.0, preterm = 1.0}}\n'
            'sources = ["Bhat12"]\n')
    pack = _pack(tmp_path / "pack", {
        "causes/cause_a.toml": CAUSE.format(prior=0.01) + forms + take.format(other="cause_b"),
        "causes/cause_b.toml": CAUSE.format(prior=0.01) + forms + take.format(other="cause_a")})
    status, said = _check(pack)
    assert status == 2 and "takes over a cause that takes over this one in turn (a cycle)" in said


@pytest.mark.parametrize(("when", "said"), [
    ('pattern = []', "pattern is an empty list"), ('modality = []', "modality is an empty list"),
    ('any_present = []', "any_present is an empty list"), ('leading = []', "leading is an empty list"),
    ('age_at_least = 500', "must be below 130 years"),
])
def test_a_caveat_that_could_never_or_would_always_fire_is_refused(tmp_path: Path, when: str, said: str) -> None:
    pack = _pack(tmp_path / "pack", {"caveats.toml": '[[caveats]]\nid = "c"\nmessage = "FIRED"\nsources = ["Bhat12"]'
                                     f'\n[caveats.when]\n{when}\n'})
    status, out = _check(pack)
    assert status == 2 and said in out, out


@pytest.mark.parametrize(("cause", "said"), [("distal_rta", "is a cause of the knowledge base"),
                                             ("other", "'other' is the open world itself")])
def test_a_cause_to_consider_lies_outside_the_knowledge_base(tmp_path: Path, cause: str, said: str) -> None:
    pack = _pack(tmp_path / "pack", {"caveats.toml": f'[[caveats]]\nid = "c"\nkind = "consider"\ncause = "{cause}"\n'
                                     'name = "X"\nmessage = "m"\nsources = ["Bhat12"]\n[caveats.when]\n'
                                     'present = ["hypokalemia"]\n'})
    status, out = _check(pack)
    assert status == 2 and said in out


def test_a_form_of_no_share_at_any_age_is_refused(tmp_path: Path) -> None:
    forms = ('\n[[forms]]\nid = "main"\nname = "Main"\nshare = 1.0\nsources = ["Bhat12"]\n'
             '\n[[forms]]\nid = "ghost"\nname = "Ghost"\nshare = 0.0\nsources = ["Bhat12"]\n')
    status, said = _check(_pack(tmp_path / "pack", {"causes/test_cause.toml": CAUSE.format(prior=0.01) + forms}))
    assert status == 2 and "form 'ghost' has a share of 0 at every age" in said


def test_rules_check_can_check_a_pack_against_the_extended_knowledge_base(tmp_path: Path) -> None:
    pack = _pack(tmp_path / "pack", {"caveats.toml": '[[caveats]]\nid = "c"\nmessage = "m"\nsources = ["Bhat12"]\n'
                                     '[caveats.when]\nleading = ["bartter_syndrome"]\n'})
    assert _check(pack)[0] == 2  # bartter_syndrome is an extended cause
    status, said = _check(pack, "--extended")
    assert status == 0 and "and the extended knowledge base" in said


def test_the_table_and_markdown_name_the_packs(tmp_path: Path) -> None:
    pack = _pack(tmp_path / "pack", {"pack.toml": 'name = "local-overrides"\nversion = "0.1"\n',
                                     "causes/test_cause.toml": CAUSE.format(prior=0.01)})
    for fmt in ("table", "markdown"):
        status, out, _ = invoke(["diff", "--rules", str(pack), "-p", "medullary", "-f", fmt])
        assert status == 0 and "local-overrides 0.1" in out.splitlines()[-1]
    status, out, _ = invoke(["diff", "--extended", "-p", "medullary"])
    assert status == 0 and "extended knowledge base" in " ".join(out.split()[-12:])


def test_errors_of_several_packs_name_the_pack_and_a_share_is_one_problem(tmp_path: Path) -> None:
    good = _pack(tmp_path / "site_pack", {"causes/test_a.toml": CAUSE.format(prior=0.01)})
    bad = _pack(tmp_path / "dept_pack", {"causes/test_b.toml": CAUSE.format(prior='"x"')})
    status, _, err = invoke(["diff", "--rules", str(good), "--rules", str(bad), "-p", "medullary"])
    assert status == 2 and "dept_pack/causes/test_b.toml: prior.adult" in err
    forms = '\n[[forms]]\nid = "main"\nname = "Main"\nshare = -0.5\nsources = ["Bhat12"]\n'
    status, said = _check(_pack(tmp_path / "share", {"causes/test_cause.toml": CAUSE.format(prior=0.01) + forms}))
    lines = [line for line in said.splitlines() if "forms.0.share" in line]
    assert status == 2 and len(lines) == 1 and "constrained-float" not in said and "AgeShare" not in said


@pytest.mark.parametrize("character", ["\u202e", "\u2028", "\u2066"])
def test_rule_text_that_reorders_or_breaks_a_line_is_refused(tmp_path: Path, character: str) -> None:
    pack = _pack(tmp_path / "pack", {"causes/test_cause.toml": CAUSE.format(prior=0.01).replace(
        "Test cause", f"Test{character} cause")})
    status, said = _check(pack)
    assert status == 2 and f"U+{ord(character):04X}" in said


@pytest.mark.parametrize(("file", "text"), [
    ("pack.toml", 'name = "my\\npack"\nversion = "1"\n'),
    ("pack.toml", 'name = "p"\nversion = "1.0\\nok: a forged line"\n'),
    ("pack.toml", 'name = " "\nversion = "1"\n'),
    ("sources.toml", '["tag\\nok: forged"]\ncitation = "c"\nurl = "https://x.org"\n'),
])
def test_a_one_line_field_with_a_line_break_or_blank_is_refused(tmp_path: Path, file: str, text: str) -> None:
    status, said = _check(_pack(tmp_path / "pack", {file: text}))
    assert status == 2 and "\nok:" not in said and not said.startswith("ok:")


def test_a_pack_folder_named_with_escape_sequences_is_refused(tmp_path: Path) -> None:
    pack = _pack(tmp_path / "pk\x1b[2Jclear", {"causes/test_cause.toml": CAUSE.format(prior=0.01)})
    status, said = _check(pack)
    assert status == 2 and "\x1b" not in said and "folder name holds control characters" in said


def test_a_case_id_with_control_characters_is_not_written_raw() -> None:
    line = json.dumps({"id": "a\x1b[31mb\u2028c", "pattern": "medullary"}) + "\n"
    for fmt in ("tsv", "csv"):
        status, out, _ = invoke(["batch", "-f", fmt], line.encode())
        assert status == 0 and "\x1b" not in out and "\u2028" not in out
    status, out, _ = invoke(["batch", "-f", "jsonl"], line.encode())
    assert status == 0 and "\u2028" not in out and len(out.splitlines()) == 1
    assert json.loads(out)["id"] == "a\x1b[31mb\u2028c", "the JSON keeps the id exactly, escaped"


# --- round 2 of the review (17 more defects; the crash first) --------------------------------------------------

FLAG_CAUSE = CAUSE + """
[[findings]]
clue = "my_flag"
frequency = "always"
sources = ["Bhat12"]
"""


def _flag_pack(tmp_path: Path, background: str) -> Path:
    clue = ('[clues.my_flag]\nlabel = "My flag"\ndescription = "A local clue."\ngroup = "calcium"\n'
            f'specificity = "high"\n{background}\n')
    return _pack(tmp_path / "pack", {"clues.toml": clue, "causes/test_cause.toml": FLAG_CAUSE.format(prior=0.01)})


@pytest.mark.parametrize(("background", "field"), [
    ('background = { value = 1e-320, sources = ["Bhat12"] }', "clues.my_flag.background.value"),
    ('child_background = { value = 1e-300, sources = ["Bhat12"] }', "clues.my_flag.child_background.value"),
    ('age_backgrounds = [{ at_least = 18, value = 0.0001, sources = ["Bhat12"] }]',
     "clues.my_flag.age_backgrounds.0.value"),
    ('given_background = { given = "ckd", value = 1e-9, sources = ["Bhat12"] }',
     "clues.my_flag.given_background.value"),
])
def test_a_near_zero_background_is_refused_not_a_crash(tmp_path: Path, background: str, field: str) -> None:
    """Below about 5e-309 the ratio overflowed and every command stopped on 'internal error (NaN)'; far above
    it the ratio still went beyond the 1000 allowed for an explicit one."""
    pack = _flag_pack(tmp_path, background)
    status, text = _check(pack)
    assert status == 2 and field in text and "0.001" in text
    status, _, err = invoke(["diff", "--rules", str(pack), "-p", "medullary", "--age", "40", "--my-flag"])
    assert status == 2 and field in err and "internal error" not in err


@pytest.mark.parametrize("value", ["0.99", "0.9999999999999999"])
def test_a_background_as_common_as_always_is_refused(tmp_path: Path, value: str) -> None:
    """A listed finding then counted against its cause, and its absence made the cause certain."""
    pack = _flag_pack(tmp_path, f'background = {{ value = {value}, sources = ["Bhat12"] }}')
    status, text = _check(pack)
    assert status == 2 and "clues.my_flag.background.value" in text and "frequency.always" in text


def test_a_near_zero_specificity_level_is_refused(tmp_path: Path) -> None:
    kb = _kb_copy(tmp_path, "knowledge_base.toml", "high = 0.02", "high = 5e-324")
    status, text = _check(kb)
    assert status == 2 and "specificity.high" in text


@pytest.mark.parametrize("key", ["present", "absent", "unknown", "not_present"])
def test_a_caveat_condition_of_an_empty_clue_list_is_refused(tmp_path: Path, key: str) -> None:
    """`present = []` holds for every case: the caveat fired on all of them."""
    pack = _pack(tmp_path / "pack", {"caveats.toml": '[[caveats]]\nid = "c"\nmessage = "FIRED"\nsources = ["Bhat12"]'
                                                     f'\n[caveats.when]\n{key} = []\n'})
    status, text = _check(pack)
    assert status == 2 and key in text and "empty list" in text


def test_a_preterm_limit_above_the_child_limit_is_refused(tmp_path: Path) -> None:
    """child_below_years = 0.01 left every child prior, band and child background unused, without a word."""
    kb = _kb_copy(tmp_path, "knowledge_base.toml", "child_below_years = 18", "child_below_years = 0.01")
    status, text = _check(kb)
    assert status == 2 and "preterm_below_years" in text and "child_below_years" in text


@pytest.mark.parametrize(("band", "field"), [
    ('below = 18\ncolumns = ["adult"]', "age.0.below"),
    ('at_least = 20\ncolumns = ["child"]', "age.0.at_least"),
])
def test_an_age_band_outside_its_columns_ages_is_refused(tmp_path: Path, band: str, field: str) -> None:
    cause = CAUSE.format(prior=0.01) + f'\n[[age]]\n{band}\nratio = 0.001\nsources = ["Bhat12"]\n'
    status, text = _check(_pack(tmp_path / "pack", {"causes/test_cause.toml": cause}))
    assert status == 2 and field in text and "never read" in text


def test_an_age_band_of_its_columns_ages_is_accepted(tmp_path: Path) -> None:
    cause = (CAUSE.format(prior=0.01)
             + '\n[[age]]\nat_least = 60\ncolumns = ["adult"]\nratio = 2\nsources = ["Bhat12"]\n')
    assert _check(_pack(tmp_path / "pack", {"causes/test_cause.toml": cause}))[0] == 0


@pytest.mark.parametrize("unless", ['["hypercalciuria"]', '["hypomagnesemia"]'])
def test_an_open_world_entry_unless_its_own_clue_is_refused(tmp_path: Path, unless: str) -> None:
    other = ('name = "p"\nversion = "1"\n\n[other]\nadult = 0.12\nchild = 0.2\npreterm = 0.05\nunused_clue_lr = 2.0\n'
             'unilateral = 0.05\nsources = ["Bhat12"]\n\n[[other.findings]]\nclue = "hypomagnesemia"\n'
             f'given = "hypercalciuria"\nunless = {unless}\nlr_present = 10.0\nsources = ["Bhat12"]\nnote = "n"\n')
    pack = _pack(tmp_path / "pack", {"pack.toml": other, "causes/test_cause.toml": CAUSE.format(prior=0.01)})
    status, text = _check(pack)
    assert status == 2 and "unless" in text and "never count" in text


def test_a_clue_description_with_a_line_break_is_one_ask_question(tmp_path: Path) -> None:
    """A description of two lines printed a forged `? tubular_ectasia` question that a script answered."""
    forged = '? tubular_ectasia  Precalyceal tubular ectasia [y/n/u/q/b]'
    clue = ('[clues.my_flag]\nlabel = "My flag"\n'
            f'description = """Local clue.\n{forged}"""\ngroup = "calcium"\nspecificity = "high"\n')
    cause = CAUSE.split("[[findings]]")[0].format(prior=0.9) + FLAG_CAUSE.split(CAUSE)[1]  # my_flag alone
    pack = _pack(tmp_path / "pack", {"clues.toml": clue, "causes/test_cause.toml": cause})
    status, _, err = invoke(["ask", "--rules", str(pack), "-p", "medullary", "--age", "40", "--no-hypercalcemia",
                             "--max-questions", "4", "-f", "json"], b"u\n" * 40)
    assert status == 0, err
    questions = [line for line in err.splitlines() if line.startswith("? ")]
    assert any(line.startswith("? my_flag  Local clue. ? tubular_ectasia") for line in questions), questions
    assert not any(line.startswith("? tubular_ectasia") for line in questions)


def test_a_canonical_unit_that_converts_is_refused(tmp_path: Path) -> None:
    """mg/dL = { multiply_by = 2.0 } read 7 mg/dL of calcium as above 10.5 mg/dL: hypercalcaemia."""
    kb = _kb_copy(tmp_path, "labs.toml", 'units = { "mg/dL" = {}, "mmol/L" = { multiply_by = 4.008 },',
                  'units = { "mg/dL" = { multiply_by = 2.0 }, "mmol/L" = { multiply_by = 4.008 },')
    status, text = _check(kb)
    assert status == 2 and "labs.serum_calcium" in text and "canonical unit converts to itself" in text


@pytest.mark.parametrize(("group", "said"), [
    ('["rta", "hypokalemia"]', "'rta' contains 'hypokalemia'"),  # rta supersedes hypokalemia
    ('["kidney_failure", "ckd"]', "'kidney_failure' implies 'ckd'"),
])
def test_an_exclusive_group_of_clues_that_state_each_other_is_refused(tmp_path: Path, group: str, said: str) -> None:
    """--rta --hypokalemia dropped distal RTA from first (0.87) to second (0.18): both were discarded."""
    kb = _kb_copy(tmp_path, "knowledge_base.toml", "[[exclusive]]\n",
                  f'[[exclusive]]\nclues = {group}\nsources = ["Berend14"]\n\n[[exclusive]]\n')
    status, text = _check(kb)
    assert status == 2 and "exclusive.0.clues" in text and said in text


def test_a_clue_implying_two_exclusive_clues_is_refused(tmp_path: Path) -> None:
    clue = ('[clues.my_flag]\nlabel = "Mixed"\ndescription = "A local clue."\ngroup = "acid_base"\n'
            'specificity = "high"\nimplies = ["metabolic_alkalosis", "metabolic_acidosis"]\n')
    pack = _pack(tmp_path / "pack", {"clues.toml": clue, "causes/test_cause.toml": CAUSE.format(prior=0.01)})
    status, text = _check(pack)
    assert status == 2 and "clues.my_flag.implies" in text and "exclude each other" in text


def test_two_packs_that_each_give_the_open_world_are_refused(tmp_path: Path) -> None:
    """The open world was 0.4% in one order of --rules and 64% in the other, without a word."""
    packs = []
    for name, prior in (("site", 0.5), ("dept", 0.01)):
        other = (f'name = "{name}"\nversion = "1"\n\n[other]\nadult = {prior}\nchild = 0.2\npreterm = 0.05\n'
                 'unused_clue_lr = 2.0\nunilateral = 0.05\nsources = ["Bhat12"]\n')
        packs.append(_pack(tmp_path / name, {"pack.toml": other}))
    status, _, err = invoke(["diff", "--rules", str(packs[0]), "--rules", str(packs[1]), "-p", "medullary"])
    assert status == 2 and "gives [other] too" in err
    status, _, err = invoke(["diff", "--extended", "--rules", str(packs[0]), "-p", "medullary"])
    assert status == 0, err  # a pack's open world replaces that of --extended


@pytest.mark.process
@pytest.mark.parametrize("name", ["co:lon", "esc\x1b[2J\x1b[31mALL CLEAR\x1b[0m"])
def test_the_ask_replay_line_names_an_odd_pack_folder_safely(tmp_path: Path, name: str) -> None:
    """A ':' in the folder made the replay load two other packs; an ESC reached the terminal raw."""
    import subprocess
    import sys

    pack = _pack(tmp_path / name, {"pack.toml": 'name = "site"\nversion = "1"\n',
                                   "causes/test_cause.toml": CAUSE.format(prior=0.01)})
    status, _, err = invoke(["ask", "--rules", str(pack), "-p", "medullary", "--age", "40", "--max-questions", "1"],
                            b"n\nq\n")
    assert status == 0, err
    replay = next(line for line in err.splitlines() if line.startswith("Replay: ")).removeprefix("Replay: ")
    assert "\x1b" not in replay
    shell = shutil.which("bash")
    if shell is None:
        pytest.skip("no bash to run the replay")
    command = 'nephrocalc() { "$PYTHON" -m nephrocalc "$@"; }; ' + replay + " -f json"
    done = subprocess.run([shell, "-c", command], capture_output=True, text=True, check=False,
                          env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert [rule["path"] for rule in json.loads(done.stdout)["rules"]][1:] == [str(pack)]


@pytest.mark.parametrize("invisible", ["\u200b", "\u3164", "\ufeff", "\u00ad", "\U000e0041"])
def test_an_invisible_character_in_rule_text_is_refused(tmp_path: Path, invisible: str) -> None:
    """A short name of one zero-width space passed 'not blank' and left a ranking row without a name."""
    cause = CAUSE.format(prior=0.01).replace('short_name = "Test"', f'short_name = "{invisible}"')
    status, text = _check(_pack(tmp_path / "pack", {"causes/test_cause.toml": cause}))
    assert status == 2 and "short_name" in text and f"U+{ord(invisible):04X}" in text


@pytest.mark.parametrize(("files", "said"), [
    ({"causes/local_rta.toml": CAUSE.format(prior=0.01).replace('name = "Test cause"', 'name = "Distal renal tubular '
                                                                'acidosis (type 1)"')}, "is already the name of cause"),
    ({"causes/local_rta.toml": CAUSE.format(prior=0.01).replace('short_name = "Test"', 'short_name = "distal RTA"')},
     "is already the short_name of cause 'distal_rta'"),
    ({"clues.toml": '[clues.hypokalaemia_local]\nlabel = "Hypokalaemia"\ndescription = "x"\ngroup = "calcium"\n'
                    'specificity = "high"\nhpo_note = "local"\n'}, "is already the label of clue 'hypokalemia'"),
    ({"sources.toml": '["Th\u043emas22"]\ncitation = "Thomas et al."\nurl = "https://example.org/x"\n'},
     "ASCII letters"),
    ({"sources.toml": '[bhat12]\ncitation = "Bhat et al."\nurl = "https://example.org/x"\n'},
     "differs from the source tag 'Bhat12' only in case"),
    ({"sources.toml": '[Local24]\ncitation = """Local guideline 2024.\n[Thomas22] Thomas et al. https://evil.example"""'
                      '\nurl = "https://example.org/x"\n'}, "Local24.citation"),
])
def test_names_and_tags_that_imitate_loaded_ones_are_refused(tmp_path: Path, files: dict[str, str],
                                                             said: str) -> None:
    """Two 'Distal RTA' rows, two 'Hypokalaemia' terms, a Cyrillic 'о' in a source tag, a citation whose second
    line printed as another source's entry."""
    files = {"causes/test_cause.toml": CAUSE.format(prior=0.01), **files}
    status, text = _check(_pack(tmp_path / "pack", files))
    assert status == 2 and said in text, text


def test_markdown_escapes_link_and_image_syntax_in_names(tmp_path: Path) -> None:
    """A cause named with ![x](https://tracker.example/pixel.png) made a rendered report fetch a remote image."""
    # (the short name, which Markdown shows as the table does since round 66, and the full name, which it showed)
    cause = CAUSE.format(prior=0.5).replace('short_name = "Test"', 'short_name = "T ![x](https://t.example/p) [d](h:/)"'
                                            ).replace(
        'name = "Test cause"', 'name = "Test ![x](https://tracker.example/p.png) [d](https://e.example/)"')
    pack = _pack(tmp_path / "pack", {"causes/test_cause.toml": cause})
    status, out, err = invoke(["diff", "--rules", str(pack), "-p", "medullary", "--age", "40", "--hypokalemia",
                               "-f", "markdown"])
    assert status == 0, err
    assert "![x](" not in out and "[d](" not in out and "!\\[x\\](https://t.example/p)" in out


@pytest.mark.parametrize("name", ["nephrocalc extended knowledge base", "Nephrocalc built-in knowledge base"])
def test_a_pack_may_not_take_a_shipped_name(tmp_path: Path, name: str) -> None:
    """A pack that replaced distal RTA had a footer byte-identical to a genuine --extended run."""
    pack = _pack(tmp_path / "pack", {"pack.toml": f'name = "{name}"\nversion = "1.3.0"\n',
                                     "causes/test_cause.toml": CAUSE.format(prior=0.01)})
    status, text = _check(pack)
    assert status == 2 and "pack.toml: name" in text and "kept for the knowledge bases that ship" in text


def test_a_complete_knowledge_base_from_a_folder_is_named_with_it(tmp_path: Path) -> None:
    """A modified copy that kept the shipped name and version had exactly the built-in footer."""
    kb = _kb_copy(tmp_path, "labs.toml", "plausible = [2.0, 25.0]", "plausible = [1.0, 25.0]")
    for fmt in ("table", "markdown"):
        status, out, err = invoke(["diff", "--rules", str(kb), "-p", "medullary", "-f", fmt])
        assert status == 0, err
        assert f"(from {kb}" in " ".join(out.split()), out[-400:]


def test_rules_check_takes_several_folders_and_the_environment(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A pack that passed on its own failed with a complete knowledge base, and `rules check kb pack` was refused;
    rules check ignored $NEPHROCALC_RULES, which diff lays under --rules."""
    kb = _kb_copy(tmp_path, "knowledge_base.toml", "child_below_years = 18", "child_below_years = 20")
    clues = (kb / "clues.toml").read_text(encoding="utf-8")
    (kb / "clues.toml").write_text(clues.replace("at_least = 18", "at_least = 20"), encoding="utf-8")  # own bands
    band = ('[clues.my_flag]\nlabel = "My flag"\ndescription = "x"\ngroup = "calcium"\nspecificity = "high"\n'
            'age_backgrounds = [{ at_least = 18, value = 0.1, sources = ["Bhat12"] }]\n')
    pack = _pack(tmp_path / "bandpack", {"clues.toml": band})
    assert _check(pack)[0] == 0
    status, text = _check(kb, str(pack))
    assert status == 2 and "bandpack/clues.toml: clues.my_flag.age_backgrounds.0.at_least" in text
    clue_pack = _pack(tmp_path / "clue_pack", {"clues.toml": band.replace(
        'age_backgrounds = [{ at_least = 18, value = 0.1, sources = ["Bhat12"] }]\n', "")})
    cause_pack = _pack(tmp_path / "cause_pack", {"causes/test_cause.toml": FLAG_CAUSE.format(prior=0.01)})
    assert "unknown clue 'my_flag'" in _check(cause_pack)[1]
    monkeypatch.setenv("NEPHROCALC_RULES", str(clue_pack))
    status, text = _check(cause_pack)
    assert status == 0 and "($NEPHROCALC_RULES)" in text, text


def test_a_reference_table_without_cell_columns_is_named() -> None:
    """columns = [] was reported as "row 'XR' needs -1 cells"."""
    from pydantic import ValidationError

    from nephrocalc.loader import schema

    with pytest.raises(ValidationError, match="at least 2 items"):
        schema.ReferenceTable.model_validate({"title": "t", "columns": [], "rows": [{"key": "XR", "cells": []}],
                                              "sources": ["Bhat12"]})


def test_a_refines_cycle_through_other_clues_is_said_so(tmp_path: Path) -> None:
    """aa -> bb -> cc -> aa was reported as "'bb_clue' refines 'aa_clue' in turn", which it does not."""
    clues = "".join(f'[clues.{name}_clue]\nlabel = "{name.upper()}"\ndescription = "x"\ngroup = "calcium"\n'
                    f'specificity = "high"\nhpo_note = "local"\nrefines = ["{target}_clue"]\n\n'
                    for name, target in (("aa", "bb"), ("bb", "cc"), ("cc", "aa")))
    status, text = _check(_pack(tmp_path / "pack", {"clues.toml": clues}))
    assert status == 2 and "'bb_clue' refines 'aa_clue' through other clues (a cycle)" in text
    assert "in turn" not in text


def test_a_clue_term_of_a_pattern_is_refused(tmp_path: Path) -> None:
    """HP:0012408 (medullary nephrocalcinosis) in a clue gave the pattern and never the clue, without a word."""
    clue = ('[clues.my_flag]\nlabel = "My flag"\ndescription = "x"\ngroup = "calcium"\nspecificity = "high"\n'
            'hpo = ["HP:0012408"]\n')
    status, text = _check(_pack(tmp_path / "pack", {"clues.toml": clue}))
    assert status == 2 and "clues.my_flag.hpo: HP:0012408 is a nephrocalcinosis term" in text


def test_an_hpo_file_placing_a_clue_term_below_a_pattern_is_refused(tmp_path: Path) -> None:
    """A hypercalcaemia term listed below HP:0000121 was consumed as 'nephrocalcinosis' in every phenopacket."""
    kb = _kb_copy(tmp_path, "hpo.toml", '"HP:0000121" = ["HP:0008327", "HP:0012408", "HP:0012409"]',
                  '"HP:0000121" = ["HP:0003072", "HP:0008327", "HP:0012408", "HP:0012409"]')
    status, text = _check(kb)
    assert status == 2 and "clues.hypercalcemia.hpo: HP:0003072 is a nephrocalcinosis term" in text


# --- round 3 of the review (14 more; the crash first) --------------------------------------------------------------


def test_an_age_bound_of_zero_beside_unbounded_entries_is_an_overlap_not_a_crash(tmp_path: Path) -> None:
    """age_at_least = 0 was read as no bound: every command, rules check too, stopped on 'internal error'."""
    cause = CAUSE.format(prior=0.01) + "".join(
        f'\n[[findings]]\nclue = "ckd"\nfrequency = "often"\n{bound}sources = ["Bhat12"]\n'
        for bound in ("", "age_below = 18\n", "age_at_least = 0\n"))
    pack = _pack(tmp_path / "pack", {"causes/test_cause.toml": cause})
    status, text = _check(pack)
    assert status == 2 and "the age ranges of 'ckd' overlap" in text and "internal error" not in text


@pytest.mark.parametrize(("file", "old", "new", "said"), [
    ("labs.toml", '"2777-1",', '"2777-1",\n  "17861-6",',
     "17861-6 is also a code of lab 'serum_calcium' (labs.serum_calcium.loinc.0)"),
    # an inverted range was said only through the limits checked against it (black-box review 11)
    ("labs.toml", "plausible = [2.0, 25.0]", "plausible = [25.0, 2.0]",
     "plausible: must be [lowest, highest], the lowest first (got [25, 2])"),
    ("labs.toml", "absent_at_most = 10.0", "absent_at_most = 0.5",
     "absent_at_most: 0.5 mg/dL is outside the plausible"),
])
def test_lab_rules_that_read_values_wrongly_are_refused(tmp_path: Path, file: str, old: str, new: str,
                                                       said: str) -> None:
    """A LOINC code of two labs read a calcium of 11.9 mg/dL as hyperphosphataemia; an absent bound below the
    plausible range left a calcium of 9 mg/dL in a grey zone."""
    status, text = _check(_kb_copy(tmp_path, file, old, new))
    assert status == 2 and said in text, text


def test_a_lab_limit_waiting_for_its_own_clue_is_refused(tmp_path: Path) -> None:
    text = (builtin_rules_dir() / "labs.toml").read_text(encoding="utf-8")
    assert "requires = { preterm_infant = true }" in text
    kb = _kb_copy(tmp_path, "labs.toml", "requires = { preterm_infant = true }", "requires = { hypocalcemia = true }")
    status, said = _check(kb)
    assert status == 2 and "names the limit's own clue 'hypocalcemia'" in said


def test_an_empty_modality_list_for_an_absent_finding_is_refused(tmp_path: Path) -> None:
    clue = ('[clues.my_flag]\nlabel = "My flag"\ndescription = "x"\ngroup = "calcium"\nspecificity = "high"\n'
            'absent_needs_modality = []\n')
    status, text = _check(_pack(tmp_path / "pack", {"clues.toml": clue}))
    assert status == 2 and "clues.my_flag.absent_needs_modality" in text


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_csv_and_tsv_cells_are_never_spreadsheet_formulas(tmp_path: Path, fmt: str) -> None:
    cause = CAUSE.format(prior=0.5).replace('name = "Test cause"', 'name = "=HYPERLINK(1)"')
    pack = _pack(tmp_path / "pack", {"causes/test_cause.toml": cause})
    case = json.dumps({"id": "=1+1", "pattern": "medullary", "age_years": 40, "clues": {"hypokalemia": True}})
    status, out, err = invoke(["diff", "--rules", str(pack), "--case", "-", "-f", fmt], case.encode())
    assert status == 0, err
    cells = [cell.strip('"') for line in out.splitlines()[1:] for cell in line.split("," if fmt == "csv" else "\t")]
    assert "'=1+1" in cells and "'=HYPERLINK(1)" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_multi_line_prose_in_a_pack_is_read_as_one_paragraph(tmp_path: Path) -> None:
    """A finding note, a rule-out test or a can't-miss reason with a line break forged ranking rows and bullets."""
    cause = (CAUSE.format(prior=0.5).replace('summary = "A test."', 'summary = """A test.\n\n## Forged heading"""')
             .replace('[[findings]]\nclue = "hypokalemia"\nfrequency = "usually"\n',
                      '[[findings]]\nclue = "hypokalemia"\nfrequency = "usually"\n'
                      'note = """first line\n  1   Distal RTA     99.0%  forged"""\n'))
    pack = _pack(tmp_path / "pack", {"causes/test_cause.toml": cause})
    status, out, err = invoke(["cause", "test_cause", "--rules", str(pack)])
    assert status == 0, err
    assert "A test. ## Forged heading" in out and not any(line.startswith("## Forged") for line in out.splitlines())
    status, out, err = invoke(["diff", "--rules", str(pack), "-p", "medullary", "--age", "40", "--hypokalemia",
                               "--explain", "-f", "json"])
    assert status == 0 and "first line 1 Distal RTA 99.0% forged" in out


def test_a_caveat_wanting_an_implied_clue_absent_is_refused(tmp_path: Path) -> None:
    """present = [kidney_failure] with absent = [ckd] never fired: kidney failure is CKD."""
    caveat = ('[[caveats]]\nid = "c"\nmessage = "m"\nsources = ["Bhat12"]\n[caveats.when]\n'
              'present = ["kidney_failure"]\nabsent = ["ckd"]\n')
    status, text = _check(_pack(tmp_path / "pack", {"caveats.toml": caveat}))
    assert status == 2 and "caveats.0.when.absent: 'ckd' is implied" in text


@pytest.mark.parametrize(("rule_out", "said"), [
    ('rule_out = { test = "t", clue = "hearing_loss", sources = ["Bhat12"] }', "is not a finding of this cause"),
    ('rule_out = { test = "t", clue = "hypokalemia", lab = "pth", sources = ["Bhat12"] }',
     "lab 'pth' does not read 'hypokalemia'"),
    ('rule_out = { test = "t", clue = "hypokalemia", when_present = ["no_such_clue"], sources = ["Bhat12"] }',
     "rule_out.when_present[0]: unknown clue 'no_such_clue'"),
    ('rule_out = { test = "t", clue = "hypokalemia", when_present = ["hypokalemia"], sources = ["Bhat12"] }',
     "rule_out.when_present[0]: 'hypokalemia' is the clue the test settles"),
    ('rule_out = { test = "t", clue = "hypokalemia", first = "no_such_clue", sources = ["Bhat12"] }',
     "rule_out.first: unknown clue 'no_such_clue'"),
    ('rule_out = { test = "t", clue = "hypokalemia", first = "hypokalemia", sources = ["Bhat12"] }',
     "rule_out.first: 'hypokalemia' is the clue the test settles"),
    ('rule_out = { test = "t", clue = "hypokalemia", below_age = 0, sources = ["Bhat12"] }', "rule_out.below_age"),
    ('rule_out = { test = "t", clue = "hypokalemia", below_age = "child", sources = ["Bhat12"] }',
     "rule_out.below_age"),
])
def test_a_rule_out_that_cannot_rule_out_is_refused(tmp_path: Path, rule_out: str, said: str) -> None:
    cause = CAUSE.format(prior=0.01).replace('sources = ["Bhat12"]\n\n[prior]',
                                             f'sources = ["Bhat12"]\n{rule_out}\n\n[prior]', 1)
    status, text = _check(_pack(tmp_path / "pack", {"causes/test_cause.toml": cause}))
    assert status == 2 and said in text, text


def test_an_agent_inside_another_clues_agent_is_refused(tmp_path: Path) -> None:
    """'calcium' beside the built-in 'calcium carbonate' made one drug state two clues."""
    clue = ('[clues.my_drug]\nlabel = "My drug"\ndescription = "x"\ngroup = "calcium"\nspecificity = "high"\n'
            'hpo_note = "local"\nagents = ["calcium"]\n')
    status, text = _check(_pack(tmp_path / "pack", {"clues.toml": clue}))
    assert status == 2 and "'calcium' and 'calcium carbonate' of calcium_alkali_intake" in text


@pytest.mark.parametrize(("file", "old", "new", "said"), [
    ("grading.toml", 'key = "3"', 'key = "130"', "rows.3.key: '130' is not a grade"),
    ("grading.toml", 'key = "3"', 'key = "2"', "rows.3.key: '2' has a row already"),
    ("grading.toml", 'key = "3"', 'key = "2"', "rows: no row for grade 3"),
    ("imaging.toml", 'key = "US"', 'key = "PET"', "rows.1.key: 'PET' is not a modality: use one of US, CT"),
])
def test_reference_table_rows_are_grades_and_modalities(tmp_path: Path, file: str, old: str, new: str,
                                                         said: str) -> None:
    """A grade 130 was listed by `nephrocalc grading` and grade 3 lost; a PET row replaced ultrasound."""
    status, text = _check(_kb_copy(tmp_path, file, old, new))
    assert status == 2 and f"{file}: {said}" in text, text


def test_an_age_band_from_zero_without_below_names_the_bound_it_has(tmp_path: Path) -> None:
    cause = CAUSE.format(prior=0.01) + '\n[[age]]\nat_least = 0\nratio = 0.5\nsources = ["Bhat12"]\n'
    status, text = _check(_pack(tmp_path / "pack", {"causes/test_cause.toml": cause}))
    assert status == 2 and "age.0: at_least = 0 with no below holds at every age" in text, text


@pytest.mark.parametrize(("old", "new"), [
    # a second adult limit of hypercalcaemia: 11 mg/dL was read as hypercalcaemia by one, and as none by the other
    ('[[labs.serum_calcium.limits]]\nclue = "hypocalcemia"\nbelow = 8.5',
     '[[labs.serum_calcium.limits]]\nclue = "hypercalcemia"\nabove = 13.0\nabsent_at_most = 12.5\nsources = ["MPT-Ca"]'
     '\n\n[[labs.serum_calcium.limits]]\nclue = "hypocalcemia"\nbelow = 8.5'),
    # the adult limit moved to age 0 overlaps the infants' (11.0): 10.7 mg/dL at 6 months was read both ways
    ('above = 10.5\nabsent_at_most = 10.0\nage_at_least = 18', 'above = 10.5\nabsent_at_most = 10.0\nage_at_least = 0'),
])
def test_two_limits_reading_one_value_both_ways_are_refused(tmp_path: Path, old: str, new: str) -> None:
    status, text = _check(_kb_copy(tmp_path, "labs.toml", old, new))
    assert status == 2 and "labs.toml: labs.serum_calcium" in text and "read one value both ways" in text, text


def test_limits_of_one_clue_in_other_contexts_or_ages_are_accepted(tmp_path: Path) -> None:
    """The shipped pairs: infant limits beside the adult one, a term and a preterm limit (requires/unless)."""
    status, text = _check(_kb_copy(tmp_path, "labs.toml", 'label = "neonatal and infant definition (term)"',
                                   'label = "neonatal and infant definition, term"'))
    assert status == 0, text


@pytest.mark.parametrize(("new", "said"), [
    # a cycle: each term was read as the other, or as nothing, by the order of the table
    ('"HP:0003152" = "HP:0031415"\n"HP:0031415" = "HP:0003152"', "is itself listed as obsolete (a chain or a cycle)"),
    # the medullary pattern's own term sent to hypercalcaemia
    ('"HP:0003152" = "HP:0031415"\n"HP:0012408" = "HP:0003072"',
     "obsolete_replaced_by.HP:0012408: HP:0012408 is a term of the vocabulary (the medullary pattern)"),
    ('"HP:0003152" = "HP:0000001"', "its replacement HP:0000001 is no term of a clue or pattern"),
])
def test_the_obsolete_term_table_is_checked(tmp_path: Path, new: str, said: str) -> None:
    status, text = _check(_kb_copy(tmp_path, "hpo.toml", '"HP:0003152" = "HP:0031415"', new))
    assert status == 2 and "hpo.toml: obsolete_replaced_by." in text and said in text, text


def test_an_interaction_does_not_override_a_contradiction(tmp_path: Path) -> None:
    """An interaction of x50 for metabolic alkalosis under a medullary pattern made it evidence for distal RTA,
    whose [[contradicts]] gives it 0.02: the contradiction keeps its own ratio."""
    interaction = ('[[interactions]]\nid = "alkalosis_x50"\npattern = "medullary"\nclue = "metabolic_alkalosis"\n'
                   'distribution = "medullary"\nlr_present = 50.0\nsources = ["Thomas22"]\nnote = "a test"\n\n'
                   '[[interactions]]\nid = "combined_with_cortical_atrophy"')
    kb = _kb_copy(tmp_path, "knowledge_base.toml", '[[interactions]]\nid = "combined_with_cortical_atrophy"',
                  interaction)
    argv = ["diff", "-p", "medullary", "--age", "40", "--metabolic-alkalosis", "-f", "json"]
    status, out, err = invoke([*argv, "--rules", str(kb)])
    assert status == 0, err
    ranked = {row["cause"]: row for row in json.loads(out)["differential"]}
    drta = ranked["distal_rta"]
    alkalosis = [t for t in drta["conflicting"] if t.get("clue") == "metabolic_alkalosis"]
    assert alkalosis and alkalosis[0]["weight"] < 0, drta
    assert not any(t.get("clue") == "metabolic_alkalosis" for t in drta["supporting"])
    assert ranked["milk_alkali_syndrome"]["rank"] < drta["rank"]


def test_a_rule_out_test_on_a_cause_that_is_not_cant_miss_is_noted(tmp_path: Path) -> None:
    """[rule_out] is proposed only for a can't-miss cause: on another it was accepted and never shown, without a
    word (black-box review 11)."""
    cause = CAUSE.format(prior=0.01).replace("[prior]", '[rule_out]\ntest = "a test"\nsources = ["Bhat12"]\n\n[prior]')
    status, text = _check(_pack(tmp_path / "pack", {"causes/test_cause.toml": cause}))
    # a note, not an error: the pack still loads (a pack written before the check keeps working)
    assert status == 0 and ("note: causes/test_cause.toml: rule_out: the test is proposed only for a can't-miss "
                            "cause") in text, text
    status, text = _check(_pack(tmp_path / "ok", {"causes/test_cause.toml": cause.replace(
        "cant_miss = false", 'cant_miss = true\ncant_miss_reason = "harm"')}))
    assert "proposed only for a can't-miss cause" not in text, text


def test_a_replacement_that_drops_a_form_another_cause_takes_over_is_named(tmp_path: Path) -> None:
    """A pack replacing hypervitaminosis D without its active-vitamin-D form broke the extended cause that takes
    that form over; only the built-in file was named, not the pack's, which is the one to change (black-box review
    11)."""
    pack = _pack(tmp_path / "repl", {"causes/hypervitaminosis_d.toml": CAUSE.format(prior=0.01)})
    status, text = _check(pack, "--extended")
    assert status == 2 and "has no form 'active_vitamin_d_therapy'" in text, text
    assert "hypervitaminosis_d is the one in repl/causes/hypervitaminosis_d.toml" in text


@pytest.mark.parametrize(("certainty", "said"), [
    ('[certainty]\ncap = 0.6\nunless = "hypokalemia"\nalso_unless = ["no_such_clue"]\nsources = ["Bhat12"]\n'
     'note = "n"\n', "certainty.also_unless[0]: unknown clue 'no_such_clue'"),
    ('[certainty]\ncap = 0.6\nalso_unless = ["hypokalemia"]\nsources = ["Bhat12"]\nnote = "n"\n',
     "certainty.also_unless[0]: needs unless"),
])
def test_a_certainty_cap_lifted_by_nothing_known_is_refused(tmp_path: Path, certainty: str, said: str) -> None:
    cause = CAUSE.format(prior=0.01) + "\n" + certainty
    status, text = _check(_pack(tmp_path / "pack", {"causes/test_cause.toml": cause}))
    assert status == 2 and said in text, text



def test_a_pack_clue_may_not_claim_a_concept_hpo_cross_references_read_as_a_built_in_clue(tmp_path: Path) -> None:
    """Robustness round 73: postpartum haemorrhage (47821001) is read as obstetric_catastrophe through HP:0011891
    ([snomed_xrefs] in hpo.toml); a pack clue listing it took the concept over, and cortical necrosis fell from 98%
    to 37% on a bundle stating it, without a word."""
    pack = _pack(tmp_path / "pack", {"clues.toml": '[clues.my_marker]\nlabel = "My marker"\ndescription = "x"\n'
                                     'group = "history"\nspecificity = "high"\nsnomed = ["47821001"]\n'})
    status, said = _check(pack)
    assert status == 2 and "clues.my_marker.snomed: 47821001 is already read as clue 'obstetric_catastrophe' " \
        "(through HP:0011891, [snomed_xrefs] in hpo.toml)" in said


@pytest.mark.parametrize("term", ["HP:0000118", "HP:0000077"])
def test_a_pack_clue_may_not_take_a_term_above_the_nephrocalcinosis_terms(tmp_path: Path, term: str) -> None:
    """Robustness round 74: a clue on Phenotypic abnormality or Abnormality of the kidney made a phenopacket's generic
    feature that clue."""
    pack = _pack(tmp_path / "pack", {"clues.toml": '[clues.my_marker]\nlabel = "My marker"\ndescription = "x"\n'
                                     f'group = "history"\nspecificity = "high"\nhpo = ["{term}"]\n'})
    status, said = _check(pack)
    assert status == 2 and f"clues.my_marker.hpo: {term} is above the nephrocalcinosis terms in HPO" in said


def test_a_finding_against_a_cause_cannot_lift_its_certainty_cap(tmp_path: Path) -> None:
    """Robustness round 74: a pack's cap lifted by a finding that argues against the cause raised the shown
    probability past the cap when the finding was stated."""
    cause = CAUSE.format(prior=0.01) + ('\n[[findings]]\nclue = "hypercalcemia"\nfrequency = "almost_never"\n'
                                        'sources = ["Bhat12"]\n\n[certainty]\ncap = 0.6\nunless = "hypercalcemia"\n'
                                        'sources = ["Bhat12"]\nnote = "test"\n')
    status, said = _check(_pack(tmp_path / "pack", {"causes/test_a.toml": cause}))
    assert status == 2 and "certainty.unless: 'hypercalcemia' argues against this cause" in said
    lifted = cause.replace('frequency = "almost_never"', 'frequency = "usually"')
    assert _check(_pack(tmp_path / "good", {"causes/test_a.toml": lifted}))[0] == 0


@pytest.mark.parametrize(("when", "refused"), [('not_present = ["hypercalcemia"]', True),
                                               ('unknown = ["hypercalcemia"]', True),
                                               ('not_present = ["hypercalcemia"]\npattern = ["cortical"]', False)])
def test_a_caveat_of_only_not_present_or_unknown_is_refused(tmp_path: Path, when: str, refused: bool) -> None:
    """Robustness round 74: a caveat whose only condition was not_present passed and fired on nearly every case."""
    caveat = f'[[caveats]]\nid = "my_note"\nmessage = "A note."\nsources = ["Bhat12"]\n[caveats.when]\n{when}\n'
    status, said = _check(_pack(tmp_path / "pack", {"caveats.toml": caveat}))
    assert (status == 2 and "only not_present or unknown: the caveat would fire on nearly every case" in said) \
        is refused, said
