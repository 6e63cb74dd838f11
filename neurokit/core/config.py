"""Run configs: defaults, a YAML/TOML/JSON file and `--set key=value` overrides, merged and validated.

A run config has one section per component (`model`, `dataset`, `task`, `trainer`)
plus `data` (windowing and loading) and run-level fields. Each component section
holds the component's `name` and its options; the options are validated against
that component's own config class once the name is known, so every error names
the full key (`trainer.lr`), the value given and what was expected.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from neurokit.core.errors import ConfigError
from neurokit.core.interfaces import Component, ComponentConfig

M = TypeVar("M", bound=BaseModel)


class Section(BaseModel):
    """A component section: `name` plus free options checked later by the component."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_bare_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class SourceConfig(ComponentConfig):
    """One store of a multi-store run (`data.sources`): where it is and how it is sampled."""

    dataset: str | None = Field(None, description="dataset name (store: <data_root>/<name>.zarr)")
    store: str | None = Field(None, description="store path or URL (instead of dataset)")
    weight: float | None = Field(
        None,
        ge=0,
        description="sampling share in training (None: 1 if any source has a weight, else its size)",
    )
    window_seconds: float | None = Field(None, gt=0, description="this source's window length")
    stride_seconds: float | None = Field(None, gt=0, description="this source's window stride")
    label_space: str | None = Field(
        None,
        description="sources with the same label space share class indices (None: same class names share)",
    )
    subjects: list[str] | None = Field(None, description="keep only these subjects of this source")

    @model_validator(mode="before")
    @classmethod
    def _accept_bare_name(cls, value: Any) -> Any:
        return {"dataset": value} if isinstance(value, str) else value


class DataConfig(ComponentConfig):
    """How windows are cut from the store and batched."""

    store: str | None = Field(
        None, description="store path or fsspec URL (default: <data_root>/<dataset>.zarr)"
    )
    window_seconds: float | None = Field(
        None, gt=0, description="window length; None = the task's default"
    )
    stride_seconds: float | None = Field(
        None, gt=0, description="window stride; None = the window length"
    )
    batch_size: int = Field(64, ge=1, description="samples per batch (per process)")
    num_workers: int = Field(0, ge=0, description="DataLoader worker processes")
    train_split: str = Field("train", description="split used for training")
    val_split: str | None = Field("val", description="split used for model selection (None: none)")
    test_split: str | None = Field(
        "test", description="split evaluated with the selected checkpoint"
    )
    max_windows: int | None = Field(None, ge=1, description="cap on windows per split (quick runs)")
    subjects: list[str] | None = Field(None, description="keep only these subjects (None: all)")
    split: Literal["subject", "within-subject", "official"] = Field(
        "subject",
        description="subject: the store's subject-disjoint splits; within-subject: each subject's "
        "trials split per label by split_fractions; official: the corpus's own release split",
    )
    split_fractions: dict[str, float] = Field(
        default_factory=lambda: {"train": 0.8, "val": 0.1, "test": 0.1},
        description="within-subject split: share of each subject's trials per split, in order",
    )
    eval_window_seconds: float | None = Field(
        None,
        gt=0,
        description="window length for val/test (None: the task's eval view, else training's)",
    )
    eval_stride_seconds: float | None = Field(
        None,
        gt=0,
        description="window stride for val/test (None: the eval window, non-overlapping)",
    )
    sources: list[SourceConfig] | None = Field(
        None, description="several stores in one run (also: --dataset a,b); None: the one dataset"
    )
    epoch_windows: int | None = Field(
        None,
        ge=1,
        description="windows per training epoch of a weighted mixture (None: all sources' total)",
    )


class RunConfig(ComponentConfig):
    """Everything a `neurokit train` run needs, saved with the run."""

    model: Section = Field(
        default_factory=Section, description="model family or backbone, with options"
    )
    stage: str | None = Field(
        None,
        description="the family stage this run is (pretrain-tokenizer, pretrain, finetune, ...)",
    )
    dataset: Section = Field(default_factory=Section, description="dataset name and options")
    task: Section = Field(
        default_factory=Section, description="task name (default: the model's) and options"
    )
    objective: Section = Field(
        default_factory=Section, description="objective override and options"
    )
    trainer: Section = Field(
        default_factory=lambda: Section(name="default"), description="trainer and options"
    )
    data: DataConfig = Field(default_factory=DataConfig)
    seed: int = Field(0, description="seed for python, numpy and torch")
    output_dir: str = Field("runs", description="where run directories are created")
    run_name: str | None = Field(
        None, description="run directory name (default: timestamp + model + task)"
    )
    data_root: str = Field(".", description="where `<dataset>.zarr` stores are looked for")


# ------------------------------------------------------------------ sources


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML, TOML or JSON config file into a dict, with a clear error if it cannot."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {str(path)!r} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        elif suffix in {".yaml", ".yml", ""}:
            data = yaml.safe_load(text)
        else:
            raise ConfigError(
                f"config file {str(path)!r}: unknown format {suffix!r} (use .yaml, .toml or .json)"
            )
    except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(
            f"config file {str(path)!r} is not valid {suffix.lstrip('.') or 'yaml'}: {detail}"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {str(path)!r} must hold a mapping, not {type(data).__name__}"
        )
    return data


class _OverrideLoader(yaml.SafeLoader):
    """YAML as `--set` reads it: zero-padded numbers stay text (`001` names subject "001").

    PyYAML's YAML 1.1 rules would read `001` as 1 and `012` as octal 10; ids in the field are
    zero-padded text, so an integer scalar with a leading zero keeps its spelling.
    """


def _construct_int_or_padded_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    if _is_zero_padded(text):
        return text
    return loader.construct_yaml_int(node)


def _is_zero_padded(text: str) -> bool:
    return len(text) > 1 and text.startswith("0") and text.isdigit()


_OverrideLoader.add_constructor("tag:yaml.org,2002:int", _construct_int_or_padded_text)


def parse_value(text: str) -> Any:
    """A `--set` value, typed as YAML types it (`3`, `1e-4`, `true`, `[1, 2]`, `null`).

    Zero-padded numbers stay text (`data.subjects=[001]` names subject "001", not 1).
    """
    try:
        value = yaml.load(text, Loader=_OverrideLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        return text
    if isinstance(value, str) and not _is_zero_padded(value):
        try:
            return float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return value
    return value


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """Nested dict from `key.sub=value` strings."""
    result: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"--set {item!r}: expected key=value, e.g. trainer.lr=1e-4")
        set_path(result, key, parse_value(raw))
    return result


def set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in a nested dict, creating the levels on the way."""
    *parents, last = dotted.split(".")
    node = target
    for part in parents:
        child = node.get(part)
        if isinstance(child, str):  # `model: luna` then `model.depth=4`
            child = {"name": child}
        if not isinstance(child, dict):
            child = {}
        node[part] = child
        node = child
    node[last] = value


def deep_merge(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge mappings left to right; later layers win, nested mappings merge."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            current = merged.get(key)
            if isinstance(current, str) and isinstance(value, Mapping) and "name" not in value:
                current = {"name": current}
            if isinstance(current, Mapping) and isinstance(value, Mapping):
                merged[key] = deep_merge(current, value)
            elif isinstance(current, Mapping) and isinstance(value, str) and key in _SECTIONS:
                merged[key] = {**current, "name": value}
            else:
                merged[key] = value
    return merged


_SECTIONS = {"model", "dataset", "task", "objective", "trainer"}


# --------------------------------------------------------------- validation


def describe_error(exc: ValidationError, prefix: str = "") -> str:
    """One line per problem: the full key, the value given and what was expected."""
    lines = []
    for error in exc.errors():
        key = ".".join(str(p) for p in (prefix, *error["loc"]) if p != "")
        if error["type"] == "extra_forbidden":
            lines.append(f"{key}: unknown option")
            continue
        if error["type"] == "missing":
            lines.append(f"{key}: required")
            continue
        given = error.get("input")
        lines.append(f"{key}: got {given!r}, {error['msg'][0].lower()}{error['msg'][1:]}")
    return "; ".join(lines)


def validate(model: type[M], data: Mapping[str, Any], prefix: str = "") -> M:
    """`model.model_validate(data)`, with a `ConfigError` naming every bad key."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(f"invalid config: {describe_error(exc, prefix)}") from None


def component_config(
    component: Component, options: Mapping[str, Any], section: str
) -> ComponentConfig:
    """Validate a section's options against the component's config class."""
    try:
        return component.config_class.model_validate(dict(options))
    except ValidationError as exc:
        known = ", ".join(component.config_class.model_fields) or "none"
        message = describe_error(exc, section)
        if any(e["type"] == "extra_forbidden" for e in exc.errors()):
            message += f" ({component.kind.value} {component.name!r} takes: {known})"
        raise ConfigError(f"invalid config: {message}") from None


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Nested sections from a mapping whose keys may be dotted (`{"trainer.lr": 1e-4}`)."""
    result: dict[str, Any] = {}
    for key, value in values.items():
        if "." in key:
            layer: dict[str, Any] = {}
            set_path(layer, key, value)
        else:
            layer = {key: value}
        result = deep_merge(result, layer)
    return result


def to_yaml(config: BaseModel) -> str:
    """The config as YAML, sections first, as saved with a run and shown by --print-config."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
