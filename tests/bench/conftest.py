"""Bench fixtures: a small labelled store in the real format, caches in tmp, one thread."""

from __future__ import annotations

import pytest

from tests.engine.conftest import _cache_dir  # noqa: F401 - caches in tmp, one thread
from tests.engine.synthetic import write_store


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    return write_store(tmp_path_factory.mktemp("bench-stores") / "synthetic.zarr")


FAST = {
    "trainer.epochs": 2,
    "trainer.device": "cpu",
    "data.window_seconds": 2,
    "data.batch_size": 8,
    "data.max_windows": 16,
    "model.width": 8,
    "model.depth": 2,
}


def spec_for(store, out, **extra):
    """A two-model, two-seed grid of tiny-cnn on the synthetic store."""
    spec = {
        "name": "t",
        "output_dir": str(out),
        "models": [
            {"name": "tiny-a", "model": "tiny"},
            {"name": "tiny-b", "model": "tiny", "overrides": {"trainer.lr": 1e-2}},
        ],
        "datasets": [{"name": "synthetic", "store": str(store)}],
        "seeds": [0, 1],
        "overrides": dict(FAST),
    }
    spec.update(extra)
    return spec
