"""Configs of the Du-IN backbones: shape arguments plus the official `seeg_he2023xuanwu` values.

Only the shape arguments (`n_channels`, `n_subjects`, `seq_len`, and `n_labels` for the
classifier) change from run to run; every other default is what `params/duin_params.py`
of liulab-repository/Du-IN sets for `seeg_he2023xuanwu`. No torch here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from neurokit import ComponentConfig


class DuINConfig(ComponentConfig):
    """Options shared by the three Du-IN backbones."""

    n_channels: int = Field(10, ge=1, description="sEEG channels per subject (official: 10)")
    n_subjects: int = Field(1, ge=1, description="subjects (rows of the one-hot subject id)")
    seq_len: int = Field(4000, ge=100, description="samples at 1000 Hz (multiple of seg_len)")
    seg_len: Literal[100] = Field(100, description="samples per token (100 ms at 1000 Hz)")
    sfreq: float = Field(1000.0, gt=0, description="rate the model reads; other rates are refused")
    d_neural: int = Field(16, ge=1, description="region channels out of the subject layer")
    n_blocks: int = Field(8, ge=1, description="encoder transformer blocks (post-LN)")
    n_heads: int = Field(8, ge=1, description="attention heads")
    d_head: int = Field(64, ge=1, description="width of one head")
    d_ff: int = Field(320, ge=1, description="feed-forward width (2 x d_model)")
    attn_dropout: float = Field(0.2, ge=0, lt=1, description="dropout on attention weights")
    ff_dropout: float = Field(0.2, ge=0, lt=1, description="dropout after the FFN activation")
    codex_size: int = Field(2048, ge=2, description="codes in the neural codex")
    d_codex: int = Field(64, ge=1, description="width of a code")
    vq_beta: float = Field(1.0, ge=0, description="commitment weight")
    vq_decay: float = Field(0.99, gt=0, lt=1, description="EMA decay of the codex")
    init_kmeans: bool = Field(True, description="k-means init of the codex from the first batch")
    vq_restart: float = Field(
        0.1,
        ge=0,
        description="restart a code unused in a training batch whose EMA count is below this "
        "share of the mean count onto a batch input (0: never, as the official code)",
    )
    pretrained: str | None = Field(
        None,
        description="run dir or checkpoint to start the subject block, tokenizer and encoder "
        "from (loaded by the duin stages once the run's data fixes the shapes)",
    )
    normalize: Literal["window", "none"] = Field(
        "window",
        description="input scaling in forward_batch: per-window per-channel z-score, or none",
    )

    @model_validator(mode="after")
    def _check_len(self):
        if self.seq_len % self.seg_len:
            raise ValueError(f"seq_len {self.seq_len} is not a multiple of {self.seg_len}")
        return self

    @property
    def token_len(self) -> int:
        return self.seq_len // self.seg_len

    @property
    def d_model(self) -> int:
        return self.d_neural * (self.seg_len // 10)  # the tokenizer's stride-10 conv keeps 10 steps


class DuINVQVAEConfig(DuINConfig):
    """`duin-vqvae`: encoder, codex, 4-block decoder and the transposed-conv regression head."""

    num_classes: int = Field(
        0, ge=0, description="outputs of a linear probe on the mean encoder token (0: none)"
    )
    decoder_blocks: int = Field(4, ge=1, description="decoder transformer blocks")


class DuINMAEConfig(DuINConfig):
    """`duin-mae`: masked code prediction with symmetric masking."""

    num_classes: int = Field(
        0, ge=0, description="outputs of a linear probe on the mean encoder token (0: none)"
    )
    mask_ratio: float = Field(0.5, gt=0, lt=1, description="share of tokens masked per sample")


class DuINCLSConfig(DuINConfig):
    """`duin-cls`: the 61-word classifier (3-s trials)."""

    seq_len: int = Field(3000, ge=100, description="samples at 1000 Hz (official trials: 3 s)")
    n_labels: int = Field(61, ge=1, description="classes (official: 61 words)")
    num_classes: int | None = Field(
        None, ge=1, description="neurokit's generic name for n_labels; when set, it wins"
    )
    d_hidden: int = Field(128, ge=1, description="hidden width of the classification head")
    d_contra: int = Field(
        32, ge=1, description="projection width of the (unweighted) contrastive block"
    )
