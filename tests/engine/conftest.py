"""Engine test fixtures: caches in tmp, a labelled and an unlabelled synthetic store."""

from __future__ import annotations

import pytest
import torch

from tests.engine.synthetic import write_store

torch.set_num_threads(1)  # tiny models on a shared machine: threads only contend


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    return write_store(tmp_path_factory.mktemp("stores") / "synthetic.zarr")


@pytest.fixture(scope="session")
def unlabelled_store(tmp_path_factory):
    return write_store(tmp_path_factory.mktemp("stores") / "unlabelled.zarr", labelled=False)
