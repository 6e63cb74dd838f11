"""LUNA's building blocks, with the reference implementation's parameter names.

Attention runs through `scaled_dot_product_attention` unless the head-averaged map
is wanted (the query-specialisation loss needs it), and takes a key mask so padded
channels never receive attention. Names (`in_proj_weight`, `out_proj`, `linear1`,
`norm1`, `fc1`/`norm`/`fc2`) are those of torch's nn.MultiheadAttention /
nn.Transformer*Layer and timm's Mlp, which the official checkpoints use. DropPath and
Mlp (with its optional norm) are neurokit.nn's.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.nn.layers import DropPath, Mlp
from neurokit.nn.rope import RotaryEmbedding, apply_rotary


class MultiheadAttention(nn.Module):
    """Batch-first multi-head attention, state-dict compatible with nn.MultiheadAttention."""

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by {num_heads} heads")
        self.dim, self.num_heads, self.dropout = dim, num_heads, dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def _heads(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        n, length, _ = x.shape
        return F.linear(x, w, b).view(n, length, self.num_heads, -1).transpose(1, 2)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        key_mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """query (N, L, E), key/value (N, S, E), key_mask (N, S) True = attend.

        Returns the output (N, L, E) and, with `need_weights`, the attention map
        averaged over heads (N, L, S), taken before attention dropout.
        """
        wq, wk, wv = self.in_proj_weight.chunk(3)
        bq, bk, bv = self.in_proj_bias.chunk(3)
        q, k, v = self._heads(query, wq, bq), self._heads(key, wk, bk), self._heads(value, wv, bv)
        mask = None if key_mask is None else key_mask[:, None, None, :]
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            scores = (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.transpose(-2, -1)
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            attn = scores.softmax(dim=-1)
            weights = attn.mean(dim=1)
            out = F.dropout(attn, p, self.training) @ v
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        out = out.transpose(1, 2).reshape(query.shape[0], query.shape[1], self.dim)
        return self.out_proj(out), weights


class EncoderLayer(nn.Module):
    """Pre-norm self-attention + GELU feed-forward (nn.TransformerEncoderLayer, norm_first)."""

    def __init__(self, dim: int, num_heads: int, ff_dim: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(dim, num_heads, dropout)
        self.linear1 = nn.Linear(dim, ff_dim)
        self.linear2 = nn.Linear(ff_dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.dropout1(self.self_attn(h, h, h)[0])
        h = self.linear2(self.dropout(F.gelu(self.linear1(self.norm2(x)))))
        return x + self.dropout2(h)


class DecoderLayer(nn.Module):
    """Pre-norm decoder layer (nn.TransformerDecoderLayer, norm_first, GELU, no causal mask).

    `tgt_mask` (N, L) marks the real target tokens (channels), so padded channels
    take no part in the self-attention.
    """

    def __init__(self, dim: int, num_heads: int, ff_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(dim, num_heads, dropout)
        self.multihead_attn = MultiheadAttention(dim, num_heads, dropout)
        self.linear1 = nn.Linear(dim, ff_dim)
        self.linear2 = nn.Linear(ff_dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.dropout1(self.self_attn(h, h, h, key_mask=tgt_mask)[0])
        h = self.norm2(x)
        x = x + self.dropout2(self.multihead_attn(h, memory, memory)[0])
        h = self.linear2(self.dropout(F.gelu(self.linear1(self.norm3(x)))))
        return x + self.dropout3(h)


class RotaryAttention(nn.Module):
    """Self-attention over patches with RoPE on queries and keys (official `attn`)."""

    def __init__(
        self, dim: int, num_heads: int, attn_drop: float = 0.0, proj_drop: float = 0.0
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.rotary_emb = RotaryEmbedding(dim // num_heads)
        self.qkv_proj = nn.Linear(dim, 3 * dim)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = (
            self.qkv_proj(x)
            .view(b, n, 3, self.num_heads, d // self.num_heads)
            .permute(2, 0, 3, 1, 4)
        )
        angles = self.rotary_emb.angles(n, x.device)
        q, k = apply_rotary(q, angles), apply_rotary(k, angles)
        p = self.attn_drop if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(b, n, d)))


class RotaryBlock(nn.Module):
    """Pre-norm temporal transformer block: RoPE attention + fc1/GELU/LayerNorm/fc2 MLP."""

    def __init__(
        self, dim: int, num_heads: int, mlp_ratio: float = 4.0, drop_path: float = 0.0
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = RotaryAttention(dim, num_heads)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.drop_path2 = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), dim, hidden_drop=0.0, norm_layer=nn.LayerNorm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.attn(self.norm1(x)))
        return x + self.drop_path2(self.mlp(self.norm2(x)))
