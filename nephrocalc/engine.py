"""The scoring engine: a validated ``Case`` and a ``KnowledgeBase`` in, a ``Result`` out. Pure.

For each cause c (rules/knowledge_base.toml and ``nephrocalc method`` say the same in words)::

    score(c) = ln prior(c | age group)
             + ln [P(pattern | c) / P(pattern)]
             + ln sum over forms f of c:  share(f) * exp( w_sex(f) + w_laterality(f) + sum of clue weights(f) )

where a clue's weight is the natural log of its likelihood ratio: LR(present) for a clue stated
true, LR(absent) for a clue stated false, and 0 for a clue the case does not mention (unknown is
never a penalty). Probabilities are the scores normalised over all causes (a softmax), so no
cause is ever dropped. The evidence listed for a cause is that of its best-fitting form.

Everything that does not depend on the case is compiled once into a ``ScoringTable``, so ranking
a case is a handful of dictionary look-ups and additions per cause.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from nephrocalc.case import PATTERNS, Case, check_clues
from nephrocalc.knowledge import AGE_GROUPS, AgeGroup, Cause, Condition, Finding, Form, KnowledgeBase
from nephrocalc.result import Entry, Evidence, Factor, Note, Result

AGE_KEYS = (*AGE_GROUPS, "unknown")
_NEG_INF = float("-inf")

FREQUENCY_WORDS = {
    "always": "almost always present",
    "usually": "usually present",
    "often": "often present",
    "sometimes": "sometimes present",
    "rarely": "rarely present",
    "almost_never": "almost never present",
}


@dataclass(frozen=True, slots=True)
class _Weight:
    value: float  # natural log of the likelihood ratio
    why: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _FormRow:
    form_id: str | None  # None for a cause without named forms
    log_share: Mapping[str, float]  # by age key, conditional on the cause
    sex: Mapping[str, _Weight]
    laterality: Mapping[str, _Weight]
    present: Mapping[str, _Weight]  # clue -> weight when stated true (only non-zero)
    absent: Mapping[str, _Weight]  # clue -> weight when stated false (only non-zero)


@dataclass(frozen=True, slots=True)
class _CauseRow:
    cause: Cause
    log_prior: Mapping[str, float]  # by age key, normalised over causes
    prior: Mapping[str, float]
    pattern: Mapping[str, _Weight]  # by pattern
    forms: tuple[_FormRow, ...]
    # pattern -> clue -> weight replacing the present weight (interactions)
    interactions: Mapping[str, Mapping[str, _Weight]]


@dataclass(frozen=True, slots=True)
class ScoringTable:
    rows: tuple[_CauseRow, ...]

    @classmethod
    def build(cls, kb: KnowledgeBase) -> ScoringTable:
        causes = list(kb.causes.values())
        mix = kb.ages.unknown_mix
        raw_prior: dict[str, dict[str, float]] = {}
        for cause in causes:
            by_age: dict[str, float] = {group: cause.prior[group] for group in AGE_GROUPS}
            by_age["unknown"] = sum(mix[group] * cause.prior[group] for group in AGE_GROUPS)
            raw_prior[cause.id] = by_age
        totals = {age: sum(raw_prior[c.id][age] for c in causes) for age in AGE_KEYS}
        prior = {c.id: {age: raw_prior[c.id][age] / totals[age] for age in AGE_KEYS} for c in causes}
        # P(pattern) under the adult-and-child mixture: a constant that makes pattern weights readable
        marginal = {p: sum(prior[c.id]["unknown"] * c.patterns[p] for c in causes) for p in PATTERNS}

        rows = []
        for cause in causes:
            pattern: dict[str, _Weight] = {
                p: _Weight(math.log(cause.patterns[p] / marginal[p]),
                           f"{cause.patterns[p]:.1%} of {cause.short_name} shows a {p} pattern"
                           + (f" ({cause.patterns_note})" if cause.patterns_note else ""),
                           cause.patterns_sources)
                for p in PATTERNS
            }
            forms = tuple(_form_row(kb, cause, form, raw_prior[cause.id], mix) for form in cause.forms)
            interactions: dict[str, dict[str, _Weight]] = {}
            for item in kb.interactions:
                if item.distribution == cause.distribution:
                    interactions.setdefault(item.pattern, {})[item.clue] = _Weight(
                        math.log(item.lr_present), f"with a {item.pattern} pattern, {item.note}", item.sources)
            rows.append(_CauseRow(
                cause=cause,
                log_prior={age: math.log(prior[cause.id][age]) for age in AGE_KEYS},
                prior=prior[cause.id], pattern=pattern, forms=forms, interactions=interactions))
        return cls(tuple(rows))


def _form_row(kb: KnowledgeBase, cause: Cause, form: Form, raw_prior: Mapping[str, float],
              mix: Mapping[AgeGroup, float]) -> _FormRow:
    share: dict[str, float] = {group: form.share[group] for group in AGE_GROUPS}  # plus "unknown" below
    # with no age, a form's share follows the age mix weighted by the cause's prior at each age
    weighted = sum(mix[g] * raw_prior[g] for g in AGE_GROUPS)
    share["unknown"] = sum(mix[g] * raw_prior[g] * form.share[g] for g in AGE_GROUPS) / weighted
    log_share = {age: (math.log(value) if value > 0 else _NEG_INF) for age, value in share.items()}
    named = len(cause.forms) > 1 or form.id != "typical"
    where = form.name if named else cause.short_name
    own = {f.clue for f in form.own_findings}
    present: dict[str, _Weight] = {}
    absent: dict[str, _Weight] = {}
    for clue_id, finding in form.findings.items():
        label = kb.clues[clue_id].label
        place = form.name if clue_id in own and named else cause.short_name
        if finding.lr_present != 1.0:
            present[clue_id] = _Weight(math.log(finding.lr_present), _why(label, finding, place, True), finding.sources)
        if finding.lr_absent != 1.0:
            absent[clue_id] = _Weight(math.log(finding.lr_absent), _why(label, finding, place, False), finding.sources)
    sex = {
        "female": _Weight(math.log(form.female / 0.5) if form.female > 0 else -20.0,
                          f"{form.female:.0%} of {where} are female", cause.sources),
        "male": _Weight(math.log((1 - form.female) / 0.5) if form.female < 1 else -20.0,
                        f"{1 - form.female:.0%} of {where} are male", cause.sources),
    }
    default = kb.default_unilateral
    laterality = {
        "unilateral": _Weight(math.log(form.unilateral / default),
                              f"about {form.unilateral:.0%} of {where} is unilateral", cause.sources),
        "bilateral": _Weight(math.log((1 - form.unilateral) / (1 - default)),
                             f"about {1 - form.unilateral:.0%} of {where} is bilateral", cause.sources),
    }
    return _FormRow(form.id if named else None, log_share, sex, laterality, present, absent)


def _why(label: str, finding: Finding, place: str, present: bool) -> str:
    if finding.frequency is None:
        lr = finding.lr_present if present else finding.lr_absent
        text = f"{label} {'present' if present else 'absent'}: likelihood ratio {lr:.3g} for {place}"
    elif present:
        text = f"{label} is {FREQUENCY_WORDS[finding.frequency]} in {place}"
    else:
        text = f"{label} absent, though it is {FREQUENCY_WORDS[finding.frequency]} in {place}"
    if finding.note:
        text += f" ({finding.note})"
    if finding.estimate:
        text += " [estimate]"
    return text


def age_key(case: Case, kb: KnowledgeBase) -> str:
    """Which prior column applies: preterm, child, adult, or unknown (a mix)."""
    preterm = case.clues.get("preterm_infant")
    age = case.age_years
    if preterm is True and (age is None or age < 1):
        return "preterm"
    if age is None:
        return "unknown"
    if age < kb.ages.preterm_below_years and preterm is not False:
        return "preterm"
    return "child" if age < kb.ages.child_below_years else "adult"


class Engine:
    """Ranks cases against one knowledge base. Build once, call ``rank`` for each case."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.table = ScoringTable.build(kb)
        self._kb_label = f"{kb.name} {kb.version}"

    def rank(self, case: Case) -> Result:
        check_clues(case, self.kb)
        scored = self._score(case)
        total = max(s[0] for s in scored)
        exps = [math.exp(s[0] - total) for s in scored]
        norm = sum(exps)
        age = age_key(case, self.kb)
        order = sorted(range(len(scored)), key=lambda i: (-scored[i][0], -self.table.rows[i].prior[age],
                                                          self.table.rows[i].cause.id))
        probabilities = _rounded_probabilities([exps[i] / norm for i in order])
        entries = []
        for rank, (i, probability) in enumerate(zip(order, probabilities, strict=True), start=1):
            row = self.table.rows[i]
            score, best = scored[i]
            supporting, conflicting, context = self._evidence(case, row, best)
            entries.append(Entry(
                rank=rank, cause=row.cause.id, name=row.cause.name, distribution=row.cause.distribution,
                score=round(score, 3), probability=probability, prior=round(row.prior[age], 4),
                form=row.forms[best].form_id, cant_miss=row.cause.cant_miss,
                supporting=supporting, conflicting=conflicting, context=context))
        caveats, warnings = self._notes(case, entries)
        return Result(id=case.id, pattern=case.pattern, differential=tuple(entries), caveats=caveats,
                      warnings=warnings, knowledge_base=self._kb_label)

    def _score(self, case: Case) -> list[tuple[float, int]]:
        age = age_key(case, self.kb)
        clues = case.clues
        out = []
        for row in self.table.rows:
            interactions = row.interactions.get(case.pattern, {})
            parts: list[float] = []
            for form in row.forms:
                s = form.log_share[age]
                if s == _NEG_INF:
                    parts.append(s)
                    continue
                if case.sex is not None:
                    s += form.sex[case.sex].value
                if case.laterality is not None:
                    s += form.laterality[case.laterality].value
                for clue_id, value in clues.items():
                    if value:
                        weight = interactions.get(clue_id) or form.present.get(clue_id)
                    else:
                        weight = form.absent.get(clue_id)
                    if weight is not None:
                        s += weight.value
                parts.append(s)
            best = max(range(len(parts)), key=parts.__getitem__)
            top = parts[best]
            log_likelihood = top + math.log(sum(math.exp(p - top) for p in parts if p != _NEG_INF))
            out.append((row.log_prior[age] + row.pattern[case.pattern].value + log_likelihood, best))
        return out

    def _evidence(self, case: Case, row: _CauseRow, best: int
                  ) -> tuple[tuple[Evidence, ...], tuple[Evidence, ...], tuple[Factor, ...]]:
        form = row.forms[best]
        interactions = row.interactions.get(case.pattern, {})
        supporting: list[Evidence] = []
        conflicting: list[Evidence] = []
        for clue_id in sorted(case.clues):
            value = case.clues[clue_id]
            weight = (interactions.get(clue_id) or form.present.get(clue_id)) if value else form.absent.get(clue_id)
            if weight is None:
                continue
            item = Evidence(clue_id, value, round(weight.value, 2), weight.why, weight.sources)
            (supporting if weight.value > 0 else conflicting).append(item)
        supporting.sort(key=lambda e: -e.weight)
        conflicting.sort(key=lambda e: e.weight)
        context = [Factor("pattern", case.pattern, round(row.pattern[case.pattern].value, 2),
                          row.pattern[case.pattern].why)]
        if form.form_id is not None:
            age = age_key(case, self.kb)
            share = math.exp(form.log_share[age])
            context.append(Factor("form", form.form_id, round(form.log_share[age], 2),
                                  f"{share:.0%} of {row.cause.short_name} at this age is this form; "
                                  "the other forms add the rest of the score"))
        if case.sex is not None and abs(form.sex[case.sex].value) > 1e-9:
            w = form.sex[case.sex]
            context.append(Factor("sex", case.sex, round(w.value, 2), w.why))
        if case.laterality is not None and abs(form.laterality[case.laterality].value) > 1e-9:
            w = form.laterality[case.laterality]
            context.append(Factor("laterality", case.laterality, round(w.value, 2), w.why))
        return tuple(supporting), tuple(conflicting), tuple(context)

    def _notes(self, case: Case, entries: list[Entry]) -> tuple[tuple[Note, ...], tuple[Note, ...]]:
        ranking = [entry.cause for entry in entries]
        caveats: list[Note] = []
        warnings: list[Note] = []
        for caveat in self.kb.caveats:
            if _holds(caveat.when, case, ranking):
                (warnings if caveat.kind == "warning" else caveats).append(
                    Note(caveat.id, caveat.message, caveat.sources))
        unused = sorted(clue for clue in case.clues if clue not in self.kb.used_clues)
        if unused:
            warnings.append(Note("clues_not_used", "No cause of the knowledge base uses "
                                 + ", ".join(unused) + "; it did not change the ranking."))
        if case.labs:
            warnings.append(Note("labs_not_interpreted", "Lab values are not interpreted yet: "
                                 + ", ".join(sorted(case.labs)) + " did not change the ranking; "
                                 "give the corresponding clues instead."))
        return tuple(caveats), tuple(warnings)


def _holds(cond: Condition, case: Case, ranking: list[str]) -> bool:
    clues = case.clues
    checks = (
        cond.pattern is None or case.pattern in cond.pattern,
        cond.modality is None or case.modality in cond.modality,
        cond.grade is None or case.grade in cond.grade,
        cond.laterality is None or case.laterality == cond.laterality,
        cond.sex is None or case.sex == cond.sex,
        cond.age_below is None or (case.age_years is not None and case.age_years < cond.age_below),
        cond.age_at_least is None or (case.age_years is not None and case.age_years >= cond.age_at_least),
        all(clues.get(c) is True for c in cond.present),
        all(clues.get(c) is False for c in cond.absent),
        all(c not in clues for c in cond.unknown),
        not cond.any_present or any(clues.get(c) is True for c in cond.any_present),
        not cond.leading or ranking[0] in cond.leading,
        not cond.in_top3 or any(c in cond.in_top3 for c in ranking[:3]),
    )
    return all(checks)


def _rounded_probabilities(values: list[float]) -> list[float]:
    """Round to 6 decimals, keeping the sum at exactly 1 (the remainder goes to the largest)."""
    rounded = [round(v, 6) for v in values]
    if rounded:
        top = max(range(len(rounded)), key=rounded.__getitem__)
        rounded[top] = round(rounded[top] + (1.0 - sum(rounded)), 6)
        if abs(sum(rounded) - 1.0) > 1e-9:
            rounded[top] += 1.0 - sum(rounded)
    return rounded


def rank(case: Case, kb: KnowledgeBase) -> Result:
    """Rank one case (builds the scoring table; use ``Engine`` for many cases)."""
    return Engine(kb).rank(case)
