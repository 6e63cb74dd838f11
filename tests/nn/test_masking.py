"""One random token masking for every family, each keeping the masks its seeds always gave."""

from __future__ import annotations

import pytest
import torch

from neurokit.nn.masking import random_token_mask


def mae_reference(batch, length, ratio, generator):
    """MAE / BEiT shuffle masking, as the LaBraM reference writes it."""
    keep = int(length * (1 - ratio))
    noise = torch.rand(batch, length, generator=generator)
    ids_shuffle = torch.argsort(noise, dim=1)
    mask = torch.ones(batch, length)
    mask[:, :keep] = 0
    return torch.gather(mask, 1, torch.argsort(ids_shuffle, dim=1)).bool()


@pytest.mark.parametrize("length, ratio", [(37, 0.5), (64, 0.3), (256, 0.75), (5, 0.0)])
def test_keep_rounding_is_the_mae_reference(length, ratio):
    ours = random_token_mask(6, length, ratio, torch.Generator().manual_seed(3))
    ref = mae_reference(6, length, ratio, torch.Generator().manual_seed(3))
    assert torch.equal(ours, ref)
    assert (ours.sum(1) == length - int(length * (1 - ratio))).all()


def test_mask_rounding_masks_floor_of_the_valid_tokens_and_never_padding():
    g = torch.Generator().manual_seed(0)
    channels = torch.tensor([22, 19, 3])
    patches = 8
    channel_mask = torch.arange(22)[None] < channels[:, None]  # (3, 22), padded montages
    valid = channel_mask.unsqueeze(-1).expand(3, 22, patches).reshape(3, -1)
    for ratio in (0.5, 0.3, 0.9):
        mask = random_token_mask(3, 22 * patches, ratio, g, valid=valid, rounding="mask")
        assert not (mask & ~valid).any()
        assert mask.sum(1).tolist() == [int(c * patches * ratio) for c in channels.tolist()]


def test_keep_rounding_with_padding_keeps_floor_visible_per_sample():
    valid = torch.arange(10)[None] < torch.tensor([[10], [4]])
    mask = random_token_mask(2, 10, 0.5, torch.Generator().manual_seed(1), valid=valid)
    assert not (mask & ~valid).any()
    assert (valid & ~mask).sum(1).tolist() == [5, 2]


def test_every_valid_token_is_equally_likely_to_be_masked():
    g = torch.Generator().manual_seed(7)
    valid = torch.ones(4000, 12, dtype=torch.bool)
    valid[:, 9:] = False
    for rounding in ("keep", "mask"):
        freq = random_token_mask(4000, 12, 1 / 3, g, valid=valid, rounding=rounding).float().mean(0)
        assert torch.allclose(freq[:9], torch.full((9,), 1 / 3), atol=0.03), rounding
        assert freq[9:].sum() == 0


def test_unknown_rounding_is_refused():
    with pytest.raises(ValueError, match="rounding"):
        random_token_mask(1, 4, 0.5, rounding="ceil")
