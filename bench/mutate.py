"""A small mutation-testing run: does the test suite notice when the code is subtly wrong?

Usage: python bench/mutate.py [--mutants N] [--seed S]

For each of the core modules below, operator mutants (a comparison flipped or loosened, + for -,
a constant nudged, True for False) are drawn at random with a fixed seed, applied one at a time to a
copy of the repository, and the module's own tests run against the copy. A mutant is "killed" when a
test fails. The kill rate is printed per module; surviving mutants are listed for review (some are
equivalent: they change nothing observable). Not run in CI: it takes minutes. Standard library only
(the role mutmut would play, without its copy-the-project machinery).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "nephrocalc/engine/__init__.py": ["tests/test_engine.py", "tests/test_properties.py"],
    "nephrocalc/engine/table.py": ["tests/test_engine.py", "tests/test_properties.py"],
    "nephrocalc/engine/fit.py": ["tests/test_engine.py", "tests/test_fit.py"],
    "nephrocalc/labs.py": ["tests/test_labs.py"],
    "nephrocalc/guidance.py": ["tests/test_guided.py"],
    "nephrocalc/cache.py": ["tests/test_cache.py"],
}
OPERATORS = [
    (r" >= ", " > "), (r" <= ", " < "), (r" > ", " >= "), (r" < ", " <= "), (r" == ", " != "), (r" != ", " == "),
    (r" \+ ", " - "), (r" - ", " + "), (r"\bTrue\b", "False"), (r"\bFalse\b", "True"), (r"\band\b", "or"),
    (r"\bor\b", "and"), (r"(?<![\w.])(\d+\.\d+)(?![\w.])", None), (r"(?<![\w.\[])([1-9]\d*)(?![\w.\]])", None),
]


def sites(text: str) -> list[tuple[int, int, int, str]]:
    """Every (line, start, end, replacement) a mutation operator can apply to, outside comments and strings."""
    found = []
    in_docstring = False
    for number, line in enumerate(text.splitlines()):
        if line.count('"""') % 2 == 1:  # a docstring opens or closes on this line
            in_docstring = not in_docstring
            continue
        if in_docstring or '"""' in line:
            continue
        code = line.split("#", 1)[0]
        stripped = code.strip()
        if not stripped or stripped.startswith(('"""', "'", '"', "from ", "import ", "def ", "class ", "@")):
            continue
        if code.count('"') or code.count("'"):
            continue  # keep to lines without string literals: mutants there are mostly message text
        for pattern, replacement in OPERATORS:
            for match in re.finditer(pattern, code):
                if replacement is None:
                    value = match.group(1)
                    new = str(float(value) * 1.5 + 0.5) if "." in value else str(int(value) + 1)
                else:
                    new = replacement
                if new != match.group(0).strip() and new != match.group(0):
                    found.append((number, match.start(), match.end(), new))
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutants", type=int, default=8, help="mutants per module (default 8)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rnd = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="nephrocalc-mutants-"))
    copy = work / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", ".venv", "*.egg-info"))
    env = {**os.environ, "PYTHONPATH": str(copy), "NEPHROCALC_CACHE_DIR": str(work / "cache")}
    total_killed = total = 0
    survivors: list[str] = []
    try:
        for module, tests in TARGETS.items():
            path = copy / module
            original = path.read_text(encoding="utf-8")
            candidates = sites(original)
            chosen = rnd.sample(candidates, min(args.mutants, len(candidates)))
            killed = 0
            for number, start, end, new in chosen:
                lines = original.splitlines(keepends=True)
                line = lines[number]
                lines[number] = line[:start] + new + line[end:]
                path.write_text("".join(lines), encoding="utf-8")
                existing = [t for t in tests if (copy / t).exists()]
                done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                       "-m", "not process", *existing], cwd=copy, env=env, capture_output=True,
                                      text=True, timeout=600)
                if done.returncode != 0:
                    killed += 1
                else:
                    survivors.append(f"{module}:{number + 1}: {line.strip()}  ->  {lines[number].strip()}")
            path.write_text(original, encoding="utf-8")
            total_killed += killed
            total += len(chosen)
            print(f"{module:<36} {killed}/{len(chosen)} killed", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"kill rate: {total_killed}/{total} ({total_killed / max(total, 1):.0%})")
    for survivor in survivors:
        print(f"  survived  {survivor}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
