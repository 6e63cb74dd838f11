"""HDF5 interop plumbing: import files in a family's HDF5 layout into a store, export back.

The layouts themselves (LaBraM's `dataset.hdf5`, LUNA's `TUEG_*.h5` and
`{train,val,test}.h5`, ...) belong to the model families that use them: each
declares `Hdf5Layout`s in its `Family` (`hdf5_layouts`). This module finds them
through the registry, detects which one a file is in, writes the recordings a
layout yields into a store, and offers the helpers layouts share (opening a file
with clear errors, decoding channel-name attributes).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurokit.core.errors import DataError

_GROUP_INDEX = re.compile(r"(\d+)$")
AUTO = "auto"


@dataclass
class ImportSummary:
    """What an import did."""

    store: str
    layout: str
    recordings: int = 0
    windows: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "layout": self.layout,
            "recordings": self.recordings,
            "windows": self.windows,
            "hours": round(self.seconds / 3600, 4),
            "skipped": self.skipped,
        }


# ------------------------------------------------------------------ reading helpers


def open_hdf5(path: Path, mode: str = "r"):
    import h5py

    try:
        return h5py.File(path, mode)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(
            f"{path}: not a readable HDF5 file ({' '.join(str(exc).split())[:160]})"
        ) from None


def decode_text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def channel_names(value: Any, where: str) -> list[str]:
    from neurokit.core.data.channels import normalise_channel_name

    if value is None:
        raise DataError(f"{where}: no channel names")
    if isinstance(value, str | bytes):
        items = [s for s in re.split(r"[,\s]+", decode_text(value)) if s]
    else:
        items = [decode_text(v) for v in np.asarray(value).ravel()]
    return [normalise_channel_name(n) for n in items]


def group_order(name: str) -> tuple[int, str]:
    match = _GROUP_INDEX.search(name)
    return (int(match.group(1)) if match else -1, name)


def jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _expand(paths: Sequence[str | os.PathLike]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() in {".h5", ".hdf5"})
            if not found:
                raise DataError(f"{p}: no .h5/.hdf5 files in this folder")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise DataError(f"{p}: file not found")
    return out


# ------------------------------------------------------------------------ layouts


def _layouts() -> dict[str, Any]:
    """Every HDF5 layout the registered families declare, by name."""
    from neurokit.core.registry import get_registry

    found: dict[str, Any] = {}
    for family in get_registry().families():
        for layout in family.hdf5_layouts:
            found.setdefault(layout.name, layout)
    return found


def import_layouts() -> dict[str, Any]:
    """The layouts `import_hdf5` can read, by name."""
    return {k: v for k, v in _layouts().items() if v.iterate is not None}


def export_layouts() -> dict[str, Any]:
    """The layouts `export_hdf5` can write, by name."""
    return {k: v for k, v in _layouts().items() if v.export is not None}


def _layout(name: str, known: dict[str, Any], what: str, extra: tuple[str, ...] = ()) -> Any:
    if name not in known:
        names = ", ".join([*extra, *sorted(known)]) or "none registered"
        raise DataError(f"unknown HDF5 {what} layout {name!r} (known: {names})")
    return known[name]


def detect_layout(paths: Sequence[Path]) -> str:
    """The import layout of HDF5 files, asked of each registered layout (by structure)."""
    path = Path(paths[0])
    with open_hdf5(path) as f:
        if not [k for k in f if k != "index_map"]:
            raise DataError(f"{path}: empty HDF5 file")
    layouts = import_layouts()
    matches = [n for n, layout in sorted(layouts.items()) if layout.detect and layout.detect(path)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise DataError(f"{path}: HDF5 layout is ambiguous ({', '.join(matches)}); pass --layout")
    expected = "; ".join(
        f"{n}: {layout.description}" if layout.description else n
        for n, layout in sorted(layouts.items())
    )
    raise DataError(f"{path}: unrecognised HDF5 layout (expected {expected or 'none registered'})")


# ------------------------------------------------------------------------ import


def import_hdf5(
    paths: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    layout: str = "auto",
    dataset: str | None = None,
    sfreq: float | None = None,
    channels: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    dtype: str = "float32",
    overwrite: bool = False,
) -> ImportSummary:
    """Import HDF5 files in a registered layout (e.g. LaBraM, LUNA) into the store `out`.

    `paths` are files or folders of `.h5`/`.hdf5` files, all in one layout.
    `channels` overrides the channel names the files carry (or lack); `sfreq` the
    rate they state (a layout may assume one). Resuming works like `prepare`:
    groups already in the store are skipped.
    """
    from neurokit.core.data.channels import normalise_channel_names
    from neurokit.core.data.lock import store_lock
    from neurokit.core.data.schema import StoreSchema, safe_id
    from neurokit.core.data.writer import StoreWriter

    files = _expand(paths)
    known = import_layouts()
    if layout != AUTO:
        _layout(layout, known, "import", (AUTO,))
    else:
        layout = detect_layout(files)
    spec = known[layout]
    names = normalise_channel_names(channels) if channels else None
    labelled = spec.labelled
    if labelled and class_names is None:
        class_names = [str(k) for k in range(int(_max_label(files)) + 1)]
    schema = StoreSchema(
        dataset=dataset or f"hdf5-{layout}",
        sfreq=sfreq,
        dtype=dtype,
        preprocessing={"source": f"hdf5:{layout}", "sfreq": sfreq},
        class_names=list(class_names or []),
        label_kind="events" if labelled else "none",
    )
    with store_lock(out, "import"):
        writer = StoreWriter(out)
        writer.create(schema, overwrite=overwrite)
        done = writer.completed()
        summary = ImportSummary(store=str(out), layout=layout)
        for path in files:
            for recording, windows in spec.iterate(path, sfreq, names):
                rid = safe_id(recording.source.recording_id)
                if rid in done:
                    summary.skipped.append(f"{rid}: already in the store")
                    continue
                if recording.data.shape[1] == 0:
                    summary.skipped.append(
                        f"{path}:{recording.source.extra.get('hdf5_group')}: no samples"
                    )
                    continue
                result = writer.write(recording, checksum="", dtype=dtype)
                done.add(result.id)
                summary.recordings += 1
                summary.windows += windows
                summary.seconds += result.seconds
        writer.finalize()
    if summary.recordings == 0 and not any("already" in s for s in summary.skipped):
        raise DataError(f"{files[0]}: nothing to import")
    return summary


def _max_label(files: Sequence[Path]) -> float:
    top = -1.0
    for path in files:
        with open_hdf5(path) as f:
            for name in f:
                node = f[name]
                if hasattr(node, "keys") and "y" in node and node["y"].size:
                    top = max(top, float(np.max(node["y"][:])))
    if top < 0:
        raise DataError(f"{files[0]}: no labels (`y`) found")
    return top


# ------------------------------------------------------------------------ export


# ------------------------------------------------------------------------ export


def export_hdf5(
    store: str | os.PathLike,
    out: str | os.PathLike,
    layout: str,
    split: str | Sequence[str] | None = None,
    window_seconds: float = 5.0,
    group_size: int = 1000,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write a store (or some of its splits) as HDF5 in a registered export layout.

    `out` is a file or a folder, as the layout wants; `window_seconds` and
    `group_size` matter to windowed layouts (LUNA's `data_group_k/X,y`). Returns what
    was written, with `layout` and its `title`.
    """
    from neurokit.core.data.store import open_store

    spec = _layout(layout, export_layouts(), "export")
    src = open_store(store)
    return spec.export(
        src,
        Path(out),
        split=split,
        window_seconds=window_seconds,
        group_size=group_size,
        overwrite=overwrite,
    )
