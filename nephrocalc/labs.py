"""Lab values -> clues, every step shown (CONTRACT.md section 3). Pure: no I/O.

A value is checked (known lab, accepted unit, physiologically plausible), converted exactly to
the lab's canonical unit (patient-normalised units such as mg/kg/day are never converted: they
have limits of their own), and compared with the reference limits of rules/labs.toml that fit the
patient's age and sex. Beyond a limit the clue is present; within it the clue is documented
absent, because a normal value argues against the causes that need it. A clue the case states
explicitly wins over a derived one, and a disagreement is a warning.
"""

import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from nephrocalc.case import Case
from nephrocalc.errors import InputError, field_path
from nephrocalc.knowledge import KnowledgeBase, Lab, LabLimit, normalise_unit, ucum_spellings
from nephrocalc.result import Derivation, Note
from nephrocalc.vocab import BLOOD_PH_WORDS, did_you_mean


class Measurement(NamedTuple):
    lab: Lab
    value: float
    unit: str  # as accepted (the lab's spelling)
    canonical_value: float | None  # None for an own (patient-normalised) unit
    own_unit: str | None  # normalised own unit, when the value is in one
    shown: str = ""  # how the value is named when it was computed from another lab (eGFR from creatinine)
    from_lab: str = ""  # that lab
    method_sources: tuple[str, ...] = ()  # the sources of the computation
    comparator: str = ""  # "<", "<=", ">", ">=": the value is a bound (a FHIR Quantity's comparator)
    age: float | None = None  # the age at the sample, when it is not the case's (its limits are that age's)


def _number(value: float) -> str:
    if abs(value) < 1e4:
        return f"{value:.4g}"
    return f"{value:.0f}" if abs(value) < 1e9 else f"{value:.3g}"


def _compared(value: float, limit: float, comparison: str) -> tuple[str, str]:
    """A value and the limit it is compared with, as a step shows them: to 4 significant digits, or, where that
    would show a strict comparison between equal numbers ("10.5 mg/dL > 10.5 mg/dL" for 10.50001), to as many as
    tell them apart. Only the text: the value compared is the value given."""
    shown, bound = _number(value), _number(limit)
    if comparison in ("<", ">") and shown == bound and value != limit:
        for digits in range(5, 18):
            shown, bound = f"{value:.{digits}g}", f"{limit:.{digits}g}"
            if shown != bound:
                break
    return shown, bound


def _beyond_plausible(comparator: str, value: float, low: float, high: float) -> bool:
    """A bound beyond the plausible range that points back into it ("<100 mg/dL" of a urate): true, says little."""
    return (comparator in ("<", "<=") and value > high) or (comparator in (">", ">=") and value < low)


def _impossible_bound(comparator: str, value: float, low: float, high: float) -> bool:
    """A bound no value can meet: below the least plausible value ("<0 pg/mL" of a PTH), or above the greatest
    (fuzz review 49: "pth <0 pg/mL" was read as a suppressed PTH)."""
    return (comparator == "<" and value <= low) or (comparator == ">" and value >= high)


def measure(lab_id: str, value: float, unit: str, kb: KnowledgeBase, comparator: str = "") -> Measurement:
    """Check one lab value (a bound: ``comparator``) and convert it; raise InputError naming the field and what is
    allowed. A bound beyond the plausible range is taken when it points back into it: it settles no limit, and
    the reading says so."""
    lab = kb.labs.get(lab_id)
    if lab is None:
        hint = ("a pH that does not say whose it is could be the blood's: write urine_ph for a urine pH; a blood pH "
                "is stated as --metabolic-acidosis or --metabolic-alkalosis (with the bicarbonate as "
                "serum_bicarbonate); "
                if lab_id.lower().replace("-", "_") in BLOOD_PH_WORDS and "urine_ph" in kb.labs
                else did_you_mean(lab_id, kb.labs))
        raise InputError(field_path("labs", lab_id), f"unknown lab; {hint}allowed: {', '.join(sorted(kb.labs))}")
    if math.isinf(value):  # a document's 1e999 (intake.load_document): not "inf mmol/L is outside the range"
        raise InputError(f"labs.{lab_id}.value", "must be a finite number (got a number too large for a double)")
    key = normalise_unit(unit)
    if key not in lab.units and key not in lab.own_units:  # a UCUM spelling of an accepted unit ("[IU]/L", "IU/L")
        key = next((k for s in ucum_spellings(unit) if (k := normalise_unit(s)) in lab.units or k in lab.own_units),
                   key)
    if key in lab.units:
        written, factor = lab.units[key]
        # to 12 significant digits: a conversion's binary noise (350 mg/g = 0.35000000000000003 mg/mg) must not put
        # a value written at a limit beyond it
        canonical = float(f"{value * factor:.12g}")
        low, high = lab.plausible
        if _impossible_bound(comparator, canonical, low, high):
            raise InputError(f"labs.{lab_id}.value", f"{comparator}{_number(value)} {written} is outside the "
                             f"plausible range {_number(low)}-{_number(high)} {lab.canonical} "
                             "(a bound no value can meet)")
        if not low <= canonical <= high and not _beyond_plausible(comparator, canonical, low, high):
            shown = f"{comparator}{_number(value)} {written}" + (
                f" ({comparator}{_number(canonical)} {lab.canonical})" if factor != 1 else "")
            raise InputError(f"labs.{lab_id}.value", f"{shown} is outside the plausible range "
                             f"{_number(low)}-{_number(high)} {lab.canonical}")
        return Measurement(lab, value, written, canonical, None)
    if key in lab.own_units:
        written = lab.own_units[key]
        low, high = lab.own_plausible.get(key, (0.0, float("inf")))
        if _impossible_bound(comparator, value, low, high):
            raise InputError(f"labs.{lab_id}.value", f"{comparator}{_number(value)} {written} is outside the "
                             f"plausible range {_number(low)}-{_number(high)} {written} (a bound no value can meet)")
        if not low <= value <= high and not _beyond_plausible(comparator, value, low, high):
            raise InputError(f"labs.{lab_id}.value", f"{comparator}{_number(value)} {written} is outside the "
                             "plausible range "
                             f"{_number(low)}-{_number(high)} {written}")
        return Measurement(lab, value, written, None, key)
    raise InputError(f"labs.{lab_id}.unit", f"{unit!r} is not accepted; accepted units: "
                     + lab.accepted_units_text)


def check_labs(case: Case, kb: KnowledgeBase) -> None:
    for lab_id, lab_value in case.labs.items():
        measure(lab_id, lab_value.value, lab_value.unit, kb, lab_value.comparator or "")
        at, now = lab_value.age_years, case.age_years
        if at is not None and now is not None and at > now + 1 / 365.25:  # a day's rounding is allowed
            raise InputError(f"labs.{lab_id}.age_years", f"{at:g} is after the case's age_years ({now:g}): a sample "
                             "is taken at or before the patient's current age")


def _applies(limit: LabLimit, m: Measurement, age: float | None, sex: str | None) -> bool:
    if limit.unit != m.own_unit:
        return False
    if age is None:
        if (limit.age_at_least is not None or limit.age_below is not None) and not limit.when_age_unknown:
            return False
    else:
        if limit.age_at_least is not None and age < limit.age_at_least:
            return False
        if limit.age_below is not None and age >= limit.age_below:
            return False
    if limit.sex is not None:
        if sex is None:
            return limit.when_sex_unknown
        return sex == limit.sex
    return True


def _judge(limit: LabLimit, value: float, may_be_absent: bool) -> tuple[bool | None, str, float]:
    """(present / absent / undecided, comparison shown, limit shown)."""
    if limit.above is not None:
        if value > limit.above:
            return (True, ">", limit.above) if limit.derive_present else (None, "", limit.above)
        bound = limit.absent_at_most if limit.absent_at_most is not None else limit.above
        if limit.derive_absent and may_be_absent and value <= bound:
            return False, "≤", bound
        return None, "", limit.above
    assert limit.below is not None
    if value < limit.below:
        return (True, "<", limit.below) if limit.derive_present else (None, "", limit.below)
    bound = limit.absent_at_least if limit.absent_at_least is not None else limit.below
    if limit.derive_absent and may_be_absent and value >= bound:
        return False, "≥", bound
    return None, "", limit.below


def _bound_settles(limit: LabLimit, present: bool, comparator: str) -> bool:
    """Whether a value given as a bound still decides a limit: "<5" (the value is at most 5) can only show
    that a value is not above a limit, or that it is below one; ">150" the reverse."""
    at_most = comparator in ("<", "<=")
    if limit.above is not None:
        return (not present) if at_most else present
    return present if at_most else not present


def _side(limit: LabLimit, unit: str) -> str:
    """The side of a limit a bound leaves open, in words: "above 65 pg/mL", or, for a limit that reads only the
    finding's absence, "at most 15 pg/mL" (robustness round 70: "above the below the lower reference limit")."""
    if limit.derive_present or (limit.absent_at_most is None and limit.absent_at_least is None):
        number = limit.above if limit.above is not None else limit.below
        return f"{'above' if limit.above is not None else 'below'} {_number(number or 0.0)} {unit}"
    if limit.absent_at_most is not None:
        return f"at most {_number(limit.absent_at_most)} {unit}"
    return f"at least {_number(limit.absent_at_least or 0.0)} {unit}"


def _in_grey_zone(limit: LabLimit, value: float) -> bool:
    """Between a limit and its stricter absent bound (PTH 15-25 pg/mL): a value that derives nothing by design."""
    if limit.above is not None:
        return limit.absent_at_most is not None and limit.absent_at_most < value <= limit.above
    low, high = limit.below, limit.absent_at_least
    return low is not None and high is not None and low <= value < high


def _unmet_labs(limit: LabLimit, canonical: dict[str, float], kb: KnowledgeBase) -> str:
    """The other labs a two-lab limit needs and the case does not have beyond their bounds, in words
    ("" when all are met)."""
    unmet = []
    for lab_id, above, below in limit.present_requires_lab:
        value = canonical.get(lab_id)
        unit = kb.labs[lab_id].canonical if lab_id in kb.labs else ""
        if above is not None and (value is None or value <= above):
            unmet.append(f"{lab_id} above {_number(above)} {unit}"
                         + (f" (it is {_number(value)})" if value is not None else ""))
        elif below is not None and (value is None or value >= below):
            unmet.append(f"{lab_id} below {_number(below)} {unit}"
                         + (f" (it is {_number(value)})" if value is not None else ""))
    return " and ".join(unmet)


def _conditional(limit: LabLimit, derivable: Mapping[str, str]) -> bool:
    """A limit read in the second pass: it needs clues, or is set aside by a clue a lab may derive (an
    ``unless`` on a clue only ever stated, such as acute kidney injury, is settled in the first pass)."""
    return bool(limit.requires or limit.absent_requires
                or any(clue in derivable for clue, _ in (*limit.unless, *limit.absent_unless)))


class LabReport(NamedTuple):
    clues: dict[str, bool]  # the case's clues with the derived ones added (stated clues win)
    derived: list[Derivation]
    warnings: list[Note]


def interpret(case: Case, kb: KnowledgeBase) -> LabReport:
    """Turn the case's lab values into clues, in two passes: limits that require other clues
    (e.g. PTH judged against hypercalcaemia) come after those that do not."""
    stated = case.clues
    measurements = [measure(lab_id, item.value, item.unit, kb, item.comparator or "")._replace(
        comparator=item.comparator or "", age=item.age_years) for lab_id, item in sorted(case.labs.items())]
    warnings: list[Note] = []
    derived: list[Derivation] = []
    found: dict[str, list[bool]] = {}
    by_lab: dict[str, dict[str, list[bool]]] = {}  # clue -> lab -> the values its limits derived
    seen_warnings: set[str] = set()

    def warn(note_id: str, message: str, sources: tuple[str, ...] = ()) -> None:
        if message not in seen_warnings:
            seen_warnings.add(message)
            warnings.append({"id": note_id, "message": message, "sources": list(sources)})

    def sampled_at(m: Measurement) -> float | None:  # a lab without its own age was sampled at the case's
        return m.age if m.age is not None else case.age_years

    by_id = {m.lab.id: m for m in measurements}
    dated = any(m.age is not None for m in measurements)  # a value sampled at another age than the case's
    egfr_given, creatinine = by_id.get("egfr"), by_id.get("serum_creatinine")
    if egfr_given is not None and creatinine is not None \
            and (gap := years_apart(sampled_at(egfr_given), sampled_at(creatinine))) is not None \
            and (sampled_at(creatinine) or 0.0) > (sampled_at(egfr_given) or 0.0):
        # a later creatinine is the present kidney function: an older eGFR does not stand for it
        measurements.remove(egfr_given)
        warn("lab_not_interpreted", f"{_named(egfr_given)} was not used: the serum_creatinine was sampled "
             f"{_interval(gap)} later, and its eGFR stands for the present kidney function.")
    estimate = _egfr_from_creatinine(measurements, case, kb)
    corrected = _albumin_corrected_calcium(measurements)
    calcium, albumin_m = by_id.get("serum_calcium"), by_id.get("serum_albumin")
    apart_by = years_apart(sampled_at(calcium), sampled_at(albumin_m)) \
        if corrected is not None and calcium is not None and albumin_m is not None else None
    stale_albumin = apart_by is not None
    if apart_by is not None and calcium is not None and albumin_m is not None:
        gap = apart_by
        corrected = None
        before = (sampled_at(albumin_m) or 0.0) < (sampled_at(calcium) or 0.0)
        warn("calcium_not_corrected", f"Total calcium was read as measured: the serum_albumin was sampled "
             f"{_interval(gap)} {'before' if before else 'after'} it, too far "
             "apart to correct it; give an albumin of the same sample (or ionized_calcium).", ("Payne73",))
    # the albumin correction [Payne73] was derived in adults with working kidneys: in CKD the adjusted calcium
    # classifies calcium status worse than the measured total [LianAsberg18], and in infants (whose albumin is
    # physiologically low, and whose hypocalcaemia is defined by the ionised calcium [Vuralli19]) it is not
    # applied; an ionised calcium decides in both
    kidneys = stated.get("ckd") is True or stated.get("kidney_failure") is True or any(
        m.lab.id == "egfr" and m.canonical_value is not None and m.canonical_value < 60
        for m in (*measurements, *((estimate,) if estimate is not None else ())))
    infant = case.age_years is not None and case.age_years < 1
    if corrected is not None and (kidneys or infant):
        corrected = None
        warn("calcium_not_corrected", "Total calcium was read as measured, not corrected for albumin: "
             + ("in chronic kidney disease the albumin-adjusted calcium classifies calcium status worse than the "
                "measured total" if kidneys else "the correction was derived in adults, and an infant's "
                "albumin is physiologically low")
             + "; an ionised calcium decides.", ("LianAsberg18", "Payne73") if kidneys else ("Payne73", "Vuralli19"))
    elif corrected is None and not stale_albumin and "serum_calcium" in case.labs \
            and "ionized_calcium" not in case.labs and "corrected_calcium" not in case.labs:
        albumin = case.labs.get("serum_albumin")
        if albumin is not None and albumin.comparator:  # fuzz review 44: "give serum_albumin" when it was given
            warn("calcium_not_corrected", "Total calcium was read as measured: a serum_albumin given only as a "
                 f"bound ({albumin.comparator}{_number(albumin.value)} {albumin.unit}) cannot correct it; give the "
                 "measured albumin (or ionized_calcium).", ("Payne73",))
        elif kidneys or infant:  # an albumin would not be used: ask for what would (a clinician's review, round 66)
            warn("calcium_not_corrected", "Total calcium was read as measured: "
                 + ("with chronic kidney disease" if kidneys else "in an infant")
                 + " an ionised calcium, not an albumin correction, settles a borderline value.",
                 ("LianAsberg18", "Payne73") if kidneys else ("Payne73", "Vuralli19"))
        else:
            warn("calcium_not_corrected", "Total calcium was read as measured: give serum_albumin (or "
                 "ionized_calcium) to correct it; a low albumin hides hypercalcaemia and a high one mimics it.",
                 ("Payne73",))
    if estimate is not None:
        measurements.append(estimate)
        low, high = estimate.lab.extreme
        if estimate.canonical_value is not None and not low <= estimate.canonical_value <= high:
            warn("lab_value_extreme", f"{estimate.shown} is possible but extreme: check the creatinine.")
    total = next((m for m in measurements if m.lab.id == "serum_calcium"), None)
    measured = total.canonical_value if total is not None else None
    if corrected is not None and total is not None and measured is not None and abs(corrected[0] - measured) >= 0.4:
        # an albumin outside about 3.5-4.5 g/dL moves the reading: say so, not only in the step's text
        warn("calcium_corrected", f"Total calcium ({_named(total)}) was read as {corrected[1]}: a "
             f"{'high' if corrected[0] < measured else 'low'} albumin "
             f"{'mimics' if corrected[0] < measured else 'hides'} hypercalcaemia; an ionised calcium decides.",
             ("Payne73",))
    for m in measurements:
        low, high = m.lab.extreme
        if m.canonical_value is not None and not low <= m.canonical_value <= high \
                and not _beyond_plausible(m.comparator, m.canonical_value, low, high):  # "<100": not a value
            warn("lab_value_extreme", f"{m.lab.id} {m.comparator}{_number(m.value)} {m.unit} is possible but "
                 "extreme: check it.")

    canonical = {m.lab.id: m.canonical_value for m in measurements if m.canonical_value is not None}
    if corrected is not None and "serum_calcium" in canonical:  # a two-lab rule reads the calcium it is judged by
        canonical["serum_calcium"] = corrected[0]
    waiting: dict[tuple[str, str], set[str]] = {}  # (lab, clue) -> the clues its limits needed and did not have
    waiting_absent: dict[tuple[str, str], set[str]] = {}  # the same, for a value the limit would read as absent
    noted: set[tuple[str, str]] = set()  # (lab, clue) read by a limit that derives nothing but says why
    # (lab, clue) -> why a limit set the value aside (``unless``), with its sources
    withheld: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    # values between a limit and its absent bound: (lab, clue) -> the value as named, the limit's label, its sources
    grey: dict[tuple[str, str], tuple[str, str, tuple[str, ...]]] = {}
    one_way: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}  # values within a limit read only when crossed
    # (lab, clue) -> the labs that gave the clue and how far from the lab they were sampled: not read together
    apart: dict[tuple[str, str], tuple[list[str], float]] = {}
    unsettled: dict[tuple[str, str], str] = {}  # a bound on the side of a limit that cannot settle it
    # a value beyond a two-lab limit whose other lab is missing or short of its bound, with its sources
    two_lab: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    # (lab, clue) -> what a limit that derives nothing says the value means, with its sources
    commentary: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}

    def in_its_time(m: Measurement, known: dict[str, bool]) -> dict[str, bool]:
        """The findings a value is read beside: of those only labs gave (not stated), those from a lab sampled
        within a month of it (robustness round 79: a PTH at 50 was read "with hypercalcaemia" from a calcium at
        20, a urine pH at 50 "during acidosis" from a bicarbonate at 10)."""
        if not dated:  # every value sampled at the case's age: all are read together
            return known
        at = sampled_at(m)
        out = known
        for clue, labs_of in by_lab.items():
            if clue in stated or clue not in known or not labs_of or m.lab.id in labs_of:
                continue
            gaps = [years_apart(at, sampled_at(other)) for other in measurements
                    if (other.from_lab or other.lab.id) in labs_of]
            if gaps and all(gap is not None for gap in gaps):
                if out is known:
                    out = dict(known)
                del out[clue]
                if any(c == clue for limit in m.lab.limits for c, _ in (*limit.requires, *limit.unless)):
                    apart.setdefault((m.lab.id, clue), (sorted(labs_of), min(g for g in gaps if g is not None)))
        return out

    def run(pass_requires: bool, given: dict[str, bool]) -> None:
        for m in measurements:
            known = in_its_time(m, given) if pass_requires else given
            value = m.canonical_value if m.canonical_value is not None else m.value
            unit = m.lab.canonical if m.canonical_value is not None else m.unit
            adjusted = ""
            if corrected is not None and m.lab.id == "serum_calcium":
                value, adjusted = corrected
            for limit in m.lab.limits:
                if (_conditional(limit, kb.clue_labs) != pass_requires
                        or not _applies(limit, m, m.age if m.age is not None else case.age_years, case.sex)):
                    continue
                if any(stated.get(clue) is not want for clue, want in limit.requires_stated):
                    continue  # it needs a clue the clinician states (chronic kidney disease), not one a lab gives
                if any(known.get(clue) is not want for clue, want in limit.requires):
                    # a limit that a known finding rules out (it needs no CKD, and CKD is stated) waits for
                    # nothing: it does not apply (blind battery 40: a PTH with CKD stated was said to need to know
                    # "whether there is ckd")
                    if any(known.get(clue) is (not want) for clue, want in limit.requires):
                        continue
                    # a limit that derives nothing is commentary: it waits for nothing; nor is a value the limit
                    # would only read as absent said to wait (a PTH of 4 pg/mL is not "not read as high_pth"),
                    # nor one short of a limit that reads nothing as absent
                    reading = _judge(limit, value, True)[0]
                    needs = {clue if want else f"no {clue}" for clue, want in limit.requires
                             if known.get(clue) is None}
                    if limit.derive and (reading is True or (reading is None and limit.derive_absent)):
                        waiting.setdefault((m.lab.id, limit.clue), set()).update(needs)
                    elif limit.derive and reading is False and limit.derive_absent and not m.comparator:
                        # a value the limit would read as absent is not read either: said, not dropped (a urine
                        # chloride of 5 mmol/L without an alkalosis is neither wasting nor its absence)
                        waiting_absent.setdefault((m.lab.id, limit.clue), set()).update(needs)
                    continue
                if any(known.get(clue) is want for clue, want in limit.unless):
                    # set aside by a finding that lowers or raises the value itself (a thiazide, CKD) is said; an
                    # ``unless`` on a clue's absence (no hypercalcaemia) only bounds where the limit applies, as
                    # ``requires`` does, and is not said (a PTH with a normal calcium has its own comment)
                    beyond = (value > (limit.above if limit.above is not None else float("inf"))
                              or value < (limit.below if limit.below is not None else float("-inf")))
                    holding = [clue for clue, want in limit.unless if want and known.get(clue) is True]
                    if limit.derive and holding and beyond:
                        reason = ", ".join(holding)  # the ones that hold, not every one listed
                        # said at the end, unless another limit of the lab reads the value as the clue after all
                        withheld.setdefault((m.lab.id, limit.clue), (
                            f"{_named(m)} was not read as {limit.clue} with {reason}.", limit.sources))
                    continue
                may_be_absent = all(known.get(clue) is want for clue, want in limit.absent_requires)
                masked_by = [f"{'' if want else 'no '}{clue}" for clue, want in limit.absent_unless
                             if known.get(clue) is want]
                # a strict bound lies beyond its number: ">150" is above a limit of 150, "<8.5" below one of 8.5
                judged = math.nextafter(value, math.inf) if m.comparator == ">" else \
                    math.nextafter(value, -math.inf) if m.comparator == "<" else value
                present, comparison, bound = _judge(limit, judged, may_be_absent and not masked_by)
                if present is not None and m.comparator and not _bound_settles(limit, present, m.comparator):
                    # "<300 mg/day" is below 300, not above 250: a bound on that side says nothing of the limit
                    unsettled.setdefault((m.lab.id, limit.clue), (
                        f"{_named(m)} is a bound: it does not say whether the value is {_side(limit, unit)} "
                        f"(the limit: {limit.label}); read neither as {limit.clue} nor as no {limit.clue}."))
                    present = None
                if present is None and m.comparator and limit.derive and limit.derive_present \
                        and may_be_absent and not masked_by and _in_grey_zone(limit, judged):
                    # ">=150" where 80-150 is a grey zone may be 150 or far above: a bound, not a value in the zone
                    unsettled.setdefault((m.lab.id, limit.clue), (
                        f"{_named(m)} is a bound: it does not say whether the value is {_side(limit, unit)} "
                        f"(the limit: {limit.label}); read neither as {limit.clue} nor as no {limit.clue}."))
                elif present is None and limit.derive and limit.derive_present and limit.derive_absent \
                        and may_be_absent and not masked_by and _in_grey_zone(limit, judged):
                    # said at the end, unless another limit of the lab reads the value after all
                    # the value in the limit's unit too, when it was given in another (a urine Ca/Cr of 2.2
                    # mmol/mmol against a grey zone of 0.53-0.86 mg/mg; blind battery 50)
                    in_unit = f" ({_number(value)} {unit})" if unit != m.unit and not m.shown and not adjusted \
                        else ""
                    zone = (limit.absent_at_most, limit.above) if limit.above is not None else \
                        (limit.below, limit.absent_at_least)
                    label = limit.label if "derives nothing" in limit.label else \
                        f"{limit.label}, {_number(zone[0] or 0.0)}-{_number(zone[1] or 0.0)} {unit} derives nothing"
                    grey.setdefault((m.lab.id, limit.clue), (_named(m) + in_unit, label, limit.sources))
                if present is None and limit.derive and limit.derive_present and not limit.derive_absent \
                        and may_be_absent and not masked_by and not m.comparator \
                        and (value <= limit.above if limit.above is not None else value >= (limit.below or 0.0)) \
                        and not (limit.present_requires_lab and _unmet_labs(limit, canonical, kb)):
                    # (a two-lab limit whose other lab is not in its range does not apply: a PTH of 20 pg/mL with a
                    # calcium of 12 mg/dL is not "within" the limit of a calcium in the grey zone; blind battery 40)
                    # a limit read one way only (a child's daily oxalate): a value within it is said, not dropped,
                    # unless another limit of the lab reads it
                    # said as what it is, not as "within the limit" (clinical text review: a child's daily oxalate
                    # of 0.6 mmol/day, grossly raised for body size, read as reassurance)
                    # (keyed by the lab its steps are named by: an eGFR computed from a creatinine is the creatinine's,
                    # robustness round 78, where only that route said "does not reach 30" of an eGFR of 93)
                    one_way.setdefault((m.from_lab or m.lab.id, limit.clue), (
                        f"{_named(m)} {'does not reach' if limit.above is not None else 'is not below'} "
                        f"{_number(limit.above if limit.above is not None else limit.below or 0.0)} {unit}, the "
                        f"limit for {limit.clue} ({limit.label}); a value short of it is not read either way: neither "
                        f"as {limit.clue} nor as no {limit.clue}.", limit.sources))
                if present is None:
                    if masked_by and limit.derive and _judge(limit, value, True)[0] is False:
                        warn("lab_not_interpreted", f"{_named(m)} was not read as no {limit.clue}: "
                             f"{' or '.join(masked_by)} lowers it.", limit.sources)
                    continue
                # the value and the limit as the text shows them: equal to 4 digits, a strict comparison gets more
                value_text, bound_text = _compared(value, bound, comparison)
                exact = value_text != _number(value)
                # ... written in the measurement's own words only where they name the value compared
                in_words = value_text if exact and m.unit == unit and not adjusted else ""
                if present and limit.present_requires_lab and (
                        unmet := _unmet_labs(limit, canonical, kb)):  # a two-lab rule: say what is missing
                    # said at the end, unless another limit of the lab reads the value as the clue after all (a PTH
                    # with a hypercalcaemia from the ionised calcium needs no total calcium in the grey zone)
                    two_lab.setdefault((m.lab.id, limit.clue), (
                        f"{_named(m, in_words)} {comparison} {bound_text} {unit} was not read as {limit.clue}: that "
                        f"needs {unmet} too.", limit.sources))
                    continue
                if not limit.derive:  # a reading that derives nothing: its warning says what it means
                    # a bound open beyond the limit (">=150" past "above 80") may lie past the zone the warning
                    # describes (80-150 ng/mL): not said of it
                    outward = bool(m.comparator) and (m.comparator[0] == ">") == (limit.above is not None)
                    if present and not outward:
                        # said at the end, unless another limit of the lab reads the value as the clue after all
                        # a value given in another unit is shown converted beside the limit, as a derivation shows
                        # it ("20 nmol/L < 20 ng/mL" read as nonsense; blind battery 42)
                        converted = m.canonical_value is not None and m.unit != m.lab.canonical and not m.shown \
                            and not adjusted
                        named = f"{_named(m)} ({value_text} {unit})" if converted else _named(m, in_words)
                        commentary.setdefault((m.lab.id, limit.clue), (
                            f"{named} {comparison} {bound_text} {unit}{_stated_against(limit, stated, derived)}: "
                            f"{limit.warning}", limit.sources))
                        noted.add((m.lab.id, limit.clue))
                    continue
                if adjusted:  # the corrected calcium is the value compared: shown to the digits the limit needs
                    shown = f"{_named(m)} ({value_text}{adjusted.removeprefix(_number(value))})"
                elif m.canonical_value is not None and m.unit != m.lab.canonical and not m.shown:
                    shown = f"{_named(m)} ({value_text} {unit})"
                else:  # the value compared is the value given, in its unit (or the eGFR a creatinine gave)
                    shown = _named(m, value_text if exact else "")
                if pass_requires and present in found.get(limit.clue, ()):
                    continue  # already derived, the same way, from a limit of its own
                if present:
                    text = f"{shown} {comparison} {bound_text} {unit} {limit.label} → {limit.clue}"
                else:  # the label names what the limit detects: say the value is within it (AUDIT D13)
                    text = (f"{shown} {comparison} {bound_text} {unit}, within the limit ({limit.label}) "
                            f"→ no {limit.clue}")
                explicit = stated.get(limit.clue)
                # the same value read the other way: a limit of this lab on the other side names the opposite
                # state (a phosphate of 6 mg/dL against a stated hypophosphataemia); the clinician's statement
                # wins. States of one variable in [[exclusive]] (acid-base, PTH) are contradictory input instead.
                opposite = sorted({other.clue for other in m.lab.limits if present and explicit is None
                                   and other.clue != limit.clue and stated.get(other.clue) is True
                                   and (other.above is None) != (limit.above is None)
                                   and not any({other.clue, limit.clue} <= set(group) for group in kb.exclusive)})
                step: Derivation = {
                    "lab": m.from_lab or m.lab.id, "value": m.value, "unit": m.unit,
                    "canonical_value": value,
                    "canonical_unit": unit, "limit": bound, "comparison": comparison, "clue": limit.clue,
                    "present": present, "used": explicit is None and not opposite, "text": text,
                    "sources": list(dict.fromkeys(limit.sources + m.method_sources))}
                if m.from_lab:
                    step["computed"] = m.lab.id
                derived.append(step)
                if opposite:
                    warn("lab_disagrees", f"{' and '.join(opposite)} {'is' if len(opposite) == 1 else 'are'} stated "
                         f"present but {text}; the stated clue was used and {limit.clue} was not counted.")
                    continue
                found.setdefault(limit.clue, []).append(present)
                by_lab.setdefault(limit.clue, {}).setdefault(step["lab"], []).append(present)
                # a caution on reading the value qualifies a derivation; when the clinician states the same clue, the
                # statement is what counts (a CKD diagnosis beside its eGFR was told one value cannot prove
                # chronicity: FHIR realism review 54)
                if limit.warning and (present or limit.warn_when == "always") and explicit is not present:
                    warn("lab_note", limit.warning, limit.sources)
                if explicit is not None and explicit is not present:
                    warn("lab_disagrees", f"{limit.clue} is stated {'present' if explicit else 'absent'} but {text}; "
                         "the stated clue was used.")

    sampled = {m.lab.id: sampled_at(m) for m in measurements}

    def overridden(clue: str) -> set[str]:
        """The labs whose reading of ``clue`` another lab replaces (labs.toml decides_over): where an ionised
        and a total calcium disagree, the ionised one is used; sampled more than a month apart, the newer one."""
        labs = by_lab.get(clue, {})
        out: set[str] = set()
        for lab_id in labs:
            for other in kb.labs[lab_id].decides_over if lab_id in kb.labs else ():
                if other in labs and set(labs[other]) != set(labs[lab_id]):
                    newer = years_apart(sampled.get(lab_id), sampled.get(other)) is not None \
                        and (sampled.get(other) or 0.0) > (sampled.get(lab_id) or 0.0)
                    out.add(lab_id if newer else other)
        return out

    def merged() -> dict[str, bool]:
        out = {}
        for clue, values in found.items():
            replaced = overridden(clue)
            out[clue] = any(v for lab_id, lab_values in by_lab.get(clue, {}).items() if lab_id not in replaced
                            for v in lab_values) if replaced else any(values)
        out.update(stated)
        return out

    run(False, dict(stated))
    run(True, merged())
    grouped: dict[tuple[str, tuple[str, ...], float], list[str]] = {}
    for (lab_id, clue), (labs_of, gap) in sorted(apart.items()):
        grouped.setdefault((lab_id, tuple(labs_of), gap), []).append(clue)
    for (lab_id, givers, gap), clues in grouped.items():
        warn("lab_apart", f"{lab_id} was not read beside the {' and '.join(clues)} of {' and '.join(givers)}: "
             f"sampled {_interval(gap)} apart, and values more than a month apart are not read together.")
    for clue, values in found.items():
        if True in values and False in values and clue not in stated:
            labs = sorted({d["lab"] for d in derived if d["clue"] == clue})
            replaced = overridden(clue)
            if replaced:
                kept = sorted(set(by_lab[clue]) - replaced)
                for step in derived:
                    if step["clue"] == clue and step["lab"] in replaced:
                        step["used"] = False
                        step["decided_by"] = " and ".join(kept)
                by_time = any(years_apart(sampled.get(k), sampled.get(r)) is not None for k in kept for r in replaced)
                several = len(kept) > 1  # "corrected_calcium and ionized_calcium were used" (robustness round 84)
                warn("lab_conflict", f"{' and '.join(labs)} disagree on {clue}; {' and '.join(kept)} "
                     f"{'were' if several else 'was'} used "
                     + ("(sampled later: values more than a month apart are not read together)." if by_time else
                        f"({' and '.join(kept)} {'decide' if several else 'decides'} over "
                        f"{' and '.join(sorted(replaced))})."))
            else:
                who = f"the limits of {labs[0]}" if len(labs) == 1 else " and ".join(labs)
                # the readings of absence lost: not used, as a lab a stated clue overrules is not (robustness
                # round 71: both steps said used, "hypercalciuria" and "no hypercalciuria")
                deciding = sorted({d["lab"] for d in derived if d["clue"] == clue and d["present"]})
                for step in derived:
                    if step["clue"] == clue and not step["present"]:
                        step["used"] = False
                        step["decided_by"] = " and ".join(deciding)
                warn("lab_conflict", f"{who} disagree on {clue}; it was taken as present.")
    judged = {d["lab"] for d in derived}
    steps = {(d["lab"], d["clue"]) for d in derived}
    for (lab_id, clue), (message, sources) in commentary.items():
        if not any(d["lab"] == lab_id and d["clue"] == clue and d["present"] for d in derived):
            warn("lab_note", message, sources)
    # a value another limit of the lab read into its grey zone is said once, by that limit: not also as set aside
    # by one limit (``unless``) or waiting for the clue of another (a PTH of 70 pg/mL with CKD and hypercalcaemia)
    greyed = {key for key in grey if not any(d["lab"] == key[0] and d["clue"] == key[1] for d in derived)}
    for (lab_id, clue), (message, sources) in withheld.items():
        if (lab_id, clue) not in greyed and not any(d["lab"] == lab_id and d["clue"] == clue and d["present"]
                                                    for d in derived):
            warn("lab_not_interpreted", message, sources)
    for (lab_id, clue), (message, sources) in two_lab.items():
        if not any(d["lab"] == lab_id and d["clue"] == clue and d["present"] for d in derived):
            warn("lab_not_interpreted", message, sources)
    # one message per value: a PTH of 20 pg/mL lies in the grey zones of both low_pth and high_pth, and two
    # sentences on one number read as two findings (blind battery 49)
    zones: dict[str, list[tuple[str, str, str, tuple[str, ...]]]] = {}
    for (lab_id, clue), (named, label, sources) in grey.items():
        # (a 25-hydroxyvitamin D of 84 ng/mL: "toxicity possible ... not counted" says what the grey zone would say
        # again in clue ids: robustness round 77)
        if (lab_id, clue) in greyed and (lab_id, clue) not in noted:
            zones.setdefault(lab_id, []).append((clue, named, label, sources))
    for entries in zones.values():
        clues = [clue for clue, _, _, _ in entries]
        limits = "; ".join(f"{clue}, {label}" for clue, _, label, _ in entries)
        neither = (f"neither as {clues[0]} nor as no {clues[0]}" if len(clues) == 1
                   else f"as neither {' nor '.join(clues)}, nor as their absence")
        grey_sources = tuple(dict.fromkeys(source for *_, sources in entries for source in sources))
        warn("lab_grey_zone", f"{entries[0][1]} lies in a grey zone and was read {neither}. "
             f"Limit{'s' if len(clues) > 1 else ''}: {limits}.", grey_sources)
    for (lab_id, clue), (message, sources) in one_way.items():
        # not said when another limit of the lab reads the value (as the clue, or as another: a magnesium of
        # 0.48 mmol/L is hypomagnesaemia, and "within the hypermagnesaemia limit" would only confuse)
        # nor when another limit of the lab already said the value lies in its grey zone for the same clue (a PTH of
        # 20 pg/mL with hypercalcaemia: "in the grey zone of inappropriately normal" says it; "within the limit of a
        # calcium in the grey zone" too would be a third message, and wrong for a calcium of 12 mg/dL)
        # nor when the lab read the absence of what the clue means (a bicarbonate of 25 mmol/L is no metabolic acidosis,
        # so no severe one either: "does not reach 12 mmol/L" would only confuse; clinical text review)
        implied = kb.clues[clue].implies if clue in kb.clues else ()
        if not any(d["lab"] == lab_id and (d["clue"] == clue or d["present"]) for d in derived) \
                and not any(d["lab"] == lab_id and not d["present"] and d["clue"] in implied for d in derived) \
                and (lab_id, clue) not in greyed:
            warn("lab_grey_zone", message, sources)
    for (lab_id, clue), message in unsettled.items():
        if not any(d["lab"] == lab_id and d["clue"] == clue for d in derived):
            warn("lab_bound", message)
    for m in measurements:
        for (lab_id, clue), needs in sorted(waiting.items()):
            if lab_id == m.lab.id and (lab_id, clue) not in steps and (lab_id, clue) not in noted \
                    and (lab_id, clue) not in greyed:
                warn("lab_not_interpreted", f"{_named(m)} was not read as {clue}: that {_needs_text(needs)}.",
                     m.lab.sources)
                judged.add(m.lab.id)
        for (lab_id, clue), needs in sorted(waiting_absent.items()):
            if lab_id == m.lab.id and (lab_id, clue) not in steps and (lab_id, clue) not in noted \
                    and (lab_id, clue) not in greyed and (lab_id, clue) not in waiting \
                    and not any(d["lab"] == lab_id for d in derived):
                warn("lab_not_interpreted", f"{_named(m)} was not read as no {clue}: that {_needs_text(needs)}.",
                     m.lab.sources)
                judged.add(m.lab.id)
    for m in measurements:
        if m.from_lab or (estimate is not None and m.lab.id == estimate.from_lab):
            continue
        if m.lab.id == "serum_creatinine" and "egfr" in kb.labs:
            if any(other.lab.id == "egfr" for other in measurements):
                warn("lab_not_interpreted", f"{m.lab.id} {_number(m.value)} {m.unit} was not read: the eGFR given "
                     "was used for kidney function.")
            else:
                warn("lab_not_interpreted", f"{m.lab.id} {_number(m.value)} {m.unit} was not read as an eGFR: the "
                     "CKD-EPI equation needs an age of 18 years or more and the sex; give egfr for ckd.",
                     ("Inker21",))
            continue
        if not m.lab.limits and m.lab.note:
            warn("lab_not_interpreted", f"{m.lab.id}: {m.lab.note}")
            continue
        at = m.age if m.age is not None else case.age_years
        if m.lab.id not in judged and not any(_applies(limit, m, at, case.sex) for limit in m.lab.limits):
            in_unit = [limit for limit in m.lab.limits if limit.unit == m.own_unit]
            if not in_unit:  # battery 44: a PTHrP in pg/mL was said to have no limit "for this age"
                units = sorted({m.lab.own_units.get(limit.unit, limit.unit) if limit.unit is not None
                                else m.lab.canonical for limit in m.lab.limits})
                warn("lab_not_interpreted", f"{m.lab.id} in {m.unit} has no reference limit in that unit (its limits "
                     f"are in {' or '.join(units)}, and {m.unit} does not convert to it); it did not change the "
                     "ranking.")
                continue
            age = "this age" if case.age_years is not None else "an unknown age"
            warn("lab_not_interpreted", f"{m.lab.id} in {m.unit} has no reference limit for {age}"
                 f"{' and sex' if m.lab.id == 'urine_calcium_24h' else ''}; it did not change the ranking.")
    return LabReport(merged(), derived, warnings)


def _stated_against(limit: LabLimit, stated: Mapping[str, bool], derived: list[Derivation]) -> str:
    """The findings a limit's reading rests on that come from a statement against a measured value (hypercalcaemia
    stated absent beside a calcium of 12.8 mg/dL): said, so that the note does not call that calcium normal (robustness
    round 83). "" when every such finding agrees with the values, or no value reads it."""
    against = [f"{clue} stated {'present' if want else 'absent'} (not from the values: "
               f"{'; '.join(step['text'] for step in steps)} was overruled)"
               for clue, want in limit.requires if stated.get(clue) is want
               if (steps := [step for step in derived if step["clue"] == clue and step["present"] is not want])]
    return f", with {' and '.join(against)}" if against else ""


def _named(m: Measurement, digits: str = "") -> str:
    """A measurement as the output names it: "pth 80 pg/mL", or what it was computed from; ``digits``: its value
    written to more digits, where 4 would not tell it from a limit it is compared with."""
    return m.shown or f"{m.lab.id} {m.comparator}{digits or _number(m.value)} {m.unit}"


# The CKD-EPI 2021 creatinine equation, without race, for adults [Inker21]:
# eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age x 1.012 (female); Scr in mg/dL,
# k 0.7 (female) or 0.9 (male), a -0.241 (female) or -0.302 (male). Validated from 18 years; children
# need their height (bedside Schwartz), which a case does not carry.
CKD_EPI_2021 = {"female": (0.7, -0.241, 1.012), "male": (0.9, -0.302, 1.0)}
CKD_EPI_MIN_AGE = 18.0


def _egfr_from_creatinine(measurements: list[Measurement], case: Case, kb: KnowledgeBase) -> Measurement | None:
    """An eGFR computed from the serum creatinine of an adult of known sex, when no eGFR is given, as a
    measurement of the egfr lab that names the creatinine it came from."""
    by_id = {m.lab.id: m for m in measurements}
    creatinine = by_id.get("serum_creatinine")
    egfr = kb.labs.get("egfr")
    if (creatinine is None or creatinine.canonical_value is None or "egfr" in by_id or egfr is None
            or egfr.canonical != "mL/min/1.73m2" or creatinine.lab.canonical != "mg/dL"
            or case.sex not in CKD_EPI_2021 or case.age_years is None or case.age_years < CKD_EPI_MIN_AGE):
        return None
    kappa, alpha, female = CKD_EPI_2021[case.sex]
    ratio = creatinine.canonical_value / kappa
    # reported, as laboratories report it, in whole mL/min/1.73 m2: the value shown is the value compared
    value = float(round(142.0 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.2 * 0.9938 ** case.age_years
                        * female))
    flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(creatinine.comparator, "")
    shown = (f"serum_creatinine {creatinine.comparator}{_number(creatinine.value)} {creatinine.unit} (eGFR "
             f"{flipped}{value:.0f} mL/min/1.73m2 by CKD-EPI 2021, {case.sex}, {case.age_years:.3g} y)")
    # the eGFR falls as the creatinine rises: a creatinine bound is an eGFR bound the other way ("<0.9 mg/dL" is an
    # eGFR above 111), which settles a limit only on its side
    return Measurement(egfr, creatinine.value, creatinine.unit, value, None, shown, "serum_creatinine", ("Inker21",),
                       comparator=flipped)


ALBUMIN_REFERENCE_G_DL = 4.0  # Payne 1973: corrected Ca (mg/dL) = Ca + 0.8 x (4.0 - albumin g/dL)
ALBUMIN_FACTOR = 0.8

# Two lab values are read together (an albumin correcting a calcium, an ionised calcium deciding over a total one,
# an eGFR standing for a creatinine) only when they were sampled within about a month of each other: a value
# years older is not the patient's present state (robustness round 78: an albumin of 2005 "corrected" a calcium of
# 2024 into hypercalcaemia). The window is a design estimate; values of unknown sampling age are read together.
SAME_TIME_YEARS = 31 / 365.25


def years_apart(first: float | None, second: float | None) -> float | None:
    """How far apart two sampling ages are, when both are known and further apart than SAME_TIME_YEARS."""
    if first is None or second is None or abs(first - second) <= SAME_TIME_YEARS:
        return None
    return abs(first - second)


def _interval(years: float) -> str:
    return f"{years:.1f} years" if years >= 1 else f"{round(years * 12)} months" if years >= 2 / 12 \
        else f"{round(years * 365.25)} days"


def _albumin_corrected_calcium(measurements: list[Measurement]) -> tuple[float, str] | None:
    """Total calcium corrected for albumin [Payne73], in mg/dL, when both are given in converted units."""
    by_id = {m.lab.id: m for m in measurements}
    calcium, albumin = by_id.get("serum_calcium"), by_id.get("serum_albumin")
    if calcium is None or albumin is None or calcium.canonical_value is None or albumin.canonical_value is None \
            or albumin.comparator:  # an albumin bound corrects by an unknown amount
        return None
    if calcium.lab.canonical != "mg/dL" or albumin.lab.canonical not in ("g/L", "g/dL"):
        return None
    albumin_g_dl = albumin.canonical_value / (10.0 if albumin.lab.canonical == "g/L" else 1.0)
    value = calcium.canonical_value + ALBUMIN_FACTOR * (ALBUMIN_REFERENCE_G_DL - albumin_g_dl)
    return value, f"{_number(value)} mg/dL corrected for albumin {_number(albumin_g_dl)} g/dL"


def parse_lab_option(text: str, kb: KnowledgeBase | None = None) -> tuple[str, float, str]:
    """`ID=VALUE UNIT` from the command line, e.g. ``serum_calcium=11.8mg/dL`` or ``pth=140 pg/mL`` (a bound,
    ``pth=<6pg/mL``, is read by ``parse_lab_bound``)."""
    lab_id, value, unit, _ = parse_lab_bound(text, kb)
    return lab_id, value, unit


def parse_lab_bound(text: str, kb: KnowledgeBase | None = None) -> tuple[str, float, str, str]:
    """As ``parse_lab_option``, with an optional comparator before the value (``pth=<6pg/mL``: the value is a
    bound), returned last ("" for an exact value)."""
    import re

    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("--lab", f"{text!r} is not valid text (undecodable bytes)") from None
    # ≤ and ≥ as a laboratory prints them are <= and >=, as a FHIR valueString's are read (robustness round 66)
    text = text.replace("\u2264", "<=").replace("\u2265", ">=")
    number_pattern = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    # ASCII digits only: Python's \\d and float() also take Arabic-Indic and other digits, which `ask` refused
    match = re.fullmatch(r"\s*([A-Za-z0-9_]+)\s*=\s*(<=|>=|<|>)?\s*" + number_pattern + r"\s*(\S.*?)?\s*", text,
                         re.ASCII)
    if match is None:
        special = re.fullmatch(r"\s*([A-Za-z0-9_]+)\s*=\s*(?:<=|>=|<|>)?\s*([-+]?(?:nan|inf(?:inity)?))\b.*", text,
                               re.ASCII | re.IGNORECASE)
        if special is not None:  # nan or inf: a value, but not one a lab has (as 1e309 is said)
            raise InputError(f"labs.{special.group(1)}.value", f"must be a finite number (got {special.group(2)!r})")
        raise InputError("--lab", f"{text!r} is not ID=VALUE UNIT (e.g. serum_calcium=11.8mg/dL, \"pth=140 pg/mL\")")
    lab_id, comparator, number, unit = match.groups()
    if unit is not None and number in ("0", "+0", "-0") and re.search(r"[=<>\s][-+]?0[xX][0-9A-Fa-f]", text):
        # 0x10: a hexadecimal number, not the value 0 with a unit "x10 ..."
        raise InputError("--lab", f"{text!r}: write the value as a decimal number, not in hexadecimal")
    if math.isinf(float(number)):  # 400 digits: read as "inf", then said to be outside the plausible range
        shown = number if len(number) <= 12 else f"{number[:12]}..., {len(number)} characters"
        raise InputError(f"labs.{lab_id}.value", f"must be a finite number (got {shown}; too large for a number)")
    run_on = re.match(r"[0-9_.]*[_.][0-9_.]*", unit or "")  # 1_000 or 1.2.3: the number goes on past its end
    # an underscore right after the digits is never a unit's start (1_ pg/mL); a point is, only before a digit
    if run_on is not None and (re.match(r"[_.]?[0-9]", unit or "") or (unit or "").startswith("_")) \
            and match.end(3) == match.start(4):
        written = number + run_on.group()
        plain = written.replace("_", "")
        hint = f" ({plain})" if "_" in written and re.fullmatch(r"\d+(?:\.\d+)?", plain) else ""
        raise InputError(f"labs.{lab_id}.value", f"{written!r} is not a number; write it with digits and at most one "
                         f"decimal point, without separators{hint}")
    if re.match(r"\s*(?:-|–|to\b)\s*\d", unit or "") and match.end(3) <= match.start(4) and not comparator:
        # 10-12 mg/dL: a range, whose second number was taken for a unit "-12 mg/dL" (fuzz review 44)
        raise InputError(f"labs.{lab_id}.value", f"{text.split('=', 1)[-1].strip()!r} is a range: give the one "
                         "measured value")
    comma = re.match(r",(\d+)((?:[.,]\d+)*)", unit or "")
    if comma is not None and "." not in number:  # 11,9 mg/dL: a decimal comma, not a unit ",9 mg/dL"
        digits, rest = comma.group(1), comma.group(2)
        grouped = number + comma.group()
        if rest:  # 1,200.5 or 12,345,678: commas that can only separate thousands
            plain = number + digits + rest.replace(",", "")
            if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", grouped):
                raise InputError(f"labs.{lab_id}.value", f"{grouped!r}: write the number without the thousands "
                                 f"separator ({plain})")
            raise InputError(f"labs.{lab_id}.value", f"{grouped!r} is not a number; write it with digits and at "
                             "most one decimal point, without separators")
        if len(digits) == 3 and number.lstrip("+-") != "0":
            # 1,200 mg/day is a thousands separator as often as a decimal comma: a 1000-fold misreading either
            # way, so neither is guessed (fuzz review 44: the hint proposed 1.200, read as 1.2 mg/day)
            raise InputError(f"labs.{lab_id}.value", f"{grouped!r} is ambiguous: the comma may separate thousands "
                             f"({number}{digits}) or mark the decimal ({number}.{digits}); write the number "
                             "without separators, with a point for a decimal")
        raise InputError("--lab", f"{text!r}: write the decimal with a point ({number}.{digits}), "
                         "not a comma")
    if re.fullmatch(r"[1-9]\d{0,2}\.\d{3}", number) and unit is not None and kb is not None and lab_id in kb.labs:
        # the mirror of the comma: in a decimal-comma locale "1.200" is 1200; kept only where the lab's plausible
        # range allows one reading alone (a creatinine of 1.200 mg/dL), as the FHIR reader keeps it (robustness
        # round 79: "pth=1.200 pg/mL" was read as a suppressed PTH of 1.2)
        reading = one_plausible(lab_id, (float(number.replace(".", "")), float(number)), unit, kb)
        if reading is None:
            raise InputError(f"labs.{lab_id}.value", f"{number!r} is ambiguous: the point may separate thousands "
                             f"({number.replace('.', '')}) or mark the decimal ({number}); write the number without "
                             "separators, or with fewer decimals")
        number = f"{reading:g}"
    if unit is None and kb is not None and lab_id in kb.labs and kb.labs[lab_id].accepted_units == ["pH"]:
        unit = "pH"  # a pH has no unit to forget: urine_ph=6.8 is unambiguous
    if unit is None and kb is not None and lab_id not in kb.labs:
        measure(lab_id, 0.0, "", kb)  # an unknown lab is named as one, not asked for a unit (it raises)
    if unit is None:
        lab = kb.labs.get(lab_id) if kb is not None else None
        example = lab.accepted_units[0] if lab is not None else "<unit>"
        accepted = f"; accepted units: {lab.accepted_units_text}" if lab is not None else \
            "; see `nephrocalc labs`"
        # written as the shell takes it in one word: "k=2.9 mmol/L" unquoted is two arguments
        raise InputError("--lab", f"{text!r} needs a unit (e.g. {lab_id}={number}{example}, or quoted: "
                         f"\"{lab_id}={number} {example}\"){accepted}")
    return lab_id, float(number), unit, comparator or ""


def one_plausible(lab_id: str, readings: Iterable[float], unit: str, kb: KnowledgeBase) -> float | None:
    """Of the readings of one written number (a separator read as thousands or as a decimal), the one the lab's
    plausible range allows, when only one does; None when none or several do."""
    plausible = []
    for reading in readings:
        try:
            measure(lab_id, reading, unit, kb)
        except InputError:
            continue
        plausible.append(reading)
    return plausible[0] if len(plausible) == 1 else None


def _needs_text(needs: Iterable[str]) -> str:
    """What a value waits for: "needs ckd or hypercalcemia", or, where limits wait for a clue either way (a PTH
    read one way with CKD and another without), "needs to know whether there is ckd or hypercalcemia"."""
    wanted = sorted(needs)
    clues = sorted({need.removeprefix("no ") for need in wanted})
    if len(clues) < len(wanted) or any(need.startswith("no ") for need in wanted):
        listed = ", ".join(clues[:-1]) + f" or {clues[-1]}" if len(clues) > 1 else clues[0]
        return f"needs to know whether there is {listed} (stated present or absent, or from another lab value)"
    return f"needs {' or '.join(wanted)} (stated, or from another lab value)"
