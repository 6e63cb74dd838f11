"""Causal online preprocessing: chunking never changes the result, filters do what the profile says."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from neurokit.core.errors import DataError
from neurokit.deploy.online import (
    CausalFilter,
    CausalResampler,
    ChannelMap,
    OnlinePipeline,
    process_offline,
    unit_scale,
)


def _in_chunks(fn, data, seed=0):
    rng = np.random.default_rng(seed)
    parts, i = [], 0
    while i < data.shape[1]:
        n = int(rng.integers(1, 97))
        parts.append(fn(data[:, i : i + n]))
        i += n
    return np.concatenate(parts, axis=1)


@pytest.mark.parametrize(("rate_in", "rate_out"), [(256, 200), (1000, 200), (200, 256)])
def test_resampler_is_chunk_invariant_and_delays_a_sine_by_its_stated_delay(rate_in, rate_out):
    t = np.arange(rate_in * 6) / rate_in
    x = np.stack([np.sin(2 * np.pi * 5 * t), np.cos(2 * np.pi * 17 * t)])
    whole = CausalResampler(rate_in, rate_out)(x)
    chunked = _in_chunks(CausalResampler(rate_in, rate_out), x)
    np.testing.assert_allclose(chunked, whole, atol=1e-12)
    assert whole.shape[1] == pytest.approx(x.shape[1] * rate_out / rate_in, abs=1)
    delay = CausalResampler(rate_in, rate_out).delay
    assert delay == pytest.approx(10 / min(rate_in, rate_out))
    to = np.arange(whole.shape[1]) / rate_out - delay
    expected = np.stack([np.sin(2 * np.pi * 5 * to), np.cos(2 * np.pi * 17 * to)])
    settled = to > 0.1
    assert np.abs(whole - expected)[:, settled].max() < 5e-3


def test_resampler_refuses_rates_it_cannot_relate():
    with pytest.raises(DataError, match="cannot resample"):
        CausalResampler(200.0, 200.03)


def test_causal_filter_keeps_the_band_and_removes_the_notch_and_out_of_band():
    fs = 200.0
    t = np.arange(int(fs * 20)) / fs
    gain = {}
    for freq in (0.02, 10.0, 50.0, 90.0):
        x = np.sin(2 * np.pi * freq * t)[None]
        y = _in_chunks(CausalFilter(fs, 0.1, 75.0, 50.0), x)
        gain[freq] = np.abs(y[0, -int(fs * 5) :]).max()
    assert 0.95 < gain[10.0] < 1.05
    assert gain[50.0] < 0.02  # notch
    assert gain[90.0] < 0.5  # above the 75 Hz low-pass (4th order: ~0.36 at 90 Hz)
    assert gain[0.02] < 0.01  # below the 0.1 Hz high-pass


def test_causal_filter_does_not_ring_on_a_dc_offset():
    fs = 200.0
    x = np.full((2, 400), 5000.0) + np.random.default_rng(0).normal(size=(2, 400))
    y = CausalFilter(fs, 0.1, 75.0, None)(x)
    assert np.abs(y).max() < 10  # a 5 mV offset started from zero state would ring at ~5000


def test_causal_filter_refuses_a_rate_too_low_for_the_low_pass():
    with pytest.raises(DataError, match="too low for the model's 75 Hz low-pass"):
        CausalFilter(128.0, 0.1, 75.0, None)


def test_channel_map_orders_drops_extras_and_derives_bipolar_pairs():
    stream = ["EEG Fp1-REF", "Cz", "EOG", "F7", "T3"]
    mapping = ChannelMap(stream, ["CZ", "FP1", "FP1-F7", "F7-T3"])
    x = np.arange(5, dtype=float)[:, None] * np.ones((1, 3))
    np.testing.assert_array_equal(mapping(x)[:, 0], [1, 0, 0 - 3, 3 - 4])
    assert mapping.dropped == ["EOG"]


def test_channel_map_names_every_missing_channel():
    with pytest.raises(DataError) as err:
        ChannelMap(["FP1", "FP2"], ["FP1", "CZ", "O1-O2"])
    message = str(err.value)
    assert "lacks channels the model needs: CZ, O1-O2" in message
    assert "stream has FP1, FP2" in message


@pytest.mark.parametrize(
    ("units", "scale"),
    [
        (["microvolts"] * 2, 1.0),
        (["V", "V"], 1e6),
        (["0", "0"], 1e6),
        (["-6"] * 2, 1.0),
        ([None, ""], 1.0),
    ],
)
def test_unit_scale_reads_lsl_units_and_mne_lsl_codes(units, scale):
    assert unit_scale(units) == pytest.approx(scale)


def test_unit_scale_refuses_mixed_or_unknown_units():
    with pytest.raises(DataError, match="different units"):
        unit_scale(["V", "uV"])
    with pytest.raises(DataError, match="unknown channel unit 'furlong'"):
        unit_scale(["furlong"])


def test_pipeline_chunked_equals_offline_and_checks_chunk_shape():
    rng = np.random.default_rng(1)
    names = ["FP1", "FP2", "CZ", "X1"]
    data = rng.normal(scale=20e-6, size=(4, 250 * 8))
    profile = {"l_freq": 0.5, "h_freq": 40.0, "notch": 50.0, "sfreq": 200.0}
    offline = process_offline(data, names, 250.0, ["CZ", "FP1"], 200.0, profile, scale=1e6)
    pipeline = OnlinePipeline(names, 250.0, ["CZ", "FP1"], 200.0, profile, scale=1e6)
    online = _in_chunks(pipeline, data, seed=3)
    assert offline.shape == (2, 1600)
    np.testing.assert_allclose(online, offline, rtol=1e-5, atol=1e-4)
    assert 1 < offline.std() < 100  # volts became microvolts
    with pytest.raises(DataError, match="with 4 channels"):
        pipeline(np.zeros((3, 10)))
    with pytest.raises(DataError, match="NaN or Inf"):
        pipeline(np.full((4, 10), np.nan))


def test_causal_and_zero_phase_filtering_agree_in_magnitude_not_phase():
    """What the docstring states: same band, different phase (so not sample-equal)."""
    fs = 200.0
    t = np.arange(int(fs * 30)) / fs
    x = np.sin(2 * np.pi * 10 * t)[None]
    causal = CausalFilter(fs, 0.1, 75.0, 50.0)(x)[0, -1000:]
    zero_phase = signal.sosfiltfilt(
        signal.butter(4, [0.1, 75.0], "bandpass", fs=fs, output="sos"), x
    )[0, -1000:]
    assert np.std(causal) == pytest.approx(np.std(zero_phase), rel=0.02)
    assert np.abs(causal - zero_phase).max() > 0.05  # phase lag at 10 Hz
