"""State-dict keys and shapes against the reference layout (written out here from the
reference sheet / modeling_*.py, not read off our own modules)."""

from __future__ import annotations

import pytest
import torch

import neurokit


def expected_finetune_keys(
    d: int, depth: int, out_chans: int, num_classes: int
) -> dict[str, tuple]:
    """modeling_finetune.NeuralTransformer (qk_norm, no qkv bias, layer scale, mean pooling)."""
    keys: dict[str, tuple] = {
        "cls_token": (1, 1, d),
        "pos_embed": (1, 129, d),
        "time_embed": (1, 16, d),
    }
    keys.update(
        {
            "patch_embed.conv1.weight": (out_chans, 1, 1, 15),
            "patch_embed.conv1.bias": (out_chans,),
            "patch_embed.norm1.weight": (out_chans,),
            "patch_embed.norm1.bias": (out_chans,),
            "patch_embed.conv2.weight": (out_chans, out_chans, 1, 3),
            "patch_embed.conv2.bias": (out_chans,),
            "patch_embed.norm2.weight": (out_chans,),
            "patch_embed.norm2.bias": (out_chans,),
            "patch_embed.conv3.weight": (out_chans, out_chans, 1, 3),
            "patch_embed.conv3.bias": (out_chans,),
            "patch_embed.norm3.weight": (out_chans,),
            "patch_embed.norm3.bias": (out_chans,),
        }
    )
    heads = {200: 10, 400: 16, 800: 16}[d]
    hd = d // heads
    for i in range(depth):
        p = f"blocks.{i}."
        keys.update(
            {
                p + "gamma_1": (d,),
                p + "gamma_2": (d,),
                p + "norm1.weight": (d,),
                p + "norm1.bias": (d,),
                p + "attn.qkv.weight": (3 * d, d),
                p + "attn.q_norm.weight": (hd,),
                p + "attn.q_norm.bias": (hd,),
                p + "attn.k_norm.weight": (hd,),
                p + "attn.k_norm.bias": (hd,),
                p + "attn.proj.weight": (d, d),
                p + "attn.proj.bias": (d,),
                p + "norm2.weight": (d,),
                p + "norm2.bias": (d,),
                p + "mlp.fc1.weight": (4 * d, d),
                p + "mlp.fc1.bias": (4 * d,),
                p + "mlp.fc2.weight": (d, 4 * d),
                p + "mlp.fc2.bias": (d,),
            }
        )
    keys.update({"fc_norm.weight": (d,), "fc_norm.bias": (d,)})
    if num_classes:
        keys.update({"head.weight": (num_classes, d), "head.bias": (num_classes,)})
    return keys


def shapes(module: torch.nn.Module) -> dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def test_labram_base_keys_and_shapes_are_the_reference_ones():
    model = neurokit.create("backbone", "labram-base", num_classes=6)
    assert shapes(model) == expected_finetune_keys(200, 12, 8, 6)
    assert len(model.state_dict()) == 223  # 221 + head
    body = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("head."))
    assert body == 5_819_936


def test_labram_base_without_head_has_221_tensors():
    model = neurokit.create("backbone", "labram-base")
    assert shapes(model) == expected_finetune_keys(200, 12, 8, 0)


@pytest.mark.parametrize(
    "name,d,depth,out_chans,params",
    [("labram-large", 400, 24, 16, 46_258_720), ("labram-huge", 800, 48, 32, 369_235_712)],
)
def test_large_and_huge_layout(name, d, depth, out_chans, params):
    with torch.device("meta"):
        model = neurokit.create("backbone", name)
    assert shapes(model) == expected_finetune_keys(d, depth, out_chans, 0)
    assert sum(p.numel() for p in model.parameters()) == params


def test_mem_model_keys():
    from neurokit.plugins.models.labram.model import NeuralTransformerForMEM

    mem = NeuralTransformerForMEM(vocab_size=8192, depth=12, init_values=0.1)
    got = shapes(mem)
    student = {
        f"student.{k}": v
        for k, v in expected_finetune_keys(200, 12, 8, 0).items()
        if not k.startswith("fc_norm")
    }
    student.update(
        {
            "student.mask_token": (1, 1, 200),
            "student.norm.weight": (200,),
            "student.norm.bias": (200,),
            "student.lm_head.weight": (8192, 200),
            "student.lm_head.bias": (8192,),
            "lm_head.weight": (8192, 200),
            "lm_head.bias": (8192,),
            "projection_head.0.weight": (200, 200),
            "projection_head.0.bias": (200,),
        }
    )
    assert got == student


def expected_vqnsp_keys(codes: int, code_dim: int) -> dict[str, tuple]:
    def encoder_like(prefix: str, depth: int, patch: dict) -> dict[str, tuple]:
        keys = {
            f"{prefix}.cls_token": (1, 1, 200),
            f"{prefix}.pos_embed": (1, 129, 200),
            f"{prefix}.time_embed": (1, 16, 200),
            f"{prefix}.fc_norm.weight": (200,),
            f"{prefix}.fc_norm.bias": (200,),
        }
        keys.update({f"{prefix}.patch_embed.{k}": v for k, v in patch.items()})
        for i in range(depth):
            p = f"{prefix}.blocks.{i}."
            keys.update(
                {
                    p + "norm1.weight": (200,),
                    p + "norm1.bias": (200,),
                    p + "attn.qkv.weight": (600, 200),
                    p + "attn.q_bias": (200,),
                    p + "attn.v_bias": (200,),
                    p + "attn.proj.weight": (200, 200),
                    p + "attn.proj.bias": (200,),
                    p + "norm2.weight": (200,),
                    p + "norm2.bias": (200,),
                    p + "mlp.fc1.weight": (800, 200),
                    p + "mlp.fc1.bias": (800,),
                    p + "mlp.fc2.weight": (200, 800),
                    p + "mlp.fc2.bias": (200,),
                }
            )
        return keys

    conv = {}
    for i, (cin, k) in enumerate([(1, 15), (8, 3), (8, 3)], start=1):
        conv.update(
            {
                f"conv{i}.weight": (8, cin, 1, k),
                f"conv{i}.bias": (8,),
                f"norm{i}.weight": (8,),
                f"norm{i}.bias": (8,),
            }
        )
    keys = encoder_like("encoder", 12, conv)
    keys.update(
        encoder_like("decoder", 3, {"proj.weight": (200, code_dim, 1, 1), "proj.bias": (200,)})
    )
    keys.update(
        {
            "quantize.embedding.weight": (codes, code_dim),
            "quantize.embedding.cluster_size": (codes,),
            "quantize.embedding.embed_avg": (codes, code_dim),
            "quantize.embedding.initted": (1,),
            "quantize.cluster_size": (codes,),
            "encode_task_layer.0.weight": (200, 200),
            "encode_task_layer.0.bias": (200,),
            "encode_task_layer.2.weight": (code_dim, 200),
            "encode_task_layer.2.bias": (code_dim,),
        }
    )
    for head in ("decode_task_layer", "decode_task_layer_angle"):
        keys.update(
            {
                f"{head}.0.weight": (200, 200),
                f"{head}.0.bias": (200,),
                f"{head}.2.weight": (200, 200),
                f"{head}.2.bias": (200,),
            }
        )
    return keys


def test_vqnsp_keys_and_shapes():
    tok = neurokit.create("tokenizer", "labram-vqnsp")
    assert shapes(tok) == expected_vqnsp_keys(8192, 64)
    assert tok.codebook_size == 8192
    # the codebook is not trained by the optimiser
    assert not any("quantize" in n for n, _ in tok.named_parameters())


def test_layer_decay_grouping_matches_reference():
    model = neurokit.create("backbone", "labram-base", depth=3)
    assert model.num_layers() == 3
    assert model.layer_id("cls_token") == 0
    assert model.layer_id("pos_embed") == 0
    assert model.layer_id("patch_embed.conv1.weight") == 0
    assert model.layer_id("blocks.0.attn.qkv.weight") == 1
    assert model.layer_id("blocks.2.mlp.fc2.bias") == 3
    assert model.layer_id("time_embed") == 4  # the reference leaves time_embed in the top group
    assert model.layer_id("fc_norm.weight") == 4
    assert model.layer_id("head.weight") == 4
    assert model.no_weight_decay() == {"pos_embed", "cls_token", "time_embed"}


def test_engine_param_groups_apply_reference_scales():
    from neurokit.core.engine.params import param_groups
    from neurokit.core.stage import Stage

    class Wrapper(Stage):
        def __init__(self):
            super().__init__()
            self.backbone = neurokit.create("backbone", "labram-base", depth=2, num_classes=2)

    groups = param_groups(Wrapper(), weight_decay=0.05, layer_decay=0.65)
    scale = {n: g["lr_scale"] for g in groups for n in g["names"]}
    decay = {n: g["weight_decay"] for g in groups for n in g["names"]}
    assert scale["backbone.pos_embed"] == pytest.approx(0.65**3)
    assert scale["backbone.blocks.0.attn.qkv.weight"] == pytest.approx(0.65**2)
    assert scale["backbone.blocks.1.attn.qkv.weight"] == pytest.approx(0.65)
    assert scale["backbone.head.weight"] == 1.0
    assert scale["backbone.time_embed"] == 1.0
    assert decay["backbone.pos_embed"] == 0.0 and decay["backbone.time_embed"] == 0.0
    assert decay["backbone.blocks.0.attn.qkv.weight"] == 0.05
    assert decay["backbone.blocks.0.gamma_1"] == 0.0
