"""`folder`: a directory of EDF/FIF files with an optional labels CSV (bring your own data)."""

from __future__ import annotations

import numpy as np
import pytest

import neurokit
from neurokit.core.data.rawio import write_edf
from neurokit.core.errors import DataError

CHANNELS = ["Fp1", "Fp2", "Cz", "O1"]


def eeg(seconds=4, sfreq=250.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sfreq)) / sfreq
    return 10 * rng.standard_normal((len(CHANNELS), t.size)) + 20 * np.sin(2 * np.pi * 10 * t)


def write_fif(path, seconds=4, sfreq=250.0, seed=0):
    import mne

    info = mne.create_info(CHANNELS + ["ECG"], sfreq, ["eeg"] * 4 + ["ecg"])
    data = np.vstack([eeg(seconds, sfreq, seed), np.zeros((1, int(seconds * sfreq)))]) * 1e-6
    path.parent.mkdir(parents=True, exist_ok=True)
    mne.io.RawArray(data, info, verbose="error").save(path, verbose="error")
    return path


@pytest.fixture
def byo(tmp_path):
    for i, name in enumerate(["p01/rest.edf", "p01/task.edf", "p02/rest.edf", "p03/rest.edf"]):
        write_edf(tmp_path / name, eeg(seed=i), 250.0, CHANNELS)
    write_fif(tmp_path / "p04" / "rest_raw.fif", seed=9)
    return tmp_path


def test_unlabelled_folder(byo):
    ds = neurokit.create("dataset", "folder")
    sources = ds.discover(byo)
    assert [s.recording_id for s in sources] == [
        "p01/rest",
        "p01/task",
        "p02/rest",
        "p03/rest",
        "p04/rest_raw",
    ]
    assert [s.subject for s in sources] == ["p01", "p01", "p02", "p03", "p04"]
    assert ds.label_kind == "none" and all(s.label is None for s in sources)
    splits = {}
    for s in sources:
        splits.setdefault(s.subject, set()).add(s.split)
    assert all(len(v) == 1 for v in splits.values())  # subject-disjoint
    rec = ds.load(sources[-1])  # FIF: the ECG channel has no 10-05 position and is dropped
    assert rec.channel_names == ["FP1", "FP2", "CZ", "O1"] and rec.sfreq == 200.0
    assert 5 < rec.data.std() < 100


def test_labels_csv(byo):
    (byo / "labels.csv").write_text(
        "path,label,subject,split\np01/rest.edf,sleepy,A,train\np02/rest.edf,alert,B,test\np04/rest_raw.fif,sleepy,C,\n"
    )
    ds = neurokit.create("dataset", "folder", class_names=["alert", "sleepy"])
    sources = ds.discover(byo)
    assert [(s.recording_id, s.label, s.subject) for s in sources] == [
        ("p01/rest", 1, "A"), ("p02/rest", 0, "B"), ("p04/rest_raw", 1, "C")
    ]  # fmt: skip
    assert [s.split for s in sources][:2] == ["train", "test"] and ds.label_kind == "recording"


def test_label_from_folder(tmp_path):
    for cls in ("abnormal", "normal"):
        for i in range(2):
            write_edf(tmp_path / cls / f"s{i}_{cls}.edf", eeg(seed=i), 250.0, CHANNELS)
    ds = neurokit.create("dataset", "folder", label_from_folder=True)
    sources = ds.discover(tmp_path)
    assert ds.class_names == ["abnormal", "normal"]
    assert [s.label for s in sources] == [0, 0, 1, 1]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("file,label\np01/rest.edf,a\n", "line 1: header must name `path` and `label`"),
        (
            "path,label\np01/rest.edf,a\np09/missing.edf,b\n",
            "line 3: recording 'p09/missing.edf' not found",
        ),
        ("path,label\np01/rest.edf,a,extra\n", "line 2: 3 fields, the header has 2"),
        ("path,label,split\np01/rest.edf,a,holdout\n", "line 2: split 'holdout'"),
        ("path,label\np01/rest.edf,a\np01/rest.edf,b\n", "listed twice"),
    ],
)
def test_bad_labels_csv(byo, text, reason):
    (byo / "labels.csv").write_text(text)
    with pytest.raises(DataError) as info:
        neurokit.create("dataset", "folder").discover(byo)
    assert str(byo / "labels.csv") in str(info.value) and reason in str(info.value)


def test_corrupt_and_empty(tmp_path):
    bad = tmp_path / "x.edf"
    bad.write_bytes(b"0       garbage")
    ds = neurokit.create("dataset", "folder")
    (source,) = ds.discover(tmp_path)
    with pytest.raises(DataError, match="x.edf"):
        ds.load(source)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no recordings"):
        ds.discover(empty)
