"""The plugin manager: loads entry points, collects components, answers lookups.

Plugins are found in the `neurokit` entry-point group (neurokit's own built-ins
too). Each plugin's hook implementations are called one at a time, so a plugin
that fails to import or register is recorded with its error and left out, while
every other plugin keeps working.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata as importlib_metadata
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from neurokit.core import hookspecs
from neurokit.core.components import (
    NAME_PATTERN,
    Component,
    ComponentConfig,
    EmptyConfig,
    Kind,
    first_line,
)
from neurokit.core.errors import (
    DuplicateComponentError,
    PluginError,
    UnknownComponentError,
)
from neurokit.core.family import Family

ENTRY_POINT_GROUP = "neurokit"
PLUGINS_ENV = "NEUROKIT_PLUGINS"
BUILTIN_DISTRIBUTION = "neurokit"


@dataclass
class PluginInfo:
    """What `neurokit plugins` reports about one plugin."""

    name: str
    package: str | None = None
    version: str | None = None
    module: str | None = None
    builtin: bool = False
    components: list[tuple[Kind, str]] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        registered: dict[str, list[str]] = {}
        for kind, name in self.components:
            registered.setdefault(kind.value, []).append(name)
        return {
            "name": self.name,
            "package": self.package,
            "version": self.version,
            "module": self.module,
            "builtin": self.builtin,
            "registered": registered,
            "error": self.error,
        }


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _allowed_plugins() -> set[str] | None:
    """Third-party plugins the user allowed through NEUROKIT_PLUGINS (None = all)."""
    value = os.environ.get(PLUGINS_ENV)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


class Registry:
    """All plugins and the components they registered."""

    def __init__(self, entry_points: Iterable[importlib_metadata.EntryPoint] | None = None):
        self._entry_points = entry_points
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        # kind -> name -> every component registered under that name (more than one = conflict)
        self._components: dict[Kind, dict[str, list[Component]]] = {kind: {} for kind in Kind}
        self._loaded = False

    # ----------------------------------------------------------------- loading

    def load(self) -> Registry:
        """Import plugins and collect their components (once)."""
        if self._loaded:
            return self
        self._loaded = True
        allowed = _allowed_plugins()
        entry_points = self._entry_points
        if entry_points is None:
            entry_points = importlib_metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(entry_points, key=lambda ep: ep.name):
            dist = getattr(ep, "dist", None)
            package = dist.metadata["Name"] if dist is not None else None
            builtin = package == BUILTIN_DISTRIBUTION
            if allowed is not None and not builtin and not ({ep.name, package} & allowed):
                continue
            info = PluginInfo(
                name=ep.name,
                package=package,
                version=dist.version if dist is not None else None,
                module=ep.value,
                builtin=builtin,
            )
            self._add(info, ep.load)
        self._collect()
        return self

    def add_plugin(self, plugin: ModuleType | object, name: str | None = None) -> PluginInfo:
        """Register a plugin object directly (notebooks, tests). Returns its report."""
        self.load()
        plugin_name = name or getattr(plugin, "__name__", type(plugin).__name__)
        info = PluginInfo(name=plugin_name, module=getattr(plugin, "__name__", None))
        self._add(info, lambda: plugin)
        self._collect(only=plugin_name)
        return info

    def _add(self, info: PluginInfo, load: Callable[[], object]) -> None:
        if info.name in self.plugins:
            info.name = f"{info.name}@{info.package}"
        self.plugins[info.name] = info
        try:
            module = load()
            self._pm.register(module, name=info.name)
        except (Exception, SystemExit) as exc:  # a broken plugin must not take neurokit down
            self._fail(info, "failed to load", exc)

    def _fail(self, info: PluginInfo, what: str, exc: BaseException) -> None:
        """Record a plugin failure; a plugin that fails twice keeps both reasons."""
        message = f"{what}: {type(exc).__name__}: {exc}"
        info.error = f"{info.error}; {message}" if info.error else message

    def _collect(self, only: str | None = None) -> None:
        """Call every plugin's register hooks, one plugin at a time."""
        for plugin_name, info in self.plugins.items():
            if info.error or (only is not None and plugin_name != only):
                continue
            plugin = self._pm.get_plugin(plugin_name)
            staged: list[Component] = []
            try:
                for kind in Kind:
                    hook = getattr(self._pm.hook, f"register_{kind.plural}")
                    for impl in hook.get_hookimpls():
                        if impl.plugin is plugin:
                            impl.function(register=self._registrar(kind, plugin_name, staged))
            except (Exception, SystemExit) as exc:
                self._fail(info, "failed to register", exc)
                continue
            for component in staged:
                self._components[component.kind].setdefault(component.name, []).append(component)
                info.components.append((component.kind, component.name))

    def _registrar(self, kind: Kind, plugin: str, staged: list[Component]) -> Callable[..., None]:
        def register(
            name: str,
            factory: Callable[[Any], Any] | Family,
            config: type[ComponentConfig] | None = None,
            description: str | None = None,
        ) -> None:
            if isinstance(factory, Family):  # a model family is declared, not built
                if kind != Kind.MODEL:
                    raise PluginError(f"{kind.value} {name!r}: a Family registers as a model")
                family = factory
                description = description or family.description
                factory = _family_factory(family)
            if not isinstance(name, str) or not NAME_PATTERN.match(name):
                raise PluginError(
                    f"{kind.value} name {name!r} is not lower-case letters, digits and dashes"
                )
            config = config or EmptyConfig
            if not (isinstance(config, type) and issubclass(config, ComponentConfig)):
                raise PluginError(f"{kind.value} {name!r}: config must subclass ComponentConfig")
            if any(c.kind == kind and c.name == name for c in staged):
                raise PluginError(f"{kind.value} {name!r} registered twice by {plugin!r}")
            text = description or first_line(getattr(factory, "__doc__", None))
            text = text or first_line(config.__doc__)
            staged.append(Component(name, kind, factory, config, text, plugin))

        return register

    # ----------------------------------------------------------------- lookups

    def components(
        self, kind: Kind | str | None = None, pattern: str | None = None
    ) -> list[Component]:
        """Registered components, sorted by kind and name; `pattern` is a glob on the name."""
        self.load()
        kinds = [self._kind(kind)] if kind else list(Kind)
        found = [
            component
            for k in kinds
            for _, registered in sorted(self._components[k].items())
            for component in registered
        ]
        if pattern:
            found = [c for c in found if fnmatch.fnmatch(c.name, pattern)]
        return found

    def get(self, kind: Kind | str, name: str) -> Component:
        """The component `name` of `kind`; `plugin:name` picks one of several."""
        self.load()
        kind = self._kind(kind)
        plugin, _, bare = name.rpartition(":")
        registered = self._components[kind].get(_normalise(bare), [])
        if plugin:
            registered = [c for c in registered if c.plugin == plugin]
        if not registered:
            raise UnknownComponentError(
                kind.value, name, self._components[kind], self.unknown_notes(kind, bare)
            )
        if len(registered) > 1:
            owners = " and ".join(repr(c.plugin) for c in registered)
            raise DuplicateComponentError(
                f"{kind.value} {bare!r} is registered by both {owners}; pick one as "
                f"'{registered[0].plugin}:{bare}' or limit plugins with {PLUGINS_ENV}"
            )
        return registered[0]

    def unknown_notes(self, kind: Kind | str, name: str) -> list[str]:
        """Why `name` may not be a `kind`: it is one of another kind (`labram-base is a
        backbone`), or a plugin that might have registered it failed to load."""
        self.load()
        kind = self._kind(kind)
        notes = []
        other = [k for k in Kind if k != kind and _normalise(name) in self._components[k]]
        for k in other:
            notes.append(f"{name!r} is a {k.value} (neurokit info {k.value} {_normalise(name)}).")
        failed = [info for info in self.plugins.values() if info.error]
        if failed:
            shown = "; ".join(f"{info.name}: {info.error}" for info in failed[:3])
            notes.append(
                f"{len(failed)} plugin(s) failed to load and may have registered it "
                f"({shown}); see `neurokit plugins`."
            )
        return notes

    def family(self, name: str) -> Family:
        """The model family `name` (a registered model)."""
        family = self.get(Kind.MODEL, name).create()
        if not isinstance(family, Family):
            raise PluginError(f"model {name!r} is not a Family (got {type(family).__name__})")
        return family

    def families(self) -> list[Family]:
        """Every registered model family that loads without a conflict."""
        found = []
        for name in sorted(self._components[Kind.MODEL]):
            try:
                found.append(self.family(name))
            except (DuplicateComponentError, PluginError):
                continue
        return found

    def family_of_backbone(self, backbone: str) -> Family | None:
        """The family that declares `backbone` as its default or a variant, if exactly one does."""
        owners = [f for f in self.families() if backbone in f.backbones]
        return owners[0] if len(owners) == 1 else None

    def conflicts(self) -> Iterator[tuple[Kind, str, list[str]]]:
        self.load()
        for kind, by_name in self._components.items():
            for name, registered in by_name.items():
                if len(registered) > 1:
                    yield kind, name, [c.plugin for c in registered]

    @staticmethod
    def _kind(kind: Kind | str) -> Kind:
        try:
            return Kind(kind)
        except ValueError:
            singular = str(kind).rstrip("s")
            if singular in Kind._value2member_map_:
                return Kind(singular)
            raise UnknownComponentError("kind", str(kind), [k.value for k in Kind]) from None


def _family_factory(family: Family) -> Callable[[Any], Family]:
    def declared(config: Any) -> Family:
        return family

    declared.__doc__ = family.description
    return declared


_registry: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, loaded on first use."""
    global _registry
    if _registry is None:
        _registry = Registry()
    return _registry.load()


def reset_registry(registry: Registry | None = None) -> None:
    """Forget the loaded plugins (tests, or after installing a plugin at run time)."""
    global _registry
    _registry = registry


def add_plugin_commands(registry: Registry, cli: Any) -> None:
    """Let each plugin add CLI commands; one that fails is reported, not fatal."""
    registry.load()
    for impl in registry._pm.hook.register_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except (Exception, SystemExit) as exc:
            info = registry.plugins.get(impl.plugin_name)
            if info is not None:
                registry._fail(info, "failed to add commands", exc)
