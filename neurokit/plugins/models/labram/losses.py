"""The torch side of LaBraM's objectives (imported when a run builds them)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.core.interfaces import LossOutput
from neurokit.plugins.models.labram.vqnsp import fourier_losses


class VQFourierLoss(nn.Module):
    """VQ-NSP loss: commitment + amplitude + phase reconstruction (reference weights 1, 1, 1)."""

    def __init__(self, config) -> None:
        super().__init__()
        self.config = config
        self.loss_fn = F.smooth_l1_loss if config.loss == "smooth-l1" else F.mse_loss

    def forward(self, outputs: dict[str, torch.Tensor], batch=None) -> LossOutput:
        c = self.config
        parts = fourier_losses(outputs, self.loss_fn)
        loss = c.quant_weight * parts["quant_loss"] + c.amplitude_weight * parts["rec_loss"]
        loss = loss + c.phase_weight * parts["rec_angle_loss"]
        codes = parts["codes"][parts["codes"] >= 0]
        logs = {
            "quant_loss": parts["quant_loss"].detach(),
            "rec_loss": parts["rec_loss"].detach(),
            "rec_angle_loss": parts["rec_angle_loss"].detach(),
            "codes_in_batch": float(codes.unique().numel()),
        }
        return LossOutput(loss, logs)


@dataclass
class MaskedTokenOutputs:
    """Logits at the masked positions of both symmetric passes and the tokenizer's codes there."""

    logits: torch.Tensor  # (M, V)
    targets: torch.Tensor  # (M,)
    logits_sym: torch.Tensor | None = None  # (M', V), the pass with the complementary mask
    targets_sym: torch.Tensor | None = None


class MaskedTokenLoss(nn.Module):
    """Cross-entropy on masked positions, summed over the two symmetric masks (the reference's loss)."""

    def __init__(self, config) -> None:
        super().__init__()
        self.config = config

    def forward(self, outputs: MaskedTokenOutputs, batch=None) -> LossOutput:
        ls = self.config.label_smoothing
        loss = F.cross_entropy(outputs.logits.float(), outputs.targets, label_smoothing=ls)
        with torch.no_grad():
            acc = (outputs.logits.argmax(-1) == outputs.targets).float().mean()
        logs = {"loss_rec": loss.detach(), "mlm_acc": acc}
        if outputs.logits_sym is not None:
            loss_sym = F.cross_entropy(
                outputs.logits_sym.float(), outputs.targets_sym, label_smoothing=ls
            )
            with torch.no_grad():
                acc_sym = (outputs.logits_sym.argmax(-1) == outputs.targets_sym).float().mean()
            logs.update(loss_rec_sym=loss_sym.detach(), mlm_acc_sym=acc_sym)
            loss = loss + loss_sym
        return LossOutput(loss, logs)
