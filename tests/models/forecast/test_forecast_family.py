"""The `forecast` family end to end: a small MEG store, `neurokit.pipeline(small=True)`.

The store holds magnetometers and gradiometers (fT, fT/cm) carrying two rhythms mixed by
one fixed matrix plus a little noise, so the next sample is predictable from the last few
and the channels covary. A CPU-sized GPT2MEG must beat repeating the last token, and the
evaluation's per-channel accuracy and rollout spectra must be in the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import neurokit
from neurokit.core.data.schema import StoreSchema
from neurokit.core.data.writer import StoreWriter
from neurokit.core.interfaces import Recording, RecordingSource

SFREQ = 100.0
NAMES = ["MEG0111", "MEG0112", "MEG0113", "MEG0121", "MEG0122", "MEG0123"]
TYPES = ["mag", "grad", "grad", "mag", "grad", "grad"]
UNITS = ["fT" if t == "mag" else "fT/cm" for t in TYPES]


def meg_signal(rng: np.random.Generator, seconds: float, alpha: float = 1.0) -> np.ndarray:
    """(6, T) float32: a 10 Hz and a 3 Hz source (drifting phase) mixed into the channels."""
    t = np.arange(int(seconds * SFREQ)) / SFREQ
    sources = np.stack(
        [
            alpha * np.sin(2 * np.pi * 10 * t + np.cumsum(rng.normal(0, 0.02, len(t)))),
            np.sin(2 * np.pi * 3 * t + np.cumsum(rng.normal(0, 0.02, len(t)))),
        ]
    )
    mixing = np.array([[1.0, 0.3], [0.8, -0.5], [-0.6, 0.9], [0.2, 1.0], [-1.0, 0.1], [0.5, 0.5]])
    data = mixing @ sources + rng.normal(0, 0.03, (len(NAMES), len(t)))
    return (200.0 * data).astype(np.float32)  # a few hundred fT


def write_meg_store(
    path: Path, recordings: int = 8, seconds: float = 30.0, labelled: bool = False
) -> Path:
    """Recordings r0.. (the last two: val, test). `labelled`: class `slow` recordings have
    their 10 Hz source 5x weaker than class `fast` ones (one label per recording)."""
    rng = np.random.default_rng(0)
    writer = StoreWriter(path)
    classes, kind = (["fast", "slow"], "recording") if labelled else ([], "none")
    writer.create(
        StoreSchema(dataset="megsynth", sfreq=SFREQ, class_names=classes, label_kind=kind)
    )
    splits = (
        ["train"] * (recordings - 4) + ["val", "val", "test", "test"]
        if labelled
        else (["train"] * (recordings - 2) + ["val", "test"])
    )
    for i, split in enumerate(splits):
        label = i % 2 if labelled else None
        source = RecordingSource(Path(f"r{i}.fif"), f"r{i}", f"s{i}", split=split, label=label)
        signal = meg_signal(rng, seconds, alpha=0.2 if label == 1 else 1.0)
        recording = Recording(source, signal, list(NAMES), SFREQ, channel_types=TYPES, units=UNITS)
        writer.write(recording)
    writer.finalize()
    return path


@pytest.fixture(scope="module")
def meg_store(tmp_path_factory) -> Path:
    return write_meg_store(tmp_path_factory.mktemp("forecast") / "meg.zarr")


def _pipeline(store: Path, out: Path, model: str = "forecast", stages=("pretrain",), **overrides):
    return neurokit.pipeline(
        model,
        stages=list(stages),
        config={"data": {"store": str(store)}},
        overrides={
            "output_dir": str(out),
            "trainer.progress": False,
            "dataset.name": "megsynth",
            **overrides,
        },
        small=True,
    )


@pytest.mark.slow  # about a minute on a loaded 2-core machine
def test_pretrain_beats_repeat_last_token_and_reports_rollout(meg_store, tmp_path):
    (result,) = _pipeline(meg_store, tmp_path, **{"trainer.epochs": 6, "data.max_windows": 128})
    report = result.report
    val = report["val"]
    assert report["monitor"] == "loss"
    # the untrained model is at chance (1/256); repeating the last token is far better
    assert val["accuracy"] > 1.3 * val["repeat_accuracy"], val
    assert len(val["channel_accuracy"]) == len(NAMES)
    assert val["channel_accuracy_min"] <= val["channel_accuracy_mean"] <= 1.0
    test = report["test"]
    for who in ("rollout", "shuffled"):
        assert np.isfinite(test[f"{who}_psd_lsd"]) and test[f"{who}_psd_lsd"] >= 0
        assert -1.0 <= test[f"{who}_cov_corr"] <= 1.0
    # a trained forecaster's free-running spectrum is closer to real data than shuffled data's
    assert test["rollout_psd_lsd"] < test["shuffled_psd_lsd"], test
    assert test["rollout_psd_lsd_alpha"] < test["shuffled_psd_lsd_alpha"], test
    markdown = (result.run_dir / "report.md").read_text()
    for figure in ("psd.png", "covariance.png", "traces.png"):
        assert f"({figure})" in markdown and (result.run_dir / figure).is_file()
    rows = [
        json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()
    ]
    losses = [row["train/loss"] for row in rows if "train/loss" in row]
    assert losses[-1] < losses[0]


@pytest.mark.slow  # 15-40 s per backbone on a loaded 2-core machine
@pytest.mark.parametrize("model", ["gpt2meg", "stgpt2meg", "wavenet-fullchannel"])
def test_each_small_backbone_learns_the_meg_corpus(model, meg_store, tmp_path):
    overrides = {"trainer.epochs": 4, "data.max_windows": 160, "task.rollout_splits": []}
    (result,) = _pipeline(meg_store, tmp_path, model, **overrides)
    assert result.config["model"]["name"] == model
    val = result.report["val"]
    assert val["accuracy"] > 1.2 * val["repeat_accuracy"], (model, val)


@pytest.mark.parametrize("model", ["gpt2meg", "stgpt2meg", "wavenet-fullchannel"])
def test_small_overrides_build_a_small_model_for_each_backbone(model):
    family = neurokit.get_family("forecast")
    assert model in family.backbones
    for stage in family.stages:
        small = stage.small_for(model)
        options = {k.removeprefix("model."): v for k, v in small.items() if k.startswith("model.")}
        backbone = neurokit.create("backbone", model, **options)
        size = sum(p.numel() for p in backbone.parameters())
        assert size < 200_000, (model, size)  # CPU-sized (the official: 2.4M-22M)
        assert backbone.max_channels >= len(NAMES)


@pytest.fixture(scope="module")
def labelled_store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("forecast-cls")
    return write_meg_store(root / "megcls.zarr", recordings=10, seconds=20.0, labelled=True)


@pytest.mark.slow  # pretrain then finetune: about a minute
def test_finetune_classifies_events_from_the_pretrained_forecaster(labelled_store, tmp_path):
    overrides = {"trainer.epochs": 5, "data.max_windows": 128}
    pretrain, finetune = _pipeline(
        labelled_store, tmp_path, stages=("pretrain", "finetune"), **overrides
    )
    saved = yaml.safe_load((finetune.run_dir / "config.yaml").read_text())
    assert saved["task"]["pretrained"] == str(pretrain.run_dir)
    assert finetune.report["test"]["balanced_accuracy"] > 0.8, finetune.report["test"]


def test_spectral_metrics_tell_real_from_shuffled():
    from neurokit.plugins.models.forecast.stages import spectral_metrics

    rng = np.random.default_rng(1)
    real = np.stack([meg_signal(rng, 4.0) for _ in range(4)])
    other = np.stack([meg_signal(rng, 4.0) for _ in range(4)])
    shuffled = rng.permuted(other, axis=-1)
    same = spectral_metrics(other, real, SFREQ)
    bad = spectral_metrics(shuffled, real, SFREQ)
    assert same["psd_lsd"] < 0.5 * bad["psd_lsd"], (same, bad)
    assert same["psd_lsd_alpha"] < 0.5 * bad["psd_lsd_alpha"]
    assert same["cov_corr"] > 0.95
    assert bad["cov_corr"] < same["cov_corr"]
