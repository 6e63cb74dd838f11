"""Warmup + cosine: the lr each optimiser step actually uses."""

from __future__ import annotations

import math

import pytest
import torch

from neurokit.core.engine.schedule import make_scheduler, warmup_cosine


def test_warmup_is_linear_from_start_then_cosine_to_floor():
    total, warmup = 20, 5
    values = [warmup_cosine(s, total, warmup, min_ratio=0.1) for s in range(total + 3)]
    assert values[:6] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    mid = warmup + (total - warmup) / 2
    assert warmup_cosine(int(mid), total, warmup, 0.1) == pytest.approx(
        0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 7 / 15))
    )
    assert values[total] == pytest.approx(0.1)
    assert values[-1] == pytest.approx(0.1)  # stays at the floor past the end
    assert all(a >= b for a, b in zip(values[5:], values[6:], strict=False))  # monotone decay


def test_scheduler_drives_every_group_with_its_scale():
    w = torch.nn.Parameter(torch.zeros(2))
    v = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.AdamW([{"params": [w], "lr": 1e-3}, {"params": [v], "lr": 0.5e-3}], lr=1e-3)
    sched = make_scheduler(
        opt, total_steps=10, warmup_steps=2, lr=1e-3, min_lr=1e-5, warmup_start_lr=1e-4
    )
    seen = []
    for _ in range(11):
        seen.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    assert seen[0] == pytest.approx([1e-4, 0.5e-4])  # warmup start, scaled per group
    assert seen[2] == pytest.approx([1e-3, 0.5e-3])  # peak
    assert seen[10] == pytest.approx([1e-5, 0.5e-5])  # floor, scaled like LaBraM's min_lr
    assert set(sched.state_dict()) >= {"last_epoch", "base_lrs"}
