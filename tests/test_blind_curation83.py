"""Two blind curators wrote GA4GH phenopackets and FHIR bundles for 60 published patients of the development set
(session 2026-12-07, eighth), from the sources' summaries alone (tests/data/curated83); reading them showed what such
documents hold that was not read.

- plain vitamin D among the treatments, named without a dose ("vitamin D", ChEBI's "calciol"), was never read as the
  exposure, so six of seven published vitamin D intoxications lost their cause: it is now read unless its dose is a
  usual one (at most 4000 IU), in the document's dose fields or its name;
- "loop diuretic" and "thiazide diuretic" written as the drug were not read;

- a urine chloride in mEq/L (the unit of the serum chloride) was refused;
- HP:4000179 Potassium-wasting diuretic exposure, the only term the curator found for furosemide in preterm infants,
  was listed among terms that "map to no clue" without saying why or what to state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke


def _packet(features: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps({"id": "p1", "subject": {"id": "s1", "timeAtLastEncounter": {"age": {"iso8601duration": "P2M"}}},
                       "phenotypicFeatures": features, **extra,
                       "metaData": {"created": "2026-12-07T00:00:00Z", "phenopacketSchemaVersion": "2.0",
                                    "resources": []}}).encode()


NC = {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}


def test_a_urine_chloride_in_meq_per_litre_is_read() -> None:
    status, out, err = invoke(["diff", "-p", "medullary", "--metabolic-alkalosis", "--lab", "urine_chloride=50 mEq/L",
                               "--format", "json"])
    assert status == 0, err
    derived = json.loads(out)["derived"]
    assert [(d["lab"], d["clue"], d["present"]) for d in derived] == [("urine_chloride", "high_urine_chloride", True)]


def test_the_potassium_wasting_diuretic_term_says_which_clue_to_state() -> None:
    diuretic = {"type": {"id": "HP:4000179", "label": "Potassium-wasting diuretic exposure"}}
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"], _packet([NC, diuretic]))
    assert status == 0, err
    result = json.loads(out)
    said = {w["id"]: w["message"] for w in result["warnings"]}
    assert "--loop-diuretic or --thiazide" in said["phenopacket_diuretic_class_not_said"]
    clues = result["case"].get("clues", {})
    assert "loop_diuretic" not in clues and "thiazide" not in clues
    # excluded, the term says nothing of a class, and nothing is asked
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"],
                              _packet([NC, {**diuretic, "excluded": True}]))
    assert status == 0 and "phenopacket_diuretic_class_not_said" not in {w["id"] for w in json.loads(out)["warnings"]}
    # the drug given as a treatment is read, as before
    furosemide = {"treatment": {"agent": {"id": "CHEBI:47426", "label": "furosemide"}}}
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"],
                              _packet([NC, diuretic], medicalActions=[furosemide]))
    assert status == 0 and json.loads(out)["case"].get("clues", {}).get("loop_diuretic") is True, err


HYPERCALCAEMIA = {"type": {"id": "HP:0003072", "label": "Hypercalcemia"}}


def _vitamin_d(dose: dict[str, Any] | None = None, label: str = "cholecalciferol") -> dict[str, Any]:
    treatment: dict[str, Any] = {"agent": {"id": "CHEBI:28940", "label": label}}
    if dose is not None:
        treatment["doseIntervals"] = [{"quantity": dose, "scheduleFrequency": {"id": "NCIT:C25473", "label": "Daily"}}]
    return {"treatment": treatment}


def test_plain_vitamin_d_among_a_phenopackets_treatments_is_read_unless_its_dose_is_usual() -> None:
    """Six of the seven vitamin D intoxications the curator wrote listed the vitamin D alone, as "vitamin D" or ChEBI's
    "calciol": not read, they lost their cause (two ranked other causes first). A phenopacket lists the treatments its
    curator judged relevant, so plain vitamin D is read, said in a note; a usual dose given is not the exposure."""
    for label in ("calciol", "vitamin D", "cholecalciferol"):
        status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"],
                                  _packet([NC, HYPERCALCAEMIA], medicalActions=[_vitamin_d(label=label)]))
        assert status == 0, err
        result = json.loads(out)
        assert result["case"]["clues"]["vitamin_d_therapy"] is True, label
        said = {w["id"]: w["message"] for w in result["warnings"]}
        assert "no dose given" in said["phenopacket_native_vitamin_d_read"] and "--no-vitamin-d-therapy" in \
            said["phenopacket_native_vitamin_d_read"]
        assert result["differential"][0]["cause"] == "hypervitaminosis_d"
    for dose, read in (({"unit": {"id": "UCUM:[iU]", "label": "international unit"}, "value": 400}, False),
                       ({"unit": {"id": "UCUM:[iU]", "label": "international unit"}, "value": 50000}, True),
                       ({"unit": {"id": "UCUM:ug", "label": "microgram"}, "value": 10}, False),   # 400 IU
                       ({"unit": {"id": "UCUM:mg", "label": "milligram"}, "value": 15}, True)):   # 600,000 IU
        status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"],
                                  _packet([NC, HYPERCALCAEMIA], medicalActions=[_vitamin_d(dose)]))
        assert status == 0, err
        result = json.loads(out)
        assert (result["case"].get("clues", {}).get("vitamin_d_therapy") is True) is read, dose
        said = {w["id"] for w in result["warnings"]}
        assert ("phenopacket_native_vitamin_d_read" if read else "native_vitamin_d_not_read") in said, dose
    # calcitriol is an active analogue, read as before, without the note
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"],
                              _packet([NC], medicalActions=[_vitamin_d(label="calcitriol")]))
    assert status == 0 and json.loads(out)["case"]["clues"]["vitamin_d_therapy"] is True
    assert "phenopacket_native_vitamin_d_read" not in {w["id"] for w in json.loads(out)["warnings"]}


def _bundle(*resources: dict[str, Any]) -> bytes:
    patient = {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "gender": "female",
                                                      "birthDate": "2019-09-01"}}
    entries = [patient] + [{"resource": {**r, "subject": {"reference": "urn:uuid:p1"}}} for r in resources]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).encode()


def _statement(text: str, dosage: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "status": "completed", "medicationCodeableConcept": {"text": text},
            **({"dosage": dosage} if dosage is not None else {})}


def test_a_fhir_medication_list_gives_plain_vitamin_d_unless_its_dose_is_usual() -> None:
    """The FHIR twin of the phenopacket rule: the curator's bundles of the vitamin D intoxications named "vitamin D"
    or "colecalciferol" without a dose; a usual dose in the name or the dosage keeps it unread (an adult's daily
    supplement is not vitamin D excess); the class words of a medication list give their clue."""
    cases = [(_statement("Vitamin D"), True, "no dose given"),
             (_statement("Cholecalciferol 1000 IU tablet"), False, None),
             (_statement("Colecalciferol", [{"doseAndRate": [{"doseQuantity": {
                 "value": 50000, "unit": "IU", "code": "[iU]"}}]}]), True, "50000 IU"),
             (_statement("Colecalciferol", [{"text": "400 units daily"}]), False, None),
             (_statement("Vitamin D3 600,000 IU single dose"), True, "600000 IU")]
    for statement, read, said in cases:
        status, out, err = invoke(["diff", "--fhir", "-", "-p", "medullary", "--format", "json"], _bundle(statement))
        assert status == 0, err
        result = json.loads(out)
        assert (result["case"].get("clues", {}).get("vitamin_d_therapy") is True) is read, statement
        notes = {w["id"]: w["message"] for w in result["warnings"]}
        if said is not None:
            assert said in notes["fhir_native_vitamin_d_read"], notes
        else:
            assert "native_vitamin_d_not_read" in notes and "fhir_native_vitamin_d_read" not in notes
    for text, clue in (("loop diuretic", "loop_diuretic"), ("Thiazide diuretic", "thiazide")):
        status, out, err = invoke(["diff", "--fhir", "-", "-p", "medullary", "--format", "json"],
                                  _bundle({**_statement(text), "status": "active"}))
        assert status == 0 and json.loads(out)["case"]["clues"].get(clue) is True, (text, err)


TWELVE = frozenset({"hyperparathyroidism", "distal_rta", "medullary_sponge_kidney", "hypervitaminosis_d", "sarcoidosis",
                    "milk_alkali_syndrome", "chronic_hypercalciuria", "chronic_glomerulonephritis", "cortical_necrosis",
                    "primary_hyperoxaluria", "renal_tuberculosis", "alport_syndrome"})


def _flagged(result: dict[str, Any]) -> bool:
    """A poor fit, the open world first, or a leader under one half (as bench/evaluate.py counts it)."""
    top = result["differential"][0]
    return bool(result["fit"]["status"] == "poor" or top["cause"] == "other" or top["probability"] < 0.5)


@pytest.mark.parametrize(("name", "key", "kind", "measure", "floor"), [
    ("curated83/phenopackets.jsonl", "phenopacket", "phenopacket", "first", 43),  # 40 before vitamin D was read
    ("curated83/fhir_bundles.jsonl", "bundle", "fhir", "first", 40),               # 37 before
    # hospital-style SNOMED, 55 others (36 before; 37, then 35 once a body site named "Both kidneys" or "Right kidney"
    # gave its side: pub-msk-02 and pub-hpt-02 now rank as their case encodings, which state the side, do)
    ("curated84/fhir_snomed.jsonl", "bundle", "fhir", "first", 35),
    ("curated84/fhir_outside.jsonl", "bundle", "fhir", "flagged", 41),  # 50 outside the twelve (40 before)
    # US Core style, ICD-10-CM first (session 2026-12-08): 32 inside (17 blind, before any change), 16 outside (10)
    ("curated86/fhir_uscore.jsonl", "bundle", "fhir", "first", 18),
    ("curated86/fhir_uscore.jsonl", "bundle", "fhir", "flagged", 10),
])
def test_the_curated_documents_rank_as_well_as_measured(name: str, key: str, kind: str, measure: str,
                                                        floor: int) -> None:
    """The blind-curated phenopackets and FHIR bundles of development-set patients (tests/data/curated83 and 84), read
    through batch: the expected cause first (inside the twelve), or the patient flagged (outside it), in at least the
    number measured. A change that loses a patient here reads a curated document worse; one that gains raises the
    floor."""
    rows = [json.loads(line) for line in (Path(__file__).parent / "data" / name)
            .read_text(encoding="utf-8").splitlines() if line.strip()]
    status, out, err = invoke(["batch", "-i", kind, "-"], "\n".join(json.dumps(row[key]) for row in rows).encode())
    assert status == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(rows)
    if "curated83" in name:  # the curated84 curators gave the patients hospital numbers, not the set's ids
        assert [r["case"]["id"] for r in results] == [row["id"] for row in rows]
    if measure == "first":
        count = sum(r["differential"][0]["cause"] == row["expected"] for r, row in zip(results, rows, strict=True))
    elif "curated86" in name:  # a set of both kinds: the outside patients only
        count = sum(_flagged(r) for r, row in zip(results, rows, strict=True) if row["expected"] not in TWELVE)
    else:
        count = sum(_flagged(r) for r in results)
    assert count >= floor, count


def test_a_calcium_corrected_for_albumin_is_read_and_not_corrected_again() -> None:
    """Two curated primary hyperparathyroidism reports gave only an adjusted calcium (LOINC 29265-6), which was not
    read: with no calcium, a PTH of 57.8 pmol/L derived nothing. It is now corrected_calcium, judged against the total
    calcium's limits, deciding over a total given beside it; an ionised calcium decides over both."""
    base = ["diff", "-p", "medullary", "--age", "50", "--sex", "female", "--format", "json"]
    status, out, err = invoke([*base, "--lab", "corrected_calcium=2.9 mmol/L", "--lab", "pth=12 pmol/L"])
    assert status == 0, err
    result = json.loads(out)
    used = {(d["lab"], d["clue"]): d["present"] for d in result["derived"] if d["used"]}
    assert used[("corrected_calcium", "hypercalcemia")] is True and used[("pth", "high_pth")] is True
    assert "calcium_not_corrected" not in {w["id"] for w in result["warnings"]}
    assert result["differential"][0]["cause"] == "hyperparathyroidism"
    # beside a total calcium it decides, and the albumin correction does not apply to it
    status, out, err = invoke([*base, "--lab", "corrected_calcium=2.4 mmol/L", "--lab", "serum_calcium=2.7 mmol/L",
                               "--lab", "serum_albumin=30 g/L"])
    assert status == 0, err
    result = json.loads(out)
    assert {d["lab"] for d in result["derived"] if d["clue"] == "hypercalcemia" and d["used"]} == {"corrected_calcium"}
    # an ionised calcium decides over it
    status, out, err = invoke([*base, "--lab", "corrected_calcium=2.9 mmol/L", "--lab", "ionized_calcium=1.2 mmol/L"])
    assert status == 0, err
    result = json.loads(out)
    assert {d["lab"] for d in result["derived"] if d["clue"] == "hypercalcemia" and d["used"]} == {"ionized_calcium"}
    # read from a FHIR Observation by its LOINC code
    observation = {"resourceType": "Observation", "status": "final",
                   "code": {"coding": [{"system": "http://loinc.org", "code": "29265-6"}]},
                   "valueQuantity": {"value": 2.9, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                                     "code": "mmol/L"}}
    status, out, err = invoke(["diff", "--fhir", "-", "-p", "medullary", "--format", "json"], _bundle(observation))
    assert status == 0 and json.loads(out)["case"]["labs"]["corrected_calcium"]["value"] == 2.9, err
