"""Subjects reach the batch; subject selection; within-subject, official splits; eval views."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurokit.core.data.dataset import WindowDataset, collate
from neurokit.core.data.loader import make_train_loader
from neurokit.core.data.splits import split_within_subjects
from neurokit.core.engine.data import build_datasets
from neurokit.core.engine.sampler import ResumableSampler
from neurokit.core.errors import ConfigError, DataError
from neurokit.core.interfaces import DataView
from tests.data.stores import run_config, subject_store

ROLES = {"train": "train", "val": "val", "test": "test"}
SUBJECTS = {"sub-03": "train", "sub-01": "train", "sub-02": "val", "sub-04": "test"}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROKIT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("workers", [0, 2])
def test_subject_ids_travel_from_the_store_to_the_batch(tmp_path, workers):
    store = subject_store(tmp_path / "s.zarr", SUBJECTS)
    datasets, info, collate_fn = build_datasets(run_config(store), DataView(2.0), ROLES)
    assert info.subjects == ["sub-01", "sub-02", "sub-03", "sub-04"]  # sorted, every role
    train = datasets["train"]
    sampler = ResumableSampler(train, 1, 0, shuffle=True, seed=0)
    loader = make_train_loader(train, sampler, 4, workers, collate_fn, seed=0)
    seen = set()
    for batch in loader:
        assert (
            len(batch.subject) == len(batch.session) == len(batch) == batch.subject_index.shape[0]
        )
        assert batch.subject_index.dtype == torch.int64
        for i in range(len(batch)):
            subject, session = batch.recording[i].split("_")
            assert (batch.subject[i], batch.session[i]) == (subject, session)
            assert info.subjects[int(batch.subject_index[i])] == subject
            seen.add(subject)
        assert torch.equal(batch.source, torch.zeros(len(batch), dtype=torch.int64))
    assert seen == {"sub-01", "sub-03"}
    val = next(iter(make_train_loader(datasets["val"], None, 4, 0, collate_fn, 0)))
    assert set(val.subject) == {"sub-02"} and set(val.subject_index.tolist()) == {1}


def test_fast_batch_path_equals_collate_over_items(tmp_path):
    """`read_batch` (the loaders' path) gives exactly the Batch `collate` builds from items."""
    names = {"a_ses1": ["FP1", "FP2", "C3"]}
    store = subject_store(tmp_path / "s.zarr", {"a": "train", "b": "train"})
    from tests.data.stores import NAMES

    del names  # mixed montages are covered through the mixture test
    ds = WindowDataset(store, "train", 2.0, 1.0, label_offset=3)
    ds.set_subjects({"a": 0, "b": 1})
    idx = [5, 0, len(ds) - 1, 7, 2]
    fast = ds.read_batch(idx)
    slow = collate([ds[i] for i in idx], ds.sfreq)
    for field in (
        "signal",
        "channel_mask",
        "positions",
        "label",
        "start",
        "subject_index",
        "source",
    ):
        assert torch.equal(getattr(fast, field), getattr(slow, field)), field
    for field in ("channel_names", "recording", "subject", "session"):
        assert getattr(fast, field) == getattr(slow, field), field
    assert fast.channel_names[0] == NAMES and set(fast.label.tolist()) <= {3, 4}


def test_select_subjects_and_unknown_subject_is_a_clear_error(tmp_path):
    store = subject_store(tmp_path / "s.zarr", SUBJECTS)
    config = run_config(store, subjects=["sub-03", "sub-02"])
    datasets, info, _ = build_datasets(config, DataView(2.0), ROLES, required=("train",))
    assert info.subjects == ["sub-02", "sub-03"]
    assert {m.subject for m in datasets["train"].metas} == {"sub-03"}
    assert "test" not in datasets  # sub-04 was not selected
    with pytest.raises(DataError, match="none of the subjects"):
        build_datasets(run_config(store, subjects=["nobody"]), DataView(2.0), ROLES)


def test_within_subject_split_is_stratified_per_label_and_seeded():
    subjects = np.array(["s1"] * 40 + ["s2"] * 20)
    labels = np.array([0, 1] * 20 + [0] * 15 + [1] * 5, dtype=float)
    fractions = {"train": 0.6, "val": 0.2, "test": 0.2}
    trials = np.array([f"t{i:03d}" for i in range(len(subjects))])
    a = split_within_subjects(subjects, labels, fractions, seed=0, keys=trials)
    for subject, label, n in (("s1", 0, 20), ("s1", 1, 20), ("s2", 0, 15), ("s2", 1, 5)):
        group = a[(subjects == subject) & (labels == label)]
        counts = {k: int((group == k).sum()) for k in fractions}
        assert counts == {k: round(v * n) for k, v in fractions.items()}, (subject, label, counts)
    # independent of the order trials come in; a new seed draws other trials
    order = np.random.default_rng(1).permutation(len(subjects))
    shuffled = split_within_subjects(subjects[order], labels[order], fractions, 0, trials[order])
    assert (shuffled == a[order]).all()
    assert (split_within_subjects(subjects, labels, fractions, 1, trials) != a).any()
    with pytest.raises(ConfigError, match="split_fractions"):
        split_within_subjects(subjects, labels, {"train": 0.0}, 0)


def test_within_subject_split_in_a_run_keeps_every_subject_in_every_split(tmp_path):
    store = subject_store(
        tmp_path / "s.zarr", {"s1": "train", "s2": "test"}, seconds=24, events_per_recording=20
    )
    config = run_config(store, split="within-subject",
                        split_fractions={"train": 0.5, "val": 0.25, "test": 0.25})  # fmt: skip
    datasets, info, _ = build_datasets(config, DataView(1.0), ROLES)
    keys = {}
    for role, ds in datasets.items():
        assert ds.subjects == ["s1", "s2"], role
        labels = ds.labels
        assert (labels == 0).sum() == (labels == 1).sum()  # stratified per label
        keys[role] = {(ds.metas[r].id, s) for r, s in zip(ds._rec, ds._start, strict=True)}
    assert [len(keys[r]) for r in ROLES] == [40, 20, 20]  # 2 subjects x 2 sessions x 20 trials
    assert not (keys["train"] & keys["val"]) and not (keys["train"] & keys["test"])
    assert info.class_counts == [20, 20]


def test_official_split_uses_the_release_split(tmp_path):
    extra = {"sub-01_ses1": {"release_split": "eval"}, "sub-01_ses2": {"release_split": "eval"}}
    extra |= {f"{s}_{x}": {"release_split": "train"} for s in ("sub-02", "sub-03", "sub-04")
              for x in ("ses1", "ses2")}  # fmt: skip
    store = subject_store(tmp_path / "s.zarr", SUBJECTS, extra=extra)
    datasets, _, _ = build_datasets(run_config(store, split="official"), DataView(2.0), ROLES)
    assert set(datasets) == {"train", "test"}  # the release has no val
    assert datasets["test"].subjects == ["sub-01"]
    assert datasets["train"].subjects == ["sub-02", "sub-03", "sub-04"]
    plain = subject_store(tmp_path / "p.zarr", SUBJECTS)
    with pytest.raises(DataError, match="no official split"):
        build_datasets(run_config(plain, split="official"), DataView(2.0), ROLES)


def test_training_and_evaluation_views_differ(tmp_path):
    store = subject_store(tmp_path / "s.zarr", SUBJECTS, seconds=8)
    view = DataView(window_seconds=1.0, stride_seconds=0.5, eval_window_seconds=4.0)
    datasets, info, _ = build_datasets(run_config(store), view, ROLES)
    assert datasets["train"].window_samples == 64 and len(datasets["train"]) == 4 * 15
    assert (
        datasets["val"].window_samples == 256 and len(datasets["val"]) == 2 * 2
    )  # non-overlapping
    assert info.window_samples == 64 and info.eval_window_samples == 256
    config = run_config(store, eval_window_seconds=2.0, eval_stride_seconds=1.0)
    datasets, info, _ = build_datasets(config, view, ROLES)  # the run's config wins over the task
    assert datasets["test"].window_samples == 128 and len(datasets["test"]) == 2 * 7
    same, info, _ = build_datasets(run_config(store), DataView(1.0), ROLES)
    assert same["val"].window_samples == 64 and info.eval_window_samples == 0
    with pytest.raises(ConfigError, match="within-subject"):
        build_datasets(run_config(store, split="within-subject"), view, ROLES)
