"""Du-IN (Zheng et al., NeurIPS 2024): per-subject sEEG speech decoding.

Backbones `duin-vqvae` (neural codex), `duin-mae` (masked code prediction) and `duin-cls`
(61-word classifier) with the official module tree, state-dict keys, `forward(inputs)`
tuples and parameter counts, built from pydantic configs whose defaults are the official
`seeg_he2023xuanwu` values. Torch is imported only when something is built.

    >>> model = neurokit.create("backbone", "duin-cls", n_channels=10, n_subjects=1,
    ...                         seq_len=3000, n_labels=61)                  # doctest: +SKIP
    >>> y_pred, loss = model((X, y_true, subj_id))                          # official call
"""

from __future__ import annotations

from neurokit import hookimpl
from neurokit.plugins.models.duin.config import (
    DuINCLSConfig,
    DuINConfig,
    DuINMAEConfig,
    DuINVQVAEConfig,
)

__all__ = ["DuINCLSConfig", "DuINConfig", "DuINMAEConfig", "DuINVQVAEConfig"]


def build_vqvae(config: DuINVQVAEConfig):
    """Du-IN VQ-VAE: subject layer, tokenizer, encoder, 2048-code codex, decoder, regression head."""
    from neurokit.plugins.models.duin.model import DuINVQVAE

    return DuINVQVAE(config)


def build_mae(config: DuINMAEConfig):
    """Du-IN MAE: predicts the VQ-VAE codes of masked tokens (symmetric masking)."""
    from neurokit.plugins.models.duin.model import DuINMAE

    return DuINMAE(config)


def build_cls(config: DuINCLSConfig):
    """Du-IN classifier: subject layer, tokenizer, encoder, flatten -> 128 -> n_labels."""
    from neurokit.plugins.models.duin.model import DuINCLS

    return DuINCLS(config)


@hookimpl
def register_backbones(register):
    register(
        "duin-vqvae",
        build_vqvae,
        config=DuINVQVAEConfig,
        description="Du-IN VQ-VAE (5.9M): per-subject sEEG -> 100-ms tokens -> 2048-code codex, 1000 Hz",
    )
    register(
        "duin-mae",
        build_mae,
        config=DuINMAEConfig,
        description="Du-IN MAE (3.9M): masked prediction of Du-IN codes from per-subject sEEG, 1000 Hz",
    )
    register(
        "duin-cls",
        build_cls,
        config=DuINCLSConfig,
        description="Du-IN classifier (4.4M): per-subject sEEG word decoding (61 words), 1000 Hz",
    )


@hookimpl
def register_models(register):
    from neurokit.plugins.models.duin.family import DUIN

    register("duin", DUIN)


@hookimpl
def register_tasks(register):
    from neurokit.plugins.models.duin.family import (
        CLSTask,
        CLSTaskConfig,
        MAETask,
        MAETaskConfig,
        VQVAETask,
        VQVAETaskConfig,
    )

    register("duin-vqvae-pretrain", VQVAETask, config=VQVAETaskConfig)
    register("duin-mae-pretrain", MAETask, config=MAETaskConfig)
    register("duin-finetune", CLSTask, config=CLSTaskConfig)
