"""GPU readiness check (issue 18): every CUDA path of neurokit in one run, one JSON + one Markdown report.

    python benchmarks/gpu_check.py                         # on a CUDA machine: the full check
    python benchmarks/gpu_check.py --device cpu --quick    # CPU dry run (~30 s of CPU), fast suite

Writes `gpu_check.json` and `gpu_check.md` under `--out` (default benchmarks/results/, git-ignored),
after every section, so a run cut short still leaves what it measured. Designed to finish in under
8 minutes on one H100/H200 from a fresh clone: it generates the demo store it needs
(`neurokit prepare demo --out benchmarks/results/demo.zarr`, in the background while the first
sections run) and installs nothing.

On the lent-GPU tool (the device machine has torch but not all of neurokit's dependencies and no
network): prepare the wheels once, in the checkout the tool sends, then one call, then give_back:

    bash benchmarks/gpu_wheels.sh          # here: neurokit + its missing dependencies into .whl/
    run(carry=[".whl"], timeout_s=540, command=
        "python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade "
        "--target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site || exit; "
        "PYTHONUNBUFFERED=1 python3 benchmarks/gpu_check.py --out $OUT")

The report files (gpu_check.json/.md, gpu_tests.xml/.log, prepare.log) come back from $OUT; to
rerun only what failed, add e.g. `--sections tests loader`. Commit the report with `git add -f`
(benchmarks/results/ is git-ignored).

Sections (each time-boxed and failure-isolated: a failing section is recorded, the rest go on):

1. `tests`: `pytest -m gpu tests/gpu` (bf16 autocast, fp16 + grad scaler, torch.compile, resume
   on the GPU against an uninterrupted GPU run, EMA, a 1-process NCCL DDP run, FSDP2 on one device);
   per-test outcome, time and message.
2. `train_step`: samples/s and peak memory of a training step (forward, loss, backward, AdamW)
   for the base model of every registered family (one per model preset family: labram-base,
   luna-base, tiny-cnn, ...) at its official batch and window, in fp32 eager, bf16 autocast and
   bf16 + torch.compile; FLOPs per step counted with torch.utils.flop_counter and model FLOPs
   utilisation against the device's dense bf16 peak (table below; unknown device: MFU omitted).
   Then labram-large in bf16 at the batch that fills the GPU (doubling from its official batch
   until OOM or 85% of the device memory) for the MFU target.
3. `loader`: windows/s of the trainer's data path for labram-base (`build_datasets` on the demo
   store, the trainer's sampler, collate, batch size and pin_memory, batches moved to the device)
   against the GPU's consumption rate (labram-base's fastest train-step rate from section 2); workers
   swept 0, 1, 2, 4, 8 until the loader keeps up (ratio >= 1), reporting the count it needed.
4. `luna_scaling`: benchmarks/luna_scaling.py's channel sweep (16..256 channels) on the device.

Targets (reported pass/fail, never asserted): bf16 + compile >= 1.5x fp32 eager for labram-base;
MFU >= 40% for labram-large at a batch that fills the GPU; loader/consumption >= 1 for labram-base.

Section budgets (s): tests 150, train_step 220 (labram-base, then labram-large's fill, then the
other families until the box closes; what does not fit is recorded as skipped), loader 50,
luna_scaling 40; 470 in all, plus start-up. `--sections` runs a subset, `--budget` changes the total.

Measured: not yet on a GPU (none lent so far). CPU dry run `--device cpu --quick` (2026-12-01,
torch 2.13, the shared 2-core machine at load average 13-18): 60-207 s wall for ~25-50 s of CPU
time (tests 62 s, of which ~30 s importing torch; train_step 97 s; loader 3.5 s; luna 45 s); on an
idle 2-core machine the CPU time is the wall time. The report is the check, not these numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "benchmarks", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

SECTIONS = ("tests", "train_step", "loader", "luna_scaling")
# Seconds per section on a GPU (total + store preparation in parallel: under 8 minutes).
BUDGETS = {"tests": 150.0, "train_step": 220.0, "loader": 50.0, "luna_scaling": 40.0}
# Quick: ~30 s of work on an idle 2-core machine; the boxes leave room for a loaded one.
QUICK_FAMILIES = 2  # the dry run measures labram and luna; the others are listed as skipped
QUICK_BUDGETS = {"tests": 90.0, "train_step": 90.0, "loader": 60.0, "luna_scaling": 60.0}
TOTAL_BUDGET = 470.0
# Dense bf16 tensor-core peaks (TFLOP/s, datasheet, no sparsity), matched on the device name.
BF16_PEAK_TFLOPS = (
    ("H200", 989.0),
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.0),  # SXM: "NVIDIA H100 80GB HBM3"
    ("A100", 312.0),
)
# What the preset recipes leave to the user, from the papers' official per-GPU settings.
FAMILY_DEFAULTS = {
    "labram": {"channels": 23, "seconds": 10.0, "sfreq": 200.0},  # TUAB: 23 ch x 10 s, 200 Hz
    "luna": {"channels": 22, "batch": 256},  # TUAB bipolar TCP montage; fine-tuning batch 256
    "duin": {"channels": 10, "seconds": 3.0},  # 10 selected sEEG contacts, 3-s trials, 1000 Hz
}
MODES = (("fp32", False), ("bf16", False), ("bf16", True))
FILL_FRACTION = 0.85
TARGET_COMPILE_SPEEDUP = 1.5
TARGET_MFU = 0.40


class Skipped(Exception):
    """A section (or an item) that cannot run here; the message is the reason."""


class TimeBox(BaseException):
    """Raised by the section alarm; a BaseException so item-level `except Exception` lets it through."""


@contextlib.contextmanager
def time_box(seconds: float):
    """Interrupt the block after `seconds` (SIGALRM; main thread, POSIX)."""

    def expire(signum, frame):
        raise TimeBox(f"section time box of {seconds:.0f} s reached")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1.0))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bf16_peak_flops(device_name: str) -> float | None:
    for key, tflops in BF16_PEAK_TFLOPS:
        if key.lower() in device_name.lower():
            return tflops * 1e12
    return None


def git_revision() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except Exception:
        return None


class Check:
    """State shared by the sections: options, the device, deadlines, the report being written."""

    def __init__(self, args: argparse.Namespace) -> None:
        import torch

        self.args = args
        self.quick = args.quick
        self.device = torch.device(args.device)
        self.cuda = self.device.type == "cuda"
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        self.budgets = dict(QUICK_BUDGETS if self.quick else BUDGETS)
        self.total = args.budget or (sum(self.budgets.values()) if self.quick else TOTAL_BUDGET)
        self.store = Path(args.store) if args.store else self._default_store()
        self.prepare_proc: subprocess.Popen | None = None
        self.prepare_log = self.out / "prepare.log"
        name = torch.cuda.get_device_name(self.device) if self.cuda else platform.processor()
        self.device_name = name or platform.machine()
        self.peak_flops = bf16_peak_flops(self.device_name) if self.cuda else None
        self.report: dict[str, Any] = {
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
            "quick": self.quick,
            "environment": self._environment(torch),
            "targets": {},
            "sections": {},
        }

    def _default_store(self) -> Path:
        return ROOT / "benchmarks" / "results" / ("demo-quick.zarr" if self.quick else "demo.zarr")

    def _environment(self, torch) -> dict[str, Any]:
        env = {
            "device": self.device_name,
            "device_type": self.device.type,
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "git": git_revision(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "bf16_peak_tflops": self.peak_flops / 1e12 if self.peak_flops else None,
        }
        if self.cuda:
            props = torch.cuda.get_device_properties(self.device)
            env["memory_gib"] = round(props.total_memory / 2**30, 1)
            env["multiprocessors"] = props.multi_processor_count
        return env

    def remaining(self) -> float:
        return self.total - (time.monotonic() - self.started)

    # ------------------------------------------------------------------ the demo store

    def start_prepare(self) -> None:
        """`neurokit prepare demo` in the background when the store is missing (CPU work that
        overlaps the GPU sections)."""
        if (self.store / "zarr.json").exists():
            return
        self.store.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "neurokit", "prepare", "demo", "--out", str(self.store)]
        if self.quick:  # a few short recordings: the dry run checks the path, not the rate
            for option in ("subjects=4", "sessions=1", "min_seconds=10", "max_seconds=12"):
                command += ["--set", option]
        else:
            command += ["--workers", str(max(1, min(8, (os.cpu_count() or 2) // 2)))]
        self.report["prepare_command"] = " ".join(command[2:])
        self.prepare_proc = subprocess.Popen(
            command, stdout=self.prepare_log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT
        )

    def wait_store(self, timeout: float) -> Path:
        if self.prepare_proc is not None:
            code = self.prepare_proc.wait(timeout=timeout)
            self.prepare_proc = None
            if code != 0:
                tail = self.prepare_log.read_text()[-800:]
                raise RuntimeError(f"neurokit prepare demo failed ({code}): {tail}")
        if not (self.store / "zarr.json").exists():
            raise Skipped(f"no store at {self.store}")
        return self.store

    # ------------------------------------------------------------------ running sections

    def run_section(self, name: str, fn) -> None:
        budget = min(self.budgets[name], self.remaining())
        entry: dict[str, Any] = {"budget_s": round(budget, 1)}
        start = time.monotonic()
        if budget <= 5:
            entry.update(status="skipped", reason="total time budget spent")
        else:
            try:
                with time_box(budget + (10 if self.quick else 30)):
                    result = fn(self, start + budget)
                entry.update(status=result.pop("status", "ok"), **result)
            except Skipped as exc:
                entry.update(status="skipped", reason=str(exc))
            except TimeBox as exc:
                entry.update(status="failed", error=str(exc))
            except Exception as exc:
                entry.update(
                    status="failed",
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                    traceback=traceback.format_exc()[-3000:],
                )
            finally:
                release_memory()
        entry["seconds"] = round(time.monotonic() - start, 2)
        self.report["sections"][name] = entry
        print(f"[gpu_check] {name}: {entry['status']} in {entry['seconds']} s", flush=True)
        self.write()

    def write(self) -> None:
        self.report["elapsed_s"] = round(time.monotonic() - self.started, 2)
        (self.out / "gpu_check.json").write_text(json.dumps(self.report, indent=2) + "\n")
        (self.out / "gpu_check.md").write_text(markdown(self.report))


def release_memory() -> None:
    gc.collect()
    with contextlib.suppress(Exception):
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def short_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:400]


# ---------------------------------------------------------------------- 1. the -m gpu tests


def junit_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, message = "passed", None
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (node.get("message") or node.text or "")[:600]
                break
        rows.append(
            {
                "test": f"{case.get('classname', '').split('.')[-1]}::{case.get('name')}",
                "outcome": outcome,
                "seconds": round(float(case.get("time") or 0.0), 2),
                "message": message,
            }
        )
    return rows


def section_tests(check: Check, deadline: float) -> dict[str, Any]:
    xml = check.out / "gpu_tests.xml"
    command = [sys.executable, "-m", "pytest", "-m", "gpu", "tests/gpu", "-q", "-rs"]
    command += ["-p", "no:cacheprovider", f"--junitxml={xml}"]
    workers = 0
    if check.cuda:
        try:
            import xdist  # noqa: F401  (parallel runs: the tests are mostly process start-up)

            workers = 4
            command += ["-n", str(workers)]
        except ImportError:
            pass
    log = check.out / "gpu_tests.log"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    timeout = max(deadline - time.monotonic(), 5.0)
    try:
        with log.open("w") as handle:
            code = subprocess.run(
                command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, env=env, timeout=timeout
            ).returncode
    except subprocess.TimeoutExpired:
        code = None
    rows = junit_rows(xml) if xml.exists() else []
    counts = {k: sum(r["outcome"] == k for r in rows) for k in ("passed", "failed", "error")}
    counts["skipped"] = sum(r["outcome"] == "skipped" for r in rows)
    result: dict[str, Any] = {
        "command": " ".join(["python", *command[1:]]),
        "returncode": code,
        "xdist_workers": workers,
        "counts": counts,
        "tests": rows,
    }
    if code is None:
        result.update(status="failed", error=f"pytest did not finish in {timeout:.0f} s")
    elif not rows:
        result.update(status="failed", error=log.read_text()[-1500:])
    elif counts["failed"] or counts["error"] or code != 0:
        result["status"] = "failed"
    elif counts["passed"] == 0:
        reasons = sorted({r["message"] or "" for r in rows})
        result.update(status="skipped", reason="; ".join(reasons))
    return result


# ---------------------------------------------------------------------- 2. train-step rates


def family_workloads(quick: bool) -> list[dict[str, Any]]:
    """One workload per model family (the first preset of each), from the registry: the preset's
    backbone at its recipe's batch and window, filled in from FAMILY_DEFAULTS."""
    from neurokit.core.config import RunConfig
    from neurokit.core.engine.data import DEFAULT_WINDOW_SECONDS
    from neurokit.core.registry import get_registry

    registry = get_registry()
    default_batch = RunConfig.model_validate({"model": {"name": "x"}}).data.batch_size
    seen, workloads = set(), []
    presets = sorted(
        registry.components("model"), key=lambda c: (c.name not in ("labram", "luna"), c.name)
    )
    for component in presets:
        preset = component.create()
        backbone = registry.get("backbone", preset.backbone)
        family = preset.backbone.split("-")[0]
        if family in seen:
            continue
        seen.add(family)
        recipe = default_recipe(preset)
        known = FAMILY_DEFAULTS.get(family, {})
        config_sfreq = getattr(backbone.config_class.model_fields.get("sfreq"), "default", None)
        workload = {
            "model": preset.backbone,
            "preset": component.name,
            "batch": (recipe.get("data") or {}).get("batch_size")
            or known.get("batch")
            or default_batch,
            "seconds": (recipe.get("task") or {}).get("window_seconds")
            or known.get("seconds")
            or DEFAULT_WINDOW_SECONDS,
            "sfreq": float(config_sfreq or known.get("sfreq") or 200.0),
            "channels": known.get("channels", 19),
            "options": {},
        }
        if quick:  # the same path at toy size
            workload.update(batch=1, channels=4, seconds=2.0)
            if "depth" in backbone.config_class.model_fields:
                workload["options"] = {"depth": 1}
        fields = backbone.config_class.model_fields
        if "seq_len" in fields and "n_channels" in fields:  # fixed-input models (Du-IN)
            samples = int(round(workload["seconds"] * workload["sfreq"]))
            workload["options"] = {
                **workload["options"],
                "seq_len": samples,
                "n_channels": workload["channels"],
            }
        workloads.append(workload)
    return workloads


def default_recipe(preset: Any) -> dict[str, Any]:
    """The run-config defaults of the family's default stage (a Family's StageSpec.recipe, or an
    older ModelPreset's `tasks[default_task]`)."""
    if hasattr(preset, "stage") and hasattr(preset, "default_stage"):
        return dict(preset.stage(preset.default_stage).recipe)
    return dict(preset.tasks.get(preset.default_task, {}))


def measure_mode(workload: dict, device, precision: str, compiled: bool, steps: int, warmup: int):
    import train_step

    samples = int(round(workload["seconds"] * workload["sfreq"]))
    batch = train_step.make_batch(
        workload["batch"], workload["channels"], samples, workload["sfreq"], device
    )
    model = train_step.build_model(workload["model"], device, workload["options"])
    try:
        step = train_step.make_step(model, device, precision, compiled)
        return train_step.time_steps(step, batch, device, steps, warmup)
    finally:
        del model
        release_memory()


def count_flops(workload: dict, device) -> int:
    import train_step

    samples = int(round(workload["seconds"] * workload["sfreq"]))
    batch = train_step.make_batch(
        workload["batch"], workload["channels"], samples, workload["sfreq"], device
    )
    model = train_step.build_model(workload["model"], device, workload["options"])
    try:
        return train_step.step_flops(model, batch)
    finally:
        del model
        release_memory()


def with_rates(row: dict, flops: int | None, batch: int, peak: float | None) -> dict:
    if flops and row.get("samples_per_s"):
        achieved = flops * row["samples_per_s"] / batch
        row["tflops"] = round(achieved / 1e12, 3)
        row["mfu"] = round(achieved / peak, 4) if peak else None
    for key in ("samples_per_s", "warmup_s", "peak_mib"):
        if isinstance(row.get(key), float):
            row[key] = round(row[key], 2)
    return row


def is_oom(exc: BaseException) -> bool:
    return "out of memory" in str(exc).lower() or type(exc).__name__ == "OutOfMemoryError"


def section_train_step(check: Check, deadline: float) -> dict[str, Any]:
    steps, warmup = (1, 1) if check.quick else (20, 5)
    compile_warmup = 1 if check.quick else 3
    workloads = family_workloads(check.quick)
    rows: list[dict[str, Any]] = []
    fill: dict[str, Any] = {}
    for index, workload in enumerate(workloads):
        if index == 1:  # the targets first: labram-base, then labram-large filling the GPU
            fill = fill_gpu(check, deadline)
        if check.quick and index >= QUICK_FAMILIES:
            reason = f"quick run: the path is checked on the first {QUICK_FAMILIES} families"
            rows += [
                {
                    "model": workload["model"],
                    "mode": p + ("+compile" if c else ""),
                    "skipped": reason,
                }
                for p, c in MODES
            ]
            workload["flops_per_step"] = None
            continue
        flops = None
        try:
            flops = count_flops(workload, check.device)
        except Exception as exc:
            workload["flops_error"] = short_error(exc)
        workload["flops_per_step"] = flops
        for precision, compiled in MODES:
            mode = precision + ("+compile" if compiled else "")
            row: dict[str, Any] = {"model": workload["model"], "mode": mode}
            rows.append(row)
            if time.monotonic() > deadline:
                row["skipped"] = "section time box reached"
                continue
            if check.quick and index >= QUICK_FAMILIES:
                row["skipped"] = (
                    f"quick run: the path is checked on the first {QUICK_FAMILIES} families"
                )
                continue
            if compiled and not check.cuda:
                row["skipped"] = (
                    "torch.compile is measured on CUDA only (CPU inductor builds take minutes)"
                )
                continue
            try:
                result = measure_mode(
                    workload,
                    check.device,
                    precision,
                    compiled,
                    steps,
                    compile_warmup if compiled else warmup,
                )
                row.update(with_rates(result, flops, workload["batch"], check.peak_flops))
            except Exception as exc:
                row["error"] = "oom" if is_oom(exc) else short_error(exc)
            print(f"[gpu_check] train_step {workload['model']} {mode}: {row}", flush=True)
    targets = {}
    base = {r["mode"]: r for r in rows if r["model"] == "labram-base"}
    fp32 = base.get("fp32", {}).get("samples_per_s")
    fast = base.get("bf16+compile", {}).get("samples_per_s")
    targets["labram_base_bf16_compile_speedup"] = target(
        fast / fp32 if fast and fp32 else None,
        TARGET_COMPILE_SPEEDUP,
        "bf16+compile / fp32 eager samples/s, labram-base",
        None if fast and fp32 else "needs both rates (CUDA for compile)",
    )
    if not fill:
        fill = fill_gpu(check, deadline)
    mfu = max((r.get("mfu") or 0.0 for r in fill.get("rows", [])), default=0.0) or None
    targets["labram_large_mfu"] = target(
        mfu,
        TARGET_MFU,
        "model FLOPs utilisation of labram-large at the batch that fills the GPU (bf16)",
        fill.get("mfu_reason"),
    )
    check.report["targets"].update(targets)
    return {"workloads": workloads, "rows": rows, "fill": fill}


def target(value: float | None, goal: float, what: str, reason: str | None = None) -> dict:
    entry: dict[str, Any] = {"what": what, "target": goal}
    if value is None:
        entry.update(value=None, passed=None, reason=reason or "not measured")
    else:
        entry.update(value=round(value, 4), passed=bool(value >= goal))
    return entry


def fill_gpu(check: Check, deadline: float) -> dict[str, Any]:
    """labram-large in bf16 at growing batches until OOM or FILL_FRACTION of the memory, then
    the largest batch that fit, eager and compiled."""
    import torch

    from neurokit.core.registry import get_registry

    if "labram-large" not in {c.name for c in get_registry().components("backbone")}:
        return {"skipped": "labram-large is not registered", "mfu_reason": "no labram-large"}
    workload = {
        "model": "labram-large",
        **FAMILY_DEFAULTS["labram"],
        "batch": 64,
        "options": {},
    }
    if check.quick:
        workload.update(batch=1, channels=4, seconds=2.0, options={"depth": 1})
    total = torch.cuda.get_device_properties(check.device).total_memory if check.cuda else None
    limit_mib = total * FILL_FRACTION / 2**20 if total else None
    max_doublings = 1 if check.quick else 8
    flops_per_sample = None
    try:
        flops_per_sample = count_flops(workload, check.device) / workload["batch"]
    except Exception as exc:
        workload["flops_error"] = short_error(exc)
    search, fits = [], None
    batch = workload["batch"]
    for _ in range(max_doublings + 1):
        if time.monotonic() > deadline:
            break
        point: dict[str, Any] = {"batch": batch}
        search.append(point)
        try:
            result = measure_mode({**workload, "batch": batch}, check.device, "bf16", False, 2, 1)
            point.update(peak_mib=round(result["peak_mib"], 1) if result["peak_mib"] else None)
            fits = batch
            if limit_mib is not None and result["peak_mib"] * 2 > limit_mib:
                point["stop"] = f"doubling would pass {FILL_FRACTION:.0%} of device memory"
                break
        except Exception as exc:
            point["error"] = "oom" if is_oom(exc) else short_error(exc)
            break
        batch *= 2
    release_memory()  # what an OOM attempt held
    out: dict[str, Any] = {"model": "labram-large", "search": search, "batch": fits, "rows": []}
    if fits is None:
        out["mfu_reason"] = "no batch fit" if search else "section time box reached first"
        return out
    steps = 1 if check.quick else 10
    for precision, compiled in (("bf16", False), ("bf16", True)):
        mode = precision + ("+compile" if compiled else "")
        row: dict[str, Any] = {"model": "labram-large", "batch": fits, "mode": mode}
        out["rows"].append(row)
        if time.monotonic() > deadline:
            row["skipped"] = "section time box reached"
            continue
        if compiled and not check.cuda:
            row["skipped"] = "torch.compile is measured on CUDA only"
            continue
        try:
            result = measure_mode(
                {**workload, "batch": fits}, check.device, precision, compiled, steps, 3
            )
            flops = int(flops_per_sample * fits) if flops_per_sample else None
            row.update(with_rates(result, flops, fits, check.peak_flops))
        except Exception as exc:
            row["error"] = "oom" if is_oom(exc) else short_error(exc)
    if not check.peak_flops:
        out["mfu_reason"] = f"no bf16 peak known for {check.device_name!r}"
    return out


# ---------------------------------------------------------------------- 3. data loader


def consumption_rate(check: Check) -> tuple[float | None, str | None]:
    """labram-base's fastest measured train-step rate (samples/s), and its mode."""
    rows = check.report["sections"].get("train_step", {}).get("rows", [])
    rated = [
        (r["samples_per_s"], r["mode"])
        for r in rows
        if r["model"] == "labram-base" and r.get("samples_per_s")
    ]
    return max(rated) if rated else (None, None)


def loader_rate(dataset, collate, batch_size: int, workers: int, device, batches: int) -> dict:
    """Windows/s of the trainer's loader (its sampler, collate, batch size, pin_memory; a new
    loader each epoch as the trainer builds them), batches moved to `device` as the trainer does."""
    import torch

    from neurokit.core.engine.sampler import ResumableSampler

    try:  # the trainer's own loader factory, where the engine has one
        from neurokit.core.data.loader import make_train_loader
    except ImportError:
        make_train_loader = None

    sampler = ResumableSampler(dataset, 1, 0, shuffle=True, seed=0)
    windows, count, steady_windows, steady_s, first_s = 0, 0, 0, 0.0, []
    epoch = 0
    start = time.perf_counter()
    while count < batches:
        sampler.set_epoch(epoch)
        pin = device.type == "cuda"
        if make_train_loader is not None:
            loader = make_train_loader(
                dataset, sampler, batch_size, workers, collate, epoch, pin_memory=pin
            )
        else:  # the trainer's DataLoader, as it builds it
            from torch.utils.data import DataLoader

            generator = torch.Generator()
            generator.manual_seed(epoch)
            loader = DataLoader(
                dataset,
                batch_size=batch_size,
                sampler=sampler,
                num_workers=workers,
                collate_fn=collate,
                pin_memory=pin,
                generator=generator,
            )
        tick = time.perf_counter()
        for index, batch in enumerate(loader):
            batch = batch.to(device, non_blocking=True)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            now = time.perf_counter()
            if index == 0:
                first_s.append(now - tick)
            else:
                steady_windows += len(batch)
                steady_s += now - tick
            tick = now
            windows += len(batch)
            count += 1
            if count >= batches:
                break
        del loader
        epoch += 1
    total = time.perf_counter() - start
    return {
        "workers": workers,
        "batches": count,
        "windows": windows,
        "epochs": epoch,
        "windows_per_s": round(windows / total, 1),
        "steady_windows_per_s": round(steady_windows / steady_s, 1) if steady_s else None,
        "first_batch_s": round(sum(first_s) / len(first_s), 3),
    }


def resolve_run(model: str, store: Path) -> Any:
    """The run `neurokit train --model MODEL --set data.store=STORE` resolves to (RunSpec API,
    or the older positional one)."""
    try:
        from neurokit.core.engine.resolve import RunSpec, resolve

        return resolve(RunSpec(model=model, overrides={"data.store": str(store)}))
    except ImportError:
        from neurokit.core.engine.run import resolve

        return resolve(overrides=(f"data.store={store}",), flags={"model": model})


def section_loader(check: Check, deadline: float) -> dict[str, Any]:
    from neurokit.core.engine.data import build_datasets

    store = check.wait_store(max(deadline - time.monotonic(), 1.0))
    resolved = resolve_run("labram", store)
    config = resolved.config
    datasets, info, collate = build_datasets(
        config, resolved.task.data_view(), {"train": config.data.train_split}
    )
    train = datasets["train"]
    batch_size = int(config.data.batch_size)
    consumption, mode = consumption_rate(check)
    sweep = (0, 1) if check.quick else (0, 1, 2, 4, 8)
    batches = 2 if check.quick else 40
    rows, needed = [], None
    for workers in sweep:
        if time.monotonic() > deadline:
            rows.append({"workers": workers, "skipped": "section time box reached"})
            break
        row = loader_rate(train, collate, batch_size, workers, check.device, batches)
        rate = row["steady_windows_per_s"] or row["windows_per_s"]
        row["ratio"] = round(rate / consumption, 3) if consumption else None
        rows.append(row)
        print(f"[gpu_check] loader {row}", flush=True)
        if row["ratio"] is not None and row["ratio"] >= 1.0:
            needed = workers
            break
    reason = None if consumption else "no labram-base train-step rate (section train_step)"
    best = max((r["ratio"] for r in rows if r.get("ratio") is not None), default=None)
    check.report["targets"]["labram_base_loader_ratio"] = target(
        best, 1.0, "trainer loader windows/s over labram-base train-step samples/s", reason
    )
    return {
        "store": str(store),
        "windows_in_train_split": len(train),
        "window_samples": info.window_samples,
        "channels": len(info.channel_names),
        "batch_size": batch_size,
        "pin_memory": check.cuda,
        "consumption_samples_per_s": consumption,
        "consumption_mode": mode,
        "rows": rows,
        "workers_needed": needed,
    }


# ---------------------------------------------------------------------- 4. LUNA channel sweep


def section_luna_scaling(check: Check, deadline: float) -> dict[str, Any]:
    import luna_scaling

    channels, batch, repeats, options = [16, 32, 64, 128, 256], 32, 5, {}
    models = ("luna-base", "labram-base")
    if check.quick:
        channels, batch, repeats, options, models = [16, 32], 1, 1, {"depth": 1}, ("luna-base",)
    result = luna_scaling.scaling(
        channels, batch, str(check.device), repeats, models, isolated=False, options=options
    )
    return {"batch": batch, "repeats": repeats, "options": options, **result}


# ---------------------------------------------------------------------- the report


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [
        "# neurokit GPU check",
        "",
        f"`{report['command']}` on {env['device']} ({env['device_type']}), torch {env['torch']}, "
        f"CUDA {env['cuda']}, git {env['git']}, {env['date']}; {fmt(report.get('elapsed_s'))} s.",
        "",
        "| section | status | seconds | note |",
        "|---|---|---|---|",
    ]
    for name, entry in report["sections"].items():
        note = entry.get("reason") or entry.get("error") or ""
        lines.append(f"| {name} | {entry['status']} | {fmt(entry.get('seconds'))} | {note[:160]} |")
    if report["targets"]:
        lines += ["", "## Targets", "", "| target | value | goal | met |", "|---|---|---|---|"]
        for t in report["targets"].values():
            value = fmt(t["value"], 3) if t["value"] is not None else f"- ({t.get('reason')})"
            lines.append(f"| {t['what']} | {value} | {t['target']} | {fmt(t['passed'])} |")
    sections = report["sections"]
    tests = sections.get("tests", {})
    if tests.get("tests"):
        lines += [
            "",
            "## pytest -m gpu",
            "",
            "| test | outcome | s | message |",
            "|---|---|---|---|",
        ]
        for row in tests["tests"]:
            message = " ".join((row["message"] or "").split())[:120]
            lines.append(f"| {row['test']} | {row['outcome']} | {row['seconds']} | {message} |")
    steps = sections.get("train_step", {})
    if steps.get("rows"):
        lines += [
            "",
            "## Train step",
            "",
            "| model | batch x ch x s @ Hz | GFLOP/step | mode | samples/s | peak MiB | TFLOP/s | MFU | note |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        shapes = {w["model"]: w for w in steps.get("workloads", [])}
        fill = steps.get("fill", {})
        for row in steps["rows"] + fill.get("rows", []):
            w = shapes.get(row["model"], {**FAMILY_DEFAULTS["labram"], "batch": row.get("batch")})
            shape = f"{row.get('batch', w.get('batch'))} x {w.get('channels')} x {fmt(w.get('seconds'), 0)} @ {fmt(w.get('sfreq'), 0)}"
            gflop = (w.get("flops_per_step") or 0) / 1e9 if row["model"] in shapes else None
            mfu = f"{row['mfu']:.1%}" if row.get("mfu") is not None else "-"
            note = row.get("skipped") or row.get("error") or ""
            lines.append(
                f"| {row['model']} | {shape} | {fmt(gflop)} | {row['mode']} | {fmt(row.get('samples_per_s'))} "
                f"| {fmt(row.get('peak_mib'))} | {fmt(row.get('tflops'), 2)} | {mfu} | {note[:100]} |"
            )
        if fill.get("search"):
            points = ", ".join(
                f"{p['batch']}: {p.get('error') or fmt(p.get('peak_mib')) + ' MiB'}"
                for p in fill["search"]
            )
            lines += ["", f"labram-large batch search (bf16, peak memory): {points}."]
    loader = sections.get("loader", {})
    if loader.get("rows"):
        lines += [
            "",
            "## Loader (labram-base, trainer path)",
            "",
            f"{loader['windows_in_train_split']} train windows of {loader['channels']} ch x "
            f"{loader['window_samples']} samples, batch {loader['batch_size']}, pin_memory "
            f"{fmt(loader['pin_memory'])}; consumption {fmt(loader['consumption_samples_per_s'])} "
            f"samples/s ({loader['consumption_mode']}); workers needed: {fmt(loader['workers_needed'])}.",
            "",
            "| workers | windows/s | steady windows/s | first batch s | ratio |",
            "|---|---|---|---|---|",
        ]
        for row in loader["rows"]:
            lines.append(
                f"| {row['workers']} | {fmt(row.get('windows_per_s'))} | {fmt(row.get('steady_windows_per_s'))} "
                f"| {fmt(row.get('first_batch_s'), 3)} | {fmt(row.get('ratio'), 3)} |"
            )
    luna = sections.get("luna_scaling", {})
    if luna.get("rows"):
        lines += [
            "",
            f"## Channel scaling (batch {luna['batch']}, fwd+bwd, fp32)",
            "",
            "| model | channels | ms | peak MiB |",
            "|---|---|---|---|",
        ]
        for row in luna["rows"]:
            lines.append(
                f"| {row['model']} | {row['channels']} | {fmt(row['seconds'] * 1e3)} | {fmt(row['peak_mib'])} |"
            )
        summary = luna.get("summary", {})
        lines += [
            "",
            ", ".join(f"{k} {fmt(v, 3)}" for k, v in summary.items() if isinstance(v, float)),
        ]
    return "\n".join(lines) + "\n"


SECTION_FUNCTIONS = {
    "tests": section_tests,
    "train_step": section_train_step,
    "loader": section_loader,
    "luna_scaling": section_luna_scaling,
}


def main(argv: list[str] | None = None) -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="report folder")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="toy sizes, 1-2 steps (dry run)")
    parser.add_argument("--store", help="demo store to use (generated there when missing)")
    parser.add_argument(
        "--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="run only these"
    )
    parser.add_argument("--budget", type=float, help="total seconds (default: 470, quick: 130)")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda but torch sees no CUDA device (use --device cpu --quick)")
    check = Check(args)
    if "loader" in args.sections:
        check.start_prepare()
    try:
        for name in SECTIONS:
            if name in args.sections:
                check.run_section(name, SECTION_FUNCTIONS[name])
    finally:
        if check.prepare_proc is not None and check.prepare_proc.poll() is None:
            check.prepare_proc.terminate()
        check.write()
    print(markdown(check.report))
    print(f"[gpu_check] report: {check.out / 'gpu_check.json'}, {check.out / 'gpu_check.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
