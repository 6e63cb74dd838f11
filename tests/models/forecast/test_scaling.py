"""Robust scaling fitted per recording, kept in the store, undone after generation.

The official stage 2 scales each channel by its session's median and IQR; kept with the
store, the same parameters turn generated tokens back into femtotesla (and tesla). A
window's codes de-quantised this way must match the stored signal to within mu-law
quantisation error, and the store must still verify after the table is written.
"""

from __future__ import annotations

import numpy as np
import torch

from neurokit.core.data.dataset import WindowDataset, collate
from neurokit.core.data.store import Store
from neurokit.core.data.verify import verify_store
from neurokit.plugins.models.forecast.inputs import STD_FACTOR, MuLawTokenizer, batch_codes
from neurokit.plugins.models.forecast.scaling import ATTR, ScalingTable
from tests.models.forecast.test_forecast_family import write_meg_store


def test_store_scaling_round_trips_generated_codes_to_femtotesla(tmp_path):
    path = write_meg_store(tmp_path / "meg.zarr", recordings=3, seconds=20.0)
    store = Store(path)
    table = ScalingTable.for_store(store)
    assert set(Store(path).root.attrs[ATTR]["recordings"]) == set(store.recordings)  # persisted
    assert verify_store(str(path)).ok
    again = ScalingTable.for_store(Store(path))  # read back, not refitted
    assert again.recordings == table.recordings

    windows = WindowDataset(store, split=None, window_seconds=2.0, labels="none", cache="none")
    batch = table.attach(collate([windows[i] for i in range(4)]))
    rid = batch.recording[0]
    entry = table.recordings[rid]
    assert torch.allclose(batch.extras["robust_center"][0], torch.tensor(entry["center"]))
    codes = batch_codes(batch, MuLawTokenizer(mu=255, max_val=STD_FACTOR))
    signal = table.to_signal(codes[0], rid, vocab_size=256)
    real = batch.signal[0]
    error = (signal - real).abs().max() / real.abs().max()
    assert error < 0.05, error  # mu-law 256 over +-5 robust units
    tesla = table.to_tesla(codes[0], rid, vocab_size=256)
    assert 1e-14 < float(tesla[0].abs().max()) < 1e-11  # a few hundred fT, in T

    # scaled per recording, not per window: two windows of one recording share the table
    other = [i for i, r in enumerate(batch.recording) if r == rid and i > 0]
    if other:
        i = other[0]
        assert torch.equal(batch.extras["robust_scale"][0], batch.extras["robust_scale"][i])
    assert np.isfinite(np.asarray(entry["scale"])).all()
