"""LUNA's token embeddings: patch convs, patch spectra and electrode locations.

Every function takes an optional channel mask (B, C), True for real channels, so
that zero-padded channels of a mixed-montage batch change nothing: they are left
out of the patch GroupNorm statistics and of the per-sample location scaling.
Without a mask the computation is the reference one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.nn.layers import Mlp


def masked_group_norm(
    x: torch.Tensor, norm: nn.GroupNorm, row_mask: torch.Tensor | None
) -> torch.Tensor:
    """GroupNorm over (B, E, R, W) whose statistics only use the rows where `row_mask` (B, R)."""
    if row_mask is None:
        return norm(x)
    b, e, r, w = x.shape
    g = norm.num_groups
    xg = x.view(b, g, e // g, r, w)
    m = row_mask.to(x.dtype)[:, None, None, :, None]
    count = (row_mask.sum(1).to(x.dtype) * (e // g) * w).clamp_min(1.0).view(b, 1, 1, 1, 1)
    mean = (xg * m).sum((2, 3, 4), keepdim=True) / count
    var = (((xg - mean) * m) ** 2).sum((2, 3, 4), keepdim=True) / count
    out = ((xg - mean) / torch.sqrt(var + norm.eps)).view(b, e, r, w)
    return out * norm.weight.view(1, e, 1, 1) + norm.bias.view(1, e, 1, 1)


class PatchEmbedNetwork(nn.Module):
    """Three (1, k) convs with GroupNorm(4) + GELU over each 40-sample patch -> D features.

    The first conv (kernel 19, stride 10, padding 9) leaves 4 positions per patch,
    each with D/4 channels, flattened position-major into D: this is why the patch
    size is fixed at 40.
    """

    def __init__(self, embed_dim: int = 64, patch_size: int = 40) -> None:
        super().__init__()
        if patch_size != 40:
            raise ValueError("LUNA's patch embedding is defined for 40-sample patches only")
        width, kernel = embed_dim // 4, patch_size // 2
        self.patch_size = patch_size
        self.proj_in = nn.Sequential(
            nn.Conv2d(
                1, width, (1, kernel - 1), stride=(1, kernel // 2), padding=(0, kernel // 2 - 1)
            ),
            nn.GroupNorm(4, width),
            nn.GELU(),
            nn.Conv2d(width, width, (1, 3), padding=(0, 1)),
            nn.GroupNorm(4, width),
            nn.GELU(),
            nn.Conv2d(width, width, (1, 3), padding=(0, 1)),
            nn.GroupNorm(4, width),
            nn.GELU(),
        )

    def forward(self, x: torch.Tensor, channel_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, C, T), T a multiple of 40 -> (B, C, S, D)."""
        b, c, t = x.shape
        s = t // self.patch_size
        h = x.reshape(b, 1, c * s, self.patch_size)
        row_mask = None if channel_mask is None else channel_mask.repeat_interleave(s, dim=1)
        for layer in self.proj_in:
            h = (
                masked_group_norm(h, layer, row_mask)
                if isinstance(layer, nn.GroupNorm)
                else layer(h)
            )
        # (B, E, C*S, W) -> (B, C*S, W*E): position-major, as the reference flattens it.
        return h.permute(0, 2, 3, 1).reshape(b, c, s, -1)


class FrequencyFeatureEmbedder(nn.Module):
    """|rFFT| and phase of each patch (2 x 21 values) through an MLP to D features."""

    def __init__(self, patch_size: int, embed_dim: int) -> None:
        super().__init__()
        self.patch_size = patch_size
        bins = 2 * (patch_size // 2 + 1)
        self.frequency_to_embed = Mlp(bins, 4 * bins, embed_dim, hidden_drop=0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, T), T a multiple of the patch size -> (B, C, S, D)."""
        b, c, t = x.shape
        spectrum = torch.fft.rfft(
            x.float().view(b, c, t // self.patch_size, self.patch_size), dim=-1
        )
        features = torch.cat((spectrum.abs(), spectrum.angle()), dim=-1).to(x.dtype)
        return self.frequency_to_embed(features)


def nerf_encoding(coords: torch.Tensor, size: int) -> torch.Tensor:
    """sin/cos of coords x 2^k for k < size // 6 per axis, zero-padded to `size` features.

    Features are ordered (octave, axis, sin|cos), the reference's layout.
    """
    n, c, dim = coords.shape
    octaves = size // (2 * dim)
    bands = 2.0 ** torch.arange(octaves, device=coords.device, dtype=coords.dtype)
    scaled = coords.unsqueeze(-1) * bands  # (N, C, dim, octaves)
    enc = torch.stack((scaled.sin(), scaled.cos()), dim=-1).permute(0, 1, 3, 2, 4).reshape(n, c, -1)
    return F.pad(enc, (0, size - enc.shape[-1]))


def normalise_locations(
    locations: torch.Tensor, channel_mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Min-max scale each sample's electrode positions (B, C, 3) to [0, 1] per axis.

    With a mask the range comes from the real channels only; padded rows become 0.
    """
    if channel_mask is None:
        low = locations.min(dim=1, keepdim=True).values
        high = locations.max(dim=1, keepdim=True).values
        return (locations - low) / (high - low + 1e-8)
    keep = channel_mask.unsqueeze(-1)
    low = locations.masked_fill(~keep, float("inf")).min(dim=1, keepdim=True).values
    high = locations.masked_fill(~keep, float("-inf")).max(dim=1, keepdim=True).values
    scaled = (locations - low) / (high - low + 1e-8)
    return scaled.masked_fill(~keep, 0.0)
