"""GPT-2 initialisation and BPE from a local Hugging Face directory (built in the test)."""

from __future__ import annotations

import pytest
import torch

from neurokit.core.errors import ConfigError
from neurokit.plugins.models.neurolm.model import NeuroLM
from neurokit.plugins.models.neurolm.tokenizer import VQAlign
from tests.models.neurolm.tiny import tiny_lm_config, tiny_vq_config

CORPUS = [
    "Question: Is this EEG segment abnormal? Answer: Yes",
    "Question: Is this EEG segment abnormal? Answer: No",
    "Question: Which sleep type does this EEG segment belong to? Answer: (A)",
] * 20


@pytest.fixture(scope="module")
def bpe_dir(tmp_path_factory):
    """vocab.json + merges.txt of a small byte-level BPE (tokenizers: in the dev extra)."""
    tokenizers = pytest.importorskip("tokenizers")
    root = tmp_path_factory.mktemp("gpt2")
    bpe = tokenizers.ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        CORPUS, vocab_size=300, min_frequency=1, special_tokens=["<|endoftext|>"]
    )
    bpe.save_model(str(root))
    return root, bpe.get_vocab_size()


@pytest.fixture(scope="module")
def gpt2_dir(bpe_dir):
    """The BPE plus a tiny HF GPT-2 (config.json + model.safetensors; needs transformers)."""
    transformers = pytest.importorskip("transformers")
    root, vocab = bpe_dir
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=vocab,
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        activation_function="gelu",  # nanoGPT's exact GELU, so logits compare exactly
    )
    model = transformers.GPT2LMHeadModel(config).eval()
    model.save_pretrained(str(root))  # config.json + model.safetensors
    return root, model


def test_lm_initialised_from_local_gpt2_matches_it(gpt2_dir):
    root, hf = gpt2_dir
    vocab = hf.config.vocab_size
    lm = NeuroLM(tiny_lm_config(gpt2_path=str(root), padded_vocab_size=320, text_vocab_size=vocab))
    lm.eval()
    assert lm.GPT2.config.n_embd == 32 and lm.GPT2.config.bias
    ids = torch.randint(0, vocab, (2, 10))
    _, _, logits = lm(None, None, ids, torch.zeros_like(ids))
    with torch.no_grad():
        want = hf(ids).logits
    assert torch.allclose(logits[..., :vocab], want, atol=1e-5)
    # enlarged rows: wte keeps GPT-2's first rows, lm_head starts with GPT-2's (tied) rows
    wte = hf.transformer.wte.weight
    assert torch.equal(lm.GPT2.transformer.wte.weight[:vocab], wte)
    assert torch.equal(lm.GPT2.lm_head.weight[:vocab], wte)
    assert lm.GPT2.lm_head.weight.shape[0] == 320 + 64


def test_tokenizer_wte_comes_from_local_gpt2(gpt2_dir):
    root, hf = gpt2_dir
    vq = VQAlign.from_config(
        tiny_vq_config(gpt2_path=str(root), text_vocab_size=hf.config.vocab_size)
    )
    assert torch.equal(vq.wte.weight, hf.transformer.wte.weight)
    with pytest.raises(ConfigError, match="wte"):
        VQAlign.from_config(tiny_vq_config(gpt2_path=str(root)))  # 100 rows != the file's


def test_bpe_round_trips_prompts_and_knows_endoftext(bpe_dir):
    from neurokit.plugins.models.neurolm.bpe import GPT2BPE

    root, _ = bpe_dir
    bpe = GPT2BPE(root)
    text = "Question: Is this EEG segment abnormal? Answer: Yes"
    ids = bpe.encode(text)
    assert bpe.decode(ids) == text and len(ids) < len(text)
    eot = bpe.token_id("<|endoftext|>")
    assert eot is not None
    # the official tiktoken call allows the special token: one id, not three BPE pieces
    target = text + " <|endoftext|>"
    ids = bpe.encode(target)
    assert ids == bpe.encode(text + " ") + [eot] and ids.count(eot) == 1
    assert bpe.decode(ids) == target


def test_missing_files_are_clear_errors(tmp_path):
    from neurokit.plugins.models.neurolm.bpe import GPT2BPE

    pytest.importorskip("tokenizers")
    with pytest.raises(ConfigError, match="vocab.json"):
        GPT2BPE(tmp_path)
    with pytest.raises(ConfigError, match="config.json"):
        NeuroLM(tiny_lm_config(gpt2_path=str(tmp_path)))
