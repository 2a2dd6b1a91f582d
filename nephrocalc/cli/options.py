"""Command-line options shared by the commands: the choices (from the vocabulary), the case options
and one tri-state flag per clue of `diff` and `ask`, the output options, and `--rules`.

Rule packs add clues, and clues are flags, so the packs must be known before the command line is
parsed: ``packs_from`` finds them (the one pre-parse), and ``--rules`` is also declared on every
command that reads the knowledge base so that it appears in their help and parses cleanly.
"""

from __future__ import annotations

import inspect
import math
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nephrocalc import vocab
from nephrocalc.errors import InputError

if TYPE_CHECKING:
    from nephrocalc.knowledge import KnowledgeBase

# The choices of the command line. Their values are the vocabulary's (vocab.py), which a test checks;
# they are spelled out as classes so that typer and mypy both see them.


class PatternChoice(StrEnum):
    medullary = "medullary"
    cortical = "cortical"
    combined = "combined"


class ModalityChoice(StrEnum):
    us = "us"
    ct = "ct"
    xr = "xr"
    mr = "mr"
    ctu = "ctu"
    ivu = "ivu"


class LateralityChoice(StrEnum):
    bilateral = "bilateral"
    unilateral = "unilateral"


class SexChoice(StrEnum):
    female = "female"
    male = "male"


class ResultFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    tsv = "tsv"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    phenopacket = "phenopacket"


class BatchInput(StrEnum):
    case = "case"
    phenopacket = "phenopacket"
    fhir = "fhir"


class BatchFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    tsv = "tsv"
    csv = "csv"
    markdown = "markdown"
    html = "html"


class InfoFormat(StrEnum):
    table = "table"
    json = "json"


class SchemaName(StrEnum):
    case = "case"
    result = "result"


CHOICES = {PatternChoice: vocab.PATTERNS, ModalityChoice: vocab.MODALITIES, LateralityChoice: vocab.LATERALITIES,
           SexChoice: vocab.SEXES, ResultFormat: vocab.RESULT_FORMATS, BatchFormat: vocab.BATCH_FORMATS,
           InfoFormat: vocab.INFO_FORMATS, BatchInput: vocab.BATCH_INPUTS}

CASE_PANEL = "Case"
OUTPUT_PANEL = "Output"

_RULES_HELP = "Load a rule pack (a folder of TOML rule files) on top of the built-in rules; repeatable. " \
    "Also $NEPHROCALC_RULES."
RulesOption = Annotated[list[Path] | None, typer.Option("--rules", metavar="DIR", help=_RULES_HELP,
                                                        rich_help_panel="Rules")]
ExtendedOption = Annotated[bool, typer.Option(
    "--extended/--no-extended", help="Also rank the extended knowledge base: 24 rarer causes and mimics "
    "(CLINICAL-EXTENDED.md). Also $NEPHROCALC_EXTENDED=1.", rich_help_panel="Rules")]
InfoFormatOption = Annotated[InfoFormat, typer.Option("--format", "-f", help="Output format.",
                                                      case_sensitive=False)]


_TRUE = ("1", "true", "yes", "y", "on")
_FALSE = ("0", "false", "no", "n", "off")


def _completion_kb() -> KnowledgeBase:
    """The built-in knowledge base with the extended pack, for shell completion (ids of either)."""
    from nephrocalc.engine import load_engine
    from nephrocalc.loader import extended_rules_dir

    return load_engine((extended_rules_dir(),)).kb


def complete_cause(incomplete: str) -> list[str]:
    """Shell completion of a cause id (`nephrocalc cause <TAB>`)."""
    return [cause for cause in _completion_kb().causes if cause.startswith(incomplete.lower())]


def complete_lab(incomplete: str) -> list[str]:
    """Shell completion of a lab id before its value (`--lab ser<TAB>` gives `serum_calcium=`)."""
    if "=" in incomplete:
        return []
    return [f"{lab}=" for lab in _completion_kb().labs if lab.startswith(incomplete.lower())]


def complete_source(incomplete: str) -> list[str]:
    """Shell completion of a source tag (`nephrocalc sources <TAB>`)."""
    return [tag for tag in _completion_kb().sources if tag.lower().startswith(incomplete.lower())]


def packs_from(argv: list[str], environ: dict[str, str] | os._Environ[str] = os.environ,
               skipped: list[str] | None = None) -> tuple[Path, ...]:
    """Rule packs: the extended knowledge base first with --extended or $NEPHROCALC_EXTENDED, then
    $NEPHROCALC_RULES (os.pathsep-separated) and --rules DIR. Found before the command line is parsed,
    because a pack's clues become flags of that command line. With ``skipped`` (--help, --version), a
    pack that is not a folder is left out and named there instead of stopping the command."""
    packs: list[Path] = []
    for part in environ.get("NEPHROCALC_RULES", "").split(os.pathsep):
        if not part:
            continue
        pack = Path(part)
        if not _is_dir(pack):
            what = "is not a directory" if os.path.lexists(pack) else "does not exist"
            problem = InputError("NEPHROCALC_RULES", f"{str(pack)!r} {what}: a rule pack is a folder of rule files")
        elif any(_same_folder(pack, seen) for seen in packs):
            problem = InputError("NEPHROCALC_RULES", f"{str(pack)!r} is given twice; give each rule pack once")
        else:
            packs.append(pack)
            continue
        if skipped is None:
            raise problem
        skipped.append(str(problem))
    from_environment = len(packs)  # packs[:from_environment] are $NEPHROCALC_RULES's, the rest the command line's
    setting = environ.get("NEPHROCALC_EXTENDED", "").strip().lower()
    flagged = any(token in ("--extended", "--no-extended") for token in argv)
    if setting not in (*_TRUE, *_FALSE, "") and not flagged and not reads_no_rules(argv):
        raise InputError("NEPHROCALC_EXTENDED", f"must be 1, true, yes, y or on, or 0, false, no, n or off "
                         f"(got {setting!r})")
    extended = setting in _TRUE
    ways = {token for token in argv[:argv.index("--") if "--" in argv else len(argv)]
            if token in ("--extended", "--no-extended")}
    if len(ways) > 1 and skipped is None:  # as a clue given both ways: click would keep the last one silently
        raise InputError("--extended", "given both ways; give --extended or --no-extended, once")
    for index, token in enumerate(argv):
        if token == "--":
            break
        given = None
        if token == "--extended":
            extended = True
        elif token == "--no-extended":
            extended = False
        elif token == "--rules" and index + 1 < len(argv):
            given = argv[index + 1]
        elif token.startswith("--rules="):
            given = token.split("=", 1)[1]
        if given is not None:
            if not given.strip():  # Path("") is the current folder: an empty --rules is a mistake, not "here"
                problem = InputError("--rules", "needs a folder of rule files (got an empty name)")
            elif not _is_dir(Path(given)):
                what = "is not a directory" if os.path.lexists(given) else "does not exist"
                problem = InputError("--rules", f"{given!r} {what}: a rule pack is a folder of rule files")
            elif any(_same_folder(Path(given), pack) for pack in packs[from_environment:]):
                problem = InputError("--rules", f"{given!r} is given twice on the command line; give each rule pack "
                                     "once")
            else:
                # a pack of $NEPHROCALC_RULES named again with --rules is read once, where --rules lays it, as
                # `rules check` reads it (it said "ok" where diff said "given twice": pack review 47)
                again = [pack for pack in packs[:from_environment] if _same_folder(Path(given), pack)]
                for pack in again:
                    packs.remove(pack)
                from_environment -= len(again)
                packs.append(Path(given))
                continue
            if skipped is None:  # for --help and --version the pack is left out, with a note
                raise problem
            skipped.append(str(problem))
    if extended:
        from nephrocalc.loader import extended_rules_dir

        packs.insert(0, extended_rules_dir())
    return tuple(packs)


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def reads_no_rules(argv: list[str]) -> bool:
    """A command line that never reads the knowledge base: --version, --help, `schema result`, no command. `schema
    case` reads it (its clue and lab ids): a pack that cannot be read is refused there as by every other command
    (robustness round 69: it printed the built-in schema, exit 0)."""
    command = command_of(argv)
    # an empty first word ("") is a command click will refuse, not the absence of one (fuzz: a note and an error)
    return (command == "" and not (argv and argv[0] == "")) or (command == "schema" and "case" not in argv[1:]) \
        or any(token in ("--help", "-h", "--version") for token in argv)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long for the file system, for one
        return False


def command_of(argv: list[str]) -> str:
    """The subcommand named on the command line ("" when there is none)."""
    return argv[0] if argv and not argv[0].startswith("-") else ""


def _option(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


CASE_FIELD_OPTIONS = ("pattern", "modality", "grade", "laterality", "age", "onset_age", "sex")


def case_signature(kb: KnowledgeBase, extra: list[inspect.Parameter] | None = None, *,
                   with_clues: bool = True) -> inspect.Signature:
    """The signature typer reads for `diff` and `ask`: the fixed options, any ``extra``, then one
    tri-state flag per clue of the vocabulary (left out when the command is not the one invoked:
    typer builds every option at start-up, and ~50 flags cost start-up for nothing)."""
    option = _option
    params = [
        option("pattern", Annotated[PatternChoice | None, typer.Option(
            "--pattern", "-p", help="Distribution of the calcification (required unless given in --case).",
            rich_help_panel=CASE_PANEL, case_sensitive=False)]),
        option("modality", Annotated[ModalityChoice | None, typer.Option(
            "--modality", "-m", help="Imaging modality the pattern was seen on (ct: CT without an "
            "excretory phase, unenhanced or nephrographic; ctu: CT urography, with an excretory phase; ivu: "
            "intravenous urography).", rich_help_panel=CASE_PANEL, case_sensitive=False)]),
        option("grade", Annotated[int | None, typer.Option(
            "--grade", "-g", min=0, max=3, help="Medullary nephrocalcinosis grade, 0-3 (see `nephrocalc grading`).",
            rich_help_panel=CASE_PANEL)]),
        option("laterality", Annotated[LateralityChoice | None, typer.Option(
            "--laterality", help="Bilateral or unilateral calcification.", rich_help_panel=CASE_PANEL,
            case_sensitive=False)]),
        option("age", Annotated[float | None, typer.Option(
            "--age", min=0, max=130, help="Age in years (a preterm neonate is 0), or with a unit: 6mo, 3w, 10d.",
            rich_help_panel=CASE_PANEL)]),
        option("onset_age", Annotated[float | None, typer.Option(
            "--onset-age", min=0, max=130, help="Age in years when the nephrocalcinosis was found, if earlier than "
            "--age: the causes are weighed at this age, the lab values at --age.", rich_help_panel=CASE_PANEL)]),
        option("sex", Annotated[SexChoice | None, typer.Option(
            "--sex", help="female or male.", rich_help_panel=CASE_PANEL, case_sensitive=False)]),
        option("lab", Annotated[list[str] | None, typer.Option(
            "--lab", "-l", metavar="ID=VALUE UNIT", help="A lab value, e.g. --lab serum_calcium=11.8mg/dL or "
            "--lab \"pth=140 pg/mL\", or a bound, --lab \"pth=<6 pg/mL\"; repeatable (see `nephrocalc labs`).",
            rich_help_panel=CASE_PANEL,
            autocompletion=complete_lab)]),
        option("case", Annotated[str | None, typer.Option(
            "--case", "-c", metavar="FILE|-", help="Read the case from a JSON file, or - for standard input; "
            "flags given beside it override it.", rich_help_panel=CASE_PANEL)]),
        option("phenopacket", Annotated[str | None, typer.Option(
            "--phenopacket", metavar="FILE|-", help="Read the case from a GA4GH Phenopacket v2 (JSON file, or - "
            "for standard input): HPO terms, age, sex, LOINC measurements; flags given beside it override it.",
            rich_help_panel=CASE_PANEL)]),
        option("fhir", Annotated[str | None, typer.Option(
            "--fhir", metavar="FILE|-", help="Read the case from a FHIR R4 Bundle (JSON file, or - for standard "
            "input): Patient sex and age, LOINC Observations as labs, HPO-coded Observations and Conditions as "
            "clues; flags given beside it override it.", rich_help_panel=CASE_PANEL)]),
        option("format", Annotated[ResultFormat, typer.Option(
            "--format", "-f", help="Output format.", rich_help_panel=OUTPUT_PANEL, case_sensitive=False)],
            ResultFormat.table),
        option("rules", RulesOption),
        option("extended", ExtendedOption, False),
        option("top", Annotated[int | None, typer.Option(
            "--top", "-n", min=1, help="Show only the first N causes (default: all).",
            rich_help_panel=OUTPUT_PANEL)]),
        option("explain", Annotated[bool, typer.Option(
            "--explain", "-e", help="Show every contribution to every score in the table (JSON always carries "
            "them).", rich_help_panel=OUTPUT_PANEL)],
            False),
        *(extra or []),
    ]
    for clue in kb.clues.values() if with_clues else ():
        flag = clue.id.replace("_", "-")
        params.append(option(clue.id, Annotated[bool | None, typer.Option(
            f"--{flag}/--no-{flag}", help=clue.description, rich_help_panel=f"Clues: {clue.group_title}",
            show_default=False)]))
    return inspect.Signature(params)


def clue_options(kb: KnowledgeBase) -> list[Any]:
    """One tri-state flag per clue (--rta / --no-rta / left out), as click options built directly:
    with ~150 clues, letting typer derive each from a signature would cost start-up for nothing."""
    from typer.core import TyperOption

    return [TyperOption(param_decls=[clue.id, f"--{clue.id.replace('_', '-')}/--no-{clue.id.replace('_', '-')}"],
                        type=bool, default=None, is_flag=True, help=f"{clue.description} [{clue.group_title}]",
                        show_default=False, rich_help_panel=f"Clues: {clue.group_title}")
            for clue in kb.clues.values()]


def save_option() -> list[inspect.Parameter]:
    return [_option("save", Annotated[str | None, typer.Option(
        "--save", metavar="FILE", help="Also write the validated case as JSON to FILE (for --case later).",
        rich_help_panel=OUTPUT_PANEL)])]


def ask_options() -> list[inspect.Parameter]:
    return [
        _option("max_questions", Annotated[int, typer.Option(
            "--max-questions", min=0, help="Stop after this many questions.", rich_help_panel=OUTPUT_PANEL)], 8),
        _option("stop_at", Annotated[float, typer.Option(
            "--stop-at", min=0.0, max=1.0, help="Stop when the leading cause reaches this probability.",
            rich_help_panel=OUTPUT_PANEL)], 0.9),
    ]


def case_fields(options: dict[str, Any]) -> dict[str, Any]:
    """The case fields given as options, with their case-file names (``--age`` is ``age_years``)."""
    fields: dict[str, Any] = {}
    for name in CASE_FIELD_OPTIONS:
        value = options[name]
        if value is not None:
            key = {"age": "age_years", "onset_age": "onset_age_years"}.get(name, name)
            fields[key] = value.value if isinstance(value, StrEnum) else value
    return fields


def clue_flags(options: dict[str, Any], kb: KnowledgeBase) -> dict[str, bool]:
    return {clue_id: options[clue_id] for clue_id in kb.clues if options.get(clue_id) is not None}


# numeric options (and their short forms) that click reads with Python's int() and float(), which take any Unicode
# digits ("３", Arabic-Indic) and underscores ("1_0"): --age refuses them, and so must these (robustness round 61)
NUMERIC_OPTIONS = {"--grade": "--grade", "-g": "--grade", "--top": "--top", "-n": "--top", "--jobs": "--jobs",
                   "-j": "--jobs", "--max-questions": "--max-questions", "--stop-at": "--stop-at"}


# the whole-number options, with what each takes (as their click ranges say)
WHOLE_NUMBERS = {"--grade": "a whole number from 0 to 3", "--top": "a whole number, at least 1",
                 "--jobs": "a whole number from 1 to 64", "--max-questions": "a whole number, at least 0"}


def refuse_unusual_digits(argv: list[str]) -> None:
    """Refuse a numeric option's value written with other digits than 0-9, or with an underscore, which Python
    would read as a number (``--grade ３`` as 3): the user is told, as for --age, rather than guessed for; and an
    option where --save's file name goes."""
    expect: str | None = None
    for token in argv:
        if token == "--":
            break
        value: str | None = None
        if expect is not None:
            option, value, expect = expect, token, None
        elif token in NUMERIC_OPTIONS:
            expect = NUMERIC_OPTIONS[token]
            continue
        elif token.startswith("--") and "=" in token and token.split("=", 1)[0] in NUMERIC_OPTIONS:
            option, value = NUMERIC_OPTIONS[token.split("=", 1)[0]], token.split("=", 1)[1]
        elif len(token) > 2 and token[:2] in NUMERIC_OPTIONS and not token.startswith("--"):
            option, value = NUMERIC_OPTIONS[token[:2]], token[2:]  # -g3
        if value is not None and ("_" in value or not value.isascii()):
            raise InputError(option, f"must be a number written with the digits 0-9 (got {value!r})")
        if value is not None and option in WHOLE_NUMBERS and not value.strip().lstrip("+-").isdigit() \
                and vocab.is_number(value):
            # "2.0" or "1e3" for a count: click's "not a valid int range" names no range (robustness round 70)
            raise InputError(option, f"must be {WHOLE_NUMBERS[option]} (got {value!r})")
    from itertools import pairwise

    for token, following in pairwise(argv):
        if token == "--":
            return
        if token == "--save" and following.startswith("-") and following != "-":
            # the next option taken as the file name (--save --alkaline-urine, --save -p cortical): the finding was
            # lost and a file named after it written, or the option's value left over (robustness round 63)
            raise InputError("--save", f"needs a file name, got {following!r}, which is an option: give --save FILE "
                             f"(or ./{following} for a file whose name begins with a dash)")


def in_contract_words(argv: list[str], kb: KnowledgeBase) -> list[str]:
    """The command line with the words clinicians use mapped onto the contract's, before click parses it:
    British spellings of clue flags (--hypercalcaemia, --no-haematuria), --sex F/M, --modality
    ultrasound/CT/x-ray/MRI, --age 6mo/10d/3w/2y, and lab aliases in --lab (PTH=..., Ca=..., HCO3=...)."""
    from nephrocalc.vocab import known_id

    flags = {clue.replace("_", "-") for clue in kb.clues}
    out: list[str] = []
    expect: str | None = None
    said: dict[str, bool] = {}  # clue flag -> present, to refuse --rta with --no-rta
    for token in argv:
        if token == "--":
            out.append(token)
            expect = "rest"
            continue
        if expect == "rest":
            out.append(token)
            continue
        if expect is not None:
            out.append(_value(expect, token, kb))
            expect = None
            continue
        if token.startswith("--") and "=" in token:
            name, value = token.split("=", 1)
            if name in ("--sex", "--modality", "--age", "--onset-age", "--lab"):
                out.append(f"{name}={_value(name, value, kb)}")
                continue
        if token in ("--sex", "--modality", "--age", "--onset-age", "--lab", "-l", "-m"):
            out.append(token)
            expect = {"-l": "--lab", "-m": "--modality"}.get(token, token)
            continue
        if token.startswith("--") and token[2:] not in flags:
            negated = token.startswith("--no-")
            name = token[5:] if negated else token[2:]
            clue = known_id(name.replace("-", "_"), kb.clues)
            if clue is not None and name.replace("-", "_") != clue:
                token = ("--no-" if negated else "--") + clue.replace("_", "-")
        if token.startswith("--"):
            negated = token.startswith("--no-")
            flag = token[5:] if negated else token[2:]
            if flag in flags:
                if said.get(flag, not negated) is negated:
                    raise InputError(f"--{flag}", f"given both present (--{flag}) and absent (--no-{flag}); "
                                     "give one, or neither when it is unknown")
                said[flag] = not negated
        out.append(token)
    return out


def _outside_years(years: float) -> str:
    """An age outside 0-130 years with the digits that show it is outside: 47483 days is "130.001" years, not the
    "130" that rounding to four digits gave, a figure the message had just called allowed (robustness round 70)."""
    for digits in range(4, 12):
        shown = f"{years:.{digits}g}"
        if not 0 <= float(shown) <= 130:
            return shown
    return f"{years!r}"


def _value(option: str, value: str, kb: KnowledgeBase) -> str:
    from nephrocalc.vocab import LAB_WORDS, MODALITY_WORDS, SEX_WORDS, known_id, parse_age

    if option == "--sex":
        return SEX_WORDS.get(value.strip().lower(), value)
    if option == "--modality":
        return MODALITY_WORDS.get(value.strip().lower(), value)
    if option in ("--age", "--onset-age"):
        years = parse_age(value)
        if years is None and ("_" in value or not value.isascii()):
            # Python reads "1_0" as 10 and Arabic-Indic digits as numbers: say so rather than guess
            raise InputError(option, f"must be a number of years written with the digits 0-9, or with a unit "
                             f"(6mo, 3w, 10d) (got {value!r})")
        try:
            number = years if years is not None else float(value)
        except ValueError:
            number = None  # not a number: click says so
        if number is not None and not 0 <= number <= 130 and number == number:  # (NaN: said where it is read)
            # in the words typed, as a case file's age is (robustness round 68: "inf is not in the range 0<=x<=130"
            # for 1e309, click's wording and not the value given)
            large = ", too large for a number" if number in (math.inf, -math.inf) and value.strip(
                "+- ").lower()[:3] != "inf" else ""
            shown = f"{value.strip()}{large}" + (f", {_outside_years(years)} years" if years is not None else "")
            raise InputError(option, f"must be a number from 0 to 130, or an age with its unit (got {shown})")
        return f"{years:.6g}" if years is not None else value
    if option == "--lab" and "=" in value:
        lab, rest = value.split("=", 1)
        found = known_id(lab.strip(), kb.labs, LAB_WORDS)
        return f"{found}={rest}" if found is not None else value
    return value


def extended_from_environment() -> bool:
    """$NEPHROCALC_EXTENDED set to a true value (an invalid value is refused where the rules are read)."""
    return os.environ.get("NEPHROCALC_EXTENDED", "").strip().lower() in _TRUE
