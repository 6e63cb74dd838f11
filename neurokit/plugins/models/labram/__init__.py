"""LaBraM (Jiang et al., ICLR 2024): backbones, the VQ-NSP tokenizer, MEM pretraining.

Registers `labram-base|large|huge` (the reference fine-tune NeuralTransformer, same
state-dict keys), the `labram-vqnsp` tokenizer, the `vq-fourier` and `masked-token`
objectives and the `labram` family. Only pydantic configs are imported here; torch
modules are built lazily by the build functions below.
"""

from __future__ import annotations

from neurokit import hookimpl
from neurokit.plugins.models.labram.config import (
    LabramConfig,
    LabramHugeConfig,
    LabramLargeConfig,
    MaskedTokenConfig,
    VQFourierConfig,
    VQNSPConfig,
)

__all__ = [
    "LabramConfig",
    "LabramHugeConfig",
    "LabramLargeConfig",
    "MaskedTokenConfig",
    "VQFourierConfig",
    "VQNSPConfig",
]


def backbone_kwargs(config: LabramConfig) -> dict:
    """NeuralTransformer arguments from a LabramConfig."""
    return dict(
        embed_dim=config.embed_dim,
        depth=config.depth,
        num_heads=config.num_heads,
        out_chans=config.out_chans,
        mlp_ratio=config.mlp_ratio,
        qkv_bias=config.qkv_bias,
        qk_norm=True,
        init_values=config.init_values,
        drop_rate=config.drop_rate,
        attn_drop_rate=config.attn_drop_rate,
        drop_path_rate=config.drop_path_rate,
    )


def build_backbone(config: LabramConfig):
    """A LaBraM fine-tune model, loaded from `config.pretrained` when given."""
    from neurokit.plugins.models.labram.channels import ChannelMapper
    from neurokit.plugins.models.labram.model import LaBraM
    from neurokit.plugins.models.labram.weights import load_backbone

    model = LaBraM(
        channel_mapper=ChannelMapper(config.channel_aliases, config.unknown_channels),
        input_scale=config.input_scale,
        num_classes=config.num_classes,
        use_mean_pooling=config.use_mean_pooling,
        **backbone_kwargs(config),
    )
    if config.pretrained:
        load_backbone(model, config.pretrained)
    return model


def build_tokenizer(config: VQNSPConfig):
    """A VQ-NSP tokenizer, loaded from `config.pretrained` when given (then in eval mode)."""
    from neurokit.plugins.models.labram.channels import ChannelMapper
    from neurokit.plugins.models.labram.vqnsp import LabramTokenizer
    from neurokit.plugins.models.labram.weights import load_tokenizer

    model = LabramTokenizer(
        channel_mapper=ChannelMapper(config.channel_aliases, config.unknown_channels),
        input_scale=config.input_scale,
        num_codes=config.num_codes,
        code_dim=config.code_dim,
        decay=config.decay,
        kmeans_init=config.kmeans_init,
        embed_dim=config.embed_dim,
        out_chans=config.out_chans,
        num_heads=config.num_heads,
        encoder_depth=config.encoder_depth,
        decoder_depth=config.decoder_depth,
    )
    if config.pretrained:
        load_tokenizer(model, config.pretrained)
        model.eval()
    return model


def build_vq_fourier(config: VQFourierConfig):
    """Commitment + Fourier amplitude + phase reconstruction loss of a VQ-NSP tokenizer."""
    from neurokit.plugins.models.labram.losses import VQFourierLoss

    return VQFourierLoss(config)


def build_masked_token(config: MaskedTokenConfig):
    """Cross-entropy of predicted codes at masked positions, both symmetric masks."""
    from neurokit.plugins.models.labram.losses import MaskedTokenLoss

    return MaskedTokenLoss(config)


@hookimpl
def register_backbones(register):
    register(
        "labram-base",
        build_backbone,
        config=LabramConfig,
        description="LaBraM-Base (5.8M): channel x 1-s patch transformer, 200 Hz",
    )
    register(
        "labram-large",
        build_backbone,
        config=LabramLargeConfig,
        description="LaBraM-Large (46M): channel x 1-s patch transformer, 200 Hz",
    )
    register(
        "labram-huge",
        build_backbone,
        config=LabramHugeConfig,
        description="LaBraM-Huge (369M): channel x 1-s patch transformer, 200 Hz",
    )


@hookimpl
def register_tokenizers(register):
    register(
        "labram-vqnsp",
        build_tokenizer,
        config=VQNSPConfig,
        description="LaBraM VQ-NSP: normalised-EMA VQ (8192 x 64) with Fourier targets",
    )


@hookimpl
def register_objectives(register):
    register("vq-fourier", build_vq_fourier, config=VQFourierConfig)
    register("masked-token", build_masked_token, config=MaskedTokenConfig)


@hookimpl
def register_tasks(register):
    from neurokit.plugins.models.labram.family import (
        MEMPretrainConfig,
        MEMPretrainTask,
        TokenizerPretrainConfig,
        TokenizerPretrainTask,
    )

    # `--model labram --task pretrain-tokenizer|pretrain` reach these through the preset.
    register("labram-tokenizer", TokenizerPretrainTask, config=TokenizerPretrainConfig)
    register("labram-mem", MEMPretrainTask, config=MEMPretrainConfig)


@hookimpl
def register_models(register):
    from neurokit.plugins.models.labram.family import LABRAM

    register("labram", LABRAM)
