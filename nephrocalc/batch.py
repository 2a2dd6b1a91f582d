"""`nephrocalc batch`: JSON Lines in, one output line per input line out, streaming.

The loop takes an iterable of raw lines and a writer, so it holds one line at a time however
long the input is (with worker processes, a few chunks of lines), and it is tested without a
terminal. A bad line becomes an error record (``{"line": n, "id": ..., "error": ...}``) and the run
goes on. Each line's outcome is worked out by one function, ``_outcome``, in this process or in a
worker, and written here in input order, so the two ways give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import orjson

from nephrocalc.case import Case
from nephrocalc.engine import Engine
from nephrocalc.errors import InputError, RunStopped
from nephrocalc.intake import escape_controls, parse_case, pattern_null_note, states_pattern_null
from nephrocalc.result import Note, Result
from nephrocalc.vocab import MAX_CASE_BYTES

MAX_LINE_BYTES = MAX_CASE_BYTES  # a case is a few hundred bytes; a longer line is an error record
READ_CHUNK = 1 << 16


class LongLine(bytes):
    """A line that was longer than the limit it was read with (``limit``); ``length`` is its full length."""

    length: int
    limit: int = MAX_LINE_BYTES


def read_lines(read: Callable[[int], bytes], before_blocking_read: Callable[[], Any],
               limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Split a byte stream into lines, holding at most ``limit`` bytes of one line in memory (a contract case:
    MAX_LINE_BYTES; a phenopacket or FHIR document per line: as large as --phenopacket and --fhir read).

    ``read(n)`` returns what is available (at most n bytes; b"" at the end), as os.read does on a
    pipe. ``before_blocking_read`` runs before each read, so output written so far reaches the
    reader whenever the input pauses: results stream even through a buffered output.
    """
    pending: list[bytes] = []  # the start of a line that spans reads, in pieces: joined once, at its end
    pending_length = 0
    skipping = 0  # > 0 while discarding the rest of an over-long line: its length so far
    first = True
    while True:
        before_blocking_read()
        chunk = read(READ_CHUNK)
        if not chunk:
            break
        if first and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
            # a UTF-16 stream (as Windows PowerShell's > writes one) is refused whole, as --case refuses the file:
            # split at its newline bytes it gave one more error record than it has lines, each with a wrong hint
            # (robustness round 79)
            raise InputError("input", "the text is UTF-16 (it starts with a UTF-16 byte-order mark): save it as "
                             "UTF-8; JSON Lines are UTF-8")
        first = False
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                tail = chunk[start:]
                if skipping:
                    skipping += len(tail)
                elif pending_length + len(tail) > limit + 1:  # (+1: a CRLF line's CR is not its content)
                    skipping = pending_length + len(tail)
                    pending, pending_length = [], 0
                elif tail:
                    pending.append(tail)
                    pending_length += len(tail)
                break
            piece = chunk[start:end]
            start = end + 1
            if skipping:
                yield _long(skipping + len(piece), limit)
                skipping = 0
            elif pending:
                pending.append(piece)
                line_bytes = b"".join(pending)
                pending, pending_length = [], 0
                yield _checked(line_bytes, limit)
            else:
                yield _checked(piece, limit)
    if skipping:
        yield _long(skipping, limit)
    elif pending:
        yield _checked(b"".join(pending), limit)


def _long(length: int, limit: int) -> LongLine:
    line = LongLine(b"")
    line.length = length
    line.limit = limit
    return line


def _checked(line: bytes, limit: int = MAX_LINE_BYTES) -> bytes:
    """The line, or a LongLine when it is over ``limit`` bytes; the CR of a CRLF ending is not counted (robustness
    round 62: a case of exactly the limit was read with LF and refused with CRLF)."""
    return line if len(line) <= limit or (len(line) == limit + 1 and line.endswith(b"\r")) else _long(len(line), limit)


@dataclass(slots=True)
class BatchStats:
    lines: int = 0
    cases: int = 0
    failed: int = 0
    blank: int = 0
    warned: int = 0  # results with warnings
    ids_changed: int = 0  # results whose case id the row format writes otherwise
    ids_missing: int = 0  # results whose case has no id
    ids_repeated: int = 0  # results whose case id an earlier result had (among the first IDS_KEPT ids)


_BOM = b"\xef\xbb\xbf"


def _layout_hint(raw: bytes) -> str | None:
    """Why a line that is not a case may be part of one: a JSON array, or pretty-printed JSON."""
    text = raw.strip()
    if b"\r" in text:  # classic Mac OS line ends: every case on one line, the first one's end a "trailing character"
        return ("this line holds carriage returns (\\r) where JSON Lines ends a line with a newline (\\n); convert "
                "with: tr '\\r' '\\n'")
    if text.startswith(b"["):
        return "batch reads JSON Lines, one case object per line, not a JSON array (convert with: jq -c '.[]')"
    try:  # a whole JSON value ("medullary", 42) is a line of its own, not part of a pretty-printed case
        orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    else:
        return None
    if not text.startswith((b"{", b"[")) and b"," in text and b'":' not in text.replace(b" ", b""):
        # a row of a table (robustness round 75: a CSV row starting with a quoted field was told to compact
        # pretty-printed JSON)
        return ("this looks like a CSV row; batch reads JSON Lines, one case object per line (csv and tsv are output "
                "formats only)")
    pretty = text in (b"{", b"}", b"},", b"]") or text.startswith(b'"')
    # the first line of a pretty-printed object ends where the object goes on: after "{", ",", ":" or "["
    # ('{bad' and a complete object followed by a stray byte are broken lines, not pretty-printed ones)
    if pretty or (text.startswith(b"{") and text.endswith((b"{", b",", b":", b"["))):
        return "batch reads JSON Lines, one whole case per line, not pretty-printed JSON (compact with: jq -c .)"
    return None


def _readable_id(raw: bytes) -> Any:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        import json  # a line with NaN or Infinity, which orjson refuses: its id is still readable (fuzz review 44)

        try:
            data = json.loads(raw)
            data["id"].encode("utf-8")  # a lone surrogate ("\ud800"), which orjson refuses too, is no id to echo
        except RecursionError:  # nested past any parser's limit: an id written first is still read (round 75)
            return _leading_id(raw)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            return None
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        return data["id"]
    return None


def _leading_id(raw: bytes) -> str | None:
    """The id of a line whose JSON cannot be parsed whole, when it is the object's first key."""
    import json
    import re

    match = re.match(rb'\s*\{\s*"id"\s*:\s*("(?:[^"\\]|\\.){0,1000}")', raw)
    if match is None:
        return None
    try:
        found = json.loads(match.group(1))
        found.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return None
    return found if isinstance(found, str) else None


class Output(Protocol):
    """Where results go: render.BatchWriter is one."""

    header: bytes
    errors_inline: bool

    def row(self, result: Result) -> bytes: ...

    def error(self, record: dict[str, Any]) -> bytes: ...

    def note_error(self, record: dict[str, Any]) -> None: ...

    def footer(self) -> bytes: ...


Reader = Callable[[bytes], tuple[Case, list[Note]]]
# What one input line came to: its result row, an error (message, id, layout hint), or a blank line
# a row carries flags of what a row format (tsv, csv) cannot show, counted and said: WARNED, its result has warnings;
# ID_CHANGED, its case id was written otherwise (a spreadsheet formula guard, a line break as a space); NO_ID, its
# case has no id. The last item is the id's hash, to count the ids given more than once (a row cannot be joined back
# to its input line by such an id: robustness round 79)
Outcome = (tuple[Literal["row"], bytes, int, int] | tuple[Literal["error"], str, Any, str | None]
           | tuple[Literal["blank"]])
WARNED, ID_CHANGED, NO_ID = 1, 2, 4
IDS_KEPT = 1_000_000  # ids remembered to find the repeated ones: a bound on memory however long the run
IdChanged = Callable[[Result], bool]

PARALLEL_AFTER = 1000  # lines ranked in this process before a long run takes worker processes
CHUNK_LINES = 400  # lines a worker ranks per task: large enough that passing them costs little
# ... or fewer, when the lines are long: 400 FHIR bundles of 300 KB are 120 MB a chunk, and with 2 per worker in
# flight the parent held over a gigabyte (a chunk of contract cases is under 100 KB, far below this)
CHUNK_BYTES = 4 * 1024 * 1024
MAX_JOBS = 4


class Pause:
    """Runs before the input would block (``read_lines``' before_blocking_read): with worker processes,
    every line read so far is ranked and written first, so results still stream; then ``flush``.
    ``ready()`` says whether input is waiting (a read would not block); while it is, nothing waits."""

    def __init__(self, flush: Callable[[], Any], ready: Callable[[], bool] | None = None) -> None:
        self.flush = flush
        self.ready = ready
        self.drain: Callable[[], None] | None = None  # set by run_batch while workers run

    def __call__(self) -> None:
        if self.drain is not None and not (self.ready is not None and self.ready()):
            self.drain()
        self.flush()


def default_jobs() -> int:
    """Worker processes for a long batch: one per CPU this process may use, at most MAX_JOBS."""
    import os

    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_JOBS))


def _outcome(number: int, raw: bytes, engine: Engine, read: Reader | None, row: Callable[[Result], bytes],
             changed: IdChanged | None = None) -> Outcome:
    """Rank one input line (its number counts from 1) into its result row, or say why it cannot be."""
    if raw.startswith(_BOM) and not isinstance(raw, LongLine):
        # a UTF-8 byte order mark, as Windows editors and Excel write: first in a file, or first in a later line
        # of files joined with cat (no JSON line starts with one)
        raw = raw[len(_BOM):]
    if isinstance(raw, LongLine):  # read_lines marks a line over its limit
        return "error", f"line is {raw.length} bytes; the limit is {raw.limit}", None, None
    if not raw.strip():
        return ("blank",)
    try:
        if read is None:
            try:
                result = engine.rank(parse_case(raw, engine.kb))
            except InputError as exc:  # "pattern": null is a pattern not known, as diff --case reads it
                if exc.where != "pattern" or not states_pattern_null(raw):
                    raise
                result = engine.rank(parse_case(raw, engine.kb, pattern_required=False))
                result["warnings"] = [pattern_null_note(), *result["warnings"]]
        else:
            case, notes = read(raw)
            result = engine.rank(case)
            if notes:
                result["warnings"] = [*notes, *result["warnings"]]
    except InputError as exc:
        # escaped as standard error shows it: the field names the user's key, which may hold a line break or an
        # escape sequence, and an error record is read as one line of text (jq -r .error, a report page)
        _forget(exc)
        return "error", _bounded(escape_controls(str(exc))), _readable_id(raw), _layout_hint(raw)
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError, ArithmeticError) as exc:
        # a defect met on one line (a date at the end of the calendar stopped a whole run: fuzz review 46) is that
        # line's error record, as diff reports it, and the run goes on (CONTRACT section 4)
        _forget(exc)
        detail = escape_controls(str(exc))[:200]
        return ("error", f"internal error ({type(exc).__name__}: {detail}); please report it", _readable_id(raw),
                None)
    case_id = result["id"]
    return "row", row(result), (WARNED if result["warnings"] else 0) | (
        ID_CHANGED if changed is not None and changed(result) else 0) | (0 if case_id else NO_ID), hash(case_id)


ERROR_CHARS = 600  # an error record says at most this much, as standard error does (cli.io.one_line)


def _bounded(message: str) -> str:
    """An error message of bounded length: a unit or an id of 500,000 characters was echoed whole in the record and
    in every report made from it (robustness round 79)."""
    return message if len(message) <= ERROR_CHARS else f"{message[:ERROR_CHARS - 40]}... ({len(message)} characters)"


def _forget(exc: BaseException) -> None:
    """Drop the tracebacks of an error and of the errors it was raised from: their frames hold the line and its
    parsed copies in reference cycles, which batch's rare garbage collection left for a long time (robustness round
    79: 1,200 failed lines of 1 MB reached 4.7 GB, where the promise is constant memory)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        error = stack.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        error.__traceback__ = None
        stack.extend((error.__context__, error.__cause__))


# What a worker process ranks with: set in the parent just before the workers are forked
_WORK: tuple[Engine, Reader | None, Callable[[Result], bytes], IdChanged | None] | None = None


def _worker_setup(parent: int | None = None) -> None:
    """A worker's set-up: Ctrl-C stops the parent, which stops the workers; and a worker ends with its parent. A
    SIGTERM or SIGHUP to the parent alone (kill, a supervisor, a closed terminal) left the workers sleeping under
    PID 1 for ever (robustness round 67): on Linux the kernel sends each a SIGTERM when the parent dies
    (PR_SET_PDEATHSIG), and a worker whose parent is already gone leaves at once."""
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError, ImportError):  # not Linux: the parent's own shutdown ends the workers
        pass
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def _rank_chunk(chunk: list[tuple[int, bytes]]) -> list[Outcome]:
    assert _WORK is not None
    engine, read, row, changed = _WORK
    return [_outcome(number, raw, engine, read, row, changed) for number, raw in chunk]


def run_batch(lines: Iterable[bytes], engine: Engine, write: Callable[[bytes], Any], output: Output, *,
              write_error: Callable[[str], Any] | None = None, read: Reader | None = None, jobs: int = 1,
              pause: Pause | None = None, limit: int = MAX_LINE_BYTES, stats: BatchStats | None = None) -> BatchStats:
    """Rank every JSON line; write results (and, where the format allows, error records) in input order.
    ``read`` turns a line into a case and its input warnings (default: a contract case); a line longer than
    ``limit`` bytes is an error record.

    With ``jobs`` > 1 and a ``pause`` (the hook the line reader calls before it would block), a run
    longer than PARALLEL_AFTER lines ranks the rest in ``jobs`` worker processes, CHUNK_LINES at a time;
    the output is the same, byte for byte, in the same order. Formats whose rows are not independent
    (html collects one page) stay in this process, as do systems without fork. ``stats``, when given, is counted
    into as the run goes, so that a caller knows what failed before a write error (a closed pipe) ended it."""
    stats = BatchStats() if stats is None else stats
    if output.header:
        write(output.header)
    row = output.row
    changed = getattr(output, "id_changed", None)
    hinted: set[str] = set()  # each hint once, and every kind of it (robustness round 66: one hint per run)
    # the ids seen, for the formats whose rows are joined back to the input by id (JSON Lines keeps one record per
    # line, in order, and its error records carry the line number)
    seen: set[int] | None = None if output.errors_inline else set()

    def emit(number: int, outcome: Outcome) -> None:
        stats.lines = number
        if outcome[0] == "row":
            stats.cases += 1
            stats.warned += bool(outcome[2] & WARNED)
            stats.ids_changed += bool(outcome[2] & ID_CHANGED)
            if outcome[2] & NO_ID:
                stats.ids_missing += 1
            elif seen is not None:
                if outcome[3] in seen:
                    stats.ids_repeated += 1
                elif len(seen) < IDS_KEPT:
                    seen.add(outcome[3])
            write(outcome[1])
            return
        if outcome[0] == "blank":
            stats.blank += 1
            return
        _, message, readable_id, hint = outcome
        if hint and hint not in hinted:
            hinted.add(hint)
            message = f"{message}; {hint}"
        stats.failed += 1
        error = {"line": number, "id": readable_id, "error": message}
        if output.errors_inline:
            write(output.error(error))
        else:
            output.note_error(error)  # a report page lists them as well
            if write_error is not None:
                # the id as the report pages give it ("line 4 (b)"): a researcher joining the output with the input by
                # id can tell a failed case from one never given (robustness round 73); an unprintable id is left out
                named = f" ({readable_id})" if readable_id and readable_id.isprintable() and len(readable_id) <= 80 \
                    else ""
                write_error(f"line {number}{named}: {error['error']}")

    parallel = jobs > 1 and pause is not None and getattr(output, "pure_rows", False)
    # lines that did not come through read_lines are held to the limit too (``limit``: as read_lines had it)
    numbered = enumerate((raw if isinstance(raw, LongLine) else _checked(raw, limit) for raw in lines), start=1)
    for number, raw in numbered:
        emit(number, _outcome(number, raw, engine, read, row, changed))
        if parallel and number >= PARALLEL_AFTER:
            parallel = False
            # multiprocessing is imported only for a long run; where no pool can start (no fork, no
            # semaphores in a sandbox), the run goes on in this process
            if pause is not None and _can_fork() and _run_parallel(numbered, engine, read, row, emit, jobs, pause,
                                                                         changed):
                break
    end = output.footer()
    if end:
        write(end)
    return stats


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _run_parallel(numbered: Iterator[tuple[int, bytes]], engine: Engine, read: Reader | None,
                  row: Callable[[Result], bytes], emit: Callable[[int, Outcome], None], jobs: int,
                  pause: Pause, changed: IdChanged | None = None) -> bool:
    """The rest of a long run in worker processes: chunks of lines go out in order, at most two per
    worker in flight (memory stays flat however long the input), and come back in order. False, with
    only the line it looked ahead at ranked, when no pool can start. A worker that dies stops the run
    (RunStopped) rather than leaving it waiting."""
    import collections
    import itertools
    import multiprocessing
    import os
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _WORK
    first = next(numbered, None)
    if first is None:  # the input ended at the threshold: nothing left for workers
        return True
    numbered = itertools.chain((first,), numbered)
    pause.flush()  # a forked worker must not inherit unwritten output
    _WORK = (engine, read, row, changed)
    try:
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_worker_setup, initargs=(os.getpid(),))
    except (OSError, ImportError, NotImplementedError):  # no semaphores (sem_open) in some sandboxes
        _WORK = None
        emit(first[0], _outcome(first[0], first[1], engine, read, row, changed))  # the line taken to look ahead
        return False
    in_flight: collections.deque[tuple[list[int], Future[list[Outcome]]]] = collections.deque()
    chunk: list[tuple[int, bytes]] = []
    size = [0]  # bytes of the lines in the chunk

    def send() -> None:
        if chunk:
            in_flight.append(([n for n, _ in chunk], pool.submit(_rank_chunk, list(chunk))))
            chunk.clear()
            size[0] = 0

    def receive() -> None:
        numbers, pending = in_flight.popleft()
        try:
            outcomes = pending.result()
        except BrokenProcessPool:
            raise RunStopped(f"a worker process stopped while ranking lines {numbers[0]}-{numbers[-1]} (killed by the "
                             f"system, perhaps for lack of memory): the results of lines 1-{numbers[0] - 1} were "
                             "written, none after; rerun with --jobs 1 to rank in one process") from None
        for number, outcome in zip(numbers, outcomes, strict=True):
            emit(number, outcome)

    def drain() -> None:  # the input would block: rank and write all that was read
        send()
        while in_flight:
            receive()

    pause.drain = drain
    try:
        for number, raw in numbered:
            chunk.append((number, raw))
            size[0] += len(raw)
            if len(chunk) >= CHUNK_LINES or size[0] >= CHUNK_BYTES:
                send()
                while len(in_flight) > 2 * jobs:
                    receive()
        drain()
    finally:
        pause.drain = None
        _WORK = None
        pool.shutdown(wait=True, cancel_futures=True)
    return True
