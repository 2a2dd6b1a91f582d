"""The case: the validated input of one differential (CONTRACT.md section 1).

``Case`` is a frozen standard-library dataclass that pydantic validates strictly (unknown keys,
wrong types and out-of-range values are errors). A dataclass rather than a ``BaseModel`` keeps
pydantic's model machinery off the command line's start-up path: the validator is built from
the same annotations either way (``pydantic.TypeAdapter(Case)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from nephrocalc.errors import InputError

if TYPE_CHECKING:
    # Only pydantic reads these annotations, when it builds the validator (fastschema.py puts
    # Ge and Le into this module's namespace first): importing annotated_types costs start-up.
    from annotated_types import Ge, Le
    from pydantic_core import SchemaValidator

    from nephrocalc.knowledge import KnowledgeBase

Pattern = Literal["medullary", "cortical", "combined"]
Modality = Literal["us", "ct", "xr", "mr"]
Laterality = Literal["bilateral", "unilateral"]
Sex = Literal["female", "male"]

PATTERNS: tuple[Pattern, ...] = ("medullary", "cortical", "combined")
MODALITIES: tuple[Modality, ...] = ("us", "ct", "xr", "mr")
LATERALITIES: tuple[Laterality, ...] = ("bilateral", "unilateral")
SEXES: tuple[Sex, ...] = ("female", "male")
CASE_FIELDS = ("id", "pattern", "modality", "grade", "laterality", "age_years", "sex", "clues", "labs")

_CONFIG = {"extra": "forbid", "strict": True, "allow_inf_nan": False}


@dataclass(frozen=True, kw_only=True)
class Lab:
    """A measured value: ``{"value": number, "unit": string}`` (CONTRACT.md section 3)."""

    __pydantic_config__ = _CONFIG

    value: float
    unit: str


@dataclass(frozen=True, kw_only=True)
class Case:
    """One patient's imaging pattern and clinical clues (CONTRACT.md section 1)."""

    __pydantic_config__ = _CONFIG

    pattern: Pattern
    id: str | None = None
    modality: Modality | None = None
    grade: Annotated[int, Ge(0), Le(3)] | None = None
    laterality: Laterality | None = None
    age_years: Annotated[float, Ge(0), Le(130)] | None = None
    sex: Sex | None = None
    clues: dict[str, bool] = field(default_factory=dict)
    labs: dict[str, Lab] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON-ready data, leaving out what was not given."""
        out: dict[str, Any] = {}
        for name in CASE_FIELDS:
            value = getattr(self, name)
            if value is None or value == {}:
                continue
            if name == "labs":
                value = {key: {"value": lab.value, "unit": lab.unit} for key, lab in value.items()}
            out[name] = value
        return out


_validator: SchemaValidator | None = None


def case_validator() -> SchemaValidator:
    """The pydantic-core validator of ``Case``, built once."""
    global _validator
    if _validator is None:
        from nephrocalc.fastschema import case_validator as build

        _validator = build()
    return _validator


def parse_case(data: bytes | str | dict[str, Any], kb: KnowledgeBase, *, what: str = "case") -> Case:
    """Validate a case given as JSON text or as a mapping; raise ``InputError`` naming the field."""
    from pydantic_core import ValidationError

    validator = case_validator()
    if isinstance(data, dict):
        # strict validation of Python input wants Case instances: go through JSON, whose strict rules
        # (no NaN, no strings for numbers) are the contract's anyway; orjson would write NaN as null
        _reject_non_finite(data, "")
        import orjson

        try:
            data = orjson.dumps(data)
        except TypeError as exc:
            raise InputError(what, f"cannot be read as JSON ({exc})") from None
    try:
        case = validator.validate_json(data)
    except ValidationError as exc:
        raise InputError(*_describe(exc, what)) from None
    check_clues(case, kb)
    if case.labs:
        from nephrocalc.labs import check_labs

        check_labs(case, kb)
    return case  # type: ignore[no-any-return]


def _reject_non_finite(value: Any, where: str) -> None:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise InputError(where or "case", f"must be a finite number (got {value!r})")
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_non_finite(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reject_non_finite(item, f"{where}.{index}")


def check_clues(case: Case, kb: KnowledgeBase) -> None:
    """Every clue id must be in the vocabulary: a typo is never silently ignored."""
    for clue_id in case.clues:
        if clue_id not in kb.clues:
            raise InputError(f"clues.{clue_id}", _unknown(clue_id, kb.clues, "clue", "nephrocalc clues"))


def _unknown(name: str, known: Any, what: str, command: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown {what} {name!r}; {hint}see `{command}` for the {len(known)} allowed ids"


_ALLOWED = {
    "pattern": "one of " + ", ".join(PATTERNS),
    "modality": "one of " + ", ".join(MODALITIES),
    "laterality": "one of " + ", ".join(LATERALITIES),
    "sex": "one of " + ", ".join(SEXES),
    "grade": "an integer from 0 to 3",
    "age_years": "a number from 0 to 130 (a preterm neonate is 0)",
    "id": "a string",
    "clues": "an object mapping clue ids to true or false",
    "labs": 'an object mapping lab ids to {"value": number, "unit": string}',
}


def _describe(exc: Any, what: str) -> tuple[str, str]:
    """The first validation error as (field, what is allowed)."""
    error = exc.errors(include_url=False)[0]
    loc = [str(part) for part in error["loc"]]
    kind = error["type"]
    where = ".".join(loc)
    if kind in ("json_invalid", "json_type"):
        return what, f"not valid JSON ({error['msg']})"
    if not loc:
        return what, "must be a JSON object with a \"pattern\" field"
    if kind == "unexpected_keyword_argument":
        if loc[0] == "labs":
            return where, 'unknown field; a lab is {"value": number, "unit": string}'
        return where, f"unknown field; allowed fields: {', '.join(CASE_FIELDS)}"
    if kind == "missing" or kind == "missing_argument":
        return where, f"required; {_ALLOWED.get(loc[0], 'a value')}"
    head = loc[0]
    if head == "clues" and len(loc) == 2:
        return where, "must be true (present) or false (absent); leave a clue out when it is unknown"
    if head == "labs" and len(loc) >= 2:
        if len(loc) == 2 or kind in ("dataclass_type", "dataclass_exact_type"):
            return ".".join(loc[:2]), 'must be {"value": number, "unit": string}'
        if loc[2] == "value":
            return where, "must be a finite number"
        if loc[2] == "unit":
            return where, "must be a string"
        return where, 'unknown field; a lab is {"value": number, "unit": string}'
    return where, f"must be {_ALLOWED.get(head, 'valid')} (got {_shown(error.get('input'))})"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
