"""mu-law tokens and the per-channel scaling in front of them (ephys_gpt's stage 2).

Official rounding and clamping (`ephys_gpt/utils/quantizers.py`, `mulaw_torch`): x is
clamped to +-0.999, companded `sign(x) log1p(mu |x|) / log1p(mu)`, mapped to
`c * mu/2 + mu/2 + 0.5` and truncated (`.long()`), so codes lie in [0, mu]; the inverse
maps a code k to `2k/mu - 1` and expands `sign(y) ((1 + mu)^|y| - 1) / mu`. De-quantise
with the same `mu` (= levels - 1; the official EvalQuant passes the vocabulary size
instead, which is off by one).

Scaling (`ephys_gpt/preprocessing/ephys.py`): per channel RobustScaler (median, IQR of
the 25-75 % range), then clip at mean +- `std_factor` std per channel. The JIT dataset the
GPT2MEG recipe trains on then divides by `max_val` = 5 and tokenises with the clamp above.
`RobustScaling` keeps every parameter so that generated codes go back to signal units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from neurokit.plugins.models.forecast.config import MuLawConfig


def mulaw_encode(x: torch.Tensor, mu: int = 255, clamp: float = 0.999) -> torch.Tensor:
    """Floats (expected in [-1, 1]) -> int64 codes in [0, mu], with the official rounding."""
    x = x.float().clamp(-clamp, clamp)
    compressed = x.sign() * torch.log1p(mu * x.abs()) / math.log1p(mu)
    return (compressed * (mu * 0.5) + mu * 0.5 + 0.5).long()


def mulaw_decode(codes: torch.Tensor, mu: int = 255) -> torch.Tensor:
    """int codes in [0, mu] -> floats in [-1, 1] (official `mulaw_inv_torch`)."""
    y = 2.0 * (codes.float() / float(mu)) - 1.0
    return y.sign() * ((1.0 + mu) ** y.abs() - 1.0) / mu


class MuLawTokenizer:
    """`mulaw`: per-sample mu-law codes; `encode(x)` -> int64, `decode(codes)` -> floats.

    `encode` divides by `max_val` first (the official JIT dataset's `x / max_val`) and
    `decode` multiplies it back, so decode(encode(x)) ~ x for |x| < max_val.
    """

    def __init__(self, mu: int = 255, max_val: float = 1.0, clamp: float = 0.999) -> None:
        self.mu = int(mu)
        self.max_val = float(max_val)
        self.clamp = float(clamp)

    @property
    def codebook_size(self) -> int:
        return self.mu + 1

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return mulaw_encode(x / self.max_val, self.mu, self.clamp)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        return mulaw_decode(codes, self.mu) * self.max_val

    def tokenize(self, batch) -> torch.Tensor:
        """Codes (B, C, T) for a neurokit batch, each window robust-scaled per channel."""
        from neurokit.plugins.models.forecast.inputs import batch_codes

        return batch_codes(batch, self)

    def __repr__(self) -> str:
        return f"MuLawTokenizer(mu={self.mu}, max_val={self.max_val}, clamp={self.clamp})"


def build_mulaw(config: MuLawConfig) -> MuLawTokenizer:
    """mu-law tokenizer (mu 255 or 511) with ephys_gpt's rounding and clamping."""
    return MuLawTokenizer(config.mu, config.max_val, config.clamp)


@dataclass
class RobustScaling:
    """Per-channel robust centre/scale and clip bounds, fitted once and kept for decoding.

    `center`, `scale` are (C,) (RobustScaler's `center_`, `scale_`); `low`, `high` are the
    (C,) clip bounds in scaled units (mean +- std_factor std of the scaled signal).
    """

    center: torch.Tensor
    scale: torch.Tensor
    low: torch.Tensor
    high: torch.Tensor

    @classmethod
    def fit(cls, x: torch.Tensor, std_factor: float = 5.0) -> RobustScaling:
        """Fit on (C, T) (or (..., C, T), stats over the last axis) as the official stage 2."""
        x = x.double()
        center = x.quantile(0.5, dim=-1)  # numpy's percentile, as sklearn uses
        q75 = x.quantile(0.75, dim=-1)
        q25 = x.quantile(0.25, dim=-1)
        scale = q75 - q25
        scale = torch.where(scale == 0, torch.ones_like(scale), scale)  # sklearn's guard
        scaled = (x - center[..., None]) / scale[..., None]
        mean, std = scaled.mean(dim=-1), scaled.std(dim=-1, unbiased=False)
        return cls(
            center.float(),
            scale.float(),
            (mean - std_factor * std).float(),
            (mean + std_factor * std).float(),
        )

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """(…, C, T) signal -> scaled and clipped, in robust units."""
        y = (x - self.center[..., None]) / self.scale[..., None]
        return torch.maximum(torch.minimum(y, self.high[..., None]), self.low[..., None])

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Robust units back to the signal's units (clipping is not undone)."""
        return y * self.scale[..., None] + self.center[..., None]
