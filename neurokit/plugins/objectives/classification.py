"""Supervised losses: `classification` (cross-entropy / BCE) and `regression` (MSE / smooth L1).

The loss kind follows the logits: one output column (or a 1-D tensor) is binary and
uses BCE-with-logits on one logit, as LaBraM and LUNA do for TUAB; K > 1 columns use
cross-entropy with label smoothing and optional class weights.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from neurokit import ComponentConfig, hookimpl


class ClassificationConfig(ComponentConfig):
    """Options of the `classification` objective."""

    label_smoothing: float = Field(
        0.0, ge=0.0, lt=1.0, description="cross-entropy label smoothing (multi-class)"
    )
    class_weights: list[float] | Literal["balanced"] | None = Field(
        None, description="per-class loss weights, or 'balanced' (inverse training frequency)"
    )
    pos_weight: float | None = Field(
        None, gt=0, description="BCE weight of the positive class (binary)"
    )


class RegressionConfig(ComponentConfig):
    """Options of the `regression` objective."""

    loss: Literal["mse", "smooth-l1", "l1"] = Field("mse", description="regression loss")
    beta: float = Field(1.0, gt=0, description="smooth-L1 transition point")


def build_classification(config: ClassificationConfig):
    """Cross-entropy with label smoothing and class weights; BCE for binary."""
    from neurokit.plugins.objectives._losses import ClassificationLoss

    return ClassificationLoss(config)


def build_regression(config: RegressionConfig):
    """MSE (or smooth L1 / L1) between a scalar output and a float target."""
    from neurokit.plugins.objectives._losses import RegressionLoss

    return RegressionLoss(config)


@hookimpl
def register_objectives(register):
    register("classification", build_classification, config=ClassificationConfig)
    register("regression", build_regression, config=RegressionConfig)
