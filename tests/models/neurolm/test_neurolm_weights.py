"""Released NeuroLM files (synthesized at toy size) load strictly through the weights service."""

from __future__ import annotations

import pytest
import torch

from neurokit.core.errors import WeightsError
from neurokit.plugins.models.neurolm.model import NeuroLM
from neurokit.plugins.models.neurolm.tokenizer import VQ, VQAlign
from neurokit.plugins.models.neurolm.weights import (
    lm_config_from,
    load_lm,
    load_lm_tokenizer,
    load_vq,
    tokenizer_config_from,
)
from tests.models.neurolm.tiny import (
    DEC,
    ENC,
    eeg_batch,
    tiny_lm_config,
    tiny_vq_config,
    write_release,
)


def test_vq_release_loads_strictly_and_reproduces_codes(tmp_path, tiny_vq):
    x, chans, times, mask = eeg_batch()
    tiny_vq.VQ.get_codebook_indices(x, chans, times, mask)  # k-means init: a trained codebook
    enc = {
        **ENC,
        "block_size": 1024,
        "bias": False,
        "dropout": 0.0,
        "num_classes": 0,
        "in_chans": 1,
    }
    dec = {**DEC, "block_size": 1024, "bias": False, "dropout": 0.0, "num_classes": 0}
    write_release(tmp_path / "VQ.pt", tiny_vq, encoder_args=enc, decoder_args=dec)
    config = tokenizer_config_from(
        tmp_path / "VQ.pt", n_embed=64, embed_dim=16, text_vocab_size=100
    )
    assert config.encoder_args.n_embd == 32 and config.decoder_args.n_layer == 1
    fresh = VQAlign.from_config(config).eval()
    report = load_vq(fresh, tmp_path / "VQ.pt")
    assert not report.missing and not report.unexpected
    tiny_vq.eval()
    want = tiny_vq.VQ.get_codebook_indices(x, chans, times, mask)
    assert torch.equal(fresh.VQ.get_codebook_indices(x, chans, times, mask), want)
    bare = VQ(config.encoder_args, config.decoder_args, n_embed=64, embed_dim=16)
    load_vq(bare, tmp_path / "VQ.pt")  # the bare VQ takes the `VQ.` part
    assert torch.equal(bare.quantize.embedding.weight, fresh.VQ.quantize.embedding.weight)


def test_lm_release_loads_strictly_and_its_tokenizer_comes_from_vq(tmp_path, tiny_lm, tiny_vq):
    args = dict(
        n_layer=2, n_head=2, n_embd=48, block_size=64, bias=True, vocab_size=128, dropout=0.0
    )
    write_release(tmp_path / "NeuroLM-B.pt", tiny_lm, model_args=args)
    config = lm_config_from(
        tmp_path / "NeuroLM-B.pt",
        padded_vocab_size=128,
        text_vocab_size=100,
        eeg_vocab_size=64,
        encoder_args=tiny_lm_config().encoder_args,
    )
    assert config.vocab_size == 128 and config.n_embd == 48
    fresh = NeuroLM(config).eval()
    load_lm(fresh, tmp_path / "NeuroLM-B.pt")
    text = torch.randint(0, 100, (2, 5))
    assert torch.equal(fresh(None, None, text, None)[2], tiny_lm(None, None, text, None)[2])

    write_release(tmp_path / "VQ.pt", tiny_vq)
    report = load_lm_tokenizer(fresh, tmp_path / "VQ.pt")
    assert len(report.loaded) == len(fresh.tokenizer.state_dict())
    assert torch.equal(fresh.tokenizer.pos_embed.weight, tiny_vq.VQ.encoder.pos_embed.weight)


def test_a_checkpoint_of_another_size_is_refused_with_the_keys_named(tmp_path, tiny_vq):
    write_release(tmp_path / "VQ.pt", tiny_vq)
    other = VQAlign.from_config(tiny_vq_config(n_embed=32))
    with pytest.raises(WeightsError, match="quantize.embedding.weight"):
        load_vq(other, tmp_path / "VQ.pt")
    lm = NeuroLM(tiny_lm_config())
    with pytest.raises(WeightsError, match="no NeuroLM language-model weights"):
        load_lm(lm, tmp_path / "VQ.pt")
