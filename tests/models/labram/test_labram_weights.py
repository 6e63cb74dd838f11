"""Loading released-layout checkpoints strictly; anything that does not fit is a clear error."""

from __future__ import annotations

import pytest
import torch

import neurokit
from neurokit.core.errors import WeightsError
from neurokit.plugins.models.labram.model import NeuralTransformerForMEM

SMALL = dict(depth=2)


def mem_checkpoint(tmp_path, depth=2, wrap="model", extra=None):
    """A labram-base.pth-style file: NeuralTransformerForMEM keys plus `logit_scale` (issue #27)."""
    torch.manual_seed(1)
    mem = NeuralTransformerForMEM(vocab_size=8192, depth=depth, init_values=0.1)
    with torch.no_grad():
        for p in mem.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    state = dict(mem.state_dict())
    state["logit_scale"] = torch.tensor(2.0)
    state.update(extra or {})
    path = tmp_path / "labram-base.pth"
    torch.save({wrap: state, "epoch": 49} if wrap else state, path)
    return path, mem


@pytest.mark.parametrize("wrap", ["model", "module", None])
def test_released_pretraining_layout_loads(tmp_path, wrap):
    path, mem = mem_checkpoint(tmp_path, wrap=wrap)
    model = neurokit.create("backbone", "labram-base", num_classes=2, pretrained=str(path), **SMALL)
    got = model.state_dict()
    for k, v in mem.student.state_dict().items():
        if k.startswith(("mask_token", "lm_head", "norm.")):
            assert k not in got
        else:
            assert torch.equal(got[k], v), k
    # the pretrained final norm is discarded, fc_norm starts fresh (as in the reference)
    assert torch.equal(got["fc_norm.weight"], torch.ones(200))
    assert torch.equal(got["fc_norm.bias"], torch.zeros(200))


def test_cls_pooling_keeps_the_pretrained_norm(tmp_path):
    path, mem = mem_checkpoint(tmp_path)
    model = neurokit.create(
        "backbone", "labram-base", use_mean_pooling=False, pretrained=str(path), **SMALL
    )
    assert torch.equal(model.state_dict()["norm.weight"], mem.student.norm.weight)


def test_unexpected_key_is_an_error_naming_it(tmp_path):
    path, _ = mem_checkpoint(
        tmp_path, extra={"student.blocks.0.attn.relative_position_bias_table": torch.zeros(3)}
    )
    with pytest.raises(
        WeightsError, match=r"unexpected \(1\): blocks.0.attn.relative_position_bias_table"
    ):
        neurokit.create("backbone", "labram-base", pretrained=str(path), **SMALL)


def test_missing_keys_and_shapes_are_errors(tmp_path):
    path, _ = mem_checkpoint(tmp_path, depth=2)
    with pytest.raises(WeightsError, match=r"missing \(\d+\): blocks\.2\."):
        neurokit.create("backbone", "labram-base", pretrained=str(path), depth=3)
    with pytest.raises(WeightsError, match="shape mismatch"):
        neurokit.create("backbone", "labram-large", pretrained=str(path), depth=2)


def test_unreadable_and_absent_files_are_errors(tmp_path):
    with pytest.raises(WeightsError, match="does not exist"):
        neurokit.create("backbone", "labram-base", pretrained=str(tmp_path / "nope.pth"), **SMALL)
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="cannot read"):
        neurokit.create("backbone", "labram-base", pretrained=str(bad), **SMALL)
    junk = tmp_path / "junk.pth"
    torch.save({"model": {"foo.weight": torch.zeros(2)}}, junk)
    with pytest.raises(WeightsError, match="no LaBraM weights"):
        neurokit.create("backbone", "labram-base", pretrained=str(junk), **SMALL)


def test_finetuned_state_dict_and_neurokit_runs_load(tmp_path):
    torch.manual_seed(2)
    src = neurokit.create("backbone", "labram-base", num_classes=4, **SMALL)
    torch.save(src.state_dict(), tmp_path / "ft.pth")
    same = neurokit.create(
        "backbone", "labram-base", num_classes=4, pretrained=str(tmp_path / "ft.pth"), **SMALL
    )
    assert all(torch.equal(v, same.state_dict()[k]) for k, v in src.state_dict().items())
    # another label set: the head starts fresh, everything else loads
    other = neurokit.create(
        "backbone", "labram-base", num_classes=2, pretrained=str(tmp_path / "ft.pth"), **SMALL
    )
    assert torch.equal(
        other.state_dict()["blocks.1.attn.qkv.weight"], src.blocks[1].attn.qkv.weight
    )
    # a neurokit run directory: checkpoints/best.pt holding a task module's state
    run = tmp_path / "run" / "checkpoints"
    run.mkdir(parents=True)
    module_state = {f"backbone.{k}": v for k, v in src.state_dict().items()}
    module_state["objective.weight"] = torch.ones(4)
    torch.save({"format": "neurokit-checkpoint", "model": module_state}, run / "best.pt")
    from_run = neurokit.create(
        "backbone", "labram-base", num_classes=4, pretrained=str(tmp_path / "run"), **SMALL
    )
    assert torch.equal(from_run.head.weight, src.head.weight)


def test_pretrain_run_checkpoint_feeds_finetuning(tmp_path):
    path, mem = mem_checkpoint(tmp_path)
    state = torch.load(path, weights_only=True)["model"]
    tok = neurokit.create(
        "tokenizer", "labram-vqnsp", num_codes=16, code_dim=8, encoder_depth=1, decoder_depth=1
    )
    module_state = {f"backbone.{k}": v for k, v in state.items() if k != "logit_scale"}
    module_state.update({f"tokenizer.{k}": v for k, v in tok.state_dict().items()})
    torch.save({"model": module_state}, tmp_path / "last.pt")
    model = neurokit.create(
        "backbone", "labram-base", pretrained=str(tmp_path / "last.pt"), **SMALL
    )
    assert torch.equal(model.pos_embed, mem.student.pos_embed)


def test_mem_model_loads_released_layout(tmp_path):
    from neurokit.plugins.models.labram.weights import load_mem

    path, mem = mem_checkpoint(tmp_path)
    fresh = NeuralTransformerForMEM(vocab_size=8192, depth=2, init_values=0.1)
    load_mem(fresh, path)
    assert all(torch.equal(v, fresh.state_dict()[k]) for k, v in mem.state_dict().items())


def vqnsp_file(tmp_path, **kw):
    torch.manual_seed(3)
    tok = neurokit.create("tokenizer", "labram-vqnsp", **kw)
    tok.quantize.embedding.weight.copy_(
        torch.nn.functional.normalize(torch.randn_like(tok.quantize.embedding.weight), dim=-1)
    )
    tok.quantize.embedding.initted.fill_(1.0)
    state = dict(tok.state_dict())
    state["loss.perceptual.weight"] = torch.zeros(1)  # prefixes the reference loader drops
    state["scaling_layer.shift"] = torch.zeros(3)
    path = tmp_path / "vqnsp.pth"
    torch.save({"model": state}, path)
    return path, tok


def test_vqnsp_release_layout_loads_strictly(tmp_path):
    kw = dict(encoder_depth=2, decoder_depth=1, num_codes=128)
    path, src = vqnsp_file(tmp_path, **kw)
    tok = neurokit.create("tokenizer", "labram-vqnsp", pretrained=str(path), **kw)
    assert not tok.training
    for k, v in src.state_dict().items():
        assert torch.equal(v, tok.state_dict()[k]), k
    x = torch.randn(2, 4, 2, 200)
    assert torch.equal(
        src.eval().get_codebook_indices(x, [0, 1, 2, 3, 4]),
        tok.get_codebook_indices(x, [0, 1, 2, 3, 4]),
    )
    with pytest.raises(WeightsError, match="shape mismatch.*quantize.embedding.weight"):
        neurokit.create(
            "tokenizer",
            "labram-vqnsp",
            pretrained=str(path),
            encoder_depth=2,
            decoder_depth=1,
            num_codes=128,
            code_dim=32,
        )


def test_tokenizer_sized_from_its_checkpoint(tmp_path):
    from neurokit.plugins.models.labram.weights import tokenizer_from_checkpoint

    path, src = vqnsp_file(tmp_path, encoder_depth=2, decoder_depth=1, num_codes=128, code_dim=16)
    tok = tokenizer_from_checkpoint(path)
    assert tok.codebook_size == 128 and tok.code_dim == 16 and len(tok.encoder.blocks) == 2


def test_tokenizer_sizing_from_a_file_without_vqnsp_weights_names_it(tmp_path):
    from neurokit.plugins.models.labram.weights import tokenizer_from_checkpoint

    path, _ = mem_checkpoint(tmp_path)
    with pytest.raises(WeightsError, match=r"labram-base\.pth': no VQ-NSP weights"):
        tokenizer_from_checkpoint(path)
