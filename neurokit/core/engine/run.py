"""Running stages: the typed API behind `neurokit train`, `eval` and `pipeline`.

`train(RunSpec) -> RunResult` resolves the spec (one resolver, `resolve.py`), builds
the data and the stage, and only then creates the run directory, so that every
mistake a user can make leaves nothing behind. Core returns data: progress reaches
whoever passes `events` (the CLI shows it), nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from neurokit.core.config import RunConfig, deep_merge, nest, to_yaml
from neurokit.core.engine.resolve import (
    ResolvedRun,
    RunSpec,
    load_run_config,
    resolve,
)
from neurokit.core.errors import ConfigError, DataError
from neurokit.core.records import DataInfo
from neurokit.core.registry import get_registry
from neurokit.core.task import RunContext

Events = Callable[[str, dict[str, Any]], None]
RUN_FILE = "run.json"  # the run's identity: stage, config hash, data summary
REPORT_FILE = "report.json"


@dataclass
class RunResult:
    """What one finished (or skipped) stage run left behind."""

    run_dir: Path
    stage: str | None
    config: dict[str, Any]
    config_hash: str
    val: dict[str, Any] = field(default_factory=dict)
    test: dict[str, Any] | None = None
    report: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False  # a pipeline stage that had already finished


def _roles(config: RunConfig) -> dict[str, str | None]:
    d = config.data
    return {"train": d.train_split, "val": d.val_split, "test": d.test_split}


def _build_stage(resolved: ResolvedRun, context: RunContext):
    """Backbone, objective and the task's Stage for a run whose data is loaded."""
    from neurokit.core.stage import Stage

    context.backbone = resolved.components["model"].factory(resolved.options["model"])
    if "objective" in resolved.components:
        context.objective = resolved.components["objective"].factory(resolved.options["objective"])
    stage = resolved.task.build(context)
    if not isinstance(stage, Stage):
        raise ConfigError(
            f"task {resolved.config.task.name!r} built a {type(stage).__name__}, not a "
            "neurokit Stage (plugin bug)"
        )
    return stage


def _trainer(resolved: ResolvedRun):
    return resolved.components["trainer"].factory(resolved.options["trainer"])


def _with_window(config: RunConfig, info: DataInfo) -> RunConfig:
    """The config with the window length the data layer resolved (one knob, recorded)."""
    if config.data.window_seconds is None and info.window_samples and info.sfreq:
        data = config.data.model_copy(update={"window_seconds": info.window_samples / info.sfreq})
        return config.model_copy(update={"data": data})
    return config


def _with_head(config: RunConfig, info: DataInfo) -> RunConfig:
    """The config with the head size the data resolved, for tasks that size one by classes."""
    task = dict(config.task.options)
    if "num_classes" not in task or task["num_classes"] is not None:
        return config
    if info.label_kind != "class" or len(info.class_names) < 2:
        return config
    section = type(config.task).model_validate(
        {**config.task.model_dump(mode="json"), "num_classes": len(info.class_names)}
    )
    return config.model_copy(update={"task": section})


def _parameters(stage: Any) -> dict[str, int]:
    total = sum(p.numel() for p in stage.parameters())
    trainable = sum(p.numel() for p in stage.parameters() if p.requires_grad)
    return {"total": int(total), "trainable": int(trainable)}


def _data_summary(info: DataInfo) -> dict[str, Any]:
    return {key: value for key, value in asdict(info).items() if value is not None}


def class_coverage_warnings(datasets: Mapping[str, Any], info: DataInfo) -> list[str]:
    """One line per evaluation split that lacks a class (its metrics would mislead)."""
    import numpy as np

    if info.label_kind != "class" or not info.class_names:
        return []
    warnings = []
    for role in ("val", "test"):
        dataset = datasets.get(role)
        if dataset is None or not hasattr(dataset, "labels"):
            continue
        labels = np.asarray(dataset.labels, dtype=np.float64)
        labels = labels[~np.isnan(labels)].astype(np.int64)
        counts = np.bincount(labels, minlength=len(info.class_names)).tolist()
        missing = [name for name, n in zip(info.class_names, counts, strict=False) if n == 0]
        if missing:
            shown = ", ".join(f"{n}={c}" for n, c in zip(info.class_names, counts, strict=False))
            warnings.append(
                f"split {role!r} has no windows of class {', '.join(missing)} ({shown}): "
                "balanced accuracy and AUROC there are not comparable"
            )
    return warnings


def resolved_config(spec: RunSpec) -> str:
    """The resolved config as YAML (`--print-config`): every check of `train` but the data."""
    return to_yaml(resolve(spec).config)


def described_config(spec: RunSpec) -> str:
    """The resolved config as YAML with every key's description as a comment
    (`--print-config --describe`): top-level keys, `data.*` and each component's options."""
    from neurokit.core.catalog import described_yaml, run_config_notes

    resolved = resolve(spec)
    notes = run_config_notes(resolved.components)
    return described_yaml(resolved.config.model_dump(mode="json"), notes)


def train(spec: RunSpec, events: Events | None = None) -> RunResult:
    """Run one stage; returns its run directory, metrics and resolved config."""
    from neurokit.core.engine import distributed as dist_utils
    from neurokit.core.engine import rundir
    from neurokit.core.engine.checkpoint import seed_everything
    from neurokit.core.engine.data import build_datasets, data_summary

    resolved = resolve(spec)
    config = resolved.config
    info = dist_utils.init_from_env()
    try:
        # every rank warms: under torch.distributed the ranks of a node split the decode
        if info.world_size == 1:
            _prepare_embedded(config, events)
        said: list[str] = []

        def early(message: str) -> None:
            said.append(message)
            if events is not None and info.is_main:
                events("warning", {"message": message})

        datasets, data_info, collate = build_datasets(
            config, resolved.task.data_view(), _roles(config), on_warning=early
        )
        config = _with_head(_with_window(config, data_info), data_info)
        coverage = class_coverage_warnings(datasets, data_info)
        if events is not None and info.is_main:
            for message in coverage:
                events("warning", {"message": message})
        warnings = said + coverage
        context = RunContext(
            config=config,
            task_config=resolved.options["task"],
            data=data_info,
            datasets=datasets,
            collate=collate,
            resume=bool(spec.resume),
            events=events if info.is_main else None,
        )
        seed_everything(config.seed)  # initial weights depend on the seed only
        stage = _build_stage(resolved, context)
        run_dir = _run_dir(spec, config, info.is_main)
        context.run_dir = run_dir
        summary = {
            "model": config.model.name,
            "stage": config.stage,
            "task": config.task.name,
            "dataset": config.dataset.name,
            "seed": config.seed,
            "parameters": _parameters(stage),
            "head_size": len(stage.class_names) or None,
            **data_summary(config, datasets, data_info),
        }
        context.summary = summary
        if events is not None and info.is_main:
            events("summary", {"run_dir": str(run_dir), "resume": bool(spec.resume), **summary})
        identity = (_run_identity(run_dir) if spec.resume else None) or resolved.config_hash
        if info.is_main:
            (run_dir / rundir.CONFIG).write_text(to_yaml(config), encoding="utf-8")
            rundir.write_json(
                run_dir / RUN_FILE,
                {
                    "stage": config.stage,
                    "task": config.task.name,
                    "config_hash": identity,
                    "data": _data_summary(data_info),
                    "summary": summary,
                    "warnings": warnings,
                },
            )
            device = str(getattr(resolved.options["trainer"], "device", "auto"))
            device = ("cuda" if _cuda() else "cpu") if device == "auto" else device
            rundir.write_json(
                run_dir / rundir.ENVIRONMENT, rundir.environment(device, info.world_size)
            )
        report = dict(_trainer(resolved).fit(stage, context))
        report["run_dir"] = str(run_dir)
        return RunResult(
            run_dir=run_dir,
            stage=config.stage,
            config=config.model_dump(mode="json"),
            config_hash=identity,
            val=dict(report.get("val") or {}),
            test=report.get("test"),
            report=report,
        )
    finally:
        dist_utils.destroy()


def _prepare_embedded(config: RunConfig, events: Events | None) -> None:
    """A missing store of a corpus neurokit generates itself (`demo`) is prepared now,
    with the model family's profile; any other missing store stays a DataError that
    names the `neurokit prepare` command."""
    from neurokit.core.data.location import is_url
    from neurokit.core.data.prepare import prepare
    from neurokit.core.engine.data import _family_profile, _generates, store_location

    name = config.dataset.name
    if config.data.store or config.data.sources or not name or "," in name:
        return
    location = store_location(config)
    if is_url(location) or Path(location).exists() or not _generates(name):
        return
    profile = _family_profile(config)
    if events is not None:
        events("prepare", {"dataset": name, "store": location, "profile": profile})
    summary = prepare(name, None, out=location, profile=profile)
    if events is not None:
        events(
            "prepared",
            {"dataset": name, "store": location, "recordings": len(summary.written)},
        )


def _run_dir(spec: RunSpec, config: RunConfig, is_main: bool) -> Path:
    from neurokit.core.engine import distributed as dist_utils
    from neurokit.core.engine import rundir

    if spec.resume:
        return Path(spec.resume)
    path = None
    if is_main:
        label = f"{config.model.name}-{config.stage or config.task.name}-{config.dataset.name or 'data'}"
        path = rundir.new_run_dir(config.output_dir, config.run_name, label)
    return Path(dist_utils.broadcast_object(str(path) if path else None))


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


# ------------------------------------------------------------------------ evaluation


def _read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file a run directory holds (run.json, report.json), or None if absent."""
    import json

    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _train_classes(run_dir: Path) -> list[str] | None:
    """The class names the run's model was trained on (None for runs without a record)."""
    classes = ((_read_json(run_dir / RUN_FILE) or {}).get("data") or {}).get("class_names")
    return list(classes) if classes else None


def _align_classes(trained: list[str], info: DataInfo, datasets: dict[str, Any]) -> None:
    """Relabel evaluation windows so that class i means the model's class i, by name."""
    given = list(info.class_names)
    if given == trained:
        return
    if sorted(given) != sorted(trained):
        raise DataError(
            f"the model was trained on classes {trained} but the evaluation data has "
            f"{given}; their names must match (order may differ)"
        )
    order = [trained.index(name) for name in given]
    for dataset in datasets.values():
        dataset.remap_labels(order)
    info.class_names = list(trained)


def checkpoint_path(run_dir: Path, checkpoint: str = "best") -> Path:
    """The run's selected (`best`) or latest (`last`) checkpoint; best falls back to last."""
    from neurokit.core.engine import rundir

    path = run_dir / (rundir.BEST if checkpoint == "best" else rundir.LAST)
    if not path.is_file():
        path = run_dir / rundir.LAST
    if not path.is_file():
        raise DataError(f"{str(run_dir)!r} has no checkpoint to evaluate (did it finish a step?)")
    return path


def load_stage_weights(stage: Any, path: Path, config: RunConfig) -> None:
    """Load a checkpoint's model weights into a rebuilt stage, or one DataError saying why not."""
    from neurokit.core.engine import checkpoint as ckpt

    state = ckpt.load(path)
    try:
        stage.load_state_dict(state["model"])
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:300]
        raise DataError(
            f"{str(path)!r} does not fit the model built for dataset "
            f"{config.dataset.name!r} (different classes or channels?): {detail}"
        ) from None


# Config keys that load weights from elsewhere while a stage is built: a rebuilt run takes
# every weight from its own checkpoint, so these are cleared (their files may have moved).
_WEIGHT_SOURCES = (("model", "pretrained"), ("task", "pretrained"))


def rebuild(run_dir: str | Path, checkpoint: str = "best") -> tuple[Any, ResolvedRun, DataInfo]:
    """A finished run's stage with its checkpoint loaded, in eval mode, without its data.

    The data description comes from run.json (what `train` recorded), so the store
    need not exist; returns (stage, resolved run, data info).
    """
    run_dir = Path(run_dir)
    saved = load_run_config(run_dir)
    for section, key in _WEIGHT_SOURCES:
        if isinstance(saved.get(section), dict) and saved[section].get(key):
            saved[section][key] = None
    if isinstance(saved.get("trainer"), dict):  # a run trained on a GPU loads anywhere
        saved["trainer"]["device"] = "auto"
    record = _read_json(run_dir / RUN_FILE)
    if not record or not isinstance(record.get("data"), dict):
        raise DataError(f"{str(run_dir)!r} has no run.json data record (was it written by train?)")
    known = {f for f in DataInfo.__dataclass_fields__}
    info = DataInfo(**{k: v for k, v in record["data"].items() if k in known})
    resolved = resolve(RunSpec(config=saved))
    path = checkpoint_path(run_dir, checkpoint)
    context = RunContext(
        config=resolved.config, task_config=resolved.options["task"], data=info, run_dir=run_dir
    )
    stage = _build_stage(resolved, context)
    load_stage_weights(stage, path, resolved.config)
    stage.eval()
    return stage, resolved, info


def evaluate(
    run_dir: str | Path,
    dataset: str | None = None,
    split: str = "test",
    store: str | None = None,
    checkpoint: str = "best",
    events: Events | None = None,
) -> dict[str, Any]:
    """Re-evaluate a run's selected checkpoint on a split (its own dataset, or another).

    Classes are matched by name: a model trained on (normal, abnormal) evaluated on a
    store whose classes are (abnormal, normal) is scored correctly, and one whose names
    differ is refused.
    """
    from neurokit.core.engine import rundir
    from neurokit.core.engine.data import build_datasets

    run_dir = Path(run_dir)
    saved = load_run_config(run_dir)
    if dataset and dataset != (saved.get("dataset") or {}).get("name"):
        saved["dataset"] = {"name": dataset}
        saved.setdefault("data", {})["store"] = None
    if store:
        saved.setdefault("data", {})["store"] = store
    resolved = resolve(RunSpec(config=saved))
    config = resolved.config
    path = checkpoint_path(run_dir, checkpoint)
    roles = {"eval": split, "train": config.data.train_split}  # train: class counts
    datasets, data_info, collate = build_datasets(
        config, resolved.task.data_view(), roles, warm=True, required=("eval",)
    )
    trained = _train_classes(run_dir)
    if trained and data_info.class_names:
        _align_classes(trained, data_info, datasets)
    context = RunContext(
        config=config,
        task_config=resolved.options["task"],
        data=data_info,
        datasets=datasets,
        collate=collate,
        run_dir=run_dir,
        events=events,
    )
    stage = _build_stage(resolved, context)
    load_stage_weights(stage, path, config)
    metrics = dict(_trainer(resolved).evaluate(stage, context, "eval"))
    name = config.dataset.name or "data"
    rundir.write_json(
        run_dir / f"eval-{name}-{split}.json",
        {"checkpoint": str(path), "dataset": name, "split": split, "metrics": metrics},
    )
    return metrics


# -------------------------------------------------------------------------- pipeline


def _finished(run_dir: Path) -> dict[str, Any] | None:
    return _read_json(run_dir / REPORT_FILE)


def _stage_layers(
    family: Any,
    chosen: list[Any],
    config: Mapping[str, Any] | str | Path | None,
    overrides: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(shared overrides, each stage's config, each stage's overrides) of a pipeline.

    A key qualified by a stage, `instruct:task.max_new_tokens`, reaches that stage only.
    Task options (`task.*`, from the overrides or the config's `task` section) differ
    between stages: each reaches the stages whose task has the option, and one that no
    stage of this pipeline has is a ConfigError. Every other key reaches every stage.
    """
    import difflib

    from neurokit.core.components import Kind
    from neurokit.core.config import load_config_file

    registry = get_registry()
    names = family.stage_names()
    shared: dict[str, Any] = {}
    qualified: dict[str, dict[str, Any]] = {name: {} for name in names}
    for key, value in dict(overrides or {}).items():
        stage, sep, rest = str(key).partition(":")
        if not sep:
            shared[key] = value
        elif stage not in names or not rest:
            raise ConfigError(
                f"--set {key}: {stage!r} is not a stage of model {family.name!r} "
                f"(stages: {', '.join(names)}); write STAGE:KEY=VALUE"
            )
        else:
            qualified[stage][rest] = value
    file = dict(config) if isinstance(config, Mapping) else (
        load_config_file(config) if config else {}
    )  # fmt: skip
    base = deep_merge(nest(shared))
    options = {
        s.name: set(registry.get(Kind.TASK, s.task).config_class.model_fields) for s in chosen
    }

    def route(section: Any, where: str) -> dict[str, dict[str, Any]]:
        if not isinstance(section, Mapping):  # a task name, or nothing: every stage
            return {s.name: ({} if section is None else {"task": section}) for s in chosen}
        routed: dict[str, dict[str, Any]] = {s.name: {"task": {}} for s in chosen}
        for key, value in section.items():
            takers = [s.name for s in chosen if key in options[s.name]]
            if not takers:
                known = sorted(set().union(*options.values()))
                close = difflib.get_close_matches(str(key), known, n=3, cutoff=0.6)
                hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                raise ConfigError(
                    f"{where}task.{key}: no stage of this pipeline ({', '.join(options)}) has "
                    f"that task option.{hint} (`neurokit info model {family.name}` lists them)"
                )
            for name in takers:
                routed[name]["task"][key] = value
        return routed

    from_file = route(file.pop("task", None), "config ")
    from_set = route(base.pop("task", None), "--set ")
    configs = {s.name: deep_merge(file, from_file[s.name]) for s in chosen}
    layers = {s.name: deep_merge(from_set[s.name], nest(qualified[s.name])) for s in chosen}
    return base, configs, layers


def _family(model: str) -> Any:
    registry = get_registry()
    try:
        family = registry.family(model)
    except Exception:
        family = registry.family_of_backbone(model)
    if family is None:
        raise ConfigError(f"pipeline: {model!r} is not a model family (see `neurokit list models`)")
    return family


def pipeline(
    model: str,
    dataset: str | None = None,
    *,
    config: Mapping[str, Any] | str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    name: str | None = None,
    stages: list[str] | None = None,
    small: bool = False,
    events: Events | None = None,
) -> list[RunResult]:
    """Run a family's stages in order, each consuming the runs before it.

    The stages live in `<output_dir>/<name>/<k>-<stage>/` (name: `<model>-<dataset>`).
    A rerun skips stages that finished with the same config, resumes the one that was
    interrupted, and refuses a finished stage whose config has since changed. `small`
    applies each stage's CPU-sized overrides under the user's (a smoke run).

    `overrides` reach every stage, except task options, which differ between stages: a
    `task.*` key reaches the stages whose task has that option (a key no chosen stage has
    is a ConfigError), and a key written `STAGE:KEY` (`finetune:trainer.lr`) reaches that
    stage only. Every chosen stage's config is checked before the first one runs.
    """
    from neurokit.core.engine import rundir

    family = _family(model)
    chosen = [family.stage(s) for s in stages] if stages else list(family.stages)
    base, configs, layers = _stage_layers(family, chosen, config, overrides)
    probe = resolve(RunSpec(model=model, dataset=dataset, config=configs[chosen[0].name],
                            stage=chosen[0].name, overrides=base))  # fmt: skip
    root = Path(probe.config.output_dir) / (
        name or f"{model}-{probe.config.dataset.name or 'data'}"
    )
    done: dict[str, Path] = {}
    results: list[RunResult] = []
    named = probe.config.model.name  # a backbone, or the family's name for its default one
    backbone = family.backbone if named == family.name else named

    def stage_overrides(spec: Any) -> dict[str, Any]:
        small_layer = nest(spec.small_for(backbone)) if small else {}
        return deep_merge(small_layer, base, layers[spec.name])

    for spec in chosen:  # every stage's config is checked before the first one runs
        resolve(RunSpec(model=model, dataset=dataset, stage=spec.name, config=configs[spec.name],
                        overrides=stage_overrides(spec)))  # fmt: skip
    for index, spec in enumerate(family.stages):
        run_dir = root / f"{index + 1}-{spec.name}"
        if spec not in chosen:
            if _finished(run_dir):
                done[spec.name] = run_dir
            continue
        wired = {}
        for key, source in spec.consumes.items():
            if source not in done:
                raise ConfigError(
                    f"pipeline: stage {spec.name!r} consumes {key} from {source!r}, which has "
                    f"not run under {str(root)!r}"
                )
            wired[key] = str(done[source])
        own = deep_merge(base, layers[spec.name])  # the user's overrides this stage takes
        layer = deep_merge(
            stage_overrides(spec),
            nest(wired),
            {"output_dir": str(root), "run_name": run_dir.name},
        )
        run_spec = RunSpec(
            model=model,
            dataset=dataset,
            stage=spec.name,
            config=configs[spec.name],
            overrides=layer,
        )
        identity = resolve(run_spec).config_hash
        report = _finished(run_dir)
        if report is not None:
            saved = _run_identity(run_dir)
            if saved != identity:
                raise ConfigError(
                    f"pipeline: stage {spec.name!r} finished in {str(run_dir)!r} with another "
                    "config; delete that directory or pass another --name"
                )
            results.append(
                RunResult(
                    run_dir,
                    spec.name,
                    load_run_config(run_dir),
                    identity,
                    dict(report.get("val") or {}),
                    report.get("test"),
                    report,
                    skipped=True,
                )
            )
        elif (run_dir / rundir.LAST).is_file():
            result = train(RunSpec(resume=run_dir, overrides=own), events)
            results.append(result)
        else:
            if run_dir.exists() and not any(run_dir.iterdir()):
                run_dir.rmdir()
            elif run_dir.exists():
                raise ConfigError(
                    f"pipeline: {str(run_dir)!r} holds an unfinished run without a checkpoint; "
                    "delete it to start that stage again"
                )
            results.append(train(run_spec, events))
        done[spec.name] = run_dir
    return results


def pipeline_seeds(
    model: str,
    dataset: str | None = None,
    *,
    seeds: list[int],
    name: str | None = None,
    config: Mapping[str, Any] | str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[int, list[RunResult]]:
    """The pipeline once per seed, each in `<output_dir>/<name>/seed<k>/` with `seed=k`.

    Every seed is an ordinary pipeline (skips what finished, resumes what was cut), so a
    rerun after an interruption continues where the seeds stopped.
    """
    if not seeds:
        raise ConfigError("pipeline: --seeds needs at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"pipeline: seeds repeat in {seeds}")
    if name is None:
        family = _family(model)
        base, configs, _ = _stage_layers(family, list(family.stages), config, overrides)
        first = family.stages[0].name
        probe = resolve(RunSpec(model=model, dataset=dataset, config=configs[first],
                                stage=first, overrides=base))  # fmt: skip
        name = f"{model}-{probe.config.dataset.name or 'data'}"
    out: dict[int, list[RunResult]] = {}
    for seed in seeds:
        layer = {**dict(overrides or {}), "seed": int(seed)}
        out[seed] = pipeline(
            model, dataset, config=config, overrides=layer, name=f"{name}/seed{seed}", **kwargs
        )
    return out


def seed_summary(results: Mapping[int, list[RunResult]]) -> dict[str, dict[str, float]]:
    """Mean, std (ddof 0) and n over seeds of each numeric test metric of the last stage."""
    import numpy as np

    values: dict[str, list[float]] = {}
    for runs in results.values():
        test = (runs[-1].test if runs else None) or {}
        for key, value in test.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.setdefault(key, []).append(float(value))
    return {
        k: {"mean": float(np.mean(v)), "std": float(np.std(v)), "n": float(len(v))}
        for k, v in values.items()
    }


def _run_identity(run_dir: Path) -> str | None:
    return (_read_json(run_dir / RUN_FILE) or {}).get("config_hash")


__all__ = [
    "RunResult",
    "RunSpec",
    "described_config",
    "evaluate",
    "pipeline",
    "pipeline_seeds",
    "rebuild",
    "resolved_config",
    "seed_summary",
    "train",
]
