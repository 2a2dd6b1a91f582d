"""Robustness round 83, the FHIR reader: what was mended.

- F2: of several patients with clinical resources, the one the nephrocalcinosis is stated of is the case (not the one
  with most resources); when none or several have it, the bundle is refused (exit 2; an error record in batch);
- F3: a Specimen an Observation names (in the bundle or contained) whose type names another specimen than the LOINC
  code's leaves the value unused, as the specimen's display did; a contained resource is never passed over unsaid;
- F10: a batch-response (or a collection) whose entries are Bundles is read as one record, with a note; nested
  Bundles without entries are refused;
- F14: a valueInteger of a lab with one unit is read in that unit; one of a lab of several units is refused, saying
  why;
- F5: a drug given by a route that does not reach the circulation (a cream, eye drops; amphotericin by mouth) is not
  read as the exposure, with a warning naming the drug and the route;
- F6: an HPO code displayed with the label of another mapped term is read by its id, with a warning;
- F15: notes on document values that flags replaced are dropped or say so, and the onset note uses the final age;
- F16: a year-only birthDate is not called the day of the record; a drug not taken beside another of its class
  taken is no contradiction.
"""

from __future__ import annotations

import json
from typing import Any

from helpers import invoke

HPO = "http://purl.obolibrary.org/obo/hp.owl"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def _patient(pid: str = "p1", gender: str = "female", born: str = "1970-03-04") -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{pid}", "resource": {"resourceType": "Patient", "id": pid, "gender": gender,
                                                       "birthDate": born}}


def _nc(pid: str = "p1") -> dict[str, Any]:
    return {"resource": {"resourceType": "Condition", "subject": {"reference": f"urn:uuid:{pid}"},
                         "recordedDate": "2024-04-01",
                         "code": {"coding": [{"system": HPO, "code": "HP:0012408",
                                              "display": "Medullary nephrocalcinosis"}]}}}


def _lab(code: str, value: Any, unit: str | None = "mg/dL", pid: str = "p1", **more: Any) -> dict[str, Any]:
    value_field = {"valueQuantity": {"value": value, "system": UCUM, "code": unit, "unit": unit}} if unit else {}
    return {"resource": {"resourceType": "Observation", "status": "final",
                         "subject": {"reference": f"urn:uuid:{pid}"}, "effectiveDateTime": "2024-04-01",
                         "code": {"coding": [{"system": LOINC, "code": code}]}, **value_field, **more}}


def _bundle(*entries: dict[str, Any], kind: str = "collection") -> bytes:
    return json.dumps({"resourceType": "Bundle", "type": kind, "timestamp": "2024-05-01T10:00:00Z",
                       "entry": list(entries)}).encode()


def _run(document: bytes, *flags: str) -> dict[str, Any]:
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json", *flags], document)
    assert status == 0, err
    return dict(json.loads(out))


def _warnings(result: dict[str, Any]) -> dict[str, str]:
    return {w["id"]: w["message"] for w in result["warnings"]}


# F2 ---------------------------------------------------------------------------------------------------------------

def test_the_patient_with_the_nephrocalcinosis_is_the_case_not_the_one_with_more_resources() -> None:
    document = _bundle(_patient("p1"), _nc("p1"), _patient("p2", "male", "2019-01-01"),
                       _lab("17861-6", 7.0, pid="p2"), _lab("2731-8", 300, "pg/mL", pid="p2"))
    result = _run(document)
    assert result["case"]["sex"] == "female" and result["case"]["pattern"] == "medullary"
    assert "labs" not in result["case"]
    warnings = _warnings(result)
    assert "the nephrocalcinosis is stated of (Patient/p1)" in warnings["fhir_several_patients"]
    assert "urn:uuid:p2" in warnings["fhir_other_patient"]


def test_several_patients_with_resources_and_no_single_nephrocalcinosis_are_refused() -> None:
    none = _bundle(_patient("p1"), _lab("17861-6", 11.9), _patient("p2", "male", "2019-01-01"),
                   _lab("2731-8", 300, "pg/mL", pid="p2"))
    both = _bundle(_patient("p1"), _nc("p1"), _patient("p2", "male", "2019-01-01"), _nc("p2"))
    for document, said in ((none, "none of whom has"), (both, "2 of whom have")):
        status, out, err = invoke(["diff", "--fhir", "-"], document)
        assert status == 2 and out == "" and "Traceback" not in err
        assert err.count("\n") == 1 and "fhir.entry" in err and "Patient/p1" in err and "Patient/p2" in err
        assert said in err and "split it into one bundle per patient" in err
        status, out, _ = invoke(["batch", "-i", "fhir", "-"], document + b"\n")
        record = json.loads(out)
        assert status == 2 and record["line"] == 1 and "split it into one bundle per patient" in record["error"]


# F3 ---------------------------------------------------------------------------------------------------------------

def test_a_referenced_or_contained_urine_specimen_leaves_a_serum_code_unused() -> None:
    specimen = {"resourceType": "Specimen", "id": "sp1",
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0487", "code": "UR"}]}}
    bundled = _bundle(_patient(), _nc(), _lab("17861-6", 12.5, specimen={"reference": "urn:uuid:sp1"}),
                      {"fullUrl": "urn:uuid:sp1", "resource": specimen})
    day = {"resourceType": "Specimen", "id": "sp",
           "type": {"coding": [{"system": SNOMED, "code": "276833005", "display": "24 hour urine sample"}]}}
    contained = _bundle(_patient(), _nc(), _lab("17861-6", 12.5, specimen={"reference": "#sp"}, contained=[day]))
    for document, word in ((bundled, "'urine'"), (contained, "'24 hour urine'")):
        result = _run(document)
        assert "labs" not in result["case"]
        warnings = _warnings(result)
        assert f"its text or specimen says {word}, another specimen than the code's" in \
            warnings["fhir_observations_not_read"]
        assert "fhir_entries_not_read" not in warnings and "fhir_contained_not_read" not in warnings
    serum = {**specimen, "type": {"coding": [{"system": SNOMED, "code": "119364003", "display": "Serum specimen"}]}}
    read = _bundle(_patient(), _nc(), _lab("17861-6", 12.5, specimen={"reference": "Specimen/sp1"}),
                   {"resource": serum})
    assert _run(read)["case"]["labs"]["serum_calcium"]["value"] == 12.5


def test_a_contained_resource_that_is_not_read_is_said() -> None:
    other = {"resourceType": "Specimen", "id": "unused", "type": {"text": "Urine"}}
    result = _run(_bundle(_patient(), _nc(), _lab("17861-6", 9.5, contained=[other])))
    assert "Specimen in a Observation" in _warnings(result)["fhir_contained_not_read"]


# F10 --------------------------------------------------------------------------------------------------------------

def test_a_batch_response_of_searchsets_is_read_as_one_record() -> None:
    def searchset(*entries: dict[str, Any]) -> dict[str, Any]:
        return {"resource": {"resourceType": "Bundle", "type": "searchset", "entry": list(entries)},
                "response": {"status": "200 OK"}}

    document = _bundle(searchset(_patient(), _nc()), searchset(_lab("17861-6", 12.5)),
                       searchset(_lab("2731-8", 140, "pg/mL")), kind="batch-response")
    result = _run(document)
    assert result["case"]["pattern"] == "medullary" and result["case"]["sex"] == "female"
    assert set(result["case"]["labs"]) == {"serum_calcium", "pth"}
    assert "holds 3 Bundle(s) as entries (searchset x3)" in _warnings(result)["fhir_bundle_nested"]
    assert result["differential"][0]["cause"] == "hyperparathyroidism"


def test_nested_bundles_without_entries_are_refused() -> None:
    empty = {"resource": {"resourceType": "Bundle", "type": "searchset"}}
    status, out, err = invoke(["diff", "--fhir", "-"], _bundle(empty, empty, kind="batch-response"))
    assert status == 2 and out == "" and "fhir.entry: holds only 2 Bundle(s) without entries" in err


# F14 --------------------------------------------------------------------------------------------------------------

def test_a_value_integer_is_read_for_a_lab_of_one_unit_and_refused_with_why_for_others() -> None:
    result = _run(_bundle(_patient(), _nc(), _lab("2756-5", None, None, valueInteger=7),
                          _lab("33914-3", None, None, valueInteger=45)))
    assert result["case"]["labs"] == {"urine_ph": {"value": 7.0, "unit": "pH"},
                                      "egfr": {"value": 45.0, "unit": "mL/min/1.73m2"}}
    assert "urine_ph 7 pH; egfr 45 mL/min/1.73m2" in _warnings(result)["fhir_value_integer"]
    result = _run(_bundle(_patient(), _nc(), _lab("2731-8", None, None, valueInteger=140)))
    assert "labs" not in result["case"]
    said = _warnings(result)["fhir_observations_not_read"]
    assert "its valueInteger is not read (140 carries no unit, and pth is given in" in said
    assert "valueQuantity with its unit" in said


# F5 ---------------------------------------------------------------------------------------------------------------

def _drug(text: str, status: str = "active", **more: Any) -> dict[str, Any]:
    return {"resource": {"resourceType": "MedicationStatement", "status": status,
                         "subject": {"reference": "urn:uuid:p1"}, "medicationCodeableConcept": {"text": text},
                         **more}}


def test_a_drug_given_where_it_stays_is_not_read_as_the_systemic_exposure() -> None:
    topical = {"dosage": [{"route": {"coding": [{"system": SNOMED, "code": "6064005", "display": "Topical route"}]}}]}
    oral = {"dosage": [{"route": {"coding": [{"system": SNOMED, "code": "26643006"}]}}]}
    for drug, said in ((_drug("Amphotericin B", **topical), "dosage route topical (SNOMED CT 6064005)"),
                       (_drug("Amphotericin B 10 mg", **oral), "dosage route oral (SNOMED CT 26643006)"),
                       (_drug("Amphotericin B lozenge"), "its name or form says 'lozenge'"),
                       (_drug("Amphotericin B bladder irrigation"), "'bladder irrigation'"),
                       (_drug("Tacrolimus 0.1% ointment"), "'ointment'"),
                       (_drug("Ciclosporin eye drops"), "'eye drops'")):
        result = _run(_bundle(_patient(), _nc(), drug))
        assert "clues" not in result["case"], said
        message = _warnings(result)["fhir_medication_route_local"]
        assert said in message and "MedicationStatement" in message
    # by mouth, a drug the gut absorbs is the exposure; amphotericin by vein too
    assert _run(_bundle(_patient(), _nc(), _drug("Tacrolimus 1 mg", **oral)))["case"]["clues"] == \
        {"calcineurin_inhibitor": True}
    vein = {"dosage": [{"route": {"coding": [{"system": SNOMED, "code": "47625008"}]}}]}
    assert _run(_bundle(_patient(), _nc(), _drug("Amphotericin B liposomal", **vein)))["case"]["clues"] == \
        {"amphotericin": True}


# F6 ---------------------------------------------------------------------------------------------------------------

def test_an_hpo_code_displayed_with_another_terms_label_is_read_by_its_id_and_said() -> None:
    finding = {"resource": {"resourceType": "Condition", "subject": {"reference": "urn:uuid:p1"},
                            "code": {"coding": [{"system": HPO, "code": "HP:0003127", "display": "Hypercalciuria"}]}}}
    result = _run(_bundle(_patient(), _nc(), finding))
    assert result["case"]["clues"] == {"hypocalciuria": True}
    assert "HP:0003127 is displayed 'Hypercalciuria', the label of HP:0002150: read as Hypocalciuria (its id)" in \
        _warnings(result)["fhir_display_of_another_term"]
    finding["resource"]["code"]["coding"][0]["display"] = "hypocalciuria"  # its own label: nothing to say
    assert "fhir_display_of_another_term" not in _warnings(_run(_bundle(_patient(), _nc(), finding)))


# F15 --------------------------------------------------------------------------------------------------------------

def test_notes_on_values_that_flags_replaced_are_dropped_or_say_so() -> None:
    onset = {"resource": {**_nc()["resource"], "onsetDateTime": "2014-06-01"}}
    old = _lab("17861-6", 12.4)
    old["resource"]["effectiveDateTime"] = "2015-01-01"
    pth = _lab("2731-8", 95, "pg/mL")
    pth["resource"]["effectiveDateTime"] = "2015-01-01"
    document = _bundle(_patient(born="1970"), onset, old, pth, _lab("17861-6", 9.6))
    before = _warnings(_run(document))
    assert "the patient is 53.7 years" in before["causes_weighed_at_onset"] and "fhir_birth_date_partial" in before
    after = _warnings(_run(document, "--age", "60", "--lab", "serum_calcium=9.0mg/dL", "--sex", "male"))
    assert "the patient is 60 years" in after["causes_weighed_at_onset"]
    assert "fhir_birth_date_partial" not in after
    assert after["fhir_labs_paired"].endswith("(serum_calcium replaced by --lab.)")
    assert "flags_override_input" in after


# F16 --------------------------------------------------------------------------------------------------------------

def test_a_year_only_birth_date_is_not_called_the_day_of_the_record() -> None:
    result = _run(_bundle(_patient(born="2024"), _nc(), _lab("17861-6", 9.5)))  # dated 2024-04-01
    message = _warnings(result)["fhir_born_on_the_day"]
    assert "gives only the year of birth" in message and "0 to 91 days old" in message
    assert "is the day of the record" not in message and "fhir_birth_date_partial" not in _warnings(result)


def test_a_drug_not_taken_beside_another_of_its_class_taken_is_no_contradiction() -> None:
    result = _run(_bundle(_patient(), _nc(), _drug("furosemide", "not-taken"), _drug("bumetanide")))
    assert result["case"]["clues"] == {"loop_diuretic": True}
    assert "fhir_present_and_absent" not in _warnings(result)
    same = _run(_bundle(_patient(), _nc(), _drug("furosemide 40 mg", "not-taken"), _drug("Furosemide")))
    assert "loop_diuretic" in _warnings(same)["fhir_present_and_absent"]
