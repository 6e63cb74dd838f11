"""Du-IN's training augmentation: each trial shifted in time by up to +-300 samples.

The official loader shifts the z-scored trials and fills the gap with zeros, i.e. with
the channel's mean. A store batch is in microvolts and z-scored later (per window, in
`inputs.py`), so the gap is filled with each channel's window mean, which z-scoring
turns into the official zeros. Applied in the training step only, so validation and
test windows are never shifted.
"""

from __future__ import annotations

from dataclasses import replace

import torch


def random_shift(x: torch.Tensor, max_shift: int, generator=None) -> torch.Tensor:
    """(B, C, T): sample b moved by s_b ~ U{-max_shift..max_shift} samples (s > 0: later),
    the uncovered part filled with the channel's mean over the window."""
    if max_shift <= 0:
        return x
    b, _, t = x.shape
    shifts = torch.randint(-max_shift, max_shift + 1, (b,), generator=generator)
    src = torch.arange(t)[None, :] - shifts[:, None]  # (B, T) source index of each output step
    valid = (src >= 0) & (src < t)
    src = src.clamp(0, t - 1).to(x.device)
    out = torch.gather(x, 2, src[:, None, :].expand(-1, x.shape[1], -1))
    fill = x.mean(-1, keepdim=True)
    return torch.where(valid.to(x.device)[:, None, :], out, fill)


def shifted(batch, max_shift: int, generator=None):
    """The batch with its signal randomly shifted (a new Batch; the input is untouched)."""
    return replace(batch, signal=random_shift(batch.signal, max_shift, generator))
