"""What robustness round 63 found. Each fix is held by a test that fails without it."""

from __future__ import annotations

import pytest
from helpers import invoke


@pytest.mark.parametrize(("typed", "shown"), [("x\\y", "(got 'x\\\\y')"), ("x'y", "(got \"x'y\")"),
                                              ("abc", "(got 'abc')")])
def test_an_unreadable_age_is_quoted_once(typed: str, shown: str) -> None:
    """A backslash typed in --age was shown as four (click's quoting, quoted again), and an age with a quote in it
    fell back to click's "is not a valid float range"."""
    status, _, err = invoke(["diff", "-p", "medullary", "--age", typed])
    assert status == 2 and err.startswith("nephrocalc: error: --age: must be an age in years"), err
    assert shown in err and err.count("\n") == 1, err
