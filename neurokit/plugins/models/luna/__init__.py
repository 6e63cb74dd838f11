"""LUNA (Döner et al., NeurIPS 2025): a topology-agnostic EEG foundation model.

Backbones `luna-base`, `luna-large`, `luna-huge` (official sizes and key names, so
the released `LUNA_*.safetensors` load strictly through `pretrained=`), the
`masked-reconstruction` objective and the `luna` model preset with the official
pretraining and fine-tuning recipes. Torch is imported only when something is built.

    >>> model = neurokit.create("backbone", "luna-base", num_classes=2)   # doctest: +SKIP
    >>> logits, _ = model(x, None, channel_locations)                     # official call
"""

from __future__ import annotations

from neurokit import hookimpl
from neurokit.plugins.models.luna.config import (
    LunaConfig,
    LunaHugeConfig,
    LunaLargeConfig,
    MaskedReconstructionConfig,
)

__all__ = ["LunaConfig", "LunaHugeConfig", "LunaLargeConfig", "MaskedReconstructionConfig"]


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


def build_masked_reconstruction(config: MaskedReconstructionConfig):
    """SmoothL1 on masked tokens + 0.05 x unmasked + 0.8 x query specialisation (LUNA)."""
    from neurokit.plugins.models.luna.losses import MaskedReconstructionLoss

    return MaskedReconstructionLoss(config)


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


@hookimpl
def register_objectives(register):
    register(
        "masked-reconstruction", build_masked_reconstruction, config=MaskedReconstructionConfig
    )


@hookimpl
def register_tasks(register):
    from neurokit.plugins.models.luna.family import LunaPretrainConfig, LunaPretrainTask

    register("luna-pretrain", LunaPretrainTask, config=LunaPretrainConfig)


@hookimpl
def register_models(register):
    from neurokit.plugins.models.luna.family import LUNA

    register("luna", LUNA)
