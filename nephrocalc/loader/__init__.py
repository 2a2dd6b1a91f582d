"""Loading the knowledge base: the TOML rule files of ``rules/`` (and any rule packs laid over
them) read, validated, cross-checked and compiled into a ``KnowledgeBase`` (knowledge.py).

Any problem raises ``RuleError`` naming the file and the field, all problems at once. The
compiled result is cached on disk (cache.py) under a key made of the content of every rule file
and of this package's code, so a run that finds it skips TOML parsing and pydantic validation.
Only this function is on the start-up path: parsing and compiling (read.py, compile.py, and
pydantic's model machinery) are imported when the cache misses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nephrocalc.errors import RuleError
from nephrocalc.knowledge import KnowledgeBase

__all__ = ["builtin_rules_dir", "cause_paths", "extended_rules_dir", "is_knowledge_base", "is_shipped_extended",
           "knowledge_key", "load_knowledge_base", "pack_files", "refused_links",
           "rule_files", "set_aside"]


def builtin_rules_dir() -> Path:
    """The rules shipped in the wheel (nephrocalc/rules), or the checkout's top-level rules/."""
    here = Path(__file__).resolve().parent.parent  # the nephrocalc package
    packaged = here / "rules"
    if (packaged / "knowledge_base.toml").is_file():
        return packaged
    return here.parent / "rules"


def extended_rules_dir() -> Path:
    """The extended knowledge base (CLINICAL-EXTENDED.md): a built-in rule pack, loaded by --extended."""
    return builtin_rules_dir() / "extended"


_DOC_NAMES = ("README", "LICENSE", "LICENCE", "NOTICE", "COPYING", "CHANGELOG", "CHANGES", "AUTHORS")
_DOC_SUFFIXES = (".md", ".txt", ".rst", ".html", ".pdf", "~", ".bak", ".orig", ".swp")


def set_aside(name: str) -> bool:
    """An entry of a rule folder that is not read and not reported: hidden, documentation, an editor's backup."""
    return name.startswith(".") or name.upper().startswith(_DOC_NAMES) or name.lower().endswith(_DOC_SUFFIXES)


def is_shipped_extended(folder: Path) -> bool:
    """Whether ``folder`` is the extended knowledge base as it ships: the packaged folder itself, or a folder of the
    same rule files holding the same rules (comments and layout aside), and no others: rules/extended of a source
    checkout checked by an installed nephrocalc, or a copy of it. Only such a folder may go by the shipped name
    ("nephrocalc extended knowledge base"): an edited copy is a pack of one's own, which a result's footer must not
    pass off as the shipped rules."""
    return _same_rules(folder, extended_rules_dir())


def _same_rules(folder: Path, shipped: Path, aside: tuple[str, ...] = ()) -> bool:
    """Whether ``folder`` is ``shipped`` itself, or holds the same rule files with the same rules (comments and layout
    aside) and no others; the entries named in ``aside`` (and what they hold) are not compared."""
    return rules_difference(folder, shipped, aside) is None


def first_difference_from_shipped(folder: Path) -> str | None:
    """The first rule file in which a copy of rules/ differs from the built-in knowledge base ("causes/x.toml"), or
    None when it holds the same rules: named when the copy keeps the shipped name (robustness round 76: the refusal
    did not say what counted as edited)."""
    return rules_difference(folder, builtin_rules_dir(), ("extended",))


def rules_difference(folder: Path, shipped: Path, aside: tuple[str, ...] = ()) -> str | None:
    """The first difference between the rules of ``folder`` and ``shipped`` ("causes/x.toml", "clues.toml (missing)"),
    or None when they hold the same rules (comments and layout aside)."""
    import tomllib

    def rules(root: Path) -> dict[str, Path]:  # what a pack's loader reads: notes and editor backups are set aside
        found = {}
        for entry in pack_files(root):
            name = entry.relative_to(root).as_posix()
            if entry.name == "causes" or name.split("/")[0] in aside \
                    or (set_aside(entry.name) if entry.parent == root else entry.name.endswith("~")):
                continue
            found[name] = entry
        return found

    def same(mine: Path, theirs: Path) -> bool:
        if not mine.is_file():  # a named pipe would block the read; a folder cannot be read
            return False
        if mine.stat().st_size > 2 * theirs.stat().st_size + 4096:  # not the same rules re-laid: not read at all
            return False
        text, shipped_text = mine.read_bytes(), theirs.read_bytes()
        if text == shipped_text:
            return True
        try:
            return tomllib.loads(text.decode("utf-8-sig")) == tomllib.loads(shipped_text.decode("utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
            return False

    try:
        if folder.resolve() == shipped.resolve():
            return None
        mine, theirs = rules(folder), rules(shipped)
        for name in sorted(mine.keys() | theirs.keys()):
            if name not in mine:
                return f"{name} (missing)"
            if name not in theirs:
                return f"{name} (added)"
            if not same(mine[name], theirs[name]):
                return name
        return None
    except OSError as exc:  # a file that cannot be read (a folder in the place of a file): not the shipped rules
        return f"{getattr(exc, 'filename', None) or folder} (cannot be read)"


def rule_files(root: Path) -> list[Path]:
    """Every file the knowledge base of ``root`` is built from, in a fixed order."""
    names = ["knowledge_base.toml", "clues.toml", "sources.toml", "caveats.toml", "imaging.toml", "grading.toml",
             "labs.toml", "hpo.toml"]
    return [root / name for name in names] + cause_paths(root / "causes")


def cause_paths(causes: Path) -> list[Path]:
    """The cause files of a causes/ folder: its <id>.toml files, hidden ones (.x.toml, an editor's or a sync
    tool's) left out, as every hidden entry of a rule folder is (rules/README.md)."""
    return sorted(path for path in causes.glob("*.toml") if not path.name.startswith("."))


PACK_FILES = ("pack.toml", "clues.toml", "sources.toml", "caveats.toml")
# the entries of a complete knowledge base (rules/ or an edited copy of it) besides causes/
KB_ENTRIES = ("knowledge_base.toml", "clues.toml", "sources.toml", "caveats.toml", "imaging.toml", "grading.toml",
              "labs.toml", "hpo.toml", "extended")


def pack_files(pack: Path) -> list[Path]:
    """Every entry of a pack folder and of its causes/ folder but the hidden ones: its rule files and
    anything else, which the loader reports (so a stray file added later is found even when the
    compiled knowledge base is cached: each entry counts in the cache key). A complete knowledge base's
    extended/ counts too: the loader checks that it is the shipped one, so an edit there must not be served
    the verdict cached before it."""
    entries = _listing(pack) + (_listing(pack / "causes") if (pack / "causes").is_dir() else [])
    if (pack / "extended").is_dir() and (pack / "knowledge_base.toml").is_file():
        entries += pack_files(pack / "extended")
    return entries


def _listing(folder: Path) -> list[Path]:
    return sorted(entry for entry in folder.iterdir() if not entry.name.startswith("."))


def is_knowledge_base(folder: Path) -> bool:
    """A folder in the layout of the built-in rules (with a knowledge_base.toml): a complete knowledge
    base, which replaces the built-in one rather than being laid over it."""
    try:
        return (folder / "knowledge_base.toml").is_file()
    except OSError:
        return False


def load_knowledge_base(rules_dir: Path | None = None, *, packs: Sequence[Path] = (),
                        use_cache: bool = True) -> KnowledgeBase:
    """Load, validate and compile the rule files of ``rules_dir`` (default: the built-in rules).

    The compiled result is cached on disk under a key made of the content of the files and of
    the package's code (cache.py), so a run that finds it skips TOML parsing and pydantic
    validation; any change to a file or to the code rebuilds it.
    """
    root, packs = _checked(rules_dir, packs)
    key = knowledge_key("kb", root, packs) if use_cache else None
    if key is None:
        return _build(root, packs)
    from nephrocalc.cache import cached

    return cached(key, lambda: _build(root, packs), expect=KnowledgeBase)


def knowledge_key(kind: str, root: Path | None = None, packs: Sequence[Path] = ()) -> str | None:
    """The cache key of what is compiled from these rule files (None: no cache, or a file cannot be
    read, which the loader will then report)."""
    from nephrocalc.cache import cache_dir, files_key

    if cache_dir() is None:
        return None
    root, packs = _checked(root, packs)
    own = (root,) if root != builtin_rules_dir() else ()
    if any(refused_links(folder) for folder in (*own, *packs)):  # reported by the loader; a link out is not read
        return None
    try:
        # each pack folder counts by its name too: a pack with no rule files is reported, not served from the cache
        # a complete knowledge base other than the built-in one counts by every entry too, as a pack does
        listed = pack_files(root) if root != builtin_rules_dir() else rule_files(root)
        return files_key(kind, [*listed, *(f for pack in packs for f in (pack, *pack_files(pack)))])
    except OSError:
        return None


def _checked(rules_dir: Path | None, packs: Sequence[Path]) -> tuple[Path, tuple[Path, ...]]:
    """The knowledge base folder and the packs laid over it. A --rules folder in the layout of the built-in
    rules (a knowledge_base.toml: a complete knowledge base, such as an edited copy of rules/) takes the
    built-in rules' place; only one may."""
    root = rules_dir if rules_dir is not None else builtin_rules_dir()
    resolved = tuple(Path(pack).resolve() for pack in packs)
    for pack in resolved:
        try:
            is_dir = pack.is_dir()
        except OSError as exc:
            raise RuleError(repr(str(pack)), f"cannot be read ({exc.strerror or exc})") from None
        if not is_dir:
            raise RuleError(repr(str(pack)), "not a directory: a rule pack is a folder of rule files")
        _listable(pack)
    extended = extended_rules_dir().resolve()
    for number, pack in enumerate(resolved):
        # a pack laid twice would have its causes replace themselves and be named twice in every footer: refused, as
        # the command line refuses --rules A --rules A. --extended with the extended folder (or a copy of it as
        # shipped) given as --rules too is that case, which the command line does not see
        earlier = resolved[:number]
        if extended in earlier and (pack == extended or is_shipped_extended(pack)):
            what = "the extended knowledge base" if pack == extended else "a copy of the extended knowledge base"
            raise RuleError(repr(str(packs[number])), f"is {what}, which --extended (or $NEPHROCALC_EXTENDED) loads "
                            "already; give it once")
        if pack in earlier:
            raise RuleError(repr(str(packs[number])), "given twice; give each rule pack once")
    complete = [pack for pack in resolved if is_knowledge_base(pack)]
    if complete:
        if rules_dir is not None or len(complete) > 1:
            raise RuleError(repr(str(complete[-1])), "a second complete knowledge base (a folder with a "
                            "knowledge_base.toml): only one may replace the built-in rules")
        root = complete[0]
        resolved = tuple(pack for pack in resolved if pack != root)
    elif rules_dir is not None:
        _listable(Path(rules_dir))
    return root, resolved


def _listable(folder: Path) -> None:
    """A folder of rule files whose entries (or those of its causes/) cannot be listed is reported by name, as a
    rule file that cannot be read is: not as an internal error (a pack folder of mode 000)."""
    try:
        pack_files(folder)
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else str(folder)
        raise RuleError(repr(where), f"cannot be read ({exc.strerror or exc})") from None


def refused_links(folder: Path) -> dict[Path, str]:
    """The symbolic links of a rule folder that are not read, with why: a broken one, and one out of the folder (a
    pack is what its folder holds, and a link to a file elsewhere would have its values read, and echoed in the
    messages about them). The loader reports each with the folder's other problems, not in their place."""
    refused: dict[Path, str] = {}
    try:
        entries = pack_files(folder)
        inside = folder.resolve()
    except OSError:  # an unlistable folder: reported by _listable, or by the loader as unreadable
        return refused
    for entry in entries:
        try:
            target = entry.resolve()
            if entry.is_symlink() and not target.exists():
                refused[entry] = "broken symbolic link (its target does not exist): remove it, or copy the file into " \
                                 "the pack"
            elif not target.is_relative_to(inside):
                refused[entry] = "a symbolic link out of the pack folder: copy the file or folder into the pack " \
                                 "instead"
        except (OSError, RuntimeError):  # a symlink loop (RuntimeError in Python 3.11): reported as unreadable
            continue
    return refused


def _build(root: Path, packs: Sequence[Path]) -> KnowledgeBase:
    from nephrocalc.loader.compile import build

    return build(root, packs)
