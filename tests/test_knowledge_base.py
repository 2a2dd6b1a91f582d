"""Integrity of the knowledge base itself (rules/), and the errors a broken rule file gives."""

from __future__ import annotations

import json
import math
import re
import shutil
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nephrocalc.errors import RuleError
from nephrocalc.knowledge import AGE_GROUPS, Finding, KnowledgeBase
from nephrocalc.loader import builtin_rules_dir, load_knowledge_base

# CONTRACT.md sections 1 and 2, copied so the test runs without ../shared. These names are binding.
CONTRACT_CLUES = (
    # Calcium, PTH and vitamin D axis
    "hypercalcemia", "hypercalciuria", "high_pth", "low_pth", "hypophosphatemia", "hyperphosphatemia",
    "high_25oh_vitamin_d", "high_calcitriol", "vitamin_d_therapy", "calcium_alkali_intake",
    "metabolic_alkalosis", "parathyroid_lesion", "ckd",
    # Acid-base and tubular
    "rta", "metabolic_acidosis", "alkaline_urine", "hypokalemia", "hypocitraturia", "autoimmune_disease",
    "growth_failure",
    # Imaging and structure
    "nephrolithiasis", "tubular_ectasia", "cortical_atrophy", "small_kidneys", "tramline_calcification",
    "calyceal_distortion", "putty_kidney", "hilar_lymphadenopathy",
    # History and clinical findings
    "loop_diuretic", "preterm_infant", "sarcoidosis", "high_ace", "obstetric_catastrophe", "shock", "hus",
    "acute_kidney_injury", "tuberculosis", "sterile_pyuria", "hyperoxaluria", "family_history_stones",
    "family_history_kidney_failure", "consanguinity", "glomerulonephritis", "hematuria", "proteinuria",
    "hearing_loss", "lenticonus",
)
CONTRACT_CAUSES = {
    "hyperparathyroidism": "medullary",
    "distal_rta": "medullary",
    "medullary_sponge_kidney": "medullary",
    "hypervitaminosis_d": "medullary",
    "sarcoidosis": "medullary",
    "milk_alkali_syndrome": "medullary",
    "chronic_hypercalciuria": "medullary",
    "chronic_glomerulonephritis": "cortical",
    "cortical_necrosis": "cortical",
    "primary_hyperoxaluria": "cortical",
    "renal_tuberculosis": "cortical",
    "alport_syndrome": "cortical",
}
CONTRACT_PATH = Path(__file__).resolve().parents[2] / "shared" / "CONTRACT.md"
RULES = builtin_rules_dir()


def _all_findings(kb: KnowledgeBase) -> Iterator[tuple[str, str, Finding]]:
    """(cause id, where, finding) for the common findings and every form's own findings."""
    for cause in kb.causes.values():
        for finding in cause.findings:
            yield cause.id, "findings", finding
        for form in cause.forms:
            for finding in form.own_findings:
                yield cause.id, f"forms.{form.id}", finding


# --- the contract's vocabulary -------------------------------------------------------------


def test_contract_lists_are_complete() -> None:
    assert len(CONTRACT_CLUES) == len(set(CONTRACT_CLUES)) == 47
    assert len(CONTRACT_CAUSES) == 12


@pytest.mark.skipif(not CONTRACT_PATH.is_file(), reason="../shared/CONTRACT.md is not available")
def test_copied_contract_ids_match_contract_md() -> None:
    """The lists above are a faithful copy of CONTRACT.md (when the shared file is at hand)."""
    text = CONTRACT_PATH.read_text(encoding="utf-8")
    # the clues of knowledge base 1; those added with knowledge base 2 are checked by test_vocabulary_kb2.py
    clue_section = text.split("### Clue ids", 1)[1].split("### Clue ids added", 1)[0].split("## 2.", 1)[0]
    clues = set()
    for line in clue_section.splitlines():
        if line.startswith("- "):
            clues.update(re.findall(r"`([a-z0-9_]+)`", line.split(" – ", 1)[0]))
    assert clues == set(CONTRACT_CLUES)
    cause_section = text.split("## 2.", 1)[1].split("## 3.", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \|[^|]*\| (medullary|cortical) \|$", cause_section, re.MULTILINE)
    assert dict(rows) == CONTRACT_CAUSES


def test_every_contract_clue_is_in_the_vocabulary(kb: KnowledgeBase) -> None:
    missing = [clue for clue in CONTRACT_CLUES if clue not in kb.clues]
    assert not missing


def test_every_contract_cause_is_present_with_its_distribution(kb: KnowledgeBase) -> None:
    assert {cid: kb.causes[cid].distribution for cid in CONTRACT_CAUSES if cid in kb.causes} == CONTRACT_CAUSES


def test_there_are_twelve_causes(kb: KnowledgeBase) -> None:
    assert len(kb.causes) == 12
    assert len(list((RULES / "causes").glob("*.toml"))) == 12


def test_clue_flags_follow_the_contract(kb: KnowledgeBase) -> None:
    for clue in kb.clues.values():
        assert clue.flag == "--" + clue.id.replace("_", "-")
        assert clue.label.strip() and clue.description.strip()
        assert clue.group in kb.groups


# --- references between the rule files -----------------------------------------------------


def test_the_combined_pattern_interactions_are_there(kb: KnowledgeBase) -> None:
    assert any(item.pattern == "combined" and item.clue == "cortical_atrophy" for item in kb.interactions)


def test_every_clue_of_the_first_vocabulary_is_used_by_a_cause(kb: KnowledgeBase) -> None:
    """The clues of knowledge base 1 are the twelve causes' own; those added with knowledge base 2 serve
    the extended causes too, and one that no loaded cause lists counts for `other` (a warning says so)."""
    used = {clue for cause in kb.causes.values() for form in cause.forms for clue in form.findings}
    unused = sorted(set(CONTRACT_CLUES) - used)
    assert not unused, f"clues no cause uses: {unused}"


# --- sources ----------------------------------------------------------------------------------


def test_every_cause_has_sources(kb: KnowledgeBase) -> None:
    for cause in kb.causes.values():
        assert cause.sources, cause.id
        assert cause.prior_sources, cause.id
        assert cause.patterns_sources, cause.id
        for form in cause.forms:
            assert form.sources, (cause.id, form.id)


def test_every_finding_has_sources(kb: KnowledgeBase) -> None:
    missing = [(cause, where, f.clue) for cause, where, f in _all_findings(kb) if not f.sources]
    assert not missing


def _all_source_tags(kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    for cause in kb.causes.values():
        for tag in (*cause.sources, *cause.prior_sources, *cause.patterns_sources):
            yield cause.id, tag
        for form in cause.forms:
            for tag in form.sources:
                yield f"{cause.id}.{form.id}", tag
    for cause_id, where, finding in _all_findings(kb):
        for tag in finding.sources:
            yield f"{cause_id}.{where}.{finding.clue}", tag
    for caveat in kb.caveats:
        for tag in caveat.sources:
            yield f"caveat {caveat.id}", tag
    for item in kb.interactions:
        for tag in item.sources:
            yield f"interaction {item.id}", tag
    for name, table in kb.tables.items():
        for tag in table.sources:
            yield f"table {name}", tag


def test_every_source_tag_in_the_raw_files_resolves() -> None:
    """The same check on the TOML text, independent of what the loader keeps."""
    known = set(tomllib.loads((RULES / "sources.toml").read_text(encoding="utf-8")))

    def tags(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "sources" and isinstance(value, list):
                    yield from value
                else:
                    yield from tags(value)
        elif isinstance(node, list):
            for item in node:
                yield from tags(item)

    extended = known | set(tomllib.loads((RULES / "extended" / "sources.toml").read_text(encoding="utf-8")))
    files = [p for p in sorted(RULES.rglob("*.toml")) if p.name not in ("sources.toml", "hpo.toml")]
    assert len(files) >= 17
    for path in files:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        # the extended knowledge base is a pack: it may cite its own sources.toml too
        resolvable = extended if path.is_relative_to(RULES / "extended") else known
        unresolved = sorted(set(tags(data)) - resolvable)
        assert not unresolved, f"{path.relative_to(RULES)}: {unresolved}"


def test_every_source_url_is_a_web_address(kb: KnowledgeBase) -> None:
    assert len(kb.sources) > 50
    bad = {tag: s.url for tag, s in kb.sources.items() if not s.url.startswith(("https://", "http://"))}
    assert not bad
    assert all(s.citation.strip() for s in kb.sources.values())


# --- the numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("age_group", AGE_GROUPS)
def test_priors_sum_to_one_in_each_age_group(kb: KnowledgeBase, age_group: str) -> None:
    total = sum(cause.prior[age_group] for cause in kb.causes.values())
    assert math.isclose(total, 1.0, abs_tol=0.01), f"{age_group} priors sum to {total:.4f}"


# --- the cause files document themselves --------------------------------------------------------


@pytest.mark.parametrize("path", sorted((RULES / "causes").glob("*.toml")), ids=lambda p: p.stem)
def test_cause_file_documents_itself(path: Path, kb: KnowledgeBase) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for key in ("name", "summary", "mechanism"):
        assert isinstance(data.get(key), str) and data[key].strip(), f"{path.name}: {key} missing or empty"
    assert path.stem in kb.causes, f"{path.name}: the file name must be the cause id"
    cause = kb.causes[path.stem]
    assert Path(cause.path).name == path.name
    assert cause.name == data["name"]
    assert cause.summary == data["summary"] and cause.mechanism == data["mechanism"]


def test_cant_miss_causes_have_a_reason(kb: KnowledgeBase) -> None:
    cant_miss = [c for c in kb.causes.values() if c.cant_miss]
    assert cant_miss, "the knowledge base flags some can't-miss causes"
    for cause in cant_miss:
        assert len(cause.cant_miss_reason.strip()) > 20, cause.id


def test_reference_tables_are_loaded(kb: KnowledgeBase) -> None:
    assert set(kb.tables) >= {"imaging", "grading"}
    assert [row[0] for row in kb.tables["grading"].rows] == ["0", "1", "2", "3"]


# --- broken rule files ---------------------------------------------------------------------------


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def test_the_copied_rules_load(rules_copy: Path, kb: KnowledgeBase) -> None:
    copy = load_knowledge_base(rules_copy)
    assert set(copy.causes) == set(kb.causes)
    assert set(copy.clues) == set(kb.clues)


CAUSE_FILE = "causes/distal_rta.toml"


def _append_finding(root: Path, **fields: Any) -> str:
    """Append a finding to distal_rta.toml; return its index (as in the field path)."""
    path = root / CAUSE_FILE
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    listed = {f["clue"] for f in data["findings"]}
    clues = tomllib.loads((root / "clues.toml").read_text(encoding="utf-8"))["clues"]
    finding: dict[str, Any] = {"clue": next(c for c in clues if c not in listed), "frequency": "often",
                               "sources": [data["sources"][0]]}
    finding.update(fields)
    lines = [f"{key} = {json.dumps(value)}" for key, value in finding.items()]  # JSON strings are TOML strings
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n[[findings]]\n" + "\n".join(lines) + "\n")
    return str(len(data["findings"]))


def _unknown_key(root: Path) -> tuple[str, str]:
    index = _append_finding(root, colour="red")
    return CAUSE_FILE, f"findings.{index}.colour"


def _unknown_clue(root: Path) -> tuple[str, str]:
    index = _append_finding(root, clue="no_such_clue")
    return CAUSE_FILE, f"findings.{index}.clue"


def _misspelt_frequency(root: Path) -> tuple[str, str]:
    index = _append_finding(root, frequency="sometimess")
    return CAUSE_FILE, f"findings.{index}.frequency"


def _missing_source_tag(root: Path) -> tuple[str, str]:
    index = _append_finding(root, sources=["NoSuchTag2099"])
    return CAUSE_FILE, f"findings.{index}.sources"


def _prior_as_string(root: Path) -> tuple[str, str]:
    path = root / CAUSE_FILE
    text, count = re.subn(r"(\[prior\]\s*\n(?:[^\[\n]*\n)*?adult\s*=\s*)([0-9.]+)", r'\1"\2"',
                          path.read_text(encoding="utf-8"), count=1)
    assert count == 1, "the [prior] table of distal_rta.toml has an adult value"
    path.write_text(text, encoding="utf-8")
    return CAUSE_FILE, "prior.adult"


def _invalid_toml(root: Path) -> tuple[str, str]:
    path = root / CAUSE_FILE
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\nthis line = is not [ valid toml\n")
    line = len(path.read_text(encoding="utf-8").splitlines())
    return CAUSE_FILE, f"line {line}"


def _interaction_unknown_clue(root: Path) -> tuple[str, str]:
    path = root / "knowledge_base.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('\n[[interactions]]\nid = "broken"\npattern = "combined"\nclue = "no_such_clue"\n'
                     'distribution = "medullary"\nlr_present = 2.0\nsources = ["Seed"]\nnote = "broken"\n')
    return "knowledge_base.toml", f"interactions.{len(data.get('interactions', []))}.clue"


def _caveat_unknown_clue(root: Path) -> tuple[str, str]:
    data = tomllib.loads((root / "caveats.toml").read_text(encoding="utf-8"))
    with (root / "caveats.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[caveats]]\nid = "broken_caveat"\nmessage = "A broken caveat."\nsources = ["Seed"]\n'
                     '[caveats.when]\npresent = ["no_such_clue"]\n')
    return "caveats.toml", f"caveats.{len(data['caveats'])}.when.present"


def _clue_unknown_group(root: Path) -> tuple[str, str]:
    with (root / "clues.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[clues.broken_clue]\nlabel = "Broken"\ndescription = "Broken."\ngroup = "nowhere"\n'
                     'specificity = "low"\n')
    return "clues.toml", "clues.broken_clue.group"


def _source_without_url_scheme(root: Path) -> tuple[str, str]:
    with (root / "sources.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[BrokenTag]\ncitation = "A broken source"\nurl = "www.example.org/no-scheme"\n')
    return "sources.toml", "url"


def _cause_file_name_not_an_id(root: Path) -> tuple[str, str]:
    shutil.copy(root / CAUSE_FILE, root / "causes" / "Distal-RTA.toml")
    return "Distal-RTA.toml", "file name"


def _no_strong_finding(root: Path) -> tuple[str, str]:
    path = root / CAUSE_FILE
    text = re.sub(r'frequency = "[a-z_]+"', 'frequency = "rarely"', path.read_text(encoding="utf-8"))
    text = re.sub(r"lr_present = [0-9.]+", "lr_present = 1.5", text)
    path.write_text(text, encoding="utf-8")
    return CAUSE_FILE, "findings"


def _pattern_split_not_one(root: Path) -> tuple[str, str]:
    path = root / "knowledge_base.toml"
    text, count = re.subn(r"(\[patterns\.medullary\]\s*\nmedullary\s*=\s*)0\.989", r"\g<1>0.5",
                          path.read_text(encoding="utf-8"), count=1)
    assert count == 1
    path.write_text(text, encoding="utf-8")
    return "knowledge_base.toml", "patterns.medullary"


def _form_shares_not_one(root: Path) -> tuple[str, str]:
    path = root / CAUSE_FILE
    text, count = re.subn(r"(\[\[forms\]\]\s*\nid\s*=\s*\"[a-z_]+\"\s*\nname\s*=\s*\"[^\"]*\"\s*\nshare\s*=\s*)"
                          r"(\{[^}]*\}|[0-9.]+)", r"\g<1>0.01", path.read_text(encoding="utf-8"), count=1)
    assert count == 1, "distal_rta.toml has forms with shares"
    path.write_text(text, encoding="utf-8")
    return CAUSE_FILE, "forms"


def _contradiction_unknown_clue(root: Path) -> tuple[str, str]:
    data = tomllib.loads((root / CAUSE_FILE).read_text(encoding="utf-8"))
    with (root / CAUSE_FILE).open("a", encoding="utf-8") as handle:
        handle.write('\n[[contradicts]]\nclue = "no_such_clue"\nlr = 0.05\nsources = ["GR-dRTA"]\n')
    return CAUSE_FILE, f"contradicts.{len(data.get('contradicts', []))}.clue"


def _contradiction_above_one(root: Path) -> tuple[str, str]:
    data = tomllib.loads((root / CAUSE_FILE).read_text(encoding="utf-8"))
    with (root / CAUSE_FILE).open("a", encoding="utf-8") as handle:
        handle.write('\n[[contradicts]]\nclue = "sarcoidosis"\nlr = 3.0\nsources = ["GR-dRTA"]\n')
    return CAUSE_FILE, f"contradicts.{len(data.get('contradicts', []))}.lr"


def _age_band_inverted(root: Path) -> tuple[str, str]:
    data = tomllib.loads((root / CAUSE_FILE).read_text(encoding="utf-8"))
    with (root / CAUSE_FILE).open("a", encoding="utf-8") as handle:
        handle.write('\n[[age]]\nat_least = 10.0\nbelow = 5.0\nratio = 0.5\nsources = ["GR-dRTA"]\n')
    return CAUSE_FILE, f"age.{len(data.get('age', []))}"


def _consider_without_cause(root: Path) -> tuple[str, str]:
    data = tomllib.loads((root / "caveats.toml").read_text(encoding="utf-8"))
    with (root / "caveats.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[caveats]]\nid = "broken_consider"\nkind = "consider"\nmessage = "why"\n'
                     'sources = ["Seed"]\n[caveats.when]\npresent = ["hypokalemia"]\n')
    return "caveats.toml", f"caveats.{len(data['caveats'])}"


def _supersedes_unknown_clue(root: Path) -> tuple[str, str]:
    data = tomllib.loads((root / "knowledge_base.toml").read_text(encoding="utf-8"))
    with (root / "knowledge_base.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[supersedes]]\nclue = "rta"\ncomponents = ["no_such_clue"]\nsources = ["GR-dRTA"]\n')
    return "knowledge_base.toml", f"supersedes.{len(data.get('supersedes', []))}"


def _exclusive_unknown_clue(root: Path) -> tuple[str, str]:
    data = tomllib.loads((root / "knowledge_base.toml").read_text(encoding="utf-8"))
    with (root / "knowledge_base.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[exclusive]]\nclues = ["hypokalemia", "no_such_clue"]\nsources = ["GR-dRTA"]\n')
    return "knowledge_base.toml", f"exclusive.{len(data.get('exclusive', []))}.clues"


def _reserved_clue_id(root: Path) -> tuple[str, str]:
    with (root / "clues.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[clues.top]\nlabel = "Top"\ndescription = "Takes over --top."\ngroup = "history"\n'
                     'specificity = "low"\n')
    return "clues.toml", "clues.top"


def _malformed_hpo_id(root: Path) -> tuple[str, str]:
    with (root / "clues.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[clues.broken_hpo]\nlabel = "Broken"\ndescription = "Broken."\ngroup = "history"\n'
                     'specificity = "low"\nhpo = ["HP:12"]\n')
    return "clues.toml", "clues.broken_hpo.hpo.0"


def _hpo_term_twice(root: Path) -> tuple[str, str]:
    with (root / "clues.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[clues.twice_hpo]\nlabel = "Twice"\ndescription = "A term both ways."\ngroup = "history"\n'
                     'specificity = "low"\nhpo = ["HP:0000083"]\nhpo_exact = ["HP:0000083"]\n')
    return "clues.toml", "clues.twice_hpo.hpo_exact"


def _mimic_without_tells_apart(root: Path) -> tuple[str, str]:
    path = root / CAUSE_FILE
    path.write_text('kind = "mimic"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
    return CAUSE_FILE, "tells_apart"


BREAKAGES: dict[str, Callable[[Path], tuple[str, str]]] = {
    "no-strong-finding": _no_strong_finding,
    "pattern-split-not-one": _pattern_split_not_one,
    "form-shares-not-one": _form_shares_not_one,
    "contradiction-unknown-clue": _contradiction_unknown_clue,
    "contradiction-lr-above-one": _contradiction_above_one,
    "age-band-inverted": _age_band_inverted,
    "consider-without-cause": _consider_without_cause,
    "supersedes-unknown-clue": _supersedes_unknown_clue,
    "exclusive-unknown-clue": _exclusive_unknown_clue,
    "reserved-clue-id": _reserved_clue_id,
    "malformed-hpo-id": _malformed_hpo_id,
    "hpo-term-twice": _hpo_term_twice,
    "mimic-without-tells-apart": _mimic_without_tells_apart,
    "unknown-key-in-finding": _unknown_key,
    "unknown-clue": _unknown_clue,
    "frequency-sometimess": _misspelt_frequency,
    "missing-source-tag": _missing_source_tag,
    "prior-is-a-string": _prior_as_string,
    "invalid-toml": _invalid_toml,
    "caveat-unknown-clue": _caveat_unknown_clue,
    "interaction-unknown-clue": _interaction_unknown_clue,
    "clue-unknown-group": _clue_unknown_group,
    "source-url-without-scheme": _source_without_url_scheme,
    "cause-file-name-not-an-id": _cause_file_name_not_an_id,
}


@pytest.mark.parametrize("breakage", list(BREAKAGES.values()), ids=list(BREAKAGES))
def test_broken_rule_file_names_file_and_field(rules_copy: Path, breakage: Callable[[Path], tuple[str, str]]
                                               ) -> None:
    file_name, field = breakage(rules_copy)
    with pytest.raises(RuleError) as info:
        load_knowledge_base(rules_copy)
    message = str(info.value)
    assert "\n" not in message, "one line"
    assert file_name in message, message
    assert field in message, message
    assert any(file_name in p and field in p for p in info.value.problems), info.value.problems


def test_every_problem_is_reported_at_once(rules_copy: Path) -> None:
    _unknown_clue(rules_copy)
    _caveat_unknown_clue(rules_copy)
    with pytest.raises(RuleError) as info:
        load_knowledge_base(rules_copy)
    problems = info.value.problems
    assert len(problems) >= 2
    assert any("caveats.toml" in p for p in problems) and any(CAUSE_FILE in p for p in problems)
    assert "more" in str(info.value)


def test_broken_source_entry_names_its_tag(rules_copy: Path) -> None:
    _source_without_url_scheme(rules_copy)
    with pytest.raises(RuleError) as info:
        load_knowledge_base(rules_copy)
    assert "BrokenTag.url" in str(info.value) or "BrokenTag: url" in str(info.value), str(info.value)


def test_invalid_toml_is_reported_once(rules_copy: Path) -> None:
    _invalid_toml(rules_copy)
    with pytest.raises(RuleError) as info:
        load_knowledge_base(rules_copy)
    assert len(info.value.problems) == 1, info.value.problems


def test_every_form_has_a_short_label_for_display(kb: KnowledgeBase) -> None:
    from nephrocalc.render.views import form_label

    for cause in kb.causes.values():
        for form in cause.forms:
            assert form.label and len(form.label) <= 40, (cause.id, form.id)
    assert form_label(kb, "hypervitaminosis_d", "active_vitamin_d_therapy") == "active vitamin D therapy"
    assert form_label(kb, "distal_rta", "hereditary") == "hereditary"
    assert form_label(kb, "no_such_cause", "some_form") == "some form"
