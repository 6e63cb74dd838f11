"""nanoGPT as NeuroLM uses it (official `model/model.py`): blocks, GPT, GPT-2 import.

Module and key names are the official (`transformer.{wte,wpe,h,ln_f}`, `lm_head`,
`attn.c_attn`, `mlp.c_fc`, ...) with `nn.Linear` layout, so released NeuroLM state dicts
load as they are. Attention is SDPA with the official mask semantics: no mask = causal, a
boolean (B, 1, Tq, Tk) mask = True where a query may attend. A `KVCache` (shared with the
forecasters) lets `generate` feed one token at a time.

`load_hf_gpt2(gpt, path)` copies a local Hugging Face GPT-2 (`config.json` +
`model.safetensors`) into a GPT, transposing HF's Conv1D weights as the official
`GPT.from_pretrained` does; nothing is downloaded and `transformers` is not needed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.core.errors import ConfigError
from neurokit.plugins.models.forecast.layers import KVCache

__all__ = ["GPT", "Block", "GPTConfig", "KVCache", "LayerNorm", "hf_gpt2_config", "load_hf_gpt2"]


@dataclass
class GPTConfig:
    """The official GPTConfig (vocab_size grows to 50304 when `enlarge_wte` runs)."""

    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True


class LayerNorm(nn.Module):
    """LayerNorm with an optional bias (eps 1e-5), keys `weight` / `bias` as nanoGPT's."""

    def __init__(self, ndim: int, bias: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, config, layer: int = 0) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise ConfigError(f"n_embd {config.n_embd} not divisible by n_head {config.n_head}")
        self.layer = layer
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, cache: KVCache | None = None
    ) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.c_attn(x).view(b, t, 3, self.n_head, c // self.n_head).permute(2, 0, 3, 1, 4)
        if cache is not None:
            k, v = cache.update(self.layer, k, v)
        drop = self.dropout if self.training else 0.0
        if mask is not None:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=drop)
        elif t == k.shape[-2]:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=drop, is_causal=True)
        elif t == 1:  # one new query after the cache: it sees every earlier key
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=drop)
        else:
            causal = torch.ones(t, k.shape[-2], dtype=torch.bool, device=x.device)
            y = F.scaled_dot_product_attention(
                q, k, v, attn_mask=causal.tril(k.shape[-2] - t), dropout_p=drop
            )
        y = y.transpose(1, 2).reshape(b, t, c)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-norm transformer block (nanoGPT); `mask`/`cache` as in `CausalSelfAttention`."""

    def __init__(self, config, layer: int = 0) -> None:
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config, layer)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, cache: KVCache | None = None
    ) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), mask, cache)
        return x + self.mlp(self.ln_2(x))


class _RowSparseHead(torch.autograd.Function):
    """`F.linear(x, weight)` whose backward skips the output rows with an all-zero gradient.

    A language-model loss with ignored targets (instruction tuning: only the answer's few
    tokens of ~100) gives exactly zero gradient to every other row of the (B * T, vocab)
    logits, so the two backward GEMMs over all rows, which dominate a training step, need
    only the rows with a target. The result is the full backward's up to summation order.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        return F.linear(x, weight)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        g = grad.reshape(-1, grad.shape[-1])
        xs = x.reshape(-1, x.shape[-1])
        rows = g.ne(0).any(-1).nonzero().squeeze(1)
        if len(rows) < len(g):
            g, xs_used = g.index_select(0, rows), xs.index_select(0, rows)
        else:
            rows, xs_used = None, xs
        w = weight.to(g.dtype)
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            part = (g @ w).to(x.dtype)
            if rows is None:
                grad_x = part.view_as(x)
            else:
                grad_x = xs.new_zeros(xs.shape).index_copy_(0, rows, part).view_as(x)
        if ctx.needs_input_grad[1]:
            grad_w = (g.t() @ xs_used.to(g.dtype)).to(weight.dtype)
        return grad_x, grad_w


class GPT(nn.Module):
    """nanoGPT GPT with the official NeuroLM forward (EEG embeddings, text ids or both)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList(Block(config, i) for i in range(config.n_layer)),
                ln_f=LayerNorm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # tied until enlarge_* replaces both
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def enlarge_wte(self, vocab_size: int) -> None:
        """New rows N(0, 1) (nn.Embedding's default), old rows copied; unties lm_head."""
        if vocab_size < self.config.vocab_size:
            raise ConfigError(f"cannot shrink wte from {self.config.vocab_size} to {vocab_size}")
        old = self.transformer.wte.weight
        new = nn.Embedding(vocab_size, self.config.n_embd, device=old.device, dtype=old.dtype)
        with torch.no_grad():
            new.weight[: self.config.vocab_size] = old
        self.transformer.wte = new
        self.config.vocab_size = vocab_size

    def enlarge_lm_head(self, vocab_size: int) -> None:
        """New rows with nn.Linear's default init, old rows copied."""
        old = self.lm_head.weight
        if vocab_size < old.shape[0]:
            raise ConfigError(f"cannot shrink lm_head from {old.shape[0]} to {vocab_size}")
        new = nn.Linear(
            self.config.n_embd, vocab_size, bias=False, device=old.device, dtype=old.dtype
        )
        with torch.no_grad():
            new.weight[: old.shape[0]] = old
        self.lm_head = new

    def embed(
        self,
        x_eeg: torch.Tensor | None,
        x_text: torch.Tensor | None,
        eeg_time_idx: torch.Tensor | None,
        text_pos: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Input embeddings: EEG + wpe[time], then text + wpe[positions] (official order).

        `text_pos` (t,) or (B, t) overrides the official text positions (0.. without EEG,
        max(eeg_time_idx) + 1.. over the whole batch with EEG).
        """
        parts = []
        if x_eeg is not None:
            parts.append(x_eeg + self.transformer.wpe(eeg_time_idx))
        if x_text is not None:
            t = x_text.shape[1]
            if text_pos is None:
                start = int(eeg_time_idx.max()) + 1 if x_eeg is not None else 0
                text_pos = torch.arange(start, start + t, device=x_text.device)
            if int(text_pos.max()) >= self.config.block_size:
                raise ConfigError(
                    f"text position {int(text_pos.max())} exceeds block_size {self.config.block_size}"
                )
            parts.append(self.transformer.wte(x_text) + self.transformer.wpe(text_pos))
        if not parts:
            raise ConfigError("GPT needs EEG embeddings, text ids or both")
        return torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]

    def run(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, cache: KVCache | None = None
    ) -> torch.Tensor:
        """Blocks + ln_f over input embeddings (advances `cache` by the new steps)."""
        x = self.transformer.drop(x)
        for block in self.transformer.h:
            x = block(x, mask, cache)
        if cache is not None:
            cache.advance(x.shape[1])
        return self.transformer.ln_f(x)

    def forward(
        self,
        x_eeg: torch.Tensor | None = None,
        y_eeg: torch.Tensor | None = None,
        x_text: torch.Tensor | None = None,
        y_text: torch.Tensor | None = None,
        eeg_time_idx: torch.Tensor | None = None,
        eeg_mask: torch.Tensor | None = None,
        eeg_text_mask: torch.Tensor | None = None,
        lm_head: bool = True,
    ):
        """Official forward -> (logits, loss, accuracy); without targets only the last position.

        EEG targets `y_eeg` are codes; the official offset `+ vocab_size` is added here, so
        an ignored EEG position carries -1 - vocab_size (what the official scripts fill).
        """
        x = self.embed(x_eeg, x_text, eeg_time_idx)
        if x_text is None:
            mask = eeg_mask
            targets = None if y_eeg is None else y_eeg + self.config.vocab_size
        elif x_eeg is None:
            mask, targets = None, y_text
        else:
            mask = eeg_text_mask
            targets = (
                None
                if y_eeg is None or y_text is None
                else torch.cat((y_eeg + self.config.vocab_size, y_text), dim=-1)
            )
        x = self.run(x, mask)
        if not lm_head:
            return x
        if targets is None:
            return self.lm_head(x[:, [-1], :]), None, None
        logits = _RowSparseHead.apply(x, self.lm_head.weight)  # = self.lm_head(x)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten().long(), ignore_index=-1)
        with torch.no_grad():
            keep = targets.ne(-1)
            correct = (logits.argmax(-1) == targets) & keep
            accuracy = correct.sum().float() / keep.sum().clamp_min(1)
        return logits, loss, accuracy


# ---------------------------------------------------------------- local GPT-2 weights

HF_TRANSPOSED = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


def hf_gpt2_config(path: str | Path) -> dict:
    """n_layer / n_head / n_embd / block_size / vocab_size from a HF GPT-2 `config.json`."""
    file = Path(path).expanduser() / "config.json"
    if not file.is_file():
        raise ConfigError(f"no GPT-2 config.json in {str(path)!r}")
    cfg = json.loads(file.read_text())
    try:
        return dict(
            n_layer=int(cfg["n_layer"]),
            n_head=int(cfg["n_head"]),
            n_embd=int(cfg["n_embd"]),
            block_size=int(cfg.get("n_positions", cfg.get("n_ctx", 1024))),
            vocab_size=int(cfg["vocab_size"]),
        )
    except KeyError as exc:
        raise ConfigError(f"{str(file)!r} is not a GPT-2 config (no {exc.args[0]})") from None


def load_hf_gpt2(gpt: GPT, path: str | Path) -> None:
    """Copy a local HF GPT-2 (`model.safetensors`) into `gpt` (official from_pretrained).

    `gpt` must have the file's sizes and still be tied (before `enlarge_*`): lm_head then
    equals wte, as in GPT-2.
    """
    from safetensors.torch import load_file

    from neurokit.core.errors import WeightsError

    file = Path(path).expanduser() / "model.safetensors"
    if not file.is_file():
        raise ConfigError(f"no model.safetensors in GPT-2 directory {str(path)!r}")
    hf = load_file(str(file))
    hf = {
        (k if k.startswith(("transformer.", "lm_head.")) else "transformer." + k): v
        for k, v in hf.items()
    }
    hf = {k: v for k, v in hf.items() if not k.endswith((".attn.bias", ".attn.masked_bias"))}
    own = gpt.state_dict()
    missing = [k for k in own if k not in hf and k != "lm_head.weight"]
    if missing:
        raise WeightsError(f"{str(file)!r} lacks GPT-2 keys: {', '.join(missing[:8])}")
    with torch.no_grad():
        for k, v in hf.items():
            if k == "lm_head.weight" or k not in own:
                continue
            v = v.t() if k.endswith(HF_TRANSPOSED) else v
            if v.shape != own[k].shape:
                raise WeightsError(
                    f"{k}: {tuple(v.shape)} in {str(file)!r} vs {tuple(own[k].shape)}"
                )
            own[k].copy_(v)
