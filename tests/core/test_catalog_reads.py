"""A catalog that reads well: one line per component, hints across kinds, stage names,
and unknown names that mention plugins which failed to load."""

from __future__ import annotations

import pytest

from neurokit.console import component_lines
from neurokit.core import catalog
from neurokit.core.errors import UnknownComponentError
from neurokit.core.registry import Registry, get_registry
from tests.core.test_registry import make_plugin
from tests.engine.test_cli import failure, invoke


def test_list_fits_80_columns_with_one_line_per_component():
    rows = catalog.list_rows(get_registry())
    lines = component_lines(rows, by_kind=True, width=80)
    assert all(len(line) <= 80 for line in lines)
    entries = [line for line in lines if line.startswith("  ")]
    assert len(entries) == len(rows)
    assert any(line.endswith("\u2026") for line in entries)  # long descriptions are cut


def test_list_piped_keeps_whole_lines():
    result = invoke("list", "datasets")
    assert result.exit_code == 0
    demo = next(line for line in result.stdout.splitlines() if line.strip().startswith("demo "))
    description = next(
        r for r in catalog.list_rows(get_registry(), "dataset") if r["name"] == "demo"
    )
    assert demo.rstrip().endswith(description["description"])
    assert len(result.stdout.strip().splitlines()) == len(
        catalog.list_rows(get_registry(), "dataset")
    )


def test_list_tasks_names_the_stages_that_run_them():
    result = invoke("list", "tasks")
    line = next(
        line for line in result.stdout.splitlines() if line.strip().startswith("labram-mem")
    )
    assert "[stages: pretrain (labram)]" in line
    finetune = next(r for r in catalog.list_rows(get_registry(), "task") if r["name"] == "finetune")
    assert any(s.startswith("finetune (") and "labram" in s for s in finetune["stages"])


def test_a_name_of_another_kind_is_named_as_such():
    message = failure("info", "model", "labram-base")
    assert "'labram-base' is a backbone (neurokit info backbone labram-base)" in message
    message = failure("train", "--model", "labram-vqnsp", "--dataset", "demo", "--print-config")
    assert "'labram-vqnsp' is a tokenizer" in message


def test_unknown_names_mention_plugins_that_failed_to_load():
    registry = Registry(entry_points=[])
    registry.add_plugin(make_plugin("good", backbone="good-net"), name="good")
    registry.add_plugin(make_plugin("bad", backbone="bad-net", fail="register"), name="bad")
    with pytest.raises(UnknownComponentError) as caught:
        registry.get("backbone", "bad-net")
    message = str(caught.value)
    assert "1 plugin(s) failed to load" in message and "bad: " in message
    assert "boom in register" in message and "neurokit plugins" in message


def test_info_model_says_which_store_its_stages_expect():
    result = invoke("info", "model", "luna")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "store profile: luna (montage=tcp" in text
    assert "neurokit prepare DATASET --profile luna" in text
    assert "stage 2: finetune (default)" in text and "trainer.layer_decay" in text
