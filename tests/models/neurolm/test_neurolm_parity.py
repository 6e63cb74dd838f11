"""Numerics parity with the official NeuroLM code (dev-time; skipped unless NEUROLM_REF is set).

Run:  NEUROLM_REF=/tmp/neurolm_ref PYTHONPATH=/path/with/einops pytest tests/models/neurolm/test_neurolm_parity.py

NEUROLM_REF is a checkout of github.com/935963004/NeuroLM (needs einops; transformers is
stubbed when absent). Official modules are built at a small size (the official patch
embedding fixes the encoder width at 768), their weights are copied into ours by state
dict, and outputs must agree.
"""

from __future__ import annotations

import pytest
import torch

from neurokit.plugins.models.neurolm.config import NeuroLMConfig, NTArgs
from neurokit.plugins.models.neurolm.model import NeuroLM, gpt_mask
from neurokit.plugins.models.neurolm.tokenizer import VQ, spectral_targets
from tests.models.neurolm.official import import_official, nt_args, official_lm, official_ref

REF = official_ref()
pytestmark = pytest.mark.skipif(not REF, reason="set NEUROLM_REF to an official NeuroLM checkout")

ENC = nt_args(1)
DEC = nt_args(1, decoder=True)


@pytest.fixture(scope="module")
def official():
    return import_official(REF)


def _batch(b=2, chans=3, seconds=2):
    torch.manual_seed(0)
    n = chans * seconds
    x = torch.randn(b, n, 200)
    c = torch.tensor([1, 5, 9][:chans] * seconds).expand(b, -1).contiguous()
    t = torch.arange(seconds).repeat_interleave(chans).expand(b, -1).contiguous()
    return x, c, t, torch.ones(b, n, dtype=torch.bool)


def test_tokenizer_matches_the_official(official):
    _, NTConfig, _, RefVQ = official
    torch.manual_seed(0)
    ref = RefVQ(NTConfig(**ENC), NTConfig(**DEC)).eval()
    ref.quantize.embedding.init_embed_(torch.nn.functional.normalize(torch.randn(500, 128), dim=-1))
    ours = VQ(NTArgs(**ENC), NTArgs(**DEC)).eval()
    ours.load_state_dict(ref.state_dict())
    x, c, t, m = _batch()
    y_freq, y_raw = spectral_targets(x, m)
    with torch.no_grad():
        assert torch.equal(
            ref.get_codebook_indices(x, c, t, m), ours.get_codebook_indices(x, c, t, m)
        )
        assert torch.equal(ref.get_codebook_indices(x, c, t), ours.get_codebook_indices(x, c, t))
        a, fa, _ = ref(x, y_freq, y_raw, c, t, m)
        b, fb, _ = ours(x, y_freq, y_raw, c, t, m)
    assert torch.allclose(a, b, atol=1e-5) and torch.allclose(fa, fb, atol=1e-5)


def test_lm_forward_and_generation_match_the_official(official):
    _, NTConfig, _, RefVQ = official
    torch.manual_seed(0)
    vq = RefVQ(NTConfig(**ENC), NTConfig(**DEC))
    ref = official_lm(
        REF, vq.state_dict(), ENC, DEC,
        n_layer=2, n_head=4, n_embd=256, block_size=64, bias=True, vocab_size=50304, dropout=0.0,
    ).eval()  # fmt: skip
    ours = NeuroLM(
        NeuroLMConfig(
            n_layer=2,
            n_head=4,
            n_embd=256,
            block_size=64,
            vocab_size=50304,
            encoder_args=NTArgs(**ENC),
        )
    ).eval()
    ours.load_state_dict(ref.state_dict())
    x, c, t, m = _batch()
    t[1] = 0  # sample 1 is shorter in time: the batch-wide text positions matter
    text = torch.randint(0, 50257, (2, 5))
    y_text = torch.randint(0, 50257, (2, 5))
    y_eeg = torch.randint(0, 8192, (2, 6))
    mask = gpt_mask(3, 2, 11, eeg_len=6).expand(2, 1, 11, 11)
    with torch.no_grad():
        a = ref(x.clone(), y_eeg, text, y_text, c, t, m, eeg_text_mask=mask)
        b = ours(x, y_eeg, text, y_text, c, t, m, eeg_text_mask=mask)
        assert torch.allclose(a[2], b[2], atol=1e-4) and torch.allclose(a[0], b[0], atol=1e-5)
        # without a mask the official loop stays exact: all 12 tokens must agree
        want = ref.generate(x.clone(), text, c, t, m, max_new_tokens=12)
    got = ours.generate(x, text, c, t, m, max_new_tokens=12)
    assert torch.equal(got, want)
    with torch.no_grad():  # with a mask the first token (before the official float bug)
        want1 = ref.generate(x.clone(), text, c, t, m, eeg_text_mask=mask, max_new_tokens=1)
    assert torch.equal(ours.generate(x, text, c, t, m, eeg_text_mask=mask, max_new_tokens=1), want1)
