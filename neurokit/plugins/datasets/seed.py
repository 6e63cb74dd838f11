"""`seed`: SEED emotion (SEED-3): 15 subjects x 3 sessions x 15 film clips, positive/neutral/negative.

Layouts read (`--raw` is the SEED root or the folder itself):

- `Preprocessed_EEG/` (default, `source=preprocessed`): one `{subject}_{date}.mat` per
  session holding `{initials}_eeg1` ... `{initials}_eeg15`, one 62 x T clip each at
  200 Hz in microvolts (SEED already down-sampled and band-passed it 0-75 Hz), and
  `label.mat` (`label`: the 15 clips' 1 / 0 / -1). The .mat files carry no channel
  names; SEED's channel order file gives them (`SEED_CHANNELS`).
- the raw Neuroscan `.cnt` files NeuroLM reads (`source=cnt`; `{subject}_{date}.cnt`,
  1000 Hz): M1, M2, VEO, HEO and ECG are dropped, then 0.1-75 Hz, 50 Hz notch, 200 Hz
  over the whole session, and the clips are cut with NeuroLM's own trial marks
  (`CNT_TRIALS`, in seconds; clip k spans [start, end + 1) s).

Windows follow NeuroLM (`SEEDDataset(window_size=800, stride_size=800)`): 4-s windows,
no overlap, from each clip's start. Splits follow `train_instruction.py`: for every
subject and session, clips 1-9 train, 10-12 validation, 13-15 test. Each clip is one
recording (`{session}/clip07`), so no window or filter crosses a clip boundary.

Where the `Preprocessed_EEG` windows differ from NeuroLM's: SEED cut those clips with
its own event marks, which start and end within a second or two of NeuroLM's
hard-coded ones, so the windows are shifted by that much and a clip may hold one
window more or fewer; and the 0.1-75 Hz band-pass and notch are applied per clip
(the edges of each clip see filter transients NeuroLM's whole-session filter avoids).
Labels are stored as 0 positive, 1 neutral, 2 negative (NeuroLM's H/N/S order).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from neurokit import hookimpl
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.errors import DataError
from neurokit.plugins.datasets._neurolm import NEUROLM_PREPROCESSING, sliding_starts

CLASSES = ("positive", "neutral", "negative")
# label.mat's values -> class index
LABEL_VALUES = {1: 0, 0: 1, -1: 2}
SEED_CHANNELS = (
    "FP1", "FPZ", "FP2", "AF3", "AF4", "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6", "F8",
    "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8", "T7", "C5", "C3", "C1",
    "CZ", "C2", "C4", "C6", "T8", "TP7", "CP5", "CP3", "CP1", "CPZ", "CP2", "CP4", "CP6",
    "TP8", "P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8", "PO7", "PO5", "PO3", "POZ",
    "PO4", "PO6", "PO8", "CB1", "O1", "OZ", "O2", "CB2",
)  # fmt: skip
# NeuroLM's prepare_SEED.py: clip start / end seconds in every .cnt session, and labels
CNT_TRIALS = (
    (24, 264), (289, 526), (550, 757), (782, 1023), (1049, 1235), (1260, 1458),
    (1483, 1722), (1747, 1967), (1993, 2259), (2283, 2525), (2550, 2788), (2812, 3046),
    (3072, 3308), (3332, 3573), (3598, 3806),
)  # fmt: skip
CNT_LABELS = (0, 1, 2, 2, 1, 0, 2, 1, 0, 0, 1, 2, 1, 0, 2)
CLIPS = 15
_SESSION = re.compile(r"^(?P<subject>\d+)_(?P<date>\d+)$")
_CLIP_VARIABLE = re.compile(r"^[A-Za-z]+_eeg(?P<clip>\d+)$")


class SEEDConfig(DatasetConfig):
    """Options of `seed`."""

    default_preprocessing: ClassVar[dict] = {
        **NEUROLM_PREPROCESSING,
        "channels": list(SEED_CHANNELS),
    }

    source: Literal["preprocessed", "cnt"] = Field(
        "preprocessed", description="read Preprocessed_EEG/*.mat (SEED's release) or raw .cnt files"
    )
    window_seconds: float = Field(4.0, gt=0, description="window length in seconds (NeuroLM: 4)")
    stride_seconds: float = Field(4.0, gt=0, description="step between windows (NeuroLM: 4)")
    train_clips: int = Field(9, ge=1, le=CLIPS, description="clips 1..n train (NeuroLM: 9)")
    val_clips: int = Field(3, ge=0, le=CLIPS, description="the next clips validate (NeuroLM: 3)")


def split_of_clip(clip: int, train: int, val: int) -> str:
    """`train` for clips 1..train, `val` for the next `val`, `test` for the rest (1-based)."""
    return "train" if clip <= train else "val" if clip <= train + val else "test"


def _loadmat(path: Path) -> dict[str, Any]:
    from scipy.io import loadmat

    try:
        return loadmat(path)
    except (OSError, ValueError, TypeError, NotImplementedError) as exc:
        raise DataError(f"{path}: cannot read .mat ({type(exc).__name__}: {exc})") from None


def read_labels(path: Path) -> list[int]:
    """Class index of each of the 15 clips from SEED's `label.mat`."""
    if not path.is_file():
        raise DataError(f"{path}: not found; SEED's Preprocessed_EEG holds label.mat")
    values = np.asarray(_loadmat(path).get("label", [])).ravel()
    if len(values) != CLIPS or any(int(v) not in LABEL_VALUES for v in values):
        raise DataError(f"{path}: `label` must hold 15 values in 1 / 0 / -1, got {values.tolist()}")
    return [LABEL_VALUES[int(v)] for v in values]


def clip_arrays(mat: dict[str, Any], path: Path) -> dict[int, np.ndarray]:
    """Clip number -> (62, T) microvolts from one session's `{initials}_eeg{k}` variables."""
    clips = {}
    for key, value in mat.items():
        match = _CLIP_VARIABLE.match(key)
        if match:
            clips[int(match["clip"])] = np.asarray(value)
    missing = [k for k in range(1, CLIPS + 1) if k not in clips]
    if missing:
        raise DataError(f"{path}: no variable(s) *_eeg{', *_eeg'.join(map(str, missing))}")
    for k, array in clips.items():
        if array.ndim != 2 or array.shape[0] != len(SEED_CHANNELS):
            raise DataError(
                f"{path}: clip {k} has shape {array.shape}, expected ({len(SEED_CHANNELS)}, samples)"
            )
    return clips


class SEED:
    """SEED sessions -> one recording per film clip, 4-s windows, clips 1-9/10-12/13-15 split."""

    name = "seed"
    label_kind = "events"
    class_names = CLASSES

    def __init__(self, config: SEEDConfig) -> None:
        self.config = config
        self.preprocessing = config.preprocessing
        self.discovery_problems: list[tuple[str, str]] = []
        self._cache: OrderedDict[Path, Any] = OrderedDict()  # the session last read

    # ---- layout
    def _root(self, raw: Path) -> Path:
        if self.config.source == "preprocessed":
            for candidate in (raw / "Preprocessed_EEG", raw):
                if (candidate / "label.mat").is_file() or any(candidate.glob("*_*.mat")):
                    return candidate
            raise DataError(f"{raw}: no Preprocessed_EEG/{{subject}}_{{date}}.mat (SEED layout)")
        if not raw.is_dir():
            raise DataError(f"{raw}: not found; expected SEED's {{subject}}_{{date}}.cnt files")
        return raw

    def discover(self, raw: Path) -> list:
        from neurokit.core.data.discovery import find_files
        from neurokit.core.interfaces import RecordingSource

        root = self._root(Path(raw))
        suffix = ".mat" if self.config.source == "preprocessed" else ".cnt"
        sessions = [
            p
            for p in find_files(root, (suffix,), self.discovery_problems)
            if _SESSION.match(p.stem)
        ]
        if not sessions:
            raise DataError(f"{root}: no {{subject}}_{{date}}{suffix} sessions")
        labels = read_labels(root / "label.mat") if suffix == ".mat" else list(CNT_LABELS)
        sessions.sort(key=lambda p: (int(_SESSION.match(p.stem)["subject"]), p.stem))
        cfg = self.config
        sources = []
        for path in sessions:
            subject, date = _SESSION.match(path.stem).group("subject", "date")
            for clip in range(1, CLIPS + 1):
                split = split_of_clip(clip, cfg.train_clips, cfg.val_clips)
                sources.append(
                    RecordingSource(
                        path=path,
                        recording_id=f"{path.stem}/clip{clip:02d}",
                        subject=subject,
                        session=date,
                        split=split,
                        label=labels[clip - 1],
                        extra={"clip": clip, "official_split": split},
                    )
                )
        return sources

    # ---- reading
    def _session(self, path: Path) -> Any:
        """The session's clips (mat) or its preprocessed signal (cnt), read once per session."""
        key = path.resolve()
        if key not in self._cache:
            if self.config.source == "preprocessed":
                self._cache[key] = clip_arrays(_loadmat(path), path)
            else:
                self._cache[key] = self._prepared_cnt(path)
            while len(self._cache) > 1:  # clips of a session are read one after another
                self._cache.popitem(last=False)
        return self._cache[key]

    def _prepared_cnt(self, path: Path):
        from neurokit.core.data.preprocess import prepare_raw
        from neurokit.core.data.rawio import read_raw

        return prepare_raw(read_raw(path), self.preprocessing, str(path))

    def _prepared_clip(self, array_uv: np.ndarray, where: str):
        import mne

        from neurokit.core.data.preprocess import prepare_raw

        info = mne.create_info(list(SEED_CHANNELS), 200.0, "eeg")
        raw = mne.io.RawArray(array_uv.astype(np.float64) * 1e-6, info, verbose="error")
        return prepare_raw(raw, self.preprocessing, where)

    def load(self, source):
        from neurokit.core.data.preprocess import Prepared
        from neurokit.core.interfaces import Event

        path, clip = Path(source.path), int(source.extra["clip"])
        where = f"{path} clip {clip}"
        session = self._session(path)
        if self.config.source == "preprocessed":
            prepared = self._prepared_clip(session[clip], where)
        else:
            start_s, end_s = CNT_TRIALS[clip - 1]
            rate = session.sfreq
            lo, hi = int(round(start_s * rate)), int(round((end_s + 1) * rate))
            if hi > session.data.shape[1]:
                raise DataError(f"{where}: session ends before NeuroLM's trial mark {end_s} s")
            prepared = Prepared(
                session.data[:, lo:hi], session.names, rate, session.types, session.units,
                session.positions, session.sensors,
            )  # fmt: skip
        window = int(round(self.config.window_seconds * prepared.sfreq))
        stride = int(round(self.config.stride_seconds * prepared.sfreq))
        starts = sliding_starts(prepared.data.shape[1], window, stride)
        if not starts:
            raise DataError(f"{where}: shorter than one {self.config.window_seconds:g}-s window")
        events = [Event(start=s, length=window, label=int(source.label)) for s in starts]
        return prepared.recording(source, events)


def build_seed(config: SEEDConfig) -> SEED:
    """SEED emotion (SEED-3): 3 classes, 4-s windows, NeuroLM's clip split per session."""
    return SEED(config)


@hookimpl
def register_datasets(register):
    register("seed", build_seed, config=SEEDConfig)
