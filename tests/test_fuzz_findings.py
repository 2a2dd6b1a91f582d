"""Regression tests for the defects a black-box fuzzing of the command line found (2026-12-03): each
failed before its fix. A malformed FHIR status crashed the run (and stopped a batch); parts of a
FHIR bundle or a phenopacket were dropped without a word; a warning said the pattern was unknown when
--pattern gave it; an input error came second on stderr after a note; --extended --no-extended kept
the last silently; an age of -0.0 printed as "-0 d"; a UTF-16 file was called invalid UTF-8 JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke, note_ids

HPO = "http://purl.obolibrary.org/obo/hp.owl"
DCM = "http://dicom.nema.org/resources/ontology/DCM"


def _bundle(*resources: dict[str, Any]) -> bytes:
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": r} for r in resources]}).encode()


def _diff(argv: list[str], stdin: bytes) -> dict[str, Any]:
    status, out, err = invoke(["diff", *argv, "--format", "json"], stdin)
    assert status == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def _messages(result: dict[str, Any]) -> str:
    return " | ".join(note["message"] for note in result["warnings"])


@pytest.mark.parametrize("status", [["active"], {}, [{}], 7])
@pytest.mark.parametrize("kind", ["MedicationStatement", "MedicationRequest", "MedicationAdministration"])
def test_a_medication_status_that_is_not_a_code_is_said_not_a_crash(kind: str, status: object) -> None:
    medication = {"resourceType": kind, "status": status, "medicationCodeableConcept": {"text": "furosemide"}}
    result = _diff(["--fhir", "-", "-p", "medullary"], _bundle(medication))
    assert "loop_diuretic" not in result["case"].get("clues", {})  # a status not known: not read as taken
    assert "status not a code" in _messages(result)


def test_a_batch_goes_on_past_a_bundle_with_a_malformed_status() -> None:
    good = _bundle({"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}})
    bad = _bundle({"resourceType": "MedicationStatement", "status": ["active"],
                   "medicationCodeableConcept": {"text": "furosemide"}})
    status, out, err = invoke(["batch", "-", "--input", "fhir", "--format", "jsonl"], b"\n".join([good, bad, good]))
    assert status == 0, err
    assert len(out.splitlines()) == 3


@pytest.mark.parametrize(("modality", "shown"), [
    ([{"system": DCM, "code": "NM"}], "NM"),
    ([{"system": DCM, "code": "PT"}], "PT"),
    ("US", "not a Coding"),
    ([{"text": "ultrasound"}], "without a code"),
])
def test_an_imaging_modality_that_gives_none_is_said(modality: object, shown: str) -> None:
    result = _diff(["--fhir", "-", "-p", "medullary"],
                   _bundle({"resourceType": "ImagingStudy", "status": "available", "modality": modality}))
    assert "modality" not in result["case"]
    assert "ImagingStudy modality" in _messages(result) and shown in _messages(result)


def test_an_r5_imaging_modality_a_codeable_concept_is_read() -> None:
    study = {"resourceType": "ImagingStudy", "status": "available",
             "modality": [{"coding": [{"system": DCM, "code": "CT"}]}]}
    result = _diff(["--fhir", "-", "-p", "medullary"], _bundle(study))
    assert result["case"]["modality"] == "ct"
    assert "ImagingStudy modality" not in _messages(result)


def test_a_malformed_family_condition_and_body_site_are_said() -> None:
    result = _diff(["--fhir", "-"], _bundle(
        {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]},
         "bodySite": "left kidney"},
        {"resourceType": "FamilyMemberHistory", "status": "completed", "condition": "kidney stones"}))
    assert "laterality" not in result["case"]
    assert "bodySite that is not a list" in _messages(result)
    assert "FamilyMemberHistory condition that is not a list" in _messages(result)


def test_phenopacket_modifiers_severity_and_resolution_are_said() -> None:
    packet = {"id": "p", "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": "P6Y"}}},
              "phenotypicFeatures": [
                  {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"},
                   "modifiers": [{"id": "HP:0012828", "label": "Severe"}, {"id": "HP:0012832", "label": "Bilateral"}]},
                  {"type": {"id": "HP:0002150", "label": "Hypercalciuria"},
                   "resolution": {"age": {"iso8601duration": "P1Y"}},
                   "severity": {"id": "HP:0012825", "label": "Mild"}}]}
    result = _diff(["--phenopacket", "-"], json.dumps(packet).encode())
    assert result["case"]["laterality"] == "bilateral"  # the laterality modifier is read
    assert result["case"]["clues"] == {"hypercalciuria": True}  # a resolved finding is of the history
    ids = note_ids(result["warnings"])
    assert "phenopacket_features_resolved" in ids and "phenopacket_modifiers_not_read" in ids
    text = _messages(result)
    assert "HP:0012828 Severe" in text and "HP:0012825 Mild" in text and "HP:0012832" not in text


def test_a_phenopacket_without_modifiers_has_no_modifier_note() -> None:
    packet = {"id": "p", "phenotypicFeatures": [{"type": {"id": "HP:0012408"},
                                                 "modifiers": [{"id": "HP:0012833", "label": "Unilateral"}]}]}
    result = _diff(["--phenopacket", "-"], json.dumps(packet).encode())
    assert result["case"]["laterality"] == "unilateral"
    assert "phenopacket_modifiers_not_read" not in note_ids(result["warnings"])


@pytest.mark.parametrize(("option", "document"), [
    ("--fhir", b'{"resourceType":"Bundle","type":"collection","entry":[]}'),
    ("--phenopacket", b'{"id":"p","phenotypicFeatures":[]}'),
])
def test_pattern_given_by_flag_is_not_called_unknown(option: str, document: bytes) -> None:
    result = _diff([option, "-", "-p", "cortical"], document)
    assert result["case"]["pattern"] == "cortical"
    assert "pattern_unknown" not in note_ids(result["warnings"])
    unknown = _diff([option, "-"], document)  # without --pattern the warning stands
    assert "pattern_unknown" in note_ids(unknown["warnings"])


@pytest.mark.parametrize("fmt", ["csv", "tsv", "markdown"])
def test_an_input_error_is_the_one_line_on_stderr_with_explain(fmt: str) -> None:
    status, out, err = invoke(["diff", "-p", "medullary", "--age", "nan", "--explain", "-f", fmt])
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and "--age" in err


def test_explain_with_a_row_format_still_says_it_has_no_effect() -> None:
    status, out, err = invoke(["diff", "-p", "medullary", "--explain", "-f", "csv"])
    assert status == 0 and out
    assert "--explain has no effect with --format csv" in err


@pytest.mark.parametrize("argv", [["--extended", "--no-extended"], ["--no-extended", "--extended"]])
def test_extended_given_both_ways_is_refused(argv: list[str]) -> None:
    status, out, err = invoke(["diff", "-p", "medullary", *argv])
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and "--extended" in err and "both ways" in err


def test_extended_given_twice_the_same_way_is_accepted() -> None:
    result = _diff(["-p", "medullary", "--extended", "--extended"], b"")
    assert len(result["differential"]) > 13


def test_an_age_of_minus_zero_is_zero() -> None:
    result = _diff(["--case", "-"], b'{"pattern": "medullary", "age_years": -0.0, "onset_age_years": -0.0}')
    assert str(result["case"]["age_years"]) == "0.0" and str(result["case"]["onset_age_years"]) == "0.0"
    status, out, _ = invoke(["diff", "--case", "-"], b'{"pattern": "medullary", "age_years": -0.0}')
    assert status == 0 and "age 0 d" in out and "-0" not in out


@pytest.mark.parametrize(("encoding", "said"), [("utf-16", "UTF-16"), ("latin-1", "not UTF-8")])
def test_a_file_not_in_utf8_is_said_so(encoding: str, said: str) -> None:
    status, out, err = invoke(["diff", "--case", "-"], '{"pattern": "medullary", "id": "café"}'.encode(encoding))
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and f"the text is {said}: save it as UTF-8" in err
