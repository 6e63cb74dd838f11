"""Fixtures of the LUNA tests."""

from __future__ import annotations

import pytest
import torch

from tests.models.luna.helpers import SMALL


@pytest.fixture
def small_luna():
    """Factory for a small LUNA built through the registry."""
    import neurokit

    def build(**overrides):
        torch.manual_seed(0)
        return neurokit.create("backbone", "luna-base", **{**SMALL, **overrides})

    return build
