"""The case-conference report: one self-contained HTML page (`--format html`).

No network request, script, web font or image: the CSS is inline, the bars are inline SVG, and a print
stylesheet fits A4 and Letter. Built with the standard library (every string escaped with
``html.escape``); it shows what the engine computed and computes no model number itself.
"""

from __future__ import annotations

import math
from datetime import date
from html import escape as _escape_html
from typing import Any

from nephrocalc.knowledge import KnowledgeBase
from nephrocalc.render.views import (
    REPEAT_SCAN,
    also_unexplained,
    cap_note,
    case_facts,
    cause_label,
    display_name,
    distinctive,
    evidence_label,
    labs_entered,
    lacks_clause,
    lower_clause,
    no_evidence_text,
    not_used,
    percent,
    poor_fit_text,
    printable,
    repeat_scan_first,
    rule_out_purpose,
    triggers_text,
    work_up,
)
from nephrocalc.result import NOTICE, Entry, Evidence
from nephrocalc.vocab import in_text


def escape(text: str, quote: bool = True) -> str:
    """Text for the page: control and bidi characters shown as U+FFFD (a NUL is a parse error, an unclosed
    right-to-left override reorders the rest of a heading), then HTML-escaped."""
    return _escape_html(printable(text), quote)


_CSS = """
:root{--ink:#1a1a1a;--muted:#5b5b5b;--line:#d9d9d9;--bar:#2f6f9f;--warn:#9a3412;--good:#166534;--bad:#991b1b}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:var(--ink);max-width:60rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem;margin:.2rem 0}
h2{font-size:1.1rem;margin:1.4rem 0 .4rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
.muted{color:var(--muted)}.summary{font-size:1.05rem;background:#f4f7fa;border-left:4px solid var(--bar);
padding:.6rem .8rem}.poor{border-left:4px solid var(--warn);background:#fff7ed;padding:.6rem .8rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .4rem;
border-bottom:1px solid var(--line)}th{font-size:.85rem;color:var(--muted)}td.p{white-space:nowrap;text-align:right}
.for{color:var(--good)}.against{color:var(--bad)}.tag{font-size:.8rem;color:var(--muted)}svg{display:block}
.cantmiss{color:var(--warn);font-weight:600}ul{margin:.3rem 0;padding-left:1.2rem}a{color:var(--bar)}
@media (max-width:40rem){td.ev{display:block}body{padding:.5rem}}
@media print{@page{margin:14mm}body{max-width:none;font-size:10.5pt}a{color:inherit;text-decoration:none}
a[href]:after{content:" (" attr(href) ")";font-size:8pt;color:var(--muted)}tr,li{break-inside:avoid}
h2{break-after:avoid}}
"""


def _lr(weight: float) -> str:
    ratio = math.exp(weight)
    return f"×{ratio:.2g}" if ratio < 10 else f"×{ratio:.0f}"


def _label(kb: KnowledgeBase, clue: str) -> str:
    return kb.clues[clue].label if clue in kb.clues else clue


def _cause_name(kb: KnowledgeBase, entry: Entry) -> str:
    return display_name(kb, entry)


def _bar(probability: float) -> str:
    width = max(0.0, min(1.0, probability)) * 100
    return (f'<svg width="120" height="12" viewBox="0 0 100 10" role="img" aria-label="{probability:.1%}">'
            f'<rect width="100" height="10" fill="#eef2f6"/><rect width="{width:.1f}" height="10" '
            f'fill="var(--bar)"/></svg>')


def _evidence(kb: KnowledgeBase, items: list[Evidence], css: str) -> str:
    """The terms that tell causes apart, named as the table names them: a term a cause gets only because the finding
    follows from another stated one (given) is every unlisting cause's alike, and is left to --explain as the table
    leaves it (robustness round 65: "Alport syndrome + Hypokalaemia ×10" beside a metabolic alkalosis)."""
    items = distinctive(items)
    if not items:
        return ""
    parts = []
    for item in items:
        label = evidence_label(kb, item)
        parts.append(f'<span class="{css}" title="{escape(item["why"])}">{"+" if css == "for" else "−"} '
                     f"{escape(label)} {_lr(item['weight'])}</span>")
    return ", ".join(parts)


def _no_evidence(entry: Entry, result: Any) -> str:
    return f"<span class=muted>{escape(no_evidence_text(entry, result))}</span>"


def _cited(result: Any) -> list[str]:
    tags: list[str] = []
    for entry in result["differential"]:
        for item in (*entry["supporting"], *entry["conflicting"]):
            tags += item["sources"]
    for note in (*result["caveats"], *result["warnings"]):
        tags += note["sources"]
    for step in result["derived"]:
        tags += step["sources"]
    return list(dict.fromkeys(tags))


def summary_line(result: Any, kb: KnowledgeBase) -> str:
    """'Most likely X (its strongest findings); not yet excluded: Y. Check Z.' from the result's fields."""
    entries = result["differential"]
    top = entries[0]
    # one reason per finding: a finding's own term and its term with another clue are one finding here
    by_clue: dict[str, Evidence] = {}
    for item in distinctive(top["supporting"]):
        by_clue.setdefault(item["clue"], item)
    reasons = [in_text(evidence_label(kb, e)) for e in list(by_clue.values())[:3]]
    text = f"Most likely {_cause_name(kb, top)}"
    if reasons:
        text += f" ({', '.join(reasons)})"  # labels in a sentence keep their acronyms (PTH, not pth)
    open_cant_miss = [e for e in entries[1:] if e["cant_miss"] and e["probability"] >= 0.001]
    if open_cant_miss:
        text += "; not yet excluded: " + ", ".join(_cause_name(kb, e) for e in open_cant_miss[:3])
    # PTH-independent hypercalcaemia in an adult is malignancy until shown otherwise (the caveat's first words): the
    # one-line summary says so too, not the figure alone (a clinician's review, round 66: milk-alkali >99.9%)
    age = (result.get("case") or {}).get("age_years")
    named = {top["cause"], *(e["cause"] for e in open_cant_miss[:3])}
    if any(c["id"] == "hypercalcemia_low_pth" for c in result["caveats"]) and (age is None or age >= 18) and \
            "hypercalcemia_of_malignancy" not in named:
        text += "; malignancy not yet excluded (PTHrP, protein electrophoresis, free light chains)"
    following = work_up(result)
    if following:
        first = following[0]
        check = first.get("rule_out") or in_text(first["label"])
        text += f". Check {check}"
    if repeat_scan_first(result):
        return f"First {REPEAT_SCAN}; if they persist: {in_text(text)}."
    return text + "."


def page(sections: list[str], title: str, kb: KnowledgeBase, cited: list[str]) -> str:
    packs = ", ".join(f"{p.name} {p.version}" + (f" (from {p.path})" if i == 0 and p.path not in ("", "built-in")
                                                  else "") for i, p in enumerate(kb.packs))
    sources = "".join(
        f'<li id="src-{escape(tag)}"><b>[{escape(tag)}]</b> {escape(kb.sources[tag].citation)}. '
        f'<a href="{escape(_href(kb.sources[tag].url))}">{escape(kb.sources[tag].url)}</a></li>'
        for tag in cited if tag in kb.sources)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<header><h1>{escape(title)}</h1><p class=\"muted\">{escape(NOTICE)}</p></header>"
            + "".join(sections)
            + f"<section><h2>Sources</h2><ol>{sources}</ol></section>"
            f'<footer><p class="muted">Knowledge base: {escape(packs)}. Report of {date.today().isoformat()}.'
            f"</p></footer></body></html>\n")


def _href(url: str) -> str:
    return "https://doi.org/" + url[4:] if url.startswith("doi:") else url


def failed_section(records: list[Any]) -> str:
    """The input lines of a batch that could not be read: line number, id when readable, and why."""
    rows = "".join(f"<li>line {int(r['line'])}{' (' + escape(str(r['id'])) + ')' if r.get('id') else ''}: "
                   f"{escape(str(r['error']))}</li>" for r in records)
    return f"<section><h2>Lines not read</h2><ul>{rows}</ul></section>"


def case_section(result: Any, kb: KnowledgeBase) -> str:
    """One case: entered findings, summary, fit, differential, can't-miss line, next findings, notes."""
    out: list[str] = []
    case = result.get("case") or {}
    out.append(f"<section><h2>Case{' ' + escape(str(result['id'])) if result['id'] else ''}</h2>")
    # as the table's subtitle says them (ages in years, months or days; the modality by name)
    facts = [f"pattern {result['pattern'] or 'not stated'}", *([told] if (told := case_facts(case)) else [])]
    clues = case.get("clues", {})
    if clues:
        facts.append("; ".join(("" if value else "no ") + in_text(_label(kb, clue)) for clue, value in clues.items()))
    out.append(f"<p>{escape(', '.join(facts))}</p>")
    if case.get("labs"):
        out.append("<p>Lab values: " + escape(labs_entered(case["labs"])) + "</p>")
    if result["derived"]:
        out.append("<ul>" + "".join(f"<li>{escape(step['text'])}"
                                    + ("" if step["used"] else f" <i>{escape(not_used(step))}</i>") + "</li>"
                                    for step in result["derived"]) + "</ul>")
    out.append(f'<p class="summary">{escape(summary_line(result, kb))}</p>')
    fit = result["fit"]
    contradictory = fit.get("contradictory")
    if contradictory:
        shown = " and ".join(_label(kb, c) for c in contradictory)
        more = ", ".join(_label(kb, c) for c in also_unexplained(fit))
        out.append(f'<div class="poor"><b>Poor fit:</b> the stated findings contradict each other: {escape(shown)} '
                   f"(neither was counted){'; also unexplained: ' + escape(more) if more else ''}"
                   f"{escape(lacks_clause(result, kb, _cause_name))}.</div>")
    elif fit["status"] == "poor":
        unexplained = ", ".join(_label(kb, c) for c in fit["unexplained"] or fit.get("combination", []))
        lacks = lacks_clause(result, kb, _cause_name)
        out.append(f'<div class="poor"><b>Poor fit:</b> {escape(poor_fit_text(result))}'
                   f"{': ' + escape(unexplained) if unexplained else ''}{escape(lacks)}.</div>")
        lower = lower_clause(result, lambda c: _label(kb, c), lambda e: _cause_name(kb, e))
        if lower:
            out.append(f"<p>{escape(lower)}.</p>")
    elif fit["unexplained"]:
        unexplained = ", ".join(_label(kb, c) for c in fit["unexplained"])
        out.append(f'<p class="muted">Fit: good. Not explained by the leading causes: {escape(unexplained)}.</p>')
    else:
        out.append('<p class="muted">Fit: good — the leading causes explain the stated findings.</p>')
    if fit["consider"]:
        out.append("<p>Consider also:</p><ul>" + "".join(
            f"<li><b>{escape(c['name'])}</b> ({escape(c['cause'])}): {escape(c['why'])}</li>"
            for c in fit["consider"]) + "</ul>")
    out.append('<table><thead><tr><th>#</th><th>Cause</th><th>Probability</th><th></th>'
               "<th>Evidence for and against (× likelihood ratio)</th></tr></thead><tbody>")
    for entry in result["differential"]:
        marks = (' <span class="cantmiss" title="can\'t-miss">!</span>' if entry["cant_miss"] else "") + \
            (' <span class="tag">mimic</span>' if entry.get("mimic") else "")
        evidence = " ".join(x for x in (_evidence(kb, entry["supporting"], "for"),
                                        _evidence(kb, entry["conflicting"], "against")) if x)
        shown = escape(percent(entry["probability"], entry["capped"]))
        out.append(f"<tr><td>{entry['rank']}</td><td>{escape(_cause_name(kb, entry))}{marks}</td>"
                   f'<td class="p">{shown}</td><td>{_bar(entry["probability"])}'
                   f'</td><td class="ev">{evidence or _no_evidence(entry, result)}'
                   "</td></tr>")
    out.append("</tbody></table>")
    if (note := cap_note(kb, result["differential"])) is not None:
        out.append(f'<p class="muted">{escape(note)}</p>')
    omitted = result.get("omitted")
    if omitted:  # --top N: the rest is not shown, and the page says how much it holds, as the table does
        out.append(f'<p class="muted">{omitted["causes"]} more cause{"s" if omitted["causes"] != 1 else ""} not '
                   f"shown (--top), together {escape(percent(omitted['probability'], False))}.</p>")
    # every can't-miss cause, those --top left out too (robustness round 62: the page said "none in this list")
    cant_miss = [*(e for e in result["differential"] if e["cant_miss"]), *((omitted or {}).get("cant_miss") or [])]
    lines = []
    for entry in cant_miss:
        cause = kb.causes.get(entry["cause"])
        if entry.get("rank") == 1:  # the leading cause is not one to rule out, as the table says (robustness round 65:
            # "rule out" an obstetric cortical necrosis at >99.9% on the very history its test asks for)
            lines.append(f"{_cause_name(kb, entry)} {percent(entry['probability'], entry['capped'])} "
                         "(the leading cause)")
            continue
        test = cause.rule_out.test if cause is not None and cause.rule_out is not None else "see its caveats"
        lines.append(f"{_cause_name(kb, entry)} {percent(entry['probability'], entry['capped'])} "
                     f"(rule out: {test})")
    out.append('<p class="cantmiss">Can\'t-miss: ' + (escape("; ".join(lines)) if lines else "none in this list")
               + "</p>")
    following = work_up(result)
    if following:
        # in the order a clinician would check them, which the bits alone do not give (robustness round 65: the
        # gains read 0.41, 0.10, 0.09, 0.07, 0.14 with nothing to say why)
        out.append("<h2>What would narrow it down</h2><p class=\"muted\">A can't-miss cause's rule-out test first, "
                   "then the first-line work-up before second-line tests; bits: how much the answer would narrow "
                   "the ranking.</p><ul>" + "".join(
            "<li>" + escape(item.get("rule_out") or item["label"])
            + (f" — lab: {escape(kb.labs[item['lab']].label)}" if item.get("lab") in kb.labs else
               f" — {escape(item['test'])}" if item.get("test") and not item.get("rule_out") else "")
            + (" (the value given did not settle it)" if item.get("lab_given") else "")
            + (f" ({rule_out_purpose(result, item['cant_miss'])} {escape(cause_label(kb, item['cant_miss']))})"
               if item.get("cant_miss") else "")
            + (" (given " + escape(triggers_text(kb, item["triggered_by"])) + ")"
               if item.get("triggered_by") else f" (as for every patient under {item['for_age_below']:g} years)"
               if item.get("for_age_below") is not None else "")
            # a rule-out test that would barely move the ranking is there for the harm of missing its cause, which
            # "0.00 bits" hid (a clinician's review, round 66)
            + (' <span class="tag">can\'t-miss rule-out</span></li>' if item.get("rule_out") and item["gain"] < 0.005
               else f' <span class="tag">{item["gain"]:.2f} bits</span></li>') for item in following[:6]) + "</ul>")
    for heading, notes in (("Warnings", result["warnings"]), ("Caveats", result["caveats"])):
        if notes:
            out.append(f"<h2>{heading}</h2><ul>" + "".join(
                f"<li>{escape(n['message'])}"
                + (f' <span class="tag">[{escape(", ".join(n["sources"]))}]</span>' if n["sources"] else "")
                + "</li>" for n in notes) + "</ul>")
    for name, given in (("imaging", case.get("modality") is not None), ("grading", case.get("grade") is not None)):
        table = kb.tables.get(name)
        if given and table is not None:
            head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
            rows = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows)
            out.append(f"<h2>{escape(table.title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}"
                       "</tbody></table>")
    out.append("</section>")
    return "".join(out)


def result_html(result: Any, kb: KnowledgeBase) -> str:
    """One case as a self-contained page."""
    return page([case_section(result, kb)], f"nephrocalc report — case {result['id'] or ''}".rstrip(" —"),
                kb, _cited(result))
