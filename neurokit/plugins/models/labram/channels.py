"""LaBraM's channel vocabulary and the mapping from store channel names to embedding rows.

LaBraM learns one embedding row per electrode name of its fixed list (`utils.standard_1020`
in the reference, 136 names). Row 0 of `pos_embed` is the cls slot, so the channel at
list position p uses row p + 1; only the first 128 names fit the 129-row table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from neurokit.core.errors import NeurokitError

# fmt: off
STANDARD_1020: tuple[str, ...] = (
    "FP1", "FPZ", "FP2",
    "AF9", "AF7", "AF5", "AF3", "AF1", "AFZ", "AF2", "AF4", "AF6", "AF8", "AF10",
    "F9", "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6", "F8", "F10",
    "FT9", "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8", "FT10",
    "T9", "T7", "C5", "C3", "C1", "CZ", "C2", "C4", "C6", "T8", "T10",
    "TP9", "TP7", "CP5", "CP3", "CP1", "CPZ", "CP2", "CP4", "CP6", "TP8", "TP10",
    "P9", "P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8", "P10",
    "PO9", "PO7", "PO5", "PO3", "PO1", "POZ", "PO2", "PO4", "PO6", "PO8", "PO10",
    "O1", "OZ", "O2", "O9", "CB1", "CB2",
    "IZ", "O10", "T3", "T5", "T4", "T6", "M1", "M2", "A1", "A2",
    "CFC1", "CFC2", "CFC3", "CFC4", "CFC5", "CFC6", "CFC7", "CFC8",
    "CCP1", "CCP2", "CCP3", "CCP4", "CCP5", "CCP6", "CCP7", "CCP8",
    "T1", "T2", "FTT9h", "TTP7h", "TPP9h", "FTT10h", "TPP8h", "TPP10h",
    "FP1-F7", "F7-T7", "T7-P7", "P7-O1", "FP2-F8", "F8-T8", "T8-P8", "P8-O2",
    "FP1-F3", "F3-C3", "C3-P3", "P3-O1", "FP2-F4", "F4-C4", "C4-P4", "P4-O2",
)
# fmt: on

NUM_EMBEDDED = 128  # rows 1..128 of the 129-row pos_embed; the last 8 bipolar names do not fit

_ROW = {name.upper(): i + 1 for i, name in enumerate(STANDARD_1020)}


class ChannelError(NeurokitError):
    """A channel name LaBraM has no embedding for."""


def get_input_chans(ch_names: Sequence[str]) -> list[int]:
    """The reference's exact `utils.get_input_chans`: [0] + list position + 1 (case-sensitive)."""
    try:
        return [0] + [STANDARD_1020.index(name) + 1 for name in ch_names]
    except ValueError as exc:
        raise ChannelError(f"{exc}: not one of LaBraM's channel names") from exc


class ChannelMapper:
    """Store channel names -> embedding rows, with explicit aliases and an unknown policy.

    Names are matched case-insensitively (stores write `Fp1` or `FP1`; the reference
    compares upper-case names, so its six `...h` names could never match there).
    `aliases` maps a store name to a LaBraM name (e.g. `{"EEG FP1-LE": "FP1"}`).
    `unknown="error"` refuses a name with no row; `unknown="drop"` leaves that channel out
    of the model input (each dropped name is reported in `dropped`).
    """

    def __init__(self, aliases: Mapping[str, str] | None = None, unknown: str = "error") -> None:
        if unknown not in ("error", "drop"):
            raise ChannelError(f"unknown_channels must be 'error' or 'drop', not {unknown!r}")
        self.aliases = {k.upper(): v.upper() for k, v in (aliases or {}).items()}
        for target in self.aliases.values():
            if _ROW.get(target, NUM_EMBEDDED + 1) > NUM_EMBEDDED:
                raise ChannelError(
                    f"channel alias target {target!r} is not one of LaBraM's 128 embedded names"
                )
        self.unknown = unknown
        self.dropped: set[str] = set()

    def row(self, name: str) -> int | None:
        """Embedding row (1..128) of `name`, or None if LaBraM has none."""
        key = name.upper()
        key = self.aliases.get(key, key)
        row = _ROW.get(key)
        return row if row is not None and row <= NUM_EMBEDDED else None

    def rows(self, names: Sequence[str]) -> list[int | None]:
        """Rows for one sample's channels; None marks a dropped channel."""
        rows = [self.row(n) for n in names]
        missing = [n for n, r in zip(names, rows, strict=True) if r is None]
        if missing and self.unknown == "error":
            raise ChannelError(
                f"LaBraM has no embedding for channel(s) {', '.join(sorted(set(missing)))}. "
                'Map them with --set model.channel_aliases=\'{"NAME": "FP1"}\' or leave them out with '
                "--set model.unknown_channels=drop (LaBraM knows the 10-20/10-10 names, T3-T6, A1/A2, M1/M2, "
                "T1/T2 and 8 bipolar pairs FP1-F7 ... P8-O2)."
            )
        self.dropped.update(missing)
        return rows
