"""The neurokit store schema: what the root and each recording of a Zarr v3 store carry.

Layout (all Zarr v3)::

    <store>/                         group, attrs["neurokit"] = StoreSchema
      recordings/<id>/               group, attrs = RecordingMeta (complete=True when published)
        data                         (channels, samples) float32|float16, chunked along time,
                                     in each channel's unit (see sensors.py: uV, fT, fT/cm)
        events                       (n, 4) int64: start, length, label, channel (samples)
      _partial/<id>/                 recordings being written (local stores); never read

A reader refuses a store whose format name or major version it does not know.

Version 2 adds per-channel metadata to each recording: `channel_types` (mne names),
`channel_units`, `positions` (metres, None rows where unknown) with `position_source`
and `position_space`, MEG `orientations`, and `bad_channels` (flagged, kept). Version-1
stores read with the defaults every one of their recordings had: eeg, uV, template
positions (`sensors.channel_info`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from neurokit.core.errors import DataError

FORMAT_NAME = "neurokit-store"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
SCHEMA_KEY = "neurokit"
RECORDINGS = "recordings"
PARTIAL = "_partial"
DATA = "data"
EVENTS = "events"
EVENT_COLUMNS = ("start", "length", "label", "channel")


class StoreSchema(BaseModel):
    """Root attributes of a store."""

    model_config = ConfigDict(extra="allow")

    format: str = FORMAT_NAME
    version: int = FORMAT_VERSION
    dataset: str
    sfreq: float | None = Field(
        None, description="sampling rate shared by every recording (None: mixed)"
    )
    units: str = "uV"
    dtype: str = "float32"
    preprocessing: dict[str, Any] = Field(default_factory=dict)
    class_names: list[str] = Field(default_factory=list)
    label_kind: str = Field("recording", description="recording | events | none: where labels live")
    chunk_seconds: float = 60.0
    compression: str = "blosc-zstd-3"
    neurokit_version: str = ""
    created: str = ""
    dataset_config: dict[str, Any] = Field(default_factory=dict)


class RecordingMeta(BaseModel):
    """Attributes of one recording group."""

    model_config = ConfigDict(extra="allow")

    id: str
    channel_names: list[str]
    sfreq: float
    n_samples: int
    subject: str = ""
    session: str = ""
    split: str = "train"
    label: int | float | None = None
    n_events: int = 0
    source: str = ""
    checksum: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)
    complete: bool = False
    # schema 2: per-channel metadata (None/empty = schema-1 defaults: eeg, uV, template positions)
    channel_types: list[str] | None = None
    channel_units: list[str] | None = None
    positions: list[list[float] | None] | None = None
    position_source: str = ""
    position_space: str = ""
    orientations: list[list[float] | None] | None = None
    bad_channels: list[str] = Field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.n_samples / self.sfreq


def check_schema(attrs: dict[str, Any], where: str) -> StoreSchema:
    """The store's schema, or a DataError saying why this neurokit cannot read it."""
    raw = attrs.get(SCHEMA_KEY)
    if not isinstance(raw, dict):
        raise DataError(f"{where}: not a neurokit store (no '{SCHEMA_KEY}' attributes at its root)")
    if raw.get("format") != FORMAT_NAME:
        raise DataError(
            f"{where}: unknown store format {raw.get('format')!r} (expected {FORMAT_NAME!r})"
        )
    version = raw.get("version")
    if version not in READABLE_VERSIONS:
        raise DataError(
            f"{where}: store schema version {version} is not supported (this neurokit reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}); re-run `neurokit prepare` into a new store"
        )
    try:
        return StoreSchema.model_validate(raw)
    except Exception as exc:
        raise DataError(f"{where}: broken store schema attributes ({exc})") from None


_UNSAFE = re.compile(r"[^\w.-]+")  # \w: Unicode letters and digits (`患者1` stays `患者1`)


def safe_id(recording_id: str) -> str:
    """A recording id usable as a Zarr node name on any store (`a/b c` -> `a__b_c`).

    NFC-normalised so one name typed two ways is one id; distinct names that still
    collide are told apart by `ids.unique_ids`.
    """
    text = unicodedata.normalize("NFC", recording_id).replace("/", "__").replace("\\", "__")
    text = _UNSAFE.sub("_", text).lstrip(".")
    if not text or text.startswith("__"):
        text = "r" + text
    return text
