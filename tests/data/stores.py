"""Small stores with several subjects, sessions and (optionally) events, for data-layer v2 tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neurokit.core.data.schema import StoreSchema
from neurokit.core.data.writer import StoreWriter
from neurokit.core.interfaces import Event, Recording, RecordingSource

NAMES = ["FP1", "FP2", "C3", "C4"]
SFREQ = 64.0


def subject_store(
    path: Path,
    subjects: dict[str, str],
    seconds: float = 8.0,
    dtype: str = "float32",
    dataset: str = "subjects",
    class_names=("a", "b"),
    names=NAMES,
    events_per_recording: int = 0,
    extra: dict[str, dict] | None = None,
    seed: int = 0,
) -> Path:
    """One recording per (subject, session) pair: `subjects` maps subject id -> its split.

    Recording labels alternate by session; with `events_per_recording`, each recording
    instead holds 1-s events alternating between the classes (trial-based, like TUEV/Du-IN).
    """
    rng = np.random.default_rng(seed)
    writer = StoreWriter(path)
    kind = "events" if events_per_recording else "recording"
    writer.create(
        StoreSchema(dataset=dataset, sfreq=SFREQ, class_names=list(class_names), label_kind=kind,
                    dtype=dtype)
    )  # fmt: skip
    n = int(seconds * SFREQ)
    for subject, split in subjects.items():
        for k, session in enumerate(("ses1", "ses2")):
            rid = f"{subject}_{session}"
            data = (rng.standard_normal((len(names), n)) * 20).astype(np.float32)
            events = [Event(int(e * SFREQ), int(SFREQ), e % 2) for e in range(events_per_recording)]
            source = RecordingSource(
                Path(f"/raw/{rid}.edf"), rid, subject, session, split,
                None if events_per_recording else k % 2, (extra or {}).get(rid, {}),
            )  # fmt: skip
            writer.write(Recording(source, data, list(names), SFREQ, events), checksum=f"x:{rid}")
    writer.finalize()
    return path


def run_config(store=None, task: str = "finetune", **data):
    from neurokit.core.config import RunConfig

    section = {"batch_size": 4, **data}
    if store is not None:
        section["store"] = str(store)
    return RunConfig.model_validate(
        {"model": {"name": "tiny-cnn"}, "task": {"name": task}, "data": section}
    )
