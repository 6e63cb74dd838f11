"""The forecast stage's evaluation: a rollout judged by spectra against a shuffled baseline.

A tiny GPT2MEG is evaluated through `Stage.evaluate` (the trainer's loop, its hooks) on
windows of two covarying rhythms. Untrained, its free-running output is wide-band noise
whose spectrum is further from the real data than a shuffled copy of the data; after a
short training its rollout is closer than the shuffled copy, its next-step MSE beats
repeating the last value, and the report figures are drawn.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch

import neurokit
from neurokit.core.data.batch import Batch
from neurokit.core.stage import Evaluation
from neurokit.plugins.models.forecast.family import ForecastPretrainConfig
from neurokit.plugins.models.forecast.stages import ForecastPretrainStage, dequantise
from tests.models.forecast.helpers import TINY, oscillations

SFREQ = 100.0
STEPS = 100


def batches(n: int, seed: int, size: int = 8) -> list[Batch]:
    x = oscillations(n, channels=4, steps=STEPS, sfreq=SFREQ, seed=seed)
    out = []
    for i in range(0, n, size):
        part = x[i : i + size]
        out.append(
            Batch(
                signal=part,
                channel_mask=torch.ones(len(part), 4, dtype=torch.bool),
                positions=torch.zeros(len(part), 4, 3),
                channel_names=[[f"MEG{c}" for c in range(4)]] * len(part),
                sfreq=SFREQ,
            )
        )
    return out


def evaluation(stage: ForecastPretrainStage, data: list[Batch], split: str = "test"):
    def step(batch):
        with torch.no_grad():
            return stage.evaluation_step(batch)

    return Evaluation(
        split=split,
        batches=lambda: iter([(b, len(b)) for b in data]),
        step=step,
        all_reduce_sum=lambda d: dict(d),
        gather=lambda a: a,
        autocast=contextlib.nullcontext,
        device=torch.device("cpu"),
    )


def make_stage() -> ForecastPretrainStage:
    torch.manual_seed(0)
    config = dict(TINY["gpt2meg"])
    config["gpt2_config"] = {**config["gpt2_config"], "n_positions": 128}
    backbone = neurokit.create("backbone", "gpt2meg", **config)
    options = ForecastPretrainConfig(
        rollout_seconds=2.0, prompt_seconds=0.5, rollout_windows=8, rollout_splits=["test"]
    )
    return ForecastPretrainStage(backbone, options, SFREQ)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models on a shared machine run several times faster on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def test_windows() -> list[Batch]:
    return batches(32, seed=1)


@pytest.fixture(scope="module")
def trained() -> ForecastPretrainStage:
    stage = make_stage()
    data = batches(256, seed=0, size=4)
    opt = torch.optim.AdamW(stage.parameters(), lr=1e-2)
    stage.train()
    for i in range(80):
        loss = stage.training_step(data[i % len(data)]).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    return stage.eval()


def test_untrained_rollout_is_further_from_real_spectra_than_shuffled(test_windows):
    stage = make_stage().eval()
    result = stage.evaluate(evaluation(stage, test_windows))
    assert result["rollout_psd_lsd"] > result["shuffled_psd_lsd"], result
    assert result["mse"] > result["repeat_mse"]


@pytest.mark.slow  # ~15-30 s of training on a loaded 2-core machine
def test_trained_rollout_beats_shuffled_and_reports_every_number(trained, test_windows, tmp_path):
    result = trained.evaluate(evaluation(trained, test_windows))
    assert result["rollout_psd_lsd"] < result["shuffled_psd_lsd"], result
    assert len(result["rollout_channel_psd_lsd"]) == 4
    # next step: better than repeating the last value, at every history length past a few
    assert result["accuracy"] > result["repeat_accuracy"]
    assert result["mse"] < result["repeat_mse"], result
    by_history = np.array(result["mse_by_history"])
    assert by_history.shape == (STEPS - 1,)
    assert by_history[10:].mean() < np.array(result["repeat_mse_by_history"])[10:].mean()
    assert len(result["channel_accuracy"]) == len(result["channel_mse"]) == 4
    # greedy 10-step forecasts from half a window
    assert len(result["forecast_mse_by_step"]) == 10
    assert result["forecast_mse"] < result["forecast_repeat_mse"], result
    figures = trained.report_figures(tmp_path)
    assert [name for _, name in figures] == ["psd.png", "covariance.png", "traces.png"]
    assert all((tmp_path / name).stat().st_size > 5000 for _, name in figures)


def test_validation_skips_the_rollout_unless_asked(test_windows):
    stage = make_stage().eval()
    result = stage.evaluate(evaluation(stage, test_windows[:1], split="val"))
    assert "rollout_psd_lsd" not in result and "forecast_mse" in result


def test_dequantise_uses_mu_vocab_minus_one():
    codes = torch.tensor([0, 255])
    assert torch.allclose(dequantise(codes, 256), torch.tensor([-5.0, 5.0]))
