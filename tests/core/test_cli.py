"""The catalog commands, as a user runs them."""

from __future__ import annotations

import json

from tests.conftest import assert_clean_failure


def test_version(cli):
    result = cli("--version")
    assert result.returncode == 0 and "neurokit, version" in result.stdout


def test_list_json_parses_and_has_builtins(cli):
    result = cli("list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {"kind": "backbone", "name": "tiny-cnn"}.items() <= next(
        r for r in rows if r["name"] == "tiny-cnn"
    ).items()
    common = {"kind", "name", "description", "plugin", "builtin"}
    assert all(set(r) == common | ({"stages"} if r["kind"] == "task" else set()) for r in rows)


def test_list_one_kind_table(cli):
    result = cli("list", "models")
    assert result.returncode == 0 and "tiny" in result.stdout


def test_info_json_shows_config_fields(cli):
    result = cli("info", "backbone", "tiny-cnn", "--json")
    info = json.loads(result.stdout)
    width = next(f for f in info["config"] if f["name"] == "width")
    assert width == {
        "name": "width",
        "type": "int",
        "default": 32,
        "required": False,
        "description": width["description"],
    }
    assert width["description"]


def test_plugins_json(cli):
    rows = json.loads(cli("plugins", "--json").stdout)
    tiny = next(r for r in rows if r["name"] == "tiny-cnn")
    assert tiny["package"] == "neurokit" and tiny["builtin"] and tiny["error"] is None
    assert tiny["registered"] == {"backbone": ["tiny-cnn"], "model": ["tiny"]}


def test_unknown_component_is_one_clear_line(cli):
    assert_clean_failure(
        cli("info", "backbone", "tiny-cn"), "unknown backbone 'tiny-cn'", "Did you mean 'tiny-cnn'"
    )


def test_unknown_kind_is_a_usage_error(cli):
    result = cli("list", "widgets")
    assert result.returncode == 2 and "Traceback" not in result.stderr
