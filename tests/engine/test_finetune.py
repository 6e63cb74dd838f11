"""The finetune task and the classification/regression objectives."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from neurokit import get_component
from neurokit.core.config import RunConfig
from neurokit.core.data.batch import Batch
from neurokit.core.errors import ConfigError, DataError, WeightsError
from neurokit.core.interfaces import DataInfo, RunContext


def batch(labels) -> Batch:
    n = len(labels)
    return Batch(
        signal=torch.randn(n, 3, 64) * 30,
        channel_mask=torch.ones(n, 3, dtype=torch.bool),
        positions=torch.zeros(n, 3, 3),
        channel_names=[["C3", "C4", "CZ"]] * n,
        sfreq=32.0,
        label=torch.tensor(labels),
    )


def module(classes, label_kind="class", counts=None, task=None, objective=None):
    task_obj = get_component("task", "finetune").create(**(task or {}))
    name = objective or task_obj.default_objective
    context = RunContext(
        config=RunConfig.model_validate({"dataset": "x"}),
        task_config=task_obj.config,
        data=DataInfo(
            sfreq=32.0,
            window_samples=64,
            class_names=classes,
            label_kind=label_kind,
            class_counts=counts,
        ),
        backbone=get_component("backbone", "tiny-cnn").create(width=8, depth=2, dropout=0.0),
        objective=get_component("objective", name).create(
            **({"class_weights": "balanced"} if counts else {})
        ),
    )
    return task_obj.build(context)


def test_binary_uses_one_logit_and_bce():
    m = module(["normal", "abnormal"])
    b = batch([0, 1, 1])
    logits = m.logits(b)
    assert logits.shape == (3, 1)
    step = m.evaluation_step(b)
    assert step.loss.item() == pytest.approx(
        F.binary_cross_entropy_with_logits(logits.reshape(-1), b.label.float()).item(), rel=1e-5
    )
    assert (
        step.predictions.shape == (3,) and ((step.predictions >= 0) & (step.predictions <= 1)).all()
    )
    assert m.monitor == "balanced_accuracy"


def test_multiclass_cross_entropy_with_balanced_class_weights():
    m = module(["a", "b", "c"], counts=[6, 2, 2])
    b = batch([0, 1, 2, 1])
    logits = m.logits(b)
    weight = torch.tensor([10 / 18, 10 / 6, 10 / 6])
    expected = F.cross_entropy(logits, b.label, weight=weight)
    assert m.training_step(b).loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert torch.allclose(m.evaluation_step(b).predictions.sum(-1), torch.ones(4))


def test_regression_on_continuous_labels():
    m = module([], label_kind="continuous", task={"mode": "regression"})
    b = batch([0.5, -1.0])
    b.label = b.label.float()
    assert m.logits(b).shape == (2, 1) and m.monitor == "mse"
    metrics = m.compute_metrics(m.evaluation_step(b).predictions.detach().numpy(), b.label.numpy())
    assert set(metrics) >= {"mse", "mae", "r2"}


def test_unusable_data_is_a_clear_error():
    with pytest.raises(DataError, match="no labels"):
        module([], label_kind="none")
    with pytest.raises(DataError, match="at least 2"):
        module(["only"])
    with pytest.raises(ConfigError, match="binary needs 2 classes"):
        module(["a", "b", "c"], task={"mode": "binary"})


def test_pretrained_backbone_weights_load_and_freeze(tmp_path):
    source = module(["a", "b"])
    torch.save({"model": source.state_dict()}, tmp_path / "best.pt")
    m = module(
        ["a", "b", "c"], task={"pretrained": str(tmp_path / "best.pt"), "freeze_backbone": True}
    )
    for name, value in source.backbone.state_dict().items():
        if not name.startswith("head"):
            assert torch.equal(m.backbone.state_dict()[name], value), name
    assert m.backbone.head.out_features == 3
    assert {n for n, p in m.named_parameters() if p.requires_grad} == {
        "backbone.head.weight",
        "backbone.head.bias",
    }


def test_pretrained_weights_of_another_backbone_are_one_clear_error(tmp_path):
    """task.pretrained loads strictly: only the new classifier may differ from the file."""
    other = get_component("backbone", "tiny-cnn").create(width=16, depth=2, num_classes=2)
    torch.save(
        {"model": {f"backbone.{k}": v for k, v in other.state_dict().items()}}, tmp_path / "w.pt"
    )
    with pytest.raises(WeightsError) as info:
        module(["a", "b", "c"], task={"pretrained": str(tmp_path / "w.pt")})
    message = str(info.value)
    assert message.startswith("task.pretrained:") and "w.pt" in message
    assert "shape mismatch (file vs model)" in message and "(16," in message
    assert "head." not in message  # the classifier starts fresh whatever the file holds
