"""The closed vocabularies, each defined once: case fields, patterns, modalities, frequency levels,
output formats, what an identifier is, and the option names a rule pack may not take.

Plain data and one regular expression: no imports beyond the standard library, so every layer
(rule schema, loader, intake, engine, renderers, command line) can share it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
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
CASE_FIELDS: Final = ("id", "pattern", "modality", "grade", "laterality", "age_years", "onset_age_years", "sex",
                      "clues", "labs")

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
# A standard document (--fhir, --phenopacket) is a record, not a case: an EHR's or Synthea's export of one
# patient runs to several megabytes (a FHIR review found a 6 MB Synthea bundle refused).
MAX_DOCUMENT_BYTES: Final = 64 * 1_048_576

# Output formats of one result (diff, ask) and of many (batch).
RESULT_FORMATS: Final = ("table", "json", "jsonl", "tsv", "csv", "markdown", "html", "phenopacket")
BATCH_FORMATS: Final = ("jsonl", "json", "tsv", "csv", "markdown", "html")
BATCH_INPUTS: Final = ("case", "phenopacket")
INFO_FORMATS: Final = ("table", "json")

# One definition of an identifier (clue, cause, lab, caveat, form, group, pack file names):
# lower-case ASCII letters, digits and underscores, starting with a letter, at most 64 characters.
ID_REGEX: Final = r"^[a-z][a-z0-9_]{0,63}$"
_ID = re.compile(ID_REGEX)


def folded_name(text: str) -> str:
    """A name as compared: case-folded, its spaces collapsed, a final full stop and hyphens' spacing dropped. The
    FHIR reader reads names so, and rules check compares hpo.toml's names so (they must agree)."""
    return " ".join(text.replace("\u2013", "-").replace("\u2014", "-").split()).rstrip(".").strip().casefold()


def is_number(text: str) -> bool:
    """Whether a text reads as a number as Python reads it ("2.0", "1e3", "nan"): what a value typed where a
    count or a lab value goes may be."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def is_identifier(text: str) -> bool:
    """True for a valid id. ``re.ASCII`` is implied by the character classes: 'bartterω' is not one."""
    return _ID.fullmatch(text) is not None


# Option names of `diff` and `ask` (with `-` written `_`), and names kept for them. A clue becomes
# the flags --<id>/--no-<id>, so a clue may not take one of these names, nor their `no_` forms.
RESERVED_OPTION_NAMES: Final = frozenset({
    "pattern", "modality", "grade", "laterality", "age", "age_years", "onset_age", "onset_age_years",
    "sex", "lab", "labs", "case", "format",
    "rules", "top", "explain", "max_questions", "stop_at", "help", "version", "extended", "phenopacket", "fhir",
    "save", "input", "fields", "jobs", "id", "clues", "show_completion", "install_completion", "no_extended",
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
    if clue_id.startswith("no_") and american(clue_id[3:]) != clue_id[3:] and american(clue_id[3:]) in clue_ids:
        # --no-hypercalcaemia is the British spelling of --no-hypercalcemia (black-box review 11: a pack's clue
        # no_hypercalcaemia turned "hypercalcaemia absent" into a finding present)
        return (f"{clue_id!r} would take over --{clue_id.replace('_', '-')}, the 'absent' flag of clue "
                f"{american(clue_id[3:])!r} spelt in British English; choose another id")
    # the clue whose --no- flag clue no_<id> would take is not at fault: no_<id> is named, and <id> kept (else a
    # built-in clue would vanish and every rule naming it be reported too)
    if american(clue_id) != clue_id and american(clue_id) in clue_ids:
        return (f"{clue_id!r} is how clue {american(clue_id)!r} is spelt in British English, and --"
                f"{clue_id.replace('_', '-')} already means it; choose another id")
    return None



def did_you_mean(name: str, known: Iterable[str]) -> str:
    """"did you mean 'hypercalcemia'? " for the closest known id, or "" when none is close."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def unknown_id_message(name: str, known: Collection[str], what: str, command: str) -> str:
    """One line for an unknown id: the closest known one, and where to see them all (an id of thousands of
    characters is shortened: the message stays one readable line)."""
    shown = repr(name) if len(name) <= 80 else f"{name[:60]!r}... ({len(name)} characters)"
    hint = did_you_mean(name, known) if len(name) <= 200 else ""
    return f"unknown {what} {shown}; {hint}see `{command}` for the {len(known)} allowed ids"


# Abbreviations clinicians write for causes: offered as a "did you mean", never read silently (UX review 84:
# `nephrocalc cause dRTA` suggested nothing)
CAUSE_ABBREVIATIONS: Final = {
    "rta": "distal_rta", "drta": "distal_rta", "phpt": "hyperparathyroidism", "hpt": "hyperparathyroidism",
    "thpt": "hyperparathyroidism", "tb": "renal_tuberculosis", "msk": "medullary_sponge_kidney",
    "ph": "primary_hyperoxaluria", "ph1": "primary_hyperoxaluria", "mas": "milk_alkali_syndrome",
    "cgn": "chronic_glomerulonephritis", "gn": "chronic_glomerulonephritis", "acn": "cortical_necrosis",
    "rcn": "cortical_necrosis", "ih": "chronic_hypercalciuria",
    "iih": "idiopathic_infantile_hypercalcemia", "hhrh": "hypophosphatemic_rickets_therapy",
}


def cause_suggestion(name: str, causes: Mapping[str, str]) -> str | None:
    """The cause a person probably meant by an abbreviation or a word of its name ("dRTA", "tuberculosis"): an id of
    ``causes`` (id -> name), or None."""
    typed = name.strip().casefold().replace("-", " ").replace("_", " ")
    by_abbreviation = CAUSE_ABBREVIATIONS.get(typed.replace(" ", ""))
    if by_abbreviation in causes:
        return by_abbreviation
    if len(typed) >= 3:
        named = [cause for cause, full in causes.items()
                 if typed in full.casefold() or typed in cause.replace("_", " ")]
        if len(named) == 1:
            return named[0]
    return None


# --- the words clinicians use ------------------------------------------------------------------------
# British spellings of clue and lab ids, and the common ways of writing a sex, a modality and an age.
# Ids stay the contract's: these only map what a person may type onto them.

_BRITISH = (("haem", "hem"), ("aemia", "emia"), ("aemic", "emic"), ("oedema", "edema"), ("oesophag", "esophag"),
            ("paediatric", "pediatric"), ("ischaem", "ischem"), ("leukaem", "leukem"), ("tumour", "tumor"),
            ("behaviour", "behavior"), ("oestr", "estr"), ("colour", "color"), ("immobilis", "immobiliz"),
            ("calcaem", "calcem"), ("kalaem", "kalem"), ("natraem", "natrem"), ("phosphataem", "phosphatem"),
            ("magnesaem", "magnesem"), ("glycaem", "glycem"), ("uricaem", "uricem"), ("uraem", "urem"),
            ("lipidaem", "lipidem"), ("albuminaem", "albuminem"), ("chloraem", "chlorem"), ("ionised", "ionized"),
            ("fibre", "fiber"), ("litre", "liter"))


def american(text: str) -> str:
    """The American spelling of an id or flag ("hypercalcaemia" -> "hypercalcemia")."""
    out = text
    for british, us in _BRITISH:
        out = out.replace(british, us)
    return out


def in_text(label: str) -> str:
    """A label inside a sentence: "Hypercalcaemia" -> "hypercalcaemia"; "High PTH" -> "high PTH"; an acronym first
    ("CKD stage 4 or 5", "HIV infection") is kept. One helper for the engine's notes and the renderers' text."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


SEX_WORDS: Final = {"f": "female", "female": "female", "woman": "female", "girl": "female",
                    "m": "male", "male": "male", "man": "male", "boy": "male"}
MODALITY_WORDS: Final = {"us": "us", "ultrasound": "us", "sonography": "us", "ct": "ct", "xr": "xr", "x-ray": "xr",
                         "xray": "xr", "radiograph": "xr", "radiography": "xr", "mr": "mr", "mri": "mr", "ctu": "ctu",
                         "ct-urography": "ctu", "ct_urography": "ctu", "ivu": "ivu", "ivp": "ivu", "urography": "ivu"}
LAB_WORDS: Final = {"pth": "pth", "ipth": "pth", "ca": "serum_calcium", "calcium": "serum_calcium",
                    "ica": "ionized_calcium", "ionised_calcium": "ionized_calcium", "hco3": "serum_bicarbonate",
                    "bicarbonate": "serum_bicarbonate", "k": "serum_potassium", "potassium": "serum_potassium",
                    "25ohd": "vitamin_d_25oh", "25-ohd": "vitamin_d_25oh", "25(oh)d": "vitamin_d_25oh",
                    "1,25-(oh)2d": "vitamin_d_1_25", "1,25(oh)2d": "vitamin_d_1_25", "calcitriol": "vitamin_d_1_25",
                    "po4": "serum_phosphate", "phosphate": "serum_phosphate", "mg": "serum_magnesium",
                    "magnesium": "serum_magnesium", "alb": "serum_albumin", "albumin": "serum_albumin",
                    "cr": "serum_creatinine", "creatinine": "serum_creatinine", "cl": "serum_chloride",
                    "alp": "alkaline_phosphatase", "ace": "serum_ace", "urate": "serum_urate",
                    "uric_acid": "serum_urate", "gfr": "egfr"}

# "pH" alone was read as the urine pH, so a blood-gas pH of 7.32 beside an acidosis became an alkaline urine (robustness
# round 66): a pH that does not say it is the urine's is refused, with what to write
BLOOD_PH_WORDS: Final = frozenset({"ph", "blood_ph", "serum_ph", "plasma_ph", "arterial_ph", "venous_ph", "abg_ph",
                                   "vbg_ph"})

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(y|yr|yrs|year|years|mo|mos|month|months|w|wk|wks|week|weeks|d|day|days)"
                  r"\s*$", re.IGNORECASE | re.ASCII)
_AGE_UNIT = {"y": 1.0, "m": 1 / 12, "w": 7 / 365.25, "d": 1 / 365.25}


def parse_age(text: str) -> float | None:
    """An age written with its unit ("6mo", "10d", "3w", "2y", "2.5 years") in years; None if it is not one."""
    # a no-break space (U+00A0, U+202F), as a spreadsheet or a web page writes "6 mo", is a space (round 75)
    match = _AGE.match(text.replace("\u00a0", " ").replace("\u202f", " "))
    if match is None:
        return None
    number, unit = match.groups()
    key = "m" if unit.lower().startswith("mo") else unit.lower()[0]
    return float(number) * _AGE_UNIT[key]


def known_id(name: str, known: Collection[str], words: dict[str, str] | None = None) -> str | None:
    """A known id for what a person typed: itself, its American spelling, any case, or a common alias."""
    if name in known:
        return name
    lowered = name.lower()
    for candidate in (lowered, american(lowered), lowered.replace("-", "_"), american(lowered.replace("-", "_"))):
        if candidate in known:
            return candidate
        if words is not None and words.get(candidate) in known:
            return words[candidate]
    return None

# Unicode controls that reorder or break a line where text is shown, beside the C0 and C1 controls: the Arabic letter
# mark, left-to-right and right-to-left marks, the line and paragraph separators, and the bidirectional overrides and
# isolates (an id or a rule could make a line read as something it does not say, "Trojan Source"). Rule files refuse
# them (loader/read.py), the renderers replace them in user text (render/views.py), messages escape them (cli/io.py).
LINE_CONTROLS: Final = (0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))


# The prefixes and base units of the simple units labs are given in (SI prefixes; a day is not prefixed)
_UNIT_PREFIXES: Final = {"": 1.0, "d": 1e-1, "c": 1e-2, "m": 1e-3, "µ": 1e-6, "μ": 1e-6, "u": 1e-6, "mc": 1e-6,
                          "n": 1e-9, "p": 1e-12, "k": 1e3}
_UNIT_KINDS: Final = {"g": "mass", "mol": "amount", "Eq": "charge", "IU": "activity", "U": "activity", "L": "volume",
                      "day": "time", "d": "time"}


def unit_part(text: str) -> tuple[float, str] | None:
    """One side of a unit ("mmol", "dL", "µg"): its scale to the base unit and its kind, or None if not understood.
    The rule loader checks a lab's conversion factors with it, and the document readers whether two spellings are
    one quantity (g/g and mg/mg)."""
    for base in sorted(_UNIT_KINDS, key=len, reverse=True):
        if text.endswith(base) and text[: len(text) - len(base)] in _UNIT_PREFIXES:
            if base in ("d", "day") and text not in ("d", "day"):
                continue  # no prefixed days
            return _UNIT_PREFIXES[text[: len(text) - len(base)]], _UNIT_KINDS[base]
    return None
