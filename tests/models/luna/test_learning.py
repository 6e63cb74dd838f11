"""LUNA learns: masked-reconstruction loss falls, fine-tuning solves a separable task."""

from __future__ import annotations

import math

import torch

import neurokit
from neurokit.core.data.batch import Batch
from tests.models.luna.helpers import TCP, TEN_TWENTY, make_batch


def _rhythms(montages, freqs, seed, seconds=2.0, sfreq=256.0) -> Batch:
    """Each sample: one rhythm at the sample's frequency and phase, seen by every channel
    (LUNA compresses the channels into Q queries, so a shared source is learnable)."""
    g = torch.Generator().manual_seed(seed)
    batch = make_batch(montages, seconds=seconds, sfreq=sfreq, seed=seed)
    t = torch.arange(batch.signal.shape[-1]) / sfreq
    for i, (names, f) in enumerate(zip(montages, freqs, strict=True)):
        phase = 2 * math.pi * torch.rand(1, generator=g)
        noise = 5 * torch.randn(len(names), t.numel(), generator=g)
        batch.signal[i, : len(names)] = 40 * torch.sin(2 * math.pi * f * t + phase) + noise
    return batch


def test_masked_reconstruction_loss_falls(small_luna):
    torch.manual_seed(0)
    model = small_luna().train()
    objective = neurokit.create("objective", "masked-reconstruction")
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    montages = [TCP[:8], TEN_TWENTY[:6]] * 3
    losses = []
    for step in range(30):
        batch = _rhythms(montages, [10.0] * len(montages), seed=step)  # random phases
        result = objective(model.pretraining_outputs(batch, mask_ratio=0.5), batch)
        optimiser.zero_grad()
        result.loss.backward()
        optimiser.step()
        losses.append(result.logs["masked_loss"].item())
        assert set(result.logs) == {"masked_loss", "unmasked_loss", "query_loss"}
    start, end = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    print(f"masked loss {start:.3f} -> {end:.3f}")
    assert end < 0.7 * start, (start, end)


def test_finetuning_learns_a_separable_task(small_luna):
    """Slow (6 Hz) vs fast (18 Hz) rhythms on mixed montages: solved after a short fit."""
    torch.manual_seed(0)
    model = small_luna(num_classes=2, drop_path=0.1)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    montages = [TCP, TEN_TWENTY] * 4

    def data(seed):
        labels = torch.randint(
            0, 2, (len(montages),), generator=torch.Generator().manual_seed(seed)
        )
        batch = _rhythms(montages, [6.0 if y == 0 else 18.0 for y in labels.tolist()], seed)
        return batch, labels

    model.train()
    for step in range(30):
        batch, labels = data(step)
        loss = torch.nn.functional.cross_entropy(
            model.forward_batch(batch).extras["logits"], labels
        )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for seed in range(1000, 1004):
            batch, labels = data(seed)
            correct += (
                (model.forward_batch(batch).extras["logits"].argmax(1) == labels).sum().item()
            )
            total += labels.numel()
    assert correct / total >= 0.95, correct / total


def test_query_specialisation_term():
    from neurokit.plugins.models.luna.losses import query_specialisation

    disjoint = torch.tensor([[[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]]])
    shared = torch.full((1, 2, 4), 0.25)
    assert query_specialisation(disjoint).item() == 0.0
    # A A^T = 0.25 everywhere; two off-diagonal cells of four: mean(0.0625 * [0,1,1,0]) = 0.03125
    assert abs(query_specialisation(shared).item() - 0.03125) < 1e-7
