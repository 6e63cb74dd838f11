"""Du-IN backbones: official keys, shapes, parameter counts and forward conventions."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import neurokit
from neurokit.plugins.models.duin.inputs import DuINInputError, to_duin_input
from tests.helpers import make_batch

HERE = Path(__file__).parent
SHAPES = {
    "vqvae": dict(seq_len=4000),
    "mae": dict(seq_len=4000),
    "cls": dict(seq_len=3000, n_labels=61),
}
COUNTS = {  # official totals / trainable at 10 channels, 1 subject
    "vqvae": (5_940_919, 5_801_386),
    "mae": (3_896_712, 3_890_304),
    "cls": (4_377_639, 4_239_709),
}


def official_keys(kind: str) -> dict[str, tuple[int, ...]]:
    out = {}
    for line in (HERE / f"official_keys_{kind}.txt").read_text().splitlines():
        if line.startswith("#"):
            continue
        key, _, shape = line.partition(" ")
        out[key] = tuple(int(s) for s in shape.split(",") if s)
    return out


def build(kind: str, **kw):
    """Official defaults at 10 channels, 1 subject, with `kw` on top."""
    options = {"n_channels": 10, "n_subjects": 1, **SHAPES[kind], **kw}
    return neurokit.create("backbone", f"duin-{kind}", **options)


def small(kind: str, **kw):
    """Fewer blocks and a shorter window: the same code paths, fast on a shared CPU."""
    options = {"n_blocks": 1, "seq_len": 1000, **kw}
    if kind == "vqvae":
        options.setdefault("decoder_blocks", 1)
    return build(kind, **options)


@pytest.mark.parametrize("kind", ["vqvae", "mae", "cls"])
def test_official_keys_shapes_and_counts(kind):
    model = build(kind)
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert ours == official_keys(kind)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert (total, trainable) == COUNTS[kind]
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert "emb_time.time_encodings" in frozen
    assert "encoder.1.xfmr_blocks.0.mha.attention.scale" in frozen


def _x(b, t, c=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, t, c, generator=g), torch.ones(b, 1)


def test_vqvae_forward_and_quantize_conventions():
    model = small("vqvae").eval()
    x, subj = _x(2, 1000)
    x_rec, loss = model((x, subj, torch.ones(2, 10, dtype=torch.bool)))
    assert x_rec.shape == (2, 1000, 10) and set(loss) == {"total", "vq", "rgs"}
    assert torch.allclose(loss.total, loss.vq + loss.rgs)
    e_vq, loss_vq, probs = model.quantize((x, subj))
    assert e_vq.shape == (2, 10, 160) and probs.shape == (2, 10, 2048)
    assert torch.equal(probs.sum(-1), torch.ones(2, 10)) and loss_vq.dim() == 0
    # the regression loss only looks at the real channels
    mask = torch.ones(2, 10, dtype=torch.bool)
    mask[:, 5:] = False
    noisy = x.clone()
    noisy[..., 5:] += 100.0
    with torch.no_grad():
        a = model((x, subj, mask))[1].rgs
        b = model((noisy, subj, mask))[1].rgs
        c = model((noisy, subj, torch.ones(2, 10, dtype=torch.bool)))[1].rgs
    assert torch.allclose(a, b, atol=1e-5) and c > 100 * a


def test_vqvae_quantizer_state_changes_only_in_training():
    model = small("vqvae", codex_size=64)
    x, subj = _x(4, 1000)
    model.eval()
    before = model.vq_block.codex.embeddings.clone()
    model.quantize((x, subj))
    assert torch.equal(before, model.vq_block.codex.embeddings)
    assert model.vq_block.codex.initted.item() == 0 and model.vq_block.counts.sum() == 0
    model.train()
    model((x, subj, torch.ones(4, 10, dtype=torch.bool)))
    assert model.vq_block.codex.initted.item() == 1  # k-means init on the first training batch
    assert model.vq_block.counts.sum() > 0
    assert torch.allclose(model.vq_block.codex.embeddings.norm(dim=-1), torch.ones(64), atol=1e-5)


def test_mae_conventions_and_mask():
    model = small("mae").eval()
    x, subj = _x(3, 1000)
    c_true = F.one_hot(torch.randint(0, 2048, (3, 10)), 2048).float()
    c_pred, loss = model((x, c_true, subj))
    assert c_pred.shape == (3, 10, 2048) and set(loss) == {"total", "cls"}
    assert torch.allclose(
        loss.cls, F.cross_entropy(c_pred.reshape(-1, 2048), c_true.reshape(-1, 2048))
    )
    e = torch.zeros(5, 40, 160)
    torch.manual_seed(0)
    mask = model.gen_mask(e, mask_ratio=0.5)
    assert mask.dtype == torch.bool and mask.sum(1).tolist() == [20] * 5
    torch.manual_seed(0)
    assert torch.equal(mask, model.gen_mask(e, 0.5))  # global generator drives it
    # each token is predicted from the view in which it is hidden
    e_init = torch.randn(1, 10, 160)
    m = torch.zeros(1, 10, dtype=torch.bool)
    m[0, :5] = True
    full = model.predict(e_init, m)
    view0 = model.cls_block(model.encode(torch.where(m[..., None], model.mask_emb, e_init)))
    view1 = model.cls_block(model.encode(torch.where(m[..., None], e_init, model.mask_emb)))
    assert torch.allclose(full[0, :5], view0[0, :5], atol=1e-5)
    assert torch.allclose(full[0, 5:], view1[0, 5:], atol=1e-5)


def test_cls_conventions_and_official_loss():
    model = small("cls").eval()
    x, subj = _x(4, 1000)
    y = F.one_hot(torch.tensor([0, 1, 2, 60]), 61).float()
    y_pred, loss = model((x, y, subj))
    assert y_pred.shape == (4, 61) and set(loss) == {"total", "cls", "contra"}
    assert ((y_pred > 0) & (y_pred < 1)).all()  # after the Sigmoid
    assert torch.allclose(loss.cls, F.cross_entropy(y_pred, y))
    assert torch.allclose(loss.total, loss.cls)


def test_forward_batch_pads_channels_and_checks_input():
    model = small("cls", n_labels=5).eval()
    montage = [f"SM{i}" for i in range(6)]
    batch = make_batch([montage, montage], seconds=1.0, sfreq=1000.0)
    out = model.forward_batch(batch)
    assert out.pooled.shape == (2, model.num_features) == (2, 10 * 160)
    assert out.tokens.shape == (2, 10, 160) and out.extras["logits"].shape == (2, 5)
    # padded channels are zero and masked: the same as the 6-channel input alone
    inp = to_duin_input(batch, model)
    assert inp.x.shape == (2, 1000, 10) and inp.channel_mask.sum().item() == 12
    assert torch.all(inp.x[..., 6:] == 0)
    model.reset_classifier(3)
    assert model.forward_batch(batch).extras["logits"].shape == (2, 3)
    with pytest.raises(DuINInputError, match="1000 Hz"):
        model.forward_batch(make_batch([montage], seconds=1.0, sfreq=500.0))
    with pytest.raises(DuINInputError, match="1000 samples"):
        model.forward_batch(make_batch([montage], seconds=2.0, sfreq=1000.0))
    with pytest.raises(DuINInputError, match="12 channels"):
        model.forward_batch(make_batch([[f"A{i}" for i in range(12)]], seconds=1.0, sfreq=1000.0))
    two = small("cls", n_subjects=2)
    with pytest.raises(DuINInputError, match="subject index"):
        two.forward_batch(batch)
    batch.extras["subject_index"] = torch.tensor([1, 0])
    assert two.eval().forward_batch(batch).pooled.shape == (2, 1600)


def test_vqvae_and_mae_probe_and_tokenize():
    model = small("vqvae").eval()
    batch = make_batch([["A", "B"]], seconds=1.0, sfreq=1000.0)
    assert model.forward_batch(batch).pooled.shape == (1, 160)
    model.reset_classifier(4)
    assert model.forward_batch(batch).extras["logits"].shape == (1, 4)
    codes = model.tokenize(batch)
    assert codes.shape == (1, 10) and codes.dtype == torch.long


def test_config_rejects_bad_lengths():
    with pytest.raises(Exception, match="multiple of 100"):
        neurokit.create("backbone", "duin-cls", seq_len=3050)


def test_dead_codes_restart_onto_batch_inputs():
    """Inputs that all hit one code: with restart the unused codes move onto the batch,
    so the next batch spreads over many codes; without it (official) it stays on one."""
    from neurokit.plugins.models.duin.model import VectorQuantizer

    used = {}
    for restart in (0.0, 0.1):
        torch.manual_seed(0)
        vq = VectorQuantizer(16, 32, 8, init_kmeans=False, restart=restart).train()
        vq.codex.initted.fill_(1.0)
        base = torch.randn(16)
        with torch.no_grad():
            vq.pre_proj[2].bias.copy_(10 * torch.randn(8))  # z_e dominated by one direction
            for _ in range(5):
                vq(base + 0.5 * torch.randn(256, 16))
            _, idx = vq.encode(base + 0.5 * torch.randn(256, 16))
        used[restart] = len(idx.unique())
    assert used[0.0] == 1 and used[0.1] >= 4, used  # measured: 1 vs 5
