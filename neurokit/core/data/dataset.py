"""The torch side: windows cut at training time from a store, collated into `Batch`es.

`WindowDataset` is a map-style dataset with a fixed, deterministic index of
(recording, start, label) rows, so DistributedSampler shards it identically on
every rank. It holds no open handles until first use in a process: each
DataLoader worker opens the store (and its decompressed cache) itself.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from neurokit.core.data.cache import CacheMode, RecordingCache
from neurokit.core.data.schema import RecordingMeta
from neurokit.core.data.store import Store, open_store
from neurokit.core.errors import DataError

LabelMode = Literal["auto", "recording", "events", "majority", "none"]


def window_starts(n_samples: int, window: int, stride: int) -> np.ndarray:
    """First samples (int64) of the whole windows of `window` samples, `stride` apart, that
    fit in `n_samples`: the one rule training, evaluation, deployment and datasets cut by."""
    if window <= 0 or stride <= 0:
        raise DataError(f"window ({window}) and stride ({stride}) must be positive")
    if n_samples < window:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, n_samples - window + 1, stride, dtype=np.int64)


@dataclass
class WindowItem:
    """One window, before collation."""

    signal: np.ndarray  # (C, T) float32 uV
    channel_names: tuple[str, ...]
    positions: np.ndarray  # (C, 3) metres
    label: int | float | None
    recording: str
    start: int
    cache_file: str | None = (
        None  # the decoded cache file `signal` views (lets process workers defer the copy)
    )
    subject: str = ""
    session: str = ""
    subject_index: int = -1  # index into the run's subject list (DataInfo.subjects)
    source: int = 0  # index of the store this window came from (mixtures; DataInfo.sources)


class WindowDataset:
    """Windows of `window_seconds` every `stride_seconds` over the recordings of one split.

    Labels: `recording` (each window gets its recording's label, TUAB), `events`
    (one window centred on each stored event, TUEV), `majority` (sliding windows
    labelled by the event covering most of them, at least `min_overlap`; TUSL; with
    `foreground_threshold`, a non-background class covering at least that fraction wins
    over background, LUNA's TUAR rule),
    `none` (pretraining), or `auto` (from the store's `label_kind`). Windows with
    no label are dropped unless labels are `none`.

    `subjects` keeps only those subjects' recordings. Every window carries its
    recording's subject and session; `set_subjects` maps them to the run's integer
    subject index (per-subject layers), `source`/`label_offset` place the store in a
    mixture of stores (see `neurokit.core.data.mixture`).

    `random_offset` (sliding windows only): each epoch, every window starts at a random
    offset in [0, stride) after its grid position, clipped so that it stays inside its
    recording; with a stride longer than the recordings that is one random crop per
    recording per epoch (Du-IN's pretraining). The offsets are drawn from (`seed`, `source`,
    epoch) when `set_epoch` is called, so a resumed run sees exactly the same crops.
    """

    def __init__(
        self,
        store: str | os.PathLike | Store,
        split: str | Sequence[str] | None = "train",
        window_seconds: float | None = 10.0,
        stride_seconds: float | None = None,
        labels: LabelMode = "auto",
        cache: CacheMode = "disk",
        cache_dir: str | os.PathLike | None = None,
        max_windows: int | None = None,
        min_overlap: float | None = None,
        foreground_threshold: float | None = None,
        background_label: int | None = None,
        seed: int = 0,
        storage_options: dict | None = None,
        subjects: Sequence[str] | None = None,
        source: int = 0,
        label_offset: int = 0,
        random_offset: bool = False,
    ):
        self.store = open_store(store, storage_options)
        self.seed = int(seed)
        self.random_offset = bool(random_offset)
        self._offset: np.ndarray | None = None  # per-window offsets of the current epoch
        self.source = int(source)
        self.label_offset = int(label_offset)
        schema = self.store.schema
        self.split = split
        self.class_names = list(schema.class_names)
        self.labels_mode = schema.label_kind if labels == "auto" else labels
        if self.labels_mode not in {"recording", "events", "majority", "none"}:
            raise DataError(f"{self.store.location}: unknown label mode {self.labels_mode!r}")
        metas = self.store.select(split)
        if subjects is not None:
            wanted = {str(x) for x in subjects}
            metas = [m for m in metas if m.subject in wanted]
            if not metas:
                known = sorted({m.subject for m in self.store.select(split)})
                raise DataError(
                    f"{self.store.location}: none of the subjects {sorted(wanted)} in split "
                    f"{split!r} (subjects there: {', '.join(known[:20])}"
                    f"{' ...' if len(known) > 20 else ''})"
                )
        rates = {m.sfreq for m in metas}
        if len(rates) != 1:
            raise DataError(
                f"{self.store.location}: split {split!r} mixes sampling rates {sorted(rates)}"
            )
        self.sfreq = float(rates.pop())
        self.window = int(round(window_seconds * self.sfreq)) if window_seconds else None
        self.stride = int(round(stride_seconds * self.sfreq)) if stride_seconds else self.window
        if self.window is None and self.labels_mode != "events":
            raise DataError("window_seconds is required unless windows come from events")
        if self.stride is not None and self.stride <= 0:
            raise DataError("stride_seconds must be positive")
        # majority-rule options: arguments > the dataset's config recorded in the store > defaults
        options = schema.dataset_config or {}
        self.min_overlap = float(
            min_overlap if min_overlap is not None else options.get("min_overlap", 0.5)
        )
        threshold = (
            foreground_threshold
            if foreground_threshold is not None
            else options.get("foreground_threshold")
        )
        self.foreground_threshold = None if threshold is None else float(threshold)
        self.background_label = int(
            background_label if background_label is not None else options.get("background_label", 0)
        )
        self.metas: list[RecordingMeta] = metas
        self._ids = [m.id for m in metas]
        self._rec, self._start, self._length, self._label = self._index(metas)
        if max_windows is not None and len(self._rec) > max_windows:
            keep = np.sort(
                np.random.default_rng(seed).choice(len(self._rec), max_windows, replace=False)
            )
            self._rec, self._start, self._length, self._label = (
                a[keep] for a in (self._rec, self._start, self._length, self._label)
            )
        self.cache = RecordingCache(self.store, cache, cache_dir)
        self._names = [tuple(m.channel_names) for m in metas]
        self._positions = [self.store.channels(m.id).positions for m in metas]  # schema 2
        self._cache_files: list[str | None] = [None] * len(metas)
        self._channels = np.array([len(n) for n in self._names], dtype=np.int64)
        self._subjects = [m.subject for m in metas]
        self._sessions = [m.session for m in metas]
        self._subject_index = np.full(len(metas), -1, dtype=np.int64)
        self._pos_table: np.ndarray | None = None

    # ------------------------------------------------------------------ subjects

    @property
    def subjects(self) -> list[str]:
        """The sorted subject ids of the windows this dataset serves."""
        return sorted({self._subjects[r] for r in np.unique(self._rec)})

    def set_subjects(self, index: dict[str, int], prefix: str = "") -> None:
        """Map each recording's subject (as `prefix + subject`) to the run's subject index."""
        self._subject_index = np.array(
            [index.get(prefix + s, -1) for s in self._subjects], dtype=np.int64
        )

    def subset(self, keep: np.ndarray) -> WindowDataset:
        """A dataset over some of this one's windows (a boolean mask or indices), sharing the store."""
        import copy

        part = copy.copy(self)
        part._rec, part._start, part._length, part._label = (
            a[keep] for a in (self._rec, self._start, self._length, self._label)
        )
        part._offset = None if self._offset is None else self._offset[keep]
        return part

    # ------------------------------------------------------------------ random offsets

    def set_epoch(self, epoch: int) -> None:
        """Draw this epoch's window offsets (a no-op unless `random_offset`).

        Offsets depend only on (seed, source, epoch) and the window index, never on
        global random state, so resuming at `epoch` reproduces them exactly.
        """
        if not self.random_offset or self.labels_mode == "events" or len(self._rec) == 0:
            return
        n_samples = np.array([m.n_samples for m in self.metas], dtype=np.int64)[self._rec]
        room = n_samples - self._length - self._start  # how far each window may move right
        span = np.clip(np.minimum(self.stride - 1, room), 0, None)
        rng = np.random.default_rng([self.seed % 2**32, self.source, int(epoch)])
        self._offset = np.floor(rng.random(len(span)) * (span + 1)).astype(np.int64)

    def window_start(self, index: np.ndarray | int) -> np.ndarray | int:
        """First sample of window(s) `index` this epoch (grid start + any random offset)."""
        start = self._start[index]
        return start if self._offset is None else start + self._offset[index]

    @property
    def window_recordings(self) -> np.ndarray:
        """Recording position (into `metas`) of every window."""
        return self._rec.copy()

    # ------------------------------------------------------------------ index

    def _index(self, metas: list[RecordingMeta]) -> tuple[np.ndarray, ...]:
        rec, start, length, label = [], [], [], []
        for i, meta in enumerate(metas):
            if self.labels_mode == "events":
                s, n, y = self._event_windows(meta)
            else:
                s = self._sliding(meta.n_samples)
                n = np.full(len(s), self.window, dtype=np.int64)
                if self.labels_mode == "recording":
                    value = np.nan if meta.label is None else float(meta.label)
                    y = np.full(len(s), value)
                elif self.labels_mode == "majority":
                    y = self._majority(meta, s)
                else:
                    y = np.full(len(s), np.nan)
            rec.append(np.full(len(s), i, dtype=np.int64))
            start.append(np.asarray(s, dtype=np.int64))
            length.append(np.asarray(n, dtype=np.int64))
            label.append(np.asarray(y, dtype=np.float64))
        cat = [np.concatenate(x) if x else np.zeros(0) for x in (rec, start, length, label)]
        rec_a, start_a, length_a, label_a = cat
        if self.labels_mode != "none":
            keep = ~np.isnan(label_a)
            rec_a, start_a, length_a, label_a = (
                rec_a[keep],
                start_a[keep],
                length_a[keep],
                label_a[keep],
            )
        if self.labels_mode == "events" and self.window is None and len(np.unique(length_a)) > 1:
            raise DataError(
                f"{self.store.location}: events have different lengths; set window_seconds to cut equal windows"
            )
        return rec_a.astype(np.int64), start_a.astype(np.int64), length_a.astype(np.int64), label_a

    def _sliding(self, n_samples: int) -> np.ndarray:
        return window_starts(n_samples, self.window, self.stride)

    def _event_windows(self, meta: RecordingMeta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ev = self.store.events(meta.id)
        if len(ev) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        if self.window is None:
            return ev[:, 0], ev[:, 1], ev[:, 2].astype(float)
        if meta.n_samples < self.window:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        centre = ev[:, 0] + ev[:, 1] // 2
        starts = np.clip(centre - self.window // 2, 0, meta.n_samples - self.window)
        return starts, np.full(len(ev), self.window), ev[:, 2].astype(float)

    def _majority(self, meta: RecordingMeta, starts: np.ndarray) -> np.ndarray:
        ev = self.store.events(meta.id)
        labels = np.full(len(starts), np.nan)
        if len(ev) == 0 or len(starts) == 0:
            return labels
        classes = np.unique(ev[:, 2])
        ends = starts + self.window
        cover = np.zeros((len(starts), len(classes)))
        for s, n, y, _ in ev:
            overlap = np.clip(np.minimum(ends, s + n) - np.maximum(starts, s), 0, None)
            cover[:, np.searchsorted(classes, y)] += overlap
        best = cover.argmax(axis=1)
        enough = cover[np.arange(len(starts)), best] >= self.min_overlap * self.window
        labels[enough] = classes[best[enough]]
        if self.foreground_threshold is not None:
            fg = classes != self.background_label
            if fg.any():
                fg_cover = np.where(fg[None], cover, -1.0)
                fg_best = fg_cover.argmax(axis=1)
                hit = (
                    fg_cover[np.arange(len(starts)), fg_best]
                    >= self.foreground_threshold * self.window
                )
                labels[hit] = classes[fg_best[hit]]
        return labels

    # ------------------------------------------------------------------ access

    def __len__(self) -> int:
        return len(self._rec)

    @property
    def labels(self) -> np.ndarray:
        """Label per window (float; NaN where none), e.g. for class weights or a weighted sampler."""
        return self._label.copy()

    def remap_labels(self, order: Sequence[int]) -> None:
        """Class k becomes class `order[k]` (a store whose classes are ordered differently)."""
        mapping = np.asarray(order, dtype=np.float64)
        known = ~np.isnan(self._label)
        self._label[known] = mapping[self._label[known].astype(np.int64)]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def window_samples(self) -> int | None:
        return self.window

    def __getitem__(self, index: int) -> WindowItem:
        return self._item(index, copy=True)

    def __getitems__(self, indices: Sequence[int]) -> list[WindowItem]:
        """Batched fetch used by DataLoader: windows are views that `collate` copies once."""
        return [self._item(i, copy=False) for i in indices]

    def _item(self, index: int, copy: bool) -> WindowItem:
        r = int(self._rec[index])
        start, length = int(self.window_start(index)), int(self._length[index])
        rid = self._ids[r]
        n_total = self.metas[r].n_samples
        if start < 0 or start + length > n_total:  # an edge window that wraps (TUEV, LaBraM)
            signal, copy = _wrapped(self.cache, rid, start, length, n_total), True
        else:
            signal = (
                self.cache.window(rid, start, length)
                if copy
                else self.cache.view(rid, start, length)
            )
        cache_file = None
        if not copy and self.cache.mode == "disk":
            cache_file = self._cache_files[r]
            if cache_file is None:
                cache_file = self._cache_files[r] = str(self.cache.path(self.metas[r]))
        if signal.shape[1] < length:  # only a store whose data disagrees with its metadata
            raise DataError(
                f"{self.store.location}: recording {rid!r} is shorter than its metadata says"
            )
        names = self._names[r]
        label = self._label[index]
        value: int | float | None
        if np.isnan(label):
            value = None
        elif float(label).is_integer():
            value = int(label) + self.label_offset
        else:
            value = float(label)
        return WindowItem(
            signal, names, self._positions[r], value, rid, start, cache_file,
            self._subjects[r], self._sessions[r], int(self._subject_index[r]), self.source,
        )  # fmt: skip

    def read_batch(self, indices: Sequence[int], sfreq: float | None = None) -> Any:
        """The `Batch` of these windows, copied once from the cache straight into it.

        The fast path of the loaders (`Collate.fetch`): no per-window `WindowItem`, one
        copy per window (it releases the GIL, so loader threads run in parallel).
        """
        idx = np.asarray(indices, dtype=np.int64)
        return assemble([(self, idx, np.arange(len(idx)))], len(idx), sfreq or self.sfreq)

    def _padded_positions(self) -> np.ndarray:
        if self._pos_table is None:
            table = np.zeros((len(self.metas), int(self._channels.max(initial=0)), 3), np.float32)
            for r, pos in enumerate(self._positions):
                table[r, : len(pos)] = pos
            self._pos_table = table
        return self._pos_table

    def warm_cache(self) -> None:
        """Decode every recording of the split into the local cache now.

        Under torch.distributed the ranks of a node share the work (LOCAL_RANK /
        LOCAL_WORLD_SIZE), then wait for each other; anything still missing is built
        lazily on first use, so a partial warm is never wrong, only slower.
        """
        rids = sorted({self._ids[r] for r in np.unique(self._rec)})
        dist = _distributed()
        if dist is None:
            self.cache.warm(rids)
            return
        local_rank = int(os.environ.get("LOCAL_RANK", dist.get_rank()))
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", dist.get_world_size()))
        self.cache.warm(rids[local_rank::local_world])
        dist.barrier()
        self.cache.warm(rids)  # cheap when the node's other ranks built them

    def channel_sets(self) -> list[tuple[str, ...]]:
        return sorted(set(self._names))


def _wrapped(cache: Any, rid: str, start: int, length: int, n_total: int) -> np.ndarray:
    """Samples start..start+length taken modulo the recording length (the signal tiled)."""
    pieces, pos, stop = [], start, start + length
    while pos < stop:
        offset = pos % n_total
        take = min(n_total - offset, stop - pos)
        pieces.append(cache.window(rid, offset, take))
        pos += take
    return np.concatenate(pieces, axis=1)


def _distributed() -> Any:
    """torch.distributed when a process group is up, else None."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover
        return None
    return dist if dist.is_available() and dist.is_initialized() else None


# ---------------------------------------------------------------- collation


def collate(items: Sequence[WindowItem], sfreq: float | None = None) -> Any:
    """Stack windows into a Batch, zero-padding channels up to the largest set (mask False)."""

    from neurokit.core.data.batch import Batch

    if not items:
        raise DataError("cannot collate an empty batch")
    lengths = {it.signal.shape[1] for it in items}
    if len(lengths) > 1:
        raise DataError(f"windows of different lengths in one batch: {sorted(lengths)}")
    n = len(items)
    c_max = max(it.signal.shape[0] for it in items)
    t = lengths.pop()
    mask = np.zeros((n, c_max), dtype=bool)
    positions = np.zeros((n, c_max, 3), dtype=np.float32)
    for i, it in enumerate(items):
        c = it.signal.shape[0]
        mask[i, :c] = True
        positions[i, :c] = it.positions
    from torch.utils.data import get_worker_info

    deferred = get_worker_info() is not None and all(it.cache_file is not None for it in items)
    if deferred:
        out = None
    else:
        out = _batch_tensor((n, c_max, t))
        signal = out.numpy()
        for i, it in enumerate(items):
            c = it.signal.shape[0]
            signal[i, :c] = it.signal
            if c < c_max:
                signal[i, c:] = 0.0
    labels = [it.label for it in items]
    label = None
    if all(v is not None for v in labels):
        integral = all(isinstance(v, int) for v in labels)
        label = np.array(labels, dtype=np.int64 if integral else np.float32)
    fields = (
        dict(  # numpy until the end: a deferred batch pickles them inline, not via shared memory
            channel_mask=mask,
            positions=positions,
            channel_names=[list(it.channel_names) for it in items],
            sfreq=float(sfreq) if sfreq is not None else 0.0,
            label=label,
            recording=[it.recording for it in items],
            start=np.array([it.start for it in items], dtype=np.int64),
            subject=[it.subject for it in items],
            session=[it.session for it in items],
            subject_index=np.array([it.subject_index for it in items], dtype=np.int64),
            source=np.array([it.source for it in items], dtype=np.int64),
        )
    )
    if deferred:
        windows = [(it.cache_file, it.start, t, it.signal.shape[0]) for it in items]
        return DeferredBatch(windows, (n, c_max, t), fields)
    return Batch(signal=out, **_tensors(fields))


def _tensors(fields: dict) -> dict:
    import torch

    return {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in fields.items()}


class DeferredBatch:
    """What a DataLoader worker process sends instead of a filled batch.

    Copying windows into fresh shared memory costs a worker ~6x more than the same copy
    in the receiving process (benchmarks/loading.py). So for windows served from the
    decoded cache, a worker sends (cache file, start, length) per window, and unpickling
    in the main process reads them from its own memmaps into a regular `Batch`.
    """

    def __init__(
        self, windows: list[tuple[str, int, int, int]], shape: tuple[int, int, int], fields: dict
    ):
        self.windows, self.shape, self.fields = windows, shape, fields

    def __reduce__(self):
        return (_materialize, (self.windows, self.shape, self.fields))

    def materialize(self) -> Any:
        """The real Batch (read here); attribute access does this implicitly, so worker-side
        code that wraps collate still sees a Batch."""
        batch = self.__dict__.get("_batch")
        if batch is None:
            batch = self.__dict__["_batch"] = _materialize(self.windows, self.shape, self.fields)
        return batch

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in {"windows", "shape", "fields", "_batch"}:
            raise AttributeError(name)
        return getattr(self.materialize(), name)

    def __len__(self) -> int:
        return self.shape[0]


_MEMMAPS: OrderedDict[str, np.ndarray] = OrderedDict()


def _memmap(path: str) -> np.ndarray:
    """Per-process LRU of open cache memmaps (bounded: each costs one mapping)."""
    array = _MEMMAPS.get(path)
    if array is None:
        array = _MEMMAPS[path] = np.load(path, mmap_mode="r").view(np.ndarray)
        if len(_MEMMAPS) > 1024:
            _MEMMAPS.popitem(last=False)
    else:
        _MEMMAPS.move_to_end(path)
    return array


def _materialize(
    windows: list[tuple[str, int, int, int]], shape: tuple[int, int, int], fields: dict
) -> Any:
    import torch

    from neurokit.core.data.batch import Batch

    out = torch.empty(shape, dtype=torch.float32)
    signal = out.numpy()
    for i, (path, start, length, c) in enumerate(windows):
        signal[i, :c] = _memmap(path)[:, start : start + length]
        if c < shape[1]:
            signal[i, c:] = 0.0
    return Batch(signal=out, **_tensors(fields))


def _batch_tensor(shape: tuple[int, int, int]) -> Any:
    """An uninitialised float32 tensor; in a DataLoader worker, allocated in shared memory
    so sending the batch to the main process copies nothing (as torch's default_collate does)."""
    import torch
    from torch.utils.data import get_worker_info

    if get_worker_info() is None:
        return torch.empty(shape, dtype=torch.float32)
    numel = shape[0] * shape[1] * shape[2]
    elem = torch.empty(0, dtype=torch.float32)
    storage = elem._typed_storage()._new_shared(numel, device=elem.device)
    return elem.new(storage).resize_(*shape)


def _labels(values: np.ndarray) -> np.ndarray | None:
    """A batch's labels as collate types them: None if any is missing, int64 if all integral."""
    if np.isnan(values).any():
        return None
    if np.all(np.mod(values, 1.0) == 0.0):
        return values.astype(np.int64)
    return values.astype(np.float32)


def assemble(parts: Sequence[tuple[Any, np.ndarray, np.ndarray]], n: int, sfreq: float) -> Any:
    """One `Batch` from `(dataset, window indices, rows in the batch)` parts.

    Each window is copied once, from its recording's cached array (float16 stores
    are widened here), into the batch tensor; everything else is gathered per part
    with numpy. Same result as `collate` over the datasets' items.
    """
    import torch

    from neurokit.core.data.batch import Batch

    if n == 0:
        raise DataError("cannot collate an empty batch")
    plans = []
    for ds, idx, rows in parts:
        rec = ds._rec[idx]
        plans.append((ds, idx, np.asarray(rows, dtype=np.int64), rec, ds._channels[rec]))
    lengths = {int(x) for ds, idx, *_ in plans for x in np.unique(ds._length[idx])}
    if len(lengths) > 1:
        raise DataError(f"windows of different lengths in one batch: {sorted(lengths)}")
    t = lengths.pop()
    c_max = int(max(int(c.max(initial=0)) for *_, c in plans))
    out = torch.empty((n, c_max, t), dtype=torch.float32)
    signal = out.numpy()
    positions = np.zeros((n, c_max, 3), dtype=np.float32)
    mask = np.zeros((n, c_max), dtype=bool)
    label = np.full(n, np.nan)
    start = np.zeros(n, dtype=np.int64)
    subject_index = np.full(n, -1, dtype=np.int64)
    source = np.zeros(n, dtype=np.int64)
    names: list[Any] = [None] * n
    recording: list[Any] = [None] * n
    subject: list[Any] = [None] * n
    session: list[Any] = [None] * n
    for ds, idx, rows, rec, chans in plans:
        starts = ds.window_start(idx)
        arrays = {}
        for r in np.unique(rec).tolist():
            rid = ds._ids[r]
            array = arrays[r] = ds.cache.get(rid) if ds.cache.mode != "none" else None
            if array is not None and array.shape[1] < ds.metas[r].n_samples:
                raise DataError(
                    f"{ds.store.location}: recording {rid!r} is shorter than its metadata says"
                )
        rows_l, rec_l = rows.tolist(), rec.tolist()
        for row, r, s, c in zip(rows_l, rec_l, starts.tolist(), chans.tolist(), strict=True):
            array = arrays[r]  # the copy below is the only per-window work; it releases the GIL
            n_total = ds.metas[r].n_samples
            if s < 0 or s + t > n_total:  # an edge window that wraps (TUEV, as LaBraM cuts it)
                signal[row, :c] = _wrapped(ds.cache, ds._ids[r], s, t, n_total)
            elif array is None:
                signal[row, :c] = ds.cache.view(ds._ids[r], s, t)
            else:
                signal[row, :c] = array[:, s : s + t]
            if c < c_max:
                signal[row, c:] = 0.0
        for row, r in zip(rows_l, rec_l, strict=True):
            names[row] = list(ds._names[r])
            recording[row] = ds._ids[r]
            subject[row] = ds._subjects[r]
            session[row] = ds._sessions[r]
        table = ds._padded_positions()
        width = min(table.shape[1], c_max)
        positions[rows, :width] = table[rec, :width]
        mask[rows] = np.arange(c_max)[None, :] < chans[:, None]
        y = ds._label[idx]
        integral = ~np.isnan(y) & (np.mod(np.nan_to_num(y), 1.0) == 0.0)
        label[rows] = np.where(integral, y + ds.label_offset, y)
        start[rows] = starts
        subject_index[rows] = ds._subject_index[rec]
        source[rows] = ds.source
    fields = dict(
        channel_mask=mask, positions=positions, channel_names=names, sfreq=float(sfreq),
        label=_labels(label), recording=recording, start=start, subject=subject,
        session=session, subject_index=subject_index, source=source,
    )  # fmt: skip
    return Batch(signal=out, **_tensors(fields))


class Collate:
    """Picklable collate_fn that knows the sampling rate (for spawned workers).

    `fetch(dataset, indices)` is the loaders' fast path: datasets with `read_batch`
    build the batch directly; any other dataset goes through items and `collate`.
    """

    def __init__(self, sfreq: float):
        self.sfreq = sfreq

    def __call__(self, items: Sequence[WindowItem]) -> Any:
        return collate(items, self.sfreq)

    def fetch(self, dataset: Any, indices: Sequence[int]) -> Any:
        reader = getattr(dataset, "read_batch", None)
        if reader is not None:
            return reader(indices, self.sfreq)
        getitems = getattr(dataset, "__getitems__", None)
        return self(getitems(indices) if getitems else [dataset[i] for i in indices])


def make_dataloader(
    store: str | os.PathLike | Store,
    split: str | Iterable[str] | None = "train",
    window_seconds: float | None = 10.0,
    stride_seconds: float | None = None,
    batch_size: int = 64,
    shuffle: bool | None = None,
    num_workers: int = 0,
    labels: LabelMode = "auto",
    cache: CacheMode = "disk",
    cache_dir: str | os.PathLike | None = None,
    max_windows: int | None = None,
    seed: int = 0,
    drop_last: bool = False,
    distributed: bool | None = None,
    pin_memory: bool = False,
    warm: bool = True,
    storage_options: dict | None = None,
    worker_type: Literal["auto", "thread", "process"] = "auto",
    **loader_options: Any,
):
    """A loader of `Batch`es over one split; what the trainer calls.

    `worker_type`: `thread` serves windows from the local memmap cache with
    `num_workers` threads (no inter-process copy; the fast path, see
    `neurokit.core.data.loader`), `process` uses torch DataLoader worker processes
    (the right choice when each item costs CPU, e.g. `cache="none"`); `auto` picks
    threads for the disk/memory caches.

    `shuffle` defaults to True for the `train` split. Under torch.distributed
    (or `distributed=True`) a DistributedSampler shards the windows across ranks;
    call `loader.sampler.set_epoch(epoch)` each epoch. `warm` decodes the split
    into the local cache before workers start (once; later runs reuse it).
    The dataset is `loader.dataset` (class_names, sfreq, labels, ...).
    """
    import torch
    from torch.utils.data import DataLoader, DistributedSampler

    dataset = WindowDataset(
        store, split if isinstance(split, str) or split is None else list(split), window_seconds, stride_seconds,
        labels=labels, cache=cache, cache_dir=cache_dir, max_windows=max_windows, seed=seed,
        storage_options=storage_options,
    )  # fmt: skip
    if len(dataset) == 0:
        raise DataError(
            f"{dataset.store.location}: split {split!r} has no windows of {window_seconds} s"
        )
    if warm:
        dataset.warm_cache()
    if shuffle is None:
        shuffle = split == "train"
    if distributed is None:
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    sampler = None
    if distributed:
        sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed, drop_last=drop_last)
    generator = torch.Generator()
    generator.manual_seed(seed)
    if worker_type == "thread" or (worker_type == "auto" and cache != "none"):
        from neurokit.core.data.loader import ThreadedLoader

        return ThreadedLoader(
            dataset, batch_size=batch_size, shuffle=shuffle if sampler is None else False, sampler=sampler,
            num_workers=num_workers, collate_fn=Collate(dataset.sfreq), drop_last=drop_last,
            generator=generator, pin_memory=pin_memory, **loader_options,
        )  # fmt: skip
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle if sampler is None else False,
        sampler=sampler,
        num_workers=num_workers,
        collate_fn=Collate(dataset.sfreq),
        pin_memory=pin_memory,
        drop_last=drop_last,
        persistent_workers=num_workers > 0,
        generator=generator,
        **loader_options,
    )
