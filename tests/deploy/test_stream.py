"""The streaming API over an iterator of chunks: hops, labels, equality with offline windows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurokit.core.data.channels import STANDARD_1020
from neurokit.core.data.dataset import window_starts
from neurokit.core.data.preprocess import Preprocessing
from neurokit.core.errors import ConfigError, DataError
from neurokit.deploy.online import process_offline
from neurokit.deploy.stream import StreamPredictor, predict, stream

PROFILE = Preprocessing(l_freq=0.5, h_freq=45.0, notch=50.0, sfreq=200.0)


class PowerModel:
    """A model with the TrainedModel interface: 'alpha' when the window's power is high."""

    def __init__(self, channels=STANDARD_1020, profile=PROFILE):
        self.channels = list(channels)
        self.sfreq = 200.0
        self.window_samples = 400
        self.profile = profile
        self.classes = ["rest", "alpha"]
        self.calls: list[int] = []

    def predict_windows(self, x: torch.Tensor) -> torch.Tensor:
        assert x.dtype == torch.float32 and x.shape[1:] == (len(self.channels), 400)
        self.calls.append(x.shape[0])
        power = x.pow(2).mean(dim=(1, 2)).log()
        logits = torch.stack([torch.zeros_like(power), 2.0 * (power - np.log(400.0))], dim=-1)
        return torch.softmax(logits, dim=-1)


def recording(seconds=12, rate=250.0, seed=0):
    """Volts, 19 channels + an extra: 10 uV noise, then a 60 uV 10 Hz rhythm from the middle."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    data = rng.normal(scale=10e-6, size=(len(STANDARD_1020) + 1, n))
    data[:, n // 2 :] += 60e-6 * np.sin(2 * np.pi * 10 * t[n // 2 :])
    names = [n.capitalize() for n in STANDARD_1020] + ["EOG"]
    return data, names, rate


def chunks_of(data, seed=0):
    rng = np.random.default_rng(seed)
    i = 0
    while i < data.shape[1]:
        n = int(rng.integers(1, 300))
        yield data[:, i : i + n]
        i += n


def test_stream_yields_a_prediction_per_hop_that_follows_the_signal():
    data, names, rate = recording()
    model = PowerModel()
    out = list(stream(model, chunks_of(data), names, rate, hop=0.5, scale=1e6))
    n_model = int(data.shape[1] * 200 / rate)
    assert len(out) == len(window_starts(n_model, 400, 100)) == (n_model - 400) // 100 + 1
    assert [p.index for p in out] == list(range(len(out)))
    np.testing.assert_allclose(np.diff([p.end for p in out]), 0.5)
    assert out[0].start == 0.0 and out[0].end == 2.0
    for p in out:
        assert p.probabilities.shape == (2,) and p.probabilities.sum() == pytest.approx(1.0)
        assert p.label == model.classes[int(np.argmax(p.probabilities))]
    # windows wholly in the quiet half are rest; wholly in the rhythmic half, alpha
    assert {p.label for p in out if p.end <= 5.5} == {"rest"}
    assert {p.label for p in out if p.start >= 6.5} == {"alpha"}


def test_stream_equals_the_same_causal_pipeline_run_offline_on_the_same_windows():
    """Tolerance 1e-5: the same float32 windows, batched differently (1e-7 in practice)."""
    data, names, rate = recording(seconds=10, seed=4)
    model = PowerModel()
    online = list(stream(model, chunks_of(data, seed=9), names, rate, hop=1.0, scale=1e6))
    signal = process_offline(data, names, rate, model.channels, 200.0, PROFILE, scale=1e6)
    starts = window_starts(signal.shape[1], 400, 200)
    offline = predict(model, np.stack([signal[:, s : s + 400] for s in starts]))
    assert len(online) == len(starts) == 9
    np.testing.assert_allclose(np.stack([p.probabilities for p in online]), offline, atol=1e-5)
    assert [p.start for p in online] == pytest.approx(starts / 200.0)


def test_several_hops_in_one_chunk_run_as_one_batch_and_the_buffer_stays_bounded():
    data, names, rate = recording(seconds=10)
    model = PowerModel()
    predictor = StreamPredictor(model, names, rate, hop=0.25, scale=1e6)
    first = predictor.push(data[:, : int(5 * rate)])
    assert len(first) == 13 and model.calls == [13]  # windows ending 2.0, 2.25, ... 5.0 s
    for chunk in chunks_of(data[:, int(5 * rate) :]):
        predictor.push(chunk)
        assert predictor._buffer.shape[1] < model.window_samples + 300
    assert predictor.dropped_channels == ["EOG"]


def test_timestamps_pass_through_from_timestamped_chunks():
    data, names, rate = recording(seconds=4)
    items = [(data[:, i : i + 125], 100.0 + (i + 125) / rate) for i in range(0, data.shape[1], 125)]
    out = list(stream(PowerModel(), items, names, rate, hop=1.0, scale=1e6))
    assert [p.timestamp for p in out] == pytest.approx([102.0, 103.0, 104.0])


def test_a_stream_without_the_model_channels_is_a_clear_error():
    data, names, rate = recording(seconds=3)
    keep = [i for i, n in enumerate(names) if n not in {"Cz", "O2"}]
    with pytest.raises(DataError, match="lacks channels the model needs: CZ, O2"):
        list(stream(PowerModel(), [data[keep]], [names[i] for i in keep], rate))


def test_a_bad_hop_is_a_config_error():
    data, names, rate = recording(seconds=3)
    with pytest.raises(ConfigError, match="hop must be positive"):
        StreamPredictor(PowerModel(), names, rate, hop=0)


def test_a_tcp_model_gets_bipolar_pairs_derived_from_referential_channels():
    data, names, rate = recording(seconds=4)
    model = PowerModel(channels=["FP1-F7", "F7-T3", "C3-CZ"])
    out = list(stream(model, [data], names, rate, hop=1.0, scale=1e6))
    assert len(out) == 3
