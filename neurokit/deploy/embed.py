"""`neurokit embed`: per-window features of a trained run, in a Zarr group.

Layout (Zarr v3): `pooled` (N, F) float32 and, on request, `tokens` (N, S, F)
float32; the window index `recording` (N,) int32 into the group attribute
`recordings`, `start` / `end` (N,) float64 seconds; attributes carry the run, the
channels, rate and window. Arrays grow one recording at a time, and the group is
written to a temporary folder that replaces `out` only when complete.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from neurokit.core.errors import ConfigError, DataError
from neurokit.deploy.inputs import InputRecording, recording_windows
from neurokit.deploy.trained import TrainedModel


@dataclass
class EmbedSummary:
    """What an embed run wrote."""

    out: Path
    windows: int = 0
    recordings: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    pooled_shape: tuple[int, ...] = ()
    tokens_shape: tuple[int, ...] | None = None


def _append(group, name: str, values: np.ndarray) -> None:
    if name not in group:
        chunks = (min(max(len(values), 1), 256), *values.shape[1:])
        group.create_array(name, shape=(0, *values.shape[1:]), dtype=values.dtype, chunks=chunks)
    array = group[name]
    n = array.shape[0]
    array.resize((n + len(values), *values.shape[1:]))
    array[n:] = values


def embed(
    model: TrainedModel,
    inputs: list[InputRecording],
    out: str | Path,
    per_token: bool = False,
    batch_size: int = 64,
    overwrite: bool = False,
    on_recording: Callable[[str, str | None], None] | None = None,
) -> EmbedSummary:
    """Write the features of every window of every usable recording to `out` (a .zarr folder)."""
    import zarr

    out = Path(out)
    if out.exists() and not overwrite:
        raise ConfigError(f"--out {str(out)!r} exists; pass --overwrite to replace it")
    tmp = out.with_name(f".{out.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    group = zarr.open_group(str(tmp), mode="w")
    summary = EmbedSummary(out)
    seconds = model.window_samples / model.sfreq
    for rec in inputs:
        try:
            parts = []
            for starts, windows, _ in recording_windows(rec, model, batch_size):
                x = torch.from_numpy(windows).to(model.device)
                parts.append((starts, model.embed_windows(x, per_token=per_token)))
            if not parts:
                raise DataError(f"{rec.where}: shorter than one {seconds:g} s window")
        except DataError as exc:
            summary.skipped.append((rec.name, str(exc)))
            if on_recording:
                on_recording(rec.name, str(exc))
            continue
        index = len(summary.recordings)
        summary.recordings.append(rec.name)
        for starts, features in parts:
            pooled, tokens = features if per_token else (features, None)
            begin = starts / model.sfreq
            _append(group, "pooled", pooled.cpu().numpy().astype(np.float32))
            if tokens is not None:
                _append(group, "tokens", tokens.cpu().numpy().astype(np.float32))
            _append(group, "recording", np.full(len(starts), index, dtype=np.int32))
            _append(group, "start", begin.astype(np.float64))
            _append(group, "end", (begin + seconds).astype(np.float64))
            summary.windows += len(starts)
        if on_recording:
            on_recording(rec.name, None)
    if not summary.windows:  # nothing written; the caller says why
        shutil.rmtree(tmp, ignore_errors=True)
        return summary
    group.attrs.update(
        {
            "neurokit_embeddings": 1,
            "recordings": summary.recordings,
            "model": model.describe(),
            "per_token": per_token,
        }
    )
    summary.pooled_shape = tuple(group["pooled"].shape)
    if per_token:
        summary.tokens_shape = tuple(group["tokens"].shape)
    if out.exists():
        shutil.rmtree(out)
    tmp.replace(out)
    return summary
