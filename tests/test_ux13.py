"""UX review 13 (a resident, a nephrologist and a researcher new to the tool; each test fails without its fix)."""

from __future__ import annotations

import json

from helpers import invoke


def test_a_csv_row_can_say_that_its_probability_was_capped() -> None:
    """UX review 13: a capped 0.95 could not be told from a measured 0.95 in csv; --fields capped says it."""
    line = (b'{"id": "a", "pattern": "medullary", "age_years": 58, "clues": {"hypercalcemia": true, "high_pth": true, '
            b'"nephrolithiasis": true, "hypophosphatemia": true}}\n')
    status, out, err = invoke(["batch", "-f", "csv", "--fields", "id,cause,probability,capped", "--top", "2"], line)
    assert status == 0 and out.splitlines()[0] == "id,cause,probability,capped", err
    first, second = (row.split(",") for row in out.splitlines()[1:])
    assert first[1:] == ["hyperparathyroidism", "0.950000", "yes"] and second[3] == "no"
    status, out, _ = invoke(["batch", "-f", "csv"], line)
    assert "capped" not in out.splitlines()[0]


def test_ask_names_the_cause_it_stopped_at_as_the_table_does() -> None:
    """`ask` ended with "Stopped: hyperparathyroidism reached 95%", the id where the table gives the name."""
    status, out, err = invoke(["ask", "-p", "medullary", "--age", "50", "--format", "json"], b"y\ny\n")
    assert status == 0 and json.loads(out)["interview"]["stopped"].startswith("Hyperparathyroidism reached 95%"), err


def test_the_table_proposes_the_first_line_work_up_before_a_second_imaging_study() -> None:
    """A CT of medullary nephrocalcinosis with stones, no labs: the table proposed tubular ectasia, hypercalcaemia and
    a parathyroid lesion, i.e. parathyroid imaging before a serum calcium or PTH. It follows the order `ask` asks
    in (gain x the chance the answer is at hand); the JSON list stays by gain (CONTRACT.md section 5)."""
    flags = ["diff", "-p", "medullary", "--age", "34", "--sex", "female", "--modality", "ct", "--nephrolithiasis"]
    status, out, _ = invoke(flags)
    line = next(text for text in out.splitlines() if text.startswith("To narrow this down"))
    assert status == 0 and line.startswith("To narrow this down, check: (1) hypercalcaemia (serum calcium);"), out
    assert "parathyroid lesion" not in line
    status, out, _ = invoke([*flags, "--format", "json"])
    following = json.loads(out)["next_findings"]
    gains = [item["gain"] for item in following]
    assert gains == sorted(gains, reverse=True) and all("priority" in item for item in following)


def test_explain_names_the_other_forms_term_once() -> None:
    """--explain printed "+0.85  forms other forms: ...", read as a slip."""
    status, out, err = invoke(["diff", "-p", "medullary", "--rta", "--explain"])
    assert status == 0 and "  other forms: the cause's other forms" in out and "forms other forms" not in out, err


def test_a_poor_fit_from_a_combination_names_its_findings() -> None:
    """A hypokalaemic alkalosis with hypercalciuria at 25 was a poor fit naming no finding (unexplained: []), as each
    finding alone has a cause of the twelve; contract section 7 wants the poor fit said with its findings. (Since
    knowledge base 2.9.35 the open world leads that case and medullary sponge kidney, first of the twelve, leaves the
    alkalosis unexplained; with polyuria, which hypercalcaemic causes explain, the combination is still named.)"""
    flags = ["diff", "-p", "medullary", "--age", "25", "--hypokalemia", "--metabolic-alkalosis", "--hypercalciuria"]
    status, out, _ = invoke(flags)
    assert status == 0 and out.splitlines()[0] == ("Poor fit: no cause in the knowledge base explains these findings "
                                                   "well: Metabolic alkalosis"), out
    flags = ["diff", "-p", "medullary", "--age", "25", "--hypokalemia", "--metabolic-alkalosis", "--polyuria"]
    status, out, _ = invoke(flags)
    assert status == 0 and out.splitlines()[0] == ("Poor fit: no cause in the knowledge base produces this combination "
                                                   "of findings: Hypokalaemia, Metabolic alkalosis"), out
    status, out, _ = invoke([*flags, "--format", "json"])
    assert json.loads(out)["fit"]["combination"] == ["hypokalemia", "metabolic_alkalosis"]


def test_the_first_week_band_of_the_nephrocalcinosis_of_prematurity_holds_from_the_first_hours() -> None:
    """Consistency review 14: the band that makes the nephrocalcinosis of prematurity unlikely in the first week started
    at 0.001 years (9 hours): a 4-hour-old kept the full prior (89%), a 9-hour-old did not (64%). Age 0 stays the
    convention for a preterm neonate of unstated age."""
    def leader(age: float) -> float:
        case = json.dumps({"pattern": "medullary", "age_years": age}).encode()
        status, out, err = invoke(["diff", "--case", "-", "--format", "json"], case)
        assert status == 0, err
        top: float = json.loads(out)["differential"][0]["probability"]
        return top
    assert leader(0.0005) == leader(0.001) < leader(0.0) == leader(0.02)


def test_hearing_loss_weighs_less_from_55_not_all_at_once_at_65() -> None:
    """Consistency review 14: haematuria and hearing loss under a cortical pattern gave Alport syndrome 94% at 64.99 and
    28% at 65, as the population's hearing loss band began at 65; disabling hearing loss is already 8.5% at 55-64
    [NIDCD-QS]."""
    def alport(age: float) -> float:
        case = {"pattern": "cortical", "age_years": age, "clues": {"hematuria": True, "hearing_loss": True}}
        status, out, err = invoke(["diff", "--case", "-", "--format", "json"], json.dumps(case).encode())
        assert status == 0, err
        return next(float(e["probability"]) for e in json.loads(out)["differential"] if e["cause"] == "alport_syndrome")
    assert alport(50) > alport(60) > alport(70)
    assert alport(64.99) - alport(65) < 0.5


def test_a_long_list_of_faint_cant_miss_causes_is_counted_not_spelt_out() -> None:
    """UX review 13: under --extended 'Also can't miss, each below 0.1%' named 15 causes, mimics among them."""
    status, out, _ = invoke(["diff", "-p", "medullary", "--age", "34", "--sex", "female", "--nephrolithiasis",
                             "--extended"])
    joined = out.replace("\n", " ")
    start = joined.index("! Also can't miss, each below 0.1%: ")
    line = joined[start:joined.index("(nephrocalc cause ID --extended gives the rule-out test)", start)]
    assert status == 0 and line.rstrip().endswith(" more"), out
    assert line.split(": ", 1)[1].split(" and ")[0].count(",") == 4


def test_a_lab_note_shows_a_value_given_in_another_unit_converted() -> None:
    """Blind battery 42: 'vitamin_d_25oh 20 nmol/L < 20 ng/mL' and 'pth 11.7 pmol/L > 65 pg/mL' read as nonsense."""
    status, out, err = invoke(["diff", "-p", "medullary", "--age", "50", "--lab", "vitamin_d_25oh=20nmol/L",
                               "--lab", "pth=11.7pmol/L", "--lab", "serum_calcium=9.0mg/dL", "--format", "json"])
    notes = [w["message"] for w in json.loads(out)["warnings"] if w["id"] == "lab_note"]
    assert status == 0 and any(n.startswith("vitamin_d_25oh 20 nmol/L (8.013 ng/mL) < 20 ng/mL") for n in notes), err
    assert any(n.startswith("pth 11.7 pmol/L (110.4 pg/mL) > 65 pg/mL") for n in notes), notes
