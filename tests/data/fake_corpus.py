"""A tiny in-memory corpus for prepare tests: importable by subprocess scripts too.

`SlowCorpus` makes each recording take `delay` seconds to load, so a test can
interrupt or kill `prepare --workers N` while it is busy.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from neurokit.core.interfaces import Recording, RecordingSource

NAMES = ["C3", "C4", "CZ"]


class SlowCorpus:
    """`n` recordings of 30 s at 200 Hz; `load` sleeps `delay` seconds first."""

    name = "slow"
    class_names = ("a", "b")
    label_kind = "recording"

    def __init__(self, n: int = 4, delay: float = 0.0, seconds: float = 30.0):
        self.n, self.delay, self.seconds = n, delay, seconds

    def discover(self, raw: Path) -> list[RecordingSource]:
        return [
            RecordingSource(Path(raw) / f"r{i:03d}.edf", f"r{i:03d}", subject=f"s{i}", label=i % 2)
            for i in range(self.n)
        ]

    def load(self, source: RecordingSource) -> Recording:
        if self.delay:
            time.sleep(self.delay)
        seed = int(source.recording_id[1:])
        rng = np.random.default_rng(seed)
        data = (10 * rng.standard_normal((len(NAMES), int(self.seconds * 200)))).astype(np.float32)
        return Recording(source, data, list(NAMES), 200.0)


def expected(rid: str, seconds: float = 30.0) -> np.ndarray:
    """What `SlowCorpus.load` writes for `rid`."""
    rng = np.random.default_rng(int(rid[1:]))
    return (10 * rng.standard_normal((len(NAMES), int(seconds * 200)))).astype(np.float32)
