"""Official module structure: state-dict keys, shapes (HF Conv1D layout) and default sizes."""

from __future__ import annotations

import pytest
import torch

import neurokit

OFFICIAL_SIZES = {"gpt2meg": 22_142_208, "stgpt2meg": 12_829_440, "wavenet-fullchannel": 2_399_232}


@pytest.fixture(scope="module")
def models():
    return {name: neurokit.create("backbone", name) for name in OFFICIAL_SIZES}


@pytest.mark.parametrize("name", list(OFFICIAL_SIZES))
def test_official_default_sizes(models, name):
    assert sum(p.numel() for p in models[name].parameters()) == OFFICIAL_SIZES[name]


def test_gpt2meg_keys_are_hugging_face_gpt2(models):
    state = models["gpt2meg"].state_dict()
    layer = {
        "ln_1.weight": (384,), "ln_1.bias": (384,),
        "attn.c_attn.weight": (384, 1152), "attn.c_attn.bias": (1152,),  # Conv1D: (in, out)
        "attn.c_proj.weight": (384, 384), "attn.c_proj.bias": (384,),
        "ln_2.weight": (384,), "ln_2.bias": (384,),
        "mlp.c_fc.weight": (384, 1536), "mlp.c_fc.bias": (1536,),
        "mlp.c_proj.weight": (1536, 384), "mlp.c_proj.bias": (384,),
    }  # fmt: skip
    expected = {
        "gpt2.wte.weight": (512, 384),
        "gpt2.wpe.weight": (400, 384),
        "gpt2.ln_f.weight": (384,),
        "gpt2.ln_f.bias": (384,),
        "embeddings.quant_emb.weight": (512, 384),
        "embeddings.channel_emb.weight": (272, 384),
        "head.weight": (512, 384),
    }
    expected |= {f"gpt2.h.{i}.{k}": s for i in range(12) for k, s in layer.items()}
    assert {k: tuple(v.shape) for k, v in state.items()} == expected


def test_stgpt2meg_keys(models):
    state = models["stgpt2meg"].state_dict()
    attn = {"norm.weight": (256,), "attn.packed_proj.weight": (768, 256),
            "attn.packed_proj.bias": (768,), "attn.out_proj.weight": (256, 256),
            "attn.out_proj.bias": (256,)}  # fmt: skip
    mlp = {"norm.weight": (256,), "fc1.weight": (1024, 256), "fc1.bias": (1024,),
           "fc2.weight": (256, 1024), "fc2.bias": (256,)}  # fmt: skip
    expected = {
        "norm.weight": (256,),
        "embeddings.quant_emb.weight": (256, 256),
        "embeddings.channel_emb.weight": (274, 256),
        "head.weight": (256, 256),
    }
    for i in range(8):
        for part in ("temporal_attn", "spatial_attn"):
            expected |= {f"blocks.{i}.{part}.{k}": s for k, s in attn.items()}
        for part in ("temporal_mlp", "spatial_mlp"):
            expected |= {f"blocks.{i}.{part}.{k}": s for k, s in mlp.items()}
    assert {k: tuple(v.shape) for k, v in state.items()} == expected  # inv_freq_t not saved


def test_wavenet_keys(models):
    state = models["wavenet-fullchannel"].state_dict()
    expected = {
        "embedding_layer.quant_emb": (272, 256, 32),
        "logits.transform.2.weight": (32, 128, 1),
        "logits.transform.2.bias": (32,),
        "logits.transform.5.weight": (256, 32, 1),
        "logits.transform.5.bias": (256,),
    }
    for i in range(17):
        k = 1 if i == 0 else 2
        expected |= {
            f"layers.{i}.conv_dilation.weight": (64, 32, k),
            f"layers.{i}.conv_dilation.bias": (64,),
            f"layers.{i}.conv_res.weight": (32, 32, 1),
            f"layers.{i}.conv_res.bias": (32,),
            f"layers.{i}.conv_skip.weight": (128, 32, 1),
            f"layers.{i}.conv_skip.bias": (128,),
        }
    assert {k: tuple(v.shape) for k, v in state.items()} == expected
    assert models["wavenet-fullchannel"].receptive_field == 129  # every layer reads the embedding


def test_official_yaml_validates_and_typos_are_clear():
    from pydantic import ValidationError

    from neurokit.plugins.models.forecast.config import GPT2MEGConfig

    official = {
        "num_channels": 272,
        "embedding_args": {"channel_emb": 384, "quant_emb": 384},
        "gpt2_config": {"vocab_size": 512, "n_positions": 400, "n_embd": 384, "n_layer": 12,
                        "n_head": 16, "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
                        "bos_token_id": 511, "eos_token_id": 511, "name_or_path": None,
                        "use_cache": False},
    }  # fmt: skip
    assert GPT2MEGConfig(**official).gpt2_config.n_positions == 400
    with pytest.raises(ValidationError, match="n_embdd"):
        GPT2MEGConfig(gpt2_config={"n_embdd": 10})
    with pytest.raises(ValidationError, match="quant_emb"):
        GPT2MEGConfig(embedding_args={"quant_emb": 100})


@pytest.mark.parametrize("name", list(OFFICIAL_SIZES))
def test_output_convention(name):
    from tests.models.forecast.helpers import TINY

    model = neurokit.create("backbone", name, **TINY[name]).eval()
    x = torch.randint(0, 256, (2, 4, 10))
    logits = model(x)
    assert logits.shape == (2, 4, 10, 256)
    # causal: changing step 6 changes no output before step 6
    y = x.clone()
    y[:, :, 6] = (y[:, :, 6] + 7) % 256
    with torch.no_grad():
        a, b = model(x), model(y)
    torch.testing.assert_close(a[:, :, :6], b[:, :, :6])
    assert not torch.allclose(a[:, :, 6:], b[:, :, 6:])
