"""The default trainer on tiny-cnn over synthetic windows: learning, exact resume, EMA, accumulation."""

from __future__ import annotations

import json

import pytest
import torch

from neurokit.core.engine import checkpoint as ckpt
from neurokit.core.engine.selection import TIE_RTOL
from neurokit.core.engine.trainer import Interrupted
from tests.engine.synthetic import build


def train_losses(run_dir):
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [(r["step"], r["train/loss"]) for r in lines if "train/loss" in r]


def test_learns_a_separable_task_and_writes_a_complete_run_dir(tmp_path):
    module, context, trainer = build(tmp_path, epochs=4)
    report = trainer.fit(module, context)
    assert report["test"]["balanced_accuracy"] >= 0.9
    losses = [loss for _, loss in train_losses(tmp_path)]
    assert sum(losses[-4:]) / 4 < sum(losses[:4]) / 4  # the loss falls
    for name in (
        "metrics.jsonl",
        "report.json",
        "report.md",
        "curves.png",
        "confusion_matrix.png",
        "checkpoints/last.pt",
        "checkpoints/best.pt",
    ):
        assert (tmp_path / name).is_file(), name
    last = torch.load(tmp_path / "checkpoints/last.pt", weights_only=True)  # no pickled objects
    assert {"model", "optimizer", "scheduler", "scaler", "ema", "rng", "progress", "config"} <= set(
        last
    )
    assert last["progress"]["step"] == report["steps"] == 4 * 64 // 8
    best = torch.load(tmp_path / "checkpoints/best.pt", weights_only=True)
    assert best["epoch"] == report["best_epoch"]
    assert json.loads((tmp_path / "report.json").read_text())["test"] == report["test"]


@pytest.mark.parametrize("accumulate,ema", [(1, False), (2, True)])
def test_resume_mid_epoch_reproduces_the_uninterrupted_run(tmp_path, accumulate, ema):
    options = {"accumulate": accumulate, "ema": ema, "ema_decay": 0.9, "clip_grad": 1.0}
    full_dir, cut_dir = tmp_path / "full", tmp_path / "cut"
    module, context, trainer = build(full_dir, **options)
    full = trainer.fit(module, context)

    stop = 8 // accumulate + 3  # in the middle of the second epoch (8 batches per epoch)
    module, context, trainer = build(cut_dir, stop_after_steps=stop, **options)
    with pytest.raises(Interrupted, match="resume"):
        trainer.fit(module, context)
    assert ckpt.load(cut_dir / "checkpoints/last.pt")["progress"]["step"] == stop
    with (cut_dir / "metrics.jsonl").open("a") as f:  # lines a crash wrote after the checkpoint
        f.write(json.dumps({"step": stop + 1, "train/loss": 123.0}) + "\n")

    torch.manual_seed(1234)  # a fresh process would start from a different RNG state
    module, context, trainer = build(cut_dir, resume=True, seed=0, **options)
    resumed = trainer.fit(module, context)

    assert train_losses(cut_dir) == train_losses(full_dir)  # exactly, step by step
    a = ckpt.load(full_dir / "checkpoints/last.pt")["model"]
    b = ckpt.load(cut_dir / "checkpoints/last.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed["test"] == full["test"]


def test_evaluation_uses_the_ema_weights(tmp_path):
    module, context, trainer = build(tmp_path, epochs=2, ema=True, ema_decay=0.9)
    trainer.fit(module, context)
    last = ckpt.load(tmp_path / "checkpoints/last.pt")
    records = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    logged_val_loss = [r["val/loss"] for r in records if "val/loss" in r][-1]

    def val_loss(weights):
        module.load_state_dict(weights)
        return trainer.evaluate(module, context, "val")["loss"]

    raw = last["model"]
    shadow = dict(raw)
    trainable = [n for n, p in module.named_parameters() if p.requires_grad]
    shadow.update(zip(trainable, last["ema"]["shadow_params"], strict=True))
    assert not all(torch.equal(raw[n], shadow[n]) for n in trainable)
    assert val_loss(shadow) == pytest.approx(logged_val_loss, abs=1e-6)
    assert val_loss(raw) != pytest.approx(logged_val_loss, abs=1e-6)
    best = ckpt.load(
        tmp_path / "checkpoints/best.pt"
    )  # holds the weights that were evaluated (EMA)
    assert val_loss(best["model"]) == pytest.approx(best["metrics"]["loss"], abs=1e-6)


def test_accumulation_matches_one_large_batch(tmp_path):
    module_a, context_a, trainer_a = build(tmp_path / "a", batch_size=16, dropout=0.0, epochs=1)
    trainer_a.fit(module_a, context_a)
    module_b, context_b, trainer_b = build(
        tmp_path / "b", batch_size=8, accumulate=2, dropout=0.0, epochs=1
    )
    trainer_b.fit(module_b, context_b)
    la, lb = train_losses(tmp_path / "a"), train_losses(tmp_path / "b")
    assert [s for s, _ in la] == [s for s, _ in lb]
    assert [x for _, x in la] == pytest.approx([x for _, x in lb], rel=1e-5)
    for (name, p), q in zip(module_a.named_parameters(), module_b.parameters(), strict=True):
        assert torch.allclose(p, q, atol=1e-6), name


def test_early_stopping_stops_and_selection_keeps_the_best(tmp_path):
    # lr so small that balanced accuracy cannot move; whatever the val loss does in its last
    # digits, selection and early stopping agree: the run ends `patience` evaluations after
    # the selected epoch (test_trainer_stage.py pins the tie tolerance with scripted metrics)
    module, context, trainer = build(
        tmp_path, epochs=10, lr=1e-9, min_lr=0.0, warmup_steps=0, early_stopping=2, dropout=0.0
    )
    report = trainer.fit(module, context)
    assert report["stopped_early"] and report["epochs"] == report["best_epoch"] + 2 < 10
    assert ckpt.load(tmp_path / "checkpoints/best.pt")["epoch"] == report["best_epoch"]


def test_selection_breaks_metric_ties_on_val_loss(tmp_path):
    # the synthetic task is solved early: later epochs tie on balanced accuracy with a lower loss
    module, context, trainer = build(tmp_path, epochs=6, lr=1e-2, dropout=0.0)
    report = trainer.fit(module, context)
    val = [
        json.loads(x)
        for x in (tmp_path / "metrics.jsonl").read_text().splitlines()
        if '"val/loss"' in x
    ]
    top = max(r["val/balanced_accuracy"] for r in val)
    tied = [r for r in val if r["val/balanced_accuracy"] == top]
    assert len(tied) > 1  # there was a tie to break
    best = next(r for r in val if r["epoch"] == report["best_epoch"])
    assert best in tied  # the metric first, then the lowest val loss (within the tie tolerance)
    assert all(r["val/loss"] >= best["val/loss"] * (1 - TIE_RTOL) for r in tied)


def test_time_limited_chunks_add_up_to_the_full_run(tmp_path):
    module, context, trainer = build(tmp_path / "full")
    trainer.fit(module, context)
    chunk = tmp_path / "chunks"
    stops = []
    for invocation in range(4):
        module, context, trainer = build(chunk, resume=invocation > 0, stop_after_steps=10)
        try:
            trainer.fit(module, context)
            break
        except Interrupted:
            stops.append(ckpt.load(chunk / "checkpoints/last.pt")["progress"]["step"])
    assert stops == [10, 20]  # each invocation runs its own 10 steps; the third finishes (24 steps)
    assert train_losses(chunk) == train_losses(tmp_path / "full")
