"""Multi-head self-attention through `scaled_dot_product_attention`.

One module covers the BEiT-v2 family (LaBraM and friends): a single bias-free qkv
projection with optional q/v biases (k's bias is fixed at zero, as in BEiT), optional
per-head q/k LayerNorm, and SDPA so the fused CPU/GPU kernels are used. SDPA's default
scale (head_dim ** -0.5) applied after the q/k norm reproduces the reference math.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    """Self-attention with BEiT-style q/v bias and optional q/k LayerNorm.

    Parameter names (`qkv.weight`, `q_bias`, `v_bias`, `q_norm.*`, `k_norm.*`,
    `proj.*`) are the reference implementation's, so its checkpoints load as they are.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        qkv_bias: bool = False,
        qk_norm: bool = False,
        norm_eps: float = 1e-6,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        if qkv_bias:
            self.q_bias = nn.Parameter(torch.zeros(dim))
            self.v_bias = nn.Parameter(torch.zeros(dim))
        else:
            self.q_bias = self.v_bias = None
        if qk_norm:
            self.q_norm = nn.LayerNorm(self.head_dim, eps=norm_eps)
            self.k_norm = nn.LayerNorm(self.head_dim, eps=norm_eps)
        else:
            self.q_norm = self.k_norm = None
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def _qkv_bias(self) -> torch.Tensor | None:
        if self.q_bias is None:
            return None
        return torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, L, D) -> (B, L, D); `attn_mask` is a bool (B, 1, L|1, L), True = attend."""
        b, n, d = x.shape
        qkv = F.linear(x, self.qkv.weight, self._qkv_bias())
        q, k, v = (
            qkv.reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        )
        if self.q_norm is not None:
            q = self.q_norm(q).type_as(v)
            k = self.k_norm(k).type_as(v)
        drop = self.attn_drop if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=drop)
        out = out.transpose(1, 2).reshape(b, n, d)
        return self.proj_drop(self.proj(out))
