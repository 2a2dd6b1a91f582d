"""Robustness round 88: what was mended.

- a pack clue's ICD-10-CM block that overlaps another file's block without either holding the other (C90-D20 beside
  the built-in malignancy's C00-C96) was accepted by `rules check`, and a code in both (C92.00, a leukaemia) was read
  as the pack's finding only, the malignancy lost without a word;
- a refuted (or absent) ICD-10-CM code read through its finding's category or block ruled the whole finding out: a
  refuted lung cancer (C34.90) was read as no malignancy at all, a refuted pulmonary tuberculosis (A15.0) as no
  tuberculosis, a refuted CKD stage 3 (N18.30) as no CKD. As an excluded HPO term never rules out a broader one, such
  a code is now one way among several, and said; a code that is itself an entry (N18, N18.4) still rules its out;
- a concept whose text, the words the user chose, names another finding than its codes (HP:0003072 Hypercalcemia with
  the text "Hypocalcemia", HP:0012409 Cortical nephrocalcinosis with the text "Medullary nephrocalcinosis") was read by
  its code without a word, as was a SNOMED CT code displayed with another finding's name (66931009 Hypercalcemia
  displayed "Hypocalcemia"), where an HPO or ICD-10-CM code so displayed is said; both are said now (a text naming a
  broader or narrower term of the same finding, "Renal tubular acidosis" beside distal RTA, is no other finding);
- a coded nephrocalcinosis whose text names its side (HP:0012408 with the text "Left medullary nephrocalcinosis"), or
  its pattern beside the generic code (HP:0000121, "Medullary nephrocalcinosis"), lost them without a word, where the
  same text alone gives them: adding the code lost what the name said. They are read now, and said; names of two
  sides, or a name and a body site of different sides, give none, as before;
- two labs of one finding given only as flags that disagree, the total calcium flagged High beside the ionised calcium
  flagged Normal, read hypercalcaemia present (a present finding wins), where the same results as values are read by
  the ionised calcium, which decides over the total; the flag of the lab decided over is now set aside, and said, in a
  FHIR bundle and a phenopacket alike;
- a DiagnosticReport with a coded nephrocalcinosis lost the side and pattern its conclusion names ("Bilateral
  medullary nephrocalcinosis." beside SNOMED CT 48638002 Nephrocalcinosis gave no pattern), where the conclusion
  alone gives them: as for a Condition's text, they are read now, and said; a report that codes other findings only
  ("Right renal calculus. Bilateral medullary nephrocalcinosis." coded as a kidney stone) lost the nephrocalcinosis
  itself without a word: its sentences are read as a report's without codes;
- hpo.toml's [synonyms] took a synonym of a term [labels] does not name, read as nothing, and a synonym written as
  another term's label, which made that label unreadable as a name (a name of two terms is read as neither) without a
  word; `rules check` refuses both now, naming the term.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def _pack(tmp_path: Path, clues: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.toml").write_text('name = "test pack"\nversion = "1.0"\ndescription = "A pack."\n'
                                    'maintainer = "tests"\n', encoding="utf-8")
    (pack / "clues.toml").write_text(clues, encoding="utf-8")
    return pack


def _clue(icd10cm: str, clue: str = "odd_tumour") -> str:
    return (f'[clues.{clue}]\nlabel = "Odd tumour"\ndescription = "A tumour."\ngroup = "systemic"\n'
            f'specificity = "moderate"\nhpo_note = "none"\nicd10cm = {icd10cm}\n')


@pytest.mark.parametrize("blocks", ['["C90-D20"]', '["B99-C05"]'])
def test_a_pack_block_overlapping_another_files_block_is_refused(tmp_path: Path, blocks: str) -> None:
    status, _, err = invoke(["rules", "check", str(_pack(tmp_path, _clue(blocks)))])
    assert status == 2, err
    assert "clues.toml: clues.odd_tumour.icd10cm.0: " in err and "C00-C96 of malignancy" in err
    assert "Traceback" not in err


def test_blocks_of_two_clues_of_one_file_that_overlap_are_refused(tmp_path: Path) -> None:
    text = _clue('["D50-D60"]') + _clue('["D55-D70"]', "odd_anaemia")
    status, _, err = invoke(["rules", "check", str(_pack(tmp_path, text))])
    assert status == 2, err
    assert "clues.toml: clues.odd_anaemia.icd10cm.0: D55-D70 and D50-D60 of odd_tumour overlap" in err


HPO = "http://purl.obolibrary.org/obo/hp.owl"
REFUTED = {"verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                              "code": "refuted"}]}}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-01-01"}
    nephrocalcinosis = {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": patient}, *({"resource": {"subject": {"reference": "Patient/p"}, **r}}
                                               for r in (nephrocalcinosis, *resources))]}


def _diff_fhir(*resources: dict[str, Any], argv: tuple[str, ...] = ()) -> tuple[dict[str, Any], dict[str, str]]:
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json", *argv],
                              json.dumps(_bundle(*resources)).encode())
    assert status == 0, err
    result = json.loads(out)
    return result["case"], {w["id"]: w["message"] for w in result["warnings"]}


def _icd(code: str, **more: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "code": {"coding": [{"system": ICD10CM, "code": code}]}, **more}


@pytest.mark.parametrize("code", ["C34.90", "A15.0", "N18.30", "n1830", "E10.9"])
def test_a_refuted_icd10cm_code_below_its_findings_entry_rules_nothing_out(code: str) -> None:
    case, said = _diff_fhir(_icd(code, **REFUTED))
    assert "clues" not in case, case
    assert code in said["fhir_refuted_one_way"]
    assert "fhir_codes_not_mapped" not in said


@pytest.mark.parametrize(("code", "clue"), [("N18", "ckd"), ("N184", "advanced_ckd"), ("E83.52", "hypercalcemia")])
def test_a_refuted_icd10cm_code_that_is_its_findings_entry_rules_it_out(code: str, clue: str) -> None:
    case, said = _diff_fhir(_icd(code, **REFUTED))
    assert case["clues"] == {clue: False}, case
    assert "fhir_refuted_one_way" not in said


SNOMED = "http://snomed.info/sct"


@pytest.mark.parametrize(("code", "said"), [
    ({"coding": [{"system": HPO, "code": "HP:0003072"}], "text": "Hypocalcemia"},
     "HP:0003072 has the text 'Hypocalcemia', the name of Hypocalcaemia (HP:0002901): read as Hypercalcaemia"),
    ({"coding": [{"system": SNOMED, "code": "66931009", "display": "Hypocalcemia"}]},
     "SNOMED CT 66931009 is displayed 'Hypocalcemia', the name of Hypocalcaemia (HP:0002901): read as Hypercalcaemia"),
    ({"coding": [{"system": HPO, "code": "HP:0012409"}], "text": "Medullary nephrocalcinosis"},
     "HP:0012409 has the text 'Medullary nephrocalcinosis', the name of medullary nephrocalcinosis (HP:0012408): "
     "read as cortical nephrocalcinosis"),
    ({"coding": [{"system": ICD10CM, "code": "E83.52"}], "text": "Hypokalemia"},
     "E83.52 has the text 'Hypokalemia', the name of Hypokalaemia (HP:0002900): read as Hypercalcaemia"),
])
def test_a_code_written_with_the_name_of_another_finding_is_said(code: dict[str, Any], said: str) -> None:
    _, notes = _diff_fhir({"resourceType": "Condition", "code": code})
    assert said in notes["fhir_display_of_another_term"]


@pytest.mark.parametrize("condition", [
    {"code": {"coding": [{"system": SNOMED, "code": "1776003"}], "text": "Renal tubular acidosis"}},
    {"code": {"coding": [{"system": HPO, "code": "HP:0001947"}], "text": "Renal tubular acidosis"}, **REFUTED},
    {"code": {"coding": [{"system": HPO, "code": "HP:0000121"}], "text": "Medullary nephrocalcinosis"}},
    {"code": {"coding": [{"system": ICD10CM, "code": "N18.4"}], "text": "Chronic kidney disease"}},
    {"code": {"coding": [{"system": SNOMED, "code": "66931009", "display": "Hypercalcemia"}], "text": "Hypercalcemia"}},
])
def test_a_code_written_with_its_own_or_a_broader_name_is_not_said(condition: dict[str, Any]) -> None:
    _, notes = _diff_fhir({"resourceType": "Condition", **condition})
    assert "fhir_display_of_another_term" not in notes, notes


def _nc(code: str, text: str, **more: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": code}], "text": text}, **more}


def _diff_nc_fhir(condition: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-01-01"}
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": patient}, {"resource": {"subject": {"reference": "Patient/p"}, **condition}}]}
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(bundle).encode())
    assert status == 0, err
    result = json.loads(out)
    return result["case"], {w["id"]: w["message"] for w in result["warnings"]}


@pytest.mark.parametrize(("code", "text", "pattern", "laterality"), [
    ("HP:0012408", "Left medullary nephrocalcinosis", "medullary", "unilateral"),
    ("HP:0012408", "Bilateral nephrocalcinosis", "medullary", "bilateral"),
    ("HP:0000121", "Medullary nephrocalcinosis", "medullary", None),
    ("HP:0000121", "Right cortical nephrocalcinosis", "cortical", "unilateral"),
])
def test_a_coded_nephrocalcinosis_keeps_the_side_and_pattern_its_text_names(code: str, text: str, pattern: str,
                                                                             laterality: str | None) -> None:
    case, said = _diff_nc_fhir(_nc(code, text))
    assert case["pattern"] == pattern and case.get("laterality") == laterality, case
    assert f"named {text!r}" in said["fhir_name_refines_code"]


RIGHT_KIDNEY = {"bodySite": [{"coding": [{"system": SNOMED, "code": "9846003", "display": "Right kidney"}]}]}


@pytest.mark.parametrize("condition", [
    _nc("HP:0012408", "Left medullary nephrocalcinosis", **RIGHT_KIDNEY),
    {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0012408",
                                                       "display": "Right nephrocalcinosis"}],
                                           "text": "Left medullary nephrocalcinosis"}},
])
def test_a_coded_nephrocalcinosis_named_with_two_sides_gives_none(condition: dict[str, Any]) -> None:
    case, said = _diff_nc_fhir(condition)
    assert case["pattern"] == "medullary" and "laterality" not in case, case
    assert "fhir_side_conflict" in said and "fhir_name_refines_code" not in said


def test_a_coded_nephrocalcinosis_named_with_another_pattern_keeps_its_code_and_no_side() -> None:
    case, said = _diff_nc_fhir(_nc("HP:0012409", "Left medullary nephrocalcinosis"))
    assert case["pattern"] == "cortical" and "laterality" not in case, case
    assert "HP:0012409 has the text 'Left medullary nephrocalcinosis'" in said["fhir_display_of_another_term"]


V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


def _flagged(loinc: str, code: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
            "interpretation": [{"coding": [{"system": V3, "code": code}]}]}


@pytest.mark.parametrize(("total", "ionised", "clues"), [
    ("H", "N", {"hypercalcemia": False, "hypocalcemia": False}),
    ("L", "N", {"hypercalcemia": False, "hypocalcemia": False}),
    ("N", "H", {"hypercalcemia": True}),
])
def test_a_flag_of_a_lab_decided_over_gives_way_to_the_deciding_labs_flag(total: str, ionised: str,
                                                                          clues: dict[str, bool]) -> None:
    case, said = _diff_fhir(_flagged("17861-6", total), _flagged("1994-3", ionised))
    assert case["clues"] == clues, case
    assert f"serum_calcium {'high' if total == 'H' else 'low' if total == 'L' else 'normal'} ({total}): " \
        "ionized_calcium, flagged" in said["fhir_observations_not_read"]
    assert "fhir_present_and_absent" not in said


def test_a_phenopacket_flag_of_a_lab_decided_over_gives_way_too() -> None:
    def flagged(assay: str, term: str, label: str) -> dict[str, Any]:
        return {"assay": {"id": assay}, "value": {"ontologyClass": {"id": term, "label": label}}}
    phenopacket = {"id": "x", "subject": {"id": "s", "sex": "FEMALE"},
                   "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}],
                   "measurements": [flagged("LOINC:17861-6", "SNOMEDCT:75540009", "High"),
                                    flagged("LOINC:1994-3", "SNOMEDCT:17621005", "Normal")]}
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"], json.dumps(phenopacket).encode())
    assert status == 0, err
    result = json.loads(out)
    said = {w["id"]: w["message"] for w in result["warnings"]}
    assert result["case"]["clues"] == {"hypercalcemia": False, "hypocalcemia": False}
    assert "decides over serum_calcium" in said["phenopacket_measurements_not_read"]


RULES = Path(__file__).resolve().parent.parent / "rules"


def _with_synonyms(tmp_path: Path, line: str) -> Path:
    """A copy of the whole knowledge base whose hpo.toml [synonyms] begins with ``line``."""
    import shutil

    copy = tmp_path / "kb"
    shutil.copytree(RULES, copy)
    hpo = copy / "hpo.toml"
    text = hpo.read_text(encoding="utf-8")
    assert "\n[synonyms]\n" in text
    hpo.write_text(text.replace("\n[synonyms]\n", f"\n[synonyms]\n{line}\n", 1), encoding="utf-8")
    return copy


@pytest.mark.parametrize(("line", "said"), [
    ('"HP:9999999" = ["Odd finding"]', "hpo.toml: synonyms: HP:9999999 has no entry in [labels]"),
    # the label of Hypercalcemia given to Uveitis as a synonym (case and spaces aside)
    ('"HP:0000554" = ["hyper  calcemia", "HYPERCALCEMIA"]',
     "hpo.toml: synonyms: HP:0000554's 'HYPERCALCEMIA' also names HP:0003072"),
])
def test_a_synonym_of_no_named_term_or_of_two_terms_is_refused(tmp_path: Path, line: str, said: str) -> None:
    status, _, err = invoke(["rules", "check", str(_with_synonyms(tmp_path, line))])
    assert status == 2, err
    assert said in err, err
    assert "Traceback" not in err


SNOMED = "http://snomed.info/sct"


def _report(conclusion: str, code: str, display: str) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-01-01"}
    report = {"resourceType": "DiagnosticReport", "status": "final", "subject": {"reference": "Patient/p"},
              "code": {"text": "US kidneys"}, "conclusion": conclusion,
              "conclusionCode": [{"coding": [{"system": SNOMED, "code": code, "display": display}]}]}
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}, {"resource": report}]}


@pytest.mark.parametrize(("conclusion", "code", "pattern", "laterality", "note"), [
    # the generic code: the conclusion gives the pattern and the side
    ("Bilateral medullary nephrocalcinosis.", "48638002", "medullary", "bilateral", "fhir_name_refines_code"),
    # the pattern coded: the conclusion gives the side
    ("Simple cyst. Left medullary nephrocalcinosis.", "236447005", "medullary", "unilateral",
     "fhir_name_refines_code"),
    # a conclusion of another pattern than the code gives neither, and is said
    ("Bilateral cortical nephrocalcinosis.", "236447005", "medullary", None, "fhir_display_of_another_term"),
    # two sides named: none
    ("Left nephrocalcinosis. Right medullary nephrocalcinosis.", "48638002", "medullary", None, "fhir_side_conflict"),
    # two patterns named beside the generic code: neither, nor a side, and said
    ("Left medullary nephrocalcinosis; left cortical nephrocalcinosis.", "48638002", None, None,
     "fhir_display_of_another_term"),
    # the report codes a stone only: its sentence of nephrocalcinosis is read as a report's without codes
    ("Right renal calculus. Bilateral medullary nephrocalcinosis.", "95570007", "medullary", "bilateral",
     "fhir_finding_read_from_text"),
    # ... but not a sentence that denies it
    ("Right renal calculus. No medullary nephrocalcinosis.", "95570007", None, None, None),
])
def test_a_coded_report_conclusion_keeps_the_side_and_pattern_its_text_names(
        conclusion: str, code: str, pattern: str | None, laterality: str | None, note: str | None) -> None:
    display = {"48638002": "Nephrocalcinosis", "236447005": "Medullary nephrocalcinosis"}.get(code, "Kidney stone")
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"],
                              json.dumps(_report(conclusion, code, display)).encode())
    assert status == 0, err
    result = json.loads(out)
    assert result["case"].get("pattern") == pattern
    assert result["case"].get("laterality") == laterality
    if note is not None:
        assert note in [w["id"] for w in result["warnings"]], result["warnings"]
