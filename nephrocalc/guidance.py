"""Which finding to check next: the expected information gain of each unknown clue. Pure.

For the current case the engine gives every (cause, form) row a posterior weight. For an unknown
clue k the knowledge base gives P(k | row): the finding's frequency where the row's cause lists
it, the clue's background rate where it does not (the same numbers the scores are made of). The
gain of k is the mutual information, in bits, between k and the cause among the leading causes:

    gain(k) = H(cause) - [ P(k) H(cause | k present) + P(not k) H(cause | k absent) ]

that is, how much the entropy of the differential between the leading causes is expected to fall
once k is known, as in the question selection of INTERNIST-1/QMR and DXplain [Miller82].
"""

import math
import re
from collections.abc import Mapping, Sequence

from nephrocalc.case import Case
from nephrocalc.engine import Engine, Evaluation, rule_out_due
from nephrocalc.knowledge import Clue, lab_for
from nephrocalc.result import AskResult, NextFinding, Note, Result
from nephrocalc.vocab import is_number


def diff(engine: Engine, case: Case, notes: Sequence[Note] = ()) -> Result:
    """The full result of `nephrocalc diff`: the ranking with the findings worth checking next;
    ``notes`` are warnings from reading the input (a phenopacket's unmapped terms), listed first."""
    evaluation = engine.evaluate(case)
    result = engine.rank(evaluation)
    result["next_findings"] = next_findings(engine, evaluation, shown=_probabilities(result))
    if notes:
        result["warnings"] = [*notes, *result["warnings"]]
    return result


MIN_GAIN = 1e-3  # bits: below this a clue is not worth asking about
_LOG2 = math.log(2.0)


def _entropy(weights: list[float], total: float) -> float:
    if total <= 0.0:
        return 0.0
    h = 0.0
    for w in weights:
        if w > 0.0:
            p = w / total
            h -= p * math.log(p)
    return h / _LOG2


# a can't-miss cause at or above this probability, as the ranking shows it, gets its rule-out test proposed (AUDIT
# section 6.10: "a floor (e.g. >=2%)"). Until now the floor was read on the untempered weights, where 2% is about 1%
# of what the table shows; 1% of the shown probability keeps the tests two blind scenarios asked for (renal TB at
# 1.7% with cortical CKD, infantile primary hyperoxaluria at 1.1% with growth failure) and says what it means.

LEADING_MASS = 0.95  # the leading causes: the first causes that hold 95% of the probability,
LEADING_MIN, LEADING_MAX = 2, 5  # at least two and at most five of them


def _probabilities(result: Result) -> dict[str, float]:
    """Each cause's probability as the ranking shows it (calibrated, capped): what the rule-out floor is read on."""
    return {entry["cause"]: entry["probability"] for entry in result["differential"]}


def next_findings(engine: Engine, evaluation: Evaluation, *, limit: int = 10,
                  exclude: frozenset[str] = frozenset(), shown: Mapping[str, float] | None = None) -> list[NextFinding]:
    """The unknown clues of an evaluated case that would best separate the leading causes, most
    informative first; ``exclude`` drops clues answered "unknown".

    The gain is the mutual information between the clue and the cause among the leading causes
    (CONTRACT.md section 5: "the unknown clues that would best separate the leading causes"):
    a clue that only tells apart causes already far behind is not worth a question.
    """
    weights = _weights(engine, evaluation)
    found = [item for item, _ in _candidates(engine, evaluation, weights, exclude)]
    settings = engine.kb.interview
    for item in found:  # UX review 13: the table proposed parathyroid imaging before a serum calcium
        item["priority"] = round(item["gain"] * (1.0 if item["clue"] in settings.first_line else settings.other_weight),
                                 4)
    shown = shown if shown is not None else _probabilities(engine.rank(evaluation))
    return _with_rule_outs(engine, evaluation.case, shown, found, exclude)[:limit]


def _weights(engine: Engine, evaluation: Evaluation) -> tuple[list[float], list[float], float]:
    """Each (cause, form) row's weight relative to the best, each cause's (its rows summed), and their sum."""
    scores = evaluation.scores
    top = max(scores)
    row_weight = [math.exp(s - top) if s != float("-inf") else 0.0 for s in scores]
    cause_weight = [sum(row_weight[r] for r in row.rows) for row in engine.table.causes]
    return row_weight, cause_weight, sum(cause_weight)


def _waits_for_context(engine: Engine, case: Case, clue_id: str, answered: frozenset[str]) -> bool:
    """A finding whose lab is read only in a context not yet known is asked after it: a PTH means something
    only beside the calcium (AUDIT D1), a urine pH only beside the acid-base state (D2). True when every
    reference limit that reads the finding present needs a clue the case does not give yet, nor was answered
    unknown (then the finding is asked after all)."""
    lab_id = engine.kb.clue_labs.get(clue_id)
    lab = engine.kb.labs.get(lab_id) if lab_id is not None else None
    if lab is None:
        return False
    reading = [limit for limit in lab.limits if limit.clue == clue_id and limit.derive and limit.derive_present]
    # a limit that also needs another lab's value (a PTH with a calcium above 10 mg/dL) waits for that lab too
    # (robustness round 67: with no hypocalcaemia stated, the PTH was asked before the calcium)
    return bool(reading) and all(any(needed not in case.clues and needed not in answered
                                     for needed, _ in limit.requires)
                                 or any(other not in case.labs for other, _, _ in limit.present_requires_lab)
                                 for limit in reading)


def _settled(engine: Engine, case: Case) -> set[str]:
    """The other states of an [[exclusive]] group one of whose states is stated present (a metabolic alkalosis
    beside a stated acidosis, a suppressed PTH beside a raised one): answered already, so not proposed (UX review
    84), neither as a question nor as a can't-miss cause's rule-out test."""
    stated_present = {clue_id for clue_id, value in case.clues.items() if value is True}
    return {other for states in engine.kb.exclusive if stated_present & set(states)
            for other in states if other not in stated_present}


def _candidates(engine: Engine, evaluation: Evaluation, weights: tuple[list[float], list[float], float],
                exclude: frozenset[str], *, measurements: bool = False) -> list[tuple[NextFinding, float]]:
    """Every unknown clue worth asking about, by gain (most informative first), each with the
    probability that it is present among the leading causes. With ``measurements``, a finding that is one state
    of a measurement ([[exclusive]] findings read off one lab: a metabolic acidosis or alkalosis from the
    bicarbonate) gains what the measurement tells, all its states at once (``_measurement_gains``)."""
    table = engine.table
    case = evaluation.case
    row_weight, cause_weight, total = weights
    cause_rows = [row.rows for row in table.causes]
    order = sorted(range(len(cause_weight)), key=lambda i: -cause_weight[i])
    leading: list[int] = []
    mass = 0.0
    for i in order:
        leading.append(i)
        mass += cause_weight[i] / total
        if len(leading) >= LEADING_MAX or (mass >= LEADING_MASS and len(leading) >= LEADING_MIN):
            break
    lead_total = sum(cause_weight[i] for i in leading)
    lead_p = [cause_weight[i] / lead_total for i in leading]
    h_now = _entropy(lead_p, 1.0)
    if h_now <= 0.0:
        return []
    # age-bounded findings in force at this age change P(clue present | row) as they change the score
    at_age: dict[str, list[tuple[int, float]]] = {}
    age = case.cause_age  # as the engine weighs the causes
    if age is not None:
        for low, high, r, bounded_clue, value, delta, _ in table.age_clues:
            if value and low <= age and (high is None or age < high):
                at_age.setdefault(bounded_clue, []).append((r, delta))
    if case.sex is not None:  # and the sex-bounded ones of the patient's sex, in place of a row's age-bounded one
        for (bounded_clue, value), entries in table.sex_clue_index.items():
            for entry_sex, r, delta, _ in entries:
                if value and entry_sex == case.sex:
                    at_age[bounded_clue] = [*(item for item in at_age.get(bounded_clue, ()) if item[0] != r),
                                            (r, delta)]
    # a stated diagnosis-level clue (rta) carries its components: the engine counts them once, as part of it,
    # whatever their answer, so asking them can change nothing (robustness round 70: ask spent three questions)
    carried = {component for diagnosis, components in engine.kb.supersedes.items()
               if case.clues.get(diagnosis) is True for component in components}
    stated_present = frozenset(clue_id for clue_id, value in case.clues.items() if value is True)
    settled = _settled(engine, case)
    found: list[tuple[NextFinding, float]] = []
    vectors: dict[str, list[float]] = {}  # clue -> P(present and cause) for each leading cause
    for clue_id, clue in engine.kb.clues.items():
        if clue_id in case.clues or clue_id in exclude or clue_id in engine.kb.supersedes:
            continue  # a diagnosis-level clue (rta) is what the questions lead to, not a question
        if clue_id in carried or clue_id in settled:
            continue
        if _waits_for_context(engine, case, clue_id, exclude):
            continue
        if clue.asked_below is not None and case.age_years is not None and case.age_years >= clue.asked_below:
            continue  # a child's finding (growth failure) is not a question for an adult
        log_lr = table.clue[(case.pattern or "unknown", clue_id, True)]
        if clue_id in at_age:
            log_lr = list(log_lr)
            for r, delta in at_age[clue_id]:
                log_lr[r] += delta
        if (given := table.given_term(clue_id, stated_present)) is not None:
            # with its given clue stated, the causes that do not list it have it at its given background
            log_lr = list(log_lr)
            for r in given.rows:
                log_lr[r] += given.present_weight(case.pattern or "unknown", r)
        # the ratios that count only beside a stated clue (the open world's [[other.findings]] with given, the
        # causes' conditional contradictions) count here as they would in the score: hyperoxaluria in an adult
        # makes bariatric surgery a question for the open world (blind battery 45)
        for term in table.conditional.get(clue_id, ()):
            if case.clues.get(term.given) is True and not any(case.clues.get(u) is True for u in term.unless) \
                    and term.weight[True] != 0.0:
                log_lr = list(log_lr)
                for r in term.rows:
                    log_lr[r] += term.weight[True]
        background = clue.background_at(age, engine.kb.ages.child_below_years)
        # P(clue present | row): the finding's frequency, or the background rate where unlisted
        present = [sum(row_weight[r] * min(0.99, background * math.exp(log_lr[r])) for r in cause_rows[i])
                   / lead_total for i in leading]
        p_k = sum(present)
        vectors[clue_id] = present
        absent = [p - j for p, j in zip(lead_p, present, strict=True)]
        gain = h_now - (p_k * _entropy(present, p_k) + (1.0 - p_k) * _entropy(absent, 1.0 - p_k))
        if gain < MIN_GAIN:
            continue
        ratio = sorted(((present[n] / lead_p[n], leading[n]) for n in range(len(leading))),
                       key=lambda item: (-item[0], item[1]))
        separates = [table.causes[ratio[0][1]].cause.id, table.causes[ratio[-1][1]].cause.id] \
            if ratio[0][0] - ratio[-1][0] > 0.05 else []
        item: NextFinding = {"clue": clue_id, "label": clue.label, "gain": math.floor(gain * 1e4 + 0.5) / 1e4,
                             "separates": separates, "lab": lab_for(engine.kb, clue_id, case.age_years)}
        if item["lab"] is not None and item["lab"] in case.labs:
            item["lab_given"] = True
        if item["lab"] is None and clue.test:
            item["test"] = clue.test
        found.append((item, p_k))
    if measurements:
        for clue_id, gain in _measurement_gains(engine, vectors, lead_p, h_now).items():
            for item, _ in found:
                if item["clue"] == clue_id and gain > item["gain"]:
                    item["gain"] = math.floor(gain * 1e4 + 0.5) / 1e4
    found.sort(key=lambda item: (-item[0]["gain"], item[0]["clue"]))
    return found


def _measurement_gains(engine: Engine, vectors: Mapping[str, list[float]], lead_p: list[float], h_now: float
                       ) -> dict[str, float]:
    """The gain of each measurement whose states are [[exclusive]] findings read off one lab, for each of its
    unknown states: what the whole answer tells (acidosis, alkalosis or neither), where each state asked alone
    tells only itself. A clinician asks for the bicarbonate, not for an acidosis: asked one state at a time, the
    acid-base state lost its turn to findings seldom at hand once distal RTA had a form without acidosis."""
    gains: dict[str, float] = {}
    for states in engine.kb.exclusive:
        members = [clue for clue in states if clue in vectors]
        one_lab = engine.kb.lab_siblings.get(members[0], frozenset()) if members else frozenset()
        if len(members) < 2 or not set(members) <= one_lab:
            continue
        outcomes = [list(vectors[clue]) for clue in members]
        for i, p in enumerate(lead_p):  # the states exclude each other: together at most the cause's share
            held = sum(outcome[i] for outcome in outcomes)
            if held > 0.99 * p:
                for outcome in outcomes:
                    outcome[i] *= 0.99 * p / held
        outcomes.append([p - sum(outcome[i] for outcome in outcomes) for i, p in enumerate(lead_p)])
        gain = h_now - sum(sum(outcome) * _entropy(outcome, sum(outcome)) for outcome in outcomes)
        for clue in members:
            gains[clue] = max(gains.get(clue, 0.0), gain)
    return gains


def _workup(clue: Clue) -> str:
    """The part of the work-up a finding belongs to, for ``[interview] unknown_group_weight``: its help group
    (calcium axis, acid-base, imaging, history), except that an exposure (a clue with drugs or agents) is
    part of the drug history wherever its flag is listed. A vitamin D treatment not known says nothing of
    whether the calcium was measured: halving the calcium axis for it had a boy of ten, every answer unknown,
    asked about calcium phosphate stones and nephrolithiasis before any finding of his calcium axis."""
    return "exposures" if clue.agents else clue.group


def interview_question(engine: Engine, evaluation: Evaluation, exclude: frozenset[str] = frozenset(),
                       shown: Mapping[str, float] | None = None,
                       unanswered: Sequence[str] | None = None) -> NextFinding | None:
    """The question `ask` puts next.

    Harm first: a can't-miss cause's rule-out test (as in next_findings). Otherwise the finding
    with the best gain x weight, where the weight is 1 for the first-line work-up and
    ``[interview] other_weight`` for the rest (knowledge_base.toml): a question is worth what it
    would tell times the chance that the answer is at hand. Of findings read off the same lab
    (metabolic acidosis or alkalosis from the bicarbonate; high or low PTH), the one more likely
    present is asked: the lab's value answers either, and a present finding is the one a
    clinician will have noted.
    """
    shown = shown if shown is not None else _probabilities(engine.rank(evaluation))
    urgent = _with_rule_outs(engine, evaluation.case, shown, [], exclude)
    if urgent:
        return urgent[0]
    candidates = _candidates(engine, evaluation, _weights(engine, evaluation), exclude, measurements=True)
    if not candidates:
        return None
    settings = engine.kb.interview
    # a finding answered "unknown" says its work-up has not been done: the other findings of its group (the calcium
    # axis, acid-base, imaging, history) are likely unknown too, so each such answer weighs them down and the
    # interview turns to what may be at hand ([interview] unknown_group_weight). ``unanswered`` holds the findings
    # answered "unknown" (with the other readings of the same measurement); a finding left out because its
    # measurement is known (the low calcium of a high one, the readings of a lab value given as an answer) is a
    # work-up done, and weighs nothing down. Without it, every excluded finding counts as unknown.
    counted = exclude if unanswered is None else unanswered
    groups = [_workup(engine.kb.clues[clue]) for clue in counted if clue in engine.kb.clues]
    best, _ = max(candidates, key=lambda item: item[0]["gain"] * (
        1.0 if item[0]["clue"] in settings.first_line else settings.other_weight)
        * settings.unknown_group_weight ** groups.count(_workup(engine.kb.clues[item[0]["clue"]])))
    siblings = engine.kb.lab_siblings.get(best["clue"], frozenset())
    if len(siblings) > 1:
        same_lab = [item for item in candidates if item[0]["clue"] in siblings]
        best = max(same_lab, key=lambda item: item[1])[0]
    return best


def _with_rule_outs(engine: Engine, case: Case, shown: Mapping[str, float],
                    found: list[NextFinding], exclude: frozenset[str]) -> list[NextFinding]:
    """Harm first: a can't-miss cause at or above RULE_OUT_FLOOR, or with one of its rule-out triggers
    stated present (``when_present``: sterile pyuria for renal tuberculosis), that is not yet settled gets
    its rule-out test proposed ahead of the information-gain order (AUDIT D10: missing renal TB or
    primary hyperoxaluria harms more than asking one more question). A test whose clue is given is not proposed here;
    when that clue is a history stated absent, not the test's result (``absent_settles = false``: "no known
    tuberculosis"), the engine says the test as a caveat (blind battery 76; robustness round 79)."""
    urgent: list[tuple[float, NextFinding]] = []
    settled = _settled(engine, case)
    # the floor is on the probability the ranking shows (``shown``: calibrated and capped), not on the untempered
    # weights of the information gain: "1%" means what the table says
    for cause_row in engine.table.causes:
        cause = cause_row.cause
        rule_out = cause.rule_out
        if not cause.cant_miss or rule_out is None:
            continue
        probability = shown.get(cause.id, 0.0)
        due = rule_out_due(rule_out, probability, case)
        if due is None:
            continue
        triggers, young = due
        clue = rule_out.clue
        if clue is None or clue in exclude or clue in case.clues or clue in settled:
            # a given clue never appears here (CONTRACT.md section 5): a test still due beside a history stated
            # absent ("no known tuberculosis") is the engine's caveat rule_out_<cause> (Engine._history_rule_outs)
            continue
        if rule_out.lab is not None and rule_out.lab in case.labs:
            continue
        test, lab = rule_out.test, rule_out.lab
        first = rule_out.first
        if first is not None and first not in case.clues and first not in exclude and first not in settled:
            # the basic finding before the test that needs it: a serum calcium before a metabolite ratio
            clue, lab = first, lab_for(engine.kb, first, case.age_years)
            named = engine.kb.clues[first].label.lower()
            test = (f"{engine.kb.labs[lab].label} ({named}) first" if lab is not None and lab in engine.kb.labs
                    else f"{named} first") \
                + f"; then {test}"
        existing = next((item for item in found if item["clue"] == clue), None)
        item: NextFinding = dict(existing) if existing is not None else {  # type: ignore[assignment]
            "clue": clue, "label": engine.kb.clues[clue].label, "gain": 0.0, "separates": [cause.id],
            "lab": lab or lab_for(engine.kb, clue, case.age_years)}
        item["rule_out"] = test
        item["cant_miss"] = cause.id
        if triggers:
            item["triggered_by"] = triggers
        if young and rule_out.below_age is not None:
            item["for_age_below"] = rule_out.below_age
        found = [other for other in found if other["clue"] != clue]
        urgent.append((probability, item))
    urgent.sort(key=lambda pair: -pair[0])  # the likeliest can't-miss cause's test first
    # two causes whose test needs the same finding first ask it once, for the likelier
    once: dict[str, NextFinding] = {}
    for _, item in urgent:
        once.setdefault(item["clue"], item)
    return [*once.values(), *found]


class Interview:
    """The state of a guided work-up (`nephrocalc ask`): the case so far and the clues left unknown.

    Pure: the command line asks the questions and feeds the answers back.
    """

    def __init__(self, engine: Engine, case: Case, *, max_questions: int = 8, stop_at: float = 0.9,
                 notes: Sequence[Note] = ()) -> None:
        self.engine = engine
        self.case = case
        self.notes = list(notes)  # warnings from reading the input (a phenopacket's unmapped terms)
        self.max_questions = max_questions
        self.stop_at = stop_at
        self.asked = 0
        self.unknown: set[str] = set()  # not to be asked: answered unknown, or settled by another answer
        self.unanswered: list[str] = []  # the findings answered "unknown" (and their lab's other readings)
        self.stopped_because = ""
        # before each answer, for back()
        self._history: list[tuple[Case, int, frozenset[str], int, int]] = []

    def _remember(self) -> None:
        self._history.append((self.case, self.asked, frozenset(self.unknown), len(self.notes), len(self.unanswered)))

    def back(self) -> bool:
        """Take back the last answer (and what it noted); False when there is none."""
        if not self._history:
            return False
        self.case, self.asked, unknown, noted, unanswered = self._history.pop()
        self.unknown = set(unknown)
        del self.notes[noted:]
        del self.unanswered[unanswered:]
        return True

    def ranking(self) -> Result:
        """The ranking of the case so far, with the findings still worth checking."""
        return diff(self.engine, self.case)

    def result(self) -> AskResult:
        """The final result: the ranking, the answered case and how the interview went."""
        result: AskResult = {**diff(self.engine, self.case, self.notes)}  # type: ignore[typeddict-item]
        result["case"] = self.case.to_dict()
        result["interview"] = {"questions": self.asked, "stopped": self.stopped_because}
        return result

    def next_question(self) -> NextFinding | None:
        """The most informative clue not yet known, or None when the interview should stop."""
        if self.asked >= self.max_questions:
            self.stopped_because = f"asked {self.asked} question{'' if self.asked == 1 else 's'} (--max-questions)"
            return None
        evaluation = self.engine.evaluate(self.case)
        ranked = self.engine.rank(evaluation)
        top = ranked["differential"][0]
        if top["probability"] >= self.stop_at:
            shown = ">99%" if top["probability"] >= 0.995 else f"{top['probability']:.0%}"
            # named as the table names it (UX review 13: "hyperparathyroidism reached 95%" gave the id)
            cause = self.engine.kb.causes.get(top["cause"])
            named = cause.short_name if cause is not None else "A cause outside the knowledge base"
            self.stopped_because = f"{named} reached {shown} (--stop-at {self.stop_at:g})"
            return None
        found = interview_question(self.engine, evaluation, exclude=frozenset(self.unknown),
                                   shown=_probabilities(ranked), unanswered=self.unanswered)
        if found is None:
            self.stopped_because = "no unknown finding would change the differential"
        return found

    def answer(self, clue: str, value: bool | None) -> None:
        """Record an answer: True (present), False (absent) or None (unknown: never asked again).

        Clues read off the same lab go together (high_pth and low_pth from PTH): once one is present,
        or unknown, the other is not asked.
        """
        from dataclasses import replace

        self._remember()
        self.asked += 1
        if value is None:  # the same measurement unknown: neither reading is known (high nor low PTH)
            self.unanswered.extend((clue, *sorted(set(self.engine.kb.lab_siblings.get(clue, ())) - {clue})))
            self.unknown.add(clue)
            self.unknown.update(self.engine.kb.lab_siblings.get(clue, ()))
        else:
            self.case = replace(self.case, clues={**self.case.clues, clue: value})
        if value is True:
            self.unknown.update(sibling for sibling in self.engine.kb.lab_siblings.get(clue, ()) if sibling != clue)

    def answer_lab(self, clue: str, lab_id: str, text: str) -> None:
        """Record a lab value given as the answer to a lab-settled question (``95 pg/mL``, ``6.8``,
        ``2.1 mmol/L``): it goes under the case's labs and is interpreted as every lab value is.
        Raises InputError for a value or unit that is not accepted (the question can be asked again).
        The clues the same lab settles are not asked again, whatever the value showed."""
        from dataclasses import replace

        from nephrocalc.case import Lab
        from nephrocalc.labs import measure, parse_lab_bound

        kb = self.engine.kb
        written = text.strip()
        if lab_id == "urine_ph" and is_number(written):
            written += " pH"  # a urine pH needs no unit
        from nephrocalc.errors import InputError

        # the question names one lab; another lab that reads the same finding is taken by its unit (a spot urine
        # calcium/creatinine ratio in an infant, for the 24-hour urine calcium)
        others = [other.id for other in kb.labs.values()
                  if other.id != lab_id and any(limit.clue == clue for limit in other.limits)]
        first_error: InputError | None = None
        chosen: tuple[str, float, str, str] | None = None
        for candidate in (lab_id, *others):
            try:
                parsed = parse_lab_bound(f"{candidate}={written}", kb)
                measure(parsed[0], parsed[1], parsed[2], kb, parsed[3])  # an unknown unit, an impossible value
            except InputError as exc:
                if exc.where.endswith(".unit"):  # a unit this lab does not take: another lab may take it
                    first_error = first_error or exc
                    continue
                # a value impossible in a unit the lab takes, or text that is no value: refused, as --lab refuses
                # it, not tried as another lab (robustness round 78: a total calcium of 1.2 mg/dL was kept as an
                # ionised calcium and read as hypocalcaemia)
                first_error = exc
                break
            chosen = parsed
            break
        if chosen is None:  # name the answer, not the --lab option the user never typed
            assert first_error is not None
            said = first_error.message.replace(f"'{lab_id}={written}'", "the value", 1).replace(f"{lab_id}=", "")
            # an answer is not a shell word: the example as written, without --lab's advice on quoting
            said = re.sub(r'\(e\.g\. [^,()]*, or quoted: "([^"]*)"\)', r"(e.g. \1)", said)
            raise InputError(f"answer {text.strip()[:40]!r} ({lab_id})", said) from None
        lab, value, unit, comparator = chosen
        self._remember()
        self.asked += 1
        bound = comparator if comparator in ("<", "<=", ">", ">=") else None
        before = self.case.labs.get(lab)
        if before is not None:  # a value already given (in its grey zone, so the question was asked): said, not lost
            was = f"{before.comparator or ''}{before.value:g} {before.unit}"
            self.notes.append({"id": "ask_lab_replaced", "sources": [],
                               "message": f"The answer {written} replaced the {lab} given before ({was})."})
        self.case = replace(self.case, labs={**self.case.labs, lab: Lab(value=value, unit=unit,
                                                                      comparator=bound)})  # type: ignore[arg-type]
        self.unknown.add(clue)
        self.unknown.update(kb.lab_siblings.get(clue, ()))
