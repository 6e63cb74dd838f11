"""mu-law tokens with the official rounding and clamping; robust scaling parameters."""

from __future__ import annotations

import math

import pytest
import torch

import neurokit
from neurokit.plugins.models.forecast.tokenizer import (
    RobustScaling,
    mulaw_decode,
    mulaw_encode,
)


@pytest.mark.parametrize(
    ("mu", "x", "code"),
    [
        (255, 0.0, 128),  # 127.5 + 0.5 truncated
        (255, 1.0, 255),  # clamped to 0.999 first
        (255, -1.0, 0),
        (255, 5.0, 255),
        (255, 0.5, 239),  # ln(128.5)/ln(256) * 127.5 + 128 = 239.65 -> 239 (truncation)
        (255, -0.5, 16),  # -0.8757 * 127.5 + 128 = 16.35 -> 16
        (511, 0.0, 256),
        (511, 1.0, 511),
        (511, -1.0, 0),
    ],
)
def test_official_rounding_and_clamping(mu, x, code):
    assert mulaw_encode(torch.tensor([x]), mu).item() == code


def test_encode_matches_the_formula_everywhere():
    x = torch.linspace(-0.999, 0.999, 2001, dtype=torch.float64)
    for mu in (255, 511):
        expect = [
            int(math.copysign(math.log1p(mu * abs(v)) / math.log1p(mu), v) * mu / 2 + mu / 2 + 0.5)
            for v in x.tolist()
        ]
        got = mulaw_encode(x, mu)
        assert got.dtype == torch.int64
        # float32 companding may flip a code exactly at a bin edge; nowhere else
        assert (got - torch.tensor(expect)).abs().max() <= 1
        assert (got != torch.tensor(expect)).float().mean() < 0.005


@pytest.mark.parametrize("mu", [255, 511])
def test_round_trip(mu):
    tokenizer = neurokit.create("tokenizer", "mulaw", mu=mu)
    assert tokenizer.codebook_size == mu + 1
    codes = torch.arange(mu + 1)
    assert torch.equal(tokenizer.encode(tokenizer.decode(codes)), codes)
    x = torch.linspace(-0.99, 0.99, 1000)
    err = (tokenizer.decode(tokenizer.encode(x)) - x).abs()
    # mu-law steps grow with |x|: relative error bounded by the step at that amplitude
    step = (1 + mu) ** (2 / mu) - 1
    assert (err <= step * x.abs() + 2 / mu).all()


def test_decode_needs_the_right_mu():
    """EvalQuant de-quantises with the vocabulary size instead of size - 1: a visible error."""
    codes = torch.arange(256)
    right = mulaw_decode(codes, 255)
    wrong = mulaw_decode(codes, 256)
    assert right[0] == -1 and right[-1] == 1
    assert (right - wrong).abs().max() > 1e-2


def test_max_val_scales_like_the_jit_dataset():
    tokenizer = neurokit.create("tokenizer", "mulaw", mu=511, max_val=5.0)
    x = torch.tensor([-7.0, -2.5, 0.0, 2.5, 7.0])
    assert torch.equal(tokenizer.encode(x), mulaw_encode(x / 5.0, 511))
    assert torch.allclose(tokenizer.decode(tokenizer.encode(x))[1:4], x[1:4], atol=0.05)


def test_robust_scaling_matches_sklearn_and_inverts():
    from sklearn.preprocessing import RobustScaler

    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 500, generator=g) * torch.tensor([[1e-12], [3e-12], [0.5e-12]])
    x[1, 10] = 1e-9  # an outlier the clip must catch
    scaling = RobustScaling.fit(x, std_factor=5.0)
    ref = RobustScaler().fit(x.double().numpy().T)
    torch.testing.assert_close(
        scaling.center.double(), torch.from_numpy(ref.center_), rtol=1e-5, atol=0
    )
    torch.testing.assert_close(
        scaling.scale.double(), torch.from_numpy(ref.scale_), rtol=1e-5, atol=0
    )
    y = scaling.transform(x)
    assert y[1, 10] == scaling.high[1] and (y <= scaling.high[:, None]).all()
    keep = (y > scaling.low[:, None]) & (y < scaling.high[:, None])
    torch.testing.assert_close(scaling.inverse(y)[keep], x[keep], rtol=1e-4, atol=1e-18)
