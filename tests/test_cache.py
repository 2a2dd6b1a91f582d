"""The on-disk cache (nephrocalc/cache.py): content keys, the trust checks, self-healing, atomic writes.

Every test caches into its own directory under tmp_path (the ``home`` fixture); none touches the
user's cache.
"""

from __future__ import annotations

import errno
import os
import pickle
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nephrocalc
from nephrocalc import cache

POSIX_OWNERS = pytest.mark.skipif(not hasattr(os, "getuid"), reason="no POSIX owners and modes")
KEY = "kind-" + "0123456789abcdef" * 2


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, not yet created cache directory for this test only."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("NEPHROCALC_CACHE_DIR", str(directory))
    for name in ("NEPHROCALC_NO_CACHE", "NEPHROCALC_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cache, "_said", False)
    return directory


class Builder:
    """A build function that counts its calls."""

    def __init__(self, value: Any = None) -> None:
        self.value = {"answer": 42} if value is None else value
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.value


class Payload:
    """Unpickling this runs code: it writes ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (f"__import__('pathlib').Path({str(self.marker)!r}).write_text('ran')",))


def plant(path: Path, marker: Path, key: str = KEY, mode: int = 0o600) -> bytes:
    """A well-formed cache file whose unpickling writes ``marker``; returns its bytes."""
    data = pickle.dumps((cache.FORMAT_TAG, key, Payload(marker)))
    path.write_bytes(data)
    path.chmod(mode)
    return data


def names(directory: Path) -> list[str]:
    return sorted(entry.name for entry in directory.iterdir())


def cached_dict(build: Builder, key: str = KEY) -> Any:
    return cache.cached(key, build, expect=dict)


# --- hits and keys --------------------------------------------------------------------------------


def test_hit_returns_the_stored_value_without_building(home: Path) -> None:
    build = Builder()
    assert cached_dict(build) == {"answer": 42}
    assert cached_dict(build) == {"answer": 42}
    assert cache.cached(KEY, build, expect=(list, dict)) == {"answer": 42}
    assert build.calls == 1
    assert names(home) == [f"{KEY}.pickle"]


def test_a_build_error_propagates_and_nothing_is_stored(home: Path) -> None:
    def fail() -> dict[str, int]:
        raise ValueError("bad rule file")

    with pytest.raises(ValueError, match="bad rule file"):
        cache.cached(KEY, fail, expect=dict)
    assert not home.exists() or names(home) == []


def test_a_built_value_of_the_wrong_type_is_returned_but_not_stored(home: Path) -> None:
    build = Builder(["not", "a", "dict"])
    assert cached_dict(build) == ["not", "a", "dict"]
    assert cached_dict(build) == ["not", "a", "dict"]
    assert build.calls == 2
    assert names(home) == []


def test_a_content_edit_that_keeps_size_and_mtime_changes_the_key(home: Path, tmp_path: Path) -> None:
    rule = tmp_path / "cause.toml"
    rule.write_text("prior = 0.25\n")
    before = rule.stat()
    key = cache.files_key("kb", [rule])
    rule.write_text("prior = 0.75\n")
    os.utime(rule, ns=(before.st_atime_ns, before.st_mtime_ns))  # as rsync -a or unzip leave it
    after = rule.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert cache.files_key("kb", [rule]) != key


def test_the_key_covers_kind_names_and_versions_and_a_directory_counts_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = tmp_path / "a.toml"
    rule.write_text("x = 1\n")
    copy = tmp_path / "b.toml"
    copy.write_text("x = 1\n")
    key = cache.files_key("kb", [rule])
    assert key == cache.files_key("kb", [rule])  # deterministic
    assert key.startswith("kb-") and cache._key_parts(key) == ("kb", key[3:])
    assert cache.files_key("case-schema", [rule]) != key
    assert cache.files_key("kb", [copy]) != key  # values embed their paths
    assert cache.files_key("kb", [rule, copy]) != cache.files_key("kb", [copy, rule])
    assert cache.files_key("kb", [tmp_path, rule]) != key  # a rule pack is passed as its folder
    monkeypatch.setattr(nephrocalc, "__version__", "99.0")
    assert cache.files_key("kb", [rule]) != key
    with pytest.raises(OSError):  # the caller lets its loader report the missing file
        cache.files_key("kb", [tmp_path / "missing.toml"])


def test_the_code_fingerprint_is_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = tmp_path / "a.toml"
    rule.write_text("x = 1\n")
    assert cache._code_fingerprint() is cache._code_fingerprint()  # computed once per process
    key = cache.files_key("kb", [rule])
    monkeypatch.setattr(cache, "_code_memo", b"another version of nephrocalc's code")
    assert cache.files_key("kb", [rule]) != key


def test_the_code_fingerprint_covers_every_module_of_subpackages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pkg"
    (package / "loader" / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    module = package / "loader" / "compile.py"
    module.write_text("DERIVE_ABSENT = True\n")
    (package / "loader" / "__pycache__" / "stale.py").write_text("ignored")
    (package / "notes.txt").write_text("not code")
    monkeypatch.setattr(nephrocalc, "__file__", str(package / "__init__.py"))

    def fingerprint() -> bytes:
        monkeypatch.setattr(cache, "_code_memo", None)
        return cache._code_fingerprint()

    first = fingerprint()
    assert fingerprint() == first
    (package / "notes.txt").write_text("still not code")
    (package / "loader" / "__pycache__" / "stale.py").write_text("still ignored")
    assert fingerprint() == first
    stamp = module.stat()
    module.write_text("DERIVE_ABSENT = Fals\n")  # same size, same mtime
    os.utime(module, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert fingerprint() != first


# --- self-healing -----------------------------------------------------------------------------------


def _truncated() -> bytes:
    return pickle.dumps((cache.FORMAT_TAG, KEY, {"answer": list(range(100))}))[:40]


BAD_FILES: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "truncated": _truncated,
    "zero-filled": lambda: bytes(4096),
    "garbage": lambda: b"\x80\x05garbage that is no pickle at all",
    "wrong type": lambda: pickle.dumps((cache.FORMAT_TAG, KEY, ["a", "list"])),
    "bare value": lambda: pickle.dumps({"x": 1}),
    "other key": lambda: pickle.dumps((cache.FORMAT_TAG, "kind-" + "f" * 32, {"x": 1})),
    "other format": lambda: pickle.dumps(("nephrocalc-cache-0", KEY, {"x": 1})),
    "missing class": lambda: b"cnephrocalc\nGone\n.",  # a class that no longer exists
}


@pytest.mark.parametrize("bad", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_is_rebuilt_once_then_hit(home: Path, bad: str) -> None:
    home.mkdir(mode=0o700)
    path = home / f"{KEY}.pickle"
    path.write_bytes(BAD_FILES[bad]())
    path.chmod(0o600)
    build = Builder()
    assert cached_dict(build) == {"answer": 42}
    assert cached_dict(build) == {"answer": 42}
    assert cached_dict(build) == {"answer": 42}
    assert build.calls == 1
    assert names(home) == [f"{KEY}.pickle"]


# --- the trust checks -------------------------------------------------------------------------------


def test_the_payload_does_run_from_a_trusted_file(home: Path, tmp_path: Path) -> None:
    """The control for the tests below: their planted file would run code if it were unpickled."""
    home.mkdir(mode=0o700)
    marker = tmp_path / "marker"
    plant(home / f"{KEY}.pickle", marker)
    assert cached_dict(Builder()) == {"answer": 42}  # unpickled (None is not a dict): rebuilt
    assert marker.read_text() == "ran"


@POSIX_OWNERS
@pytest.mark.parametrize(("dir_mode", "file_mode"), [(0o777, 0o600), (0o1777, 0o600), (0o770, 0o600),
                                                     (0o700, 0o666), (0o700, 0o620), (0o755, 0o602)])
def test_a_pickle_that_others_could_write_is_never_unpickled(
    home: Path, tmp_path: Path, dir_mode: int, file_mode: int
) -> None:
    home.mkdir()
    home.chmod(dir_mode)
    marker = tmp_path / "marker"
    path = home / f"{KEY}.pickle"
    planted = plant(path, marker, mode=file_mode)
    build = Builder()
    assert cached_dict(build) == {"answer": 42}
    assert not marker.exists()
    if dir_mode & 0o022:  # an untrusted directory: not used at all
        assert path.read_bytes() == planted
        assert cached_dict(build) == {"answer": 42}
        assert build.calls == 2
    else:  # our own file, but writable by others: deleted, and replaced by a good value
        assert cached_dict(build) == {"answer": 42}
        assert build.calls == 1
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not marker.exists()


@POSIX_OWNERS
def test_a_directory_owned_by_another_user_is_never_used(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home.mkdir(mode=0o700)
    marker = tmp_path / "marker"
    path = home / f"{KEY}.pickle"
    planted = plant(path, marker)
    uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: uid + 1)
    build = Builder()
    assert cached_dict(build) == {"answer": 42}
    assert cached_dict(build) == {"answer": 42}
    assert build.calls == 2
    assert not marker.exists()
    assert names(home) == [path.name]
    assert path.read_bytes() == planted  # neither unlinked nor replaced


@POSIX_OWNERS
def test_a_file_owned_by_another_user_is_never_unpickled_nor_removed(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home.mkdir(mode=0o700)
    marker = tmp_path / "marker"
    path = home / f"{KEY}.pickle"
    planted = plant(path, marker)
    uid, real_fstat, real_stat = os.getuid(), os.fstat, os.stat

    def foreign(st: os.stat_result) -> os.stat_result:
        if not stat.S_ISREG(st.st_mode):
            return st
        fields = list(st[:10])
        fields[4] = uid + 1  # st_uid
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", lambda fd: foreign(real_fstat(fd)))
    monkeypatch.setattr(os, "stat", lambda *args, **kwargs: foreign(real_stat(*args, **kwargs)))
    build = Builder()
    assert cached_dict(build) == {"answer": 42}
    assert not marker.exists()
    assert path.read_bytes() == planted


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="no O_NOFOLLOW")
def test_a_symlinked_cache_file_is_not_followed(home: Path, tmp_path: Path) -> None:
    home.mkdir(mode=0o700)
    marker = tmp_path / "marker"
    target = tmp_path / "elsewhere.pickle"
    planted = plant(target, marker)
    link = home / f"{KEY}.pickle"
    link.symlink_to(target)
    build = Builder()
    assert cached_dict(build) == {"answer": 42}
    assert not marker.exists()
    assert target.read_bytes() == planted
    assert not link.is_symlink()  # our own link: replaced by a real value
    assert cached_dict(build) == {"answer": 42}
    assert build.calls == 1


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_value_that_is_not_a_regular_file_is_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    monkeypatch.setenv("NEPHROCALC_DEBUG", "1")
    home.mkdir(mode=0o700)
    path = home / f"{KEY}.pickle"
    if kind == "directory":
        path.mkdir()
    elif hasattr(os, "mkfifo"):
        os.mkfifo(path, 0o600)  # opening it for reading would block: it must not hang
    else:
        pytest.skip("no FIFOs")
    build = Builder()
    assert cached_dict(build) == {"answer": 42}
    assert cached_dict(build) == {"answer": 42}
    if os.name != "nt":  # (Windows cannot even open a directory)
        assert "not a regular file" in capsys.readouterr().err  # refused before any read
    if kind == "directory":  # cannot be unlinked: never replaced
        assert build.calls == 2
        assert path.is_dir()
    else:  # ours: removed and replaced by a value
        assert build.calls == 1
        assert path.is_file()


@POSIX_OWNERS
def test_the_directory_is_created_0700_and_files_0600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "a" / "b" / "cache"
    monkeypatch.setenv("NEPHROCALC_CACHE_DIR", str(directory))
    monkeypatch.delenv("NEPHROCALC_NO_CACHE", raising=False)
    old = os.umask(0)  # the modes must not depend on the umask
    try:
        cached_dict(Builder())
    finally:
        os.umask(old)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / f"{KEY}.pickle").stat().st_mode) == 0o600


def test_unsafe_keys_are_not_used_as_file_names(home: Path) -> None:
    build = Builder()
    for key in ("../escape", "a/b", ".hidden", ""):
        assert cached_dict(build, key) == {"answer": 42}
    assert build.calls == 4
    assert not home.exists()


# --- writes and pruning ----------------------------------------------------------------------------


def _fail_dump(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("target", ["pickle.dump", "os.replace", "unpicklable"])
def test_a_failed_write_leaves_no_temporary_file(home: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    build = Builder()
    if target == "pickle.dump":
        monkeypatch.setattr(cache, "_pickle_dump", _fail_dump)
    elif target == "os.replace":
        monkeypatch.setattr(os, "replace", _fail_dump)
    else:
        build = Builder({"build": lambda: None})  # a lambda cannot be pickled
    value = cached_dict(build)
    assert value is build.value
    assert names(home) == []


def test_a_bad_file_is_removed_even_when_the_new_value_cannot_be_written(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home.mkdir(mode=0o700)
    path = home / f"{KEY}.pickle"
    path.write_bytes(pickle.dumps({"x": 1}))
    path.chmod(0o600)
    monkeypatch.setattr(cache, "_pickle_dump", _fail_dump)
    assert cached_dict(Builder()) == {"answer": 42}
    assert names(home) == []


def test_stale_temporary_files_are_pruned_and_fresh_ones_kept(home: Path) -> None:
    home.mkdir(mode=0o700)
    old, fresh = home / f"{KEY}.123-dead.tmp", home / f"{KEY}.456-beef.tmp"
    old.write_bytes(b"left by a killed run")
    fresh.write_bytes(b"being written by a concurrent run")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    cached_dict(Builder())
    assert names(home) == sorted([f"{KEY}.pickle", fresh.name])


def test_only_the_newest_values_of_a_kind_are_kept(home: Path) -> None:
    home.mkdir(mode=0o700)
    other_kind = home / f"case-schema-{'a' * 32}.pickle"
    other_kind.write_bytes(b"")
    legacy = home / "kb-457bf487a2e0b504-1434.pickle"  # the mtime-keyed format: never read again
    legacy.write_bytes(b"")
    keys = [f"kb-{n:032x}" for n in range(cache.KEEP + 3)]
    base = time.time() - 1000
    for age, key in enumerate(keys):
        cached_dict(Builder(), key)
        os.utime(home / f"{key}.pickle", (base + age, base + age))
    kept = [name for name in names(home) if name.startswith("kb-")]
    # each store prunes: the newest value just written and the KEEP - 1 newest before it
    assert kept == sorted(f"{key}.pickle" for key in keys[-cache.KEEP :])
    assert other_kind.exists()
    assert not legacy.exists()


# --- when there is no usable cache -----------------------------------------------------------------


def _readonly_fs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every file creation fail as on a read-only file system (root ignores chmod)."""
    real_open = os.open

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


def test_a_read_only_cache_still_returns_values_and_reads_what_is_there(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home.mkdir(mode=0o700)
    monkeypatch.setenv("NEPHROCALC_DEBUG", "1")
    cached_dict(Builder(), "kind-" + "1" * 32)  # stored before the file system turned read-only
    _readonly_fs(monkeypatch)
    build = Builder()
    assert cached_dict(build) == {"answer": 42}
    assert cached_dict(build) == {"answer": 42}
    assert build.calls == 2
    assert cached_dict(build, "kind-" + "1" * 32) == {"answer": 42}
    assert build.calls == 2
    assert names(home) == [f"kind-{'1' * 32}.pickle"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cache not used" in err and "Read-only file system" in err


@POSIX_OWNERS
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores permissions")
def test_a_directory_without_write_permission(home: Path) -> None:
    home.mkdir(mode=0o500)
    try:
        build = Builder()
        assert cached_dict(build) == {"answer": 42}
        assert cached_dict(build) == {"answer": 42}
        assert build.calls == 2
    finally:
        home.chmod(0o700)


@pytest.mark.parametrize("where", ["a file", "below a file", "/dev/null"])
def test_a_cache_dir_that_is_not_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    path = {"a file": str(blocker), "below a file": str(blocker / "cache"), "/dev/null": os.devnull}[where]
    if where == "/dev/null" and not os.path.exists(os.devnull):
        pytest.skip("no /dev/null")
    monkeypatch.setenv("NEPHROCALC_CACHE_DIR", path)
    monkeypatch.setattr(cache, "_said", False)
    build = Builder()
    assert cached_dict(build) == {"answer": 42}
    assert cached_dict(build) == {"answer": 42}
    assert build.calls == 2
    assert blocker.read_text() == "a file"
    assert capsys.readouterr().err == ""  # silent unless NEPHROCALC_DEBUG


@pytest.mark.parametrize("value", ["1", "true", "YES", "On", " on ", "unexpected"])
def test_no_cache_values_that_turn_it_off(home: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("NEPHROCALC_NO_CACHE", value)
    assert cache.cache_dir() is None
    build = Builder()
    cached_dict(build)
    cached_dict(build)
    assert build.calls == 2
    assert not home.exists()


@pytest.mark.parametrize("value", ["0", "false", "No", "OFF", ""])
def test_no_cache_values_that_leave_it_on(home: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("NEPHROCALC_NO_CACHE", value)
    assert cache.cache_dir() == home
    build = Builder()
    cached_dict(build)
    cached_dict(build)
    assert build.calls == 1


def test_a_relative_cache_dir_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEPHROCALC_CACHE_DIR", "relative-cache")
    monkeypatch.delenv("NEPHROCALC_NO_CACHE", raising=False)
    assert cache.cache_dir() is None
    assert cached_dict(Builder()) == {"answer": 42}
    assert list(tmp_path.iterdir()) == []


def test_the_default_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cache_dir() only computes the place; nothing is created."""
    monkeypatch.delenv("NEPHROCALC_CACHE_DIR", raising=False)
    monkeypatch.delenv("NEPHROCALC_NO_CACHE", raising=False)
    (tmp_path / "home").mkdir()  # a home that exists (one that does not turns the cache off)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "nephrocalc"
    for xdg in ("", "relative/xdg"):
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        assert cache.cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "nephrocalc"
    monkeypatch.setenv("NEPHROCALC_CACHE_DIR", "")
    assert cache.cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "nephrocalc"
    assert list(tmp_path.iterdir()) == [tmp_path / "home"] and list((tmp_path / "home").iterdir()) == []


def test_debug_says_once_why_the_cache_was_not_used(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEPHROCALC_NO_CACHE", "1")
    cached_dict(Builder())
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("NEPHROCALC_DEBUG", "1")
    cached_dict(Builder())
    cached_dict(Builder())
    assert capsys.readouterr().err == "nephrocalc: cache not used: NEPHROCALC_NO_CACHE='1'\n"


# --- concurrency ------------------------------------------------------------------------------------

CHILD = """
import sys, time
from nephrocalc import cache
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
value = cache.cached(sys.argv[2], lambda: {"n": list(range(20000))}, expect=dict)
print(value == {"n": list(range(20000))})
"""


@pytest.mark.process
def test_concurrent_runs_all_get_the_value_and_leave_no_temporary_files(home: Path) -> None:
    env = dict(os.environ)
    package_root = str(Path(nephrocalc.__file__).parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
    start = time.time() + 0.4  # all eight race from the same moment
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(start), KEY], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    results = [child.communicate(timeout=30) for child in children]
    assert [(child.returncode, out, err) for child, (out, err) in zip(children, results, strict=True)] == [
        (0, "True\n", "")
    ] * 8
    assert names(home) == [f"{KEY}.pickle"]
    assert cached_dict(Builder()) == {"n": list(range(20000))}


def test_the_key_names_pydantic_core_version_without_importing_it() -> None:
    """The table path never needs pydantic-core: the cache key reads its version from the installed
    distribution, and it must be the same version the module reports (so both paths share a key)."""
    import subprocess
    import sys

    code = ("import sys; from nephrocalc import cache; v = cache._pydantic_core_version(); "
            "assert 'pydantic_core' not in sys.modules, 'imported'; import pydantic_core; "
            "assert v == pydantic_core.__version__, (v, pydantic_core.__version__); print(v)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
