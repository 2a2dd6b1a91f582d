"""Small helpers shared by the tests (plain functions, not fixtures).

Results are handled as the JSON data of CONTRACT.md section 4 (the shape `diff --format json`
prints), whatever Python type the engine returns them as.
"""

from __future__ import annotations

from typing import Any


def as_data(result: Any) -> dict[str, Any]:
    """The JSON-ready data of a result (``Engine.rank`` returns it directly, or via ``to_dict()``)."""
    data: dict[str, Any] = result.to_dict() if hasattr(result, "to_dict") else result
    return data


def ranking(result: dict[str, Any]) -> list[str]:
    """The cause ids of a result, best first."""
    return [entry["cause"] for entry in result["differential"]]


def entry(result: dict[str, Any], cause: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in result["differential"] if e["cause"] == cause)
    return found


def probability(result: dict[str, Any], cause: str) -> float:
    return float(entry(result, cause)["probability"])


def score(result: dict[str, Any], cause: str) -> float:
    return float(entry(result, cause)["score"])


def note_ids(notes: list[dict[str, Any]]) -> list[str]:
    return [note["id"] for note in notes]


def invoke(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """``nephrocalc.cli.run(argv)`` in-process, with ``stdin`` as piped bytes: ``(status, stdout, stderr)``.

    Unlike the ``run_main`` fixture this takes no pytest fixture, so hypothesis tests can call it
    once per example. The streams behave as a real process's in a UTF-8 locale: standard input is
    a pipe (not a terminal) decoded strictly, with ``.buffer`` for ``batch``; standard output
    encodes strictly, standard error with backslashreplace. A run changes no module state; the
    garbage-collector settings of ``batch`` are put back all the same.
    """
    import gc
    import io
    import sys

    import nephrocalc.cli as cli_module

    fake_in = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    fake_out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    fake_err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace", write_through=True)
    saved = sys.stdin, sys.stdout, sys.stderr
    threshold = gc.get_threshold()
    sys.stdin, sys.stdout, sys.stderr = fake_in, fake_out, fake_err
    try:
        status = cli_module.run(list(argv))
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        gc.unfreeze()
        gc.set_threshold(*threshold)
    fake_out.flush()
    fake_err.flush()
    out = fake_out.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
    err = fake_err.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
    return status, out, err


def renamed(rules: Any, name: str = "site knowledge base") -> Any:
    """``rules``, a copy of rules/ to be edited, given a name of its own in its knowledge_base.toml: a name beginning
    with "nephrocalc" is kept for the knowledge bases as shipped, and an edited copy that keeps it is refused."""
    path = rules / "knowledge_base.toml"
    text = path.read_text(encoding="utf-8")
    shipped = 'name = "nephrocalc built-in knowledge base"'
    assert shipped in text
    path.write_text(text.replace(shipped, f"name = {name!r}", 1), encoding="utf-8")
    return rules


def run_document(tmp_path: Any, flag: str, document: dict[str, Any]) -> dict[str, Any]:
    """``diff FLAG FILE --format json`` on a standard document (``--fhir``, ``--phenopacket``) written to
    ``tmp_path``: the result, after checking the run succeeded."""
    import json

    path = tmp_path / "input.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    status, out, err = invoke(["diff", flag, str(path), "--format", "json"])
    assert status == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def read_terminal(master: int, proc: Any, timeout: float) -> bytes:
    """Everything a child process writes to the pseudo-terminal whose master end is ``master``,
    until it closes the terminal or exits (at most ``timeout`` seconds)."""
    import os
    import select
    import time

    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


class PropertyWorld:
    """The built-in knowledge base and engine shared by the property-based test modules (hypothesis
    strategies are built at import, so a fixture will not do)."""

    def __init__(self) -> None:
        from nephrocalc.engine import Engine
        from nephrocalc.loader import load_knowledge_base

        self.kb = load_knowledge_base()
        self.engine = Engine(self.kb)
        self.clues = sorted(self.kb.clues)
        self.causes = sorted(self.kb.causes)
        self.ranked = sorted([*self.kb.causes, "other"])  # every entry of a differential: the causes and `other`

    def rank(self, case: dict[str, Any]) -> dict[str, Any]:
        from nephrocalc.intake import parse_case

        return as_data(self.engine.rank(parse_case(case, self.kb)))


_WORLD: list[PropertyWorld] = []


def __getattr__(name: str) -> Any:
    """``WORLD`` is built on first use, not when this module is imported: conftest imports it before
    pytest_configure points the cache at a temporary directory, and the user's cache must stay
    untouched."""
    if name == "WORLD":
        if not _WORLD:
            _WORLD.append(PropertyWorld())
        return _WORLD[0]
    raise AttributeError(name)
