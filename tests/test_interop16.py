"""Interoperability review 16: FHIR documents as real exports write them."""

from __future__ import annotations

from typing import Any

from helpers import run_document


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1985-01-01"}
    nc = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
          "code": {"coding": [{"system": "http://snomed.info/sct", "code": "236446001"}]}}
    nc["code"]["coding"] = [{"system": "http://purl.obolibrary.org/obo/hp.owl", "code": "HP:0012408"}]
    return {"resourceType": "Bundle", "type": "collection", "timestamp": "2025-06-01T00:00:00Z",
            "entry": [{"resource": r} for r in (patient, nc, *resources)]}


def _lab(loinc: str, **value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]}, **value}


def _study(description: str) -> dict[str, Any]:
    return {"resourceType": "ImagingStudy", "status": "available", "subject": {"reference": "Patient/p1"},
            "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}],
            "description": description}


def test_a_ct_urogram_named_with_its_contrast_is_a_ct_urogram(tmp_path: Any) -> None:
    for description in ("CT UROGRAM WITH AND WITHOUT CONTRAST", "CT urogram, no oral contrast",
                        "CT UROGRAM W/O IV CONTRAST"):
        result = run_document(tmp_path, "--fhir", _bundle(_study(description)))
        assert result["case"]["modality"] == "ctu", description
    for description in ("CT abdomen without contrast; CT urogram recommended", "compare prior CT urogram"):
        assert run_document(tmp_path, "--fhir", _bundle(_study(description)))["case"]["modality"] == "ct"


def test_a_lab_value_sent_as_text_is_read(tmp_path: Any) -> None:
    # eGFR ">60": the lab's only unit; calcium "2.9 mmol/L": its own unit; PTH "<3" with the laboratory's range
    ranged = {"referenceRange": [{"low": {"value": 15, "unit": "pg/mL"}, "high": {"value": 65, "unit": "pg/mL"}}]}
    result = run_document(tmp_path, "--fhir", _bundle(
        _lab("33914-3", valueString=">60"), _lab("17861-6", valueString="2.9 mmol/L"),
        _lab("2731-8", valueString="<3", **ranged)))
    labs = result["case"]["labs"]
    assert labs["egfr"]["value"] == 60 and labs["serum_calcium"]["unit"] == "mmol/L"
    assert labs["pth"]["unit"] == "pg/mL"
    derived = {(d["clue"], d["present"]) for d in result["derived"]}
    assert ("ckd", False) in derived and ("hypercalcemia", True) in derived and ("low_pth", True) in derived
    assert any(w["id"] == "fhir_value_string" for w in result["warnings"])


def test_a_text_value_without_a_unit_is_not_guessed_for_a_lab_of_several_units(tmp_path: Any) -> None:
    result = run_document(tmp_path, "--fhir", _bundle(_lab("2731-8", valueString="<3")))
    assert "pth" not in result["case"].get("labs", {})
    said = " ".join(w["message"] for w in result["warnings"])
    assert "valueString (pth" in said and "has no unit" in said


def _condition(system: str, code: str, refuted: bool = False) -> dict[str, Any]:
    condition: dict[str, Any] = {"resourceType": "Condition", "subject": {"reference": "Patient/p1"},
                                 "code": {"coding": [{"system": system, "code": code}]}}
    if refuted:
        condition["verificationStatus"] = {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}]}
    return condition


def test_a_snomed_concept_no_clue_lists_is_read_through_the_hpo_term_that_cross_references_it(tmp_path: Any) -> None:
    # SNOMED CT 47821001 Postpartum haemorrhage: HPO cross-references it from HP:0011891, an obstetric catastrophe;
    # before, the concept mapped to nothing and a postpartum cortical necrosis lost its defining history
    stated = run_document(tmp_path, "--fhir", _bundle(_condition("http://snomed.info/sct", "47821001")))
    through_hpo = run_document(tmp_path, "--fhir", _bundle(_condition("http://purl.obolibrary.org/obo/hp.owl",
                                                                      "HP:0011891")))
    assert stated["case"]["clues"] == through_hpo["case"]["clues"] == {"obstetric_catastrophe": True}
    refuted = run_document(tmp_path, "--fhir", _bundle(_condition("http://snomed.info/sct", "47821001", True)))
    assert refuted["case"].get("clues", {}).get("obstetric_catastrophe") is not True


def test_the_snomed_cross_references_lead_to_terms_the_vocabulary_reads(kb: Any) -> None:
    assert len(kb.snomed_hpo) > 300
    readable = set(kb.hpo_clue_sets) | set(kb.hpo_named) | set(kb.hpo_patterns)
    assert all(set(terms) <= readable for terms in kb.snomed_hpo.values())
    # a concept a clue lists keeps the clue's meaning
    assert not set(kb.snomed_hpo) & (set(kb.snomed_clues) | set(kb.snomed_patterns))


def _phenopacket(onset: dict[str, Any] | None) -> dict[str, Any]:
    feature: dict[str, Any] = {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}
    if onset is not None:
        feature["onset"] = onset
    return {"id": "pp1", "subject": {"id": "s1", "sex": "FEMALE"},
            "phenotypicFeatures": [feature, {"type": {"id": "HP:0003072", "label": "Hypercalcemia"}}],
            "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"}}


def test_an_onset_class_of_the_nephrocalcinosis_gives_its_age(tmp_path: Any) -> None:
    infantile = run_document(tmp_path, "--phenopacket", _phenopacket(
        {"ontologyClass": {"id": "HP:0003593", "label": "Infantile onset"}}))
    six_months = run_document(tmp_path, "--phenopacket", _phenopacket({"age": {"iso8601duration": "P6M"}}))
    assert infantile["case"]["age_years"] == six_months["case"]["age_years"] == 0.5
    assert [e["cause"] for e in infantile["differential"]] == [e["cause"] for e in six_months["differential"]]
    assert any(w["id"] == "phenopacket_onset_class" for w in infantile["warnings"])
    # a class too wide to give an age (Adult onset: 16 years on) gives none, and says so
    adult = run_document(tmp_path, "--phenopacket", _phenopacket(
        {"ontologyClass": {"id": "HP:0003581", "label": "Adult onset"}}))
    assert adult["case"].get("age_years") is None
    assert "an age class gives no age" in " ".join(w["message"] for w in adult["warnings"])


def test_one_unreadable_measurement_does_not_refuse_the_phenopacket(tmp_path: Any) -> None:
    packet = _phenopacket(None)
    packet["measurements"] = [
        {"assay": {"id": "LOINC:2756-5", "label": "pH of Urine"}, "value": {"quantity": {"value": 7.0}}},
        {"assay": {"id": "LOINC:17861-6", "label": "Calcium"},
         "value": {"quantity": {"unit": {"id": "UCUM:mg/dL", "label": "mg/dL"}}}},
        {"assay": {"id": "LOINC:2731-8", "label": "PTH"}, "value": {"quantity": {"value": 140}}},
        {"assay": {"id": "LOINC:1963-8", "label": "Bicarbonate"},
         "value": {"quantity": {"unit": {"id": "UCUM:mmol/L", "label": "mmol/L"}, "value": 14}}}]
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["labs"] == {"urine_ph": {"value": 7.0, "unit": "pH"},
                                      "serum_bicarbonate": {"value": 14.0, "unit": "mmol/L"}}
    said = " ".join(w["message"] for w in result["warnings"])
    assert "measurements[1].value.quantity.value (serum_calcium)" in said
    assert "measurements[2].value.quantity.unit (pth): missing" in said


def test_a_race_specific_ckd_epi_egfr_is_read(tmp_path: Any) -> None:
    for code in ("88294-4", "88293-6"):
        result = run_document(tmp_path, "--fhir", _bundle(
            _lab(code, valueQuantity={"value": 40, "unit": "mL/min/1.73m2", "code": "mL/min/{1.73_m2}"})))
        assert result["case"]["labs"]["egfr"]["value"] == 40, code


def test_a_contained_medication_that_is_read_is_not_said_unread(tmp_path: Any) -> None:
    request = {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
               "subject": {"reference": "Patient/p1"}, "medicationReference": {"reference": "#med1"},
               "contained": [{"resourceType": "Medication", "id": "med1", "code": {"text": "calcitriol"}}]}
    result = run_document(tmp_path, "--fhir", _bundle(request))
    assert result["case"]["clues"].get("vitamin_d_therapy") is True
    assert not any(w["id"] == "fhir_contained_not_read" for w in result["warnings"])
