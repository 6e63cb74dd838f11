"""The torch side of `luna-pretrain`: masked reconstruction of (channel x patch) tokens."""

from __future__ import annotations

from typing import Any

from torch import nn

from neurokit.core.errors import ConfigError
from neurokit.core.stage import Direction, Stage, StepOutput


class LunaPretrainModule(Stage):
    """Backbone in pretraining form + the reconstruction objective; selects on val loss."""

    metrics: dict[str, Direction] = {
        "masked_loss": "min",
        "unmasked_loss": "min",
        "query_loss": "min",
    }

    def __init__(self, backbone: nn.Module, objective: nn.Module, mask_ratio: float) -> None:
        super().__init__()
        self.backbone = backbone
        self.objective = objective
        self.mask_ratio = mask_ratio

    def training_step(self, batch: Any) -> StepOutput:
        outputs = self.backbone.pretraining_outputs(batch, mask_ratio=self.mask_ratio)
        result = self.objective(outputs, batch)
        return StepOutput(result.loss, result.logs)


def build_pretrain_module(task: Any, context: Any) -> LunaPretrainModule:
    """Check the backbone is LUNA-like and in (or can take) its pretraining form."""
    backbone = context.backbone
    if backbone is None or not hasattr(backbone, "pretraining_outputs"):
        raise ConfigError(
            "luna-pretrain needs a LUNA backbone (luna-base/large/huge); "
            f"got {type(backbone).__name__}"
        )
    if getattr(backbone, "decoder_head", None) is None:
        backbone.reset_classifier(0)  # a classifier-form backbone gets its pretraining heads
    if context.objective is None:
        raise ConfigError("luna-pretrain needs an objective (masked-reconstruction)")
    return LunaPretrainModule(backbone, context.objective, task.config.mask_ratio)
