"""ephys_gpt forecasters: training-step and generation speed.

1. Train step (forward + backward + AdamW) samples/s of neurokit's model at the context
   length (the official-code comparison is still to be added: load the official class as
   tests/models/forecast/test_parity.py does and time it on the same weights).
2. Generation steps/s: neurokit's `generate` (KV cache with refill / WaveNet queues) against
   the official style of loop (`EvalQuant._recursive_forecast`: the whole window recomputed
   every step, no cache) on the same model, greedy, prompt = one full context.

    python benchmarks/forecast_speed.py --model gpt2meg --channels 272 --gen-seconds 10  # official
    python benchmarks/forecast_speed.py --model gpt2meg --channels 4 --gen-steps 120 --tiny

Measured 2026-12-01 on a CPU-only box at load ~12 on 2 shared cores (noisy; torch 2.13,
fp32), reduced settings only:
  --model gpt2meg --channels 32 --tiny --context 400 --gen-steps 150 --train-steps 1
      --repeats 1 --batch 2:  cache 4.68 steps/s, recursive 0.62 steps/s -> 7.5x
  --model gpt2meg --channels 4 --tiny --context 128 --gen-steps 200:  8.7 vs 4.5 -> 1.9x
  (tiny shapes are dispatch-bound; the gap grows with width, channels and context).
The official setting (272 channels, 2000 steps at context 400, 22M parameters) and the
official train-step comparison were not run: no GPU was lent and the CPU was saturated.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

import neurokit
from neurokit.plugins.models.forecast.generate import generate
from neurokit.plugins.models.forecast.losses import next_step_loss


def build(name: str, channels: int, context: int | None, tiny: bool):
    if name == "gpt2meg":
        gpt = {"n_positions": context or 400}
        if tiny:
            gpt |= {"n_embd": 64, "n_layer": 2, "n_head": 4}
        emb = {"quant_emb": gpt.get("n_embd", 384), "channel_emb": gpt.get("n_embd", 384)}
        return neurokit.create(
            "backbone", name, num_channels=channels, gpt2_config=gpt, embedding_args=emb
        )
    if name == "stgpt2meg":
        kw = {"num_channels": channels, "context": context or 200}
        if tiny:
            kw |= {
                "d_model": 64,
                "layers": 2,
                "trf_args": {"attn_args": {"d_model": 64}, "mlp_args": {"d_model": 64}},
            }
        return neurokit.create("backbone", name, **kw)
    return neurokit.create("backbone", name, in_channels=channels)


def train_speed(model, batch: int, channels: int, steps: int, length: int, repeats: int) -> float:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randint(0, model.vocab_size, (batch, channels, length))
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            loss, _ = next_step_loss(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
        rates.append(batch * steps / (time.perf_counter() - start))
    return statistics.median(rates)


@torch.inference_mode()
def recursive(model, prompt, steps, context):
    """The official loop: keep the last `context` steps, run the whole window, take argmax."""
    seq, out = prompt, []
    for _ in range(steps):
        seq = seq[..., -context:]
        token = model(seq)[..., -1, :].argmax(-1)
        out.append(token)
        seq = torch.cat([seq, token[..., None]], dim=-1)
    return torch.stack(out, dim=-1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--model", default="gpt2meg", choices=["gpt2meg", "stgpt2meg", "wavenet-fullchannel"]
    )
    p.add_argument("--channels", type=int, default=272)
    p.add_argument("--context", type=int, default=None)
    p.add_argument("--tiny", action="store_true", help="a small width instead of the official")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--train-steps", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--gen-seconds", type=float, default=10.0)
    p.add_argument("--sfreq", type=float, default=200.0)
    p.add_argument("--gen-steps", type=int, default=None, help="overrides --gen-seconds")
    p.add_argument("--out", default=None)
    args = p.parse_args()

    torch.manual_seed(0)
    model = build(args.model, args.channels, args.context, args.tiny)
    context = model.context or model.receptive_field
    result = {"model": args.model, "channels": args.channels, "context": context}
    result["train_samples_per_s"] = train_speed(
        model, args.batch, args.channels, args.train_steps, context, args.repeats
    )
    model.eval()
    steps = args.gen_steps or int(args.gen_seconds * args.sfreq)
    prompt = torch.randint(0, model.vocab_size, (1, args.channels, context))
    start = time.perf_counter()
    ours = generate(model, prompt, steps)
    result["cache_steps_per_s"] = steps / (time.perf_counter() - start)
    start = time.perf_counter()
    ref = recursive(model, prompt, steps, context)
    result["recursive_steps_per_s"] = steps / (time.perf_counter() - start)
    result["speedup"] = result["cache_steps_per_s"] / result["recursive_steps_per_s"]
    result["first_token_equal"] = bool(torch.equal(ours[..., 0], ref[..., 0]))
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
