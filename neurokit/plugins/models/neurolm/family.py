"""The `neurolm` family: text-aligned VQ -> EEG-code LM pretraining -> instruction tuning.

Task classes and the Family declaration only (no torch here); the stages live in
stages.py. Recipes are the official scripts' (train_vq.py, train_pretrain.py,
train_instruction.py); `small` overrides give a CPU-sized model on the same code paths.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from neurokit import ComponentConfig
from neurokit.core.errors import ConfigError
from neurokit.core.family import Family, StageSpec
from neurokit.core.interfaces import DataView, Task

SFREQ = 200.0


class _TextOptions(ComponentConfig):
    text_corpus: str | None = Field(
        None, description="text for the concurrent text loss: a .txt file or the official train.bin"
    )
    gpt2_path: str | None = Field(
        None, description="local HF GPT-2 dir for the BPE (None: model.gpt2_path, else byte tokens)"
    )


class TokenizerTaskConfig(_TextOptions):
    """Options of `pretrain-tokenizer` (VQAlign: VQ + domain classifier against GPT-2 wte)."""

    tokenizer_options: dict[str, Any] = Field(
        default_factory=dict, description="neurolm-vq options (NeuroLMVQConfig fields)"
    )
    text_batch_size: int = Field(16, ge=1, description="text sequences per step (official 16)")
    text_length: int = Field(256, ge=2, description="tokens per text sequence")
    embed_init_std: float | None = Field(
        None,
        gt=0,
        description="re-draw the encoder/decoder channel and time embeddings N(0, std) "
        "(None: the official N(0, 1); small models need them below the patch features)",
    )


class PretrainTaskConfig(_TextOptions):
    """Options of `pretrain` (next-code prediction over the frozen tokenizer's codes)."""

    tokenizer: str | None = Field(
        None, description="a pretrain-tokenizer run dir, or the released VQ.pt"
    )
    text_batch_size: int = Field(4, ge=1, description="text sequences per step (official 4)")
    text_length: int = Field(1024, ge=2, description="tokens per text sequence")
    eeg_max_len: int | None = Field(None, ge=1, description="pad EEG to this many tokens")


class InstructTaskConfig(_TextOptions):
    """Options of `instruct` (answers as text, loss on the answer tokens)."""

    text_batch_size: int = Field(16, ge=1, description="text sequences per step (official 16)")
    text_length: int = Field(256, ge=2, description="tokens per text-corpus sequence")
    eeg_max_len: int = Field(276, ge=1, description="EEG tokens per sample (official 276)")
    text_max_len: int = Field(80, ge=4, description="instruction text tokens (official 80)")
    max_new_tokens: int = Field(5, ge=1, description="greedy tokens generated at evaluation")
    text_loss_weight: float = Field(
        1.0,
        ge=0,
        description="weight of the concurrent text LM loss (official 1; 0 skips it: a tiny LM "
        "spends its clipped gradient on the text and learns the answers far more slowly)",
    )


class _NeuroLMTask(Task):
    accepts = ("neurolm-*",)
    labels = False

    def data_view(self) -> DataView:
        return DataView(sfreq=SFREQ, labels=self.labels)


class TokenizerTask(_NeuroLMTask):
    """Train NeuroLM's text-aligned VQ tokenizer with concurrent text-domain batches."""

    def build(self, context):
        from neurokit.plugins.models.neurolm.stages import build_tokenizer_stage

        return build_tokenizer_stage(self.config, context)


class PretrainTask(_NeuroLMTask):
    """Autoregressive pretraining of the LM on the frozen tokenizer's codes (+ text LM loss)."""

    def build(self, context):
        from neurokit.plugins.models.neurolm.stages import build_pretrain_stage

        if not self.config.tokenizer:
            raise ConfigError(
                "pretrain needs a trained NeuroLM tokenizer: --set task.tokenizer=RUN_DIR "
                "(a pretrain-tokenizer run) or =PATH/VQ.pt (the released file)"
            )
        return build_pretrain_stage(self.config, context)


class InstructTask(_NeuroLMTask):
    """Instruction tuning on labelled stores (a mixture): answers as text."""

    labels = True

    def build(self, context):
        from neurokit.plugins.models.neurolm.stages import build_instruct_stage

        return build_instruct_stage(self.config, context)


NEUROLM_PROFILE = {  # NeuroLM preprocesses as LaBraM
    "montage": "referential",
    "l_freq": 0.1,
    "h_freq": 75.0,
    "notch": 50.0,
    "sfreq": 200.0,
}

TOKENIZER_RECIPE = {
    "trainer": {
        "lr": 5e-5,
        "min_lr": 1e-5,
        "weight_decay": 1e-4,
        "betas": [0.9, 0.999],
        "epochs": 50,
        "warmup_epochs": 5,
    },
    "data": {"batch_size": 64},
    "task": {"text_batch_size": 16},
}
PRETRAIN_RECIPE = {
    "trainer": {
        "lr": 6e-4,
        "min_lr": 6e-5,
        "weight_decay": 0.1,
        "betas": [0.9, 0.95],
        "clip_grad": 1.0,
        "epochs": 20,
        "warmup_epochs": 2,
    },
    "data": {"batch_size": 60},
    "task": {"text_batch_size": 4},
}
INSTRUCT_RECIPE = {
    "trainer": {
        "lr": 5e-4,
        "min_lr": 5e-5,
        "weight_decay": 0.1,
        "betas": [0.9, 0.95],
        "clip_grad": 1.0,
        "epochs": 5,
        "warmup_epochs": 0.5,  # the official warmup ratio 0.1 of 5 epochs
    },
    "data": {"batch_size": 64},
    "task": {"text_batch_size": 16, "eeg_max_len": 276, "text_max_len": 80},
}

# CPU-sized NeuroLM for smoke runs (`neurokit pipeline --small`): same code paths.
SMALL_ENCODER = {"n_layer": 1, "n_head": 2, "n_embd": 32, "out_chans": 8}
SMALL_TOKENIZER = {
    "encoder_args": SMALL_ENCODER,
    "decoder_args": {"n_layer": 1, "n_head": 2, "n_embd": 32, "in_chans": 16},
    "n_embed": 64,
    "embed_dim": 16,
}
SMALL_LM = {
    # two layers: the first turns each EEG token's frozen features into what the second's
    # attention reads from the question; with one, instruction tuning sat at chance for
    # 100-450 steps depending on the seed before reading the EEG (seed 0: 20 epochs at chance)
    "model.n_layer": 2,
    "model.n_head": 2,
    "model.n_embd": 32,
    "model.block_size": 256,
    "model.encoder_args": SMALL_ENCODER,  # the small tokenizer's encoder, so the run's
    "model.eeg_vocab_size": 64,  # backbone is the LM the later stages need
}
SMALL_COMMON = {
    "data.batch_size": 16,
    "data.window_seconds": 2,
    "trainer.warmup_epochs": 0,
    "trainer.lr": 1e-3,
    "trainer.min_lr": 1e-4,
}

NEUROLM = Family(
    name="neurolm",
    description="NeuroLM: EEG as a foreign language for GPT-2 (VQ -> code LM -> instructions)",
    backbone="neurolm-b",
    variants=("neurolm-l", "neurolm-xl"),
    tokenizers=("neurolm-vq",),
    default_stage="instruct",
    profile="neurolm",
    profiles={"neurolm": NEUROLM_PROFILE},
    stages=(
        StageSpec(
            "pretrain-tokenizer",
            task="neurolm-tokenizer",
            recipe=TOKENIZER_RECIPE,
            description="text-aligned VQ: codes reconstruct spectrum and signal; features look like text",
            small={
                **SMALL_COMMON,
                **SMALL_LM,
                "task.tokenizer_options": SMALL_TOKENIZER,
                "task.embed_init_std": 0.02,
                "task.text_batch_size": 4,
                "task.text_length": 32,
                # at 1e-3 without warmup the first few steps turn every feature to one
                # direction (mean cosine 0.62 -> 0.97 in 3 steps) and the codebook collapses
                # to 1-4 codes for some seeds; 3e-4 after a warmup epoch keeps 15-24 codes
                # and the domain probability at 0.48-0.51 (seeds 0-2, 30 epochs)
                "trainer.lr": 3e-4,
                "trainer.min_lr": 3e-5,
                "trainer.warmup_epochs": 1,
            },
        ),
        StageSpec(
            "pretrain",
            task="neurolm-pretrain",
            recipe=PRETRAIN_RECIPE,
            consumes={"task.tokenizer": "pretrain-tokenizer"},
            description="LM on EEG codes of the next second (channel-block causal mask) + text LM",
            small={
                **SMALL_COMMON,
                **SMALL_LM,
                "task.text_length": 32,
                # at 1e-3 the 64 code logits need >4 epochs just to reach the code frequencies
                # (code_ce 3.93 -> 2.40 in 4 epochs vs unigram 0.86); 5e-3 reaches them in 4
                "trainer.lr": 5e-3,
                "trainer.min_lr": 1e-3,
            },
        ),
        StageSpec(
            "instruct",
            task="neurolm-instruct",
            recipe=INSTRUCT_RECIPE,
            consumes={"model.pretrained": "pretrain"},
            description="instruction tuning: question -> answer text, per-corpus metrics",
            small={
                **SMALL_COMMON,
                **SMALL_LM,
                "task.text_batch_size": 4,
                "task.text_length": 32,
                "task.eeg_max_len": 64,
                "task.text_max_len": 160,
                "trainer.epochs": 3,
                "trainer.lr": 5e-3,  # answers start from a 50k-way lm_head: a tiny GPT needs it
                "trainer.min_lr": 1e-3,
                "data.batch_size": 8,  # twice the steps: reading the EEG comes after the format
            },
        ),
    ),
)
