"""Two gloo processes on CPU (DDP; FSDP2 when slow tests run) train the same model as one process
with twice the batch."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from neurokit.core.engine import checkpoint as ckpt
from tests.engine.synthetic import build

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def records(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("strategy", ["ddp", pytest.param("fsdp", marks=pytest.mark.slow)])
def test_two_process_gloo_run_matches_single_process(tmp_path, strategy):
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    module, context, trainer = build(single, batch_size=16, dropout=0.0, epochs=2)
    one = trainer.fit(module, context)

    port = str(free_port())
    procs = []
    for rank in range(2):
        env = {
            **os.environ,
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": port,
            "WORLD_SIZE": "2",
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "OMP_NUM_THREADS": "1",
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.engine.ddp_worker", str(ddp), "8", strategy],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs

    a = ckpt.load(single / "checkpoints/last.pt")
    b = ckpt.load(ddp / "checkpoints/last.pt")
    assert b["world_size"] == 2 and a["progress"]["step"] == b["progress"]["step"] == 8
    for key in a["model"]:
        assert torch.allclose(a["model"][key], b["model"][key], atol=1e-5), key
    la = [r["train/loss"] for r in records(single) if "train/loss" in r]
    lb = [r["train/loss"] for r in records(ddp) if "train/loss" in r]
    assert lb == pytest.approx(la, rel=1e-4)  # rank-averaged loss of half batches = full-batch loss
    test_ddp = json.loads((ddp / "report.json").read_text())["test"]
    assert test_ddp["num_samples"] == one["test"]["num_samples"] == 32  # gathered, each window once
    for key in ("balanced_accuracy", "accuracy", "auroc", "cohen_kappa"):
        assert test_ddp[key] == pytest.approx(one["test"][key], abs=1e-6), key
    assert test_ddp["loss"] == pytest.approx(one["test"]["loss"], rel=1e-4)
