"""Robustness round 75 (batch pipelines, ask, standard inputs): what was fixed, as the tester found it.

- a FHIR history Bundle whose newest entry deletes a Condition still read its earlier version as a current finding
  (distal RTA 16% -> 78%), with only "entry[0]: no resource" said; a transaction's bodiless DELETE likewise;
- a phenopacket unit given as an NCIT id was never read, so an id that contradicts its label went unseen (a calcium of
  3.1 mmol/L read as 3.1 mg/dL, a hypocalcaemia; a PTH of 12 pmol/L read as 12 pg/mL, low, without a word);
- csv and tsv rows wrote case ids otherwise (a formula guard, line breaks as spaces) without a word, so "-1" and
  "'-1" became one id;
- an excluded broad phenopacket term that ruled out findings of two variables (CKD and the uric acid) was unsaid;
- `ask` fed `b` forever asked forever; answers ended by bare carriage returns were joined and the second lost;
- a key given twice in a phenopacket or FHIR document was named without its path;
- a CSV row fed to batch was told to compact pretty-printed JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, run_document

PATIENT = "urn:uuid:p1"
RTA = {"resourceType": "Condition", "id": "cd", "subject": {"reference": PATIENT},
       "code": {"coding": [{"system": "http://human-phenotype-ontology.org", "code": "HP:0001947",
                            "display": "Renal tubular acidosis"}]}}


def _bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-03-01"}
    nephrocalcinosis = {"resourceType": "Condition", "id": "nc", "subject": {"reference": PATIENT},
                        "code": {"coding": [{"system": "http://human-phenotype-ontology.org", "code": "HP:0012408",
                                             "display": "Medullary nephrocalcinosis"}]}}
    return {"resourceType": "Bundle", "type": kind,
            "entry": [*entries, {"fullUrl": PATIENT, "resource": patient}, {"resource": nephrocalcinosis}]}


DELETE = {"fullUrl": "http://x/fhir/Condition/cd", "request": {"method": "DELETE", "url": "Condition/cd"},
          "response": {"status": "204 No Content"}}


@pytest.mark.parametrize("kind", ["history", "transaction", "batch", "collection"])
def test_a_deleted_resource_is_not_read(tmp_path: Path, kind: str) -> None:
    older = {"fullUrl": "http://x/fhir/Condition/cd", "resource": RTA}
    result = run_document(tmp_path, "--fhir", _bundle(kind, DELETE, older))
    assert "metabolic_acidosis" not in (result["case"].get("clues") or {})
    said = " ".join(w["message"] for w in result["warnings"])
    assert "request.method DELETE of Condition/cd" in said and "Condition/cd deleted by entry[0]" in said


def test_in_a_history_bundle_a_version_written_after_the_deletion_stands(tmp_path: Path) -> None:
    newer = {"fullUrl": "http://x/fhir/Condition/cd", "resource": RTA}
    older = {"fullUrl": "http://x/fhir/Condition/cd",
             "resource": {**RTA, "code": {"coding": [{"system": "http://human-phenotype-ontology.org",
                                                      "code": "HP:0002900", "display": "Hypokalemia"}]}}}
    result = run_document(tmp_path, "--fhir", _bundle("history", newer, DELETE, older))
    clues = result["case"].get("clues") or {}
    assert "metabolic_acidosis" in clues and "hypokalemia" not in clues


def test_a_delete_by_search_deletes_nothing_named(tmp_path: Path) -> None:
    conditional = {"request": {"method": "DELETE", "url": "Condition?code=HP:0001947"}}
    result = run_document(tmp_path, "--fhir", _bundle("transaction", conditional, {"resource": RTA}))
    assert "metabolic_acidosis" in (result["case"].get("clues") or {})
    assert any("request.method DELETE (the resource is being deleted)" in w["message"] for w in result["warnings"])


def _phenopacket(unit_id: str, label: str, value: float, loinc: str = "17861-6") -> dict[str, Any]:
    return {"id": "p", "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
            "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
            "measurements": [{"assay": {"id": f"LOINC:{loinc}", "label": "lab"},
                              "value": {"quantity": {"unit": {"id": unit_id, "label": label}, "value": value}}}],
            "metaData": {"phenopacketSchemaVersion": "2.0"}}


@pytest.mark.parametrize(("unit_id", "label", "value", "loinc"), [
    ("NCIT:C64387", "Milligram per Deciliter", 3.1, "17861-6"),
    ("NCIT:C65110", "Picogram per Milliliter", 12.0, "2731-8"),
])
def test_an_unread_unit_id_is_named_beside_the_label_read(tmp_path: Path, unit_id: str, label: str, value: float,
                                                          loinc: str) -> None:
    result = run_document(tmp_path, "--phenopacket", _phenopacket(unit_id, label, value, loinc))
    said = {w["id"]: w["message"] for w in result["warnings"]}
    assert unit_id in said["phenopacket_unit_id_unchecked"] and label in said["phenopacket_unit_id_unchecked"]


def test_a_ucum_unit_id_needs_no_such_word(tmp_path: Path) -> None:
    result = run_document(tmp_path, "--phenopacket", _phenopacket("UCUM:mg/dL", "mg/dL", 11.8))
    assert "phenopacket_unit_id_unchecked" not in {w["id"] for w in result["warnings"]}


def test_csv_says_when_it_writes_a_case_id_otherwise() -> None:
    lines = b"".join(json.dumps({"id": case_id, "pattern": "medullary"}).encode() + b"\n"
                     for case_id in ("-1", "'-1", "plain", "two\nlines"))
    for fmt in ("csv", "tsv"):
        status, out, err = invoke(["batch", "-", "-f", fmt, "--top", "1"], stdin=lines)
        assert status == 0, err
        assert f"2 case ids written otherwise in the {fmt} cells" in err
        assert "--format jsonl keeps each id unchanged" in err
    status, _, err = invoke(["batch", "-", "-f", "csv"], stdin=b'{"id": "plain", "pattern": "medullary"}\n')
    assert status == 0 and "written otherwise" not in err
    status, out, err = invoke(["diff", "--case", "-", "-f", "csv", "--top", "1"],
                              stdin=b'{"id": "=1+1", "pattern": "medullary"}')
    assert status == 0 and "the case id is written otherwise in the csv cells" in err and "'=1+1" in out


def test_the_formula_guard_is_counted_from_worker_processes_too() -> None:
    lines = b"".join(json.dumps({"id": f"-{i}" if i % 4 == 0 else f"c{i}", "pattern": "medullary"}).encode() + b"\n"
                     for i in range(1200))
    status, _, err = invoke(["batch", "-", "-f", "tsv", "--top", "1"], stdin=lines)
    assert status == 0 and "300 case ids written otherwise in the tsv cells" in err, err


@pytest.mark.parametrize(("excluded", "warned"), [
    ("HP:0004364", True),  # Abnormal circulating nitrogen compound concentration: CKD and both uric acid states
    ("HP:0004363", False),  # Abnormality of calcium homeostasis: a high and a low calcium, one variable
    ("HP:0003155", False),  # Abnormal circulating alkaline phosphatase: normal ALP, as phenopacket-store writes it
])
def test_an_excluded_term_over_two_variables_is_said(tmp_path: Path, excluded: str, warned: bool) -> None:
    packet = _phenopacket("UCUM:mg/dL", "mg/dL", 9.5)
    packet["phenotypicFeatures"].append({"type": {"id": excluded, "label": "broad"}, "excluded": True})
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"].get("clues"), "the term rules something out"
    assert ("phenopacket_excluded_broad_term" in {w["id"] for w in result["warnings"]}) is warned


def test_ask_fed_take_backs_forever_ends() -> None:
    status, out, err = invoke(["ask", "-p", "medullary", "--age", "40", "-f", "json", "--max-questions", "4"],
                              stdin=b"b\n" * 10_000)
    assert status == 0, err
    result = json.loads(out)
    assert "took back" in result["interview"]["stopped"]
    assert err.count("? ") <= 3 * 4 + 3


def test_ask_reads_answers_ended_by_bare_carriage_returns() -> None:
    status, out, err = invoke(["ask", "-p", "medullary", "--age", "40", "-f", "json"], stdin=b"y\rn\r")
    assert status == 0, err
    case = json.loads(out)["case"]
    assert case["clues"] == {"hypercalcemia": True, "high_pth": False}
    assert "could not be read" not in err


@pytest.mark.parametrize(("flag", "document", "path"), [
    ("--phenopacket", '{"id": "p", "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}, {"type": {"id": '
     '"HP:0002150"}, "excluded": true, "excluded": false}], "metaData": {"phenopacketSchemaVersion": "2.0"}}',
     "phenopacket.phenotypicFeatures.1.excluded"),
    ("--fhir", '{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": '
     '"Observation", "status": "final", "status": "final"}}]}', "fhir.entry.0.resource.status"),
])
def test_a_key_given_twice_in_a_document_is_named_with_its_path(tmp_path: Path, flag: str, document: str,
                                                                 path: str) -> None:
    file = tmp_path / "doc.json"
    file.write_text(document, encoding="utf-8")
    status, _, err = invoke(["diff", flag, str(file)])
    assert status == 2 and f"{path}: given twice in the same object" in err, err


def test_a_csv_row_fed_to_batch_is_told_so() -> None:
    status, out, _ = invoke(["batch", "-"], stdin=b'"a,b",medullary,40,true\n')
    assert status == 2
    error = json.loads(out.splitlines()[0])["error"]
    assert "looks like a CSV row" in error and "pretty-printed" not in error


def test_json_nested_past_the_parsers_limit_names_its_field_and_id() -> None:
    deep = '{"id": "d5000", "pattern": "medullary", "clues": {"rta": ' + "[" * 5000 + "]" * 5000 + "}}\n"
    status, out, _ = invoke(["batch", "-"], stdin=deep.encode())
    record = json.loads(out.splitlines()[0])
    assert status == 2 and record["id"] == "d5000"
    assert record["error"].startswith("clues.rta: nested more than 64 levels deep")
    status, _, err = invoke(["diff", "--case", "-"], stdin=deep.encode())
    assert status == 2 and "clues.rta: nested more than 64 levels deep" in err, err


def test_messages_that_misled() -> None:
    status, _, err = invoke(["diff", "--case", "-"], stdin=b'{"pattern": "medullary", "age_years": "130.0000001 y"}')
    assert status == 2 and "130.0000001 years" in err, err
    status, out, err = invoke(["diff", "--case", "-", "-f", "json"],
                              stdin='{"pattern": "medullary", "age_years": "6\u00a0mo"}'.encode())
    assert status == 0, err
    assert json.loads(out)["case"]["age_years"] == pytest.approx(0.5)
