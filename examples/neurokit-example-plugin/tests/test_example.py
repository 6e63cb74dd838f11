"""The plugin's own behaviour; neurokit's contract suite runs beside it with --neurokit-contract."""

from __future__ import annotations

import pytest
import torch
from neurokit_example_plugin import TEN_TWENTY

import neurokit
from neurokit.testing import make_batch


def test_backbone_learns_alpha_power():
    """A few steps separate windows with and without a 10 Hz rhythm."""
    torch.manual_seed(0)
    model = neurokit.create_model("example-shallow", num_classes=2, filters=8)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    batch = make_batch([TEN_TWENTY] * 16, seconds=2.0, sfreq=200.0, amplitude=10.0)
    labels = torch.arange(16) % 2
    t = torch.arange(batch.num_samples) / 200.0
    batch.signal[labels == 1] += 30.0 * torch.sin(2 * torch.pi * 10.0 * t)
    for _ in range(30):
        loss = torch.nn.functional.cross_entropy(
            model.forward_batch(batch).extras["logits"], labels
        )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    predicted = model.forward_batch(batch).extras["logits"].argmax(-1)
    assert (predicted == labels).float().mean() == 1.0


def test_a_bad_label_names_the_line(tmp_path, corpus):
    raw = corpus(tmp_path / "raw", subjects=2)
    text = (raw / "labels.csv").read_text().replace("abnormal", "weird")
    (raw / "labels.csv").write_text(text)
    dataset = neurokit.create("dataset", "example-npy")
    with pytest.raises(neurokit.DataError, match="line 3: label 'weird'"):
        dataset.discover(raw)
