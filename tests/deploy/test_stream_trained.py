"""Streaming a real fine-tuned stage (tiny-cnn) through TrainedModel: equals offline windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from neurokit.core.data.dataset import window_starts
from neurokit.core.data.preprocess import Preprocessing
from neurokit.deploy.online import process_offline
from neurokit.deploy.stream import StreamPredictor, predict, stream
from neurokit.deploy.trained import TrainedModel
from tests.engine.synthetic import NAMES, SFREQ, build

PROFILE = Preprocessing(l_freq=0.5, h_freq=20.0, notch=None, sfreq=SFREQ)


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    module, context, _ = build(None)
    module.eval()
    return TrainedModel(
        stage=module,
        run_dir=Path("untrained"),
        config=context.config,
        channels=list(NAMES),
        sfreq=SFREQ,
        window_samples=128,
        stride_samples=64,
        classes=["a", "b"],
        profile=PROFILE,
        positions=np.zeros((len(NAMES), 3), np.float32),
    )


def _recording(rate: float, seconds: float = 12.0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(5)
    n = int(rate * seconds)
    t = np.arange(n) / rate
    data = rng.normal(scale=20e-6, size=(len(NAMES) + 1, n))
    data[:, n // 2 :] += 60e-6 * np.sin(2 * np.pi * 8.0 * t[n // 2 :])
    return data, [*reversed(NAMES), "ECG"]


@pytest.mark.parametrize("rate", [SFREQ, 128.0, 100.0])
def test_streamed_predictions_equal_the_offline_causal_pipeline(model, rate):
    """Tolerance 1e-5 on probabilities: the same float32 windows through the same stage,
    batched differently. Against a zero-phase store the windows differ (see online.py)."""
    data, names = _recording(rate)
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(np.arange(1, data.shape[1]), size=40, replace=False))
    chunks = np.split(data, cuts, axis=1)
    online = list(stream(model, chunks, names, rate, hop=0.5, scale=1e6))
    signal = process_offline(data, names, rate, model.channels, SFREQ, PROFILE, scale=1e6)
    starts = window_starts(signal.shape[1], 128, 32)
    offline = predict(model, np.stack([signal[:, s : s + 128] for s in starts]))
    assert len(online) == len(starts) > 15
    got = np.stack([p.probabilities for p in online])
    np.testing.assert_allclose(got, offline, atol=1e-5)
    assert np.ptp(got[:, 1]) > 1e-3  # the windows differ, so the comparison means something


def test_one_hop_runs_the_stage_once_on_one_window(model):
    data, names = _recording(SFREQ, seconds=3)
    predictor = StreamPredictor(model, names, SFREQ, hop=1.0, scale=1e6)
    assert predictor.push(data[:, :127]) == []
    (first,) = predictor.push(data[:, 127:128])
    assert (first.start, first.end) == (0.0, 2.0)
    assert predictor.push(data[:, 128:191]) == []
    (second,) = predictor.push(data[:, 191:192])
    assert (second.start, second.end) == (1.0, 3.0)
