"""`libribrain`: LibriBrain's published MEG (one serialised HDF5 per run, events TSVs).

The published form (what the `pnpl` package reads): under `--raw`, files
`**/derivatives/serialised/sub-<s>_ses-<n>_task-<t>_run-<r>[_proc-<p>]_meg.h5`, each with

- `data`: channels x time, float32, in SI units (T for magnetometers, T/m for
  gradiometers), `times`: (time,) seconds;
- attributes `sample_frequency`, `highpass_cutoff`, `lowpass_cutoff`, `channel_names`
  and `channel_types` (", "-joined mne names and types: mag, grad);

and the run's events in `**/derivatives/events/sub-<s>_ses-<n>_task-<t>_run-<r>_events.tsv`
(columns `kind` (word, phoneme, ...), `segment` (the word or phoneme) and `timemeg`
(onset in seconds of the MEG clock)).

Each run becomes a recording through the shared MEG preprocessing (`prepare_raw` with
channel types from the file: fT / fT/cm, bad channels per type, the profile's filters
and rate). Labels: `label_from=none` (pretraining) or `events`: one window of
`event_seconds` from each event of `event_kind` whose `segment` is a class
(`class_names`, default every segment found). Splits: LibriBrain's own by session
(`val_sessions`, `test_sessions`, the official validation / test runs), else train.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.errors import DataError

NAME = re.compile(
    r"sub-(?P<sub>[^_]+)_ses-(?P<ses>[^_]+)_task-(?P<task>[^_]+)_run-(?P<run>[^_]+)"
    r"(?:_proc-(?P<proc>[^_]+))?_meg\.h5$"
)
MEG_KINDS = ("mag", "grad")


class LibriBrainConfig(DatasetConfig):
    """Options of `libribrain`."""

    default_preprocessing: ClassVar[dict] = {
        "types": "file",
        "l_freq": None,
        "h_freq": None,
        "sfreq": None,
    }

    label_from: Literal["none", "events"] = Field("none", description="where labels come from")
    event_kind: str = Field("word", description="events.tsv `kind` that labels windows")
    class_names: list[str] | None = Field(
        None, description="segments that are classes, in order (default: every one found)"
    )
    event_seconds: float = Field(0.5, gt=0, description="window length from each event onset")
    event_offset: float = Field(0.0, description="window start relative to the onset, seconds")
    val_sessions: list[str] = Field(
        default_factory=lambda: ["11"], description="sessions held out for validation"
    )
    test_sessions: list[str] = Field(
        default_factory=lambda: ["12"], description="sessions held out for test"
    )


def parse_name(path: Path) -> dict[str, str] | None:
    """BIDS entities of a serialised run's file name (None when it is not one)."""
    match = NAME.search(path.name)
    return None if match is None else {k: v for k, v in match.groupdict().items() if v}


def events_path(path: Path) -> Path:
    """The events TSV of a serialised run (derivatives/events, without the proc entity)."""
    e = parse_name(path) or {}
    stem = f"sub-{e['sub']}_ses-{e['ses']}_task-{e['task']}_run-{e['run']}_events.tsv"
    return path.parent.parent / "events" / stem


def read_serialised(path: Path):
    """An mne RawArray of one serialised run (channel names, types, rate from its attrs)."""
    import h5py
    import mne

    try:
        with h5py.File(path, "r") as f:
            if "data" not in f:
                raise DataError(f"{path}: no `data` dataset (not a serialised LibriBrain run)")
            data = np.asarray(f["data"][:], dtype=np.float64)
            attrs = dict(f.attrs)
    except OSError as exc:
        raise DataError(f"{path}: cannot read HDF5 ({exc})") from None
    try:
        sfreq = float(attrs["sample_frequency"])
        names = [n.strip() for n in str(attrs["channel_names"]).split(",")]
        types = [t.strip() for t in str(attrs["channel_types"]).split(",")]
    except KeyError as exc:
        raise DataError(f"{path}: attribute {exc} is missing") from None
    if data.ndim != 2 or data.shape[0] != len(names) or len(types) != len(names):
        raise DataError(
            f"{path}: data {data.shape} does not match {len(names)} channel names / "
            f"{len(types)} types"
        )
    unknown = sorted(set(types) - {*MEG_KINDS, "misc", "stim", "eeg", "eog", "ecg"})
    if unknown:
        raise DataError(f"{path}: unknown channel types {unknown}")
    info = mne.create_info(names, sfreq, types, verbose="error")
    with info._unlock():
        for key, value in (("highpass", "highpass_cutoff"), ("lowpass", "lowpass_cutoff")):
            if value in attrs and np.isfinite(attrs[value]):
                info[key] = float(attrs[value])
    return mne.io.RawArray(data, info, verbose="error")


def read_events(path: Path, kind: str) -> list[tuple[float, str]]:
    """(onset s, segment) of every event of `kind` in an events TSV."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if rows and not {"kind", "segment", "timemeg"} <= set(rows[0]):
        raise DataError(
            f"{path}: needs kind, segment and timemeg columns (has {', '.join(rows[0])})"
        )
    found = []
    for lineno, row in enumerate(rows, start=2):
        if row["kind"] != kind:
            continue
        try:
            found.append((float(row["timemeg"]), row["segment"].strip()))
        except ValueError:
            raise DataError(
                f"{path}: line {lineno}: timemeg {row['timemeg']!r} is not a number"
            ) from None
    return found


class LibriBrainDataset:
    """LibriBrain's serialised runs: MEG recordings, optionally labelled by word/phoneme events."""

    name = "libribrain"

    def __init__(self, config: LibriBrainConfig) -> None:
        self.config = config
        self.preprocessing = config.preprocessing
        self.class_names: list[str] = list(config.class_names or [])
        self.label_kind = "events" if config.label_from == "events" else "none"

    def discover(self, raw: Path) -> list:
        from neurokit.core.interfaces import RecordingSource

        root = Path(raw)
        files = sorted(p for p in root.rglob("*_meg.h5") if p.parent.name == "serialised")
        runs = [(p, parse_name(p)) for p in files]
        runs = [(p, e) for p, e in runs if e is not None]
        if not runs:
            raise DataError(f"{root}: no derivatives/serialised/*_meg.h5 runs found")
        c = self.config
        if c.label_from == "events":
            found: set[str] = set()
            for path, _ in runs:
                tsv = events_path(path)
                if not tsv.is_file():
                    raise DataError(f"{path}: no events file {tsv}")
                found |= {segment for _, segment in read_events(tsv, c.event_kind)}
            if not self.class_names:
                if not found:
                    raise DataError(f"{root}: no {c.event_kind!r} events found")
                self.class_names = sorted(found)
        sources = []
        for path, e in runs:
            split = (
                "val"
                if e["ses"] in c.val_sessions
                else "test"
                if e["ses"] in c.test_sessions
                else "train"
            )
            recording_id = path.name.removesuffix("_meg.h5")
            sources.append(
                RecordingSource(
                    path=path,
                    recording_id=recording_id,
                    subject=e["sub"],
                    session=e["ses"],
                    split=split,
                    extra={"task": e["task"], "run": e["run"]},
                )
            )
        return sources

    def load(self, source):
        from neurokit.core.data.preprocess import prepare_raw
        from neurokit.plugins.datasets._tuh import span_events

        raw = read_serialised(Path(source.path))
        if self.preprocessing.channels is None:
            raw.pick(list(MEG_KINDS), exclude=[])
        prepared = prepare_raw(raw, self.preprocessing, str(source.path))
        events = []
        c = self.config
        if c.label_from == "events":
            spans = []
            for onset, segment in read_events(events_path(Path(source.path)), c.event_kind):
                if segment in self.class_names:
                    start = onset + c.event_offset
                    spans.append(
                        (start, start + c.event_seconds, self.class_names.index(segment), -1)
                    )
            events = span_events(spans, prepared.data.shape[1], prepared.sfreq)
            if not events:
                raise DataError(f"{source.path}: no {c.event_kind!r} event lies inside the run")
        return prepared.recording(source, events)


def build_libribrain(config: LibriBrainConfig) -> LibriBrainDataset:
    """LibriBrain's serialised HDF5 runs (MEG, 306 channels) with word/phoneme events."""
    return LibriBrainDataset(config)


@hookimpl
def register_datasets(register):
    register("libribrain", build_libribrain, config=LibriBrainConfig)
