"""Robustness round 87: what was mended.

- an ICD-10-CM code written without its dot, as many US exports send it (N184, N186, Z992, E8352), was read by its
  category alone (N18: chronic kidney disease, not the advanced CKD of N18.4 nor the dialysis of N18.6) or not at all;
  a text that is no ICD-10-CM code ("C3", "N18-4") was read through a block or a category (a malignancy, a CKD); a
  block of categories of two letters (C00-D49, which `rules check` accepts) held only those of its first letter, and
  of two blocks the first listed won, not the narrowest. A code is now read whatever its case, spaces and dot, a text
  that is no code is said unread, and the narrowest block decides;
- `rules check` accepted a lab's flags that name a clue on the wrong side of the range (serum calcium
  ``high = ["hypocalcemia"]``, ``low = ["hypercalcemia"]``): a calcium flagged High would have been read as
  hypocalcaemia. A high flag may name only a clue read above a limit, a low one only a clue read below one.
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
