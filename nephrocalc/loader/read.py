"""Reading and validating rule files: bounded TOML parsing, and pydantic validation that reports
every problem as ``file: field: message`` instead of stopping at the first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from nephrocalc.errors import RuleError
from nephrocalc.vocab import LINE_CONTROLS, did_you_mean

M = TypeVar("M", bound=BaseModel)

# A rule file is a few kilobytes (the largest built-in one is under 20 KB). A file above this is
# refused before it is parsed, as a batch line above 1 MiB is: a 57 MB sources.toml in a pack would
# otherwise take seconds and hundreds of megabytes to load. Documented in rules/README.md.
MAX_RULE_FILE_BYTES = 2 * 1024 * 1024


class Problems:
    """Collects every problem found, so that `rules check` can list them all at once."""

    def __init__(self, *roots: Path, name_packs: bool | None = None, name_root: bool = False) -> None:
        self.roots = roots
        # a pack is named by its folder; two folders of one name (a/pack, b/pack) by their paths as given, or no
        # line would say which pack a problem is in (robustness round 63)
        names = [root.name for root in roots]
        self.labels = [root.name if names.count(root.name) == 1 else str(root) for root in roots]
        self.name_packs = len(roots) > 2 if name_packs is None else name_packs
        self.name_root = name_root  # a knowledge base of one's own with packs over it: its files are named by it too
        self.items: list[str] = []
        self.refused: set[Path] = set()  # entries reported as not to be read (a symbolic link out of the folder)

    def refuse(self, path: Path, message: str) -> None:
        """Report ``path`` as a rule file that is not read, and keep the reader from reading it."""
        self.refused.add(path)
        self.add(path, "", message)

    def add(self, path: Path, where: str, message: str) -> None:
        name = str(path)
        for index, root in enumerate(self.roots):
            try:
                name = str(path.relative_to(root))
                if (index or self.name_root) and self.name_packs:  # say whose file it is (site_pack/causes/x.toml)
                    name = f"{self.labels[index]}/{name}" if name != "." else self.labels[index]
                break
            except ValueError:
                continue
        item = f"{name}: {where}: {message}" if where else f"{name}: {message}"
        if item not in self.items:  # a file found wanting twice (listed, then read) is reported once
            self.items.append(item)

    def raise_if_any(self) -> None:
        if self.items:
            more = f" (and {len(self.items) - 1} more)" if len(self.items) > 1 else ""
            raise RuleError("", self.items[0] + more, problems=list(self.items))


def not_a_file(path: Path) -> str:
    """Why ``path`` is not a readable regular file ("" when it is one, or when it does not exist at all,
    which the caller reports as missing)."""
    import os
    import stat

    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "broken symbolic link" if os.path.islink(path) else ""
    except OSError as exc:  # a symbolic link loop, for one
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(info.st_mode):
        return ""
    return "a folder, not a rule file" if stat.S_ISDIR(info.st_mode) else "not a regular file"


def read_toml(path: Path, problems: Problems) -> dict[str, Any] | None:
    """The file's TOML as data, or None after recording why it cannot be had."""
    import tomllib

    if path in problems.refused:  # already reported: a link out of the pack is not read, nor its values echoed
        return None
    kind = not_a_file(path)
    if kind:  # a named pipe would block the read; a directory or a broken link cannot be read
        problems.add(path, "", kind)
        return None
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_RULE_FILE_BYTES + 1)
    except FileNotFoundError:
        problems.add(path, "", "file is missing")
        return None
    except OSError as exc:
        problems.add(path, "", f"cannot be read ({exc.strerror or exc})")
        return None
    if len(raw) > MAX_RULE_FILE_BYTES:
        problems.add(path, "", f"larger than {MAX_RULE_FILE_BYTES // (1024 * 1024)} MiB, the limit for one rule file")
        return None
    try:
        # utf-8-sig: a byte-order mark (Windows editors write one) is read past, as TOML readers do not
        data = tomllib.loads(raw.decode("utf-8-sig"))
        control = _control_characters(data)
        if control is not None:  # rule text reaches terminals: an escape sequence in it would act there
            problems.add(path, control[0], f"contains the control or invisible character U+{ord(control[1]):04X}; "
                         "rule text may hold visible characters, spaces, tabs and line breaks only")
            return None
        folded: dict[str, Any] = _folded(data)
        return folded
    except UnicodeDecodeError as exc:
        problems.add(path, "", f"cannot be read as UTF-8 ({exc.reason} at byte {exc.start})")
    except tomllib.TOMLDecodeError as exc:
        problems.add(path, "", f"not valid TOML ({exc})")
    except (RecursionError, MemoryError):
        problems.add(path, "", "not valid TOML (nested too deeply)")
    return None


# C0 and C1 controls but tab and line breaks, and the Unicode controls that reorder or break a line (vocab.py);
# and the invisible characters that would let a name look blank or like another: soft hyphen, zero-width
# spaces and joiners, word joiner and invisible operators, byte-order mark, tag characters, the Hangul fillers
# and the blank Braille pattern
_INVISIBLE = "\u00ad\u115f\u1160\u180e\u200b-\u200d\u2060-\u2064\u2800\u3164\ufeff\uffa0\U000e0000-\U000e007f"
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(map(chr, LINE_CONTROLS)) + _INVISIBLE + "]")


# the prose of rule files, printed inside a line (a finding's note in --explain, a rule-out test in "To narrow this
# down", a can't-miss reason): a TOML multi-line string is read as one paragraph, its line breaks as spaces, so that
# it cannot forge a ranking row or a heading. Names and labels are refused a line break instead (schema.py ONE_LINE).
FOLDED = frozenset({"note", "summary", "mechanism", "test", "cant_miss_reason", "warning", "message", "description",
                    "tells_apart", "why", "conversion_note", "hpo_note", "prior_note"})


def _folded(data: Any, key: str = "") -> Any:
    """``data`` with the line breaks of its prose fields (FOLDED) read as spaces."""
    if isinstance(data, dict):
        return {name: _folded(value, name) for name, value in data.items()}
    if isinstance(data, list):
        return [_folded(value, key) for value in data]
    if isinstance(data, str) and key in FOLDED and any(mark in data for mark in "\r\n\u2028\u2029"):
        return " ".join(data.split())
    return data


def _control_characters(data: Any, where: str = "") -> tuple[str, str] | None:
    """The first string (or key) of parsed TOML holding a control character other than tab and line breaks
    (an ESC that would recolour or retitle a terminal), as (field, character); None when there is none."""
    if isinstance(data, str):
        found = _CONTROL.search(data)
        return (where, found.group()) if found else None
    if isinstance(data, dict):
        for key, value in data.items():
            field = f"{where}.{key}" if where else str(key)
            found = _CONTROL.search(str(key))
            if found:
                return field, found.group()
            inner = _control_characters(value, field)
            if inner is not None:
                return inner
    elif isinstance(data, list):
        for index, value in enumerate(data):
            inner = _control_characters(value, f"{where}.{index}")
            if inner is not None:
                return inner
    return None


def _table_keys(model: Any, loc: tuple[Any, ...]) -> str:
    """The keys of the table expected at ``loc`` ("{adult, child, preterm} "), found by walking the model's
    fields; empty when the walk does not reach a model."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return ""
        current = fields[part].annotation
        while True:  # unwrap Optional[...], list[...], Annotated[...]
            args = [a for a in typing.get_args(current) if a is not type(None)]
            if hasattr(current, "model_fields") or not args:
                break
            current = args[0]
    fields = getattr(current, "model_fields", None)
    return "{" + ", ".join(fields) + "} " if fields else ""


def _shown_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# the two sides of a field that takes a table or an array of such tables, as pydantic names them in an error's path
_TABLE_OR_ARRAY = frozenset({"GivenBackground", "list[GivenBackground]"})


def validate(model: type[M], data: Any, path: Path, problems: Problems, prefix: str = "") -> M | None:
    """``data`` validated as ``model``, or None after recording every problem under ``path``."""
    from pydantic import ValidationError

    if data is None:  # the file could not be read or parsed: already reported
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            # a table or an array of tables (clues.toml given_background): pydantic reports both branches, each
            # under its type's name; keep the branch the file chose, under the field's own path
            branch = next((i for i, part in enumerate(error["loc"]) if part in _TABLE_OR_ARRAY), None)
            if branch is not None:
                name = str(error["loc"][branch])
                at_branch = len(error["loc"]) == branch + 1
                if name.startswith("list[") and at_branch and error["type"] == "list_type":
                    continue  # not an array: the table branch says what is wrong
                if not name.startswith("list[") and at_branch and error["type"] == "model_type":
                    if isinstance(error["input"], list):
                        continue  # an array: the array branch says what is wrong with its entries
                    error = {**error, "type": "table_or_array",
                             "msg": f"must be a table, or an array of tables (got {_shown_value(error['input'])})"}
                error = {**error, "loc": (*error["loc"][:branch], *error["loc"][branch + 1:])}
            loc = ".".join([prefix, *(str(part) for part in error["loc"])] if prefix else
                           [str(part) for part in error["loc"]]) or "(file)"
            loc = loc.replace(".AgeShare.", ".")  # the table side of a share that may be a number or a table
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                # with what the table takes, as the case reader says it (robustness round 63: "unknown key" alone)
                keys = _table_keys(model, tuple(error["loc"][:-1]))
                known = keys.strip()[1:-1].split(", ") if keys else []
                message = "unknown key" + (f"; {did_you_mean(str(error['loc'][-1]), known)}allowed: "
                                           f"{', '.join(known)}" if known else "")
            elif error["type"] == "missing":
                message = "required key is missing"
            elif error["type"] == "too_short" and error["loc"] and error["loc"][-1] == "sources":
                message = "needs at least one source (a tag of sources.toml)"
            elif error["type"] == "string_pattern_mismatch" and "\\S" in str(error.get("ctx", {}).get("pattern", "")):
                message = f"must be one line of text, not blank (got {_shown_value(error['input'])})"
            elif error["type"] == "string_pattern_mismatch" and "\\r" in str(error.get("ctx", {}).get("pattern", "")):
                message = f"must be one line of text (got {_shown_value(error['input'])})"
            elif error["type"] == "literal_error":
                message = f"{message} (got {error['input']!r})"
            elif message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            elif len(error["loc"]) > 1 and error["loc"][-1] in ("constrained-float", "AgeShare"):
                # one side of "a number or a table by age group" (a form's share): one problem, said once
                if error["loc"][-1] == "AgeShare" or isinstance(error["input"], dict):
                    continue
                loc = loc.rsplit(".", 1)[0]
                message = f"must be a number from 0 to 1, or a table {{adult, child, preterm}} (got " \
                          f"{_shown_value(error['input'])})"
            elif error["type"] == "model_type":  # "a valid dictionary or instance of AgeShare": say what it takes
                message = f"must be a table {_table_keys(model, error['loc'])}(got {_shown_value(error['input'])})"
            if not error["loc"]:
                # a check across fields names its field first ("supersedes: ...", "cant_miss = true needs ..."):
                # that field, rather than the placeholder "(file)" (robustness round 81)
                named = re.match(r"([a-z_]+)(: | = |\b)", message)
                if named is not None and named.group(1) in model.model_fields:
                    loc = ".".join(part for part in (prefix, named.group(1)) if part)
                    message = message[named.end():] if named.group(2) == ": " else message
            problems.add(path, loc, message)
        return None


