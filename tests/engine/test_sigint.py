"""Ctrl-C during `neurokit train`: the last complete checkpoint stays loadable and the run resumes
to exactly what an uninterrupted run produces."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import torch

from tests.engine.test_cli import FAST, invoke

EPOCHS, STEPS_PER_EPOCH = 6, 6


def losses(run_dir):
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [(r["step"], r["train/loss"]) for r in lines if "train/loss" in r]


def test_sigint_keeps_a_resumable_checkpoint(store, tmp_path):
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONWARNINGS": "ignore",
        "NEUROKIT_CACHE_DIR": str(tmp_path / "cache"),
    }
    common = [
        "train",
        "--model",
        "tiny",
        "--set",
        f"data.store={store}",
        "--set",
        f"output_dir={tmp_path}",
        "--set",
        f"trainer.epochs={EPOCHS}",
        "--set",
        "trainer.log_every=1",
        *FAST,
    ]
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "neurokit",
            *common,
            "--set",
            "run_name=run",
            "--set",
            "trainer.checkpoint_every=1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    last = run_dir / "checkpoints" / "last.pt"
    deadline = time.time() + 120
    while not last.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert last.exists(), proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "Resume with: neurokit train --resume" in stderr

    state = torch.load(last, weights_only=True)
    stopped_at = state["progress"]["step"]
    assert 0 < stopped_at < EPOCHS * STEPS_PER_EPOCH
    assert (
        max(step for step, _ in losses(run_dir)) == stopped_at
    )  # nothing logged past the checkpoint

    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "neurokit",
            "train",
            "--resume",
            str(run_dir),
            "--set",
            "trainer.checkpoint_every=null",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads((run_dir / "report.json").read_text())
    assert report["steps"] == EPOCHS * STEPS_PER_EPOCH

    full = invoke(*common, "--set", "run_name=full")  # the same run, never interrupted
    assert full.exit_code == 0, full.stderr
    assert losses(tmp_path / "full") == losses(run_dir)
    assert json.loads((tmp_path / "full" / "report.json").read_text())["test"] == report["test"]
