"""The official NeuroLM modules from a checkout (NEUROLM_REF), for parity tests and benchmarks.

One loader for both `test_neurolm_parity.py` and `benchmarks/neurolm_speed.py`: it imports
the checkout's `model/` package (needs einops; `model_vq.py` imports transformers at the
top for `VQ_Align` only, stubbed when absent) and builds the official `NeuroLM`, whose
constructor reads its encoder from a `VQ.pt`-shaped file, through a temporary one.
Nothing here is copied from the checkout; it is only imported from there.
"""

from __future__ import annotations

import os
import sys
import tempfile
import types
from pathlib import Path

import torch


def official_ref(ref: str | Path | None = None) -> Path | None:
    """The checkout (argument, else $NEUROLM_REF) when it holds `model/model_neurolm.py`."""
    ref = ref or os.environ.get("NEUROLM_REF")
    return Path(ref) if ref and (Path(ref) / "model" / "model_neurolm.py").is_file() else None


def import_official(ref: str | Path):
    """(GPTConfig, NTConfig, NeuroLM, VQ) of the official code."""
    if "transformers" not in sys.modules:
        try:
            import transformers  # noqa: F401
        except ImportError:  # model_vq imports GPT2LMHeadModel for VQ_Align only
            stub = types.ModuleType("transformers")
            stub.GPT2LMHeadModel = None
            sys.modules["transformers"] = stub
    if str(ref) not in sys.path:
        sys.path.insert(0, str(ref))
    from model.model import GPTConfig
    from model.model_neural_transformer import NTConfig
    from model.model_neurolm import NeuroLM
    from model.model_vq import VQ

    return GPTConfig, NTConfig, NeuroLM, VQ


def nt_args(n_layer: int, decoder: bool = False) -> dict:
    """Official `NTConfig` arguments at width 768 (the official patch embedding fixes it)."""
    args = dict(n_layer=n_layer, n_head=12, n_embd=768, block_size=1024, bias=False)
    args.update(dropout=0.0, num_classes=0)
    args.update(in_chans=128) if decoder else args.update(in_chans=1, out_chans=16)
    return args


def official_lm(ref: str | Path, vq_state: dict, enc: dict, dec: dict, **gpt):
    """The official `NeuroLM(GPTConfig(**gpt), VQ.pt, init_from='scratch')`, its encoder
    taken from `vq_state` (a bare official `VQ` state dict) through a temporary VQ.pt."""
    GPTConfig, _, NeuroLM, _ = import_official(ref)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "VQ.pt"
        state = {"_orig_mod.VQ." + k: v for k, v in vq_state.items()}
        torch.save({"model": state, "encoder_args": enc, "decoder_args": dec}, ckpt)
        return NeuroLM(GPTConfig(**gpt), str(ckpt), init_from="scratch")
