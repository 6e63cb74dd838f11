"""`neurokit embed`: per-window features with their window index, in Zarr."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import zarr

from neurokit.deploy import load_trained
from neurokit.deploy.embed import embed
from neurokit.deploy.inputs import find_inputs
from tests.deploy.bare import bare_model
from tests.engine.test_cli import failure, invoke


def test_embed_writes_pooled_features_and_the_window_index(tiny_run, demo, tmp_path):
    out = tmp_path / "x.zarr"
    result = invoke(
        "embed", str(tiny_run), "--input", str(demo["store"]), "--out", str(out), "--json"
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    group = zarr.open_group(str(out), mode="r")
    pooled = group["pooled"][:]
    assert pooled.shape == tuple(report["pooled_shape"]) and pooled.shape[0] == report["windows"]
    recordings = group.attrs["recordings"]
    assert len(recordings) == 4
    index, start, end = group["recording"][:], group["start"][:], group["end"][:]
    np.testing.assert_allclose(end - start, 2.0)
    first = index == 0  # the features are the model's for those windows
    model = load_trained(tiny_run)
    from neurokit.core.data.store import open_store

    data = open_store(demo["store"]).read(recordings[0])
    x = torch.stack(
        [torch.from_numpy(data[:, int(s * 200) : int(s * 200) + 400]) for s in start[first]]
    )
    np.testing.assert_allclose(pooled[first], model.embed_windows(x).numpy(), atol=1e-5)
    again = failure("embed", str(tiny_run), "--input", str(demo["store"]), "--out", str(out))
    assert "--overwrite" in again


def test_per_token_features(demo, tmp_path):
    model = bare_model("labram-base", 2.0, depth=1)
    summary = embed(
        model, find_inputs(demo["store"], model)[:1], tmp_path / "t.zarr", per_token=True
    )
    tokens = zarr.open_group(str(tmp_path / "t.zarr"), mode="r")["tokens"]
    assert tokens.shape == (summary.windows, 19 * 2, summary.pooled_shape[1])  # channels x patches


def test_per_token_on_a_pooled_only_model_is_a_clear_error(tiny_run, demo, tmp_path):
    message = failure("embed", str(tiny_run), "--input", str(demo["store"]), "--out",
                      str(tmp_path / "t.zarr"), "--per-token")  # fmt: skip
    assert "per-token" in message
    assert not (tmp_path / "t.zarr").exists()


@pytest.mark.parametrize("bad", ["missing"])
def test_embed_of_an_unusable_input_fails_clearly(tiny_run, tmp_path, bad):
    message = failure("embed", str(tiny_run), "--input", str(tmp_path / "nope.edf"), "--out",
                      str(tmp_path / "e.zarr"))  # fmt: skip
    assert "does not exist" in message
