"""Play real patients through the guided work-up (`nephrocalc ask`) and count how often the true
cause is ranked first within N questions.

Usage: python bench/ask.py [FILE.jsonl ...] [--max N] [--start pattern|known] [--stop-at P] [--list]
  default files: the published patients inside the twelve (tests/cases/published_cases*.jsonl)
  --start pattern   the interview starts from the pattern alone
  --start known     (default) from pattern, age, sex, modality and laterality: what a reader of the
                    images knows before any question
  --stop-at P       as `ask --stop-at` (default 0.9, the command's default)
  --literal         answer only the very clue asked (by default, a finding read off the same lab as a
                    stated one is answered "no": low PTH stated, so PTH is not high)

Each question is answered from what the source documents, as a clinician with the chart would:
the stated clue (y/n); else, when a lab settles the question and the patient has that lab, its
value with its unit; else, when another finding of the same lab is stated present, "no"; else
"unknown". A question answered "unknown" still counts as asked.
Standard library plus nephrocalc.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from nephrocalc.engine import Engine, load_engine
from nephrocalc.guidance import Interview
from nephrocalc.intake import parse_case

START_FIELDS = {"pattern": ("pattern",), "known": ("pattern", "age_years", "sex", "modality", "laterality",
                                                   "grade", "distribution")}


def play(engine: Engine, record: dict[str, Any], *, limit: int, start: str, stop_at: float,
         siblings: bool = True) -> tuple[bool, int, list[str]]:
    full = record["case"]
    begin = {key: full[key] for key in START_FIELDS[start] if key in full}
    interview = Interview(engine, parse_case(begin, engine.kb), max_questions=limit, stop_at=stop_at)
    stated: dict[str, bool] = dict(full.get("clues", {}))
    labs: dict[str, dict[str, Any]] = dict(full.get("labs", {}))
    trail: list[str] = []
    while True:
        question = interview.next_question()
        if question is None:
            break
        clue, lab = question["clue"], question.get("lab")
        if clue in stated:
            interview.answer(clue, stated[clue])
            trail.append(f"{clue}={'y' if stated[clue] else 'n'}")
        elif lab and lab in labs:
            interview.answer_lab(clue, lab, f"{labs[lab]['value']} {labs[lab].get('unit', '')}".strip())
            trail.append(f"{lab}={labs[lab]['value']}")
        elif siblings and any(stated.get(other) is True for other in engine.kb.lab_siblings.get(clue, ())):
            interview.answer(clue, False)
            trail.append(f"{clue}=n")
        else:
            interview.answer(clue, None)
            trail.append(f"{clue}=u")
    top = engine.rank(interview.case)["differential"][0]["cause"]
    return top == record["expected"], interview.asked, trail


def main(argv: list[str]) -> int:
    limit = int(argv[argv.index("--max") + 1]) if "--max" in argv else 6
    start = argv[argv.index("--start") + 1] if "--start" in argv else "known"
    stop_at = float(argv[argv.index("--stop-at") + 1]) if "--stop-at" in argv else 0.9
    skip = {argv[i + 1] for i, a in enumerate(argv) if a in ("--max", "--start", "--stop-at")}
    names = [a for a in argv if not a.startswith("--") and a not in skip]
    root = Path(__file__).resolve().parent.parent / "tests" / "cases"
    paths = [Path(a) for a in names] or sorted(root.glob("published_cases*.jsonl"))
    engine = load_engine(())
    records = [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip()]
    records = [r for r in records if r["expected"] in engine.kb.causes and not r.get("duplicate_of")]
    first = 0
    for record in records:
        ok, _, trail = play(engine, record, limit=limit, start=start, stop_at=stop_at,
                            siblings="--literal" not in argv)
        first += ok
        if "--list" in argv and not ok:
            print(f"  {record['id']:<28} {record['expected']:<24} {' '.join(trail)}")
    who = "published patients" if not names else "patients of " + ", ".join(Path(n).name for n in names)
    print(f"ask from {start}, at most {limit} questions, stop at {stop_at:g}: true cause first in "
          f"{first}/{len(records)} ({first / len(records):.0%}) {who}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
