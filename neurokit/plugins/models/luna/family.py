"""The `luna` family: masked reconstruction pretraining -> fine-tuning, any montage, 256 Hz.

Task config, task class and the Family declaration only (no torch here); the stage lives
in stages.py, the component configs in config.py.
"""

from __future__ import annotations

from pydantic import Field

from neurokit import ComponentConfig
from neurokit.core.family import Family, StageSpec
from neurokit.core.task import Task
from neurokit.plugins.models.luna.hdf5 import LAYOUTS as HDF5_LAYOUTS


class LunaPretrainConfig(ComponentConfig):
    """Options of the `luna-pretrain` task."""

    mask_ratio: float = Field(
        0.5, gt=0, lt=1, description="share of (channel x 40-sample) tokens masked per sample"
    )


class LunaPretrainTask(Task):
    """Masked reconstruction pretraining of LUNA (what `--model luna --task pretrain` runs)."""

    default_objective = "masked-reconstruction"
    accepts = ("luna-*",)

    def data_view(self):
        from neurokit.core.interfaces import DataView

        return DataView(window_seconds=5.0, labels=False)  # official: 5-s windows

    def build(self, context):
        from neurokit.plugins.models.luna.stages import build_pretrain_module

        return build_pretrain_module(self, context)


# LUNA process_raw_eeg: 0.1-75 Hz, 60 Hz notch, 256 Hz, TCP bipolar, files with < 20 pairs dropped.
LUNA_PROFILE = {
    "montage": "tcp",
    "l_freq": 0.1,
    "h_freq": 75.0,
    "notch": 60.0,
    "sfreq": 256.0,
    "min_tcp_pairs": 20,
}

# Fine-tuning (finetune_task_LUNA + LUNA_finetune.yaml): AdamW lr 5e-4, betas (0.9, 0.999),
# wd 0.05, layer decay 0.75 on the blocks, cosine with 10 warmup epochs from 2.5e-7 to a
# 2.5e-6 floor, 30 epochs, drop_path 0.1, early stopping on val loss (patience 8).
FINETUNE_RECIPE = {
    "model": {"drop_path": 0.1},
    "data": {"window_seconds": 5.0},
    "trainer": {
        "lr": 5e-4,
        "betas": [0.9, 0.999],
        "weight_decay": 0.05,
        "layer_decay": 0.75,
        "epochs": 30,
        "warmup_epochs": 10,
        "warmup_start_lr": 2.5e-7,
        "min_lr": 2.5e-6,
        "monitor": "loss",
        "early_stopping": 8,
    },
}
# Pretraining (pretrain_task_LUNA + LUNA_pretrain.yaml): AdamW lr 1.25e-4 with PyTorch's
# default betas and weight decay (the yaml's are ignored by the official task), cosine with
# 10 warmup epochs, floor 2.5e-7, 100 epochs, gradient clip 1, mask ratio 0.5. The official
# batch sizes (256 and 2040 per GPU) are left to `data.batch_size`.
PRETRAIN_RECIPE = {
    "task": {"mask_ratio": 0.5},
    "objective": {"name": "masked-reconstruction"},
    "model": {"num_classes": 0, "drop_path": 0.0},
    "data": {"window_seconds": 5.0},
    "trainer": {
        "lr": 1.25e-4,
        "betas": [0.9, 0.999],
        "weight_decay": 0.01,
        "epochs": 100,
        "warmup_epochs": 10,
        "warmup_start_lr": 2.5e-7,
        "min_lr": 2.5e-7,
        "clip_grad": 1.0,
        "monitor": "loss",
    },
}

LUNA = Family(
    name="luna",
    description="LUNA: masked reconstruction pretraining -> fine-tuning; any montage, 256 Hz",
    backbone="luna-base",
    variants=("luna-large", "luna-huge"),
    profile="luna",
    profiles={"luna": LUNA_PROFILE},
    hdf5_layouts=HDF5_LAYOUTS,
    stages=(
        StageSpec(
            "pretrain",
            task="luna-pretrain",
            recipe=PRETRAIN_RECIPE,
            description="masked reconstruction of (channel x 40-sample) tokens",
            small={"model.depth": 2, "data.batch_size": 16, "trainer.warmup_epochs": 0},
        ),
        StageSpec(
            "finetune",
            task="finetune",
            recipe=FINETUNE_RECIPE,
            consumes={"model.pretrained": "pretrain"},
            description="supervised fine-tuning, layer decay 0.75, early stopping on val loss",
            small={
                "model.depth": 2,
                "data.batch_size": 16,
                "trainer.warmup_epochs": 0,
                "trainer.lr": 1e-3,
            },
        ),
    ),
)
