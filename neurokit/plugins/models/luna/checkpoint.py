"""Load released LUNA weights (`LUNA_{base,large,huge}.safetensors`) and other LUNA checkpoints.

The load is strict: after an optional `model.` (Lightning) or `backbone.` (neurokit
run) prefix is removed and the pretraining-only keys below are dropped for a
classifier, every key of the file must be a key of the model with the same shape
and vice versa. The only keys allowed to be absent are the classifier's, when the
file is a pretrained backbone. Anything else is a `LunaCheckpointError` that lists
the missing, unexpected and mis-shaped keys.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from neurokit.core.errors import DataError

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
PREFIXES = ("model.", "backbone.", "module.")


class LunaCheckpointError(DataError):
    """A file that is not a LUNA checkpoint of this size, with the keys that disagree."""


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a .safetensors file, or of a torch file (bare, Lightning or neurokit checkpoint)."""
    file = Path(path)
    if not file.is_file():
        raise LunaCheckpointError(f"LUNA checkpoint {str(file)!r} does not exist")
    try:
        if file.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(file), device="cpu")
        else:
            state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt, truncated or not a checkpoint at all
        detail = " ".join(str(exc).split())[:200]
        raise LunaCheckpointError(f"cannot read LUNA checkpoint {str(file)!r}: {detail}") from None
    for wrapper in ("state_dict", "model"):
        if isinstance(state, Mapping) and isinstance(state.get(wrapper), Mapping):
            state = state[wrapper]
    if not isinstance(state, Mapping) or not all(
        isinstance(v, torch.Tensor) for v in state.values()
    ):
        raise LunaCheckpointError(f"LUNA checkpoint {str(file)!r} holds no state dict of tensors")
    return dict(state)


def strip_prefix(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Remove a wrapper prefix (`model.`, `backbone.`, `module.`) carried by every model key."""
    state = dict(state)
    for prefix in PREFIXES:
        if state and any(k.startswith(prefix) for k in state) and "mask_token" not in state:
            state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    return state


def _listing(title: str, keys: list[str], limit: int = 12) -> str:
    shown = ", ".join(keys[:limit]) + (
        f", ... ({len(keys) - limit} more)" if len(keys) > limit else ""
    )
    return f"{title} ({len(keys)}): {shown}"


def load_luna_weights(model: nn.Module, path: str | Path) -> dict[str, list[str]]:
    """Load `path` into `model` strictly (see module doc). Returns what was dropped or left new."""
    state = strip_prefix(read_state_dict(path))
    own = model.state_dict()
    dropped: list[str] = []
    fresh: list[str] = []
    if getattr(model, "classifier", None) is not None:
        dropped = [k for k in PRETRAINING_ONLY_KEYS if k in state]
        for key in dropped:
            del state[key]
        head = [k for k in own if k.startswith("classifier.")]
        mismatched = [k for k in head if k in state and state[k].shape != own[k].shape]
        if mismatched or not any(k in state for k in head):  # another class count, or a backbone
            for key in head:
                state.pop(key, None)
            fresh = head
            if mismatched:
                log.warning(
                    "LUNA checkpoint %s: classifier has another class count; it starts fresh", path
                )
    missing = [k for k in own if k not in state and k not in fresh]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in state
        if k in own and state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = [
            _listing(t, keys)
            for t, keys in (
                ("missing", missing),
                ("unexpected", unexpected),
                ("shape mismatch (file vs model)", shapes),
            )
            if keys
        ]
        raise LunaCheckpointError(
            f"{str(path)!r} does not fit {type(model).__name__} "
            f"(embed_dim={getattr(model, 'embed_dim', '?')}, depth={getattr(model, 'depth', '?')}): "
            + "; ".join(parts)
        )
    for key in fresh:
        state[key] = own[key]
    model.load_state_dict(state, strict=True)
    return {"dropped": dropped, "fresh": fresh}
