"""Cached / queued generation equals recomputing the whole context every step (greedy)."""

from __future__ import annotations

import pytest
import torch

import neurokit
from neurokit.plugins.models.forecast.generate import generate, sample
from tests.models.forecast.helpers import TINY


def build(name, **overrides):
    torch.manual_seed(0)
    model = neurokit.create("backbone", name, **{**TINY[name], **overrides})
    return model.double().eval()  # float64: no near-tie can flip an argmax


def recursive(model, prompt, steps, window):
    """The reference: every step runs the model on the whole current window, no cache.

    `window(length) -> first index` says which tokens are in view (the official loop keeps
    the last `context`; the refill policy keeps everything since its last restart).
    """
    seq, out, start = prompt, [], 0
    with torch.no_grad():
        for _ in range(steps):
            start = window(seq.shape[-1], start)
            token = model(seq[..., start:])[..., -1, :].argmax(-1)
            out.append(token)
            seq = torch.cat([seq, token[..., None]], dim=-1)
    return torch.stack(out, dim=-1)


def sliding(context):
    return lambda length, start: max(0, length - context)


def refill(context, shift):
    def window(length, start):
        return length - (context - shift) if length - start > context else start

    return window


@pytest.mark.parametrize("name", ["gpt2meg", "stgpt2meg"])
def test_cache_equals_recursive_loop_within_the_context(name):
    model = build(name, **({"context": 64} if name == "stgpt2meg" else {}))
    prompt = torch.randint(0, 256, (2, 4, 5))
    got = generate(model, prompt, 40)
    assert got.shape == (2, 4, 40)
    assert torch.equal(got, recursive(model, prompt, 40, sliding(64)))


@pytest.mark.parametrize("name", ["gpt2meg", "stgpt2meg"])
def test_cache_past_the_context(name):
    gpt = (
        {"gpt2_config": {**TINY[name]["gpt2_config"], "n_positions": 16}}
        if name == "gpt2meg"
        else {"context": 16}
    )
    model = build(name, **gpt)
    prompt = torch.randint(0, 256, (1, 4, 12))
    steps = 30
    # refill: restart from the last 12 tokens whenever 16 are in view
    assert torch.equal(
        generate(model, prompt, steps, shift=4), recursive(model, prompt, steps, refill(16, 4))
    )
    # slide: exactly the official loop (last 16 tokens every step)
    assert torch.equal(
        generate(model, prompt, steps, window="slide"), recursive(model, prompt, steps, sliding(16))
    )


@pytest.mark.parametrize("stack", [False, True])
def test_fast_wavenet_equals_naive_wavenet(stack):
    model = build("wavenet-fullchannel", stack_layers=stack, kernel_size=3 if stack else 2)
    assert model.receptive_field == (1 + 2 * 15 if stack else 9)
    for prompt_steps in (3, 40):  # shorter and longer than the receptive field
        prompt = torch.randint(0, 256, (2, 4, prompt_steps))
        got = generate(model, prompt, 25)
        full = recursive(model, prompt, 25, lambda length, start: 0)
        assert torch.equal(got, full)


def test_top_p_follows_the_official_rule_and_seeds_reproduce():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    g = torch.Generator().manual_seed(0)
    # cumulative 0.5, 0.8, 0.95, 1.0: with p = 0.8 tokens past 0.8 are dropped -> {0, 1}
    draws = torch.stack([sample(logits, "top_p", top_p=0.8, generator=g) for _ in range(300)])
    assert set(draws.unique().tolist()) == {0, 1}
    assert sample(logits, "top_p", top_p=0.1).item() == 0  # always keeps the first
    model = build("stgpt2meg")
    prompt = torch.randint(0, 256, (1, 4, 4))
    a = generate(model, prompt, 10, strategy="top_p", generator=torch.Generator().manual_seed(1))
    b = generate(model, prompt, 10, strategy="top_p", generator=torch.Generator().manual_seed(1))
    c = generate(model, prompt, 10, strategy="roulette", temperature=2.0,
                 generator=torch.Generator().manual_seed(2))  # fmt: skip
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert model.training is False
