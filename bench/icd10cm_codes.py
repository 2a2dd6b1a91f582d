"""Check the ICD-10-CM codes of rules/clues.toml (`icd10cm`) against the CMS code tables.

Usage: python bench/icd10cm_codes.py [--rules DIR]

Every code, category and block of every clue is looked up in the ICD-10-CM tables shipped with the
`simple-icd-10-cm` package (the CMS tabular list, FY2026): one the tables do not hold is an error. Each is printed
with its official description beside the clue's label, for a reviewer to confirm that the code names the clue itself.
Exits 1 when a code is unknown, 0 otherwise.

Development tool only, not run in CI: standard library plus `simple_icd_10_cm` (`pip install simple-icd-10-cm`),
which is not a dependency of nephrocalc. Run it whenever a clue gains an ICD-10-CM code, and after a new fiscal year's
tables (codes are added each October; a few are deleted).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=Path(__file__).resolve().parent.parent / "rules")
    args = parser.parse_args(argv)
    try:
        import simple_icd_10_cm as cm  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        sys.exit("bench/icd10cm_codes.py needs simple_icd_10_cm: pip install simple-icd-10-cm")

    clues = tomllib.loads((args.rules / "clues.toml").read_text(encoding="utf-8"))["clues"]
    unknown = 0
    for clue_id, clue in clues.items():
        for code in clue.get("icd10cm", []):
            if not cm.is_valid_item(code):
                print(f"UNKNOWN {clue_id}: {code}")
                unknown += 1
                continue
            print(f"{clue_id:<34} {clue['label']:<34} {code:<8} {cm.get_description(code)}")
    print(f"{unknown} unknown", file=sys.stderr)
    return 1 if unknown else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
