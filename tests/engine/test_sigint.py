"""Ctrl-C during `neurokit train`: the last complete checkpoint stays loadable and the run resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import torch

from tests.engine.test_cli import FAST

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


def test_sigint_keeps_a_resumable_checkpoint(store, tmp_path):
    run_dir = tmp_path / "run"
    args = [sys.executable, "-m", "neurokit", "train", "--model", "tiny", "--set", f"data.store={store}",
            "--set", f"output_dir={tmp_path}", "--set", "run_name=run", "--set", "trainer.epochs=15",
            "--set", "trainer.checkpoint_every=1", "--set", "trainer.log_every=1", *FAST]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**ENV, "NEUROKIT_CACHE_DIR": str(tmp_path / "cache")})
    last = run_dir / "checkpoints" / "last.pt"
    deadline = time.time() + 120
    while not last.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert last.exists(), proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "Resume with: neurokit train --resume" in stderr

    state = torch.load(last, weights_only=True)
    stopped_at = state["progress"]["step"]
    assert 0 < stopped_at < 15 * 6
    logged = [json.loads(x)["step"] for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert max(logged) == stopped_at  # nothing logged beyond the checkpoint

    resumed = subprocess.run([sys.executable, "-m", "neurokit", "train", "--resume", str(run_dir),
                              "--set", "trainer.checkpoint_every=null"],
                             capture_output=True, text=True, timeout=240,
                             env={**ENV, "NEUROKIT_CACHE_DIR": str(tmp_path / "cache")})
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads((run_dir / "report.json").read_text())
    assert report["steps"] == 15 * 6 and report["test"]["num_samples"] > 0
