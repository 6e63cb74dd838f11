"""The `example-npy` dataset: the smallest complete Dataset implementation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from neurokit.core.errors import DataError
from neurokit.core.interfaces import Recording, RecordingSource


class ExampleNpyDataset:
    def __init__(self, config) -> None:
        self.class_names = list(config.classes)

    def discover(self, raw: Path) -> list[RecordingSource]:
        sources = []
        for path in sorted(Path(raw).glob("*.npy")):
            subject, _, label = path.stem.rpartition("_")
            if not label.isdigit() or int(label) >= len(self.class_names):
                raise DataError(f"{path}: name must end in _<label index>, got {path.stem!r}")
            sources.append(
                RecordingSource(
                    path=path, recording_id=path.stem, subject=subject, label=int(label)
                )
            )
        return sources

    def load(self, source: RecordingSource) -> Recording:
        meta_path = source.path.parent / "meta.json"
        try:
            meta = json.loads(meta_path.read_text())
            data = np.load(source.path).astype(np.float32)
        except (OSError, ValueError) as exc:
            raise DataError(f"{source.path}: cannot read ({exc})") from None
        if data.ndim != 2 or data.shape[0] != len(meta["channels"]):
            raise DataError(
                f"{source.path}: expected ({len(meta['channels'])}, samples), got {data.shape}"
            )
        return Recording(
            source=source,
            data=data,
            channel_names=list(meta["channels"]),
            sfreq=float(meta["sfreq"]),
        )
