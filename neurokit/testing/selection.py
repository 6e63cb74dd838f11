"""Which plugins and components the contract suite checks.

`--neurokit-plugin` (or the `neurokit_contract_plugins` ini option) names plugins by
entry-point name, distribution name or module; `builtin` means neurokit's own plugins
and `all` every loaded plugin. A name that matches no loaded plugin but imports as a
module is registered on the spot, so a plugin can be checked before it is installed.
With no selection, the suite checks every third-party plugin that is installed, or
neurokit's own when there is none.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from neurokit.core.components import Component, Kind
from neurokit.core.registry import PluginInfo, Registry, _normalise, get_registry

# presets built only under `-m slow`: large variants and official-size MEG forecasters
HEAVY_SUFFIXES = ("-large", "-huge", "-xl")
HEAVY_BACKBONES = ("gpt2meg", "stgpt2meg")


class SelectionError(Exception):
    """A requested plugin that is neither loaded nor importable."""


def _matches(info: PluginInfo, wanted: str) -> bool:
    names = {info.name, info.package or "", info.module or ""}
    return _normalise(wanted) in {_normalise(n) for n in names if n}


def select_plugins(requested: Iterable[str], registry: Registry | None = None) -> list[PluginInfo]:
    """The plugins named by `requested` (see the module docstring)."""
    registry = registry or get_registry()
    wanted = [part.strip() for item in requested for part in item.split(",") if part.strip()]
    plugins = list(registry.plugins.values())
    if not wanted:
        third_party = [p for p in plugins if not p.builtin]
        return third_party or plugins
    chosen: dict[str, PluginInfo] = {}
    for name in wanted:
        if name == "all":
            found = plugins
        elif name == "builtin":
            found = [p for p in plugins if p.builtin]
        else:
            found = [p for p in plugins if _matches(p, name)] or [_import(registry, name)]
        chosen.update((p.name, p) for p in found)
    return list(chosen.values())


def _import(registry: Registry, name: str) -> PluginInfo:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        known = ", ".join(sorted(registry.plugins)) or "none"
        raise SelectionError(
            f"--neurokit-plugin {name!r}: no loaded plugin has this entry-point, distribution "
            f"or module name, and it does not import as a module ({exc}). Loaded plugins: "
            f"{known}. Install the plugin (pip install -e .) or pass its module name."
        ) from None
    return registry.add_plugin(module, name=name)


def components(
    plugins: Iterable[PluginInfo], kinds: Iterable[Kind] | None = None
) -> list[Component]:
    """The registered components of `plugins`, optionally of some kinds, in listing order."""
    registry = get_registry()
    names = {p.name for p in plugins}
    wanted = set(kinds) if kinds else None
    return [
        c
        for c in registry.components()
        if c.plugin in names and (wanted is None or c.kind in wanted)
    ]


def is_heavy(component: Component) -> bool:
    """Presets too large for a CPU test run (built only with `-m slow`)."""
    return component.name.endswith(HEAVY_SUFFIXES) or (
        component.kind is Kind.BACKBONE and component.name in HEAVY_BACKBONES
    )
