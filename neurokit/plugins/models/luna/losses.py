"""The `masked-reconstruction` loss of LUNA pretraining (torch side).

loss = SmoothL1(masked samples) + unmasked_weight * SmoothL1(unmasked samples)
       + query_weight * mean((A A^T with its diagonal zeroed)^2),
with A the head-averaged cross-attention (B*S, Q, C): the query-specialisation
term pushes the Q queries to read different channels. Padded channels are left
out of both reconstruction terms (their attention is zero by construction).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.core.interfaces import LossOutput


def query_specialisation(attention: torch.Tensor) -> torch.Tensor:
    """mean over (N, Q, Q) of the squared off-diagonal query similarities A A^T."""
    q = attention.shape[1]
    similarity = attention @ attention.transpose(1, 2)
    off_diagonal = similarity * (1.0 - torch.eye(q, device=attention.device, dtype=attention.dtype))
    return (off_diagonal**2).mean()


class MaskedReconstructionLoss(nn.Module):
    """Scores a backbone's `pretraining_outputs` (reconstruction, target, token mask, attention)."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.config = config

    def _distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if self.config.loss == "smooth-l1":
            return F.smooth_l1_loss(a, b, beta=self.config.beta)
        if self.config.loss == "l1":
            return F.l1_loss(a, b)
        return F.mse_loss(a, b)

    def forward(self, outputs: Mapping[str, Any], batch: Any = None) -> LossOutput:
        recon, target = outputs["reconstruction"].float(), outputs["target"].float()
        patch, t = int(outputs["patch_size"]), target.shape[-1]
        masked = outputs["token_mask"].repeat_interleave(patch, dim=-1)[..., :t]
        channel_mask = outputs.get("channel_mask")
        real = (
            torch.ones_like(masked)
            if channel_mask is None
            else channel_mask.unsqueeze(-1).expand_as(masked)
        )
        masked_loss = self._distance(recon[masked & real], target[masked & real])
        zero = recon.sum() * 0.0  # keeps the graph when one side is empty
        unmasked = ~masked & real
        unmasked_loss = (
            self._distance(recon[unmasked], target[unmasked]) if unmasked.any() else zero
        )
        if not (masked & real).any():
            masked_loss = zero
        loss = masked_loss + self.config.unmasked_weight * unmasked_loss
        logs = {"masked_loss": masked_loss.detach(), "unmasked_loss": unmasked_loss.detach()}
        attention = outputs.get("attention")
        if self.config.query_weight > 0 and attention is not None:
            query_loss = self.config.query_weight * query_specialisation(attention.float())
            loss = loss + query_loss
            logs["query_loss"] = query_loss.detach()
        return LossOutput(loss, logs)
