"""Running a bench's cells: in this process, in N local processes, or on Slurm (submitit).

Every cell goes through the typed API (`neurokit.train`), one run directory per cell.
A cell that fails is recorded with its error and the others go on; a cell that is
interrupted (Ctrl-C, `trainer.stop_after_steps`) keeps its checkpoint, stops the bench,
and is resumed by the next run. Cells whose trainer would use CUDA take one GPU each and
wait for a free one rather than sharing or failing. Progress is reported through
`events(name, data)`: `bench-start`, `cell-cached`, `cell-start`, `cell-end`, `bench-end`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from neurokit.bench import cache
from neurokit.bench.spec import BenchSpec, Cell
from neurokit.core.config import deep_merge, nest
from neurokit.core.engine.resolve import RunSpec
from neurokit.core.errors import ConfigError

Events = Callable[[str, dict[str, Any]], None]
LAUNCHERS = ("local", "slurm")


@dataclass
class Outcome:
    """What became of one cell in this bench run."""

    key: cache.CellKey
    status: str  # cached | done | failed | interrupted | pending
    report: dict[str, Any] | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def cell(self) -> Cell:
        return self.key.cell


@dataclass
class Launch:
    """How cells are executed: `local` with `jobs` processes, or `slurm` via submitit."""

    launcher: str = "local"
    jobs: int = 1
    options: Mapping[str, Any] = field(default_factory=dict)  # submitit parameters
    cluster: str | None = None  # submitit cluster (None: slurm; "local": tests)

    def __post_init__(self) -> None:
        if self.launcher not in LAUNCHERS:
            raise ConfigError(
                f"--launcher {self.launcher!r}: known launchers are {', '.join(LAUNCHERS)}"
            )
        if self.jobs < 1:
            raise ConfigError(f"--jobs must be at least 1, got {self.jobs}")


# ------------------------------------------------------------------- one cell


def _placement(cell: Cell, run_dir: Path) -> dict[str, Any]:
    """Where the cell's run goes and how it reports: none of it is in the config hash."""
    return {"output_dir": str(run_dir.parent), "run_name": run_dir.name, "trainer.progress": False}


def run_cell(cell: Cell, run_dir: str, gpu: int | None = None) -> dict[str, Any]:
    """Train one cell (or resume it from its checkpoint); never raises for a cell's own error.

    Top level and picklable: local worker processes and submitit jobs call it as is.
    """
    from neurokit.core.engine.run import train
    from neurokit.core.engine.trainer import Interrupted

    started = time.time()
    path = Path(run_dir)
    if gpu is not None:
        import torch

        torch.cuda.set_device(gpu)
    key = cache.CellKey(cell, "", "", path)
    try:
        if cache.resumable(key):
            limit = nest(dict(cell.run.overrides)).get("trainer", {}).get("stop_after_steps")
            spec = RunSpec(
                resume=path,
                overrides={"trainer.stop_after_steps": limit, "trainer.progress": False},
            )
        else:
            cache.clear_unfinished(key)
            overrides = deep_merge(dict(cell.run.overrides), nest(_placement(cell, path)))
            spec = replace(cell.run, overrides=overrides)
        result = train(spec)
        return {"status": "done", "report": result.report, "seconds": time.time() - started}
    except Interrupted as exc:
        return {"status": "interrupted", "error": str(exc), "seconds": time.time() - started}
    except Exception as exc:  # a cell's failure is its own: record it, run the others
        return {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "seconds": time.time() - started,
        }


# --------------------------------------------------------------------- GPUs


def needs_gpu(key: cache.CellKey) -> bool:
    """Whether the cell's trainer would run on CUDA (device cuda*, or auto with a GPU here)."""
    device = str(nest(dict(key.cell.run.overrides)).get("trainer", {}).get("device", "auto"))
    if device.startswith("cuda"):
        return True
    return device == "auto" and gpu_count() > 0


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


class GpuPool:
    """One cell per GPU: `take` gives a free device index or None (the cell waits)."""

    def __init__(self, devices: list[int]) -> None:
        self.free = list(devices)

    def take(self) -> int | None:
        return self.free.pop(0) if self.free else None

    def give(self, device: int | None) -> None:
        if device is not None:
            self.free.append(device)


# ---------------------------------------------------------------- the bench


def plan(spec: BenchSpec) -> list[cache.CellKey]:
    """Every cell with its cache key; a cell the resolver refuses stops the bench here."""
    fingerprints: dict[str, str] = {}
    keys = []
    for cell in spec.cells():
        try:
            keys.append(cache.cell_key(cell, spec.directory, fingerprints))
        except ConfigError as exc:
            raise ConfigError(f"bench cell {cell.id}: {exc}") from None
    return keys


def execute(spec: BenchSpec, launch: Launch | None = None, events: Events | None = None):
    """Run every cell that has no cached result; the outcome of every cell, in grid order."""
    launch = launch or Launch()
    emit = events or (lambda name, data: None)
    keys = plan(spec)
    outcomes: dict[str, Outcome] = {}
    pending = []
    for key in keys:
        report = cache.cached_report(key)
        if report is not None:
            outcomes[key.cell.id] = Outcome(key, "cached", report)
        else:
            pending.append(key)
    emit(
        "bench-start",
        {"total": len(keys), "cached": len(keys) - len(pending), "pending": len(pending)},
    )
    for key in keys:
        if key.cell.id in outcomes:
            emit("cell-cached", {"cell": key.cell.id})
    started = time.time()
    if launch.launcher == "slurm":
        finished = _run_submitit(pending, launch, spec.directory, emit)
    elif launch.jobs == 1 and not any(needs_gpu(k) for k in pending):
        finished = _run_inline(pending, emit)
    else:
        finished = _run_pool(pending, launch.jobs, emit)
    outcomes.update({o.cell.id: o for o in finished})
    for key in pending:
        outcomes.setdefault(key.cell.id, Outcome(key, "pending"))
    ordered = [outcomes[k.cell.id] for k in keys]
    emit("bench-end", {"seconds": time.time() - started, **_counts(ordered)})
    return ordered


def _counts(outcomes: list[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return counts


def _finish(key: cache.CellKey, result: dict[str, Any], emit: Events) -> Outcome:
    outcome = Outcome(
        key, result["status"], result.get("report"), result.get("error"), result["seconds"]
    )
    cache.write_record(
        key,
        {
            "cell": key.cell.id,
            "key": key.key,
            "config_hash": key.config_hash,
            "status": outcome.status,
            "error": outcome.error,
            "seconds": round(outcome.seconds, 2),
            "run_dir": str(key.run_dir),
        },
    )
    emit(
        "cell-end",
        {"cell": key.cell.id, "status": outcome.status, "error": outcome.error,
         "seconds": outcome.seconds},
    )  # fmt: skip
    return outcome


def _run_inline(pending: list[cache.CellKey], emit: Events) -> list[Outcome]:
    done = []
    for key in pending:
        emit("cell-start", {"cell": key.cell.id})
        outcome = _finish(key, run_cell(key.cell, str(key.run_dir)), emit)
        done.append(outcome)
        if outcome.status == "interrupted":
            break
    return done


def _run_pool(pending: list[cache.CellKey], jobs: int, emit: Events) -> list[Outcome]:
    """`jobs` spawned processes; a GPU cell starts only when a GPU is free."""
    import multiprocessing

    gpus = GpuPool(list(range(gpu_count())))
    queue = list(pending)
    running: dict[Any, tuple[cache.CellKey, int | None]] = {}
    done: list[Outcome] = []
    stop = False
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        while (queue and not stop) or running:
            while queue and not stop and len(running) < jobs:
                index = next(
                    (i for i, k in enumerate(queue) if not needs_gpu(k) or gpus.free), None
                )
                if index is None:
                    break  # every queued cell waits for a GPU
                key = queue.pop(index)
                gpu = gpus.take() if needs_gpu(key) else None
                running[pool.submit(run_cell, key.cell, str(key.run_dir), gpu)] = (key, gpu)
                emit("cell-start", {"cell": key.cell.id, "gpu": gpu})
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                key, gpu = running.pop(future)
                gpus.give(gpu)
                try:
                    result = future.result()
                except Exception as exc:  # the worker process itself died
                    result = {"status": "failed", "error": f"worker died: {exc}", "seconds": 0.0}
                outcome = _finish(key, result, emit)
                done.append(outcome)
                stop = stop or outcome.status == "interrupted"
    return done


def _run_submitit(
    pending: list[cache.CellKey], launch: Launch, bench_dir: Path, emit: Events
) -> list[Outcome]:
    """One submitit job per cell (Slurm, or submitit's local executor for tests)."""
    try:
        import submitit
    except ImportError:
        raise ConfigError(
            "--launcher slurm needs submitit: pip install 'neurokit[bench]'"
        ) from None
    if not pending:
        return []
    executor = submitit.AutoExecutor(folder=bench_dir / "submitit", cluster=launch.cluster)
    options = dict(launch.options)
    poll = float(options.pop("poll_seconds", 10.0))
    options.setdefault("timeout_min", 24 * 60)
    try:
        executor.update_parameters(**options)
    except Exception as exc:
        raise ConfigError(f"--launcher slurm: bad launcher option: {exc}") from None
    jobs = {}
    for key in pending:
        job = executor.submit(run_cell, key.cell, str(key.run_dir), None)
        emit("cell-start", {"cell": key.cell.id, "job": job.job_id})
        jobs[job.job_id] = (key, job)
    done = []
    for job in submitit.helpers.as_completed([j for _, j in jobs.values()], poll_frequency=poll):
        key, _ = jobs[job.job_id]
        try:
            result = job.result()
        except Exception as exc:
            detail = " ".join(str(exc).split())[-500:]
            result = {"status": "failed", "error": f"job {job.job_id} failed: {detail}",
                      "seconds": 0.0}  # fmt: skip
        done.append(_finish(key, result, emit))
    return done
