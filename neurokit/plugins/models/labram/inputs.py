"""Store batch -> LaBraM input: (B, N, A, 200) in uV/100, embedding rows, channel mask.

LaBraM only knows 200 Hz, whole 1-s patches, at most 16 of them, and its own channel
names; anything else is refused with a message saying what to change, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurokit.core.errors import NeurokitError
from neurokit.plugins.models.labram.channels import ChannelError, ChannelMapper


class LabramInputError(NeurokitError):
    """A batch LaBraM cannot take as it is (sampling rate, window length)."""


@dataclass
class LabramInput:
    x: torch.Tensor  # (B, N, A, patch) in uV * scale
    input_chans: list[int] | torch.Tensor  # reference list, or (B, N + 1) rows when samples differ
    channel_mask: torch.Tensor | None  # (B, N) True where a channel is used; None = all

    @property
    def num_tokens(self) -> int:
        return self.x.shape[1] * self.x.shape[2]


def check_window(
    sfreq: float,
    num_samples: int,
    *,
    expected_sfreq: float = 200.0,
    patch_size: int = 200,
    max_patches: int = 16,
) -> int:
    """Number of patches in a window, or a clear error."""
    if abs(float(sfreq) - expected_sfreq) > 1e-6:
        raise LabramInputError(
            f"LaBraM takes {expected_sfreq:g} Hz signals but this store is at {sfreq:g} Hz; "
            f"prepare the data resampled to {expected_sfreq:g} Hz."
        )
    if num_samples % patch_size:
        raise LabramInputError(
            f"LaBraM cuts windows into whole {patch_size}-sample (1 s) patches; a window of {num_samples} "
            "samples is not a whole number of seconds. Choose a window length in whole seconds."
        )
    a = num_samples // patch_size
    if not 1 <= a <= max_patches:
        raise LabramInputError(
            f"LaBraM embeds 1 to {max_patches} one-second patches per channel; this window has {a}. "
            f"Use windows of at most {max_patches} s."
        )
    return a


def resolve_channels(
    batch, mapper: ChannelMapper
) -> tuple[list[int] | torch.Tensor, torch.Tensor | None]:
    """Embedding rows for each sample's real channels; one shared list when all samples agree."""
    b, c = batch.signal.shape[:2]
    mask = (
        batch.channel_mask.bool().cpu()
        if batch.channel_mask is not None
        else torch.ones(b, c, dtype=torch.bool)
    )
    rows = torch.zeros(b, c + 1, dtype=torch.long)
    used = torch.zeros(b, c, dtype=torch.bool)
    for i in range(b):
        positions = mask[i].nonzero().flatten().tolist()
        names = list(batch.channel_names[i])
        if len(names) != len(positions):
            raise ChannelError(
                f"sample {i} has {len(names)} channel names for {len(positions)} real channels"
            )
        for pos, row in zip(positions, mapper.rows(names), strict=True):
            if row is not None:
                rows[i, pos + 1] = row
                used[i, pos] = True
        if not used[i].any():
            raise ChannelError(f"sample {i} has no channel LaBraM knows ({', '.join(names)})")
    if bool(used.all()) and bool((rows == rows[0]).all()):
        return rows[0].tolist(), None
    return rows.to(batch.signal.device), used.to(batch.signal.device)


def to_labram_input(
    batch,
    mapper: ChannelMapper,
    *,
    scale: float = 0.01,
    sfreq: float = 200.0,
    max_patches: int = 16,
    patch_size: int = 200,
) -> LabramInput:
    """Translate a store batch into the reference's input convention."""
    b, c, t = batch.signal.shape
    a = check_window(
        batch.sfreq, t, expected_sfreq=sfreq, patch_size=patch_size, max_patches=max_patches
    )
    input_chans, channel_mask = resolve_channels(batch, mapper)
    x = (batch.signal.float() * scale).reshape(b, c, a, patch_size)
    if channel_mask is not None:
        x = x * channel_mask[:, :, None, None].to(x.dtype)
    return LabramInput(x=x, input_chans=input_chans, channel_mask=channel_mask)
