"""Channel types, units and positions end to end: MEG FIF, BIDS iEEG, EDF EEG, schema-1 stores.

Each modality is written in its real file format (FIF by mne, BIDS by mne-bids from
EDF, EDF by edfio), prepared into a store, and checked through `store info` and the
reader (`Store.channels`, the windows' positions).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import zarr

from neurokit.core.data.channels import channel_positions
from neurokit.core.data.dataset import WindowDataset
from neurokit.core.data.prepare import prepare
from neurokit.core.data.rawio import write_edf
from neurokit.core.data.store import Store
from neurokit.core.errors import DataError

MEG = ["MEG0111", "MEG0112", "MEG0113", "MEG0121"]
MEG_TYPES = ["mag", "grad", "grad", "mag"]


def write_meg_fif(path, bads=(), quiet_mag=False, seconds=6.0, sfreq=600.0):
    """A FIF with 2 magnetometers, 2 gradiometers (positions + orientations), Cz EEG and a trigger."""
    import mne

    names = MEG + ["Cz", "STI014"]
    info = mne.create_info(names, sfreq, MEG_TYPES + ["eeg", "stim"])
    for i, ch in enumerate(info["chs"][:4]):
        ch["loc"][:3] = [0.01 * i, 0.05, 0.08 + 0.001 * i]
        ch["loc"][3:12] = np.eye(3).ravel() * (i + 1)
    info["bads"] = list(bads)
    n = int(seconds * sfreq)
    rng = np.random.default_rng(0)
    scale = np.array([200e-15, 50e-13, 50e-13, 200e-15, 20e-6, 0])[:, None]
    if quiet_mag:
        scale[3] = 1e-17  # 0.01 fT: a dead magnetometer
    data = rng.standard_normal((len(names), n)) * scale
    data[5, ::600] = 5  # trigger pulses
    path.parent.mkdir(parents=True, exist_ok=True)
    mne.io.RawArray(data, info, verbose="error").save(path, verbose="error", overwrite=True)
    return path


def test_meg_fif_types_units_positions(tmp_path):
    write_meg_fif(tmp_path / "raw" / "sub1" / "run_raw.fif", bads=["MEG0112"])
    out = tmp_path / "meg.zarr"
    sets = ["preprocessing.types=file", "preprocessing.sfreq=200", "preprocessing.l_freq=1",
            "preprocessing.h_freq=40"]  # fmt: skip
    summary = prepare("folder", tmp_path / "raw", out, overrides=sets, progress=False)
    assert len(summary.written) == 1, summary.failed
    store = Store(out)
    info = store.info()
    # MEG0112 is bad in the file: dropped; the trigger is not data: not kept
    assert info["channel_types"] == {"eeg": 1, "grad": 1, "mag": 2}
    assert info["units_by_type"] == {"eeg": "uV", "grad": "fT/cm", "mag": "fT"}
    assert info["position_sources"] == {"file": 3, "template": 1}
    assert info["position_spaces"] == ["MEG device"]
    (rid,) = store.recordings
    ch = store.channels(rid)
    assert ch.names == ("MEG0111", "MEG0113", "MEG0121", "CZ")
    np.testing.assert_allclose(ch.positions[2], [0.03, 0.05, 0.083], atol=1e-7)
    np.testing.assert_allclose(ch.orientations[1], np.eye(3).ravel() * 3)
    np.testing.assert_allclose(ch.positions[3], channel_positions(["CZ"])[0][0])
    std = store.read(rid).std(axis=1)
    band = np.sqrt((40 - 1) / 300)  # white noise at 600 Hz kept 1-40 Hz
    np.testing.assert_allclose(std / band, [200, 50, 200, 20], rtol=0.5)  # fT, fT/cm, fT, uV
    # the windows a model sees carry the file's sensor positions
    windows = WindowDataset(store, split=None, window_seconds=2.0, labels="none", cache="none")
    np.testing.assert_allclose(windows[0].positions, ch.positions)


def test_meg_bad_channels_flagged_and_flat_per_unit(tmp_path):
    write_meg_fif(tmp_path / "raw" / "run_raw.fif", bads=["MEG0112"])
    sets = [
        "preprocessing.types=file",
        "preprocessing.bad_channels=flag",
        "preprocessing.sfreq=200",
    ]
    prepare("folder", tmp_path / "raw", tmp_path / "a.zarr", overrides=sets, progress=False)
    store = Store(tmp_path / "a.zarr")
    assert store.info()["bad_channels"] == {"MEG0112": 1}  # kept, and said so
    assert "MEG0112" in store.channels(next(iter(store.recordings))).names
    # a dead magnetometer (0.01 fT) is flat by the fT threshold; real MEG is not "flat" at 0.01 uV
    write_meg_fif(tmp_path / "dead" / "run_raw.fif", quiet_mag=True)
    with pytest.raises(DataError, match=r"flat channels \(peak-to-peak\): MEG0121 \(< 1 fT\)"):
        prepare("folder", tmp_path / "dead", tmp_path / "b.zarr",
                overrides=["preprocessing.types=file"], progress=False)  # fmt: skip


def write_ieeg_bids(root, tmp_path, unit="m"):
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    names = ["LA1", "LA2", "LA3", "RH1", "RH2", "ECG"]
    rng = np.random.default_rng(1)
    edf = write_edf(tmp_path / "ieeg_src.edf", 40 * rng.standard_normal((6, 5000)), 500.0, names)
    raw = mne.io.read_raw_edf(edf, verbose="error")
    raw.set_channel_types({**dict.fromkeys(names[:5], "seeg"), "ECG": "ecg"})
    raw.info["line_freq"] = 60
    raw.info["bads"] = ["LA3"]
    pos = {n: np.array([0.01 * i, -0.02, 0.03]) for i, n in enumerate(names[:5])}
    montage = mne.channels.make_dig_montage(ch_pos=pos, coord_frame="mri")
    bp = BIDSPath(subject="01", task="rest", datatype="ieeg", root=root, space="ACPC")
    write_raw_bids(raw, bp, montage=montage, acpc_aligned=True, verbose="error")
    return pos


def test_bids_ieeg_electrodes_and_bad_channels(tmp_path):
    pytest.importorskip("mne_bids")
    pos = write_ieeg_bids(tmp_path / "ds", tmp_path)
    channels_tsv = next((tmp_path / "ds").rglob("*_channels.tsv")).read_text()
    assert "LA3\tSEEG" in channels_tsv and "\tbad\t" in channels_tsv  # the real BIDS status
    sets = ["datatype=ieeg", "preprocessing.sfreq=250"]
    summary = prepare("bids", tmp_path / "ds", tmp_path / "i.zarr", overrides=sets, progress=False)
    assert len(summary.written) == 1, summary.failed
    store = Store(tmp_path / "i.zarr")
    info = store.info()
    assert info["channel_types"] == {"seeg": 4} and info["units_by_type"] == {"seeg": "uV"}
    assert info["position_sources"] == {"electrodes.tsv": 4}
    assert info["position_spaces"] == ["ACPC"] and info["bad_channels"] == {}
    ch = store.channels(next(iter(store.recordings)))
    assert ch.names == ("LA1", "LA2", "RH1", "RH2")  # LA3 (status=bad) dropped, ECG is not iEEG
    np.testing.assert_allclose(ch.positions, [pos[n] for n in ("LA1", "LA2", "RH1", "RH2")],
                               atol=1e-6)  # fmt: skip
    sets_flag = sets + ["preprocessing.bad_channels=flag"]
    prepare("bids", tmp_path / "ds", tmp_path / "f.zarr", overrides=sets_flag, progress=False)
    flagged = Store(tmp_path / "f.zarr")
    assert flagged.info()["bad_channels"] == {"LA3": 1}
    assert "LA3" in flagged.channels(next(iter(flagged.recordings))).names


def test_bids_electrodes_in_millimetres_and_bad_units(tmp_path):
    pytest.importorskip("mne_bids")
    import neurokit

    pos = write_ieeg_bids(tmp_path / "ds", tmp_path)
    tsv = next((tmp_path / "ds").rglob("*_electrodes.tsv"))
    coords = next((tmp_path / "ds").rglob("*_coordsystem.json"))
    lines = tsv.read_text().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        name, x, y, z, *rest = line.split("\t")
        if x != "n/a":
            x, y, z = (f"{float(v) * 1000:g}" for v in (x, y, z))
        out.append("\t".join([name, x, y, z, *rest]))
    tsv.write_text("\n".join(out) + "\n")
    system = json.loads(coords.read_text())
    system["iEEGCoordinateUnits"] = "mm"
    coords.write_text(json.dumps(system))
    ds = neurokit.create("dataset", "bids", datatype="ieeg", profile="raw")
    (source,) = ds.discover(tmp_path / "ds")
    rec = ds.load(source)
    np.testing.assert_allclose(rec.positions[0], pos["LA1"], atol=1e-9)
    assert rec.sensors["position_space"] == "ACPC" and rec.units == ["uV"] * 4
    system["iEEGCoordinateUnits"] = "pixels"
    coords.write_text(json.dumps(system))
    with pytest.raises(DataError, match="coordinate units 'pixels' are not m, cm or mm"):
        ds.load(source)


def test_edf_eeg_defaults_and_schema1_store(tmp_path):
    """EDF scalp EEG keeps today's meaning (eeg, uV, template), and a schema-1 store written
    the old way (no channel fields, version 1) reads with exactly those defaults."""
    rng = np.random.default_rng(0)
    write_edf(tmp_path / "raw" / "a.edf", 20 * rng.standard_normal((3, 2500)), 250.0,
              ["Fp1", "Cz", "O2"])  # fmt: skip
    prepare("folder", tmp_path / "raw", tmp_path / "e.zarr", progress=False)
    info = Store(tmp_path / "e.zarr").info()
    assert info["format"] == "neurokit-store v2"
    assert info["channel_types"] == {"eeg": 3} and info["units_by_type"] == {"eeg": "uV"}
    assert info["position_sources"] == {"template": 3}

    old = tmp_path / "old.zarr"
    root = zarr.open_group(str(old), mode="w")
    root.attrs["neurokit"] = {"format": "neurokit-store", "version": 1, "dataset": "old",
                              "sfreq": 200.0, "units": "uV"}  # fmt: skip
    group = root.require_group("recordings").require_group("r1")
    group.attrs.update({"id": "r1", "channel_names": ["FP1", "CZ", "XYZ"], "sfreq": 200.0,
                        "n_samples": 400, "complete": True})  # fmt: skip
    group.create_array("data", data=np.ones((3, 400), dtype=np.float32))
    group.create_array("events", data=np.zeros((0, 4), dtype=np.int64))
    store = Store(old)
    info = store.info()
    assert info["format"] == "neurokit-store v1"
    assert info["channel_types"] == {"eeg": 3} and info["units_by_type"] == {"eeg": "uV"}
    assert info["position_sources"] == {"template": 2, "unknown": 1}
    ch = store.channels("r1")
    assert ch.known.tolist() == [True, True, False] and ch.orientations is None


def test_store_info_cli_shows_types_units_positions(tmp_path, cli):
    write_meg_fif(tmp_path / "raw" / "run_raw.fif")
    sets = ["preprocessing.types=file", "preprocessing.sfreq=200"]
    prepare("folder", tmp_path / "raw", tmp_path / "m.zarr", overrides=sets, progress=False)
    result = cli("store", "info", str(tmp_path / "m.zarr"))
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "channel types: eeg x1 (uV), grad x2 (fT/cm), mag x2 (fT)" in text
    assert "positions: file x4, template x1 (space: MEG device)" in text


def test_outliers_are_judged_within_their_type():
    from neurokit.core.data.preprocess import outlier_channels

    rng = np.random.default_rng(0)
    data = np.vstack([rng.standard_normal((5, 2000)) * 200,  # mag, fT
                      rng.standard_normal((5, 2000)) * 20])  # eeg, uV  # fmt: skip
    types = ["mag"] * 5 + ["eeg"] * 5
    assert outlier_channels(data, types, 5.0) == []  # the units differ, neither type is odd
    data[7] *= 30
    assert outlier_channels(data, types, 5.0) == [7]


def test_store_from_before_the_new_options_resumes(tmp_path):
    """A store prepared before types/bad_channels/flat_by_unit/bad_z existed resumes (their
    defaults are what it was made with); a real change still refuses."""
    rng = np.random.default_rng(0)
    write_edf(tmp_path / "raw" / "a.edf", 20 * rng.standard_normal((2, 2500)), 250.0, ["Fp1", "Cz"])
    prepare("folder", tmp_path / "raw", tmp_path / "s.zarr", progress=False)
    meta_path = tmp_path / "s.zarr" / "zarr.json"
    meta = json.loads(meta_path.read_text())
    for key in ("types", "bad_channels", "flat_by_unit", "bad_z"):
        del meta["attributes"]["neurokit"]["preprocessing"][key]
    meta_path.write_text(json.dumps(meta))
    summary = prepare("folder", tmp_path / "raw", tmp_path / "s.zarr", progress=False)
    assert summary.present == 1 and not summary.written
    with pytest.raises(DataError, match=r"different preprocessing \(types differ\)"):
        prepare("folder", tmp_path / "raw", tmp_path / "s.zarr",
                overrides=["preprocessing.types=file"], progress=False)  # fmt: skip


@pytest.mark.parametrize("name", ["run.ds", "c,rfDC", "run.sqd"])
def test_meg_system_files_are_dispatched_and_bad_ones_named(tmp_path, name):
    """CTF (.ds folder), BTi/4D (c,rf*) and KIT (.sqd) reach mne's reader for that system;
    a damaged file is one clear DataError naming it (mne cannot write these formats)."""
    from neurokit.core.data.rawio import read_raw

    path = tmp_path / name
    if name.endswith(".ds"):
        path.mkdir()
    else:
        path.write_bytes(b"\0" * 64)
    with pytest.raises(DataError, match=rf"{name}: cannot read \("):
        read_raw(path)


def test_bipolar_pairs_follow_each_shaft():
    from neurokit.plugins.datasets.bids import bipolar_pairs

    names = ["SM7", "SM8", "SM9", "SM11", "TI'2", "TI'3", "P4", "ECG"]
    assert bipolar_pairs(names) == [("SM7", "SM8"), ("SM8", "SM9"), ("TI'2", "TI'3")]
    assert bipolar_pairs(names, bads={"SM8"}) == [("TI'2", "TI'3")]


def test_bids_ieeg_bipolar_rereferencing(tmp_path):
    pytest.importorskip("mne_bids")
    import mne

    pos = write_ieeg_bids(tmp_path / "ds", tmp_path)
    sets = ["datatype=ieeg", "bipolar=true", "preprocessing.sfreq=250",
            "preprocessing.l_freq=null", "preprocessing.h_freq=null"]  # fmt: skip
    summary = prepare("bids", tmp_path / "ds", tmp_path / "b.zarr", overrides=sets, progress=False)
    assert len(summary.written) == 1, summary.failed
    store = Store(tmp_path / "b.zarr")
    rid = next(iter(store.recordings))
    ch = store.channels(rid)
    assert ch.names == ("LA1-LA2", "RH1-RH2")  # LA3 is bad: LA2-LA3 is not formed
    np.testing.assert_allclose(ch.positions[0], (pos["LA1"] + pos["LA2"]) / 2, atol=1e-6)
    # the values are the contacts' differences (resampled the same way)
    edf = next((tmp_path / "ds").rglob("*_ieeg.edf"))
    raw = mne.io.read_raw_edf(edf, preload=True, verbose="error").resample(250.0, verbose="error")
    expected = (raw.get_data(["LA1"]) - raw.get_data(["LA2"]))[0] * 1e6
    got = store.read(rid)[0]
    n = min(len(got), len(expected))
    np.testing.assert_allclose(got[:n], expected[:n], rtol=1e-3, atol=1e-2)
