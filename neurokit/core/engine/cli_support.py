"""What `neurokit train` and `neurokit eval` delegate to (keeps cli.py parse-and-delegate)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import click

from neurokit import console as out

SHOWN = [
    "balanced_accuracy",
    "accuracy",
    "auroc",
    "auc_pr",
    "cohen_kappa",
    "f1_weighted",
    "mse",
    "rmse",
    "mae",
    "r2",
    "pearson",
    "loss",
]


def _metrics_table(title: str, metrics: dict[str, Any]) -> None:
    rows = [
        [k, "n/a" if metrics[k] is None else f"{metrics[k]:.4f}"] for k in SHOWN if k in metrics
    ]
    out.table(title, ["metric", "value"], rows)


def torchrun_command(nproc: int, args: list[str]) -> list[str]:
    """The command line `--nproc N` runs: torchrun on this machine, N processes."""
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        "neurokit.cli",
        "train",
        *args,
    ]


def _train_args(model, dataset, task, config_file, overrides, print_config, resume) -> list[str]:
    args: list[str] = []
    for flag, value in (
        ("--model", model),
        ("--dataset", dataset),
        ("--task", task),
        ("--config", config_file),
        ("--resume", resume),
    ):
        if value is not None:
            args += [flag, str(value)]
    for item in overrides:
        args += ["--set", item]
    return args + (["--print-config"] if print_config else [])


def run_train(model, dataset, task, config_file, overrides, print_config, resume, nproc) -> None:
    from neurokit.core.engine.run import train

    if nproc > 1 and not print_config and "WORLD_SIZE" not in os.environ:
        command = torchrun_command(
            nproc, _train_args(model, dataset, task, config_file, overrides, False, resume)
        )
        out.console.print(f"launching: {' '.join(command[1:])}", highlight=False)
        code = subprocess.call(command)
        if code:
            click.get_current_context().exit(code)
        return
    flags = {"model": model, "dataset": dataset, "task": task}
    result = train(config_file, tuple(overrides), flags, resume, print_config)
    if isinstance(result, str):
        sys.stdout.write(result)
        return
    if int(os.environ.get("RANK", "0")) != 0:
        return
    if result.get("test"):
        _metrics_table(
            f"test ({result['dataset']}, selected epoch {result.get('best_epoch')})", result["test"]
        )
    out.console.print(f"run directory: {result['run_dir']}", highlight=False)


def run_eval(
    run_dir: str, dataset: str | None, split: str, store: str | None, as_json: bool
) -> None:
    from neurokit.core.engine.run import evaluate

    metrics = evaluate(run_dir, dataset, split, store)
    if as_json:
        out.print_json(metrics)
    else:
        _metrics_table(f"{split} ({dataset or 'run dataset'})", metrics)
