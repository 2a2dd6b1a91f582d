"""The case validator, built by pydantic from the ``Case`` dataclass and cached.

``pydantic.TypeAdapter(Case)`` builds a core schema: plain data plus references to our own
classes. The schema is pickled (cache.py) under a key that includes case.py's source and the
pydantic-core version, so later runs build the pydantic-core validator straight from it without
importing pydantic's model machinery, which would cost more than the rest of a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic_core import SchemaValidator


def _core_schema() -> Any:
    from annotated_types import Ge, Le
    from pydantic import TypeAdapter

    from nephrocalc import case

    # case.py imports Ge and Le only for type checkers; pydantic resolves the string annotations
    # in the module's namespace
    case.Ge, case.Le = Ge, Le  # type: ignore[attr-defined]
    return TypeAdapter(case.Case).core_schema


def case_validator() -> SchemaValidator:
    from nephrocalc import case
    from nephrocalc.cache import cached, files_key

    return SchemaValidator(cached(files_key("case-schema", [Path(case.__file__)]), _core_schema))
