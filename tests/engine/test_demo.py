"""End to end on the demo store, as the quickstart runs it (slow: prepares the store and trains)."""

from __future__ import annotations

import json

import pytest

from tests.engine.test_cli import invoke


@pytest.mark.slow
def test_tiny_learns_the_demo_and_eval_reproduces_it(tmp_path):
    store = tmp_path / "demo.zarr"
    prepared = invoke("prepare", "demo", "--out", str(store))
    assert prepared.exit_code == 0, prepared.stderr
    trained = invoke("train", "--model", "tiny", "--dataset", "demo", "--set", f"data_root={tmp_path}",
                     "--set", f"output_dir={tmp_path}", "--set", "run_name=demo", "--set", "trainer.progress=false")
    assert trained.exit_code == 0, trained.stderr
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert report["test"]["balanced_accuracy"] >= 0.8  # chance is 0.5
    evaluated = invoke("eval", str(tmp_path / "demo"), "--json")
    assert evaluated.exit_code == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    assert metrics["balanced_accuracy"] == report["test"]["balanced_accuracy"]
    assert metrics["loss"] == pytest.approx(report["test"]["loss"], abs=1e-9)
