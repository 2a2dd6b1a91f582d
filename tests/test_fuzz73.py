"""Robustness round 73 (the people who use it, as they use it): what was fixed, each as the tester reproduced it.

- a FHIR lab whose UCUM code is a unit the lab does not take (a PTH of 0.14 ng/mL, raised) was read in its unit
  text (0.14 pg/mL, suppressed) without a word, turning PTH-driven hypercalcaemia into milk-alkali syndrome;
- Condition texts that deny or hedge in other words ("Absence of sarcoidosis", "Sarcoidosis denied", "Sarcoidosis
  (family history)", "pending biopsy", "to be excluded", "was considered") were read as the finding present;
- a GA4GH Family without its proband ranked as an empty case;
- a rule-pack clue named ``jobs`` (an option of batch) was accepted;
- batch's stderr line for a failed line did not name the case's id, which the report pages do;
- the README's pipeline example showed a probability the tool no longer prints.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, run_document

from nephrocalc.engine import load_engine
from nephrocalc.interop.wording import finding_cue
from nephrocalc.vocab import RESERVED_OPTION_NAMES

ROOT = Path(__file__).resolve().parents[1]
PATIENT = "urn:uuid:p1"


def _observation(loinc: str, quantity: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": PATIENT},
            "effectiveDateTime": "2024-05-01", "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
            "valueQuantity": {**quantity, "system": "http://unitsofmeasure.org"}}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-03-01"}
    condition = {"resourceType": "Condition", "subject": {"reference": PATIENT},
                 "verificationStatus": {"coding": [{"system":
                                                    "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                                    "code": "confirmed"}]},
                 "code": {"coding": [{"system": "http://human-phenotype-ontology.org", "code": "HP:0012408",
                                      "display": "Medullary nephrocalcinosis"}]}}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": PATIENT, "resource": patient}, {"resource": condition},
                      *({"resource": r} for r in resources)]}


CALCIUM = _observation("17861-6", {"value": 11.9, "unit": "mg/dL", "code": "mg/dL"})


def test_a_coded_unit_the_lab_does_not_take_is_not_replaced_by_the_unit_text(tmp_path: Path) -> None:
    pth = _observation("2731-8", {"value": 0.14, "unit": "pg/mL", "code": "ng/mL"})
    result = run_document(tmp_path, "--fhir", _bundle(CALCIUM, pth))
    assert "pth" not in (result["case"].get("labs") or {})
    said = {w["id"]: w["message"] for w in result["warnings"]}
    assert "pth 0.14: code 'ng/mL', written 'pg/mL'" in said["fhir_lab_unit_conflict"]
    assert "were not used" in said["fhir_lab_unit_conflict"]
    assert result["differential"][0]["cause"] != "milk_alkali_syndrome"
    # a code and a text that agree are read as before
    agreed = _observation("2731-8", {"value": 140, "unit": "pg/mL", "code": "pg/mL"})
    result = run_document(tmp_path, "--fhir", _bundle(CALCIUM, agreed))
    assert result["case"]["labs"]["pth"] == {"value": 140, "unit": "pg/mL"}
    assert "fhir_lab_unit_conflict" not in [w["id"] for w in result["warnings"]]


def test_the_same_quantity_spelt_otherwise_is_not_a_conflict(tmp_path: Path) -> None:
    """g/g is mg/mg: a ratio coded g/g and written mg/mg is read, with no conflict said."""
    ratio = _observation("9321-1", {"value": 0.35, "unit": "mg/mg", "code": "g/g"})
    result = run_document(tmp_path, "--fhir", _bundle(CALCIUM, ratio))
    assert result["case"]["labs"]["urine_calcium_creatinine_ratio"] == {"value": 0.35, "unit": "mg/mg"}
    assert "fhir_lab_unit_conflict" not in [w["id"] for w in result["warnings"]]


@pytest.mark.parametrize("text", ["Absence of sarcoidosis", "Free of sarcoidosis", "Sarcoidosis denied",
                                  "Sarcoidosis (family history)", "Sarcoidosis - pending biopsy",
                                  "Sarcoid? awaiting biopsy", "Sarcoidosis \u2014 to be excluded",
                                  "Sarcoidosis was considered"])
def test_more_words_that_deny_or_hedge_a_finding(text: str) -> None:
    assert finding_cue(text)


@pytest.mark.parametrize("text", ["Sarcoidosis", "Pulmonary sarcoidosis", "Sarcoidosis, stage II",
                                  "Distal RTA - not yet genotyped", "Nephrocalcinosis, considered secondary to "
                                  "furosemide"])
def test_a_plain_finding_is_not_hedged(text: str) -> None:
    assert finding_cue(text) == ""


def test_a_hedged_condition_text_is_not_read_as_the_finding(tmp_path: Path) -> None:
    sarcoidosis = {"resourceType": "Condition", "subject": {"reference": PATIENT},
                   "clinicalStatus": {"coding": [{"system":
                                                  "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                                  "code": "active"}]},
                   "code": {"coding": [{"system": "http://snomed.info/sct", "code": "31541009",
                                        "display": "Sarcoidosis"}], "text": "Absence of sarcoidosis"}}
    result = run_document(tmp_path, "--fhir", _bundle(CALCIUM, sarcoidosis))
    assert "sarcoidosis" not in result["case"].get("clues", {})
    assert any("absence of sarcoidosis" in w["message"].lower() for w in result["warnings"])


def test_a_family_without_its_proband_is_refused(tmp_path: Path) -> None:
    relative = {"id": "r1", "subject": {"id": "r1", "sex": "FEMALE"},
                "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}],
                "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"}}
    path = tmp_path / "family.json"
    path.write_text(json.dumps({"id": "fam1", "relatives": [relative], "metaData": relative["metaData"]}))
    status, out, err = invoke(["diff", "--phenopacket", str(path)])
    assert status == 2 and out == ""
    assert err.startswith("nephrocalc: error: phenopacket.proband: this is a GA4GH Family without a proband")
    assert len(err.strip().splitlines()) == 1


def test_every_option_name_is_reserved_from_clue_ids() -> None:
    """A pack clue named like an option would take its flag: every option of every command is reserved (``jobs``,
    an option of batch, was not)."""
    kb = load_engine(()).kb
    options: set[str] = set()
    for command in ("diff", "batch", "ask", "cause", "clues", "labs", "rules", "imaging", "grading", "method",
                    "schema"):
        out = subprocess.run([sys.executable, "-m", "nephrocalc", command, "--help"], capture_output=True,
                             text=True, env={"COLUMNS": "200", "PATH": ""}, check=False).stdout
        options.update(name.replace("-", "_") for name in re.findall(r"--([a-z][a-z0-9-]+)", out))
    assert "jobs" in options and "top" in options
    unguarded = {name for name in options if name not in RESERVED_OPTION_NAMES and name not in kb.clues
                 and not (name.startswith("no_") and name[3:] in kb.clues)}
    assert not unguarded


def test_a_failed_batch_line_names_its_case_on_stderr(tmp_path: Path) -> None:
    lines = [{"id": "a", "pattern": "medullary"}, {"id": "b", "pattern": "medulary"}, {"pattern": "cortex"}]
    status, out, err = invoke(["batch", "-f", "csv"], "\n".join(json.dumps(line) for line in lines).encode())
    assert status != 0 and out.startswith("id,")
    said = err.strip().splitlines()
    assert said[0].startswith("nephrocalc: line 2 (b): pattern:") and said[1].startswith("nephrocalc: line 3: ")


def test_the_readme_pipeline_example_prints_what_the_readme_shows() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ echo '{\"id\": \"case-7\"", 1)[1]
    case = json.loads("{\"id\": \"case-7\"" + block.split("}}'", 1)[0] + "}}")
    shown = json.loads(block.split("\n{", 1)[1].split("\n}", 1)[0].join(["{", "}"]))
    status, out, err = invoke(["diff", "--case", "-", "--format", "json"], json.dumps(case).encode())
    assert status == 0, err
    first = json.loads(out)["differential"][0]
    assert {key: first[key] for key in shown} == shown
