"""The normalised-EMA vector quantizer (neurokit.nn.quantizers)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from neurokit.nn.quantizers import NormEMAVectorQuantizer, cosine_kmeans


def clustered(n_clusters=8, per=64, dim=16, spread=0.05, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = F.normalize(torch.randn(n_clusters, dim, generator=g), dim=-1)
    labels = torch.arange(n_clusters).repeat_interleave(per)
    return (
        centres[labels] + spread * torch.randn(n_clusters * per, dim, generator=g),
        labels,
        centres,
    )


def test_kmeans_init_finds_the_clusters():
    torch.manual_seed(0)
    z, labels, centres = clustered()
    vq = NormEMAVectorQuantizer(32, 16, kmeans_init=True)
    assert not vq.embedding.is_initialised
    vq.eval()(z)
    assert vq.embedding.is_initialised
    w = vq.embedding.weight
    assert torch.allclose(w.norm(dim=-1), torch.ones(32), atol=1e-5)
    # every true centre has a code within a small angle
    assert (centres @ w.t()).max(dim=1).values.min() > 0.98


def test_codes_are_nearest_and_straight_through():
    vq = NormEMAVectorQuantizer(32, 8, kmeans_init=False).eval()
    z = torch.randn(5, 7, 8, requires_grad=True)
    z_q, loss, idx = vq(z)
    assert idx.shape == (5, 7) and z_q.shape == z.shape
    sims = F.normalize(z.detach(), dim=-1) @ vq.embedding.weight.t()
    assert torch.equal(idx, sims.argmax(-1))
    assert torch.allclose(z_q, vq.embedding.weight[idx], atol=1e-6)
    z_q.sum().backward()  # gradient passes straight through to z
    assert z.grad is not None and z.grad.abs().sum() > 0
    assert torch.allclose(
        loss, F.mse_loss(vq.embedding.weight[idx], F.normalize(z.detach(), dim=-1))
    )


def test_ema_moves_used_codes_to_their_inputs_and_keeps_unused():
    torch.manual_seed(1)
    vq = NormEMAVectorQuantizer(16, 8, decay=0.5, kmeans_init=False).train()
    before = vq.embedding.weight.clone()
    target = F.normalize(before[3] + 0.3 * torch.randn(8), dim=-1)
    z = target.expand(10, 8).clone()
    _, _, idx = vq(z)
    assert (idx == 3).all()
    after = vq.embedding.weight
    expected = F.normalize(0.5 * before[3] + 0.5 * target, dim=-1)
    assert torch.allclose(after[3], expected, atol=1e-5)
    others = torch.arange(16) != 3
    assert torch.allclose(after[others], before[others], atol=1e-6)
    assert vq.cluster_size[3] == 5.0 and vq.cluster_size[others].sum() == 0


def test_cosine_kmeans_shapes():
    z, _, _ = clustered(4, 10, 6)
    means, bins = cosine_kmeans(F.normalize(z, dim=-1), 4)
    assert means.shape == (4, 6) and bins.sum() == 40


def test_loading_an_uninitialised_codebook_reenables_kmeans():
    vq = NormEMAVectorQuantizer(8, 4, kmeans_init=True).eval()
    vq(torch.randn(32, 4))
    assert vq.embedding.is_initialised
    vq.load_state_dict(NormEMAVectorQuantizer(8, 4, kmeans_init=True).state_dict())
    assert not vq.embedding.is_initialised
