"""A lab typed on the command line as the shell splits it: `--lab k=2.9 mmol/L` unquoted is two words, and the
unit arrives as an extra argument (session 2026-12-07, ninth)."""

from __future__ import annotations

import pytest
from helpers import invoke


@pytest.mark.parametrize(("argv", "said"), [
    (["--lab", "k=2.9", "mmol/L"], "--lab: 'k=2.9' and 'mmol/L' are two arguments: write k=2.9mmol/L, or quote it "
                                    "(\"k=2.9 mmol/L\")"),
    (["--lab=pth=<40", "pg/mL"], "--lab: 'pth=<40' and 'pg/mL' are two arguments: write pth=<40pg/mL"),
])
def test_a_unit_split_from_its_lab_is_named(argv: list[str], said: str) -> None:
    status, out, err = invoke(["diff", "--pattern", "medullary", *argv])
    assert status == 2 and not out
    assert err.startswith("nephrocalc: error: " + said) and err.count("\n") == 1


def test_the_one_word_and_quoted_forms_it_proposes_are_read() -> None:
    for lab in ("k=2.9mmol/L", "k=2.9 mmol/L", "pth=<40pg/mL"):
        status, _, err = invoke(["diff", "--pattern", "medullary", "--lab", lab, "--format", "json"])
        assert status == 0, err


def test_a_lab_without_a_unit_proposes_forms_the_shell_keeps_whole() -> None:
    status, _, err = invoke(["diff", "--pattern", "medullary", "--lab", "pth=40"])
    assert status == 2
    assert "(e.g. pth=40pg/mL, or quoted: \"pth=40 pg/mL\")" in err


def test_another_extra_argument_is_still_click_s_message() -> None:
    status, _, err = invoke(["diff", "--pattern", "medullary", "--lab", "k=2.9mmol/L", "foo"])
    assert status == 2 and "unexpected extra argument" in err and "--lab:" not in err
