"""From a task's DataView and the run's `data` section to window datasets over a store.

Uses the data layer's `WindowDataset` and `Collate`; the trainer builds its own
DataLoaders around them (its sampler must resume mid-epoch and shard by rank).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neurokit.core.errors import ConfigError, DataError
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


def _family(config: Any):
    """The run's model family (None for a bare backbone)."""
    from neurokit.core.registry import get_registry

    if not config.model.name:
        return None
    registry = get_registry()
    try:
        return registry.family(str(config.model.name))
    except Exception:
        return registry.family_of_backbone(str(config.model.name))


def _family_profile(config: Any) -> str | None:
    """The preprocessing profile the run's model family expects, if it names one."""
    family = _family(config)
    return family.profile if family is not None else None


# The profile values a store must match for a model to see what it was trained on.
_FIT_KEYS = ("sfreq", "montage")


def _describe_fit(values: dict[str, Any]) -> str:
    rate = values.get("sfreq")
    shown = f"{rate:g} Hz" if isinstance(rate, int | float) else "native rate"
    return f"{shown}, {values.get('montage') or 'referential'}"


def fix_commands(config: Any, dataset: str | None, profile: str) -> str:
    """The two commands that give a run a store in `profile`: prepare it, then point at it."""
    name = dataset or "DATASET"
    location = str(Path(config.data_root) / f"{name}-{profile}.zarr")
    return (
        f"{prepare_command(dataset, location, profile)}, then rerun with "
        f"--set data.store={location}"
    )


def profile_mismatch(config: Any, store: Any, spec_dataset: str | None = None) -> str | None:
    """A sentence when the store was not prepared with the model family's profile, else None.

    Only the values that change what a model sees (rate, montage) are compared; band and
    notch differences are left to the user.
    """
    family = _family(config)
    if family is None or not family.profile:
        return None
    expected = dict(family.profiles.get(family.profile) or {})
    have = dict(store.schema.preprocessing or {})
    if not have:
        return None
    if "sfreq" not in have or have.get("sfreq") is None:
        have["sfreq"] = store.schema.sfreq
    diffs = []
    for key in _FIT_KEYS:
        want = expected.get(key, "referential" if key == "montage" else None)
        got = have.get(key, "referential" if key == "montage" else None)
        if want is None:
            continue
        if key == "sfreq" and got is not None and abs(float(got) - float(want)) < 1e-6:
            continue
        if got != want:
            diffs.append(key)
    if not diffs:
        return None
    dataset = spec_dataset or store.schema.dataset or config.dataset.name
    return (
        f"store {store.location!r} is {_describe_fit(have)} but model {family.name!r} expects "
        f"its {family.profile!r} profile ({_describe_fit(expected)}); for a store that fits: "
        f"{fix_commands(config, dataset, family.profile)}"
    )


def _generates(name: str) -> bool:
    try:
        from neurokit.core.registry import get_registry

        dataset = get_registry().get("dataset", name).create()
    except Exception:
        return False
    return callable(getattr(dataset, "generate", None))


def open_run_store(config: Any):
    """The run's store, or one DataError saying which command creates it."""
    from neurokit.core.data.location import is_url
    from neurokit.core.data.store import open_store

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


@dataclass
class SourceSpec:
    """One store of the run, resolved: name, location and how it is sampled and windowed."""

    name: str
    location: str
    dataset: str | None = None
    weight: float | None = None
    window_seconds: float | None = None
    stride_seconds: float | None = None
    label_space: str | None = None
    subjects: list[str] | None = None


def source_specs(config: Any) -> list[SourceSpec]:
    """`data.sources`, else `--dataset a,b,...` (one store each), else the run's one store."""
    data = config.data
    if data.sources:
        specs = []
        for i, src in enumerate(data.sources):
            if not src.store and not src.dataset:
                raise ConfigError(f"data.sources[{i}]: give a dataset name or a store path")
            location = (
                str(src.store) if src.store else str(Path(config.data_root) / f"{src.dataset}.zarr")
            )
            name = src.dataset or Path(str(src.store).rstrip("/")).stem or f"source{i}"
            specs.append(
                SourceSpec(name, location, src.dataset, src.weight, src.window_seconds,
                           src.stride_seconds, src.label_space, src.subjects)
            )  # fmt: skip
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ConfigError(f"data.sources: two sources share a name ({', '.join(names)})")
        return specs
    name = config.dataset.name or ""
    if "," in name and not data.store:
        parts = [p.strip() for p in name.split(",") if p.strip()]
        return [SourceSpec(p, str(Path(config.data_root) / f"{p}.zarr"), p) for p in parts]
    location = store_location(config)
    return [SourceSpec(name or Path(location.rstrip("/")).stem, location, name or None)]


def _open_source(config: Any, spec: SourceSpec):
    from neurokit.core.data.location import is_url
    from neurokit.core.data.store import open_store

    if not is_url(spec.location) and not Path(spec.location).exists():
        raise DataError(
            f"store {spec.location!r} not found; create it with: "
            f"{prepare_command(spec.dataset, spec.location, _family_profile(config))}"
        )
    return open_store(spec.location)


@dataclass
class _Views:
    train: tuple[float | None, float | None]
    eval: tuple[float | None, float | None]


def _views(config: Any, view: DataView, store: Any, spec: SourceSpec) -> _Views:
    """(window, stride) for training and for val/test; the eval view defaults to training's."""
    seconds = spec.window_seconds or window_seconds(config, view, store)
    stride = spec.stride_seconds or config.data.stride_seconds or view.stride_seconds
    eval_seconds = config.data.eval_window_seconds or view.eval_window_seconds
    eval_view = float(eval_seconds) if eval_seconds is not None else seconds
    return _Views((seconds, stride), (eval_view, eval_stride_seconds(config, view, stride)))


def eval_stride_seconds(
    config: Any, view: DataView, train_stride: float | None = None
) -> float | None:
    """The val/test stride (None: non-overlapping windows); deployment cuts windows the same way."""
    train_stride = train_stride or config.data.stride_seconds or view.stride_seconds
    eval_stride = config.data.eval_stride_seconds or view.eval_stride_seconds
    if (config.data.eval_window_seconds or view.eval_window_seconds) is None:
        return eval_stride or train_stride
    return eval_stride


def _role_datasets(
    config: Any,
    view: DataView,
    spec: SourceSpec,
    store: Any,
    roles: dict[str, str | None],
    index: int,
    label_offset: int,
) -> dict[str, Any]:
    """This store's window datasets by role, under the run's split mode (may miss roles)."""
    from neurokit.core.data.dataset import WindowDataset
    from neurokit.core.data.splits import official_split, split_within_subjects

    data = config.data
    views = _views(config, view, store, spec)
    labels = "auto" if view.labels else "none"
    subjects = spec.subjects if spec.subjects is not None else data.subjects
    wanted = {role: split for role, split in roles.items() if split is not None}

    def make(split, role: str) -> WindowDataset:
        seconds, stride = views.train if role == "train" else views.eval
        return WindowDataset(
            store, split, seconds, stride, labels=labels, subjects=subjects, seed=config.seed,
            source=index, label_offset=label_offset,
        )  # fmt: skip

    out: dict[str, Any] = {}
    if data.split == "subject":
        available = set(store.splits())
        if (
            subjects is not None
        ):  # splits holding a selected subject (none at all: the dataset says so)
            chosen = {m.split for m in store.recordings.values() if m.subject in set(subjects)}
            available = (available & chosen) or available
        for role, split in wanted.items():
            if split in available:
                out[role] = make(split, role)
    else:
        if data.split == "within-subject" and views.train != views.eval:
            raise ConfigError(
                "data.split=within-subject cuts one set of trials into train/val/test, so val/test "
                "cannot use a different window view (unset data.eval_window_seconds)"
            )
        built: dict[tuple, WindowDataset] = {}
        for role, split in wanted.items():
            key = views.train if role == "train" else views.eval
            if key not in built:
                built[key] = make(None, role)
            full = built[key]
            recs = full.window_recordings
            if data.split == "official":
                per_rec = [official_split(m.extra) for m in full.metas]
                if not any(per_rec):
                    raise DataError(
                        f"store {store.location!r} records no official split (recording extra "
                        "'official_split' or 'release_split'); use data.split=subject"
                    )
                assigned = np.array(per_rec, dtype=object)[recs]
            else:
                windows_subject = [full.metas[r].subject for r in recs]
                trial = [
                    f"{full.metas[r].id}@{s:012d}" for r, s in zip(recs, full._start, strict=True)
                ]
                assigned = split_within_subjects(
                    windows_subject, full.labels, data.split_fractions, config.seed, keys=trial
                )
            keep = assigned == split
            if keep.any():
                out[role] = full.subset(keep)
    for role, dataset in list(out.items()):
        if data.max_windows is not None and len(dataset) > data.max_windows:
            pick = np.random.default_rng(config.seed).choice(len(dataset), data.max_windows, False)
            dataset = out[role] = dataset.subset(np.sort(pick))
        # training windows only (val/test stay on the grid); a subset may come from a
        # dataset built for another role, so set it here
        dataset.random_offset = bool(view.random_offset) and role == "train"
        if len(dataset) == 0:
            seconds = (views.train if role == "train" else views.eval)[0]
            raise DataError(
                f"store {store.location!r}: split {wanted[role]!r} has no windows of {seconds} s"
            )
    return out


def _label_spaces(stores: list[Any], specs: list[SourceSpec]) -> tuple[list[str], list[int]]:
    """The run's class names and each source's offset into them.

    Sources in the same label space (explicit `label_space`, else identical class
    names) share indices; several spaces are concatenated, names prefixed by space.
    """
    spaces: dict[str, list[str]] = {}
    keys = []
    for store, spec in zip(stores, specs, strict=True):
        names = list(store.schema.class_names)
        key = spec.label_space or "|".join(names)
        if key in spaces and spaces[key] != names:
            raise DataError(
                f"source {spec.name!r} is in label space {key!r} but its classes {names} differ "
                f"from {spaces[key]}"
            )
        spaces.setdefault(key, names)
        keys.append(key)
    labelled = [k for k in spaces if spaces[k]]
    if len(labelled) <= 1:
        return (spaces[labelled[0]] if labelled else []), [0] * len(specs)
    offsets, class_names, start = {}, [], 0
    for key in labelled:
        owner = specs[keys.index(key)]
        prefix = owner.label_space or owner.name
        offsets[key] = start
        class_names += [f"{prefix}:{c}" for c in spaces[key]]
        start += len(spaces[key])
    return class_names, [offsets.get(k, 0) for k in keys]


def build_datasets(
    config: Any,
    view: DataView,
    roles: dict[str, str | None],
    warm: bool = True,
    required: tuple[str, ...] = ("train",),
    on_warning: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], DataInfo, Any]:
    """Window datasets by role ("train", "val", "test", ...) from split names, the DataInfo, a collate.

    One store gives `WindowDataset`s; several (`data.sources`, `--dataset a,b`) give
    `MixtureDataset`s (training sampled by the sources' weights, evaluation over every
    window once). `data.split` picks subject-disjoint, within-subject or official
    splits; val/test may use their own window view (`DataView.eval_window_seconds`).
    A role no store has is skipped unless it is `required`; with `warm` every split is
    decoded into the local cache first (once; later runs reuse it). A store prepared
    with another profile than the model family's is reported to `on_warning` first.
    """
    from neurokit.core.data.dataset import Collate
    from neurokit.core.data.mixture import MixtureDataset

    specs = source_specs(config)
    stores = [_open_source(config, spec) for spec in specs]
    for spec, store in zip(specs, stores, strict=True):
        _check_store(config, view, store)
        mismatch = profile_mismatch(config, store, spec.dataset)
        if mismatch and on_warning is not None:
            on_warning(mismatch)  # said before any window is built or decoded
    class_names, offsets = _label_spaces(stores, specs)
    per_source = [
        _role_datasets(config, view, spec, store, roles, i, offsets[i])
        for i, (spec, store) in enumerate(zip(specs, stores, strict=True))
    ]
    mixture = len(specs) > 1
    datasets: dict[str, Any] = {}
    for role, split in roles.items():
        parts = [(i, d[role]) for i, d in enumerate(per_source) if role in d]
        if not parts:
            if split is not None and role in required:
                raise DataError(
                    "; ".join(
                        f"store {st.location!r} has no {split!r} split (splits: {', '.join(st.splits())})"
                        for st in stores
                    )
                )
            continue
        if not mixture:
            datasets[role] = parts[0][1]
            continue
        weights = None
        if role == "train" and any(s.weight is not None for s in specs):
            weights = [1.0 if specs[i].weight is None else specs[i].weight for i, _ in parts]
        length = config.data.epoch_windows if role == "train" else None
        datasets[role] = MixtureDataset(
            [d for _, d in parts], [specs[i].name for i, _ in parts], weights, length, config.seed
        )
        # rows keep the run-wide source index, not the position among this role's parts
    subjects = _subject_index(per_source, specs, mixture)
    for part in per_source:
        for dataset in part.values():
            dataset.set_subjects(subjects, f"{specs[dataset.source].name}:" if mixture else "")
            if warm:
                dataset.warm_cache()
    first = next(iter(datasets.values()), None)
    sfreq = float(first.sfreq) if first is not None else float(stores[0].schema.sfreq or 0.0)
    has_labels = any(_has_labels(s) for s in stores)
    label_kind = "none" if not has_labels else ("class" if class_names else "continuous")
    counts = None
    train = datasets.get("train")
    if train is not None and label_kind == "class":
        y = train.labels
        y = y[~np.isnan(y)].astype(np.int64)
        counts = np.bincount(y, minlength=len(class_names)).tolist()
    window = first.window_samples if first is not None and first.window_samples else 0
    metas = first.metas if first is not None else []
    names = list(metas[0].channel_names) if metas else []
    eval_window = 0
    for role, dataset in datasets.items():
        if role != "train" and dataset.window_samples and dataset.window_samples != window:
            eval_window = int(dataset.window_samples)
    info = DataInfo(
        sfreq=sfreq,
        window_samples=int(window),
        channel_names=names,
        class_names=class_names,
        label_kind=label_kind,
        class_counts=counts,
        subjects=subjects_list(subjects),
        sources=[s.name for s in specs],
        source_classes={
            s.name: list(st.schema.class_names) for s, st in zip(specs, stores, strict=True)
        },
        eval_window_samples=eval_window,
        preprocessing=_shared_preprocessing(stores),
        recording_labels=label_kind == "class"
        and all(st.schema.label_kind == "recording" for st in stores),
    )
    return datasets, info, Collate(sfreq)


def _shared_preprocessing(stores: list[Any]) -> dict[str, Any]:
    """The stores' preprocessing when they all share one (else empty: no single recipe)."""
    found = [dict(store.schema.preprocessing or {}) for store in stores]
    return found[0] if found and all(p == found[0] for p in found) else {}


def _has_labels(store: Any) -> bool:
    return store.schema.label_kind != "none" and any(
        m.label is not None or m.n_events for m in store.recordings.values()
    )


def _check_store(config: Any, view: DataView, store: Any) -> None:
    schema = store.schema
    if view.labels and not _has_labels(store):
        raise DataError(
            f"dataset {schema.dataset!r} ({store.location}) has no labels; task "
            f"{config.task.name!r} needs labelled windows (use a pretraining task or a labelled dataset)"
        )
    if view.sfreq and schema.sfreq and abs(float(schema.sfreq) - view.sfreq) > 1e-6:
        profile = _family_profile(config)
        fix = (
            f": {fix_commands(config, schema.dataset or config.dataset.name, profile)}"
            if profile
            else " (prepare it with the model's preprocessing profile)"
        )
        raise DataError(
            f"task {config.task.name!r} needs {view.sfreq:g} Hz but store {store.location!r} is "
            f"{schema.sfreq:g} Hz; prepare a store that fits{fix}"
        )


def _subject_index(
    per_source: list[dict[str, Any]], specs: list[SourceSpec], mixture: bool
) -> dict[str, int]:
    """The run's sorted subjects (`source:subject` in a mixture) -> stable integer index."""
    keys = set()
    for i, part in enumerate(per_source):
        prefix = f"{specs[i].name}:" if mixture else ""
        for dataset in part.values():
            keys.update(prefix + s for s in dataset.subjects)
    return {key: i for i, key in enumerate(sorted(keys))}


def subjects_list(index: dict[str, int]) -> list[str]:
    return sorted(index, key=index.__getitem__)


def store_checksum(store: Any) -> str:
    """A 16-hex-digit identity of a store's content: its recordings' ids and checksums."""
    import hashlib

    digest = hashlib.sha256()
    for rid in sorted(store.recordings):
        meta = store.recordings[rid]
        digest.update(f"{rid}:{meta.checksum}:{meta.n_samples};".encode())
    return digest.hexdigest()[:16]


def _windows_by_class(dataset: Any, class_names: list[str]) -> dict[str, int] | None:
    labels = getattr(dataset, "labels", None)
    if labels is None or not class_names:
        return None
    y = np.asarray(labels, dtype=np.float64)
    y = y[~np.isnan(y)].astype(np.int64)
    counts = np.bincount(y, minlength=len(class_names)).tolist()
    return dict(zip(class_names, counts, strict=False))


def data_summary(config: Any, datasets: dict[str, Any], info: DataInfo) -> dict[str, Any]:
    """What a run is about to train on, as data: each store (location, profile, checksum),
    windows per split and class, the window and the sampling rate."""
    from neurokit.core.data.preprocess import Preprocessing
    from neurokit.core.data.store import open_store

    stores = []
    for spec in source_specs(config):
        store = open_store(spec.location)
        pre = dict(store.schema.preprocessing or {})
        try:
            profile = Preprocessing(**pre).describe() if pre else "not recorded"
        except Exception:  # a store written by another version: show what it says
            profile = ", ".join(f"{k}={v}" for k, v in pre.items() if v is not None)
        stores.append(
            {
                "name": spec.name,
                "location": spec.location,
                "dataset": store.schema.dataset,
                "preprocessing": profile,
                "recordings": len(store.recordings),
                "checksum": store_checksum(store),
            }
        )
    windows = {}
    for role, dataset in datasets.items():
        entry: dict[str, Any] = {"windows": len(dataset)}
        per_class = _windows_by_class(dataset, info.class_names)
        if per_class is not None:
            entry["classes"] = per_class
        windows[role] = entry
    seconds = info.window_samples / info.sfreq if info.sfreq and info.window_samples else None
    return {
        "stores": stores,
        "splits": windows,
        "sfreq": info.sfreq,
        "window_samples": info.window_samples,
        "window_seconds": seconds,
        "eval_window_samples": info.eval_window_samples or None,
        "channels": len(info.channel_names),
        "classes": list(info.class_names),
    }
