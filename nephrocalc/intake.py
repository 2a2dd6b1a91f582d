"""Intake: raw input (JSON text, a mapping, command-line values) to a validated ``Case``.

The ``Case`` validator is pydantic-core's, built from the dataclass by ``pydantic.TypeAdapter``
on first use and its core schema cached on disk (cache.py), so that later runs build the
validator without importing pydantic's model machinery. Validation is strict (unknown keys,
wrong types and out-of-range values are errors); every error becomes an ``InputError`` that names
the field and what is allowed. The case is then checked against the knowledge base's vocabulary
(clue ids, lab ids and units): a typo is never silently ignored.

``merge_case`` is the one place where a case file, command-line values and ``--lab`` values are
combined (CONTRACT.md section 4: flags override the file, ``--lab`` overrides the file's lab).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from nephrocalc.case import Case
from nephrocalc.errors import InputError, field_path
from nephrocalc.vocab import (
    CASE_FIELDS,
    LATERALITIES,
    LINE_CONTROLS,
    MODALITIES,
    PATTERNS,
    SEXES,
    did_you_mean,
    unknown_id_message,
)

if TYPE_CHECKING:
    from pydantic_core import SchemaValidator

    from nephrocalc.knowledge import KnowledgeBase
    from nephrocalc.result import Note


# What a message echoes of the input is escaped: a line feed or a carriage return as \n or \r, the other control
# characters as \xNN (an escape sequence typed into a key must not reach a terminal as a command), and the Unicode
# controls that reorder or break a line (bidirectional overrides, line and paragraph separators) as \uNNNN
_ESCAPED = {code: f"\\x{code:02x}" for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))}
_ESCAPED.update({0x0A: "\\n", 0x0D: "\\r"})
_ESCAPED.update({code: f"\\u{code:04x}" for code in LINE_CONTROLS})


def escape_controls(text: str) -> str:
    """A message with the control characters of the input it echoes escaped (``_ESCAPED``): one line, as standard
    error shows it (cli/io.py one_line) and as batch's error records hold it."""
    return text.translate(_ESCAPED)


# a case whose pattern is given as null: not known (as `ask` writes the case of a standard input without a pattern
# term); ranked without pattern evidence, with this note. A missing pattern is still required.
def pattern_null_note() -> Note:
    """The warning of a case whose pattern is null."""
    return {"id": "pattern_unknown", "sources": [],
            "message": "The case gives its pattern as null (not known): the causes were ranked without pattern "
                       "evidence."}


def states_pattern_null(raw: bytes | str) -> bool:
    """Whether a JSON case gives ``"pattern": null`` (an error path: the text is parsed again)."""
    import orjson

    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and "pattern" in data and data["pattern"] is None


def case_core_schema() -> Any:
    """pydantic's core schema of ``Case`` (imports pydantic's model machinery: call it rarely)."""
    from pydantic import TypeAdapter

    return TypeAdapter(Case).core_schema


_validator: SchemaValidator | None = None


def case_validator() -> SchemaValidator:
    """The pydantic-core validator of ``Case``, built once per process from the cached core schema."""
    global _validator
    if _validator is None:
        from pathlib import Path

        from pydantic_core import SchemaValidator

        from nephrocalc import case
        from nephrocalc.cache import cached, files_key

        schema = cached(files_key("case-schema", [Path(case.__file__)]), case_core_schema, expect=dict)
        _validator = SchemaValidator(schema)
    return _validator


def parse_case(data: bytes | str | Mapping[str, Any], kb: KnowledgeBase, *, what: str = "case",
               pattern_required: bool = True) -> Case:
    """Validate a case given as JSON text or as a mapping; raise ``InputError`` naming the field.
    ``pattern_required=False`` only for a standard input that states no pattern (a phenopacket)."""
    given_text = isinstance(data, bytes | str)  # a mapping is read in clinicians' words once, here: no retry
    if not isinstance(data, bytes | str):
        data = clinicians_words(data, kb)
        direct = _direct_case(data)
        if direct is not None:  # already well-typed (the command line's flags): no validator to load
            if direct.pattern is None and pattern_required:
                raise InputError("pattern", f"required; {_ALLOWED['pattern']}")
            check_clues(direct, kb)
            if direct.labs:
                from nephrocalc.labs import check_labs

                check_labs(direct, kb)
            return direct
    from pydantic_core import ValidationError

    validator = case_validator()
    if not isinstance(data, bytes | str):
        # strict validation of Python input wants Case instances: go through JSON, whose strict rules
        # (no NaN, no strings for numbers) are the contract's anyway; orjson would write NaN as null
        refuse_deep_nesting(data, what)  # before anything walks it: the serialiser's own limit names no field
        _reject_non_finite(data, "")
        from pydantic_core import PydanticSerializationError, to_json

        try:
            data = to_json(dict(data))  # pydantic-core's own serialiser: no other JSON library to import
        except (PydanticSerializationError, TypeError, ValueError):
            # the serialiser's text names no field and speaks of Python: the field is named instead
            raise InputError(_not_json(data) or what, "is not JSON data (a string, number, true, false, null, "
                             "list or object)") from None
    error: InputError
    try:
        case: Case = validator.validate_json(data)
        if case.pattern is None and pattern_required:
            raise InputError("pattern", f"required; {_ALLOWED['pattern']}")
        check_clues(case, kb)
        if case.labs:
            from nephrocalc.labs import check_labs

            check_labs(case, kb)
        _refuse_repeated_keys(data, case)
    except ValidationError as exc:
        field, said = _describe(exc, what)
        located = _located_non_finite(exc, data, what)
        if located is not None:  # NaN or 1e309 in JSON text: said as --case says it (robustness round 70)
            raise located from None
        if said.startswith("not valid JSON") and isinstance(data, bytes):
            # a UTF-16 or Latin-1 line is said to be one, as --case says (review 11), without the parser's words
            hint = utf8_hint(data)
            said = "not valid JSON" + hint if hint.startswith("; the text is") else said + hint
            if _too_deep(said):  # nested past the parser's own limit: said as past ours (robustness round 67)
                said = TOO_DEEP
        error = InputError(field, said)
    except InputError as exc:
        error = exc
    else:
        return case
    if given_text and isinstance(data, bytes | str):
        # JSON nested deeper than any case is refused as --case refuses it (which checks before validating),
        # naming the field, before the clinicians' words below walk it
        _refuse_deep_text(data, what)
    # JSON text is read strictly first (the fast path of batch); only a case that fails is read again
    # in clinicians' words (British spellings, lab aliases, F/M, "6mo"), and fails as first if that is no help
    if given_text and isinstance(data, bytes | str):
        # a key written twice is refused before the reading in clinicians' words, which keeps the last one
        # (robustness round 79: with sex "F" beside it, {"rta": true, "rta": false} was ranked as no rta in batch,
        # which --case refuses)
        _refuse_repeated_keys_in_text(data)
    retry = _in_clinicians_words(data, kb) if given_text and isinstance(data, bytes | str) else None
    if retry is None:
        raise _standard_input_hint(_top_level_keys(data), what) or error
    return parse_case(retry, kb, what=what, pattern_required=pattern_required)


def _located_non_finite(exc: Any, data: Any, what: str) -> InputError | None:
    """The error --case gives for a NaN, an Infinity or a number too large for a double in JSON text, when the
    validator (which reads them as numbers) refused one: batch then says what --case says. None otherwise."""
    import math

    if not isinstance(data, bytes | str) or not any(
            isinstance(e.get("input"), float) and not math.isfinite(e["input"]) for e in exc.errors()):
        return None
    import orjson

    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as stopped:
        return non_finite_literal(raw, stopped.pos, what)
    return None


def _standard_input_hint(keys: Iterable[str], what: str) -> InputError | None:
    """A phenopacket or a FHIR resource (told by its top-level keys) given where a contract case was
    expected: say which option reads it, rather than naming its first unknown field."""
    keys = set(keys)
    if "pattern" in keys:
        return None
    if "phenotypicFeatures" in keys or {"subject", "metaData"} <= keys:
        return InputError(what, "this is a GA4GH phenopacket, not a contract case: read it with --phenopacket "
                                "(batch: --input phenopacket)")
    if "resourceType" in keys:
        return InputError(what, "this is a FHIR resource, not a contract case: read a Bundle with --fhir "
                          "(batch: --input fhir)")
    return None


def _top_level_keys(data: bytes | str) -> list[str]:
    """The keys of a JSON object's text (none when it is not one); for error messages only."""
    import orjson

    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return []
    return list(parsed) if isinstance(parsed, dict) else []


def _refuse_repeated_keys(data: bytes | str, case: Case) -> None:
    """A field, clue or lab written twice in one JSON object ({"rta": true, "rta": false}) is an error, not
    the last one silently winning. The fast path of batch: the text has no more keys than the case
    holds unless a key repeats (or a null field, an empty object or a string holds '":'); only then is
    it parsed again."""
    raw = data.encode() if isinstance(data, str) else data
    clues, labs = case.clues, case.labs
    fields = (case.id, case.pattern, case.modality, case.grade, case.laterality, case.age_years, case.onset_age_years,
              case.sex)
    held = len(clues) + 3 * len(labs) + bool(clues) + bool(labs) + len(fields) - fields.count(None)
    if raw.count(b'":') <= held and b'" ' not in raw and b'"\t' not in raw and b'"\n' not in raw \
            and b'"\r' not in raw:
        return
    _refuse_repeated_keys_in_text(raw)


def _refuse_repeated_keys_in_text(data: bytes | str) -> None:
    """A key written twice in JSON text, refused (also for text not yet validated: nothing is done when it is not
    JSON)."""
    import orjson

    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return
    if isinstance(parsed, dict):
        refuse_repeated_keys(raw, parsed, "case")


MAX_JSON_DEPTH = 64  # a case is 3 levels deep, a phenopacket or a FHIR bundle rarely more than 12


def refuse_deep_nesting(parsed: Any, what: str) -> None:
    """JSON nested deeper than any case, phenopacket or FHIR bundle is refused with one line naming the field
    that holds it (``what`` when there is none), before anything walks it recursively (a few hundred levels
    would exhaust Python's recursion limit)."""
    stack: list[tuple[Any, int]] = [(parsed, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise InputError(_deep_field(parsed, what), TOO_DEEP)
        stack.extend((child, depth + 1) for child in children)


def _deep_field(parsed: Any, what: str) -> str:
    """The field that holds JSON nested too deep, for its message: the keys (and the list positions that lead to
    objects) down to where lists start to nest in lists, at most 6 of them. A case's field is named as the case
    names its fields (``sex``), a phenopacket's or a FHIR resource's under its name (``phenopacket.subject``)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(parsed, ())]
    path: tuple[Any, ...] = ()
    while stack:  # the first path that goes deeper than the limit (an error path: the walk is done again)
        value, at = stack.pop()
        if len(at) >= MAX_JSON_DEPTH and isinstance(value, dict | list):  # a container at depth 65
            path = at
            break
        if isinstance(value, dict):
            stack.extend((child, (*at, key)) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, (*at, index)) for index, child in enumerate(value))
    shown: list[Any] = []
    value = parsed
    for part in path:
        child = value[part]
        if isinstance(value, list) and isinstance(child, list):
            break  # a list of lists: its positions name nothing
        shown.append(part)
        value = child
    more = "..." if len(shown) > 6 else ""
    return _in_document(what, field_path(*shown[:6]) + more)


def _in_document(what: str, name: str) -> str:
    """A field as a message names it: a case's as the case names its fields (``sex``), a phenopacket's or a FHIR
    resource's under its name (``phenopacket.subject``); ``what`` itself when there is no field."""
    kind = what.split(" ", 1)[0]  # "case (stdin)", "phenopacket", "fhir (bundle.json)"
    if not name:
        return what
    return name if kind == "case" else f"{kind}.{name}"


def _refuse_deep_text(data: bytes | str, what: str) -> None:
    """``refuse_deep_nesting`` for JSON text (a batch line that failed validation); text that is not JSON is left
    to the validator's message."""
    import orjson

    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if _too_deep(str(exc)):  # past the parser's own limit: the field found in the text (robustness round 75)
            shown = _deep_path_in_text(data if isinstance(data, str) else data.decode("utf-8", "replace"))
            if shown:
                more = "..." if len(shown) > 6 else ""
                raise InputError(_in_document(what, field_path(*shown[:6]) + more), TOO_DEEP) from None
        return
    refuse_deep_nesting(parsed, what)


def _deep_path_in_text(text: str) -> list[Any]:
    """The keys (and list positions that lead to objects) down to where JSON text first nests deeper than
    MAX_JSON_DEPTH, as ``_deep_field`` names them, read from the text itself: for text past the parser's own depth
    limit, which no parser returns. Empty when the text does not nest that deep (within its first megabyte)."""
    stack: list[list[Any]] = []  # per open container: [kind, key or index, whether the next string is a key]
    i, end = 0, min(len(text), 1 << 20)
    while i < end:
        char = text[i]
        if char == '"':
            j = i + 1
            while j < end and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if stack and stack[-1][0] == "{" and stack[-1][2]:
                stack[-1][1], stack[-1][2] = text[i + 1:j], False
            i = j + 1
            continue
        if char in "{[":
            if stack and stack[-1][0] == "[" and stack[-1][1] is None:
                stack[-1][1] = 0
            stack.append([char, None, char == "{"])
            if len(stack) > MAX_JSON_DEPTH:
                parts: list[Any] = []
                for (kind, key, _), (child, _, _) in pairwise(stack):
                    if kind == "[" and child == "[":
                        break  # a list of lists: its positions name nothing
                    parts.append(key)
                return parts
        elif char in "}]":
            if stack:
                stack.pop()
        elif char == "," and stack:
            if stack[-1][0] == "{":
                stack[-1][2] = True
            else:
                stack[-1][1] = (stack[-1][1] or 0) + 1
        i += 1
    return []


def non_finite_literal(raw: bytes, position: int, what: str = "case") -> InputError | None:
    """The error for JSON text that holds NaN or Infinity (or a number too large for a double) where the JSON
    parser stopped, at character ``position``, naming the field that holds it; None when the parser stopped at
    something else, or the field cannot be found. An error path: the text is parsed again, the literal replaced by
    a marked string (and any later one by null) until it parses, and the marked string looked for."""
    import re

    import orjson

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    literal = re.compile(r"[-+]?(?:NaN|nan|Infinity|infinity|inf|[0-9][0-9.]*(?:[eE][-+]?[0-9]+)?)")
    marked = "\x00non-finite\x00"  # no JSON text holds a NUL outside a string, and a string only escaped
    first = ""
    for _ in range(32):
        start = position - 1 if 0 < position <= len(text) and text[position - 1] in "-+" else position
        found = literal.match(text, start)
        if found is None or (found.group()[-1].isdigit() and not _overflows(found.group())):
            return None
        replacement = "null" if first else '"\\u0000non-finite\\u0000"'
        first = first or found.group()
        text = text[:start] + replacement + text[found.end():]
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            position = exc.pos
            continue
        path = _path_of(parsed, marked)
        if path is None:
            return None
        got = f"{first[:24]}{'...' if len(first) > 24 else ''}"
        why = "too large for a number" if first[-1].isdigit() else "JSON has no NaN or Infinity"
        if what.startswith("case"):  # a case's fields are known: say what the field is, not only what it is not
            if path and isinstance(path[0], int):  # [1e999]: an array, not a case
                return InputError(what, 'must be a JSON object such as {"pattern": "medullary"} (got a JSON array)')
            if len(path) == 2 and path[0] == "clues":
                return InputError(field_path(*path), f"must be true (present) or false (absent); leave a clue out "
                                  f"when it is unknown (got {got}, {why})")
            if not (path in (("age_years",), ("onset_age_years",), ("grade",))
                    or (len(path) == 3 and path[0] == "labs" and path[2] in ("value", "age_years"))):
                return InputError(_in_document(what, field_path(*path)),
                                  f"takes no number (got {got}, {why}): see `nephrocalc schema case` for what it takes")
        return InputError(_in_document(what, field_path(*path)), f"must be a finite number (got {got}; {why})")
    return None


def load_document(raw: bytes, what: str) -> Any:
    """A FHIR Bundle's or a phenopacket's JSON text, parsed. A number too large for a double (1e999, or an integer of
    hundreds of digits) is valid JSON and valid FHIR: in a document it is read as infinite, so that the one value
    holding it is left out with a warning (its lab's plausible range) and the patient's other findings count, as for
    any other implausible value (robustness round 53: one such number rejected the whole export). NaN and Infinity,
    which JSON does not have, are still refused, naming their field."""
    import orjson

    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        located = non_finite_literal(raw, exc.pos, what)
        if located is not None and "too large for a number" in located.message:
            import json

            def whole(digits: str) -> int | float:
                return int(digits) if len(digits.lstrip("-")) <= 300 else float("-inf" if digits[0] == "-" else "inf")

            def refuse(literal: str) -> float:
                raise ValueError(literal)

            try:
                return json.loads(raw.decode("utf-8"), parse_int=whole, parse_constant=refuse)
            except ValueError:  # a NaN or Infinity beside it: the field named below is refused as before
                pass
        raise located or json_error(exc, raw, what) from None


def _overflows(number: str) -> bool:
    """Whether a JSON number is too large for a double (1e999)."""
    try:
        return abs(float(number)) == float("inf")
    except ValueError:
        return False


def _path_of(value: Any, wanted: str) -> tuple[Any, ...] | None:
    """The path of a string equal to ``wanted`` in parsed JSON (the marked one: there is one)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, at = stack.pop()
        if item == wanted and isinstance(item, str):
            return at
        if isinstance(item, dict):
            stack.extend((child, (*at, key)) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, (*at, index)) for index, child in enumerate(item))
    return None


def refuse_repeated_keys(raw: bytes, parsed: Any, what: str) -> None:
    """A key written twice in one JSON object is an error naming it, not the last one silently winning.
    The parsed value has as many keys as the text only when none repeats: only then is the text
    parsed again, with the standard library, to name the key."""
    import re

    refuse_deep_nesting(parsed, what)

    def keys(value: Any) -> int:
        if isinstance(value, dict):
            return len(value) + sum(keys(item) for item in value.values())
        if isinstance(value, list):
            return sum(keys(item) for item in value)
        return 0

    if len(re.findall(rb'"\s*:', raw)) <= keys(parsed):
        return
    import json

    def where(value: Any, key: str, names: set[str], path: tuple[str | int, ...]) -> str | None:
        """The path of the object that holds the key twice: the first with the key and the same set of keys, found
        in lists too (robustness round 75: a phenopacket's feature was named "excluded" alone)."""
        if isinstance(value, dict):
            if key in value and set(value) == names:
                return field_path(*path, key)
            items: Any = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            return None
        for name, item in items:
            found = where(item, key, names, (*path, name))
            if found:
                return found
        return None

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                # a document's path starts with its kind, as its other errors do ("fhir.entry.2.resource.status")
                kind = what.split()[0] if what else what  # "phenopacket (file.json)": its kind
                found = where(parsed, key, {name for name, _ in items}, (kind,) if kind in ("phenopacket", "fhir")
                              else ())
                raise InputError(found or f"{what}: {field_path(key)}",
                                 "given twice in the same object; give it once")
            seen[key] = value
        return seen

    json.loads(raw, object_pairs_hook=pairs)


def _direct_case(data: Mapping[str, Any]) -> Case | None:
    """The case built without pydantic-core, when every field already has the type and range the
    validator would demand (what the command line's flags give after click has checked them):
    importing pydantic-core costs about 15 ms of a 110 ms start-up. Anything else, however small,
    returns None and goes through the validator, which names the field and what is allowed."""
    from nephrocalc.case import Lab
    from nephrocalc.vocab import CASE_FIELDS, LATERALITIES, MODALITIES, PATTERNS, SEXES

    if not all(type(key) is str and key in CASE_FIELDS for key in data):
        return None
    pattern, case_id, grade, age = data.get("pattern"), data.get("id"), data.get("grade"), data.get("age_years")
    if pattern not in PATTERNS or (case_id is not None and type(case_id) is not str):
        return None
    for name, allowed in (("modality", MODALITIES), ("laterality", LATERALITIES), ("sex", SEXES)):
        value = data.get(name)
        if value is not None and value not in allowed:
            return None
    if grade is not None and (type(grade) is not int or not 0 <= grade <= 3):
        return None
    if age is not None and (type(age) not in (int, float) or not 0 <= age <= 130):  # NaN fails the range
        return None
    onset = data.get("onset_age_years")
    if onset is not None and (type(onset) not in (int, float) or not 0 <= onset <= 130):
        return None
    clues = data.get("clues", {})
    if type(clues) is not dict or not all(type(k) is str and type(v) is bool for k, v in clues.items()):
        return None
    labs = data.get("labs", {})
    if type(labs) is not dict:
        return None
    built: dict[str, Lab] = {}
    for lab_id, lab in labs.items():
        if type(lab_id) is not str or type(lab) is not dict or set(lab) != {"value", "unit"}:
            return None
        value, unit = lab["value"], lab["unit"]
        if type(value) not in (int, float) or value != value or value in (float("inf"), float("-inf")) \
                or type(unit) is not str:
            return None
        built[lab_id] = Lab(value=float(value), unit=unit)
    return Case(pattern=pattern, id=case_id, modality=data.get("modality"), grade=grade,
                laterality=data.get("laterality"), age_years=None if age is None else float(age),
                onset_age_years=None if onset is None else float(onset), sex=data.get("sex"), clues=dict(clues),
                labs=built)


def clinicians_words(data: Mapping[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    """A case with the words clinicians use mapped onto the contract's: British spellings of clue and lab
    ids (hypercalcaemia), lab aliases (PTH, Ca, HCO3), sexes (F, M), modalities (ultrasound, CT, MRI,
    x-ray) and ages with a unit ("6mo", "10d", "3w", "2y"). Anything not recognised is left as written,
    for validation to report."""
    from nephrocalc.vocab import LAB_WORDS, MODALITY_WORDS, SEX_WORDS, known_id, parse_age

    out = dict(data)
    clues = out.get("clues")
    if isinstance(clues, dict):
        out["clues"] = _one_each("clues", clues, lambda key: known_id(key, kb.clues))
    labs = out.get("labs")
    if isinstance(labs, dict):
        out["labs"] = _one_each("labs", labs, lambda key: known_id(key, kb.labs, LAB_WORDS))
    for name, words in (("sex", SEX_WORDS), ("modality", MODALITY_WORDS)):
        value = out.get(name)
        if isinstance(value, str) and value.strip().lower() in words:
            out[name] = words[value.strip().lower()]
    pattern = out.get("pattern")
    if isinstance(pattern, str) and pattern.strip().lower() in ("medullary", "cortical", "combined"):
        out["pattern"] = pattern.strip().lower()
    laterality = out.get("laterality")  # as the command line takes it: "Bilateral" is bilateral (QA review)
    if isinstance(laterality, str) and laterality.strip().lower() in ("bilateral", "unilateral"):
        out["laterality"] = laterality.strip().lower()
    grade = out.get("grade")
    if type(grade) is float and grade in (0.0, 1.0, 2.0, 3.0):  # 2.0 is the grade 2 (JSON Schema reads it so)
        out["grade"] = int(grade)
    for name in ("age_years", "onset_age_years"):
        age = out.get(name)
        if isinstance(age, str) and (years := parse_age(age)) is not None:
            # as the command line rounds it (6 significant digits), and out of range said in the words typed
            # (robustness round 67: "got 133.33333333333331" for "1600 mo")
            if years > 130:
                # (enough digits that the years shown are over 130: "130.0000001 y" is not "130 years", round 75)
                shown = next(f"{years:.{digits}g}" for digits in range(4, 18) if float(f"{years:.{digits}g}") > 130)
                raise InputError(name, f"must be {_ALLOWED['age_years']} (got {age!r}, {shown} years)")
            out[name] = float(f"{years:.6g}")
    return out


def _one_each(field: str, given: Mapping[Any, Any], to_id: Callable[[str], str | None]) -> dict[Any, Any]:
    """The entries of ``clues`` or ``labs`` under the contract's ids; two spellings of one id
    (hypercalcaemia and hypercalcemia, PTH and pth) are refused rather than one silently dropped."""
    out: dict[Any, Any] = {}
    spelt: dict[Any, Any] = {}
    for key, value in given.items():
        name = to_id(str(key)) or key
        if name in out:
            raise InputError(field_path(field, name), f"given twice (as {spelt[name]!r} and {key!r}); give it once")
        out[name] = value
        spelt[name] = key
    return out


def _in_clinicians_words(data: bytes | str, kb: KnowledgeBase) -> dict[str, Any] | None:
    """The JSON case in the contract's words, when reading it in clinicians' words changes it."""
    import orjson

    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict):
        return None
    mapped = clinicians_words(parsed, kb)
    # a grade of 2.0 becomes 2, which compares equal: a change of type is a change too
    changed = mapped != parsed or type(mapped.get("grade")) is not type(parsed.get("grade"))
    return mapped if changed else None


_FIELD_FLAGS = {"age_years": "--age", "onset_age_years": "--onset-age"}


def _plain(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _lab_differs(old: Mapping[str, Any], value: float, unit: str, comparator: str) -> bool:
    """Whether a --lab value replaces a different one of the file: another value, unit (case and spaces aside),
    bound, or a sampling age the flag does not carry."""
    from nephrocalc.knowledge import normalise_unit

    return (old.get("value") != value or normalise_unit(str(old.get("unit", ""))) != normalise_unit(unit)
            or (old.get("comparator") or "") != comparator or old.get("age_years") is not None)


def merge_case(base: Mapping[str, Any] | None, kb: KnowledgeBase, *, fields: Mapping[str, Any] | None = None,
               clues: Mapping[str, bool] | None = None, labs: Sequence[str] = (),
               pattern_required: bool = True, overrides: list[str] | None = None,
               validate_base: bool = False) -> Case:
    """A case from a case file's data (``base``), overridden by command-line ``fields`` (pattern,
    modality, grade, laterality, age_years, sex: None means not given), ``clues`` (flags) and
    ``labs`` (``--lab ID=VALUE UNIT`` texts), then validated.

    With ``validate_base`` the file is validated on its own first: a flag overriding a field does not
    make a bad value of the file acceptable (it would be dropped without a word, and ``--save`` would
    write the rest as a valid case). Each flag that replaces a different value of the file is said in
    ``overrides``, when given: nothing the user wrote is replaced silently."""
    data: dict[str, Any] = dict(base or {})
    hint = _standard_input_hint(data, "--case")
    if hint is not None:
        raise hint
    if (clues or labs) and any(isinstance(data.get(key), dict) for key in ("clues", "labs")):
        # the file's own spellings (hypercalcaemia, PTH) become the contract's ids first, so that a flag
        # overrides the file's entry rather than standing beside it as a second spelling
        data = clinicians_words(data, kb)
    # the file's values as read (sex "F" is female, an age "6 mo" is 0.5): what a flag is compared with
    as_read: Mapping[str, Any] = data
    if validate_base and base is not None and (any(v is not None for v in (fields or {}).values()) or clues or labs):
        # a file without a pattern is valid beside --pattern: the flag gives what it lacks
        as_read = parse_case({"pattern": None, **data}, kb, pattern_required=False).to_dict()
    said = overrides if overrides is not None else []
    for name, value in (fields or {}).items():
        if value is None:
            continue
        if name in ("age_years", "onset_age_years") and value != value:  # NaN passes click's range check
            option = "--age" if name == "age_years" else "--onset-age"
            raise InputError(option, "must be a number from 0 to 130 (got nan)")
        if as_read.get(name) is not None and as_read[name] != value:
            said.append(f"{_FIELD_FLAGS.get(name, '--' + name)} {_plain(value)} replaced {name} "
                        f"{_plain(as_read[name])}")
        data[name] = value
    if labs:
        from nephrocalc.labs import parse_lab_bound

        current = data.get("labs")
        if current is not None and not isinstance(current, dict):
            raise InputError("labs", 'must be an object mapping lab ids to {"value": number, "unit": string}')
        merged = dict(current or {})
        given: dict[str, str] = {}
        for text in labs:
            lab_id, value, unit, comparator = parse_lab_bound(text, kb)
            if lab_id in given:  # each with its bound: "<6 pg/mL and >6 pg/mL" are two values, not one
                raise InputError("--lab", f"{lab_id} given twice ({given[lab_id]} and {comparator}{value:g} {unit}); "
                                 "give one value")
            given[lab_id] = f"{comparator}{value:g} {unit}"
            new = {"value": value, "unit": unit, **({"comparator": comparator} if comparator else {})}
            old = merged.get(lab_id)
            if isinstance(old, dict) and _lab_differs(old, value, unit, comparator):
                sample = f" (sampled at {_plain(old['age_years'])} y)" if old.get("age_years") is not None else ""
                said.append(f"--lab {lab_id}={comparator}{value:g} {unit} replaced {lab_id} "
                            f"{old.get('comparator') or ''}{_plain(old.get('value'))} {old.get('unit')}{sample}")
            merged[lab_id] = new
        data["labs"] = merged
    if clues:
        current = data.get("clues")
        if current is not None and not isinstance(current, dict):
            raise InputError("clues", "must be an object mapping clue ids to true or false")
        before: Mapping[str, Any] = current or {}
        for clue_id, value in clues.items():
            if before.get(clue_id) is not None and before[clue_id] != value:
                flag = clue_id.replace("_", "-")
                said.append(f"--{'' if value else 'no-'}{flag} replaced {clue_id} {str(before[clue_id]).lower()}")
        data["clues"] = {**(current or {}), **clues}
    if "pattern" not in data:
        if pattern_required:
            # a misspelt key ("Pattern") is named first: "--pattern: required" alone hid the typo (fuzz review 46)
            parse_case({**data, "pattern": None}, kb, pattern_required=False)
            raise InputError("--pattern", "required (medullary, cortical or combined), as a flag or in --case; a case "
                             "file gives \"pattern\": null when it is not known")
        data["pattern"] = None
    return parse_case(data, kb, pattern_required=pattern_required)


def _not_json(value: Any) -> str | None:
    """The field of a case given as a mapping (by the command line, a phenopacket or a FHIR bundle) that holds
    something JSON cannot: a value of another type, or a key that is not a string; None when none is found."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, at = stack.pop()
        if isinstance(item, Mapping):
            for key, child in item.items():
                if not isinstance(key, str):
                    return field_path(*at, key)
                stack.append((child, (*at, key)))
        elif isinstance(item, list | tuple):
            stack.extend((child, (*at, index)) for index, child in enumerate(item))
        elif not isinstance(item, str | int | float | bool) and item is not None:
            return field_path(*at) or None
    return None


def _reject_non_finite(value: Any, where: str) -> None:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise InputError(where or "case", f"must be a finite number (got {value!r})")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _reject_non_finite(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reject_non_finite(item, f"{where}.{index}")


def check_clues(case: Case, kb: KnowledgeBase) -> None:
    """Every clue id must be in the vocabulary: a typo is never silently ignored. The nephrocalcinosis
    cannot have been found after the age the patient has now."""
    # (beyond the 6 significant digits an age written with a unit is rounded to: an onset of 14 days beside "2 w"
    # was refused as "0.0383299 > 0.0383299", robustness round 79)
    if case.onset_age_years is not None and case.age_years is not None \
            and case.onset_age_years > case.age_years * (1 + 1e-5):
        raise InputError("onset_age_years", f"must not exceed age_years ({case.onset_age_years:g} > "
                         f"{case.age_years:g}): it is the age at which the nephrocalcinosis was found")
    for clue_id in case.clues:
        if clue_id not in kb.clues:
            raise InputError(field_path("clues", clue_id), unknown_id_message(clue_id, kb.clues, "clue",
                                                                                "nephrocalc clues"))


_ALLOWED = {
    "pattern": "one of " + ", ".join(PATTERNS) + ", or null when it is not known",
    "modality": "one of " + ", ".join(MODALITIES),
    "laterality": "one of " + ", ".join(LATERALITIES),
    "sex": "one of " + ", ".join(SEXES),
    "grade": "an integer from 0 to 3",
    "age_years": "a number from 0 to 130 (a preterm neonate is 0), or a text with its unit such as \"6 mo\"",
    "onset_age_years": "a number from 0 to 130, at most age_years (the age the nephrocalcinosis was found)",
    "id": "a string",
    "clues": "an object mapping clue ids to true or false",
    "labs": 'an object mapping lab ids to {"value": number, "unit": string}',
}


_LAB_FIELDS = ('a lab is {"value": number, "unit": string}, with optional "comparator" ("<", "<=", ">", ">=") '
               'and "age_years" (the age at the sample)')
_LAB_KEYS = ("value", "unit", "comparator", "age_years")


TOO_DEEP = (f"nested more than {MAX_JSON_DEPTH} levels deep; at most {MAX_JSON_DEPTH} are read, deeper than any "
            "case, phenopacket or FHIR bundle goes")


def _too_deep(message: str) -> bool:
    """A parser's error for JSON nested past its own limit (about 1,000 levels), which is valid JSON."""
    return "recursion limit" in message or "depth limit" in message


def json_error(exc: Exception, raw: bytes, what: str) -> InputError:
    """The error for JSON text that does not parse: a NaN or Infinity named by its field, JSON nested past the
    parser's own limit named by the field that holds it (robustness round 75: "case (stdin)" alone), else the
    parser's words."""
    located = non_finite_literal(raw, getattr(exc, "pos", 0), what)
    if located is not None:
        return located
    if _too_deep(str(exc)) and (shown := _deep_path_in_text(raw.decode("utf-8", "replace"))):
        return InputError(_in_document(what, field_path(*shown[:6]) + ("..." if len(shown) > 6 else "")), TOO_DEEP)
    return InputError(what, not_json_message(exc, raw))


def not_json_message(exc: Exception, raw: bytes) -> str:
    """What is wrong with bytes that do not parse as JSON: the parser's own words, and what the text is when it is not
    UTF-8 at all, when the parser's words are only about its decoding ("surrogates not allowed" of a UTF-16 file,
    which holds none: robustness round 66)."""
    hint = utf8_hint(raw)
    if hint.startswith("; the text is"):
        return "not valid JSON" + hint
    if _too_deep(str(exc)):
        return TOO_DEEP
    if _yaml_like(raw):  # phenopacket-tools writes YAML by default (robustness round 83)
        return "not valid JSON: YAML is not read: convert it to JSON"
    return f"not valid JSON ({exc})" + hint


def _yaml_like(raw: bytes) -> bool:
    """Whether text that is not JSON begins as a YAML document does: its first line that is not blank or a comment
    is a document marker (---, %YAML) or a key followed by a colon (``id: pp-1``, ``subject:``)."""
    import re

    for line in raw[:4096].splitlines():
        text = line.strip()
        if text and not text.startswith(b"#"):
            return re.fullmatch(rb"---|%YAML.*|[A-Za-z_][A-Za-z0-9_-]*:(?:\s.*)?", text) is not None
    return False


def utf8_hint(raw: bytes) -> str:
    """What to add to a JSON error when the bytes are not UTF-8 at all (a UTF-16 or Latin-1 text): JSON is read as
    UTF-8, and the parser's own message does not say so."""
    if _utf16_like(raw):  # UTF-16 without a byte order mark: ASCII text in it decodes as UTF-8 with NULs (fuzz 46)
        return "; the text is UTF-16: save it as UTF-8"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        encoding = "UTF-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or _utf16_like(raw) else "not UTF-8"
        return f"; the text is {encoding}: save it as UTF-8"
    if b"\x00" in raw:  # a stray NUL in UTF-8 text is not UTF-16 (black-box review 50)
        return f"; the text holds a NUL byte (\\x00) at byte {raw.index(0) + 1}"
    return ""


def _utf16_like(raw: bytes) -> bool:
    """Text whose every other byte is a NUL, as ASCII in UTF-16 is: at least two characters' worth, and NULs at
    most of the even or of the odd positions of its start."""
    head = raw[:64]
    pairs = len(head) // 2
    return pairs >= 2 and max(head[0::2].count(0), head[1::2].count(0)) * 4 >= pairs * 3


def _describe(exc: Any, what: str) -> tuple[str, str]:
    """The first validation error as (field, what is allowed). A lab's field that is missing beside a key the lab
    does not hold ({"valu": 5, "unit": "pg/mL"}) is told by that key: it is the typo to fix."""
    errors = exc.errors(include_url=False)
    error = errors[0]
    if error["type"] in ("missing", "missing_argument") and len(error["loc"]) == 3 and error["loc"][0] == "labs":
        error = next((other for other in errors if other["type"] == "unexpected_keyword_argument"
                      and len(other["loc"]) == 3 and tuple(other["loc"][:2]) == tuple(error["loc"][:2])), error)
    elif error["type"] in ("missing", "missing_argument") and len(error["loc"]) == 1:
        # so is a missing case field beside an unknown key ({"Pattern": ...}: fuzz review 46)
        error = next((other for other in errors if other["type"] == "unexpected_keyword_argument"
                      and len(other["loc"]) == 1), error)
    loc = [str(part) for part in error["loc"]]
    kind = error["type"]
    where = field_path(*loc)
    if kind in ("json_invalid", "json_type"):
        return what, f"not valid JSON ({error['msg']})"
    if not loc:
        return what, "must be a JSON object with a \"pattern\" field"
    if kind == "unexpected_keyword_argument":
        if loc[0] == "labs":
            hint = did_you_mean(loc[-1], _LAB_KEYS) if len(loc[-1]) <= 200 else ""
            return where, f"unknown field; {hint}{_LAB_FIELDS}"
        return where, f"unknown field; {did_you_mean(loc[-1], CASE_FIELDS)}allowed fields: {', '.join(CASE_FIELDS)}"
    if kind == "missing" or kind == "missing_argument":
        if loc[0] == "labs" and len(loc) == 3:  # a field of one lab, not the labs object
            return where, f"required; {_LAB_FIELDS}"
        return where, f"required; {_ALLOWED.get(loc[0], 'a value')}"
    head = loc[0]
    if head == "clues" and len(loc) == 2:
        return where, "must be true (present) or false (absent); leave a clue out when it is unknown"
    if head == "labs" and len(loc) >= 2:
        if len(loc) == 2 or kind in ("dataclass_type", "dataclass_exact_type"):
            return ".".join(loc[:2]), 'must be {"value": number, "unit": string}'
        if loc[2] == "value":
            got = error.get("input")
            kind_of = ", a string; write the number without quotes" if isinstance(got, str) else ""
            return where, f"must be a finite number (got {_shown(got)}{kind_of})"
        if loc[2] == "unit":
            return where, "must be a string"
        if loc[2] == "comparator":
            got = _shown(error.get("input"))
            return where, f'must be one of "<", "<=", ">", ">=" (the value is a bound; got {got})'
        if loc[2] == "age_years":
            return where, f"must be a number from 0 to 130, the age at the sample (got {_shown(error.get('input'))})"
        return where, f"unknown field; {_LAB_FIELDS}"
    return where, f"must be {_ALLOWED.get(head, 'valid')} (got {_shown(error.get('input'))})"


def _shown(value: Any) -> str:
    """A value as the JSON it came from (null, true, [{"id": "s"}]), not as Python writes it (None, True). An
    infinite number was a literal too large for a double (JSON has no Infinity): said so, not as "Infinity"
    (robustness round 68: batch said "got Infinity" for 1e400, where diff quotes the literal)."""
    import json

    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "a number too large for a double" if value > 0 else "a negative number too large for a double"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # not from JSON (a flag's value): as Python writes it
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
