"""What `neurokit train`, `pipeline` and `eval` delegate to: run, then print the results."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import click

from neurokit import console as out
from neurokit.core.engine.metrics import scalar_rows


def _metrics_table(title: str, metrics: dict[str, Any]) -> None:
    rows = [[k, "n/a" if v is None else f"{v:.4f}"] for k, v in scalar_rows(metrics)]
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


def _train_args(model, dataset, task, config_file, overrides, from_run, resume) -> list[str]:
    args: list[str] = []
    for flag, value in (
        ("--model", model),
        ("--dataset", dataset),
        ("--task", task),
        ("--config", config_file),
        ("--from", from_run),
        ("--resume", resume),
    ):
        if value is not None:
            args += [flag, str(value)]
    for item in overrides:
        args += ["--set", item]
    return args


def run_spec(model, dataset, task, config_file, overrides, from_run, resume):
    """The typed RunSpec for what `neurokit train` was given."""
    from neurokit.core.config import parse_overrides
    from neurokit.core.engine.resolve import RunSpec

    return RunSpec(
        model=model,
        dataset=dataset,
        stage=task,
        config=config_file,
        overrides=parse_overrides(overrides),
        from_run=from_run,
        resume=resume,
    )


def run_train(
    model, dataset, task, config_file, overrides, from_run, print_config, resume, nproc,
    describe=False,
) -> None:  # fmt: skip
    from neurokit.core.engine.run import described_config, resolved_config, train

    spec = run_spec(model, dataset, task, config_file, overrides, from_run, resume)
    if print_config or describe:
        sys.stdout.write(described_config(spec) if describe else resolved_config(spec))
        return
    if nproc > 1 and "WORLD_SIZE" not in os.environ:
        resolved_config(spec)  # refuse a bad config before starting processes
        command = torchrun_command(
            nproc, _train_args(model, dataset, task, config_file, overrides, from_run, resume)
        )
        out.console.print(f"launching: {' '.join(command[1:])}", highlight=False)
        code = subprocess.call(command)
        if code:
            click.get_current_context().exit(code)
        return
    from neurokit.console_events import TrainingDisplay
    from neurokit.core.engine.trainer import PlannedStop

    with TrainingDisplay() as events:
        try:
            result = train(spec, events)
        except PlannedStop as stop:  # trainer.stop_after_steps: done as asked, exit 0
            events.note(str(stop))
            return
        if int(os.environ.get("RANK", "0")) != 0:
            return
        _show_result(result, events)


def _show_result(result, events=None) -> None:
    stores = (result.report.get("run") or {}).get("stores") or [{}]
    label = result.config.get("dataset", {}).get("name") or stores[0].get("name")
    if result.test:
        best = result.report.get("best_epoch")
        _metrics_table(f"test ({label}, selected epoch {best})", result.test)
        if events is not None:  # the run's console.log keeps the numbers too
            shown = ", ".join(
                f"{k} {'n/a' if v is None else f'{v:.4f}'}" for k, v in scalar_rows(result.test)
            )
            events.keep(f"test ({label}, selected epoch {best}): {shown}")
    if events is not None:
        events.note(f"run directory: {result.run_dir}")
    else:
        out.console.print(f"run directory: {result.run_dir}", highlight=False)


def parse_seeds(text: str | None) -> list[int] | None:
    """`0,1,2` or `0-5` (inclusive) -> seeds; ConfigError on anything else."""
    from neurokit.core.errors import ConfigError

    if text is None:
        return None
    import re

    seeds: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        if re.fullmatch(r"\d+-\d+", part):
            lo, hi = (int(v) for v in part.split("-"))
            if hi < lo:
                raise ConfigError(f"--seeds {text!r}: empty range {part!r}")
            seeds.extend(range(lo, hi + 1))
        elif re.fullmatch(r"-?\d+", part):
            seeds.append(int(part))
        else:
            raise ConfigError(f"--seeds {text!r}: expected integers like 0,1,2 or 0-5")
    return seeds


def run_pipeline(
    model, dataset, config_file, overrides, name, stages, small=False, seeds=None
) -> None:
    from neurokit.console_events import TrainingDisplay
    from neurokit.core.config import parse_overrides
    from neurokit.core.engine.run import pipeline, pipeline_seeds, seed_summary
    from neurokit.core.engine.trainer import PlannedStop

    seed_list = parse_seeds(seeds)
    if seed_list is not None:
        with TrainingDisplay() as events:
            by_seed = pipeline_seeds(
                model,
                dataset,
                seeds=seed_list,
                config=config_file,
                overrides=parse_overrides(overrides),
                name=name,
                stages=list(stages) or None,
                small=small,
                events=events,
            )
        rows = [
            [str(seed), r.stage or "", "skipped (finished)" if r.skipped else "ran", str(r.run_dir)]
            for seed, results in by_seed.items()
            for r in results
        ]
        out.table(f"pipeline {model}", ["seed", "stage", "status", "run directory"], rows)
        summary = seed_summary(by_seed)
        if summary:
            out.table(
                f"test over {len(by_seed)} seeds (last stage)",
                ["metric", "mean", "std", "n"],
                [
                    [k, f"{v['mean']:.4f}", f"{v['std']:.4f}", f"{v['n']:g}"]
                    for k, v in summary.items()
                ],
            )
        return

    with TrainingDisplay() as events:
        try:
            results = pipeline(
                model,
                dataset,
                config=config_file,
                overrides=parse_overrides(overrides),
                name=name,
                stages=list(stages) or None,
                small=small,
                events=events,
            )
        except PlannedStop as stop:  # rerun the pipeline to continue it
            events.note(f"{stop} (or rerun the same pipeline command)")
            return
    rows = [
        [r.stage or "", "skipped (finished)" if r.skipped else "ran", str(r.run_dir)]
        for r in results
    ]
    out.table(f"pipeline {model}", ["stage", "status", "run directory"], rows)
    if results and results[-1].test:
        _metrics_table(f"test ({results[-1].stage})", results[-1].test)


def run_eval(
    run_dir: str, dataset: str | None, split: str, store: str | None, as_json: bool
) -> None:
    from neurokit.core.engine.run import evaluate

    metrics = evaluate(run_dir, dataset, split, store)
    if as_json:
        out.print_json(metrics)
    else:
        _metrics_table(f"{split} ({dataset or 'run dataset'})", metrics)
