"""Store-shaped batches for tests: what a backbone receives from a real run, without a store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The 19 channels of the 10-20 system (old names T3-T6, as TUH and LaBraM use them).
STANDARD_CHANNELS = ["FP1", "FP2", "F7", "F3", "FZ", "F4", "F8", "T3", "C3", "CZ", "C4", "T4",
                     "T5", "P3", "PZ", "P4", "T6", "O1", "O2"]  # fmt: skip


def make_batch(
    montages: Sequence[Sequence[str]],
    seconds: float = 5.0,
    sfreq: float = 256.0,
    seed: int = 0,
    amplitude: float = 30.0,
    labels: Sequence[int] | None = None,
) -> Any:
    """Random microvolt windows, one montage per sample, padded to the widest as a store batch is.

    Built through the same `collate` a run uses, so channel order, padding, mask and
    positions are exactly what a backbone sees in training.
    """
    import torch

    from neurokit.core.data.channels import channel_positions
    from neurokit.core.data.dataset import WindowItem, collate

    g = torch.Generator().manual_seed(seed)
    t = round(seconds * sfreq)
    items = [
        WindowItem(
            signal=(amplitude * torch.randn(len(names), t, generator=g)).numpy(),
            channel_names=tuple(names),
            positions=channel_positions(list(names))[0],
            label=None if labels is None else int(labels[i]),
            recording=f"sample-{i}",
            start=0,
        )
        for i, names in enumerate(montages)
    ]
    return collate(items, sfreq)


def eeg_batch(batch_size: int = 2, seconds: float = 4.0, sfreq: float = 200.0) -> Any:
    """The contract batch: 10-20 channels, the second sample one channel short (padded, masked)."""
    montages = [STANDARD_CHANNELS, STANDARD_CHANNELS[:-1]] * ((batch_size + 1) // 2)
    return make_batch(
        montages[:batch_size],
        seconds,
        sfreq,
        amplitude=20.0,
        labels=[i % 2 for i in range(batch_size)],
    )


def batch_for(model: Any, batch_size: int = 2) -> Any:
    """The batch a backbone declares it reads, else `eeg_batch`.

    A backbone with a fixed input (Du-IN: 4 s at 1000 Hz, at most N contacts) declares
    it with three attributes: `sfreq` (Hz), `seq_len` (samples per window) and
    `n_channels` (the most channels it reads; fewer are padded and masked). A backbone
    without all three must read any window length, rate and channel set.
    """
    if not all(getattr(model, a, None) for a in ("sfreq", "seq_len", "n_channels")):
        return eeg_batch(batch_size)
    names = STANDARD_CHANNELS[: int(model.n_channels)]
    montages = [names, names[:-1]] * ((batch_size + 1) // 2)
    return make_batch(
        montages[:batch_size],
        int(model.seq_len) / float(model.sfreq),
        float(model.sfreq),
        amplitude=20.0,
        labels=[i % 2 for i in range(batch_size)],
    )
