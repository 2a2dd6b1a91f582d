"""What robustness round 66 and the clinician's review of round 66 found. Each fix is held by a test that fails
without it."""

from __future__ import annotations

import re

from helpers import invoke


def test_an_age_bounded_finding_points_to_the_by_age_table_for_its_ratios() -> None:
    """The findings table showed dRTA's 'CKD rarely under 2 years' with ratios 0.357 / 1.1, worked out against the
    all-ages background, which the engine never uses: at those ages the By-age table's entry (1 / 1, against the
    children's background) is in force. The two tables disagreed on one row."""
    status, out, _ = invoke(["cause", "distal_rta"], b"")
    assert status == 0
    findings, by_age = out.split("By age:", 1)
    row = next(line for line in findings.splitlines() if re.match(r"\s*ckd\s+rarely", line))
    assert "by age" in row and "0.357" not in row, row
    under_two = next(line for line in by_age.splitlines() if "ckd" in line and "under 2 years" in line)
    assert re.search(r"\b1\s+1\s*$", under_two), under_two
