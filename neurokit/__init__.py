"""neurokit: a plugin toolkit for neural-signal foundation models.

The Python API mirrors timm's: list what is registered, create it by name.

    >>> import neurokit
    >>> neurokit.list_components("backbone")          # doctest: +SKIP
    >>> model = neurokit.create_model("labram-base", num_classes=2)  # doctest: +SKIP
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from neurokit.core.errors import NeurokitError, UnknownComponentError
from neurokit.core.hookspecs import hookimpl
from neurokit.core.interfaces import Component, ComponentConfig, Kind, ModelPreset
from neurokit.core.registry import get_registry

try:
    __version__ = version("neurokit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Component",
    "ComponentConfig",
    "Kind",
    "ModelPreset",
    "NeurokitError",
    "UnknownComponentError",
    "__version__",
    "create",
    "create_model",
    "get_component",
    "hookimpl",
    "list_components",
]


def list_components(kind: str | Kind | None = None, pattern: str | None = None) -> list[str]:
    """Names of the registered components of `kind` (all kinds if None), glob-filtered."""
    components = get_registry().components(kind, pattern)
    if kind is None:
        return [f"{c.kind.value}:{c.name}" for c in components]
    return [c.name for c in components]


def get_component(kind: str | Kind, name: str) -> Component:
    """The registered component itself: metadata, config class and factory."""
    return get_registry().get(kind, name)


def create(kind: str | Kind, name: str, **overrides: Any) -> Any:
    """Build the component `name` of `kind` with config `overrides`."""
    return get_component(kind, name).create(**overrides)


def resolve_preset(name: str) -> ModelPreset | None:
    """The model preset called `name`, or None if `name` is not a preset."""
    registry = get_registry()
    try:
        component = registry.get(Kind.MODEL, name)
    except UnknownComponentError:
        return None
    return component.create()


def create_model(name: str, **overrides: Any) -> Any:
    """An nn.Module from a backbone name or a model preset name (its backbone and options)."""
    preset = resolve_preset(name)
    if preset is not None:
        return create(Kind.BACKBONE, preset.backbone, **{**preset.backbone_options, **overrides})
    try:
        return create(Kind.BACKBONE, name, **overrides)
    except UnknownComponentError as exc:
        known = [c.name for c in get_registry().components(Kind.BACKBONE)]
        known += [c.name for c in get_registry().components(Kind.MODEL)]
        raise UnknownComponentError("model", name, known) from exc
