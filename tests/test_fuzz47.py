"""Black-box fuzz review 47: an onset of nephrocalcinosis close to the age, the age a written phenopacket carries,
every coding of a FHIR concept, a Bundle dated in the future, and the exit status of a batch whose output closes.
Each test fails without its fix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke, run_document

HPO = "http://purl.obolibrary.org/obo/hp.owl"


def _messages(result: dict[str, Any]) -> str:
    return " ".join(" ".join(w["message"].split()) for w in result["warnings"])


def _ranking(result: dict[str, Any]) -> list[str]:
    return [e["cause"] for e in result["differential"]]


def _run(tmp_path: Any, flag: str, document: dict[str, Any], *args: str) -> dict[str, Any]:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    status, out, err = invoke(["diff", flag, str(path), *args, "--format", "json"])
    assert status == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def _neonate_packet(age: str, onset: str) -> dict[str, Any]:
    return {"id": "pp1",
            "subject": {"id": "s", "sex": "MALE", "timeAtLastEncounter": {"age": {"iso8601duration": age}}},
            "phenotypicFeatures": [{"type": {"id": "HP:0012408"}, "onset": {"age": {"iso8601duration": onset}}}]}


def _neonate_bundle(onset: dict[str, Any]) -> dict[str, Any]:
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p1"},
                 "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}, **onset}
    return {"resourceType": "Bundle", "type": "collection", "timestamp": "2024-05-21T00:00:00Z",
            "entry": [{"resource": {"resourceType": "Patient", "id": "p1", "gender": "male",
                                    "birthDate": "2024-05-01"}}, {"resource": condition}]}


@pytest.mark.parametrize(("flag", "document"), [
    ("--phenopacket", _neonate_packet("P20D", "P3D")),
    ("--fhir", _neonate_bundle({"onsetDateTime": "2024-05-04"})),
    ("--fhir", _neonate_bundle({"onsetAge": {"value": 3, "unit": "d", "system": "http://unitsofmeasure.org",
                                             "code": "d"}})),
])
def test_an_onset_of_nephrocalcinosis_days_before_the_age_is_used_as_the_onset_age_is(tmp_path: Any, flag: str,
                                                                                      document: dict[str, Any]) -> None:
    # an onset within a month of the age was dropped without a word: chronic hypercalciuria led at 0.836, where the
    # same facts as --age/--onset-age rank transient neonatal medullary echogenicity first
    result = _run(tmp_path, flag, document, "--extended")
    assert result["case"]["onset_age_years"] == pytest.approx(3 / 365.25, abs=1e-4)
    assert "Nephrocalcinosis was found at 3 days, the patient is 20 days" in _messages(result)
    status, out, err = invoke(["diff", "-p", "medullary", "--age", "20d", "--onset-age", "3d", "--sex", "male",
                               "--extended", "--format", "json"])
    assert status == 0, err
    given = json.loads(out)
    assert _ranking(result) == _ranking(given)
    assert result["differential"][0]["cause"] == "transient_neonatal_medullary_echogenicity"


def test_an_onset_after_the_age_within_a_month_is_said_not_dropped(tmp_path: Any) -> None:
    result = run_document(tmp_path, "--phenopacket", _neonate_packet("P3D", "P20D"))
    assert "onset_age_years" not in result["case"]
    assert "The onset of nephrocalcinosis (20 days) is after the age of the record (3 days)" in _messages(result)


@pytest.mark.parametrize("args", [["--age", "0.02"], ["--age", "17.99"], ["--age", "0.06", "--onset-age", "0.005"],
                                  ["--age", "58.1355", "--onset-age", "0.3"], ["--age", "20d", "--onset-age", "3d"]])
def test_a_written_phenopacket_reads_back_as_the_same_case_and_ranking(tmp_path: Any, args: list[str]) -> None:
    # 0.02 years (7.305 days) was written P7DT7H (7.29 days), inside the first week's band: read back, the top cause
    # flipped from chronic hypercalciuria to transient neonatal medullary echogenicity
    given = ["diff", "-p", "medullary", *args, "--extended"]
    status, written, err = invoke([*given, "--format", "phenopacket"])
    assert status == 0, err
    status, out, err = invoke([*given, "--format", "json"])
    assert status == 0, err
    direct = json.loads(out)
    back = _run(tmp_path, "--phenopacket", json.loads(written), "--extended")
    for field in ("age_years", "onset_age_years"):
        assert back["case"].get(field) == direct["case"].get(field)
    assert [(e["cause"], e["probability"]) for e in back["differential"]] == \
        [(e["cause"], e["probability"]) for e in direct["differential"]]


def _bundle(*resources: dict[str, Any], timestamp: str = "2024-06-01T00:00:00Z") -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-01-15"}
    return {"resourceType": "Bundle", "type": "collection", "timestamp": timestamp,
            "entry": [{"resource": r} for r in (patient, *resources)]}


def _condition(*codes: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": HPO, "code": code} for code in codes]}}


@pytest.mark.parametrize("codes", [("HP:0012408", "HP:0012409"), ("HP:0012409", "HP:0012408")])
def test_every_coding_of_a_concept_gives_the_pattern_whatever_their_order(tmp_path: Any,
                                                                         codes: tuple[str, ...]) -> None:
    # only the first coding was read: medullary one way round, cortical the other, and nothing said
    result = run_document(tmp_path, "--fhir", _bundle(_condition(*codes)))
    assert result["case"]["pattern"] == "combined"
    said = [w["message"] for w in result["warnings"] if w["id"] == "fhir_codings_disagree"]
    assert len(said) == 1 and "HP:0012408 (medullary)" in said[0] and "HP:0012409 (cortical)" in said[0]


def test_every_coding_of_a_concept_gives_its_finding(tmp_path: Any) -> None:
    # [hypokalaemia, hypocalciuria] gave hypokalemia alone; hypocalciuria was dropped without a word
    result = run_document(tmp_path, "--fhir", _bundle(_condition("HP:0012408"), _condition("HP:0002900", "HP:0003127")))
    assert result["case"]["clues"] == {"hypokalemia": True, "hypocalciuria": True}
    assert "HP:0002900 (hypokalemia); HP:0003127 (hypocalciuria)" in _messages(result)


def test_codings_that_agree_or_refine_each_other_are_no_disagreement(tmp_path: Any) -> None:
    snomed_nc = {"system": "http://snomed.info/sct", "code": "236447005"}  # nephrocalcinosis, of no pattern
    condition = _condition("HP:0012408")
    condition["code"]["coding"].insert(0, snomed_nc)
    result = run_document(tmp_path, "--fhir", _bundle(condition))
    assert result["case"]["pattern"] == "medullary"
    assert not any(w["id"] == "fhir_codings_disagree" for w in result["warnings"])


@pytest.mark.parametrize("meta", [False, True])
def test_a_bundle_dated_in_the_future_gives_no_age_and_says_so(tmp_path: Any, meta: bool) -> None:
    # a timestamp of 2030 made a patient born in 1980 50 years old without a word, where a future effectiveDateTime
    # or recordedDate is refused
    from datetime import UTC, datetime, timedelta

    later = (datetime.now(UTC) + timedelta(days=800)).strftime("%Y-%m-%dT00:00:00Z")  # an age of 1980 + 47 or so
    bundle = _bundle(_condition("HP:0012408"), timestamp=later)
    if meta:
        del bundle["timestamp"]
        bundle["meta"] = {"lastUpdated": later}
    result = run_document(tmp_path, "--fhir", bundle)
    assert "age_years" not in result["case"]
    field = "meta.lastUpdated" if meta else "timestamp"
    assert f'Bundle.{field}: the string "{later}" is in the future' in _messages(result)


def test_a_batch_whose_output_closes_still_exits_non_zero_after_a_failed_line() -> None:
    # `batch big.jsonl -f csv | head -c 100` said "line 2: ... unknown field" on stderr and exited 0: the closed pipe
    # was taken for a reader that had all it wanted, and the failed line was forgotten
    import os
    import subprocess
    import sys

    good, bad = json.dumps({"id": "a", "pattern": "medullary"}), json.dumps({"id": "b", "pattern": "medullary", "x": 1})
    command = [sys.executable, "-m", "nephrocalc", "batch", "-", "--format", "csv"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(f"{good}\n{bad}\n".encode())
        proc.stdin.flush()
        # the two lines are ranked before the next read would block, and the output flushed: the header and a's row
        assert proc.stdout.readline().startswith(b"id,") and proc.stdout.readline().startswith(b"a,")
        proc.stdout.close()  # the reader goes away, as `head -c 100` does
        proc.stdin.write(f"{good}\n".encode())
        proc.stdin.close()
        stderr = proc.stderr.read().decode("utf-8", "replace")
        status = proc.wait(timeout=60)
    assert status == 2, stderr
    assert "line 2 (b):" in stderr and "1 of 3 lines failed before the output was closed" in stderr
    assert "Traceback" not in stderr
    # a closed pipe after lines that all succeeded stays exit 0 (`| head` is not an error)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(command, input=f"{good}\n".encode(), stdout=write_end, stderr=subprocess.PIPE,
                              timeout=60, check=False)
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
