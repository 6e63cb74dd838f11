"""Training-step throughput: samples/s of forward + backward + AdamW step for a registered backbone.

    python benchmarks/train_step.py --model tiny-cnn --batch 64 --channels 19 --seconds 4 --sfreq 200
    python benchmarks/train_step.py --model labram-base --batch 64 --channels 23 --seconds 4 \
        --device cuda --precision fp32 bf16 --compile both --json results/labram_train_step.json

On CPU it measures fp32 (bf16 on request); on CUDA each precision with and without
torch.compile (of the model's batch forward, as `trainer.compile`) when `--compile both`.
The helpers (`make_batch`, `build_model`, `make_step`, `time_steps`, `step_flops`) are
imported by benchmarks/gpu_check.py. The batch is synthetic (random microvolts,
standard 10-20 channel names), so only the model is measured, not the data path.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

CHANNELS_1020 = [
    "FP1",
    "FP2",
    "F7",
    "F3",
    "FZ",
    "F4",
    "F8",
    "T3",
    "C3",
    "CZ",
    "C4",
    "T4",
    "T5",
    "P3",
    "PZ",
    "P4",
    "T6",
    "O1",
    "O2",
    "A1",
    "A2",
    "T1",
    "T2",
    "F9",
    "F10",
    "FC5",
    "FC1",
    "FC2",
    "FC6",
    "CP5",
    "CP1",
    "CP2",
    "CP6",
    "PO3",
    "PO4",
    "OZ",
]


def make_batch(batch: int, channels: int, samples: int, sfreq: float, device: torch.device):
    from neurokit.core.data.batch import Batch
    from neurokit.core.data.channels import channel_positions

    if channels > len(CHANNELS_1020):
        raise SystemExit(f"--channels at most {len(CHANNELS_1020)}")
    names = CHANNELS_1020[:channels]
    positions = torch.tensor(channel_positions(names)[0], dtype=torch.float32)
    return Batch(
        signal=torch.randn(batch, channels, samples) * 30.0,
        channel_mask=torch.ones(batch, channels, dtype=torch.bool),
        positions=positions.expand(batch, channels, 3).contiguous(),
        channel_names=[list(names)] * batch,
        sfreq=sfreq,
        label=torch.randint(0, 2, (batch,)),
    ).to(device)


class _Logits(torch.nn.Module):
    """forward(batch) -> logits, so torch.compile sees the model's batch path (as the trainer's
    StepModule does; compiling `model` alone would leave `forward_batch` eager)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch) -> torch.Tensor:
        return self.model.forward_batch(batch).extras["logits"]


def build_model(model_name: str, device: torch.device, options: dict | None = None):
    """The backbone with a 2-class head, seeded, in train mode on `device`."""
    import neurokit

    torch.manual_seed(0)
    model = neurokit.create_model(model_name, **(options or {})).to(device)
    model.reset_classifier(2)
    model.to(device).train()
    return model


def make_step(model: torch.nn.Module, device: torch.device, precision: str, compiled: bool):
    """One training step (forward, cross-entropy, backward, AdamW) as a callable of a batch.

    `compiled` wraps the model's batch forward in torch.compile, as `trainer.compile` does
    (the optimiser step stays eager)."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    forward = _Logits(model)
    if compiled:
        forward = torch.compile(forward)

    def step(b) -> torch.Tensor:
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            loss = F.cross_entropy(forward(b).float(), b.label)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    return step


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(step, batch, device: torch.device, steps: int, warmup: int) -> dict:
    """Samples/s over `steps` timed steps after `warmup` untimed ones (which absorb compilation),
    the warm-up's seconds, and on CUDA the peak memory allocated over both (MiB)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    for _ in range(warmup):
        step(batch)
    sync(device)
    warm = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(steps):
        step(batch)
    sync(device)
    rate = steps * len(batch) / (time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    return {"samples_per_s": rate, "warmup_s": warm, "peak_mib": peak}


def step_flops(model: torch.nn.Module, batch) -> int:
    """FLOPs of one forward + backward, counted by torch.utils.flop_counter (matmuls,
    convolutions, attention; elementwise work is not counted, as in MFU conventions)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        logits = _Logits(model)(batch)
        F.cross_entropy(logits.float(), batch.label).backward()
    model.zero_grad(set_to_none=True)
    return int(counter.get_total_flops())


def measure(
    model_name: str,
    batch,
    device: torch.device,
    precision: str,
    compiled: bool,
    steps: int,
    warmup: int,
    options: dict,
) -> float:
    """Samples per second over `steps` timed steps after `warmup` untimed ones."""
    step = make_step(build_model(model_name, device, options), device, precision, compiled)
    return time_steps(step, batch, device, steps, warmup)["samples_per_s"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-cnn", help="backbone or model preset")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--channels", type=int, default=19)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--sfreq", type=float, default=200.0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument(
        "--precision",
        nargs="+",
        default=None,
        help="fp32 bf16 fp16 (default: fp32, + bf16 on CUDA)",
    )
    parser.add_argument("--compile", choices=["no", "yes", "both"], default="no")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--set",
        dest="options",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="backbone option, e.g. depth=4",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    from neurokit.core.config import parse_value

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    precisions = args.precision or (["fp32", "bf16"] if device.type == "cuda" else ["fp32"])
    compiles = {"no": [False], "yes": [True], "both": [False, True]}[args.compile]
    options = {k: parse_value(v) for k, _, v in (o.partition("=") for o in args.options)}
    samples = int(round(args.seconds * args.sfreq))
    batch = make_batch(args.batch, args.channels, samples, args.sfreq, device)
    rows = []
    for precision in precisions:
        for compiled in compiles:
            rate = measure(
                args.model, batch, device, precision, compiled, args.steps, args.warmup, options
            )
            rows.append(
                {"precision": precision, "compile": compiled, "samples_per_s": round(rate, 1)}
            )
            print(
                f"{args.model:<14} {device.type:<5} batch {args.batch:<4} {args.channels}ch x {args.seconds:g}s "
                f"@{args.sfreq:g}Hz  {precision:<5} compile={str(compiled):<5} {rate:10.1f} samples/s",
                flush=True,
            )
    result = {
        "model": args.model,
        "batch": args.batch,
        "channels": args.channels,
        "seconds": args.seconds,
        "sfreq": args.sfreq,
        "device": torch.cuda.get_device_name()
        if device.type == "cuda"
        else platform.processor() or "cpu",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "options": options,
        "results": rows,
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
