"""The `forecast` family: its pretraining task and recipes (torch-free at import).

`pretrain` trains any of the three forecasters on next-step cross-entropy over every
channel and step; its evaluation adds per-channel accuracy and a short free-running
rollout (KV cache) judged against held-out data by Welch PSD log-spectral distance and
channel-covariance correlation, beside a shuffled-real baseline (see `stages.py`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from neurokit import ComponentConfig
from neurokit.core.errors import ConfigError
from neurokit.core.family import Family, StageSpec
from neurokit.core.interfaces import DataView, Task
from neurokit.plugins.tasks.finetune import FinetuneConfig, FinetuneTask

BACKBONES = ("gpt2meg", "stgpt2meg", "wavenet-fullchannel")


def _scaling_field():
    return Field(
        "recording",
        description="robust scaling fitted per recording and kept in the store (official "
        "stage 2; generation de-quantises to tesla), or per window (no store access)",
    )


class ForecastPretrainConfig(ComponentConfig):
    """Options of `forecast` `pretrain` (next-step prediction of mu-law tokens)."""

    label_smoothing: float = Field(0.0, ge=0, lt=1, description="0 in every official recipe")
    rollout_seconds: float = Field(
        60.0, ge=0, description="free-running length per judged split (official: 60; 0 = none)"
    )
    rollout_splits: list[str] = Field(
        default_factory=lambda: ["test", "eval"],
        description="splits judged by a rollout (add val to judge every validation)",
    )
    forecast_steps: int = Field(
        10, ge=0, description="N of the greedy N-step recursive forecasts (official: 10)"
    )
    forecast_windows: int = Field(16, ge=1, description="windows the N-step forecasts start from")
    prompt_seconds: float = Field(
        0.5, gt=0, description="real data the rollout starts from (cut to the window)"
    )
    rollout_windows: int = Field(8, ge=1, description="validation windows used as prompts")
    top_p: float = Field(0.8, gt=0, le=1, description="nucleus sampling (the official 0.8)")
    temperature: float = Field(1.0, gt=0, description="sampling temperature (official: 1)")
    seed: int = Field(0, description="seed of the rollout's sampling (same numbers each epoch)")
    scaling: Literal["recording", "window"] = _scaling_field()


def attach_scaling(backbone, mode: str, context) -> None:
    """Give the backbone its store's per-recording robust scaling (`scaling.py`), so that
    pretraining, fine-tuning and generation tokenise alike; a mixture of stores (or
    `scaling: window`) keeps per-window scaling."""
    if mode != "recording":
        return
    from neurokit.plugins.models.forecast.scaling import ScalingTable

    stores = {
        id(d.store): d.store
        for d in context.datasets.values()
        if getattr(d, "store", None) is not None
    }
    if len(stores) == 1:
        backbone.scaling = ScalingTable.for_store(next(iter(stores.values())))


class ForecastFinetuneConfig(FinetuneConfig):
    """Options of `forecast` `finetune` (the `finetune` task's, plus the token scaling)."""

    scaling: Literal["recording", "window"] = _scaling_field()


class ForecastFinetuneTask(FinetuneTask):
    """`finetune` on a forecaster: its classifier on pooled features, tokens scaled as in
    pretraining."""

    accepts = BACKBONES

    def build(self, context):
        if context.backbone is not None:
            attach_scaling(context.backbone, self.config.scaling, context)
        return super().build(context)


class ForecastPretrainTask(Task):
    """Next-step cross-entropy over all channels and steps; rollouts judged by spectra."""

    accepts = BACKBONES

    def data_view(self) -> DataView:
        return DataView(labels=False)

    def build(self, context):
        from neurokit.plugins.models.forecast.stages import ForecastPretrainStage

        backbone = context.backbone
        if backbone is None or not hasattr(backbone, "vocab_size"):
            raise ConfigError(f"forecast pretrain needs one of {', '.join(BACKBONES)}")
        attach_scaling(backbone, self.config.scaling, context)
        return ForecastPretrainStage(backbone, self.config, context.data.sfreq)


# brain-forecast GPT2MEG (Omega) recipe: lr 1e-4, cosine over 50 epochs, gradient clip 1,
# fp16 on GPU (neurokit's auto precision: bf16 on CUDA). Windows: a 400-step context at
# 200 Hz = 2 s. Weight decay: the official Lightning module leaves AdamW's default 0.01.
PRETRAIN_RECIPE = {
    "trainer": {
        "lr": 1e-4,
        "min_lr": 0.0,
        "epochs": 50,
        "clip_grad": 1.0,
        "weight_decay": 0.01,
    },
    "data": {"window_seconds": 2.0, "batch_size": 32},
}

# The official stage-1 profile at v3 (1-50 Hz, 100 Hz; the earlier release: 0.1-100 Hz, 200 Hz):
# MEG channels by their file types (fT, fT/cm; no reference sensors), CTF third-order
# gradient compensation (the Preprocessing default), bad channels judged per sensor type
# and zeroed so that every recording keeps the corpus's channel set. The mains notch is the
# dataset's: `--set preprocessing.notch=50` (MOUS) or 60 (Omega).
FORECAST_PROFILE = {
    "types": "file",
    "l_freq": 1.0,
    "h_freq": 50.0,
    "sfreq": 100.0,
    "bad_channels": "zero",
    "bad_z": 5.0,
}

# Fine-tuning a classifier on the pretrained forecaster (e.g. LibriBrain phonemes or MOUS
# word events with STGPT2MEG). The official code gives no separate recipe: the pretraining
# optimiser at 20 epochs, the classifier on the mean feature over channels and steps.
FINETUNE_RECIPE = {
    "trainer": {
        "lr": 1e-4,
        "min_lr": 0.0,
        "epochs": 20,
        "clip_grad": 1.0,
        "weight_decay": 0.01,
    },
    "data": {"window_seconds": 2.0, "batch_size": 32},
}

# CPU-sized models for smoke runs (`--small`): width 32, 2 layers / 5 dilations, up to 8
# channel rows; the pipeline picks the overrides of the run's backbone.
SMALL_MODELS = {
    "gpt2meg": {
        "model.num_channels": 8,
        "model.gpt2_config": {
            "vocab_size": 256,
            "n_positions": 128,
            "n_embd": 32,
            "n_layer": 2,
            "n_head": 4,
        },
        "model.embedding_args": {"quant_emb": 32, "channel_emb": 32},
    },
    "stgpt2meg": {
        "model.num_channels": 8,
        "model.vocab_size": 256,
        "model.d_model": 32,
        "model.layers": 2,
        "model.context": 128,
        "model.trf_args": {"attn_args": {"d_model": 32, "nheads": 4}, "mlp_args": {"d_model": 32}},
    },
    "wavenet-fullchannel": {
        "model.in_channels": 8,
        "model.head_channels": 32,
        "model.dilations": [1, 2, 4, 8, 16],
        "model.quant_levels": 256,
        "model.quant_emb": 16,
        "model.residual_channels": 16,
        "model.dilation_channels": 16,
        "model.skip_channels": 32,
    },
}
SMALL_TRAINING = {
    "data.batch_size": 8,
    "data.window_seconds": 1.0,
    "trainer.lr": 1e-2,
    "trainer.warmup_epochs": 0,
    "trainer.precision": "fp32",
}
SMALL_PRETRAIN = {
    **SMALL_TRAINING,
    "task.rollout_seconds": 0.5,
    "task.prompt_seconds": 0.5,
    "task.rollout_windows": 4,
    "task.rollout_splits": ["val", "test"],
    "task.forecast_windows": 8,
}
SMALL_FINETUNE = dict(SMALL_TRAINING)

FORECAST = Family(
    name="forecast",
    description="ephys_gpt forecasters (GPT2MEG, STGPT2MEG, WaveNet): next mu-law token of MEG",
    backbone="gpt2meg",
    variants=("stgpt2meg", "wavenet-fullchannel"),
    tokenizers=("mulaw",),
    modality="meg",
    default_stage="pretrain",
    profile="forecast",
    profiles={"forecast": FORECAST_PROFILE},
    stages=(
        StageSpec(
            "pretrain",
            task="forecast-pretrain",
            recipe=PRETRAIN_RECIPE,
            description="next-step cross-entropy over all channels and steps; rollout spectra",
            small=SMALL_PRETRAIN,
            small_by_backbone=SMALL_MODELS,
        ),
        StageSpec(
            "finetune",
            task="forecast-finetune",
            recipe=FINETUNE_RECIPE,
            consumes={"task.pretrained": "pretrain"},
            description="a classifier on the pretrained forecaster's pooled features (events)",
            small=SMALL_FINETUNE,
            small_by_backbone=SMALL_MODELS,
        ),
    ),
)
