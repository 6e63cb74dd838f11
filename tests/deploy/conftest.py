"""A tiny trained run on a small demo store, and the demo's raw EDF files beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import neurokit
from neurokit.core.data.prepare import prepare

torch.set_num_threads(1)  # tiny models on a shared machine: threads only contend


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROKIT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> dict[str, Path]:
    """The demo corpus (4 subjects, 12-16 s each) as EDF files and as a prepared store."""
    from neurokit.core.registry import get_registry

    root = tmp_path_factory.mktemp("deploy-demo")
    options = {"subjects": 4, "sessions": 1, "min_seconds": 12, "max_seconds": 16}
    dataset = get_registry().get("dataset", "demo").create(options)
    dataset.generate(root / "raw")
    sets = [f"{key}={value}" for key, value in options.items()]
    prepare("demo", root / "raw", root / "demo.zarr", overrides=sets, workers=1)
    return {"raw": root / "raw", "store": root / "demo.zarr", "root": root}


def train_run(model: str, store: Path, out: Path, **extra) -> Path:
    """One CPU-sized finetune run of `model` (the stage's `small` settings, 1 epoch)."""
    spec = neurokit.get_family(model).stage("finetune")
    overrides = {
        **dict(spec.small),
        "output_dir": str(out),
        "run_name": model,
        "dataset.name": "demo",
        "data.store": str(store),
        "trainer.progress": False,
        "trainer.epochs": 1,
        **extra,
    }
    return neurokit.train(
        neurokit.RunSpec(model=model, stage="finetune", overrides=overrides)
    ).run_dir


@pytest.fixture(scope="session")
def tiny_run(demo, tmp_path_factory) -> Path:
    return train_run("tiny", demo["store"], tmp_path_factory.mktemp("runs"))
