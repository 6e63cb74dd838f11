"""LUNA's weights filter: released `LUNA_{base,large,huge}.safetensors` and other LUNA checkpoints.

Reading, unwrapping (a Lightning `model.` or neurokit `backbone.` prefix carried by every
key) and the strict load are core's (`neurokit.core.weights`). This filter adds what is
LUNA's: the `backbone.` part of a neurokit task checkpoint, and, for a classifier, the
pretraining-only keys below are dropped and a classifier loads only whole: one that does
not fit (another class count, a partial one, or none in the file) starts fresh, all of it.
Every other key must fit exactly.
"""

from __future__ import annotations

import logging
from pathlib import Path

from torch import nn

from neurokit.core.weights import LoadReport, StateDict, load_weights, sub_state

log = logging.getLogger(__name__)

# Keys of the pretraining heads (reconstruction decoder + channel-name table): a
# classifier drops exactly these. Written out so that a file with other stray keys fails.
_DECODER_LAYER = [
    f"decoder_head.decoder_pred.layers.0.{attn}.{p}"
    for attn in ("self_attn", "multihead_attn")
    for p in ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")
] + [
    f"decoder_head.decoder_pred.layers.0.{m}.{p}"
    for m in ("linear1", "linear2", "norm1", "norm2", "norm3")
    for p in ("weight", "bias")
]
PRETRAINING_ONLY_KEYS: tuple[str, ...] = (
    *_DECODER_LAYER,
    "decoder_head.norm.weight",
    "decoder_head.norm.bias",
    "decoder_head.decoder_linear.fc1.weight",
    "decoder_head.decoder_linear.fc1.bias",
    "decoder_head.decoder_linear.fc2.weight",
    "decoder_head.decoder_linear.fc2.bias",
    "channel_emb.embeddings.weight",
)
WRAPPER_PREFIXES = ("model.", "backbone.", "module.")
CLASSIFIER_KEYS = ("classifier.*",)  # may start fresh: the filter drops a head that does not fit


def luna_filter(state: StateDict, model: nn.Module) -> StateDict:
    """A LUNA checkpoint -> the keys of `model` (classifier or pretraining form)."""
    for prefix in WRAPPER_PREFIXES:  # the model's part of a Lightning or neurokit task checkpoint
        if "mask_token" not in state and any(k.startswith(prefix) for k in state):
            state = sub_state(state, prefix)
    if getattr(model, "classifier", None) is None:
        return state
    state = {k: v for k, v in state.items() if k not in PRETRAINING_ONLY_KEYS}
    own = model.state_dict()
    head = [k for k in own if k.startswith("classifier.")]
    mismatched = [k for k in head if k in state and state[k].shape != own[k].shape]
    if mismatched or not all(k in state for k in head):  # another class count, or a backbone
        if any(k in state for k in head):
            log.warning("LUNA checkpoint: its classifier does not fit this one; it starts fresh")
        state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
    return state


def load_luna_weights(model: nn.Module, source: str | Path) -> LoadReport:
    """Load `source` into `model` strictly (see module doc). The report says what started fresh."""
    size = f"(embed_dim={getattr(model, 'embed_dim', '?')}, depth={getattr(model, 'depth', '?')})"
    return load_weights(
        model,
        source,
        filter_fn=luna_filter,
        allow_missing=CLASSIFIER_KEYS,
        model_name=f"{type(model).__name__} {size}",
    )
