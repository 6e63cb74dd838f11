"""The `default` trainer: neurokit's core engine as a registered component.

Third-party trainers register the same way and receive the same `(module, context)`.
"""

from __future__ import annotations

from neurokit import hookimpl
from neurokit.core.engine.config import TrainerConfig


def build_default_trainer(config: TrainerConfig):
    """AdamW + warmup/cosine, accumulation, clipping, autocast, EMA, DDP/FSDP, exact resume."""
    from neurokit.core.engine.trainer import DefaultTrainer

    return DefaultTrainer(config)


@hookimpl
def register_trainers(register):
    register("default", build_default_trainer, config=TrainerConfig)
