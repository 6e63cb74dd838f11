"""The plugin contract: pluggy hook specifications, one per component kind.

Each `register_*` hook is handed a `register` callable (the style of `llm` and
`datasette`). A plugin module implements the hooks it needs:

    from neurokit import hookimpl

    @hookimpl
    def register_backbones(register):
        register("my-net", build_my_net, config=MyNetConfig)

`register(name, factory, config=None, description=None)`: `factory` takes the
validated config and returns the component; `config` is a `ComponentConfig`
subclass (none means no options); `description` defaults to the first line of the
factory's docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "neurokit"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[..., None]


@hookspec
def register_datasets(register: Register) -> None:
    """Register corpora: raw layout, labels, splits, default preprocessing."""


@hookspec
def register_tokenizers(register: Register) -> None:
    """Register tokenizers: signal patches to discrete codes."""


@hookspec
def register_backbones(register: Register) -> None:
    """Register backbones: nn.Modules from a batch to features."""


@hookspec
def register_objectives(register: Register) -> None:
    """Register objectives: losses over model outputs and a batch."""


@hookspec
def register_tasks(register: Register) -> None:
    """Register tasks: recipes wiring backbone, objective, data view and metrics."""


@hookspec
def register_trainers(register: Register) -> None:
    """Register trainers: what runs a task."""


@hookspec
def register_models(register: Register) -> None:
    """Register model presets: a family's backbone, tokenizer and recipes under one name."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands to the `neurokit` CLI group."""
