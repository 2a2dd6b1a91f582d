"""`nephrocalc method`: what a clinician needs to review the basis of a ranking (plain text)."""

from __future__ import annotations

from nephrocalc import __version__
from nephrocalc.knowledge import Finding, KnowledgeBase
from nephrocalc.render.views import certainty_until


def _count(n: int, noun: str) -> str:
    """"one specific finding", "2 specific findings"."""
    return f"one {noun}" if n == 1 else f"{n} {noun}s"


def method_text(kb: KnowledgeBase) -> str:
    # each finding of a cause once, as `findings` counts them (robustness round 65: the entries of every form were
    # counted, and the page said all 201 weights were estimates)
    estimates = len({(c.id, clue) for c in kb.causes.values() for form in c.forms
                     for clue, f in form.findings.items() if f.estimate})
    findings = sum(len({clue for form in c.forms for clue in form.findings}) for c in kb.causes.values())
    # the knowledge base and every pack loaded with it, each with its version, as a result's "rules" names them
    # (robustness round 67: a pack's or the extended causes were counted as the built-in knowledge base's)
    loaded = " + ".join(f"{pack.name}, version {pack.version}" for pack in kb.packs) or \
        f"{kb.name}, version {kb.version}"
    unexplained = _count(kb.fit.max_unexplained, "specific finding") + (" is" if kb.fit.max_unexplained == 1
                                                                        else " are")
    freq = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in kb.frequency.items())
    spec = ", ".join(f"{k} {v:g}" for k, v in kb.specificity.items())
    other_adult, other_child, other_preterm = (kb.other.prior[g] for g in ("adult", "child", "preterm"))

    def ratio(f: Finding) -> str:  # the side that counts: "hypercalcaemia x5", or "no alkaline urine x10"
        label = kb.clues[f.clue].label.lower() if f.clue in kb.clues else f.clue
        if f.lr_present == 1.0 and f.lr_absent == 1.0:  # it stops the unlisted-finding ratio, and says so
            return f"{label} x1 (neutral: not counted as pointing outside)"
        if f.lr_present == 1.0 and f.lr_absent != 1.0:
            return f"no {label} x{f.lr_absent:g}"
        return f"{label} x{f.lr_present:g}" + (f" (absent x{f.lr_absent:g})" if f.lr_absent != 1.0 else "")

    stated = ", ".join(ratio(f)
                       + (f" at {f.age_text()}" if f.age_bounded else "")
                       + (f" with {kb.clues[f.given].label.lower() if f.given in kb.clues else f.given}" if f.given
                          else "")
                       + (" (not with " + ", ".join(kb.clues[u].label.lower() if u in kb.clues else u
                                                     for u in f.unless) + ")" if f.unless else "")
                       + (" (estimate)" if f.estimate else "")
                       for f in kb.other.findings)
    other_findings = f"\n  Its own ratios: {stated}." if stated else ""
    caps = "; ".join(f"{c.short_name} at {c.certainty.cap:.0%} "
                     + ("always" if c.certainty.unless is None else certainty_until(kb, c.certainty).strip())
                     for c in kb.causes.values() if c.certainty is not None
                     and (c.certainty.unless is None or c.certainty.unless in kb.clues))
    from nephrocalc.engine import RULE_OUT_FLOOR as rule_out_floor
    return f"""nephrocalc {__version__} — method

INTENDED USE
  Decision support for clinicians (radiologists, nephrologists, paediatricians, endocrinologists)
  who have found nephrocalcinosis on imaging and want a ranked, explained list of causes to work
  up. It is not a diagnosis and not a substitute for clinical judgement; it is not for patients.

INPUTS
  The pattern of calcification (medullary, cortical, combined; required), optionally the
  modality, the medullary grade (0-3), laterality, age, sex, and clinical clues, each stated
  present (true), absent (false) or left out (unknown). See `nephrocalc clues`.

HOW THE SCORING WORKS
  Each cause starts from its prior: how common it is among all nephrocalcinosis at the patient's
  age (preterm/neonate, child, adult; a mix when age is unknown). The pattern, sex and laterality
  then multiply it by how typical they are of the cause. Each stated clue multiplies it by a
  likelihood ratio (LR): for a finding the cause lists,
      LR present = P(finding | cause) / P(finding | a cause that does not list it)
      LR absent  = (1 - P(finding | cause)) / (1 - P(finding | a cause that does not list it)).
  P(finding | cause) comes from the finding's frequency ({freq});
  P(finding | other causes) from the clue's specificity among the twelve causes ({spec}),
  after the frequency and evoking-strength scales of INTERNIST-1/QMR, or, in a child, from the
  clue's own background among children where it differs (growth failure: common in every
  paediatric cause). A source may give an
  explicit LR instead. A clue left out changes nothing: unknown is never a penalty.
  A clue that means another by definition states it too (a kidney transplant or kidney failure is
  ckd: clues.toml implies).
  Causes with distinct clinical forms (e.g. primary and tertiary hyperparathyroidism) are
  scored as a mixture of their forms; the evidence shown is that of the best-fitting form.
  A finding physiologically incompatible with a cause (a contradiction, e.g. metabolic alkalosis
  with distal RTA) has its own small, sourced LR; some hold only with another finding (a raised PTH
  with hypercalcaemia is PTH-driven, against chronic hypercalciuria, whose raised PTH is the
  secondary kind with a normal calcium). A preterm infant is counted in the preterm priors, not
  again as a finding. Correlated findings are not counted twice (a
  stated distal RTA contains its acidosis and alkaline urine; one state of a variable makes the
  others absent, so a raised PTH is not counted again as "not suppressed", nor an acidosis as "no
  alkalosis"; a finding that follows from another
  stated one - a suppressed PTH, polyuria, vomiting and acute kidney injury from hypercalcaemia,
  hyperphosphataemia, hypocalcaemia, hypertension, anaemia and proteinuria from CKD, hypokalaemia from
  a metabolic alkalosis, pyuria from stones - is not rare in the causes that do not list it, nor
  outside the knowledge base (clues.toml given_background); tramline or rim calcification is a
  shape of cortical nephrocalcinosis, so under a cortical pattern it counts for every cortical
  cause), a
  finding stated absent counts only on a modality that can show it, and says less when another
  stated finding can hide it whatever the cause (a normal urine calcium or oxalate with CKD, since
  both fall with the GFR: clues.toml absent_masked_by), and lab values are read in
  context (PTH with calcium and kidney function, urine pH during acidosis, calcium corrected for
  albumin, an adult's creatinine through the CKD-EPI 2021 eGFR; grey zones derive nothing). Age bands
  lower causes that are rare or impossible at the patient's age, and a finding may have its own
  frequency at some ages (CKD is rare in distal RTA under 2 years, usual in infantile oxalosis) or
  its own background (CKD in 6% of adults aged 18-44, 34% from 65).
  When the nephrocalcinosis was found earlier than the current age (onset_age_years,
  --onset-age; a phenopacket's or FHIR bundle's onset), the causes are weighed at that age and
  the lab values at the current one.

OPEN WORLD AND FIT
  `other`, a cause outside the loaded knowledge base, is ranked like every cause: prior
  {other_adult:.0%} in adults, {other_child:.0%} in children, {other_preterm:.0%} in preterm infants
  (estimates, informed by published series), flat likelihoods, and a likelihood ratio of
  {kb.other.unused_clue_lr:g} for each present finding that no loaded cause lists.{other_findings} The fit is
  "poor" when `other` leads, a finding contradicts the best cause, or more than
  {unexplained} left unexplained (a finding common at the
  patient's age, or one another present finding brings with it, such as the hypocalcaemia of
  CKD, is not); the result then names the unexplained findings and causes to consider.

WHAT TO CHECK NEXT
  `next_findings` lists the unknown findings by expected information gain (bits) about the
  leading causes, after the rule-out test of any can't-miss cause shown at {rule_out_floor:.0%} or more (or
  below it when a finding its rule names is stated, or for a child: the urine oxalate of primary
  hyperoxaluria).
  `ask` asks them one at a time, weighing a finding's gain by the chance that the answer is at
  hand (1 for the first-line work-up, {kb.interview.other_weight:g} for anything else, times
  {kb.interview.unknown_group_weight:g} for each finding of its group already answered unknown: a work-up not done
  leaves its other findings unknown too; the drugs taken are a group of their own); of two readings of one lab
  it asks the likelier.

PROBABILITIES
  Scores are natural logs; probabilities are the scores divided by a temperature of
  {kb.calibration.temperature:g} ({kb.calibration.note or 'uncalibrated'};
  fitted on: {kb.calibration.fitted_on or 'none'}),
  normalised over every cause and `other`, so every cause is always listed. Certainty above 95%
  without a defining finding (LR of 20 or more, of a clue not marked `defining = false` as one that
  suggests but never settles a cause, e.g. hilar lymphadenopathy), or with one the cause nearly always has stated
  absent, is capped: the leading cause is stated at 0.95
  ("capped" in JSON, "> 95%" in the table) and the others share the rest in proportion. A cause
  with a [certainty] of its own (a structural diagnosis) is capped lower until its defining finding
  is stated, and a mimic that does not calcify the kidneys always: {caps or "none in this knowledge base"}.
  A cap under one half (an exposure not yet stated) is raised just enough to keep the leader first.
  Ties are broken by prior, then by id.

KNOWLEDGE BASE
  {loaded}
  together: {len(kb.causes)} causes, {len(kb.clues)} clues, {findings} findings, {len(kb.caveats)} caveats,
  {len(kb.sources)} sources. Rule files: {kb.root}
  Every weight names the sources it rests on (`nephrocalc cause ID`); where they give no figure
  the weight is an estimate, marked as such: {estimates} of the {findings} findings, and all priors
  (unsourced estimates, informed by the series each cause file cites).

VALIDATION STATUS
{_measured(kb)}
  Author-written vignettes are tests, not evidence of accuracy. It has not been validated
  prospectively or in a clinical trial. Report errors in the knowledge base with the case and
  the source.
"""


def _measured(kb: KnowledgeBase) -> str:
    measured = kb.calibration.measured
    if measured is None:
        return ("  Not measured for this knowledge base: `python bench/evaluate.py` prints top-1, top-3, the\n"
                "  Brier score, a calibration table and the fit statistics on the development set.")
    patients, description, top1, top3, brier, mean_top1, inside_flagged, outside, outside_flagged, bins = measured
    extended = any(cause.extended for cause in kb.causes.values())
    lines = [
        f"  Development set: {patients} published patients whose cause is one of the twelve built-in",
        f"  causes ({description}); measured without --extended." if extended else
        f"  causes ({description}).",
        f"  First: {top1:.0%}; in the first three: {top3:.0%}; Brier score {brier:.3f}; mean top-1",
        f"  probability {mean_top1:.2f} for an accuracy of {top1:.2f}; flagged (fit poor, `other` first or",
        f"  top probability under 0.5) although the cause is listed: {inside_flagged:.0%}.",
    ]
    if outside:
        lines.append(f"  {outside} published patients whose cause is outside it: flagged {outside_flagged:.0%}.")
    if bins:
        lines.append("  Calibration (top-1 probability, patients, mean stated, observed accuracy):")
        lines += [f"    {low:.2f}-{min(high, 1.0):.2f}  {cases:>4}  {stated:.2f}  {observed:.2f}"
                  for low, high, cases, stated, observed in bins]
    lines.append("  Re-measure with `python bench/evaluate.py`.")
    return "\n".join(lines)
