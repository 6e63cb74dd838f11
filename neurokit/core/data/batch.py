"""The batch every backbone, objective and task receives from a store."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import torch


@dataclass
class Batch:
    """Windows from a store, padded to the batch's largest channel set.

    `signal` is in microvolts as stored; each model converts to its own units.
    Padded channels are zeros with `channel_mask` False and no name.
    """

    signal: torch.Tensor  # (B, C, T) float32, microvolts
    channel_mask: torch.Tensor  # (B, C) bool, True where a real channel is
    positions: torch.Tensor  # (B, C, 3) float32, metres (mne standard_1005), zeros if unknown
    channel_names: list[list[str]]  # per sample, its real channels in order
    sfreq: float
    label: torch.Tensor | None = None  # (B,) int64 class / float target, or (B, K)
    recording: list[str] = field(default_factory=list)
    start: torch.Tensor | None = None  # (B,) first sample of each window in its recording
    subject: list[str] = field(default_factory=list)  # subject id per sample, as in the catalog
    session: list[str] = field(default_factory=list)  # session id per sample ("" if none)
    # (B,) int64 index into DataInfo.subjects (per-subject layers); -1 where not mapped
    subject_index: torch.Tensor | None = None
    # (B,) int64 index into DataInfo.sources: the store each window came from (mixtures)
    source: torch.Tensor | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.signal.shape[0]

    def _map(self, fn) -> Batch:
        changes = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, torch.Tensor):
                changes[f.name] = fn(value)
        changes["extras"] = {
            k: fn(v) if isinstance(v, torch.Tensor) else v for k, v in self.extras.items()
        }
        return replace(self, **changes)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        return self._map(lambda t: t.to(device, non_blocking=non_blocking))

    def pin_memory(self) -> Batch:
        """Called by DataLoader(pin_memory=True)."""
        return self._map(lambda t: t.pin_memory())

    @property
    def num_channels(self) -> int:
        return self.signal.shape[1]

    @property
    def num_samples(self) -> int:
        return self.signal.shape[2]
