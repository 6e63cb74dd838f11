"""The `tiny-cnn` module."""

from __future__ import annotations

import torch
from torch import nn

from neurokit.core.data.batch import Batch
from neurokit.core.interfaces import BackboneOutput


class TinyCNN(nn.Module):
    """Shared temporal convs per channel, masked mean+max over channels, linear head."""

    def __init__(self, config) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        channels_in, pad = 1, config.kernel_size // 2
        for stage in range(config.depth):
            channels_out = max(4, config.width >> (config.depth - 1 - stage))
            layers += [
                nn.Conv1d(channels_in, channels_out, config.kernel_size, stride=2, padding=pad),
                nn.GroupNorm(1, channels_out),
                nn.GELU(),
            ]
            channels_in = channels_out
        self.features = nn.Sequential(*layers)
        self.num_features = 2 * config.width
        self.dropout = nn.Dropout(config.dropout)
        self.head: nn.Module = nn.Identity()
        self.reset_classifier(config.num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def forward_features(
        self, x: torch.Tensor, channel_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """x (B, C, T) -> pooled (B, 2 * width)."""
        b, c, t = x.shape
        h = self.features(x.reshape(b * c, 1, t) * self.config.input_scale)  # (B*C, F, T')
        h = h.mean(-1).reshape(b, c, -1)  # (B, C, F)
        if channel_mask is None:
            channel_mask = torch.ones(b, c, dtype=torch.bool, device=x.device)
        m = channel_mask.unsqueeze(-1).to(h.dtype)
        mean = (h * m).sum(1) / m.sum(1).clamp_min(1.0)
        peak = h.masked_fill(~channel_mask.unsqueeze(-1), float("-inf")).amax(1)
        return torch.cat([mean, peak], dim=-1)

    def forward(self, x: torch.Tensor, channel_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.dropout(self.forward_features(x, channel_mask)))

    def forward_batch(self, batch: Batch) -> BackboneOutput:
        pooled = self.forward_features(batch.signal, batch.channel_mask)
        logits = self.head(self.dropout(pooled)) if self.num_classes > 0 else None
        return BackboneOutput(
            pooled=pooled, extras={"logits": logits} if logits is not None else {}
        )
