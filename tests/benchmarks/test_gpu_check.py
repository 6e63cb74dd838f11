"""benchmarks/gpu_check.py's CPU dry run: every section reports numbers or says why it skipped,
so the GPU check cannot rot between GPU loans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_cpu_quick_run_reports_every_section(tmp_path):
    env = {
        **os.environ,
        "NEUROKIT_CACHE_DIR": str(tmp_path / "cache"),
        "OMP_NUM_THREADS": "1",
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("NEUROKIT_GPU_TESTS_ON_CPU", None)
    out, store = tmp_path / "out", tmp_path / "demo.zarr"
    result = subprocess.run(
        [sys.executable, "benchmarks/gpu_check.py", "--device", "cpu", "--quick"]
        + ["--out", str(out), "--store", str(store)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (store / "zarr.json").is_file()  # the missing demo store was generated
    report = json.loads((out / "gpu_check.json").read_text())
    sections = report["sections"]
    assert list(sections) == ["tests", "train_step", "loader", "luna_scaling"]
    for name, entry in sections.items():
        assert entry["status"] in ("ok", "skipped"), (name, entry)
        if entry["status"] == "skipped":
            assert entry["reason"], name

    tests = sections["tests"]  # no CUDA: the gpu tests were collected and each skipped, saying why
    assert tests["status"] == "skipped" and "CUDA" in tests["reason"]
    assert tests["counts"]["skipped"] >= 7 and tests["counts"]["passed"] == 0

    rows = sections["train_step"]["rows"]
    models = {r["model"] for r in rows}
    assert {"labram-base", "luna-base"} <= models  # every family that registered a preset
    for row in rows:
        if "quick run" in row.get("skipped", ""):  # families past the first two: listed only
            continue
        if row["mode"] == "bf16+compile":
            assert "CUDA" in row["skipped"]
        else:
            assert row["samples_per_s"] > 0 and row["tflops"] >= 0, row
    measured = [w for w in sections["train_step"]["workloads"] if w["flops_per_step"] is not None]
    assert {w["model"] for w in measured} == {"labram-base", "luna-base"}
    flops = {w["model"]: w["flops_per_step"] for w in measured}
    assert all(v > 0 for v in flops.values()), flops
    fill = sections["train_step"]["fill"]
    assert fill["batch"] >= 1 and fill["search"][0]["batch"] == 1
    targets = report["targets"]
    assert targets["labram_base_bf16_compile_speedup"]["reason"]  # no compile on CPU: says why
    assert "no bf16 peak" in targets["labram_large_mfu"]["reason"]

    loader = sections["loader"]
    assert loader["rows"][0]["windows_per_s"] > 0 and loader["consumption_samples_per_s"] > 0
    assert targets["labram_base_loader_ratio"]["value"] > 0

    luna = sections["luna_scaling"]
    assert [r["channels"] for r in luna["rows"]] == [16, 32]
    assert all(r["seconds"] > 0 for r in luna["rows"])

    markdown = (out / "gpu_check.md").read_text()
    for heading in ("## Targets", "## pytest -m gpu", "## Train step", "## Loader", "## Channel"):
        assert heading in markdown
