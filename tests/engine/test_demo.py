"""End to end on the demo store, as the quickstart runs it (slow: prepares the store and trains)."""

from __future__ import annotations

import json

import pytest

from tests.engine.test_cli import invoke


@pytest.mark.slow
def test_tiny_learns_the_demo_and_eval_reproduces_it(tmp_path):
    # no store yet: the embedded demo corpus is prepared on demand, with tiny's profile
    trained = invoke(
        "train",
        "--model",
        "tiny",
        "--dataset",
        "demo",
        "--set",
        f"data_root={tmp_path}",
        "--set",
        f"output_dir={tmp_path}",
        "--set",
        "run_name=demo",
        "--set",
        "trainer.progress=false",
    )
    assert trained.exit_code == 0, trained.stderr
    assert (tmp_path / "demo.zarr").is_dir() and "preparing the demo store" in trained.output
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    # chance is 0.5; the preset's 8-epoch recipe gives ~0.75 (AUROC ~0.98), 25 epochs ~0.94
    assert report["test"]["balanced_accuracy"] >= 0.7
    assert report["test"]["auroc"] >= 0.9
    evaluated = invoke("eval", str(tmp_path / "demo"), "--json")
    assert evaluated.exit_code == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    assert metrics["balanced_accuracy"] == report["test"]["balanced_accuracy"]
    assert metrics["loss"] == pytest.approx(report["test"]["loss"], abs=1e-9)
