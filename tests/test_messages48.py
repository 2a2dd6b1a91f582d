"""A lab value that is not a number says what it got: a quoted number was "must be a finite number" with no hint of
the quotes, and a 400-digit value on the command line said "(got 1000..., 401 characters)" where the same value in
case JSON said "too large for a number". Each test fails without its fix."""

from __future__ import annotations

import json

import pytest
from helpers import invoke


def _error(case: dict[str, object]) -> str:
    status, _out, err = invoke(["diff", "--case", "-"], json.dumps(case).encode())
    assert status == 2, err
    return err.strip()


@pytest.mark.parametrize("value", ["12", "1 200"])
def test_a_quoted_lab_value_is_named_a_string(value: str) -> None:
    said = _error({"pattern": "medullary", "labs": {"serum_calcium": {"value": value, "unit": "mg/dL"}}})
    assert said == (f'nephrocalc: error: labs.serum_calcium.value: must be a finite number (got "{value}", a string; '
                    "write the number without quotes)")


@pytest.mark.parametrize("value", ["null", "true", "[1]"])
def test_a_lab_value_of_another_kind_is_shown_as_json(value: str) -> None:
    said = _error({"pattern": "medullary", "labs": {"serum_calcium": {"value": json.loads(value), "unit": "mg/dL"}}})
    assert said == f"nephrocalc: error: labs.serum_calcium.value: must be a finite number (got {value})"


def test_an_overflowing_value_on_the_command_line_reads_as_in_case_json() -> None:
    status, _out, err = invoke(["diff", "-p", "medullary", "--lab", "serum_calcium=1e400mg/dL"])
    assert status == 2
    assert err.strip() == ("nephrocalc: error: labs.serum_calcium.value: must be a finite number "
                           "(got 1e400; too large for a number)")
    status, _out, err = invoke(["diff", "-p", "medullary", "--lab", "serum_calcium=1" + "0" * 400 + "mg/dL"])
    assert status == 2 and err.count("\n") <= 1
    assert "(got 100000000000..., 401 characters; too large for a number)" in err
