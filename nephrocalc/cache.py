"""A small on-disk cache of what is costly to build and the same on every run.

Loading the knowledge base means parsing 17 TOML files and validating them with pydantic (about
0.2 s); building the case validator means importing pydantic's model machinery. Both are pure
functions of files, so their results are pickled under a key made of the files' paths, sizes and
modification times (as Python does for its own bytecode) and the versions of Python, nephrocalc
and pydantic-core. Editing a rule file changes the key.

Location: $NEPHROCALC_CACHE_DIR, else $XDG_CACHE_HOME/nephrocalc, else ~/.cache/nephrocalc.
NEPHROCALC_NO_CACHE=1 turns it off. Any failure to read or write the cache is ignored: the
cache only ever saves time, it never changes a result.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from nephrocalc import __version__

T = TypeVar("T")


def cache_dir() -> Path | None:
    if os.environ.get("NEPHROCALC_NO_CACHE"):
        return None
    explicit = os.environ.get("NEPHROCALC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nephrocalc"


def files_key(kind: str, paths: Iterable[Path]) -> str:
    """A cache key for what is built from ``paths``: their names, sizes and modification times.

    zlib's CRC-32 rather than hashlib: this is a change detector, not a security boundary, and
    hashlib's OpenSSL import alone would cost more start-up than the rest of the key.
    """
    import zlib

    import pydantic_core

    text = "\0".join([kind, __version__, sys.version, pydantic_core.__version__])
    for path in paths:
        stat = path.stat()
        text += f"\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}"
    data = text.encode()
    return f"{kind}-{zlib.crc32(data):08x}{zlib.adler32(data):08x}-{len(data)}"


KEEP = 8  # cached values of one kind kept (e.g. the built-in rules with and without a pack)


def _prune(directory: Path, kind: str) -> None:
    """Remove all but the KEEP newest values of a kind: older rule files or versions."""
    entries = sorted(directory.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[KEEP:]:
        stale.unlink(missing_ok=True)


def cached(key: str, build: Callable[[], T]) -> T:
    """Return the cached value for ``key``, or build it, store it and return it."""
    directory = cache_dir()
    if directory is None:
        return build()
    path = directory / f"{key}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)  # type: ignore[no-any-return]
    except Exception:  # missing, truncated, or written by an incompatible version: rebuild
        pass
    value = build()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        _prune(directory, key.split("-", 1)[0])
    except Exception:  # read-only home, full disk...: run without the cache
        pass
    return value
