"""The command line: a thin adapter that parses, calls the core, and hands the result to a renderer.

Every error the user can fix becomes one line on stderr and exit status 2 (``main``); nothing
else here knows about exit codes. Heavy modules (rich, pydantic's model machinery) are imported
inside the commands that need them, so start-up stays close to the cost of importing typer.
"""

from __future__ import annotations

import gc
import inspect
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click import exceptions as click_exceptions  # typer >= 0.29 vendors click

from nephrocalc import __version__
from nephrocalc.errors import InputError, NephrocalcError

if TYPE_CHECKING:
    from nephrocalc.case import Case
    from nephrocalc.engine import Engine
    from nephrocalc.knowledge import KnowledgeBase


class PatternChoice(StrEnum):
    medullary = "medullary"
    cortical = "cortical"
    combined = "combined"


class ModalityChoice(StrEnum):
    us = "us"
    ct = "ct"
    xr = "xr"
    mr = "mr"


class LateralityChoice(StrEnum):
    bilateral = "bilateral"
    unilateral = "unilateral"


class SexChoice(StrEnum):
    female = "female"
    male = "male"


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    tsv = "tsv"
    markdown = "markdown"


class BatchFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    tsv = "tsv"
    markdown = "markdown"


class SchemaName(StrEnum):
    case = "case"
    result = "result"


class InfoFormat(StrEnum):
    table = "table"
    json = "json"


_ENGINES: dict[tuple[Path, ...], Engine] = {}
_PACKS: tuple[Path, ...] = ()  # the rule packs of this run: --rules DIR (repeatable) and $NEPHROCALC_RULES


def engine() -> Engine:
    """The engine for the built-in knowledge base with this run's rule packs laid over it."""
    found = _ENGINES.get(_PACKS)
    if found is None:
        from nephrocalc.engine import Engine
        from nephrocalc.knowledge import load_knowledge_base

        found = _ENGINES[_PACKS] = Engine(load_knowledge_base(packs=_PACKS))
    return found


def knowledge_base() -> KnowledgeBase:
    """The built-in knowledge base with this run's rule packs laid over it (loaded once)."""
    return engine().kb


def _packs_from(argv: list[str]) -> tuple[Path, ...]:
    """Rule packs named by $NEPHROCALC_RULES (os.pathsep-separated) and --rules DIR, found before
    the command line is parsed, because a pack's clues become flags of that command line."""
    packs = [Path(part) for part in os.environ.get("NEPHROCALC_RULES", "").split(os.pathsep) if part]
    for index, token in enumerate(argv):
        if token == "--":
            break
        if token == "--rules" and index + 1 < len(argv):
            packs.append(Path(argv[index + 1]))
        elif token.startswith("--rules="):
            packs.append(Path(token.split("=", 1)[1]))
    return tuple(packs)


_RULES_HELP = "Load a rule pack (a folder of TOML rule files) on top of the built-in rules; repeatable. " \
    "Also $NEPHROCALC_RULES."
RulesOption = Annotated[list[Path] | None, typer.Option("--rules", metavar="DIR", help=_RULES_HELP,
                                                        rich_help_panel="Rules")]


_APP_SETTINGS: dict[str, Any] = {
    "name": "nephrocalc",
    "help": "Ranked, explained differential diagnosis of nephrocalcinosis. "
    "Decision support for clinicians, not a diagnosis.",
    "no_args_is_help": True,
    "add_completion": True,
    "pretty_exceptions_enable": False,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
app = typer.Typer(**_APP_SETTINGS)


def _app_for(command: str) -> typer.Typer:
    """The application with only the named command (same root options): typer builds every option
    of every command it holds at start-up, and a run needs one. The whole app otherwise."""
    commands = [c for c in app.registered_commands if c.name == command]
    groups = [g for g in app.registered_groups if g.name == command]
    if not commands and not groups:
        return app
    slim = typer.Typer(**_APP_SETTINGS)
    slim.registered_callback = app.registered_callback
    slim.registered_commands = commands
    slim.registered_groups = groups
    return slim


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nephrocalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True,
                                                 help="Print the version and exit.")] = None,
) -> None:
    """Ranked, explained differential diagnosis of nephrocalcinosis.

    Decision support for clinicians, not a diagnosis.
    """


# --- diff -------------------------------------------------------------------------------


_CASE_PANEL = "Case"
_OUTPUT_PANEL = "Output"


def _diff(**options: Any) -> None:
    """Rank the causes of nephrocalcinosis for one case, with the evidence for each.

    Every clue is a tri-state flag: --rta (present), --no-rta (absent), or left out (unknown).

    Example: nephrocalc diff --pattern medullary --rta --hypokalemia
    """
    kb = knowledge_base()
    case = _case_from_options(options, kb)
    result = engine().rank(case, next_findings=True)
    fmt: DiffFormat = options["format"]
    top: int | None = options["top"]
    if fmt in (DiffFormat.json, DiffFormat.jsonl):
        from nephrocalc.render_json import result_json

        _write(result_json(result, top=top, indent=fmt is DiffFormat.json))
    elif fmt is DiffFormat.tsv:
        from nephrocalc.render_text import TSV_HEADER, result_tsv_rows

        _write(TSV_HEADER + result_tsv_rows(result, top=top))
    elif fmt is DiffFormat.markdown:
        from nephrocalc.render_text import result_markdown

        _write(result_markdown(result, top=top))
    else:
        from nephrocalc.render_table import print_result

        print_result(result, kb, top=top, explain=options["explain"])


def _ask(**options: Any) -> None:
    """Guided work-up: ask about the most informative unknown finding, one at a time, re-ranking each time.

    Answer y (present), n (absent), u (unknown: not asked again) or q (stop). When standard input is
    not a terminal, each question is one line on stderr starting with "? <clue id>" and answers are
    read from standard input, so scripts can drive it; the final ranking goes to stdout (with
    --format json, the result with the answered case under "case", which `diff --case` replays).

    Example: nephrocalc ask --pattern medullary --age 6
    """
    kb = knowledge_base()
    if options["case"] == "-":
        raise InputError("--case -", "ask reads its answers from standard input: give the case as a file or flags")
    case = _case_from_options(options, kb)
    from nephrocalc.guidance import Interview

    ranker = engine()
    interview = Interview(ranker, case, max_questions=options["max_questions"], stop_at=options["stop_at"])
    interactive = sys.stdin is not None and sys.stdin.isatty()
    while (question := interview.next_question()) is not None:
        answer = _prompt(kb, question, interactive)
        if answer == "q":
            interview.stopped_because = "stopped at your request"
            break
        interview.answer(question["clue"], {"y": True, "n": False, "u": None}[answer])
        if interactive:
            from nephrocalc.render_table import print_progress

            print_progress(ranker.rank(interview.case), kb)
    result = ranker.rank(interview.case, next_findings=True)
    fmt: DiffFormat = options["format"]
    if fmt in (DiffFormat.json, DiffFormat.jsonl):
        from nephrocalc.render_json import dumps, result_dict

        data: dict[str, Any] = dict(result_dict(result, top=options["top"]))
        data["case"] = interview.case.to_dict()
        data["interview"] = {"questions": interview.asked, "stopped": interview.stopped_because}
        _write(dumps(data, indent=fmt is DiffFormat.json))
    elif fmt in (DiffFormat.tsv, DiffFormat.markdown):
        from nephrocalc.render_text import TSV_HEADER, result_markdown, result_tsv_rows

        text = TSV_HEADER + result_tsv_rows(result, top=options["top"]) if fmt is DiffFormat.tsv else \
            result_markdown(result, top=options["top"])
        _write(text)
    else:
        from nephrocalc.render_table import print_result

        if interactive:
            sys.stderr.write(f"Stopped: {interview.stopped_because}.\n")
        print_result(result, kb, top=options["top"], explain=options["explain"])


_ANSWERS = {"y": "y", "yes": "y", "n": "n", "no": "n", "u": "u", "unknown": "u", "?": "u", "q": "q", "quit": "q"}


def _prompt(kb: KnowledgeBase, question: Any, interactive: bool) -> str:
    clue = kb.clues[question["clue"]]
    lab = f" (lab: {question['lab']})" if question["lab"] else ""
    if interactive:
        from nephrocalc.render_table import ask_question

        return ask_question(clue.label, clue.description + lab)
    line = f"? {clue.id}  {clue.description}{lab} [y/n/u/q]\n"
    while True:
        sys.stderr.write(line)
        sys.stderr.flush()
        stream = getattr(sys.stdin, "buffer", None)
        reply = stream.readline(1024).decode("utf-8", "replace") if stream is not None else sys.stdin.readline(1024)
        if not reply:  # end of input: stop asking
            return "q"
        answer = _ANSWERS.get(reply.strip().lower())
        if answer is not None:
            return answer
        sys.stderr.write(f"nephrocalc: answer y, n, u or q (got {reply.strip()[:20]!r})\n")


def _case_from_options(options: dict[str, Any], kb: KnowledgeBase) -> Case:
    from nephrocalc.case import parse_case

    data: dict[str, Any] = {}
    source = options["case"]
    if source is not None:
        data = _read_case_source(source)
    for name in ("pattern", "modality", "laterality", "sex"):
        value = options[name]
        if value is not None:
            data[name] = value.value
    if options["grade"] is not None:
        data["grade"] = options["grade"]
    if options["age"] is not None:
        if options["age"] != options["age"]:  # NaN passes click's range check
            raise InputError("--age", "must be a number from 0 to 130 (got nan)")
        data["age_years"] = options["age"]
    if options["lab"]:
        from nephrocalc.labs import parse_lab_option

        labs = data.get("labs")
        if labs is not None and not isinstance(labs, dict):
            raise InputError("labs", 'must be an object mapping lab ids to {"value": number, "unit": string}')
        labs = dict(labs or {})
        for text in options["lab"]:
            lab_id, value, unit = parse_lab_option(text, kb)
            labs[lab_id] = {"value": value, "unit": unit}
        data["labs"] = labs
    flags = {clue_id: options[clue_id] for clue_id in kb.clues if options.get(clue_id) is not None}
    if flags:
        clues = data.get("clues")
        if clues is not None and not isinstance(clues, dict):
            raise InputError("clues", "must be an object mapping clue ids to true or false")
        data["clues"] = {**(clues or {}), **flags}
    if "pattern" not in data:
        raise InputError("--pattern", "required (medullary, cortical or combined), as a flag or in --case")
    return parse_case(data, kb)


MAX_CASE_BYTES = 1_048_576  # one case, as one batch line (pipeline.MAX_LINE_BYTES)


def _read_case_source(source: str) -> dict[str, Any]:
    import orjson

    if source == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("--case -", "reads a JSON case from standard input, but nothing was piped in")
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.read(MAX_CASE_BYTES + 1) if stream is not None else sys.stdin.read().encode("utf-8", "replace")
        what = "case (stdin)"
    else:
        try:
            with open(source, "rb") as handle:
                raw = handle.read(MAX_CASE_BYTES + 1)
        except OSError as exc:
            raise InputError("--case", f"cannot read {source!r} ({exc.strerror or exc})") from None
        what = f"case ({source})"
    if len(raw) > MAX_CASE_BYTES:
        raise InputError(what, f"is larger than {MAX_CASE_BYTES} bytes, the limit for one case")
    text = raw
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError(what, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(what, 'must be a JSON object such as {"pattern": "medullary"}')
    return data


def _option(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _diff_signature(kb: KnowledgeBase, extra: list[inspect.Parameter] | None = None, *,
                    with_clues: bool = True) -> inspect.Signature:
    """The signature typer reads: the fixed options, then one tri-state flag per clue of the vocabulary."""
    option = _option
    params = [
        option("pattern", Annotated[PatternChoice | None, typer.Option(
            "--pattern", "-p", help="Distribution of the calcification (required unless given in --case).",
            rich_help_panel=_CASE_PANEL, case_sensitive=False)]),
        option("modality", Annotated[ModalityChoice | None, typer.Option(
            "--modality", "-m", help="Imaging modality the pattern was seen on.", rich_help_panel=_CASE_PANEL,
            case_sensitive=False)]),
        option("grade", Annotated[int | None, typer.Option(
            "--grade", "-g", min=0, max=3, help="Medullary nephrocalcinosis grade, 0-3 (see `nephrocalc grading`).",
            rich_help_panel=_CASE_PANEL)]),
        option("laterality", Annotated[LateralityChoice | None, typer.Option(
            "--laterality", help="Bilateral or unilateral calcification.", rich_help_panel=_CASE_PANEL,
            case_sensitive=False)]),
        option("age", Annotated[float | None, typer.Option(
            "--age", min=0, max=130, help="Age in years (a preterm neonate is 0).", rich_help_panel=_CASE_PANEL)]),
        option("sex", Annotated[SexChoice | None, typer.Option(
            "--sex", help="female or male.", rich_help_panel=_CASE_PANEL, case_sensitive=False)]),
        option("lab", Annotated[list[str] | None, typer.Option(
            "--lab", "-l", metavar="ID=VALUE UNIT", help="A lab value, e.g. --lab serum_calcium=11.8mg/dL or "
            "--lab \"pth=140 pg/mL\"; repeatable (see `nephrocalc labs`).", rich_help_panel=_CASE_PANEL)]),
        option("case", Annotated[str | None, typer.Option(
            "--case", "-c", metavar="FILE|-", help="Read the case from a JSON file, or - for standard input; "
            "flags given beside it override it.", rich_help_panel=_CASE_PANEL)]),
        option("format", Annotated[DiffFormat, typer.Option(
            "--format", "-f", help="Output format.", rich_help_panel=_OUTPUT_PANEL, case_sensitive=False)],
            DiffFormat.table),
        option("rules", RulesOption),
        option("top", Annotated[int | None, typer.Option(
            "--top", "-n", min=1, help="Show only the first N causes (default: all).",
            rich_help_panel=_OUTPUT_PANEL)]),
        option("explain", Annotated[bool, typer.Option(
            "--explain", "-e", help="Show every contribution to every score.", rich_help_panel=_OUTPUT_PANEL)],
            False),
    ]
    for clue in kb.clues.values() if with_clues else ():
        flag = clue.id.replace("_", "-")
        params.append(option(clue.id, Annotated[bool | None, typer.Option(
            f"--{flag}/--no-{flag}", help=clue.description, rich_help_panel=f"Clues: {clue.group_title}",
            show_default=False)]))
    if extra:
        clue_count = len(kb.clues) if with_clues else 0
        params[len(params) - clue_count:len(params) - clue_count] = extra
    return inspect.Signature(params)


_registered_for: list[tuple[KnowledgeBase, str | None]] = []  # (knowledge base, command) the flags were built for


def _register_diff(kb: KnowledgeBase, command: str | None = None) -> None:
    """Add `diff` and `ask` (first in the help), the invoked one with a flag per clue of this
    knowledge base. The other gets its fixed options only: typer builds every option of every
    command at start-up, and ~50 clue flags twice over would cost start-up for nothing."""
    if _registered_for and _registered_for[0][0] is kb and _registered_for[0][1] == command:
        return
    _registered_for[:] = [(kb, command)]
    signature = _diff_signature(kb, with_clues=command in (None, "diff"))
    _diff.__signature__ = signature  # type: ignore[attr-defined]
    _diff.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    app.registered_commands[:] = [c for c in app.registered_commands if c.name not in ("diff", "ask")]
    app.command("diff", no_args_is_help=True)(_diff)
    app.registered_commands.insert(0, app.registered_commands.pop())
    ask_signature = _diff_signature(kb, [
        _option("max_questions", Annotated[int, typer.Option(
            "--max-questions", min=0, help="Stop after this many questions.", rich_help_panel=_OUTPUT_PANEL)], 8),
        _option("stop_at", Annotated[float, typer.Option(
            "--stop-at", min=0.0, max=1.0, help="Stop when the leading cause reaches this probability.",
            rich_help_panel=_OUTPUT_PANEL)], 0.9),
    ], with_clues=command in (None, "ask"))
    _ask.__signature__ = ask_signature  # type: ignore[attr-defined]
    _ask.__annotations__ = {p.name: p.annotation for p in ask_signature.parameters.values()}
    app.command("ask", no_args_is_help=True)(_ask)
    app.registered_commands.insert(1, app.registered_commands.pop())


def _command_of(argv: list[str]) -> str:
    """The subcommand named on the command line ("" when there is none)."""
    return argv[0] if argv and not argv[0].startswith("-") else ""


# --- batch and schema ----------------------------------------------------------------------


@app.command("batch")
def batch_command(
    source: Annotated[str, typer.Argument(metavar="[FILE|-]", help="JSON Lines file, or - for standard input.")] = "-",
    format: Annotated[BatchFormat, typer.Option(
        "--format", "-f", help="jsonl (= json): one result or error record per input line; tsv: one row per "
        "cause; markdown: one table.", case_sensitive=False)] = BatchFormat.jsonl,
    rules: RulesOption = None,
) -> None:
    """Rank many cases: JSON Lines in (one case per line), one result line out per input line, in order.

    A bad line yields {"line": n, "id": ..., "error": ...} and the run goes on; the exit status is 2
    when any line failed. Blank lines are skipped and counted.

    Example: nephrocalc batch cases.jsonl > results.jsonl
    """
    from nephrocalc.pipeline import read_lines, run_batch

    if source == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("FILE", "batch reads JSON Lines from standard input (-), but nothing was piped in")
        stream = sys.stdin.buffer
    else:
        try:
            stream = open(source, "rb", buffering=0)  # noqa: SIM115 - closed below, streaming
        except OSError as exc:
            raise InputError("FILE", f"cannot read {source!r} ({exc.strerror or exc})") from None

    def note(message: str) -> None:
        sys.stderr.write(f"nephrocalc: {_one_line(message)}\n")

    ranker = engine()
    # The knowledge base and the engine's tables live for the whole run: keep the cyclic garbage
    # collector from rescanning them, and from running every few lines, as results come and go
    # (results hold no reference cycles; reference counting frees them).
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    out = _binary_stdout()
    try:
        lines = read_lines(_reader(stream), out.flush)
        stats = run_batch(lines, ranker, out.write, fmt=format.value, write_error=note)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
        out.flush()
    blank = f"; {stats.blank} blank line{'s' if stats.blank != 1 else ''} skipped" if stats.blank else ""
    if stats.failed:
        sys.stderr.write(f"nephrocalc: {stats.failed} of {stats.lines - stats.blank} lines failed{blank}\n")
        raise typer.Exit(2)
    if blank:
        sys.stderr.write(f"nephrocalc: {stats.cases} cases ranked{blank}\n")


@app.command("schema")
def schema_command(
    which: Annotated[SchemaName, typer.Argument(help="case (input) or result (output).")] = SchemaName.result,
) -> None:
    """Print the JSON Schema of a case (input) or of a result (output), for other tools to validate with.

    Example: nephrocalc schema case > case.schema.json
    """
    from nephrocalc.render_json import dumps
    from nephrocalc.schemas import json_schema

    _write(dumps(json_schema(which.value), indent=True))


# --- rules check -------------------------------------------------------------------------

rules_app = typer.Typer(help="Rule packs: check a pack before using it.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("check")
def rules_check_command(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The rule pack folder (with a pack.toml).")],
) -> None:
    """Validate a rule pack on top of the built-in rules: exit 0 when valid, else exit 2 with one line
    per problem, "file: field: what is wrong". Nothing in a pack is ever executed.

    Example: nephrocalc rules check docs/packs/bartter
    """
    from nephrocalc.errors import RuleError
    from nephrocalc.knowledge import load_knowledge_base

    try:
        is_pack = (directory / "pack.toml").is_file()
    except OSError as exc:
        raise InputError("DIR", f"{str(directory)!r} cannot be read ({exc.strerror or exc})") from None
    if not is_pack:
        raise InputError("DIR", f"{str(directory)!r} is not a rule pack: it has no pack.toml")
    try:
        kb = load_knowledge_base(packs=[directory], use_cache=False)
    except RuleError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"{problem}\n")
        sys.stderr.write(f"nephrocalc: {len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''} "
                         f"in {directory}\n")
        raise typer.Exit(2) from None
    pack = kb.packs[-1]
    _write(f"ok: {pack.name} {pack.version} ({directory}): {len(kb.causes)} causes and {len(kb.clues)} clues "
           "with the built-in rules")


# --- reference commands -------------------------------------------------------------------


@app.command("causes")
def causes_command(
    format: Annotated[InfoFormat, typer.Option("--format", "-f", help="Output format.")] = InfoFormat.table,
    rules: RulesOption = None,
) -> None:
    """The knowledge base at a glance: every cause with its distribution and prior by age group.

    Example: nephrocalc causes
    """
    kb = knowledge_base()
    if format is InfoFormat.json:
        from nephrocalc.render_json import causes_json

        _write(causes_json(kb))
    else:
        from nephrocalc.render_table import print_causes

        print_causes(kb)


@app.command("cause")
def cause_command(
    cause_id: Annotated[str, typer.Argument(metavar="ID", help="A cause id (see `nephrocalc causes`).")],
    format: Annotated[InfoFormat, typer.Option("--format", "-f", help="Output format.")] = InfoFormat.table,
) -> None:
    """One cause in full: summary, mechanism, priors, forms, findings with their weights, and sources.

    Example: nephrocalc cause distal_rta
    """
    kb = knowledge_base()
    if cause_id not in kb.causes:
        from nephrocalc.case import _unknown

        raise InputError("ID", _unknown(cause_id, kb.causes, "cause", "nephrocalc causes"))
    if format is InfoFormat.json:
        from nephrocalc.render_json import cause_json

        _write(cause_json(kb, cause_id))
    else:
        from nephrocalc.render_table import print_cause

        print_cause(kb, cause_id)


@app.command("clues")
def clues_command(
    format: Annotated[InfoFormat, typer.Option("--format", "-f", help="Output format.")] = InfoFormat.table,
) -> None:
    """The clue vocabulary: every clue with its flag, meaning and the causes that use it.

    Example: nephrocalc clues
    """
    kb = knowledge_base()
    if format is InfoFormat.json:
        from nephrocalc.render_json import clues_json

        _write(clues_json(kb))
    else:
        from nephrocalc.render_table import print_clues

        print_clues(kb)


@app.command("labs")
def labs_command(
    format: Annotated[InfoFormat, typer.Option("--format", "-f", help="Output format.")] = InfoFormat.table,
) -> None:
    """Lab values: accepted units, canonical unit, reference limits by age and sex, and the clues they give.

    Example: nephrocalc labs
    """
    kb = knowledge_base()
    if format is InfoFormat.json:
        from nephrocalc.labs import describe
        from nephrocalc.render_json import dumps

        _write(dumps({"labs": describe(kb)}, indent=True))
    else:
        from nephrocalc.render_table import print_labs

        print_labs(kb)


@app.command("imaging")
def imaging_command() -> None:
    """What nephrocalcinosis looks like on radiographs, ultrasound, CT and MR.

    Example: nephrocalc imaging
    """
    from nephrocalc.render_table import print_reference_table

    print_reference_table(knowledge_base(), "imaging")


@app.command("grading")
def grading_command() -> None:
    """The ultrasound and CT grades (0-3) of medullary nephrocalcinosis used by --grade.

    Example: nephrocalc grading
    """
    from nephrocalc.render_table import print_reference_table

    print_reference_table(knowledge_base(), "grading")


@app.command("method")
def method_command() -> None:
    """Intended use, inputs, how the scoring works, knowledge-base version and validation status.

    Example: nephrocalc method
    """
    from nephrocalc.render_table import print_method

    print_method(knowledge_base())


# --- entry point --------------------------------------------------------------------------


def _reader(stream: Any) -> Any:
    """os.read on the stream's file descriptor (returns what is available), else its read1/read."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. in tests)
        return getattr(stream, "read1", stream.read)
    # nothing has read from the stream yet, so no bytes wait in Python's buffer in front of the fd
    return lambda size: os.read(fd, size)


def _binary_stdout() -> Any:
    """Standard output for bytes. Results are ~9 KB a line: a 256 KiB buffer turns a write system
    call per line into one per ~30 lines."""
    sys.stdout.flush()
    try:
        return _GuardedStream(open(sys.stdout.fileno(), "wb", buffering=1 << 18, closefd=False))
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. captured in tests)
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            return _GuardedStream(buffer)
        return _TextWriter(sys.stdout)


class _TextWriter:
    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        return int(self.stream.write(data.decode()))

    def flush(self) -> None:
        self.stream.flush()


def _write(text: str) -> None:
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()


def _one_line(message: str, limit: int = 600) -> str:
    """A message as one line of bounded length: what the user typed is echoed safely."""
    text = message.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fail(message: str, status: int = 2) -> int:
    try:
        sys.stderr.write(f"nephrocalc: error: {_one_line(message)}\n")
        sys.stderr.flush()
    except (BrokenPipeError, OSError):
        pass
    return status


def _usage_message(exc: Any) -> str:
    """click's usage errors as one line that names the option and what is allowed."""
    message = " ".join(exc.format_message().split()).replace("Value error, ", "")
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "nephrocalc"
    return f"{message} (see `{command} --help`)"


class _PipeClosed(Exception):
    """The reader of standard output went away (`| head`): not an error, and not an OSError, so
    that typer's own handling (exit status 1) does not catch it first."""


class _GuardedStream:
    """Standard output that turns a closed pipe into _PipeClosed."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: Any) -> Any:
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise _PipeClosed from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise _PipeClosed from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def run(argv: list[str] | None = None, *, prog_name: str = "nephrocalc") -> int:
    """Run the command line and return the exit status (0 success, 2 bad input, 1 anything else)."""
    stdout = sys.stdout
    sys.stdout = _GuardedStream(stdout)
    try:
        return _run(argv, prog_name)
    finally:
        sys.stdout = stdout


def _run(argv: list[str] | None, prog_name: str) -> int:
    global _PACKS
    try:
        _PACKS = _packs_from(list(sys.argv[1:] if argv is None else argv))
        invoked = _command_of(list(sys.argv[1:] if argv is None else argv))
        if os.environ.get("_NEPHROCALC_COMPLETE"):  # shell completion: every command with all its flags
            invoked = ""
        _register_diff(knowledge_base(), invoked or None)
        command = typer.main.get_command(_app_for(invoked))
        status = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
        return status if isinstance(status, int) else 0
    except NephrocalcError as exc:
        return _fail(str(exc))
    except click_exceptions.UsageError as exc:
        if not exc.format_message().strip():  # no arguments: the help was shown
            return 2
        return _fail(_usage_message(exc))
    except click_exceptions.ClickException as exc:
        return _fail(" ".join(exc.format_message().split()), exc.exit_code or 1)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except SystemExit as exc:  # e.g. --show-completion
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", 130)
    except (BrokenPipeError, _PipeClosed):
        _silence_stdout()
        return 0
    except Exception as exc:  # a bug: say so in one line; NEPHROCALC_DEBUG=1 shows the traceback
        if os.environ.get("NEPHROCALC_DEBUG"):
            raise
        detail = " ".join(str(exc).split())[:300]
        return _fail(f"internal error ({type(exc).__name__}: {detail}); please report it", 1)


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at devnull so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main() -> None:
    status = run(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    sys.exit(status)

