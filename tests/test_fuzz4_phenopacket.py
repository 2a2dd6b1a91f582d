"""Regression tests for the phenopacket defects of the fourth black-box fuzzing (items 8 and 9): each failed
before its fix. A subject's gender and a non-human taxonomy, and a feature's onset after the last encounter,
were used without a word; a GA4GH Cohort ranked as an empty patient; durations that are not ISO 8601 (a
non-ASCII digit, a T with no time after it, lower-case designators) were read as ages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke, note_ids

from nephrocalc.interop.phenopacket import case_from_phenopacket, iso_duration_years
from nephrocalc.knowledge import KnowledgeBase

MEDULLARY = {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}


def _packet(subject: dict[str, Any] | None = None, features: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": "pp", "metaData": {}, "phenotypicFeatures": features or [MEDULLARY],
            "subject": {"id": "s", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}},
                        **(subject or {})}}


def _messages(notes: list[Any]) -> str:
    return " | ".join(note["message"] for note in notes)


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("gender", "MALE", 'subject.gender (the string "MALE"'),
    ("gender", {"id": "LOINC:LA2-8", "label": "Male"}, "subject.gender (LOINC:LA2-8 Male"),
    ("karyotypicSex", "XY", 'subject.karyotypicSex (the string "XY"'),
])
def test_a_subject_field_not_read_is_named(kb: KnowledgeBase, field: str, value: object, shown: str) -> None:
    """subject.gender and subject.karyotypicSex were dropped without a word (an unknown subject field is named)."""
    case, notes = case_from_phenopacket(_packet({field: value}), kb)
    assert case.sex == "female"
    assert shown in _messages(notes) and "phenopacket_parts_not_read" in note_ids(notes)


@pytest.mark.parametrize("taxonomy", [{"id": "NCBITaxon:10090", "label": "Mus musculus"}, "NCBITaxon:10090"])
def test_a_subject_not_human_is_ranked_with_a_note(kb: KnowledgeBase, taxonomy: object) -> None:
    """A mouse (subject.taxonomy NCBITaxon:10090) was ranked with human priors without a word."""
    case, notes = case_from_phenopacket(_packet({"taxonomy": taxonomy}), kb)
    assert case.pattern == "medullary" and case.age_years == 40.0  # ranked all the same
    said = next(note["message"] for note in notes if note["id"] == "phenopacket_not_human")
    assert "subject.taxonomy" in said and "NCBITaxon:10090" in said and "Homo sapiens (NCBITaxon:9606)" in said
    # Homo sapiens is the patient the priors are for: nothing to say
    _, human = case_from_phenopacket(_packet({"taxonomy": {"id": "NCBITaxon:9606", "label": "Homo sapiens"}}), kb)
    assert not human


def test_a_feature_onset_after_the_last_encounter_is_said(kb: KnowledgeBase) -> None:
    """A hypercalcaemia with onset P50Y in a patient last seen at P40Y was used without a word (the same on the
    nephrocalcinosis term is warned)."""
    later = {"type": {"id": "HP:0003072", "label": "Hypercalcemia"}, "onset": {"age": {"iso8601duration": "P50Y"}}}
    earlier = {"type": {"id": "HP:0002148", "label": "Hypophosphatemia"}, "onset": {"age": {"iso8601duration": "P39Y"}}}
    case, notes = case_from_phenopacket(_packet(features=[MEDULLARY, later, earlier]), kb)
    assert case.age_years == 40.0 and case.clues["hypercalcemia"] is True
    said = next(note["message"] for note in notes if note["id"] == "phenopacket_onset_after_age")
    assert "after the age of the record (40 years)" in said and "HP:0003072 Hypercalcemia (50 years)" in said
    assert "HP:0002148" not in said


def test_a_cohort_is_refused_with_what_to_do(kb: KnowledgeBase) -> None:
    """A GA4GH Cohort (members) was ranked as an empty patient, exit 0, while {} is refused."""
    member = _packet()
    status, out, err = invoke(["diff", "--phenopacket", "-"], json.dumps({"id": "c", "members": [member]}).encode())
    assert status == 2 and out == ""
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert "phenopacket: this is a GA4GH Cohort (1 member)" in err and "one member's phenopacket per line" in err
    # a Family is still read as its proband, with a note
    case, notes = case_from_phenopacket({"id": "f", "proband": member}, kb)
    assert case.pattern == "medullary" and "phenopacket_family_proband" in note_ids(notes)


@pytest.mark.parametrize(("text", "valid", "years"), [
    ("P\u0661Y", "P1Y", 1.0), ("P\uff15Y", "P5Y", 5.0), ("P5YT", "P5YT12H", 5 + 0.5 / 365.25),
    ("P1DT", "P1DT12H", 1.5 / 365.25), ("p5y", " P5Y ", 5.0), ("P5y", "P0.5Y", 0.5), ("p1y6m", "P1Y6M", 1.5),
    ("pt12h", "PT12H", 0.5 / 365.25), ("P3m2w", "P3M2W", 0.25 + 14 / 365.25), ("p10d", "P10D", 10 / 365.25)])
def test_a_duration_that_is_not_iso_8601_is_not_an_age(kb: KnowledgeBase, text: str, valid: str,
                                                       years: float) -> None:
    """'P١Y' (Arabic-Indic digit) was one year, 'P5YT' and 'p5y' five years, without a word."""
    assert iso_duration_years(text) is None
    assert iso_duration_years(valid) == pytest.approx(years)  # the valid neighbour reads as before
    case, notes = case_from_phenopacket(_packet({"timeAtLastEncounter": {"age": {"iso8601duration": text}}}), kb)
    assert case.age_years is None
    assert f"subject.timeAtLastEncounter.age.iso8601duration: {text!r} is not an ISO 8601 duration" in _messages(notes)
