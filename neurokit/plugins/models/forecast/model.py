"""GPT2MEG, STGPT2MEG and WavenetFullChannel with ephys_gpt's structure and key names.

Each keeps the official constructor arguments, forward signature and output convention:
int64 codes (B, C, T) in, logits (B, C, T, V) out (classes last), output t predicting
token t+1. Official sources (ricsinaruto/brain-forecast @d5caa40): legacy/models/gpt2meg.py,
ephys_gpt/models/stgpt2meg.py + layers/st_blocks.py, ephys_gpt/models/wavenet.py.

Official behaviour kept on purpose because outputs on official weights depend on it:
- STGPTBlock returns `xs + x`: the block input is added a second time on top of the
  residual stream (x + attention/MLP updates), so each block doubles its input.
- WavenetFullChannel feeds *every* layer the token embedding (the loop passes `x`, never
  the previous layer's output), so the layers are parallel taps, not a stack, and the
  receptive field is (k-1) * max(dilations) + 1 = 129 steps, not 511. `stack_layers=True`
  gives the textbook stack instead (not loadable from official checkpoints).

Extensions (superset of the official calls): a channel subset with `chid` rows, a
`KVCache` for the GPTs, `chid` for the WaveNet, and neurokit's backbone contract
(`num_features`, `forward_batch`, `reset_classifier`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.core.interfaces import BackboneOutput
from neurokit.nn.rope import apply_rotary
from neurokit.plugins.models.forecast.config import (
    AttnArgs,
    EmbeddingArgs,
    GPT2Config,
    MlpArgs,
    STEmbeddingArgs,
    TrfArgs,
)
from neurokit.plugins.models.forecast.gpt2 import GPT2Model
from neurokit.plugins.models.forecast.layers import Embeddings, KVCache, attend


def _as_model(cls, value):
    if value is None or isinstance(value, cls):
        return value if value is not None else cls()
    return cls(**dict(value))


class ForecastBackbone(nn.Module):
    """neurokit's side of a forecaster: features, a pooled vector, an optional classifier.

    Subclasses implement `features(codes, chid) -> (hidden (B, C, T, F), logits (B, C, T, V))`
    and set `num_features`, `vocab_size`, `context` (steps a batch is cropped to, or None).
    """

    num_features: int
    vocab_size: int
    context: int | None = None
    channel_names: list[str] | None = None
    max_channels: int
    scaling: Any = None  # a ScalingTable (per-recording robust scaling) set by the task

    def _init_classifier(self, num_classes: int) -> None:
        self.classifier = nn.Linear(self.num_features, num_classes) if num_classes > 0 else None

    def reset_classifier(self, num_classes: int) -> None:
        """A fresh linear classifier on the pooled features (0 removes it)."""
        device = next(self.parameters()).device
        self._init_classifier(num_classes)
        if self.classifier is not None:
            self.classifier.to(device)

    def features(self, codes: torch.Tensor, chid: torch.Tensor | None):
        raise NotImplementedError

    def forward_batch(self, batch: Any) -> BackboneOutput:
        """Tokenise a neurokit batch, run the model; next-step logits sit in extras.

        extras: `next_token_logits` (B, C, T, V), `codes` (B, C, T) (the inputs; targets are
        codes shifted by one), `channel_mask` (B, C), `features` (B, C, T, F), and `logits`
        (B, K) when a classifier is set. `pooled` is the mean feature over real channels and
        steps.
        """
        from neurokit.plugins.models.forecast.inputs import prepare_batch

        if self.scaling is not None:
            batch = self.scaling.attach(batch)
        codes, chid, mask = prepare_batch(batch, self)
        hidden, logits = self.features(codes, chid)
        weights = mask.to(hidden.dtype)[:, :, None, None]
        pooled = (hidden * weights).sum(dim=(1, 2)) / (weights.sum(dim=(1, 2)) * hidden.shape[2])
        extras = {
            "next_token_logits": logits,
            "codes": codes,
            "channel_mask": mask,
            "features": hidden,
        }
        if self.classifier is not None:
            extras["logits"] = self.classifier(pooled)
        return BackboneOutput(pooled=pooled, extras=extras)

    def begin_recording(self, data: Any, task_options: dict[str, Any]) -> None:
        """Deployment (neurokit.deploy), before one recording's windows: a run trained with
        `scaling: recording` scales by statistics of the whole recording (C, T), fitted here
        as its store's were; otherwise (or `data` None: no recording) each window by its own."""
        self._recording_scaling = None
        if data is not None and task_options.get("scaling", "recording") == "recording":
            from neurokit.plugins.models.forecast.scaling import fit_recording

            fitted = fit_recording(data)
            self._recording_scaling = [
                torch.tensor(fitted[k], dtype=torch.float32)
                for k in ("center", "scale", "low", "high")
            ]

    def deployment_notes(self, task_options: dict[str, Any]) -> list[str]:
        """What the model card must say (neurokit.deploy): where deployment scales
        differently from training."""
        if task_options.get("scaling", "recording") != "recording":
            return []
        return [
            "Trained on recordings scaled by their own robust statistics (median and IQR "
            "over the whole recording, then clipped). `neurokit predict` fits them on each "
            "recording as the store was fitted; a stream, and this exported graph, see one "
            "window at a time and scale each window by its own statistics, so their "
            "probabilities can differ slightly from offline prediction"
        ]

    def forward_windows(
        self, x: torch.Tensor, channel_names: list[str], positions: torch.Tensor, sfreq: float
    ) -> BackboneOutput:
        """Deployment entry (neurokit.deploy): windows (B, C, T) sharing `channel_names`,
        through `forward_batch`, scaled by the recording's statistics (`begin_recording`)
        or, without them (streaming, exported graphs), per window."""
        from types import SimpleNamespace

        from neurokit.plugins.models.forecast.inputs import EXTRA_KEYS

        fitted = getattr(self, "_recording_scaling", None)
        extras = {}
        if fitted is not None:
            extras = {k: v.to(x.device) for k, v in zip(EXTRA_KEYS, fitted, strict=True)}
        mask = torch.ones(x.shape[0], x.shape[1], dtype=torch.bool, device=x.device)
        batch = SimpleNamespace(
            signal=x, channel_mask=mask, channel_names=[list(channel_names)], extras=extras,
            recording=[],
        )  # fmt: skip
        return self.forward_batch(batch)


# --------------------------------------------------------------------------- GPT2MEG


class GPT2MEG(ForecastBackbone):
    """GPT-2 over mu-law tokens, channels folded into the batch (no cross-channel attention)."""

    NEW_NAMES = ["head", "cond_emb", "quant_emb", "ch_emb"]

    def __init__(
        self,
        num_channels: int,
        gpt2_config: dict | GPT2Config,
        embedding_args: dict | EmbeddingArgs,
        num_classes: int = 0,
        channel_names: list[str] | None = None,
    ) -> None:
        super().__init__()
        config = _as_model(GPT2Config, gpt2_config)
        emb = _as_model(EmbeddingArgs, embedding_args).model_dump(exclude={"quant_levels"})
        self.quant_levels = config.vocab_size
        self.num_channels = num_channels
        self.gpt2 = GPT2Model(config)
        self.embeddings = Embeddings(num_channels, quant_levels=self.quant_levels, **emb)
        self.head = nn.Linear(config.n_embd, self.quant_levels, bias=False)
        self.num_features, self.vocab_size = config.n_embd, config.vocab_size
        self.context, self.max_channels = config.n_positions, num_channels
        self.channel_names = channel_names
        self._init_classifier(num_classes)

    def new_cache(self) -> KVCache:
        return KVCache(len(self.gpt2.h), self.gpt2.config.n_positions)

    def forward(
        self,
        x: torch.Tensor,
        chid: torch.Tensor | None = None,
        cond: torch.Tensor | None = None,
        sid: torch.Tensor | None = None,
        past_key_values: KVCache | None = None,
        *,
        return_hidden: bool = False,
    ):
        """(B, C, T) codes -> (B, C, T, V); `(logits, cache)` when a cache is passed."""
        channels = x[0].shape[1] if isinstance(x, (tuple, list)) else x.shape[1]
        h = self.gpt2(self.embeddings(x, chid, cond, sid), past_key_values)
        logits = self.head(h).reshape(-1, channels, h.shape[1], self.quant_levels)
        if return_hidden:
            return h.reshape(-1, channels, *h.shape[1:]), logits
        return logits if past_key_values is None else (logits, past_key_values)

    def features(self, codes, chid):
        return self.forward(codes, chid, return_hidden=True)


# ------------------------------------------------------------------------- STGPT2MEG


class MultiHeadAttention(nn.Module):
    """ephys_gpt's attention: packed qkv, interleaved RoPE (GPT-J pairs), SDPA, out_proj."""

    def __init__(
        self,
        d_model: int,
        nheads: int,
        dropout: float = 0.0,
        bias: bool = True,
        rope: bool = False,
        rope_base: float = 10000.0,
    ) -> None:
        super().__init__()
        self.nheads, self.dropout, self.rope = nheads, dropout, rope
        self.E_head = d_model // nheads
        self.packed_proj = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        self.drop = nn.Dropout(dropout)
        d_rot = (self.E_head // 2) * 2
        inv = 1.0 / (rope_base ** (torch.arange(0, d_rot, 2, dtype=torch.float32) / d_rot))
        self.register_buffer("inv_freq_t", inv, persistent=False)

    def forward(
        self,
        x: torch.Tensor,
        causal: bool = False,
        cache: KVCache | None = None,
        layer: int = 0,
    ) -> torch.Tensor:
        """x (N, L, d) self-attention; with a cache, x holds the new steps only."""
        n, length, d = x.shape
        q, k, v = (
            self.packed_proj(x).view(n, length, 3, self.nheads, self.E_head).permute(2, 0, 3, 1, 4)
        )
        start = cache.length if cache is not None else 0
        if self.rope and self.inv_freq_t.numel():
            pos = torch.arange(start, start + length, device=x.device, dtype=torch.float32)
            angles = pos[:, None] * self.inv_freq_t[None, :]
            q, k = apply_rotary(q, angles), apply_rotary(k, angles)
        if cache is not None:
            k, v = cache.update(layer, k, v)
        out = attend(q, k, v, causal, self.dropout if self.training else 0.0)
        return self.drop(self.out_proj(out.transpose(1, 2).reshape(n, length, d)))


class AttentionBlock(nn.Module):
    """RMSNorm -> attention -> residual."""

    def __init__(self, attn_args: AttnArgs) -> None:
        super().__init__()
        self.attn = MultiHeadAttention(**attn_args.model_dump())
        self.dropout = nn.Dropout(attn_args.dropout)  # official: defined, never applied
        self.norm = nn.RMSNorm(attn_args.d_model)

    def forward(self, x, causal=False, cache: KVCache | None = None, layer: int = 0):
        return x + self.attn(self.norm(x), causal, cache, layer)


class MLP(nn.Module):
    """RMSNorm -> fc1 -> exact GELU -> fc2 -> residual."""

    def __init__(self, d_model: int, d_ff: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        d_ff = d_ff or 4 * d_model
        self.norm = nn.RMSNorm(d_model)
        self.fc1 = nn.Linear(d_model, d_ff)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(d_ff, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop(self.fc2(self.drop(self.act(self.fc1(self.norm(x))))))


class STGPTBlock(nn.Module):
    """Causal attention + MLP over time per channel, then full attention + MLP over channels."""

    def __init__(self, attn_args: AttnArgs, mlp_args: MlpArgs, **_: Any) -> None:
        super().__init__()
        self.temporal_attn = AttentionBlock(attn_args)
        self.spatial_attn = AttentionBlock(attn_args)
        self.spatial_mlp = MLP(**mlp_args.model_dump())
        self.temporal_mlp = MLP(**mlp_args.model_dump())

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0):
        b, c, t, m = x.shape
        xt = self.temporal_attn(x.reshape(b * c, t, m), causal=True, cache=cache, layer=layer)
        xt = self.temporal_mlp(xt).reshape(b, c, t, m)
        xs = xt.transpose(1, 2).reshape(b * t, c, m)
        xs = self.spatial_mlp(self.spatial_attn(xs, causal=False))
        return xs.reshape(b, t, c, m).transpose(1, 2) + x  # official: the input added again


class STGPT2MEG(ForecastBackbone):
    """Spatio-temporal GPT: per block causal attention over time and full attention over channels."""

    def __init__(
        self,
        num_channels: int,
        vocab_size: int,
        d_model: int,
        layers: int,
        trf_args: dict | TrfArgs,
        embedding_args: dict | STEmbeddingArgs | None = None,
        trf_block: str = "STGPTBlock",
        num_classes: int = 0,
        channel_names: list[str] | None = None,
        context: int | None = None,
    ) -> None:
        super().__init__()
        if trf_block != "STGPTBlock":
            raise ValueError(f"trf_block {trf_block!r} is not ported (only STGPTBlock)")
        trf = _as_model(TrfArgs, trf_args)
        extra = _as_model(STEmbeddingArgs, embedding_args).model_dump()
        self.num_channels, self.quant_levels = num_channels, vocab_size
        self.blocks = nn.ModuleList(STGPTBlock(trf.attn_args, trf.mlp_args) for _ in range(layers))
        self.norm = nn.RMSNorm(d_model)
        self.embeddings = Embeddings(
            num_channels, quant_levels=vocab_size, quant_emb=d_model, channel_emb=d_model, **extra
        )
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.num_features, self.vocab_size = d_model, vocab_size
        self.context, self.max_channels = context, num_channels
        self.channel_names = channel_names
        self._init_classifier(num_classes)

    def new_cache(self, max_len: int) -> KVCache:
        return KVCache(len(self.blocks), max_len)

    def forward(
        self,
        x: torch.Tensor,
        chid: torch.Tensor | None = None,
        cond: torch.Tensor | None = None,
        sid: torch.Tensor | None = None,
        return_logits: bool = True,
        *,
        past_key_values: KVCache | None = None,
    ) -> torch.Tensor:
        """(B, C, T) codes -> logits (B, C, T, V), or hidden (B, C, T, d) if not return_logits."""
        channels = x[0].shape[1] if isinstance(x, (tuple, list)) else x.shape[1]
        h = self.embeddings(x, chid, cond, sid)
        h = h.reshape(-1, channels, *h.shape[1:])
        for i, block in enumerate(self.blocks):
            h = block(h, past_key_values, i)
        if past_key_values is not None:
            past_key_values.advance(h.shape[2])
        h = self.norm(h)
        return self.head(h) if return_logits else h

    def features(self, codes, chid):
        h = self.forward(codes, chid, return_logits=False)
        return h, self.head(h)


# --------------------------------------------------------------------------- WaveNet


class WavenetLayer(nn.Module):
    """Gated dilated causal conv (tanh x sigmoid) with residual and skip 1x1 convs."""

    def __init__(
        self,
        kernel_size: int,
        dilation: int,
        dilation_channels: int,
        residual_channels: int,
        skip_channels: int,
        dropout: float = 0.0,
        cond_channels: int | None = None,
        in_channels: int | None = None,
        bias: bool = True,
    ) -> None:
        super().__init__()
        in_channels = in_channels or residual_channels
        self.kernel_size, self.dilation = kernel_size, dilation
        self.dilation_channels, self.cond_channels = dilation_channels, cond_channels
        self.causal_left_pad = (kernel_size - 1) * dilation
        self.conv_dilation = nn.Conv1d(
            in_channels, 2 * dilation_channels, kernel_size, dilation=dilation, bias=bias
        )
        self.conv_res = nn.Conv1d(dilation_channels, residual_channels, 1, bias=bias)
        self.conv_skip = nn.Conv1d(dilation_channels, skip_channels, 1, bias=bias)
        self.conv_cond = (
            nn.Conv1d(cond_channels, 2 * dilation_channels, 1, bias=bias)
            if cond_channels is not None
            else None
        )
        self.conv_input = (
            nn.Conv1d(in_channels, residual_channels, 1, bias=bias)
            if in_channels != residual_channels
            else None
        )
        self.dropout = nn.Dropout1d(p=dropout)

    def gate(self, pre: torch.Tensor, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Pre-activations (N, 2D, T) -> (residual update, skip)."""
        if self.cond_channels:
            if c is None:
                raise ValueError("this WaveNet is conditioned: pass `condition`")
            pre = pre + self.conv_cond(c[:, :, -pre.shape[-1] :])
        d = self.dilation_channels
        h = torch.sigmoid(pre[:, d:]) * torch.tanh(pre[:, :d])
        return self.conv_res(h), self.conv_skip(h)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None):
        res, skip = self.gate(self.conv_dilation(F.pad(x, (self.causal_left_pad, 0))), c)
        if self.conv_input is not None:
            x = self.conv_input(x)
        return self.dropout(x + res), skip


class EmbeddingLayer(nn.Module):
    """A token table per channel (C, Q, E) plus the optional condition table."""

    def __init__(
        self, in_channels: int, quant_emb: int, quant_levels: int, num_classes=0, class_emb=0
    ) -> None:
        super().__init__()
        self.quant_levels = quant_levels
        self.cond_emb = nn.Embedding(num_classes, class_emb) if num_classes > 0 else None
        self.quant_emb = nn.Parameter(torch.randn(in_channels, quant_levels, quant_emb))

    def forward(self, x, condition=None, chid=None):
        """x (B, C, T) -> embeddings (B*C, E, T) and condition (B*C, E_c, T) or None."""
        b, c, t = x.shape
        rows = torch.arange(c, device=x.device) if chid is None else torch.as_tensor(chid)
        emb = self.quant_emb[rows.to(x.device)[None, :, None], x]  # B x C x T x E
        cond = None
        if condition is not None:
            ids = condition.squeeze(1)
            cond = self.cond_emb(ids).permute(0, 2, 1) * (condition > 0).to(emb.dtype)
            cond = cond.unsqueeze(1).expand(-1, c, -1, -1).reshape(b * c, -1, t)
        return emb.permute(0, 1, 3, 2).reshape(b * c, -1, t), cond


class WavenetLogitsHead(nn.Module):
    """sum of skips -> LeakyReLU -> 1x1 -> LeakyReLU -> 1x1 to the vocabulary."""

    def __init__(self, skip_channels, head_channels, out_channels, bias=True, dropout=0.0):
        super().__init__()
        self.transform = nn.Sequential(
            nn.Dropout1d(p=dropout),
            nn.LeakyReLU(),
            nn.Conv1d(skip_channels, head_channels, 1, bias=bias),
            nn.Dropout1d(p=dropout),
            nn.LeakyReLU(),
            nn.Conv1d(head_channels, out_channels, 1, bias=bias),
        )

    def forward(self, encoded, skips):
        return self.transform(sum(skips) if isinstance(skips, (list, tuple)) else skips)


class WavenetFullChannel(ForecastBackbone):
    """WaveNet with a token table per channel, shared dilated layers run per channel."""

    def __init__(
        self,
        in_channels: int,
        head_channels: int,
        kernel_size: int,
        dilations: list[int],
        quant_levels: int,
        quant_emb: int,
        residual_channels: int,
        dilation_channels: int,
        skip_channels: int,
        cond_channels: int | None,
        num_classes: int = 0,
        class_emb: int = 0,
        p_drop: float = 0.0,
        stack_layers: bool = False,
        channel_names: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.stack_layers = stack_layers
        self.embedding_layer = EmbeddingLayer(
            in_channels, quant_emb, quant_levels, num_classes, class_emb
        )
        common = dict(
            residual_channels=residual_channels,
            dilation_channels=dilation_channels,
            skip_channels=skip_channels,
            cond_channels=cond_channels,
            dropout=p_drop,
        )
        layers = [WavenetLayer(1, 1, in_channels=quant_emb, **common)]
        layers += [WavenetLayer(kernel_size, d, **common) for d in dilations]
        self.layers = nn.ModuleList(layers)
        self.logits = WavenetLogitsHead(skip_channels, head_channels, quant_levels, True, p_drop)
        for module in self.modules():
            if isinstance(module, nn.Conv1d):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.normal_(module.bias, mean=1e-3, std=1e-2)
        self.num_features, self.vocab_size = skip_channels, quant_levels
        self.max_channels, self.channel_names = in_channels, channel_names
        self._init_classifier(0)

    @property
    def receptive_field(self) -> int:
        spans = [(layer.kernel_size - 1) * layer.dilation for layer in self.layers]
        return (sum(spans) if self.stack_layers else max(spans)) + 1

    def layer_inputs(self, emb: torch.Tensor, layer_outputs: list[torch.Tensor]) -> torch.Tensor:
        """What layer i reads: the embedding (official) or the previous output (stacked)."""
        return layer_outputs[-1] if self.stack_layers and layer_outputs else emb

    def encode(self, x, condition=None, chid=None):
        """(B, C, T) codes -> embedding (B*C, E, T), sum of skips (B*C, S, T)."""
        emb, cond = self.embedding_layer(x, condition, chid)
        outs: list[torch.Tensor] = []
        skips = 0
        for layer in self.layers:
            out, skip = layer(self.layer_inputs(emb, outs), cond)
            outs.append(out)
            skips = skips + skip
        return emb, skips

    def forward(
        self,
        x: torch.Tensor,
        condition: torch.Tensor | None = None,
        causal_pad: bool = True,
        test_mode: bool = False,
        *,
        chid: torch.Tensor | None = None,
    ):
        """(B, C, T) codes -> (B, C, T, Q); `(logits, embedding)` in test_mode."""
        if not causal_pad:
            raise ValueError("causal_pad=False is not supported (the official code fails too)")
        b, c, t = x.shape
        emb, skips = self.encode(x, condition, chid)
        if test_mode:
            emb.retain_grad()
        out = self.logits(None, skips)
        out = out.reshape(b, c, -1, t).permute(0, 1, 3, 2).contiguous()
        return (out, emb) if test_mode else out

    def features(self, codes, chid):
        b, c, t = codes.shape
        _, skips = self.encode(codes, None, chid)
        logits = self.logits(None, skips).reshape(b, c, -1, t).permute(0, 1, 3, 2)
        return skips.reshape(b, c, -1, t).permute(0, 1, 3, 2), logits
