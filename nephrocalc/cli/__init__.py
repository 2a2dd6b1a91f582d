"""The command line: a thin adapter that parses, calls the core, and hands the result to a renderer.

Every error the user can fix becomes one line on stderr and exit status 2 (``run``); nothing
else here knows about exit codes. Heavy modules (rich, pydantic's model machinery) are imported
inside the commands that need them, so start-up stays close to the cost of importing typer.

- ``app.py``: the application factory and the commands;
- ``options.py``: the shared options, the clue flags and the rule-pack pre-parse;
- ``io.py``: standard input and output.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

# A command lives for a fraction of a second: the cyclic collector's passes over the many objects that
# importing typer, pydantic and rich creates (none of them garbage) are wasted start-up, about 7 ms of
# 90. It is paused from here until the command ends (run); batch, which runs long, turns it back on
# for itself. Reference counting frees everything else as usual.
_COLLECTING = gc.isenabled()
gc.disable()

import typer  # noqa: E402
from typer._click import exceptions as click_exceptions  # noqa: E402  typer 0.26-0.28 vendor click

from nephrocalc.errors import NephrocalcError, RunStopped  # noqa: E402

__all__ = ["main", "run"]


def run(argv: list[str] | None = None, *, prog_name: str = "nephrocalc") -> int:
    """Run the command line and return the exit status (0 success, 2 bad input, 1 anything else)."""
    from nephrocalc.cli.io import GuardedStream, QuietStream

    stdout, stderr = sys.stdout, sys.stderr
    if stderr is None:  # started with stderr closed (2>&-): errors are lost, but the exit status is kept
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the command
    sys.stderr = QuietStream(sys.stderr)  # a note lost to a closed pipe does not change the result
    if stdout is None:  # started with stdout closed (>&-): nothing can be written
        status = _fail("cannot write standard output (it is closed)", 1)
        sys.stderr = stderr
        return status
    sys.stdout = GuardedStream(stdout)
    try:
        return _run(list(sys.argv[1:] if argv is None else argv), prog_name)
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        if _COLLECTING:  # the collector, paused for start-up, is on again for whatever runs next
            gc.enable()


def _fail(message: str, status: int = 2) -> int:
    from nephrocalc.cli.io import one_line

    try:
        sys.stderr.write(f"nephrocalc: error: {one_line(message)}\n")
        sys.stderr.flush()
    except (BrokenPipeError, OSError):
        pass
    return status


_MISSING = {
    "diff": "--pattern (medullary, cortical or combined) or a case (--case, --phenopacket, --fhir)",
    "ask": "--pattern (medullary, cortical or combined) or a case to resume (--case)",
}


def _bare(ctx: Any) -> int:
    """A command given nothing: one line naming what it needs, its usage and where the help is (stderr,
    exit 2); the help itself is one --help away rather than hundreds of lines of it here."""
    command_path = ctx.command_path
    name = command_path.split()[-1]
    commands = sorted(getattr(ctx.command, "commands", {}) or ())
    if name in _MISSING:
        first = f"{command_path} needs {_MISSING[name]}; usage: {command_path} [OPTIONS]"
    else:
        first = f"{command_path} needs a command" + (f" ({', '.join(commands)})" if commands else "")
    return _fail(f"{first} (see `{command_path} --help`)")


def _cause_as_flag(exc: Any, session: Any) -> str | None:
    """A cause typed as a flag (--hyperparathyroidism, --distal-rta): say that it is a cause, ranked from the
    findings, rather than offer the nearest spelling, which may be a finding of opposite meaning
    (--hypoparathyroidism; robustness round 70). None when the option is not a cause's id."""
    import re

    found = re.match(r"No such option: --(?:no-)?([\w-]+)", " ".join(exc.format_message().split()))
    if found is None or session is None:
        return None
    name = found[1].replace("-", "_").lower()
    from nephrocalc.loader import extended_rules_dir

    try:
        causes = set(session.kb().causes)
    except NephrocalcError:  # a pack that cannot be read: the usual message is said instead
        return None
    causes |= {path.stem for path in extended_rules_dir().joinpath("causes").glob("*.toml")}
    if name not in causes:
        return None
    return (f"--{found[1]}: {name} is a cause, not a finding: nephrocalc ranks the causes from the findings given as "
            f"flags (`nephrocalc cause {name}` lists the findings that bear on it, `nephrocalc clues` every flag)")


def _usage_message(exc: Any, invoked: str | None = None, argv: list[str] | None = None) -> str:
    """click's usage errors as one line that names the option and what is allowed."""
    message = " ".join(exc.format_message().split()).replace("Value error, ", "")
    import re

    extra = re.match(r"Got unexpected extra argument(?:\(s\)|s)? \((.+)\)$", message)
    tokens = argv or []
    if extra and tokens:
        # --lab k=2.9 mmol/L unquoted: the shell made the unit a word of its own, which click calls an extra
        # argument; say what happened to the lab (a one-word value, or its quotes)
        for i, token in enumerate(tokens[:-1]):
            value, unit = (tokens[i + 1], tokens[i + 2]) if token == "--lab" and i + 2 < len(tokens) else \
                (token[len("--lab="):], tokens[i + 1]) if token.startswith("--lab=") else (None, "")
            if value is not None and re.fullmatch(r"[^=\s]+=\s*[<>]?=?\s*[-+.\d]+", value) \
                    and extra[1].split()[0] == unit:
                return (f"--lab: {value!r} and {unit!r} are two arguments: write {value}{unit}, or quote it "
                        f"(\"{value} {unit}\")")

    age = re.match(r"Invalid value for '(--age|--onset-age)': (['\"].*['\"]) is not a valid float range\.?$", message)
    if age:  # say which forms an age takes, not that it is not a "float range"; the value keeps click's own
        # quoting, already escaped once (quoting it again had shown one backslash typed as four)
        message = (f"{age[1]}: must be an age in years from 0 to 130, or a number with a unit: 6mo, 3w, 10d, 2y "
                   f"(got {age[2]})")
    flag = re.match(r"Option '(--[\w-]+)' does not take a value\.$", message)
    if flag:  # --rta=yes: say what a flag is and how to give it
        message = f"{flag[1]}: a flag, it takes no value: give {flag[1]} alone"
    ctx = getattr(exc, "ctx", None)
    # click raises some usage errors without their context ("--rta=yes": "does not take a value"): the help to
    # read is still the command's
    command = ctx.command_path if ctx is not None else " ".join(filter(None, ("nephrocalc", invoked)))
    return f"{message} (see `{command} --help`)"


def _from_environment(exc: NephrocalcError) -> str:
    """A rule pack's problem when $NEPHROCALC_RULES loads packs the command line does not name: say so, since
    the user typed nothing that points at them (`rules check` says it by pack already)."""
    from nephrocalc.errors import RuleError

    packs = os.environ.get("NEPHROCALC_RULES", "").strip()
    return f" (rule packs of $NEPHROCALC_RULES are loaded too: {packs})" if isinstance(exc, RuleError) and packs else ""


def _from_command_line(exc: NephrocalcError, argv: list[str]) -> str:
    """A rule pack's problem names its file within the pack ("pack.toml", "causes/x.toml"), and a single pack is not
    named by its folder: say which --rules folder it is (robustness round 53), unless the message names it already."""
    from nephrocalc.errors import RuleError

    if not isinstance(exc, RuleError):
        return ""
    folders = [argv[i + 1] for i, token in enumerate(argv[:-1]) if token == "--rules"]
    folders += [token.split("=", 1)[1] for token in argv if token.startswith("--rules=")]
    if len(folders) != 1 or str(exc).startswith(os.path.basename(os.path.normpath(folders[0])) + "/"):
        return ""
    if os.environ.get("NEPHROCALC_RULES", "").strip():  # the fault may be in a pack of $NEPHROCALC_RULES: not blamed
        # on the --rules folder (robustness round 67: a good pack was named, and `rules check` on it passed)
        return f" (`nephrocalc rules check {folders[0]}`, with $NEPHROCALC_RULES set, names the pack at fault)"
    return f" (in the rule pack {folders[0]}; `nephrocalc rules check {folders[0]}` lists every problem)"


def _run(argv: list[str], prog_name: str) -> int:
    from nephrocalc.cli.app import Session, build_app
    from nephrocalc.cli.io import OutputFailed, PipeClosed, silence_stdout
    from nephrocalc.cli.options import command_of, in_contract_words, packs_from, reads_no_rules, refuse_unusual_digits

    session: Any = None  # read by the error path below, which may run before there is one
    typed = argv  # the words as the user typed them, before the contract's words replace theirs
    # notes of a rule pack left out for help or the version: written once the command has run, so that a command line
    # click refuses gets its one error line alone (fuzz: `schema '' --rules -` printed the note, then the error)
    pending: list[str] = []
    try:
        refuse_unusual_digits(argv)
        session = _session(argv, Session, packs_from, reads_no_rules(argv), pending)
        invoked = command_of(argv)
        if invoked in ("diff", "ask"):  # British spellings, F/M, "6mo", PTH=...: the contract's words
            argv = in_contract_words(argv, session.kb())
        if os.environ.get("_NEPHROCALC_COMPLETE"):  # shell completion: every command with all its flags
            invoked = ""
        command = typer.main.get_command(build_app(session, invoked or None))
        _refuse_repeated_options(command, invoked)
        status = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
        _write_pending(pending)
        if status == 130 and invoked != "ask":
            # typer turns Ctrl-C into a quiet return of 130: said, so that a partial output is known to be one
            # (robustness round 79: a batch interrupted mid-run left a partial file and nothing on standard error);
            # ask says what it kept itself
            return _fail("interrupted; the output so far is partial", 130)
        return status if isinstance(status, int) else 0
    except NephrocalcError as exc:
        return _fail(str(exc) + _from_environment(exc) + _from_command_line(exc, argv))
    except click_exceptions.NoArgsIsHelpError as exc:  # `nephrocalc`, `nephrocalc diff`: what is missing, then help
        return _bare(exc.ctx)
    except click_exceptions.UsageError as exc:
        if not exc.format_message().strip():  # no arguments: the help was shown
            return 2
        return _fail(_cause_as_flag(exc, session) or _usage_message(exc, command_of(argv), typed))
    except click_exceptions.ClickException as exc:
        return _fail(" ".join(exc.format_message().split()), exc.exit_code or 1)
    except typer.Exit as exc:
        if not exc.exit_code:
            _write_pending(pending)
        return int(exc.exit_code or 0)
    except SystemExit as exc:  # e.g. --show-completion
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted; the output so far is partial", 130)
    except (BrokenPipeError, PipeClosed):
        silence_stdout()
        return 0
    except OutputFailed as exc:  # a full disk or a closed descriptor: not a bug
        silence_stdout()
        return _fail(f"cannot write standard output ({exc})", 1)
    except RunStopped as exc:  # not a bug: the system stopped part of the run
        return _fail(str(exc), 1)
    except KeyError as exc:
        if os.environ.get("_NEPHROCALC_COMPLETE") and not os.environ.get("NEPHROCALC_DEBUG"):
            # shell completion asked for outside the shell's completion hook, which sets the words to complete
            # (robustness round 62: "internal error (KeyError: 'COMP_WORDS')"): a usage error, not a bug
            return _fail(f"_NEPHROCALC_COMPLETE is set but {exc.args[0] if exc.args else 'a variable'} is not: shell "
                         "completion runs from the hook `nephrocalc --install-completion` installs", 2)
        if os.environ.get("NEPHROCALC_DEBUG"):
            raise
        return _internal_error(exc)
    except Exception as exc:  # a bug: say so in one line; NEPHROCALC_DEBUG=1 shows the traceback
        if os.environ.get("NEPHROCALC_DEBUG"):
            raise
        return _internal_error(exc)


def _internal_error(exc: Exception) -> int:
    detail = " ".join(str(exc).split())[:300]
    return _fail(f"internal error ({type(exc).__name__}: {detail}); please report it", 1)


def _write_pending(notes: list[str]) -> None:
    for note in notes:
        sys.stderr.write(note)
    notes.clear()


def _session(argv: list[str], session_type: Any, packs_from: Any, lenient: bool, pending: list[str]) -> Any:
    """The run's session. For --help, --version or no command, a rule pack that cannot be read is left out
    with a one-line note for stderr (in ``pending``), so that help and the version are always available."""
    if not lenient:
        return session_type(packs_from(argv))
    from nephrocalc.cli.io import one_line

    skipped: list[str] = []
    packs = packs_from(argv, skipped=skipped)
    session = session_type(packs)
    if packs:
        try:
            session.kb()
        except NephrocalcError as exc:
            from nephrocalc.loader import extended_rules_dir

            skipped.append(str(exc))
            session = session_type(tuple(p for p in packs if p == extended_rules_dir()))
    pending.extend(f"nephrocalc: note: rule pack not loaded: {one_line(problem)}\n" for problem in skipped)
    return session


def _refuse_repeated_options(group: Any, invoked: str) -> None:
    """An option that takes one value, given twice (`-p medullary -pcortical`, `--age 5 --age=50`), is
    refused, as a clue given both ways and a lab given twice are: click would keep the last one
    silently. Each command's own parser counts the occurrences (so `-pX`, `--x=v` and values that look
    like options are read as click reads them), before the command parses its arguments."""
    def guard(command: Any) -> None:
        for sub in getattr(command, "commands", {}).values():
            guard(sub)
        if not getattr(command, "params", None):
            return
        parse_args = command.parse_args

        def counted_parse_args(ctx: Any, args: list[str]) -> Any:
            from nephrocalc.errors import InputError

            _, _, order = command.make_parser(ctx).parse_args(args=list(args))
            seen: set[str] = set()
            for param in order:
                if getattr(param, "param_type_name", "") != "option" or param.multiple or param.is_flag \
                        or getattr(param, "count", False):
                    continue
                if param.name in seen:
                    name = next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])
                    raise InputError(name, "given twice; give it once")
                seen.add(param.name)
            return parse_args(ctx, args)

        command.parse_args = counted_parse_args

    command = getattr(group, "commands", {}).get(invoked) if invoked else None
    if command is not None:
        guard(command)


def main() -> None:
    from nephrocalc.cli.io import silence_stderr, silence_stdout

    status = run(sys.argv[1:])
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    except (OSError, ValueError):  # a full disk at the last flush: say so once, exit 1
        silence_stdout()
        status = status or _fail("cannot write standard output", 1)
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or a full disk: the notes are lost, the exit status is kept
        silence_stderr()
    sys.exit(status)
