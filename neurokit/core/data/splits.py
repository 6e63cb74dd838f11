"""Seeded splits shared by every dataset plugin and the run: subject-disjoint, within subject, official."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from neurokit.core.errors import ConfigError


def split_subjects(
    subjects: Iterable[str],
    fractions: dict[str, float],
    seed: int,
    labels: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Assign each subject to a split, seeded and independent of discovery order.

    `fractions` maps split name -> share, in the order splits are cut (the rest of
    the subjects go to the first split). Subjects are sorted before a seeded
    permutation, so the same set of subjects always gives the same split, and a
    subject never lands in two splits. Every non-first split with a share > 0 gets
    at least one subject when there are enough subjects to go round.

    `labels` (subject -> its label, where labels are per recording) stratifies: each
    label's subjects are permuted and interleaved in proportion before the cut, so the
    splits keep their sizes and each holds the classes in about the corpus's shares (a
    small corpus does not get a validation split of one class).
    """
    unique = sorted(set(subjects))
    if labels:
        order = _stratified_order(unique, labels, seed)
    else:
        order = [unique[i] for i in np.random.default_rng(seed).permutation(len(unique))]
    names = list(fractions)
    counts = {name: int(round(fractions[name] * len(unique))) for name in names[1:]}
    for name in names[1:]:
        if fractions[name] > 0 and counts[name] == 0 and len(unique) > len(names) - 1:
            counts[name] = 1
    assignment = {}
    cursor = 0
    for name in names[1:]:
        for subject in order[cursor : cursor + counts[name]]:
            assignment[subject] = name
        cursor += counts[name]
    for subject in order[cursor:]:
        assignment[subject] = names[0]
    return assignment


def split_in_order(
    items: Sequence[str], counts: Mapping[str, int], rest: str = "test"
) -> dict[str, str]:
    """The first `counts[a]` items to split `a`, the next `counts[b]` to `b`, ..., the rest to `rest`.

    The protocol of corpora whose papers cut a sorted file list (NeuroLM's HMC: 100/25/rest).
    """
    assignment, cursor = {}, 0
    for name, count in counts.items():
        if count < 0:
            raise ConfigError(f"split {name!r}: count {count} is negative")
        for item in items[cursor : cursor + count]:
            assignment[item] = name
        cursor += count
    for item in items[cursor:]:
        assignment[item] = rest
    return assignment


def _stratified_order(unique: list[str], labels: Mapping[str, Any], seed: int) -> list[str]:
    """Subjects permuted within each label, then merged by relative position in their label."""
    groups: dict[str, list[str]] = {}
    for subject in unique:
        groups.setdefault(str(labels.get(subject)), []).append(subject)
    keyed = []
    for rank, key in enumerate(sorted(groups)):
        members = groups[key]
        perm = np.random.default_rng([seed, rank]).permutation(len(members))
        for position, index in enumerate(perm):
            keyed.append(((position + 0.5) / len(members), rank, members[index]))
    return [subject for *_, subject in sorted(keyed)]


def split_within_subjects(
    subjects: Sequence[str],
    labels: np.ndarray,
    fractions: dict[str, float],
    seed: int,
    keys: Sequence[str] | None = None,
) -> np.ndarray:
    """Split name per trial: each subject's trials of each label cut by `fractions`.

    Stratified: every (subject, label) group is sorted by the trials' `keys` (their
    identity, e.g. recording and onset; default: their order), permuted (seeded by the
    group's rank among sorted subjects and labels) and cut at the rounded cumulative
    shares, so each split gets each subject's classes in the same proportions and the
    order trials are listed in does not matter. Unlabelled trials (NaN) form their own group.
    """
    names = list(fractions)
    total = sum(fractions.values())
    if not names or total <= 0 or any(v < 0 for v in fractions.values()):
        raise ConfigError(
            f"data.split_fractions: expected shares >= 0 that add up to > 0, got {fractions}"
        )
    bounds = np.cumsum([fractions[n] / total for n in names])
    subjects_a = np.asarray(subjects, dtype=object)
    labels_a = np.nan_to_num(np.asarray(labels, dtype=np.float64), nan=-np.inf)
    out = np.empty(len(subjects_a), dtype=object)
    for si, subject in enumerate(sorted(set(subjects_a.tolist()))):
        in_subject = subjects_a == subject
        for li, label in enumerate(np.unique(labels_a[in_subject])):
            rows = np.flatnonzero(in_subject & (labels_a == label))
            if keys is not None:
                rows = rows[
                    np.argsort(np.asarray(keys, dtype=object)[rows].astype(str), kind="stable")
                ]
            rows = rows[np.random.default_rng([seed, si, li]).permutation(len(rows))]
            cuts = np.round(bounds * len(rows)).astype(int)
            lo = 0
            for name, hi in zip(names, cuts, strict=True):
                out[rows[lo:hi]] = name
                lo = hi
    return out


RELEASE_SPLITS = {"train": "train", "dev": "val", "val": "val", "eval": "test", "test": "test"}


def official_split(extra: dict) -> str | None:
    """A recording's split in the corpus's own release (`official_split`, or `release_split`
    mapped to train/val/test: TUH's train/dev/eval folders), None if the corpus has none."""
    value = extra.get("official_split")
    if value:
        return str(value)
    release = extra.get("release_split")
    return RELEASE_SPLITS.get(str(release)) if release else None
