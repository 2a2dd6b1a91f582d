"""Black-box fuzz review 46: dates at the ends of the calendar, and a defect met on one batch line. Each test fails
without its fix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke, run_document

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
NC = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": "236447005"}]}}
PATIENT = {"resourceType": "Patient", "gender": "female", "birthDate": "1980-01-01"}
CALCIUM = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": LOINC, "code": "17861-6"}]},
           "valueQuantity": {"value": 11.8, "unit": "mg/dL"}}


def _bundle(*resources: dict[str, Any], patient: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "timestamp": "2026-01-01T00:00:00Z",
            "entry": [{"resource": r} for r in (patient or PATIENT, NC, *resources)]}


def _messages(result: dict[str, Any]) -> str:
    return " ".join(" ".join(w["message"].split()) for w in result["warnings"])


@pytest.mark.parametrize(("bundle", "said"), [
    (_bundle(CALCIUM, patient={**PATIENT, "birthDate": "9999-12-31"}),
     'Patient.birthDate: the string "9999-12-31" is outside the years 1000-9000'),
    (_bundle(patient={**PATIENT, "deceasedDateTime": "9999-12-31"}),
     'Patient.deceasedDateTime: the string "9999-12-31" is outside the years 1000-9000'),
    (_bundle({**CALCIUM, "effectiveDateTime": "9999-06-30"}),
     'Observation.effectiveDateTime: the string "9999-06-30" is outside the years 1000-9000'),
    (_bundle({**CALCIUM, "effectiveDateTime": "0001-01-01T00:00:00+14:00"}),
     "is outside the years 1000-9000"),
])
def test_a_date_at_the_end_of_the_calendar_is_said_not_an_internal_error(tmp_path: Any, bundle: dict[str, Any],
                                                                         said: str) -> None:
    # each was "internal error (ValueError: year 10000 is out of range)", exit 1
    assert said in _messages(run_document(tmp_path, "--fhir", bundle))


def test_a_phenopacket_date_of_birth_not_read_beside_an_age_is_said(tmp_path: Any) -> None:
    for born, said in (("9999-12-31", "is outside the years 1000-9000"), ("garbage", "is not an ISO 8601 date")):
        packet = {"id": "p", "subject": {"id": "x", "dateOfBirth": born,
                                         "timeAtLastEncounter": {"age": {"iso8601duration": "P6Y"}}},
                  "phenotypicFeatures": [{"type": {"id": "HP:0012408"}}]}
        result = run_document(tmp_path, "--phenopacket", packet)
        assert f"subject.dateOfBirth: '{born}' {said}" in _messages(result)
        assert result["case"]["age_years"] == 6.0


def test_a_defect_met_on_one_batch_line_is_that_lines_error_and_the_run_goes_on(tmp_path: Any,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import nephrocalc.batch as batch

    real = batch.parse_case

    def parse(raw: Any, *args: Any, **kwargs: Any) -> Any:
        if b'"boom"' in bytes(raw):
            raise ValueError("year 10000 is out of range")
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(batch, "parse_case", parse)
    lines = [{"id": "a", "pattern": "medullary"}, {"id": "boom", "pattern": "medullary"},
             {"id": "c", "pattern": "cortical"}]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    status, out, _ = invoke(["batch", str(path)])
    records = [json.loads(line) for line in out.splitlines()]
    assert status != 0
    assert [r.get("id") for r in records] == ["a", "boom", "c"]
    assert records[1]["error"].startswith("internal error (ValueError: year 10000 is out of range)")
    assert records[1]["line"] == 2


@pytest.mark.parametrize("args", [["diff", "--case", "-"], ["batch", "-"]])
def test_a_misspelt_pattern_key_is_named_not_reported_as_a_missing_pattern(args: list[str]) -> None:
    # "--pattern: required" hid the typo; the unknown key was named only once --pattern was given as well
    status, out, err = invoke(args, stdin=b'{"Pattern": "medullary"}\n')
    assert status != 0
    assert "Pattern: unknown field; did you mean 'pattern'?" in err + out
    # with no such key, a missing pattern is still what is said
    status, out, err = invoke(args, stdin=b'{"age_years": 3}\n')
    assert "pattern: required" in err + out


def test_a_phenopacket_age_taken_at_the_onset_is_said_as_such(tmp_path: Any) -> None:
    # the warning said the date of birth "gives no age" while the case took 2 years from it and the onset
    packet = {"id": "p", "subject": {"id": "x", "dateOfBirth": "2020-01-01T00:00:00Z"},
              "phenotypicFeatures": [{"type": {"id": "HP:0012408"}, "onset": {"timestamp": "2022-01-01T00:00:00Z"}}]}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["age_years"] == 2.0
    assert "gives no age" not in _messages(result)
    assert "the age (2 years) is that at the onset of the nephrocalcinosis" in _messages(result)


def test_the_deceased_without_date_note_reads_as_english(tmp_path: Any) -> None:
    bundle = _bundle(CALCIUM, patient={**PATIENT, "deceasedBoolean": True})
    said = _messages(run_document(tmp_path, "--fhir", bundle))
    assert "the latest date of the record, and may exceed the age at death" in said


def test_an_unreadable_bundle_timestamp_and_a_deceased_flag_not_boolean_are_said(tmp_path: Any) -> None:
    # each was dropped without a word when another date gave the age
    stamped = {**_bundle({**CALCIUM, "effectiveDateTime": "2025-01-01"}), "timestamp": "2026-13-45T99:00:00Z"}
    assert 'Bundle.timestamp: the string "2026-13-45T99:00:00Z" is not an ISO 8601 date' in \
        _messages(run_document(tmp_path, "--fhir", stamped))
    flagged = _bundle(CALCIUM, patient={**PATIENT, "deceasedBoolean": "yes"})
    assert 'Patient.deceasedBoolean: the string "yes" is not true or false' in \
        _messages(run_document(tmp_path, "--fhir", flagged))


def test_a_unit_written_as_another_kind_than_its_code_is_said(tmp_path: Any) -> None:
    # code mmol/L, written mg/dL: read as 14 mmol/L without a word, as the text is no bicarbonate unit
    bicarbonate = {"resourceType": "Observation", "status": "final",
                   "code": {"coding": [{"system": LOINC, "code": "1963-8"}]},
                   "valueQuantity": {"value": 14, "code": "mmol/L", "unit": "mg/dL"}}
    said = _messages(run_document(tmp_path, "--fhir", _bundle(bicarbonate)))
    assert "serum_bicarbonate 14: code 'mmol/L', written 'mg/dL'" in said
    # free text that names no unit is no disagreement
    plain = {**bicarbonate, "valueQuantity": {"value": 14, "code": "mmol/L", "unit": "millimoles per litre"}}
    assert "written" not in _messages(run_document(tmp_path, "--fhir", _bundle(plain)))


def test_a_phenopacket_without_subject_or_with_two_kinds_of_time_says_so(tmp_path: Any) -> None:
    features = [{"type": {"id": "HP:0012408"}}]
    bare = run_document(tmp_path, "--phenopacket", {"id": "p", "phenotypicFeatures": features})
    assert "The phenopacket has no subject: the sex is unknown and so is the age" in _messages(bare)
    both = {"id": "p", "phenotypicFeatures": features,
            "subject": {"id": "x", "dateOfBirth": "2000-01-01", "timeAtLastEncounter": {
                "age": {"iso8601duration": "P6Y"}, "timestamp": "2020-01-01T00:00:00Z"}}}
    said = _messages(run_document(tmp_path, "--phenopacket", both))
    assert "subject.timeAtLastEncounter gives age and timestamp; a time element holds one of them" in said


def test_a_pack_that_replaces_an_extended_cause_says_so_with_extended() -> None:
    from pathlib import Path

    pack = Path(__file__).parent.parent / "docs" / "packs" / "bartter"
    status, _, err = invoke(["rules", "check", str(pack), "--extended"])
    assert status == 0
    assert "replaces the built-in cause bartter_syndrome" in err
    # without --extended the pack's cause is a new one, and no replacement is said
    status, _, err = invoke(["rules", "check", str(pack)])
    assert status == 0 and "replaces" not in err


@pytest.mark.parametrize(("text", "years"), [("P6,5Y", 6.5), ("P1.5Y2M", None), ("P2Y6M", 2.5),
                                             ("P2Y0.5M", 2 + 0.5 / 12)])
def test_iso_8601_durations_take_a_decimal_comma_and_a_fraction_only_last(text: str, years: float | None) -> None:
    # P6,5Y (ISO 8601's decimal comma) was refused, and P1.5Y2M (a fraction before the last unit) read as 1.67 years
    from nephrocalc.interop.phenopacket import iso_duration_years

    assert iso_duration_years(text) == (pytest.approx(years) if years is not None else None)


def test_utf16_without_a_byte_order_mark_is_named(tmp_path: Any) -> None:
    # ASCII text in UTF-16LE decodes as UTF-8 with NULs, so no encoding was named: "expected a string key"
    path = tmp_path / "packet.json"
    path.write_bytes('{"id": "p", "phenotypicFeatures": []}'.encode("utf-16-le"))
    status, _, err = invoke(["diff", "--phenopacket", str(path)])
    assert status == 2
    assert "the text is UTF-16: save it as UTF-8" in err
