"""The `example-shallow` backbone: a ShallowConvNet-style network that reads any montage.

ShallowConvNet (Schirrmeister et al. 2017) convolves in time, squares, average-pools
and takes the log: log band power of learned filters. Its spatial convolution spans a
fixed channel list; here each channel is filtered alike and the channels are averaged
under `batch.channel_mask`, so the model reads any channel set, and padded channels
(zeros, mask False) change nothing.
"""

from __future__ import annotations

import torch
from torch import nn

from neurokit import DataError
from neurokit.core.interfaces import BackboneOutput


class ShallowNet(nn.Module):
    def __init__(self, config) -> None:
        super().__init__()
        self.kernel, self.pool = config.kernel, config.pool
        self.num_features = config.filters  # BackboneOutput.pooled width
        self.temporal = nn.Conv1d(1, config.filters, config.kernel, bias=False)
        self.norm = nn.BatchNorm1d(config.filters)
        self.mix = nn.Linear(config.filters, config.filters)
        self.head: nn.Module = nn.Identity()
        self.reset_classifier(config.num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        """A fresh classifier with `num_classes` outputs (0: none, features only)."""
        self.num_classes = num_classes
        self.head = nn.Linear(self.num_features, num_classes) if num_classes else nn.Identity()

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, C, T) microvolts and (B, C) mask -> (B, filters) pooled features."""
        b, c, t = x.shape
        if t < self.kernel + self.pool:
            raise DataError(
                f"example-shallow needs windows of at least {self.kernel + self.pool} samples, "
                f"got {t} (raise data.window_seconds or lower model.kernel / model.pool)"
            )
        real = mask.reshape(-1).bool()  # filter only real channels: padding never reaches the norm
        rows = (x / 50.0).reshape(b * c, 1, t)[real]  # microvolts -> roughly unit scale
        h = self.norm(self.temporal(rows))  # (N, F, T')
        h = nn.functional.avg_pool1d(h.square(), self.pool, max(1, self.pool // 3))
        power = torch.log(h.mean(-1).clamp_min(1e-6))  # (N, F) log band power per channel
        per_channel = power.new_zeros(b * c, power.shape[-1]).index_copy(
            0, real.nonzero().squeeze(1), power
        )
        m = mask.unsqueeze(-1).to(power.dtype)
        pooled = (per_channel.reshape(b, c, -1) * m).sum(1) / m.sum(1).clamp_min(1.0)
        return torch.nn.functional.gelu(self.mix(pooled))

    def forward_batch(self, batch) -> BackboneOutput:
        """neurokit's entry: a store Batch in, pooled features and logits out."""
        pooled = self.forward(batch.signal, batch.channel_mask)
        extras = {"logits": self.head(pooled)} if self.num_classes else {}
        return BackboneOutput(pooled=pooled, extras=extras)
