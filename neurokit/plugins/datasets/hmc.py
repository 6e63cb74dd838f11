"""`hmc`: Haaglanden Medisch Centrum sleep staging (PhysioNet `hmc-sleep-staging` 1.1), five stages.

Layout read (`recordings/`, or the folder given): `SNxxx.edf` (256 Hz polysomnography:
`EEG F4-M1`, `EEG C4-M1`, `EEG O2-M1`, `EEG C3-M2`, two EOG, chin EMG, ECG), with
`SNxxx_sleepscoring.txt` (the scoring NeuroLM reads: comma-separated `Date, Time,
Recording onset, Duration, Annotation, Linked channel`) and `SNxxx_sleepscoring.edf`
(the same scoring as EDF+ annotations, read when the `.txt` is absent).

As NeuroLM's `dataset_maker/prepare_HMC.py`: the four EEG derivations are stored as
`F4`, `C4`, `O2`, `C3` (NeuroLM's names, the mastoid reference dropped); each scored
30-s row is one window, stages W, N1, N2, N3, R -> 0..4; rows that are not sleep stages
(lights off/on) are not windows, and neither are stage rows of another duration; the
sorted recordings split 100 train / 25 val / the rest test (file order, as NeuroLM; each
recording is its own subject). A window starts at the first sample at or after its onset
(NeuroLM: `times >= onset`); one that runs past the end of the signal is dropped.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.data.splits import split_in_order
from neurokit.core.errors import DataError
from neurokit.plugins.datasets._neurolm import NEUROLM_PREPROCESSING

CLASSES = ("W", "N1", "N2", "N3", "R")
CHANNELS = ("F4", "C4", "O2", "C3")
# EDF labels (normalised: `EEG F4-M1` -> `F4-M1`) -> NeuroLM's stored names
RENAME = {"F4-M1": "F4", "C4-M1": "C4", "O2-M1": "O2", "C3-M2": "C3"}
EPOCH_SECONDS = 30.0
STAGE_PREFIX = "Sleep stage "
_RECORDING = re.compile(r"^SN\d{3}\.edf$", re.IGNORECASE)


class HMCConfig(DatasetConfig):
    """Options of `hmc`."""

    default_preprocessing: ClassVar[dict] = {
        **NEUROLM_PREPROCESSING,
        "channels": list(CHANNELS),
        "rename": RENAME,
    }

    train_recordings: int = Field(100, ge=0, description="first sorted recordings for train")
    val_recordings: int = Field(25, ge=0, description="next sorted recordings for validation")


def _scoring_rows(path: Path) -> list[tuple[float, float, str, int]]:
    """(onset s, duration s, annotation, line) from a `SNxxx_sleepscoring.txt`."""
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text scoring file (undecodable bytes)") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    reader = csv.reader(text.splitlines(), skipinitialspace=True)
    header = [h.strip() for h in next(reader, [])]
    needed = ("Recording onset", "Duration", "Annotation")
    missing = [c for c in needed if c not in header]
    if missing:
        raise DataError(f"{path}: line 1: no column(s) {', '.join(missing)} (header {header})")
    at = {c: header.index(c) for c in needed}
    rows = []
    for lineno, fields in enumerate(reader, start=2):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) <= max(at.values()):
            raise DataError(
                f"{path}: line {lineno}: {len(fields)} fields, header has {len(header)}"
            )
        try:
            onset = float(fields[at["Recording onset"]])
            duration = float(fields[at["Duration"]])
        except ValueError:
            raise DataError(f"{path}: line {lineno}: onset or duration is not a number") from None
        rows.append((onset, duration, fields[at["Annotation"]].strip(), lineno))
    return rows


def _annotation_rows(path: Path) -> list[tuple[float, float, str, int]]:
    """The same rows from the EDF+ annotations of `SNxxx_sleepscoring.edf`."""
    import mne

    try:
        annotations = mne.read_annotations(path)
    except Exception as exc:  # mne raises many types for unreadable files
        raise DataError(f"{path}: cannot read annotations ({type(exc).__name__})") from None
    return [
        (float(a["onset"]), float(a["duration"]), str(a["description"]).strip(), i + 1)
        for i, a in enumerate(annotations)
    ]


def read_scoring(edf: Path) -> list[tuple[float, int]]:
    """(onset s, stage index) of every 30-s stage epoch of one recording, from its scoring file."""
    txt = edf.with_name(f"{edf.stem}_sleepscoring.txt")
    annotated = edf.with_name(f"{edf.stem}_sleepscoring.edf")
    if txt.is_file():
        rows, where = _scoring_rows(txt), txt
    elif annotated.is_file():
        rows, where = _annotation_rows(annotated), annotated
    else:
        raise DataError(f"{edf}: no scoring file ({txt.name} or {annotated.name}) next to it")
    epochs = []
    for onset, duration, annotation, line in rows:
        if not annotation.startswith(STAGE_PREFIX) or abs(duration - EPOCH_SECONDS) > 1e-6:
            continue  # lights off/on, or a stage row NeuroLM does not take
        stage = annotation[len(STAGE_PREFIX) :].strip()
        if stage not in CLASSES:
            raise DataError(f"{where}: line {line}: unknown sleep stage {stage!r}")
        epochs.append((onset, CLASSES.index(stage)))
    if not epochs:
        raise DataError(f"{where}: no 30-s sleep stage rows")
    return epochs


class HMC:
    """HMC sleep recordings: one window per scored 30-s epoch, NeuroLM's file-order split."""

    name = "hmc"
    label_kind = "events"
    class_names = CLASSES

    def __init__(self, config: HMCConfig) -> None:
        self.config = config
        self.preprocessing = config.preprocessing
        self.discovery_problems: list[tuple[str, str]] = []

    def discover(self, raw: Path) -> list:
        from neurokit.core.data.discovery import find_files
        from neurokit.core.interfaces import RecordingSource

        raw = Path(raw)
        root = raw / "recordings" if (raw / "recordings").is_dir() else raw
        if not root.is_dir():
            raise DataError(f"{raw}: not found; expected HMC's recordings/SNxxx.edf")
        edfs = [
            p
            for p in find_files(root, (".edf",), self.discovery_problems)
            if _RECORDING.match(p.name)
        ]
        if not edfs:
            raise DataError(f"{root}: no SNxxx.edf recordings (HMC layout)")
        edfs.sort(key=lambda p: p.name)
        splits = split_in_order(
            [p.stem for p in edfs],
            {"train": self.config.train_recordings, "val": self.config.val_recordings},
        )
        return [
            RecordingSource(
                path=p,
                recording_id=p.stem,
                subject=p.stem,
                split=splits[p.stem],
                extra={"official_split": splits[p.stem]},
            )
            for p in edfs
        ]

    def load(self, source):
        from neurokit.core.data.preprocess import prepare_raw
        from neurokit.core.data.rawio import read_raw
        from neurokit.core.interfaces import Event

        path = Path(source.path)
        epochs = read_scoring(path)  # a bad scoring file fails before the EDF is read
        prepared = prepare_raw(read_raw(path), self.preprocessing, str(path))
        sfreq, n = prepared.sfreq, prepared.data.shape[1]
        length = int(round(EPOCH_SECONDS * sfreq))
        shift = self.preprocessing.drop_first_seconds
        events = []
        for onset, stage in epochs:
            start = math.ceil((onset - shift) * sfreq - 1e-6)
            if start >= 0 and start + length <= n:
                events.append(Event(start=start, length=length, label=stage))
        if not events:
            raise DataError(f"{path}: no scored epoch lies inside the signal")
        return prepared.recording(source, events)


def build_hmc(config: HMCConfig) -> HMC:
    """HMC sleep staging (PhysioNet 1.1): W/N1/N2/N3/R per 30-s epoch, NeuroLM's 100/25/rest split."""
    return HMC(config)


@hookimpl
def register_datasets(register):
    register("hmc", build_hmc, config=HMCConfig)
