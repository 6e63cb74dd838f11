"""Numerics parity with the official LaBraM code (dev-time; skipped unless LABRAM_REF is set).

Run:  LABRAM_REF=/tmp/labram_ref PYTHONPATH=/path/with/einops pytest tests/models/labram/test_labram_parity.py

LABRAM_REF is a checkout of github.com/935963004/LaBraM. timm is not needed: the few timm
helpers its modeling files import are stubbed below. Weights are generated here, copied
both ways, and outputs must agree to 1e-4 (tokens exactly).
"""

from __future__ import annotations

import os
import sys
import types
from functools import partial

import pytest
import torch

REF = os.environ.get("LABRAM_REF")
pytestmark = pytest.mark.skipif(not REF, reason="set LABRAM_REF to an official LaBraM checkout")


def _stub_timm() -> None:
    if "timm.models.layers" in sys.modules:
        return
    try:
        import timm.models.layers  # noqa: F401

        return
    except Exception:
        pass
    timm = types.ModuleType("timm")
    models = types.ModuleType("timm.models")
    layers = types.ModuleType("timm.models.layers")
    registry = types.ModuleType("timm.models.registry")
    layers.drop_path = lambda x, p=0.0, training=False: x
    layers.to_2tuple = lambda x: (x, x)
    layers.trunc_normal_ = lambda t, mean=0.0, std=1.0, a=-2.0, b=2.0: torch.nn.init.trunc_normal_(
        t, mean, std, a, b
    )
    registry.register_model = lambda fn: fn
    timm.models, models.layers, models.registry = models, layers, registry
    sys.modules.update(
        {
            "timm": timm,
            "timm.models": models,
            "timm.models.layers": layers,
            "timm.models.registry": registry,
        }
    )


@pytest.fixture(scope="module")
def ref():
    pytest.importorskip("einops")
    _stub_timm()
    sys.path.insert(0, REF)
    import modeling_finetune
    import modeling_pretrain
    import modeling_vqnsp

    return types.SimpleNamespace(ft=modeling_finetune, pt=modeling_pretrain, vq=modeling_vqnsp)


def _randomise(module: torch.nn.Module, seed: int) -> None:
    """Non-trivial values everywhere (LayerNorm affine, gammas, biases) so every path matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "quantize" in name:
                continue
            p.copy_(
                torch.randn(p.shape, generator=g) * (0.05 if p.dim() > 1 else 0.2)
                + (1.0 if "norm" in name and name.endswith("weight") else 0.0)
            )


def _copy(src: torch.nn.Module, dst: torch.nn.Module) -> None:
    s, d = src.state_dict(), dst.state_dict()
    assert list(s) == list(d) or sorted(s) == sorted(d), set(s) ^ set(d)
    for k in d:
        assert s[k].shape == d[k].shape, k
    dst.load_state_dict(s)


def _input(b=3, n=5, a=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, n, a, 200, generator=g) * 0.5


CHANS = [0, 1, 3, 18, 22, 40]
LN = partial(torch.nn.LayerNorm, eps=1e-6)


@pytest.mark.parametrize(
    "depth,use_mean_pooling,width",
    [
        (2, True, (200, 10, 8)),
        (12, True, (200, 10, 8)),
        (2, False, (200, 10, 8)),
        (2, True, (400, 16, 16)),
    ],
)
def test_finetune_model_matches(ref, depth, use_mean_pooling, width):
    dim, heads, out_chans = width
    from neurokit.plugins.models.labram.model import NeuralTransformer

    official = ref.ft.NeuralTransformer(
        num_classes=3,
        embed_dim=dim,
        out_chans=out_chans,
        depth=depth,
        num_heads=heads,
        qk_norm=LN,
        norm_layer=LN,
        init_values=0.1,
        use_mean_pooling=use_mean_pooling,
    ).eval()
    ours = NeuralTransformer(
        num_classes=3,
        embed_dim=dim,
        out_chans=out_chans,
        depth=depth,
        num_heads=heads,
        init_values=0.1,
        use_mean_pooling=use_mean_pooling,
    ).eval()
    _randomise(official, 1)
    _copy(official, ours)
    x = _input()
    with torch.no_grad():
        for kwargs in ({}, {"return_patch_tokens": True}, {"return_all_tokens": True}):
            a, b = official(x, CHANS, **kwargs), ours(x, CHANS, **kwargs)
            diff = (a - b).abs().max().item()
            print(
                f"finetune D={dim} depth={depth} pool={use_mean_pooling} {kwargs}: max abs diff {diff:.2e}"
            )
            assert diff < 1e-4


def test_finetune_gradients_match(ref):
    from neurokit.plugins.models.labram.model import NeuralTransformer

    official = ref.ft.NeuralTransformer(
        num_classes=2, depth=2, qk_norm=LN, norm_layer=LN, init_values=0.1
    ).train()
    ours = NeuralTransformer(num_classes=2, depth=2, init_values=0.1).train()
    _randomise(official, 2)
    _copy(official, ours)
    x = _input(seed=3)
    official(x, CHANS).square().sum().backward()
    ours(x, CHANS).square().sum().backward()
    go = dict(official.named_parameters())
    worst = max((p.grad - go[n].grad).abs().max().item() for n, p in ours.named_parameters())
    print(f"finetune grad max abs diff {worst:.2e}")
    assert worst < 1e-4


def test_mem_model_matches(ref):
    from neurokit.plugins.models.labram.model import NeuralTransformerForMEM, random_masking

    official = ref.pt.NeuralTransformerForMEM(
        depth=2, qkv_bias=False, qk_norm=LN, norm_layer=LN, init_values=0.1, vocab_size=64
    ).eval()
    ours = NeuralTransformerForMEM(vocab_size=64, depth=2, init_values=0.1).eval()
    _randomise(official, 4)
    _copy(official, ours)
    x = _input()
    mask = random_masking(
        x.shape[0], x.shape[1] * x.shape[2], 0.5, generator=torch.Generator().manual_seed(0)
    )
    with torch.no_grad():
        a, a_sym = official(x, CHANS, bool_masked_pos=mask)
        b, b_sym = ours(x, CHANS, bool_masked_pos=mask)
        diff = max((a - b).abs().max().item(), (a_sym - b_sym).abs().max().item())
        all_a = official.student(x, CHANS, mask, return_all_patch_tokens=True)
        all_b = ours.student(x, CHANS, mask, return_all_patch_tokens=True)
        diff = max(diff, (all_a - all_b).abs().max().item())
    print(f"MEM max abs diff {diff:.2e}")
    assert diff < 1e-4


@pytest.mark.parametrize("encoder_depth,num_codes,n", [(2, 512, 5), (12, 8192, 16)])
def test_vqnsp_matches(ref, encoder_depth, num_codes, n):
    from neurokit.plugins.models.labram.vqnsp import VQNSP

    enc, dec = ref.vq.get_model_default_params(), ref.vq.get_model_default_params()
    enc.update(EEG_size=800, num_classes=0, depth=encoder_depth)
    dec.update(EEG_size=4, patch_size=1, in_chans=64, num_classes=0, depth=3)
    official = ref.vq.VQNSP(
        enc, dec, n_embed=num_codes, embed_dim=64, decay=0.99, quantize_kmeans_init=True
    )
    ours = VQNSP(num_codes=num_codes, code_dim=64, encoder_depth=encoder_depth)
    _randomise(official, 5)
    g = torch.Generator().manual_seed(6)
    code = torch.nn.functional.normalize(torch.randn(num_codes, 64, generator=g), dim=-1)
    with torch.no_grad():
        official.quantize.embedding.weight.copy_(code)
        official.quantize.embedding.initted.fill_(1.0)
    _copy(official, ours)
    official.eval(), ours.eval()
    x = _input(b=8, n=n, a=4, seed=7)
    chans = [0] + list(range(1, 2 * n, 2))
    with torch.no_grad():  # codes near the data (perturbed encoder outputs): many close calls
        z = official.encode_task_layer(
            official.encoder(x, chans, return_patch_tokens=True)
        ).flatten(0, 1)
        z = torch.nn.functional.normalize(z, dim=-1)
        pick = torch.randint(0, z.shape[0], (num_codes,), generator=g)
        code = torch.nn.functional.normalize(
            z[pick] + 0.3 * torch.randn(num_codes, 64, generator=g), dim=-1
        )
        official.quantize.embedding.weight.copy_(code)
        ours.quantize.embedding.weight.copy_(code)
        tok_a = official.get_codebook_indices(x, chans)
        tok_b = ours.get_codebook_indices(x, chans)
        loss_a, log_a = official(x.flatten(2), chans)
        loss_b, log_b = ours(x.flatten(2), chans)
    agree = (tok_a == tok_b).float().mean().item()
    print(
        f"VQNSP depth={encoder_depth}: token agreement {agree:.4f} over {tok_a.numel()} tokens, "
        f"loss {loss_a.item():.4f} diff {abs(loss_a - loss_b).item():.2e}, {tok_a.unique().numel()} distinct codes"
    )
    assert tok_a.shape == tok_b.shape == (8, n * 4)
    assert torch.equal(tok_a, tok_b)
    assert abs(loss_a - loss_b).item() < 1e-4
    for k in ("val/quant_loss", "val/rec_loss", "val/rec_angle_loss"):
        assert abs(log_a[k] - log_b[k]).item() < 1e-4


def test_vqnsp_training_step_matches(ref):
    """One train-mode forward: k-means init aside, the EMA codebook update and loss agree."""
    from neurokit.plugins.models.labram.vqnsp import VQNSP

    enc, dec = ref.vq.get_model_default_params(), ref.vq.get_model_default_params()
    enc.update(EEG_size=800, num_classes=0, depth=2)
    dec.update(EEG_size=4, patch_size=1, in_chans=32, num_classes=0, depth=3)
    official = ref.vq.VQNSP(
        enc, dec, n_embed=256, embed_dim=32, decay=0.9, quantize_kmeans_init=True
    )
    ours = VQNSP(num_codes=256, code_dim=32, encoder_depth=2, decay=0.9)
    _randomise(official, 8)
    code = torch.nn.functional.normalize(
        torch.randn(256, 32, generator=torch.Generator().manual_seed(9)), dim=-1
    )
    with torch.no_grad():
        official.quantize.embedding.weight.copy_(code)
        official.quantize.embedding.initted.fill_(1.0)
    _copy(official, ours)
    official.train(), ours.train()
    x = _input(b=4, n=5, a=4, seed=10)
    loss_a, _ = official(x.flatten(2), CHANS)
    loss_b, _ = ours(x.flatten(2), CHANS)
    assert abs(loss_a - loss_b).item() < 1e-4
    wa, wb = official.quantize.embedding.weight, ours.quantize.embedding.weight
    assert (wa - wb).abs().max().item() < 1e-5
    assert (official.quantize.cluster_size - ours.quantize.cluster_size).abs().max().item() < 1e-6


def test_official_checkpoints_load_strictly(ref, tmp_path):
    """labram-base.pth / vqnsp.pth written by the official classes load through our strict loaders."""
    import neurokit

    official = ref.pt.labram_base_patch200_1600_8k_vocab(init_values=0.1, drop_path_rate=0.0)
    state = dict(official.state_dict())
    state["logit_scale"] = torch.tensor(1.0)
    torch.save({"model": state}, tmp_path / "labram-base.pth")
    ours = neurokit.create(
        "backbone", "labram-base", num_classes=2, pretrained=str(tmp_path / "labram-base.pth")
    )
    assert torch.equal(
        ours.blocks[11].attn.q_norm.weight, official.student.blocks[11].attn.q_norm.weight
    )

    vq = ref.vq.vqnsp_encoder_base_decoder_3x200x12(EEG_size=1600, n_code=8192, code_dim=64)
    torch.save({"model": vq.state_dict()}, tmp_path / "vqnsp.pth")
    tok = neurokit.create("tokenizer", "labram-vqnsp", pretrained=str(tmp_path / "vqnsp.pth"))
    assert torch.equal(tok.encoder.blocks[0].attn.q_bias, vq.encoder.blocks[0].attn.q_bias)
