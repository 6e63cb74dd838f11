"""The `duin` dataset on pickles written in Du-IN's released layout."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from neurokit.core.errors import DataError
from neurokit.plugins.datasets.duin import (
    OFFICIAL_CHANNELS,
    RUN_DIR,
    DuINDataset,
    DuINDatasetConfig,
    read_pickle,
)
from tests.conftest import assert_clean_failure
from tests.datasets.duin_corpus import WORDS, write_corpus, write_pretrain, write_run

SUBJ = Path("data") / "seeg.he2023xuanwu" / "001" / "word-recitation"


def test_released_pickles_read_with_numpy1_names(tmp_path):
    root = write_corpus(tmp_path, runs=(1,), per_word_per_run=1)
    folder = root / SUBJ / "run1" / RUN_DIR
    assert b"numpy.core.multiarray" in (folder / "data").read_bytes()  # as the release
    assert b"utils.DotDict" in (folder / "info").read_bytes()
    info = read_pickle(folder / "info")
    assert set(OFFICIAL_CHANNELS["001"]) <= set(info.ch_names)
    trials = read_pickle(folder / "data")
    assert trials[0].data_s.dtype == np.float64 and trials[0].data_s.shape == (14, 3000)
    assert trials[0].name in WORDS


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_malicious_pickle_is_refused(tmp_path):
    bad = tmp_path / "data"
    bad.write_bytes(pickle.dumps([{"name": "x", "data_s": _Boom()}], protocol=4))
    with pytest.raises(DataError, match=r"refused global (posix|os|nt)\.system"):
        read_pickle(bad)


def test_discover_splits_per_word_and_skips_bad_runs(tmp_path):
    root = write_corpus(tmp_path, runs=(1, 2, 3), per_word_per_run=5)
    (root / SUBJ / "run4" / RUN_DIR).mkdir(parents=True)  # no data/info
    (root / SUBJ / "run3" / RUN_DIR / "data").write_bytes(
        (root / SUBJ / "run2" / RUN_DIR / "data").read_bytes()[:5000]
    )  # truncated pickle
    ds = DuINDataset(DuINDatasetConfig())
    sources = ds.discover(tmp_path)
    assert ds.class_names == sorted(WORDS)
    skipped = {s.session: s.extra["skip"] for s in sources if "skip" in s.extra}
    assert set(skipped) == {"run3", "run4"}
    assert "truncated" in skipped["run3"] and "no `info` file" in skipped["run4"]
    counts = {split: {w: 0 for w in WORDS} for split in ("train", "val", "test")}
    for src in sources:
        if "skip" in src.extra:
            continue
        rec = ds.load(src)
        assert rec.sfreq == 1000.0 and rec.channel_names == list(OFFICIAL_CHANNELS["001"])
        assert rec.data.shape == (10, 3000 * len(src.extra["trials"]))
        assert len(src.extra["channel_mean_uv"]) == 10
        for ev in rec.events:
            counts[src.split][ds.class_names[ev.label]] += 1
    # 10 trials per word over the two good runs: 8 train, the other 2 halved at random
    assert all(n == 8 for n in counts["train"].values())
    assert sum(counts["val"].values()) == sum(counts["test"].values()) == len(WORDS)
    again = DuINDataset(DuINDatasetConfig()).discover(tmp_path)
    assert [s.extra.get("trials") for s in again] == [s.extra.get("trials") for s in sources]


def test_microvolts_and_channel_options(tmp_path):
    root = write_corpus(tmp_path, runs=(1,), per_word_per_run=2)
    raw = read_pickle(root / SUBJ / "run1" / RUN_DIR / "data")
    names = read_pickle(root / SUBJ / "run1" / RUN_DIR / "info").ch_names
    ds = DuINDataset(DuINDatasetConfig(channels={"001": ["X1", "SM8"]}))
    src = next(s for s in ds.discover(tmp_path) if s.split == "train")
    rec = ds.load(src)
    first = raw[src.extra["trials"][0]].data_s
    expected = first[[names.index("X1"), names.index("SM8")]] * 1e6
    np.testing.assert_allclose(rec.data[:, :3000], expected, rtol=1e-5)
    ds_all = DuINDataset(DuINDatasetConfig(channel_selection="all"))
    assert len(ds_all.load(ds_all.discover(tmp_path)[0]).channel_names) == 14
    with pytest.raises(DataError, match="not in ch_names"):
        bad = DuINDataset(DuINDatasetConfig(channels={"001": ["NOPE"]}))
        bad.load(next(s for s in bad.discover(tmp_path)))


def test_prepare_cli_end_to_end(tmp_path, cli):
    root = write_corpus(tmp_path / "raw", runs=(1, 2), per_word_per_run=5)
    write_run(root / SUBJ / "run3" / RUN_DIR, ["A1"], [])  # empty trial list: skipped
    (root / SUBJ / "run3" / RUN_DIR / "data").write_bytes(pickle.dumps([_Boom()], protocol=4))
    out = tmp_path / "duin.zarr"
    result = cli("prepare", "duin", "--raw", str(root), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "refused global" in result.stdout + result.stderr
    from neurokit.core.data.store import Store

    store = Store(out)
    assert store.class_names == sorted(WORDS)
    assert set(store.splits()) == {"train", "val", "test"}
    table = store.event_table("train")
    assert len(table["label"]) == 8 * len(WORDS) and set(table["length"]) == {3000}
    meta = next(iter(store.recordings.values()))
    assert meta.sfreq == 1000.0 and meta.subject == "001"


def test_prepare_cli_bad_raw(tmp_path, cli):
    (tmp_path / "empty").mkdir()
    assert_clean_failure(cli("prepare", "duin", "--raw", str(tmp_path / "empty")), "Du-IN layout")


def test_pretrain_layout_read_when_present(tmp_path):
    root = write_corpus(tmp_path, runs=(1,), per_word_per_run=2)
    folder = write_pretrain(root, n_files=10, seconds=5.0)
    (folder / "run9").mkdir()
    np.save(folder / "run9" / "short.npy", np.zeros((2, 14, 3000)))  # shorter than a crop
    np.save(folder / "run9" / "flat.npy", np.zeros((14, 5000)))  # not (2, C, T)
    ds = DuINDataset(DuINDatasetConfig())
    sources = [s for s in ds.discover(tmp_path) if s.session == "pretrain"]
    assert len(sources) == 12
    splits = [s.split for s in sources]
    assert [splits.count(x) for x in ("train", "val", "test")] == [10, 1, 1]  # 80/10/10
    names = read_pickle(folder / "info").ch_names
    src = next(s for s in sources if s.path.name == "part0.npy" and s.path.parent.name == "run1")
    rec = ds.load(src)
    x_s = np.load(src.path)[0]
    expected = x_s[[names.index(c) for c in OFFICIAL_CHANNELS["001"]]] * 1e6
    np.testing.assert_allclose(rec.data, expected, rtol=1e-5)  # plane 0 (X_s), uV, 10 channels
    assert rec.events == [] and rec.channel_names == list(OFFICIAL_CHANNELS["001"])
    for name, reason in (("short.npy", "shorter than one 4000-sample crop"),
                         ("flat.npy", "expected (2, 14, T)")):  # fmt: skip
        bad = next(s for s in sources if s.path.name == name)
        with pytest.raises(DataError, match=re.escape(reason)):
            ds.load(bad)
    assert not [s for s in DuINDataset(DuINDatasetConfig(pretrain=False)).discover(tmp_path)
                if s.session == "pretrain"]  # fmt: skip
