"""What ships: the wheel carries the rules, the sdist carries everything its tests need, the layers
hold, and the test suite never writes to the user's own cache."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("build")
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir",
                           str(out), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def _rule_files() -> set[str]:
    return {p.relative_to(ROOT / "rules").as_posix() for p in (ROOT / "rules").rglob("*") if p.is_file()}


def test_the_wheel_carries_every_rule_file_inside_the_package(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
    shipped = {n.removeprefix("nephrocalc/rules/") for n in names if n.startswith("nephrocalc/rules/")}
    assert _rule_files() <= shipped, sorted(_rule_files() - shipped)
    assert not any(n.startswith("rules/") for n in names), "rules must live inside the package"


def test_the_sdist_carries_what_its_tests_need(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for needed in ("tests/conftest.py", "tests/test_packs.py", "docs/packs/bartter/pack.toml", "rules/clues.toml",
                   "README.md", ".importlinter", "bench/evaluate.py"):
        assert needed in names, needed


def test_the_sdists_pack_tests_run_from_the_sdist(dists: dict[str, Path], tmp_path: Path) -> None:
    with tarfile.open(dists["sdist"]) as sdist:
        sdist.extractall(tmp_path, filter="data")
    top = next(tmp_path.iterdir())
    env = {**os.environ, "NEPHROCALC_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_packs.py",
                           "tests/test_robustness.py"], cwd=top, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_import_cycle_in_the_package() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("nephrocalc")
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            parents = (importer.startswith(imported + ".") or imported.startswith(importer + "."))
            if not parents and graph.chain_exists(imported=importer, importer=imported):
                cycles.append((importer, imported))
    assert cycles == []


def test_the_layer_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed")
    done = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]


def test_collecting_the_suite_never_writes_to_the_users_cache(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NEPHROCALC_", "XDG_"))}
    env["HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider",
                           "tests/test_properties.py", "tests/test_labs.py"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-2000:]
    assert not (tmp_path / ".cache" / "nephrocalc").exists()
