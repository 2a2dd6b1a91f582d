"""The vocabulary of knowledge base 2: clue and lab ids "added with knowledge base 2" (CONTRACT.md
sections 1 and 3), with exact unit conversions and the reference limits of rules/labs.toml.

The ids are read from ../shared/CONTRACT.md when it is at hand, else from the copies below (a test
checks that the copies match the contract). The conversion values are computed by hand from the
molar masses (magnesium 24.305, creatinine 113.12, uric acid 168.11 g/mol; free T4 ng/dL x 12.87 =
pmol/L), not read from the rules, so a wrong factor in rules/labs.toml fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from nephrocalc.engine import Engine
from nephrocalc.intake import parse_case
from nephrocalc.knowledge import KnowledgeBase, LabLimit, normalise_unit
from nephrocalc.labs import measure
from nephrocalc.loader import load_knowledge_base

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "shared" / "CONTRACT.md"

# CONTRACT.md section 1, "Clue ids added with knowledge base 2", copied.
COPIED_CLUES: tuple[str, ...] = (
    # for the twelve (AUDIT.md section 3)
    "bone_disease", "hypocalcemia", "hypomagnesemia", "anemia", "polyuria", "vomiting_or_dehydration",
    "renal_colic", "hypertension", "urinary_tract_infection", "low_molecular_weight_proteinuria",
    "calcium_oxalate_stones", "calcium_phosphate_stones", "thiazide", "lithium", "carbonic_anhydrase_inhibitor",
    "amphotericin", "phosphate_therapy", "parenteral_nutrition", "glucocorticoid_excess", "immobilization",
    "malignancy", "bariatric_surgery_or_malabsorption", "kidney_transplant", "hiv", "immunodeficiency", "tb_risk",
    "pancreatitis", "uveitis_or_erythema_nodosum", "hyperthyroidism", "congenital_hypothyroidism",
    # for the extended causes: mineral and electrolytes
    "renal_magnesium_wasting", "hypermagnesemia", "hypocalciuria", "high_urine_chloride", "hypochloremia",
    "high_renin", "hyperkalemia", "high_pthrp", "high_vitamin_d_metabolite_ratio", "high_fgf23",
    "hyperphosphaturia", "low_alkaline_phosphatase", "high_alkaline_phosphatase", "hypouricemia", "hyperuricemia",
    "hyperuricosuria", "hypoalbuminemia",
    # tubular and urinary
    "renal_fanconi", "high_oxalate_intake", "radiolucent_stones", "dha_crystalluria", "urate_crystalluria",
    "papillary_necrosis_signs", "vesicoureteral_reflux", "candida_infection", "enlarged_kidneys",
    "extrarenal_calcification",
    # syndromic and systemic
    "polyhydramnios", "ocular_abnormality", "cataract", "intellectual_disability", "self_injurious_behavior",
    "dystonia", "seizures", "elfin_facies", "supravalvular_aortic_stenosis", "family_history_hypercalcemia",
    "rickets", "premature_tooth_loss", "liver_disease", "kayser_fleischer_ring", "low_ceruloplasmin",
    "high_urine_copper", "hepatomegaly", "fasting_hypoglycemia", "lactic_acidosis", "hyperlipidemia",
    "neutropenia", "diabetes_mellitus", "sickle_cell_disease",
    # exposures, and the last one
    "analgesic_abuse", "calcineurin_inhibitor", "protease_inhibitor", "pneumocystis",
    "mycobacterium_avium_complex", "high_phosphoethanolamine",
)

# CONTRACT.md section 3, "Added with knowledge base 2", copied ("µ" may be written "u").
COPIED_LABS: dict[str, list[str]] = {
    "serum_albumin": ["g/dL", "g/L"],
    "serum_magnesium": ["mg/dL", "mmol/L", "mEq/L"],
    "serum_creatinine": ["mg/dL", "µmol/L"],
    "serum_chloride": ["mmol/L", "mEq/L"],
    "urine_chloride": ["mmol/L"],
    "pthrp": ["pmol/L", "pg/mL"],
    "plasma_oxalate": ["µmol/L"],
    "urine_protein_creatinine_ratio": ["mg/mg", "g/g", "mg/mmol"],
    "alkaline_phosphatase": ["U/L"],
    "serum_urate": ["mg/dL", "µmol/L"],
    "tsh": ["mIU/L", "µIU/mL"],
    "free_t4": ["ng/dL", "pmol/L"],
    "ceruloplasmin": ["mg/dL", "g/L"],
}


def _contract_ids() -> tuple[list[str], dict[str, list[str]]] | None:
    """(KB2 clue ids, KB2 lab id -> units) parsed from CONTRACT.md, or None when it is not at hand."""
    if not CONTRACT_PATH.is_file():
        return None
    text = CONTRACT_PATH.read_text(encoding="utf-8")
    added = text.split("### Clue ids added with knowledge base 2", 1)[1].split("## 2.", 1)[0]
    clues: list[str] = []
    for line in added.splitlines():
        if line.startswith("- "):
            head = line.split(" – ")[0]
            clues += re.findall(r"`([a-z0-9_]+)`", head.split(":", 1)[1] if ":" in head else head)
    table = text.split("## 3.", 1)[1].split("## 4.", 1)[0].split("Added with knowledge base 2", 1)[1]
    labs = {lab: re.findall(r"`([^`]+)`", units)
            for lab, units in re.findall(r"^\| `([a-z0-9_]+)` \|([^|]*)\|", table, re.MULTILINE)}
    return clues, labs


_PARSED = _contract_ids()
KB2_CLUES: list[str] = _PARSED[0] if _PARSED else list(COPIED_CLUES)
KB2_LABS: dict[str, list[str]] = _PARSED[1] if _PARSED else dict(COPIED_LABS)

KB = load_knowledge_base()  # for parametrization at collection time; tests use the ``kb`` fixture


def _spellings(unit: str) -> list[str]:
    """A unit as the contract writes it, and with "µ" written "u"."""
    return [unit] + ([unit.replace("µ", "u")] if "µ" in unit else [])


# --- the ids ---------------------------------------------------------------------------------


def test_copied_lists_are_complete() -> None:
    assert len(COPIED_CLUES) == len(set(COPIED_CLUES)) == 86
    assert len(COPIED_LABS) == 13


@pytest.mark.skipif(not CONTRACT_PATH.is_file(), reason="../shared/CONTRACT.md is not available")
def test_copied_lists_match_contract_md() -> None:
    assert _PARSED is not None
    clues, labs = _PARSED
    assert clues == list(COPIED_CLUES)
    assert labs == COPIED_LABS


def test_every_kb2_clue_is_in_the_vocabulary(kb: KnowledgeBase) -> None:
    missing = [clue for clue in KB2_CLUES if clue not in kb.clues]
    assert not missing, missing
    for clue_id in KB2_CLUES:
        clue = kb.clues[clue_id]
        assert clue.label and clue.description.endswith("."), clue_id
        assert clue.group in kb.groups, clue_id


def test_every_kb2_lab_accepts_its_units(kb: KnowledgeBase) -> None:
    missing = [lab for lab in KB2_LABS if lab not in kb.labs]
    assert not missing, missing
    for lab_id, units in KB2_LABS.items():
        accepted = kb.labs[lab_id].accepted_units
        listed = {normalise_unit(unit) for unit in accepted}
        for unit in units:
            for spelling in _spellings(unit):  # µmol/L may be typed umol/L: one unit, listed once
                assert normalise_unit(spelling) in listed, (lab_id, spelling, accepted)
                read = measure(lab_id, _ordinary(lab_id, spelling), spelling, kb).unit
                assert normalise_unit(read) == normalise_unit(spelling)


def _ordinary(lab_id: str, unit: str) -> float:
    """An ordinary value of the lab in the unit (from the conversion table below)."""
    for lab, first, a, second, b, _ in CONVERSIONS:
        if lab == lab_id and unit in (first, second):
            return a if unit == first else b
    return {("urine_chloride", "mmol/L"): 50.0, ("alkaline_phosphatase", "U/L"): 80.0,
            ("pthrp", "pmol/L"): 1.0, ("pthrp", "pg/mL"): 50.0}[(lab_id, unit)]


def test_tsh_accepts_both_spellings_of_the_micro_unit(kb: KnowledgeBase) -> None:
    for spelling in ("mIU/L", "µIU/mL", "uIU/mL", "miu/l", "UIU / ML"):
        assert measure("tsh", 2.5, spelling, kb).canonical_value == 2.5, spelling


# --- exact conversions -----------------------------------------------------------------------

# (lab, unit, value, unit, value, the quantity in the canonical unit), each pair worked out by hand.
CONVERSIONS: list[tuple[str, str, float, str, float, float]] = [
    ("serum_albumin", "g/dL", 3.2, "g/L", 32.0, 32.0),
    ("serum_magnesium", "mmol/L", 0.8, "mg/dL", 1.9444, 0.8),  # 0.8 x 24.305 / 10
    ("serum_magnesium", "mmol/L", 0.8, "mEq/L", 1.6, 0.8),  # divalent
    ("serum_magnesium", "mg/dL", 1.9444, "mEq/L", 1.6, 0.8),
    ("serum_creatinine", "mg/dL", 1.0, "µmol/L", 88.40170, 1.0),  # 10000 / 113.12
    ("serum_creatinine", "mg/dL", 1.0, "umol/L", 88.40170, 1.0),
    ("serum_creatinine", "µmol/L", 88.40170, "umol/L", 88.40170, 1.0),
    ("serum_chloride", "mmol/L", 101.0, "mEq/L", 101.0, 101.0),
    ("urine_chloride", "mmol/L", 50.0, "mEq/L", 50.0, 50.0),  # monovalent, as the serum chloride (beyond the contract)
    ("plasma_oxalate", "µmol/L", 12.0, "umol/L", 12.0, 12.0),
    ("urine_protein_creatinine_ratio", "mg/mg", 0.5, "g/g", 0.5, 0.5),
    ("urine_protein_creatinine_ratio", "mg/mg", 0.5, "mg/mmol", 56.56, 0.5),  # 0.5 x 113.12
    ("urine_protein_creatinine_ratio", "g/g", 0.5, "mg/mmol", 56.56, 0.5),
    ("serum_urate", "mg/dL", 6.0, "µmol/L", 356.90917, 6.0),  # 60000 / 168.11
    ("serum_urate", "mg/dL", 6.0, "umol/L", 356.90917, 6.0),
    ("serum_urate", "µmol/L", 356.90917, "umol/L", 356.90917, 6.0),
    ("tsh", "mIU/L", 2.5, "µIU/mL", 2.5, 2.5),
    ("tsh", "mIU/L", 2.5, "uIU/mL", 2.5, 2.5),
    ("tsh", "µIU/mL", 2.5, "uIU/mL", 2.5, 2.5),
    ("tsh", "mIU/L", 2.5, "µU/mL", 2.5, 2.5),
    ("tsh", "mIU/L", 2.5, "mU/L", 2.5, 2.5),
    ("tsh", "µIU/mL", 2.5, "µU/mL", 2.5, 2.5),
    ("tsh", "µIU/mL", 2.5, "mU/L", 2.5, 2.5),
    ("tsh", "uIU/mL", 2.5, "µU/mL", 2.5, 2.5),
    ("tsh", "uIU/mL", 2.5, "mU/L", 2.5, 2.5),
    ("tsh", "µU/mL", 2.5, "mU/L", 2.5, 2.5),
    ("tsh", "mIU/L", 2.5, "mcU/mL", 2.5, 2.5),  # "mc" is the micro prefix
    ("free_t4", "ng/dL", 1.2, "pmol/L", 15.444, 1.2),  # 1.2 x 12.87
    ("ceruloplasmin", "mg/dL", 25.0, "g/L", 0.25, 25.0),
]


@pytest.mark.parametrize(("lab_id", "first", "a", "second", "b", "quantity"), [
    pytest.param(*row, id=f"{row[0]}:{row[1]}<->{row[3]}") for row in CONVERSIONS])
def test_conversion_is_exact(lab_id: str, first: str, a: float, second: str, b: float, quantity: float,
                             kb: KnowledgeBase) -> None:
    in_first = measure(lab_id, a, first, kb).canonical_value
    in_second = measure(lab_id, b, second, kb).canonical_value
    assert in_first == pytest.approx(quantity, rel=1e-5)
    assert in_second == pytest.approx(quantity, rel=1e-5)


def test_every_unit_pair_of_a_kb2_lab_is_tested(kb: KnowledgeBase) -> None:
    tested = {(lab, frozenset((u, v))) for lab, u, _, v, _, _ in CONVERSIONS}
    for lab_id in KB2_LABS:
        lab = kb.labs[lab_id]
        converted = [written for written, _ in lab.units.values()]
        for i, first in enumerate(converted):
            for second in converted[i + 1:]:
                assert (lab_id, frozenset((first, second))) in tested, (lab_id, first, second)


def test_pthrp_in_pg_per_ml_is_never_converted_or_judged(kb: KnowledgeBase, engine: Engine) -> None:
    m = measure("pthrp", 50.0, "pg/mL", kb)
    assert m.canonical_value is None and m.unit == "pg/mL"
    result = engine.rank(parse_case(_case("pthrp", 50.0, "pg/mL", age=60), kb))
    assert result["derived"] == []
    assert any(w["id"] == "lab_not_interpreted" and "pthrp" in w["message"] for w in result["warnings"])


# --- the reference limits --------------------------------------------------------------------


def _case(lab_id: str, value: float, unit: str, *, age: float | None = None, sex: str | None = None,
          clues: dict[str, bool] | None = None) -> dict[str, Any]:
    case: dict[str, Any] = {"pattern": "medullary", "labs": {lab_id: {"value": value, "unit": unit}}}
    if age is not None:
        case["age_years"] = age
    if sex is not None:
        case["sex"] = sex
    if clues:
        case["clues"] = clues
    return case


def _derived(engine: Engine, kb: KnowledgeBase, case: dict[str, Any]) -> list[dict[str, Any]]:
    return list(engine.rank(parse_case(case, kb))["derived"])


def _limit_params() -> list[Any]:
    params = []
    for lab_id in COPIED_LABS:
        for index, limit in enumerate(KB.labs[lab_id].limits):
            if limit.age_at_least is not None:
                ages: list[float | None] = [limit.age_at_least]
            elif limit.age_below is not None:
                ages = [limit.age_below / 2]
            else:
                ages = [40.0]
            if limit.when_age_unknown:
                ages.append(None)
            sexes: list[str | None] = [limit.sex] + ([None] if limit.sex and limit.when_sex_unknown else [])
            for age in ages:
                for sex in sexes:
                    params.append(pytest.param(lab_id, index, age, sex,
                                               id=f"{lab_id}[{index}]-{limit.clue}-age{age}-{sex or 'sex?'}"))
    return params


def _steps_of(derived: list[dict[str, Any]], lab_id: str, limit: LabLimit) -> list[dict[str, Any]]:
    return [d for d in derived if d["lab"] == lab_id and d["clue"] == limit.clue
            and (f" {limit.label} → " in d["text"] or f"({limit.label}) → " in d["text"])]


@pytest.mark.parametrize(("lab_id", "index", "age", "sex"), _limit_params())
def test_each_kb2_limit_gives_its_clue_and_documents_it_absent(lab_id: str, index: int, age: float | None,
                                                               sex: str | None, kb: KnowledgeBase,
                                                               engine: Engine) -> None:
    lab = kb.labs[lab_id]
    limit = lab.limits[index]
    unit = lab.own_units[limit.unit] if limit.unit else lab.canonical
    context = dict(limit.requires) | dict(limit.absent_requires)
    if limit.above is not None:
        beyond = limit.above * 1.1
        normal = (limit.absent_at_most if limit.absent_at_most is not None else limit.above) * 0.95
    else:
        assert limit.below is not None
        beyond = limit.below * 0.9
        normal = (limit.absent_at_least if limit.absent_at_least is not None else limit.below) * 1.05

    def case(value: float) -> dict[str, Any]:
        built = _case(lab_id, value, unit, age=age, sex=sex, clues=context)
        for other, above, below in limit.present_requires_lab:  # a two-lab rule: its other lab, beyond its bound
            built["labs"][other] = {"value": above * 1.5 if above is not None else (below or 0.0) * 0.5,
                                    "unit": kb.labs[other].canonical}
        return built

    steps = _steps_of(_derived(engine, kb, case(beyond)), lab_id, limit)
    assert len(steps) == 1 and steps[0]["present"] is True, [s["text"] for s in steps]

    steps = _steps_of(_derived(engine, kb, case(normal)), lab_id, limit)
    if limit.derive_absent:
        assert len(steps) == 1 and steps[0]["present"] is False, [s["text"] for s in steps]
    else:
        assert steps == [], [s["text"] for s in steps]


def test_every_kb2_limit_cites_a_source_and_names_a_clue(kb: KnowledgeBase) -> None:
    for lab_id in KB2_LABS:
        lab = kb.labs[lab_id]
        assert lab.sources, lab_id
        for limit in lab.limits:
            assert limit.sources and all(tag in kb.sources for tag in limit.sources), (lab_id, limit.label)
            assert limit.clue in kb.clues, (lab_id, limit.clue)


# Clinical vignettes worked out by hand: the clues each value should give (None: not derived).
CASES: list[tuple[str, str, float, str, float | None, str | None, dict[str, bool], dict[str, bool | None]]] = [
    ("low magnesium in mg/dL", "serum_magnesium", 1.2, "mg/dL", 40, None, {},
     {"hypomagnesemia": True, "hypermagnesemia": None}),
    ("normal magnesium", "serum_magnesium", 0.85, "mmol/L", 40, None, {},
     {"hypomagnesemia": False, "hypermagnesemia": None}),
    ("high magnesium in mEq/L", "serum_magnesium", 3.0, "mEq/L", 40, None, {},
     {"hypermagnesemia": True, "hypomagnesemia": False}),
    ("low albumin in g/dL", "serum_albumin", 2.9, "g/dL", 60, None, {}, {"hypoalbuminemia": True}),
    ("normal albumin", "serum_albumin", 4.2, "g/dL", 60, None, {}, {"hypoalbuminemia": False}),
    ("albumin 36 g/L at 10 years", "serum_albumin", 36.0, "g/L", 10, None, {}, {"hypoalbuminemia": True}),
    ("low chloride", "serum_chloride", 92.0, "mEq/L", 30, None, {}, {"hypochloremia": True}),
    ("normal chloride", "serum_chloride", 101.0, "mmol/L", 30, None, {}, {"hypochloremia": False}),
    ("urine chloride 60 with alkalosis", "urine_chloride", 60.0, "mmol/L", 20, None, {"metabolic_alkalosis": True},
     {"high_urine_chloride": True}),
    ("urine chloride 10 with alkalosis", "urine_chloride", 10.0, "mmol/L", 20, None, {"metabolic_alkalosis": True},
     {"high_urine_chloride": False}),
    ("urine chloride 30 with alkalosis: undecided", "urine_chloride", 30.0, "mmol/L", 20, None,
     {"metabolic_alkalosis": True}, {"high_urine_chloride": None}),
    ("urine chloride 60 without alkalosis", "urine_chloride", 60.0, "mmol/L", 20, None, {},
     {"high_urine_chloride": None}),
    ("raised PTHrP", "pthrp", 8.0, "pmol/L", 65, None, {}, {"high_pthrp": True}),
    ("low PTHrP", "pthrp", 1.5, "pmol/L", 65, None, {}, {"high_pthrp": False}),
    ("PTHrP 3.0: undecided between assays", "pthrp", 3.0, "pmol/L", 65, None, {}, {"high_pthrp": None}),
    ("PCR 30 mg/mmol in an adult", "urine_protein_creatinine_ratio", 30.0, "mg/mmol", 50, None, {},
     {"proteinuria": True}),
    ("PCR 0.1 g/g in an adult", "urine_protein_creatinine_ratio", 0.1, "g/g", 50, None, {}, {"proteinuria": False}),
    ("PCR 0.18 mg/mg in an adult", "urine_protein_creatinine_ratio", 0.18, "mg/mg", 50, None, {},
     {"proteinuria": True}),
    ("PCR 0.18 mg/mg at 10 years", "urine_protein_creatinine_ratio", 0.18, "mg/mg", 10, None, {},
     {"proteinuria": False}),
    ("PCR 0.6 mg/mg at 1 year: no limit", "urine_protein_creatinine_ratio", 0.6, "mg/mg", 1, None, {},
     {"proteinuria": None}),
    ("ALP 25 in a woman", "alkaline_phosphatase", 25.0, "U/L", 40, "female", {},
     {"low_alkaline_phosphatase": True, "high_alkaline_phosphatase": False}),
    ("ALP 90 in a woman", "alkaline_phosphatase", 90.0, "U/L", 40, "female", {},
     {"low_alkaline_phosphatase": False, "high_alkaline_phosphatase": False}),
    ("ALP 110 in a woman", "alkaline_phosphatase", 110.0, "U/L", 40, "female", {},
     {"high_alkaline_phosphatase": True}),
    ("ALP 110 in a man", "alkaline_phosphatase", 110.0, "U/L", 40, "male", {},
     {"high_alkaline_phosphatase": False}),
    ("ALP 100 at 5 years (hypophosphatasia range)", "alkaline_phosphatase", 100.0, "U/L", 5, None, {},
     {"low_alkaline_phosphatase": True, "high_alkaline_phosphatase": False}),
    ("ALP 250 in a boy of 14", "alkaline_phosphatase", 250.0, "U/L", 14, "male", {},
     {"low_alkaline_phosphatase": False, "high_alkaline_phosphatase": False}),
    ("ALP 300 in a girl of 14", "alkaline_phosphatase", 300.0, "U/L", 14, "female", {},
     {"high_alkaline_phosphatase": True}),
    ("urate 9.0 in a man", "serum_urate", 9.0, "mg/dL", 50, "male", {},
     {"hyperuricemia": True, "hypouricemia": False}),
    ("urate 1.2 mg/dL", "serum_urate", 1.2, "mg/dL", 50, "male", {},
     {"hypouricemia": True, "hyperuricemia": False}),
    ("urate 300 µmol/L in a man", "serum_urate", 300.0, "µmol/L", 50, "male", {},
     {"hyperuricemia": False, "hypouricemia": False}),
    ("urate 6.5 mg/dL in a woman", "serum_urate", 6.5, "mg/dL", 50, "female", {}, {"hyperuricemia": True}),
    ("urate 6.5 mg/dL in a man", "serum_urate", 6.5, "mg/dL", 50, "male", {}, {"hyperuricemia": False}),
    ("urate 6.5 mg/dL, sex unknown", "serum_urate", 6.5, "mg/dL", 50, None, {}, {"hyperuricemia": False}),
    ("urate 6.0 mg/dL in a boy of 8", "serum_urate", 6.0, "mg/dL", 8, "male", {}, {"hyperuricemia": True}),
    ("low caeruloplasmin in g/L", "ceruloplasmin", 0.1, "g/L", 20, None, {}, {"low_ceruloplasmin": True}),
    ("normal caeruloplasmin", "ceruloplasmin", 30.0, "mg/dL", 20, None, {}, {"low_ceruloplasmin": False}),
    ("caeruloplasmin 10 mg/dL at 6 months: not judged", "ceruloplasmin", 10.0, "mg/dL", 0.5, None, {},
     {"low_ceruloplasmin": None}),
]


@pytest.mark.parametrize(("lab_id", "value", "unit", "age", "sex", "clues", "expected"), [
    pytest.param(*row[1:], id=row[0]) for row in CASES])
def test_vignette_values(lab_id: str, value: float, unit: str, age: float | None, sex: str | None,
                         clues: dict[str, bool], expected: dict[str, bool | None], kb: KnowledgeBase,
                         engine: Engine) -> None:
    derived = _derived(engine, kb, _case(lab_id, value, unit, age=age, sex=sex, clues=clues))
    found: dict[str, set[bool]] = {}
    for step in derived:
        found.setdefault(step["clue"], set()).add(step["present"])
    for clue, want in expected.items():
        if want is None:
            assert clue not in found, [d["text"] for d in derived]
        else:
            assert found.get(clue) == {want}, [d["text"] for d in derived]


@pytest.mark.parametrize(("lab_id", "value", "unit"), [
    pytest.param("free_t4", 40.0, "pmol/L", id="free_t4"),  # read only with TSH (the TSH limits)
    pytest.param("serum_creatinine", 300.0, "µmol/L", id="serum_creatinine"),
])
def test_labs_without_limits_are_accepted_but_not_interpreted(lab_id: str, value: float, unit: str,
                                                              kb: KnowledgeBase, engine: Engine) -> None:
    assert kb.labs[lab_id].limits == ()
    result = engine.rank(parse_case(_case(lab_id, value, unit, age=40), kb))
    assert result["derived"] == []
    assert any(w["id"] == "lab_not_interpreted" and lab_id in w["message"] for w in result["warnings"])
