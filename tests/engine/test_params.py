"""AdamW groups: which parameters decay, and LaBraM's layer-decay scales."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurokit.core.engine.params import param_groups
from neurokit.core.stage import Stage


class Layered(nn.Module):
    """A LayeredBackbone in LaBraM's shape: embeddings (layer 0), blocks.k (k+1), norm/head (L+1)."""

    def __init__(self, depth: int = 3) -> None:
        super().__init__()
        self.patch_embed = nn.Linear(4, 8)
        self.pos_embed = nn.Parameter(torch.zeros(1, 5, 8))
        self.time_embed = nn.Parameter(torch.zeros(1, 16, 8))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 8))
        self.channel = nn.Embedding(10, 8)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(8), nn.Linear(8, 8)) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 2)
        self.depth = depth

    def num_layers(self) -> int:
        return self.depth

    def layer_id(self, name: str) -> int:
        if name.startswith(("patch_embed", "pos_embed", "cls_token")):
            return 0
        if name.startswith("blocks."):
            return int(name.split(".")[1]) + 1
        return self.depth + 1

    def no_weight_decay(self):
        return {"time_embed", "pos_embed", "cls_token"}


class Task(Stage):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = Layered()
        self.extra = nn.Linear(8, 8)


class Plain(Stage):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Linear(3, 3)


def groups_by_name(module, **kwargs):
    out = {}
    for g in param_groups(module, 0.05, **kwargs):
        for name in g["names"]:
            out[name] = g
    return out


def test_no_weight_decay_on_norms_biases_embeddings_and_listed_names():
    g = groups_by_name(Task())
    no_decay = {n for n, grp in g.items() if grp["weight_decay"] == 0.0}
    decay = {n for n, grp in g.items() if grp["weight_decay"] == 0.05}
    assert {
        "backbone.pos_embed",
        "backbone.time_embed",
        "backbone.cls_token",
        "backbone.channel.weight",
        "backbone.norm.weight",
        "backbone.norm.bias",
        "backbone.blocks.0.0.weight",
        "backbone.blocks.1.1.bias",
        "backbone.head.bias",
        "extra.bias",
    } <= no_decay
    assert decay == {
        "backbone.patch_embed.weight",
        "backbone.blocks.0.1.weight",
        "backbone.blocks.1.1.weight",
        "backbone.blocks.2.1.weight",
        "backbone.head.weight",
        "extra.weight",
    }


def test_layer_decay_scale_is_decay_to_the_L_plus_1_minus_i():
    d, depth = 0.65, 3
    g = groups_by_name(Task(), layer_decay=d)
    assert g["backbone.patch_embed.weight"]["lr_scale"] == pytest.approx(d ** (depth + 1))
    assert g["backbone.pos_embed"]["lr_scale"] == pytest.approx(d ** (depth + 1))
    for k in range(depth):
        assert g[f"backbone.blocks.{k}.1.weight"]["lr_scale"] == pytest.approx(d ** (depth - k))
    for name in (
        "backbone.norm.weight",
        "backbone.head.weight",
        "backbone.time_embed",
        "extra.weight",
    ):
        assert g[name]["lr_scale"] == 1.0


def test_layer_decay_off_or_plain_backbone_gives_one_scale():
    assert {g["lr_scale"] for g in param_groups(Task(), 0.05)} == {1.0}
    assert {g["lr_scale"] for g in param_groups(Plain(), 0.05, layer_decay=0.5)} == {1.0}


def test_frozen_parameters_are_left_out():
    t = Task()
    t.backbone.requires_grad_(False)
    names = {n for g in param_groups(t, 0.05) for n in g["names"]}
    assert names == {"extra.weight", "extra.bias"}


class Listed(Stage):
    """A stage that adds its own exclusion and per-module learning rates."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = Layered()
        self.mask_token = nn.Parameter(torch.zeros(1, 1, 8))
        self.head = nn.Linear(8, 2)

    def no_weight_decay(self):
        return super().no_weight_decay() | {"head.weight"}

    def lr_multipliers(self):
        return {"head.": 10.0, "backbone.blocks.": 0.5, "backbone.blocks.2.": 0.1}


def test_core_knows_no_parameter_names_only_what_the_stage_lists():
    g = groups_by_name(Listed())
    assert g["head.weight"]["weight_decay"] == 0.0  # the stage's own exclusion
    assert g["mask_token"]["weight_decay"] == 0.05  # listed by nobody: decays
    assert g["backbone.pos_embed"]["weight_decay"] == 0.0  # listed by the backbone


def test_lr_multipliers_scale_the_groups_longest_prefix_first():
    d = 0.5
    g = groups_by_name(Listed(), layer_decay=d)
    assert g["head.weight"]["lr_scale"] == pytest.approx(10.0)
    assert g["head.bias"]["lr_scale"] == pytest.approx(10.0)
    assert g["backbone.blocks.0.1.weight"]["lr_scale"] == pytest.approx(0.5 * d**3)
    assert g["backbone.blocks.2.1.weight"]["lr_scale"] == pytest.approx(0.1 * d)
    assert g["mask_token"]["lr_scale"] == 1.0
    # the optimiser gets lr * scale per group
    from neurokit.core.engine.trainer import DefaultTrainer

    trainer = DefaultTrainer()
    trainer.device, trainer.fsdp = torch.device("cpu"), False
    stage = Listed()
    by_id = {id(p): n for n, p in stage.named_parameters()}
    lrs = {
        by_id[id(p)]: grp["lr"]
        for grp in trainer._optimizer(stage).param_groups
        for p in grp["params"]
    }
    assert lrs["head.weight"] == pytest.approx(trainer.config.lr * 10.0)
    assert lrs["backbone.blocks.1.1.weight"] == pytest.approx(trainer.config.lr * 0.5)


@pytest.mark.parametrize(
    "backbone,outputs,count,listed",
    [
        # measured on main before NO_DECAY_NAMES left core (same sets after)
        (
            "labram-base",
            2,
            171,
            {"backbone.cls_token", "backbone.pos_embed", "backbone.time_embed"},
        ),
        ("luna-base", 2, 137, set()),
        ("luna-base", 0, 151, {"backbone.channel_emb.embeddings.weight", "backbone.mask_token"}),
    ],
)
def test_official_backbones_keep_their_weight_decay_exclusions(backbone, outputs, count, listed):
    import neurokit

    class Finetune(Stage):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = neurokit.create("backbone", backbone)
            self.backbone.reset_classifier(outputs)  # 0: LUNA's pretraining form

    stage = Finetune()
    shapes = {n: p.ndim for n, p in stage.named_parameters()}
    excluded = {
        n for g in param_groups(stage, 0.05) if g["weight_decay"] == 0.0 for n in g["names"]
    }
    assert len(excluded) == count
    assert {n for n in excluded if shapes[n] > 1} == listed  # beyond norms, biases, gains
