"""`nephrocalc batch`: JSON Lines in, one output line per input line out, streaming.

The loop takes an iterable of raw lines and a writer, so it holds one line at a time however
long the input is, and it is tested without a terminal. A bad line becomes an error record
(``{"line": n, "id": ..., "error": ...}``) and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from nephrocalc.case import Case
from nephrocalc.engine import Engine
from nephrocalc.errors import InputError
from nephrocalc.intake import parse_case
from nephrocalc.result import Note, Result
from nephrocalc.vocab import MAX_CASE_BYTES

MAX_LINE_BYTES = MAX_CASE_BYTES  # a case is a few hundred bytes; a longer line is an error record
READ_CHUNK = 1 << 16


class LongLine(bytes):
    """The first bytes of a line that was longer than MAX_LINE_BYTES; ``length`` is its full length."""

    length: int


def read_lines(read: Callable[[int], bytes], before_blocking_read: Callable[[], Any]) -> Iterator[bytes]:
    """Split a byte stream into lines, holding at most MAX_LINE_BYTES of one line in memory.

    ``read(n)`` returns what is available (at most n bytes; b"" at the end), as os.read does on a
    pipe. ``before_blocking_read`` runs before each read, so output written so far reaches the
    reader whenever the input pauses: results stream even through a buffered output.
    """
    pending = b""
    skipping = 0  # > 0 while discarding the rest of an over-long line: its length so far
    while True:
        before_blocking_read()
        chunk = read(READ_CHUNK)
        if not chunk:
            break
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                tail = chunk[start:]
                if skipping:
                    skipping += len(tail)
                elif len(pending) + len(tail) > MAX_LINE_BYTES:
                    skipping = len(pending) + len(tail)
                    pending = b""
                else:
                    pending += tail
                break
            piece = chunk[start:end]
            start = end + 1
            if skipping:
                line = LongLine(b"")
                line.length = skipping + len(piece)
                skipping = 0
                yield line
            elif pending:
                line_bytes = pending + piece
                pending = b""
                yield _checked(line_bytes)
            else:
                yield _checked(piece)
    if skipping:
        line = LongLine(b"")
        line.length = skipping
        yield line
    elif pending:
        yield _checked(pending)


def _checked(line: bytes) -> bytes:
    if len(line) <= MAX_LINE_BYTES:
        return line
    long_line = LongLine(b"")
    long_line.length = len(line)
    return long_line


@dataclass(slots=True)
class BatchStats:
    lines: int = 0
    cases: int = 0
    failed: int = 0
    blank: int = 0


_BOM = b"\xef\xbb\xbf"


def _layout_hint(raw: bytes) -> str | None:
    """Why a line that is not a case may be part of one: a JSON array, or pretty-printed JSON."""
    text = raw.strip()
    if text.startswith(b"["):
        return "batch reads JSON Lines, one case object per line, not a JSON array (convert with: jq -c '.[]')"
    pretty = text in (b"{", b"}", b"},", b"]") or text.startswith(b'"')
    if pretty or (text.startswith(b"{") and not text.endswith(b"}")):
        return "batch reads JSON Lines, one whole case per line, not pretty-printed JSON (compact with: jq -c .)"
    return None


def _readable_id(raw: bytes) -> Any:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        return data["id"]
    return None


class Output(Protocol):
    """Where results go: render.BatchWriter is one."""

    header: bytes
    errors_inline: bool

    def row(self, result: Result) -> bytes: ...

    def error(self, record: dict[str, Any]) -> bytes: ...

    def footer(self) -> bytes: ...


def run_batch(lines: Iterable[bytes], engine: Engine, write: Callable[[bytes], Any], output: Output, *,
              write_error: Callable[[str], Any] | None = None,
              read: Callable[[bytes], tuple[Case, list[Note]]] | None = None) -> BatchStats:
    """Rank every JSON line; write results (and, where the format allows, error records) in input order.
    ``read`` turns a line into a case and its input warnings (default: a contract case)."""
    stats = BatchStats()
    if output.header:
        write(output.header)
    errors_inline = output.errors_inline
    row = output.row
    kb = engine.kb
    hinted = False
    for number, raw in enumerate(lines, start=1):
        stats.lines = number
        if number == 1 and raw.startswith(_BOM) and not isinstance(raw, LongLine):
            raw = raw[len(_BOM):]  # a UTF-8 byte order mark, as Windows editors and Excel write
        if isinstance(raw, LongLine) or len(raw) > MAX_LINE_BYTES:
            size = raw.length if isinstance(raw, LongLine) else len(raw)
            error: dict[str, Any] = {"line": number, "id": None,
                                     "error": f"line is {size} bytes; the limit is {MAX_LINE_BYTES}"}
        elif not raw.strip():
            stats.blank += 1
            continue
        else:
            try:
                if read is None:
                    result = engine.rank(parse_case(raw, kb))
                else:
                    case, notes = read(raw)
                    result = engine.rank(case)
                    if notes:
                        result["warnings"] = [*notes, *result["warnings"]]
            except InputError as exc:
                message = str(exc)
                hint = None if hinted else _layout_hint(raw)
                if hint:
                    hinted = True
                    message = f"{message}; {hint}"
                error = {"line": number, "id": _readable_id(raw), "error": message}
            else:
                stats.cases += 1
                write(row(result))
                continue
        stats.failed += 1
        if errors_inline:
            write(output.error(error))
        elif write_error is not None:
            write_error(f"line {number}: {error['error']}")
    end = output.footer()
    if end:
        write(end)
    return stats
