"""`seed`, `hmc`, `workload`: NeuroLM's three added corpora read from their published layouts."""

from __future__ import annotations

import numpy as np
import pytest

import neurokit
from neurokit.core.errors import DataError
from tests.conftest import assert_clean_failure
from tests.datasets.neurolm_corpora import (
    SEED_LABELS,
    write_hmc,
    write_hmc_scoring_txt,
    write_seed,
    write_workload,
)


def dataset(name, **options):
    return neurokit.create("dataset", name, **options)


# ---------------------------------------------------------------------------- SEED


def test_seed_clips_windows_labels_splits(tmp_path):
    write_seed(tmp_path)
    ds = dataset("seed")
    sources = ds.discover(tmp_path)
    assert len(sources) == 2 * 15
    first = [s for s in sources if s.subject == "1"]
    assert [s.split for s in first] == ["train"] * 9 + ["val"] * 3 + ["test"] * 3
    expected = [{1: 0, 0: 1, -1: 2}[v] for v in SEED_LABELS]
    assert [s.label for s in first] == expected
    rec = ds.load(first[4])
    assert rec.channel_names[:3] == ["FP1", "FPZ", "FP2"] and len(rec.channel_names) == 62
    assert rec.sfreq == 200.0 and rec.data.shape == (62, 1800)
    # 9-s clip, 4-s windows without overlap: two windows from the clip start
    assert [(e.start, e.length, e.label) for e in rec.events] == [(0, 800, 1), (800, 800, 1)]


def test_seed_bad_session_and_labels(tmp_path):
    from scipy.io import savemat

    write_seed(tmp_path, sessions=("1_20131027",))
    folder = tmp_path / "Preprocessed_EEG"
    savemat(folder / "3_20140101.mat", {"abc_eeg1": np.zeros((62, 1000))})  # 14 clips missing
    ds = dataset("seed")
    bad = next(s for s in ds.discover(tmp_path) if s.subject == "3")
    with pytest.raises(DataError, match=r"no variable\(s\) \*_eeg2"):
        ds.load(bad)
    savemat(folder / "label.mat", {"label": np.array([[1, 0, 7]])})
    with pytest.raises(DataError, match="15 values"):
        ds.discover(tmp_path)


def test_seed_cnt_uses_neurolm_trial_marks(tmp_path, monkeypatch):
    """mne reads the .cnt; here a Raw stands in for one so the trial-mark cutting is checked."""
    import mne

    from neurokit.plugins.datasets import seed as seed_module

    (tmp_path / "1_20131027.cnt").write_bytes(b"")
    names = list(seed_module.SEED_CHANNELS) + ["M1", "M2", "VEO", "HEO"]
    # NeuroLM's marks span an hour; shorter marks of the same form keep the test small
    trials = tuple((10 * k + 2, 10 * k + 7) for k in range(15))
    monkeypatch.setattr(seed_module, "CNT_TRIALS", trials)
    sfreq = 400.0

    def fake_read(path, preload=True):
        rng = np.random.default_rng(0)
        data = 1e-5 * rng.standard_normal((len(names), int(sfreq * 152)))
        return mne.io.RawArray(data, mne.create_info(names, sfreq, "eeg"), verbose="error")

    monkeypatch.setattr("neurokit.core.data.rawio.read_raw", fake_read)
    ds = dataset("seed", source="cnt")
    sources = ds.discover(tmp_path)
    assert [s.label for s in sources] == list(seed_module.CNT_LABELS)
    rec = ds.load(sources[3])  # clip 4: [32, 37 + 1) s of the 200-Hz session -> 6 s, 1 window
    assert rec.channel_names == list(seed_module.SEED_CHANNELS)  # M1, M2, VEO, HEO dropped
    assert rec.data.shape == (62, 6 * 200) and [(e.start, e.length) for e in rec.events] == [
        (0, 800)
    ]
    session = ds._session(sources[3].path)
    assert np.array_equal(rec.data, session.data[:, 32 * 200 : 38 * 200])


def test_seed_prepare_cli(tmp_path, cli):
    write_seed(tmp_path / "raw", sessions=("1_20131027",), clip_seconds=(4.0,) * 15)
    out = tmp_path / "seed.zarr"
    result = cli("prepare", "seed", "--raw", str(tmp_path / "raw"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    from neurokit.core.data.store import Store

    store = Store(out)
    assert store.class_names == ["positive", "neutral", "negative"]
    assert store.splits() == {"train": 9, "val": 3, "test": 3}
    (tmp_path / "empty").mkdir()
    assert_clean_failure(cli("prepare", "seed", "--raw", str(tmp_path / "empty")), "SEED layout")


# ----------------------------------------------------------------------------- HMC


def test_hmc_epochs_channels_split(tmp_path):
    write_hmc(tmp_path, recordings=4, annotation_edf=(4,))
    ds = dataset("hmc", train_recordings=2, val_recordings=1)
    sources = ds.discover(tmp_path)
    assert [(s.recording_id, s.split) for s in sources] == [
        ("SN001", "train"), ("SN002", "train"), ("SN003", "val"), ("SN004", "test"),
    ]  # fmt: skip
    for source in (sources[0], sources[3]):  # scoring from .txt, and from EDF+ annotations
        rec = ds.load(source)
        assert rec.channel_names == ["F4", "C4", "O2", "C3"] and rec.sfreq == 200.0
        assert [(e.start, e.length, e.label) for e in rec.events] == [
            (k * 6000, 6000, k) for k in range(5)
        ]


def test_hmc_lights_rows_and_bad_scoring(tmp_path):
    write_hmc(tmp_path, recordings=1, stages=("W", "N2", "R"))
    ds = dataset("hmc")
    source = ds.discover(tmp_path)[0]
    assert len(ds.load(source).events) == 3  # lights off/on rows are not epochs
    txt = tmp_path / "recordings" / "SN001_sleepscoring.txt"
    write_hmc_scoring_txt(txt, ["W", "?"])
    with pytest.raises(DataError, match=r"line 4: unknown sleep stage '\?'"):
        ds.load(source)
    txt.unlink()
    with pytest.raises(DataError, match="no scoring file"):
        ds.load(source)


# ------------------------------------------------------------------------ Workload


def test_workload_windows_labels_negative_gain(tmp_path):
    written = write_workload(tmp_path, subjects=3)
    ds = dataset("workload", train_files=2, val_files=2)
    sources = ds.discover(tmp_path)
    assert [(s.recording_id, s.label, s.split) for s in sources] == [
        ("Subject00_1", 0, "train"), ("Subject00_2", 1, "train"),
        ("Subject01_1", 0, "val"), ("Subject01_2", 1, "val"),
        ("Subject02_1", 0, "test"), ("Subject02_2", 1, "test"),
    ]  # fmt: skip
    assert sources[0].extra["Count quality"] == "1"
    rec = ds.load(sources[1])
    assert len(rec.channel_names) == 19 and "A2-A1" not in rec.channel_names
    n = rec.data.shape[1]
    assert n == 70 * 200
    assert [(e.start, e.length) for e in rec.events] == [
        (n - 12000 + 400 * k, 800) for k in range(29)
    ]
    assert {e.label for e in rec.events} == {1}
    # the negative gain is read with its sign: the stored signal follows the source, not its mirror
    raw_fp1 = written["Subject00_2"][0]
    source = np.interp(np.arange(n) * 2.5, np.arange(raw_fp1.size), raw_fp1)  # 500 -> 200 Hz
    r = np.corrcoef(source[1000:-1000], rec.data[0, 1000:-1000])[0, 1]
    assert r > 0.8


def test_workload_short_file_is_skipped_with_reason(tmp_path):
    write_workload(tmp_path, subjects=1, seconds=30)
    ds = dataset("workload")
    with pytest.raises(DataError, match="shorter than the 60 s"):
        ds.load(ds.discover(tmp_path)[0])
