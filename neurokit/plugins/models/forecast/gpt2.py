"""GPT-2 in plain torch with Hugging Face's module names and weight layout.

`GPT2Model` here has the keys of `transformers.GPT2Model` (`wte`, `wpe`, `h.{i}.ln_1`,
`h.{i}.attn.c_attn`, `h.{i}.attn.c_proj`, `h.{i}.ln_2`, `h.{i}.mlp.c_fc`,
`h.{i}.mlp.c_proj`, `ln_f`) and its `Conv1D` layout (weight stored (in, out)), so an HF
state dict loads strictly and the numbers match; `transformers` is not needed. Attention
runs through SDPA, with an optional `KVCache` for generation (positions continue from the
cache length, as HF's `past_key_values` do).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.plugins.models.forecast.config import GPT2Config
from neurokit.plugins.models.forecast.layers import KVCache, attend

ACTIVATIONS = {
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu": F.gelu,
    "relu": F.relu,
}


class Conv1D(nn.Module):
    """HF's linear layer with the weight stored (in_features, out_features)."""

    def __init__(self, nf: int, nx: int) -> None:
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight)
        return out.view(*x.shape[:-1], self.nf)


class GPT2Attention(nn.Module):
    def __init__(self, config: GPT2Config, layer: int) -> None:
        super().__init__()
        self.layer = layer
        self.num_heads = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.scale = config.scale_attn_weights
        self.c_attn = Conv1D(3 * config.n_embd, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, config.n_embd)
        self.attn_dropout = nn.Dropout(config.attn_pdrop)
        self.resid_dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        n, t, e = x.shape
        q, k, v = self.c_attn(x).view(n, t, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        if not self.scale:
            q = q * math.sqrt(self.head_dim)  # cancels SDPA's 1/sqrt(d)
        if cache is not None:
            k, v = cache.update(self.layer, k, v)
        drop = self.attn_dropout.p if self.training else 0.0
        out = attend(q, k, v, causal=True, dropout=drop)
        out = out.transpose(1, 2).reshape(n, t, e)
        return self.resid_dropout(self.c_proj(out))


class GPT2MLP(nn.Module):
    def __init__(self, config: GPT2Config) -> None:
        super().__init__()
        inner = config.n_inner or 4 * config.n_embd
        self.c_fc = Conv1D(inner, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, inner)
        self.act = ACTIVATIONS[config.activation_function]
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.act(self.c_fc(x))))


class GPT2Block(nn.Module):
    def __init__(self, config: GPT2Config, layer: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = GPT2Attention(config, layer)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = GPT2MLP(config)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    """HF `GPT2Model` fed through `inputs_embeds` (what GPT2MEG uses; `wte` is stored, unused)."""

    def __init__(self, config: GPT2Config) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.n_positions, config.n_embd)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList(GPT2Block(config, i) for i in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self._init_weights(config)

    def _init_weights(self, config: GPT2Config) -> None:
        """HF's init: N(0, 0.02) everywhere, residual projections / sqrt(2 n_layer)."""
        std = config.initializer_range
        for module in self.modules():
            if isinstance(module, (nn.Embedding, Conv1D)):
                nn.init.normal_(module.weight, std=std)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, std=std / math.sqrt(2 * config.n_layer))

    def forward(self, inputs_embeds: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """(N, T, E) -> last hidden state (N, T, E); positions start at the cache length."""
        start = cache.length if cache is not None else 0
        t = inputs_embeds.shape[1]
        if start + t > self.config.n_positions:
            raise ValueError(
                f"{start + t} steps exceed the context of {self.config.n_positions} positions"
            )
        pos = torch.arange(start, start + t, device=inputs_embeds.device)
        x = self.drop(inputs_embeds + self.wpe(pos))
        for block in self.h:
            x = block(x, cache)
        if cache is not None:
            cache.advance(t)
        return self.ln_f(x)
