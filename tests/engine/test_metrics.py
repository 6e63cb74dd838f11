"""Split metrics: the numbers scikit-learn gives, and no crash on degenerate splits."""

from __future__ import annotations

import numpy as np
import pytest

from neurokit.core.engine.metrics import classification_metrics, regression_metrics


def test_binary_metrics_use_the_positive_score():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.1, 0.6, 0.8, 0.4, 0.9, 0.2])
    m = classification_metrics(p, y, 2)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["balanced_accuracy"] == pytest.approx(4 / 6)
    assert m["auroc"] == pytest.approx(8 / 9)  # 8 of 9 positive/negative pairs ordered
    assert m["confusion_matrix"] == [[2, 1], [1, 2]]
    assert 0 < m["auc_pr"] <= 1 and m["cohen_kappa"] == pytest.approx(1 / 3)


def test_multiclass_balanced_accuracy_is_macro_recall():
    y = np.array([0, 0, 0, 0, 1, 2])
    scores = np.eye(3)[[0, 0, 0, 0, 0, 2]]  # class 1 always missed
    m = classification_metrics(scores, y, 3)
    assert m["accuracy"] == pytest.approx(5 / 6)
    assert m["balanced_accuracy"] == pytest.approx((1 + 0 + 1) / 3)
    assert m["confusion_matrix"] == [[4, 0, 0], [1, 0, 0], [0, 0, 1]]
    assert m["f1_weighted"] is not None and m["auroc"] is not None


def test_single_class_split_gives_none_not_a_crash():
    m = classification_metrics(np.array([0.2, 0.7]), np.array([1, 1]), 2)
    assert m["auroc"] is None and m["auc_pr"] is None
    assert m["accuracy"] == 0.5


def test_regression_metrics():
    m = regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    assert m["mse"] == pytest.approx(4 / 3) and m["mae"] == pytest.approx(2 / 3)
