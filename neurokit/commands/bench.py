"""What `neurokit bench run|report` delegate to: run the grid with a progress display, print tables."""

from __future__ import annotations

import time
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from neurokit import console as out
from neurokit.core.config import parse_overrides


class BenchDisplay:
    """The bench's events as a rich bar: cells done / running / cached / failed, elapsed, ETA."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or out.console
        self.counts = {"done": 0, "running": 0, "cached": 0, "failed": 0, "interrupted": 0}
        self.started = time.time()
        self._bar: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> BenchDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _describe(self) -> str:
        c = self.counts
        return (
            f"cells: {c['done']} done, {c['running']} running, {c['cached']} cached, "
            f"{c['failed']} failed"
        )

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "bench-start":
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("elapsed {task.elapsed:.0f}s"),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._describe(), total=data["total"])
        elif event == "cell-cached":
            self.counts["cached"] += 1
            self._advance()
        elif event == "cell-start":
            self.counts["running"] += 1
            self._update()
        elif event == "cell-end":
            self.counts["running"] -= 1
            status = data["status"]
            self.counts[status] = self.counts.get(status, 0) + 1
            if status == "failed":
                self._print(f"[red]failed[/] {data['cell']}: {data.get('error')}")
            elif status == "interrupted":
                self._print(f"[yellow]interrupted[/] {data['cell']}: rerun the bench to resume it")
            else:
                self._print(f"done {data['cell']} in {data['seconds']:.1f} s")
            self._advance()

    def _advance(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=self._describe())

    def _update(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=self._describe())

    def _print(self, text: str) -> None:
        (self._bar.console if self._bar is not None else self.console).print(text, highlight=False)


def _show(result, as_json: bool) -> None:
    if as_json:
        out.print_json(
            {"counts": result.counts(), "summary": result.rows(), "comparisons": result.comparisons(),
             "files": {k: str(v) for k, v in result.files.items()}}
        )  # fmt: skip
        return
    from neurokit.bench import report

    for dataset in dict.fromkeys(g.dataset for g in result.groups):
        members = [g for g in result.groups if g.dataset == dataset]
        metrics = report.metric_names(members)
        rows = []
        for g in members:
            cells = [g.label]
            for metric in metrics:
                text = report._fmt(*g.summary(metric))
                ref = report.published_value(g.model_name, dataset, metric)
                cells.append(text + (f" (paper {ref:.4f})" if ref is not None else ""))
            rows.append([*cells, str(len(g.seeds)), "" if g.params is None else f"{g.params:,}"])
        out.table(
            f"{dataset} (mean ± std over seeds)", ["model", *metrics, "seeds", "params"], rows
        )
    if "markdown" in result.files:
        out.console.print(f"report: {result.files['markdown']}", highlight=False)


def run_bench(spec, jobs, launcher, launcher_options, as_json) -> None:
    from neurokit import bench

    options = parse_overrides(launcher_options)
    with BenchDisplay(out.err_console if as_json else None) as events:
        result = bench.run(
            spec, jobs=jobs, launcher=launcher, launcher_options=options, events=events
        )
    _show(result, as_json)
    counts = result.counts()
    if result.interrupted:
        out.warning("the bench was interrupted; rerun the same command to resume it")
        click.get_current_context().exit(130)
    if counts.get("failed"):
        out.warning(f"{counts['failed']} cell(s) failed; their errors are in the report")
        click.get_current_context().exit(1)


def report_bench(spec, as_json) -> None:
    from neurokit import bench

    result = bench.report_only(spec)
    _show(result, as_json)
