"""Terminal renderers (rich). The only module that imports rich; colour only on a terminal.

rich's Console already honours NO_COLOR and TERM=dumb and drops colour when stdout is not a
terminal, so piped output is plain text. Text from rule files and cases is data, never markup:
every console here is made with ``markup=False`` and styled parts are built as ``Text``, so a
rule text such as "level [see table 2]" prints as written. Every number shown was computed by
the engine; nothing here recomputes a model quantity.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from nephrocalc.knowledge import Cause, Finding, KnowledgeBase
from nephrocalc.render.views import (
    REPEAT_SCAN,
    also_unexplained,
    cap_note,
    case_facts,
    cause_label,
    certainty_until,
    cited_tags,
    clue_conditions,
    clue_users,
    entry_form,
    evidence_label,
    lab_reading,
    labs_view,
    lacks_clause,
    lower_clause,
    lr_text,
    no_evidence_text,
    not_used,
    percent,
    poor_fit_text,
    printable,
    repeat_scan_first,
    rule_out_purpose,
    rule_out_text,
    rules_label,
    strongest_evidence,
    triggers_text,
    work_up,
)
from nephrocalc.result import NOTICE, Entry, Omitted, Result
from nephrocalc.vocab import in_text

_BAR_BELOW = 80  # columns: below this the table drops its bar column
# columns: below this the evidence goes under each cause's name, in its cell, where a column of its own had been
# squeezed to nothing or two letters (robustness round 62, at 40-50 columns; UX review: evidence on its own line)
_EVIDENCE_BELOW = 60
# columns: below this the reference pages (`cause`, `clues`, `labs`) print each entry as a block, its id on one
# line and what it says indented under it, where the table's text column had shrunk to a few letters a line and
# folded ids ("medullary_sponge_kidne / y"; robustness round 63)
_CAUSE_BLOCKS_BELOW = 110
_TEXT_COLUMN_AT_LEAST = 36
_BAR_WIDTH = 12
_BLOCKS = " ▏▎▍▌▋▊▉█"


_ASCII = str.maketrans({"█": "#", "▏": "", "▎": "", "▍": "", "▌": "", "▋": "", "▊": "", "▉": "", "─": "-",
                        "━": "-", "│": "|", "×": "x", "−": "-", "→": "->", "…": "...", "–": "-", "—": "-",
                        "•": "*", "≥": ">=", "≤": "<=", "µ": "u", "’": "'", "‘": "'", "“": '"', "”": '"'})


class _Lines:
    """Standard output for rich, line by line: no trailing spaces, and, where the output encoding cannot
    carry a character (an ASCII terminal or file), a plain-ASCII stand-in instead of an error."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.pending = ""
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "")
        self.ascii = encoding not in ("utf8", "utf16", "utf32")

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self._emit(line.rstrip() + "\n")
        return len(text)

    def _emit(self, text: str) -> None:
        if self.ascii:
            text = text.translate(_ASCII).encode("ascii", "replace").decode("ascii")
        self.stream.write(text)

    def flush(self) -> None:
        if self.pending:
            self._emit(self.pending.rstrip())
            self.pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    @property
    def encoding(self) -> str:
        return "utf-8"


def _width() -> int | None:
    """$COLUMNS when set (also in a pipe), the terminal's own width on a terminal; piped (``| less``) or
    redirected from a terminal session, the width of the terminal on standard error; else 120."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isascii() and columns.isdigit():  # narrower than 40 (0 too) is drawn at 40, the narrowest layout
        return max(40, int(columns))
    if os.isatty(1):
        return None
    try:
        return max(40, os.get_terminal_size(2).columns) if os.isatty(2) else 120
    except OSError:
        return 120


def _console() -> Console:
    stream: Any = _Lines(sys.stdout)  # a text stream for rich: write, flush, isatty, encoding
    return Console(file=stream, highlight=False, markup=False, emoji=False, width=_width(), soft_wrap=False,
                   force_terminal=None if os.isatty(1) else False)


def _bar(probability: float) -> str:
    eighths = round(probability * _BAR_WIDTH * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (_BLOCKS[rest] if rest else "")).ljust(_BAR_WIDTH)


def _entry_name(kb: KnowledgeBase, entry: Entry) -> str:
    cause = kb.causes.get(entry["cause"])
    if cause is not None:
        return cause.short_name
    return "Other cause (outside the knowledge base)" if entry["cause"] == "other" else entry["name"]


def _print_fit(console: Console, kb: KnowledgeBase, result: Result) -> None:
    """The fit statement: first, before the ranking, when the fit is poor (CONTRACT.md section 7)."""
    fit = result["fit"]
    def labels(clues: list[str]) -> list[str]:
        return [kb.clues[c].label if c in kb.clues else c for c in clues]

    contradictory = fit.get("contradictory")
    if contradictory:
        line = Text("Poor fit: the stated findings contradict each other: " + " and ".join(labels(contradictory))
                    + " (neither was counted)", style="bold red")
        if more := also_unexplained(fit):
            line.append("; also unexplained: " + ", ".join(labels(more)), style="red")
        if fit.get("absent"):
            line.append(lacks_clause(result, kb, _entry_name), style="red")
        console.print(line)
    elif fit["status"] == "poor":
        line = Text(f"Poor fit: {poor_fit_text(result)}", style="bold red")
        if fit["unexplained"] or fit.get("combination"):
            line.append(": " + ", ".join(labels(fit["unexplained"] or fit.get("combination", []))), style="red")
        if fit.get("absent"):
            line.append(lacks_clause(result, kb, _entry_name), style="red")
        console.print(line)
        lower = lower_clause(result, lambda c: in_text(kb.clues[c].label) if c in kb.clues else c,
                             lambda e: _entry_name(kb, e))
        if lower:
            console.print(Text(lower))
    if fit["consider"]:
        console.print(Text("Consider:", style="bold"))
        lines = []
        for item in fit["consider"]:
            line = Text(f"{item['name']} ({item['cause']})", style="bold")
            line.append(f": {item['why']}")
            lines.append(line)
        console.print(_bullets(lines, "•"))
        if not any(cause.extended for cause in kb.causes.values()):  # not when --extended already ranks its causes
            console.print(Text("  Run with --extended to rank these causes with the others.", style="dim"))


def _evidence_summary(kb: KnowledgeBase, entry: Entry, result: Result, limit: int = 3) -> Text:
    # the evidence Markdown shows too (views.strongest_evidence), coloured
    items = strongest_evidence(entry, limit)
    text = Text()
    for i, evidence in enumerate(items):
        if i:
            text.append(", ")
        label = evidence_label(kb, evidence)  # "... with X" for a ratio that counts only with another clue present
        weight = evidence["weight"]
        text.append(("+ " if weight > 0 else "− ") + label, style="green" if weight > 0 else "red")
        text.append(f" {lr_text(weight)}", style="dim")
    if not items:
        text.append(no_evidence_text(entry, result), style="dim")
    return text


def print_result(result: Result, kb: KnowledgeBase, *, rows: list[Entry] | None = None,
                 explain: bool = False, omitted: Omitted | None = None) -> None:
    """The differential as a table. ``rows``: the entries --top kept (then every one of them is shown);
    the can't-miss line still names every can't-miss cause of the whole result."""
    limited = rows is not None
    console = _console()
    if result["fit"]["status"] == "poor":
        _print_fit(console, kb, result)
    pattern = f"a {result['pattern']} pattern" if result["pattern"] else "a pattern not stated"
    title = f"Differential for {pattern}" + (f" — case {printable(result['id'])}" if result["id"] else "")
    facts = case_facts(result.get("case") or {})
    if facts:
        title += f"\n{facts}"
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    # fixed widths where the content is known: rich then measures only the evidence column
    table.add_column("#", justify="right", style="bold", width=2, no_wrap=True)
    bar = console.width >= _BAR_BELOW  # a narrow terminal drops the bar before the evidence
    below = console.width < _EVIDENCE_BELOW  # and, narrower still, puts the evidence under the cause
    # no min_width (rich applies it after fitting the table, and would crop the evidence); narrow, a
    # fixed width keeps the longest word of a cause's name (Hyperparathyroidism) whole
    if below:
        table.add_column("Cause and strongest evidence (× likelihood ratio)", ratio=1, overflow="fold")
    else:
        table.add_column("Cause", max_width=40, width=None if bar else 20, overflow="fold")
    table.add_column("", style="bold yellow", width=1, no_wrap=True)
    table.add_column("Prob.", justify="right", width=6, no_wrap=True)
    if bar:
        table.add_column("", width=_BAR_WIDTH, no_wrap=True)
    if not below:
        table.add_column("Strongest evidence (× likelihood ratio)", ratio=1)
    entries = rows if rows is not None else result["differential"]
    # causes below 0.1% (always listed in JSON) are named on one line under the table, unless --top or
    # --explain asks for them: the rows shown are a prefix of the ranking, so no rank is skipped (a
    # can't-miss cause among the rest is listed, with its rule-out test, on the can't-miss lines below)
    shown = [e for e in entries if limited or explain or e["probability"] >= 0.001 or e["rank"] <= 3]
    rest = [e for e in entries if e not in shown]
    for entry in shown:
        name = Text(_entry_name(kb, entry))
        if form := entry_form(kb, entry):
            name.append(f" ({form})", style="dim")
        if entry["mimic"]:
            name.append(" (mimic)", style="yellow")
        cells: list[Text | str] = [str(entry["rank"]), name, "!" if entry["cant_miss"] else "",
                                   percent(entry["probability"], entry["capped"])]
        if bar:
            cells.append(Text(_bar(entry["probability"]), style="cyan"))
        if below:  # the evidence on its own line, under the name
            name.append("\n")
            name.append_text(_evidence_summary(kb, entry, result))
            table.add_row(*cells)
        else:
            table.add_row(*cells, _evidence_summary(kb, entry, result))
    console.print(table)
    if (note := cap_note(kb, shown)) is not None:  # a ">" figure is a ceiling, not a floor
        console.print(Text(note, style="dim"))
    if rest:
        names = ", ".join(_entry_name(kb, e) for e in rest)
        console.print(Text(f"Also ranked, each below 0.1%: {names}.", style="dim"))
    if omitted:  # --top N: the rest is not shown, and the table says how much it holds
        left = omitted
        console.print(Text(f"{left['causes']} more cause{'s' if left['causes'] != 1 else ''} not shown (--top), "
                           f"together {percent(left['probability'], False)}.", style="dim"))
    if result["fit"]["status"] != "poor" and result["fit"]["unexplained"]:
        # a good fit may still leave one specific finding unexplained (CONTRACT.md section 7): say which
        console.print(Text("Not explained by the leading causes: "
                           + ", ".join(kb.clues[c].label if c in kb.clues else c for c in result["fit"]["unexplained"])
                           + ".", style="yellow"))
    if result["fit"]["status"] != "poor" and result["fit"]["consider"]:
        _print_fit(console, kb, result)
    if result["derived"]:
        if explain:
            console.print(Text("From the lab values", style="bold"))
            lab_steps = _hanging(3, 1)  # "  - " as the bullets below
            for step in result["derived"]:
                line = Text(step["text"])
                if not step["used"]:
                    line.append(f"  {not_used(step)}", style="yellow")
                line.append(f" [{', '.join(step['sources'])}]", style="dim")
                lab_steps.add_row("-", line)
            console.print(lab_steps)
        else:
            console.print(Text(f"From the lab values: {lab_reading(kb, result['derived'])} (--explain shows each "
                               "step)", style="dim"))
    if explain:
        _print_explanation(console, entries, result)
    for heading, notes, style in (("Warnings", result["warnings"], "red"), ("Caveats", result["caveats"], "yellow")):
        if notes:
            console.print(Text(heading, style=f"bold {style}"))
            console.print(_bullets([
                Text(printable(note["message"])).append(f" [{', '.join(note['sources'])}]" if note["sources"] else "",
                                             style="dim") for note in notes], "•"))
    following = work_up(result)
    proposed: set[str] = set()  # can't-miss causes whose rule-out test the line below already gives in full
    if following:
        hints = []
        for item in following[:3]:
            label = in_text(item["label"])
            if item.get("rule_out"):
                proposed.add(item.get("cant_miss", ""))
                label = (f"{item['rule_out']} ({rule_out_purpose(result, item.get('cant_miss', ''))} "
                         f"{cause_label(kb, item.get('cant_miss', ''))}")
                if item.get("triggered_by"):
                    # "given": a label may be plural (signs of papillary necrosis)
                    label += f", given {triggers_text(kb, item['triggered_by'])}"
                elif item.get("for_age_below") is not None:
                    label += f", as for every patient under {item['for_age_below']:g} years"
                label += ")"
            elif item["lab"] is not None and item["lab"] in kb.labs:
                lab = kb.labs[item["lab"]].label
                lab = lab[0].lower() + lab[1:] if lab[1:2].islower() else lab
                label += f" ({lab}: the value given did not settle it)" if item.get("lab_given") else f" ({lab})"
            elif item.get("test"):  # the test that looks for it (CT urography for tubular ectasia)
                label += f" ({item['test']})"
            hints.append(label)
        # in the first week of life the scan is repeated before anything is sent
        lead = f"To narrow this down, first {REPEAT_SCAN}; if they persist, check: " if repeat_scan_first(result) \
            else "To narrow this down, check: "
        # numbered: a rule-out test may itself hold semicolons (robustness round 77: where one check ended and the
        # next began could not be told)
        numbered = "; ".join(f"({number}) {hint}" for number, hint in enumerate(hints, 1)) if len(hints) > 1 \
            else hints[0]
        console.print(Text(lead + numbered + ".", style="bold"))
    cant_miss = [e for e in result["differential"] if e["cant_miss"] and e["rank"] > 1]
    # always, even under --top: from 0.1% with the test that rules each out; below, named on one line
    shown = [e for e in cant_miss if e["probability"] >= 0.001 or e["capped"]]
    faint = [e for e in cant_miss if e not in shown]
    if shown:
        console.print(Text("! Can't miss (missing it would harm):", style="yellow"))
        items = []
        for entry in shown:
            cause = kb.causes.get(entry["cause"])
            test = "" if cause is None or cause.rule_out is None else "; rule out: the test above" \
                if entry["cause"] in proposed else f"; rule out: {cause.rule_out.test}"  # said once, not twice
            described = f"{_entry_name(kb, entry)} {percent(entry['probability'], entry['capped'])}{test}"
            items.append(Text(described, style="yellow"))
        console.print(_bullets(items, "-"))
    if faint:
        # a long list of causes each below 0.1% reads as an alarm (UX review 13: 15 under --extended): the first
        # five (by probability) are named, and the rest counted
        faint_names = [_entry_name(kb, e) for e in faint]
        listed = ", ".join(faint_names) if len(faint_names) <= 6 else \
            ", ".join(faint_names[:5]) + f" and {len(faint_names) - 5} more"
        console.print(Text(("! Also can't miss" if shown else "! Can't miss (missing it would harm)")
                           + ", each below 0.1%: " + listed
                           # (with --extended when an extended cause is among them: the command fails without it,
                           # robustness round 77)
                           + " (nephrocalc cause ID"
                           + (" --extended" if any(c is not None and c.extended for c in
                                                   (kb.causes.get(e["cause"]) for e in faint)) else "")
                           + " gives the rule-out test).", style="yellow"))
    console.print(Text(f"{NOTICE} Knowledge base: {printable(rules_label(result))}.", style="dim italic"))


def _hanging(lead: int, gap: int) -> Table:
    """Rows of a lead (a signed weight, a dash) right-aligned in ``lead`` columns and, ``gap`` columns on, a text
    whose wrapped lines hang under the text: the explanation's steps."""
    grid = Table.grid(padding=(0, gap, 0, 0))
    grid.add_column(width=lead, no_wrap=True, justify="right")
    grid.add_column(ratio=1)
    return grid


def _bullets(items: list[Text], mark: str) -> Table:
    """A bulleted list whose wrapped lines hang under the text, not under the bullet."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, no_wrap=True, justify="right")
    grid.add_column(ratio=1)
    for item in items:
        grid.add_row(mark, item)
    return grid


def _print_explanation(console: Console, entries: list[Entry], result: Result) -> None:
    console.print(Text("How each score was reached (weights are natural logs of likelihood ratios)",
                       style="bold"))
    # a clue that a lab value gave weighs as the same clue stated; the line says which lab it came from
    from_lab: dict[tuple[str, bool], str] = {}
    for step in result["derived"]:
        if step.get("used") and step.get("clue"):
            from_lab.setdefault((step["clue"], step["present"]), step["lab"])
    for entry in entries:
        header = Text(f"{entry['rank']}. {entry['name']}", style="bold")
        header.append(f"  score {entry['score']:.2f} = ln prior {entry['log_prior']:.2f} "
                      f"(prior {percent(entry['prior'])}) + the weights below", style="dim")
        console.print(header)
        evidence_items = [*entry["supporting"], *entry["conflicting"]]
        # the weight in its own column, the reason wrapping under the reason (robustness round 73: wrapped lines
        # began at column 0, and the weights were lost among them)
        steps = _hanging(9, 2)  # "    +2.94  " as before, the text at column 11
        for factor in entry["context"]:
            # "forms other forms" read as a slip (UX review 13): the term of a cause's other forms is named once
            named = factor["value"] if factor["factor"] == "forms" else f"{factor['factor']} {factor['value']}"
            steps.add_row(Text(f"{factor['weight']:+.2f}"), Text(f"{named}: {factor['why']}"))
        for evidence in evidence_items:
            line = Text(f"{evidence['clue']}={'yes' if evidence['present'] else 'no'}")
            if (lab := from_lab.get((evidence["clue"], evidence["present"]))) is not None:
                line.append(f" (from {lab})", style="cyan")
            line.append(f": {evidence['why']}")
            line.append(f" [{', '.join(evidence['sources'])}]", style="dim")
            steps.add_row(Text(f"{evidence['weight']:+.2f}", style="green" if evidence["weight"] > 0 else "red"), line)
        if not evidence_items:
            steps.add_row("", Text("no stated clue bears on this cause", style="dim"))
        console.print(steps)


def print_progress(result: Result, kb: KnowledgeBase) -> None:
    """One line on stderr: the top of the differential after an answer."""
    console = Console(stderr=True, highlight=False, markup=False, emoji=False)
    top = result["differential"][:3]
    line = Text("  now: ", style="dim")
    line.append(" · ".join(f"{_entry_name(kb, e)} {percent(e['probability'], e['capped'])}" for e in top))
    console.print(line)


def ask_question(label: str, description: str) -> str:
    from rich.prompt import Prompt

    console = Console(stderr=True, highlight=False, markup=False, emoji=False)
    prompt = Text(f"{label}?", style="bold")
    prompt.append(f" {description}", style="dim")
    answer = Prompt.ask(prompt, console=console,
                        choices=["y", "n", "u", "q"], default="u")
    return answer


def _share(value: float) -> str:
    """A prior as a percentage, a non-zero one below 0.05% as "<0.1%" as the ranking writes it (robustness round 77:
    "0.0%" for a prior of 0.04%)."""
    return "<0.1%" if 0.0 < value < 0.0005 else f"{value:.1%}"


def print_causes(kb: KnowledgeBase) -> None:
    """The causes, grouped: the twelve of the seed notes, then the extended knowledge base (--extended)
    and any rule pack's, with mimics marked."""
    console = _console()
    groups = [("the twelve causes", [c for c in kb.causes.values() if not c.extended and not c.path.startswith(
        tuple(p.path for p in kb.packs[1:] if p.path))]),
              ("extended knowledge base (--extended)", [c for c in kb.causes.values() if c.extended]),
              ("rule packs", [c for c in kb.causes.values() if not c.extended and c.path.startswith(
                  tuple(p.path for p in kb.packs[1:] if p.path))])]
    prior = kb.loaded_priors
    rescaled = any(abs(prior[c.id][group] - c.prior[group]) > 5e-4 for c in kb.causes.values() for group in prior[c.id])
    packs = ", ".join(f"{p.name} {p.version}" for p in kb.packs[1:] if p.path and not p.path.endswith("extended"))
    for title, causes in groups:
        if not causes:
            continue
        if title == "rule packs" and packs:  # named as a result names them (robustness round 83)
            title = f"rule packs ({packs})"
        table = Table(title=f"{kb.name} {kb.version}: {title}", box=box.SIMPLE_HEAD, title_justify="left",
                      pad_edge=False)
        # the id (what a user types) heads its own cell and is never cut: the name and pattern wrap under
        # it, and the numbers are short, so the table reads at 80 columns
        table.add_column("Cause\n(id, name, pattern)", overflow="fold")
        table.add_column("Prior\nadult", justify="right", no_wrap=True)
        table.add_column("\nchild", justify="right", no_wrap=True)
        table.add_column("\npreterm", justify="right", no_wrap=True)
        counts = console.width >= 70  # narrower: the clue counts go first (`nephrocalc cause ID` has them)
        if counts:
            table.add_column("\nClues", justify="right", no_wrap=True)
        rows: list[tuple[str, Text]] = []
        for cause in sorted(causes, key=lambda c: (c.distribution != "medullary", -c.prior["adult"], c.id)):
            findings = len({clue for form in cause.forms for clue in form.findings})
            cell = Text(cause.id, style="bold")
            cell.append(f"\n{cause.name}")
            if cause.mimic:
                cell.append(" (mimic)", style="yellow")
            cell.append(f"\n{cause.distribution}", style="dim")
            if cause.cant_miss:
                cell.append(" · can't miss", style="yellow")
            shown = prior[cause.id]
            row: list[Text | str] = [cell, _share(shown['adult']), _share(shown['child']), _share(shown['preterm'])]
            table.add_row(*row, *([str(findings)] if counts else []))
            body = Text(cause.name + (" (mimic)" if cause.mimic else "") + f"; {cause.distribution}" +
                        ("; can't miss" if cause.cant_miss else ""))
            body.append(f"\nprior: adult {_share(shown['adult'])}, child {_share(shown['child'])}, "
                        f"preterm {_share(shown['preterm'])}", style="dim")
            rows.append((cause.id, body))
        if counts:
            console.print(table)
        else:  # narrower: one block per cause, its id whole on its own line (robustness round 63: ids folded)
            console.print(Text(f"{kb.name} {kb.version}: {title}", style="italic"))
            _blocks(console, rows)
            console.print()
    console.print(Text("Priors are P(cause | nephrocalcinosis) by age group, before the pattern and clues"
                       + (", rescaled so that the loaded causes' priors sum to 100% as a ranking uses them (the "
                          "added causes' files give theirs against nephrocalcinosis overall)" if rescaled else "")
                       + "; "
                       "Clues counts the findings a cause lists. See `nephrocalc cause ID` for them and "
                       "their sources. A mimic imitates nephrocalcinosis, or a cause of it, without being one.",
                       style="dim"))


def _with_dim(text: str, dim: str) -> Text:
    out = Text(text)
    out.append(f"\n{dim}", style="dim")
    return out


def _finding_row(kb: KnowledgeBase, finding: Finding) -> tuple[Text, str, str, str, Text]:
    label = kb.clues[finding.clue].label
    if finding.given is not None:
        label += f" with {finding.given}"
    level = finding.frequency.replace("_", " ") if finding.frequency else "explicit LR"
    if finding.age_bounded:
        level += f" ({finding.age_text()})"
    if finding.sex is not None:
        level += f" ({finding.sex_text()})"
    note = finding.note + (" [estimate]" if finding.estimate else "")
    if finding.age_bounded:  # its ratios are worked out against its age band's background: the By-age table's
        return (_with_dim(finding.clue, label), level, "by age", "by age", _with_dim(note, ", ".join(finding.sources)))
    return (_with_dim(finding.clue, label), level, f"{finding.lr_present:.3g}", f"{finding.lr_absent:.3g}",
            _with_dim(note, ", ".join(finding.sources)))


def _longest_id(findings: Any) -> int:
    return max((len(finding.clue) for finding in findings), default=10)


def _findings_table(title: str | None, columns: tuple[str, ...], id_width: int) -> Table:
    """A wide terminal's findings table: the clue id is never cut, the short columns keep their words whole,
    and the note takes the rest of the width."""
    table = Table(title=title, box=box.SIMPLE_HEAD if title else box.SIMPLE, title_justify="left",
                  show_header=bool(title), pad_edge=bool(title))
    clue, level, present, absent, note = columns
    table.add_column(clue, min_width=id_width, no_wrap=True)
    table.add_column(level, max_width=18)
    table.add_column(present, no_wrap=True, justify="right")
    table.add_column(absent, no_wrap=True, justify="right")
    table.add_column(note, ratio=1, overflow="fold")
    return table


def _blocks(console: Console, rows: list[tuple[str, Text]]) -> None:
    """A narrow terminal's reference list: each id (what a user types) on its own line, never cut, and what
    it means indented under it with the whole width to wrap in."""
    for ident, body in rows:
        console.print(Text(ident, style="bold"), overflow="ignore", crop=False)
        console.print(Padding(body, (0, 0, 0, 4)))


def _finding_blocks(console: Console, rows: list[tuple[Text, str, str, str, Text]]) -> None:
    """A narrow terminal's findings: the clue id and its name on one line, the frequency and ratios on the next,
    then the note, indented, each with the whole width to wrap in."""
    for clue, level, present, absent, note in rows:
        head = Text("  ")
        head.append_text(Text(clue.plain.replace("\n", "  ", 1)))
        head.stylize("bold", 2, 2 + len(clue.plain.split("\n", 1)[0]))
        console.print(head)
        console.print(Padding(Text(f"{level}; LR present {present}, LR absent {absent}"), (0, 0, 0, 4)))
        if note.plain:
            console.print(Padding(note, (0, 0, 0, 4)))


def print_cause(kb: KnowledgeBase, cause_id: str) -> None:
    cause: Cause = kb.causes[cause_id]
    console = _console()
    console.print(Text(f"{cause.name}  ({cause.id}, {cause.distribution})", style="bold"))
    console.print(cause.summary)
    console.print(Text("Mechanism: ", style="bold").append(Text(cause.mechanism, style="default")))
    if cause.cant_miss:
        console.print(Text("Can't miss: ", style="bold yellow").append(Text(cause.cant_miss_reason, style="default")))
    if cause.rule_out is not None:
        console.print(Text("Rule-out test: ", style="bold").append(
            f"{rule_out_text(kb, cause)} [{', '.join(cause.rule_out.sources)}]"))
    # among the knowledge base's causes: a ranking first sets aside the open world's share (robustness round 65: the
    # page said "of all nephrocalcinosis" and --explain showed a smaller prior)
    loaded = kb.loaded_priors[cause.id]
    written = ("" if all(abs(loaded[group] - cause.prior[group]) <= 5e-4 for group in loaded) else
               f" (its rule file gives adult {_share(cause.prior['adult'])}, child {_share(cause.prior['child'])}, "
               f"preterm/neonate {_share(cause.prior['preterm'])}, rescaled with the other loaded causes)")
    console.print(Text("Prior (share among the knowledge base's causes; a ranking first sets aside the share of "
                       "causes outside it, see nephrocalc method): ", style="bold").append(
        f"adult {_share(loaded['adult'])}, child {_share(loaded['child'])}, preterm/neonate "
        f"{_share(loaded['preterm'])}{written}. {cause.prior_note} [{', '.join(cause.prior_sources)}]"))
    console.print(Text("Pattern: ", style="bold").append(
        ", ".join(f"{p} {v:.1%}" for p, v in cause.patterns.items())
        + (f". {cause.patterns_note}" if cause.patterns_note else "")
        + (" [estimate]" if cause.patterns_estimate else "")))
    if cause.certainty is not None:
        until = certainty_until(kb, cause.certainty)
        console.print(Text("Certainty: ", style="bold").append(
            f"shown at most {cause.certainty.cap:.0%}{until}: {cause.certainty.note} "
            f"[{', '.join(cause.certainty.sources)}]"))
    blocks = console.width < _CAUSE_BLOCKS_BELOW
    if blocks:
        console.print(Text("Findings", style="italic"))
        _finding_blocks(console, [_finding_row(kb, finding) for finding in cause.findings])
    else:
        table = _findings_table("Findings", ("Clue", "Frequency", "LR present", "LR absent", "Note and sources"),
                                _longest_id(cause.findings))
        for finding in cause.findings:
            table.add_row(*_finding_row(kb, finding))
        console.print(table)
    if len(cause.forms) > 1:
        for form in cause.forms:
            shares = ", ".join(f"{g} {form.share[g]:.0%}" for g in ("adult", "child", "preterm"))
            console.print(Text(f"Form {form.id}: {form.name}", style="bold").append(
                Text(f"  (share: {shares}; female {form.female:.0%}; unilateral {form.unilateral:.0%})",
                     style="dim")))
            if form.own_findings and blocks:
                _finding_blocks(console, [_finding_row(kb, finding) for finding in form.own_findings])
            elif form.own_findings:
                sub = _findings_table(None, ("", "", "", "", ""), _longest_id(form.own_findings))
                for finding in form.own_findings:
                    sub.add_row(*_finding_row(kb, finding))
                console.print(sub)
    age_title = ("By age: the entries in force at some ages (a cause's own, or worked out against the "
                 "background of an age band)")
    by_age = Table(title=age_title, box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("Clue", "Form", "Frequency", "LR present", "LR absent"):
        by_age.add_column(column, no_wrap=column == "Clue")
    age_rows: list[tuple[Text, str, str, str, Text]] = []
    shown: set[tuple[str, str, float | None, float | None]] = set()
    for form in cause.forms:
        for finding in form.age_findings:
            key = (finding.clue, form.id if len(cause.forms) > 1 else "", finding.age_at_least, finding.age_below)
            if key in shown:
                continue
            shown.add(key)
            level = (finding.frequency.replace("_", " ") if finding.frequency else "explicit LR") + \
                f" ({finding.age_text()})"
            by_age.add_row(_with_dim(finding.clue, kb.clues[finding.clue].label), key[1], level,
                           f"{finding.lr_present:.3g}", f"{finding.lr_absent:.3g}")
            age_rows.append((_with_dim(finding.clue, kb.clues[finding.clue].label),
                             level + (f", form {key[1]}" if key[1] else ""),
                             f"{finding.lr_present:.3g}", f"{finding.lr_absent:.3g}", Text("")))
    if shown and blocks:
        console.print(Text(age_title, style="italic"))
        _finding_blocks(console, age_rows)
    elif shown:
        console.print(by_age)
    console.print(Text("Sources (every tag this page cites)", style="bold"))
    for tag in cited_tags(cause):
        source = kb.sources[tag]
        console.print(f"  [{tag}] {source.citation} — {source.url}", markup=False)
    bounded = any(f.age_bounded for f in (*cause.findings, *(f for form in cause.forms for f in form.own_findings)))
    console.print(Text("LR present/absent: likelihood ratio when the finding is stated present/absent"
                       + (" ('by age': worked out for each age band, in the By-age table)" if bounded else "") + "; "
                       "frequency words (the share of patients with the cause who have the finding): "
                       # (it read "always = almost 95%, usually = usually 80%": robustness round 63)
                       + ", ".join(f"{k.replace('_', ' ')} ≈ {kb.frequency[k]:.0%}" for k in kb.frequency),
                       style="dim"))


def print_clues(kb: KnowledgeBase, only: Sequence[str] | None = None) -> None:
    """Every clue (or those of ``only``): its flag (what a user types: never cut), then what it means and the causes
    that use it. Two columns, so the table reads at 80 columns; ids wrap between words, never inside one."""
    console = _console()
    users = clue_users(kb)
    conditions = clue_conditions(kb)
    blocks = console.width < max((len(item.flag) for item in kb.clues.values()), default=10) + 3 + \
        _TEXT_COLUMN_AT_LEAST
    for group_id, title in kb.groups.items():
        table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
        table.add_column("Flag (--no-… for absent)", style="bold", no_wrap=True)
        table.add_column("Meaning; specificity; used by", overflow="fold")
        rows: list[tuple[str, Text]] = []
        for item in kb.clues.values():
            if item.group == group_id and (only is None or item.id in only):
                meaning = Text(item.description)
                meaning.append(f"\n{item.specificity} specificity", style="dim")
                if item.age_backgrounds:
                    bands = ", ".join(f"{value:.0%} at {low:g}-{high - 1:g}" if high is not None
                                      else f"{value:.0%} from {low:g}" for low, high, value in item.age_backgrounds)
                    meaning.append(f" (background in adults without a cause that lists it: {bands} years; "
                                   f"{item.background:.0%} with the age unknown)", style="dim")
                elif abs(item.background - kb.specificity.get(item.specificity, item.background)) > 1e-9:
                    meaning.append(f" ({item.background:.0%} background without a cause that lists it)", style="dim")
                if item.child_background is not None:
                    meaning.append(f" ({item.child_background:.0%} of other children with NC have it)", style="dim")
                for given in item.given_backgrounds:
                    condition = kb.clues[given.given].flag if given.given in kb.clues else given.given
                    unless = "".join(f", not with {kb.clues[other].flag if other in kb.clues else other}"
                                     for other in given.unless)
                    meaning.append(f" ({given.value:.0%} in other causes with {condition}{unless}: {given.note})",
                                   style="dim")
                if (masked := item.absent_masked_by) is not None:
                    condition = kb.clues[masked.given].flag if masked.given in kb.clues else masked.given
                    meaning.append(f" (absent says less with {condition}: {masked.note})", style="dim")
                used_by = users.get(item.id, [])
                if used_by:
                    meaning.append(f"\nused by: {', '.join(used_by)}", style="dim")
                elif item.id in conditions:  # listed by no cause, but it sets how common another finding is
                    flags = ", ".join(kb.clues[other].flag for other in conditions[item.id])
                    meaning.append(f"\nused by no cause; sets the background of {flags}", style="dim")
                else:
                    meaning.append("\nused by no cause", style="red")
                # what it means by definition and how it is looked for (robustness round 76: shown in JSON only)
                if item.implies:
                    implied = ", ".join(kb.clues[c].flag if c in kb.clues else c for c in item.implies)
                    meaning.append(f"\nimplies: {implied}", style="dim")
                if item.test:
                    meaning.append(f"\nlooked for by: {item.test}", style="dim")
                table.add_row(item.flag, meaning)
                rows.append((item.flag, meaning))
        if not rows:  # a group none of whose clues was asked for
            continue
        if blocks:
            console.print(Text(title, style="italic"))
            console.print(Text("flag (--no-… for absent); meaning; specificity; used by", style="dim"))
            _blocks(console, rows)
            console.print()
        else:
            console.print(table)


def print_labs(kb: KnowledgeBase) -> None:
    """Every lab: its id (never cut) and name, the units accepted, and the limits that give a clue."""
    console = _console()
    table = Table(title="Lab values", box=box.SIMPLE_HEAD, title_justify="left",
                  show_lines=True, pad_edge=False)
    # a fixed width of the longest id: rich's shrinking of a too-wide table would cut one
    table.add_column("Lab: id, name, canonical unit", width=max((len(i) for i in kb.labs), default=10))
    table.add_column("Accepted units", overflow="fold")
    table.add_column("Reference limit → clue", overflow="fold")
    rows: list[tuple[str, Text]] = []
    for lab in labs_view(kb):
        limits = []
        for limit in lab["limits"]:
            side = f"> {limit['above']:g}" if limit["above"] is not None else f"< {limit['below']:g}"
            # a limit that applies only with (or without) other findings says so: the preterm infant's neonatal
            # calcium limit, the PTH read with the calcium (a clinician's review: `labs` hid the limit in force)
            who = limit["ages"] + (f", {limit['sex']}" if limit["sex"] else "") + "".join(
                f", {'with' if value else 'no'} {clue}" for clue, value in limit["requires"].items()) + "".join(
                f", {'stated' if value else 'stated no'} {clue}" for clue, value in limit["requires_stated"].items()
            ) + "".join(f", unless {clue if value else 'no ' + clue}" for clue, value in limit["unless"].items())
            also = "".join(f" with {other} {'>' if 'above' in b else '<'} {b.get('above', b.get('below')):g}"
                           for other, b in limit["present_requires_lab"].items())
            # a reading that derives nothing (vitamin D deficiency) is named, not shown as giving its clue
            # where a value stops being read as absent: the grey zone between derives nothing (robustness round 77:
            # the page hid the 25 grey zones and said every value within a limit documents the clue absent)
            bound = limit["absent_at_most"] if limit["above"] is not None else limit["absent_at_least"]
            grey = (f"; {bound:g}-{limit['above']:g} grey" if limit["above"] is not None else
                    f"; {limit['below']:g}-{bound:g} grey") if bound is not None and limit["derives"] else ""
            limits.append(f"{side} {limit['unit']}{also} ({who}) → {limit['clue']}{grey}" if limit["derives"] else
                          f"{side} {limit['unit']}{also} ({who}): {limit['label'] or 'noted'}, derives nothing")
        if lab["clues"]:
            limits.append(f"gives: {', '.join(lab['clues'])}")
        if lab.get("flags"):
            limits.append("flag without a value: " + "; ".join(
                f"{state} → {', '.join(clues)}" + (" absent" if state == "normal" else "")
                for state, clues in lab["flags"].items()))
        units = ", ".join(lab["converted"]) + (f"; judged on their own: {', '.join(lab['own_units'])}"
                                                if lab["own_units"] else "")
        cell = Text(lab["id"], style="bold")
        cell.append(f"\n{lab['label']}")
        cell.append(f"\nin {lab['canonical']}", style="dim")
        table.add_row(cell, units, "\n".join(limits))
        body = Text(f"{lab['label']}, in {lab['canonical']}\n")
        body.append(f"accepted units: {units}", style="dim")
        body.append("\n" + "\n".join(limits) if limits else "")
        rows.append((lab["id"], body))
    if console.width < max((len(i) for i in kb.labs), default=10) + 3 + 2 * _TEXT_COLUMN_AT_LEAST:
        console.print(Text("Lab values", style="italic"))
        console.print(Text("id; name, canonical unit; accepted units; reference limit → clue", style="dim"))
        _blocks(console, rows)
    else:
        console.print(table)
    console.print(Text("A value within its limit documents the clue as absent, except in a grey zone (\"10-10.5 "
                       "grey\": between the limit and the value still read as normal), which derives nothing. Give a "
                       "lab as --lab ID=VALUE UNIT "
                       "or in the case's \"labs\"; `nephrocalc labs --format json` lists every limit with its "
                       "sources.", style="dim"))


def print_reference_table(kb: KnowledgeBase, name: str) -> None:
    reference = kb.tables[name]
    console = _console()
    table = Table(title=reference.title, box=box.SIMPLE_HEAD, title_justify="left", show_lines=True)
    for column in reference.columns:
        table.add_column(column)
    for row in reference.rows:
        table.add_row(*row)
    console.print(table)
    if reference.note:
        console.print(reference.note, markup=False)
    console.print(Text("Sources: " + "; ".join(f"[{t}] {kb.sources[t].url}" for t in reference.sources),
                       style="dim"))


def print_method(kb: KnowledgeBase) -> None:
    from nephrocalc.render.method import method_text

    console = _console()
    # the page's prose paragraphs (two-space indent) wrapped once, at the terminal's width, keeping their indent; the
    # headings and the deeper-indented formulas and tables as written (robustness round 77: lines wrapped at about 96
    # columns were wrapped again by an 80-column terminal, leaving orphans at column 0)
    console.print(_reflowed(method_text(kb), console.width), markup=False, soft_wrap=True)


def _reflowed(text: str, width: int) -> str:
    import textwrap

    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.extend(textwrap.wrap(" ".join(paragraph), width=max(width, 40), initial_indent="  ",
                                     subsequent_indent="  ", break_long_words=False, break_on_hyphens=False))
            paragraph.clear()

    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("   ") and line.strip():
            paragraph.append(line.strip())
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out)
