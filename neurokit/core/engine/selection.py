"""Which validation is a new best: the one rule that checkpoint selection and early
stopping share, so they never disagree.

A validation is a **new best** when its monitored value beats the best one by more
than `min_delta` (in the stage's declared direction), or when it ties with it and its
val loss is lower. Two numbers *tie* when they agree to a relative tolerance of
`TIE_RTOL` (1e-6, about the precision a float32 mean carries; absolute floor
`TIE_ATOL`): differences in the 7th significant digit are summation-order noise and
never decide anything. Early stopping counts the validations since the last new best.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from neurokit.core.stage import Direction

TIE_RTOL = 1e-6
TIE_ATOL = 1e-9


def tie(a: float, b: float) -> bool:
    """Whether two metric values are equal within the stated tolerance."""
    return math.isclose(a, b, rel_tol=TIE_RTOL, abs_tol=TIE_ATOL)


@dataclass(frozen=True)
class Selection:
    """The monitored metric, its direction and the improvement it must show."""

    monitor: str
    direction: Direction
    min_delta: float = 0.0

    def beats(self, value: float, best: float) -> bool:
        """`value` improves on `best` by more than `min_delta` and the tie tolerance."""
        gain = (best - value) if self.direction == "min" else (value - best)
        return gain > self.min_delta and not tie(value, best)

    def is_new_best(
        self,
        value: float | None,
        loss: float,
        best_value: float | None,
        best_loss: float | None,
        first: bool,
    ) -> bool:
        """Whether this validation replaces the selected checkpoint (and resets patience).

        `first`: nothing is selected yet. A metric a split cannot give (None, e.g. AUROC
        with one class) loses to any number and ties another None.
        """
        if first:
            return True
        if value is None or best_value is None:  # a number beats None; None never beats one
            if (value is None) != (best_value is None):
                return best_value is None
            metric_tie = True
        elif self.beats(value, best_value):
            return True
        else:
            metric_tie = tie(value, best_value)
        if not metric_tie or best_loss is None:
            return False
        return loss < best_loss and not tie(loss, best_loss)
