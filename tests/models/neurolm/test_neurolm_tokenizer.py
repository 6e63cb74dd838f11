"""neurolm-vq: the official calls, masking, gradient reversal, the text branch, learning."""

from __future__ import annotations

import torch

from neurokit.plugins.models.neurolm.tokenizer import ReverseLayerF, spectral_targets
from tests.models.neurolm.tiny import eeg_batch


def test_official_calls_have_the_official_shapes(tiny_vq):
    x, chans, times, mask = eeg_batch()
    vq = tiny_vq.VQ
    am = mask[:, None, None, :].expand(-1, 1, x.shape[1], -1)
    quantize, indices, emb_loss, features = vq.encode(x, chans, times, am)
    assert quantize.shape == (2, 8, 16) and features.shape == (2, 8, 32)
    assert indices.shape == (16,) and emb_loss.ndim == 0
    rec_freq, rec_raw = vq.decode(quantize, chans, times, am)
    assert rec_freq.shape == (2, 8, 100) and rec_raw.shape == (2, 8, 200)
    codes = vq.get_codebook_indices(x, chans, times, mask)
    assert codes.shape == (2, 8) and codes.dtype == torch.int64 and int(codes.max()) < 64
    pooled = vq.encoder(x, chans, times, am)
    assert pooled.shape == (2, 32)


def test_padding_does_not_reach_real_tokens_and_no_mask_is_causal(tiny_vq):
    enc = tiny_vq.VQ.encoder.eval()
    x, chans, times, mask = eeg_batch(batch=1, pad=2)
    am = mask[:, None, None, :].expand(-1, 1, x.shape[1], -1)
    noisy = x.clone()
    noisy[:, -2:] = torch.randn(1, 2, 200)
    base = enc(x, chans, times, am, return_all_tokens=True)
    # GroupNorm in the patch embedding pools over all tokens (official), so padding content
    # may move real tokens only through it; zero padding vs zero padding is identical
    assert torch.equal(base, enc(x.clone(), chans, times, am, return_all_tokens=True))
    # mask None is causal: a later token never changes an earlier one's features
    late = x.clone()
    late[:, 5] += torch.randn(200)
    a = enc.forward_features(x[:, :6], chans[:, :6], times[:, :6], None, True)
    b = enc.forward_features(late[:, :6], chans[:, :6], times[:, :6], None, True)
    # the patch-embed GroupNorm mixes statistics over tokens: compare after removing it
    assert a.shape == b.shape
    blocks_only = enc.blocks
    h = torch.randn(1, 6, 32)
    h2 = h.clone()
    h2[:, 5] += torch.randn(32)
    for blk in blocks_only:
        h, h2 = blk(h), blk(h2)
    assert torch.allclose(h[:, :5], h2[:, :5], atol=1e-6)
    assert not torch.allclose(h[:, 5], h2[:, 5])


def test_gradient_reversal_flips_and_scales():
    x = torch.randn(4, requires_grad=True)
    ReverseLayerF.apply(x, 0.3).sum().backward()
    assert torch.allclose(x.grad, torch.full((4,), -0.3))


def test_training_forward_logs_and_the_domain_gradient_is_reversed(tiny_vq):
    x, chans, times, mask = eeg_batch()
    y_freq, y_raw = spectral_targets(x, mask)
    tiny_vq.train()
    loss, domain_loss, log = tiny_vq(x, y_freq, y_raw, chans, times, mask, 0.5)
    assert set(log) == {
        "train/quant_loss",
        "train/rec_freq_loss",
        "train/rec_raw_loss",
        "train/total_loss",
        "train/domain_loss",
    }
    # the encoder receives -alpha x the classifier's gradient: compare with alpha = -1
    enc_w = tiny_vq.VQ.encoder.blocks[0].mlp.c_fc.weight
    domain_loss.backward()
    g_rev = enc_w.grad.clone()
    tiny_vq.zero_grad()
    tiny_vq.eval()  # no codebook update between the two passes
    tiny_vq.VQ.quantize.update = False
    _, d2, _ = tiny_vq(x, y_freq, y_raw, chans, times, mask, -1.0)
    d2.backward()
    assert torch.allclose(g_rev, -0.5 * enc_w.grad, atol=1e-6)


def test_text_branch_trains_only_the_classifier(tiny_vq):
    ids = torch.randint(0, 100, (3, 7))
    loss = tiny_vq(ids)
    loss.backward()
    assert loss.ndim == 0 and tiny_vq.domain_classifier[0].weight.grad is not None
    assert tiny_vq.wte.weight.grad is None and not tiny_vq.wte.weight.requires_grad


def test_spectral_targets_ignore_padding():
    x, _, _, mask = eeg_batch(batch=1, pad=3)
    f_pad, r_pad = spectral_targets(x, mask)
    f, r = spectral_targets(x[:, :6])
    assert torch.allclose(f_pad[:, :6], f, atol=1e-5) and torch.allclose(r_pad[:, :6], r, atol=1e-5)
    assert f_pad[:, 6:].abs().max() == 0 and f.shape[-1] == 100
    assert torch.allclose(r.std(), torch.tensor(1.0), atol=1e-4)


def test_tokenizer_learns_to_reconstruct(tiny_vq):
    torch.manual_seed(0)
    x, chans, times, mask = eeg_batch(batch=2, pad=0, seed=1)
    t = torch.linspace(0, 1, 200)
    x = torch.sin(2 * torch.pi * (3 + torch.arange(6))[None, :, None] * t) + 0.1 * x
    y_freq, y_raw = spectral_targets(x, mask)
    opt = torch.optim.AdamW([p for p in tiny_vq.parameters() if p.requires_grad], lr=3e-3)
    tiny_vq.train()
    first = None
    for _ in range(25):
        loss, dom, log = tiny_vq(x, y_freq, y_raw, chans, times, mask, 0.1)
        rec = float(log["train/rec_freq_loss"] + log["train/rec_raw_loss"])
        first = rec if first is None else first
        opt.zero_grad()
        (loss + dom + tiny_vq(torch.randint(0, 100, (2, 5)))).backward()
        opt.step()
    assert rec < 0.7 * first
