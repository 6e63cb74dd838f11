"""VQ-NSP: LaBraM's neural tokenizer (reference `modeling_vqnsp.VQNSP`).

A LaBraM encoder (q/v bias, no q/k norm, no layer scale) maps each 1-s patch to a unit
vector that the normalised-EMA codebook quantizes; a 3-block decoder predicts the
patch's Fourier amplitude and phase (each z-scored per sample) from the codes. The
Fourier targets make the codes describe rhythm rather than raw waveform.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neurokit.nn.layers import init_transformer_weights_
from neurokit.nn.quantizers import NormEMAVectorQuantizer
from neurokit.plugins.models.labram.model import InputChans, NeuralTransformer


def _task_layer(dim: int, out: int) -> nn.Sequential:
    layer = nn.Sequential(nn.Linear(dim, dim), nn.Tanh(), nn.Linear(dim, out))
    layer.apply(init_transformer_weights_)
    return layer


def std_norm(x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """z-score each sample over (channels, patches, bins), unbiased std; `mask` (B, N) skips padding."""
    if mask is None:
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True)
        return (x - mean) / std
    m = mask[:, :, None, None].to(x.dtype).expand_as(x)
    count = m.sum(dim=(1, 2, 3), keepdim=True)
    mean = (x * m).sum(dim=(1, 2, 3), keepdim=True) / count
    var = (((x - mean) * m) ** 2).sum(dim=(1, 2, 3), keepdim=True) / (count - 1).clamp_min(1)
    return (x - mean) / var.sqrt() * m


def fourier_targets(
    x: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-patch FFT amplitude and phase of x (B, N, A, T), each z-scored per sample."""
    spec = torch.fft.fft(x.float(), dim=-1)
    return std_norm(spec.abs(), mask), std_norm(torch.angle(spec), mask)


def fourier_losses(parts: dict[str, torch.Tensor], loss_fn=F.mse_loss) -> dict[str, torch.Tensor]:
    """quant + amplitude + phase losses over the real tokens of `VQNSP.forward_parts` output."""
    valid = parts["valid"]
    if bool(valid.all()):
        rec_loss = loss_fn(parts["rec"], parts["amplitude"])
        angle_loss = loss_fn(parts["rec_angle"], parts["angle"])
    else:
        rec_loss = loss_fn(parts["rec"][valid], parts["amplitude"][valid])
        angle_loss = loss_fn(parts["rec_angle"][valid], parts["angle"][valid])
    return {
        "quant_loss": parts["quant_loss"],
        "rec_loss": rec_loss,
        "rec_angle_loss": angle_loss,
        "codes": parts["codes"],
    }


class VQNSP(nn.Module):
    """Encoder -> normalised-EMA VQ -> decoder with amplitude and phase heads."""

    def __init__(
        self,
        *,
        num_codes: int = 8192,
        code_dim: int = 64,
        decay: float = 0.99,
        kmeans_init: bool = True,
        embed_dim: int = 200,
        out_chans: int = 8,
        num_heads: int = 10,
        encoder_depth: int = 12,
        decoder_depth: int = 3,
        decoder_out_dim: int = 200,
        smooth_l1_loss: bool = False,
    ) -> None:
        super().__init__()
        common = dict(
            embed_dim=embed_dim,
            num_heads=num_heads,
            qkv_bias=True,
            qk_norm=False,
            init_values=0.0,
            use_mean_pooling=True,
            num_classes=0,
        )
        self.encoder = NeuralTransformer(
            in_chans=1, out_chans=out_chans, depth=encoder_depth, **common
        )
        self.decoder = NeuralTransformer(
            in_chans=code_dim, patch_size=1, depth=decoder_depth, **common
        )
        self.quantize = NormEMAVectorQuantizer(
            num_codes, code_dim, beta=1.0, decay=decay, kmeans_init=kmeans_init
        )
        self.encode_task_layer = _task_layer(embed_dim, code_dim)
        self.decode_task_layer = _task_layer(embed_dim, decoder_out_dim)
        self.decode_task_layer_angle = _task_layer(embed_dim, decoder_out_dim)
        self.codebook_size = num_codes
        self.code_dim = code_dim
        self.patch_size = 200
        self.loss_fn = F.smooth_l1_loss if smooth_l1_loss else F.mse_loss

    def no_weight_decay(self) -> set[str]:
        return {
            "quantize.embedding.weight",
            "decoder.cls_token",
            "decoder.pos_embed",
            "decoder.time_embed",
            "encoder.cls_token",
            "encoder.pos_embed",
            "encoder.time_embed",
        }

    # --------------------------------------------------------------- encode / decode
    def encode(
        self,
        x: torch.Tensor,
        input_chans: InputChans = None,
        channel_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (B, N, A, 200) -> z_q (B, N*A, code_dim), codes (B, N*A), commitment loss.

        Tokens of masked-out channels are not quantized (they get code -1 and z_q 0), so
        padding never moves the codebook.
        """
        feats = self.encoder(x, input_chans, return_patch_tokens=True, channel_mask=channel_mask)
        # the code assignment and the EMA codebook stay in fp32 under autocast (the reference
        # leaves autocast for the projection too); a bf16 distance would flip near ties
        with torch.autocast(device_type=x.device.type, enabled=False):
            z = self.encode_task_layer(feats.float())
            if channel_mask is None:
                z_q, loss, codes = self.quantize(z)
                return z_q, codes, loss
            a = x.shape[2]
            valid = channel_mask[:, :, None].expand(-1, -1, a).flatten(1)
            zq_valid, loss, codes_valid = self.quantize(z[valid])
            z_q = z.new_zeros(z.shape).masked_scatter(valid[..., None], zq_valid)
            codes = torch.full(valid.shape, -1, dtype=torch.long, device=z.device)
            codes[valid] = codes_valid
        return z_q, codes, loss

    def decode(
        self,
        z_q: torch.Tensor,
        input_chans: InputChans,
        n: int,
        a: int,
        channel_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Codes (B, N*A, code_dim) -> predicted amplitude and phase (B, N*A, 200)."""
        grid = z_q.transpose(1, 2).reshape(z_q.shape[0], self.code_dim, n, a)
        h = self.decoder(grid, input_chans, return_patch_tokens=True, channel_mask=channel_mask)
        return self.decode_task_layer(h), self.decode_task_layer_angle(h)

    # -------------------------------------------------------------- reference calls
    def get_tokens(
        self, data: torch.Tensor, input_chans: InputChans = None, **kwargs
    ) -> dict[str, torch.Tensor]:
        z_q, codes, _ = self.encode(data, input_chans)
        return {"token": codes.view(data.shape[0], -1), "input_img": data, "quantize": z_q}

    @torch.no_grad()
    def get_codebook_indices(
        self, x: torch.Tensor, input_chans: InputChans = None, **kwargs
    ) -> torch.Tensor:
        """Codes (B, N*A) of x (B, N, A, 200) in uV/100, channel-major."""
        return self.encode(x, input_chans, kwargs.get("channel_mask"))[1]

    def forward_parts(
        self,
        x: torch.Tensor,
        input_chans: InputChans = None,
        channel_mask: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Everything a Fourier reconstruction loss needs, for x (B, N, A, 200).

        Returns predictions `rec`/`rec_angle` and targets `amplitude`/`angle` (B, N*A, 200),
        `quant_loss`, `codes` (B, N*A) and `valid` (B, N*A) marking real tokens.
        """
        b, n, a, _ = x.shape
        amplitude, angle = fourier_targets(x, channel_mask)
        z_q, codes, quant_loss = self.encode(x, input_chans, channel_mask)
        rec, rec_angle = self.decode(z_q, input_chans, n, a, channel_mask)
        if channel_mask is None:
            valid = torch.ones(b, n * a, dtype=torch.bool, device=x.device)
        else:
            valid = channel_mask[:, :, None].expand(-1, -1, a).flatten(1)
        return {
            "rec": rec,
            "rec_angle": rec_angle,
            "amplitude": amplitude.flatten(1, 2),
            "angle": angle.flatten(1, 2),
            "quant_loss": quant_loss,
            "codes": codes,
            "valid": valid,
        }

    def compute_losses(
        self,
        x: torch.Tensor,
        input_chans: InputChans = None,
        channel_mask: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """The reference's three loss terms (and the codes) for x (B, N, A, 200)."""
        return fourier_losses(self.forward_parts(x, input_chans, channel_mask), self.loss_fn)

    def forward(
        self, x: torch.Tensor, input_chans: InputChans = None, **kwargs
    ) -> tuple[torch.Tensor, dict]:
        """Reference call: x (B, N, A*200) in uV/100 -> (loss, logs)."""
        x = x.reshape(x.shape[0], x.shape[1], -1, self.patch_size)
        parts = self.compute_losses(x, input_chans)
        loss = parts["quant_loss"] + parts["rec_loss"] + parts["rec_angle_loss"]
        split = "train" if self.training else "val"
        log = {f"{split}/{k}": v.detach().mean() for k, v in parts.items() if k != "codes"}
        log[f"{split}/total_loss"] = loss.detach()
        return loss, log


class LabramTokenizer(VQNSP):
    """The registered tokenizer: VQNSP plus neurokit's `tokenize(batch)`."""

    def __init__(self, *, channel_mapper, input_scale: float = 0.01, **kwargs) -> None:
        super().__init__(**kwargs)
        self.channel_mapper = channel_mapper
        self.input_scale = input_scale

    def labram_input(self, batch, max_patches: int = 16):
        """The batch in the reference's convention; pretraining passes a larger `max_patches`
        and re-cuts the windows itself."""
        from neurokit.plugins.models.labram.inputs import to_labram_input

        return to_labram_input(
            batch, self.channel_mapper, scale=self.input_scale, max_patches=max_patches
        )

    @torch.no_grad()
    def tokenize(self, batch) -> torch.Tensor:
        """Codes (B, N*A), channel-major; -1 where a channel is padding or was dropped."""
        inp = self.labram_input(batch)
        return self.encode(inp.x, inp.input_chans, inp.channel_mask)[1]
