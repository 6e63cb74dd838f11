"""Config merging, typed overrides and error messages."""

from __future__ import annotations

import pytest

from neurokit.core.config import (
    RunConfig,
    component_config,
    deep_merge,
    load_config_file,
    nest,
    parse_overrides,
    validate,
)
from neurokit.core.errors import ConfigError
from neurokit.core.registry import get_registry


def test_overrides_are_typed_and_nested():
    assert parse_overrides(
        ["trainer.lr=1e-4", "data.batch_size=8", "trainer.ema=true", "x.y.z=[1, 2]", "m=null"]
    ) == {
        "trainer": {"lr": 1e-4, "ema": True},
        "data": {"batch_size": 8},
        "x": {"y": {"z": [1, 2]}},
        "m": None,
    }


def test_zero_padded_ids_stay_text():
    assert parse_overrides(["data.subjects=[001, 012]", "s=007", "lr=1e-4", "x=[0, 1]"]) == {
        "data": {"subjects": ["001", "012"]},
        "s": "007",
        "lr": 1e-4,
        "x": [0, 1],
    }


@pytest.mark.parametrize("bad", ["noequals", "=3", "a..b=1", ".a=1"])
def test_malformed_override_is_a_clear_error(bad):
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_overrides([bad])


def test_dotted_and_nested_keys_nest_alike():
    assert nest({"trainer.lr": 0.1, "data": {"batch_size": 4}, "data.num_workers": 2}) == {
        "trainer": {"lr": 0.1},
        "data": {"batch_size": 4, "num_workers": 2},
    }


def test_bad_value_names_key_value_and_expectation():
    with pytest.raises(ConfigError) as info:
        validate(RunConfig, parse_overrides(["data.batch_size=lots"]))
    assert "data.batch_size: got 'lots'" in str(info.value) and "integer" in str(info.value)


def test_unknown_top_level_key_is_named():
    with pytest.raises(ConfigError, match="nonsense: unknown option"):
        validate(RunConfig, parse_overrides(["nonsense=1"]))


def test_a_config_file_that_is_not_utf8_is_a_config_error(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_bytes("model: tiny\nseed: 1 # caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config_file(path)


def test_component_options_are_checked_against_the_component():
    component = get_registry().get("backbone", "tiny-cnn")
    assert component_config(component, {"width": 8}, "model").width == 8
    with pytest.raises(
        ConfigError,
        match=r"model\.widht: unknown option \(backbone 'tiny-cnn' takes: num_classes, width",
    ):
        component_config(component, {"widht": 8}, "model")
    with pytest.raises(ConfigError, match="model.depth: got 0"):
        component_config(component, {"depth": 0}, "model")


@pytest.mark.parametrize(
    "name,text,message",
    [
        ("bad.yaml", "model: [unclosed", "is not valid yaml"),
        ("bad.toml", "x = = 1", "is not valid toml"),
        ("list.yaml", "- 1\n- 2\n", "must hold a mapping"),
        ("run.ini", "[x]", "unknown format"),
    ],
)
def test_bad_config_files(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config_file(path)


def test_missing_config_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load_config_file("/nonexistent/run.yaml")


def test_deep_merge_keeps_section_options_when_a_name_is_given():
    assert deep_merge({"model": {"name": "a", "x": 1}}, {"model": "b"}) == {
        "model": {"name": "b", "x": 1}
    }


def test_digits_inside_a_path_are_left_alone():
    path = "/tmp/runs/20261202-000920-luna-pretrain-demo/checkpoints/best.pt"
    assert parse_overrides([f"model.pretrained={path}", "name=run-007"]) == {
        "model": {"pretrained": path},
        "name": "run-007",
    }
