"""What robustness round 66 and the clinician's review of round 66 found. Each fix is held by a test that fails
without it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
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


def _json(argv: list[str]) -> dict[str, Any]:
    status, out, err = invoke([*argv, "--format", "json"], b"")
    assert status == 0, err
    return dict(json.loads(out))


def _terms(result: dict[str, Any], cause: str) -> list[tuple[str, bool]]:
    entry = next(e for e in result["differential"] if e["cause"] == cause)
    return [(t["clue"], t["present"]) for t in (*entry["supporting"], *entry["conflicting"])]


def test_one_pth_value_counts_once_against_milk_alkali_syndrome() -> None:
    """A PTH of 130 pg/mL with hypercalcaemia counted x0.2 against milk-alkali syndrome as raised and x0.21 again as
    'not suppressed': one observation, two terms (a clinician's review)."""
    result = _json(["diff", "-p", "medullary", "--age", "58", "--sex", "female", "--lab", "serum_calcium=11.8mg/dL",
                    "--lab", "pth=130pg/mL"])
    terms = _terms(result, "milk_alkali_syndrome")
    assert ("high_pth", True) in terms and ("low_pth", False) not in terms, terms
    notes = {w["id"]: w["message"] for w in result["warnings"]}
    assert "low_pth absent follows from high_pth" in notes["implied_absent_low_pth"]


def test_one_acid_base_state_counts_once() -> None:
    """A bicarbonate of 19 gave an acidosis (x0.02 against milk-alkali syndrome) and 'no alkalosis' (x0.21 again)."""
    result = _json(["diff", "-p", "medullary", "--age", "70", "--lab", "serum_bicarbonate=19mmol/L"])
    terms = _terms(result, "milk_alkali_syndrome")
    assert ("metabolic_acidosis", True) in terms and ("metabolic_alkalosis", False) not in terms, terms
    # both stated present is still a contradiction, neither counted
    both = _json(["diff", "-p", "medullary", "--metabolic-acidosis", "--metabolic-alkalosis"])
    assert not any(clue.startswith("metabolic_a") for clue, _ in _terms(both, "distal_rta"))


@pytest.mark.parametrize(("age", "calcium", "reading"), [
    ("9mo", "7.2", True),  # after the first 28 days the infant definition (8 mg/dL) holds for a preterm-born infant
    ("3w", "6.8", True),  # below the very-low-birth-weight limit
    ("3w", "7.5", None),  # 7-8 mg/dL: hypocalcaemia above 1500 g, not below, and the weight is not known
    ("3w", "8.2", False),
])
def test_the_preterm_neonatal_calcium_limit_holds_for_the_first_28_days(age: str, calcium: str,
                                                                        reading: bool | None) -> None:
    """The 7 mg/dL limit of very-low-birth-weight neonates was applied for the whole first year: 7.2 mg/dL at 9 months
    was read as no hypocalcaemia (a clinician's review)."""
    result = _json(["diff", "-p", "medullary", "--age", age, "--preterm-infant",
                    "--lab", f"serum_calcium={calcium}mg/dL"])
    found = [d["present"] for d in result["derived"] if d["clue"] == "hypocalcemia"]
    assert found == ([] if reading is None else [reading]), result["derived"]


def test_labs_shows_the_limits_that_apply_only_with_other_findings() -> None:
    """`labs` hid every limit with a condition (the preterm calcium limit, the PTH read with the calcium)."""
    status, out, _ = invoke(["labs"], b"")
    assert status == 0
    flat = " ".join(out.split())
    assert "< 7 mg/dL (0-<28 d, with preterm_infant) → hypocalcemia" in flat, flat[:2000]
    assert "with hypercalcemia" in flat and "unless ckd" in flat


@pytest.mark.parametrize(("argv", "said"), [
    (["--age", "8mo"], "in an infant an ionised calcium"),
    (["--age", "50", "--ckd"], "with chronic kidney disease an ionised calcium"),
])
def test_no_albumin_is_asked_for_where_it_would_not_be_used(argv: list[str], said: str) -> None:
    """An infant was told to give serum_albumin to correct the calcium, which is never corrected under 1 year."""
    result = _json(["diff", "-p", "medullary", *argv, "--lab", "serum_calcium=13.2mg/dL"])
    messages = [w["message"] for w in result["warnings"] if w["id"] == "calcium_not_corrected"]
    assert messages and said in messages[0] and "give serum_albumin" not in messages[0], messages
