"""Process-group helpers: torchrun environment, gathering, rank-0-only side effects.

Under `torchrun` (WORLD_SIZE > 1 in the environment) the process group is
initialised with NCCL on CUDA and gloo on CPU; otherwise everything degrades to a
single process, so the trainer code has no branches for "distributed or not".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_from_env(device_type: str | None = None) -> DistInfo:
    """Join the process group torchrun describes (once); a single process otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        cuda = (device_type or ("cuda" if torch.cuda.is_available() else "cpu")) == "cuda"
        if cuda:
            torch.cuda.set_device(local)
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return DistInfo(rank, world, local)


def current() -> DistInfo:
    if dist.is_available() and dist.is_initialized():
        return DistInfo(
            dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0"))
        )
    return DistInfo()


def barrier() -> None:
    if current().enabled:
        dist.barrier()


def broadcast_object(value: Any) -> Any:
    """Rank 0's `value` on every rank."""
    if not current().enabled:
        return value
    holder = [value]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def all_reduce_sum(values: dict[str, float]) -> dict[str, float]:
    """Sum of scalars over ranks (every rank must pass the same keys)."""
    if not current().enabled or not values:
        return dict(values)
    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t)
    return {k: float(v) for k, v in zip(keys, t.tolist(), strict=True)}


def all_reduce_mean(values: dict[str, float]) -> dict[str, float]:
    """Mean of scalars over ranks (for logging)."""
    if not current().enabled or not values:
        return values
    world = current().world_size
    return {k: v / world for k, v in all_reduce_sum(values).items()}


def gather_rows(rows: np.ndarray) -> np.ndarray:
    """This rank's rows concatenated with every other rank's, in rank order.

    Ranks without rows may pass an empty array of any shape; it is left out.
    """
    if not current().enabled:
        return rows
    parts: list[np.ndarray | None] = [None] * current().world_size
    dist.all_gather_object(parts, rows)
    kept = [p for p in parts if p is not None and p.size]
    return np.concatenate(kept) if kept else rows


def destroy() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
