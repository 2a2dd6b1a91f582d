"""`nephrocalc batch`: JSON Lines in, one output line per input line out, streaming.

The loop takes an iterable of raw lines and a writer, so it holds one line at a time however
long the input is, and it is tested without a terminal. A bad line becomes an error record
(``{"line": n, "id": ..., "error": ...}``) and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from nephrocalc.case import parse_case
from nephrocalc.engine import Engine
from nephrocalc.errors import InputError
from nephrocalc.render_text import TSV_HEADER, result_markdown_rows, result_tsv_rows

MAX_LINE_BYTES = 1_048_576  # a case is a few hundred bytes; a longer line is an error record
BATCH_FORMATS = ("jsonl", "json", "tsv", "markdown")


@dataclass(slots=True)
class BatchStats:
    lines: int = 0
    cases: int = 0
    failed: int = 0
    blank: int = 0


def _readable_id(raw: bytes) -> Any:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        return data["id"]
    return None


def run_batch(lines: Iterable[bytes], engine: Engine, write: Callable[[bytes], Any], *, fmt: str = "jsonl",
              write_error: Callable[[str], Any] | None = None) -> BatchStats:
    """Rank every JSON line; write results (and, for JSON formats, error records) in input order."""
    from nephrocalc.render_json import result_dict

    stats = BatchStats()
    json_out = fmt in ("jsonl", "json")
    if fmt == "tsv":
        write(TSV_HEADER.encode())
    elif fmt == "markdown":
        from nephrocalc.render_text import MARKDOWN_HEADER

        write(MARKDOWN_HEADER.encode())
    kb = engine.kb
    dumps = orjson.dumps
    for number, raw in enumerate(lines, start=1):
        stats.lines = number
        if len(raw) > MAX_LINE_BYTES:
            error: dict[str, Any] = {"line": number, "id": None,
                                     "error": f"line is {len(raw)} bytes; the limit is {MAX_LINE_BYTES}"}
        elif not raw.strip():
            stats.blank += 1
            continue
        else:
            try:
                result = engine.rank(parse_case(raw, kb))
            except InputError as exc:
                error = {"line": number, "id": _readable_id(raw), "error": str(exc)}
            else:
                stats.cases += 1
                if json_out:
                    write(dumps(result_dict(result)) + b"\n")
                elif fmt == "tsv":
                    write(result_tsv_rows(result).encode())
                else:
                    write(result_markdown_rows(result).encode())
                continue
        stats.failed += 1
        if json_out:
            write(dumps(error) + b"\n")
        elif write_error is not None:
            write_error(f"line {number}: {error['error']}")
    return stats
