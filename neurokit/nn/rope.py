"""Rotary position embedding (RoPE) over a sequence axis.

Matches the convention of the `rotary-embedding-torch` package that LUNA and other
reference models use: frequencies `theta ** (-2i / dim)` stored as the (non-trained)
parameter `freqs`, so checkpoints that carry `...rotary_emb.freqs` load strictly, and
*interleaved* pairs (features 2i and 2i+1 rotate together).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["RotaryEmbedding", "apply_rotary"]


def apply_rotary(x: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """Rotate interleaved feature pairs of `x` (..., N, dim) by `angles` (N, dim/2).

    The rotation runs in float32 (as the reference does outside autocast) and the
    result is cast back to `x`'s dtype.
    """
    dtype = x.dtype
    rot = angles.shape[-1] * 2
    x32 = x.float()
    head, tail = x32[..., :rot], x32[..., rot:]
    even, odd = head[..., 0::2], head[..., 1::2]
    cos, sin = angles.cos(), angles.sin()
    rotated = torch.stack((even * cos - odd * sin, odd * cos + even * sin), dim=-1).flatten(-2)
    return torch.cat((rotated, tail), dim=-1).to(dtype)


class RotaryEmbedding(nn.Module):
    """RoPE for `dim` features (usually the head dimension): `rotate(t)` on (..., N, dim)."""

    def __init__(self, dim: int, theta: float = 10000.0) -> None:
        super().__init__()
        if dim % 2:
            raise ValueError(f"rotary dimension must be even, got {dim}")
        self.dim = dim
        exponent = torch.arange(0, dim, 2)[: dim // 2].float() / dim
        self.freqs = nn.Parameter(1.0 / (theta**exponent), requires_grad=False)

    def angles(
        self, length: int, device: torch.device | None = None, offset: int = 0
    ) -> torch.Tensor:
        """(length, dim/2) rotation angles for positions offset .. offset+length-1."""
        pos = torch.arange(
            offset, offset + length, device=device or self.freqs.device, dtype=torch.float32
        )
        return pos[:, None] * self.freqs.float()[None, :]

    def rotate(self, t: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """Rotate queries or keys laid out as (..., N, dim) by their position along N."""
        return apply_rotary(t, self.angles(t.shape[-2], t.device, offset))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
