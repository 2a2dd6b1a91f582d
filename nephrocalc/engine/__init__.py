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
from pathlib import Path
from typing import NamedTuple

from nephrocalc.case import Case
from nephrocalc.engine.caveats import CaveatIndex
from nephrocalc.engine.fit import assess_fit, contradictory_groups, lacking
from nephrocalc.engine.table import AGE_KEYS, NEG_INF, UNKNOWN, GivenTerm, ScoringTable
from nephrocalc.intake import check_clues
from nephrocalc.knowledge import KnowledgeBase, RuleOut
from nephrocalc.result import NOTICE, Derivation, Entry, Evidence, Factor, Note, Result, RulePack
from nephrocalc.vocab import in_text

__all__ = ["AGE_KEYS", "Compiled", "Engine", "Evaluation", "ScoringTable", "age_key", "load_engine", "rank"]

_by_weight = itemgetter("weight")

# Displayed certainty is capped ("> 95%") unless a defining finding is present: one whose likelihood
# ratio is 20 or more (AUDIT §6.11: a calibrated tool does not show near-certainty from many weak,
# correlated findings).
CERTAINTY_CAP = 0.95
DEFINING_WEIGHT = math.log(20.0)
# A cause second or third at this probability or more is in view for a caveat's in_top3
CAVEAT_VIEW_FLOOR = 0.01
# a can't-miss cause shown at this probability or more has its rule-out test proposed (AUDIT D10)
RULE_OUT_FLOOR = 0.01
# A mimic among the first three at this probability or more gets a caveat saying what tells it apart
MIMIC_NOTE_FLOOR = 0.05


def _negative_weight(item: Evidence) -> float:
    return -item["weight"]


class Evaluation(NamedTuple):
    """A case scored: the case with its lab clues merged, the lab steps and warnings, the stated
    clues that count (some are set aside: see ``Engine.counted``) and the log score of every
    (cause, form) row. What ``rank`` turns into a ``Result``, and what guidance reads."""

    case: Case
    derived: list[Derivation]
    lab_warnings: list[Note]
    scores: list[float]
    counted: tuple[tuple[str, bool], ...] = ()
    notes: tuple[Note, ...] = ()
    entered: Case | None = None  # the case as given, before its lab clues were merged
    # the age-band terms and age-bounded findings in force (ScoringTable.age_terms_for / age_clues_for),
    # looked up once when scoring, for the explanation; None: look them up again
    age_terms: tuple[tuple[int, float, Factor], ...] | None = None
    age_clues: list[tuple[int, str, bool, float, Evidence | None]] | None = None
    # the given-background terms in force (ScoringTable.given_for), likewise; None: look them up again
    given: Sequence[tuple[str, bool, GivenTerm]] | None = None


def age_key(case: Case, kb: KnowledgeBase) -> str:
    """Which prior column applies: preterm, child, adult, or unknown (a mix)."""
    preterm = case.clues.get("preterm_infant")
    age = case.cause_age  # the age at which the nephrocalcinosis was found, else now
    if preterm is True and (age is None or age < 1):
        return "preterm"
    if age is None:
        return "unknown"
    if age < kb.ages.preterm_below_years and preterm is not False:
        return "preterm"
    return "child" if age < kb.ages.child_below_years else "adult"


class Engine:
    """Ranks cases against one knowledge base. Build once, call ``rank`` for each case."""

    def __init__(self, kb: KnowledgeBase, table: ScoringTable | None = None,
                 caveats: CaveatIndex | None = None) -> None:
        self.kb = kb
        self.table = table if table is not None else ScoringTable.build(kb)
        self._kb_label = f"{kb.name} {kb.version}"
        self._rules: list[RulePack] = [{"name": p.name, "version": p.version, "path": p.path} for p in kb.packs]
        self._caveats = caveats if caveats is not None else CaveatIndex(kb.caveats)
        # clue -> the clues it means by definition (clues.toml ``implies``): kidney failure is CKD
        self._implies = {clue.id: clue.implies for clue in kb.clues.values() if clue.implies}
        # clue -> False for a finding that suggests but never settles a cause: it does not lift the certainty cap
        self._defining = {clue.id: False for clue in kb.clues.values() if not clue.defining}
        # pattern -> the clues whose weight depends on it (few): a case without them skips that step
        self._interaction_clues = {
            pattern: frozenset(clue for row in self.table.causes for clue in row.interaction_evidence.get(pattern, {}))
            for pattern in self.table.interaction_patterns}
        # (pattern, clue) -> the rows that count the clue stated present in favour: filled as cases ask
        self._listed: dict[tuple[str, str], tuple[int, ...]] = {}
        # the can't-miss causes whose rule-out test answers a history (absent_settles = false): renal tuberculosis
        self._history_tests = tuple(
            row.cause for row in self.table.causes if row.cause.cant_miss and row.cause.rule_out is not None
            and not row.cause.rule_out.absent_settles and row.cause.rule_out.clue is not None)

    def with_implied_clues(self, case: Case) -> tuple[Case, list[Note]]:
        """The case with the clues its present clues mean by definition (clues.toml ``implies``: a kidney
        transplant or kidney failure is ``ckd``), and a note for each. An implied clue stated absent is
        read as present, as a clue stated both present and absent is: the note says so."""
        implies = self._implies
        if not implies:
            return case, []
        added: dict[str, list[str]] = {}
        for clue_id, value in case.clues.items():
            if value is True and clue_id in implies:
                for target in implies[clue_id]:
                    if case.clues.get(target) is not True:
                        added.setdefault(target, []).append(clue_id)
        if not added:
            return case, []
        notes: list[Note] = []
        for target, by in sorted(added.items()):
            because = " and ".join(sorted(by))
            meaning = self.kb.clues[target].description.rstrip(".")
            if case.clues.get(target) is False:
                message = (f"{target} was stated absent, but {because} stated present means it ({target}: "
                           f"{in_text(meaning)}): it was counted as present.")
            else:
                message = f"{target} counted as present: {because} means it ({target}: {in_text(meaning)})."
            notes.append({"id": f"implied_{target}", "sources": [], "message": message})
        return replace(case, clues={**case.clues, **dict.fromkeys(added, True)}), notes

    def _seen_on(self, clue_id: str, modality: str | None) -> bool:
        """Whether a finding stated on this imaging can settle a cause: one that only some imaging shows (its absence
        counts only there, ``absent_needs_modality``) does not lift a cause's certainty cap when reported from other
        imaging (tubular ectasia "seen" on ultrasound is an echogenic pyramid, which every medullary cause gives:
        medullary sponge kidney was shown at 99%; imaging review, round 73). A case without a modality is taken at
        its word."""
        clue = self.kb.clues.get(clue_id)
        needs = clue.absent_needs_modality if clue is not None else None
        return needs is None or modality is None or modality in needs

    def with_lab_clues(self, case: Case) -> tuple[Case, list[Derivation], list[Note]]:
        """The case with the clues its lab values give (stated clues win), and the steps taken."""
        if not case.labs:
            return case, [], []
        from nephrocalc.labs import interpret

        report = interpret(case, self.kb)
        return replace(case, clues=report.clues), report.derived, report.warnings

    def counted(self, case: Case, entered: Mapping[str, bool] | None = None
                ) -> tuple[tuple[tuple[str, bool], ...], list[Note]]:
        """The stated clues (lab clues merged) that count as evidence, in a fixed order, and why any
        do not: a finding contained in a stated diagnosis (``rta`` contains acidosis and alkaline
        urine) is not counted twice, findings that exclude each other (metabolic acidosis and alkalosis)
        are not counted when both are stated present, a finding stated absent on a modality that
        cannot show it (tubular ectasia without CT urography or IVU) is not counted as absent, and a
        preterm infant is counted in the preterm column's priors, not again as a finding."""
        notes: list[Note] = []
        skip: set[str] = set()
        clues = self.kb.clues
        for diagnosis, components in self.kb.supersedes.items():
            if case.clues.get(diagnosis) is True:
                inside = sorted(c for c in components if case.clues.get(c) is True)
                if inside:
                    skip.update(inside)
                    notes.append({"id": f"counted_in_{diagnosis}", "sources": [],
                                  "message": f"{', '.join(inside)} counted once, as part of {diagnosis}: "
                                  + ("that diagnosis already carries them (it is made of them, or causes them: an "
                                     "acidosis, a hypocitraturia), so they are not more evidence." if len(inside) > 1
                                     else "that diagnosis already carries it (it is made of it, or causes it: an "
                                     "acidosis, a hypocitraturia), so it is not more evidence.")})
                denied = sorted(c for c in components if case.clues.get(c) is False)
                if denied:  # the stated diagnosis governs; what argues against it is said, not silently dropped
                    skip.update(denied)
                    # said as it was known: a urine pH of 5.1 read as no alkaline urine was not "stated absent"
                    by_user = {entered is None or entered.get(c) is False for c in denied}
                    how = ("stated absent" if by_user == {True} else
                           "read absent from a lab value" if by_user == {False} else
                           "absent (as stated, or from a lab value)")
                    notes.append({"id": f"absent_in_{diagnosis}", "sources": [],
                                  "message": f"{', '.join(denied)} {how} but {diagnosis} stated present: "
                                  f"{diagnosis} is made of {'them' if len(denied) > 1 else 'it'}, so the absence was "
                                  f"not counted against it (treatment or an incomplete form can hide "
                                  f"{'them' if len(denied) > 1 else 'it'}); if absent when the diagnosis was made, "
                                  "check the diagnosis."})
        for rule in self.kb.set_aside:
            if (case.clues.get(rule.clue) is True and rule.clue not in skip
                    and all(case.clues.get(clue) is value for clue, value in rule.when)):
                skip.add(rule.clue)
                context = " and ".join(clue if value else f"no {clue}" for clue, value in rule.when)
                notes.append({"id": f"set_aside_{rule.clue}", "sources": list(rule.sources),
                              "message": f"{rule.clue} with {context} was not counted: {rule.message}"})
        for both, by in contradictory_groups(self.kb, case.clues):
            skip.update(both)
            notes.append({"id": f"contradictory_{'_'.join(both)}", "sources": [],
                          "message": f"{' and '.join(both)} are both present (as stated, or from a lab value), but "
                          "they are states of one "
                          "variable that exclude each other at one time: neither was counted, and "
                          + ("the fit is poor (give the untreated state at presentation)." if by is None else
                             f"with {by} stated, they are read as findings of different times (the fit is not "
                             "judged on them).")})
        # one state of a variable present makes the others absent: that absence is the same observation, so it is
        # not counted again (a PTH of 130 pg/mL counted x0.2 against milk-alkali syndrome as raised and x0.21 again
        # as not suppressed; an acidosis x0.02 and its "no alkalosis" x0.21 again: a clinician's review, round 66)
        for states in self.kb.exclusive:
            present = [c for c in states if case.clues.get(c) is True and c not in skip]
            implied = sorted(c for c in states if case.clues.get(c) is False and c not in skip)
            if len(present) == 1 and implied:
                skip.update(implied)
                # said of an absence the clinician stated (``entered``: the clues as given); one a lab value gave
                # beside the state it read is the same reading, and the note would only be noise
                said = [c for c in implied if entered is None or entered.get(c) is False]
                if said:
                    notes.append({"id": f"implied_absent_{'_'.join(said)}", "sources": [],
                                  "message": f"{', '.join(said)} stated absent follows from {present[0]}: states of "
                                  f"one variable, counted once, as {present[0]}."})
        for clue_id, value in sorted(case.clues.items()):  # notes in a fixed order, whatever the input's order
            needs = clues[clue_id].absent_needs_modality
            if value is False and needs is not None and case.modality not in needs:
                skip.add(clue_id)
                seen = f"on {case.modality}" if case.modality else "without a modality"
                notes.append({"id": f"absent_not_shown_{clue_id}", "sources": [],
                              "message": f"{clue_id} stated absent {seen} was not counted: only "
                              f"{' or '.join(needs)} can show it is absent."})
        column = age_key(case, self.kb) if case.clues.get("preterm_infant") is True else ""
        if column == "adult":
            # the nephrocalcinosis of prematurity is found in infancy and childhood: preterm birth is no evidence
            # about a calcification first found in an adult
            skip.add("preterm_infant")
            notes.append({"id": "set_aside_preterm_infant", "sources": [],
                          "message": "preterm_infant was not counted: preterm birth bears on nephrocalcinosis found "
                          "in infancy or childhood, not on one found in an adult."})
        if column == "preterm":
            # the preterm column's priors are P(cause | nephrocalcinosis, preterm infant): preterm birth is
            # already in them, and its likelihood ratio would count it a second time
            skip.add("preterm_infant")
            notes.append({"id": "counted_in_prior_preterm_infant", "sources": [],
                          "message": "preterm_infant counted once, in the priors of preterm infants, not again "
                          "as a finding."})
        # stated clues in a fixed order, so that float sums, and so ties, do not depend on input order
        return tuple(item for item in sorted(case.clues.items()) if item[0] not in skip), notes

    def row_scores(self, case: Case, counted: tuple[tuple[str, bool], ...] | None = None) -> list[float]:
        """The log score of every (cause, form) row for a case whose lab clues are already merged."""
        return self._scored(case, counted)[0]

    def _scored(self, case: Case, counted: tuple[tuple[str, bool], ...] | None = None
                ) -> tuple[list[float], tuple[tuple[int, float, Factor], ...],
                           list[tuple[int, str, bool, float, Evidence | None]],
                           Sequence[tuple[str, bool, GivenTerm]]]:
        """The row scores, with the age-band terms, age-bounded findings and given backgrounds that went
        into them."""
        table = self.table
        pattern = case.pattern or UNKNOWN
        column = age_key(case, self.kb)
        scores = table.base[(column, pattern)]
        if case.sex is not None:
            scores = list(map(add, scores, table.sex[case.sex]))
        if case.laterality is not None:
            scores = list(map(add, scores, table.laterality[(pattern, case.laterality)]))
        terms = table.age_terms_for(case.cause_age, column)
        if terms:
            scores = list(scores)
            for r, weight, _ in terms:
                scores[r] += weight
        clue_vectors = table.clue
        stated = counted if counted is not None else self.counted(case)[0]
        for clue_id, value in stated:
            scores = list(map(add, scores, clue_vectors[(pattern, clue_id, value)]))
        bounded = table.bounded_for(case.cause_age, pattern, stated, case.sex)
        if bounded:
            scores = list(scores)
            for r, _, _, delta, _ in bounded:
                scores[r] += delta
        given = table.given_for(stated)
        if given:
            scores = list(scores)
            for _, value, term in given:
                weight = term.weight[value]
                if value and pattern in term.under_interaction:
                    for r in term.rows:
                        scores[r] += term.present_weight(pattern, r)
                    continue
                for r in term.rows:
                    scores[r] += weight
        return scores, terms, bounded, given

    def _listed_rows(self, pattern: str, clue: str) -> tuple[int, ...]:
        """The rows (forms) for which ``clue`` stated present under ``pattern`` is evidence in favour."""
        key = (pattern, clue)
        listed = self._listed.get(key)
        if listed is None:
            listed = self._listed[key] = tuple(
                r for r, w in enumerate(self.table.clue.get((pattern, clue, True), ())) if w > 0.0)
        return listed

    def evaluate(self, case: Case) -> Evaluation:
        """Score a case: merge its lab clues and compute every row's log score."""
        check_clues(case, self.kb)
        # what the stated clues mean by definition first: the lab limits that ask for a stated clue see it
        implied, implied_notes = self.with_implied_clues(case)
        merged, derived, lab_warnings = self.with_lab_clues(implied)
        if derived:  # and what the clues derived from lab values mean
            merged, more = self.with_implied_clues(merged)
            implied_notes += more
        unweighed, message, sources = self.kb.laterality_unweighed
        if merged.laterality is not None and (present := [c for c in unweighed if merged.clues.get(c) is True]):
            # a transplant's graft is one kidney: its laterality says nothing of the causes (said, not dropped)
            implied_notes = [*implied_notes, {"id": "laterality_not_weighed", "sources": list(sources),
                                              "message": f"laterality {merged.laterality} was not weighed with "
                                              f"{' and '.join(present)}: {message}"}]
            merged = replace(merged, laterality=None)
        counted, notes = self.counted(merged, case.clues)
        lab_warnings = [*implied_notes, *lab_warnings]  # first: the lab limits read the implied clues
        scores, terms, bounded, given = self._scored(merged, counted)
        return Evaluation(merged, derived, lab_warnings, scores, counted, tuple(notes), case, terms, bounded, given)

    def rank(self, case: Case | Evaluation) -> Result:
        """Rank the causes for one case (or one already evaluated)."""
        evaluation = case if isinstance(case, Evaluation) else self.evaluate(case)
        case, derived, lab_warnings, scores, stated, counting_notes, entered, age_terms, age_clues, given = evaluation
        if age_terms is None or age_clues is None:  # an Evaluation built by hand: look them up
            age_terms = self.table.age_terms_for(case.cause_age, age_key(case, self.kb))
            age_clues = self.table.bounded_for(case.cause_age, case.pattern or UNKNOWN, stated, case.sex)
        if given is None:
            given = self.table.given_for(stated)
        table = self.table
        age = age_key(case, self.kb)
        pattern = case.pattern or UNKNOWN

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
                    if scores[r] != NEG_INF:
                        acc += exp(scores[r] - top)
                totals.append(top + math.log(acc))
            best_rows.append(best)

        # best first; ties broken by prior, then id (the precomputed tie-break order of this age)
        ranked = sorted(zip([-t for t in totals], table.tiebreak[age], range(len(totals)), strict=True))
        order = [i for _, _, i in ranked]
        top_score = totals[order[0]]
        temperature = self.kb.calibration.temperature  # fitted on published patients (bench/evaluate.py)
        exps = [math.exp((totals[i] - top_score) / temperature) for i in order]
        norm = sum(exps)
        unrounded = [e / norm for e in exps]
        probabilities = _rounded_probabilities(unrounded)

        # evidence of every form row, from the inverted index: only rows that list a clue are touched
        supporting_by_row: dict[int, list[Evidence]] = {}
        conflicting_by_row: dict[int, list[Evidence]] = {}
        for key in stated:
            for r, item in table.supporting.get(key, ()):
                supporting_by_row.setdefault(r, []).append(item)
            for r, item in table.conflicting.get(key, ()):
                conflicting_by_row.setdefault(r, []).append(item)
        for r, clue_id, value, _, bounded in age_clues:
            # an age-bounded entry replaces the row's usual evidence for the clue
            for by_row in (supporting_by_row, conflicting_by_row):
                if r in by_row:
                    by_row[r] = [e for e in by_row[r] if not (e["clue"] == clue_id and e["present"] is value)]
            if bounded is not None:
                (supporting_by_row if bounded["weight"] > 0 else conflicting_by_row).setdefault(r, []).append(bounded)
        for _, value, term in given:
            # a clue that follows from a stated one: the causes that do not list it take its given background
            if (given_item := term.evidence[value]) is not None:
                by_row = supporting_by_row if given_item["weight"] > 0 else conflicting_by_row
                under = term.under_interaction.get(pattern, {}) if value else {}
                for r in term.rows:
                    if r not in under:
                        by_row.setdefault(r, []).append(given_item)
                    elif (left := round(under[r], 2)) >= 0.01:  # what the given background adds to the pattern's
                        by_row.setdefault(r, []).append({**given_item, "weight": left, "why": given_item["why"]
                                                         + ", beyond what the pattern already gives it"})
        entries: list[Entry] = []
        clue_defining = self._defining
        contexts = table.context[(pattern, age)]
        sex, laterality = case.sex, case.laterality
        age_factors = {r: factor for r, _, factor in age_terms}
        watched = self._interaction_clues.get(pattern, frozenset())
        with_interactions = bool(watched) and any(value and clue in watched for clue, value in stated)
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
            if len(cause_row.rows) > 1 and (other_forms := totals[i] - scores[best]) >= 0.005:
                # log-sum-exp over the forms minus the best form's own score: what the other forms add
                context.append({"factor": "forms", "value": "other forms", "weight": floor(other_forms * 100 + 0.5)
                                / 100, "why": "the cause's other forms add their share of the score"})
            if sex is not None and (factor := row.sex_factor[sex]) is not None:
                context.append(factor)
            if laterality is not None and (factor := row.laterality_at.get(
                    (pattern, laterality), row.laterality_factor[laterality])) is not None:
                context.append(factor)
            if best in age_factors:
                context.append(age_factors[best])
            entries.append({
                "rank": rank, "cause": cause.id, "name": cause.name, "distribution": cause.distribution,
                "score": floor(totals[i] * 1e3 + 0.5) / 1e3, "probability": probability,
                "prior": cause_row.shown_prior[age], "log_prior": cause_row.log_prior[age], "form": row.form_id,
                "form_share": (floor(exp(scores[best] - totals[i]) * 100 + 0.5) / 100
                               if len(cause_row.rows) > 1 and row.form_id is not None else None),
                "cant_miss": cause.cant_miss, "mimic": cause.mimic,
                "supporting": supporting, "conflicting": conflicting, "context": context,
                "capped": probability > CERTAINTY_CAP and (
                    not any(e["weight"] >= DEFINING_WEIGHT and clue_defining.get(e["clue"], True) for e in supporting)
                    # a defining finding does not lift the cap when the cause lacks one it nearly always has
                    or bool(lacking(self.kb, conflicting))
                    # nor when the cause does not itself calcify the kidneys (FHH): the calcification is unexplained
                    or not cause.calcifies)})
        # a structural diagnosis is not near-certain until its defining finding is stated (cause [certainty]:
        # medullary sponge kidney without tubular ectasia on CT urography or IVU)
        lead = self.kb.causes.get(entries[0]["cause"]) if entries else None
        limit = lead.certainty if lead is not None else None
        if limit is not None and entries[0]["probability"] > limit.cap and (
                limit.unless is None or not any(case.clues.get(clue) is True and self._seen_on(clue, case.modality)
                                                 for clue in limit.lifted_by)):
            entries[0]["capped"] = True
            _cap_certainty(entries, unrounded, limit.cap)
        elif entries and entries[0]["capped"]:
            _cap_certainty(entries, unrounded)
        ranking = [entry["cause"] for entry in entries]
        # a caveat's in_top3 reads the causes in view: the leader, and the second and third when shown at 1% or more
        # (a preterm-nephrocalcinosis sentence followed a hypercalciuria third at 0.0002% behind Bartter syndrome)
        in_view = ranking[:1] + [e["cause"] for e in entries[1:3] if e["probability"] >= CAVEAT_VIEW_FLOOR]
        caveats, warnings, consider = self._caveats.notes(case, in_view)
        mimics = [self.kb.causes[e["cause"]] for e in entries[:3]
                  if e["mimic"] and e["probability"] >= MIMIC_NOTE_FLOOR and e["cause"] in self.kb.causes]
        if mimics:  # what tells a mimic apart (issue 11), first: it changes what the ranking means
            notes: list[Note] = [{"id": f"mimic_{cause.id}", "sources": list(cause.sources),
                                  "message": f"{cause.short_name} is a mimic (it imitates nephrocalcinosis or one of "
                                  f"its causes without causing it): {cause.tells_apart}"}
                                 for cause in mimics if cause.tells_apart]
            caveats = [*notes, *caveats]
        used = self.kb.used_clues
        unused = sorted(clue for clue, value in case.clues.items() if value and clue not in used)
        # the open world counts such a finding unless [[other.findings]] makes it neutral (a low albumin, common in
        # any illness and given to correct the calcium): each is said as it is weighed
        neutral = [clue for clue in unused if clue in self.kb.other_neutral]
        counted = [clue for clue in unused if clue not in neutral]
        if counted:
            warnings.append({"id": "clues_not_used", "message": "No cause of the knowledge base lists "
                             + ", ".join(counted) + (": they count" if len(counted) > 1 else ": it counts")
                             + " only for a cause outside the knowledge base (other).", "sources": []})
        if neutral:
            warnings.append({"id": "clues_not_used", "message": "No cause of the knowledge base lists "
                             + ", ".join(neutral) + ": as a finding"
                             + (" they change" if len(neutral) > 1 else " it changes")
                             + " no cause's score (a lab it comes from may still be used: a low albumin corrects the "
                             "calcium).", "sources": []})
        # a finding stated present that only forms impossible for this patient list (an obstetric catastrophe in a man
        # or a child): counted for no cause, so said, as a mistyped sex or age is the likely reason
        leader = max(totals)
        for clue, value in stated:
            if not value:
                continue
            # (the forms it counts for: one that counts only against a cause says nothing of the person when that
            # cause is out of the running, as a low albumin against Dent disease)
            listed = self._listed_rows(pattern, clue)
            # under one in a million of the leading cause: a form the sex or age rules out (female = 1.0 by definition)
            if listed and all(scores[r] - leader < IMPOSSIBLE_LOG for r in listed):
                holders = sorted({row.cause.short_name for row in table.causes if set(row.rows) & set(listed)})
                # the prior at this age and pattern, with the sex and the age bands, before any finding: when that
                # already rules the forms out, the sex or the age is the likely slip; else other findings did (a
                # thiazide with hypercalcaemia, which idiopathic hypercalciuria cannot have: blind battery 40)
                base = table.base[(age, pattern)]
                by_sex = table.sex[case.sex] if case.sex is not None else None
                banded = {r: weight for r, weight, _ in age_terms}
                before_findings = [base[r] + (by_sex[r] if by_sex is not None else 0.0) + banded.get(r, 0.0)
                                   for r in range(len(base))]
                top_before = max(before_findings)
                by_person = all(before_findings[r] - top_before < IMPOSSIBLE_LOG for r in listed)
                warnings.append({"id": f"impossible_{clue}", "sources": [],
                                 "message": f"{clue} was counted for no cause: the causes that have it ("
                                 + ", ".join(holders) + ") are all but ruled out for this patient "
                                 + ("by the sex or the age. Check the sex and the age." if by_person else
                                    "by other findings, which it does not change.")})
        # stated absent by the user: a lab value within its limits (an albumin given to correct the calcium) is
        # not worth a warning that it changes nothing
        if age == "preterm" and case.clues.get("preterm_infant") is None and case.cause_age:
            # a neonate of the first month, gestation not stated: the preterm column is an assumption, so say it
            warnings.append({"id": "neonate_weighed_as_preterm", "sources": [],
                             "message": "A neonate in the first month whose gestation is not stated is weighed with "
                             "the priors of preterm and sick neonates, where nephrocalcinosis of prematurity leads: "
                             "state preterm_infant (--preterm-infant or --no-preterm-infant)."})
        stated_clues = (entered or case).clues
        unused_absent = sorted(clue for clue, value in stated_clues.items() if not value and clue not in used)
        if unused_absent:
            warnings.append({"id": "absent_clues_not_used", "message": "No cause of the knowledge base lists "
                             + ", ".join(unused_absent) + ": stated absent, "
                             + ("they change" if len(unused_absent) > 1 else "it changes") + " nothing.",
                             "sources": []})
        warnings = [*lab_warnings, *counting_notes, *warnings]
        caveats = [*caveats, *self._history_rule_outs(case, entries)]
        return {"id": case.id, "pattern": case.pattern, "differential": entries,
                "fit": assess_fit(self.kb, case, stated, entries, consider), "derived": derived,
                "caveats": caveats, "warnings": warnings, "knowledge_base": self._kb_label,
                "rules": self._rules, "notice": NOTICE, "case": (entered or case).to_dict()}

    def _history_rule_outs(self, case: Case, entries: Sequence[Entry]) -> list[Note]:
        """A can't-miss cause whose rule-out test answers a finding stated absent as a history (``absent_settles =
        false``: "no known tuberculosis"), where the test is due (the cause shown at RULE_OUT_FLOOR or more, one of
        its triggers stated, or a patient under its age): the test, as a caveat, in diff and batch alike, since a
        given clue never appears among next_findings (CONTRACT.md section 5; blind battery 76; robustness round 82:
        batch left it out)."""
        notes: list[Note] = []
        for cause in self._history_tests:
            rule_out = cause.rule_out
            if rule_out is None or rule_out.clue is None or case.clues.get(rule_out.clue) is not False \
                    or (rule_out.lab is not None and rule_out.lab in case.labs):
                continue
            shown = next((entry["probability"] for entry in entries if entry["cause"] == cause.id), 0.0)
            if rule_out_due(rule_out, shown, case) is None:
                continue
            label = self.kb.clues[rule_out.clue].label
            finding = label[0].lower() + label[1:] if label[1:2].islower() else label
            notes.append({"id": f"rule_out_{cause.id}", "sources": list(rule_out.sources),
                          "message": f"{cause.name}: {finding} stated absent is a history, which does not rule it "
                          f"out: {rule_out.test} settles it."})
        return notes


def rule_out_due(rule_out: RuleOut, probability: float, case: Case) -> tuple[list[str], bool] | None:
    """Whether a can't-miss cause's rule-out test is due (AUDIT D10): None when not; else the findings that call for it
    below RULE_OUT_FLOOR (``when_present``: sterile pyuria for renal tuberculosis), and whether it is due only as the
    test every patient under its age has (primary hyperoxaluria in a child [Hoppe10])."""
    if probability >= RULE_OUT_FLOOR:
        return [], False
    triggers = [trigger for trigger in rule_out.when_present if case.clues.get(trigger) is True]
    if triggers:
        return triggers, False
    if rule_out.below_age is not None and case.cause_age is not None and case.cause_age < rule_out.below_age:
        return [], True
    return None


def _with_interactions(case: Case, interactions: Mapping[str, Evidence], supporting: list[Evidence],
                       conflicting: list[Evidence]) -> tuple[list[Evidence], list[Evidence]]:
    """Evidence of clues whose weight depends on the pattern replaces their ordinary evidence."""
    replaced = {clue for clue in interactions if case.clues.get(clue) is True}
    if not replaced:
        return supporting, conflicting
    # a given background's term is kept: it is added to the pattern's weight, not replaced by it
    supporting = [e for e in supporting if not (e["present"] and e["clue"] in replaced and "given" not in e)]
    conflicting = [e for e in conflicting if not (e["present"] and e["clue"] in replaced and "given" not in e)]
    for clue in sorted(replaced):
        item = interactions[clue]
        if item["weight"] > 0:
            supporting.append(item)
        elif item["weight"] < 0:
            conflicting.append(item)
        # a weight of 0 (an interaction that neutralises the clue under this pattern) is no evidence
    return supporting, conflicting


def _cap_certainty(entries: list[Entry], unrounded: Sequence[float], cap: float = CERTAINTY_CAP) -> None:
    """Certainty without a defining finding is capped (AUDIT D10): the leading cause is stated at
    CERTAINTY_CAP and what it loses is shared among the others in proportion, so that the ranking and
    the sum of 1 hold. The shares are worked out from the unrounded probabilities (``unrounded``, in the
    entries' order): scaling values already rounded to 6 decimals would scale their rounding too. The
    entry keeps ``capped`` true: its score says how far above the cap it was."""
    top = entries[0]
    rest = 1.0 - unrounded[0]
    if cap < 0.5 and len(unrounded) > 1 and rest > 0.0:
        # a cap under one half must not put the leader below the second, which takes its share of the excess:
        # the second scaled is unrounded[1] * (1 - cap) / rest, at most the cap when cap >= s / (rest + s)
        # (rounded up to the 6 decimals every probability is given in, so that rounding cannot undo it)
        cap = max(cap, math.ceil(unrounded[1] / (rest + unrounded[1]) * 1e6) / 1e6)
    excess = unrounded[0] - cap
    top["probability"] = cap
    others = entries[1:]
    if not others:  # pragma: no cover - the differential always holds every cause and `other`
        top["probability"] = 1.0
        return
    floor = math.floor
    if rest > 0.0:
        scale = 1.0 + excess / rest
        for entry, value in zip(others, unrounded[1:], strict=True):
            entry["probability"] = floor(value * scale * 1e6 + 0.5) / 1e6
    else:  # every other cause underflowed to 0: the open world takes what the leading cause gives up
        target = next((e for e in others if e["cause"] == "other"), others[0])
        target["probability"] = floor(excess * 1e6 + 0.5) / 1e6
    # the rounding remainder goes to the second entry, so that the leading one stays exactly at the cap
    others[0]["probability"] = _round(others[0]["probability"] + 1.0 - sum(e["probability"] for e in entries), 1e6)
    if others[0]["probability"] > top["probability"]:
        # a cap raised to the second's level (under one half) can meet the second's rounding remainder and lose by a
        # millionth (robustness round 60: 0.475653 before 0.475654): the two share their sum, the leader the larger
        both = top["probability"] + others[0]["probability"]
        top["probability"] = math.ceil(both * 5e5 - 1e-6) / 1e6
        others[0]["probability"] = _round(both - top["probability"], 1e6)
    # a remainder taken from the second of two near-tied causes can put it below the third: scaling and rounding
    # are monotone, so putting the values back in rank order (same values, same sum) keeps ranks and probabilities
    # in step (a preterm infant with a metabolic alkalosis showed ranks 2 and 3 at 0.018368 and 0.018369)
    if len(others) > 1 and others[0]["probability"] < others[1]["probability"]:
        for entry, value in zip(others, sorted((e["probability"] for e in others), reverse=True), strict=True):
            entry["probability"] = value


def _round(value: float, scale: float) -> float:
    """Round half up to 1/scale: much faster than round(value, n), which goes through decimal digits."""
    return math.floor(value * scale + 0.5) / scale


def _rounded_probabilities(values: list[float]) -> list[float]:
    """Round to 6 decimals, keeping the sum at 1 (the remainder goes to the largest, which comes first)."""
    floor = math.floor
    rounded = [floor(v * 1e6 + 0.5) / 1e6 for v in values]
    if rounded:  # values come best first: the largest is the first
        rounded[0] = _round(rounded[0] + (1.0 - sum(rounded)), 1e6)
        if abs(sum(rounded) - 1.0) > 1e-9:  # pragma: no cover - rounding leaves at most ~1e-16
            rounded[0] += 1.0 - sum(rounded)
        # a remainder taken from the first of two tied causes would put it below the second: rounding is
        # monotone, so putting the values back in order (same values, same sum) keeps ranks and probabilities
        # in step
        if len(rounded) > 1 and rounded[0] < rounded[1]:
            rounded.sort(reverse=True)
    return rounded


class Compiled(NamedTuple):
    """A knowledge base, its scoring table and caveat index, cached together (pure functions of the rules)."""

    kb: KnowledgeBase
    table: ScoringTable
    caveats: CaveatIndex


def load_engine(packs: Sequence[Path] = ()) -> Engine:
    """The engine for the built-in rules with ``packs`` laid over them. The compiled knowledge base and
    its scoring table are cached on disk together, under the key of the rule files and the code."""
    from nephrocalc.loader import knowledge_key, load_knowledge_base

    def build() -> Compiled:
        kb = load_knowledge_base(packs=packs, use_cache=False)
        return Compiled(kb, ScoringTable.build(kb), CaveatIndex(kb.caveats))

    key = knowledge_key("engine", None, packs)
    if key is None:
        compiled = build()
    else:
        from nephrocalc.cache import cached

        compiled = cached(key, build, expect=Compiled)
    return Engine(compiled.kb, compiled.table, compiled.caveats)


IMPOSSIBLE_LOG = math.log(1e-6)  # a row this far below the leading cause is one the patient's sex or age rules out


def rank(case: Case, kb: KnowledgeBase) -> Result:
    """Rank one case (builds the scoring table; use ``Engine`` for many cases)."""
    return Engine(kb).rank(case)
