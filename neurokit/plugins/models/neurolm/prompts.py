"""NeuroLM's instructions: the question each corpus asks, the answers, and how an answer is read.

Instruction tuning turns every labelled corpus into text: the EEG tokens, a `[SEP]`
token (id 50257, one past GPT-2's vocabulary), then `Question: ... Answer: <answer>
<|endoftext|>`. Training targets are the answer tokens only; evaluation feeds the
prompt alone, generates greedily, and reads the answer as the official
`train_instruction.get_pred` does: the decoded text (prompt included, `[SEP]` dropped)
split on spaces, the word at the corpus's `result_idx`, cut to `(X)` for
multiple-choice answers, looked up in the corpus's answer table. A word that is not
there is unparsable and scores as wrong (-1): the official code turns -1 into the
*last* class for multiple-choice corpora (`np.eye(n)[-1]`), which is not copied.

The six official corpora keep NeuroLM's exact wording (`downstream_dataset.py`); any
other labelled dataset gets a multiple-choice question over its class names, so a demo
mixture can be instruction-tuned the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from neurokit.core.errors import ConfigError

SEP_TOKEN = 50257  # NeuroLM's [SEP]: the first id past GPT-2's 50257 tokens
EOT_TOKEN = 50256  # GPT-2's <|endoftext|>, also NeuroLM's text padding
EOT_TEXT = "<|endoftext|>"
IGNORE = -1  # NeuroLM's ignore index for text targets
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

Encode = Callable[[str], list[int]]


@dataclass(frozen=True)
class Instruction:
    """One corpus's question, its answer per class, and where the answer word sits."""

    question: str  # up to and including "Answer:" (yes/no, words) or "Answer: (" (options)
    answers: tuple[str, ...]  # per class index: "Yes", "Positive", "(A)"
    binary: bool = False
    metrics: tuple[str, ...] = ("accuracy", "balanced_accuracy", "cohen_kappa", "f1_weighted")
    result_idx: int = field(init=False)

    def __post_init__(self) -> None:
        # the answer is the word after the question's last word ("Answer:"; "(" joins it)
        words = self.question.split(" ")
        index = len(words) - 1 if self.multiple_choice else len(words)
        object.__setattr__(self, "result_idx", index)

    @property
    def multiple_choice(self) -> bool:
        return self.question.endswith("(")

    @property
    def prompt(self) -> str:
        """What the model is given at evaluation (NeuroLM: `self.prompt`)."""
        return self.question

    def target(self, label: int) -> str:
        """The full training text for class `label` (NeuroLM: `self.text[label]`)."""
        answer = self.answers[label]
        if self.multiple_choice:
            return f"{self.question}{answer[1:]} {EOT_TEXT}"  # "... Answer: (" + "A) <|endoftext|>"
        return f"{self.question} {answer} {EOT_TEXT}"

    def parse(self, decoded: str) -> int:
        """The class an answer names, or -1 if it names none (official `get_pred`)."""
        words = decoded.split(" ")
        if self.result_idx >= len(words):
            return -1
        word = words[self.result_idx]
        if word.startswith("("):
            word = word[:3]
        try:
            return self.answers.index(word)
        except ValueError:
            return -1


def _options(question: str, options: Sequence[str]) -> Instruction:
    if len(options) > len(LETTERS):
        raise ConfigError(f"{len(options)} classes: at most {len(LETTERS)} options in a question")
    listed = " ".join(f"({LETTERS[i]}) {o}." for i, o in enumerate(options))
    return Instruction(
        question=f"Question: {question} Options: {listed} Answer: (",
        answers=tuple(f"({LETTERS[i]})" for i in range(len(options))),
    )


_BINARY = ("pr_auc", "roc_auc", "accuracy", "balanced_accuracy")

# NeuroLM's six corpora, by neurokit dataset name (class order = the dataset's class_names)
OFFICIAL: dict[str, Instruction] = {
    "tuab": Instruction(
        "Question: Is this EEG segment abnormal? Answer:", ("No", "Yes"), True, _BINARY
    ),
    "workload": Instruction(
        "Question: Is this EEG segment of high workload? Answer:", ("No", "Yes"), True, _BINARY
    ),
    "seed": Instruction(
        "Question: Which emotion type does this EEG segment belong to? Answer:",
        ("Positive", "Neutral", "Negative"),
    ),
    "tuev": _options(
        "Which event type does this EEG segment belong to?",
        (
            "spike and slow wave",
            "generalized periodic epileptiform discharge",
            "periodic lateralized epileptiform discharge",
            "eye movement",
            "artifact",
            "background",
        ),
    ),  # fmt: skip
    "tusl": _options(
        "Which type does this EEG segment belong to?", ("background", "seizure", "slowing")
    ),
    "hmc": _options(
        "Which sleep type does this EEG segment belong to?",
        ("Wake", "NREM-1", "NREM-2", "NREM-3", "REM"),
    ),
}


def instruction_for(dataset: str, class_names: Sequence[str]) -> Instruction:
    """The official instruction of a NeuroLM corpus, else a multiple-choice one over its classes."""
    if dataset in OFFICIAL:
        found = OFFICIAL[dataset]
        if len(found.answers) != len(class_names):
            raise ConfigError(
                f"dataset {dataset!r} has {len(class_names)} classes; NeuroLM's question for it "
                f"answers {len(found.answers)}"
            )
        return found
    if len(class_names) < 2:
        raise ConfigError(f"dataset {dataset!r}: instruction tuning needs at least two classes")
    return _options("Which type does this EEG segment belong to?", list(class_names))


@dataclass(frozen=True)
class EncodedInstruction:
    """An instruction in token ids: the prompt, per-class targets, and the path that names each class."""

    prompt: list[int]  # [SEP] + question
    targets: list[list[int]]  # [SEP] + question + answer + <|endoftext|>, per class
    # per class: its answer tokens up to the first one no other class shares; the class's
    # probability is the product of these tokens' probabilities after the prompt
    answer_paths: list[list[int]]


def encode_instruction(instruction: Instruction, encode: Encode) -> EncodedInstruction:
    """Tokenise once per corpus; the prompt must be a prefix of every target's tokens."""
    prompt = [SEP_TOKEN, *encode(instruction.prompt)]
    targets = []
    for label in range(len(instruction.answers)):
        ids = [SEP_TOKEN, *encode(instruction.target(label))]
        if ids[: len(prompt)] != prompt or len(ids) <= len(prompt):
            raise ConfigError(
                f"the tokenizer splits {instruction.target(label)!r} so that its question is not "
                "a prefix of it; answers cannot be scored token by token"
            )
        targets.append(ids)
    answers = [ids[len(prompt) :] for ids in targets]
    paths = []
    for k, answer in enumerate(answers):
        others = [a for j, a in enumerate(answers) if j != k]
        length = 1
        while length < len(answer) and any(o[:length] == answer[:length] for o in others):
            length += 1
        if any(o[:length] == answer[:length] for o in others):
            raise ConfigError(f"answer {instruction.answers[k]!r} is a prefix of another answer")
        paths.append(answer[:length])
    return EncodedInstruction(prompt, targets, paths)


def training_text(
    encoded: EncodedInstruction, label: int, max_len: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(text ids padded with <|endoftext|> to `max_len`, targets: the answer tokens only, else -1).

    As NeuroLM's loaders: target t is token t + 1, kept only from the last prompt token
    to the token before the end of the valid text.
    """
    ids = encoded.targets[label]
    if len(ids) > max_len:
        raise ConfigError(
            f"instruction text is {len(ids)} tokens, longer than text_max_len {max_len}"
        )
    text = torch.full((max_len,), EOT_TOKEN, dtype=torch.long)
    text[: len(ids)] = torch.tensor(ids)
    targets = torch.full((max_len,), IGNORE, dtype=torch.long)
    start = len(encoded.prompt) - 1
    targets[start : len(ids) - 1] = text[start + 1 : len(ids)]
    return text, targets
