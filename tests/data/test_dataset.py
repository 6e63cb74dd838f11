"""Windows cut at training time, labels per window, collation into Batch, DataLoader workers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, DistributedSampler

from neurokit.core.data.batch import Batch
from neurokit.core.data.channels import channel_positions
from neurokit.core.data.dataset import WindowDataset, collate, make_dataloader
from neurokit.core.data.store import Store
from neurokit.core.errors import DataError

from .conftest import build_store, fake_recording

REF = ["FP1", "FP2", "CZ", "O1"]
TCP = ["FP1-F7", "F7-T3"]


@pytest.fixture
def store(tmp_path):
    recs = [
        fake_recording("ref_a", REF, seconds=30, label=0, seed=1),
        fake_recording("tcp_b", TCP, seconds=21, label=1, seed=2),
        fake_recording("val_c", REF, seconds=10, split="val", label=1, seed=3),
    ]
    return build_store(tmp_path / "s.zarr", recs)


def test_windows_and_recording_labels(store, tmp_path):
    ds = WindowDataset(store, "train", window_seconds=10, cache_dir=tmp_path / "cache")
    assert ds.sfreq == 200 and len(ds) == 3 + 2  # 30 s -> 3 windows, 21 s -> 2
    assert ds.labels.tolist() == [0, 0, 0, 1, 1]
    half = WindowDataset(
        store, "train", window_seconds=10, stride_seconds=5, cache_dir=tmp_path / "cache"
    )
    assert len(half) == 5 + 3
    item = ds[4]
    raw = Store(store).read("tcp_b", 2000, 4000)
    np.testing.assert_array_equal(item.signal, raw)
    assert item.channel_names == tuple(TCP) and item.label == 1 and item.start == 2000
    np.testing.assert_allclose(item.positions, channel_positions(TCP)[0])


def test_all_cache_modes_serve_the_same_windows(store, tmp_path):
    modes = [
        WindowDataset(store, "train", 10, cache=m, cache_dir=tmp_path / "c")
        for m in ("disk", "memory", "none")
    ]
    for i in range(len(modes[0])):
        np.testing.assert_array_equal(modes[0][i].signal, modes[1][i].signal)
        np.testing.assert_array_equal(modes[0][i].signal, modes[2][i].signal)
    files = list((tmp_path / "c").rglob("*.npy"))
    assert len(files) == 2 and not list((tmp_path / "c").rglob("*.tmp"))


def test_collate_pads_mixed_montages_with_a_mask(store, tmp_path):
    ds = WindowDataset(store, "train", 10, cache_dir=tmp_path / "c")
    batch = collate([ds[0], ds[3]], sfreq=ds.sfreq)
    assert isinstance(batch, Batch) and batch.signal.shape == (2, 4, 2000)
    assert batch.channel_mask.tolist() == [[True] * 4, [True, True, False, False]]
    assert batch.channel_names == [REF, TCP]
    assert torch.all(batch.signal[1, 2:] == 0) and torch.all(batch.positions[1, 2:] == 0)
    assert batch.label.dtype == torch.int64 and batch.label.tolist() == [0, 1]
    assert (
        batch.recording == ["ref_a", "tcp_b"]
        and batch.start.tolist() == [0, 0]
        and batch.sfreq == 200
    )


def test_event_windows_and_majority_labels(tmp_path):
    events = [(1000, 200, 2, 0), (3000, 200, 5, 1)]
    rec = fake_recording("ev", REF, seconds=30, label=None, events=events)
    path = build_store(tmp_path / "e.zarr", [rec], class_names=list("abcdef"), label_kind="events")
    ds = WindowDataset(path, "train", window_seconds=5, cache_dir=tmp_path / "c")  # auto -> events
    assert len(ds) == 2 and ds.labels.tolist() == [2, 5]
    assert ds[0].start == 1100 - 500 and ds[0].signal.shape == (4, 1000)
    natural = WindowDataset(
        path, "train", window_seconds=None, labels="events", cache_dir=tmp_path / "c"
    )
    assert natural[1].start == 3000 and natural[1].signal.shape == (4, 200)
    # majority: 1-s windows labelled where an event covers >= half of them, others dropped
    maj = WindowDataset(
        path, "train", window_seconds=1, labels="majority", cache_dir=tmp_path / "c"
    )
    assert maj._start.tolist() == [1000, 3000] and maj.labels.tolist() == [2, 5]
    # LUNA's TUAR rule: a foreground class covering >= 30 % beats background
    spans = [(0, 1400, 0, -1), (1400, 600, 1, -1)]  # window 0-2000: 70 % background, 30 % artifact
    bg = build_store(tmp_path / "bg.zarr", [fake_recording("a", REF, seconds=10, label=None, events=spans)],
                     label_kind="majority")  # fmt: skip
    assert WindowDataset(bg, "train", 10, cache_dir=tmp_path / "c").labels.tolist() == [0]
    assert WindowDataset(
        bg, "train", 10, foreground_threshold=0.3, cache_dir=tmp_path / "c"
    ).labels.tolist() == [1]
    none = WindowDataset(path, "train", window_seconds=10, labels="none", cache_dir=tmp_path / "c")
    assert len(none) == 3 and collate([none[0]]).label is None


def test_dataloader_with_two_workers_and_distributed_sampler(store, tmp_path):
    loader = make_dataloader(store, "train", 10, batch_size=2, num_workers=2, cache_dir=tmp_path / "c", seed=1,
                             worker_type="process")  # fmt: skip
    assert isinstance(loader, DataLoader)
    seen, signals = [], {}
    for batch in loader:
        assert isinstance(batch, Batch) and batch.signal.shape[-1] == 2000
        seen += list(zip(batch.recording, batch.start.tolist(), strict=True))
        signals.update(
            {
                k: batch.signal[i, : batch.channel_mask[i].sum()]
                for i, k in enumerate(seen[-len(batch) :])
            }
        )
    assert len(seen) == 5 and len(set(seen)) == 5
    threaded = make_dataloader(
        store, "train", 10, batch_size=2, num_workers=2, cache_dir=tmp_path / "c", seed=1
    )
    assert type(threaded).__name__ == "ThreadedLoader" and len(threaded) == 3
    for batch in threaded:
        for i, key in enumerate(zip(batch.recording, batch.start.tolist(), strict=True)):
            assert torch.equal(batch.signal[i, : batch.channel_mask[i].sum()], signals[key])
    ds = loader.dataset
    shards = []
    for rank in range(2):
        sampler = DistributedSampler(ds, num_replicas=2, rank=rank, shuffle=True, seed=0)
        dl = DataLoader(ds, batch_size=2, sampler=sampler, collate_fn=collate, num_workers=0)
        shards.append(
            {(r, s) for b in dl for r, s in zip(b.recording, b.start.tolist(), strict=True)}
        )
    assert shards[0] | shards[1] == set(seen)
    val = make_dataloader(store, "val", 10, batch_size=8, cache_dir=tmp_path / "c")
    assert [b.label.tolist() for b in val] == [[1]]


def test_max_windows_and_errors(store, tmp_path):
    ds = WindowDataset(store, ["train", "val"], 5, max_windows=4, cache_dir=tmp_path / "c")
    assert len(ds) == 4
    with pytest.raises(DataError, match="no recordings in split 'test'"):
        WindowDataset(store, "test", 10)
    with pytest.raises(DataError, match="has no windows of 60"):
        make_dataloader(store, "train", 60, cache_dir=tmp_path / "c")


def test_threaded_loader_is_a_drop_in_for_the_trainer(store, tmp_path):
    from neurokit.core.data.dataset import Collate
    from neurokit.core.data.loader import ThreadedLoader

    ds = WindowDataset(store, "train", 5, cache_dir=tmp_path / "c")
    sampler = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=True, seed=3)
    sampler.set_epoch(2)
    options = dict(batch_size=2, sampler=sampler, num_workers=2, collate_fn=Collate(ds.sfreq),
                   generator=torch.Generator().manual_seed(0))  # fmt: skip
    reference = [(b.recording, b.start.tolist()) for b in DataLoader(ds, **options)]
    threaded = ThreadedLoader(ds, worker_init_fn=None, persistent_workers=True, **options)
    assert [(b.recording, b.start.tolist()) for b in threaded] == reference
    import threading

    before = threading.active_count()
    iterator = iter(threaded)
    next(iterator)
    iterator.close()  # stopping early (break, exception) leaves no loader thread behind
    assert threading.active_count() == before
    assert len(threaded) == len(reference) == 3


def test_worker_side_batches_defer_the_copy_but_behave_like_batches(store, tmp_path, monkeypatch):
    import pickle

    import torch.utils.data._utils.worker as worker

    from neurokit.core.data.dataset import DeferredBatch

    ds = WindowDataset(store, "train", 10, cache_dir=tmp_path / "c")
    reference = collate(ds.__getitems__([0, 3]), 200.0)
    monkeypatch.setattr(
        worker, "_worker_info", worker.WorkerInfo(id=0, num_workers=1, seed=0, dataset=ds)
    )
    deferred = collate(ds.__getitems__([0, 3]), 200.0)
    assert isinstance(deferred, DeferredBatch) and len(deferred) == 2
    assert len(pickle.dumps(deferred)) < 10_000  # windows travel as (file, start), not samples
    received = pickle.loads(pickle.dumps(deferred))
    assert isinstance(received, Batch) and torch.equal(received.signal, reference.signal)
    assert torch.equal(
        received.channel_mask, reference.channel_mask
    ) and received.label.tolist() == [0, 1]
    assert torch.equal(deferred.signal, reference.signal)  # worker-side code sees a Batch too
