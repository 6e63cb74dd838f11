"""A 1-process NCCL group on the GPU: DDP and FSDP2 (one device) train exactly as the plain model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.test_ddp import free_port

pytestmark = pytest.mark.gpu
REPO = Path(__file__).resolve().parents[2]


def run_worker(strategy: str, out: Path) -> dict:
    env = {
        **os.environ,
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(free_port()),
        "RANK": "0",
        "LOCAL_RANK": "0",
        "WORLD_SIZE": "1",
        "PYTHONWARNINGS": "ignore",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.gpu.dist_worker", strategy, str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
def test_one_process_group_wraps_and_trains_like_the_plain_model(tmp_path, device, strategy):
    result = run_worker(strategy, tmp_path / "result.json")
    assert result["backend"] == ("nccl" if device == "cuda" else "gloo")
    assert result["device"].startswith(device)
    assert result["all_reduce"] == [0.0, 1.0, 2.0, 3.0]
    assert result["sharded"] == (strategy == "fsdp")  # FSDP2 turned parameters into DTensors
    assert result["losses"] == pytest.approx(result["reference_losses"], rel=1e-3)
    assert result["max_param_diff"] < 1e-4
    assert result["losses"][-1] < result["losses"][0]  # the steps did train
