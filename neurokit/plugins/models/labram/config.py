"""Configs of LaBraM's components: backbones, the VQ-NSP tokenizer and its two objectives.

Defaults are the reference's: the `labram-base` fine-tuning recipe, the README's
8192 x 64 codebook, loss weights 1, 1, 1. No torch here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from neurokit import ComponentConfig


class LabramConfig(ComponentConfig):
    """Options of the LaBraM backbones (defaults: the reference fine-tuning of labram-base)."""

    num_classes: int = Field(0, ge=0, description="classifier outputs (0 = features only)")
    embed_dim: int = Field(200, ge=8, description="token width (= 25 * out_chans)")
    depth: int = Field(12, ge=1, description="transformer blocks")
    num_heads: int = Field(10, ge=1, description="attention heads")
    out_chans: int = Field(8, ge=4, description="TemporalConv channels (embed_dim / 25)")
    mlp_ratio: float = Field(4.0, gt=0, description="MLP hidden width / embed_dim")
    qkv_bias: bool = Field(False, description="q/v biases (the fine-tune recipe disables them)")
    init_values: float = Field(0.1, ge=0, description="layer-scale init (0 = no layer scale)")
    drop_rate: float = Field(0.0, ge=0, lt=1, description="dropout after attention/MLP projections")
    attn_drop_rate: float = Field(0.0, ge=0, lt=1, description="attention-probability dropout")
    drop_path_rate: float = Field(
        0.1, ge=0, lt=1, description="stochastic depth at the last block (linear ramp)"
    )
    use_mean_pooling: bool = Field(
        True, description="fc_norm(mean of patch tokens); False = normed cls token"
    )
    pretrained: str | None = Field(
        None, description="labram-base.pth, a LaBraM state dict or a neurokit run/checkpoint"
    )
    channel_aliases: dict[str, str] = Field(
        default_factory=dict,
        description="store name -> LaBraM name, e.g. {'T7': 'T3'}; matching ignores case",
    )
    unknown_channels: Literal["error", "drop"] = Field(
        "error",
        description="a channel LaBraM has no embedding for: refuse the batch, or leave it out",
    )
    input_scale: float = Field(
        0.01, gt=0, description="multiplies microvolts (0.01: the reference's uV/100)"
    )


class LabramLargeConfig(LabramConfig):
    """labram-large: 24 blocks of width 400, 16 heads."""

    embed_dim: int = Field(400, ge=8, description="token width (= 25 * out_chans)")
    depth: int = Field(24, ge=1, description="transformer blocks")
    num_heads: int = Field(16, ge=1, description="attention heads")
    out_chans: int = Field(16, ge=4, description="TemporalConv channels (embed_dim / 25)")


class LabramHugeConfig(LabramConfig):
    """labram-huge: 48 blocks of width 800, 16 heads."""

    embed_dim: int = Field(800, ge=8, description="token width (= 25 * out_chans)")
    depth: int = Field(48, ge=1, description="transformer blocks")
    num_heads: int = Field(16, ge=1, description="attention heads")
    out_chans: int = Field(32, ge=4, description="TemporalConv channels (embed_dim / 25)")


class VQNSPConfig(ComponentConfig):
    """Options of the VQ-NSP tokenizer (defaults: the README's 8192 x 64 codebook)."""

    num_codes: int = Field(8192, ge=2, description="codebook size")
    code_dim: int = Field(64, ge=2, description="code vector size")
    decay: float = Field(0.99, gt=0, lt=1, description="EMA decay of the codebook")
    kmeans_init: bool = Field(
        True, description="cosine k-means init of the codebook on the first batch"
    )
    embed_dim: int = Field(200, ge=8, description="encoder/decoder width (= 25 * out_chans)")
    out_chans: int = Field(8, ge=4, description="TemporalConv channels of the encoder")
    num_heads: int = Field(10, ge=1, description="attention heads")
    encoder_depth: int = Field(12, ge=1, description="encoder blocks")
    decoder_depth: int = Field(3, ge=1, description="decoder blocks")
    pretrained: str | None = Field(
        None, description="vqnsp.pth or a neurokit pretrain-tokenizer run/checkpoint"
    )
    channel_aliases: dict[str, str] = Field(
        default_factory=dict, description="store name -> LaBraM name"
    )
    unknown_channels: Literal["error", "drop"] = Field(
        "error", description="refuse or leave out unknown channels"
    )
    input_scale: float = Field(0.01, gt=0, description="multiplies microvolts (0.01: uV/100)")


# ------------------------------------------------------------------------ objectives


class VQFourierConfig(ComponentConfig):
    """Options of the `vq-fourier` objective (VQ-NSP's loss)."""

    quant_weight: float = Field(1.0, ge=0, description="weight of the commitment loss")
    amplitude_weight: float = Field(1.0, ge=0, description="weight of the Fourier amplitude MSE")
    phase_weight: float = Field(1.0, ge=0, description="weight of the Fourier phase MSE")
    loss: Literal["mse", "smooth-l1"] = Field(
        "mse", description="reconstruction loss (reference: mse)"
    )


class MaskedTokenConfig(ComponentConfig):
    """Options of the `masked-token` objective (LaBraM's MEM loss)."""

    label_smoothing: float = Field(0.0, ge=0, lt=1, description="cross-entropy label smoothing")
