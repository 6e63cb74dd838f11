"""What a model offers neurokit: backbones, layered backbones, tokenizers, generators.

These are Protocols: official ports stay plain nn.Modules with their own signatures and
add the few members below; nothing here is a base class to inherit from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import torch


@dataclass
class BackboneOutput:
    """What every backbone returns to neurokit: a pooled vector and optionally tokens."""

    pooled: torch.Tensor  # (batch, features)
    tokens: torch.Tensor | None = None  # (batch, tokens, features)
    extras: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Backbone(Protocol):
    """An nn.Module from a store batch to features.

    A backbone keeps its reference implementation's own `forward` signature (so
    ported code runs unchanged) and adds `forward_batch`, which takes a neurokit
    batch (signal in microvolts, channel names, positions, mask) and does the
    model's own input conversion.
    """

    num_features: int

    def forward_batch(self, batch: Any) -> BackboneOutput: ...

    def reset_classifier(self, num_classes: int) -> None: ...


@runtime_checkable
class LayeredBackbone(Protocol):
    """Optional: lets the trainer apply layer-wise learning-rate decay."""

    def num_layers(self) -> int: ...

    def layer_id(self, parameter_name: str) -> int: ...


@runtime_checkable
class Tokenizer(Protocol):
    """Turns signal patches into discrete codes (and usually back)."""

    codebook_size: int

    def tokenize(self, batch: Any) -> torch.Tensor:
        """Codes for a batch, (batch, tokens), int64."""
        ...


@runtime_checkable
class Decoder(Protocol):
    """Optional part of a tokenizer: codes back to signal (or features)."""

    def decode(self, codes: torch.Tensor, *args: Any, **kwargs: Any) -> Any: ...


@runtime_checkable
class Generative(Protocol):
    """Optional part of a backbone: autoregressive generation (language models, forecasters).

    Backbones without a classifier or pooled vector are first class: a stage decides
    what it calls. `generate` keeps the reference implementation's own signature.
    """

    def generate(self, *args: Any, **kwargs: Any) -> torch.Tensor: ...
