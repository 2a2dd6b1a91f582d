"""The open world's own pattern mix and one-sided share ([other.patterns], knowledge base 2.9.32).

Outside the twelve, cortical calcification is commoner than among them and often one-sided
(chronic pyelonephritis, a calcified graft). The shares in knowledge_base.toml are derived from the
extended knowledge base; these tests hold them to it, and check what they change.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from nephrocalc.engine import Engine, load_engine
from nephrocalc.guidance import diff
from nephrocalc.intake import parse_case
from nephrocalc.knowledge import AGE_GROUPS, KnowledgeBase
from nephrocalc.vocab import PATTERNS

EXTENDED = Path(__file__).resolve().parents[1] / "rules" / "extended"


@pytest.fixture(scope="module")
def extended() -> Engine:
    return load_engine((EXTENDED,))


def _derived(base: KnowledgeBase, extended: KnowledgeBase) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """P(pattern | a cause of the extended pack outside the twelve, age group), weighted by prior, and
    P(unilateral | pattern) over the child and adult groups."""
    shares: dict[str, dict[str, float]] = {}
    one_sided = dict.fromkeys(PATTERNS, 0.0)
    weight = dict.fromkeys(PATTERNS, 0.0)
    for group in AGE_GROUPS:
        total = dict.fromkeys(PATTERNS, 0.0)
        for cause in extended.causes.values():
            if cause.id in base.causes:
                continue
            prior = cause.prior[group]
            forms = sum(form.share[group] for form in cause.forms)
            unilateral = sum(form.share[group] * form.unilateral for form in cause.forms) / forms if forms else 0.0
            for pattern in PATTERNS:
                total[pattern] += prior * cause.patterns[pattern]
                if group != "preterm":
                    one_sided[pattern] += prior * cause.patterns[pattern] * unilateral
                    weight[pattern] += prior * cause.patterns[pattern]
        shares[group] = {pattern: value / sum(total.values()) for pattern, value in total.items()}
    return shares, {pattern: one_sided[pattern] / weight[pattern] for pattern in PATTERNS}


def test_the_open_worlds_pattern_mix_is_the_extended_packs(kb: KnowledgeBase, extended: Engine) -> None:
    stated = kb.other.patterns
    assert stated is not None and kb.other.unilateral_by_pattern is not None
    shares, one_sided = _derived(kb, extended.kb)
    for group in AGE_GROUPS:
        for pattern in PATTERNS:
            assert stated[group][pattern] == pytest.approx(shares[group][pattern], abs=0.002), (group, pattern)
    # cortical and combined as derived; medullary keeps the [other] estimate, inside the derived range
    assert kb.other.unilateral_by_pattern["cortical"] == pytest.approx(one_sided["cortical"], abs=0.03)
    assert kb.other.unilateral_by_pattern["combined"] == pytest.approx(one_sided["combined"], abs=0.03)
    assert 0.02 <= kb.other.unilateral_by_pattern["medullary"] <= 0.08
    assert kb.other.unilateral_by_pattern["medullary"] == kb.other.unilateral


def _rank(engine: Engine, case: dict[str, Any]) -> dict[str, Any]:
    result = diff(engine, parse_case(case, engine.kb))
    return {"probability": {e["cause"]: e["probability"] for e in result["differential"]},
            "top": result["differential"][0]["cause"], "fit": result["fit"]["status"], "result": result}


def test_one_sided_cortical_calcification_with_nothing_of_tuberculosis_is_not_tuberculosis(engine: Engine) -> None:
    # blind battery 38: reflux, infections, clubbed calyces and a small scarred kidney: chronic pyelonephritis
    case = {"pattern": "cortical", "laterality": "unilateral", "age_years": 38, "sex": "female", "modality": "ct",
            "clues": {"vesicoureteral_reflux": True, "urinary_tract_infection": True, "calyceal_distortion": True,
                      "small_kidneys": True, "sterile_pyuria": False, "tb_risk": False}}
    ranked = _rank(engine, case)
    assert ranked["probability"]["renal_tuberculosis"] < 0.5
    assert ranked["top"] == "other" and ranked["fit"] == "poor"


def test_one_sidedness_weighs_for_the_open_world_by_pattern(engine: Engine) -> None:
    """One-sided calcification counts more for the open world under a cortical pattern (40%) than under a
    medullary one (5%); bilateral counts a little against it under a cortical pattern only."""
    def other(pattern: str, laterality: str | None) -> float:
        case: dict[str, Any] = {"pattern": pattern, "age_years": 50, "clues": {"hypertension": True}}
        if laterality:
            case["laterality"] = laterality
        return float(_rank(engine, case)["probability"]["other"])

    assert other("cortical", "unilateral") > 3 * other("cortical", None)
    assert other("cortical", "bilateral") < other("cortical", None)
    assert other("medullary", "unilateral") < 2 * other("medullary", None)


def test_the_open_worlds_cortical_share_depends_on_age(engine: Engine) -> None:
    entries = {age: next(e for e in _rank(engine, {"pattern": "cortical", "age_years": age})["result"]["differential"]
                         if e["cause"] == "other") for age in (8, 50)}
    factor = {age: next(f for f in entry["context"] if f["factor"] == "pattern") for age, entry in entries.items()}
    assert factor[50]["weight"] > 0 > factor[8]["weight"]
    assert "5.2% of causes outside the knowledge base at this age" in factor[50]["why"]


def test_a_case_without_a_pattern_keeps_the_flat_one_sided_share(engine: Engine) -> None:
    # a phenopacket without a pattern term
    case = parse_case({"pattern": "medullary", "age_years": 50, "laterality": "unilateral"}, engine.kb)
    result = diff(engine, dataclasses.replace(case, pattern=None))
    entry = next(e for e in result["differential"] if e["cause"] == "other")
    factor = next(f for f in entry["context"] if f["factor"] == "laterality")
    assert factor["why"] == "about 5% of Other cause is unilateral [estimate]"
