"""NeuroLM's text side in the stages: a text encoder and the text corpus of the concurrent LM loss.

- `text_encoder(gpt2_path)`: GPT-2 BPE from a local Hugging Face directory (`GPT2BPE`,
  extra `neurolm`), or, with no directory, `ByteText`: one GPT-2 byte token per byte. Byte
  tokens are GPT-2's own ids 0..255 (its byte alphabet before any merge), so prompts stay in
  GPT-2's id space and a released wte/lm_head still reads them; only sequences are longer.
- `TextCorpus`: the official `train.bin` (uint16 memmap of GPT-2 ids) or a plain `.txt`
  file tokenised once; `sample(n, length)` draws random windows (torch's global generator,
  so seeding and exact resume cover it) as (x, y = x shifted by one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from neurokit.core.errors import ConfigError, DataError
from neurokit.plugins.models.neurolm.prompts import EOT_TEXT, EOT_TOKEN


class TextEncoder(Protocol):
    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids) -> str: ...


def _byte_alphabet() -> list[int]:
    """GPT-2's `bytes_to_unicode` order: byte value at each of the ids 0..255."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    return printable + [b for b in range(256) if b not in printable]


class ByteText:
    """GPT-2 ids without merges: byte b -> its byte token, `<|endoftext|>` -> 50256."""

    def __init__(self) -> None:
        order = _byte_alphabet()
        self._id = np.zeros(256, dtype=np.int64)
        self._id[order] = np.arange(256)
        self._byte = np.asarray(order, dtype=np.uint8)

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for k, part in enumerate(text.split(EOT_TEXT)):
            if k:
                ids.append(EOT_TOKEN)
            ids.extend(self._id[np.frombuffer(part.encode(), dtype=np.uint8)].tolist())
        return ids

    def decode(self, ids) -> str:
        out, run = [], []
        for i in (int(v) for v in ids):
            if 0 <= i < 256:
                run.append(int(self._byte[i]))
                continue
            out.append(bytes(run).decode(errors="replace"))
            run = []
            if i == EOT_TOKEN:
                out.append(EOT_TEXT)
        out.append(bytes(run).decode(errors="replace"))
        return "".join(out)


def text_encoder(gpt2_path: str | None) -> TextEncoder:
    """GPT-2 BPE from `gpt2_path` (needs `tokenizers`), else byte tokens."""
    if not gpt2_path:
        return ByteText()
    from neurokit.plugins.models.neurolm.bpe import GPT2BPE

    return GPT2BPE(gpt2_path)


class TextCorpus:
    """Token ids of a text corpus and random (x, y) windows of it."""

    def __init__(self, ids: np.ndarray, vocab: int) -> None:
        if ids.size < 3:
            raise DataError("the text corpus has fewer than 3 tokens")
        if int(ids.max()) >= vocab:
            raise DataError(
                f"the text corpus holds token {int(ids.max())}, past the vocabulary {vocab}"
            )
        self.ids = torch.from_numpy(np.asarray(ids, dtype=np.int64))

    @classmethod
    def load(cls, path: str, encoder: TextEncoder, vocab: int) -> TextCorpus:
        file = Path(path).expanduser()
        if not file.is_file():
            raise ConfigError(f"text corpus {str(file)!r} does not exist")
        if file.suffix == ".bin":  # the official train.bin: uint16 GPT-2 ids
            return cls(np.memmap(file, dtype=np.uint16, mode="r"), vocab)
        return cls(np.asarray(encoder.encode(file.read_text()), dtype=np.int64), vocab)

    def sample(
        self, n: int, length: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, y) (n, length): windows and the same windows one token on."""
        length = min(length, len(self.ids) - 1)
        start = torch.randint(0, len(self.ids) - length, (n,), generator=generator)
        index = start[:, None] + torch.arange(length + 1)
        chunk = self.ids[index]
        return chunk[:, :-1], chunk[:, 1:]
