"""ephys_gpt forecasters: training-step and generation speed against the official code.

1. Train step (forward + next-step cross-entropy + backward + AdamW) samples/s of
   neurokit's model and, with `--official PATH` (a ricsinaruto/brain-forecast checkout,
   @d5caa40), of the official class built from the same config and holding the same
   weights (loaded as tests/models/forecast/test_parity.py does; GPT2MEG needs
   `transformers`, STGPT2MEG `einops`), on the same random codes, interleaved repeats.
2. Generation steps/s: neurokit's `generate` (KV cache with refill / WaveNet queues)
   against the official recursive loop (`EvalQuant._recursive_forecast`: the last
   `context` steps recomputed every step, no cache), run on the official model when
   `--official` is given, greedy, prompt = one full context; the first tokens must agree.

    python benchmarks/forecast_speed.py --model gpt2meg --channels 272 --gen-seconds 10 \
        --official /path/to/brain-forecast                      # the official setting (GPU)
    python benchmarks/forecast_speed.py --model gpt2meg --channels 4 --gen-steps 30 \
        --train-steps 1 --repeats 2 --batch 1 --threads 1 --official /tmp/bf

Measured 2026-12-02 on a CPU-only box (2 cores shared with ~7 other jobs, load 10-15,
torch 2.13, fp32, one thread; transformers 5.24 for the official GPT2MEG):
  GPT2MEG at the official size (22M parameters, width 384, 12 layers, context 400),
  4 channels, batch 1, 30 generated steps:
      train 0.02513 samples/s vs official 0.02497 -> 1.01x
      generation 0.996 steps/s (cache) vs 0.0556 (official recursive loop) -> 17.9x,
      first greedy token equal
  GPT2MEG tiny (width 64, 2 layers), 8 channels, context 128, batch 2, 200 steps:
      train 3.51 vs official 3.47 samples/s -> 1.01x; generation 85.1 vs 9.93 steps/s -> 8.6x
  WaveNet (official size, 4 channels, receptive field 129), batch 2, 100 steps:
      train 3.94 vs official 3.71 samples/s -> 1.06x; generation 19.6 vs 7.94 steps/s -> 2.5x
      (the queue generator does 17 tiny convs per step: dispatch-bound on CPU)
The train step is the same computation as the official one (parity to 1e-5), so ~1.0x is
expected on CPU. The generation gap grows with context and channels: the recursive loop
costs O(context) per step, the cache O(1) between refills (one prefill per context/4
steps past the context). The official setting (272 channels, 2000 steps = 10 s at 200 Hz)
was not run: no GPU was lent to this session and the CPU run would take hours; at 4
channels the 2000-step recursive loop alone would take ~10 hours here (0.056 steps/s).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
import types
from pathlib import Path

import torch

import neurokit
from neurokit.plugins.models.forecast.generate import generate
from neurokit.plugins.models.forecast.losses import next_step_loss


def build(name: str, channels: int, context: int | None, tiny: bool):
    """Our model (official sizes unless `tiny`), with the config it was built from."""
    if name == "gpt2meg":
        gpt = {"n_positions": context or 400}
        if tiny:
            gpt |= {"n_embd": 64, "n_layer": 2, "n_head": 4}
        emb = {"quant_emb": gpt.get("n_embd", 384), "channel_emb": gpt.get("n_embd", 384)}
        kw = {"num_channels": channels, "gpt2_config": gpt, "embedding_args": emb}
    elif name == "stgpt2meg":
        kw = {"num_channels": channels, "context": context or 200}
        if tiny:
            kw |= {
                "d_model": 64,
                "layers": 2,
                "trf_args": {"attn_args": {"d_model": 64}, "mlp_args": {"d_model": 64}},
            }
    else:
        kw = {"in_channels": channels}
    model = neurokit.create("backbone", name, **kw)
    from neurokit.core.registry import get_registry

    config = get_registry().get("backbone", name).config(**kw)
    model.build_config = config.model_dump(exclude={"pretrained", "channel_names", "num_classes",
                                                    "context", "stack_layers"})  # fmt: skip
    if name == "wavenet-fullchannel":
        model.build_config["num_classes"] = 0
    return model


def load_official(root: Path, name: str, ours):
    """The official class of `name` from a brain-forecast checkout, built with our config and
    loaded with our weights (stub packages keep Lightning and the video tokenizer out, as in
    tests/models/forecast/test_parity.py)."""

    def package(mod: str, path: Path | None):
        module = sys.modules.get(mod) or types.ModuleType(mod)
        module.__path__ = [str(path)] if path else []
        sys.modules[mod] = module

    def load(mod: str, path: Path):
        spec = importlib.util.spec_from_file_location(mod, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod] = module
        spec.loader.exec_module(module)
        return module

    src = root / "ephys_gpt"
    for mod, path in (("ephys_gpt", src), ("ephys_gpt.layers", src / "layers"),
                      ("ephys_gpt.models", src / "models"), ("ephys_gpt.training", None),
                      ("ephys_gpt.models.tokenizers", None)):  # fmt: skip
        package(mod, path)
    lightning = types.ModuleType("ephys_gpt.training.lightning")
    lightning.LitModel = object
    emu3 = types.ModuleType("ephys_gpt.models.tokenizers.emu3")
    emu3.Emu3VisionVQ = object
    sys.modules.update({lightning.__name__: lightning, emu3.__name__: emu3})
    cfg = ours.build_config
    if name == "gpt2meg":
        ref = load("ephys_gpt.models.gpt2meg", root / "legacy" / "models" / "gpt2meg.py")
        theirs = ref.GPT2MEG(cfg["num_channels"], dict(cfg["gpt2_config"]),
                             dict(cfg["embedding_args"]))  # fmt: skip
    elif name == "stgpt2meg":
        ref = load("ephys_gpt.models.stgpt2meg", src / "models" / "stgpt2meg.py")
        trf = cfg["trf_args"]
        trf = {**trf, "attn_type": "standard", "mlp_type": "standard"}
        theirs = ref.STGPT2MEG(cfg["num_channels"], cfg["vocab_size"], cfg["d_model"],
                               cfg["layers"], trf)  # fmt: skip
    else:
        ref = load("ephys_gpt.models.wavenet", src / "models" / "wavenet.py")
        theirs = ref.WavenetFullChannel(**{**cfg, "cond_channels": None})
    from neurokit.plugins.models.forecast.weights import load_weights

    load_weights(ours, theirs.state_dict())  # the same weights in both
    return theirs


def train_speed(
    model, batch: int, channels: int, steps: int, length: int, repeats: int, vocab: int
) -> float:
    """Samples/s of forward + next-step loss + backward + AdamW on random codes."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, vocab, (batch, channels, length), generator=g)
    loss, _ = next_step_loss(model(x), x)  # warm-up: optimiser state, allocator
    loss.backward()
    opt.step()
    opt.zero_grad()
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
    p.add_argument("--official", default=None, help="brain-forecast checkout to compare with")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--out", default=None)
    args = p.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build(args.model, args.channels, args.context, args.tiny)
    theirs = load_official(Path(args.official), args.model, model) if args.official else None
    context = model.context or model.receptive_field
    result = {"model": args.model, "channels": args.channels, "context": context,
              "threads": torch.get_num_threads()}  # fmt: skip
    if not args.skip_train:
        shape = (args.batch, args.channels, args.train_steps, context, 1, model.vocab_size)
        ours_rates, official_rates = [], []
        for _ in range(args.repeats):  # interleaved, so that load changes hit both
            ours_rates.append(train_speed(model, *shape))
            if theirs is not None:
                official_rates.append(train_speed(theirs, *shape))
        result["train_samples_per_s"] = statistics.median(ours_rates)
        if theirs is not None:
            result["official_train_samples_per_s"] = statistics.median(official_rates)
            result["train_ratio"] = (
                result["train_samples_per_s"] / result["official_train_samples_per_s"]
            )
    model.eval()
    steps = args.gen_steps or int(args.gen_seconds * args.sfreq)
    prompt = torch.randint(0, model.vocab_size, (1, args.channels, context))
    start = time.perf_counter()
    ours = generate(model, prompt, steps)
    result["cache_steps_per_s"] = steps / (time.perf_counter() - start)
    loop = (theirs if theirs is not None else model).eval()
    start = time.perf_counter()
    ref = recursive(loop, prompt, steps, context)
    result["recursive_steps_per_s"] = steps / (time.perf_counter() - start)
    result["recursive_model"] = "official" if theirs is not None else "neurokit"
    result["speedup"] = result["cache_steps_per_s"] / result["recursive_steps_per_s"]
    result["first_token_equal"] = bool(torch.equal(ours[..., 0], ref[..., 0]))
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
