"""From a neurokit Batch to the official call: codes (B, C, T), channel rows, a channel mask.

The official data path the GPT2MEG recipe trains on (`ChunkDatasetJIT`): per channel
RobustScaler, clip at mean +- 5 std, divide by `max_val` = 5, mu-law with the +-0.999 clamp.
When the store carries fitted per-channel parameters (batch extras `robust_center`,
`robust_scale`, `clip_low`, `clip_high`, each (B, C)) they are used; otherwise each window
is scaled by its own statistics (what a store without stage-2 parameters allows).

Channel rows: with `channel_names` on the model, batch channels are matched by name
(an unknown name or samples with different channel sets is a DataError); without, channel
c uses row c. Windows longer than the model's context keep their last `context` steps.
"""

from __future__ import annotations

from typing import Any

import torch

from neurokit.core.errors import DataError
from neurokit.plugins.models.forecast.tokenizer import MuLawTokenizer, RobustScaling

STD_FACTOR = 5.0
EXTRA_KEYS = ("robust_center", "robust_scale", "clip_low", "clip_high")


def scaling_for(batch: Any, std_factor: float = STD_FACTOR) -> RobustScaling:
    """The store's fitted scaling when the batch carries it, else one fitted per window."""
    extras = getattr(batch, "extras", {}) or {}
    if all(k in extras for k in EXTRA_KEYS):
        return RobustScaling(*(extras[k].float() for k in EXTRA_KEYS))
    return RobustScaling.fit(batch.signal, std_factor)


def batch_codes(
    batch: Any, tokenizer: MuLawTokenizer, std_factor: float = STD_FACTOR
) -> torch.Tensor:
    """(B, C, T) int64 codes of a batch: robust scale, clip, then `tokenizer.encode`."""
    scaled = scaling_for(batch, std_factor).transform(batch.signal.float())
    return tokenizer.encode(scaled)


def channel_rows(batch: Any, names: list[str] | None, max_channels: int) -> torch.Tensor | None:
    """Embedding rows (C,) for the batch's channels, or None for rows 0..C-1."""
    channels = batch.signal.shape[1]
    if names is None:
        if channels > max_channels:
            raise DataError(
                f"the batch has {channels} channels; this model has {max_channels} channel rows"
            )
        return None
    reference = max(batch.channel_names, key=len)
    for sample in batch.channel_names:
        if list(sample) != list(reference[: len(sample)]):
            raise DataError(
                "the samples of a batch must share one channel order for this model "
                f"(got {sample[:3]}... and {reference[:3]}...)"
            )
    index = {name: i for i, name in enumerate(names)}
    unknown = [n for n in reference if n not in index]
    if unknown:
        raise DataError(
            f"channels {unknown[:5]} are not among the model's {len(names)} channels "
            "(the channel embedding is fixed per corpus)"
        )
    rows = [index[n] for n in reference] + [0] * (channels - len(reference))
    return torch.tensor(rows, dtype=torch.long, device=batch.signal.device)


def prepare_batch(batch: Any, model: Any):
    """(codes, chid, channel_mask) for `model` (a ForecastBackbone) from a neurokit batch."""
    tokenizer = MuLawTokenizer(mu=model.vocab_size - 1, max_val=STD_FACTOR)
    codes = batch_codes(batch, tokenizer)
    chid = channel_rows(batch, model.channel_names, model.max_channels)
    if model.context is not None and codes.shape[-1] > model.context:
        codes = codes[..., -model.context :]
    return codes, chid, batch.channel_mask.bool()
