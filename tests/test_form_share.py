"""A cause's best-fitting form is the likeliest of several, not a finding: the table named "Cortical necrosis
(obstetric)" for a woman of 30 with kidney injury and no precipitating event stated. The result now carries the form's
share of the cause's score (`form_share`), and the views mark an unsettled form with a question mark."""

from __future__ import annotations

import json
from typing import Any

from helpers import entry


def _json(run_main: Any, *args: str) -> dict[str, Any]:
    status, out, err = run_main(["diff", *args, "--format", "json"])
    assert status == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_an_unstated_event_leaves_the_form_unsettled(run_main: Any) -> None:
    args = ["-p", "cortical", "--age", "30", "--sex", "female", "--acute-kidney-injury"]
    necrosis = entry(_json(run_main, *args), "cortical_necrosis")
    assert necrosis["form"] == "obstetric"
    assert 0.0 < necrosis["form_share"] < 0.8
    status, out, _ = run_main(["diff", *args, "--top", "3"])
    assert status == 0
    assert "Cortical necrosis (obstetric?)" in out


def test_a_stated_event_settles_the_form(run_main: Any) -> None:
    args = ["-p", "cortical", "--age", "30", "--sex", "female", "--acute-kidney-injury", "--obstetric-catastrophe"]
    necrosis = entry(_json(run_main, *args), "cortical_necrosis")
    assert necrosis["form"] == "obstetric"
    assert necrosis["form_share"] >= 0.8
    status, out, _ = run_main(["diff", *args, "--top", "3"])
    assert status == 0
    assert "Cortical necrosis (obstetric)" in out
    assert "(obstetric?)" not in out
    status, out, _ = run_main(["diff", *args, "--top", "3", "--format", "markdown"])
    assert status == 0 and "(obstetric)" in out and "(obstetric?)" not in out


def test_form_share_is_none_exactly_for_causes_without_forms(run_main: Any) -> None:
    result = _json(run_main, "-p", "medullary", "--age", "40", "--hypercalcemia")
    for item in result["differential"]:
        if item["form"] is None:
            assert item["form_share"] is None, item["cause"]
        else:
            assert 0.0 < item["form_share"] <= 1.0, item["cause"]
