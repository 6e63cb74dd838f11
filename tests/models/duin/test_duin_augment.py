"""Du-IN's shift augmentation: bounded, zero(mean)-filled, training batches only."""

from __future__ import annotations

import torch

from neurokit.plugins.models.duin.augment import random_shift
from neurokit.plugins.models.duin.stages import _finetune_module_class
from tests.helpers import make_batch


def test_shift_moves_each_trial_and_fills_with_the_channel_mean():
    t = 1000
    x = torch.arange(t, dtype=torch.float32).repeat(8, 3, 1) + 5.0  # ramp: value = index + 5
    g = torch.Generator().manual_seed(0)
    out = random_shift(x, 300, g)
    shifts = torch.randint(-300, 301, (8,), generator=torch.Generator().manual_seed(0))
    assert shifts.abs().max() <= 300 and len(shifts.unique()) > 4
    for b, s in enumerate(shifts.tolist()):
        kept = slice(max(s, 0), t + min(s, 0))
        src = slice(max(-s, 0), t - max(s, 0))
        assert torch.equal(out[b, :, kept], x[b, :, src])
        gap = torch.ones(t, dtype=torch.bool)
        gap[kept] = False
        assert torch.allclose(
            out[b, :, gap], x[b, :, :].mean(-1, keepdim=True).expand(3, t)[:, gap]
        )
    assert torch.equal(random_shift(x, 0), x)


class _Recorder(torch.nn.Module):
    """Backbone stand-in that records the signals it is given."""

    def __init__(self):
        super().__init__()
        self.seen = []
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward_batch(self, batch):
        from neurokit.core.interfaces import BackboneOutput

        self.seen.append(batch.signal.clone())
        logits = torch.zeros(len(batch), 2) + self.w
        return BackboneOutput(pooled=logits, tokens=None, extras={"logits": logits})


def test_only_training_batches_are_shifted():
    from neurokit.plugins.models.duin.stages import OfficialCrossEntropy

    backbone = _Recorder()
    stage = _finetune_module_class()(backbone, OfficialCrossEntropy(), "multiclass", 2, ["a", "b"])
    stage.max_shift = 300
    batch = make_batch([["C0", "C1"]] * 4, seconds=1.0, sfreq=1000.0)
    batch.signal = torch.randn(4, 2, 1000)
    batch.label = torch.tensor([0, 1, 0, 1])
    original = batch.signal.clone()
    stage.evaluation_step(batch)
    stage.training_step(batch)
    assert torch.equal(backbone.seen[0], original)  # eval: untouched
    assert not torch.equal(backbone.seen[1], original)  # train: shifted
    assert torch.equal(batch.signal, original)  # the caller's batch is not modified
