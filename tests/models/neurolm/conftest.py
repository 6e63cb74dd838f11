"""Fixtures: tiny NeuroLM tokenizer and language model."""

from __future__ import annotations

import pytest
import torch

from tests.models.neurolm.tiny import tiny_lm_config, tiny_vq_config


@pytest.fixture
def tiny_vq():
    from neurokit.plugins.models.neurolm.tokenizer import VQAlign

    torch.manual_seed(0)
    return VQAlign.from_config(tiny_vq_config())


@pytest.fixture
def tiny_lm():
    from neurokit.plugins.models.neurolm.model import NeuroLM

    torch.manual_seed(0)
    return NeuroLM(tiny_lm_config()).eval()
