"""The trainer drives a Stage only through its typed contract: declared metric
directions, its own `evaluate`, one rule for selection and early stopping, progress
as events (no printing)."""

from __future__ import annotations

import io
import json

import pytest
import torch
import torch.nn.functional as F
from rich.console import Console
from torch import nn

from neurokit.console_events import TrainingDisplay
from neurokit.core.engine import checkpoint as ckpt
from neurokit.core.engine.selection import TIE_RTOL, Selection
from neurokit.core.errors import ConfigError
from neurokit.core.stage import Evaluation, Stage, StepOutput
from tests.engine.synthetic import build


class Probe(Stage):
    """A linear probe whose evaluation is scripted: it plays back given val metrics.

    Like a generation stage, it computes its split metrics itself (`evaluate`); it
    still walks the split so the test can check what the trainer hands it.
    """

    def __init__(self, script: list[dict[str, float]], **declared: str) -> None:
        super().__init__()
        self.backbone = nn.Linear(4, 1)
        self.metrics = {"perplexity": "min", "balanced_accuracy": "max", **declared}
        self.monitor = "perplexity"
        self.script = list(script)
        self.splits: list[tuple[str, int, bool]] = []

    def training_step(self, batch) -> StepOutput:
        logits = self.backbone(batch.signal.abs().mean(-1) / 60.0).squeeze(-1)
        return StepOutput(F.binary_cross_entropy_with_logits(logits, batch.label.float()))

    def evaluate(self, evaluation: Evaluation) -> dict[str, float]:
        windows = 0
        for batch, valid in evaluation.batches():
            evaluation.step(batch)
            windows += valid
        self.splits.append((evaluation.split, windows, torch.is_grad_enabled() or self.training))
        if evaluation.split != "val":
            return {"loss": 0.0, "windows": float(windows)}
        return dict(self.script.pop(0), windows=float(windows))


def fit_probe(tmp_path, script, events=None, **options):
    _, context, trainer = build(tmp_path, epochs=len(script), **options)
    stage = Probe(script)
    context.events = events
    return stage, trainer.fit(stage, context)


def val_lines(run_dir):
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r for r in lines if "val/loss" in r]


def test_a_declared_min_metric_is_minimised_through_the_stages_own_evaluate(tmp_path):
    script = [{"loss": 1.0, "perplexity": p} for p in (9.0, 4.0, 6.0, 5.0)]
    stage, report = fit_probe(tmp_path, script)
    assert report["monitor"] == "perplexity" and report["best_epoch"] == 2
    assert report["best_value"] == 4.0
    assert ckpt.load(tmp_path / "checkpoints/best.pt")["value"] == 4.0
    assert [r["val/perplexity"] for r in val_lines(tmp_path)] == [9.0, 4.0, 6.0, 5.0]
    # every window of each split reached the stage once, in eval mode without gradients
    assert stage.splits == [("val", 32, False)] * 4 + [("test", 32, False)]
    assert report["test"] == {"loss": 0.0, "windows": 32.0}


def test_the_same_values_declared_max_select_the_largest(tmp_path):
    script = [{"loss": 1.0, "perplexity": 1.0, "score": s} for s in (0.2, 0.9, 0.5)]
    _, context, trainer = build(tmp_path, epochs=3, monitor="score")
    stage = Probe(script, score="max")
    assert trainer.fit(stage, context)["best_epoch"] == 2


def test_an_undeclared_monitor_fails_before_training(tmp_path):
    _, context, trainer = build(tmp_path, monitor="bleu")
    stage = Probe([])
    with pytest.raises(ConfigError, match=r"'bleu'.*declared: balanced_accuracy, loss, perplexity"):
        trainer.fit(stage, context)
    assert not (tmp_path / "checkpoints").exists() and not (tmp_path / "metrics.jsonl").exists()


def test_a_module_that_is_not_a_stage_is_refused(tmp_path):
    module, context, trainer = build(tmp_path)

    class Loose(nn.Module):
        def training_step(self, batch):
            return module.training_step(batch)

    with pytest.raises(ConfigError, match="not a neurokit Stage"):
        trainer.fit(Loose(), context)


def test_loss_noise_neither_selects_nor_resets_patience(tmp_path):
    # the failure a fresh venv showed: a tie on the metric, the loss lower in the 7th digit
    noise = 0.1 * TIE_RTOL
    script = [{"loss": 0.6906 * (1 - k * noise), "balanced_accuracy": 0.5} for k in range(6)]
    _, context, trainer = build(tmp_path, epochs=6, monitor="balanced_accuracy", early_stopping=2)
    report = trainer.fit(Probe(script), context)
    assert report["stopped_early"] and report["epochs"] == 3
    assert report["best_epoch"] == 1
    assert ckpt.load(tmp_path / "checkpoints/best.pt")["epoch"] == 1


def test_a_real_val_loss_tie_break_is_a_new_best_for_both(tmp_path):
    losses = [0.70, 0.60, 0.60 * (1 - 0.1 * TIE_RTOL), 0.65, 0.55]
    script = [{"loss": x, "balanced_accuracy": 1.0} for x in losses]
    _, context, trainer = build(tmp_path, epochs=5, monitor="balanced_accuracy", early_stopping=2)
    report = trainer.fit(Probe(script), context)
    # epoch 2 wins the tie; 3 (noise) and 4 (worse) are misses; patience 2 stops after 4
    assert report["best_epoch"] == 2 and report["stopped_early"] and report["epochs"] == 4


def test_min_delta_is_the_improvement_a_new_best_needs(tmp_path):
    script = [{"loss": 1.0, "perplexity": p} for p in (5.0, 4.95, 4.0)]
    _, context, trainer = build(tmp_path, epochs=3, min_delta=0.1)
    assert trainer.fit(Probe(script), context)["best_epoch"] == 3


def test_selection_rule():
    rule = Selection("auroc", "max", min_delta=0.0)
    assert rule.is_new_best(0.5, 1.0, None, None, first=True)
    assert rule.is_new_best(0.6, 9.0, 0.5, 1.0, first=False)  # metric first
    assert not rule.is_new_best(0.5 * (1 + 0.1 * TIE_RTOL), 9.0, 0.5, 1.0, first=False)
    assert rule.is_new_best(0.5, 0.9, 0.5, 1.0, first=False)  # tie -> lower loss
    assert not rule.is_new_best(0.5, 1.0 - 0.1 * TIE_RTOL, 0.5, 1.0, first=False)
    assert rule.is_new_best(0.5, 2.0, None, 1.0, first=False)  # a number beats None
    assert not rule.is_new_best(None, 0.1, 0.5, 1.0, first=False)
    assert rule.is_new_best(None, 0.9, None, 1.0, first=False)  # None ties None
    assert Selection("mse", "min").is_new_best(0.1, 5.0, 0.2, 1.0, first=False)


def test_progress_is_reported_as_events_and_the_cli_display_shows_them(tmp_path, capsys):
    events: list[tuple[str, dict]] = []
    script = [{"loss": 1.0, "perplexity": p} for p in (3.0, 2.0, 2.5, 2.6)]
    fit_probe(tmp_path, script, events=lambda e, d: events.append((e, d)), early_stopping=2)
    names = [e for e, _ in events]
    assert names[0] == "start" and names[-1] == "end"
    assert names.count("epoch") == 4 and names.count("early-stop") == 1
    assert "step" not in names  # trainer.progress is off in these tests
    epochs = [d for e, d in events if e == "epoch"]
    assert [d["best"] for d in epochs] == [True, True, False, False]
    assert epochs[1]["value"] == 2.0 and epochs[1]["monitor"] == "perplexity"
    assert capsys.readouterr().out == ""  # core printed nothing

    buffer = io.StringIO()
    display = TrainingDisplay(Console(file=buffer, width=120))
    with display:
        display("start", {"step": 0, "total_steps": 8, "epochs": 1, "progress": True})
        display("step", {"step": 8, "total_steps": 8, "epoch": 0, "epochs": 1, "loss": 0.5})
        for event, data in events:
            if event != "start":
                display(event, data)
    text = buffer.getvalue()
    assert "epoch 2: val loss 1.0000, perplexity 2.0000 (best)" in text
    assert "early stopping: no new best val perplexity in 2 evaluations" in text
