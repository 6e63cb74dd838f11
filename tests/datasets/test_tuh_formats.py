"""The TUH annotation readers and the seeded subject split, on files written as the corpora write them."""

from __future__ import annotations

import pytest

from neurokit.core.data.splits import split_subjects
from neurokit.core.errors import DataError
from neurokit.plugins.datasets._tuh import (
    TUEV_REC_MONTAGE,
    complement,
    merge_intervals,
    parse_stem,
    read_annotations,
    read_csv_annotations,
    read_rec,
)
from tests.datasets.conftest import write_csv_v1


def test_csv_v1_reads_channels_terms_and_confidence(tmp_path):
    path = write_csv_v1(
        tmp_path / "aaaaaaju_s007_t000.csv",
        [
            ("FP1-F7", 0.0, 36.8868, "eyem", 1.0),
            ("F7-T3", 36.2, 40.0, "musc", 0.5),
            ("TERM", 1.0, 2.0, "SEIZ", 1.0),
        ],
        duration=60,
    )
    rows = read_csv_annotations(path)
    assert [(r.channel, r.start, r.stop, r.label, r.confidence) for r in rows] == [
        ("FP1-F7", 0.0, 36.8868, "eyem", 1.0),
        ("F7-T3", 36.2, 40.0, "musc", 0.5),
        ("TERM", 1.0, 2.0, "seiz", 1.0),
    ]


@pytest.mark.parametrize(
    "bad_line, reason",
    [
        ("FP1-F7,0.0,abc,eyem,1.0", "stop_time 'abc' is not a number"),
        ("FP1-F7,0.0,1.0,eyem", "4 fields, the header has 5"),
        ("FP1-F7,5.0,1.0,eyem,1.0", "empty or negative"),
        ("FP1-F7,0.0,nan,eyem,1.0", "not finite"),
    ],
)
def test_csv_malformed_line_names_file_and_line(tmp_path, bad_line, reason):
    path = write_csv_v1(
        tmp_path / "x_s001_t000.csv", [("FP1-F7", 0.0, 1.0, "eyem", 1.0)], duration=10
    )
    path.write_text(path.read_text() + bad_line + "\n")
    with pytest.raises(DataError) as info:
        read_csv_annotations(path)
    message = str(info.value)
    assert str(path) in message and "line 8" in message and reason in message


def test_csv_without_header_is_rejected(tmp_path):
    path = tmp_path / "x_s001_t000.csv"
    path.write_text("# version = csv_v1.0.0\nFP1-F7,0.0,1.0,eyem,1.0\n")
    with pytest.raises(DataError, match="lacks column"):
        read_csv_annotations(path)


def test_rec_maps_channel_numbers_to_tuev_montage(tmp_path):
    path = tmp_path / "00002275_00000001.rec"
    path.write_text("8,10.0,11.0,6\n13,12.5,13.5,1\n")
    events = read_rec(path)
    assert [(e.channel, e.start, e.stop, e.code) for e in events] == [
        ("A1-T3", 10.0, 11.0, 6),
        ("T4-A2", 12.5, 13.5, 1),
    ]
    assert len(TUEV_REC_MONTAGE) == 22


@pytest.mark.parametrize(
    "line, reason",
    [
        ("3,1.0,2.0,7", "label code 7 is not 1..6"),
        ("22,1.0,2.0,1", "channel 22"),
        ("3,1.0,2.0", "expected"),
    ],
)
def test_rec_malformed(tmp_path, line, reason):
    path = tmp_path / "a_1.rec"
    path.write_text("0,0.0,1.0,6\n" + line + "\n")
    with pytest.raises(DataError) as info:
        read_rec(path)
    assert (
        str(path) in str(info.value) and "line 2" in str(info.value) and reason in str(info.value)
    )


def test_tse_v1(tmp_path):
    path = tmp_path / "a_s001_t000.tse"
    path.write_text(
        "version = tse_v1.0.0\n\n0.0000 10.0000 bckg 1.0000\n10.0000 20.0000 slow 0.9\n"
    )
    rows = read_annotations(path)
    assert [(r.channel, r.start, r.stop, r.label) for r in rows] == [
        ("TERM", 0, 10, "bckg"),
        ("TERM", 10, 20, "slow"),
    ]
    path.write_text("version = tse_v1.0.0\n0.0 x bckg 1.0\n")
    with pytest.raises(DataError, match="line 2"):
        read_annotations(path)


def test_stem():
    parts = parse_stem("aaaaaaav_s004_t000")
    assert (parts.subject, parts.session, parts.token) == ("aaaaaaav", "s004", "t000")
    assert parse_stem("bckg_032_a_") is None


def test_split_subjects_disjoint_seeded_and_order_free():
    subjects = [f"s{i:02d}" for i in range(20)]
    a = split_subjects(subjects, {"train": 0.8, "val": 0.1, "test": 0.1}, seed=1)
    b = split_subjects(
        list(reversed(subjects)) + subjects, {"train": 0.8, "val": 0.1, "test": 0.1}, seed=1
    )
    c = split_subjects(subjects, {"train": 0.8, "val": 0.1, "test": 0.1}, seed=2)
    assert a == b  # same subjects -> same split, whatever the order or repeats
    assert a != c
    counts = {k: list(a.values()).count(k) for k in ("train", "val", "test")}
    assert counts == {"train": 16, "val": 2, "test": 2}
    # tiny corpora still get a val subject
    assert "val" in split_subjects(["a", "b", "c"], {"train": 0.8, "val": 0.2}, seed=0).values()


def test_interval_helpers():
    merged = merge_intervals([(5, 7), (0, 2), (1, 3)])
    assert merged == [(0, 3), (5, 7)]
    assert complement(merged, 10) == [(3, 5), (7, 10)]


def test_lbl_v1_reads_montage_symbols_and_probabilities(tmp_path):
    from tests.datasets.conftest import write_lbl

    path = write_lbl(
        tmp_path / "a.lbl",
        [(0, 0.0, 10.2775, "bckg"), (13, 10.2775, 12.0, "pled"), (-1, 3.0, 4.0, "seiz")],
    )
    text = path.read_text()
    # a second level (sublabels) is skipped; a soft label takes its most probable symbol
    text += "label = {1, 0, 1.0000, 2.0000, 0, [1.0, 0.0]}\n"
    text += "label = {0, 0, 20.0000, 21.5000, all, [0.0, 0.3, 0.0, 0.0, 0.7, 0.0, 0.0, 0.0]}\n"
    path.write_text(text)
    got = read_annotations(path)
    assert [(a.channel, a.start, a.stop, a.label, a.confidence) for a in got] == [
        ("FP1-F7", 0.0, 10.2775, "bckg", 1.0),
        ("T4-A2", 10.2775, 12.0, "pled", 1.0),
        ("TERM", 3.0, 4.0, "seiz", 1.0),
        ("TERM", 20.0, 21.5, "eyem", 0.7),
    ]


@pytest.mark.parametrize(
    "line,reason",
    [
        ("label = {0, 0, 1.0, 2.0, 0, [1.0, 0.0]}", "2 probabilities for 8 symbols"),
        (
            "label = {0, 0, 1.0, 2.0, 40, [1, 0, 0, 0, 0, 0, 0, 0]}",
            "channel 40 is not in the montage",
        ),
        ("label = {0, 0, 3.0, 2.0, 0, [1, 0, 0, 0, 0, 0, 0, 0]}", "empty or negative"),
        ("label = {0, 0, x, 2.0, 0, [1, 0, 0, 0, 0, 0, 0, 0]}", "start 'x' is not a number"),
        ("label = {0, 0, 1.0, 2.0, 0, [0, 0, 0, 0, 0, 0, 0, 0]}", "no symbol has a positive"),
        ("label = 0, 0, 1.0, 2.0", "expected `label = {level"),
        ("bogus line", "unexpected line"),
    ],
)
def test_lbl_malformed_line_names_file_and_line(tmp_path, line, reason):
    from tests.datasets.conftest import write_lbl

    path = write_lbl(tmp_path / "b.lbl", [(0, 0.0, 1.0, "bckg")])
    lines = path.read_text().splitlines() + [line]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as info:
        read_annotations(path)
    assert f"b.lbl: line {len(lines)}" in str(info.value) and reason in str(info.value)


def test_lbl_needs_its_version_and_symbols(tmp_path):
    path = tmp_path / "c.lbl"
    path.write_text("version = tse_v1.0.0\n")
    with pytest.raises(DataError, match="not an lbl_v1 file"):
        read_annotations(path)
    path.write_text("version = lbl_v1.0.0\nlabel = {0, 0, 1.0, 2.0, -1, [1.0]}\n")
    with pytest.raises(DataError, match=r"line 2: label before the `symbols\[0\]` line"):
        read_annotations(path)
