"""Preprocessing: profiles, montages, filters, and a clear DataError for every kind of bad input."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from neurokit.core.data.channels import TCP_NAMES
from neurokit.core.data.preprocess import (
    DatasetConfig,
    Preprocessing,
    load_recording,
    preprocess_raw,
    profile,
    profiles,
)
from neurokit.core.data.rawio import read_raw
from neurokit.core.errors import DataError
from neurokit.core.interfaces import RecordingSource

from .conftest import TUH_23, make_edf


def _power_at(x: np.ndarray, sfreq: float, f: float) -> float:
    spec = np.abs(np.fft.rfft(x, axis=-1)) ** 2
    freqs = np.fft.rfftfreq(x.shape[-1], 1 / sfreq)
    return float(spec[..., np.argmin(np.abs(freqs - f))].mean())


def _tones(names, seconds=20, sfreq=250, freqs=(10, 60, 100)):
    t = np.arange(int(seconds * sfreq)) / sfreq
    one = sum(20 * np.sin(2 * np.pi * f * t) for f in freqs)
    rng = np.random.default_rng(0)
    return one[None] + rng.standard_normal((len(names), t.size))


def test_labram_profile_normalises_picks_filters_and_resamples(tmp_path):
    names = [f"EEG {n}-REF" for n in TUH_23] + ["EEG EKG1-REF", "PHOTIC-REF"]
    path = make_edf(tmp_path / "a.edf", names, data=_tones(names, freqs=(10, 100)))
    rec = load_recording(RecordingSource(path, "a", "s1"), profile("labram"))
    assert rec.sfreq == 200.0
    assert rec.channel_names == TUH_23[:21] + ["T1", "T2"]  # EKG/PHOTIC have no position: dropped
    assert rec.data.dtype == np.float32 and rec.data.shape == (23, 20 * 200)
    # microvolts kept (a 20 uV 10 Hz tone stays ~20 uV); 100 Hz is above the 75 Hz low-pass
    middle = rec.data[:, 400:-400]
    assert 15 < np.abs(middle).max() < 60
    assert _power_at(middle, 200, 10) > 1000 * _power_at(rec.data[:, 400:-400], 200, 99)


def test_channel_list_order_and_required(tmp_path):
    path = make_edf(tmp_path / "b.edf", [f"EEG {n}-REF" for n in ("CZ", "FP1", "O1")])
    cfg = Preprocessing(channels=["O1", "FP1"], sfreq=None, l_freq=None, h_freq=None)
    rec = load_recording(RecordingSource(path, "b", "s"), cfg)
    assert rec.channel_names == ["O1", "FP1"]
    with pytest.raises(DataError, match=r"b\.edf: missing required channels T3"):
        load_recording(RecordingSource(path, "b", "s"), Preprocessing(channels=["O1", "T3"]))


def test_luna_profile_gives_tcp_bipolar_at_256_hz_with_60_hz_notch(tmp_path):
    names = [f"EEG {n}-REF" for n in TUH_23]
    data = _tones(names, freqs=(10, 60))
    path = make_edf(tmp_path / "c.edf", names, data=data)
    rec = load_recording(RecordingSource(path, "c", "s"), profile("luna"))
    assert rec.sfreq == 256.0 and rec.channel_names == list(TCP_NAMES)
    # A bipolar channel is the difference of its electrodes (same filters on both).
    ref = load_recording(RecordingSource(path, "c", "s"), profile("luna", montage="referential"))
    i = {n: k for k, n in enumerate(ref.channel_names)}
    np.testing.assert_allclose(rec.data[0], ref.data[i["FP1"]] - ref.data[i["F7"]], atol=1e-3)
    notched = _power_at(ref.data[:, 500:-500], 256, 60)
    plain = load_recording(
        RecordingSource(path, "c", "s"), profile("luna", montage="referential", notch=None)
    )
    assert notched < 0.01 * _power_at(plain.data[:, 500:-500], 256, 60)


def test_tcp_needs_enough_pairs(tmp_path):
    path = make_edf(tmp_path / "d.edf", [f"EEG {n}-REF" for n in ("FP1", "F7", "T3", "O1")])
    rec = load_recording(RecordingSource(path, "d", "s"), profile("luna", min_tcp_pairs=1))
    assert rec.channel_names == ["FP1-F7", "F7-T3"]
    with pytest.raises(DataError, match=r"d\.edf: only 2 TCP pairs derivable \(need 20\)"):
        load_recording(RecordingSource(path, "d", "s"), profile("luna"))


def test_truncated_edf_names_the_file(tmp_path):
    path = make_edf(tmp_path / "t.edf", seconds=10)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 3000])
    with pytest.raises(DataError, match=r"t\.edf: truncated file"):
        read_raw(path)


def test_garbage_file_is_a_data_error(tmp_path):
    path = tmp_path / "g.edf"
    path.write_bytes(b"this is not an edf" * 10)
    with pytest.raises(DataError, match=r"g\.edf: not an EDF|g\.edf: corrupt"):
        read_raw(path)
    with pytest.raises(DataError, match="file not found"):
        read_raw(tmp_path / "missing.edf")
    (tmp_path / "x.xyz").write_bytes(b"x")
    with pytest.raises(DataError, match="unsupported format"):
        read_raw(tmp_path / "x.xyz")


def _raw(names, data, sfreq=250.0):
    import mne

    info = mne.create_info(names, sfreq, "eeg")
    return mne.io.RawArray(data * 1e-6, info, verbose="error")


def test_nan_and_inf_samples_are_rejected():
    data = np.random.default_rng(0).standard_normal((3, 2500)) * 10
    data[1, 100] = np.nan
    with pytest.raises(DataError, match="x.fif: NaN/Inf samples in channels FP2"):
        preprocess_raw(_raw(["Fp1", "Fp2", "Cz"], data), Preprocessing(), "x.fif")


def test_flat_channels_are_rejected_or_tolerated():
    data = np.random.default_rng(0).standard_normal((3, 2500)) * 10
    data[2] = 0.0
    with pytest.raises(DataError, match="flat channels .*: CZ"):
        preprocess_raw(_raw(["Fp1", "Fp2", "Cz"], data), Preprocessing(), "x")
    out, names, _ = preprocess_raw(
        _raw(["Fp1", "Fp2", "Cz"], data), Preprocessing(max_flat_channels=1), "x"
    )
    assert names == ["FP1", "FP2", "CZ"] and out.shape[0] == 3


def test_duplicate_names_after_normalisation():
    data = np.random.default_rng(0).standard_normal((2, 2500))
    with pytest.raises(
        DataError,
        match=r"duplicate channel names after normalisation: FP1 \(from 'EEG FP1-REF', 'EEG FP1-LE'\)",
    ):
        preprocess_raw(_raw(["EEG FP1-REF", "EEG FP1-LE"], data), Preprocessing(), "x")


def test_unexpected_or_too_low_sampling_rates():
    data = np.random.default_rng(0).standard_normal((2, 1280)) * 10
    with pytest.raises(DataError, match="unexpected sampling rate 128 Hz"):
        preprocess_raw(
            _raw(["Fp1", "Fp2"], data, 128.0), Preprocessing(allowed_sfreq=[250, 256]), "x"
        )
    with pytest.raises(DataError, match="128 Hz is too low for the 75 Hz low-pass"):
        preprocess_raw(_raw(["Fp1", "Fp2"], data, 128.0), Preprocessing(), "x")


def test_too_short_and_cropping():
    data = np.random.default_rng(0).standard_normal((2, 2500)) * 10
    out, _, _ = preprocess_raw(
        _raw(["Fp1", "Fp2"], data), Preprocessing(drop_last_seconds=4, sfreq=None), "x"
    )
    assert out.shape[1] == 1500
    with pytest.raises(DataError, match="too short"):
        preprocess_raw(_raw(["Fp1", "Fp2"], data), Preprocessing(min_seconds=30), "x")


class _CorpusConfig(DatasetConfig):
    default_preprocessing = {"channels": ["FP1", "FP2"]}
    profile: str | None = "labram"


def test_dataset_config_merges_defaults_profile_and_overrides():
    cfg = _CorpusConfig()
    assert cfg.preprocessing.notch == 50 and cfg.preprocessing.sfreq == 200
    assert cfg.preprocessing.channels == ["FP1", "FP2"]
    cfg = _CorpusConfig(profile="luna", preprocessing={"notch": None})
    assert (
        cfg.preprocessing.montage == "tcp"
        and cfg.preprocessing.sfreq == 256
        and cfg.preprocessing.notch is None
    )
    with pytest.raises(ValidationError, match="unknown profile 'nope'"):
        _CorpusConfig(profile="nope")
    with pytest.raises(ValidationError):
        Preprocessing(l_freq=80, h_freq=40)
    assert set(profiles()) >= {"labram", "luna", "raw"}  # raw + what the families declare


def test_unknown_and_bipolar_channels_in_files():
    data = np.random.default_rng(0).standard_normal((3, 2500)) * 10
    cfg = Preprocessing(sfreq=None)
    _, names, _ = preprocess_raw(_raw(["Fp1-F7", "LA1", "Cz"], data), cfg, "x")
    assert names == ["FP1-F7", "CZ"]  # a bipolar pair of known electrodes is EEG; LA1 is not
    _, names, _ = preprocess_raw(
        _raw(["Fp1-F7", "LA1", "Cz"], data), Preprocessing(sfreq=None, keep_unknown=True), "x"
    )
    assert names == ["FP1-F7", "LA1", "CZ"]
    with pytest.raises(DataError, match="x: no usable EEG channels"):
        preprocess_raw(_raw(["LA1", "LA2"], data[:2]), cfg, "x")
