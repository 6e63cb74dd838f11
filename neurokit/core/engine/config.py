"""Options of the default trainer (the `trainer` section of a run config)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from neurokit.core.interfaces import ComponentConfig


class TrainerConfig(ComponentConfig):
    """Options of the `default` trainer."""

    epochs: int = Field(10, ge=1, description="passes over the training split")
    max_steps: int | None = Field(
        None, ge=1, description="cap on optimiser steps (the schedule ends there)"
    )
    lr: float = Field(1e-3, gt=0, description="peak learning rate (after warmup)")
    min_lr: float = Field(1e-6, ge=0, description="cosine floor")
    warmup_epochs: float = Field(0.0, ge=0, description="linear warmup length in epochs")
    warmup_steps: int | None = Field(
        None, ge=0, description="warmup length in steps (overrides warmup_epochs)"
    )
    warmup_start_lr: float = Field(0.0, ge=0, description="lr at the first warmup step")
    weight_decay: float = Field(
        0.05, ge=0, description="AdamW weight decay (not on norms, biases, embeddings)"
    )
    betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = Field(
        (0.9, 0.999), description="AdamW betas, each in [0, 1)"
    )
    eps: float = Field(1e-8, gt=0, description="AdamW epsilon")
    layer_decay: float = Field(
        1.0, gt=0, le=1, description="layer-wise lr decay (1 = off; needs a LayeredBackbone)"
    )
    accumulate: int = Field(1, ge=1, description="micro-batches per optimiser step")
    clip_grad: float | None = Field(None, gt=0, description="clip the global gradient norm to this")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto", description="autocast dtype; auto = bf16 on CUDA, fp32 on CPU"
    )
    device: str = Field("auto", description="auto, cpu, cuda or cuda:N")
    ema: bool = Field(False, description="keep an EMA of the weights; evaluate and select with it")
    ema_decay: float = Field(0.999, gt=0, lt=1, description="EMA decay per optimiser step")
    compile: bool = Field(False, description="torch.compile the training step")
    deterministic: bool = Field(
        True, description="deterministic algorithms (exact CPU reproducibility)"
    )
    monitor: str | None = Field(
        None,
        description="val metric selecting the best checkpoint (default: the stage's; "
        "must be one the stage declares)",
    )
    min_delta: float = Field(
        0.0,
        ge=0,
        description="improvement the monitored metric must show to be a new best "
        "(ties within 1e-6 relative are broken by val loss)",
    )
    early_stopping: int | None = Field(
        None, ge=1, description="stop after N evaluations without a new best"
    )
    eval_every: int = Field(1, ge=1, description="validate every N epochs")
    checkpoint_every: int | None = Field(
        None, ge=1, description="also write last.pt every N steps (mid-epoch)"
    )
    stop_after_steps: int | None = Field(
        None,
        ge=1,
        description="end this invocation after N steps with a resumable checkpoint (time-limited jobs)",
    )
    log_every: int = Field(10, ge=1, description="steps between metrics.jsonl lines")
    progress: bool = Field(
        True, description="per-step progress events (the CLI's progress bar) on rank 0"
    )
    strategy: Literal["auto", "ddp", "fsdp"] = Field(
        "auto", description="multi-process strategy under torchrun: DDP (auto) or FSDP"
    )
    find_unused_parameters: bool = Field(
        False, description="DDP option for modules with unused parameters"
    )
