"""The LUNA module (Döner et al., NeurIPS 2025; pulp-bio/BioFoundation).

Tokens are (channel x 40-sample patch) embeddings plus an embedding of each
channel's 3-D location. Per patch, Q learned queries cross-attend over the
channels (so the cost is linear in the channel count) and the Q outputs are
concatenated into one Q*D token; a RoPE transformer then runs over the patches.

State-dict keys and shapes are the official ones. Where the official code is wrong,
this one is not, and is identical to it otherwise:
  - each sample's location embeddings stay with that sample (the reference tiles them
    across the batch with `.repeat`, mixing montages within a batch);
  - a `channel_mask` keeps zero-padded channels out of every cross-channel operation;
  - location jitter is a training-time option (the reference adds it whenever a mask
    tensor is passed, so also at evaluation).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.core.interfaces import BackboneOutput
from neurokit.nn.layers import Mlp, rescale_residual_
from neurokit.nn.masking import random_token_mask
from neurokit.plugins.models.luna.embed import (
    FrequencyFeatureEmbedder,
    PatchEmbedNetwork,
    nerf_encoding,
    normalise_locations,
)
from neurokit.plugins.models.luna.inputs import (
    channel_index_tensor,
    check_positions,
    resample,
    to_head_frame,
    zscore,
)
from neurokit.plugins.models.luna.layers import (
    DecoderLayer,
    EncoderLayer,
    MultiheadAttention,
    RotaryBlock,
)
from neurokit.plugins.models.luna.vocab import CHANNEL_VOCAB


class CrossAttentionBlock(nn.Module):
    """Q learned queries attend over the channels of one patch, then over each other."""

    def __init__(
        self, num_queries: int, dim: int, num_heads: int, ff_dim: int, dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.num_queries = num_queries
        self.query_embed = nn.Parameter(torch.empty(1, num_queries, dim))
        self.cross_attention = MultiheadAttention(dim, num_heads, dropout)
        self.temparature = nn.Parameter(
            torch.tensor(1.0), requires_grad=False
        )  # official name; unused
        self.ffn = Mlp(dim, ff_dim, dim, drop=dropout, hidden_drop=dropout, norm_layer=nn.LayerNorm)
        self.keys_norm = nn.LayerNorm(dim)
        self.values_norm = nn.LayerNorm(dim)
        self.queries_norm = nn.LayerNorm(dim)
        self.query_self_attn = QueryEncoder(dim, num_heads, ff_dim, depth=3)

    def forward(
        self, x: torch.Tensor, key_mask: torch.Tensor | None = None, need_weights: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x (N, C, D), key_mask (N, C) -> queries (N, Q, D), head-averaged map (N, Q, C)."""
        queries = self.queries_norm(self.query_embed.expand(x.shape[0], -1, -1))
        out, weights = self.cross_attention(
            queries,
            self.keys_norm(x),
            self.values_norm(x),
            key_mask=key_mask,
            need_weights=need_weights,
        )
        out = self.ffn(out) + out
        return self.query_self_attn(out), weights


class QueryEncoder(nn.Module):
    """Stack of pre-norm encoder layers over the Q queries (nn.TransformerEncoder layout)."""

    def __init__(self, dim: int, num_heads: int, ff_dim: int, depth: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(EncoderLayer(dim, num_heads, ff_dim) for _ in range(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class TransformerDecoder(nn.Module):
    """nn.TransformerDecoder layout (`layers.0...`) without a final norm."""

    def __init__(self, dim: int, num_heads: int, ff_dim: int, depth: int = 1) -> None:
        super().__init__()
        self.layers = nn.ModuleList(DecoderLayer(dim, num_heads, ff_dim) for _ in range(depth))

    def forward(
        self, x: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, memory, tgt_mask)
        return x


class PatchReconstructionHeadWithQueries(nn.Module):
    """Pretraining head: per-channel decoder queries read each patch's Q tokens -> 40 samples."""

    def __init__(self, input_dim: int, embed_dim: int, num_heads: int, num_queries: int) -> None:
        super().__init__()
        self.num_queries = num_queries
        self.decoder_pred = TransformerDecoder(embed_dim, num_heads, 4 * embed_dim)
        self.norm = nn.LayerNorm(embed_dim)
        self.decoder_linear = Mlp(embed_dim, 4 * embed_dim, input_dim, hidden_drop=0.0)

    def forward(
        self, latent: torch.Tensor, queries: torch.Tensor, channel_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """latent (B, S, Q*D), queries (B*S, C, D), channel_mask (B, C) -> (B, C, S*P)."""
        b, s, _ = latent.shape
        memory = latent.reshape(b * s, self.num_queries, -1)
        tgt_mask = None if channel_mask is None else channel_mask.repeat_interleave(s, dim=0)
        out = self.decoder_linear(self.norm(self.decoder_pred(queries, memory, tgt_mask)))
        c, p = out.shape[1], out.shape[2]
        return out.view(b, s, c, p).permute(0, 2, 1, 3).reshape(b, c, s * p)


class ClassificationHeadWithQueries(nn.Module):
    """Fine-tuning head: one learned query attends over the patch tokens, then an MLP."""

    def __init__(
        self, embed_dim: int, num_heads: int, num_classes: int, dropout: float = 0.15
    ) -> None:
        super().__init__()
        self.decoder_attn = MultiheadAttention(embed_dim, num_heads, dropout)
        self.decoder_ffn = Mlp(
            embed_dim, 4 * embed_dim, num_classes, drop=dropout, hidden_drop=dropout
        )
        self.learned_agg = nn.Parameter(torch.randn(1, 1, embed_dim))

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        """(B, S, E) -> (B, E): the learned query's attention read-out."""
        query = self.learned_agg.expand(x.shape[0], -1, -1)
        return self.decoder_attn(query, x, x)[0][:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder_ffn(self.pool(x))


class ChannelEmbeddings(nn.Module):
    """Learned embedding per channel name of LUNA's 90-name vocabulary (pretraining only)."""

    def __init__(self, embed_dim: int) -> None:
        super().__init__()
        self.embeddings = nn.Embedding(len(CHANNEL_VOCAB), embed_dim)

    def forward(self, indices: torch.Tensor) -> torch.Tensor:
        return self.embeddings(indices)


class LUNA(nn.Module):
    """LUNA backbone. `num_classes` > 0: classifier; 0: pretraining form (reconstruction head)."""

    # neurokit.deploy: formats this model cannot be exported to, and why
    export_unsupported = {
        "onnx": "its frequency embedding (and resampling to 256 Hz) use complex FFTs "
        "(torch.fft.rfft), which the ONNX exporter cannot convert; use --format torchscript "
        "or safetensors",
    }

    def __init__(
        self,
        patch_size: int = 40,
        num_queries: int = 4,
        embed_dim: int = 64,
        depth: int = 8,
        num_heads: int = 2,
        mlp_ratio: float = 4.0,
        drop_path: float = 0.0,
        num_classes: int = 0,
        location_jitter: float = 0.02,
        sfreq: float = 256.0,
    ) -> None:
        super().__init__()
        self.patch_size, self.num_queries, self.embed_dim = patch_size, num_queries, embed_dim
        self.depth, self.num_heads, self.num_classes = depth, num_heads, num_classes
        self.location_jitter = location_jitter
        self.sfreq = sfreq
        self.num_features = embed_dim * num_queries
        self.patch_embed = PatchEmbedNetwork(embed_dim, patch_size)
        self.freq_embed = FrequencyFeatureEmbedder(patch_size, embed_dim)
        self.channel_location_embedder = nn.Sequential(
            Mlp(embed_dim, 2 * embed_dim, embed_dim, hidden_drop=0.0, norm_layer=nn.LayerNorm)
        )
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.cross_attn = CrossAttentionBlock(
            num_queries, embed_dim, num_heads, int(mlp_ratio * embed_dim)
        )
        self.blocks = nn.ModuleList(
            RotaryBlock(self.num_features, num_heads * num_queries, mlp_ratio, drop_path)
            for _ in range(depth)
        )
        self.norm = nn.LayerNorm(self.num_features)
        self.decoder_head: PatchReconstructionHeadWithQueries | None = None
        self.channel_emb: ChannelEmbeddings | None = None
        self.classifier: ClassificationHeadWithQueries | None = None
        self._init_weights()
        self.reset_classifier(num_classes)

    # ------------------------------------------------------------------ set-up

    def _init_weights(self) -> None:
        """The reference initialisation: xavier-normal linears, orthogonal queries, rescaled residuals."""
        nn.init.orthogonal_(self.cross_attn.query_embed)
        nn.init.trunc_normal_(self.mask_token, std=0.02, a=-0.02, b=0.02)
        self.apply(_init_linear_and_norm)
        rescale_residual_(self.blocks)

    def reset_classifier(self, num_classes: int) -> None:
        """num_classes > 0: a fresh classification head; 0: the pretraining heads.

        A classifier carries no pretraining heads and keeps `mask_token` frozen, as
        the reference does.
        """
        self.num_classes = num_classes
        if num_classes > 0:
            self.decoder_head = self.channel_emb = None
            self.classifier = ClassificationHeadWithQueries(
                self.num_features, self.num_heads, num_classes
            )
            self.classifier.apply(_init_linear_and_norm)
            self.mask_token.requires_grad_(False)
        else:
            self.classifier = None
            self.decoder_head = PatchReconstructionHeadWithQueries(
                self.patch_size, self.embed_dim, self.num_heads, self.num_queries
            )
            self.channel_emb = ChannelEmbeddings(self.embed_dim)
            self.decoder_head.apply(_init_linear_and_norm)
            self.mask_token.requires_grad_(True)
        for head in (self.classifier, self.decoder_head, self.channel_emb):
            if head is not None:
                head.to(self.norm.weight)  # the trunk's device and dtype

    # ------------------------------------------------------------------ layer decay

    def num_layers(self) -> int:
        """The blocks; with the trainer's decay**(L + 1 - id) only `blocks.N` are decayed,
        by 0.75**(depth - N), and everything else keeps the full rate (official recipe)."""
        return self.depth

    def layer_id(self, parameter_name: str) -> int:
        """blocks.N -> N + 1; everything else -> depth + 1 (full learning rate)."""
        if parameter_name.startswith("blocks."):
            return int(parameter_name.split(".")[1]) + 1
        return self.depth + 1

    def no_weight_decay(self) -> set[str]:
        return {"mask_token", "cross_attn.temparature"}

    # ------------------------------------------------------------------ forward

    def _pad_time(self, x: torch.Tensor) -> torch.Tensor:
        extra = (-x.shape[-1]) % self.patch_size
        return F.pad(x, (0, extra)) if extra else x

    def encode(
        self,
        x: torch.Tensor,
        channel_locations: torch.Tensor,
        token_mask: torch.Tensor | None = None,
        channel_mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> dict[str, torch.Tensor | None]:
        """Shared trunk: x (B, C, T) z-scored, locations (B, C, 3), token_mask (B, C, S).

        Returns `latent` (B, S, Q*D) after the final norm, `location_embedding`
        (B, C, D) and, with `need_weights`, the cross-attention map (B*S, Q, C).
        """
        x = self._pad_time(x)
        b, c, t = x.shape
        s = t // self.patch_size
        if channel_mask is not None and bool(channel_mask.all()):
            channel_mask = None
        tokens = self.patch_embed(x, channel_mask) + self.freq_embed(x)  # (B, C, S, D)
        if token_mask is not None:
            tokens = torch.where(token_mask.unsqueeze(-1), self.mask_token.to(tokens.dtype), tokens)
        # positions stay in (at least) float32 under autocast: bf16 would round them to ~1e-2
        locations = normalise_locations(
            channel_locations.to(torch.promote_types(tokens.dtype, torch.float32)), channel_mask
        )
        if self.training and self.location_jitter > 0:
            locations = locations + torch.randn_like(locations) * self.location_jitter
        location_embedding = self.channel_location_embedder(
            nerf_encoding(locations, self.embed_dim)
        )
        tokens = tokens + location_embedding.unsqueeze(2)
        tokens = tokens.transpose(1, 2).reshape(
            b * s, c, self.embed_dim
        )  # sample-major (B*S, C, D)
        key_mask = None if channel_mask is None else channel_mask.repeat_interleave(s, dim=0)
        queries, weights = self.cross_attn(tokens, key_mask, need_weights=need_weights)
        h = queries.reshape(b, s, self.num_features)
        for block in self.blocks:
            h = block(h)
        return {
            "latent": self.norm(h),
            "location_embedding": location_embedding,
            "attention": weights,
            "channel_mask": channel_mask,
        }

    def reconstruct(
        self, encoded: dict[str, torch.Tensor | None], channel_indices: torch.Tensor
    ) -> torch.Tensor:
        """Pretraining read-out (B, C, S*P) from `encode`'s output and vocabulary indices (B, C)."""
        if self.decoder_head is None or self.channel_emb is None:
            raise RuntimeError(
                "this LUNA has a classifier; build it with num_classes=0 to reconstruct"
            )
        latent = encoded["latent"]
        s = latent.shape[1]
        queries = encoded["location_embedding"] + self.channel_emb(channel_indices)  # (B, C, D)
        queries = queries.repeat_interleave(s, dim=0)  # each sample's own channels, per patch
        return self.decoder_head(latent, queries, encoded["channel_mask"])

    def forward(
        self,
        x_signal: torch.Tensor,
        mask: torch.Tensor | None = None,
        channel_locations: torch.Tensor | None = None,
        channel_names: torch.Tensor | None = None,
        *,
        channel_mask: torch.Tensor | None = None,
    ):
        """The reference call. x_signal (B, C, T) z-scored, mask (B, C, T) sample mask or None,
        channel_locations (B, C, 3) metres, channel_names (B, C) vocabulary indices (pretraining).

        Classifier: returns (logits, x_signal). Pretraining form: (reconstruction (B, C, T),
        x_signal, attention map (B*S, Q, C)). `channel_mask` (B, C), True = real channel, is neurokit's addition for padded batches.
        """
        if channel_locations is None:
            raise ValueError("LUNA needs channel_locations (B, C, 3)")
        token_mask = None
        if mask is not None:
            m = self._pad_time(mask.to(torch.bool))
            b, c, t = m.shape
            token_mask = m.view(b, c, t // self.patch_size, self.patch_size).any(-1)
        pretraining = self.classifier is None
        encoded = self.encode(
            x_signal, channel_locations, token_mask, channel_mask, need_weights=pretraining
        )
        if self.classifier is not None:
            return self.classifier(encoded["latent"]), x_signal
        if channel_names is None:
            raise ValueError(
                "the pretraining form needs channel_names: (B, C) indices into CHANNEL_VOCAB"
            )
        recon = self.reconstruct(encoded, channel_names)[..., : x_signal.shape[-1]]
        return recon, x_signal, encoded["attention"]

    # ------------------------------------------------------------------ neurokit batches

    def prepare_batch(self, batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Signal at the model's rate, z-scored per channel; head-frame positions; channel mask.

        A store at another rate is resampled here (band-limited FFT interpolation), so a
        200 Hz store needs no re-preparation; a 256 Hz store (`--profile luna`) is used as is.
        """
        x, channel_mask = batch.signal.to(self.norm.weight.dtype), batch.channel_mask.to(torch.bool)
        if abs(float(batch.sfreq) - self.sfreq) > 1e-6:
            x = resample(x, round(x.shape[-1] * self.sfreq / float(batch.sfreq)))
        x = zscore(x) * channel_mask.unsqueeze(-1).to(x.dtype)
        check_positions(batch.positions, channel_mask, batch.channel_names)
        return x, to_head_frame(batch.positions.to(x.dtype)), channel_mask

    def forward_batch(self, batch, token_mask: torch.Tensor | None = None) -> BackboneOutput:
        """Pooled (B, Q*D) features, patch tokens (B, S, Q*D), and `logits` for a classifier.

        The pooled vector is the classifier's learned-query read-out, or the mean over
        patches for the pretraining form. `token_mask` (B, C, S) replaces tokens by `mask_token`.
        """
        x, locations, channel_mask = self.prepare_batch(batch)
        return self._outputs(self.encode(x, locations, token_mask, channel_mask)["latent"])

    def forward_windows(
        self, x: torch.Tensor, channel_names: list[str], positions: torch.Tensor, sfreq: float
    ) -> BackboneOutput:
        """Deployment entry (neurokit.deploy): windows (B, C, T) uV sharing `channel_names`
        and `positions` (C, 3), nothing padded; no per-sample Python, so it exports with a
        dynamic batch."""
        c = x.shape[1]
        if not torch.compiler.is_compiling():  # constant under export: checked when loaded
            check_positions(positions[None], torch.ones(1, c, dtype=torch.bool), [channel_names])
        x = x.to(self.norm.weight.dtype)
        if abs(float(sfreq) - self.sfreq) > 1e-6:
            x = resample(x, int(round(int(x.shape[-1]) * self.sfreq / float(sfreq))))
        locations = to_head_frame(positions.to(x.dtype))[None].expand(x.shape[0], c, 3)
        return self._outputs(self.encode(zscore(x), locations)["latent"])

    def _outputs(self, latent: torch.Tensor) -> BackboneOutput:
        if self.classifier is None:
            return BackboneOutput(pooled=latent.mean(1), tokens=latent)
        pooled = self.classifier.pool(latent)
        logits = self.classifier.decoder_ffn(pooled)
        return BackboneOutput(pooled=pooled, tokens=latent, extras={"logits": logits})

    def pretraining_outputs(
        self, batch, mask_ratio: float = 0.5, **_: object
    ) -> dict[str, torch.Tensor | int | None]:
        """One masked-reconstruction forward on a batch: what `masked-reconstruction` scores.

        Per sample, `mask_ratio` of its real (channel x 40-sample) tokens are masked; the
        target is the z-scored signal at the model's rate.
        """
        if self.decoder_head is None:
            raise RuntimeError("pretraining needs LUNA built with num_classes=0")
        x, locations, channel_mask = self.prepare_batch(batch)
        num_patches = -(-x.shape[-1] // self.patch_size)
        b, c = channel_mask.shape
        valid = channel_mask.unsqueeze(-1).expand(b, c, num_patches).reshape(b, -1)
        token_mask = random_token_mask(
            b, c * num_patches, mask_ratio, valid=valid, rounding="mask"
        ).view(b, c, num_patches)
        encoded = self.encode(x, locations, token_mask, channel_mask, need_weights=True)
        indices = channel_index_tensor(batch.channel_names, x.shape[1], x.device)
        reconstruction = self.reconstruct(encoded, indices)[..., : x.shape[-1]]
        return {
            "reconstruction": reconstruction,
            "target": x,
            "token_mask": token_mask,
            "channel_mask": channel_mask,
            "attention": encoded["attention"],
            "patch_size": self.patch_size,
        }


def _init_linear_and_norm(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.xavier_normal_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
