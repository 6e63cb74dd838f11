"""NeuroLM stage plumbing: Batch -> official inputs, byte tokens in GPT-2's ids, answer metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurokit.core.data.batch import Batch
from neurokit.plugins.models.neurolm.inputs import (
    PAD_CHANNEL,
    NeuroLMInputError,
    to_neurolm_input,
)
from neurokit.plugins.models.neurolm.model import gpt_mask
from neurokit.plugins.models.neurolm.prompts import EOT_TOKEN, OFFICIAL, instruction_for
from neurokit.plugins.models.neurolm.text import ByteText, TextCorpus


def _batch(sfreq=200.0, seconds=2, names=("FP1", "CZ", "O2")):
    c = len(names)
    signal = torch.arange(2 * c * int(sfreq * seconds), dtype=torch.float).view(2, c, -1)
    mask = torch.ones(2, c, dtype=torch.bool)
    mask[1, -1] = False  # sample 1 has one channel fewer
    signal[1, -1] = 0
    chans = [list(names), list(names[:-1])]
    return Batch(signal, mask, torch.zeros(2, c, 3), chans, sfreq)


def test_batch_becomes_time_major_patches_with_padding_last():
    inp = to_neurolm_input(_batch(), length=8)
    assert inp.x.shape == (2, 8, 200) and inp.n_chans == [3, 2] and inp.n_times == 2
    # token a * N + n = channel n, second a; x is microvolts / 100
    sig = _batch().signal
    assert torch.equal(inp.x[0, 4], sig[0, 1, 200:400] / 100)
    assert inp.input_time[0].tolist()[:6] == [0, 0, 0, 1, 1, 1]
    assert inp.input_chans[0, :3].tolist() == [0, 41, 82]  # FP1, CZ, O2 in LaBraM's list
    assert inp.input_mask.sum(1).tolist() == [6, 4]
    assert (inp.input_chans[1, 4:] == PAD_CHANNEL).all() and (inp.x[1, 4:] == 0).all()
    mask = inp.gpt_mask(8 + 5)
    assert mask.shape == (2, 1, 13, 13)
    assert mask[1, 0, 1, 0] and mask[1, 0, 0, 1]  # a time step's channels see each other
    assert not mask[1, 0, 1, 2]  # but not the next second
    assert not mask[1, 0, 10, 5]  # EEG padding is masked for the text
    for i, c in enumerate(inp.n_chans):  # the official gpt_mask, sample by sample
        assert torch.equal(mask[i], gpt_mask(c, 2, 13, 8))


def test_bad_batches_give_clear_errors():
    with pytest.raises(NeuroLMInputError, match="200 Hz"):
        to_neurolm_input(_batch(sfreq=250.0))
    with pytest.raises(NeuroLMInputError, match="not one of NeuroLM"):
        to_neurolm_input(_batch(names=("FP1", "XYZ", "O2")))
    with pytest.raises(NeuroLMInputError, match="eeg_max_len"):
        to_neurolm_input(_batch(), length=4)


def test_byte_tokens_are_gpt2_ids_and_round_trip():
    enc = ByteText()
    assert enc.encode("!A") == [0, 32]  # GPT-2's encoder.json: "!" = 0, "A" = 32
    text = OFFICIAL["tuab"].target(1)
    ids = enc.encode(text)
    assert ids[-1] == EOT_TOKEN and enc.decode(ids) == text
    assert OFFICIAL["tuab"].parse(enc.decode(ids)) == 1
    corpus = TextCorpus(np.asarray(enc.encode("hello world " * 10)), 50257)
    x, y = corpus.sample(3, 8, torch.Generator().manual_seed(0))
    assert x.shape == (3, 8) and torch.equal(x[:, 1:], y[:, :-1])


def test_answer_metrics_per_corpus_count_unparsable_as_wrong():
    from neurokit.plugins.models.neurolm.stages import InstructStage

    stage = InstructStage.__new__(InstructStage)
    stage.sources = ["tuab", "demo"]
    stage.instructions = [OFFICIAL["tuab"], instruction_for("demo", ["x", "y", "z"])]
    # rows: source, label, parsed answer, class probabilities
    rows = np.array(
        [
            [0, 0, 0, 0.9, 0.1, 0],
            [0, 1, 1, 0.2, 0.8, 0],
            [0, 1, -1, 0.4, 0.6, 0],  # unparsable: wrong, though its probabilities rank right
            [0, 0, 0, 0.7, 0.3, 0],
            [1, 2, 2, 0.1, 0.1, 0.8],
            [1, 0, 1, 0.3, 0.6, 0.1],
        ]
    )
    m = stage.answer_metrics(rows)
    assert m["tuab/accuracy"] == 0.75 and m["tuab/unparsed"] == 1
    assert m["tuab/auroc"] == 1.0  # from the answer-path probabilities
    assert "demo/auroc" not in m and m["demo/accuracy"] == 0.5
    assert m["unparsed"] == 1 and m["accuracy"] == 4 / 6
    assert m["balanced_accuracy"] == pytest.approx((0.75 + 0.5) / 2)


@pytest.mark.parametrize("weight", [1.0, 0.25, 0.0])
def test_instruct_text_loss_is_weighted_and_skipped_at_zero(weight):
    from types import SimpleNamespace

    from neurokit.plugins.models.neurolm.family import InstructTaskConfig
    from neurokit.plugins.models.neurolm.stages import InstructStage

    text = 3.0  # the text LM loss the stub backbone returns
    sampled = []

    class Corpus:
        def sample(self, n, length):
            sampled.append(n)
            return torch.zeros(n, length, dtype=torch.long), torch.zeros(
                n, length, dtype=torch.long
            )

    stage = InstructStage.__new__(InstructStage)
    torch.nn.Module.__init__(stage)
    stage.config = InstructTaskConfig(text_loss_weight=weight, text_batch_size=2)
    stage.corpus, stage.text_length = Corpus(), 8
    stage.backbone = lambda *args: (torch.tensor(text), {}, None)
    stage._teacher_forced = lambda batch: torch.tensor(2.0)
    out = stage.training_step(SimpleNamespace())
    assert float(out.loss) == pytest.approx(2.0 + weight * text)
    assert ("text_loss" in out.logs) == (weight > 0) and len(sampled) == (weight > 0)
