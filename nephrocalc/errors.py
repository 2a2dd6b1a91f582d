"""The one domain error type. The CLI turns it into a one-line message and exit status 2."""

from __future__ import annotations


class NephrocalcError(Exception):
    """Bad input or a bad rule file: something the user can fix.

    ``where`` names what is wrong (a case field such as ``clues.rtaa``, or ``file: field`` for a
    rule file); ``message`` says what is allowed.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


class InputError(NephrocalcError):
    """A case, a flag or an input line that does not follow CONTRACT.md."""


class RuleError(NephrocalcError):
    """A rule file that does not follow the knowledge-base format (rules/README.md)."""

    def __init__(self, where: str, message: str, problems: list[str] | None = None) -> None:
        super().__init__(where, message)
        self.problems = problems if problems is not None else [str(self)]


class RunStopped(Exception):
    """The run could not go on for a reason outside the input and the rules (a worker process of
    `batch` was killed): the CLI says so in one line, with exit status 1, and does not call it a bug."""


def field_path(*parts: object) -> str:
    """The path of a field for a message, its parts joined with dots (``labs.pth.value``). A key that is empty or
    only blanks is shown quoted ('""'), so that the message does not name the field as nothing."""
    return ".".join(f'"{part}"' if isinstance(part, str) and not part.strip() else str(part) for part in parts)
