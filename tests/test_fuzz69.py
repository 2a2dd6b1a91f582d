"""Robustness round 69 (black-box, rule packs and standard inputs): what was fixed, each as the reviewer reproduced it.

- lab limits reading one value as two states that exclude each other passed `rules check`;
- a phenopacket treatment's target, intent and response were dropped without a word;
- `schema case` with a broken $NEPHROCALC_RULES pack printed the built-in schema (exit 0), and took no --rules;
- a FHIR valueString holding no number was said to be "not read" (valueStrings are read);
- one misspelt group of one clue gave 79 false "unknown clue" problems beside the true one;
- a complete knowledge base lacking a contract cause, lab or unit passed `rules check` without a word.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from test_packs import _check_edited_rules

from nephrocalc.loader import builtin_rules_dir

PACK = Path(__file__).resolve().parent.parent / "docs" / "packs" / "bartter"


def test_limits_reading_one_value_as_two_exclusive_states_are_refused(tmp_path: Path, run_main: Any) -> None:
    written = ('clue = "hypocalciuria"\nbelow = 100.0\nderive_absent = false\nage_at_least = 18\n'
               'requires = { hypercalcemia = true }\n')
    edited = 'clue = "hypocalciuria"\nbelow = 400.0\nderive_absent = false\nage_at_least = 18\n'
    status, err = _check_edited_rules(tmp_path, run_main, "labs.toml", written, edited)
    assert status == 2, err
    assert "labs.toml: labs.urine_calcium_24h.limits." in err
    assert "read one value as two states that exclude each other" in err and "hypocalciuria" in err


def test_a_treatments_target_intent_and_response_are_named_as_not_read(run_main: Any, tmp_path: Path) -> None:
    packet = {"id": "p", "subject": {"id": "s", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration":
                                                                                                "P40Y"}}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
              "medicalActions": [{"treatment": {"agent": {"id": "CHEBI:17823", "label": "calcitriol"}},
                                  "treatmentTarget": {"id": "HP:0000829", "label": "Hypoparathyroidism"},
                                  "treatmentIntent": {"id": "NCIT:C62220", "label": "Cure"},
                                  "responseToTreatment": {"id": "NCIT:C38757", "label": "Negative"}}],
              "metaData": {"phenopacketSchemaVersion": "2.0"}}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    status, out, err = run_main(["diff", "--phenopacket", str(path), "--format", "json"])
    assert status == 0, err
    said = " ".join(w["message"] for w in json.loads(out)["warnings"])
    for field in ("treatmentTarget (HP:0000829 Hypoparathyroidism)", "treatmentIntent", "responseToTreatment"):
        assert f"medicalActions[0].{field}" in said, said


def test_schema_case_refuses_a_broken_environment_pack_and_takes_rules(run_main: Any, tmp_path: Path,
                                                                       monkeypatch: Any) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(PACK, broken)
    cause = broken / "causes" / "bartter_syndrome.toml"
    cause.write_text(cause.read_text(encoding="utf-8").replace('frequency = "usually"', 'frequency = "mostly"', 1),
                     encoding="utf-8")
    status, out, _ = run_main(["schema", "case", "--rules", str(PACK)])
    assert status == 0 and "hyperprostaglandinuria" in out
    monkeypatch.setenv("NEPHROCALC_RULES", str(broken))
    status, out, err = run_main(["schema", "case"])
    assert status == 2 and out == "" and "findings.0.frequency" in err
    status, out, _ = run_main(["schema", "result"])  # reads no rules: still printed
    assert status == 0 and json.loads(out)


def test_a_value_string_without_a_number_is_said_to_hold_none(run_main: Any, tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-03-15"}},
        {"resource": {"resourceType": "Observation", "id": "ca", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
                      "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-05-01",
                      "valueString": "see comment"}}]}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    status, out, err = run_main(["diff", "--fhir", str(path), "-p", "medullary", "--format", "json"])
    assert status == 0, err
    said = " ".join(w["message"] for w in json.loads(out)["warnings"])
    assert 'its valueString (the string "see comment") holds no value' in said
    assert "valueString is not read" not in said


def test_one_bad_field_of_a_clue_is_one_problem(tmp_path: Path, run_main: Any) -> None:
    written = 'description = "Raised serum (total or ionised) calcium."\ngroup = "calcium"\n'
    status, err = _check_edited_rules(tmp_path, run_main, "clues.toml", written,
                                      written.replace('group = "calcium"', 'group = "calcum"'))
    assert status == 2
    assert "clues.toml: clues.hypercalcemia.group: unknown group 'calcum'" in err
    assert "unknown clue 'hypercalcemia'" not in err
    # the copy keeps the shipped name, refused too: two problems, not 81
    assert len(err.strip().splitlines()) == 3, err


def test_a_complete_knowledge_base_lacking_contract_ids_is_noted(tmp_path: Path, run_main: Any) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), copy)
    (copy / "causes" / "alport_syndrome.toml").unlink()
    kb_file = copy / "knowledge_base.toml"
    kb_file.write_text(kb_file.read_text(encoding="utf-8").replace(
        'name = "nephrocalc built-in knowledge base"', 'name = "a site knowledge base"', 1), encoding="utf-8")
    status, out, err = run_main(["rules", "check", str(copy)])
    assert status == 0 and out.startswith("ok: a site knowledge base"), err
    assert "lacks causes alport_syndrome of the built-in knowledge base" in err
    status, _, err = run_main(["rules", "check", str(builtin_rules_dir())])
    assert status == 0 and "lacks" not in err
