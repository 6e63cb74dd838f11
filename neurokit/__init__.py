"""neurokit: a plugin toolkit for neural-signal foundation models.

The Python API mirrors timm's: list what is registered, create it by name; and runs
are typed values, for the CLI and for scripts alike.

    >>> import neurokit
    >>> neurokit.list_components("backbone")          # doctest: +SKIP
    >>> model = neurokit.create_model("labram-base", num_classes=2)  # doctest: +SKIP
    >>> result = neurokit.train(neurokit.RunSpec(model="tiny", dataset="demo"))  # doctest: +SKIP
    >>> result.test["balanced_accuracy"], result.run_dir, result.config_hash  # doctest: +SKIP
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from neurokit.core.components import Component, ComponentConfig, Kind
from neurokit.core.engine.resolve import RunSpec
from neurokit.core.errors import (
    ConfigError,
    DataError,
    NeurokitError,
    PluginError,
    UnknownComponentError,
)
from neurokit.core.family import Family, StageSpec
from neurokit.core.hookspecs import hookimpl
from neurokit.core.registry import get_registry
from neurokit.core.task import Task

try:
    __version__ = version("neurokit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Component",
    "ComponentConfig",
    "ConfigError",
    "DataError",
    "Family",
    "Kind",
    "NeurokitError",
    "PluginError",
    "RunResult",
    "RunSpec",
    "Stage",
    "StageSpec",
    "Task",
    "UnknownComponentError",
    "__version__",
    "create",
    "create_model",
    "evaluate",
    "get_component",
    "get_family",
    "hookimpl",
    "list_components",
    "pipeline",
    "train",
]


def __getattr__(name: str) -> Any:
    """Names that import torch (the Stage base class, run results) load on first use."""
    if name == "Stage":
        from neurokit.core.stage import Stage

        return Stage
    if name == "RunResult":
        from neurokit.core.engine.run import RunResult

        return RunResult
    raise AttributeError(f"module 'neurokit' has no attribute {name!r}")


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


def get_family(name: str) -> Family:
    """The model family `name`, or the family that declares the backbone `name`."""
    registry = get_registry()
    try:
        return registry.family(name)
    except UnknownComponentError:
        family = registry.family_of_backbone(name)
        if family is None:
            raise
        return family


def create_model(name: str, **overrides: Any) -> Any:
    """An nn.Module from a backbone name or a model family name (its default backbone)."""
    registry = get_registry()
    try:
        family = registry.family(name)
    except UnknownComponentError:
        family = None
    if family is not None:
        return create(Kind.BACKBONE, family.backbone, **{**family.backbone_options, **overrides})
    try:
        return create(Kind.BACKBONE, name, **overrides)
    except UnknownComponentError as exc:
        known = [c.name for c in registry.components(Kind.BACKBONE)]
        known += [c.name for c in registry.components(Kind.MODEL)]
        raise UnknownComponentError("model", name, known) from exc


def train(spec: RunSpec | None = None, /, **fields: Any) -> Any:
    """Run one stage: `train(RunSpec(model="luna", dataset="tuab"))` or `train(model=..., ...)`.

    Returns a `RunResult` (run directory, val/test metrics, resolved config, config hash).
    """
    from neurokit.core.engine.run import train as run_train

    return run_train(spec or RunSpec(**fields))


def evaluate(run_dir: str, dataset: str | None = None, split: str = "test", **kwargs: Any) -> dict:
    """Metrics of a run's selected checkpoint on a split of its dataset (or another one)."""
    from neurokit.core.engine.run import evaluate as run_evaluate

    return run_evaluate(run_dir, dataset, split, **kwargs)


def pipeline(model: str, dataset: str | None = None, **kwargs: Any) -> list:
    """Every stage of a model family in order; finished stages are skipped on a rerun."""
    from neurokit.core.engine.run import pipeline as run_pipeline

    return run_pipeline(model, dataset, **kwargs)
