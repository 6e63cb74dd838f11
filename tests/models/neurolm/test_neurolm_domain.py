"""The tokenizer stage's domain-adversarial schedule and its domain metrics."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from neurokit.plugins.models.neurolm.stages import TokenizerStage, shrink_position_embeddings


def _stage(tiny_vq, steps: int) -> TokenizerStage:
    config = SimpleNamespace(text_batch_size=2, text_length=8)
    return TokenizerStage(tiny_vq, None, config, steps)


def test_alpha_ramps_over_the_whole_run(tiny_vq):
    stage = _stage(tiny_vq, steps=40)
    seen = []
    for done in (0, 4, 20, 40, 80):
        stage.steps_done.fill_(done)
        seen.append(stage.alpha)
    # the official 2 / (1 + exp(-10 p)) - 1 with p = steps done / steps of the run, capped at 1
    expected = [2 / (1 + math.exp(-10 * min(1.0, d / 40))) - 1 for d in (0, 4, 20, 40, 80)]
    assert seen == pytest.approx(expected)
    assert seen[0] == 0.0 and 0.4 < seen[1] < 0.5 and seen[3] > 0.999
    assert "steps_done" in stage.state_dict()  # resumes where the ramp stopped


def test_domain_metrics_balance_eeg_and_text_by_argmax_and_probability(tiny_vq):
    stage = _stage(tiny_vq, steps=1)
    n_codes = tiny_vq.codebook_size
    # two batches: EEG [right, count, ...], text [right, count], EEG p(true), text p(true)
    rows = np.zeros((2, 6 + n_codes))
    rows[0, :6] = [10, 10, 0, 20, 5.5, 9.0]  # every EEG token right at p 0.55; text all wrong
    rows[1, :6] = [0, 10, 0, 20, 4.5, 11.0]
    rows[:, 6] = 10
    rows[0, 7] = 10
    out = stage.compute_metrics(rows, np.zeros(2))
    assert out["eeg_domain_accuracy"] == pytest.approx(0.5)
    assert out["text_domain_accuracy"] == 0.0
    assert out["domain_accuracy"] == pytest.approx(0.25)
    assert out["domain_probability"] == pytest.approx(((5.5 + 4.5) / 20 + 20 / 40) / 2)
    assert out["codes_used"] == 2


def test_shrunk_position_embeddings_are_redrawn_in_encoder_and_decoders(tiny_vq):
    torch.manual_seed(0)
    before = tiny_vq.VQ.encoder.patch_embed.l[0].weight.clone()
    shrink_position_embeddings(tiny_vq.VQ, 0.02)
    for net in (tiny_vq.VQ.encoder, tiny_vq.VQ.decoder_freq, tiny_vq.VQ.decoder_raw):
        for emb in (net.pos_embed, net.time_embed):
            assert 0.01 < float(emb.weight.detach().std()) < 0.03
    assert torch.equal(tiny_vq.VQ.encoder.patch_embed.l[0].weight, before)  # nothing else
