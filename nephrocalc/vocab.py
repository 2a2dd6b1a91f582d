"""The closed vocabularies, each defined once: case fields, patterns, modalities, frequency levels,
output formats, what an identifier is, and the option names a rule pack may not take.

Plain data and one regular expression: no imports beyond the standard library, so every layer
(rule schema, loader, intake, engine, renderers, command line) can share it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Final, Literal

Pattern = Literal["medullary", "cortical", "combined"]
Modality = Literal["us", "ct", "xr", "mr", "ctu", "ivu"]
Laterality = Literal["bilateral", "unilateral"]
Sex = Literal["female", "male"]
AgeGroup = Literal["preterm", "child", "adult"]

PATTERNS: Final[tuple[Pattern, ...]] = ("medullary", "cortical", "combined")
MODALITIES: Final[tuple[Modality, ...]] = ("us", "ct", "xr", "mr", "ctu", "ivu")
LATERALITIES: Final[tuple[Laterality, ...]] = ("bilateral", "unilateral")
SEXES: Final[tuple[Sex, ...]] = ("female", "male")
AGE_GROUPS: Final[tuple[AgeGroup, ...]] = ("preterm", "child", "adult")
CASE_FIELDS: Final = ("id", "pattern", "modality", "grade", "laterality", "age_years", "sex", "clues", "labs")

FREQUENCY_LEVELS: Final = ("always", "usually", "often", "sometimes", "rarely", "almost_never")
FREQUENCY_WORDS: Final = {
    "always": "almost always present",
    "usually": "usually present",
    "often": "often present",
    "sometimes": "sometimes present",
    "rarely": "rarely present",
    "almost_never": "almost never present",
}

# One case is at most this many bytes, as a case file or as one line of `batch` (a case is a few
# hundred bytes; a longer line is an error record).
MAX_CASE_BYTES: Final = 1_048_576

# Output formats of one result (diff, ask) and of many (batch).
RESULT_FORMATS: Final = ("table", "json", "jsonl", "tsv", "markdown", "phenopacket")
BATCH_FORMATS: Final = ("jsonl", "json", "tsv", "markdown")
BATCH_INPUTS: Final = ("case", "phenopacket")
INFO_FORMATS: Final = ("table", "json")

# One definition of an identifier (clue, cause, lab, caveat, form, group, pack file names):
# lower-case ASCII letters, digits and underscores, starting with a letter, at most 64 characters.
ID_REGEX: Final = r"^[a-z][a-z0-9_]{0,63}$"
_ID = re.compile(ID_REGEX)


def is_identifier(text: str) -> bool:
    """True for a valid id. ``re.ASCII`` is implied by the character classes: 'bartterω' is not one."""
    return _ID.fullmatch(text) is not None


# Option names of `diff` and `ask` (with `-` written `_`), and names kept for them. A clue becomes
# the flags --<id>/--no-<id>, so a clue may not take one of these names, nor their `no_` forms.
RESERVED_OPTION_NAMES: Final = frozenset({
    "pattern", "modality", "grade", "laterality", "age", "age_years", "sex", "lab", "labs", "case", "format",
    "rules", "top", "explain", "max_questions", "stop_at", "help", "version", "extended", "phenopacket", "fhir",
    "save", "input", "fields", "id", "clues", "show_completion", "install_completion", "no_extended",
})


def reserved_reason(clue_id: str, clue_ids: frozenset[str] | set[str]) -> str | None:
    """Why ``clue_id`` cannot be a clue (its flag would take over another option or flag), or None."""
    if clue_id in RESERVED_OPTION_NAMES:
        return f"{clue_id!r} is a reserved option name (--{clue_id.replace('_', '-')}); choose another id"
    if clue_id.startswith("no_") and clue_id[3:] in RESERVED_OPTION_NAMES:
        return f"{clue_id!r} would take over --{clue_id.replace('_', '-')}; choose another id"
    if clue_id.startswith("no_") and clue_id[3:] in clue_ids:
        return (f"{clue_id!r} would take over --{clue_id.replace('_', '-')}, the 'absent' flag of clue "
                f"{clue_id[3:]!r}; choose another id")
    if f"no_{clue_id}" in clue_ids:
        return (f"the 'absent' flag of {clue_id!r} (--no-{clue_id.replace('_', '-')}) is taken by clue "
                f"'no_{clue_id}'; choose another id")
    return None



def did_you_mean(name: str, known: Iterable[str]) -> str:
    """"did you mean 'hypercalcemia'? " for the closest known id, or "" when none is close."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def unknown_id_message(name: str, known: Collection[str], what: str, command: str) -> str:
    """One line for an unknown id: the closest known one, and where to see them all."""
    return f"unknown {what} {name!r}; {did_you_mean(name, known)}see `{command}` for the {len(known)} allowed ids"
