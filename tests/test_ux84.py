"""A fresh user's review at the terminal (session 2026-12-07, ninth): what it found, held."""

from __future__ import annotations

import json

from helpers import invoke


def _json(argv: list[str]) -> dict:
    status, out, err = invoke([*argv, "--format", "json"])
    assert status == 0, err
    return json.loads(out)


def test_the_other_state_of_a_stated_one_is_not_proposed() -> None:
    """A metabolic alkalosis was proposed beside a stated acidosis, a suppressed PTH beside a raised one."""
    result = _json(["diff", "-p", "medullary", "--age", "4", "--hypokalemia", "--metabolic-acidosis",
                    "--growth-failure"])
    assert "metabolic_alkalosis" not in [n["clue"] for n in result["next_findings"]]
    result = _json(["diff", "-p", "medullary", "--high-pth", "--age", "50"])
    assert "low_pth" not in [n["clue"] for n in result["next_findings"]]


def test_one_lab_is_proposed_once() -> None:
    status, out, _ = invoke(["diff", "-p", "medullary", "--hypokalaemia", "--hypercalcaemia", "-n", "3"])
    assert status == 0
    line = next(line for line in out.splitlines() if line.startswith("To narrow this down"))
    assert line.count("(parathyroid hormone)") == 1, line


def test_an_empty_batch_is_said() -> None:
    status, out, err = invoke(["batch", "-"], b"")
    assert status == 0 and out == ""
    assert err == "nephrocalc: 0 cases ranked: the input was empty\n"


def test_clues_shows_the_ones_asked_for_in_either_spelling() -> None:
    data = _json(["clues", "hypokalaemia", "no-sterile-pyuria", "hypokalemia"])
    assert [c["id"] for c in data["clues"]] == ["hypokalemia", "sterile_pyuria"]
    status, out, _ = invoke(["clues", "rta"])
    assert status == 0 and "--rta" in out and "--hypokalemia" not in out
    status, _, err = invoke(["clues", "hypokalemai"])
    assert status == 2 and "did you mean 'hypokalemia'" in err and err.count("\n") == 1


def test_a_cause_abbreviation_is_suggested_not_read() -> None:
    for typed, meant in (("dRTA", "distal_rta"), ("PHPT", "hyperparathyroidism"), ("tb", "renal_tuberculosis"),
                         ("sponge", "medullary_sponge_kidney")):
        status, out, err = invoke(["cause", typed])
        assert status == 2 and not out and f"did you mean {meant!r}?" in err, err


def test_a_capped_figure_is_a_ceiling_without_contradicting_its_sign() -> None:
    status, out, _ = invoke(["diff", "-p", "medullary", "--metabolic-acidosis", "--alkaline-urine", "--hypokalemia",
                             "--hearing-loss", "--growth-failure", "--age", "3"])
    text = " ".join(out.split())
    assert status == 0 and ">95%: the most this ranking states" in text
    assert "not a lower bound" not in text and "its own figure is higher, but no more is claimed" in text


def test_lupus_nephritis_is_an_autoimmune_disease_too(tmp_path) -> None:
    from helpers import run_document

    document = {"id": "x",
                "subject": {"id": "p", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration": "P32Y"}}},
                "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}},
                                       {"type": {"id": "HP:0033726", "label": "Lupus nephritis"}}],
                "metaData": {"created": "2020-01-01T00:00:00Z", "createdBy": "x", "phenopacketSchemaVersion": "2.0",
                             "resources": []}}
    result = run_document(tmp_path, "--phenopacket", document)
    assert result["case"]["clues"] == {"autoimmune_disease": True, "glomerulonephritis": True}
    document["phenotypicFeatures"][1]["excluded"] = True  # no lupus nephritis says nothing of SLE elsewhere
    assert "autoimmune_disease" not in run_document(tmp_path, "--phenopacket", document)["case"].get("clues", {})


def test_a_finding_after_the_treatment_is_not_read_as_the_presentation() -> None:
    """A SNOMED-coding curator kept "Post-operative hypocalcaemia" after a parathyroidectomy: read beside the
    hypercalcaemia it followed, it made the calcium contradict itself (blind FHIR curation 84)."""
    from nephrocalc.interop.wording import finding_cue

    for text in ("Post-operative hypocalcaemia", "Hypocalcaemia after parathyroidectomy",
                 "Hypocalcaemia postoperatively", "Post-treatment hypercalciuria"):
        assert finding_cue(text), text
    # a lasting disorder the operation left is the history it is, and a post-operative scan is the day's imaging
    for text in ("Postoperative hypoparathyroidism", "Hypoparathyroidism after surgery", "Post-surgical short bowel",
                 "Post-operative CT: medullary nephrocalcinosis", "Hypocalcaemia"):
        assert not finding_cue(text), text


def test_a_post_operative_hypocalcaemia_in_a_bundle_is_said_not_read(tmp_path) -> None:
    from helpers import run_document

    def condition(code: str, text: str) -> dict:
        return {"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                             "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}], "text": text},
                             "recordedDate": "2020-01-01"}}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "gender": "male", "birthDate": "2005-01-01"}},
        condition("236447005", "Medullary nephrocalcinosis"), condition("66931009", "Hypercalcaemia"),
        condition("5291005", "Post-operative hypocalcaemia")]}
    result = run_document(tmp_path, "--fhir", bundle)
    assert result["case"]["clues"] == {"hypercalcemia": True}
    said = {w["id"]: w["message"] for w in result["warnings"]}
    assert "after the treatment" in said["fhir_text_denies_code"] and "Post-operative" in said["fhir_text_denies_code"]


def test_a_rule_pack_note_does_not_precede_an_error() -> None:
    status, out, err = invoke(["schema", "", "--rules", "-"])
    assert status == 2 and not out and err.count("\n") == 1 and "note" not in err
    status, out, err = invoke(["schema", "result", "--rules", "/nonexistent-pack"])
    assert status == 0 and out.startswith("{") and err.startswith("nephrocalc: note: rule pack not loaded")


def test_snomed_growth_delay_is_read_through_its_hpo_term(tmp_path) -> None:
    """SNOMED 59576002 Growth delay, which HPO cross-references from HP:0001510 (growth_failure's hpo_exact term),
    was unread in five curated bundles: the cross-reference table had not been regenerated since that term was added."""
    from helpers import run_document

    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "gender": "male", "birthDate": "2015-01-01"}},
        {"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "recordedDate": "2020-01-01",
                      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "59576002"}]}}}]}
    assert run_document(tmp_path, "--fhir", bundle)["case"]["clues"] == {"growth_failure": True}
