"""Robustness round 83 (phenopacket and FHIR documents trusted over their own context): what was mended.

- F1: an excluded phenopacket feature or a refuted FHIR Condition that a measured value of the same document
  contradicts no longer beats the value as if the user had stated it: the value speaks unless the denial is the
  later; a user's own flag still wins, and the PTH note then says the calcium was stated normal, not measured so;
- F4: a phenopacket measurement whose assay label or description names another specimen than its LOINC code is not
  used (as the FHIR reader refuses one), and a description is named when it is not read;
- F6: a feature labelled with the label of another mapped HPO term is read by its id, with a warning;
- F13: HPO ids written HP_0002150, hp:0002150 or as the OBO PURL are read as HP:0002150, with a note;
- F5: a treatment by a topical, ophthalmic or other local route (or an amphotericin lozenge) is not the exposure;
- F15: the phenopacket's notes about a value that a flag replaced say so;
- F16: a YAML phenopacket gets a hint; --format phenopacket keeps the subject's id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

MainFn = Callable[..., tuple[int, str, str]]

NC = {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}
SUBJECT = {"id": "pt-1", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration": "P54Y"}}}
CALCIUM = {"assay": {"id": "LOINC:17861-6", "label": "Calcium [Mass/volume] in Serum or Plasma"},
           "value": {"quantity": {"unit": {"id": "UCUM:mg/dL", "label": "mg/dL"}, "value": 12.8}}}
PTH = {"assay": {"id": "LOINC:2731-8", "label": "Parathyrin.intact [Mass/volume] in Serum or Plasma"},
       "value": {"quantity": {"unit": {"id": "UCUM:pg/mL", "label": "pg/mL"}, "value": 140}}}


def _packet(features: list[dict[str, Any]], measurements: list[dict[str, Any]] | None = None,
            actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": "pp-83", "subject": SUBJECT, "phenotypicFeatures": [NC, *features],
            "measurements": measurements or [], "medicalActions": actions or [],
            "metaData": {"created": "2024-01-01T00:00:00Z", "createdBy": "t", "phenopacketSchemaVersion": "2.0",
                         "resources": []}}


def _diff(run_main: MainFn, tmp_path: Path, document: dict[str, Any], *flags: str,
          option: str = "--phenopacket") -> dict[str, Any]:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    status, out, err = run_main(["diff", option, str(path), "--format", "json", *flags])
    assert status == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def _warning(result: dict[str, Any], note_id: str) -> str:
    found = [w["message"] for w in result["warnings"] if w["id"] == note_id]
    assert found, [w["id"] for w in result["warnings"]]
    return found[0]


def _leader(result: dict[str, Any]) -> str:
    return str(result["differential"][0]["cause"])


HYPERCALCEMIA_EXCLUDED = {"type": {"id": "HP:0003072", "label": "Hypercalcemia"}, "excluded": True,
                          "onset": {"age": {"iso8601duration": "P40Y"}}}


def test_an_older_excluded_feature_does_not_beat_the_measured_calcium(run_main: MainFn, tmp_path: Path) -> None:
    result = _diff(run_main, tmp_path, _packet([HYPERCALCEMIA_EXCLUDED], [CALCIUM, PTH]))
    assert "hypercalcemia" not in result["case"].get("clues", {})
    message = _warning(result, "phenopacket_excluded_vs_lab")
    assert "phenotypicFeatures[1] HP:0003072 Hypercalcemia (at 40 years)" in message
    assert "serum_calcium 12.8 mg/dL" in message and "left out" in message
    assert not any(w["id"] == "lab_disagrees" for w in result["warnings"])
    assert _leader(result) == "hyperparathyroidism"


def test_an_undated_excluded_feature_does_not_beat_the_measured_calcium(run_main: MainFn, tmp_path: Path) -> None:
    undated = {key: value for key, value in HYPERCALCEMIA_EXCLUDED.items() if key != "onset"}
    result = _diff(run_main, tmp_path, _packet([undated], [CALCIUM, PTH]))
    assert "without a date" in _warning(result, "phenopacket_excluded_vs_lab")
    assert _leader(result) == "hyperparathyroidism"


def test_an_exclusion_later_than_the_measurement_is_kept(run_main: MainFn, tmp_path: Path) -> None:
    at_40 = {**CALCIUM, "timeObserved": {"age": {"iso8601duration": "P40Y"}}}
    later = {**HYPERCALCEMIA_EXCLUDED, "onset": {"age": {"iso8601duration": "P53Y"}}}
    result = _diff(run_main, tmp_path, _packet([later], [at_40]))
    assert result["case"]["clues"]["hypercalcemia"] is False
    assert "the later statement was used" in _warning(result, "phenopacket_denial_after_lab")


def test_a_flag_still_wins_and_the_pth_note_says_stated_absent(run_main: MainFn, tmp_path: Path) -> None:
    result = _diff(run_main, tmp_path, _packet([HYPERCALCEMIA_EXCLUDED], [CALCIUM, PTH]), "--no-hypercalcemia")
    assert result["case"]["clues"]["hypercalcemia"] is False
    pth = [w["message"] for w in result["warnings"] if w["message"].startswith("pth 140")]
    assert pth and "with hypercalcemia stated absent (not from the values: serum_calcium 12.8 mg/dL" in pth[0]
    # the reader's note is marked: the flag replaced what it says
    assert "(hypercalcemia replaced by --no-hypercalcemia)" in _warning(result, "phenopacket_excluded_vs_lab")


def _bundle(refuted_on: str) -> dict[str, Any]:
    def entry(resource: dict[str, Any]) -> dict[str, Any]:
        return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}

    subject = {"reference": "urn:uuid:p1"}
    snomed = "http://snomed.info/sct"
    loinc = "http://loinc.org"
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        entry({"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-03-01"}),
        entry({"resourceType": "Condition", "id": "c1", "subject": subject,
               "code": {"coding": [{"system": "http://purl.obolibrary.org/obo/hp.owl", "code": "HP:0012408",
                                    "display": "Medullary nephrocalcinosis"}]}}),
        entry({"resourceType": "Condition", "id": "c2", "subject": subject, "recordedDate": refuted_on,
               "verificationStatus": {"coding": [{
                   "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}]},
               "code": {"coding": [{"system": snomed, "code": "66931009", "display": "Hypercalcemia"}]}}),
        entry({"resourceType": "Observation", "id": "o1", "status": "final", "subject": subject,
               "effectiveDateTime": "2024-04-01",
               "code": {"coding": [{"system": loinc, "code": "17861-6"}]},
               "valueQuantity": {"value": 12.8, "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                                 "code": "mg/dL"}}),
        entry({"resourceType": "Observation", "id": "o2", "status": "final", "subject": subject,
               "effectiveDateTime": "2024-04-01",
               "code": {"coding": [{"system": loinc, "code": "2731-8"}]},
               "valueQuantity": {"value": 140, "unit": "pg/mL", "system": "http://unitsofmeasure.org",
                                 "code": "pg/mL"}}),
    ]}


def test_an_old_refuted_fhir_condition_does_not_beat_the_measured_calcium(run_main: MainFn, tmp_path: Path) -> None:
    result = _diff(run_main, tmp_path, _bundle("2010-01-01"), option="--fhir")
    assert "hypercalcemia" not in result["case"].get("clues", {})
    message = _warning(result, "fhir_refuted_vs_lab")
    assert "(of 2010-01-01)" in message and "serum_calcium 12.8 mg/dL" in message and "(of 2024-04-01)" in message
    assert _leader(result) == "hyperparathyroidism"


def test_a_refuted_fhir_condition_recorded_after_the_value_is_kept(run_main: MainFn, tmp_path: Path) -> None:
    result = _diff(run_main, tmp_path, _bundle("2024-06-01"), option="--fhir")
    assert result["case"]["clues"]["hypercalcemia"] is False
    assert "the later statement was used" in _warning(result, "fhir_denial_after_lab")


def test_a_measurement_labelled_urine_is_not_the_serum_lab(run_main: MainFn, tmp_path: Path) -> None:
    urine = {**CALCIUM, "assay": {"id": "LOINC:17861-6", "label": "Calcium [Mass/volume] in Urine"}}
    result = _diff(run_main, tmp_path, _packet([], [urine]))
    assert "labs" not in result["case"]
    assert "its assay label or description says 'urine', another specimen than the code's, so not used" in _warning(
        result, "phenopacket_measurements_not_read")
    described = {**CALCIUM, "description": "24 hour urine calcium"}
    result = _diff(run_main, tmp_path, _packet([], [described]))
    assert "labs" not in result["case"]


def test_a_measurement_description_is_named_when_not_read(run_main: MainFn, tmp_path: Path) -> None:
    result = _diff(run_main, tmp_path, _packet([], [{**CALCIUM, "description": "fasting sample"}]))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 12.8
    assert "measurements[0] (serum_calcium): 'fasting sample'" in _warning(
        result, "phenopacket_measurement_description_not_read")


def test_a_feature_labelled_as_another_term_is_read_by_its_id_with_a_warning(run_main: MainFn,
                                                                             tmp_path: Path) -> None:
    feature = {"type": {"id": "HP:0003127", "label": "HYPERCALCIURIA"}}
    result = _diff(run_main, tmp_path, _packet([feature]))
    assert result["case"]["clues"] == {"hypocalciuria": True}
    assert "HP:0003127 is labelled 'HYPERCALCIURIA', the label of HP:0002150: read as Hypocalciuria (its id)" in \
        _warning(result, "phenopacket_label_of_another_term")
    own = _diff(run_main, tmp_path, _packet([{"type": {"id": "HP:0003127", "label": "hypocalciuria"}}]))
    assert not any(w["id"] == "phenopacket_label_of_another_term" for w in own["warnings"])


def test_hpo_ids_in_obo_spellings_are_read(run_main: MainFn, tmp_path: Path) -> None:
    for written in ("HP_0002150", "hp:0002150", "http://purl.obolibrary.org/obo/HP_0002150"):
        result = _diff(run_main, tmp_path, _packet([{"type": {"id": written, "label": "Hypercalciuria"}}]))
        assert result["case"]["clues"] == {"hypercalciuria": True}, written
        assert f"{written!r} as HP:0002150" in _warning(result, "phenopacket_hpo_id_normalised")
        assert not any(w["id"] == "phenopacket_terms_not_mapped" for w in result["warnings"])


def test_a_local_route_leaves_a_systemic_exposure_unread(run_main: MainFn, tmp_path: Path) -> None:
    topical = {"treatment": {"agent": {"id": "CHEBI:2682", "label": "amphotericin B"},
                             "routeOfAdministration": {"id": "NCIT:C38304", "label": "Topical Route of "
                                                                                     "Administration"}}}
    result = _diff(run_main, tmp_path, _packet([], actions=[topical]))
    assert "amphotericin" not in result["case"].get("clues", {})
    assert "amphotericin B (route NCIT:C38304 Topical Route of Administration; named, it is amphotericin)" in \
        _warning(result, "phenopacket_treatment_route_local")
    lozenge = {"treatment": {"agent": {"id": "CHEBI:2682", "label": "Amphotericin B lozenge"}}}
    result = _diff(run_main, tmp_path, _packet([], actions=[lozenge]))
    assert "amphotericin" not in result["case"].get("clues", {})
    oral_furosemide = {"treatment": {"agent": {"id": "CHEBI:47426", "label": "furosemide"},
                                     "routeOfAdministration": {"id": "NCIT:C38288", "label": "Oral Route"}}}
    intravenous = {"treatment": {"agent": {"id": "CHEBI:2682", "label": "amphotericin B"},
                                 "routeOfAdministration": {"id": "NCIT:C38276", "label": "Intravenous Route"}}}
    result = _diff(run_main, tmp_path, _packet([], actions=[oral_furosemide, intravenous]))
    assert result["case"]["clues"] == {"loop_diuretic": True, "amphotericin": True}


def test_notes_about_values_a_flag_replaced_say_so(run_main: MainFn, tmp_path: Path) -> None:
    older = {**CALCIUM, "timeObserved": {"age": {"iso8601duration": "P45Y"}}}
    onset = {**NC, "onset": {"age": {"iso8601duration": "P44Y"}}}
    document = _packet([], [older])
    document["phenotypicFeatures"] = [onset]
    result = _diff(run_main, tmp_path, document, "--lab", "serum_calcium=9.6 mg/dL", "--age", "60")
    assert "(serum_calcium replaced by --lab serum_calcium=9.6 mg/dL)" in _warning(result, "phenopacket_lab_ages")
    assert "the patient is 60 years" in _warning(result, "causes_weighed_at_onset")


def test_a_yaml_phenopacket_gets_a_hint(run_main: MainFn, tmp_path: Path) -> None:
    path = tmp_path / "pp.yaml"
    path.write_text("id: pp-yaml\nsubject:\n  id: pt-1\n  sex: FEMALE\n", encoding="utf-8")
    status, out, err = run_main(["diff", "--phenopacket", str(path)])
    assert status == 2 and out == ""
    assert err.strip().endswith("not valid JSON: YAML is not read: convert it to JSON")
    assert len(err.strip().splitlines()) == 1


def test_format_phenopacket_keeps_the_subject_id(run_main: MainFn, tmp_path: Path) -> None:
    path = tmp_path / "pp.json"
    path.write_text(json.dumps(_packet([], [CALCIUM])), encoding="utf-8")
    status, out, err = run_main(["diff", "--phenopacket", str(path), "--format", "phenopacket"])
    assert status == 0, err
    written = json.loads(out)
    assert written["id"] == "pp-83" and written["subject"]["id"] == "pt-1"
    back = tmp_path / "back.json"
    back.write_text(out, encoding="utf-8")
    status, again, err = run_main(["diff", "--phenopacket", str(back), "--format", "phenopacket"])
    assert status == 0, err
    assert json.loads(again)["subject"]["id"] == "pt-1"
