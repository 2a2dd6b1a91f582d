"""Plain-text machine formats: TSV (one row per cause) and Markdown (a table for notes). No colour."""

from __future__ import annotations

import re
from typing import Any

from nephrocalc.knowledge import KnowledgeBase
from nephrocalc.render.views import (
    also_unexplained,
    cap_note,
    case_facts,
    cause_label,
    display_name,
    distinctive,
    evidence_words,
    lab_reading,
    labs_entered,
    lower_clause,
    percent,
    poor_fit_text,
    printable,
    rule_out_purpose,
    rules_label,
    work_up,
)
from nephrocalc.result import NOTICE, Evidence, Result
from nephrocalc.vocab import in_text

# one row per cause; the columns after score were added for researchers (name, best-fitting form,
# can't-miss, and the case's fit status, repeated on each of its rows)
ROW_COLUMNS = ("id", "rank", "cause", "probability", "score", "name", "form", "cant_miss", "fit")
TSV_HEADER = "\t".join(ROW_COLUMNS) + "\n"
# columns given only when asked for with --fields: whether a probability was capped ("> 95%": a capped 0.95 is not
# a measured 0.95, which matters to calibration work; UX review 13)
EXTRA_COLUMNS = ("capped",)


def _one_line(value: str) -> str:
    """Tabs and line breaks as spaces: the one form tsv, csv and Markdown give a case id that holds them."""
    return value.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _tsv_field(value: str | None) -> str:
    """A case id as one TSV field: tabs and line breaks become spaces (one row is one line, for
    cut and awk), and an id with a double quote is quoted with the quotes doubled, so that
    csv.reader(delimiter="\\t") reads it back unchanged."""
    if value is None:
        return ""
    value = printable(_one_line(value))
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _inert(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula: one that starts with = + - @ (or a tab or carriage
    return) gets a leading apostrophe, as OWASP advises against CSV injection (a pack's cause name, a case id)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def id_cell(case_id: str, fmt: str) -> str:
    """A case id as a tsv or csv cell shows it (before any quoting, which a reader undoes): guarded against formulas,
    tabs and line breaks as spaces, other control characters as U+FFFD."""
    return printable(_one_line(_inert(case_id)))


def _rows(result: Result, columns: tuple[str, ...]) -> list[list[str]]:
    """One list of field values per cause, in the order of ``columns`` (names from ROW_COLUMNS)."""
    case_id, fit = _inert(result["id"] or ""), result["fit"]["status"]
    rows = []
    for e in result["differential"]:
        values = {"id": case_id, "rank": str(e["rank"]), "cause": e["cause"], "probability": f"{e['probability']:.6f}",
                  "score": f"{e['score']:.3f}", "name": _inert(e["name"]), "form": e["form"] or "",
                  "cant_miss": "yes" if e["cant_miss"] else "no", "fit": fit,
                  "capped": "yes" if e.get("capped") else "no"}
        rows.append([values[column] for column in columns])
    return rows


def row_header(columns: tuple[str, ...], fmt: str) -> str:
    """The header line of the tsv or csv rows."""
    return ("\t" if fmt == "tsv" else ",").join(columns) + "\n"  # (ids only: nothing to quote)


def result_tsv_rows(result: Result, columns: tuple[str, ...] = ROW_COLUMNS) -> str:
    return "".join("\t".join(_tsv_field(v) for v in values) + "\n" for values in _rows(result, columns))


def result_csv_rows(result: Result, columns: tuple[str, ...] = ROW_COLUMNS) -> str:
    """The rows of ``result_tsv_rows`` as RFC 4180 CSV (quoted where needed, LF line ends)."""
    import csv
    import io

    out = io.StringIO()
    # tabs and line breaks become spaces, as in tsv and Markdown (one row is one line; robustness round 64: the three
    # formats wrote one id three ways), and other control characters (an escape sequence) U+FFFD, as everywhere
    csv.writer(out, lineterminator="\n").writerows([[printable(_one_line(v)) for v in row]
                                                     for row in _rows(result, columns)])
    return out.getvalue()


_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _md(text: str) -> str:
    """A table cell: pipes and backslashes escaped, line breaks joined, and & < > written as entities, so that a
    case id cannot become HTML where the Markdown is rendered, nor an entity (``&lt;``) read as another character;
    brackets and backticks escaped, so that a name cannot become a link, a remote image or code; asterisks, and
    underscores at a word's edge, escaped so that ``*x*`` or ``_x_`` stays literal (an underscore inside a word, as
    in a clue id, never makes emphasis in CommonMark)."""
    text = (_one_line(text).replace("&", "&amp;").replace("\\", "\\\\").replace("|", "\\|")
            .replace("<", "&lt;").replace(">", "&gt;").replace("[", "\\[").replace("]", "\\]").replace("`", "\\`")
            .replace("*", "\\*"))
    return printable(_EDGE_UNDERSCORE.sub(r"\\_", text))


MARKDOWN_HEADER = "| Case | Rank | Cause | Probability | Strongest evidence |\n|---|---:|---|---:|---|\n"


def result_markdown_rows(result: Result, kb: KnowledgeBase | None = None, *, fit_in_case: bool = False) -> str:
    """The Markdown table's rows; with the knowledge base, each cause named, and its evidence worded, as the table
    does ("+ High PTH ×19": robustness round 77, the report gave clue ids without ratios). ``fit_in_case``: a poor fit
    is marked in the case cell of the first row (batch, whose page has no other place for it)."""
    entries = result["differential"]
    name = (lambda e: display_name(kb, e)) if kb is not None else (lambda e: e["name"])
    rows = []
    for e in entries:
        if kb is not None:
            evidence = evidence_words(kb, e)
        else:
            evidence = ", ".join([_signed("+", x) for x in distinctive(e["supporting"])[:3]]
                                 + [_signed("−", x) for x in distinctive(e["conflicting"])[:2]])
        shown = percent(e["probability"], e.get("capped", False))
        case = result["id"] or ""
        if fit_in_case and e is entries[0] and result["fit"]["status"] == "poor":
            case = f"{case} (poor fit)".strip()
        rows.append(f"| {_md(case)} | {e['rank']} | {_md(name(e))} | {shown} "
                    f"| {_md(evidence)} |\n")
    return "".join(rows)


def _signed(sign: str, evidence: Evidence) -> str:
    """A term as ids write it (as TSV does), with its condition: "-high_pth with hypercalcemia" (robustness round 67:
    the row read "+high_pth ... -high_pth")."""
    term = f"{sign}{evidence['clue']}" if evidence["present"] else f"{sign}no {evidence['clue']}"
    with_clue = evidence.get("counts_with")
    return f"{term} with {with_clue}" if with_clue else term


def _lacking(result: Result, name: Any) -> str:
    """The name of the cause that lacks what it nearly always has (fit.absent_in)."""
    return next((name(e) for e in result["differential"] if e["cause"] == result["fit"].get("absent_in")), "")


def result_markdown(result: Result, kb: KnowledgeBase | None = None) -> str:
    # warnings and caveats under their own headings, each with its sources, as the table gives them (robustness round
    # 77: one unlabelled list without tags)
    def listed(heading: str, items: list[Any]) -> list[str]:
        return [f"**{heading}**\n\n", *(f"- {_md(n['message'])}" + (f" \\[{_md(', '.join(n['sources']))}\\]"
                                                                  if n.get("sources") else "") + "\n"
                                        for n in items), "\n"] if items else []

    notes = [*listed("Warnings", list(result["warnings"])), *listed("Caveats", list(result["caveats"]))]
    fit = result["fit"]
    name = (lambda e: display_name(kb, e)) if kb is not None else (lambda e: e["name"])
    # the case restated as the report page does: pattern, who, the findings and lab values stated (robustness round
    # 64: the pattern and the findings were missing, and with no age there was no case line at all)
    case = result.get("case") or {}
    facts = ", ".join(filter(None, [f"pattern {result['pattern'] or 'not stated'}", case_facts(case)]))
    if case.get("clues"):
        facts += "; " + ", ".join(clue if value else f"no {clue}" for clue, value in case["clues"].items())
    if case.get("labs"):
        facts += "; labs: " + labs_entered(case["labs"])
    body = f"Case: {_md(facts)}\n\n"
    if reading := lab_reading(kb, list(result["derived"])):  # what the values were read as, as the table says
        body += f"From the lab values: {_md(reading)}.\n\n"
    contradictory = fit.get("contradictory")
    if contradictory:
        body += ("**Poor fit**: the stated findings contradict each other: "
                 + _md(" and ".join(contradictory)) + " (neither was counted)"
                 + (f"; also unexplained: {_md(', '.join(more))}" if (more := also_unexplained(fit)) else "") + ".\n\n")
    elif fit["status"] == "poor":
        body += (f"**Poor fit**: {poor_fit_text(result)}"
                 + (": " + _md(", ".join(fit["unexplained"] or fit.get("combination", [])))
                    if fit["unexplained"] or fit.get("combination") else "")
                 + (f"; {_md(_lacking(result, name))} nearly always has "
                    + _md(" and ".join(fit.get("absent", []))) + ", absent here" if fit.get("absent") else "")
                 + ".\n\n")
        lower = lower_clause(result, str, name)
        if lower:
            body += _md(lower) + ".\n\n"
    elif fit["unexplained"]:  # a good fit that still leaves a finding unexplained says which
        body += "Not explained by the leading causes: " + _md(", ".join(fit["unexplained"])) + ".\n\n"
    for item in fit["consider"]:
        body += f"- Consider **{_md(item['name'])}**: {_md(item['why'])}\n"
    if fit["consider"]:
        body += "\n"
    body += MARKDOWN_HEADER + result_markdown_rows(result, kb)
    if kb is not None and (note := cap_note(kb, result["differential"])) is not None:
        # (a ">" opening a line would make a block quote: escaped as Markdown escapes it, not as an HTML entity)
        body += "\n" + ("\\>" + _md(note[1:]) if note.startswith(">") else _md(note)) + "\n"
    if result.get("omitted"):  # --top N
        left = result["omitted"]
        body += f"\n{left['causes']} more cause{'s' if left['causes'] != 1 else ''} not shown (--top), together " \
                f"{percent(left['probability'], False)}.\n"
    body += _cant_miss_line(result, name)
    following = work_up(result)[:3]
    if following:  # the table's "To narrow this down" line (robustness round 77: the report had none)
        def cause_named(cause_id: str) -> str:
            return cause_label(kb, cause_id) if kb is not None else cause_id

        hints = [f"{item['rule_out']} ({rule_out_purpose(result, item.get('cant_miss', ''))} "
                 f"{cause_named(item.get('cant_miss', ''))})" if item.get("rule_out") else in_text(item["label"])
                 for item in following]
        numbered = "; ".join(f"({number}) {hint}" for number, hint in enumerate(hints, 1)) if len(hints) > 1 \
            else hints[0]
        body += "\nTo narrow this down, check: " + _md(numbered) + ".\n"
    if notes:
        body += "\n" + "".join(notes)
    return body + f"\n_{NOTICE} Knowledge base: {_md(rules_label(result))}._\n"


def _cant_miss_line(result: Result, name: Any) -> str:
    """The can't-miss causes, the leader among them, with the rule-out test the work-up proposes, as the table and
    the page say them (robustness round 64: a renal tuberculosis first at 88% was never marked can't-miss)."""
    tests = {item["cant_miss"]: item["rule_out"] for item in result.get("next_findings") or []
             if item.get("rule_out") and item.get("cant_miss")}
    listed = [(e["cause"], name(e), e["probability"], e.get("capped", False)) for e in result["differential"]
              if e["cant_miss"]]
    omitted: Any = result.get("omitted") or {}
    listed += [(e["cause"], name(e), e["probability"], e.get("capped", False)) for e in omitted.get("cant_miss", [])]
    shown = [item for item in listed if item[2] >= 0.001 or item[3]]
    faint = [name for _, name, probability, capped in listed if probability < 0.001 and not capped]
    if not listed:
        return ""
    parts = [f"{name} {percent(probability, capped)}"
             + (f" ({rule_out_purpose(result, cause).removeprefix('to ')}: {tests[cause]})" if cause in tests else "")
             for cause, name, probability, capped in shown]
    if faint:
        parts.append(("also " if shown else "") + f"each below 0.1%: {', '.join(faint)}")
    return "\n**Can't miss** (missing it would harm): " + _md("; ".join(parts)) + ".\n"
