"""The default trainer: one loop for every task (fine-tuning and pretraining alike).

It owns everything around the task's `training_step`: AdamW groups, warmup+cosine,
accumulation, clipping, autocast, EMA, torch.compile, DDP/FSDP, checkpoints that
resume exactly, validation-based selection, early stopping, the final test and the
report. A checkpoint is written only at optimiser-step boundaries, so a resumed run
replays exactly the same batches, dropout masks and updates.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import signal
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from neurokit import console as out
from neurokit.core.engine import checkpoint as ckpt
from neurokit.core.engine import distributed as dist_utils
from neurokit.core.engine import rundir
from neurokit.core.engine.config import TrainerConfig
from neurokit.core.engine.metrics import lower_is_better
from neurokit.core.engine.params import param_groups
from neurokit.core.engine.report import write_report
from neurokit.core.engine.sampler import ResumableSampler, ShardSampler
from neurokit.core.engine.schedule import make_scheduler
from neurokit.core.errors import ConfigError, DataError, NeurokitError
from neurokit.core.interfaces import RunContext

CHECKPOINT_FORMAT = "neurokit-checkpoint"


class Interrupted(NeurokitError):
    """Training stopped by Ctrl-C (or stop_after_steps) after writing a resumable checkpoint."""

    exit_code = 130


class StepModule(nn.Module):
    """Routes forward() to the task's steps so that DDP/FSDP/compile see one forward."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, batch: Any, train: bool = True):
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
    best_loss: float | None = (
        None  # breaks ties of the monitored metric (e.g. balanced accuracy 1.0)
    )
    bad_evals: int = 0
    stopped_early: bool = False


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


def _scalar(value: Any) -> float:
    return float(value.detach().float().item()) if isinstance(value, torch.Tensor) else float(value)


class DefaultTrainer:
    """AdamW + warmup/cosine, accumulation, clipping, autocast, EMA, DDP; exact resume."""

    def __init__(self, config: TrainerConfig | None = None) -> None:
        self.config = config or TrainerConfig()
        self._interrupted = False

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

    def _wrap(self, module: nn.Module) -> nn.Module:
        step_module = StepModule(module)
        wrapped: nn.Module = step_module
        if self.dist.enabled and self.fsdp:
            # FSDP2: shard each transformer block, then the rest; parameters become DTensors in place.
            from torch.distributed.device_mesh import init_device_mesh
            from torch.distributed.fsdp import fully_shard

            mesh = init_device_mesh(self.device.type, (self.dist.world_size,))
            blocks = getattr(getattr(module, "backbone", None), "blocks", None)
            if isinstance(blocks, nn.ModuleList):
                for block in blocks:
                    fully_shard(block, mesh=mesh)
            fully_shard(step_module, mesh=mesh)
        elif self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            wrapped = DDP(
                step_module,
                device_ids=ids,
                find_unused_parameters=self.config.find_unused_parameters,
            )
        self._parallel = wrapped  # DDP / FSDP root, for gradient-sync control under compile
        if self.config.compile:
            wrapped = torch.compile(wrapped)
        return wrapped

    def _optimizer(self, module: nn.Module):
        c = self.config
        groups = param_groups(module, c.weight_decay, c.layer_decay)
        if not groups:
            raise ConfigError("the task module has no trainable parameters")
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
    def _catch_sigint(self):
        """First Ctrl-C: finish the step, checkpoint, stop. Second: stop now (checkpoint intact)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum, frame):
            if self._interrupted:
                raise KeyboardInterrupt
            self._interrupted = True
            if self.dist.is_main:
                out.warning("interrupt: stopping after this step (Ctrl-C again to stop now)")

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

    def _model_state(self, module: nn.Module, wrapped: nn.Module) -> dict[str, torch.Tensor]:
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import (
                StateDictOptions,
                get_model_state_dict,
            )

            state = get_model_state_dict(
                wrapped, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
            )
            return {k.removeprefix("module."): v for k, v in state.items()}
        return {k: v.detach().cpu() for k, v in module.state_dict().items()}

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

    def _save_last(
        self,
        context: RunContext,
        module,
        wrapped,
        optimizer,
        scheduler,
        scaler,
        ema,
        progress: Progress,
        pending: dict[str, Any],
    ) -> None:
        model_state = self._model_state(module, wrapped)
        optim_state = self._optim_state(wrapped, optimizer)
        rng = ckpt.rng_state()
        if self.dist.enabled:
            gathered: list[Any] = [None] * self.dist.world_size
            torch.distributed.all_gather_object(gathered, rng)
            rng_all = gathered
        else:
            rng_all = [rng]
        if self.dist.is_main and context.run_dir is not None:
            state = {
                "format": CHECKPOINT_FORMAT,
                "version": 1,
                "model": model_state,
                "optimizer": optim_state,
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict(),
                "ema": ema.state_dict() if ema is not None else None,
                "rng": rng_all,
                "progress": asdict(progress),
                "pending": pending,
                "world_size": self.dist.world_size,
                "config": context.config.model_dump(mode="json"),
            }
            ckpt.save_atomic(state, context.run_dir / rundir.LAST)
        dist_utils.barrier()

    def _save_best(
        self,
        context: RunContext,
        model_state: dict[str, torch.Tensor],
        progress: Progress,
        monitor: str,
        metrics: dict[str, Any],
    ) -> None:
        if not self.dist.is_main or context.run_dir is None:
            return
        scalars = {k: _plain(v) for k, v in metrics.items() if k != "confusion_matrix"}
        ckpt.save_atomic(
            {
                "format": CHECKPOINT_FORMAT,
                "version": 1,
                "kind": "best",
                "model": model_state,
                "epoch": progress.epoch,
                "step": progress.step,
                "monitor": monitor,
                "value": _plain(progress.best_value),
                "metrics": scalars,
                "config": context.config.model_dump(mode="json"),
            },
            context.run_dir / rundir.BEST,
        )

    def _restore(
        self, path: Path, module, wrapped, optimizer, scheduler, scaler, ema
    ) -> tuple[Progress, dict]:
        state = ckpt.load(path, map_location="cpu")
        if state.get("format") != CHECKPOINT_FORMAT or "optimizer" not in state:
            raise DataError(f"{str(path)!r} is not a resumable neurokit checkpoint")
        if state.get("world_size", 1) != self.dist.world_size:
            raise ConfigError(
                f"{str(path)!r} was written by {state['world_size']} process(es); resume with the same "
                f"number (now {self.dist.world_size}) so that batches replay exactly"
            )
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

            set_state_dict(
                wrapped,
                optimizer,
                model_state_dict={f"module.{k}": v for k, v in state["model"].items()},
                optim_state_dict=state["optimizer"],
                options=StateDictOptions(full_state_dict=True),
            )
        else:
            module.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        if ema is not None:
            if state.get("ema") is None:
                raise ConfigError("trainer.ema is on but the checkpoint has no EMA state")
            ema.load_state_dict(state["ema"])
        ckpt.set_rng_state(state["rng"][self.dist.rank])
        return Progress(**state["progress"]), state.get("pending") or {}

    # -------------------------------------------------------------- evaluation

    @torch.no_grad()
    def _run_eval(
        self, module: nn.Module, wrapped: nn.Module, dataset, context: RunContext
    ) -> dict[str, Any]:
        """Loss, step logs and the module's metrics over a whole split (all ranks)."""
        world, rank = self.dist.world_size, self.dist.rank
        sampler = ShardSampler(len(dataset), world, rank)
        real = len(sampler)
        if self.fsdp:  # FSDP needs the same number of forwards on every rank
            per_rank = math.ceil(len(dataset) / world)
            sampler.indices += sampler.indices[: per_rank - real] if real else []
        loader = self._loader(dataset, sampler, context, self.seed)
        runner = wrapped if self.fsdp else StepModule(module)
        was_training = module.training
        module.eval()
        loss_sum, count, seen = 0.0, 0, 0
        log_sums: dict[str, float] = {}
        preds: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        for batch in loader:
            batch = batch.to(self.device, non_blocking=True)
            with self._autocast():
                step = runner(batch, train=False)
            n = min(len(batch), real - seen)
            seen += len(batch)
            if n <= 0:
                continue
            loss_sum += _scalar(step.loss) * n
            count += n
            for key, value in step.logs.items():
                log_sums[key] = log_sums.get(key, 0.0) + _scalar(value) * n
            if step.predictions is not None and step.targets is not None:
                preds.append(step.predictions[:n].detach().float().cpu().numpy())
                targets.append(step.targets[:n].detach().float().cpu().numpy())
        module.train(was_training)
        totals = np.array([loss_sum, count], dtype=np.float64)
        sums = np.array([log_sums.get(k, 0.0) for k in sorted(log_sums)], dtype=np.float64)
        if self.dist.enabled:
            packed = torch.tensor(np.concatenate([totals, sums]))
            torch.distributed.all_reduce(packed)
            totals, sums = packed[:2].numpy(), packed[2:].numpy()
        n_total = max(float(totals[1]), 1.0)
        result: dict[str, Any] = {
            k: float(v) / n_total for k, v in zip(sorted(log_sums), sums, strict=True)
        }
        result["loss"] = float(totals[0]) / n_total
        if hasattr(module, "compute_metrics"):
            local = [
                np.concatenate(preds) if preds else np.zeros((0,)),
                np.concatenate(targets) if targets else np.zeros((0,)),
            ]
            all_preds, all_targets = dist_utils.gather_arrays(local)
            if len(all_targets):
                result.update(module.compute_metrics(all_preds, all_targets))
        return result

    def evaluate(self, module: nn.Module, context: RunContext, split: str) -> dict[str, Any]:
        """Metrics of the module's current weights on `split` (used by `neurokit eval`)."""
        if not hasattr(self, "device"):
            self._setup(context)
        dataset = context.datasets.get(split)
        if dataset is None or len(dataset) == 0:
            raise DataError(f"split {split!r} has no windows to evaluate")
        module.to(self.device)
        return self._run_eval(module, module, dataset, context)

    # ------------------------------------------------------------------- fit

    def fit(self, module: nn.Module, context: RunContext) -> dict[str, Any]:
        """Train, select on val, test the selected weights, write the report."""
        self._setup(context)
        c = self.config
        started = time.time()
        train_set = context.datasets.get("train")
        if train_set is None or len(train_set) == 0:
            raise DataError("the training split has no windows")
        if context.run_dir is not None and self.dist.is_main:
            (context.run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        val_set = context.datasets.get("val")
        test_set = context.datasets.get("test")
        module.to(self.device)
        module.train()
        wrapped = self._wrap(module)
        optimizer = self._optimizer(module)
        sampler = ResumableSampler(
            train_set, self.dist.world_size, self.dist.rank, shuffle=True, seed=self.seed
        )
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
        warmup = (
            c.warmup_steps
            if c.warmup_steps is not None
            else round(c.warmup_epochs * steps_per_epoch)
        )
        scheduler = make_scheduler(
            optimizer, total_steps, min(warmup, total_steps), c.lr, c.min_lr, c.warmup_start_lr
        )
        scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")
        ema = None
        if c.ema:
            from torch_ema import ExponentialMovingAverage

            ema = ExponentialMovingAverage(
                [p for p in module.parameters() if p.requires_grad], decay=c.ema_decay
            )
        monitor = c.monitor or getattr(module, "monitor", None) or "loss"
        minimise = lower_is_better(monitor)
        log = rundir.MetricsLog(
            context.run_dir / rundir.METRICS if context.run_dir else Path("/dev/null"),
            enabled=self.dist.is_main and context.run_dir is not None,
        )
        progress, pending = Progress(), {}
        last_path = context.run_dir / rundir.LAST if context.run_dir else None
        if context.resume:
            if last_path is None or not last_path.is_file():
                raise DataError(f"nothing to resume: {str(last_path)!r} does not exist")
            progress, pending = self._restore(
                last_path, module, wrapped, optimizer, scheduler, scaler, ema
            )
            log.truncate_after(progress.step)
            if self.dist.is_main:
                out.console.print(f"resuming at epoch {progress.epoch + 1}, step {progress.step}")
        start_step = progress.step  # stop_after_steps counts the steps of this invocation
        acc_loss = torch.tensor(
            float(pending.get("loss_sum", 0.0)), dtype=torch.float64, device=self.device
        )
        acc_logs = {
            k: torch.tensor(float(v), dtype=torch.float64, device=self.device)
            for k, v in pending.get("log_sums", {}).items()
        }
        acc_count = int(pending.get("count", 0))

        def pending_state() -> dict[str, Any]:
            return {
                "loss_sum": float(acc_loss),
                "count": acc_count,
                "log_sums": {k: float(v) for k, v in acc_logs.items()},
            }

        def save_last() -> None:
            self._save_last(
                context,
                module,
                wrapped,
                optimizer,
                scheduler,
                scaler,
                ema,
                progress,
                pending_state(),
            )

        bar = self._progress_bar()
        stop_reason = None
        with self._catch_sigint(), bar or contextlib.nullcontext():
            task = (
                bar.add_task("train", total=total_steps, completed=progress.step) if bar else None
            )
            while (
                progress.epoch < c.epochs
                and progress.step < total_steps
                and not progress.stopped_early
            ):
                epoch = progress.epoch
                sampler.set_epoch(epoch)
                sampler.set_start(progress.batch_in_epoch * self.batch_size)
                loader = self._loader(train_set, sampler, context, self.seed + epoch)
                remaining = steps_per_epoch * c.accumulate - progress.batch_in_epoch
                optimizer.zero_grad(set_to_none=True)
                for batch in itertools.islice(loader, remaining):
                    progress.batch_in_epoch += 1
                    boundary = progress.batch_in_epoch % c.accumulate == 0
                    batch = batch.to(self.device, non_blocking=True)
                    sync = contextlib.nullcontext()
                    if self.fsdp:
                        self._parallel.set_requires_gradient_sync(boundary)
                    elif self.dist.enabled and not boundary:
                        sync = self._parallel.no_sync()
                    with sync:
                        with self._autocast():
                            step_out = wrapped(batch, train=True)
                        loss = step_out.loss
                        scaler.scale(loss / c.accumulate).backward()
                    acc_loss += loss.detach().double()
                    for key, value in step_out.logs.items():
                        acc_logs[key] = (
                            acc_logs.get(
                                key, torch.zeros((), dtype=torch.float64, device=self.device)
                            )
                            + torch.as_tensor(value, device=self.device).detach().double()
                        )
                    acc_count += 1
                    if not boundary:
                        continue
                    grad_norm = self._optimizer_step(module, wrapped, optimizer, scaler)
                    scheduler.step()
                    if ema is not None:
                        ema.update()
                    progress.step += 1
                    if bar:
                        bar.update(task, completed=progress.step)
                    if progress.step % c.log_every == 0 or progress.step == total_steps:
                        # the only host sync of a step, every log_every steps
                        record = {
                            "train/loss": float(acc_loss) / acc_count,
                            **{f"train/{k}": float(v) / acc_count for k, v in acc_logs.items()},
                        }
                        if not math.isfinite(record["train/loss"]):
                            raise NeurokitError(
                                f"training loss is {record['train/loss']} before step {progress.step} (the "
                                "last checkpoint is intact); lower trainer.lr or set trainer.clip_grad"
                            )
                        if bar:
                            bar.update(
                                task,
                                description=f"epoch {epoch + 1}/{c.epochs} loss {record['train/loss']:.4f}",
                            )
                        if grad_norm is not None:
                            record["train/grad_norm"] = grad_norm
                        record = dist_utils.all_reduce_mean(record)
                        log.write(
                            {
                                "step": progress.step,
                                "epoch": epoch,
                                "lr": max(g["lr"] for g in optimizer.param_groups),
                                **record,
                            }
                        )
                        acc_loss.zero_()
                        acc_logs.clear()
                        acc_count = 0
                    if progress.step >= total_steps:
                        break
                    stop_requested = self._should_stop()
                    limit = (
                        c.stop_after_steps is not None
                        and progress.step - start_step >= c.stop_after_steps
                    )
                    if (
                        stop_requested
                        or limit
                        or (c.checkpoint_every and progress.step % c.checkpoint_every == 0)
                    ):
                        save_last()
                    if stop_requested or limit:
                        stop_reason = "interrupted" if stop_requested else "stop_after_steps"
                        break
                if stop_reason:
                    break
                # end of epoch (or of the step budget)
                progress.epoch += 1
                progress.batch_in_epoch = 0
                last_epoch = progress.epoch >= c.epochs or progress.step >= total_steps
                if (
                    val_set is not None
                    and len(val_set)
                    and (progress.epoch % c.eval_every == 0 or last_epoch)
                ):
                    self._validate(
                        module, wrapped, val_set, context, ema, progress, monitor, minimise, log
                    )
                elif val_set is None or not len(val_set):
                    progress.best_epoch, progress.best_step = progress.epoch, progress.step
                    with self._ema_weights(ema):
                        self._save_best(
                            context, self._model_state(module, wrapped), progress, monitor, {}
                        )
                if c.early_stopping and progress.bad_evals >= c.early_stopping:
                    progress.stopped_early = True
                    if self.dist.is_main:
                        out.console.print(
                            f"early stopping: no val {monitor} improvement in {progress.bad_evals} evaluations"
                        )
                save_last()
                if self._should_stop():
                    stop_reason = "interrupted"
                    break
        if stop_reason:
            where = context.run_dir if context.run_dir else "the run directory"
            raise Interrupted(
                f"{stop_reason} at step {progress.step}; the last checkpoint is intact. "
                f"Resume with: neurokit train --resume {where}"
            )
        return self._finish(module, wrapped, context, test_set, progress, monitor, started, log)

    def _optimizer_step(self, module, wrapped, optimizer, scaler) -> float | None:
        grad_norm = None
        if self.config.clip_grad is not None:
            scaler.unscale_(optimizer)
            params = [p for p in module.parameters() if p.grad is not None]
            norm = torch.nn.utils.clip_grad_norm_(params, self.config.clip_grad)
            grad_norm = float(norm.full_tensor() if hasattr(norm, "full_tensor") else norm)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        return grad_norm

    @contextlib.contextmanager
    def _ema_weights(self, ema):
        if ema is None:
            yield
        else:
            with ema.average_parameters():
                yield

    def _validate(
        self,
        module,
        wrapped,
        val_set,
        context,
        ema,
        progress: Progress,
        monitor: str,
        minimise: bool,
        log: rundir.MetricsLog,
    ) -> None:
        with self._ema_weights(ema):
            metrics = self._run_eval(module, wrapped, val_set, context)
            value = metrics.get(monitor)
            if value is None and monitor not in metrics:
                raise ConfigError(
                    f"trainer.monitor: {monitor!r} is not a validation metric "
                    f"(known: {', '.join(sorted(k for k in metrics if k != 'confusion_matrix'))})"
                )
            loss = float(metrics["loss"])
            tie_better = (
                value == progress.best_value
                and progress.best_loss is not None
                and loss < progress.best_loss
            )
            improved = value is not None and (
                progress.best_value is None
                or (value < progress.best_value if minimise else value > progress.best_value)
            )
            better = (
                improved or tie_better
            )  # selection breaks ties on val loss; patience needs improvement
            progress.bad_evals = 0 if improved else progress.bad_evals + 1
            if better:
                progress.best_value, progress.best_epoch, progress.best_step = (
                    _plain(value),
                    progress.epoch,
                    progress.step,
                )
                progress.best_loss = loss
                self._save_best(
                    context, self._model_state(module, wrapped), progress, monitor, metrics
                )
        scalars = {
            f"val/{k}": v for k, v in metrics.items() if isinstance(v, int | float) or v is None
        }
        log.write({"step": progress.step, "epoch": progress.epoch, **scalars})
        if self.dist.is_main:
            shown = "n/a" if value is None else f"{value:.4f}"
            out.console.print(
                f"epoch {progress.epoch}: val loss {metrics['loss']:.4f}, {monitor} {shown}"
                + (" (best)" if better else ""),
                highlight=False,
            )

    def _finish(
        self,
        module,
        wrapped,
        context: RunContext,
        test_set,
        progress: Progress,
        monitor: str,
        started: float,
        log: rundir.MetricsLog,
    ) -> dict[str, Any]:
        """Load the selected weights, test them, write the report."""
        best_path = context.run_dir / rundir.BEST if context.run_dir else None
        dist_utils.barrier()
        best_val: dict[str, Any] = {}
        if best_path is not None and best_path.is_file():
            best = ckpt.load(best_path)
            self._load_weights(module, wrapped, best["model"])
            best_val = best.get("metrics", {})
        test = None
        if test_set is not None and len(test_set):
            test = self._run_eval(module, wrapped, test_set, context)
        report = {
            "run_dir": str(context.run_dir) if context.run_dir else None,
            "model": context.config.model.name,
            "task": context.config.task.name,
            "dataset": context.config.dataset.name,
            "monitor": monitor,
            "best_value": progress.best_value,
            "best_epoch": progress.best_epoch,
            "best_step": progress.step if progress.best_step is None else progress.best_step,
            "steps": progress.step,
            "epochs": progress.epoch,
            "stopped_early": progress.stopped_early,
            "val": best_val,
            "test": test,
            "duration_s": round(time.time() - started, 2),
        }
        if self.dist.is_main and context.run_dir is not None:
            write_report(
                context.run_dir, report, log.read(), list(getattr(module, "class_names", []) or [])
            )
        return report

    def _load_weights(self, module, wrapped, state: dict[str, torch.Tensor]) -> None:
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import (
                StateDictOptions,
                set_model_state_dict,
            )

            set_model_state_dict(
                wrapped,
                {f"module.{k}": v for k, v in state.items()},
                options=StateDictOptions(full_state_dict=True),
            )
        else:
            module.load_state_dict(state)

    def _progress_bar(self):
        if not (self.config.progress and self.dist.is_main):
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=out.console,
            transient=True,
        )
