"""A trained run as a model a user calls: `load_trained(RUN)` -> `TrainedModel`.

The run is rebuilt exactly as `neurokit eval` rebuilds it (`core.engine.run.rebuild`:
the saved config, the stage its task builds, `checkpoints/best.pt`), but from the data
record in run.json instead of the store, so a run directory alone is enough.
Everything deployment needs to feed the model raw signal travels with it: channel
order, sampling rate, window, the store's preprocessing and the class names.

Family contract: a backbone may set `predict_unsupported = "why"` (a model that cannot
give class probabilities, e.g. one answering in text) and `begin_recording(data,
task_options)` (statistics of a whole recording, fitted before its windows); a stage may
define `predict_proba(batch) -> (B, n_classes)` and `embed(batch) -> BackboneOutput`;
without them the backbone's `forward_batch` is used
(`extras["logits"]` for classes, `pooled` / `tokens` for features), with the
`finetune` task's conventions (one logit: binary sigmoid, several: softmax).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from neurokit.core.errors import ConfigError, DataError


@dataclass
class TrainedModel:
    """A run's model in eval mode, with the signal contract it was trained under.

    `channels` are the channel names in the order `predict_windows` expects them,
    `sfreq` the rate (Hz), `window_samples` the evaluation window length and
    `stride_samples` the evaluation stride, `profile` the store's preprocessing
    (a `Preprocessing`, None when the run recorded none), `classes` the class names.
    """

    stage: torch.nn.Module
    run_dir: Path
    config: Any  # the resolved RunConfig
    channels: list[str]
    sfreq: float
    window_samples: int
    stride_samples: int
    classes: list[str]
    profile: Any = None  # neurokit.core.data.preprocess.Preprocessing
    family: str | None = None
    backbone_name: str = ""
    mode: str = "multiclass"  # binary | multiclass | regression | none
    positions: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    view: Any = None  # the task's DataView (how evaluation windows a store)
    task_options: dict[str, Any] = field(default_factory=dict)  # the run's task config

    # ----------------------------------------------------------------- batches

    @property
    def backbone(self) -> torch.nn.Module:
        return self.stage.backbone

    @property
    def window_seconds(self) -> float:
        return self.window_samples / self.sfreq

    @property
    def device(self) -> torch.device:
        return next(self.stage.parameters()).device

    def batch(self, x: torch.Tensor):
        """A store-like Batch around windows `x` (B, C, T) in microvolts, in `channels` order."""
        from neurokit.core.data.batch import Batch

        self._check_shape(x)
        b, c, _ = x.shape
        positions = torch.as_tensor(self.positions, dtype=torch.float32, device=x.device)
        return Batch(
            signal=x.to(torch.float32),
            channel_mask=torch.ones(b, c, dtype=torch.bool, device=x.device),
            positions=positions.unsqueeze(0).expand(b, c, 3),
            channel_names=_SameNames(list(self.channels), b),
            sfreq=float(self.sfreq),
        )

    def _check_shape(self, x: torch.Tensor) -> None:
        if x.ndim != 3 or x.shape[1] != len(self.channels):
            raise DataError(
                f"windows must be (batch, {len(self.channels)} channels, samples); got "
                f"{tuple(x.shape)}"
            )

    def begin_recording(self, data: np.ndarray) -> None:
        """Before a recording's windows: a backbone that normalises with whole-recording
        statistics (`begin_recording(data, task_options)`, e.g. the forecasters' robust
        scaling) fits them on `data` (C, T), in `channels` order, as its store was fitted."""
        hook = getattr(self.backbone, "begin_recording", None)
        if callable(hook):
            hook(data, self.task_options)

    def end_recording(self) -> None:
        """After a recording: whole-recording statistics no longer apply (streams, exports)."""
        hook = getattr(self.backbone, "begin_recording", None)
        if callable(hook):
            hook(None, self.task_options)

    # ----------------------------------------------------------------- outputs

    def forward(self, x: torch.Tensor):
        """The backbone's BackboneOutput for windows `x` (B, C, T) in `channels` order.

        A backbone with `forward_windows(x, channel_names, positions, sfreq)` (every
        sample the same channels, nothing padded: no per-sample Python, so the graph
        exports with a dynamic batch) is called through it; others get a Batch.
        """
        direct = getattr(self.backbone, "forward_windows", None)
        if callable(direct):
            self._check_shape(x)
            positions = torch.as_tensor(self.positions, dtype=torch.float32, device=x.device)
            return direct(x.to(torch.float32), list(self.channels), positions, float(self.sfreq))
        if not callable(getattr(self.backbone, "forward_batch", None)):
            raise ConfigError(
                f"run {str(self.run_dir)!r}: its {self.config.stage or self.config.task.name!r} "
                f"stage trains {type(self.backbone).__name__}, which gives no window features "
                "(a tokenizer stage); predict and embed take a later stage's run"
            )
        return self.backbone.forward_batch(self.batch(x))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The classifier's raw outputs for windows `x` (B, C, T)."""
        why = getattr(self.backbone, "predict_unsupported", None)
        if why:
            raise ConfigError(
                f"run {str(self.run_dir)!r} ({self.backbone_name}) cannot give class "
                f"probabilities: {why}"
            )
        out = self.forward(x)
        logits = out.extras.get("logits")
        if logits is None:
            raise ConfigError(
                f"run {str(self.run_dir)!r} ({self.backbone_name}) has no classifier: it is a "
                f"{self.config.stage or self.config.task.name!r} run; predict needs a "
                "fine-tuned run (embed works on any run)"
            )
        return logits

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """(B, n_classes) from the classifier's outputs, as evaluation scores them."""
        logits = logits.float()
        if self.mode == "regression":
            return logits.reshape(-1, 1)
        if self.mode == "binary" or logits.shape[-1] == 1:
            p = torch.sigmoid(logits.reshape(-1))
            return torch.stack([1 - p, p], dim=-1)
        return torch.softmax(logits, dim=-1)

    def forward_probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """`predict_windows` without `no_grad` (what export traces)."""
        custom = getattr(self.stage, "predict_proba", None)
        if callable(custom):
            return custom(self.batch(x)).float()
        return self.probabilities(self.logits(x))

    @torch.no_grad()
    def predict_windows(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities (B, n_classes) for windows (B, C, T) in microvolts.

        Binary runs (one logit) give [1 - p, p]; regression runs give (B, 1) values.
        """
        return self.forward_probabilities(x)

    @torch.no_grad()
    def embed_windows(
        self, x: torch.Tensor, per_token: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Pooled features (B, F) for windows (B, C, T); with `per_token`, also (B, N, F) tokens."""
        custom = getattr(self.stage, "embed", None)
        out = custom(self.batch(x)) if callable(custom) else self.forward(x)
        pooled = out.pooled.float()
        if not per_token:
            return pooled
        if out.tokens is None:
            raise ConfigError(
                f"backbone {self.backbone_name!r} returns no per-token features (only pooled)"
            )
        return pooled, out.tokens.float()

    def to(self, device: str | torch.device) -> TrainedModel:
        self.stage.to(device)
        return self

    def describe(self) -> dict[str, Any]:
        """The signal contract as plain data (the model card's core)."""
        from neurokit import __version__

        profile = self.profile.model_dump(mode="json") if self.profile is not None else None
        return {
            "run": str(self.run_dir),
            "family": self.family,
            "backbone": self.backbone_name,
            "stage": self.config.stage or self.config.task.name,
            "channels": list(self.channels),
            "sfreq": self.sfreq,
            "window_samples": self.window_samples,
            "window_seconds": self.window_seconds,
            "stride_samples": self.stride_samples,
            "classes": list(self.classes),
            "mode": self.mode,
            "preprocessing": profile,
            "units": "uV",
            "notes": self.deployment_notes(),
            "neurokit_version": __version__,
        }

    def deployment_notes(self) -> list[str]:
        """What the backbone says a user of it outside neurokit must know (its optional
        `deployment_notes(task_options)`, e.g. the forecasters' per-window scaling)."""
        hook = getattr(self.backbone, "deployment_notes", None)
        return list(hook(self.task_options)) if callable(hook) else []


class _SameNames(Sequence):
    """Every sample's channel names, one list shared: its length is only taken when asked,
    so a batch built inside an export trace keeps a symbolic batch size."""

    def __init__(self, names: list[str], size: Any) -> None:
        self._names, self._size = names, size

    def __len__(self) -> int:
        return int(self._size)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._names for _ in range(len(self))[index]]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._names


def _mode(stage: Any, classes: list[str]) -> str:
    mode = getattr(stage, "mode", None)
    if isinstance(mode, str):
        return mode
    if not classes:
        return "none"
    return "binary" if len(classes) == 2 else "multiclass"


def _stride_samples(config: Any, view: Any, sfreq: float, window: int) -> int:
    """The evaluation stride, chosen as `core.engine.data` chooses it for val/test."""
    from neurokit.core.engine.data import eval_stride_seconds

    seconds = eval_stride_seconds(config, view)
    return int(round(seconds * sfreq)) if seconds else window


def _profile(info: Any, config: Any):
    """The store's preprocessing as recorded in run.json; older runs: read from the store."""
    from neurokit.core.data.preprocess import Preprocessing

    recorded = dict(getattr(info, "preprocessing", None) or {})
    if not recorded:
        try:
            from neurokit.core.engine.data import open_run_store

            recorded = dict(open_run_store(config).schema.preprocessing or {})
        except Exception:
            return None
    try:
        return Preprocessing(**recorded) if recorded else None
    except Exception:  # a profile this neurokit no longer understands
        return None


def _task_options(resolved: Any) -> dict[str, Any]:
    options = resolved.options.get("task") if isinstance(resolved.options, dict) else None
    if options is None:
        return {}
    return options.model_dump() if hasattr(options, "model_dump") else dict(options)


def load_trained(run_dir: str | Path, checkpoint: str = "best") -> TrainedModel:
    """A finished run as a `TrainedModel` in eval mode on the CPU."""
    from neurokit.core.data.channels import channel_positions
    from neurokit.core.engine.run import rebuild

    run_dir = Path(run_dir)
    stage, resolved, info = rebuild(run_dir, checkpoint)
    if stage.backbone is None:
        raise ConfigError(f"run {str(run_dir)!r}: its stage has no backbone to deploy")
    config = resolved.config
    if not info.channel_names or not info.sfreq or not info.window_samples:
        raise DataError(
            f"run {str(run_dir)!r} records no channels, rate or window in run.json; "
            "it cannot be applied to new recordings"
        )
    window = int(info.eval_window_samples or info.window_samples)
    classes = list(info.class_names)
    stride = _stride_samples(config, resolved.task.data_view(), float(info.sfreq), window)
    return TrainedModel(
        stage=stage,
        run_dir=run_dir,
        config=config,
        channels=list(info.channel_names),
        sfreq=float(info.sfreq),
        window_samples=window,
        stride_samples=stride,
        classes=classes,
        profile=_profile(info, config),
        family=resolved.family.name if resolved.family else None,
        backbone_name=resolved.components["model"].name,
        mode=_mode(stage, classes),
        positions=np.array(channel_positions(info.channel_names)[0]),
        view=resolved.task.data_view(),
        task_options=_task_options(resolved),
    )
