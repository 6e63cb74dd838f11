"""Official Du-IN checkpoints (`checkpoint-399.pth`, plain state dicts) into neurokit models.

The official `load_weight` of each model keeps the checkpoint keys whose module path
ends in one of a few blocks (regex `([^.]*\\.)*<block>`), renames them to that block and
loads non-strictly: the classifier and the MAE take `subj_block`, `tokenizer` and
`encoder`; the VQ-VAE also takes `vq_block`. Here the same selection is explicit and the
load is strict: `filter_official` returns the kept tensors, the checkpoint keys left out
on purpose, and the target prefixes allowed to stay freshly initialised; `load_official`
refuses anything else, naming every offending key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from neurokit.core.errors import DataError

TAKEN: dict[str, tuple[str, ...]] = {
    "vqvae": ("subj_block", "tokenizer", "encoder", "vq_block"),
    "mae": ("subj_block", "tokenizer", "encoder"),
    "cls": ("subj_block", "tokenizer", "encoder"),
}
# what each target keeps from its own init when loaded from another stage's checkpoint
# (`emb_time` is the fixed sinusoid, rebuilt for the target's length)
FRESH: dict[str, tuple[str, ...]] = {
    "vqvae": ("emb_time.", "decoder.", "rgs_block.", "desubj_block."),
    "mae": ("emb_time.", "mask_emb", "cls_block."),
    "cls": ("emb_time.", "vq_block.", "contra_block.", "cls_block."),
}
WRAPPERS = ("module.", "_orig_mod.")


class DuINWeightsError(DataError):
    """A checkpoint that cannot be read or does not fit the Du-IN model."""


@dataclass
class FilteredWeights:
    state: dict[str, torch.Tensor]
    dropped: list[str] = field(default_factory=list)  # checkpoint keys not used, by design
    allow_missing: tuple[str, ...] = ()  # target key prefixes left at their init


def _pattern(block: str) -> re.Pattern:
    return re.compile(rf"([^.]*\.)*{block}")


def filter_official(state: Mapping[str, torch.Tensor], target: str) -> FilteredWeights:
    """Select and rename the checkpoint tensors the official `load_weight` of `target` takes."""
    if target not in TAKEN:
        raise DuINWeightsError(f"unknown Du-IN target {target!r} (one of {', '.join(TAKEN)})")
    kept, dropped = {}, []
    for key, value in state.items():
        bare = key
        for prefix in WRAPPERS:
            bare = bare.removeprefix(prefix)
        for block in TAKEN[target]:
            match = _pattern(block).match(bare)
            if match is not None and bare[match.end() : match.end() + 1] in (".", ""):
                kept[block + bare[match.end() :]] = value
                break
        else:
            dropped.append(key)
    if not kept:
        raise DuINWeightsError(
            f"no tensor of the checkpoint belongs to {', '.join(TAKEN[target])}: not a Du-IN checkpoint"
        )
    return FilteredWeights(kept, dropped, FRESH[target])


def read_state(path: str | Path) -> dict[str, torch.Tensor]:
    """A plain state dict from `path` (tensors only: weights_only load)."""
    p = Path(path)
    if not p.is_file():
        raise DuINWeightsError(f"checkpoint {p} does not exist")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DuINWeightsError(f"cannot read checkpoint {p}: {exc}") from None
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise DuINWeightsError(f"checkpoint {p} is not a plain state dict")
    return state


def load_official(
    model: nn.Module, source: str | Path | Mapping[str, torch.Tensor], target: str
) -> FilteredWeights:
    """Load an official checkpoint into `model` (a DuINVQVAE / DuINMAE / DuINCLS) strictly.

    Missing keys must fall under the target's allow-list, shapes must match; otherwise one
    error names every mismatched key.
    """
    state = read_state(source) if isinstance(source, (str, Path)) else dict(source)
    filtered = filter_official(state, target)
    own = model.state_dict()
    unexpected = sorted(k for k in filtered.state if k not in own)
    shapes = sorted(
        f"{k} {tuple(v.shape)} vs {tuple(own[k].shape)}"
        for k, v in filtered.state.items()
        if k in own and v.shape != own[k].shape
    )
    missing = sorted(
        k for k in own if k not in filtered.state and not k.startswith(filtered.allow_missing)
    )
    problems = [
        f"{label}: {', '.join(keys)}"
        for label, keys in (("unexpected", unexpected), ("shape", shapes), ("missing", missing))
        if keys
    ]
    if problems:
        raise DuINWeightsError(
            "checkpoint does not fit duin-" + target + ": " + "; ".join(problems)
        )
    model.load_state_dict(filtered.state, strict=False)
    return filtered


def load_full(model: nn.Module, source: str | Path | Mapping[str, torch.Tensor]) -> None:
    """Load a checkpoint of the same Du-IN model exactly (every key, strict)."""
    state = read_state(source) if isinstance(source, (str, Path)) else dict(source)
    for prefix in WRAPPERS:
        state = {k.removeprefix(prefix): v for k, v in state.items()}
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatches
        raise DuINWeightsError(f"checkpoint does not fit {type(model).__name__}: {exc}") from None
    if result.missing_keys or result.unexpected_keys:
        raise DuINWeightsError(
            f"checkpoint does not fit {type(model).__name__}: missing "
            f"{', '.join(result.missing_keys) or '-'}; unexpected {', '.join(result.unexpected_keys) or '-'}"
        )
