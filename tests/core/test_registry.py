"""The registry: lookups, suggestions, conflicts and plugin failure isolation."""

from __future__ import annotations

import importlib.metadata as md
import sys
import types

import pytest

import neurokit
from neurokit.core.errors import DuplicateComponentError, UnknownComponentError
from neurokit.core.interfaces import ComponentConfig, Kind
from neurokit.core.registry import Registry


def make_plugin(name: str, backbone: str = "twin-net", fail: str | None = None) -> types.ModuleType:
    """A plugin module object registering one backbone (or failing where asked)."""
    module = types.ModuleType(name)

    def register_backbones(register):
        if fail == "register":
            raise RuntimeError("boom in register")
        register(backbone, lambda config: ("built by", name, config), description=f"from {name}")

    register_backbones = neurokit.hookimpl(register_backbones)
    module.register_backbones = register_backbones
    return module


def test_builtin_components_are_found_through_entry_points():
    assert "tiny-cnn" in neurokit.list_components("backbone")
    assert "tiny" in neurokit.list_components("model")
    component = neurokit.get_component("backbone", "tiny-cnn")
    assert component.plugin == "tiny-cnn" and component.description


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UnknownComponentError, match="Did you mean 'tiny-cnn'"):
        neurokit.create("backbone", "tiny-cn")


def test_unknown_name_with_nothing_close_lists_what_exists():
    with pytest.raises(UnknownComponentError, match="Known backbones: .*tiny-cnn"):
        neurokit.create("backbone", "zzzzzz")


def test_names_are_normalised_like_timm():
    assert neurokit.get_component("backbone", "TINY_CNN").name == "tiny-cnn"


def test_list_with_pattern():
    assert neurokit.list_components("backbone", pattern="tiny-*") == ["tiny-cnn"]
    assert neurokit.list_components("backbone", pattern="nothing-*") == []


def test_create_passes_overrides_to_the_config():
    model = neurokit.create_model("tiny-cnn", num_classes=3, width=16)
    assert model.head.out_features == 3 and model.num_features == 32


def test_create_model_resolves_a_preset_to_its_backbone():
    model = neurokit.create_model("tiny", num_classes=2)
    assert type(model).__name__ == "TinyCNN"


def test_two_plugins_with_one_name_is_an_error_naming_both():
    registry = Registry(entry_points=[])
    registry.add_plugin(make_plugin("alpha"), name="alpha")
    registry.add_plugin(make_plugin("beta"), name="beta")
    with pytest.raises(DuplicateComponentError, match="'alpha' and 'beta'"):
        registry.get("backbone", "twin-net")
    assert registry.get("backbone", "beta:twin-net").create()[1] == "beta"
    assert list(registry.conflicts()) == [(Kind.BACKBONE, "twin-net", ["alpha", "beta"])]


def test_a_plugin_failing_to_register_is_reported_and_isolated():
    registry = Registry(entry_points=[])
    registry.add_plugin(make_plugin("good", backbone="good-net"), name="good")
    info = registry.add_plugin(make_plugin("bad", backbone="bad-net", fail="register"), name="bad")
    assert "boom in register" in info.error
    assert [c.name for c in registry.components("backbone")] == ["good-net"]


def test_a_plugin_failing_to_import_is_reported_and_isolated(tmp_path, monkeypatch):
    (tmp_path / "nk_broken_mod.py").write_text("raise ImportError('missing dependency xyz')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [
        md.EntryPoint(name="broken", value="nk_broken_mod", group="neurokit"),
        md.EntryPoint(name="tiny-cnn", value="neurokit.plugins.models.tinycnn", group="neurokit"),
    ]
    registry = Registry(entry_points=eps).load()
    assert "missing dependency xyz" in registry.plugins["broken"].error
    assert registry.get("backbone", "tiny-cnn").name == "tiny-cnn"
    sys.modules.pop("nk_broken_mod", None)


def test_bad_registrations_are_plugin_errors():
    class Config:  # not a ComponentConfig
        pass

    def bad_name(register):
        register("Bad Name", lambda c: None)

    def bad_config(register):
        register("ok-name", lambda c: None, config=Config)

    for fn, message in [(bad_name, "lower-case"), (bad_config, "ComponentConfig")]:
        module = types.ModuleType("m")
        module.register_backbones = neurokit.hookimpl(fn)
        info = Registry(entry_points=[]).add_plugin(module, name="m")
        assert message in info.error


def test_description_defaults_to_the_factory_docstring():
    class Cfg(ComponentConfig):
        pass

    def factory(config):
        """Builds a thing.

        More text that is not the description.
        """

    module = types.ModuleType("m")
    module.register_objectives = neurokit.hookimpl(
        lambda register: register("thing", factory, config=Cfg)
    )
    registry = Registry(entry_points=[])
    registry.add_plugin(module, name="m")
    assert registry.get("objective", "thing").description == "Builds a thing."


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(UnknownComponentError, match="unknown kind 'widget'"):
        Registry(entry_points=[]).get("widget", "x")


def test_a_plugin_calling_sys_exit_at_import_is_isolated(tmp_path, monkeypatch):
    (tmp_path / "nk_exit_mod.py").write_text("import sys\nsys.exit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [
        md.EntryPoint(name="exits", value="nk_exit_mod", group="neurokit"),
        md.EntryPoint(name="tiny-cnn", value="neurokit.plugins.models.tinycnn", group="neurokit"),
    ]
    registry = Registry(entry_points=eps).load()
    assert "SystemExit" in registry.plugins["exits"].error
    assert registry.get("backbone", "tiny-cnn").name == "tiny-cnn"
    sys.modules.pop("nk_exit_mod", None)


def test_a_plugin_failing_twice_keeps_both_errors_and_conflicts_are_reported():
    from neurokit.core import catalog
    from neurokit.core.registry import add_plugin_commands

    module = make_plugin("twice", fail="register")

    def register_commands(cli):
        raise ValueError("boom in commands")

    module.register_commands = neurokit.hookimpl(register_commands)
    registry = Registry(entry_points=[])
    info = registry.add_plugin(module, name="twice")
    add_plugin_commands(registry, cli=None)
    assert "boom in register" in info.error and "boom in commands" in info.error
    registry.add_plugin(make_plugin("alpha"), name="alpha")
    registry.add_plugin(make_plugin("beta"), name="beta")
    rows = {row["name"]: row for row in catalog.plugin_rows(registry)}
    assert rows["alpha"]["conflicts"] == ["backbone 'twin-net' (also beta)"]
    assert rows["twice"]["conflicts"] == []


def test_a_family_is_registered_as_a_model_and_found_by_its_backbones():
    from neurokit.core.family import Family, StageSpec

    family = Family(
        name="fam",
        description="a test family",
        backbone="twin-net",
        variants=("twin-net-large",),
        stages=(StageSpec("finetune", task="finetune"),),
    )
    module = make_plugin("fam")
    module.register_models = neurokit.hookimpl(lambda register: register("fam", family))
    registry = Registry(entry_points=[])
    registry.add_plugin(module, name="fam")
    assert registry.family("fam") is family
    assert registry.family_of_backbone("twin-net-large") is family
    assert registry.family_of_backbone("other") is None
    assert registry.get("model", "fam").description == "a test family"


def test_a_family_refuses_stages_that_consume_from_later_ones():
    from neurokit.core.family import Family, StageSpec

    with pytest.raises(ValueError, match="not an earlier stage"):
        Family(
            name="bad",
            backbone="x",
            stages=(
                StageSpec("finetune", task="finetune", consumes={"model.pretrained": "pretrain"}),
                StageSpec("pretrain", task="p"),
            ),
        )


def test_kinds_are_accepted_in_the_plural_as_the_cli_does():
    assert neurokit.list_components("models") == neurokit.list_components("model")
    assert "tiny-cnn" in neurokit.list_components("backbones")
