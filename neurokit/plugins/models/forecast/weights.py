"""Loading official ephys_gpt checkpoints (and neurokit's own) strictly.

Official runs are Lightning checkpoints: `state_dict` with the model under `model.`
(`model._orig_mod.` when trained with `compile: true`, the official default). Older
`transformers` versions also saved GPT-2's causal-mask buffers `attn.bias` /
`attn.masked_bias`, which carry no weights. `filter_state_dict` removes exactly those
wrappers; `load_weights` then loads strictly, allowing only neurokit's own `classifier.*`
to be missing, and names every mismatched key in one error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from neurokit.core.errors import DataError

WRAPPERS = ("model.", "_orig_mod.", "module.", "backbone.")
HF_MASK_BUFFERS = re.compile(r"^gpt2\.h\.\d+\.attn\.(bias|masked_bias)$")
ALLOW_MISSING = ("classifier.",)


def filter_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Official/Lightning/DDP/compile wrappers off, HF mask buffers out."""
    for key in ("state_dict", "model"):
        if isinstance(state.get(key), Mapping):
            state = state[key]
            break
    out = {}
    for name, value in state.items():
        changed = True
        while changed:
            changed = False
            for prefix in WRAPPERS:
                if name.startswith(prefix):
                    name, changed = name[len(prefix) :], True
        if HF_MASK_BUFFERS.match(name):
            continue
        out[name] = value
    return out


def load_weights(model: nn.Module, source: str | Path | Mapping[str, torch.Tensor]) -> nn.Module:
    """Load a checkpoint file or state dict into `model` strictly (see the module docstring)."""
    if not isinstance(source, Mapping):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"checkpoint {path} does not exist")
        try:
            source = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # a damaged or foreign file
            raise DataError(f"cannot read checkpoint {path}: {exc}") from exc
    state = filter_state_dict(source)
    own = model.state_dict()
    missing = [k for k in own if k not in state and not k.startswith(ALLOW_MISSING)]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = []
        for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape", shapes)):
            if keys:
                parts.append(f"{label}: {', '.join(keys[:8])}{' ...' if len(keys) > 8 else ''}")
        raise DataError("checkpoint does not fit the model; " + "; ".join(parts))
    model.load_state_dict(state, strict=False)
    return model
