"""`neurokit bench`: a grid runs end to end, a rerun trains nothing, a changed model reruns
alone, an interrupted bench resumes to the same table, and the report is the cells' own
report.json numbers."""

from __future__ import annotations

import csv
import json
import statistics

import pytest
import yaml

import neurokit.core.engine.run as engine_run
from neurokit import bench
from tests.bench.conftest import spec_for
from tests.engine.test_cli import invoke


@pytest.fixture
def trainings(monkeypatch):
    """Every training run the bench starts, as the RunSpec it was given."""
    calls = []
    real = engine_run.train

    def spy(spec, events=None):
        calls.append(spec)
        return real(spec, events)

    monkeypatch.setattr(engine_run, "train", spy)
    return calls


def run_dirs(result):
    return sorted(p for p in (result.directory / "runs").iterdir() if p.is_dir())


def metric_table(result):
    return {
        (r["dataset"], r["model"], r["protocol"], r["metric"]): (r["mean"], r["std"], r["n_seeds"])
        for r in result.rows()
    }


def test_a_rerun_trains_nothing_and_a_changed_lr_reruns_only_that_model(store, tmp_path, trainings):
    spec = spec_for(store, tmp_path)
    first = bench.run(spec)
    assert first.counts() == {"done": 4} and len(trainings) == 4
    assert len(run_dirs(first)) == 4
    again = bench.run(spec)
    assert again.counts() == {"cached": 4} and len(trainings) == 4  # no training at all
    assert metric_table(again) == metric_table(first)
    spec["models"][1]["overrides"] = {"trainer.lr": 2e-2}
    changed = bench.run(spec)
    assert len(trainings) == 6  # only tiny-b's two seeds
    rerun = {o.cell.id for o in changed.outcomes if o.status == "done"}
    assert rerun == {"tiny-b--synthetic--finetune--s0", "tiny-b--synthetic--finetune--s1"}
    assert all(o.status == "cached" for o in changed.outcomes if o.cell.model == "tiny-a")


def test_an_interrupted_bench_resumes_to_the_same_table(store, tmp_path, trainings):
    spec = spec_for(store, tmp_path / "cut", seeds=[0])
    # the first cell stops after 1 step with a resumable checkpoint; the bench stops there
    cut = {**spec, "overrides": {**spec["overrides"], "trainer.stop_after_steps": 1}}
    stopped = bench.run(cut)
    assert stopped.interrupted
    assert [o.status for o in stopped.outcomes] == ["interrupted", "pending"]
    interrupted_dir = stopped.outcomes[0].key.run_dir
    assert (interrupted_dir / "checkpoints" / "last.pt").is_file()
    resumed = bench.run(spec)
    assert resumed.counts() == {"done": 2}
    assert trainings[-2].resume == interrupted_dir  # resumed from its checkpoint, same dir
    assert resumed.outcomes[0].report["steps"] > 1
    straight = bench.run(spec_for(store, tmp_path / "straight", seeds=[0]))
    assert metric_table(resumed) == metric_table(straight)


def test_the_report_is_the_cells_own_numbers_with_plots(store, tmp_path):
    spec = spec_for(store, tmp_path)
    result = bench.run(spec)
    reports = {o.cell.id: json.loads((o.key.run_dir / "report.json").read_text())
               for o in result.outcomes}  # fmt: skip
    rows = list(csv.DictReader((result.directory / "report.csv").open()))
    saved = json.loads((result.directory / "report.json").read_text())
    assert len(rows) == len(saved["summary"]) == len(result.rows()) > 0
    for row, csv_row in zip(result.rows(), rows, strict=True):
        values = [
            reports[f"{row['model']}--synthetic--finetune--s{seed}"]["test"][row["metric"]]
            for seed in (0, 1)
        ]
        assert row["mean"] == pytest.approx(statistics.mean(values), abs=1e-12)
        assert row["std"] == pytest.approx(statistics.stdev(values), abs=1e-12)
        assert row["n_seeds"] == 2 and float(csv_row["mean"]) == pytest.approx(row["mean"])
    accuracy = reports["tiny-a--synthetic--finetune--s1"]["test"]["balanced_accuracy"]
    cell = next(c for c in saved["cells"] if c["cell"] == "tiny-a--synthetic--finetune--s1")
    assert cell["test"]["balanced_accuracy"] == accuracy
    plot = result.directory / "plot-synthetic.png"
    assert plot.is_file() and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (result.directory / "report.md").read_text()
    assert "![synthetic](plot-synthetic.png)" in markdown
    assert "| tiny-a | tiny-b | 2 |" in markdown  # the paired comparison
    assert bench.report_only(spec).rows() == result.rows()  # report trains nothing, same numbers


def test_a_failed_cell_is_recorded_and_the_others_finish(store, tmp_path):
    # windows longer than the recordings: tiny-b's cells fail at run time, tiny-a's run
    cells = [{"match": {"model": "tiny-b"}, "overrides": {"data.window_seconds": 64}}]
    result = bench.run(spec_for(store, tmp_path, cells=cells))
    status = {o.cell.id: o.status for o in result.outcomes}
    assert [s for c, s in status.items() if c.startswith("tiny-a")] == ["done", "done"]
    failed = [o for o in result.outcomes if o.status == "failed"]
    assert len(failed) == 2 and all(o.error for o in failed)
    record = json.loads(failed[0].key.record_file.read_text())
    assert record["status"] == "failed" and record["error"] == failed[0].error
    assert "Failed cells:" in (result.directory / "report.md").read_text()


def test_the_cli_runs_a_spec_and_a_rerun_is_all_cached(store, tmp_path, monkeypatch):
    spec = spec_for(store, tmp_path / "out", seeds=[0])
    spec["models"] = spec["models"][:1]
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    monkeypatch.chdir(tmp_path)
    first = invoke("bench", "run", str(path), "--json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["counts"] == {"done": 1}
    again = invoke("bench", "run", str(path), "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["counts"] == {"cached": 1}
    report = invoke("bench", "report", str(path))
    assert report.exit_code == 0 and "tiny-a" in report.stdout, report.stderr
    assert (tmp_path / "out" / "t" / "plot-synthetic.png").is_file()


def test_probing_protocols_train_only_the_head(store, tmp_path):
    spec = spec_for(store, tmp_path, protocols=["finetune", "linear-probe", "frozen-head"],
                    seeds=[0])  # fmt: skip
    spec["models"] = spec["models"][:1]
    result = bench.run(spec)
    reports = {o.cell.protocol: o.report for o in result.outcomes}
    assert result.counts() == {"done": 3}
    features = 2 * 8  # tiny-cnn width 8: 16 pooled features, one logit (binary)
    full = reports["finetune"]
    assert full["trainable_params"] == full["params"]
    assert reports["linear-probe"]["trainable_params"] == features + 1  # the fresh classifier
    mlp = 2 * features + features * 128 + 128 + 128 + 1  # LayerNorm, Linear, Linear
    assert reports["frozen-head"]["trainable_params"] == features + 1 + mlp
    assert reports["frozen-head"]["params"] == full["params"] + mlp


@pytest.mark.slow
def test_a_bench_process_killed_mid_cell_resumes_to_the_same_table(store, tmp_path, monkeypatch):
    """SIGKILL while the first cell trains (after a mid-epoch checkpoint), then rerun."""
    import os
    import signal
    import subprocess
    import sys
    import time

    spec = spec_for(store, tmp_path / "killed", seeds=[0])
    spec["models"] = spec["models"][:1]
    spec["overrides"].update({"trainer.epochs": 6, "trainer.checkpoint_every": 1})
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    process = subprocess.Popen(
        [sys.executable, "-m", "neurokit", "bench", "run", str(path)],
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runs = tmp_path / "killed" / "t" / "runs"
    deadline = time.time() + 300
    while time.time() < deadline and not list(runs.glob("*/checkpoints/last.pt")):
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    (run_dir,) = [p for p in runs.iterdir() if p.is_dir()]
    assert not (run_dir / "report.json").exists()  # killed mid-cell
    monkeypatch.chdir(tmp_path)  # data_root "." is the CLI's working directory
    resumed = bench.run(spec)
    assert resumed.counts() == {"done": 1} and resumed.outcomes[0].key.run_dir == run_dir
    straight = spec_for(store, tmp_path / "straight", seeds=[0])
    straight["models"] = straight["models"][:1]
    straight["overrides"].update({"trainer.epochs": 6})
    assert metric_table(resumed) == metric_table(bench.run(straight))


def test_a_moved_store_is_still_cached_and_a_rewritten_one_is_not(store, tmp_path, trainings):
    import shutil

    from tests.engine.synthetic import write_store

    spec = spec_for(store, tmp_path, seeds=[0])
    spec["models"] = spec["models"][:1]
    assert bench.run(spec).counts() == {"done": 1}
    moved = tmp_path / "elsewhere" / "synthetic.zarr"
    shutil.copytree(store, moved)
    spec["datasets"][0]["store"] = str(moved)
    assert bench.run(spec).counts() == {"cached": 1} and len(trainings) == 1
    shutil.rmtree(moved)
    write_store(moved, swap_classes=True)  # same path, other content
    assert bench.run(spec).counts() == {"done": 1} and len(trainings) == 2
