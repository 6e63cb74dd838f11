"""The final report: report.json, report.md, predictions.csv, training-curve and
confusion-matrix PNGs.

Curves are drawn over epochs (training loss at fractional epochs), each series with
markers so that a one-evaluation run still shows its point, and the legend sits
outside the plotting area. Class names the default font cannot draw (Du-IN's Chinese
words) use an installed font that has their glyphs, else they are shown as `class i`
and report.md lists the names: matplotlib never warns about missing glyphs.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from neurokit.core.engine.metrics import scalar_rows
from neurokit.core.engine.rundir import write_json

PREDICTIONS = "predictions.csv"


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def write_report(
    run_dir: Path,
    report: dict[str, Any],
    history: list[dict[str, Any]],
    class_names: list[str],
    rows: Any = None,
    figures: Callable[[Path], list[tuple[str, str]]] | None = None,
) -> None:
    """Write every report file; plotting failures never lose the JSON.

    `rows` (a Stage's `EvaluatedRows` for the test split) become predictions.csv.
    `figures(run_dir)` (a stage's `report_figures`) writes the stage's own PNGs and
    returns (caption, file name) pairs, linked under "Figures" in report.md.
    """
    if rows is not None:
        write_predictions(run_dir / PREDICTIONS, rows, class_names)
        report = {**report, "predictions": PREDICTIONS}
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
    per_recording = report.get("test_per_recording")
    if per_recording:
        lines += [
            f"## Test metrics per recording ({per_recording['recordings']} recordings, "
            "mean prediction over each recording's windows)",
            "",
            "| metric | value |",
            "|---|---|",
        ]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in scalar_rows(per_recording)]
        lines.append("")
    if rows is not None:
        lines += [f"Window predictions: [{PREDICTIONS}]({PREDICTIONS})", ""]
    lines += ["![training curves](curves.png)", ""]
    if test.get("confusion_matrix"):
        lines += ["![confusion matrix](confusion_matrix.png)", ""]
        if not _font_for(class_names)[0]:
            lines += ["Classes: " + ", ".join(f"{i} = {n}" for i, n in enumerate(class_names)), ""]
    if own:
        lines += ["## Figures", ""]
        for caption, name in own:
            lines += [f"![{caption}]({name})", "", f"*{caption}*", ""]
    (run_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")
    plot_curves(run_dir / "curves.png", history, report.get("monitor") or "loss")
    if test.get("confusion_matrix"):
        title = (
            f"test split, checkpoint of epoch {report.get('best_epoch')} "
            f"(best val {report.get('monitor')})"
        )
        plot_confusion(
            run_dir / "confusion_matrix.png", test["confusion_matrix"], class_names, title
        )


def write_predictions(path: Path, rows: Any, class_names: list[str]) -> None:
    """One line per evaluated window: recording, start sample, target, predicted, scores."""
    import numpy as np

    scores = np.asarray(rows.predictions, dtype=np.float64)
    targets = np.asarray(rows.targets)
    if scores.ndim == 1:  # binary (positive-class probability) or regression
        classify = len(class_names) == 2
        header = ["recording", "start", "target", "predicted"]
        header += [f"p_{class_names[1]}"] if classify else ["value"]
    else:
        classify = True
        names = class_names if len(class_names) == scores.shape[1] else range(scores.shape[1])
        header = ["recording", "start", "target", "predicted", *(f"p_{n}" for n in names)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(len(scores)):
            row = scores[i]
            if scores.ndim == 1 and classify:
                predicted: Any = _name(int(row >= 0.5), class_names)
                target: Any = _name(int(targets[i]), class_names)
                values = [f"{row:.6g}"]
            elif scores.ndim == 1:
                predicted, target, values = f"{row:.6g}", f"{float(targets[i]):.6g}", [f"{row:.6g}"]
            else:
                predicted = _name(int(row.argmax()), class_names)
                target = _name(int(np.asarray(targets[i]).reshape(-1)[0]), class_names)
                values = [f"{v:.6g}" for v in row]
            start = int(rows.starts[i])
            writer.writerow(
                [rows.recordings[i], "" if start < 0 else start, target, predicted, *values]
            )


def _name(index: int, class_names: list[str]) -> str:
    return class_names[index] if 0 <= index < len(class_names) else str(index)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _series(points: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    return [x for x, _ in points], [y for _, y in points]


def plot_curves(path: Path, history: list[dict[str, Any]], monitor: str) -> None:
    """Training loss, val loss and the monitored val metric over epochs; legend outside."""
    plt = _plt()
    fig = curves_figure(history, monitor)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def curves_figure(history: list[dict[str, Any]], monitor: str):
    """The curves as a matplotlib figure (the caller saves and closes it)."""
    plt = _plt()
    train = [r for r in history if "train/loss" in r]
    vals = [r for r in history if r.get("val/loss") is not None]
    per_epoch = _steps_per_epoch(history)
    steps = [(r["step"] / per_epoch, r["train/loss"]) for r in train]
    val_loss = [(float(r["epoch"]), r["val/loss"]) for r in vals]
    val_metric = [
        (float(r["epoch"]), r[f"val/{monitor}"])
        for r in vals
        if monitor != "loss" and r.get(f"val/{monitor}") is not None
    ]
    fig, ax = plt.subplots(figsize=(8, 4))
    handles = []
    if steps:
        marker = "." if len(steps) <= 50 else None
        handles += ax.plot(*_series(steps), marker=marker, lw=1, label="train loss")
    if val_loss:
        handles += ax.plot(*_series(val_loss), "o-", label="val loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    if val_metric:
        twin = ax.twinx()
        handles += twin.plot(*_series(val_metric), "s-", color="tab:green", label=f"val {monitor}")
        twin.set_ylabel(monitor)
    if handles:  # outside the axes, to the right: never over the data
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.12 if val_metric else 1.02, 1.0),
            borderaxespad=0.0,
        )
    fig.tight_layout()
    return fig


def _steps_per_epoch(history: list[dict[str, Any]]) -> float:
    """Optimizer steps per epoch, from the validation lines (step at each epoch's end)."""
    ends = sorted({(r["epoch"], r["step"]) for r in history if r.get("val/loss") is not None})
    for epoch, step in ends:
        if epoch > 0 and step > 0:
            return step / epoch
    train = [r for r in history if "train/loss" in r]
    if train:  # no validation: the training lines' own epoch counter
        last = train[-1]
        return max(last["step"] / max(last.get("epoch", 0) + 1, 1), 1.0)
    return 1.0


def _font_for(labels: list[str]) -> tuple[bool, Any]:
    """(drawable, font properties): the default font if it has every glyph, else an
    installed font that has them, else (False, None)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    chars = {ord(c) for label in labels for c in str(label)}
    if all(c < 0x250 for c in chars):  # Latin: the default font has them
        return True, None
    default = font_manager.findfont(font_manager.FontProperties())
    candidates = [default] + [
        f.fname
        for f in font_manager.fontManager.ttflist
        if "last resort" not in f.name.lower()  # its "glyphs" are placeholder boxes
    ]
    seen = set()
    for fname in candidates:
        if fname in seen:
            continue
        seen.add(fname)
        try:
            charmap = FT2Font(fname).get_charmap()
        except Exception:
            continue
        if chars <= set(charmap):
            return True, None if fname == default else font_manager.FontProperties(fname=fname)
    return False, None


def plot_confusion(
    path: Path, matrix: list[list[int]], class_names: list[str], title: str | None = None
) -> None:
    import numpy as np

    plt = _plt()
    m = np.asarray(matrix)
    names = class_names if len(class_names) == len(m) else [str(i) for i in range(len(m))]
    drawable, font = _font_for(names)
    if not drawable:  # report.md lists the names
        names = [f"class {i}" for i in range(len(m))]
    fig, ax = plt.subplots(figsize=(3.2 + 0.7 * len(m), 2.8 + 0.7 * len(m)))
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
    ax.set_xticks(range(len(m)), names, rotation=45, ha="right", fontproperties=font)
    ax.set_yticks(range(len(m)), names, fontproperties=font)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
