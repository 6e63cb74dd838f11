"""Preprocessing as data: a pydantic config, named profiles, and one function applying it with mne.

A dataset plugin's config subclasses `DatasetConfig`, so `--profile luna` or
`--set preprocessing.notch=60` changes what `prepare` does without code, and the
exact config lands in the store's attributes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from neurokit.core.data.channels import (
    TCP_PAIRS,
    normalise_channel_name,
    standard_positions,
)
from neurokit.core.data.sensors import DATA_TYPES
from neurokit.core.errors import DataError
from neurokit.core.interfaces import ComponentConfig, Event, Recording, RecordingSource


class Preprocessing(BaseModel):
    """What is done to a raw recording before it is stored (order: pick, filter, notch, resample, montage)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    channels: list[str] | None = Field(
        None,
        description="referential channels to keep, in order (normalised names); None = every channel with a 10-05 position",
    )
    keep_unknown: bool = Field(
        False,
        description="with channels=None, also keep channels without a 10-05 position (iEEG, custom caps)",
    )
    rename: dict[str, str] = Field(
        default_factory=dict, description="extra renames applied after normalisation, e.g. {T7: T3}"
    )
    required: list[str] | None = Field(
        None,
        description="channels a recording must have (None = all of `channels`); otherwise it is skipped",
    )
    montage: Literal["referential", "tcp"] = Field(
        "referential", description="referential, or TUH TCP double-banana bipolar"
    )
    min_tcp_pairs: int = Field(
        1, ge=1, le=22, description="tcp: skip recordings with fewer derivable pairs (LUNA: 20)"
    )
    l_freq: float | None = Field(0.1, ge=0, description="high-pass edge in Hz (None: none)")
    h_freq: float | None = Field(75.0, gt=0, description="low-pass edge in Hz (None: none)")
    notch: float | None = Field(None, gt=0, description="mains notch in Hz, 50 or 60 (None: none)")
    sfreq: float | None = Field(200.0, gt=0, description="resample to this rate in Hz (None: keep)")
    allowed_sfreq: list[float] | None = Field(
        None, description="input rates accepted (None: any high enough for h_freq)"
    )
    units: Literal["uV"] = Field(
        "uV", description="unit of electric potentials (MEG: fT, fT/cm; see sensors.py)"
    )
    drop_first_seconds: float = Field(0.0, ge=0, description="seconds cut from the start")
    drop_last_seconds: float = Field(
        0.0, ge=0, description="seconds cut from the end (LaBraM pretraining: 10)"
    )
    min_seconds: float = Field(
        1.0, ge=0, description="skip recordings shorter than this after cropping"
    )
    flat_uv: float = Field(
        0.01, ge=0, description="a channel with peak-to-peak below this (uV) is flat"
    )
    max_flat_channels: int = Field(
        0, ge=0, description="skip recordings with more flat channels than this"
    )
    dtype: Literal["float32", "float16"] = Field("float32", description="stored sample type")
    types: Literal["eeg", "file"] = Field(
        "eeg",
        description="eeg: every kept channel is scalp EEG in uV (files that mislabel EEG); "
        "file: channel types and units from the file (MEG fT / fT/cm, iEEG, EOG...; sensors.py)",
    )
    flat_by_unit: dict[str, float] = Field(
        default_factory=lambda: {"fT": 1.0, "fT/cm": 1.0},
        description="flatness threshold (peak-to-peak) per stored unit besides uV (flat_uv)",
    )
    bad_channels: Literal["drop", "flag", "zero", "interpolate"] = Field(
        "drop",
        description="channels marked bad by the file (BIDS channels.tsv status=bad, FIF bads) or "
        "by bad_z: dropped; kept and listed in the recording's bad_channels (flag); or kept, "
        "listed and set to zero / interpolated from their neighbours (mne; MEG by field "
        "mapping), which keeps a fixed channel set per corpus",
    )
    gradient_compensation: Literal[0, 1, 2, 3] | None = Field(
        3,
        description="CTF MEG: synthetic-gradiometer order applied before anything else "
        "(ephys_gpt's stage 1: 3; None: keep the file's); other systems are left alone",
    )
    bad_z: float | None = Field(
        None,
        gt=0,
        description="also mark channels whose log-std is this many robust SDs from the median "
        "of their type (None: off)",
    )

    @model_validator(mode="after")
    def _check(self) -> Preprocessing:
        if self.l_freq is not None and self.h_freq is not None and self.l_freq >= self.h_freq:
            raise ValueError(f"l_freq ({self.l_freq}) must be below h_freq ({self.h_freq})")
        return self

    def describe(self) -> str:
        """One line for summaries and `store info`."""
        band = (
            f"{self.l_freq or 0:g}-{self.h_freq:g} Hz"
            if self.h_freq
            else f">{self.l_freq or 0:g} Hz"
        )
        notch = f"notch {self.notch:g} Hz" if self.notch else "no notch"
        rate = f"{self.sfreq:g} Hz" if self.sfreq else "native rate"
        units = "units by channel type" if self.types == "file" else self.units
        return f"{self.montage}, {band}, {notch}, {rate}, {units}"


# The profile every store can use; model families declare their own (`Family.profiles`).
RAW_PROFILE: dict[str, Any] = {
    "montage": "referential",
    "l_freq": None,
    "h_freq": None,
    "notch": None,
    "sfreq": None,
}


def profiles() -> dict[str, dict[str, Any]]:
    """Every preprocessing profile: `raw` plus those the registered model families declare."""
    from neurokit.core.registry import get_registry

    found: dict[str, dict[str, Any]] = {"raw": RAW_PROFILE}
    for family in get_registry().families():
        for name, values in family.profiles.items():
            found.setdefault(name, dict(values))
    return found


def profile(name: str, **overrides: Any) -> Preprocessing:
    """The named profile, with overrides."""
    known = profiles()
    if name not in known:
        raise DataError(
            f"unknown preprocessing profile {name!r} (known: {', '.join(sorted(known))})"
        )
    return Preprocessing(**{**known[name], **overrides})


class DatasetConfig(ComponentConfig):
    """Base config of dataset plugins: a profile plus preprocessing overrides.

    Merge order: the class's `default_preprocessing` < the profile < explicit
    `preprocessing` values. Subclasses set `profile`'s default and add their own
    fields (split seed, label mode, ...).
    """

    default_preprocessing: ClassVar[dict[str, Any]] = {}

    profile: str | None = Field(
        None,
        description="preprocessing profile: raw or one a model family declares (None: dataset default)",
    )
    preprocessing: Preprocessing = Field(
        default_factory=Preprocessing, description="preprocessing (overrides the profile)"
    )

    @model_validator(mode="before")
    @classmethod
    def _merge_profile(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        name = data.get("profile", cls.model_fields["profile"].default)
        known = profiles() if name is not None else {}
        if name is not None and name not in known:
            raise ValueError(f"unknown profile {name!r} (known: {', '.join(sorted(known))})")
        given = data.get("preprocessing") or {}
        if isinstance(given, Preprocessing):
            given = given.model_dump(exclude_unset=True)
        data["preprocessing"] = {
            **cls.default_preprocessing,
            **(known[name] if name else {}),
            **dict(given),
        }
        return data


# ----------------------------------------------------------------- applying


def _fail(where: str, reason: str) -> DataError:
    return DataError(f"{where}: {reason}")


def _normalised_names(raw_names: Sequence[str], rename: Mapping[str, str], where: str) -> list[str]:
    extra = {normalise_channel_name(k): normalise_channel_name(v) for k, v in rename.items()}
    names = [extra.get(n, n) for n in (normalise_channel_name(r) for r in raw_names)]
    duplicates = [n for n, count in Counter(names).items() if count > 1]
    if duplicates:
        detail = ", ".join(
            f"{d} (from {', '.join(repr(r) for r, n in zip(raw_names, names, strict=True) if n == d)})"
            for d in duplicates
        )
        raise _fail(where, f"duplicate channel names after normalisation: {detail}")
    return names


def _select(
    names: list[str], cfg: Preprocessing, where: str, types: Sequence[str] | None = None
) -> list[int]:
    """Indices of the referential channels to keep, checking the required ones.

    `types` (file types, `cfg.types == "file"`): with `channels=None`, keep the data
    channels (MEG, iEEG) and the scalp EEG channels with a 10-05 position (all EEG, EOG,
    ECG, EMG and misc with `keep_unknown`); stim channels only when named.
    """
    index = {n: i for i, n in enumerate(names)}
    if cfg.montage == "tcp":
        wanted = list(dict.fromkeys(e for pair in TCP_PAIRS for e in pair))
        if cfg.channels is not None:
            wanted = [
                c for c in (normalise_channel_name(c) for c in cfg.channels) if c in wanted
            ] or wanted
    elif cfg.channels is not None:
        wanted = [normalise_channel_name(c) for c in cfg.channels]
    elif types is not None:
        known = standard_positions()
        extra = {"eog", "ecg", "emg", "misc"} if cfg.keep_unknown else set()
        wanted = [
            n
            for n, t in zip(names, types, strict=True)
            if (t in DATA_TYPES and t != "eeg")
            or t in extra
            or (t == "eeg" and (cfg.keep_unknown or n in known or _bipolar_known(n, known)))
        ]
    else:
        known = standard_positions()
        wanted = [n for n in names if cfg.keep_unknown or n in known or _bipolar_known(n, known)]
    required = cfg.required
    if required is None:
        required = wanted if (cfg.channels is not None and cfg.montage == "referential") else []
    missing = [
        normalise_channel_name(c) for c in required if normalise_channel_name(c) not in index
    ]
    if missing:
        raise _fail(
            where, f"missing required channels {', '.join(missing)} (has {', '.join(names)})"
        )
    picks = [index[c] for c in wanted if c in index]
    if not picks:
        raise _fail(where, f"no usable EEG channels (has {', '.join(names)})")
    return picks


def _bipolar_known(name: str, known: Mapping[str, Any]) -> bool:
    parts = name.split("-")
    return len(parts) == 2 and all(p in known for p in parts)


def _check_values(
    data: np.ndarray,
    names: list[str],
    cfg: Preprocessing,
    where: str,
    units: Sequence[str] | None = None,
) -> list[str]:
    """Reject NaN/Inf and recordings with too many flat channels; return the flat ones kept.

    Flatness is judged per stored unit (0.01 uV means nothing for femtotesla signals):
    `flat_uv` for uV, `flat_by_unit` for fT, fT/cm, ...; other units are not judged.
    """
    finite = np.isfinite(data)
    if not finite.all():
        bad = [names[i] for i in np.flatnonzero(~finite.all(axis=1))]
        raise _fail(where, f"NaN/Inf samples in channels {', '.join(bad)}")
    units = list(units) if units is not None else ["uV"] * len(names)
    limits = np.array(
        [cfg.flat_uv if u == "uV" else cfg.flat_by_unit.get(u, -np.inf) for u in units]
    )
    ptp = np.ptp(data, axis=1)
    flat_idx = np.flatnonzero(ptp < limits)
    flat = [names[i] for i in flat_idx]
    if len(flat) > cfg.max_flat_channels:
        detail = ", ".join(f"{names[i]} (< {limits[i]:g} {units[i]})" for i in flat_idx)
        raise _fail(where, f"flat channels (peak-to-peak): {detail}")
    return flat


def outlier_channels(data: np.ndarray, types: Sequence[str], z: float) -> list[int]:
    """Channels whose log standard deviation lies more than `z` robust SDs (1.4826 MAD, at
    least 0.1) from the median of their own type; types with under 3 channels are not judged."""
    logstd = np.log(np.maximum(data.std(axis=1), 1e-30))
    out: list[int] = []
    for kind in sorted(set(types)):
        idx = np.flatnonzero(np.asarray(types) == kind)
        if len(idx) < 3:
            continue
        values = logstd[idx]
        centre = np.median(values)
        # floor: near-identical channels (simulations, clean systems) never flag on tiny noise
        spread = max(1.4826 * np.median(np.abs(values - centre)), 0.1)
        out.extend(int(i) for i in idx[np.abs(values - centre) > z * spread])
    return sorted(out)


def _check_rate(sfreq: float, cfg: Preprocessing, where: str) -> None:
    if cfg.allowed_sfreq is not None and not any(abs(sfreq - r) < 1e-6 for r in cfg.allowed_sfreq):
        allowed = ", ".join(f"{r:g}" for r in cfg.allowed_sfreq)
        raise _fail(where, f"unexpected sampling rate {sfreq:g} Hz (expected {allowed})")
    if cfg.h_freq is not None and cfg.h_freq >= sfreq / 2:
        raise _fail(
            where, f"sampling rate {sfreq:g} Hz is too low for the {cfg.h_freq:g} Hz low-pass"
        )


@dataclass
class Prepared:
    """A preprocessed signal with its per-channel metadata (what a Recording needs)."""

    data: np.ndarray
    names: list[str]
    sfreq: float
    types: list[str]
    units: list[str]
    positions: np.ndarray | None = None
    sensors: dict[str, Any] = dc_field(default_factory=dict)

    def recording(self, source: RecordingSource, events: Sequence[Event] = ()) -> Recording:
        return Recording(
            source=source,
            data=self.data,
            channel_names=self.names,
            sfreq=self.sfreq,
            events=list(events),
            channel_types=self.types,
            units=self.units,
            positions=self.positions,
            sensors=self.sensors,
        )


def preprocess_raw(
    raw: Any, cfg: Preprocessing, where: str = "recording"
) -> tuple[np.ndarray, list[str], float]:
    """Apply `cfg` to an mne Raw (preloaded; changed in place). Returns (data, names, sfreq).

    `where` (usually the file path) prefixes every DataError. `prepare_raw` also
    returns the channel types, units, positions and bad channels.
    """
    out = prepare_raw(raw, cfg, where)
    return out.data, out.names, out.sfreq


def prepare_raw(raw: Any, cfg: Preprocessing, where: str = "recording") -> Prepared:
    """Apply `cfg` to an mne Raw (preloaded; changed in place), per channel type.

    Order: bad channels from the file (drop or flag), pick, crop, flat check per
    unit, filter/notch/resample (every kept channel but stim), scale to the stored
    units (sensors.py), outlier channels per type (`bad_z`), TCP montage.
    """
    from neurokit.core.data.sensors import file_positions, raw_types_units

    _compensate(raw, cfg, where)
    file_bads = list(raw.info["bads"])
    raw.info["bads"] = []
    if file_bads and cfg.bad_channels == "drop":
        raw.drop_channels(file_bads)
    names = _normalised_names(raw.ch_names, cfg.rename, where)
    flagged = [names[raw.ch_names.index(b)] for b in file_bads if b in raw.ch_names]
    by_file = cfg.types == "file" and cfg.montage != "tcp"
    if not by_file:
        # mne marks non-EEG types (e.g. EKG named by the file) as excluded from filtering; force EEG.
        raw.set_channel_types(dict.fromkeys(raw.ch_names, "eeg"), verbose="error")
    picks = _select(names, cfg, where, list(raw.get_channel_types()) if by_file else None)
    sfreq = float(raw.info["sfreq"])
    _check_rate(sfreq, cfg, where)
    raw.pick([raw.ch_names[i] for i in picks])
    names = [names[i] for i in picks]
    flagged = [n for n in flagged if n in names]
    duration = raw.n_times / sfreq
    if cfg.drop_first_seconds or cfg.drop_last_seconds:
        tmax = duration - cfg.drop_last_seconds - 1 / sfreq
        if tmax <= cfg.drop_first_seconds:
            raise _fail(
                where,
                f"too short ({duration:.1f} s) to drop {cfg.drop_first_seconds:g}+{cfg.drop_last_seconds:g} s",
            )
        raw.crop(cfg.drop_first_seconds, tmax)
    if raw.n_times / sfreq < cfg.min_seconds:
        raise _fail(where, f"too short ({raw.n_times / sfreq:.2f} s < {cfg.min_seconds:g} s)")
    types, units, factors = raw_types_units(raw)
    flat = _check_values(raw.get_data() * factors[:, None], names, cfg, where, units)
    filt = [i for i, t in enumerate(types) if t not in {"stim", "syst", "ias"}]
    try:
        if cfg.l_freq is not None or cfg.h_freq is not None:
            raw.filter(cfg.l_freq, cfg.h_freq, picks=filt, verbose="error")
        if cfg.notch is not None and cfg.notch < sfreq / 2:
            raw.notch_filter(cfg.notch, picks=filt, verbose="error")
        if cfg.sfreq is not None and abs(cfg.sfreq - sfreq) > 1e-6:
            raw.resample(cfg.sfreq, verbose="error")
            sfreq = float(cfg.sfreq)
    except ValueError as exc:
        raise _fail(where, f"filtering failed ({' '.join(str(exc).split())[:160]})") from None
    data = raw.get_data() * factors[:, None]
    keep = np.arange(len(names))
    if cfg.bad_z is not None:
        outliers = outlier_channels(data, types, cfg.bad_z)
        if cfg.bad_channels == "drop":
            keep = np.setdiff1d(keep, outliers)
        else:
            flagged += [names[i] for i in outliers if names[i] not in flagged]
    if cfg.bad_channels in ("zero", "interpolate") and flagged:
        data = _repair(raw, data, names, flagged, factors, cfg.bad_channels, where)
    positions, orientations, space = file_positions(raw) if by_file else (None, None, "")
    if len(keep) < len(names):
        if not len(keep):
            raise _fail(where, "every channel was marked bad")
        data, factors = data[keep], factors[keep]
        names, types, units = ([x[i] for i in keep] for x in (names, types, units))
        positions = positions[keep] if positions is not None else None
        orientations = orientations[keep] if orientations is not None else None
    if cfg.montage == "tcp":
        data, names = to_tcp(data, names, cfg.min_tcp_pairs, where)
        types, units = ["eeg"] * len(names), ["uV"] * len(names)
    sensors: dict[str, Any] = {}
    if positions is not None:
        sensors.update(position_source="file", position_space=space, orientations=orientations)
    bad = list(dict.fromkeys(flagged + [n for n in flat if n in names]))
    if bad:
        sensors["bad_channels"] = bad
    return Prepared(
        np.ascontiguousarray(data, dtype=np.float32), names, sfreq, types, units, positions, sensors
    )


def _compensate(raw: Any, cfg: Preprocessing, where: str) -> None:
    """CTF synthetic gradiometers of order `cfg.gradient_compensation` (no-op elsewhere)."""
    if cfg.gradient_compensation is None or not raw.info.get("comps"):
        return  # not CTF: no compensation matrices
    if raw.compensation_grade == cfg.gradient_compensation:
        return
    try:
        raw.apply_gradient_compensation(cfg.gradient_compensation, verbose="error")
    except (ValueError, RuntimeError) as exc:
        raise _fail(
            where, f"gradient compensation failed ({' '.join(str(exc).split())[:160]})"
        ) from None


def _repair(
    raw: Any,
    data: np.ndarray,
    names: list[str],
    bad: list[str],
    factors: np.ndarray,
    how: str,
    where: str,
) -> np.ndarray:
    """Bad channels' rows set to zero, or interpolated by mne (`interpolate_bads`)."""
    rows = [names.index(n) for n in bad if n in names]
    data = data.copy()
    if how == "zero":
        data[rows] = 0.0
        return data
    raw.info["bads"] = [raw.ch_names[i] for i in rows]
    # without digitised head points mne cannot fit a sphere: use its default head centre
    origin = "auto" if raw.info.get("dig") else (0.0, 0.0, 0.04)
    try:
        raw.interpolate_bads(reset_bads=True, origin=origin, verbose="error")
    except (ValueError, RuntimeError) as exc:
        raise _fail(
            where, f"cannot interpolate bad channels ({' '.join(str(exc).split())[:160]})"
        ) from None
    return raw.get_data() * factors[:, None]


def to_tcp(
    data: np.ndarray, names: list[str], min_pairs: int = 1, where: str = "recording"
) -> tuple[np.ndarray, list[str]]:
    """Referential (C, T) -> TCP bipolar (P, T) over the derivable pairs, in TCP order."""
    index = {n: i for i, n in enumerate(names)}
    pairs = [(a, b) for a, b in TCP_PAIRS if a in index and b in index]
    if len(pairs) < min_pairs:
        raise _fail(
            where,
            f"only {len(pairs)} TCP pairs derivable (need {min_pairs}); has {', '.join(names)}",
        )
    out = np.stack([data[index[a]] - data[index[b]] for a, b in pairs])
    return out, [f"{a}-{b}" for a, b in pairs]


def load_recording(
    source: RecordingSource,
    cfg: Preprocessing,
    events_seconds: Sequence[tuple[float, float, int, int]] = (),
) -> Recording:
    """Read `source.path` with mne, preprocess it, and wrap it as a Recording.

    `events_seconds` are (onset s, duration s, label, channel) in the raw file's time;
    they are converted to samples of the prepared signal (shifted by any cropped start).
    """
    from neurokit.core.data.rawio import read_raw

    where = str(source.path)
    raw = read_raw(Path(source.path), preload=True)
    prepared = prepare_raw(raw, cfg, where)
    data, sfreq = prepared.data, prepared.sfreq
    shift = cfg.drop_first_seconds
    events = []
    for onset, duration, label, channel in events_seconds:
        start = int(round((onset - shift) * sfreq))
        length = max(1, int(round(duration * sfreq)))
        if start + length <= 0 or start >= data.shape[1]:
            continue
        events.append(
            Event(start=max(start, 0), length=length, label=int(label), channel=int(channel))
        )
    return prepared.recording(source, events)
