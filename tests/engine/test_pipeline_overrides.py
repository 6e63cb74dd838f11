"""`neurokit pipeline --set` with options only some stages have: a `task.*` key reaches the
stages whose task has it (one no stage has is refused, before any run directory), and
`STAGE:KEY=VALUE` reaches that stage alone."""

from __future__ import annotations

import pytest
import yaml

import neurokit
from neurokit.core.config import parse_overrides
from neurokit.core.errors import ConfigError

FAST = {
    "trainer.progress": False,
    "trainer.epochs": 1,
    "data.max_windows": 16,
    "dataset.name": "demo",
}


def _run(store, out, *sets: str):
    overrides = {**FAST, "output_dir": str(out), **parse_overrides(sets)}  # as the CLI parses
    return neurokit.pipeline(
        "luna", config={"data": {"store": str(store)}}, overrides=overrides, small=True
    )


def _saved(result) -> dict:
    return yaml.safe_load((result.run_dir / "config.yaml").read_text())


def test_a_stage_only_key_reaches_its_stage_and_a_qualified_key_only_that_stage(
    neurokit_demo_store, tmp_path
):
    # mask_ratio is an option of luna's pretrain task only; finetune's task would refuse it
    pre, fine = _run(
        neurokit_demo_store, tmp_path, "task.mask_ratio=0.3", "finetune:trainer.lr=0.01"
    )
    assert _saved(pre)["task"]["mask_ratio"] == 0.3
    assert "mask_ratio" not in _saved(fine)["task"]
    assert _saved(fine)["trainer"]["lr"] == 0.01
    assert _saved(pre)["trainer"]["lr"] != 0.01
    again = _run(neurokit_demo_store, tmp_path, "task.mask_ratio=0.3", "finetune:trainer.lr=0.01")
    assert all(r.skipped for r in again)  # the same split each time: same stage identities


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["task.mask_rato=0.3"], r"task.mask_rato: no stage .* Did you mean 'mask_ratio'"),
        (["pretrian:trainer.lr=0.1"], r"'pretrian' is not a stage of model 'luna'"),
        (["finetune:task.mask_ratio=0.3"], r"mask_ratio"),  # qualified: that stage validates it
    ],
)
def test_a_key_no_stage_takes_is_one_config_error_before_any_run(
    neurokit_demo_store, tmp_path, sets, message
):
    with pytest.raises(ConfigError, match=message):
        _run(neurokit_demo_store, tmp_path / "runs", *sets)
    assert not (tmp_path / "runs").exists()
