"""NeuroLM configs with the official constructor arguments as fields.

The official code builds its networks from plain dicts: `encoder_args` / `decoder_args`
(`NTConfig` fields, `train_vq.py`) for the tokenizer and `model_args` (`GPTConfig` fields,
`train_pretrain.py`) for the language model. Here each is a typed model with the official
keys and defaults, so a released checkpoint's dicts validate as they are and a typo is a
clear error. `eeg_vocab_size` and `encoder_args` (the size of the frozen VQ encoder the LM
embeds EEG with) are the LM's extra overrides.

Generalisations (identical at the official sizes): the encoder's patch projection is
`Linear((patch_size // 8) * out_chans, n_embd)` where the official hard-codes
`Linear(400, 768)`, and the tokenizer's frozen GPT-2 `wte` has the encoder's width (768).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from neurokit import ComponentConfig
from neurokit.core.errors import ConfigError

# NeuroLM's channel vocabulary: LaBraM's 136 names plus 'pad', 'I1', 'I2' (dataset.py);
# the embedding row is the list index (no cls row, unlike LaBraM).
EXTRA_CHANNELS: tuple[str, ...] = ("pad", "I1", "I2")
GPT2_TEXT_VOCAB = 50257  # GPT-2 BPE tokens; generation picks among these
GPT2_PADDED_VOCAB = 50304  # wte rows after `enlarge_wte` (50257 = [SEP])
SEP_TOKEN = 50257
EOT_TOKEN = 50256  # '<|endoftext|>', also the text padding id of the instruction data

VARIANTS: dict[str, dict[str, int]] = {
    "neurolm-b": dict(n_layer=12, n_head=12, n_embd=768),  # init from gpt2
    "neurolm-l": dict(n_layer=24, n_head=16, n_embd=1024),  # gpt2-medium
    "neurolm-xl": dict(n_layer=48, n_head=25, n_embd=1600),  # gpt2-xl
}


class NTArgs(ComponentConfig):
    """The official `NTConfig` (NeuroLM's `NeuralTransformer`): encoder or decoder options."""

    block_size: int = Field(1024, ge=1, description="max tokens (unused by the network)")
    patch_size: int = Field(200, ge=8, description="samples per patch (1 s at 200 Hz)")
    num_classes: int = Field(0, ge=0, description="head outputs (0: identity head)")
    in_chans: int = Field(1, ge=1, description="1: TemporalConv patch embed; else Linear(in_chans)")
    out_chans: int = Field(16, ge=4, description="TemporalConv channels (GroupNorm(4))")
    use_mean_pooling: bool = Field(True, description="fc_norm on the output (else norm)")
    init_scale: float = Field(0.001, description="head init scale")
    n_layer: int = Field(12, ge=0, description="transformer blocks")
    n_head: int = Field(10, ge=1, description="attention heads")
    n_embd: int = Field(400, ge=1, description="width")
    dropout: float = Field(0.0, ge=0, lt=1, description="dropout")
    bias: bool = Field(False, description="bias in Linears and LayerNorms")

    @model_validator(mode="after")
    def _heads_divide(self) -> NTArgs:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} is not divisible by n_head {self.n_head}")
        if self.in_chans == 1 and self.out_chans % 4:
            raise ValueError(f"out_chans {self.out_chans} must be a multiple of 4 (GroupNorm(4))")
        return self


def encoder_defaults() -> NTArgs:
    """`train_vq.py`'s encoder_args (85,510,272 parameters)."""
    return NTArgs(n_layer=12, n_head=12, n_embd=768, in_chans=1, out_chans=16)


def decoder_defaults() -> NTArgs:
    """`train_vq.py`'s decoder_args (in_chans is rewritten to the code width, as `VQ` does)."""
    return NTArgs(n_layer=4, n_head=12, n_embd=768, in_chans=128)


class NeuroLMVQConfig(ComponentConfig):
    """Options of `neurolm-vq` (official `VQ_Align(encoder_config, decoder_config)`).

    The `VQ` arguments below are the official defaults, which `VQ_Align` never changes.
    """

    encoder_args: NTArgs = Field(default_factory=encoder_defaults, description="encoder")
    decoder_args: NTArgs = Field(default_factory=decoder_defaults, description="decoders")
    n_embed: int = Field(8192, ge=2, description="codebook size")
    embed_dim: int = Field(128, ge=1, description="code width")
    decay: float = Field(0.99, gt=0, lt=1, description="codebook EMA decay")
    quantize_kmeans_init: bool = Field(True, description="k-means init from the first batch")
    decoder_out_dim: int = Field(200, ge=2, description="raw decoder outputs (freq: half)")
    smooth_l1_loss: bool = Field(False, description="smooth L1 instead of MSE")
    text_vocab_size: int = Field(
        GPT2_TEXT_VOCAB, ge=1, description="rows of the frozen GPT-2 wte (text domain)"
    )
    gpt2_path: str | None = Field(
        None, description="local Hugging Face GPT-2 dir to copy wte from (else random)"
    )


class NeuroLMConfig(ComponentConfig):
    """Options of the NeuroLM language model: GPTConfig fields plus NeuroLM's overrides."""

    block_size: int = Field(1024, ge=1, description="positions of wpe")
    vocab_size: int = Field(GPT2_TEXT_VOCAB, ge=1, description="GPT-2 vocabulary before enlarging")
    n_layer: int = Field(12, ge=1, description="GPT blocks")
    n_head: int = Field(12, ge=1, description="attention heads")
    n_embd: int = Field(768, ge=1, description="GPT width")
    dropout: float = Field(0.0, ge=0, lt=1, description="dropout")
    bias: bool = Field(True, description="bias in Linears and LayerNorms (GPT-2: True)")
    eeg_vocab_size: int = Field(8192, ge=1, description="VQ codes appended to lm_head")
    padded_vocab_size: int = Field(
        GPT2_PADDED_VOCAB, ge=1, description="wte rows after enlarge_wte (official 50304)"
    )
    text_vocab_size: int = Field(
        GPT2_TEXT_VOCAB, ge=1, description="tokens generate() picks from (official 50257)"
    )
    encoder_args: NTArgs = Field(default_factory=encoder_defaults, description="EEG encoder")
    gpt2_path: str | None = Field(
        None, description="local Hugging Face GPT-2 dir to initialise from (else from config)"
    )
    num_classes: int = Field(
        0, ge=0, description="neurokit linear head on the pooled EEG states (0: none)"
    )
    pretrained: str | None = Field(
        None,
        description="start from a released NeuroLM-{B,L,XL}.pt (its model_args size the model) "
        "or a NeuroLM pretrain / instruct run dir",
    )

    @model_validator(mode="before")
    @classmethod
    def _sized_by_release(cls, data: Any) -> Any:
        """A released checkpoint as `pretrained` sizes the model: the fields it fixes
        (`weights.lm_options_from`) fill those left unset, and one set to another value
        (or a variant's own size, as `neurolm-l` given a B file) is a ConfigError."""
        if not isinstance(data, dict) or not data.get("pretrained"):
            return data
        path = Path(str(data["pretrained"])).expanduser()
        if not path.is_file():
            return data  # a run directory: the stage reads it
        from neurokit.plugins.models.neurolm.weights import lm_options_from

        fixed = lm_options_from(path)
        clashes = []
        for key, value in fixed.items():
            given = data.get(key, cls.model_fields[key].default)
            explicit = key in data or given != NeuroLMConfig.model_fields[key].default
            if explicit and given != value:
                clashes.append(f"{key}={given!r} (the file has {value!r})")
        if clashes:
            raise ConfigError(
                f"model.pretrained {str(path)!r} does not fit the model asked for: "
                f"{', '.join(clashes)}; leave these unset (the file sizes the model) or choose "
                "the matching --model"
            )
        return {**data, **fixed}

    @model_validator(mode="after")
    def _sizes(self) -> NeuroLMConfig:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} is not divisible by n_head {self.n_head}")
        if self.padded_vocab_size < self.vocab_size:
            raise ValueError(
                f"padded_vocab_size {self.padded_vocab_size} < vocab_size {self.vocab_size}"
            )
        if self.text_vocab_size > self.padded_vocab_size:
            raise ValueError("text_vocab_size exceeds padded_vocab_size")
        return self


def variant_config(name: str, **overrides) -> NeuroLMConfig:
    """The config of variant `name` (neurolm-b / -l / -xl) with `overrides` applied."""
    return NeuroLMConfig(**{**VARIANTS[name], **overrides})


class NeuroLMLConfig(NeuroLMConfig):
    """NeuroLM-L: gpt2-medium sizes."""

    n_layer: int = Field(24, ge=1, description="GPT blocks")
    n_head: int = Field(16, ge=1, description="attention heads")
    n_embd: int = Field(1024, ge=1, description="GPT width")


class NeuroLMXLConfig(NeuroLMConfig):
    """NeuroLM-XL: gpt2-xl sizes."""

    n_layer: int = Field(48, ge=1, description="GPT blocks")
    n_head: int = Field(25, ge=1, description="attention heads")
    n_embd: int = Field(1600, ge=1, description="GPT width")


VARIANT_CONFIGS: dict[str, type[NeuroLMConfig]] = {
    "neurolm-b": NeuroLMConfig,
    "neurolm-l": NeuroLMLConfig,
    "neurolm-xl": NeuroLMXLConfig,
}
