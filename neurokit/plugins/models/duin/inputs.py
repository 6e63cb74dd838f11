"""From a neurokit Batch to the official Du-IN inputs.

The official models read time-major signals (B, seq_len, C) at 1000 Hz, z-scored per
channel, a one-hot subject id (B, n_subjects) and a channel mask (B, C). A store batch is
channel-major microvolts with a per-sample channel mask and, from the data layer v2 on, a
`subject_index` per sample (its index among the run's subjects). Subjects with fewer
contacts than `n_channels` are zero-padded and masked, as the official loader pads them.

Normalisation: the official loader z-scores each channel with statistics over all of a
subject's trials; a batch only sees its own window, so `normalize="window"` z-scores each
window per channel instead (the `duin` dataset also records the subject-level statistics
in each recording's `extra` for a stage that wants the official form).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from neurokit.core.errors import DataError


class DuINInputError(DataError):
    """A batch Du-IN cannot read (wrong rate, length, too many channels, unmapped subject)."""


@dataclass
class DuINInput:
    x: torch.Tensor  # (B, seq_len, n_channels) float32, time-major
    subj_id: torch.Tensor  # (B, n_subjects) one-hot float
    channel_mask: torch.Tensor  # (B, n_channels) bool


def subject_indices(batch, n_subjects: int) -> torch.Tensor:
    """(B,) int64 subject rows: `batch.subject_index` (data layer v2), else extras, else 0
    when the model has a single subject."""
    idx = getattr(batch, "subject_index", None)
    if idx is None or bool((torch.as_tensor(idx) < 0).all()):  # -1: outside a run's subject list
        idx = batch.extras.get("subject_index")
    n = batch.signal.shape[0]
    if idx is None:
        if n_subjects == 1:
            return torch.zeros(n, dtype=torch.long, device=batch.signal.device)
        raise DuINInputError(
            f"Du-IN with {n_subjects} subjects needs each sample's subject index "
            "(batch.subject_index); this batch carries none"
        )
    idx = torch.as_tensor(idx, device=batch.signal.device).long()
    bad = (idx < 0) | (idx >= n_subjects)
    if bool(bad.any()):
        raise DuINInputError(
            f"subject index {idx[bad][0].item()} is outside the model's {n_subjects} subject(s) "
            "(set n_subjects to the number of subjects in the run)"
        )
    return idx


def zscore_window(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """(B, C, T) per-window, per-channel z-score; padded channels stay zero."""
    mean = x.mean(-1, keepdim=True)
    std = x.std(-1, keepdim=True, unbiased=False)
    return ((x - mean) / (std + eps)) * mask[..., None].to(x.dtype)


def to_duin_input(batch, model) -> DuINInput:
    """Check rate, length and channel count, then build the official tuple's tensors."""
    if abs(float(batch.sfreq) - float(model.sfreq)) > 1e-6:
        raise DuINInputError(
            f"Du-IN reads {model.sfreq:g} Hz signals; this batch is at {batch.sfreq:g} Hz "
            "(prepare the store at 1000 Hz)"
        )
    x, mask = batch.signal.float(), batch.channel_mask.bool()
    b, c, t = x.shape
    if t != model.seq_len:
        raise DuINInputError(
            f"Du-IN was built for {model.seq_len} samples ({model.seq_len / model.sfreq:g} s "
            f"windows); the batch has {t} (set the window length or the model's seq_len)"
        )
    if c > model.n_channels:
        raise DuINInputError(
            f"the batch has {c} channels but the model's subject layer takes {model.n_channels} "
            "(set n_channels, or select channels in the dataset)"
        )
    if model.cfg.normalize == "window":
        x = zscore_window(x, mask)
    if c < model.n_channels:
        x = F.pad(x, (0, 0, 0, model.n_channels - c))
        mask = F.pad(mask, (0, model.n_channels - c), value=False)
    idx = subject_indices(batch, model.n_subjects)
    subj_id = F.one_hot(idx, model.n_subjects).to(x.dtype)
    return DuINInput(x=x.transpose(1, 2), subj_id=subj_id, channel_mask=mask)
