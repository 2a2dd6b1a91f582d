"""The scoring table: everything that does not depend on the case, compiled once per knowledge base.

One row per (cause, form); a vector of weights over the rows for every (pattern, clue, stated
value); the prior, pattern and form-share terms per (age key, pattern); and the evidence items
ready-made, with their "why" texts. Ranking a case is then a few vector additions and look-ups.
"""

import math
from collections.abc import Mapping, Sequence, Set
from typing import Any, NamedTuple

from nephrocalc.knowledge import (
    AGE_GROUPS,
    AgeBand,
    AgeGroup,
    Cause,
    Clue,
    Finding,
    Form,
    GivenBackground,
    KnowledgeBase,
)
from nephrocalc.result import Evidence, Factor
from nephrocalc.vocab import FREQUENCY_WORDS, PATTERNS, in_text

AGE_KEYS = (*AGE_GROUPS, "unknown")
NEG_INF = float("-inf")
_SEX_FLOOR = -20.0  # ln P(sex | form) when a form excludes a sex (e.g. obstetric): effectively zero

class FormRow(NamedTuple):
    cause_index: int
    form_id: str | None  # None for a cause without named forms
    evidence: Mapping[tuple[str, bool], Evidence]  # (clue, stated value) -> ready-made evidence item
    form_factor: Mapping[str, Factor]  # by age key (named forms only)
    sex_factor: Mapping[str, Factor | None]
    laterality_factor: Mapping[str, Factor | None]
    age: tuple[AgeBand, ...] = ()  # the age bands of the cause and of this form
    # (pattern, laterality) -> factor, for a row whose one-sided share depends on the pattern (the open world's
    # [other.patterns]); the others, and a case without a pattern, take ``laterality_factor``
    laterality_at: Mapping[tuple[str, str], Factor | None] = {}


class CauseRow(NamedTuple):
    cause: Cause
    rows: tuple[int, ...]  # indexes of its form rows
    prior: Mapping[str, float]  # by age key, normalised over causes
    shown_prior: Mapping[str, float]  # the same, rounded for the output
    log_prior: Mapping[str, float]  # its natural log, from the unrounded prior, rounded for the output
    pattern_factor: Mapping[str, Factor]
    interaction_evidence: Mapping[str, Mapping[str, Evidence]]  # pattern -> clue -> evidence (present)
    # (pattern, age key) -> factor, for a cause whose pattern mix depends on age (the open world's [other.patterns])
    pattern_factor_at: Mapping[tuple[str, str], Factor] = {}


class GivenTerm(NamedTuple):
    """A clue whose background changes when another clue is stated present (clues.toml
    ``given_background``): the rows of the causes that do not list it (``other`` included) take these
    weights, and show these evidence items, in place of nothing."""

    given: str
    rows: tuple[int, ...]
    weight: Mapping[bool, float]  # by the clue's stated value
    evidence: Mapping[bool, Evidence | None]  # None where the weight is 0
    # pattern -> row -> the present weight taken instead, for rows whose pattern interaction (knowledge_base.toml
    # [[interactions]]) already weighs the clue: the likelihood is the larger of the two, never their product
    under_interaction: Mapping[str, Mapping[int, float]] = {}
    unless: frozenset[str] = frozenset()  # an open-world term does not count when one of these is present

    def present_weight(self, pattern: str, row: int) -> float:
        """The weight of the clue stated present for ``row`` under ``pattern``."""
        return self.under_interaction.get(pattern, {}).get(row, self.weight[True])


class MaskedTerm(NamedTuple):
    """A clue whose absence says less when another clue is stated present (clues.toml
    ``absent_masked_by``): P(absent | cause) becomes value + (1 - value) * P(absent | cause) for every
    cause, and the same for the background it is measured against."""

    given: str
    value: float
    background: float  # the clue's background, that the usual weights are measured against
    why: str  # appended to the usual reason
    sources: tuple[str, ...]

    def weight(self, usual: float) -> float:
        """The absent weight of a row whose usual absent weight is ``usual`` (ln LR)."""
        keep = (1.0 - self.value) * (1.0 - self.background)
        return math.log((self.value + keep * math.exp(usual)) / (self.value + keep))


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
    laterality: Mapping[tuple[str, str], list[float]]  # (pattern or "unknown", laterality) -> weight per row
    context: Mapping[tuple[str, str], list[tuple[Factor, ...]]]  # (pattern, age) -> per row: pattern and form
    interaction_patterns: frozenset[str]
    # age bands: sorted boundaries, and for each prior column (age group) and each interval between the
    # boundaries, the (row, weight, factor) terms
    age_bounds: tuple[float, ...]
    age_terms: Mapping[str, tuple[tuple[tuple[int, float, Factor], ...], ...]]
    other_index: int  # the cause row of `other`, a cause outside the knowledge base
    # age-bounded findings: (age_at_least, age_below, row, clue, stated value, weight change, evidence or
    # None when the entry makes the clue neutral); each replaces the row's usual entry at those ages
    age_clues: tuple[tuple[float, float | None, int, str, bool, float, Evidence | None], ...] = ()
    # (clue, stated value) -> its age-bounded entries: (position in age_clues, low, high, row, change, evidence)
    age_clue_index: Mapping[tuple[str, bool], tuple[tuple[int, float, float | None, int, float, Evidence | None],
                                                    ...]] = {}
    # clue -> its backgrounds when another clue is stated present, one term per given clue
    given: Mapping[str, tuple[GivenTerm, ...]] = {}
    given_keys: frozenset[tuple[str, bool]] = frozenset()  # (clue, value) of the clues in ``given`` and ``conditional``
    masked: Mapping[str, MaskedTerm] = {}  # clue -> how its absence is weakened when another clue is present
    masked_keys: frozenset[tuple[str, bool]] = frozenset()  # (clue, False) of the clues in ``masked``
    # clue -> the ratios that count only with another clue present: the open world's ([[other.findings]] with
    # given) and the causes' conditional contradictions ([[contradicts]] with given)
    conditional: Mapping[str, tuple[GivenTerm, ...]] = {}
    # (clue, stated value) -> its sex-bounded entries: (sex, row, change, evidence or None when the entry makes
    # the clue neutral), in the table's order; each replaces the row's usual entry, and its age-bounded ones, for
    # patients of that sex
    sex_clue_index: Mapping[tuple[str, bool], tuple[tuple[str, int, float, Evidence | None], ...]] = {}

    def bounded_for(self, age: float | None, pattern: str, counted: Sequence[tuple[str, bool]],
                    sex: str | None = None) -> list[tuple[int, str, bool, float, Evidence | None]]:
        """The entries that replace a row's usual evidence for a clue: the age- and sex-bounded findings in
        force, and the absences weakened by another stated clue (``absent_masked_by``)."""
        bounded = self.age_clues_for(age, counted)
        if sex is not None and self.sex_clue_index:
            bounded = self._with_sex_clues(bounded, sex, counted)
        if self.masked_keys.isdisjoint(counted):  # nearly every case: one set operation
            return bounded
        masked = self.masked
        present = {clue for clue, value in counted if value}
        for clue, value in counted:
            term = masked.get(clue)
            if value or term is None or term.given not in present:
                continue
            usual = self.clue[(pattern, clue, False)]
            items = dict((*self.supporting.get((clue, False), ()), *self.conflicting.get((clue, False), ())))
            earlier = {entry[0]: position for position, entry in enumerate(bounded)
                       if entry[1] == clue and not entry[2]}
            for r in range(len(self.rows)):
                position = earlier.get(r)
                item = bounded[position][4] if position is not None else items.get(r)
                if item is None:  # the clue says nothing about this row (at this age)
                    continue
                start = usual[r] + (bounded[position][3] if position is not None else 0.0)
                weight = term.weight(start)
                replaced: Evidence = {**item, "weight": round(weight, 2), "why": f"{item['why']}; {term.why}",
                                      "sources": [*item["sources"],
                                                  *(tag for tag in term.sources if tag not in item["sources"])]}
                entry = (r, clue, False, weight - usual[r], replaced)
                if position is None:
                    bounded.append(entry)
                else:
                    bounded[position] = entry
        return bounded

    def _with_sex_clues(self, bounded: list[tuple[int, str, bool, float, Evidence | None]], sex: str,
                        counted: Sequence[tuple[str, bool]]) -> list[tuple[int, str, bool, float, Evidence | None]]:
        """The bounded entries with the sex-bounded ones of this sex in force: each replaces an age-bounded entry
        of its row and clue."""
        index = self.sex_clue_index
        found = [(r, clue, value, delta, item) for clue, value in counted
                 for entry_sex, r, delta, item in index.get((clue, value), ()) if entry_sex == sex]
        if not found:
            return bounded
        replaced = {(r, clue, value) for r, clue, value, _, _ in found}
        return [entry for entry in bounded if (entry[0], entry[1], entry[2]) not in replaced] + found

    def given_term(self, clue: str, present: Set[str]) -> GivenTerm | None:
        """The given background in force for ``clue`` with these clues present: of several (hypokalaemia with
        vomiting and with a metabolic alkalosis), the most common, as either condition alone brings the finding
        that often."""
        best: GivenTerm | None = None
        for term in self.given.get(clue, ()):
            if term.given in present and not term.unless & present and (
                    best is None or term.weight[True] > best.weight[True]):
                best = term
        return best

    def given_for(self, counted: Sequence[tuple[str, bool]]) -> Sequence[tuple[str, bool, GivenTerm]]:
        """The given-background terms in force: a counted clue that has one, with its given clue counted present."""
        if self.given_keys.isdisjoint(counted):  # nearly every case: one set operation
            return ()
        present = {clue for clue, value in counted if value}
        terms = [(clue, value, term) for clue, value in counted
                 if (term := self.given_term(clue, present)) is not None]
        if self.conditional:
            terms.extend((clue, value, term) for clue, value in counted for term in self.conditional.get(clue, ())
                         if term.given in present and term.weight[value] != 0.0 and not term.unless & present)
        return terms

    def age_clues_for(self, age: float | None, counted: Sequence[tuple[str, bool]]
                      ) -> list[tuple[int, str, bool, float, Evidence | None]]:
        """The age-bounded entries in force for a case of this age and these counted clues."""
        index = self.age_clue_index
        if age is None or not index:
            return []
        found: list[tuple[int, int, str, bool, float, Evidence | None]] = []
        for clue, value in counted:
            for position, low, high, r, delta, item in index.get((clue, value), ()):
                if low <= age and (high is None or age < high):
                    found.append((position, r, clue, value, delta, item))
        if len(found) > 1:
            found.sort(key=_first)  # the table's order, so that the scores add up the same way every time
        return [(r, clue, value, delta, item) for _, r, clue, value, delta, item in found]

    @classmethod
    def build(cls, kb: KnowledgeBase) -> "ScoringTable":
        known = list(kb.causes.values())
        mix = kb.ages.unknown_mix
        raw_prior: dict[str, dict[str, float]] = {}
        for cause in known:
            by_age: dict[str, float] = {group: cause.prior[group] for group in AGE_GROUPS}
            by_age["unknown"] = sum(mix[group] * cause.prior[group] for group in AGE_GROUPS)
            raw_prior[cause.id] = by_age
        other_prior: dict[str, float] = {group: kb.other.prior[group] for group in AGE_GROUPS}
        other_prior["unknown"] = sum(mix[group] * kb.other.prior[group] for group in AGE_GROUPS)
        totals = {age: sum(raw_prior[c.id][age] for c in known) for age in AGE_KEYS}
        # the known causes share what the open world leaves: 1 - P(other | age group)
        prior = {c.id: {age: raw_prior[c.id][age] / totals[age] * (1.0 - other_prior[age]) for age in AGE_KEYS}
                 for c in known}
        # P(pattern) under the no-age mixture: a constant that makes the pattern weights readable
        marginal = {p: sum(prior[c.id]["unknown"] * c.patterns[p] for c in known) / (1.0 - other_prior["unknown"])
                    for p in PATTERNS}
        # the open world's own pattern mix by age group ([other.patterns]), else that of all nephrocalcinosis
        other_mix: dict[str, Mapping[Any, float]] = dict.fromkeys(AGE_KEYS, marginal)
        if kb.other.patterns is not None:
            other_mix = {group: kb.other.patterns[group] for group in AGE_GROUPS}
            age_weight = {group: mix[group] * kb.other.prior[group] for group in AGE_GROUPS}
            other_mix["unknown"] = {p: sum(age_weight[g] * kb.other.patterns[g][p] for g in AGE_GROUPS)
                                    / sum(age_weight.values()) for p in PATTERNS}
        other = other_cause(kb, other_mix["unknown"])
        causes = [*known, other]
        prior[OTHER] = other_prior
        raw_prior[OTHER] = other_prior

        cause_rows: list[CauseRow] = []
        rows: list[FormRow] = []
        base: dict[tuple[str, str], list[float]] = {(age, p): [] for age in AGE_KEYS for p in (*PATTERNS, UNKNOWN)}
        present_w: list[dict[str, float]] = []
        absent_w: list[dict[str, float]] = []
        sex: dict[str, list[float]] = {"female": [], "male": []}
        laterality: dict[tuple[str, str], list[float]] = {(p, side): [] for p in (*PATTERNS, UNKNOWN)
                                                          for side in ("unilateral", "bilateral")}
        interaction_w: list[dict[str, dict[str, float]]] = []
        age_clues: list[tuple[float, float | None, int, str, bool, float, Evidence | None]] = []
        sex_clues: dict[tuple[str, bool], list[tuple[str, int, float, Evidence | None]]] = {}
        forms_of_rows: list[tuple[Cause, Form]] = []  # the cause and form of each row, in row order
        for index, cause in enumerate(causes):
            pattern_w = {p: math.log(cause.patterns[p] / marginal[p]) for p in PATTERNS}
            pattern_factor: dict[str, Factor] = {
                p: _factor("pattern", p, pattern_w[p],
                           f"{cause.patterns[p]:.1%} of {cause.short_name} shows a {p} pattern"
                           + (f" ({cause.patterns_note})" if cause.patterns_note else "")
                           + (" [estimate]" if cause.patterns_estimate else ""))
                for p in PATTERNS}
            # a cause's pattern weights by age key: the same at every age, but the open world's own mix
            pattern_at = dict.fromkeys(AGE_KEYS, pattern_w)
            pattern_factor_at: dict[tuple[str, str], Factor] = {}
            if cause is other and kb.other.patterns is not None:
                for age in AGE_KEYS:
                    pattern_at[age] = {p: math.log(other_mix[age][p] / marginal[p]) for p in PATTERNS}
                    at = " at this age" if age != "unknown" else ""
                    pattern_factor_at.update(
                        ((p, age), _factor("pattern", p, pattern_at[age][p],
                                           f"{other_mix[age][p]:.1%} of causes outside the knowledge base{at} show a "
                                           f"{p} pattern" + (" [estimate]" if kb.other.patterns_estimate else "")))
                        for p in PATTERNS)
            interactions: dict[str, dict[str, Evidence]] = {}
            interaction_weights: dict[str, dict[str, float]] = {}
            listed = {clue for form in cause.forms
                      for clue in (*form.findings, *(f.clue for f in (*form.age_findings, *form.sex_findings)))}
            # a cause's explicit contradiction keeps its own sourced ratio: an interaction never turns it into
            # evidence for the cause (metabolic alkalosis x50 for distal RTA under a medullary pattern)
            contradicted = {finding.clue for form in cause.forms for finding in (*form.findings.values(),
                                                                                 *form.age_findings)
                            if finding.contradiction and finding.given is None}
            for item in kb.interactions:
                if item.distribution == cause.distribution and item.clue not in contradicted and \
                        not (item.unlisted_only and item.clue in listed):
                    weight = math.log(item.lr_present)
                    interaction_weights.setdefault(item.pattern, {})[item.clue] = weight
                    interactions.setdefault(item.pattern, {})[item.clue] = _evidence(
                        item.clue, True, weight, f"with a {item.pattern} pattern, {item.note}", item.sources)
            first = len(rows)
            for form in cause.forms:
                share = _form_share(form, raw_prior[cause.id], mix)
                log_share = {age: (math.log(value) if value > 0 else NEG_INF) for age, value in share.items()}
                row, present, absent, sex_w, lat_w = _form_row(kb, index, cause, form, share, log_share)
                lat_at = dict.fromkeys((*PATTERNS, UNKNOWN), lat_w)
                by_pattern = kb.other.unilateral_by_pattern
                if cause is other and by_pattern is not None:
                    lat_at.update((p, _laterality_weights(by_pattern[p], kb.default_unilateral)) for p in PATTERNS)
                    row = row._replace(laterality_at={
                        (p, side): _factor("laterality", side, w, _laterality_why(
                            by_pattern[p], side, f"{p} calcification outside the knowledge base",
                            kb.other.patterns_estimate))
                        if abs(w) > 1e-9 else None
                        for p in PATTERNS for side, w in lat_at[p].items()})
                for finding in form.age_findings:
                    for value, delta, bounded_item in _bounded_entry(kb, cause, form, finding, present, absent):
                        age_clues.append((finding.age_at_least or 0.0, finding.age_below, len(rows), finding.clue,
                                          value, delta, bounded_item))
                for finding in form.sex_findings:
                    for value, delta, bounded_item in _bounded_entry(kb, cause, form, finding, present, absent):
                        sex_clues.setdefault((finding.clue, value), []).append(
                            (str(finding.sex), len(rows), delta, bounded_item))
                forms_of_rows.append((cause, form))
                rows.append(row)
                present_w.append(present)
                absent_w.append(absent)
                interaction_w.append(interaction_weights)
                for key in sex:
                    sex[key].append(sex_w[key])
                for p_key, side in laterality:
                    laterality[(p_key, side)].append(lat_at[p_key][side])
                for age in AGE_KEYS:
                    for p in PATTERNS:
                        base[(age, p)].append(math.log(prior[cause.id][age]) + pattern_at[age][p] + log_share[age])
                    # pattern unknown (a phenopacket without a pattern term): no pattern evidence
                    base[(age, UNKNOWN)].append(math.log(prior[cause.id][age]) + log_share[age])
            cause_rows.append(CauseRow(cause, tuple(range(first, len(rows))), prior[cause.id],
                                       {age: round(value, 4) for age, value in prior[cause.id].items()},
                                       {age: round(math.log(value), 2) for age, value in prior[cause.id].items()},
                                       pattern_factor, interactions, pattern_factor_at))

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
            clue[(UNKNOWN, clue_id, True)] = present_vector
            clue[(UNKNOWN, clue_id, False)] = absent_vector
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
            (p, age): [(cause_rows[row.cause_index].pattern_factor_at.get((p, age))
                        or cause_rows[row.cause_index].pattern_factor[p],
                        *((row.form_factor[age],) if age in row.form_factor else ())) for row in rows]
            for p in PATTERNS for age in AGE_KEYS}
        for age in AGE_KEYS:
            context[(UNKNOWN, age)] = [((row.form_factor[age],) if age in row.form_factor else ()) for row in rows]
        age_bounds, age_terms = _age_terms(rows, causes)
        given = _given_terms(kb, causes, cause_rows)
        conditional = _open_world_terms(kb, cause_rows[-1].rows)
        for clue_id, items in _contradiction_terms(kb, forms_of_rows).items():
            conditional[clue_id] = (*conditional.get(clue_id, ()), *items)
        masked = {clue.id: _masked_term(kb, clue) for clue in kb.clues.values() if clue.absent_masked_by is not None}
        return cls(tuple(cause_rows), {k: tuple(v) for k, v in supporting.items()},
                   {k: tuple(v) for k, v in conflicting.items()}, tiebreak, tuple(rows), base, clue, sex, laterality,
                   context, frozenset(item.pattern for item in kb.interactions), age_bounds, age_terms,
                   len(causes) - 1, tuple(age_clues), _age_clue_index(age_clues), given,
                   frozenset((clue_id, value) for clue_id in (*given, *conditional) for value in (True, False)), masked,
                   frozenset((clue_id, False) for clue_id in masked), conditional,
                   {key: tuple(entries) for key, entries in sex_clues.items()})

    def age_terms_for(self, age: float | None, column: str) -> tuple[tuple[int, float, Factor], ...]:
        """The age-band terms (row, weight, factor) that apply at ``age`` under the prior ``column``
        (none when the age is unknown)."""
        terms = self.age_terms.get(column)
        if age is None or not terms:
            return ()
        from bisect import bisect_right

        return terms[bisect_right(self.age_bounds, age)]


UNKNOWN = "unknown"  # the pattern key of a case whose pattern is not known
OTHER = "other"
OTHER_NAME = "A cause outside the loaded knowledge base"


def other_cause(kb: KnowledgeBase, marginal: Mapping[Any, float]) -> Cause:
    """The open world as a cause: a flat likelihood for every finding (its background rate, so its
    weights are 0), except findings that no loaded cause lists, which are more common outside the
    knowledge base (``[other] unused_clue_lr``), and those ``[[other.findings]]`` gives ratios."""
    unused = [clue for clue in kb.clues if clue not in kb.used_clues]
    lr = kb.other.unused_clue_lr
    findings = {clue: Finding(clue, None, None, lr, 1.0, kb.other.sources,
                              "no cause of the loaded knowledge base lists this finding", True)
                for clue in unused} if lr > 1.0 else {}
    # [[other.findings]]: stated ratios; an age-bounded one replaces the clue's entry at its ages
    findings.update((found.clue, found) for found in kb.other.findings if not found.age_bounded and found.given is None)
    bounded = tuple(found for found in kb.other.findings if found.age_bounded)
    unilateral = kb.other.unilateral if kb.other.unilateral is not None else kb.default_unilateral
    form = Form("typical", OTHER_NAME, dict.fromkeys(AGE_GROUPS, 1.0), 0.5, unilateral, findings, (),
                kb.other.sources, kb.other.note, True, kb.other.age, age_findings=bounded,
                unilateral_estimate=kb.other.estimate)
    return Cause(OTHER, OTHER_NAME, "Other cause", "unknown", False, "",
                 "A cause of nephrocalcinosis, or a mimic, that the loaded knowledge base does not hold.",
                 "Any mechanism outside the knowledge base.", kb.other.sources, kb.other.prior, kb.other.note,
                 kb.other.sources, dict(marginal),
                 "its own pattern mix by age ([other.patterns]), here with no age given"
                 if kb.other.patterns is not None else "the pattern mix of all nephrocalcinosis", (),
                 tuple(findings.values()),
                 (form,), "", patterns_estimate=kb.other.patterns is not None and kb.other.patterns_estimate)


def _given_terms(kb: KnowledgeBase, causes: Sequence[Cause], cause_rows: Sequence[CauseRow]
                 ) -> dict[str, tuple[GivenTerm, ...]]:
    terms: dict[str, tuple[GivenTerm, ...]] = {}
    for clue in kb.clues.values():
        if clue.given_backgrounds:
            terms[clue.id] = tuple(_given_term(kb, causes, cause_rows, clue, spec) for spec in clue.given_backgrounds)
    return terms


def _given_term(kb: KnowledgeBase, causes: Sequence[Cause], cause_rows: Sequence[CauseRow], clue: Clue,
                spec: GivenBackground) -> GivenTerm:
    rows = tuple(r for cause, cause_row in zip(causes, cause_rows, strict=True)
                 if not any(clue.id in form.findings or any(f.clue == clue.id for f in (*form.age_findings,
                                                                                         *form.sex_findings))
                            for form in cause.forms)
                 for r in cause_row.rows)
    given = in_text(kb.clues[spec.given].label) if spec.given in kb.clues else spec.given
    why = (f"with {given} present, {in_text(clue.label)} is {spec.value:.0%} likely in a cause that does not "
           f"list it, against {clue.background:.0%} without" + (f" ({spec.note})" if spec.note else "")
           + (" [estimate]" if spec.estimate else ""))
    weight = {True: math.log(spec.value / clue.background),
              False: math.log((1.0 - spec.value) / (1.0 - clue.background)) if spec.counts_absent else 0.0}
    evidence: dict[bool, Evidence | None] = {
        value: ({**_evidence(clue.id, value, w, why, spec.sources), "given": spec.given} if abs(w) >= 0.005
                else None)
        for value, w in weight.items()}
    # a row whose pattern interaction already sets the clue's likelihood (an apparently combined pattern
    # with cortical atrophy is medullary NC with atrophy) takes the larger of the two likelihoods: both
    # say why the finding is not rare there, so multiplying them would count that reason twice
    under: dict[str, dict[int, float]] = {}
    for item in kb.interactions:
        if item.clue != clue.id:
            continue
        for cause, cause_row in zip(causes, cause_rows, strict=True):
            if cause.distribution == item.distribution:
                for r in cause_row.rows:
                    if r in rows:
                        under.setdefault(item.pattern, {})[r] = max(0.0, weight[True] - math.log(item.lr_present))
    return GivenTerm(spec.given, rows, weight, evidence, under, frozenset(spec.unless))


def _open_world_terms(kb: KnowledgeBase, rows: tuple[int, ...]) -> dict[str, tuple[GivenTerm, ...]]:
    """The open world's ratios that count only with another clue present ([[other.findings]] with ``given``),
    as terms on the rows of `other`."""
    terms: dict[str, list[GivenTerm]] = {}
    for found in kb.other.findings:
        if found.given is None:
            continue
        label = kb.clues[found.clue].label if found.clue in kb.clues else found.clue
        given = in_text(kb.clues[found.given].label) if found.given in kb.clues else found.given
        weight = {True: math.log(found.lr_present), False: math.log(found.lr_absent)}
        evidence: dict[bool, Evidence | None] = {}
        for value, w in weight.items():
            why = (f"{label} {'present' if value else 'absent'} with {given}: likelihood ratio "
                   f"{math.exp(w):.2g} for Other cause ({found.note})" + (" [estimate]" if found.estimate else ""))
            # "counts_with", not "given": the term is the open world's own evidence, which tells it apart from
            # the causes, while a given background is shared by every cause that does not list the clue
            evidence[value] = ({**_evidence(found.clue, value, w, why, found.sources), "counts_with": found.given}
                               if abs(w) >= 0.005 else None)
        terms.setdefault(found.clue, []).append(GivenTerm(found.given, rows, weight, evidence,
                                                          unless=frozenset(found.unless)))
    return {clue: tuple(items) for clue, items in terms.items()}


def _contradiction_terms(kb: KnowledgeBase, forms_of_rows: Sequence[tuple[Cause, Form]]
                         ) -> dict[str, list[GivenTerm]]:
    """The causes' contradictions that count only with another clue present ([[contradicts]] with ``given``),
    as terms on the rows of the forms they belong to (``forms_of_rows``: each row's cause and form)."""
    terms: dict[str, list[GivenTerm]] = {}
    for r, (cause, form) in enumerate(forms_of_rows):
        named = len(cause.forms) > 1 or form.id != "typical"
        own = {id(f) for f in form.own_findings}
        for found in form.conditional:
            place = form.name if named and id(found) in own else cause.short_name
            label = kb.clues[found.clue].label
            given_id = str(found.given)
            given = in_text(kb.clues[given_id].label) if given_id in kb.clues else given_id
            weight = math.log(found.lr_present)
            why = (f"{label} with {given} argues against {place} (likelihood ratio {found.lr_present:.2g})"
                   + (f" ({found.note})" if found.note else "") + (" [estimate]" if found.estimate else ""))
            item: Evidence = {**_evidence(found.clue, True, weight, why, found.sources),
                              "counts_with": given_id}
            terms.setdefault(found.clue, []).append(GivenTerm(given_id, (r,), {True: weight, False: 0.0},
                                                              {True: item, False: None}))
    return terms


def _masked_term(kb: KnowledgeBase, clue: Clue) -> MaskedTerm:
    spec = clue.absent_masked_by
    assert spec is not None
    given = in_text(kb.clues[spec.given].label) if spec.given in kb.clues else spec.given
    why = (f"with {given} present, its absence says less: {spec.value:.0%} of patients with {given} would not "
           f"show it whatever the cause" + (f" ({spec.note})" if spec.note else "")
           + (" [estimate]" if spec.estimate else ""))
    return MaskedTerm(spec.given, spec.value, clue.background, why, spec.sources)


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


def _age_clue_index(age_clues: Sequence[tuple[float, float | None, int, str, bool, float, Evidence | None]]
                    ) -> dict[tuple[str, bool], tuple[tuple[int, float, float | None, int, float, Evidence | None],
                                                      ...]]:
    index: dict[tuple[str, bool], list[tuple[int, float, float | None, int, float, Evidence | None]]] = {}
    for position, (low, high, r, clue, value, delta, item) in enumerate(age_clues):
        index.setdefault((clue, value), []).append((position, low, high, r, delta, item))
    return {key: tuple(entries) for key, entries in index.items()}


def _age_terms(rows: Sequence["FormRow"], causes: Sequence[Cause]
               ) -> tuple[tuple[float, ...], dict[str, tuple[tuple[tuple[int, float, Factor], ...], ...]]]:
    """Split the age axis at every band boundary; for each prior column (a band may correct only some:
    ``columns``) and each interval, the band terms of every row."""
    bands_by_row: list[tuple[AgeBand, ...]] = [row.age for row in rows]
    bounds = sorted({b for bands in bands_by_row for band in bands
                     for b in (band.at_least, band.below) if b is not None and b > 0})
    if not bounds:
        return (), {}
    edges = [0.0, *bounds]
    by_column: dict[str, tuple[tuple[tuple[int, float, Factor], ...], ...]] = {}
    for column in AGE_GROUPS:
        terms: list[tuple[tuple[int, float, Factor], ...]] = []
        for probe in edges:
            interval = []
            for r, bands in enumerate(bands_by_row):
                weight = 0.0
                notes = []
                held = [band for band in bands if band.holds(probe, column)]
                for band in held:
                    weight += math.log(band.ratio)
                    notes.append(band.note or f"age band ratio {band.ratio:g}")
                if abs(weight) > 1e-9:
                    where = causes[rows[r].cause_index].short_name
                    interval.append((r, weight, _factor("age", _band_text(held), weight,
                                                        f"{where}: " + "; ".join(notes))))
            terms.append(tuple(interval))
        by_column[column] = tuple(terms)
    return tuple(bounds), by_column


def _band_text(held: Sequence[AgeBand]) -> str:
    """The ages the cause's own bands in force cover (their overlap), as the explanation shows them."""
    low = max(band.at_least for band in held)
    highs = [band.below for band in held if band.below is not None]
    if not highs:
        return f"{low:g}+ y"
    return f"<{min(highs):g} y" if low == 0 else f"{low:g}-<{min(highs):g} y"



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
    lat_w = _laterality_weights(form.unilateral, kb.default_unilateral)
    lat_why = {side: _laterality_why(form.unilateral, side, where, form.unilateral_estimate) for side in lat_w}
    form_factor = {}
    if named:
        form_factor = {age: _factor("form", form.id, log_share[age],
                                    f"{share[age]:.0%} of {cause.short_name} at this age is this form; "
                                    "the other forms add the rest of the score")
                       for age in AGE_KEYS if log_share[age] != NEG_INF}
    row = FormRow(
        cause_index=index, form_id=form.id if named else None, evidence=evidence, form_factor=form_factor,
        sex_factor={k: (_factor("sex", k, w, sex_why[k]) if abs(w) > 1e-9 else None) for k, w in sex_w.items()},
        laterality_factor={k: (_factor("laterality", k, w, lat_why[k]) if abs(w) > 1e-9 else None)
                           for k, w in lat_w.items()}, age=form.age)
    return row, present, absent, sex_w, lat_w


def _laterality_weights(unilateral: float, default: float) -> dict[str, float]:
    """ln P(side | cause) / P(side | nephrocalcinosis), for a cause with this one-sided share."""
    return {"unilateral": math.log(unilateral / default), "bilateral": math.log((1 - unilateral) / (1 - default))}


def _laterality_why(unilateral: float, side: str, where: str, estimate: bool = False) -> str:
    share = unilateral if side == "unilateral" else 1 - unilateral
    return f"about {share:.0%} of {where} is {side}" + (" [estimate]" if estimate else "")


def _evidence(clue: str, present: bool, weight: float, why: str, sources: Sequence[str]) -> Evidence:
    return {"clue": clue, "present": present, "weight": round(weight, 2), "why": why, "sources": list(sources)}


def _factor(factor: str, value: str, weight: float, why: str) -> Factor:
    return {"factor": factor, "value": value, "weight": round(weight, 2), "why": why}


def _bounded_entry(kb: KnowledgeBase, cause: Cause, form: Form, finding: Finding, present: Mapping[str, float],
                   absent: Mapping[str, float]) -> list[tuple[bool, float, Evidence | None]]:
    """A bounded entry (by age or sex) of a form's row, stated present and absent: (value, change from the row's usual
    weight for the clue, its evidence or None when the entry makes the clue neutral)."""
    named = len(cause.forms) > 1 or form.id != "typical"
    place = form.name if named and any(f.clue == finding.clue for f in form.own_findings) else cause.short_name
    label = kb.clues[finding.clue].label
    out: list[tuple[bool, float, Evidence | None]] = []
    for value, usual, lr in ((True, present, finding.lr_present), (False, absent, finding.lr_absent)):
        weight = math.log(lr)
        item = _evidence(finding.clue, value, weight, _why(label, finding, place, value),
                         finding.sources) if lr != 1.0 else None
        out.append((value, weight - usual.get(finding.clue, 0.0), item))
    return out


def _why(label: str, finding: Finding, place: str, present: bool) -> str:
    if finding.contradiction:
        text = f"{label} argues against {place} (likelihood ratio {finding.lr_present:.2g})"
    elif finding.frequency is None:
        lr = finding.lr_present if present else finding.lr_absent
        text = f"{label} {'present' if present else 'absent'}: likelihood ratio {lr:.3g} for {place}"
    elif present:
        text = f"{label} is {FREQUENCY_WORDS[finding.frequency]} in {place}"
    elif finding.lr_absent >= 1.0:  # a finding the cause seldom has: its absence fits the cause
        text = f"{label} absent, as expected: it is {FREQUENCY_WORDS[finding.frequency]} in {place}"
    else:
        text = f"{label} absent, though it is {FREQUENCY_WORDS[finding.frequency]} in {place}"
    if finding.age_bounded:
        text += f", at {finding.age_text()}"
    if finding.sex is not None:
        text += f", {finding.sex_text()}"
    if finding.note:
        text += f" ({finding.note})"
    if finding.estimate:
        text += " [estimate]"
    return text
