"""What robustness round 59 found: an excluded (or refuted) term above a finding stated present, such as Phenotypic
abnormality beside medullary nephrocalcinosis, set a hundred clues absent without a word; a FHIR verificationStatus
with two codings, or a "refuted" of another code system, and a finding's value that its interpretation contradicts,
were resolved silently; the phenopacket written listed no ontology in its metaData; a misspelt field of a medical
action was dropped unsaid; and the results of a report entered in error were used. Each fix, held by a test that
fails without it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke

HPO = "http://purl.obolibrary.org/obo/hp.owl"
VER_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
MEDULLARY = {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}


def _phenopacket(*features: dict[str, Any], **more: Any) -> bytes:
    return json.dumps({"id": "p59", "subject": {"id": "s", "sex": "FEMALE",
                                                "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
                       "phenotypicFeatures": [MEDULLARY, *features], **more}).encode()


def _excluded(term: str, label: str) -> dict[str, Any]:
    return {"type": {"id": term, "label": label}, "excluded": True}


def _run(argv: list[str], raw: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    status, out, err = invoke([*argv, "--format", "json"], raw)
    assert status == 0, err
    result = json.loads(out)
    return result, {w["id"]: w["message"] for w in result["warnings"]}


def _bundle(*resources: dict[str, Any], entries: tuple[dict[str, Any], ...] = ()) -> bytes:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1970-01-01"}
    nc = {"resourceType": "Condition", "id": "nc", "subject": {"reference": "Patient/p"},
          "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}}
    return json.dumps({"resourceType": "Bundle", "type": "collection", "timestamp": "2020-01-01T00:00:00Z",
                       "entry": [{"resource": r} for r in (patient, nc, *resources)] + list(entries)}).encode()


def _hearing(**more: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": HPO, "code": "HP:0000365", "display": "Hearing impairment"}]}, **more}


@pytest.mark.parametrize(("term", "label"), [("HP:0000118", "Phenotypic abnormality"),
                                             ("HP:0000077", "Abnormality of the kidney")])
def test_an_excluded_ancestor_of_the_nephrocalcinosis_rules_nothing_out(term: str, label: str) -> None:
    """Phenotypic abnormality excluded beside medullary nephrocalcinosis contradicts it, yet was read as excluding
    every clue below it: 101 clues absent (12 for Abnormality of the kidney), without a word."""
    result, warnings = _run(["diff", "--phenopacket", "-"], _phenopacket(_excluded(term, label)))
    assert not result["case"].get("clues")
    said = warnings["phenopacket_excluded_above_present"]
    assert f"phenotypicFeatures[1] {term} {label}" in said and "HP:0012408" in said


def test_an_excluded_term_above_another_present_finding_rules_nothing_out() -> None:
    """Abnormality of urine homeostasis excluded beside hypercalciuria stated present set a dozen urine findings
    absent; the hypercalciuria alone was said to be stated both ways."""
    raw = _phenopacket({"type": {"id": "HP:0002150", "label": "Hypercalciuria"}},
                       _excluded("HP:0003110", "Abnormality of urine homeostasis"))
    result, warnings = _run(["diff", "--phenopacket", "-"], raw)
    assert result["case"]["clues"] == {"hypercalciuria": True}
    assert "phenotypicFeatures[2] HP:0003110" in warnings["phenopacket_excluded_above_present"]


def test_an_excluded_broad_term_is_read_and_its_findings_named() -> None:
    """An excluded term broader than every finding (Abnormal blood ion concentration) ruled out eight clues with no
    word of which: it is read as HPO reads an exclusion, and the clues it ruled out are named."""
    result, warnings = _run(["diff", "--phenopacket", "-"],
                            _phenopacket(_excluded("HP:0003111", "Abnormal blood ion concentration")))
    absent = [clue for clue, present in result["case"]["clues"].items() if present is False]
    assert "hypercalcemia" in absent and len(absent) > 1
    said = warnings["phenopacket_excluded_broad_term"]
    assert "HP:0003111" in said and f"({len(absent)}: " in said and "hypercalcemia" in said
    # a term that is a clue's own is not broad: no such warning
    _, warnings = _run(["diff", "--phenopacket", "-"], _phenopacket(_excluded("HP:0003072", "Hypercalcemia")))
    assert "phenopacket_excluded_broad_term" not in warnings
    # nor is the way phenopacket-store states a normal level, the abnormal level excluded (two clues: low and high
    # alkaline phosphatase), which fired on five of its ATP6V1B1 patients (phenopacket-store run 60)
    result, warnings = _run(["diff", "--phenopacket", "-"], _phenopacket(
        _excluded("HP:0004379", "Abnormality of alkaline phosphatase level")))
    assert result["case"]["clues"].get("high_alkaline_phosphatase") is False
    assert "phenopacket_excluded_broad_term" not in warnings


def test_a_refuted_ancestor_of_the_nephrocalcinosis_in_fhir_rules_nothing_out() -> None:
    """The same in a FHIR bundle: Abnormality of the kidney refuted beside a medullary nephrocalcinosis Condition set
    twelve kidney clues absent."""
    kidney = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
              "code": {"coding": [{"system": HPO, "code": "HP:0000077", "display": "Abnormality of the kidney"}]},
              "verificationStatus": {"coding": [{"system": VER_STATUS, "code": "refuted"}]}}
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(kidney))
    assert not result["case"].get("clues")
    assert "HP:0000077 is above" in warnings["fhir_refuted_above_present"]
    # refuted alone, without a present finding below it, it still rules out what lies below it
    hearing = _hearing(verificationStatus={"coding": [{"system": VER_STATUS, "code": "refuted"}]})
    result, _ = _run(["diff", "--fhir", "-"], _bundle(hearing))
    assert result["case"]["clues"] == {"hearing_loss": False}


@pytest.mark.parametrize("codings", [
    [{"system": VER_STATUS, "code": "confirmed"}, {"system": VER_STATUS, "code": "refuted"}],
    [{"system": VER_STATUS, "code": "confirmed"}, {"system": "http://example.org/local", "code": "refuted"}],
    [{"system": "http://example.org/local", "code": "refuted"}],
])
def test_a_verification_status_that_cannot_be_read_as_one_fhir_code_is_not_used(codings: list[dict[str, str]]) -> None:
    """A verificationStatus coded both confirmed and refuted was read as refuted, and a "refuted" of a local code
    system was trusted as FHIR's: the Condition is now left out, and the warning names why."""
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(_hearing(verificationStatus={"coding": codings})))
    assert "hearing_loss" not in (result["case"].get("clues") or {})
    said = warnings["fhir_verification_status_unknown"]
    assert "HP:0000365" in said
    assert ("codings that contradict each other: confirmed" in said) is (len(codings) == 2)
    assert ("coded only in another system than FHIR's condition-ver-status: refuted of http://example.org/local"
            in said) is (len(codings) == 1)


def test_a_verification_status_of_fhirs_own_system_or_none_is_still_read() -> None:
    """The fix reads only FHIR's condition-ver-status: a coding with no system (as many exports write it) and a
    translation beside FHIR's own code that says the same are read as before."""
    for codings in ([{"code": "refuted"}],
                    [{"system": VER_STATUS, "code": "refuted"}, {"system": "http://example.org/local",
                                                                 "code": "refuted"}]):
        result, warnings = _run(["diff", "--fhir", "-"], _bundle(_hearing(verificationStatus={"coding": codings})))
        assert result["case"]["clues"] == {"hearing_loss": False}
        assert "fhir_verification_status_unknown" not in warnings


@pytest.mark.parametrize(("value", "interpretation"), [({"valueBoolean": True}, "NEG"),
                                                       ({"valueBoolean": False}, "POS"),
                                                       ({"valueString": "present"}, "NEG")])
def test_a_finding_whose_value_and_interpretation_disagree_is_not_read(value: dict[str, Any],
                                                                       interpretation: str) -> None:
    """An Observation valueBoolean true with the interpretation NEG was read as the finding absent, without a
    word: which is right cannot be known, so it is not used, and the warning names both."""
    observation = {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p"},
                   "code": {"coding": [{"system": HPO, "code": "HP:0000365"}]}, **value,
                   "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                                   "v3-ObservationInterpretation", "code": interpretation}]}]}
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(observation))
    assert "hearing_loss" not in (result["case"].get("clues") or {})
    said = warnings["fhir_results_not_read"]
    assert "HP:0000365" in said and interpretation in said and "contradict each other" in said
    # an interpretation that agrees with the value is read as before
    agreeing = {**observation, "interpretation": [{"coding": [{"code": "NEG" if interpretation == "POS" else "POS"}]}]}
    result, _ = _run(["diff", "--fhir", "-"], _bundle(agreeing))
    assert result["case"]["clues"] == {"hearing_loss": interpretation != "POS"}


def test_the_phenopacket_written_lists_the_ontologies_it_uses() -> None:
    """metaData.resources listed only nephrocalc, though the phenopacket uses HPO terms, LOINC assays and UCUM
    units: each now has its Resource, HPO with the release of rules/hpo.toml."""
    from nephrocalc.engine import load_engine

    status, out, err = invoke(["diff", "-p", "medullary", "--rta", "--lab", "serum_calcium=11.8 mg/dL",
                               "-f", "phenopacket"])
    assert status == 0, err
    resources = {r["namespacePrefix"]: r for r in json.loads(out)["metaData"]["resources"]}
    assert list(resources) == ["nephrocalc", "HP", "LOINC", "UCUM"]
    assert resources["HP"]["version"] == load_engine().kb.hpo_release != ""
    assert resources["HP"]["iriPrefix"] == "http://purl.obolibrary.org/obo/HP_"
    assert all(set(r) == {"id", "name", "url", "version", "namespacePrefix", "iriPrefix"} for r in resources.values())
    # without a measurement, no LOINC nor UCUM
    status, out, err = invoke(["diff", "-p", "medullary", "-f", "phenopacket"])
    assert [r["namespacePrefix"] for r in json.loads(out)["metaData"]["resources"]] == ["nephrocalc", "HP"]


def test_a_misspelt_field_of_a_medical_action_is_named() -> None:
    """A misspelt treatmentTerminationReason was dropped without a word, so a stopped drug was read as current; a
    misspelt field of the treatment itself likewise."""
    action = {"treatment": {"agent": {"id": "CHEBI:47426", "label": "furosemide"}, "doseIntervalz": []},
              "treatmentTerminationReasn": {"id": "NCIT:C41331", "label": "Adverse Event"}}
    result, warnings = _run(["diff", "--phenopacket", "-"], _phenopacket(medicalActions=[action]))
    assert result["case"]["clues"] == {"loop_diuretic": True}
    said = warnings["phenopacket_parts_not_read"]
    assert "medicalActions[0].treatmentTerminationReasn, not a field" in said
    assert "medicalActions[0].treatment.doseIntervalz, not a field" in said
    # the fields of the schema are not named as misspelt; one not read (the treatment's intent) is said as not read
    # (robustness round 69)
    action = {"treatment": {"agent": {"id": "CHEBI:47426", "label": "furosemide"}, "doseIntervals": []},
              "treatmentIntent": {"id": "NCIT:C62220", "label": "Curative"}}
    _, warnings = _run(["diff", "--phenopacket", "-"], _phenopacket(medicalActions=[action]))
    said = warnings.get("phenopacket_parts_not_read", "")
    assert "not a field" not in said and "doseIntervals" not in said
    assert "medicalActions[0].treatmentIntent (NCIT:C62220 Curative): not read" in said


@pytest.mark.parametrize("reference", ["urn:uuid:0b7c", "Observation/o1"])
def test_the_results_of_a_report_entered_in_error_are_not_used(reference: str) -> None:
    """A DiagnosticReport entered in error withdrew the results it contains, but not those it references by fullUrl
    or by Observation/id: they were used."""
    observation = {"resourceType": "Observation", "id": "o1", "status": "final", "subject": {"reference": "Patient/p"},
                   "code": {"coding": [{"system": HPO, "code": "HP:0000365"}]}}
    report = {"resourceType": "DiagnosticReport", "status": "entered-in-error", "subject": {"reference": "Patient/p"},
              "code": {"text": "audiology"}, "result": [{"reference": reference}]}
    result, warnings = _run(["diff", "--fhir", "-"],
                            _bundle(report, entries=({"fullUrl": "urn:uuid:0b7c", "resource": observation},)))
    assert "hearing_loss" not in (result["case"].get("clues") or {})
    assert "a result of a DiagnosticReport entered-in-error" in warnings["fhir_resources_withdrawn"]
    # the same Observation named by a report in force as well is used
    final = {**report, "status": "final"}
    result, _ = _run(["diff", "--fhir", "-"],
                     _bundle(report, final, entries=({"fullUrl": "urn:uuid:0b7c", "resource": observation},)))
    assert result["case"]["clues"] == {"hearing_loss": True}


def test_a_partial_reports_contained_result_is_read_as_preliminary() -> None:
    """Robustness round 60: a DiagnosticReport "partial" passed its status to the Observation it contains, where
    "partial" is no Observation status, and the calcium was dropped as withdrawn. A report not yet final gives its
    results the Observation's own word for that, preliminary: read, and said."""
    report = {"resourceType": "DiagnosticReport", "id": "dr", "status": "partial",
              "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2024-05-01",
              "code": {"coding": [{"system": "http://loinc.org", "code": "24323-8"}]},
              "contained": [{"resourceType": "Observation", "id": "ca", "status": "final",
                             "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
                             "valueQuantity": {"value": 11.8, "unit": "mg/dL",
                                               "system": "http://unitsofmeasure.org", "code": "mg/dL"}}],
              "result": [{"reference": "#ca"}]}
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(report))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.8
    assert "fhir_results_preliminary" in warnings and "fhir_resources_withdrawn" not in warnings


@pytest.mark.parametrize(("term", "age"), [("HP:0025708", 17.5), ("HP:0025709", 22.0), ("HP:0025710", 32.5),
                                           ("HP:0034198", 0.5 / 365.25)])  # before birth: at birth, half a day
def test_the_subclasses_of_an_onset_class_give_an_age_as_the_class_does(term: str, age: float) -> None:
    """Robustness round 60: Early young adult onset (a subclass of Young adult onset, which reads as 28 years) gave no
    age at all; so did the trimester onsets below Fetal onset."""
    feature = {**MEDULLARY, "onset": {"ontologyClass": {"id": term, "label": "onset"}}}
    packet = json.dumps({"id": "p60", "subject": {"id": "s", "sex": "FEMALE"}, "phenotypicFeatures": [feature]})
    result, warnings = _run(["diff", "--phenopacket", "-"], packet.encode())
    assert result["case"]["age_years"] == pytest.approx(age) and "phenopacket_age_not_read" not in warnings


def _contained_calcium_report(status: Any, interpretation: str | None = None) -> dict[str, Any]:
    calcium: dict[str, Any] = {"resourceType": "Observation", "id": "ca", "status": "final",
                               "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
                               "valueQuantity": {"value": 11.8, "unit": "mg/dL",
                                                 "system": "http://unitsofmeasure.org", "code": "mg/dL"}}
    if interpretation:
        calcium["interpretation"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                                  "v3-ObservationInterpretation", "code": interpretation}]}]
    return {"resourceType": "DiagnosticReport", "id": "dr", "status": status, "subject": {"reference": "Patient/p"},
            "effectiveDateTime": "2024-05-01", "code": {"coding": [{"system": "http://loinc.org", "code": "24323-8"}]},
            "contained": [calcium], "result": [{"reference": "#ca"}]}


@pytest.mark.parametrize("status", ["bogus", 3, {"code": "final"}])
def test_the_results_of_a_report_whose_status_is_no_fhir_code_are_not_used(status: Any) -> None:
    """Robustness round 60: a DiagnosticReport whose status is not a FHIR code was said not used, yet the calcium it
    contains was read and gave hypercalcaemia. Its contained results go with it."""
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(_contained_calcium_report(status)))
    assert "serum_calcium" not in (result["case"].get("labs") or {}) and "fhir_resources_withdrawn" in warnings
    result, _ = _run(["diff", "--fhir", "-"], _bundle(_contained_calcium_report("final")))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.8


@pytest.mark.parametrize("flag", ["N", "H", "NEG"])
def test_every_flag_of_the_laboratory_is_said_not_read(flag: str) -> None:
    """Robustness round 60: a calcium of 11.8 mg/dL flagged H was said to have its flag not read, but flagged N (the
    laboratory calling it normal, nephrocalc reading hypercalcaemia) it was read without a word."""
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(_contained_calcium_report("final", flag)))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.8
    assert f"serum_calcium 11.8 ({flag})" in warnings["fhir_lab_flags_not_read"]
