"""GPT-2's byte-level BPE from local files (`vocab.json` + `merges.txt`), never downloaded.

NeuroLM's text side is GPT-2 BPE (the official scripts use `tiktoken`'s "gpt2", which is
the same vocabulary and merges). The `tokenizers` library (extra `neurolm`) reads the two
files of any Hugging Face GPT-2 directory.
"""

from __future__ import annotations

from pathlib import Path

from neurokit.core.errors import ConfigError
from neurokit.plugins.models.neurolm.prompts import EOT_TEXT


class GPT2BPE:
    """encode(text) -> ids and decode(ids) -> text with GPT-2's byte-level BPE."""

    def __init__(self, path: str | Path) -> None:
        try:
            from tokenizers import Tokenizer, decoders, models, pre_tokenizers
        except ImportError:
            raise ConfigError(
                "GPT-2 BPE needs the `tokenizers` package: pip install 'neurokit[neurolm]'"
            ) from None
        root = Path(path).expanduser()
        vocab, merges = root / "vocab.json", root / "merges.txt"
        if not (vocab.is_file() and merges.is_file()):
            raise ConfigError(f"no GPT-2 BPE in {str(root)!r} (needs vocab.json and merges.txt)")
        bpe = models.BPE.from_file(str(vocab), str(merges))
        self._tok = Tokenizer(bpe)
        self._tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        self._tok.decoder = decoders.ByteLevel()
        self.vocab_size = self._tok.get_vocab_size()
        self.eot = self._tok.token_to_id(EOT_TEXT)
        if self.eot is None:
            raise ConfigError(f"the GPT-2 BPE in {str(root)!r} has no {EOT_TEXT} token")

    def encode(self, text: str) -> list[int]:
        """As the official `tiktoken` call with `allowed_special={"<|endoftext|>"}`: the
        text between end-of-text markers is BPE-encoded, each marker is the one id (50256
        in GPT-2), not the pieces `' <|'`, `'endoftext'`, `'|>'` plain BPE would give."""
        ids: list[int] = []
        for k, part in enumerate(text.split(EOT_TEXT)):
            if k:
                ids.append(self.eot)
            if part:
                ids.extend(self._tok.encode(part).ids)
        return ids

    def decode(self, ids) -> str:
        return self._tok.decode(list(ids), skip_special_tokens=False)

    def token_id(self, token: str) -> int | None:
        """The id of a whole token such as '<|endoftext|>' (None when absent)."""
        return self._tok.token_to_id(token)
