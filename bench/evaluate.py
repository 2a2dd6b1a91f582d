"""Rank a set of labelled cases and report how often the expected cause comes first and in the top three.

Usage: python bench/evaluate.py [FILE.jsonl ...]   (default: tests/cases/*.jsonl)
Each line: {"id": ..., "expected": cause_id, "case": {...contract case...}}. With --no-labs the
cases' lab values are dropped (clues only). Standard library plus nephrocalc.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nephrocalc.engine import Engine
from nephrocalc.intake import parse_case
from nephrocalc.loader import load_knowledge_base


def main(argv: list[str]) -> int:
    no_labs = "--no-labs" in argv
    argv = [a for a in argv if a != "--no-labs"]
    paths = [Path(a) for a in argv] or sorted(Path("tests/cases").glob("*.jsonl"))
    kb = load_knowledge_base()
    engine = Engine(kb)
    first = top3 = total = 0
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            case_data = dict(record["case"])
            if no_labs:
                case_data.pop("labs", None)
            result = engine.rank(parse_case(case_data, kb))
            ranking = [e["cause"] for e in result["differential"]]
            position = ranking.index(record["expected"]) + 1
            total += 1
            first += position == 1
            top3 += position <= 3
            if position > 1:
                top = result["differential"][0]
                print(f"{record['id']:<28} expected {record['expected']:<26} rank {position:>2}; "
                      f"got {top['cause']} ({top['probability']:.2f})")
    if total:
        print(f"{total} cases: first {first / total:.0%} ({first}), top three {top3 / total:.0%} ({top3})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
