"""Small configs and a forecastable synthetic MEG-like signal for the forecaster tests."""

from __future__ import annotations

import math

import torch

from neurokit.plugins.models.forecast.tokenizer import mulaw_encode

TINY = {
    "gpt2meg": dict(
        num_channels=4,
        gpt2_config=dict(vocab_size=256, n_positions=64, n_embd=32, n_layer=2, n_head=4),
        embedding_args=dict(quant_emb=32, channel_emb=32),
    ),
    "stgpt2meg": dict(
        num_channels=4,
        vocab_size=256,
        d_model=32,
        layers=2,
        trf_args=dict(attn_args=dict(d_model=32, nheads=4), mlp_args=dict(d_model=32)),
    ),
    "wavenet-fullchannel": dict(
        in_channels=4,
        head_channels=32,
        kernel_size=2,
        dilations=[1, 2, 4, 8],
        quant_levels=256,
        quant_emb=16,
        residual_channels=16,
        dilation_channels=16,
        skip_channels=32,
    ),
}


def oscillations(
    n: int, channels: int = 4, steps: int = 64, sfreq: float = 100.0, seed: int = 0
) -> torch.Tensor:
    """(n, channels, steps) floats in about [-0.8, 0.8]: two mixed rhythms + a little noise.

    Two sources (an alpha-like 6-9 Hz and a slower 2-4 Hz rhythm, random phase and
    frequency per window) are mixed into the channels by one fixed matrix, so the channels
    covary; the next sample is nearly a linear function of the last few.
    """
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(steps) / sfreq
    f1 = 6 + 3 * torch.rand(n, 1, generator=g)
    f2 = 2 + 2 * torch.rand(n, 1, generator=g)
    p1, p2 = 2 * math.pi * torch.rand(2, n, 1, generator=g)
    sources = torch.stack(
        [torch.sin(2 * math.pi * f1 * t + p1), torch.sin(2 * math.pi * f2 * t + p2)], dim=1
    )  # n x 2 x steps
    mixing = torch.randn(channels, 2, generator=torch.Generator().manual_seed(1))
    x = torch.einsum("cs,nst->nct", mixing, sources)
    x = x + 0.003 * torch.randn(x.shape, generator=g)
    return 0.8 * x / x.abs().amax(dim=(0, 2), keepdim=True)


def oscillation_codes(n: int, seed: int = 0, **kw) -> torch.Tensor:
    return mulaw_encode(oscillations(n, seed=seed, **kw), 255)
