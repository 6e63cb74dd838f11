"""The final report: report.json, report.md, a training-curve and a confusion-matrix PNG."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from neurokit.core.engine.metrics import scalar_rows
from neurokit.core.engine.rundir import write_json


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def write_report(
    run_dir: Path,
    report: dict[str, Any],
    history: list[dict[str, Any]],
    class_names: list[str],
    figures: Callable[[Path], list[tuple[str, str]]] | None = None,
) -> None:
    """Write every report file; plotting failures never lose the JSON.

    `figures(run_dir)` (a stage's `report_figures`) writes the stage's own PNGs and
    returns (caption, file name) pairs, linked under "Figures" in report.md.
    """
    write_json(run_dir / "report.json", report)
    own = figures(run_dir) if figures is not None else []
    test = report.get("test") or {}
    lines = [
        f"# Run {run_dir.name}",
        "",
        f"- model: {report.get('model')}, task: {report.get('task')}, dataset: {report.get('dataset')}",
        f"- selected: epoch {report.get('best_epoch')} (step {report.get('best_step')}) on "
        f"val {report.get('monitor')} = {_fmt(report.get('best_value'))}",
        f"- steps: {report.get('steps')}, epochs: {report.get('epochs')}",
        "",
    ]
    if test:
        lines += ["## Test metrics (selected checkpoint)", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in scalar_rows(test)]
        lines.append("")
    lines += ["![training curves](curves.png)", ""]
    if test.get("confusion_matrix"):
        lines += ["![confusion matrix](confusion_matrix.png)", ""]
    if own:
        lines += ["## Figures", ""]
        for caption, name in own:
            lines += [f"![{caption}]({name})", "", f"*{caption}*", ""]
    (run_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")
    plot_curves(run_dir / "curves.png", history, report.get("monitor") or "loss")
    if test.get("confusion_matrix"):
        plot_confusion(run_dir / "confusion_matrix.png", test["confusion_matrix"], class_names)


def plot_curves(path: Path, history: list[dict[str, Any]], monitor: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [(r["step"], r["train/loss"]) for r in history if "train/loss" in r]
    val_loss = [(r["step"], r["val/loss"]) for r in history if r.get("val/loss") is not None]
    val_metric = [
        (r["step"], r[f"val/{monitor}"])
        for r in history
        if monitor != "loss" and r.get(f"val/{monitor}") is not None
    ]
    fig, ax = plt.subplots(figsize=(7, 4))
    if steps:
        ax.plot(*zip(*steps, strict=True), label="train loss", lw=1)
    if val_loss:
        ax.plot(*zip(*val_loss, strict=True), "o-", label="val loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if val_metric:
        twin = ax.twinx()
        twin.plot(*zip(*val_metric, strict=True), "s-", color="tab:green", label=f"val {monitor}")
        twin.set_ylabel(monitor)
        twin.legend(loc="upper right")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(path: Path, matrix: list[list[int]], class_names: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    m = np.asarray(matrix)
    names = class_names if len(class_names) == len(m) else [str(i) for i in range(len(m))]
    fig, ax = plt.subplots(figsize=(2.6 + 0.7 * len(m), 2.3 + 0.7 * len(m)))
    ax.imshow(m, cmap="Blues")
    for i in range(len(m)):
        for j in range(len(m)):
            ax.text(
                j,
                i,
                str(m[i, j]),
                ha="center",
                va="center",
                color="white" if m[i, j] > m.max() / 2 else "black",
            )
    ax.set_xticks(range(len(m)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(m)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
