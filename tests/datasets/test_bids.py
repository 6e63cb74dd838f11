"""`bids`: a small BIDS EEG dataset written with mne-bids, labels from participants.tsv or events.tsv."""

from __future__ import annotations

import numpy as np
import pytest

import neurokit
from neurokit.core.data.rawio import write_edf
from neurokit.core.errors import DataError

pytest.importorskip("mne_bids")

CHANNELS = ["Fp1", "Fp2", "C3", "Cz", "O1"]
SUBJECTS = {"01": "patient", "02": "control", "03": "patient", "04": "n/a"}


@pytest.fixture(scope="module")
def bids_root(tmp_path_factory):
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    tmp = tmp_path_factory.mktemp("bids")
    root = tmp / "ds"
    sfreq = 250.0
    for i, subject in enumerate(SUBJECTS):
        rng = np.random.default_rng(i)
        data = 15 * rng.standard_normal((len(CHANNELS), int(8 * sfreq)))
        edf = write_edf(tmp / f"src{i}.edf", data, sfreq, CHANNELS)
        raw = mne.io.read_raw_edf(edf, verbose="error")
        raw.info["line_freq"] = 50
        events = np.array([[int(1 * sfreq), 0, 1], [int(4 * sfreq), 0, 2], [int(6 * sfreq), 0, 1]])
        bp = BIDSPath(subject=subject, task="oddball", datatype="eeg", root=root)
        write_raw_bids(
            raw,
            bp,
            events=events,
            event_id={"standard": 1, "target": 2},
            verbose="error",
            overwrite=True,
        )
    # add a diagnosis column as a study would
    participants = root / "participants.tsv"
    lines = participants.read_text().splitlines()
    header = lines[0].split("\t")
    out = ["\t".join(header + ["group"])]
    for line in lines[1:]:
        pid = line.split("\t")[0].removeprefix("sub-")
        out.append(line + "\t" + SUBJECTS[pid])
    participants.write_text("\n".join(out) + "\n")
    return root


def test_participants_labels_and_splits(bids_root):
    ds = neurokit.create("dataset", "bids", label_from="participants", participants_column="group")
    sources = ds.discover(bids_root)
    assert [s.subject for s in sources] == ["01", "02", "03", "04"]
    assert ds.class_names == ["control", "patient"] and ds.label_kind == "recording"
    assert [s.label for s in sources] == [1, 0, 1, None]
    assert sorted(s.split for s in sources) == ["test", "train", "train", "val"]
    rec = ds.load(sources[0])
    assert rec.channel_names == ["FP1", "FP2", "C3", "CZ", "O1"] and rec.sfreq == 200.0


def test_event_labels(bids_root):
    ds = neurokit.create(
        "dataset", "bids", label_from="events", event_seconds=1.0, event_offset=-0.5
    )
    sources = ds.discover(bids_root)
    assert ds.class_names == ["standard", "target"] and ds.label_kind == "events"
    rec = ds.load(sources[1])
    assert [(e.start, e.length, e.label) for e in rec.events] == [
        (100, 200, 0),
        (700, 200, 1),
        (1100, 200, 0),
    ]


def test_bad_bids_inputs(bids_root, tmp_path):
    with pytest.raises(DataError, match="not a BIDS dataset"):
        neurokit.create("dataset", "bids").discover(tmp_path)
    with pytest.raises(DataError, match="no column 'diagnosis'"):
        neurokit.create(
            "dataset", "bids", label_from="participants", participants_column="diagnosis"
        ).discover(bids_root)
    ds = neurokit.create("dataset", "bids", label_from="events")  # events.tsv durations are 0
    source = ds.discover(bids_root)[0]
    with pytest.raises(DataError, match="zero-duration event; set event_seconds"):
        ds.load(source)


def test_meg_in_femtotesla(tmp_path):
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    info = mne.create_info(
        ["MEG0111", "MEG0112", "MEG0113", "EEG001"], 600.0, ["mag", "grad", "grad", "eeg"]
    )
    info["line_freq"] = 50
    rng = np.random.default_rng(0)
    data = np.vstack([rng.standard_normal((1, 3600)) * 200e-15, rng.standard_normal((2, 3600)) * 50e-13,
                      rng.standard_normal((1, 3600)) * 1e-5])  # fmt: skip
    mne.io.RawArray(data, info, verbose="error").save(tmp_path / "src_raw.fif", verbose="error")
    raw = mne.io.read_raw_fif(tmp_path / "src_raw.fif", verbose="error")
    write_raw_bids(
        raw,
        BIDSPath(subject="01", task="rest", datatype="meg", root=tmp_path / "ds"),
        verbose="error",
    )
    ds = neurokit.create("dataset", "bids", datatype="meg", profile="raw")
    (source,) = ds.discover(tmp_path / "ds")
    rec = ds.load(source)
    assert rec.channel_names == ["MEG0111", "MEG0112", "MEG0113"]  # the EEG channel is not MEG
    std = rec.data.std(axis=1)
    assert 150 < std[0] < 250 and 35 < std[1] < 65  # fT and fT/cm, not 1e-7 "flat"
    assert rec.channel_types == ["mag", "grad", "grad"] and rec.units == ["fT", "fT/cm", "fT/cm"]
