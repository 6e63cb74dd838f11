"""Random token masking for masked-modelling pretraining, one implementation for every family.

Both conventions draw one uniform number per token and rank the tokens by it; they differ
in which end of the ranking is masked and how the count is rounded, and each family keeps
its own so that a seed gives the masks it always gave:

- `rounding="keep"` (MAE / BEiT, LaBraM): the floor(n * (1 - ratio)) lowest-noise tokens stay
  visible, the rest are masked (so ceil-like n - floor(n * (1 - ratio)) are masked).
- `rounding="mask"` (LUNA): the floor(n * ratio) lowest-noise tokens are masked.

`valid` (B, L) restricts the choice to real tokens (padding is never masked) and makes n the
per-sample count of valid tokens.
"""

from __future__ import annotations

from typing import Literal

import torch


def random_token_mask(
    batch: int,
    tokens: int,
    ratio: float,
    generator: torch.Generator | None = None,
    *,
    valid: torch.Tensor | None = None,
    rounding: Literal["keep", "mask"] = "keep",
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """(batch, tokens) bool, True = masked, chosen uniformly per sample (see module doc)."""
    if rounding not in ("keep", "mask"):
        raise ValueError(f"rounding must be 'keep' or 'mask', not {rounding!r}")
    if valid is not None:
        device = valid.device
    noise = torch.rand(batch, tokens, generator=generator, device=device)
    if valid is None and rounding == "keep":  # MAE's shuffle: keep the first floor(n(1-r))
        keep = int(tokens * (1 - ratio))
        mask = torch.ones(batch, tokens, dtype=torch.bool, device=noise.device)
        return mask.scatter_(1, noise.argsort(dim=1)[:, :keep], False)
    if valid is not None:
        noise = noise.masked_fill(~valid, 2.0)  # padding ranks last
    ranks = noise.argsort(dim=1).argsort(dim=1)
    if rounding == "mask":
        count = tokens * ratio if valid is None else valid.sum(1) * ratio
        return ranks < torch.as_tensor(count, device=noise.device).long().reshape(-1, 1)
    keep = (valid.sum(1) * (1 - ratio)).long().unsqueeze(1)
    return (ranks >= keep) & valid
