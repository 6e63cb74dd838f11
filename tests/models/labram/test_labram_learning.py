"""Each LaBraM stage learns (small configs on synthetic rhythms; the demo-store CLI chain is slow).

The signals are sinusoids in noise: in `rhythms` each electrode has its own rhythm (as
posterior alpha or frontal beta do), with random amplitude and phase, so a masked patch's
code is predictable from its channel and context; in `two_classes` the class sets the
dominant rhythm (alpha vs slowing). The demo-store chain through the CLI is marked slow.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import neurokit
from neurokit.core.data.batch import Batch
from neurokit.plugins.models.labram.stages import MEMPretrainModule, TokenizerPretrainModule

NAMES = ["FP1", "FP2", "F3", "F4", "C3", "C4", "O1", "O2"]
FREQS = [2.0, 5.0, 9.0, 14.0, 21.0, 30.0]


def batch_of(signal: torch.Tensor, label: torch.Tensor | None = None) -> Batch:
    b, c, _ = signal.shape
    return Batch(
        signal=signal,
        channel_mask=torch.ones(b, c, dtype=torch.bool),
        positions=torch.zeros(b, c, 3),
        channel_names=[list(NAMES[:c])] * b,
        sfreq=200.0,
        label=label,
    )


def rhythms(b: int, seconds: int = 4, seed: int = 0) -> Batch:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(seconds * 200) / 200.0
    freq = torch.tensor([FREQS[i % len(FREQS)] for i in range(len(NAMES))])[None, :, None]
    freq = freq + 0.5 * torch.rand(b, len(NAMES), 1, generator=g)
    amp = torch.where(torch.rand(b, len(NAMES), 1, generator=g) < 0.5, 15.0, 45.0)
    phase = torch.rand(b, len(NAMES), 1, generator=g) * 2 * math.pi
    x = amp * torch.sin(2 * math.pi * freq * t + phase) + 3.0 * torch.randn(
        b, len(NAMES), t.numel(), generator=g
    )
    return batch_of(x)


def two_classes(b: int, seed: int = 0) -> Batch:
    g = torch.Generator().manual_seed(seed)
    label = torch.arange(b) % 2
    t = torch.arange(400) / 200.0
    freq = torch.where(label == 1, 3.0, 10.0)[:, None, None] + torch.rand(
        b, len(NAMES), 1, generator=g
    )
    phase = torch.rand(b, len(NAMES), 1, generator=g) * 2 * math.pi
    x = 30 * torch.sin(2 * math.pi * freq * t + phase) + 20 * torch.randn(
        b, len(NAMES), 400, generator=g
    )
    return batch_of(x, label)


def balanced_accuracy(pred: torch.Tensor, target: torch.Tensor) -> float:
    return (
        sum(
            ((pred == k) & (target == k)).sum().item() / max((target == k).sum().item(), 1)
            for k in (0, 1)
        )
        / 2
    )


SMALL_TOKENIZER = dict(
    num_codes=64,
    code_dim=16,
    embed_dim=100,
    out_chans=4,
    num_heads=4,
    encoder_depth=1,
    decoder_depth=1,
    decay=0.9,
)  # a faster EMA than 0.99 suits 60 steps


@pytest.fixture(scope="module")
def trained_tokenizer():
    """A small VQ-NSP trained for 60 steps; returns it and its loss curve."""
    torch.manual_seed(0)
    tok = neurokit.create("tokenizer", "labram-vqnsp", **SMALL_TOKENIZER)
    objective = neurokit.create("objective", "vq-fourier")
    module = TokenizerPretrainModule(tok, objective, token_budget=256).train()
    opt = torch.optim.AdamW(
        [p for p in module.parameters() if p.requires_grad], lr=5e-4, weight_decay=1e-4
    )
    curve = []
    for step in range(60):
        out = module.training_step(rhythms(16, seed=step))
        opt.zero_grad()
        out.loss.backward()
        opt.step()
        curve.append(float(out.logs["rec_loss"]))  # amplitude; the random phases are not learnable
    return tok.eval(), curve


def test_tokenizer_reconstruction_falls_and_codebook_is_used(trained_tokenizer):
    tok, curve = trained_tokenizer
    start, end = sum(curve[:5]) / 5, sum(curve[-5:]) / 5
    assert end < 0.9 * start, (start, end)
    codes = tok.tokenize(rhythms(32, seed=999))
    counts = torch.bincount(codes.flatten(), minlength=64).float()
    prob = counts[counts > 0] / counts.sum()
    perplexity = torch.exp(-(prob * prob.log()).sum()).item()
    assert (counts > 0).sum() >= 10  # no collapse onto a few codes
    assert perplexity > 5


def test_mem_accuracy_rises_above_chance(trained_tokenizer):
    tok, _ = trained_tokenizer
    torch.manual_seed(1)
    backbone = neurokit.create(
        "backbone", "labram-base", embed_dim=100, out_chans=4, num_heads=4, depth=2
    )
    from neurokit.plugins.models.labram.stages import build_mem

    mem = build_mem(backbone, tok.codebook_size, drop_path_rate=0.0)
    module = MEMPretrainModule(
        mem,
        tok,
        neurokit.create("objective", "masked-token"),
        channel_mapper=backbone.channel_mapper,
        input_scale=0.01,
        mask_ratio=0.5,
        symmetric=True,
        token_budget=256,
    ).train()
    assert not module.tokenizer.training
    assert not any(p.requires_grad for p in module.tokenizer.parameters())
    opt = torch.optim.AdamW(
        [p for p in module.parameters() if p.requires_grad], lr=2e-3, betas=(0.9, 0.98)
    )
    for step in range(60):
        out = module.training_step(rhythms(16, seed=1000 + step))
        opt.zero_grad()
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 3.0)
        opt.step()
    module.eval()
    held_out = rhythms(64, seed=5000)
    with torch.no_grad():
        codes = tok.tokenize(held_out)
        acc = module.evaluation_step(held_out).logs["mlm_acc"].item()
    chance = (
        torch.bincount(codes.flatten()).max().item() / codes.numel()
    )  # always guessing the commonest code
    assert acc > max(2 * chance, chance + 0.1), (acc, chance)


def test_finetune_solves_a_separable_task():
    torch.manual_seed(2)
    model = neurokit.create("backbone", "labram-base", depth=2, num_classes=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    model.train()
    for step in range(40):
        batch = two_classes(16, seed=step)
        logits = model.forward_batch(batch).extras["logits"]
        loss = F.cross_entropy(logits, batch.label, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    test = two_classes(64, seed=777)
    with torch.no_grad():
        pred = model.forward_batch(test).extras["logits"].argmax(-1)
    assert balanced_accuracy(pred, test.label) > 0.9


def test_tokenizer_stage_evaluates_codebook_usage_from_the_real_windows(trained_tokenizer):
    import contextlib

    from neurokit.core.stage import Evaluation

    tok, _ = trained_tokenizer
    objective = neurokit.create("objective", "vq-fourier")
    stage = TokenizerPretrainModule(tok, objective, token_budget=256).eval()
    batches = [rhythms(8, seed=500), rhythms(8, seed=501)]
    # the second batch is padding after its first 3 windows (as the trainer pads for FSDP)
    evaluation = Evaluation(
        split="val",
        batches=lambda: iter([(batches[0], 8), (batches[1], 3)]),
        step=stage.evaluation_step,
        all_reduce_sum=dict,
        gather=lambda rows: rows,
        autocast=contextlib.nullcontext,
        device=torch.device("cpu"),
    )
    with torch.no_grad():
        metrics = stage.evaluate(evaluation)
    real = torch.cat([tok.tokenize(batches[0]), tok.tokenize(batches[1])[:3]])
    counts = torch.bincount(real[real >= 0].flatten(), minlength=64)
    assert metrics["codes_used"] == (counts > 0).sum().item()
    assert metrics["codebook_usage"] == pytest.approx((counts > 0).float().mean().item())
    prob = counts[counts > 0] / counts.sum()
    assert metrics["code_perplexity"] == pytest.approx(torch.exp(-(prob * prob.log()).sum()).item())
    assert metrics["loss"] > 0 and {"rec_loss", "quant_loss"} <= set(metrics)
    assert stage.direction("code_perplexity") == "max" and stage.direction("rec_loss") == "min"
