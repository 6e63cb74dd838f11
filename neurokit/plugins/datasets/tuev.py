"""`tuev`: the TUH EEG Events corpus (v2.0.x), six event classes, one window per event.

Layout read: `edf/train/<subject>/<subject>_<n>.edf` and `edf/eval/<index>/<name>.edf`,
each with a `.rec` file next to it: `channel,start,stop,code` per line, `channel`
indexing the TUEV TCP montage and `code` 1..6 = SPSW GPED PLED EYEM ARTF BCKG
(stored as 0..5).

Windows follow LaBraM's `make_TUEV.py`: each `.rec` line gives a window from its
start - 2 s to its stop + 2 s (5 s for the usual 1 s event), one sample per line,
so an event marked on several channels appears several times, as in LaBraM. LaBraM
tiles the signal three times (`concatenate([s, s, s])`, reading at offset n), so a
window that starts before 0 or ends after the last sample wraps around the
recording; `edge=wrap` (default) stores such an event with its true start (< 0) or
stop (> n) and the store reader wraps it the same way (`WindowDataset`: sample
i mod n). `edge=shift` instead moves it inside the recording (same length, contiguous
signal). Annotations come from `.rec`, or from the older `.lbl` files (TUEV v1)
when no `.rec` is present. Validation is a seeded 20 % of the train subjects (LaBraM: seed 4523);
`eval` is the test set. Default preprocessing: the `labram` profile on the 23
referential channels (LaBraM keeps TUEV referential).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.channels import TUH_REFERENTIAL
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.data.splits import split_subjects
from neurokit.core.errors import DataError
from neurokit.plugins.datasets._tuh import (
    RecEvent,
    TUHDataset,
    find_edfs,
    read_lbl_annotations,
    read_rec,
    resolve_root,
)

CLASSES = ("spsw", "gped", "pled", "eyem", "artf", "bckg")


class TUEVConfig(DatasetConfig):
    """Options of `tuev`."""

    default_preprocessing: ClassVar[dict] = {"channels": list(TUH_REFERENTIAL)}

    profile: str | None = Field(
        "labram", description="preprocessing profile (labram: 23 ch referential 200 Hz)"
    )
    pad_seconds: float = Field(
        2.0, ge=0, description="seconds added before the start and after the stop of each event"
    )
    edge: Literal["wrap", "shift"] = Field(
        "wrap",
        description="windows past the recording's edge: wrap around it (LaBraM) or shift inside",
    )
    deduplicate: bool = Field(
        False,
        description="keep one window per (start, stop, class) instead of one per channel line",
    )
    val_fraction: float = Field(
        0.2, ge=0, lt=1, description="share of train subjects held out for validation"
    )
    seed: int = Field(4523, description="seed of the subject-disjoint train/val split (LaBraM's)")


class TUEV(TUHDataset):
    """TUH Events: SPSW, GPED, PLED, EYEM, ARTF, BCKG windows around each annotated event."""

    name = "tuev"
    label_kind = "events"
    class_names = CLASSES

    def discover(self, raw: Path) -> list:
        from neurokit.core.interfaces import RecordingSource

        root = resolve_root(Path(raw), ("train", "eval"))
        found = []
        for folder in ("train", "eval"):
            for path in find_edfs(root / folder, self.discovery_problems):
                # train/<subject>/<subject>_<n>.edf; eval/<index>/<class>_<index>_<part>.edf
                found.append((path, folder, path.parent.name))
        val = split_subjects(
            [s for _, folder, s in found if folder == "train"],
            {"train": 1 - self.config.val_fraction, "val": self.config.val_fraction},
            self.config.seed,
        )
        return [
            RecordingSource(
                path=path,
                recording_id=f"{folder}/{subject}/{path.stem}",
                subject=subject if folder == "train" else f"eval-{subject}",
                split="test" if folder == "eval" else val[subject],
                extra={"release_split": folder},
            )
            for path, folder, subject in found
        ]

    def read_labels(self, source):
        rec = Path(source.path).with_suffix(".rec")
        lbl = Path(source.path).with_suffix(".lbl")
        if rec.is_file():
            events = read_rec(rec)
        elif lbl.is_file():
            rec, events = lbl, _lbl_events(lbl)
        else:
            raise DataError(f"{source.path}: no event file {rec.name} (or {lbl.name}) next to it")
        if not events:
            raise DataError(f"{rec}: no events")
        return events

    def events(self, annotations, n_samples, names, sfreq, source):
        from neurokit.core.interfaces import Event

        pad = int(round(self.config.pad_seconds * sfreq))
        index = {n: i for i, n in enumerate(names)}
        seen, out = set(), []
        for ev in annotations:
            if self.to_samples(ev.start, sfreq) >= n_samples:
                rec = Path(source.path).with_suffix(".rec")
                seconds = n_samples / sfreq + self.preprocessing.drop_first_seconds
                raise DataError(
                    f"{rec}: event at {ev.start:g} s starts after the recording ends ({seconds:g} s)"
                )
            start = self.to_samples(ev.start, sfreq) - pad
            stop = self.to_samples(ev.stop, sfreq) + pad
            key = (start, stop, ev.code)
            if self.config.deduplicate and key in seen:
                continue
            seen.add(key)
            length = stop - start
            if self.config.edge == "shift":  # keep edge windows inside the signal
                length = min(length, n_samples)
                start = min(max(start, 0), n_samples - length)
            out.append(
                Event(
                    start=start, length=length, label=ev.code - 1, channel=index.get(ev.channel, -1)
                )
            )
        return out


def _lbl_events(path: Path) -> list[RecEvent]:
    """TUEV v1 `.lbl` spans as `.rec` events (class names -> codes 1..6)."""
    out = []
    for ann in read_lbl_annotations(path):
        if ann.label not in CLASSES:
            raise DataError(
                f"{path}: label {ann.label!r} is not a TUEV class ({', '.join(CLASSES)})"
            )
        out.append(RecEvent(ann.channel, ann.start, ann.stop, CLASSES.index(ann.label) + 1))
    return out


def build_tuev(config: TUEVConfig) -> TUEV:
    """TUH EEG Events (v2.0.x): 6 classes, LaBraM's event windows, seeded subject-disjoint val."""
    return TUEV(config)


@hookimpl
def register_datasets(register):
    register("tuev", build_tuev, config=TUEVConfig)
