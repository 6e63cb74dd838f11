"""HDF5 interop: import the LaBraM and LUNA HDF5 layouts into a neurokit store, export back.

Layouts read (see the reference notes on LaBraM `dataset_maker/` and BioFoundation
`make_datasets/`):

- `labram`: LaBraM's pretraining file (`dataset.hdf5`), one group per recording with
  a dataset `eeg` (channels x samples, uV) whose attributes carry `chOrder`,
  `rsFreq`, `lFreq`, `hFreq`. Each group becomes one unlabelled recording.
- `luna-pretrain`: `TUEG_{C}_channels_{k}.h5`, file attribute `channel_names`, one
  group per EDF session holding `X` (n, C, 1280) float16: consecutive 5 s slices of
  that session, so concatenating them restores the continuous signal. One recording
  per group, unlabelled.
- `luna-finetune`: `{train,val,test}.h5` with groups `data_group_k` holding `X`
  (n, C, 1280) and `y` (n,). No channel names and no subjects: windows of many
  sessions are packed together. Each group becomes one recording with its windows
  laid end to end and one event per window (label `y`), so the store serves exactly
  the original windows (`label_kind = events`). Rows are named by the order
  `process_raw_eeg.py` actually writes them (A1-T3 at row 8, T4-A2 at row 13), not
  by the list LUNA's loader assumes (the row-order bug in the notes); pass
  `channels=` to override. Files written by `export_hdf5` carry a `channel_names`
  file attribute, which is used when present.

Export writes either layout back: `labram` (one group per recording with `eeg` and
its attributes) or `luna` (per split `{split}.h5`, `data_group_k/X,y` windows).
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

LAYOUTS = ("labram", "luna-pretrain", "luna-finetune")
LUNA_WINDOW = 1280
LUNA_SFREQ = 256.0
# The row order of BioFoundation's process_raw_eeg.py TCP dict (what fine-tune files hold).
LUNA_FINETUNE_ROWS: tuple[str, ...] = (
    "FP1-F7", "F7-T3", "T3-T5", "T5-O1", "FP2-F8", "F8-T4", "T4-T6", "T6-O2",
    "A1-T3", "T3-C3", "C3-CZ", "CZ-C4", "C4-T4", "T4-A2", "FP1-F3", "F3-C3",
    "C3-P3", "P3-O1", "FP2-F4", "F4-C4", "C4-P4", "P4-O2",
)  # fmt: skip
_SPLIT_FILES = {
    "train": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
    "eval": "test",
}
_GROUP_INDEX = re.compile(r"(\d+)$")


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


def _open(path: Path, mode: str = "r"):
    import h5py

    try:
        return h5py.File(path, mode)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(
            f"{path}: not a readable HDF5 file ({' '.join(str(exc).split())[:160]})"
        ) from None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _names(value: Any, where: str) -> list[str]:
    from neurokit.core.data.channels import normalise_channel_name

    if value is None:
        raise DataError(f"{where}: no channel names")
    if isinstance(value, str | bytes):
        items = [s for s in re.split(r"[,\s]+", _text(value)) if s]
    else:
        items = [_text(v) for v in np.asarray(value).ravel()]
    return [normalise_channel_name(n) for n in items]


def _group_order(name: str) -> tuple[int, str]:
    match = _GROUP_INDEX.search(name)
    return (int(match.group(1)) if match else -1, name)


def detect_layout(paths: Sequence[Path]) -> str:
    """Guess the layout of HDF5 files from their structure (not their names alone)."""
    path = Path(paths[0])
    with _open(path) as f:
        keys = [k for k in f if k != "index_map"]
        if not keys:
            raise DataError(f"{path}: empty HDF5 file")
        first = f[keys[0]]
        if hasattr(first, "keys") and "X" in first and keys[0].startswith("data_group"):
            return "luna-finetune"
        if "channel_names" in f.attrs and hasattr(first, "keys") and "X" in first:
            return "luna-pretrain"
        if hasattr(first, "keys") and "eeg" in first:
            return "labram"
    raise DataError(
        f"{path}: unrecognised HDF5 layout (expected groups with `eeg` (LaBraM), `X` + file attr "
        "`channel_names` (LUNA pretraining) or `data_group_k/X,y` (LUNA fine-tuning))"
    )


def _split_of(path: Path) -> str:
    stem = path.stem.lower()
    if stem not in _SPLIT_FILES:
        raise DataError(
            f"{path}: a LUNA fine-tuning file must be named train.h5, val.h5 or test.h5"
        )
    return _SPLIT_FILES[stem]


# --------------------------------------------------------------------- iterators


def _iter_labram(path: Path, sfreq: float | None, channels: list[str] | None):
    from neurokit.core.interfaces import Recording, RecordingSource

    with _open(path) as f:
        for name in sorted(f.keys()):
            where = f"{path}:{name}"
            node = f[name]
            if not hasattr(node, "keys") or "eeg" not in node:
                raise DataError(f"{where}: group has no `eeg` dataset (LaBraM layout)")
            eeg = node["eeg"]
            if eeg.ndim != 2:
                raise DataError(f"{where}/eeg: expected (channels, samples), got shape {eeg.shape}")
            names = channels or _names(eeg.attrs.get("chOrder"), f"{where}/eeg (attribute chOrder)")
            rate = sfreq or float(eeg.attrs.get("rsFreq", 0) or 0)
            if not rate:
                raise DataError(f"{where}/eeg: no rsFreq attribute; pass the sampling rate")
            if len(names) != eeg.shape[0]:
                raise DataError(f"{where}/eeg: {eeg.shape[0]} rows but {len(names)} channel names")
            source = RecordingSource(path=path, recording_id=name, subject=name, split="train")
            extra = {k: _jsonable(v) for k, v in eeg.attrs.items() if k != "chOrder"}
            source.extra = {"hdf5_group": name, **extra}
            yield (
                Recording(
                    source=source,
                    data=np.asarray(eeg[:], dtype=np.float32),
                    channel_names=names,
                    sfreq=rate,
                ),
                0,
            )


def _iter_luna_pretrain(path: Path, sfreq: float | None, channels: list[str] | None):
    from neurokit.core.interfaces import Recording, RecordingSource

    with _open(path) as f:
        file_names = channels or _names(
            f.attrs.get("channel_names"), f"{path} (attribute channel_names)"
        )
        for name in sorted(f.keys()):
            where = f"{path}:{name}"
            node = f[name]
            if not hasattr(node, "keys") or "X" not in node:
                raise DataError(f"{where}: group has no `X` dataset (LUNA pretraining layout)")
            x = node["X"]
            if x.ndim != 3 or x.shape[1] != len(file_names):
                raise DataError(
                    f"{where}/X: shape {x.shape} does not match {len(file_names)} channel names"
                )
            data = np.asarray(x[:], dtype=np.float32).transpose(1, 0, 2).reshape(x.shape[1], -1)
            subject, _, rest = name.partition("_s")
            source = RecordingSource(
                path=path,
                recording_id=f"{path.stem}/{name}",
                subject=subject,
                session=f"s{rest.split('_')[0]}" if rest else "",
                split="train",
                extra={
                    "hdf5_group": name,
                    "montage": _text(node.attrs.get("montage_name", "")),
                    "windows": int(x.shape[0]),
                },
            )
            yield (
                Recording(
                    source=source, data=data, channel_names=file_names, sfreq=sfreq or LUNA_SFREQ
                ),
                int(x.shape[0]),
            )


def _iter_luna_finetune(path: Path, sfreq: float | None, channels: list[str] | None):
    from neurokit.core.interfaces import Event, Recording, RecordingSource

    split = _split_of(path)
    with _open(path) as f:
        if channels is None and len(f.attrs.get("channel_names", [])):  # written by export_hdf5
            channels = _names(f.attrs["channel_names"], f"{path} (attribute channel_names)")
        for name in sorted((k for k in f if k != "index_map"), key=_group_order):
            where = f"{path}:{name}"
            node = f[name]
            if not hasattr(node, "keys") or "X" not in node or "y" not in node:
                raise DataError(
                    f"{where}: group needs datasets `X` and `y` (LUNA fine-tuning layout)"
                )
            x, y = node["X"], np.asarray(node["y"][:])
            if x.ndim != 3 or len(y) != x.shape[0]:
                raise DataError(
                    f"{where}: X {x.shape} and y {y.shape} do not pair up as (n, C, T) and (n,)"
                )
            if y.ndim != 1:
                raise DataError(
                    f"{where}/y: per-channel labels {y.shape} are not supported; only (n,) labels"
                )
            names = channels
            if names is None:
                if x.shape[1] != len(LUNA_FINETUNE_ROWS):
                    raise DataError(
                        f"{where}/X: {x.shape[1]} channels and no names in the file; pass channels="
                    )
                names = list(LUNA_FINETUNE_ROWS)
            if len(names) != x.shape[1]:
                raise DataError(f"{where}/X: {x.shape[1]} rows but {len(names)} channel names")
            n, c, t = x.shape
            data = np.asarray(x[:], dtype=np.float32).transpose(1, 0, 2).reshape(c, n * t)
            if not np.all(np.equal(np.mod(y, 1), 0)):
                raise DataError(f"{where}/y: labels are not integers")
            events = [Event(start=i * t, length=t, label=int(y[i])) for i in range(n)]
            source = RecordingSource(
                path=path,
                recording_id=f"{split}/{name}",
                subject=f"{split}/{name}",  # windows of many sessions; no subject is recorded
                split=split,
                extra={"hdf5_group": name, "windows": n, "window_samples": t},
            )
            yield (
                Recording(
                    source=source,
                    data=data,
                    channel_names=names,
                    sfreq=sfreq or LUNA_SFREQ,
                    events=events,
                ),
                n,
            )


_ITERATORS = {
    "labram": _iter_labram,
    "luna-pretrain": _iter_luna_pretrain,
    "luna-finetune": _iter_luna_finetune,
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
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
    """Import HDF5 files in a LaBraM or LUNA layout into the neurokit store `out`.

    `paths` are files or folders of `.h5`/`.hdf5` files, all in one layout.
    `channels` overrides the channel names the files carry (or lack); `sfreq` the
    rate they state (LUNA files state none: 256 Hz). Resuming works like `prepare`:
    groups already in the store are skipped.
    """
    from neurokit.core.data.channels import normalise_channel_names
    from neurokit.core.data.lock import store_lock
    from neurokit.core.data.schema import StoreSchema, safe_id
    from neurokit.core.data.writer import StoreWriter

    files = _expand(paths)
    if layout == "auto":
        layout = detect_layout(files)
    if layout not in _ITERATORS:
        raise DataError(f"unknown HDF5 layout {layout!r} (known: auto, {', '.join(LAYOUTS)})")
    names = normalise_channel_names(channels) if channels else None
    labelled = layout == "luna-finetune"
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
            for recording, windows in _ITERATORS[layout](path, sfreq, names):
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
        with _open(path) as f:
            for name in f:
                node = f[name]
                if hasattr(node, "keys") and "y" in node and node["y"].size:
                    top = max(top, float(np.max(node["y"][:])))
    if top < 0:
        raise DataError(f"{files[0]}: no labels (`y`) found")
    return top


# ------------------------------------------------------------------------ export


def export_hdf5(
    store: str | os.PathLike,
    out: str | os.PathLike,
    layout: str = "labram",
    split: str | Sequence[str] | None = None,
    window_seconds: float = 5.0,
    group_size: int = 1000,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write a store (or some of its splits) as HDF5 in the LaBraM or LUNA layout.

    `labram`: `out` is one file; one group per recording with dataset `eeg` (float32
    uV) and attributes chOrder, rsFreq, lFreq, hFreq plus neurokit's subject, split,
    label. `luna`: `out` is a folder; per split a `{split}.h5` with groups
    `data_group_k` of up to `group_size` windows `X` (n, C, T) and labels `y`, cut
    at `window_seconds` as the store's dataset view labels them (event windows as
    stored); the file attribute `channel_names` names the rows. A TCP store exports
    rows in CHN_ORDER, the order LUNA's loader assumes, so exported files do not
    carry the official files' row-order bug.
    """
    from neurokit.core.data.store import open_store

    src = open_store(store)
    out = Path(out)
    if layout == "labram":
        if out.exists() and not overwrite:
            raise DataError(f"{out}: exists (pass overwrite to replace it)")
        return _export_labram(src, out, split)
    if layout == "luna":
        return _export_luna(src, out, split, window_seconds, group_size, overwrite)
    raise DataError(f"unknown export layout {layout!r} (labram or luna)")


def _export_labram(src, out: Path, split) -> dict[str, Any]:
    pre = src.schema.preprocessing
    metas = src.select(split)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with _open(tmp, "w") as f:
        for meta in metas:
            data = src.read(meta.id)
            group = f.create_group(meta.id)
            eeg = group.create_dataset(
                "eeg", data=data, chunks=(data.shape[0], min(data.shape[1], int(meta.sfreq)))
            )
            eeg.attrs["chOrder"] = [n.upper() for n in meta.channel_names]
            eeg.attrs["rsFreq"] = meta.sfreq
            eeg.attrs["lFreq"] = float(pre.get("l_freq") or 0.0)
            eeg.attrs["hFreq"] = float(pre.get("h_freq") or meta.sfreq / 2)
            for key in ("subject", "session", "split"):
                group.attrs[key] = getattr(meta, key)
            if meta.label is not None:
                group.attrs["label"] = meta.label
    os.replace(tmp, out)
    return {"layout": "labram", "file": str(out), "recordings": len(metas)}


def _export_luna(
    src, out: Path, split, window_seconds: float, group_size: int, overwrite: bool
) -> dict[str, Any]:
    import h5py

    from neurokit.core.data.dataset import WindowDataset
    from neurokit.core.data.ids import check_split

    splits = [split] if isinstance(split, str) else list(split or src.splits())
    out.mkdir(parents=True, exist_ok=True)
    labelled = src.schema.label_kind != "none"
    window = None if src.schema.label_kind == "events" else window_seconds
    written: dict[str, int] = {}
    for name in splits:
        check_split(name, f"{src.location}")
        target = out / f"{name}.h5"
        if target.resolve().parent != out.resolve():  # never write outside --out
            raise DataError(f"{src.location}: split {name!r} would be written outside {out}")
        if target.exists() and not overwrite:
            raise DataError(f"{target}: exists (pass overwrite to replace it)")
        view = WindowDataset(
            src, split=name, window_seconds=window, stride_seconds=window, cache="none"
        )
        tmp = target.with_name(target.name + ".partial")
        channel_names: list[str] | None = None
        with h5py.File(tmp, "w") as f:
            batch_x, batch_y, k = [], [], 0
            for i in range(len(view)):
                item = view[i]
                if channel_names is None:
                    channel_names = list(item.channel_names)
                elif list(item.channel_names) != channel_names:
                    raise DataError(
                        f"{src.location}: recording {item.recording} has channels {list(item.channel_names)}, "
                        f"not {channel_names}; the LUNA layout needs one channel set per file"
                    )
                batch_x.append(np.asarray(item.signal, dtype=np.float32))
                batch_y.append(item.label if item.label is not None else -1)
                if len(batch_x) == group_size or i == len(view) - 1:
                    if len({x.shape for x in batch_x}) > 1:
                        raise DataError(
                            f"{src.location}: windows of different lengths; set window_seconds"
                        )
                    group = f.create_group(f"data_group_{k}")
                    group.create_dataset("X", data=np.stack(batch_x))
                    if labelled:
                        group.create_dataset("y", data=np.asarray(batch_y))
                    batch_x, batch_y, k = [], [], k + 1
            f.attrs["channel_names"] = channel_names or []
            f.attrs["sfreq"] = float(src.schema.sfreq or 0)
        os.replace(tmp, target)
        written[name] = len(view)
    return {"layout": "luna", "folder": str(out), "windows": written}


# ------------------------------------------------------------------------ CLI glue


def _split_list(text: str | None) -> list[str] | None:
    return [s for s in re.split(r"[,\s]+", text) if s] if text else None


def run_import_cli(
    paths, out, layout, dataset, sfreq, channels, classes, dtype, overwrite, as_json
) -> None:
    """`neurokit store import-hdf5`: import, then print a one-line (or JSON) summary."""
    from neurokit import console

    summary = import_hdf5(
        paths, out, layout=layout, dataset=dataset, sfreq=sfreq, channels=_split_list(channels),
        class_names=_split_list(classes), dtype=dtype, overwrite=overwrite,
    )  # fmt: skip
    if as_json:
        console.print_json(summary.to_dict())
        return
    print(
        f"imported {summary.recordings} recordings ({summary.windows} windows, "
        f"{summary.seconds / 3600:.3f} h) from {summary.layout} HDF5 into {summary.store}"
        + (f"; skipped {len(summary.skipped)}" if summary.skipped else "")
    )


def run_export_cli(
    store, out, layout, split, window_seconds, group_size, overwrite, as_json
) -> None:
    """`neurokit store export-hdf5`: export, then print what was written."""
    from neurokit import console

    result = export_hdf5(
        store, out, layout, list(split) or None, window_seconds, group_size, overwrite
    )
    if as_json:
        console.print_json(result)
    elif layout == "labram":
        print(f"wrote {result['recordings']} recordings to {result['file']} (LaBraM layout)")
    else:
        counts = ", ".join(f"{k}: {v}" for k, v in result["windows"].items())
        print(f"wrote LUNA-layout windows to {result['folder']} ({counts})")
