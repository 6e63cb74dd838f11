"""LaBraM's HDF5 layout (`dataset.hdf5` of its `dataset_maker/`), for `store import-hdf5`/`export-hdf5`.

One group per recording with a dataset `eeg` (channels x samples, uV) whose
attributes carry `chOrder`, `rsFreq`, `lFreq`, `hFreq`. Each group imports as one
unlabelled recording; export writes one group per recording with `eeg` and those
attributes plus neurokit's subject, session, split and label.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from neurokit.core.data.hdf5 import channel_names, jsonable, open_hdf5
from neurokit.core.errors import DataError
from neurokit.core.family import Hdf5Layout


def detect(path: Path) -> bool:
    """Groups holding an `eeg` dataset."""
    with open_hdf5(path) as f:
        keys = [k for k in f if k != "index_map"]
        first = f[keys[0]] if keys else None
        return hasattr(first, "keys") and "eeg" in first


def iterate(path: Path, sfreq: float | None, channels: list[str] | None):
    from neurokit.core.interfaces import Recording, RecordingSource

    with open_hdf5(path) as f:
        for name in sorted(f.keys()):
            where = f"{path}:{name}"
            node = f[name]
            if not hasattr(node, "keys") or "eeg" not in node:
                raise DataError(f"{where}: group has no `eeg` dataset (LaBraM layout)")
            eeg = node["eeg"]
            if eeg.ndim != 2:
                raise DataError(f"{where}/eeg: expected (channels, samples), got shape {eeg.shape}")
            names = channels or channel_names(
                eeg.attrs.get("chOrder"), f"{where}/eeg (attribute chOrder)"
            )
            rate = sfreq or float(eeg.attrs.get("rsFreq", 0) or 0)
            if not rate:
                raise DataError(f"{where}/eeg: no rsFreq attribute; pass the sampling rate")
            if len(names) != eeg.shape[0]:
                raise DataError(f"{where}/eeg: {eeg.shape[0]} rows but {len(names)} channel names")
            source = RecordingSource(path=path, recording_id=name, subject=name, split="train")
            extra = {k: jsonable(v) for k, v in eeg.attrs.items() if k != "chOrder"}
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


def export(src, out: Path, split=None, overwrite: bool = False, **_: Any) -> dict[str, Any]:
    """One file `out`; one group per recording."""
    if out.exists() and not overwrite:
        raise DataError(f"{out}: exists (pass overwrite to replace it)")
    return _export_labram(src, out, split)


def _export_labram(src, out: Path, split) -> dict[str, Any]:
    pre = src.schema.preprocessing
    metas = src.select(split)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with open_hdf5(tmp, "w") as f:
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


LAYOUT = Hdf5Layout(
    "labram",
    title="LaBraM",
    description="groups with `eeg` (LaBraM)",
    detect=detect,
    iterate=iterate,
    export=export,
)
