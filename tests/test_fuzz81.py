"""Robustness round 81 (standard inputs as other systems export them, broken rule packs, formats): what was mended.

- FHIR: a date without its day ("2024") stood at the middle of its year and, as the latest date, set the age months
  after every exact date and after the Bundle's own timestamp (a 10-day-old was read as 5.7 months old);
- FHIR and phenopackets: a basic-format date ("20240220") was read by Python as a date, while the partial-date note
  said it gave no day: it is not an ISO 8601 extended date, which both standards require, and is now said unread;
- a raised potassium never derived hyperkalaemia (a clue of the vocabulary, listed by neonatal Bartter syndrome): it
  was read only as "no hypokalaemia";
- a rule pack whose lab limits left an age gap, or whose limit needed a clue it also excluded, passed `rules check`
  and then read abnormal values as nothing without a word;
- a phenopacket measurement of a known assay with a categorical value ("Low") was said to have no known LOINC code;
- `rules check` named a check across fields "(file)"; duplicate interaction ids were accepted; the --fields message
  left out json, which takes it; a sources.toml written as [sources.Tag] gave three errors that pointed the wrong way.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

from nephrocalc.knowledge import KnowledgeBase

DATA = Path(__file__).parent / "data" / "fuzz81"


def _json(argv: list[str], stdin: bytes = b"") -> dict[str, Any]:
    status, out, err = invoke([*argv, "-f", "json"], stdin)
    assert status == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_a_year_only_date_does_not_move_the_age_past_the_exact_dates_it_holds(tmp_path: Path) -> None:
    result = _json(["diff", "--fhir", str(DATA / "infant_year.json")])
    assert result["case"]["age_years"] == pytest.approx(10 / 366, abs=1e-4)  # born 2024-01-10, sampled 2024-01-20
    bundle = json.loads((DATA / "infant_year.json").read_text())
    for entry in bundle["entry"]:  # the year-only date alone: held at the Bundle's timestamp, and said
        if entry["resource"].get("effectiveDateTime") == "2024-01-20":
            del entry["resource"]["effectiveDateTime"]
    path = tmp_path / "year.json"
    path.write_text(json.dumps(bundle))
    result = _json(["diff", "--fhir", str(path)])
    assert result["case"]["age_years"] == pytest.approx(15 / 366, abs=1e-3)  # the timestamp, 2024-01-25
    assert "fhir_record_date_at_timestamp" in {w["id"] for w in result["warnings"]}


def test_a_basic_format_date_is_not_read(tmp_path: Path) -> None:
    bundle = json.loads((DATA / "infant_year.json").read_text())
    del bundle["timestamp"]
    for entry in bundle["entry"]:
        if "effectiveDateTime" in entry["resource"]:
            entry["resource"]["effectiveDateTime"] = "20240120"
    path = tmp_path / "compact.json"
    path.write_text(json.dumps(bundle))
    result = _json(["diff", "--fhir", str(path)])
    said = {w["id"]: w["message"] for w in result["warnings"]}
    assert '"20240120" is not an ISO 8601 date' in said["fhir_dates_not_read"]
    assert "fhir_record_date_partial" not in said and result["case"].get("age_years") is None


@pytest.mark.parametrize(("age", "value", "derived"), [
    ("40", "5.8", True), ("40", "5.3", False), ("10", "5.4", True), ("0.3", "6.0", False), ("0.3", "6.4", True)])
def test_a_raised_potassium_is_hyperkalaemia_by_age(age: str, value: str, derived: bool) -> None:
    result = _json(["diff", "-p", "medullary", "--age", age, "--lab", f"serum_potassium={value} mmol/L"])
    found = {d["clue"]: d["present"] for d in result["derived"]}
    assert found.get("hyperkalemia", False) is derived
    assert found.get("hypokalemia") is False


def test_hyperkalaemia_beside_ckd_is_not_unexplained() -> None:
    result = _json(["diff", "-p", "medullary", "--age", "60", "--ckd", "--hypercalcemia", "--hyperkalemia"])
    assert "hyperkalemia" not in result["fit"]["unexplained"]


def test_a_raised_potassium_no_longer_counts_against_neonatal_bartter() -> None:
    argv = ["diff", "-p", "medullary", "--age", "0.01", "--extended", "--polyhydramnios"]
    measured = _json([*argv, "--lab", "serum_potassium=7.5 mmol/L"])
    shown = {e["cause"]: e["probability"] for e in measured["differential"]}
    assert measured["differential"][0]["cause"] == "bartter_syndrome" and shown["bartter_syndrome"] > 0.3


def _pack(kb: KnowledgeBase, tmp_path: Path, old: str, new: str, file: str = "labs.toml") -> Path:
    """A copy of the built-in rules with ``old`` (found once in ``file``) replaced by ``new``."""
    rules = tmp_path / "rules"
    shutil.copytree(Path(kb.root), rules)
    path = rules / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return rules


def test_a_lab_limit_age_gap_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    old = 'clue = "hyperkalemia"\nabove = 5.2\nage_at_least = 1\n'
    rules = _pack(kb, tmp_path, old, old.replace("age_at_least = 1", "age_at_least = 5"))
    status, _, err = invoke(["rules", "check", str(rules)])
    assert status == 2
    assert "labs.toml: labs.serum_potassium: " in err and "leave the ages 1 to 5 without a limit above which " \
        "hyperkalemia is read" in err


def test_a_lab_limit_that_needs_what_it_excludes_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    old = 'clue = "hyperkalemia"\nabove = 6.1\n'
    rules = _pack(kb, tmp_path, old, old + "requires = { preterm_infant = true }\nunless = { preterm_infant = true }\n")
    status, _, err = invoke(["rules", "check", str(rules)])
    assert status == 2 and "requires and unless both name preterm_infant = true: the limit would apply to no " \
        "patient" in err


def test_checks_across_fields_name_their_field(kb: KnowledgeBase, tmp_path: Path) -> None:
    text = (Path(kb.root) / "knowledge_base.toml").read_text(encoding="utf-8")
    start = text.index("[[interactions]]")
    block = text[start:text.index("\n[", start + 3)]  # the first interaction, given twice
    rules = _pack(kb, tmp_path, block, block + "\n" + block, "knowledge_base.toml")
    status, _, err = invoke(["rules", "check", str(rules)])
    assert status == 2 and "knowledge_base.toml: interactions: duplicate id" in err and "(file)" not in err


def test_a_categorical_measurement_of_a_known_assay_is_named_as_one() -> None:
    # a category that is a laboratory's flag ("Low") is now read by the lab's flags (tests/test_lab_flags.py); one that
    # is not (a "Positive") is still named as a category, not as an unknown assay
    result = _json(["diff", "--phenopacket", str(DATA / "categorical_measurement.json")])
    said = {w["id"]: w["message"] for w in result["warnings"]}
    assert "serum_phosphate low (NCIT:C25493 Low) as Hypophosphataemia present" in said["phenopacket_lab_flag_read"]
    assert result["case"]["clues"]["hypophosphatemia"] is True
    packet = json.loads((DATA / "categorical_measurement.json").read_text(encoding="utf-8"))
    for measurement in packet["measurements"]:
        if measurement["assay"]["id"] == "LOINC:2777-1":
            measurement["value"]["ontologyClass"] = {"id": "NCIT:C25246", "label": "Positive"}
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"], json.dumps(packet).encode())
    said = {w["id"]: w["message"] for w in json.loads(out)["warnings"]}
    assert status == 0 and "LOINC:2777-1 (serum_phosphate): NCIT:C25246 Positive" in \
        said["phenopacket_measurements_categorical"], err
    assert "2777-1" not in said.get("phenopacket_measurements_not_read", "").split("were not used:")[-1]


def test_the_fields_message_names_every_format_that_takes_it() -> None:
    status, _, err = invoke(["batch", "-f", "markdown", "--fields", "id"], b'{"pattern": "medullary"}\n')
    assert status == 2 and "applies to --format jsonl, json, tsv or csv (not markdown)" in err


def test_sources_written_as_a_cause_file_lists_them_get_one_line_that_says_how(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "sources.toml").write_text('[sources.NewTag]\ncitation = "new"\nurl = "https://example.org"\n',
                                       encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 2 and "1 problem in" in err
    assert "sources.toml: sources: each tag is a top-level table of sources.toml: write [NewTag], not " \
        "[sources.NewTag]" in err
