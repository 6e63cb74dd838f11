"""The Zarr store: round trip, atomic publication, resume, schema versioning, fsspec URLs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr

from neurokit.core.data.prepare import prepare
from neurokit.core.data.schema import FORMAT_VERSION, StoreSchema
from neurokit.core.data.store import Store
from neurokit.core.data.writer import StoreWriter
from neurokit.core.errors import DataError

from .conftest import build_store, fake_recording


def test_round_trip_keeps_signal_metadata_and_events(tmp_path):
    rec = fake_recording(
        "aaaa_s001_t000", ["FP1", "CZ", "O1"], seconds=25, label=1, events=[(200, 400, 3, 1)]
    )
    path = build_store(
        tmp_path / "s.zarr", [rec, fake_recording("b", ["FP1-F7"], split="val", seed=1)]
    )
    store = Store(path)
    assert store.schema.version == FORMAT_VERSION and store.schema.dataset == "test"
    assert store.schema.neurokit_version and store.schema.created
    meta = store.recordings["aaaa_s001_t000"]
    assert meta.channel_names == ["FP1", "CZ", "O1"] and meta.label == 1 and meta.split == "train"
    assert meta.subject == "s-aaaa_s001_t000" and meta.checksum == "sha256:aaaa_s001_t000"
    assert meta.n_samples == 5000 and meta.seconds == 25
    np.testing.assert_array_equal(store.read("aaaa_s001_t000"), rec.data)
    np.testing.assert_array_equal(store.read("aaaa_s001_t000", 100, 300), rec.data[:, 100:300])
    np.testing.assert_array_equal(store.events("aaaa_s001_t000"), [[200, 400, 3, 1]])
    table = store.event_table()
    assert table["recording"].tolist() == ["aaaa_s001_t000"] and table["label"].tolist() == [3]
    assert store.splits() == {"train": 1, "val": 1}
    tables = zarr.open_group(str(path), mode="r")["tables"]
    assert tables.attrs["recordings"] == ["aaaa_s001_t000", "b"] and tables.attrs["splits"] == [
        "train",
        "val",
    ]
    np.testing.assert_array_equal(tables["events"][:], [[0, 200, 400, 3, 1]])
    # chunked along time, compressed, one shard per recording
    array = store.array("aaaa_s001_t000")
    assert array.chunks == (3, 5000) and array.shape == (3, 5000)  # one 60-s chunk holds all 25 s
    info = store.info()
    assert info["recordings"] == 2 and info["splits"]["train"]["labels"] == {"b": 1}


def test_store_readable_without_the_catalog(tmp_path):
    path = build_store(
        tmp_path / "s.zarr", [fake_recording("r1", ["FP1"]), fake_recording("r2", ["CZ"])]
    )
    root = zarr.open_group(str(path), mode="r+")
    root.attrs["catalog"] = {}
    assert sorted(Store(path).recordings) == ["r1", "r2"]


def test_a_recording_is_invisible_until_published(tmp_path, monkeypatch):
    path = tmp_path / "s.zarr"
    writer = StoreWriter(path)
    writer.create(StoreSchema(dataset="test"))
    writer.write(fake_recording("first", ["FP1"]))
    seen = {}
    original = StoreWriter._publish

    def spy(self, rid):
        seen[rid] = sorted(Store(path).recordings)  # what a reader sees just before the rename
        original(self, rid)

    monkeypatch.setattr(StoreWriter, "_publish", spy)
    writer.write(fake_recording("second", ["FP1"]))
    assert seen == {"second": ["first"]}
    assert sorted(Store(path).recordings) == ["first", "second"]


class _Corpus:
    """A tiny in-memory corpus for prepare(); `fail_on` simulates a crash mid-run."""

    class_names = ("a", "b")
    label_kind = "recording"

    def __init__(self, n=5, fail_on=None, bad=()):
        self.n, self.fail_on, self.bad = n, fail_on, set(bad)

    def discover(self, raw):
        from neurokit.core.interfaces import RecordingSource

        return [
            RecordingSource(Path(raw) / f"r{i}.edf", f"r{i}", f"s{i}", label=i % 2)
            for i in range(self.n)
        ]

    def load(self, source):
        if source.recording_id == self.fail_on:
            raise KeyboardInterrupt  # the process is killed mid-run
        if source.recording_id in self.bad:
            raise DataError(f"{source.path}: NaN/Inf samples in channels CZ")
        return fake_recording(source.recording_id, ["FP1", "CZ"], seconds=12, label=source.label)


def test_resume_after_interruption_has_no_duplicates_and_no_half_written(tmp_path):
    out = tmp_path / "s.zarr"
    with pytest.raises(KeyboardInterrupt):
        prepare("test", tmp_path, out, dataset=_Corpus(fail_on="r3"), progress=False)
    # A crash in the middle of writing r3 leaves debris under _partial; readers never see it.
    debris = out / "_partial" / "r3"
    debris.mkdir(parents=True)
    (debris / "zarr.json").write_text("{ half")
    assert sorted(Store(out).recordings) == ["r0", "r1", "r2"]
    summary = prepare("test", tmp_path, out, dataset=_Corpus(), progress=False)
    assert summary.present == 3 and [r.id for r in summary.written] == ["r3", "r4"]
    store = Store(out)
    assert sorted(store.recordings) == ["r0", "r1", "r2", "r3", "r4"]
    assert not (out / "_partial").exists()
    again = prepare("test", tmp_path, out, dataset=_Corpus(), progress=False)
    assert again.present == 5 and not again.written


def test_bad_recordings_are_skipped_and_listed(tmp_path):
    summary = prepare(
        "test", tmp_path, tmp_path / "s.zarr", dataset=_Corpus(bad={"r1"}), progress=False
    )
    assert [r.id for r in summary.written] == ["r0", "r2", "r3", "r4"]
    assert [(r.id, r.reason.split(": ", 1)[1]) for r in summary.failed] == [
        ("r1", "NaN/Inf samples in channels CZ")
    ]
    info = Store(tmp_path / "s.zarr").info()
    assert "r1" in info["failed"] and info["recordings"] == 4


def test_all_failed_raises(tmp_path):
    with pytest.raises(DataError, match="all 2 recordings failed; first: .*r0.edf: NaN/Inf"):
        prepare(
            "test",
            tmp_path,
            tmp_path / "s.zarr",
            dataset=_Corpus(n=2, bad={"r0", "r1"}),
            progress=False,
        )
    assert not (tmp_path / "s.zarr").exists()  # a fresh store that got nothing is not left behind


def test_other_schema_version_or_foreign_group_is_refused(tmp_path):
    path = build_store(tmp_path / "s.zarr", [fake_recording("r1", ["FP1"])])
    meta = json.loads((path / "zarr.json").read_text())
    meta["attributes"]["neurokit"]["version"] = FORMAT_VERSION + 1
    (path / "zarr.json").write_text(json.dumps(meta))
    newer = FORMAT_VERSION + 1
    with pytest.raises(DataError, match=rf"s\.zarr: store schema version {newer} is not supported"):
        Store(path)
    with pytest.raises(DataError, match=f"schema version {newer} is not supported"):
        StoreWriter(path).create(StoreSchema(dataset="test"))
    # --overwrite replaces an old-version neurokit store
    StoreWriter(path).create(StoreSchema(dataset="test"), overwrite=True)
    assert Store(path).schema.version == FORMAT_VERSION and not Store(path).recordings
    zarr.open_group(str(tmp_path / "plain.zarr"), mode="w")
    with pytest.raises(DataError, match="not a neurokit store"):
        Store(tmp_path / "plain.zarr")
    with pytest.raises(DataError, match="not a neurokit store; refusing"):
        StoreWriter(tmp_path / "plain.zarr").create(StoreSchema(dataset="test"), overwrite=True)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.tex").write_text("precious")
    with pytest.raises(DataError, match="is not empty and is not a neurokit store"):
        StoreWriter(tmp_path / "home").create(StoreSchema(dataset="test"), overwrite=True)
    assert (tmp_path / "home" / "thesis.tex").exists()
    with pytest.raises(DataError, match="store not found"):
        Store(tmp_path / "nope.zarr")


def test_resume_with_other_preprocessing_is_refused(tmp_path):
    path = tmp_path / "s.zarr"
    StoreWriter(path).create(StoreSchema(dataset="test", preprocessing={"notch": 50}))
    with pytest.raises(DataError, match=r"different preprocessing \(notch differ\)"):
        StoreWriter(path).create(StoreSchema(dataset="test", preprocessing={"notch": 60}))
    with pytest.raises(DataError, match="holds dataset 'test', not 'other'"):
        StoreWriter(path).create(StoreSchema(dataset="other", preprocessing={"notch": 50}))


def test_fsspec_store_in_place_writes_hide_incomplete_recordings():
    url = "memory://neurokit-test/s.zarr"
    build_store(
        url, [fake_recording("r1", ["FP1", "CZ"]), fake_recording("r2", ["FP1"], split="val")]
    )
    root = zarr.open_group(url, mode="r+")
    half = root.require_group("recordings/r3")
    half.attrs.update(
        {"id": "r3", "channel_names": ["FP1"], "sfreq": 200.0, "n_samples": 10, "complete": False}
    )
    store = Store(url)
    assert sorted(store.recordings) == ["r1", "r2"]
    assert store.read("r1", 0, 10).shape == (2, 10)
    writer = StoreWriter(url)
    writer.create(
        StoreSchema(dataset="test", class_names=["a", "b"], label_kind="recording", sfreq=200.0)
    )
    assert "r3" not in zarr.open_group(url, mode="r")["recordings"]  # resume removed the debris
