"""The knowledge base: rule files loaded, validated, cross-checked and compiled for the engine.

``load_knowledge_base()`` reads the TOML files of ``rules/`` (see rules/README.md), validates each
against ``rules_schema`` and checks the references between them (clue ids, source tags), then
builds the plain, immutable structures below. Any problem raises ``RuleError`` naming the file
and the field. Nothing here is clinical knowledge: that all lives in the rule files.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from nephrocalc.errors import RuleError

if TYPE_CHECKING:
    from pydantic import BaseModel

AgeGroup = Literal["preterm", "child", "adult"]
AGE_GROUPS: tuple[AgeGroup, ...] = ("preterm", "child", "adult")
PATTERNS = ("medullary", "cortical", "combined")
FREQUENCY_LEVELS = ("always", "usually", "often", "sometimes", "rarely", "almost_never")


class Clue(NamedTuple):
    id: str
    label: str
    description: str
    group: str
    group_title: str
    specificity: str
    background: float  # P(present | a cause that does not list this clue)

    @property
    def flag(self) -> str:
        return "--" + self.id.replace("_", "-")


class Finding(NamedTuple):
    """A finding of one cause (or one form of it), with its likelihood ratios worked out."""

    clue: str
    frequency: str | None  # None when explicit likelihood ratios are given
    p_present: float | None
    lr_present: float
    lr_absent: float
    sources: tuple[str, ...]
    note: str
    estimate: bool


class Form(NamedTuple):
    id: str
    name: str
    share: Mapping[AgeGroup, float]
    female: float  # P(female | form)
    unilateral: float  # P(unilateral | form)
    findings: Mapping[str, Finding]  # the cause's common findings merged with the form's own
    own_findings: tuple[Finding, ...]
    sources: tuple[str, ...]
    note: str
    estimate: bool


class Cause(NamedTuple):
    id: str
    name: str
    short_name: str
    distribution: str
    cant_miss: bool
    cant_miss_reason: str
    summary: str
    mechanism: str
    sources: tuple[str, ...]
    prior: Mapping[AgeGroup, float]
    prior_note: str
    prior_sources: tuple[str, ...]
    patterns: Mapping[str, float]
    patterns_note: str
    patterns_sources: tuple[str, ...]
    findings: tuple[Finding, ...]  # the common findings, as written
    forms: tuple[Form, ...]  # at least one; a cause without forms has one form, "typical"
    path: str


class Condition(NamedTuple):
    pattern: tuple[str, ...] | None = None
    modality: tuple[str, ...] | None = None
    grade: tuple[int, ...] | None = None
    laterality: str | None = None
    sex: str | None = None
    age_below: float | None = None
    age_at_least: float | None = None
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    any_present: tuple[str, ...] = ()
    leading: tuple[str, ...] = ()
    in_top3: tuple[str, ...] = ()


class Caveat(NamedTuple):
    id: str
    kind: str  # "caveat" or "warning"
    message: str
    sources: tuple[str, ...]
    when: Condition


class Interaction(NamedTuple):
    id: str
    pattern: str
    clue: str
    distribution: str
    lr_present: float
    note: str
    sources: tuple[str, ...]


class Source(NamedTuple):
    tag: str
    citation: str
    url: str


class ReferenceTable(NamedTuple):
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    sources: tuple[str, ...]
    note: str


class LabLimit(NamedTuple):
    clue: str
    above: float | None
    below: float | None
    absent_at_most: float | None
    absent_at_least: float | None
    derive_absent: bool
    unit: str | None  # an own (patient-normalised) unit, or None for the canonical unit
    age_at_least: float | None
    age_below: float | None
    when_age_unknown: bool
    sex: str | None
    when_sex_unknown: bool
    requires: tuple[tuple[str, bool], ...]
    unless: tuple[tuple[str, bool], ...]
    absent_requires: tuple[tuple[str, bool], ...]
    label: str
    warning: str
    warn_when: str
    sources: tuple[str, ...]
    note: str
    estimate: bool


class Lab(NamedTuple):
    id: str
    label: str
    canonical: str
    units: Mapping[str, tuple[str, float]]  # normalised unit -> (unit as written, factor to canonical)
    own_units: Mapping[str, str]  # normalised unit -> unit as written
    own_plausible: Mapping[str, tuple[float, float]]
    plausible: tuple[float, float]
    extreme: tuple[float, float]
    conversion_note: str
    sources: tuple[str, ...]
    limits: tuple[LabLimit, ...]
    note: str

    @property
    def accepted_units(self) -> list[str]:
        return [written for written, _ in self.units.values()] + list(self.own_units.values())


def normalise_unit(unit: str) -> str:
    """Units match ignoring case and spaces: "mg/dl" and "mg / dL" are "mg/dL"."""
    return "".join(unit.split()).lower()


class PackInfo(NamedTuple):
    """A set of rule files loaded: the built-in knowledge base or a rule pack (--rules DIR)."""

    name: str
    version: str
    path: str


class AgeSettings(NamedTuple):
    child_below_years: float
    preterm_below_years: float
    unknown_mix: Mapping[AgeGroup, float]


class KnowledgeBase(NamedTuple):
    name: str
    version: str
    description: str
    frequency: Mapping[str, float]
    specificity: Mapping[str, float]
    default_unilateral: float
    ages: AgeSettings
    groups: Mapping[str, str]
    clues: Mapping[str, Clue]
    causes: Mapping[str, Cause]  # sorted by id
    caveats: tuple[Caveat, ...]
    interactions: tuple[Interaction, ...]
    sources: Mapping[str, Source]
    tables: Mapping[str, ReferenceTable]
    labs: Mapping[str, Lab]
    root: str
    packs: tuple[PackInfo, ...] = ()
    used_clues: frozenset[str] = frozenset()


def builtin_rules_dir() -> Path:
    """The rules shipped in the wheel (nephrocalc/rules), or the checkout's top-level rules/."""
    here = Path(__file__).resolve().parent
    packaged = here / "rules"
    if (packaged / "knowledge_base.toml").is_file():
        return packaged
    return here.parent / "rules"


# --- loading ------------------------------------------------------------------------------


class _Problems:
    """Collects every problem found, so that `rules check` can list them all at once."""

    def __init__(self, *roots: Path) -> None:
        self.roots = roots
        self.items: list[str] = []

    def add(self, path: Path, where: str, message: str) -> None:
        name = str(path)
        for root in self.roots:
            try:
                name = str(path.relative_to(root))
                break
            except ValueError:
                continue
        self.items.append(f"{name}: {where}: {message}" if where else f"{name}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            more = f" (and {len(self.items) - 1} more)" if len(self.items) > 1 else ""
            raise RuleError("", self.items[0] + more, problems=list(self.items))


def _read_toml(path: Path, problems: _Problems) -> dict[str, Any] | None:
    import tomllib

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        problems.add(path, "", "file is missing")
    except tomllib.TOMLDecodeError as exc:
        problems.add(path, "", f"not valid TOML ({exc})")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(path, "", f"cannot be read ({exc})")
    return None


def _validate(model: "type[BaseModel]", data: Any, path: Path, problems: _Problems, prefix: str = "") -> Any:
    from pydantic import ValidationError

    if data is None:  # the file could not be read or parsed: already reported
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = ".".join([prefix, *(str(part) for part in error["loc"])] if prefix else
                           [str(part) for part in error["loc"]]) or "(file)"
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            elif error["type"] == "missing":
                message = "required key is missing"
            elif error["type"] == "too_short" and error["loc"] and error["loc"][-1] == "sources":
                message = "needs at least one source (a tag of sources.toml)"
            elif error["type"] == "literal_error":
                message = f"{message} (got {error['input']!r})"
            elif message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            problems.add(path, loc, message)
        return None


def rule_files(root: Path) -> list[Path]:
    """Every file the knowledge base of ``root`` is built from, in a fixed order."""
    names = ["knowledge_base.toml", "clues.toml", "sources.toml", "caveats.toml", "imaging.toml", "grading.toml",
             "labs.toml"]
    return [root / name for name in names] + sorted((root / "causes").glob("*.toml"))


def pack_files(pack: Path) -> list[Path]:
    """Every file a rule pack may hold (pack.toml is required; the others are optional)."""
    names = ["pack.toml", "clues.toml", "sources.toml", "caveats.toml"]
    return [pack / name for name in names if (pack / name).exists()] + sorted((pack / "causes").glob("*.toml"))


def load_knowledge_base(rules_dir: Path | None = None, *, packs: Sequence[Path] = (),
                        use_cache: bool = True) -> KnowledgeBase:
    """Load, validate and compile the rule files of ``rules_dir`` (default: the built-in rules).

    The compiled result is cached on disk under a key made of the files' paths, sizes and
    modification times (cache.py), so a run that finds it skips TOML parsing and pydantic
    validation; a changed file is reloaded.
    """
    root = rules_dir if rules_dir is not None else builtin_rules_dir()
    packs = tuple(Path(pack).resolve() for pack in packs)
    for pack in packs:
        try:
            is_dir = pack.is_dir()
        except OSError as exc:
            raise RuleError(repr(str(pack)), f"cannot be read ({exc.strerror or exc})") from None
        if not is_dir:
            raise RuleError(repr(str(pack)), "not a directory: a rule pack is a folder with a pack.toml")
    if not use_cache:
        return _load(root, packs)
    from nephrocalc.cache import cached, files_key

    try:
        # this module's own file too: the pickled value is made of the classes defined here
        key = files_key("kb", [Path(__file__), *rule_files(root),
                               *(f for pack in packs for f in [pack, *pack_files(pack)])])
    except OSError:
        return _load(root, packs)  # let the loader report the missing or unreadable file
    return cached(key, lambda: _load(root, packs))


def _load(root: Path, packs: Sequence[Path] = ()) -> KnowledgeBase:
    from nephrocalc import rules_schema as schema

    problems = _Problems(root, *packs)
    kb_path, clues_path, sources_path = root / "knowledge_base.toml", root / "clues.toml", root / "sources.toml"
    caveats_path = root / "caveats.toml"

    kb_file = _validate(schema.KnowledgeBaseFile, _read_toml(kb_path, problems), kb_path, problems)
    clues_file = _validate(schema.CluesFile, _read_toml(clues_path, problems), clues_path, problems)
    raw_sources = _read_toml(sources_path, problems) or {}
    sources: dict[str, Source] = {}
    for tag, entry in raw_sources.items():
        parsed = _validate(schema.SourceEntry, entry, sources_path, problems, prefix=tag)
        if parsed is not None:
            sources[tag] = Source(tag, parsed.citation, parsed.url)
    caveats_file = _validate(schema.CaveatsFile, _read_toml(caveats_path, problems), caveats_path, problems)
    cause_files: dict[str, tuple[Path, Any]] = {}
    cause_paths = sorted((root / "causes").glob("*.toml"))
    if not cause_paths:
        problems.add(root / "causes", "", "no cause files (causes/<id>.toml)")
    for path in cause_paths:
        if not _is_identifier(path.stem):
            problems.add(path, "", "the file name must be a cause id (lower case letters, digits, _)")
            continue
        parsed = _validate(schema.CauseFile, _read_toml(path, problems), path, problems)
        if parsed is not None:
            cause_files[path.stem] = (path, parsed)
    tables: dict[str, ReferenceTable] = {}
    for table_name in ("imaging", "grading"):
        path = root / f"{table_name}.toml"
        parsed = _validate(schema.ReferenceTable, _read_toml(path, problems), path, problems)
        if parsed is not None:
            tables[table_name] = ReferenceTable(
                parsed.title,
                tuple(parsed.columns),
                tuple((row.key, *row.cells) for row in parsed.rows),
                tuple(parsed.sources),
                parsed.note,
            )
            _check_sources(parsed.sources, sources, path, "sources", problems)
    labs_path = root / "labs.toml"
    labs_file = _validate(schema.LabsFile, _read_toml(labs_path, problems), labs_path, problems)
    problems.raise_if_any()

    groups = dict(clues_file.groups)
    clue_entries: dict[str, tuple[Path, Any]] = {cid: (clues_path, e) for cid, e in clues_file.clues.items()}
    caveat_entries: list[tuple[Path, int, Any]] = [(caveats_path, i, e) for i, e in enumerate(caveats_file.caveats)]
    infos = [PackInfo(kb_file.name, kb_file.version, "built-in")]
    for pack in packs:
        infos.append(_overlay(pack, groups, clue_entries, sources, caveat_entries, cause_files, problems))
    problems.raise_if_any()

    kb = _compile(root, kb_file, groups, clue_entries, sources, caveat_entries, cause_files, tables, problems)
    kb = kb._replace(labs=_compile_labs(labs_file, labs_path, kb.clues, sources, problems), packs=tuple(infos))
    problems.raise_if_any()
    return kb


def _overlay(pack: Path, groups: dict[str, str], clue_entries: dict[str, tuple[Path, Any]],
             sources: dict[str, Source], caveat_entries: list[tuple[Path, int, Any]],
             cause_files: dict[str, tuple[Path, Any]], problems: _Problems) -> PackInfo:
    """Lay one rule pack over the knowledge base so far: new clues, sources, caveats and causes,
    or a cause file that replaces the cause of the same id."""
    from nephrocalc import rules_schema as schema

    pack_path = pack / "pack.toml"
    info = _validate(schema.PackFile, _read_toml(pack_path, problems), pack_path, problems)
    clues_path = pack / "clues.toml"
    if clues_path.exists():
        clues_file = _validate(schema.CluesFile, _read_toml(clues_path, problems), clues_path, problems)
        if clues_file is not None:
            for group, title in clues_file.groups.items():
                if group in groups and groups[group] != title:
                    problems.add(clues_path, f"groups.{group}", "a group of that id already exists with another title")
                groups[group] = title
            for clue_id, entry in clues_file.clues.items():
                if clue_id in clue_entries:
                    problems.add(clues_path, f"clues.{clue_id}", "duplicate clue id: it is already defined")
                    continue
                clue_entries[clue_id] = (clues_path, entry)
    sources_path = pack / "sources.toml"
    if sources_path.exists():
        for tag, entry in (_read_toml(sources_path, problems) or {}).items():
            parsed = _validate(schema.SourceEntry, entry, sources_path, problems, prefix=tag)
            if parsed is None:
                continue
            if tag in sources and (sources[tag].citation, sources[tag].url) != (parsed.citation, parsed.url):
                problems.add(sources_path, tag, "duplicate source tag with another citation")
                continue
            sources[tag] = Source(tag, parsed.citation, parsed.url)
    caveats_path = pack / "caveats.toml"
    if caveats_path.exists():
        caveats_file = _validate(schema.CaveatsFile, _read_toml(caveats_path, problems), caveats_path, problems)
        if caveats_file is not None:
            caveat_entries.extend((caveats_path, i, entry) for i, entry in enumerate(caveats_file.caveats))
    for path in sorted((pack / "causes").glob("*.toml")):
        if not _is_identifier(path.stem):
            problems.add(path, "", "the file name must be a cause id (lower case letters, digits, _)")
            continue
        parsed = _validate(schema.CauseFile, _read_toml(path, problems), path, problems)
        if parsed is not None:
            cause_files[path.stem] = (path, parsed)  # a pack's cause replaces a built-in one of the same id
    if info is None:
        return PackInfo(pack.name, "?", str(pack))
    return PackInfo(info.name, info.version, str(pack))


def _is_identifier(text: str) -> bool:
    return bool(text) and text[0].isalpha() and text.islower() and all(c.isalnum() or c == "_" for c in text)


def _check_sources(tags: Iterable[str], sources: Mapping[str, Source], path: Path, where: str,
                   problems: _Problems) -> None:
    for tag in tags:
        if tag not in sources:
            problems.add(path, where, f"unknown source tag {tag!r} (add it to sources.toml)")


def _compile(root: Path, kb_file: Any, groups: Mapping[str, str], clue_entries: Mapping[str, tuple[Path, Any]],
             sources: Mapping[str, Source], caveat_entries: list[tuple[Path, int, Any]],
             cause_files: Mapping[str, tuple[Path, Any]], tables: Mapping[str, ReferenceTable],
             problems: _Problems) -> KnowledgeBase:
    kb_path = root / "knowledge_base.toml"
    frequency = {level: getattr(kb_file.frequency, level) for level in FREQUENCY_LEVELS}
    specificity = {"high": kb_file.specificity.high, "moderate": kb_file.specificity.moderate,
                   "low": kb_file.specificity.low}
    for section in (kb_file.frequency, kb_file.specificity, kb_file.laterality, kb_file.age_groups,
                    kb_file.age_groups.unknown, *kb_file.patterns.values()):
        _check_sources(section.sources, sources, kb_path, type(section).__name__, problems)

    clues: dict[str, Clue] = {}
    for clue_id, (clues_path, entry) in clue_entries.items():
        if entry.group not in groups:
            problems.add(clues_path, f"clues.{clue_id}.group",
                         f"unknown group {entry.group!r} (declare it in [groups])")
            continue
        clues[clue_id] = Clue(clue_id, entry.label, entry.description, entry.group, groups[entry.group],
                              entry.specificity, specificity[entry.specificity])

    missing_patterns = {"medullary", "cortical"} - set(kb_file.patterns)
    if missing_patterns:
        problems.add(kb_path, "patterns", f"give the default patterns for {', '.join(sorted(missing_patterns))}")
        return _empty(kb_file, root)

    causes: dict[str, Cause] = {}
    for cause_id, (path, cause_file) in sorted(cause_files.items()):
        causes[cause_id] = _compile_cause(cause_id, path, cause_file, kb_file, frequency, clues, sources, problems)

    caveats: list[Caveat] = []
    seen_caveats: set[str] = set()
    for caveats_path, index, entry in caveat_entries:
        where = f"caveats.{index}"
        if entry.id in seen_caveats:
            problems.add(caveats_path, f"{where}.id", f"duplicate caveat id {entry.id!r}")
        seen_caveats.add(entry.id)
        _check_sources(entry.sources, sources, caveats_path, f"{where}.sources", problems)
        cond = entry.when
        for key in ("present", "absent", "unknown", "any_present"):
            for clue_id in getattr(cond, key):
                if clue_id not in clues:
                    problems.add(caveats_path, f"{where}.when.{key}", f"unknown clue {clue_id!r}")
        for key in ("leading", "in_top3"):
            for cause_id in getattr(cond, key):
                if cause_id not in causes:
                    problems.add(caveats_path, f"{where}.when.{key}", f"unknown cause {cause_id!r}")
        caveats.append(Caveat(entry.id, entry.kind, entry.message, tuple(entry.sources), Condition(
            pattern=tuple(cond.pattern) if cond.pattern is not None else None,
            modality=tuple(cond.modality) if cond.modality is not None else None,
            grade=tuple(cond.grade) if cond.grade is not None else None,
            laterality=cond.laterality, sex=cond.sex, age_below=cond.age_below, age_at_least=cond.age_at_least,
            present=tuple(cond.present), absent=tuple(cond.absent), unknown=tuple(cond.unknown),
            any_present=tuple(cond.any_present), leading=tuple(cond.leading), in_top3=tuple(cond.in_top3))))

    interactions: list[Interaction] = []
    for index, item in enumerate(kb_file.interactions):
        if item.clue not in clues:
            problems.add(kb_path, f"interactions.{index}.clue", f"unknown clue {item.clue!r}")
        _check_sources(item.sources, sources, kb_path, f"interactions.{index}.sources", problems)
        interactions.append(Interaction(item.id, item.pattern, item.clue, item.distribution, item.lr_present,
                                        item.note, tuple(item.sources)))

    used = frozenset(clue for cause in causes.values() for form in cause.forms for clue in form.findings)
    used |= {item.clue for item in interactions}
    mix = kb_file.age_groups.unknown
    return KnowledgeBase(
        name=kb_file.name, version=kb_file.version, description=kb_file.description,
        frequency=frequency, specificity=specificity, default_unilateral=kb_file.laterality.unilateral,
        ages=AgeSettings(kb_file.age_groups.child_below_years, kb_file.age_groups.preterm_below_years,
                         _normalised({"preterm": mix.preterm, "child": mix.child, "adult": mix.adult})),
        groups=dict(groups), clues=clues, causes=causes, caveats=tuple(caveats), interactions=tuple(interactions),
        sources=dict(sources), tables=dict(tables), labs={}, root=str(root), used_clues=used,
    )


def _empty(kb_file: Any, root: Path) -> KnowledgeBase:
    return KnowledgeBase(kb_file.name, kb_file.version, "", {}, {}, 0.05,
                         AgeSettings(18, 0.08, {"preterm": 0.0, "child": 0.0, "adult": 1.0}), {}, {}, {}, (), (),
                         {}, {}, {}, str(root))


def _compile_labs(labs_file: Any, path: Path, clues: Mapping[str, Clue], sources: Mapping[str, Source],
                  problems: _Problems) -> dict[str, Lab]:
    labs: dict[str, Lab] = {}
    for lab_id, entry in labs_file.labs.items():
        where = f"labs.{lab_id}"
        _check_sources(entry.sources, sources, path, f"{where}.sources", problems)
        units = {normalise_unit(unit): (unit, conv.multiply_by / conv.divide_by) for unit, conv in entry.units.items()}
        own = {normalise_unit(unit): unit for unit in entry.own_units}
        if len(units) + len(own) != len(entry.units) + len(entry.own_units):
            problems.add(path, f"{where}.units", "two units differ only in case or spaces")
        limits = []
        for index, limit in enumerate(entry.limits):
            if limit.clue not in clues:
                problems.add(path, f"{where}.limits.{index}.clue", f"unknown clue {limit.clue!r}")
            for key in ("requires", "unless", "absent_requires"):
                for clue_id in getattr(limit, key):
                    if clue_id not in clues:
                        problems.add(path, f"{where}.limits.{index}.{key}", f"unknown clue {clue_id!r}")
            _check_sources(limit.sources, sources, path, f"{where}.limits.{index}.sources", problems)
            limits.append(LabLimit(
                clue=limit.clue, above=limit.above, below=limit.below, absent_at_most=limit.absent_at_most,
                absent_at_least=limit.absent_at_least, derive_absent=limit.derive_absent,
                unit=normalise_unit(limit.unit) if limit.unit else None, age_at_least=limit.age_at_least,
                age_below=limit.age_below, when_age_unknown=limit.when_age_unknown, sex=limit.sex,
                when_sex_unknown=limit.when_sex_unknown, requires=tuple(sorted(limit.requires.items())),
                unless=tuple(sorted(limit.unless.items())),
                absent_requires=tuple(sorted(limit.absent_requires.items())),
                label=limit.label, warning=limit.warning, warn_when=limit.warn_when, sources=tuple(limit.sources),
                note=limit.note,
                estimate=limit.estimate))
        labs[lab_id] = Lab(
            id=lab_id, label=entry.label, canonical=entry.canonical, units=units, own_units=own,
            own_plausible={normalise_unit(u): (r[0], r[1]) for u, r in entry.own_plausible.items()},
            plausible=(entry.plausible[0], entry.plausible[1]), extreme=(entry.extreme[0], entry.extreme[1]),
            conversion_note=entry.conversion_note, sources=tuple(entry.sources), limits=tuple(limits),
            note=entry.note)
    return labs


def _normalised(values: Mapping[AgeGroup, float]) -> dict[AgeGroup, float]:
    total = sum(values.values())
    return {key: value / total for key, value in values.items()} if total > 0 else dict(values)


def _compile_finding(raw: Any, where: str, path: Path, frequency: Mapping[str, float],
                     clues: Mapping[str, Clue], sources: Mapping[str, Source], problems: _Problems) -> Finding | None:
    _check_sources(raw.sources, sources, path, f"{where}.sources", problems)
    clue = clues.get(raw.clue)
    if clue is None:
        problems.add(path, f"{where}.clue", f"unknown clue {raw.clue!r} (clues are declared in clues.toml)")
        return None
    if raw.frequency is not None:
        p = frequency[raw.frequency]
        lr_present = p / clue.background
        lr_absent = (1.0 - p) / (1.0 - clue.background)
        return Finding(raw.clue, raw.frequency, p, lr_present, lr_absent, tuple(raw.sources), raw.note, raw.estimate)
    return Finding(raw.clue, None, None, raw.lr_present, raw.lr_absent, tuple(raw.sources), raw.note, raw.estimate)


def _compile_cause(cause_id: str, path: Path, raw: Any, kb_file: Any, frequency: Mapping[str, float],
                   clues: Mapping[str, Clue], sources: Mapping[str, Source], problems: _Problems) -> Cause:
    _check_sources(raw.sources, sources, path, "sources", problems)
    _check_sources(raw.prior.sources, sources, path, "prior.sources", problems)
    patterns_raw = raw.patterns if raw.patterns is not None else kb_file.patterns[raw.distribution]
    _check_sources(patterns_raw.sources, sources, path, "patterns.sources", problems)
    unilateral = raw.laterality.unilateral if raw.laterality is not None else kb_file.laterality.unilateral
    if raw.laterality is not None:
        _check_sources(raw.laterality.sources, sources, path, "laterality.sources", problems)
    female = raw.sex.female if raw.sex is not None else 0.5
    if raw.sex is not None:
        _check_sources(raw.sex.sources, sources, path, "sex.sources", problems)

    common: list[Finding] = []
    seen: set[str] = set()
    for index, item in enumerate(raw.findings):
        if item.clue in seen:
            problems.add(path, f"findings.{index}.clue", f"{item.clue!r} is listed twice")
        seen.add(item.clue)
        finding = _compile_finding(item, f"findings.{index}", path, frequency, clues, sources, problems)
        if finding is not None:
            common.append(finding)

    forms: list[Form] = []
    for form_index, form_raw in enumerate(raw.forms):
        where = f"forms.{form_index}"
        _check_sources(form_raw.sources, sources, path, f"{where}.sources", problems)
        own: list[Finding] = []
        own_seen: set[str] = set()
        for index, item in enumerate(form_raw.findings):
            if item.clue in own_seen:
                problems.add(path, f"{where}.findings.{index}.clue", f"{item.clue!r} is listed twice")
            own_seen.add(item.clue)
            finding = _compile_finding(item, f"{where}.findings.{index}", path, frequency, clues, sources, problems)
            if finding is not None:
                own.append(finding)
        merged = {f.clue: f for f in common} | {f.clue: f for f in own}
        share = form_raw.share
        shares: dict[AgeGroup, float] = (
            {group: float(share) for group in AGE_GROUPS} if isinstance(share, (int, float))
            else {"preterm": share.preterm, "child": share.child, "adult": share.adult})
        if form_raw.sex is not None:
            _check_sources(form_raw.sex.sources, sources, path, f"{where}.sex.sources", problems)
        if form_raw.laterality is not None:
            _check_sources(form_raw.laterality.sources, sources, path, f"{where}.laterality.sources", problems)
        forms.append(Form(
            id=form_raw.id, name=form_raw.name, share=shares,
            female=form_raw.sex.female if form_raw.sex is not None else female,
            unilateral=form_raw.laterality.unilateral if form_raw.laterality is not None else unilateral,
            findings=merged, own_findings=tuple(own), sources=tuple(form_raw.sources), note=form_raw.note,
            estimate=form_raw.estimate))
    if not forms:
        forms.append(Form(id="typical", name=raw.name, share=dict.fromkeys(AGE_GROUPS, 1.0), female=female,
                          unilateral=unilateral, findings={f.clue: f for f in common}, own_findings=(),
                          sources=tuple(raw.sources), note="", estimate=False))
    if not any(math.log(f.lr_present) >= math.log(5.0) for form in forms for f in form.findings.values()):
        problems.add(path, "findings", "a cause needs at least one strong finding (likelihood ratio of 5 or more)")
    prior: dict[AgeGroup, float] = {"preterm": raw.prior.preterm, "child": raw.prior.child,
                                    "adult": raw.prior.adult}
    return Cause(
        id=cause_id, name=raw.name, short_name=raw.short_name, distribution=raw.distribution,
        cant_miss=raw.cant_miss, cant_miss_reason=raw.cant_miss_reason, summary=raw.summary,
        mechanism=raw.mechanism, sources=tuple(raw.sources), prior=prior, prior_note=raw.prior.note,
        prior_sources=tuple(raw.prior.sources),
        patterns={"medullary": patterns_raw.medullary, "cortical": patterns_raw.cortical,
                  "combined": patterns_raw.combined},
        patterns_note=patterns_raw.note, patterns_sources=tuple(patterns_raw.sources),
        findings=tuple(common), forms=tuple(forms), path=str(path))
