"""Data records: what a dataset hands the store writer and what a run learns about its data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np


@dataclass
class RecordingSource:
    """One raw recording a dataset found, with everything known before reading it."""

    path: Path
    recording_id: str
    subject: str
    session: str = ""
    split: str = "train"
    label: int | float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Event:
    """A labelled span inside one recording (in samples of the prepared signal)."""

    start: int
    length: int
    label: int
    channel: int = -1


@dataclass
class Recording:
    """A prepared recording, ready to be written to a store."""

    source: RecordingSource
    data: np.ndarray  # (channels, samples), float32, in `units` (default microvolts)
    channel_names: list[str]
    sfreq: float
    events: list[Event] = field(default_factory=list)
    # Optional channel metadata (store schema 2); None = scalp EEG in uV with template positions.
    channel_types: list[str] | None = None  # mne type names: eeg, seeg, mag, grad, eog, ...
    units: list[str] | None = None  # stored unit per channel: uV, fT, fT/cm, ...
    positions: np.ndarray | None = None  # (channels, 3) metres, NaN rows where unknown
    # position_source, position_space, orientations (MEG), bad_channels (flagged, kept)
    sensors: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Dataset(Protocol):
    """A corpus: finds recordings in its published layout, reads and labels them."""

    class_names: Sequence[str]

    def discover(self, raw: Path) -> list[RecordingSource]:
        """List the recordings under `raw`, with subject, split and label if known."""
        ...

    def load(self, source: RecordingSource) -> Recording:
        """Read and preprocess one recording. Raise `DataError` with a reason to skip it."""
        ...


@dataclass
class DataView:
    """What a task needs from the store; the run builds its windows from this.

    None means "the store's / dataset's default" (`data.window_seconds` and
    `data.stride_seconds` in the run config override the task's values).
    """

    window_seconds: float | None = None
    stride_seconds: float | None = None  # None: non-overlapping windows
    sfreq: float | None = (
        None  # the sampling rate the model needs; a different store is a DataError
    )
    labels: bool = (
        True  # True: windows without labels are an error (finetune); False: labels ignored
    )
    eval_window_seconds: float | None = None  # val/test windows (None: as training)
    eval_stride_seconds: float | None = None  # val/test stride (None: the eval window)
    # training windows move by a random offset in [0, stride) each epoch, inside their
    # recording (seeded by run seed + epoch: resuming is exact); val/test stay on the grid
    random_offset: bool = False


@dataclass
class DataInfo:
    """What the run learned about the data before building the task module."""

    sfreq: float
    window_samples: int
    channel_names: list[str] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)  # empty: no class labels
    label_kind: str = "class"  # "class" | "continuous" | "none"
    class_counts: list[int] | None = None  # training-split windows per class, when known
    subjects: list[str] = field(default_factory=list)  # sorted; Batch.subject_index indexes it
    sources: list[str] = field(default_factory=list)  # stores of the run; Batch.source indexes it
    source_classes: dict[str, list[str]] = field(default_factory=dict)  # each source's own classes
    eval_window_samples: int = 0  # val/test window length when it differs from training (else 0)
    # the store's preprocessing (its schema's `preprocessing`), so a run can be applied to raw files
    preprocessing: dict[str, Any] = field(default_factory=dict)
    recording_labels: bool = False  # one label per recording (TUAB): metrics pool per recording too
