"""Channel names -> embedding rows and store batches -> the reference input convention."""

from __future__ import annotations

from functools import partial

import pytest
import torch

import neurokit
from neurokit.core.errors import NeurokitError
from neurokit.plugins.models.labram.channels import (
    STANDARD_1020,
    ChannelError,
    ChannelMapper,
    get_input_chans,
)
from neurokit.plugins.models.labram.inputs import LabramInputError
from tests.helpers import make_batch as store_batch

TUAB = [
    "FP1",
    "FP2",
    "F3",
    "F4",
    "C3",
    "C4",
    "P3",
    "P4",
    "O1",
    "O2",
    "F7",
    "F8",
    "T3",
    "T4",
    "T5",
    "T6",
    "A1",
    "A2",
    "FZ",
    "CZ",
    "PZ",
    "T1",
    "T2",
]
TUAB_CHANS = [
    0,
    1,
    3,
    18,
    22,
    40,
    44,
    62,
    66,
    81,
    83,
    16,
    24,
    89,
    91,
    90,
    92,
    95,
    96,
    20,
    42,
    64,
    113,
    114,
]


make_batch = partial(store_batch, seconds=2, sfreq=200.0)  # 2-s windows at LaBraM's 200 Hz


def test_channel_list_is_the_reference_one():
    assert len(STANDARD_1020) == 136
    assert STANDARD_1020[:3] == ("FP1", "FPZ", "FP2")
    assert STANDARD_1020[87:90] == ("O10", "T3", "T5")
    assert STANDARD_1020[-1] == "P4-O2"
    assert get_input_chans(TUAB) == TUAB_CHANS
    assert ChannelMapper().rows(TUAB) == TUAB_CHANS[1:]


def test_mapper_is_case_insensitive_and_keeps_t3_t7_apart():
    m = ChannelMapper()
    assert m.rows(["Fp1", "fz", "T7", "T3", "FTT9h"]) == [1, 20, 38, 89, 115]


def test_unknown_channel_is_a_clear_error_unless_mapped_or_dropped():
    with pytest.raises(ChannelError, match="EKG") as info:
        ChannelMapper().rows(["FP1", "EKG"])
    assert isinstance(info.value, NeurokitError)
    assert ChannelMapper(aliases={"EEG FP1-LE": "FP1"}).rows(["EEG FP1-LE"]) == [1]
    dropping = ChannelMapper(unknown="drop")
    assert dropping.rows(["FP1", "EKG"]) == [1, None]
    assert dropping.dropped == {"EKG"}
    # the last 8 bipolar names fall outside the 129-row table
    with pytest.raises(ChannelError, match="FP1-F3"):
        ChannelMapper().rows(["FP1-F3"])
    assert ChannelMapper().rows(["FP1-F7"]) == [121]
    with pytest.raises(ChannelError, match="not one of"):
        ChannelMapper(aliases={"X": "NOPE"})


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return neurokit.create("backbone", "labram-base", depth=2, num_classes=3).eval()


def test_forward_batch_equals_reference_call(model):
    batch = make_batch([TUAB, TUAB], seconds=3)
    out = model.forward_batch(batch)
    x = batch.signal.reshape(2, 23, 3, 200) / 100
    with torch.no_grad():
        ref_pooled = model.forward_features(x, TUAB_CHANS)
        ref_tokens = model.forward_features(x, TUAB_CHANS, return_patch_tokens=True)
        ref_logits = model(x, TUAB_CHANS)
    assert torch.allclose(out.pooled, ref_pooled, atol=1e-5)
    assert torch.allclose(out.tokens, ref_tokens, atol=1e-5)
    assert torch.allclose(out.extras["logits"], ref_logits, atol=1e-5)
    assert out.pooled.shape == (2, 200) and out.tokens.shape == (2, 69, 200)


def test_padded_channels_do_not_change_a_sample(model):
    """A 19-channel sample padded next to a 23-channel one gives its own unpadded result."""
    short = TUAB[:19]
    mixed = make_batch([TUAB, short], seed=1)
    alone = make_batch([short], seed=1)
    alone.signal[0] = mixed.signal[1, :19]
    with torch.no_grad():
        a = model.forward_batch(mixed).pooled[1]
        b = model.forward_batch(alone).pooled[0]
    assert torch.allclose(a, b, atol=1e-5)


def test_per_sample_montages(model):
    """Different channel orders in one batch use each sample's own embedding rows."""
    rev = list(reversed(TUAB))
    batch = make_batch([TUAB, rev], seed=2)
    batch.signal[1] = batch.signal[0].flip(0)
    with torch.no_grad():
        out = model.forward_batch(batch).pooled
    # the same electrodes with the same data in another order: identical pooled features
    assert torch.allclose(out[0], out[1], atol=1e-5)


def test_dropped_channel_is_left_out(model):
    dropping = neurokit.create("backbone", "labram-base", depth=2, unknown_channels="drop").eval()
    dropping.load_state_dict(model.state_dict(), strict=False)
    with_ekg = make_batch([TUAB + ["EKG"]], seed=3)
    without = make_batch([TUAB], seed=3)
    without.signal[0] = with_ekg.signal[0, :23]
    with torch.no_grad():
        assert torch.allclose(
            dropping.forward_batch(with_ekg).pooled,
            dropping.forward_batch(without).pooled,
            atol=1e-5,
        )
    with pytest.raises(ChannelError, match="EKG"):
        model.forward_batch(with_ekg)


@pytest.mark.parametrize(
    "seconds,sfreq,match",
    [(2, 250.0, "200 Hz"), (1.5, 200.0, "whole"), (17, 200.0, "at most 16")],
)
def test_bad_windows_are_clear_errors(model, seconds, sfreq, match):
    batch = make_batch([TUAB], seconds=seconds, sfreq=sfreq)
    with pytest.raises(LabramInputError, match=match):
        model.forward_batch(batch)


def test_tokenizer_tokenize_matches_reference_call():
    torch.manual_seed(0)
    tok = neurokit.create(
        "tokenizer",
        "labram-vqnsp",
        num_codes=64,
        code_dim=16,
        encoder_depth=1,
        decoder_depth=1,
        kmeans_init=False,
    ).eval()
    batch = make_batch([TUAB, TUAB], seconds=2)
    codes = tok.tokenize(batch)
    ref = tok.get_codebook_indices(batch.signal.reshape(2, 23, 2, 200) / 100, TUAB_CHANS)
    assert codes.shape == (2, 46) and codes.dtype == torch.long
    assert torch.equal(codes, ref)
    mixed = make_batch([TUAB, TUAB[:20]], seed=4)
    padded = tok.tokenize(mixed)
    assert (padded[1].view(23, 2)[20:] == -1).all() and (padded[1] >= 0).sum() == 40
    alone = make_batch([TUAB[:20]], seed=4)
    alone.signal[0] = mixed.signal[1, :20]
    assert torch.equal(padded[1][:40], tok.tokenize(alone)[0])


def test_pretraining_recuts_long_windows_to_the_token_budget():
    from neurokit.plugins.models.labram.inputs import to_labram_input
    from neurokit.plugins.models.labram.stages import ANY_LENGTH, chunk_seconds, rechunk

    assert chunk_seconds(64, 30, 256) == 4 and chunk_seconds(32, 30, 256) == 8
    assert chunk_seconds(4, 30, 256) == 16 and chunk_seconds(300, 30, 256) == 1
    batch = make_batch([TUAB, TUAB[:20]], seconds=30)  # 23 channels -> 11-s chunks, two per window
    inp = rechunk(to_labram_input(batch, ChannelMapper(), max_patches=ANY_LENGTH), 256)
    assert inp.x.shape == (4, 23, 11, 200)
    assert torch.allclose(inp.x[1, :, 0], batch.signal[0].reshape(23, 30, 200)[:, 11] / 100)
    assert inp.channel_mask.tolist() == [[True] * 23] * 2 + [[True] * 20 + [False] * 3] * 2
