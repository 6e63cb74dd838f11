"""Channel types, stored units and sensor positions: what each channel of a recording is.

Types are mne's names (`eeg`, `seeg`, `ecog`, `dbs`, `mag`, `grad`, `ref_meg`, `eog`,
`ecg`, `emg`, `misc`, `stim`, ...). Units follow mne's display convention, chosen so
that typical signals are O(1-1000) and survive float16 stores:

| SI unit in the file | stored as | factor | channel types                      |
|---------------------|-----------|--------|------------------------------------|
| V                   | uV        | 1e6    | eeg, seeg, ecog, dbs, eog, ecg, emg |
| T                   | fT        | 1e15   | mag, ref_meg (magnetometers)        |
| T/m                 | fT/cm     | 1e13   | grad (planar gradiometers)          |
| anything else       | as is     | 1      | misc, stim, ... (unit label kept)   |

Positions are metres, in a named space, with where they came from:

- `template` - mne's standard 10-05 montage, for named scalp EEG (computed on read,
  never stored, so schema-1 stores get it too);
- `electrodes.tsv` - BIDS contact coordinates, space from `*_coordsystem.json`;
- `file` - the recording file itself (MEG: mne's `info['chs'][i]['loc']`, position
  plus a 3x3 orientation, in the MEG device frame for FIF, CTF, BTi/4D and KIT).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurokit.core.data.channels import channel_positions

# mne FIFF unit codes -> (stored unit label, factor from SI)
_FIFF_V, _FIFF_T, _FIFF_T_M = 107, 112, 201
STORED_UNITS: dict[int, tuple[str, float]] = {
    _FIFF_V: ("uV", 1e6),
    _FIFF_T: ("fT", 1e15),
    _FIFF_T_M: ("fT/cm", 1e13),
}
# Types treated as electric potentials on the scalp (template positions apply).
SCALP_TYPES = frozenset({"eeg"})
MEG_TYPES = frozenset({"mag", "grad", "ref_meg"})
# Channel types kept by default when types come from the file (stim/misc only on request).
DATA_TYPES = frozenset({"eeg", "seeg", "ecog", "dbs", "mag", "grad"})
TEMPLATE = "template"


def unit_of(ch: dict[str, Any]) -> tuple[str, float]:
    """(stored unit, factor from SI) of one mne `info['chs']` entry."""
    unit = int(ch.get("unit", -1))
    if unit in STORED_UNITS:
        return STORED_UNITS[unit]
    return _FIFF_UNIT_NAMES.get(unit, "AU"), 1.0


_FIFF_UNIT_NAMES = {-1: "AU", 0: "AU", 1: "m", 2: "kg", 3: "s", 4: "A", 7: "K", 9: "Hz", 108: "uV"}


def raw_types_units(raw: Any) -> tuple[list[str], list[str], np.ndarray]:
    """Per channel of an mne Raw: type, stored unit and the factor from the file's SI values."""
    types = list(raw.get_channel_types())
    units, factors = [], []
    for ch in raw.info["chs"]:
        unit, factor = unit_of(ch)
        units.append(unit)
        factors.append(factor)
    return types, units, np.asarray(factors, dtype=np.float64)


def file_positions(raw: Any) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """MEG sensor positions (C, 3) and orientations (C, 9) from the file's `loc`, NaN elsewhere.

    Returns (None, None, "") when the recording has no MEG channels: EEG/iEEG
    positions come from the template or from `electrodes.tsv` instead.
    """
    types = raw.get_channel_types()
    if not any(t in MEG_TYPES for t in types):
        return None, None, ""
    pos = np.full((len(types), 3), np.nan)
    ori = np.full((len(types), 9), np.nan)
    for i, (kind, ch) in enumerate(zip(types, raw.info["chs"], strict=True)):
        loc = np.asarray(ch["loc"], dtype=np.float64)
        if kind in MEG_TYPES and np.isfinite(loc[:12]).all() and np.any(loc[:3] != 0):
            pos[i], ori[i] = loc[:3], loc[3:12]
    return pos, ori, "MEG device"


@dataclass(frozen=True)
class ChannelInfo:
    """Everything known about the channels of one stored recording."""

    names: tuple[str, ...]
    types: tuple[str, ...]
    units: tuple[str, ...]
    positions: np.ndarray  # (C, 3) metres, zeros where unknown
    known: np.ndarray  # (C,) bool
    sources: tuple[str, ...]  # per channel: template | electrodes.tsv | file | "" (unknown)
    space: str  # space of the non-template positions ("" if none)
    orientations: np.ndarray | None  # (C, 9) MEG coil axes ex, ey, ez; NaN where none
    bad: tuple[str, ...]  # channels flagged bad but kept


def channel_info(meta: Any) -> ChannelInfo:
    """A recording's channel info from its metadata; schema-1 defaults (eeg, uV, template)."""
    names = tuple(meta.channel_names)
    n = len(names)
    types = tuple(getattr(meta, "channel_types", None) or ("eeg",) * n)
    units = tuple(getattr(meta, "channel_units", None) or ("uV",) * n)
    template, template_known = channel_positions(names)
    pos = np.array(template, dtype=np.float32)
    known = np.array(template_known, dtype=bool)
    known &= np.array([t in SCALP_TYPES for t in types], dtype=bool)
    pos[~known] = 0
    sources = [TEMPLATE if k else "" for k in known]
    stored = getattr(meta, "positions", None)
    source = getattr(meta, "position_source", "") or "file"
    if stored:
        for i, p in enumerate(stored):
            if p is not None:
                pos[i], known[i], sources[i] = p, True, source
    ori = getattr(meta, "orientations", None)
    orientations = None
    if ori:
        orientations = np.array(
            [o if o is not None else [np.nan] * 9 for o in ori], dtype=np.float32
        )
    pos.setflags(write=False)
    known.setflags(write=False)
    return ChannelInfo(
        names,
        types,
        units,
        pos,
        known,
        tuple(sources),
        getattr(meta, "position_space", "") or "",
        orientations,
        tuple(getattr(meta, "bad_channels", None) or ()),
    )


def _rows(array: np.ndarray | None) -> list[list[float] | None] | None:
    """(C, k) with NaN rows -> JSON rows, None for unknown; None if nothing is known."""
    if array is None:
        return None
    array = np.asarray(array, dtype=np.float64)
    rows = [[float(v) for v in row] if np.isfinite(row).all() else None for row in array]
    return rows if any(r is not None for r in rows) else None


def recording_fields(recording: Any) -> dict[str, Any]:
    """The schema-2 channel fields of a `Recording` for its `RecordingMeta` (empty if unknown)."""
    n = len(recording.channel_names)
    out: dict[str, Any] = {}
    types = getattr(recording, "channel_types", None)
    units = getattr(recording, "units", None)
    for key, value in (("channel_types", types), ("channel_units", units)):
        if value is not None:
            if len(value) != n:
                from neurokit.core.errors import DataError

                raise DataError(f"{recording.source.path}: {len(value)} {key} for {n} channels")
            out[key] = [str(v) for v in value]
    info = dict(getattr(recording, "sensors", None) or {})
    positions = _rows(getattr(recording, "positions", None))
    if positions is not None:
        out["positions"] = positions
        out["position_source"] = str(info.get("position_source", "file"))
        out["position_space"] = str(info.get("position_space", ""))
    orientations = _rows(info.get("orientations"))
    if orientations is not None:
        out["orientations"] = orientations
    if info.get("bad_channels"):
        out["bad_channels"] = [str(b) for b in info["bad_channels"]]
    return out


def summarise(infos: Sequence[ChannelInfo]) -> dict[str, Any]:
    """Counts for `store info`: channels per type, unit per type, positions per source."""
    types: dict[str, int] = {}
    units: dict[str, set[str]] = {}
    sources: dict[str, int] = {}
    spaces: set[str] = set()
    bad: dict[str, int] = {}
    for info in infos:
        for kind, unit, src in zip(info.types, info.units, info.sources, strict=True):
            types[kind] = types.get(kind, 0) + 1
            units.setdefault(kind, set()).add(unit)
            key = src or "unknown"
            sources[key] = sources.get(key, 0) + 1
        if info.space:
            spaces.add(info.space)
        for name in info.bad:
            bad[name] = bad.get(name, 0) + 1
    return {
        "channel_types": dict(sorted(types.items())),
        "units_by_type": {k: ", ".join(sorted(v)) for k, v in sorted(units.items())},
        "position_sources": dict(sorted(sources.items())),
        "position_spaces": sorted(spaces),
        "bad_channels": dict(sorted(bad.items())),
    }
