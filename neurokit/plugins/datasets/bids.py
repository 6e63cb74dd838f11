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

Tasks: `tasks` keeps only some; `exclude_tasks` (default `noise`) skips MEG empty-room
recordings (Omega's `sub-*/ses-*/meg/*_task-noise_*`). CTF `.ds` directories (MOUS
`sub-*/meg/*_task-*_meg.ds`, Omega `sub-*/ses-*/meg/*_task-rest_run-*_meg.ds`, with
their `.1_meg4` continuation files) are read by mne and gradient-compensated
(`preprocessing.gradient_compensation`, third order by default).

Splits: a seeded subject-disjoint split (80/10/10 by default). EEG keeps the
channels with a 10-05 position; MEG and iEEG keep every channel of that type.
Channel types come from `channels.tsv` and units follow them (`sensors.py`: EEG and
iEEG in uV, magnetometers in fT, gradiometers in fT/cm). Channels with
`status=bad` in `channels.tsv` are dropped, or kept and listed as bad with
`--set preprocessing.bad_channels=flag`; never silently kept.

Positions: scalp EEG from the 10-05 template; sEEG/ECoG/DBS contacts from
`*_electrodes.tsv` (metres, converted from the `*CoordinateUnits` of
`*_coordsystem.json`, whose `*CoordinateSystem` names the space; a bipolar
`A-B` channel sits at the midpoint of its contacts); MEG sensors and their
orientations from the recording file (FIF, CTF, BTi/4D, KIT via mne).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.errors import DataError

EXTENSIONS = (
    ".edf", ".bdf", ".vhdr", ".set", ".fif", ".cnt", ".con", ".sqd", ".ds", ".nwb", ".mef",
)  # fmt: skip
TYPES = {"eeg": ("eeg",), "meg": ("mag", "grad"), "ieeg": ("seeg", "ecog", "dbs")}
MISSING = {"", "n/a", "na", "nan"}


class BIDSConfig(DatasetConfig):
    """Options of `bids`."""

    default_preprocessing: ClassVar[dict] = {"types": "file"}

    datatype: Literal["eeg", "meg", "ieeg"] = Field("eeg", description="BIDS datatype to read")
    tasks: list[str] | None = Field(None, description="only these BIDS tasks (None: all)")
    exclude_tasks: list[str] = Field(
        default_factory=lambda: ["noise"],
        description="tasks skipped (default: MEG empty-room `task-noise` recordings, e.g. Omega)",
    )
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
    bipolar: bool = Field(
        False,
        description="iEEG: re-reference neighbouring contacts of the same shaft (SM8-SM9, "
        "TI'2-TI'3); contacts without a good neighbour are dropped",
    )


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
        paths = sorted(
            (p for p in paths if p.fpath.exists() and p.task not in cfg.exclude_tasks),
            key=lambda p: str(p.fpath),
        )
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
            labels=labels,  # participant labels: stratified subject split
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
        from neurokit.core.data.preprocess import prepare_raw
        from neurokit.plugins.datasets._tuh import span_events

        where = str(source.path)
        spans = self._events(source) if self.config.label_from == "events" else []
        raw = self._read(source)
        if self.config.datatype != "eeg" and self.preprocessing.channels is None:
            raw.pick(list(TYPES[self.config.datatype]), exclude=[])
        if self.config.bipolar:
            raw = _bipolar(raw, where)
        prepared = prepare_raw(raw, self.preprocessing, where)
        if self.config.datatype == "ieeg":
            _electrode_positions(prepared, Path(source.path))
        events = span_events(
            spans, prepared.data.shape[1], prepared.sfreq, self.preprocessing.drop_first_seconds
        )
        if spans and not events:
            raise DataError(f"{where}: no event lies inside the recording")
        return prepared.recording(source, events)

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


def bipolar_pairs(names: list[str], bads=()) -> list[tuple[str, str]]:
    """(anode, cathode) of neighbouring contacts on one shaft: `SM8`/`SM9`, `TI'2`/`TI'3`.

    A shaft is the name without its trailing contact number; contacts pair with the next
    number on the same shaft only, so a gap (or a bad contact) breaks the chain.
    """
    import re

    shafts: dict[str, dict[int, str]] = {}
    for name in names:
        match = re.fullmatch(r"(.*?\D)(\d+)", name.strip())
        if match and name not in bads:
            shafts.setdefault(match.group(1), {})[int(match.group(2))] = name
    pairs = []
    for contacts in shafts.values():
        for number in sorted(contacts):
            if number + 1 in contacts:
                pairs.append((contacts[number], contacts[number + 1]))
    return pairs


def _bipolar(raw, where: str):
    """`raw` with each neighbouring pair's difference as channel `A-B` (monopolar ones gone)."""
    import mne

    pairs = bipolar_pairs(list(raw.ch_names), set(raw.info["bads"]))
    if not pairs:
        raise DataError(
            f"{where}: bipolar=true but no two neighbouring contacts on a shaft "
            f"(names like SM8, SM9; got {', '.join(raw.ch_names[:6])})"
        )
    anodes, cathodes = zip(*pairs, strict=True)
    raw.info["bads"] = []
    out = mne.set_bipolar_reference(
        raw, list(anodes), list(cathodes), drop_refs=False, copy=True, verbose="error"
    )
    return out.pick([f"{a}-{c}" for a, c in pairs])


_UNITS_TO_M = {"m": 1.0, "cm": 1e-2, "mm": 1e-3}


def _electrode_positions(prepared, recording: Path) -> None:
    """Set iEEG contact positions from the recording's `*_electrodes.tsv` (in place)."""
    import json

    entities = recording.name.split("_")
    subject = entities[0]
    session = next((e for e in entities if e.startswith("ses-")), None)
    prefix = f"{subject}_{session}" if session else subject
    found = sorted(recording.parent.glob(f"{prefix}*_electrodes.tsv"))
    if not found:
        return
    tsv = found[0]
    coords = tsv.with_name(tsv.name.replace("_electrodes.tsv", "_coordsystem.json"))
    if not coords.is_file():
        raise DataError(f"{tsv}: no {coords.name} next to it (BIDS requires one)")
    try:
        system = json.loads(coords.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{coords}: not valid JSON ({exc})") from None
    space = next((str(v) for k, v in system.items() if k.endswith("CoordinateSystem")), "")
    unit = next((str(v) for k, v in system.items() if k.endswith("CoordinateUnits")), "m")
    if unit not in _UNITS_TO_M:
        raise DataError(f"{coords}: coordinate units {unit!r} are not m, cm or mm")
    scale = _UNITS_TO_M[unit]
    header, rows = _read_tsv(tsv)
    if not {"name", "x", "y", "z"} <= set(header):
        raise DataError(f"{tsv}: needs name, x, y, z columns (has {', '.join(header)})")
    from neurokit.core.data.channels import normalise_channel_name

    table = {}
    for lineno, row in rows:
        if any(row[k].lower() in MISSING for k in "xyz"):
            continue
        try:
            table[normalise_channel_name(row["name"])] = [float(row[k]) * scale for k in "xyz"]
        except ValueError:
            raise DataError(f"{tsv}: line {lineno}: x/y/z are not numbers") from None
    import numpy as np

    pos = np.full((len(prepared.names), 3), np.nan)
    for i, (name, kind) in enumerate(zip(prepared.names, prepared.types, strict=True)):
        if kind == "eeg":
            continue  # scalp EEG keeps the template
        if name in table:
            pos[i] = table[name]
        elif name.count("-") == 1 and all(p in table for p in name.split("-")):
            a, b = name.split("-")
            pos[i] = (np.asarray(table[a]) + np.asarray(table[b])) / 2
    if np.isfinite(pos).all(axis=1).any():
        prepared.positions = pos
        prepared.sensors.update(position_source="electrodes.tsv", position_space=space)


def build_bids(config: BIDSConfig) -> BIDSDataset:
    """Any BIDS EEG/MEG/iEEG dataset via mne-bids; labels from participants.tsv or events.tsv."""
    return BIDSDataset(config)


@hookimpl
def register_datasets(register):
    register("bids", build_bids, config=BIDSConfig)
