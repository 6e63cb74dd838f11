"""LaBraM training-step speed: neurokit's port against the official implementation.

Forward + backward samples/s of labram-base and labram-large on the same batch and the same
weights (copied from the official model into ours), TUAB-shaped by default (23 channels x
10 s = 230 tokens), median of interleaved repeats. The official code needs a LaBraM
checkout and einops; timm is stubbed.

    python benchmarks/labram_speed.py --ref /tmp/labram_ref            # CPU
    python benchmarks/labram_speed.py --ref /tmp/labram_ref --device cuda --bf16 --compile

`--ref` defaults to $LABRAM_REF. Results are printed and, with --out FILE, saved as JSON.

Measured 2026-11-23, CPU only (2 shared cores, torch 2.13, fp32, batch 8, 230 tokens,
`--steps 3 --warmup 1 --repeats 5`): labram-base 9.33 -> 10.14 samples/s (1.09x),
labram-large 1.76 -> 1.89 samples/s (1.07x). No GPU was available for the GPU figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
import types
from functools import partial

import torch

from neurokit.core.data.channels import TUH_REFERENTIAL
from neurokit.plugins.models.labram.channels import get_input_chans

# the official index list for TUAB's 23 referential channels (cls slot 0 first)
TUAB_CHANS = get_input_chans(TUH_REFERENTIAL)
VARIANTS = {
    "base": ("labram_base_patch200_200", "labram-base"),
    "large": ("labram_large_patch200_200", "labram-large"),
}


def stub_timm() -> None:
    """The three timm helpers the official modeling file imports (timm drags in torchvision)."""
    try:
        import timm.models.layers  # noqa: F401

        return
    except Exception:
        pass
    timm, models = types.ModuleType("timm"), types.ModuleType("timm.models")
    layers, registry = (
        types.ModuleType("timm.models.layers"),
        types.ModuleType("timm.models.registry"),
    )

    def drop_path(x, p=0.0, training=False):
        if p == 0.0 or not training:
            return x
        keep = 1 - p
        return x.div(keep) * x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)

    layers.drop_path, layers.to_2tuple = drop_path, lambda x: (x, x)
    layers.trunc_normal_ = lambda t, mean=0.0, std=1.0, a=-2.0, b=2.0: torch.nn.init.trunc_normal_(
        t, mean, std, a, b
    )
    registry.register_model = lambda fn: fn
    timm.models, models.layers, models.registry = models, layers, registry
    sys.modules.update(
        {
            "timm": timm,
            "timm.models": models,
            "timm.models.layers": layers,
            "timm.models.registry": registry,
        }
    )


def build_pair(variant: str, ref: str, num_classes: int, drop_path: float):
    """(official, ours) with identical weights."""
    import neurokit

    stub_timm()
    sys.path.insert(0, ref)
    import modeling_finetune

    official_name, ours_name = VARIANTS[variant]
    official = getattr(modeling_finetune, official_name)(
        num_classes=num_classes, init_values=0.1, drop_path_rate=drop_path
    )
    ours = neurokit.create("backbone", ours_name, num_classes=num_classes, drop_path_rate=drop_path)
    ours.load_state_dict(official.state_dict())
    return official, ours


def samples_per_second(model, x, chans, steps: int, warmup: int, autocast) -> float:
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]

    def step():
        with autocast():
            loss = model(x, chans).float().square().mean()
        loss.backward()
        for p in params:
            p.grad = None

    for _ in range(warmup):
        step()
    sync = torch.cuda.synchronize if x.is_cuda else (lambda: None)
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return steps * x.shape[0] / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ref", default=os.environ.get("LABRAM_REF"), help="official LaBraM checkout"
    )
    parser.add_argument(
        "--variants", nargs="+", default=["base", "large"], choices=sorted(VARIANTS)
    )
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10, help="patches per channel (1 s each)")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--repeats", type=int, default=5, help="interleaved measurements; medians are reported"
    )
    parser.add_argument("--drop-path", type=float, default=0.1)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (both implementations)")
    parser.add_argument("--compile", action="store_true", help="torch.compile neurokit's model")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--out", default=None, help="save results as JSON")
    args = parser.parse_args()
    if not args.ref:
        parser.error(
            "--ref (or $LABRAM_REF) must point at a checkout of github.com/935963004/LaBraM"
        )
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    autocast = (
        partial(torch.autocast, device.type, dtype=torch.bfloat16)
        if args.bf16
        else contextlib.nullcontext
    )
    x = torch.randn(args.batch, len(TUAB_CHANS) - 1, args.seconds, 200, device=device) * 0.3
    results = []
    print(
        f"device={device} threads={torch.get_num_threads()} batch={args.batch} tokens={x.shape[1] * x.shape[2]} "
        f"bf16={args.bf16} compile={args.compile}"
    )
    for variant in args.variants:
        official, ours = build_pair(variant, args.ref, num_classes=2, drop_path=args.drop_path)
        official, ours = official.to(device), ours.to(device)
        run_ours = torch.compile(ours) if args.compile else ours
        ref_runs, our_runs = [], []
        for _ in range(args.repeats):  # interleaved, so drifting machine load hits both alike
            ref_runs.append(
                samples_per_second(official, x, TUAB_CHANS, args.steps, args.warmup, autocast)
            )
            our_runs.append(
                samples_per_second(
                    run_ours,
                    x,
                    TUAB_CHANS,
                    args.steps,
                    args.warmup + (2 if args.compile else 0),
                    autocast,
                )
            )
        ref_sps, our_sps = statistics.median(ref_runs), statistics.median(our_runs)
        row = {
            "variant": variant,
            "official_samples_per_s": ref_sps,
            "neurokit_samples_per_s": our_sps,
            "ratio": our_sps / ref_sps,
        }
        results.append(row)
        print(
            f"labram-{variant:5s}  official {ref_sps:8.2f} samples/s   neurokit {our_sps:8.2f} samples/s   "
            f"ratio {our_sps / ref_sps:5.2f}x"
        )
        del official, ours, run_ours
    if args.out:
        with open(args.out, "w") as handle:
            json.dump({"args": vars(args), "results": results}, handle, indent=2)


if __name__ == "__main__":
    main()
