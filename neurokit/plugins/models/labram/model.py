"""LaBraM's NeuralTransformer (fine-tune model, tokenizer encoder/decoder, MEM student), SDPA inside.

State-dict keys and shapes are exactly those of the reference `modeling_finetune.NeuralTransformer`,
and the reference calls work unchanged: `forward(x, input_chans)` and
`forward_features(x, input_chans, return_patch_tokens, return_all_tokens)` with
x (batch, channels, patches, 200) in microvolts / 100 and `input_chans` the reference index
list (0 for cls, then list position + 1). neurokit's own entry point is `forward_batch`.

Two additions the reference lacks, both off unless used: `input_chans` may be a
(batch, channels + 1) tensor (samples with different montages in one batch) and
`channel_mask` (batch, channels) hides padded channels from attention and pooling.

Masked EEG modelling (MEM) model: the reference `NeuralTransformerForMEM`.
The student is the NeuralTransformer with a final LayerNorm (`norm`), a `mask_token` and
its own (unused) `lm_head`; the outer `lm_head` predicts the frozen tokenizer's codes and
`projection_head` exists only so the released checkpoint's keys match. Two reference
quirks are kept on purpose: masked patch embeddings are replaced by `mask_token` before
any embedding is added, and the cls token receives the *first channel's* embedding
(the fine-tune model gives it row 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from neurokit.core.interfaces import BackboneOutput
from neurokit.nn.layers import Block, init_transformer_weights_, rescale_residual_, trunc_normal_
from neurokit.nn.masking import random_token_mask

InputChans = Sequence[int] | torch.Tensor | None


class TemporalConv(nn.Module):
    """Patch embedding: three (1, k) convs over each 200-sample patch, each conv -> GroupNorm -> GELU.

    200 samples become 25 steps of `out_chans` features, flattened time-major (t * C + c),
    hence embed_dim = 25 * out_chans.
    """

    def __init__(self, in_chans: int = 1, out_chans: int = 8) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_chans, out_chans, kernel_size=(1, 15), stride=(1, 8), padding=(0, 7)
        )
        self.gelu1 = nn.GELU()
        self.norm1 = nn.GroupNorm(4, out_chans)
        self.conv2 = nn.Conv2d(out_chans, out_chans, kernel_size=(1, 3), padding=(0, 1))
        self.gelu2 = nn.GELU()
        self.norm2 = nn.GroupNorm(4, out_chans)
        self.conv3 = nn.Conv2d(out_chans, out_chans, kernel_size=(1, 3), padding=(0, 1))
        self.norm3 = nn.GroupNorm(4, out_chans)
        self.gelu3 = nn.GELU()

    def forward(self, x: torch.Tensor, token_mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N, A, T) -> (B, N*A, T' * C), tokens channel-major.

        GroupNorm pools its statistics over all of a sample's tokens, so with `token_mask`
        (B, N*A) the statistics are taken over real tokens only and padding changes nothing.
        """
        b, n, a, t = x.shape
        x = x.reshape(b, 1, n * a, t)
        x = self.gelu1(self._norm(self.norm1, self.conv1(x), token_mask))
        x = self.gelu2(self._norm(self.norm2, self.conv2(x), token_mask))
        x = self.gelu3(self._norm(self.norm3, self.conv3(x), token_mask))  # (B, C, NA, T')
        return x.permute(0, 2, 3, 1).flatten(2)

    @staticmethod
    def _norm(norm: nn.GroupNorm, x: torch.Tensor, token_mask: torch.Tensor | None) -> torch.Tensor:
        if token_mask is None:
            return norm(x)
        b, c, length, t = x.shape
        g = norm.num_groups
        xg = x.reshape(b, g, c // g, length, t)
        m = token_mask[:, None, None, :, None].to(x.dtype)
        count = m.sum(dim=(2, 3, 4), keepdim=True) * (c // g) * t
        mean = (xg * m).sum(dim=(2, 3, 4), keepdim=True) / count
        var = (((xg - mean) * m) ** 2).sum(dim=(2, 3, 4), keepdim=True) / count
        xg = (xg - mean) / torch.sqrt(var + norm.eps)
        x = xg.reshape(b, c, length, t)
        return x * norm.weight[None, :, None, None] + norm.bias[None, :, None, None]


class PatchEmbed(nn.Module):
    """Linear patch embedding of the tokenizer decoder: code vectors (B, D_code, N, A) -> tokens."""

    def __init__(self, in_chans: int, embed_dim: int, patch_size: int = 1) -> None:
        super().__init__()
        self.proj = nn.Conv2d(
            in_chans, embed_dim, kernel_size=(1, patch_size), stride=(1, patch_size)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class NeuralTransformer(nn.Module):
    """LaBraM's pre-norm ViT over (channel x 1-s patch) tokens with learned channel/time embeddings."""

    patch_size: int

    def __init__(
        self,
        *,
        in_chans: int = 1,
        out_chans: int = 8,
        patch_size: int = 200,
        num_classes: int = 0,
        embed_dim: int = 200,
        depth: int = 12,
        num_heads: int = 10,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = False,
        qk_norm: bool = True,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        init_values: float = 0.1,
        use_mean_pooling: bool = True,
        init_scale: float = 0.001,
        num_channel_rows: int = 129,
        max_patches: int = 16,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.num_features = self.embed_dim = embed_dim
        # the architecture, so that a MEM student of the same shape can be built from a backbone
        self.arch = dict(
            in_chans=in_chans,
            out_chans=out_chans,
            patch_size=patch_size,
            embed_dim=embed_dim,
            depth=depth,
            num_heads=num_heads,
            mlp_ratio=mlp_ratio,
            qkv_bias=qkv_bias,
            qk_norm=qk_norm,
            init_values=init_values,
        )
        self.patch_size = patch_size
        self.max_patches = max_patches
        if in_chans == 1:
            if 25 * out_chans != embed_dim and patch_size == 200:
                raise ValueError(
                    f"TemporalConv gives 25 * out_chans = {25 * out_chans} features, not embed_dim {embed_dim}"
                )
            self.patch_embed: nn.Module = TemporalConv(out_chans=out_chans)
        else:
            self.patch_embed = PatchEmbed(in_chans, embed_dim, patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_channel_rows, embed_dim))
        self.time_embed = nn.Parameter(torch.zeros(1, max_patches, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)
        dpr = [drop_path_rate * i / (depth - 1) if depth > 1 else 0.0 for i in range(depth)]
        self.blocks = nn.ModuleList(
            Block(
                embed_dim,
                num_heads,
                mlp_ratio,
                qkv_bias=qkv_bias,
                qk_norm=qk_norm,
                drop=drop_rate,
                attn_drop=attn_drop_rate,
                drop_path=dpr[i],
                init_values=init_values,
            )
            for i in range(depth)
        )
        self.norm: nn.Module = (
            nn.Identity() if use_mean_pooling else nn.LayerNorm(embed_dim, eps=1e-6)
        )
        self.fc_norm = nn.LayerNorm(embed_dim, eps=1e-6) if use_mean_pooling else None
        self.head: nn.Module = nn.Identity()
        self._init_weights(init_scale)

    # ------------------------------------------------------------------ init / heads
    def _init_weights(self, init_scale: float) -> None:
        trunc_normal_(self.pos_embed)
        trunc_normal_(self.time_embed)
        trunc_normal_(self.cls_token)
        self.apply(init_transformer_weights_)
        rescale_residual_(self.blocks)
        self.reset_classifier(self.num_classes, init_scale)

    def reset_classifier(self, num_classes: int, init_scale: float = 0.001) -> None:
        """A fresh `head` with `num_classes` outputs (0 = identity), scaled small as in the reference."""
        self.num_classes = num_classes
        if num_classes > 0:
            head = nn.Linear(self.embed_dim, num_classes)
            trunc_normal_(head.weight)
            nn.init.zeros_(head.bias)
            with torch.no_grad():
                head.weight.mul_(init_scale)
            self.head = head.to(self.cls_token.device)
        else:
            self.head = nn.Identity()

    def get_classifier(self) -> nn.Module:
        return self.head

    # ------------------------------------------------- optimiser grouping (LayeredBackbone)
    def get_num_layers(self) -> int:
        """The reference's depth count (number of blocks)."""
        return len(self.blocks)

    def num_layers(self) -> int:
        """Blocks L: embeddings are layer 0, block k is k + 1, everything else L + 1.

        The trainer scales layer i by decay ** (L + 1 - i), as the reference does.
        """
        return len(self.blocks)

    def layer_id(self, parameter_name: str) -> int:
        """The reference's `get_num_layer_for_vit` grouping (time_embed is in the last group)."""
        name = parameter_name
        if name in ("cls_token", "mask_token", "pos_embed") or name.startswith("patch_embed"):
            return 0
        if name.startswith("blocks."):
            return int(name.split(".")[1]) + 1
        return len(self.blocks) + 1

    def no_weight_decay(self) -> set[str]:
        return {"pos_embed", "cls_token", "time_embed"}

    # ------------------------------------------------------------------------ forward
    def _grid(self, x: torch.Tensor) -> tuple[int, int]:
        """(channels, patches) of a reference-shaped input."""
        if isinstance(self.patch_embed, TemporalConv):
            return x.shape[1], x.shape[2]
        return x.shape[2], x.shape[3]  # decoder input (B, code_dim, N, A)

    def _channel_rows(self, input_chans: InputChans, batch: int, n: int) -> torch.Tensor:
        """pos_embed rows per sample: (B, N + 1, D), row 0 for the cls token."""
        table = self.pos_embed[0]
        if input_chans is None:
            rows = table
        else:
            idx = torch.as_tensor(input_chans, device=table.device, dtype=torch.long)
            rows = table[idx]
        if rows.shape[-2] != n + 1:
            raise ValueError(
                f"input_chans has {rows.shape[-2]} entries for {n} channels (expected channels + 1)"
            )
        return rows.expand(batch, -1, -1) if rows.dim() == 2 else rows

    def _add_embeddings(
        self, tokens: torch.Tensor, input_chans: InputChans, n: int, a: int, cls_row: int = 0
    ) -> torch.Tensor:
        """Prepend cls, add channel embeddings to every token and time embeddings to patch tokens."""
        b, _, d = tokens.shape
        if a > self.time_embed.shape[1]:
            raise ValueError(
                f"{a} patches exceed the {self.time_embed.shape[1]}-row time embedding"
            )
        rows = self._channel_rows(input_chans, b, n)
        chan = rows[:, 1:, None, :].expand(b, n, a, d)
        time = self.time_embed[0, :a][None, None].expand(b, n, a, d)
        patches = tokens + (chan + time).flatten(1, 2)
        cls = self.cls_token.expand(b, -1, -1) + rows[:, cls_row : cls_row + 1]
        return torch.cat((cls, patches), dim=1)

    @staticmethod
    def _token_mask(channel_mask: torch.Tensor | None, a: int) -> torch.Tensor | None:
        """(B, N) channel mask -> (B, 1 + N*A) token mask (cls always on), None if nothing is hidden."""
        if channel_mask is None or bool(channel_mask.all()):
            return None
        tok = channel_mask[:, :, None].expand(-1, -1, a).flatten(1)
        return torch.cat((tok.new_ones(tok.shape[0], 1), tok), dim=1)

    def _patch_tokens(self, x: torch.Tensor, token_mask: torch.Tensor | None) -> torch.Tensor:
        if token_mask is not None and isinstance(self.patch_embed, TemporalConv):
            return self.patch_embed(x, token_mask[:, 1:])
        return self.patch_embed(x)

    def _run_blocks(self, x: torch.Tensor, token_mask: torch.Tensor | None) -> torch.Tensor:
        attn_mask = None if token_mask is None else token_mask[:, None, None, :]
        x = self.pos_drop(x)
        for blk in self.blocks:
            x = blk(x, attn_mask)
        return self.norm(x)

    def encode(
        self,
        x: torch.Tensor,
        input_chans: InputChans = None,
        channel_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """All tokens after the blocks and `norm` (B, 1 + N*A, D), and the token mask."""
        n, a = self._grid(x)
        token_mask = self._token_mask(channel_mask, a)
        tokens = self._patch_tokens(x, token_mask)
        x = self._add_embeddings(tokens, input_chans, n, a)
        return self._run_blocks(x, token_mask), token_mask

    def pool(self, x: torch.Tensor, token_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The reference's readout: fc_norm(mean of patch tokens), or the normed cls token."""
        if self.fc_norm is None:
            return x[:, 0]
        patches = x[:, 1:]
        if token_mask is None:
            return self.fc_norm(patches.mean(1))
        m = token_mask[:, 1:, None].to(patches.dtype)
        return self.fc_norm((patches * m).sum(1) / m.sum(1).clamp_min(1.0))

    def forward_features(
        self,
        x: torch.Tensor,
        input_chans: InputChans = None,
        return_patch_tokens: bool = False,
        return_all_tokens: bool = False,
        channel_mask: torch.Tensor | None = None,
        **kwargs,
    ) -> torch.Tensor:
        """Reference readouts: pooled (B, D), patch tokens (B, N*A, D) or all tokens (B, 1+N*A, D)."""
        x, token_mask = self.encode(x, input_chans, channel_mask)
        if self.fc_norm is not None:
            if return_all_tokens:
                return self.fc_norm(x)
            if return_patch_tokens:
                return self.fc_norm(x[:, 1:])
            return self.pool(x, token_mask)
        if return_all_tokens:
            return x
        if return_patch_tokens:
            return x[:, 1:]
        return x[:, 0]

    def forward(
        self,
        x: torch.Tensor,
        input_chans: InputChans = None,
        return_patch_tokens: bool = False,
        return_all_tokens: bool = False,
        **kwargs,
    ) -> torch.Tensor:
        """x (B, N, A, 200) in uV/100 -> head(features)."""
        features = self.forward_features(
            x, input_chans, return_patch_tokens, return_all_tokens, **kwargs
        )
        return self.head(features)


class LaBraM(NeuralTransformer):
    """The registered backbone: the reference fine-tune model plus neurokit's batch entry point."""

    def __init__(
        self, *, channel_mapper, input_scale: float = 0.01, sfreq: float = 200.0, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.channel_mapper = channel_mapper
        self.input_scale = input_scale
        self.sfreq = sfreq

    def forward_batch(self, batch) -> BackboneOutput:
        """Store batch (microvolts, channel names, 200 Hz) -> pooled features (+ logits)."""
        from neurokit.plugins.models.labram.inputs import to_labram_input

        inp = to_labram_input(
            batch,
            self.channel_mapper,
            scale=self.input_scale,
            sfreq=self.sfreq,
            max_patches=self.max_patches,
            patch_size=self.patch_size,
        )
        return self._outputs(*self.encode(inp.x, inp.input_chans, inp.channel_mask))

    def forward_windows(
        self, x: torch.Tensor, channel_names: list[str], positions: torch.Tensor, sfreq: float
    ) -> BackboneOutput:
        """Deployment entry (neurokit.deploy): windows (B, C, T) uV sharing `channel_names`,
        nothing padded; no per-sample Python, so it exports with a dynamic batch."""
        from neurokit.plugins.models.labram.channels import ChannelError
        from neurokit.plugins.models.labram.inputs import check_window

        b, c, t = x.shape
        a = check_window(
            sfreq, t, expected_sfreq=self.sfreq, patch_size=self.patch_size,
            max_patches=self.max_patches,
        )  # fmt: skip
        rows = self.channel_mapper.rows(channel_names)  # unknown names: an error, or dropped
        keep = [i for i, row in enumerate(rows) if row is not None]
        if not keep:
            raise ChannelError(f"no channel LaBraM knows ({', '.join(channel_names)})")
        if len(keep) < c:  # dropped channels are left out, as the batch path masks them
            x, c = x[:, keep], len(keep)
        x = (x.float() * self.input_scale).reshape(b, c, a, self.patch_size)
        return self._outputs(*self.encode(x, [0, *(rows[i] for i in keep)], None))

    def _outputs(self, x: torch.Tensor, token_mask: torch.Tensor | None) -> BackboneOutput:
        pooled = self.pool(x, token_mask)
        tokens = self.fc_norm(x[:, 1:]) if self.fc_norm is not None else x[:, 1:]
        extras = {"token_mask": None if token_mask is None else token_mask[:, 1:]}
        if self.num_classes > 0:
            extras["logits"] = self.head(pooled)
        return BackboneOutput(pooled=pooled, tokens=tokens, extras=extras)


# ------------------------------------------------- masked EEG modelling (pretraining)


class NeuralTransformerForMaskedEEGModeling(NeuralTransformer):
    """The MEM student (keys: cls_token, mask_token, pos_embed, time_embed, patch_embed, blocks, norm, lm_head)."""

    def __init__(self, vocab_size: int = 8192, **kwargs) -> None:
        kwargs.update(use_mean_pooling=False, num_classes=0, in_chans=1)
        super().__init__(**kwargs)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, self.embed_dim))
        self.lm_head = nn.Linear(self.embed_dim, vocab_size)
        trunc_normal_(self.mask_token)
        trunc_normal_(self.lm_head.weight)
        nn.init.zeros_(self.lm_head.bias)

    def forward_features(
        self,
        x: torch.Tensor,
        input_chans: InputChans = None,  # type: ignore[override]
        bool_masked_pos: torch.Tensor | None = None,
        channel_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """All tokens after `norm` (B, 1 + N*A, D), masked positions fed `mask_token`."""
        n, a = self._grid(x)
        token_mask = self._token_mask(channel_mask, a)
        tokens = self._patch_tokens(x, token_mask)
        if bool_masked_pos is not None:
            w = bool_masked_pos.unsqueeze(-1).type_as(tokens)
            tokens = tokens * (1 - w) + self.mask_token.to(tokens.dtype) * w
        x = self._add_embeddings(tokens, input_chans, n, a, cls_row=1)
        return self._run_blocks(x, token_mask)

    def forward(
        self,
        x: torch.Tensor,
        input_chans: InputChans = None,  # type: ignore[override]
        bool_masked_pos: torch.Tensor | None = None,
        return_all_tokens: bool = False,
        return_patch_tokens: bool = False,
        return_all_patch_tokens: bool = False,
    ) -> torch.Tensor:
        if bool_masked_pos is None:
            bool_masked_pos = torch.zeros(
                x.shape[0], x.shape[1] * x.shape[2], dtype=torch.bool, device=x.device
            )
        h = self.forward_features(x, input_chans, bool_masked_pos)
        if return_all_patch_tokens:
            return h
        h = h[:, 1:]
        if return_patch_tokens:
            return h
        return self.lm_head(h if return_all_tokens else h[bool_masked_pos])


class NeuralTransformerForMEM(nn.Module):
    """Student + code predictor, trained with symmetric masking (mask M, then ~M)."""

    def __init__(self, vocab_size: int = 8192, **kwargs) -> None:
        super().__init__()
        self.student = NeuralTransformerForMaskedEEGModeling(vocab_size=vocab_size, **kwargs)
        d = self.student.embed_dim
        self.lm_head = nn.Linear(d, vocab_size)
        self.projection_head = nn.Sequential(nn.Linear(d, d), nn.ReLU())
        trunc_normal_(self.lm_head.weight)
        nn.init.zeros_(self.lm_head.bias)
        self.patch_size = self.student.patch_size

    def no_weight_decay(self) -> set[str]:
        return {"student.cls_token", "student.pos_embed", "student.time_embed"}

    def num_layers(self) -> int:
        return self.student.num_layers()

    def layer_id(self, parameter_name: str) -> int:
        if parameter_name.startswith("student."):
            return self.student.layer_id(parameter_name[len("student.") :])
        return self.student.num_layers() + 1

    def patch_states(
        self,
        x: torch.Tensor,
        input_chans: InputChans,
        bool_masked_pos: torch.Tensor,
        channel_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Student patch states (B, N*A, D) for one masking."""
        return self.student.forward_features(x, input_chans, bool_masked_pos, channel_mask)[:, 1:]

    def forward(
        self,
        x: torch.Tensor,
        input_chans: InputChans = None,
        bool_masked_pos: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Reference call: logits at the masked positions of M and of ~M."""
        h = self.patch_states(x, input_chans, bool_masked_pos)
        h_sym = self.patch_states(x, input_chans, ~bool_masked_pos)
        return self.lm_head(h[bool_masked_pos]), self.lm_head(h_sym[~bool_masked_pos])


def random_masking(
    batch: int,
    length: int,
    mask_ratio: float = 0.5,
    device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The reference's masking (True = masked): L - floor(L * (1 - ratio)) per sample, MAE-style."""
    return random_token_mask(batch, length, mask_ratio, generator, rounding="keep", device=device)
