"""MEG for the forecasters: BIDS (mne-bids, FIF), LibriBrain's serialised HDF5, bad channels.

Recordings carry two rhythms mixed into magnetometers and gradiometers (so the channels
covary), written in their real formats: a BIDS tree by mne-bids (with an empty-room
`task-noise` run that must be skipped, as Omega has), and LibriBrain's published layout
(`derivatives/serialised/*_meg.h5` by h5py, events TSVs). Preparing them with the
`forecast` profile gives 100-Hz stores in fT / fT/cm with bad channels zeroed, so that the
channel set stays fixed per corpus.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurokit.core.data.prepare import prepare
from neurokit.core.data.store import Store
from neurokit.core.errors import DataError

NAMES = ["MEG0111", "MEG0112", "MEG0113", "MEG0121", "MEG0122", "MEG0123"]
TYPES = ["mag", "grad", "grad", "mag", "grad", "grad"]
SI = np.array([200e-15 if t == "mag" else 50e-13 for t in TYPES])[:, None]  # T, T/m


def meg_data(seconds: float, sfreq: float, seed: int, broken: int | None = None) -> np.ndarray:
    """(6, T) in SI units: 10 Hz and 3 Hz sources mixed into the channels, plus 50 Hz mains."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sfreq)) / sfreq
    sources = np.stack([np.sin(2 * np.pi * 10 * t), np.sin(2 * np.pi * 3 * t + 1.0)])
    mixing = rng.normal(size=(len(NAMES), 2))
    data = mixing @ sources + 0.1 * rng.standard_normal((len(NAMES), len(t)))
    data += 0.5 * np.sin(2 * np.pi * 50 * t)
    if broken is not None:
        data[broken] *= 300.0  # a channel far louder than the others of its type
    return data * SI


def meg_info(sfreq: float):
    import mne

    info = mne.create_info(NAMES, sfreq, TYPES)
    for i, ch in enumerate(info["chs"]):
        ch["loc"][:3] = [0.03 * np.cos(i), 0.03 * np.sin(i), 0.09]
        ch["loc"][3:12] = np.eye(3).ravel()
    info["line_freq"] = 50
    return info


FORECAST_SETS = ["datatype=meg", "preprocessing.notch=50", "preprocessing.bad_z=3"]


@pytest.fixture(scope="module")
def bids_meg(tmp_path_factory):
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    tmp = tmp_path_factory.mktemp("omega")
    root = tmp / "ds"
    sfreq = 600.0
    for i, subject in enumerate(["01", "02", "03"]):
        for task, run in (("rest", "01"), ("noise", None)):
            broken = 4 if (subject == "01" and task == "rest") else None
            data = meg_data(12.0, sfreq, seed=i, broken=broken)
            raw = mne.io.RawArray(data, meg_info(sfreq), verbose="error")
            src = tmp / f"src-{subject}-{task}_raw.fif"
            raw.save(src, verbose="error", overwrite=True)
            raw = mne.io.read_raw_fif(src, verbose="error")
            bp = BIDSPath(
                subject=subject, session="01", task=task, run=run, datatype="meg", root=root
            )
            write_raw_bids(raw, bp, verbose="error", overwrite=True)
    return root


def test_bids_meg_skips_empty_room_and_zeroes_bad_channels(bids_meg, tmp_path):
    out = tmp_path / "omega.zarr"
    summary = prepare(
        "bids", bids_meg, out, profile="forecast", overrides=FORECAST_SETS, progress=False
    )
    assert not summary.failed, summary.failed
    store = Store(out)
    ids = sorted(store.recordings)
    assert len(ids) == 3 and not any("noise" in r for r in ids), ids
    assert store.schema.sfreq == 100.0
    info = store.info()
    assert info["channel_types"] == {"grad": 12, "mag": 6}
    assert info["units_by_type"] == {"grad": "fT/cm", "mag": "fT"}
    assert info["bad_channels"] == {"MEG0122": 1}  # judged among the gradiometers
    first = next(r for r in ids if "sub-01" in r)
    assert store.channels(first).names == tuple(NAMES)  # kept: a fixed channel set
    data = store.read(first)
    assert np.all(data[4] == 0) and np.all(data[[0, 1, 2, 3, 5]].std(axis=1) > 0)
    # band-passed 1-50 Hz at 100 Hz: the two rhythms are what is left, in fT
    from scipy.signal import welch

    freqs, psd = welch(data[0], fs=100.0, nperseg=100)
    assert freqs[psd.argmax()] in (3.0, 10.0)
    assert 10 < np.abs(data[0]).max() < 5000


def test_bad_channels_interpolated_from_neighbours(bids_meg, tmp_path):
    sets = [*FORECAST_SETS, "preprocessing.bad_channels=interpolate"]
    prepare(
        "bids", bids_meg, tmp_path / "i.zarr", profile="forecast", overrides=sets, progress=False
    )
    store = Store(tmp_path / "i.zarr")
    first = next(r for r in store.recordings if "sub-01" in r)
    data = store.read(first)
    others = data[[1, 2, 5]].std(axis=1)  # the other gradiometers (the broken one: ~300x)
    assert 0 < data[4].std() < 30 * others.max()  # replaced from the field of the others
    assert store.info()["bad_channels"] == {"MEG0122": 1}


def write_libribrain(root, sessions=("1", "11", "12")):
    """LibriBrain's published layout: serialised runs (h5py) and their events TSVs."""
    import h5py

    sfreq = 250.0
    base = root / "Sherlock1" / "derivatives"
    (base / "serialised").mkdir(parents=True)
    (base / "events").mkdir(parents=True)
    for i, ses in enumerate(sessions):
        stem = f"sub-0_ses-{ses}_task-Sherlock1_run-1"
        data = meg_data(10.0, sfreq, seed=i).astype(np.float32)
        with h5py.File(
            base / "serialised" / f"{stem}_proc-bads+headpos+sss+notch+bp+ds_meg.h5", "w"
        ) as f:
            f.create_dataset("data", data=data, chunks=(data.shape[0], 250))
            f.create_dataset("times", data=np.arange(data.shape[1]) / sfreq)
            f.attrs["sample_frequency"] = sfreq
            f.attrs["highpass_cutoff"] = 0.1
            f.attrs["lowpass_cutoff"] = 125.0
            f.attrs["channel_names"] = ", ".join(NAMES)
            f.attrs["channel_types"] = ", ".join(TYPES)
        rows = ["kind\tsegment\ttimemeg"]
        for k, onset in enumerate(np.arange(1.0, 9.0, 0.8)):
            rows.append(f"word\t{'yes' if k % 2 else 'no'}\t{onset:.3f}")
            rows.append(f"phoneme\tsil\t{onset + 0.1:.3f}")
        (base / "events" / f"{stem}_events.tsv").write_text("\n".join(rows) + "\n")
    return root


def test_libribrain_serialised_runs_with_word_events(tmp_path):
    raw = write_libribrain(tmp_path / "LibriBrain")
    out = tmp_path / "libri.zarr"
    sets = ["label_from=events", "event_kind=word", "event_seconds=0.5"]
    summary = prepare("libribrain", raw, out, profile="forecast", overrides=sets, progress=False)
    assert not summary.failed, summary.failed
    store = Store(out)
    assert store.schema.class_names == ["no", "yes"]
    assert store.schema.label_kind == "events"
    splits = {m.split for m in store.recordings.values()}
    assert splits == {"train", "val", "test"}  # sessions 11 and 12 held out
    rid = next(iter(store.recordings))
    assert store.channels(rid).names == tuple(NAMES)
    assert store.info()["units_by_type"] == {"grad": "fT/cm", "mag": "fT"}
    events = store.events(rid)
    assert len(events) == 10 and set(events[:, 2]) == {0, 1}
    assert set(events[:, 1]) == {50}  # 0.5 s at 100 Hz
    amplitude = np.abs(store.read(rid)[0]).max()
    assert 10 < amplitude < 5000  # fT, not tesla


def test_libribrain_damaged_run_is_a_clear_error(tmp_path):
    import h5py

    raw = write_libribrain(tmp_path / "LibriBrain", sessions=("1",))
    (path,) = raw.rglob("*_meg.h5")
    with h5py.File(path, "r+") as f:
        del f.attrs["channel_types"]
    ds = __import__("neurokit").create("dataset", "libribrain")
    (source,) = ds.discover(raw)
    with pytest.raises(DataError, match="channel_types"):
        ds.load(source)
