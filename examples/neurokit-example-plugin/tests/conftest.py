"""Sample data for this plugin's tests and for neurokit's contract suite.

`pytest_neurokit_sample_raw` is the contract suite's hook for sample data: it is handed
a dataset component and a folder, and returns the folder holding a tiny corpus in the
dataset's raw layout (None: no sample for that dataset, its data checks are skipped).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from neurokit_example_plugin import TEN_TWENTY


def write_corpus(root: Path, subjects: int = 6, seconds: float = 8.0, sfreq: float = 200.0) -> Path:
    """`labels.csv` + one `.npy` per subject: 'abnormal' subjects carry a strong 10 Hz rhythm."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sfreq)) / sfreq
    rows = []
    for i in range(subjects):
        label = ["normal", "abnormal"][i % 2]
        data = 10.0 * rng.standard_normal((len(TEN_TWENTY), t.size))
        if label == "abnormal":
            data += 30.0 * np.sin(2 * np.pi * 10.0 * t + rng.uniform(0, 6.3, (len(TEN_TWENTY), 1)))
        np.save(root / f"s{i:02d}.npy", data.astype(np.float32))
        rows.append({"file": f"s{i:02d}.npy", "subject": f"s{i:02d}", "label": label})
    with (root / "labels.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["file", "subject", "label"])
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.fixture
def corpus():
    """`write_corpus` for tests that need raw files."""
    return write_corpus


def pytest_neurokit_sample_raw(component, root: Path) -> Path | None:
    """neurokit's contract suite asks here for sample files of each of our datasets."""
    return write_corpus(root) if component.name == "example-npy" else None
