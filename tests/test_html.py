"""The case-conference report (`--format html`): one self-contained page, parsed, and rendered in a real
headless browser where one is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

CASE = {"id": "conf-1", "pattern": "medullary", "modality": "us", "grade": 2, "age_years": 6, "sex": "female",
        "clues": {"metabolic_acidosis": True, "alkaline_urine": True, "hypercalcaemia": False},
        "labs": {"serum_potassium": {"value": 3.1, "unit": "mmol/L"}}}
VOID = {"meta", "br", "img", "input", "link", "hr", "rect", "path"}


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.external: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "srcset") or (tag == "link" and name == "href"):
                self.external.append(f"{tag} {name}={value}")
        if tag in ("script", "iframe", "object", "embed", "img"):
            self.external.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _report(args: list[str], stdin: bytes = b"") -> tuple[str, Page]:
    status, out, err = invoke(args, stdin)
    assert status == 0, err
    page = Page()
    page.feed(out)
    page.close()
    return out, page


def test_the_report_is_one_self_contained_valid_page(kb: Any) -> None:
    out, page = _report(["diff", "--case", "-", "--format", "html"], json.dumps(CASE).encode())
    assert out.startswith("<!DOCTYPE html>")
    assert not page.problems and not page.stack, (page.problems, page.stack)
    assert not page.external, page.external
    assert "url(" not in out and "@import" not in out and "http-equiv" not in out
    text = " ".join(page.text)
    for cause in kb.causes.values():
        assert cause.short_name in text, cause.id
    for heading in ("Poor fit", "Fit:"):
        if heading in text:
            break
    else:
        pytest.fail("no fit statement")
    assert "Can't-miss" in text and "Most likely" in text and "Sources" in text
    assert text.count("Decision support for clinicians, not a diagnosis.") == 1, "said once, briefly"
    assert "svg" in page.tags and "@media print" in out
    assert "serum_potassium 3.1 mmol/L" in text, "the lab steps are shown"
    assert any(table.title in text for table in kb.tables.values()), "the grading or imaging table is shown"


def test_rule_text_and_case_ids_are_escaped() -> None:
    case = {**CASE, "id": "<script>alert(1)</script>"}
    out, page = _report(["diff", "--case", "-", "--format", "html"], json.dumps(case).encode())
    assert "<script>" not in out and "script" not in page.tags


def test_ask_and_batch_write_html(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE), encoding="utf-8")
    out, page = _report(["ask", "--case", str(path), "--format", "html", "--max-questions", "1"], b"u\n")
    assert not page.problems and "Most likely" in out


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.process
def test_the_report_renders_in_a_headless_browser(tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium)")
    out, _ = _report(["diff", "--case", "-", "--format", "html"], json.dumps(CASE).encode())
    page = tmp_path / "report.html"
    page.write_text(out, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                           f"--print-to-pdf={pdf}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert pdf.exists() and pdf.stat().st_size > 5000
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and "Most likely" in dom.stdout


def test_batch_writes_one_page_for_all_cases() -> None:
    lines = b'{"id": "a", "pattern": "medullary", "clues": {"rta": true}}\n{"id": "b", "pattern": "cortical"}\n'
    out, page = _report(["batch", "--format", "html"], lines)
    assert out.count("<!DOCTYPE html>") == 1 and "Case a" in out and "Case b" in out
    assert not page.problems and not page.external


def test_batch_html_refuses_more_cases_than_one_page_holds(run_main: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report page is for people: past its limit batch says to split or stream, rather than holding a
    page of tens of thousands of cases in memory."""
    import nephrocalc.render as render

    monkeypatch.setattr(render, "HTML_MAX_CASES", 2)
    lines = "".join(json.dumps({"id": f"c{i}", "pattern": "medullary"}) + "\n" for i in range(3))
    status, out, err = run_main(["batch", "--format", "html"], stdin=lines)
    assert status == 2 and out == "" and "at most 2 cases" in err and len(err.strip().splitlines()) == 1, err
    status, out, _ = run_main(["batch", "--format", "html"], stdin="".join(lines.splitlines(True)[:2]))
    assert status == 0 and out.count("<section") >= 2


def test_a_batch_report_lists_the_lines_it_could_not_read(run_main: Any) -> None:
    """The report said '3 cases' for a 13-line input and nothing of the rest (QA review): the lines not read are
    named on the page, in its title too, and still on stderr."""
    lines = [json.dumps({"id": "ok-1", "pattern": "medullary"}), "{not json",
             json.dumps({"id": "<bad>", "pattern": "x"})]
    status, out, err = run_main(["batch", "-", "--format", "html"], stdin="\n".join(lines) + "\n")
    assert status == 2 and "line 2" in err
    assert "1 case, 2 lines not read" in out and "Lines not read" in out
    assert "line 3 (&lt;bad&gt;)" in out and "<bad>" not in out


def test_a_batch_page_of_one_case_says_one_case(run_main: Any) -> None:
    for lines, title in (('{"pattern": "medullary"}\n', "nephrocalc report — 1 case<"),
                         ('{"pattern": "medullary"}\n{"pattern": "cortical"}\n', "nephrocalc report — 2 cases<")):
        status, out, err = run_main(["batch", "-f", "html"], lines)
        assert status == 0 and title in out, err


def test_a_markdown_batch_lists_the_lines_it_could_not_read(run_main: Any) -> None:
    """The Markdown table of a batch left out the lines it could not read with no trace on the page, where the html
    report lists them (black-box review 11): listed before the closing notice, escaped as Markdown."""
    lines = [json.dumps({"id": "ok-1", "pattern": "medullary"}), "{not json",
             json.dumps({"id": "b|x", "pattern": "x"})]
    status, out, err = run_main(["batch", "-", "--format", "markdown"], stdin="\n".join(lines) + "\n")
    assert status == 2 and "line 2" in err
    tail = out[out.index("**2 lines not read:**"):]
    assert "- line 2: case: not valid JSON" in tail and "- line 3 (b\\|x): pattern:" in tail
    assert tail.rstrip().endswith("_") and "Decision support" in tail
    status, out, _ = run_main(["batch", "-", "--format", "markdown"], stdin=lines[0] + "\n")
    assert status == 0 and "not read" not in out
