"""HDF5 interop: LaBraM pretraining and LUNA fine-tuning/pretraining layouts in, LaBraM/LUNA out."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from neurokit.core.data.hdf5 import detect_layout, export_hdf5, import_hdf5
from neurokit.core.data.store import Store
from neurokit.core.errors import DataError
from neurokit.plugins.models.luna.hdf5 import LUNA_FINETUNE_ROWS


def write_labram(path, recordings):
    """As make_h5dataset_for_pretrain.py: group per recording, `eeg` + attrs lFreq/hFreq/rsFreq/chOrder."""
    with h5py.File(path, "w") as f:
        for name, data, channels in recordings:
            eeg = f.create_group(name).create_dataset("eeg", data=data, chunks=(data.shape[0], 200))
            eeg.attrs["lFreq"], eeg.attrs["hFreq"], eeg.attrs["rsFreq"] = 0.1, 75.0, 200
            eeg.attrs["chOrder"] = channels
    return path


def write_luna_finetune(folder, rng, per_split=(5, 2, 2), group_size=3):
    """As make_hdf5.py: {train,val,test}.h5, data_group_k/X (n, 22, 1280) float64, y (n,)."""
    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for split, n in zip(("train", "val", "test"), per_split, strict=True):
        x = rng.normal(0, 20, (n, 22, 1280))
        y = rng.integers(0, 2, n)
        truth[split] = (x, y)
        with h5py.File(folder / f"{split}.h5", "w") as f:
            for k, start in enumerate(range(0, n, group_size)):
                grp = f.create_group(f"data_group_{k}")
                grp.create_dataset("X", data=x[start : start + group_size])
                grp.create_dataset("y", data=y[start : start + group_size])
    return truth


def write_luna_pretrain(path, sessions, channels):
    """As make_tueg_bipolar.py: file attr channel_names, group per session, X float16, attr montage_name."""
    with h5py.File(path, "w") as f:
        f.attrs["channel_names"] = channels
        for name, x in sessions.items():
            grp = f.create_group(name)
            grp.create_dataset("X", data=x.astype(np.float16), dtype="float16")
            grp.attrs["montage_name"] = "01_tcp_ar"


def test_labram_import_and_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(0, 30, (3, 1000))
    b = rng.normal(0, 30, (3, 600))
    src = write_labram(
        tmp_path / "dataset.hdf5",
        [("rec_a", a, ["FP1", "Fz", "cz"]), ("rec_b", b, ["FP1", "FZ", "CZ"])],
    )
    assert detect_layout([src]) == "labram"
    summary = import_hdf5([src], tmp_path / "s.zarr")
    assert summary.recordings == 2 and summary.layout == "labram"
    store = Store(tmp_path / "s.zarr")
    assert store.schema.sfreq == 200.0 and store.schema.label_kind == "none"
    assert store.recordings["rec_a"].channel_names == ["FP1", "FZ", "CZ"]
    np.testing.assert_allclose(store.read("rec_a"), a, rtol=1e-6, atol=1e-4)
    # export and read back through the same importer
    export_hdf5(tmp_path / "s.zarr", tmp_path / "back.hdf5", layout="labram")
    with h5py.File(tmp_path / "back.hdf5") as f:
        assert (
            list(f["rec_b/eeg"].attrs["chOrder"]) == ["FP1", "FZ", "CZ"]
            and f["rec_b/eeg"].attrs["rsFreq"] == 200
        )
    import_hdf5([tmp_path / "back.hdf5"], tmp_path / "again.zarr")
    np.testing.assert_allclose(
        Store(tmp_path / "again.zarr").read("rec_b"), b, rtol=1e-6, atol=1e-4
    )
    # rerun resumes: nothing new
    again = import_hdf5([src], tmp_path / "s.zarr")
    assert again.recordings == 0 and len(again.skipped) == 2


def test_luna_finetune_windows_survive_exactly(tmp_path):
    from neurokit.core.data.dataset import WindowDataset

    truth = write_luna_finetune(tmp_path / "TUAB_data", np.random.default_rng(1))
    summary = import_hdf5(
        [tmp_path / "TUAB_data"], tmp_path / "tuab.zarr", class_names=["normal", "abnormal"]
    )
    assert summary.layout == "luna-finetune" and summary.windows == 9
    store = Store(tmp_path / "tuab.zarr")
    assert store.splits() == {"test": 1, "train": 2, "val": 1} and store.schema.sfreq == 256.0
    meta = next(iter(store.recordings.values()))
    assert meta.channel_names == list(
        LUNA_FINETUNE_ROWS
    )  # rows named as process_raw_eeg writes them
    assert meta.channel_names[8] == "A1-T3" and meta.channel_names[20] == "C4-P4"
    view = WindowDataset(store, split="train", window_seconds=None, cache="none")
    x, y = truth["train"]
    got = sorted(
        ((item.label, np.asarray(item.signal)) for item in (view[i] for i in range(len(view)))),
        key=lambda t: t[1][0, 0],
    )
    want = sorted(zip(y.tolist(), x, strict=True), key=lambda t: np.float32(t[1][0, 0]))
    assert len(got) == 5
    for (gy, gx), (wy, wx) in zip(got, want, strict=True):
        assert gy == wy
        np.testing.assert_allclose(gx, wx, rtol=1e-6, atol=1e-4)
    # export back to the LUNA layout: same windows and labels per split
    export_hdf5(store, tmp_path / "out", layout="luna")
    with h5py.File(tmp_path / "out" / "val.h5") as f:
        xs = np.concatenate([f[g]["X"][:] for g in f])
        ys = np.concatenate([f[g]["y"][:] for g in f])
        assert list(f.attrs["channel_names"]) == list(LUNA_FINETUNE_ROWS)
    # and the exported folder imports again as a fine-tuning layout, names from its attribute
    again = import_hdf5(
        [tmp_path / "out"], tmp_path / "again.zarr", class_names=["normal", "abnormal"]
    )
    assert again.layout == "luna-finetune" and again.windows == 9
    assert next(iter(Store(tmp_path / "again.zarr").recordings.values())).channel_names == list(
        LUNA_FINETUNE_ROWS
    )
    order = np.argsort(xs[:, 0, 0])
    want_x, want_y = truth["val"]
    want_order = np.argsort(want_x[:, 0, 0].astype(np.float32))
    np.testing.assert_allclose(xs[order], want_x[want_order], rtol=1e-6, atol=1e-4)
    assert ys[order].tolist() == want_y[want_order].tolist()


def test_luna_pretrain_sessions_are_continuous(tmp_path):
    rng = np.random.default_rng(2)
    channels = ["FP1-F7", "F7-T3", "T3-T5"]
    signal = rng.normal(0, 20, (3, 4 * 1280))
    slices = signal.reshape(3, 4, 1280).transpose(1, 0, 2)  # (n, C, T) consecutive 5 s slices
    write_luna_pretrain(tmp_path / "TUEG_3_channels_0.h5", {"aaaaaaaa_s001_t000": slices}, channels)
    summary = import_hdf5([tmp_path / "TUEG_3_channels_0.h5"], tmp_path / "p.zarr")
    assert summary.layout == "luna-pretrain"
    store = Store(tmp_path / "p.zarr")
    (meta,) = store.recordings.values()
    assert meta.subject == "aaaaaaaa" and meta.session == "s001" and meta.channel_names == channels
    assert meta.extra["montage"] == "01_tcp_ar"
    np.testing.assert_allclose(store.read(meta.id), signal.astype(np.float16), rtol=1e-3, atol=1e-2)


def test_bad_hdf5_inputs(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    with pytest.raises(DataError, match=r"junk.h5: not a readable HDF5 file"):
        import_hdf5([junk], tmp_path / "x.zarr")
    with h5py.File(tmp_path / "odd.h5", "w") as f:
        f.create_group("g").create_dataset("Z", data=np.zeros(3))
    with pytest.raises(DataError, match="unrecognised HDF5 layout"):
        import_hdf5([tmp_path / "odd.h5"], tmp_path / "x.zarr")
    folder = tmp_path / "ft"
    folder.mkdir()
    with h5py.File(folder / "train.h5", "w") as f:
        grp = f.create_group("data_group_0")
        grp.create_dataset("X", data=np.zeros((2, 5, 1280)))
        grp.create_dataset("y", data=np.zeros(2, dtype=int))
    with pytest.raises(DataError, match="5 channels and no names in the file; pass channels="):
        import_hdf5([folder], tmp_path / "y.zarr")
    summary = import_hdf5(
        [folder], tmp_path / "y.zarr", channels=["C3", "C4", "CZ", "FZ", "PZ"], overwrite=True
    )
    assert summary.windows == 2


def test_cli_import_export(tmp_path, cli):
    import json

    from tests.conftest import assert_clean_failure

    write_luna_finetune(tmp_path / "TUSL_data", np.random.default_rng(3), per_split=(2, 1, 1))
    result = cli("store", "import-hdf5", str(tmp_path / "TUSL_data"), "--out", str(tmp_path / "t.zarr"),
                 "--classes", "bckg,seiz,slow", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["windows"] == 4
    assert Store(tmp_path / "t.zarr").class_names == ["bckg", "seiz", "slow"]
    result = cli(
        "store", "export-hdf5", str(tmp_path / "t.zarr"), "--out", str(tmp_path / "lab.hdf5")
    )
    assert result.returncode == 0 and "wrote 3 recordings" in result.stdout, result.stderr
    bad = tmp_path / "bad.h5"
    bad.write_text("nope")
    assert_clean_failure(
        cli("store", "import-hdf5", str(bad), "--out", str(tmp_path / "b.zarr")), "bad.h5", "HDF5"
    )


def test_layouts_come_from_the_families_and_unknown_names_list_them(tmp_path, cli):
    from neurokit.core.data.hdf5 import export_layouts, import_layouts
    from tests.conftest import assert_clean_failure

    assert {"labram", "luna-pretrain", "luna-finetune"} <= set(import_layouts())
    assert {"labram", "luna"} <= set(export_layouts())
    src = write_labram(tmp_path / "d.hdf5", [("r", np.zeros((2, 400)), ["C3", "C4"])])
    result = cli("store", "import-hdf5", str(src), "--out", str(tmp_path / "x.zarr"),
                 "--layout", "nope")  # fmt: skip
    assert_clean_failure(result, "nope", "auto, labram, luna-finetune, luna-pretrain")
    assert not (tmp_path / "x.zarr").exists()
    import_hdf5([src], tmp_path / "s.zarr")
    result = cli("store", "export-hdf5", str(tmp_path / "s.zarr"), "--out", str(tmp_path / "o"),
                 "--layout", "luna-pretrain")  # fmt: skip
    assert_clean_failure(result, "luna-pretrain", "labram, luna")
