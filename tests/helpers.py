"""Batches for model tests, built through the data layer's own `collate`."""

from __future__ import annotations

import torch

from neurokit.core.data.batch import Batch
from neurokit.core.data.channels import channel_positions
from neurokit.core.data.dataset import WindowItem, collate


def make_batch(
    montages: list[list[str]],
    seconds: float = 5.0,
    sfreq: float = 256.0,
    seed: int = 0,
    amplitude: float = 30.0,
) -> Batch:
    """Random microvolt windows, one montage per sample, padded to the widest as a store batch is."""
    g = torch.Generator().manual_seed(seed)
    t = round(seconds * sfreq)
    items = [
        WindowItem(
            signal=(amplitude * torch.randn(len(names), t, generator=g)).numpy(),
            channel_names=tuple(names),
            positions=channel_positions(names)[0],
            label=None,
            recording=f"sample-{i}",
            start=0,
        )
        for i, names in enumerate(montages)
    ]
    return collate(items, sfreq)
