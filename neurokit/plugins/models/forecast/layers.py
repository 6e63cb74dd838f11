"""Pieces shared by the forecasters: the official `Embeddings` table set and a KV cache.

`Embeddings` keeps ephys_gpt's names (`quant_emb`, `channel_emb`, `cond_emb`,
`subject_emb`) and output layout ((B*C, T, E): channels folded into the batch). It accepts
a subset of the channels (C <= num_channels, rows picked by `ids`), which the official
code only does when `ids` is given.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Embeddings(nn.Module):
    """Token + channel + condition (id 0 masked to zero) + subject embeddings, summed."""

    def __init__(
        self,
        num_channels: int,
        quant_levels: int,
        quant_emb: int,
        num_classes: int = 0,
        class_emb: int = 0,
        channel_emb: int = 0,
        subjects: int = 0,
        sub_emb: int = 0,
    ) -> None:
        super().__init__()
        self.num_channels = num_channels
        self.quant_emb = nn.Embedding(quant_levels, quant_emb)
        self.cond_emb = nn.Embedding(num_classes, class_emb) if class_emb > 0 else None
        self.channel_emb = nn.Embedding(num_channels, channel_emb) if channel_emb > 0 else None
        self.subject_emb = nn.Embedding(subjects, sub_emb) if sub_emb > 0 else None
        for module in self.modules():
            if isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(
        self,
        x: torch.Tensor,
        ids: torch.Tensor | None = None,
        cond: torch.Tensor | None = None,
        sid: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x (B, C, T) int codes; ids (C,) channel rows; cond (B, 1, T); sid (B,) or (B, 1, 1)."""
        if isinstance(x, (tuple, list)):
            x, cond = x
        channels, steps = x.shape[1], x.shape[2]
        out = self.quant_emb(x)  # B x C x T x E
        if self.channel_emb is not None:
            if ids is None:
                ids = torch.arange(channels, device=x.device)
            ch = self.channel_emb(torch.as_tensor(ids, device=x.device))  # C x E
            out = out + ch[None, :, None, :]
        if self.cond_emb is not None and cond is not None:
            emb = self.cond_emb(cond) * (cond.unsqueeze(-1) > 0).to(out.dtype)  # B x 1 x T x E
            out = out + emb
        if self.subject_emb is not None and sid is not None:
            sid = sid.reshape(sid.shape[0], 1, -1) if sid.dim() < 3 else sid
            out = out + self.subject_emb(sid)
        return out.reshape(-1, steps, out.shape[-1])


class KVCache:
    """Keys and values per layer, preallocated to `max_len` steps; grows by `advance`.

    Layers call `update(layer, k, v)` with the new steps' (N, H, T, D) keys and values and
    get every cached step back (views, no copy); the model calls `advance(T)` once all its
    layers have seen the T new steps.
    """

    def __init__(self, num_layers: int, max_len: int) -> None:
        self.max_len = max_len
        self.length = 0
        self.keys: list[torch.Tensor | None] = [None] * num_layers
        self.values: list[torch.Tensor | None] = [None] * num_layers

    def update(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        start, end = self.length, self.length + k.shape[-2]
        if end > self.max_len:
            raise ValueError(f"KV cache holds {self.max_len} steps; {end} were asked for")
        if self.keys[layer] is None:
            shape = (*k.shape[:-2], self.max_len, k.shape[-1])
            self.keys[layer] = k.new_empty(shape)
            self.values[layer] = v.new_empty(shape)
        self.keys[layer][..., start:end, :] = k
        self.values[layer][..., start:end, :] = v
        return self.keys[layer][..., :end, :], self.values[layer][..., :end, :]

    def advance(self, steps: int) -> None:
        self.length += steps

    def reset(self) -> None:
        self.length = 0


def attend(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool, dropout: float = 0.0
) -> torch.Tensor:
    """SDPA of q (N, H, Tq, D) on k, v (N, H, Tk, D); causal with the queries last in time."""
    tq, tk = q.shape[-2], k.shape[-2]
    if not causal or tq == 1:
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout)
    if tq == tk:
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)
    mask = torch.ones(tq, tk, dtype=torch.bool, device=q.device).tril(tk - tq)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
