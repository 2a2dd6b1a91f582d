"""Standard documents as hospital systems write them (an independent encoder's findings): UCUM unit
codes, one unreadable value among good ones, both patterns stated, a relative's history, partial birth
dates, bounded and repeated values, and terms that a more specific clue names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke

from nephrocalc.knowledge import KnowledgeBase

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def _bundle(*resources: dict[str, Any], patient: dict[str, Any] | None = None) -> bytes:
    nc = {"resourceType": "Condition", "recordedDate": "2024-03-01",
          "code": {"coding": [{"system": SNOMED, "code": "236447005"}]}}
    people = [{"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-03-01",
               **(patient or {})}]
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": r} for r in (*people, nc, *resources)]}).encode()


def _observation(kb: KnowledgeBase, lab: str, value: float, code: str, unit: str = "",
                 **extra: Any) -> dict[str, Any]:
    quantity = {"value": value, "system": UCUM, "code": code, **({"unit": unit} if unit else {}), **extra}
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": kb.labs[lab].loinc[0]}]}, "valueQuantity": quantity}


def _read(argv: list[str], document: bytes) -> dict[str, Any]:
    status, out, err = invoke([*argv, "--format", "json"], document)
    assert status == 0, err
    return dict(json.loads(out))


def _warnings(result: dict[str, Any]) -> dict[str, str]:
    return {w["id"]: w["message"] for w in result["warnings"]}


@pytest.mark.parametrize(("lab", "value", "code", "unit", "read_as"), [
    ("urine_calcium_24h", 380, "mg/(24.h)", "mg per day", "mg/day"),
    ("urine_calcium_24h", 9.5, "mmol/(24.h)", "", "mmol/day"),
    ("urine_calcium_24h", 4.5, "mg/kg/d", "", "mg/kg/day"),
    ("urine_oxalate_24h", 1.2, "mmol/d/{1.73_m2}", "", "mmol/1.73m2/day"),
    ("vitamin_d_25oh", 180, "ug/L", "", "µg/L"),  # the lab takes µg/L itself (= ng/mL)
    ("vitamin_d_1_25", 95, "ng/L", "", "pg/mL"),
    ("pth", 95, "ng/L", "", "ng/L"),  # PTH takes ng/L itself
    ("tsh", 0.01, "m[IU]/L", "", "mIU/L"),
    ("urine_calcium_creatinine_ratio", 0.4, "mg/mg{creat}", "", "mg/mg"),
    ("urine_ph", 7.0, "1", "", "pH"),
    ("urine_calcium_24h", 380, "mg/24hr-local", "mg/day", "mg/day"),  # a local code: the unit text is used
])
def test_ucum_codes_a_hospital_sends_are_read(lab: str, value: float, code: str, unit: str, read_as: str,
                                              kb: KnowledgeBase) -> None:
    result = _read(["diff", "--fhir", "-"], _bundle(_observation(kb, lab, value, code, unit)))
    assert result["case"]["labs"][lab] == {"value": value, "unit": read_as}


def test_one_unreadable_value_drops_only_itself(kb: KnowledgeBase) -> None:
    study = {"resourceType": "ImagingStudy", "status": "available", "modality": [{"code": "US"}]}
    result = _read(["diff", "--fhir", "-"], _bundle(
        _observation(kb, "serum_calcium", 12.1, "mg/dL"), _observation(kb, "urine_calcium_24h", 380, "furlongs"),
        study))
    assert result["case"]["labs"] == {"serum_calcium": {"value": 12.1, "unit": "mg/dL"}}
    assert result["case"]["modality"] == "us"
    message = _warnings(result)["fhir_observations_not_read"]
    assert "1 lab value" in message and "urine_calcium_24h" in message and "furlongs" in message


def test_medullary_and_cortical_stated_together_are_the_combined_pattern() -> None:
    cortical = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "236446001"}]}}
    result = _read(["diff", "--fhir", "-"], _bundle(cortical))
    assert result["case"]["pattern"] == "combined" and "pattern_combined" in _warnings(result)
    packet = {"id": "x", "subject": {"id": "s", "sex": "MALE"},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}, {"type": {"id": "HP:0012409"}}]}
    result = _read(["diff", "--phenopacket", "-"], json.dumps(packet).encode())
    assert result["case"]["pattern"] == "combined"


def test_a_relatives_stones_are_the_family_history() -> None:
    relative = {"resourceType": "FamilyMemberHistory", "status": "completed", "relationship": {"text": "father"},
                "condition": [{"code": {"coding": [{"system": SNOMED, "code": "95570007"}]}},
                              {"code": {"text": "gout"}}]}
    result = _read(["diff", "--fhir", "-"], _bundle(relative))
    assert result["case"]["clues"] == {"family_history_stones": True}
    assert "FamilyMemberHistory condition gout" in _warnings(result)["fhir_codes_not_mapped"]


def test_the_patient_details_a_bundle_leaves_partial_are_read_and_said(kb: KnowledgeBase) -> None:
    result = _read(["diff", "--fhir", "-"], _bundle(patient={"birthDate": "1980", "gender": "other"}))
    assert result["case"]["age_years"] == pytest.approx(43.7, abs=0.6)
    assert "sex" not in result["case"]
    assert {"fhir_birth_date_partial", "fhir_sex_unknown"} <= set(_warnings(result))
    bounded = _observation(kb, "pth", 3, "pg/mL", comparator="<")
    again = [_observation(kb, "serum_calcium", 12.0, "mg/dL"), _observation(kb, "serum_calcium", 11.2, "mg/dL")]
    second = {"resourceType": "Patient", "id": "q", "gender": "male"}
    result = _read(["diff", "--fhir", "-"], _bundle(bounded, *again, second))
    assert result["case"]["labs"]["pth"]["value"] == 3 and "pth <3" in _warnings(result)["fhir_lab_bounds"]
    assert "serum_calcium 11.2 mg/dL (all values: 12 mg/dL, 11.2 mg/dL)" in _warnings(result)["fhir_labs_repeated"]
    assert "fhir_several_patients" in _warnings(result)


def test_a_phenopacket_reader_refuses_a_fhir_bundle_and_reads_a_timestamp_age() -> None:
    status, _, err = invoke(["diff", "--phenopacket", "-"], _bundle())
    assert status == 2 and "read it with --fhir" in err and "Traceback" not in err
    # a contract case with an id (a phenopacket has one too) was ranked as an empty phenopacket, exit 0 (UX review)
    case = json.dumps({"id": "x", "pattern": "medullary", "clues": {"rta": True}}).encode()
    for command in (["diff", "--phenopacket", "-"], ["batch", "--input", "phenopacket"]):
        status, out, err = invoke(command, case)
        assert status == 2 and "this is a contract case, not a phenopacket: read it with --case" in out + err, err
    packet = {"id": "x", "subject": {"id": "s", "dateOfBirth": "2010-01-01T00:00:00Z",
                                     "timeAtLastEncounter": {"timestamp": "2020-01-01T00:00:00Z"}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}]}
    assert _read(["diff", "--phenopacket", "-"], json.dumps(packet).encode())["case"]["age_years"] == \
        pytest.approx(10, abs=0.01)


@pytest.mark.parametrize(("term", "clues"), [
    ("HP:0002048", {"cortical_atrophy": True}),        # renal cortical atrophy, not also small kidneys
    ("HP:0008672", {"calcium_oxalate_stones": True}),  # calcium oxalate nephrolithiasis, not also stones
    ("HP:0000787", {"nephrolithiasis": True}),
])
def test_a_term_is_the_most_specific_clue_it_reaches(term: str, clues: dict[str, bool]) -> None:
    packet = {"id": "x", "subject": {"id": "s"},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}, {"type": {"id": term}}]}
    assert _read(["diff", "--phenopacket", "-"], json.dumps(packet).encode())["case"]["clues"] == clues


def test_plain_vitamin_d_is_named_not_read_as_high_dose() -> None:
    statement = {"resourceType": "MedicationStatement", "status": "active",
                 "medicationCodeableConcept": {"text": "Cholecalciferol 1000 IU tablet"}}
    result = _read(["diff", "--fhir", "-"], _bundle(statement))
    assert "vitamin_d_therapy" not in result["case"].get("clues", {})
    assert "Cholecalciferol 1000 IU tablet" in _warnings(result)["native_vitamin_d_not_read"]
    assert "Cholecalciferol" not in _warnings(result).get("fhir_codes_not_mapped", "")  # said once
    calcitriol = {**statement, "medicationCodeableConcept": {"text": "Calcitriol 0.25 microgram capsule"}}
    result = _read(["diff", "--fhir", "-"], _bundle(calcitriol))
    assert result["case"]["clues"]["vitamin_d_therapy"] is True and "native_vitamin_d_not_read" not in _warnings(result)


@pytest.mark.parametrize(("sites", "laterality"), [
    (["18639004"], "unilateral"), (["17373004"], "bilateral"), (["9846003", "17373004"], None), ([], None)])
def test_the_body_site_of_the_nephrocalcinosis_gives_the_laterality(sites: list[str], laterality: str | None) -> None:
    nc = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "236447005"}]},
          "bodySite": [{"coding": [{"system": SNOMED, "code": code}]} for code in sites]}
    bundle = json.dumps({"resourceType": "Bundle", "entry": [{"resource": nc}]}).encode()
    result = _read(["diff", "--fhir", "-"], bundle)
    assert result["case"].get("laterality") == laterality
    assert ("laterality_unknown" in _warnings(result)) is (len(sites) == 2)


# --- input robustness: nothing a document states is coerced, clamped or dropped without a word -------------


def _lab(code: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2024-03-01",
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "system": UCUM, "code": "mmol/L"}, **extra}


@pytest.mark.parametrize("value", [True, False, "3.1", None])
def test_a_lab_value_that_is_not_a_number_is_not_read_and_is_named(value: Any, kb: KnowledgeBase) -> None:
    """A FHIR decimal is a JSON number: true is not 1, and "3.1" (a string) is not read either."""
    potassium = kb.labs["serum_potassium"].loinc[0]
    panel = {"resourceType": "Observation", "code": {"coding": [{"system": LOINC, "code": "24362-6"}]},
             "component": [{"code": {"coding": [{"system": LOINC, "code": kb.labs["serum_calcium"].loinc[0]}]},
                            "valueQuantity": {"value": value, "code": "mg/dL"}}]}
    result = _read(["diff", "--fhir", "-"], _bundle(_lab(potassium, value), panel))
    assert "labs" not in result["case"]
    message = _warnings(result)["fhir_observations_not_read"]
    assert "2 lab value(s)" in message and "must be a number" in message
    assert "Observation.valueQuantity.value (serum_potassium" in message
    assert "Observation.component[0].valueQuantity.value (serum_calcium" in message


@pytest.mark.parametrize(("patient", "named"), [
    ({"birthDate": "2099-01-01"}, "Patient.birthDate (2099-01-01) is after"),  # in the future: was age 0
    ({"birthDate": "1800-01-01"}, "Patient.birthDate (1800-01-01) gives an age of 224"),  # was 130
    ({"birthDate": 1990}, "Patient.birthDate: 1990 is not a date"),  # a number: was dropped unsaid
])
def test_an_impossible_or_unreadable_birth_date_leaves_the_age_unknown_and_says_why(
        patient: dict[str, Any], named: str) -> None:
    result = _read(["diff", "--fhir", "-"], _bundle(patient=patient))
    assert "age_years" not in result["case"]
    message = _warnings(result)["fhir_age_not_read"]
    assert named in message and "The age is unknown" in message
    assert "fhir_age_unknown" not in _warnings(result), "not the note of a bundle without a date"
    if not isinstance(patient["birthDate"], int):
        assert "0-130 years" in message


def test_an_onset_age_of_500_years_is_not_used_and_is_named() -> None:
    nc = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "236447005"}]},
          "onsetAge": {"value": 500, "unit": "years", "code": "a"}}
    bundle = json.dumps({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}},
                                                              {"resource": nc}]}).encode()
    result = _read(["diff", "--fhir", "-"], bundle)
    assert "age_years" not in result["case"]
    assert "Condition.onsetAge: 500 a is 500 years; an age must be 0-130 years" in \
        _warnings(result)["fhir_age_not_read"]


def test_a_date_that_cannot_be_read_is_skipped_not_taken_as_the_latest(kb: KnowledgeBase) -> None:
    """Dates were compared as strings, so "unknown" sorted after every date and wiped out the age."""
    calcium = _lab(kb.labs["serum_calcium"].loinc[0], 11.9, effectiveDateTime="unknown")
    calcium["valueQuantity"]["code"] = "mg/dL"
    result = _read(["diff", "--fhir", "-"], _bundle(calcium))
    assert result["case"]["age_years"] == pytest.approx(44, abs=0.01)  # at the Condition's 2024-03-01
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.9, "the value itself is read"
    assert 'Observation.effectiveDateTime: the string "unknown"' in _warnings(result)["fhir_dates_not_read"]


@pytest.mark.parametrize(("document", "said"), [
    ({"resourceType": "Bundl", "entry": []}, "'Bundl' is not read"),
    ({"resourceType": 5, "entry": []}, "5 is not read"),
    ({"type": "collection", "entry": []}, "missing"),
    ({"resourceType": "Encounter"}, "'Encounter' is not read"),
])
def test_a_document_that_is_not_a_bundle_is_refused_naming_resource_type(document: dict[str, Any], said: str) -> None:
    status, out, err = invoke(["diff", "--fhir", "-"], json.dumps(document).encode())
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"nephrocalc: error: fhir.resourceType: {said}")
    assert '"Bundle"' in err and "Patient" in err and "Observation" in err, "what is accepted"


def test_a_bundle_without_entries_is_an_empty_case_and_says_so_and_a_single_patient_is_read() -> None:
    result = _read(["diff", "--fhir", "-"], b'{"resourceType": "Bundle", "type": "collection"}')
    assert result["case"] == {"pattern": None} and "no entry" in _warnings(result)["fhir_bundle_empty"]
    patient = {"resourceType": "Patient", "gender": "male", "birthDate": "2000-01-01",
               "meta": {"lastUpdated": "2020-01-01"}}
    result = _read(["diff", "--fhir", "-"], json.dumps(patient).encode())
    assert result["case"]["sex"] == "male" and result["case"]["age_years"] == pytest.approx(20, abs=0.01)
    assert "fhir_bundle_empty" not in _warnings(result)


def test_withdrawn_resources_and_entries_that_are_not_resources_are_named(kb: KnowledgeBase) -> None:
    withdrawn = _lab(kb.labs["serum_potassium"].loinc[0], 2.9, status="entered-in-error")
    cancelled = _lab(kb.labs["serum_bicarbonate"].loinc[0], 14, status="cancelled")
    document = json.loads(_bundle(withdrawn, cancelled, {"id": "x", "code": {"text": "no type"}},
                                  {"resourceType": "Foo"}, {"resourceType": "Encounter"}))
    document["entry"] += [7, {"fullUrl": "urn:x"}, {"resource": "text"}]
    result = _read(["diff", "--fhir", "-"], json.dumps(document).encode())
    assert "labs" not in result["case"], "dropping them is right"
    message = _warnings(result)["fhir_resources_withdrawn"]
    assert message.startswith("2 resource(s)") and kb.labs["serum_potassium"].loinc[0] in message
    message = _warnings(result)["fhir_entries_not_read"]
    for said in ("entry[4].resource: no resourceType (id x)", "entry[7]: 7, not an entry", "entry[8]: no resource",
                 'entry[9].resource: the string "text", not a resource', "Encounter (1)", "Foo (1)"):
        assert said in message


def test_a_medication_entered_in_error_is_not_read_as_not_taken() -> None:
    statement = {"resourceType": "MedicationStatement", "status": "entered-in-error",
                 "medicationCodeableConcept": {"text": "Furosemide 40 mg"}}
    result = _read(["diff", "--fhir", "-"], _bundle(statement))
    assert "loop_diuretic" not in result["case"].get("clues", {})
    assert "Furosemide 40 mg" in _warnings(result)["fhir_resources_withdrawn"]


HPO = "http://purl.obolibrary.org/obo/hp.owl"


@pytest.mark.parametrize(("status", "read"), [({"coding": [{"code": "blah"}]}, None),
                                              ("blah", None),
                                              ({"coding": [{"code": "confirmed"}]}, True),
                                              ("refuted", False)])  # STU3 wrote the code alone
def test_a_verification_status_that_is_not_a_fhir_code_is_not_read_as_confirmed(status: Any,
                                                                                 read: bool | None) -> None:
    condition = {"resourceType": "Condition", "verificationStatus": status,
                 "code": {"coding": [{"system": HPO, "code": "HP:0002900"}]}}
    result = _read(["diff", "--fhir", "-"], _bundle(condition))
    assert result["case"].get("clues", {}).get("hypokalemia") is read
    assert ("blah" in _warnings(result).get("fhir_verification_status_unknown", "")) is (read is None)


@pytest.mark.parametrize(("system", "read"), [("http://example.org/local-codes", False), ("", True), (HPO, True),
                                              ("http://snomed.info/sct", False), ("HPO", True), ("hp", True),
                                              ("https://hpo.jax.org/app/browse/term", True)])
def test_an_hp_code_is_hpo_only_under_an_hpo_system_or_none(system: str, read: bool) -> None:
    coding = {"code": "HP:0002900", **({"system": system} if system else {})}
    result = _read(["diff", "--fhir", "-"], _bundle({"resourceType": "Condition", "code": {"coding": [coding]}}))
    assert ("hypokalemia" in result["case"].get("clues", {})) is read
    assert ("HP:0002900" in _warnings(result).get("fhir_codes_not_mapped", "")) is not read


def test_a_finding_stated_present_and_absent_is_present_and_said() -> None:
    def condition(**extra: Any) -> dict[str, Any]:
        return {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0002900"}]}, **extra}

    result = _read(["diff", "--fhir", "-"], _bundle(condition(verificationStatus={"coding": [{"code": "refuted"}]}),
                                                    condition()))
    assert result["case"]["clues"] == {"hypokalemia": True}
    assert "hypokalemia" in _warnings(result)["fhir_present_and_absent"]


def test_an_onset_age_in_hours_is_an_age() -> None:
    """A neonate's onsetAge in UCUM hours is a FHIR Age, as PT5H is a phenopacket's."""
    nc = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "236447005"}]},
          "onsetAge": {"value": 36, "unit": "h", "code": "h"}}
    bundle = json.dumps({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}},
                                                              {"resource": nc}]}).encode()
    result = _read(["diff", "--fhir", "-"], bundle)
    assert result["case"]["age_years"] == pytest.approx(36 / 8766, rel=1e-3)
    assert "fhir_age_not_read" not in _warnings(result)


def test_an_observation_valued_negative_absent_or_no_states_its_finding_absent() -> None:
    """A finding Observation whose value is SNOMED CT Absent, a LOINC Negative answer, or the word 'negative'
    was read as present (FHIR review): each now states the finding absent."""
    def finding(code: str, **value: Any) -> dict[str, Any]:
        return {"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": SNOMED, "code": code}]}, **value}

    stones = finding("95570007", valueCodeableConcept={"coding": [{"system": SNOMED, "code": "2667000",
                                                                    "display": "Absent"}]})
    blood = finding("34436003", valueCodeableConcept={"coding": [{"system": LOINC, "code": "LA6577-6",
                                                                   "display": "Negative"}]})
    protein = finding("29738008", valueString="negative")
    result = _read(["diff", "--fhir", "-"], _bundle(stones, blood, protein))
    assert {k: result["case"]["clues"][k] for k in ("nephrolithiasis", "hematuria", "proteinuria")} == \
        {"nephrolithiasis": False, "hematuria": False, "proteinuria": False}


def test_a_lab_given_twice_keeps_its_newest_value_and_lists_the_others(kb: KnowledgeBase) -> None:
    """The last value in the bundle was used, so an older calcium written after a newer one won (FHIR review);
    now the newest effective date wins, and the note lists every value with its date."""
    new = {**_observation(kb, "serum_calcium", 9.1, "mg/dL"), "effectiveDateTime": "2024-02-01"}
    old = {**_observation(kb, "serum_calcium", 11.9, "mg/dL"), "effectiveDateTime": "2021-06-15"}
    result = _read(["diff", "--fhir", "-"], _bundle(new, old))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 9.1
    note = _warnings(result)["fhir_labs_repeated"]
    assert "serum_calcium 9.1 mg/dL of 2024-02-01" in note and "11.9 mg/dL (2021-06-15)" in note


def test_a_resource_about_another_patient_is_left_out_and_said(kb: KnowledgeBase) -> None:
    """An Observation whose subject is another patient was read as this one's (FHIR review)."""
    mine = {**_observation(kb, "pth", 30, "pg/mL"), "subject": {"reference": "Patient/p"}}
    theirs = {**_observation(kb, "serum_calcium", 12.5, "mg/dL"), "subject": {"reference": "Patient/someone-else"}}
    unnamed = _observation(kb, "serum_phosphate", 3.0, "mg/dL")
    result = _read(["diff", "--fhir", "-"], _bundle(mine, theirs, unnamed))
    assert set(result["case"]["labs"]) == {"pth", "serum_phosphate"}
    assert "Patient/someone-else" in _warnings(result)["fhir_other_patient"]


def test_a_fhir_document_of_several_megabytes_is_read(kb: KnowledgeBase, tmp_path: Any) -> None:
    """A full EHR or Synthea export runs to several MB; --fhir refused anything over 1 MiB (FHIR review)."""
    padding = [{**_observation(kb, "serum_phosphate", 3.0, "mg/dL"), "effectiveDateTime": f"2020-01-{1 + i % 28:02d}",
                "note": [{"text": "x" * 400}]} for i in range(4000)]
    path = tmp_path / "big.json"
    path.write_bytes(_bundle(*padding))
    assert path.stat().st_size > 1_500_000
    result = _read(["diff", "--fhir", str(path)], b"")
    assert result["case"]["labs"]["serum_phosphate"]["value"] == 3.0


def test_a_calcium_carbonate_medication_is_read_with_a_note_on_the_dose() -> None:
    """A routine Caltrate tablet counted as the large calcium-alkali intake of milk-alkali syndrome with no word
    (FHIR review): it is still read (a milk-alkali patient's record names it so), and a note says what it needs."""
    drug = {"resourceType": "MedicationStatement", "status": "active",
            "medicationCodeableConcept": {"text": "Calcium carbonate 600 mg tablet"}}
    result = _read(["diff", "--fhir", "-"], _bundle(drug))
    assert result["case"]["clues"]["calcium_alkali_intake"] is True
    assert "--no-calcium-alkali-intake" in _warnings(result)["calcium_carbonate_dose"]


def test_a_lab_taken_at_another_age_is_judged_at_that_age(kb: KnowledgeBase) -> None:
    """An infant's phosphate from 2 months of age was judged against a 9-year-old's limits (FHIR review): a lab
    dated more than a month from the case's age now carries its own age at sampling, and a note says so."""
    born = {"birthDate": "2015-03-01"}
    old = {**_observation(kb, "serum_phosphate", 6.6, "mg/dL"), "effectiveDateTime": "2015-05-01"}
    now = {"resourceType": "Condition", "recordedDate": "2024-03-01",
           "code": {"coding": [{"system": SNOMED, "code": "236447005"}]}}
    result = _read(["diff", "--fhir", "-"], _bundle(old, now, patient=born))
    assert result["case"]["age_years"] > 8.9
    assert result["case"]["labs"]["serum_phosphate"]["age_years"] == pytest.approx(0.167, abs=0.01)
    assert "serum_phosphate at 0.17 years" in _warnings(result)["fhir_lab_ages"]
    assert not any(d["clue"] == "hyperphosphatemia" and d["present"] for d in result["derived"])


def test_medications_by_brand_by_full_url_reference_and_draft_orders() -> None:
    """Brand names (Lasix, Rocaltrol, Diamox, HCTZ) mapped to nothing, a MedicationRequest referring to its
    Medication by the entry's fullUrl was not resolved, and a draft order counted (FHIR review)."""
    lithium = {"resourceType": "Medication", "code": {"text": "lithium carbonate 300 mg capsule"}}
    order = {"resourceType": "MedicationRequest", "status": "active",
             "medicationReference": {"reference": "urn:uuid:med-1"}}
    brands = [{"resourceType": "MedicationStatement", "status": "active", "medicationCodeableConcept": {"text": text}}
              for text in ("Lasix 40 mg", "Rocaltrol 0.25 mcg", "Diamox 250 mg")]
    draft = {"resourceType": "MedicationRequest", "status": "draft", "medicationCodeableConcept": {"text": "HCTZ 25"}}
    document = json.loads(_bundle(order, *brands, draft))
    document["entry"].append({"fullUrl": "urn:uuid:med-1", "resource": lithium})
    result = _read(["diff", "--fhir", "-"], json.dumps(document).encode())
    clues = result["case"]["clues"]
    taken = ("lithium", "loop_diuretic", "vitamin_d_therapy", "carbonic_anhydrase_inhibitor")
    assert all(clues.get(k) is True for k in taken) and "thiazide" not in clues, clues
    assert "HCTZ" in _warnings(result)["fhir_resources_withdrawn"]


def test_a_resolved_condition_is_read_as_history_and_said() -> None:
    """A Condition resolved in 2005 counted like a current finding with no word (FHIR review): it is still read
    (a past hypercalcaemia may explain a calcification that persists), and a note names it."""
    old = {"resourceType": "Condition", "clinicalStatus": {"coding": [{"code": "resolved"}]},
           "code": {"coding": [{"system": SNOMED, "code": "66931009", "display": "Hypercalcemia"}]}}
    result = _read(["diff", "--fhir", "-"], _bundle(old))
    assert result["case"]["clues"]["hypercalcemia"] is True
    assert "Hypercalcemia (resolved)" in _warnings(result)["fhir_conditions_resolved"]


@pytest.mark.parametrize(("value", "expected"), [
    ({"valueString": "negative for blood"}, False), ({"valueString": "No."}, False),
    ({"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "260415000", "display": "Not detected"}]}}, False),
    ({"valueString": "positive"}, True), ({}, True),
    ({"valueString": "maybe"}, None), ({"dataAbsentReason": {"coding": [{"code": "not-performed"}]}}, None),
    ({"valueBoolean": "false"}, None), ({"valueInteger": 0}, None),
    ({"valueString": "not detected"}, False), ({"valueString": "no evidence of haematuria"}, False),
    # "not" or "no" alone is no negative: a test not done, or a doubt, says nothing of the finding (QA review)
    ({"valueString": "not done"}, None), ({"valueString": "not sure"}, None), ({"valueString": "not assessed"}, None),
    ({"valueString": "no change"}, None), ({"valueString": "not excluded"}, None),
])
def test_a_findings_result_is_read_as_present_absent_or_not_at_all(value: dict[str, Any],
                                                                   expected: bool | None) -> None:
    """A haematuria Observation valued 'negative for blood', 'No.', Not detected, a result left out or unreadable
    was read as present (fuzz review): negatives state it absent, and what says neither is not used, with a note."""
    finding = {"resourceType": "Observation", "status": "final",
               "code": {"coding": [{"system": SNOMED, "code": "34436003", "display": "Blood in urine"}]}, **value}
    result = _read(["diff", "--fhir", "-"], _bundle(finding))
    assert result["case"].get("clues", {}).get("hematuria") is expected
    if expected is None:
        assert "Blood in urine" in _warnings(result)["fhir_results_not_read"]


@pytest.mark.parametrize("order", [{"status": "cancelled"}, {"status": "active", "doNotPerform": True}])
def test_a_drug_order_not_given_is_not_read(order: dict[str, Any]) -> None:
    """A cancelled furosemide order set the loop diuretic absent, and one marked doNotPerform set it present
    (fuzz review): neither says what was taken, so neither is read, and the note lists it."""
    drug = {"resourceType": "MedicationRequest", **order, "medicationCodeableConcept": {"text": "furosemide 20 mg"}}
    result = _read(["diff", "--fhir", "-"], _bundle(drug))
    assert "loop_diuretic" not in result["case"].get("clues", {})
    assert "furosemide" in _warnings(result)["fhir_resources_withdrawn"]


def test_two_samples_of_one_day_are_ordered_by_time_and_zone(kb: KnowledgeBase) -> None:
    """The newest of two same-day calcium values was chosen by date alone, so the earlier one could win (fuzz
    review): a timestamp keeps its time and time zone."""
    late = {**_observation(kb, "serum_calcium", 11.9, "mg/dL"), "effectiveDateTime": "2024-04-01T23:00:00Z"}
    early = {**_observation(kb, "serum_calcium", 9.0, "mg/dL"), "effectiveDateTime": "2024-04-02T01:00:00+14:00"}
    result = _read(["diff", "--fhir", "-"], _bundle(late, early))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.9


def test_medication_and_procedure_statuses_and_references_are_read_as_they_mean() -> None:
    """A MedicationRequest with an empty medicationCodeableConcept beside its medicationReference lost the drug; a
    statement 'intended' was read as taken; a transplant 'in preparation' as done; a drug stopped was read without
    a word (FHIR review)."""
    calcitriol = {"resourceType": "Medication", "id": "m1", "code": {"coding": [{"display": "calcitriol"}]}}
    request = {"resourceType": "MedicationRequest", "status": "active", "medicationCodeableConcept": {},
               "medicationReference": {"reference": "Medication/m1"}}
    result = _read(["diff", "--fhir", "-"], _bundle(calcitriol, request))
    assert result["case"]["clues"]["vitamin_d_therapy"] is True
    intended = {"resourceType": "MedicationStatement", "status": "intended",
                "medicationCodeableConcept": {"text": "furosemide 20 mg"}}
    stopped = {"resourceType": "MedicationStatement", "status": "stopped",
               "medicationCodeableConcept": {"text": "hydrochlorothiazide 25 mg"}}
    planned = {"resourceType": "Procedure", "status": "preparation",
               "code": {"coding": [{"system": SNOMED, "code": "70536003", "display": "Transplant of kidney"}]}}
    result = _read(["diff", "--fhir", "-"], _bundle(intended, stopped, planned))
    clues = result["case"].get("clues", {})
    assert "loop_diuretic" not in clues and "kidney_transplant" not in clues and clues["thiazide"] is True
    warnings = _warnings(result)
    assert "furosemide" in warnings["fhir_resources_withdrawn"] and "hydrochlorothiazide" in \
        warnings["fhir_medications_stopped"]


def test_a_lab_before_birth_and_a_unit_code_that_disagrees_with_its_text_are_said() -> None:
    """A calcium dated before the birth date became an infant's hypercalcaemia, and a UCUM code mmol/L with the unit
    written mg/dL passed silently (FHIR review)."""
    patient = {"birthDate": "2024-01-01"}
    calcium = {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2023-06-01",
               "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
               "valueQuantity": {"value": 11.9, "unit": "mg/dL", "code": "mg/dL"}}
    result = _read(["diff", "--fhir", "-"], _bundle(calcium, patient=patient))
    assert "serum_calcium" not in result["case"].get("labs", {})
    assert "serum_calcium (2023-06-01)" in _warnings(result)["fhir_lab_before_birth"]
    odd = {**calcium, "effectiveDateTime": "2024-06-01", "valueQuantity": {"value": 2.9, "unit": "mg/dL",
                                                                             "code": "mmol/L"}}
    result = _read(["diff", "--fhir", "-"], _bundle(odd, patient=patient))
    assert "mmol/L" in _warnings(result)["fhir_lab_unit_conflict"]


@pytest.mark.parametrize(("value", "expected"), [
    ({"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "410516002", "display": "Known absent"}]}}, False),
    ({"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "410594000"}]}}, False),
    ({"valueCodeableConcept": {"text": "not seen"}}, False),
    ({"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "261665006", "display": "Unknown"}]}}, None),
    ({"valueCodeableConcept": {"text": "Unknown"}}, None),
])
def test_a_coded_result_known_absent_or_unknown_is_not_read_as_present(value: dict[str, Any],
                                                                       expected: bool | None) -> None:
    """A hearing-loss Observation valued Known absent, Definitely NOT present or Unknown gave hearing loss present,
    and Alport syndrome first (FHIR consistency review): the first two state it absent, Unknown is not used."""
    finding = {"resourceType": "Observation", "status": "final",
               "code": {"coding": [{"system": SNOMED, "code": "15188001", "display": "Hearing loss"}]}, **value}
    result = _read(["diff", "--fhir", "-"], _bundle(finding))
    assert result["case"].get("clues", {}).get("hearing_loss") is expected


@pytest.mark.parametrize(("code", "clue"), [("433144002", "ckd"), ("431857002", "ckd"), ("55464009",
                                                                                        "autoimmune_disease")])
def test_ckd_stages_and_lupus_are_read_from_snomed(code: str, clue: str) -> None:
    """CKD stage 3 and 4 and systemic lupus erythematosus, as EHR problem lists code them, were not read (FHIR
    consistency review): a CKD stage 3 left unread let a plasma oxalate be judged as if the GFR were preserved."""
    condition = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": code}]}}
    assert _read(["diff", "--fhir", "-"], _bundle(condition))["case"]["clues"][clue] is True


def test_a_record_dated_after_the_death_is_said() -> None:
    """A lab dated 14 years after Patient.deceasedDateTime made the age 44 without a word (FHIR review), then,
    with the word, still an age the patient never reached: it is the age at death."""
    calcium = {"resourceType": "Observation", "status": "final", "effectiveDateTime": "2024-06-10",
               "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
               "valueQuantity": {"value": 9.5, "unit": "mg/dL", "code": "mg/dL"}}
    result = _read(["diff", "--fhir", "-"], _bundle(calcium, patient={"deceasedDateTime": "2010-01-01"}))
    assert "2010-01-01" in _warnings(result)["fhir_dated_after_death"]
    assert 29.8 < result["case"]["age_years"] < 29.9  # born 1980-03-01, died 2010-01-01


@pytest.mark.parametrize(("study", "modality"), [
    ({"modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}],
      "description": "CT urography, delayed phase"}, "ctu"),
    ({"modality": [{"code": "DX"}], "procedureCode": [{"text": "Intravenous urogram (IVU)"}]}, "ivu"),
    ({"modality": [{"code": "CT"}], "description": "CT abdomen without contrast"}, "ct"),
    # a text that only mentions urography does not make the study one (black-box review 9)
    ({"modality": [{"code": "CT"}], "description": "CT KUB; CT urogram recommended"}, "ct"),
    ({"modality": [{"code": "CT"}], "description": "Unenhanced CT, compare prior IVU"}, "ct"),
    ({"modality": [{"code": "CT"}], "description": "not a urography"}, "ct"),
    ({"modality": [{"code": "RF"}], "description": "Intravenous urogram"}, "ivu"),  # fluoroscopy room
])
def test_an_imaging_study_that_says_urography_is_urography(study: dict[str, Any], modality: str) -> None:
    """DICOM has no code for urography, so a CT urography was read as plain CT, where tubular ectasia stated absent
    cannot count (FHIR consistency review): the study's description or procedure says it, and a note says it was
    read so."""
    result = _read(["diff", "--fhir", "-"], _bundle({"resourceType": "ImagingStudy", "status": "available", **study}))
    assert result["case"]["modality"] == modality
    assert ("fhir_modality_urography" in _warnings(result)) is (modality in ("ctu", "ivu"))


def test_a_comparator_that_is_not_a_bound_is_said_apart_from_the_bounds(kb: KnowledgeBase) -> None:
    """FHIR's "ad" (enough to reach the value) is read as the value itself: its note no longer opens by saying the
    value was read as a bound (black-box review 8)."""
    result = _read(["diff", "--fhir", "-"], _bundle(_observation(kb, "pth", 95, "pg/mL", comparator="ad")))
    assert result["case"]["labs"]["pth"] == {"value": 95, "unit": "pg/mL"}
    warnings = _warnings(result)
    assert "fhir_lab_bounds" not in warnings
    assert warnings["fhir_lab_not_bounds"].startswith("Lab values with a comparator that is not a bound")
    assert "pth 95 pg/mL (comparator 'ad')" in warnings["fhir_lab_not_bounds"]
    result = _read(["diff", "--fhir", "-"], _bundle(_observation(kb, "pth", 95, "pg/mL", comparator="<")))
    assert "fhir_lab_not_bounds" not in _warnings(result) and "pth <95 pg/mL" in _warnings(result)["fhir_lab_bounds"]


def test_a_unit_the_lab_does_not_take_is_quoted_as_the_document_writes_it(kb: KnowledgeBase) -> None:
    """Black-box review 9: UCUM [IU]/L for the calcium was refused as 'U/L', a unit the document did not write."""
    result = _read(["diff", "--fhir", "-"], _bundle(_observation(kb, "serum_calcium", 10, "[IU]/L")))
    assert "serum_calcium" not in result["case"].get("labs", {})
    message = " ".join(w["message"] for w in result["warnings"])
    assert "'[IU]/L'" in message and "'U/L'" not in message, message


def test_an_observation_coded_as_two_different_labs_is_said_and_not_used(kb: KnowledgeBase) -> None:
    """One value coded as PTH and as calcium was read as one of them, the other dropped without a word (black-box
    review 11): which lab the value is cannot be told, so it is not used, and the warning names both."""
    observation = _observation(kb, "pth", 95, "pg/mL")
    observation["code"]["coding"].append({"system": LOINC, "code": kb.labs["serum_calcium"].loinc[0]})
    result = _read(["diff", "--fhir", "-"], _bundle(observation))
    assert not any(d["lab"] in ("pth", "serum_calcium") for d in result["derived"])
    said = _warnings(result)["fhir_observations_not_read"]
    assert "LOINC codes of different labs (pth 2731-8, serum_calcium 17861-6)" in said


def test_a_bundle_without_a_patient_says_the_sex_and_age_are_unknown() -> None:
    """A bundle with no Patient left the sex and age unknown without a word (black-box review 11); given on the
    command line, the note goes."""
    nc = {"resourceType": "Condition", "recordedDate": "2024-03-01",
          "code": {"coding": [{"system": SNOMED, "code": "236447005"}]}}
    bundle = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": nc}]}).encode()
    said = _warnings(_read(["diff", "--fhir", "-"], bundle))
    assert said["fhir_no_patient"] == ("The bundle holds no Patient resource: the sex is unknown and so is the age "
                                       "(give --sex and --age if they are known).")
    assert "fhir_no_patient" not in _warnings(_read(["diff", "--fhir", "-", "--sex", "female", "--age", "40"], bundle))


def test_an_observation_whose_status_is_not_a_code_is_not_used(kb: KnowledgeBase) -> None:
    """status is a modifier element (entered-in-error); a status of 1 is unreadable, yet the Observation was read,
    while the warning said such resources were not used (black-box review 11)."""
    observation = {**_observation(kb, "pth", 95, "pg/mL"), "status": 1}
    result = _read(["diff", "--fhir", "-"], _bundle(observation))
    assert not any(d["lab"] == "pth" for d in result["derived"])
    assert "(status not a code)" in _warnings(result)["fhir_resources_withdrawn"]
