"""The plugin contract in one import: every public type a component offers or receives.

The definitions live in modules with one subject each: `components` (what a
registered component is), `records` (data records and views), `model` (backbones,
tokenizers, generators), `task` (tasks, run context, trainers), `family` (model
families and their stages) and `stage` (the module a task builds; imports torch, so
it is loaded only when one of its names is asked for).
"""

from __future__ import annotations

from typing import Any

from neurokit.core.components import (
    NAME_PATTERN,
    Component,
    ComponentConfig,
    EmptyConfig,
    Kind,
    first_line,
)
from neurokit.core.family import Family, StageSpec
from neurokit.core.model import (
    Backbone,
    BackboneOutput,
    Decoder,
    Generative,
    LayeredBackbone,
    Tokenizer,
)
from neurokit.core.records import (
    DataInfo,
    Dataset,
    DataView,
    Event,
    Recording,
    RecordingSource,
)
from neurokit.core.task import RunContext, Task, Trainer

_STAGE_NAMES = {"Evaluation", "LossOutput", "Objective", "Stage", "StepOutput"}

__all__ = [
    "NAME_PATTERN",
    "Backbone",
    "BackboneOutput",
    "Component",
    "ComponentConfig",
    "DataInfo",
    "DataView",
    "Dataset",
    "Decoder",
    "EmptyConfig",
    "Event",
    "Family",
    "Generative",
    "Kind",
    "LayeredBackbone",
    "Recording",
    "RecordingSource",
    "RunContext",
    "StageSpec",
    "Task",
    "Tokenizer",
    "Trainer",
    "first_line",
    *sorted(_STAGE_NAMES),
]


def __getattr__(name: str) -> Any:
    if name in _STAGE_NAMES:
        from neurokit.core import stage

        return getattr(stage, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
