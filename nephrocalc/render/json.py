"""JSON renderers: the result and the knowledge base as data. No rich, no colour, ever."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json

from nephrocalc.knowledge import Cause, Finding, KnowledgeBase
from nephrocalc.result import Result


def dumps(data: Any, *, indent: bool = False) -> str:
    """JSON text of ``data``. pydantic-core's serialiser, already loaded for the case, rather than orjson,
    whose import (with the json module it pulls in) costs a one-result command about 2 ms of its start;
    batch, where throughput counts, keeps orjson. NaN and infinity never reach here (the engine's
    numbers are finite), and both write floats in their shortest round-trip form."""
    return to_json(data, indent=2 if indent else None).decode()


def result_json(result: Result, *, indent: bool = False) -> str:
    return dumps(result, indent=indent)


def _finding(finding: Finding) -> dict[str, Any]:
    item = {"clue": finding.clue, "frequency": finding.frequency, "p_present": finding.p_present,
            "lr_present": round(finding.lr_present, 4), "lr_absent": round(finding.lr_absent, 4),
            "note": finding.note, "estimate": finding.estimate, "sources": list(finding.sources)}
    if finding.age_bounded:
        item["age_at_least"] = finding.age_at_least
        item["age_below"] = finding.age_below
    return item


def cause_dict(kb: KnowledgeBase, cause: Cause) -> dict[str, Any]:
    return {
        "id": cause.id, "name": cause.name, "short_name": cause.short_name, "distribution": cause.distribution,
        "cant_miss": cause.cant_miss, "cant_miss_reason": cause.cant_miss_reason,
        "kind": "mimic" if cause.mimic else "cause", "tells_apart": cause.tells_apart, "extended": cause.extended,
        "summary": cause.summary,
        "mechanism": cause.mechanism, "prior": dict(cause.prior), "prior_note": cause.prior_note,
        "patterns": dict(cause.patterns),
        "findings": [_finding(f) for f in cause.findings],
        "forms": [{"id": form.id, "name": form.name, "share": dict(form.share), "female": form.female,
                   "unilateral": form.unilateral, "findings": [_finding(f) for f in form.own_findings]}
                  for form in cause.forms],
        "sources": [{"tag": tag, "citation": kb.sources[tag].citation, "url": kb.sources[tag].url}
                    for tag in cause.sources],
    }


def causes_json(kb: KnowledgeBase) -> str:
    return dumps({"knowledge_base": {"name": kb.name, "version": kb.version},
                  "causes": [cause_dict(kb, cause) for cause in kb.causes.values()]}, indent=True)


def cause_json(kb: KnowledgeBase, cause_id: str) -> str:
    return dumps(cause_dict(kb, kb.causes[cause_id]), indent=True)


def clues_json(kb: KnowledgeBase) -> str:
    from nephrocalc.render.views import clue_users

    users = clue_users(kb)
    return dumps({"clues": [
        {"id": clue.id, "flag": clue.flag, "label": clue.label, "description": clue.description,
         "group": clue.group, "specificity": clue.specificity, "used_by": users.get(clue.id, []),
         "hpo": list(clue.hpo), **({"hpo_note": clue.hpo_note} if clue.hpo_note else {})}
        for clue in kb.clues.values()]}, indent=True)


def labs_json(kb: KnowledgeBase) -> str:
    from nephrocalc.render.views import labs_view

    return dumps({"labs": labs_view(kb)}, indent=True)
