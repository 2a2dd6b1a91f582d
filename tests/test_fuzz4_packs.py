"""Rule-pack defects of the fourth black-box round (items 4, 5, 10 and 11; each test fails without its fix).

A pack cause that replaces a built-in one is held, with the causes it joins, to priors summing to at most 1; a
causes/ entry that is not <id>.toml is reported; a refused source URL is told the rule it breaks; nan and
infinities are "not a finite number" in every number field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import invoke
from test_pack_review import CAUSE, _check, _kb_copy, _pack

from nephrocalc.loader import builtin_rules_dir


def _distal_rta(adult: str) -> str:
    text = (builtin_rules_dir() / "causes" / "distal_rta.toml").read_text(encoding="utf-8")
    assert "[prior]\nadult = 0.19\n" in text
    return text.replace("[prior]\nadult = 0.19\n", f"[prior]\nadult = {adult}\n", 1)


def test_a_replacement_that_lifts_the_loaded_priors_above_1_is_refused(tmp_path: Path) -> None:
    """distal_rta replaced with adult = 0.99 (built-in 0.19): the loaded adult priors summed to 1.8, accepted."""
    pack = _pack(tmp_path / "pack", {"causes/distal_rta.toml": _distal_rta("0.99")})
    status, said = _check(pack)
    assert status == 2, said
    assert ("causes/distal_rta.toml: prior.adult: 0.99 in place of 0.19 brings the priors of the built-in knowledge "
            "base's causes to 1.8 for adult") in said
    assert "prior.child" not in said and "prior.preterm" not in said
    status, _, err = invoke(["diff", "--rules", str(pack), "-p", "medullary", "--age", "60"])
    assert status == 2 and "causes/distal_rta.toml: prior.adult" in err
    # the same replacement with the built-in prior, or a lower one, is accepted
    for adult in ("0.19", "0.1"):
        same = _pack(tmp_path / f"pack_{adult}", {"causes/distal_rta.toml": _distal_rta(adult)})
        assert _check(same)[0] == 0


def test_a_replacement_that_tips_the_priors_over_is_named_with_its_pack(tmp_path: Path) -> None:
    first = _pack(tmp_path / "site", {"causes/distal_rta.toml": _distal_rta("0.5")})
    second = _pack(tmp_path / "other_site", {"causes/test_cause.toml": CAUSE.format(prior=0.01)})
    status, said = _check(first, str(second))
    assert status == 2 and "site/causes/distal_rta.toml: prior.adult: 0.5 in place of 0.19" in said, said
    status, said = _check(first, "--extended")
    assert status == 2 and "site/causes/distal_rta.toml: prior.adult: 0.5 in place of 0.19" in said, said


def test_a_complete_knowledge_base_whose_priors_sum_above_1_is_refused(tmp_path: Path) -> None:
    kb = _kb_copy(tmp_path, "causes/distal_rta.toml", "[prior]\nadult = 0.19\n", "[prior]\nadult = 0.99\n")
    status, said = _check(kb)
    assert status == 2 and "causes: prior.adult: the knowledge base's causes have priors summing to 1.8" in said, said


@pytest.mark.parametrize("name", ["test_cause.toml.bak", "test_cause.toml.orig", "test_cause.md", "README"])
def test_a_cause_file_under_another_name_is_reported(tmp_path: Path, name: str) -> None:
    """causes/bartter_syndrome.toml.bak was neither loaded nor reported (only "12 causes" instead of 13 hinted).
    Hidden entries and editor backups (*~) are still left alone."""
    pack = _pack(tmp_path / "pack", {"pack.toml": 'name = "p"\nversion = "1"\n',
                                     f"causes/{name}": CAUSE.format(prior=0.01),
                                     "causes/test_cause.toml~": "half an edit", "causes/.test_cause.toml.swp": "x"})
    status, said = _check(pack)
    assert status == 2 and said.count("\n") == 2 and said.startswith(f"causes/{name}: not a cause file"), said


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x", "https://example.org/a b",
                                 "10.1155/2012/857136", ""])
def test_a_refused_source_url_is_told_the_rule_it_breaks(tmp_path: Path, url: str) -> None:
    """Every refused URL read "must be one line of text, not blank", whatever was wrong with it."""
    pack = _pack(tmp_path / "pack", {"sources.toml": f'[Evil1]\ncitation = "A citation"\nurl = "{url}"\n'})
    status, said = _check(pack)
    assert status == 2, said
    assert (f"sources.toml: Evil1.url: must be an http:// or https:// URL, or a doi: or isbn: reference, with no "
            f"spaces (got {url!r})") in said
    assert "one line of text" not in said


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize(("extra", "field"), [
    ('\n[certainty]\ncap = {v}\nunless = "hypokalemia"\nsources = ["Bhat12"]\nnote = "n"\n', "certainty.cap"),
    ('\n[[age]]\nat_least = {v}\nratio = 2\nsources = ["Bhat12"]\n', "age.0.at_least"),
    ('\n[[findings]]\nclue = "hypercalciuria"\nfrequency = "often"\nage_at_least = {v}\nsources = ["Bhat12"]\n',
     "findings.1.age_at_least"),
])
def test_nan_and_infinities_are_not_finite_numbers_in_every_field(tmp_path: Path, extra: str, field: str,
                                                                   value: str) -> None:
    """certainty.cap = nan was "Input should be less than 0.95"; prior.adult = nan said "a finite number"."""
    pack = _pack(tmp_path / "pack", {"causes/test_cause.toml": CAUSE.format(prior=0.01) + extra.format(v=value)})
    status, said = _check(pack)
    assert status == 2 and f"causes/test_cause.toml: {field}: Input should be a finite number" in said, said


def test_an_open_world_figure_that_is_nan_is_not_a_finite_number(tmp_path: Path) -> None:
    other = ('name = "p"\nversion = "1"\n\n[other]\nadult = 0.12\nchild = 0.2\npreterm = 0.05\nunused_clue_lr = nan\n'
             'sources = ["Bhat12"]\n')
    status, said = _check(_pack(tmp_path / "pack", {"pack.toml": other}))
    assert status == 2 and "pack.toml: other.unused_clue_lr: Input should be a finite number" in said, said
