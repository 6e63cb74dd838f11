"""From a task's DataView and the run's `data` section to window datasets over a store.

Uses the data layer's `WindowDataset` and `Collate`; the trainer builds its own
DataLoaders around them (its sampler must resume mid-epoch and shard by rank).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from neurokit.core.errors import DataError
from neurokit.core.interfaces import DataInfo, DataView

DEFAULT_WINDOW_SECONDS = 10.0


def store_location(config: Any) -> str:
    """`data.store`, else `<data_root>/<dataset>.zarr`."""
    if config.data.store:
        return str(config.data.store)
    if not config.dataset.name:
        from neurokit.core.errors import ConfigError

        raise ConfigError("no dataset: pass --dataset NAME (or set data.store to a store path)")
    return str(Path(config.data_root) / f"{config.dataset.name}.zarr")


def prepare_command(dataset: str | None, location: str, profile: str | None = None) -> str:
    """The exact `neurokit prepare` command that creates the store at `location`
    (with the model preset's preprocessing profile, e.g. `--profile luna`)."""
    name = dataset or "DATASET"
    raw = "" if name == "demo" or _generates(name) else " --raw DIR"
    flag = f" --profile {profile}" if profile else ""
    return f"neurokit prepare {name}{raw}{flag} --out {location}"


def _family_profile(config: Any) -> str | None:
    """The preprocessing profile the run's model family expects, if it names one."""
    from neurokit.core.registry import get_registry

    if not config.model.name:
        return None
    registry = get_registry()
    try:
        family = registry.family(str(config.model.name))
    except Exception:
        family = registry.family_of_backbone(str(config.model.name))
    return family.profile if family is not None else None


def _generates(name: str) -> bool:
    try:
        from neurokit.core.registry import get_registry

        dataset = get_registry().get("dataset", name).create()
    except Exception:
        return False
    return callable(getattr(dataset, "generate", None))


def open_run_store(config: Any):
    """The run's store, or one DataError saying which command creates it."""
    from neurokit.core.data.store import open_store
    from neurokit.core.data.writer import is_url

    location = store_location(config)
    if not is_url(location) and not Path(location).exists():
        raise DataError(
            f"store {location!r} not found; create it with: "
            f"{prepare_command(config.dataset.name, location, _family_profile(config))}"
        )
    return open_store(location)


def window_seconds(config: Any, view: DataView, store: Any) -> float | None:
    """data.window_seconds > the task's view > the dataset's default > 10 s (None: event windows)."""
    if config.data.window_seconds:
        return float(config.data.window_seconds)
    if view.window_seconds:
        return float(view.window_seconds)
    default = (store.schema.dataset_config or {}).get("window_seconds")
    if default:
        return float(default)
    return None if store.schema.label_kind == "events" else DEFAULT_WINDOW_SECONDS


def build_datasets(
    config: Any,
    view: DataView,
    roles: dict[str, str | None],
    warm: bool = True,
    required: tuple[str, ...] = ("train",),
) -> tuple[dict[str, Any], DataInfo, Any]:
    """Window datasets by role ("train", "val", "test", ...) from split names, the DataInfo, a collate.

    A role whose split the store lacks is skipped unless it is `required`; with `warm`
    every split is decoded into the local cache first (once; later runs reuse it).
    """
    from neurokit.core.data.dataset import Collate, WindowDataset

    store = open_run_store(config)
    schema = store.schema
    has_labels = schema.label_kind != "none" and any(
        m.label is not None or m.n_events for m in store.recordings.values()
    )
    if view.labels and not has_labels:
        raise DataError(
            f"dataset {schema.dataset!r} ({store.location}) has no labels; task "
            f"{config.task.name!r} needs labelled windows (use a pretraining task or a labelled dataset)"
        )
    if view.sfreq and schema.sfreq and abs(float(schema.sfreq) - view.sfreq) > 1e-6:
        raise DataError(
            f"task {config.task.name!r} needs {view.sfreq:g} Hz but store {store.location!r} is "
            f"{schema.sfreq:g} Hz; prepare the store with the model's preprocessing profile"
        )
    seconds = window_seconds(config, view, store)
    stride = config.data.stride_seconds or view.stride_seconds
    labels = "auto" if view.labels else "none"
    available = store.splits()
    datasets: dict[str, Any] = {}
    for role, split in roles.items():
        if split is None:
            continue
        if split not in available:
            if role in required:
                raise DataError(
                    f"store {store.location!r} has no {split!r} split (splits: {', '.join(available)})"
                )
            continue
        dataset = WindowDataset(
            store,
            split,
            seconds,
            stride,
            labels=labels,
            max_windows=config.data.max_windows,
            seed=config.seed,
        )
        if len(dataset) == 0:
            raise DataError(
                f"store {store.location!r}: split {split!r} has no windows of {seconds} s"
            )
        if warm:
            dataset.warm_cache()
        datasets[role] = dataset
    first = next(iter(datasets.values()), None)
    sfreq = float(first.sfreq) if first is not None else float(schema.sfreq or 0.0)
    class_names = list(schema.class_names)
    label_kind = "none" if not has_labels else ("class" if class_names else "continuous")
    counts = None
    train = datasets.get("train")
    if train is not None and label_kind == "class":
        y = train.labels
        y = y[~np.isnan(y)].astype(np.int64)
        counts = np.bincount(y, minlength=len(class_names)).tolist()
    window = first.window_samples if first is not None and first.window_samples else 0
    names = list(first.metas[0].channel_names) if first is not None and first.metas else []
    info = DataInfo(
        sfreq=sfreq,
        window_samples=int(window),
        channel_names=names,
        class_names=class_names,
        label_kind=label_kind,
        class_counts=counts,
    )
    return datasets, info, Collate(sfreq)
