"""Raw recordings into a trained model's signal contract, and the inputs `predict` accepts.

`prepare_input` applies the run's preprocessing (the store's recorded profile, through
`core.data.preprocess.prepare_raw`, the code `neurokit prepare` runs) restricted to the
model's channels in the model's order: a missing channel is a DataError naming it,
extra channels are dropped. `find_inputs` turns a path (EDF/BDF/FIF/... file, BIDS
dataset, folder of recordings, or a neurokit store) into recordings read lazily, so a
bad file is skipped with its reason as `prepare` skips it.

A store is used as evaluation uses it: its preprocessing record must match the run's
(`profile_differences`), and a store whose windows come from events (TUEV-like) is
cut at its events, as `WindowDataset` cuts them, with their labels beside the
predictions; other stores and raw files get the evaluation's sliding windows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neurokit.core.data.dataset import window_starts  # the windows evaluation cuts
from neurokit.core.errors import DataError

if TYPE_CHECKING:
    from neurokit.deploy.trained import TrainedModel

# BIDS recordings are `<entities>_<datatype>.<ext>` under sub-*/[ses-*/]<datatype>/
_BIDS_DATATYPES = ("_eeg", "_ieeg", "_meg")


def _deploy_profile(model: TrainedModel, where: str):
    """The run's preprocessing for whole recordings: its channels, nothing cropped."""
    from neurokit.core.data.preprocess import Preprocessing

    if model.profile is None:
        raise DataError(
            f"{where}: run {str(model.run_dir)!r} records no preprocessing profile (its store "
            "is gone or predates the record); predict on a prepared store instead"
        )
    update: dict[str, Any] = {
        "drop_first_seconds": 0.0,
        "drop_last_seconds": 0.0,
        "min_seconds": model.window_seconds,
    }
    if model.profile.montage == "referential":
        update.update(channels=list(model.channels), required=list(model.channels))
    return Preprocessing(**{**model.profile.model_dump(), **update})


def select_channels(
    data: np.ndarray, names: list[str], wanted: list[str], where: str
) -> np.ndarray:
    """Rows of `data` in the order of `wanted`; missing names are one DataError."""
    index = {n: i for i, n in enumerate(names)}
    missing = [n for n in wanted if n not in index]
    if missing:
        raise DataError(
            f"{where}: missing channels the model needs: {', '.join(missing)} "
            f"(has {', '.join(names)})"
        )
    return np.ascontiguousarray(data[[index[n] for n in wanted]], dtype=np.float32)


def prepare_input(raw: Any, model: TrainedModel, where: str = "recording") -> np.ndarray:
    """An mne Raw (preloaded; changed in place) -> (channels, samples) microvolts for `model`."""
    from neurokit.core.data.preprocess import prepare_raw

    cfg = _deploy_profile(model, where)
    prepared = prepare_raw(raw, cfg, where)
    if abs(prepared.sfreq - model.sfreq) > 1e-6:
        raise DataError(
            f"{where}: preprocessed to {prepared.sfreq:g} Hz but the model runs at "
            f"{model.sfreq:g} Hz (the run's profile keeps the native rate)"
        )
    return select_channels(prepared.data, prepared.names, model.channels, where)


# Preprocessing values that change the samples a model sees; the others (channel lists,
# renames, crops, flatness thresholds) decide which recordings or channels are kept.
SIGNAL_FIELDS = (
    "sfreq", "montage", "l_freq", "h_freq", "notch", "units", "types", "bad_channels",
    "gradient_compensation", "bad_z", "dtype",
)  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)))
    return a == b


def profile_differences(model: TrainedModel, recorded: dict[str, Any]) -> list[str]:
    """`field (run X, store Y)` for every signal-changing preprocessing value that differs.

    Only fields the store records are compared (stores converted from other formats
    record little); no run profile means nothing to compare.
    """
    if model.profile is None or not recorded:
        return []
    run = model.profile.model_dump(mode="json")
    return [
        f"{key} (run {run.get(key)!r}, store {recorded[key]!r})"
        for key in SIGNAL_FIELDS
        if key in recorded and not _same(run.get(key), recorded[key])
    ]


@dataclass
class InputRecording:
    """One recording to run: its name and a reader giving (C, T) microvolts in model order.

    `events`, for a store whose windows come from events: () -> (window starts in samples,
    possibly outside the recording, where evaluation wraps; label names).
    """

    name: str
    read: Callable[[], np.ndarray]
    where: str
    events: Callable[[], tuple[np.ndarray, list[str]]] | None = None


def _file_reader(path: Path, model: TrainedModel) -> Callable[[], np.ndarray]:
    def read() -> np.ndarray:
        from neurokit.core.data.rawio import read_raw

        return prepare_input(read_raw(path, preload=True), model, str(path))

    return read


def _store_reader(store: Any, rid: str, model: TrainedModel) -> Callable[[], np.ndarray]:
    def read() -> np.ndarray:
        meta = store.recordings[rid]
        where = f"{store.location}:{rid}"
        if abs(float(meta.sfreq) - model.sfreq) > 1e-6:
            raise DataError(f"{where}: {meta.sfreq:g} Hz, the model runs at {model.sfreq:g} Hz")
        data = np.asarray(store.read(rid), dtype=np.float32)
        return select_channels(data, list(meta.channel_names), model.channels, where)

    return read


def check_store_profile(store: Any, model: TrainedModel) -> None:
    """One DataError naming every preprocessing value where the store differs from the run."""
    diffs = profile_differences(model, dict(store.schema.preprocessing or {}))
    if diffs:
        raise DataError(
            f"store {str(store.location)!r} was prepared differently from run "
            f"{str(model.run_dir)!r}: {'; '.join(diffs)}. Predict on the raw recordings (the "
            "run's preprocessing is applied to them), or pass --allow-profile-mismatch"
        )


class _EventWindows:
    """A store's event windows per recording, cut as evaluation cuts them (`WindowDataset`)."""

    def __init__(self, store: Any, model: TrainedModel) -> None:
        self.store, self.model, self._dataset = store, model, None

    def _windows(self):
        if self._dataset is None:
            from neurokit.core.data.dataset import WindowDataset
            from neurokit.core.engine.data import window_seconds

            config, view = self.model.config, self.model.view
            seconds = config.data.eval_window_seconds or (view and view.eval_window_seconds)
            if seconds is None and view is not None:
                seconds = window_seconds(config, view, self.store)
            self._dataset = WindowDataset(
                self.store, None, seconds, None, labels="events", cache="memory"
            )
        return self._dataset

    def reader(self, rid: str) -> Callable[[], tuple[np.ndarray, list[str]]]:
        def events() -> tuple[np.ndarray, list[str]]:
            dataset = self._windows()
            meta = self.store.recordings[rid]
            starts, lengths, labels = dataset._event_windows(meta)
            where = f"{self.store.location}:{rid}"
            if len(lengths) and (lengths != self.model.window_samples).any():
                raise DataError(
                    f"{where}: event windows of {int(lengths[0])} samples, the model reads "
                    f"{self.model.window_samples} (its window: {self.model.window_seconds:g} s)"
                )
            names = self.store.schema.class_names
            return np.asarray(starts, dtype=np.int64), [
                names[int(y)] if 0 <= int(y) < len(names) else str(int(y)) for y in labels
            ]

        return events


def _is_store(path: Path) -> bool:
    return path.is_dir() and (path / "zarr.json").is_file()


def _recording_files(root: Path, problems: list[tuple[str, str]]) -> list[Path]:
    from neurokit.core.data.discovery import find_files
    from neurokit.core.data.rawio import READERS

    files = find_files(root, READERS, problems)
    if (root / "dataset_description.json").is_file():  # BIDS: the raw data files only
        files = [
            f
            for f in files
            if f.stem.lower().endswith(_BIDS_DATATYPES)
            and f.relative_to(root).parts[0] not in ("derivatives", "sourcedata")
        ]
    return files


def find_inputs(
    path: str | Path,
    model: TrainedModel,
    problems: list[tuple[str, str]] | None = None,
    allow_profile_mismatch: bool = False,
) -> list[InputRecording]:
    """Recordings under `path`: a file, a BIDS dataset or folder, or a neurokit store.

    Unreadable folders are appended to `problems` as (folder, reason). A store prepared
    differently from the run is refused unless `allow_profile_mismatch`.
    """
    path = Path(path)
    problems = problems if problems is not None else []
    if not path.exists():
        raise DataError(f"input {str(path)!r} does not exist")
    if _is_store(path):
        from neurokit.core.data.store import open_store

        store = open_store(path)
        if not allow_profile_mismatch:
            check_store_profile(store, model)
        events = _EventWindows(store, model) if store.schema.label_kind == "events" else None
        return [
            InputRecording(
                rid,
                _store_reader(store, rid, model),
                f"{path}:{rid}",
                events.reader(rid) if events else None,
            )  # fmt: skip
            for rid in sorted(store.recordings)
        ]
    if path.is_file():
        return [InputRecording(path.stem, _file_reader(path, model), str(path))]
    files = _recording_files(path, problems)
    if not files:
        raise DataError(
            f"input {str(path)!r} holds no recordings (EDF/BDF/FIF/BrainVision/... files, "
            "a BIDS dataset or a neurokit store)"
        )
    names = _unique_names(files, path)
    return [
        InputRecording(name, _file_reader(f, model), str(f))
        for name, f in zip(names, files, strict=True)
    ]


def _unique_names(files: list[Path], root: Path) -> list[str]:
    """Recording names: file stems, or paths relative to `root` where stems repeat."""
    stems = [f.stem for f in files]
    if len(set(stems)) == len(stems):
        return stems
    return [str(f.relative_to(root).with_suffix("")) for f in files]


def iter_windows(
    data: np.ndarray, model: TrainedModel, batch_size: int = 64
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(starts, windows (B, C, T)) in batches over one prepared recording."""
    starts = window_starts(data.shape[1], model.window_samples, model.stride_samples)
    for i in range(0, len(starts), batch_size):
        chunk = starts[i : i + batch_size]
        yield chunk, np.stack([data[:, s : s + model.window_samples] for s in chunk])


def recording_windows(
    rec: InputRecording, model: TrainedModel, batch_size: int = 64
) -> Iterator[tuple[np.ndarray, np.ndarray, list[str] | None]]:
    """(starts, windows (B, C, T), true labels or None) in batches over one recording.

    Event windows that reach past either end wrap around the recording, as in evaluation.
    """
    data = rec.read()
    model.begin_recording(data)
    try:
        if rec.events is None:
            for starts, windows in iter_windows(data, model, batch_size):
                yield starts, windows, None
            return
        starts, labels = rec.events()
        n, width = data.shape[1], model.window_samples
        for i in range(0, len(starts), batch_size):
            chunk = starts[i : i + batch_size]
            windows = np.stack([np.take(data, np.arange(s, s + width) % n, axis=1) for s in chunk])
            yield chunk, windows, labels[i : i + batch_size]
    finally:
        model.end_recording()
