"""A small on-disk cache of what is costly to build and the same on every run.

Loading the knowledge base means parsing 17 TOML files and validating them with pydantic (about
0.2 s); building the case validator means importing pydantic's model machinery. Both are pure
functions of files and of nephrocalc's own code, so their results are pickled.

The key is made of CONTENT, never of modification times or sizes (an edit that keeps both, as
``rsync -a``, ``unzip`` or a fixed-mtime tarball leave it, must still be seen; PEP 552 made the
same move for ``.pyc`` files). It is a BLAKE2b digest, over in order: the kind of value, the
versions of nephrocalc, Python and pydantic-core, the name and the bytes of every file the value is
built from, and a fingerprint of the code: the relative name and the bytes of every ``*.py`` file
of the installed ``nephrocalc`` package, subpackages included (computed once per process). Editing a
rule file or any of nephrocalc's modules changes the key.

Trust model, as ssh has for ``~/.ssh``: unpickling runs code, so a pickle is only ever read from a
file that this user owns and only this user can write, in a directory that this user owns and only
this user can write. The directory is created with mode 0700 and values with mode 0600. An existing
directory or file that fails these checks (another owner, group- or world-writable, not a directory
or not a regular file, a symlink in place of a value) is never unpickled: the value is built
without the cache, and a refused file that we do not own is left alone. On Windows, which has no
POSIX owner or mode bits, only the symlink and file-type checks apply.

Each value is stored as ``(FORMAT_TAG, key, value)`` and checked on load (tag, key and the type the
caller expects); a file that fails, or cannot be unpickled at all (truncated, zero-filled, written
by another version), is deleted and rebuilt: a bad file costs one slow run, never an error. Writes
go to a fresh temporary file in the same directory and are renamed into place, so concurrent runs
never see a partial file; leftover ``*.tmp`` files older than an hour and all but the KEEP newest
values of a kind are pruned.

Location: $NEPHROCALC_CACHE_DIR (an absolute path; a relative one turns the cache off), else
$XDG_CACHE_HOME/nephrocalc, else ~/.cache/nephrocalc. NEPHROCALC_NO_CACHE=1 (or true, yes, y, on)
turns it off; 0, false, no, n, off or empty leave it on; another value turns it off too, and the command
line says so (``misconfigured``). Any failure to read or write the cache (a
read-only or full disk, a cache "directory" that is a file) is ignored: the cache only ever saves
time, it never changes a result. With NEPHROCALC_DEBUG set, the first reason the cache was not used
is said in one line on stderr.
"""

from __future__ import annotations

import errno
import gc
import os
import stat
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import nephrocalc

try:  # the C pickler directly: importing the pickle module costs three times as much start-up
    from _pickle import dump as _pickle_dump
    from _pickle import load as _pickle_load
except ImportError:  # pragma: no cover - CPython always has it
    from pickle import dump as _pickle_dump
    from pickle import load as _pickle_load

PICKLE_PROTOCOL = 5

T = TypeVar("T")

FORMAT_TAG = "nephrocalc-cache-2"  # change when the layout of a stored file changes
KEEP = 8  # cached values of one kind kept (e.g. the built-in rules with and without a pack)
TMP_MAX_AGE = 3600.0  # seconds after which a temporary file is taken for a crashed writer's
_DIGEST_SIZE = 16  # bytes: 32 hex digits in the key

_TRUE = frozenset({"1", "true", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "no", "n", "off", ""})

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO in place of a value must not hang the open
# POSIX: open the directory once, check it, and reach its entries through that descriptor, so it
# cannot be swapped for another between the check and the use. Windows cannot open a directory.
_USE_DIR_FD = (
    {os.open, os.stat, os.unlink, os.rename} <= os.supports_dir_fd and os.scandir in os.supports_fd
)

_code_memo: bytes | None = None  # the fingerprint of nephrocalc's own code, once per process
_said = False  # whether the reason the cache was not used has been said (NEPHROCALC_DEBUG)


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...
    def digest(self) -> bytes: ...


def _hasher() -> _Hash:
    # _blake2 itself: hashlib would also load OpenSSL, which costs ~3.5 ms of start-up; _blake2 ~0.3 ms
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - an interpreter without the C module
        from hashlib import blake2b
    return blake2b(digest_size=_DIGEST_SIZE)


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file (os.read: a third cheaper than open().read() for ~40 small files)."""
    # non-blocking open: a named pipe among the rule files must be refused, not wait for a writer
    fd = os.open(path, os.O_RDONLY | _BINARY | _CLOEXEC | _NONBLOCK)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        want = info.st_size + 1
        parts = []
        while chunk := os.read(fd, want):  # IsADirectoryError for a directory
            parts.append(chunk)
            want = 1 << 16
        return b"".join(parts)
    finally:
        os.close(fd)


def _feed(digest: _Hash, data: bytes) -> None:
    """Add ``data`` with its length, so that no two sequences of parts hash alike."""
    digest.update(len(data).to_bytes(8, "little"))
    digest.update(data)


# --- location ---------------------------------------------------------------------------------


def _locate() -> tuple[Path | None, str]:
    """The cache directory, or None and why there is none."""
    flag = os.environ.get("NEPHROCALC_NO_CACHE", "").strip().lower()
    if flag not in _FALSE:
        # an unknown value also turns it off: that is the side where nothing can go wrong
        return None, f"NEPHROCALC_NO_CACHE={os.environ.get('NEPHROCALC_NO_CACHE')!r}"
    explicit = os.environ.get("NEPHROCALC_CACHE_DIR")
    if explicit:
        if not os.path.isabs(explicit):
            return None, f"NEPHROCALC_CACHE_DIR={explicit!r} is not an absolute path"
        return Path(explicit), ""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset, empty or relative: the XDG spec says to ignore it
        home = os.path.expanduser("~")
        if not os.path.isabs(home) or home == os.path.sep or not os.path.isdir(home):
            # a HOME that is missing (or the root): the cache would create /nonexistent/.cache or /.cache
            return None, "no home directory"
        base = os.path.join(home, ".cache")
    return Path(base) / "nephrocalc", ""


def misconfigured() -> str | None:
    """Why the cache is off when the environment asks for something it cannot mean (a setting that is neither
    on nor off, a cache directory that is relative or a file), or None: said once by the command line, as an
    unknown NEPHROCALC_EXTENDED is, rather than leaving every run slower without a word."""
    flag = os.environ.get("NEPHROCALC_NO_CACHE", "").strip().lower()
    if flag not in _FALSE | _TRUE:
        return (f"NEPHROCALC_NO_CACHE={os.environ.get('NEPHROCALC_NO_CACHE', '')[:40]!r} is neither on (1, true, "
                "yes, on) nor off (0, false, no, off): the cache is off")
    explicit = os.environ.get("NEPHROCALC_CACHE_DIR")
    if flag in _TRUE or not explicit:
        return None
    if not os.path.isabs(explicit):
        return f"NEPHROCALC_CACHE_DIR={explicit[:80]!r} is not an absolute path: the cache is off"
    if os.path.exists(explicit) and not os.path.isdir(explicit):
        return f"NEPHROCALC_CACHE_DIR={explicit[:80]!r} is not a directory: the cache is off"
    return None


def cache_dir() -> Path | None:
    """Where values are cached, or None when the cache is off."""
    return _locate()[0]


# --- key --------------------------------------------------------------------------------------


def _code_fingerprint() -> bytes:
    """A digest of every ``*.py`` file of the installed nephrocalc package, by relative name."""
    global _code_memo
    if _code_memo is None:
        digest = _hasher()
        try:
            root = Path(nephrocalc.__file__).parent
            sources = []
            for folder, dirs, files in os.walk(root):
                # the wheel's rule files (nephrocalc/rules) are keyed by the caller, by content
                dirs[:] = [name for name in dirs if name not in ("__pycache__", "rules")]
                sources += [os.path.join(folder, name) for name in files if name.endswith(".py")]
            named = sorted((path[len(str(root)) + 1 :].replace(os.sep, "/"), path) for path in sources)
            for name, path in named:
                _feed(digest, name.encode())
                _feed(digest, _read_bytes(path))
            if not named:
                raise OSError("no source files")  # e.g. run from a zip: code changes would go unseen
        except OSError:
            # a key that matches nothing stored: uncached, never stale
            _feed(digest, os.urandom(_DIGEST_SIZE))
        _code_memo = digest.digest()
    return _code_memo


_pydantic_core_memo: str | None = None


def _pydantic_core_version() -> str:
    """pydantic-core's version without importing it (about 15 ms that a command using no pydantic
    would otherwise pay): its installed distribution's directory name, else the imported module's."""
    global _pydantic_core_memo
    if _pydantic_core_memo is None:
        loaded = sys.modules.get("pydantic_core")
        if loaded is not None:
            _pydantic_core_memo = str(loaded.__version__)
        else:
            from importlib.util import find_spec

            found = ""
            spec = find_spec("pydantic_core")
            if spec is not None and spec.origin:
                site = os.path.dirname(os.path.dirname(spec.origin))
                try:
                    found = next((name[len("pydantic_core-"):-len(".dist-info")] for name in sorted(os.listdir(site))
                                  if name.startswith("pydantic_core-") and name.endswith(".dist-info")), "")
                except OSError:
                    found = ""
            if not found:
                import pydantic_core

                found = str(pydantic_core.__version__)
            _pydantic_core_memo = found
    return _pydantic_core_memo


def files_key(kind: str, paths: Iterable[Path]) -> str:
    """A cache key for a value of ``kind`` built from ``paths``: made of their names and CONTENT.

    It also covers the versions of nephrocalc, Python and pydantic-core and nephrocalc's own code
    (see the module docstring). A directory among ``paths`` counts by its name only. Raises
    OSError if a file cannot be read, so that the caller can let its loader report it.
    """
    digest = _hasher()
    for part in (FORMAT_TAG, kind, nephrocalc.__version__, sys.version, _pydantic_core_version()):
        _feed(digest, part.encode())
    _feed(digest, _code_fingerprint())
    for path in paths:
        _feed(digest, os.fsencode(path))
        try:
            data = _read_bytes(path)
        except (IsADirectoryError, PermissionError):
            if not os.path.isdir(path):  # Windows says PermissionError for a directory
                raise
            _feed(digest, b"<directory>")
        else:
            _feed(digest, b"<file>")
            _feed(digest, data)
    return f"{kind}-{digest.hexdigest()}"


def _key_parts(stem: str) -> tuple[str, str] | None:
    """(kind, digest) of a key made by files_key, else None."""
    kind, _, digest = stem.rpartition("-")
    if not kind or len(digest) != 2 * _DIGEST_SIZE or digest.strip("0123456789abcdef"):
        return None
    return kind, digest


def _is_safe_name(key: str) -> bool:
    return bool(key) and key.isascii() and not key.startswith(".") and all(c.isalnum() or c in "-_." for c in key)


# --- the directory and its checks --------------------------------------------------------------


class _Refused(Exception):
    """The directory or a file fails the trust checks."""


def _untrusted(st: os.stat_result, *, directory: bool) -> str:
    """Why a directory or a value file with this status may not be trusted, or ''."""
    if directory and not stat.S_ISDIR(st.st_mode):
        return "not a directory"
    if not directory and not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if hasattr(os, "getuid"):  # POSIX; Windows has neither owners nor mode bits of this kind
        uid = os.getuid()
        if st.st_uid != uid:
            return f"owned by uid {st.st_uid}, not by uid {uid}"
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return f"writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
    return ""


def _ours(st: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


class _Dir:
    """The checked cache directory: its path and, on POSIX, an open descriptor of it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None
        if _USE_DIR_FD:
            flags = os.O_RDONLY | _DIRECTORY | _CLOEXEC
            try:
                self.fd = os.open(path, flags)
            except FileNotFoundError:
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
                self.fd = os.open(path, flags)
            try:
                why = _untrusted(os.fstat(self.fd), directory=True)
            except OSError:
                self.close()
                raise
        else:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            why = _untrusted(os.stat(path), directory=True)
        if why:
            self.close()
            raise _Refused(f"{path}: {why}")

    def at(self, name: str) -> str:
        """What to pass, with ``dir_fd=self.fd``, to reach the entry ``name``."""
        return name if self.fd is not None else os.path.join(self.path, name)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def lstat(self, name: str) -> os.stat_result:
        return os.stat(self.at(name), dir_fd=self.fd, follow_symlinks=False)

    def unlink(self, name: str) -> bool:
        try:
            os.unlink(self.at(name), dir_fd=self.fd)
        except OSError:
            return False
        return True


# --- cached -------------------------------------------------------------------------------------


def _say(reason: str) -> None:
    """Say, once per process and only under NEPHROCALC_DEBUG, why the cache was not used."""
    global _said
    if _said or not os.environ.get("NEPHROCALC_DEBUG"):
        return
    _said = True
    import contextlib

    with contextlib.suppress(AttributeError, OSError, ValueError):  # no usable stderr
        sys.stderr.write(f"nephrocalc: cache not used: {' '.join(reason.split())}\n")


def cached(key: str, build: Callable[[], T], expect: type | tuple[type, ...] = object) -> T:
    """Return the cached value for ``key``, or build it, store it and return it.

    ``expect`` is the type (or types) of the value: anything else found in the cache is discarded
    and rebuilt. Only an exception from ``build`` itself is ever raised.
    """
    directory, reason = _locate()
    if directory is None:
        _say(reason)
        return build()
    if not _is_safe_name(key):
        _say(f"{key!r} is not a valid cache key")
        return build()
    try:
        folder = _Dir(directory)
    except (OSError, _Refused) as exc:
        _say(f"cache directory {exc}" if isinstance(exc, _Refused) else f"cache directory {directory}: {exc}")
        return build()
    try:
        return _cached_in(folder, key, build, expect)
    finally:
        folder.close()


def _cached_in(folder: _Dir, key: str, build: Callable[[], T], expect: type | tuple[type, ...]) -> T:
    name = f"{key}.pickle"
    found, value, problem = _load(folder, name, key, expect)
    if found:
        return value  # type: ignore[no-any-return]
    store = True
    if problem:
        # refused or unusable: delete it if it is ours; leave another user's file alone, and then
        # do not replace it either
        try:
            store = _ours(folder.lstat(name)) and folder.unlink(name)
        except FileNotFoundError:
            pass  # already replaced by a concurrent run
        except OSError:
            store = False
        _say(f"{os.path.join(folder.path, name)}: {problem}")
    value = build()
    if not store:
        return value
    if not isinstance(value, expect):
        _say(f"not storing a {type(value).__name__} for {key}: not of the expected type")
        return value
    try:
        _store(folder, name, key, value)
        _prune(folder, key)
    except Exception as exc:  # read-only, full disk, unpicklable value...: run without the cache
        _say(f"cannot write {os.path.join(folder.path, name)}: {exc}")
    return value


def _load(folder: _Dir, name: str, key: str, expect: type | tuple[type, ...]) -> tuple[bool, Any, str]:
    """(True, value, '') for a valid stored value; else (False, None, why), why '' when it is absent."""
    try:
        flags = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY
        fd = os.open(folder.at(name), flags, dir_fd=folder.fd)
    except FileNotFoundError:
        return False, None, ""
    except OSError as exc:  # ELOOP: a symlink, which O_NOFOLLOW refuses to follow
        return False, None, f"cannot open ({exc.strerror or exc})"
    try:
        why = _untrusted(os.fstat(fd), directory=False)
        if why:
            return False, None, f"refused: {why}"  # never unpickled
        with os.fdopen(fd, "rb", closefd=False) as handle:
            # the collector would run many times over the objects unpickling creates, none of them garbage:
            # paused, loading the engine takes a quarter less time (a cold start's largest single cost)
            collecting = gc.isenabled()
            gc.disable()
            try:
                stored = _pickle_load(handle)
            finally:
                if collecting:
                    gc.enable()
    except Exception as exc:  # truncated, zero-filled, garbage, classes that no longer exist...
        return False, None, f"unreadable ({type(exc).__name__})"
    finally:
        os.close(fd)
    if not (isinstance(stored, tuple) and len(stored) == 3 and stored[0] == FORMAT_TAG and stored[1] == key):
        return False, None, "not a value stored by this version"
    if not isinstance(stored[2], expect):
        return False, None, f"holds a {type(stored[2]).__name__}, not the expected type"
    return True, stored[2], ""


def _store(folder: _Dir, name: str, key: str, value: object) -> None:
    """Write atomically: a fresh private temporary file in the same directory, renamed into place."""
    tmp = f"{key}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
    fd = os.open(folder.at(tmp), flags, 0o600, dir_fd=folder.fd)
    done = False
    try:
        with os.fdopen(fd, "wb") as handle:
            _pickle_dump((FORMAT_TAG, key, value), handle, protocol=PICKLE_PROTOCOL)
        os.replace(folder.at(tmp), folder.at(name), src_dir_fd=folder.fd, dst_dir_fd=folder.fd)
        done = True
    finally:
        if not done:
            folder.unlink(tmp)


def _prune(folder: _Dir, key: str) -> None:
    """Remove stale temporary files, legacy values, and all but the KEEP newest values of key's kind.

    Only files we own are removed.
    """
    parts = _key_parts(key)
    kind = parts[0] if parts else key
    now = time.time()
    values: list[tuple[int, str]] = []
    with os.scandir(folder.fd if folder.fd is not None else folder.path) as entries:
        for entry in entries:
            entry_name = entry.name
            if entry_name.endswith(".tmp"):
                st = entry.stat(follow_symlinks=False)
                if _ours(st) and now - st.st_mtime > TMP_MAX_AGE:  # left by a crashed or killed run
                    folder.unlink(entry_name)
            elif entry_name.endswith(".pickle"):
                entry_parts = _key_parts(entry_name[: -len(".pickle")])
                if entry_parts is not None and entry_parts[0] != kind:
                    continue
                st = entry.stat(follow_symlinks=False)
                if not _ours(st):
                    continue
                if entry_parts is None:  # a name from an older key format: never read again
                    folder.unlink(entry_name)
                else:
                    values.append((st.st_mtime_ns, entry_name))
    values.sort(reverse=True)
    for _, stale in values[KEEP:]:
        folder.unlink(stale)
