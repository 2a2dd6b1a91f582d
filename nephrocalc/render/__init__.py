"""Output: one registry of formats used by `diff`, `ask` and `batch`, with --top applied here, once.

Renderers compute nothing: every number they show is in the ``Result`` the engine built. The
format modules are imported only when their format is asked for (rich only for the table).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nephrocalc.errors import InputError
from nephrocalc.vocab import BATCH_FORMATS, RESULT_FORMATS

# One HTML report page is read by people: beyond this many cases it is too large to open (about 8 KB a
# case), and batch would hold it all in memory; jsonl, csv and tsv stream any number of cases.
HTML_MAX_CASES = 5_000

if TYPE_CHECKING:
    from nephrocalc.knowledge import KnowledgeBase
    from nephrocalc.result import Omitted, OmittedCantMiss, Result

__all__ = ["BATCH_FORMATS", "RESULT_FORMATS", "BatchWriter", "limit", "result_text", "show_result"]


def limit(result: Result, top: int | None) -> Result:
    """The result with only its first ``top`` causes (the whole result when ``top`` is None)."""
    if top is None or top >= len(result["differential"]):
        return result
    left = result["differential"][top:]
    omitted: Omitted = {"causes": len(left), "probability": round(sum(entry["probability"] for entry in left), 6)}
    cant_miss: list[OmittedCantMiss] = [
        {"rank": e["rank"], "cause": e["cause"], "name": e["name"], "form": e["form"],
         "form_share": e.get("form_share"), "probability": e["probability"], "capped": e["capped"]}
        for e in left if e["cant_miss"]]
    if cant_miss:  # named all the same, as the table names them (robustness round 62: the page said "none")
        omitted["cant_miss"] = cant_miss
    return {**result, "differential": result["differential"][:top], "omitted": omitted}


def _check_fields(fields: tuple[str, ...], fmt: str) -> None:
    """--fields names columns for tsv and csv, and a result's own top-level keys for JSON Lines."""
    from nephrocalc.render.text import EXTRA_COLUMNS, ROW_COLUMNS
    from nephrocalc.result import Result

    # a batch line is diff's result without the guided work-up (next_findings: diff --format json and ask)
    json_keys = tuple(key for key in Result.__annotations__ if key != "next_findings")
    allowed = json_keys if fmt in ("jsonl", "json") else (*ROW_COLUMNS, *EXTRA_COLUMNS) if fmt in ("tsv", "csv") \
        else ()
    if not allowed:
        raise InputError("--fields", f"applies to --format jsonl, json, tsv or csv (not {fmt})")
    unknown = [field for field in fields if field not in allowed]
    repeated = sorted({field for field in fields if fields.count(field) > 1})
    if repeated and not unknown:  # a JSON object has one key of a name, a table would repeat the column
        raise InputError("--fields", f"names {', '.join(repeated)} more than once: name each field once")
    if unknown or not fields:
        got = ", ".join(unknown) or "none"
        raise InputError("--fields", f"must name fields among {', '.join(allowed)} (got {got})")


def result_text(result: Result, fmt: str, kb: KnowledgeBase | None = None, subject_id: str | None = None) -> str:
    """One result in a text format: json (indented), jsonl (one line), tsv, csv, markdown, html (a self-contained
    report page, which needs the knowledge base for labels and sources) or phenopacket (``subject_id``: the subject's
    id in the phenopacket read, which the one written keeps)."""
    if fmt in ("json", "jsonl"):
        from nephrocalc.render.json import result_json

        return result_json(result, indent=fmt == "json")
    if fmt in ("tsv", "csv"):
        from nephrocalc.render.text import ROW_COLUMNS, result_csv_rows, result_tsv_rows, row_header

        return row_header(ROW_COLUMNS, fmt) + (result_tsv_rows if fmt == "tsv" else result_csv_rows)(result)
    if fmt == "markdown":
        from nephrocalc.render.text import result_markdown

        return result_markdown(result, kb)
    if fmt == "html" and kb is not None:
        from nephrocalc.render.html import result_html

        return result_html(result, kb)
    if fmt == "phenopacket":
        from nephrocalc.interop.phenopacket import interpretations
        from nephrocalc.render.json import dumps

        return dumps(interpretations(result, result["id"], kb, subject_id), indent=True)
    raise InputError("--format", f"must be one of {', '.join(RESULT_FORMATS)} (got {fmt!r})")


def show_result(result: Result, fmt: str, kb: KnowledgeBase, *, top: int | None, explain: bool,
                write: Callable[[str], Any], subject_id: str | None = None) -> None:
    """Render one result (`diff`, `ask`) in ``fmt``: text formats through ``write``, the table to the terminal."""
    shown = limit(result, top)
    if fmt == "table":
        from nephrocalc.render.table import print_result

        # the table lists the rows --top keeps, and still names every can't-miss cause below them
        print_result(result, kb, rows=shown["differential"] if top is not None else None, explain=explain,
                     omitted=shown.get("omitted"))
    else:
        write(result_text(shown, fmt, kb, subject_id))


class BatchWriter:
    """Many results as one stream (`batch`): a header, one chunk per result, and error records.

    JSON formats write error records in line with the results; tsv, csv and markdown cannot, so their
    errors go to ``report`` (stderr) instead.
    """

    def __init__(self, fmt: str, *, top: int | None = None, kb: KnowledgeBase | None = None,
                 fields: tuple[str, ...] | None = None) -> None:
        if fmt not in BATCH_FORMATS:
            raise InputError("--format", f"must be one of {', '.join(BATCH_FORMATS)} (got {fmt!r})")
        if fields is not None:
            _check_fields(fields, fmt)
        self.top = top
        self.header = b""
        self._footer = b""
        self.errors_inline = fmt in ("jsonl", "json")
        self.pure_rows = fmt != "html"  # each row depends on its result only: rows may be made elsewhere
        if self.errors_inline:
            import orjson

            dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE

            def write_json(data: Any) -> bytes:
                return _separators_escaped(dumps(data, option=newline))

            def write_fields(result: Result) -> bytes:
                return _separators_escaped(dumps({key: result[key] for key in fields or () if key in result},  # type: ignore[literal-required]
                                                 option=newline))

            self._row: Callable[[Result], bytes] = write_json if fields is None else write_fields
            self._error = write_json
        elif fmt == "html" and kb is not None:
            # one page for the whole batch, written at the end: a report is read by people, not streamed
            from nephrocalc.render.html import _cited, case_section

            self._sections: list[str] = []
            self._tags: dict[str, None] = {}  # the sources cited, in order; the results themselves are not kept
            self._kb = kb
            self._failed: list[dict[str, Any]] = []  # the lines that could not be read, listed on the page too

            def add(result: Result) -> bytes:
                if len(self._sections) >= HTML_MAX_CASES:
                    raise InputError("--format html", f"one report page holds at most {HTML_MAX_CASES:,} cases: "
                                     "split the input, or use jsonl, csv or tsv for a run this size")
                self._sections.append(case_section(result, kb))
                self._tags.update(dict.fromkeys(_cited(result)))
                return b""

            self._row = add
        elif fmt in ("tsv", "csv"):
            from nephrocalc.render.text import ROW_COLUMNS, result_csv_rows, result_tsv_rows, row_header

            columns = fields or ROW_COLUMNS
            rows = result_tsv_rows if fmt == "tsv" else result_csv_rows
            self.header = row_header(columns, fmt).encode()
            self._row = lambda result: rows(result, columns).encode()
            if "id" in columns:
                from nephrocalc.render.text import id_cell

                # a case id the cells write otherwise (counted, and said once on stderr: robustness round 75, "-1"
                # and "'-1" became one id without a word)
                self.id_changed = lambda result: id_cell(result["id"] or "", fmt) != (result["id"] or "")
        else:
            from nephrocalc.render.text import MARKDOWN_HEADER, _md, result_markdown_rows
            from nephrocalc.result import NOTICE

            self.header = MARKDOWN_HEADER.encode()
            self._row = lambda result: result_markdown_rows(result, kb, fit_in_case=True).encode()
            # a document read by people: the notice said once, at its end, with the rules used (as diff's Markdown)
            used = f" Knowledge base: {', '.join(f'{p.name} {p.version}' for p in kb.packs)}." if kb else ""
            self._footer = f"\n_{NOTICE}{_md(used)}_\n".encode()
            # a document read by people lists the lines it could not read, as the html page does (black-box
            # review 11: a table that silently counted fewer cases than were given)
            self._failed = []
            self._md = _md

    def row(self, result: Result) -> bytes:
        return self._row(result if self.top is None else limit(result, self.top))

    def error(self, record: dict[str, Any]) -> bytes:
        """An error record as bytes for the stream (JSON formats only)."""
        return self._error(record)

    def note_error(self, record: dict[str, Any]) -> None:
        """A line that could not be read, kept for the page (html): a report that leaves failed lines out
        would count fewer cases than were given, with no word why."""
        if hasattr(self, "_failed"):
            self._failed.append(record)

    def footer(self) -> bytes:
        """What ends the stream: the whole page for html, the decision-support notice for markdown, nothing
        for the machine formats (each JSON record carries it as ``notice``)."""
        if not hasattr(self, "_sections"):
            if not getattr(self, "_failed", None):
                return self._footer
            count = len(self._failed)
            listed = "".join(f"\n- {self._md(_failed_line(record))}" for record in self._failed)
            return f"\n**{count} line{'s' if count > 1 else ''} not read:**\n{listed}\n".encode() + self._footer
        from nephrocalc.render.html import failed_section, page

        sections = [*self._sections, failed_section(self._failed)] if self._failed else self._sections
        count = len(self._sections)
        title = f"nephrocalc report — {count} case{'' if count == 1 else 's'}" + (
            f", {len(self._failed)} line{'s' if len(self._failed) > 1 else ''} not read" if self._failed else "")
        return page(sections, title, self._kb, list(self._tags)).encode()


def _failed_line(record: dict[str, Any]) -> str:
    """A line not read, as a report lists it: "line 3 (its id): the error"."""
    named = f" ({record['id']})" if record.get("id") else ""
    return f"line {record.get('line')}{named}: {record.get('error', '')}"


def _separators_escaped(line: bytes) -> bytes:
    """A JSON line with U+2028, U+2029 and U+0085 written as escapes: valid JSON either way, but a reader that splits
    lines on them (Python's str.splitlines; JavaScript on the first two) would cut one record in two (a case id
    holding one)."""
    # (U+0085 was missed: robustness round 62.) Their lead bytes first: a one-byte test is a memchr scan, about 0.2 us
    # on a 12 KB line, where a three-byte search takes 5-9 us and a regex alternation of the three 60 us
    if (b"\xe2" in line or b"\xc2" in line) and (
            b"\xe2\x80\xa8" in line or b"\xe2\x80\xa9" in line or b"\xc2\x85" in line):
        return line.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029").replace(
            b"\xc2\x85", b"\\u0085")
    return line
