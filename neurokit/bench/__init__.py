"""Benchmarks: a declarative grid of models x datasets x protocols x seeds, cached and reported.

    >>> from neurokit import bench                                   # doctest: +SKIP
    >>> result = bench.run("benchmarks/demo.yaml")                   # doctest: +SKIP
    >>> result.table()          # a pandas DataFrame (list of dicts without pandas)  # doctest: +SKIP

`run` trains only the cells without a cached result (see `cache.py`) and writes the
report; `report` rebuilds the report from what has finished, training nothing. Nothing
here prints: pass `events` to follow progress (the CLI shows it with rich).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurokit.bench import cache, report
from neurokit.bench.runner import Events, Launch, Outcome, execute, plan
from neurokit.bench.spec import PROTOCOLS, BenchSpec, Cell, load_spec

__all__ = ["PROTOCOLS", "BenchResult", "BenchSpec", "Cell", "Launch", "load_spec", "report_only",
           "run"]  # fmt: skip


@dataclass
class BenchResult:
    """Every cell's outcome, the per-model summaries and the report files written."""

    spec: BenchSpec
    outcomes: list[Outcome]
    groups: list[report.Group]
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        return self.spec.directory

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        return counts

    @property
    def interrupted(self) -> bool:
        return any(o.status == "interrupted" for o in self.outcomes)

    def rows(self) -> list[dict[str, Any]]:
        """One row per dataset, model, protocol and metric: mean, std, n_seeds, published."""
        return report.rows(self.groups)

    def comparisons(self) -> list[dict[str, Any]]:
        """Paired differences across seeds between every two models of a dataset."""
        return report.comparisons(self.groups)

    def table(self) -> Any:
        """`rows()` as a pandas DataFrame when pandas is installed (`neurokit[bench]`)."""
        try:
            import pandas as pd
        except ImportError:
            return self.rows()
        return pd.DataFrame(self.rows())


def _result(spec: BenchSpec, outcomes: list[Outcome], write: bool) -> BenchResult:
    groups = report.build_groups(outcomes)
    result = BenchResult(spec, outcomes, groups)
    if write:
        result.files = report.write(spec.directory, spec.name, groups, outcomes)
    return result


def run(
    spec: str | Path | Mapping[str, Any] | BenchSpec,
    *,
    jobs: int = 1,
    launcher: str = "local",
    launcher_options: Mapping[str, Any] | None = None,
    events: Events | None = None,
    cluster: str | None = None,
) -> BenchResult:
    """Run every cell of `spec` that has no cached result, then write the report."""
    spec = load_spec(spec)
    launch = Launch(launcher, jobs, dict(launcher_options or {}), cluster)
    outcomes = execute(spec, launch, events)
    return _result(spec, outcomes, write=True)


def report_only(
    spec: str | Path | Mapping[str, Any] | BenchSpec, write: bool = True
) -> BenchResult:
    """The report of what has finished so far; nothing is trained."""
    spec = load_spec(spec)
    outcomes = []
    for key in plan(spec):
        finished = cache.cached_report(key)
        record = cache.read_record(key) or {}
        if finished is not None:
            outcomes.append(Outcome(key, "cached", finished))
        elif record.get("status") == "failed":
            outcomes.append(Outcome(key, "failed", error=record.get("error")))
        else:
            outcomes.append(Outcome(key, "pending"))
    return _result(spec, outcomes, write)
