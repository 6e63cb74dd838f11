"""`neurokit train --nproc 2` launches torchrun itself (slow: two interpreters plus the launcher)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.engine.test_cli import FAST


@pytest.mark.slow
def test_nproc_launches_torchrun_and_rank0_writes_the_run(store, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NEUROKIT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("WORLD_SIZE", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "neurokit",
            "train",
            "--model",
            "tiny",
            "--nproc",
            "2",
            "--set",
            f"data.store={store}",
            "--set",
            f"output_dir={tmp_path}",
            "--set",
            "run_name=ddp",
            "--set",
            "trainer.epochs=4",
            "--set",
            "trainer.lr=0.01",
            *FAST,
        ],
        capture_output=True,
        text=True,
        timeout=400,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = tmp_path / "ddp"
    assert json.loads((run_dir / "environment.json").read_text())["world_size"] == 2
    report = json.loads((run_dir / "report.json").read_text())
    assert report["test"]["num_samples"] == 3 * 8  # 3 test recordings x 8 windows, each once
    assert report["test"]["balanced_accuracy"] >= 0.9
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("ddp")] == [
        "ddp"
    ]  # one run dir
