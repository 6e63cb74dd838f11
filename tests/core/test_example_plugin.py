"""A real third-party package, installed with pip, is found through its entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

EXAMPLE = REPO / "examples" / "neurokit-example-plugin"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The example plugin pip-installed (for real) into a private directory."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return target


def with_path(site: Path, **extra: str) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]), **extra}


def test_installed_plugin_is_listed_with_its_plugin_name(site):
    result = run_cli("list", "--json", env=with_path(site))
    rows = {(r["kind"], r["name"]): r for r in json.loads(result.stdout)}
    assert rows[("backbone", "example-shallow")]["plugin"] == "example"
    assert rows[("dataset", "example-npy")]["plugin"] == "example"
    plugins = {
        p["name"]: p for p in json.loads(run_cli("plugins", "--json", env=with_path(site)).stdout)
    }
    assert (
        plugins["example"]["package"] == "neurokit-example-plugin"
        and not plugins["example"]["builtin"]
    )


def test_installed_plugin_components_work(site):
    code = textwrap.dedent(
        """
        import torch, neurokit
        from neurokit.core.data.batch import Batch
        model = neurokit.create_model("example-shallow", num_classes=2)
        x = torch.randn(3, 4, 400)
        batch = Batch(signal=x, channel_mask=torch.ones(3, 4, dtype=torch.bool), positions=torch.zeros(3, 4, 3),
                      channel_names=[["C3", "C4", "O1", "O2"]] * 3, sfreq=200.0)
        print(tuple(model.forward_batch(batch).extras["logits"].shape))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **with_path(site)},
    )
    assert out.stdout.strip() == "(3, 2)", out.stderr


def test_neurokit_plugins_env_excludes_it(site):
    for value in ("", "some-other-plugin"):
        result = run_cli("list", "--json", env=with_path(site, NEUROKIT_PLUGINS=value))
        names = {r["name"] for r in json.loads(result.stdout)}
        assert "example-shallow" not in names and "tiny-cnn" in names
    included = run_cli("list", "--json", env=with_path(site, NEUROKIT_PLUGINS="example"))
    assert "example-shallow" in {r["name"] for r in json.loads(included.stdout)}


def test_broken_plugin_is_reported_and_the_rest_works(tmp_path):
    """A package whose plugin module raises on import: `plugins` shows it, `list` still works."""
    (tmp_path / "nk_broken_plugin.py").write_text("import a_module_that_does_not_exist\n")
    dist = tmp_path / "nk_broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: nk-broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[neurokit]\nbroken = nk_broken_plugin\n")
    env = with_path(tmp_path)
    plugins = {p["name"]: p for p in json.loads(run_cli("plugins", "--json", env=env).stdout)}
    assert "a_module_that_does_not_exist" in plugins["broken"]["error"]
    table = run_cli("plugins", env=env)
    assert table.returncode == 0 and "broken" in table.stdout
    listing = run_cli("list", "--json", env=env)
    assert listing.returncode == 0 and "tiny-cnn" in {r["name"] for r in json.loads(listing.stdout)}
