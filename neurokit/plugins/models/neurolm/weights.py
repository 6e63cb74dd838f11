"""NeuroLM's weights filters: released `VQ.pt` / `NeuroLM-{B,L,XL}.pt` and neurokit runs.

Reading, unwrapping (`model` container, `_orig_mod.` prefix) and the strict load are
core's (`neurokit.core.weights`). Released files are dicts with `model`, `optimizer`,
`iter_num` / `epoch` and the constructor arguments: `encoder_args` / `decoder_args` (VQ)
or `model_args` (LM); `checkpoint_args` reads those so the model can be built to fit.

- `vq_filter`: a `VQ_Align` state (`VQ.*`, `domain_classifier.*`, `wte.weight`) loads
  into `VQAlign` as is, or into a bare `VQ` with `VQ.` removed.
- `lm_filter`: a NeuroLM state (`tokenizer.*`, `GPT2.*`, `pos_embed.*`,
  `encode_transform_layer.*`) loads as is.
- `encoder_filter`: the LM's frozen `tokenizer` from a VQ checkpoint's `VQ.encoder.*`
  (what the official LM constructor does with `tokenizer_ckpt_path`).
Each finds its anchor key wherever a neurokit task checkpoint nests it (`backbone.`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from neurokit.core.errors import WeightsError
from neurokit.core.weights import (
    LoadReport,
    StateDict,
    load_weights,
    resolve_source,
)

VQ_ANCHOR = "VQ.quantize.embedding.weight"
LM_ANCHOR = "GPT2.transformer.wpe.weight"
ENCODER_ANCHOR = "VQ.encoder.pos_embed.weight"


def _subtree(state: Mapping[str, torch.Tensor], anchor: str) -> StateDict | None:
    """Keys under the shortest prefix P with P + anchor present, P removed."""
    hits = sorted((k[: -len(anchor)] for k in state if k.endswith(anchor)), key=len)
    if not hits:
        return None
    p = hits[0]
    return {k[len(p) :]: v for k, v in state.items() if k.startswith(p)}


def vq_filter(state: StateDict, model: nn.Module) -> StateDict:
    found = _subtree(state, VQ_ANCHOR)
    if found is None:
        raise WeightsError(f"no NeuroLM tokenizer weights (no {VQ_ANCHOR} key)")
    if not hasattr(model, "VQ"):  # a bare VQ
        found = {k[3:]: v for k, v in found.items() if k.startswith("VQ.")}
    return found


def lm_filter(state: StateDict, model: nn.Module) -> StateDict:
    found = _subtree(state, LM_ANCHOR)
    if found is None:
        raise WeightsError(f"no NeuroLM language-model weights (no {LM_ANCHOR} key)")
    return found


def encoder_filter(state: StateDict, model: nn.Module) -> StateDict:
    found = _subtree(state, ENCODER_ANCHOR)
    if found is None:
        raise WeightsError(f"no NeuroLM tokenizer encoder (no {ENCODER_ANCHOR} key)")
    return {k[len("VQ.encoder.") :]: v for k, v in found.items() if k.startswith("VQ.encoder.")}


def load_vq(model: nn.Module, source: str | Path | Mapping) -> LoadReport:
    """Load VQ.pt (or a neurokit tokenizer run) into `VQAlign` or `VQ`, strictly."""
    return load_weights(model, source, filter_fn=vq_filter)


def load_lm(model: nn.Module, source: str | Path | Mapping) -> LoadReport:
    """Load NeuroLM-{B,L,XL}.pt (or a neurokit run) into `NeuroLM`, strictly."""
    return load_weights(model, source, filter_fn=lm_filter)


def load_lm_tokenizer(model: nn.Module, source: str | Path | Mapping) -> LoadReport:
    """Load the LM's frozen `tokenizer` (a `NeuroLM`) from VQ.pt's `VQ.encoder.*`, strictly."""
    target = model.tokenizer if hasattr(model, "tokenizer") else model
    return load_weights(target, source, filter_fn=encoder_filter)


def checkpoint_args(source: str | Path) -> dict:
    """The constructor dicts a released checkpoint carries: any of `encoder_args`,
    `decoder_args`, `model_args` (empty when the file has none)."""
    path = resolve_source(source)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(
            f"cannot read {str(path)!r}: {' '.join(str(exc).split())[:200]}"
        ) from None
    if not isinstance(obj, Mapping):
        return {}
    return {
        k: dict(obj[k])
        for k in ("encoder_args", "decoder_args", "model_args")
        if isinstance(obj.get(k), Mapping)
    }


def tokenizer_config_from(source: str | Path, **overrides):
    """A `NeuroLMVQConfig` that fits the checkpoint's `encoder_args` / `decoder_args`."""
    from neurokit.plugins.models.neurolm.config import NeuroLMVQConfig, NTArgs

    args = checkpoint_args(source)
    fields = set(NTArgs.model_fields)
    extra = {}
    for key in ("encoder_args", "decoder_args"):
        if key in args:
            extra[key] = NTArgs(**{k: v for k, v in args[key].items() if k in fields})
    return NeuroLMVQConfig(**{**extra, **overrides})


def lm_config_from(source: str | Path, **overrides):
    """A `NeuroLMConfig` that fits the checkpoint's `model_args` (GPTConfig fields)."""
    from neurokit.plugins.models.neurolm.config import NeuroLMConfig

    args = checkpoint_args(source).get("model_args", {})
    keep = ("n_layer", "n_head", "n_embd", "block_size", "bias", "vocab_size", "dropout")
    return NeuroLMConfig(**{**{k: args[k] for k in keep if k in args}, **overrides})
