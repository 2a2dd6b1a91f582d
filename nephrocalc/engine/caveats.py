"""Caveats and warnings: their conditions compiled to set operations, and an index that lets a case
evaluate only the few caveats it could trigger."""

from collections.abc import Sequence
from typing import Any, NamedTuple

from nephrocalc.case import Case
from nephrocalc.knowledge import Caveat
from nephrocalc.result import Note


class CaveatCheck(NamedTuple):
    present: frozenset[str]
    absent: frozenset[str]
    any_present: frozenset[str]
    unknown: frozenset[str]
    pattern: frozenset[str] | None
    modality: frozenset[str] | None
    grade: frozenset[int] | None
    laterality: str | None
    sex: str | None
    age_below: float | None
    age_at_least: float | None
    leading: frozenset[str]
    in_top3: frozenset[str]
    not_present: frozenset[str]
    kind: str  # caveat, warning or consider
    note: Note
    caveat: Caveat

    @classmethod
    def compile(cls, caveat: Caveat) -> "CaveatCheck":
        c = caveat.when

        def optional(values: Sequence[Any] | None) -> frozenset[Any] | None:
            return None if values is None else frozenset(values)

        return cls(frozenset(c.present), frozenset(c.absent), frozenset(c.any_present), frozenset(c.unknown),
                   optional(c.pattern), optional(c.modality), optional(c.grade), c.laterality, c.sex,
                   c.age_below, c.age_at_least, frozenset(c.leading), frozenset(c.in_top3),
                   frozenset(c.not_present), caveat.kind,
                   {"id": caveat.id, "message": caveat.message, "sources": list(caveat.sources)}, caveat)

    def holds(self, case: Case, true: set[str], false: set[str], ranking: list[str]) -> bool:
        if self.present and not self.present <= true:
            return False
        if self.any_present and self.any_present.isdisjoint(true):
            return False
        if self.absent and not self.absent <= false:
            return False
        if self.pattern is not None and case.pattern not in self.pattern:
            return False
        if self.modality is not None and case.modality not in self.modality:
            return False
        if self.grade is not None and case.grade not in self.grade:
            return False
        if self.laterality is not None and case.laterality != self.laterality:
            return False
        if self.sex is not None and case.sex != self.sex:
            return False
        # a cause to consider is weighed at the age the nephrocalcinosis was found, as the causes are; a
        # caveat or warning speaks of the patient now (a neonatal kidney's echogenicity)
        age = case.cause_age if self.kind == "consider" else case.age_years
        if self.age_below is not None and (age is None or age >= self.age_below):
            return False
        if self.age_at_least is not None and (age is None or age < self.age_at_least):
            return False
        if self.unknown and not self.unknown.isdisjoint(case.clues):
            return False
        if self.not_present and not self.not_present.isdisjoint(true):
            return False
        if self.leading and ranking[0] not in self.leading:
            return False
        return not self.in_top3 or not self.in_top3.isdisjoint(ranking[:3])


class CaveatIndex:
    """Every caveat of a knowledge base, indexed under one condition it cannot hold without (a stated
    clue, the pattern, the modality...)."""

    def __init__(self, caveats: Sequence[Caveat]) -> None:
        self.checks = tuple(CaveatCheck.compile(caveat) for caveat in caveats)
        self.index: dict[str, dict[Any, list[int]]] = {
            name: {} for name in ("present", "absent", "pattern", "modality", "grade", "laterality", "sex",
                                  "age_below", "top3")}
        self.always: list[int] = []
        for position, check in enumerate(self.checks):
            keys = _trigger_keys(check)
            if not keys:
                self.always.append(position)
            for name, value in keys:
                self.index[name].setdefault(value, []).append(position)

    def notes(self, case: Case, ranking: list[str]) -> tuple[list[Note], list[Note], list[Caveat]]:
        """The caveats, the warnings and the rules that bear on the fit (the causes to consider, and the
        caveats marked ``poor_fit``) that hold for ``case`` (lab clues merged) and its ranking."""
        caveats: list[Note] = []
        warnings: list[Note] = []
        consider: list[Caveat] = []
        true = {clue for clue, value in case.clues.items() if value}
        false = {clue for clue, value in case.clues.items() if not value}
        index = self.index
        candidates: list[int] = list(self.always)
        for name, value in (("pattern", case.pattern), ("modality", case.modality), ("grade", case.grade),
                            ("laterality", case.laterality), ("sex", case.sex)):
            found = index[name].get(value)
            if found:
                candidates += found
        age = case.age_years if case.onset_age_years is None else min(case.age_years or 0.0, case.onset_age_years)
        if case.age_years is not None or case.onset_age_years is not None:
            for bound, found in index["age_below"].items():  # a few young-age bounds
                if age < bound:
                    candidates += found
        top3 = index["top3"]
        for cause in ranking[:3]:
            found = top3.get(cause)
            if found:
                candidates += found
        present, absent = index["present"], index["absent"]
        for clue in true:
            found = present.get(clue)
            if found:
                candidates += found
        for clue in false:
            found = absent.get(clue)
            if found:
                candidates += found
        checks = self.checks
        for position in sorted(set(candidates)):
            check = checks[position]
            if check.present and not check.present <= true:  # most candidates fail here: skip the call
                continue
            if check.holds(case, true, false, ranking):
                if check.kind == "consider":
                    consider.append(check.caveat)
                else:
                    (warnings if check.kind == "warning" else caveats).append(check.note)
                    if check.caveat.poor_fit:  # a caveat that makes the fit poor goes to the fit as well
                        consider.append(check.caveat)
        return caveats, warnings, consider


def _trigger_keys(check: CaveatCheck) -> list[tuple[str, Any]]:
    """Index keys of one necessary condition of a caveat (any of them present -> evaluate it), the most
    selective first: a stated clue, then the modality, grade, laterality or sex, then a young age bound
    or a cause among the first three, and the pattern last (nine cases in ten are medullary)."""
    if check.present:
        return [("present", min(check.present))]
    if check.absent:
        return [("absent", min(check.absent))]
    if check.any_present:
        return [("present", clue) for clue in sorted(check.any_present)]
    for name in ("modality", "grade"):
        values = getattr(check, name)
        if values is not None:
            return [(name, value) for value in sorted(values)]
    for name in ("laterality", "sex"):
        value = getattr(check, name)
        if value is not None:
            return [(name, value)]
    if check.age_below is not None and check.age_below <= 2:
        return [("age_below", check.age_below)]
    if check.in_top3 or check.leading:  # a leading cause is among the first three too
        return [("top3", cause) for cause in sorted(check.in_top3 | check.leading)]
    if check.pattern is not None:
        return [("pattern", value) for value in sorted(check.pattern)]
    return []
