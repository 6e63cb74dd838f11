"""`load_trained` and `neurokit predict`: raw recordings give what evaluation gives on the store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from neurokit.core.data.rawio import write_edf
from neurokit.deploy import load_trained
from neurokit.deploy.predict import read_table
from tests.engine.test_cli import failure, invoke


def _test_recording(store: Path) -> tuple[str, Path]:
    """A test-split recording of the store and the EDF it was prepared from."""
    from neurokit.core.data.store import open_store

    meta = next(m for m in open_store(store).recordings.values() if m.split == "test")
    return meta.id, Path(meta.source)


def _evaluation_probabilities(
    run: Path, rid: str, store: Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(window starts, class scores) of one test recording as `neurokit eval` scores them;
    with `store`, a forecaster gets its per-recording scaling, as its task attaches it."""
    from neurokit.core.engine.data import build_datasets
    from neurokit.core.engine.resolve import RunSpec, load_run_config, resolve
    from neurokit.core.engine.run import rebuild

    stage, _, _ = rebuild(run)
    resolved = resolve(RunSpec(config=load_run_config(run)))
    if store is not None and hasattr(stage.backbone, "scaling"):
        from neurokit.core.data.store import open_store
        from neurokit.plugins.models.forecast.scaling import ScalingTable

        stage.backbone.scaling = ScalingTable.for_store(open_store(store))
    datasets, _, collate = build_datasets(
        resolved.config, resolved.task.data_view(), {"eval": "test"}, required=("eval",)
    )
    dataset = datasets["eval"]
    batch = collate.fetch(dataset, list(range(len(dataset))))
    keep = np.array([r == rid for r in batch.recording])
    with torch.no_grad():
        scores = stage.evaluation_step(batch).predictions.numpy()
    return batch.start.numpy()[keep], scores[keep]


def test_trained_model_carries_the_runs_signal_contract(tiny_run, demo):
    model = load_trained(tiny_run)
    assert not model.stage.training
    assert model.channels[:3] == ["FP1", "FP2", "F3"] and len(model.channels) == 21
    assert model.sfreq == 200.0 and model.window_samples == 400  # small: 2 s windows
    assert model.classes == ["normal", "abnormal"] and model.mode == "binary"
    assert model.profile is not None and model.profile.sfreq == 200.0  # from run.json
    assert model.profile.notch == 50.0
    x = 20 * torch.randn(3, 21, 400)
    probs = model.predict_windows(x)
    assert probs.shape == (3, 2)
    assert torch.allclose(probs.sum(-1), torch.ones(3))
    assert model.embed_windows(x).shape[0] == 3
    with pytest.raises(Exception, match="21 channels"):
        model.predict_windows(x[:, :5])


def test_predict_on_edf_and_on_the_store_equals_evaluation(tiny_run, demo, tmp_path):
    rid, edf = _test_recording(demo["store"])
    starts, expected = _evaluation_probabilities(tiny_run, rid)
    assert len(starts) >= 5
    for source in (edf, demo["store"]):
        out = tmp_path / f"{source.stem}.csv"
        result = invoke("predict", str(tiny_run), "--input", str(source), "--out", str(out))
        assert result.exit_code == 0, result.stderr
        table = read_table(out)
        rows = [i for i, r in enumerate(table["recording"]) if r in (rid, edf.stem)]
        got_starts = np.array([float(table["start_s"][i]) for i in rows]) * 200
        got = np.array([float(table["prob_abnormal"][i]) for i in rows])
        np.testing.assert_allclose(got_starts, starts)
        np.testing.assert_allclose(got, expected, atol=1e-5)
        summary = read_table(out.with_name(f"{out.stem}.summary.csv"))
        index = summary["recording"].index(table["recording"][rows[0]])
        assert float(summary["mean_prob_abnormal"][index]) == pytest.approx(
            expected.mean(), abs=1e-5
        )


def test_fif_with_other_names_and_extra_channels_matches_edf(tiny_run, demo, tmp_path):
    import mne

    _, edf = _test_recording(demo["store"])
    raw = mne.io.read_raw_edf(edf, preload=True, verbose="error")
    raw.rename_channels(
        {n: n.replace("EEG ", "").replace("-REF", "").title() for n in raw.ch_names}
    )
    fif = tmp_path / "rec_raw.fif"
    raw.save(fif, verbose="error")  # Fp1, Fz ... and an extra Ekg channel
    model = load_trained(tiny_run)
    from neurokit.deploy.inputs import find_inputs
    from neurokit.deploy.predict import predict

    a = predict(model, find_inputs(edf, model))
    b = predict(model, find_inputs(fif, model))
    assert not a.skipped and not b.skipped
    np.testing.assert_allclose(b.windows["prob_abnormal"], a.windows["prob_abnormal"], atol=1e-5)


def test_parquet_output(tiny_run, demo, tmp_path):
    pytest.importorskip("pyarrow")
    _, edf = _test_recording(demo["store"])
    out = tmp_path / "p.parquet"
    assert invoke("predict", str(tiny_run), "--input", str(edf), "--out", str(out)).exit_code == 0
    table = read_table(out)
    assert set(table) >= {"recording", "start_s", "end_s", "prob_normal", "prob_abnormal", "label"}
    assert (tmp_path / "p.summary.parquet").is_file()


def test_missing_channels_and_corrupt_files_are_one_clear_error(tiny_run, tmp_path):
    rng = np.random.default_rng(0)
    short = write_edf(tmp_path / "few.edf", 20 * rng.standard_normal((3, 2500)), 250.0,
                      ["EEG FP1-REF", "EEG FP2-REF", "EEG CZ-REF"])  # fmt: skip
    message = failure("predict", str(tiny_run), "--input", str(short))
    assert "missing required channels" in message and "F3" in message
    corrupt = tmp_path / "broken.edf"
    corrupt.write_bytes(b"0       not an edf at all")
    message = failure("predict", str(tiny_run), "--input", str(corrupt))
    assert "broken.edf" in message and "EDF" in message
    assert not (Path.cwd() / "broken-predictions.csv").exists()


def test_a_folder_skips_bad_recordings_with_the_reason(tiny_run, demo, tmp_path):
    import shutil

    _, edf = _test_recording(demo["store"])
    folder = tmp_path / "folder"
    folder.mkdir()
    shutil.copy(edf, folder / "good.edf")
    (folder / "bad.edf").write_bytes(b"garbage")
    out = tmp_path / "f.csv"
    result = invoke("predict", str(tiny_run), "--input", str(folder), "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    import json

    report = json.loads(result.stdout)
    assert report["recordings"] == 1
    assert [s["recording"] for s in report["skipped"]] == ["bad"]
    assert set(read_table(out)["recording"]) == {"good"}


def test_a_bids_dataset_reads_its_eeg_files_only(tiny_run, demo, tmp_path):
    import shutil

    _, edf = _test_recording(demo["store"])
    root = tmp_path / "bids"
    (root / "sub-01" / "eeg").mkdir(parents=True)
    (root / "derivatives" / "x" / "sub-01" / "eeg").mkdir(parents=True)
    (root / "dataset_description.json").write_text('{"Name": "t", "BIDSVersion": "1.8.0"}')
    shutil.copy(edf, root / "sub-01" / "eeg" / "sub-01_task-rest_eeg.edf")
    shutil.copy(edf, root / "derivatives" / "x" / "sub-01" / "eeg" / "sub-01_task-rest_eeg.edf")
    (root / "sub-01" / "eeg" / "sub-01_task-rest_channels.tsv").write_text("name\ttype\n")
    from neurokit.deploy.inputs import find_inputs

    model = load_trained(tiny_run)
    assert [r.name for r in find_inputs(root, model)] == ["sub-01_task-rest_eeg"]


@pytest.mark.parametrize("family", ["labram", "luna"])
def test_labram_and_luna_runs_predict_as_they_evaluate(family, demo, tmp_path):
    from neurokit.deploy.inputs import find_inputs
    from neurokit.deploy.predict import predict
    from tests.deploy.conftest import train_run

    run = train_run(family, demo["store"], tmp_path, **{"data.max_windows": 24})
    rid, edf = _test_recording(demo["store"])
    starts, expected = _evaluation_probabilities(run, rid)
    model = load_trained(run)
    result = predict(model, find_inputs(edf, model))
    np.testing.assert_allclose(np.array(result.windows["start_s"]) * model.sfreq, starts)
    np.testing.assert_allclose(result.windows["prob_abnormal"], expected, atol=1e-4)


def test_the_run_directory_alone_is_enough(tiny_run, demo, tmp_path):
    """A run copied elsewhere, its store gone, trained on a GPU: it still loads and predicts."""
    import shutil

    import yaml

    copy = tmp_path / "run"
    shutil.copytree(tiny_run, copy)
    config = yaml.safe_load((copy / "config.yaml").read_text())
    config["data"]["store"] = str(tmp_path / "gone.zarr")
    config["trainer"]["device"] = "cuda:0"
    (copy / "config.yaml").write_text(yaml.safe_dump(config))
    model = load_trained(copy)
    assert model.profile is not None and model.profile.notch == 50.0  # recorded in run.json
    x = 20 * torch.randn(2, 21, 400)
    torch.testing.assert_close(model.predict_windows(x), load_trained(tiny_run).predict_windows(x))
