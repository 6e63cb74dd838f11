"""`neurokit prepare`: discover -> load (mne) -> write, in parallel over recordings.

Each worker process reads, preprocesses and writes whole recordings; the parent only
creates the store, hands out work and writes the final catalog. A recording that
fails is listed with its reason and never appears in the store; an interrupted run
is finished by running the same command again.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurokit.core.data.ids import unique_ids
from neurokit.core.data.lock import store_lock
from neurokit.core.data.schema import StoreSchema, safe_id
from neurokit.core.data.writer import DEFAULT_CHUNK_SECONDS, StoreWriter, WriteResult
from neurokit.core.errors import DataError, NeurokitError
from neurokit.core.interfaces import RecordingSource

DEFAULT_COMPRESSION = "blosc-zstd-3"
# A progress display, supplied by the caller (the CLI): given the number of recordings
# to write, a context manager yielding the callback called once per finished recording.
ProgressFactory = Callable[[int], AbstractContextManager[Callable[[WriteResult], None]]]


@dataclass
class PrepareSummary:
    """What a prepare run did; printed at the end and returned to callers."""

    dataset: str
    store: str
    found: int = 0
    written: list[WriteResult] = field(default_factory=list)
    present: int = 0  # already complete in the store (resumed run)
    failed: list[WriteResult] = field(default_factory=list)
    seconds_written: float = 0.0
    store_hours: float = 0.0
    store_bytes: int = 0
    elapsed: float = 0.0
    workers: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "store": self.store,
            "found": self.found,
            "written": len(self.written),
            "already_present": self.present,
            "failed": [{"recording": r.id, "reason": r.reason} for r in self.failed],
            "hours_written": round(self.seconds_written / 3600, 4),
            "store_hours": round(self.store_hours, 4),
            "store_bytes": self.store_bytes,
            "elapsed_s": round(self.elapsed, 2),
            "signal_hours_per_minute": round(
                self.seconds_written / 3600 / max(self.elapsed / 60, 1e-9), 3
            ),
            "workers": self.workers,
        }


# ------------------------------------------------------------------ workers

_WORKER: dict[str, Any] = {}


def _init_worker(dataset: Any, location: str, options: dict[str, Any]) -> None:
    _WORKER.update(dataset=dataset, writer=StoreWriter(location), options=options)


def _prepare_one(source: RecordingSource) -> WriteResult:
    """Read, preprocess and publish one recording; never raises for a bad recording."""
    from neurokit.core.data.rawio import file_checksum

    rid = safe_id(source.recording_id)
    try:
        checksum = file_checksum(source.path) if Path(source.path).is_file() else ""
        recording = _WORKER["dataset"].load(source)
        return _WORKER["writer"].write(recording, checksum=checksum, **_WORKER["options"])
    except NeurokitError as exc:  # DataError (skip this file) or a plugin's own error
        return WriteResult(rid, "failed", str(exc))
    except MemoryError:
        return WriteResult(rid, "failed", f"{source.path}: out of memory")
    except Exception as exc:  # a plugin bug on one file must not stop the corpus
        detail = " ".join(str(exc).split())[:200]
        return WriteResult(
            rid, "failed", f"{source.path}: internal error ({type(exc).__name__}: {detail})"
        )


def _context() -> multiprocessing.context.BaseContext:
    # fork starts workers in milliseconds and zarr resets its event loop after fork;
    # spawn where fork does not exist.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """Exit this worker as soon as its parent is gone (`kill -9` of `prepare` leaves no orphans).

    Linux also gets PR_SET_PDEATHSIG; the polling thread covers other systems and the
    case where the forking thread, not the process, ends. A half-written recording
    stays under `_partial/`, which the next run clears.
    """
    import signal
    import threading

    if os.getppid() != parent:
        os._exit(1)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        pass

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="neurokit-parent-watch", daemon=True).start()


def _worker_main(tasks: Any, results: Any, parent: int, init: tuple) -> None:
    """A pool worker: takes (index, source) until None; reports start and result of each."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _watch_parent(parent)
    _init_worker(*init)
    while True:
        item = tasks.get()
        if item is None:
            return
        index, source = item
        results.put(("start", index, os.getpid()))
        results.put(("done", index, _prepare_one(source)))


def _stop_workers(procs: list) -> None:
    """Terminate workers now (their unfinished recordings stay unpublished); a second
    Ctrl-C during this cannot interrupt it, and it is bounded to a few seconds."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        deadline = time.monotonic() + 3.0
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)
    finally:
        signal.signal(signal.SIGINT, previous)


def run_jobs(
    dataset: Any,
    sources: Sequence[RecordingSource],
    location: str,
    options: dict[str, Any],
    workers: int,
    on_result: Any = None,
) -> list[WriteResult]:
    """Process `sources`, in this process (workers <= 1) or in worker processes.

    Ctrl-C stops at once: workers are terminated, only recordings already published
    stay in the store, and KeyboardInterrupt propagates.
    """
    results: list[WriteResult] = []
    if workers <= 1 or len(sources) <= 1:
        _init_worker(dataset, location, options)
        for source in sources:
            result = _prepare_one(source)
            results.append(result)
            if on_result:
                on_result(result)
        return results
    ctx = _context()
    tasks, replies = ctx.Queue(), ctx.Queue()
    tasks.cancel_join_thread()  # never block exit on tasks no worker will take
    for item in enumerate(sources):
        tasks.put(item)
    n_workers = min(workers, len(sources))
    for _ in range(n_workers):
        tasks.put(None)
    init = (dataset, location, options)
    procs = [
        ctx.Process(target=_worker_main, args=(tasks, replies, os.getpid(), init), daemon=True)
        for _ in range(n_workers)
    ]
    pending = set(range(len(sources)))
    running: dict[int, int] = {}  # worker pid -> index it is working on

    def handle(reply: tuple) -> None:
        kind, index, payload = reply
        if kind == "start":
            running[payload] = index
            return
        for pid in [p for p, i in running.items() if i == index]:
            del running[pid]
        if index in pending:
            pending.discard(index)
            results.append(payload)
            if on_result:
                on_result(payload)

    finished = False
    try:
        for proc in procs:
            proc.start()
        while pending:
            try:
                handle(replies.get(timeout=0.5))
                continue
            except queue.Empty:
                pass
            _reap_dead(procs, running, pending, sources, results, on_result)
            if pending and not any(p.is_alive() for p in procs):
                try:  # replies sent just before the last worker died
                    while True:
                        handle(replies.get(timeout=0.2))
                except queue.Empty:
                    _fail_rest(pending, sources, results, on_result)
        finished = True
    finally:
        if not finished:
            _stop_workers(procs)
        else:
            for proc in procs:
                proc.join(5.0)
            _stop_workers([p for p in procs if p.is_alive()])
    return results


def _reap_dead(procs, running, pending, sources, results, on_result) -> None:
    """A worker that died (killed, crashed interpreter) fails the recording it held."""
    for proc in procs:
        if proc.is_alive() or proc.pid not in running:
            continue
        index = running.pop(proc.pid)
        if index in pending:
            pending.discard(index)
            source = sources[index]
            result = WriteResult(
                safe_id(source.recording_id),
                "failed",
                f"{source.path}: worker died (exit code {proc.exitcode})",
            )
            results.append(result)
            if on_result:
                on_result(result)


def _fail_rest(pending, sources, results, on_result) -> None:
    for index in sorted(pending):
        source = sources[index]
        result = WriteResult(
            safe_id(source.recording_id), "failed", f"{source.path}: all workers died"
        )
        results.append(result)
        if on_result:
            on_result(result)
    pending.clear()


# ------------------------------------------------------------------ driver


def build_dataset(
    name: str, profile: str | None = None, overrides: Iterable[str] = ()
) -> tuple[Any, Any]:
    """The dataset component `name` built from `--profile` and `--set` overrides: (dataset, config)."""
    from neurokit.core.config import component_config, parse_overrides
    from neurokit.core.registry import get_registry

    component = get_registry().get("dataset", name)
    options = parse_overrides(overrides)
    if profile is not None:
        options["profile"] = profile
    config = component_config(component, options, "dataset")
    return component.factory(config), config


def _schema(
    name: str, dataset: Any, config: Any, chunk_seconds: float, compression: str
) -> StoreSchema:
    pre = getattr(config, "preprocessing", None) or getattr(dataset, "preprocessing", None)
    pre_dict = pre.model_dump(mode="json") if pre is not None else {}
    return StoreSchema(
        dataset=name,
        sfreq=pre_dict.get("sfreq"),
        dtype=pre_dict.get("dtype", "float32"),
        preprocessing=pre_dict,
        class_names=[str(c) for c in getattr(dataset, "class_names", [])],
        label_kind=str(getattr(dataset, "label_kind", "recording")),
        chunk_seconds=chunk_seconds,
        compression=compression,
        dataset_config=config.model_dump(mode="json") if hasattr(config, "model_dump") else {},
    )


def prepare(
    name: str,
    raw: str | os.PathLike | None,
    out: str | os.PathLike | None = None,
    workers: int = 1,
    profile: str | None = None,
    overrides: Iterable[str] = (),
    overwrite: bool = False,
    chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
    compression: str = DEFAULT_COMPRESSION,
    progress: ProgressFactory | bool | None = None,
    dataset: Any = None,
) -> PrepareSummary:
    """Prepare corpus `name` from `raw` into the store `out` (default `<name>.zarr`).

    Raises DataError when nothing could be prepared; otherwise returns the summary
    (failed recordings are listed there). `dataset` injects a built dataset object
    (tests, notebooks) instead of looking `name` up in the registry. `progress` is
    the caller's display (see ProgressFactory); core itself shows nothing.
    """
    config = None
    if dataset is None:
        dataset, config = build_dataset(name, profile, overrides)
    config = config if config is not None else getattr(dataset, "config", None)
    location = str(out) if out is not None else f"{name}.zarr"
    started = time.perf_counter()
    with (
        store_lock(location, "prepare"),
        tempfile.TemporaryDirectory(prefix=f"neurokit-{name}-") as scratch,
    ):
        raw_dir = _raw_dir(name, dataset, raw, Path(scratch))
        sources = unique_ids(list(dataset.discover(raw_dir)))
        unreadable = list(getattr(dataset, "discovery_problems", None) or [])
        if not sources:
            raise DataError(
                f"{raw_dir}: no {name} recordings found (is this the corpus's published layout?)"
                + (f"; unreadable: {unreadable[0][0]} ({unreadable[0][1]})" if unreadable else "")
            )
        ids = [s.recording_id for s in sources]
        writer = StoreWriter(location)
        fresh = overwrite or not writer._exists()
        schema = writer.create(
            _schema(name, dataset, config, chunk_seconds, compression), overwrite=overwrite
        )
        done = writer.completed()
        todo = [s for s, i in zip(sources, ids, strict=True) if i not in done]
        summary = PrepareSummary(
            dataset=name,
            store=location,
            found=len(sources),
            present=len(sources) - len(todo),
            workers=workers,
        )
        options = {
            "dtype": schema.dtype,
            "chunk_seconds": schema.chunk_seconds,
            "compression": schema.compression,
        }
        results = _run_with_progress(dataset, todo, location, options, workers, progress)
        results += [WriteResult(str(where), "failed", why) for where, why in unreadable]
        for result in results:
            (summary.written if result.status == "written" else summary.failed).append(result)
        summary.seconds_written = sum(r.seconds for r in summary.written)
        summary.failed.sort(key=lambda r: r.id)
        writer.finalize(failures={r.id: r.reason for r in summary.failed})
        from neurokit.core.data.store import Store

        store = Store(location)
        summary.store_hours = sum(m.seconds for m in store.recordings.values()) / 3600
        summary.store_bytes = store.size_bytes()
        if summary.failed and not summary.written and not summary.present and fresh:
            writer._delete_all()  # leave nothing behind, so a rerun with other options starts clean
    summary.elapsed = time.perf_counter() - started
    if summary.failed and not summary.written and not summary.present:
        first = summary.failed[0].reason
        raise PrepareFailed(f"all {len(summary.failed)} recordings failed; first: {first}", summary)
    return summary


class PrepareFailed(DataError):
    """Every recording failed; carries the summary so the CLI can still show it."""

    def __init__(self, message: str, summary: PrepareSummary):
        super().__init__(message)
        self.summary = summary


def _raw_dir(name: str, dataset: Any, raw: str | os.PathLike | None, scratch: Path) -> Path:
    if raw is not None:
        path = Path(raw)
        if not path.exists():
            raise DataError(f"{path}: raw data directory not found")
        return path
    generate = getattr(dataset, "generate", None)
    if generate is None:
        raise DataError(f"dataset {name!r} needs --raw DIR (the directory holding the corpus)")
    generate(scratch)
    return scratch


def _run_with_progress(
    dataset: Any,
    todo: list[RecordingSource],
    location: str,
    options: dict,
    workers: int,
    progress: ProgressFactory | bool | None,
) -> list[WriteResult]:
    """Run the jobs, reporting each result to the caller's progress display (if any)."""
    if not callable(progress) or not todo:
        return run_jobs(dataset, todo, location, options, workers)
    with progress(len(todo)) as on_result:
        return run_jobs(dataset, todo, location, options, workers, on_result)
