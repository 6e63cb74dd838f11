"""What NeuroLM's preparation scripts share for the corpora it added (SEED, HMC, Workload).

Every one of `dataset_maker/prepare_{SEED,HMC,workload}.py` band-passes 0.1-75 Hz,
notches 50 Hz, resamples to 200 Hz and stores microvolts: LaBraM's recipe, kept as
each dataset's default so the stores match NeuroLM's inputs without a model plugin.
"""

from __future__ import annotations

from typing import Any

NEUROLM_PREPROCESSING: dict[str, Any] = {
    "l_freq": 0.1,
    "h_freq": 75.0,
    "notch": 50.0,
    "sfreq": 200.0,
    "units": "uV",
}


def sliding_starts(n_samples: int, window: int, stride: int) -> list[int]:
    """Starts of the whole windows of `window` samples, `stride` apart, inside `n_samples`."""
    from neurokit.core.data.dataset import window_starts

    return [int(s) for s in window_starts(n_samples, window, stride)]
