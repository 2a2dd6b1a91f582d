"""Robustness round 79 (case JSON, flags, ask, batch and packs as users and scripts write them): what was fixed.

- batch kept the last of two duplicate keys when the line also needed reading in clinicians' words (sex "F", a
  British spelling, a lab alias, "grade": 2.0) or held a carriage return before a colon; --case refused them;
- --lab and ask read "1.200 pg/mL" as 1.2, where "1,200" was refused as ambiguous (round 78 mended FHIR only);
- a PTH was read "with hypercalcaemia" from a calcium sampled 30 years before, a urine pH "during acidosis" from a
  bicarbonate of another decade: round 78's one-month rule now holds for every reading in context;
- batch grew about 4 MB per failed long line (the error's traceback kept the line in reference cycles, which its
  rare garbage collection left);
- an onset of 14 days beside an age "2 w" was refused as "0.0383299 > 0.0383299";
- ask's Replay line dropped the case id without a word.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

from nephrocalc.batch import _outcome
from nephrocalc.engine import Engine


@pytest.mark.parametrize("line", [
    '{"id":"p1","pattern":"medullary","sex":"F","clues":{"rta":true,"rta":false}}',
    '{"id":"p2","pattern":"medullary","clues":{"hypokalaemia":true,"rta":true,"rta":false}}',
    '{"id":"p3","pattern":"Medullary","labs":{"PTH":{"value":5,"unit":"pg/mL","value":500}}}',
    '{"id":"p4","pattern":"medullary","grade":5,"grade":2.0}',
    '{"id":"p5","pattern":"medullary","clues":{"rta"\r:true,"rta"\r:false}}',
])
def test_batch_refuses_a_repeated_key_as_diff_does(line: str) -> None:
    status, out, _ = invoke(["batch"], (line + "\n").encode())
    assert status == 2
    assert "given twice in the same object" in json.loads(out)["error"]


def _labs(argv: list[str]) -> tuple[int, dict[str, Any], str]:
    status, out, err = invoke(["diff", "-p", "medullary", "--age", "50", *argv, "-f", "json"])
    return status, (json.loads(out)["case"].get("labs", {}) if status == 0 else {}), err


def test_a_point_before_three_digits_is_as_ambiguous_on_the_command_line_as_a_comma() -> None:
    status, _, err = _labs(["--lab", "pth=1.200 pg/mL"])
    assert status == 2 and "labs.pth.value: '1.200' is ambiguous" in err and "\n" not in err.strip()
    status, labs, err = _labs(["--lab", "serum_creatinine=1.200 mg/dL"])  # 1200 mg/dL is no creatinine
    assert status == 0 and labs["serum_creatinine"]["value"] == 1.2, err
    status, out, err = invoke(["ask", "-p", "medullary", "--age", "50", "--max-questions", "1", "-f", "json"],
                              b"1.200 pg/mL\n")  # the PTH or calcium question's answer
    assert "1.2 " not in json.dumps(json.loads(out)["case"].get("labs", {})), err


@pytest.mark.parametrize(("labs", "derived"), [
    ({"serum_calcium": {"value": 11.5, "unit": "mg/dL", "age_years": 20}, "pth": {"value": 80, "unit": "pg/mL"}},
     "high_pth"),
    ({"serum_bicarbonate": {"value": 15, "unit": "mmol/L", "age_years": 10}, "urine_ph": {"value": 7, "unit": "pH"}},
     "alkaline_urine"),
])
def test_a_value_is_not_read_beside_a_finding_of_another_decade(tmp_path: Path, labs: dict[str, Any],
                                                                 derived: str) -> None:
    path = tmp_path / "case.json"
    case = {"pattern": "medullary", "age_years": 50, "labs": labs}
    path.write_text(json.dumps(case), encoding="utf-8")
    result = json.loads(invoke(["diff", "--case", str(path), "-f", "json"])[1])
    assert not any(d["clue"] == derived and d["present"] for d in result["derived"])
    assert any("years apart, and values more than a month apart are not read together" in w["message"]
               for w in result["warnings"])
    for lab in labs.values():  # sampled together: read together, as before
        lab.pop("age_years", None)
    path.write_text(json.dumps(case), encoding="utf-8")
    result = json.loads(invoke(["diff", "--case", str(path), "-f", "json"])[1])
    assert any(d["clue"] == derived and d["present"] and d["used"] for d in result["derived"])


def test_failed_lines_do_not_pile_up_in_memory(engine: Engine) -> None:
    """Each failed line's error is dropped with its traceback, so memory does not wait for the garbage collector."""
    line = ('{"pattern":"medullary","clues":{"' + "x" * 200_000 + '":true}}').encode()
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        for number in range(1, 41):
            outcome = _outcome(number, line, engine, None, lambda result: b"")
            assert outcome[0] == "error"
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    assert held < 4_000_000, held  # 40 lines of 200 kB each, kept, would hold tens of MB


def test_an_onset_equal_to_an_age_written_with_a_unit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"pattern": "medullary", "age_years": "2 w", "onset_age_years": 14 / 365.25}),
                    encoding="utf-8")
    status, _, err = invoke(["diff", "--case", str(path)])
    assert status == 0, err
    path.write_text(json.dumps({"pattern": "medullary", "age_years": "2 w", "onset_age_years": 0.05}),
                    encoding="utf-8")
    assert invoke(["diff", "--case", str(path)])[0] == 2


def test_the_replay_line_says_the_id_it_cannot_carry(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"id": "pt-0042", "pattern": "medullary", "age_years": 40}), encoding="utf-8")
    _, _, err = invoke(["ask", "--case", str(path)], b"q\n")
    assert "the id pt-0042 is not carried by flags" in err


def test_a_batch_error_record_is_bounded_as_standard_error_is() -> None:
    line = json.dumps({"pattern": "medullary", "labs": {"pth": {"value": 5, "unit": "x" * 100_000}}})
    _, out, _ = invoke(["batch"], (line + "\n").encode())
    error = json.loads(out)["error"]
    assert len(error) <= 600 and error.endswith("characters)")


def test_the_unknown_cause_hint_names_the_listing_that_has_them() -> None:
    _, _, err = invoke(["cause", "xyz", "--extended"])
    assert "see `nephrocalc causes --extended` for the 36 allowed ids" in err


def test_an_interrupted_batch_says_its_output_is_partial(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """typer turns Ctrl-C into a quiet return of 130: the partial output was not said to be one."""
    import io
    import sys

    from nephrocalc.cli import run

    class Feed(io.RawIOBase):
        def __init__(self) -> None:
            self.reads = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            self.reads += 1
            if self.reads > 20:
                raise KeyboardInterrupt
            data = b'{"pattern":"medullary","clues":{"rta":true}}\n'
            buffer[:len(data)] = data
            return len(data)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Feed())))
    assert run(["batch", "-", "--jobs", "1"]) == 130
    assert "nephrocalc: error: interrupted; the output so far is partial" in capsys.readouterr().err
