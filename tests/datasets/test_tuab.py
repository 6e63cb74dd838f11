"""`tuab` on a tiny tree in the v3.0.x layout: labels from paths, splits, channels, preprocessing."""

from __future__ import annotations

import numpy as np
import pytest

import neurokit
from neurokit.core.data.channels import TCP_NAMES, TUH_REFERENTIAL
from neurokit.core.errors import DataError
from tests.datasets.conftest import tuh_labels, write_tuh_edf

TRAIN = {
    "normal": ["aaaaaaaa", "aaaaaaab", "aaaaaaac", "aaaaaaad", "aaaaaaae"],
    "abnormal": ["aaaaaaaf", "aaaaaaag", "aaaaaaah", "aaaaaaai", "aaaaaaaa"],
}
EVAL = {"normal": ["aaaaaaba"], "abnormal": ["aaaaaabb"]}


@pytest.fixture(scope="module")
def tuab_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("tuab") / "v3.0.1"
    seed = 0
    for folder, classes in (("train", TRAIN), ("eval", EVAL)):
        for cls, subjects in classes.items():
            for subject in subjects:
                seed += 1
                write_tuh_edf(
                    root / "edf" / folder / cls / "01_tcp_ar" / f"{subject}_s001_t000.edf",
                    seconds=4,
                    seed=seed,
                )
    return root


def dataset(**options):
    return neurokit.create("dataset", "tuab", **options)


def test_discover_labels_splits(tuab_root):
    sources = dataset().discover(tuab_root)
    assert len(sources) == 12
    for s in sources:
        assert s.label == (1 if "/abnormal/" in s.path.as_posix() else 0)
        assert (s.split == "test") == ("/eval/" in s.path.as_posix())
        assert s.session == "s001" and s.subject == s.path.stem.split("_")[0]
    train_val = [s for s in sources if s.split != "test"]
    by_split = {sp: {s.subject for s in train_val if s.split == sp} for sp in ("train", "val")}
    assert by_split["train"].isdisjoint(
        by_split["val"]
    )  # aaaaaaaa has normal and abnormal sessions
    assert len(by_split["val"]) == 2  # 20 % of 9 subjects
    # seeded: same seed same split, from --raw at the release or at edf/
    again = dataset().discover(tuab_root / "edf")
    assert [(s.recording_id, s.split) for s in again] == [
        (s.recording_id, s.split) for s in sources
    ]
    other = {s.subject for s in dataset(seed=3).discover(tuab_root) if s.split == "val"}
    assert other != by_split["val"]


def test_load_labram_profile(tuab_root):
    ds = dataset()
    source = ds.discover(tuab_root)[0]
    rec = ds.load(source)
    assert rec.channel_names == list(TUH_REFERENTIAL)  # 23 in LaBraM's order; EKG/PHOTIC dropped
    assert rec.sfreq == 200.0 and rec.data.shape == (23, 800)
    assert rec.data.dtype == np.float32
    assert 5 < np.abs(rec.data).std() < 200  # microvolts, not volts
    assert rec.events == []


def test_load_luna_profile_gives_tcp(tuab_root):
    ds = dataset(profile="luna")
    rec = ds.load(ds.discover(tuab_root)[0])
    assert rec.channel_names == list(TCP_NAMES)
    assert rec.sfreq == 256.0 and rec.data.shape == (22, 1024)


def test_missing_required_channel_names_file(tmp_path):
    path = tmp_path / "edf/train/normal/01_tcp_ar/aaaaaaaa_s001_t000.edf"
    labels = tuh_labels(channels=[c for c in TUH_REFERENTIAL if c != "T1"])
    write_tuh_edf(path, seconds=3, labels=labels)
    ds = dataset()
    with pytest.raises(DataError) as info:
        ds.load(ds.discover(tmp_path)[0])
    assert str(path) in str(info.value) and "missing required channels T1" in str(info.value)


def test_corrupt_edf_names_file(tmp_path):
    path = tmp_path / "edf/eval/abnormal/01_tcp_ar/aaaaaaaa_s001_t000.edf"
    write_tuh_edf(path, seconds=3)
    path.write_bytes(path.read_bytes()[:-1000])  # truncated download
    ds = dataset()
    with pytest.raises(DataError) as info:
        ds.load(ds.discover(tmp_path)[0])
    assert str(path) in str(info.value) and "truncated" in str(info.value)


def test_wrong_layout_is_a_clear_error(tmp_path):
    (tmp_path / "somewhere").mkdir()
    with pytest.raises(DataError, match="no 'train' or 'eval' folder"):
        dataset().discover(tmp_path)


def test_prepare_into_store(tuab_root, tmp_path):
    from neurokit.core.data.prepare import prepare
    from neurokit.core.data.store import Store

    summary = prepare("tuab", tuab_root, tmp_path / "tuab.zarr", progress=False)
    assert len(summary.written) == 12 and not summary.failed
    store = Store(tmp_path / "tuab.zarr")
    assert store.class_names == ["normal", "abnormal"] and store.schema.label_kind == "recording"
    assert store.schema.sfreq == 200.0 and store.schema.preprocessing["notch"] == 50.0
    assert set(store.splits()) == {"train", "val", "test"}
    for meta in store.recordings.values():
        assert meta.label == (1 if "abnormal" in meta.source else 0)
        assert meta.channel_names == list(TUH_REFERENTIAL)


def test_cli_prepare_skips_bad_recordings(tmp_path, cli):
    import json

    from tests.conftest import assert_clean_failure

    good = tmp_path / "edf/train/normal/01_tcp_ar/aaaaaaaa_s001_t000.edf"
    write_tuh_edf(good, seconds=3)
    short = tmp_path / "edf/eval/abnormal/01_tcp_ar/aaaaaaab_s001_t000.edf"
    write_tuh_edf(short, seconds=3, labels=tuh_labels(channels=TUH_REFERENTIAL[:10]))
    result = cli(
        "prepare", "tuab", "--raw", str(tmp_path), "--out", str(tmp_path / "s.zarr"), "--json"
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["written"] == 1 and len(summary["failed"]) == 1
    assert (
        str(short) in summary["failed"][0]["reason"]
        and "missing required channels" in summary["failed"][0]["reason"]
    )
    good.unlink()  # now every recording fails: non-zero exit, one clear line
    result = cli("prepare", "tuab", "--raw", str(tmp_path), "--out", str(tmp_path / "t.zarr"))
    assert_clean_failure(result, "all 1 recordings failed", str(short))
