"""The installed console script, run as a real process: pipes, exit status, colour, closed pipes."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import read_terminal

from nephrocalc import __version__

TIMEOUT = 30
# SGR colour parameters: 30-39/40-49 (incl. 38/48 extended), 90-97/100-107 bright. Bold/dim/italic are not colour.
COLOUR_SGR = re.compile(r"\x1b\[(?:[0-9]*;)*(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9]*)*m")


def _script() -> list[str]:
    beside = Path(sys.executable).with_name("nephrocalc")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("nephrocalc")
    return [found] if found else [sys.executable, "-m", "nephrocalc"]


SCRIPT = _script()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "TERM")}
    env.update(extra)
    return env


def _run(args: list[str], stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCRIPT, *args], input=stdin, capture_output=True, text=True, encoding="utf-8",
                          env=_env(**env), timeout=TIMEOUT, check=False)


def test_console_script_diff_json_round_trip(rank: Any) -> None:
    case = {"id": "sub-1", "pattern": "medullary", "modality": "us", "grade": 2, "age_years": 6,
            "clues": {"metabolic_acidosis": True, "alkaline_urine": True, "hypokalemia": True, "hypercalcemia": False}}
    proc = _run(["diff", "--case", "-", "--format", "json"], stdin=json.dumps(case))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = json.loads(proc.stdout)
    assert isinstance(data.pop("next_findings"), list)  # diff adds the guided work-up (tests/test_guided.py)
    assert data == rank(case)
    assert data["id"] == "sub-1" and data["differential"][0]["cause"] == "distal_rta"


def test_piped_output_has_no_escapes() -> None:
    proc = _run(["diff", "--pattern", "medullary", "--rta", "--explain"])
    assert proc.returncode == 0, proc.stderr
    assert "Distal RTA" in proc.stdout
    assert "\x1b" not in proc.stdout, "no escape sequences when stdout is a pipe"


def test_no_color_output_has_no_escapes() -> None:
    proc = _run(["diff", "--pattern", "medullary", "--rta"], NO_COLOR="1", FORCE_COLOR="1")
    assert proc.returncode == 0, proc.stderr
    assert not COLOUR_SGR.search(proc.stdout)


def _run_on_terminal(args: list[str], **env: str) -> tuple[int, str]:
    """Run with stdout on a pseudo-terminal; return (status, what the terminal received)."""
    try:
        master, slave = os.openpty()
    except OSError as exc:
        pytest.skip(f"no pseudo-terminal available ({exc})")
    try:
        proc = subprocess.Popen([*SCRIPT, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
                                env=_env(TERM="xterm-256color", COLUMNS="120", **env))
    finally:
        os.close(slave)
    try:
        output = read_terminal(master, proc, TIMEOUT)
        status = proc.wait(timeout=TIMEOUT)
    finally:
        os.close(master)
        if proc.stderr is not None:
            proc.stderr.close()
    return status, output.decode("utf-8", "replace")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_colour_on_a_terminal_but_never_with_no_color() -> None:
    status, coloured = _run_on_terminal(["diff", "--pattern", "medullary", "--rta"])
    assert status == 0
    assert "Distal RTA" in coloured
    assert COLOUR_SGR.search(coloured), "a terminal gets colour (this proves the check can see it)"
    status, plain = _run_on_terminal(["diff", "--pattern", "medullary", "--rta"], NO_COLOR="1")
    assert status == 0
    assert "Distal RTA" in plain
    assert not COLOUR_SGR.search(plain), "NO_COLOR: no colour, even on a terminal"


@pytest.mark.parametrize(("args", "stdin", "field"), [
    (["diff", "--case", "-"], '{"pattern": "medullary", "clues": {"rtaa": true}}', "clues.rtaa"),
    (["diff", "--case", "-"], "not json", "JSON"),
    (["diff", "--pattern", "medullary", "--grade", "7"], None, "--grade"),
    (["diff", "--case", "/nonexistent/case.json"], None, "--case"),
    (["cause", "nope"], None, "nope"),
], ids=["unknown-clue", "malformed-json", "grade-7", "missing-file", "unknown-cause"])
def test_bad_input_exit_2_one_line(args: list[str], stdin: str | None, field: str) -> None:
    proc = _run(args, stdin=stdin)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.endswith("\n"), repr(proc.stderr)
    assert "Traceback" not in proc.stderr
    assert field in proc.stderr


def test_python_m_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "nephrocalc", "--version"], capture_output=True, text=True,
                          env=_env(), timeout=TIMEOUT, check=False)
    assert proc.returncode == 0, proc.stderr
    first, knowledge_base = proc.stdout.strip().splitlines()
    assert first == f"nephrocalc {__version__}"
    assert knowledge_base.startswith("knowledge base: nephrocalc built-in knowledge base ")
    assert proc.stderr == ""


def test_console_script_version() -> None:
    proc = _run(["--version"])
    assert (proc.returncode, proc.stdout.splitlines()[0]) == (0, f"nephrocalc {__version__}")


@pytest.mark.parametrize("args", [
    ["diff", "--pattern", "medullary", "--rta"],
    ["diff", "--pattern", "medullary", "--rta", "--explain"],
    ["diff", "--pattern", "medullary", "--rta", "--format", "json"],
    ["causes", "--format", "json"],
], ids=["table", "explain", "json", "causes-json"])
def test_closed_pipe_no_traceback(args: list[str]) -> None:
    """Like `nephrocalc diff ... | head -n 1`, deterministically: the reader is gone before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([*SCRIPT, *args], stdin=subprocess.DEVNULL, stdout=write_end, stderr=subprocess.PIPE,
                              env=_env(), timeout=TIMEOUT, check=False)
    finally:
        os.close(write_end)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr
    assert "BrokenPipeError" not in stderr, stderr


@pytest.mark.parametrize("args", [
    ["diff", "--pattern", "medullary", "--rta"],
    ["diff", "--pattern", "medullary", "--rta", "--format", "json"],
    ["causes"],
], ids=["table", "json", "causes"])
def test_closed_or_full_standard_output_is_one_line_exit_1(args: list[str]) -> None:
    """`>&-` and `> /dev/full`: a one-line error and exit status 1, never a traceback or 'internal error'."""
    closed = subprocess.run([*SCRIPT, *args], stdin=subprocess.DEVNULL, stdout=None, stderr=subprocess.PIPE,
                            env=_env(), timeout=TIMEOUT, check=False, close_fds=True,
                            preexec_fn=lambda: os.close(1))
    runs = [closed]
    if Path("/dev/full").exists():
        with open("/dev/full", "wb") as full:
            runs.append(subprocess.run([*SCRIPT, *args], stdin=subprocess.DEVNULL, stdout=full,
                                       stderr=subprocess.PIPE, env=_env(), timeout=TIMEOUT, check=False))
    for proc in runs:
        stderr = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 1, stderr
        assert stderr.startswith("nephrocalc: error: cannot write standard output") and stderr.count("\n") == 1, stderr
        assert "internal error" not in stderr


def test_closed_standard_error_keeps_the_exit_status() -> None:
    """`2>&-`: the message is lost, but bad input still exits 2 (not 1 from an unseen traceback)."""
    proc = subprocess.run([*SCRIPT, "diff", "--pattern", "bogus"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=None, env=_env(), timeout=TIMEOUT, check=False,
                          preexec_fn=lambda: os.close(2))
    assert proc.returncode == 2


def test_head_closes_the_pipe_without_traceback() -> None:
    """The real pipeline. Whether the write hits the closed pipe depends on timing; either way, no traceback."""
    shell = shutil.which("bash") or shutil.which("sh")
    head = shutil.which("head")
    if shell is None or head is None:
        pytest.skip("needs a shell and head")
    command = " ".join(f"'{part}'" for part in SCRIPT) + " diff --pattern medullary --rta --explain | head -n 1"
    proc = subprocess.run([shell, "-c", command], capture_output=True, text=True, env=_env(), timeout=TIMEOUT,
                          check=False)
    assert proc.returncode == 0
    assert proc.stdout.count("\n") == 1 and "Differential" in proc.stdout
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr


def _finish(proc: subprocess.Popen[bytes]) -> bytes:
    """Close a streaming batch's input, read the rest of its output, and wait for it to end."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    rest = proc.stdout.read()
    proc.stdout.close()
    if proc.stderr is not None:
        proc.stderr.close()
    proc.wait(timeout=TIMEOUT)
    return rest


def test_batch_streams() -> None:
    """Results come out while the input is still open: batch does not read all of its input first."""
    case = json.dumps({"pattern": "medullary", "clues": {"rta": True}}) + "\n"
    proc = subprocess.Popen([*SCRIPT, "batch", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_env())
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(case.encode() * 20)  # ~20 results of several KB each: more than any output buffer
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT)
        assert ready, "no output before the end of the input"
        first = json.loads(proc.stdout.readline())
        assert first["differential"][0]["cause"] == "distal_rta"
    finally:
        rest = _finish(proc)
    assert len(rest.splitlines()) == 19
    assert proc.returncode == 0


@pytest.mark.process
def test_batch_progress_on_a_terminal_and_not_in_a_pipe(tmp_path: Any) -> None:
    import os
    import pty
    import subprocess
    import sys

    from helpers import read_terminal

    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join('{"pattern": "medullary", "clues": {"rta": true}}\n' for _ in range(600)),
                     encoding="utf-8")
    command = [sys.executable, "-m", "nephrocalc", "batch", str(cases)]
    piped = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and piped.stderr == "", "nothing on stderr in a pipe"
    master, slave = pty.openpty()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    shown = read_terminal(master, proc, timeout=120).decode("utf-8", "replace")
    proc.wait(timeout=120)
    assert proc.returncode == 0
    assert "600 lines in" in shown, shown


@pytest.mark.process
def test_the_table_fits_columns_has_no_trailing_spaces_and_survives_ascii() -> None:
    import os
    import subprocess
    import sys

    command = [sys.executable, "-m", "nephrocalc", "diff", "--pattern", "medullary", "--rta", "--top", "2"]
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert all(line == line.rstrip() for line in lines), "no trailing spaces"
    assert "Can't miss" in done.stdout, "can't-miss causes stay visible under --top"
    ascii_env = {**env, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(command, capture_output=True, env=ascii_env, timeout=60)
    assert done.returncode == 0, done.stderr
    done.stdout.decode("ascii")  # plain ASCII stand-ins, never an encoding error


@pytest.mark.parametrize(("words", "expected", "absent"), [
    ("nephrocalc cause distal", ["distal_rta"], ["sarcoidosis"]),
    ("nephrocalc cause hypophos", ["hypophosphatasia", "hypophosphatemic_rickets_therapy"], []),  # --extended ids
    ("nephrocalc diff --lab serum_ca", ["serum_calcium="], ["urine_ph="]),
    ("nephrocalc diff --hypercalc", ["--hypercalcemia", "--hypercalciuria"], ["--rta"]),
])
def test_shell_completion_offers_cause_ids_lab_ids_and_clue_flags(words: str, expected: list[str],
                                                                   absent: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "nephrocalc"], capture_output=True, text=True, timeout=TIMEOUT,
                          env=_env(_NEPHROCALC_COMPLETE="complete_bash", COMP_WORDS=words,
                                   COMP_CWORD=str(len(words.split()) - 1)), check=False)
    assert proc.returncode == 0, proc.stderr
    offered = proc.stdout.split()
    assert all(word in offered for word in expected), offered
    assert not any(word in offered for word in absent), offered


@pytest.mark.process
def test_batch_with_worker_processes_writes_what_one_process_writes(tmp_path: Path) -> None:
    """Past 1,000 lines `batch` ranks in worker processes: the same bytes, errors and exit status."""
    cases = [{"id": f"c{n}", "pattern": ["medullary", "cortical", "combined"][n % 3], "age_years": n % 90,
              "clues": {"rta": n % 2 == 0, "hypercalcemia": n % 5 == 0}} for n in range(1500)]
    lines = [json.dumps(case) for case in cases]
    lines[1200] = "not json"
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = subprocess.run([*SCRIPT, "batch", "--jobs", "1", str(path)], capture_output=True, env=_env(),
                         timeout=120, check=False)
    two = subprocess.run([*SCRIPT, "batch", "--jobs", "2", str(path)], capture_output=True, env=_env(),
                         timeout=120, check=False)
    piped = subprocess.run([*SCRIPT, "batch", "-j", "2", "-"], input=path.read_bytes(), capture_output=True,
                           env=_env(), timeout=120, check=False)
    assert one.returncode == two.returncode == piped.returncode == 2
    assert two.stdout == one.stdout == piped.stdout
    assert two.stderr == one.stderr == piped.stderr
    assert one.stdout.count(b"\n") == 1500 and b'"line":1201' in one.stdout


@pytest.mark.process
def test_batch_with_worker_processes_still_streams() -> None:
    """Past 1,000 lines, with workers, the results of every line sent come out while the input is open."""
    case = json.dumps({"pattern": "medullary", "clues": {"rta": True}}) + "\n"
    proc = subprocess.Popen([*SCRIPT, "batch", "--jobs", "2", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_env())
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(case.encode() * 1100)
        proc.stdin.flush()
        fd = proc.stdout.fileno()  # read the descriptor itself: select cannot see a Python-side buffer
        received = b""
        while received.count(b"\n") < 1100:  # every line's result arrives before the input ends
            ready, _, _ = select.select([fd], [], [], TIMEOUT)
            assert ready, f"{len(received.splitlines())} of 1100 results came out while the input was open"
            chunk = os.read(fd, 1 << 16)
            assert chunk, "the output ended early"
            received += chunk
        results = [json.loads(line) for line in received.splitlines()]
        assert len(results) == 1100 and {r["differential"][0]["cause"] for r in results} == {"distal_rta"}
    finally:
        rest = _finish(proc)
    assert rest == b"" and proc.returncode == 0


def test_ask_names_piped_answers_left_over_when_the_interview_stops() -> None:
    """Answers a script piped in beyond the last question are named on stderr, not dropped silently; a
    pipe that sends nothing more is not waited for (the writer is still open here)."""
    proc = _run(["ask", "--pattern", "medullary", "--max-questions", "2", "--format", "json"], stdin="y\nn\ny\n\nn\n")
    assert proc.returncode == 0, proc.stderr
    assert "nephrocalc: note: 2 more lines of answers not used: the interview stopped (asked 2 questions" in proc.stderr
    assert json.loads(proc.stdout)["case"]["clues"]
    with subprocess.Popen([*SCRIPT, "ask", "--pattern", "medullary", "--max-questions", "1", "--format", "json"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()) as live:
        assert live.stdin is not None and live.stdout is not None and live.stderr is not None
        live.stdin.write(b"y\n")
        live.stdin.flush()  # and keep the pipe open: the result must come without waiting for its end
        import threading

        watchdog = threading.Timer(TIMEOUT, live.kill)  # a hang fails the test instead of stalling the run
        watchdog.start()
        out = live.stdout.read()
        err = live.stderr.read()
        watchdog.cancel()
        assert live.wait(timeout=TIMEOUT) == 0
        live.stdin.close()
    assert json.loads(out)["case"]["clues"] and b"not used" not in err


@pytest.mark.parametrize("args", [["diff", "-p", "medullary", "--lab", "pth=90 pg/mL", "-f", "json"],
                                  ["diff", "-p", "medullary", "-f", "html"], ["cause", "distal_rta", "-f", "json"]])
def test_an_ascii_terminal_gets_the_result_as_utf8_not_an_error(args: list[str]) -> None:
    """PYTHONIOENCODING=ascii (or LC_ALL=C without coercion): a lab step's arrow made diff -f json exit 1 with no
    output, and html always failed on its title's dash (black-box round 5)."""
    proc = _run(args, PYTHONIOENCODING="ascii")
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr
    if "json" in args:
        json.loads(proc.stdout)
