"""Numbers that judge generated MEG against real data: Welch PSD distance and covariance.

The official evaluation only plots PSDs and covariance matrices side by side; these
turn them into numbers so that a rollout can be compared with a baseline:

- log-spectral distance (dB): per channel, the RMS over frequencies of
  10 log10(PSD / PSD_real), Welch with nperseg = sfreq (1-Hz bins); averaged over
  channels, overall and per band;
- covariance correlation: Pearson correlation of the upper triangles of the channel
  covariance matrices (a generator that mixes channels like the data scores near 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BANDS = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 13), "beta": (13, 30), "gamma": (30, 100)}


def welch_psd(x: np.ndarray, sfreq: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """(freqs, PSD (..., F)) of Welch's method along the last axis."""
    from scipy.signal import welch

    return welch(x, fs=sfreq, nperseg=nperseg, axis=-1)


def channel_lsd(psd: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(C,) RMS over frequencies in `mask` of 10 log10(psd / reference) (dB)."""
    eps = 1e-12
    diff = 10 * np.log10((psd[:, mask] + eps) / (reference[:, mask] + eps))
    return np.sqrt((diff**2).mean(axis=-1))


def log_spectral_distance(psd: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> float:
    """`channel_lsd` averaged over channels (nan when `mask` selects no frequency)."""
    if not mask.any():
        return float("nan")
    return float(channel_lsd(psd, reference, mask).mean())


def matrix_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of the upper triangles (diagonal included) of two (C, C) matrices."""
    rows, cols = np.triu_indices(a.shape[0])
    u, v = a[rows, cols], b[rows, cols]
    if u.std() == 0 or v.std() == 0:
        return 0.0
    return float(np.corrcoef(u, v)[0, 1])


def covariance_correlation(x: np.ndarray, reference: np.ndarray) -> float:
    """`matrix_correlation` of the channel covariance matrices of two (C, T) signals."""
    return matrix_correlation(np.cov(x), np.cov(reference))


@dataclass
class Spectra:
    """Mean Welch PSDs (C, F) and channel covariances (C, C) of a signal and its reference."""

    freqs: np.ndarray
    psd: np.ndarray
    reference_psd: np.ndarray
    cov: np.ndarray
    reference_cov: np.ndarray

    @classmethod
    def of(
        cls, signal: np.ndarray, reference: np.ndarray, sfreq: float, nperseg: int | None = None
    ) -> Spectra:
        """(N, C, T) signals against (M, C, T') real data; nperseg = sfreq, or the shorter
        signal's length when that is shorter."""
        nperseg = nperseg or int(min(round(sfreq), signal.shape[-1], reference.shape[-1]))
        freqs, psd = welch_psd(signal, sfreq, nperseg)
        _, ref = welch_psd(reference, sfreq, nperseg)
        joined = np.concatenate(list(signal), axis=-1)
        real = np.concatenate(list(reference), axis=-1)
        return cls(freqs, psd.mean(axis=0), ref.mean(axis=0), np.cov(joined), np.cov(real))

    def metrics(self) -> dict[str, float]:
        """psd_lsd (overall and psd_lsd_<band>) and cov_corr."""
        found = {"psd_lsd": log_spectral_distance(self.psd, self.reference_psd, self.freqs > 0)}
        for band, (low, high) in BANDS.items():
            mask = (self.freqs >= low) & (self.freqs < high)
            if mask.any():
                found[f"psd_lsd_{band}"] = log_spectral_distance(self.psd, self.reference_psd, mask)
        found["cov_corr"] = matrix_correlation(self.cov, self.reference_cov)
        return found

    def channel_distance(self) -> np.ndarray:
        """(C,) log-spectral distance of each channel over all non-zero frequencies."""
        return channel_lsd(self.psd, self.reference_psd, self.freqs > 0)


def spectral_metrics(signal: np.ndarray, reference: np.ndarray, sfreq: float) -> dict[str, float]:
    """PSD distance (overall and per band) and covariance correlation of (N, C, T) signals
    against (M, C, T') real data."""
    return Spectra.of(signal, reference, sfreq).metrics()
