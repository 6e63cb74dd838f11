"""Split-level metrics from scikit-learn, so that numbers match what papers compute.

Scores are probabilities: (N,) for binary (the positive class) or (N, K). Metrics
that cannot be computed on a split (AUROC with one class present) are None, never
a crash: a small validation split must not end a run.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def _safe(fn, *args, **kwargs) -> float | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = float(fn(*args, **kwargs))
    except ValueError:
        return None
    return None if np.isnan(value) else value


def classification_metrics(
    scores: np.ndarray, targets: np.ndarray, num_classes: int
) -> dict[str, Any]:
    """Accuracy, balanced accuracy, AUROC, AUC-PR, Cohen's kappa, weighted F1, confusion matrix.

    Binary AUROC / AUC-PR use the positive-class score (as pyhealth does for TUAB);
    multi-class ones are one-vs-rest macro averages.
    """
    from sklearn import metrics as skm

    targets = np.asarray(targets).astype(np.int64).reshape(-1)
    scores = np.asarray(scores, dtype=np.float64)
    binary = scores.ndim == 1 or scores.shape[-1] == 1
    if binary:
        scores = scores.reshape(-1)
        predicted = (scores >= 0.5).astype(np.int64)
        labels = [0, 1]
    else:
        predicted = scores.argmax(-1)
        labels = list(range(num_classes))
    present = np.unique(targets)
    result: dict[str, Any] = {
        "accuracy": _safe(skm.accuracy_score, targets, predicted),
        "balanced_accuracy": _safe(skm.balanced_accuracy_score, targets, predicted),
        "cohen_kappa": _safe(skm.cohen_kappa_score, targets, predicted, labels=labels),
        "f1_weighted": _safe(
            skm.f1_score, targets, predicted, average="weighted", labels=labels, zero_division=0
        ),
    }
    if len(present) < 2:
        result["auroc"] = result["auc_pr"] = None
    elif binary:
        result["auroc"] = _safe(skm.roc_auc_score, targets, scores)
        result["auc_pr"] = _safe(skm.average_precision_score, targets, scores)
    else:
        onehot = np.eye(num_classes)[targets]
        cols = [
            k for k in labels if onehot[:, k].any()
        ]  # classes absent from the split have no curve
        probs = scores / np.clip(scores.sum(-1, keepdims=True), 1e-12, None)
        result["auroc"] = _safe(skm.roc_auc_score, onehot[:, cols], probs[:, cols], average="macro")
        result["auc_pr"] = _safe(
            skm.average_precision_score, onehot[:, cols], probs[:, cols], average="macro"
        )
    result["confusion_matrix"] = skm.confusion_matrix(targets, predicted, labels=labels).tolist()
    result["num_samples"] = int(len(targets))
    return result


def regression_metrics(predictions: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
    """MSE, RMSE, MAE, R² and Pearson r."""
    from sklearn import metrics as skm

    predictions = np.asarray(predictions, dtype=np.float64).reshape(-1)
    targets = np.asarray(targets, dtype=np.float64).reshape(-1)
    mse = _safe(skm.mean_squared_error, targets, predictions)
    pearson = None
    if len(targets) > 1 and predictions.std() > 0 and targets.std() > 0:
        pearson = float(np.corrcoef(predictions, targets)[0, 1])
    return {
        "mse": mse,
        "rmse": None if mse is None else float(np.sqrt(mse)),
        "mae": _safe(skm.mean_absolute_error, targets, predictions),
        "r2": _safe(skm.r2_score, targets, predictions) if len(targets) > 1 else None,
        "pearson": pearson,
        "num_samples": int(len(targets)),
    }


# The order reports and tables list metrics in; a stage's own metrics follow, by name.
HEADLINE = (
    "balanced_accuracy",
    "accuracy",
    "auroc",
    "auc_pr",
    "cohen_kappa",
    "f1_weighted",
    "mse",
    "rmse",
    "mae",
    "r2",
    "pearson",
    "loss",
)


def scalar_rows(metrics: dict[str, Any]) -> list[tuple[str, float | None]]:
    """(name, value) of every scalar metric: the headline ones first, then the rest by name."""
    scalar = {
        k: v
        for k, v in metrics.items()
        if (isinstance(v, int | float) and not isinstance(v, bool)) or v is None
    }
    known = [k for k in HEADLINE if k in scalar]
    rest = sorted(k for k in scalar if k not in HEADLINE and k != "num_samples")
    return [(k, scalar[k]) for k in known + rest]


def pool_by_recording(
    recordings: np.ndarray, predictions: np.ndarray, targets: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Each recording's mean prediction over its windows and its (first) target: a
    recording-labelled corpus (TUAB) is judged per recording as well as per window."""
    ids = sorted({str(r) for r in recordings if str(r)})
    names = np.asarray([str(r) for r in recordings], dtype=object)
    pooled, truth = [], []
    for rid in ids:
        rows = names == rid
        pooled.append(np.asarray(predictions[rows], dtype=np.float64).mean(axis=0))
        truth.append(np.asarray(targets[rows])[0])
    if not ids:
        return [], np.zeros((0,)), np.zeros((0,))
    return ids, np.stack(pooled), np.asarray(truth)
