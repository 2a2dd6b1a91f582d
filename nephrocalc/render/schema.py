"""JSON Schemas of the input and output, derived by pydantic from the dataclasses themselves."""

from __future__ import annotations

from typing import Any

from nephrocalc import __version__

# the ages vocab.parse_age reads ("6 mo", "3 weeks", "10d", "2.5 years"; the unit in any case), as an ECMA-262
# regular expression, which has no case-insensitive flag inside a JSON Schema
AGE_PATTERN = (r"^\s*[0-9]+(\.[0-9]+)?\s*([yY]([rR][sS]?|[eE][aA][rR][sS]?)?|[mM][oO]([sS]|[nN][tT][hH][sS]?)?"
               r"|[wW]([kK][sS]?|[eE][eE][kK][sS]?)?|[dD]([aA][yY][sS]?)?)\s*$")


def json_schema(which: str, kb: Any = None) -> dict[str, Any]:
    from pydantic import TypeAdapter

    from nephrocalc.case import Case
    from nephrocalc.result import AskResult

    # the result schema is that of `ask`'s result: a `diff` result plus the optional case and interview
    model: Any = Case if which == "case" else AskResult
    schema = TypeAdapter(model).json_schema(mode="validation" if which == "case" else "serialization")
    if which == "case":
        properties = schema["properties"]
        # a case file must give its pattern (CONTRACT.md section 1: everything but the pattern is optional), as null
        # when it is not known (the case `ask` writes for a phenopacket without a pattern term)
        properties["pattern"]["description"] = ("required; null when not known (the causes are then ranked without "
                                                "pattern evidence, with a warning)")
        for name in ("age_years", "onset_age_years"):  # an age may also be written with its unit, as --age takes it
            properties[name]["anyOf"].insert(1, {"type": "string", "pattern": AGE_PATTERN,
                                                 "description": 'a number with its unit, such as "6 mo", "3 weeks" '
                                                 'or "10 days" (the range 0-130 years still holds)'})
    if which == "case" and kb is not None:
        # the clue and lab ids the knowledge base knows, so that a typo fails validation as it fails the tool
        # (robustness round 64: "hypercalcemai" passed the schema); the tool also reads British spellings, lab
        # aliases (PTH, Ca) and, for the other fields, any letter case and common synonyms (F, ultrasound): the
        # schema gives the canonical spellings, which the tool writes
        properties["clues"]["propertyNames"] = {"enum": sorted(kb.clues)}
        properties["clues"]["description"] = ("clue ids (nephrocalc clues); true when stated present, false when "
                                              "stated absent, left out when unknown")
        properties["labs"]["propertyNames"] = {"enum": sorted(kb.labs)}
        properties["labs"]["description"] = ("lab ids (nephrocalc labs), each with a value and one of the lab's "
                                             "accepted units")
    if which == "case":
        # said in the schema itself, not only here (robustness round 70: a pipeline validating with this schema
        # refused files the tool runs, "Medullary", "F", "hypokalaemia", "PTH")
        schema["description"] = (
            "One patient's imaging pattern and clinical clues (CONTRACT.md section 1), in the canonical spellings the "
            "tool writes. The tool also reads clinicians' words that this schema refuses: any letter case and "
            "common synonyms for pattern, sex and modality (\"Medullary\", "
            "\"F\", \"ultrasound\"), British spellings of clue ids (\"hypokalaemia\") and lab aliases (\"PTH\", "
            "\"Ca\"); `nephrocalc diff --case FILE --format json` gives back its \"case\" in the canonical form.")
    if which == "result":
        # one schema for every result the tool writes (robustness round 64: titled AskResult, it said nothing of diff
        # and batch, nor of batch's error record)
        schema["title"] = "Result"
        schema["description"] = (
            "A result of `nephrocalc diff --format json`, of `ask` (which adds the answered case and the interview) "
            "and of each `batch` line (which leaves out next_findings). A batch line that cannot be ranked is "
            "instead an error record, {\"line\", \"id\", \"error\"} (CONTRACT.md section 4): $defs.BatchError.")
        schema.setdefault("$defs", {})["BatchError"] = {
            "title": "BatchError", "type": "object", "required": ["line", "id", "error"],
            "additionalProperties": False,
            "description": "A batch input line that could not be ranked, in place of its result.",
            "properties": {"line": {"type": "integer", "minimum": 1, "description": "the line number, from 1"},
                           "id": {"anyOf": [{"type": "string"}, {"type": "null"}],
                                  "description": "the line's id, when it could be read"},
                           "error": {"type": "string", "description": "why, in one line"}}}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://nephrocalc.invalid/schema/{__version__}/{which}.json"
    schema.setdefault("description", f"nephrocalc {__version__} {which}")
    return schema
