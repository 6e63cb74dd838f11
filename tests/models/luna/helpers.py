"""Small LUNA configurations and batches for the LUNA tests."""

from __future__ import annotations

from neurokit.core.data.batch import Batch
from neurokit.core.data.channels import STANDARD_1020, TCP_NAMES
from tests.helpers import make_batch  # noqa: F401  (the LUNA tests import it from here)

SMALL = {"embed_dim": 16, "num_queries": 2, "depth": 2}
TCP = list(TCP_NAMES)  # 22 bipolar channels
TEN_TWENTY = list(STANDARD_1020)  # 19 referential channels


def sub_batch(batch: Batch, index: int) -> Batch:
    """Sample `index` alone, without the padding the batch gave it."""
    c = len(batch.channel_names[index])
    return Batch(
        signal=batch.signal[index : index + 1, :c],
        channel_mask=batch.channel_mask[index : index + 1, :c],
        positions=batch.positions[index : index + 1, :c],
        channel_names=[batch.channel_names[index]],
        sfreq=batch.sfreq,
    )
