"""Official checkpoints load strictly through the Du-IN filters, with an explicit allow-list."""

from __future__ import annotations

import pytest
import torch

import neurokit
from neurokit.plugins.models.duin.losses import classification_loss
from neurokit.plugins.models.duin.weights import (
    DuINWeightsError,
    filter_official,
    load_full,
    load_official,
)


def _small(kind, **kw):
    base = dict(n_blocks=2, codex_size=64)
    if kind == "vqvae":
        base["decoder_blocks"] = 1
    return neurokit.create("backbone", f"duin-{kind}", **{**base, **kw})


def test_vqvae_checkpoint_into_classifier(tmp_path):
    vqvae = _small("vqvae", seq_len=4000)
    path = tmp_path / "checkpoint-399.pth"
    torch.save(vqvae.state_dict(), path)
    cls = _small("cls", seq_len=3000, n_labels=61)
    result = load_official(cls, path, "cls")
    for key in (
        "subj_block.subj_layer.W.weight",
        "tokenizer.conv_blocks.0.1.1.running_mean",
        "encoder.1.xfmr_blocks.1.ffn.fc2.0.weight",
    ):
        assert torch.equal(cls.state_dict()[key], vqvae.state_dict()[key])
    assert any(k.startswith("decoder.") for k in result.dropped)
    assert any(k.startswith("vq_block.") for k in result.dropped)  # the classifier keeps its own
    assert "emb_time.time_encodings" in result.dropped  # 40 tokens there, 30 here


def test_mae_checkpoint_into_vqvae_and_errors(tmp_path):
    mae = _small("mae", seq_len=4000)
    vqvae = _small("vqvae", seq_len=4000)
    with pytest.raises(DuINWeightsError, match="missing: vq_block"):
        load_official(vqvae, mae.state_dict(), "vqvae")  # an MAE has no codex to give
    state = dict(mae.state_dict())
    state["encoder.1.xfmr_blocks.0.mha.extra"] = torch.zeros(1)
    state["tokenizer.conv_blocks.0.0.1.weight"] = torch.zeros(1, 2, 3)
    with pytest.raises(DuINWeightsError) as err:
        load_official(_small("cls", seq_len=3000), state, "cls")
    assert "unexpected: encoder.1.xfmr_blocks.0.mha.extra" in str(err.value)
    assert "shape: tokenizer.conv_blocks.0.0.1.weight" in str(err.value)
    with pytest.raises(DuINWeightsError, match="not a Du-IN checkpoint"):
        filter_official({"foo.weight": torch.zeros(1)}, "cls")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(DuINWeightsError, match="cannot read"):
        load_official(vqvae, tmp_path / "junk.pth", "vqvae")


def test_wrapped_keys_and_full_load():
    cls = _small("cls", seq_len=3000)
    state = {"module." + k: v for k, v in cls.state_dict().items()}
    other = _small("cls", seq_len=3000)
    load_full(other, state)
    assert all(
        torch.equal(a, b)
        for a, b in zip(cls.state_dict().values(), other.state_dict().values(), strict=True)
    )
    with pytest.raises(DuINWeightsError, match="missing"):
        load_full(
            other, {k: v for k, v in cls.state_dict().items() if not k.startswith("cls_block")}
        )


def test_official_sigmoid_loss_has_a_floor():
    logits = torch.tensor([[50.0, -50.0, -50.0, -50.0]])
    target = torch.tensor([0])
    assert classification_loss(logits, target) < 1e-6
    floor = torch.log(torch.tensor(1 + 3 / torch.e))
    assert torch.isclose(classification_loss(logits, target, official=True), floor, atol=1e-4)
    one_hot = torch.nn.functional.one_hot(target, 4).float()
    assert torch.isclose(classification_loss(logits, one_hot), classification_loss(logits, target))
