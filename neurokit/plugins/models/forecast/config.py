"""Configs of the ephys_gpt forecasters, with the official field names as keyword arguments.

The official constructors take plain dicts (`gpt2_config`, `embedding_args`, `trf_args`);
here each dict is a typed model with the official keys and the official defaults
(brain-forecast @d5caa40: `legacy/configs/gpt2meg/model.yaml` (Omega), `configs/stgpt2meg/
model.yaml`, `legacy/configs/wavenetfullchannel/model.yaml`), so an official YAML validates
as it is and a typo is a clear error. Defaults give the official sizes: 22,142,208 /
12,829,440 / 2,399,232 parameters.

`num_classes` means two things, as it does officially: for the GPTs the *top-level* field
is neurokit's classifier on the pooled features (0 = the pure forecaster), while
`embedding_args.num_classes` is the official number of condition classes; for the WaveNet
`num_classes` is the official condition-class count and the classifier comes only from
`reset_classifier(n)`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from neurokit import ComponentConfig

WAVENET_DILATIONS = [1, 2, 4, 8, 16, 32, 64, 128] * 2


class GPT2Config(ComponentConfig):
    """The Hugging Face `GPT2Config` fields that shape the network (official Omega values)."""

    vocab_size: int = Field(512, ge=2, description="token vocabulary (mu-law levels)")
    n_positions: int = Field(400, ge=1, description="context length (learned positions)")
    n_embd: int = Field(384, ge=1, description="width")
    n_layer: int = Field(12, ge=1, description="transformer blocks")
    n_head: int = Field(16, ge=1, description="attention heads")
    n_inner: int | None = Field(None, description="MLP width (None: 4 x n_embd)")
    activation_function: Literal["gelu_new", "gelu", "relu"] = Field(
        "gelu_new", description="MLP activation (gelu_new = tanh approximation)"
    )
    resid_pdrop: float = Field(0.0, ge=0, lt=1, description="residual dropout")
    embd_pdrop: float = Field(0.0, ge=0, lt=1, description="input dropout")
    attn_pdrop: float = Field(0.0, ge=0, lt=1, description="attention dropout")
    layer_norm_epsilon: float = Field(1e-5, gt=0, description="LayerNorm eps")
    initializer_range: float = Field(0.02, gt=0, description="std of the normal init")
    scale_attn_weights: bool = Field(True, description="divide scores by sqrt(head_dim)")
    bos_token_id: int | None = Field(511, description="unused by the network (HF metadata)")
    eos_token_id: int | None = Field(511, description="unused by the network (HF metadata)")
    name_or_path: str | None = Field(None, description="unused (HF metadata)")
    use_cache: bool = Field(False, description="unused: a cache is used when one is passed")

    @model_validator(mode="after")
    def _heads_divide(self) -> GPT2Config:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} is not divisible by n_head {self.n_head}")
        return self


class EmbeddingArgs(ComponentConfig):
    """Official `Embeddings` options (token, channel, condition and subject tables)."""

    quant_emb: int = Field(384, ge=1, description="token embedding width (= the model width)")
    channel_emb: int = Field(384, ge=0, description="channel embedding width (0: none)")
    num_classes: int = Field(0, ge=0, description="condition classes (id 0 = no condition)")
    class_emb: int = Field(0, ge=0, description="condition embedding width (0: none)")
    subjects: int = Field(0, ge=0, description="subjects with their own embedding")
    sub_emb: int = Field(0, ge=0, description="subject embedding width (0: none)")
    quant_levels: int | None = Field(
        None, description="set from the vocabulary by the model (as the official constructor does)"
    )


class GPT2MEGConfig(ComponentConfig):
    """Options of `gpt2meg` (official: `GPT2MEG(num_channels, gpt2_config, embedding_args)`)."""

    num_channels: int = Field(272, ge=1, description="channels (rows of the channel embedding)")
    gpt2_config: GPT2Config = Field(default_factory=GPT2Config, description="GPT-2 options")
    embedding_args: EmbeddingArgs = Field(
        default_factory=EmbeddingArgs, description="embedding options"
    )
    num_classes: int = Field(
        0, ge=0, description="neurokit classifier outputs on pooled features (0: none)"
    )
    channel_names: list[str] | None = Field(
        None, description="names of the embedding rows; batches are matched by name when set"
    )
    pretrained: str | None = Field(None, description="official or neurokit checkpoint to load")

    @model_validator(mode="after")
    def _widths_add_up(self) -> GPT2MEGConfig:
        e = self.embedding_args
        width = self.gpt2_config.n_embd
        if e.quant_emb != width:
            raise ValueError(f"embedding_args.quant_emb must equal gpt2_config.n_embd ({width})")
        for name in ("channel_emb", "class_emb", "sub_emb"):
            if getattr(e, name) not in (0, width):
                raise ValueError(
                    f"embedding_args.{name} must be 0 or gpt2_config.n_embd ({width}): "
                    "the embeddings are added"
                )
        _check_names(self.channel_names, self.num_channels)
        return self


class AttnArgs(ComponentConfig):
    """Official `MultiHeadAttention` options used by STGPT2MEG."""

    d_model: int = Field(256, ge=1, description="width")
    nheads: int = Field(8, ge=1, description="heads")
    dropout: float = Field(0.0, ge=0, lt=1, description="attention dropout")
    bias: bool = Field(True, description="biases on the qkv and output projections")
    rope: bool = Field(True, description="rotary positions (time; channel index in space)")
    rope_base: float = Field(10000.0, gt=0, description="RoPE base")


class MlpArgs(ComponentConfig):
    """Official `MLP` options (RMSNorm -> fc1 -> GELU -> fc2, residual)."""

    d_model: int = Field(256, ge=1, description="width")
    d_ff: int | None = Field(None, description="hidden width (None: 4 x d_model)")
    dropout: float = Field(0.0, ge=0, lt=1, description="dropout")


class TrfArgs(ComponentConfig):
    """Official `trf_args` of a spatio-temporal block."""

    attn_type: Literal["standard"] = Field("standard", description="attention kind")
    mlp_type: Literal["standard"] = Field("standard", description="MLP kind")
    attn_args: AttnArgs = Field(default_factory=AttnArgs, description="attention options")
    mlp_args: MlpArgs = Field(default_factory=MlpArgs, description="MLP options")


class STEmbeddingArgs(ComponentConfig):
    """Extra `Embeddings` options of STGPT2MEG (token and channel widths are d_model)."""

    num_classes: int = Field(0, ge=0, description="condition classes (id 0 = no condition)")
    class_emb: int = Field(0, ge=0, description="condition embedding width (0 or d_model)")
    subjects: int = Field(0, ge=0, description="subjects with their own embedding")
    sub_emb: int = Field(0, ge=0, description="subject embedding width (0 or d_model)")


class STGPT2MEGConfig(ComponentConfig):
    """Options of `stgpt2meg` (official `STGPT2MEG(num_channels, vocab_size, d_model, ...)`)."""

    num_channels: int = Field(274, ge=1, description="channels (rows of the channel embedding)")
    vocab_size: int = Field(256, ge=2, description="token vocabulary (mu-law levels)")
    d_model: int = Field(256, ge=1, description="width")
    layers: int = Field(8, ge=1, description="spatio-temporal blocks")
    trf_args: TrfArgs = Field(default_factory=TrfArgs, description="block options")
    embedding_args: STEmbeddingArgs | None = Field(None, description="condition/subject tables")
    trf_block: Literal["STGPTBlock"] = Field("STGPTBlock", description="block class")
    num_classes: int = Field(
        0, ge=0, description="neurokit classifier outputs on pooled features (0: none)"
    )
    channel_names: list[str] | None = Field(
        None, description="names of the embedding rows; batches are matched by name when set"
    )
    context: int | None = Field(
        None, ge=1, description="steps a batch is cropped to and generation keeps (None: all)"
    )
    pretrained: str | None = Field(None, description="official or neurokit checkpoint to load")

    @model_validator(mode="after")
    def _widths_add_up(self) -> STGPT2MEGConfig:
        t = self.trf_args
        if t.attn_args.d_model != self.d_model or t.mlp_args.d_model != self.d_model:
            raise ValueError("trf_args.attn_args.d_model and mlp_args.d_model must equal d_model")
        if self.d_model % t.attn_args.nheads:
            raise ValueError(f"d_model {self.d_model} is not divisible by {t.attn_args.nheads}")
        e = self.embedding_args
        if e is not None:
            for name in ("class_emb", "sub_emb"):
                if getattr(e, name) not in (0, self.d_model):
                    raise ValueError(f"embedding_args.{name} must be 0 or d_model")
        _check_names(self.channel_names, self.num_channels)
        return self


class WavenetFullChannelConfig(ComponentConfig):
    """Options of `wavenet-fullchannel` (official `WavenetFullChannel(...)` arguments)."""

    in_channels: int = Field(272, ge=1, description="channels (one token table each)")
    head_channels: int = Field(32, ge=1, description="hidden width of the logits head")
    kernel_size: int = Field(2, ge=1, description="dilated kernel size")
    dilations: list[int] = Field(
        default_factory=lambda: list(WAVENET_DILATIONS), description="dilation per layer"
    )
    quant_levels: int = Field(256, ge=2, description="token vocabulary (mu-law levels)")
    quant_emb: int = Field(32, ge=1, description="token embedding width")
    residual_channels: int = Field(32, ge=1, description="residual width")
    dilation_channels: int = Field(32, ge=1, description="gated-unit width")
    skip_channels: int = Field(128, ge=1, description="skip width (= the feature width)")
    cond_channels: int | None = Field(None, description="condition width (None: unconditioned)")
    num_classes: int = Field(
        0, ge=0, description="official: condition classes (the classifier: reset_classifier)"
    )
    class_emb: int = Field(0, ge=0, description="condition embedding width")
    p_drop: float = Field(0.0, ge=0, lt=1, description="dropout")
    stack_layers: bool = Field(
        False,
        description=(
            "False (official): every layer reads the token embedding; True: each reads the "
            "previous layer's output (a textbook WaveNet; official checkpoints need False)"
        ),
    )
    channel_names: list[str] | None = Field(
        None, description="names of the embedding tables; batches are matched by name when set"
    )
    pretrained: str | None = Field(None, description="official or neurokit checkpoint to load")

    @model_validator(mode="after")
    def _layers_fit(self) -> WavenetFullChannelConfig:
        if not self.stack_layers and self.quant_emb != self.residual_channels:
            raise ValueError(
                "quant_emb must equal residual_channels when stack_layers is False "
                "(every layer reads the embedding; the official code fails otherwise)"
            )
        if any(d < 1 for d in self.dilations):
            raise ValueError("dilations must be positive")
        _check_names(self.channel_names, self.in_channels)
        return self


def _check_names(names: list[str] | None, count: int) -> None:
    if names is not None and len(names) != count:
        raise ValueError(f"channel_names has {len(names)} names for {count} channels")


class MuLawConfig(ComponentConfig):
    """Options of the `mulaw` tokenizer (official `mulaw_torch` / `mulaw_inv_torch`)."""

    mu: Literal[255, 511] = Field(255, description="levels - 1 (256 or 512 tokens)")
    max_val: float = Field(
        1.0, gt=0, description="inputs are divided by this first (official JIT data: 5.0)"
    )
    clamp: float = Field(0.999, gt=0, le=1, description="|x| is clamped to this before companding")
