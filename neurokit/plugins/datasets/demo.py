"""`demo`: a small synthetic EEG corpus in TUAB's layout; no licence, no network, deterministic.

It is generated into EDF files exactly like a TUH release
(`edf/{train,eval}/{normal,abnormal}/01_tcp_ar/<subject>_s00N_t000.edf`, 250 Hz,
`EEG XX-REF` names plus an EKG channel) and prepared like any corpus, so the
quickstart and the tests exercise the real path. The signal looks like EEG to a
model: spatially correlated 1/f background, posterior-dominant alpha that waxes and
wanes, frontal beta and theta, blinks, muscle bursts and mains hum. Abnormal
recordings carry focal or generalised slowing (delta/theta up, alpha slowed and
damped) and, in some, focal spikes, so a small CNN learns the label in minutes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.preprocess import DatasetConfig

ELECTRODES = (
    "FP1", "FP2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "F7", "F8",
    "T3", "T4", "T5", "T6", "A1", "A2", "FZ", "CZ", "PZ",
)  # fmt: skip
CLASS_NAMES = ("normal", "abnormal")
RAW_SFREQ = 250.0


class DemoConfig(DatasetConfig):
    """Options of the `demo` corpus (generation, splits and preprocessing)."""

    profile: str | None = Field(
        "labram", description="preprocessing profile (labram: 0.1-75 Hz, notch 50, 200 Hz)"
    )
    subjects: int = Field(
        20, ge=4, description="subjects; each has `sessions` recordings and one label"
    )
    sessions: int = Field(2, ge=1, description="recordings per subject")
    min_seconds: int = Field(60, ge=10, description="shortest recording (s)")
    max_seconds: int = Field(120, ge=10, description="longest recording (s)")
    eval_fraction: float = Field(
        0.2, gt=0, lt=1, description="subjects in the eval folder (the test split)"
    )
    val_fraction: float = Field(
        0.2, gt=0, lt=1, description="train subjects held out as val (subject-disjoint)"
    )
    seed: int = Field(0, description="generation seed (same seed, same bytes)")
    split_seed: int = Field(0, description="seed of the train/val subject split")


class DemoDataset:
    """The demo corpus: `generate(dir)` writes it, `discover`/`load` read it like TUAB."""

    class_names = CLASS_NAMES
    label_kind = "recording"

    def __init__(self, config: DemoConfig):
        self.config = config
        self.preprocessing = config.preprocessing

    # -------------------------------------------------------------- generation

    def subjects(self) -> list[tuple[str, int, str]]:
        """(subject id, label, folder) for every subject, label-balanced in both folders."""
        cfg = self.config
        n_eval = max(2, int(round(cfg.subjects * cfg.eval_fraction)))
        rows = []
        for i in range(cfg.subjects):
            label = i % 2
            folder = "eval" if i >= cfg.subjects - n_eval else "train"
            rows.append((_subject_code(i), label, folder))
        return rows

    def generate(self, root: str | Path) -> Path:
        """Write the EDF tree under `root` (deterministic) and return `root`."""
        import numpy as np

        from neurokit.core.data.rawio import write_edf

        cfg = self.config
        root = Path(root)
        for index, (subject, label, folder) in enumerate(self.subjects()):
            rng = np.random.default_rng([cfg.seed, index])
            traits = _subject_traits(rng, index)
            for session in range(cfg.sessions):
                seconds = int(
                    rng.integers(cfg.min_seconds, max(cfg.min_seconds, cfg.max_seconds) + 1)
                )
                data = synthesize(rng, seconds, RAW_SFREQ, abnormal=bool(label), traits=traits)
                ekg = _ekg(rng, data.shape[1], RAW_SFREQ)
                labels = [f"EEG {e}-REF" for e in ELECTRODES] + ["EEG EKG1-REF"]
                name = f"{subject}_s{session + 1:03d}_t000.edf"
                path = root / "edf" / folder / CLASS_NAMES[label] / "01_tcp_ar" / name
                write_edf(
                    path, np.vstack([data, ekg[None]]), RAW_SFREQ, labels, patient_code=subject
                )
        return root

    # -------------------------------------------------------------- reading

    def discover(self, raw: Path) -> list[Any]:
        """Recordings under `raw/edf/{train,eval}/{normal,abnormal}/01_tcp_ar/` with label and split."""
        import numpy as np

        from neurokit.core.errors import DataError
        from neurokit.core.interfaces import RecordingSource

        raw = Path(raw)
        base = raw / "edf" if (raw / "edf").is_dir() else raw
        if not (base / "train").is_dir() and not (base / "eval").is_dir():
            raise DataError(
                f"{raw}: expected edf/{{train,eval}}/{{normal,abnormal}}/01_tcp_ar/*.edf"
            )
        sources = []
        for path in sorted(base.glob("*/*/*/*.edf")):
            folder, label_name = path.parts[-4], path.parts[-3]
            if folder not in {"train", "eval"} or label_name not in CLASS_NAMES:
                continue
            subject, session = path.stem.split("_")[:2]
            sources.append(
                RecordingSource(
                    path=path,
                    recording_id=path.stem,
                    subject=subject,
                    session=session,
                    split="test" if folder == "eval" else "train",
                    label=CLASS_NAMES.index(label_name),
                    extra={"montage": path.parts[-2]},
                )
            )
        # Validation: a seeded, subject-disjoint share of train subjects, per class so both classes appear.
        rng = np.random.default_rng(self.config.split_seed)
        for label in range(len(CLASS_NAMES)):
            subjects = sorted(
                {s.subject for s in sources if s.split == "train" and s.label == label}
            )
            n_val = int(round(len(subjects) * self.config.val_fraction))
            if len(subjects) > 1:
                n_val = min(max(1, n_val), len(subjects) - 1)
            val = set(rng.permutation(subjects)[:n_val].tolist()) if subjects else set()
            for s in sources:
                if s.split == "train" and s.subject in val:
                    s.split = "val"
        return sources

    def load(self, source: Any) -> Any:
        from neurokit.core.data.preprocess import load_recording

        return load_recording(source, self.config.preprocessing)


def _subject_code(i: int) -> str:
    """TUH-style 8-letter subject ids: aaaaaaaa, aaaaaaab, ..."""
    letters = []
    for _ in range(8):
        i, r = divmod(i, 26)
        letters.append(chr(ord("a") + r))
    return "".join(reversed(letters))


# ------------------------------------------------------------------ signal model


def _spread(k: int, low: float, high: float) -> float:
    """The k-th point of a golden-ratio sequence in [low, high): any few consecutive subjects
    (the eval folder, the val draw) get a spread of values, so splits are equally hard."""
    return low + (high - low) * ((0.5 + k * 0.6180339887) % 1.0)


def _subject_traits(rng: Any, index: int | None = None) -> dict[str, float]:
    traits = {
        "alpha_hz": float(rng.uniform(9.0, 11.0)),
        "alpha_uv": float(rng.uniform(12.0, 22.0)),
        "background_uv": float(rng.uniform(7.0, 12.0)),
        "beta_uv": float(rng.uniform(2.0, 4.0)),
        "slope": float(rng.uniform(0.8, 1.2)),
        # how abnormal an abnormal subject is; mild cases overlap drowsy normals, so it is not trivial
        "severity": float(rng.uniform(0.35, 1.0)),
        # normal subjects: some drowsiness (more theta, less alpha)
        "drowsy": float(rng.uniform(0.0, 1.0) ** 2),
    }
    if index is not None:  # the corpus: severities and drowsiness spread evenly over subjects
        traits["severity"] = _spread(index // 2, 0.6, 1.0)
        traits["drowsy"] = _spread(index // 2 + 7, 0.0, 0.4)
    return traits


def _band_noise(rng: Any, n_sources: int, n: int, sfreq: float, gain: Any) -> Any:
    """Gaussian noise with amplitude spectrum `gain(freqs)`, unit RMS per source."""
    import numpy as np

    spectrum = np.fft.rfft(rng.standard_normal((n_sources, n)), axis=1)
    freqs = np.fft.rfftfreq(n, 1 / sfreq)
    out = np.fft.irfft(spectrum * gain(freqs), n=n, axis=1)
    return out / (out.std(axis=1, keepdims=True) + 1e-12)


def _geometry() -> tuple[Any, Any]:
    import numpy as np

    from neurokit.core.data.channels import channel_positions

    pos = np.asarray(channel_positions(ELECTRODES)[0], dtype=np.float64)
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    return pos, dist


def _focal(dist: Any, centre: int, width: float = 0.045) -> Any:
    import numpy as np

    return np.exp(-(dist[centre] ** 2) / (2 * width**2))


def synthesize(
    rng: Any, seconds: int, sfreq: float, abnormal: bool, traits: dict[str, float]
) -> Any:
    """(21, seconds*sfreq) microvolts of EEG-like signal on the ELECTRODES."""
    import numpy as np

    n = int(seconds * sfreq)
    c = len(ELECTRODES)
    pos, dist = _geometry()
    index = {e: i for i, e in enumerate(ELECTRODES)}
    mixing = np.exp(-(dist**2) / (2 * 0.05**2))
    mixing /= np.sqrt((mixing**2).sum(axis=1, keepdims=True))
    t = np.arange(n) / sfreq

    def gauss_band(f0: float, sd: float):
        return lambda f: np.exp(-((f - f0) ** 2) / (2 * sd**2))

    # 1/f background, spatially smoothed (volume conduction).
    slope = traits["slope"]
    background = _band_noise(
        rng,
        c,
        n,
        sfreq,
        lambda f: np.where(f > 0.3, 1 / np.maximum(f, 0.3) ** (slope / 2 + 0.25), 0),
    )
    x = traits["background_uv"] * (mixing @ background)

    posterior = 1 / (1 + np.exp(pos[:, 1] / 0.025))  # y < 0 is posterior
    frontal = 1 - posterior
    alpha_hz, alpha_uv = traits["alpha_hz"], traits["alpha_uv"]
    theta_uv = 3.0 + 4.0 * traits.get("drowsy", 0.0)
    alpha_uv *= 1 - 0.4 * traits.get("drowsy", 0.0)
    severity = traits.get("severity", 1.0)
    if abnormal:
        kind = "generalised" if rng.random() < 0.5 else "focal"
        alpha_hz -= severity * rng.uniform(1.5, 2.5)
        alpha_uv *= 1 - severity * rng.uniform(0.4, 0.65)
        theta_uv = 3.0 + severity * rng.uniform(5.0, 9.0)
    # Alpha: two hemispheric sources, mostly shared, waxing and waning.
    shared = _band_noise(rng, 1, n, sfreq, gauss_band(alpha_hz, 0.6))
    sides = _band_noise(rng, 2, n, sfreq, gauss_band(alpha_hz, 0.6))
    left = pos[:, 0] < 0
    alpha = 0.8 * shared + 0.45 * np.where(left[:, None], sides[0], sides[1])
    x += alpha_uv * posterior[:, None] * alpha
    x += (
        traits["beta_uv"]
        * frontal[:, None]
        * (mixing @ _band_noise(rng, c, n, sfreq, gauss_band(20.0, 3.0)))
    )
    midline = _focal(dist, index["FZ"], 0.06)
    x += (
        theta_uv
        * (0.5 + 0.5 * midline)[:, None]
        * (mixing @ _band_noise(rng, c, n, sfreq, gauss_band(6.0, 1.0)))
    )

    if abnormal:
        delta = _band_noise(
            rng, c, n, sfreq, lambda f: np.where((f > 0.5) & (f < 4.0), 1 / np.maximum(f, 0.5), 0)
        )
        if kind == "generalised":
            x += severity * rng.uniform(18.0, 28.0) * (mixing @ delta)
        else:
            centre = index[str(rng.choice(["F7", "T3", "T5", "F8", "T4", "T6", "C3", "C4"]))]
            weight = _focal(dist, centre)
            x += severity * rng.uniform(30.0, 45.0) * weight[:, None] * (mixing @ delta)
        if (
            rng.random() < 0.3 + 0.4 * severity
        ):  # focal spikes / sharp waves with an after-going slow wave
            focus = _focal(
                dist, index[str(rng.choice(["T3", "T4", "F7", "F8", "C3", "C4", "P3", "P4"]))], 0.04
            )
            for onset in np.cumsum(rng.uniform(1.5, 5.0, size=int(seconds / 1.5))):
                if onset >= seconds - 1:
                    break
                amp = rng.uniform(50.0, 120.0)
                u = t - onset
                window = np.abs(u) < 0.6
                wave = (
                    -amp * np.exp(-(u[window] ** 2) / (2 * 0.012**2))
                    + 0.35 * amp * np.exp(-((u[window] - 0.03) ** 2) / (2 * 0.02**2))
                    - 0.3 * amp * np.exp(-((u[window] - 0.2) ** 2) / (2 * 0.08**2))
                )
                x[:, window] += focus[:, None] * wave[None]

    # Artefacts present in every recording: blinks, muscle bursts, mains hum.
    eyes = np.maximum(_focal(dist, index["FP1"], 0.05), _focal(dist, index["FP2"], 0.05))
    for onset in np.cumsum(rng.uniform(2.0, 9.0, size=int(seconds / 2))):
        if onset >= seconds - 0.5:
            break
        u = t - onset
        window = np.abs(u) < 0.6
        x[:, window] += (
            eyes[:, None]
            * rng.uniform(90.0, 180.0)
            * np.exp(-(u[window] ** 2) / (2 * 0.1**2))[None]
        )
    temporal = np.maximum.reduce([_focal(dist, index[e], 0.04) for e in ("T3", "T4", "F7", "F8")])
    for _ in range(int(rng.integers(1, 4))):
        start, length = rng.uniform(0, seconds - 2), rng.uniform(0.5, 2.0)
        window = (t >= start) & (t < start + length)
        burst = _band_noise(
            rng, c, int(window.sum()), sfreq, lambda f: ((f > 20) & (f < 100)).astype(float)
        )
        x[:, window] += rng.uniform(10.0, 25.0) * temporal[:, None] * burst
    x += rng.uniform(0.5, 2.0) * np.sin(2 * math.pi * 60.0 * t + rng.uniform(0, 2 * math.pi))[None]
    return x


def _ekg(rng: Any, n: int, sfreq: float) -> Any:
    """A plain ECG trace (QRS spikes at ~70 bpm) for the non-EEG channel TUH files carry."""
    import numpy as np

    t = np.arange(n) / sfreq
    out = 20 * rng.standard_normal(n) * 0.05
    beat = 60 / rng.uniform(60, 80)
    for onset in np.arange(rng.uniform(0, beat), t[-1], beat):
        out += 800 * np.exp(-((t - onset) ** 2) / (2 * 0.01**2))
    return out


def build_demo(config: DemoConfig) -> DemoDataset:
    """Synthetic EEG in TUAB's layout (normal vs abnormal slowing/spikes), generated when --raw is omitted."""
    return DemoDataset(config)


@hookimpl
def register_datasets(register):
    register("demo", build_demo, config=DemoConfig)
