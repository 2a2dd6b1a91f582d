"""What blind battery 43 found (knowledge base 2.9.33): each fix, held by a test that fails without it."""

from __future__ import annotations

from typing import Any


def _top(result: dict[str, Any]) -> dict[str, Any]:
    return dict(result["differential"][0])


def test_a_low_pth_counts_for_absorptive_hypercalciuria_not_for_loop_diuretic_calciuria(rank: Any) -> None:
    # autosomal-dominant hypocalcaemia: hypocalcaemia, a low PTH and hypercalciuria at 20, no loop diuretic stated;
    # the loop-diuretic form was shown first (the low PTH counted x4 for it, though loop diuretics raise the PTH)
    result = rank({"pattern": "medullary", "modality": "us", "age_years": 20, "sex": "male",
                   "clues": {"hypercalciuria": True, "vitamin_d_therapy": False},
                   "labs": {"serum_calcium": {"value": 7.4, "unit": "mg/dL"}, "pth": {"value": 11, "unit": "pg/mL"}}})
    hypercalciuria = next(e for e in result["differential"] if e["cause"] == "chronic_hypercalciuria")
    assert hypercalciuria["form"] != "loop_diuretic"
    assert result["fit"]["status"] == "poor"
    # an adult stone former with a suppressed PTH and nothing else: still idiopathic (absorptive) hypercalciuria
    absorptive = rank({"pattern": "medullary", "age_years": 40,
                       "clues": {"hypercalciuria": True, "low_pth": True, "hypercalcemia": False}})
    entry = next(e for e in absorptive["differential"] if e["cause"] == "chronic_hypercalciuria")
    assert entry["form"] == "idiopathic" and any(s["clue"] == "low_pth" for s in entry["supporting"])


def test_calcitriol_in_ckd_does_not_name_hypoparathyroidism(rank: Any) -> None:
    ckd = rank({"pattern": "medullary", "age_years": 64, "sex": "male", "clues": {"vitamin_d_therapy": True},
                "labs": {"egfr": {"value": 24, "unit": "mL/min/1.73m2"}, "pth": {"value": 180, "unit": "pg/mL"}}})
    ids = [c["id"] for c in ckd["caveats"]]
    assert "active_vitamin_d_normal_levels" in ids and not any(i.startswith("treated_hypoparathyroidism") for i in ids)
    hypopara = rank({"pattern": "medullary", "age_years": 45, "sex": "female", "clues": {"vitamin_d_therapy": True},
                     "labs": {"pth": {"value": 4, "unit": "pg/mL"}}})
    ids = [c["id"] for c in hypopara["caveats"]]
    assert "treated_hypoparathyroidism" in ids and "active_vitamin_d_normal_levels" not in ids


def test_the_labs_table_does_not_show_a_deficiency_as_giving_a_high_25ohd(run_main: Any) -> None:
    status, out, _ = run_main(["labs"])
    assert status == 0
    flat = " ".join(out.split())
    assert "< 20 ng/mL (all ages) → high_25oh_vitamin_d" not in flat
    assert "< 20 ng/mL (all ages): vitamin D deficiency, derives nothing" in flat
