"""Robustness round 91 (documents as real systems export them): what was mended.

- a phenopacket of a deceased subject that gives the age at death (``vitalStatus.timeOfDeath``, as phenopacket-store
  writes a case report's "died at 4 months") and no ``timeAtLastEncounter`` left the age unknown, the time of death
  kept only as a cap on another age: an infant who died at 4 months was weighed at no age at all, where a FHIR
  bundle's ``deceasedDateTime`` gives the age. The age at death is now the age of the record when nothing else gives
  one (before the onset of the nephrocalcinosis, as in FHIR), and said.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, run_document

HPO = "http://purl.obolibrary.org/obo/hp.owl"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"


def _packet(subject: dict[str, Any], *features: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {"id": "x", "subject": {"id": "s", "sex": "FEMALE", **subject},
            "phenotypicFeatures": [{"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}, *features],
            "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"}, **rest}


def _said(result: dict[str, Any]) -> dict[str, str]:
    return {w["id"]: w["message"] for w in result["warnings"]}


@pytest.mark.parametrize(("death", "age"), [({"age": {"iso8601duration": "P4M"}}, 4 / 12),
                                            ({"timestamp": "2012-06-01T00:00:00Z"}, 2.0)])
def test_a_phenopacket_time_of_death_gives_the_age_when_nothing_else_does(tmp_path: Path, death: dict[str, Any],
                                                                          age: float) -> None:
    subject = {"vitalStatus": {"status": "DECEASED", "timeOfDeath": death}, "dateOfBirth": "2010-06-01T00:00:00Z"}
    result = run_document(tmp_path, "--phenopacket", _packet(subject))
    assert result["case"]["age_years"] == pytest.approx(age, abs=0.01)
    said = _said(result)
    assert "timeOfDeath" in said["phenopacket_age_at_death"]
    assert "phenopacket_age_not_read" not in said


def test_the_age_at_death_is_the_record_s_not_the_onset_of_nephrocalcinosis(tmp_path: Path) -> None:
    onset = {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"},
             "onset": {"age": {"iso8601duration": "P2Y"}}}
    packet = _packet({"vitalStatus": {"status": "DECEASED", "timeOfDeath": {"age": {"iso8601duration": "P9Y"}}}})
    packet["phenotypicFeatures"] = [onset]
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["age_years"] == pytest.approx(9.0)
    assert result["case"]["onset_age_years"] == pytest.approx(2.0)
    # with an age at the last encounter, the time of death is only its cap, as before
    packet["subject"]["timeAtLastEncounter"] = {"age": {"iso8601duration": "P8Y"}}
    result = run_document(tmp_path, "--phenopacket", packet)
    assert result["case"]["age_years"] == pytest.approx(8.0)
    assert "phenopacket_age_at_death" not in _said(result)
