"""The decoded cache: bounded by NEUROKIT_CACHE_MAX_GB with LRU eviction; float16 stays float16."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from neurokit.core.data import cache_limit
from neurokit.core.data.cache import RecordingCache
from neurokit.core.data.dataset import WindowDataset
from neurokit.core.data.store import open_store
from neurokit.core.errors import ConfigError
from tests.data.stores import subject_store

SUBJECTS = {"s1": "train", "s2": "train", "s3": "train"}


def _files(directory):
    return sorted(p.name.split("-")[0] for p in directory.glob("*/*.npy"))


def test_cache_is_evicted_least_recently_used_under_the_bound(tmp_path, monkeypatch):
    store = open_store(subject_store(tmp_path / "s.zarr", SUBJECTS, seconds=10))
    rids = sorted(store.recordings)  # 6 recordings of 4 ch x 640 float32 = 10,240 bytes each
    one = 4 * 640 * 4 + 128
    monkeypatch.setenv(cache_limit.ENV, str(3.5 * one / 1e9))
    directory = tmp_path / "cache"
    clock = time.time() - 1000
    for i, rid in enumerate(rids[:3]):
        RecordingCache(store, "disk", directory).get(rid)  # a separate run each: nothing stays open
        path = next(directory.glob(f"*/{rid}-*.npy"))
        os.utime(path, (clock + i, clock + i))
    assert _files(directory) == rids[:3]
    # using the oldest makes it the newest: the next build evicts rids[1] instead
    RecordingCache(store, "disk", directory).get(rids[0])
    RecordingCache(store, "disk", directory).get(rids[3])
    assert _files(directory) == sorted([rids[0], rids[2], rids[3]])
    total = sum(p.stat().st_size for p in directory.glob("*/*.npy"))
    assert total <= 3.5 * one


def test_open_files_are_never_evicted_and_evicted_files_are_rebuilt(tmp_path, monkeypatch):
    store = open_store(subject_store(tmp_path / "s.zarr", SUBJECTS, seconds=10))
    rids = sorted(store.recordings)
    monkeypatch.setenv(cache_limit.ENV, str(1.5 * (4 * 640 * 4 + 128) / 1e9))
    directory = tmp_path / "cache"
    mine = RecordingCache(store, "disk", directory)
    held = np.array(mine.get(rids[0]))
    other = RecordingCache(store, "disk", directory)  # another run, sharing the directory
    other.get(rids[1])  # rids[0] is the oldest, but `mine`'s files are only `mine`'s to protect
    assert _files(directory) == [rids[1]]
    assert np.array_equal(mine.get(rids[0]), held)  # the open memmap still reads the same data
    mine.get(rids[2])  # needs room: evicts rids[1] (not open here), keeps nothing it holds open
    assert rids[2] in _files(directory)
    fresh = RecordingCache(store, "disk", directory)
    assert np.array_equal(fresh.get(rids[0]), held)  # rebuilt on demand, same data


def test_bad_bound_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(cache_limit.ENV, "lots")
    with pytest.raises(ConfigError, match="NEUROKIT_CACHE_MAX_GB"):
        cache_limit.limit_bytes()
    monkeypatch.setenv(cache_limit.ENV, "")
    assert cache_limit.limit_bytes() is None


@pytest.mark.parametrize("mode", ["disk", "memory"])
def test_float16_store_stays_float16_in_the_cache(tmp_path, mode):
    path = subject_store(tmp_path / "h.zarr", {"s1": "train"}, dtype="float16")
    store = open_store(path)
    rid = sorted(store.recordings)[0]
    stored = np.asarray(store.array(rid)[:])
    assert stored.dtype == np.float16
    cache = RecordingCache(store, mode, tmp_path / "cache")
    assert cache.get(rid).dtype == np.float16
    if mode == "disk":
        (file,) = (tmp_path / "cache").glob("*/*.npy")
        assert np.load(file, mmap_mode="r").dtype == np.float16
        assert file.stat().st_size < stored.size * 4  # half the bytes of float32
    ds = WindowDataset(path, "train", 2.0, cache=mode, cache_dir=tmp_path / "cache")
    batch = ds.read_batch(list(range(len(ds))))
    assert batch.signal.dtype.is_floating_point and batch.signal.element_size() == 4
    first = ds.metas.index(store.recordings[rid])
    rows = [i for i in range(len(ds)) if ds._rec[i] == first]
    expected = np.stack([stored[:, s : s + 128].astype(np.float32) for s in ds._start[rows]])
    assert np.array_equal(
        batch.signal[rows].numpy(), expected
    )  # exact: float16 -> float32 is lossless
    assert np.array_equal(ds[rows[0]].signal, expected[0])


def _reader(location: str, directory: str, rounds: int, queue) -> None:
    store = open_store(location)
    bad = 0
    for k in range(rounds):
        for rid in sorted(store.recordings)[k % 2 :: 1]:
            cache = RecordingCache(store, "disk", directory)  # fresh: nothing protected
            expected = store.read(rid)
            bad += int(not np.array_equal(np.asarray(cache.get(rid), dtype=np.float32), expected))
    queue.put(bad)


def test_concurrent_runs_under_a_tight_bound_never_read_a_broken_file(tmp_path, monkeypatch):
    import multiprocessing as mp

    path = subject_store(tmp_path / "s.zarr", SUBJECTS, seconds=10)
    monkeypatch.setenv(cache_limit.ENV, str(2.2 * (4 * 640 * 4 + 128) / 1e9))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_reader, args=(str(path), str(tmp_path / "c"), 4, queue))
        for _ in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert [queue.get(timeout=5) for _ in procs] == [0, 0, 0]
    assert len(list((tmp_path / "c").glob("*/*.npy"))) <= 2  # the bound held under concurrency
    assert not list((tmp_path / "c").glob("*/.*.tmp"))
