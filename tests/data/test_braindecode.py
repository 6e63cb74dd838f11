"""braindecode hub Zarr <-> neurokit store, on datasets braindecode itself builds and writes."""

from __future__ import annotations

import numpy as np
import pytest

from neurokit.core.data.braindecode_zarr import export_braindecode, import_braindecode
from neurokit.core.data.store import Store
from neurokit.core.errors import DataError

pytest.importorskip("braindecode")
pytest.importorskip("huggingface_hub")  # braindecode's convert_to_zarr needs its [hub] extra

SFREQ = 100.0
CHANNELS = ["Fp1", "Cz", "O2"]


def _concat(n=3, meg=False):
    import mne
    import pandas as pd
    from braindecode.datasets import BaseConcatDataset, RawDataset

    rng = np.random.default_rng(0)
    datasets = []
    for i in range(n):
        if meg:
            info = mne.create_info(["MEG0111", "MEG0112", "EEG001"], SFREQ, ["mag", "grad", "eeg"])
            info["chs"][0]["loc"][:12] = [0.01, 0.02, 0.03, *np.eye(3).ravel()]
            data = rng.standard_normal((3, 1000)) * np.array([[200e-15], [50e-13], [20e-6]])
        else:
            info = mne.create_info(CHANNELS, SFREQ, "eeg")
            data = rng.standard_normal((3, 1000)) * 20e-6
        raw = mne.io.RawArray(data, info, verbose="error")
        raw.set_annotations(
            mne.Annotations([1.0, 4.0, 7.0], [2.0, 2.0, 2.0], ["left", "right", "left"])
        )
        desc = pd.Series({"subject": f"s{i}", "session": "1", "pathological": bool(i % 2),
                          "train": i < 2})  # fmt: skip
        datasets.append(RawDataset(raw, desc, target_name="pathological"))
    return BaseConcatDataset(datasets)


def test_import_raw_and_windows_written_by_braindecode(tmp_path):
    from braindecode.datautil.hub_formats import convert_to_zarr
    from braindecode.preprocessing import create_windows_from_events

    concat = _concat()
    convert_to_zarr(concat, tmp_path / "raw.zarr")
    summary = import_braindecode(tmp_path / "raw.zarr", tmp_path / "raw_store.zarr")
    assert summary.dataset_type == "RawDataset" and summary.recordings == 3
    store = Store(tmp_path / "raw_store.zarr")
    assert store.class_names == ["False", "True"] and store.schema.label_kind == "recording"
    metas = [store.recordings[f"recording_{i}"] for i in range(3)]
    assert [m.label for m in metas] == [0, 1, 0] and [m.subject for m in metas] == [
        "s0",
        "s1",
        "s2",
    ]
    assert [m.split for m in metas] == ["train", "train", "test"]  # braindecode's `train` flag
    original = concat.datasets[0].raw.get_data()
    np.testing.assert_allclose(store.read("recording_0"), original * 1e6, rtol=1e-5, atol=1e-3)
    assert store.info()["channel_types"] == {"eeg": 9} and store.channels("recording_0").names == (
        "FP1", "CZ", "O2")  # fmt: skip

    # windows from events: a hub (BIDS-like) folder with sourcedata/braindecode/dataset.zarr
    events = create_windows_from_events(concat, preload=False)
    hub = tmp_path / "hub" / "sourcedata" / "braindecode"
    hub.mkdir(parents=True)
    convert_to_zarr(events, hub / "dataset.zarr")
    import_braindecode(tmp_path / "hub", tmp_path / "ev.zarr")
    store = Store(tmp_path / "ev.zarr")
    assert store.schema.label_kind == "events" and store.class_names == ["0", "1"]
    ev = store.events("recording_1")
    assert ev[:, :3].tolist() == [[100, 200, 0], [400, 200, 1], [700, 200, 0]]


def test_import_fixed_length_windows(tmp_path):
    from braindecode.datautil.hub_formats import convert_to_zarr
    from braindecode.preprocessing import create_fixed_length_windows

    concat = _concat()
    fixed = create_fixed_length_windows(concat, window_size_samples=250,
                                        window_stride_samples=250, drop_last_window=True)  # fmt: skip
    convert_to_zarr(fixed, tmp_path / "fixed.zarr")
    import_braindecode(tmp_path / "fixed.zarr", tmp_path / "fx.zarr")
    store = Store(tmp_path / "fx.zarr")
    assert store.recordings["recording_1"].label == 1  # every window says pathological
    assert len(store.events("recording_0")) == 4


def test_meg_units_and_positions_survive_both_ways(tmp_path):
    from braindecode.datautil.hub_formats import convert_to_zarr, load_from_zarr

    concat = _concat(n=2, meg=True)
    convert_to_zarr(concat, tmp_path / "meg.zarr")
    import_braindecode(tmp_path / "meg.zarr", tmp_path / "store.zarr")
    store = Store(tmp_path / "store.zarr")
    info = store.info()
    assert info["units_by_type"] == {"eeg": "uV", "grad": "fT/cm", "mag": "fT"}
    ch = store.channels("recording_0")
    np.testing.assert_allclose(ch.positions[0], [0.01, 0.02, 0.03], atol=1e-7)
    assert ch.sources[0] == "file"
    std = store.read("recording_0").std(axis=1)
    np.testing.assert_allclose(std, [200, 50, 20], rtol=0.15)

    export_braindecode(store, tmp_path / "back.zarr")
    loaded = load_from_zarr(tmp_path / "back.zarr", preload=True)
    raw = loaded.datasets[0].raw
    assert raw.get_channel_types() == ["mag", "grad", "eeg"]
    np.testing.assert_allclose(raw.get_data(), concat.datasets[0].raw.get_data(), rtol=1e-5,
                               atol=1e-20)  # fmt: skip
    np.testing.assert_allclose(raw.info["chs"][0]["loc"][:12], [0.01, 0.02, 0.03, *np.eye(3).ravel()],
                               atol=1e-7)  # fmt: skip


def test_export_event_store_loads_in_braindecode(tmp_path):
    """A TUEV-like event store (one edge window wraps) exported and read back by braindecode."""
    from braindecode.datautil.hub_formats import load_from_zarr

    from tests.data.conftest import build_store, fake_recording

    events = [(-50, 200, 1, -1), (300, 200, 0, -1), (5800, 200, 1, -1)]
    recs = [fake_recording(f"r{i}", ["FP1", "CZ"], seconds=30, events=events, seed=i)
            for i in range(2)]  # fmt: skip
    build_store(tmp_path / "s.zarr", recs, label_kind="events")
    summary = export_braindecode(tmp_path / "s.zarr", tmp_path / "out.zarr")
    assert summary.shifted == 2 and summary.windows == 6  # braindecode windows cannot wrap
    for preload in (True, False):
        loaded = load_from_zarr(tmp_path / "out.zarr", preload=preload)
        assert len(loaded) == 6
        x, y, crop = loaded[1]
        assert y == 0 and x.shape == (2, 200) and list(crop) == [1, 300, 500]
        expected = Store(tmp_path / "s.zarr").read("r0", 300, 500) * 1e-6
        np.testing.assert_allclose(x, expected, rtol=1e-5, atol=1e-12)
    with pytest.raises(DataError, match="exists"):
        export_braindecode(tmp_path / "s.zarr", tmp_path / "out.zarr")
    # and back again: the same windows and labels
    import_braindecode(tmp_path / "out.zarr", tmp_path / "again.zarr")
    again = Store(tmp_path / "again.zarr")
    assert again.events("recording_0")[:, :3].tolist() == [
        [0, 200, 1],
        [300, 200, 0],
        [5800, 200, 1],
    ]


def test_bad_inputs_are_clear(tmp_path):
    from tests.data.conftest import build_store, fake_recording

    (tmp_path / "x").mkdir()
    with pytest.raises(DataError, match="not a braindecode Zarr dataset"):
        import_braindecode(tmp_path / "x", tmp_path / "y.zarr")
    build_store(
        tmp_path / "mixed.zarr", [fake_recording("a", ["FP1"]), fake_recording("b", ["CZ"])]
    )
    with pytest.raises(DataError, match="needs one channel list and one rate"):
        export_braindecode(tmp_path / "mixed.zarr", tmp_path / "o.zarr")
