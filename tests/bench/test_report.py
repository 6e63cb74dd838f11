"""The report's arithmetic and its published-number column, on hand-made seed results."""

from __future__ import annotations

import pytest

from neurokit.bench import report


def group(model, seeds, dataset="tuab"):
    g = report.Group(dataset, model, model, "finetune")
    g.seeds = {s: {"balanced_accuracy": v, "auroc": v + 0.1} for s, v in seeds.items()}
    return g


def test_published_numbers_are_shown_beside_the_measured_mean():
    assert report.published_value("labram-base", "tuab", "balanced_accuracy") == 0.8140
    assert report.published_value("labram", "tuev", "cohen_kappa") == 0.6637  # alias
    assert report.published_value("tiny", "tuab", "balanced_accuracy") is None
    groups = [group("labram-base", {0: 0.80, 1: 0.82}), group("tiny", {0: 0.70, 1: 0.71})]
    text = report.markdown("b", groups, report.comparisons(groups), {})
    assert (
        "| labram-base | 0.8100 ± 0.0141 (paper 0.8140) | 0.9100 ± 0.0141 (paper 0.9022) |" in text
    )
    rows = {(r["model"], r["metric"]): r for r in report.rows(groups)}
    assert rows[("labram-base", "auroc")]["published"] == 0.9022
    assert rows[("tiny", "auroc")]["published"] is None


def test_a_paired_difference_has_the_t_interval_of_its_seeds():
    a, b = group("a", {0: 0.8, 1: 0.9, 2: 0.7}), group("b", {0: 0.7, 1: 0.7, 2: 0.7})
    result = report.paired(a, b, "balanced_accuracy")
    diffs = [0.1, 0.2, 0.0]  # mean 0.1, sd 0.1, t(0.975, 2) = 4.303
    half = 4.303 * 0.1 / 3**0.5
    assert result["difference"] == pytest.approx(0.1)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((0.1 - half, 0.1 + half))
    assert result["n"] == len(diffs)
    assert report.paired(a, group("c", {5: 0.1}), "balanced_accuracy") is None  # no shared seeds


def test_the_t_table_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    for n in (2, 3, 5, 10, 31, 41, 200):
        assert report.t_quantile(n) == pytest.approx(stats.t.ppf(0.975, n - 1), abs=2e-3)
