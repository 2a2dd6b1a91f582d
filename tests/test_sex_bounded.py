"""Findings bounded by sex: an entry with ``sex = "male"`` or ``"female"`` replaces the clue's usual entry (and its
age-bounded ones) for a patient of that sex, as its sources give the frequency by sex (rules/README.md).

Alport syndrome lists haematuria at 98% over both sexes, 99.5% in males and 95% in females [AP-Alport][ASTOR]: four
blind audit batteries (17, 64, 65, 70) had a man with deafness, kidney failure in the family and CKD but no
haematuria ranked Alport syndrome first at 54-64%, where haematuria is present in every male with the disease.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "packs" / "bartter"
CAUSE = "causes/bartter_syndrome.toml"
MAN = ["diff", "-p", "cortical", "-m", "us", "--age", "22", "--hearing-loss", "--family-history-kidney-failure",
       "--ckd", "--no-hematuria", "--format", "json"]


def _ranked(argv: list[str]) -> dict[str, Any]:
    status, out, err = invoke(argv)
    assert status == 0, err
    return {entry["cause"]: entry for entry in json.loads(out)["differential"]}


def _haematuria_weight(entry: dict[str, Any]) -> float:
    found = [item for item in (*entry["supporting"], *entry["conflicting"]) if item["clue"] == "hematuria"]
    assert len(found) == 1, found
    return float(found[0]["weight"])


@pytest.mark.parametrize(("sex", "ratio"), [(["--sex", "male"], 0.0056), (["--sex", "female"], 0.056), ([], 0.022)])
def test_absent_haematuria_counts_against_alport_by_the_patients_sex(sex: list[str], ratio: float) -> None:
    alport = _ranked([*MAN, *sex])["alport_syndrome"]
    assert _haematuria_weight(alport) == pytest.approx(math.log(ratio), abs=0.01)


def test_a_man_without_haematuria_is_not_ranked_alport_first() -> None:
    ranked = _ranked([*MAN, "--sex", "male"])
    first = min(ranked.values(), key=lambda entry: entry["rank"])
    assert first["cause"] != "alport_syndrome"
    assert ranked["alport_syndrome"]["probability"] < 0.25
    # a woman with the same findings keeps it higher, as 5% of X-linked carriers have no haematuria
    assert _ranked([*MAN, "--sex", "female"])["alport_syndrome"]["probability"] > ranked["alport_syndrome"][
        "probability"]


def test_present_haematuria_in_a_man_still_points_to_alport() -> None:
    argv = [arg for arg in MAN if arg != "--no-hematuria"] + ["--hematuria", "--sex", "male"]
    ranked = _ranked(argv)
    assert min(ranked.values(), key=lambda entry: entry["rank"])["cause"] == "alport_syndrome"
    assert _haematuria_weight(ranked["alport_syndrome"]) == pytest.approx(math.log(9.95), abs=0.01)


def test_the_explanation_says_which_sex_the_entry_is_for() -> None:
    status, out, err = invoke([*MAN[:-2], "--sex", "female", "--explain"])
    assert status == 0, err
    assert "likelihood ratio 0.056 for Alport syndrome, in females" in out


def test_the_cause_shows_the_entries_by_sex() -> None:
    status, out, err = invoke(["cause", "alport_syndrome", "--format", "json"])
    assert status == 0, err
    entries = [f for f in json.loads(out)["findings"] if f["clue"] == "hematuria"]
    assert [f.get("sex") for f in entries] == [None, "male", "female"]
    status, out, _ = invoke(["cause", "alport_syndrome"])
    assert " males)" in out and " females)" in out  # "explicit LR (in males)", wrapped to the column


def test_the_interview_weighs_haematuria_by_the_patients_sex() -> None:
    """ask works out what a question tells with the entry of the patient's sex: haematuria tells more of Alport
    syndrome in a man (present in 100%) and less in a woman (95%) than the mixture does."""
    from nephrocalc.engine import Engine, load_engine
    from nephrocalc.guidance import _candidates, _weights
    from nephrocalc.intake import parse_case

    engine = load_engine()
    alport = engine.kb.causes["alport_syndrome"]
    mixed = Engine(engine.kb._replace(causes={**engine.kb.causes, "alport_syndrome": alport._replace(
        forms=tuple(form._replace(sex_findings=()) for form in alport.forms))}))

    def gain(using: Engine, sex: str) -> float:
        case = parse_case({"pattern": "cortical", "age_years": 22, "sex": sex,
                           "clues": {"family_history_kidney_failure": True, "ckd": True}}, using.kb)
        evaluation = using.evaluate(case)
        return next(item["gain"] for item, _ in _candidates(using, evaluation, _weights(using, evaluation), frozenset())
                    if item["clue"] == "hematuria")

    assert gain(engine, "male") > gain(mixed, "male")
    assert gain(engine, "female") < gain(mixed, "female")


def _pack(tmp_path: Path, findings: str) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(EXAMPLE, pack)
    path = pack / CAUSE
    path.write_text(path.read_text(encoding="utf-8") + findings, encoding="utf-8")
    return pack


def test_a_pack_cause_may_give_a_finding_by_sex(tmp_path: Path) -> None:
    pack = _pack(tmp_path, '\n[[findings]]\nclue = "hearing_loss"\nsex = "female"\nlr_present = 0.5\n'
                           'lr_absent = 1.1\nsources = ["PR-Bartter"]\nnote = "x"\n')
    argv = ["diff", "--rules", str(pack), "-p", "medullary", "--age", "1", "--hearing-loss", "--format", "json"]
    by_sex = {sex: _weights(_ranked([*argv, "--sex", sex])["bartter_syndrome"], "hearing_loss")
              for sex in ("female", "male")}
    assert by_sex["female"] == [pytest.approx(math.log(0.5), abs=0.01)]
    assert by_sex["male"] and by_sex["male"][0] > 0


def _weights(entry: dict[str, Any], clue: str) -> list[float]:
    return [item["weight"] for item in (*entry["supporting"], *entry["conflicting"]) if item["clue"] == clue]


BROKEN = {
    "bounded by sex and by age": (
        '\n[[findings]]\nclue = "hearing_loss"\nsex = "male"\nage_below = 2\nfrequency = "rarely"\n'
        'sources = ["PR-Bartter"]\n', "bounded by sex or by age, not both"),
    "two entries for one sex": (
        '\n[[findings]]\nclue = "hearing_loss"\nsex = "male"\nfrequency = "rarely"\nsources = ["PR-Bartter"]\n'
        '\n[[findings]]\nclue = "hearing_loss"\nsex = "male"\nfrequency = "often"\nsources = ["PR-Bartter"]\n',
        "'hearing_loss' is listed twice for males"),
    "a frequency for a clue with a background by age": (
        '\n[[findings]]\nclue = "ckd"\nsex = "male"\nfrequency = "rarely"\nsources = ["PR-Bartter"]\n',
        "an entry bounded by sex gives lr_present and lr_absent, not a frequency"),
    "a sex that is not one": (
        '\n[[findings]]\nclue = "hearing_loss"\nsex = "boys"\nfrequency = "rarely"\nsources = ["PR-Bartter"]\n',
        "sex"),
}


@pytest.mark.parametrize("problem", list(BROKEN))
def test_rules_check_refuses_a_wrong_entry_by_sex(problem: str, tmp_path: Path) -> None:
    findings, expected = BROKEN[problem]
    status, out, err = invoke(["rules", "check", str(_pack(tmp_path, findings))])
    assert status == 2 and out == ""
    assert any(line.startswith(f"{CAUSE}: ") and expected in line for line in err.strip().splitlines()), err
    assert "Traceback" not in err
