"""Lab Streaming Layer in and out through mne-lsl (the optional `stream` extra; it bundles liblsl).

`LslSource` resolves a stream by name and yields its chunks as channels x samples arrays
with the timestamp of their newest sample, which is what `neurokit.deploy.stream`
consumes; `PredictionOutlet` publishes one sample per prediction (the class
probabilities, one channel per class, irregular rate).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from neurokit.core.errors import ConfigError, DataError
from neurokit.deploy.online import unit_scale

# liblsl logs INFO lines (and an ERR when a source stops) straight to stderr, which would
# bury the CLI's output; keep only fatal ones unless the user points LSLAPICFG elsewhere.
_QUIET_CONFIG = "[log]\nlevel = -3\n"


def _quiet_liblsl() -> None:
    if "LSLAPICFG" in os.environ:
        return
    path = Path(tempfile.gettempdir()) / "neurokit-lsl_api.cfg"
    try:
        if not path.is_file() or path.read_text() != _QUIET_CONFIG:
            partial = path.with_name(f"{path.name}.{os.getpid()}")
            partial.write_text(_QUIET_CONFIG)
            os.replace(partial, path)  # atomic: another process never reads half a file
    except OSError:
        return
    os.environ["LSLAPICFG"] = str(path)


def _lsl() -> Any:
    _quiet_liblsl()
    try:
        from mne_lsl import lsl
    except ImportError:
        raise ConfigError(
            "streaming needs mne-lsl: pip install 'neurokit[stream]' (or mne-lsl>=1.6)"
        ) from None
    return lsl


class LslSource:
    """An LSL inlet on the stream called `name`: its channel names, rate, unit scale and chunks."""

    def __init__(self, name: str, timeout: float = 10.0, scale: float | None = None):
        lsl = _lsl()
        found = lsl.resolve_streams(timeout=timeout, name=name)
        if not found:
            raise DataError(f"no LSL stream named {name!r} found within {timeout:g} s")
        info = found[0]
        if info.sfreq <= 0:
            raise DataError(f"LSL stream {name!r} has an irregular rate; EEG needs a fixed one")
        self.name = name
        # recover=False: a vanished source raises instead of blocking the pull while liblsl
        # waits for it to come back
        self.inlet = lsl.StreamInlet(info, max_buffered=max(10, math.ceil(timeout)), recover=False)
        self.inlet.open_stream(timeout=timeout)
        full = self.inlet.get_sinfo()
        self.sfreq = float(full.sfreq)
        self.channel_names = list(full.get_channel_names() or [])
        if len(self.channel_names) != full.n_channels or not all(self.channel_names):
            raise DataError(f"LSL stream {name!r} does not name its channels")
        self.scale = float(scale) if scale is not None else unit_scale(full.get_channel_units())
        self.timeout = timeout

    def chunks(
        self, duration: float | None = None, poll: float = 0.01
    ) -> Iterator[tuple[np.ndarray, float]]:
        """(channels x samples, newest timestamp) until `duration` seconds of signal have come
        (None: forever); a stream silent for `timeout` seconds is an error."""
        received, last_data = 0, time.monotonic()
        limit = None if duration is None else round(duration * self.sfreq)
        while limit is None or received < limit:
            want = 1024 if limit is None else min(1024, limit - received)
            try:
                data, stamps = self.inlet.pull_chunk(timeout=0.0, max_samples=want)
            except Exception as exc:  # liblsl's LostError and kin
                raise DataError(f"LSL stream {self.name!r} was lost ({exc})") from None
            if len(stamps) == 0:
                if time.monotonic() - last_data > self.timeout:
                    raise DataError(f"LSL stream {self.name!r} sent nothing for {self.timeout:g} s")
                time.sleep(poll)
                continue
            last_data = time.monotonic()
            received += len(stamps)
            yield np.asarray(data, dtype=np.float64).T, float(stamps[-1])

    def close(self) -> None:
        self.inlet.close_stream()


class PredictionOutlet:
    """An LSL outlet named `name`: one float32 sample per prediction, one channel per class."""

    def __init__(self, name: str, classes: Sequence[str], source_id: str | None = None):
        lsl = _lsl()
        info = lsl.StreamInfo(
            name, "Predictions", len(classes), 0.0, "float32", source_id or f"neurokit-{name}"
        )
        info.set_channel_names(list(classes))
        self.outlet = lsl.StreamOutlet(info)
        self._clock = lsl.local_clock

    def push(self, probabilities: np.ndarray, timestamp: float | None = None) -> None:
        stamp = timestamp if timestamp is not None else self._clock()
        self.outlet.push_sample(np.asarray(probabilities, dtype=np.float32), stamp)
