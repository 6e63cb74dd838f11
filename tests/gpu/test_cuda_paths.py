"""CUDA paths of the trainer, driven through `neurokit train` as a user runs it: bf16 autocast,
fp16 with the grad scaler, torch.compile, exact-enough resume and EMA on the GPU."""

from __future__ import annotations

import json
import math

import pytest

from tests.gpu.conftest import train

pytestmark = pytest.mark.gpu


def losses(run_dir) -> list[tuple[int, float]]:
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [(r["step"], r["train/loss"]) for r in lines if "train/loss" in r]


def report(run_dir) -> dict:
    return json.loads((run_dir / "report.json").read_text())


def assert_learned(run_dir, device: str) -> None:
    """It ran on `device`, every logged loss is finite and falls, and the test split is solved."""
    assert json.loads((run_dir / "environment.json").read_text())["device"].startswith(device)
    values = [loss for _, loss in losses(run_dir)]
    assert values and all(math.isfinite(v) for v in values)
    assert sum(values[-6:]) / 6 < 0.7 * sum(values[:6]) / 6, values
    assert report(run_dir)["test"]["balanced_accuracy"] >= 0.9


@pytest.fixture(scope="module")
def bf16_run(tmp_path_factory, gpu_store, device):
    """The uninterrupted eager bf16 run the other tests compare with."""
    root = tmp_path_factory.mktemp("bf16")
    return train(root, gpu_store, device, "eager", "trainer.precision=bf16")


def test_bf16_autocast_learns(bf16_run, device):
    assert_learned(bf16_run, device)


def test_fp16_with_grad_scaler_learns(tmp_path, gpu_store, device):
    if device != "cuda":
        pytest.skip("fp16 autocast needs CUDA")
    run_dir = train(tmp_path, gpu_store, device, "fp16", "trainer.precision=fp16")
    assert_learned(run_dir, device)
    import torch

    scaler = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["scaler"]
    assert scaler, "an fp16 run must checkpoint an enabled GradScaler's state"
    assert math.isfinite(float(scaler["scale"])) and float(scaler["scale"]) > 0


def test_compiled_training_matches_eager(tmp_path, bf16_run, gpu_store, device):
    run_dir = train(
        tmp_path, gpu_store, device, "compiled", "trainer.precision=bf16", "trainer.compile=true"
    )
    assert_learned(run_dir, device)
    eager, compiled = losses(bf16_run), losses(run_dir)
    assert [s for s, _ in compiled] == [s for s, _ in eager]
    # same weights, same first batch: only bf16 rounding of fused vs unfused kernels differs
    assert compiled[0][1] == pytest.approx(eager[0][1], rel=2e-2)


def test_resume_on_device_matches_the_uninterrupted_run(tmp_path, bf16_run, gpu_store, device):
    sets = ("trainer.precision=bf16",)
    train(tmp_path, gpu_store, device, "cut", *sets, "trainer.stop_after_steps=10", expect=0)
    cut = tmp_path / "cut"
    assert max(step for step, _ in losses(cut)) == 10
    train(tmp_path, gpu_store, device, "cut", "trainer.stop_after_steps=null", resume=True)
    full, resumed = losses(bf16_run), losses(cut)
    assert [s for s, _ in resumed] == [s for s, _ in full]
    assert [v for _, v in resumed] == pytest.approx([v for _, v in full], rel=1e-3)
    assert report(cut)["test"]["balanced_accuracy"] == pytest.approx(
        report(bf16_run)["test"]["balanced_accuracy"], abs=0.02
    )


def test_ema_on_device_checkpoints_an_average_that_differs_from_the_weights(
    tmp_path, gpu_store, device
):
    run_dir = train(
        tmp_path,
        gpu_store,
        device,
        "ema",
        "trainer.precision=bf16",
        "trainer.ema=true",
        "trainer.ema_decay=0.9",
    )
    assert_learned(run_dir, device)
    import torch

    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    ema = state["ema"]
    assert ema["num_updates"] == report(run_dir)["steps"]  # one update per optimiser step
    shadow = ema["shadow_params"]
    weights = [v.cpu() for v in state["model"].values()]
    assert shadow and all(torch.isfinite(s).all() for s in shadow)
    # the average lags the weights: some shadow tensor equals no weight tensor of its shape
    assert any(
        all(not torch.equal(s.cpu(), w) for w in weights if w.shape == s.shape) for s in shadow
    )
