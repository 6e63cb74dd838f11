"""`workload`: EEG during mental arithmetic (PhysioNet `eegmat` 1.0.0), rest vs task.

Layout read: `SubjectNN_1.edf` (rest) and `SubjectNN_2.edf` (serial subtraction), EDF+
at 500 Hz with 19 EEG channels (`EEG Fp1` ... `EEG Pz`, old 10-20 names T3-T6),
`EEG A2-A1` and `ECG ECG`; `subject-info.csv` beside them (age, gender, count quality:
kept in each recording's `extra` when present). The released headers give a physical
minimum above the physical maximum (a negative gain); such files read correctly
(the sign is part of the calibration, see `rawio.check_edf_calibration`).

As NeuroLM's `dataset_maker/prepare_workload.py`: the label comes from the file name
(`_1` rest = 0, `_2` task = 1); windows are the 29 windows of 4 s with a 2-s stride
over the last 60 s of each file; the sorted files split 52 train / 10 val / the rest
test (file order: 26 / 5 / 5 subjects, both files of a subject together).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.data.splits import split_in_order
from neurokit.core.errors import DataError
from neurokit.plugins.datasets._neurolm import NEUROLM_PREPROCESSING, sliding_starts

CLASSES = ("rest", "task")
CHANNELS = (
    "FP1", "FP2", "F3", "F4", "F7", "F8", "T3", "T4", "C3", "C4",
    "T5", "T6", "P3", "P4", "O1", "O2", "FZ", "CZ", "PZ",
)  # fmt: skip
_FILE = re.compile(r"^(?P<subject>Subject\d+)_(?P<state>[12])\.edf$", re.IGNORECASE)


class WorkloadConfig(DatasetConfig):
    """Options of `workload`."""

    default_preprocessing: ClassVar[dict] = {**NEUROLM_PREPROCESSING, "channels": list(CHANNELS)}

    last_seconds: float = Field(60.0, gt=0, description="windows come from this many final seconds")
    window_seconds: float = Field(4.0, gt=0, description="window length in seconds")
    stride_seconds: float = Field(2.0, gt=0, description="step between windows in seconds")
    train_files: int = Field(52, ge=0, description="first sorted files for train")
    val_files: int = Field(10, ge=0, description="next sorted files for validation")


def read_subject_info(path: Path) -> dict[str, dict[str, str]]:
    """`subject-info.csv` rows by subject (`Subject00` -> {column: value}); {} if absent."""
    if not path.is_file():
        return {}
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read subject info ({exc})") from None
    out = {}
    for row in rows:
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if clean.get("Subject"):
            out[clean.pop("Subject")] = clean
    return out


class Workload:
    """eegmat recordings: windows over each file's last minute, labelled by the file name."""

    name = "workload"
    label_kind = "events"
    class_names = CLASSES

    def __init__(self, config: WorkloadConfig) -> None:
        self.config = config
        self.preprocessing = config.preprocessing
        self.discovery_problems: list[tuple[str, str]] = []

    def discover(self, raw: Path) -> list:
        from neurokit.core.data.discovery import find_files
        from neurokit.core.interfaces import RecordingSource

        raw = Path(raw)
        if not raw.is_dir():
            raise DataError(f"{raw}: not found; expected eegmat's SubjectNN_{{1,2}}.edf files")
        edfs = sorted(
            (p for p in find_files(raw, (".edf",), self.discovery_problems) if _FILE.match(p.name)),
            key=lambda p: p.name,
        )
        if not edfs:
            raise DataError(f"{raw}: no SubjectNN_1.edf / SubjectNN_2.edf files (eegmat layout)")
        info = read_subject_info(edfs[0].parent / "subject-info.csv")
        cfg = self.config
        splits = split_in_order(
            [p.name for p in edfs], {"train": cfg.train_files, "val": cfg.val_files}
        )
        sources = []
        for path in edfs:
            match = _FILE.match(path.name)
            subject, state = match["subject"], int(match["state"])
            sources.append(
                RecordingSource(
                    path=path,
                    recording_id=path.stem,
                    subject=subject,
                    session=str(state),
                    split=splits[path.name],
                    label=state - 1,
                    extra={"official_split": splits[path.name], **info.get(subject, {})},
                )
            )
        return sources

    def load(self, source):
        from neurokit.core.data.preprocess import prepare_raw
        from neurokit.core.data.rawio import read_raw
        from neurokit.core.interfaces import Event

        path = Path(source.path)
        prepared = prepare_raw(read_raw(path), self.preprocessing, str(path))
        sfreq, n = prepared.sfreq, prepared.data.shape[1]
        cfg = self.config
        tail = int(round(cfg.last_seconds * sfreq))
        if n < tail:
            raise DataError(
                f"{path}: {n / sfreq:.1f} s long, shorter than the {cfg.last_seconds:g} s used"
            )
        window = int(round(cfg.window_seconds * sfreq))
        stride = int(round(cfg.stride_seconds * sfreq))
        events = [
            Event(start=n - tail + s, length=window, label=int(source.label))
            for s in sliding_starts(tail, window, stride)
        ]
        return prepared.recording(source, events)


def build_workload(config: WorkloadConfig) -> Workload:
    """EEG mental workload (PhysioNet eegmat): rest vs arithmetic, NeuroLM's windows and split."""
    return Workload(config)


@hookimpl
def register_datasets(register):
    register("workload", build_workload, config=WorkloadConfig)
