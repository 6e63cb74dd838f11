"""Without the `[neurolm]` extra (`tokenizers`, `transformers`), a GPT-2 BPE directory is one
clear ConfigError naming the extra, in the text encoder and in a run that asks for it;
everything else (byte tokens, GPT-2 weights through safetensors) needs neither package."""

from __future__ import annotations

import json
import sys

import pytest

import neurokit
from neurokit.core.errors import ConfigError
from neurokit.plugins.models.neurolm.family import SMALL_ENCODER
from neurokit.plugins.models.neurolm.model import NeuroLM
from neurokit.plugins.models.neurolm.text import text_encoder
from tests.models.neurolm.tiny import tiny_lm_config

EXTRA = r"pip install 'neurokit\[neurolm\]'"


@pytest.fixture
def without_extra(monkeypatch, tmp_path):
    """The extra's packages fail to import (None in sys.modules); a GPT-2 BPE directory."""
    for name in ("tokenizers", "transformers"):
        monkeypatch.setitem(sys.modules, name, None)
    gpt2 = tmp_path / "gpt2"
    gpt2.mkdir()
    (gpt2 / "vocab.json").write_text(json.dumps({"a": 0, "b": 1, "ab": 2}))
    (gpt2 / "merges.txt").write_text("#version: 0.2\na b\n")
    return gpt2


def test_the_bpe_names_the_extra_and_byte_tokens_need_nothing(without_extra):
    with pytest.raises(ConfigError, match=EXTRA):
        text_encoder(str(without_extra))
    byte = text_encoder(None)  # no directory: byte tokens, no optional package
    assert byte.decode(byte.encode("Answer: Yes")) == "Answer: Yes"
    NeuroLM(tiny_lm_config())  # the model itself needs neither


def test_a_run_asking_for_the_bpe_fails_cleanly_before_its_run_dir(
    without_extra, neurokit_demo_store, tmp_path
):
    out = tmp_path / "runs"
    spec = neurokit.RunSpec(
        model="neurolm",
        stage="instruct",
        config={"data": {"store": str(neurokit_demo_store)}},
        overrides={
            "output_dir": str(out),
            "dataset.name": "demo",
            "data.max_windows": 8,
            "data.window_seconds": 2,
            "trainer.progress": False,
            "task.gpt2_path": str(without_extra),
            **{f"model.{k}": v for k, v in dict(n_layer=1, n_head=2, n_embd=32).items()},
            "model.encoder_args": SMALL_ENCODER,
        },
    )
    with pytest.raises(ConfigError, match=EXTRA):
        neurokit.train(spec)
    assert not out.exists()
