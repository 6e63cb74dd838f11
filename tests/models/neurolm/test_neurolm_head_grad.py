"""The LM's loss skips the lm_head backward of rows without a target (gpt._RowSparseHead):
loss and every gradient equal those of the plain full-logits cross-entropy."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from neurokit.plugins.models.neurolm.model import gpt_mask
from tests.models.neurolm.tiny import eeg_batch


def _grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("answer_only", [True, False])
def test_loss_and_gradients_equal_the_full_backward(tiny_lm, answer_only):
    lm = tiny_lm.train()
    x, chans, times, real = eeg_batch()
    text = torch.randint(0, 100, (2, 7))
    y_text = torch.randint(0, 100, (2, 7))
    if answer_only:  # instruction tuning: a few answer tokens have targets
        y_text[:, :-2] = -1
    y_eeg = torch.randint(0, 64, real.shape)
    y_eeg[real.logical_not()] = -1 - lm.vocab_offset
    mask = gpt_mask(3, 2, real.shape[1] + 7, eeg_len=real.shape[1]).expand(2, 1, -1, -1)
    inputs = (x, y_eeg, text, y_text, chans, times, real, None, mask)

    loss = lm(*inputs)[0]
    loss.backward()
    ours = _grads(lm)
    lm.zero_grad(set_to_none=True)

    eeg = lm.encode_eeg(x, chans, times, real)
    h = lm.GPT2(eeg, None, text, None, times, None, mask, lm_head=False)
    targets = torch.cat((y_eeg + lm.vocab_offset, y_text), dim=1)
    logits = lm.GPT2.lm_head(h)
    full = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-1)
    full.backward()
    assert torch.allclose(loss, full, atol=1e-6)
    want = _grads(lm)
    assert ours.keys() == want.keys() and "GPT2.lm_head.weight" in ours
    for name, grad in want.items():
        assert torch.allclose(ours[name], grad, atol=1e-6), name
