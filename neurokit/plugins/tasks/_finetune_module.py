"""The torch side of `finetune` (imported only when a run builds it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from neurokit.core.engine.metrics import classification_metrics, regression_metrics
from neurokit.core.errors import ConfigError, DataError, WeightsError
from neurokit.core.stage import Direction, Stage, StepOutput
from neurokit.core.weights import FilterFn, LoadReport, StateDict, load_weights, sub_state
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
        head: nn.Module | None = None,
        frozen: bool = False,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head  # None: the backbone's own classifier gives the logits
        self.frozen = frozen
        self.objective = objective
        self.mode = mode
        self.num_classes = num_classes
        self.class_names = class_names
        regression = mode == "regression"
        self.metrics = REGRESSION_METRICS if regression else CLASSIFICATION_METRICS
        self.monitor = "mse" if regression else "balanced_accuracy"
        if class_counts and isinstance(objective, ClassificationLoss):
            objective.set_class_counts(class_counts)

    def train(self, mode: bool = True) -> FinetuneModule:
        """A frozen backbone stays in eval mode: probing reads fixed features."""
        super().train(mode)
        if self.frozen:
            self.backbone.eval()
        return self

    def logits(self, batch) -> torch.Tensor:
        out = self.backbone.forward_batch(batch)
        if self.head is not None:
            return self.head(out.pooled)
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


def backbone_part(state: StateDict, model: nn.Module) -> StateDict:
    """The `backbone.` part of a neurokit task checkpoint; a bare state dict as it is."""
    if any(k.startswith("backbone.") for k in state):
        return sub_state(state, "backbone.")
    return state


def load_pretrained(
    backbone: nn.Module,
    source: str,
    fresh: Iterable[str] = (),
    filter_fn: FilterFn | None = None,
) -> LoadReport:
    """Load a checkpoint's backbone weights strictly; only the `fresh` keys (the new
    classifier) are dropped from the file and may be missing. `filter_fn`, a family's
    filter, runs after the `backbone.` part is taken."""
    fresh = tuple(fresh)

    def finetune_filter(state: StateDict, model: nn.Module) -> StateDict:
        state = backbone_part(state, model)
        if filter_fn is not None:
            state = filter_fn(state, model)
        return {k: v for k, v in state.items() if k not in fresh}

    try:
        return load_weights(
            backbone, source, filter_fn=finetune_filter, allow_missing=fresh, name=source
        )
    except WeightsError as exc:
        raise WeightsError(f"task.pretrained: {exc}") from None


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
    before = {id(p) for p in backbone.parameters()}
    kept = {id(t) for t in backbone.state_dict(keep_vars=True).values()}
    backbone.reset_classifier(outputs)
    if task.config.pretrained:  # the new classifier starts fresh; everything else must fit
        fresh = [k for k, t in backbone.state_dict(keep_vars=True).items() if id(t) not in kept]
        load_pretrained(backbone, task.config.pretrained, fresh)
    if task.config.freeze_backbone:  # train only what reset_classifier created
        for param in backbone.parameters():
            param.requires_grad_(id(param) not in before)
    objective = context.objective
    if objective is None:
        raise ConfigError("finetune needs an objective (classification or regression)")
    names = list(data.class_names) or [str(i) for i in range(num_classes)]
    counts = list(data.class_counts or []) if mode != "regression" else None
    head = mlp_head(backbone, outputs, task.config) if task.config.head == "mlp" else None
    frozen = task.config.freeze_backbone
    return FinetuneModule(backbone, objective, mode, num_classes, names, counts, head, frozen)


def mlp_head(backbone: nn.Module, outputs: int, config: Any) -> nn.Module:
    """A small MLP on the pooled features (the `frozen features + small head` protocol)."""
    features = getattr(backbone, "num_features", None)
    if not isinstance(features, int) or features < 1:
        raise ConfigError(
            f"task.head: mlp needs the backbone's num_features; {type(backbone).__name__} "
            "does not declare it"
        )
    return nn.Sequential(
        nn.LayerNorm(features),
        nn.Linear(features, config.head_hidden),
        nn.GELU(),
        nn.Dropout(config.head_dropout),
        nn.Linear(config.head_hidden, outputs),
    )
