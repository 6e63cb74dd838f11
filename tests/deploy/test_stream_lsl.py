"""LSL end to end: mne-lsl's player streams a generated FIF locally; predictions go out on an outlet."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest

mne = pytest.importorskip("mne")
pytest.importorskip("mne_lsl")

from neurokit.core.errors import DataError  # noqa: E402
from neurokit.deploy.lsl import LslSource, PredictionOutlet  # noqa: E402
from neurokit.deploy.stream import StreamPredictor  # noqa: E402
from tests.conftest import REPO, assert_clean_failure, run_cli  # noqa: E402
from tests.deploy.test_stream_trained import model  # noqa: E402, F401  (fixture)
from tests.engine.synthetic import NAMES  # noqa: E402

RATE = 128.0


def write_fif(path, seconds=20.0, names=(*NAMES, "EOG")):
    """Volts, as FIF stores them: noise, and an 8 Hz rhythm in the second half."""
    rng = np.random.default_rng(2)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    data = rng.normal(scale=20e-6, size=(len(names), n))
    data[:, n // 2 :] += 60e-6 * np.sin(2 * np.pi * 8.0 * t[n // 2 :])
    info = mne.create_info([name.capitalize() for name in names], RATE, "eeg")
    mne.io.RawArray(data, info, verbose="error").save(path, overwrite=True, verbose="error")
    return path


@pytest.fixture
def player(tmp_path):
    from mne_lsl.player import PlayerLSL

    name = f"nk-test-{uuid.uuid4().hex[:8]}"
    fif = write_fif(tmp_path / "stream_raw.fif")
    p = PlayerLSL(fif, chunk_size=16, name=name, source_id=name)
    p.start()
    yield name
    p.stop()


def test_lsl_source_feeds_the_predictor_and_the_outlet_publishes(player, model):  # noqa: F811
    from mne_lsl.lsl import StreamInlet, resolve_streams

    source = LslSource(player, timeout=10)
    assert source.sfreq == RATE and source.scale == pytest.approx(1e6)  # FIF streams volts
    assert source.channel_names == ["Fp1", "Fp2", "C3", "C4", "Eog"]
    outlet_name = f"{player}-out"
    outlet = PredictionOutlet(outlet_name, model.classes)
    found = resolve_streams(timeout=5, name=outlet_name)
    assert found and found[0].n_channels == 2
    inlet = StreamInlet(found[0])
    inlet.open_stream(timeout=5)
    predictor = StreamPredictor(
        model, source.channel_names, source.sfreq, hop=0.5, scale=source.scale
    )
    sent = []
    try:
        for chunk, stamp in source.chunks(duration=3.0):
            for p in predictor.push(chunk, stamp):
                outlet.push(p.probabilities, stamp)
                sent.append(p)
        time.sleep(0.3)
        received, stamps = inlet.pull_chunk(timeout=1.0)
    finally:
        inlet.close_stream()
        source.close()
    assert len(sent) == 3  # windows of 2 s every 0.5 s over 3 s of signal
    assert predictor.dropped_channels == ["Eog"]
    np.testing.assert_allclose(received, np.stack([p.probabilities for p in sent]), atol=1e-6)
    np.testing.assert_allclose(stamps, [p.timestamp for p in sent])


def test_a_stream_that_does_not_exist_is_a_clear_error():
    with pytest.raises(DataError, match="no LSL stream named 'nk-missing-"):
        LslSource(f"nk-missing-{uuid.uuid4().hex[:8]}", timeout=0.5)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    from tests.engine.synthetic import write_store
    from tests.engine.test_cli import FAST, invoke

    tmp = tmp_path_factory.mktemp("run")
    store = write_store(tmp / "s.zarr", recordings=8, seconds=8.0)
    result = invoke(
        "train", "--model", "tiny", "--set", f"data.store={store}", "--set", f"output_dir={tmp}",
        "--set", "run_name=r", "--set", "trainer.epochs=1", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return tmp / "r"


@pytest.mark.slow
def test_neurokit_stream_prints_and_publishes_predictions(player, trained_run):
    """`neurokit stream` against the player, with the outlet read from this process (trains a run)."""
    from mne_lsl.lsl import StreamInlet, resolve_streams

    command = [sys.executable, "-m", "neurokit", "stream", str(trained_run), "--lsl", player]
    command += ["--hop", "1", "--duration", "4", "--outlet", f"{player}-p", "--json"]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO
    )
    received = []
    try:
        found = resolve_streams(timeout=30, name=f"{player}-p")
        assert found, "the command never opened its outlet"
        inlet = StreamInlet(found[0], recover=False)
        inlet.open_stream(timeout=5)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            # pull only while the outlet lives: liblsl can block on a vanished source
            data, _ = inlet.pull_chunk(timeout=0.0)
            received += list(data)
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert [r["end"] for r in rows] == [2.0, 3.0, 4.0]
    for row in rows:
        assert row["p_a"] + row["p_b"] == pytest.approx(1.0, abs=1e-6)
        assert row["label"] in {"a", "b"} and row["latency_ms"] >= 0
    # the outlet is read from when it is found, so the first push may come before; every
    # sample that arrived is one of the printed predictions
    printed = np.array([[r["p_a"], r["p_b"]] for r in rows])
    assert len(received) >= 1
    for sample in received:
        assert np.abs(printed - sample).max(axis=1).min() < 1e-6


@pytest.mark.slow
def test_neurokit_stream_names_missing_channels(tmp_path, trained_run):
    from mne_lsl.player import PlayerLSL

    name = f"nk-test-{uuid.uuid4().hex[:8]}"
    fif = write_fif(tmp_path / "few_raw.fif", names=("FP1", "C3"))
    p = PlayerLSL(fif, chunk_size=16, name=name, source_id=name)
    p.start()
    try:
        result = run_cli("stream", str(trained_run), "--lsl", name, "--duration", "2", timeout=60)
    finally:
        p.stop()
    assert_clean_failure(result, "lacks channels the model needs: FP2, C4")
