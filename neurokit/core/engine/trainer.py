"""The default trainer: one loop for every Stage (fine-tuning and pretraining alike).

It owns everything around the stage's `training_step`: AdamW groups, warmup+cosine,
accumulation, clipping, autocast, EMA, torch.compile, DDP/FSDP, checkpoints that
resume exactly, validation-based selection, early stopping, the final test and the
report. A checkpoint is written only at optimiser-step boundaries, so a resumed run
replays exactly the same batches, dropout masks and updates.

It uses only the typed members of :class:`~neurokit.core.stage.Stage` (no attribute
probing) and never prints: progress goes to `RunContext.emit` as events (`start`,
`resume`, `step`, `epoch`, `early-stop`, `interrupt`, `end`) for the CLI to show.
`fit` is a sequence of named steps over one :class:`TrainingState`.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import signal
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from neurokit.core.engine import checkpoint as ckpt
from neurokit.core.engine import distributed as dist_utils
from neurokit.core.engine import rundir
from neurokit.core.engine.config import TrainerConfig
from neurokit.core.engine.metrics import pool_by_recording
from neurokit.core.engine.params import param_groups
from neurokit.core.engine.report import write_report
from neurokit.core.engine.sampler import ResumableSampler, ShardSampler
from neurokit.core.engine.schedule import make_scheduler
from neurokit.core.engine.selection import Selection
from neurokit.core.errors import ConfigError, DataError, NeurokitError
from neurokit.core.stage import Evaluation, Stage, StepOutput
from neurokit.core.task import RunContext

CHECKPOINT_FORMAT = "neurokit-checkpoint"


class Interrupted(NeurokitError):
    """Training stopped by Ctrl-C (or stop_after_steps) after writing a resumable checkpoint."""

    exit_code = 130


class PlannedStop(Interrupted):
    """`trainer.stop_after_steps` ended this invocation as asked: not an error (exit 0)."""

    exit_code = 0


class StepModule(nn.Module):
    """Routes forward() to the stage's steps so that DDP/FSDP/compile see one forward."""

    def __init__(self, module: Stage) -> None:
        super().__init__()
        self.module = module

    def forward(self, batch: Any, train: bool = True) -> StepOutput:
        return self.module.training_step(batch) if train else self.module.evaluation_step(batch)


@dataclass
class Progress:
    """Where training is; saved in every checkpoint."""

    epoch: int = 0
    step: int = 0
    batch_in_epoch: int = 0  # micro-batches of `epoch` already consumed
    best_value: float | None = None
    best_epoch: int | None = None
    best_step: int | None = None
    best_loss: float | None = None  # breaks ties of the monitored metric (see selection.py)
    bad_evals: int = 0  # validations since the last new best (early stopping)
    stopped_early: bool = False


@dataclass
class Accumulator:
    """Training loss and logs summed on the device since the last metrics line.

    Saved in checkpoints (`pending`) so that a resumed run logs the same averages.
    """

    device: torch.device
    loss: torch.Tensor = field(init=False)
    logs: dict[str, torch.Tensor] = field(default_factory=dict)
    count: int = 0

    def __post_init__(self) -> None:
        self.loss = torch.zeros((), dtype=torch.float64, device=self.device)

    @classmethod
    def restore(cls, pending: dict[str, Any], device: torch.device) -> Accumulator:
        acc = cls(device)
        acc.loss = torch.tensor(
            float(pending.get("loss_sum", 0.0)), dtype=torch.float64, device=device
        )
        acc.logs = {
            k: torch.tensor(float(v), dtype=torch.float64, device=device)
            for k, v in pending.get("log_sums", {}).items()
        }
        acc.count = int(pending.get("count", 0))
        return acc

    def add(self, step: StepOutput) -> None:
        self.loss += step.loss.detach().double()
        for key, value in step.logs.items():
            self.logs[key] = (
                self.logs.get(key, torch.zeros((), dtype=torch.float64, device=self.device))
                + torch.as_tensor(value, device=self.device).detach().double()
            )
        self.count += 1

    def means(self) -> dict[str, float]:
        """`train/loss` and `train/<log>` averages (a host sync)."""
        return {
            "train/loss": float(self.loss) / self.count,
            **{f"train/{k}": float(v) / self.count for k, v in self.logs.items()},
        }

    def state(self) -> dict[str, Any]:
        return {
            "loss_sum": float(self.loss),
            "count": self.count,
            "log_sums": {k: float(v) for k, v in self.logs.items()},
        }

    def reset(self) -> None:
        self.loss.zero_()
        self.logs.clear()
        self.count = 0


@dataclass
class TrainingState:
    """Everything `fit` carries from step to step (one object instead of loose arguments)."""

    stage: Stage
    wrapped: nn.Module  # what a training step runs through (DDP/FSDP root, maybe compiled)
    parallel: nn.Module  # the DDP/FSDP root: gradient-sync control
    optimizer: torch.optim.Optimizer
    scheduler: Any
    scaler: torch.amp.GradScaler
    ema: Any  # torch_ema.ExponentialMovingAverage or None
    sampler: ResumableSampler
    selection: Selection
    log: rundir.MetricsLog
    pending: Accumulator
    steps_per_epoch: int
    total_steps: int
    started: float
    progress: Progress = field(default_factory=Progress)
    start_step: int = 0  # stop_after_steps counts the steps of this invocation
    stop_reason: str | None = None


def _ignore_sigint(worker_id: int) -> None:
    """DataLoader workers leave Ctrl-C to the main process, which stops at a step boundary."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _plain(value: Any) -> Any:
    """numpy scalars to Python numbers (checkpoints must load with weights_only=True)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def require_stage(module: Any) -> Stage:
    """The module a task built, if it is a Stage; a clear error otherwise."""
    if not isinstance(module, Stage):
        raise ConfigError(
            f"the task built a {type(module).__name__}, not a neurokit Stage: "
            "Task.build must return a subclass of neurokit.core.stage.Stage"
        )
    return module


class DefaultTrainer:
    """AdamW + warmup/cosine, accumulation, clipping, autocast, EMA, DDP; exact resume."""

    def __init__(self, config: TrainerConfig | None = None) -> None:
        self.config = config or TrainerConfig()
        self._interrupted = False

    # ------------------------------------------------------------------- fit

    def fit(self, stage: Stage, context: RunContext) -> dict[str, Any]:
        """Train, select on val, test the selected weights, write the report."""
        selection = self._selection(require_stage(stage))
        self._setup(context)
        state = self._prepare(stage, context, selection)
        if context.resume:
            self._restore(state, context)
        state.start_step = state.progress.step
        self._emit(
            context,
            "start",
            step=state.progress.step,
            total_steps=state.total_steps,
            epoch=state.progress.epoch,
            epochs=self.config.epochs,
            monitor=selection.monitor,
            progress=self.config.progress,
            device=str(self.device),
            precision=self.precision,
            world_size=self.dist.world_size,
            batch_size=self.batch_size,
        )
        try:
            with self._catch_sigint(context):
                while self._epochs_left(state):
                    self._train_epoch(state, context)
                    if state.stop_reason:
                        break
                    self._end_of_epoch(state, context)
                    if state.stop_reason:
                        break
        finally:
            self._emit(context, "end", step=state.progress.step, reason=state.stop_reason)
        if state.stop_reason == "stop_after_steps":
            where = context.run_dir if context.run_dir else "the run directory"
            raise PlannedStop(
                f"planned stop after {state.progress.step - state.start_step} steps "
                f"(trainer.stop_after_steps={self.config.stop_after_steps}) at step "
                f"{state.progress.step} of {state.total_steps}; continue with: "
                f"neurokit train --resume {where}"
            )
        if state.stop_reason:
            where = context.run_dir if context.run_dir else "the run directory"
            raise Interrupted(
                f"{state.stop_reason} at step {state.progress.step}; the last checkpoint is "
                f"intact. Resume with: neurokit train --resume {where}"
            )
        return self._finish(state, context)

    def _selection(self, stage: Stage) -> Selection:
        """The monitored metric and its declared direction; undeclared ones fail here."""
        monitor = self.config.monitor or stage.monitor
        return Selection(monitor, stage.direction(monitor), self.config.min_delta)

    def _prepare(self, stage: Stage, context: RunContext, selection: Selection) -> TrainingState:
        """Model on the device, wrapped; optimiser, schedule, scaler, EMA, log; empty progress."""
        c = self.config
        train_set = context.datasets.get("train")
        if train_set is None or len(train_set) == 0:
            raise DataError("the training split has no windows")
        if context.run_dir is not None and self.dist.is_main:
            (context.run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        stage.to(self.device)
        stage.train()
        wrapped, parallel = self._wrap(stage)
        optimizer = self._optimizer(stage)
        sampler = ResumableSampler(
            train_set, self.dist.world_size, self.dist.rank, shuffle=True, seed=self.seed
        )
        steps_per_epoch, total_steps = self._budget(sampler)
        warmup = (
            c.warmup_steps
            if c.warmup_steps is not None
            else round(c.warmup_epochs * steps_per_epoch)
        )
        scheduler = make_scheduler(
            optimizer, total_steps, min(warmup, total_steps), c.lr, c.min_lr, c.warmup_start_lr
        )
        ema = None
        if c.ema:
            from torch_ema import ExponentialMovingAverage

            ema = ExponentialMovingAverage(
                [p for p in stage.parameters() if p.requires_grad], decay=c.ema_decay
            )
        return TrainingState(
            stage=stage,
            wrapped=wrapped,
            parallel=parallel,
            optimizer=optimizer,
            scheduler=scheduler,
            scaler=torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16"),
            ema=ema,
            sampler=sampler,
            selection=selection,
            log=rundir.MetricsLog(
                context.run_dir / rundir.METRICS if context.run_dir else Path("/dev/null"),
                enabled=self.dist.is_main and context.run_dir is not None,
            ),
            pending=Accumulator(self.device),
            steps_per_epoch=steps_per_epoch,
            total_steps=total_steps,
            started=time.time(),
        )

    def _budget(self, sampler: ResumableSampler) -> tuple[int, int]:
        """(optimiser steps per epoch, total optimiser steps of the run)."""
        c = self.config
        batches_per_epoch = math.ceil(len(sampler) / self.batch_size)
        steps_per_epoch = batches_per_epoch // c.accumulate
        if steps_per_epoch == 0:
            raise ConfigError(
                f"trainer.accumulate={c.accumulate} needs at least that many batches per epoch "
                f"(this rank has {batches_per_epoch})"
            )
        total_steps = steps_per_epoch * c.epochs
        if c.max_steps is not None:
            total_steps = min(total_steps, c.max_steps)
        return steps_per_epoch, total_steps

    def _epochs_left(self, state: TrainingState) -> bool:
        p = state.progress
        return p.epoch < self.config.epochs and p.step < state.total_steps and not p.stopped_early

    def _train_epoch(self, state: TrainingState, context: RunContext) -> None:
        """The rest of the current epoch (all of it unless resumed mid-epoch)."""
        c, p = self.config, state.progress
        state.sampler.set_epoch(p.epoch)
        state.sampler.set_start(p.batch_in_epoch * self.batch_size)
        train_set = context.datasets["train"]
        if hasattr(train_set, "set_epoch"):  # per-epoch random window offsets (DataView)
            train_set.set_epoch(p.epoch)
        loader = self._loader(train_set, state.sampler, context, self.seed + p.epoch)
        remaining = state.steps_per_epoch * c.accumulate - p.batch_in_epoch
        state.optimizer.zero_grad(set_to_none=True)
        for batch in itertools.islice(loader, remaining):
            p.batch_in_epoch += 1
            boundary = p.batch_in_epoch % c.accumulate == 0
            self._train_step(state, batch, boundary)
            if not boundary:
                continue
            grad_norm = self._update(state)
            self._after_update(state, context, grad_norm)
            if p.step >= state.total_steps or self._checkpoint_or_stop(state, context):
                break

    def _train_step(self, state: TrainingState, batch: Any, boundary: bool) -> None:
        """Forward and backward of one micro-batch; gradients sync only at `boundary`."""
        batch = batch.to(self.device, non_blocking=True)
        sync = contextlib.nullcontext()
        if self.fsdp:
            state.parallel.set_requires_gradient_sync(boundary)
        elif self.dist.enabled and not boundary:
            sync = state.parallel.no_sync()
        with sync:
            with self._autocast():
                step = state.wrapped(batch, train=True)
            state.scaler.scale(step.loss / self.config.accumulate).backward()
        state.pending.add(step)

    def _update(self, state: TrainingState) -> float | None:
        """Clip, optimiser step, schedule, EMA; returns the gradient norm when clipping."""
        grad_norm = None
        optimizer, scaler = state.optimizer, state.scaler
        if self.config.clip_grad is not None:
            scaler.unscale_(optimizer)
            params = [p for p in state.stage.parameters() if p.grad is not None]
            norm = torch.nn.utils.clip_grad_norm_(params, self.config.clip_grad)
            grad_norm = float(norm.full_tensor() if hasattr(norm, "full_tensor") else norm)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        state.scheduler.step()
        if state.ema is not None:
            state.ema.update()
        state.progress.step += 1
        return grad_norm

    def _after_update(
        self, state: TrainingState, context: RunContext, grad_norm: float | None
    ) -> None:
        """A metrics line every `log_every` steps (the only host sync of a step)."""
        c, p = self.config, state.progress
        record = None
        if p.step % c.log_every == 0 or p.step == state.total_steps:
            record = state.pending.means()
            if not math.isfinite(record["train/loss"]):
                raise NeurokitError(
                    f"training loss is {record['train/loss']} before step {p.step} (the "
                    "last checkpoint is intact); lower trainer.lr or set trainer.clip_grad"
                )
            if grad_norm is not None:
                record["train/grad_norm"] = grad_norm
            record = dist_utils.all_reduce_mean(record)
            lr = max(g["lr"] for g in state.optimizer.param_groups)
            state.log.write({"step": p.step, "epoch": p.epoch, "lr": lr, **record})
            state.pending.reset()
        if c.progress:
            loss = None if record is None else record["train/loss"]
            self._emit(
                context,
                "step",
                step=p.step,
                total_steps=state.total_steps,
                epoch=p.epoch,
                epochs=c.epochs,
                loss=loss,
            )

    def _checkpoint_or_stop(self, state: TrainingState, context: RunContext) -> bool:
        """Write last.pt when due or when stopping; True when this invocation must stop."""
        c, p = self.config, state.progress
        requested = self._should_stop()
        limit = c.stop_after_steps is not None and p.step - state.start_step >= c.stop_after_steps
        if requested or limit or (c.checkpoint_every and p.step % c.checkpoint_every == 0):
            self._save_last(state, context)
        if requested or limit:
            state.stop_reason = "interrupted" if requested else "stop_after_steps"
        return bool(state.stop_reason)

    def _end_of_epoch(self, state: TrainingState, context: RunContext) -> None:
        """Validate (or keep the latest weights without a val split), early stopping, last.pt."""
        c, p = self.config, state.progress
        p.epoch += 1
        p.batch_in_epoch = 0
        last_epoch = p.epoch >= c.epochs or p.step >= state.total_steps
        val_set = context.datasets.get("val")
        if val_set is not None and len(val_set):
            if p.epoch % c.eval_every == 0 or last_epoch:
                self._validate(state, context, val_set)
        else:
            p.best_epoch, p.best_step = p.epoch, p.step
            with self._ema_weights(state.ema):
                self._save_best(state, context, {})
        if c.early_stopping and p.bad_evals >= c.early_stopping:
            p.stopped_early = True
            self._emit(
                context,
                "early-stop",
                epoch=p.epoch,
                monitor=state.selection.monitor,
                evaluations=p.bad_evals,
            )
        self._save_last(state, context)
        if self._should_stop():
            state.stop_reason = "interrupted"

    def _validate(self, state: TrainingState, context: RunContext, val_set) -> None:
        """Evaluate on val (EMA weights), update the selection, log, report the epoch."""
        p, selection = state.progress, state.selection
        monitor = selection.monitor
        with self._ema_weights(state.ema):
            metrics = self._evaluate_split(state.stage, state.wrapped, val_set, context, "val")
            if monitor not in metrics:
                known = ", ".join(sorted(k for k in metrics if k != "confusion_matrix"))
                raise ConfigError(
                    f"trainer.monitor: {monitor!r} is not a validation metric of "
                    f"{type(state.stage).__name__} (known: {known})"
                )
            value = metrics[monitor]
            loss = float(metrics["loss"])
            best = selection.is_new_best(
                value, loss, p.best_value, p.best_loss, first=p.best_epoch is None
            )
            p.bad_evals = 0 if best else p.bad_evals + 1
            if best:
                p.best_value, p.best_loss = _plain(value), loss
                p.best_epoch, p.best_step = p.epoch, p.step
                self._save_best(state, context, metrics)
        scalars = {
            f"val/{k}": v for k, v in metrics.items() if isinstance(v, int | float) or v is None
        }
        state.log.write({"step": p.step, "epoch": p.epoch, **scalars})
        self._emit(
            context,
            "epoch",
            epoch=p.epoch,
            step=p.step,
            loss=loss,
            monitor=monitor,
            value=value,
            best=best,
            metrics={k: v for k, v in metrics.items() if isinstance(v, int | float) or v is None},
        )

    def _finish(self, state: TrainingState, context: RunContext) -> dict[str, Any]:
        """Load the selected weights, test them, write the report."""
        p = state.progress
        best_path = context.run_dir / rundir.BEST if context.run_dir else None
        dist_utils.barrier()
        best_val: dict[str, Any] = {}
        if best_path is not None and best_path.is_file():
            best = ckpt.load(best_path)
            self._load_weights(state.stage, state.wrapped, best["model"])
            best_val = best.get("metrics", {})
        test_set = context.datasets.get("test")
        test = None
        if test_set is not None and len(test_set):
            test = self._evaluate_split(state.stage, state.wrapped, test_set, context, "test")
        report = {
            "run_dir": str(context.run_dir) if context.run_dir else None,
            "model": context.config.model.name,
            "task": context.config.task.name,
            "dataset": context.config.dataset.name,
            "monitor": state.selection.monitor,
            "best_value": p.best_value,
            "best_epoch": p.best_epoch,
            "best_step": p.step if p.best_step is None else p.best_step,
            "steps": p.step,
            "epochs": p.epoch,
            "stopped_early": p.stopped_early,
            "val": best_val,
            "test": test,
            "duration_s": round(time.time() - state.started, 2),
            "run": dict(context.summary),  # seed, parameters, windows, store checksum, ...
            "params": sum(p.numel() for p in state.stage.parameters()),
            "trainable_params": sum(p.numel() for p in state.stage.parameters() if p.requires_grad),
        }
        rows = getattr(state.stage, "evaluated_rows", None) if test is not None else None
        if rows is not None and rows.split != "test":
            rows = None
        if rows is not None and context.data.recording_labels:
            ids, pooled, truth = pool_by_recording(rows.recordings, rows.predictions, rows.targets)
            if ids:
                metrics = state.stage.compute_metrics(pooled, truth)
                report["test_per_recording"] = {"recordings": len(ids), **metrics}
        if self.dist.is_main and context.run_dir is not None:
            write_report(
                context.run_dir,
                report,
                state.log.read(),
                list(state.stage.class_names),
                rows=rows,
                figures=state.stage.report_figures,
            )
        return report

    # ------------------------------------------------------------------ setup

    def _setup(self, context: RunContext) -> None:
        c = self.config
        self.dist = dist_utils.current()
        if c.device == "auto":
            self.device = torch.device(
                f"cuda:{self.dist.local_rank}" if torch.cuda.is_available() else "cpu"
            )
        else:
            self.device = torch.device(c.device)
            if self.device.type == "cuda" and not torch.cuda.is_available():
                raise ConfigError(f"trainer.device: {c.device!r} but no CUDA device is available")
        precision = c.precision
        if precision == "auto":
            precision = (
                "bf16" if self.device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
            )
        if precision == "fp16" and self.device.type != "cuda":
            raise ConfigError(
                "trainer.precision: fp16 needs a CUDA device (use bf16 or fp32 on CPU)"
            )
        self.precision = precision
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        self.fsdp = c.strategy == "fsdp" and self.dist.enabled
        if self.fsdp and c.ema:
            raise ConfigError("trainer.ema is not supported with trainer.strategy=fsdp")
        if c.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
            if self.device.type == "cuda":
                torch.backends.cudnn.benchmark = False
        seed = int(context.config.seed)
        ckpt.seed_everything(seed + self.dist.rank)
        self.seed = seed
        self.batch_size = int(context.config.data.batch_size)
        self.num_workers = int(context.config.data.num_workers)

    def _emit(self, context: RunContext, event: str, **data: Any) -> None:
        """Progress events come from rank 0 only."""
        if self.dist.is_main:
            context.emit(event, **data)

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _loader(self, dataset, sampler, context: RunContext, seed: int) -> DataLoader:
        from neurokit.core.data.loader import make_train_loader

        return make_train_loader(
            dataset, sampler, self.batch_size, self.num_workers, context.collate, seed,
            pin_memory=self.device.type == "cuda", worker_init_fn=_ignore_sigint,
        )  # fmt: skip

    def _wrap(self, stage: Stage) -> tuple[nn.Module, nn.Module]:
        """(module a training step runs through, DDP/FSDP root)."""
        step_module = StepModule(stage)
        wrapped: nn.Module = step_module
        if self.dist.enabled and self.fsdp:
            # FSDP2: shard the stage's units (e.g. transformer blocks), then the rest;
            # parameters become DTensors in place.
            from torch.distributed.device_mesh import init_device_mesh
            from torch.distributed.fsdp import fully_shard

            mesh = init_device_mesh(self.device.type, (self.dist.world_size,))
            for unit in stage.fsdp_units():
                fully_shard(unit, mesh=mesh)
            fully_shard(step_module, mesh=mesh)
        elif self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            wrapped = DDP(
                step_module,
                device_ids=ids,
                find_unused_parameters=self.config.find_unused_parameters,
            )
        parallel = wrapped
        if self.config.compile:
            wrapped = torch.compile(wrapped)
        return wrapped, parallel

    def _optimizer(self, stage: Stage):
        c = self.config
        groups = param_groups(stage, c.weight_decay, c.layer_decay)
        if not groups:
            raise ConfigError(f"{type(stage).__name__} has no trainable parameters")
        opt_groups = [
            {
                "params": g["params"],
                "weight_decay": g["weight_decay"],
                "lr": c.lr * g["lr_scale"],
                "lr_scale": g["lr_scale"],
                "layer": g["layer"],
            }
            for g in groups
        ]
        fused = {"fused": True} if self.device.type == "cuda" and not self.fsdp else {}
        return torch.optim.AdamW(opt_groups, lr=c.lr, betas=tuple(c.betas), eps=c.eps, **fused)

    # --------------------------------------------------------------- signals

    @contextlib.contextmanager
    def _catch_sigint(self, context: RunContext):
        """First Ctrl-C: finish the step, checkpoint, stop. Second: stop now (checkpoint intact)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum, frame):
            if self._interrupted:
                raise KeyboardInterrupt
            self._interrupted = True
            self._emit(context, "interrupt")

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _should_stop(self) -> bool:
        flag = self._interrupted
        if self.dist.enabled:
            t = torch.tensor(
                [1.0 if flag else 0.0], device=self.device if self.dist_backend_cuda else "cpu"
            )
            torch.distributed.all_reduce(t)
            flag = bool(t.item() > 0)
        return flag

    @property
    def dist_backend_cuda(self) -> bool:
        return self.dist.enabled and torch.distributed.get_backend() == "nccl"

    # ----------------------------------------------------------- checkpoints

    def _model_state(self, stage: Stage, wrapped: nn.Module) -> dict[str, torch.Tensor]:
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import (
                StateDictOptions,
                get_model_state_dict,
            )

            state = get_model_state_dict(
                wrapped, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
            )
            return {k.removeprefix("module."): v for k, v in state.items()}
        return {k: v.detach().cpu() for k, v in stage.state_dict().items()}

    def _optim_state(self, wrapped: nn.Module, optimizer) -> dict[str, Any]:
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import (
                StateDictOptions,
                get_optimizer_state_dict,
            )

            return get_optimizer_state_dict(
                wrapped, optimizer, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
            )
        return optimizer.state_dict()

    def _save_last(self, state: TrainingState, context: RunContext) -> None:
        model_state = self._model_state(state.stage, state.wrapped)
        optim_state = self._optim_state(state.wrapped, state.optimizer)
        rng = ckpt.rng_state()
        if self.dist.enabled:
            gathered: list[Any] = [None] * self.dist.world_size
            torch.distributed.all_gather_object(gathered, rng)
            rng_all = gathered
        else:
            rng_all = [rng]
        if self.dist.is_main and context.run_dir is not None:
            saved = {
                "format": CHECKPOINT_FORMAT,
                "version": 1,
                "model": model_state,
                "optimizer": optim_state,
                "scheduler": state.scheduler.state_dict(),
                "scaler": state.scaler.state_dict(),
                "ema": state.ema.state_dict() if state.ema is not None else None,
                "rng": rng_all,
                "progress": asdict(state.progress),
                "pending": state.pending.state(),
                "world_size": self.dist.world_size,
                "config": context.config.model_dump(mode="json"),
            }
            ckpt.save_atomic(saved, context.run_dir / rundir.LAST)
        dist_utils.barrier()

    def _save_best(self, state: TrainingState, context: RunContext, metrics: dict) -> None:
        model_state = self._model_state(state.stage, state.wrapped)  # every rank (FSDP)
        if not self.dist.is_main or context.run_dir is None:
            return
        p = state.progress
        scalars = {k: _plain(v) for k, v in metrics.items() if k != "confusion_matrix"}
        ckpt.save_atomic(
            {
                "format": CHECKPOINT_FORMAT,
                "version": 1,
                "kind": "best",
                "model": model_state,
                "epoch": p.epoch,
                "step": p.step,
                "monitor": state.selection.monitor,
                "value": _plain(p.best_value),
                "metrics": scalars,
                "config": context.config.model_dump(mode="json"),
            },
            context.run_dir / rundir.BEST,
        )

    def _restore(self, state: TrainingState, context: RunContext) -> None:
        """Weights, optimiser, schedule, scaler, EMA, RNG and progress from last.pt."""
        path = context.run_dir / rundir.LAST if context.run_dir else None
        if path is None or not path.is_file():
            raise DataError(f"nothing to resume: {str(path)!r} does not exist")
        saved = ckpt.load(path, map_location="cpu")
        if saved.get("format") != CHECKPOINT_FORMAT or "optimizer" not in saved:
            raise DataError(f"{str(path)!r} is not a resumable neurokit checkpoint")
        if saved.get("world_size", 1) != self.dist.world_size:
            raise ConfigError(
                f"{str(path)!r} was written by {saved['world_size']} process(es); resume with "
                f"the same number (now {self.dist.world_size}) so that batches replay exactly"
            )
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

            set_state_dict(
                state.wrapped,
                state.optimizer,
                model_state_dict={f"module.{k}": v for k, v in saved["model"].items()},
                optim_state_dict=saved["optimizer"],
                options=StateDictOptions(full_state_dict=True),
            )
        else:
            state.stage.load_state_dict(saved["model"])
            state.optimizer.load_state_dict(saved["optimizer"])
        state.scheduler.load_state_dict(saved["scheduler"])
        state.scaler.load_state_dict(saved["scaler"])
        if state.ema is not None:
            if saved.get("ema") is None:
                raise ConfigError("trainer.ema is on but the checkpoint has no EMA state")
            state.ema.load_state_dict(saved["ema"])
        ckpt.set_rng_state(saved["rng"][self.dist.rank])
        state.progress = Progress(**saved["progress"])
        state.pending = Accumulator.restore(saved.get("pending") or {}, self.device)
        state.log.truncate_after(state.progress.step)
        self._emit(context, "resume", epoch=state.progress.epoch, step=state.progress.step)

    def _load_weights(self, stage: Stage, wrapped: nn.Module, weights: dict) -> None:
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import (
                StateDictOptions,
                set_model_state_dict,
            )

            set_model_state_dict(
                wrapped,
                {f"module.{k}": v for k, v in weights.items()},
                options=StateDictOptions(full_state_dict=True),
            )
        else:
            stage.load_state_dict(weights)

    @contextlib.contextmanager
    def _ema_weights(self, ema):
        if ema is None:
            yield
        else:
            with ema.average_parameters():
                yield

    # -------------------------------------------------------------- evaluation

    def _evaluation(
        self, stage: Stage, wrapped: nn.Module, dataset, context: RunContext, split: str
    ) -> Evaluation:
        """One split as the stage sees it: sharded, padded for FSDP, steps under autocast."""
        world, rank = self.dist.world_size, self.dist.rank
        sampler = ShardSampler(len(dataset), world, rank)
        real = len(sampler)
        if self.fsdp:  # FSDP needs the same number of forwards on every rank
            per_rank = math.ceil(len(dataset) / world)
            sampler.indices += sampler.indices[: per_rank - real] if real else []
        runner = wrapped if self.fsdp else StepModule(stage)  # no DDP sync in evaluation

        def batches():
            seen = 0
            for batch in self._loader(dataset, sampler, context, self.seed):
                batch = batch.to(self.device, non_blocking=True)
                valid = max(0, min(len(batch), real - seen))
                seen += len(batch)
                yield batch, valid

        def step(batch) -> StepOutput:
            with self._autocast():
                return runner(batch, train=False)

        return Evaluation(
            split=split,
            batches=batches,
            step=step,
            all_reduce_sum=dist_utils.all_reduce_sum,
            gather=dist_utils.gather_rows,
            autocast=self._autocast,
            device=self.device,
            sources=list(context.data.sources),
        )

    @torch.no_grad()
    def _evaluate_split(
        self, stage: Stage, wrapped: nn.Module, dataset, context: RunContext, split: str
    ) -> dict[str, Any]:
        """`stage.evaluate` over a whole split, in eval mode, without gradients."""
        was_training = stage.training
        stage.eval()
        try:
            return dict(stage.evaluate(self._evaluation(stage, wrapped, dataset, context, split)))
        finally:
            stage.train(was_training)

    def evaluate(self, stage: Stage, context: RunContext, split: str) -> dict[str, Any]:
        """Metrics of the stage's current weights on `split` (used by `neurokit eval`)."""
        require_stage(stage)
        if not hasattr(self, "device"):
            self._setup(context)
        dataset = context.datasets.get(split)
        if dataset is None or len(dataset) == 0:
            raise DataError(f"split {split!r} has no windows to evaluate")
        stage.to(self.device)
        return self._evaluate_split(stage, stage, dataset, context, split)
