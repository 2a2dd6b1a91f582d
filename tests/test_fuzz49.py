"""What robustness round 49 found: each fix, held by a test that fails without it."""

from __future__ import annotations

import json

from helpers import invoke


def test_a_batch_whose_lines_end_in_bare_carriage_returns_says_so() -> None:
    # classic Mac OS line ends: the whole input is one line, and the message spoke only of "trailing characters"
    status, out, _ = invoke(["batch", "-"], b'{"pattern":"medullary"}\r{"pattern":"cortical"}\r')
    assert status == 2
    record = json.loads(out.splitlines()[0])
    assert "carriage returns" in record["error"] and "tr '\\r' '\\n'" in record["error"]
    # a line ending in CR LF is a JSON Lines line like any other
    status, out, _ = invoke(["batch", "-"], b'{"pattern":"medullary"}\r\n{"pattern":"cortical"}\r\n')
    assert status == 0 and len(out.splitlines()) == 2
