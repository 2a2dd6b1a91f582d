"""Small helpers shared by the tests (plain functions, not fixtures).

Results are handled as the JSON data of CONTRACT.md section 4 (the shape `diff --format json`
prints), whatever Python type the engine returns them as.
"""

from __future__ import annotations

from typing import Any


def as_data(result: Any) -> dict[str, Any]:
    """The JSON-ready data of a result (``Engine.rank`` returns it directly, or via ``to_dict()``)."""
    data: dict[str, Any] = result.to_dict() if hasattr(result, "to_dict") else result
    return data


def ranking(result: dict[str, Any]) -> list[str]:
    """The cause ids of a result, best first."""
    return [entry["cause"] for entry in result["differential"]]


def entry(result: dict[str, Any], cause: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in result["differential"] if e["cause"] == cause)
    return found


def probability(result: dict[str, Any], cause: str) -> float:
    return float(entry(result, cause)["probability"])


def score(result: dict[str, Any], cause: str) -> float:
    return float(entry(result, cause)["score"])


def note_ids(notes: list[dict[str, Any]]) -> list[str]:
    return [note["id"] for note in notes]
