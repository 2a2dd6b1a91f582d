"""A case from flags is built without pydantic-core (start-up), and must be exactly the case the
validator builds; anything unusual goes to the validator, which names the field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nephrocalc.errors import InputError
from nephrocalc.intake import _direct_case, case_validator, parse_case
from nephrocalc.knowledge import KnowledgeBase

CLUES = ["hypercalcemia", "rta", "ckd", "growth_failure", "loop_diuretic"]
LABS = [("serum_calcium", "mg/dL"), ("pth", "pg/mL"), ("urine_ph", "pH")]

well_formed = st.fixed_dictionaries(
    {"pattern": st.sampled_from(["medullary", "cortical", "combined"])},
    optional={
        "id": st.text(max_size=8),
        "modality": st.sampled_from(["us", "ct", "xr", "mr", "ctu", "ivu"]),
        "grade": st.integers(0, 3),
        "laterality": st.sampled_from(["bilateral", "unilateral"]),
        "age_years": st.one_of(st.integers(0, 130), st.floats(0, 130, allow_nan=False)),
        "sex": st.sampled_from(["female", "male"]),
        "clues": st.dictionaries(st.sampled_from(CLUES), st.booleans(), max_size=4),
        "labs": st.dictionaries(st.sampled_from([lab for lab, _ in LABS]),
                                st.floats(0.1, 500, allow_nan=False), max_size=3),
    })


def _with_units(data: dict[str, Any]) -> dict[str, Any]:
    units = dict(LABS)
    if "labs" in data:
        data = {**data, "labs": {k: {"value": v, "unit": units[k]} for k, v in data["labs"].items()}}
    return data


@settings(max_examples=200, deadline=None)
@given(well_formed)
def test_the_direct_case_is_the_validated_case(data: dict[str, Any]) -> None:
    import json

    data = _with_units(data)
    direct = _direct_case(data)
    assert direct is not None
    assert direct == case_validator().validate_json(json.dumps(data))


@pytest.mark.parametrize("data", [
    {"pattern": "medullary", "grade": True},            # a bool is not a grade
    {"pattern": "medullary", "grade": 4},
    {"pattern": "medullary", "age_years": float("nan")},
    {"pattern": "medullary", "age_years": "40"},
    {"pattern": "medullary", "age_years": 131},
    {"pattern": "Medullary"},
    {"pattern": "medullary", "sex": "F"},
    {"pattern": "medullary", "clues": {"rta": 1}},
    {"pattern": "medullary", "labs": {"pth": {"value": 95, "unit": "pg/mL", "x": 1}}},
    {"pattern": "medullary", "labs": {"pth": {"value": float("inf"), "unit": "pg/mL"}}},
    {"pattern": "medullary", "extra": 1},
])
def test_anything_unusual_goes_to_the_validator(data: dict[str, Any]) -> None:
    assert _direct_case(data) is None


@pytest.mark.parametrize(("data", "field"), [
    ({"pattern": "medullary", "grade": True}, "grade"),
    ({"pattern": "medullary", "clues": {"rta": 1}}, "clues.rta"),
    ({"pattern": "medullary", "clues": {"not_a_clue": True}}, "clues.not_a_clue"),
    ({"pattern": "medullary", "labs": {"pth": {"value": 95, "unit": "furlongs"}}}, "labs.pth"),
])
def test_errors_name_the_field_either_way(data: dict[str, Any], field: str, kb: KnowledgeBase) -> None:
    with pytest.raises(InputError) as raised:
        parse_case(data, kb)
    assert field in str(raised.value)


def test_to_dict_writes_every_case_field_in_order() -> None:
    """to_dict is written out field by field (it runs for every result): it must cover every field."""
    from nephrocalc.case import Case, Lab
    from nephrocalc.vocab import CASE_FIELDS

    full = Case(pattern="medullary", id="x", modality="us", grade=2, laterality="bilateral", age_years=6.0,
                onset_age_years=2.0, sex="female", clues={"rta": True}, labs={"pth": Lab(value=40.0, unit="pg/mL")})
    assert tuple(full.to_dict()) == CASE_FIELDS
    assert full.to_dict()["labs"] == {"pth": {"value": 40.0, "unit": "pg/mL"}}
    assert Case(pattern=None).to_dict() == {"pattern": None}  # a case must give its pattern: null, not known
