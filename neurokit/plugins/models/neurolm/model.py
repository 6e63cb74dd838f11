"""The NeuroLM language model (official `model_neurolm.NeuroLM`).

Keys are the official: `tokenizer.*` (the frozen VQ encoder, a NeuroLM `NeuralTransformer`),
`GPT2.*` (nanoGPT: `transformer.{wte,wpe,h,ln_f}`, `lm_head`), `pos_embed` (channel
embedding at the GPT width) and `encode_transform_layer` (Linear + GELU when the GPT width
differs from the encoder's; Identity, i.e. no keys, for B).

EEG enters as continuous vectors: frozen encoder features (`fc_norm` of every token) ->
`encode_transform_layer` -> + `pos_embed[input_chans]` -> + `wpe[input_time]` inside GPT.
Text follows the EEG with `wpe` positions from the batch-wide max(input_time) + 1 (the
official quirk, kept so released weights behave as trained). `wte` has 50304 rows and
`lm_head` 50304 + eeg_vocab_size outputs (untied), EEG code c is output 50304 + c.

Calls (official signatures):
- `forward(x_eeg, y_eeg, x_text, y_text, input_chans, input_time, input_mask, eeg_mask,
  eeg_text_mask)` -> (loss, log, logits). Pretraining: EEG only, `y_eeg` = codes of
  (t+1, c) with -1 - 50304 where ignored, `eeg_mask` = `gpt_mask(...)`. Instruction tuning:
  EEG + text, `y_eeg` all ignored, `y_text` answer tokens, `eeg_text_mask`. Text LM loss:
  `forward(None, None, x_text, y_text)`.
- `generate(x_eeg, x_text, input_chans, input_time, input_mask, eeg_mask=None,
  eeg_text_mask=None, max_new_tokens=10, temperature=1.0, top_k=1)` -> (B, T_text + new),
  with a key-value cache (see `generate.py`).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from neurokit.core.model import BackboneOutput
from neurokit.nn.layers import init_transformer_weights_
from neurokit.plugins.models.neurolm.config import NeuroLMConfig
from neurokit.plugins.models.neurolm.gpt import GPT, GPTConfig, hf_gpt2_config, load_hf_gpt2
from neurokit.plugins.models.neurolm.tokenizer import NeuralTransformer, attention_mask


def build_lm(config: NeuroLMConfig) -> NeuroLM:
    """The backbone factory: a NeuroLM from its config, with a released checkpoint given as
    `pretrained` (a file: the config already fits it) loaded strictly. A run directory as
    `pretrained` is the stages' to read (they rebuild the LM its run trained)."""
    model = NeuroLM(config)
    if config.pretrained and Path(config.pretrained).expanduser().is_file():
        from neurokit.plugins.models.neurolm.weights import load_lm

        load_lm(model, Path(config.pretrained).expanduser(), allow_missing=("head.*",))
    return model


__all__ = ["NeuroLM", "build_lm", "gpt_mask"]


def gpt_mask(
    num_chans: int, num_times: int, length: int, eeg_len: int | None = None
) -> torch.Tensor:
    """The official `gpt_mask` (1, L, L) bool, True = may attend.

    Causal, plus full attention inside each time step's channel block (tokens are
    time-major, a * num_chans + n), with the EEG padding columns `num_chans * num_times :
    eeg_len` zeroed. EEG only (pretraining): `eeg_len` = `length` (default), every column
    after the real tokens is zeroed. EEG + text (instruction): `length` counts both and
    `eeg_len` the padded EEG length; text columns stay causal.
    """
    mask = torch.ones(length, length).tril()
    for i in range(num_times):
        mask[i * num_chans : (i + 1) * num_chans, i * num_chans : (i + 1) * num_chans] = 1
    mask[:, num_chans * num_times : length if eeg_len is None else eeg_len] = 0
    return mask.bool()[None]


class NeuroLM(nn.Module):
    """GPT-2 over EEG features and text (see the module doc)."""

    def __init__(self, config: NeuroLMConfig | None = None, **overrides) -> None:
        super().__init__()
        config = config or NeuroLMConfig(**overrides)
        self.config = config
        gpt_args = dict(
            n_layer=config.n_layer,
            n_head=config.n_head,
            n_embd=config.n_embd,
            block_size=config.block_size,
            vocab_size=config.vocab_size,
            bias=config.bias,
            dropout=config.dropout,
        )
        if config.gpt2_path:  # official init_from='gpt2*': sizes from the file, bias True
            gpt_args.update(hf_gpt2_config(config.gpt2_path), bias=True)
        self.GPT2 = GPT(GPTConfig(**gpt_args))
        if config.gpt2_path:
            load_hf_gpt2(self.GPT2, config.gpt2_path)
        self.GPT2.enlarge_wte(max(config.padded_vocab_size, self.GPT2.config.vocab_size))
        self.GPT2.enlarge_lm_head(self.GPT2.config.vocab_size + config.eeg_vocab_size)
        self.tokenizer = NeuralTransformer(config.encoder_args)
        for p in self.tokenizer.parameters():
            p.requires_grad = False
        width = self.GPT2.config.n_embd
        self.pos_embed = nn.Embedding(256, width)
        enc = config.encoder_args.n_embd
        self.encode_transform_layer = (
            nn.Sequential(nn.Linear(enc, width), nn.GELU()) if enc != width else nn.Identity()
        )
        self.encode_transform_layer.apply(init_transformer_weights_)
        self.num_features = width
        self.head = None
        if config.num_classes > 0:
            self.reset_classifier(config.num_classes)

    @property
    def text_vocab_size(self) -> int:
        return self.config.text_vocab_size

    @property
    def vocab_offset(self) -> int:
        """lm_head output of EEG code 0 (50304)."""
        return self.GPT2.config.vocab_size

    def encode_eeg(self, x_eeg, input_chans, input_time, input_mask) -> torch.Tensor:
        """EEG patches (B, L, 200) -> GPT-width embeddings (B, L, n_embd), before wpe."""
        mask = attention_mask(input_mask, x_eeg.shape[1])
        x = self.tokenizer(x_eeg, input_chans, input_time, mask, return_all_tokens=True)
        return self.encode_transform_layer(x) + self.pos_embed(input_chans)

    def forward(
        self,
        x_eeg=None,
        y_eeg=None,
        x_text=None,
        y_text=None,
        input_chans=None,
        input_time=None,
        input_mask=None,
        eeg_mask=None,
        eeg_text_mask=None,
    ):
        """Official forward -> (loss, log, logits); see the module doc."""
        if x_eeg is not None:
            x_eeg = self.encode_eeg(x_eeg, input_chans, input_time, input_mask)
        logits, loss, accuracy = self.GPT2(
            x_eeg, y_eeg, x_text, y_text, input_time, eeg_mask, eeg_text_mask
        )
        split = "train" if self.training else "val"
        log = {}
        if loss is not None:
            log[f"{split}/loss"] = loss.detach()
        if accuracy is not None:
            log[f"{split}/accuracy"] = accuracy.detach()
        return loss, log, logits

    @torch.no_grad()
    def generate(
        self,
        x_eeg,
        x_text,
        input_chans=None,
        input_time=None,
        input_mask=None,
        eeg_mask=None,
        eeg_text_mask=None,
        max_new_tokens: int = 10,
        temperature: float = 1.0,
        top_k: int | None = 1,
        **options,
    ) -> torch.Tensor:
        """Official signature; cached generation (`generate.generate`, options there)."""
        from neurokit.plugins.models.neurolm.generate import generate

        return generate(
            self,
            x_eeg,
            x_text,
            input_chans,
            input_time,
            input_mask,
            eeg_text_mask=eeg_text_mask,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_k=top_k,
            **options,
        )

    def get_num_params(self, non_embedding: bool = True) -> int:
        n = sum(p.numel() for p in self.parameters())
        return n - self.GPT2.transformer.wpe.weight.numel() if non_embedding else n

    # neurokit Backbone protocol: pooled = mean of the last hidden states over EEG tokens
    def forward_features(self, x_eeg, input_chans, input_time, input_mask, eeg_mask=None):
        """Final hidden states (B, L, n_embd) over the EEG tokens."""
        x = self.encode_eeg(x_eeg, input_chans, input_time, input_mask)
        return self.GPT2(x, None, None, None, input_time, eeg_mask, None, lm_head=False)

    def forward_batch(self, batch) -> BackboneOutput:
        """Store batch (microvolts, channel names, 200 Hz) -> mean of the final EEG states.

        The signal becomes time-major 1-s patches in uV / 100 (the official scaling) with
        LaBraM's channel checks (`labram.inputs`); NeuroLM's channel id is LaBraM's row - 1.
        """
        from neurokit.plugins.models.labram.channels import ChannelMapper
        from neurokit.plugins.models.labram.inputs import to_labram_input

        inp = to_labram_input(batch, ChannelMapper(), scale=0.01, max_patches=64)
        b, n, a, t = inp.x.shape
        x = inp.x.transpose(1, 2).reshape(b, a * n, t)
        rows = torch.as_tensor(inp.input_chans, device=x.device)
        rows = (rows.expand(b, -1) if rows.ndim == 1 else rows)[:, 1:] - 1
        chans = rows.repeat(1, a)
        times = torch.arange(a, device=x.device).repeat_interleave(n).expand(b, -1)
        keep = (
            torch.ones(b, n, dtype=torch.bool, device=x.device)
            if inp.channel_mask is None
            else inp.channel_mask.bool()
        )
        mask = keep.repeat(1, a)
        chans = chans.masked_fill(~mask, 136)  # 'pad'
        # the pretraining attention (causal across time steps, full within one), with the
        # padded channels' keys masked so that padding never reaches a real token
        attend = gpt_mask(n, a, a * n).to(x.device)[None] & mask[:, None, None, :]
        return self._outputs(self.forward_features(x, chans, times, mask, eeg_mask=attend), mask)

    def _outputs(self, tokens: torch.Tensor, mask: torch.Tensor) -> BackboneOutput:
        """Pooled = mean of the real tokens' final states; logits from the head, if any."""
        m = mask.to(tokens.dtype)[..., None]
        pooled = (tokens * m).sum(1) / m.sum(1).clamp_min(1)
        extras = {"token_mask": mask}
        if self.head is not None:
            extras["logits"] = self.head(pooled)
        return BackboneOutput(pooled=pooled, tokens=tokens, extras=extras)

    def reset_classifier(self, num_classes: int) -> None:
        """A fresh linear head on the pooled states (not part of the official model)."""
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else None

    # neurokit.deploy: a run without a linear head answers in text (instruct), so it has no
    # class probabilities to give; one with a head (a finetune run) predicts as any other
    @property
    def predict_unsupported(self) -> str | None:
        if self.head is not None:
            return None
        return (
            "NeuroLM answers questions in generated text (a token-by-token loop over a 50k-word "
            "vocabulary) that `neurokit eval` parses into classes; it has no class "
            "probabilities to predict or export. Use `neurokit embed` for its features, or "
            "`neurokit eval` for the parsed answers"
        )

    def forward_windows(
        self, x: torch.Tensor, channel_names: list[str], positions: torch.Tensor, sfreq: float
    ) -> BackboneOutput:
        """Deployment entry (neurokit.deploy): windows (B, C, T) uV sharing `channel_names`,
        nothing padded: `forward_batch` without per-sample Python (TorchScript traces it
        with a dynamic batch, and so does the ONNX exporter). The all-True token mask is
        needed: without one the encoder's attention is causal."""
        from neurokit.plugins.models.labram.channels import ChannelError, ChannelMapper
        from neurokit.plugins.models.labram.inputs import check_window

        b, c, t = x.shape
        a = check_window(sfreq, t, max_patches=64)
        rows = ChannelMapper().rows(channel_names)
        keep = [i for i, row in enumerate(rows) if row is not None]
        if not keep:
            raise ChannelError(f"no channel NeuroLM knows ({', '.join(channel_names)})")
        n = len(keep)
        x = (x[:, keep].float() * 0.01).reshape(b, n, a, 200).transpose(1, 2).reshape(b, a * n, 200)
        chans = torch.tensor([rows[i] - 1 for i in keep] * a, device=x.device).expand(b, -1)
        times = torch.arange(a, device=x.device).repeat_interleave(n).expand(b, -1)
        mask = torch.ones(b, a * n, dtype=torch.bool, device=x.device)
        attend = gpt_mask(n, a, a * n).to(x.device)[None].expand(b, 1, a * n, a * n)
        return self._outputs(self.forward_features(x, chans, times, mask, eeg_mask=attend), mask)
