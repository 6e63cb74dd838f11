"""From a neurokit Batch to NeuroLM's official inputs.

A store batch is (B, C, T) microvolts at 200 Hz with a channel mask. NeuroLM reads
x / 100 cut into 1-s patches of 200 samples, time-major (token a * N + n for time a and
channel n), with `input_chans` rows of NeuroLM's 139-name list (LaBraM's 136 names, then
'pad' = 136, 'I1', 'I2'), `input_time` = a, and `input_mask` True on real tokens; padding
tokens (chans 'pad', time 0, zeros) follow the real ones up to `length`, as the official
loaders pad. Each sample keeps only its real channels, so a sample's real tokens are one
block of `n_chans[i] * n_times` and `gpt_mask` applies to it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurokit.core.errors import DataError
from neurokit.plugins.models.labram.channels import STANDARD_1020
from neurokit.plugins.models.neurolm.config import EXTRA_CHANNELS

SFREQ = 200.0
PATCH = 200
CHANNELS: tuple[str, ...] = (*STANDARD_1020, *EXTRA_CHANNELS)
PAD_CHANNEL = CHANNELS.index("pad")  # 136
_ROW = {name.upper(): i for i, name in enumerate(CHANNELS)}


class NeuroLMInputError(DataError):
    """A batch NeuroLM cannot read (rate, length, unknown channel, too many tokens)."""


@dataclass
class NeuroLMInput:
    x: torch.Tensor  # (B, L, 200) float, x / 100, zeros on padding
    input_chans: torch.Tensor  # (B, L) int64
    input_time: torch.Tensor  # (B, L) int64
    input_mask: torch.Tensor  # (B, L) bool, True = real token
    n_chans: list[int]  # real channels per sample
    n_times: int  # patches per channel

    @property
    def n_tokens(self) -> list[int]:
        return [c * self.n_times for c in self.n_chans]

    def gpt_mask(self, length: int | None = None) -> torch.Tensor:
        """(B, 1, P, P) official `gpt_mask` per sample; P = `length` (EEG + text) or L.

        Causal, plus full attention inside each second's channel block, with the EEG
        padding columns zeroed (the same mask as `model.gpt_mask`, built for the batch).
        """
        device = self.x.device
        eeg_len = self.x.shape[1]
        total = length or eeg_len
        pos = torch.arange(total, device=device)
        chans = torch.tensor(self.n_chans, device=device)[:, None]  # (B, 1)
        real = pos[None] < chans * self.n_times  # (B, P): a real EEG token
        block = torch.where(real, pos[None] // chans, -1)
        same = (block[:, :, None] == block[:, None, :]) & real[:, :, None]
        mask = torch.ones(total, total, dtype=torch.bool, device=device).tril()[None] | same
        padding = ~real & (pos[None] < (eeg_len if length else total))  # EEG padding columns
        return (mask & ~padding[:, None, :])[:, None]


def channel_rows(names) -> list[int]:
    """NeuroLM's embedding rows of channel names (case-insensitive)."""
    rows = []
    for name in names:
        row = _ROW.get(str(name).upper())
        if row is None or row == PAD_CHANNEL:
            raise NeuroLMInputError(
                f"channel {name!r} is not one of NeuroLM's channel names (LaBraM's 10-20 list); "
                "rename or drop it in the dataset"
            )
        rows.append(row)
    return rows


def to_neurolm_input(batch, length: int | None = None) -> NeuroLMInput:
    """The official tensors of a Batch, padded to `length` tokens (None: the batch's longest)."""
    if abs(float(batch.sfreq) - SFREQ) > 1e-6:
        raise NeuroLMInputError(
            f"NeuroLM reads 200 Hz signals; this batch is at {batch.sfreq:g} Hz "
            "(prepare the store with the neurolm profile)"
        )
    signal, mask = batch.signal.float(), batch.channel_mask.bool()
    b, _, t = signal.shape
    if t % PATCH:
        raise NeuroLMInputError(
            f"NeuroLM cuts 1-s patches of {PATCH} samples; a window of {t} samples is not whole "
            "seconds (set data.window_seconds to an integer)"
        )
    times = t // PATCH
    if times > 64:
        raise NeuroLMInputError(f"NeuroLM embeds at most 64 s per window; this one is {times} s")
    n_chans = [int(m.sum()) for m in mask]
    longest = max(n_chans) * times
    length = length or longest
    if longest > length:
        raise NeuroLMInputError(
            f"a window has {longest} tokens ({max(n_chans)} channels x {times} s), more than "
            f"the {length} the stage pads to (raise task.eeg_max_len or shorten the window)"
        )
    device = signal.device
    x = torch.zeros(b, length, PATCH, device=device)
    chans = torch.full((b, length), PAD_CHANNEL, dtype=torch.long, device=device)
    time = torch.zeros(b, length, dtype=torch.long, device=device)
    real = torch.zeros(b, length, dtype=torch.bool, device=device)
    for i in range(b):
        c = n_chans[i]
        if c == 0:
            raise NeuroLMInputError(f"window {i} of the batch has no real channel")
        rows = torch.tensor(channel_rows(batch.channel_names[i][:c]), device=device)
        patches = signal[i][mask[i]].reshape(c, times, PATCH).transpose(0, 1)  # (times, c, 200)
        n = c * times
        x[i, :n] = patches.reshape(n, PATCH) / 100.0
        chans[i, :n] = rows.repeat(times)
        time[i, :n] = torch.arange(times, device=device).repeat_interleave(c)
        real[i, :n] = True
    return NeuroLMInput(x, chans, time, real, n_chans, times)
