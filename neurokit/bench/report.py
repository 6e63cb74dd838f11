"""The bench report: per dataset, mean +- std over seeds per metric, beside published numbers.

Numbers come only from the cells' own `report.json` test metrics, so the report and
the runs can never disagree. Outputs, in the bench directory: `report.md` (tables,
paired comparisons, plots), `report.csv` (one row per model, protocol, dataset, metric),
`report.json` (everything, per seed), and `plot-<dataset>.png`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml

from neurokit.core.engine.metrics import scalar_rows

# the headline metrics of EEG classification papers, in the order tables show them
PREFERRED = ("balanced_accuracy", "auroc", "auc_pr", "cohen_kappa", "f1_weighted", "accuracy")
SKIPPED = {"loss", "num_samples"}


@cache
def published() -> dict[str, dict[str, Any]]:
    """The reference numbers shipped with neurokit, by model name and alias."""
    text = (Path(__file__).with_name("published.yaml")).read_text(encoding="utf-8")
    table: dict[str, dict[str, Any]] = {}
    for name, entry in (yaml.safe_load(text) or {}).items():
        for alias in [name, *entry.get("aliases", [])]:
            table[alias] = entry
    return table


def published_value(model: str, dataset: str, metric: str) -> float | None:
    entry = published().get(model) or {}
    value = (entry.get(dataset) or {}).get(metric)
    return float(value) if value is not None else None


@dataclass
class Group:
    """One model under one protocol on one dataset, over its seeds."""

    dataset: str
    model: str
    model_name: str  # what --model was (published numbers are looked up by it)
    protocol: str
    seeds: dict[int, dict[str, float]] = field(default_factory=dict)  # seed -> metrics
    seconds: list[float] = field(default_factory=list)
    params: int | None = None
    failed: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.model if self.protocol == "finetune" else f"{self.model} ({self.protocol})"

    def values(self, metric: str) -> list[float]:
        return [m[metric] for _, m in sorted(self.seeds.items()) if m.get(metric) is not None]

    def summary(self, metric: str) -> tuple[float | None, float | None]:
        values = self.values(metric)
        if not values:
            return None, None
        mean = sum(values) / len(values)
        if len(values) < 2:
            return mean, 0.0
        var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
        return mean, math.sqrt(var)


def metric_names(groups: list[Group]) -> list[str]:
    seen: list[str] = []
    for g in groups:
        for metrics in g.seeds.values():
            for name in metrics:
                if name not in seen:
                    seen.append(name)
    return [m for m in PREFERRED if m in seen] + [m for m in seen if m not in PREFERRED]


def build_groups(outcomes: list[Any]) -> list[Group]:
    """Groups in grid order from the bench's outcomes (finished cells' report.json)."""
    groups: dict[tuple[str, str, str], Group] = {}
    for o in outcomes:
        c = o.cell
        g = groups.get(c.group)
        if g is None:
            g = groups[c.group] = Group(c.dataset, c.model, c.run.model or c.model, c.protocol)
        if o.status in ("done", "cached") and o.report is not None:
            test = o.report.get("test") or {}
            g.seeds[c.seed] = {
                k: float(v) for k, v in scalar_rows(test) if k not in SKIPPED and v is not None
            }
            if o.report.get("duration_s") is not None:
                g.seconds.append(float(o.report["duration_s"]))
            g.params = o.report.get("params", g.params)
        elif o.status == "failed":
            g.failed.append(f"seed {c.seed}: {o.error}")
    return list(groups.values())


# Student t 0.975 quantiles for 1..30 degrees of freedom (scipy.stats.t.ppf(0.975, df));
# a table, because importing scipy.stats costs seconds for a handful of numbers.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip


def t_quantile(n: int) -> float:
    """The two-sided 95% Student t quantile for n paired values (n - 1 degrees of freedom)."""
    df = n - 1
    return _T975[df - 1] if df <= len(_T975) else 1.96 + 2.4 / df  # large df: ~normal


def paired(a: Group, b: Group, metric: str) -> dict[str, Any] | None:
    """a - b over the seeds both finished: mean difference and its 95% t interval."""
    seeds = sorted(set(a.seeds) & set(b.seeds))
    diffs = [
        a.seeds[s][metric] - b.seeds[s][metric]
        for s in seeds
        if a.seeds[s].get(metric) is not None and b.seeds[s].get(metric) is not None
    ]
    if len(diffs) < 2:
        return None
    n = len(diffs)
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    half = t_quantile(n) * sd / math.sqrt(n)
    return {
        "dataset": a.dataset,
        "a": a.label,
        "b": b.label,
        "metric": metric,
        "n": n,
        "difference": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
    }


def comparisons(groups: list[Group]) -> list[dict[str, Any]]:
    out = []
    for dataset in dict.fromkeys(g.dataset for g in groups):
        members = [g for g in groups if g.dataset == dataset]
        for metric in metric_names(members):
            for a, b in combinations(members, 2):
                result = paired(a, b, metric)
                if result is not None:
                    out.append(result)
    return out


# -------------------------------------------------------------------- outputs


def _fmt(mean: float | None, std: float | None) -> str:
    return "n/a" if mean is None else f"{mean:.4f} ± {std:.4f}"


def rows(groups: list[Group]) -> list[dict[str, Any]]:
    """Long form: one row per dataset, model, protocol and metric (the CSV and DataFrame)."""
    out = []
    for g in groups:
        for metric in metric_names([g]):
            mean, std = g.summary(metric)
            out.append(
                {
                    "dataset": g.dataset,
                    "model": g.model,
                    "protocol": g.protocol,
                    "metric": metric,
                    "mean": mean,
                    "std": std,
                    "n_seeds": len(g.values(metric)),
                    "published": published_value(g.model_name, g.dataset, metric),
                    "train_seconds": _mean(g.seconds),
                    "params": g.params,
                }
            )
    return out


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def markdown(name: str, groups: list[Group], pairs: list[dict], plots: dict[str, str]) -> str:
    lines = [f"# Benchmark {name}", ""]
    for dataset in dict.fromkeys(g.dataset for g in groups):
        members = [g for g in groups if g.dataset == dataset]
        metrics = metric_names(members)
        lines += [
            f"## {dataset}",
            "",
            "mean ± std over seeds (test split, selected checkpoint)",
            "",
        ]
        head = ["model", *metrics, "seeds", "train s", "params"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for g in members:
            cells = [g.label]
            for metric in metrics:
                text = _fmt(*g.summary(metric))
                ref = published_value(g.model_name, dataset, metric)
                cells.append(text + (f" (paper {ref:.4f})" if ref is not None else ""))
            seconds = _mean(g.seconds)
            cells += [
                str(len(g.seeds)),
                "n/a" if seconds is None else f"{seconds:.1f}",
                "n/a" if g.params is None else f"{g.params:,}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        failed = [f"- {g.label}: {f}" for g in members for f in g.failed]
        if failed:
            lines += ["Failed cells:", "", *failed, ""]
        shown = (
            [p for p in pairs if p["dataset"] == dataset and p["metric"] == metrics[0]]
            if metrics
            else []
        )
        if shown:
            lines += [
                f"Paired differences over seeds ({metrics[0]}, a - b, 95% t interval):",
                "",
                "| a | b | n | difference | 95% CI |",
                "|---|---|---|---|---|",
            ]
            lines += [
                f"| {p['a']} | {p['b']} | {p['n']} | {p['difference']:+.4f} | "
                f"[{p['ci_low']:+.4f}, {p['ci_high']:+.4f}] |"
                for p in shown
            ]
            lines.append("")
        if dataset in plots:
            lines += [f"![{dataset}]({plots[dataset]})", ""]
    return "\n".join(lines)


def plot_dataset(path: Path, dataset: str, groups: list[Group]) -> None:
    """One panel per metric: a bar per model (mean), error bar (std), a dot per seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = metric_names(groups)
    cols = min(3, len(metrics)) or 1
    nrows = max(1, math.ceil(len(metrics) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.4 * nrows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes.flat, metrics, strict=False):
        for i, g in enumerate(groups):
            mean, std = g.summary(metric)
            color = colors[i % len(colors)]
            if mean is not None:
                ax.bar(i, mean, yerr=std, color=color, alpha=0.6, capsize=4)
                values = g.values(metric)
                offsets = [(j - (len(values) - 1) / 2) * 0.12 for j in range(len(values))]
                ax.scatter([i + o for o in offsets], values, color="black", s=12, zorder=3)
            ref = published_value(g.model_name, dataset, metric)
            if ref is not None:
                ax.hlines(ref, i - 0.4, i + 0.4, colors="red", linestyles="--", zorder=4)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([g.label for g in groups], rotation=20, ha="right", fontsize=8)
        ax.set_title(metric, fontsize=10)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    fig.suptitle(f"{dataset}: mean ± std over seeds (dots: seeds, red dashes: paper)", fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.9, bottom=0.18, hspace=0.6, wspace=0.25)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _plot_if_changed(path: Path, dataset: str, groups: list[Group]) -> None:
    """Draw the plot unless the same numbers were drawn before (drawing costs seconds)."""
    data = [(g.label, g.model_name, sorted(g.seeds.items())) for g in groups]
    digest = hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()[:16]
    stamp = path.with_name(f".{path.name}.sha")
    if path.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return
    plot_dataset(path, dataset, groups)
    stamp.write_text(digest)


def write(directory: Path, name: str, groups: list[Group], outcomes: list[Any]) -> dict[str, Path]:
    """Write report.md/.csv/.json and the plots; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    pairs = comparisons(groups)
    plots: dict[str, str] = {}
    for dataset in dict.fromkeys(g.dataset for g in groups):
        members = [g for g in groups if g.dataset == dataset and g.seeds]
        if members:
            file = f"plot-{dataset}.png"
            _plot_if_changed(directory / file, dataset, members)
            plots[dataset] = file
    table = rows(groups)
    paths = {
        "markdown": directory / "report.md",
        "csv": directory / "report.csv",
        "json": directory / "report.json",
    }
    paths["markdown"].write_text(markdown(name, groups, pairs, plots), encoding="utf-8")
    with paths["csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]) if table else ["dataset"])
        writer.writeheader()
        writer.writerows(table)
    cells = [
        {
            "cell": o.cell.id,
            "dataset": o.cell.dataset,
            "model": o.cell.model,
            "protocol": o.cell.protocol,
            "seed": o.cell.seed,
            "status": o.status,
            "error": o.error,
            "run_dir": str(o.key.run_dir),
            "test": (o.report or {}).get("test"),
        }
        for o in outcomes
    ]
    data = {"name": name, "summary": table, "comparisons": pairs, "cells": cells}
    paths["json"].write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    for dataset, file in plots.items():
        paths[f"plot:{dataset}"] = directory / file
    return paths
