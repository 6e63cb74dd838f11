"""NeuroLM's three stages learn on a two-corpus mixture with a tiny GPT-2 BPE and text corpus.

Two 200 Hz stores whose classes differ in their dominant rhythm: `tuab` (NeuroLM's
yes/no question, so AUROC / AUC-PR come from the answer-path probabilities) and a
three-class `rhythm` store (a multiple-choice question over its class names). The BPE
(vocab.json + merges.txt) and the text corpus are built here; nothing is downloaded.

The text corpus has a few hundred distinct words: the domain classifier sees the frozen
`wte` rows of the corpus's tokens, and with a handful of them (two sentences: ~30 tokens)
the tokenizer can only look like text by collapsing its features onto those few rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neurokit
from neurokit.core.data.schema import StoreSchema
from neurokit.core.data.writer import StoreWriter
from neurokit.core.interfaces import Recording, RecordingSource
from neurokit.plugins.models.neurolm.prompts import OFFICIAL, instruction_for

SFREQ = 200.0
SPLITS = {"s1": "train", "s2": "train", "s3": "train", "s4": "train", "s5": "val", "s6": "test"}
TEXT = (
    "The brain produces rhythms. Alpha waves are seen when the eyes are closed. "
    "Sleep has stages with slow waves. A seizure is abnormal activity. "
)


def _store(path: Path, dataset: str, classes, names, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    writer = StoreWriter(path)
    writer.create(StoreSchema(dataset=dataset, sfreq=SFREQ, class_names=list(classes)))
    n = int(20 * SFREQ)
    t = np.arange(n) / SFREQ
    for subject, split in SPLITS.items():
        for k in range(len(classes)):
            rid = f"{subject}_c{k}"
            # 4.37 Hz + 7k: no whole number of cycles per 2-s window, so each window of a
            # recording starts at another phase (whole cycles made every window of a
            # recording the same signal up to noise: 4 distinct examples per class)
            rhythm = 60 * np.sin(2 * np.pi * (4.37 + 7 * k) * t + rng.uniform(0, 6))
            data = (rng.standard_normal((len(names), n)) * 15 + rhythm).astype(np.float32)
            source = RecordingSource(Path(f"/raw/{rid}.edf"), rid, subject, "", split, k, {})
            writer.write(Recording(source, data, list(names), SFREQ, []), checksum=f"x:{rid}")
    writer.finalize()
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    tokenizers = pytest.importorskip("tokenizers")
    root = tmp_path_factory.mktemp("neurolm-corpus")
    a = _store(root / "tuab.zarr", "tuab", ["normal", "abnormal"], ["FP1", "CZ", "O1", "O2"], 0)
    b = _store(root / "rhythm.zarr", "rhythm", ["slow", "mid", "fast"], ["FP2", "C3", "PZ"], 1)
    rhythm = instruction_for("rhythm", ["slow", "mid", "fast"])
    prompts = [OFFICIAL["tuab"].target(k) for k in range(2)] + [rhythm.target(k) for k in range(3)]
    rng = np.random.default_rng(2)
    lexicon = [
        "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), n)) for n in [2, 3, 4, 5, 6] * 60
    ]
    words = " ".join(rng.choice(lexicon, 4000)) + " " + TEXT
    bpe = tokenizers.ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        [*prompts * 5, words], vocab_size=1000, special_tokens=["<|endoftext|>"]
    )
    gpt2 = root / "gpt2"
    gpt2.mkdir()
    bpe.save_model(str(gpt2))
    text = root / "text.txt"
    text.write_text(words)
    return a, b, gpt2, text


def _rows(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_three_stages_learn_on_a_two_corpus_mixture(corpus, tmp_path):
    a, b, gpt2, text = corpus
    results = neurokit.pipeline(
        "neurolm",
        config={"data": {"sources": [{"store": str(a)}, {"store": str(b)}]}},
        overrides={
            "output_dir": str(tmp_path),
            "trainer.progress": False,
            # the small recipe's 3 epochs are a smoke run: at 12 steps an epoch the tokenizer
            # and the code LM need ~30 (pretraining sat at the unigram after 6: code CE 2.49
            # vs 2.40); instruct reads the EEG from epoch 4-7 (seeds 0-2) and gets 12
            "pretrain-tokenizer:trainer.epochs": 30,
            "pretrain:trainer.epochs": 30,
            "instruct:trainer.epochs": 12,
            "task.gpt2_path": str(gpt2),
            "task.text_corpus": str(text),
        },
        small=True,
    )
    tok, pre, inst = results
    losses = [r["train/loss"] for r in _rows(tok.run_dir) if "train/loss" in r]
    assert losses[-1] < losses[0]
    # the domain classifier cannot tell EEG features from text embeddings: the probability
    # it gives the true domain, balanced over EEG and text, is ~0.5 (0.50-0.51 for seeds
    # 0-2; a classifier that wins gives ~1.0). Its argmax accuracy flips all EEG tokens at
    # once near the equilibrium, so it is reported but not asserted
    assert 0.4 <= tok.val["domain_probability"] <= 0.6, tok.val
    assert tok.val["codes_used"] >= 8, tok.val  # 25-26 of 64; a collapsed codebook: 1-4
    # next-second codes: far better than from their frequencies alone (0.47-0.62 vs 2.69-2.89)
    assert pre.val["code_ce"] < 0.5 * pre.val["unigram_ce"], pre.val
    test = inst.test
    assert test["unparsed"] == 0, test
    assert test["tuab/balanced_accuracy"] > 0.8, test  # 1.0 for seeds 0-2
    assert test["rhythm/balanced_accuracy"] > 0.7, test  # chance: 1/3
    assert test["tuab/auroc"] > 0.9 and test["tuab/auc_pr"] is not None
