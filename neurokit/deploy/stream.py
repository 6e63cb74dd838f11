"""Real-time prediction: a trained model over any iterator of sample chunks, one result per hop.

A stream is an iterator of arrays (channels x samples, any chunk size) with fixed channel
names and a sampling rate. `StreamPredictor` maps the channels to the model's, scales
to microvolts, filters causally and resamples (`neurokit.deploy.online`), keeps the
last window in a rolling buffer, and every `hop` seconds of signal yields a
`StreamPrediction` (time, class probabilities, label). The first prediction comes once a
full window has arrived; several hops that arrive in one chunk are run as one batch.

Windows are cut on the model-rate sample clock: window k covers samples
[k * hop, k * hop + window) of the preprocessed signal, so `process_offline` over the
same recording, cut the same way, gives the same windows (and predictions) as the stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from neurokit.core.errors import ConfigError
from neurokit.deploy.online import OnlinePipeline


class WindowModel(Protocol):
    """What streaming needs from a trained model (`neurokit.deploy.trained.TrainedModel`)."""

    channels: Sequence[str]
    sfreq: float
    window_samples: int
    profile: Any
    classes: Sequence[str]

    def predict_windows(self, x: Any) -> Any:
        """Class probabilities (B x K) for preprocessed windows (a B x C x T float32 tensor,
        microvolts, in `channels` order)."""
        ...


@dataclass(frozen=True)
class StreamPrediction:
    """One hop's result. Times are seconds on the stream's sample clock (0 = first sample)."""

    index: int
    start: float
    end: float
    probabilities: np.ndarray
    label: str
    timestamp: float | None = None  # the source clock (e.g. LSL) of the newest sample, if known

    def as_dict(self, classes: Sequence[str]) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": round(self.start, 6),
            "end": round(self.end, 6),
            "label": self.label,
            "timestamp": self.timestamp,
            **{f"p_{c}": float(p) for c, p in zip(classes, self.probabilities, strict=True)},
        }


def predict(model: WindowModel, windows: np.ndarray) -> np.ndarray:
    """`model.predict_windows` on a numpy batch, as float64 numpy (torch in between)."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32))
    device = getattr(model, "device", None)
    if device is not None:
        x = x.to(device)
    out = model.predict_windows(x)
    if isinstance(out, torch.Tensor):
        out = out.detach().float().cpu().numpy()
    return np.asarray(out, dtype=np.float64)


class StreamPredictor:
    """Push chunks, get predictions: the stateful core of `stream` and `neurokit stream`."""

    def __init__(
        self,
        model: WindowModel,
        channel_names: Sequence[str],
        sfreq: float,
        hop: float = 1.0,
        scale: float = 1.0,
    ):
        if hop <= 0:
            raise ConfigError(f"hop must be positive (got {hop:g} s)")
        self.model = model
        self.classes = list(model.classes)
        self.window = int(model.window_samples)
        self.hop = max(1, round(hop * float(model.sfreq)))
        self.model_sfreq = float(model.sfreq)
        self.pipeline = OnlinePipeline(
            channel_names, sfreq, model.channels, model.sfreq, model.profile, scale
        )
        self._buffer = np.zeros((len(model.channels), 0), dtype=np.float32)
        self._buffer_start = 0  # model-rate sample index of the buffer's first column
        self._next_start = 0  # start sample of the next window to emit
        self._count = 0

    def warm_up(self) -> None:
        """One prediction on zeros, so the first real hop does not pay for lazy initialisation."""
        predict(self.model, np.zeros((1, len(self.model.channels), self.window), np.float32))

    @property
    def dropped_channels(self) -> list[str]:
        """Stream channels the model does not use."""
        return self.pipeline.channels.dropped

    def push(self, chunk: np.ndarray, timestamp: float | None = None) -> list[StreamPrediction]:
        """Add one chunk (channels x samples, stream rate); return the hops it completed."""
        new = self.pipeline(chunk).astype(np.float32)
        self._buffer = np.concatenate([self._buffer, new], axis=1)
        end = self._buffer_start + self._buffer.shape[1]
        starts = list(range(self._next_start, end - self.window + 1, self.hop))
        results: list[StreamPrediction] = []
        if starts:
            local = [s - self._buffer_start for s in starts]
            batch = np.stack([self._buffer[:, i : i + self.window] for i in local])
            probs = predict(self.model, batch)
            for start, p in zip(starts, probs, strict=True):
                results.append(
                    StreamPrediction(
                        index=self._count,
                        start=start / self.model_sfreq,
                        end=(start + self.window) / self.model_sfreq,
                        probabilities=p,
                        label=self.classes[int(np.argmax(p))],
                        timestamp=timestamp,
                    )
                )
                self._count += 1
            self._next_start = starts[-1] + self.hop
        keep_from = min(self._next_start, end) - self._buffer_start
        if keep_from > 0:  # only what later windows still need
            self._buffer = self._buffer[:, keep_from:]
            self._buffer_start += keep_from
        return results


def stream(
    model: WindowModel,
    chunks: Iterable[np.ndarray | tuple[np.ndarray, float]],
    channel_names: Sequence[str],
    sfreq: float,
    hop: float = 1.0,
    scale: float = 1.0,
) -> Iterator[StreamPrediction]:
    """Predictions every `hop` seconds over `chunks` (arrays, or (array, timestamp) pairs).

    `channel_names` and `sfreq` describe the chunks; `scale` turns their values into
    microvolts (1e6 for volts). Raises DataError if the stream lacks a model channel.
    """
    predictor = StreamPredictor(model, channel_names, sfreq, hop, scale)
    for item in chunks:
        chunk, stamp = item if isinstance(item, tuple) else (item, None)
        yield from predictor.push(chunk, stamp)
