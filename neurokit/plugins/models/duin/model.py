"""Du-IN (Zheng et al., NeurIPS 2024): VQ-VAE, MAE and word classifier for per-subject sEEG.

Same module tree and state-dict keys as liulab-repository/Du-IN (`models/duin`), so the
released per-subject checkpoints load strictly, and the same `forward(inputs)` tuple
conventions: signals are time-major (B, seq_len, C) and subjects one-hot (B, n_subjects).
Where the official code wraps a layer between two layout permutes (`nn.Sequential(permute,
layer, permute)`), the layer sits at index 1 of a `_slot` here and the computation stays
channel-first, so keys match without the permutes. The official frozen tensors (time
encodings, attention scales, codex bookkeeping) stay `nn.Parameter(requires_grad=False)`
so parameter counts and checkpoints match.

neurokit's side (`forward_batch`, `num_features`, `reset_classifier`) converts a store
batch through `inputs.py`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.core.interfaces import BackboneOutput
from neurokit.nn.quantizers import (
    _all_reduce,
    cosine_kmeans,
    ema_,
    l2norm,
    nearest_codes,
    norm_ema_step_,
)

__all__ = ["DuINCLS", "DuINMAE", "DuINVQVAE", "LossDict"]


class LossDict(dict):
    """The official loss container: item and attribute access (`loss.total`, `loss["vq"]`)."""

    def __getattr__(self, key: str):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _slot(layer: nn.Module) -> nn.Sequential:
    """Index 1 holds `layer`, where the official code has permute-layer-permute."""
    return nn.Sequential(nn.Identity(), layer)


def _init_linear(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, mean=0.0, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


# --------------------------------------------------------------------------- blocks


class SubjectLayer(nn.Module):
    """Per-subject linear channel mix: one-hot subject -> W (C x d_out) and bias (d_out)."""

    def __init__(self, d_input: int, n_subjects: int, d_output: int) -> None:
        super().__init__()
        self.d_input, self.d_output = d_input, d_output
        self.W = nn.Linear(n_subjects, d_input * d_output, bias=False)
        self.B = nn.Linear(n_subjects, d_output, bias=False)
        nn.init.trunc_normal_(self.W.weight, mean=0.0, std=0.02)
        nn.init.zeros_(self.B.weight)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, subj_id = inputs  # (B, T, d_input), (B, n_subjects)
        w = self.W(subj_id).view(-1, self.d_input, self.d_output)
        return torch.baddbmm(self.B(subj_id).unsqueeze(1), x, w)

    def get_weight_i(self) -> torch.Tensor:
        """(n_subjects, d_input) mean |W|: the paper's channel contribution score.

        Subject s's matrix is column s of `W.weight`; the official code reshapes the weight
        without transposing it, which mixes subjects when there are several.
        """
        w = self.W.weight.detach().cpu().t().reshape(-1, self.d_input, self.d_output)
        return w.abs().mean(-1)


class SubjectBlock(nn.Module):
    """`subj_block` / `desubj_block` (the official `use_proj=False` form)."""

    def __init__(self, d_input: int, n_subjects: int, d_output: int) -> None:
        super().__init__()
        self.subj_layer = SubjectLayer(d_input, n_subjects, d_output)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return self.subj_layer(inputs)


class PatchTokenizer(nn.Module):
    """Each 100-sample segment alone: 3 x (Conv1d + BatchNorm), no nonlinearity (official).

    (B, seq_len, d_neural) -> (B, seq_len / 100, 160), feature t * 16 + f.
    """

    def __init__(self, d_neural: int = 16, seg_len: int = 100) -> None:
        super().__init__()
        self.seg_len = seg_len
        spec = [(d_neural, 128, 19, 10, 9), (128, 128, 3, 1, 1), (128, d_neural, 3, 1, 1)]
        self.conv_blocks = nn.Sequential(
            *[
                nn.Sequential(
                    _slot(nn.Conv1d(cin, cout, k, stride=s, padding=p)),
                    _slot(nn.BatchNorm1d(cout)),
                )
                for cin, cout, k, s, p in spec
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        n_segs = t // self.seg_len
        h = x.reshape(b * n_segs, self.seg_len, c).transpose(1, 2)
        for block in self.conv_blocks:
            h = block[1][1](block[0][1](h))
        return h.transpose(1, 2).reshape(b, n_segs, -1)


class TimeEmbedding(nn.Module):
    """Fixed sinusoid added to the tokens (`time_encodings`, frozen parameter)."""

    def __init__(self, d_model: int, max_len: int) -> None:
        super().__init__()
        pos = torch.arange(max_len, dtype=torch.float32)[:, None]
        div = torch.exp(
            torch.arange(0, d_model, 2, dtype=torch.float32) * -(math.log(1e4) / d_model)
        )
        enc = torch.zeros(max_len, d_model)
        enc[:, 0::2] = torch.sin(pos * div)
        enc[:, 1::2] = torch.cos(pos * div)
        self.time_encodings = nn.Parameter(enc, requires_grad=False)

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        return emb + self.time_encodings[: emb.shape[-2]]


class _HeadProjection(nn.Module):
    """`W_q` / `W_k` / `W_v`: d_model -> heads x d_head (official `MHAMatrix`)."""

    def __init__(self, d_model: int, n_heads: int, d_head: int) -> None:
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_head
        self.W = nn.Linear(d_model, n_heads * d_head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return self.W(x).view(b, n, self.n_heads, self.d_head).transpose(1, 2)


class _AttentionScale(nn.Module):
    """Holds the official fixed `scale` (1/sqrt(d_head), frozen parameter)."""

    def __init__(self, d_head: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0 / math.sqrt(d_head)), requires_grad=False)


class MultiHeadAttention(nn.Module):
    """Separate q/k/v projections, per-head q/k LayerNorm, scaled dot-product attention
    (SDPA on GPU, explicit on CPU).

    The official softmax skips the max-subtraction; torch's is the stable one (same
    values wherever the official one does not overflow).
    """

    def __init__(self, d_model: int, n_heads: int, d_head: int, attn_dropout: float) -> None:
        super().__init__()
        self.W_q = _HeadProjection(d_model, n_heads, d_head)
        self.W_k = _HeadProjection(d_model, n_heads, d_head)
        self.W_v = _HeadProjection(d_model, n_heads, d_head)
        self.norm_q = nn.LayerNorm(d_head)
        self.norm_k = nn.LayerNorm(d_head)
        self.attention = _AttentionScale(d_head)
        self.attn_dropout = attn_dropout
        self.proj = nn.Sequential(nn.Linear(n_heads * d_head, d_model), nn.Dropout(0.0))
        _init_linear(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.norm_q(self.W_q(x)), self.norm_k(self.W_k(x)), self.W_v(x)
        drop = self.attn_dropout if self.training else 0.0
        scale = self.attention.scale.to(x.dtype)
        if x.is_cuda:  # fused kernels
            out = F.scaled_dot_product_attention(q * scale, k, v, dropout_p=drop, scale=1.0)
        else:  # 30 tokens: SDPA's CPU path scales q and k and re-checks the softmax for
            # fully masked rows; scaling the (L x L) scores once is less work (profiled)
            attn = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * scale, dim=-1)
            out = torch.matmul(F.dropout(attn, drop, self.training), v)
        b, h, n, d = out.shape
        return self.proj(out.transpose(1, 2).reshape(b, n, h * d))


class FeedForward(nn.Module):
    """fc1 (Linear + ReLU) -> dropout -> fc2 (official keys `fc1.0`, `fc2.0`)."""

    def __init__(self, d_model: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.fc1 = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU())
        self.fc2 = nn.Sequential(nn.Linear(d_ff, d_model))
        self.dropout1 = nn.Dropout(dropout)
        _init_linear(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.dropout1(self.fc1(x)))


class TransformerBlock(nn.Module):
    """Post-LN block: norm(x + mha(x)), then norm(x + ffn(x))."""

    def __init__(self, d_model, n_heads, d_head, d_ff, attn_dropout, ff_dropout) -> None:
        super().__init__()
        self.mha = MultiHeadAttention(d_model, n_heads, d_head, attn_dropout)
        self.norm_mha = nn.LayerNorm(d_model)
        self.ffn = FeedForward(d_model, d_ff, ff_dropout)
        self.norm_ffn = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm_mha(self.mha(x) + x)
        return self.norm_ffn(self.ffn(x) + x)


class TransformerStack(nn.Module):
    """`xfmr_blocks`; block j's Linear weights start divided by sqrt(2 (j + 1)) (official)."""

    def __init__(self, n_blocks: int, **block) -> None:
        super().__init__()
        self.xfmr_blocks = nn.ModuleList([TransformerBlock(**block) for _ in range(n_blocks)])
        with torch.no_grad():
            for j, blk in enumerate(self.xfmr_blocks):
                for m in blk.modules():
                    if isinstance(m, nn.Linear):
                        m.weight.div_(math.sqrt(2.0 * (j + 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for blk in self.xfmr_blocks:
            x = blk(x)
        return x


def _stack(cfg, n_blocks: int) -> nn.Sequential:
    """`encoder` / `decoder`: slot 0 is where the official code adds the time embedding."""
    return nn.Sequential(
        nn.Identity(),
        TransformerStack(
            n_blocks,
            d_model=cfg.d_model,
            n_heads=cfg.n_heads,
            d_head=cfg.d_head,
            d_ff=cfg.d_ff,
            attn_dropout=cfg.attn_dropout,
            ff_dropout=cfg.ff_dropout,
        ),
    )


class _Codex(nn.Module):
    """The codebook (`embeddings`, unit rows) and its `initted` flag, frozen parameters."""

    def __init__(self, n_codes: int, d_codex: int, init_kmeans: bool) -> None:
        super().__init__()
        self.embeddings = nn.Parameter(l2norm(torch.randn(n_codes, d_codex)), requires_grad=False)
        self.initted = nn.Parameter(torch.tensor([float(not init_kmeans)]), requires_grad=False)


class VectorQuantizer(nn.Module):
    """Du-IN's `LaBraMVectorQuantizer`: Linear-Tanh-Linear to the unit sphere, normalised-EMA
    codex (neurokit.nn.quantizers' update), commitment loss, LayerNorm + Linear back up.

    Unlike the official code, `counts` and the codex change only in training mode, and the
    k-means init runs only in training mode (the official one also runs in eval mode).
    `forward(Z)` returns (Z_q (.., d_model), loss, codex_probs one-hot (.., codex_size)).

    Dead-code restart (neurokit, off in the official code; `restart=0` turns it off): in
    training, a code unused in the batch whose EMA count fell below `restart` times the
    mean count per code is moved onto a random input of the batch. Without it the codex
    collapses whenever the commitment pull outweighs the reconstruction gradient (small
    models, little or noisy data): the encoder's outputs drift together, the EMA moves
    the few codes they hit, and the k-means-placed others are never chosen again.
    """

    def __init__(
        self, d_model, codex_size, d_codex, beta=1.0, decay=0.99, init_kmeans=True, restart=0.0
    ):
        super().__init__()
        self.codex_size, self.d_codex, self.beta, self.decay = codex_size, d_codex, beta, decay
        self.restart = restart
        self.pre_proj = nn.Sequential(
            nn.Linear(d_model, d_model), nn.Tanh(), nn.Linear(d_model, d_codex)
        )
        self.codex = _Codex(codex_size, d_codex, init_kmeans)
        self.counts = nn.Parameter(torch.zeros(codex_size), requires_grad=False)
        self.layernorm = nn.LayerNorm(d_codex)
        self.post_proj = nn.Sequential(nn.Linear(d_codex, d_model))
        _init_linear(self)
        self._initted = None  # Python cache of codex.initted (no device sync per step)

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        self._initted = None
        super()._load_from_state_dict(*args, **kwargs)

    @property
    def initialised(self) -> bool:
        if self._initted is None:
            self._initted = bool(self.codex.initted.item())
        return self._initted

    def codebook_usage(self, threshold: float = 1e-3) -> float:
        """Fraction of codes whose EMA usage (`counts`) is above `threshold`."""
        return (self.counts > threshold).float().mean().item()

    def encode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(.., d_model) -> unit vectors (.., d_codex) and their code indices (..)."""
        z_e = l2norm(self.pre_proj(z))
        flat = z_e.reshape(-1, self.d_codex)
        if self.training and not self.initialised:
            with torch.no_grad():
                means, _ = cosine_kmeans(flat.detach().float(), self.codex_size)
                if torch.distributed.is_available() and torch.distributed.is_initialized():
                    torch.distributed.broadcast(means, 0)
                self.codex.embeddings.copy_(l2norm(means))
                self.codex.initted.fill_(1.0)
            self._initted = True
        idx = nearest_codes(flat, self.codex.embeddings.to(flat.dtype))
        return z_e, idx.view(z_e.shape[:-1])

    @torch.no_grad()
    def _restart_dead(self, flat: torch.Tensor, bins: torch.Tensor) -> None:
        """Move dead codes onto random inputs of the batch (same on every rank)."""
        mean_count = bins.sum() / self.codex_size
        dead = (bins == 0) & (self.counts < self.restart * mean_count)
        n_dead = int(dead.sum())
        if n_dead == 0:
            return
        pick = torch.randint(0, flat.shape[0], (n_dead,), device="cpu").to(flat.device)
        new = l2norm(flat[pick] + 1e-3 * torch.randn_like(flat[pick]))
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.broadcast(new, 0)
        self.codex.embeddings[dead] = new.to(self.codex.embeddings.dtype)
        self.counts[dead] = mean_count  # a grace period before it can be called dead again

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        z_e, idx = self.encode(z)
        z_q = F.embedding(idx, self.codex.embeddings).to(z_e.dtype)
        loss = self.beta * F.mse_loss(z_e, z_q.detach())
        if self.training:
            with torch.no_grad():
                flat_idx = idx.reshape(-1)
                bins = _all_reduce(torch.bincount(flat_idx, minlength=self.codex_size).float())
                ema_(self.counts, bins, self.decay)
                flat = z_e.detach().reshape(-1, self.d_codex).float()
                norm_ema_step_(self.codex.embeddings, flat, flat_idx, bins, self.decay)
                if self.restart > 0:
                    self._restart_dead(flat, bins)
        z_q = z_e + (z_q - z_e).detach()
        probs = F.one_hot(idx, self.codex_size).to(z_e.dtype)
        return self.post_proj(self.layernorm(z_q)), loss, probs


class TimeRGSHead(nn.Module):
    """`rgs_block`: 5 transposed convs (token -> 4000 samples) and a Linear to d_neural."""

    SPEC = ((128, 3, 1), (128, 3, 1), (128, 10, 10), (128, 9, 1), (16, 19, 10))

    def __init__(self, d_model: int = 160, d_neural: int = 16) -> None:
        super().__init__()
        layers, cin = [], d_model
        for cout, k, s in self.SPEC:
            pad = math.ceil((k - s) / 2)  # official _cal_conv_padding, length-independent
            layers.append(
                nn.Sequential(
                    _slot(
                        nn.ConvTranspose1d(
                            cin, cout, k, s, padding=pad, output_padding=2 * pad - (k - s)
                        )
                    )
                )
            )
            cin = cout
        layers.append(nn.Sequential(nn.Linear(cin, d_neural)))
        self.rgs_head = nn.Sequential(*layers)
        _init_linear(self)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        h = e.transpose(1, 2)
        for block in list(self.rgs_head)[:-1]:
            h = block[0][1](h)
        return self.rgs_head[-1](h.transpose(1, 2))


class TokenCLSHead(nn.Module):
    """MAE head: Linear d_model -> codex_size per token (`cls_head.0.0`)."""

    def __init__(self, d_model: int, n_tokens: int) -> None:
        super().__init__()
        self.cls_head = nn.Sequential(nn.Sequential(nn.Linear(d_model, n_tokens)))
        _init_linear(self)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return self.cls_head(e)


class LabelCLSHead(nn.Module):
    """Classifier head: flatten -> Linear + ReLU -> Linear -> Sigmoid (official).

    `logits` stops before the Sigmoid; neurokit trains on those (see losses.py).
    """

    def __init__(self, d_feature: int, d_hidden: int, n_labels: int) -> None:
        super().__init__()
        self.cls_head = nn.Sequential(
            nn.Flatten(1),
            nn.Sequential(nn.Linear(d_feature, d_hidden), nn.ReLU()),
            nn.Sequential(nn.Linear(d_hidden, n_labels), nn.Sigmoid()),
        )
        _init_linear(self)

    def logits(self, e: torch.Tensor) -> torch.Tensor:
        return self.cls_head[2][0](self.cls_head[1](self.cls_head[0](e)))

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(e))


class ContrastiveBlock(nn.Module):
    """The classifier's contrastive block (UniCL form, weight 0 in every official recipe).

    Kept for its keys and its returned loss. As in the official code both sides are
    projected with `proj_z`; `proj_y` exists only in the state dict.
    """

    def __init__(self, d_model: int, d_contra: int) -> None:
        super().__init__()
        self.t = nn.Parameter(torch.tensor(2.0), requires_grad=False)
        self.proj_z = nn.Sequential(nn.Linear(d_model, d_contra), nn.Flatten(1))
        self.proj_y = nn.Sequential(nn.Linear(d_model, d_contra), nn.Flatten(1))
        _init_linear(self)

    def forward(self, inputs):
        (z, y), (label_z, label_y) = inputs
        emb_z = F.normalize(self.proj_z(z), dim=-1)
        emb_y = F.normalize(self.proj_z(y), dim=-1)
        sim = emb_z @ emb_y.t() * torch.exp(self.t)
        target = label_z @ label_y.t()
        loss_z = -(target * F.log_softmax(sim, dim=-1)).sum(-1)
        loss_y = -(target * F.log_softmax(sim, dim=0)).sum(0)
        return (loss_z.mean() + loss_y.mean()) / 2, sim


# --------------------------------------------------------------------------- models


class _DuINBase(nn.Module):
    """Subject block, tokenizer, time embedding and encoder, shared by the three models."""

    def __init__(self, cfg) -> None:
        super().__init__()
        self.cfg = cfg
        self.n_channels, self.n_subjects, self.seq_len = cfg.n_channels, cfg.n_subjects, cfg.seq_len
        self.sfreq = cfg.sfreq
        self.subj_block = SubjectBlock(cfg.n_channels, cfg.n_subjects, cfg.d_neural)
        self.tokenizer = PatchTokenizer(cfg.d_neural, cfg.seg_len)
        self.emb_time = TimeEmbedding(cfg.d_model, cfg.token_len)
        self.encoder = _stack(cfg, cfg.n_blocks)
        self.head: nn.Module | None = None  # linear probe made by reset_classifier

    def tokens(self, x: torch.Tensor, subj_id: torch.Tensor) -> torch.Tensor:
        """(B, seq_len, C) -> tokenizer output (B, L, d_model), before the encoder."""
        return self.tokenizer(self.subj_block((x, subj_id)))

    def encode(self, e: torch.Tensor) -> torch.Tensor:
        return self.encoder[1](self.emb_time(e))

    def get_weight_i(self) -> torch.Tensor:
        return self.subj_block.subj_layer.get_weight_i()

    # ---- neurokit side
    @property
    def num_features(self) -> int:
        return self.cfg.d_model

    def reset_classifier(self, num_classes: int) -> None:
        """A linear probe on the mean encoder token (0 removes it)."""
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else None
        if self.head is not None:
            _init_linear(self.head)
            self.head.to(self.emb_time.time_encodings.device)

    def forward_batch(self, batch) -> BackboneOutput:
        """Store batch -> mean encoder token (+ probe logits); tokens are the encoder output."""
        from neurokit.plugins.models.duin.inputs import to_duin_input

        inp = to_duin_input(batch, self)
        e = self.encode(self.tokens(inp.x, inp.subj_id))
        pooled = e.mean(1)
        extras = {"logits": self.head(pooled)} if self.head is not None else {}
        return BackboneOutput(pooled=pooled, tokens=e, extras=extras)


class DuINVQVAE(_DuINBase):
    """`duin_vqvae`: forward((X, subj_id, channel_mask)) -> (X_reconstr, loss{total, vq, rgs})."""

    def __init__(self, cfg) -> None:
        super().__init__(cfg)
        self.vq_block = VectorQuantizer(
            cfg.d_model,
            cfg.codex_size,
            cfg.d_codex,
            cfg.vq_beta,
            cfg.vq_decay,
            cfg.init_kmeans,
            cfg.vq_restart,
        )
        self.decoder = _stack(cfg, cfg.decoder_blocks)
        self.rgs_block = TimeRGSHead(cfg.d_model, cfg.d_neural)
        self.desubj_block = SubjectBlock(cfg.d_neural, cfg.n_subjects, cfg.n_channels)
        self.codebook_size = cfg.codex_size
        self.reset_classifier(cfg.num_classes)

    def forward(self, inputs):
        x, subj_id, channel_mask = inputs[0], inputs[1], inputs[2]
        e = self.encode(self.tokens(x, subj_id))
        e_vq, loss_vq, _ = self.vq_block(e)
        t_rec = self.decoder[1](self.emb_time(e_vq))
        x_rec = self.desubj_block((self.rgs_block(t_rec), subj_id))
        loss_rgs = masked_mse(x_rec, x, channel_mask.to(x.dtype))
        return x_rec, LossDict(total=loss_rgs + loss_vq, vq=loss_vq, rgs=loss_rgs)

    def quantize(self, inputs):
        """((X, subj_id)) -> (E_vq (B, L, d_model), loss_vq, codex_probs (B, L, codex_size))."""
        x, subj_id = inputs[0], inputs[1]
        return self.vq_block(self.encode(self.tokens(x, subj_id)))

    @torch.no_grad()
    def tokenize(self, batch) -> torch.Tensor:
        """neurokit Tokenizer: codes (B, L) int64 of a store batch."""
        from neurokit.plugins.models.duin.inputs import to_duin_input

        inp = to_duin_input(batch, self)
        return self.vq_block.encode(self.encode(self.tokens(inp.x, inp.subj_id)))[1]


def masked_mse(value: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Per-channel MSE over time, averaged over the real channels (`weight` (B, C))."""
    per_channel = (target - value).pow(2).mean(1)
    return (per_channel * weight).sum() / (weight.sum() + 1e-12)


class DuINMAE(_DuINBase):
    """`duin_mae`: forward((X, c_true, subj_id)) -> (c_pred logits (B, L, K), loss{total, cls}).

    Symmetric masking: the masked input and its complement are both encoded, and each
    token's prediction comes from the view in which it was hidden.
    """

    def __init__(self, cfg) -> None:
        super().__init__(cfg)
        self.mask_ratio = cfg.mask_ratio
        self.mask_emb = nn.Parameter(torch.empty(cfg.d_model))
        nn.init.trunc_normal_(self.mask_emb, mean=0.0, std=0.02)
        self.cls_block = TokenCLSHead(cfg.d_model, cfg.codex_size)
        self.reset_classifier(cfg.num_classes)

    def gen_mask(self, E: torch.Tensor, mask_ratio: float = 0.5) -> torch.Tensor:
        """(B, L) bool, True = masked; exactly L - int(L (1 - ratio)) per row.

        Drawn as the official one: `torch.rand((B, L), dtype=E.dtype)` on the global CPU
        generator, then moved (so the draw depends on the dtype, as there).
        """
        b, n, _ = E.shape
        keep = int(n * (1.0 - mask_ratio))
        noise = torch.rand((b, n), dtype=E.dtype).to(E.device)
        ranks = noise.argsort(-1).argsort(-1)
        return ranks >= keep

    def predict(self, e_init: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Code logits (B, L, K) of every token, each from the view where it is masked."""
        m = mask[..., None].to(e_init.dtype)
        emb = self.mask_emb.to(e_init.dtype)
        views = torch.cat([e_init * (1 - m) + emb * m, e_init * m + emb * (1 - m)])
        c = self.cls_block(self.encode(views))
        c0, c1 = c.chunk(2)
        return c0 * m + c1 * (1 - m)

    def forward(self, inputs):
        x, c_true, subj_id = inputs[0], inputs[1], inputs[2]
        e_init = self.tokens(x, subj_id)
        mask = self.gen_mask(e_init, mask_ratio=self.mask_ratio)
        c_pred = self.predict(e_init, mask)
        loss = F.cross_entropy(
            c_pred.reshape(-1, c_pred.shape[-1]), c_true.reshape(-1, c_true.shape[-1])
        )
        return c_pred, LossDict(total=loss, cls=loss)


class DuINCLS(_DuINBase):
    """`duin_cls`: forward((X, y_true, subj_id)) -> (y_pred after Sigmoid, loss{total, cls, contra}).

    The returned `cls` loss is the official one, cross-entropy on the Sigmoid outputs;
    neurokit trains on `extras["logits"]` with losses.py instead. The official forward also
    runs the (unused, zero-weight) `vq_block`, updating its statistics; here it only holds
    the checkpoint's tensors.
    """

    def __init__(self, cfg) -> None:
        super().__init__(cfg)
        self.vq_block = VectorQuantizer(
            cfg.d_model, cfg.codex_size, cfg.d_codex, cfg.vq_beta, cfg.vq_decay, cfg.init_kmeans
        )
        self.contra_block = ContrastiveBlock(cfg.d_model, cfg.d_contra)
        self.n_labels = cfg.num_classes or cfg.n_labels
        self.cls_block = LabelCLSHead(cfg.d_model * cfg.token_len, cfg.d_hidden, self.n_labels)

    def forward(self, inputs):
        x, y_true, subj_id = inputs[0], inputs[1], inputs[2]
        e = self.encode(self.tokens(x, subj_id))
        loss_contra, _ = self.contra_block(((e, e), (y_true, y_true)))
        y_pred = self.cls_block(e)
        loss_cls = F.cross_entropy(y_pred, y_true)
        return y_pred, LossDict(total=loss_cls, cls=loss_cls, contra=loss_contra)

    @property
    def num_features(self) -> int:
        return self.cfg.d_model * self.cfg.token_len

    def reset_classifier(self, num_classes: int) -> None:
        """A fresh head (flatten -> 128 -> num_classes) with the official init."""
        self.n_labels = num_classes
        head = LabelCLSHead(self.num_features, self.cfg.d_hidden, num_classes)
        self.cls_block = head.to(self.emb_time.time_encodings.device)

    def forward_batch(self, batch) -> BackboneOutput:
        """Store batch -> flattened encoder tokens (the head's input) and head logits."""
        from neurokit.plugins.models.duin.inputs import to_duin_input

        inp = to_duin_input(batch, self)
        e = self.encode(self.tokens(inp.x, inp.subj_id))
        return BackboneOutput(
            pooled=e.flatten(1), tokens=e, extras={"logits": self.cls_block.logits(e)}
        )

    def forward_windows(
        self, x: torch.Tensor, channel_names: list[str], positions: torch.Tensor, sfreq: float
    ) -> BackboneOutput:
        """Deployment entry (neurokit.deploy): windows (B, C, T) sharing one channel set,
        nothing padded, through `forward_batch`'s checks; one subject (a multi-subject
        model needs each window's subject, which raw recordings do not carry)."""
        from types import SimpleNamespace

        from neurokit.plugins.models.duin.inputs import DuINInputError

        if self.n_subjects != 1:
            raise DuINInputError(
                f"this Du-IN model was trained on {self.n_subjects} subjects; deployment applies "
                "one subject's model (train with data.subjects=[ONE])"
            )
        b, c = x.shape[0], x.shape[1]
        mask = torch.ones(b, c, dtype=torch.bool, device=x.device)
        batch = SimpleNamespace(signal=x, channel_mask=mask, sfreq=sfreq, extras={})
        return self.forward_batch(batch)
