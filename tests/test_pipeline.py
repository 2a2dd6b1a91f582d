"""`nephrocalc batch` without a terminal: ``read_lines`` and ``run_batch`` on in-memory readers and writers.

The readers here hand out bytes the way ``os.read`` does on a pipe (at most ``n`` bytes, whatever is
available, ``b""`` at the end) and are generators underneath, so an input many times the line limit
is never held in memory by the test itself.
"""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from nephrocalc.batch import MAX_LINE_BYTES, READ_CHUNK, BatchStats, LongLine, read_lines, run_batch
from nephrocalc.engine import Engine
from nephrocalc.errors import InputError
from nephrocalc.render import BatchWriter
from nephrocalc.render.text import MARKDOWN_HEADER, TSV_HEADER
from nephrocalc.result import NOTICE

VIGNETTES_PATH = Path(__file__).parent / "cases" / "vignettes.jsonl"
CASES = [
    {"id": "p1", "pattern": "medullary", "clues": {"rta": True}},
    {"id": "p2", "pattern": "cortical", "age_years": 30, "sex": "female", "clues": {"obstetric_catastrophe": True}},
    {"pattern": "combined", "clues": {"cortical_atrophy": True}},
    {"id": "p4", "pattern": "medullary", "modality": "us", "grade": 2, "age_years": 6,
     "clues": {"metabolic_acidosis": True, "alkaline_urine": True, "hypokalemia": True, "hypercalcemia": False}},
]


def _jsonl(cases: Iterable[dict[str, Any]], newline: bytes = b"\n") -> bytes:
    return b"".join(orjson.dumps(case) + newline for case in cases)


class Reader:
    """``read(n)`` over an iterable of chunks, as os.read on a pipe: at most n bytes, b"" at the end.

    ``log`` records each read (and, through ``before``, each call of before_blocking_read) in order.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._rest = b""
        self.log: list[str] = []
        self.sizes: list[int] = []

    def before(self) -> None:
        self.log.append("before")

    def __call__(self, size: int) -> bytes:
        assert size > 0
        self.log.append("read")
        while not self._rest:
            chunk = next(self._chunks, None)
            if chunk is None:
                self.sizes.append(0)
                return b""
            self._rest = chunk
        data, self._rest = self._rest[:size], self._rest[size:]
        self.sizes.append(len(data))
        return data


def _split(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def _lines(data: bytes | Iterable[bytes], chunk: int | None = None) -> list[bytes]:
    if isinstance(data, bytes):
        data = _split(data, chunk) if chunk else [data]
    reader = Reader(data)
    return list(read_lines(reader, reader.before))


class Sink:
    """A writer that keeps what was written, one entry per write call."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.errors: list[str] = []

    def write(self, data: bytes) -> int:
        assert isinstance(data, bytes)
        self.writes.append(data)
        return len(data)

    def error(self, message: str) -> None:
        self.errors.append(message)

    @property
    def text(self) -> str:
        return b"".join(self.writes).decode()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]


def _batch(engine: Engine, data: bytes, *, fmt: str = "jsonl", chunk: int = READ_CHUNK) -> tuple[BatchStats, Sink]:
    reader = Reader(_split(data, chunk))
    sink = Sink()
    stats = run_batch(read_lines(reader, reader.before), engine, sink.write, BatchWriter(fmt), write_error=sink.error)
    return stats, sink


def _padded_case(size: int, case_id_prefix: str = "") -> bytes:
    """A valid case line of exactly ``size`` bytes (the id carries the padding)."""
    skeleton = orjson.dumps({"id": case_id_prefix, "pattern": "medullary"})
    padding = size - len(skeleton)
    assert padding >= 0
    line = orjson.dumps({"id": case_id_prefix + "x" * padding, "pattern": "medullary"})
    assert len(line) == size
    return line


# --- read_lines -----------------------------------------------------------------------------------


def test_lines_split_at_every_chunk_boundary() -> None:
    data = b'{"pattern": "medullary"}\n\n{"id": "two", "pattern": "cortical"}\n  \nlast'
    expected = [b'{"pattern": "medullary"}', b"", b'{"id": "two", "pattern": "cortical"}', b"  ", b"last"]
    assert _lines(data) == expected
    for size in range(1, len(data) + 1):
        assert _lines(data, size) == expected, f"chunks of {size} bytes"
    for cut in range(1, len(data)):
        assert _lines([data[:cut], data[cut:]]) == expected, f"split at byte {cut}"


def test_final_line_without_newline_is_kept() -> None:
    assert _lines(b"a\nb") == [b"a", b"b"]
    assert _lines([b"a\n", b"b"]) == [b"a", b"b"]
    assert _lines(b"only") == [b"only"]


def test_final_newline_adds_no_empty_line() -> None:
    assert _lines(b"a\nb\n") == [b"a", b"b"]
    assert _lines(b"a\n\n") == [b"a", b""], "a blank last line is still a line"
    assert _lines(b"") == []
    assert _lines(b"\n") == [b""]


def test_crlf_lines_keep_their_carriage_return() -> None:
    # splitting is on LF only; the CR is JSON whitespace, and run_batch treats "\r" alone as blank
    assert _lines(b"a\r\nb\r\n\r\nc") == [b"a\r", b"b\r", b"\r", b"c"]
    assert _lines([b"a\r", b"\nb\r", b"\n"]) == [b"a\r", b"b\r"]


def test_reads_respect_the_requested_size() -> None:
    reader = Reader([b"x" * (3 * READ_CHUNK) + b"\n"])
    assert list(read_lines(reader, reader.before)) == [b"x" * (3 * READ_CHUNK)]
    assert max(reader.sizes) <= READ_CHUNK


def test_before_blocking_read_runs_before_each_read() -> None:
    reader = Reader(_split(_jsonl(CASES), 7))
    list(read_lines(reader, reader.before))
    reads = reader.log.count("read")
    assert reads > 10
    assert reader.log == ["before", "read"] * reads, "each read, including the last (b''), follows one call"


def test_before_blocking_read_runs_before_each_read_in_a_batch(engine: Engine) -> None:
    """The command passes stdout's flush: everything written so far is flushed before each read."""
    data = _jsonl(CASES)
    chunks = [data[: len(data) // 2], data[len(data) // 2:]]
    events: list[tuple[str, int]] = []
    sink = Sink()
    reader = Reader(chunks)

    def read(size: int) -> bytes:
        events.append(("read", len(sink.writes)))
        return reader(size)

    def flush() -> None:
        events.append(("flush", len(sink.writes)))

    run_batch(read_lines(read, flush), engine, sink.write, BatchWriter("jsonl"))
    assert [kind for kind, _ in events] == ["flush", "read"] * 3
    # the last flush comes after every line was written (the final b"" read is the end of input)
    assert events[-2] == ("flush", len(CASES))


def test_lines_are_yielded_before_the_input_ends() -> None:
    """A generator: the first line is out before the reader is asked for more."""

    def chunks() -> Iterator[bytes]:
        yield b"first\nsecond-"
        raise AssertionError("read past the first line before yielding it")

    reader = Reader(chunks())
    lines = read_lines(reader, reader.before)
    assert next(lines) == b"first"


@pytest.mark.parametrize("chunk", [1 << 16, 65_535, 1000, 1 << 20])
def test_line_of_exactly_the_limit_is_accepted(chunk: int) -> None:
    line = _padded_case(MAX_LINE_BYTES)
    lines = _lines([*_split(line, chunk), b"\n", b"next\n"])
    assert len(lines) == 2
    assert not isinstance(lines[0], LongLine) and lines[0] == line
    assert lines[1] == b"next"


@pytest.mark.parametrize("chunk", [1 << 16, 65_535, 1000, 1 << 20])
@pytest.mark.parametrize("extra", [1, 2, READ_CHUNK, 5 * MAX_LINE_BYTES])
@pytest.mark.parametrize("ending", [b"\n", b""], ids=["newline", "end-of-input"])
def test_over_long_line_becomes_one_long_line_with_its_size(chunk: int, extra: int, ending: bytes) -> None:
    size = MAX_LINE_BYTES + extra

    def chunks() -> Iterator[bytes]:
        yield b"before\n"
        block = b"x" * chunk
        left = size
        while left:
            yield block[:min(chunk, left)]
            left -= min(chunk, left)
        yield ending
        if ending:
            yield b"after\n"

    lines = _lines(chunks())
    assert lines[0] == b"before"
    assert isinstance(lines[1], LongLine)
    assert lines[1].length == size
    assert len(lines[1]) == 0, "the discarded line is not kept"
    assert lines[2:] == ([b"after"] if ending else [])


def test_over_long_line_inside_one_chunk_stream() -> None:
    """The newline that ends the long line and the next lines arrive in the same read."""
    size = MAX_LINE_BYTES + 10
    data = b"x" * (size - 5)
    lines = _lines([data, b"xxxxx\nnext\nlast"])
    assert [type(line) for line in lines] == [LongLine, bytes, bytes]
    assert lines[0].length == size  # type: ignore[attr-defined]
    assert lines[1:] == [b"next", b"last"]


def test_two_over_long_lines_in_a_row() -> None:
    def chunks() -> Iterator[bytes]:
        for size in (MAX_LINE_BYTES + 1, 3 * MAX_LINE_BYTES):
            yield from _split(b"y" * size, READ_CHUNK)
            yield b"\n"
        yield b"ok\n"

    lines = _lines(chunks())
    assert [getattr(line, "length", None) for line in lines] == [MAX_LINE_BYTES + 1, 3 * MAX_LINE_BYTES, None]
    assert lines[2] == b"ok"


def test_an_endless_line_is_read_in_bounded_memory() -> None:
    """32 MiB without a newline: read_lines holds about one line limit, not the line."""
    total = 32 * MAX_LINE_BYTES
    block = b"z" * READ_CHUNK

    def chunks() -> Iterator[bytes]:
        for _ in range(total // READ_CHUNK):
            yield block
        yield b"\nok\n"

    tracemalloc.start()
    try:
        lines = []
        for line in read_lines(Reader(chunks()), lambda: None):
            lines.append(line if isinstance(line, LongLine) else bytes(line))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [getattr(line, "length", None) for line in lines] == [total, None]
    assert peak < 4 * MAX_LINE_BYTES, f"peak {peak} bytes for a {total}-byte line"


# --- run_batch -------------------------------------------------------------------------------------


def test_results_in_input_order(engine: Engine, rank: Any) -> None:
    vignettes = [json.loads(line)["case"] for line in VIGNETTES_PATH.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    stats, sink = _batch(engine, _jsonl(vignettes), chunk=333)
    assert sink.records() == [rank(case) for case in vignettes]
    assert (stats.lines, stats.cases, stats.failed, stats.blank) == (len(vignettes), len(vignettes), 0, 0)
    assert len(sink.writes) == len(vignettes), "one write per line"


def test_mixed_good_and_bad_lines_keep_order_and_line_numbers(engine: Engine, rank: Any) -> None:
    lines = [
        orjson.dumps(CASES[0]),                                                  # 1 good
        b"not json",                                                             # 2 malformed
        b"",                                                                     # 3 blank
        orjson.dumps({"id": "typo", "pattern": "medullary", "clues": {"rtaa": True}}),  # 4 unknown clue
        orjson.dumps(CASES[1]),                                                  # 5 good
        orjson.dumps({"id": "k", "pattern": "medullary", "colour": "red"}),      # 6 unknown key
        orjson.dumps({"id": "g", "pattern": "medullary", "grade": 7}),          # 7 bad value
        b"   \t",                                                                # 8 blank
        orjson.dumps({"id": "p", "pattern": "papillary"}),                       # 9 bad value
        orjson.dumps(CASES[2]),                                                  # 10 good
        b"[1, 2]",                                                               # 11 not an object
        orjson.dumps({"id": 5, "pattern": "medullary"}),                        # 12 id of the wrong type
        orjson.dumps({"id": "m"}),                                               # 13 missing pattern
    ]
    stats, sink = _batch(engine, b"\n".join(lines) + b"\n", chunk=50)
    records = sink.records()
    assert len(records) == len(lines) - 2, "one record per non-blank line"
    assert records[0] == rank(CASES[0]) and records[3] == rank(CASES[1]) and records[7] == rank(CASES[2])
    errors = [r for r in records if "error" in r]
    for record in errors:
        assert set(record) == {"line", "id", "error"}
        assert isinstance(record["error"], str) and record["error"]
    assert [(r["line"], r["id"]) for r in errors] == [
        (2, None), (4, "typo"), (6, "k"), (7, "g"), (9, "p"), (11, None), (12, None), (13, "m")]
    by_line = {r["line"]: r["error"] for r in errors}
    assert "JSON" in by_line[2]
    assert "clues.rtaa" in by_line[4] and "'rta'" in by_line[4], "names the field and suggests the fix"
    assert "colour" in by_line[6]
    assert "grade" in by_line[7]
    assert "pattern" in by_line[9] and "medullary" in by_line[9]
    assert "pattern" in by_line[13]
    assert (stats.lines, stats.cases, stats.failed, stats.blank) == (13, 3, 8, 2)


def test_blank_lines_are_skipped_and_counted(engine: Engine, rank: Any) -> None:
    data = b"\n" + orjson.dumps(CASES[0]) + b"\n \n\t\n\r\n\n" + orjson.dumps(CASES[1])
    stats, sink = _batch(engine, data)
    assert sink.records() == [rank(CASES[0]), rank(CASES[1])]
    assert (stats.lines, stats.cases, stats.failed, stats.blank) == (7, 2, 0, 5)


def test_only_blank_lines(engine: Engine) -> None:
    stats, sink = _batch(engine, b"\n\n  \n")
    assert sink.writes == []
    assert (stats.lines, stats.cases, stats.failed, stats.blank) == (3, 0, 0, 3)


def test_empty_input(engine: Engine) -> None:
    stats, sink = _batch(engine, b"")
    assert sink.writes == []
    assert stats == BatchStats()


def test_crlf_input_gives_the_same_results_as_lf(engine: Engine) -> None:
    _, lf = _batch(engine, _jsonl(CASES))
    stats, crlf = _batch(engine, _jsonl(CASES, b"\r\n") + b"\r\n", chunk=61)
    assert crlf.writes == lf.writes
    assert (stats.cases, stats.failed, stats.blank) == (len(CASES), 0, 1)


def test_a_utf8_byte_order_mark_is_accepted(engine: Engine) -> None:
    _, plain = _batch(engine, _jsonl(CASES))
    stats, marked = _batch(engine, b"\xef\xbb\xbf" + _jsonl(CASES), chunk=2)
    assert marked.writes == plain.writes and stats.failed == 0


@pytest.mark.parametrize(("data", "hint"), [
    (b'[{"pattern": "medullary"}, {"pattern": "cortical"}]\n', "not a JSON array"),
    (b'{\n  "pattern": "medullary",\n  "clues": {"rta": true}\n}\n', "not pretty-printed JSON"),
])
def test_an_array_or_pretty_printed_json_gets_a_hint_once(engine: Engine, data: bytes, hint: str) -> None:
    stats, sink = _batch(engine, data)
    errors = [record["error"] for record in sink.records()]
    assert stats.failed == len(errors) >= 1
    assert sum(hint in error for error in errors) == 1, errors
    assert hint in errors[0]


def test_an_ordinary_bad_line_gets_no_layout_hint(engine: Engine) -> None:
    _, sink = _batch(engine, b'{"pattern": "sideways"}\n')
    assert "JSON Lines" not in sink.records()[0]["error"]


def test_final_line_without_newline_is_ranked(engine: Engine, rank: Any) -> None:
    data = _jsonl(CASES[:2]).rstrip(b"\n")
    stats, sink = _batch(engine, data)
    assert sink.records() == [rank(CASES[0]), rank(CASES[1])]
    assert stats.cases == 2


def test_over_long_line_is_one_error_record_and_the_run_goes_on(engine: Engine, rank: Any) -> None:
    size = 3 * MAX_LINE_BYTES + 17

    def chunks() -> Iterator[bytes]:
        yield orjson.dumps(CASES[0]) + b"\n"
        # a long line that would be a valid case but for its size: its id is not read
        yield b'{"id": "huge", "pattern": "medullary", "clues": {}, "pad": "'
        block = b"p" * READ_CHUNK
        left = size - 60 - 2
        while left > 0:
            yield block[:min(left, READ_CHUNK)]
            left -= READ_CHUNK
        yield b'"}\n'
        yield orjson.dumps(CASES[1]) + b"\n"
        yield b"oops\n"
        yield orjson.dumps(CASES[2])

    reader = Reader(chunks())
    sink = Sink()
    stats = run_batch(read_lines(reader, reader.before), engine, sink.write, BatchWriter("jsonl"))
    records = sink.records()
    assert len(records) == 5
    assert records[0] == rank(CASES[0])
    assert records[1] == {"line": 2, "id": None,
                          "error": f"line is {size} bytes; the limit is {MAX_LINE_BYTES}"}
    assert records[2] == rank(CASES[1])
    assert records[3]["line"] == 4 and "JSON" in records[3]["error"]
    assert records[4] == rank(CASES[2])
    assert (stats.lines, stats.cases, stats.failed) == (5, 3, 2)


def test_line_of_exactly_the_limit_is_ranked(engine: Engine) -> None:
    line = _padded_case(MAX_LINE_BYTES, "edge-")
    stats, sink = _batch(engine, line + b"\n" + _padded_case(MAX_LINE_BYTES + 1, "over-") + b"\n")
    first, second = sink.records()
    assert first["id"].startswith("edge-") and first["pattern"] == "medullary"
    assert second == {"line": 2, "id": None,
                      "error": f"line is {MAX_LINE_BYTES + 1} bytes; the limit is {MAX_LINE_BYTES}"}
    assert (stats.cases, stats.failed) == (1, 1)


def test_an_over_long_line_given_directly_is_an_error_record(engine: Engine) -> None:
    """run_batch also guards lines that did not come through read_lines."""
    sink = Sink()
    stats = run_batch([b" " * (MAX_LINE_BYTES + 1), orjson.dumps(CASES[0])], engine, sink.write, BatchWriter("jsonl"))
    records = sink.records()
    assert records[0] == {"line": 1, "id": None,
                          "error": f"line is {MAX_LINE_BYTES + 1} bytes; the limit is {MAX_LINE_BYTES}"}
    assert records[1]["id"] == "p1"
    assert (stats.failed, stats.cases, stats.blank) == (1, 1, 0)


def test_each_result_is_written_before_the_next_line_is_read(engine: Engine) -> None:
    """Streaming: run_batch pulls one line, writes its record, then pulls the next."""
    sink = Sink()
    seen: list[int] = []

    def lines() -> Iterator[bytes]:
        for number, case in enumerate([*CASES, {"bad": 1}, *CASES], start=1):
            seen.append(len(sink.writes))
            assert len(sink.writes) == number - 1
            yield orjson.dumps(case)

    run_batch(lines(), engine, sink.write, BatchWriter("jsonl"))
    assert seen == list(range(2 * len(CASES) + 1))
    assert len(sink.writes) == 2 * len(CASES) + 1


def test_same_bytes_as_the_json_renderer(engine: Engine, kb: Any) -> None:
    from nephrocalc.intake import parse_case
    from nephrocalc.render.json import result_json

    _, sink = _batch(engine, _jsonl(CASES))
    expected = [(result_json(engine.rank(parse_case(case, kb))) + "\n").encode() for case in CASES]
    assert sink.writes == expected


def test_json_is_jsonl(engine: Engine) -> None:
    data = _jsonl(CASES) + b"bad\n"
    assert _batch(engine, data, fmt="json")[1].writes == _batch(engine, data, fmt="jsonl")[1].writes


@pytest.mark.parametrize(("fmt", "header"), [("tsv", TSV_HEADER), ("markdown", MARKDOWN_HEADER)])
def test_text_formats_send_errors_to_write_error(engine: Engine, kb: Any, fmt: str, header: str) -> None:
    data = orjson.dumps(CASES[0]) + b"\nnot json\n\n" + orjson.dumps({"id": "k", "pattern": "x"}) + b"\n"
    stats, sink = _batch(engine, data, fmt=fmt)
    assert sink.writes[0] == header.encode()
    footer = f"\n_{NOTICE}_\n" if fmt == "markdown" else ""  # a document read by people ends with the notice
    # ... after the lines it could not read, listed (black-box review 11): a heading, a blank line and one per line
    unread = "\n**2 lines not read:**\n" + "\n- line 2" + "\n- line 4" + "\n" if fmt == "markdown" else ""
    assert len(sink.writes) == 2 + bool(footer), "the header, then one write for the one good case"
    assert sink.text.count("\n") == header.count("\n") + len(kb.causes) + 1 + unread.count("\n") + footer.count("\n")
    assert len(sink.errors) == 2
    assert sink.errors[0].startswith("line 2: ") and "JSON" in sink.errors[0]
    assert sink.errors[1].startswith("line 4 (k): ") and "pattern" in sink.errors[1]
    assert all("\n" not in message for message in sink.errors)
    assert (stats.lines, stats.cases, stats.failed, stats.blank) == (4, 1, 2, 1)


@pytest.mark.parametrize("fmt", ["tsv", "markdown"])
def test_text_formats_without_write_error(engine: Engine, fmt: str) -> None:
    sink = Sink()
    stats = run_batch([b"nope", orjson.dumps(CASES[0])], engine, sink.write, BatchWriter(fmt))
    assert (stats.failed, stats.cases) == (1, 1)
    assert "nope" not in sink.text


def test_text_formats_write_only_a_header_for_no_cases(engine: Engine) -> None:
    assert _batch(engine, b"", fmt="tsv")[1].text == TSV_HEADER
    assert _batch(engine, b"\n", fmt="markdown")[1].text == MARKDOWN_HEADER + f"\n_{NOTICE}_\n"


def test_non_input_errors_are_not_swallowed(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only bad input becomes an error record: a bug in the engine stops the run (the CLI exits 1)."""

    def boom(self: Any, case: Any) -> Any:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(Engine, "rank", boom)
    with pytest.raises(RuntimeError, match="engine bug"):
        run_batch([orjson.dumps(CASES[0])], engine, Sink().write, BatchWriter("jsonl"))


def test_input_error_is_the_error_type_of_records(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def reject(self: Any, case: Any) -> Any:
        raise InputError("labs.calcium", "must be a finite number")

    monkeypatch.setattr(Engine, "rank", reject)
    sink = Sink()
    stats = run_batch([orjson.dumps(CASES[0])], engine, sink.write, BatchWriter("jsonl"))
    assert sink.records() == [{"line": 1, "id": "p1", "error": "labs.calcium: must be a finite number"}]
    assert stats.failed == 1


# --- through the command, in-process -----------------------------------------------------------------


MainFn = Callable[..., tuple[int, str, str]]


def _run_bytes(run_main: MainFn, monkeypatch: pytest.MonkeyPatch, args: list[str], data: bytes
               ) -> tuple[int, str, str]:
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    return run_main(args)


def test_command_counts_failures_in_one_line(run_main: MainFn, monkeypatch: pytest.MonkeyPatch) -> None:
    data = orjson.dumps(CASES[0]) + b"\nbad\n\n" + orjson.dumps(CASES[1]) + b"\n{}\n"
    status, out, err = _run_bytes(run_main, monkeypatch, ["batch", "-"], data)
    assert status == 2
    assert len(out.splitlines()) == 4
    assert err == "nephrocalc: 2 of 4 lines failed; 1 blank line skipped\n"


def test_command_all_good_is_silent(run_main: MainFn, monkeypatch: pytest.MonkeyPatch) -> None:
    status, out, err = _run_bytes(run_main, monkeypatch, ["batch"], _jsonl(CASES))
    assert (status, err) == (0, "")
    assert len(out.splitlines()) == len(CASES)


def test_command_empty_input(run_main: MainFn, monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing on standard output, and said on standard error: an empty input is often a failed export upstream
    assert _run_bytes(run_main, monkeypatch, ["batch"], b"") == (0, "", "nephrocalc: 0 cases ranked: the input was "
                                                                   "empty\n")


def test_command_only_blank_lines(run_main: MainFn, monkeypatch: pytest.MonkeyPatch) -> None:
    status, out, err = _run_bytes(run_main, monkeypatch, ["batch"], b"\n\n\n")
    assert (status, out) == (0, "")
    assert err == "nephrocalc: 0 cases ranked; 3 blank lines skipped\n"


def test_command_over_long_line(run_main: MainFn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with path.open("wb") as handle:
        handle.write(orjson.dumps(CASES[0]) + b"\n")
        handle.write(b"[" + b"0," * MAX_LINE_BYTES + b"0]\n")
        handle.write(orjson.dumps(CASES[1]) + b"\r\n")
    status, out, err = run_main(["batch", str(path)])
    assert status == 2
    records = [json.loads(line) for line in out.splitlines()]
    assert [r.get("line") for r in records] == [None, 2, None]
    assert records[1]["error"] == f"line is {2 * MAX_LINE_BYTES + 3} bytes; the limit is {MAX_LINE_BYTES}"
    assert records[2]["id"] == "p2"
    assert err == "nephrocalc: 1 of 3 lines failed\n"


def test_command_tsv_errors_on_stderr(run_main: MainFn, monkeypatch: pytest.MonkeyPatch) -> None:
    data = orjson.dumps(CASES[0]) + b"\nbad\n"
    status, out, err = _run_bytes(run_main, monkeypatch, ["batch", "--format", "tsv"], data)
    assert status == 2
    assert out.startswith(TSV_HEADER) and "bad" not in out
    assert err.splitlines()[0].startswith("nephrocalc: line 2: ")
    assert err.splitlines()[-1] == "nephrocalc: 1 of 2 lines failed"


# --- worker processes (batch --jobs) --------------------------------------------------------------

MIXED = [
    b"\xef\xbb\xbf" + orjson.dumps(CASES[0]),  # a byte order mark on the first line
    *(orjson.dumps(case) for case in CASES),
    b"",
    b"   ",
    b"not json",
    b'{"pattern": "medullary", "clues": {"no_such_clue": true}, "id": "bad-clue"}',
    b"[",  # a JSON array: the first error with this layout hint gets it
    b"{",
    b" " * (MAX_LINE_BYTES + 1),
    *(orjson.dumps({**case, "id": f"again-{n}"}) for n, case in enumerate(CASES * 5)),
]


def _run_with_jobs(engine: Engine, data: bytes, jobs: int, fmt: str = "jsonl",
                   ready: Callable[[], bool] | None = None) -> tuple[BatchStats, Sink, list[str]]:
    from nephrocalc.batch import Pause

    sink = Sink()
    events: list[str] = []
    pause = Pause(lambda: events.append("flush"), ready)
    reader = Reader(_split(data, 997))
    stats = run_batch(read_lines(reader, pause), engine, sink.write, BatchWriter(fmt, kb=engine.kb),
                      write_error=sink.error,
                      jobs=jobs, pause=pause)
    return stats, sink, events


@pytest.mark.process
@pytest.mark.parametrize(("fmt", "chunk_bytes"), [("jsonl", None), ("tsv", None), ("jsonl", 64)])
def test_worker_processes_write_what_one_process_writes(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                         fmt: str, chunk_bytes: int | None) -> None:
    """Past PARALLEL_AFTER lines the rest is ranked in worker processes: the same bytes, in the same
    order, with the same errors (and the one layout hint), blank lines and counts; also when chunks are cut
    by size (CHUNK_BYTES: long FHIR lines held over a gigabyte in flight before)."""
    import nephrocalc.batch as batch

    monkeypatch.setattr(batch, "PARALLEL_AFTER", 3)
    monkeypatch.setattr(batch, "CHUNK_LINES", 4)
    if chunk_bytes is not None:
        monkeypatch.setattr(batch, "CHUNK_BYTES", chunk_bytes)
    data = b"\n".join(MIXED * 3) + b"\n"
    one_stats, one, _ = _run_with_jobs(engine, data, 1, fmt)
    two_stats, two, _ = _run_with_jobs(engine, data, 2, fmt)
    assert b"".join(two.writes) == b"".join(one.writes)
    assert two.errors == one.errors
    assert two_stats == one_stats
    # a byte order mark is taken off any line (first in a file, or first in each file of a cat)
    assert one_stats.failed == 5 * 3 and one_stats.blank == 6
    # each kind of layout hint once (the array's and the pretty-printed object's), in one process as in several
    assert sum(m.count("jq -c '.[]'") for m in [*one.errors, one.text]) == 1
    assert sum(m.count("jq -c .)") for m in [*one.errors, one.text]) == 1


@pytest.mark.process
def test_worker_processes_write_everything_read_before_the_input_would_block(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """When no input is waiting, every line read so far is ranked and written before the next read, so
    results still stream with workers; while input keeps coming, nothing waits."""
    import nephrocalc.batch as batch

    monkeypatch.setattr(batch, "PARALLEL_AFTER", 2)
    monkeypatch.setattr(batch, "CHUNK_LINES", 1000)  # a chunk never fills: only a pause sends it
    data = _jsonl(CASES * 10)
    stats, sink, events = _run_with_jobs(engine, data, 2, ready=lambda: False)
    assert stats.cases == 40 and len(sink.writes) == 40
    waiting: list[int] = []
    from nephrocalc.batch import Pause

    def ready() -> bool:
        return True

    pause = Pause(lambda: waiting.append(len(sink2.writes)), ready)
    sink2 = Sink()
    reader = Reader(_split(data, 997))
    run_batch(read_lines(reader, pause), engine, sink2.write, BatchWriter("jsonl"), jobs=2, pause=pause)
    # input always waiting: the lines after the first two go out only at the end of the input
    assert waiting[-2] == 2 and len(sink2.writes) == 40
    assert events.count("flush") == len(waiting)


def test_without_a_pause_or_with_html_a_batch_stays_in_one_process(engine: Engine,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import nephrocalc.batch as batch

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("no worker processes here")

    monkeypatch.setattr(batch, "PARALLEL_AFTER", 1)
    monkeypatch.setattr(batch, "_run_parallel", refuse)
    data = _jsonl(CASES * 2)
    reader = Reader(_split(data, 997))
    stats = run_batch(read_lines(reader, reader.before), engine, Sink().write, BatchWriter("jsonl"), jobs=2)
    assert stats.cases == 8
    stats, sink, _ = _run_with_jobs(engine, data, 2, fmt="html")
    assert stats.cases == 8 and "<html" in sink.text


def test_default_jobs_is_between_one_and_four() -> None:
    from nephrocalc.batch import MAX_JOBS, default_jobs

    assert 1 <= default_jobs() <= MAX_JOBS == 4


def test_where_no_worker_pool_can_start_the_run_goes_on_in_one_process(engine: Engine,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures.process

    import nephrocalc.batch as batch

    tried: list[int] = []

    def no_pool(*args: Any, **kwargs: Any) -> None:
        tried.append(1)
        raise OSError(38, "Function not implemented")  # as a sandbox without POSIX semaphores says

    monkeypatch.setattr(batch, "PARALLEL_AFTER", 2)
    monkeypatch.setattr(concurrent.futures.process.ProcessPoolExecutor, "__init__", no_pool)
    data = _jsonl(CASES * 3)
    one_stats, one, _ = _run_with_jobs(engine, data, 1)
    stats, sink, _ = _run_with_jobs(engine, data, 2)
    assert tried == [1], "the pool was asked for once"
    assert stats == one_stats and stats.cases == 12 and b"".join(sink.writes) == b"".join(one.writes)


@pytest.mark.process
def test_a_worker_that_dies_stops_the_run_instead_of_hanging(engine: Engine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import nephrocalc.batch as batch
    from nephrocalc.errors import RunStopped

    monkeypatch.setattr(batch, "PARALLEL_AFTER", 2)
    monkeypatch.setattr(batch, "_rank_chunk", _die)
    with pytest.raises(RunStopped, match="worker process stopped while ranking lines"):
        _run_with_jobs(engine, _jsonl(CASES * 3), 2)


def _die(chunk: Any) -> Any:
    """A worker's task that kills its process, as the system killing a worker would (module level: a
    task is pickled by name)."""
    import os

    os._exit(3)


def test_a_run_that_ends_at_the_threshold_starts_no_workers(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures.process

    import nephrocalc.batch as batch

    started: list[int] = []

    def record(*args: Any, **kwargs: Any) -> None:
        started.append(1)
        raise OSError("not expected here")

    monkeypatch.setattr(batch, "PARALLEL_AFTER", len(CASES))
    monkeypatch.setattr(concurrent.futures.process.ProcessPoolExecutor, "__init__", record)
    stats, _, _ = _run_with_jobs(engine, _jsonl(CASES), 2)
    assert stats.cases == len(CASES) and not started
    stats, _, _ = _run_with_jobs(engine, _jsonl([*CASES, CASES[0]]), 2)  # one line more: the pool is asked for
    assert stats.cases == len(CASES) + 1 and started == [1]
