"""A benchmark spec (YAML/TOML): a grid of models x datasets x protocols x seeds, as cells.

    name: demo
    output_dir: bench            # the bench directory is <output_dir>/<name>
    data_root: .                 # where <dataset>.zarr stores are looked for
    models:
      - tiny                                         # a family, backbone or preset
      - {name: labram-base, overrides: {trainer.lr: 1e-3}, pretrained: RUN_OR_FILE}
    datasets: [demo, {name: mine, store: path/to/mine.zarr}]
    protocols: [finetune, linear-probe, frozen-head]
    seeds: [0, 1, 2]
    overrides: {trainer.epochs: 3}                   # every cell
    cells:                                           # some cells
      - {match: {model: labram-base, dataset: demo}, overrides: {data.batch_size: 8}}

Relative paths (output_dir, data_root, stores) are taken from the working directory,
as for `neurokit train`. Layers, lowest first: the model's stage recipe < `overrides` < the dataset's overrides <
the model's overrides < the protocol < matching `cells` entries < the seed. Every cell is
one `neurokit.train` run of the model's `finetune` stage (or `stage:`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurokit.core.config import deep_merge, load_config_file, nest
from neurokit.core.engine.resolve import RunSpec
from neurokit.core.errors import ConfigError

# protocol -> the finetune task options it sets
PROTOCOLS: dict[str, dict[str, Any]] = {
    "finetune": {},
    "linear-probe": {"task": {"freeze_backbone": True, "head": "backbone"}},
    "frozen-head": {"task": {"freeze_backbone": True, "head": "mlp"}},
}
_TOP = {"name", "output_dir", "data_root", "models", "datasets", "protocols", "seeds"}
_TOP |= {"overrides", "cells", "description"}


@dataclass(frozen=True)
class ModelEntry:
    label: str  # how the report names it (unique)
    model: str  # what --model gets
    stage: str = "finetune"
    pretrained: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetEntry:
    label: str
    name: str
    store: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Cell:
    """One run of the grid: a model on a dataset under a protocol with a seed."""

    model: str  # labels
    dataset: str
    protocol: str
    seed: int
    run: RunSpec

    @property
    def id(self) -> str:
        return f"{self.model}--{self.dataset}--{self.protocol}--s{self.seed}"

    @property
    def group(self) -> tuple[str, str, str]:
        return (self.dataset, self.model, self.protocol)


@dataclass
class BenchSpec:
    name: str
    directory: Path  # the bench directory: cells' runs, the cache and the report live here
    models: list[ModelEntry]
    datasets: list[DatasetEntry]
    protocols: list[str]
    seeds: list[int]
    overrides: dict[str, Any]
    cells_overrides: list[tuple[dict[str, Any], dict[str, Any]]]
    data_root: str
    path: Path | None = None
    description: str = ""

    def cells(self) -> list[Cell]:
        """Every cell, dataset-major (a report fills one dataset's table first)."""
        cells = []
        for d in self.datasets:
            for m in self.models:
                for p in self.protocols:
                    for seed in self.seeds:
                        cells.append(self._cell(m, d, p, seed))
        return cells

    def _cell(self, m: ModelEntry, d: DatasetEntry, protocol: str, seed: int) -> Cell:
        keys = {"model": m.label, "dataset": d.label, "protocol": protocol, "seed": seed}
        matched = [o for match, o in self.cells_overrides if _matches(match, keys)]
        data: dict[str, Any] = {"dataset": {"name": d.name}}
        if d.store:
            data["data"] = {"store": d.store}
        pretrained = {"model": {"pretrained": m.pretrained}} if m.pretrained else {}
        layer = deep_merge(
            {"data_root": self.data_root},
            data,
            nest(self.overrides),
            nest(dict(d.overrides)),
            nest(dict(m.overrides)),
            pretrained,
            PROTOCOLS[protocol],
            *(nest(o) for o in matched),
            {"seed": seed},
        )
        run = RunSpec(model=m.model, stage=m.stage, overrides=layer)
        return Cell(m.label, d.label, protocol, seed, run)


def _matches(match: Mapping[str, Any], keys: Mapping[str, Any]) -> bool:
    for key, wanted in match.items():
        options = wanted if isinstance(wanted, list) else [wanted]
        if keys[key] not in options:
            return False
    return True


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"bench spec: {where} must be a mapping of key: value, not {value!r}")
    return dict(value)


def _entries(value: Any, where: str) -> list[dict[str, Any]]:
    """A list of names or {name: ...} mappings, or a mapping label -> options."""
    if isinstance(value, Mapping):
        value = [{"name": k, **_mapping(v, f"{where}.{k}")} for k, v in value.items()]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"bench spec: {where} must be a non-empty list")
    entries = []
    for item in value:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping) or not item.get("name"):
            raise ConfigError(f"bench spec: each of {where} needs a name, got {item!r}")
        entries.append(dict(item))
    return entries


def _unique(labels: list[str], where: str) -> None:
    seen = {label for label in labels if labels.count(label) > 1}
    if seen:
        raise ConfigError(
            f"bench spec: {where} {', '.join(sorted(seen))} appear twice; give each a `label`"
        )


def _models(value: Any) -> list[ModelEntry]:
    allowed = {"name", "label", "model", "stage", "pretrained", "overrides"}
    models = []
    for e in _entries(value, "models"):
        unknown = set(e) - allowed
        if unknown:
            raise ConfigError(
                f"bench spec: model {e['name']!r}: unknown key(s) {', '.join(sorted(unknown))} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
        models.append(
            ModelEntry(
                label=str(e.get("label") or e["name"]),
                model=str(e.get("model") or e["name"]),
                stage=str(e.get("stage") or "finetune"),
                pretrained=str(e["pretrained"]) if e.get("pretrained") else None,
                overrides=_mapping(e.get("overrides"), f"models.{e['name']}.overrides"),
            )
        )
    _unique([m.label for m in models], "models")
    return models


def _datasets(value: Any, base: Path) -> list[DatasetEntry]:
    allowed = {"name", "label", "store", "overrides"}
    datasets = []
    for e in _entries(value, "datasets"):
        unknown = set(e) - allowed
        if unknown:
            raise ConfigError(
                f"bench spec: dataset {e['name']!r}: unknown key(s) {', '.join(sorted(unknown))} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
        store = e.get("store")
        if store and "://" not in str(store):
            store = str((base / str(store)).resolve())
        datasets.append(
            DatasetEntry(
                label=str(e.get("label") or e["name"]),
                name=str(e["name"]),
                store=str(store) if store else None,
                overrides=_mapping(e.get("overrides"), f"datasets.{e['name']}.overrides"),
            )
        )
    _unique([d.label for d in datasets], "datasets")
    return datasets


def _seeds(value: Any) -> list[int]:
    if value is None:
        return [0]
    if isinstance(value, int) and not isinstance(value, bool):
        return list(range(value))  # `seeds: 3` means 0, 1, 2
    if not isinstance(value, list) or not value:
        raise ConfigError("bench spec: seeds must be a count or a non-empty list of integers")
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in value):
        raise ConfigError(f"bench spec: seeds must be integers, got {value!r}")
    if len(set(value)) != len(value):
        raise ConfigError(f"bench spec: seeds {value!r} repeat a seed")
    return list(value)


def _protocols(value: Any) -> list[str]:
    value = ["finetune"] if value is None else value
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not value:
        raise ConfigError("bench spec: protocols must be a non-empty list")
    for p in value:
        if p not in PROTOCOLS:
            raise ConfigError(f"bench spec: unknown protocol {p!r} (known: {', '.join(PROTOCOLS)})")
    return list(value)


def _cell_overrides(value: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError("bench spec: cells must be a list of {match: ..., overrides: ...}")
    keys = {"model", "dataset", "protocol", "seed"}
    out = []
    for item in value:
        if not isinstance(item, Mapping) or "match" not in item:
            raise ConfigError(f"bench spec: each of cells needs `match` and `overrides`: {item!r}")
        match = _mapping(item["match"], "cells.match")
        unknown = set(match) - keys
        if unknown:
            raise ConfigError(
                f"bench spec: cells.match: unknown key(s) {', '.join(sorted(unknown))} "
                f"(match on {', '.join(sorted(keys))})"
            )
        out.append((match, _mapping(item.get("overrides"), "cells.overrides")))
    return out


def parse_spec(data: Mapping[str, Any], base: Path, path: Path | None = None) -> BenchSpec:
    """A validated BenchSpec from a mapping; relative paths are taken from `base`."""
    unknown = set(data) - _TOP
    if unknown:
        raise ConfigError(
            f"bench spec: unknown key(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(_TOP))})"
        )
    for key in ("models", "datasets"):
        if not data.get(key):
            raise ConfigError(f"bench spec: `{key}` is missing")
    name = str(data.get("name") or (path.stem if path else "bench"))
    output = Path(str(data.get("output_dir") or "bench"))
    directory = (output if output.is_absolute() else base / output) / name
    data_root = Path(str(data.get("data_root") or "."))
    spec = BenchSpec(
        name=name,
        directory=directory.resolve(),
        models=_models(data["models"]),
        datasets=_datasets(data["datasets"], base),
        protocols=_protocols(data.get("protocols")),
        seeds=_seeds(data.get("seeds")),
        overrides=_mapping(data.get("overrides"), "overrides"),
        cells_overrides=_cell_overrides(data.get("cells")),
        data_root=str(data_root if data_root.is_absolute() else (base / data_root).resolve()),
        path=path,
        description=str(data.get("description") or ""),
    )
    return spec


def load_spec(spec: str | Path | Mapping[str, Any] | BenchSpec) -> BenchSpec:
    """A BenchSpec from a file (YAML/TOML/JSON) or a mapping (paths from the cwd), or itself."""
    if isinstance(spec, BenchSpec):
        return spec
    if isinstance(spec, Mapping):
        return parse_spec(spec, Path.cwd())
    path = Path(spec)
    return parse_spec(load_config_file(path), Path.cwd(), path)
