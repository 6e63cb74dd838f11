"""Several stores in one run: weighted deterministic sampling, per-source rows, exact resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from neurokit.core.config import parse_overrides
from neurokit.core.data.loader import make_train_loader
from neurokit.core.data.mixture import MixtureDataset, shares, split_by_source
from neurokit.core.engine import checkpoint as ckpt
from neurokit.core.engine.data import build_datasets
from neurokit.core.engine.resolve import RunSpec
from neurokit.core.engine.run import train as run_train
from neurokit.core.engine.sampler import ResumableSampler
from neurokit.core.engine.trainer import Interrupted
from neurokit.core.errors import DataError
from neurokit.core.interfaces import DataView
from tests.data.stores import run_config, subject_store

ROLES = {"train": "train", "val": "val", "test": "test"}
A = {"a1": "train", "a2": "train", "a3": "val", "a4": "test"}
B = {"b1": "train", "b2": "val", "b3": "test"}


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("mix")
    one = subject_store(root / "one.zarr", A, dataset="one", class_names=("a", "b"))
    two = subject_store(root / "two.zarr", B, dataset="two", class_names=("c", "d"), seed=1,
                        names=["FP1", "FP2", "C3"])  # fmt: skip
    return one, two


def test_shares_follow_the_weights_and_add_up():
    assert shares([10, 90], [3, 1], 100) == [75, 25]
    assert shares([10, 90], None, 7) == [1, 6]
    assert sum(shares([5, 5, 5], [1, 1, 1], 100)) == 100


def test_a_mixture_batch_knows_its_source_and_label_space(stores):
    one, two = stores
    config = run_config(None, sources=[{"store": str(one), "weight": 3}, {"store": str(two), "weight": 1}],
                        epoch_windows=40)  # fmt: skip
    datasets, info, collate_fn = build_datasets(config, DataView(2.0), ROLES)
    assert info.sources == ["one", "two"]
    assert info.class_names == ["one:a", "one:b", "two:c", "two:d"]
    assert info.subjects == sorted(f"one:{s}" for s in A) + sorted(f"two:{s}" for s in B)
    train = datasets["train"]
    assert isinstance(train, MixtureDataset) and len(train) == 40
    assert np.bincount(train.sources).tolist() == [30, 10]  # weights 3:1
    again, _, _ = build_datasets(config, DataView(2.0), ROLES)
    assert np.array_equal(again["train"]._local, train._local)  # same table on every rank/run
    assert len(datasets["val"]) == len(datasets["val"].datasets[0]) + len(
        datasets["val"].datasets[1]
    )
    sampler = ResumableSampler(train, 1, 0, shuffle=True, seed=0)
    batches = list(make_train_loader(train, sampler, 8, 2, collate_fn, seed=0))
    assert sum(len(b) for b in batches) == 40
    for batch in batches:
        for i in range(len(batch)):
            src = int(batch.source[i])
            assert batch.recording[i].split("_")[0][0] == "ab"[src]
            assert int(batch.label[i]) // 2 == src  # labels offset into the source's space
            assert (
                info.subjects[int(batch.subject_index[i])]
                == f"{info.sources[src]}:{batch.subject[i]}"
            )
            assert int(batch.channel_mask[i].sum()) == (4 if src == 0 else 3)
    batch = batches[0]
    parts = split_by_source(batch.source, info.sources, batch.label, np.arange(len(batch)))
    assert sum(len(p[0]) for p in parts.values()) == len(batch)
    assert all(
        int(y) // 2 == info.sources.index(name) for name, (ys, _) in parts.items() for y in ys
    )


def test_sources_with_other_rates_or_window_lengths_are_refused(stores, tmp_path):
    one, two = stores
    sources = [{"store": str(one)}, {"store": str(two), "window_seconds": 4}]
    with pytest.raises(DataError, match="different lengths"):
        build_datasets(run_config(None, sources=sources), DataView(2.0), ROLES)
    with pytest.raises(DataError, match="not found"):
        build_datasets(
            run_config(None, sources=[{"store": str(tmp_path / "x.zarr")}]), DataView(2.0), ROLES
        )


def train(overrides=(), resume=None):
    result = run_train(RunSpec(overrides=parse_overrides(overrides), resume=resume))
    return result.report


def _losses(run_dir):
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [(r["step"], r["train/loss"]) for r in lines if "train/loss" in r]


def test_an_interrupted_mixture_run_resumes_to_the_same_weights(stores, tmp_path):
    one, two = stores
    sources = f"[{{store: {one}, weight: 2}}, {{store: {two}, weight: 1}}]"
    common = ("model=tiny", f"data.sources={sources}", "data.window_seconds=2", "data.batch_size=4",
              "data.epoch_windows=24", "data.num_workers=2", "trainer.epochs=2", "trainer.log_every=1",
              "trainer.progress=false", "model.width=8", "model.depth=2", f"output_dir={tmp_path}")  # fmt: skip
    full = train(overrides=(*common, "run_name=full"))
    with pytest.raises(Interrupted):
        train(overrides=(*common, "run_name=cut", "trainer.stop_after_steps=8"))  # mid epoch 2
    cut = tmp_path / "cut"
    assert ckpt.load(cut / "checkpoints/last.pt")["progress"]["step"] == 8
    torch.manual_seed(1234)
    resumed = train(overrides=(), resume=str(cut))
    full_dir = tmp_path / "full"
    assert _losses(cut) == _losses(full_dir) and len(_losses(full_dir)) == 12
    a = ckpt.load(full_dir / "checkpoints/last.pt")["model"]
    b = ckpt.load(cut / "checkpoints/last.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed["test"] == full["test"]
    # metrics per source beside the pooled ones, each from that source's windows only
    per_source = {k.split("/")[0] for k in full["test"] if k.endswith("/balanced_accuracy")}
    assert per_source == {"one", "two"}, sorted(full["test"])
    assert (
        full["test"]["one/num_samples"] + full["test"]["two/num_samples"]
        == full["test"]["num_samples"]
    )


def test_dataset_flag_with_several_names_mixes_their_stores(stores):
    from neurokit.core.config import RunConfig

    one, _ = stores
    config = RunConfig.model_validate(
        {"dataset": "one,two", "data_root": str(one.parent), "task": "pretrain"}
    )
    datasets, info, _ = build_datasets(config, DataView(2.0, labels=False), ROLES)
    assert info.sources == ["one", "two"]
    train = datasets["train"]
    assert np.bincount(train.sources).tolist() == [len(d) for d in train.datasets]  # concatenated
    assert train.labels.size == len(train)
