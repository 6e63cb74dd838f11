"""Numerical parity with the official LUNA code (opt-in: LUNA_REF=/path/to/BioFoundation).

On a single-montage batch the official model and ours must agree to 1e-4. The
official code jitters positions whenever a mask tensor is passed, so the masked
(pretraining) comparison runs it with that noise set to zero.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import torch

from tests.models.luna.helpers import TCP, make_batch
from tests.models.luna.official import official_modules

TOLERANCE = 1e-4


def _pair(num_classes: int, **size):
    luna, _ = official_modules()
    from neurokit.plugins.models.luna.model import LUNA

    torch.manual_seed(0)
    official = luna.LUNA(num_classes=num_classes, **size).eval()
    ours = LUNA(num_classes=num_classes, **size).eval()
    ours.load_state_dict(official.state_dict(), strict=True)
    return official, ours


def _inputs(batch_size: int = 3, channels: int = 22, samples: int = 1280):
    _, names = official_modules()
    locations = torch.tensor(
        np.stack(names.get_channel_locations(TCP[:channels])), dtype=torch.float32
    )
    x = torch.randn(batch_size, channels, samples, generator=torch.Generator().manual_seed(1))
    x = (x - x.mean(-1, keepdim=True)) / x.std(-1, keepdim=True)
    indices = torch.tensor(names.get_channel_indices(TCP[:channels])).expand(batch_size, -1)
    return x, locations.expand(batch_size, -1, -1).clone(), indices


@pytest.mark.parametrize("size", [{}, {"embed_dim": 96, "num_queries": 6, "depth": 2}])
def test_classifier_matches_official(size):
    official, ours = _pair(2, **size)
    x, locations, _ = _inputs()
    with torch.no_grad():
        expected = official(x, None, locations)[0]
        got = ours(x, None, locations)[0]
    diff = (expected - got).abs().max().item()
    print(f"classifier logits max abs diff {diff:.2e}")
    assert diff < TOLERANCE


def test_pretraining_form_matches_official_with_mask():
    official, ours = _pair(0)
    x, locations, indices = _inputs()
    mask = (
        torch.rand(3, 22, 32, generator=torch.Generator().manual_seed(2)) < 0.5
    ).repeat_interleave(40, -1)
    with torch.no_grad():
        with mock.patch("torch.randn_like", torch.zeros_like):  # the official eval-time jitter off
            rec_a, _, att_a = official(x, mask, locations, indices)
        rec_b, _, att_b = ours(x, mask, locations, indices)
    diff = (rec_a - rec_b).abs().max().item()
    print(
        f"reconstruction max abs diff {diff:.2e}; attention {(att_a - att_b).abs().max().item():.2e}"
    )
    assert diff < TOLERANCE
    assert (att_a - att_b).abs().max().item() < TOLERANCE


def test_forward_batch_matches_official_pipeline():
    """Store-side input (microvolts, template positions) -> same logits as the official
    z-score + mne-head-frame positions + model."""
    official, ours = _pair(2)
    batch = make_batch([TCP] * 2)
    _, locations, _ = _inputs(batch_size=2)
    x = batch.signal
    x = (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-8)
    with torch.no_grad():
        expected = official(x, None, locations)[0]
        got = ours.forward_batch(batch).extras["logits"]
    diff = (expected - got).abs().max().item()
    print(f"forward_batch vs official pipeline max abs diff {diff:.2e}")
    assert diff < TOLERANCE
