"""Helpers that write tiny corpora in each TUH release's exact layout (EDF via edfio).

Signals are a few seconds of 250 Hz noise plus a 10 Hz rhythm: enough for mne's
filters and resampling, small enough that the whole directory runs in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neurokit.core.data.channels import TUH_REFERENTIAL
from neurokit.core.data.rawio import write_edf

SFREQ = 250.0
# What a TUH 01_tcp_ar file carries: the 23 EEG channels plus non-EEG extras LaBraM drops.
EXTRAS = ("EKG1", "PHOTIC")


def tuh_labels(reference: str = "REF", channels=TUH_REFERENTIAL, extras=EXTRAS) -> list[str]:
    """Channel labels as TUH writes them: `EEG FP1-REF`, `EEG EKG1-REF`, `PHOTIC-REF`."""
    out = [f"EEG {c}-{reference}" for c in channels]
    for extra in extras:
        out.append(f"{extra}-{reference}" if extra == "PHOTIC" else f"EEG {extra}-{reference}")
    return out


def write_tuh_edf(
    path: Path,
    seconds: int = 6,
    seed: int = 0,
    labels: list[str] | None = None,
    sfreq: float = SFREQ,
) -> Path:
    """A small EDF with TUH channel labels; amplitude ~20-40 uV."""
    labels = labels or tuh_labels()
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sfreq)) / sfreq
    data = 10 * rng.standard_normal((len(labels), t.size)) + 30 * np.sin(2 * np.pi * 10 * t)
    return write_edf(path, data, sfreq, labels, patient_code=path.stem.split("_")[0])


def write_csv_v1(
    path: Path, rows: list[tuple[str, float, float, str, float]], duration: float
) -> Path:
    """A TUH `csv_v1.0.0` annotation file exactly as the v2/v3 releases write it."""
    lines = [
        "# version = csv_v1.0.0",
        f"# bname = {path.stem}",
        f"# duration = {duration:.4f} secs",
        "# montage_file = $NEDC_NFC/lib/nedc_eas_default_montage.txt",
        "#",
        "channel,start_time,stop_time,label,confidence",
    ]
    lines += [f"{c},{a:.4f},{b:.4f},{lab},{conf:.4f}" for c, a, b, lab, conf in rows]
    path.write_text("\n".join(lines) + "\n")
    return path
