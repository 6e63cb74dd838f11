"""The result cache: a cell is known by what it computes, so a rerun only runs what changed.

A cell's key hashes its resolved config without the stores' locations (everything the run
computes, seed included, nothing about where it reads or writes), neurokit's version and a
fingerprint of each store it reads: a bench moved to another machine, with its stores under
another root, finds its results, and a rewritten store at the same path does not. Its run lives in `<bench>/runs/<cell id>-<key>/`; that directory
holding `report.json` is the cache hit, one holding only `checkpoints/last.pt` is an
interrupted cell (resumed from that checkpoint), and `cell.json` beside the run records a
failure and its error. Nothing is shared between cells, so parallel cells never race.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neurokit.bench.spec import Cell
from neurokit.core.config import RunConfig
from neurokit.core.engine.resolve import ResolvedRun, config_hash, resolve
from neurokit.core.errors import NeurokitError

CELL_FILE = "cell.json"
RUNS = "runs"


def code_version() -> str:
    """The neurokit version a cached result was computed with."""
    from neurokit import __version__

    return __version__


def _stores(resolved: ResolvedRun) -> list[str]:
    """Every store the run reads (its own, or each source of a mixture)."""
    config = resolved.config
    root = Path(config.data_root)
    if config.data.sources:
        return [
            s.store or str(root / f"{s.dataset}.zarr") for s in config.data.sources if s is not None
        ]
    if config.data.store:
        return [config.data.store]
    names = [n.strip() for n in (config.dataset.name or "").split(",") if n.strip()]
    return [str(root / f"{name}.zarr") for name in names]


def store_fingerprint(location: str) -> str:
    """A digest of a store's schema and each recording's checksum, length, split and label.

    It changes when a recording is added, rewritten or relabelled; reading it costs
    the metadata only. A store that cannot be opened is fingerprinted as missing (the
    cell then fails with the reader's own message).
    """
    from neurokit.core.data.store import open_store

    try:
        store = open_store(location)
    except NeurokitError:
        return "missing"
    rows = [
        [m.id, m.checksum, m.n_samples, m.split, m.label, m.channel_names]
        for m in sorted(store.recordings.values(), key=lambda m: m.id)
    ]
    text = json.dumps([store.schema.model_dump(mode="json"), rows], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def content_hash(config: RunConfig) -> str:
    """`config_hash` without where the stores are: their content is in the fingerprints."""
    data = config.model_copy(deep=True)
    data.data_root = "."
    data.data.store = None
    for source in data.data.sources or []:
        if source is not None:
            source.store = None
    return config_hash(data)


@dataclass
class CellKey:
    """A cell's identity in the cache and the run directory it owns."""

    cell: Cell
    key: str
    config_hash: str
    run_dir: Path

    @property
    def report_file(self) -> Path:
        return self.run_dir / "report.json"

    @property
    def record_file(self) -> Path:
        return self.run_dir.parent / f"{self.run_dir.name}.{CELL_FILE}"


def cell_key(cell: Cell, bench_dir: Path, fingerprints: dict[str, str] | None = None) -> CellKey:
    """Resolve the cell (no data read) and hash what it computes; ConfigError if it cannot."""
    fingerprints = {} if fingerprints is None else fingerprints
    resolved = resolve(cell.run)
    stores = []
    for location in _stores(resolved):
        if location not in fingerprints:
            fingerprints[location] = store_fingerprint(location)
        stores.append(fingerprints[location])
    identity = {
        "config": content_hash(resolved.config),
        "code": code_version(),
        "stores": stores,
        "seed": resolved.config.seed,
    }
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    run_dir = bench_dir / RUNS / f"{cell.id}-{key}"
    return CellKey(cell, key, resolved.config_hash, run_dir)


def cached_report(key: CellKey) -> dict[str, Any] | None:
    """The finished cell's report.json, or None if it has not finished."""
    if not key.report_file.is_file():
        return None
    return json.loads(key.report_file.read_text(encoding="utf-8"))


def resumable(key: CellKey) -> bool:
    """An interrupted cell: its run has a last checkpoint but no report."""
    return (key.run_dir / "checkpoints" / "last.pt").is_file() and not key.report_file.exists()


def clear_unfinished(key: CellKey) -> None:
    """Remove a started run with nothing to resume from (its own directory, nothing else)."""
    if key.run_dir.exists() and not resumable(key) and not key.report_file.exists():
        shutil.rmtree(key.run_dir)


def write_record(key: CellKey, record: dict[str, Any]) -> None:
    """The cell's status (done / failed) with its error, atomically."""
    path = key.record_file
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


def read_record(key: CellKey) -> dict[str, Any] | None:
    if not key.record_file.is_file():
        return None
    return json.loads(key.record_file.read_text(encoding="utf-8"))
