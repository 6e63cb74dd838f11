"""Deployment through the family contract for duin, forecast and neurolm.

Each backbone's `forward_windows` must be its `forward_batch` on the same windows, its
exports must reproduce PyTorch, and a trained tiny run's `predict` must give what
evaluation gives on the same windows. NeuroLM's instruct runs answer in text: predict
and export refuse them with the reason, embed works.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import neurokit
from neurokit.core.errors import ConfigError, DataError
from neurokit.deploy import load_trained
from neurokit.deploy.export import ExportError, export
from neurokit.deploy.inputs import find_inputs
from neurokit.deploy.predict import predict
from tests.deploy.bare import bare_model
from tests.deploy.test_predict import _evaluation_probabilities
from tests.models.neurolm.tiny import ENC

DUIN = dict(n_blocks=1, n_heads=2, d_head=8, n_channels=19, n_subjects=1, seq_len=1000, n_labels=2)
NEUROLM = dict(
    n_layer=2, n_head=2, n_embd=48, block_size=64, vocab_size=100, padded_vocab_size=128,
    text_vocab_size=100, eeg_vocab_size=64, encoder_args=ENC,
)  # fmt: skip
FORECAST_CHANNELS = {"gpt2meg": "num_channels", "stgpt2meg": "num_channels",
                     "wavenet-fullchannel": "in_channels"}  # fmt: skip


def _forecast_options(backbone: str) -> dict:
    small = neurokit.get_family("forecast").stage("finetune").small_for(backbone)
    options = {k.removeprefix("model."): v for k, v in small.items() if k.startswith("model.")}
    return {**options, FORECAST_CHANNELS[backbone]: 19}


def _bare(backbone: str):
    if backbone == "duin-cls":
        return bare_model(backbone, 1.0, sfreq=1000.0, **DUIN)
    if backbone == "neurolm-b":
        return bare_model(backbone, 2.0, **NEUROLM)
    return bare_model(backbone, 1.0, **_forecast_options(backbone))


@pytest.mark.parametrize(
    "backbone", ["duin-cls", "gpt2meg", "stgpt2meg", "wavenet-fullchannel", "neurolm-b"]
)
def test_forward_windows_equals_forward_batch(backbone):
    model = _bare(backbone)
    x = 20 * torch.randn(3, len(model.channels), model.window_samples)
    with torch.no_grad():
        direct = model.backbone.forward_windows(
            x, model.channels, torch.as_tensor(model.positions), model.sfreq
        )
        batch = model.backbone.forward_batch(model.batch(x))
    torch.testing.assert_close(direct.extras["logits"], batch.extras["logits"])
    torch.testing.assert_close(direct.pooled, batch.pooled)
    # and it is what TrainedModel calls
    torch.testing.assert_close(model.forward(x).pooled, batch.pooled)


@pytest.mark.parametrize("backbone", ["duin-cls", "gpt2meg", "neurolm-b"])
def test_torchscript_round_trip_at_another_batch_size(backbone, tmp_path):
    model = _bare(backbone)
    result = export(model, "torchscript", tmp_path / "ts")
    assert max(result.checks.values()) < 1e-5
    traced = torch.jit.load(str(tmp_path / "ts" / "model.pt"))
    x = 20 * torch.randn(5, len(model.channels), model.window_samples)
    torch.testing.assert_close(traced(x), model.predict_windows(x), atol=1e-5, rtol=0)


@pytest.mark.slow  # the dynamo exporter: 20-60 s per model on a loaded 2-core machine
@pytest.mark.parametrize(
    "backbone", ["duin-cls", "gpt2meg", "stgpt2meg", "wavenet-fullchannel", "neurolm-b"]
)
def test_onnx_export_with_a_dynamic_batch(backbone, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    model = _bare(backbone)
    result = export(model, "onnx", tmp_path / "o")
    assert max(result.checks.values()) < 1e-4
    session = ort.InferenceSession(str(tmp_path / "o" / "model.onnx"))
    x = 20 * torch.randn(7, len(model.channels), model.window_samples)
    got = session.run(None, {"windows": x.numpy()})[0]
    torch.testing.assert_close(torch.from_numpy(got), model.predict_windows(x), atol=1e-4, rtol=0)


def test_the_model_card_says_a_forecaster_scales_each_window_on_its_own(tmp_path):
    model = _bare("gpt2meg")  # trained with per-recording scaling (the default)
    export(model, "torchscript", tmp_path / "ts")
    card = (tmp_path / "ts" / "README.md").read_text()
    assert "## Notes" in card and "scale each window by its own statistics" in card
    model.task_options["scaling"] = "window"  # scaled per window in training too: no note
    assert model.describe()["notes"] == []
    assert _bare("duin-cls").describe()["notes"] == []


def test_a_multi_subject_duin_model_is_refused_with_the_reason():
    model = bare_model("duin-cls", 1.0, sfreq=1000.0, **{**DUIN, "n_subjects": 2})
    with pytest.raises(DataError, match="2 subjects.*one subject"):
        model.predict_windows(torch.zeros(1, 19, 1000))


def test_an_instruct_neurolm_refuses_predict_and_export_but_embeds(tmp_path):
    model = _bare("neurolm-b")
    model.backbone.reset_classifier(0)  # an instruct run: the LM head answers in text
    x = 20 * torch.randn(2, 19, 400)
    with pytest.raises(ConfigError, match="answers questions in generated text"):
        model.predict_windows(x)
    for fmt in ("onnx", "torchscript"):
        with pytest.raises(ExportError, match=f"neurolm-b.*{fmt}.*generated text.*safetensors"):
            export(model, fmt, tmp_path / fmt)
    assert not (tmp_path / "onnx" / "model.onnx").exists()
    assert max(export(model, "safetensors", tmp_path / "st").checks.values()) == 0.0
    assert model.embed_windows(x).shape == (2, 48)


# ------------------------------------------------------------------ trained tiny runs


def _train(model: str, store: Path, out: Path, **extra) -> Path:
    spec = neurokit.get_family(model).stage("finetune")
    overrides = {
        **spec.small_for(model),
        "output_dir": str(out),
        "run_name": model,
        "data.store": str(store),
        "trainer.progress": False,
        "trainer.epochs": 1,
        **extra,
    }
    run = neurokit.train(neurokit.RunSpec(model=model, stage="finetune", overrides=overrides))
    return run.run_dir


def _check_predict_equals_evaluation(run: Path, store: Path, atol: float) -> None:
    from neurokit.core.data.store import open_store

    model = load_trained(run)
    result = predict(model, find_inputs(store, model))
    assert not result.skipped
    columns = [f"prob_{c}" for c in model.classes]
    tested = 0
    for meta in open_store(store).recordings.values():
        if meta.split != "test":
            continue
        starts, expected = _evaluation_probabilities(run, meta.id, store)
        rows = [i for i, r in enumerate(result.windows["recording"]) if r == meta.id]
        got_starts = np.array(result.windows["start_s"])[rows] * model.sfreq
        np.testing.assert_allclose(got_starts, starts)
        got = np.array([[result.windows[c][i] for c in columns] for i in rows])
        if expected.ndim == 1:  # binary: evaluation scores P(class 1)
            got = got[:, 1]
        np.testing.assert_allclose(got, expected, atol=atol)
        tested += len(rows)
    assert tested >= 2


@pytest.mark.slow  # prepare + one small epoch: about 35 s on a loaded 2-core machine
def test_a_duin_run_predicts_its_event_windows_as_it_evaluates(tmp_path):
    from neurokit.core.data.prepare import prepare
    from tests.datasets.duin_corpus import write_corpus

    raw = write_corpus(tmp_path / "raw", runs=(1, 2), per_word_per_run=3)
    prepare("duin", raw, tmp_path / "duin.zarr", workers=1)
    store = tmp_path / "duin.zarr"
    run = _train("duin", store, tmp_path / "runs", **{"dataset.name": "duin",
                                                      "data.subjects": ["001"]})  # fmt: skip
    _check_predict_equals_evaluation(run, store, atol=1e-5)
    result = export(load_trained(run), "torchscript", tmp_path / "ts", check_input=store)
    assert set(result.checks) == {"random", "real"} and max(result.checks.values()) < 1e-5


def test_a_forecast_run_predicts_with_its_recording_scaling_as_it_evaluates(tmp_path):
    from tests.models.forecast.test_forecast_family import write_meg_store

    store = write_meg_store(tmp_path / "meg.zarr", recordings=6, seconds=10.0, labelled=True)
    run = _train("gpt2meg", store, tmp_path / "runs", **{"dataset.name": "megsynth"})
    model = load_trained(run)
    assert model.task_options["scaling"] == "recording"
    _check_predict_equals_evaluation(run, store, atol=1e-5)  # per-window scaling: 4e-4 off
    x = 20 * torch.randn(2, 6, model.window_samples)
    before = model.predict_windows(x)
    model.begin_recording(np.asarray(100 * torch.randn(6, 1000)))
    assert not torch.allclose(model.predict_windows(x), before)  # the recording's statistics
    model.end_recording()  # and after it, per-window scaling again (streams, exports)
    torch.testing.assert_close(model.predict_windows(x), before)
    result = export(model, "torchscript", tmp_path / "ts", check_input=store)
    assert set(result.checks) == {"random", "real"} and max(result.checks.values()) < 1e-5


def test_a_tokenizer_stage_run_is_refused_with_the_reason():
    """A stage whose backbone gives no window features (NeuroLM's or Du-IN's tokenizer)."""
    from torch import nn

    model = _bare("duin-cls")
    model.stage.backbone = nn.Linear(2, 2)
    with pytest.raises(ConfigError, match="gives no window features.*later stage"):
        model.embed_windows(torch.zeros(1, 19, 1000))
