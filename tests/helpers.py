"""Small helpers shared by the tests (plain functions, not fixtures)."""

from __future__ import annotations

from nephrocalc.result import Result


def ranking(result: Result) -> list[str]:
    """The cause ids of a result, best first."""
    return [entry.cause for entry in result.differential]


def probability(result: Result, cause: str) -> float:
    return next(entry.probability for entry in result.differential if entry.cause == cause)


def score(result: Result, cause: str) -> float:
    return next(entry.score for entry in result.differential if entry.cause == cause)
