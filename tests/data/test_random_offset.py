"""Per-epoch random window offsets (`random_offset`, DataView.random_offset) and the one
whole-window rule (`window_starts`) that training, deployment and datasets share."""

from __future__ import annotations

import numpy as np
import pytest

from neurokit.core.data.dataset import WindowDataset, window_starts
from neurokit.core.data.store import Store
from neurokit.core.errors import DataError

from .conftest import build_store, fake_recording

NAMES = ["FP1", "FP2", "CZ"]


@pytest.fixture
def store(tmp_path):
    recs = [
        fake_recording("a", NAMES, seconds=37, label=0, seed=1),  # 7400 samples at 200 Hz
        fake_recording("b", NAMES, seconds=12, label=1, seed=2),
    ]
    return build_store(tmp_path / "s.zarr", recs)


def crops(store, tmp_path, epoch, stride=None, seed=7):
    ds = WindowDataset(store, "train", 10, stride, labels="none", seed=seed,
                       cache_dir=tmp_path / "cache", random_offset=True)  # fmt: skip
    ds.set_epoch(epoch)
    return ds, ds.read_batch(np.arange(len(ds)))


def test_offsets_change_per_epoch_stay_inside_and_resume_exactly(store, tmp_path):
    ds, first = crops(store, tmp_path, epoch=0)
    _, again = crops(store, tmp_path, epoch=0)  # a resumed run rebuilds the dataset
    _, second = crops(store, tmp_path, epoch=1)
    assert len(ds) == 3 + 1  # same window count as the grid
    assert first.start.tolist() == again.start.tolist()
    assert np.array_equal(first.signal.numpy(), again.signal.numpy())
    assert first.start.tolist() != second.start.tolist()
    grid = np.array([0, 2000, 4000, 0])
    for batch in (first, second):
        start = batch.start.numpy()
        assert (start >= grid).all() and (start < grid + 2000).all()
        n = np.array([7400, 7400, 7400, 2400])
        assert (start + 2000 <= n).all()  # inside the recording
        for i, (rid, s) in enumerate(zip(batch.recording, start.tolist(), strict=True)):
            expected = Store(store).read(rid, s, s + 2000)
            np.testing.assert_array_equal(batch.signal[i].numpy(), expected)
    # items (the DataLoader path) agree with read_batch
    assert [ds[i].start for i in range(len(ds))] == first.start.tolist()


def test_one_random_crop_per_recording_with_a_long_stride(store, tmp_path):
    starts = {crops(store, tmp_path, e, stride=1000)[1].start[0].item() for e in range(8)}
    assert len(starts) > 4 and all(0 <= s <= 7400 - 2000 for s in starts)


def test_offsets_off_by_default_and_for_subsets(store, tmp_path):
    grid = WindowDataset(store, "train", 10, labels="none", cache_dir=tmp_path / "c")
    grid.set_epoch(3)
    assert grid.read_batch(np.arange(len(grid))).start.tolist() == [0, 2000, 4000, 0]
    ds, batch = crops(store, tmp_path, epoch=2)
    part = ds.subset(np.array([1, 3]))
    assert part.read_batch(np.arange(2)).start.tolist() == batch.start[[1, 3]].tolist()


def test_window_starts_is_the_whole_window_rule():
    assert window_starts(10, 4, 3).tolist() == [0, 3, 6]
    assert window_starts(3, 4, 1).dtype == np.int64 and len(window_starts(3, 4, 1)) == 0
    with pytest.raises(DataError):
        window_starts(10, 4, 0)
