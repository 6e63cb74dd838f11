"""NeuroLM speed: neurokit's port against the official code, same weights, same batch.

Three measurements (medians of interleaved repeats):
1. tokenizer training step (VQ forward + backward, samples/s): official `VQ` vs ours;
2. LM training step (EEG + text instruction forward + backward, samples/s): official
   `NeuroLM` vs ours;
3. generation of `--new-tokens` tokens (tokens/s over the batch): the official
   `NeuroLM.generate` loop vs ours with the key-value cache (and our uncached loop).
Weights are copied from the official modules into ours by state dict (the keys are the
same), and the outputs are checked to agree before timing (losses to 1e-4, greedy tokens
for the first step, where the official mask is still boolean).

The official code needs a NeuroLM checkout (`--ref`, default $NEUROLM_REF) and einops;
its `model_vq.py` imports transformers at the top, stubbed when absent. The official
`NeuroLM` builds its encoder from a VQ checkpoint, so one is written to a temp dir.

    python benchmarks/neurolm_speed.py --ref /tmp/neurolm_ref            # CPU, small size
    python benchmarks/neurolm_speed.py --ref /tmp/neurolm_ref --size b --device cuda
    python benchmarks/neurolm_speed.py --ref /tmp/neurolm_ref --only generate --size b \
        --skip-uncached --threads 1                                     # the 5x target at B

`--only` picks measurements, `--threads N` sets torch's threads for both sides (on a
shared, oversubscribed CPU two OpenMP threads make every tiny per-token op of the cached
loop wait on barriers, which the official loop's large GEMMs hide), `--skip-uncached`
leaves out our uncached loop.

Measured 2026-12-02, CPU only (2 cores shared with 5 other sessions, load average 9-12, so
absolute rates are tiny and noisy; ratios come from interleaved repeats in one run),
torch 2.13, fp32, `--size small` (encoder 2 x 768, decoders 1 x 768, GPT 2 layers x 768,
full 50304 + 8192 lm_head), default batch (4 samples, 8 channels x 4 s = 32 EEG tokens,
16 text tokens; generation prompts 12 text tokens):

    python benchmarks/neurolm_speed.py --ref /tmp/neurolm_ref --only lm --repeats 3 --steps 2
    lm_train_samples_per_s   official 0.36   neurokit 0.42 (1.18x)

    python benchmarks/neurolm_speed.py --ref /tmp/neurolm_ref --only generate --repeats 3
    generate_tokens_per_s    official 2.59   neurokit_cached 7.45 (2.88x)   uncached 2.58 (1.00x)

    python benchmarks/neurolm_speed.py --ref /tmp/neurolm_ref --only generate --threads 1 \
        --skip-uncached --repeats 3
    generate_tokens_per_s    official 2.14   neurokit_cached 8.30 (3.88x)

The LM step was 0.96x before the loss skipped the lm_head backward of rows without a
target (`gpt._RowSparseHead`: instruction tuning has targets on a few answer tokens; same
loss and gradients). Generation stays below the 5x target at this size: each cached step
is one position through 2 layers plus the 768 x 50257 fp32 text head (154 MB read per
step, memory-bound), which the official loop pays too (it also runs the head on the last
position only), so the cache can only remove the recomputation of the prompt, and with 2
layers that recomputation is small. At NeuroLM-B depth (12 layers) the recomputation
grows 6x while our step grows by 12 layers of one position; that measurement (the last
command above) did not fit this session's shared CPU, and no GPU was lent.

NeuroLM-B generation, measured later the same day on the same machine when quiet (load ~1),
64 new tokens, default batch, fp32 CPU:

    python benchmarks/neurolm_speed.py --ref /tmp/neurolm_ref --only generate --size b \
        --skip-uncached --threads 2 --repeats 2
    generate_tokens_per_s    official 3.96   neurokit_cached 24.67 (6.24x)

    ... --threads 1 --repeats 2
    generate_tokens_per_s    official 2.29   neurokit_cached 22.55 (9.83x)

At B depth the cache pays off as expected: the 5x target is met.

All three at the small size on the quiet machine (a later session, load 0.75, 2 threads):

    python benchmarks/neurolm_speed.py --ref /tmp/neurolm_ref --repeats 3 --steps 2 --skip-uncached
    tokenizer_train_samples_per_s    official  7.95   neurokit  8.09 (1.02x)
    lm_train_samples_per_s           official  2.92   neurokit  4.17 (1.43x)
    generate_tokens_per_s            official 18.13   neurokit_cached 59.31 (3.27x)
Earlier (session 2, `--batch 1 --chans 4 --seconds 2`): tokenizer step 1.35x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from neurokit.plugins.models.neurolm.config import NeuroLMConfig, NTArgs
from neurokit.plugins.models.neurolm.generate import generate_uncached
from neurokit.plugins.models.neurolm.model import NeuroLM, gpt_mask
from neurokit.plugins.models.neurolm.tokenizer import VQ, spectral_targets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.models.neurolm.official import import_official, nt_args, official_lm  # noqa: E402

SIZES = {
    # encoder layers, decoder layers, GPT (layers, heads, width)
    "small": (2, 1, (2, 12, 768)),
    "b": (12, 4, (12, 12, 768)),
}


def batch(b: int, chans: int, seconds: int, text_len: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    n = chans * seconds
    x = torch.randn(b, n, 200, generator=g)
    input_chans = torch.arange(chans).repeat(seconds).expand(b, -1).contiguous()
    input_time = torch.arange(seconds).repeat_interleave(chans).expand(b, -1).contiguous()
    input_mask = torch.ones(b, n, dtype=torch.bool)
    text = torch.randint(0, 50257, (b, text_len), generator=g)
    y_text = torch.full_like(text, -1)
    y_text[:, -4:-1] = text[:, -3:]
    eeg_text_mask = gpt_mask(chans, seconds, n + text_len, eeg_len=n).expand(b, 1, -1, -1)
    return x, input_chans, input_time, input_mask, text, y_text, eeg_text_mask.contiguous()


def rate(fn, count: int, steps: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return steps * count / (time.perf_counter() - start)


def interleaved(fns: dict, count: int, args, steps: int | None = None, warmup=None) -> dict:
    """Median rate of each function over `--repeats` rounds, the functions alternating."""
    steps = args.steps if steps is None else steps
    warmup = args.warmup if warmup is None else warmup
    runs: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(args.repeats):
        for name, fn in fns.items():
            runs[name].append(rate(fn, count, steps, warmup))
    return {k: statistics.median(v) for k, v in runs.items()}


def train_step(model, *inputs):
    def step():
        loss = model(*inputs)[0]
        loss.backward()
        model.zero_grad(set_to_none=True)

    return step


def tokenizer_step(args, ref_vq, enc, dec, x, chans, times, mask) -> dict:
    """1. tokenizer training step (samples/s), after checking the losses agree."""
    ours_vq = VQ(NTArgs(**enc), NTArgs(**dec)).to(x.device)
    ours_vq.load_state_dict(ref_vq.state_dict())
    y_freq, y_raw = spectral_targets(x, mask)
    ref_vq.eval(), ours_vq.eval()
    with torch.no_grad():
        a = ref_vq(x, y_freq, y_raw, chans, times, mask)[0]
        b = ours_vq(x, y_freq, y_raw, chans, times, mask)[0]
    assert torch.allclose(a, b, atol=1e-4), (float(a), float(b))
    ref_vq.train(), ours_vq.train()
    inputs = (x, y_freq, y_raw, chans, times, mask)
    fns = {"official": train_step(ref_vq, *inputs), "neurokit": train_step(ours_vq, *inputs)}
    return interleaved(fns, args.batch, args)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ref", default=os.environ.get("NEUROLM_REF"), help="official checkout")
    p.add_argument("--size", choices=sorted(SIZES), default="small")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--chans", type=int, default=8)
    p.add_argument("--seconds", type=int, default=4)
    p.add_argument("--text-len", type=int, default=16)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--only",
        action="append",
        choices=("tokenizer", "lm", "generate"),
        help="run only these measurements (repeatable; default all)",
    )
    p.add_argument("--threads", type=int, help="torch.set_num_threads for both (shared CPUs)")
    p.add_argument(
        "--skip-uncached", action="store_true", help="do not time our uncached loop (B size)"
    )
    p.add_argument("--out", help="write the results as JSON")
    args = p.parse_args()
    if not args.ref:
        p.error("--ref (or $NEUROLM_REF) must point at an official NeuroLM checkout")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dev = torch.device(args.device)
    _, NTConfig, _, RefVQ = import_official(args.ref)
    enc_layers, dec_layers, (g_layers, g_heads, g_width) = SIZES[args.size]
    enc, dec = nt_args(enc_layers), nt_args(dec_layers, decoder=True)
    x, chans, times, mask, text, y_text, m = (
        t.to(dev) for t in batch(args.batch, args.chans, args.seconds, args.text_len)
    )
    parts = set(args.only or ("tokenizer", "lm", "generate"))
    results = {}
    ref_vq = RefVQ(NTConfig(**enc), NTConfig(**dec)).to(dev)
    ref_vq.quantize.embedding.init_embed_(
        torch.nn.functional.normalize(torch.randn(8192, 128), dim=-1).to(dev)
    )
    if "tokenizer" in parts:
        results["tokenizer_train_samples_per_s"] = tokenizer_step(
            args, ref_vq, enc, dec, x, chans, times, mask
        )

    ref_lm = official_lm(
        args.ref, ref_vq.state_dict(), enc, dec,
        n_layer=g_layers, n_head=g_heads, n_embd=g_width, block_size=1024, bias=True,
        vocab_size=50304, dropout=0.0,
    ).to(dev)  # fmt: skip
    ours_lm = NeuroLM(
        NeuroLMConfig(
            n_layer=g_layers,
            n_head=g_heads,
            n_embd=g_width,
            vocab_size=50304,
            encoder_args=NTArgs(**enc),
        )
    ).to(dev)
    ours_lm.load_state_dict(ref_lm.state_dict())

    # 2. LM training step (instruction-shaped: EEG + text, answer tokens as targets)
    if "lm" in parts:
        y_eeg = torch.full((args.batch, x.shape[1]), -1 - 50304, device=dev)
        ref_lm.eval(), ours_lm.eval()
        with torch.no_grad():
            a = ref_lm(x.clone(), y_eeg, text, y_text, chans, times, mask, eeg_text_mask=m)[0]
            b = ours_lm(x, y_eeg, text, y_text, chans, times, mask, eeg_text_mask=m)[0]
        assert torch.allclose(a, b, atol=1e-4), (float(a), float(b))
        ref_lm.train(), ours_lm.train()

        def lm_step(model):  # the official forward writes into x_eeg: a fresh copy each step
            def step():
                loss = model(x.clone(), y_eeg, text, y_text, chans, times, mask, None, m)[0]
                loss.backward()
                model.zero_grad(set_to_none=True)

            return step

        fns = {"official": lm_step(ref_lm), "neurokit": lm_step(ours_lm)}
        results["lm_train_samples_per_s"] = interleaved(fns, args.batch, args)

    # 3. generation (official evaluation call: greedy, top_k=1)
    if "generate" in parts:
        ref_lm.eval(), ours_lm.eval()
        n_new = args.new_tokens
        prompt = text[:, :-4]
        pm = m[..., :-4, :-4].contiguous()
        with torch.no_grad():
            first_ref = ref_lm.generate(
                x.clone(), prompt, chans, times, mask, eeg_text_mask=pm, max_new_tokens=1
            )
        first_ours = ours_lm.generate(
            x, prompt, chans, times, mask, eeg_text_mask=pm, max_new_tokens=1
        )
        assert torch.equal(first_ref, first_ours)

        def gen_ref():
            with torch.no_grad():
                ref_lm.generate(
                    x.clone(), prompt, chans, times, mask, eeg_text_mask=pm, max_new_tokens=n_new
                )

        def gen_ours():
            ours_lm.generate(x, prompt, chans, times, mask, eeg_text_mask=pm, max_new_tokens=n_new)

        def gen_uncached():
            generate_uncached(ours_lm, x, prompt, chans, times, mask, pm, n_new)

        fns = {"official": gen_ref, "neurokit_cached": gen_ours, "neurokit_uncached": gen_uncached}
        if args.skip_uncached:
            del fns["neurokit_uncached"]
        results["generate_tokens_per_s"] = interleaved(fns, args.batch * n_new, args, 1, 0)

    for name, row in results.items():
        base = row["official"]
        cells = "   ".join(f"{k} {v:9.2f} ({v / base:5.2f}x)" for k, v in row.items())
        print(f"{name:32s} {cells}")
    if args.out:
        Path(args.out).write_text(json.dumps({"args": vars(args), "results": results}, indent=2))


if __name__ == "__main__":
    main()
