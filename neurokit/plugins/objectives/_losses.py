"""The torch side of the supervised objectives (imported only when one is built)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.core.errors import ConfigError
from neurokit.core.interfaces import LossOutput


class ClassificationLoss(nn.Module):
    """CE (label smoothing, class weights) for K > 1 logits; BCE-with-logits for one logit."""

    def __init__(self, config) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("weight", None)
        if isinstance(config.class_weights, list):
            self.weight = torch.tensor(config.class_weights, dtype=torch.float32)

    def set_class_counts(self, counts: Sequence[int]) -> None:
        """Resolve `class_weights: balanced` from training counts (n / (K * count))."""
        if self.config.class_weights != "balanced":
            return
        counts_t = torch.tensor(list(counts), dtype=torch.float32).clamp_min(1.0)
        self.weight = counts_t.sum() / (len(counts_t) * counts_t)

    def forward(self, logits: torch.Tensor, batch) -> LossOutput:
        target = batch.label
        if target is None:
            raise ConfigError("the classification objective needs labelled windows")
        logits = logits.float()
        if logits.ndim == 1 or logits.shape[-1] == 1:
            logits = logits.reshape(-1)
            pos_weight = None
            if self.config.pos_weight is not None:
                pos_weight = torch.tensor(self.config.pos_weight, device=logits.device)
            elif self.weight is not None and self.weight.numel() == 2:
                pos_weight = self.weight[1] / self.weight[0]
            loss = F.binary_cross_entropy_with_logits(logits, target.float(), pos_weight=pos_weight)
            accuracy = ((logits > 0).long() == target.long()).float().mean()
        else:
            if self.weight is not None and self.weight.numel() != logits.shape[-1]:
                raise ConfigError(
                    f"objective.class_weights has {self.weight.numel()} values but the task has "
                    f"{logits.shape[-1]} classes"
                )
            loss = F.cross_entropy(
                logits,
                target.long(),
                weight=self.weight,
                label_smoothing=self.config.label_smoothing,
            )
            accuracy = (logits.argmax(-1) == target.long()).float().mean()
        return LossOutput(loss, {"accuracy": accuracy.detach()})


class RegressionLoss(nn.Module):
    """Pointwise regression loss on float targets."""

    def __init__(self, config) -> None:
        super().__init__()
        self.config = config

    def forward(self, outputs: torch.Tensor, batch) -> LossOutput:
        if batch.label is None:
            raise ConfigError("the regression objective needs labelled windows")
        pred = outputs.float().reshape(batch.label.shape)
        target = batch.label.float()
        if self.config.loss == "mse":
            loss = F.mse_loss(pred, target)
        elif self.config.loss == "l1":
            loss = F.l1_loss(pred, target)
        else:
            loss = F.smooth_l1_loss(pred, target, beta=self.config.beta)
        return LossOutput(loss, {"mae": (pred - target).abs().mean().detach()})
