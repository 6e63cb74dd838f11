"""`neurolm-vq`: NeuroLM's text-aligned neural tokenizer (official `model_vq.VQ_Align`).

Module tree and state-dict keys are the official: `VQ.{encoder, decoder_freq, decoder_raw,
quantize, encode_task_layer, decode_task_layer_freq, decode_task_layer_raw}`,
`domain_classifier`, `wte`. The encoder is NeuroLM's own `NeuralTransformer` (LaBraM's
TemporalConv patch embedding from `neurokit.plugins.models.labram`, then nanoGPT blocks,
channel `pos_embed` Embedding(256) with no cls row, `time_embed` Embedding(64)); the
quantizer is neurokit's normalised-EMA VQ (8192 x 128, beta 1, k-means init).

Inputs are time-major patch sequences: x (B, L, patch) with token l = a * N + n (time a,
channel n), `input_chans` / `input_time` (B, L) int, `input_mask` (B, L) bool (True = real).
Deliberate differences from the official (the fact sheet's "bugs not to copy"):
- the reconstruction losses average over real tokens only (the official multiplies the
  predictions by the mask and averages over padding too, diluting the loss);
- the frozen GPT-2 `wte` is random unless `gpt2_path` names a local GPT-2 (the official
  downloads GPT-2 here just to copy it); released `VQ.pt` files carry it anyway.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.nn.layers import init_transformer_weights_
from neurokit.nn.quantizers import NormEMAVectorQuantizer
from neurokit.plugins.models.labram.model import TemporalConv as LaBraMTemporalConv
from neurokit.plugins.models.neurolm.config import NeuroLMVQConfig, NTArgs
from neurokit.plugins.models.neurolm.gpt import Block

__all__ = [
    "NeuralTransformer",
    "ReverseLayerF",
    "TemporalConv",
    "VQ",
    "VQAlign",
    "VQ_Align",
    "attention_mask",
    "spectral_targets",
]


def _exporting() -> bool:
    """Whether a graph is being traced or exported: there the all-real shortcut, a branch
    on the data, is skipped (the masked statistics over all-real tokens are the same)."""
    return bool(torch.jit.is_tracing() or torch.compiler.is_exporting())


class ReverseLayerF(torch.autograd.Function):
    """Gradient reversal: identity forward, gradient x (-alpha) backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, alpha: float) -> torch.Tensor:
        ctx.alpha = alpha
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad.neg() * ctx.alpha, None


class TemporalConv(LaBraMTemporalConv):
    """LaBraM's TemporalConv plus NeuroLM's `l` = Linear(T' * out_chans, n_embd) + GELU."""

    def __init__(self, out_chans: int = 16, patch_size: int = 200, n_embd: int = 768) -> None:
        super().__init__(in_chans=1, out_chans=out_chans)
        width = ((patch_size - 1) // 8 + 1) * out_chans  # conv1 stride 8, padding 7, kernel 15
        self.l = nn.Sequential(nn.Linear(width, n_embd), nn.GELU())

    def forward(  # (B, L, T) -> (B, L, n_embd)
        self, x: torch.Tensor, token_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self.l(super().forward(x.unsqueeze(1), token_mask))


def attention_mask(input_mask: torch.Tensor | None, length: int) -> torch.Tensor | None:
    """(B, L) key mask -> (B, 1, L, L), the official `input_mask.unsqueeze(1).repeat(...)`."""
    if input_mask is None:
        return None
    return input_mask.bool()[:, None, None, :].expand(-1, 1, length, -1)


class NeuralTransformer(nn.Module):
    """NeuroLM's encoder/decoder (official `model_neural_transformer.NeuralTransformer`).

    `forward(x, input_chans, input_times, mask, return_all_tokens)`: `mask` (B, 1, L, L)
    bool, or None for *causal* attention (the official behaviour). Output: fc_norm of all
    tokens (B, L, D) or of their mean (B, D).
    """

    def __init__(self, config: NTArgs) -> None:
        super().__init__()
        self.num_classes = config.num_classes
        self.patch_embed = (
            TemporalConv(config.out_chans, config.patch_size, config.n_embd)
            if config.in_chans == 1
            else nn.Linear(config.in_chans, config.n_embd)
        )
        self.patch_size = config.patch_size
        self.pos_embed = nn.Embedding(256, config.n_embd)
        self.time_embed = nn.Embedding(64, config.n_embd)
        self.blocks = nn.ModuleList(Block(config, i) for i in range(config.n_layer))
        self.norm = (
            nn.Identity() if config.use_mean_pooling else nn.LayerNorm(config.n_embd, eps=1e-6)
        )
        self.fc_norm = nn.LayerNorm(config.n_embd, eps=1e-6) if config.use_mean_pooling else None
        self.head = (
            nn.Linear(config.n_embd, config.num_classes)
            if config.num_classes > 0
            else nn.Identity()
        )
        self.pos_drop = nn.Dropout(config.dropout)
        self.apply(init_transformer_weights_)
        for i, block in enumerate(self.blocks, start=1):
            block.attn.c_proj.weight.data.div_(math.sqrt(2.0 * i))
            block.mlp.c_proj.weight.data.div_(math.sqrt(2.0 * i))
        if isinstance(self.head, nn.Linear):
            self.head.weight.data.mul_(config.init_scale)
            self.head.bias.data.mul_(config.init_scale)

    def forward_features(
        self,
        x: torch.Tensor,
        input_chans: torch.Tensor,
        input_times: torch.Tensor,
        mask: torch.Tensor | None = None,
        return_all_tokens: bool = False,
    ) -> torch.Tensor:
        # tokens some query may attend are the real ones; padding (never attended) is left out
        # of the patch embedding's GroupNorm statistics and of the mean (the official includes
        # it, so a padded sample's features depend on the padding; identical without padding)
        real = mask[:, 0].any(dim=-2) if mask is not None else None
        if real is not None and not _exporting() and bool(real.all()):
            real = None  # nothing padded: the unmasked statistics, bit for bit the official
        if isinstance(self.patch_embed, TemporalConv):
            x = self.patch_embed(x, real)
        else:
            x = self.patch_embed(x)
        x = x + self.pos_embed(input_chans) + self.time_embed(input_times)
        x = self.pos_drop(x)
        for block in self.blocks:
            x = block(x, mask)
        x = self.norm(x)
        if self.fc_norm is None:
            return x
        if return_all_tokens:
            return self.fc_norm(x)
        if real is None:
            return self.fc_norm(x.mean(1))
        m = real[..., None].to(x.dtype)
        return self.fc_norm((x * m).sum(1) / m.sum(1).clamp_min(1))

    def forward(
        self,
        x: torch.Tensor,
        input_chans: torch.Tensor,
        input_times: torch.Tensor,
        mask: torch.Tensor | None = None,
        return_all_tokens: bool = False,
        **kwargs,
    ) -> torch.Tensor:
        return self.head(
            self.forward_features(x, input_chans, input_times, mask, return_all_tokens)
        )


def _std_norm(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """z-score each sample over its real tokens x bins (unbiased std); padding -> 0."""
    m = mask[:, :, None].to(x.dtype).expand_as(x)
    count = m.sum(dim=(1, 2), keepdim=True)
    mean = (x * m).sum(dim=(1, 2), keepdim=True) / count
    var = (((x - mean) * m) ** 2).sum(dim=(1, 2), keepdim=True) / (count - 1).clamp_min(1)
    return (x - mean) / var.sqrt() * m


def spectral_targets(
    x: torch.Tensor, input_mask: torch.Tensor | None = None, freq_bins: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The official tokenizer targets of x (B, L, T): z-scored |FFT|[:T/2] and z-scored x.

    As the official `dataset.py`, statistics run over all of a sample's real tokens and
    bins; padding targets are zero.
    """
    x = x.float()
    mask = (
        torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        if input_mask is None
        else input_mask.bool()
    )
    bins = freq_bins or x.shape[-1] // 2
    amplitude = torch.fft.fft(x, dim=-1).abs()
    return _std_norm(amplitude, mask)[..., :bins], _std_norm(x, mask)


def _task_layer(dim: int, out: int) -> nn.Sequential:
    layer = nn.Sequential(nn.Linear(dim, dim), nn.Tanh(), nn.Linear(dim, out))
    layer.apply(init_transformer_weights_)
    return layer


class VQ(nn.Module):
    """Encoder -> 128-d unit codes -> frequency and raw decoders (official `VQ`)."""

    def __init__(
        self,
        encoder_config: NTArgs,
        decoder_config: NTArgs,
        n_embed: int = 8192,
        embed_dim: int = 128,
        decay: float = 0.99,
        quantize_kmeans_init: bool = True,
        decoder_out_dim: int = 200,
        smooth_l1_loss: bool = False,
    ) -> None:
        super().__init__()
        if decoder_config.in_chans != embed_dim:  # the official rewrites it too
            decoder_config = decoder_config.model_copy(update={"in_chans": embed_dim})
        self.encoder = NeuralTransformer(encoder_config)
        self.decoder_freq = NeuralTransformer(decoder_config)
        self.decoder_raw = NeuralTransformer(decoder_config)
        self.quantize = NormEMAVectorQuantizer(
            n_embed, embed_dim, beta=1.0, decay=decay, kmeans_init=quantize_kmeans_init
        )
        self.decoder_out_dim = decoder_out_dim
        self.encode_task_layer = _task_layer(encoder_config.n_embd, embed_dim)
        self.decode_task_layer_freq = _task_layer(decoder_config.n_embd, decoder_out_dim // 2)
        self.decode_task_layer_raw = _task_layer(decoder_config.n_embd, decoder_out_dim)
        self.loss_fn = F.smooth_l1_loss if smooth_l1_loss else F.mse_loss

    @property
    def codebook_size(self) -> int:
        return self.quantize.num_tokens

    def get_number_of_tokens(self) -> int:
        return self.quantize.num_tokens

    def encode(self, x, input_chans=None, input_time=None, mask=None):
        """-> (quantize (B, L, D_code), indices (B * L,) as the official, emb_loss, features (B, L, D))."""
        features = self.encoder(x, input_chans, input_time, mask, return_all_tokens=True)
        with torch.autocast(x.device.type, enabled=False):
            to_quantizer = self.encode_task_layer(features.float())
        quantize, loss, indices = self.quantize(to_quantizer)
        return quantize, indices.reshape(-1), loss, features

    def decode(self, quantize, input_chans=None, input_time=None, mask=None, **kwargs):
        """-> (rec_freq (B, L, out/2), rec_raw (B, L, out))."""
        freq = self.decoder_freq(quantize, input_chans, input_time, mask, return_all_tokens=True)
        raw = self.decoder_raw(quantize, input_chans, input_time, mask, return_all_tokens=True)
        return self.decode_task_layer_freq(freq), self.decode_task_layer_raw(raw)

    def get_tokens(self, data, input_chans=None, input_times=None, mask=None, **kwargs):
        return self.encode(data, input_chans, input_times, mask)[1].view(
            data.shape[0], data.shape[1]
        )

    def get_codebook_indices(self, x, input_chans=None, input_time=None, input_mask=None, **kwargs):
        """(B, L) int64 codes; `input_mask` None means causal encoder attention (official)."""
        return self.get_tokens(x, input_chans, input_time, attention_mask(input_mask, x.shape[1]))

    def forward(
        self, x, y_freq, y_raw, input_chans=None, input_time=None, input_mask=None, **kwargs
    ):
        """Training forward -> (loss, encoder features, log); see the module doc on padding."""
        mask = attention_mask(input_mask, x.shape[1])
        quantize, _, emb_loss, features = self.encode(x, input_chans, input_time, mask)
        rec_freq, rec_raw = self.decode(quantize, input_chans, input_time, mask)
        if input_mask is None or bool(input_mask.all()):
            freq_loss = self.loss_fn(rec_freq, y_freq)
            raw_loss = self.loss_fn(rec_raw, y_raw)
        else:
            real = input_mask.bool()
            freq_loss = self.loss_fn(rec_freq[real], y_freq[real])
            raw_loss = self.loss_fn(rec_raw[real], y_raw[real])
        loss = emb_loss + freq_loss + raw_loss
        split = "train" if self.training else "val"
        log = {
            f"{split}/quant_loss": emb_loss.detach(),
            f"{split}/rec_freq_loss": freq_loss.detach(),
            f"{split}/rec_raw_loss": raw_loss.detach(),
            f"{split}/total_loss": loss.detach(),
        }
        return loss, features, log


class VQAlign(nn.Module):
    """VQ plus the domain classifier that makes EEG features look like GPT-2 word embeddings.

    `forward(x, y_freq, y_raw, input_chans, input_time, input_mask, alpha)` ->
    (loss, domain_loss, log): EEG tokens are domain 0 and reach the classifier through a
    gradient-reversal layer (x -alpha). `forward(x_text)` (token ids, no targets) ->
    the text-domain loss (label 1) on the frozen `wte` embeddings. The official step is
    `loss + domain_loss + tok(x_text)` with alpha = 2 / (1 + exp(-10 p)) - 1.
    """

    def __init__(self, encoder_config: NTArgs, decoder_config: NTArgs, **vq_kwargs) -> None:
        super().__init__()
        text_vocab_size = vq_kwargs.pop("text_vocab_size", 50257)
        self.VQ = VQ(encoder_config, decoder_config, **vq_kwargs)
        self.domain_classifier = nn.Sequential(
            nn.Linear(decoder_config.n_embd, 256), nn.GELU(), nn.Linear(256, 2)
        )
        self.domain_classifier.apply(init_transformer_weights_)
        self.wte = nn.Embedding(text_vocab_size, encoder_config.n_embd, _freeze=True)

    @classmethod
    def from_config(cls, config: NeuroLMVQConfig) -> VQAlign:
        model = cls(
            config.encoder_args,
            config.decoder_args,
            n_embed=config.n_embed,
            embed_dim=config.embed_dim,
            decay=config.decay,
            quantize_kmeans_init=config.quantize_kmeans_init,
            decoder_out_dim=config.decoder_out_dim,
            smooth_l1_loss=config.smooth_l1_loss,
            text_vocab_size=config.text_vocab_size,
        )
        if config.gpt2_path:
            model.load_gpt2_wte(config.gpt2_path)
        return model

    @property
    def codebook_size(self) -> int:
        return self.VQ.codebook_size

    def load_gpt2_wte(self, path: str) -> None:
        """Copy `transformer.wte` of a local HF GPT-2 directory into the frozen `wte`."""
        from safetensors.torch import load_file

        from neurokit.core.errors import ConfigError

        file = f"{path}/model.safetensors"
        try:
            state = load_file(file)
        except (OSError, FileNotFoundError):
            raise ConfigError(
                f"no readable model.safetensors in GPT-2 directory {path!r}"
            ) from None
        weight = state.get("transformer.wte.weight", state.get("wte.weight"))
        if weight is None or weight.shape != self.wte.weight.shape:
            got = None if weight is None else tuple(weight.shape)
            raise ConfigError(
                f"GPT-2 wte in {file!r} is {got}, the tokenizer needs {tuple(self.wte.weight.shape)}"
            )
        with torch.no_grad():
            self.wte.weight.copy_(weight)

    def tokenize(self, batch) -> torch.Tensor:
        """neurokit Tokenizer protocol: (x, input_chans, input_time, input_mask) -> codes."""
        x, input_chans, input_time, input_mask = batch
        return self.VQ.get_codebook_indices(x, input_chans, input_time, input_mask)

    def forward(
        self,
        x: torch.Tensor,
        y_freq: torch.Tensor | None = None,
        y_raw: torch.Tensor | None = None,
        input_chans: torch.Tensor | None = None,
        input_time: torch.Tensor | None = None,
        input_mask: torch.Tensor | None = None,
        alpha: float = 0.0,
    ):
        if y_freq is None:  # text branch: x are GPT-2 token ids (B, T)
            emb = self.wte(x).detach()
            out = self.domain_classifier(emb)
            return F.cross_entropy(out.flatten(0, 1), torch.ones_like(x).flatten())
        loss, features, log = self.VQ(x, y_freq, y_raw, input_chans, input_time, input_mask)
        out = self.domain_classifier(ReverseLayerF.apply(features, alpha))
        target = torch.full(out.shape[:2], -1, dtype=torch.long, device=x.device)
        target[input_mask.bool() if input_mask is not None else slice(None)] = 0
        domain_loss = F.cross_entropy(out.flatten(0, 1), target.flatten(), ignore_index=-1)
        log[f"{'train' if self.training else 'val'}/domain_loss"] = domain_loss.detach()
        return loss, domain_loss, log


VQ_Align = VQAlign  # the official class name
