"""NeuroLM's official structure: key names and shapes, parameter counts, registration."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from neurokit.plugins.models.neurolm.config import (
    VARIANT_CONFIGS,
    NeuroLMVQConfig,
    encoder_defaults,
)
from neurokit.plugins.models.neurolm.model import NeuroLM
from neurokit.plugins.models.neurolm.tokenizer import NeuralTransformer, VQAlign

HERE = Path(__file__).parent


def _official(name: str) -> dict[str, str]:
    """key -> shape, as listed from the official modules (VQ_Align, NeuroLM-B scratch)."""
    rows = (HERE / name).read_text().splitlines()
    return dict(row.split(" ", 1) for row in rows if row)


def _ours(model: torch.nn.Module) -> dict[str, str]:
    return {k: str(tuple(v.shape)) for k, v in model.state_dict().items()}


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_tokenizer_keys_and_shapes_are_the_official():
    with torch.device("meta"):
        vq = VQAlign.from_config(NeuroLMVQConfig())
    assert _ours(vq) == _official("official_keys_vq.txt")


def test_lm_b_keys_and_shapes_are_the_official():
    with torch.device("meta"):
        lm = NeuroLM(VARIANT_CONFIGS["neurolm-b"]())
    assert _ours(lm) == _official("official_keys_lm_b.txt")
    assert lm.GPT2.config.vocab_size == 50304
    assert lm.GPT2.lm_head.weight.shape[0] == 50304 + 8192
    assert lm.GPT2.lm_head.weight is not lm.GPT2.transformer.wte.weight  # untied
    assert not any(p.requires_grad for p in lm.tokenizer.parameters())


def test_released_tokenizer_encoder_has_the_official_count():
    with torch.device("meta"):
        assert _count(NeuralTransformer(encoder_defaults())) == 85_510_272


@pytest.mark.parametrize(
    ("name", "total", "without_wpe"),
    [("neurolm-b", 255_107_712, 254_321_280), ("neurolm-l", 501_331_072, None)],
)
def test_lm_variants_have_the_official_counts(name, total, without_wpe):
    with torch.device("meta"):
        lm = NeuroLM(VARIANT_CONFIGS[name]())
    assert _count(lm) == total
    if without_wpe:
        assert lm.get_num_params() == without_wpe
    if name == "neurolm-l":  # Linear + GELU from the 768-wide encoder to the 1024-wide GPT
        assert lm.encode_transform_layer[0].weight.shape == (1024, 768)


@pytest.mark.slow
def test_lm_xl_has_the_official_count():
    with torch.device("meta"):
        assert _count(NeuroLM(VARIANT_CONFIGS["neurolm-xl"]())) == 1_738_430_272


def test_components_are_registered():
    import neurokit

    names = set(neurokit.list_components(pattern="neurolm*"))
    assert {"tokenizer:neurolm-vq", "backbone:neurolm-b"} <= names
    assert {"backbone:neurolm-l", "backbone:neurolm-xl"} <= names
    lm = neurokit.create(
        "backbone",
        "neurolm-b",
        n_layer=1,
        n_head=2,
        n_embd=32,
        block_size=32,
        vocab_size=50,
        padded_vocab_size=64,
        text_vocab_size=50,
        eeg_vocab_size=16,
        encoder_args=dict(n_layer=1, n_head=2, n_embd=32, out_chans=8),
    )
    assert isinstance(lm, NeuroLM) and lm.GPT2.lm_head.weight.shape == (80, 32)


def test_a_bad_override_is_a_clear_config_error():
    import neurokit
    from neurokit.core.errors import NeurokitError

    with pytest.raises((NeurokitError, ValueError), match="divisible"):
        neurokit.create("backbone", "neurolm-b", n_embd=50, n_head=12)
