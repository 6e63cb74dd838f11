"""Plain-data descriptions of components and plugins, for `list`, `info` and `plugins`."""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticUndefined

from neurokit.core.components import Component, Kind
from neurokit.core.family import Family
from neurokit.core.registry import Registry


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    return text or str(annotation).replace("typing.", "")


def _description(config_class: type, name: str) -> str:
    """A field's description, inherited from a base class when a subclass only changed its default."""
    for cls in config_class.__mro__:
        field = getattr(cls, "model_fields", {}).get(name)
        if field is not None and field.description:
            return field.description
    return ""


def config_fields(component: Component) -> list[dict[str, Any]]:
    """Each config field: name, type, default, description."""
    try:  # the effective defaults, after the config's own validators (profiles, presets)
        effective = component.config_class().model_dump(mode="json")
    except Exception:
        effective = {}
    fields = []
    for name, field in component.config_class.model_fields.items():
        if name in effective:
            default = effective[name]
        elif field.default is not PydanticUndefined:
            default = field.default
        elif field.default_factory is not None:
            default = field.default_factory()
        else:
            default = None
        if hasattr(default, "model_dump"):
            default = default.model_dump(mode="json")
        fields.append(
            {
                "name": name,
                "type": _type_name(field.annotation),
                "default": default,
                "required": field.is_required(),
                "description": _description(component.config_class, name),
            }
        )
    return fields


def component_summary(component: Component) -> dict[str, Any]:
    return {
        "kind": component.kind.value,
        "name": component.name,
        "description": component.description,
        "plugin": component.plugin,
    }


def _flatten(recipe: Any, prefix: str = "") -> dict[str, Any]:
    """`{"trainer": {"lr": 1e-4}}` -> `{"trainer.lr": 1e-4}` (a recipe as a table)."""
    if not isinstance(recipe, dict) or not recipe:
        return {prefix: recipe} if prefix else {}
    rows: dict[str, Any] = {}
    for key, value in recipe.items():
        rows.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return rows


def family_info(family: Family) -> dict[str, Any]:
    """A family as data: backbones, tokenizers, profiles and each stage with its recipe."""
    return {
        "backbone": family.backbone,
        "variants": list(family.variants),
        "tokenizers": list(family.tokenizers),
        "profile": family.profile,
        "profiles": {name: dict(values) for name, values in family.profiles.items()},
        "default_stage": family.default_stage,
        "stages": [
            {
                "name": spec.name,
                "task": spec.task,
                "description": spec.description,
                "consumes": dict(spec.consumes),
                "recipe": _flatten(dict(spec.recipe)),
            }
            for spec in family.stages
        ],
    }


def component_info(component: Component) -> dict[str, Any]:
    info = {**component_summary(component), "config": config_fields(component)}
    if component.kind == Kind.MODEL:
        family = component.create()
        if isinstance(family, Family):
            info["family"] = family_info(family)
    return info


def task_stages(registry: Registry) -> dict[str, list[str]]:
    """Task component -> the family stages that run it, as `stage (family, ...)`."""
    by_task: dict[str, dict[str, list[str]]] = {}
    for family in registry.families():
        for spec in family.stages:
            by_task.setdefault(spec.task, {}).setdefault(spec.name, []).append(family.name)
    return {
        task: [f"{stage} ({', '.join(families)})" for stage, families in stages.items()]
        for task, stages in by_task.items()
    }


def list_rows(
    registry: Registry, kind: Kind | str | None = None, pattern: str | None = None
) -> list[dict[str, Any]]:
    """One row per component; tasks name the family stages that run them."""
    components = registry.components(kind, pattern)
    stages = task_stages(registry) if any(c.kind == Kind.TASK for c in components) else {}
    rows = []
    for component in components:
        row = component_summary(component)
        info = registry.plugins.get(component.plugin)
        row["builtin"] = bool(info.builtin) if info is not None else False
        if component.kind == Kind.TASK:
            row["stages"] = stages.get(component.name, [])
        rows.append(row)
    return rows


def plugin_rows(registry: Registry) -> list[dict[str, Any]]:
    """Each plugin with what it registered, its errors, and names it shares with another plugin."""
    registry.load()
    shared: dict[str, list[str]] = {}
    for kind, name, owners in registry.conflicts():
        for owner in owners:
            others = [o for o in owners if o != owner]
            shared.setdefault(owner, []).append(f"{kind.value} {name!r} (also {', '.join(others)})")
    rows = []
    for info in registry.plugins.values():
        row = info.to_dict()
        row["conflicts"] = shared.get(info.name, [])
        rows.append(row)
    return rows


def _field_notes(config_class: type, prefix: str) -> dict[str, str]:
    notes = {}
    for name in getattr(config_class, "model_fields", {}):
        text = _description(config_class, name)
        if text:
            notes[f"{prefix}{name}"] = text
    return notes


def run_config_notes(components: dict[str, Component] | None = None) -> dict[str, str]:
    """Dotted key -> description for every key of a run config: the top-level keys, `data.*`,
    `data.sources[].*` and, given the run's components, each section's options."""
    from neurokit.core.config import DataConfig, RunConfig, SourceConfig

    notes = _field_notes(RunConfig, "")
    notes.update(_field_notes(DataConfig, "data."))
    notes.update(_field_notes(SourceConfig, "data.sources[]."))
    for section, component in (components or {}).items():
        notes[f"{section}.name"] = f"the {component.kind.value}: {component.description}"
        notes.update(_field_notes(component.config_class, f"{section}."))
    return notes


def described_yaml(data: dict[str, Any], notes: dict[str, str]) -> str:
    """`data` as block YAML with each key's description as a trailing comment
    (`--print-config --describe`); loads back to the same mapping."""
    import yaml

    def scalar(value: Any) -> str:
        return yaml.safe_dump([value], default_flow_style=True, width=10**9).strip()[1:-1]

    lines: list[str] = []

    def walk(mapping: dict[str, Any], prefix: str, depth: int) -> None:
        for key, value in mapping.items():
            dotted = f"{prefix}{key}"
            note = notes.get(dotted)
            comment = f"  # {note}" if note else ""
            pad = "  " * depth
            if isinstance(value, dict) and value:
                lines.append(f"{pad}{key}:{comment}")
                walk(value, f"{dotted}.", depth + 1)
            else:
                lines.append(f"{pad}{key}: {scalar(value)}{comment}")

    walk(data, "", 0)
    return "\n".join(lines) + "\n"
