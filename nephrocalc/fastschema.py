"""Validators for the input and output shapes, built by pydantic from the dataclasses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_core import SchemaValidator


def case_validator() -> SchemaValidator:
    from pydantic import TypeAdapter

    from nephrocalc.case import Case

    validator: Any = TypeAdapter(Case).validator
    return validator  # type: ignore[no-any-return]
