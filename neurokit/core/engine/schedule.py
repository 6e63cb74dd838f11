"""Linear warmup then cosine decay, per optimiser step, as LaBraM and LUNA schedule.

The factor multiplies each parameter group's peak lr (which already carries its
layer-decay scale), so the floor `min_lr` is scaled the same way, as in LaBraM.
"""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LambdaLR


def warmup_cosine(
    step: int, total_steps: int, warmup_steps: int, min_ratio: float = 0.0, start_ratio: float = 0.0
) -> float:
    """lr / peak lr at optimiser step `step` (0-based).

    Warmup rises linearly from `start_ratio` at step 0 to 1 at `warmup_steps`; the cosine
    then falls from 1 to `min_ratio` at `total_steps` and stays there.
    """
    if warmup_steps > 0 and step < warmup_steps:
        return start_ratio + (1.0 - start_ratio) * step / warmup_steps
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def make_scheduler(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    warmup_steps: int,
    lr: float,
    min_lr: float = 0.0,
    warmup_start_lr: float = 0.0,
) -> LambdaLR:
    """A LambdaLR whose state dict holds only numbers (safe for weights_only loading)."""
    min_ratio = min_lr / lr if lr > 0 else 0.0
    start_ratio = warmup_start_lr / lr if lr > 0 else 0.0

    def factor(step: int) -> float:
        return warmup_cosine(step, total_steps, warmup_steps, min_ratio, start_ratio)

    return LambdaLR(optimizer, factor)
