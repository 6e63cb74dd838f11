"""LaBraM's weights filters: released files, reference state dicts and neurokit runs.

Reading, unwrapping and the strict load are core's (`neurokit.core.weights`); this module
only says how LaBraM's layouts map onto its models and which keys may start fresh.

`labram-base.pth` is a MEM pretraining checkpoint (`NeuralTransformerForMEM`): the
fine-tune model keeps `student.*` with the prefix stripped, exactly as the reference
`run_class_finetuning.py` does. What it leaves behind, by design:

- outside the student: `logit_scale`, `lm_head.*`, `projection_head.*` (MEM heads);
- inside the student: `mask_token`, `lm_head.*` (MEM only) and `norm.*` (the fine-tune
  model pools with a fresh `fc_norm` instead, so the pretrained final norm is discarded,
  as in the reference; with `use_mean_pooling=False` `norm.*` is kept);
- anywhere: `*relative_position_index` buffers (popped by the reference script too).

`fc_norm.*` (after a MEM checkpoint) and `head.*` then start fresh; a `head` of another
shape is dropped too. `vqnsp.pth` loads as the reference tokenizer loader does: `model`
(else `state_dict`), minus keys starting with `loss`, `teacher` or `scaling`, and must then
fit exactly. A neurokit run (task checkpoint: `backbone.*`, `tokenizer.*`, ...) is found by
its anchor key wherever it sits. `tokenizer_from_checkpoint` builds a VQ-NSP sized by the
checkpoint itself (the frozen tokenizer of `pretrain`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from neurokit.core.errors import WeightsError
from neurokit.core.weights import LoadReport, StateDict, load_weights, read_state_dict

if TYPE_CHECKING:
    from neurokit.plugins.models.labram.vqnsp import LabramTokenizer

MEM_EXTRA_PREFIXES = ("logit_scale", "lm_head.", "projection_head.")
STUDENT_ONLY_PREFIXES = ("mask_token", "lm_head.")
TOKENIZER_DROP_PREFIXES = ("loss", "teacher", "scaling")
BACKBONE_ALLOW_MISSING = ("head.*",)
MEM_ALLOW_MISSING = ("fc_norm.*", "head.*")


def _subtree(state: Mapping[str, torch.Tensor], anchor: str) -> tuple[str, StateDict] | None:
    """(prefix, keys under it) for the shortest prefix P with P + anchor present, e.g. a task module's `backbone.`."""
    hits = sorted((k[: -len(anchor)] for k in state if k.endswith(anchor)), key=len)
    if not hits:
        return None
    prefix = hits[0]
    return prefix, {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


def _drop_buffers(state: StateDict) -> StateDict:
    """The reference fine-tuning script pops `relative_position_index` buffers; so do we."""
    return {k: v for k, v in state.items() if "relative_position_index" not in k}


def is_mem_checkpoint(state: Mapping[str, torch.Tensor]) -> bool:
    """A MEM pretraining state (`student.*`), released or from a neurokit pretrain run."""
    return _subtree(state, "student.cls_token") is not None


def backbone_filter(state: StateDict, model: nn.Module) -> StateDict:
    """Any supported layout -> the fine-tune model's keys (see the module doc)."""
    student = _subtree(state, "student.cls_token")
    if student is not None:  # MEM checkpoint (released labram-base.pth or a neurokit pretrain run)
        prefix, sub = student
        out = {}
        for k, v in sub.items():
            if k.startswith("student."):
                out[k[len("student.") :]] = v
            elif not k.startswith(MEM_EXTRA_PREFIXES):
                raise WeightsError(f"unexpected key {prefix}{k} next to the MEM student")
        out = {k: v for k, v in out.items() if not k.startswith(STUDENT_ONLY_PREFIXES)}
        if getattr(model, "fc_norm", None) is not None:
            out = {k: v for k, v in out.items() if not k.startswith("norm.")}
    else:
        found = _subtree(state, "cls_token")
        if found is None:
            raise WeightsError(
                "no LaBraM weights in the checkpoint (no cls_token / student.cls_token key)"
            )
        out = found[1]
    out = _drop_buffers(out)
    own = model.state_dict()
    for k in ("head.weight", "head.bias"):
        if k in out and (k not in own or out[k].shape != own[k].shape):
            del out[k]  # a classifier for another label set starts fresh, as in the reference
    return out


def mem_filter(state: StateDict, model: nn.Module) -> StateDict:
    """A MEM checkpoint -> NeuralTransformerForMEM keys; only `logit_scale` is dropped."""
    found = _subtree(state, "student.cls_token")
    if found is None:
        raise WeightsError("not a LaBraM MEM checkpoint (no student.* keys)")
    return {k: v for k, v in found[1].items() if k != "logit_scale"}


def tokenizer_filter(state: StateDict, model: nn.Module | None = None) -> StateDict:
    """vqnsp.pth / neurokit tokenizer run -> VQNSP keys, minus the reference's dropped prefixes."""
    found = _subtree(state, "quantize.embedding.weight")
    if found is None:
        raise WeightsError("no VQ-NSP weights in the checkpoint (no quantize.embedding.weight key)")
    prefix, out = found
    if not prefix:
        out = {k: v for k, v in out.items() if not k.startswith(TOKENIZER_DROP_PREFIXES)}
    return out


def load_backbone(model: nn.Module, source: str | Path) -> LoadReport:
    """Load labram-base.pth, a reference state dict or a neurokit run into the fine-tune model."""
    state = read_state_dict(source)
    allow = MEM_ALLOW_MISSING if is_mem_checkpoint(state) else BACKBONE_ALLOW_MISSING
    return load_weights(
        model, state, filter_fn=backbone_filter, allow_missing=allow, name=str(source)
    )


def load_mem(model: nn.Module, source: str | Path) -> LoadReport:
    """Load a MEM checkpoint (e.g. labram-base.pth) into NeuralTransformerForMEM, strictly."""
    return load_weights(model, source, filter_fn=mem_filter)


def load_tokenizer(model: nn.Module, source: str | Path) -> LoadReport:
    """Load vqnsp.pth or a neurokit pretrain-tokenizer run, strictly."""
    return load_weights(model, source, filter_fn=tokenizer_filter)


def tokenizer_arch_from_state(state) -> dict:
    """VQNSP sizes read off a state dict (all but the head count, which shapes do not reveal)."""
    try:
        num_codes, code_dim = state["quantize.embedding.weight"].shape
        embed_dim = state["encoder.cls_token"].shape[-1]
        out_chans = state["encoder.patch_embed.conv1.weight"].shape[0]
    except KeyError as exc:
        raise WeightsError(f"not a VQ-NSP checkpoint: no {exc.args[0]}") from None

    def depth(prefix: str) -> int:
        ids = {int(k.split(".")[2]) for k in state if k.startswith(f"{prefix}.blocks.")}
        return max(ids) + 1 if ids else 0

    return dict(
        num_codes=num_codes,
        code_dim=code_dim,
        embed_dim=embed_dim,
        out_chans=out_chans,
        encoder_depth=depth("encoder"),
        decoder_depth=depth("decoder"),
    )


def tokenizer_from_checkpoint(path, **overrides) -> LabramTokenizer:
    """A trained VQ-NSP from vqnsp.pth or a pretrain-tokenizer run, sized by the checkpoint itself."""
    import neurokit

    state = read_state_dict(path)  # its own errors name the file
    try:
        arch = tokenizer_arch_from_state(tokenizer_filter(state))
    except WeightsError as exc:
        raise WeightsError(f"{str(path)!r}: {exc}") from None
    options = {**arch, **overrides, "pretrained": str(path)}
    return neurokit.create("tokenizer", "labram-vqnsp", **options)
