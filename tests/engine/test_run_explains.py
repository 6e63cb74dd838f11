"""Runs that explain themselves: a start-up summary, step lines without a terminal, a
console log and a report that records what was resolved; a planned stop is not an error."""

from __future__ import annotations

import io
import json

import yaml
from rich.console import Console

from neurokit.console_events import TrainingDisplay
from neurokit.core.data.store import open_store
from neurokit.core.engine.data import store_checksum
from tests.engine.test_cli import FAST, invoke


def _train(store, tmp_path, name: str, *extra: str):
    return invoke(
        "train", "--model", "tiny", "--set", f"data.store={store}",
        "--set", f"output_dir={tmp_path}", "--set", f"run_name={name}",
        "--set", "trainer.epochs=1", *FAST[:4], *FAST[6:], *extra,
    )  # fmt: skip


def test_a_run_summarises_itself_and_keeps_its_console_log(store, tmp_path):
    result = _train(store, tmp_path, "a")
    assert result.exit_code == 0, result.stderr
    run_dir = tmp_path / "a"
    report = json.loads((run_dir / "report.json").read_text())["run"]
    splits = {role: s["windows"] for role, s in report["splits"].items()}
    assert splits == {"train": 48, "val": 24, "test": 24}  # 6/3/3 recordings of 8 windows
    assert report["splits"]["train"]["classes"] == {"a": 24, "b": 24}
    assert report["seed"] == 0 and report["head_size"] == 2
    assert report["window_seconds"] == 2.0 and report["window_samples"] == 128
    assert report["stores"][0]["checksum"] == store_checksum(open_store(str(store)))
    assert report["parameters"]["total"] > 0
    # the summary comes before training and names the store, the splits and the device
    text = result.output
    for line in ("train: 48 windows (a 24, b 24)", "windows of 2 s = 128 samples at 64 Hz",
                 "device cpu, precision fp32", f"store {store}"):  # fmt: skip
        assert line in text, text
    assert text.index("train: 48 windows") < text.index("epoch 1:")
    log = (run_dir / "console.log").read_text()
    assert "train: 48 windows (a 24, b 24)" in log and "epoch 1: val loss" in log
    assert "test (" in log and f"run directory: {run_dir}" in log
    # predictions.csv: one line per test window; per-recording metrics (recording labels)
    lines = (run_dir / "predictions.csv").read_text().splitlines()
    assert lines[0] == "recording,start,target,predicted,p_b" and len(lines) == 1 + 24
    assert {line.split(",")[0] for line in lines[1:]} == {"r9", "r10", "r11"}
    full = json.loads((run_dir / "report.json").read_text())
    assert full["test_per_recording"]["recordings"] == 3
    assert full["predictions"] == "predictions.csv"
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["data"]["window_seconds"] == 2.0 and config["task"]["num_classes"] == 2


def test_stop_after_steps_is_a_planned_stop_and_resume_finishes(store, tmp_path):
    result = _train(store, tmp_path, "b", "--set", "trainer.stop_after_steps=2")
    assert result.exit_code == 0 and "error" not in result.stderr, result.stderr
    assert "planned stop after 2 steps" in result.output
    assert f"neurokit train --resume {tmp_path / 'b'}" in " ".join(result.output.split())
    assert not (tmp_path / "b" / "report.json").exists()  # not finished: pipeline resumes it
    resumed = invoke(
        "train", "--resume", str(tmp_path / "b"), "--set", "trainer.stop_after_steps=null"
    )
    assert resumed.exit_code == 0, resumed.stderr
    assert (tmp_path / "b" / "report.json").is_file()
    log = (tmp_path / "b" / "console.log").read_text()
    assert "planned stop after 2 steps" in log and "resuming at epoch 1, step 2" in log


def _steps(display: TrainingDisplay, losses: list[float | None]) -> None:
    display("start", {"step": 0, "total_steps": 9, "epoch": 0, "epochs": 1, "monitor": "loss",
                      "progress": True, "device": "cpu", "precision": "fp32"})  # fmt: skip
    for i, loss in enumerate(losses, 1):
        display("step", {"step": i, "total_steps": 9, "epoch": 0, "epochs": 1, "loss": loss})


def test_without_a_terminal_steps_are_printed_as_lines():
    buffer = io.StringIO()
    with TrainingDisplay(Console(file=buffer, width=200), line_seconds=0.0) as display:
        _steps(display, [0.7, None, 0.6])
    text = buffer.getvalue()
    assert "step 1/9 (epoch 1/1): train loss 0.7000" in text
    assert "step 3/9 (epoch 1/1): train loss 0.6000" in text and "step 2/9" not in text
    quiet = io.StringIO()  # the same run at the default pace prints its first step only
    with TrainingDisplay(Console(file=quiet, width=200)) as display:
        _steps(display, [0.7, None, 0.6])
    assert "step 1/9" in quiet.getvalue() and "step 3/9" not in quiet.getvalue()


def test_on_a_terminal_the_bar_replaces_step_lines():
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, force_terminal=True)
    with TrainingDisplay(console, line_seconds=0.0) as display:
        _steps(display, [0.7])
    assert "train loss 0.7000" not in buffer.getvalue()
