"""The case: the validated input of one differential (CONTRACT.md section 1).

``Case`` is a frozen standard-library dataclass that pydantic validates strictly (unknown keys,
wrong types and out-of-range values are errors); intake.py builds and caches that validator. A
dataclass rather than a ``BaseModel`` keeps pydantic's model machinery off the command line's
start-up path. Plain data: this module imports nothing of the package but the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from nephrocalc.vocab import Laterality, Modality, Pattern, Sex

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema


class Range:
    """A closed numeric range for pydantic, read only when the validator is built (intake.py).

    annotated_types' ``Ge``/``Le`` would do the same, but importing that package costs more
    start-up than the rest of this module: this marker costs nothing until pydantic asks.
    """

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema: Any = handler(source)  # an int or float schema, which takes ge and le
        schema["ge"] = self.low
        schema["le"] = self.high
        return schema  # type: ignore[no-any-return]

_CONFIG = {"extra": "forbid", "strict": True, "allow_inf_nan": False}


@dataclass(frozen=True, kw_only=True)
class Lab:
    """A measured value: ``{"value": number, "unit": string}`` (CONTRACT.md section 3), and optionally
    ``"comparator"`` when the value is a bound ("<" 5, ">=" 150: a FHIR Quantity's comparator)."""

    __pydantic_config__ = _CONFIG

    value: float
    unit: str
    comparator: Literal["<", "<=", ">", ">="] | None = None
    # the age at which the sample was taken, when it is not the case's age (a FHIR record's infant labs): its
    # age-specific limits are those of that age
    age_years: Annotated[float, Range(0, 130)] | None = None

    def __post_init__(self) -> None:
        if self.value == 0:  # "-0" is 0: echoed as written it read as a negative value (fuzz review 49)
            object.__setattr__(self, "value", 0.0)


@dataclass(frozen=True, kw_only=True)
class Case:
    """One patient's imaging pattern and clinical clues (CONTRACT.md section 1)."""

    __pydantic_config__ = _CONFIG

    # required in every case; None only for a standard input that states no pattern (a phenopacket
    # without a nephrocalcinosis pattern term): the engine then uses no pattern evidence
    pattern: Pattern | None
    id: str | None = None
    modality: Modality | None = None
    grade: Annotated[int, Range(0, 3)] | None = None
    laterality: Laterality | None = None
    age_years: Annotated[float, Range(0, 130)] | None = None
    # the age at which the nephrocalcinosis was found, when earlier than age_years (a record of a course:
    # a phenopacket's onset): the causes are weighed at this age, the lab values judged at age_years
    onset_age_years: Annotated[float, Range(0, 130)] | None = None
    sex: Sex | None = None
    clues: dict[str, bool] = field(default_factory=dict)
    labs: dict[str, Lab] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # an age of -0.0 passes the range check (it equals 0) but would print "-0 d": it is 0
        for name in ("age_years", "onset_age_years"):
            if getattr(self, name) == 0:
                object.__setattr__(self, name, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON-ready data, leaving out what was not given (in CASE_FIELDS order; written
        out field by field, as every result carries it), except the pattern, which a case must give: null when
        not known (a phenopacket without a pattern term), so that `diff --case` replays it."""
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["pattern"] = self.pattern
        if self.modality is not None:
            out["modality"] = self.modality
        if self.grade is not None:
            out["grade"] = self.grade
        if self.laterality is not None:
            out["laterality"] = self.laterality
        if self.age_years is not None:
            out["age_years"] = self.age_years
        if self.onset_age_years is not None:
            out["onset_age_years"] = self.onset_age_years
        if self.sex is not None:
            out["sex"] = self.sex
        if self.clues:
            out["clues"] = self.clues
        if self.labs:
            out["labs"] = {key: {"value": lab.value, "unit": lab.unit,
                                 **({"comparator": lab.comparator} if lab.comparator else {}),
                                 **({"age_years": lab.age_years} if lab.age_years is not None else {})}
                           for key, lab in self.labs.items()}
        return out

    @property
    def cause_age(self) -> float | None:
        """The age at which the causes are weighed: when the nephrocalcinosis was found, else now."""
        return self.onset_age_years if self.onset_age_years is not None else self.age_years


