"""Issue 10 items 8, 9, 15: discovery loses nothing silently; ids keep their letters."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from neurokit.core.data.prepare import prepare
from neurokit.core.data.rawio import write_edf
from neurokit.core.data.store import Store
from neurokit.plugins.datasets._tuh import find_edfs

OPTS = ["preprocessing.channels=[C3,C4,CZ]", "val_fraction=0", "test_fraction=0"]


def _edf(path: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    return write_edf(path, 20 * rng.standard_normal((3, 6 * 200)), 200.0, ["C3", "C4", "CZ"])


@pytest.fixture
def unreadable(monkeypatch):
    """Make a folder unreadable: chmod 000, and (as root, who ignores modes) make listing
    it fail exactly as the kernel does for other users."""

    def lock(folder: Path) -> None:
        folder.chmod(0)
        if os.geteuid() == 0:
            real = os.scandir

            def scandir(path="."):
                if isinstance(path, str | os.PathLike) and Path(path) == folder:
                    raise PermissionError(13, "Permission denied", str(path))
                return real(path)

            monkeypatch.setattr(os, "scandir", scandir)

    yield lock


def test_unreadable_subfolder_is_in_the_skipped_summary(tmp_path, unreadable):
    raw = tmp_path / "raw"
    _edf(raw / "a.edf")
    _edf(raw / "locked" / "b.edf", 1)
    _edf(raw / "locked" / "c.edf", 2)
    locked = raw / "locked"
    unreadable(locked)
    try:
        summary = prepare("folder", raw, tmp_path / "s.zarr", progress=False, overrides=OPTS)
    finally:
        locked.chmod(0o755)
    assert [r.id for r in summary.written] == ["a"]
    assert [r.id for r in summary.failed] == [str(locked)]
    assert "cannot be read" in summary.failed[0].reason


def test_tuh_discovery_reports_unreadable_folders(tmp_path, unreadable):
    _edf(tmp_path / "01_tcp_ar" / "aaaaaaaa_s001_t000.edf")
    _edf(tmp_path / "01_tcp_ar" / "sub" / "aaaaaaab_s001_t000.edf")
    unreadable(tmp_path / "01_tcp_ar" / "sub")
    problems: list = []
    try:
        found = find_edfs(tmp_path / "01_tcp_ar", problems)
    finally:
        (tmp_path / "01_tcp_ar" / "sub").chmod(0o755)
    assert [p.name for p in found] == ["aaaaaaaa_s001_t000.edf"]
    assert problems and problems[0][0] == str(tmp_path / "01_tcp_ar" / "sub")


def test_non_ascii_names_keep_their_letters_and_stay_distinct(tmp_path):
    raw = tmp_path / "raw"
    _edf(raw / "患者1.edf")
    _edf(raw / "病人1.edf", 1)
    _edf(raw / "Cafe\u0301.edf", 2)  # decomposed é: stored NFC
    summary = prepare("folder", raw, tmp_path / "s.zarr", progress=False, overrides=OPTS)
    assert not summary.failed
    assert sorted(Store(tmp_path / "s.zarr").recordings) == sorted(["患者1", "病人1", "Caf\u00e9"])


def test_colliding_ids_get_a_stable_hash_suffix(tmp_path):
    raw = tmp_path / "raw"
    _edf(raw / "a b.edf")
    _edf(raw / "a_b.edf", 1)
    _edf(raw / "a+b.edf", 2)
    out = tmp_path / "s.zarr"
    summary = prepare("folder", raw, out, progress=False, overrides=OPTS)
    ids = sorted(Store(out).recordings)
    assert len(summary.written) == 3 and len(ids) == 3
    assert all(i.startswith("a_b-") and len(i) == len("a_b-") + 8 for i in ids)
    sources = {m.source for m in Store(out).recordings.values()}
    assert {Path(s).name for s in sources} == {"a b.edf", "a_b.edf", "a+b.edf"}
    again = prepare("folder", raw, out, progress=False, overrides=OPTS)
    assert again.present == 3 and not again.written  # same ids on every run: resume works


def test_labels_csv_with_a_utf8_bom_is_read(tmp_path):
    raw = tmp_path / "raw"
    _edf(raw / "x.edf")
    _edf(raw / "y.edf", 1)
    (raw / "labels.csv").write_bytes("path,label\nx.edf,good\ny.edf,bad\n".encode("utf-8-sig"))
    summary = prepare("folder", raw, tmp_path / "s.zarr", progress=False, overrides=OPTS)
    store = Store(tmp_path / "s.zarr")
    assert len(summary.written) == 2 and store.class_names == ["bad", "good"]
    assert {m.id: m.label for m in store.recordings.values()} == {"x": 1, "y": 0}


def test_absent_folders_are_not_problems(tmp_path):
    problems: list = []
    assert find_edfs(tmp_path / "nope", problems) == [] and problems == []
