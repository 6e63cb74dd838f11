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
    read_state_dict,
    resolve_source,
    unwrap,
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


def load_vq(model: nn.Module, source: str | Path | Mapping, **allow) -> LoadReport:
    """Load VQ.pt (or a neurokit tokenizer run) into `VQAlign` or `VQ`, strictly."""
    return load_weights(model, source, filter_fn=vq_filter, **allow)


def load_lm(model: nn.Module, source: str | Path | Mapping, **allow) -> LoadReport:
    """Load NeuroLM-{B,L,XL}.pt (or a neurokit run) into `NeuroLM`, strictly."""
    return load_weights(model, source, filter_fn=lm_filter, **allow)


def load_lm_tokenizer(model: nn.Module, source: str | Path | Mapping) -> LoadReport:
    """Load the LM's frozen `tokenizer` (a `NeuroLM`) from VQ.pt's `VQ.encoder.*`, strictly."""
    target = model.tokenizer if hasattr(model, "tokenizer") else model
    return load_weights(target, source, filter_fn=encoder_filter)


def _checkpoint(source: str | Path) -> object:
    """The whole checkpoint object, memory-mapped when the file allows it (a released LM is
    ~3 GB with its optimizer state; its arguments and shapes are all that is read here)."""
    path = resolve_source(source)
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:
        read_state_dict(path)  # core's one-line WeightsError when the file cannot be read
        return torch.load(path, map_location="cpu", weights_only=True)  # a legacy pickle


def checkpoint_args(source: str | Path) -> dict:
    """The constructor dicts a released checkpoint carries: any of `encoder_args`,
    `decoder_args`, `model_args` (empty when the file has none)."""
    obj = _checkpoint(source)
    if not isinstance(obj, Mapping):
        return {}
    return {
        k: dict(obj[k])
        for k in ("encoder_args", "decoder_args", "model_args")
        if isinstance(obj.get(k), Mapping)
    }


def _state(obj: object, anchor: str, what: str, source) -> StateDict:
    found = _subtree(unwrap(obj), anchor)
    if found is None:
        raise WeightsError(f"{str(source)!r} holds no NeuroLM {what} weights (no {anchor} key)")
    return found


def tokenizer_options_from(source: str | Path) -> dict:
    """`NeuroLMVQConfig` fields of a released VQ.pt (or a VQ_Align state file): the
    `encoder_args` / `decoder_args` it carries, and what only its shapes say (codebook
    size and width, raw decoder outputs, rows of the GPT-2 `wte`)."""
    from neurokit.plugins.models.neurolm.config import NTArgs

    obj = _checkpoint(source)
    state = _state(obj, VQ_ANCHOR, "tokenizer", source)
    options: dict = {}
    fields = set(NTArgs.model_fields)
    for key in ("encoder_args", "decoder_args"):
        args = obj.get(key) if isinstance(obj, Mapping) else None
        if isinstance(args, Mapping):
            options[key] = NTArgs(**{k: v for k, v in args.items() if k in fields})
    options["n_embed"], options["embed_dim"] = state[VQ_ANCHOR].shape
    raw = state.get("VQ.decode_task_layer_raw.2.weight")
    if raw is not None:
        options["decoder_out_dim"] = raw.shape[0]
    if "wte.weight" in state:
        options["text_vocab_size"] = state["wte.weight"].shape[0]
    return options


def tokenizer_config_from(source: str | Path, **overrides):
    """A `NeuroLMVQConfig` that fits the checkpoint (see `tokenizer_options_from`)."""
    from neurokit.plugins.models.neurolm.config import NeuroLMVQConfig

    return NeuroLMVQConfig(**{**tokenizer_options_from(source), **overrides})


def released_tokenizer(source: str | Path) -> nn.Module:
    """The `VQAlign` of a released VQ.pt, sized by the file and loaded strictly."""
    from neurokit.plugins.models.neurolm.tokenizer import VQAlign

    vq = VQAlign.from_config(tokenizer_config_from(source))
    load_vq(vq, source)
    return vq


# GPTConfig fields of `model_args` that shape the network (dropout is a training choice)
LM_ARGS = ("n_layer", "n_head", "n_embd", "block_size", "bias")


def lm_options_from(source: str | Path) -> dict:
    """`NeuroLMConfig` fields a released NeuroLM-{B,L,XL}.pt fixes: its `model_args` sizes,
    and from its shapes the vocabulary (the official saves `vocab_size` after `enlarge_wte`,
    i.e. the wte rows: both `vocab_size` and `padded_vocab_size` here) and `eeg_vocab_size`
    (the lm_head rows beyond them)."""
    obj = _checkpoint(source)
    state = _state(obj, LM_ANCHOR, "language-model", source)
    args = obj.get("model_args") if isinstance(obj, Mapping) else None
    options = {k: args[k] for k in LM_ARGS if isinstance(args, Mapping) and k in args}
    wte = state.get("GPT2.transformer.wte.weight")
    head = state.get("GPT2.lm_head.weight")
    if wte is not None:
        options["vocab_size"] = options["padded_vocab_size"] = wte.shape[0]
        options.setdefault("n_embd", wte.shape[1])
        if head is not None:
            options["eeg_vocab_size"] = head.shape[0] - wte.shape[0]
    options.setdefault("block_size", state[LM_ANCHOR].shape[0])
    return options


def lm_config_from(source: str | Path, **overrides):
    """A `NeuroLMConfig` that fits the checkpoint (see `lm_options_from`)."""
    from neurokit.plugins.models.neurolm.config import NeuroLMConfig

    return NeuroLMConfig(**{**lm_options_from(source), **overrides})
