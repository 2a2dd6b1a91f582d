"""Robustness round 76 (rule packs as a clinician writes, copies and breaks them): what was fixed.

- a byte-for-byte copy of a built-in cause, loaded as a pack that replaces it, was refused beside --extended: the
  replacement was summed with the extended causes as if it were new ("priors summing to 1.19"), naming no file;
- a rule file saved as caveats.toml.txt (Notepad's default), caveats.txt, .orig, .bak was set aside as documentation
  and its rules silently unread while `rules check` said ok;
- `nephrocalc cause ID` never showed the rule-out test that `diff` sends the reader there for;
- csv, tsv and phenopacket results did not name the packs they were ranked with;
- a copy of rules/ refused for its shipped name did not say which file differs;
- a pack clue's HPO term below another clue's term, or outside the HPO terms that ship, was not pointed out.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import invoke

from nephrocalc.loader import builtin_rules_dir


def _pack(tmp_path: Path, name: str = "site") -> Path:
    pack = tmp_path / name
    (pack / "causes").mkdir(parents=True)
    (pack / "pack.toml").write_text(f'name = "{name}"\nversion = "1"\n', encoding="utf-8")
    return pack


def test_an_unchanged_copy_of_a_built_in_cause_loads_beside_extended(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    shutil.copy(builtin_rules_dir() / "causes" / "chronic_hypercalciuria.toml", pack / "causes")
    for args in (["rules", "check", "--extended", str(pack)],
                 ["diff", "--extended", "--rules", str(pack), "-p", "medullary", "--age", "0.1", "--preterm-infant"]):
        status, _, err = invoke(args)
        assert status == 0, err


def test_priors_over_one_across_packs_name_their_files(tmp_path: Path) -> None:
    cause = (builtin_rules_dir() / "extended" / "causes" / "bartter_syndrome.toml").read_text(encoding="utf-8")
    packs = []
    for name, cause_id in (("pa", "zebra_one"), ("pb", "zebra_two")):
        pack = _pack(tmp_path, name)
        text = cause.replace("adult = ", "adult = 0.6 #", 1)
        (pack / "causes" / f"{cause_id}.toml").write_text(text, encoding="utf-8")
        shutil.copy(builtin_rules_dir() / "extended" / "sources.toml", pack / "sources.toml")
        packs.append(str(pack))
    status, _, err = invoke(["rules", "check", *packs])
    assert status == 2
    assert "summing to 1.2 for adult" in err and "zebra_one.toml 0.6" in err, err


@pytest.mark.parametrize("name", ["caveats.toml.txt", "caveats.txt", "caveats.toml.bak", "caveats.toml.orig",
                                  "clues.toml.md"])
def test_a_rule_file_under_another_name_is_reported(tmp_path: Path, name: str) -> None:
    pack = _pack(tmp_path)
    (pack / name).write_text("[[caveats]]\n", encoding="utf-8")
    (pack / "README.md").write_text("notes\n", encoding="utf-8")  # documentation stays set aside
    (pack / "clues.toml~").write_text("", encoding="utf-8")  # as does an editor's backup
    status, _, err = invoke(["rules", "check", str(pack)])
    rule = name.split(".")[0] + ".toml"
    assert status == 2 and f"{name}: not read: a rule file must be named {rule}" in err, err
    assert "README.md" not in err and "clues.toml~" not in err


def test_the_cause_page_gives_the_rule_out_test() -> None:
    status, out, err = invoke(["cause", "renal_tuberculosis"])
    assert status == 0, err
    text = " ".join(out.split())
    assert "Rule-out test: urine AFB culture and TB PCR" in text
    assert "tuberculosis stated absent (a history) does not settle it" in text
    status, out, _ = invoke(["cause", "primary_hyperoxaluria", "--format", "json"])
    rule = json.loads(out)["rule_out"]
    assert rule["below_age"] == 18 and rule["clue"] == "hyperoxaluria" and rule["absent_settles"] is True


def test_rows_ranked_with_a_pack_name_it(tmp_path: Path) -> None:
    status, _, err = invoke(["diff", "-p", "medullary", "-f", "csv", "--extended"])
    assert status == 0 and "Knowledge base: nephrocalc built-in knowledge base" in err
    assert "nephrocalc extended knowledge base" in err
    status, _, err = invoke(["diff", "-p", "medullary", "-f", "csv"])
    assert status == 0 and "Knowledge base:" not in err  # the built-in rules alone: the notice as before
    status, out, _ = invoke(["diff", "-p", "medullary", "-f", "phenopacket", "--extended"])
    resource = json.loads(out)["metaData"]["resources"][0]
    assert "with nephrocalc extended knowledge base" in resource["name"]


def test_an_edited_copy_with_the_shipped_name_says_what_differs(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), copy, ignore=shutil.ignore_patterns("extended"))
    path = copy / "causes" / "distal_rta.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('note = "', 'note = "Reviewed: ', 1), encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(copy)])
    assert status == 2 and "this copy differs in causes/distal_rta.toml" in err, err


def test_pack_hpo_terms_are_pointed_out(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    (pack / "clues.toml").write_text(
        '[groups]\nsite = "Site findings"\n\n'
        '[clues.recurrent_upper_uti]\nlabel = "Recurrent upper UTI"\ndescription = "Recurrent pyelonephritis."\n'
        'group = "site"\nspecificity = "moderate"\nhpo = ["HP:0012786"]\n\n'
        '[clues.made_up_finding]\nlabel = "Made-up finding"\ndescription = "A finding."\n'
        'group = "site"\nspecificity = "moderate"\nhpo = ["HP:9999999"]\n', encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 0, err
    said = " ".join(err.split())
    assert "HP:0012786 lies below the term of urinary_tract_infection" in said
    assert 'refines = ["urinary_tract_infection"]' in said
    assert "HP:9999999 is not among the HPO terms nephrocalc ships" in said
    assert "HP:0012786 is not among" not in said




def test_small_pack_mistakes_are_named_as_written(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    (pack / "clues.toml").write_text(
        '[groups]\nsite = "Site findings"\n\n'
        '[clues.stripe_sign]\nlabel = "Stripe sign"\ndescription = "A sign."\ngroup = "site"\n'
        'specificity = "moderate"\nhpo = []\nhpo_note = "no HPO term"\nsnomed = ["123456001", "123456001"]\n',
        encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 2 and "clues.stripe_sign.snomed: 123456001 is listed twice" in err, err
    (pack / "clues.toml").unlink()
    (pack / "caveats.toml").write_text(
        '[[caveats]]\nid = "both_ways"\nmessage = "A caveat."\nsources = ["Bota19"]\n'
        '[caveats.when]\nany_present = ["hematuria"]\nnot_present = ["hematuria"]\n', encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 2 and "hematuria is both any_present and not_present" in err, err


def test_the_clue_list_shows_what_a_clue_implies_and_how_it_is_looked_for() -> None:
    status, out, err = invoke(["clues"])
    assert status == 0, err
    text = " ".join(out.split())
    assert "implies: --advanced-ckd, --ckd" in text
    assert "looked for by: CT urography or IVU" in text
    status, out, _ = invoke(["clues", "--format", "json"])
    data = json.loads(out)
    clues = {c["id"]: c for c in (data["clues"] if isinstance(data, dict) else data)}
    assert clues["tubular_ectasia"]["test"].startswith("CT urography")
