"""Configs of LUNA's components: the three backbone sizes and the pretraining objective.

Defaults are the official sizes and loss weights; only `luna-base`'s fields are
declared in full, the other sizes change their defaults. No torch here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from neurokit import ComponentConfig


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


class MaskedReconstructionConfig(ComponentConfig):
    """Options of the `masked-reconstruction` objective (official LUNA values)."""

    loss: Literal["smooth-l1", "l1", "mse"] = Field(
        "smooth-l1", description="reconstruction distance"
    )
    beta: float = Field(1.0, gt=0, description="smooth-L1 transition point")
    unmasked_weight: float = Field(0.05, ge=0, description="weight of the loss on unmasked tokens")
    query_weight: float = Field(0.8, ge=0, description="weight of the query-specialisation loss")
