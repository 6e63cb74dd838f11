"""What a component is: a name, a kind, a typed config and a factory.

Every registered component is a :class:`Component`; its config class (a
:class:`ComponentConfig`) lists its hyper-parameters with defaults and descriptions,
which is all `neurokit list` and `neurokit info` show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict


class Kind(StrEnum):
    """The kinds of component a plugin can register."""

    DATASET = "dataset"
    TOKENIZER = "tokenizer"
    BACKBONE = "backbone"
    OBJECTIVE = "objective"
    TASK = "task"
    TRAINER = "trainer"
    MODEL = "model"

    @property
    def plural(self) -> str:
        return f"{self.value}s"


NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


class ComponentConfig(BaseModel):
    """Base of every component config: typed fields, defaults, descriptions, no extras."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


class EmptyConfig(ComponentConfig):
    """A component with no hyper-parameters."""


ConfigT = TypeVar("ConfigT", bound=ComponentConfig)


@dataclass(frozen=True)
class Component(Generic[ConfigT]):
    """One registered component: metadata plus a factory from config to object."""

    name: str
    kind: Kind
    factory: Callable[[ConfigT], Any]
    config_class: type[ConfigT]
    description: str
    plugin: str = ""

    def config(self, **overrides: Any) -> ConfigT:
        """Validate `overrides` against the component's config class."""
        return self.config_class(**overrides)

    def create(self, config: ConfigT | Mapping[str, Any] | None = None, **overrides: Any) -> Any:
        """Build the component from a config object, a mapping, or keyword overrides."""
        if isinstance(config, ComponentConfig):
            if overrides:
                config = config.model_copy(update=overrides)
                config = self.config_class.model_validate(config.model_dump())
        else:
            config = self.config_class(**{**dict(config or {}), **overrides})
        return self.factory(config)


def first_line(text: str | None) -> str:
    """The first non-empty line of a docstring."""
    for line in (text or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""
