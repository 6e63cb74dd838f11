"""`neurokit train` / `neurokit eval` as a user runs them: errors are one line, runs reproduce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from neurokit.cli import cli
from tests.engine.synthetic import write_store

FAST = [
    "--set",
    "data.window_seconds=2",
    "--set",
    "data.batch_size=8",
    "--set",
    "trainer.progress=false",
    "--set",
    "model.width=8",
    "--set",
    "model.depth=2",
]


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def failure(*args: str, code: int | None = None) -> str:
    """The one error line of a failed command."""
    result = invoke(*args)
    assert result.exit_code != 0
    if code is not None:
        assert result.exit_code == code
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error:"), result.stderr
    return " ".join(result.stderr.split())


def test_unknown_option_names_the_key_and_what_is_accepted(store):
    message = failure(
        "train", "--model", "tiny", "--set", f"data.store={store}", "--set", "trainer.lrr=1", code=2
    )
    assert "trainer.lrr: unknown option" in message and "lr" in message


def test_bad_value_names_the_key(store):
    message = failure(
        "train", "--model", "tiny", "--set", f"data.store={store}", "--set", "trainer.epochs=0"
    )
    assert "trainer.epochs" in message


def test_unknown_model_is_one_message():
    message = failure("train", "--model", "tinyy", "--dataset", "demo")
    assert "unknown model 'tinyy'" in message and "'tiny'" in message


def test_unknown_dataset_is_refused_with_suggestions(tmp_path):
    message = failure(
        "train", "--model", "tiny", "--dataset", "dmeo", "--set", f"data_root={tmp_path}"
    )
    assert "unknown dataset 'dmeo'" in message and "Did you mean 'demo'" in message
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "dataset,command",
    [("tuab", "neurokit prepare tuab --raw DIR --out {root}/tuab.zarr")],
)  # demo is generated, so a missing demo store is prepared (test_demo.py)
def test_missing_store_says_which_prepare_command_to_run(tmp_path, dataset, command):
    message = failure(
        "train", "--model", "tiny", "--dataset", dataset, "--set", f"data_root={tmp_path}"
    )
    assert "not found" in message and command.format(root=tmp_path) in message


def test_finetune_on_a_dataset_without_labels_is_one_message(unlabelled_store):
    message = failure(
        "train",
        "--model",
        "tiny",
        "--set",
        f"data.store={unlabelled_store}",
        "--set",
        "dataset.name=unlabelled",
        *FAST,
    )
    assert "has no labels" in message and "finetune" in message


def test_resume_refuses_new_flags_and_missing_runs(tmp_path):
    assert "does not exist" in failure("train", "--resume", str(tmp_path / "nope"))
    assert "only --set" in failure("train", "--resume", str(tmp_path), "--model", "tiny")


def test_print_config_layers_preset_recipe_under_user_values(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("trainer:\n  epochs: 3\n")
    result = invoke(
        "train",
        "--model",
        "tiny",
        "--dataset",
        "demo",
        "--config",
        str(config),
        "--set",
        "trainer.warmup_epochs=0",
        "--print-config",
    )
    assert result.exit_code == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["trainer"]["lr"] == 0.003  # the tiny preset's finetune recipe
    assert resolved["trainer"]["epochs"] == 3  # the file beats the recipe
    assert resolved["trainer"]["warmup_epochs"] == 0  # --set beats the file
    assert (
        resolved["task"]["name"] == "finetune" and resolved["objective"]["name"] == "classification"
    )
    assert resolved["model"]["width"] == 32  # every option filled in


def test_train_then_eval_reproduces_the_test_metrics(store, tmp_path):
    result = invoke(
        "train",
        "--model",
        "tiny",
        "--set",
        f"data.store={store}",
        "--set",
        "dataset.name=synthetic",
        "--set",
        f"output_dir={tmp_path}",
        "--set",
        "run_name=run",
        "--set",
        "trainer.epochs=6",
        "--set",
        "trainer.lr=0.01",
        *FAST,
    )
    assert result.exit_code == 0, result.stderr
    run_dir = tmp_path / "run"
    report = json.loads((run_dir / "report.json").read_text())
    assert report["test"]["balanced_accuracy"] >= 0.9
    for name in (
        "config.yaml",
        "environment.json",
        "metrics.jsonl",
        "report.md",
        "curves.png",
        "confusion_matrix.png",
        "checkpoints/best.pt",
        "checkpoints/last.pt",
    ):
        assert (run_dir / name).is_file(), name
    env = json.loads((run_dir / "environment.json").read_text())
    assert env["torch"] and env["device"] == "cpu" and "git_revision" in env

    evaluated = invoke("eval", str(run_dir), "--json")
    assert evaluated.exit_code == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    for key, value in report["test"].items():
        assert (
            metrics[key] == pytest.approx(value, abs=1e-9)
            if isinstance(value, float)
            else metrics[key] == value
        )
    assert Path(run_dir / "eval-synthetic-test.json").is_file()
    assert "has no 'nosplit' split" in failure("eval", str(run_dir), "--split", "nosplit")

    # the same signals in a store whose classes are ordered (b, a): matched by name, not position
    swapped = write_store(tmp_path / "swapped.zarr", swap_classes=True)
    evaluated = invoke("eval", str(run_dir), "--store", str(swapped), "--json")
    assert evaluated.exit_code == 0, evaluated.stderr
    on_swapped = json.loads(evaluated.stdout)
    assert on_swapped["balanced_accuracy"] == pytest.approx(report["test"]["balanced_accuracy"])
    assert on_swapped["confusion_matrix"] == report["test"]["confusion_matrix"]
    # a store whose class names differ is refused, naming both
    other = write_store(tmp_path / "other.zarr", class_names=["x", "y"])
    message = failure("eval", str(run_dir), "--store", str(other))
    assert "['a', 'b']" in message and "['x', 'y']" in message
