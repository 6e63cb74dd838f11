"""Keeping the decoded cache under `NEUROKIT_CACHE_MAX_GB`: least-recently-used eviction.

The cache directory is shared by every run on the machine, so eviction must be safe
while other processes read and write it:

- one evictor at a time: an exclusive `flock` on `<cache_dir>/.lock` (where the
  platform has it);
- "last used" is a file's mtime, set when a process opens the file (`touch`), so
  files a run is using are the newest;
- a file is only ever unlinked, never truncated: a process that has it memmapped
  keeps reading valid data (POSIX keeps the inode until the last mapping closes),
  and one that looks it up afterwards rebuilds it (written under a temporary name
  and renamed, so nobody sees half a file);
- files this process has open are never evicted, so one run never thrashes its
  own working set; a bound smaller than a run's working set is therefore soft.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from neurokit.core.errors import ConfigError

ENV = "NEUROKIT_CACHE_MAX_GB"
STALE_TMP_SECONDS = 3600.0  # temporary files older than this are left over from a crash


def limit_bytes() -> int | None:
    """The bound from $NEUROKIT_CACHE_MAX_GB (decimal GB), or None for unbounded."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"{ENV}={raw!r}: expected a positive number of gigabytes, e.g. 50")
    return int(value * 1e9)


def touch(path: Path) -> None:
    """Mark a cache file as used now (its mtime is the LRU clock)."""
    with contextlib.suppress(OSError):
        os.utime(path)


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Exclusive lock over the cache directory (no-op where flock does not exist)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def entries(directory: Path) -> list[tuple[float, int, Path]]:
    """(last use, size, path) of every decoded file under the cache directory."""
    found = []
    for path in directory.glob("*/*.npy"):
        with contextlib.suppress(OSError):
            st = path.stat()
            found.append((st.st_mtime, st.st_size, path))
    return found


def _clear_stale_tmp(directory: Path) -> None:
    now = time.time()
    for path in directory.glob("*/.*.tmp"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > STALE_TMP_SECONDS:
                path.unlink()


def make_room(
    directory: Path,
    incoming: int,
    keep: Iterable[Path] = (),
    limit: int | None = None,
    lock: bool = True,
) -> list[Path]:
    """Evict least-recently-used files until `incoming` more bytes fit under the bound.

    Returns the evicted paths. `keep` (the files this process has open) is never evicted.
    `lock=False` when the caller already holds `locked(directory)`.
    """
    limit = limit_bytes() if limit is None else limit
    if limit is None or not directory.exists():
        return []
    keep_set = {Path(p).resolve() for p in keep}
    removed: list[Path] = []
    with locked(directory) if lock else contextlib.nullcontext():
        _clear_stale_tmp(directory)
        files = sorted(entries(directory))
        total = sum(size for _, size, _ in files)
        for _, size, path in files:
            if total + incoming <= limit:
                break
            if path.resolve() in keep_set:
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
            total -= size
    return removed
