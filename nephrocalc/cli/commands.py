"""The commands of the command line, bound to one run's ``Session``: each parses its options, calls the
core and hands the result to a renderer (cli/app.py registers them)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nephrocalc.cli import io
from nephrocalc.cli.options import (
    BatchFormat,
    BatchInput,
    ExtendedOption,
    InfoFormat,
    InfoFormatOption,
    RulesOption,
    SchemaName,
    case_fields,
    clue_flags,
    complete_cause,
    complete_source,
)
from nephrocalc.errors import InputError

if TYPE_CHECKING:
    from nephrocalc.case import Case
    from nephrocalc.engine import Engine
    from nephrocalc.guidance import Interview
    from nephrocalc.knowledge import KnowledgeBase
    from nephrocalc.result import Note


@dataclass
class Session:
    """What one run works with: its rule packs, and the engine built from them (once)."""

    packs: tuple[Path, ...] = ()
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self) -> Engine:
        if self._engine is None:
            from nephrocalc.cache import misconfigured
            from nephrocalc.engine import load_engine

            self._engine = load_engine(self.packs)
            if (why := misconfigured()) is not None:  # not silently slower: the setting was not understood
                sys.stderr.write(f"nephrocalc: note: {io.one_line(why)}\n")
        return self._engine

    def kb(self) -> KnowledgeBase:
        return self.engine().kb


class Commands:
    """The commands, bound to one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.subject_id: str | None = None  # the subject's id in a phenopacket read: --format phenopacket keeps it

    @staticmethod
    def _check_explain(options: dict[str, Any]) -> None:
        """--explain prints every term of every score under the table; JSON always carries them. The other formats
        have no place for them: said on stderr, not silently ignored (QA review; robustness round 77: the HTML page
        was said to carry every term, and carries the evidence but not the prior, pattern and form terms)."""
        fmt = options["format"].value
        if options["explain"] and fmt in ("tsv", "csv", "markdown", "phenopacket", "html"):
            sys.stderr.write(f"nephrocalc: --explain has no effect with --format {fmt}, which has no place for the "
                             "explanation: use --format table (json carries every term without it)\n")

    def _case(self, options: dict[str, Any]) -> tuple[Case, list[Note]]:
        """The case of the command line (case file or phenopacket, then flags and --lab over it), and
        the warnings of reading a phenopacket."""
        from nephrocalc.intake import merge_case

        kb = self.session.kb()
        notes: list[Note] = []
        sources: list[tuple[str, str]] = [(name, options[name]) for name in ("phenopacket", "fhir")
                                          if options.get(name) is not None]
        # the usage is checked before any input is read: with nothing piped in, reading first said "not valid JSON"
        # where the conflict is the user's to fix (robustness round 53)
        if len(sources) + (options["case"] is not None) > 1:
            raise InputError("--" + sources[-1][0], "give one of --case, --phenopacket and --fhir, not several")
        base = io.read_case_source(options["case"]) if options["case"] is not None else None
        source = sources[0][1] if sources else None
        if sources and sources[0][0] == "phenopacket":
            from nephrocalc.interop.phenopacket import case_from_phenopacket

            document = io.read_case_source(sources[0][1], "--phenopacket")
            case, notes = case_from_phenopacket(document, kb)
            base = case.to_dict()
            self.subject_id = _subject_id(document)
        elif sources:
            from nephrocalc.interop.fhir import case_from_fhir

            case, notes = case_from_fhir(io.read_case_source(sources[0][1], "--fhir"), kb)
            base = case.to_dict()
        # a case file whose pattern is null says it is not known, as `ask` writes the case of a phenopacket or
        # FHIR bundle without a pattern term (CONTRACT.md section 5: diff --case replays it); a missing pattern is
        # still required
        unknown_pattern = base is not None and "pattern" in base and base["pattern"] is None
        if unknown_pattern and not any(note["id"] == "pattern_unknown" for note in notes):  # said once: a
            # phenopacket or FHIR bundle without a pattern term already says why (its own note)
            from nephrocalc.intake import pattern_null_note

            notes.append(pattern_null_note())
        replaced: list[str] = []
        try:
            case = merge_case(base, kb, fields=case_fields(options), clues=clue_flags(options, kb),
                              labs=options["lab"] or (), pattern_required=source is None and not unknown_pattern,
                              overrides=replaced, validate_base=source is None)
        except InputError as exc:
            lab_id = exc.where.split(".")[1] if exc.where.startswith("labs.") and exc.where.count(".") == 2 else ""
            if options.get("age") is None or not exc.where.endswith(".age_years") or lab_id not in (base or {}).get(
                    "labs", {}):
                raise
            # a lab of the input sampled after the --age given: named as the user wrote it (robustness round 61: the
            # error named labs.serum_calcium.age_years, a field of the input's reading, not of the command line)
            whose = "the case file" if source is None else f"the {sources[0][0]} input"
            raise InputError("--age", f"{options['age']:g} is before the age at which {whose} says {lab_id} was "
                             "sampled; give the age now, at or after every sample") from None
        if sources and base is not None:  # the document's notes on values a flag replaced (robustness round 83)
            if sources[0][0] == "phenopacket":
                from nephrocalc.interop.phenopacket import replaced_by_flags

                notes = replaced_by_flags(notes, base, case, kb)
            else:
                from nephrocalc.interop.phenopacket import notes_after_flags

                fields = case_fields(options)
                notes = notes_after_flags(notes, case, age="age_years" in fields, sex="sex" in fields,
                                          pattern="pattern" in fields,
                                          labs=[text.split("=", 1)[0].strip() for text in options["lab"] or ()])
        if replaced:
            whose = "the case file" if source is None else f"the {sources[0][0]} input"
            notes.append({"id": "flags_override_input", "sources": [],
                          "message": f"Flags given beside {whose} replaced its values: {'; '.join(replaced)}."})
        if case.pattern is not None:  # --pattern gave what the document did not: its warning no longer holds
            notes = [note for note in notes if note["id"] != "pattern_unknown"]
        if case.sex is not None and case.age_years is not None:  # nor that of a bundle without a Patient
            notes = [note for note in notes if note["id"] != "fhir_no_patient"]
        return case, notes

    def diff(self, **options: Any) -> None:
        """Rank the causes of nephrocalcinosis for one case, with the evidence for each.

        Every clue is a tri-state flag: --rta (present), --no-rta (absent), or left out (unknown).

        Example: nephrocalc diff --pattern medullary --rta --hypokalemia
        """
        from nephrocalc.guidance import diff
        from nephrocalc.render import show_result

        engine = self.session.engine()
        case, notes = self._case(options)
        self._check_explain(options)  # after the input is read: an input error is the one line on stderr
        if options.get("save") is not None:
            from nephrocalc.render.json import dumps

            if options["save"].strip() in ("", "-"):
                raise InputError("--save", f"needs a file name (got {options['save']!r}); the result itself goes "
                                 "to standard output")
            if options["save"].startswith("-"):
                # the next option taken as the file name (--save --alkaline-urine): the finding was lost and a file
                # named after it written (robustness round 63); a file that truly begins with a dash is ./-name
                raise InputError("--save", f"needs a file name, got {options['save']!r}, which is an option: give "
                                 "--save FILE (or ./" + options["save"] + " for a file whose name begins with a dash)")

            try:
                with open(options["save"], "w", encoding="utf-8") as handle:
                    handle.write(dumps(case.to_dict(), indent=True) + "\n")
            except OSError as exc:
                import errno

                said = f"cannot write {options['save']!r} ({exc.strerror or exc})"
                if exc.errno in (errno.ENOSPC, errno.EIO, getattr(errno, "EDQUOT", errno.ENOSPC)):
                    from nephrocalc.errors import RunStopped

                    # a full disk is not bad usage: exit status 1, as for standard output
                    raise RunStopped(f"--save: {said}") from None
                raise InputError("--save", said) from None
            if case.pattern is None:  # replayed, a null pattern ranks without pattern evidence: said now
                sys.stderr.write(f"nephrocalc: note: {options['save']} has \"pattern\": null (the input gave none): "
                                 "replayed with --case it ranks without pattern evidence; put medullary, cortical or "
                                 "combined if the images show it\n")
        result = diff(engine, case, notes)
        show_result(result, options["format"].value, engine.kb, top=options["top"], explain=options["explain"],
                    write=io.write, subject_id=self.subject_id)
        _note_not_carried(options["format"].value, case.to_dict(), engine.kb)
        _warnings_on_stderr(options["format"].value, result)

    def ask(self, **options: Any) -> None:
        """Guided work-up: ask about the most informative unknown finding, one at a time, re-ranking each time.

        Answer y (present), n (absent), u or ? (unknown: not asked again), b (back: undo the last answer) or
        q (stop); a lab-settled question also takes the value with its unit. When standard input is
        not a terminal, each question is one line on stderr starting with "? <clue id>" and answers are
        read from standard input, so scripts can drive it (answers left over when it stops are counted in a
        note on stderr); the final ranking goes to stdout (with
        --format json, the result with the answered case under "case", which `diff --case` replays).

        Example: nephrocalc ask --pattern medullary --age 6
        """
        from nephrocalc.guidance import Interview
        from nephrocalc.render import show_result

        if options["case"] == "-":
            raise InputError("--case -", "ask reads its answers from standard input: give the case as a file or flags")
        engine = self.session.engine()
        kb = engine.kb
        for name in ("phenopacket", "fhir"):
            if options.get(name) == "-":
                raise InputError(f"--{name} -", "ask reads its answers from standard input: give a file")
        if options["stop_at"] != options["stop_at"]:  # NaN passes the option's range check
            raise InputError("--stop-at", "must be a number from 0 to 1 (got nan)")
        case, notes = self._case(options)
        self._check_explain(options)  # after the input is read: an input error is the one line on stderr
        interview = Interview(engine, case, max_questions=options["max_questions"], stop_at=options["stop_at"],
                              notes=notes)
        interactive = sys.stdin is not None and sys.stdin.isatty()
        fmt = options["format"].value
        # a script's answers that take back ("b") ask again without counting as questions: bounded, so that a stuck
        # driver (`yes b`) ends (robustness round 75: it asked for as long as input lasted). A person at a terminal
        # may go back as often as they like.
        prompts, most = 0, 3 * options["max_questions"] + 3
        io.new_interview()
        try:
            while (question := interview.next_question()) is not None:
                prompts += 1
                if not interactive and prompts > most:
                    interview.stopped_because = (f"after {most} prompts: the answers took back ('b') more "
                                                 "than they answered")
                    break
                clue = kb.clues[question["clue"]]
                lab = f" (lab: {question['lab']})" if question["lab"] else ""
                settles = question["lab"]
                choices = "y/n/u/q/b or a value" if settles else "y/n/u/q/b"  # "?" is u too, as --help says
                # one question is one line (a script reads `? <clue id>` lines): a pack's description may break lines
                described = " ".join(clue.description.split())
                line = f"? {clue.id}  {described}{lab} [{choices}]\n"
                if interactive:
                    line = f"{clue.label}? {described}{lab} [{choices}] "
                # the example bound in the lab's own unit (robustness round 66: "<9 mg/dL" for a PTH, which refuses it)
                unit = kb.labs[settles].accepted_units[0] if settles is not None and settles in kb.labs else None
                answer = io.prompt_line(line, takes_value=settles is not None, terminal=interactive, unit=unit)
                if answer == io.END_OF_INPUT:  # the answers ran out (a script), or Ctrl-D: a stop, not an interrupt
                    interview.stopped_because = "the answers ran out (end of input)"
                    break
                if answer.startswith(io.NOT_READ):  # a script's line that answers nothing: unknown, and said
                    _not_read(interview, question["clue"], answer.removeprefix(io.NOT_READ))
                    continue
                if answer == "q":
                    interview.stopped_because = "at your request"
                    break
                if answer == "b":
                    if not interview.back():
                        sys.stderr.write("nephrocalc: nothing to take back\n")
                    continue
                if answer in ("y", "n", "u"):
                    interview.answer(question["clue"], {"y": True, "n": False, "u": None}[answer])
                elif settles is not None:
                    try:
                        interview.answer_lab(question["clue"], settles, answer)
                    except InputError as exc:  # not a value of that lab: asked again on a terminal, else unknown
                        if not interactive:
                            _not_read(interview, question["clue"], str(exc))
                            continue
                        sys.stderr.write(f"nephrocalc: {io.one_line(str(exc))}\n")
                if interactive:
                    from nephrocalc.render.table import print_progress

                    print_progress(engine.rank(interview.case), kb)
        except KeyboardInterrupt:  # Ctrl-C: keep what was answered
            interview.stopped_because = "interrupted; the answers so far are kept"
            show_result(interview.result(), fmt, kb, top=options["top"], explain=options["explain"], write=io.write,
                        subject_id=self.subject_id)
            sys.stderr.write(f"Replay: {io.replay_command(interview.case.to_dict(), self.session.packs)}\n")
            raise typer.Exit(130) from None
        if interactive and fmt == "table":
            sys.stderr.write(f"Stopped: {interview.stopped_because}.\n")
        elif sys.stdin is not None and (left := io.unread_lines(sys.stdin)):
            sys.stderr.write(f"nephrocalc: note: {left} more line{'s' if left > 1 else ''} of answers not used: "
                             f"the interview stopped ({interview.stopped_because})\n")
        show_result(interview.result(), fmt, kb, top=options["top"], explain=options["explain"], write=io.write,
                    subject_id=self.subject_id)
        _note_not_carried(fmt, interview.case.to_dict(), kb)
        _warnings_on_stderr(fmt, interview.result())
        sys.stderr.write(f"Replay: {io.replay_command(interview.case.to_dict(), self.session.packs)}\n")
        unread = sum(note["id"] == "ask_answer_not_read" for note in interview.notes)
        if unread:  # counted once at the end, where a script reads its outcome (black-box review 11); the result
            # stands (each finding left unknown), so the exit status stays 0, and the JSON carries each as a warning
            sys.stderr.write(f"nephrocalc: note: {unread} answer{'s' if unread > 1 else ''} could not be read and "
                             f"{'was' if unread == 1 else 'were'} left unknown (ask_answer_not_read in the result)\n")

    def batch(
        self,
        source: Annotated[str, typer.Argument(metavar="[FILE|-]", help="JSON Lines file, or - for standard input.")]
        = "-",
        format: Annotated[BatchFormat, typer.Option(
            "--format", "-f", help="jsonl (= json): one result or error record per input line; tsv, csv: one row "
            "per cause (id, rank, cause, probability, score, name, form, cant_miss, fit); markdown: one table; "
            "html: one report page (up to 5,000 cases).", case_sensitive=False)] = BatchFormat.jsonl,
        rules: RulesOption = None,
        extended: ExtendedOption = False,
        input: Annotated[BatchInput, typer.Option(
            "--input", "-i", help="case: one contract case per line; phenopacket: one GA4GH Phenopacket v2 "
            "(JSON) per line; fhir: one FHIR R4 Bundle (JSON) per line.", case_sensitive=False)] = BatchInput.case,
        top: Annotated[int | None, typer.Option(
            "--top", "-n", min=1, help="Keep only the first N causes of each result (default: all).")] = None,
        fields: Annotated[str | None, typer.Option(
            "--fields", metavar="A,B,...", help="Keep only these fields, in this order: columns for tsv and csv "
            "(id, rank, cause, probability, score, name, form, cant_miss, fit; also capped: yes when the "
            "probability was held at a cap, 95% or a cause's own lower one until its defining finding); top-level "
            "keys for jsonl "
            "(e.g. id,differential,fit).")] = None,
        jobs: Annotated[int | None, typer.Option(
            "--jobs", "-j", min=1, max=64, help="Worker processes for a long input (beyond 1,000 lines; the "
            "output is the same, in the same order; html is made in one). Default: one per usable CPU, at most 4; "
            "1 ranks every line in this process.")] = None,
    ) -> None:
        """Rank many cases: JSON Lines in (one case per line), one result line out per input line, in order.

        A bad line yields {"line": n, "id": ..., "error": ...} and the run goes on; the exit status is 2
        when any line failed. Blank lines are skipped and counted.

        Example: nephrocalc batch cases.jsonl > results.jsonl
        """
        import gc

        from nephrocalc.batch import MAX_LINE_BYTES, BatchStats, Pause, default_jobs, read_lines, run_batch
        from nephrocalc.render import BatchWriter
        from nephrocalc.vocab import MAX_DOCUMENT_BYTES

        if source == "-" and io.stdin_is_terminal():
            raise InputError("FILE", "batch reads JSON Lines from standard input (-), but nothing was piped in")

        def note(message: str) -> None:
            sys.stderr.write(f"nephrocalc: {io.one_line(message)}\n")

        # everything that can refuse the command line comes before the file is opened, so that a
        # refusal never leaves it open
        engine = self.session.engine()
        chosen = None if fields is None else tuple(f.strip() for f in fields.split(","))
        if chosen is not None and "" in chosen and any(chosen):  # ",,id," (all empty: "names none", below)
            raise InputError("--fields", f"has an empty name ({fields!r}): give names separated by single commas, "
                             "e.g. id,cause,probability")
        chosen = None if chosen is None else tuple(f for f in chosen if f)
        if chosen and "omitted" in chosen and top is None and format.value in ("jsonl", "json"):
            # a field asked for by name is never left out without a word (robustness round 63: "{}" and exit 0)
            raise InputError("--fields", "omitted is only there with --top N: it counts the causes --top leaves out")
        output = BatchWriter(format.value, top=top, kb=engine.kb, fields=chosen)
        if source == "-":
            stream = sys.stdin.buffer
        else:
            try:
                stream = open(source, "rb", buffering=0)  # noqa: SIM115 - closed below, streaming
            except OSError as exc:
                raise InputError("FILE", f"cannot read {source!r} ({exc.strerror or exc})") from None
        # The knowledge base and the engine's tables live for the whole run: keep the cyclic garbage
        # collector from rescanning them, and from running every few lines, as results come and go
        # (results hold no reference cycles; reference counting frees them).
        gc.enable()  # paused for start-up (cli/__init__.py): a long run needs it
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        out = io.binary_stdout()
        stats = BatchStats()  # counted as the run goes: a closed pipe must not hide a line that failed before it
        try:
            try:
                pause = Pause(out.flush, io.input_waiting(stream))
                # a contract case per line is small; a phenopacket or FHIR document may be as large as --fhir reads
                limit = MAX_LINE_BYTES if input is BatchInput.case else MAX_DOCUMENT_BYTES
                lines = io.with_progress(read_lines(io.reader(stream), pause, limit))
                read = None
                if input is not BatchInput.case:
                    from nephrocalc.intake import load_document, refuse_deep_nesting, refuse_repeated_keys

                    if input is BatchInput.phenopacket:
                        from nephrocalc.interop.phenopacket import case_from_phenopacket as reader
                        what, document = "phenopacket", "a GA4GH Phenopacket v2"
                    else:
                        from nephrocalc.interop.fhir import case_from_fhir as reader
                        what, document = "fhir", "a FHIR R4 Bundle"

                    def read(raw: bytes) -> tuple[Case, list[Note]]:
                        # NaN or Infinity named by its field, as `diff --phenopacket` and `diff --fhir` do; a number
                        # too large for a double left out alone
                        data = load_document(raw, what)
                        if not isinstance(data, dict):
                            raise InputError(what, f"must be a JSON object ({document})")
                        refuse_deep_nesting(data, what)
                        # a key given twice is refused as `diff --fhir` refuses it (robustness round 55: batch kept
                        # one of two genders silently)
                        refuse_repeated_keys(raw, data, what)
                        return reader(data, engine.kb)

                run_batch(lines, engine, out.write, output, write_error=note, read=read,
                          jobs=default_jobs() if jobs is None else jobs, pause=pause, limit=limit, stats=stats)
            finally:
                if stream is not sys.stdin.buffer:
                    stream.close()
                out.flush()
                gc.unfreeze()
                gc.set_threshold(700, 10, 10)
        except (BrokenPipeError, io.PipeClosed):
            if not stats.failed:
                raise  # `| head`: not an error (exit 0)
            # the reader went away, but a line had already failed: the exit status says so (CONTRACT.md section 4;
            # it was 0, fuzz review 47)
            io.silence_stdout()
            sys.stderr.write(f"nephrocalc: {stats.failed} of {stats.lines - stats.blank} lines failed before the "
                             "output was closed\n")
            raise typer.Exit(2) from None
        # JSON Lines cut down with --fields may leave out the notice and the warnings each result carries: said on
        # stderr as for tsv and csv (robustness round 77: `--fields id,fit` dropped both without a word)
        trimmed = format.value in ("jsonl", "json") and chosen is not None
        if stats.cases and format.value in ("tsv", "csv"):
            _notice_on_stderr(engine.kb)
        elif stats.cases and trimmed and "notice" not in (chosen or ()):
            _notice_on_stderr(engine.kb, "the --fields chosen leave this notice out")
        if stats.warned and (format.value in ("tsv", "csv", "markdown")
                             or (trimmed and "warnings" not in (chosen or ()))):
            # the rows have no place for a result's warnings (a lab value not used, a value replaced): counted, and
            # where to read them said (robustness round 64: they were dropped without a word)
            results = f"{stats.cases} result{'s' if stats.cases != 1 else ''}"
            rows, remedy = ((f"{format.value} rows", "--format jsonl gives each result's warnings")
                            if format.value in ("tsv", "csv", "markdown")
                            else ("the --fields chosen", "add warnings to --fields"))
            sys.stderr.write(f"nephrocalc: note: {stats.warned} of {results} carry warnings that {rows} "
                             f"do not show (a lab value not used, a finding read with a caveat): {remedy}\n")
        if format.value in ("tsv", "csv") and stats.ids_changed:
            # a spreadsheet formula guard, a line break or a control character in a case id: the cell differs from
            # the id given, which a join back to the input must know (robustness round 75)
            sys.stderr.write(f"nephrocalc: note: {stats.ids_changed} case id{'s' if stats.ids_changed != 1 else ''} "
                             f"written otherwise in the {format.value} cells (a leading = + - @ guarded with an "
                             "apostrophe against spreadsheet formulas, tabs and line breaks as spaces, control "
                             "characters as U+FFFD): --format jsonl keeps each id unchanged\n")
        # (one case without an id is told apart by its empty id cell)
        if format.value not in ("jsonl", "json") and (stats.ids_missing > 1 or stats.ids_repeated):
            # rows are joined back to the input by id: a case without one, or an id given twice, cannot be (robustness
            # round 79: two id-less cases and two cases "x" gave rows told apart only by where the rank restarts)
            said = [f"{count} case{'s' if count != 1 else ''} {what}" for count, what in (
                (stats.ids_missing, "without an id"), (stats.ids_repeated, "with an id an earlier case had")) if count]
            parts = "sections" if format.value == "html" else "rows"
            sys.stderr.write(f"nephrocalc: note: {' and '.join(said)}: their {format.value} {parts} cannot be joined "
                             "back to the input by id; give each line its own id, or use --format jsonl (one record "
                             "per line, in order)\n")
        blank = f"; {stats.blank} blank line{'s' if stats.blank != 1 else ''} skipped" if stats.blank else ""
        if stats.failed:
            sys.stderr.write(f"nephrocalc: {stats.failed} of {stats.lines - stats.blank} lines failed{blank}\n")
            raise typer.Exit(2)
        if blank:
            sys.stderr.write(f"nephrocalc: {stats.cases} cases ranked{blank}\n")
        elif not stats.lines:
            # an empty input (a failed export upstream) is said, not left as a silent success (UX review 84)
            sys.stderr.write("nephrocalc: 0 cases ranked: the input was empty\n")

    def schema(
        self,
        which: Annotated[SchemaName, typer.Argument(help="case (input) or result (output).")]
        = SchemaName.result,
        rules: RulesOption = None,
        extended: ExtendedOption = False,
    ) -> None:
        """Print the JSON Schema of a case (input) or of a result (output), for other tools to validate with. A
        case's clue and lab ids are those of the knowledge base loaded (--rules, --extended).

        Example: nephrocalc schema case > case.schema.json
        """
        from nephrocalc.render.json import dumps
        from nephrocalc.render.schema import json_schema

        io.write(dumps(json_schema(which.value, self.session.kb() if which.value == "case" else None), indent=True))

    def rules_check(
        self,
        folders: Annotated[list[str], typer.Argument(
            metavar="DIR...", help="The rule pack folder (pack.toml, clues.toml, sources.toml, caveats.toml, "
            "causes/<id>.toml), or a complete knowledge base in the layout of rules/; several are checked as "
            "`--rules` loads them together, in that order.")],
        extended: ExtendedOption = False,
    ) -> None:
        """Validate a rule pack on top of the built-in rules (or a complete knowledge base, a folder in the
        layout of rules/ with a knowledge_base.toml): exit 0 when valid, else exit 2 with one line per
        problem, "file: field: what is wrong". Nothing in a pack is ever executed. Several folders are
        checked together, as `diff --rules A --rules B` loads them, and $NEPHROCALC_RULES is laid under them
        as diff lays it. With --extended (or $NEPHROCALC_EXTENDED=1) the packs are checked as `diff
        --extended` loads them: over the extended knowledge base as well, whose causes they may name or take
        over.

        Example: nephrocalc rules check docs/packs/bartter
        """
        import os

        from nephrocalc.errors import RuleError
        from nephrocalc.loader import is_knowledge_base, load_knowledge_base

        directories: list[Path] = []
        for folder in folders:
            if not folder.strip():  # Path("") is the current folder: an empty name is a mistake, not "here"
                raise InputError("DIR", "needs a folder of rule files (got an empty name)")
            directory = Path(folder)
            try:
                is_dir = directory.is_dir()
            except OSError as exc:
                raise InputError("DIR", f"{str(directory)!r} cannot be read ({exc.strerror or exc})") from None
            if not is_dir:
                what = "is not a directory" if os.path.lexists(directory) else "does not exist"
                raise InputError("DIR", f"{str(directory)!r} {what}: a rule pack is a folder of rule files")
            directories.append(directory)
        from nephrocalc.cli.options import extended_from_environment, packs_from
        from nephrocalc.loader import extended_rules_dir

        # the packs of $NEPHROCALC_RULES, under the folders checked, as diff loads them
        under = [pack for pack in packs_from([], {"NEPHROCALC_RULES": os.environ.get("NEPHROCALC_RULES", "")})
                 if not any(pack.resolve() == directory.resolve() for directory in directories)]
        over = [extended_rules_dir()] if extended or extended_from_environment() else []
        checked = " and ".join(str(directory) for directory in directories)
        try:
            kb = load_knowledge_base(packs=[*over, *under, *directories], use_cache=False)
        except RuleError as exc:
            for problem in exc.problems:
                sys.stderr.write(f"{io.one_line(problem)}\n")
            # a problem of a $NEPHROCALC_RULES pack (named by its folder's name) is not laid at the checked folder
            theirs = {pack: sum(1 for problem in exc.problems if problem.startswith((f"{pack.name}/", f"{pack}/")))
                      for pack in under}
            count = len(exc.problems) - sum(theirs.values())
            said = f"nephrocalc: {count} problem{'s' if count != 1 else ''} in {checked}" + "".join(
                f"; {n} in {pack} ($NEPHROCALC_RULES)" for pack, n in theirs.items() if n)
            sys.stderr.write(io.one_line(said) + "\n")
            raise typer.Exit(2) from None
        complete = [directory for directory in directories if is_knowledge_base(directory)]
        base = f"with the knowledge base of {complete[0]}" if complete else "with the built-in rules"
        laid = "".join([" and the extended knowledge base" if over else "",
                        *(f" and {pack} ($NEPHROCALC_RULES)" for pack in under)])
        for directory in directories:
            if directory in complete:
                under_it = laid.replace(" and", " with", 1)
                io.write(io.one_line(f"ok: {kb.name} {kb.version} ({directory}): a complete knowledge base of "
                                     f"{len(kb.causes)} causes and {len(kb.clues)} clues{under_it}"))
                _note_missing_vocabulary(kb, directory)
                continue
            pack = next(info for info in kb.packs if Path(info.path).resolve() == directory.resolve())
            io.write(io.one_line(f"ok: {pack.name} {pack.version} ({directory}): {len(kb.causes)} causes and "
                                 f"{len(kb.clues)} clues {base}{laid}"))
            if not complete:
                _note_added_priors(kb, directory)
                _note_unused_clues(kb, directory)

    def causes(self, format: InfoFormatOption = InfoFormat.table, rules: RulesOption = None,
              extended: ExtendedOption = False) -> None:
        """The knowledge base at a glance: every cause with its distribution and prior by age group.

        Example: nephrocalc causes
        """
        kb = self.session.kb()
        if format.value == "json":
            from nephrocalc.render.json import causes_json

            io.write(causes_json(kb))
        else:
            from nephrocalc.render.table import print_causes

            print_causes(kb)

    def cause(
        self,
        cause_id: Annotated[str, typer.Argument(metavar="ID", help="A cause id (see `nephrocalc causes`).",
                                                autocompletion=complete_cause)],
        format: InfoFormatOption = InfoFormat.table,
        rules: RulesOption = None,
        extended: ExtendedOption = False,
    ) -> None:
        """One cause in full: summary, mechanism, priors, forms, findings with their weights, and sources.

        Example: nephrocalc cause distal_rta
        """
        from nephrocalc.vocab import cause_suggestion, is_identifier, unknown_id_message

        kb = self.session.kb()
        if cause_id not in kb.causes:
            from nephrocalc.loader import extended_rules_dir

            # an id, never a path: the extended pack's file of that name, looked up only for a well-formed id
            if is_identifier(cause_id) and len(cause_id) <= 64 \
                    and (extended_rules_dir() / "causes" / f"{cause_id}.toml").is_file():
                raise InputError("ID", f"{cause_id!r} is a cause of the extended knowledge base: add --extended "
                                 "(nephrocalc causes --extended lists them all)")
            if cause_id == "other":  # ranked in every differential, but not a cause with rules of its own
                raise InputError("ID", "'other' is the open world, a cause outside the knowledge base: it has an "
                                 "age-dependent prior, likelihoods flat but for a few findings that point outside "
                                 "the twelve, and no rule-out test (nephrocalc method explains it; fit.consider "
                                 "names causes to look for)")
            folded = next((known for known in kb.causes if known.casefold() == cause_id.strip().casefold()), None)
            if folded is not None:
                why = "ids are lower case" if folded != cause_id.strip() else "stray spaces around the id"
                raise InputError("ID", f"unknown cause {cause_id!r}; did you mean {folded!r}? ({why})")
            listing = "nephrocalc causes --extended" if extended else "nephrocalc causes"
            meant = cause_suggestion(cause_id, {c.id: c.name for c in kb.causes.values()})
            if meant is not None:
                raise InputError("ID", f"unknown cause {cause_id!r}; did you mean {meant!r}? see `{listing}` for the "
                                 f"{len(kb.causes)} allowed ids")
            raise InputError("ID", unknown_id_message(cause_id, kb.causes, "cause", listing))
        if format.value == "json":
            from nephrocalc.render.json import cause_json

            io.write(cause_json(kb, cause_id))
        else:
            from nephrocalc.render.table import print_cause

            print_cause(kb, cause_id)

    def clues(
        self,
        ids: Annotated[list[str] | None, typer.Argument(
            metavar="[CLUE]...", help="Clue ids to show (default: every clue), in either spelling: hypokalemia or "
            "hypokalaemia.")] = None,
        format: InfoFormatOption = InfoFormat.table,
        rules: RulesOption = None,
        extended: ExtendedOption = False,
    ) -> None:
        """The clue vocabulary: every clue with its flag, meaning and the causes that use it.

        Example: nephrocalc clues hypokalemia sterile_pyuria
        """
        from nephrocalc.vocab import known_id, unknown_id_message

        kb = self.session.kb()
        only: list[str] | None = None
        if ids:
            # as a flag is typed (--no-hypokalaemia) or as an id: one clue each, any spelling `diff` takes (UX review
            # 84: `nephrocalc clues hypokalemia` was an "unexpected extra argument", and the whole list is long)
            only = []
            for typed in ids:
                name = typed.strip().lstrip("-")
                name = name[3:] if name.startswith("no-") and name[3:] else name
                found = known_id(name.replace("-", "_"), kb.clues)
                if found is None:
                    raise InputError("CLUE", unknown_id_message(typed, kb.clues, "clue", "nephrocalc clues"))
                if found not in only:
                    only.append(found)
        if format.value == "json":
            from nephrocalc.render.json import clues_json

            io.write(clues_json(kb, only))
        else:
            from nephrocalc.render.table import print_clues

            print_clues(kb, only)

    def labs(self, format: InfoFormatOption = InfoFormat.table, rules: RulesOption = None,
              extended: ExtendedOption = False) -> None:
        """Lab values: accepted units, canonical unit, reference limits by age and sex, and the clues they give.

        Example: nephrocalc labs
        """
        kb = self.session.kb()
        if format.value == "json":
            from nephrocalc.render.json import labs_json

            io.write(labs_json(kb))
        else:
            from nephrocalc.render.table import print_labs

            print_labs(kb)
        _extended_changes_nothing(extended, "labs")

    def sources(
        self,
        tags: Annotated[list[str] | None, typer.Argument(metavar="[TAG]...", help="Source tags (default: all).",
                                                        autocompletion=complete_source)] = None,
        format: InfoFormatOption = InfoFormat.table,
        rules: RulesOption = None,
        extended: ExtendedOption = False,
    ) -> None:
        """The sources the knowledge base cites, in full: tag, citation and link (DOI or URL).

        Example: nephrocalc sources GR-dRTA Jha11
        """
        from nephrocalc.render.json import dumps
        from nephrocalc.vocab import unknown_id_message

        kb = self.session.kb()
        wanted = list(dict.fromkeys(tags)) if tags else sorted(kb.sources)  # a tag given twice is shown once
        for tag in wanted:
            if tag not in kb.sources:
                folded = next((known for known in kb.sources if known.casefold() == tag.strip().casefold()), None)
                if folded is not None:  # as `cause` says it (robustness round 64: "athena" had no suggestion)
                    raise InputError("TAG", f"unknown source tag {tag!r}; did you mean {folded!r}? (tags are "
                                     "case-sensitive)")
                if not extended and len(tag) <= 64:
                    # a tag `diff --extended` cites: say where it is, as `cause` does for an extended cause
                    from nephrocalc.engine import load_engine
                    from nephrocalc.loader import extended_rules_dir

                    more = load_engine((*self.session.packs, extended_rules_dir())).kb.sources
                    match = next((known for known in more if known.casefold() == tag.strip().casefold()), None)
                    if match is not None:
                        raise InputError("TAG", f"{match!r} is a source of the extended knowledge base: add "
                                         "--extended")
                raise InputError("TAG", unknown_id_message(tag, kb.sources, "source tag", "nephrocalc sources"))
        entries = [kb.sources[tag] for tag in wanted]
        if format.value == "json":
            io.write(dumps({"sources": [{"tag": e.tag, "citation": e.citation, "url": e.url} for e in entries]},
                           indent=True))
        else:
            io.write("\n".join(f"[{e.tag}] {e.citation}. {e.url}" for e in entries))

    def imaging(self, rules: RulesOption = None, extended: ExtendedOption = False) -> None:
        """What nephrocalcinosis looks like on radiographs, ultrasound, CT and MR.

        Example: nephrocalc imaging
        """
        from nephrocalc.render.table import print_reference_table

        print_reference_table(self.session.kb(), "imaging")
        _extended_changes_nothing(extended, "imaging")

    def grading(self, rules: RulesOption = None, extended: ExtendedOption = False) -> None:
        """The ultrasound and CT grades (0-3) of medullary nephrocalcinosis used by --grade.

        Example: nephrocalc grading
        """
        from nephrocalc.render.table import print_reference_table

        print_reference_table(self.session.kb(), "grading")
        _extended_changes_nothing(extended, "grading")

    def method(self, rules: RulesOption = None, extended: ExtendedOption = False) -> None:
        """Intended use, inputs, how the scoring works, knowledge-base version and validation status.

        Example: nephrocalc method
        """
        from nephrocalc.render.table import print_method

        print_method(self.session.kb())


def _note_missing_vocabulary(kb: KnowledgeBase, directory: Path) -> None:
    """A complete knowledge base that lacks a cause, clue, lab or unit of the built-in one: a case written against
    CONTRACT.md that names one is refused with it. Valid (a site may narrow the vocabulary), so a note, where the
    author can act on it (robustness round 69: `rules check` said only "ok")."""
    from nephrocalc.knowledge import normalise_unit
    from nephrocalc.loader import load_knowledge_base

    builtin = load_knowledge_base()
    missing = [f"{kind} {', '.join(ids[:8])}{' ...' if len(ids) > 8 else ''}" for kind, ids in (
        ("causes", [cause for cause in builtin.causes if cause not in kb.causes]),
        ("clues", [clue for clue in builtin.clues if clue not in kb.clues]),
        ("labs", [lab for lab in builtin.labs if lab not in kb.labs]),
        # a unit as the labs match it (case and spaces ignored): "mmol/l " in the copy is mmol/L (robustness round 73:
        # the note said a unit that was accepted would be refused)
        ("units", [f"{lab_id} {unit}" for lab_id, lab in builtin.labs.items() if lab_id in kb.labs
                   for unit in lab.accepted_units if normalise_unit(unit) not in
                   {normalise_unit(other) for other in kb.labs[lab_id].accepted_units}])) if ids]
    if missing:
        sys.stderr.write(io.one_line(f"nephrocalc: note: {directory}: lacks {'; '.join(missing)} of the built-in "
                                     "knowledge base: a case naming one (CONTRACT.md) is refused with it") + "\n")


def _note_unused_clues(kb: KnowledgeBase, directory: Path) -> None:
    """A pack's new clues that no loaded cause lists are accepted in every case and count only for the open world
    (CONTRACT.md section 1: reported as unused, a warning, never an error): said when the pack is checked, where
    its author can act on it, not only when a case states one (black-box review 11). So is a rule-out test on a
    cause that is not can't-miss, which is never shown (a note, not an error: the pack still loads)."""
    import tomllib

    try:
        declared = tomllib.loads((directory / "clues.toml").read_text(encoding="utf-8")).get("clues", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):  # loaded already: only a missing file
        declared = {}
    unused = sorted(clue for clue in declared if clue in kb.clues and clue not in kb.used_clues)
    if unused:
        sys.stderr.write(io.one_line(
            f"nephrocalc: note: {directory / 'clues.toml'}: no cause lists {', '.join(unused)}: "
            f"{'it counts' if len(unused) == 1 else 'they count'} only for a cause outside the knowledge base "
            "(other)") + "\n")
    # the HPO terms of the pack's clues, as the readers will take them (robustness round 76): a term below another
    # clue's term states that clue too (HPO's is-a: a recurrent upper UTI is a UTI), unless the clue refines it; a
    # term outside the HPO release that ships has no narrower terms read as the clue, and its id is not checked
    for clue_id in declared:
        clue = kb.clues.get(clue_id)
        if clue is None:
            continue
        for term in clue.hpo:
            also = [other for other in kb.hpo_clue_sets.get(term, ()) if other != clue_id
                    and other not in clue.refines and term not in kb.clues[other].hpo]
            if also:
                quoted = ", ".join(f'"{other}"' for other in also)
                sys.stderr.write(io.one_line(
                    f"nephrocalc: note: {directory / 'clues.toml'}: clues.{clue_id}.hpo: {term} lies below the term "
                    f"of {', '.join(also)} in HPO: a phenopacket feature with it states both (refines = [{quoted}] "
                    f"reads it as {clue_id} alone)") + "\n")
            if not also and term not in kb.hpo_labels and not kb.hpo_ancestors.get(term):
                sys.stderr.write(io.one_line(
                    f"nephrocalc: note: {directory / 'clues.toml'}: clues.{clue_id}.hpo: {term} is not among the HPO "
                    f"terms nephrocalc ships (its own clues' terms and those below them, HPO {kb.hpo_release}): the "
                    f"id is not checked, and terms below it are not read as {clue_id}") + "\n")
    # a rule-out test is proposed only for a can't-miss cause: on another it is accepted and never shown
    for cause in kb.causes.values():
        if cause.rule_out is not None and not cause.cant_miss \
                and Path(cause.path).resolve().parent.parent == directory.resolve():
            sys.stderr.write(io.one_line(f"nephrocalc: note: causes/{Path(cause.path).name}: rule_out: the test is "
                                         "proposed only for a can't-miss cause; set cant_miss = true (with its "
                                         "cant_miss_reason) for it to be shown") + "\n")


ADDED_PRIOR_NOTE = 0.5  # a pack's new causes holding this much of nephrocalcinosis in an age group are pointed out


def _note_added_priors(kb: KnowledgeBase, directory: Path) -> None:
    """A pack's new causes (not replacing one of the built-in knowledge base) are ranked with the knowledge base's,
    all priors renormalised together: new causes holding half of nephrocalcinosis or more in an age group shrink
    every other prior a great deal (a prior of 0.9 halves them), which is said, not done silently."""
    from nephrocalc.loader import extended_rules_dir, load_knowledge_base
    from nephrocalc.vocab import AGE_GROUPS

    builtin = dict(load_knowledge_base().causes)
    extended = extended_rules_dir().resolve()
    root = directory.resolve()
    if root != extended and any(Path(info.path).resolve() == extended for info in kb.packs):
        # with --extended, a pack's cause of an extended id replaces that one as whole (fuzz review 46: unsaid); the
        # extended folder checked itself replaces none of its own causes (it said it replaced all 24: review 47)
        builtin.update(load_knowledge_base(packs=[extended]).causes)
    added = [cause for cause_id, cause in kb.causes.items()
             if cause_id not in builtin and root in Path(cause.path).resolve().parents]
    # a cause file of a built-in id replaces that cause whole (CONTRACT.md section 6): allowed, and said, since
    # "ok: 12 causes" reads as the built-in twelve (black-box review 12: distal RTA fell from 91% to 6% unsaid)
    replaced = sorted(cause_id for cause_id, cause in kb.causes.items()
                      if cause_id in builtin and root in Path(cause.path).resolve().parents)
    if replaced:
        sys.stderr.write(io.one_line(f"nephrocalc: note: {directory} replaces the built-in "
                                     + ("cause " if len(replaced) == 1 else "causes ") + ", ".join(replaced)
                                     + ": its file's rules, prior and forms are used instead") + "\n")
    held = {group: sum(cause.prior[group] for cause in added) for group in AGE_GROUPS}
    large = {group: share for group, share in held.items() if share >= ADDED_PRIOR_NOTE}
    if large:
        shares = " and ".join(f"{share:.2g} for {group} (every other prior scaled by {1 / (1 + share):.2g})"
                              for group, share in large.items())
        sys.stderr.write(io.one_line(f"nephrocalc: note: the causes {directory} adds hold {shares} of "
                                     "nephrocalcinosis by their priors (each is P(cause | nephrocalcinosis)), and "
                                     "the ranking renormalises all priors together: check that this is meant") + "\n")


def _subject_id(document: object) -> str | None:
    """The subject's id of a phenopacket (or of a GA4GH Family's proband), or None."""
    packet = document.get("proband", document) if isinstance(document, dict) else None
    subject = packet.get("subject") if isinstance(packet, dict) else None
    found = subject.get("id") if isinstance(subject, dict) else None
    return found if isinstance(found, str) and found.strip() else None


def _note_not_carried(fmt: str, case: dict[str, Any], kb: KnowledgeBase) -> None:
    """--format phenopacket has no place for some of the case (findings without an HPO term, lab bounds, modality,
    grade, laterality): said on stderr, so that reading the file back is not mistaken for the whole case."""
    if fmt in ("tsv", "csv"):
        _notice_on_stderr(kb)
        from nephrocalc.render.text import id_cell

        if isinstance(case_id := case.get("id"), str) and id_cell(case_id, fmt) != case_id:
            sys.stderr.write(f"nephrocalc: note: the case id is written otherwise in the {fmt} cells "
                             f"({io.one_line(repr(id_cell(case_id, fmt)))[:80]}: a leading = + - @ guarded against "
                             "spreadsheet formulas, tabs and line breaks as spaces, control characters as U+FFFD)\n")
    if fmt != "phenopacket":
        return
    from nephrocalc.interop.phenopacket import not_carried

    left = not_carried(case, kb)
    if not case.get("id"):  # a phenopacket needs one: "case" reads back as the id (robustness round 64: unsaid)
        sys.stderr.write("nephrocalc: note: the case has no id: the phenopacket written is named 'case', which "
                         "reads back as its id\n")
    if left:
        sys.stderr.write(io.one_line("nephrocalc: note: the phenopacket written does not carry " + "; ".join(left)
                                     + " (the ranking used them)") + "\n")


def _extended_changes_nothing(extended: bool, page: str) -> None:
    """--extended adds causes and mimics, not lab limits or imaging tables: said when typed on a page it leaves
    unchanged, rather than taken without a word (robustness round 64)."""
    if extended:
        sys.stderr.write(f"nephrocalc: note: --extended adds causes and mimics; the {page} page is the same with it\n")


def _warnings_on_stderr(fmt: str, result: Any) -> None:
    """tsv, csv and a phenopacket have no place for the result's warnings (a lab value not used, flags that replaced
    a case file's values): each goes to stderr, one line, as the table and JSON carry them (robustness round 64:
    they were dropped without a word)."""
    if fmt not in ("tsv", "csv", "phenopacket"):
        return
    for note in result["warnings"]:
        sys.stderr.write(io.one_line(f"nephrocalc: warning: {note['message']}") + "\n")


def _notice_on_stderr(kb: KnowledgeBase | None = None, why: str = "tsv and csv rows do not carry this notice") -> None:
    """tsv and csv rows have no place for the notice every other format carries: it goes to stderr, once
    (robustness round 63: they never said that the ranking is decision support), with the knowledge base and the
    packs the rows were ranked with (robustness round 76: rows ranked with a pack could not be told from the
    built-in rules')."""
    from nephrocalc.result import NOTICE

    # (named when a pack is laid over the built-in rules: the rows of a plain run are the built-in rules')
    laid = kb is not None and (len(kb.packs) > 1 or kb.packs[0].path != "built-in")
    used = f" Knowledge base: {', '.join(f'{p.name} {p.version}' for p in kb.packs)}." if kb is not None and laid \
        else ""
    sys.stderr.write(io.one_line(f"nephrocalc: note: {NOTICE}{used} ({why})") + "\n")


def _not_read(interview: Interview, clue: str, why: str) -> None:
    """A script's answer that cannot be read: the finding is left unknown (not asked again), said on stderr and in
    the result's warnings, and the next line answers the next question (CONTRACT.md section 5: one line, one
    answer; taking the next line for this question again shifted every later answer onto the wrong question)."""
    sys.stderr.write(f"nephrocalc: {io.one_line(why)}; {clue} left unknown\n")
    interview.answer(clue, None)
    interview.notes.append({"id": "ask_answer_not_read", "sources": [],
                            "message": f"The answer to {clue} could not be read ({io.one_line(why, 200)}): the finding "
                                       "was left unknown."})
