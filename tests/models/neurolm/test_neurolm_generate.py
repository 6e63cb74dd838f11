"""Cached generation gives exactly the tokens of a recompute-everything loop."""

from __future__ import annotations

import pytest
import torch

from neurokit.core.errors import ConfigError
from neurokit.plugins.models.neurolm.generate import generate_uncached
from neurokit.plugins.models.neurolm.model import gpt_mask
from tests.models.neurolm.tiny import eeg_batch


def naive_greedy(lm, x, chans, times, mask, text, m, steps, padding_rows=False):
    """The official loop with the mask kept boolean: the whole GPT forward per new token."""
    eeg = lm.encode_eeg(x, chans, times, mask)
    for _ in range(steps):
        logits, _, _ = lm.GPT2(eeg, None, text, None, times, None, m)
        nxt = logits[:, -1, : lm.text_vocab_size].argmax(-1, keepdim=True)
        text = torch.cat((text, nxt), dim=1)
        b, _, q, k = m.shape
        last = m[..., -1:, :] if padding_rows else torch.ones(b, 1, 1, k, dtype=torch.bool)
        m = torch.cat((m, torch.zeros(b, 1, q, 1, dtype=torch.bool)), dim=-1)
        m = torch.cat((m, torch.cat((last, torch.ones(b, 1, 1, 1, dtype=torch.bool)), -1)), dim=-2)
    return text


def _prompt(batch=3):
    x, chans, times, mask = eeg_batch(batch=batch, pad=2, seed=3)
    times[1, :6] = torch.tensor([0, 0, 0, 0, 0, 0])  # a shorter recording in the batch
    text = torch.randint(0, 100, (batch, 4), generator=torch.Generator().manual_seed(1))
    m = gpt_mask(3, 2, 12, eeg_len=8).expand(batch, 1, 12, 12).clone()
    return x, chans, times, mask, text, m


@pytest.mark.parametrize("rows", ["official", "padding"])
def test_cached_greedy_equals_the_naive_loop(tiny_lm, rows):
    x, chans, times, mask, text, m = _prompt()
    with torch.no_grad():
        want = naive_greedy(tiny_lm, x, chans, times, mask, text, m, 12, rows == "padding")
    got = tiny_lm.generate(
        x, text, chans, times, mask, eeg_text_mask=m, max_new_tokens=12, new_token_mask=rows
    )
    assert torch.equal(got, want)
    assert torch.equal(got, generate_uncached(tiny_lm, x, text, chans, times, mask, m, 12)) or (
        rows == "padding"
    )


def test_padding_rows_differ_from_official_rows_only_through_padding(tiny_lm):
    x, chans, times, mask, text, m = _prompt()
    # with nothing padded both row choices are the same mask
    full = torch.ones_like(mask)
    m_full = gpt_mask(3, 2, 12, eeg_len=8).expand(3, 1, 12, 12).clone()
    m_full[..., 6:8] = torch.ones(12, 2, dtype=torch.bool).tril(-6)  # keep causal columns
    a = tiny_lm.generate(x, text, chans, times, full, eeg_text_mask=m_full, max_new_tokens=6)
    b = tiny_lm.generate(
        x,
        text,
        chans,
        times,
        full,
        eeg_text_mask=m_full,
        max_new_tokens=6,
        new_token_mask="padding",
    )
    assert torch.equal(a, b)


def test_sampling_with_the_same_generator_matches(tiny_lm):
    x, chans, times, mask, text, m = _prompt()
    kw = dict(eeg_text_mask=m, max_new_tokens=8, temperature=1.5, top_k=20)
    got = tiny_lm.generate(
        x, text, chans, times, mask, **kw, generator=torch.Generator().manual_seed(7)
    )
    want = generate_uncached(
        tiny_lm, x, text, chans, times, mask, m, 8, 1.5, 20, torch.Generator().manual_seed(7)
    )
    assert torch.equal(got, want)


def test_per_sample_positions_make_answers_independent_of_batch_mates(tiny_lm):
    x, chans, times, mask, text, m = _prompt()
    alone = tiny_lm.generate(
        x[1:2],
        text[1:2],
        chans[1:2],
        times[1:2],
        mask[1:2],
        eeg_text_mask=m[1:2],
        max_new_tokens=5,
        text_positions="per_sample",
    )
    batched = tiny_lm.generate(
        x, text, chans, times, mask, eeg_text_mask=m, max_new_tokens=5, text_positions="per_sample"
    )
    assert torch.equal(batched[1:2], alone)


def test_text_only_generation_and_context_overflow(tiny_lm):
    text = torch.randint(0, 100, (2, 5))
    got = tiny_lm.generate(None, text, max_new_tokens=4)
    want = text
    for _ in range(4):
        _, _, logits = tiny_lm(None, None, want, None)
        want = torch.cat((want, logits[:, -1, :100].argmax(-1, keepdim=True)), 1)
    assert torch.equal(got, want) and got.shape == (2, 9)
    with pytest.raises(ConfigError, match="block_size"):
        tiny_lm.generate(None, text, max_new_tokens=80)


def test_padding_rows_generate_what_the_training_forward_scores(tiny_lm):
    """Instruction tuning scores answers with EEG padding masked for every text row; the
    instruct stage generates with `new_token_mask="padding"` so that each generated token is
    the argmax of that same forward. The official rows (ones: padding visible) do not."""
    from neurokit.plugins.models.neurolm.inputs import NeuroLMInput

    x, chans, times, mask = eeg_batch(batch=3, pad=20, seed=5)
    x[:, 6:] = 0
    inp = NeuroLMInput(x, chans, times, mask, [3, 3, 3], 2)
    text = torch.randint(0, 100, (3, 4), generator=torch.Generator().manual_seed(2))
    steps = 6
    with torch.no_grad():
        eeg = tiny_lm.encode_eeg(x, chans, times, mask)
        forced = text
        for _ in range(steps):  # teacher forcing on the tokens so far, the training mask
            m = inp.gpt_mask(x.shape[1] + forced.shape[1])
            logits, _, _ = tiny_lm.GPT2(eeg, None, forced, None, times, None, m)
            forced = torch.cat((forced, logits[:, -1, :100].argmax(-1, keepdim=True)), 1)
    prompt_mask = inp.gpt_mask(x.shape[1] + text.shape[1])
    kw = dict(eeg_text_mask=prompt_mask, max_new_tokens=steps)
    padded = tiny_lm.generate(x, text, chans, times, mask, **kw, new_token_mask="padding")
    official = tiny_lm.generate(x, text, chans, times, mask, **kw)
    assert torch.equal(padded, forced)
    assert not torch.equal(official, forced)  # 20 padding tokens seen: other answers
