"""Autoregressive generation: a KV cache for the GPTs, queues for the WaveNet.

The official `EvalQuant._recursive_forecast` re-runs the whole context window every step
(no cache). Here:

- GPT2MEG / STGPT2MEG prefill a `KVCache` with the prompt and then feed one step at a time.
  While prompt + output fit the context, greedy tokens equal those of the recursive loop.
  Past the context, `window="refill"` (default) restarts the cache from the last
  `context - shift` tokens whenever it is full (one prefill per `shift` steps), and
  `window="slide"` recomputes the last `context` tokens every step exactly as the official
  loop does (no speed-up there). With any finite window no cache can match a sliding
  recomputation: a token's deeper-layer keys depend on which predecessors were in view.
- WavenetFullChannel keeps, per layer, a ring buffer of its last (k-1)*dilation inputs, so a
  step costs one kernel-sized conv per layer (Paine et al.'s fast WaveNet). The receptive
  field is finite, so its tokens equal the full recomputation's for any length.

Sampling follows ephys_gpt's `sample`: `argmax`, `roulette` (temperature), `top_k`,
`top_p` (tokens whose cumulative probability *exceeds* p are dropped, the first kept).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

Strategy = Literal["argmax", "roulette", "top_k", "top_p"]


def sample(
    logits: torch.Tensor,
    strategy: Strategy = "argmax",
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 0.8,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Codes (...) drawn from logits (..., V)."""
    if strategy == "argmax":
        return logits.argmax(dim=-1)
    temperature = temperature if temperature > 0 else 1.0
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    flat = probs.reshape(-1, probs.shape[-1])
    if strategy == "roulette":
        return torch.multinomial(flat, 1, generator=generator).view(logits.shape[:-1])
    if strategy == "top_k":
        vals, idx = torch.topk(flat, min(top_k, flat.shape[-1]), dim=-1)
    elif strategy == "top_p":
        vals, idx = torch.sort(flat, dim=-1, descending=True)
        drop = vals.cumsum(dim=-1) > top_p
        drop[:, 0] = False
        vals = vals.masked_fill(drop, 0.0)
    else:
        raise ValueError(f"unknown sampling strategy {strategy!r}")
    pick = torch.multinomial(vals / vals.sum(-1, keepdim=True), 1, generator=generator)
    return idx.gather(-1, pick).view(logits.shape[:-1])


@torch.inference_mode()
def generate(
    model,
    prompt: torch.Tensor,
    steps: int,
    *,
    strategy: Strategy = "argmax",
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 0.8,
    chid: torch.Tensor | None = None,
    window: Literal["refill", "slide"] = "refill",
    shift: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """`steps` new codes (B, C, steps) after `prompt` (B, C, T0) for any of the three models."""
    from neurokit.plugins.models.forecast.model import WavenetFullChannel

    if prompt.shape[-1] < 1 or steps < 1:
        raise ValueError("generation needs a prompt of at least one step and steps >= 1")
    pick = dict(
        strategy=strategy, temperature=temperature, top_k=top_k, top_p=top_p, generator=generator
    )
    was_training = model.training
    model.eval()
    try:
        if isinstance(model, WavenetFullChannel):
            return _generate_wavenet(model, prompt, steps, chid, pick)
        return _generate_gpt(model, prompt, steps, chid, pick, window, shift)
    finally:
        model.train(was_training)


def _generate_gpt(model, prompt, steps, chid, pick, window, shift):
    from neurokit.plugins.models.forecast.model import GPT2MEG

    context = model.context or prompt.shape[-1] + steps
    shift = max(1, min(shift or context // 4, context - 1)) if context > 1 else 1
    keep = context - shift

    def run(x, cache):
        if isinstance(model, GPT2MEG) and cache is not None:
            return model(x, chid, past_key_values=cache)[0]
        return model(x, chid, past_key_values=cache)

    def fresh():
        return model.new_cache() if isinstance(model, GPT2MEG) else model.new_cache(context)

    seq = prompt
    cache = fresh()
    logits = run(seq[..., -context:], cache)
    out = []
    for i in range(steps):
        token = sample(logits[..., -1, :], **pick)
        out.append(token)
        if i == steps - 1:
            break
        seq = torch.cat([seq, token[..., None]], dim=-1)
        if cache.length < context:
            logits = run(token[..., None], cache)
        elif window == "slide":
            logits = run(seq[..., -context:], None)
        else:
            cache.reset()
            logits = run(seq[..., -keep:], cache)
    return torch.stack(out, dim=-1)


def _generate_wavenet(model, prompt, steps, chid, pick):
    b, c, t0 = prompt.shape
    layers = model.layers
    emb, _ = model.embedding_layer(prompt, None, chid)
    outs, skips, buffers = [], 0, []
    for layer in layers:
        x = model.layer_inputs(emb, outs)
        out, skip = layer(x)
        outs.append(out)
        skips = skips + skip
        span = (layer.kernel_size - 1) * layer.dilation
        buf = None
        if span:
            times = torch.arange(t0 - span, t0, device=x.device)
            past = F.pad(x, (span, 0))[..., times + span]  # zeros before the prompt
            buf = torch.empty_like(past)
            buf[..., times % span] = past
        buffers.append(buf)
    logits = model.logits(None, skips[..., -1:])
    rows = torch.arange(c, device=prompt.device) if chid is None else torch.as_tensor(chid)
    table = model.embedding_layer.quant_emb[rows.to(prompt.device)]  # C x Q x E
    out_tokens = []
    for i in range(steps):
        token = sample(logits[..., 0].reshape(b, c, -1), **pick)
        out_tokens.append(token)
        if i == steps - 1:
            break
        tau = t0 + i
        emb_t = table[torch.arange(c, device=token.device)[None, :], token]  # B x C x E
        emb_t = emb_t.reshape(b * c, -1, 1)
        outs, skips = [], 0
        for layer, buf in zip(layers, buffers, strict=True):
            x = model.layer_inputs(emb_t, outs)
            k, d = layer.kernel_size, layer.dilation
            if buf is None:
                taps = x
            else:
                span = buf.shape[-1]
                idx = torch.tensor([(tau - m * d) % span for m in range(k - 1, 0, -1)])
                taps = torch.cat([buf[..., idx.to(buf.device)], x], dim=-1)
                buf[..., tau % span] = x[..., 0]
            conv = layer.conv_dilation
            res, skip = layer.gate(F.conv1d(taps, conv.weight, conv.bias), None)
            base = layer.conv_input(x) if layer.conv_input is not None else x
            outs.append(base + res)
            skips = skips + skip
        logits = model.logits(None, skips)
    return torch.stack(out_tokens, dim=-1)
