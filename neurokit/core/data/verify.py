"""Integrity of a store: is every recording what its writer recorded it to be?

Zarr fills a missing chunk with the fill value, so a deleted chunk file reads as
zeros. The writer therefore records, per recording, how many chunk objects it
stored (`n_chunks`) and a checksum of the samples as stored (`data_checksum`);
the arrays also carry a crc32c codec per chunk. Three checks use this:

- `structural_problem`: cheap (metadata and a file listing), run by a resumed
  prepare so a recording published without its arrays or chunks is written again;
- `read_verified`: reads a whole recording and checks its checksum (the decoded
  cache is built through it, so training never sees damaged data);
- `verify_store`: both, for every recording (`neurokit store verify`).

Recordings written before these fields existed are checked as far as they can be
(readable metadata, chunks decode).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurokit.core.data.location import is_url, local_path
from neurokit.core.data.schema import DATA, EVENTS, RECORDINGS
from neurokit.core.errors import DataError


def data_digest(array: np.ndarray) -> str:
    """`sha256:<hex>` of an array's bytes as stored (its dtype, C order)."""
    import hashlib

    return "sha256:" + hashlib.sha256(np.ascontiguousarray(array).data).hexdigest()


def _read_json(location: str, key: str, options: dict | None = None) -> dict | None:
    """A metadata document of the store, or None if it is missing; ValueError if unparsable."""
    if not is_url(location):
        path = local_path(location) / key
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    import fsspec

    fs, base = fsspec.core.url_to_fs(location, **(options or {}))
    target = f"{base.rstrip('/')}/{key}"
    if not fs.exists(target):
        return None
    with fs.open(target, "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def stored_chunks(location: str, rid: str, options: dict | None = None) -> int:
    """How many chunk (or shard) objects of a recording's data array exist."""
    key = f"{RECORDINGS}/{rid}/{DATA}/c"
    if not is_url(location):
        base = local_path(location) / key
        return sum(1 for _, _, files in os.walk(base) for _ in files) if base.exists() else 0
    import fsspec

    fs, base = fsspec.core.url_to_fs(location, **(options or {}))
    target = f"{base.rstrip('/')}/{key}"
    return len(fs.find(target)) if fs.exists(target) else 0


def structural_problem(location: str, rid: str, options: dict | None = None) -> str | None:
    """Why the published recording `rid` is incomplete, or None if its parts are all there."""
    prefix = f"{RECORDINGS}/{rid}"
    try:
        group = _read_json(location, f"{prefix}/zarr.json", options)
        data = _read_json(location, f"{prefix}/{DATA}/zarr.json", options)
        events = _read_json(location, f"{prefix}/{EVENTS}/zarr.json", options)
    except (ValueError, UnicodeDecodeError) as exc:
        return f"unreadable metadata ({type(exc).__name__}: {exc})"
    if group is None:
        return "group metadata (zarr.json) missing"
    attrs = group.get("attributes") or {}
    if not attrs.get("complete", False):
        return "never finished writing"
    if data is None:
        return f"array `{DATA}` missing (no {DATA}/zarr.json)"
    if events is None:
        return f"array `{EVENTS}` missing (no {EVENTS}/zarr.json)"
    shape = data.get("shape")
    expected = [len(attrs.get("channel_names") or []), attrs.get("n_samples")]
    if shape != expected:
        return f"array `{DATA}` has shape {shape}, the recording declares {expected}"
    n_chunks = attrs.get("n_chunks")
    if n_chunks is not None:
        found = stored_chunks(location, rid, options)
        if found != n_chunks:
            return f"{found} of its {n_chunks} chunk files present"
    return None


def read_verified(store: Any, rid: str) -> np.ndarray:
    """The whole recording as float32, or a DataError naming what is damaged.

    Used where data is read once and then trusted (the decoded cache): a missing chunk
    reads as zeros and a junk chunk may decode, so both are caught here.
    """
    from neurokit.core.data.store import describe_read_error

    problem = structural_problem(store.location, rid, store.storage_options)
    if problem is not None:
        raise store.damaged(rid, problem)
    array = store.array(rid)
    try:
        native = np.asarray(array[:])
    except Exception as exc:
        raise store.damaged(rid, describe_read_error(exc)) from None
    expected = getattr(store.recordings[rid], "data_checksum", "") or ""
    if expected and data_digest(native) != expected:
        raise store.damaged(rid, "samples do not match the checksum recorded when it was written")
    return native.astype(np.float32, copy=False)


@dataclass
class VerifyReport:
    """What `neurokit store verify` found."""

    store: str
    checked: int = 0
    damaged: dict[str, str] = field(default_factory=dict)
    unchecked: int = 0  # recordings from before checksums were recorded (decode-checked only)

    @property
    def ok(self) -> bool:
        return not self.damaged

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "checked": self.checked,
            "ok": self.ok,
            "damaged": dict(sorted(self.damaged.items())),
            "without_checksum": self.unchecked,
        }


def verify_store(location: str, storage_options: dict | None = None) -> VerifyReport:
    """Check every recording of a store: metadata, chunk files, decoding, checksum."""
    from neurokit.core.data.store import Store

    store = Store(location, storage_options)
    report = VerifyReport(store=store.location)
    catalog = dict(store.root.attrs.get("catalog") or {})
    for rid in sorted(set(catalog) - set(store.recordings)):
        report.damaged[rid] = "listed in the catalog but its folder is missing or unfinished"
    for rid in sorted(store.recordings):
        report.checked += 1
        if not getattr(store.recordings[rid], "data_checksum", ""):
            report.unchecked += 1
        try:
            read_verified(store, rid)
        except DataError as exc:
            report.damaged[rid] = getattr(exc, "detail", str(exc))
    return report
