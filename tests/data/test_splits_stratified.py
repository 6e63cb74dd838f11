"""Subject-level splits are stratified by label where labels are per recording (issue 10, #20)."""

from __future__ import annotations

from neurokit.core.data.splits import split_subjects

FRACTIONS = {"train": 0.6, "val": 0.2, "test": 0.2}


def test_a_small_corpus_gets_every_class_in_every_split():
    # 5 normal and 5 abnormal subjects, 2 per held-out split: each must hold both classes
    subjects = [f"s{i}" for i in range(10)]
    labels = {s: ("abnormal" if i % 2 else "normal") for i, s in enumerate(subjects)}
    plain = split_subjects(subjects, FRACTIONS, seed=3)
    stratified = split_subjects(subjects, FRACTIONS, seed=3, labels=labels)
    classes = {
        split: {labels[s] for s, where in stratified.items() if where == split}
        for split in FRACTIONS
    }
    assert all(found == {"normal", "abnormal"} for found in classes.values()), classes
    assert set(stratified) == set(subjects) and set(plain) == set(subjects)
    sizes = [sorted(d.values()).count(name) for d in (plain, stratified) for name in FRACTIONS]
    assert sizes[:3] == sizes[3:]  # stratifying keeps the split sizes
    assert stratified == split_subjects(reversed(subjects), FRACTIONS, seed=3, labels=labels)


def test_the_probe_split_missed_a_class_without_stratification():
    subjects = [f"s{i}" for i in range(10)]
    labels = {s: ("abnormal" if i % 2 else "normal") for i, s in enumerate(subjects)}
    misses = 0
    for seed in range(20):
        plain = split_subjects(subjects, FRACTIONS, seed=seed)
        val = {labels[s] for s, where in plain.items() if where == "val"}
        misses += len(val) < 2
    assert misses > 0  # the failure stratification prevents is real for unstratified splits
