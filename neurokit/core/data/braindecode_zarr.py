"""braindecode's hub Zarr format <-> neurokit stores (`store import-braindecode` / `export-braindecode`).

The format is the one `BaseConcatDataset.push_to_hub` uploads and
`braindecode.datautil.hub_formats.convert_to_zarr` writes (braindecode 1.8; the
`braindecode/tuab`-style hub datasets), read from braindecode's own code:

    dataset.zarr/                      Zarr v3 group; attrs: n_datasets, dataset_type
                                       (RawDataset | EEGWindowsDataset | WindowsDataset),
                                       library versions, *_kwargs of the pipeline
      recording_<i>/                   attrs: description (pandas Series as JSON),
                                       info (mne `Info.to_json_dict()`, NaN as null),
                                       target_name | targets_from + last_target_only
        data                           float32, SI units (V, T, T/m): (channels, times),
                                       or (windows, channels, times) for WindowsDataset
        metadata.tsv                   windows (not RawDataset): index, i_window_in_trial,
                                       [i_trial_in_dataset,] i_start_in_trial,
                                       i_stop_in_trial, target

A hub download holds it at `sourcedata/<pipeline>/dataset.zarr` (older:
`derivatives/...`); either path, or the `.zarr` itself, is accepted.

Import: continuous data become recordings (units converted per channel type:
sensors.py), windows become events with their target as label (`label_kind=events`),
a RawDataset's `description[target_name]` the recording label. Pre-cut windows
(WindowsDataset) are laid end to end, one event each. Types, units and sensor
positions come from the stored mne Info.

Export writes the same layout without importing braindecode (which needs
torchaudio, absent for some torch builds): one EEGWindowsDataset per recording
whose events are its windows (event-labelled stores), else one RawDataset per
recording with its label as `description["target"]`. braindecode requires one
channel list and one rate for the whole dataset; an edge window that wraps
(TUEV) is shifted inside its recording, since braindecode windows cannot wrap.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurokit.core.errors import DataError

TYPES = ("RawDataset", "EEGWindowsDataset", "WindowsDataset")
WINDOW_COLUMNS = ("i_window_in_trial", "i_start_in_trial", "i_stop_in_trial", "target")
SPLIT_NAMES = {"train": "train", "valid": "val", "val": "val", "validation": "val",
               "test": "test", "eval": "test"}  # fmt: skip


@dataclass
class BraindecodeSummary:
    """What an import or export did."""

    store: str
    path: str
    dataset_type: str
    recordings: int = 0
    windows: int = 0
    seconds: float = 0.0
    shifted: int = 0
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "path": self.path,
            "dataset_type": self.dataset_type,
            "recordings": self.recordings,
            "windows": self.windows,
            "hours": round(self.seconds / 3600, 4),
            "shifted_edge_windows": self.shifted,
            "skipped": self.skipped,
        }


# ------------------------------------------------------------------------ reading


def find_zarr(path: str | os.PathLike) -> Path:
    """The `dataset.zarr` of a path: itself, or inside a hub download folder."""
    root = Path(path)
    candidates = [root] + [root / d / p / "dataset.zarr" for d in ("sourcedata", "derivatives")
                           for p in sorted(x.name for x in (root / d).glob("*"))] + [
        root / "dataset.zarr"
    ]  # fmt: skip
    for candidate in candidates:
        meta = candidate / "zarr.json"
        if meta.is_file():
            try:
                attrs = json.loads(meta.read_text()).get("attributes", {})
            except (OSError, ValueError):
                continue
            if "n_datasets" in attrs and "dataset_type" in attrs:
                return candidate
    raise DataError(
        f"{root}: not a braindecode Zarr dataset (no zarr.json with n_datasets/dataset_type here, "
        "in sourcedata/*/dataset.zarr or in dataset.zarr)"
    )


def _restore_nan(obj: Any) -> Any:
    """braindecode writes NaN in numeric lists as null; give mne its NaN back."""
    if isinstance(obj, dict):
        return {k: _restore_nan(v) for k, v in obj.items()}
    if isinstance(obj, list):
        if obj and all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                       for v in obj):  # fmt: skip
            return [math.nan if v is None else v for v in obj]
        return [_restore_nan(v) for v in obj]
    return obj


def _info(attrs: dict[str, Any], where: str) -> Any:
    import mne

    raw = attrs.get("info")
    if not isinstance(raw, dict):
        raise DataError(f"{where}: no mne `info` attribute")
    try:
        return mne.Info.from_json_dict(_restore_nan(raw))
    except Exception as exc:
        raise DataError(f"{where}: unreadable mne info ({type(exc).__name__}: {exc})") from None


def _read_windows(path: Path, where: str) -> list[dict[str, str]]:
    if not path.is_file():
        raise DataError(f"{where}: no metadata.tsv (windows of a {where} dataset)")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    if not rows:
        raise DataError(f"{path}: empty")
    header = rows[0]
    missing = [c for c in ("i_start_in_trial", "i_stop_in_trial", "target") if c not in header]
    if missing:
        raise DataError(f"{path}: no column(s) {', '.join(missing)} (has {', '.join(header[1:])})")
    out = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise DataError(
                f"{path}: line {lineno}: {len(row)} fields, the header has {len(header)}"
            )
        out.append(dict(zip(header, row, strict=True)))
    return out


def _target_value(text: Any) -> Any:
    """A metadata/description target as a sortable python value (bool, number or text)."""
    if isinstance(text, bool | int | float) or text is None:
        return None if isinstance(text, float) and math.isnan(text) else text
    value = str(text).strip()
    if value.lower() in {"", "nan", "n/a", "none"}:
        return None
    if value in {"True", "False"}:
        return value == "True"
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def _class_names(values: set[Any]) -> list[Any]:
    return sorted(values, key=lambda v: (isinstance(v, str), v if not isinstance(v, str) else 0,
                                         str(v)))  # fmt: skip


def _split(description: dict[str, Any]) -> str:
    for key in ("split", "set"):
        if key in description and str(description[key]).lower() in SPLIT_NAMES:
            return SPLIT_NAMES[str(description[key]).lower()]
    if isinstance(description.get("train"), bool):
        return "train" if description["train"] else "test"
    return "train"


def import_braindecode(
    path: str | os.PathLike,
    out: str | os.PathLike,
    dataset: str | None = None,
    dtype: str = "float32",
    overwrite: bool = False,
) -> BraindecodeSummary:
    """Import a braindecode hub Zarr dataset into the neurokit store `out` (resumable)."""
    import zarr

    from neurokit.core.data.channels import normalise_channel_names
    from neurokit.core.data.schema import StoreSchema, safe_id
    from neurokit.core.data.sensors import MEG_TYPES, raw_types_units
    from neurokit.core.data.writer import StoreWriter
    from neurokit.core.interfaces import Event, Recording, RecordingSource

    source = find_zarr(path)
    root = zarr.open_group(str(source), mode="r")
    kind = str(root.attrs["dataset_type"])
    if kind not in TYPES:
        raise DataError(f"{source}: dataset_type {kind!r} is not one of {', '.join(TYPES)}")
    n = int(root.attrs["n_datasets"])
    # pass 1: labels (class order must be known before the first write)
    targets: set[Any] = set()
    groups = []
    for i in range(n):
        name = f"recording_{i}"
        if name not in root:
            raise DataError(f"{source}: {name} missing (n_datasets = {n})")
        group = root[name]
        attrs = dict(group.attrs)
        desc = dict(attrs.get("description") or {})
        windows = None
        if kind != "RawDataset":
            windows = _read_windows(source / name / "metadata.tsv", f"{source}/{name}")
            targets |= {v for v in (_target_value(w["target"]) for w in windows) if v is not None}
        elif attrs.get("target_name"):
            value = _target_value(desc.get(attrs["target_name"]))
            if value is not None:
                targets.add(value)
        groups.append((name, group, attrs, desc, windows))
    classes = _class_names(targets)
    label_kind = "none" if not classes else ("recording" if kind == "RawDataset" else "events")
    schema = StoreSchema(
        dataset=dataset
        or f"braindecode-{source.parent.name if source.name == 'dataset.zarr' else source.stem}",
        dtype=dtype,
        preprocessing={"source": f"braindecode:{kind}"},
        class_names=[str(c) for c in classes],
        label_kind=label_kind,
    )
    writer = StoreWriter(out)
    writer.create(schema, overwrite=overwrite)
    done = writer.completed()
    summary = BraindecodeSummary(store=str(out), path=str(source), dataset_type=kind)
    import mne

    for name, group, attrs, desc, windows in groups:
        where = f"{source}/{name}"
        rid = safe_id(name)
        if rid in done:
            summary.skipped.append(f"{rid}: already in the store")
            continue
        info = _info(attrs, where)
        shell = mne.io.RawArray(np.zeros((info["nchan"], 1)), info, verbose="error")
        types, units, factors = raw_types_units(shell)
        data = np.asarray(group["data"][:], dtype=np.float64)
        events = []
        if kind == "WindowsDataset":
            if data.ndim != 3:
                raise DataError(f"{where}: WindowsDataset data has shape {data.shape}")
            n_win, _, t = data.shape
            data = data.transpose(1, 0, 2).reshape(data.shape[1], n_win * t)
            spans = [(k * t, t, w["target"]) for k, w in enumerate(windows)]
        else:
            if data.ndim != 2:
                raise DataError(f"{where}: {kind} data has shape {data.shape}")
            spans = [
                (int(w["i_start_in_trial"]), int(w["i_stop_in_trial"]) - int(w["i_start_in_trial"]),
                 w["target"]) for w in windows or []
            ]  # fmt: skip
        for start, length, target in spans:
            value = _target_value(target)
            if value is not None and length > 0:
                events.append(Event(start=start, length=length, label=classes.index(value)))
        label = None
        if kind == "RawDataset" and attrs.get("target_name"):
            value = _target_value(desc.get(attrs["target_name"]))
            label = classes.index(value) if value is not None else None
        elif events and len({e.label for e in events}) == 1:
            label = events[0].label  # every window of the recording has one target
        positions = orientations = None
        locs = np.array([ch["loc"][:12] for ch in info["chs"]], dtype=np.float64)
        known = np.isfinite(locs[:, :3]).all(axis=1) & np.any(locs[:, :3] != 0, axis=1)
        meg = np.array([t in MEG_TYPES for t in types])
        if (known & meg).any():
            positions = np.where((known & meg)[:, None], locs[:, :3], np.nan)
            orientations = np.where((known & meg)[:, None], locs[:, 3:12], np.nan)
        recording = Recording(
            source=RecordingSource(
                path=Path(where),
                recording_id=name,
                subject=str(desc.get("subject", "")),
                session=str(desc.get("session", "")),
                split=_split(desc),
                label=label,
                extra={"description": desc},
            ),  # fmt: skip
            data=np.ascontiguousarray(data * factors[:, None], dtype=np.float32),
            channel_names=normalise_channel_names(info["ch_names"]),
            sfreq=float(info["sfreq"]),
            events=events,
            channel_types=types,
            units=units,
            positions=positions,
            sensors={
                "position_source": "file",
                "position_space": "MEG device",
                "orientations": orientations,
            }
            if positions is not None
            else {},  # fmt: skip
        )
        result = writer.write(recording, checksum="", dtype=dtype)
        done.add(result.id)
        summary.recordings += 1
        summary.windows += len(events)
        summary.seconds += result.seconds
    writer.finalize()
    return summary


# ------------------------------------------------------------------------ writing

_SI_FACTOR = {"uV": 1e-6, "fT": 1e-15, "fT/cm": 1e-13}


def _json_info(info: Any) -> dict[str, Any]:
    """mne Info -> the strict JSON braindecode stores (NaN in numeric lists as null)."""

    def clean(obj: Any, in_numbers: bool = False) -> Any:
        if isinstance(obj, np.ndarray):
            obj = obj.tolist()
        if isinstance(obj, dict):
            return {k: clean(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            numeric = bool(obj) and all(
                isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
                for v in obj
            )
            return [clean(v, numeric) for v in obj]
        if isinstance(obj, bool | np.bool_):
            return bool(obj)
        if isinstance(obj, int | np.integer):
            return int(obj)
        if isinstance(obj, float | np.floating):
            value = float(obj)
            if math.isnan(value):
                if in_numbers:
                    return None
                raise DataError("mne info holds a NaN outside a numeric list")
            return value
        return obj

    return clean(info.to_json_dict())


def _mne_info(store: Any, rid: str) -> Any:
    import mne

    ch = store.channels(rid)
    meta = store.recordings[rid]
    types = list(ch.types)
    info = mne.create_info(list(ch.names), meta.sfreq, types, verbose="error")
    for i, entry in enumerate(info["chs"]):
        if ch.known[i] and ch.sources[i] != "template":
            entry["loc"][:3] = ch.positions[i]
        if ch.orientations is not None and np.isfinite(ch.orientations[i]).all():
            entry["loc"][3:12] = ch.orientations[i]
    if ch.bad:
        info["bads"] = [b for b in ch.bad if b in ch.names]
    return info, ch


def export_braindecode(
    store_path: str | os.PathLike,
    out: str | os.PathLike,
    split: list[str] | None = None,
    overwrite: bool = False,
) -> BraindecodeSummary:
    """Write a neurokit store as a braindecode hub Zarr dataset at `out` (a `.zarr` folder)."""
    import mne
    import zarr
    from zarr.codecs import ZstdCodec

    from neurokit import __version__
    from neurokit.core.data.store import open_store

    store = open_store(store_path)
    metas = sorted(store.select(split), key=lambda m: m.id)
    if not metas:
        raise DataError(f"{store.location}: no recordings to export")
    first = metas[0]
    for meta in metas[1:]:
        if meta.channel_names != first.channel_names or meta.sfreq != first.sfreq:
            raise DataError(
                f"{store.location}: recording {meta.id} has channels/rate {meta.channel_names} "
                f"@ {meta.sfreq:g} Hz, not {first.channel_names} @ {first.sfreq:g} Hz; braindecode's "
                "Zarr format needs one channel list and one rate (export one split or channel set)"
            )
    events_mode = store.schema.label_kind in {"events", "majority"}
    kind = "EEGWindowsDataset" if events_mode else "RawDataset"
    target = Path(out)
    if target.exists():
        if not overwrite:
            raise DataError(f"{target}: exists (pass --overwrite to replace it)")
        shutil.rmtree(target)
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    root = zarr.open_group(str(tmp), mode="w")
    root.attrs.update({
        "n_datasets": len(metas), "dataset_type": kind, "mne_version": mne.__version__,
        "numpy_version": np.__version__, "zarr_version": zarr.__version__,
        "neurokit_version": __version__, "neurokit_dataset": store.schema.dataset,
    })  # fmt: skip
    summary = BraindecodeSummary(store=store.location, path=str(target), dataset_type=kind)
    names = store.class_names
    for i, meta in enumerate(metas):
        info, ch = _mne_info(store, meta.id)
        scale = np.array([_SI_FACTOR.get(u, 1.0) for u in ch.units])[:, None]
        data = (store.read(meta.id).astype(np.float64) * scale).astype(np.float32)
        group = root.create_group(f"recording_{i}")
        per_chunk = max(1, min(data.shape[1], 5_000_000 // max(1, data.shape[0])))
        group.create_array("data", data=data, chunks=(data.shape[0], per_chunk),
                           compressors=(ZstdCodec(level=5),))  # fmt: skip
        description = {"subject": meta.subject, "session": meta.session, "recording": meta.id,
                       "split": meta.split}  # fmt: skip
        attrs: dict[str, Any] = {"info": _json_info(info)}
        if events_mode:
            rows = []
            for k, (start, length, label, _) in enumerate(store.events(meta.id).tolist()):
                if length > meta.n_samples:
                    summary.skipped.append(f"{meta.id}: event {k} longer than the recording")
                    continue
                if start < 0 or start + length > meta.n_samples:
                    start = min(max(start, 0), meta.n_samples - length)
                    summary.shifted += 1
                rows.append((len(rows), start, start + length, int(label)))
            _write_windows(tmp / f"recording_{i}" / "metadata.tsv", rows)
            attrs.update(targets_from="metadata", last_target_only=True)
            summary.windows += len(rows)
        else:
            if meta.label is not None:
                description["target"] = meta.label
                description["target_class"] = (
                    names[meta.label] if isinstance(meta.label, int) and meta.label < len(names)
                    else str(meta.label)
                )  # fmt: skip
                attrs["target_name"] = "target"
        attrs["description"] = description
        group.attrs.update(attrs)
        summary.recordings += 1
        summary.seconds += meta.seconds
    os.replace(tmp, target)
    return summary


def _write_windows(path: Path, rows: list[tuple[int, int, int, int]]) -> None:
    """metadata.tsv as pandas writes it (`to_csv(sep="\\t", index=True)`)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["", *WINDOW_COLUMNS])
        for k, row in enumerate(rows):
            writer.writerow([k, *row])
