"""neurokit batches reach the official call: codes, channel rows, masks, errors, weights."""

from __future__ import annotations

import pytest
import torch

import neurokit
from neurokit.core.errors import DataError
from neurokit.plugins.models.forecast.inputs import batch_codes, channel_rows
from neurokit.plugins.models.forecast.losses import next_step_loss
from neurokit.plugins.models.forecast.tokenizer import MuLawTokenizer, mulaw_encode
from neurokit.plugins.models.forecast.weights import load_weights
from tests.helpers import make_batch
from tests.models.forecast.helpers import TINY

MEG = ["MLC11", "MLC12", "MRC11", "MRC12"]


def meg_batch():
    batch = make_batch([MEG, MEG[:3]], seconds=0.5, sfreq=100.0, amplitude=1.0)
    batch.signal = batch.signal * 1e-12  # tesla-sized numbers: scaling must not care
    return batch


@pytest.mark.parametrize("name", list(TINY))
def test_forward_batch_gives_next_step_logits_and_features(name):
    model = neurokit.create("backbone", name, **TINY[name], channel_names=MEG).eval()
    batch = meg_batch()
    with torch.no_grad():
        out = model.forward_batch(batch)
        codes = out.extras["codes"]
        torch.testing.assert_close(out.extras["next_token_logits"], model(codes))
    assert codes.shape == (2, 4, 50) and codes.dtype == torch.int64
    assert out.pooled.shape == (2, model.num_features) and "logits" not in out.extras
    loss, _ = next_step_loss(out.extras["next_token_logits"], codes, out.extras["channel_mask"])
    assert torch.isfinite(loss)
    model.reset_classifier(3)
    assert model.forward_batch(batch).extras["logits"].shape == (2, 3)


def test_codes_follow_the_official_jit_path():
    batch = meg_batch()
    codes = batch_codes(batch, MuLawTokenizer(255, max_val=5.0))
    x = batch.signal[0].double()
    q = x.quantile(torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64), dim=-1)
    scaled = (x - q[1][:, None]) / (q[2] - q[0])[:, None]
    mean, std = scaled.mean(-1, keepdim=True), scaled.std(-1, unbiased=False, keepdim=True)
    scaled = scaled.clamp(min=mean - 5 * std, max=mean + 5 * std)
    expect = mulaw_encode((scaled / 5.0).float(), 255)
    assert (codes[0] != expect).float().mean() < 0.01  # float32 vs float64 at bin edges only


def test_channels_are_matched_by_name_and_mismatches_are_clear():
    batch = meg_batch()
    assert channel_rows(batch, list(reversed(MEG)), 4).tolist() == [3, 2, 1, 0]
    with pytest.raises(DataError, match="not among the model's"):
        channel_rows(batch, ["A", "B", "C", "D"], 4)
    with pytest.raises(DataError, match="5 channels"):
        channel_rows(make_batch([MEG + ["MZC01"]], 0.2, 100.0), None, 4)


def test_gpt2meg_crops_to_its_context():
    cfg = {**TINY["gpt2meg"], "gpt2_config": {**TINY["gpt2meg"]["gpt2_config"], "n_positions": 20}}
    model = neurokit.create("backbone", "gpt2meg", **cfg).eval()
    with torch.no_grad():
        out = model.forward_batch(meg_batch())
    assert out.extras["codes"].shape[-1] == 20
    with pytest.raises(ValueError, match="exceed the context"):
        model(torch.zeros(1, 4, 21, dtype=torch.long))


def test_official_lightning_checkpoint_loads_strictly(tmp_path):
    name = "stgpt2meg"
    source = neurokit.create("backbone", name, **TINY[name])
    state = {f"model._orig_mod.{k}": v for k, v in source.state_dict().items()}
    path = tmp_path / "last.ckpt"
    torch.save({"state_dict": state, "epoch": 3}, path)
    target = neurokit.create("backbone", name, **TINY[name], pretrained=str(path))
    for k, v in source.state_dict().items():
        assert torch.equal(target.state_dict()[k], v)
    # HF's old causal-mask buffers are dropped; a wrong shape names the key
    gpt = neurokit.create("backbone", "gpt2meg", **TINY["gpt2meg"])
    hf = dict(gpt.state_dict())
    hf["gpt2.h.0.attn.bias"] = torch.ones(1, 1, 64, 64)
    load_weights(gpt, hf)
    hf["head.weight"] = torch.zeros(3, 3)
    with pytest.raises(DataError, match=r"head\.weight"):
        load_weights(gpt, hf)
    with pytest.raises(DataError, match="does not exist"):
        load_weights(gpt, tmp_path / "missing.ckpt")
