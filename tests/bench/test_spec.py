"""A bench spec expands into the grid it names, layered as documented; bad specs are refused
with one clear message before anything runs."""

from __future__ import annotations

import pytest

from neurokit.bench.spec import load_spec
from neurokit.core.config import nest
from neurokit.core.errors import ConfigError
from tests.conftest import assert_clean_failure, run_cli


def base(**extra):
    spec = {
        "name": "g",
        "output_dir": "/tmp/nowhere",
        "models": ["tiny", {"name": "t2", "model": "tiny", "overrides": {"trainer.lr": 0.5}}],
        "datasets": [{"name": "d", "store": "/data/d.zarr"}, "demo"],
        "protocols": ["finetune", "linear-probe"],
        "seeds": 3,
        "overrides": {"trainer.epochs": 4, "trainer.lr": 0.1},
        "cells": [{"match": {"model": "t2", "dataset": "demo"}, "overrides": {"trainer.lr": 0.9}}],
    }
    spec.update(extra)
    return spec


def test_the_grid_is_models_x_datasets_x_protocols_x_seeds_with_layered_overrides():
    spec = load_spec(base())
    cells = spec.cells()
    assert len(cells) == 2 * 2 * 2 * 3 and len({c.id for c in cells}) == len(cells)
    by_id = {c.id: nest(dict(c.run.overrides)) for c in cells}
    tiny = by_id["tiny--d--finetune--s2"]
    assert tiny["trainer"] == {"epochs": 4, "lr": 0.1} and tiny["seed"] == 2
    assert tiny["data"]["store"] == "/data/d.zarr" and "task" not in tiny
    assert by_id["t2--d--finetune--s0"]["trainer"]["lr"] == 0.5  # model beats shared
    assert by_id["t2--demo--finetune--s0"]["trainer"]["lr"] == 0.9  # matching cell beats model
    probe = by_id["tiny--demo--linear-probe--s0"]["task"]
    assert probe == {"freeze_backbone": True, "head": "backbone"}
    assert spec.directory.as_posix() == "/tmp/nowhere/g"
    assert {c.run.stage for c in cells} == {"finetune"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"protocols": ["zero-shot"]}, "unknown protocol 'zero-shot'"),
        ({"models": ["tiny", "tiny"]}, "models tiny appear twice"),
        ({"seeds": [0, "one"]}, "seeds must be integers"),
        ({"seeds": [1, 1]}, "repeat a seed"),
        ({"models": []}, "`models` is missing"),
        ({"epochs": 3}, "unknown key(s) epochs"),
        ({"models": [{"name": "tiny", "lr": 1}]}, "model 'tiny': unknown key(s) lr"),
        ({"cells": [{"match": {"size": 1}}]}, "cells.match: unknown key(s) size"),
        ({"overrides": [1, 2]}, "overrides must be a mapping"),
    ],
)
def test_a_bad_spec_is_one_clear_config_error(change, message):
    with pytest.raises(ConfigError) as info:
        load_spec(base(**change))
    assert message in str(info.value)


def test_a_bad_spec_from_the_cli_is_a_clean_failure(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("models: [tiny]\ndatasets: [demo]\nprotocols: [zero-shot]\n")
    assert_clean_failure(run_cli("bench", "run", str(path)), "unknown protocol 'zero-shot'")


@pytest.mark.parametrize("name", ["demo", "tuab", "tuev"])
def test_the_shipped_specs_expand(name):
    from pathlib import Path

    spec = load_spec(Path(__file__).resolve().parents[2] / "benchmarks" / f"{name}.yaml")
    cells = spec.cells()
    assert len(spec.seeds) >= 3 and len(cells) == len(spec.models) * len(spec.protocols) * len(
        spec.seeds
    ) * len(spec.datasets)
    if name != "demo":
        assert {m.pretrained is not None for m in spec.models} == {True}
