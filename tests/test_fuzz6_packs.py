"""Black-box review 6, rule packs (items 7, 8, 9, 11 and 12 of its report; each test fails without its fix).

A complete knowledge base without hpo.toml, a caveat of no condition, the shipped extended pack checked from
another folder or loaded twice, a hidden file in causes/, and a takes_over conflict met under --extended.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import invoke
from test_pack_review import CAUSE, _check, _kb_copy, _pack

from nephrocalc.loader import extended_rules_dir

CAVEAT = """[[caveats]]
id = "test_caveat"
message = "A test caveat."
sources = ["Bhat12"]
{when}
"""


def test_a_complete_knowledge_base_needs_hpo_toml(tmp_path: Path) -> None:
    """7: without hpo.toml `rules check` said ok, and the HPO descendants of the clues' terms (hypokalaemia's
    HP:0012726) then mapped to no clue: it is required, as labs.toml is."""
    kb = _kb_copy(tmp_path, "labs.toml", "plausible = [2.0, 25.0]", "plausible = [1.0, 25.0]")
    (kb / "hpo.toml").unlink()
    status, text = _check(kb)
    assert status == 2 and "hpo.toml: file is missing" in text, text
    status, _, err = invoke(["diff", "--rules", str(kb), "-p", "medullary"])
    assert status == 2 and "hpo.toml: file is missing" in err, err
    # a pack has no hpo.toml: it reads the one of the knowledge base it is laid over
    pack = _pack(tmp_path / "pack", {"causes/test_cause.toml": CAUSE.format(prior=0.01)})
    assert _check(pack)[0] == 0


@pytest.mark.parametrize("when", ["[caveats.when]", "when = {}"])
def test_a_caveat_of_no_condition_is_refused(tmp_path: Path, when: str) -> None:
    """8: an empty [caveats.when] passed the check, and the caveat then fired on every case."""
    pack = _pack(tmp_path / "pack", {"caveats.toml": CAVEAT.format(when=when)})
    status, text = _check(pack)
    assert status == 2 and "caveats.toml: caveats.0.when: no condition: the caveat would fire on every case" \
        in text, text
    ok = _pack(tmp_path / "ok", {"caveats.toml": CAVEAT.format(when='when = { pattern = ["cortical"] }')})
    assert _check(ok)[0] == 0


def test_the_shipped_extended_pack_passes_from_another_folder(tmp_path: Path) -> None:
    """9: `rules check rules/extended` (documented in its pack.toml) failed unless the folder was the installed one,
    since the shipped name was allowed by path: a copy holding the same rules passes, comments aside; an edited
    copy under the shipped name is still refused."""
    copy = tmp_path / "extended"
    shutil.copytree(extended_rules_dir(), copy)
    pack_toml = copy / "pack.toml"
    pack_toml.write_text("# a comment changes no rule\n" + pack_toml.read_text(encoding="utf-8"), encoding="utf-8")
    status, text = _check(copy)
    assert status == 0 and text.startswith("ok: nephrocalc extended knowledge base"), text
    cause = copy / "causes" / "fhhnc.toml"
    cause.write_text(cause.read_text(encoding="utf-8").replace('name = "', 'name = "Edited ', 1), encoding="utf-8")
    status, text = _check(copy)
    assert status == 2 and "pack.toml: name" in text and "kept for the knowledge bases that ship" in text, text


def test_the_extended_pack_is_not_loaded_twice(tmp_path: Path) -> None:
    """9: `--extended --rules <the extended folder>` loaded it twice, and the footer named it twice; it is refused as
    `--rules A --rules A` is, for a copy of it too."""
    copy = tmp_path / "extended"
    shutil.copytree(extended_rules_dir(), copy)
    for folder in (extended_rules_dir(), copy):
        status, _, err = invoke(["diff", "--extended", "--rules", str(folder), "-p", "medullary", "-n", "1"])
        assert status == 2 and "extended knowledge base, which --extended" in err and "give it once" in err, err
        status, text = _check(folder, "--extended")
        assert status == 2 and "give it once" in text, text
    status, out, err = invoke(["diff", "--rules", str(copy), "-p", "medullary", "-f", "json"])
    assert status == 0, err
    assert [pack["name"] for pack in json.loads(out)["rules"]].count("nephrocalc extended knowledge base") == 1, out


def test_a_hidden_toml_in_causes_is_ignored(tmp_path: Path) -> None:
    """11: causes/.hidden.toml was read as a cause file and refused ("the file name must be a cause id"), though
    hidden entries are ignored, as causes/.DS_Store is."""
    pack = _pack(tmp_path / "pack", {"causes/test_cause.toml": CAUSE.format(prior=0.01),
                                     "causes/.hidden.toml": "not = [valid",
                                     "causes/.DS_Store": ""})
    status, text = _check(pack)
    assert status == 0 and "13 causes" in text, text
    kb = _kb_copy(tmp_path, "labs.toml", "plausible = [2.0, 25.0]", "plausible = [1.0, 25.0]")
    (kb / "causes" / ".draft.toml").write_text("not = [valid", encoding="utf-8")
    status, text = _check(kb)
    assert status == 0 and "12 causes" in text, text
    # only hidden: the pack holds no cause file
    only = _pack(tmp_path / "only", {"causes/.hidden.toml": CAUSE.format(prior=0.01)})
    status, text = _check(only)
    assert status == 2 and "not a rule pack" in text, text


def test_a_takes_over_conflict_under_extended_names_the_users_file(tmp_path: Path) -> None:
    """12: the pack's cause took over half of hypervitaminosis D's active vitamin D form, which with the extended
    pack's XLH (0.8 in children) is more than all of it; the problem was pinned on the shipped extended file."""
    takes = '\n[[takes_over]]\ncause = "hypervitaminosis_d"\nform = "active_vitamin_d_therapy"\n' \
            'share = { adult = 0.5, child = 0.5, preterm = 0.0 }\nsources = ["Bhat12"]\n'
    # named to sort before hypophosphatemic_rickets_therapy: the entries were summed in the order of the cause ids
    pack = _pack(tmp_path / "pack", {"causes/fuzz_cause.toml": CAUSE.format(prior=0.01) + takes})
    assert _check(pack)[0] == 0
    status, text = _check(pack, "--extended")
    assert status == 2 and "pack/causes/fuzz_cause.toml: takes_over.0.share: with the other causes that take over " \
        "hypervitaminosis_d's form 'active_vitamin_d_therapy' (hypophosphatemic_rickets_therapy), more than all " \
        "of it (child)" in text, text
    assert "hypophosphatemic_rickets_therapy.toml" not in text, text


def test_rules_check_lays_an_environment_packs_problem_at_that_pack(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """With a broken $NEPHROCALC_RULES pack, the summary said '1 problem in <the folder checked>'."""
    broken = _pack(tmp_path / "envpack", {"causes/test_cause.toml": CAUSE.format(prior=0.01).replace(
        "sources =", "lr_present = 0.0\nsources =", 1)})
    good = _pack(tmp_path / "mine", {"causes/test_cause2.toml": CAUSE.format(prior=0.01)})
    monkeypatch.setenv("NEPHROCALC_RULES", str(broken))
    status, text = _check(good)
    assert status == 2
    assert f"0 problems in {good}; 1 in {broken} ($NEPHROCALC_RULES)" in text, text


def test_rules_check_points_out_new_causes_holding_half_of_nephrocalcinosis(tmp_path: Path) -> None:
    """A new cause with a prior of 0.9 passed the check silently and halved every built-in prior at run time (the
    priors are renormalised together, by design: the extended pack adds 0.18-0.37)."""
    big = _pack(tmp_path / "big", {"causes/test_cause.toml": CAUSE.format(prior=0.9)})
    status, text = _check(big)
    assert status == 0 and "note: the causes" in text and "every other prior scaled by 0.53" in text, text
    small = _pack(tmp_path / "small", {"causes/test_cause.toml": CAUSE.format(prior=0.01)})
    status, text = _check(small)
    assert status == 0 and "note:" not in text


def test_an_edited_extended_folder_inside_a_knowledge_base_is_not_silently_ignored(tmp_path: Path) -> None:
    """A copy of rules/ carries extended/, which --extended never reads (it loads the shipped extended knowledge
    base): a copy of it as it ships is fine, but an edited or broken one is named, not passed over (black-box
    review 8: broken TOML there passed `rules check --extended` with exit 0)."""
    from nephrocalc.loader import builtin_rules_dir

    kb = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), kb)
    status, text = _check(kb)
    assert status == 0, text
    status, out, err = invoke(["diff", "--rules", str(kb), "--extended", "-p", "medullary", "-f", "json"])
    assert status == 0, err
    (kb / "extended" / "pack.toml").write_text("garbage = [\n", encoding="utf-8")
    for extra in ((), ("--extended",)):
        status, text = _check(kb, *extra)
        assert status == 2 and "extended: not read: it differs from the extended knowledge base that ships" in text
        assert f"--rules {kb / 'extended'}" in text
    status, out, err = invoke(["diff", "--rules", str(kb), "--extended", "-p", "medullary"])
    assert status == 2 and out == "" and err.count("\n") == 1 and "extended: not read" in err


def test_a_poor_fit_caveat_makes_the_fit_poor_and_a_poor_fit_warning_is_refused(tmp_path: Path) -> None:
    """A caveat may carry poor_fit (the extended pack's gated causes): when it applies the fit is poor and its id is
    under fit.caveats. A warning is about the input, not the leading cause: poor_fit there is refused, by name."""
    when = 'poor_fit = true\nwhen = { pattern = ["cortical"] }'
    pack = _pack(tmp_path / "pack", {"caveats.toml": CAVEAT.format(when=when)})
    assert _check(pack)[0] == 0
    status, out, err = invoke(["diff", "--rules", str(pack), "-p", "cortical", "--age", "40", "--format", "json"])
    fit = json.loads(out)["fit"]
    assert status == 0 and fit["status"] == "poor" and fit["caveats"] == ["test_caveat"], err
    status, out, err = invoke(["diff", "--rules", str(pack), "-p", "medullary", "--rta", "--format", "json"])
    assert status == 0 and json.loads(out)["fit"]["status"] == "good", err
    warning = _pack(tmp_path / "warning", {"caveats.toml": CAVEAT.format(when='kind = "warning"\n' + when)})
    status, text = _check(warning)
    assert status == 2 and "caveats.toml: caveats.0" in text and "poor_fit is for kind" in text, text
