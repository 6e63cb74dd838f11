"""`neurokit pipeline`: an interrupted stage resumes, finished stages are skipped, a changed
config is refused rather than silently mixed with old runs."""

from __future__ import annotations

import json

import pytest

import neurokit
from neurokit.core.engine.trainer import Interrupted
from neurokit.core.errors import ConfigError

FAST = {
    "data.window_seconds": 2,
    "data.batch_size": 8,
    "trainer.progress": False,
    "trainer.epochs": 2,
    "dataset.name": "synthetic",
}


def run(store, out, **extra):
    overrides = {**FAST, "output_dir": str(out), **extra}
    return neurokit.pipeline("tiny", config={"data": {"store": str(store)}}, overrides=overrides,
                             small=True)  # fmt: skip


def test_an_interrupted_pipeline_resumes_and_a_finished_one_is_skipped(store, tmp_path):
    with pytest.raises(Interrupted):
        run(store, tmp_path, **{"trainer.stop_after_steps": 2})
    stage_dir = tmp_path / "tiny-synthetic" / "1-finetune"
    assert (stage_dir / "checkpoints" / "last.pt").is_file()
    assert not (stage_dir / "report.json").exists()
    # the rerun resumes the interrupted stage (no step limit this time) and finishes it
    (resumed,) = run(store, tmp_path, **{"trainer.stop_after_steps": None})
    assert not resumed.skipped and resumed.run_dir == stage_dir
    assert resumed.report["steps"] > 2 and resumed.test is not None
    (again,) = run(store, tmp_path)
    assert again.skipped and again.test == resumed.test
    with pytest.raises(ConfigError, match="finished .* with another config"):
        run(store, tmp_path, **{"trainer.lr": 0.5})


def test_an_evaluation_split_missing_a_class_is_named_before_training(tmp_path):
    from tests.engine.synthetic import write_store

    # 12 recordings: 6 train, 3 val, 3 test; every val recording is class "a"
    labels = [0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1]
    store = write_store(tmp_path / "oneclass.zarr", labels=labels)
    seen: list[tuple[str, dict]] = []
    from neurokit.core.engine.run import train

    result = train(
        neurokit.RunSpec(
            model="tiny",
            config={"data": {"store": str(store)}},
            overrides={**FAST, "trainer.epochs": 1, "output_dir": str(tmp_path / "runs")},
        ),
        events=lambda event, data: seen.append((event, data)),
    )
    warnings = [data["message"] for event, data in seen if event == "warning"]
    assert warnings == [
        "split 'val' has no windows of class b (a=24, b=0): balanced accuracy and AUROC there "
        "are not comparable"
    ]
    saved = json.loads((result.run_dir / "run.json").read_text())
    assert saved["warnings"] == warnings


def test_pipeline_over_seeds_runs_each_seed_in_its_own_directory(store, tmp_path):
    from neurokit.core.engine.run import pipeline_seeds, seed_summary

    overrides = {**FAST, "trainer.epochs": 1, "output_dir": str(tmp_path)}
    by_seed = pipeline_seeds(
        "tiny", seeds=[0, 1], config={"data": {"store": str(store)}}, overrides=overrides,
        small=True,
    )  # fmt: skip
    assert list(by_seed) == [0, 1]
    for seed, (result,) in by_seed.items():
        assert result.run_dir == tmp_path / "tiny-synthetic" / f"seed{seed}" / "1-finetune"
        assert result.config["seed"] == seed
    first = [r.run_dir / "checkpoints" / "last.pt" for (r,) in by_seed.values()]
    import torch

    a, b = (torch.load(f, map_location="cpu", weights_only=False) for f in first)
    key = next(k for k in a["model"] if k.endswith("weight"))
    assert not torch.equal(a["model"][key], b["model"][key])  # the seed reached the weights
    summary = seed_summary(by_seed)
    assert summary["accuracy"]["n"] == 2
    accs = [r.test["accuracy"] for (r,) in by_seed.values()]
    assert summary["accuracy"]["mean"] == pytest.approx(sum(accs) / 2)
    again = pipeline_seeds(
        "tiny", seeds=[0, 1], config={"data": {"store": str(store)}}, overrides=overrides,
        small=True,
    )  # fmt: skip
    assert all(r.skipped for (r,) in again.values())
    with pytest.raises(ConfigError, match="repeat"):
        pipeline_seeds("tiny", seeds=[0, 0], overrides=overrides)


def test_bad_seeds_option_is_a_clear_error():
    from neurokit.commands.train import parse_seeds

    assert parse_seeds("0,1,2") == [0, 1, 2] and parse_seeds("0-5") == list(range(6))
    with pytest.raises(ConfigError, match="expected integers"):
        parse_seeds("a,b")
