"""Tasks (recipes that build a Stage), the run context they are built from, and trainers.

A task component's factory takes its validated config and returns a :class:`Task`.
The run asks it which data it needs (`data_view`), checks that it accepts the run's
backbone before any work (`accepts`), builds the objective it names, and calls
`build(context)` for the :class:`~neurokit.core.stage.Stage` the trainer runs::

    class MEMTask(Task):
        default_objective = "masked-token"
        accepts = ("labram-*",)

        def data_view(self):
            return DataView(sfreq=200.0, labels=False)

        def build(self, context):
            from my_plugin.stages import MEMStage      # torch only when a run builds it
            return MEMStage(context.backbone, context.objective, self.config)

This module is torch-free: the registry and `neurokit list` never import torch.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from neurokit.core.components import ComponentConfig
from neurokit.core.records import DataInfo, DataView

if TYPE_CHECKING:
    from torch import nn

    from neurokit.core.stage import Stage


@dataclass
class RunContext:
    """Everything `Task.build` and `Trainer.fit` get about one run.

    `datasets` maps a role ("train", "val", "test", "eval") to a torch Dataset whose
    items `collate` turns into a `Batch`; a role may be missing. `backbone` and
    `objective` are built by the run from the config sections (the task's defaults
    when a section names none). `events` receives progress events for whoever shows
    them (the CLI); core never prints.
    """

    config: Any  # RunConfig (resolved, validated)
    task_config: ComponentConfig
    data: DataInfo
    backbone: nn.Module | None = None
    objective: Any = None  # an Objective
    datasets: dict[str, Any] = field(default_factory=dict)
    collate: Callable[[list[Any]], Any] | None = None
    run_dir: Path | None = None
    resume: bool = False  # continue from run_dir/checkpoints/last.pt
    events: Callable[[str, dict[str, Any]], None] | None = None
    # what the run resolved (seed, parameters, windows per split, stores): report.json's "run"
    summary: dict[str, Any] = field(default_factory=dict)

    def emit(self, event: str, **data: Any) -> None:
        """Report a progress event (`epoch`, `resume`, `early-stop`, ...) if anyone listens."""
        if self.events is not None:
            self.events(event, data)


class Task:
    """Base of every task component: a recipe that builds one Stage.

    - `default_objective`: the objective component built when the run names none.
    - `accepts`: glob patterns of the backbone names this task can train; a run whose
      backbone matches none is refused before any data is touched.
    - `data_view()`: what the task needs from the store (window, rate, labels).
    - `build(context)`: the Stage for this run.
    """

    default_objective: ClassVar[str | None] = None
    accepts: ClassVar[tuple[str, ...]] = ("*",)

    def __init__(self, config: ComponentConfig) -> None:
        self.config = config

    def data_view(self) -> DataView:
        return DataView()

    def accepts_backbone(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.accepts)

    def build(self, context: RunContext) -> Stage:
        raise NotImplementedError(f"{type(self).__name__} must implement build(context)")


@runtime_checkable
class Trainer(Protocol):
    """Runs a stage: loop, precision, EMA, checkpoints, distribution.

    `fit` trains `stage` on `context.datasets["train"]`, selects on "val", tests the
    selected weights on "test" and returns the report (a JSON-able dict); `evaluate`
    runs one role's split with the weights already loaded and returns its metrics.
    """

    def fit(self, stage: Stage, context: RunContext) -> Mapping[str, Any]: ...

    def evaluate(self, stage: Stage, context: RunContext, role: str) -> Mapping[str, Any]: ...
