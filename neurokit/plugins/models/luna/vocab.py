"""LUNA's channel-name vocabulary: the row order of the pretraining `channel_emb` table.

The official table is the sorted union of torcheeg's 62 SEED channels, the 22 TUEG
TCP bipolar pairs and the 29 Siena channels: 90 names. The order is part of the
checkpoint format, so it is written out here rather than rebuilt from those lists.
"""

from __future__ import annotations

CHANNEL_VOCAB: tuple[str, ...] = (
    "A1-T3", "AF3", "AF4", "C1", "C2", "C3", "C3-CZ", "C3-P3", "C4", "C4-P4", "C4-T4", "C5",
    "C6", "CB1", "CB2", "CP1", "CP2", "CP3", "CP4", "CP5", "CP6", "CPZ", "CZ", "CZ-C4", "F1",
    "F10", "F2", "F3", "F3-C3", "F4", "F4-C4", "F5", "F6", "F7", "F7-T3", "F8", "F8-T4", "F9",
    "FC1", "FC2", "FC3", "FC4", "FC5", "FC6", "FCZ", "FP1", "FP1-F3", "FP1-F7", "FP2", "FP2-F4",
    "FP2-F8", "FPZ", "FT7", "FT8", "FZ", "O1", "O2", "OZ", "P1", "P2", "P3", "P3-O1", "P4",
    "P4-O2", "P5", "P6", "P7", "P8", "PO3", "PO4", "PO5", "PO6", "PO7", "PO8", "POZ", "PZ", "T3",
    "T3-C3", "T3-T5", "T4", "T4-A2", "T4-T6", "T5", "T5-O1", "T6", "T6-O2", "T7", "T8", "TP7",
    "TP8",
)  # fmt: skip

VOCAB_INDEX: dict[str, int] = {name: i for i, name in enumerate(CHANNEL_VOCAB)}

assert len(CHANNEL_VOCAB) == 90 and list(CHANNEL_VOCAB) == sorted(CHANNEL_VOCAB)
