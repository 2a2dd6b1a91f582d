"""What robustness round 61 found: a FHIR resource given in two versions had its superseded value read (the later
entry of a history Bundle, which lists the newest first; a final result after its correction); a phenopacket lab
sampled before the date of birth was read as the patient's, where the FHIR reader drops it; the phenopacket written
dropped a lab's age at sampling, so that it read back against other limits; a Bundle.type that is no FHIR code, and
a Condition both active and abated (FHIR con-4), were read without a word; and a phenopacket with tens of thousands
of excluded features took minutes. Each fix, held by a test that fails without it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import invoke

HPO = "http://purl.obolibrary.org/obo/hp.owl"
LOINC = "http://loinc.org"
MEDULLARY = {"type": {"id": "HP:0012408", "label": "Medullary nephrocalcinosis"}}


def _run(argv: list[str], raw: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    status, out, err = invoke([*argv, "--format", "json"], raw)
    assert status == 0, err
    result = json.loads(out)
    return result, {w["id"]: w["message"] for w in result["warnings"]}


def _bundle(*resources: dict[str, Any], kind: object = "collection") -> bytes:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1970-01-01"}
    nc = {"resourceType": "Condition", "id": "nc", "subject": {"reference": "Patient/p"},
          "code": {"coding": [{"system": HPO, "code": "HP:0012408"}]}}
    bundle: dict[str, Any] = {"resourceType": "Bundle", "timestamp": "2020-01-01T00:00:00Z",
                              "entry": [{"resource": r} for r in (patient, nc, *resources)]}
    if kind is not None:
        bundle["type"] = kind
    return json.dumps(bundle).encode()


def _calcium(value: float, **more: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "x", "status": "final", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": LOINC, "code": "17861-6"}]}, "effectiveDateTime": "2019-06-01",
            "valueQuantity": {"value": value, "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                              "code": "mg/dL"}, **more}


@pytest.mark.parametrize(("newer", "older", "kind", "by"), [
    ({"meta": {"versionId": "2"}}, {"meta": {"versionId": "1"}}, "history", "meta.versionId"),
    ({"meta": {"lastUpdated": "2019-06-02T08:00:00Z"}}, {"meta": {"lastUpdated": "2019-06-01T08:00:00Z"}},
     "collection", "meta.lastUpdated"),
    ({}, {}, "history", "history Bundle lists the newest version first"),
    ({"status": "corrected"}, {}, "collection", "status corrected"),
])
def test_of_two_versions_of_one_resource_the_newest_is_read(newer: dict[str, Any], older: dict[str, Any],
                                                             kind: str, by: str) -> None:
    """The newest version (8.5 mg/dL) comes first, the superseded one (11.9, hypercalcaemia) second: the later entry
    was read, and hyperparathyroidism led on a value its own correction replaced."""
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(_calcium(8.5, **newer), _calcium(11.9, **older),
                                                             kind=kind))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 8.5
    assert "Observation/x superseded by the version of entry[2]" in warnings["fhir_entries_not_read"]
    assert by in warnings["fhir_entries_not_read"]


def test_two_versions_nothing_orders_are_both_kept_as_before() -> None:
    """Without a version, a date of update, a history Bundle or a revised status, nothing says which is newer: both
    are read as two values of the lab (the later entry used, both listed), as before."""
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(_calcium(8.5), _calcium(11.9)))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.9
    assert "superseded" not in warnings.get("fhir_entries_not_read", "")
    assert "8.5" in warnings["fhir_labs_repeated"]


@pytest.mark.parametrize("kind", ["bogus", 3, None])
def test_a_bundle_type_that_is_no_fhir_code_is_said(kind: object) -> None:
    _, warnings = _run(["diff", "--fhir", "-"], _bundle(kind=kind))
    assert "collection" in warnings["fhir_bundle_type"]
    assert ("missing" if kind is None else "is not a FHIR Bundle type") in warnings["fhir_bundle_type"]


@pytest.mark.parametrize("kind", ["collection", "document", "history", "searchset", "transaction"])
def test_a_fhir_bundle_type_needs_no_word(kind: str) -> None:
    _, warnings = _run(["diff", "--fhir", "-"], _bundle(kind=kind))
    assert "fhir_bundle_type" not in warnings


@pytest.mark.parametrize("abatement", [{"abatementDateTime": "2015-01-01"}, {"abatementBoolean": True},
                                       {"abatementAge": {"value": 40, "unit": "a"}}])
def test_a_condition_active_and_abated_is_said(abatement: dict[str, Any]) -> None:
    hearing = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
               "code": {"coding": [{"system": HPO, "code": "HP:0000365"}]},
               "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                              "code": "active"}]}, **abatement}
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(hearing))
    assert result["case"]["clues"]["hearing_loss"] is True
    said = warnings["fhir_active_with_abatement"]
    assert "con-4" in said and next(iter(abatement)) in said


def _phenopacket(*, measurements: list[dict[str, Any]], features: list[dict[str, Any]] | None = None) -> bytes:
    return json.dumps({"id": "p61", "subject": {"id": "s", "sex": "FEMALE", "dateOfBirth": "2020-01-10T00:00:00Z",
                                                "timeAtLastEncounter": {"timestamp": "2020-02-10T00:00:00Z"}},
                       "phenotypicFeatures": [MEDULLARY, *(features or [])], "measurements": measurements,
                       "metaData": {"created": "2020-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"}}).encode()


def _measured(value: float, when: dict[str, Any]) -> dict[str, Any]:
    return {"assay": {"id": "LOINC:17861-6", "label": "Calcium"}, "timeObserved": when,
            "value": {"quantity": {"unit": {"id": "UCUM:mg/dL", "label": "mg/dL"}, "value": value}}}


@pytest.mark.parametrize("when", [{"timestamp": "2019-12-20T00:00:00Z"},
                                  {"interval": {"start": "2019-12-20T00:00:00Z", "end": "2019-12-21T00:00:00Z"}}])
def test_a_phenopacket_lab_sampled_before_birth_is_not_the_patients(when: dict[str, Any]) -> None:
    """A calcium of 12.5 sampled three weeks before a girl's birth (her mother's) was read as hers, and
    hypervitaminosis D led; the FHIR reader drops such a value, and now so does this one, saying so."""
    result, warnings = _run(["diff", "--phenopacket", "-"], _phenopacket(measurements=[_measured(12.5, when)]))
    assert "labs" not in result["case"]
    assert "serum_calcium 12.5 (measurements[0].timeObserved 2019-12-20)" in warnings["phenopacket_lab_before_birth"]


def test_a_phenopacket_lab_sampled_after_birth_is_read() -> None:
    result, warnings = _run(["diff", "--phenopacket", "-"],
                            _phenopacket(measurements=[_measured(12.5, {"timestamp": "2020-02-01T00:00:00Z"})]))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 12.5
    assert "phenopacket_lab_before_birth" not in warnings


def test_the_phenopacket_written_carries_a_labs_age_at_sampling() -> None:
    """A phosphate of 5.8 mg/dL sampled at 3 is normal for that age; the phenopacket written dropped its age, and
    read back the value was judged against an adult's limits (hyperphosphataemia), changing the ranking."""
    case = {"id": "rt", "pattern": "medullary", "age_years": 40, "sex": "female",
            "labs": {"serum_phosphate": {"value": 5.8, "unit": "mg/dL", "age_years": 3}}}
    status, written, err = invoke(["diff", "--case", "-", "--format", "phenopacket"], json.dumps(case).encode())
    assert status == 0, err
    assert json.loads(written)["measurements"][0]["timeObserved"] == {"age": {"iso8601duration": "P3Y"}}
    direct, _ = _run(["diff", "--case", "-"], json.dumps(case).encode())
    again, _ = _run(["diff", "--phenopacket", "-"], written.encode())
    assert again["case"]["labs"] == direct["case"]["labs"]
    assert [(e["cause"], e["probability"]) for e in again["differential"]] == \
        [(e["cause"], e["probability"]) for e in direct["differential"]]


def test_each_excluded_term_is_compared_with_the_findings_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every excluded feature was compared with every present finding: 32,000 of each took 8 s, and a 16 MB file
    was still running after 11 minutes. An excluded term given many times is now compared once."""
    from nephrocalc.interop import phenopacket

    calls: list[str] = []
    original = phenopacket.findings_below

    def counted(kb: Any, term: str, present: Any) -> list[str]:
        calls.append(term)
        return original(kb, term, present)

    monkeypatch.setattr(phenopacket, "findings_below", counted)
    hearing = {"type": {"id": "HP:0000365", "label": "Hearing impairment"}}
    seizure = {"type": {"id": "HP:0001250", "label": "Seizure"}}
    features = [hearing, {**hearing, "excluded": True}, seizure, {**seizure, "excluded": True}] * 500
    raw = json.dumps({"id": "big", "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": "P9Y"}}},
                      "phenotypicFeatures": [MEDULLARY, *features]}).encode()
    result, _ = _run(["diff", "--phenopacket", "-"], raw)
    assert result["case"]["clues"]["hearing_loss"] is True
    assert sorted(calls) == ["HP:0000365", "HP:0001250"]


def test_a_term_above_no_finding_is_answered_without_walking_the_findings() -> None:
    """A term that names no clue and is above no term of a clue or pattern has no finding below it: the answer
    needs no look at the present findings (here, a list that cannot be walked)."""
    from nephrocalc.interop.phenopacket import findings_below
    from nephrocalc.loader import load_knowledge_base

    class Unwalkable(list):  # type: ignore[type-arg]
        def __iter__(self) -> Any:
            raise AssertionError("the findings were walked")

    kb = load_knowledge_base()
    assert "HP:0001631" not in kb.hpo_above and not kb.hpo_named.get("HP:0001631")  # Atrial septal defect
    assert findings_below(kb, "HP:0001631", Unwalkable()) == []
    assert "HP:0000118" in kb.hpo_above  # Phenotypic abnormality is above every finding: still walked
    assert findings_below(kb, "HP:0000118", [("HP:0000365", "Hearing impairment", ("hearing_loss",), False)]) == \
        ["Hearing impairment"]


def _panel(component: dict[str, Any]) -> dict[str, Any]:
    calcium = {"code": {"coding": [{"system": LOINC, "code": "17861-6"}]},
               "valueQuantity": {"value": 11.9, "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                                 "code": "mg/dL"}}
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p"},
            "effectiveDateTime": "2019-06-01", "code": {"coding": [{"system": LOINC, "code": "24323-8"}]},
            "component": [{**calcium, **component}]}


def test_a_components_data_absent_reason_keeps_its_value_from_use() -> None:
    """A top-level value given with a dataAbsentReason is not used, and said; a component's was used silently."""
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(_panel({"dataAbsentReason": {"text": "error"}})))
    assert "labs" not in result["case"]
    assert "component[0].valueQuantity (serum_calcium" in warnings["fhir_observations_not_read"]


@pytest.mark.parametrize(("component", "said"), [
    ({"interpretation": [{"coding": [{"code": "L"}]}]}, "serum_calcium 11.9 (L)"),
    ({"referenceRange": [{"low": {"value": 8.5}, "high": {"value": 10.5}}]},
     "serum_calcium 11.9 (with the laboratory's referenceRange)"),
])
def test_a_components_flags_are_said_as_a_values_are(component: dict[str, Any], said: str) -> None:
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(_panel(component)))
    assert result["case"]["labs"]["serum_calcium"]["value"] == 11.9
    assert said in warnings["fhir_lab_flags_not_read"]


def test_an_unread_panel_names_its_components() -> None:
    """A panel whose only component is not read (a code no lab has) was listed by the panel's code alone. (A value
    as text was the example; since robustness round 64 a component's valueString is read.)"""
    component = {"code": {"coding": [{"system": LOINC, "code": "2947-0"}]}}  # sodium: no lab of the vocabulary
    _, warnings = _run(["diff", "--fhir", "-"], _bundle(_panel(component)))
    assert "24323-8 (its components: http://loinc.org|2947-0)" in warnings["fhir_codes_not_mapped"]


def test_a_resource_dated_before_birth_does_not_date_the_age() -> None:
    """The only dated resource, a transplant of 1960 for a woman born in 1970, made the age impossible and so
    unknown, though the Bundle's timestamp (2020) gives it; and the date was read without a word."""
    transplant = {"resourceType": "Procedure", "status": "completed", "subject": {"reference": "Patient/p"},
                  "code": {"coding": [{"system": "http://snomed.info/sct", "code": "70536003"}]},
                  "performedDateTime": "1960-01-01"}
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(transplant))
    assert result["case"]["age_years"] == pytest.approx(50.0, abs=0.01)
    assert "Procedure.performedDateTime 1960-01-01" in warnings["fhir_dated_before_birth"]


@pytest.mark.parametrize(("status", "period", "said"), [
    ("active", {"start": "2000-01-01", "end": "2001-01-01"}, "active, but its effectivePeriod ended 2001-01-01"),
    ("completed", {"start": "2010-01-01", "end": "2001-01-01"}, "ends 2001-01-01, before it starts 2010-01-01"),
])
def test_a_medication_period_at_odds_with_its_status_is_said(status: str, period: dict[str, str], said: str) -> None:
    furosemide = {"resourceType": "MedicationStatement", "status": status, "subject": {"reference": "Patient/p"},
                  "medicationCodeableConcept": {"text": "furosemide"}, "effectivePeriod": period}
    result, warnings = _run(["diff", "--fhir", "-"], _bundle(furosemide))
    assert result["case"]["clues"]["loop_diuretic"] is True
    assert said in warnings["fhir_medication_period"]


def test_a_medication_active_within_its_period_needs_no_word() -> None:
    furosemide = {"resourceType": "MedicationStatement", "status": "active", "subject": {"reference": "Patient/p"},
                  "medicationCodeableConcept": {"text": "furosemide"}, "effectivePeriod": {"start": "2019-01-01"}}
    _, warnings = _run(["diff", "--fhir", "-"], _bundle(furosemide))
    assert "fhir_medication_period" not in warnings


@pytest.mark.parametrize("argv", [["diff", "--pattern", "medullary", "--grade", "\uff13"],
                                  ["diff", "--pattern", "medullary", "-g\u0663"],
                                  ["diff", "--pattern", "medullary", "--top=\uff13"],
                                  ["diff", "--pattern", "medullary", "--grade", "1_0"],
                                  ["batch", "--jobs", "\uff12", "-"]])
def test_numeric_options_take_the_digits_0_to_9_only(argv: list[str]) -> None:
    """Python's int() reads fullwidth and Arabic-Indic digits and underscores: --grade ３ was grade 3, while --age
    refused the same digits."""
    status, _, err = invoke(argv)
    assert status == 2
    assert "must be a number written with the digits 0-9" in err and len(err.strip().splitlines()) == 1


def test_numeric_options_written_plainly_are_read() -> None:
    result, _ = _run(["diff", "--pattern", "medullary", "--grade", "3", "-n", "2"], b"")
    assert result["case"]["grade"] == 3 and len(result["differential"]) == 2


def test_an_age_given_before_an_inputs_sample_names_the_flag() -> None:
    """--age 1 beside a phenopacket whose calcium was sampled at 1-2 years was refused naming
    labs.serum_calcium.age_years, a field of the reading the user never wrote."""
    measured = {"assay": {"id": "LOINC:17861-6", "label": "Calcium"},
                "timeObserved": {"ageRange": {"start": {"iso8601duration": "P1Y"}, "end": {"iso8601duration": "P2Y"}}},
                "value": {"quantity": {"unit": {"id": "UCUM:mg/dL", "label": "mg/dL"}, "value": 11.9}}}
    raw = json.dumps({"id": "p", "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
                      "phenotypicFeatures": [MEDULLARY], "measurements": [measured]}).encode()
    status, _, err = invoke(["diff", "--phenopacket", "-", "--age", "1"], raw)
    assert status == 2
    assert err.strip().endswith("--age: 1 is before the age at which the phenopacket input says serum_calcium was "
                                "sampled; give the age now, at or after every sample")


@pytest.mark.parametrize("weeks", [-3, 60])
def test_a_gestational_age_out_of_range_is_no_age(weeks: int) -> None:
    """A gestational age of -3 weeks was read as a birth (age 0) without a word."""
    raw = json.dumps({"id": "p", "subject": {"id": "s", "timeAtLastEncounter": {"gestationalAge": {"weeks": weeks}}},
                      "phenotypicFeatures": [MEDULLARY]}).encode()
    result, warnings = _run(["diff", "--phenopacket", "-"], raw)
    assert "age_years" not in result["case"]
    assert "is not a gestational age (weeks 0-45, days 0-6)" in warnings["phenopacket_age_not_read"]
    assert "phenopacket_gestational_age" not in warnings


@pytest.mark.parametrize(("interval", "said"), [
    ({"start": "2000-01-01T00:00:00Z", "end": "2001-01-01T00:00:00Z"},
     "furosemide (its doseIntervals ended 2001-01-01)"),
    ({"start": "2010-01-01T00:00:00Z", "end": "2001-01-01T00:00:00Z"}, "ends 2001-01-01, before it starts 2010-01-01"),
])
def test_a_phenopacket_treatment_whose_intervals_ended_is_a_past_exposure(interval: dict[str, str], said: str) -> None:
    action = {"treatment": {"agent": {"id": "CHEBI:47426", "label": "furosemide"},
                            "doseIntervals": [{"interval": interval}]}}
    raw = json.dumps({"id": "p", "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
                      "phenotypicFeatures": [MEDULLARY], "medicalActions": [action]}).encode()
    result, warnings = _run(["diff", "--phenopacket", "-"], raw)
    assert result["case"]["clues"]["loop_diuretic"] is True
    assert said in warnings["phenopacket_treatments_stopped"]


@pytest.mark.parametrize("doses", [[{"interval": {"start": "2019-01-01T00:00:00Z"}}], "not a list", [{}]])
def test_a_treatment_going_on_or_undated_needs_no_word(doses: object) -> None:
    action = {"treatment": {"agent": {"id": "CHEBI:47426", "label": "furosemide"}, "doseIntervals": doses}}
    raw = json.dumps({"id": "p", "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": "P40Y"}}},
                      "phenotypicFeatures": [MEDULLARY], "medicalActions": [action]}).encode()
    result, warnings = _run(["diff", "--phenopacket", "-"], raw)
    assert result["case"]["clues"]["loop_diuretic"] is True
    assert "phenopacket_treatments_stopped" not in warnings


def test_every_child_with_nephrocalcinosis_has_urine_oxalate_proposed() -> None:
    """Blind battery 62: a boy of 9 with hypercalciuria led by idiopathic hypercalciuria at 95% had no urine oxalate
    proposed, primary hyperoxaluria being under the 1% floor; every child with nephrocalcinosis is examined for it
    [Hoppe10]. An adult with the same findings is not asked it below the floor."""
    case = {"pattern": "medullary", "age_years": 9, "sex": "male",
            "clues": {"hypercalciuria": True, "family_history_stones": True, "hematuria": True}}
    child, _ = _run(["diff", "--case", "-"], json.dumps(case).encode())
    ph = next(e for e in child["differential"] if e["cause"] == "primary_hyperoxaluria")
    assert ph["probability"] < 0.01
    first = child["next_findings"][0]
    assert first["cant_miss"] == "primary_hyperoxaluria" and first["for_age_below"] == 18
    assert "triggered_by" not in first
    adult, _ = _run(["diff", "--case", "-"], json.dumps({**case, "age_years": 40}).encode())
    assert all(item.get("cant_miss") != "primary_hyperoxaluria" for item in adult["next_findings"])
    status, table, _ = invoke(["diff", "--case", "-"], json.dumps(case).encode())
    assert status == 0 and "as for every patient under 18 years" in " ".join(table.split())
