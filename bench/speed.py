"""Speed goals of nephrocalc, each measured as a ratio against a baseline measured in the same run.

Usage: python bench/speed.py [--runs N] [--cases N] [--quick]

1. cold start of `nephrocalc diff --pattern medullary --rta --format json`
   / `python -c "import typer, pydantic"`                                    goal <= 1.3
2. cold start of the table output
   / `python -c "import typer, pydantic, rich.console, rich.table"`          goal <= 1.3
3. `nephrocalc batch` throughput on 40,000 generated cases
   / throughput of stdlib json.loads of the same lines + json.dumps of the same outputs   goal >= 1.0
4. peak memory of `batch` on 200,000 cases / on 5,000 cases                  goal <= 1.5

Cold starts are medians of alternating runs (program, baseline, program, ...), so load on the
machine affects both alike. Standard library only, plus the installed `nephrocalc` command.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

CLUES = [
    "hypercalcemia", "hypercalciuria", "high_pth", "low_pth", "hypophosphatemia", "hyperphosphatemia",
    "high_25oh_vitamin_d", "high_calcitriol", "vitamin_d_therapy", "calcium_alkali_intake", "metabolic_alkalosis",
    "parathyroid_lesion", "ckd", "rta", "metabolic_acidosis", "alkaline_urine", "hypokalemia", "hypocitraturia",
    "autoimmune_disease", "growth_failure", "nephrolithiasis", "tubular_ectasia", "cortical_atrophy",
    "small_kidneys", "tramline_calcification", "calyceal_distortion", "putty_kidney", "hilar_lymphadenopathy",
    "loop_diuretic", "preterm_infant", "sarcoidosis", "high_ace", "obstetric_catastrophe", "shock", "hus",
    "acute_kidney_injury", "tuberculosis", "sterile_pyuria", "hyperoxaluria", "family_history_stones",
    "family_history_kidney_failure", "consanguinity", "glomerulonephritis", "hematuria", "proteinuria",
    "hearing_loss", "lenticonus",
]


def generate_cases(n: int, seed: int = 7) -> Iterator[str]:
    rng = random.Random(seed)
    for i in range(n):
        case: dict[str, object] = {"id": f"c{i}", "pattern": rng.choice(["medullary"] * 8 + ["cortical", "combined"])}
        if rng.random() < 0.8:
            case["age_years"] = rng.choice([0, 1, 4, 9, 15, 25, 40, 55, 70, 82])
        if rng.random() < 0.7:
            case["sex"] = rng.choice(["female", "male"])
        if rng.random() < 0.5:
            case["modality"] = rng.choice(["us", "ct", "xr", "mr"])
        case["clues"] = {c: rng.random() < 0.7 for c in rng.sample(CLUES, rng.randint(1, 7))}
        yield json.dumps(case)


def _time(cmd: list[str], stdin: bytes | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def cold_start(program: list[str], baseline: list[str], runs: int) -> tuple[float, float]:
    for _ in range(2):  # warm the file-system cache for both
        _time(program)
        _time(baseline)
    prog, base = [], []
    for _ in range(runs):
        prog.append(_time(program))
        base.append(_time(baseline))
    return statistics.median(prog), statistics.median(base)


def batch_throughput(nephrocalc: list[str], n: int, workdir: Path) -> tuple[float, float]:
    lines = list(generate_cases(n))
    data = ("\n".join(lines) + "\n").encode()
    out_path = workdir / "out.jsonl"
    with out_path.open("wb") as out:
        subprocess.run([*nephrocalc, "batch", "-"], input=data, stdout=out, check=False)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([*nephrocalc, "batch", "-"], input=data, stdout=subprocess.DEVNULL, check=False)
        best = min(best, time.perf_counter() - start)
    outputs = [json.loads(line) for line in out_path.read_text().splitlines()]
    baseline = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for line in lines:
            json.loads(line)
        for obj in outputs:
            json.dumps(obj)
        baseline = min(baseline, time.perf_counter() - start)
    return n / best, n / baseline


MAXRSS = (
    "import resource, subprocess, sys\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    subprocess.run(sys.argv[2:], stdin=f, stdout=subprocess.DEVNULL, check=False)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def peak_memory(nephrocalc: list[str], n: int, workdir: Path) -> int:
    path = workdir / f"cases-{n}.jsonl"
    with path.open("w") as handle:
        for line in generate_cases(n, seed=n):
            handle.write(line + "\n")
    proc = subprocess.run([sys.executable, "-c", MAXRSS, str(path), *nephrocalc, "batch", "-"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="cold-start runs of each command (default 15)")
    parser.add_argument("--cases", type=int, default=40_000, help="cases for the throughput test")
    parser.add_argument("--quick", action="store_true", help="fewer runs and cases, for a smoke test")
    args = parser.parse_args()
    runs, cases, big, small = args.runs, args.cases, 200_000, 5_000
    if args.quick:
        runs, cases, big = 5, 4_000, 20_000
    exe = shutil.which("nephrocalc")
    nephrocalc = [exe] if exe else [sys.executable, "-m", "nephrocalc"]
    python = sys.executable
    rows = []
    prog, base = cold_start([*nephrocalc, "diff", "--pattern", "medullary", "--rta", "--format", "json"],
                            [python, "-c", "import typer, pydantic"], runs)
    rows.append(("cold start, diff --format json", prog, base, prog / base, "<= 1.3", prog / base <= 1.3, "s"))
    env_table = [*nephrocalc, "diff", "--pattern", "medullary", "--rta"]
    prog, base = cold_start(env_table, [python, "-c", "import typer, pydantic, rich.console, rich.table"], runs)
    rows.append(("cold start, diff (table)", prog, base, prog / base, "<= 1.3", prog / base <= 1.3, "s"))
    with tempfile.TemporaryDirectory() as tmp:
        ours, stdlib = batch_throughput(nephrocalc, cases, Path(tmp))
        rows.append((f"batch throughput, {cases} cases", ours, stdlib, ours / stdlib, ">= 1.0", ours >= stdlib,
                     "cases/s"))
        large, little = peak_memory(nephrocalc, big, Path(tmp)), peak_memory(nephrocalc, small, Path(tmp))
        rows.append((f"batch peak memory, {big} / {small} cases", large, little, large / little, "<= 1.5",
                     large / little <= 1.5, "KiB"))
    print(f"nephrocalc speed ({os.cpu_count()} cores, Python {sys.version.split()[0]})")
    print(f"{'measure':<42} {'nephrocalc':>12} {'baseline':>12} {'ratio':>7}  goal     met")
    ok = True
    for name, value, baseline, ratio, goal, met, unit in rows:
        fmt = "{:>12.3f}" if unit == "s" else "{:>12.0f}"
        print(f"{name:<42} {fmt.format(value)} {fmt.format(baseline)} {ratio:>7.2f}  {goal:<8} {'yes' if met else 'NO'}"
              f"  ({unit})")
        ok &= met
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
