"""The torch side of the `forecast` family's stages (imported when a run builds them).

`ForecastPretrainStage` trains on the next-step loss (`losses.next_step_loss`). Its
evaluation uses the stage hooks (`observe`, `conclude`) to add what a forecaster is
judged by beyond its loss, everything de-quantised with mu = vocabulary size - 1 (the
official EvalQuant uses the size itself):

- per-channel next-step accuracy and de-quantised MSE (`channel_accuracy`,
  `channel_mse`, with their means and the minimum accuracy);
- de-quantised next-step MSE by history length (`mse_by_history[h - 1]`: the error of
  predictions made from h steps of context) beside the repeat-last-value baseline;
- N-step recursive forecasts (greedy, the official N = 10): from the first half of up to
  `forecast_windows` windows, `forecast_mse_by_step` / `forecast_accuracy_by_step` against
  the real continuation, and `forecast_repeat_mse` (holding the last prompt value);
- on the splits in `rollout_splits`, a free-running rollout: the first `prompt_seconds`
  of up to `rollout_windows` windows prompt `generate` (KV cache, top-p sampling) for
  `rollout_seconds` (official: 60 s); compared with the split's real windows by Welch PSD
  (nperseg = sfreq) log-spectral distance per channel and band and by channel-covariance
  correlation (`spectra.py`);
- the same numbers for a shuffled-real baseline: the real windows with each channel's
  samples permuted independently, which keeps each channel's amplitude distribution
  but loses its spectrum and the covariance between channels. A rollout that does not
  beat it has learnt neither.

`report_figures` draws PSD overlays, covariance matrices and example traces of the last
split with a rollout into the run report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from neurokit.core.stage import Direction, Evaluation, Stage, StepOutput
from neurokit.plugins.models.forecast.losses import next_step_loss
from neurokit.plugins.models.forecast.spectra import (
    BANDS,
    Spectra,
    spectral_metrics,  # noqa: F401  (re-exported: tests and notebooks import it from here)
)
from neurokit.plugins.models.forecast.tokenizer import mulaw_decode

SPECTRAL = ("psd_lsd", "cov_corr")
MAX_REFERENCE_WINDOWS = 256  # real windows kept per split as the spectral reference


def dequantise(codes: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Tokens back to robust units: mu = vocab_size - 1, times the official max_val 5."""
    from neurokit.plugins.models.forecast.inputs import STD_FACTOR

    return mulaw_decode(codes, vocab_size - 1) * STD_FACTOR


class ForecastPretrainStage(Stage):
    """`forecast` `pretrain`: next-step cross-entropy; rollouts judged by spectra."""

    metrics: dict[str, Direction] = {
        "accuracy": "max",
        "repeat_accuracy": "max",
        "channel_accuracy_mean": "max",
        "channel_accuracy_min": "max",
        "channel_mse_mean": "min",
        "mse": "min",
        "repeat_mse": "min",
        "forecast_mse": "min",
        "forecast_accuracy": "max",
        "forecast_repeat_mse": "min",
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
        self._kept: dict[str, Any] = {}
        self._figures: dict[str, Any] | None = None

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
        """Loss and logs; extras: (B, C) hits and squared errors, (T-1,) error sums by
        history length, and the codes the rollouts are prompted with."""
        step, extras = self._forward(batch)
        logits, codes, mask = extras["next_token_logits"], extras["codes"], extras["channel_mask"]
        vocab = self.backbone.vocab_size
        guess, target = logits[:, :, :-1].argmax(-1), codes[:, :, 1:]
        real = dequantise(target, vocab)
        err = (dequantise(guess, vocab) - real) ** 2  # (B, C, T-1)
        repeat = (dequantise(codes[:, :, :-1], vocab) - real) ** 2
        weight = mask.float()[:, :, None]
        step.extras = {
            "hits": (guess == target).float().mean(-1).masked_fill(~mask, float("nan")),
            "sq_err": err.mean(-1).masked_fill(~mask, float("nan")),
            "err_by_history": (err * weight).sum(dim=1),  # (B, T-1)
            "repeat_by_history": (repeat * weight).sum(dim=1),
            "channels": mask.sum(dim=1).float(),  # (B,)
            "codes": codes,
            "full": mask.all(dim=1),
            "chid": self.backbone_chid(batch),
        }
        return step

    def backbone_chid(self, batch) -> torch.Tensor | None:
        from neurokit.plugins.models.forecast.inputs import channel_rows

        b = self.backbone
        return channel_rows(batch, b.channel_names, b.max_channels)

    # ---------------------------------------------------------------- evaluation

    def begin_split(self, evaluation: Evaluation) -> None:
        self._kept = {"hits": [], "sq_err": [], "err": None, "rep": None, "n": None}
        self._kept.update({"codes": [], "chid": None})

    def observe(self, step: StepOutput, batch, valid: int) -> None:
        e, k = step.extras, self._kept
        k["hits"].append(e["hits"][:valid].float().cpu().numpy())
        k["sq_err"].append(e["sq_err"][:valid].float().cpu().numpy())
        err = e["err_by_history"][:valid].double().sum(0).cpu().numpy()
        rep = e["repeat_by_history"][:valid].double().sum(0).cpu().numpy()
        n = float(e["channels"][:valid].sum())
        if k["err"] is None:
            k["err"], k["rep"], k["n"] = err, rep, np.full_like(err, n)
        elif len(err) == len(k["err"]):  # same window length (always, within a split)
            k["err"], k["rep"], k["n"] = k["err"] + err, k["rep"] + rep, k["n"] + n
        codes = e["codes"][:valid][e["full"][:valid]]
        held = sum(len(c) for c in k["codes"])
        fits = not k["codes"] or codes.shape[1:] == k["codes"][0].shape[1:]
        if len(codes) and held < MAX_REFERENCE_WINDOWS and fits:
            k["codes"].append(codes[: MAX_REFERENCE_WINDOWS - held])
            k["chid"] = e["chid"]

    def conclude(self, evaluation: Evaluation) -> dict[str, Any]:
        k = self._kept
        result = self._channel_metrics(evaluation, k["hits"], k["sq_err"])
        result.update(self._history_metrics(evaluation))
        if k["codes"]:
            codes = torch.cat(k["codes"])
            if self.config.forecast_steps > 0:
                result.update(self._recursive(evaluation, codes, k["chid"]))
            rollout = self.config.rollout_seconds > 0
            if rollout and evaluation.split in self.config.rollout_splits:
                result.update(self._rollout(evaluation, codes, k["chid"]))
        self._kept = {}
        return result

    def _channel_metrics(self, evaluation: Evaluation, hits, errors) -> dict[str, Any]:
        width = max((h.shape[1] for h in hits), default=0)

        def table(parts):
            rows = [
                np.pad(p, ((0, 0), (0, width - p.shape[1])), constant_values=np.nan) for p in parts
            ]
            return evaluation.gather(np.concatenate(rows) if rows else np.zeros((0, width)))

        accuracy, mse = table(hits), table(errors)
        if accuracy.size == 0:
            return {}
        with np.errstate(invalid="ignore"):
            per_channel = np.nanmean(accuracy, axis=0)
            per_channel_mse = np.nanmean(mse, axis=0)
        return {
            "channel_accuracy": [float(v) for v in per_channel],
            "channel_accuracy_mean": float(np.nanmean(per_channel)),
            "channel_accuracy_min": float(np.nanmin(per_channel)),
            "channel_mse": [float(v) for v in per_channel_mse],
            "channel_mse_mean": float(np.nanmean(per_channel_mse)),
        }

    def _history_metrics(self, evaluation: Evaluation) -> dict[str, Any]:
        k = self._kept
        if k["err"] is None:
            return {}
        keys = [f"{w}{i}" for w in ("e", "r", "n") for i in range(len(k["err"]))]
        values = np.concatenate([k["err"], k["rep"], k["n"]])
        summed = evaluation.all_reduce_sum(dict(zip(keys, map(float, values), strict=True)))
        total = np.array([summed[key] for key in keys]).reshape(3, -1)
        count = np.maximum(total[2], 1.0)
        by_history = total[0] / count
        return {
            "mse": float(total[0].sum() / count.sum()),
            "repeat_mse": float(total[1].sum() / count.sum()),
            "mse_by_history": [float(v) for v in by_history],
            "repeat_mse_by_history": [float(v) for v in total[1] / count],
        }

    def _mean_over_ranks(self, evaluation: Evaluation, found: dict[str, Any]) -> dict[str, Any]:
        """Each process's numbers come from its own prompts; average the scalars."""
        size = evaluation.all_reduce_sum({"__n__": 1.0})["__n__"]
        scalars = {k: float(v) for k, v in found.items() if not isinstance(v, list)}
        summed = evaluation.all_reduce_sum(scalars)
        out = {key: value / size for key, value in summed.items()}
        out.update({k: v for k, v in found.items() if isinstance(v, list)})
        return out

    def _recursive(self, evaluation: Evaluation, codes: torch.Tensor, chid) -> dict[str, Any]:
        """Greedy N-step forecasts from the first half of each window vs what followed."""
        from neurokit.plugins.models.forecast.generate import generate

        c, vocab = self.config, self.backbone.vocab_size
        half = codes.shape[-1] // 2
        steps = min(c.forecast_steps, codes.shape[-1] - half)
        if half < 1 or steps < 1:
            return {}
        windows = codes[: c.forecast_windows]
        guess = generate(self.backbone, windows[..., :half], steps, chid=chid)
        truth = windows[..., half : half + steps]
        real = dequantise(truth, vocab)
        err = ((dequantise(guess, vocab) - real) ** 2).mean(dim=(0, 1)).cpu().numpy()
        last = dequantise(windows[..., half - 1 : half], vocab)
        hold = ((last - real) ** 2).mean().item()
        hits = (guess == truth).float().mean(dim=(0, 1)).cpu().numpy()
        found = {
            "forecast_mse": float(err.mean()),
            "forecast_accuracy": float(hits.mean()),
            "forecast_repeat_mse": float(hold),
            "forecast_mse_by_step": [float(v) for v in err],
            "forecast_accuracy_by_step": [float(v) for v in hits],
        }
        return self._mean_over_ranks(evaluation, found)

    def _rollout(self, evaluation: Evaluation, codes: torch.Tensor, chid) -> dict[str, Any]:
        from neurokit.plugins.models.forecast.generate import generate

        c, vocab = self.config, self.backbone.vocab_size
        n = min(c.rollout_windows, len(codes))
        prompt_steps = max(1, min(int(round(c.prompt_seconds * self.sfreq)), codes.shape[-1]))
        steps = max(2, int(round(c.rollout_seconds * self.sfreq)))
        generator = torch.Generator(device=codes.device).manual_seed(c.seed)
        prompt = codes[:n, :, :prompt_steps]
        generated = generate(
            self.backbone,
            prompt,
            steps,
            strategy="top_p",
            top_p=c.top_p,
            temperature=c.temperature,
            chid=chid,
            generator=generator,
        )
        rollout = dequantise(generated, vocab).float().cpu().numpy()
        real = dequantise(codes, vocab).float().cpu().numpy()
        rng = np.random.default_rng(c.seed)
        shuffled = rng.permuted(real, axis=-1)  # each channel of each window on its own
        found: dict[str, Any] = {}
        spectra = {}
        # one resolution for both: nperseg = sfreq, or the shortest signal when shorter
        nperseg = int(min(round(self.sfreq), rollout.shape[-1], real.shape[-1]))
        for who, signal in (("rollout", rollout), ("shuffled", shuffled)):
            spectra[who] = Spectra.of(signal, real, self.sfreq, nperseg)
            for key, value in spectra[who].metrics().items():
                found[f"{who}_{key}"] = value
            found[f"{who}_channel_psd_lsd"] = [float(v) for v in spectra[who].channel_distance()]
        self._figures = {
            "split": evaluation.split,
            "sfreq": self.sfreq,
            "spectra": spectra,
            "prompt": dequantise(prompt[0], vocab).float().cpu().numpy(),
            "rollout": rollout[0],
            "real": real[0],
        }
        return self._mean_over_ranks(evaluation, found)

    def report_figures(self, run_dir: Path) -> list[tuple[str, str]]:
        if self._figures is None:
            return []
        from neurokit.plugins.models.forecast.figures import write_rollout_figures

        return write_rollout_figures(run_dir, self._figures)
