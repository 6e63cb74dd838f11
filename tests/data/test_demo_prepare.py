"""The demo corpus end to end: generated EDFs in TUAB's layout -> `neurokit prepare` -> store."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from neurokit.core.data.prepare import prepare
from neurokit.core.data.store import Store
from neurokit.plugins.datasets.demo import DemoConfig, DemoDataset

from ..conftest import assert_clean_failure

SMALL = [
    "--set",
    "subjects=6",
    "--set",
    "sessions=1",
    "--set",
    "min_seconds=12",
    "--set",
    "max_seconds=14",
]


def _small(**kw) -> DemoDataset:
    return DemoDataset(DemoConfig(subjects=6, sessions=2, min_seconds=12, max_seconds=14, **kw))


def test_generation_is_deterministic_in_tuab_layout(tmp_path):
    a, b = _small().generate(tmp_path / "a"), _small().generate(tmp_path / "b")
    files = sorted(p.relative_to(a) for p in a.rglob("*.edf"))
    assert len(files) == 12
    assert {p.parts[:2] for p in files} == {("edf", "train"), ("edf", "eval")}
    assert all(p.parts[2] in {"normal", "abnormal"} and p.parts[3] == "01_tcp_ar" for p in files)
    digest = [hashlib.sha256((x / f).read_bytes()).hexdigest() for f in files for x in (a, b)]
    assert digest[0::2] == digest[1::2]


def test_discover_labels_from_path_and_subject_disjoint_splits(tmp_path):
    ds = _small()
    sources = ds.discover(ds.generate(tmp_path))
    assert {s.split for s in sources} == {"train", "val", "test"}
    by_split = {
        sp: {s.subject for s in sources if s.split == sp} for sp in ("train", "val", "test")
    }
    assert not (by_split["train"] & by_split["val"]) and not (by_split["train"] & by_split["test"])
    for s in sources:
        assert ("abnormal" in s.path.parts) == (s.label == 1)
        assert ("eval" in s.path.parts) == (s.split == "test")


def test_demo_signal_looks_like_eeg(tmp_path):
    ds = _small()
    sources = ds.discover(ds.generate(tmp_path))
    rec = ds.load(sources[0])
    assert rec.sfreq == 200 and len(rec.channel_names) == 21 and "EKG1" not in rec.channel_names
    rms = rec.data.std(axis=1)
    assert np.all((rms > 5) & (rms < 80))  # tens of microvolts
    o1, fz = rec.channel_names.index("O1"), rec.channel_names.index("FZ")
    freqs = np.fft.rfftfreq(rec.data.shape[1], 1 / 200)
    power = np.abs(np.fft.rfft(rec.data, axis=1)) ** 2
    alpha = (freqs > 8) & (freqs < 12)
    assert power[o1, alpha].mean() > 2 * power[fz, alpha].mean()  # posterior-dominant alpha


def test_abnormal_recordings_carry_more_slow_activity(tmp_path):
    ds = _small()
    sources = ds.discover(ds.generate(tmp_path))
    ratios = {0: [], 1: []}
    for s in sources:
        x = ds.load(s).data
        freqs = np.fft.rfftfreq(x.shape[1], 1 / 200)
        p = (np.abs(np.fft.rfft(x, axis=1)) ** 2).mean(axis=0)
        ratios[s.label].append(
            p[(freqs > 1) & (freqs < 7)].sum() / p[(freqs > 8) & (freqs < 13)].sum()
        )
    assert min(ratios[1]) > max(ratios[0])


def test_prepare_demo_cli_end_to_end(cli, tmp_path):
    out = tmp_path / "demo.zarr"
    result = cli("prepare", "demo", "--out", str(out), "--workers", "2", *SMALL, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "6 written" in result.stdout and "0 skipped" in result.stdout
    info = json.loads(cli("store", "info", str(out), "--json").stdout)
    assert info["dataset"] == "demo" and info["recordings"] == 6 and info["sfreq"] == 200
    assert info["class_names"] == ["normal", "abnormal"]
    assert info["preprocessing"]["notch"] == 50 and info["preprocessing"]["l_freq"] == 0.1
    assert set(info["splits"]) == {"train", "val", "test"}
    store = Store(out)
    assert all(m.checksum.startswith("sha256:") for m in store.recordings.values())
    rerun = prepare(
        "demo", None, out, overrides=SMALL[1::2], progress=False
    )  # resumes: nothing to do
    assert rerun.present == 6 and not rerun.written and not rerun.failed
    human = cli("store", "info", str(out))
    assert human.returncode == 0 and "normal, abnormal" in human.stdout


def test_prepare_luna_profile_and_bad_files(cli, tmp_path):
    raw = _small().generate(tmp_path / "raw")
    edfs = sorted(raw.rglob("*.edf"))
    edfs[0].write_bytes(edfs[0].read_bytes()[:5000])  # truncated
    out = tmp_path / "luna.zarr"
    result = cli("prepare", "demo", "--raw", str(raw), "--out", str(out), "--profile", "luna",
                 "--set", "subjects=6", "--set", "min_seconds=12", "--set", "max_seconds=14", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["written"] == 11 and len(summary["failed"]) == 1
    assert (
        "truncated file" in summary["failed"][0]["reason"]
        and edfs[0].name in summary["failed"][0]["reason"]
    )
    store = Store(out)
    meta = next(iter(store.recordings.values()))
    assert (
        store.schema.sfreq == 256
        and len(meta.channel_names) == 22
        and meta.channel_names[0] == "FP1-F7"
    )


def test_prepare_where_everything_fails_exits_non_zero(cli, tmp_path):
    raw = _small().generate(tmp_path / "raw")
    for edf in raw.rglob("*.edf"):
        edf.write_bytes(b"garbage")
    result = cli("prepare", "demo", "--raw", str(raw), "--out", str(tmp_path / "x.zarr"),
                 "--set", "subjects=6", "--set", "min_seconds=12", "--set", "max_seconds=14")  # fmt: skip
    assert_clean_failure(result, "all 12 recordings failed", "not an EDF/BDF file")


def test_prepare_errors_are_one_line(cli, tmp_path):
    assert_clean_failure(
        cli("prepare", "demo", "--raw", str(tmp_path / "missing")), "raw data directory not found"
    )
    assert_clean_failure(
        cli("prepare", "demo", "--set", "profile=nope", "--out", str(tmp_path / "y")),
        "unknown profile",
    )
    assert_clean_failure(cli("store", "info", str(tmp_path / "nothing.zarr")), "store not found")
