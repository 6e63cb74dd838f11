"""GPU tests: run with `pytest -m gpu` (benchmarks/gpu_check.py does); without CUDA they skip.

Every module here sets `pytestmark = pytest.mark.gpu`, so the default run (`-m 'not slow and
not gpu'`) never collects them as work. `NEUROKIT_GPU_TESTS_ON_CPU=1` rehearses the ones that
do not need CUDA itself on the CPU (gloo instead of NCCL), to check the tests before a GPU
is lent; fp16 (grad scaler) stays skipped there.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import run_cli
from tests.engine.test_cli import FAST


@pytest.fixture(scope="session")
def device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if os.environ.get("NEUROKIT_GPU_TESTS_ON_CPU") == "1":
        return "cpu"
    pytest.skip("needs a CUDA device (NEUROKIT_GPU_TESTS_ON_CPU=1 rehearses on CPU)")


@pytest.fixture(scope="session")
def gpu_store(tmp_path_factory, device):
    from tests.engine.synthetic import write_store

    return write_store(tmp_path_factory.mktemp("gpu-stores") / "synthetic.zarr")


def cli_env(root) -> dict[str, str]:
    """Deterministic cuBLAS (the trainer asks for deterministic algorithms), caches under `root`."""
    return {
        "NEUROKIT_CACHE_DIR": str(root / "cache"),
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
        "OMP_NUM_THREADS": "2",
    }


def train(root, store, device: str, name: str, *sets: str, resume: bool = False, expect: int = 0):
    """`neurokit train --model tiny` on `store` into `root/name` (or `--resume` it); the run dir."""
    run_dir = root / name
    if resume:
        args = ["train", "--resume", str(run_dir), *[a for s in sets for a in ("--set", s)]]
    else:
        args = [
            "train",
            "--model",
            "tiny",
            *[
                a
                for s in (
                    f"data.store={store}",
                    "dataset.name=synthetic",
                    f"output_dir={root}",
                    f"run_name={name}",
                    f"trainer.device={device}",
                    "trainer.epochs=6",
                    "trainer.lr=0.01",
                    "trainer.log_every=1",
                    *sets,
                )
                for a in ("--set", s)
            ],
            *FAST,
        ]
    result = run_cli(*args, env=cli_env(root), timeout=600)
    assert result.returncode == expect, (result.stdout[-2000:], result.stderr[-4000:])
    return run_dir
