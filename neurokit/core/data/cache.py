"""Serving windows fast: a decompressed local copy of each recording, read through numpy memmap.

Zarr stays the format of record, but decoding a chunk per random 10-s window runs
at ~1/20 of a memmap's rate (issue 3 measurements). So each recording is decoded
once into `<cache_dir>/<store-key>/<id>-<checksum>.npy` (written under a temporary
name and renamed, so concurrent workers or ranks never read a half-written file)
and windows are sliced from the memmap, as braindecode's Zarr loader does.
The key includes the recording's checksum, length and dtype, so a changed store
never serves stale data. A float16 store stays float16 in the cache (half the
disk and page cache; windows are widened to float32 when copied into a batch).
The cache is bounded by `NEUROKIT_CACHE_MAX_GB` with least-recently-used eviction
(`neurokit.core.data.cache_limit`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np

from neurokit.core.data import cache_limit
from neurokit.core.data.location import is_url, local_path
from neurokit.core.data.schema import RecordingMeta
from neurokit.core.data.store import Store
from neurokit.core.errors import DataError

CacheMode = Literal["disk", "memory", "none"]


def default_cache_dir() -> Path:
    """$NEUROKIT_CACHE_DIR, else $XDG_CACHE_HOME/neurokit, else ~/.cache/neurokit."""
    if os.environ.get("NEUROKIT_CACHE_DIR"):
        return Path(os.environ["NEUROKIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "neurokit"


def store_key(store: Store) -> str:
    location = (
        store.location if is_url(store.location) else str(local_path(store.location).resolve())
    )
    return hashlib.sha1(f"{location}|{store.schema.created}".encode()).hexdigest()[:16]


class RecordingCache:
    """Per-process access to recordings: memmapped local copies, in-memory arrays, or zarr."""

    def __init__(
        self, store: Store, mode: CacheMode = "disk", directory: str | os.PathLike | None = None
    ):
        self.store = store
        self.mode = mode
        self.directory = Path(directory) if directory else default_cache_dir()
        self._open: dict[str, np.ndarray] = {}
        self._paths: dict[str, Path] = {}
        self._pid = os.getpid()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_open"] = {}
        return state

    def path(self, meta: RecordingMeta) -> Path:
        """The decoded copy's file (memoised: called per window on the fast path)."""
        path = self._paths.get(meta.id)
        if path is None:
            if not self._paths:
                self._key = store_key(self.store)
            tag = hashlib.sha1(
                f"{meta.checksum}|{meta.n_samples}|{len(meta.channel_names)}|{self.dtype}".encode()
            ).hexdigest()[:12]
            path = self._paths[meta.id] = self.directory / self._key / f"{meta.id}-{tag}.npy"
        return path

    def get(self, rid: str) -> np.ndarray:
        """The whole recording as an array-like (memmap for `disk`), opened once per process."""
        if self._pid != os.getpid():
            self._open, self._pid = {}, os.getpid()
        array = self._open.get(rid)
        if array is None:
            array = self._load(rid)
            self._open[rid] = array
        return array

    @property
    def dtype(self) -> np.dtype:
        """What the cache holds: the store's dtype when float16/float32, else float32."""
        stored = np.dtype(self.store.schema.dtype or "float32")
        return stored if stored in (np.float16, np.float32) else np.dtype(np.float32)

    def _decode(self, rid: str) -> np.ndarray:
        """The whole recording in the cache's dtype (float16 stays float16)."""
        return np.asarray(_read_checked(self.store, rid), dtype=self.dtype)

    def window(self, rid: str, start: int, length: int) -> np.ndarray:
        """(channels, length) float32 copy of one window."""
        if self.mode == "none":
            return self.store.read(rid, start, start + length)
        return np.array(self.get(rid)[:, start : start + length], dtype=np.float32)

    def view(self, rid: str, start: int, length: int) -> np.ndarray:
        """One window without copying (a memmap/array view; collate copies it once into the batch)."""
        if self.mode == "none":
            return self.store.read(rid, start, start + length)
        return self.get(rid)[:, start : start + length]

    def _load(self, rid: str) -> np.ndarray:
        meta = self.store.recordings[rid]
        if self.mode == "memory":
            return self._decode(rid)
        if self.mode == "none":
            return self.store.array(rid)
        path = self.path(meta)
        for _ in range(3):  # another run may evict it between the check and the open
            if not path.exists():
                self._build(rid, path)
            try:
                array = np.load(path, mmap_mode="r")
            except FileNotFoundError:
                continue
            cache_limit.touch(path)
            # a plain ndarray over the mapping (it keeps the mapping alive): slicing a
            # np.memmap costs ~2x more per window in Python overhead (benchmarks/loading.py)
            return array.view(np.ndarray)
        raise DataError(
            f"the decoded cache file {path} keeps disappearing; raise {cache_limit.ENV} "
            "or point NEUROKIT_CACHE_DIR at a cache no other run evicts"
        )

    def _build(self, rid: str, path: Path) -> None:
        data = self._decode(rid)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        except OSError as exc:
            raise DataError(
                f"cannot write the decoded cache under {self.directory} ({exc.strerror}); "
                "set NEUROKIT_CACHE_DIR to a writable local disk or use cache='memory'"
            ) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                np.save(handle, data)
            self._publish(Path(tmp), path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise DataError(
                f"cannot write the decoded cache file {path} ({exc.strerror})"
            ) from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _publish(self, tmp: Path, path: Path) -> None:
        """Rename a written file into place, first evicting down to the bound (one lock for both,
        so concurrent runs never overshoot it together)."""
        if cache_limit.limit_bytes() is None:
            os.replace(tmp, path)
            return
        in_use = [self.path(self.store.recordings[r]) for r in self._open]
        with cache_limit.locked(self.directory):
            cache_limit.make_room(self.directory, tmp.stat().st_size, keep=in_use, lock=False)
            os.replace(tmp, path)

    def warm(self, rids: list[str]) -> None:
        """Build the local copies now (e.g. in the main process before workers start)."""
        if self.mode != "disk":
            return
        for rid in rids:
            path = self.path(self.store.recordings[rid])
            if not path.exists():
                self._build(rid, path)
            else:
                cache_limit.touch(path)


def _read_checked(store: Store, rid: str) -> np.ndarray:
    """A recording read once for the cache, verified against what its writer recorded
    (chunk count, checksum): a missing chunk would otherwise be cached as zeros."""
    from neurokit.core.data.verify import read_verified

    return read_verified(store, rid)
