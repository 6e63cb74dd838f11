"""The `duin` family: VQ-VAE -> MAE -> classifier, per subject, on the family/stage contract.

Task classes only (no torch here); the stages live in stages.py. The backbones' shape
arguments (`n_channels`, `n_subjects`, `seq_len`) come from the run's data in `build`,
never from the user: a run on subject 001 with 10 selected contacts and 3-s trials gets
a model of exactly that shape.
"""

from __future__ import annotations

from pydantic import Field

from neurokit import ComponentConfig
from neurokit.core.errors import ConfigError, DataError
from neurokit.core.family import Family, StageSpec
from neurokit.core.interfaces import DataView, Task

SFREQ = 1000.0
PRETRAIN_SECONDS = 4.0  # official pretraining crops
TRIAL_SECONDS = 3.0  # official fine-tuning trials


class VQVAETaskConfig(ComponentConfig):
    """Options of `pretrain-tokenizer` (the Du-IN VQ-VAE)."""

    decoder_blocks: int = Field(4, ge=1, description="decoder transformer blocks (official: 4)")


class MAETaskConfig(ComponentConfig):
    """Options of `pretrain` (masked code prediction against a frozen VQ-VAE)."""

    tokenizer: str | None = Field(
        None, description="trained VQ-VAE: a pretrain-tokenizer run dir or checkpoint-399.pth"
    )
    mask_ratio: float = Field(0.5, gt=0, lt=1, description="share of tokens masked (symmetric)")


class CLSTaskConfig(ComponentConfig):
    """Options of the Du-IN `finetune` stage."""

    official_loss: bool = Field(
        False, description="train on cross-entropy of the Sigmoid outputs, as the official code"
    )
    max_shift: int = Field(
        300, ge=0, description="training trials shifted by up to +-this many samples (0: off)"
    )


def shapes(context, window_samples: int | None = None) -> dict[str, int]:
    """`n_channels`, `n_subjects`, `seq_len` of the run's data."""
    data = context.data
    if not data.channel_names:
        raise DataError("the Du-IN stages need the store's channel names (none were found)")
    return {
        "n_channels": len(data.channel_names),
        "n_subjects": max(len(data.subjects), 1),
        "seq_len": int(window_samples or data.window_samples),
    }


def model_options(context) -> dict:
    """The run's `model` options without its name and `pretrained` (shared DuINConfig fields)."""
    from neurokit.plugins.models.duin.config import DuINConfig

    options = dict(context.config.model.options)
    return {k: v for k, v in options.items() if k in DuINConfig.model_fields and k != "pretrained"}


class _DuINTask(Task):
    accepts = ("duin-*",)
    window_seconds = PRETRAIN_SECONDS

    def data_view(self) -> DataView:
        # official pretraining: a random 4-s crop of each recording, drawn anew every epoch
        return DataView(
            sfreq=SFREQ, labels=False, window_seconds=self.window_seconds, random_offset=True
        )


class VQVAETask(_DuINTask):
    """Train the Du-IN VQ-VAE (neural codex) on unlabelled 1000 Hz windows."""

    def build(self, context):
        import neurokit
        from neurokit.plugins.models.duin.stages import VQVAEStage

        options = {**model_options(context), **shapes(context)}
        model = neurokit.create(
            "backbone", "duin-vqvae", decoder_blocks=self.config.decoder_blocks, **options
        )
        if context.config.model.options.get("pretrained"):
            from neurokit.plugins.models.duin.stages import load_pretrained

            load_pretrained(model, str(context.config.model.options["pretrained"]), "vqvae")
        return VQVAEStage(model)


class MAETask(_DuINTask):
    """Du-IN MAE: predict the frozen VQ-VAE's codes of masked tokens (symmetric masking)."""

    def build(self, context):
        import neurokit
        from neurokit.plugins.models.duin.stages import MAEStage, frozen_vqvae

        if not self.config.tokenizer:
            raise ConfigError(
                "pretrain needs a trained Du-IN VQ-VAE: --set task.tokenizer=RUN_DIR "
                "(a pretrain-tokenizer run) or a checkpoint-399.pth"
            )
        options = {**model_options(context), **shapes(context)}
        vqvae = frozen_vqvae(self.config.tokenizer, options)
        model = neurokit.create(
            "backbone", "duin-mae", mask_ratio=self.config.mask_ratio, **options
        )
        if context.config.model.options.get("pretrained"):
            from neurokit.plugins.models.duin.stages import load_pretrained

            load_pretrained(model, str(context.config.model.options["pretrained"]), "mae")
        return MAEStage(model, vqvae, self.config.mask_ratio)


class CLSTask(_DuINTask):
    """Fine-tune the Du-IN classifier on labelled trials, from an MAE (or VQ-VAE) run."""

    default_objective = "classification"
    window_seconds = TRIAL_SECONDS

    def data_view(self) -> DataView:
        return DataView(sfreq=SFREQ, labels=True, window_seconds=self.window_seconds)

    def build(self, context):
        from neurokit.plugins.models.duin.stages import build_cls_stage

        return build_cls_stage(self, context)


# Official recipes (train/duin/run_*.py): AdamW, per-epoch linear warmup then half-cosine.
VQVAE_RECIPE = {
    "trainer": {"lr": 3e-4, "min_lr": 5e-5, "warmup_epochs": 80, "epochs": 800},
    "data": {"batch_size": 32},
}
MAE_RECIPE = {
    "trainer": {"lr": 3e-4, "min_lr": 5e-5, "warmup_epochs": 40, "epochs": 400},
    "data": {"batch_size": 64},
}
CLS_RECIPE = {
    "trainer": {
        "lr": 2e-4,
        "min_lr": 5e-6,
        "warmup_epochs": 20,
        "epochs": 200,
        "weight_decay": 0.05,
    },
    "data": {"batch_size": 32},
}

# CPU-sized model for smoke runs (`neurokit pipeline --small`): same code paths.
SMALL_MODEL = {"model.n_blocks": 1, "model.n_heads": 2, "model.d_head": 16, "model.d_ff": 64}

DUIN = Family(
    name="duin",
    description="Du-IN: per-subject sEEG, VQ-VAE codex -> MAE -> word classifier (1000 Hz)",
    backbone="duin-cls",
    variants=("duin-vqvae", "duin-mae"),
    modality="seeg",
    stages=(
        StageSpec(
            "pretrain-tokenizer",
            task="duin-vqvae-pretrain",
            recipe=VQVAE_RECIPE,
            description="VQ-VAE: 100-ms tokens reconstructed through a 2048-code neural codex",
            small={
                **SMALL_MODEL,
                "model.codex_size": 64,
                # measured (60 steps, 1-block model, synthetic corpus): beta 1 collapses the
                # encoder outputs onto 1-7 codes of 64; beta 0.1 + dead-code restart uses 14-18
                "model.vq_beta": 0.1,
                "task.decoder_blocks": 1,
                "data.batch_size": 16,
                "trainer.warmup_epochs": 0,
                "trainer.lr": 3e-4,  # 1e-3 collapsed the codex within a few steps
            },
        ),
        StageSpec(
            "pretrain",
            task="duin-mae-pretrain",
            recipe=MAE_RECIPE,
            consumes={"task.tokenizer": "pretrain-tokenizer"},
            description="MAE: predict the frozen VQ-VAE's codes of masked tokens (ratio 0.5)",
            small={
                **SMALL_MODEL,
                "model.codex_size": 64,
                "data.batch_size": 16,
                "trainer.warmup_epochs": 0,
                "trainer.lr": 1e-3,
            },
        ),
        StageSpec(
            "finetune",
            task="duin-finetune",
            recipe=CLS_RECIPE,
            consumes={"model.pretrained": "pretrain"},
            description="word classifier from the MAE's subject block, tokenizer and encoder",
            small={
                **SMALL_MODEL,
                # +-300-sample shifts need more than a smoke run's epochs (measured: test
                # accuracy 1.0 -> 0.33 on the 6-word corpus after 3 epochs)
                "task.max_shift": 0,
                "model.codex_size": 64,
                "data.batch_size": 16,
                "trainer.warmup_epochs": 0,
                "trainer.lr": 1e-3,
            },
        ),
    ),
)
