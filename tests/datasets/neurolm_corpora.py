"""Writers of tiny SEED, HMC and eegmat (Workload) corpora in their published layouts and formats.

SEED: `Preprocessed_EEG/{subject}_{date}.mat` (MATLAB v5 via scipy) with `{initials}_eeg1..15`
and `label.mat`. HMC: `recordings/SNxxx.edf` (EDF via edfio) with `SNxxx_sleepscoring.txt`
as the release writes it, or `SNxxx_sleepscoring.edf` (EDF+ annotations). eegmat:
`SubjectNN_{1,2}.edf` at 500 Hz whose headers, like the real ones, give a physical minimum
above the maximum (a negative gain), and `subject-info.csv`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neurokit.core.data.rawio import write_edf
from neurokit.plugins.datasets.seed import SEED_CHANNELS

SEED_LABELS = [1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1]  # the release's label.mat
HMC_LABELS = ["EEG F4-M1", "EEG C4-M1", "EEG O2-M1", "EEG C3-M2", "EOG E1-M2", "EOG E2-M2",
              "EMG chin", "ECG"]  # fmt: skip
WORKLOAD_EEG = ["Fp1", "Fp2", "F3", "F4", "F7", "F8", "T3", "T4", "C3", "C4", "T5", "T6",
                "P3", "P4", "O1", "O2", "Fz", "Cz", "Pz"]  # fmt: skip


def _noise(rng, channels: int, samples: int, sfreq: float, amplitude: float = 20.0) -> np.ndarray:
    t = np.arange(samples) / sfreq
    return amplitude * rng.standard_normal((channels, samples)) + 30 * np.sin(2 * np.pi * 10 * t)


def write_seed(root: Path, sessions=("1_20131027", "2_20140404"), clip_seconds=(9.0,) * 15) -> Path:
    """`root/Preprocessed_EEG/` with one .mat per session (15 clips, 62 ch, 200 Hz, uV)."""
    from scipy.io import savemat

    folder = root / "Preprocessed_EEG"
    folder.mkdir(parents=True, exist_ok=True)
    savemat(folder / "label.mat", {"label": np.array([SEED_LABELS])})
    for i, stem in enumerate(sessions):
        rng = np.random.default_rng(i)
        clips = {
            f"djc_eeg{k + 1}": _noise(rng, len(SEED_CHANNELS), int(sec * 200), 200.0)
            for k, sec in enumerate(clip_seconds)
        }
        savemat(folder / f"{stem}.mat", clips)
    return root


def write_hmc_scoring_txt(path: Path, stages: list[str], lights: bool = True) -> Path:
    """A `SNxxx_sleepscoring.txt` as HMC 1.1 writes it: lights rows, then one row per 30-s epoch."""
    lines = ["Date, Time, Recording onset, Duration, Annotation, Linked channel"]
    if lights:
        lines.append("2001-01-01, 22:00:00, 0.0, 0.0, Lights off, ")
    for k, stage in enumerate(stages):
        lines.append(
            f"2001-01-01, 22:{k // 2:02d}:{30 * (k % 2):02d}, {30.0 * k}, 30.0, Sleep stage {stage}, "
        )
    if lights:
        lines.append(f"2001-01-01, 23:00:00, {30.0 * len(stages)}, 0.0, Lights on, ")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_hmc(root: Path, recordings: int = 3, stages=("W", "N1", "N2", "N3", "R"),
              annotation_edf: tuple[int, ...] = ()) -> Path:  # fmt: skip
    """`root/recordings/SN001.edf...` (256 Hz) with scoring as .txt, or EDF+ for `annotation_edf`."""
    from edfio import Edf, EdfAnnotation, EdfSignal

    folder = root / "recordings"
    for r in range(1, recordings + 1):
        rng = np.random.default_rng(r)
        stem = f"SN{r:03d}"
        seconds = 30 * len(stages)
        write_edf(folder / f"{stem}.edf", _noise(rng, len(HMC_LABELS), seconds * 256, 256.0),
                  256.0, HMC_LABELS, patient_code=stem)  # fmt: skip
        if r in annotation_edf:
            notes = [EdfAnnotation(0, 0, "Lights off")] + [
                EdfAnnotation(30.0 * k, 30.0, f"Sleep stage {s}") for k, s in enumerate(stages)
            ]
            Edf([EdfSignal(np.zeros(seconds), 1, label="dummy")], annotations=notes,
                data_record_duration=1).write(folder / f"{stem}_sleepscoring.edf")  # fmt: skip
        else:
            write_hmc_scoring_txt(folder / f"{stem}_sleepscoring.txt", list(stages))
    return root


def negate_physical_range(path: Path) -> None:
    """Swap every signal's physical minimum and maximum in an EDF header (a negative gain)."""
    raw = bytearray(path.read_bytes())
    n = int(raw[252:256].decode().strip())
    base = 256
    for i in range(n):
        lo = slice(base + 104 * n + 8 * i, base + 104 * n + 8 * i + 8)
        hi = slice(base + 112 * n + 8 * i, base + 112 * n + 8 * i + 8)
        raw[lo], raw[hi] = bytes(raw[hi]), bytes(raw[lo])
    path.write_bytes(bytes(raw))


def write_workload(root: Path, subjects: int = 3, seconds: int = 70) -> dict[str, np.ndarray]:
    """eegmat files with negative gains; returns each file's 10-Hz source per channel (uV)."""
    root.mkdir(parents=True, exist_ok=True)
    labels = [f"EEG {c}" for c in WORKLOAD_EEG] + ["EEG A2-A1", "ECG ECG"]
    written = {}
    for s in range(subjects):
        for state in (1, 2):
            rng = np.random.default_rng(10 * s + state)
            data = _noise(rng, len(labels), seconds * 500, 500.0, amplitude=5.0)
            stem = f"Subject{s:02d}_{state}"
            # the header's swapped range negates what the digits mean: write -x to store x
            path = write_edf(root / f"{stem}.edf", -data, 500.0, labels, patient_code=stem)
            negate_physical_range(path)
            written[stem] = data
    rows = ["Subject,Age,Gender,Recording year,Number of subtractions,Count quality"]
    rows += [f"Subject{s:02d},20,F,2011,{10 + s},1" for s in range(subjects)]
    (root / "subject-info.csv").write_text("\n".join(rows) + "\n")
    return written
