"""The component contract: what each kind of plugin component must provide.

A component is registered as a :class:`Component`: a name, a kind, a one-line
description, the plugin that registered it, a pydantic config class and a factory
that turns a validated config into the object. The Protocols below say what that
object must offer for the rest of neurokit (the store writer, the trainer, the CLI)
to use it. They are deliberately small: a plugin may offer more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

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
    data: np.ndarray  # (channels, samples), float32, in `units` (default microvolts)
    channel_names: list[str]
    sfreq: float
    events: list[Event] = field(default_factory=list)
    # Optional channel metadata (store schema 2); None = scalp EEG in uV with template positions.
    channel_types: list[str] | None = None  # mne type names: eeg, seeg, mag, grad, eog, ...
    units: list[str] | None = None  # stored unit per channel: uV, fT, fT/cm, ...
    positions: np.ndarray | None = None  # (channels, 3) metres, NaN rows where unknown
    # position_source, position_space, orientations (MEG), bad_channels (flagged, kept)
    sensors: dict[str, Any] = field(default_factory=dict)


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
    """A scalar loss with the numbers worth logging next to it.

    `logs` values may be floats or detached 0-d tensors (the trainer converts them only
    when it logs, so a GPU step never waits on `.item()`).
    """

    loss: torch.Tensor
    logs: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Objective(Protocol):
    """A loss over model outputs and a batch.

    Built from the run's `objective` section (or the task's `default_objective`) and
    handed to `Task.build` through `RunContext.objective`. `outputs` is whatever the
    task module passes (logits for classification; a tuple for pretraining losses).
    An objective holding tensors (class weights) should be an nn.Module so that it
    moves with the task module.
    """

    def __call__(self, outputs: Any, batch: Any) -> LossOutput: ...


@dataclass
class StepOutput:
    """One training or evaluation step of a task.

    `loss` is the scalar the trainer back-propagates (training) or averages (evaluation).
    `logs` are extra scalars worth a line in metrics.jsonl. For evaluation, `predictions`
    (scores: probabilities or logits, (B,) or (B, K); regression values) and `targets`
    are gathered over the whole split (and across ranks) and handed to the module's
    `compute_metrics`.
    """

    loss: torch.Tensor
    logs: dict[str, Any] = field(default_factory=dict)  # floats or detached 0-d tensors
    predictions: torch.Tensor | None = None  # scores/probabilities for metrics
    targets: torch.Tensor | None = None


@dataclass
class DataView:
    """What a task needs from the store; the run builds its windows from this.

    None means "the store's / dataset's default" (`data.window_seconds` and
    `data.stride_seconds` in the run config override the task's values).
    """

    window_seconds: float | None = None
    stride_seconds: float | None = None  # None: non-overlapping windows
    sfreq: float | None = (
        None  # the sampling rate the model needs; a different store is a DataError
    )
    labels: bool = (
        True  # True: windows without labels are an error (finetune); False: labels ignored
    )


@dataclass
class DataInfo:
    """What the run learned about the data before building the task module."""

    sfreq: float
    window_samples: int
    channel_names: list[str] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)  # empty: no class labels
    label_kind: str = "class"  # "class" | "continuous" | "none"
    class_counts: list[int] | None = None  # training-split windows per class, when known


@dataclass
class RunContext:
    """Everything `Task.build` and `Trainer.fit` get about one run.

    `datasets` maps split name ("train", "val", "test") to a torch Dataset whose
    items `collate` turns into a `Batch`; a split may be missing. `backbone`,
    `tokenizer` and `objective` are built by the run from the config sections
    (the task's defaults when a section names none).
    """

    config: Any  # RunConfig (resolved, validated)
    task_config: ComponentConfig
    data: DataInfo
    backbone: nn.Module | None = None
    tokenizer: Any = None
    objective: Any = None  # an Objective
    datasets: dict[str, Any] = field(default_factory=dict)
    collate: Callable[[list[Any]], Any] | None = None
    run_dir: Path | None = None
    resume: bool = False  # continue from run_dir/checkpoints/last.pt


@runtime_checkable
class TaskModule(Protocol):
    """The nn.Module a task builds; the trainer optimises all its parameters.

    Required: `training_step(batch) -> StepOutput` (the loss to minimise; the trainer
    handles autocast, accumulation, clipping, the optimiser, EMA and DDP: never call
    backward or step yourself) and `evaluation_step(batch) -> StepOutput` (run under
    `torch.no_grad()` in eval mode, with EMA weights when EMA is on).

    Optional attributes the trainer uses when present:
      - `backbone`: the backbone module; if it is a `LayeredBackbone` the trainer applies
        layer-wise lr decay to the parameters under `backbone.`; its `no_weight_decay()`
        (a set of parameter names, timm style) adds to the weight-decay exclusions.
      - `monitor`: the validation metric that selects the best checkpoint
        ("balanced_accuracy" for classification, "loss" for pretraining). Metrics named
        loss/mse/mae/rmse are minimised, everything else maximised.
      - `compute_metrics(predictions, targets) -> dict`: metrics over a whole split, from
        the concatenated `StepOutput.predictions`/`targets` (numpy arrays). Float values
        are logged; a "confusion_matrix" (list of lists) is plotted in the report.
      - `class_names`: labels for the report.

    Batches arrive on the training device. The batch is a `neurokit.core.data.batch.Batch`.
    """

    def training_step(self, batch: Any) -> StepOutput: ...

    def evaluation_step(self, batch: Any) -> StepOutput: ...


@runtime_checkable
class Task(Protocol):
    """A recipe: wires backbone (+ tokenizer) + objective + data view + metrics.

    A task component's factory takes its validated config and returns an object with
    `data_view()`, `default_objective` and `build(context)`. How a plugin writes a
    pretraining task (e.g. LaBraM masked-token modelling)::

        class MEMConfig(ComponentConfig):
            mask_ratio: float = 0.5
            window_seconds: float = 4.0

        class MEMModule(nn.Module):
            def __init__(self, backbone, tokenizer, objective, config):
                super().__init__()
                self.backbone, self.tokenizer, self.objective = backbone, tokenizer, objective
                self.monitor = "loss"            # select the best checkpoint on val loss
            def training_step(self, batch):
                with torch.no_grad():
                    codes = self.tokenizer.tokenize(batch)      # frozen tokenizer
                mask = ...                                      # per-sample random mask
                logits = self.backbone(..., mask=mask)          # or forward_batch
                out = self.objective((logits, codes, mask), batch)   # LossOutput
                return StepOutput(out.loss, out.logs)
            def evaluation_step(self, batch):
                return self.training_step(batch)               # same loss, no grad

        class MEMTask:
            default_objective = "masked-token"
            def __init__(self, config): self.config = config
            def data_view(self):
                return DataView(window_seconds=self.config.window_seconds, sfreq=200.0,
                                labels=False)
            def build(self, context):
                return MEMModule(context.backbone, context.tokenizer, context.objective,
                                 self.config)

        @hookimpl
        def register_tasks(register):
            register("my-mem", MEMTask, config=MEMConfig)

    A task that wants the model preset's tokenizer built into `context.tokenizer` sets
    `uses_tokenizer = True` (otherwise none is built: fine-tuning never pays for one).

    Frozen sub-modules (a tokenizer) should have `requires_grad_(False)`: the optimiser
    only takes parameters that require grad. Randomness (masks) must come from torch's
    global generator so that seeding and exact resume cover it.
    """

    default_objective: str | None

    def data_view(self) -> DataView: ...

    def build(self, context: RunContext) -> nn.Module:
        """Build the TaskModule for a run from the backbone, objective and data info."""
        ...


@runtime_checkable
class Trainer(Protocol):
    """Runs a task: loop, precision, EMA, checkpoints, distribution.

    `fit` trains `module` on `context.datasets["train"]`, selects on "val", tests the
    selected weights on "test" and returns the report (a JSON-able dict); `evaluate`
    runs one split with the weights already loaded and returns its metrics.
    """

    def fit(self, module: nn.Module, context: RunContext) -> Mapping[str, Any]: ...

    def evaluate(self, module: nn.Module, context: RunContext, split: str) -> Mapping[str, Any]: ...


class ModelPreset(ComponentConfig):
    """A named bundle for one model family, so `--model luna` is enough.

    `tasks` maps a task name to the config overrides (the official recipe) used when
    that task runs with this model; `default_task` is run when none is named.

    Task names a user types (`--task pretrain`) are shared by families whose pretraining
    differs, so a recipe may name the task *component* that implements it for this family:
    `tasks={"pretrain": {"task": {"name": "labram-mem", "mask_ratio": 0.5}}}` makes
    `neurokit train --model labram --task pretrain` run the `labram-mem` task component.
    Model plugins register family-specific task components (`labram-mem`,
    `luna-pretrain`, ...) and map the common names to them here; generic tasks such
    as `finetune` are used as they are.
    """

    backbone: str = Field(description="backbone component built by `create_model`")
    tokenizer: str | None = Field(None, description="tokenizer component, if the family has one")
    default_task: str = Field("finetune", description="task run when `--task` is not given")
    backbone_options: dict[str, Any] = Field({}, description="options passed to the backbone")
    tasks: dict[str, dict[str, Any]] = Field(
        {}, description="task name -> run-config recipe (merged under the user's)"
    )
    preprocessing_profile: str | None = Field(
        None, description="store preprocessing profile the model expects"
    )


def first_line(text: str | None) -> str:
    """The first non-empty line of a docstring."""
    for line in (text or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""
