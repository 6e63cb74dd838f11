"""`duin`: Du-IN's released sEEG word-reading corpus (12 subjects, 61 Chinese words, 1000 Hz).

Layout read (HF `liulab-repository/Du-IN`):
`data/seeg.he2023xuanwu/<subject>/word-recitation/run<k>/dataset.bipolar.default.unaligned/`
with `info` (pickle of `utils.DotDict.DotDict` holding `ch_names`) and `data` (pickle of a
list of DotDicts with `name`, the word, and `data_s`, channels x 3000 float64 volts at
1000 Hz). `--raw` may point at the corpus root, at `data/` or at `seeg.he2023xuanwu/`.

Pickles are read with a restricted unpickler: only the DotDict class (mapped onto
neurokit's stand-in) and numpy's array reconstruction, under their numpy 1.x or 2.x
module names, are admitted; any other global is refused, so a crafted file cannot run code.

Per subject: the 10 bipolar channels of the official run scripts (`subjs_cfg` of
`train/duin/run_cls.py`), or every channel, or a per-subject list. Labels are the sorted
set of words. Splits follow the official loader: per word, the first 80 % of the
subject's trials (runs in order, trials in file order) train; the remaining trials are
halved at random (seeded) into val and test. Because splits are per trial, each run is
written as one recording per split, its trials end to end (3 s each, one event per
trial). The per-subject, per-channel mean and std (microvolts, over all of the subject's
trials, as the official z-score uses) are kept in each recording's `extra`.
Runs missing `data` or `info`, or with an unreadable pickle, are reported as skipped.

Pretraining layout (not released; read when present, as `train/duin/run_vqvae.py` and
`run_mae.py` read it): `<subject>/pretrain/dataset.default.1000hz/` with `info` (the same
DotDict pickle, `ch_names`) and `*.npy` files (any depth) of shape (2, channels, T). The
two planes are the loader's `X_s` and `X_n`; Du-IN trains on `X_s` only, so plane 0 is
kept, in the same units as the trials' `data_s` (volts; `pretrain_scale` converts). Each
file becomes one unlabelled recording (no events, so the finetune stage never sees it);
per subject, files are split 80/10/10 at random (seeded), as the official `split_dataset`
does. The Du-IN pretraining stages cut random 4-s crops from them each epoch
(`DataView.random_offset`), and channel masks come from the store's channel layout.
"""

from __future__ import annotations

import io
import pickle
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from neurokit import ComponentConfig, hookimpl
from neurokit.core.errors import DataError

SFREQ = 1000.0
RUN_DIR = "dataset.bipolar.default.unaligned"
PRETRAIN_DIR = Path("pretrain") / "dataset.default.1000hz"
CORPUS = "seeg.he2023xuanwu"
OFFICIAL_CHANNELS: dict[str, tuple[str, ...]] = {
    "001": ("SM8", "SM9", "SM7", "SM11", "P4", "SM10", "SM6", "P3", "SM5", "CI9"),
    "002": ("TI'2", "TI'3", "TI'1", "TI'6", "TI'4", "TI'7", "ST'3", "ST'2", "ST'4", "FP'4"),
    "003": ("ST3", "ST1", "ST2", "ST9", "TI'4", "TI'3", "ST4", "TI'2", "ST7", "TI'8"),
    "004": ("D12", "D13", "C4", "C3", "D11", "D14", "D10", "D9", "D5", "C15"),
    "005": ("E8", "E9", "E6", "E7", "E11", "E12", "E5", "E10", "C10", "E4"),
    "006": ("D3", "D1", "D6", "D2", "D5", "D4", "D7", "D8", "G8", "E13"),
    "007": ("H2", "H4", "H3", "H1", "H6", "H5", "E4", "H7", "C13", "E5"),
    "008": ("TI3", "TI4", "TI2", "TI5", "B9", "TI6", "TI7", "TI9", "TI10", "B5"),
    "009": ("K9", "K8", "K6", "K7", "K11", "K10", "K5", "K4", "K3", "I9"),
    "010": ("PI5", "PI6", "PI7", "PI8", "PI1", "PI9", "PI2", "SM2", "SP3", "PI4"),
    "011": ("T2", "T3", "C9", "T4", "T5", "C7", "C8", "T1", "s1", "C4"),
    "012": ("TI'4", "TI'2", "TI'3", "TI'5", "TI'8", "TI'6", "TI'7", "TO'9", "P'5", "TO'8"),
}


# --------------------------------------------------------------------- unpickling


class DotDict(dict):
    """Stand-in for Du-IN's `utils.DotDict.DotDict`: a dict with attribute access."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _numpy_globals() -> dict[tuple[str, str], Any]:
    from numpy._core import multiarray

    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = multiarray._reconstruct
        allowed[(module, "scalar")] = multiarray.scalar
    for module in ("utils.DotDict", "utils"):
        allowed[(module, "DotDict")] = DotDict
    return allowed


class RestrictedUnpickler(pickle.Unpickler):
    """Admits only DotDict and numpy array/scalar reconstruction; refuses every other global."""

    _allowed: dict[tuple[str, str], Any] | None = None

    def find_class(self, module: str, name: str) -> Any:
        if RestrictedUnpickler._allowed is None:
            RestrictedUnpickler._allowed = _numpy_globals()
        try:
            return RestrictedUnpickler._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused global {module}.{name}") from None


def read_pickle(path: Path) -> Any:
    """Unpickle a Du-IN file restrictedly; DataError names the file and the reason."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return RestrictedUnpickler(io.BytesIO(raw)).load()
    except pickle.UnpicklingError as exc:
        raise DataError(f"{path}: not a Du-IN pickle ({exc})") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise DataError(f"{path}: truncated or damaged pickle ({type(exc).__name__})") from None


def _run_number(path: Path) -> int:
    match = re.fullmatch(r"run(\d+)", path.name)
    return int(match.group(1)) if match else -1


def _trials(obj: Any, path: Path) -> list[tuple[str, np.ndarray]]:
    if not isinstance(obj, list) or not obj:
        raise DataError(f"{path}: expected a non-empty list of trials")
    out = []
    for i, item in enumerate(obj):
        if not isinstance(item, dict) or "name" not in item or "data_s" not in item:
            raise DataError(f"{path}: trial {i} has no `name`/`data_s`")
        data = np.asarray(item["data_s"])
        if data.ndim != 2:
            raise DataError(f"{path}: trial {i} data_s has shape {data.shape}, expected 2-D")
        out.append((str(item["name"]), data))
    return out


def _channel_names(obj: Any, path: Path) -> list[str]:
    names = obj.get("ch_names") if isinstance(obj, dict) else None
    if not isinstance(names, (list, tuple)) or not names:
        raise DataError(f"{path}: no `ch_names`")
    return [str(n) for n in names]


# ------------------------------------------------------------------------ dataset


class DuINDatasetConfig(ComponentConfig):
    """Options of `duin`."""

    subjects: list[str] | None = Field(
        None, description="subjects to read, e.g. ['001'] (None: all)"
    )
    channel_selection: Literal["official", "all"] = Field(
        "official",
        description="official: the 10 channels of run_cls.py's subjs_cfg; all: every channel",
    )
    channels: dict[str, list[str]] = Field(
        default_factory=dict, description="per-subject channel lists, overriding the selection"
    )
    trial_samples: int = Field(
        3000, ge=100, description="samples per trial kept (official: 0-3000)"
    )
    train_fraction: float = Field(0.8, gt=0, lt=1, description="per word, share of trials in train")
    seed: int = Field(42, description="seed of the random val/test halving")
    pretrain: bool = Field(
        True, description="also read <subject>/pretrain/dataset.default.1000hz/*.npy when present"
    )
    pretrain_scale: float = Field(
        1e6, gt=0, description="multiplier from the .npy units to microvolts (volts: 1e6)"
    )
    pretrain_min_samples: int = Field(
        4000, ge=1, description="shorter pretraining files are skipped (official crops: 4000)"
    )


class DuINDataset:
    """Du-IN word-recitation runs -> one recording per (subject, run, split), one event per trial."""

    label_kind = "events"

    def __init__(self, config: DuINDatasetConfig) -> None:
        from neurokit.core.data.preprocess import Preprocessing

        self.config = config
        self.class_names: list[str] = []
        # what the store holds: the released signal untouched, in microvolts, at 1000 Hz
        self.preprocessing = Preprocessing(
            channels=None, keep_unknown=True, l_freq=None, h_freq=None, sfreq=SFREQ, min_seconds=0
        )
        self._cache: OrderedDict[Path, list] = OrderedDict()

    # ---- layout
    @staticmethod
    def corpus_root(raw: Path) -> Path:
        for candidate in (raw / "data" / CORPUS, raw / CORPUS, raw):
            if candidate.is_dir() and any(_has_layout(candidate / s) for s in _subdirs(candidate)):
                return candidate
        raise DataError(
            f"{raw}: no Du-IN layout (<subject>/word-recitation/run<k>/{RUN_DIR} or "
            f"<subject>/{PRETRAIN_DIR.as_posix()}) found"
        )

    def _channels_for(self, subject: str, available: list[str], where: Path) -> list[str]:
        if subject in self.config.channels:
            wanted = list(self.config.channels[subject])
        elif self.config.channel_selection == "all":
            return list(available)
        elif subject in OFFICIAL_CHANNELS:
            wanted = list(OFFICIAL_CHANNELS[subject])
        else:
            raise DataError(
                f"{where}: subject {subject} has no official channel list; set "
                "channel_selection=all or channels={subject: [...]}"
            )
        missing = [c for c in wanted if c not in available]
        if missing:
            raise DataError(f"{where}: channel(s) {', '.join(missing)} not in ch_names")
        return wanted

    def _read_run(
        self, run_dir: Path, subject: str
    ) -> tuple[list[str], list[tuple[str, np.ndarray]]]:
        """Selected channel names and (word, (channels, samples) volts) trials of one run."""
        folder = run_dir / RUN_DIR
        for name in ("info", "data"):
            if not (folder / name).is_file():
                raise DataError(f"{folder}: no `{name}` file")
        names = _channel_names(read_pickle(folder / "info"), folder / "info")
        trials = _trials(read_pickle(folder / "data"), folder / "data")
        chosen = self._channels_for(subject, names, folder / "info")
        rows = [names.index(c) for c in chosen]
        n = self.config.trial_samples
        out = []
        for i, (word, data) in enumerate(trials):
            if data.shape[0] != len(names) or data.shape[1] < n:
                raise DataError(
                    f"{folder / 'data'}: trial {i} has shape {data.shape}; expected "
                    f"({len(names)}, >= {n})"
                )
            out.append((word, data[rows, :n]))
        return chosen, out

    def _run(self, run_dir: Path, subject: str):
        key = run_dir.resolve()
        if key not in self._cache:
            self._cache[key] = self._read_run(run_dir, subject)
            while len(self._cache) > 1:  # keep one run: the three splits of a run follow each other
                self._cache.popitem(last=False)
        return self._cache[key]

    def discover(self, raw: Path) -> list:
        """Read every run once (labels, subject statistics), then list (subject, run, split) sources."""
        from neurokit.core.interfaces import RecordingSource

        root = self.corpus_root(Path(raw))
        wanted = set(self.config.subjects) if self.config.subjects else None
        subjects = [s for s in _subdirs(root) if _has_layout(root / s)]
        if wanted is not None:
            unknown = sorted(wanted - set(subjects))
            if unknown:
                raise DataError(f"{root}: subject(s) {', '.join(unknown)} not found")
            subjects = [s for s in subjects if s in wanted]
        good, bad, words = {}, [], set()
        for subject in subjects:
            recitation = root / subject / "word-recitation"
            runs = sorted((p for p in _iterdir(recitation) if _run_number(p) >= 0), key=_run_number)
            for run in runs:
                try:
                    _, trials = self._read_run(run, subject)
                except DataError as exc:
                    bad.append((subject, run, str(exc)))
                    continue
                good.setdefault(subject, []).append((run, [w for w, _ in trials], _stats(trials)))
                words.update(w for w, _ in trials)
        self.class_names = sorted(words)
        sources = []
        for subject, runs in good.items():
            splits = self._split([w for _, ws, _ in runs for w in ws], subject)
            mean, std = _pool([s for _, _, s in runs])
            offset = 0
            for run, ws, _ in runs:
                run_splits = splits[offset : offset + len(ws)]
                offset += len(ws)
                for split in ("train", "val", "test"):
                    idx = [i for i, s in enumerate(run_splits) if s == split]
                    if not idx:
                        continue
                    sources.append(
                        RecordingSource(
                            path=run / RUN_DIR / "data",
                            recording_id=f"{subject}/{run.name}/{split}",
                            subject=subject,
                            session=run.name,
                            split=split,
                            extra={
                                "trials": idx,
                                "channel_mean_uv": mean,
                                "channel_std_uv": std,
                            },
                        )
                    )
        if self.config.pretrain:
            for subject in subjects:
                sources.extend(self._pretrain_sources(root / subject / PRETRAIN_DIR, subject))
        for subject, run, reason in bad:  # listed, then reported as skipped by prepare
            sources.append(
                RecordingSource(
                    path=run / RUN_DIR / "data",
                    recording_id=f"{subject}/{run.name}/skipped",
                    subject=subject,
                    session=run.name,
                    extra={"skip": reason},
                )
            )
        return sources

    def _pretrain_sources(self, folder: Path, subject: str) -> list:
        """One unlabelled source per `*.npy` of the subject's pretraining folder, split 80/10/10
        per subject at random (seeded); an unreadable `info` skips the folder with its reason."""
        from neurokit.core.interfaces import RecordingSource

        files = sorted(folder.rglob("*.npy")) if folder.is_dir() else []
        if not files:
            return []

        def source(path: Path, split: str, extra: dict) -> RecordingSource:
            rel = path.relative_to(folder).with_suffix("").as_posix()
            return RecordingSource(
                path=path, recording_id=f"{subject}/pretrain/{rel}", subject=subject,
                session="pretrain", split=split, extra=extra,
            )  # fmt: skip

        try:
            names = _channel_names(read_pickle(folder / "info"), folder / "info")
            chosen = self._channels_for(subject, names, folder / "info")
        except DataError as exc:
            return [source(folder / "info", "train", {"skip": str(exc)})]
        rows = [names.index(c) for c in chosen]
        fractions = np.array([0.8, 0.1, 0.1])
        order = np.random.default_rng([self.config.seed, _subject_number(subject)]).permutation(
            len(files)
        )
        cuts = np.round(np.cumsum(fractions) * len(files)).astype(int)
        split_of = np.searchsorted(cuts, np.arange(len(files)), side="right")
        extra = {"pretrain": True, "channels": chosen, "rows": rows, "n_info": len(names)}
        return [
            source(files[i], ("train", "val", "test")[int(split_of[k])], dict(extra))
            for k, i in enumerate(order.tolist())
        ]

    def _load_pretrain(self, source):
        """Plane 0 (`X_s`) of one (2, channels, T) pretraining array, selected channels, uV."""
        from neurokit.core.interfaces import Recording

        path = Path(source.path)
        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a readable .npy ({exc})") from None
        n_info = source.extra["n_info"]
        if array.ndim != 3 or array.shape[0] != 2 or array.shape[1] != n_info:
            raise DataError(
                f"{path}: shape {array.shape}; expected (2, {n_info}, T) (X_s, X_n over the "
                "channels of `info`)"
            )
        if array.shape[2] < self.config.pretrain_min_samples:
            raise DataError(
                f"{path}: {array.shape[2]} samples, shorter than one "
                f"{self.config.pretrain_min_samples}-sample crop"
            )
        data = np.asarray(array[0, source.extra["rows"]], dtype=np.float64)
        if not np.isfinite(data).all():
            raise DataError(f"{path}: non-finite samples")
        return Recording(
            source=source,
            data=(data * self.config.pretrain_scale).astype(np.float32),
            channel_names=list(source.extra["channels"]),
            sfreq=SFREQ,
        )

    def _split(self, words: list[str], subject: str) -> list[str]:
        """Official per-word split: first train_fraction of each word's trials train, the rest
        halved at random into val and test."""
        splits = ["test"] * len(words)
        rest = []
        for word in sorted(set(words)):
            idx = [i for i, w in enumerate(words) if w == word]
            cut = int(self.config.train_fraction * len(idx))
            for i in idx[:cut]:
                splits[i] = "train"
            rest.extend(idx[cut:])
        rng = np.random.default_rng([self.config.seed, _subject_number(subject)])
        for i in rng.choice(np.array(rest, dtype=np.int64), size=len(rest) // 2, replace=False):
            splits[int(i)] = "val"
        return splits

    def load(self, source):
        from neurokit.core.interfaces import Event, Recording

        if "skip" in source.extra:
            raise DataError(source.extra["skip"])
        if source.extra.get("pretrain"):
            return self._load_pretrain(source)
        run_dir = Path(source.path).parent.parent
        names, trials = self._run(run_dir, source.subject)
        index = {w: i for i, w in enumerate(self.class_names)}
        n = self.config.trial_samples
        picked = [trials[i] for i in source.extra["trials"]]
        data = np.concatenate([d for _, d in picked], axis=1).astype(np.float64) * 1e6
        events = [Event(start=k * n, length=n, label=index[w]) for k, (w, _) in enumerate(picked)]
        return Recording(
            source=source,
            data=data.astype(np.float32),
            channel_names=list(names),
            sfreq=SFREQ,
            events=events,
        )


def _has_layout(subject_dir: Path) -> bool:
    return (subject_dir / "word-recitation").is_dir() or (subject_dir / PRETRAIN_DIR).is_dir()


def _iterdir(path: Path) -> list[Path]:
    return list(path.iterdir()) if path.is_dir() else []


def _subject_number(subject: str) -> int:
    return int(subject) if subject.isdigit() else 0


def _subdirs(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_dir()) if path.is_dir() else []


def _stats(trials: list[tuple[str, np.ndarray]]) -> tuple[int, np.ndarray, np.ndarray]:
    """(count, sum, sum of squares) per channel in microvolts, for the subject z-score."""
    x = np.stack([d for _, d in trials]) * 1e6  # (trials, channels, samples)
    return x.shape[0] * x.shape[2], x.sum((0, 2)), np.square(x).sum((0, 2))


def _pool(stats) -> tuple[list[float], list[float]]:
    n = sum(s[0] for s in stats)
    total = sum(s[1] for s in stats)
    squares = sum(s[2] for s in stats)
    mean = total / n
    std = np.sqrt(np.maximum(squares / n - mean**2, 0.0))
    return [float(v) for v in mean], [float(v) for v in std]


def build_duin(config: DuINDatasetConfig) -> DuINDataset:
    """Du-IN sEEG word reading (12 subjects, 61 words, 3-s trials at 1000 Hz), official splits."""
    return DuINDataset(config)


@hookimpl
def register_datasets(register):
    register("duin", build_duin, config=DuINDatasetConfig)
