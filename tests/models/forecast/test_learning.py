"""Each forecaster learns: next-step accuracy beats repeating the last token.

Synthetic MEG-like windows (two rhythms mixed into covarying channels, mu-law 256) are
forecastable from their recent past; a short plain-torch loop on a tiny model must lift
held-out next-step accuracy well above the repeat-last-token baseline.
"""

from __future__ import annotations

import pytest
import torch

import neurokit
from neurokit.plugins.models.forecast.losses import next_step_loss
from tests.models.forecast.helpers import TINY, oscillation_codes


@pytest.mark.parametrize("name", list(TINY))
def test_beats_repeat_last_token(name):
    torch.manual_seed(0)
    model = neurokit.create("backbone", name, **TINY[name])
    train = oscillation_codes(256, seed=0, steps=48)
    test = oscillation_codes(32, seed=1, steps=48)
    with torch.no_grad():
        _, before = next_step_loss(model.eval()(test), test)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(50):
        x = train[torch.randint(0, len(train), (8,))]
        loss, _ = next_step_loss(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        _, after = next_step_loss(model.eval()(test), test)
    repeat = after["repeat_accuracy"]
    assert before["accuracy"] < repeat  # untrained: no better than repeating
    assert after["accuracy"] > 1.5 * repeat, (after, repeat)
