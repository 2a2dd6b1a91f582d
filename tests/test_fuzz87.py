"""Robustness round 87: what was mended.

- an ICD-10-CM code written without its dot, as many US exports send it (N184, N186, Z992, E8352), was read by its
  category alone (N18: chronic kidney disease, not the advanced CKD of N18.4 nor the dialysis of N18.6) or not at all;
  a text that is no ICD-10-CM code ("C3", "N18-4") was read through a block or a category (a malignancy, a CKD); a
  block of categories of two letters (C00-D49, which `rules check` accepts) held only those of its first letter, and
  of two blocks the first listed won, not the narrowest. A code is now read whatever its case, spaces and dot, a text
  that is no code is said unread, and the narrowest block decides;
- `rules check` accepted a lab's flags that name a clue on the wrong side of the range (serum calcium
  ``high = ["hypocalcemia"]``, ``low = ["hypercalcemia"]``): a calcium flagged High would have been read as
  hypocalcaemia. A high flag may name only a clue read above a limit, a low one only a clue read below one;
- a result given as a flag alone was read as a stated finding even beside a measured value of another lab that reads
  the same finding: a total calcium flagged Normal beside an ionised calcium of 1.6 mmol/L read hypercalcaemia absent,
  and the measured value lost ("the stated clue was used"). The value is now read and the flag said set aside, unless
  the flagged lab is the one that decides (an ionised calcium flagged High beside a total calcium value);
- a flag's code was read in any code system (a local "N", Not done, as Normal; a phenopacket's LOCAL:N too), and of a
  code and words that disagree (N written "High", SNOMEDCT:17621005 labelled "High") the code alone was read; a FHIR
  flag beside a dataAbsentReason (error) was read as the result. A code is read in HL7's and SNOMED CT's systems, and
  disagreeing flags, or a flag of a result that is absent, are not used, and said;
- a name of nephrocalcinosis was read whatever its trailing parenthesis said: "Medullary nephrocalcinosis (likely)",
  "(resolved)", "(in mother)", "(cannot be excluded)" as present, "Bilateral medullary nephrocalcinosis (right kidney
  spared)" as bilateral, "Medullary nephrocalcinosis (cortical)" as medullary. A parenthesis that negates, hedges,
  ends the course, names a relative or another pattern or side now makes the text no name; one that notes how it was
  seen ("(pattern not specified)", "(papillary calcification)") is still set aside;
- a report conclusion was cut into sentences at every line break, so a negation wrapped over two lines ("No evidence
  of\nmedullary nephrocalcinosis.") gave a line that is a name, read as present; a line break alone no longer ends a
  sentence;
- a body site named in words whose text and display disagree ("Left kidney" beside "Right kidney", or beside
  "Heart") was read by the first name, without a word; it is now said unread;
- a finding after parathyroid surgery was a post-treatment state only in the words "after/following ...
  parathyroidectomy" ending the text: "Hypocalcaemia (post-parathyroidectomy)", "Hypocalcaemia, s/p
  parathyroidectomy", "Hypocalcaemia after parathyroidectomy in 2019" were read as at presentation, beside the
  hypercalcaemia they followed; and "Recurrent hypercalcaemia after parathyroidectomy", the disease come back, was not
  read at all. Each form is now read alike, and a finding said to persist or recur is the patient's;
- a pyuria beside a urine culture that grew nothing was read as sterile pyuria even beside another culture that grew
  E. coli, or when the "no growth" went on to name one ("No growth of Candida; E. coli >10^5 CFU/mL"); a culture that
  grew now denies it, and is said;
- an ICD-10-CM code displayed with the name of a finding it does not mean (E83.52 "Hypokalemia") was read by its
  code without a word, where an HPO id displayed so is said; it is said too (a display its code's finding implies,
  N18.4 "Chronic kidney disease", is no other finding).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, renamed

from nephrocalc.knowledge import icd10cm_meaning
from nephrocalc.loader import builtin_rules_dir

HPO = "http://purl.obolibrary.org/obo/hp.owl"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-01-01"}
    nephrocalcinosis = {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": patient}, *({"resource": {"subject": {"reference": "Patient/p"}, **r}}
                                               for r in (nephrocalcinosis, *resources))]}


def _diff_fhir(*resources: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(_bundle(*resources)).encode())
    assert status == 0, err
    result = json.loads(out)
    return result["case"], {w["id"]: w["message"] for w in result["warnings"]}


def _icd(code: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "code": {"coding": [{"system": ICD10CM, "code": code}]}}


@pytest.mark.parametrize(("code", "clue"), [("N184", "advanced_ckd"), ("n18 .4", "advanced_ckd"),
                                            ("N186", "kidney_failure"), ("Z992", "kidney_failure"),
                                            ("e8352", "hypercalcemia"), ("N1830", "ckd")])
def test_an_icd10cm_code_without_its_dot_is_read_as_the_code(code: str, clue: str) -> None:
    case, said = _diff_fhir(_icd(code))
    assert clue in case["clues"] and case["clues"][clue] is True, case
    if clue != "ckd":
        assert "ckd" not in case["clues"]  # not the broader category alone (ckd is implied, and said so)
    assert "fhir_codes_not_mapped" not in said


@pytest.mark.parametrize("code", ["C3", "C9", "N18-4", "N18.4.", "N18.4-"])
def test_a_text_that_is_no_icd10cm_code_is_said_unread(code: str) -> None:
    case, said = _diff_fhir(_icd(code))
    assert "clues" not in case, case
    assert code in said["fhir_codes_not_mapped"]


def test_a_block_holds_the_categories_of_every_letter_in_it_and_the_narrowest_decides() -> None:
    codes = {"C00-D49": ("neoplasm",), "C30-C39": ("thoracic",), "D50-D89": ("blood",)}
    assert icd10cm_meaning(codes, "D10.1") == ("neoplasm",)
    assert icd10cm_meaning(codes, "C34.90") == ("thoracic",)
    assert icd10cm_meaning(codes, "C50.9") == ("neoplasm",)
    assert icd10cm_meaning(codes, "D64.9") == ("blood",)
    assert icd10cm_meaning(codes, "E83.52") == ()
    assert icd10cm_meaning({"C30-C39": ("thoracic",), "C00-C96": ("malignancy",)}, "C34.90") == ("thoracic",)


CALCIUM_FLAGS = 'high = ["hypercalcemia"]\nlow = ["hypocalcemia"]\n'


@pytest.mark.parametrize(("flags", "field", "said"), [
    ('high = ["hypocalcemia"]\n', "flags.high.0", "'hypocalcemia' is read only below this lab's limits"),
    ('high = ["hypercalcemia"]\nlow = ["hypercalcemia"]\n', "flags", "documented by a high and a low result"),
    ('low = ["hypercalcemia"]\n', "flags.low.0", "'hypercalcemia' is read only above this lab's limits"),
])
def test_a_flag_naming_a_clue_of_the_other_side_of_the_range_is_refused(tmp_path: Path, flags: str, field: str,
                                                                        said: str) -> None:
    root = tmp_path / "kb"
    shutil.copytree(builtin_rules_dir(), root, ignore=shutil.ignore_patterns("extended"))
    renamed(root)
    labs = root / "labs.toml"
    text = labs.read_text(encoding="utf-8")
    assert CALCIUM_FLAGS in text
    labs.write_text(text.replace(CALCIUM_FLAGS, flags, 1), encoding="utf-8")
    status, _, err = invoke(["rules", "check", str(root)])
    assert status == 2, err
    assert f"labs.toml: labs.serum_calcium.{field}: " in err and said in err
    assert "Traceback" not in err


SNOMED = "http://snomed.info/sct"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


def _lab(loinc: str, **value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]}, **value}


def _flag(code: str) -> dict[str, Any]:
    return {"interpretation": [{"coding": [{"system": V3, "code": code}]}]}


def _ionised(value: float) -> dict[str, Any]:
    return _lab("1994-3", valueQuantity={"value": value, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                                         "code": "mmol/L"})


@pytest.mark.parametrize(("flag", "value"), [("N", 1.6), ("H", 1.2)])
def test_a_flag_does_not_overrule_a_measured_value_of_another_lab_of_its_finding(flag: str, value: float) -> None:
    case, said = _diff_fhir(_lab("17861-6", **_flag(flag)), _ionised(value))
    assert "hypercalcemia" not in case.get("clues", {}), case
    assert case["labs"]["ionized_calcium"]["value"] == value
    assert f"serum_calcium {'normal' if flag == 'N' else 'high'} ({flag}), beside ionized_calcium" \
        in said["fhir_lab_flag_beside_value"]
    assert "lab_disagrees" not in said


def test_a_flag_of_the_lab_that_decides_is_still_read_beside_a_value_it_decides_over() -> None:
    total = _lab("17861-6", valueQuantity={"value": 9.4, "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                                           "code": "mg/dL"})
    case, said = _diff_fhir(_lab("1994-3", **_flag("H")), total)
    assert case["clues"]["hypercalcemia"] is True
    assert "ionized_calcium high (H)" in said["fhir_lab_flag_read"]


def test_a_phenopacket_flag_does_not_overrule_a_measured_value_of_another_lab() -> None:
    ionised = {"assay": {"id": "LOINC:1994-3"},
               "value": {"quantity": {"value": 1.6, "unit": {"id": "UCUM:mmol/L", "label": "mmol/L"}}}}
    case, said = _diff_phenopacket(_category("SNOMEDCT:17621005", "Normal"), ionised)
    assert "clues" not in case and case["labs"]["ionized_calcium"]["value"] == 1.6
    assert "beside ionized_calcium" in said["phenopacket_lab_flag_beside_value"]


@pytest.mark.parametrize("value", [
    {"valueCodeableConcept": {"coding": [{"system": "http://example.org/lab-results", "code": "N",
                                          "display": "Not performed"}]}},
    {"interpretation": [{"coding": [{"system": "http://example.org/flags", "code": "L"}]}]},
])
def test_a_flag_code_of_another_system_is_not_read_as_hl7s(value: dict[str, Any]) -> None:
    case, said = _diff_fhir(_lab("17861-6", **value))
    assert "clues" not in case, case
    assert "fhir_lab_flag_read" not in said


@pytest.mark.parametrize("value", [
    {"valueCodeableConcept": {"coding": [{"system": V3, "code": "N"}], "text": "High"}},
    {"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "17621005", "display": "High"}]}},
])
def test_a_flag_whose_code_and_words_disagree_is_not_used(value: dict[str, Any]) -> None:
    case, said = _diff_fhir(_lab("17861-6", **value))
    assert "clues" not in case, case
    assert "its flags disagree" in said["fhir_observations_not_read"]


def test_a_flag_beside_a_data_absent_reason_is_not_used() -> None:
    case, said = _diff_fhir(_lab("17861-6", dataAbsentReason={"text": "error"}, **_flag("H")))
    assert "clues" not in case, case
    assert "flagged H beside a dataAbsentReason (error), so not used" in said["fhir_observations_not_read"]


def _category(term: str, label: str) -> dict[str, Any]:
    return {"assay": {"id": "LOINC:17861-6"}, "value": {"ontologyClass": {"id": term, "label": label}}}


def _diff_phenopacket(*measurements: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    packet = {"id": "p1", "subject": {"id": "s1", "sex": "FEMALE",
                                      "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}], "measurements": list(measurements)}
    status, out, err = invoke(["diff", "--phenopacket", "-", "--format", "json"], json.dumps(packet).encode())
    assert status == 0, err
    result = json.loads(out)
    return result["case"], {w["id"]: w["message"] for w in result["warnings"]}


@pytest.mark.parametrize(("term", "label", "said"), [("LOCAL:N", "Not done", "LOCAL:N Not done"),
                                                     ("SNOMEDCT:17621005", "High", "flags that disagree")])
def test_a_phenopacket_flag_is_read_by_a_snomed_id_or_its_label_and_not_when_they_disagree(term: str, label: str,
                                                                                          said: str) -> None:
    case, notes = _diff_phenopacket(_category(term, label))
    assert "clues" not in case, case
    assert said in notes["phenopacket_measurements_categorical"]
    case, _ = _diff_phenopacket(_category("SNOMEDCT:62482003", "Low"))
    assert case["clues"] == {"hypocalcemia": True}


@pytest.mark.parametrize("text", ["Medullary nephrocalcinosis (likely)", "Medullary nephrocalcinosis (resolved)",
                                  "Medullary nephrocalcinosis (in mother)", "Medullary nephrocalcinosis (uncertain)",
                                  "Medullary nephrocalcinosis (cannot be excluded)",
                                  "Bilateral medullary nephrocalcinosis (right kidney spared)",
                                  "Medullary nephrocalcinosis (cortical)"])
def test_a_name_of_nephrocalcinosis_with_a_parenthesis_that_says_more_is_not_read(text: str) -> None:
    case, said = _diff_fhir_alone({"resourceType": "Condition", "code": {"text": text}})
    assert case["pattern"] is None and "laterality" not in case, case
    assert "fhir_without_nephrocalcinosis" in said


@pytest.mark.parametrize(("text", "pattern"), [
    ("Medullary nephrocalcinosis (papillary calcification)", "medullary"),
    ("Medullary nephrocalcinosis (present at diagnosis, before treatment)", "medullary"),
    ("Bilateral nephrocalcinosis (pattern not specified)", None),
    ("Medullary nephrocalcinosis (left kidney only)", "medullary"),  # a side the name does not give: none read
])
def test_a_parenthesis_that_notes_how_it_was_seen_is_read_aside(text: str, pattern: str | None) -> None:
    case, said = _diff_fhir_alone({"resourceType": "Condition", "code": {"text": text}})
    assert case["pattern"] == pattern, case
    assert case.get("laterality") == ("bilateral" if text.startswith("Bilateral") else None)
    assert "fhir_without_nephrocalcinosis" not in said and repr(text)[:40] in said["fhir_finding_read_from_text"]


def _diff_fhir_alone(resource: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    bundle = _bundle(resource)
    del bundle["entry"][1]  # no nephrocalcinosis Condition but this one
    status, out, err = invoke(["diff", "--fhir", "-", "--format", "json"], json.dumps(bundle).encode())
    assert status == 0, err
    result = json.loads(out)
    return result["case"], {w["id"]: w["message"] for w in result["warnings"]}


def _report(conclusion: str) -> dict[str, Any]:
    return {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "US kidneys"},
            "conclusion": conclusion}


@pytest.mark.parametrize("conclusion", ["No evidence of\nmedullary nephrocalcinosis.",
                                        "Negative for:\nMedullary nephrocalcinosis\nHydronephrosis"])
def test_a_sentence_wrapped_over_two_lines_is_read_whole(conclusion: str) -> None:
    case, said = _diff_fhir_alone(_report(conclusion))
    assert case["pattern"] is None, case
    assert "free text is not read" in said["fhir_codes_not_mapped"]
    case, _ = _diff_fhir_alone(_report("No hydronephrosis.\n\nBilateral medullary\nnephrocalcinosis."))
    assert case["pattern"] == "medullary" and case["laterality"] == "bilateral"


@pytest.mark.parametrize("display", ["Right kidney", "Heart"])
def test_a_body_site_whose_names_disagree_gives_no_side_and_is_said(display: str) -> None:
    site = {"text": "Left kidney", "coding": [{"system": "http://example.org/sites", "code": "X", "display": display}]}
    nephrocalcinosis = {"resourceType": "Condition", "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]},
                        "bodySite": [site]}
    case, said = _diff_fhir_alone(nephrocalcinosis)
    assert "laterality" not in case, case
    assert any(display in message and "body site" in message for message in said.values()), said
    case, _ = _diff_fhir_alone({**nephrocalcinosis, "bodySite": [{**site, "coding": [{"display": "Left kidney"}]}]})
    assert case["laterality"] == "unilateral"


@pytest.mark.parametrize("text", ["Hypocalcaemia (post-parathyroidectomy)", "Hypocalcaemia, s/p parathyroidectomy",
                                  "Hypocalcaemia status post parathyroidectomy",
                                  "Hypocalcaemia after parathyroidectomy in 2019",
                                  "Hypocalcaemia after parathyroidectomy for adenoma"])
def test_a_finding_after_parathyroid_surgery_is_a_post_treatment_state_however_written(text: str) -> None:
    hypocalcaemia = {"resourceType": "Condition",
                     "code": {"coding": [{"system": "http://snomed.info/sct", "code": "5291005"}], "text": text}}
    case, said = _diff_fhir(hypocalcaemia)
    assert "clues" not in case, case
    assert "parathyroid" in said["fhir_text_denies_code"]


@pytest.mark.parametrize("text", ["Recurrent hypercalcaemia after parathyroidectomy",
                                  "Hypercalcaemia persisting after parathyroid adenoma excision",
                                  "Post-parathyroidectomy recurrent hypercalcaemia"])
def test_a_finding_that_persists_or_recurs_after_parathyroid_surgery_is_read(text: str) -> None:
    hypercalcaemia = {"resourceType": "Condition",
                      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "66931009"}], "text": text}}
    case, said = _diff_fhir(hypercalcaemia)
    assert case["clues"] == {"hypercalcemia": True}
    assert "fhir_text_denies_code" not in said


def _culture(text: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "630-4"}]},
            "valueCodeableConcept": {"text": text}}


PYURIA = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "4800001", "display": "Pyuria"}]}}


@pytest.mark.parametrize("cultures", [("No growth", "Escherichia coli >10^5 CFU/mL"),
                                      ("No growth of Candida; E. coli >10^5 CFU/mL",)])
def test_a_urine_culture_that_grew_denies_a_sterile_pyuria(cultures: tuple[str, ...]) -> None:
    case, said = _diff_fhir(PYURIA, *(_culture(text) for text in cultures))
    assert "sterile_pyuria" not in case.get("clues", {}), case
    assert "a urine culture that grew: no sterile pyuria" in said["fhir_codes_not_mapped"]
    case, _ = _diff_fhir(PYURIA, _culture("No growth at 48 hours"))
    assert case["clues"] == {"sterile_pyuria": True}


def test_an_icd10cm_code_displayed_with_the_name_of_another_finding_is_said() -> None:
    coded = {"resourceType": "Condition", "code": {"coding": [{"system": ICD10CM, "code": "E83.52",
                                                               "display": "Hypokalemia"}]}}
    case, said = _diff_fhir(coded)
    assert case["clues"] == {"hypercalcemia": True}
    assert "ICD-10-CM E83.52 is displayed 'Hypokalemia'" in said["fhir_display_of_another_term"]
    for code, display in (("E83.52", "Hypercalcemia"), ("N18.4", "Chronic kidney disease")):
        coded["code"]["coding"][0].update(code=code, display=display)
        _, said = _diff_fhir(coded)
        assert "fhir_display_of_another_term" not in said, display
