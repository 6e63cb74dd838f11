"""`neurokit predict`: per-window class probabilities over raw recordings or a store.

Each recording is read and preprocessed as the run's store was (`inputs.prepare_input`),
cut into the evaluation windows (a store's event windows, with a `true_label` column,
for an event-labelled store), and scored; one row per window (recording, start and
end in seconds, one probability column per class, the predicted label) plus one
summary row per recording (windows, mean probability per class, the label of the
highest mean). A recording that cannot be used is skipped with its reason.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from neurokit.core.errors import ConfigError, DataError
from neurokit.deploy.inputs import InputRecording, recording_windows
from neurokit.deploy.trained import TrainedModel

Table = dict[str, list[Any]]  # column -> values


@dataclass
class Predictions:
    """Per-window rows, per-recording summary rows, and the recordings skipped (name, reason)."""

    windows: Table
    summary: Table
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _columns(model: TrainedModel) -> list[str]:
    if model.mode == "regression":
        return ["value"]
    return [f"prob_{name}" for name in model.classes]


def predict_recording(
    model: TrainedModel, data: np.ndarray, batch_size: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """(window starts in samples, probabilities (N, K)) for one prepared recording, windowed
    and scaled as `predict` does it."""
    rec = InputRecording("recording", lambda: data, "recording")
    starts, probs, _ = _predict_input(model, rec, batch_size)
    return starts, probs


def _predict_input(
    model: TrainedModel, rec: InputRecording, batch_size: int
) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """(starts, probabilities, true labels or None) over one input recording's windows."""
    starts, probs, truth = [], [], []
    for chunk, windows, labels in recording_windows(rec, model, batch_size):
        x = torch.from_numpy(windows).to(model.device)
        starts.append(chunk)
        probs.append(model.predict_windows(x).cpu().numpy())
        if labels is not None:
            truth += labels
    if not starts:
        width = len(_columns(model))
        return np.zeros(0, dtype=np.int64), np.zeros((0, width), dtype=np.float32), None
    return np.concatenate(starts), np.concatenate(probs), truth if rec.events else None


def predict(
    model: TrainedModel,
    inputs: list[InputRecording],
    batch_size: int = 64,
    on_recording: Callable[[str, str | None], None] | None = None,
) -> Predictions:
    """Score every recording; `on_recording(name, reason or None)` after each (progress)."""
    columns = _columns(model)
    windows: Table = {"recording": [], "start_s": [], "end_s": [], **{c: [] for c in columns}}
    summary: Table = {"recording": [], "windows": [], **{f"mean_{c}": [] for c in columns}}
    if model.mode != "regression":
        windows["label"] = []
        summary["label"] = []
    events = any(rec.events is not None for rec in inputs)
    if events:  # a store whose windows come from events: its labels beside the predictions
        windows["true_label"] = []
    skipped: list[tuple[str, str]] = []
    seconds = model.window_samples / model.sfreq
    for rec in inputs:
        try:
            starts, probs, truth = _predict_input(model, rec, batch_size)
            if not len(starts):
                what = "no events" if rec.events else f"shorter than one {seconds:g} s window"
                raise DataError(f"{rec.where}: {what}")
        except DataError as exc:
            skipped.append((rec.name, str(exc)))
            if on_recording:
                on_recording(rec.name, str(exc))
            continue
        begin = starts / model.sfreq
        windows["recording"] += [rec.name] * len(starts)
        windows["start_s"] += begin.tolist()
        windows["end_s"] += (begin + seconds).tolist()
        for j, column in enumerate(columns):
            windows[column] += probs[:, j].astype(float).tolist()
        if events:
            windows["true_label"] += truth if truth is not None else [""] * len(starts)
        mean = probs.mean(axis=0)
        summary["recording"].append(rec.name)
        summary["windows"].append(len(starts))
        for j, column in enumerate(columns):
            summary[f"mean_{column}"].append(float(mean[j]))
        if model.mode != "regression":
            windows["label"] += [model.classes[k] for k in probs.argmax(axis=1)]
            summary["label"].append(model.classes[int(mean.argmax())])
        if on_recording:
            on_recording(rec.name, None)
    return Predictions(windows, summary, skipped)


def summary_path(out: Path) -> Path:
    """Where the per-recording summary goes beside `out` (`x.csv` -> `x.summary.csv`)."""
    return out.with_name(f"{out.stem}.summary{out.suffix}")


def check_output(out: str | Path) -> Path:
    """The output path, refused early if its format cannot be written here."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in {".csv", ".parquet"}:
        raise ConfigError(f"--out {str(out)!r}: write .csv or .parquet")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ConfigError(
                "--out .parquet needs pyarrow (pip install 'neurokit[deploy]'), or write .csv"
            ) from None
    return out


def write_table(table: Table, out: Path) -> Path:
    """Write a column table as CSV or Parquet (by suffix), atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if out.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(table), tmp)
    else:
        names = list(table)
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            writer.writerows(zip(*(table[n] for n in names), strict=True))
    tmp.replace(out)
    return out


def read_table(path: str | Path) -> Table:
    """A table `write_table` wrote (CSV values come back as text)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pydict()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}
