"""The `example-npy` dataset: a folder of `.npy` arrays listed in a `labels.csv`.

Raw layout (what `neurokit prepare example-npy --raw DIR` reads):

    DIR/labels.csv        file,subject,label[,split]   (one row per recording)
    DIR/<file>.npy        float array (channels, samples) in microvolts

The channel names and sampling rate are dataset options (`--set channels=[...]`,
`--set sfreq=...`). Labels are class names (`classes` option, in order). Rows
without a split get a seeded subject-disjoint one from neurokit's shared helper.
Preprocessing comes from the config (`--profile NAME`, `--set preprocessing.*`),
applied by neurokit's own `prepare_raw`, so every profile works unchanged.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from neurokit import DataError
from neurokit.core.data.preprocess import prepare_raw
from neurokit.core.data.splits import split_subjects
from neurokit.core.interfaces import Recording, RecordingSource

SPLITS = ("train", "val", "test")


class ExampleNpyDataset:
    label_kind = "recording"  # one label per recording ("events" for labelled spans, "none")

    def __init__(self, config) -> None:
        self.config = config
        self.class_names = list(config.classes)
        self.preprocessing = config.preprocessing  # after --profile and --set preprocessing.*

    def discover(self, raw: Path) -> list[RecordingSource]:
        """One RecordingSource per labels.csv row, with subject, label index and split."""
        table = Path(raw) / "labels.csv"
        if not table.is_file():
            raise DataError(f"{raw}: no labels.csv (columns file,subject,label[,split])")
        with table.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        for line, row in enumerate(rows, start=2):
            if not {"file", "subject", "label"} <= set(row):
                raise DataError(f"{table}: header must name file, subject and label")
            if row["label"] not in self.class_names:
                raise DataError(
                    f"{table}: line {line}: label {row['label']!r} is not one of "
                    f"{self.class_names} (set --set classes=[...])"
                )
            if row.get("split") and row["split"] not in SPLITS:
                raise DataError(f"{table}: line {line}: split must be one of {SPLITS}")
        c = self.config
        fractions = {"train": 1 - c.val_fraction - c.test_fraction, "val": c.val_fraction}
        fractions["test"] = c.test_fraction
        assignment = split_subjects(
            [r["subject"] for r in rows if not r.get("split")],
            fractions,
            c.seed,
            labels={r["subject"]: r["label"] for r in rows},  # stratified by class
        )
        return [
            RecordingSource(
                path=Path(raw) / row["file"],
                recording_id=Path(row["file"]).stem,
                subject=row["subject"],
                split=row.get("split") or assignment[row["subject"]],
                label=self.class_names.index(row["label"]),
            )
            for row in rows
        ]

    def load(self, source: RecordingSource) -> Recording:
        """Read one array and preprocess it; a DataError skips this recording with its reason."""
        import mne

        try:
            data = np.load(source.path).astype(np.float64)
        except (OSError, ValueError) as exc:
            raise DataError(f"{source.path}: cannot read ({exc})") from None
        channels = list(self.config.channels)
        if data.ndim != 2 or data.shape[0] != len(channels):
            raise DataError(
                f"{source.path}: expected ({len(channels)}, samples) for channels {channels}, "
                f"got {data.shape}"
            )
        info = mne.create_info(channels, self.config.sfreq, "eeg")
        raw = mne.io.RawArray(data * 1e-6, info, verbose="error")  # mne works in volts
        prepared = prepare_raw(raw, self.preprocessing, where=str(source.path))
        return prepared.recording(source)
