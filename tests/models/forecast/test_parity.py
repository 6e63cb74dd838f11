"""Numerics parity with the official ephys_gpt code (dev-time; skipped unless FORECAST_REF is set).

Run:  FORECAST_REF=/path/to/brain-forecast pytest tests/models/forecast/test_parity.py

FORECAST_REF is a checkout of github.com/ricsinaruto/brain-forecast (@d5caa40). Needs
einops (STGPT2MEG) and transformers (GPT2MEG). The official modules are loaded from their
files under stub packages so that Lightning and the video tokenizers are not imported.
Weights are built by the official classes, loaded strictly into neurokit's, and logits must
agree to 1e-5.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path

import pytest
import torch

import neurokit

REF = os.environ.get("FORECAST_REF")
pytestmark = pytest.mark.skipif(not REF, reason="set FORECAST_REF to a brain-forecast checkout")


def _package(name: str, path: Path | None) -> types.ModuleType:
    module = sys.modules.get(name) or types.ModuleType(name)
    module.__path__ = [str(path)] if path else []
    sys.modules[name] = module
    return module


def _load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def official():
    root = Path(REF) / "ephys_gpt"
    _package("ephys_gpt", root)
    _package("ephys_gpt.layers", root / "layers")
    _package("ephys_gpt.models", root / "models")
    _package("ephys_gpt.training", None)
    _package("ephys_gpt.models.tokenizers", None)
    lightning = types.ModuleType("ephys_gpt.training.lightning")
    lightning.LitModel = object
    emu3 = types.ModuleType("ephys_gpt.models.tokenizers.emu3")
    emu3.Emu3VisionVQ = object
    sys.modules.update({lightning.__name__: lightning, emu3.__name__: emu3})
    return root


def _compare(ours, theirs, x, **kw):
    from neurokit.plugins.models.forecast.weights import load_weights

    load_weights(ours, theirs.state_dict())  # strict, after the official-checkpoint filter
    ours.eval(), theirs.eval()
    with torch.no_grad():
        a, b = ours(x, **kw), theirs(x, **kw)
    diff = (a - b).abs().max().item()
    print(f"{type(ours).__name__}: max |diff| = {diff:.2e}")
    assert diff < 1e-5


def test_wavenet(official):
    ref = _load("ephys_gpt.models.wavenet", official / "models" / "wavenet.py")
    from tests.models.forecast.helpers import TINY

    cfg = {**TINY["wavenet-fullchannel"], "cond_channels": None}
    torch.manual_seed(0)
    _compare(neurokit.create("backbone", "wavenet-fullchannel", **cfg),
             ref.WavenetFullChannel(**cfg), torch.randint(0, 256, (2, 4, 50)))  # fmt: skip


def test_stgpt2meg(official):
    pytest.importorskip("einops")
    ref = _load("ephys_gpt.models.stgpt2meg", official / "models" / "stgpt2meg.py")
    from tests.models.forecast.helpers import TINY

    cfg = TINY["stgpt2meg"]
    trf = {**cfg["trf_args"], "attn_type": "standard", "mlp_type": "standard"}
    trf["attn_args"] = {**trf["attn_args"], "rope": True}
    torch.manual_seed(0)
    theirs = ref.STGPT2MEG(cfg["num_channels"], cfg["vocab_size"], cfg["d_model"],
                           cfg["layers"], trf)  # fmt: skip
    _compare(neurokit.create("backbone", "stgpt2meg", **cfg), theirs,
             torch.randint(0, 256, (2, 4, 30)))  # fmt: skip


def test_gpt2meg(official):
    pytest.importorskip("einops")
    pytest.importorskip("transformers")
    legacy = Path(REF) / "legacy" / "models" / "gpt2meg.py"
    ref = _load("ephys_gpt.models.gpt2meg", legacy)
    from tests.models.forecast.helpers import TINY

    cfg = TINY["gpt2meg"]
    torch.manual_seed(0)
    theirs = ref.GPT2MEG(cfg["num_channels"], dict(cfg["gpt2_config"]), dict(cfg["embedding_args"]))
    _compare(neurokit.create("backbone", "gpt2meg", **cfg), theirs,
             torch.randint(0, 256, (2, 4, 30)))  # fmt: skip
