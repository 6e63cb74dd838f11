"""Causal, chunk-by-chunk preprocessing for online use: channel map, units, filters, resampling.

Offline, `prepare` filters a whole recording with mne's zero-phase FIR filters (band-pass,
then notch, then resampling): every output sample depends on past *and future* input, and
the phase response is flat. Online there is no future, so `OnlinePipeline` uses causal
filters that keep their state between chunks:

- band edges: 4th-order Butterworth high-pass (`l_freq`) and low-pass (`h_freq`) as
  second-order sections (`scipy.signal.sosfilt`), the notch a 2nd-order IIR notch (Q 25);
  their magnitude response is close to mne's in the pass band, but their phase is not
  zero: slow components are delayed (the 0.1 Hz high-pass by seconds around 0.1 Hz, the
  75 Hz low-pass by a few ms), and the first seconds after the start carry a transient
  (the state starts at the steady state of the first sample, so a DC offset does not ring);
- resampling: a causal polyphase FIR (Kaiser-windowed, 10 zero crossings per side) that
  delays the signal by `delay` seconds (10 / min(rate in, rate out), 50 ms for 1000->200 Hz),
  where mne's FFT resampling has no delay.

So online windows equal offline windows only when both use these filters: `process_offline`
runs the very same pipeline over a whole array (chunking never changes the result), and
that is what streamed predictions are compared against. Against a store made with
zero-phase filters the signals differ by the phase terms above, so predictions agree
closely but not exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import signal

from neurokit.core.data.channels import normalise_channel_name
from neurokit.core.data.preprocess import Preprocessing
from neurokit.core.errors import ConfigError, DataError

BUTTER_ORDER = 4
NOTCH_Q = 25.0
RESAMPLE_ZERO_CROSSINGS = 10

# LSL's channel "unit" field in words, and mne-lsl's power-of-ten codes (0 = volts).
_UNIT_TO_UV = {
    "v": 1e6,
    "volt": 1e6,
    "volts": 1e6,
    "mv": 1e3,
    "millivolt": 1e3,
    "millivolts": 1e3,
    "uv": 1.0,
    "µv": 1.0,
    "μv": 1.0,
    "microvolt": 1.0,
    "microvolts": 1.0,
    "nv": 1e-3,
    "nanovolt": 1e-3,
    "nanovolts": 1e-3,
}


def unit_scale(units: Sequence[str | None]) -> float:
    """The factor that turns a stream's samples into microvolts (what stores hold).

    Accepts LSL unit words (`microvolts`, `uV`, `V`) and mne-lsl's power-of-ten codes
    (`0` = volts, `-6` = microvolts). Channels without a unit are taken as microvolts,
    the LSL convention for EEG; mixed units are an error (give `scale` explicitly).
    """
    scales = set()
    for unit in units:
        text = (unit or "").strip().lower()
        if not text:
            scales.add(1.0)
        elif text.lstrip("-").isdigit():
            scales.add(10.0 ** (int(text) + 6))
        elif text in _UNIT_TO_UV:
            scales.add(_UNIT_TO_UV[text])
        else:
            raise DataError(f"unknown channel unit {unit!r}; give the scale to microvolts")
    if len(scales) > 1:
        raise DataError(
            f"channels have different units ({', '.join(sorted(set(map(str, units))))})"
        )
    return scales.pop() if scales else 1.0


def as_preprocessing(profile: Any) -> Preprocessing:
    """A run's preprocessing (a `Preprocessing`, its dict, a profile name, or None = raw)."""
    from neurokit.core.data.preprocess import RAW_PROFILE
    from neurokit.core.data.preprocess import profile as named_profile

    if profile is None:
        return Preprocessing(**RAW_PROFILE)
    if isinstance(profile, Preprocessing):
        return profile
    if isinstance(profile, str):
        return named_profile(profile)
    if isinstance(profile, Mapping):
        return Preprocessing(**dict(profile))
    raise ConfigError(f"cannot read a preprocessing profile from {type(profile).__name__}")


class ChannelMap:
    """Stream channels -> model channels as one matrix: picks, bipolar pairs, extras dropped.

    Names are compared after neurokit's normalisation (`EEG Fp1-REF` -> `FP1`). A model
    channel `A-B` (LUNA's TCP montage) is taken from the stream when it has it, else
    derived as A minus B from referential channels. A model channel that the stream
    cannot provide is an error naming every such channel.
    """

    def __init__(self, stream_names: Sequence[str], model_names: Sequence[str]):
        stream = [normalise_channel_name(n) for n in stream_names]
        index = {n: i for i, n in enumerate(stream)}
        matrix = np.zeros((len(model_names), len(stream)))
        missing = []
        for row, raw_name in enumerate(model_names):
            name = normalise_channel_name(raw_name)
            parts = name.split("-")
            if name in index:
                matrix[row, index[name]] = 1.0
            elif len(parts) == 2 and all(p in index for p in parts):
                matrix[row, index[parts[0]]] = 1.0
                matrix[row, index[parts[1]]] = -1.0
            else:
                missing.append(raw_name)
        if missing:
            raise DataError(
                f"the stream lacks channels the model needs: {', '.join(missing)} "
                f"(stream has {', '.join(stream_names) or 'none'})"
            )
        self.matrix = matrix
        self.used = sorted(int(i) for i in np.flatnonzero(np.abs(matrix).sum(axis=0)))
        self.dropped = [stream_names[i] for i in range(len(stream)) if i not in set(self.used)]

    def __call__(self, chunk: np.ndarray) -> np.ndarray:
        return self.matrix @ chunk


class CausalFilter:
    """Butterworth band edges and an IIR notch as one SOS cascade with state kept across chunks."""

    def __init__(
        self,
        sfreq: float,
        l_freq: float | None,
        h_freq: float | None,
        notch: float | None,
    ):
        nyquist = sfreq / 2
        if h_freq is not None and h_freq >= nyquist:
            raise DataError(
                f"stream rate {sfreq:g} Hz is too low for the model's {h_freq:g} Hz low-pass"
            )
        sections = []
        if l_freq:
            sections.append(signal.butter(BUTTER_ORDER, l_freq, "highpass", fs=sfreq, output="sos"))
        if h_freq is not None:
            sections.append(signal.butter(BUTTER_ORDER, h_freq, "lowpass", fs=sfreq, output="sos"))
        if notch is not None and notch < nyquist:
            b, a = signal.iirnotch(notch, NOTCH_Q, fs=sfreq)
            sections.append(signal.tf2sos(b, a))
        self.sos = np.concatenate(sections) if sections else None
        self._zi: np.ndarray | None = None

    def __call__(self, chunk: np.ndarray) -> np.ndarray:
        if self.sos is None or chunk.shape[-1] == 0:
            return chunk
        if self._zi is None:  # steady state of the first sample: no ring from a DC offset
            base = signal.sosfilt_zi(self.sos)
            self._zi = base[:, None, :] * chunk[None, :, :1]
        out, self._zi = signal.sosfilt(self.sos, chunk, axis=-1, zi=self._zi)
        return out


class CausalResampler:
    """Rational-rate causal polyphase FIR resampling with its input history kept across chunks.

    Output sample j sits at time j / rate_out and is computed from inputs up to that time,
    so the result does not depend on how the input was chunked. The anti-alias filter
    delays the signal by `delay` seconds.
    """

    def __init__(self, sfreq_in: float, sfreq_out: float):
        ratio = Fraction(sfreq_out / sfreq_in).limit_denominator(1000)
        if abs(float(ratio) * sfreq_in - sfreq_out) > 1e-6 * sfreq_out:
            raise DataError(f"cannot resample {sfreq_in:g} Hz to {sfreq_out:g} Hz exactly")
        self.up, self.down = ratio.numerator, ratio.denominator
        self.identity = self.up == self.down == 1
        span = max(self.up, self.down)
        n_taps = 1 if self.identity else 2 * RESAMPLE_ZERO_CROSSINGS * span + 1
        taps = (
            np.ones(1)
            if self.identity
            else signal.firwin(n_taps, 1.0 / span, window=("kaiser", 5.0)) * self.up
        )
        per_phase = math.ceil(n_taps / self.up)
        self.phases = np.zeros((self.up, per_phase))
        for p in range(self.up):
            coeffs = taps[p :: self.up]
            self.phases[p, : len(coeffs)] = coeffs
        self.delay = (n_taps - 1) / 2 / (self.up * sfreq_in)
        self._history: np.ndarray | None = None
        self._n_in = 0
        self._n_out = 0

    def __call__(self, chunk: np.ndarray) -> np.ndarray:
        if self.identity:
            return chunk
        per_phase = self.phases.shape[1]
        if self._history is None:
            self._history = np.zeros((chunk.shape[0], per_phase - 1))
        ext = np.concatenate([self._history, chunk], axis=1)
        total = self._n_in + chunk.shape[1]
        last = (total * self.up - 1) // self.down
        j = np.arange(self._n_out, last + 1)
        newest = j * self.down // self.up  # newest input each output uses
        local = newest - (self._n_in - (per_phase - 1))
        gathered = ext[:, local[:, None] - np.arange(per_phase)[None, :]]  # C x J x taps
        out = np.einsum("cjt,jt->cj", gathered, self.phases[(j * self.down) % self.up])
        if per_phase > 1:
            self._history = ext[:, ext.shape[1] - (per_phase - 1) :]
        self._n_in = total
        self._n_out = last + 1
        return out


class OnlinePipeline:
    """One stream's path to model input: channel map, scale to uV, causal filters, resampling.

    The order follows `prepare` (channels, filters at the input rate, resampling); the
    map and the filters are linear, so deriving bipolar pairs first changes nothing.
    """

    def __init__(
        self,
        stream_names: Sequence[str],
        sfreq: float,
        model_names: Sequence[str],
        model_sfreq: float,
        profile: Any = None,
        scale: float = 1.0,
    ):
        if sfreq <= 0:
            raise DataError(f"stream sampling rate must be positive (got {sfreq:g})")
        cfg = as_preprocessing(profile)
        self.sfreq, self.model_sfreq, self.scale = float(sfreq), float(model_sfreq), float(scale)
        self.n_stream_channels = len(stream_names)
        self.channels = ChannelMap(stream_names, model_names)
        self.filter = CausalFilter(self.sfreq, cfg.l_freq, cfg.h_freq, cfg.notch)
        self.resampler = CausalResampler(self.sfreq, self.model_sfreq)

    @property
    def delay(self) -> float:
        """Seconds the resampler delays the signal (filters add their own, frequency-dependent)."""
        return self.resampler.delay

    def __call__(self, chunk: np.ndarray) -> np.ndarray:
        data = np.asarray(chunk, dtype=np.float64)
        if data.ndim != 2 or data.shape[0] != self.n_stream_channels:
            raise DataError(
                f"a chunk must be channels x samples with {self.n_stream_channels} channels "
                f"(got shape {tuple(data.shape)})"
            )
        if not np.isfinite(data).all():
            raise DataError("the stream sent NaN or Inf samples")
        return self.resampler(self.filter(self.channels(data) * self.scale))


def process_offline(
    data: np.ndarray,
    stream_names: Sequence[str],
    sfreq: float,
    model_names: Sequence[str],
    model_sfreq: float,
    profile: Any = None,
    scale: float = 1.0,
) -> np.ndarray:
    """The online pipeline over a whole recording at once: what streaming yields, in one call."""
    pipeline = OnlinePipeline(stream_names, sfreq, model_names, model_sfreq, profile, scale)
    return pipeline(data).astype(np.float32)
