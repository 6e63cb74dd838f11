"""The component contract: what each kind of plugin component must provide.

A component is registered as a :class:`Component`: a name, a kind, a one-line
description, the plugin that registered it, a pydantic config class and a factory
that turns a validated config into the object. The Protocols below say what that
object must offer for the rest of neurokit (the store writer, the trainer, the CLI)
to use it. They are deliberately small: a plugin may offer more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:  # torch is heavy; the registry and `neurokit list` never need it.
    import numpy as np
    import torch
    from torch import nn


class Kind(StrEnum):
    """The kinds of component a plugin can register."""

    DATASET = "dataset"
    TOKENIZER = "tokenizer"
    BACKBONE = "backbone"
    OBJECTIVE = "objective"
    TASK = "task"
    TRAINER = "trainer"
    MODEL = "model"

    @property
    def plural(self) -> str:
        return f"{self.value}s"


NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


class ComponentConfig(BaseModel):
    """Base of every component config: typed fields, defaults, descriptions, no extras."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


class EmptyConfig(ComponentConfig):
    """A component with no hyper-parameters."""


ConfigT = TypeVar("ConfigT", bound=ComponentConfig)


@dataclass(frozen=True)
class Component(Generic[ConfigT]):
    """One registered component: metadata plus a factory from config to object."""

    name: str
    kind: Kind
    factory: Callable[[ConfigT], Any]
    config_class: type[ConfigT]
    description: str
    plugin: str = ""

    def config(self, **overrides: Any) -> ConfigT:
        """Validate `overrides` against the component's config class."""
        return self.config_class(**overrides)

    def create(self, config: ConfigT | Mapping[str, Any] | None = None, **overrides: Any) -> Any:
        """Build the component from a config object, a mapping, or keyword overrides."""
        if isinstance(config, ComponentConfig):
            if overrides:
                config = config.model_copy(update=overrides)
                config = self.config_class.model_validate(config.model_dump())
        else:
            config = self.config_class(**{**dict(config or {}), **overrides})
        return self.factory(config)


# --------------------------------------------------------------------------- data


@dataclass
class RecordingSource:
    """One raw recording a dataset found, with everything known before reading it."""

    path: Path
    recording_id: str
    subject: str
    session: str = ""
    split: str = "train"
    label: int | float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Event:
    """A labelled span inside one recording (in samples of the prepared signal)."""

    start: int
    length: int
    label: int
    channel: int = -1


@dataclass
class Recording:
    """A prepared recording, ready to be written to a store."""

    source: RecordingSource
    data: np.ndarray  # (channels, samples), float32, microvolts
    channel_names: list[str]
    sfreq: float
    events: list[Event] = field(default_factory=list)


@runtime_checkable
class Dataset(Protocol):
    """A corpus: finds recordings in its published layout, reads and labels them."""

    class_names: Sequence[str]

    def discover(self, raw: Path) -> list[RecordingSource]:
        """List the recordings under `raw`, with subject, split and label if known."""
        ...

    def load(self, source: RecordingSource) -> Recording:
        """Read and preprocess one recording. Raise `DataError` with a reason to skip it."""
        ...


# ------------------------------------------------------------------------ modelling


@dataclass
class BackboneOutput:
    """What every backbone returns to neurokit: a pooled vector and optionally tokens."""

    pooled: torch.Tensor  # (batch, features)
    tokens: torch.Tensor | None = None  # (batch, tokens, features)
    extras: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Backbone(Protocol):
    """An nn.Module from a store batch to features.

    A backbone keeps its reference implementation's own `forward` signature (so
    ported code runs unchanged) and adds `forward_batch`, which takes a neurokit
    batch (signal in microvolts, channel names, positions, mask) and does the
    model's own input conversion.
    """

    num_features: int

    def forward_batch(self, batch: Any) -> BackboneOutput: ...

    def reset_classifier(self, num_classes: int) -> None: ...


@runtime_checkable
class LayeredBackbone(Protocol):
    """Optional: lets the trainer apply layer-wise learning-rate decay."""

    def num_layers(self) -> int: ...

    def layer_id(self, parameter_name: str) -> int: ...


@runtime_checkable
class Tokenizer(Protocol):
    """Turns signal patches into discrete codes (and usually back)."""

    codebook_size: int

    def tokenize(self, batch: Any) -> torch.Tensor:
        """Codes for a batch, (batch, tokens), int64."""
        ...


@dataclass
class LossOutput:
    """A scalar loss with the numbers worth logging next to it."""

    loss: torch.Tensor
    logs: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Objective(Protocol):
    """A loss over model outputs and a batch."""

    def __call__(self, outputs: Any, batch: Any) -> LossOutput: ...


@dataclass
class StepOutput:
    """One training or evaluation step of a task."""

    loss: torch.Tensor
    logs: dict[str, float] = field(default_factory=dict)
    predictions: torch.Tensor | None = None  # scores/probabilities for metrics
    targets: torch.Tensor | None = None


@runtime_checkable
class TaskModule(Protocol):
    """The nn.Module a task builds; the trainer optimises its parameters."""

    def training_step(self, batch: Any) -> StepOutput: ...

    def evaluation_step(self, batch: Any) -> StepOutput: ...


@runtime_checkable
class Task(Protocol):
    """A recipe: wires backbone (+ tokenizer) + objective + data view + metrics."""

    needs_labels: bool

    def build(self, context: Any) -> nn.Module:
        """Build the TaskModule for a run (the context holds the run config and data)."""
        ...


@runtime_checkable
class Trainer(Protocol):
    """Runs a task: loop, precision, EMA, checkpoints, distribution."""

    def fit(self, run: Any) -> Mapping[str, Any]: ...


class ModelPreset(ComponentConfig):
    """A named bundle for one model family, so `--model luna` is enough.

    `tasks` maps a task name to the config overrides (the official recipe) used when
    that task runs with this model; `default_task` is run when none is named.
    """

    backbone: str
    tokenizer: str | None = None
    default_task: str = "finetune"
    backbone_options: dict[str, Any] = {}
    tasks: dict[str, dict[str, Any]] = {}
    preprocessing_profile: str | None = None


def first_line(text: str | None) -> str:
    """The first non-empty line of a docstring."""
    for line in (text or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def names(components: Iterable[Component]) -> list[str]:
    return [c.name for c in components]
