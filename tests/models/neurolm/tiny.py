"""Tiny NeuroLM configs and batches for the tests (official structure, toy sizes)."""

from __future__ import annotations

import torch

from neurokit.plugins.models.neurolm.config import NeuroLMConfig, NeuroLMVQConfig, NTArgs

ENC = dict(n_layer=2, n_head=2, n_embd=32, out_chans=8)
DEC = dict(n_layer=1, n_head=2, n_embd=32, in_chans=16)


def tiny_vq_config(**kw) -> NeuroLMVQConfig:
    args = dict(
        encoder_args=NTArgs(**ENC),
        decoder_args=NTArgs(**DEC),
        n_embed=64,
        embed_dim=16,
        text_vocab_size=100,
    )
    return NeuroLMVQConfig(**{**args, **kw})


def tiny_lm_config(**kw) -> NeuroLMConfig:
    args = dict(
        n_layer=2,
        n_head=2,
        n_embd=48,
        block_size=64,
        vocab_size=100,
        padded_vocab_size=128,
        text_vocab_size=100,
        eeg_vocab_size=64,
        encoder_args=NTArgs(**ENC),
    )
    return NeuroLMConfig(**{**args, **kw})


def eeg_batch(batch=2, chans=3, times=2, pad=2, seed=0):
    """Time-major patches (B, L, 200) with `pad` padding tokens on sample 1 (if B > 1)."""
    g = torch.Generator().manual_seed(seed)
    n = chans * times
    length = n + pad
    x = torch.randn(batch, length, 200, generator=g)
    chans_ids = torch.tensor([3, 5, 7][:chans] * times + [136] * pad)
    input_chans = chans_ids.expand(batch, -1).clone()
    input_time = torch.tensor([a for a in range(times) for _ in range(chans)] + [0] * pad)
    input_time = input_time.expand(batch, -1).clone()
    input_mask = torch.ones(batch, length, dtype=torch.bool)
    input_mask[:, n:] = False
    x[:, n:] = 0
    return x, input_chans, input_time, input_mask


def write_release(path, model, **args) -> None:
    """A file shaped like the official checkpoints: compiled-model keys plus training state
    and the constructor dicts `args` (`model_args`, or `encoder_args` / `decoder_args`)."""
    state = {"_orig_mod." + k: v.clone() for k, v in model.state_dict().items()}
    optimizer = {"state": {}, "param_groups": []}
    torch.save({"model": state, "optimizer": optimizer, "iter_num": 7, "epoch": 1, **args}, path)
