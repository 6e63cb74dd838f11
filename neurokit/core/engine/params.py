"""AdamW parameter groups: weight-decay exclusions, layer-wise lr decay, lr multipliers.

Follows LaBraM's recipe: no weight decay on 1-D parameters (norms), biases,
embeddings and the names the stage lists in `no_weight_decay()` (by default what its
backbone lists); with layer decay d, a parameter of the stage's `layered()` backbone
in layer i of L gets lr scale d^(L+1-i) (embeddings are layer 0, block k is k+1,
everything else, the task's own parameters included, L+1). A stage's
`lr_multipliers()` (parameter-name prefix -> factor, the longest prefix wins) then
multiply that scale. Everything here comes from the Stage: core knows no family's names.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from neurokit.core.stage import Stage


def _embedding_params(module: nn.Module) -> set[str]:
    names = set()
    for prefix, sub in module.named_modules():
        if isinstance(sub, nn.Embedding | nn.EmbeddingBag):
            names.update(
                f"{prefix}.{n}" if prefix else n for n, _ in sub.named_parameters(recurse=False)
            )
    return names


def no_weight_decay(name: str, param: nn.Parameter, embeddings: set[str], extra: set[str]) -> bool:
    """Whether `name` is excluded from weight decay (`extra`: full or leaf names)."""
    leaf = name.rsplit(".", 1)[-1]
    return (
        param.ndim <= 1
        or name.endswith(".bias")
        or name in embeddings
        or name in extra
        or leaf in extra
    )


def lr_multiplier(name: str, multipliers: dict[str, float]) -> float:
    """The multiplier of the longest prefix of `name` in `multipliers` (1 when none)."""
    best = ""
    for prefix in multipliers:
        if name.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return float(multipliers[best]) if best else 1.0


def param_groups(
    stage: Stage, weight_decay: float, layer_decay: float = 1.0
) -> list[dict[str, Any]]:
    """Groups keyed by (decay, layer, multiplier); each carries `lr_scale` and its names."""
    layered = stage.layered() if layer_decay != 1.0 else None
    prefix, backbone = layered if layered is not None else ("", None)
    num_layers = backbone.num_layers() if backbone is not None else 0
    embeddings = _embedding_params(stage)
    extra = set(stage.no_weight_decay())
    multipliers = dict(stage.lr_multipliers())
    groups: dict[tuple[bool, int, float], dict[str, Any]] = {}
    for name, param in stage.named_parameters():
        if not param.requires_grad:
            continue
        decay = not no_weight_decay(name, param, embeddings, extra)
        layer = num_layers + 1
        if backbone is not None and name.startswith(prefix):
            layer = int(backbone.layer_id(name[len(prefix) :]))
        factor = lr_multiplier(name, multipliers)
        scale = (layer_decay ** (num_layers + 1 - layer) if backbone is not None else 1.0) * factor
        group = groups.setdefault(
            (decay, layer, factor),
            {
                "params": [],
                "names": [],
                "weight_decay": weight_decay if decay else 0.0,
                "lr_scale": scale,
                "layer": layer,
            },
        )
        group["params"].append(param)
        group["names"].append(name)
    return [groups[key] for key in sorted(groups)]
