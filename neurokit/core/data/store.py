"""Reading a store: schema check, the catalog of complete recordings, signal and events.

`Store` is cheap to pickle (it holds a location, not open handles) and reopens
lazily in each process, so it can ride along into DataLoader workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from neurokit.core.data.location import is_url, local_path, open_group, scan_recordings
from neurokit.core.data.schema import (
    DATA,
    EVENTS,
    RECORDINGS,
    RecordingMeta,
    StoreSchema,
    check_schema,
)
from neurokit.core.data.sensors import ChannelInfo, channel_info, summarise
from neurokit.core.errors import DataError


class Store:
    """A neurokit store opened for reading (path or fsspec URL)."""

    def __init__(self, location: str | os.PathLike, storage_options: dict | None = None):
        self.location = str(location)
        self.storage_options = storage_options
        if not is_url(location):
            path = local_path(location)
            if not path.exists():
                raise DataError(f"{location}: store not found (run `neurokit prepare` first)")
            if not (path / "zarr.json").is_file():
                raise DataError(
                    f"{location}: not a neurokit store (no zarr.json; is this a raw-data folder?)"
                )
        root = open_group(self.location, "r", storage_options)
        self.schema: StoreSchema = check_schema(dict(root.attrs), self.location)
        self.recordings: dict[str, RecordingMeta] = {
            m.id: m for m in scan_recordings(root, self.location)
        }
        self._root = root
        self._pid = os.getpid()

    # ---------------------------------------------------------------- pickling

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_root"] = None
        return state

    @property
    def root(self):
        """The zarr root, reopened after pickling or fork (zarr handles are per process)."""
        if self._root is None or self._pid != os.getpid():
            self._root = open_group(self.location, "r", self.storage_options)
            self._pid = os.getpid()
        return self._root

    # ---------------------------------------------------------------- queries

    @property
    def class_names(self) -> list[str]:
        return list(self.schema.class_names)

    def splits(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.recordings.values():
            counts[m.split] = counts.get(m.split, 0) + 1
        return dict(sorted(counts.items()))

    def select(self, split: str | Iterable[str] | None = None) -> list[RecordingMeta]:
        """Recordings of one split (or several, or all), in id order."""
        if split is None:
            return list(self.recordings.values())
        wanted = {split} if isinstance(split, str) else set(split)
        chosen = [m for m in self.recordings.values() if m.split in wanted]
        if not chosen:
            raise DataError(
                f"{self.location}: no recordings in split {split!r} (splits: {self.splits()})"
            )
        return chosen

    def damaged(self, rid: str, detail: str) -> DataError:
        """The one error for a recording whose stored bytes are broken, with the way out."""
        error = DataError(
            f"{self.location}: recording {rid!r} is damaged ({detail}); run "
            f"`neurokit store verify {self.location}` to list every damaged recording, then "
            f"delete {RECORDINGS}/{rid} from the store and rerun the same `neurokit prepare` "
            "to write it again"
        )
        error.detail = detail  # type: ignore[attr-defined]
        return error

    def array(self, rid: str):
        """The zarr array of one recording (channels x samples)."""
        if rid not in self.recordings:
            raise DataError(f"{self.location}: no recording {rid!r}")
        try:
            return self.root[f"{RECORDINGS}/{rid}/{DATA}"]
        except Exception as exc:  # missing or corrupt zarr.json
            raise self.damaged(rid, f"array metadata: {type(exc).__name__}: {exc}") from None

    def read(self, rid: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Samples [start, stop) of one recording, (channels, samples) float32 in its units."""
        array = self.array(rid)
        try:
            return np.asarray(array[:, start:stop], dtype=np.float32)
        except Exception as exc:  # a truncated or junk chunk (crc32c / codec errors)
            raise self.damaged(rid, describe_read_error(exc)) from None

    def events(self, rid: str) -> np.ndarray:
        """(n, 4) int64 events of one recording: start, length, label, channel."""
        meta = self.recordings[rid]
        if meta.n_events == 0:
            return np.zeros((0, 4), dtype=np.int64)
        try:
            stored = self.root[f"{RECORDINGS}/{rid}/{EVENTS}"][:]
        except Exception as exc:
            raise self.damaged(rid, f"events: {type(exc).__name__}: {exc}") from None
        return np.asarray(stored, dtype=np.int64).reshape(-1, 4)

    def event_table(self, split: str | Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """All events as columns: recording (id), start, length, label, channel, split."""
        parts = []
        for meta in self.select(split):
            ev = self.events(meta.id)
            parts.append((meta, ev))
        rec = np.array([m.id for m, ev in parts for _ in range(len(ev))], dtype=object)
        spl = np.array([m.split for m, ev in parts for _ in range(len(ev))], dtype=object)
        ev = np.concatenate([e for _, e in parts]) if parts else np.zeros((0, 4), np.int64)
        return {
            "recording": rec,
            "start": ev[:, 0],
            "length": ev[:, 1],
            "label": ev[:, 2],
            "channel": ev[:, 3],
            "split": spl,
        }

    def channels(self, rid: str) -> ChannelInfo:
        """Types, units, positions (with their source) and bad channels of one recording."""
        if rid not in self.recordings:
            raise DataError(f"{self.location}: no recording {rid!r}")
        return channel_info(self.recordings[rid])

    def size_bytes(self) -> int:
        if is_url(self.location):
            import fsspec

            fs, path = fsspec.core.url_to_fs(self.location, **(self.storage_options or {}))
            return int(fs.du(path))
        return sum(
            f.stat().st_size for f in Path(local_path(self.location)).rglob("*") if f.is_file()
        )

    def info(self) -> dict[str, Any]:
        """What `neurokit store info` shows."""
        metas = list(self.recordings.values())
        by_split: dict[str, dict[str, Any]] = {}
        for m in metas:
            entry = by_split.setdefault(
                m.split, {"recordings": 0, "hours": 0.0, "subjects": set(), "labels": {}}
            )
            entry["recordings"] += 1
            entry["hours"] += m.seconds / 3600
            entry["subjects"].add(m.subject)
            key = "none" if m.label is None else str(self._label_name(m.label))
            entry["labels"][key] = entry["labels"].get(key, 0) + 1
        channel_sets: dict[str, int] = {}
        for m in metas:
            key = " ".join(m.channel_names)
            channel_sets[key] = channel_sets.get(key, 0) + 1
        return {
            "location": self.location,
            "format": f"{self.schema.format} v{self.schema.version}",
            "dataset": self.schema.dataset,
            "sfreq": self.schema.sfreq,
            "units": self.schema.units,
            "dtype": self.schema.dtype,
            "compression": self.schema.compression,
            "chunk_seconds": self.schema.chunk_seconds,
            "preprocessing": self.schema.preprocessing,
            "class_names": self.schema.class_names,
            "label_kind": self.schema.label_kind,
            "neurokit_version": self.schema.neurokit_version,
            "created": self.schema.created,
            "recordings": len(metas),
            "events": sum(m.n_events for m in metas),
            "hours": round(sum(m.seconds for m in metas) / 3600, 4),
            "splits": {
                k: {**v, "hours": round(v["hours"], 4), "subjects": len(v["subjects"])}
                for k, v in sorted(by_split.items())
            },
            "channel_sets": [
                {"channels": k.split(" "), "recordings": n}
                for k, n in sorted(channel_sets.items(), key=lambda kv: -kv[1])
            ],
            **summarise([channel_info(m) for m in metas]),  # schema 2: types, units, positions
            "size_bytes": self.size_bytes(),
            "failed": dict(self.root.attrs.get("failed") or {}),
        }

    def _label_name(self, label: Any) -> Any:
        names = self.schema.class_names
        if isinstance(label, int) and 0 <= label < len(names):
            return names[label]
        return label


def describe_read_error(exc: Exception) -> str:
    """A chunk decoding error in words (zarr's own messages are about codecs, not files)."""
    text = " ".join(str(exc).split())[:200]
    if "checksum" in text.lower():
        return "a chunk fails its crc32c checksum: its bytes changed after writing"
    return f"a chunk cannot be decoded: {type(exc).__name__}: {text}"


def open_store(location: str | os.PathLike | Store, storage_options: dict | None = None) -> Store:
    """A Store for a path/URL (or the Store itself)."""
    return location if isinstance(location, Store) else Store(location, storage_options)
