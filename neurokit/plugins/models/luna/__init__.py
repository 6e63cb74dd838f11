"""LUNA (Döner et al., NeurIPS 2025): a topology-agnostic EEG foundation model.

Backbones `luna-base`, `luna-large`, `luna-huge` (official sizes and key names, so
the released `LUNA_*.safetensors` load strictly through `pretrained=`), the
`masked-reconstruction` objective and the `luna` model preset with the official
pretraining and fine-tuning recipes. Torch is imported only when something is built.

    >>> model = neurokit.create("backbone", "luna-base", num_classes=2)   # doctest: +SKIP
    >>> logits, _ = model(x, None, channel_locations)                     # official call
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from neurokit import ComponentConfig, hookimpl
from neurokit.core.family import Family, StageSpec
from neurokit.core.task import Task
from neurokit.plugins.models.luna.hdf5 import LAYOUTS as HDF5_LAYOUTS


class LunaConfig(ComponentConfig):
    """Options of `luna-base` (the other sizes change the defaults)."""

    num_classes: int = Field(
        0, ge=0, description="classifier outputs; 0 = the pretraining form (reconstruction head)"
    )
    embed_dim: int = Field(64, ge=8, description="D: width of a channel token (multiple of 4)")
    num_queries: int = Field(4, ge=1, description="Q: learned queries that summarise the channels")
    depth: int = Field(8, ge=1, description="temporal transformer blocks (width Q*D, 2*Q heads)")
    num_heads: int = Field(2, ge=1, description="heads of the channel cross-attention and heads")
    mlp_ratio: float = Field(4.0, gt=0, description="feed-forward expansion")
    drop_path: float = Field(
        0.0, ge=0, lt=1, description="stochastic depth (official: 0.1 fine-tuning, 0 pretraining)"
    )
    location_jitter: float = Field(
        0.02,
        ge=0,
        description="std of Gaussian noise on normalised electrode positions, training only",
    )
    sfreq: float = Field(
        256.0, gt=0, description="model rate; batches at another rate are resampled to it"
    )
    patch_size: Literal[40] = Field(
        40, description="samples per patch (the conv stack fixes it at 40)"
    )
    pretrained: str | None = Field(
        None,
        description="LUNA_*.safetensors, a Lightning .ckpt or a neurokit checkpoint to load strictly",
    )


class LunaLargeConfig(LunaConfig):
    """Options of `luna-large`."""

    embed_dim: int = Field(96, ge=8, description="D: width of a channel token (multiple of 4)")
    num_queries: int = Field(6, ge=1, description="Q: learned queries that summarise the channels")
    depth: int = Field(10, ge=1, description="temporal transformer blocks (width Q*D, 2*Q heads)")


class LunaHugeConfig(LunaConfig):
    """Options of `luna-huge`."""

    embed_dim: int = Field(128, ge=8, description="D: width of a channel token (multiple of 4)")
    num_queries: int = Field(8, ge=1, description="Q: learned queries that summarise the channels")
    depth: int = Field(24, ge=1, description="temporal transformer blocks (width Q*D, 2*Q heads)")


def build_luna(config: LunaConfig):
    """LUNA backbone: channel cross-attention into Q queries, then a RoPE transformer over patches."""
    from neurokit.plugins.models.luna.model import LUNA
    from neurokit.plugins.models.luna.weights import load_luna_weights

    model = LUNA(
        patch_size=config.patch_size,
        num_queries=config.num_queries,
        embed_dim=config.embed_dim,
        depth=config.depth,
        num_heads=config.num_heads,
        mlp_ratio=config.mlp_ratio,
        drop_path=config.drop_path,
        num_classes=config.num_classes,
        location_jitter=config.location_jitter,
        sfreq=config.sfreq,
    )
    if config.pretrained:
        load_luna_weights(model, config.pretrained)
    return model


@hookimpl
def register_backbones(register):
    register(
        "luna-base",
        build_luna,
        config=LunaConfig,
        description="LUNA-Base (7M): channel-unifying queries + RoPE transformer, any montage, 256 Hz",
    )
    register(
        "luna-large",
        build_luna,
        config=LunaLargeConfig,
        description="LUNA-Large (43M): channel-unifying queries + RoPE transformer, any montage, 256 Hz",
    )
    register(
        "luna-huge",
        build_luna,
        config=LunaHugeConfig,
        description="LUNA-Huge (311M): channel-unifying queries + RoPE transformer, any montage, 256 Hz",
    )


# ----------------------------------------------------------------- pretraining


class MaskedReconstructionConfig(ComponentConfig):
    """Options of the `masked-reconstruction` objective (official LUNA values)."""

    loss: Literal["smooth-l1", "l1", "mse"] = Field(
        "smooth-l1", description="reconstruction distance"
    )
    beta: float = Field(1.0, gt=0, description="smooth-L1 transition point")
    unmasked_weight: float = Field(0.05, ge=0, description="weight of the loss on unmasked tokens")
    query_weight: float = Field(0.8, ge=0, description="weight of the query-specialisation loss")


def build_masked_reconstruction(config: MaskedReconstructionConfig):
    """SmoothL1 on masked tokens + 0.05 x unmasked + 0.8 x query specialisation (LUNA)."""
    from neurokit.plugins.models.luna.objective import MaskedReconstructionLoss

    return MaskedReconstructionLoss(config)


class LunaPretrainConfig(ComponentConfig):
    """Options of the `luna-pretrain` task."""

    mask_ratio: float = Field(
        0.5, gt=0, lt=1, description="share of (channel x 40-sample) tokens masked per sample"
    )


class LunaPretrainTask(Task):
    """Masked reconstruction pretraining of LUNA (what `--model luna --task pretrain` runs)."""

    default_objective = "masked-reconstruction"
    accepts = ("luna-*",)

    def data_view(self):
        from neurokit.core.interfaces import DataView

        return DataView(window_seconds=5.0, labels=False)  # official: 5-s windows

    def build(self, context):
        from neurokit.plugins.models.luna.pretrain import build_pretrain_module

        return build_pretrain_module(self, context)


# LUNA process_raw_eeg: 0.1-75 Hz, 60 Hz notch, 256 Hz, TCP bipolar, files with < 20 pairs dropped.
LUNA_PROFILE = {
    "montage": "tcp",
    "l_freq": 0.1,
    "h_freq": 75.0,
    "notch": 60.0,
    "sfreq": 256.0,
    "min_tcp_pairs": 20,
}

# Fine-tuning (finetune_task_LUNA + LUNA_finetune.yaml): AdamW lr 5e-4, betas (0.9, 0.999),
# wd 0.05, layer decay 0.75 on the blocks, cosine with 10 warmup epochs from 2.5e-7 to a
# 2.5e-6 floor, 30 epochs, drop_path 0.1, early stopping on val loss (patience 8).
FINETUNE_RECIPE = {
    "model": {"drop_path": 0.1},
    "data": {"window_seconds": 5.0},
    "trainer": {
        "lr": 5e-4,
        "betas": [0.9, 0.999],
        "weight_decay": 0.05,
        "layer_decay": 0.75,
        "epochs": 30,
        "warmup_epochs": 10,
        "warmup_start_lr": 2.5e-7,
        "min_lr": 2.5e-6,
        "monitor": "loss",
        "early_stopping": 8,
    },
}
# Pretraining (pretrain_task_LUNA + LUNA_pretrain.yaml): AdamW lr 1.25e-4 with PyTorch's
# default betas and weight decay (the yaml's are ignored by the official task), cosine with
# 10 warmup epochs, floor 2.5e-7, 100 epochs, gradient clip 1, mask ratio 0.5. The official
# batch sizes (256 and 2040 per GPU) are left to `data.batch_size`.
PRETRAIN_RECIPE = {
    "task": {"mask_ratio": 0.5},
    "objective": {"name": "masked-reconstruction"},
    "model": {"num_classes": 0, "drop_path": 0.0},
    "data": {"window_seconds": 5.0},
    "trainer": {
        "lr": 1.25e-4,
        "betas": [0.9, 0.999],
        "weight_decay": 0.01,
        "epochs": 100,
        "warmup_epochs": 10,
        "warmup_start_lr": 2.5e-7,
        "min_lr": 2.5e-7,
        "clip_grad": 1.0,
        "monitor": "loss",
    },
}

LUNA = Family(
    name="luna",
    description="LUNA: masked reconstruction pretraining -> fine-tuning; any montage, 256 Hz",
    backbone="luna-base",
    variants=("luna-large", "luna-huge"),
    profile="luna",
    profiles={"luna": LUNA_PROFILE},
    hdf5_layouts=HDF5_LAYOUTS,
    stages=(
        StageSpec(
            "pretrain",
            task="luna-pretrain",
            recipe=PRETRAIN_RECIPE,
            description="masked reconstruction of (channel x 40-sample) tokens",
            small={"model.depth": 2, "data.batch_size": 16, "trainer.warmup_epochs": 0},
        ),
        StageSpec(
            "finetune",
            task="finetune",
            recipe=FINETUNE_RECIPE,
            consumes={"model.pretrained": "pretrain"},
            description="supervised fine-tuning, layer decay 0.75, early stopping on val loss",
            small={
                "model.depth": 2,
                "data.batch_size": 16,
                "trainer.warmup_epochs": 0,
                "trainer.lr": 1e-3,
            },
        ),
    ),
)


@hookimpl
def register_objectives(register):
    register(
        "masked-reconstruction", build_masked_reconstruction, config=MaskedReconstructionConfig
    )


@hookimpl
def register_tasks(register):
    register("luna-pretrain", LunaPretrainTask, config=LunaPretrainConfig)


@hookimpl
def register_models(register):
    register("luna", LUNA)
