"""NeuroLM text generation with a key-value cache.

The official `NeuroLM.generate` re-runs the whole GPT over EEG + text for every new token.
Here the prompt (EEG embeddings + text) is run once into a `KVCache` and each new token
costs one position. Tokens are exactly those of the official loop on the same weights
(greedy; sampled ones too with the same `generator`), with two official behaviours kept
on purpose and one bug not copied:

- Text positions: the official GPT places text at `wpe` positions max(input_time) + 1, ...
  where the max runs over the *whole batch*, so a sample's answer depends on its batch
  mates' lengths. `text_positions="batch_max"` (default) reproduces it, because released
  and instruction-tuned weights were trained that way; `"per_sample"` uses each sample's
  own max time.
- New-token rows: the official loop appends to `eeg_text_mask` a row of ones for each new
  token, so generated tokens attend to every earlier position, EEG padding included.
  `new_token_mask="official"` (default) keeps that; `"padding"` gives new tokens the last
  prompt row's view (EEG padding stays masked, as in training). The instruct stage
  evaluates with `"padding"`: training never lets a text token see padding, so with the
  official rows every token after the first is predicted from a context the model was
  never trained on (on short windows padded to `eeg_max_len` the padding outnumbers the
  real tokens, and answers whose first token was right came out as `' NoNo'`).
- Not copied: the official appends those rows as float 0/1 tensors, which turns the
  boolean mask into an additive float mask after the first step (masked keys are then only
  down-weighted by e^-1, and nothing is causal any more). Masks stay boolean here.

Sampling is the official: logits of the first `text_vocab_size` (50257) outputs /
temperature, top-k filter, softmax, multinomial; `top_k=1` (the official evaluation) is
greedy argmax.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from neurokit.core.errors import ConfigError
from neurokit.plugins.models.neurolm.gpt import KVCache

TextPositions = Literal["batch_max", "per_sample"]
NewTokenMask = Literal["official", "padding"]


def pick(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = 1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Next token (B, 1) from logits (B, V) as the official loop draws it."""
    if top_k == 1:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits / temperature
    if top_k is not None:
        v, _ = torch.topk(logits, min(top_k, logits.shape[-1]))
        logits = logits.masked_fill(logits < v[:, [-1]], float("-inf"))
    return torch.multinomial(F.softmax(logits.float(), dim=-1), 1, generator=generator)


def text_positions_for(
    input_time: torch.Tensor | None, batch: int, length: int, mode: TextPositions, device
) -> torch.Tensor:
    """wpe positions (B, length) of the text tokens (see the module doc)."""
    if input_time is None:
        start = torch.zeros(batch, 1, dtype=torch.long, device=device)
    elif mode == "batch_max":
        start = (input_time.max().long() + 1).expand(batch, 1)
    elif mode == "per_sample":
        start = input_time.long().amax(dim=1, keepdim=True) + 1
    else:
        raise ConfigError(f"text_positions must be 'batch_max' or 'per_sample', not {mode!r}")
    return start + torch.arange(length, device=device)


@torch.no_grad()
def generate(
    model,
    x_eeg: torch.Tensor | None,
    x_text: torch.Tensor,
    input_chans: torch.Tensor | None = None,
    input_time: torch.Tensor | None = None,
    input_mask: torch.Tensor | None = None,
    eeg_text_mask: torch.Tensor | None = None,
    max_new_tokens: int = 10,
    temperature: float = 1.0,
    top_k: int | None = 1,
    *,
    text_positions: TextPositions = "batch_max",
    new_token_mask: NewTokenMask = "official",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """(B, T_text + max_new_tokens) token ids: the prompt text followed by the new tokens.

    `eeg_text_mask` (B or 1, 1, P, P) bool over EEG + text (None: causal), P = L + T_text.
    """
    if max_new_tokens < 1:
        raise ConfigError("max_new_tokens must be at least 1")
    if new_token_mask not in ("official", "padding"):
        raise ConfigError(f"new_token_mask must be 'official' or 'padding', not {new_token_mask!r}")
    gpt = model.GPT2
    b, t = x_text.shape
    eeg = None
    if x_eeg is not None:
        eeg = model.encode_eeg(x_eeg, input_chans, input_time, input_mask)
    pos = text_positions_for(
        input_time if eeg is not None else None,
        b,
        t + max_new_tokens,
        text_positions,
        x_text.device,
    )
    if int(pos[:, -1].max()) >= gpt.config.block_size:
        raise ConfigError(
            f"generation reaches wpe position {int(pos[:, -1].max())} but block_size is "
            f"{gpt.config.block_size}: shorten the prompt or max_new_tokens"
        )
    x = gpt.embed(eeg, x_text, input_time, pos[:, :t])
    prompt = x.shape[1]
    mask = None
    if eeg_text_mask is not None:
        mask = eeg_text_mask.bool()
        if mask.shape[-2:] != (prompt, prompt):
            raise ConfigError(
                f"eeg_text_mask covers {tuple(mask.shape[-2:])} positions, the prompt has {prompt}"
            )
    cache = KVCache(len(gpt.transformer.h), prompt + max_new_tokens)
    h = gpt.run(x, mask, cache)
    row = None
    if mask is not None and new_token_mask == "padding":
        row = mask[..., -1:, :].expand(b, 1, 1, prompt)
    head = gpt.lm_head.weight[: model.text_vocab_size]
    out = [x_text]
    for step in range(max_new_tokens):
        logits = F.linear(h[:, -1, :], head)  # only the text rows the official keeps
        nxt = pick(logits, temperature, top_k, generator)
        out.append(nxt)
        if step == max_new_tokens - 1:
            break
        step_mask = None
        if row is not None:
            seen = torch.ones(b, 1, 1, step + 1, dtype=torch.bool, device=row.device)
            step_mask = torch.cat((row, seen), dim=-1)
        emb = gpt.transformer.wte(nxt) + gpt.transformer.wpe(pos[:, t + step : t + step + 1])
        h = gpt.run(emb, step_mask, cache)
    return torch.cat(out, dim=1)


@torch.no_grad()
def generate_uncached(
    model,
    x_eeg,
    x_text,
    input_chans=None,
    input_time=None,
    input_mask=None,
    eeg_text_mask=None,
    max_new_tokens: int = 10,
    temperature: float = 1.0,
    top_k: int | None = 1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The official loop (whole GPT forward per token, ones rows appended) with the mask kept
    boolean: the baseline of `benchmarks/neurolm_speed.py`."""
    eeg = None
    if x_eeg is not None:
        eeg = model.encode_eeg(x_eeg, input_chans, input_time, input_mask)
    mask = None if eeg_text_mask is None else eeg_text_mask.bool()
    for _ in range(max_new_tokens):
        logits, _, _ = model.GPT2(eeg, None, x_text, None, input_time, None, mask)
        nxt = pick(logits[:, -1, : model.text_vocab_size], temperature, top_k, generator)
        x_text = torch.cat((x_text, nxt), dim=1)
        if mask is not None:
            m = mask.shape
            mask = torch.cat((mask, mask.new_zeros(m[0], m[1], m[2], 1)), dim=-1)
            mask = torch.cat((mask, mask.new_ones(m[0], m[1], 1, m[3] + 1)), dim=-2)
    return x_text
