"""A model family, declared by its plugin in one place.

A family names its backbone variants, its tokenizers, its ordered stages (the names
users type: `pretrain-tokenizer`, `pretrain`, `finetune`, `instruct`, ...), for each
stage the task component, the official recipe and what it consumes from an earlier
stage's run, the preprocessing profiles it owns and its checkpoint filter. Core reads
these declarations; it knows no family by name.

    LABRAM = Family(
        name="labram",
        backbone="labram-base",
        variants=("labram-large", "labram-huge"),
        tokenizers=("labram-vqnsp",),
        profile="labram",
        profiles={"labram": {"sfreq": 200.0, "l_freq": 0.1, "h_freq": 75.0, ...}},
        hdf5_layouts=(Hdf5Layout("labram", detect=..., iterate=..., export=...),),
        stages=(
            StageSpec("pretrain-tokenizer", task="labram-tokenizer", recipe={...}),
            StageSpec("pretrain", task="labram-mem", recipe={...},
                      consumes={"task.tokenizer": "pretrain-tokenizer"}),
            StageSpec("finetune", task="finetune", recipe={...},
                      consumes={"model.pretrained": "pretrain"}),
        ),
    )

    @hookimpl
    def register_models(register):
        register("labram", LABRAM)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from neurokit.core.errors import UnknownComponentError


@dataclass(frozen=True)
class StageSpec:
    """One step of a family's pipeline under the name users type (`--task NAME`).

    `recipe` holds run-config defaults in the run config's own sections (`trainer`,
    `data`, `model`, `task`, `objective`); the user's file and `--set` go on top.
    `consumes` maps a config key to the earlier stage whose run it needs: with
    `--from RUN` (or in `neurokit pipeline`) that run's directory is put there, e.g.
    `{"task.tokenizer": "pretrain-tokenizer"}` or `{"model.pretrained": "pretrain"}`.
    `small` holds overrides that make the stage CPU-sized (`neurokit pipeline --small`,
    the family contract tests): same code paths, a model and data small enough to run
    in seconds. `small_by_backbone` adds overrides for one backbone of the family (its
    own size fields), on top of `small`.
    """

    name: str
    task: str
    recipe: Mapping[str, Any] = field(default_factory=dict)
    consumes: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    small: Mapping[str, Any] = field(default_factory=dict)
    small_by_backbone: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def small_for(self, backbone: str) -> dict[str, Any]:
        """The CPU-sized overrides of this stage for `backbone`."""
        return {**self.small, **self.small_by_backbone.get(backbone, {})}


@dataclass(frozen=True)
class Hdf5Layout:
    """An HDF5 file layout a family's official code reads or writes (`store import-hdf5`).

    `detect(path)` says whether a file is in this layout (layouts must not overlap);
    `iterate(path, sfreq, channels)` yields `(Recording, windows)` per group to import;
    `export(store, out, split=, window_seconds=, group_size=, overwrite=)` writes a
    store in the layout and returns what it wrote. A layout may only import or only
    export (leave the other None). `labelled`: imported recordings carry one event per
    window (`label_kind = events`). `title` names the layout in messages.
    """

    name: str
    title: str = ""
    description: str = ""
    detect: Callable[[Any], bool] | None = None
    iterate: Callable[..., Any] | None = None
    export: Callable[..., dict[str, Any]] | None = None
    labelled: bool = False


@dataclass(frozen=True)
class Family:
    """A model family: what `--model NAME` means, from backbone to stages and profiles."""

    name: str
    backbone: str
    stages: tuple[StageSpec, ...]
    description: str = ""
    variants: tuple[str, ...] = ()
    tokenizers: tuple[str, ...] = ()
    default_stage: str = "finetune"
    modality: str = "eeg"  # what the stages train on (eeg, seeg, meg): the contract tests' data
    backbone_options: Mapping[str, Any] = field(default_factory=dict)
    profile: str | None = None
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    weights_filter: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
    hdf5_layouts: tuple[Hdf5Layout, ...] = ()

    def __post_init__(self) -> None:
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"family {self.name!r} declares a stage twice: {names}")
        if self.default_stage not in names:
            raise ValueError(
                f"family {self.name!r}: default stage {self.default_stage!r} is not a stage"
            )
        for spec in self.stages:
            for key, source in spec.consumes.items():
                if source not in names[: names.index(spec.name)]:
                    raise ValueError(
                        f"family {self.name!r}: stage {spec.name!r} consumes {key} from "
                        f"{source!r}, which is not an earlier stage"
                    )
        layouts = [layout.name for layout in self.hdf5_layouts]
        if len(set(layouts)) != len(layouts):
            raise ValueError(f"family {self.name!r} declares an HDF5 layout twice: {layouts}")
        if self.profile and self.profile not in self.profiles:
            raise ValueError(f"family {self.name!r}: profile {self.profile!r} is not declared")

    @property
    def backbones(self) -> tuple[str, ...]:
        """Every backbone of the family, the default first."""
        return (self.backbone, *self.variants)

    def stage(self, name: str) -> StageSpec:
        """The stage called `name` (as a user types it, or by its task component)."""
        for spec in self.stages:
            if name in (spec.name, spec.task):
                return spec
        raise UnknownComponentError(
            f"stage of model {self.name!r}", name, [s.name for s in self.stages]
        )

    def stage_names(self) -> list[str]:
        return [spec.name for spec in self.stages]
