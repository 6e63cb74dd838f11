"""`finetune`: supervised training of a backbone on labelled windows.

Binary (one logit, BCE), multi-class (K logits, cross-entropy) or regression (one
output). The backbone's own classifier is used (`reset_classifier`), so released
fine-tuned checkpoints keep their key names (`head.weight`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from neurokit import ComponentConfig, hookimpl
from neurokit.core.interfaces import DataView, Task


class FinetuneConfig(ComponentConfig):
    """Options of the `finetune` task."""

    mode: Literal["auto", "binary", "multiclass", "regression"] = Field(
        "auto",
        description="auto: regression for continuous labels, binary for 2 classes, else multiclass",
    )
    num_classes: int | None = Field(
        None, ge=2, description="classes (default: the store's class names)"
    )
    sfreq: float | None = Field(
        None, gt=0, description="sampling rate the model needs (default: the store's)"
    )
    pretrained: str | None = Field(
        None,
        description="checkpoint whose backbone weights to start from, for backbones without "
        "their own model.pretrained (families load theirs through model.pretrained)",
    )
    freeze_backbone: bool = Field(
        False,
        description="train only the classifier (linear probing); the frozen backbone runs in "
        "eval mode (no dropout, fixed norm statistics)",
    )
    head: Literal["backbone", "mlp"] = Field(
        "backbone",
        description="backbone: the backbone's own classifier (keeps released key names); "
        "mlp: a small MLP on the pooled features (frozen features + small head)",
    )
    head_hidden: int = Field(128, ge=1, description="hidden width of the mlp head")
    head_dropout: float = Field(0.1, ge=0.0, lt=1.0, description="dropout in the mlp head")


class FinetuneTask(Task):
    """Fine-tune a backbone on labelled windows: binary, multi-class or regression."""

    default_objective = "classification"

    def __init__(self, config: FinetuneConfig) -> None:
        super().__init__(config)
        if config.mode == "regression":
            self.default_objective = "regression"

    def data_view(self) -> DataView:
        c = self.config
        return DataView(sfreq=c.sfreq, labels=True)

    def resolve_mode(self, context) -> str:
        """The concrete mode for this run's data."""
        mode = self.config.mode
        if mode != "auto":
            return mode
        if context.data.label_kind == "continuous":
            return "regression"
        return "binary" if self.num_classes(context) == 2 else "multiclass"

    def num_classes(self, context) -> int:
        return self.config.num_classes or len(context.data.class_names)

    def build(self, context):
        from neurokit.plugins.tasks._finetune_module import build_finetune_module

        return build_finetune_module(self, context)


@hookimpl
def register_tasks(register):
    register("finetune", FinetuneTask, config=FinetuneConfig)
