"""The torch side of `finetune` (imported only when a run builds it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from neurokit.core.engine.metrics import classification_metrics, regression_metrics
from neurokit.core.errors import ConfigError, DataError
from neurokit.core.stage import Direction, Stage, StepOutput
from neurokit.plugins.objectives._losses import ClassificationLoss

CLASSIFICATION_METRICS: dict[str, Direction] = {
    "balanced_accuracy": "max",
    "accuracy": "max",
    "auroc": "max",
    "auc_pr": "max",
    "cohen_kappa": "max",
    "f1_weighted": "max",
}
REGRESSION_METRICS: dict[str, Direction] = {
    "mse": "min",
    "rmse": "min",
    "mae": "min",
    "r2": "max",
    "pearson": "max",
}


class FinetuneModule(Stage):
    """Backbone + its classifier + an objective; predictions are probabilities.

    `class_counts` (training windows per class) resolve a classification objective's
    `class_weights: balanced`.
    """

    def __init__(
        self,
        backbone: nn.Module,
        objective: nn.Module,
        mode: str,
        num_classes: int,
        class_names: list[str],
        class_counts: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.objective = objective
        self.mode = mode
        self.num_classes = num_classes
        self.class_names = class_names
        regression = mode == "regression"
        self.metrics = REGRESSION_METRICS if regression else CLASSIFICATION_METRICS
        self.monitor = "mse" if regression else "balanced_accuracy"
        if class_counts and isinstance(objective, ClassificationLoss):
            objective.set_class_counts(class_counts)

    def logits(self, batch) -> torch.Tensor:
        out = self.backbone.forward_batch(batch)
        logits = out.extras.get("logits")
        if logits is None:
            raise ConfigError(
                f"backbone {type(self.backbone).__name__} returned no extras['logits'] after "
                "reset_classifier(n); finetune needs a backbone with its own classifier"
            )
        return logits

    def training_step(self, batch) -> StepOutput:
        out = self.objective(self.logits(batch), batch)
        return StepOutput(out.loss, out.logs)

    def evaluation_step(self, batch) -> StepOutput:
        logits = self.logits(batch)
        out = self.objective(logits, batch)
        logits = logits.float()
        if self.mode == "regression":
            scores = logits.reshape(-1)
        elif self.mode == "binary":
            scores = torch.sigmoid(logits.reshape(-1))
        else:
            scores = torch.softmax(logits, dim=-1)
        return StepOutput(out.loss, out.logs, predictions=scores, targets=batch.label)

    def compute_metrics(self, predictions: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
        if self.mode == "regression":
            return regression_metrics(predictions, targets)
        return classification_metrics(predictions, targets, self.num_classes)


def load_pretrained(backbone: nn.Module, path: str) -> None:
    """Load backbone weights from a neurokit checkpoint (or a bare state dict), head excluded."""
    file = Path(path)
    if not file.is_file():
        raise DataError(f"task.pretrained: {path!r} does not exist")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or not a torch file
        raise DataError(f"task.pretrained: cannot read {path!r}: {exc}") from None
    state = state.get("model", state) if isinstance(state, dict) else state
    if not isinstance(state, dict):
        raise DataError(f"task.pretrained: {path!r} holds no state dict")
    if any(k.startswith("backbone.") for k in state):
        state = {k[len("backbone.") :]: v for k, v in state.items() if k.startswith("backbone.")}
    own = backbone.state_dict()
    usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not usable:
        raise DataError(f"task.pretrained: no parameter of {path!r} matches the backbone")
    backbone.load_state_dict(usable, strict=False)


def build_finetune_module(task, context) -> FinetuneModule:
    """Check the data suits the task, size the classifier, attach the objective."""
    data = context.data
    if data.label_kind == "none":
        raise DataError(
            f"dataset {context.config.dataset.name!r} has no labels; the finetune task needs "
            "labelled windows (use a pretraining task, or a labelled dataset)"
        )
    mode = task.resolve_mode(context)
    if mode == "regression":
        outputs, num_classes = 1, 0
    else:
        num_classes = task.num_classes(context)
        if num_classes < 2:
            raise DataError(
                f"dataset {context.config.dataset.name!r} has {num_classes} class name(s); "
                "finetune needs at least 2 (or set task.num_classes)"
            )
        if mode == "binary" and num_classes != 2:
            raise ConfigError(f"task.mode: binary needs 2 classes, the data has {num_classes}")
        outputs = 1 if mode == "binary" else num_classes
    backbone = context.backbone
    if backbone is None or not hasattr(backbone, "reset_classifier"):
        raise ConfigError("finetune needs a backbone with reset_classifier(n)")
    if task.config.pretrained:
        load_pretrained(backbone, task.config.pretrained)
    before = {id(p) for p in backbone.parameters()}
    backbone.reset_classifier(outputs)
    if task.config.freeze_backbone:  # train only what reset_classifier created
        for param in backbone.parameters():
            param.requires_grad_(id(param) not in before)
    objective = context.objective
    if objective is None:
        raise ConfigError("finetune needs an objective (classification or regression)")
    names = list(data.class_names) or [str(i) for i in range(num_classes)]
    counts = list(data.class_counts or []) if mode != "regression" else None
    return FinetuneModule(backbone, objective, mode, num_classes, names, counts)
