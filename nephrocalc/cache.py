"""A small on-disk cache of what is costly to build and the same on every run.

Loading the knowledge base means parsing 17 TOML files and validating them with pydantic (about
0.2 s); building the case validator means importing pydantic's model machinery. Both are pure
functions of files, so their results are pickled under a key made of the files' contents and
the versions of Python, nephrocalc and pydantic-core. A changed rule file changes the key.

Location: $NEPHROCALC_CACHE_DIR, else $XDG_CACHE_HOME/nephrocalc, else ~/.cache/nephrocalc.
NEPHROCALC_NO_CACHE=1 turns it off. Any failure to read or write the cache is ignored: the
cache only ever saves time, it never changes a result.
"""

from __future__ import annotations

import hashlib
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


def content_key(kind: str, contents: Iterable[bytes]) -> str:
    import pydantic_core

    digest = hashlib.blake2b(digest_size=16)
    for part in (kind, __version__, sys.version, pydantic_core.__version__):
        digest.update(part.encode() + b"\0")
    for blob in contents:
        digest.update(len(blob).to_bytes(8, "little"))
        digest.update(blob)
    return f"{kind}-{digest.hexdigest()}"


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
    except Exception:  # read-only home, full disk...: run without the cache
        pass
    return value
