"""The torch side of the `forecast` family's stages (imported when a run builds them).

`ForecastPretrainStage` trains on the next-step loss (`losses.next_step_loss`) and
overrides `evaluate` to add what a forecaster is judged by beyond its loss:

- per-channel next-step accuracy (`channel_accuracy`, and its mean and minimum);
- a free-running rollout: the first `prompt_seconds` of up to `rollout_windows` windows
  prompt `generate` (KV cache, top-p sampling), which runs for `rollout_seconds`; the
  de-quantised rollout is compared with the split's real windows (de-quantised the same
  way) by the Welch PSD (nperseg = sfreq) log-spectral distance in dB, averaged over
  channels (also per band), and by the correlation of the channel covariance matrices;
- the same numbers for a shuffled-real baseline: the real windows with each channel's
  samples permuted independently, which keeps each channel's amplitude distribution
  but loses its spectrum and the covariance between channels. A rollout that does not
  beat it has learnt neither.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from neurokit.core.stage import Direction, Evaluation, Stage, StepOutput
from neurokit.plugins.models.forecast.losses import next_step_loss
from neurokit.plugins.models.forecast.tokenizer import mulaw_decode

BANDS = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 13), "beta": (13, 30), "gamma": (30, 100)}
SPECTRAL = ("psd_lsd", "cov_corr")


def welch_psd(x: np.ndarray, sfreq: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """(freqs, PSD (..., F)) of Welch's method along the last axis."""
    from scipy.signal import welch

    return welch(x, fs=sfreq, nperseg=nperseg, axis=-1)


def log_spectral_distance(psd: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> float:
    """RMS over frequencies in `mask` of 10 log10(psd / reference), averaged over channels (dB)."""
    if not mask.any():
        return float("nan")
    eps = 1e-12
    diff = 10 * np.log10((psd[:, mask] + eps) / (reference[:, mask] + eps))
    return float(np.sqrt((diff**2).mean(axis=-1)).mean())


def covariance_correlation(x: np.ndarray, reference: np.ndarray) -> float:
    """Pearson correlation of the upper triangles (diagonal included) of the two channel
    covariance matrices of (C, T) signals."""
    a, b = np.cov(x), np.cov(reference)
    rows, cols = np.triu_indices(a.shape[0])
    u, v = a[rows, cols], b[rows, cols]
    if u.std() == 0 or v.std() == 0:
        return 0.0
    return float(np.corrcoef(u, v)[0, 1])


def spectral_metrics(signal: np.ndarray, reference: np.ndarray, sfreq: float) -> dict[str, float]:
    """PSD distance (overall and per band) and covariance correlation of (N, C, T) signals
    against (M, C, T') real data."""
    # nperseg = sfreq (1-Hz bins), or the shorter signal's length when it is shorter
    nperseg = int(min(round(sfreq), signal.shape[-1], reference.shape[-1]))
    freqs, psd = welch_psd(signal, sfreq, nperseg)
    _, ref = welch_psd(reference, sfreq, nperseg)
    psd, ref = psd.mean(axis=0), ref.mean(axis=0)  # (C, F)
    found = {"psd_lsd": log_spectral_distance(psd, ref, freqs > 0)}
    for band, (low, high) in BANDS.items():
        mask = (freqs >= low) & (freqs < high)
        if mask.any():
            found[f"psd_lsd_{band}"] = log_spectral_distance(psd, ref, mask)
    joined = np.concatenate(list(signal), axis=-1)  # (C, N*T)
    found["cov_corr"] = covariance_correlation(joined, np.concatenate(list(reference), axis=-1))
    return found


class ForecastPretrainStage(Stage):
    """`forecast` `pretrain`: next-step cross-entropy; rollouts judged by spectra."""

    metrics: dict[str, Direction] = {
        "accuracy": "max",
        "repeat_accuracy": "max",
        "channel_accuracy_mean": "max",
        "channel_accuracy_min": "max",
        "rollout_psd_lsd": "min",
        "rollout_cov_corr": "max",
        "shuffled_psd_lsd": "min",
        "shuffled_cov_corr": "max",
        **{f"{who}_psd_lsd_{band}": "min" for who in ("rollout", "shuffled") for band in BANDS},
    }
    monitor = "loss"

    def __init__(self, backbone: nn.Module, config: Any, sfreq: float) -> None:
        super().__init__()
        self.backbone = backbone
        self.config = config
        self.sfreq = float(sfreq)

    def _forward(self, batch) -> tuple[StepOutput, dict[str, torch.Tensor]]:
        extras = self.backbone.forward_batch(batch).extras
        loss, logs = next_step_loss(
            extras["next_token_logits"],
            extras["codes"],
            extras["channel_mask"],
            self.config.label_smoothing,
        )
        return StepOutput(loss, logs), extras

    def training_step(self, batch) -> StepOutput:
        return self._forward(batch)[0]

    def evaluation_step(self, batch) -> StepOutput:
        """Loss and logs; predictions: (B, C) next-step hit rate of each window's channels."""
        step, extras = self._forward(batch)
        logits, codes = extras["next_token_logits"], extras["codes"]
        hits = (logits[:, :, :-1].argmax(-1) == codes[:, :, 1:]).float().mean(-1)
        step.predictions = hits.masked_fill(~extras["channel_mask"], float("nan"))
        step.targets = codes  # the tokens the rollout is prompted with and judged against
        return step

    # ---------------------------------------------------------------- evaluation

    def evaluate(self, evaluation: Evaluation) -> dict[str, Any]:
        """Mean loss and logs, per-channel accuracy, then the rollout against the split."""
        sums: dict[str, float] = {"loss": 0.0}
        count = 0
        hits: list[np.ndarray] = []
        prompts: list[torch.Tensor] = []
        real: list[np.ndarray] = []
        for batch, valid in evaluation.batches():
            step = evaluation.step(batch)
            if valid <= 0:
                continue
            count += valid
            sums["loss"] += float(step.loss) * valid
            for key, value in step.logs.items():
                sums[key] = sums.get(key, 0.0) + float(value) * valid
            full = step.predictions[:valid].isfinite().all(-1)  # windows with every channel real
            hits.append(step.predictions[:valid].float().cpu().numpy())
            codes = step.targets[:valid][full]
            if len(codes) and (not real or codes.shape[1:] == real[0].shape[1:]):
                real.append(self._decode(codes).cpu().numpy())
                prompts.append(codes)
        totals = evaluation.all_reduce_sum({**sums, "__count__": float(count)})
        total = max(totals.pop("__count__"), 1.0)
        result: dict[str, Any] = {key: value / total for key, value in totals.items()}
        result.update(self._channel_accuracy(evaluation, hits))
        if self.config.rollout_seconds > 0 and real:
            result.update(self._rollout(evaluation, torch.cat(prompts), np.concatenate(real)))
        return result

    def _channel_accuracy(self, evaluation: Evaluation, hits: list[np.ndarray]) -> dict[str, Any]:
        width = max((h.shape[1] for h in hits), default=0)
        rows = [np.pad(h, ((0, 0), (0, width - h.shape[1])), constant_values=np.nan) for h in hits]
        table = evaluation.gather(np.concatenate(rows) if rows else np.zeros((0, width)))
        if table.size == 0:
            return {}
        with np.errstate(invalid="ignore"):
            per_channel = np.nanmean(table, axis=0)
        return {
            "channel_accuracy": [float(v) for v in per_channel],
            "channel_accuracy_mean": float(np.nanmean(per_channel)),
            "channel_accuracy_min": float(np.nanmin(per_channel)),
        }

    def _decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Tokens back to robust units (mu = vocabulary size - 1, the official max_val 5)."""
        from neurokit.plugins.models.forecast.inputs import STD_FACTOR

        return mulaw_decode(codes, self.backbone.vocab_size - 1) * STD_FACTOR

    def _rollout(self, evaluation: Evaluation, prompts, real: np.ndarray) -> dict[str, Any]:
        from neurokit.plugins.models.forecast.generate import generate

        c = self.config
        n = min(c.rollout_windows, len(prompts))
        prompt_steps = max(1, min(int(round(c.prompt_seconds * self.sfreq)), prompts.shape[-1]))
        steps = max(2, int(round(c.rollout_seconds * self.sfreq)))
        generator = torch.Generator(device=prompts.device).manual_seed(c.seed)
        codes = generate(
            self.backbone,
            prompts[:n, :, :prompt_steps],
            steps,
            strategy="top_p",
            top_p=c.top_p,
            temperature=c.temperature,
            generator=generator,
        )
        rollout = self._decode(codes).float().cpu().numpy()
        rng = np.random.default_rng(c.seed)
        shuffled = rng.permuted(real, axis=-1)  # each channel of each window on its own
        found: dict[str, Any] = {}
        for who, signal in (("rollout", rollout), ("shuffled", shuffled)):
            for key, value in spectral_metrics(signal, real, self.sfreq).items():
                found[f"{who}_{key}"] = value
        # one process's rollout; the others' numbers are averaged in
        size = evaluation.all_reduce_sum({"__n__": 1.0})["__n__"]
        summed = evaluation.all_reduce_sum({k: float(v) for k, v in found.items()})
        return {key: value / size for key, value in summed.items()}
