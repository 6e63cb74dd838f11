"""Writes Du-IN's released layout with pickles shaped like the real ones (protocol 4).

`info` and `data` are pickled with a fake module `utils.DotDict` (the repository's class
path) and numpy's array reconstruction under its numpy 1.x name (`numpy.core.multiarray`),
as the released files are. Words are separable in a few contacts: each word adds its own
frequency burst on the first three selected channels, on top of noise, in volts.
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


def word_trial(
    word: int,
    n_channels: int,
    rows: list[int],
    rng,
    samples: int = 3000,
    center: float = 1.0,
    noise: float = 20e-6,
) -> np.ndarray:
    """(channels, samples) float64 volts: noise, plus the word's burst on `rows`."""
    t = np.arange(samples) / 1000.0
    x = noise * rng.standard_normal((n_channels, samples))
    envelope = np.exp(-(((t - center) / 0.3) ** 2))
    burst = 60e-6 * envelope * np.sin(2 * np.pi * (4 + 5 * word) * t)
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
