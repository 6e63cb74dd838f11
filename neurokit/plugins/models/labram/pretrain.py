"""Masked EEG modelling (MEM) model: the reference `NeuralTransformerForMEM`.

The student is the NeuralTransformer with a final LayerNorm (`norm`), a `mask_token` and
its own (unused) `lm_head`; the outer `lm_head` predicts the frozen tokenizer's codes and
`projection_head` exists only so the released checkpoint's keys match. Two reference
quirks are kept on purpose: masked patch embeddings are replaced by `mask_token` before
any embedding is added, and the cls token receives the *first channel's* embedding
(the fine-tune model gives it row 0).
"""

from __future__ import annotations

import torch
from torch import nn

from neurokit.nn.layers import trunc_normal_
from neurokit.nn.masking import random_token_mask
from neurokit.plugins.models.labram.model import InputChans, NeuralTransformer


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
