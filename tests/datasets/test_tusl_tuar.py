"""`tusl` and `tuar` on tiny trees in their v2/v3 layouts with csv_v1.0.0 annotation files."""

from __future__ import annotations

import pytest

import neurokit
from neurokit.core.data.channels import TCP_NAMES
from neurokit.core.errors import DataError
from tests.datasets.conftest import tuh_labels, write_csv_v1, write_tuh_edf

TUSL_SUBJECTS = [f"aaaaa{c}aa" for c in "abcdefghij"]
FS = 256  # luna profile


@pytest.fixture(scope="module")
def tusl_root(tmp_path_factory):
    edf = tmp_path_factory.mktemp("tusl") / "v2.0.1" / "edf"
    for i, subject in enumerate(TUSL_SUBJECTS):
        montage = "02_tcp_le" if i % 2 else "01_tcp_ar"
        labels = tuh_labels("LE" if i % 2 else "REF")
        path = write_tuh_edf(
            edf / subject / "s001_2010" / montage / f"{subject}_s001_t000.edf",
            seconds=8,
            seed=i,
            labels=labels,
        )
        if i == 9:  # a v1-style term file
            path.with_suffix(".tse_agg").write_text(
                "version = tse_v1.0.0\n\n0.0000 8.0000 seiz 1.0000\n"
            )
            continue
        # v2 files repeat each term span on every channel
        rows = [(ch, 0.0, 4.0, "bckg", 1.0) for ch in TCP_NAMES[:3]] + [
            (ch, 4.0, 8.0, "slow", 1.0) for ch in TCP_NAMES[:3]
        ]
        write_csv_v1(path.with_suffix(".csv"), rows, duration=8)
    return edf.parent


def test_tusl_discover_split(tusl_root):
    sources = neurokit.create("dataset", "tusl").discover(tusl_root)
    assert len(sources) == 10
    splits = {s.subject: s.split for s in sources}
    assert sorted(splits.values()) == ["test"] + ["train"] * 8 + ["val"]
    assert {s.extra["montage"] for s in sources} == {"01_tcp_ar", "02_tcp_le"}
    other = neurokit.create("dataset", "tusl", seed=5).discover(tusl_root)
    assert {s.subject: s.split for s in other} != splits
    assert {
        s.subject: s.split for s in neurokit.create("dataset", "tusl").discover(tusl_root)
    } == splits


def test_tusl_events_deduplicated_and_le_reference(tusl_root):
    ds = neurokit.create("dataset", "tusl")
    sources = {s.subject: s for s in ds.discover(tusl_root)}
    rec = ds.load(sources[TUSL_SUBJECTS[1]])  # 02_tcp_le: `EEG FP1-LE` names
    assert rec.channel_names == list(TCP_NAMES) and rec.sfreq == FS
    assert [(e.start, e.length, e.label, e.channel) for e in rec.events] == [
        (0, 4 * FS, 0, -1),
        (4 * FS, 4 * FS, 2, -1),
    ]
    rec = ds.load(sources[TUSL_SUBJECTS[9]])  # .tse_agg
    assert [(e.start, e.length, e.label) for e in rec.events] == [(0, 8 * FS, 1)]


def test_tusl_bad_label_and_missing_file(tmp_path):
    path = write_tuh_edf(
        tmp_path / "edf/aaaaaaaa/s001_2010/01_tcp_ar/aaaaaaaa_s001_t000.edf", seconds=3
    )
    ds = neurokit.create("dataset", "tusl")
    source = ds.discover(tmp_path)[0]
    with pytest.raises(DataError, match="no annotation file"):
        ds.load(source)
    write_csv_v1(path.with_suffix(".csv"), [("FP1-F7", 0.0, 3.0, "spsw", 1.0)], duration=3)
    with pytest.raises(DataError, match="unknown TUSL label 'spsw'"):
        ds.load(source)


def test_tusl_store_majority_windows(tusl_root, tmp_path):
    from neurokit.core.data.dataset import WindowDataset
    from neurokit.core.data.prepare import prepare

    prepare("tusl", tusl_root, tmp_path / "tusl.zarr", progress=False)
    windows = WindowDataset(tmp_path / "tusl.zarr", split="train", window_seconds=4, cache="memory")
    assert (
        set(windows.labels.tolist()) <= {0.0, 1.0, 2.0} and len(windows) == 16
    )  # 8 recordings x 2 windows


@pytest.fixture(scope="module")
def tuar_root(tmp_path_factory):
    edf = tmp_path_factory.mktemp("tuar") / "v3.0.1" / "edf"
    rows = [
        ("FP1-F7", 2.0, 3.0, "eyem", 1.0),
        ("F7-T3", 2.5, 4.0, "musc", 1.0),
        ("T3-T5", 6.0, 6.5, "elpp", 1.0),  # artifact for binary, no multiclass family
        ("T3-T5", 7.0, 7.5, "eyem_musc", 0.3),
    ]
    for i, subject in enumerate(["aaaaaaju", "aaaaaajv", "aaaaaajw", "aaaaaajx"]):
        montage = ("01_tcp_ar", "02_tcp_le", "03_tcp_ar_a", "01_tcp_ar")[i]
        channels = tuh_labels("LE" if montage == "02_tcp_le" else "REF")
        if montage == "03_tcp_ar_a":  # no A1/A2: 20 TCP pairs
            channels = [c for c in channels if "A1" not in c and "A2" not in c]
        path = write_tuh_edf(
            edf / montage / f"{subject}_s00{i + 1}_t000.edf", seconds=8, seed=i, labels=channels
        )
        write_csv_v1(path.with_suffix(".csv"), rows, duration=8)
    return edf.parent


def test_tuar_binary(tuar_root):
    ds = neurokit.create("dataset", "tuar")
    assert ds.class_names == ("bckg", "artifact")
    sources = ds.discover(tuar_root)
    assert len(sources) == 4 and {s.extra["montage"] for s in sources} == {
        "01_tcp_ar",
        "02_tcp_le",
        "03_tcp_ar_a",
    }
    rec = ds.load(next(s for s in sources if s.extra["montage"] == "01_tcp_ar"))
    spans = [(e.start / FS, (e.start + e.length) / FS, e.label) for e in rec.events]
    assert spans == [
        (0, 2, 0),
        (2, 4, 1),
        (4, 6, 0),
        (6, 6.5, 1),
        (6.5, 7, 0),
        (7, 7.5, 1),
        (7.5, 8, 0),
    ]
    rec = ds.load(next(s for s in sources if s.extra["montage"] == "03_tcp_ar_a"))
    assert len(rec.channel_names) == 20 and "A1-T3" not in rec.channel_names


def test_tuar_multiclass_confidence_and_channels(tuar_root):
    ds = neurokit.create("dataset", "tuar", mode="multiclass", min_confidence=0.5)
    rec = ds.load(next(s for s in ds.discover(tuar_root) if s.extra["montage"] == "01_tcp_ar"))
    artefacts = [
        (ds.class_names[e.label], rec.channel_names[e.channel], e.start / FS)
        for e in rec.events
        if e.label
    ]
    assert artefacts == [
        ("eyem", "FP1-F7", 2.0),
        ("musc", "F7-T3", 2.5),
    ]  # eyem_musc dropped (conf 0.3)
    background = [(e.start / FS, (e.start + e.length) / FS) for e in rec.events if e.label == 0]
    assert background == [(0, 2), (4, 8)]


def test_tuar_split_by_recording_and_subject(tuar_root):
    by_subject = neurokit.create("dataset", "tuar").discover(tuar_root)
    by_file = neurokit.create("dataset", "tuar", split_by="recording").discover(tuar_root)
    for sources in (by_subject, by_file):
        assert sorted(s.split for s in sources) == ["test", "train", "train", "val"]


@pytest.mark.parametrize("threshold,expected", [(0.3, [0, 1, 1]), (None, [0, 1, 0])])
def test_tuar_windows_follow_lunas_thirty_percent_rule(tuar_root, tmp_path, threshold, expected):
    """Windows of 2.5 s over 0-7.5 s: 20%, 60% and 40% artifact."""
    from neurokit.core.data.dataset import WindowDataset
    from neurokit.core.data.prepare import prepare

    store = tmp_path / "tuar.zarr"
    prepare(
        "tuar",
        tuar_root,
        store,
        overrides=[f"foreground_threshold={'null' if threshold is None else threshold}"],
        progress=False,
    )
    split = next(
        s.split
        for s in neurokit.create("dataset", "tuar").discover(tuar_root)
        if s.extra["montage"] == "01_tcp_ar"
    )
    windows = WindowDataset(store, split=split, window_seconds=2.5, cache="memory")
    first = [
        i
        for i in range(len(windows))
        if windows.metas[windows._rec[i]].source.endswith("aaaaaaju_s001_t000.edf")
    ]
    assert windows.labels[first[:3]].tolist() == expected


def test_tuar_reads_v2_lbl_files(tmp_path):
    """TUAR v2 shipped per-channel `.lbl` files: they give channel-level artifact spans."""
    from neurokit.plugins.datasets._tuh import TUEV_REC_MONTAGE
    from tests.datasets.conftest import write_lbl

    path = write_tuh_edf(tmp_path / "edf/01_tcp_ar/aaaaaaju_s001_t000.edf", seconds=8)
    symbols = ("(null)", "eyem", "musc", "chew")
    write_lbl(path.with_suffix(".lbl"), [(0, 2.0, 4.0, "eyem"), (1, 5.0, 6.0, "chew")],
              symbols=symbols, montage=TUEV_REC_MONTAGE)  # fmt: skip
    path.with_suffix(".tse").write_text("version = tse_v1.0.0\n\n0.0 8.0 bckg 1.0\n")
    ds = neurokit.create("dataset", "tuar", mode="multiclass")
    rec = ds.load(ds.discover(tmp_path)[0])
    got = [(ds.class_names[e.label], rec.channel_names[e.channel], e.start / FS)
           for e in rec.events if e.label]  # fmt: skip
    assert got == [("eyem", "FP1-F7", 2.0), ("chew", "F7-T3", 5.0)]
