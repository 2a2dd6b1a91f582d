"""`ask` driven by a script (CONTRACT.md section 5), as black-box review 10 found it: one line answers one
question, so an answer that cannot be read leaves that finding unknown, said, and the next line answers the next
question; before, the question was asked again and took the next line, and every later answer landed on the wrong
question with exit 0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import invoke


def _ask(answers: str, *argv: str) -> tuple[int, dict, str]:
    status, out, err = invoke(["ask", "-p", "medullary", "--age", "40", "-f", "json", *argv], answers.encode())
    return status, json.loads(out) if out.strip() else {}, err


def _questions(err: str) -> list[str]:
    return [line.split()[1] for line in err.splitlines() if line.startswith("? ")]


def test_an_answer_that_cannot_be_read_leaves_its_question_unknown_and_keeps_the_rest_in_step() -> None:
    # g/L is not a unit of the calcium; a high --stop-at keeps the interview going after a decisive answer
    status, result, err = _ask("11.8 g/L\ny\nn\n", "--stop-at", "0.999")
    asked = _questions(err)
    # the run goes on and the result is written; the count at the end tells a script an answer was not read
    assert status == 0 and asked[0] == "hypercalcemia" and len(asked) >= 3, err
    assert err.rstrip().endswith("nephrocalc: note: 1 answer could not be read and was left unknown "
                                 "(ask_answer_not_read in the result)")
    assert result["case"]["clues"] == {asked[1]: True, asked[2]: False}  # the y answered the second question
    assert "hypercalcemia left unknown" in err and "'g/L' is not accepted" in err
    assert [w["id"] for w in result["warnings"]].count("ask_answer_not_read") == 1


def test_blank_and_garbled_lines_are_each_one_unread_answer() -> None:
    status, result, err = _ask("\nmaybe\ny\n", "--max-questions", "3")
    asked = _questions(err)
    assert status == 0 and len(asked) == 3 and len(set(asked)) == 3, err
    assert result["case"]["clues"] == {asked[2]: True}
    assert err.count(" left unknown\n") == 2 and "2 answers could not be read and were left unknown" in err


def test_ask_with_standard_input_closed_stops_cleanly() -> None:
    script = [sys.executable, "-m", "nephrocalc", "ask", "-p", "medullary", "--age", "40", "-f", "json"]
    done = subprocess.run(script, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
                          cwd=Path(__file__).parent)
    assert done.returncode == 0 and json.loads(done.stdout)["interview"]["questions"] == 0, done.stderr
    closed = subprocess.run(script, capture_output=True, text=True, check=False,
                            stdin=None, cwd=Path(__file__).parent, preexec_fn=_close_stdin)
    assert closed.returncode == 0 and "Traceback" not in closed.stderr, closed.stderr
    assert "internal error" not in closed.stderr


def _close_stdin() -> None:
    import os

    os.close(0)


def test_the_case_ask_writes_for_a_phenopacket_without_a_pattern_replays(tmp_path: Path) -> None:
    """CONTRACT.md section 5: `diff --case` accepts ask's "case" unchanged. A phenopacket without a pattern term
    gave a case with "pattern": null, which diff refused as missing its pattern (black-box review 10)."""
    packet = {"id": "p", "subject": {"id": "s", "sex": "FEMALE"},
              "phenotypicFeatures": [{"type": {"id": "HP:0000121", "label": "Nephrocalcinosis"}},
                                     {"type": {"id": "HP:0003072", "label": "Hypercalcemia"}}]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    status, out, err = invoke(["ask", "--phenopacket", str(path), "--max-questions", "1", "-f", "json"], b"u\n")
    asked = json.loads(out)
    assert status == 0 and asked["case"]["pattern"] is None, err
    status, out, err = invoke(["diff", "--case", "-", "-f", "json"], json.dumps(asked["case"]).encode())
    replayed = json.loads(out)
    assert status == 0, err
    assert [e["cause"] for e in replayed["differential"]] == [e["cause"] for e in asked["differential"]]
    assert "pattern_unknown" in [w["id"] for w in replayed["warnings"]]


def test_an_answer_that_replaces_a_lab_given_before_says_so_and_back_takes_it_back() -> None:
    """A PTH of 40 pg/mL with a calcium in its grey zone (10.4 mg/dL) settles nothing, so the question is asked; an
    answer of 112 replaced it without a word (black-box review 10, then with a calcium question). Taking the answer
    back takes back its note too."""
    given = ("--lab", "serum_calcium=10.4mg/dL", "--lab", "pth=40pg/mL")
    status, result, err = _ask("112 pg/mL\n", *given, "--max-questions", "1")
    notes = [w["message"] for w in result["warnings"] if w["id"] == "ask_lab_replaced"]
    assert status == 0 and result["case"]["labs"]["pth"]["value"] == 112, err
    assert notes == ["The answer 112 pg/mL replaced the pth given before (40 pg/mL)."]
    status, result, err = _ask("112 pg/mL\nb\nu\n", *given, "--max-questions", "2", "--stop-at", "0.99")
    assert status == 0 and result["case"]["labs"]["pth"]["value"] == 40, err
    assert "ask_lab_replaced" not in [w["id"] for w in result["warnings"]]


def test_save_to_a_full_disk_is_not_bad_usage() -> None:
    """`--save /dev/full` said exit 2, bad usage, while a full standard output is exit 1 (black-box review 10)."""
    if not Path("/dev/full").exists():
        return
    status, _, err = invoke(["diff", "-p", "medullary", "--save", "/dev/full"])
    assert status == 1 and err.startswith("nephrocalc: error: --save: cannot write '/dev/full'"), err
    status, _, err = invoke(["diff", "-p", "medullary", "--save", "/nonexistent-folder/x.json"])
    assert status == 2 and "--save" in err
