"""Shared fixtures: the built-in knowledge base, an engine, a ``rank`` helper and a CLI runner.

The terminal is pinned (no colour, 120 columns) for every test, so rich output is stable
whether pytest runs on a terminal, with ``-s``, or in CI.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from helpers import as_data
from hypothesis import settings

from nephrocalc.engine import Engine
from nephrocalc.intake import parse_case
from nephrocalc.knowledge import KnowledgeBase
from nephrocalc.loader import load_knowledge_base

# Hypothesis: a bounded, reproducible profile by default; HYPOTHESIS_PROFILE=dev explores more.
settings.register_profile("ci", max_examples=60, derandomize=True, deadline=None, database=None, print_blob=True)
settings.register_profile("dev", max_examples=1000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PINNED_ENV = {"NO_COLOR": "1", "COLUMNS": "120", "LINES": "50", "TERM": "dumb"}
UNPINNED_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE", "NEPHROCALC_RULES",
                "NEPHROCALC_DEBUG")


_SAVED_ENV: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Keep nephrocalc's on-disk cache (nephrocalc/cache.py) out of the user's home.

    Set before any test module is imported (some load the knowledge base at import time), and
    inherited by the subprocesses of test_subprocess.py.
    """
    for key in ("NEPHROCALC_CACHE_DIR", "NEPHROCALC_NO_CACHE"):
        _SAVED_ENV[key] = os.environ.get(key)
    os.environ["NEPHROCALC_CACHE_DIR"] = tempfile.mkdtemp(prefix="nephrocalc-test-cache-")
    os.environ.pop("NEPHROCALC_NO_CACHE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _SAVED_ENV:
        return
    shutil.rmtree(os.environ["NEPHROCALC_CACHE_DIR"], ignore_errors=True)
    for key, value in _SAVED_ENV.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _pinned_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """No colour and a fixed width, whatever terminal (if any) pytest runs on."""
    for key, value in PINNED_ENV.items():
        monkeypatch.setenv(key, value)
    for key in UNPINNED_ENV:
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The built-in knowledge base, loaded once."""
    return load_knowledge_base()


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase) -> Engine:
    return Engine(kb)


RankFn = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture(scope="session")
def rank(kb: KnowledgeBase, engine: Engine) -> RankFn:
    """``rank(case_dict)``: validate a contract case (raising InputError), rank it, return the JSON data."""

    def _rank(case: dict[str, Any]) -> dict[str, Any]:
        return as_data(engine.rank(parse_case(case, kb)))

    return _rank


MainFn = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> MainFn:
    """``run_main(args, stdin=None) -> (status, stdout, stderr)`` through ``nephrocalc.cli.run``.

    ``run`` is what the console script calls: it turns every user error into one line on stderr
    and an exit status, which typer's CliRunner would otherwise hide in ``result.exception``.
    """
    import nephrocalc.cli as cli_module

    def _run(args: Sequence[str], stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8"))
        capsys.readouterr()
        status = cli_module.run(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return _run


InvokeFn = Callable[..., Any]


@pytest.fixture
def cli() -> Iterator[InvokeFn]:
    """``cli(args, input=None)``: run the typer app in-process through typer's CliRunner.

    The application is built by the same factory as ``nephrocalc.cli.run`` uses, with every
    command. Colour and width are pinned by ``_pinned_terminal``.
    """
    import typer.testing

    from nephrocalc.cli.app import Session, build_app

    app = build_app(Session())
    runner = typer.testing.CliRunner()

    def invoke(args: Sequence[str], input: str | bytes | None = None) -> Any:
        return runner.invoke(app, list(args), input=input, env=PINNED_ENV, prog_name="nephrocalc")

    yield invoke
