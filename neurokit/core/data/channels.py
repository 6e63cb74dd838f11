"""Channel names and electrode positions, normalised once so every store and model agrees.

Names follow the upper-case 10-20 convention LaBraM and LUNA index their embeddings
with (`EEG Fp1-REF` -> `FP1`, `Fz` -> `FZ`). Old and new temporal names (T3/T7,
T5/P7) stay distinct because models give them separate embeddings; they share a
position. Bipolar derivations (`FP1-F7`) keep both names and sit at the midpoint
of their electrodes, as LUNA does. Positions come from mne's standard 10-05 montage
(metres), looked up case-insensitively and cached.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

# References TUH and others append to a referential channel: `EEG FP1-REF`, `EEG T3-LE`.
REFERENCE_SUFFIXES = ("REF", "LE", "AR", "AVG", "AV", "CAR", "M1M2", "A1A2", "LINKED")
_PREFIXES = ("EEG ", "EEG-", "EEG_", "ECOG ", "SEEG ")

# TUH TCP "double banana", in the official CHN_ORDER (LUNA/BioFoundation, TUH docs).
TCP_PAIRS: tuple[tuple[str, str], ...] = (
    ("FP1", "F7"), ("F7", "T3"), ("T3", "T5"), ("T5", "O1"),
    ("FP2", "F8"), ("F8", "T4"), ("T4", "T6"), ("T6", "O2"),
    ("T3", "C3"), ("C3", "CZ"), ("CZ", "C4"), ("C4", "T4"),
    ("FP1", "F3"), ("F3", "C3"), ("C3", "P3"), ("P3", "O1"),
    ("FP2", "F4"), ("F4", "C4"), ("C4", "P4"), ("P4", "O2"),
    ("A1", "T3"), ("T4", "A2"),
)  # fmt: skip
TCP_NAMES: tuple[str, ...] = tuple(f"{a}-{b}" for a, b in TCP_PAIRS)

# The 10-20 channels of TUAB/TUEV in LaBraM's order, and the 19 of a plain 10-20 cap.
TUH_REFERENTIAL: tuple[str, ...] = (
    "FP1", "FP2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "F7", "F8",
    "T3", "T4", "T5", "T6", "A1", "A2", "FZ", "CZ", "PZ", "T1", "T2",
)  # fmt: skip
STANDARD_1020: tuple[str, ...] = (
    "FP1", "FP2", "F7", "F3", "FZ", "F4", "F8", "T3", "C3", "CZ", "C4", "T4",
    "T5", "P3", "PZ", "P4", "T6", "O1", "O2",
)  # fmt: skip

# Electrodes with no 10-05 position of their own, placed at a neighbour (documented choice):
# CB1/CB2 as LUNA does; T1/T2 (anterior temporal) at FT9/FT10.
POSITION_ALIASES = {"CB1": "POO7", "CB2": "POO8", "T1": "FT9", "T2": "FT10"}

_SPACES = re.compile(r"\s+")


def normalise_channel_name(name: str) -> str:
    """One channel name in neurokit's convention: `EEG Fp1-REF` -> `FP1`, `Fp1-F7` -> `FP1-F7`."""
    text = _SPACES.sub(" ", str(name).strip())
    upper = text.upper()
    for prefix in _PREFIXES:
        if upper.startswith(prefix):
            upper = upper[len(prefix) :].strip()
            break
    upper = upper.replace(" ", "")
    if "-" in upper:
        head, _, tail = upper.rpartition("-")
        if tail in REFERENCE_SUFFIXES and head:
            upper = head
    return upper


def normalise_channel_names(names: Iterable[str]) -> list[str]:
    """Normalise a list of names (duplicates are left for the caller to reject)."""
    return [normalise_channel_name(n) for n in names]


def is_bipolar(name: str) -> bool:
    """True for a derivation `A-B` between two electrodes (after normalisation)."""
    parts = name.split("-")
    return len(parts) == 2 and all(parts)


@lru_cache(maxsize=1)
def standard_positions() -> dict[str, tuple[float, float, float]]:
    """Upper-case electrode name -> (x, y, z) in metres, from mne's 10-05 template."""
    import mne

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mne 1.13 renames standard_1005 to colin27_1005
        montage = mne.channels.make_standard_montage("standard_1005")
    table = {
        k.upper(): tuple(float(c) for c in v) for k, v in montage.get_positions()["ch_pos"].items()
    }
    for alias, target in POSITION_ALIASES.items():
        table.setdefault(alias, table[target])
    return table


def channel_position(name: str) -> np.ndarray | None:
    """(3,) metres for one normalised name (bipolar = midpoint), or None if unknown."""
    table = standard_positions()
    key = name.upper()
    if key in table:
        return np.asarray(table[key], dtype=np.float32)
    if is_bipolar(key):
        a, b = key.split("-")
        if a in table and b in table:
            return (
                np.asarray(table[a], dtype=np.float32) + np.asarray(table[b], dtype=np.float32)
            ) / 2
    return None


@lru_cache(maxsize=4096)
def _positions_cached(names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    pos = np.zeros((len(names), 3), dtype=np.float32)
    known = np.zeros(len(names), dtype=bool)
    for i, name in enumerate(names):
        p = channel_position(name)
        if p is not None:
            pos[i], known[i] = p, True
    pos.setflags(write=False)
    known.setflags(write=False)
    return pos, known


def channel_positions(names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Positions (C, 3) in metres, zeros where unknown, and a (C,) bool `known` flag.

    Cached per channel set, so a dataset calls it per item for free. The arrays
    are read-only; copy before changing them.
    """
    return _positions_cached(tuple(names))


def tcp_pairs_available(names: Iterable[str]) -> list[tuple[str, str]]:
    """The TCP pairs whose two electrodes are both in `names` (normalised), in TCP order."""
    have = set(names)
    return [(a, b) for a, b in TCP_PAIRS if a in have and b in have]
