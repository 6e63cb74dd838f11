"""Transformer building blocks shared by the model plugins (timm/BEiT conventions).

Parameter names follow timm and BEiT-v2 (`fc1`/`fc2`, `norm1`/`norm2`, `gamma_1`/`gamma_2`)
so that checkpoints of the reference implementations load without renaming.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from neurokit.nn.attention import Attention

__all__ = [
    "Attention",
    "Block",
    "DropPath",
    "Mlp",
    "drop_path",
    "init_transformer_weights_",
    "rescale_residual_",
    "trunc_normal_",
]


def trunc_normal_(tensor: torch.Tensor, std: float = 0.02) -> torch.Tensor:
    """Truncated normal init at +-2 (absolute), timm's default."""
    return nn.init.trunc_normal_(tensor, mean=0.0, std=std, a=-2.0, b=2.0)


def drop_path(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Stochastic depth: zero whole samples of a residual branch with probability `p`."""
    if p == 0.0 or not training:
        return x
    keep = 1.0 - p
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    mask = x.new_empty(shape).bernoulli_(keep)
    return x * mask / keep


class DropPath(nn.Module):
    """Stochastic depth per sample on a residual branch (identity in eval)."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Mlp(nn.Module):
    """fc1 -> activation -> [dropout] -> [norm] -> fc2 -> dropout.

    The defaults are BEiT's (no dropout or norm between fc1 and fc2). `hidden_drop` (even
    0.0) adds timm's dropout after the activation and `norm_layer` timm's norm over the
    hidden features (key `norm.*`), as LUNA's official checkpoints have.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int | None = None,
        out_features: int | None = None,
        act_layer: type[nn.Module] = nn.GELU,
        drop: float = 0.0,
        bias: bool = True,
        hidden_drop: float | None = None,
        norm_layer: Callable[[int], nn.Module] | None = None,
    ) -> None:
        super().__init__()
        hidden_features = hidden_features or in_features
        out_features = out_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features, bias=bias)
        self.act = act_layer()
        self.hidden_drop = None if hidden_drop is None else nn.Dropout(hidden_drop)
        self.norm = None if norm_layer is None else norm_layer(hidden_features)
        self.fc2 = nn.Linear(hidden_features, out_features, bias=bias)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.fc1(x))
        if self.hidden_drop is not None:
            x = self.hidden_drop(x)
        if self.norm is not None:
            x = self.norm(x)
        return self.drop(self.fc2(x))


class Block(nn.Module):
    """Pre-norm transformer block with optional layer scale (BEiT-v2 style).

    `init_values > 0` adds the learnable per-feature scales `gamma_1`/`gamma_2` on both
    residual branches; 0 leaves them out (and out of the state dict).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = False,
        qk_norm: bool = False,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        init_values: float = 0.0,
        norm_eps: float = 1e-6,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = Attention(
            dim,
            num_heads,
            qkv_bias=qkv_bias,
            qk_norm=qk_norm,
            norm_eps=norm_eps,
            attn_drop=attn_drop,
            proj_drop=drop,
        )
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)
        if init_values > 0:
            self.gamma_1 = nn.Parameter(torch.full((dim,), float(init_values)))
            self.gamma_2 = nn.Parameter(torch.full((dim,), float(init_values)))
        else:
            self.gamma_1 = self.gamma_2 = None

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        y = self.attn(self.norm1(x), attn_mask)
        if self.gamma_1 is not None:
            y = self.gamma_1 * y
        x = x + self.drop_path(y)
        y = self.mlp(self.norm2(x))
        if self.gamma_2 is not None:
            y = self.gamma_2 * y
        return x + self.drop_path(y)


def init_transformer_weights_(module: nn.Module, std: float = 0.02) -> None:
    """timm ViT init: truncated-normal Linear weights, zero biases, unit LayerNorms."""
    if isinstance(module, nn.Linear):
        trunc_normal_(module.weight, std=std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def rescale_residual_(blocks: nn.ModuleList) -> None:
    """Divide each block's residual output projections by sqrt(2 * depth index) (BEiT)."""
    with torch.no_grad():
        for layer_id, block in enumerate(blocks, start=1):
            block.attn.proj.weight.div_(math.sqrt(2.0 * layer_id))
            block.mlp.fc2.weight.div_(math.sqrt(2.0 * layer_id))
