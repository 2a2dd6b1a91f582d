"""Findings a FHIR document gives by name alone: a Condition or Observation whose code is text only, or coded only in
a system nephrocalc does not read (ICD-10, a hospital's own codes), whose text or display is word for word the name
of a finding nephrocalc reads (the label of an HPO term a clue or pattern names, or a clue's own label). The blind
hospital-style curation of session 2026-12-07 wrote 64 Conditions as text only; "Alkaline urine", "Hypocitraturia" and
"Urinary tract infection" among them were listed as codes that map to nothing.

Only a whole name is read, case, spacing and a final full stop aside: no part of a text, and no text that qualifies a
name ("No hypercalcaemia", "Persistently alkaline urine"); each finding read so is named in a warning."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

from nephrocalc.engine import load_engine
from nephrocalc.interop.fhir import _term_named
from nephrocalc.loader import builtin_rules_dir


def _bundle(*resources: dict[str, Any]) -> bytes:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female"}
    entries = [{"resource": patient}, *({"resource": {"subject": {"reference": "Patient/p"}, **r}} for r in resources)]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).encode()


def _condition(code: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "code": code, **extra}


MEDULLARY = _condition({"coding": [{"system": "http://purl.obolibrary.org/obo/hp.owl", "code": "HP:0012408"}]})


def _read(*resources: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], _bundle(*resources))
    assert status == 0, err
    result = json.loads(out)
    return result["case"], {w["id"]: w["message"] for w in result["warnings"]}


def test_a_finding_given_as_text_alone_is_read_by_its_name_and_said() -> None:
    case, said = _read(MEDULLARY, _condition({"text": "Alkaline urine"}), _condition({"text": "hypokalaemia."}),
                       _condition({"text": " Hypocitraturia "}))
    assert case["clues"] == {"alkaline_urine": True, "hypokalemia": True, "hypocitraturia": True}
    message = said["fhir_finding_read_from_text"]
    assert "'Alkaline urine' as Alkaline urine (HP:0032944)" in message
    assert "'hypokalaemia.' as Hypokalaemia (HP:0002900)" in message
    assert "fhir_codes_not_mapped" not in said


def test_the_pattern_given_as_text_alone_is_read() -> None:
    case, said = _read(_condition({"text": "Medullary nephrocalcinosis"}))
    assert case["pattern"] == "medullary"
    assert "fhir_without_nephrocalcinosis" not in said
    case, _ = _read(_condition({"text": "Cortical nephrocalcinosis"}))
    assert case["pattern"] == "cortical"


def test_a_code_of_a_system_that_is_not_read_is_read_by_its_display() -> None:
    icd = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "E87.6", "display": "Hypokalemia"}]}
    case, said = _read(MEDULLARY, _condition(icd))
    assert case["clues"] == {"hypokalemia": True}
    assert "'Hypokalemia' as Hypokalaemia (HP:0002900)" in said["fhir_finding_read_from_text"]


def test_a_refuted_finding_given_by_name_is_read_absent() -> None:
    refuted = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}]}
    case, _ = _read(MEDULLARY, _condition({"text": "Hypercalcaemia"}, verificationStatus=refuted))
    assert case["clues"] == {"hypercalcemia": False}


@pytest.mark.parametrize("text", ["No hypercalcaemia", "Persistently alkaline urine", "Hypokalaemia (history)",
                                  "Alkaline urine with impaired urinary acidification", "Renal abnormalities"])
def test_a_text_that_is_not_a_name_word_for_word_is_not_read(text: str) -> None:
    case, said = _read(MEDULLARY, _condition({"text": text}))
    assert "clues" not in case
    assert text in said["fhir_codes_not_mapped"]
    assert "fhir_finding_read_from_text" not in said


def test_a_coded_finding_is_read_by_its_code_not_its_display() -> None:
    """A code nephrocalc reads decides; its display is not read as a name beside it."""
    coded = {"coding": [{"system": "http://purl.obolibrary.org/obo/hp.owl", "code": "HP:0002900",
                         "display": "Hypercalcemia"}], "text": "Hypercalcemia"}
    case, said = _read(MEDULLARY, _condition(coded))
    assert case["clues"] == {"hypokalemia": True}
    assert "fhir_finding_read_from_text" not in said


def test_a_lab_observation_is_not_read_as_a_finding_by_its_text() -> None:
    potassium = {"resourceType": "Observation", "status": "final",
                 "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}], "text": "Hypokalemia"},
                 "valueQuantity": {"value": 2.9, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                                   "code": "mmol/L"}}
    case, said = _read(MEDULLARY, potassium)
    assert case["labs"]["serum_potassium"]["value"] == 2.9
    assert "fhir_finding_read_from_text" not in said


def test_names_are_those_of_the_findings_read() -> None:
    kb = load_engine().kb
    assert _term_named(kb, "HYPERCALCEMIA") == "HP:0003072"
    assert _term_named(kb, "Hypercalcaemia") == "HP:0003072"  # the clue's own (British) label
    assert _term_named(kb, "Nephrocalcinosis") == "HP:0000121"
    for text in ("", "   ", "hypercalcemia and hypokalemia", "calcium", "Sarcoidosis ruled out"):
        assert _term_named(kb, text) is None, text


@pytest.mark.parametrize(("sites", "laterality"), [
    ([{"text": "Both kidneys"}], "bilateral"),
    ([{"text": "left kidney"}], "unilateral"),
    ([{"text": "Left kidney"}, {"text": "Right kidney"}], "bilateral"),  # each kidney named: both
    ([{"coding": [{"system": "http://example.org/local-sites", "code": "RK", "display": "Right kidney"}]}],
     "unilateral"),
])
def test_the_side_of_the_nephrocalcinosis_is_read_from_a_body_site_named_word_for_word(
        sites: list[dict[str, Any]], laterality: str) -> None:
    case, said = _read({**MEDULLARY, "bodySite": sites})
    assert case["laterality"] == laterality
    assert not any("bodySite" in message or "body site" in message for message in said.values()), said


def test_a_body_site_named_otherwise_gives_no_side_and_is_said() -> None:
    case, said = _read({**MEDULLARY, "bodySite": [{"text": "mostly the left kidney"}]})
    assert "laterality" not in case
    assert any("mostly the left kidney" in message for message in said.values()), said
    # a SNOMED CT code decides; its display is not read beside it
    heart = {"coding": [{"system": "http://snomed.info/sct", "code": "80891009", "display": "Left kidney"}]}
    case, said = _read({**MEDULLARY, "bodySite": [heart]})
    assert "laterality" not in case


def _culture(value: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "630-4"}]},
            "valueCodeableConcept": {"text": value}}


PYURIA = _condition({"coding": [{"system": "http://snomed.info/sct", "code": "4800001", "display": "Pyuria"}]})


def test_a_pyuria_with_a_urine_culture_that_grew_nothing_is_a_sterile_pyuria() -> None:
    """The blind hospital-style bundle of a renal tuberculosis gave "Pyuria" and a urine culture of "No growth", both
    listed as mapping to nothing: together they are the definition of sterile pyuria, a sign of the can't-miss cause."""
    for culture in ("No growth (multiple routine cultures)", "Negative", "no significant growth"):
        case, said = _read(MEDULLARY, PYURIA, _culture(culture))
        assert case["clues"] == {"sterile_pyuria": True}, culture
        assert "read as sterile pyuria" in said["fhir_sterile_pyuria"]
        assert "fhir_codes_not_mapped" not in said


@pytest.mark.parametrize("resources", [
    (PYURIA,),                                       # pyuria alone: no culture
    (_culture("No growth"),),                        # a negative culture alone
    (PYURIA, _culture("Escherichia coli >10^5 CFU/mL")),  # a urinary infection
    (_condition({"text": "Pyuria"}, verificationStatus={"coding": [{"code": "refuted"}]}), _culture("No growth")),
])
def test_a_pyuria_or_a_culture_alone_is_no_sterile_pyuria(resources: tuple[dict[str, Any], ...]) -> None:
    case, said = _read(MEDULLARY, *resources)
    assert "sterile_pyuria" not in case.get("clues", {})
    assert "fhir_sterile_pyuria" not in said


@pytest.mark.parametrize(("text", "pattern", "laterality"), [
    ("Bilateral medullary nephrocalcinosis", "medullary", "bilateral"),
    ("Left nephrocalcinosis", None, "unilateral"),
    ("Nephrocalcinosis, cortical", "cortical", None),
    ("Medullary nephrocalcinosis (papillary calcification)", "medullary", None),
    ("Extensive nephrocalcinosis", None, None),
])
def test_nephrocalcinosis_named_with_its_pattern_or_side_gives_them(text: str, pattern: str | None,
                                                                    laterality: str | None) -> None:
    """A blind US-style curation (session 2026-12-08) coded every nephrocalcinosis in ICD-10-CM (E83.59, "Other
    disorders of calcium metabolism", which names no pattern) with the radiologist's words as the text."""
    icd = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E83.59"}], "text": text}
    case, said = _read(_condition(icd))
    assert case["pattern"] == pattern and case.get("laterality") == laterality
    assert "fhir_without_nephrocalcinosis" not in said and repr(text) in said["fhir_finding_read_from_text"]


@pytest.mark.parametrize("text", ["No nephrocalcinosis", "Nephrocalcinosis ruled out", "Nephrocalcinosis (suspected)",
                                  "Medullary and cortical nephrocalcinosis", "Nephrocalcinosis in the pyramids",
                                  "Nephrocalcinosis persists"])
def test_a_text_that_is_not_a_name_of_nephrocalcinosis_alone_gives_no_pattern(text: str) -> None:
    case, said = _read(_condition({"text": text}))
    assert case["pattern"] is None
    assert "fhir_without_nephrocalcinosis" in said


def _report(conclusion: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "US kidneys"},
            "conclusion": conclusion, **extra}


def test_a_report_sentence_that_names_nephrocalcinosis_gives_its_pattern_and_side() -> None:
    case, said = _read(_report("Right staghorn stone. Bilateral medullary nephrocalcinosis."))
    assert case["pattern"] == "medullary" and case["laterality"] == "bilateral"
    assert "DiagnosticReport conclusion 'Bilateral medullary nephrocalcinosis'" in said["fhir_finding_read_from_text"]
    # a sentence that denies it, or says more than its name, is not read; the conclusion is said unread
    for conclusion in ("No nephrocalcinosis.", "Medullary echogenicity consistent with nephrocalcinosis."):
        case, said = _read(_report(conclusion))
        assert case["pattern"] is None and "free text is not read" in said["fhir_codes_not_mapped"], conclusion
    # a coded conclusion decides; its text is read as before
    coded = _report("Cortical nephrocalcinosis.", conclusionCode=[{"coding": [
        {"system": "http://purl.obolibrary.org/obo/hp.owl", "code": "HP:0012408"}]}])
    case, _ = _read(coded)
    assert case["pattern"] == "medullary"


def test_a_finding_after_parathyroid_surgery_is_not_read_as_one_at_presentation() -> None:
    """"Hypocalcemia after parathyroid adenoma excision" beside the hypercalcaemia it followed made the calcium
    contradict itself, and a primary hyperparathyroidism lost first place (blind curation 86)."""
    for text in ("Hypocalcemia after parathyroid adenoma excision", "Hypocalcaemia following removal of an ectopic "
                 "parathyroid adenoma"):
        hypocalcaemia = {"coding": [{"system": "http://snomed.info/sct", "code": "5291005"}], "text": text}
        case, said = _read(MEDULLARY, _condition(hypocalcaemia))
        assert "clues" not in case, text
        assert "parathyroid" in said["fhir_text_denies_code"], said
    case, _ = _read(MEDULLARY, _condition({"coding": [{"system": "http://snomed.info/sct", "code": "5291005"}],
                                           "text": "Hypocalcaemia after surgery for bowel cancer"}))
    assert case["clues"] == {"hypocalcemia": True}


@pytest.mark.parametrize(("code", "clue"), [("161414005", "tuberculosis"), ("161665007", "kidney_transplant"),
                                            ("236435004", "kidney_failure")])
def test_histories_a_hospital_codes_in_snomed_are_read(code: str, clue: str) -> None:
    case, _ = _read(MEDULLARY, _condition({"coding": [{"system": "http://snomed.info/sct", "code": code}]}))
    assert case["clues"][clue] is True


ICD = "http://hl7.org/fhir/sid/icd-10-cm"


@pytest.mark.parametrize(("code", "clues"), [
    ("E83.52", {"hypercalcemia": True}),
    ("N18.30", {"ckd": True}),                                          # a code below the category N18
    ("N18.4", {"advanced_ckd": True}),                                  # the most specific entry, not N18
    ("Z99.2", {"kidney_failure": True}),
    ("C34.90", {"malignancy": True}),                                   # within the block C00-C96
    ("A18.11", {"tuberculosis": True}),
    ("Z84.3", {"consanguinity": True}),
])
def test_a_problem_coded_in_icd10cm_is_read(code: str, clues: dict[str, bool]) -> None:
    """US Core problem lists are coded in ICD-10-CM as often as in SNOMED CT; the blind US-style curation coded
    every problem so (dialysis dependence Z99.2, consanguinity Z84.3, a kidney stone N20.0)."""
    case, said = _read(MEDULLARY, _condition({"coding": [{"system": ICD, "code": code}]}))
    assert case["clues"] == clues
    assert "fhir_codes_not_mapped" not in said and "fhir_finding_read_from_text" not in said


def test_an_icd10cm_code_that_names_no_finding_is_said_and_its_display_may_still_name_one() -> None:
    # E83.59 is where ICD-10-CM puts nephrocalcinosis, among other disorders of calcium metabolism: no pattern
    case, said = _read(_condition({"coding": [{"system": ICD, "code": "E83.59", "display": "Other disorders of "
                                                                                         "calcium metabolism"}]}))
    assert case["pattern"] is None and "E83.59" in said["fhir_codes_not_mapped"]
    # refuted, and by the HL7 OID of the system
    refuted = {"coding": [{"code": "refuted"}]}
    case, _ = _read(MEDULLARY, _condition({"coding": [{"system": "urn:oid:2.16.840.1.113883.6.90", "code": "E87.6"}]},
                                          verificationStatus=refuted))
    assert case["clues"] == {"hypokalemia": False}


def _clues_copy(tmp_path: Path, old: str, new: str) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), root, ignore=shutil.ignore_patterns("extended"))
    path = root / "clues.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


@pytest.mark.parametrize(("new", "message"), [
    ('icd10cm = [\n  "E83.52x",', "clues.toml: clues.hypercalcemia.icd10cm.0: String should match pattern"),
    ('icd10cm = [\n  "E87.6",', "clues.toml: clues.hypokalemia.icd10cm.0: E87.6 is already an ICD-10-CM code of "
                                  "hypercalcemia: one Condition would state both"),
    ('icd10cm = [\n  "C96-C00",', "clues.toml: clues.hypercalcemia.icd10cm.0: C96-C00: a block runs from its first"),
    ('icd10cm = [\n  "E83.52",\n  "E83.52",', "clues.toml: clues.hypercalcemia.icd10cm.1: E83.52 is listed twice"),
])
def test_a_broken_icd10cm_list_is_refused_naming_file_and_field(tmp_path: Path, new: str, message: str) -> None:
    root = _clues_copy(tmp_path, 'icd10cm = [\n  "E83.52",', new)
    status, _, err = invoke(["rules", "check", str(root)])
    assert status == 2 and message in err, err


@pytest.mark.parametrize(("text", "clue"), [("Kidney stones", "nephrolithiasis"), ("Renal calculi", "nephrolithiasis"),
                                            ("Increased urine output", "polyuria"),
                                            ("Nephromegaly", "enlarged_kidneys")])
def test_a_finding_named_by_an_exact_hpo_synonym_is_read(text: str, clue: str) -> None:
    """HPO's exact synonyms of the terms read (hpo.toml [synonyms], from hp.obo by bench/snomed_xrefs.py) name the
    finding as its label does; abbreviations are left out."""
    case, said = _read(MEDULLARY, _condition({"text": text}))
    assert case["clues"] == {clue: True}
    assert repr(text) in said["fhir_finding_read_from_text"]


def test_a_name_and_a_body_site_that_give_different_sides_give_none() -> None:
    right_kidney = [{"coding": [{"system": "http://snomed.info/sct", "code": "9846003"}]}]
    case, said = _read(_condition({"text": "Left nephrocalcinosis"}, bodySite=right_kidney))
    assert "laterality" not in case
    assert "'Left nephrocalcinosis' names the left side, its body site the right" in said["fhir_side_conflict"]
    left_kidney = [{"coding": [{"system": "http://snomed.info/sct", "code": "18639004"}]}]
    case, _ = _read(_condition({"text": "Left nephrocalcinosis"}, bodySite=left_kidney))
    assert case["laterality"] == "unilateral"


def test_a_preliminary_culture_that_grew_nothing_is_said_preliminary() -> None:
    culture = {**_culture("No growth to date"), "status": "preliminary"}
    case, said = _read(MEDULLARY, PYURIA, culture)
    assert case["clues"] == {"sterile_pyuria": True}
    assert "preliminary" in said["fhir_results_preliminary"]


def test_nelson_syndrome_is_not_glucocorticoid_excess() -> None:
    case, said = _read(MEDULLARY, _condition({"coding": [{"system": ICD, "code": "E24.1"}]}))
    assert "clues" not in case and "E24.1" in said["fhir_codes_not_mapped"]
    case, _ = _read(MEDULLARY, _condition({"coding": [{"system": ICD, "code": "E24.9"}]}))
    assert case["clues"] == {"glucocorticoid_excess": True}


def test_a_finding_post_op_at_the_end_of_its_name_is_a_post_treatment_state() -> None:
    hypocalcaemia = {"coding": [{"system": "http://snomed.info/sct", "code": "5291005"}],
                     "text": "Hypocalcaemia post-op"}
    case, said = _read(MEDULLARY, _condition(hypocalcaemia))
    assert "clues" not in case and "post-op" in said["fhir_text_denies_code"]
    lasting = {"coding": [{"system": "http://snomed.info/sct", "code": "36976004"}],
               "text": "Hypoparathyroidism post-op"}
    case, _ = _read(MEDULLARY, _condition(lasting))
    assert case["clues"] == {"hypoparathyroidism": True}


def test_a_pack_clue_whose_icd10cm_code_lies_inside_a_built_in_category_is_refused(tmp_path: Path) -> None:
    """As for ATC groups: a pack's N18.3 would take stage 3 from the built-in CKD (N18) without a word."""
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.toml").write_text('name = "icdtest"\nversion = "0.1"\n', encoding="utf-8")
    (pack / "clues.toml").write_text('[clues.ckd_stage3_only]\nlabel = "CKD stage 3"\ndescription = "CKD stage 3."\n'
                                     'group = "history"\nspecificity = "moderate"\nicd10cm = ["N18.3"]\n'
                                     'hpo_note = "no HPO term for the stage"\n', encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 2 and "clues.toml: clues.ckd_stage3_only.icd10cm.0: N18.3 and N18 of ckd are one inside the " \
        "other" in err, err


def test_only_a_candidiasis_of_the_urine_or_blood_is_the_candida_clue() -> None:
    """candida_infection is candiduria or candidaemia: oral thrush (B37.0) or a vaginal candidiasis (B37.3), common
    and harmless to the kidney, is not it (a review of the ICD-10-CM table listed B37 whole)."""
    for code in ("B37.0", "B37.3"):
        case, said = _read(MEDULLARY, _condition({"coding": [{"system": ICD, "code": code}]}))
        assert "clues" not in case and code in said["fhir_codes_not_mapped"], code
    for code in ("B37.7", "B37.41", "B37.49"):
        case, _ = _read(MEDULLARY, _condition({"coding": [{"system": ICD, "code": code}]}))
        assert case["clues"] == {"candida_infection": True}, code
