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


def write_lbl(
    path: Path,
    rows: list[tuple[int, float, float, str]],
    symbols: tuple[str, ...] = ("(null)", "spsw", "gped", "pled", "eyem", "artf", "bckg", "seiz"),
    montage: tuple[str, ...] | None = None,
) -> Path:
    """A TUH `lbl_v1.0.0` file as NEDC's tools write it: version, montage block, levels,
    symbols, then `label = {level, sublevel, start, stop, channel, [probabilities]}`."""
    from neurokit.plugins.datasets._tuh import TUEV_REC_MONTAGE

    montage = montage or TUEV_REC_MONTAGE
    lines = ["", "version = lbl_v1.0.0", ""]
    for i, name in enumerate(montage):
        a, b = name.split("-")
        lines.append(f"montage = {i:2d}, {name:7s}: EEG {a}-REF --  EEG {b}-REF")
    lines += ["", "number_of_levels = 1", "", "level[0] = 1", ""]
    table = ", ".join(f"{i}: '{s}'" for i, s in enumerate(symbols))
    lines += [f"symbols[0] = {{{table}}}", ""]
    for channel, start, stop, label in rows:
        probs = ", ".join("1.0" if s == label else "0.0" for s in symbols)
        lines.append(f"label = {{0, 0, {start:.4f}, {stop:.4f}, {channel}, [{probs}]}}")
    path.write_text("\n".join(lines) + "\n")
    return path
