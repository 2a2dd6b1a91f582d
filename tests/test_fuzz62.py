"""What robustness round 62 found in the outputs: under --top the report page said "Can't-miss: none in this list"
while three can't-miss causes had been cut, and did not say how many causes it left out; with two findings that
contradict each other the table, Markdown and the page hid the other unexplained findings; the page restated a bound
(pth <6) as a value and ages as raw years; the phenopacket written gave a capped probability as exact and said
nothing of --top; U+0085 in an id was written raw in JSON; a CRLF line of exactly the limit was refused; and shell
completion asked for outside its hook was an internal error. Each fix, held by a test that fails without it."""

from __future__ import annotations

import json
import os

import pytest
from helpers import invoke


def _text(argv: list[str], stdin: bytes = b"") -> str:
    status, out, err = invoke(argv, stdin)
    assert status == 0, err
    return " ".join(out.split())


def test_the_page_under_top_names_the_cant_miss_causes_cut_and_counts_the_rest() -> None:
    page = _text(["diff", "-p", "medullary", "--rta", "--top", "2", "-f", "html"])
    assert "none in this list" not in page
    assert "Can't-miss: Primary hyperoxaluria" in page and "Renal tuberculosis" in page
    assert "11 more causes not shown (--top)" in page


def test_json_under_top_lists_the_cant_miss_causes_cut() -> None:
    result = json.loads(_text(["diff", "-p", "medullary", "--rta", "--top", "2", "-f", "json"]))
    cut = {item["cause"] for item in result["omitted"]["cant_miss"]}
    assert cut == {"primary_hyperoxaluria", "renal_tuberculosis", "cortical_necrosis"}
    assert all(item["rank"] > 2 for item in result["omitted"]["cant_miss"])


@pytest.mark.parametrize(("fmt", "said"), [("table", "also unexplained: Cortical atrophy"),
                                           ("markdown", "also unexplained: cortical_atrophy"),
                                           ("html", "also unexplained: Cortical atrophy")])
def test_a_contradiction_does_not_hide_the_other_unexplained_findings(fmt: str, said: str) -> None:
    shown = _text(["diff", "-p", "medullary", "--age", "40", "--hypercalciuria", "--hypocalciuria",
                   "--cortical-atrophy", "-f", fmt])
    assert "contradict each other" in shown and said in shown


def test_the_page_gives_the_case_as_entered() -> None:
    page = _text(["diff", "-p", "medullary", "--age", "0.5", "--onset-age", "0.0273785", "--modality", "us",
                  "--lab", "pth=<6 pg/mL", "--lab", "serum_calcium=>12 mg/dL", "-f", "html"])
    assert "age 6 mo (nephrocalcinosis found at 10 d), ultrasound" in page
    assert "Lab values: pth &lt;6 pg/mL, serum_calcium &gt;12 mg/dL" in page


def test_the_phenopacket_written_says_a_capped_probability_and_what_top_left_out() -> None:
    written = json.loads(_text(["diff", "-p", "medullary", "--age", "40", "--hypercalcemia", "--high-pth",
                                "-f", "phenopacket", "--top", "2"]))
    summaries = [item["summary"] for item in written["interpretations"]]
    assert summaries[0].startswith("rank 1, probability >0.9500 (capped")
    assert "11 more causes not written (--top)" in summaries[-1]


@pytest.mark.parametrize("argv", [["batch", "-"], ["diff", "--case", "-", "-f", "jsonl"],
                                  ["diff", "--case", "-", "-f", "json"]])
def test_a_next_line_character_is_escaped_in_json(argv: list[str]) -> None:
    status, out, err = invoke(argv, '{"id": "a\u0085b", "pattern": "medullary"}\n'.encode())
    assert status == 0, err
    assert "\u0085" not in out and "\\u0085" in out
    assert json.loads(out.splitlines()[0] if argv[0] == "batch" else out)["id"] == "a\u0085b"


def test_a_crlf_line_of_exactly_the_limit_is_read() -> None:
    from nephrocalc.batch import MAX_LINE_BYTES

    line = json.dumps({"pattern": "medullary", "id": ""})
    line = json.dumps({"pattern": "medullary", "id": "x" * (MAX_LINE_BYTES - len(line))})
    assert len(line) == MAX_LINE_BYTES
    for end in ("\n", "\r\n"):
        status, out, err = invoke(["batch", "-"], (line + end).encode())
        assert status == 0 and '"error"' not in out[:200], err
    status, out, _ = invoke(["batch", "-"], (line + "x\r\n").encode())
    assert '"error"' in out  # one byte over is still over


def test_shell_completion_outside_its_hook_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_NEPHROCALC_COMPLETE", "complete_bash")
    for name in ("COMP_WORDS", "COMP_CWORD"):
        monkeypatch.delenv(name, raising=False)
    status, _, err = invoke([])
    assert status == 2 and "internal error" not in err and "COMP_WORDS" in err
    assert os.environ["_NEPHROCALC_COMPLETE"] == "complete_bash"


def test_the_page_keeps_acronyms_inside_a_sentence() -> None:
    """The summary and the case line lowercased whole labels: 'suppressed pth', 'no high 25-hydroxyvitamin d'."""
    page = _text(["diff", "-p", "medullary", "--age", "40", "--hypercalcemia", "--low-pth",
                  "--no-high-25oh-vitamin-d", "-f", "html"])
    assert "hypercalcaemia; suppressed PTH; no high 25-hydroxyvitamin D" in page
    assert "(hypercalcaemia, suppressed PTH)" in page
