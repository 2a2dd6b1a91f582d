"""The typer application, built by a factory for one run: no module-global state is changed.

``build_app(session, invoked)`` registers every command as a closure over the run's ``Session``
(its rule packs, and the engine loaded once). Only the invoked command gets its full options
(`diff` and `ask` get a flag per clue of the knowledge base), because typer builds every option
of every command it holds at start-up. Each command reads like fastapi-cli's: parse, call the
core, render; errors are mapped to exit statuses in one place (``cli.run``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nephrocalc import __version__
from nephrocalc.cli.commands import Commands, Session
from nephrocalc.cli.options import (
    ask_options,
    case_signature,
    clue_options,
    save_option,
)

if TYPE_CHECKING:
    from nephrocalc.knowledge import KnowledgeBase

__all__ = ["APP_SETTINGS", "Session", "build_app"]

APP_SETTINGS: dict[str, Any] = {
    "name": "nephrocalc",
    "help": "Ranked, explained differential diagnosis of nephrocalcinosis. "
    "Decision support for clinicians, not a diagnosis.",
    "no_args_is_help": True,
    "add_completion": True,
    "pretty_exceptions_enable": False,
    # plain click help: it wraps long flags instead of cutting them (rich tables truncate at 80 columns)
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}


def _version_text(session: Session) -> str:
    """The program's version, the knowledge base's, and every rule pack loaded with it."""
    kb = session.kb()
    lines = [f"nephrocalc {__version__}", f"knowledge base: {kb.name} {kb.version}"]
    lines += [f"rule pack: {pack.name} {pack.version} ({pack.path})" for pack in kb.packs
              if pack.path != "built-in"]
    return "\n".join(lines)


def _version(ctx: typer.Context, value: bool) -> None:
    if value:  # the session is the root context's obj (build_app)
        typer.echo(_version_text(ctx.find_root().obj))
        raise typer.Exit()


EXAMPLES = """Examples:

\b
  nephrocalc diff --pattern medullary --rta --hypokalaemia
  nephrocalc diff -p medullary --age 6mo --lab Ca=2.9mmol/L --lab PTH=95pg/mL
  nephrocalc diff --case case.json --format html > report.html
  nephrocalc ask --pattern cortical
  nephrocalc batch cases.jsonl --format tsv > ranked.tsv
  nephrocalc diff --phenopacket patient.json --extended
  nephrocalc cause distal_rta
"""


def build_app(session: Session, invoked: str | None = None) -> typer.Typer:
    """The application for this run; with ``invoked``, only that command is registered (same root)."""
    # the session rides on the root context (--version reads the knowledge base's version from it)
    settings = {**APP_SETTINGS, "context_settings": {**APP_SETTINGS["context_settings"], "obj": session}}
    app = typer.Typer(**settings)

    @app.callback(epilog=EXAMPLES)
    def _root(
        version: Annotated[bool | None, typer.Option(
            "--version", callback=_version, is_eager=True,
            help="Print the program's and the knowledge base's versions and exit.")] = None,
    ) -> None:
        """Ranked, explained differential diagnosis of nephrocalcinosis.

        Decision support for clinicians, not a diagnosis.
        """

    def wanted(name: str) -> bool:
        return invoked is None or invoked == name

    commands = Commands(session)
    if wanted("diff"):
        diff = _with_signature(commands.diff, case_signature(session.kb(), save_option(), with_clues=False))
        app.command("diff", no_args_is_help=True, cls=_with_clue_flags(session.kb()))(diff)
    if wanted("ask"):
        ask = _with_signature(commands.ask, case_signature(session.kb(), ask_options(), with_clues=False))
        app.command("ask", no_args_is_help=True, cls=_with_clue_flags(session.kb()))(ask)
    registrations: list[tuple[str, Callable[..., None]]] = [
        ("batch", commands.batch), ("schema", commands.schema), ("causes", commands.causes),
        ("cause", commands.cause), ("clues", commands.clues), ("labs", commands.labs),
                     ("imaging", commands.imaging), ("grading", commands.grading), ("method", commands.method),
        ("sources", commands.sources)]
    for name, function in registrations:
        if wanted(name):
            app.command(name)(function)
    if wanted("rules"):
        rules_app = typer.Typer(help="Rule packs: check a pack before using it.", no_args_is_help=True)
        rules_app.command("check")(commands.rules_check)
        app.add_typer(rules_app, name="rules")
    if invoked is not None and not app.registered_commands and not app.registered_groups:
        return build_app(session, None)  # an unknown command: let click say so, with the full list
    return app


def _with_clue_flags(kb: KnowledgeBase) -> type[Any]:
    """A command class for `diff` and `ask` whose options end with a tri-state flag per clue."""
    from typer.core import TyperCommand

    class CaseCommand(TyperCommand):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.params.extend(clue_options(kb))

    return CaseCommand


def _with_signature(function: Any, signature: Any) -> Any:
    """A fresh wrapper of ``function`` carrying the signature typer should read (the function itself
    is never changed)."""
    def command(**options: Any) -> None:
        function(**options)

    command.__doc__ = function.__doc__
    command.__name__ = function.__name__
    command.__signature__ = signature  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    return command
