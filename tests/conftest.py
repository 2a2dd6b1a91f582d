"""Shared fixtures: the built-in knowledge base, an engine, a ``rank`` helper and a CLI runner.

The terminal is pinned (no colour, 120 columns) for every test, so rich output is stable
whether pytest runs on a terminal, with ``-s``, or in CI.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from hypothesis import settings

from nephrocalc.case import parse_case
from nephrocalc.engine import Engine
from nephrocalc.knowledge import KnowledgeBase, load_knowledge_base
from nephrocalc.result import Result

# Hypothesis: a bounded, reproducible profile by default; HYPOTHESIS_PROFILE=dev explores more.
settings.register_profile("ci", max_examples=60, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=1000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PINNED_ENV = {"NO_COLOR": "1", "COLUMNS": "120", "LINES": "50", "TERM": "dumb"}
UNPINNED_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE", "NEPHROCALC_RULES",
                "NEPHROCALC_DEBUG")


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


RankFn = Callable[[dict[str, Any]], Result]


@pytest.fixture(scope="session")
def rank(kb: KnowledgeBase, engine: Engine) -> RankFn:
    """``rank(case_dict)``: validate a contract case (raising InputError) and rank it."""

    def _rank(case: dict[str, Any]) -> Result:
        return engine.rank(parse_case(case, kb))

    return _rank


InvokeFn = Callable[..., Any]


@pytest.fixture
def cli() -> Iterator[InvokeFn]:
    """``cli(args, input=None)``: run the typer app in-process through typer's CliRunner.

    The ``diff`` command is generated from the clue vocabulary, so it must be registered first
    (``nephrocalc.cli.run`` does the same). Colour and width are pinned by ``_pinned_terminal``.
    """
    import typer.testing

    import nephrocalc.cli as cli_module

    cli_module._register_diff(cli_module.knowledge_base())
    runner = typer.testing.CliRunner()

    def invoke(args: Sequence[str], input: str | bytes | None = None) -> Any:
        return runner.invoke(cli_module.app, list(args), input=input, env=PINNED_ENV, prog_name="nephrocalc")

    yield invoke
