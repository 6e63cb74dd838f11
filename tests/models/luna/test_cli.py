"""`neurokit train --model luna` end to end from the CLI: demo (200 Hz, resampled on the fly),
TUAB prepared with `--profile luna`, `--task pretrain`, and the missing-store message."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_clean_failure, run_cli
from tests.datasets.conftest import write_tuh_edf

SMALL_MODEL = [
    "--set",
    "model.embed_dim=16",
    "--set",
    "model.num_queries=2",
    "--set",
    "model.depth=2",
]
FAST = [
    "--set",
    "trainer.epochs=1",
    "--set",
    "trainer.warmup_epochs=0",
    "--set",
    "data.batch_size=8",
    "--set",
    "trainer.progress=false",
    "--set",
    "data.max_windows=16",
    *SMALL_MODEL,
]


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("luna-demo")
    result = run_cli(
        "prepare",
        "demo",
        "--out",
        str(root / "demo.zarr"),
        "--set",
        "subjects=6",
        "--set",
        "sessions=1",
        "--set",
        "min_seconds=12",
        "--set",
        "max_seconds=14",
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    return root


def _report(root) -> dict:
    (run,) = [p for p in (root / "runs").iterdir() if p.is_dir()]
    return json.loads((run / "report.json").read_text())


def test_finetune_on_the_200hz_demo_store(demo_root, tmp_path):
    result = run_cli(
        "train",
        "--model",
        "luna",
        "--dataset",
        "demo",
        "--set",
        f"data_root={demo_root}",
        "--set",
        f"output_dir={tmp_path / 'runs'}",
        *FAST,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "balanced_accuracy" in result.stdout
    (run,) = (tmp_path / "runs").iterdir()
    config = (run / "config.yaml").read_text()
    assert "layer_decay: 0.75" in config and "drop_path: 0.1" in config  # the official recipe


def test_pretrain_task_runs_luna_masked_reconstruction(demo_root, tmp_path):
    result = run_cli(
        "train",
        "--model",
        "luna",
        "--dataset",
        "demo",
        "--task",
        "pretrain",
        "--set",
        f"data_root={demo_root}",
        "--set",
        f"output_dir={tmp_path / 'runs'}",
        *FAST,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    config = (run / "config.yaml").read_text()
    assert "name: luna-pretrain" in config and "name: masked-reconstruction" in config
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("query_loss" in json.dumps(row) for row in logged)
    # the pretrained checkpoint loads strictly into a classifier through model.pretrained
    best = run / "checkpoints" / "best.pt"
    again = run_cli(
        "train",
        "--model",
        "luna",
        "--dataset",
        "demo",
        "--set",
        f"data_root={demo_root}",
        "--set",
        f"output_dir={tmp_path / 'ft'}",
        "--set",
        f"model.pretrained={best}",
        *FAST,
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr


def test_tuab_prepared_with_the_luna_profile(tmp_path):
    raw = tmp_path / "v3.0.1"
    subjects = {
        ("train", "normal"): ["aaaaaaaa", "aaaaaaab", "aaaaaaac"],
        ("train", "abnormal"): ["aaaaaaad", "aaaaaaae", "aaaaaaaf"],
        ("eval", "normal"): ["aaaaaaba"],
        ("eval", "abnormal"): ["aaaaaabb"],
    }
    seed = 0
    for (split, label), names in subjects.items():
        for name in names:
            seed += 1
            write_tuh_edf(
                raw / "edf" / split / label / "01_tcp_ar" / f"{name}_s001_t000.edf",
                seconds=11,
                seed=seed,
            )
    missing = run_cli(
        "train",
        "--model",
        "luna",
        "--dataset",
        "tuab",
        "--set",
        f"data_root={tmp_path}",
        cwd=tmp_path,
    )
    assert_clean_failure(
        missing, f"neurokit prepare tuab --raw DIR --profile luna --out {tmp_path}/tuab.zarr"
    )
    prepared = run_cli(
        "prepare",
        "tuab",
        "--raw",
        str(raw),
        "--out",
        str(tmp_path / "tuab.zarr"),
        "--profile",
        "luna",
        "--json",
        cwd=tmp_path,
    )
    assert prepared.returncode == 0, prepared.stderr
    info = run_cli("store", "info", str(tmp_path / "tuab.zarr"), "--json", cwd=tmp_path)
    assert '"sfreq": 256' in info.stdout.replace("256.0", "256") and "FP1-F7" in info.stdout
    result = run_cli(
        "train",
        "--model",
        "luna",
        "--dataset",
        "tuab",
        "--set",
        f"data_root={tmp_path}",
        "--set",
        f"output_dir={tmp_path / 'runs'}",
        *FAST,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "balanced_accuracy" in result.stdout
