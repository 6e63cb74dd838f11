"""Run orchestration: what `neurokit train` and `neurokit eval` do after parsing.

Resolution order: model preset (or bare backbone) -> task (the preset's default) ->
the preset's recipe for that task as defaults under the user's file / --set / flags
-> every component section validated against its config class -> store -> task
module -> trainer. The resolved config, with every default filled in, is what the
run directory keeps and what --resume and eval rebuild from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neurokit.core.config import (
    RunConfig,
    component_config,
    deep_merge,
    load_config_file,
    parse_overrides,
    to_yaml,
    validate,
)
from neurokit.core.errors import ConfigError, DataError, UnknownComponentError
from neurokit.core.interfaces import Kind, ModelPreset, RunContext
from neurokit.core.registry import get_registry


@dataclass
class Resolved:
    """A validated run config and the component configs it names."""

    config: RunConfig
    preset: ModelPreset | None
    backbone: str
    backbone_config: Any
    task: Any  # the built task object
    task_config: Any
    objective: str | None
    objective_config: Any
    trainer: str
    trainer_config: Any


def _preset(name: str) -> ModelPreset | None:
    registry = get_registry()
    try:
        return registry.get(Kind.MODEL, name).create()
    except UnknownComponentError:
        return None


def _model_name(layers: list[dict[str, Any]]) -> str:
    merged = deep_merge(*layers)
    model = merged.get("model")
    name = model.get("name") if isinstance(model, dict) else model
    if not name:
        raise ConfigError(
            "no model: pass --model NAME (a model preset such as 'tiny', or a backbone)"
        )
    return str(name)


def _task_name(layers: list[dict[str, Any]], preset: ModelPreset | None) -> str:
    merged = deep_merge(*layers)
    task = merged.get("task")
    name = task.get("name") if isinstance(task, dict) else task
    return str(name or (preset.default_task if preset else "finetune"))


def _recipe_task(recipe: dict[str, Any]) -> str | None:
    """The task component a preset's recipe names (`{"task": {"name": "luna-pretrain"}}`)."""
    task = recipe.get("task")
    name = task.get("name") if isinstance(task, dict) else task
    return str(name) if name else None


def _rename_task(layer: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """`layer` with its task `old` (as typed: `--task pretrain`) replaced by component `new`."""
    task = layer.get("task")
    if task == old:
        return {**layer, "task": new}
    if isinstance(task, dict) and task.get("name") == old:
        return {**layer, "task": {**task, "name": new}}
    return layer


def resolve(
    file: str | None = None,
    overrides: tuple[str, ...] = (),
    flags: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
) -> Resolved:
    """The run config for these inputs, every section validated (no data is touched)."""
    registry = get_registry()
    user = [
        base or {},
        load_config_file(file) if file else {},
        parse_overrides(overrides),
        {k: v for k, v in (flags or {}).items() if v is not None},
    ]
    model = _model_name(user)
    preset = _preset(model)
    if preset is None:
        try:
            registry.get(Kind.BACKBONE, model)
        except UnknownComponentError:
            known = [
                c.name for kind in (Kind.MODEL, Kind.BACKBONE) for c in registry.components(kind)
            ]
            raise UnknownComponentError("model", model, known) from None
    task_name = _task_name(user, preset)
    recipe = dict(preset.tasks.get(task_name, {})) if preset else {}
    component = _recipe_task(recipe)
    if component and component != task_name:  # the family's component for a shared task name
        user = [_rename_task(layer, task_name, component) for layer in user]
    defaults = deep_merge({"model": {"name": model}, "task": {"name": task_name}}, recipe)
    config = validate(RunConfig, deep_merge(defaults, *user))
    backbone = preset.backbone if preset else model
    backbone_options = {**(preset.backbone_options if preset else {}), **config.model.options}
    backbone_config = component_config(
        registry.get(Kind.BACKBONE, backbone), backbone_options, "model"
    )
    task_component = registry.get(Kind.TASK, config.task.name)
    task_config = component_config(task_component, config.task.options, "task")
    task = task_component.factory(task_config)
    objective = config.objective.name or getattr(task, "default_objective", None)
    objective_config = None
    if objective:
        objective_config = component_config(
            registry.get(Kind.OBJECTIVE, objective), config.objective.options, "objective"
        )
    trainer = config.trainer.name or "default"
    trainer_config = component_config(
        registry.get(Kind.TRAINER, trainer), config.trainer.options, "trainer"
    )
    # Fill every section with its validated options so the saved config is complete.
    full = config.model_dump(mode="json")
    full["model"] = {"name": model, **backbone_config.model_dump(mode="json")}
    full["task"] = {"name": config.task.name, **task_config.model_dump(mode="json")}
    full["objective"] = {
        "name": objective,
        **(objective_config.model_dump(mode="json") if objective_config else {}),
    }
    full["trainer"] = {"name": trainer, **trainer_config.model_dump(mode="json")}
    config = validate(RunConfig, full)
    return Resolved(
        config,
        preset,
        backbone,
        backbone_config,
        task,
        task_config,
        objective,
        objective_config,
        trainer,
        trainer_config,
    )


def load_run_config(run_dir: str | Path) -> dict[str, Any]:
    """The resolved config a run directory saved."""
    path = Path(run_dir) / "config.yaml"
    if not Path(run_dir).is_dir():
        raise DataError(f"run directory {str(run_dir)!r} does not exist")
    if not path.is_file():
        raise DataError(f"{str(run_dir)!r} is not a neurokit run directory (no config.yaml)")
    return load_config_file(path)


def _build_module(resolved: Resolved, context: RunContext):
    registry = get_registry()
    context.backbone = registry.get(Kind.BACKBONE, resolved.backbone).factory(
        resolved.backbone_config
    )
    if resolved.objective:
        context.objective = registry.get(Kind.OBJECTIVE, resolved.objective).factory(
            resolved.objective_config
        )
    if (
        getattr(resolved.task, "uses_tokenizer", False)
        and resolved.preset is not None
        and resolved.preset.tokenizer
    ):
        tokenizer = registry.get(Kind.TOKENIZER, resolved.preset.tokenizer)
        context.tokenizer = tokenizer.create()
    return resolved.task.build(context)


def _roles(config: RunConfig) -> dict[str, str | None]:
    d = config.data
    return {"train": d.train_split, "val": d.val_split, "test": d.test_split}


def _make_trainer(resolved: Resolved):
    return get_registry().get(Kind.TRAINER, resolved.trainer).factory(resolved.trainer_config)


def train(
    file: str | None = None,
    overrides: tuple[str, ...] = (),
    flags: dict[str, Any] | None = None,
    resume: str | None = None,
    print_config: bool = False,
) -> dict[str, Any] | str:
    """Run `neurokit train`; returns the report (or the YAML when `print_config`)."""
    from neurokit.core.engine import distributed as dist_utils
    from neurokit.core.engine import rundir
    from neurokit.core.engine.checkpoint import seed_everything
    from neurokit.core.engine.data import build_datasets

    if resume:
        if file or any(v is not None for v in (flags or {}).values()):
            raise ConfigError(
                "--resume continues a run with its own config; only --set overrides are allowed"
            )
        resolved = resolve(overrides=overrides, base=load_run_config(resume))
    else:
        resolved = resolve(file, overrides, flags)
    config = resolved.config
    if print_config:
        return to_yaml(config)
    info = dist_utils.init_from_env()
    try:
        # every rank warms: under torch.distributed the ranks of a node split the decode and barrier
        datasets, data_info, collate = build_datasets(
            config, resolved.task.data_view(), _roles(config)
        )
        context = RunContext(
            config=config,
            task_config=resolved.task_config,
            data=data_info,
            datasets=datasets,
            collate=collate,
            resume=bool(resume),
        )
        seed_everything(config.seed)  # initial weights depend on the seed only
        module = _build_module(resolved, context)
        if resume:
            run_dir = Path(resume)
        else:
            run_dir = None
            if info.is_main:
                run_dir = rundir.new_run_dir(
                    config.output_dir,
                    config.run_name,
                    f"{config.model.name}-{config.task.name}-{config.dataset.name or 'data'}",
                )
            run_dir = Path(dist_utils.broadcast_object(str(run_dir) if run_dir else None))
        context.run_dir = run_dir
        if info.is_main:
            (run_dir / rundir.CONFIG).write_text(to_yaml(config), encoding="utf-8")
            device = str(getattr(resolved.trainer_config, "device", "auto"))
            device = ("cuda" if _cuda() else "cpu") if device == "auto" else device
            rundir.write_json(
                run_dir / rundir.ENVIRONMENT, rundir.environment(device, info.world_size)
            )
        report = dict(_make_trainer(resolved).fit(module, context))
        report["run_dir"] = str(run_dir)
        return report
    finally:
        dist_utils.destroy()


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def evaluate(
    run_dir: str,
    dataset: str | None = None,
    split: str = "test",
    store: str | None = None,
    checkpoint: str = "best",
) -> dict[str, Any]:
    """Re-evaluate a run's selected checkpoint on a split (its own dataset, or another)."""
    from neurokit.core.engine import checkpoint as ckpt
    from neurokit.core.engine import rundir
    from neurokit.core.engine.data import build_datasets

    saved = load_run_config(run_dir)
    if dataset and dataset != (saved.get("dataset") or {}).get("name"):
        saved["dataset"] = {"name": dataset}
        saved.setdefault("data", {})["store"] = None
    if store:
        saved.setdefault("data", {})["store"] = store
    resolved = resolve(base=saved)
    config = resolved.config
    path = Path(run_dir) / (rundir.BEST if checkpoint == "best" else rundir.LAST)
    if not path.is_file():
        path = Path(run_dir) / rundir.LAST
    state = ckpt.load(path)
    roles = {"eval": split, "train": config.data.train_split}
    datasets, data_info, collate = build_datasets(
        config, resolved.task.data_view(), roles, warm=True, required=("eval",)
    )
    context = RunContext(
        config=config,
        task_config=resolved.task_config,
        data=data_info,
        datasets={"eval": datasets["eval"]},
        collate=collate,
        run_dir=Path(run_dir),
    )
    module = _build_module(resolved, context)
    try:
        module.load_state_dict(state["model"])
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:300]
        raise DataError(
            f"{str(path)!r} does not fit the model built for dataset "
            f"{config.dataset.name!r} (different classes or channels?): {detail}"
        ) from None
    metrics = dict(_make_trainer(resolved).evaluate(module, context, "eval"))
    name = config.dataset.name or "data"
    rundir.write_json(
        Path(run_dir) / f"eval-{name}-{split}.json",
        {"checkpoint": str(path), "dataset": name, "split": split, "metrics": metrics},
    )
    return metrics
