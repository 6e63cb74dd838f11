"""`bids`: any BIDS EEG, MEG or iEEG dataset, read through mne-bids.

Recordings are found with `mne_bids.find_matching_paths` (one datatype, optionally
some tasks) and read with `read_raw_bids`, so channel types and bad channels come
from `channels.tsv`; bad channels are dropped before preprocessing. Labels:

- `label_from=participants`: a column of `participants.tsv` (`participants_column`,
  e.g. `group`), one label per recording; `n/a` leaves a recording unlabelled;
- `label_from=events`: the `trial_type` of `*_events.tsv` (onset/duration in
  seconds from the start of the recording), one event per row whose trial type is a
  class (`class_names`, default every trial type found); zero-duration events need
  `event_seconds`; `event_offset` shifts windows relative to the onset;
- `label_from=none`: unlabelled (pretraining).

Splits: a seeded subject-disjoint split (80/10/10 by default). EEG keeps the
channels with a 10-05 position; MEG and iEEG keep every channel of that type
(MEG stored in fT and fT/cm, iEEG in uV; MEG positions are unknown to the store).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Literal

from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.errors import DataError

EXTENSIONS = (".edf", ".bdf", ".vhdr", ".set", ".fif", ".cnt", ".con", ".sqd", ".nwb", ".mef")
TYPES = {"eeg": ("eeg",), "meg": ("mag", "grad"), "ieeg": ("seeg", "ecog", "dbs")}
MISSING = {"", "n/a", "na", "nan"}


class BIDSConfig(DatasetConfig):
    """Options of `bids`."""

    datatype: Literal["eeg", "meg", "ieeg"] = Field("eeg", description="BIDS datatype to read")
    tasks: list[str] | None = Field(None, description="only these BIDS tasks (None: all)")
    label_from: Literal["none", "participants", "events"] = Field(
        "none", description="where labels come from"
    )
    participants_column: str | None = Field(
        None, description="participants.tsv column holding the label"
    )
    class_names: list[str] | None = Field(
        None, description="class order (default: sorted values found)"
    )
    event_seconds: float | None = Field(
        None, gt=0, description="fixed event window length (None: each event's duration)"
    )
    event_offset: float = Field(
        0.0, description="window start relative to the event onset, seconds"
    )
    val_fraction: float = Field(0.1, ge=0, lt=1, description="share of subjects for validation")
    test_fraction: float = Field(0.1, ge=0, lt=1, description="share of subjects for test")
    seed: int = Field(0, description="seed of the subject split")


def _read_tsv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line number, row) pairs of a BIDS TSV, strictly (DataError naming the line)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle, delimiter="\t"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if not lines:
        raise DataError(f"{path}: empty TSV (no header)")
    header = [h.strip() for h in lines[0]]
    rows = []
    for lineno, fields in enumerate(lines[1:], start=2):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise DataError(
                f"{path}: line {lineno}: {len(fields)} fields, the header has {len(header)}"
            )
        rows.append((lineno, {k: v.strip() for k, v in zip(header, fields, strict=True)}))
    return header, rows


class BIDSDataset:
    """A BIDS dataset: recordings of one datatype, labels from participants or events."""

    name = "bids"

    def __init__(self, config: BIDSConfig):
        self.config = config
        self.preprocessing = config.preprocessing
        self.class_names: list[str] = list(config.class_names or [])
        self.label_kind = {"none": "none", "participants": "recording", "events": "events"}[
            config.label_from
        ]

    # ------------------------------------------------------------ discovery

    def discover(self, raw: Path) -> list:
        import mne_bids

        from neurokit.core.data.splits import split_subjects
        from neurokit.core.interfaces import RecordingSource

        root = Path(raw)
        if not (root / "dataset_description.json").is_file():
            raise DataError(f"{root}: not a BIDS dataset (no dataset_description.json)")
        cfg = self.config
        try:
            paths = mne_bids.find_matching_paths(
                root,
                tasks=cfg.tasks,
                datatypes=cfg.datatype,
                suffixes=cfg.datatype,
                extensions=list(EXTENSIONS),
            )
        except Exception as exc:
            raise DataError(
                f"{root}: cannot search the BIDS tree ({type(exc).__name__}: {exc})"
            ) from None
        paths = sorted((p for p in paths if p.fpath.exists()), key=lambda p: str(p.fpath))
        if not paths:
            raise DataError(f"{root}: no {cfg.datatype} recordings found")
        labels = self._participant_labels(root) if cfg.label_from == "participants" else {}
        if cfg.label_from == "events":
            self._event_classes(paths)
        subjects = [p.subject for p in paths]
        assignment = split_subjects(
            subjects,
            {
                "train": 1 - cfg.val_fraction - cfg.test_fraction,
                "val": cfg.val_fraction,
                "test": cfg.test_fraction,
            },
            cfg.seed,
        )
        sources = []
        for bp in paths:
            value = labels.get(bp.subject)
            sources.append(
                RecordingSource(
                    path=Path(bp.fpath),
                    recording_id=bp.basename,
                    subject=bp.subject,
                    session=bp.session or "",
                    split=assignment[bp.subject],
                    label=self.class_names.index(value) if value is not None else None,
                    extra={
                        "bids_root": str(root),
                        "task": bp.task,
                        "run": bp.run,
                        "datatype": cfg.datatype,
                    },
                )
            )
        return sources

    def _participant_labels(self, root: Path) -> dict[str, str]:
        path = root / "participants.tsv"
        column = self.config.participants_column
        if column is None:
            raise DataError(
                "bids: label_from=participants needs participants_column (e.g. --set participants_column=group)"
            )
        if not path.is_file():
            raise DataError(f"{path}: not found (label_from=participants)")
        header, rows = _read_tsv(path)
        if column not in header or "participant_id" not in header:
            raise DataError(
                f"{path}: no column {column!r} or participant_id (columns: {', '.join(header)})"
            )
        labels = {}
        for _, row in rows:
            value = row[column]
            if value.lower() not in MISSING:
                labels[row["participant_id"].removeprefix("sub-")] = value
        self._set_classes(set(labels.values()), path)
        return labels

    def _events_file(self, source_path: Path) -> Path:
        stem = source_path.name.rsplit("_", 1)[0]
        return source_path.with_name(f"{stem}_events.tsv")

    def _event_classes(self, paths) -> None:
        found = set()
        for bp in paths:
            events = self._events_file(Path(bp.fpath))
            if events.is_file():
                header, rows = _read_tsv(events)
                if "trial_type" not in header:
                    raise DataError(f"{events}: no trial_type column (label_from=events)")
                found |= {
                    r["trial_type"] for _, r in rows if r["trial_type"].lower() not in MISSING
                }
        self._set_classes(found, paths[0].root)

    def _set_classes(self, found: set[str], where) -> None:
        if not self.class_names:
            if not found:
                raise DataError(f"{where}: no labels found")
            self.class_names = sorted(found)

    # --------------------------------------------------------------- loading

    def load(self, source):
        from neurokit.core.data.preprocess import preprocess_raw
        from neurokit.core.interfaces import Recording
        from neurokit.plugins.datasets._tuh import span_events

        where = str(source.path)
        spans = self._events(source) if self.config.label_from == "events" else []
        raw = self._read(source)
        cfg = self.preprocessing
        if self.config.datatype != "eeg" and cfg.channels is None:
            raw.pick(list(TYPES[self.config.datatype]), exclude="bads")
            cfg = cfg.model_copy(update={"channels": list(raw.ch_names), "required": []})
        elif raw.info["bads"]:
            raw.drop_channels(raw.info["bads"])
        if self.config.datatype == "meg":
            _scale_meg(raw)
        data, names, sfreq = preprocess_raw(raw, cfg, where)
        events = span_events(spans, data.shape[1], sfreq, cfg.drop_first_seconds)
        if spans and not events:
            raise DataError(f"{where}: no event lies inside the recording")
        return Recording(source=source, data=data, channel_names=names, sfreq=sfreq, events=events)

    def _read(self, source):
        import mne_bids

        bp = mne_bids.get_bids_path_from_fname(source.path)
        bp.update(root=source.extra["bids_root"])
        try:
            raw = mne_bids.read_raw_bids(bp, verbose="error")
            raw.load_data()
        except Exception as exc:
            detail = " ".join(str(exc).split())[:200]
            raise DataError(
                f"{source.path}: cannot read ({type(exc).__name__}: {detail})"
            ) from None
        return raw

    def _events(self, source) -> list[tuple[float, float, int, int]]:
        path = self._events_file(Path(source.path))
        if not path.is_file():
            raise DataError(f"{source.path}: no events file {path.name} (label_from=events)")
        header, rows = _read_tsv(path)
        if not {"onset", "duration", "trial_type"} <= set(header):
            raise DataError(
                f"{path}: needs onset, duration and trial_type columns (has {', '.join(header)})"
            )
        spans = []
        for lineno, row in rows:
            if row["trial_type"] not in self.class_names:
                continue
            try:
                onset = float(row["onset"])
                duration = 0.0 if row["duration"].lower() in MISSING else float(row["duration"])
            except ValueError:
                raise DataError(
                    f"{path}: line {lineno}: onset/duration {row['onset']!r}/{row['duration']!r} are not numbers"
                ) from None
            length = self.config.event_seconds or duration
            if length <= 0:
                raise DataError(f"{path}: line {lineno}: zero-duration event; set event_seconds")
            start = onset + self.config.event_offset
            spans.append((start, start + length, self.class_names.index(row["trial_type"]), -1))
        return spans


def _scale_meg(raw) -> None:
    """Make MEG land in the store as fT (magnetometers) and fT/cm (gradiometers).

    The shared preprocessing converts SI volts to microvolts (x1e6); MEG in tesla
    would become ~1e-7 and read as flat. Pre-scaling by 1e9 (mag) and 1e7 (grad)
    makes that x1e6 yield fT and fT/cm, the units MEG models are trained on.
    """
    import mne

    for kind, factor in (("mag", 1e9), ("grad", 1e7)):
        picks = mne.pick_types(raw.info, meg=kind, exclude=[])
        if len(picks):
            raw.apply_function(lambda x, f=factor: x * f, picks=picks, channel_wise=False)


def build_bids(config: BIDSConfig) -> BIDSDataset:
    """Any BIDS EEG/MEG/iEEG dataset via mne-bids; labels from participants.tsv or events.tsv."""
    return BIDSDataset(config)


@hookimpl
def register_datasets(register):
    register("bids", build_bids, config=BIDSConfig)
