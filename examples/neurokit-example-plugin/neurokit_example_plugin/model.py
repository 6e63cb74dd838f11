"""The `example-mlp` backbone."""

from __future__ import annotations

import torch
from torch import nn

from neurokit.core.interfaces import BackboneOutput


class ExampleMLP(nn.Module):
    def __init__(self, config) -> None:
        super().__init__()
        self.bands = config.bands
        self.num_features = config.hidden
        self.body = nn.Sequential(
            nn.Linear(config.bands, config.hidden),
            nn.GELU(),
            nn.Linear(config.hidden, config.hidden),
        )
        self.head: nn.Module = nn.Identity()
        self.reset_classifier(config.num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.head = nn.Linear(self.num_features, num_classes) if num_classes else nn.Identity()

    def band_powers(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T) -> (B, C, bands): log power in log-spaced FFT bins."""
        power = torch.fft.rfft(x, dim=-1).abs().pow(2)
        edges = torch.logspace(
            0, torch.log10(torch.tensor(power.shape[-1] - 1.0)), self.bands + 1
        ).long()
        return torch.stack(
            [
                power[..., a : max(b, a + 1)].mean(-1)
                for a, b in zip(edges[:-1], edges[1:], strict=True)
            ],
            -1,
        ).log1p()

    def forward_batch(self, batch) -> BackboneOutput:
        h = self.body(self.band_powers(batch.signal))
        m = batch.channel_mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(1) / m.sum(1).clamp_min(1.0)
        return BackboneOutput(
            pooled=pooled, extras={"logits": self.head(pooled)} if self.num_classes else {}
        )
