"""Guided work-up (issue 5): next_findings and `ask`, measured by playing vignettes as oracles."""

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nephrocalc.engine import Engine
from nephrocalc.guidance import Interview, diff, next_findings
from nephrocalc.intake import parse_case
from nephrocalc.knowledge import KnowledgeBase

CASES = Path(__file__).parent / "cases"


def _vignettes() -> list[dict[str, Any]]:
    lines = (CASES / "vignettes.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def questions_to_first(engine: Engine, kb: KnowledgeBase, vignette: dict[str, Any], limit: int = 12) -> int | None:
    """Start from pattern, age and sex; answer from the vignette's clues ('u' where it is silent);
    return how many questions it took to rank the expected cause first (None: not within limit)."""
    full = vignette["case"]
    start = {key: full[key] for key in ("pattern", "age_years", "sex") if key in full}
    interview = Interview(engine, parse_case(start, kb), max_questions=limit, stop_at=1.01)
    stated = full.get("clues", {})
    for asked in range(limit + 1):
        if engine.rank(interview.case)["differential"][0]["cause"] == vignette["expected"]:
            return asked
        question = interview.next_question()
        if question is None:
            return None
        clue = question["clue"]
        answer = stated.get(clue)
        if answer is None and any(stated.get(other) is True for other in kb.lab_siblings.get(clue, ())):
            answer = False  # the same measurement gave the other reading (e.g. low PTH: so not high PTH)
        interview.answer(clue, answer)
    return None


def test_vignettes_reach_the_true_cause_within_six_questions(engine: Engine, kb: KnowledgeBase) -> None:
    counts = {v["id"]: questions_to_first(engine, kb, v) for v in _vignettes()}
    within_six = [name for name, n in counts.items() if n is not None and n <= 6]
    distribution = Counter("never" if n is None else str(n) for n in counts.values())
    # 80% (37/46) with the first model; 34/46 with model v2, whose rules add forms, contradictions and
    # age bands (the interview now also leaves out diagnosis-level clues such as rta). A floor against
    # regressions, not evidence of accuracy: real patients are measured by bench/evaluate.py.
    assert len(within_six) / len(counts) >= 0.72, f"distribution {sorted(distribution.items())}; {counts}"


def test_next_findings_are_sorted_unknown_and_labelled(engine: Engine, kb: KnowledgeBase) -> None:
    case = parse_case({"pattern": "medullary", "age_years": 40, "clues": {"hypercalcemia": True}}, kb)
    found = diff(engine, case)["next_findings"]
    assert found, "a case with one clue leaves informative findings"
    gains = [item["gain"] for item in found]
    assert gains == sorted(gains, reverse=True)
    assert all(item["clue"] != "hypercalcemia" for item in found)
    assert all(item["label"] == kb.clues[item["clue"]].label for item in found)
    pth = next(item for item in found if item["clue"] in ("high_pth", "low_pth"))
    assert pth["lab"] == "pth"


def test_gain_is_zero_for_a_clue_no_cause_distinguishes(engine: Engine, kb: KnowledgeBase,
                                                         tmp_path: Path) -> None:
    import shutil

    from helpers import renamed

    from nephrocalc.loader import load_knowledge_base

    rules = tmp_path / "rules"
    shutil.copytree(Path(kb.root), rules)
    renamed(rules)
    kb_toml = rules / "knowledge_base.toml"  # no weight for `other` either: nothing distinguishes the clue
    kb_toml.write_text(kb_toml.read_text(encoding="utf-8").replace("unused_clue_lr = 2.0", "unused_clue_lr = 1.0"),
                       encoding="utf-8")
    with (rules / "clues.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[clues.idle_finding]\nlabel = "Idle"\ndescription = "Listed by no cause."\n'
                     'group = "history"\nspecificity = "low"\n')
    custom = Engine(load_knowledge_base(rules, use_cache=False))
    case = parse_case({"pattern": "medullary"}, custom.kb)
    every = next_findings(custom, custom.evaluate(case), limit=100)
    assert "idle_finding" not in {item["clue"] for item in every}


def test_the_clue_that_splits_the_top_two_is_asked_first(engine: Engine, kb: KnowledgeBase) -> None:
    # hypercalcaemia with suppressed PTH: vitamin D excess against sarcoidosis and milk-alkali
    case = parse_case({"pattern": "medullary", "age_years": 45,
                       "clues": {"hypercalcemia": True, "low_pth": True}}, kb)
    result = diff(engine, case)
    top_two = {e["cause"] for e in result["differential"][:2]}
    first = result["next_findings"][0]
    assert set(first["separates"]) & top_two, (first, top_two)


def test_given_clues_never_appear(engine: Engine, kb: KnowledgeBase) -> None:
    clues = dict.fromkeys(list(kb.clues)[:20], True)
    case = parse_case({"pattern": "cortical", "clues": clues}, kb)
    found = diff(engine, case)["next_findings"]
    assert not set(clues) & {item["clue"] for item in found}


@pytest.mark.parametrize("answers", ["y\nn\ny\nn\ny\nn\ny\nn\n", "u\nu\nu\nq\n", ""])
def test_ask_scripted_from_stdin_replays_through_diff(run_main: Any, answers: str) -> None:
    status, out, err = run_main(["ask", "--pattern", "medullary", "--age", "30", "--format", "json",
                                 "--max-questions", "5"], stdin=answers)
    assert status == 0, err
    questions = [line for line in err.splitlines() if line.startswith("? ")]
    assert len(questions) <= 5
    for line in questions:
        assert line.split()[1] in json.loads(_run_clues(run_main))
    final = json.loads(out)
    replay_status, replay_out, _ = run_main(["diff", "--case", "-", "--format", "json"],
                                            stdin=json.dumps(final["case"]))
    assert replay_status == 0
    replay = json.loads(replay_out)
    assert [e["cause"] for e in replay["differential"]] == [e["cause"] for e in final["differential"]]


def test_ask_names_the_answers_it_did_not_use(run_main: Any) -> None:
    status, out, err = run_main(["ask", "--pattern", "medullary", "--max-questions", "1", "--format", "json"],
                                stdin="y\nn\nu\n")
    assert status == 0 and json.loads(out)["case"]["clues"]
    assert "nephrocalc: note: 2 more lines of answers not used" in err
    _, _, err = run_main(["ask", "--pattern", "medullary", "--max-questions", "1", "--format", "json"], stdin="y\n")
    assert "not used" not in err


def _run_clues(run_main: Any) -> str:
    status, out, _ = run_main(["clues", "--format", "json"])
    assert status == 0
    return json.dumps([clue["id"] for clue in json.loads(out)["clues"]])


def test_ask_unknown_answers_are_not_asked_again(run_main: Any) -> None:
    _, _, err = run_main(["ask", "--pattern", "medullary", "--max-questions", "6", "--format", "json"],
                         stdin="u\n" * 6)
    asked = [line.split()[1] for line in err.splitlines() if line.startswith("? ")]
    assert len(asked) == len(set(asked)) == 6


def test_a_cant_miss_cause_gets_its_rule_out_test_first(kb: KnowledgeBase) -> None:
    """Harm first (AUDIT D10): unilateral calcification with haematuria and sterile pyuria leaves renal
    tuberculosis a few per cent behind medullary sponge kidney: its rule-out test is proposed first."""
    from nephrocalc.engine import Engine

    engine = Engine(kb)
    case = parse_case({"pattern": "medullary", "modality": "ct", "age_years": 32, "sex": "female",
                       "laterality": "unilateral", "clues": {"hematuria": True, "sterile_pyuria": True}}, kb)
    first = diff(engine, case)["next_findings"][0]
    assert first.get("cant_miss") == "renal_tuberculosis"
    assert "AFB" in first.get("rule_out", "")
    settled = parse_case({"pattern": "medullary", "modality": "ct", "age_years": 32, "sex": "female",
                          "laterality": "unilateral",
                          "clues": {"hematuria": True, "sterile_pyuria": True, "tuberculosis": False}}, kb)
    # "no tuberculosis" is a history, not the test: the test is still proposed, as a caveat, since a given clue never
    # appears among next_findings (blind battery 76; CONTRACT.md section 5)
    result = diff(engine, settled)
    assert not [item for item in result["next_findings"] if item.get("cant_miss") == "renal_tuberculosis"]
    assert any(c["id"] == "rule_out_renal_tuberculosis" and "AFB" in c["message"] for c in result["caveats"])


def test_sterile_pyuria_has_the_tb_test_proposed_whatever_tbs_probability(run_main: Any) -> None:
    """AUDIT D10, blind battery 35: analgesic papillary necrosis with sterile pyuria left renal tuberculosis
    (which also causes papillary necrosis) at 0.002% and proposed no test. Sterile pyuria, its classic sign,
    has the rule-out test proposed below the 1% floor, and the table says why; without it, nothing is."""
    case = {"pattern": "medullary", "modality": "ctu", "laterality": "bilateral", "age_years": 62, "sex": "female",
            "clues": {"analgesic_abuse": True, "papillary_necrosis_signs": True, "calyceal_distortion": True,
                      "small_kidneys": True, "ckd": True, "sterile_pyuria": True}}
    status, out, _ = run_main(["diff", "--case", "-", "--extended", "--format", "json"], stdin=json.dumps(case))
    result = json.loads(out)
    tb = {e["cause"]: e["probability"] for e in result["differential"]}["renal_tuberculosis"]
    proposed = [item for item in result["next_findings"] if item.get("cant_miss") == "renal_tuberculosis"]
    assert status == 0 and tb < 0.02 and proposed
    assert proposed[0]["triggered_by"] == ["sterile_pyuria", "papillary_necrosis_signs", "calyceal_distortion"]
    given = "given sterile pyuria, signs of papillary necrosis and calyceal distortion)"
    status, out, _ = run_main(["diff", "--case", "-", "--extended"], stdin=json.dumps(case))
    assert f"(to rule out Renal tuberculosis, {given}" in " ".join(out.split())
    status, out, _ = run_main(["diff", "--case", "-", "--extended", "--format", "html"], stdin=json.dumps(case))
    assert f"({given}" in out
    # destroyed papillae and distorted calyces propose the test too (tuberculosis is a cause of papillary necrosis)
    quiet = {**case, "clues": {**case["clues"], "sterile_pyuria": False, "papillary_necrosis_signs": False,
                               "calyceal_distortion": False}}
    status, out, _ = run_main(["diff", "--case", "-", "--extended", "--format", "json"], stdin=json.dumps(quiet))
    assert all(item.get("cant_miss") != "renal_tuberculosis" for item in json.loads(out)["next_findings"])


def test_the_first_question_is_never_a_diagnosis_level_clue(engine: Engine, kb: KnowledgeBase) -> None:
    for pattern in ("medullary", "cortical"):
        for age in (0.5, 8, 40):
            case = parse_case({"pattern": pattern, "age_years": age}, kb)
            found = diff(engine, case)["next_findings"]
            assert all(item["clue"] not in kb.supersedes for item in found)


def _real_patients(kb: KnowledgeBase) -> list[dict[str, Any]]:
    records = [json.loads(line) for path in sorted(CASES.glob("published_cases*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in records if r["expected"] in kb.causes and not r.get("duplicate_of")]


def test_real_patients_reach_the_true_cause_within_six_questions(engine: Engine, kb: KnowledgeBase) -> None:
    """`ask` as the issue measures it: published patients, questions answered from what the source
    documents (lab questions with the patient's value), the command's defaults. 38/84 (45%) when the
    question was chosen by gain alone; 52/84 (62%) with the first-line weighting and the same-lab
    choice of [interview]; 70/115 (61%) in 2026-12 (67/115 from the pattern alone), once only a finding
    answered unknown, and not an unknown drug history or a measured one, weighs its group down. A floor at
    the issue's 60%, against regressions (bench/ask.py prints the figure)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
    try:
        import ask
    finally:
        sys.path.pop(0)
    records = _real_patients(kb)
    first = sum(ask.play(engine, record, limit=6, start="known", stop_at=0.9, siblings=False)[0]
                for record in records)
    assert first / len(records) >= 0.60, f"{first}/{len(records)}"


def test_ask_prefers_the_first_line_work_up(engine: Engine, kb: KnowledgeBase) -> None:
    """A question is worth its gain times the chance of an answer: the interview of an adult with medullary
    nephrocalcinosis and nothing else known starts with the first-line work-up (the calcium axis), and a
    second-line finding (a CT urogram's tubular ectasia) comes before a first-line one only when it tells more
    than 1 / other_weight times as much."""
    from nephrocalc.guidance import _candidates, _weights, interview_question

    settings = kb.interview
    assert settings.first_line and 0 < settings.other_weight < 1
    # (each unknown answer also weighs its group down, unknown_group_weight: set aside here, to see the first line)
    plain = Engine(kb._replace(interview=settings._replace(unknown_group_weight=1.0)))
    interview = Interview(plain, parse_case({"pattern": "medullary", "age_years": 45}, kb), max_questions=6,
                          stop_at=1.01)
    for number in range(6):
        evaluation = plain.evaluate(interview.case)
        question = interview.next_question()
        assert question is not None
        if number < 3:
            assert question["clue"] in settings.first_line or question.get("cant_miss"), question
        elif question["clue"] not in settings.first_line and not question.get("cant_miss"):
            first_line = [item["gain"] for item, _ in _candidates(plain, evaluation, _weights(plain, evaluation),
                                                                  frozenset(interview.unknown), measurements=True)
                          if item["clue"] in settings.first_line]
            assert question["gain"] * settings.other_weight >= max(first_line, default=0.0), question
        interview.answer(question["clue"], None)
    # with the weighting switched off, the same interview asks a second-line finding sooner
    flat = Engine(kb._replace(interview=settings._replace(other_weight=1.0)))
    case = parse_case({"pattern": "medullary", "age_years": 45}, kb)
    unknown: set[str] = set()
    asked = []
    for _ in range(6):
        question = interview_question(flat, flat.evaluate(case), frozenset(unknown))
        assert question is not None
        asked.append(question["clue"])
        unknown.add(question["clue"])
    assert any(clue not in settings.first_line for clue in asked), asked


def test_a_drug_history_not_known_does_not_weigh_down_the_laboratory_findings(engine: Engine,
                                                                            kb: KnowledgeBase) -> None:
    """An unknown answer weighs down the rest of its part of the work-up ([interview] unknown_group_weight), and
    a drug taken is part of the drug history wherever its flag is listed: vitamin D treatment not known says
    nothing of whether the serum or urine calcium was measured. Halving the calcium axis for it left a boy of
    ten with medullary nephrocalcinosis, every answer unknown, asked about calcium phosphate stones and
    nephrolithiasis but never about his calcium (a published patient had hypercalcaemia and an adenoma)."""
    vitamin_d = kb.clues["vitamin_d_therapy"]
    assert vitamin_d.agents and vitamin_d.group == "calcium"
    interview = Interview(engine, parse_case({"pattern": "medullary", "age_years": 10, "sex": "male"}, kb),
                          max_questions=6, stop_at=1.01)
    asked = []
    while (question := interview.next_question()) is not None:
        asked.append(question["clue"])
        interview.answer(question["clue"], None)
    assert "vitamin_d_therapy" in asked, asked
    calcium_axis = {"hypercalcemia", "hypercalciuria", "high_pth", "hypophosphatemia"}
    assert calcium_axis & set(asked[asked.index("vitamin_d_therapy") + 1:]), asked


def test_a_finding_answered_from_its_measurement_does_not_weigh_its_group_down(engine: Engine,
                                                                                kb: KnowledgeBase) -> None:
    """Only an "unknown" answer says a part of the work-up was not done. A raised calcium answered yes leaves
    the low calcium unasked, and a calcium given as a value leaves both readings unasked, but the calcium was
    measured: neither weighs the calcium axis down, so the PTH comes next. Counted as unknown, they halved the
    PTH question below a question on calcium-alkali intake for a woman of 40 with hypercalcaemia."""
    case = parse_case({"pattern": "medullary", "age_years": 40, "sex": "female"}, kb)
    said = Interview(engine, case, max_questions=6, stop_at=1.01)
    question = said.next_question()
    assert question is not None and question["clue"] == "hypercalcemia"
    said.answer("hypercalcemia", True)
    assert said.unanswered == [] and "hypocalcemia" in said.unknown
    question = said.next_question()
    assert question is not None and question["clue"] == "high_pth", question
    measured = Interview(engine, case, max_questions=6, stop_at=1.01)
    measured.answer_lab("hypercalcemia", "serum_calcium", "2.9 mmol/L")
    assert measured.unanswered == [] and measured.case.labs
    question = measured.next_question()
    assert question is not None and question["clue"] == "high_pth", question
    measured.back()
    assert not measured.case.labs and measured.unanswered == []


def test_of_two_findings_from_one_lab_ask_the_likelier_one(engine: Engine, kb: KnowledgeBase) -> None:
    """An adult with an alkaline urine: the bicarbonate question is put as acidosis (dRTA), the reading
    a clinician will have written down, rather than as alkalosis; and once the acid-base state is
    unknown, neither reading is asked again."""
    case = parse_case({"pattern": "medullary", "age_years": 35, "clues": {"alkaline_urine": True}}, kb)
    interview = Interview(engine, case, max_questions=12, stop_at=1.01)
    asked = []
    for _ in range(8):
        question = interview.next_question()
        assert question is not None
        asked.append(question["clue"])
        interview.answer(question["clue"], None)
    assert "metabolic_acidosis" in asked and "metabolic_alkalosis" not in asked, asked


def test_interview_first_line_names_known_clues(kb: KnowledgeBase, tmp_path: Path) -> None:
    import shutil

    from nephrocalc.errors import RuleError
    from nephrocalc.loader import load_knowledge_base

    rules = tmp_path / "rules"
    shutil.copytree(Path(kb.root), rules)
    kb_toml = rules / "knowledge_base.toml"
    kb_toml.write_text(kb_toml.read_text(encoding="utf-8").replace('"hypercalcemia", "hypocalcemia", "high_pth"',
                                                                   '"hypercalcaemia_typo", "hypocalcemia", "high_pth"'),
                       encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_knowledge_base(rules, use_cache=False)
    assert "knowledge_base.toml" in str(raised.value) and "interview.first_line" in str(raised.value)


def test_a_lab_given_that_settled_nothing_is_marked_and_said(run_main: Any) -> None:
    """A calcium in its grey zone leaves hypercalcaemia unknown: the hint says the value did not settle it."""
    args = ["diff", "--pattern", "medullary", "--age", "60", "--sex", "male",
            "--lab", "serum_calcium=10.4 mg/dL", "--lab", "pth=95 pg/mL"]
    status, out, _ = run_main([*args, "--format", "json"])
    items = {item["clue"]: item for item in json.loads(out)["next_findings"]}
    assert status == 0 and items["hypercalcemia"].get("lab_given") is True
    assert "lab_given" not in items.get("tubular_ectasia", {})
    status, out, _ = run_main(args)
    assert "serum calcium: the value given did not settle it" in " ".join(out.split())


def test_the_replay_of_a_case_without_a_pattern_says_what_to_fill_in() -> None:
    from nephrocalc.cli.io import replay_command

    assert replay_command({"pattern": "medullary", "age_years": 6.0, "clues": {"rta": True}}) == \
        "nephrocalc diff --pattern medullary --age 6 --rta"
    without = replay_command({"age_years": 0.5, "clues": {"preterm_infant": True}})
    assert without.startswith("nephrocalc diff --pattern PATTERN --age 0.5 --preterm-infant")
    assert "the input gave no pattern" in without


def test_ask_asks_the_calcium_before_the_pth_and_the_pth_after_an_unknown_calcium(run_main: Any) -> None:
    """A PTH is read only beside the calcium (AUDIT D1): one 'y' to a first question about a raised PTH gave
    hyperparathyroidism 93% and ended the interview before the calcium was asked (UX review). The PTH question
    waits for the calcium, and is asked once the calcium is answered, unknown included (after the acid-base state
    and the imaging, when the calcium is unknown: a calcium axis not worked up leaves the PTH unknown too)."""
    _, _, err = run_main(["ask", "--pattern", "medullary", "--age", "40", "--max-questions", "2"], stdin="y\ny\n")
    asked = [line.split()[1] for line in err.splitlines() if line.startswith("? ")]
    assert asked.index("hypercalcemia") < asked.index("high_pth") if "high_pth" in asked else asked[0] != "high_pth"
    _, _, err = run_main(["ask", "--pattern", "medullary", "--age", "40", "--max-questions", "4"], stdin="u\n" * 4)
    asked = [line.split()[1] for line in err.splitlines() if line.startswith("? ")]
    assert asked[0] == "hypercalcemia" and "high_pth" in asked, asked


def test_ask_takes_a_spot_urine_ratio_for_the_urine_calcium_question(run_main: Any) -> None:
    """The hypercalciuria question names the 24-hour urine calcium, but an infant's urine is a spot sample: an
    answer in mg/mg is the calcium/creatinine ratio, which reads the same finding (paediatric review)."""
    argv = ["ask", "--pattern", "medullary", "--age", "6mo", "--format", "json"]
    _, _, err = run_main(argv, stdin="u\n" * 6 + "q\n")  # where the question comes (acid-base first in an infant)
    asked = [line.split()[1] for line in err.splitlines() if line.startswith("? ")]
    assert "hypercalciuria" in asked, asked
    before = asked.index("hypercalciuria")
    status, out, err = run_main(argv, stdin="u\n" * before + "0.9 mg/mg\nq\n")
    assert status == 0, err
    assert json.loads(out)["case"]["labs"] == {"urine_calcium_creatinine_ratio": {"value": 0.9, "unit": "mg/mg"}}


def test_a_rule_out_test_waits_for_the_finding_it_needs_first() -> None:
    """Blind battery 51: a healthy term baby of 4 days with --extended had the vitamin D metabolite ratio and CYP24A1
    sequencing proposed first (infantile hypercalcaemia is can't-miss), before any serum calcium. The serum calcium
    comes first; once it is known, the ratio."""
    import json

    from helpers import invoke

    args = ["diff", "-p", "medullary", "--age", "0.011", "-m", "us", "--no-preterm-infant", "--extended", "-f", "json"]
    status, out, _ = invoke(args)
    first = json.loads(out)["next_findings"][0]
    assert status == 0 and first["clue"] == "hypercalcemia" and first["lab"] == "serum_calcium"
    assert first["cant_miss"] == "idiopathic_infantile_hypercalcemia"
    assert first["rule_out"].startswith("Serum calcium (hypercalcaemia) first; then serum 25-hydroxyvitamin D")
    _, out, _ = invoke([*args, "--hypercalcemia"])
    proposed = [n for n in json.loads(out)["next_findings"]
                if n.get("cant_miss") == "idiopathic_infantile_hypercalcemia"]
    assert proposed and proposed[0]["clue"] == "high_vitamin_d_metabolite_ratio"


def test_a_state_of_a_measurement_is_worth_what_the_measurement_tells(engine: Engine, kb: KnowledgeBase) -> None:
    """The interview asks for a measurement, not for one of its readings: a metabolic acidosis is worth what the
    bicarbonate tells (acidosis, alkalosis or neither), at least what either state tells alone, and a finding of no
    measurement keeps its own gain. Asked one state at a time, the acid-base state of a woman of 24 with medullary
    nephrocalcinosis lost its turn once distal RTA had a form without acidosis (bench/ask.py: 70 -> 62 of 115)."""
    from nephrocalc.guidance import _candidates, _weights

    evaluation = engine.evaluate(parse_case({"pattern": "medullary", "age_years": 24, "sex": "female"}, kb))
    weights = _weights(engine, evaluation)
    alone = {item["clue"]: item["gain"] for item, _ in _candidates(engine, evaluation, weights, frozenset())}
    measured = {item["clue"]: item["gain"] for item, _ in _candidates(engine, evaluation, weights, frozenset(),
                                                                       measurements=True)}
    assert measured["metabolic_acidosis"] > max(alone["metabolic_acidosis"], alone.get("metabolic_alkalosis", 0.0))
    assert measured["tubular_ectasia"] == alone["tubular_ectasia"]
    assert measured["hypercalcemia"] == alone["hypercalcemia"]  # its lab reads two states, not declared exclusive
    # and the interview asks it within its first five questions, where it was not asked in six
    interview = Interview(engine, parse_case({"pattern": "medullary", "age_years": 24, "sex": "female"}, kb),
                          max_questions=5, stop_at=1.01)
    asked = []
    while (question := interview.next_question()) is not None:
        asked.append(question["clue"])
        interview.answer(question["clue"], None)
    assert {"metabolic_acidosis", "metabolic_alkalosis"} & set(asked), asked
