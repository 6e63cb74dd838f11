"""Reading raw recordings with mne, turning every way a file can be bad into a DataError.

mne reads a truncated EDF without complaint (or fails deep inside numpy), so EDF/BDF
sizes are checked against their headers first: a file cut short names itself.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

from neurokit.core.errors import DataError

# suffix -> mne reader name
READERS = {
    ".edf": "read_raw_edf",
    ".bdf": "read_raw_bdf",
    ".fif": "read_raw_fif",
    ".vhdr": "read_raw_brainvision",
    ".set": "read_raw_eeglab",
    ".cnt": "read_raw_cnt",
    ".gdf": "read_raw_gdf",
    # MEG systems (positions and orientations come with the file: sensors.file_positions)
    ".ds": "read_raw_ctf",  # CTF: a directory
    ".sqd": "read_raw_kit",  # KIT / Yokogawa
    ".con": "read_raw_kit",
}
# BTi/4D: a run is a file named `c,rf...` (e.g. `c,rfDC`) with `config` and `hs_file` beside it.
BTI_PREFIX = "c,rf"


def check_edf_size(path: Path) -> None:
    """Raise DataError if an EDF/BDF file is shorter (or its header broken) than it declares."""
    bytes_per_sample = 3 if path.suffix.lower() == ".bdf" else 2
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            fixed = handle.read(256)
            if len(fixed) < 256:
                raise DataError(
                    f"{path}: not an EDF/BDF file (header is {len(fixed)} bytes, needs 256)"
                )
            n_records = int(fixed[236:244].decode("ascii").strip())
            n_signals = int(fixed[252:256].decode("ascii").strip())
            signal_header = handle.read(256 * n_signals)
    except (ValueError, UnicodeDecodeError):
        raise DataError(
            f"{path}: corrupt EDF/BDF header (record or signal count unreadable)"
        ) from None
    if n_signals <= 0 or n_signals > 4096:
        raise DataError(f"{path}: corrupt EDF/BDF header (declares {n_signals} signals)")
    if len(signal_header) < 256 * n_signals:
        raise DataError(
            f"{path}: truncated file ({size} bytes, shorter than its own {256 * (n_signals + 1)}-byte header)"
        )
    offset = 216 * n_signals
    try:
        samples = [
            int(signal_header[offset + 8 * i : offset + 8 * i + 8].decode("ascii").strip())
            for i in range(n_signals)
        ]
    except (ValueError, UnicodeDecodeError):
        raise DataError(f"{path}: corrupt EDF/BDF header (samples per record unreadable)") from None
    check_edf_calibration(path, signal_header, n_signals)
    if n_records < 0:  # -1: still being recorded; mne infers the count from the size
        return
    expected = 256 * (n_signals + 1) + n_records * sum(samples) * bytes_per_sample
    if size < expected:
        raise DataError(
            f"{path}: truncated file ({size} bytes, the header declares {n_records} records = {expected} bytes)"
        )


def check_edf_calibration(path: Path, header: bytes, n_signals: int) -> None:
    """Refuse impossible calibrations: digital max <= digital min, or physical max == min.

    mne reads them anyway (warning only) and scales the channel by a zero or negative
    digital span, which stored a flat channel at 5 V peak to peak. A physical minimum
    above the maximum is legal (a negative gain, as some PhysioNet EDFs have) and is
    left to mne, which reads it correctly.
    """

    def field(offset: int, width: int, i: int) -> str:
        start = offset * n_signals + width * i
        return header[start : start + width].decode("ascii", "replace").strip()

    for i in range(n_signals):
        label = field(0, 16, i)
        if label.endswith("Annotations"):  # EDF+/BDF+ annotation channel: not a signal
            continue
        try:
            pmin, pmax = float(field(104, 8, i)), float(field(112, 8, i))
            dmin, dmax = int(float(field(120, 8, i))), int(float(field(128, 8, i)))
        except ValueError:
            raise DataError(
                f"{path}: corrupt EDF/BDF header (channel {i + 1} {label!r}: calibration unreadable)"
            ) from None
        if dmax <= dmin:
            raise DataError(
                f"{path}: corrupt EDF/BDF header (channel {i + 1} {label!r}: digital maximum "
                f"{dmax} <= digital minimum {dmin}, so its samples cannot be scaled)"
            )
        if pmax == pmin:
            raise DataError(
                f"{path}: corrupt EDF/BDF header (channel {i + 1} {label!r}: physical minimum "
                f"= maximum = {pmin:g}, so its samples cannot be scaled)"
            )


def read_raw(path: str | Path, preload: bool = True) -> Any:
    """An mne Raw for any format mne reads, or a DataError naming the file and why not."""
    import mne

    path = Path(path)
    suffix = path.suffix.lower()
    if not (path.is_file() or (suffix == ".ds" and path.is_dir())):
        raise DataError(f"{path}: file not found")
    bti = path.name.lower().startswith(BTI_PREFIX)
    if suffix not in READERS and not bti:
        raise DataError(
            f"{path}: unsupported format {suffix!r} (known: {', '.join(sorted(READERS))}, BTi c,rf*)"
        )
    if suffix in {".edf", ".bdf"}:
        check_edf_size(path)
    reader = getattr(mne.io, "read_raw_bti" if bti else READERS[suffix])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if bti:
                return reader(
                    path,
                    config_fname=path.parent / "config",
                    head_shape_fname=path.parent / "hs_file",
                    preload=preload,
                    verbose="error",
                )
            return reader(path, preload=preload, verbose="error")
    except DataError:
        raise
    except Exception as exc:  # mne raises many types for unreadable files
        detail = " ".join(str(exc).split())[:200]
        raise DataError(f"{path}: cannot read ({type(exc).__name__}: {detail})") from None


def file_checksum(path: str | Path, algorithm: str = "sha256") -> str:
    """`sha256:<hex>` of a file's bytes, recorded in the store to tie data to its source."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"{algorithm}:{digest.hexdigest()}"


def write_edf(
    path: str | Path,
    data_uv: Any,
    sfreq: float,
    labels: list[str],
    patient_code: str = "X",
    physical_range: tuple[float, float] | None = None,
) -> Path:
    """Write (channels, samples) microvolts as an EDF with edfio (1-s records; length is cut
    to whole seconds). Used by the demo corpus and the tests to make real files."""
    import numpy as np
    from edfio import Edf, EdfSignal, Patient

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.asarray(data_uv, dtype=np.float64)
    per_record = int(round(sfreq))
    n = (data.shape[1] // per_record) * per_record
    signals = []
    for row, label in zip(data[:, :n], labels, strict=True):
        if physical_range is None:
            peak = float(np.max(np.abs(row))) if n else 1.0
            low, high = -max(peak * 1.05, 1.0), max(peak * 1.05, 1.0)
        else:
            low, high = physical_range
        signals.append(
            EdfSignal(np.clip(row, low, high), sampling_frequency=sfreq, label=label, physical_dimension="uV",
                      physical_range=(low, high))
        )  # fmt: skip
    Edf(signals, patient=Patient(code=patient_code), data_record_duration=1.0).write(path)
    return path
