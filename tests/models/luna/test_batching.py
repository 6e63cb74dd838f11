"""LUNA on neurokit batches: mixed montages, padding, jitter, resampling, positions."""

from __future__ import annotations

import pytest
import torch

from neurokit.core.errors import NeurokitError
from tests.models.luna.helpers import TCP, TEN_TWENTY, make_batch, sub_batch

ATOL = 1e-5


def test_mixed_montage_batch_equals_each_sample_alone(small_luna):
    """A 22-channel bipolar sample and a padded 19-channel referential one, batched:
    each gets exactly what it gets alone (the reference's .repeat tiling fails this)."""
    model = small_luna(num_classes=3).eval()
    batch = make_batch([TCP, TEN_TWENTY, TCP[:20]])
    with torch.no_grad():
        together = model.forward_batch(batch)
        for i in range(3):
            alone = model.forward_batch(sub_batch(batch, i))
            assert torch.allclose(
                together.extras["logits"][i], alone.extras["logits"][0], atol=ATOL
            )
            assert torch.allclose(together.tokens[i], alone.tokens[0], atol=ATOL)


def test_mixed_montage_pretraining_reconstruction_equals_alone(small_luna):
    model = small_luna().eval()
    batch = make_batch([TEN_TWENTY, TCP])
    x, locations, channel_mask = model.prepare_batch(batch)
    from neurokit.plugins.models.luna.inputs import channel_index_tensor

    indices = channel_index_tensor(batch.channel_names, x.shape[1], x.device)
    token_mask = torch.rand(2, 22, 32, generator=torch.Generator().manual_seed(0)) < 0.5
    with torch.no_grad():
        enc = model.encode(x, locations, token_mask, channel_mask, need_weights=True)
        together = model.reconstruct(enc, indices)
        c = len(TEN_TWENTY)
        enc0 = model.encode(
            x[:1, :c], locations[:1, :c], token_mask[:1, :c], None, need_weights=True
        )
        alone = model.reconstruct(enc0, indices[:1, :c])
    assert torch.allclose(together[0, :c], alone[0], atol=ATOL)
    # padded channels get no attention from any query
    assert enc["attention"].view(2, 32, -1, 22)[0, :, :, c:].abs().max() == 0


def test_padding_is_invisible(small_luna):
    """Extra zero channels marked as padding change nothing."""
    model = small_luna(num_classes=2).eval()
    batch = make_batch([TEN_TWENTY])
    padded = make_batch([TEN_TWENTY, TCP])  # widens sample 0 to 22 slots
    with torch.no_grad():
        a = model.forward_batch(batch).extras["logits"][0]
        b = model.forward_batch(padded).extras["logits"][0]
    assert torch.allclose(a, b, atol=ATOL)


def test_location_jitter_is_training_only(small_luna):
    model = small_luna(num_classes=2)
    batch = make_batch([TCP] * 2)
    model.eval()
    with torch.no_grad():
        first = model.forward_batch(batch).extras["logits"]
        second = model.forward_batch(batch).extras["logits"]
        masked_call = model(
            first.new_zeros(2, 22, 1280),
            torch.zeros(2, 22, 1280, dtype=torch.bool),
            batch.positions,
        )[0]
        masked_again = model(
            first.new_zeros(2, 22, 1280),
            torch.zeros(2, 22, 1280, dtype=torch.bool),
            batch.positions,
        )[0]
    assert torch.equal(first, second)
    assert torch.equal(masked_call, masked_again)  # an all-zero mask does not switch jitter on
    model.train()
    from neurokit.plugins.models.luna.layers import MultiheadAttention

    for module in model.modules():  # isolate the jitter: no dropout
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
        if isinstance(module, MultiheadAttention):
            module.dropout = 0.0
    with torch.no_grad():
        jittered = model.forward_batch(batch).extras["logits"]
    assert not torch.allclose(jittered, first, atol=1e-6)
    model.location_jitter = 0.0
    with torch.no_grad():
        assert torch.allclose(model.forward_batch(batch).extras["logits"], first, atol=1e-6)


def test_200hz_store_is_resampled_to_256hz(small_luna):
    """5 s at 200 Hz become the 1280 samples / 32 patches of a native window, and a
    band-limited signal gives the same tokens either way."""
    model = small_luna(num_classes=2).eval()
    t200, t256 = torch.arange(1000) / 200.0, torch.arange(1280) / 256.0
    freqs = torch.tensor([3.0, 7.0, 11.0, 23.0]).view(4, 1)
    native = make_batch([TEN_TWENTY[:4]], sfreq=256.0)
    native.signal[0] = 20 * torch.sin(2 * torch.pi * freqs * t256)
    slow = make_batch([TEN_TWENTY[:4]], sfreq=200.0)
    slow.signal[0] = 20 * torch.sin(2 * torch.pi * freqs * t200)
    x, _, _ = model.prepare_batch(slow)
    assert x.shape[-1] == 1280
    x_native, _, _ = model.prepare_batch(native)
    assert torch.allclose(x, x_native, atol=1e-3)
    with torch.no_grad():
        assert model.forward_batch(slow).tokens.shape == (1, 32, 32)


def test_window_not_multiple_of_patch_is_padded(small_luna):
    model = small_luna(num_classes=2).eval()
    with torch.no_grad():
        out = model.forward_batch(make_batch([TCP], seconds=1.1))  # 281.6 -> 282 samples
    assert out.tokens.shape[1] == 8 and torch.isfinite(out.extras["logits"]).all()


def test_unknown_positions_are_a_clear_error(small_luna):
    model = small_luna(num_classes=2).eval()
    batch = make_batch([["FP1", "XYZ1", "CZ"]])
    with pytest.raises(NeurokitError, match="XYZ1"):
        model.forward_batch(batch)


def test_names_outside_the_vocabulary_use_the_nearest_row():
    from neurokit.plugins.models.luna.inputs import vocab_indices
    from neurokit.plugins.models.luna.vocab import VOCAB_INDEX

    assert vocab_indices(("FP1-F7", "CZ")) == (VOCAB_INDEX["FP1-F7"], VOCAB_INDEX["CZ"])
    (row,) = vocab_indices(("FC2-FC4",))  # not in the table: nearest to its midpoint
    assert row in (VOCAB_INDEX["FC2"], VOCAB_INDEX["FC4"], VOCAB_INDEX["C2"], VOCAB_INDEX["F2"])


def test_layer_decay_matches_official_recipe(small_luna):
    """With the trainer's decay**(L + 1 - id): blocks.N -> 0.75**(depth - N), the rest 1."""
    model = small_luna(num_classes=2)
    depth = model.num_layers()
    scale = {
        name: 0.75 ** (depth + 1 - model.layer_id(name)) for name, _ in model.named_parameters()
    }
    assert scale["blocks.0.attn.qkv_proj.weight"] == pytest.approx(0.75**2)
    assert scale["blocks.1.mlp.fc1.weight"] == pytest.approx(0.75)
    assert scale["patch_embed.proj_in.0.weight"] == scale["classifier.learned_agg"] == 1.0
