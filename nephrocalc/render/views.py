"""Views of the knowledge base for the reference commands (`causes`, `cause`, `clues`, `labs`): plain
data that the JSON and table renderers both show. Queries of the compiled knowledge base, no I/O."""

from __future__ import annotations

import re
from typing import Any

from nephrocalc.knowledge import KnowledgeBase, LabLimit
from nephrocalc.result import Derivation, Evidence
from nephrocalc.vocab import LINE_CONTROLS, in_text


def form_label(kb: KnowledgeBase, cause_id: str, form_id: str) -> str:
    """The short label of a cause's form ("hereditary"), or the id in words for one not in ``kb``."""
    cause = kb.causes.get(cause_id)
    for form in cause.forms if cause is not None else ():
        if form.id == form_id:
            return form.label or form_id.replace("_", " ")
    return form_id.replace("_", " ")


# a form holding less of its cause's score than this is named with a question mark: the likeliest form, not a
# settled one ("Cortical necrosis (obstetric?)" for a woman of 30 with no precipitating event stated; blind battery
# 70, a form named as if its event were known). A presentation threshold (estimate), not clinical knowledge.
FORM_SETTLED = 0.8


def entry_form(kb: KnowledgeBase, entry: Any) -> str:
    """The label of an entry's best-fitting form as the views show it ("later onset"), with a question mark when the
    form is the likeliest of several rather than settled by the findings ("obstetric?"); "" for none."""
    if not entry.get("form"):
        return ""
    label = form_label(kb, entry["cause"], entry["form"])
    share = entry.get("form_share")
    return f"{label}?" if share is not None and share < FORM_SETTLED else label


def cause_label(kb: KnowledgeBase, cause_id: str) -> str:
    """A cause named in a sentence: its short name (the id for one not in ``kb``)."""
    cause = kb.causes.get(cause_id)
    return cause.short_name if cause is not None else cause_id


def display_name(kb: KnowledgeBase, entry: Any) -> str:
    """A result entry as the views name it: the cause's short name and its best-fitting form ("Primary hyperoxaluria
    (infantile)"), the same in the table, the page and Markdown (a clinician's review, round 66: Markdown said
    "Oxalosis (primary hyperoxaluria)" and listed every form)."""
    cause = kb.causes.get(entry["cause"])
    name = cause.short_name if cause is not None else ("Other cause (outside the knowledge base)"
                                                       if entry["cause"] == "other" else entry["name"])
    if form := entry_form(kb, entry):
        name += f" ({form})"
    return name


def clue_users(kb: KnowledgeBase) -> dict[str, list[str]]:
    """clue id -> the ids of the causes whose findings (of any form, at any age) list it."""
    users: dict[str, list[str]] = {}
    for cause in kb.causes.values():
        listed = {clue for form in cause.forms for clue in form.findings}
        listed |= {finding.clue for form in cause.forms for finding in (*form.age_findings, *form.sex_findings)}
        for clue in sorted(listed):
            users.setdefault(clue, []).append(cause.id)
    return users


def clue_conditions(kb: KnowledgeBase) -> dict[str, list[str]]:
    """clue id -> the ids of the clues whose background it sets when present (clues.toml ``given_background``
    and ``absent_masked_by``): how a clue no cause lists may still be used (advanced CKD and the acidosis)."""
    conditions: dict[str, list[str]] = {}
    for clue in kb.clues.values():
        givens = [spec.given for spec in (*clue.given_backgrounds, clue.absent_masked_by) if spec is not None]
        for spec in clue.given_backgrounds:  # a clue that sets the background aside sets it too
            givens.extend(spec.unless)
        for given in givens:
            if clue.id not in conditions.get(given, []):
                conditions.setdefault(given, []).append(clue.id)
    return conditions


def labs_view(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """The lab table as data, for `nephrocalc labs`."""
    out = []
    for lab in kb.labs.values():
        out.append({
            "id": lab.id, "label": lab.label, "loinc": list(lab.loinc),
            "loinc_at_least": list(lab.loinc_at_least), "units": lab.accepted_units,
            "canonical": lab.canonical,
            "converted": [written for written, _ in lab.units.values()], "own_units": list(lab.own_units.values()),
            "clues": sorted({limit.clue for limit in lab.limits}),
            # what a laboratory's flag given without a value documents: high / low present, normal absent
            "flags": {state: list(clues) for state, clues in lab.flags.items()},
            "limits": [{"clue": limit.clue, "above": limit.above, "below": limit.below,
                        "absent_at_most": limit.absent_at_most, "absent_at_least": limit.absent_at_least,
                        "unit": lab.own_units.get(limit.unit, limit.unit) if limit.unit else lab.canonical,
                        "ages": _ages(limit), "sex": limit.sex, "requires": dict(limit.requires),
                        "unless": dict(limit.unless), "absent_requires": dict(limit.absent_requires),
                        "absent_unless": dict(limit.absent_unless),
                        # clues the clinician must state for the limit to apply (a lab-derived one does not do)
                        "requires_stated": dict(limit.requires_stated),
                        # a two-lab rule: present only with these other labs beyond these bounds
                        "present_requires_lab": {other: ({"above": above} if above is not None else {"below": below})
                                                 for other, above, below in limit.present_requires_lab},
                        "label": limit.label, "sources": list(limit.sources), "estimate": limit.estimate,
                        # false: the reading derives no clue; its warning says what it means
                        "derives": limit.derive, "warning": limit.warning}
                       for limit in lab.limits],
            "plausible": list(lab.plausible), "conversion": lab.conversion_note, "note": lab.note,
            "sources": list(lab.sources)})
    return out


def _ages(limit: LabLimit) -> str:
    if limit.age_at_least is None and limit.age_below is None:
        return "all ages"
    low = _bound(limit.age_at_least) if limit.age_at_least is not None else "0"
    text = f"{low}-<{_bound(limit.age_below)}" if limit.age_below is not None else f"{low}+"
    return text + (" (and age unknown)" if limit.when_age_unknown else "")


# C0 and C1 control characters (an escape sequence in a case id or in a document's display text would
# reach the terminal as a command): shown as U+FFFD in human-readable output; JSON keeps the exact text
# Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) likewise: they reorder the text that
# follows them, so an id could make a line read as something it does not say ("Trojan Source").
_CONTROL = dict.fromkeys((*range(0, 32), *range(127, 160), *LINE_CONTROLS), "\ufffd")
# str.translate walks a non-ASCII text code point by code point (about 12 ms a mebibyte, once per table cell); a
# regular expression finds that there is nothing to replace a hundred times faster, which is the usual case
# (written as ranges: one escaped character per code point took 5 ms to compile, at every start-up)
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(re.escape(chr(c)) for c in LINE_CONTROLS) + "]")


_MODALITY_NAMES = {"us": "ultrasound", "ct": "CT", "ctu": "CT urography", "ivu": "IV urography", "xr": "radiograph",
                   "mr": "MR"}


def certainty_until(kb: KnowledgeBase, certainty: Any) -> str:
    """What lifts a cause's own certainty cap, in words: " until tubular ectasia (on CT urography or IV urography)
    is stated" ("" when nothing does)."""
    lifted = certainty.lifted_by if certainty is not None and certainty.unless is not None else ()
    if not lifted:
        return ""
    def named(clue_id: str) -> str:  # a finding only some imaging shows is named with that imaging
        clue = kb.clues.get(clue_id)
        if clue is None:
            return clue_id
        needs = clue.absent_needs_modality
        return in_text(clue.label) + (f" (on {' or '.join(_MODALITY_NAMES.get(m, m) for m in needs)})" if needs
                                      else "")

    # "signs of papillary necrosis ... are stated": a plural label takes a plural verb
    plural = len(lifted) == 1 and (kb.clues[lifted[0]].label.lower().startswith("signs ")
                                   if lifted[0] in kb.clues else False)
    return " until " + " or ".join(named(u) for u in lifted) + (" are stated" if plural else " is stated")


def percent(probability: float, capped: bool = False) -> str:
    """A probability for people: never "100.0%", ">95%" when the engine capped it (">75%" at a cause's own
    cap), "<0.1%" below."""
    if capped:
        # a cap is a whole percent; one raised to keep the leader first (0.487) is shown to the tenth, as the
        # second is, so that ">49%" never stands for 48.7%
        whole = round(probability * 100)
        return f">{whole}%" if abs(probability * 100 - whole) < 1e-6 else f">{probability:.1%}"
    if probability >= 0.9995:
        return ">99.9%"
    if probability >= 0.001:
        return f"{probability:.1%}"
    return "<0.1%"


def _years(age: float) -> str:
    """An age as a clinician writes it: years to one decimal from 2 years (a FHIR birth date gives 58.1355),
    months to one decimal below, and days in the first month (0.08 years is 29 d, not 0.96 mo)."""
    if age >= 2:
        return f"{round(age, 1):g} y"
    if age < 1 / 12:
        return f"{age * 365.25:.0f} d"
    return f"{round(age * 12, 1):g} mo"


def _bound(age: float) -> str:
    """An age limit: days under a month (0.0383 years is 14 d), else years."""
    if 0 < age < 1 / 12:
        return f"{age * 365.25:.0f} d"
    return f"{age:g} y"


def cited_tags(cause: Any) -> list[str]:
    """Every source tag a cause's page cites, its own first: those of its prior, pattern shares, certainty cap,
    findings, forms and contradictions too (robustness round 64: the page's Sources listed 7 of the 26 tags that
    hyperparathyroidism's page cites). Found by walking the cause's records (named tuples), so that a part added
    later is not missed."""
    tags: dict[str, None] = dict.fromkeys(cause.sources)
    seen: set[int] = set()

    def walk(value: Any) -> None:  # the knowledge base's records are named tuples
        if id(value) in seen or isinstance(value, (str, bytes, int, float)) or value is None:
            return
        seen.add(id(value))
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            for name in value._fields:
                item = getattr(value, name)
                if (name == "sources" or name.endswith("_sources")) and isinstance(item, tuple):
                    tags.update(dict.fromkeys(tag for tag in item if isinstance(tag, str)))
                else:
                    walk(item)
        elif isinstance(value, (tuple, list, frozenset, set)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(cause)
    return list(tags)


def case_facts(case: dict[str, Any]) -> str:
    """The case's own fields as one line to restate it (age, sex, modality, grade, laterality): the
    table's subtitle, so that a printed differential says whom it is about. Empty when none is given."""
    facts: list[str] = []
    age, onset = case.get("age_years"), case.get("onset_age_years")
    if age is not None:
        # a preterm infant of age 0 is the contract's preterm neonate of unstated age, not a baby of 0 days (clinical
        # text review: "age 0 d" beside a ranking that the first week would change)
        preterm = (case.get("clues") or {}).get("preterm_infant") is True
        shown = "0 (preterm neonate, exact age not given)" if age == 0 and preterm else _years(age)
        facts.append(f"age {shown}" + (f" (nephrocalcinosis found at {_years(onset)})" if onset is not None
                                       else ""))
    elif onset is not None:
        facts.append(f"nephrocalcinosis found at {_years(onset)}")
    for key in ("sex", "laterality"):
        if case.get(key):
            facts.append(str(case[key]))
    if case.get("modality"):
        facts.append(_MODALITY_NAMES.get(case["modality"], case["modality"]))
    if case.get("grade") is not None:
        facts.append(f"grade {case['grade']}")
    return ", ".join(facts)


def also_unexplained(fit: Any) -> list[str]:
    """The unexplained findings beside the two that contradict each other, said after them (robustness round 62: a
    cortical atrophy unexplained beside hyper- and hypocalciuria was in the JSON only)."""
    both = set(fit.get("contradictory") or ())
    return [clue for clue in fit["unexplained"] if clue not in both]


def labs_entered(labs: dict[str, Any]) -> str:
    """The lab values as entered: a bound keeps its comparator (pth <6 pg/mL), a value its digits (1234567, not
    1.23457e+06), and a sample taken at another age than the case's says when (robustness round 62: the report page
    showed "pth 6 pg/mL" for "<6")."""
    def number(value: Any) -> str:
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value) if isinstance(value, float) else str(value)

    return ", ".join(f"{lab} {lab_value.get('comparator') or ''}{number(lab_value.get('value'))} "
                     f"{lab_value.get('unit', '')}".rstrip()
                     + (f" (at {_years(lab_value['age_years'])})" if lab_value.get("age_years") is not None else "")
                     for lab, lab_value in labs.items())


def not_used(step: Derivation) -> str:
    """Why a lab step was not used: the clue was stated, or another lab decides over this one."""
    if "decided_by" in step:
        return f"(not used: {step['decided_by']} decides)"
    return "(the stated clue was used)"


def evidence_label(kb: Any, evidence: Any) -> str:
    """A term of the evidence as every output names it: the clue's label, "no ..." when absent, and "... with X" when
    its ratio counts only with another clue present (robustness round 65: the report page dropped the condition and
    showed "+ High PTH ×4 ... − High PTH ×0.3" where the table said "High PTH with hypercalcaemia ×0.3")."""
    clue = evidence["clue"]
    label: str = kb.clues[clue].label if clue in kb.clues else clue
    if not evidence["present"]:
        label = f"no {in_text(label)}"
    if "counts_with" in evidence:
        other = evidence["counts_with"]
        with_label = kb.clues[other].label if other in kb.clues else other
        label += f" with {in_text(with_label)}"
    return label


def cap_note(kb: KnowledgeBase, entries: Any) -> str | None:
    """What a ">" figure means, said once under every output that prints one (the table, the page, Markdown): a
    ceiling the ranking holds the cause at, not a floor (a clinician's review: ">75%" read as "at least 75% likely";
    robustness round 77: the page and Markdown printed ">45%" with no word)."""
    capped = next((e for e in entries if e["capped"]), None)
    if capped is None:
        return None
    cause = kb.causes.get(capped["cause"])
    until = certainty_until(kb, cause.certainty) if cause is not None else ""
    # a mimic that does not itself calcify the kidneys is never stated near-certain, whatever its findings (robustness
    # round 77: FHH ">60%" was said to lack a defining finding beside two x40 findings)
    if cause is not None and not cause.calcifies:
        why = f" for {in_text(cause.short_name)}, which does not itself calcify the kidneys"
    else:
        why = until or " without a finding that is close to defining (a likelihood ratio of 20 or more)"
    # ">" says the model's own figure is higher; the note says it is a ceiling all the same (UX review 84: "not a lower
    # bound" beside ">95%" read as a contradiction)
    return (f"{percent(capped['probability'], True)}: the most this ranking states{why}; its own figure is higher, "
            "but no more is claimed.")


def lr_text(weight: float) -> str:
    """A weight (ln LR) as the outputs show its likelihood ratio: "×19", "×0.84"."""
    import math

    ratio = math.exp(weight)
    return f"×{ratio:.2g}" if ratio < 10 else f"×{ratio:.0f}"


def strongest_evidence(entry: Any, limit: int = 3) -> list[Evidence]:
    """The evidence a summary of a cause shows: what moves its score by at least 0.1 in ln (the rest is left to
    --explain), the supporting first, and not a finding that only follows from another stated one (CKD's phosphate),
    which every cause has."""
    items = [e for e in distinctive(entry["supporting"]) if e["weight"] >= 0.1][:limit]
    return items + [e for e in distinctive(entry["conflicting"]) if e["weight"] <= -0.1][:max(1, limit - len(items))]


def evidence_words(kb: Any, entry: Any, limit: int = 3) -> str:
    """A cause's strongest evidence in the table's words: "+ High PTH ×19, − no hypocalcaemia ×0.84"."""
    return ", ".join(("+ " if e["weight"] > 0 else "− ") + evidence_label(kb, e) + " " + lr_text(e["weight"])
                     for e in strongest_evidence(entry, limit))


def distinctive(items: list[Evidence]) -> list[Evidence]:
    """The evidence that tells causes apart, for a summary: without the terms a finding gets only because
    it follows from another stated one (``given``), which every cause that does not list it shares."""
    return [item for item in items if "given" not in item]


def printable(text: str) -> str:
    """Text as shown to a reader: control characters (escape, bell, tab, newline, ...) replaced by U+FFFD."""
    return text.translate(_CONTROL) if _CONTROL_RE.search(text) else text


POOR_FIT = "no cause in the knowledge base explains these findings well"
OTHER_LEADS = "a cause outside the knowledge base ranks first"
NOT_CALCIFYING = "the leading cause does not itself calcify the kidneys, so the calcification needs its own explanation"
UNSTATED_NEED = "the leading cause needs an exposure or finding that is not stated (see the caveats)"
COMBINATION = "no cause in the knowledge base produces this combination of findings"
OUTSIDE_LIKELIER = "a cause outside the knowledge base is the likelier source of this finding (see Consider)"


def work_up(result: Any) -> list[Any]:
    """The next findings in the order a clinician would check them: a can't-miss cause's rule-out test first, then by
    priority (gain x the chance the answer is at hand: the first-line work-up before a second imaging study), as `ask`
    asks; the JSON list itself stays by gain (UX review 13: a serum calcium came after parathyroid imaging)."""
    following = result.get("next_findings") or []
    # a finding that would not move the ranking (under 0.005 bits: "0.00") is not offered as one that narrows it down,
    # a rule-out test always is (robustness round 65: "check glomerulonephritis" beside a cortical necrosis at 99.9%)
    following = [item for item in following if item.get("rule_out") or item["gain"] >= 0.005]
    # the rule-out tests first, the likeliest can't-miss cause's first, as `ask` puts them (robustness round 77: the
    # table listed them by priority and `ask` by the cause's probability)
    shown = {entry["cause"]: entry["probability"] for entry in result.get("differential") or []}
    ordered = sorted(following, key=lambda item: (not item.get("rule_out"),
                                                  -shown.get(item.get("cant_miss", ""), 0.0) if item.get("rule_out")
                                                  else 0.0, -item.get("priority", item["gain"])))
    # one test settles the findings of one lab (a high and a suppressed PTH): it is proposed once, for the first of
    # them (UX review 84: "(1) high PTH (parathyroid hormone); (2) suppressed PTH (parathyroid hormone)")
    labs: set[str] = set()
    once = []
    for item in ordered:
        lab = None if item.get("rule_out") else item.get("lab")
        if lab is not None and lab in labs:
            continue
        if lab is not None:
            labs.add(lab)
        once.append(item)
    return once


def no_evidence_text(entry: Any, result: Any) -> str:
    """What a row says when no finding of its own is shown: none specific to it (only shared ones), or, for the
    leader while findings count against the others, that it leads by their fall (a clinician's review, round 66:
    dRTA first at 46% "with no clue" for a hypocalcaemic patient), or none at all."""
    if any("given" in e for e in (*entry["supporting"], *entry["conflicting"])):
        return "no finding specific to this cause (see --explain)"
    if entry["rank"] == 1 and any(e["conflicting"] for e in result["differential"][1:]):
        return "nothing stated points to it: it leads as the findings count against the others"
    return "no stated clue bears on this cause"


def repeat_scan_first(result: Any) -> bool:
    """Whether the caveats say to repeat the ultrasound after the first week of life before anything else (echogenic
    pyramids then are often transient): the work-up lines say it first (a clinician's review, round 66: the page's
    summary proposed hyperoxaluria genetics for a 3-day-old)."""
    return any(c["id"].startswith("neonatal_transient_echogenicity") for c in result["caveats"])


REPEAT_SCAN = "repeat the ultrasound after the first week (echogenic pyramids are often transient then)"


def triggers_text(kb: KnowledgeBase, clue_ids: list[str]) -> str:
    """The stated findings that proposed a rule-out test, in words: "sterile pyuria, signs of papillary necrosis and
    calyceal distortion"."""
    words = [in_text(kb.clues[c].label) if c in kb.clues else c for c in clue_ids]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def rule_out_text(kb: KnowledgeBase, cause: Any) -> str:
    """A can't-miss cause's rule-out test as its page states it: the test, what it settles and when it is proposed
    below the ranking's floor (robustness round 76: the diff sent readers to `cause ID` for the test, which that page
    never showed)."""
    rule = cause.rule_out
    if rule is None:
        return ""
    def named(clue_id: str) -> str:
        return in_text(kb.clues[clue_id].label) if clue_id in kb.clues else clue_id

    settles = named(rule.clue) if rule.clue is not None else None
    parts = [rule.test + (f" (it settles {settles}" + (f", from {kb.labs[rule.lab].label}" if rule.lab in kb.labs
                                                        else "") + ")" if settles else "")]
    if rule.first is not None:
        parts.append(f"{named(rule.first)} first, while unknown")
    if rule.when_present:
        words = [named(c) for c in rule.when_present]
        either = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
        parts.append(f"proposed whatever the cause's probability when {either} is stated")
    if rule.below_age is not None:
        parts.append(f"proposed for every patient under {rule.below_age:g} years")
    if not rule.absent_settles and settles:
        parts.append(f"{settles} stated absent (a history) does not settle it")
    return "; ".join(parts)


def rule_out_purpose(result: Any, cause_id: str) -> str:
    """What a can't-miss cause's test is for: "to confirm" it when it leads or is at least even, "to rule out" it
    otherwise (a clinician's review, round 66: "to rule out renal tuberculosis" printed beside it at >95%)."""
    entry = next((e for e in result["differential"] if e["cause"] == cause_id), None)
    leads = entry is not None and (entry["rank"] == 1 or entry["probability"] >= 0.5)
    return "to confirm" if leads else "to rule out"


def poor_fit_text(result: Any) -> str:
    """What a poor fit says: that the findings are not explained, or, when nothing stated is left unexplained
    and the open world simply ranks first (an infant with the pattern alone), that."""
    fit = result["fit"]
    ranked = result["differential"]
    if fit.get("not_calcifying") and not fit["unexplained"] and not fit.get("absent"):
        return NOT_CALCIFYING
    if fit.get("caveats") and not fit["unexplained"] and not fit.get("absent"):
        return UNSTATED_NEED
    if fit.get("combination") and not fit.get("absent"):
        # one finding is no combination: a cause outside the knowledge base is the likelier source of it (robustness
        # round 65: "no cause ... produces this combination of findings: Hyperoxaluria", which the leader lists)
        return COMBINATION if len(fit["combination"]) > 1 else OUTSIDE_LIKELIER
    if not fit["unexplained"] and not fit.get("absent") and ranked and ranked[0]["cause"] == "other":
        return OTHER_LEADS
    return POOR_FIT


def lower_clause(result: Any, label: Any, name: Any) -> str:
    """The fit's lower-ranked causes that list an unexplained finding, as a sentence ("" when there are none):
    "Ranked lower but listing it: FHHNC (#10, 0.7%): renal magnesium wasting" ("them" for several findings).
    ``label`` gives a clue's words, ``name`` a result entry's display name."""
    items = []
    lower = result["fit"].get("lower") or []
    for item in lower:
        entry = next((e for e in result["differential"] if e["cause"] == item["cause"]), None)
        if entry is not None:
            items.append(f"{name(entry)} (#{entry['rank']}, {percent(entry['probability'], entry['capped'])}): "
                         + ", ".join(label(clue) for clue in item["clues"]))
    several = len({clue for item in lower for clue in item["clues"]}) > 1
    return f"Ranked lower but listing {'them' if several else 'it'}: " + "; ".join(items) if items else ""


def lacks_clause(result: Any, kb: KnowledgeBase, name: Any) -> str:
    """The fit's absent findings as a clause: "; Cortical necrosis nearly always has acute kidney injury,
    absent here" ("" when there are none). ``name`` gives a result entry's display name."""
    absent = result["fit"].get("absent") or []
    lacking = next((e for e in result["differential"] if e["cause"] == result["fit"].get("absent_in")), None)
    if not absent or lacking is None:
        return ""
    labels = [in_text(kb.clues[c].label) if c in kb.clues else c for c in absent]
    return f"; {name(kb, lacking)} nearly always has {' and '.join(labels)}, absent here"


def rules_label(result: Any) -> str:
    """The knowledge base and every rule pack laid over it (the extended knowledge base, a local pack), by name and
    version, as each result names them: a ranking made with a pack must not read as the built-in rules'."""
    rules = result.get("rules") or []
    packs = [f"{p['name']} {p['version']}" for p in rules[1:]]
    base = result["knowledge_base"]
    if rules and rules[0].get("path") not in (None, "built-in"):  # a complete knowledge base read from a folder
        base += f" (from {rules[0]['path']})"
    return ", ".join([base, *packs])


def lab_reading(kb: KnowledgeBase | None, derived: list[Derivation]) -> str:
    """What the lab values were read as, in words ("high PTH, hypercalcaemia, no hypocalcaemia"): the findings each
    used step derived, once, as the table and the Markdown report say it ("" when none)."""
    steps = sorted({(d["clue"], d["present"]) for d in derived if d["used"]})
    named = [in_text(kb.clues[c].label) if kb is not None and c in kb.clues else c for c, _ in steps]
    return ", ".join(n if present else f"no {n}" for n, (_, present) in zip(named, steps, strict=True))
