"""`tuar`: the TUH EEG Artifact corpus (v3.0.x): artifact spans per TCP channel.

Layout read: `edf/<montage>/<subject>_<session>_<token>.edf` (`01_tcp_ar`,
`02_tcp_le`, `03_tcp_ar_a`), each with a `csv_v1.0.0` `.csv` next to it:
`channel,start_time,stop_time,label,confidence`, channel a TCP derivation (v2's
`.tse` files are read too). Only artifacts were annotated; the rest is background.

Label modes (LUNA/BioFoundation's `process_raw_eeg.py`):

- `binary` (LUNA's "Binary"): classes bckg/artifact. Artifact spans of every
  channel are merged; the rest of the recording is background. LUNA labels a 5 s
  window artifact when >= 30 % of it is; the store's `majority` reader labels a
  window by the class covering most of it, so windows 30-50 % artifact count as
  background here (documented difference).
- `multiclass` (LUNA's "MultiLabel" families): bckg, chew, elec, eyem, musc, shiv,
  one event per channel line (channel index into the stored TCP channels).

Splits: LUNA splits files 80/10/10 unseeded; here seeded and, by default, by subject
(`split_by=recording` reproduces LUNA's file split). Default preprocessing: `luna`.
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
    TUH_MONTAGE_DIRS,
    TUHDataset,
    annotation_file,
    complement,
    find_edfs,
    merge_intervals,
    parse_stem,
    read_annotations,
    resolve_root,
    span_events,
)

# BioFoundation's MULTILABEL_MAP: combined labels go to their first family.
FAMILIES = {
    "chew": "chew", "chew_elec": "chew", "chew_musc": "chew",
    "elec": "elec",
    "eyem": "eyem", "eyem_chew": "eyem", "eyem_elec": "eyem", "eyem_musc": "eyem", "eyem_shiv": "eyem",
    "musc": "musc", "musc_elec": "musc",
    "shiv": "shiv", "shiv_elec": "shiv",
}  # fmt: skip
# BioFoundation's binary artifact set: the families above plus electrode pops and the
# seizure labels TUAR also carries.
BINARY_ARTIFACTS = frozenset(FAMILIES) | {"elpp", "cpsz", "fnsz", "gnsz", "tcsz"}
MULTICLASS = ("bckg", "chew", "elec", "eyem", "musc", "shiv")
BINARY = ("bckg", "artifact")
ANNOTATION_SUFFIXES = (".csv", ".lbl", ".tse_agg", ".tse")  # .lbl: per channel


class TUARConfig(DatasetConfig):
    """Options of `tuar`."""

    default_preprocessing: ClassVar[dict] = {"channels": list(TUH_REFERENTIAL)}

    profile: str | None = Field(
        "luna", description="preprocessing profile (luna: TCP bipolar 256 Hz)"
    )
    mode: Literal["binary", "multiclass"] = Field(
        "binary", description="binary artifact/background or 5 artifact families"
    )
    montage_dirs: list[str] = Field(
        list(TUH_MONTAGE_DIRS[:3]), description="TUH montage folders to read"
    )
    split_by: Literal["subject", "recording"] = Field(
        "subject", description="unit of the split (LUNA: recording)"
    )
    val_fraction: float = Field(0.1, ge=0, lt=1, description="share for validation")
    test_fraction: float = Field(0.1, ge=0, lt=1, description="share for test")
    min_confidence: float = Field(
        0.0, ge=0, le=1, description="ignore annotation lines below this confidence"
    )
    seed: int = Field(0, description="seed of the split")
    foreground_threshold: float | None = Field(
        0.3,
        gt=0,
        le=1,
        description="a window is an artifact when artifacts cover this share of it (LUNA: 0.3); None: majority",
    )


class TUAR(TUHDataset):
    """TUH Artifact: per-channel artifact spans; binary or artifact-family labels."""

    name = "tuar"
    label_kind = "majority"

    def __init__(self, config: TUARConfig):
        super().__init__(config)
        self.class_names = BINARY if config.mode == "binary" else MULTICLASS

    def discover(self, raw: Path) -> list:
        from neurokit.core.interfaces import RecordingSource

        cfg = self.config
        root = resolve_root(Path(raw), cfg.montage_dirs)
        paths = [p for m in cfg.montage_dirs for p in find_edfs(root / m, self.discovery_problems)]
        subjects = [
            (parse_stem(p.stem).subject if parse_stem(p.stem) else p.stem.split("_")[0])
            for p in paths
        ]
        ids = [p.relative_to(root).with_suffix("").as_posix() for p in paths]
        units = subjects if cfg.split_by == "subject" else ids
        assignment = split_subjects(
            units,
            {
                "train": 1 - cfg.val_fraction - cfg.test_fraction,
                "val": cfg.val_fraction,
                "test": cfg.test_fraction,
            },
            cfg.seed,
        )
        return [
            RecordingSource(
                path=path,
                recording_id=rid,
                subject=subject,
                session=parse_stem(path.stem).session if parse_stem(path.stem) else "",
                split=assignment[unit],
                extra={"montage": path.parent.name},
            )
            for path, subject, rid, unit in zip(paths, subjects, ids, units, strict=True)
        ]

    def read_labels(self, source):
        path = annotation_file(Path(source.path), ANNOTATION_SUFFIXES)
        if path is None:
            raise DataError(
                f"{source.path}: no annotation file ({', '.join(ANNOTATION_SUFFIXES)}) next to it"
            )
        return [a for a in read_annotations(path) if a.confidence >= self.config.min_confidence]

    def events(self, annotations, n_samples, names, sfreq, source):
        shift = self.preprocessing.drop_first_seconds
        total = n_samples / sfreq + shift
        if self.config.mode == "binary":
            artifact = merge_intervals(
                (a.start, a.stop) for a in annotations if a.label in BINARY_ARTIFACTS
            )
            spans = [(a, b, 1, -1) for a, b in artifact] + [
                (a, b, 0, -1) for a, b in complement(artifact, total)
            ]
            return span_events(spans, n_samples, sfreq, shift)
        index = {n: i for i, n in enumerate(names)}
        labelled = [a for a in annotations if a.label in FAMILIES]
        spans = [
            (a.start, a.stop, MULTICLASS.index(FAMILIES[a.label]), index.get(a.channel, -1))
            for a in labelled
        ]
        background = complement(merge_intervals((a.start, a.stop) for a in labelled), total)
        spans += [(a, b, 0, -1) for a, b in background]
        return span_events(spans, n_samples, sfreq, shift)


def build_tuar(config: TUARConfig) -> TUAR:
    """TUH EEG Artifact (v3.0.x): binary or artifact-family labels, seeded 80/10/10 split."""
    return TUAR(config)


@hookimpl
def register_datasets(register):
    register("tuar", build_tuar, config=TUARConfig)
