"""`neurokit export` and the family contract: dynamic batch, checked against PyTorch, a card."""

from __future__ import annotations

import json

import pytest
import torch

from neurokit.deploy import load_trained
from neurokit.deploy.export import ExportError, export
from tests.deploy.bare import bare_model
from tests.engine.test_cli import invoke


@pytest.mark.parametrize(
    ("backbone", "options", "seconds"),
    [("labram-base", {"depth": 1}, 2.0), ("luna-base", {"depth": 1}, 2.0)],
)
def test_forward_windows_equals_forward_batch(backbone, options, seconds):
    """The deployment entry (one channel set, no per-sample Python) is the batch path."""
    model = bare_model(backbone, seconds, **options)
    x = 20 * torch.randn(3, len(model.channels), model.window_samples)
    with torch.no_grad():
        direct = model.forward(x)
        batch = model.backbone.forward_batch(model.batch(x))
    torch.testing.assert_close(direct.extras["logits"], batch.extras["logits"])
    torch.testing.assert_close(direct.pooled, batch.pooled)


def test_torchscript_and_safetensors_round_trip_with_a_card(tiny_run, demo, tmp_path):
    model = load_trained(tiny_run)
    result = export(model, "torchscript", tmp_path / "ts", check_input=demo["store"])
    assert set(result.checks) == {"random", "real"}  # real windows from the store
    assert max(result.checks.values()) < 1e-5
    traced = torch.jit.load(str(tmp_path / "ts" / "model.pt"))
    x = 20 * torch.randn(5, 21, 400)  # another batch size than the trace
    torch.testing.assert_close(traced(x), model.predict_windows(x), atol=1e-5, rtol=0)
    card = json.loads((tmp_path / "ts" / "card.json").read_text())
    assert card["channels"] == model.channels and card["sfreq"] == 200.0
    assert card["window_samples"] == 400 and card["classes"] == ["normal", "abnormal"]
    assert card["preprocessing"]["notch"] == 50.0 and card["neurokit_version"]
    assert "FP1" in (tmp_path / "ts" / "README.md").read_text()

    from safetensors.torch import load_file

    export(model, "safetensors", tmp_path / "st")
    weights = load_file(str(tmp_path / "st" / "model.safetensors"))
    for key, value in model.backbone.state_dict().items():
        torch.testing.assert_close(weights[key], value)


@pytest.mark.slow
def test_onnx_export_matches_pytorch_with_dynamic_batch(tiny_run, demo, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    result = invoke(
        "export", str(tiny_run), "--format", "onnx", "--out", str(tmp_path / "o"), "--json"
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["max_abs_diff"]) == {"random", "real"}
    assert max(report["max_abs_diff"].values()) < 1e-4
    session = ort.InferenceSession(str(tmp_path / "o" / "model.onnx"))
    model = load_trained(tiny_run)
    for n in (1, 7):
        x = 20 * torch.randn(n, 21, 400)
        got = session.run(None, {"windows": x.numpy()})[0]
        torch.testing.assert_close(
            torch.from_numpy(got), model.predict_windows(x), atol=1e-4, rtol=0
        )


@pytest.mark.slow
def test_labram_exports_to_onnx(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    model = bare_model("labram-base", 2.0, depth=1)
    result = export(model, "onnx", tmp_path / "o")
    assert max(result.checks.values()) < 1e-4


def test_luna_says_why_it_cannot_export_to_onnx(tmp_path):
    model = bare_model("luna-base", 2.0, depth=1)
    with pytest.raises(ExportError, match="luna-base.*onnx.*complex FFT"):
        export(model, "onnx", tmp_path / "o")
    result = export(model, "torchscript", tmp_path / "ts")  # what it suggests works
    assert max(result.checks.values()) < 1e-4
