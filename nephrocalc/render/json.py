"""JSON renderers: the result and the knowledge base as data. No rich, no colour, ever."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nephrocalc.knowledge import Cause, Finding, GivenBackground, KnowledgeBase
from nephrocalc.render.views import cited_tags, rule_out_text
from nephrocalc.result import Result


def _given(spec: GivenBackground) -> dict[str, Any]:
    """A clue's background with another clue stated present, as `clues --format json` shows it."""
    return {"given": spec.given, "value": spec.value, "note": spec.note, "sources": list(spec.sources),
            "estimate": spec.estimate, **({"unless": list(spec.unless)} if spec.unless else {}),
            **({"counts_absent": False} if not spec.counts_absent else {})}

def dumps(data: Any, *, indent: bool = False) -> str:
    """JSON text of ``data``, by orjson, as batch writes its lines: one serialiser whatever else is loaded, so that
    a command writes the same bytes with and without the cache (pydantic-core, loaded when rules are compiled,
    and the standard library spell 4.5e-05 differently) and a batch line is the `diff -f jsonl` line of its
    case. NaN and infinity never reach here (the engine's numbers are finite)."""
    import orjson

    text = orjson.dumps(data, option=orjson.OPT_INDENT_2 if indent else 0).decode()
    # U+2028, U+2029 and U+0085 as escapes: a reader that splits lines on them (str.splitlines) would cut a JSON
    # Lines record in two
    if "\u2028" in text or "\u2029" in text or "\x85" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")
    return text


def result_json(result: Result, *, indent: bool = False) -> str:
    return dumps(result, indent=indent)


def _finding(finding: Finding) -> dict[str, Any]:
    item = {"clue": finding.clue, "frequency": finding.frequency, "p_present": finding.p_present,
            "lr_present": round(finding.lr_present, 4), "lr_absent": round(finding.lr_absent, 4),
            "note": finding.note, "estimate": finding.estimate, "sources": list(finding.sources)}
    if finding.age_bounded:
        item["age_at_least"] = finding.age_at_least
        item["age_below"] = finding.age_below
    if finding.given is not None:
        item["given"] = finding.given
    if finding.sex is not None:
        item["sex"] = finding.sex
    return item


def cause_dict(kb: KnowledgeBase, cause: Cause) -> dict[str, Any]:
    return {
        "id": cause.id, "name": cause.name, "short_name": cause.short_name, "distribution": cause.distribution,
        "cant_miss": cause.cant_miss, "cant_miss_reason": cause.cant_miss_reason,
        "kind": "mimic" if cause.mimic else "cause", "tells_apart": cause.tells_apart, "extended": cause.extended,
        "summary": cause.summary,
        "mechanism": cause.mechanism, "prior": dict(cause.prior),
        # as a ranking uses it: rescaled so that the loaded causes' priors sum to 1 (a pack or --extended adds causes)
        "prior_loaded": {group: round(value, 6) for group, value in kb.loaded_priors[cause.id].items()},
        "prior_note": cause.prior_note,
        "patterns": dict(cause.patterns),
        **({"rule_out": {"test": cause.rule_out.test, "clue": cause.rule_out.clue, "lab": cause.rule_out.lab,
                         "when_present": list(cause.rule_out.when_present), "first": cause.rule_out.first,
                         "below_age": cause.rule_out.below_age, "absent_settles": cause.rule_out.absent_settles,
                         "text": rule_out_text(kb, cause), "sources": list(cause.rule_out.sources)}}
           if cause.rule_out is not None else {}),
        **({"certainty": {"cap": cause.certainty.cap, "unless": cause.certainty.unless, "note": cause.certainty.note,
                          "sources": list(cause.certainty.sources),
                          **({"also_unless": list(cause.certainty.also_unless)} if cause.certainty.also_unless
                             else {})}}
           if cause.certainty is not None else {}),
        "findings": [_finding(f) for f in cause.findings],
        "forms": [{"id": form.id, "name": form.name, "share": dict(form.share), "female": form.female,
                   "unilateral": form.unilateral, "findings": [_finding(f) for f in form.own_findings],
                   "age_findings": [_finding(f) for f in form.age_findings]}
                  for form in cause.forms],
        "sources": [{"tag": tag, "citation": kb.sources[tag].citation, "url": kb.sources[tag].url}
                    for tag in cause.sources],
        # every tag the cause's findings, forms, prior and cap cite, resolved (robustness round 64)
        "cited": [{"tag": tag, "citation": kb.sources[tag].citation, "url": kb.sources[tag].url}
                  for tag in cited_tags(cause) if tag in kb.sources],
    }


def causes_json(kb: KnowledgeBase) -> str:
    # the packs it was read with, as a result names them (robustness round 83)
    return dumps({"knowledge_base": {"name": kb.name, "version": kb.version},
                  "rules": [{"name": p.name, "version": p.version, "path": p.path} for p in kb.packs],
                  "causes": [cause_dict(kb, cause) for cause in kb.causes.values()]}, indent=True)


def cause_json(kb: KnowledgeBase, cause_id: str) -> str:
    return dumps(cause_dict(kb, kb.causes[cause_id]), indent=True)


def clues_json(kb: KnowledgeBase, only: Sequence[str] | None = None) -> str:
    """Every clue, or those of ``only`` in its order."""
    from nephrocalc.render.views import clue_conditions, clue_users

    users = clue_users(kb)
    conditions = clue_conditions(kb)
    chosen = [kb.clues[clue_id] for clue_id in only] if only is not None else list(kb.clues.values())
    return dumps({"clues": [
        {"id": clue.id, "flag": clue.flag, "label": clue.label, "description": clue.description,
         "group": clue.group, "specificity": clue.specificity, "background": clue.background,
         **({"age_backgrounds": [{"at_least": low, "below": high, "value": value}
                                 for low, high, value in clue.age_backgrounds]} if clue.age_backgrounds else {}),
         "used_by": users.get(clue.id, []),
         **({"sets_background_of": conditions[clue.id]} if clue.id in conditions else {}),
         **({"defining": False} if not clue.defining else {}),
         "hpo": list(clue.hpo), **({"hpo_exact": list(clue.hpo_exact)} if clue.hpo_exact else {}),
         **({"hpo_note": clue.hpo_note} if clue.hpo_note else {}),
         **({"snomed": list(clue.snomed)} if clue.snomed else {}),
         **({"icd10cm": list(clue.icd10cm)} if clue.icd10cm else {}),
         **({"agents": list(clue.agents)} if clue.agents else {}),
         **({"atc": list(clue.atc)} if clue.atc else {}),
         **({"implies": list(clue.implies)} if clue.implies else {}),
         **({"test": clue.test} if clue.test else {}),
         **({"child_background": clue.child_background} if clue.child_background is not None else {}),
         # every given background, and the first alone under its earlier key (scripts read it)
         **({"given_background": _given(clue.given_backgrounds[0]),
             "given_backgrounds": [_given(spec) for spec in clue.given_backgrounds]}
            if clue.given_backgrounds else {}),
         **({"absent_masked_by": {"given": clue.absent_masked_by.given, "value": clue.absent_masked_by.value,
                                  "note": clue.absent_masked_by.note, "sources": list(clue.absent_masked_by.sources),
                                  "estimate": clue.absent_masked_by.estimate}}
            if clue.absent_masked_by is not None else {})}
        for clue in chosen]}, indent=True)


def labs_json(kb: KnowledgeBase) -> str:
    from nephrocalc.render.views import labs_view

    return dumps({"labs": labs_view(kb)}, indent=True)
