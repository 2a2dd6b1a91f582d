"""JSON Schemas of the input and output, derived by pydantic from the dataclasses themselves."""

from __future__ import annotations

from typing import Any

from nephrocalc import __version__


def json_schema(which: str) -> dict[str, Any]:
    from pydantic import TypeAdapter

    from nephrocalc.case import Case
    from nephrocalc.result import AskResult

    # the result schema is that of `ask`'s result: a `diff` result plus the optional case and interview
    model: Any = Case if which == "case" else AskResult
    schema = TypeAdapter(model).json_schema(mode="validation" if which == "case" else "serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://nephrocalc.invalid/schema/{__version__}/{which}.json"
    schema.setdefault("description", f"nephrocalc {__version__} {which}")
    return schema
