"""Robustness round 89: what was mended.

- an element FHIR repeats given as one JSON object rather than a list of one (as converters from XML write a list of
  one, and as STU3 wrote an Observation's interpretation) was dropped without a word: an HPO-coded Observation
  interpreted NEG so written read its finding present, a calcitriol's dosageInstruction with a topical route a
  systemic exposure, an Observation whose focus is the mother read as the patient's, a report's conclusionCode lost,
  an ImagingStudy's procedureCode "CT urogram" lost (CT, not CT urography), a note "disregard" or a coding given once
  read past. Each is now read as a list of that one, and said; a focus that is not a reference at all (a bare
  string) leaves its Observation out, as a list of such does;
- a DiagnosticReport's conclusion that is not text (a list of sentences, an object) was dropped without a word, and
  STU3's ``codedDiagnosis``, the coded conclusions under their STU3 name, was not read, though the element is known
  (so not named as misspelt either): a report's coded medullary nephrocalcinosis so written gave no pattern. The
  first is said, the second read as R4's conclusionCode;
- `rules check` compared hpo.toml's names by case and spaces only, where the FHIR reader also sets aside a final full
  stop and dashes: a synonym "Polyuria." of another term passed, and made the label "Polyuria" unreadable (a name of
  two terms is read as neither) without a word; nor did it look at two terms given one label, which does the same.
  Names are now compared as the reader folds them (one folded_name, shared), and two terms of one label are refused;
- a report's conclusion that states nephrocalcinosis and denies the same finding in another sentence ("No
  nephrocalcinosis. Medullary nephrocalcinosis.", "Medullary nephrocalcinosis ruled out. Medullary
  nephrocalcinosis.") was read as stated without a word, as if the denial were of a variant ("No cortical
  nephrocalcinosis."); it is still read as stated, and said.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, renamed

HPO = "http://purl.obolibrary.org/obo/hp.owl"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


def _bundle(*resources: dict[str, Any], nephrocalcinosis: bool = True) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-01-01"}
    nc = {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]},
          "recordedDate": "2020-01-01"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": patient}, *({"resource": {"subject": {"reference": "Patient/p"}, **r}}
                                               for r in ((nc,) if nephrocalcinosis else ()) + resources)]}


def _diff_fhir(bundle: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(bundle).encode())
    assert status == 0, err
    result = json.loads(out)
    return result["case"], {w["id"]: w["message"] for w in result["warnings"]}


def _once(resource: dict[str, Any], *path: str | int) -> dict[str, Any]:
    """The resource with the list at ``path`` (of one item) given as that item alone."""
    copy: dict[str, Any] = json.loads(json.dumps(resource))
    node: Any = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = node[path[-1]][0]
    return copy


CALCIUM = {"system": "http://unitsofmeasure.org", "code": "mg/dL", "unit": "mg/dL"}
NEGATIVE = {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2020-01-01",
            "code": {"coding": [{"system": HPO, "code": "HP:0003072"}]},
            "interpretation": [{"coding": [{"system": V3, "code": "NEG"}]}]}
TOPICAL = {"resourceType": "MedicationRequest", "status": "active", "intent": "order", "authoredOn": "2020-01-01",
           "medicationCodeableConcept": {"text": "Calcitriol"},
           "dosageInstruction": [{"route": {"coding": [{"system": SNOMED, "code": "6064005",
                                                        "display": "Topical route"}]}}]}
MOTHERS = {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2020-01-01",
           "code": {"coding": [{"system": LOINC, "code": "17861-6"}]}, "valueQuantity": {"value": 11.9, **CALCIUM},
           "focus": [{"reference": "FamilyMemberHistory/mother"}]}
UROGRAM = {"resourceType": "ImagingStudy", "status": "available", "started": "2020-01-01",
           "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}],
           "procedureCode": [{"text": "CT urogram"}]}
REPORT = {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "US kidneys"},
          "conclusionCode": [{"coding": [{"system": SNOMED, "code": "236447005",
                                          "display": "Medullary nephrocalcinosis"}]}]}


@pytest.mark.parametrize(("resource", "path", "named"), [
    (NEGATIVE, ("interpretation",), "Observation.interpretation"),
    (NEGATIVE, ("interpretation", 0, "coding"), "Observation.interpretation.coding"),
    (TOPICAL, ("dosageInstruction",), "MedicationRequest.dosageInstruction"),
    (MOTHERS, ("focus",), "Observation.focus"),
    (UROGRAM, ("procedureCode",), "ImagingStudy.procedureCode"),
    (REPORT, ("conclusionCode",), "DiagnosticReport.conclusionCode"),
])
def test_an_element_fhir_repeats_given_as_one_object_is_read_as_a_list_of_one(
        resource: dict[str, Any], path: tuple[str | int, ...], named: str) -> None:
    as_list, said_list = _diff_fhir(_bundle(resource, nephrocalcinosis=resource is not REPORT))
    once, said_once = _diff_fhir(_bundle(_once(resource, *path), nephrocalcinosis=resource is not REPORT))
    assert once == as_list
    assert named in said_once["fhir_list_given_as_one"]
    assert {*said_once} - {*said_list} == {"fhir_list_given_as_one"}


def test_the_cases_the_lists_of_one_are_read_as() -> None:
    case, _ = _diff_fhir(_bundle(_once(NEGATIVE, "interpretation")))
    assert case["clues"] == {"hypercalcemia": False}  # it was read present
    case, said = _diff_fhir(_bundle(_once(TOPICAL, "dosageInstruction")))
    assert "clues" not in case and "fhir_medication_route_local" in said  # it was read as the systemic exposure
    case, said = _diff_fhir(_bundle(_once(MOTHERS, "focus")))
    assert "labs" not in case and "fhir_observation_of_another" in said  # it was read as the patient's
    case, _ = _diff_fhir(_bundle(_once(UROGRAM, "procedureCode")))
    assert case["modality"] == "ctu"  # it was read as a plain CT


def test_a_resource_of_a_type_not_read_is_not_said_read_as_a_list() -> None:
    encounter = {"resourceType": "Encounter", "type": [{"coding": {"system": SNOMED, "code": "185347001"}}]}
    _, said = _diff_fhir(_bundle(encounter))
    assert "fhir_list_given_as_one" not in said and "Encounter (1)" in said["fhir_entries_not_read"]


@pytest.mark.parametrize("focus", ["FamilyMemberHistory/mother", 5])
def test_a_focus_that_is_no_reference_leaves_its_observation_out(focus: object) -> None:
    case, said = _diff_fhir(_bundle({**MOTHERS, "focus": focus}))
    assert "labs" not in case
    assert "focus not a reference" in said["fhir_observation_of_another"]


@pytest.mark.parametrize("conclusion", [["Medullary nephrocalcinosis."], {"text": "Medullary nephrocalcinosis."}, 5])
def test_a_report_conclusion_that_is_not_text_is_said(conclusion: object) -> None:
    report = {**REPORT, "conclusion": conclusion}
    del report["conclusionCode"]
    _, said = _diff_fhir(_bundle(report, nephrocalcinosis=False))
    assert "DiagnosticReport conclusion that is not text" in said["fhir_codes_not_mapped"]


def test_stu3_coded_diagnosis_is_read_as_the_conclusion_code() -> None:
    report = {**REPORT, "codedDiagnosis": REPORT["conclusionCode"]}
    del report["conclusionCode"]
    case, said = _diff_fhir(_bundle(report, nephrocalcinosis=False))
    assert case["pattern"] == "medullary"
    assert "fhir_without_nephrocalcinosis" not in said and "fhir_unknown_elements" not in said


RULES = Path(__file__).resolve().parent.parent / "rules"


def _kb_with_hpo(tmp_path: Path, old: str, new: str) -> Path:
    """A renamed copy of the whole knowledge base whose hpo.toml has ``old`` replaced by ``new``."""
    copy = tmp_path / "kb"
    shutil.copytree(RULES, copy)
    hpo = copy / "hpo.toml"
    text = hpo.read_text(encoding="utf-8")
    assert old in text
    hpo.write_text(text.replace(old, new, 1), encoding="utf-8")
    return Path(renamed(copy))


@pytest.mark.parametrize(("old", "new", "said"), [
    # Proteinuria given Polyuria's label as a synonym, with a full stop
    ('"HP:0000093" = ["High urine protein levels"', '"HP:0000093" = ["Polyuria.", "High urine protein levels"',
     "hpo.toml: synonyms: HP:0000093's 'Polyuria.' also names HP:0000103"),
    # ... or with an en dash where the label has a hyphen
    ('"HP:0000093" = ["High urine protein levels"', '"HP:0000093" = ["Vesico\u2013ureteral reflux"',
     "also names HP:0000076"),
    # Proteinuria labelled as Polyuria
    ('"HP:0000093" = "Proteinuria"', '"HP:0000093" = "Polyuria"',
     "hpo.toml: labels: HP:0000103's 'Polyuria' also names HP:0000093"),
])
def test_hpo_names_are_compared_as_the_reader_reads_them(tmp_path: Path, old: str, new: str, said: str) -> None:
    status, _, err = invoke(["rules", "check", str(_kb_with_hpo(tmp_path, old, new))])
    assert status == 2, err
    assert said in err, err
    assert "Traceback" not in err


def test_the_shipped_hpo_names_pass_and_polyuria_is_read_by_its_label() -> None:
    status, _, err = invoke(["rules", "check", str(RULES)])
    assert status == 0, err
    case, _ = _diff_fhir(_bundle({"resourceType": "Condition", "code": {"text": "Polyuria"},
                                  "recordedDate": "2020-01-01"}))
    assert case["clues"] == {"polyuria": True}


def _report_bundle(conclusion: str, code: str | None) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-01-01"}
    report: dict[str, Any] = {"resourceType": "DiagnosticReport", "status": "final",
                              "subject": {"reference": "Patient/p"}, "code": {"text": "US kidneys"},
                              "conclusion": conclusion}
    if code is not None:
        report["conclusionCode"] = [{"coding": [{"system": SNOMED, "code": code}]}]
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}, {"resource": report}]}


@pytest.mark.parametrize(("conclusion", "code", "said"), [
    ("No nephrocalcinosis. Medullary nephrocalcinosis.", "48638002", True),
    ("No nephrocalcinosis. Medullary nephrocalcinosis.", None, True),
    ("Medullary nephrocalcinosis ruled out. Medullary nephrocalcinosis.", None, True),
    ("Medullary nephrocalcinosis. No evidence of medullary nephrocalcinosis.", "236447005", True),
    # a denial of another pattern, or of another finding, is no contradiction
    ("Medullary nephrocalcinosis. No cortical nephrocalcinosis.", None, False),
    ("No hydronephrosis. Medullary nephrocalcinosis.", "236447005", False),
])
def test_a_report_that_states_and_denies_nephrocalcinosis_is_read_as_stated_and_said(
        conclusion: str, code: str | None, said: bool) -> None:
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"],
                              json.dumps(_report_bundle(conclusion, code)).encode())
    assert status == 0, err
    result = json.loads(out)
    assert result["case"].get("pattern") == "medullary"
    notes = {w["id"]: w["message"] for w in result["warnings"]}
    assert ("fhir_report_denies_what_it_states" in notes) is said, notes
    if said:
        assert "No" in notes["fhir_report_denies_what_it_states"] or "ruled out" in notes[
            "fhir_report_denies_what_it_states"]
