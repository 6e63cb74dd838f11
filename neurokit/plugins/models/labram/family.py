"""The `labram` family: VQ-NSP tokenizer -> masked EEG modelling -> fine-tuning.

Task configs, task classes and the Family declaration only (no torch here); the stages
live in stages.py, the component configs in config.py.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from neurokit import ComponentConfig
from neurokit.core.errors import ConfigError
from neurokit.core.family import Family, StageSpec
from neurokit.core.interfaces import DataView, Task
from neurokit.plugins.models.labram.hdf5 import LAYOUT as HDF5_LAYOUT

# ----------------------------------------------------------------------------- tasks


class TokenizerPretrainConfig(ComponentConfig):
    """Options of `pretrain-tokenizer`."""

    token_budget: int = Field(
        256, ge=1, description="channels x seconds per chunk; windows are re-cut to fit"
    )
    tokenizer_options: dict[str, Any] = Field(
        default_factory=dict, description="labram-vqnsp options (e.g. encoder_depth, num_codes)"
    )


class MEMPretrainConfig(ComponentConfig):
    """Options of `pretrain` (masked EEG modelling)."""

    tokenizer: str | None = Field(
        None,
        description="trained VQ-NSP: a pretrain-tokenizer run dir, its checkpoint or vqnsp.pth",
    )
    tokenizer_options: dict[str, Any] = Field(
        default_factory=dict,
        description="labram-vqnsp options not readable from the checkpoint (num_heads)",
    )
    mask_ratio: float = Field(0.5, gt=0, lt=1, description="fraction of patches masked")
    symmetric: bool = Field(
        True, description="also predict the complement mask's patches (symmetric masking)"
    )
    drop_path_rate: float = Field(
        0.0, ge=0, lt=1, description="stochastic depth of the student (reference: 0)"
    )
    token_budget: int = Field(
        256, ge=1, description="channels x seconds per chunk; windows are re-cut to fit"
    )


class _UnlabelledPretrainTask(Task):
    """Shared by LaBraM's two pretraining stages: unlabelled 200 Hz windows."""

    accepts = ("labram-*",)

    def data_view(self) -> DataView:
        return DataView(sfreq=200.0, labels=False)


class TokenizerPretrainTask(_UnlabelledPretrainTask):
    """Train LaBraM's VQ-NSP tokenizer on unlabelled windows (Fourier amplitude + phase targets)."""

    default_objective = "vq-fourier"

    def build(self, context):
        import neurokit
        from neurokit.plugins.models.labram.stages import TokenizerPretrainModule

        # the stage trains the family's tokenizer; the run's backbone is not used
        tokenizer = neurokit.create("tokenizer", "labram-vqnsp", **self.config.tokenizer_options)
        if context.objective is None:
            raise ConfigError("pretrain-tokenizer needs an objective (vq-fourier)")
        return TokenizerPretrainModule(
            tokenizer.train(), context.objective, self.config.token_budget
        )


class MEMPretrainTask(_UnlabelledPretrainTask):
    """LaBraM masked EEG modelling: predict a frozen VQ-NSP's codes of masked patches."""

    default_objective = "masked-token"

    def build(self, context):
        from neurokit.plugins.models.labram.stages import MEMPretrainModule, build_mem
        from neurokit.plugins.models.labram.weights import tokenizer_from_checkpoint

        c = self.config
        if not c.tokenizer:
            raise ConfigError(
                "pretrain needs a trained tokenizer: --set task.tokenizer=RUN_DIR (a pretrain-tokenizer run) "
                "or a checkpoint such as vqnsp.pth"
            )
        backbone = context.backbone
        if backbone is None or not hasattr(backbone, "channel_mapper"):
            raise ConfigError("the LaBraM pretrain task needs a labram-* backbone (--model labram)")
        tokenizer = tokenizer_from_checkpoint(c.tokenizer, **c.tokenizer_options)
        mem = build_mem(backbone, tokenizer.codebook_size, c.drop_path_rate)
        if context.objective is None:
            raise ConfigError("pretrain needs an objective (masked-token)")
        return MEMPretrainModule(
            mem,
            tokenizer.to(next(mem.parameters()).device),
            context.objective,
            channel_mapper=backbone.channel_mapper,
            input_scale=backbone.input_scale,
            mask_ratio=c.mask_ratio,
            symmetric=c.symmetric,
            token_budget=c.token_budget,
        )


# ---------------------------------------------------------------------------- preset

# The README recipes (8 GPUs in the paper; per-process batch sizes here).
TOKENIZER_RECIPE = {
    "trainer": {
        "lr": 5e-5,
        "min_lr": 1e-5,
        "warmup_start_lr": 1e-6,
        "warmup_epochs": 10,
        "epochs": 100,
        "weight_decay": 1e-4,
        "betas": [0.9, 0.99],
    },
    "data": {"batch_size": 128},
}
PRETRAIN_RECIPE = {
    "trainer": {
        "lr": 5e-4,
        "min_lr": 1e-5,
        "warmup_start_lr": 1e-6,
        "warmup_epochs": 5,
        "epochs": 50,
        "weight_decay": 0.05,
        "betas": [0.9, 0.98],
        "eps": 1e-8,
        "clip_grad": 3.0,
    },
    "data": {"batch_size": 64},
}
FINETUNE_RECIPE = {
    "trainer": {
        "lr": 5e-4,
        "min_lr": 1e-6,
        "warmup_epochs": 5,
        "epochs": 50,
        "weight_decay": 0.05,
        "layer_decay": 0.65,
    },
    "objective": {"label_smoothing": 0.1},
    "data": {"batch_size": 64},
    "task": {"sfreq": 200.0},  # refused before any work on a store at another rate
}


# LaBraM dataset_maker: filter(0.1, 75), notch_filter(50) (even on 60 Hz TUH data), resample(200), uV.
LABRAM_PROFILE = {
    "montage": "referential",
    "l_freq": 0.1,
    "h_freq": 75.0,
    "notch": 50.0,
    "sfreq": 200.0,
}

# CPU-sized VQ-NSP for smoke runs (`neurokit pipeline --small`).
SMALL_TOKENIZER = {"encoder_depth": 1, "decoder_depth": 1, "num_codes": 256, "code_dim": 16}

LABRAM = Family(
    name="labram",
    description="LaBraM: VQ-NSP tokenizer -> masked EEG modelling -> fine-tuning (200 Hz, 1-s patches)",
    backbone="labram-base",
    variants=("labram-large", "labram-huge"),
    tokenizers=("labram-vqnsp",),
    profile="labram",
    profiles={"labram": LABRAM_PROFILE},
    hdf5_layouts=(HDF5_LAYOUT,),
    stages=(
        StageSpec(
            "pretrain-tokenizer",
            task="labram-tokenizer",
            recipe=TOKENIZER_RECIPE,
            description="VQ-NSP: codes whose decoders predict Fourier amplitude and phase",
            small={
                "task.tokenizer_options": SMALL_TOKENIZER,
                "data.batch_size": 16,
                "data.window_seconds": 4,
                "trainer.warmup_epochs": 0,
            },
        ),
        StageSpec(
            "pretrain",
            task="labram-mem",
            recipe=PRETRAIN_RECIPE,
            consumes={"task.tokenizer": "pretrain-tokenizer"},
            description="masked EEG modelling: predict the frozen tokenizer's codes of masked patches",
            small={
                "model.depth": 2,
                "data.batch_size": 16,
                "data.window_seconds": 4,
                "trainer.warmup_epochs": 0,
            },
        ),
        StageSpec(
            "finetune",
            task="finetune",
            recipe=FINETUNE_RECIPE,
            consumes={"model.pretrained": "pretrain"},
            description="supervised fine-tuning with layer-wise lr decay 0.65",
            small={
                "model.depth": 2,
                "data.batch_size": 16,
                "data.window_seconds": 2,
                "trainer.warmup_epochs": 0.5,
                "trainer.lr": 1e-3,
            },
        ),
    ),
)
