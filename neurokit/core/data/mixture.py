"""Several stores in one run: a map-style dataset over a weighted, seeded table of windows.

The table maps each index of the mixture to (source, window of that source). It is
a pure function of the sources' sizes, the weights, the length and the seed, so
every rank builds the same one: the trainer's `ResumableSampler` shuffles and shards
it like any dataset, and a resumed run replays exactly the same windows. A source
with a larger share than its size is cycled through seeded permutations (every
window once before any twice); a smaller share takes a seeded subset.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neurokit.core.errors import ConfigError, DataError


def shares(sizes: Sequence[int], weights: Sequence[float] | None, length: int) -> list[int]:
    """Windows per source in a table of `length`: proportional to weights (None: to sizes).

    Largest-remainder rounding, so the counts add up to `length` exactly.
    """
    w = np.asarray(sizes if weights is None else weights, dtype=np.float64)
    if (w < 0).any() or w.sum() <= 0:
        raise ConfigError(
            f"data.sources: sampling weights must be >= 0 and not all 0 (got {list(w)})"
        )
    exact = w / w.sum() * length
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: length - int(counts.sum())]] += 1
    return counts.tolist()


def mixture_table(
    sizes: Sequence[int], counts: Sequence[int], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(source, local index) per mixture index, sources in order, each cycled through permutations."""
    src, local = [], []
    for s, (size, count) in enumerate(zip(sizes, counts, strict=True)):
        if count and not size:
            raise DataError(f"data.sources: source {s} has no windows but a share of {count}")
        rng = np.random.default_rng([seed, s])
        rounds = -(-count // size) if size else 0
        picks = (
            np.concatenate([rng.permutation(size) for _ in range(rounds)])[:count]
            if rounds
            else np.zeros(0, np.int64)
        )
        src.append(np.full(count, s, dtype=np.int64))
        local.append(picks.astype(np.int64))
    return np.concatenate(src), np.concatenate(local)


class MixtureDataset:
    """Windows of several `WindowDataset`s; `weights=None` and `length=None` concatenate them.

    Each window's batch row says where it came from (`Batch.source`, an index into
    `names`); labels of the sources are already in the run's label space (each
    source's `label_offset`).
    """

    def __init__(
        self,
        datasets: Sequence[Any],
        names: Sequence[str],
        weights: Sequence[float] | None = None,
        length: int | None = None,
        seed: int = 0,
    ):
        if not datasets:
            raise ConfigError("data.sources: no sources")
        rates = {float(d.sfreq) for d in datasets}
        if len(rates) > 1:
            raise DataError(
                f"sources {', '.join(names)} have different sampling rates {sorted(rates)}; "
                "prepare them with the same preprocessing profile"
            )
        windows = {d.window_samples for d in datasets}
        if len(windows) > 1:
            raise DataError(
                f"sources {', '.join(names)} cut windows of different lengths "
                f"{sorted(w or 0 for w in windows)} samples; give them the same window_seconds"
            )
        self.datasets = list(datasets)
        self.names = list(names)
        sizes = [len(d) for d in self.datasets]
        total = length if length is not None else sum(sizes)
        counts = sizes if weights is None and length is None else shares(sizes, weights, total)
        self.counts = list(counts)
        self._src, self._local = mixture_table(sizes, counts, seed)
        self.sfreq = float(rates.pop())
        self.window_samples = windows.pop()

    def __len__(self) -> int:
        return len(self._src)

    def set_epoch(self, epoch: int) -> None:
        """Pass the epoch to sources that draw per-epoch window offsets."""
        for ds in self.datasets:
            set_epoch = getattr(ds, "set_epoch", None)
            if set_epoch is not None:
                set_epoch(epoch)

    def __getitem__(self, index: int) -> Any:
        return self.datasets[int(self._src[index])][int(self._local[index])]

    def read_batch(self, indices: Sequence[int], sfreq: float | None = None) -> Any:
        """One Batch straight from the sources' caches (see `WindowDataset.read_batch`)."""
        from neurokit.core.data.dataset import assemble

        idx = np.asarray(indices, dtype=np.int64)
        src, local = self._src[idx], self._local[idx]
        parts = []
        for s in np.unique(src):
            rows = np.flatnonzero(src == s)
            parts.append((self.datasets[int(s)], local[rows], rows))
        return assemble(parts, len(idx), sfreq or self.sfreq)

    @property
    def labels(self) -> np.ndarray:
        """Label per mixture index, in the run's label space (NaN where none)."""
        out = np.full(len(self), np.nan)
        for s, ds in enumerate(self.datasets):
            rows = self._src == s
            y = ds.labels[self._local[rows]]
            integral = ~np.isnan(y) & (np.mod(np.nan_to_num(y), 1.0) == 0.0)
            out[rows] = np.where(integral, y + ds.label_offset, y)
        return out

    @property
    def sources(self) -> np.ndarray:
        """Source index per mixture index."""
        return self._src.copy()

    @property
    def metas(self) -> list:
        return [m for d in self.datasets for m in d.metas]

    @property
    def subjects(self) -> list[str]:
        return sorted({s for d in self.datasets for s in d.subjects})

    def warm_cache(self) -> None:
        for d in self.datasets:
            d.warm_cache()

    def channel_sets(self) -> list[tuple[str, ...]]:
        return sorted({c for d in self.datasets for c in d.channel_sets()})


def split_by_source(
    source: Sequence[int] | np.ndarray, names: Sequence[str], *arrays: Any
) -> dict[str, tuple[Any, ...]]:
    """Rows of each array (predictions, targets, ...) grouped by `Batch.source`, keyed by source name.

    For per-source metrics next to the pooled ones: `metric(*parts)` per entry.
    Sources with no rows are left out.
    """
    src = np.asarray(source.cpu() if hasattr(source, "cpu") else source).astype(np.int64)
    for a in arrays:
        if len(a) != len(src):
            raise ValueError(f"split_by_source: {len(a)} rows but {len(src)} source indices")
    out: dict[str, tuple[Any, ...]] = {}
    for s, name in enumerate(names):
        rows = np.flatnonzero(src == s)
        if len(rows):
            out[name] = tuple(a[rows] for a in arrays)
    return out
