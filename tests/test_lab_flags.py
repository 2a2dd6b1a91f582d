"""Lab results given as the laboratory's flag without a value (a FHIR Observation coded in LOINC whose value is "Low",
SNOMED CT 62482003, or whose only interpretation is H): what each flag documents is data, `flags` in
rules/labs.toml, and a flag is read only where the lab says so. The blind hospital-style curation of session
2026-12-07 gave a "Low" PTH for six patients (a suppressed PTH is what separates vitamin D and malignancy from primary
hyperparathyroidism) and a "Normal" 25-hydroxyvitamin D, and none was read.

A flag reads the laboratory's own range: a value, when one is given for the lab, is judged against nephrocalc's
age-aware limits instead. A state a lab does not list documents nothing (a PTH within range is inappropriately normal
beside a hypercalcaemia; a laboratory's "high" 25-hydroxyvitamin D is below the intoxication limit), and is said."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

from nephrocalc.loader import builtin_rules_dir

SNOMED = "http://snomed.info/sct"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
LOINC = {"serum_calcium": "17861-6", "pth": "2731-8", "vitamin_d_25oh": "62292-8", "serum_potassium": "2823-3",
         "urine_calcium_24h": "6874-2", "serum_creatinine": "2160-0"}
QUALIFIERS = {"high": ("75540009", "High"), "low": ("62482003", "Low"), "normal": ("17621005", "Normal")}


def _result(lab: str, value: str | None = None, interpretation: str | None = None, **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Observation", "status": "final",
                                "code": {"coding": [{"system": "http://loinc.org", "code": LOINC[lab]}]}, **extra}
    if value is not None:
        code, display = QUALIFIERS[value]
        resource["valueCodeableConcept"] = {"coding": [{"system": SNOMED, "code": code, "display": display}],
                                            "text": display}
    if interpretation is not None:
        resource["interpretation"] = [{"coding": [{"system": V3, "code": interpretation}]}]
    return resource


def _read(*resources: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    nc = {"resourceType": "Condition",
          "code": {"coding": [{"system": "http://purl.obolibrary.org/obo/hp.owl", "code": "HP:0012408"}]}}
    entries = [{"resource": {"resourceType": "Patient", "id": "p", "gender": "female"}},
               *({"resource": {"subject": {"reference": "Patient/p"}, **r}} for r in (nc, *resources))]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(bundle).encode())
    assert status == 0, err
    result = json.loads(out)
    return result["case"], {w["id"]: w["message"] for w in result["warnings"]}


@pytest.mark.parametrize(("result", "clues"), [
    (_result("pth", "low", "L"), {"low_pth": True}),
    (_result("pth", interpretation="H"), {"high_pth": True}),
    (_result("serum_calcium", "high"), {"hypercalcemia": True}),
    (_result("serum_calcium", interpretation="HH"), {"hypercalcemia": True}),
    (_result("serum_calcium", "normal", "N"), {"hypercalcemia": False, "hypocalcemia": False}),
    (_result("serum_potassium", valueString="Low"), {"hypokalemia": True}),
    (_result("vitamin_d_25oh", "normal"), {"high_25oh_vitamin_d": False}),
])
def test_a_flag_without_a_value_documents_what_the_lab_says_it_does(result: dict[str, Any],
                                                                    clues: dict[str, bool]) -> None:
    case, said = _read(result)
    assert case["clues"] == clues
    assert "labs" not in case
    assert "fhir_lab_flag_read" in said and "fhir_observations_not_read" not in said, said


@pytest.mark.parametrize(("result", "why"), [
    (_result("pth", "normal", "N"), "inappropriately normal"),
    (_result("vitamin_d_25oh", "high", "H"), "below the intoxication limit"),
    (_result("urine_calcium_24h", "low", "L"), "hypocalciuria is judged beside the serum calcium"),
    (_result("serum_creatinine", "high", "H"), "serum_creatinine is read from its value alone"),
])
def test_a_flag_a_lab_does_not_list_documents_nothing_and_is_said(result: dict[str, Any], why: str) -> None:
    case, said = _read(result)
    assert "clues" not in case
    assert why in said["fhir_observations_not_read"] and "give the value" in said["fhir_observations_not_read"]


def test_flags_that_disagree_are_not_used() -> None:
    case, said = _read(_result("serum_calcium", "high", "L"))
    assert "clues" not in case
    assert "its flags disagree" in said["fhir_observations_not_read"]
    case, said = _read(_result("serum_calcium", "high"), _result("serum_calcium", "normal"))
    assert "clues" not in case
    assert "another result of serum_calcium is flagged" in said["fhir_observations_not_read"]


def test_a_value_of_the_lab_is_read_instead_of_a_flag() -> None:
    value = {"resourceType": "Observation", "status": "final",
             "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
             "valueQuantity": {"value": 9.4, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"}}
    case, said = _read(_result("serum_calcium", "high"), value)
    assert case["labs"]["serum_calcium"]["value"] == 9.4 and "clues" not in case
    assert "serum_calcium high" in said["fhir_lab_flag_beside_value"]


def test_a_finding_stated_present_wins_over_a_normal_flag() -> None:
    hypercalcaemia = {"resourceType": "Condition",
                      "code": {"coding": [{"system": "http://purl.obolibrary.org/obo/hp.owl", "code": "HP:0003072"}]}}
    case, said = _read(hypercalcaemia, _result("serum_calcium", "normal"))
    assert case["clues"] == {"hypercalcemia": True, "hypocalcemia": False}
    assert "hypercalcemia" in said["fhir_present_and_absent"]


def test_an_abnormal_flag_gives_no_direction_and_is_not_read() -> None:
    case, said = _read(_result("serum_calcium", interpretation="A"))
    assert "clues" not in case
    assert "its flag A is not read" in said["fhir_observations_not_read"]


def _labs_copy(tmp_path: Path, old: str, new: str) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), root, ignore=shutil.ignore_patterns("extended"))
    path = root / "labs.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


CALCIUM_FLAGS = 'high = ["hypercalcemia"]\nlow = ["hypocalcemia"]\nnormal = ["hypercalcemia", "hypocalcemia"]\n'


@pytest.mark.parametrize(("new", "message"), [
    ('high = ["hypokalemia"]\n', "labs.toml: labs.serum_calcium.flags.high.0: 'hypokalemia' is not a clue this "
                                 "lab's limits read"),
    ('high = ["no_such_clue"]\n', "labs.toml: labs.serum_calcium.flags.high.0: 'no_such_clue' is not a clue"),
    ('high = ["hypercalcemia"]\nlow = ["hypercalcemia"]\n', "labs.toml: labs.serum_calcium.flags: "
                                                             "hypercalcemia: a clue cannot be documented by a high "
                                                             "and a low result both"),
    ("", "labs.toml: labs.serum_calcium.flags: name the clues of at least one of high, low and normal"),
    ('high = "hypercalcemia"\n', "labs.toml: labs.serum_calcium.flags.high"),
    ('above = ["hypercalcemia"]\n', "labs.toml: labs.serum_calcium.flags.above"),
])
def test_a_broken_flags_table_is_refused_naming_file_and_field(tmp_path: Path, new: str, message: str) -> None:
    root = _labs_copy(tmp_path, CALCIUM_FLAGS, new)
    status, _, err = invoke(["rules", "check", str(root)])
    assert status == 2 and message in err, err
    assert "Traceback" not in err


def _packet(*measurements: dict[str, Any], features: tuple[dict[str, Any], ...] = ()) -> bytes:
    return json.dumps({
        "id": "p1",
        "subject": {"id": "s1", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
        "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}, *features],
        "measurements": list(measurements),
        "metaData": {"created": "2026-12-08T00:00:00Z", "phenopacketSchemaVersion": "2.0", "resources": []}}).encode()


def _category(lab: str, term: str, label: str) -> dict[str, Any]:
    return {"assay": {"id": f"LOINC:{LOINC[lab]}"}, "value": {"ontologyClass": {"id": term, "label": label}}}


def _read_packet(packet: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"], packet)
    assert status == 0, err
    result = json.loads(out)
    return result["case"], {w["id"]: w["message"] for w in result["warnings"]}


def test_a_phenopacket_measurement_whose_value_is_a_flag_is_read_as_the_fhir_one_is() -> None:
    case, said = _read_packet(_packet(_category("pth", "SNOMEDCT:62482003", "Low"),
                                      _category("serum_calcium", "NCIT:C25227", "High")))
    assert case["clues"] == {"low_pth": True, "hypercalcemia": True}
    assert "pth low (SNOMEDCT:62482003 Low) as Suppressed PTH present" in said["phenopacket_lab_flag_read"]
    assert "phenopacket_measurements_categorical" not in said


def test_a_phenopacket_flag_a_lab_does_not_list_stays_unread_and_says_why() -> None:
    case, said = _read_packet(_packet(_category("vitamin_d_25oh", "NCIT:C25227", "High"),
                                      _category("pth", "NCIT:C38757", "Negative")))
    assert "clues" not in case
    message = said["phenopacket_measurements_categorical"]
    assert "a result flagged high without its value documents nothing" in message and "Negative" in message


def test_a_normal_flag_does_not_overrule_a_feature_stated_present() -> None:
    hypercalcaemia = {"type": {"id": "HP:0003072", "label": "Hypercalcemia"}}
    case, said = _read_packet(_packet(_category("serum_calcium", "SNOMEDCT:17621005", "Normal"),
                                      features=(hypercalcaemia,)))
    assert case["clues"] == {"hypercalcemia": True, "hypocalcemia": False}
    assert "stated present, which wins: hypercalcemia" in said["phenopacket_lab_flag_read"]
