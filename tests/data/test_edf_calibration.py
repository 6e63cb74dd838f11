"""Issue 10 item 7: impossible EDF calibrations are refused; negative gains read correctly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurokit.core.data.prepare import prepare
from neurokit.core.data.rawio import read_raw, write_edf
from neurokit.core.errors import DataError

# offsets (x number of signals) and widths of the per-signal header fields
PHYS_MIN, PHYS_MAX, DIG_MIN, DIG_MAX = (104, 8), (112, 8), (120, 8), (128, 8)


def _patch(path: Path, field: tuple[int, int], channel: int, value: str) -> None:
    """Overwrite one ASCII header field of one channel, as a hex editor (or a buggy
    recorder) would."""
    raw = bytearray(path.read_bytes())
    n = int(raw[252:256].decode())
    offset, width = field
    start = 256 + offset * n + width * channel
    raw[start : start + width] = value.ljust(width).encode("ascii")
    path.write_bytes(bytes(raw))


def _field(path: Path, field: tuple[int, int], channel: int) -> str:
    raw = path.read_bytes()
    n = int(raw[252:256].decode())
    offset, width = field
    start = 256 + offset * n + width * channel
    return raw[start : start + width].decode().strip()


def _edf(path: Path) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(10 * 200) / 200
    data = 40 * np.sin(2 * np.pi * 7 * t) + 5 * rng.standard_normal((3, t.size))
    write_edf(path, data, 200.0, ["C3", "C4", "CZ"], physical_range=(-200.0, 200.0))
    return path, data


def test_digital_max_equal_to_min_is_refused(tmp_path):
    path, _ = _edf(tmp_path / "bad.edf")
    _patch(path, DIG_MAX, 1, _field(path, DIG_MIN, 1))  # the probe: digital min = max
    with pytest.raises(DataError, match=r"channel 2 'C4': digital maximum .* <= digital minimum"):
        read_raw(path)


def test_digital_max_below_min_is_refused(tmp_path):
    path, _ = _edf(tmp_path / "bad.edf")
    _patch(path, DIG_MAX, 0, "-32768")
    _patch(path, DIG_MIN, 0, "32767")
    with pytest.raises(DataError, match="corrupt EDF/BDF header"):
        read_raw(path)


def test_physical_max_equal_to_min_is_refused(tmp_path):
    path, _ = _edf(tmp_path / "bad.edf")
    _patch(path, PHYS_MAX, 2, "-200")
    with pytest.raises(DataError, match="physical minimum = maximum"):
        read_raw(path)


def test_negative_gain_reads_the_known_values(tmp_path):
    path, data = _edf(tmp_path / "neg.edf")
    reference = read_raw(path).get_data()  # volts, as written
    np.testing.assert_allclose(reference * 1e6, data, atol=0.01)
    # physical min above max (a negative gain, as in real PhysioNet EDFs): same digital
    # samples now mean the negated values
    _patch(path, PHYS_MIN, 1, "200")
    _patch(path, PHYS_MAX, 1, "-200")
    flipped = read_raw(path).get_data()
    np.testing.assert_allclose(flipped[1] * 1e6, -data[1], atol=0.01)
    np.testing.assert_allclose(flipped[[0, 2]], reference[[0, 2]])


def test_corrupt_calibration_is_listed_in_the_skipped_summary(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _edf(raw / "good.edf")
    bad, _ = _edf(raw / "bad.edf")
    _patch(bad, DIG_MAX, 0, _field(bad, DIG_MIN, 0))
    summary = prepare(
        "folder", raw, tmp_path / "s.zarr", progress=False,
        overrides=["preprocessing.channels=[C3,C4,CZ]", "val_fraction=0", "test_fraction=0"],
    )  # fmt: skip
    assert [r.id for r in summary.written] == ["good"]
    assert [r.id for r in summary.failed] == ["bad"]
    assert "digital maximum" in summary.failed[0].reason
