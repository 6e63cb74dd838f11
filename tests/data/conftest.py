"""Fixtures for the data layer: real EDF files written in tmp dirs, and small stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurokit.core.data.rawio import write_edf
from neurokit.core.data.schema import StoreSchema
from neurokit.core.data.writer import StoreWriter
from neurokit.core.interfaces import Event, Recording, RecordingSource

TUH_23 = ["FP1", "FP2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "F7", "F8",
          "T3", "T4", "T5", "T6", "A1", "A2", "FZ", "CZ", "PZ", "T1", "T2"]  # fmt: skip


def eeg_like(n_channels: int, seconds: float, sfreq: float, seed: int = 0) -> np.ndarray:
    """(C, T) microvolts: 10 Hz alpha + noise, ~20 uV."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sfreq)) / sfreq
    alpha = 15 * np.sin(2 * np.pi * 10 * t + rng.uniform(0, 6, (n_channels, 1)))
    return alpha + 5 * rng.standard_normal((n_channels, t.size))


def make_edf(
    path: Path, names=None, seconds: float = 20, sfreq: float = 250, data=None, seed: int = 0
) -> Path:
    names = list(names or [f"EEG {n}-REF" for n in TUH_23])
    if data is None:
        data = eeg_like(len(names), seconds, sfreq, seed)
    return write_edf(path, data, sfreq, names)


@pytest.fixture
def edf_factory(tmp_path):
    def factory(name: str = "rec.edf", **kwargs) -> Path:
        return make_edf(tmp_path / name, **kwargs)

    return factory


def fake_recording(rid: str, names: list[str], seconds: float = 30, sfreq: float = 200, split="train",
                   label=0, events=(), seed=0) -> Recording:  # fmt: skip
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((len(names), int(seconds * sfreq))).astype(np.float32) * 10
    source = RecordingSource(
        Path(f"/raw/{rid}.edf"), rid, subject=f"s-{rid}", split=split, label=label
    )
    return Recording(source, data, names, sfreq, [Event(*e) for e in events])


def build_store(
    path: Path, recordings: list[Recording], class_names=("a", "b"), label_kind="recording"
) -> Path:
    writer = StoreWriter(path)
    writer.create(
        StoreSchema(
            dataset="test", class_names=list(class_names), label_kind=label_kind, sfreq=200.0
        )
    )
    for rec in recordings:
        writer.write(rec, checksum=f"sha256:{rec.source.recording_id}")
    writer.finalize()
    return path
