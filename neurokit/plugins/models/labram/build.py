"""Factories from validated configs to LaBraM modules (imported only when a model is built)."""

from __future__ import annotations

from neurokit.core.errors import WeightsError
from neurokit.core.weights import read_state_dict
from neurokit.plugins.models.labram.channels import ChannelMapper
from neurokit.plugins.models.labram.model import LaBraM
from neurokit.plugins.models.labram.vqnsp import LabramTokenizer
from neurokit.plugins.models.labram.weights import load_backbone, load_tokenizer


def backbone_kwargs(config) -> dict:
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


def build_backbone(config) -> LaBraM:
    """A LaBraM fine-tune model, loaded from `config.pretrained` when given."""
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


def build_tokenizer(config) -> LabramTokenizer:
    """A VQ-NSP tokenizer, loaded from `config.pretrained` when given (then in eval mode)."""
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


def tokenizer_arch_from_state(state) -> dict:
    """VQNSP sizes read off a state dict (all but the head count, which shapes do not reveal)."""
    try:
        num_codes, code_dim = state["quantize.embedding.weight"].shape
        embed_dim = state["encoder.cls_token"].shape[-1]
        out_chans = state["encoder.patch_embed.conv1.weight"].shape[0]
    except KeyError as exc:
        raise WeightsError(f"not a VQ-NSP checkpoint: no {exc.args[0]}") from None

    def depth(prefix: str) -> int:
        ids = {int(k.split(".")[2]) for k in state if k.startswith(f"{prefix}.blocks.")}
        return max(ids) + 1 if ids else 0

    return dict(
        num_codes=num_codes,
        code_dim=code_dim,
        embed_dim=embed_dim,
        out_chans=out_chans,
        encoder_depth=depth("encoder"),
        decoder_depth=depth("decoder"),
    )


def tokenizer_from_checkpoint(path, **overrides) -> LabramTokenizer:
    """A trained VQ-NSP from vqnsp.pth or a pretrain-tokenizer run, sized by the checkpoint itself."""
    import neurokit
    from neurokit.plugins.models.labram.weights import tokenizer_filter

    state = read_state_dict(path)  # its own errors name the file
    try:
        arch = tokenizer_arch_from_state(tokenizer_filter(state))
    except WeightsError as exc:
        raise WeightsError(f"{str(path)!r}: {exc}") from None
    options = {**arch, **overrides, "pretrained": str(path)}
    return neurokit.create("tokenizer", "labram-vqnsp", **options)
