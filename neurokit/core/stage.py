"""The Stage: the nn.Module a task builds for one step of a family's pipeline.

The trainer runs every stage the same way and never probes attributes: what a stage
can change it changes by overriding a typed member of :class:`Stage` — its steps,
its split evaluation (generation, free-running rollouts, text answers), its declared
metrics and their direction, the metric that selects the best checkpoint, its FSDP
units and its per-module learning rates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from neurokit.core.errors import ConfigError
from neurokit.core.model import LayeredBackbone

Direction = Literal["min", "max"]


@dataclass
class LossOutput:
    """A scalar loss with the numbers worth logging next to it.

    `logs` values may be floats or detached 0-d tensors (the trainer converts them only
    when it logs, so a GPU step never waits on `.item()`).
    """

    loss: torch.Tensor
    logs: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Objective(Protocol):
    """A loss over model outputs and a batch.

    Built from the run's `objective` section (or the task's `default_objective`) and
    handed to `Task.build` through `RunContext.objective`. An objective holding tensors
    (class weights) should be an nn.Module so that it moves with the stage.
    """

    def __call__(self, outputs: Any, batch: Any) -> LossOutput: ...


@dataclass
class StepOutput:
    """One training or evaluation step.

    `loss` is what the trainer back-propagates (training) or averages (evaluation);
    `logs` are extra scalars for metrics.jsonl (averaged over the split in evaluation).
    For evaluation, `predictions` (probabilities, logits, codes, regression values) and
    `targets` are gathered over the whole split, across ranks, and handed to
    `Stage.compute_metrics`.
    """

    loss: torch.Tensor
    logs: dict[str, Any] = field(default_factory=dict)
    predictions: torch.Tensor | None = None
    targets: torch.Tensor | None = None
    # per-step values for the stage's own `observe` (not gathered: rollout prompts, errors)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Evaluation:
    """One split to evaluate, as the trainer hands it to :meth:`Stage.evaluate`.

    `batches()` yields `(batch, valid)`: the batch on the training device and how many
    of its leading samples are real (the trainer pads the last batches so that every
    rank runs the same number of forwards under FSDP). `step(batch)` runs the stage's
    `evaluation_step` through the trainer's wrapped module under autocast.
    `all_reduce_sum` adds scalars across ranks; `gather` concatenates an array of this
    rank's rows with every other rank's (rank order); both are identities on one process.
    """

    split: str
    batches: Callable[[], Iterator[tuple[Any, int]]]
    step: Callable[[Any], StepOutput]
    all_reduce_sum: Callable[[dict[str, float]], dict[str, float]]
    gather: Callable[[np.ndarray], np.ndarray]
    autocast: Callable[[], AbstractContextManager[Any]]
    device: torch.device
    sources: list[str] = field(default_factory=list)  # stores of a mixture (batch.source indexes)


@dataclass
class EvaluatedRows:
    """The last split `Stage.evaluate` scored, row by row (all ranks gathered): which
    window (recording, first sample), what the stage predicted and the truth. The trainer
    writes them to `predictions.csv` and pools them per recording."""

    split: str
    recordings: np.ndarray  # (N,) object: recording ids ("" when the batch names none)
    starts: np.ndarray  # (N,) int64 first sample (-1 when unknown)
    predictions: np.ndarray  # (N,) or (N, K)
    targets: np.ndarray  # (N,) or (N, K)


def _scalar(value: Any) -> float:
    return float(value.detach().float().item()) if isinstance(value, torch.Tensor) else float(value)


class Stage(nn.Module):
    """Base class of the module a task builds; the trainer optimises its trainable parameters.

    Subclasses implement :meth:`training_step` and usually set `backbone`. Everything
    else has a default that suits a loss-only pretraining stage:

    - `metrics`: the split metrics this stage reports, with their direction; `loss`
      (the mean evaluation loss) is always reported and minimised.
    - `monitor`: the validation metric that selects the best checkpoint and drives
      early stopping (must be one of `metrics`; `trainer.monitor` may name another).
    - `class_names`: labels for the report's confusion matrix (classification only).

    Frozen sub-modules (a tokenizer) should have `requires_grad_(False)`. Randomness
    (masks) must come from torch's global generator so that seeding and exact resume
    cover it.
    """

    metrics: Mapping[str, Direction] = {"loss": "min"}
    monitor: str = "loss"
    class_names: list[str] = []
    backbone: nn.Module | None  # set in __init__: a class-level None would hide the submodule

    def __init__(self) -> None:
        super().__init__()
        self.backbone = None
        self.evaluated_rows: EvaluatedRows | None = None  # set by `evaluate`

    # -------------------------------------------------------------- steps

    def training_step(self, batch: Any) -> StepOutput:
        """The loss to minimise on one batch (never call backward or step here)."""
        raise NotImplementedError(f"{type(self).__name__} must implement training_step")

    def evaluation_step(self, batch: Any) -> StepOutput:
        """One evaluation batch (no grad, eval mode, EMA weights); default: the training loss."""
        return self.training_step(batch)

    def compute_metrics(self, predictions: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
        """Metrics over a whole split from the gathered predictions and targets."""
        return {}

    def begin_split(self, evaluation: Evaluation) -> None:
        """Called before a split's first batch: reset what `observe` collects."""

    def observe(self, step: StepOutput, batch: Any, valid: int) -> None:
        """Called with each evaluation step that has `valid` real leading rows: keep what
        split-level metrics beyond the gathered predictions need (prompts, error sums)."""

    def conclude(self, evaluation: Evaluation) -> dict[str, Any]:
        """Split-level metrics from what `observe` kept (rollouts, generation); default none.
        Every rank calls it, so it may all-reduce or gather."""
        return {}

    def report_figures(self, run_dir: Path) -> list[tuple[str, str]]:
        """Write the last evaluated split's figures into `run_dir`; (caption, file name)
        pairs that the run report links. Called on the main process after the test split."""
        return []

    def evaluate(self, evaluation: Evaluation) -> dict[str, Any]:
        """Metrics of one split: mean loss and logs, `compute_metrics` on the gathered
        predictions, then `conclude` on what `observe` kept. Override the hooks for
        generation or rollouts, or this for a different loop (text answers)."""
        self.begin_split(evaluation)
        sums: dict[str, float] = {"loss": 0.0}
        count = 0
        predictions: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        sources: list[np.ndarray] = []
        recordings: list[np.ndarray] = []
        starts: list[np.ndarray] = []
        for batch, valid in evaluation.batches():
            step = evaluation.step(batch)
            if valid <= 0:
                continue
            count += valid
            sums["loss"] += _scalar(step.loss) * valid
            for key, value in step.logs.items():
                sums[key] = sums.get(key, 0.0) + _scalar(value) * valid
            self.observe(step, batch, valid)
            if step.predictions is not None:
                predictions.append(step.predictions[:valid].detach().float().cpu().numpy())
                if step.targets is not None:
                    targets.append(step.targets[:valid].detach().float().cpu().numpy())
                source = getattr(batch, "source", None)
                if source is not None:
                    sources.append(np.asarray(source[:valid].cpu(), dtype=np.float64))
                names = list(getattr(batch, "recording", None) or [])[:valid]
                recordings.append(np.asarray(names + [""] * (valid - len(names)), dtype=object))
                first = getattr(batch, "start", None)
                starts.append(
                    np.asarray(first[:valid].cpu(), dtype=np.int64)
                    if first is not None
                    else np.full(valid, -1, dtype=np.int64)
                )
        rows = {"__count__": float(count), "__rows__": float(len(predictions))}
        totals = evaluation.all_reduce_sum({**sums, **rows})
        total = max(totals.pop("__count__"), 1.0)
        any_rows = totals.pop("__rows__") > 0  # every rank gathers, or none (no deadlock)
        result: dict[str, Any] = {key: value / total for key, value in totals.items()}
        self.evaluated_rows = None
        if any_rows:
            empty = np.zeros((0,))
            gathered = evaluation.gather(np.concatenate(predictions) if predictions else empty)
            truth = evaluation.gather(np.concatenate(targets) if targets else empty)
            if len(truth) != len(gathered):
                truth = np.zeros(len(gathered))
            result.update(self.compute_metrics(gathered, truth))
            names = evaluation.gather(
                np.concatenate(recordings) if recordings else np.zeros((0,), dtype=object)
            )
            first = evaluation.gather(
                np.concatenate(starts) if starts else np.zeros((0,), dtype=np.int64)
            )
            if len(names) == len(gathered) == len(first):
                self.evaluated_rows = EvaluatedRows(evaluation.split, names, first, gathered, truth)
            if len(evaluation.sources) > 1:  # a mixture: each source's metrics beside the pooled
                origin = evaluation.gather(np.concatenate(sources) if sources else empty)
                result.update(self._per_source(evaluation.sources, origin, gathered, truth))
        result.update(self.conclude(evaluation))
        return result

    def _per_source(
        self, names: list[str], origin: np.ndarray, predictions: np.ndarray, targets: np.ndarray
    ) -> dict[str, Any]:
        """`<source>/<metric>` for each source of a mixture (scalar metrics only)."""
        if len(origin) != len(predictions):
            return {}
        found: dict[str, Any] = {}
        for index, name in enumerate(names):
            rows = origin == index
            if not rows.any():
                continue
            metrics = self.compute_metrics(predictions[rows], targets[rows])
            for key, value in metrics.items():
                if isinstance(value, int | float) or value is None:
                    found[f"{name}/{key}"] = value
        return found

    # ------------------------------------------------------- declarations

    def direction(self, metric: str) -> Direction:
        """Whether `metric` is minimised or maximised, as this stage declares it."""
        name = metric.rsplit("/", 1)[-1]
        if name == "loss":
            return "min"
        if name not in self.metrics:
            declared = ", ".join(sorted({"loss", *self.metrics}))
            raise ConfigError(
                f"metric {name!r} is not declared by stage {type(self).__name__} "
                f"(declared: {declared}); it cannot select checkpoints"
            )
        return self.metrics[name]

    def fsdp_units(self) -> list[nn.Module]:
        """Sub-modules FSDP shards on their own (e.g. transformer blocks); the rest goes whole."""
        blocks = getattr(self.backbone, "blocks", None)
        return list(blocks) if isinstance(blocks, nn.ModuleList) else []

    def layered(self) -> tuple[str, LayeredBackbone] | None:
        """(parameter prefix, backbone) that layer-wise lr decay applies to, if any."""
        if isinstance(self.backbone, LayeredBackbone):
            return "backbone.", self.backbone
        return None

    def lr_multipliers(self) -> dict[str, float]:
        """Parameter-name prefix -> learning-rate multiplier (on top of layer decay)."""
        return {}

    def no_weight_decay(self) -> set[str]:
        """Full parameter names (or leaf names) excluded from weight decay, beyond norms,
        biases and embeddings; default: what the backbone lists in `no_weight_decay()`."""
        listed = getattr(self.backbone, "no_weight_decay", None)
        names = set(listed()) if callable(listed) else set()
        return names | {f"backbone.{n}" for n in names}
