"""Next-step cross-entropy over all channels and steps (the official `CrossEntropy` loss).

Logits (B, C, T, V) at step t predict code t+1, so the loss pairs logits[..., :-1, :] with
codes[..., 1:]; padded channels (mask False) are left out. Label smoothing is 0 in every
official recipe. Accuracy and the repeat-last-token baseline are returned with it, since
"beats repeating the last token" is the least a forecaster must do.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def next_step_loss(
    logits: torch.Tensor,
    codes: torch.Tensor,
    channel_mask: torch.Tensor | None = None,
    label_smoothing: float = 0.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """(loss, logs) for logits (B, C, T, V) over input codes (B, C, T)."""
    pred, target = logits[:, :, :-1], codes[:, :, 1:]
    losses = F.cross_entropy(
        pred.reshape(-1, pred.shape[-1]).float(),
        target.reshape(-1),
        reduction="none",
        label_smoothing=label_smoothing,
    ).view(target.shape)
    if channel_mask is None:
        weight = torch.ones(target.shape[:2], dtype=losses.dtype, device=losses.device)
    else:
        weight = channel_mask.to(losses.dtype)
    weight = weight[:, :, None].expand_as(losses)
    total = weight.sum().clamp_min(1.0)
    loss = (losses * weight).sum() / total
    with torch.no_grad():
        hit = (pred.argmax(-1) == target).to(losses.dtype)
        repeat = (codes[:, :, :-1] == target).to(losses.dtype)
        logs = {
            "accuracy": (hit * weight).sum() / total,
            "repeat_accuracy": (repeat * weight).sum() / total,
        }
    return loss, logs
