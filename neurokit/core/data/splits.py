"""Seeded, subject-disjoint splits shared by every dataset plugin."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def split_subjects(
    subjects: Iterable[str], fractions: dict[str, float], seed: int
) -> dict[str, str]:
    """Assign each subject to a split, seeded and independent of discovery order.

    `fractions` maps split name -> share, in the order splits are cut (the rest of
    the subjects go to the first split). Subjects are sorted before a seeded
    permutation, so the same set of subjects always gives the same split, and a
    subject never lands in two splits. Every non-first split with a share > 0 gets
    at least one subject when there are enough subjects to go round.
    """
    unique = sorted(set(subjects))
    order = [unique[i] for i in np.random.default_rng(seed).permutation(len(unique))]
    names = list(fractions)
    counts = {name: int(round(fractions[name] * len(unique))) for name in names[1:]}
    for name in names[1:]:
        if fractions[name] > 0 and counts[name] == 0 and len(unique) > len(names) - 1:
            counts[name] = 1
    assignment: dict[str, str] = {}
    cursor = 0
    for name in names[1:]:
        for subject in order[cursor : cursor + counts[name]]:
            assignment[subject] = name
        cursor += counts[name]
    for subject in order[cursor:]:
        assignment[subject] = names[0]
    return assignment
