"""Du-IN training losses (the official forwards return their own; these are what stages train on).

The official classifier applies cross-entropy to its Sigmoid outputs: each logit is
squashed into (0, 1) before the softmax inside the cross-entropy, so the loss can never
fall below log(1 + (K-1) e^-1) and its gradients vanish as logits grow. neurokit trains on
the logits by default; `official=True` (`--set task.official_loss=true`) reproduces the
published loss.

Measured on the synthetic 6-word corpus (tests/datasets/duin_corpus.py, subject 001, 2 runs
x 6 trials per word; finetune from scratch, 1-block model, 6 epochs, lr 1e-3, batch 16,
seed 0, no shift): logits CE test accuracy 1.00 (9/9, test loss 0.61); official Sigmoid CE
test accuracy 1.00 (9/9, test loss 1.73, floor 1.04 for 6 classes). The task separates
both; the official loss's floor shows in its loss, not in the accuracy here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def classification_loss(
    logits: torch.Tensor, target: torch.Tensor, official: bool = False
) -> torch.Tensor:
    """Cross-entropy of (B, K) logits against (B,) class indices or (B, K) one-hot targets."""
    inputs = torch.sigmoid(logits) if official else logits
    if target.dtype.is_floating_point and target.dim() == inputs.dim():
        return F.cross_entropy(inputs, target.to(inputs.dtype))
    return F.cross_entropy(inputs, target.long())


def code_loss(c_pred: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """MAE loss: cross-entropy of (B, L, K) code logits against (B, L) code indices."""
    return F.cross_entropy(c_pred.reshape(-1, c_pred.shape[-1]), codes.reshape(-1))


def one_hot_codes(codes: torch.Tensor, codex_size: int, dtype=torch.float32) -> torch.Tensor:
    """(B, L) indices -> (B, L, K) one-hot, the official MAE's `c_true`."""
    return F.one_hot(codes, codex_size).to(dtype)
