"""From a neurokit Batch to what LUNA was trained on.

LUNA was pretrained on 256 Hz signals, each window z-scored per channel, with
electrode positions from mne's `standard_1005` montage *as set on a recording*,
i.e. in mne's head frame. The store keeps the montage's own (template MRI-frame)
coordinates, so they are moved into the head frame here with mne's fixed
fiducial transform. A store at another rate (the 200 Hz `demo` store) is resampled
on the fly by band-limited (FFT) interpolation: 5 s at 200 Hz become the 1280
samples of a native window.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch

from neurokit.core.errors import DataError
from neurokit.plugins.models.luna.vocab import CHANNEL_VOCAB, VOCAB_INDEX


class LunaInputError(DataError):
    """A batch LUNA cannot read (e.g. channels without a known electrode position)."""


def resample(x: torch.Tensor, num_out: int) -> torch.Tensor:
    """Band-limited resampling of (..., T) to (..., num_out) samples through the rFFT."""
    num_in = x.shape[-1]
    if num_out == num_in:
        return x
    spectrum = torch.fft.rfft(x.float(), dim=-1)
    bins_out = num_out // 2 + 1
    if num_out > num_in:
        if num_in % 2 == 0:  # the old Nyquist bin is shared by +-f: split it
            spectrum[..., num_in // 2] *= 0.5
        spectrum = torch.nn.functional.pad(spectrum, (0, bins_out - spectrum.shape[-1]))
    else:
        spectrum = spectrum[..., :bins_out].clone()
        if num_out % 2 == 0:  # the new Nyquist bin gathers +-f
            spectrum[..., -1] = 2 * spectrum[..., -1].real
    return (torch.fft.irfft(spectrum, n=num_out, dim=-1) * (num_out / num_in)).to(x.dtype)


def zscore(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Per-window, per-channel standardisation (unbiased std, as the reference)."""
    mean = x.mean(dim=-1, keepdim=True)
    std = x.std(dim=-1, keepdim=True)
    return (x - mean) / (std + eps)


@lru_cache(maxsize=1)
def _head_transform() -> np.ndarray:
    """mne's MRI -> head transform of the standard_1005 template (4 x 4)."""
    import mne

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        montage = mne.channels.make_standard_montage("standard_1005")
        return np.asarray(mne.channels.compute_native_head_t(montage)["trans"], dtype=np.float64)


def to_head_frame(positions: torch.Tensor) -> torch.Tensor:
    """Template (MRI-frame) positions (..., 3) in metres -> mne head frame, as LUNA saw them."""
    t = torch.as_tensor(_head_transform(), dtype=positions.dtype, device=positions.device)
    return positions @ t[:3, :3].T + t[:3, 3]


def check_positions(
    positions: torch.Tensor, channel_mask: torch.Tensor, names: Sequence[Sequence[str]]
) -> None:
    """Refuse real channels whose position is unknown (all zeros): LUNA is defined by positions."""
    unknown = channel_mask & (positions.abs().sum(-1) == 0)
    if bool(unknown.any()):
        bad = sorted(
            {names[b][c] if c < len(names[b]) else f"#{c}" for b, c in unknown.nonzero().tolist()}
        )
        raise LunaInputError(
            f"LUNA needs electrode positions, and channel(s) {', '.join(bad)} have none in mne's "
            "standard_1005 montage; rename them to 10-05 names or leave them out of the store"
        )


@lru_cache(maxsize=1)
def _vocab_positions() -> tuple[list[str], np.ndarray]:
    from neurokit.core.data.channels import channel_positions

    pos, known = channel_positions(list(CHANNEL_VOCAB))
    names = [n for n, k in zip(CHANNEL_VOCAB, known, strict=True) if k]
    return names, np.asarray(pos[known], dtype=np.float64)


@lru_cache(maxsize=1024)
def vocab_indices(names: tuple[str, ...]) -> tuple[int, ...]:
    """Rows of `channel_emb` for channel names: the name's own row, or else the row of the
    vocabulary channel nearest in position (so any 10-05 montage can be pretrained on)."""
    from neurokit.core.data.channels import channel_position

    rows = []
    for name in names:
        key = name.upper()
        if key in VOCAB_INDEX:
            rows.append(VOCAB_INDEX[key])
            continue
        pos = channel_position(key)
        if pos is None:
            raise LunaInputError(
                f"channel {name!r} is neither in LUNA's vocabulary nor placeable in 10-05"
            )
        vocab, table = _vocab_positions()
        rows.append(VOCAB_INDEX[vocab[int(np.argmin(((table - pos) ** 2).sum(1)))]])
    return tuple(rows)


def channel_index_tensor(
    names: Sequence[Sequence[str]], num_channels: int, device: torch.device
) -> torch.Tensor:
    """(B, C) vocabulary rows per sample; padded slots get row 0 (they are masked anyway)."""
    out = torch.zeros(len(names), num_channels, dtype=torch.long)
    for b, sample in enumerate(names):
        rows = vocab_indices(tuple(sample))
        out[b, : len(rows)] = torch.tensor(rows, dtype=torch.long)
    return out.to(device)
