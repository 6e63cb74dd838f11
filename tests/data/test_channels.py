"""Channel names are normalised once; positions come from mne's 10-05 template, cached."""

from __future__ import annotations

import numpy as np
import pytest

from neurokit.core.data.channels import (
    TCP_NAMES,
    TCP_PAIRS,
    channel_position,
    channel_positions,
    is_bipolar,
    normalise_channel_name,
    normalise_channel_names,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("EEG FP1-REF", "FP1"),
        ("EEG T3-LE", "T3"),
        ("EEG Fz-REF", "FZ"),
        ("Fp1", "FP1"),
        ("  eeg cz-ref ", "CZ"),
        ("FP1-F7", "FP1-F7"),
        ("Fp1-F7", "FP1-F7"),
        ("EEG EKG1-REF", "EKG1"),
        ("T7", "T7"),
        ("EEG A1-REF", "A1"),
    ],
)
def test_normalise_channel_name(raw, expected):
    assert normalise_channel_name(raw) == expected


def test_old_and_new_temporal_names_stay_distinct_but_share_a_position():
    assert normalise_channel_names(["EEG T3-REF", "EEG T7-REF"]) == ["T3", "T7"]
    np.testing.assert_allclose(channel_position("T3"), channel_position("T7"))


def test_positions_in_metres_case_insensitive_and_flagged_when_unknown():
    pos, known = channel_positions(["FP1", "fp2", "O1", "EKG1"])
    assert pos.shape == (4, 3) and pos.dtype == np.float32
    assert known.tolist() == [True, True, True, False]
    assert np.all(pos[3] == 0)
    radius = np.linalg.norm(pos[:3], axis=1)
    assert np.all((radius > 0.05) & (radius < 0.15))  # a head, in metres
    assert pos[0, 1] > 0 > pos[2, 1]  # FP1 anterior, O1 posterior
    assert pos[0, 0] < 0 < pos[1, 0]  # FP1 left, FP2 right


def test_bipolar_channel_sits_at_the_midpoint():
    mid = channel_position("FP1-F7")
    np.testing.assert_allclose(
        mid, (channel_position("FP1") + channel_position("F7")) / 2, rtol=1e-6
    )
    assert is_bipolar("FP1-F7") and not is_bipolar("FP1")
    assert channel_position("FP1-XYZ") is None


def test_tcp_montage_definition():
    assert len(TCP_PAIRS) == 22 and len(set(TCP_NAMES)) == 22
    assert TCP_NAMES[:4] == ("FP1-F7", "F7-T3", "T3-T5", "T5-O1")
    assert TCP_NAMES[-2:] == ("A1-T3", "T4-A2")
    _, known = channel_positions(TCP_NAMES)
    assert known.all()


def test_positions_are_cached_and_read_only():
    a, _ = channel_positions(("FP1", "CZ"))
    b, _ = channel_positions(["FP1", "CZ"])
    assert a is b
    with pytest.raises(ValueError):
        a[0, 0] = 1.0


def test_sphenoidal_t1_t2_get_a_documented_neighbour_position():
    _, known = channel_positions(["T1", "T2", "CB1"])
    assert known.all()
