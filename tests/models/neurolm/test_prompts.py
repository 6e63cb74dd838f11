"""NeuroLM's instructions: official wording and answer positions, targets on answers only, parsing."""

from __future__ import annotations

import pytest
import torch

from neurokit.core.errors import ConfigError
from neurokit.plugins.models.neurolm.prompts import (
    EOT_TOKEN,
    IGNORE,
    OFFICIAL,
    SEP_TOKEN,
    encode_instruction,
    instruction_for,
    training_text,
)


def byte_encode(text: str) -> list[int]:
    """A stand-in tokenizer: one token per byte (GPT-2's BPE is tested in test_tokenizer_text)."""
    return list(text.encode())


def test_answer_positions_match_the_official_result_idx():
    # train_instruction.get_instruct_datasets: result_idx per corpus
    official = {"tuab": 7, "tuev": 34, "seed": 11, "hmc": 22, "workload": 9, "tusl": 17}
    assert {name: OFFICIAL[name].result_idx for name in official} == official


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_every_answer_parses_back_to_its_class(name):
    instruction = OFFICIAL[name]
    for label in range(len(instruction.answers)):
        assert instruction.parse(instruction.target(label)) == label
    assert instruction.parse(instruction.prompt + " maybe") == -1  # unparsable: wrong, not a class
    assert instruction.parse("") == -1


def test_official_wording():
    assert OFFICIAL["hmc"].target(4) == (
        "Question: Which sleep type does this EEG segment belong to? Options: (A) Wake. "
        "(B) NREM-1. (C) NREM-2. (D) NREM-3. (E) REM. Answer: (E) <|endoftext|>"
    )
    assert OFFICIAL["tuab"].target(1) == (
        "Question: Is this EEG segment abnormal? Answer: Yes <|endoftext|>"
    )


def test_other_datasets_get_a_question_over_their_classes():
    inst = instruction_for("demo", ["normal", "abnormal", "artifact"])
    assert inst.prompt.endswith("Options: (A) normal. (B) abnormal. (C) artifact. Answer: (")
    assert inst.parse(inst.target(2)) == 2
    with pytest.raises(ConfigError, match="3 classes"):
        instruction_for("tuab", ["a", "b", "c"])


def test_training_text_targets_only_the_answer():
    encoded = encode_instruction(OFFICIAL["tuab"], byte_encode)
    assert encoded.prompt[0] == SEP_TOKEN
    text, targets = training_text(encoded, 1, max_len=80)
    ids = encoded.targets[1]
    assert text[: len(ids)].tolist() == ids and (text[len(ids) :] == EOT_TOKEN).all()
    kept = (targets != IGNORE).nonzero().flatten()
    # from the last prompt token, predict " Yes <|endoftext|>" and nothing else
    assert kept[0] == len(encoded.prompt) - 1 and kept[-1] == len(ids) - 2
    assert targets[kept].tolist() == ids[len(encoded.prompt) :]
    # byte tokens: " No" / " Yes" share the space; the next byte decides the class
    assert encoded.answer_paths == [[ord(" "), ord("N")], [ord(" "), ord("Y")]]
    seed = encode_instruction(OFFICIAL["seed"], byte_encode)  # Neutral / Negative share " Ne"
    assert [bytes(p).decode() for p in seed.answer_paths] == [" P", " Neu", " Neg"]
    with pytest.raises(ConfigError, match="longer than text_max_len"):
        training_text(encoded, 1, max_len=10)


def test_gpt2_bpe_from_local_files_keeps_the_prompt_a_prefix(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    bpe = tokenizers.ByteLevelBPETokenizer()
    corpus = [OFFICIAL[n].target(k) for n in OFFICIAL for k in range(len(OFFICIAL[n].answers))]
    bpe.train_from_iterator(corpus * 3, vocab_size=400, special_tokens=["<|endoftext|>"])
    bpe.save_model(str(tmp_path))
    loaded = tokenizers.ByteLevelBPETokenizer(
        str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt")
    )
    encode = lambda s: loaded.encode(s).ids  # noqa: E731
    for name, instruction in OFFICIAL.items():
        encoded = encode_instruction(instruction, encode)
        for label, ids in enumerate(encoded.targets):
            decoded = loaded.decode(ids[1:])
            assert instruction.parse(decoded) == label, (name, decoded)
            path = encoded.answer_paths[label]
            assert ids[len(encoded.prompt) : len(encoded.prompt) + len(path)] == path
    assert torch.tensor(encoded.prompt).dtype == torch.long
