"""Every registered family's stages chain end to end, parametrised over the registry.

`neurokit.pipeline(family, small=True)` runs each stage CPU-sized on a small store of
the family's modality, each consuming the runs before it, through the same code paths
as a full run. The fast suite checks that the chain runs, that what a stage consumes
reaches it and that every stage selects on a metric it declares; `-m slow` trains long
enough to check that each stage learns (the first stage's loss falls, the last stage
beats chance) and that a rerun skips every finished stage.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import neurokit
from neurokit.core.registry import get_registry
from tests.conftest import run_cli

EEG_FAMILIES = [f.name for f in get_registry().families() if f.modality == "eeg"]


@pytest.fixture(scope="module")
def eeg_store(tmp_path_factory) -> Path:
    """A small demo corpus (10 subjects, 40-60 s each) in the TUAB layout, prepared."""
    root = tmp_path_factory.mktemp("family-demo")
    result = run_cli(
        "prepare", "demo", "--out", str(root / "demo.zarr"),
        "--set", "subjects=10", "--set", "sessions=1",
        "--set", "min_seconds=40", "--set", "max_seconds=60",
        cwd=root,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return root / "demo.zarr"


def _chain(family: str, store: Path, out: Path, epochs: int, **extra):
    overrides = {
        "output_dir": str(out),
        "trainer.progress": False,
        "trainer.epochs": epochs,
        "dataset.name": "demo",
        **extra,
    }
    return neurokit.pipeline(
        family, config={"data": {"store": str(store)}}, overrides=overrides, small=True
    )


def _train_losses(run_dir: Path) -> list[float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [row["train/loss"] for row in rows if "train/loss" in row]


@pytest.mark.parametrize("family", EEG_FAMILIES)
def test_stages_chain_and_select_on_declared_metrics(family, eeg_store, tmp_path):
    spec = neurokit.get_family(family)
    results = _chain(family, eeg_store, tmp_path, epochs=1, **{"data.max_windows": 48})
    assert [r.stage for r in results] == spec.stage_names()
    done: dict[str, Path] = {}
    for result, stage in zip(results, spec.stages, strict=True):
        report = result.report
        assert report["monitor"] in report["val"], (stage.name, report["monitor"], report["val"])
        saved = yaml.safe_load((result.run_dir / "config.yaml").read_text())
        assert saved["stage"] == stage.name
        for key, source in stage.consumes.items():  # what the stage consumed is the earlier run
            section, option = key.split(".", 1)
            assert saved[section][option] == str(done[source])
        done[stage.name] = result.run_dir


@pytest.mark.slow
@pytest.mark.parametrize("family", EEG_FAMILIES)
def test_each_stage_learns_and_a_rerun_skips_them(family, eeg_store, tmp_path):
    results = _chain(family, eeg_store, tmp_path, epochs=4)
    losses = _train_losses(results[0].run_dir)
    assert losses[-1] < losses[0], losses
    last = results[-1].test
    assert last is not None and last["balanced_accuracy"] > 0.7, last
    again = _chain(family, eeg_store, tmp_path, epochs=4)
    assert all(r.skipped for r in again)
    assert [r.test for r in again] == [r.test for r in results]
