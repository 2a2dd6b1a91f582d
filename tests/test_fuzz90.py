"""Robustness round 90: what was mended.

- a can't-miss cause's rule-out test was proposed (first of `diff`'s next findings, and asked by `ask`) when its
  finding was already settled by another state of its variable ([[exclusive]]) stated present: with a kidney
  transplant and hypoparathyroidism (or a suppressed PTH) stated, `--extended` proposed "PTH and serum calcium" for a
  raised PTH (chronic allograft calcification), though the PTH is known. The ordinary questions already left such a
  state out (UX review 84); the rule-out tests now do too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke


def _json(argv: list[str], stdin: bytes = b"") -> dict[str, Any]:
    status, out, err = invoke(argv, stdin)
    assert status == 0, err
    assert "Traceback" not in err
    result: dict[str, Any] = json.loads(out)
    return result


# --- a rule-out test whose finding an exclusive state settles --------------------------------------------------------

ALLOGRAFT = ["-p", "cortical", "--kidney-transplant", "--extended"]


@pytest.mark.parametrize("state", ["--hypoparathyroidism", "--low-pth"])
def test_a_rule_out_test_settled_by_an_exclusive_state_is_not_proposed(state: str) -> None:
    result = _json(["diff", *ALLOGRAFT, state, "--format", "json"])
    assert "high_pth" not in [item["clue"] for item in result["next_findings"]]


def test_the_rule_out_test_is_still_proposed_while_its_finding_is_open() -> None:
    result = _json(["diff", *ALLOGRAFT, "--format", "json"])
    proposed = {item["clue"]: item for item in result["next_findings"]}
    assert proposed["high_pth"].get("cant_miss") == "chronic_allograft_calcification"


def test_ask_does_not_put_a_rule_out_test_settled_by_an_exclusive_state() -> None:
    status, _, err = invoke(["ask", *ALLOGRAFT, "--hypoparathyroidism", "--max-questions", "6", "--stop-at", "1"], b"u\n" * 6)
    assert status == 0, err
    asked = [line.split()[1] for line in err.splitlines() if line.startswith("? ")]
    assert asked and "high_pth" not in asked
