"""`tusl`: the TUH EEG Slowing corpus (v2.0.x): background, seizure and slowing spans.

Layout read: `edf/<subject>/<session>/<montage>/<subject>_<session>_<token>.edf`,
each with its annotation file next to it: `.csv` (`csv_v1.0.0`, per channel, the
v2 releases), else `.csv_bi`, else the v1 `.tse_agg`/`.tse`. Labels bckg/seiz/slow
(LUNA/BioFoundation's codes 1/2/3, stored 0/1/2); a channel-based file repeats
each span on every channel, so spans are de-duplicated into term-level events.
Windows take the label covering most of them (`majority`), as LUNA's
`process_raw_eeg.py` does; unannotated stretches are unlabelled and dropped.

Splits: subjects 80/10/10 train/val/test as LUNA, but seeded. Default
preprocessing: the `luna` profile (TCP bipolar, 0.1-75 Hz, 60 Hz notch, 256 Hz).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.channels import TUH_REFERENTIAL
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.data.splits import split_subjects
from neurokit.core.errors import DataError
from neurokit.plugins.datasets._tuh import (
    TUHDataset,
    annotation_file,
    find_edfs,
    parse_stem,
    read_annotations,
    span_events,
)

CLASSES = ("bckg", "seiz", "slow")
ANNOTATION_SUFFIXES = (".csv", ".csv_bi", ".tse_agg", ".tse", ".lbl_agg", ".lbl")


class TUSLConfig(DatasetConfig):
    """Options of `tusl`."""

    default_preprocessing: ClassVar[dict] = {"channels": list(TUH_REFERENTIAL)}

    profile: str | None = Field(
        "luna", description="preprocessing profile (luna: TCP bipolar 256 Hz)"
    )
    val_fraction: float = Field(0.1, ge=0, lt=1, description="share of subjects for validation")
    test_fraction: float = Field(0.1, ge=0, lt=1, description="share of subjects for test")
    min_confidence: float = Field(
        0.0, ge=0, le=1, description="ignore annotation lines below this confidence"
    )
    seed: int = Field(0, description="seed of the subject-disjoint split")


class TUSL(TUHDataset):
    """TUH Slowing: term-level bckg/seiz/slow spans, majority label per window."""

    name = "tusl"
    label_kind = "majority"
    class_names = CLASSES

    def discover(self, raw: Path) -> list:
        from neurokit.core.interfaces import RecordingSource

        raw = Path(raw)
        root = raw / "edf" if (raw / "edf").is_dir() else raw
        paths = find_edfs(root, self.discovery_problems)
        subjects = [self._subject(p, root) for p in paths]
        cfg = self.config
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
        for path, subject in zip(paths, subjects, strict=True):
            parts = parse_stem(path.stem)
            sources.append(
                RecordingSource(
                    path=path,
                    recording_id=path.relative_to(root).with_suffix("").as_posix(),
                    subject=subject,
                    session=parts.session if parts else path.parent.parent.name,
                    split=assignment[subject],
                    extra={"montage": path.parent.name},
                )
            )
        return sources

    @staticmethod
    def _subject(path: Path, root: Path) -> str:
        parts = parse_stem(path.stem)
        if parts:
            return parts.subject
        rel = path.relative_to(root).parts
        return rel[0] if len(rel) > 1 else path.stem.split("_")[0]

    def read_labels(self, source):
        path = annotation_file(Path(source.path), ANNOTATION_SUFFIXES)
        if path is None:
            raise DataError(
                f"{source.path}: no annotation file ({', '.join(ANNOTATION_SUFFIXES)}) next to it"
            )
        spans = set()
        for ann in read_annotations(path):
            if ann.confidence < self.config.min_confidence:
                continue
            if ann.label not in CLASSES:
                raise DataError(
                    f"{path}: unknown TUSL label {ann.label!r} (expected {', '.join(CLASSES)})"
                )
            spans.add((ann.start, ann.stop, CLASSES.index(ann.label), -1))
        if not spans:
            raise DataError(f"{path}: no annotations")
        return sorted(spans)

    def events(self, annotations, n_samples, names, sfreq, source):
        return span_events(annotations, n_samples, sfreq, self.preprocessing.drop_first_seconds)


def build_tusl(config: TUSLConfig) -> TUSL:
    """TUH EEG Slowing (v2.0.x): bckg/seiz/slow spans, seeded subject-disjoint 80/10/10 split."""
    return TUSL(config)


@hookimpl
def register_datasets(register):
    register("tusl", build_tusl, config=TUSLConfig)
