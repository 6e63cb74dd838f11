"""neurokit's contract suite, shipped as a pytest plugin for plugin authors.

Installed with neurokit (the `pytest11` entry point), it adds two options:

    pytest --neurokit-contract                       # check the installed third-party plugins
    pytest --neurokit-contract --neurokit-plugin my-plugin   # entry-point, package or module name

`--neurokit-contract` adds the suite (`neurokit/testing/contract.py`) to the run; the
components checked are chosen as `neurokit.testing.selection` says. Without the flag
the plugin only provides the helpers below, the `neurokit_sample_raw` fixture and the
`pytest_neurokit_sample_raw(component, root)` hook through which a plugin hands the
dataset checks a tiny raw corpus.
Helpers for a plugin's own tests: `make_batch`, `eeg_batch`, `batch_for`,
`STANDARD_CHANNELS` (import them from here; they load torch on first use).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CONTRACT_MODULE = Path(__file__).with_name("contract.py")
_HELPERS = {"make_batch", "eeg_batch", "batch_for", "STANDARD_CHANNELS"}
_SELECTED = pytest.StashKey[list]()
_EMPTY = pytest.StashKey[set]()  # contract checks with nothing to check in this run

__all__ = ["CONTRACT_MODULE", *sorted(_HELPERS)]


def __getattr__(name: str) -> Any:
    if name in _HELPERS:
        from neurokit.testing import batches

        return getattr(batches, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("neurokit", "neurokit plugin contract")
    group.addoption(
        "--neurokit-contract",
        action="store_true",
        default=False,
        help="run neurokit's contract suite against the selected plugins' components",
    )
    group.addoption(
        "--neurokit-plugin",
        action="append",
        default=[],
        metavar="NAME",
        help="plugin to check: entry-point, distribution or module name; 'builtin', 'all' "
        "(default: the installed third-party plugins, else neurokit's own)",
    )
    parser.addini(
        "neurokit_contract_plugins",
        type="args",
        default=[],
        help="default for --neurokit-plugin",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long-running tests (run with -m slow)")
    config.addinivalue_line(
        "markers", "neurokit_contract(*kinds): a contract check over the selected components"
    )
    if config.getoption("neurokit_contract"):
        config.args.append(str(CONTRACT_MODULE))
        selected_plugins(config)  # a bad --neurokit-plugin is a usage error before collection


def selected_plugins(config: pytest.Config) -> list:
    """The plugins this run checks (computed once per run)."""
    if _SELECTED not in config.stash:
        from neurokit.testing.selection import SelectionError, select_plugins

        requested = config.getoption("neurokit_plugin") or config.getini(
            "neurokit_contract_plugins"
        )
        try:
            config.stash[_SELECTED] = select_plugins(requested)
        except SelectionError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[_SELECTED]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise contract checks over the selected plugins or their components."""
    marker = metafunc.definition.get_closest_marker("neurokit_contract")
    if marker is None:
        return
    from neurokit.core.components import Kind
    from neurokit.testing import selection

    plugins = selected_plugins(metafunc.config)
    if "plugin" in metafunc.fixturenames:
        metafunc.parametrize(
            "plugin", [pytest.param(p, id=p.name) for p in plugins], scope="module"
        )
        return
    kinds = [Kind(k) for k in marker.args] or None
    params = [
        pytest.param(
            c,
            id=f"{c.kind.value}:{c.name}",
            marks=[pytest.mark.slow] if selection.is_heavy(c) else [],
        )
        for c in selection.components(plugins, kinds)
    ]
    if not params:
        metafunc.config.stash.setdefault(_EMPTY, set()).add(metafunc.function)
    metafunc.parametrize("component", params)


class SampleRawSpec:
    """Hook specifications the suite adds to pytest (implement them in your conftest.py)."""

    @pytest.hookspec(firstresult=True)
    def pytest_neurokit_sample_raw(self, component: Any, root: Path) -> Path | None:
        """Write a tiny raw corpus for dataset `component` under `root` and return the folder
        (None: no sample for this dataset). The contract suite discovers, loads and prepares
        it. The first implementation that returns a folder wins."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(SampleRawSpec)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out checks of kinds the selected plugins do not provide (no empty-set skips)."""
    functions = config.stash.get(_EMPTY, set())
    empty = [item for item in items if getattr(item, "function", None) in functions]
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [item for item in items if item not in empty]


@pytest.fixture
def neurokit_sample_raw(request: pytest.FixtureRequest) -> Callable[[Any, Path], Path | None]:
    """How the dataset checks get a small raw corpus: `(component, root) -> folder or None`.

    First the `pytest_neurokit_sample_raw` hook (your conftest.py), then the dataset's
    own `generate(root)` if it has one (like `demo`), else None (the checks skip).
    """
    hook = request.config.hook.pytest_neurokit_sample_raw

    def sample(component: Any, root: Path) -> Path | None:
        root.mkdir(parents=True, exist_ok=True)
        found = hook(component=component, root=root)
        if found is not None:
            return Path(found)
        generate = getattr(component.create(), "generate", None)
        if generate is None:
            return None
        generate(root)
        return root

    return sample


@pytest.fixture(scope="session")
def neurokit_demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo corpus (10 subjects, 40-60 s each) prepared once per test session."""
    from neurokit.core.data.prepare import prepare

    out = tmp_path_factory.mktemp("neurokit-demo") / "demo.zarr"
    overrides = ["subjects=10", "sessions=1", "min_seconds=40", "max_seconds=60"]
    prepare("demo", None, out, overrides=overrides)
    return out
