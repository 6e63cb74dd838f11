"""Same weights, same outputs as the official Du-IN code (skipped unless DUIN_REF is set).

DUIN_REF points at a liulab-repository/Du-IN checkout (c2e289c); the official code needs
einops. Official weights are perturbed away from their init (zero biases, zero subject
bias) so that every tensor matters, then loaded strictly into the neurokit model.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import neurokit
from tests.models.duin.official import build_official, official_ref

pytestmark = pytest.mark.skipif(official_ref() is None, reason="DUIN_REF not set")
SHAPES = {"vqvae": dict(seq_len=4000), "mae": dict(seq_len=4000), "cls": dict(seq_len=3000)}


def pair(kind: str):
    pytest.importorskip("einops")
    torch.manual_seed(0)
    official = build_official(kind, **SHAPES[kind])
    with torch.no_grad():
        for p in official.parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn_like(p))
        for m in official.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2.0)
        if hasattr(official, "vq_block"):
            official.vq_block.codex.initted.fill_(1.0)  # no k-means in the official eval forward
    ours = neurokit.create("backbone", f"duin-{kind}", **SHAPES[kind])
    ours.load_state_dict(official.state_dict(), strict=True)
    return official.eval(), ours.eval()


def inputs(t: int, b: int = 4):
    g = torch.Generator().manual_seed(1)
    return torch.randn(b, t, 10, generator=g), torch.ones(b, 1)


def test_vqvae_parity():
    official, ours = pair("vqvae")
    x, subj = inputs(4000)
    mask = torch.ones(4, 10, dtype=torch.bool)
    mask[0, 3] = False
    with torch.no_grad():
        a, la = official((x, subj, mask))
        b, lb = ours((x, subj, mask))
        qa, qb = official.quantize((x, subj)), ours.quantize((x, subj))
    assert (a - b).abs().max() < 1e-4
    for key in ("total", "vq", "rgs"):
        assert torch.allclose(la[key], lb[key], rtol=1e-5, atol=1e-6)
    assert (qa[0] - qb[0]).abs().max() < 1e-4 and torch.equal(qa[2], qb[2])


def test_mae_parity():
    official, ours = pair("mae")
    x, subj = inputs(4000)
    c_true = F.one_hot(torch.randint(0, 2048, (4, 40)), 2048).float()
    with torch.no_grad():
        torch.manual_seed(7)
        a, la = official((x, c_true, subj))
        torch.manual_seed(7)
        b, lb = ours((x, c_true, subj))
    assert (a - b).abs().max() < 1e-4 and torch.allclose(la.total, lb.total, rtol=1e-5)
    e = torch.zeros(4, 40, 160)
    torch.manual_seed(3)
    m_a = official.gen_mask(e, 0.5)
    torch.manual_seed(3)
    assert torch.equal(m_a, ours.gen_mask(e, 0.5))


def test_cls_parity():
    official, ours = pair("cls")
    x, subj = inputs(3000)
    y = F.one_hot(torch.tensor([0, 5, 5, 60]), 61).float()
    with torch.no_grad():
        a, la = official((x, y, subj))
        b, lb = ours((x, y, subj))
    assert (a - b).abs().max() < 1e-5
    for key in ("total", "cls", "contra"):
        assert torch.allclose(la[key], lb[key], rtol=1e-5, atol=1e-6)


def test_quantizer_training_update_parity():
    official, ours = pair("vqvae")
    qa, qb = official.vq_block.train(), ours.vq_block.train()
    qb.restart = 0.0  # the official code never restarts dead codes
    z = torch.randn(8, 40, 160)
    za, la, pa = qa(z)
    zb, lb, pb = qb(z)
    assert (za - zb).abs().max() < 1e-5 and torch.allclose(la, lb) and torch.equal(pa, pb)
    assert (qa.codex.embeddings - qb.codex.embeddings).abs().max() < 1e-6
    assert torch.allclose(qa.counts, qb.counts)
