"""`tuab`: the TUH Abnormal EEG corpus (v3.0.x), normal vs abnormal per recording.

Layout read: `edf/{train,eval}/{normal,abnormal}/01_tcp_ar/<subject>_<session>_<token>.edf`.
The label comes from the path, as in LaBraM, BIOT and braindecode. The official
`eval` folder is the test set; validation is a seeded 20 % of the *subjects* of
`train` (LaBraM and LUNA shuffle unseeded and per class folder, so a subject with
both normal and abnormal sessions can straddle train and val; here it cannot).

Default preprocessing is LaBraM's (`labram` profile: the 23 referential channels,
0.1-75 Hz, 50 Hz notch, 200 Hz, uV; files without all 23 are skipped); `--profile
luna` gives LUNA's TCP bipolar, 60 Hz notch, 256 Hz.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.channels import TUH_REFERENTIAL
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.data.splits import split_subjects
from neurokit.plugins.datasets._tuh import (
    TUHDataset,
    find_edfs,
    parse_stem,
    resolve_root,
)

CLASSES = ("normal", "abnormal")


class TUABConfig(DatasetConfig):
    """Options of `tuab`."""

    default_preprocessing: ClassVar[dict] = {"channels": list(TUH_REFERENTIAL)}

    profile: str | None = Field(
        "labram",
        description="preprocessing profile (labram: 23 ch referential 200 Hz; luna: TCP 256 Hz)",
    )
    montage_dirs: list[str] = Field(
        ["01_tcp_ar"], description="TUH montage folders to read (TUAB v3 ships 01_tcp_ar)"
    )
    val_fraction: float = Field(
        0.2, ge=0, lt=1, description="share of train subjects held out for validation"
    )
    seed: int = Field(0, description="seed of the subject-disjoint train/val split")


class TUAB(TUHDataset):
    """TUH Abnormal: recording-level normal/abnormal labels, official eval as test."""

    name = "tuab"
    label_kind = "recording"
    class_names = CLASSES

    def discover(self, raw: Path) -> list:
        from neurokit.core.interfaces import RecordingSource

        root = resolve_root(Path(raw), ("train", "eval"))
        found: list[tuple[Path, str, str, int]] = []  # path, folder split, subject, label
        for folder in ("train", "eval"):
            for label, cls in enumerate(CLASSES):
                for montage in self.config.montage_dirs:
                    for path in find_edfs(root / folder / cls / montage, self.discovery_problems):
                        parts = parse_stem(path.stem)
                        subject = parts.subject if parts else path.stem.split("_")[0]
                        found.append((path, folder, subject, label))
        train = [(s, label) for _, folder, s, label in found if folder == "train"]
        val = split_subjects(
            [s for s, _ in train],
            {"train": 1 - self.config.val_fraction, "val": self.config.val_fraction},
            self.config.seed,
            labels=dict(train),  # stratified: val keeps normal and abnormal subjects
        )
        sources = []
        for path, folder, subject, label in found:
            parts = parse_stem(path.stem)
            split = "test" if folder == "eval" else val[subject]
            sources.append(
                RecordingSource(
                    path=path,
                    recording_id=f"{folder}/{CLASSES[label]}/{path.parent.name}/{path.stem}",
                    subject=subject,
                    session=parts.session if parts else "",
                    split=split,
                    label=label,
                    extra={"montage": path.parent.name, "release_split": folder},
                )
            )
        return sources


def build_tuab(config: TUABConfig) -> TUAB:
    """TUH Abnormal EEG (v3.0.x): normal vs abnormal, eval = test, seeded subject-disjoint val."""
    return TUAB(config)


@hookimpl
def register_datasets(register):
    register("tuab", build_tuab, config=TUABConfig)
