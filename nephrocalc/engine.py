"""The scoring engine: a validated ``Case`` and a ``KnowledgeBase`` in, a ``Result`` out. Pure.

For each cause c (rules/knowledge_base.toml and ``nephrocalc method`` say the same in words)::

    score(c) = ln prior(c | age group)
             + ln [P(pattern | c) / P(pattern)]
             + ln sum over forms f of c:  share(f) * exp( w_sex(f) + w_laterality(f) + sum of clue weights(f) )

where a clue's weight is the natural log of its likelihood ratio: LR(present) for a clue stated
true, LR(absent) for a clue stated false, and 0 for a clue the case does not mention (unknown is
never a penalty). Probabilities are the scores normalised over all causes (a softmax), so no
cause is ever dropped. The evidence listed for a cause is that of its best-fitting form.

Everything that does not depend on the case is compiled once into a ``ScoringTable``: one row per
(cause, form), a vector of weights over the rows for every (clue, stated value), and the evidence
items ready-made. Ranking a case is then a few vector additions and look-ups, which is what
makes ``batch`` fast. The dictionaries in a ``Result`` share these ready-made items: treat a
result as read-only.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from operator import add, itemgetter
from typing import Any, NamedTuple

from nephrocalc.case import PATTERNS, Case, check_clues
from nephrocalc.knowledge import AGE_GROUPS, AgeGroup, Cause, Caveat, Finding, Form, KnowledgeBase
from nephrocalc.result import NOTICE, Derivation, Entry, Evidence, Factor, Note, Result, RulePack

AGE_KEYS = (*AGE_GROUPS, "unknown")
_NEG_INF = float("-inf")
_SEX_FLOOR = -20.0  # ln P(sex | form) when a form excludes a sex (e.g. obstetric): effectively zero

FREQUENCY_WORDS = {
    "always": "almost always present",
    "usually": "usually present",
    "often": "often present",
    "sometimes": "sometimes present",
    "rarely": "rarely present",
    "almost_never": "almost never present",
}

_by_weight = itemgetter("weight")


def _negative_weight(item: Evidence) -> float:
    return -item["weight"]


class FormRow(NamedTuple):
    cause_index: int
    form_id: str | None  # None for a cause without named forms
    evidence: Mapping[tuple[str, bool], Evidence]  # (clue, stated value) -> ready-made evidence item
    form_factor: Mapping[str, Factor]  # by age key (named forms only)
    sex_factor: Mapping[str, Factor | None]
    laterality_factor: Mapping[str, Factor | None]


class CauseRow(NamedTuple):
    cause: Cause
    rows: tuple[int, ...]  # indexes of its form rows
    prior: Mapping[str, float]  # by age key, normalised over causes
    shown_prior: Mapping[str, float]  # the same, rounded for the output
    pattern_factor: Mapping[str, Factor]
    interaction_evidence: Mapping[str, Mapping[str, Evidence]]  # pattern -> clue -> evidence (present)


class ScoringTable(NamedTuple):
    causes: tuple[CauseRow, ...]
    # (clue, stated value) -> the rows (forms) whose evidence it is, with the ready-made item
    supporting: Mapping[tuple[str, bool], tuple[tuple[int, Evidence], ...]]
    conflicting: Mapping[tuple[str, bool], tuple[tuple[int, Evidence], ...]]
    tiebreak: Mapping[str, list[int]]  # by age key: each cause's place when ordered by prior, then id
    rows: tuple[FormRow, ...]
    base: Mapping[tuple[str, str], list[float]]  # (age key, pattern) -> ln prior + pattern + form share, per row
    clue: Mapping[tuple[str, str, bool], list[float]]  # (pattern, clue, value) -> weight per row
    sex: Mapping[str, list[float]]
    laterality: Mapping[str, list[float]]
    context: Mapping[tuple[str, str], list[tuple[Factor, ...]]]  # (pattern, age) -> per row: pattern and form
    interaction_patterns: frozenset[str]

    @classmethod
    def build(cls, kb: KnowledgeBase) -> "ScoringTable":
        causes = list(kb.causes.values())
        mix = kb.ages.unknown_mix
        raw_prior: dict[str, dict[str, float]] = {}
        for cause in causes:
            by_age: dict[str, float] = {group: cause.prior[group] for group in AGE_GROUPS}
            by_age["unknown"] = sum(mix[group] * cause.prior[group] for group in AGE_GROUPS)
            raw_prior[cause.id] = by_age
        totals = {age: sum(raw_prior[c.id][age] for c in causes) for age in AGE_KEYS}
        prior = {c.id: {age: raw_prior[c.id][age] / totals[age] for age in AGE_KEYS} for c in causes}
        # P(pattern) under the no-age mixture: a constant that makes the pattern weights readable
        marginal = {p: sum(prior[c.id]["unknown"] * c.patterns[p] for c in causes) for p in PATTERNS}

        cause_rows: list[CauseRow] = []
        rows: list[FormRow] = []
        base: dict[tuple[str, str], list[float]] = {(age, p): [] for age in AGE_KEYS for p in PATTERNS}
        present_w: list[dict[str, float]] = []
        absent_w: list[dict[str, float]] = []
        sex: dict[str, list[float]] = {"female": [], "male": []}
        laterality: dict[str, list[float]] = {"unilateral": [], "bilateral": []}
        interaction_w: list[dict[str, dict[str, float]]] = []
        for index, cause in enumerate(causes):
            pattern_w = {p: math.log(cause.patterns[p] / marginal[p]) for p in PATTERNS}
            pattern_factor: dict[str, Factor] = {
                p: _factor("pattern", p, pattern_w[p],
                           f"{cause.patterns[p]:.1%} of {cause.short_name} shows a {p} pattern"
                           + (f" ({cause.patterns_note})" if cause.patterns_note else ""))
                for p in PATTERNS}
            interactions: dict[str, dict[str, Evidence]] = {}
            interaction_weights: dict[str, dict[str, float]] = {}
            for item in kb.interactions:
                if item.distribution == cause.distribution:
                    weight = math.log(item.lr_present)
                    interaction_weights.setdefault(item.pattern, {})[item.clue] = weight
                    interactions.setdefault(item.pattern, {})[item.clue] = _evidence(
                        item.clue, True, weight, f"with a {item.pattern} pattern, {item.note}", item.sources)
            first = len(rows)
            for form in cause.forms:
                share = _form_share(form, raw_prior[cause.id], mix)
                log_share = {age: (math.log(value) if value > 0 else _NEG_INF) for age, value in share.items()}
                row, present, absent, sex_w, lat_w = _form_row(kb, index, cause, form, share, log_share)
                rows.append(row)
                present_w.append(present)
                absent_w.append(absent)
                interaction_w.append(interaction_weights)
                for key in sex:
                    sex[key].append(sex_w[key])
                for key in laterality:
                    laterality[key].append(lat_w[key])
                for age in AGE_KEYS:
                    for p in PATTERNS:
                        base[(age, p)].append(math.log(prior[cause.id][age]) + pattern_w[p] + log_share[age])
            cause_rows.append(CauseRow(cause, tuple(range(first, len(rows))), prior[cause.id],
                                       {age: round(value, 4) for age, value in prior[cause.id].items()},
                                       pattern_factor, interactions))

        # one vector per (clue, value), shared by the patterns; a pattern with an interaction on the
        # clue gets its own present vector
        clue: dict[tuple[str, str, bool], list[float]] = {}
        row_range = range(len(rows))
        for clue_id in kb.clues:
            present_vector = [present_w[r].get(clue_id, 0.0) for r in row_range]
            absent_vector = [absent_w[r].get(clue_id, 0.0) for r in row_range]
            for p in PATTERNS:
                if any(clue_id in interaction_w[r].get(p, {}) for r in row_range):
                    clue[(p, clue_id, True)] = [interaction_w[r].get(p, {}).get(clue_id, present_vector[r])
                                                for r in row_range]
                else:
                    clue[(p, clue_id, True)] = present_vector
                clue[(p, clue_id, False)] = absent_vector
        tiebreak: dict[str, list[int]] = {}
        for age in AGE_KEYS:
            ordered = sorted(range(len(causes)), key=lambda i: (-prior[causes[i].id][age], causes[i].id))
            place = [0] * len(causes)
            for position, i in enumerate(ordered):
                place[i] = position
            tiebreak[age] = place
        supporting: dict[tuple[str, bool], list[tuple[int, Evidence]]] = {}
        conflicting: dict[tuple[str, bool], list[tuple[int, Evidence]]] = {}
        for r, row in enumerate(rows):
            for stated, evidence_item in row.evidence.items():
                target = supporting if evidence_item["weight"] > 0 else conflicting
                target.setdefault(stated, []).append((r, evidence_item))
        context: dict[tuple[str, str], list[tuple[Factor, ...]]] = {
            (p, age): [(cause_rows[row.cause_index].pattern_factor[p],
                        *((row.form_factor[age],) if age in row.form_factor else ())) for row in rows]
            for p in PATTERNS for age in AGE_KEYS}
        return cls(tuple(cause_rows), {k: tuple(v) for k, v in supporting.items()},
                   {k: tuple(v) for k, v in conflicting.items()}, tiebreak, tuple(rows), base, clue, sex, laterality,
                   context, frozenset(item.pattern for item in kb.interactions))


def _form_share(form: Form, raw_prior: Mapping[str, float], mix: Mapping[AgeGroup, float]) -> dict[str, float]:
    share: dict[str, float] = {group: form.share[group] for group in AGE_GROUPS}
    # with no age, a form's share follows the age mix weighted by the cause's prior at each age
    weighted = sum(mix[g] * raw_prior[g] for g in AGE_GROUPS)
    share["unknown"] = sum(mix[g] * raw_prior[g] * form.share[g] for g in AGE_GROUPS) / weighted
    return share


def _form_row(kb: KnowledgeBase, index: int, cause: Cause, form: Form, share: Mapping[str, float],
              log_share: Mapping[str, float]
              ) -> tuple[FormRow, dict[str, float], dict[str, float], dict[str, float], dict[str, float]]:
    named = len(cause.forms) > 1 or form.id != "typical"
    where = form.name if named else cause.short_name
    own = {f.clue for f in form.own_findings}
    present: dict[str, float] = {}
    absent: dict[str, float] = {}
    evidence: dict[tuple[str, bool], Evidence] = {}
    for clue_id, finding in form.findings.items():
        label = kb.clues[clue_id].label
        place = form.name if clue_id in own and named else cause.short_name
        if finding.lr_present != 1.0:
            present[clue_id] = math.log(finding.lr_present)
            evidence[(clue_id, True)] = _evidence(clue_id, True, present[clue_id], _why(label, finding, place, True),
                                                  finding.sources)
        if finding.lr_absent != 1.0:
            absent[clue_id] = math.log(finding.lr_absent)
            evidence[(clue_id, False)] = _evidence(clue_id, False, absent[clue_id],
                                                   _why(label, finding, place, False), finding.sources)
    sex_w = {
        "female": math.log(form.female / 0.5) if form.female > 0 else _SEX_FLOOR,
        "male": math.log((1 - form.female) / 0.5) if form.female < 1 else _SEX_FLOOR,
    }
    sex_why = {"female": f"{form.female:.0%} of {where} are female",
               "male": f"{1 - form.female:.0%} of {where} are male"}
    default = kb.default_unilateral
    lat_w = {
        "unilateral": math.log(form.unilateral / default),
        "bilateral": math.log((1 - form.unilateral) / (1 - default)),
    }
    lat_why = {"unilateral": f"about {form.unilateral:.0%} of {where} is unilateral",
               "bilateral": f"about {1 - form.unilateral:.0%} of {where} is bilateral"}
    form_factor = {}
    if named:
        form_factor = {age: _factor("form", form.id, log_share[age],
                                    f"{share[age]:.0%} of {cause.short_name} at this age is this form; "
                                    "the other forms add the rest of the score")
                       for age in AGE_KEYS if log_share[age] != _NEG_INF}
    row = FormRow(
        cause_index=index, form_id=form.id if named else None, evidence=evidence, form_factor=form_factor,
        sex_factor={k: (_factor("sex", k, w, sex_why[k]) if abs(w) > 1e-9 else None) for k, w in sex_w.items()},
        laterality_factor={k: (_factor("laterality", k, w, lat_why[k]) if abs(w) > 1e-9 else None)
                           for k, w in lat_w.items()})
    return row, present, absent, sex_w, lat_w


def _evidence(clue: str, present: bool, weight: float, why: str, sources: Sequence[str]) -> Evidence:
    return {"clue": clue, "present": present, "weight": round(weight, 2), "why": why, "sources": list(sources)}


def _factor(factor: str, value: str, weight: float, why: str) -> Factor:
    return {"factor": factor, "value": value, "weight": round(weight, 2), "why": why}


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


# --- caveat conditions, compiled to set operations ---------------------------------------


class _CaveatCheck(NamedTuple):
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
    warning: bool
    note: Note

    @classmethod
    def compile(cls, caveat: Caveat) -> "_CaveatCheck":
        c = caveat.when

        def optional(values: Sequence[Any] | None) -> frozenset[Any] | None:
            return None if values is None else frozenset(values)

        return cls(frozenset(c.present), frozenset(c.absent), frozenset(c.any_present), frozenset(c.unknown),
                   optional(c.pattern), optional(c.modality), optional(c.grade), c.laterality, c.sex,
                   c.age_below, c.age_at_least, frozenset(c.leading), frozenset(c.in_top3),
                   caveat.kind == "warning",
                   {"id": caveat.id, "message": caveat.message, "sources": list(caveat.sources)})

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
        age = case.age_years
        if self.age_below is not None and (age is None or age >= self.age_below):
            return False
        if self.age_at_least is not None and (age is None or age < self.age_at_least):
            return False
        if self.unknown and not self.unknown.isdisjoint(case.clues):
            return False
        if self.leading and ranking[0] not in self.leading:
            return False
        return not self.in_top3 or not self.in_top3.isdisjoint(ranking[:3])


class Engine:
    """Ranks cases against one knowledge base. Build once, call ``rank`` for each case."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.table = ScoringTable.build(kb)
        self._kb_label = f"{kb.name} {kb.version}"
        self._rules: list[RulePack] = [{"name": p.name, "version": p.version, "path": p.path} for p in kb.packs]
        self._caveats = tuple(_CaveatCheck.compile(caveat) for caveat in kb.caveats)
        from nephrocalc.guidance import clue_labs, lab_siblings

        self.clue_labs = clue_labs(self)
        self.lab_siblings = lab_siblings(self)
        # Index each caveat under one condition it cannot hold without (a stated clue, the pattern,
        # the modality...), so that a case only evaluates the few caveats it could trigger.
        self._caveat_index: dict[str, dict[Any, list[int]]] = {
            name: {} for name in ("present", "absent", "pattern", "modality", "grade", "laterality", "sex")}
        self._caveats_always: list[int] = []
        for index, check in enumerate(self._caveats):
            keys = _trigger_keys(check)
            if not keys:
                self._caveats_always.append(index)
            for name, value in keys:
                self._caveat_index[name].setdefault(value, []).append(index)

    def with_lab_clues(self, case: Case) -> tuple[Case, list[Derivation], list[Note]]:
        """The case with the clues its lab values give (stated clues win), and the steps taken."""
        if not case.labs:
            return case, [], []
        from nephrocalc.labs import interpret

        report = interpret(case, self.kb)
        return replace(case, clues=report.clues), report.derived, report.warnings

    def row_scores(self, case: Case) -> list[float]:
        """The log score of every (cause, form) row for a case whose lab clues are already merged."""
        table = self.table
        scores = table.base[(age_key(case, self.kb), case.pattern)]
        if case.sex is not None:
            scores = list(map(add, scores, table.sex[case.sex]))
        if case.laterality is not None:
            scores = list(map(add, scores, table.laterality[case.laterality]))
        clue_vectors = table.clue
        # stated clues in a fixed order, so that float sums, and so ties, do not depend on input order
        for clue_id, value in sorted(case.clues.items()):
            scores = list(map(add, scores, clue_vectors[(case.pattern, clue_id, value)]))
        return scores

    def rank(self, case: Case, *, next_findings: bool = False) -> Result:
        """Rank the causes for one case; with ``next_findings``, add the most informative unknown clues."""
        check_clues(case, self.kb)
        case, derived, lab_warnings = self.with_lab_clues(case)
        table = self.table
        age = age_key(case, self.kb)
        pattern = case.pattern
        scores = self.row_scores(case)
        stated = sorted(case.clues.items())

        # each cause: log-sum-exp over its forms; the best form supplies the evidence shown
        totals: list[float] = []
        best_rows: list[int] = []
        exp = math.exp
        for cause_row in table.causes:
            rows = cause_row.rows
            best = rows[0]
            if len(rows) == 1:
                totals.append(scores[best])
            else:
                top = scores[best]
                for r in rows:
                    if scores[r] > top:
                        best, top = r, scores[r]
                acc = 0.0
                for r in rows:
                    if scores[r] != _NEG_INF:
                        acc += exp(scores[r] - top)
                totals.append(top + math.log(acc))
            best_rows.append(best)

        # best first; ties broken by prior, then id (the precomputed tie-break order of this age)
        ranked = sorted(zip([-t for t in totals], table.tiebreak[age], range(len(totals)), strict=True))
        order = [i for _, _, i in ranked]
        top_score = totals[order[0]]
        exps = [math.exp(totals[i] - top_score) for i in order]
        norm = sum(exps)
        probabilities = _rounded_probabilities([e / norm for e in exps])

        # evidence of every form row, from the inverted index: only rows that list a clue are touched
        supporting_by_row: dict[int, list[Evidence]] = {}
        conflicting_by_row: dict[int, list[Evidence]] = {}
        for key in stated:
            for r, item in table.supporting.get(key, ()):
                supporting_by_row.setdefault(r, []).append(item)
            for r, item in table.conflicting.get(key, ()):
                conflicting_by_row.setdefault(r, []).append(item)
        entries: list[Entry] = []
        contexts = table.context[(pattern, age)]
        sex, laterality = case.sex, case.laterality
        with_interactions = pattern in table.interaction_patterns
        floor = math.floor
        for rank, i, probability in zip(range(1, len(order) + 1), order, probabilities, strict=True):
            cause_row = table.causes[i]
            cause = cause_row.cause
            best = best_rows[i]
            row = table.rows[best]
            supporting = supporting_by_row.get(best) or []
            conflicting = conflicting_by_row.get(best) or []
            if with_interactions and (interactions := cause_row.interaction_evidence.get(pattern)):
                supporting, conflicting = _with_interactions(case, interactions, supporting, conflicting)
            if len(supporting) > 1:
                supporting.sort(key=_negative_weight)
            if len(conflicting) > 1:
                conflicting.sort(key=_by_weight)
            context = list(contexts[best])
            if sex is not None and (factor := row.sex_factor[sex]) is not None:
                context.append(factor)
            if laterality is not None and (factor := row.laterality_factor[laterality]) is not None:
                context.append(factor)
            entries.append({
                "rank": rank, "cause": cause.id, "name": cause.name, "distribution": cause.distribution,
                "score": floor(totals[i] * 1e3 + 0.5) / 1e3, "probability": probability,
                "prior": cause_row.shown_prior[age], "form": row.form_id, "cant_miss": cause.cant_miss,
                "supporting": supporting, "conflicting": conflicting, "context": context})
        caveats, warnings = self._notes(case, [entry["cause"] for entry in entries])
        if lab_warnings:
            warnings = lab_warnings + warnings
        result: Result = {"id": case.id, "pattern": pattern, "differential": entries, "derived": derived,
                          "caveats": caveats, "warnings": warnings, "knowledge_base": self._kb_label,
                          "rules": self._rules, "notice": NOTICE}
        if next_findings:
            from nephrocalc.guidance import next_findings as most_informative

            result["next_findings"] = most_informative(self, case, scores)
        return result

    def _notes(self, case: Case, ranking: list[str]) -> tuple[list[Note], list[Note]]:
        caveats: list[Note] = []
        warnings: list[Note] = []
        true = {clue for clue, value in case.clues.items() if value}
        false = {clue for clue, value in case.clues.items() if not value}
        index = self._caveat_index
        candidates: list[int] = list(self._caveats_always)
        for name, value in (("pattern", case.pattern), ("modality", case.modality), ("grade", case.grade),
                            ("laterality", case.laterality), ("sex", case.sex)):
            found = index[name].get(value)
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
        for position in sorted(set(candidates)):
            check = self._caveats[position]
            if check.holds(case, true, false, ranking):
                (warnings if check.warning else caveats).append(check.note)
        used = self.kb.used_clues
        unused = sorted(clue for clue in case.clues if clue not in used)
        if unused:
            warnings.append({"id": "clues_not_used", "message": "No cause of the knowledge base uses "
                             + ", ".join(unused) + "; it did not change the ranking.", "sources": []})
        return caveats, warnings


def _trigger_keys(check: _CaveatCheck) -> list[tuple[str, Any]]:
    """Index keys of one necessary condition of a caveat (any of them present -> evaluate it)."""
    if check.present:
        return [("present", min(check.present))]
    if check.absent:
        return [("absent", min(check.absent))]
    if check.any_present:
        return [("present", clue) for clue in sorted(check.any_present)]
    for name in ("pattern", "modality", "grade"):
        values = getattr(check, name)
        if values is not None:
            return [(name, value) for value in sorted(values)]
    for name in ("laterality", "sex"):
        value = getattr(check, name)
        if value is not None:
            return [(name, value)]
    return []


def _with_interactions(case: Case, interactions: Mapping[str, Evidence], supporting: list[Evidence],
                       conflicting: list[Evidence]) -> tuple[list[Evidence], list[Evidence]]:
    """Evidence of clues whose weight depends on the pattern replaces their ordinary evidence."""
    replaced = {clue for clue in interactions if case.clues.get(clue) is True}
    if not replaced:
        return supporting, conflicting
    supporting = [e for e in supporting if not (e["present"] and e["clue"] in replaced)]
    conflicting = [e for e in conflicting if not (e["present"] and e["clue"] in replaced)]
    for clue in sorted(replaced):
        item = interactions[clue]
        (supporting if item["weight"] > 0 else conflicting).append(item)
    return supporting, conflicting


def _round(value: float, scale: float) -> float:
    """Round half up to 1/scale: much faster than round(value, n), which goes through decimal digits."""
    return math.floor(value * scale + 0.5) / scale


def _rounded_probabilities(values: list[float]) -> list[float]:
    """Round to 6 decimals, keeping the sum at 1 (the remainder goes to the largest, which comes first)."""
    rounded = [math.floor(v * 1e6 + 0.5) / 1e6 for v in values]
    if rounded:
        top = max(range(len(rounded)), key=rounded.__getitem__)
        rounded[top] = _round(rounded[top] + (1.0 - sum(rounded)), 1e6)
        if abs(sum(rounded) - 1.0) > 1e-9:  # pragma: no cover - rounding leaves at most ~1e-16
            rounded[top] += 1.0 - sum(rounded)
    return rounded


def rank(case: Case, kb: KnowledgeBase) -> Result:
    """Rank one case (builds the scoring table; use ``Engine`` for many cases)."""
    return Engine(kb).rank(case)
