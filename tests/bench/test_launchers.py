"""Cells run the same in local worker processes and through submitit (its local executor
stands in for Slurm); GPU cells take one free GPU each and wait for one otherwise."""

from __future__ import annotations

import pytest

from neurokit import bench
from neurokit.bench import runner
from neurokit.core.errors import ConfigError
from tests.bench.conftest import spec_for


def table(result):
    return {(r["model"], r["metric"]): (r["mean"], r["std"]) for r in result.rows()}


@pytest.mark.slow
def test_two_local_processes_give_the_inline_table(store, tmp_path):
    inline = bench.run(spec_for(store, tmp_path / "inline", seeds=[0]))
    pooled = bench.run(spec_for(store, tmp_path / "pool", seeds=[0]), jobs=2)
    assert pooled.counts() == {"done": 2}
    assert table(pooled) == table(inline)


@pytest.mark.slow
def test_the_submitit_launcher_runs_cells_as_jobs(store, tmp_path):
    pytest.importorskip("submitit")
    spec = spec_for(store, tmp_path / "jobs", seeds=[0])
    result = bench.run(spec, launcher="slurm", cluster="local",
                       launcher_options={"timeout_min": 10, "poll_seconds": 1})  # fmt: skip
    assert result.counts() == {"done": 2}
    assert (result.directory / "submitit").is_dir()
    again = bench.run(spec, launcher="slurm", cluster="local")
    assert again.counts() == {"cached": 2}


def test_an_unknown_launcher_or_bad_jobs_is_a_config_error():
    with pytest.raises(ConfigError, match="known launchers are local, slurm"):
        runner.Launch("kubernetes")
    with pytest.raises(ConfigError, match="--jobs must be at least 1"):
        runner.Launch(jobs=0)


def test_gpu_cells_wait_for_a_free_gpu(monkeypatch, store, tmp_path):
    """With one GPU and two CUDA cells, the second starts only after the first ends."""
    raw = spec_for(store, tmp_path, seeds=[0])
    raw["overrides"]["trainer.device"] = "auto"
    keys = runner.plan(bench.load_spec(raw))
    monkeypatch.setattr(runner, "gpu_count", lambda: 1)
    assert len(keys) == 2 and all(runner.needs_gpu(k) for k in keys)
    order = []

    class FakePool:
        def __init__(self, *a, **k):
            self.futures = []

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, fn, cell, run_dir, gpu):
            from concurrent.futures import Future

            order.append(("start", cell.id, gpu))
            future = Future()
            future.set_result({"status": "done", "report": None, "seconds": 0.0})
            return future

    monkeypatch.setattr(runner, "ProcessPoolExecutor", FakePool)
    events = []
    runner._run_pool(keys, jobs=2, emit=lambda name, data: events.append((name, data)))
    starts = [(n, d.get("gpu")) for n, d in events if n in ("cell-start", "cell-end")]
    # both jobs slots are free, but the one GPU is: start, end, start, end
    assert [n for n, _ in starts] == ["cell-start", "cell-end", "cell-start", "cell-end"]
    assert [g for n, g in starts if n == "cell-start"] == [0, 0]
