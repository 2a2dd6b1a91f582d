"""The result of one differential (CONTRACT.md section 4), as plain immutable data.

``Result.to_dict()`` is the JSON output; ``nephrocalc schema result`` prints its JSON Schema,
which pydantic derives from these dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NOTICE = "Decision support for clinicians, not a diagnosis."


@dataclass(frozen=True, slots=True)
class Evidence:
    """One stated clue and what it did to one cause: weight is the natural log of its likelihood ratio."""

    clue: str
    present: bool
    weight: float
    why: str
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"clue": self.clue, "present": self.present, "weight": self.weight, "why": self.why,
                "sources": list(self.sources)}


@dataclass(frozen=True, slots=True)
class Factor:
    """Pattern, sex or laterality and what it did to one cause (natural log of its likelihood ratio)."""

    factor: str
    value: str
    weight: float
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "value": self.value, "weight": self.weight, "why": self.why}


@dataclass(frozen=True, slots=True)
class Entry:
    """One cause in the ranked differential."""

    rank: int
    cause: str
    name: str
    distribution: str
    score: float
    probability: float
    prior: float
    form: str | None
    cant_miss: bool
    supporting: tuple[Evidence, ...]
    conflicting: tuple[Evidence, ...]
    context: tuple[Factor, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "cause": self.cause, "name": self.name, "distribution": self.distribution,
            "score": self.score, "probability": self.probability, "prior": self.prior, "form": self.form,
            "cant_miss": self.cant_miss,
            "supporting": [e.to_dict() for e in self.supporting],
            "conflicting": [e.to_dict() for e in self.conflicting],
            "context": [f.to_dict() for f in self.context],
        }


@dataclass(frozen=True, slots=True)
class Note:
    """A caveat (clinical) or a warning (about the input)."""

    id: str
    message: str
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "message": self.message, "sources": list(self.sources)}


@dataclass(frozen=True, slots=True)
class Result:
    id: str | None
    pattern: str
    differential: tuple[Entry, ...]
    caveats: tuple[Note, ...]
    warnings: tuple[Note, ...]
    knowledge_base: str
    notice: str = NOTICE

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pattern": self.pattern,
            "differential": [entry.to_dict() for entry in self.differential],
            "caveats": [note.to_dict() for note in self.caveats],
            "warnings": [note.to_dict() for note in self.warnings],
            "knowledge_base": self.knowledge_base,
            "notice": self.notice,
        }
