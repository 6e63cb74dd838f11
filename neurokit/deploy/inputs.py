"""Raw recordings into a trained model's signal contract, and the inputs `predict` accepts.

`prepare_input` applies the run's preprocessing (the store's recorded profile, through
`core.data.preprocess.prepare_raw`, the code `neurokit prepare` runs) restricted to the
model's channels in the model's order: a missing channel is a DataError naming it,
extra channels are dropped. `find_inputs` turns a path (EDF/BDF/FIF/... file, BIDS
dataset, folder of recordings, or a neurokit store) into recordings read lazily, so a
bad file is skipped with its reason as `prepare` skips it.
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


@dataclass
class InputRecording:
    """One recording to run: its name and a reader giving (C, T) microvolts in model order."""

    name: str
    read: Callable[[], np.ndarray]
    where: str


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
    path: str | Path, model: TrainedModel, problems: list[tuple[str, str]] | None = None
) -> list[InputRecording]:
    """Recordings under `path`: a file, a BIDS dataset or folder, or a neurokit store.

    Unreadable folders are appended to `problems` as (folder, reason).
    """
    path = Path(path)
    problems = problems if problems is not None else []
    if not path.exists():
        raise DataError(f"input {str(path)!r} does not exist")
    if _is_store(path):
        from neurokit.core.data.store import open_store

        store = open_store(path)
        return [
            InputRecording(rid, _store_reader(store, rid, model), f"{path}:{rid}")
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
