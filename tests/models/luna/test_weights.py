"""Strict loading of LUNA checkpoints: released-style safetensors, prefixes, bad files."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

import neurokit
from neurokit.core.errors import NeurokitError, WeightsError
from neurokit.plugins.models.luna.weights import PRETRAINING_ONLY_KEYS
from tests.models.luna.helpers import SMALL, TCP, make_batch


def _released_like(tmp_path, prefix: str = "", **size):
    """A pretraining-form state dict saved as the released files are (safetensors)."""
    torch.manual_seed(1)
    source = neurokit.create("backbone", "luna-base", num_classes=0, **size)
    state = {prefix + k: v.contiguous() for k, v in source.state_dict().items()}
    path = tmp_path / "LUNA_test.safetensors"
    save_file(state, str(path))
    return source, path


@pytest.mark.parametrize("prefix", ["", "model."])
def test_pretrained_safetensors_load_strictly_into_a_classifier(tmp_path, prefix):
    source, path = _released_like(tmp_path, prefix, **SMALL)
    model = neurokit.create("backbone", "luna-base", num_classes=2, pretrained=str(path), **SMALL)
    own = model.state_dict()
    for key, value in source.state_dict().items():
        if key in PRETRAINING_ONLY_KEYS:
            assert key not in own
        else:
            assert torch.equal(own[key], value), key
    assert set(PRETRAINING_ONLY_KEYS) == {k for k in source.state_dict() if k not in own}


def test_pretrained_safetensors_load_into_the_pretraining_form(tmp_path):
    source, path = _released_like(tmp_path, **SMALL)
    model = neurokit.create("backbone", "luna-base", pretrained=str(path), **SMALL)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in source.state_dict().items())


def test_fine_tuned_torch_checkpoint_keeps_its_classifier(tmp_path):
    torch.manual_seed(2)
    source = neurokit.create("backbone", "luna-base", num_classes=3, **SMALL)
    path = tmp_path / "tuab.ckpt"
    torch.save({"state_dict": {"model." + k: v for k, v in source.state_dict().items()}}, path)
    model = neurokit.create(
        "backbone", "luna-base", num_classes=3, pretrained=str(path), **SMALL
    ).eval()
    source.eval()
    batch = make_batch([TCP])
    with torch.no_grad():
        assert torch.allclose(
            model.forward_batch(batch).extras["logits"],
            source.forward_batch(batch).extras["logits"],
            atol=1e-6,
        )


def test_size_mismatch_lists_the_keys(tmp_path):
    _, path = _released_like(tmp_path, **SMALL)
    with pytest.raises(WeightsError) as info:
        neurokit.create("backbone", "luna-base", num_classes=2, pretrained=str(path))
    message = str(info.value)
    assert "embed_dim=64" in message and "blocks.0.norm1.bias (32,) vs (256,)" in message
    assert "missing (90): blocks.2.norm1.weight" in message  # the small file has 2 blocks of 8


def test_stray_and_missing_keys_are_reported(tmp_path):
    source = neurokit.create("backbone", "luna-base", num_classes=0, **SMALL)
    state = {k: v for k, v in source.state_dict().items() if k != "norm.weight"}
    state["some.other.weight"] = torch.zeros(1)
    path = tmp_path / "odd.safetensors"
    save_file(state, str(path))
    with pytest.raises(
        WeightsError,
        match=r"missing \(1\): norm.weight.*unexpected \(1\): some.other.weight",
    ):
        neurokit.create("backbone", "luna-base", pretrained=str(path), **SMALL)


@pytest.mark.parametrize("content", [b"not a checkpoint", b""])
def test_corrupt_file_is_a_clear_error(tmp_path, content):
    for name in ("bad.safetensors", "bad.pt"):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(NeurokitError, match="cannot read weights from"):
            neurokit.create("backbone", "luna-base", pretrained=str(path), **SMALL)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(NeurokitError, match="does not exist"):
        neurokit.create("backbone", "luna-base", pretrained=str(tmp_path / "nope.safetensors"))
