"""Checks both standard-input readers share (robustness round 83): an HPO id in another spelling, a term labelled as
another term, a drug given by a route that does not reach the kidneys, and a document's denial that a measured value
of the same document contradicts. Pure: no I/O."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from nephrocalc.case import Case
    from nephrocalc.knowledge import KnowledgeBase
    from nephrocalc.result import Note

# HP:0002150 as the OBO IRIs write it (HP_0002150, the PURL) or with a lower-case prefix (hp:0002150)
_HPO_ID = re.compile(r"(?:https?://purl\.obolibrary\.org/obo/)?HP[_:]([0-9]{7})", re.ASCII | re.IGNORECASE)


def hpo_curie(code: str) -> str | None:
    """The CURIE HP:nnnnnnn of an HPO id written as a CURIE in any case, as HP_nnnnnnn or as its OBO PURL; None for
    anything else."""
    found = _HPO_ID.fullmatch(code.strip())
    return f"HP:{found.group(1)}" if found is not None else None


def label_of_another(kb: KnowledgeBase, term: str, label: str) -> str | None:
    """The mapped HPO term (rules/hpo.toml labels) whose label is exactly ``label`` (case aside) when that is not
    ``term`` itself, nor a term of the same label: a feature written with the id of one term and the label of another
    (Hypocalciuria's id labelled "Hypercalciuria", the other state of one variable)."""
    given = " ".join(label.split()).casefold()
    if not given or " ".join(kb.hpo_labels.get(term, "").split()).casefold() == given:
        return None
    found = next((other for other, named in kb.hpo_labels.items()
                  if " ".join(named.split()).casefold() == given), None)
    return found if found is not None and found != term else None


# Routes that do not reach the kidneys: the drug acts where it is put (skin, eye, ear, mucosa, bladder, airway).
# NCIt route terms (the phenopacket schema's examples) and SNOMED CT route qualifiers; the words of a label.
_LOCAL_ROUTE_CODES = {
    "C38304": "topical", "C38675": "cutaneous", "C38287": "ophthalmic", "C38192": "auricular (otic)",
    "C38313": "vaginal", "C38246": "intravesical", "C38284": "nasal", "C38216": "respiratory (inhalation)",
    "C38289": "oropharyngeal", "C38193": "buccal", "C38197": "dental",
    "6064005": "topical", "448598008": "cutaneous", "54485002": "ophthalmic", "10547007": "otic",
    "16857009": "vaginal", "37737002": "intravesical", "46713006": "nasal", "447694001": "respiratory tract",
    "54471007": "buccal", "372473007": "oromucosal",
}
_ORAL_ROUTE_CODES = {"C38288": "oral", "26643006": "oral"}
_LOCAL_ROUTE_WORDS = re.compile(r"\b(topical|cutaneous|dermal|skin|ophthalmic|ocular|eye|otic|auricular|ear|vaginal|"
                                r"intravesical|bladder|nasal|intranasal|inhalation|inhaled|respiratory|"
                                r"oropharyngeal|oromucosal|buccal|dental)\b")
_LOCAL_AGENT_WORDS = re.compile(r"\b(cream|ointment|lotion|eye drops?|ear drops?|eyedrops?|ophthalmic|otic|topical|"
                                r"pessary|pessaries|vaginal|mouthwash|nasal spray|bladder irrigation)\b")
_ORAL_AGENT_WORDS = re.compile(r"\b(lozenges?|pastilles?|oral suspension|oral)\b")
# exposures whose drug is not absorbed from the gut: given by mouth it stays there (oral amphotericin B is an
# intestinal anti-infective, WHO ATC A07AA07; its renal toxicity is that of systemic, intravenous use)
NOT_ABSORBED_ORALLY = frozenset({"amphotericin"})


def local_route(clues: tuple[str, ...], name: str, route_id: str = "", route_label: str = "") -> str:
    """How a treatment is given when that does not reach the kidneys, for exposures whose harm is systemic (every
    exposure clue of the vocabulary): a topical, ophthalmic, otic or other local route (a route term, or the drug's
    own name: "cream", "eye drops"), or by mouth for a drug not absorbed from the gut (amphotericin lozenges). ""
    otherwise (the route said systemic, or not said)."""
    code = route_id.strip().rsplit(":", 1)[-1].strip()
    label = " ".join(route_label.lower().replace("_", " ").split())
    if code in _LOCAL_ROUTE_CODES:
        return f"route {route_id.strip()} {route_label.strip()}".rstrip()
    if label and "transdermal" not in label and _LOCAL_ROUTE_WORDS.search(label):
        return f"route {route_label.strip()}"
    oral = code in _ORAL_ROUTE_CODES or (label and re.search(r"\b(oral|by mouth|per os|po)\b", label))
    if oral and any(clue in NOT_ABSORBED_ORALLY for clue in clues):
        return f"route {(route_id.strip() + ' ' + route_label.strip()).strip()}, not absorbed by mouth"
    words = " ".join(name.lower().split())
    if (found := _LOCAL_AGENT_WORDS.search(words)) is not None:
        return f"its name says {found.group(1)!r}"
    if any(clue in NOT_ABSORBED_ORALLY for clue in clues) and (found := _ORAL_AGENT_WORDS.search(words)) is not None:
        return f"its name says {found.group(1)!r}, not absorbed by mouth"
    return ""


T = TypeVar("T")


def measured_over_denied(case: Case, kb: KnowledgeBase, denials: Mapping[str, list[tuple[str, T | None]]],
                         lab_time: Callable[[str], T | None], later: Callable[[T, T], bool],
                         shown: Callable[[T], str], notes: list[Note], note_id: str, kind: str) -> Case:
    """A document's denial of a finding (an excluded phenopacket feature, a refuted FHIR Condition: ``denials``,
    clue -> each statement as named and when it was made, None when undated) does not outweigh a measured value of
    the same document that reads the finding present: the denial is left out and the labs speak, with a note naming
    both, unless the denial is dated after every value that reads the finding (``later``), when it is kept (the
    labs' own warning says the value was overruled) and a note says why. A user's own statement (a flag) is not a
    denial of the document and still wins over a lab. ``lab_time`` gives when a lab of the case was sampled."""
    if not denials or not case.labs:
        return case
    from nephrocalc.labs import interpret

    # only a finding some lab of the case has a limit for can be read from it (an eGFR from a creatinine): the others
    # need no reading of the labs (an excluded broad term rules out scores of findings)
    given = {*case.labs, *(("egfr",) if "serum_creatinine" in case.labs else ())}
    derivable = {limit.clue for lab_id in given if lab_id in kb.labs for limit in kb.labs[lab_id].limits}
    denials = {clue: said for clue, said in denials.items() if clue in derivable}
    if not denials:
        return case
    clues = dict(case.clues)
    decided: set[str] = set()
    for _ in range(len(denials) + 1):  # a denial left out may let a lab read another (a PTH, beside the calcium)
        changed = False
        for clue in sorted(denials):
            if clue in decided or clues.get(clue) is not False:
                continue
            trial = {key: value for key, value in clues.items() if key != clue}
            report = interpret(dataclasses.replace(case, clues=trial), kb)
            if report.clues.get(clue) is not True:
                continue
            steps = [step for step in report.derived if step["clue"] == clue and step["present"] and step["used"]]
            if not steps:
                continue
            decided.add(clue)
            said = "; ".join(dict.fromkeys(statement for statement, _ in denials[clue]))
            dated = [when for _, when in denials[clue] if when is not None]
            denied_at = None
            if dated and len(dated) == len(denials[clue]):  # the newest statement, when every one is dated
                denied_at = dated[0]
                for when in dated[1:]:
                    denied_at = when if later(when, denied_at) else denied_at
            sampled = [lab_time(str(step["lab"])) for step in steps]
            measured = " and ".join(dict.fromkeys(
                str(step["text"]) + (f" ({shown(at)})" if at is not None else "") for step, at in zip(steps, sampled,
                                                                                                      strict=True)))
            if denied_at is not None and all(at is not None and later(denied_at, at) for at in sampled):
                notes.append({"id": f"{kind}_denial_after_lab", "sources": [],
                              "message": f"{clue} is stated absent by {said} ({shown(denied_at)}), after the value "
                              f"that reads it present, {measured}: the later statement was used."})
                continue
            del clues[clue]
            changed = True
            on = f" ({shown(denied_at)})" if denied_at is not None else ""
            notes.append({"id": note_id, "sources": [],
                          "message": f"{clue} is stated absent by {said}{on}, but {measured}: a statement of the "
                          f"document {'older than the measurement' if denied_at is not None else 'without a date'} "
                          f"does not outweigh it, so the statement was left out and the value used (give --no-"
                          f"{clue.replace('_', '-')} if {clue} is absent now)."})
        if not changed:
            break
    return case if clues == case.clues else dataclasses.replace(case, clues=clues)


def flag_measured_by(kb: KnowledgeBase, lab_id: str, measured: Collection[str]) -> str | None:
    """The lab whose value, given in the same document, is read instead of a flag of ``lab_id`` given without one: the
    same lab, or another that reads one of the findings the flag documents and that ``lab_id`` does not decide over
    (a total calcium flagged Normal beside an ionised calcium of 1.6 mmol/L: the flag, read as a stated finding,
    overruled the measured hypercalcaemia; robustness round 87); None when no such value is given."""
    if lab_id in measured:
        return lab_id
    lab = kb.labs[lab_id]
    documented = {clue for clues in lab.flags.values() for clue in clues}
    return next((other for other in measured if other in kb.labs and other not in lab.decides_over
                 and any(limit.clue in documented for limit in kb.labs[other].limits)), None)


def flags_to_read(kb: KnowledgeBase, readings: Sequence[tuple[str, str, str]], measured: Collection[str],
                  result: str) -> tuple[list[tuple[str, str, str]], list[str], list[str]]:
    """Of a document's lab results given only as a flag, each (lab, "high" | "low" | "normal", as shown): those to read,
    those set aside because a value is read instead (flag_measured_by; as shown, with the lab measured when another),
    and those not used because another ``result`` of the same lab is flagged otherwise (which holds is not known).
    The FHIR and phenopacket readers share it; each applies what is read in its own way."""
    levels: dict[str, set[str]] = {}
    for lab_id, level, _ in readings:
        levels.setdefault(lab_id, set()).add(level)
    read: list[tuple[str, str, str]] = []
    beside: list[str] = []
    rejected: list[str] = []
    for lab_id, level, shown in readings:
        if (by := flag_measured_by(kb, lab_id, measured)) is not None:
            beside.append(shown if by == lab_id else f"{shown}, beside {by}")
        elif len(levels[lab_id]) > 1:
            rejected.append(f"{shown}: another {result} of {lab_id} is flagged "
                            + ", ".join(sorted(levels[lab_id] - {level})) + ", so neither is used")
        else:
            read.append((lab_id, level, shown))
    # a flag of a lab that another flagged lab decides over, flagged otherwise (a total calcium High beside an ionised
    # calcium Normal), is set aside as its value would be: the present finding won over the deciding lab's absence
    # (robustness round 88: a total calcium flagged High read hypercalcaemia beside a normal ionised calcium)
    flagged = {lab_id: level for lab_id, level, _ in read}
    decided = [(lab_id, level, shown, other) for lab_id, level, shown in read
               for other in [next((other for other, other_level in flagged.items() if other_level != level
                                   and other in kb.labs and lab_id in kb.labs[other].decides_over), None)]
               if other is not None]
    for lab_id, level, shown, other in decided:
        read.remove((lab_id, level, shown))
        rejected.append(f"{shown}: {other}, flagged {flagged[other]}, decides over {lab_id}, so its flag is read")
    return read, beside, rejected
