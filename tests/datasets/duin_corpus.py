"""Writes Du-IN's released layout with pickles shaped like the real ones (protocol 4).

`info` and `data` are pickled with a fake module `utils.DotDict` (the repository's class
path) and numpy's array reconstruction under its numpy 1.x name (`numpy.core.multiarray`),
as the released files are. Signals are sEEG-like: a 1/f^2 background with alpha/beta
bursts from a few sources shared by neighbouring contacts, a little white noise, and
words separable in a few contacts (each word adds its own frequency burst on the first
three selected channels), in volts. `write_pretrain` writes the unreleased pretraining
layout (`pretrain/dataset.default.1000hz/`: `info` + (2, channels, T) `.npy` arrays).
"""

from __future__ import annotations

import contextlib
import pickle
import sys
import types
import warnings
from pathlib import Path

import numpy as np

from neurokit.plugins.datasets.duin import OFFICIAL_CHANNELS, RUN_DIR

WORDS = ("北京", "上海", "苹果", "音乐", "医生", "朋友")
EXTRA_CHANNELS = ("X1", "X2", "Y'3", "Y'4")


@contextlib.contextmanager
def fake_dotdict():
    """Registers `utils.DotDict.DotDict` (a dict subclass with attribute access) while pickling."""
    utils, mod = types.ModuleType("utils"), types.ModuleType("utils.DotDict")

    class DotDict(dict):
        def __getattr__(self, key):
            try:
                return self[key]
            except KeyError:
                raise AttributeError(key) from None

    DotDict.__module__, DotDict.__qualname__ = "utils.DotDict", "DotDict"
    mod.DotDict, utils.DotDict = DotDict, mod
    saved = {k: sys.modules.get(k) for k in ("utils", "utils.DotDict")}
    sys.modules.update({"utils": utils, "utils.DotDict": mod})
    from numpy._core import multiarray

    old = multiarray._reconstruct.__module__
    multiarray._reconstruct.__module__ = "numpy.core.multiarray"  # numpy 1.x pickle names
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            yield DotDict
    finally:
        multiarray._reconstruct.__module__ = old
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def write_run(folder: Path, ch_names: list[str], trials: list[tuple[str, np.ndarray]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with fake_dotdict() as DotDict:
        (folder / "info").write_bytes(pickle.dumps(DotDict({"ch_names": ch_names}), protocol=4))
        records = [DotDict({"name": w, "data_s": d}) for w, d in trials]
        (folder / "data").write_bytes(pickle.dumps(records, protocol=4))
    return folder


def mixing(n_channels: int, n_sources: int = 4, seed: int = 0) -> np.ndarray:
    """(channels, sources) fixed spatial weights: neighbouring contacts of a shaft see the
    same few sources with smoothly varying gains, as bipolar sEEG contacts do."""
    rng = np.random.default_rng([seed, n_channels])
    centre = rng.uniform(0, n_channels, n_sources)
    pos = np.arange(n_channels)[:, None]
    gain = np.exp(-(((pos - centre[None]) / 3.0) ** 2)) * rng.choice([-1.0, 1.0], n_sources)
    return gain + 0.2 * rng.standard_normal((n_channels, n_sources))


def background(n_channels: int, samples: int, rng, sfreq: float = 1000.0) -> np.ndarray:
    """(channels, samples) unit-scale sEEG-like background: three 1/f^2 sources (the
    spectrum of intracranial field potentials), two of them carrying alpha (10 Hz) and beta
    (30 Hz) rhythms in bursts of a few hundred ms (Gaussian envelopes, sigma 0.3 s, about one
    a second), mixed across contacts by `mixing`; each channel has unit std. Low-dimensional
    and smooth within a 100-ms token, so a VQ-VAE can reconstruct much of it (white noise it
    could not). The bursts give the structure across tokens that masked modelling needs: 10
    and 30 Hz complete whole cycles per 100-ms token, so a token's waveform persists while a
    burst lasts and its neighbours predict its code (with a 6-Hz theta and slowly waxing
    rhythms the codes of neighbouring tokens agreed 6 % of the time and the MAE could not
    beat the commonest code)."""
    n_src = 3
    f = np.fft.rfftfreq(samples, 1 / sfreq)
    spec = rng.standard_normal((n_src, f.size)) + 1j * rng.standard_normal((n_src, f.size))
    spec /= np.maximum(f, 1.0)  # amplitude 1/f: power 1/f^2
    spec[:, f > 200] = 0
    src = np.fft.irfft(spec, n=samples)
    src /= src.std(axis=1, keepdims=True)
    t = np.arange(samples) / sfreq
    for k, rhythm in enumerate((10.0, 30.0)):  # alpha and beta bursts on two of the sources
        centres = rng.uniform(0, samples / sfreq, rng.poisson(samples / sfreq) + 1)
        envelope = np.exp(-(((t[:, None] - centres[None]) / 0.3) ** 2)).sum(1)
        src[k] += 3 * envelope * np.sin(2 * np.pi * rhythm * t + rng.uniform(0, 2 * np.pi))
    x = mixing(n_channels, n_src) @ src
    return x / x.std(axis=1, keepdims=True)


def word_response(word: int, samples: int, center: float, sfreq: float = 1000.0) -> np.ndarray:
    """(samples,) the word's response around `center` s: a burst at the word's own
    frequency (12, 20, 28, ... Hz: beta to low gamma, above the theta/alpha rhythms, where
    the 1/f^2 background is weak and the tokenizer's 100-Hz token grid still sees it)."""
    t = np.arange(samples) / sfreq
    envelope = np.exp(-(((t - center) / 0.3) ** 2))
    return envelope * np.sin(2 * np.pi * (12 + 8 * word) * t)


def word_trial(
    word: int,
    n_channels: int,
    rows: list[int],
    rng,
    samples: int = 3000,
    center: float = 1.0,
    noise: float = 3e-6,
    level: float = 20e-6,
) -> np.ndarray:
    """(channels, samples) float64 volts: structured background (`level` V per channel) and a
    little white sensor noise on every contact, plus the word's burst on `rows`."""
    x = level * background(n_channels, samples, rng) + noise * rng.standard_normal(
        (n_channels, samples)
    )
    burst = 120e-6 * word_response(word, samples, center)
    for r in rows:
        x[r] += burst
    return x


def write_corpus(
    root: Path,
    subjects=("001",),
    runs=(1, 2),
    per_word_per_run: int = 5,
    words=WORDS,
    seed: int = 0,
) -> Path:
    """`root/data/seeg.he2023xuanwu/<subject>/word-recitation/run<k>/...`; returns root."""
    rng = np.random.default_rng(seed)
    for subject in subjects:
        names = list(OFFICIAL_CHANNELS[subject]) + list(EXTRA_CHANNELS)
        order = rng.permutation(len(names))
        ch_names = [names[i] for i in order]
        rows = [ch_names.index(c) for c in OFFICIAL_CHANNELS[subject][:3]]
        for run in runs:
            labels = [w for w in range(len(words)) for _ in range(per_word_per_run)]
            rng.shuffle(labels)
            trials = [(words[w], word_trial(w, len(ch_names), rows, rng)) for w in labels]
            folder = root / "data" / "seeg.he2023xuanwu" / subject / "word-recitation"
            write_run(folder / f"run{run}" / RUN_DIR, ch_names, trials)
    return root


def write_pretrain(
    root: Path,
    subject: str = "001",
    n_files: int = 10,
    seconds: float = 6.0,
    seed: int = 1,
    words=WORDS,
) -> Path:
    """`<subject>/pretrain/dataset.default.1000hz/` under the corpus: `info` (DotDict pickle
    with its own channel order) and `run<k>/part<j>.npy` arrays (2, channels, T) float64
    volts, plane 0 (X_s) the signal with a word burst every ~1.5 s, plane 1 (X_n) another
    signal (the official loader reads it, Du-IN never trains on it). Returns the folder."""
    rng = np.random.default_rng(seed)
    names = list(OFFICIAL_CHANNELS[subject]) + list(EXTRA_CHANNELS)
    ch_names = [names[i] for i in rng.permutation(len(names))]
    rows = [ch_names.index(c) for c in OFFICIAL_CHANNELS[subject][:3]]
    folder = root / "data" / "seeg.he2023xuanwu" / subject / "pretrain" / "dataset.default.1000hz"
    folder.mkdir(parents=True, exist_ok=True)
    with fake_dotdict() as DotDict:
        (folder / "info").write_bytes(pickle.dumps(DotDict({"ch_names": ch_names}), protocol=4))
    samples = int(seconds * 1000)
    for k in range(n_files):
        x = 20e-6 * background(len(ch_names), samples, rng)
        x += 3e-6 * rng.standard_normal(x.shape)
        for centre in np.arange(0.75, seconds - 0.5, 1.5):
            burst = 120e-6 * word_response(int(rng.integers(len(words))), samples, centre)
            x[rows] += burst
        noise_plane = 1e-3 * rng.standard_normal(x.shape)  # visibly not the signal
        part = folder / f"run{k // 4 + 1}" / f"part{k % 4}.npy"
        part.parent.mkdir(exist_ok=True)
        np.save(part, np.stack([x, noise_plane]))
    return folder
