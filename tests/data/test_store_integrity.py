"""Issue 10 items 1, 2, 3, 10, 17: one writer at a time, damaged stores detected, clear errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

from neurokit.core.data import writer as writer_module
from neurokit.core.data.cache import RecordingCache
from neurokit.core.data.hdf5 import export_hdf5
from neurokit.core.data.lock import lock_path
from neurokit.core.data.prepare import prepare
from neurokit.core.data.store import Store
from neurokit.core.data.verify import verify_store
from neurokit.core.errors import DataError
from tests.conftest import REPO, run_cli

from .conftest import build_store, fake_recording
from .fake_corpus import SlowCorpus, expected

NAMES = ["C3", "C4", "CZ"]


def _store(tmp_path: Path, n: int = 3, seconds: float = 90) -> Path:
    recs = [fake_recording(f"r{i}", NAMES, seconds=seconds, seed=i) for i in range(n)]
    return build_store(tmp_path / "s.zarr", recs)


def _chunk_files(store: Path, rid: str) -> list[Path]:
    return sorted(p for p in (store / "recordings" / rid / "data" / "c").rglob("*") if p.is_file())


def _chunk_codecs(store: Path, rid: str) -> list[str]:
    """Codec names applied to each chunk (inside the shard, where there is one)."""
    codecs = json.loads((store / "recordings" / rid / "data" / "zarr.json").read_text())["codecs"]
    if codecs[0]["name"] == "sharding_indexed":
        codecs = codecs[0]["configuration"]["codecs"]
    return [c["name"] for c in codecs]


# ------------------------------------------------------------------ 1: one writer


def _hold_lock(store: Path) -> subprocess.Popen:
    code = (
        "import sys, time\n"
        "from neurokit.core.data.lock import StoreLock\n"
        "StoreLock(sys.argv[1]).acquire()\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(store)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_writer_is_refused_naming_store_and_holder(tmp_path):
    out = tmp_path / "s.zarr"
    holder = _hold_lock(out)
    try:
        with pytest.raises(DataError) as info:
            prepare("slow", tmp_path, out, dataset=SlowCorpus(2), progress=False)
        message = str(info.value)
        assert str(out) in message and f"process {holder.pid}" in message
        assert not (out / "zarr.json").exists()  # refused before writing anything
    finally:
        holder.kill()
        holder.wait()
    # the holder died without releasing: its lock file (with a dead pid) is taken over
    assert lock_path(out).exists()
    summary = prepare("slow", tmp_path, out, dataset=SlowCorpus(2), progress=False)
    assert len(summary.written) == 2 and not lock_path(out).exists()


def test_import_hdf5_is_refused_while_the_store_is_locked(tmp_path):
    h5py = pytest.importorskip("h5py")
    src = tmp_path / "x.hdf5"
    with h5py.File(src, "w") as f:
        eeg = f.create_group("rec1").create_dataset("eeg", data=np.ones((2, 400), np.float32))
        eeg.attrs["chOrder"] = ["C3", "C4"]
        eeg.attrs["rsFreq"] = 200.0
    out = tmp_path / "s.zarr"
    holder = _hold_lock(out)
    try:
        result = run_cli("store", "import-hdf5", str(src), "--out", str(out))
        assert result.returncode != 0 and "locked" in result.stderr and str(out) in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_rerun_redoes_a_recording_published_without_its_array(tmp_path):
    out = tmp_path / "s.zarr"
    prepare("slow", tmp_path, out, dataset=SlowCorpus(3), progress=False)
    (out / "recordings" / "r001" / "data" / "zarr.json").unlink()  # what the race left
    summary = prepare("slow", tmp_path, out, dataset=SlowCorpus(3), progress=False)
    assert [r.id for r in summary.written] == ["r001"] and summary.present == 2
    np.testing.assert_array_equal(Store(out).read("r001"), expected("r001"))
    assert verify_store(str(out)).ok


def test_rerun_redoes_a_recording_missing_a_chunk(tmp_path):
    out = tmp_path / "s.zarr"
    prepare("slow", tmp_path, out, dataset=SlowCorpus(2), progress=False)
    _chunk_files(out, "r000")[0].unlink()
    summary = prepare("slow", tmp_path, out, dataset=SlowCorpus(2), progress=False)
    assert [r.id for r in summary.written] == ["r000"]
    np.testing.assert_array_equal(Store(out).read("r000"), expected("r000"))


# -------------------------------------------------------- 2: completeness on read


def test_deleted_chunk_is_detected_by_verify_cache_and_cli(tmp_path):
    store = _store(tmp_path)
    files = _chunk_files(store, "r1")
    files[0].unlink()  # the probe: rm one chunk/shard file; zarr would read zeros
    catalog = zarr.open_group(str(store), mode="r").attrs["catalog"]
    assert catalog["r1"]["n_chunks"] == len(files) and catalog["r1"]["data_checksum"]
    report = verify_store(str(store))
    assert list(report.damaged) == ["r1"] and "chunk files present" in report.damaged["r1"]
    cache = RecordingCache(Store(store), "disk", tmp_path / "cache")
    cache.warm(["r0"])
    with pytest.raises(DataError, match="recording 'r1' is damaged"):
        cache.warm(["r1"])  # training would have learnt from a recording of zeros
    with pytest.raises(DataError, match="recording 'r1' is damaged"):
        RecordingCache(Store(store), "memory").window("r1", 0, 100)
    result = run_cli("store", "verify", str(store))
    assert result.returncode != 0 and "r1" in result.stdout and "Traceback" not in result.stderr
    assert "r0" not in result.stdout.replace(str(store), "")
    ok = run_cli("store", "verify", str(_store(tmp_path / "b")), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True


def test_all_zero_chunks_are_stored_so_counts_hold(tmp_path):
    rec = fake_recording("z", NAMES, seconds=130)
    rec.data[:, : 60 * 200] = 0  # a flat first minute: zarr would skip this chunk by default
    store = build_store(tmp_path / "s.zarr", [rec])
    assert verify_store(str(store)).ok


def test_changed_samples_fail_the_checksum(tmp_path):
    store = _store(tmp_path, n=1)
    root = zarr.open_group(str(store), mode="r+")
    root["recordings/r0/data"][0, :10] = 0  # rewritten through zarr: codecs all valid
    with pytest.raises(DataError, match="do not match the checksum"):
        RecordingCache(Store(store), "disk", tmp_path / "cache").warm(["r0"])


# ------------------------------------------------------------------ 3: crc32c codec


def test_junk_bytes_in_a_compressed_chunk_do_not_decode_silently(tmp_path):
    store = _store(tmp_path, n=1)
    assert "crc32c" in _chunk_codecs(store, "r0")
    chunk = _chunk_files(store, "r0")[0]
    raw = bytearray(chunk.read_bytes())
    raw[400:420] = bytes(range(20))  # the probe: junk inside the compressed chunk
    chunk.write_bytes(bytes(raw))
    with pytest.raises(DataError) as info:
        Store(store).read("r0")
    assert "crc32c" in str(info.value)


def test_store_written_without_the_checksum_codec_still_reads(tmp_path, monkeypatch):
    plain = writer_module.compressors
    monkeypatch.setattr(
        writer_module, "compressors", lambda name, checksum=True: plain(name, False)
    )
    recs = [fake_recording(f"r{i}", NAMES, seconds=90, seed=i) for i in range(2)]
    store = build_store(tmp_path / "old.zarr", recs)
    monkeypatch.undo()
    # an old store also lacks the integrity fields: strip them everywhere
    for meta in (store / "recordings").glob("*/zarr.json"):
        doc = json.loads(meta.read_text())
        for key in ("n_chunks", "data_checksum"):
            doc["attributes"].pop(key)
        meta.write_text(json.dumps(doc))
    root = zarr.open_group(str(store), mode="r+")
    catalog = dict(root.attrs["catalog"])
    root.attrs["catalog"] = {
        k: {f: v for f, v in m.items() if f not in ("n_chunks", "data_checksum")}
        for k, m in catalog.items()
    }
    assert "crc32c" not in _chunk_codecs(store, "r0")
    np.testing.assert_array_equal(Store(store).read("r1"), recs[1].data)
    report = verify_store(str(store))
    assert report.ok and report.unchecked == 2
    cache = RecordingCache(Store(store), "disk", tmp_path / "cache")
    np.testing.assert_array_equal(cache.window("r0", 10, 100), recs[0].data[:, 10:110])


# ------------------------------------------------------------- 10: clear errors


def test_truncated_chunk_is_one_clear_error_naming_store_and_recording(tmp_path):
    store = _store(tmp_path, n=2)
    chunk = _chunk_files(store, "r1")[0]
    chunk.write_bytes(chunk.read_bytes()[: chunk.stat().st_size // 2])
    with pytest.raises(DataError) as info:
        Store(store).read("r1")
    message = str(info.value)
    assert str(store) in message and "'r1'" in message and "store verify" in message
    assert "prepare" in message
    assert "r1" in verify_store(str(store)).damaged


def test_corrupt_array_metadata_is_one_clear_error(tmp_path):
    store = _store(tmp_path, n=2)
    (store / "recordings/r0/data/zarr.json").write_text('{"zarr_format": 3, "shape": [3,')
    with pytest.raises(DataError) as info:
        Store(store).read("r0")
    message = str(info.value)
    assert str(store) in message and "'r0'" in message and "store verify" in message
    assert "unreadable metadata" in verify_store(str(store)).damaged["r0"]
    result = run_cli("store", "verify", str(store))
    assert result.returncode != 0 and "JSONDecodeError" not in result.stderr.split("error:")[0]
    assert "Traceback" not in result.stderr and "r0" in result.stdout


# ------------------------------------------------------------- 17: split names


def test_crafted_split_cannot_escape_the_export_folder(tmp_path):
    store = _store(tmp_path, n=2)
    meta = store / "recordings/r0/zarr.json"
    doc = json.loads(meta.read_text())
    doc["attributes"]["split"] = "../../X"
    meta.write_text(json.dumps(doc))
    root = zarr.open_group(str(store), mode="r+")
    catalog = dict(root.attrs["catalog"])
    catalog["r0"] = {**catalog["r0"], "split": "../../X"}
    root.attrs["catalog"] = catalog
    out = tmp_path / "deep" / "er" / "out"
    with pytest.raises(DataError, match="split name '../../X' is not allowed"):
        export_hdf5(store, out, layout="luna")
    assert not (tmp_path / "deep" / "X.h5").exists() and not list(tmp_path.rglob("X.h5*"))


def test_split_names_are_checked_on_write(tmp_path):
    with pytest.raises(DataError, match="not allowed"):
        build_store(tmp_path / "s.zarr", [fake_recording("r0", NAMES, split="../evil")])
    good = _store(tmp_path / "g", n=1)
    with pytest.raises(DataError, match="not allowed"):
        export_hdf5(good, tmp_path / "o", layout="luna", split=["../x"])
    assert not (tmp_path / "x.h5").exists()


def test_lock_file_is_beside_the_store_and_overwrite_keeps_it(tmp_path):
    out = tmp_path / "s.zarr"
    prepare("slow", tmp_path, out, dataset=SlowCorpus(1), progress=False)
    summary = prepare("slow", tmp_path, out, dataset=SlowCorpus(1), progress=False, overwrite=True)
    assert len(summary.written) == 1 and sorted(os.listdir(tmp_path)) == ["s.zarr"]
    _ = (signal, time)  # used by the signal tests module
