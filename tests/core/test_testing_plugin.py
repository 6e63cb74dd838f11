"""The shipped contract suite (`neurokit.testing`) as a plugin author runs it.

The example plugin is pip-installed offline into a private directory (as in
test_example_plugin.py) and its own CI command, `pytest --neurokit-contract`, runs in a
fresh interpreter; a deliberately broken plugin must fail with messages that say what
to fix; a plugin's own error reaches the CLI user as one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import assert_clean_failure, run_cli
from tests.core.test_example_plugin import EXAMPLE, site, with_path  # noqa: F401 (fixture)


def run_pytest(*args: str, cwd: Path, path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **with_path(path), "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "neurokit.testing",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def test_contract_suite_collects_the_plugins_own_checks(site):  # noqa: F811
    """`pytest --neurokit-contract` finds the example's components, sample data and tests."""
    listed = run_pytest("--neurokit-contract", "--collect-only", cwd=EXAMPLE, path=site)
    ids = listed.stdout
    for check in (
        "test_plugin_loads_and_registers_something[example]",
        "test_backbone_ignores_padding[backbone:example-shallow]",
        "test_dataset_prepares_a_store[dataset:example-npy]",
        "test_family_declares_registered_components_and_valid_recipes[model:example]",
        "test_task_implements_the_protocol[task:example-probe]",
        "tests/test_example.py::test_backbone_learns_alpha_power",
    ):
        assert check in ids, ids[-3000:]
    assert "tiny-cnn" not in ids and "labram" not in ids


@pytest.mark.slow  # about 3 minutes: the example's own tests train, and a store is prepared
def test_example_plugin_passes_its_contract_run(site):  # noqa: F811
    """Everything but the family chain (a demo store and two small runs: see the next test)."""
    result = run_pytest("--neurokit-contract", "-rs", "-k", "not chain", cwd=EXAMPLE, path=site)
    out = result.stdout
    assert result.returncode == 0, out[-3000:]
    # the suite ran over the example's own components, sample data included, and nothing else
    assert "test_backbone_ignores_padding[backbone:example-shallow]" not in out  # -q: no names
    assert "skipped" not in out.splitlines()[-1], out[-2000:]


@pytest.mark.slow
def test_example_family_stages_chain(site):  # noqa: F811
    result = run_pytest("--neurokit-contract", "-k", "chain", cwd=EXAMPLE, path=site)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 passed" in result.stdout.splitlines()[-1], result.stdout[-2000:]


BROKEN = '''
import torch
from torch import nn
from neurokit import hookimpl
from neurokit.core.interfaces import BackboneOutput


class MeanNet(nn.Module):
    """Averages every channel, padding included: the mistake the contract exists for."""

    def __init__(self, config):
        super().__init__()
        self.num_features = 4
        self.body = nn.Linear(1, 4)
        self.reset_classifier(0)

    def reset_classifier(self, num_classes):
        self.head = nn.Linear(4, num_classes) if num_classes else None

    def forward_batch(self, batch):
        pooled = self.body(batch.signal.std(-1).mean(1, keepdim=True))
        return BackboneOutput(pooled, extras={"logits": self.head(pooled)} if self.head else {})


def build_mean_net(config):
    return MeanNet(config)


@hookimpl
def register_backbones(register):
    register("mean-net", build_mean_net)
'''


def test_a_broken_plugin_fails_with_what_to_fix(tmp_path):
    (tmp_path / "nk_mean_plugin.py").write_text(textwrap.dedent(BROKEN))
    result = run_pytest(
        "--neurokit-contract", "--neurokit-plugin", "nk_mean_plugin", "-k", "backbone",
        cwd=tmp_path, path=tmp_path,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    assert "FAILED" in out and "test_backbone_ignores_padding[backbone:mean-net]" in out
    assert "mask them out" in out  # the padding message names the fix
    assert "test_backbone_runs_a_padded_batch[backbone:mean-net] PASSED" not in out


def test_an_unknown_plugin_name_is_a_usage_error(tmp_path):
    result = run_pytest(
        "--neurokit-contract", "--neurokit-plugin", "no-such-plugin", cwd=tmp_path, path=tmp_path
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert "no-such-plugin" in result.stderr and "Loaded plugins:" in result.stderr


RAISING = '''
from neurokit import PluginError, hookimpl


class Corpus:
    class_names = ["a", "b"]

    def discover(self, raw):
        raise PluginError("fancy: reading this corpus needs `fancy-reader` (pip install fancy-reader)")

    def load(self, source):
        raise AssertionError("never reached")


def build_fancy(config):
    """A corpus whose reader is an optional dependency."""
    return Corpus()


@hookimpl
def register_datasets(register):
    register("fancy", build_fancy)
'''


def test_a_plugin_error_is_a_one_line_user_error(tmp_path):
    (tmp_path / "nk_raising_plugin.py").write_text(textwrap.dedent(RAISING))
    dist = tmp_path / "nk_raising_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: nk-raising-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[neurokit]\nraising = nk_raising_plugin\n")
    result = run_cli(
        "prepare", "fancy", "--raw", str(tmp_path), env=with_path(tmp_path), cwd=tmp_path
    )
    assert_clean_failure(result, "fancy: reading this corpus needs `fancy-reader`")
    assert "internal error" not in result.stderr
