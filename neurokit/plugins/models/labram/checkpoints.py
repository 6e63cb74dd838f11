"""Loading LaBraM weights: the released files, reference state dicts and neurokit runs.

Every load is strict against an explicit list of keys that are meant to be dropped or
left freshly initialised; anything else that does not fit is an error naming the keys.

`labram-base.pth` is a MEM pretraining checkpoint (`NeuralTransformerForMEM`): the
fine-tune model keeps `student.*` with the prefix stripped, exactly as the reference
`run_class_finetuning.py` does. What it leaves behind, by design:

- outside the student: `logit_scale`, `lm_head.*`, `projection_head.*` (MEM heads);
- inside the student: `mask_token`, `lm_head.*` (MEM only) and `norm.*` (the fine-tune
  model pools with a fresh `fc_norm` instead, so the pretrained final norm is discarded,
  as in the reference; with `use_mean_pooling=False` `norm.*` is kept);
- anywhere: `*relative_position_index` buffers (popped by the reference script too).

`fc_norm.*` and `head.*` then start fresh; a `head` of another shape is dropped too.
`vqnsp.pth` loads as the reference tokenizer loader does: `model` (else `state_dict`),
minus keys starting with `loss`, `teacher` or `scaling`, and must then fit exactly.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from torch import nn

from neurokit.core.errors import NeurokitError

MEM_EXTRA_PREFIXES = ("logit_scale", "lm_head.", "projection_head.")
STUDENT_ONLY_PREFIXES = ("mask_token", "lm_head.")
TOKENIZER_DROP_PREFIXES = ("loss", "teacher", "scaling")
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
RUN_CHECKPOINT_NAMES = (
    "best.pt",
    "last.pt",
    "checkpoints/best.pt",
    "checkpoints/last.pt",
    "model.pt",
)


class CheckpointError(NeurokitError):
    """A checkpoint that cannot be read or does not fit the model."""


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint file: the path itself, or the best/last checkpoint of a run directory."""
    p = Path(path).expanduser()
    if p.is_dir():
        for name in RUN_CHECKPOINT_NAMES:
            if (p / name).is_file():
                return p / name
        found = (
            sorted(p.glob("*.pt")) + sorted(p.glob("*.pth")) + sorted(p.glob("checkpoints/*.pt"))
        )
        if len(found) == 1:
            return found[0]
        raise CheckpointError(
            f"no checkpoint in run directory {p} (looked for {', '.join(RUN_CHECKPOINT_NAMES)})"
        )
    if not p.is_file():
        raise CheckpointError(f"checkpoint {p} does not exist")
    return p


def read_checkpoint(path: str | Path) -> object:
    """torch.load with weights_only (tensors, containers and argparse Namespaces only)."""
    p = resolve_checkpoint(path)
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file, pickle of arbitrary objects, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"cannot read checkpoint {p}: {first}") from exc


def state_dict_of(
    obj: object, keys: Iterable[str] = ("model", "module", "state_dict")
) -> dict[str, torch.Tensor]:
    """The state dict inside a checkpoint object (first of `keys` present, else the object)."""
    if isinstance(obj, Mapping):
        for key in keys:
            if key in obj and isinstance(obj[key], Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(
            "the checkpoint holds no state dict (expected 'model', 'module' or a dict of tensors)"
        )
    out = {}
    for k, v in obj.items():
        for prefix in WRAPPER_PREFIXES:
            while k.startswith(prefix):
                k = k[len(prefix) :]
        out[k] = v
    return out


def _subtree(
    state: Mapping[str, torch.Tensor], anchor: str
) -> tuple[str, dict[str, torch.Tensor]] | None:
    """(prefix, keys under it) for the shortest prefix P with P + anchor present, e.g. a task module's `mem.`."""
    hits = sorted((k[: -len(anchor)] for k in state if k.endswith(anchor)), key=len)
    if not hits:
        return None
    prefix = hits[0]
    return prefix, {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


def _describe(keys: Iterable[str], limit: int = 12) -> str:
    keys = sorted(keys)
    more = f" (+{len(keys) - limit} more)" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more


def load_strict(
    model: nn.Module,
    state: Mapping[str, torch.Tensor],
    *,
    allowed_missing: Iterable[str] = (),
    source: str = "checkpoint",
) -> list[str]:
    """Load `state` into `model`; only `allowed_missing` prefixes may be absent. Returns the missing keys."""
    expected = model.state_dict()
    allowed = tuple(allowed_missing)
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    bad_missing = [k for k in missing if not k.startswith(allowed)]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if bad_missing or unexpected or shapes:
        parts = []
        if bad_missing:
            parts.append(f"missing keys: {_describe(bad_missing)}")
        if unexpected:
            parts.append(f"unexpected keys: {_describe(unexpected)}")
        if shapes:
            parts.append(f"shape mismatches (checkpoint vs model): {_describe(shapes, 6)}")
        raise CheckpointError(f"{source} does not fit {type(model).__name__}: " + "; ".join(parts))
    model.load_state_dict(state, strict=False)
    return missing


def backbone_state(
    raw: Mapping[str, torch.Tensor], model: nn.Module
) -> tuple[dict[str, torch.Tensor], tuple[str, ...]]:
    """Map any supported layout to the fine-tune model's keys; returns (state, allowed-missing prefixes)."""
    student = _subtree(raw, "student.cls_token")
    if student is not None:  # MEM checkpoint (released labram-base.pth or a neurokit pretrain run)
        prefix, sub = student
        state = {}
        for k, v in sub.items():
            if k.startswith("student."):
                state[k[len("student.") :]] = v
            elif not k.startswith(MEM_EXTRA_PREFIXES):
                raise CheckpointError(f"unexpected key {prefix}{k} next to the MEM student")
        state = {k: v for k, v in state.items() if not k.startswith(STUDENT_ONLY_PREFIXES)}
        if getattr(model, "fc_norm", None) is not None:
            state = {k: v for k, v in state.items() if not k.startswith("norm.")}
        return _drop_buffers(state), ("fc_norm.", "head.")
    found = _subtree(raw, "cls_token")
    if found is None:
        raise CheckpointError(
            "no LaBraM weights in the checkpoint (no cls_token / student.cls_token key)"
        )
    _, state = found
    return _drop_buffers(state), ("head.",)


def _drop_buffers(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The reference fine-tuning script pops `relative_position_index` buffers; so do we."""
    return {k: v for k, v in state.items() if "relative_position_index" not in k}


def load_backbone(model: nn.Module, path: str | Path) -> list[str]:
    """Load labram-base.pth, a reference state dict or a neurokit run into the fine-tune model."""
    raw = state_dict_of(read_checkpoint(path))
    state, allowed = backbone_state(raw, model)
    head = model.state_dict()
    for k in ("head.weight", "head.bias"):
        if k in state and (k not in head or state[k].shape != head[k].shape):
            del state[k]  # a classifier for another label set starts fresh, as in the reference
    return load_strict(model, state, allowed_missing=allowed, source=str(path))


def load_mem(model: nn.Module, path: str | Path) -> list[str]:
    """Load a MEM checkpoint (e.g. labram-base.pth) into NeuralTransformerForMEM; only `logit_scale` is dropped."""
    raw = state_dict_of(read_checkpoint(path))
    found = _subtree(raw, "student.cls_token")
    if found is None:
        raise CheckpointError(f"{path} is not a LaBraM MEM checkpoint (no student.* keys)")
    state = {k: v for k, v in found[1].items() if k != "logit_scale"}
    return load_strict(model, state, source=str(path))


def tokenizer_state(raw: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """vqnsp.pth / neurokit tokenizer run -> VQNSP keys, minus the reference's dropped prefixes."""
    found = _subtree(raw, "quantize.embedding.weight")
    if found is None:
        raise CheckpointError(
            "no VQ-NSP weights in the checkpoint (no quantize.embedding.weight key)"
        )
    prefix, state = found
    if not prefix:
        state = {k: v for k, v in state.items() if not k.startswith(TOKENIZER_DROP_PREFIXES)}
    return state


def load_tokenizer(model: nn.Module, path: str | Path) -> None:
    """Load vqnsp.pth or a neurokit pretrain-tokenizer run, strictly."""
    raw = state_dict_of(read_checkpoint(path), keys=("model", "state_dict", "module"))
    load_strict(model, tokenizer_state(raw), source=str(path))
