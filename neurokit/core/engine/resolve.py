"""The one config resolver: a RunSpec becomes a validated run config, before any data is read.

Precedence, lowest first: each component's defaults < the family's recipe for the stage
< what `--from RUN` wires in < the config file < overrides (`--set`) < explicit
arguments (model, dataset, stage). `--model` names a family (`labram`), a backbone one
family declares (`labram-large`: that family's recipes, that backbone) or a bare
backbone (generic tasks only). `--task` names one of the family's stages (`pretrain`)
or a task component. Everything a user can get wrong (names, options, a task that does
not fit the model, a device that is not there) is refused here, before a run directory
exists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurokit.core.components import Component, Kind
from neurokit.core.config import (
    RunConfig,
    component_config,
    deep_merge,
    load_config_file,
    nest,
    validate,
)
from neurokit.core.data.location import is_url
from neurokit.core.errors import ConfigError, DataError, UnknownComponentError
from neurokit.core.family import Family, StageSpec
from neurokit.core.registry import Registry, get_registry
from neurokit.core.task import Task

# Fields that name where a run goes, not what it computes: left out of the config hash.
_PLACEMENT = ("output_dir", "run_name")
_PLACEMENT_TRAINER = ("progress", "stop_after_steps", "log_every", "checkpoint_every")


@dataclass
class RunSpec:
    """What to run, as typed values (the CLI and the benchmark runner both build one).

    `config` is a mapping or a YAML/TOML/JSON file; `overrides` maps dotted keys to
    values (`{"trainer.lr": 1e-4}`) or holds nested sections. `from_run` is an earlier
    stage's run directory whose outputs this stage consumes; `resume` continues a run.
    """

    model: str | None = None
    dataset: str | None = None
    stage: str | None = None
    config: Mapping[str, Any] | str | Path | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    from_run: str | Path | None = None
    resume: str | Path | None = None


@dataclass
class ResolvedRun:
    """A validated run config and everything it names, ready to build."""

    config: RunConfig
    family: Family | None
    stage: StageSpec | None
    task: Task
    components: dict[str, Component]  # section -> component (model = the backbone)
    options: dict[str, Any]  # section -> validated component config

    @property
    def config_hash(self) -> str:
        return config_hash(self.config)


def config_hash(config: RunConfig) -> str:
    """A stable 16-hex-digit identity of what a run computes (not where it is written)."""
    data = config.model_dump(mode="json")
    for key in _PLACEMENT:
        data.pop(key, None)
    for key in _PLACEMENT_TRAINER:
        data.get("trainer", {}).pop(key, None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_run_config(run_dir: str | Path) -> dict[str, Any]:
    """The resolved config a run directory saved."""
    path = Path(run_dir) / "config.yaml"
    if not Path(run_dir).is_dir():
        raise DataError(f"run directory {str(run_dir)!r} does not exist")
    if not path.is_file():
        raise DataError(f"{str(run_dir)!r} is not a neurokit run directory (no config.yaml)")
    return load_config_file(path)


def _name(section: Any) -> str | None:
    name = section.get("name") if isinstance(section, Mapping) else section
    return str(name) if name else None


def _model(registry: Registry, name: str) -> tuple[Family | None, str]:
    """(family, backbone) for what `--model` names."""
    try:
        family = registry.family(name)
        return family, family.backbone
    except UnknownComponentError:
        pass
    try:
        registry.get(Kind.BACKBONE, name)
    except UnknownComponentError:
        known = [c.name for kind in (Kind.MODEL, Kind.BACKBONE) for c in registry.components(kind)]
        notes = [
            note for note in registry.unknown_notes(Kind.MODEL, name) if "is a backbone" not in note
        ]
        raise UnknownComponentError("model", name, known, notes) from None
    return registry.family_of_backbone(name), name


def _check_dataset(registry: Registry, merged: Mapping[str, Any]) -> None:
    """Each dataset named must be registered or have a store under data_root (or data.store)."""
    name = _name(merged.get("dataset"))
    data = merged.get("data") or {}
    if name is None or data.get("store") or data.get("sources"):
        return
    root = Path(str(merged.get("data_root") or "."))
    known = [c.name for c in registry.components(Kind.DATASET)]
    for part in (p.strip() for p in name.split(",")):
        if part in known or is_url(str(root)) or (root / f"{part}.zarr").exists():
            continue
        try:
            registry.get(Kind.DATASET, part)
        except UnknownComponentError as exc:
            raise exc from None


def _from_run(spec: StageSpec | None, family: Family | None, run: str | Path) -> dict[str, Any]:
    """The config keys `--from RUN` sets: each thing the stage consumes from RUN's stage."""
    if spec is None or not spec.consumes:
        what = f"stage {spec.name!r}" if spec else "this run"
        raise ConfigError(f"--from: {what} consumes nothing from an earlier run")
    saved = load_run_config(run)
    produced = saved.get("stage") or _name(saved.get("task"))
    keys = [key for key, source in spec.consumes.items() if source == produced]
    if not keys:
        wanted = ", ".join(f"{k} from a {s!r} run" for k, s in spec.consumes.items())
        raise ConfigError(
            f"--from {str(run)!r} is a {produced!r} run; stage {spec.name!r} of "
            f"{family.name if family else 'this model'!r} consumes {wanted}"
        )
    layer: dict[str, Any] = {}
    for key in keys:
        layer = deep_merge(layer, nest({key: str(run)}))
    return layer


def _one_pretrained_knob(model: str, backbone: Component, task_options: Any) -> None:
    """A backbone that loads its own weights (`model.pretrained`, through its family's
    checkpoint filter) is started from a checkpoint by that key alone."""
    if getattr(task_options, "pretrained", None) is None:
        return
    if "pretrained" in getattr(backbone.config_class, "model_fields", {}):
        raise ConfigError(
            f"task.pretrained: model {model!r} loads its weights through model.pretrained "
            "(which applies its family's checkpoint filter); use --set "
            f"model.pretrained={task_options.pretrained} instead"
        )


def _check_device(trainer_options: Any) -> None:
    device = str(getattr(trainer_options, "device", "auto"))
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ConfigError(f"trainer.device: {device!r} but no CUDA device is available")


def resolve(spec: RunSpec, registry: Registry | None = None) -> ResolvedRun:
    """The validated run config for `spec`; no data is touched and nothing is written."""
    registry = registry or get_registry()
    if spec.resume and (spec.model or spec.dataset or spec.stage or spec.config or spec.from_run):
        raise ConfigError(
            "--resume continues a run with its own config; only --set overrides are allowed"
        )
    base = load_run_config(spec.resume) if spec.resume else {}
    file = spec.config
    user_file = (
        dict(file) if isinstance(file, Mapping) else (load_config_file(file) if file else {})
    )
    flags = {"model": spec.model, "dataset": spec.dataset, "task": spec.stage}
    user = [base, user_file, nest(spec.overrides), {k: v for k, v in flags.items() if v}]
    merged_user = deep_merge(*user)

    model = _name(merged_user.get("model"))
    if not model:
        raise ConfigError(
            "no model: pass --model NAME (a model family such as 'tiny', or a backbone)"
        )
    family, backbone = _model(registry, model)
    typed = _name(merged_user.get("task")) or (family.default_stage if family else "finetune")
    stage = None
    task_name = typed
    if family is not None and typed in family.stage_names() + [s.task for s in family.stages]:
        saved = merged_user.get("stage") if spec.resume else None
        stage = family.stage(saved or typed)
        task_name = stage.task
    defaults: dict[str, Any] = {"model": {"name": model}, "task": {"name": task_name}}
    if stage is not None:
        defaults["stage"] = stage.name
        defaults = deep_merge(defaults, {"model": dict(family.backbone_options)}, stage.recipe)
    wired = _from_run(stage, family, spec.from_run) if spec.from_run else {}
    # the typed stage name is replaced by its task component in every user layer
    user = [_with_task(layer, typed, task_name) for layer in user]
    merged = deep_merge(defaults, wired, *user)
    _check_dataset(registry, merged)
    config = validate(RunConfig, merged)

    components = {
        "model": registry.get(Kind.BACKBONE, backbone),
        "task": registry.get(Kind.TASK, config.task.name),
        "trainer": registry.get(Kind.TRAINER, config.trainer.name or "default"),
    }
    options = {
        "model": component_config(components["model"], config.model.options, "model"),
        "task": component_config(components["task"], config.task.options, "task"),
        "trainer": component_config(components["trainer"], config.trainer.options, "trainer"),
    }
    _one_pretrained_knob(model, components["model"], options["task"])
    task = components["task"].factory(options["task"])
    if not isinstance(task, Task):
        raise ConfigError(f"task {config.task.name!r} is not a neurokit Task (plugin bug)")
    if not task.accepts_backbone(backbone):
        accepted = ", ".join(task.accepts)
        hint = (
            f"; model {family.name!r} has stages: {', '.join(family.stage_names())}"
            if family
            else ""
        )
        raise ConfigError(
            f"task {config.task.name!r} does not fit model {model!r} (backbone {backbone!r}); "
            f"it accepts backbones {accepted}{hint}"
        )
    objective = config.objective.name or task.default_objective
    if objective:
        components["objective"] = registry.get(Kind.OBJECTIVE, objective)
        options["objective"] = component_config(
            components["objective"], config.objective.options, "objective"
        )
    _check_device(options["trainer"])

    # every section filled with its validated options: the saved config is complete
    full = config.model_dump(mode="json")
    full["stage"] = stage.name if stage else config.stage
    for section, component in components.items():
        full[section] = {
            "name": model if section == "model" else component.name,
            **options[section].model_dump(mode="json"),
        }
    full.setdefault("objective", {"name": None})
    return ResolvedRun(validate(RunConfig, full), family, stage, task, components, options)


def _with_task(layer: dict[str, Any], typed: str, component: str) -> dict[str, Any]:
    """`layer` with the task as typed (`pretrain`) replaced by its component (`labram-mem`)."""
    if typed == component or "task" not in layer:
        return layer
    task = layer["task"]
    if task == typed:
        return {**layer, "task": component}
    if isinstance(task, Mapping) and task.get("name") == typed:
        return {**layer, "task": {**task, "name": component}}
    return layer
