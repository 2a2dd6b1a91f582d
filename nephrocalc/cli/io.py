"""Standard input and output for the command line: bounded case reading, a guarded binary stdout
for streaming, closed-pipe handling, and the one-line y/n/u/q prompt of `ask` without a terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nephrocalc.errors import InputError
from nephrocalc.vocab import LINE_CONTROLS, MAX_CASE_BYTES, MAX_DOCUMENT_BYTES

if TYPE_CHECKING:
    from pathlib import Path


def stdin_is_terminal() -> bool:
    return sys.stdin is None or sys.stdin.isatty()


UTF8_BOM = b"\xef\xbb\xbf"


_DOCUMENT = {"--case": "case", "--phenopacket": "phenopacket", "--fhir": "fhir"}
_OBJECT = {"--case": 'must be a JSON object such as {"pattern": "medullary"}',
           "--phenopacket": "must be a JSON object (one GA4GH Phenopacket v2)",
           "--fhir": "must be a JSON object (a FHIR R4 resource with a resourceType, e.g. a Bundle)"}


def read_case_source(source: str, option: str = "--case") -> dict[str, Any]:
    """The JSON object of a case file, or of standard input for ``-``, at most MAX_CASE_BYTES (a FHIR
    bundle or a phenopacket: MAX_DOCUMENT_BYTES)."""
    import orjson

    document = _DOCUMENT.get(option, "case")
    limit = MAX_DOCUMENT_BYTES if option in ("--fhir", "--phenopacket") else MAX_CASE_BYTES
    if source == "-":
        if stdin_is_terminal():
            raise InputError(f"{option} -", "reads JSON from standard input, but nothing was piped in")
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.read(limit + 3) if stream is not None else sys.stdin.read().encode("utf-8", "replace")
        more = stream.read(1) if stream is not None and len(raw) == limit + 3 else b""
        what = f"{document} (stdin)"
    else:
        try:
            with open(source, "rb") as handle:
                raw = handle.read(limit + 3)
                more = handle.read(1) if len(raw) == limit + 3 else b""
        except OSError as exc:
            raise InputError(option, f"cannot read {source!r} ({exc.strerror or exc})") from None
        what = f"{document} ({source})"
    # the limit is the JSON's, as batch counts a line without its line end: a trailing newline (or CRLF) is not counted
    # (robustness round 67: a case of exactly 1 MiB was taken by batch and refused by --case once saved)
    if more or len(raw.rstrip(b"\r\n")) > limit:
        raise InputError(what, f"is larger than {limit} bytes, the limit for one "
                         + ("document" if limit != MAX_CASE_BYTES else "case"))
    if raw.startswith(UTF8_BOM):  # as Windows editors and Excel write UTF-8
        raw = raw[len(UTF8_BOM):]
    if document != "case":  # a number too large for a double is one implausible value of the document
        from nephrocalc.intake import load_document

        data = load_document(raw, what)
    else:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            from nephrocalc.intake import json_error

            # NaN or Infinity, which JSON does not have, or nesting past the parser's limit: said of the field that
            # holds it, where it can be found
            raise json_error(exc, raw, what) from None
    if not isinstance(data, dict):
        raise InputError(what, _OBJECT.get(option, _OBJECT["--case"]))
    from nephrocalc.intake import refuse_repeated_keys

    refuse_repeated_keys(raw, data, what)
    return data


ANSWERS = {"y": "y", "yes": "y", "n": "n", "no": "n", "u": "u", "unknown": "u", "?": "u", "q": "q", "quit": "q",
           "b": "b", "back": "b"}
END_OF_INPUT = "\x00end of input"  # no answer can be this (a NUL is refused): the answers ran out, or Ctrl-D
# a script's answer that cannot be read: the question is left unknown and the next line answers the next question,
# rather than the next line being taken for this question again (each line of a script answers one question)
NOT_READ = "\x00not read: "


def prompt_line(question_line: str, *, takes_value: bool = False, terminal: bool = False,
                unit: str | None = None) -> str:
    """Ask one question on stderr and read the answer from stdin: y/yes, n/no, u/?/unknown, q, b (back),
    or, when ``takes_value`` (a lab settles the question), a value with its unit or a bound, returned as typed. The
    end of input (a script's answers run out, Ctrl-D on a terminal) is END_OF_INPUT: the interview stops there.
    An answer that cannot be read is asked again on a terminal; from a script it is NOT_READ followed by why."""
    while True:
        sys.stderr.write(question_line)
        sys.stderr.flush()
        reply, whole = _answer_line()
        if not reply:  # end of input: stop asking
            return END_OF_INPUT
        example = f"<9 {unit}" if unit and unit != "pH" else "<9 mg/dL" if not unit else "<5.5"
        allowed = f"y, n, u, q, b or a value with its unit (or a bound: {example})" if takes_value else \
            "y, n, u, q or b"
        if not whole:  # one line is one answer: a line too long to be one is refused whole, not read in pieces
            why = f"answer too long (over {MAX_ANSWER} characters); answer {allowed}"
            if not terminal:
                return NOT_READ + why
            sys.stderr.write(f"nephrocalc: {why}\n")
            continue
        reply = reply.lstrip("\ufeff")  # a byte-order mark, as Windows editors write at the start of a file
        answer = ANSWERS.get(reply.strip().lower())
        if answer is not None:
            return answer
        # a value, or a bound "<9" (or "≥12", as --lab reads it: robustness round 67)
        if takes_value and reply.strip()[:1] in "0123456789.+-<>\u2264\u2265" and reply.strip():
            return reply.strip()
        why = f"answer {allowed} (got {reply.strip()[:20]!r})"
        if not terminal:
            return NOT_READ + why
        sys.stderr.write(f"nephrocalc: {why}\n")


MAX_ANSWER = 1024  # an answer (y/n, or a lab value with its unit) is short: a longer line is not one


def _answer_line() -> tuple[str, bool]:
    """One line of standard input and whether it was read whole: a line longer than MAX_ANSWER is read to
    its end (in bounded pieces) and reported as not whole, so that its tail is not taken as the next answer.
    Standard input closed (`<&-`: Python then has none) holds no answers: the end of input."""
    if _PENDING:  # the rest of a line whose answers were separated by bare carriage returns
        return _PENDING.pop(0), True
    if sys.stdin is None:
        return "", True
    stream = getattr(sys.stdin, "buffer", None)

    def piece() -> str:
        if stream is not None:
            return str(stream.readline(MAX_ANSWER).decode("utf-8", "replace"))
        return str(sys.stdin.readline(MAX_ANSWER))

    reply = piece()
    whole = not reply or reply.endswith("\n") or len(reply) < MAX_ANSWER
    if not whole:
        while (rest := piece()) and not rest.endswith("\n"):  # skip the rest of the line, never holding it all
            pass
    elif "\r" in (body := reply.rstrip("\r\n")):
        # answers ended by bare carriage returns (an old Mac editor, a serial terminal: "y\rn\r"), one answer each,
        # as a CRLF line is one (robustness round 75: the two became one unreadable answer, the second lost)
        first, *others = body.split("\r")
        _PENDING.extend(f"{line}\n" for line in others)
        return f"{first}\n", True
    return reply, whole


_PENDING: list[str] = []  # answers read but not yet given: the parts of a line split at bare carriage returns


def new_interview() -> None:
    """Forget answers held from an earlier interview in this process (the parts of a carriage-return line)."""
    _PENDING.clear()


def unread_lines(stream: Any, limit: int = 1 << 16) -> int:
    """How many non-blank lines already wait on the stream (up to ``limit`` bytes), read without blocking:
    the answers a script piped in after the interview stopped, so that they are named, not dropped
    silently. A pipe whose writer has sent nothing more counts none; nothing waits for it."""
    buffer = getattr(stream, "buffer", stream)
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. in tests): what it holds
        data = buffer.read(limit) if hasattr(buffer, "read") else b""
    else:
        try:
            blocking = os.get_blocking(fd)
            os.set_blocking(fd, False)
        except (OSError, AttributeError):  # AttributeError: no get_blocking (Windows before Python 3.12)
            return 0
        try:
            data = buffer.read(limit)
        except (BlockingIOError, OSError, ValueError):
            data = b""
        finally:
            os.set_blocking(fd, blocking)
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    return sum(1 for line in _PENDING if line.strip()) + sum(1 for line in (data or b"").splitlines() if line.strip())


def reader(stream: Any) -> Any:
    """os.read on the stream's file descriptor (returns what is available), else its read1/read."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. in tests)
        return getattr(stream, "read1", stream.read)
    # nothing has read from the stream yet, so no bytes wait in Python's buffer in front of the fd
    return lambda size: os.read(fd, size)


def input_waiting(stream: Any, wait: float = 0.05) -> Callable[[], bool] | None:
    """Whether input is waiting on the stream, or arrives within ``wait`` seconds (a read would not
    block): select on its file descriptor; None when it has none. A regular file is always ready. The
    short wait lets a pipe that a fast writer refills count as ready."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return None
    import select

    def ready() -> bool:
        try:
            return bool(select.select([fd], [], [], wait)[0])
        except (OSError, ValueError):
            return False

    return ready


def binary_stdout() -> Any:
    """Standard output for bytes. Results are ~9 KB a line: a 256 KiB buffer turns a write system
    call per line into one per ~30 lines."""
    sys.stdout.flush()
    try:
        return GuardedStream(open(sys.stdout.fileno(), "wb", buffering=1 << 18, closefd=False))
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. captured in tests)
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            return GuardedStream(buffer)
        return _TextWriter(sys.stdout)


class _TextWriter:
    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        return int(self.stream.write(data.decode()))

    def flush(self) -> None:
        self.stream.flush()


def write(text: str) -> None:
    """Text to stdout, ending with a newline (as UTF-8 where the terminal's encoding cannot hold it: GuardedStream)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def one_line(message: str, limit: int = 600) -> str:
    """A message as one line of bounded length: what the user typed is echoed safely (intake.escape_controls:
    line breaks as \\n and \\r, other control characters as \\xNN, the Unicode line controls as \\uNNNN), as
    batch's error records hold it."""
    from nephrocalc.intake import escape_controls  # imported with the case reader on every ranking path

    text = escape_controls(message)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class PipeClosed(Exception):
    """The reader of standard output went away (`| head`): not an error, and not an OSError, so
    that typer's own handling (exit status 1) does not catch it first."""


class OutputFailed(Exception):
    """Standard output cannot be written (closed, or a full disk): a one-line error, exit status 1,
    not an internal error."""


class GuardedStream:
    """Standard output that turns a closed pipe into PipeClosed and any other write error (a full
    disk, a closed descriptor) into OutputFailed."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: Any) -> Any:
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise PipeClosed from None
        except UnicodeEncodeError as exc:
            # an output encoding that cannot hold the text (ASCII, Latin-1): written as UTF-8 bytes instead, since
            # JSON is UTF-8 by its standard and the HTML page declares it (a lab step's arrow made diff -f json fail
            # under LC_ALL=C); a stream without bytes underneath fails as before
            buffer = getattr(self._stream, "buffer", None)
            if buffer is None or not isinstance(data, str):
                raise OutputFailed(_reason(exc)) from None
            self.flush()
            return GuardedStream(buffer).write(data.encode("utf-8"))
        except (OSError, ValueError) as exc:  # ValueError: the stream itself was closed
            raise OutputFailed(_reason(exc)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise PipeClosed from None
        except (OSError, ValueError) as exc:
            raise OutputFailed(_reason(exc)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class QuietStream:
    """Standard error whose write errors are dropped: notes and warnings lost to a closed pipe (``2>&1 | head``) or a
    full disk must not change the command's result, nor its exit status (robustness round 71: click turns a broken
    pipe into exit 1, so a valid pack's `rules check` failed). Once a write fails, the descriptor points at devnull."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: Any) -> Any:
        try:
            return self._stream.write(data)
        except (OSError, ValueError):
            silence_stderr()
            return len(data)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError):
            silence_stderr()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def silence_stdout() -> None:
    """After a closed pipe, point stdout at devnull so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def silence_stderr() -> None:
    """After standard error closed (``2>&1 | head``), point it at devnull so that the interpreter's final flush
    does not turn the command's exit status into 1 or 120 (robustness round 71: a valid pack's `rules check` then
    failed in CI)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _exact(number: float) -> str:
    """A number as short as reads back as the same value: 60 for 60.0, but 59.9999999 whole, where six
    significant digits had rounded it across a reference limit (robustness round 64: the replay lost ckd)."""
    short = f"{number:g}"
    return short if float(short) == number else repr(float(number))


def replay_command(case: dict[str, Any], packs: tuple[Path, ...] = ()) -> str:
    """A shell command that ranks this case again (`nephrocalc diff` with flags), quoted for POSIX shells,
    with the rule packs it was ranked with (--extended, --rules DIR) and each lab's bound (<, >).
    A case whose input gave no pattern (a phenopacket without a pattern term) cannot be replayed as it
    is: the command says so and leaves a PATTERN to fill in."""

    words = ["nephrocalc", "diff"]
    prefix = ""
    if packs:
        from nephrocalc.loader import extended_rules_dir

        words += ["--extended"] if extended_rules_dir() in packs else []
        # the other packs as NEPHROCALC_RULES for this one command: it replaces the variable, where --rules
        # would lay them over the other packs a shell's variable already sets
        # absolute, so that the command works from another folder
        rules = [str(pack.resolve()) for pack in packs if pack != extended_rules_dir()]
        if any(os.pathsep in rule for rule in rules):
            # a folder named with the separator would be read as two packs: each is given to --rules, and the
            # variable emptied so that --rules is not given twice
            prefix = "NEPHROCALC_RULES= "
            for rule in rules:
                words += ["--rules", rule]
        elif rules:
            prefix = f"NEPHROCALC_RULES={_shell_word(os.pathsep.join(rules))} "
    if case.get("pattern") is None:
        words += ["--pattern", "PATTERN"]
    for name, flag in (("pattern", "--pattern"), ("modality", "--modality"), ("grade", "--grade"),
                       ("laterality", "--laterality"), ("age_years", "--age"), ("onset_age_years", "--onset-age"),
                       ("sex", "--sex")):
        if case.get(name) is not None:
            words += [flag, _exact(case[name]) if isinstance(case[name], float) else str(case[name])]
    for clue, value in case.get("clues", {}).items():
        words.append(("--" if value else "--no-") + clue.replace("_", "-"))
    for lab, value in case.get("labs", {}).items():
        words += ["--lab", f"{lab}={value.get('comparator', '')}{_exact(value['value'])} {value['unit']}"]
    command = prefix + " ".join(_shell_word(word) for word in words)
    if case.get("pattern") is None:
        return f"{command}   (the input gave no pattern: put medullary, cortical or combined for PATTERN)"
    dated = sorted(lab for lab, value in case.get("labs", {}).items() if value.get("age_years") is not None)
    # no flag carries a lab's own sampling age, nor the case's id: said, so the line is not taken for the exact case
    # (robustness round 79: the id was dropped without a word)
    missing = ([f"the sampling age of {', '.join(dated)}"] if dated else []) + (
        [f"the id {_shell_word(str(case['id']))[:60]}"] if case.get("id") else [])
    if missing:
        return (f"{command}   ({' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not carried by flags: "
                "replay the JSON case with --format json and diff --case)")
    return command


def _shell_word(word: str) -> str:
    """A word quoted for the shell. One with a control character (a pack folder's name) is written in ANSI-C
    quoting ($'...', bash, zsh, ksh), escaped, so that the line printed cannot move the cursor or break."""
    import shlex

    if not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or ord(char) in LINE_CONTROLS for char in word):
        return shlex.quote(word)
    escaped = "".join(
        f"\\x{ord(char):02x}" if ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0
        else f"\\u{ord(char):04x}" if ord(char) in LINE_CONTROLS
        else "\\" + char if char in "\\'" else char for char in word)
    return f"$'{escaped}'"


def with_progress(lines: Any, stream: Any = None) -> Any:
    """The lines of a batch, counted on ``stream`` (stderr) as they go, only when it is a terminal: a
    carriage-return line at most four times a second, checked every 256 lines (no cost in a pipe)."""
    import time

    stream = stream if stream is not None else sys.stderr
    if not getattr(stream, "isatty", lambda: False)():
        yield from lines
        return
    started = last = time.monotonic()
    count = 0
    for count, line in enumerate(lines, start=1):
        if count & 255 == 0 and (now := time.monotonic()) - last >= 0.25:
            last = now
            stream.write(f"\rnephrocalc: {count} lines read, {count / (now - started):.0f}/s ")
            stream.flush()
        yield line
    elapsed = max(time.monotonic() - started, 1e-9)
    stream.write(f"\rnephrocalc: {count} lines in {elapsed:.1f} s ({count / elapsed:.0f}/s)\n")
    stream.flush()
