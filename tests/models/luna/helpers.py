"""Small LUNA configurations and batches for the LUNA tests."""

from __future__ import annotations

import torch

from neurokit.core.data.batch import Batch
from neurokit.core.data.channels import STANDARD_1020, TCP_NAMES, channel_positions

SMALL = {"embed_dim": 16, "num_queries": 2, "depth": 2}
TCP = list(TCP_NAMES)  # 22 bipolar channels
TEN_TWENTY = list(STANDARD_1020)  # 19 referential channels


def make_batch(montages: list[list[str]], seconds: float = 5.0, sfreq: float = 256.0, seed: int = 0,
               amplitude: float = 30.0) -> Batch:
    """Random microvolt windows, one montage per sample, padded to the widest."""
    g = torch.Generator().manual_seed(seed)
    width, t = max(len(m) for m in montages), round(seconds * sfreq)
    signal = torch.zeros(len(montages), width, t)
    mask = torch.zeros(len(montages), width, dtype=torch.bool)
    positions = torch.zeros(len(montages), width, 3)
    for i, names in enumerate(montages):
        signal[i, : len(names)] = amplitude * torch.randn(len(names), t, generator=g)
        mask[i, : len(names)] = True
        positions[i, : len(names)] = torch.from_numpy(channel_positions(names)[0].copy())
    return Batch(signal=signal, channel_mask=mask, positions=positions,
                 channel_names=[list(m) for m in montages], sfreq=sfreq)


def sub_batch(batch: Batch, index: int) -> Batch:
    """Sample `index` alone, without the padding the batch gave it."""
    c = len(batch.channel_names[index])
    return Batch(signal=batch.signal[index : index + 1, :c], channel_mask=batch.channel_mask[index : index + 1, :c],
                 positions=batch.positions[index : index + 1, :c], channel_names=[batch.channel_names[index]],
                 sfreq=batch.sfreq)
