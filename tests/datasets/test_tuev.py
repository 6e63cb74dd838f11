"""`tuev` on a tiny v2.0.x tree: .rec events -> LaBraM windows (start-2 s .. stop+2 s), labels, splits."""

from __future__ import annotations

import numpy as np
import pytest

import neurokit
from neurokit.core.errors import DataError
from tests.datasets.conftest import write_tuh_edf

TRAIN_SUBJECTS = ["00000001", "00000002", "00000003", "00000004", "00000005"]


@pytest.fixture(scope="module")
def tuev_root(tmp_path_factory):
    edf = tmp_path_factory.mktemp("tuev") / "v2.0.1" / "edf"
    for i, subject in enumerate(TRAIN_SUBJECTS):
        path = write_tuh_edf(
            edf / "train" / subject / f"{subject}_00000001.edf", seconds=12, seed=i
        )
        # channel,start,stop,code: a PLED marked on two channels, an edge event, a background second
        path.with_suffix(".rec").write_text(
            "14,5.0,6.0,3\n15,5.0,6.0,3\n0,0.5,1.5,4\n9,10.5,11.5,6\n"
        )
    path = write_tuh_edf(edf / "eval" / "032" / "bckg_032_a_.edf", seconds=12, seed=9)
    path.with_suffix(".rec").write_text("3,4.0,5.0,1\n")
    return edf.parent


def dataset(**options):
    return neurokit.create("dataset", "tuev", **options)


def test_discover_splits(tuev_root):
    sources = dataset().discover(tuev_root)
    assert len(sources) == 6
    test = [s for s in sources if s.split == "test"]
    assert [s.path.name for s in test] == ["bckg_032_a_.edf"]
    train = {s.subject for s in sources if s.split == "train"}
    val = {s.subject for s in sources if s.split == "val"}
    assert len(val) == 1 and train | val == set(TRAIN_SUBJECTS) and not train & val
    assert [s.split for s in dataset().discover(tuev_root)] == [s.split for s in sources]


def test_event_windows_like_labram(tuev_root):
    ds = dataset()
    source = next(s for s in ds.discover(tuev_root) if s.subject == "00000001")
    rec = ds.load(source)
    assert rec.sfreq == 200.0 and rec.data.shape == (23, 2400)
    got = [(e.start, e.length, e.label) for e in rec.events]
    assert got == [
        (600, 1000, 2),  # PLED 5-6 s -> 3..8 s, code 3 -> class 2 (pled)
        (600, 1000, 2),  # the same PLED on its second channel: one window per .rec line, as LaBraM
        (-300, 1000, 3),  # eyem at 0.5 s: window starts at -1.5 s and wraps (LaBraM's tiling)
        (1700, 1000, 5),  # bckg at 10.5 s: window ends at 13.5 s, past 12 s, and wraps
    ]
    shifted = dataset(edge="shift").load(source)
    assert [(e.start, e.length) for e in shifted.events][2:] == [(0, 1000), (1400, 1000)]
    assert all(e.channel == -1 for e in rec.events)  # referential store: no TCP channel rows
    assert ds.class_names == ("spsw", "gped", "pled", "eyem", "artf", "bckg")


def test_dedupe_and_tcp_channel_index(tuev_root):
    ds = dataset(deduplicate=True, profile="luna")
    source = next(s for s in ds.discover(tuev_root) if s.subject == "00000001")
    rec = ds.load(source)
    assert [e.label for e in rec.events] == [2, 3, 5]
    # .rec channel 14 is FP1-F3 in TUEV's montage; stored rows are in TCP order
    assert rec.channel_names[rec.events[0].channel] == "FP1-F3"
    assert rec.events[0].length == 5 * 256


def test_missing_and_malformed_rec(tmp_path):
    path = write_tuh_edf(tmp_path / "edf/train/00000009/00000009_00000001.edf", seconds=6)
    ds = dataset()
    source = ds.discover(tmp_path)[0]
    with pytest.raises(DataError, match="no event file 00000009_00000001.rec"):
        ds.load(source)
    path.with_suffix(".rec").write_text("1,1.0,2.0,6\n1;1.0;2.0;6\n")
    with pytest.raises(DataError) as info:
        ds.load(source)
    assert str(path.with_suffix(".rec")) in str(info.value) and "line 2" in str(info.value)


def test_prepared_store_serves_event_windows(tuev_root, tmp_path):
    from neurokit.core.data.dataset import WindowDataset
    from neurokit.core.data.prepare import prepare

    prepare("tuev", tuev_root, tmp_path / "tuev.zarr", progress=False)
    windows = WindowDataset(
        tmp_path / "tuev.zarr", split="test", window_seconds=None, cache="memory"
    )
    assert len(windows) == 1
    item = windows[0]
    assert item.signal.shape == (23, 1000) and item.label == 0  # spsw
    assert np.isfinite(np.asarray(item.signal)).all()


def test_event_past_the_end(tmp_path):
    path = write_tuh_edf(tmp_path / "edf/train/00000009/00000009_00000001.edf", seconds=6)
    path.with_suffix(".rec").write_text("1,1.0,2.0,6\n1,30.0,31.0,6\n")
    ds = dataset()
    with pytest.raises(
        DataError,
        match=r"00000009_00000001.rec: event at 30 s starts after the recording ends \(6 s\)",
    ):
        ds.load(ds.discover(tmp_path)[0])


def test_edge_windows_wrap_as_labram_cuts_them(tuev_root, tmp_path):
    """The store serves an edge window exactly as LaBraM's tiled slice
    `concatenate([s, s, s])[:, n + start - 2 fs : n + stop + 2 fs]` (windows read back)."""
    from neurokit.core.data.dataset import WindowDataset
    from neurokit.core.data.prepare import prepare
    from neurokit.core.data.store import Store

    prepare("tuev", tuev_root, tmp_path / "tuev.zarr", progress=False)
    store = Store(tmp_path / "tuev.zarr")
    rid = next(r for r in store.recordings if r.startswith("train__00000001__"))
    signal = store.read(rid)
    n = signal.shape[1]
    tiled = np.concatenate([signal, signal, signal], axis=1)
    split = store.recordings[rid].split
    for cache in ("memory", "none"):
        windows = WindowDataset(store, split=split, window_seconds=None, cache=cache)
        mine = [i for i in range(len(windows)) if windows[i].recording == rid]
        starts = sorted(windows[i].start for i in mine)
        assert starts == [-300, 600, 600, 1700]
        for i in mine:
            item = windows[i]
            np.testing.assert_array_equal(
                item.signal, tiled[:, n + item.start : n + item.start + 1000]
            )
        batch = windows.__getitems__(mine)  # the DataLoader path (views, then one copy)
        assert all(np.asarray(b.signal).shape == (23, 1000) for b in batch)


def test_tuev_v1_lbl_annotations(tmp_path):
    from tests.datasets.conftest import write_lbl

    path = write_tuh_edf(tmp_path / "edf/train/00000009/00000009_00000001.edf", seconds=8)
    # channel 0 = FP1-F7, 9 = T3-C3 in the file's own montage block; spsw then bckg
    write_lbl(path.with_suffix(".lbl"), [(0, 2.0, 3.0, "spsw"), (9, 5.0, 6.0, "bckg")],
              symbols=("(null)", "spsw", "gped", "pled", "eyem", "artf", "bckg"))  # fmt: skip
    ds = dataset(profile="luna")
    rec = ds.load(ds.discover(tmp_path)[0])
    got = [(rec.channel_names[e.channel], e.label, e.start) for e in rec.events]
    assert got == [("FP1-F7", 0, 0), ("T3-C3", 5, 3 * 256)]
    write_lbl(path.with_suffix(".lbl"), [(0, 2.0, 3.0, "seiz")], symbols=("(null)", "seiz"))
    with pytest.raises(DataError, match="label 'seiz' is not a TUEV class"):
        ds.load(ds.discover(tmp_path)[0])
