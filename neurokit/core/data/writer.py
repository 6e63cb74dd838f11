"""Writing a store: create or resume it, publish recordings atomically, finalise the catalog.

A recording is written completely under `_partial/<id>` and then renamed into
`recordings/<id>` (one atomic directory rename on a local disk). On fsspec stores,
where renames are copies, it is written in place and its `complete` attribute is
set last; readers ignore recordings without it. Either way a reader never sees a
half-written recording, and a rerun skips what is complete and redoes the rest.

Each recording also records what complete means (`n_chunks` chunk objects, and
`data_checksum` of its samples as stored); every chunk ends in a crc32c. `verify.py`
checks these: on resume (structure), when the cache decodes a recording, and in
`neurokit store verify`.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import shutil
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurokit.core.data.ids import check_split
from neurokit.core.data.location import is_url, local_path, open_group, scan_recordings
from neurokit.core.data.schema import (
    DATA,
    EVENTS,
    FORMAT_NAME,
    PARTIAL,
    RECORDINGS,
    SCHEMA_KEY,
    RecordingMeta,
    StoreSchema,
    check_schema,
    safe_id,
)
from neurokit.core.data.sensors import recording_fields
from neurokit.core.data.verify import data_digest, structural_problem
from neurokit.core.errors import DataError
from neurokit.core.interfaces import Recording

# Chosen by measurement (`python benchmarks/loading.py --skip loading prepare`, 23 ch x 5 min
# EEG-like float32 at 200 Hz): Blosc-zstd-3 + byte shuffle gives 1.21x (lz4 1.15x, plain zstd
# 1.08x; real EEG 1.15-1.35x), and 60-s chunks (all channels, ~1.1 MB raw) decode ~2x faster
# than 10-s chunks and serve a naive 10-s window from 1-2 chunks. Training reads the decoded
# local cache, so the codec costs only the one-time decode; shards (one per recording up to
# 64 MB) keep file counts low on TUEG-size corpora.
DEFAULT_CHUNK_SECONDS = 60.0
MAX_SHARD_BYTES = 64 << 20


def compressors(name: str, checksum: bool = True) -> tuple[Any, ...] | None:
    """Codec tuple for a compression spec: `blosc-zstd-3` (default), `zstd-3`, `none`.

    `checksum` appends a crc32c codec, so a damaged chunk fails to decode instead of
    decoding to wrong samples. Stores written before it keep reading: each array's
    metadata names its own codecs.
    """
    from zarr.codecs import BloscCodec, Crc32cCodec, ZstdCodec

    crc = (Crc32cCodec(),) if checksum else ()
    if name in {"", "none"}:
        return crc or None
    kind, _, level = name.rpartition("-")
    level_num = int(level) if level.isdigit() else 3
    if kind == "blosc-zstd" or name == "blosc-zstd":
        return (BloscCodec(cname="zstd", clevel=level_num, shuffle="shuffle", typesize=4),) + crc
    if kind == "blosc-lz4" or name == "blosc-lz4":
        return (BloscCodec(cname="lz4", clevel=level_num, shuffle="shuffle", typesize=4),) + crc
    if kind == "zstd" or name == "zstd":
        return (ZstdCodec(level=level_num),) + crc
    raise DataError(f"unknown compression {name!r} (use blosc-zstd-3, blosc-lz4-5, zstd-3 or none)")


@dataclass
class WriteResult:
    """What happened to one recording."""

    id: str
    status: str  # written | skipped | failed
    reason: str = ""
    seconds: float = 0.0
    bytes: int = 0


class StoreWriter:
    """Creates or resumes a store and publishes recordings into it.

    Safe to use from several processes at once as long as each writes different
    recordings: only `create()`/`finalize()` (one process) touch the root attributes.
    """

    def __init__(self, location: str | os.PathLike, storage_options: dict | None = None):
        self.location = str(location)
        self.storage_options = storage_options
        self.local = not is_url(location)
        self._root = None

    # ----------------------------------------------------------- root level

    def create(self, schema: StoreSchema, overwrite: bool = False) -> StoreSchema:
        """Create the store, or reopen an existing one with a compatible schema (resume)."""
        from neurokit import __version__

        exists = self._exists()
        self._guard(exists)
        if exists and overwrite:
            self._delete_all()
            exists = False
        if exists:
            root = open_group(self.location, "r+", self.storage_options)
            current = check_schema(dict(root.attrs), self.location)
            self._check_compatible(current, schema)
            self._root = root
            self._clear_partial()
            return current
        schema = schema.model_copy(
            update={
                "neurokit_version": __version__,
                "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            }
        )
        root = open_group(self.location, "w", self.storage_options)
        root.attrs.update({SCHEMA_KEY: schema.model_dump(mode="json")})
        root.require_group(RECORDINGS)
        if self.local:
            root.require_group(PARTIAL)  # made once here, so parallel writers never race on it
        self._root = root
        return schema

    def _guard(self, exists: bool) -> None:
        """Never write into (or delete) something that is not a neurokit store."""
        if exists:
            attrs = dict(open_group(self.location, "r", self.storage_options).attrs)
            if (
                not isinstance(attrs.get(SCHEMA_KEY), dict)
                or attrs[SCHEMA_KEY].get("format") != FORMAT_NAME
            ):
                raise DataError(
                    f"{self.location}: exists and is not a neurokit store; refusing to write into it"
                )
            return
        if self.local:
            path = local_path(self.location)
            if path.is_file():
                raise DataError(f"{path}: is a file, not a store directory")
            if path.is_dir() and any(path.iterdir()):
                raise DataError(
                    f"{path}: exists, is not empty and is not a neurokit store; refusing to write into it"
                )

    def _exists(self) -> bool:
        if self.local:
            return (local_path(self.location) / "zarr.json").exists()
        import fsspec

        fs, path = fsspec.core.url_to_fs(self.location, **(self.storage_options or {}))
        return fs.exists(f"{path.rstrip('/')}/zarr.json")

    def _delete_all(self) -> None:
        if self.local:
            shutil.rmtree(local_path(self.location), ignore_errors=True)
        else:
            import fsspec

            fs, path = fsspec.core.url_to_fs(self.location, **(self.storage_options or {}))
            fs.rm(path, recursive=True)

    def _check_compatible(self, current: StoreSchema, wanted: StoreSchema) -> None:
        where = self.location
        if current.dataset != wanted.dataset:
            raise DataError(
                f"{where}: holds dataset {current.dataset!r}, not {wanted.dataset!r} (use another --out)"
            )
        # an option added since the store was written counts as its default (resume after upgrade)
        from neurokit.core.data.preprocess import Preprocessing

        defaults = Preprocessing().model_dump(mode="json")
        changed = sorted(
            k
            for k in set(current.preprocessing) | set(wanted.preprocessing)
            if current.preprocessing.get(k, defaults.get(k))
            != wanted.preprocessing.get(k, defaults.get(k))
        )
        if changed:
            raise DataError(
                f"{where}: was prepared with different preprocessing ({', '.join(changed)} differ); "
                "use another --out or --overwrite"
            )
        if (
            current.dataset_config
            and wanted.dataset_config
            and current.dataset_config != wanted.dataset_config
        ):
            changed = sorted(
                k
                for k in set(current.dataset_config) | set(wanted.dataset_config)
                if current.dataset_config.get(k) != wanted.dataset_config.get(k)
            )
            raise DataError(
                f"{where}: was prepared with different dataset options ({', '.join(changed)} differ); "
                "use another --out or --overwrite"
            )

    def _clear_partial(self) -> None:
        """Remove leftovers of an interrupted run (call before any worker starts)."""
        if self.local:
            shutil.rmtree(local_path(self.location) / PARTIAL, ignore_errors=True)
            self.root.require_group(PARTIAL)  # made once here, so parallel writers never race on it
            return
        root = self.root
        recordings = root.require_group(RECORDINGS)
        for name in list(recordings.group_keys()):
            if not recordings[name].attrs.get("complete", False):
                del recordings[name]

    @property
    def root(self):
        if self._root is None:
            self._root = open_group(self.location, "r+", self.storage_options)
        return self._root

    def completed(self) -> set[str]:
        """Ids of the recordings already published and structurally whole (what a resumed
        run skips). A published recording with missing arrays or chunks is removed here,
        so the run writes it again."""

        recordings = self.root.require_group(RECORDINGS)
        if self.local:
            base = local_path(self.location) / RECORDINGS
            names = {p.name for p in base.iterdir() if p.is_dir()} if base.exists() else set()
        else:
            names = set(recordings.group_keys())
        done = set()
        for name in sorted(names):
            if structural_problem(self.location, name, self.storage_options) is None:
                done.add(name)
            elif self.local:
                shutil.rmtree(local_path(self.location) / RECORDINGS / name, ignore_errors=True)
            else:
                del recordings[name]
        return done

    # ------------------------------------------------------------ recordings

    def write(
        self,
        recording: Recording,
        checksum: str = "",
        dtype: str | None = None,
        chunk_seconds: float | None = None,
        compression: str | None = None,
    ) -> WriteResult:
        """Write one recording and publish it atomically. Returns its WriteResult.

        `dtype`, `chunk_seconds` and `compression` default to the store schema's.
        """
        schema = self._schema()
        dtype = dtype or schema.get("dtype") or "float32"
        chunk_seconds = chunk_seconds or schema.get("chunk_seconds") or DEFAULT_CHUNK_SECONDS
        compression = (
            compression if compression is not None else schema.get("compression", "blosc-zstd-3")
        )

        src = recording.source
        rid = safe_id(src.recording_id)
        data = np.asarray(recording.data)
        if data.ndim != 2 or data.shape[0] != len(recording.channel_names):
            raise DataError(
                f"{src.path}: data shape {data.shape} does not match {len(recording.channel_names)} channel names"
            )
        n_ch, n_samples = data.shape
        if not np.isfinite(data).all():
            raise DataError(f"{src.path}: NaN/Inf samples after preprocessing")
        check_split(str(src.split), str(src.path))
        chunk = max(1, min(n_samples, int(round(chunk_seconds * recording.sfreq))))
        itemsize = np.dtype(dtype).itemsize
        per_shard = max(1, MAX_SHARD_BYTES // (n_ch * chunk * itemsize))
        shard = chunk * min(per_shard, math.ceil(n_samples / chunk))
        stored = np.ascontiguousarray(data, dtype=dtype)
        meta = RecordingMeta(
            id=rid,
            channel_names=list(recording.channel_names),
            sfreq=float(recording.sfreq),
            n_samples=int(n_samples),
            subject=str(src.subject),
            session=str(src.session),
            split=str(src.split),
            label=src.label,
            n_events=len(recording.events),
            source=str(src.path),
            checksum=checksum,
            extra=_jsonable(src.extra),
            complete=False,
            **recording_fields(recording),  # schema 2: channel types, units, positions
        )
        # what a complete recording is, checked by `store verify`, the cache and resume
        integrity = {
            "n_chunks": math.ceil(n_samples / (shard if shard > chunk else chunk)),
            "data_checksum": data_digest(stored),
        }
        if self.local:
            target = f"{PARTIAL}/{rid}"
            shutil.rmtree(local_path(self.location) / PARTIAL / rid, ignore_errors=True)
        else:
            target = f"{RECORDINGS}/{rid}"
        group = self.root.require_group(target)
        group.attrs.update({**meta.model_dump(mode="json"), **integrity})
        array = group.create_array(
            DATA,
            shape=(n_ch, n_samples),
            dtype=dtype,
            chunks=(n_ch, chunk),
            shards=(n_ch, shard) if shard > chunk else None,
            compressors=compressors(compression),
            dimension_names=("channel", "time"),
            overwrite=True,
            config={"write_empty_chunks": True},  # an all-zero chunk is stored, so counts hold
        )
        array[:] = stored
        events = np.array(
            [[e.start, e.length, e.label, e.channel] for e in recording.events], dtype=np.int64
        ).reshape(-1, 4)
        group.create_array(EVENTS, data=events, chunks=(max(1, len(events)), 4), overwrite=True)
        group.attrs["complete"] = True
        if self.local:
            self._publish(rid)
        return WriteResult(
            rid, "written", seconds=n_samples / recording.sfreq, bytes=self._size(rid)
        )

    def _schema(self) -> dict[str, Any]:
        if getattr(self, "_schema_cache", None) is None:
            self._schema_cache = dict(self.root.attrs.get(SCHEMA_KEY) or {})
        return self._schema_cache

    def _publish(self, rid: str) -> None:
        base = local_path(self.location)
        final = base / RECORDINGS / rid
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():  # an older complete copy (rerun with --force): replace it
            shutil.rmtree(final)
        os.replace(base / PARTIAL / rid, final)

    def _size(self, rid: str) -> int:
        if not self.local:
            return 0
        folder = local_path(self.location) / RECORDINGS / rid
        return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())

    def finalize(
        self,
        catalog: dict[str, dict[str, Any]] | None = None,
        failures: dict[str, str] | None = None,
    ) -> None:
        """Record the catalog of published recordings (fast opening) and the failures at the root."""
        if catalog is None:
            catalog = {
                m.id: m.model_dump(mode="json") for m in scan_recordings(self.root, self.location)
            }
        attrs = dict(self.root.attrs)
        schema = dict(attrs[SCHEMA_KEY])
        rates = {round(v["sfreq"], 6) for v in catalog.values()}
        if len(rates) == 1:
            schema["sfreq"] = rates.pop()
        elif rates:
            schema["sfreq"] = None
        update: dict[str, Any] = {SCHEMA_KEY: schema, "catalog": catalog}
        if failures is not None:
            update["failed"] = {k: v for k, v in failures.items() if k not in catalog}
        self._write_tables(catalog)
        self.root.attrs.update(update)
        if self.local:
            shutil.rmtree(local_path(self.location) / PARTIAL, ignore_errors=True)

    def _write_tables(self, catalog: dict[str, dict[str, Any]]) -> None:
        """`tables/events`: every event as (recording index, start, length, label, channel), with
        `tables` attrs naming the recordings and splits by index (for analysis without walking groups).
        Derived data, rebuilt by every finalize; the per-recording arrays stay authoritative."""
        ids = sorted(catalog)
        rows = []
        for i, rid in enumerate(ids):
            if catalog[rid].get("n_events"):
                ev = np.asarray(
                    self.root[f"{RECORDINGS}/{rid}/{EVENTS}"][:], dtype=np.int64
                ).reshape(-1, 4)
                rows.append(np.column_stack([np.full(len(ev), i, dtype=np.int64), ev]))
        table = np.concatenate(rows) if rows else np.zeros((0, 5), dtype=np.int64)
        tables = self.root.require_group("tables")
        tables.attrs.update({
            "recordings": ids,
            "splits": [catalog[r].get("split", "") for r in ids],
            "events_columns": ["recording", "start", "length", "label", "channel"],
        })  # fmt: skip
        tables.create_array(
            EVENTS, data=table, chunks=(max(1, min(len(table), 1 << 16)), 5), overwrite=True
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
