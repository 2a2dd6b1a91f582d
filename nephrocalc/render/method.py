"""`nephrocalc method`: what a clinician needs to review the basis of a ranking (plain text)."""

from __future__ import annotations

from nephrocalc import __version__
from nephrocalc.knowledge import KnowledgeBase


def method_text(kb: KnowledgeBase) -> str:
    estimates = sum(1 for c in kb.causes.values() for form in c.forms for f in form.findings.values() if f.estimate)
    findings = sum(len({clue for form in c.forms for clue in form.findings}) for c in kb.causes.values())
    freq = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in kb.frequency.items())
    spec = ", ".join(f"{k} {v:g}" for k, v in kb.specificity.items())
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
  after the frequency and evoking-strength scales of INTERNIST-1/QMR. A source may give an
  explicit LR instead. A clue left out changes nothing: unknown is never a penalty.
  Causes with distinct clinical forms (e.g. primary and tertiary hyperparathyroidism) are
  scored as a mixture of their forms; the evidence shown is that of the best-fitting form.
  Scores are natural logs; probabilities are the scores normalised over all causes, so every
  cause is always listed (a cortical cause still appears, low, in a medullary case). Ties are
  broken by prior, then by id. The model treats findings as independent given the cause, which
  overstates certainty when clues are correlated: read the probabilities as a ranking aid.

KNOWLEDGE BASE
  {kb.name}, version {kb.version}: {len(kb.causes)} causes, {len(kb.clues)} clues, {findings} findings,
  {len(kb.caveats)} caveats, {len(kb.sources)} sources. Rule files: {kb.root}
  Every weight cites its sources (`nephrocalc cause ID`); {estimates} finding weights are marked
  as unsourced estimates, and all priors are unsourced estimates derived from published series.

VALIDATION STATUS
  Checked by the test suite against textbook vignettes written from the knowledge brief (at
  least two per cause) and a small set of published case reports. It has not been validated
  prospectively or in a clinical trial. Report errors in the knowledge base with the case and
  the source.
"""
