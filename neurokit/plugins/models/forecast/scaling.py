"""Per-recording robust scaling kept with the store (ephys_gpt's stage 2), and its inverse.

The official stage 2 fits a RobustScaler per channel over a whole session, clips at
mean +- 5 std of the scaled signal, and mu-laws `x / 5`. Fitting per window instead (what
a batch alone allows) changes the scale from window to window and cannot be undone, so
generated tokens could not go back to tesla. Here each recording's parameters (median,
IQR, clip bounds per channel, with the channel names) are fitted once over the whole
recording and written into the store's root attributes (`forecast_scaling`); a
read-only store gets them fitted in memory. The stage attaches them to every batch by
recording id (`attach`), and `ScalingTable.to_signal` maps generated codes back to the
store's units (fT, fT/cm; `to_tesla` for SI).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from neurokit.plugins.models.forecast.inputs import EXTRA_KEYS, STD_FACTOR
from neurokit.plugins.models.forecast.tokenizer import RobustScaling, mulaw_decode

ATTR = "forecast_scaling"
TO_SI = {"fT": 1e-15, "fT/cm": 1e-13, "uV": 1e-6}


def fit_recording(signal: np.ndarray, std_factor: float = STD_FACTOR) -> dict[str, list[float]]:
    """center, scale, low, high (per channel) of a (C, T) recording, as the official stage 2."""
    fitted = RobustScaling.fit(torch.from_numpy(np.asarray(signal, dtype=np.float64)), std_factor)
    return {k: [float(v) for v in getattr(fitted, k)] for k in ("center", "scale", "low", "high")}


@dataclass
class ScalingTable:
    """Fitted parameters per recording id: {rid: {names, units, center, scale, low, high}}."""

    recordings: dict[str, dict[str, Any]]
    std_factor: float = STD_FACTOR

    @classmethod
    def for_store(cls, store: Any, std_factor: float = STD_FACTOR) -> ScalingTable:
        """The store's table, fitting (and writing, when the store is writable) what is missing."""
        saved = dict(store.root.attrs.get(ATTR) or {})
        table = saved.get("recordings", {}) if saved.get("std_factor") == std_factor else {}
        missing = [rid for rid in store.recordings if rid not in table]
        for rid in missing:
            channels = store.channels(rid)
            table[rid] = {
                "names": list(channels.names),
                "units": list(channels.units),
                **fit_recording(store.read(rid), std_factor),
            }
        if missing:
            _write(store, {"std_factor": std_factor, "recordings": table})
        return cls(table, std_factor)

    def attach(self, batch: Any) -> Any:
        """`batch` with extras robust_center/robust_scale/clip_low/clip_high (B, C) taken from
        each window's recording (padded channels: identity); unchanged if one is unknown."""
        if not batch.recording or any(r not in self.recordings for r in batch.recording):
            return batch
        b, c = batch.signal.shape[:2]
        values = {key: np.zeros((b, c), dtype=np.float32) for key in EXTRA_KEYS}
        values["robust_scale"][:] = 1.0
        for i, (rid, names) in enumerate(zip(batch.recording, batch.channel_names, strict=True)):
            entry = self.recordings[rid]
            index = {n: k for k, n in enumerate(entry["names"])}
            rows = [index.get(n) for n in names]
            if any(r is None for r in rows):
                return batch
            for key, field in zip(EXTRA_KEYS, ("center", "scale", "low", "high"), strict=True):
                values[key][i, : len(rows)] = np.asarray(entry[field])[rows]
        device = batch.signal.device
        extras = {**batch.extras, **{k: torch.from_numpy(v).to(device) for k, v in values.items()}}
        from dataclasses import replace

        return replace(batch, extras=extras)

    def to_signal(self, codes: torch.Tensor, recording: str, vocab_size: int) -> torch.Tensor:
        """(…, C, T) codes of `recording`'s channels -> the store's units (fT, fT/cm)."""
        entry = self.recordings[recording]
        robust = mulaw_decode(codes, vocab_size - 1) * self.std_factor
        scaling = RobustScaling(
            *(torch.tensor(entry[k]) for k in ("center", "scale", "low", "high"))
        )
        return scaling.inverse(robust.to(scaling.center.device))

    def to_tesla(self, codes: torch.Tensor, recording: str, vocab_size: int) -> torch.Tensor:
        """`to_signal` in SI units (T for magnetometers, T/m for gradiometers)."""
        signal = self.to_signal(codes, recording, vocab_size)
        factor = [TO_SI.get(u, 1.0) for u in self.recordings[recording]["units"]]
        return signal * torch.tensor(factor, dtype=signal.dtype)[:, None]


def _write(store: Any, value: dict[str, Any]) -> None:
    """Keep the table in the store's root attributes; a read-only store keeps it in memory."""
    from neurokit.core.data.location import open_group

    try:
        open_group(store.location, "r+", getattr(store, "storage_options", None)).attrs[ATTR] = (
            value
        )
    except Exception:  # read-only or remote without write access: fitted again next time
        return
    store._root = None  # reopen, so that this process reads what was written
