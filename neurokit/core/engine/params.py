"""AdamW parameter groups: weight-decay exclusions and layer-wise lr decay.

Follows LaBraM's recipe: no weight decay on 1-D parameters (norms), biases,
embeddings and the names the backbone lists in `no_weight_decay()`; with layer decay
d, a backbone parameter in layer i of L gets lr scale d^(L+1-i) (embeddings are
layer 0, block k is k+1, everything else, the task's own parameters included, L+1).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from neurokit.core.interfaces import LayeredBackbone

# Parameter names excluded from weight decay wherever they appear (timm / LaBraM names).
NO_DECAY_NAMES = {
    "pos_embed",
    "cls_token",
    "time_embed",
    "mask_token",
    "pos_embedding",
    "channel_emb",
}


def _embedding_params(module: nn.Module) -> set[str]:
    names = set()
    for prefix, sub in module.named_modules():
        if isinstance(sub, nn.Embedding | nn.EmbeddingBag):
            names.update(
                f"{prefix}.{n}" if prefix else n for n, _ in sub.named_parameters(recurse=False)
            )
    return names


def _backbone_no_decay(backbone: Any) -> set[str]:
    fn = getattr(backbone, "no_weight_decay", None)
    return set(fn()) if callable(fn) else set()


def no_weight_decay(name: str, param: nn.Parameter, embeddings: set[str], extra: set[str]) -> bool:
    """Whether `name` is excluded from weight decay."""
    leaf = name.rsplit(".", 1)[-1]
    return (
        param.ndim <= 1
        or name.endswith(".bias")
        or name in embeddings
        or leaf in NO_DECAY_NAMES
        or name in extra
        or leaf in extra
    )


def param_groups(
    module: nn.Module, weight_decay: float, layer_decay: float = 1.0
) -> list[dict[str, Any]]:
    """Groups keyed by (decay, lr scale); each carries `lr_scale` and its parameter names."""
    backbone = getattr(module, "backbone", None)
    layered = layer_decay != 1.0 and isinstance(backbone, LayeredBackbone)
    num_layers = backbone.num_layers() if layered else 0
    embeddings = _embedding_params(module)
    extra = {f"backbone.{n}" for n in _backbone_no_decay(backbone)} | _backbone_no_decay(backbone)
    groups: dict[tuple[bool, int], dict[str, Any]] = {}
    for name, param in module.named_parameters():
        if not param.requires_grad:
            continue
        decay = not no_weight_decay(name, param, embeddings, extra)
        layer = num_layers + 1
        if layered and name.startswith("backbone."):
            layer = int(backbone.layer_id(name[len("backbone.") :]))
        scale = layer_decay ** (num_layers + 1 - layer) if layered else 1.0
        group = groups.setdefault(
            (decay, layer),
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
