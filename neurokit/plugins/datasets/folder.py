"""`folder`: any directory of recordings, plus an optional CSV of labels. Bring your own data.

Every file mne reads (EDF, BDF, FIF, BrainVision `.vhdr`, EEGLAB `.set`, Neuroscan
`.cnt`) under `--raw` is a recording. Labels, in order of precedence:

- a CSV (`labels=` option, default `<raw>/labels.csv` when it exists) with a header
  naming `path,label` and optionally `subject,split`; `path` is relative to the raw
  folder. Only the listed files are used, and a listed file that does not exist is
  an error (a typo should not silently shrink a dataset);
- `label_from_folder=true`: the first folder under `--raw` is the class
  (`raw/abnormal/x.edf`);
- none: an unlabelled corpus (pretraining).

Subjects come from the CSV, else the first folder of a nested file, else the file
name. Splits come from the CSV, else a seeded subject-disjoint split. Default
preprocessing: every channel with a 10-05 position, 0.1-75 Hz, 200 Hz, uV (set
`--profile` or `--set preprocessing.*` for anything else).
"""

from __future__ import annotations

import csv
from pathlib import Path

from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.errors import DataError

EXTENSIONS = (".edf", ".bdf", ".fif", ".vhdr", ".set", ".cnt")
SPLITS = {
    "train": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
    "eval": "test",
}


class FolderConfig(DatasetConfig):
    """Options of `folder`."""

    labels: str | None = Field(
        None, description="CSV of path,label[,subject,split] (default: <raw>/labels.csv if present)"
    )
    label_from_folder: bool = Field(
        False, description="use each file's first folder under --raw as its class"
    )
    class_names: list[str] | None = Field(
        None, description="class order (default: sorted labels found)"
    )
    extensions: list[str] = Field(list(EXTENSIONS), description="file types to read")
    val_fraction: float = Field(
        0.1, ge=0, lt=1, description="share of subjects for validation (no split column)"
    )
    test_fraction: float = Field(
        0.1, ge=0, lt=1, description="share of subjects for test (no split column)"
    )
    seed: int = Field(0, description="seed of the subject split")


class FolderDataset:
    """Recordings found in a folder; labels from a CSV or folder names."""

    name = "folder"

    def __init__(self, config: FolderConfig):
        self.config = config
        self.preprocessing = config.preprocessing
        self.class_names: list[str] = list(config.class_names or [])
        self.label_kind = "none"
        self.discovery_problems: list[tuple[str, str]] = []  # unreadable folders

    # ------------------------------------------------------------ discovery

    def discover(self, raw: Path) -> list:
        from neurokit.core.data.discovery import find_files
        from neurokit.core.data.splits import split_subjects
        from neurokit.core.interfaces import RecordingSource

        root = Path(raw)
        if not root.is_dir():
            raise DataError(f"{root}: not a folder")
        table = self._read_csv(root)
        if table is not None:
            rows = table
        else:
            suffixes = {
                e.lower() if e.startswith(".") else f".{e.lower()}" for e in self.config.extensions
            }
            files = find_files(root, suffixes, self.discovery_problems)
            if not files:
                unreadable = "".join(
                    f"; {where}: {why}" for where, why in self.discovery_problems[:3]
                )
                raise DataError(
                    f"{root}: no recordings ({', '.join(sorted(suffixes))}) in this folder"
                    + unreadable
                )
            rows = [
                {"path": p, "label": self._folder_label(p, root), "subject": "", "split": ""}
                for p in files
            ]
        for row in rows:
            row["subject"] = row["subject"] or self._subject(row["path"], root)
        labels = [r["label"] for r in rows if r["label"] is not None]
        if labels:
            self.label_kind = "recording"
            if not self.class_names:
                self.class_names = sorted(set(labels))
            unknown = sorted(set(labels) - set(self.class_names))
            if unknown:
                raise DataError(
                    f"{root}: labels {', '.join(unknown)} are not in class_names {self.class_names}"
                )
        cfg = self.config
        assignment = split_subjects(
            [r["subject"] for r in rows if not r["split"]],
            {
                "train": 1 - cfg.val_fraction - cfg.test_fraction,
                "val": cfg.val_fraction,
                "test": cfg.test_fraction,
            },
            cfg.seed,
            labels={r["subject"]: r["label"] for r in rows if r["label"] is not None},
        )
        return [
            RecordingSource(
                path=r["path"],
                recording_id=r["path"].relative_to(root).with_suffix("").as_posix()
                if r["path"].is_relative_to(root)
                else r["path"].stem,
                subject=r["subject"],
                split=r["split"] or assignment[r["subject"]],
                label=self.class_names.index(r["label"]) if r["label"] is not None else None,
            )
            for r in rows
        ]

    def _folder_label(self, path: Path, root: Path) -> str | None:
        if not self.config.label_from_folder:
            return None
        parts = path.relative_to(root).parts
        if len(parts) < 2:
            raise DataError(
                f"{path}: label_from_folder needs files inside class folders (raw/<class>/file)"
            )
        return parts[0]

    @staticmethod
    def _subject(path: Path, root: Path) -> str:
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            parts = (path.name,)
        return parts[0] if len(parts) > 1 else path.stem

    def _read_csv(self, root: Path) -> list[dict] | None:
        """Rows of the labels CSV, validated line by line, or None when there is no CSV."""
        if self.config.labels is None:
            path = root / "labels.csv"
            if not path.is_file():
                return None
        else:
            path = Path(self.config.labels)
            path = (
                path if path.is_absolute() else (root / path if (root / path).is_file() else path)
            )
            if not path.is_file():
                raise DataError(f"{path}: labels CSV not found")
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:  # Excel writes a BOM
                lines = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise DataError(f"{path}: cannot read labels CSV ({exc})") from None
        lines = [(n, line) for n, line in enumerate(lines, start=1) if any(f.strip() for f in line)]
        if not lines:
            raise DataError(f"{path}: empty labels CSV")
        header = [h.strip().lower() for h in lines[0][1]]
        if "path" not in header or "label" not in header:
            raise DataError(
                f"{path}: line {lines[0][0]}: header must name `path` and `label` columns, got {lines[0][1]}"
            )
        rows, seen = [], set()
        for lineno, fields in lines[1:]:
            if len(fields) != len(header):
                raise DataError(
                    f"{path}: line {lineno}: {len(fields)} fields, the header has {len(header)}"
                )
            row = {k: v.strip() for k, v in zip(header, fields, strict=True)}
            file = Path(row["path"])
            file = file if file.is_absolute() else root / file
            if not file.is_file():
                raise DataError(
                    f"{path}: line {lineno}: recording {row['path']!r} not found under {root}"
                )
            if file in seen:
                raise DataError(f"{path}: line {lineno}: {row['path']!r} is listed twice")
            seen.add(file)
            split = row.get("split", "").lower()
            if split and split not in SPLITS:
                raise DataError(
                    f"{path}: line {lineno}: split {row['split']!r} is not train, val or test"
                )
            rows.append(
                {
                    "path": file,
                    "label": row["label"] or None,
                    "subject": row.get("subject", ""),
                    "split": SPLITS.get(split, ""),
                }
            )
        if not rows:
            raise DataError(f"{path}: no rows under the header")
        return rows

    # --------------------------------------------------------------- loading

    def load(self, source):
        from neurokit.core.data.preprocess import load_recording

        return load_recording(source, self.preprocessing)


def build_folder(config: FolderConfig) -> FolderDataset:
    """Any folder of EDF/BDF/FIF/BrainVision/EEGLAB/CNT recordings, labels from a CSV or folders."""
    return FolderDataset(config)


@hookimpl
def register_datasets(register):
    register("folder", build_folder, config=FolderConfig)
