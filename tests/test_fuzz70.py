"""Robustness round 70 (black-box, the commands other than diff and the text of messages): what was fixed, each as the
reviewer reproduced it.

- with rta stated, the next findings and `ask` proposed its components (acidosis, alkaline urine, hypokalaemia), which
  the engine counts once, as part of rta, whatever the answer: three of eight questions that could change nothing;
- a PTH given as a bound was said to leave open whether it was "above the below the lower reference limit (65 pg/mL)";
- batch said "got NaN" and "a number too large for a double" where --case names the literal and why it is refused;
- `--age 47483d` was refused as "(got 47483d, 130 years)", a figure it had just called allowed;
- `--grade 2.0` and `--top 1e3` got click's "not a valid int range", which names no range;
- `--hyperparathyroidism` was answered with "Possible options: --hypoparathyroidism", a finding of opposite meaning;
- a case without a pattern was told it is required, not that a case file may give it as null (unknown).
"""

from __future__ import annotations

import json
from typing import Any

import pytest


def _result(run_main: Any, args: list[str]) -> dict[str, Any]:
    status, out, err = run_main(["diff", *args, "--format", "json"])
    assert status == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_a_stated_rta_is_not_followed_by_questions_about_its_own_components(run_main: Any) -> None:
    result = _result(run_main, ["-p", "medullary", "--age", "6", "--rta"])
    asked = [item["clue"] for item in result["next_findings"]]
    assert not {"metabolic_acidosis", "alkaline_urine", "hypokalemia", "hypocitraturia"} & set(asked), asked
    assert asked, "other findings are still proposed"
    # and the reason holds: answering one changes nothing
    for flag in ("--metabolic-acidosis", "--no-metabolic-acidosis", "--hypokalemia", "--no-alkaline-urine"):
        answered = _result(run_main, ["-p", "medullary", "--age", "6", "--rta", flag])
        assert [e["probability"] for e in answered["differential"]] == \
            [e["probability"] for e in result["differential"]], flag
    # without rta they are questions again
    plain = [item["clue"] for item in _result(run_main, ["-p", "medullary", "--age", "6"])["next_findings"]]
    assert {"metabolic_acidosis", "alkaline_urine", "hypokalemia"} & set(plain), plain


def test_ask_spends_no_question_on_a_component_of_a_stated_rta(run_main: Any) -> None:
    status, _, err = run_main(["ask", "-p", "medullary", "--age", "6", "--rta", "--stop-at", "1"], stdin="u\n" * 8)
    assert status == 0, err
    asked = [line.split()[1] for line in err.splitlines() if line.startswith("? ")]
    assert asked and not {"metabolic_acidosis", "alkaline_urine", "hypokalemia"} & set(asked), asked


def test_a_pth_bound_names_the_side_and_the_number_it_leaves_open(run_main: Any) -> None:
    result = _result(run_main, ["-p", "medullary", "--age", "40", "--lab", "pth=>10 pg/mL"])
    said = [w["message"] for w in result["warnings"] if "is a bound" in w["message"]]
    assert any("whether the value is at most 15 pg/mL" in m and "high_pth" in m for m in said), said
    assert any("whether the value is below 15 pg/mL" in m and "low_pth" in m for m in said), said
    assert not any("the below" in m or "the lower reference (" in m.split("(the limit:")[0] for m in said), said


@pytest.mark.parametrize(("line", "said"), [
    ('{"pattern": "medullary", "age_years": 1e309}', "age_years: must be a finite number (got 1e309; too large"),
    ('{"pattern": "medullary", "age_years": NaN}', "age_years: must be a finite number (got NaN; JSON has no NaN"),
    ('{"pattern": "medullary", "labs": {"pth": {"value": 1e309, "unit": "pg/mL"}}}',
     "labs.pth.value: must be a finite number (got 1e309; too large for a number)"),
])
def test_batch_names_a_non_finite_number_as_case_does(run_main: Any, tmp_path: Any, line: str, said: str) -> None:
    status, out, _ = run_main(["batch", "-"], stdin=line + "\n")
    assert status == 2
    assert json.loads(out.splitlines()[0])["error"].startswith(said), out
    path = tmp_path / "case.json"
    path.write_text(line, encoding="utf-8")
    status, _, err = run_main(["diff", "--case", str(path)])
    assert status == 2 and said in err, err


def test_an_age_just_past_130_years_is_shown_with_the_digits_that_refuse_it(run_main: Any) -> None:
    status, _, err = run_main(["diff", "-p", "medullary", "--age", "47483d"])
    assert status == 2 and "(got 47483d, 130.001 years)" in err, err
    status, _, _ = run_main(["diff", "-p", "medullary", "--age", "47482d", "--format", "json"])
    assert status == 0


@pytest.mark.parametrize(("args", "said"), [
    (["diff", "-p", "medullary", "--grade", "2.0"], "--grade: must be a whole number from 0 to 3 (got '2.0')"),
    (["diff", "-p", "medullary", "-g2.5"], "--grade: must be a whole number from 0 to 3 (got '2.5')"),
    (["diff", "-p", "medullary", "--top", "1e3"], "--top: must be a whole number, at least 1 (got '1e3')"),
    (["batch", "--jobs", "2.0", "-"], "--jobs: must be a whole number from 1 to 64 (got '2.0')"),
])
def test_a_count_given_as_a_decimal_is_refused_with_its_range(run_main: Any, args: list[str], said: str) -> None:
    status, out, err = run_main(args, stdin="")
    assert status == 2 and out == "" and said in err, err
    assert "int range" not in err


@pytest.mark.parametrize("flag", ["--hyperparathyroidism", "--distal-rta", "--no-dent-disease"])
def test_a_cause_typed_as_a_flag_is_said_to_be_a_cause(run_main: Any, flag: str) -> None:
    status, _, err = run_main(["diff", "-p", "medullary", flag])
    assert status == 2 and "is a cause, not a finding" in err and "nephrocalc cause " in err, err
    assert "hypoparathyroidism" not in err
    # a misspelt finding still gets the nearest spellings
    status, _, err = run_main(["diff", "-p", "medullary", "--hypercalcaemiaa"])
    assert status == 2 and "--hypercalcemia" in err, err


def test_a_missing_pattern_says_a_case_file_may_give_it_as_unknown(run_main: Any, tmp_path: Any) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"id": "x"}', encoding="utf-8")
    status, _, err = run_main(["diff", "--case", str(path)])
    assert status == 2 and '"pattern": null when it is not known' in err, err
    path.write_text('{"id": "x", "pattern": null}', encoding="utf-8")
    result = json.loads(run_main(["diff", "--case", str(path), "--format", "json"])[1])
    assert result["pattern"] is None and "pattern_unknown" in [w["id"] for w in result["warnings"]]


def test_the_case_schema_says_it_gives_the_canonical_spellings(run_main: Any) -> None:
    status, out, _ = run_main(["schema", "case"])
    assert status == 0
    description = json.loads(out)["description"]
    assert "canonical" in description and "hypokalaemia" in description and "PTH" in description
