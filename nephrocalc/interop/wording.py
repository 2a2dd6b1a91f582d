"""Cues in the free text of a record that deny, hedge or attribute to a relative what its code or name states.

The readers do not parse clinical language. They read the code; these checks only keep a text that plainly
says otherwise ("Sarcoidosis ruled out", "No hearing loss", "?sarcoid", "maternal nephrocalcinosis", "not on
furosemide") from being read as the patient's present finding or drug, and say so. A cue counts only where it
bears on the named finding: at the start of the text's first clause or at its end, or right after a colon
("hearing loss: none"). A clause after a comma, semicolon or dash is about something else ("Hypokalaemia (K 2.9),
not on supplements", "Distal RTA - not yet genotyped", "CKD 3a, no proteinuria"): black-box reviews 51 and 52.
Pure: text in, the cue found (or "") out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nephrocalc.vocab import folded_name as folded_name  # shared with the rules check of hpo.toml names

# (not "relative" at the start: "Relative macrocephaly" is an HPO term, and "relative hypercalciuria" a finding)
_KIN = (r"mother|father|mum|mom|mam|dad|sister|brother|sibling|siblings|parent|parents|son|daughter|"
        r"grandmother|grandfather|grandparent|aunt|uncle|cousin|"
        # a twin pregnancy is the patient's ("Twin pregnancy complicated by placental abruption": robustness round 78)
        r"twin(?!\s+(?:pregnancy|gestation|birth|delivery))")
_RELATIVES = _KIN + r"|relative|relatives"
# at the start of the first clause: a negation, a hedge (a question, a differential, a risk, a screening) or a
# relative ("FHx kidney stones", "maternal nephrocalcinosis", "mum - kidney stones")
_LEADING = re.compile(r"^(?:(?:patient|pt)\s+)?(?:(no|not|never|neg|negative for|normal(?!\s+anion)|denies|denied|"
                      r"without|w/o|r/o|absence of|free of|fam hx|family hx|fam history|fmhx|"
                      r"close contact with|awaiting|empiric|empirical|biopsy negative for|"
                      # "normocalcaemic" denies a hypercalcaemia, not the named disorders it qualifies (normocalcaemic
                      # hypercalciuria, normocalcaemic primary hyperparathyroidism: robustness round 78)
                      r"normocalc(?:a)?emic(?!\s+(?:hypercalciuria|primary|hyperparathyroid\w*|phpt|hpt|idiopathic))|"
                      r"non-?tuberculous|bcg|ppd|mantoux|quantiferon|igra|tuberculin|"
                      r"positive (?:mantoux|ppd|tuberculin|quantiferon|igra)|"
                      r"rule[- ]out|ruled[- ]out|excluded|possible|possibly|probable|probably|suspected|suspect|"
                      r"suspicion of|presumed|presumptive|doubtful|questionable|question of|likely|unlikely|"
                      r"concern for|concerning for|evaluate for|evaluation for|evaluation of|work-?up for|"
                      r"exposure to|exposed to|contact with|"
                      # a state after the treatment, not the presentation ("Post-operative hypocalcaemia" after a
                      # parathyroidectomy: blind FHIR curation 84 read it beside the hypercalcaemia it followed)
                      # (a post-operative scan is still the imaging of the day: "Post-operative CT: nephrocalcinosis")
                      r"(?:post-?operative|post-?op|postop|post-?parathyroidectomy|post-?surgical|post-?treatment)"
                      r"(?!\s+(?:ct|us|ultrasound|sonography|imaging|scan|x-?ray|radiograph|mri|mr|study|film|kub))"
                      # a lasting disorder the operation left is a history, the usual one at that ("Postoperative
                      # hypoparathyroidism" after a thyroidectomy, a post-surgical short bowel)
                      r"(?!\s+(?:hypoparathyroid\w*|hypothyroid\w*|short|malabsorption|hypocalcaemia\s+requiring|"
                      r"chronic))|"
                      r"query|queried|ddx|differential|risk of|at risk of|risk for|screening for|screen for|"
                      r"family history|fh|fhx|f/h|maternal|paternal|" + _KIN + r")\b|(\?))")
# after an operation on the parathyroids: "after parathyroid adenoma excision", "post-parathyroidectomy", "s/p
# parathyroidectomy in 2019" (a state the treatment left, not the presentation: blind FHIR curation 86), at the end of
# the text, in a parenthesis or as a clause of its own (robustness round 87: those were read as at presentation)
_AFTER_PARATHYROID_SURGERY = (r"(?:(?:(?:after|following|status post|s/p|post)[- ]?(?:(?:the|a|an|his|her)\s+)?"
                              r"(?:[a-z-]+\s+){0,2}(?:parathyroidectomy|parathyroid (?:adenoma |gland |glands |"
                              r"tumou?r |carcinoma )?(?:excision|resection|removal|surgery))|(?:after|following) "
                              r"(?:the\s+)?(?:excision|resection|removal) of (?:(?:the|a|an|his|her)\s+)?"
                              r"(?:[a-z-]+\s+){0,2}parathyroid(?:\s+[a-z-]+){0,2})(?:\s+(?:for|in|on)\s+[a-z0-9 ]+)?)")
# a finding said to persist or come back after the treatment is the patient's now ("Recurrent hypercalcaemia after
# parathyroidectomy": a missed or second adenoma; robustness round 87: it was read as a state the operation left)
_PERSISTS = re.compile(r"\b(?:persist\w*|recurr\w*|residual|relaps\w*|ongoing|despite|still|unresolved)\b")
_AFTER_TREATMENT = re.compile(r"^\(?\s*(?:post|after|following|status post|s/p)")
# at the end of the first clause: "sarcoidosis ruled out", "hearing loss (-)", "TB ?", "kidney stones (dad)",
# "sarcoidosis in her mother", "tuberculosis screening"
_HEDGES = (r"ruled[- ]out|rule[- ]out|r/o|excluded|negative|neg|absent|none|not present|not seen|not found|unlikely|"
           r"not confirmed|unconfirmed|disproven|disproved|doubtful|questionable|suspected|query|possible|probable|"
           r"presumed|denied|to be excluded|to exclude|considered|pending(?: [a-z]+)?|awaiting(?: [a-z]+)?|"
           r"family history|fh|fhx|presumptive|provisional|not detected|not supported|-ve|"
           r"(?:biopsy|culture|cultures|test|screen|screening) (?:negative|neg|-ve|not detected)")
_TRAILING = re.compile(r"(?:\b(ruled[- ]out|excluded|negative|neg|absent|none|not present|not seen|not found|unlikely|"
                       r"not confirmed|unconfirmed|disproven|disproved|doubtful|screening|suspected|query|denied|"
                       r"to be excluded|to exclude|(?:was |were )?considered|pending(?: [a-z]+)?|"
                       r"awaiting(?: [a-z]+)?|not detected|not supported|presumptive|provisional|contact|exposure|"
                       r"(?<!hypoparathyroidism )(?<!hypothyroidism )"
                       r"(?:post-?operative(?:ly)?|post-?op|" + _AFTER_PARATHYROID_SURGERY + r")|"
                       # a risk named by its kind is another finding's ("CKD stage 3 with high cardiovascular risk")
                       r"(?<!cardiovascular )(?<!cardiac )(?<!cv )(?<!fall )(?<!falls )(?<!fracture )(?<!bleeding )"
                       r"risk|screen|vaccinated|vaccine given|vaccine|"
                       r"(?:negative|neg)(?:\s*x\s*\d+)?|"
                       r"in (?:his|her|the|a|their)?\s*(?:" + _RELATIVES + r"))(?:\s+(?:by|on)\s+[a-z0-9 ]+)?"
                       r"|(\(\s*(?:-|no|\?|maternal|paternal|" + _HEDGES + r"|" + _RELATIVES + r"|"
                       + _AFTER_PARATHYROID_SURGERY + r")\s*\))|(\?)|(\s-ve)"
                       r"|(\?\s*(?:no|neg|negative)))\s*$")
# a differential ("sarcoidosis vs lymphoma") names the finding as one of two
_VERSUS = re.compile(r"\b(vs\.?|versus)\s")
# a second clause that is nothing but a hedge, a denial or a relative bears on the finding: "Sarcoidosis - negative",
# "Sarcoidosis, not confirmed", "Kidney stones - maternal aunt" (a clause with words of its own is about something
# else: "Distal RTA - not yet genotyped", "CKD 3a, no proteinuria")
_SOLE_CLAUSE = re.compile(r"^(?:(" + _HEDGES + r")|((?:(?:his|her|the|a|their)\s+)?(?:maternal\s+|paternal\s+)?(?:"
                          + _RELATIVES + r"))|(" + _AFTER_PARATHYROID_SURGERY + r"))\W*$")
# right after a colon: "hearing loss: none", "sarcoid: neg", "DDx: sarcoidosis" is caught by _LEADING
# ("normal" only alone: "Metabolic acidosis: normal anion gap" states the acidosis)
_AFTER_COLON = re.compile(r"^\s*(none|no|nil|absent|negative|neg|not present|not seen|not detected|unlikely|"
                          r"normal(?=\W*$)|excluded|ruled out|doubtful|-ve|\(-\)|-|\?)(?:\W|$)")
_CLAUSE = re.compile(r"\s*[,;]\s*|\s+[-\u2013\u2014]\s+")
_FAMILY_WORDS = re.compile(r"\b(?:family history|fh|fhx|f/h|maternal|paternal|" + _RELATIVES + r")\b|\((?:"
                           + _RELATIVES + r"|maternal|paternal)\)")


def finding_cue(text: str, family: bool = False) -> str:
    """The words of a finding's text that deny, hedge or attribute it to a relative ("" when none does); with
    ``family`` (the code is itself a family history) the relatives are its subject and qualify nothing."""
    said = " ".join(text.lower().split())
    if not said:
        return ""
    clauses = _CLAUSE.split(said, maxsplit=1)
    first = clauses[0]
    head, colon, tail = first.partition(":")
    second = _SOLE_CLAUSE.search(clauses[1].strip()) if len(clauses) > 1 else None
    for found in (_LEADING.search(head.strip()), _TRAILING.search(head.strip()),
                  _AFTER_COLON.search(tail) if colon else None, _VERSUS.search(head), second):
        if found is None:
            continue
        cue = next(group for group in found.groups() if group)
        if family and _FAMILY_WORDS.search(cue):
            continue
        if _AFTER_TREATMENT.search(cue) and _PERSISTS.search(said):
            continue
        return cue
    return ""


def first_cue(texts: Iterable[str], family: bool = False) -> str:
    """The first of ``texts`` with a cue (finding_cue), or ""."""
    return next((text for text in texts if text and finding_cue(text, family)), "")


# A drug's name: a denial before the drug ("not on furosemide", "patient denies ...", "off furosemide"), "<drug>-free",
# or a phrase that denies wherever it stands ("Furosemide - not taking", "(never taken)", "allergy - do not give",
# "patient refused"). Instructions after the drug ("not for IV use", "no substitutions", "not at night") deny nothing.
_DENIED_BEFORE = re.compile(r"\b(not|no|never|without|w o|denies|denied|deny|refused|refuses|declined|declines|nil|"
                            r"none|avoid|avoids|avoided|contraindicated|allergy|allergic|intolerant|intolerance|off)\b")
_DENIED_ANYWHERE = re.compile(r"\b(not taking|not taken|never taken|never took|not tolerated|contraindicated|"
                              r"allergy|allergic|intolerant|intolerance|do not give|refused|refuses|declined|"
                              r"declines)\b")
_NONE_AFTER = re.compile(r":\s*(none|no|nil)\b")
# a drug stopped or held: "furosemide discontinued", "stop furosemide", "Lasix d/c", "furosemide held"; not an
# instruction ("not to be stopped abruptly", "hold if SBP < 100") nor a product ("discontinued brand")
_STOPPED = re.compile(r"\b(stop|stopped|discontinued|discontinue|ceased|held|on hold|withheld|d c|dc d|dced)\b")
_NOT_STOPPED = re.compile(r"\b(?:not to be|do not|don t|dont|never)\s+(?:\w+\s+)?(?:stop|stopped|discontinue|"
                          r"discontinued|held|hold)\b|\b(?:hold|held|stop)\s+(?:if|for|when|while|until|before|prior)\b|"
                          r"\bdiscontinued\s+(?:brand|product|formulation|strength|packaging)\b")


# Words of a note or status reason that void the resource itself: a procedure cancelled or aborted, a result to
# disregard, a drug refused (robustness round 72: "Procedure aborted: donor kidney not viable", "specimen
# contaminated, disregard" and "patient refused" were read as coded without a word)
_VOIDING = re.compile(r"\b(cancel+ed|aborted|abandoned|not performed|not done|not carried out|disregard|ignore|"
                      r"contaminated|haemolysed|hemolyzed|erroneous|in error|invalid|wrong patient|refused|declined|"
                      r"not given|not taken|withdrawn)\b")


def voids(text: str) -> str:
    """The words of a note or status reason that void its resource ("" when none do)."""
    found = _VOIDING.search(" ".join(text.lower().split()))
    return found.group(1) if found else ""


def words(text: str) -> str:
    """A text as lower-case words between single spaces, padded: what whole-word matching reads."""
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()) + " "


def agent_denied(name: str, agents: Iterable[str] = ()) -> str:
    """The words of a drug's free-text name that deny it ("" when none do): see above. ``agents``: the vocabulary's
    drug names, to tell before from after."""
    said = words(name)
    places = [said.find(f" {agent} ") for agent in agents if f" {agent} " in said]
    first = min(places) if places else len(said)
    found = _DENIED_BEFORE.search(said[:first + 1]) or _DENIED_ANYWHERE.search(said) \
        or _NONE_AFTER.search(name.lower())
    if found:
        return found.group(1)
    free = next((agent for agent in agents if f" {agent} free " in said), None)
    return f"{free}-free" if free else ""


def agent_stopped(name: str) -> str:
    """The word of a drug's free-text name that says it was stopped or held, or ""."""
    said = words(name)
    if _NOT_STOPPED.search(said):
        return ""
    found = _STOPPED.search(said)
    return found.group(1).replace(" ", "/") if found else ""


def shortlist(items: list[str], limit: int = 10) -> str:
    """Items a note names: the first ``limit`` joined, and how many more there are."""
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


_URINE = re.compile(r"\b(urine|urinary|24 ?h(?:ou)?r? urine)\b")
_BLOOD = re.compile(r"\b(serum|plasma|blood)\b")


def other_specimen(lab_id: str, texts: Iterable[str | None]) -> str:
    """The word of a lab's text or specimen that names another specimen than its code's ("urine" beside a serum
    calcium's code; "serum" beside a urine one), or "". A lab id beginning ``urine_`` is a urine lab; the rest are
    measured in blood."""
    for text in texts:
        if not text:
            continue
        said = " ".join(text.lower().split())
        found = (_BLOOD if lab_id.startswith("urine_") else _URINE).search(said)
        if found is not None and not (lab_id.startswith("urine_") and _URINE.search(said)):
            return found.group(1)
    return ""


# the words of a drug's name, form or route that say it does not reach the circulation: on the skin, the eye, the
# ear, the nose, the vagina or the bladder (for every exposure, whose harm is systemic); and, for a drug the gut does
# not absorb (amphotericin B), by mouth or inhaled (robustness round 83: an amphotericin cream and lozenges were read
# as the nephrotoxic exposure). A transdermal patch does reach the circulation: not among them.
_LOCAL_ROUTE = re.compile(r"\b(topical(?:ly)?|cutaneous|creams?|ointments?|lotions?|eye ?drops?|ophthalmic|ocular|"
                          r"intravitreal|intraocular|ear ?drops?|otic|auricular|intranasal|nasal|vaginal|"
                          r"pessar(?:y|ies)|bladder (?:irrigation|instillation|washout)|intravesical|dental|"
                          r"gingival)\b")
_ORAL_OR_INHALED = re.compile(r"\b(oral(?:ly)?|by mouth|lozenges?|troches?|pastilles?|mouthwash|oromucosal|buccal|"
                              r"sublingual|inhal\w*|nebuli[sz]\w*)\b")


def local_route(text: str, not_absorbed: bool) -> str:
    """The word of a drug's name, form or route that says it stays where it is put (a cream, eye drops, a bladder
    irrigation; with ``not_absorbed``, for a drug the gut does not absorb, also by mouth or inhaled), or ""."""
    said = " ".join(text.lower().split())
    found = _LOCAL_ROUTE.search(said) or (_ORAL_OR_INHALED.search(said) if not_absorbed else None)
    return found.group(1) if found else ""


# what a laboratory's flag says of a result: v3 ObservationInterpretation codes (H, L and their critical and
# off-scale forms, N), SNOMED CT qualifiers (High 75540009, Abnormally high 371879000, Low 62482003, Abnormally low
# 371880002, Normal 17621005) and the words a result is written in; "abnormal" or "borderline" give no direction
FLAG_CODES = {"H": "high", "HH": "high", "HU": "high", ">": "high", "L": "low", "LL": "low", "LU": "low", "<": "low",
              "N": "normal", "75540009": "high", "371879000": "high", "62482003": "low", "371880002": "low",
              "17621005": "normal"}
FLAG_WORDS = {"high": "high", "raised": "high", "elevated": "high", "increased": "high", "above normal": "high",
              "above reference range": "high", "above the reference range": "high", "abnormally high": "high",
              "higher than normal": "high", "low": "low", "decreased": "low", "reduced": "low", "below normal": "low",
              "below reference range": "low", "below the reference range": "low", "abnormally low": "low",
              "lower than normal": "low", "normal": "normal", "within normal limits": "normal", "wnl": "normal",
              "within reference range": "normal", "within the reference range": "normal"}


def flag_level(code: str, text: str) -> str | None:
    """What a flag given as a code or as words says of a result: "high", "low", "normal", or None (an "abnormal",
    a "positive", anything else)."""
    if code.strip().upper() in FLAG_CODES:
        return FLAG_CODES[code.strip().upper()]
    return FLAG_WORDS.get(folded_name(text))


# the words that may stand beside "nephrocalcinosis" in a name of it: its pattern, its side, or words of degree that
# change neither ("Bilateral medullary nephrocalcinosis", "Left nephrocalcinosis", "Extensive nephrocalcinosis")
_NC_WORDS: dict[str, tuple[str, str] | None] = {
    "medullary": ("pattern", "medullary"), "cortical": ("pattern", "cortical"),
    "bilateral": ("side", "bilateral"), "unilateral": ("side", "unilateral"), "left": ("side", "left"),
    "right": ("side", "right"), "left-sided": ("side", "left"), "right-sided": ("side", "right"),
    "diffuse": None, "extensive": None, "early-stage": None, "early": None, "mild": None, "moderate": None,
    "severe": None, "marked": None, "renal": None, "nephrocalcinosis": None}
_NC_NAME = re.compile(r"((?:[a-z-]+,?\s+)*?)nephrocalcinosis(?:\s*,\s*([a-z ,-]+))?")
# the words of a trailing parenthesis that make a name of nephrocalcinosis more than a name: a negation, a hedge, a
# differential, a course that ended or a relative (robustness round 87: "(likely)", "(resolved)", "(in mother)" and
# "(right kidney spared)" were read as present, the last as bilateral); a note of how or when it was seen ("(pattern
# not specified)", "(ultrasound)", "(present at diagnosis, before treatment)") is not
_NC_ASIDE_QUALIFIES = re.compile(
    r"\b(?:no|not(?!\s+(?:specified|stated|given|reported))|none|nil|negative|neg|absent|without|w/o|likely|unlikely|"
    r"possible|possibly|probable|probably|suspect\w*|query|queried|questionable|doubtful|uncertain|equivocal|"
    r"indeterminate|cannot|can't|exclude|excluded|rule|ruled|r/o|ddx|differential|vs|versus|resolved|resolving|"
    r"resolution|history|hx|previous|previously|prior|old|past|former|formerly|pending|awaiting|unconfirmed|"
    r"to be confirmed|spared|sparing|family|fh|fhx|maternal|paternal|" + _RELATIVES + r")\b|\?")


def nephrocalcinosis_denied(text: str) -> str | None:
    """The pattern ("medullary", "cortical", or "nephrocalcinosis" for none) of nephrocalcinosis that a sentence denies
    or hedges ("No nephrocalcinosis", "No evidence of medullary nephrocalcinosis", "Nephrocalcinosis: absent");
    None for a sentence that does not deny it, or names both patterns."""
    said = " ".join(text.lower().split())
    if "nephrocalcinosis" not in said or not finding_cue(text):
        return None
    named = [pattern for pattern in ("medullary", "cortical") if re.search(rf"\b{pattern}\b", said)]
    return named[0] if len(named) == 1 else "nephrocalcinosis" if not named else None


def nephrocalcinosis_named(text: str) -> tuple[str, str] | None:
    """The pattern ("medullary", "cortical" or "nephrocalcinosis") and side ("bilateral", "left", "right" or "") of a
    text that is a name of nephrocalcinosis and nothing else: "nephrocalcinosis" with words of its pattern, its side
    or its degree around it ("Bilateral medullary nephrocalcinosis", "Nephrocalcinosis, left"), a trailing
    parenthesis aside unless it qualifies the name (_NC_ASIDE_QUALIFIES) or names another pattern or side than it.
    None for any other text, a negation or a second finding among them ("No nephrocalcinosis", "Medullary and
    cortical nephrocalcinosis", "Nephrocalcinosis in the pyramids", "Medullary nephrocalcinosis (likely)")."""
    name = folded_name(text)
    aside = ""
    if (parenthesis := re.search(r"\s*\(([^()]*)\)$", name)) is not None:
        name, aside = name[:parenthesis.start()], parenthesis.group(1)
        if _NC_ASIDE_QUALIFIES.search(aside):
            return None
    match = _NC_NAME.fullmatch(name)
    if match is None:
        return None
    found: dict[str, set[str]] = {"pattern": set(), "side": set()}
    for word in (match.group(1) + " " + (match.group(2) or "")).replace(",", " ").split():
        if word not in _NC_WORDS:
            return None
        if (meaning := _NC_WORDS[word]) is not None:
            found[meaning[0]].add(meaning[1])
    if len(found["pattern"]) > 1 or len(found["side"]) > 1:
        return None
    # the parenthesis gives no pattern or side of its own, but one that contradicts the name's is no name
    for word in re.findall(r"[a-z-]+", aside):
        if (meaning := _NC_WORDS.get(word)) is not None and found[meaning[0]] and meaning[1] not in found[meaning[0]]:
            return None
    return next(iter(found["pattern"]), "nephrocalcinosis"), next(iter(found["side"]), "")
