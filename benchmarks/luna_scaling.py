"""LUNA vs LaBraM: forward+backward cost against channel count, and LUNA vs the official code.

    python benchmarks/luna_scaling.py                       # CPU, both parts, ~5 min on 2 cores
    python benchmarks/luna_scaling.py --channels 16 32 64 128 256 --batch 4 \
        --json benchmarks/results/luna_scaling_cpu.json --plot benchmarks/results/luna_scaling_cpu.png
    LUNA_REF=/tmp/luna_ref LUNA_REF_LIBS=/tmp/lunashim:/tmp/lunalib python benchmarks/luna_scaling.py --part official

Part `scaling`: for each channel count, one fixed 5-s window (LUNA: 1280 samples at
256 Hz; LaBraM: 1000 at 200 Hz), time of forward + backward of `luna-base` and
`labram-base` (2 classes, train mode, fp32) and the peak memory of that step (CUDA:
max allocated; CPU: the resident-set high-water mark over one step, reset before it, in a fresh process
per point).
Times are the best of `--repeats` steps after a warm-up step (robust to other load on a
shared machine). LUNA's time is fitted with a line (slope per channel, R^2); LaBraM's growth is
given as the time ratio 256 / 128 channels (2 = linear, 4 = quadratic) and the
log-log exponent. LaBraM has 128 channel embeddings, so above 128 channels rows are
reused: the cost is what is measured, not the embedding identity.

Part `official` (needs LUNA_REF, see tests/models/luna/official.py): samples/s of
forward + backward of neurokit's LUNA-Base and the official module on the same
batch (22 TCP channels, 5 s), same weights.

Measured (2026-11-23, CPU: 2 cores shared with other jobs, torch 2.13, fp32, batch 4, 5-s windows;
timings on a shared machine are noisy, memory is not):

    channels                      16     32     64    128    256
    luna-base   fwd+bwd ms       418    465    471    600    727   (--models luna-base --repeats 10)
    luna-base   peak MiB          95    108    134    184    275
    labram-base fwd+bwd ms       455    638   1409   5500  14230   (--repeats 3)
    labram-base peak MiB          94    197    371    730   1437

    LUNA: +1.28 ms per channel over 409 ms (R^2 0.976), +0.75 MiB per channel (R^2 0.999).
    LaBraM: x2.6 time from 128 to 256 channels, log-log exponent 1.30; x2.0 memory per doubling.
    At 256 channels LaBraM-Base needs ~20x LUNA-Base's time and 5.2x its memory.
    Official LUNA-Base vs neurokit's, same weights and batch (8 x 22 ch x 5 s, fwd+bwd):
    54.5 vs 60.7 samples/s (1.11x) on a quiet machine; 2.4 vs 4.8 (1.98x) under load.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing as mp
import os
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def _inputs(model: str, batch: int, channels: int, device: str):
    g = torch.Generator().manual_seed(0)
    if model.startswith("luna"):
        x = torch.randn(batch, channels, 1280, generator=g)
        locations = (
            torch.nn.functional.normalize(torch.randn(channels, 3, generator=g), dim=-1) * 0.09
        )
        return (x.to(device), None, locations.expand(batch, -1, -1).contiguous().to(device))
    x = torch.randn(batch, channels, 5, 200, generator=g) * 0.3
    input_chans = [0] + [1 + i % 128 for i in range(channels)]
    return (x.to(device), input_chans)


def _step(model, args) -> None:
    out = model(*args)
    out = out[0] if isinstance(out, tuple) else out
    out.float().square().mean().backward()


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _build(model_name: str, device: str, options: dict | None = None):
    import neurokit

    torch.manual_seed(0)
    return neurokit.create_model(model_name, num_classes=2, **(options or {})).to(device).train()


def _timed_step(model, args, device: str) -> float:
    _sync(device)
    start = time.perf_counter()
    _step(model, args)
    _sync(device)
    model.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(key + ":"))


def peak_memory(model, args, device: str) -> float:
    """Peak memory (MiB) of one forward+backward above what was held before it.

    CUDA: max allocated. CPU: the resident-set high-water mark (VmHWM), reset just
    before the step through /proc/self/clear_refs (Linux).
    """
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        _step(model, args)
        model.zero_grad(set_to_none=True)
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM := VmRSS
    base = _status_kib("VmRSS")
    _step(model, args)
    peak = _status_kib("VmHWM")
    model.zero_grad(set_to_none=True)
    return (peak - base) / 1024


def _memory_worker(queue, model_name: str, channels: int, batch: int) -> None:
    sys.path.insert(0, str(ROOT))
    queue.put(
        peak_memory(_build(model_name, "cpu"), _inputs(model_name, batch, channels, "cpu"), "cpu")
    )


def isolated_peak_memory(model_name: str, channels: int, batch: int) -> float:
    """CPU `peak_memory` of one point in a fresh interpreter (its own, untouched heap)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_memory_worker, args=(queue, model_name, channels, batch))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def timings(
    models: tuple[str, ...],
    channels: list[int],
    batch: int,
    device: str,
    repeats: int,
    isolated: bool = True,
    options: dict | None = None,
) -> tuple[dict, dict]:
    """Best-of-`repeats` seconds per (model, channels), measured round-robin so that load from
    other processes on a shared machine spreads over every point alike; and peak memory
    (on CPU in a fresh process per point unless `isolated` is False: a quick, rougher figure).
    `options` go to every model (e.g. depth=1 for a dry run)."""
    built = {m: _build(m, device, options) for m in models}
    inputs = {(m, c): _inputs(m, batch, c, device) for m in models for c in channels}
    for (m, _), args in inputs.items():  # warm-up of every shape
        _timed_step(built[m], args, device)
    best: dict[tuple[str, int], float] = {}
    for _ in range(repeats):
        for (m, c), args in inputs.items():
            seconds = _timed_step(built[m], args, device)
            best[(m, c)] = min(best.get((m, c), float("inf")), seconds)
    if device.startswith("cuda"):
        memory = {key: peak_memory(built[key[0]], args, device) for key, args in inputs.items()}
    elif isolated:  # freed CPU memory stays resident, so each point gets a fresh process
        memory = {key: isolated_peak_memory(key[0], key[1], batch) for key in inputs}
    else:
        memory = {key: peak_memory(built[key[0]], args, device) for key, args in inputs.items()}
    return best, memory


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Intercept, slope and R^2 of a least-squares line."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = my - slope * mx
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - my) ** 2 for y in ys) or 1e-30
    return intercept, slope, 1 - ss_res / ss_tot


def scaling(
    channels: list[int],
    batch: int,
    device: str,
    repeats: int,
    models: tuple[str, ...] = ("luna-base", "labram-base"),
    isolated: bool = True,
    options: dict | None = None,
) -> dict:
    """Rows of (model, channels, seconds, peak MiB) and LUNA's linear fit (needs luna-base)."""
    best, memory = timings(models, channels, batch, device, repeats, isolated, options)
    rows = []
    for model in models:
        for c in channels:
            key = (model, c)
            rows.append(
                {"model": model, "channels": c, "seconds": best[key], "peak_mib": memory[key]}
            )
            print(
                f"{model:12s} {c:4d} channels: {best[key] * 1e3:9.1f} ms  peak {memory[key]:8.1f} MiB",
                flush=True,
            )
    luna = [r for r in rows if r["model"] == "luna-base"]
    labram = [r for r in rows if r["model"] == "labram-base"]
    a, b, r2 = linear_fit([r["channels"] for r in luna], [r["seconds"] for r in luna])
    _, mb, mr2 = linear_fit([r["channels"] for r in luna], [r["peak_mib"] for r in luna])
    summary = {
        "luna_ms_per_channel": b * 1e3,
        "luna_intercept_ms": a * 1e3,
        "luna_r2": r2,
        "luna_mib_per_channel": mb,
        "luna_memory_r2": mr2,
    }
    if len(labram) >= 2:
        exp = linear_fit(
            [math.log(r["channels"]) for r in labram], [math.log(r["seconds"]) for r in labram]
        )[1]
        summary.update(
            {
                "labram_time_ratio_last_two": labram[-1]["seconds"] / labram[-2]["seconds"],
                "labram_loglog_exponent": exp,
                "luna_time_ratio_last_two": luna[-1]["seconds"] / luna[-2]["seconds"],
                "labram_over_luna_at_max": labram[-1]["seconds"] / luna[-1]["seconds"],
            }
        )
    print(
        f"LUNA: {b * 1e3:.2f} ms per channel (+{a * 1e3:.0f} ms), R^2 {r2:.4f}; "
        f"memory {mb:.2f} MiB per channel, R^2 {mr2:.3f}"
    )
    if "labram_loglog_exponent" in summary:
        print(
            f"time x{summary['luna_time_ratio_last_two']:.2f} (LUNA) vs x{summary['labram_time_ratio_last_two']:.2f} "
            f"(LaBraM) from {channels[-2]} to {channels[-1]} channels; LaBraM log-log exponent "
            f"{summary['labram_loglog_exponent']:.2f}; LaBraM/LUNA at {channels[-1]}: "
            f"{summary['labram_over_luna_at_max']:.1f}x"
        )
    return {"rows": rows, "summary": summary}


def official(batch: int, device: str, repeats: int) -> dict:
    """Samples/s of forward+backward: neurokit LUNA-Base vs the official module, same weights and batch."""
    sys.path.insert(0, str(ROOT))
    from tests.models.luna.official import official_modules

    try:
        luna, names = official_modules()
    except BaseException as exc:  # pytest.skip raises a BaseException subclass
        raise SystemExit(f"official LUNA not importable: {exc}") from None
    from neurokit.plugins.models.luna.model import LUNA

    torch.manual_seed(0)
    reference = luna.LUNA(num_classes=2).to(device).train()
    ours = LUNA(num_classes=2).to(device).train()
    ours.load_state_dict(reference.state_dict())
    tcp = list(names.TUEG_CHANNEL_LIST)
    loc = torch.tensor(names.get_channel_locations(tcp), dtype=torch.float32)
    x = torch.randn(batch, len(tcp), 1280).to(device)
    args = (
        x,
        torch.zeros(batch, len(tcp), 1280, dtype=torch.bool, device=device),
        loc.expand(batch, -1, -1).contiguous().to(device),
    )
    models = {"official": reference, "neurokit": ours}
    times: dict[str, list[float]] = {label: [] for label in models}
    for model in models.values():
        _step(model, args)  # warm-up
        model.zero_grad(set_to_none=True)
    for _ in range(repeats):  # interleaved, so load from other processes hits both alike
        for label, model in models.items():
            _sync(device)
            start = time.perf_counter()
            _step(model, args)
            _sync(device)
            times[label].append(time.perf_counter() - start)
            model.zero_grad(set_to_none=True)
    result = {label: batch / min(t) for label, t in times.items()}
    for label, rate in result.items():
        print(
            f"{label:9s} LUNA-Base fwd+bwd: {rate:8.2f} samples/s (batch {batch}, 22 ch, 5 s, {device})"
        )
    result["speedup"] = result["neurokit"] / result["official"]
    print(f"neurokit / official: {result['speedup']:.2f}x")
    return result


def plot(result: dict, path: Path) -> None:
    """Time and peak memory against channels, one line per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for model in ("luna-base", "labram-base"):
        rows = [r for r in result["rows"] if r["model"] == model]
        xs = [r["channels"] for r in rows]
        axes[0].plot(xs, [r["seconds"] * 1e3 for r in rows], "o-", label=model)
        axes[1].plot(xs, [r["peak_mib"] for r in rows], "o-", label=model)
    for ax, label in zip(
        axes, ("forward+backward (ms)", "peak memory of the step (MiB)"), strict=True
    ):
        ax.set_xlabel("channels (5-s window)")
        ax.set_ylabel(label)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["scaling", "official", "all"], default="all")
    parser.add_argument("--channels", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    parser.add_argument("--batch", type=int, default=4, help="windows per step (scaling)")
    parser.add_argument(
        "--official-batch", type=int, default=8, help="windows per step (official comparison)"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--models", nargs="+", default=["luna-base", "labram-base"], help="models to scale"
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--plot", type=Path, help="save a time/memory vs channels figure here (PNG)"
    )
    args = parser.parse_args()
    report = {
        "device": args.device,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "batch": args.batch,
    }
    if args.part in ("scaling", "all"):
        report["scaling"] = scaling(
            args.channels, args.batch, args.device, args.repeats, tuple(args.models)
        )
        if args.plot:
            plot(report["scaling"], args.plot)
    if args.part in ("official", "all") and os.environ.get("LUNA_REF"):
        report["official"] = official(args.official_batch, args.device, args.repeats)
    elif args.part == "official":
        raise SystemExit("set LUNA_REF (and LUNA_REF_LIBS) to compare with the official code")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
