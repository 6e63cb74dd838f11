"""The shared Mlp serves both layouts: BEiT's (LaBraM) and timm's with a hidden norm (LUNA)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.nn.layers import DropPath, Mlp, rescale_residual_


def test_plain_mlp_keeps_beit_keys_and_computes_fc2_gelu_fc1():
    mlp = Mlp(6, 12, 4).eval()
    assert list(mlp.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    x = torch.randn(3, 6)
    assert torch.allclose(mlp(x), mlp.fc2(F.gelu(mlp.fc1(x))))


def test_normed_mlp_has_the_timm_norm_key_and_applies_it_between():
    mlp = Mlp(6, 12, 4, hidden_drop=0.5, norm_layer=nn.LayerNorm)
    assert list(mlp.state_dict()) == [
        "fc1.weight",
        "fc1.bias",
        "norm.weight",
        "norm.bias",
        "fc2.weight",
        "fc2.bias",
    ]
    x = torch.randn(64, 6)
    expected = mlp.fc2(F.layer_norm(F.gelu(mlp.fc1(x)), (12,), mlp.norm.weight, mlp.norm.bias))
    assert torch.allclose(mlp.eval()(x), expected, atol=1e-6)
    torch.manual_seed(0)
    assert not torch.allclose(mlp.train()(x), expected, atol=1e-3)  # hidden dropout is on


def test_drop_path_drops_whole_samples_and_rescales():
    torch.manual_seed(0)
    x = torch.ones(2000, 3, 4)
    out = DropPath(0.25).train()(x)
    per_sample = out.flatten(1)
    assert (
        torch.isclose(per_sample, torch.tensor(0.0))
        .logical_or(torch.isclose(per_sample, torch.tensor(1 / 0.75)))
        .all()
    )
    assert (per_sample.min(1).values == per_sample.max(1).values).all()  # all or nothing
    assert abs((per_sample[:, 0] == 0).float().mean().item() - 0.25) < 0.04
    assert torch.equal(DropPath(0.25).eval()(x), x)


def test_rescale_divides_each_blocks_output_projections_by_sqrt_2_layer():
    class Attn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Linear(2, 2)

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn, self.mlp = Attn(), Mlp(2, 4)

    blocks = nn.ModuleList(Block() for _ in range(3))
    before = [(b.attn.proj.weight.clone(), b.mlp.fc2.weight.clone()) for b in blocks]
    rescale_residual_(blocks)
    for layer, (block, (proj, fc2)) in enumerate(zip(blocks, before, strict=True), start=1):
        assert torch.allclose(block.attn.proj.weight, proj / (2.0 * layer) ** 0.5)
        assert torch.allclose(block.mlp.fc2.weight, fc2 / (2.0 * layer) ** 0.5)
