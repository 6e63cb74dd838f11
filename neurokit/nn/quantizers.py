"""Vector quantizers shared by the tokenizer plugins.

`NormEMAVectorQuantizer` is the BEiT-v2 / LaBraM VQ: inputs and codes live on the unit
sphere, codes are chosen by squared Euclidean distance (equivalently cosine), the
codebook follows an exponential moving average of the assigned inputs instead of a
gradient, and it starts from a cosine k-means over the first batch so that few codes
are born dead. The loss is the commitment term only, with a straight-through estimator.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

__all__ = [
    "CodebookEMA",
    "NormEMAVectorQuantizer",
    "cosine_kmeans",
    "ema_",
    "l2norm",
    "nearest_codes",
    "norm_ema_step_",
]


def l2norm(t: torch.Tensor) -> torch.Tensor:
    return F.normalize(t, p=2, dim=-1)


def _all_reduce(t: torch.Tensor) -> torch.Tensor:
    """Sum across processes so every rank keeps the same codebook."""
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(t)
    return t


def nearest_codes(z: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Indices of the codes (K, D) nearest to flat vectors z (N, D) in squared distance."""
    d = z.pow(2).sum(dim=1, keepdim=True) + weight.pow(2).sum(dim=1) - 2 * (z @ weight.t())
    return d.argmin(dim=1)


@torch.no_grad()
def ema_(target: torch.Tensor, value: torch.Tensor, decay: float) -> None:
    """target <- decay * target + (1 - decay) * value, in place."""
    target.mul_(decay).add_(value, alpha=1 - decay)


@torch.no_grad()
def norm_ema_step_(
    weight: torch.Tensor,
    flat: torch.Tensor,
    indices: torch.Tensor,
    bins: torch.Tensor,
    decay: float,
) -> None:
    """One normalised-EMA codebook step, in place on `weight` (K, D).

    Each used code moves towards the unit mean of the inputs assigned to it (`bins`
    counts them, already summed over ranks), then back onto the sphere; unused codes
    stay where they are.
    """
    sums = torch.zeros_like(weight).index_add_(0, indices, flat.to(weight.dtype))
    sums = _all_reduce(sums)
    empty = bins == 0
    means = l2norm(sums / bins.masked_fill(empty, 1)[:, None].to(weight.dtype))
    means = torch.where(empty[:, None], weight, means)
    ema_(weight, means, decay)
    weight.copy_(l2norm(weight))


def cosine_kmeans(
    samples: torch.Tensor,
    num_clusters: int,
    num_iters: int = 10,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Spherical k-means: (N, D) unit vectors -> (K, D) unit means, (K,) cluster sizes.

    Means start from random samples (with replacement when N < K); empty clusters keep
    their previous mean, as in the reference.
    """
    n, dim = samples.shape
    device = samples.device
    if n >= num_clusters:
        idx = torch.randperm(n, generator=generator, device="cpu")[:num_clusters].to(device)
    else:
        idx = torch.randint(0, n, (num_clusters,), generator=generator, device="cpu").to(device)
    means = samples[idx]
    bins = torch.zeros(num_clusters, dtype=torch.long, device=device)
    for _ in range(num_iters):
        buckets = (samples @ means.t()).argmax(dim=-1)
        bins = torch.bincount(buckets, minlength=num_clusters)
        empty = bins == 0
        sums = samples.new_zeros(num_clusters, dim).index_add_(0, buckets, samples)
        new_means = l2norm(sums / bins.masked_fill(empty, 1)[:, None].to(samples.dtype))
        means = torch.where(empty[:, None], means, new_means)
    return means, bins


class CodebookEMA(nn.Module):
    """The codebook and its EMA statistics, all buffers (never touched by the optimiser).

    Buffer names (`weight`, `cluster_size`, `embed_avg`, `initted`) are the reference's.
    """

    def __init__(self, num_codes: int, dim: int, kmeans_init: bool = True) -> None:
        super().__init__()
        weight = torch.zeros(num_codes, dim) if kmeans_init else l2norm(torch.randn(num_codes, dim))
        self.register_buffer("weight", weight)
        self.register_buffer("cluster_size", torch.zeros(num_codes))
        self.register_buffer("embed_avg", weight.clone())
        self.register_buffer("initted", torch.tensor([float(not kmeans_init)]))

    @property
    def is_initialised(self) -> bool:
        # once seen set, remember it in Python: no device sync per forward after that
        if not getattr(self, "_seen_initted", False):
            self._seen_initted = bool(self.initted.item())
        return self._seen_initted

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        self._seen_initted = False  # the loaded `initted` decides again
        super()._load_from_state_dict(*args, **kwargs)

    @torch.no_grad()
    def init_from(self, data: torch.Tensor) -> None:
        """k-means init from the first batch (all ranks get rank 0's codebook)."""
        means, bins = cosine_kmeans(data.float(), self.weight.shape[0])
        if dist.is_available() and dist.is_initialized():
            dist.broadcast(means, 0)
            dist.broadcast(bins, 0)
        self.weight.copy_(means)
        self.cluster_size.copy_(bins)
        self.initted.fill_(1.0)
        self._seen_initted = True

    def forward(self, indices: torch.Tensor) -> torch.Tensor:
        return F.embedding(indices, self.weight)


class NormEMAVectorQuantizer(nn.Module):
    """L2-normalised EMA vector quantizer (BEiT-v2 `NormEMAVectorQuantizer`).

    `forward(z)` takes (..., dim) and returns (z_q, loss, indices) with z_q straight-through
    (same shape as z), loss = beta * MSE(sg(z_q), z) and indices shaped like z without its
    last axis. `cluster_size` is an EMA of code usage, updated in train and eval mode alike
    (the reference does so; it is how codebook usage is reported).
    """

    def __init__(
        self,
        num_codes: int,
        dim: int,
        beta: float = 1.0,
        decay: float = 0.99,
        eps: float = 1e-5,
        kmeans_init: bool = True,
    ) -> None:
        super().__init__()
        self.num_tokens, self.codebook_dim = num_codes, dim
        self.beta, self.decay, self.eps = beta, decay, eps
        self.embedding = CodebookEMA(num_codes, dim, kmeans_init)
        self.register_buffer("cluster_size", torch.zeros(num_codes))
        self.update = True

    def reset_cluster_size(self) -> None:
        self.cluster_size.zero_()

    def codebook_usage(self, threshold: float = 1e-3) -> float:
        """Fraction of codes whose EMA usage is above `threshold` (assignments per batch)."""
        return (self.cluster_size > threshold).float().mean().item()

    def nearest(self, z: torch.Tensor) -> torch.Tensor:
        """Indices of the nearest codes for flat unit vectors z (N, dim)."""
        return nearest_codes(z, self.embedding.weight)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        shape = z.shape
        z = l2norm(z)
        flat = z.reshape(-1, self.codebook_dim)
        if not self.embedding.is_initialised:
            self.embedding.init_from(flat.detach())
        indices = self.nearest(flat)
        z_q = self.embedding(indices).view(shape)
        with torch.no_grad():
            bins = _all_reduce(torch.bincount(indices, minlength=self.num_tokens).to(flat.dtype))
            ema_(self.cluster_size, bins, self.decay)
            if self.training and self.update:
                norm_ema_step_(self.embedding.weight, flat.detach(), indices, bins, self.decay)
        loss = self.beta * F.mse_loss(z_q.detach(), z)
        z_q = z + (z_q - z).detach()
        return z_q, loss, indices.view(shape[:-1])


def codebook_usage(counts: np.ndarray) -> dict[str, float]:
    """Share and number of codes used, and the perplexity of their distribution.

    `counts` holds how often each code was chosen over an evaluation split; a collapsed
    tokenizer shows up as a handful of codes and a perplexity near 1.
    """
    total = counts.sum()
    if total == 0:
        return {"codebook_usage": 0.0, "codes_used": 0.0, "code_perplexity": 0.0}
    prob = counts[counts > 0] / total
    return {
        "codebook_usage": float((counts > 0).mean()),
        "codes_used": float((counts > 0).sum()),
        "code_perplexity": float(np.exp(-(prob * np.log(prob)).sum())),
    }
