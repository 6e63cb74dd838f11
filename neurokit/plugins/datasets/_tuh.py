"""What the TUH corpora (TUAB, TUEV, TUSL, TUAR) share: file names, annotation files, splits.

The TUH releases write their annotations in a few text formats, and every corpus
has its own directory layout, but the pieces are the same: a file stem
`<subject>_<session>_<token>` (`aaaaaaav_s004_t000`), a sidecar annotation file
next to each EDF, and a train/eval split that papers cut further by subject.
Parsing lives here once, strictly: a malformed line is a `DataError` naming the
file and the line, never a silently wrong label.

Formats read (the ones the current releases ship, plus the previous generation):

- `csv_v1.0.0` (TUAR v3, TUSL v2, TUSZ v2): `# key = value` header lines, then
  `channel,start_time,stop_time,label,confidence`; `channel` is a TCP derivation
  (`FP1-F7`) or `TERM` for a whole-recording annotation (`.csv_bi`).
- `.rec` (TUEV v2): `channel,start,stop,code` with no header; `channel` indexes
  the TUEV TCP montage below and `code` is 1..6.
- `.tse` / `.tse_agg` (TUSL v1, TUAR v2): `version = tse_v1.0.0`, then
  `start stop label confidence` per line (term-based, no channel).
- `.lbl` / `.lbl_agg` / `.lbl_bi` (TUEV v1, TUSL v1, TUAR v2, TUSZ v1): `version =
  lbl_v1.0.0`; `montage = <i>, <A-B>: <EEG A-REF> -- <EEG B-REF>` lines number the
  channels; `symbols[<level>] = {0: '(null)', 1: 'spsw', ...}` names the classes of a
  level; each `label = {level, sublevel, start, stop, channel, [p0, p1, ...]}` is
  one span whose label is the symbol with the highest probability (its confidence)
  and whose channel is a montage number (`-1`/`all`: the whole recording). Only
  level 0 (the event level every release uses) is read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from neurokit.core.errors import DataError

# The TCP montage the TUEV `.rec` channel numbers index (TUEV's own README): note A1-T3
# at 8 and T4-A2 at 13, which differs from the CHN_ORDER LUNA stores rows in.
TUEV_REC_MONTAGE: tuple[str, ...] = (
    "FP1-F7", "F7-T3", "T3-T5", "T5-O1", "FP2-F8", "F8-T4", "T4-T6", "T6-O2",
    "A1-T3", "T3-C3", "C3-CZ", "CZ-C4", "C4-T4", "T4-A2", "FP1-F3", "F3-C3",
    "C3-P3", "P3-O1", "FP2-F4", "F4-C4", "C4-P4", "P4-O2",
)  # fmt: skip

# Non-EEG channels LaBraM drops before requiring its 23 (ours are dropped by selection
# anyway; kept here to document what TUH files carry besides EEG).
TUH_MONTAGE_DIRS = ("01_tcp_ar", "02_tcp_le", "03_tcp_ar_a", "04_tcp_le_a")

_STEM = re.compile(r"^(?P<subject>[A-Za-z0-9]+)_(?P<session>s\d+)_(?P<token>t\d+)")


@dataclass(frozen=True)
class StemParts:
    """The parts of a TUH file stem `aaaaaaav_s004_t000`."""

    subject: str
    session: str
    token: str


def parse_stem(stem: str) -> StemParts | None:
    """Subject, session and token of a v2/v3 TUH stem, or None for other names."""
    match = _STEM.match(stem)
    if not match:
        return None
    return StemParts(match["subject"], match["session"], match["token"])


def subject_of(path: Path) -> str:
    """The subject of a TUH EDF: the stem's first part (`aaaaaaav_s004_t000` -> `aaaaaaav`)."""
    parts = parse_stem(path.stem)
    return parts.subject if parts else path.stem.split("_")[0]


def find_edfs(root: Path, problems: list[tuple[str, str]] | None = None) -> list[Path]:
    """Every `.edf` under `root`, sorted, so discovery is deterministic across file systems.

    Folders that cannot be read are appended to `problems` (the prepare summary lists them).
    """
    from neurokit.core.data.discovery import find_files

    return find_files(root, (".edf",), problems)


def require_dir(path: Path, what: str) -> Path:
    """`path` if it is a directory, else a DataError that says which layout was expected."""
    if not path.is_dir():
        raise DataError(f"{path}: not found; expected {what}")
    return path


# ------------------------------------------------------------------ annotation files


@dataclass(frozen=True)
class Annotation:
    """One annotated span, in seconds, as the file states it."""

    channel: str  # normalised TCP name, "TERM" for whole-recording, "" if the format has none
    start: float
    stop: float
    label: str
    confidence: float = 1.0


def _number(text: str, path: Path, lineno: int, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path}: line {lineno}: {what} {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"{path}: line {lineno}: {what} {text.strip()!r} is not finite")
    return value


def _check_span(start: float, stop: float, path: Path, lineno: int) -> None:
    if start < 0 or stop <= start:
        raise DataError(f"{path}: line {lineno}: span {start}..{stop} s is empty or negative")


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="strict").splitlines()
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text annotation file (undecodable bytes)") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read annotation file: {exc.strerror or exc}") from None


CSV_COLUMNS = ("channel", "start_time", "stop_time", "label", "confidence")


def read_csv_annotations(path: Path) -> list[Annotation]:
    """Read a TUH `csv_v1.0.0` file (`.csv`, `.csv_bi`): per-channel or TERM spans."""
    from neurokit.core.data.channels import normalise_channel_name

    lines = _read_lines(path)
    version = None
    columns: list[str] | None = None
    out: list[Annotation] = []
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, _, value = line.lstrip("#").partition("=")
            if key.strip() == "version":
                version = value.strip()
            continue
        fields = [f.strip() for f in line.split(",")]
        if columns is None:
            columns = [f.lower() for f in fields]
            missing = [c for c in CSV_COLUMNS[:4] if c not in columns]
            if missing:
                raise DataError(
                    f"{path}: line {lineno}: header {line!r} lacks column(s) {', '.join(missing)} "
                    f"(expected {','.join(CSV_COLUMNS)})"
                )
            continue
        if len(fields) != len(columns):
            raise DataError(
                f"{path}: line {lineno}: {len(fields)} fields, the header has {len(columns)}: {line!r}"
            )
        row = dict(zip(columns, fields, strict=True))
        start = _number(row["start_time"], path, lineno, "start_time")
        stop = _number(row["stop_time"], path, lineno, "stop_time")
        _check_span(start, stop, path, lineno)
        label = row["label"].lower()
        if not label:
            raise DataError(f"{path}: line {lineno}: empty label")
        conf = (
            _number(row["confidence"], path, lineno, "confidence") if "confidence" in row else 1.0
        )
        channel = row["channel"]
        channel = "TERM" if channel.upper() == "TERM" else normalise_channel_name(channel)
        out.append(Annotation(channel, start, stop, label, conf))
    if version is not None and not version.startswith("csv_"):
        raise DataError(f"{path}: annotation version {version!r} is not a csv_v1 file")
    if columns is None:
        raise DataError(f"{path}: no `{','.join(CSV_COLUMNS)}` header line")
    return out


def read_tse_annotations(path: Path) -> list[Annotation]:
    """Read a TUH `tse_v1.0.0` file (`.tse`, `.tse_agg`): term-based `start stop label conf`."""
    out: list[Annotation] = []
    for lineno, raw in enumerate(_read_lines(path), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("version"):
            continue
        fields = line.split()
        if len(fields) not in (3, 4):
            raise DataError(
                f"{path}: line {lineno}: expected `start stop label [confidence]`: {line!r}"
            )
        start = _number(fields[0], path, lineno, "start")
        stop = _number(fields[1], path, lineno, "stop")
        _check_span(start, stop, path, lineno)
        conf = _number(fields[3], path, lineno, "confidence") if len(fields) == 4 else 1.0
        out.append(Annotation("TERM", start, stop, fields[2].lower(), conf))
    return out


@dataclass(frozen=True)
class RecEvent:
    """One line of a TUEV `.rec` file."""

    channel: str  # TCP derivation name from TUEV_REC_MONTAGE
    start: float
    stop: float
    code: int  # 1..6


def read_rec(path: Path) -> list[RecEvent]:
    """Read a TUEV `.rec` file: `channel,start,stop,code` per line, no header."""
    out: list[RecEvent] = []
    for lineno, raw in enumerate(_read_lines(path), start=1):
        line = raw.strip()
        if not line:
            continue
        fields = line.split(",")
        if len(fields) != 4:
            raise DataError(
                f"{path}: line {lineno}: expected `channel,start,stop,code`, got {line!r}"
            )
        chan = _number(fields[0], path, lineno, "channel")
        start = _number(fields[1], path, lineno, "start")
        stop = _number(fields[2], path, lineno, "stop")
        code = _number(fields[3], path, lineno, "label code")
        if chan != int(chan) or not 0 <= chan < len(TUEV_REC_MONTAGE):
            raise DataError(f"{path}: line {lineno}: channel {fields[0].strip()} is not 0..21")
        if code != int(code) or not 1 <= code <= 6:
            raise DataError(f"{path}: line {lineno}: label code {fields[3].strip()} is not 1..6")
        _check_span(start, stop, path, lineno)
        out.append(RecEvent(TUEV_REC_MONTAGE[int(chan)], start, stop, int(code)))
    return out


_LBL_LABEL = re.compile(
    r"^label\s*=\s*\{\s*([^,]+),([^,]+),([^,]+),([^,]+),([^,\[]+),\s*\[([^\]]*)\]\s*\}\s*$"
)
_LBL_MONTAGE = re.compile(r"^montage\s*=\s*(\d+)\s*,\s*([^:]+):")
_LBL_SYMBOLS = re.compile(r"^symbols\[(\d+)\]\s*=\s*\{(.*)\}\s*$")


def _lbl_symbols(body: str, path: Path, lineno: int) -> list[str]:
    """`0: '(null)', 1: 'spsw'` -> symbol names in index order (positions of the probabilities)."""
    table: dict[int, str] = {}
    for item in body.split(","):
        key, sep, value = item.partition(":")
        if not sep:
            raise DataError(
                f"{path}: line {lineno}: symbol entry {item.strip()!r} is not `n: 'name'`"
            )
        try:
            table[int(key)] = value.strip().strip("'\"").lower()
        except ValueError:
            raise DataError(
                f"{path}: line {lineno}: symbol number {key.strip()!r} is not an integer"
            ) from None
    if sorted(table) != list(range(len(table))):
        raise DataError(f"{path}: line {lineno}: symbol numbers are not 0..{len(table) - 1}")
    return [table[i] for i in range(len(table))]


def read_lbl_annotations(path: Path) -> list[Annotation]:
    """Read a TUH `lbl_v1.0.0` file: per-channel (or whole-recording) spans of level 0."""
    from neurokit.core.data.channels import normalise_channel_name

    montage: dict[int, str] = {}
    symbols: dict[int, list[str]] = {}
    version = None
    out: list[Annotation] = []
    for lineno, raw in enumerate(_read_lines(path), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("version"):
            version = line.partition("=")[2].strip()
            continue
        if line.startswith("montage"):
            match = _LBL_MONTAGE.match(line)
            if not match:
                raise DataError(f"{path}: line {lineno}: malformed montage line {line!r}")
            montage[int(match[1])] = normalise_channel_name(match[2].strip())
            continue
        if line.startswith("symbols"):
            match = _LBL_SYMBOLS.match(line)
            if not match:
                raise DataError(f"{path}: line {lineno}: malformed symbols line {line!r}")
            symbols[int(match[1])] = _lbl_symbols(match[2], path, lineno)
            continue
        if line.startswith(("number_of_levels", "level")):
            continue
        if not line.startswith("label"):
            raise DataError(f"{path}: line {lineno}: unexpected line {line!r}")
        match = _LBL_LABEL.match(line)
        if not match:
            raise DataError(
                f"{path}: line {lineno}: expected `label = {{level, sublevel, start, stop, "
                f"channel, [probabilities]}}`, got {line!r}"
            )
        level = _number(match[1], path, lineno, "level")
        if level != 0:
            continue
        if 0 not in symbols:
            raise DataError(f"{path}: line {lineno}: label before the `symbols[0]` line")
        start = _number(match[3], path, lineno, "start")
        stop = _number(match[4], path, lineno, "stop")
        _check_span(start, stop, path, lineno)
        chan_text = match[5].strip()
        if chan_text.lower() == "all":
            channel = "TERM"
        else:
            chan = _number(chan_text, path, lineno, "channel")
            if chan == -1:
                channel = "TERM"
            elif chan not in montage:
                raise DataError(f"{path}: line {lineno}: channel {chan_text} is not in the montage")
            else:
                channel = montage[int(chan)]
        probs = [_number(p, path, lineno, "probability") for p in match[6].split(",") if p.strip()]
        if len(probs) != len(symbols[0]):
            raise DataError(
                f"{path}: line {lineno}: {len(probs)} probabilities for {len(symbols[0])} symbols"
            )
        best = max(range(len(probs)), key=probs.__getitem__)
        if probs[best] <= 0:
            raise DataError(f"{path}: line {lineno}: no symbol has a positive probability")
        out.append(Annotation(channel, start, stop, symbols[0][best], probs[best]))
    if version is None or not version.startswith("lbl_"):
        raise DataError(f"{path}: not an lbl_v1 file (version line {version!r})")
    return out


def annotation_file(edf: Path, suffixes: Sequence[str]) -> Path | None:
    """The first sidecar `<stem><suffix>` next to `edf` that exists."""
    for suffix in suffixes:
        candidate = edf.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def read_annotations(path: Path) -> list[Annotation]:
    """Read any supported TUH annotation file by its suffix."""
    if path.suffix.lower() in (".csv", ".csv_bi"):
        return read_csv_annotations(path)
    if path.suffix.lower() in (".tse", ".tse_agg", ".tse_bi"):
        return read_tse_annotations(path)
    if path.suffix.lower() in (".lbl", ".lbl_agg", ".lbl_bi"):
        return read_lbl_annotations(path)
    raise DataError(f"{path}: unsupported annotation format {path.suffix!r}")


# ------------------------------------------------------------------------- splits


def seconds_to_sample(seconds: float, sfreq: float) -> int:
    """First sample at or after `seconds` (LaBraM's `np.where(times >= t)[0][0]`)."""
    return int(math.ceil(seconds * sfreq - 1e-9))


# ------------------------------------------------------------------- base dataset


def resolve_root(raw: Path, marker_dirs: Sequence[str]) -> Path:
    """The directory that holds `marker_dirs`: `raw` itself, `raw/edf`, or `raw/<version>/edf`.

    Users point `--raw` at the release (`tuh_eeg_abnormal/v3.0.1`), at its `edf/`
    folder, or at the folder above the version; all three work.
    """
    raw = Path(raw)
    candidates = [raw, raw / "edf"] + sorted(p / "edf" for p in raw.glob("v*") if p.is_dir())
    for candidate in candidates:
        if any((candidate / m).is_dir() for m in marker_dirs):
            return candidate
    raise DataError(
        f"{raw}: no {' or '.join(repr(m) for m in marker_dirs)} folder here or under edf/ "
        "(point --raw at the corpus release or its edf/ folder)"
    )


class TUHDataset:
    """Reads one TUH EDF with the shared preprocessing; subclasses add discovery and labels.

    `label_kind` tells the store where labels live: `recording` (TUAB), `events`
    (one window per event, TUEV) or `majority` (sliding windows labelled by the
    annotated span covering most of them, TUSL/TUAR).
    """

    name = "tuh"
    label_kind = "recording"
    class_names: Sequence[str] = ()

    def __init__(self, config):
        self.config = config
        self.preprocessing = config.preprocessing
        self.discovery_problems: list[tuple[str, str]] = []  # unreadable folders

    def discover(self, raw: Path) -> list:  # pragma: no cover - abstract
        raise NotImplementedError

    def load(self, source):
        """Read and preprocess `source.path`, then attach the corpus's events."""
        from neurokit.core.data.preprocess import prepare_raw
        from neurokit.core.data.rawio import read_raw

        where = str(source.path)
        annotations = self.read_labels(source)  # a bad annotation file fails before the EDF is read
        raw = read_raw(Path(source.path), preload=True)
        prepared = prepare_raw(raw, self.preprocessing, where)
        n_samples = prepared.data.shape[1]
        events = self.events(annotations, n_samples, prepared.names, prepared.sfreq, source)
        return prepared.recording(source, events)

    def read_labels(self, source) -> object:
        """Parse the recording's annotation file (None for corpora labelled by path)."""
        return None

    def events(self, annotations, n_samples: int, names: list[str], sfreq: float, source) -> list:
        """Events in samples of the prepared signal (none for recording-labelled corpora)."""
        return []

    def to_samples(self, seconds: float, sfreq: float) -> int:
        """Raw-file seconds -> sample of the prepared signal (after any cropped start)."""
        return seconds_to_sample(seconds - self.preprocessing.drop_first_seconds, sfreq)


def span_events(
    spans: Iterable[tuple[float, float, int, int]], n_samples: int, sfreq: float, shift: float = 0.0
) -> list:
    """(start s, stop s, label, channel) -> Events clipped to the signal; empty spans dropped."""
    from neurokit.core.interfaces import Event

    out = []
    for start_s, stop_s, label, channel in spans:
        start = max(0, seconds_to_sample(start_s - shift, sfreq))
        stop = min(n_samples, seconds_to_sample(stop_s - shift, sfreq))
        if stop > start:
            out.append(
                Event(start=start, length=stop - start, label=int(label), channel=int(channel))
            )
    return sorted(out, key=lambda e: (e.start, e.channel, e.label))


def merge_intervals(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of possibly overlapping intervals, sorted."""
    merged: list[list[float]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    return [(a, b) for a, b in merged]


def complement(spans: list[tuple[float, float]], total: float) -> list[tuple[float, float]]:
    """The parts of [0, total) not covered by the (merged, sorted) `spans`."""
    out, cursor = [], 0.0
    for start, stop in spans:
        if start > cursor:
            out.append((cursor, min(start, total)))
        cursor = max(cursor, stop)
    if cursor < total:
        out.append((cursor, total))
    return [(a, b) for a, b in out if b > a]
