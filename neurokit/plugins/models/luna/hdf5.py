"""LUNA's HDF5 layouts (BioFoundation `make_datasets/`), for `store import-hdf5`/`export-hdf5`.

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
  `channels=` to override. Files written by `export` carry a `channel_names`
  file attribute, which is used when present.
- `luna` (export): per split `{split}.h5`, `data_group_k/X,y` windows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from neurokit.core.data.hdf5 import channel_names, decode_text, group_order, open_hdf5
from neurokit.core.errors import DataError
from neurokit.core.family import Hdf5Layout

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


def _first_group(path: Path) -> tuple[str, bool, bool]:
    with open_hdf5(path) as f:
        keys = [k for k in f if k != "index_map"]
        if not keys:
            return "", False, False
        first = f[keys[0]]
        return keys[0], hasattr(first, "keys") and "X" in first, "channel_names" in f.attrs


def detect_finetune(path: Path) -> bool:
    """Groups `data_group_k` holding `X`."""
    name, has_x, _ = _first_group(path)
    return has_x and name.startswith("data_group")


def detect_pretrain(path: Path) -> bool:
    """A file attribute `channel_names` and groups (not `data_group_k`) holding `X`."""
    name, has_x, named = _first_group(path)
    return has_x and named and not name.startswith("data_group")


def _split_of(path: Path) -> str:
    stem = path.stem.lower()
    if stem not in _SPLIT_FILES:
        raise DataError(
            f"{path}: a LUNA fine-tuning file must be named train.h5, val.h5 or test.h5"
        )
    return _SPLIT_FILES[stem]


def _iter_luna_pretrain(path: Path, sfreq: float | None, channels: list[str] | None):
    from neurokit.core.interfaces import Recording, RecordingSource

    with open_hdf5(path) as f:
        file_names = channels or channel_names(
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
                    "montage": decode_text(node.attrs.get("montage_name", "")),
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
    with open_hdf5(path) as f:
        if channels is None and len(f.attrs.get("channel_names", [])):  # written by export_hdf5
            channels = channel_names(f.attrs["channel_names"], f"{path} (attribute channel_names)")
        for name in sorted((k for k in f if k != "index_map"), key=group_order):
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


def export(
    src,
    out: Path,
    split=None,
    window_seconds: float = 5.0,
    group_size: int = 1000,
    overwrite: bool = False,
) -> dict[str, Any]:
    """A folder `out` with `{split}.h5` per split."""
    return _export_luna(src, out, split, window_seconds, group_size, overwrite)


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


PRETRAIN = Hdf5Layout(
    "luna-pretrain",
    title="LUNA",
    description="groups with `X` + file attr `channel_names` (LUNA pretraining)",
    detect=detect_pretrain,
    iterate=_iter_luna_pretrain,
)
FINETUNE = Hdf5Layout(
    "luna-finetune",
    title="LUNA",
    description="`data_group_k/X,y` (LUNA fine-tuning)",
    detect=detect_finetune,
    iterate=_iter_luna_finetune,
    labelled=True,
)
EXPORT = Hdf5Layout("luna", title="LUNA", description="per split `{split}.h5`", export=export)
LAYOUTS = (PRETRAIN, FINETUNE, EXPORT)
