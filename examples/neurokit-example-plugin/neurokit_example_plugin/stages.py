"""The `example-probe` task: a linear probe on frozen backbone features (a Stage example).

A task is a recipe (config, data it needs, which backbones it accepts); `build`
returns the Stage, the nn.Module the trainer optimises. This module imports torch
only when a run builds the stage.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from neurokit import DataError, Stage
from neurokit.core.engine.metrics import classification_metrics
from neurokit.core.stage import StepOutput


class ProbeStage(Stage):
    """Frozen backbone, a trainable linear read-out; selects on balanced accuracy."""

    metrics = {"balanced_accuracy": "max", "accuracy": "max"}
    monitor = "balanced_accuracy"

    def __init__(self, backbone: nn.Module, num_classes: int, class_names: list[str]) -> None:
        super().__init__()
        self.backbone = backbone.requires_grad_(False)  # frozen: the trainer skips it
        self.readout = nn.Linear(backbone.num_features, num_classes)
        self.num_classes = num_classes
        self.class_names = class_names  # labels the report's confusion matrix

    def train(self, mode: bool = True) -> ProbeStage:
        """The frozen backbone stays in eval mode (its norm statistics do not drift)."""
        super().train(mode)
        self.backbone.eval()
        return self

    def logits(self, batch) -> torch.Tensor:
        with torch.no_grad():
            features = self.backbone.forward_batch(batch).pooled
        return self.readout(features)

    def training_step(self, batch) -> StepOutput:
        loss = nn.functional.cross_entropy(self.logits(batch), batch.label.long())
        return StepOutput(loss)

    def evaluation_step(self, batch) -> StepOutput:
        logits = self.logits(batch)
        loss = nn.functional.cross_entropy(logits, batch.label.long())
        return StepOutput(loss, predictions=logits.softmax(-1), targets=batch.label)

    def compute_metrics(self, predictions: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
        return classification_metrics(predictions, targets, self.num_classes)


def build_probe(task, context) -> ProbeStage:
    if context.data.label_kind == "none" or len(context.data.class_names) < 2:
        raise DataError(
            f"example-probe needs a labelled store with 2+ classes; "
            f"{context.config.dataset.name!r} has {context.data.class_names or 'none'}"
        )
    backbone = context.backbone
    backbone.reset_classifier(0)  # features only; the probe has its own read-out
    return ProbeStage(backbone, len(context.data.class_names), list(context.data.class_names))
