"""One writer per store: an exclusive advisory lock held for a whole prepare or import.

Two `prepare` runs into one `--out` used to interleave and publish recordings
without their arrays. The lock is a `flock` on a small file beside the store
(`.<name>.lock`, so `--overwrite` can delete the store without dropping it), holding
the holder's pid for the refusal message. The kernel releases a `flock` when its
holder dies, so a lock file left by a killed run is simply taken over. Stores on
fsspec URLs are not locked (object stores have no such primitive).
"""

from __future__ import annotations

import os
from pathlib import Path

from neurokit.core.errors import DataError


def lock_path(store: str | os.PathLike) -> Path:
    """The lock file of a local store: `<parent>/.<name>.lock`."""
    path = Path(store).absolute()
    return path.parent / f".{path.name}.lock"


class StoreLock:
    """Context manager: exclusive, non-blocking lock on a local store, or a DataError."""

    def __init__(self, store: str | os.PathLike, action: str = "write"):
        self.store = str(store)
        self.action = action
        self.path = lock_path(store)
        self._fd: int | None = None

    def acquire(self) -> StoreLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, no protection
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_pid(fd)
                os.close(fd)
                who = f" by process {holder}" if holder else ""
                raise DataError(
                    f"{self.store}: locked{who}, which is writing to this store; wait for it to "
                    f"finish (or stop it) before you {self.action} here"
                ) from None
            # the previous holder may have unlinked the file between our open and flock
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            self.path.unlink(missing_ok=True)  # unlink while still holding it: no window
        finally:
            os.close(fd)

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


def store_lock(store: str | os.PathLike, action: str = "write") -> StoreLock:
    """A StoreLock for a local store; a no-op lock for fsspec URLs."""
    from neurokit.core.data.location import is_url, local_path

    if is_url(store):
        return _NoLock()  # type: ignore[return-value]
    return StoreLock(local_path(store), action)


class _NoLock:
    def __enter__(self) -> _NoLock:
        return self

    def __exit__(self, *exc) -> None:
        return None
