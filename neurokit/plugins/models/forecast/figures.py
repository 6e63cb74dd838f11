"""Run-report figures of a forecaster's rollout: PSD overlays, covariances, example traces.

Drawn from what `ForecastPretrainStage._rollout` kept of the last split it judged (the
test split at the end of a run), in robust units (de-quantised tokens).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

MAX_TRACES = 4


def write_rollout_figures(run_dir: Path, kept: dict[str, Any]) -> list[tuple[str, str]]:
    """Write psd.png, covariance.png and traces.png; (caption, file name) for each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    split, sfreq = kept["split"], kept["sfreq"]
    rollout, shuffled = kept["spectra"]["rollout"], kept["spectra"]["shuffled"]
    written: list[tuple[str, str]] = []

    fig, ax = plt.subplots(figsize=(7, 4))
    f = rollout.freqs
    for label, psd, color, style in (
        (f"real ({split})", rollout.reference_psd, "k", "-"),
        ("rollout", rollout.psd, "C0", "-"),
        ("shuffled real", shuffled.psd, "C3", "--"),
    ):
        mean = psd.mean(axis=0)
        ax.semilogy(f[1:], mean[1:], style, color=color, label=label, lw=1.5)
        ax.fill_between(f[1:], psd.min(axis=0)[1:], psd.max(axis=0)[1:], color=color, alpha=0.1)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("PSD (robust units² / Hz)")
    ax.set_title("Welch PSD, mean over channels (band: min-max)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(run_dir / "psd.png", dpi=110)
    plt.close(fig)
    written.append(("PSD of the free-running rollout, real data and shuffled real", "psd.png"))

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    matrices = (
        ("real", rollout.reference_cov),
        ("rollout", rollout.cov),
        ("shuffled real", shuffled.cov),
    )
    scale = float(np.abs(rollout.reference_cov).max()) or 1.0
    for ax, (title, matrix) in zip(axes, matrices, strict=True):
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set_title(title)
        ax.set_xlabel("channel")
    axes[0].set_ylabel("channel")
    fig.colorbar(image, ax=list(axes), shrink=0.8)
    fig.savefig(run_dir / "covariance.png", dpi=110)
    plt.close(fig)
    written.append(("channel covariance: real, rollout, shuffled real", "covariance.png"))

    prompt, generated, real = kept["prompt"], kept["rollout"], kept["real"]
    channels = min(MAX_TRACES, prompt.shape[0])
    fig, axes = plt.subplots(channels, 1, figsize=(9, 1.6 * channels + 0.6), sharex=True)
    axes = np.atleast_1d(axes)
    t0 = prompt.shape[-1]
    shown = min(generated.shape[-1], max(4 * t0, int(2 * sfreq)))
    for ch, ax in enumerate(axes):
        ax.plot(np.arange(real.shape[-1]) / sfreq, real[ch], "k-", lw=0.8, label="real")
        ax.plot(np.arange(t0) / sfreq, prompt[ch], "C2-", lw=1.2, label="prompt")
        times = (t0 + np.arange(shown)) / sfreq
        ax.plot(times, generated[ch, :shown], "C0-", lw=0.8, label="rollout")
        ax.set_ylabel(f"ch {ch}")
    axes[0].legend(loc="upper right", fontsize=7, ncol=3)
    axes[-1].set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(run_dir / "traces.png", dpi=110)
    plt.close(fig)
    written.append(("example traces: prompt, rollout and the real window", "traces.png"))
    return written
