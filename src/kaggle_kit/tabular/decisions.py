"""Labels from probabilities for metrics that score labels (accuracy, F1, kappa): the positive-class threshold
(binary) or one weight per class multiplying the probabilities before the argmax (multiclass), tuned on OOF
rows. Tuned on every OOF row for the test set; for the reported CV, each fold's rows get the rule tuned on the
other folds only (nested), so the CV never sees a rule fitted on the rows it scores."""

from __future__ import annotations

import numpy as np

THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.01), 2)
CLASS_WEIGHTS = (0.5, 0.7, 0.85, 1.0, 1.2, 1.4, 2.0)
SWEEPS = 2


def labels(decision: dict | None, pred: np.ndarray) -> np.ndarray:
    """Class indices: threshold 0.5 / plain argmax without a decision."""
    pred = np.asarray(pred)
    if pred.ndim == 1:
        return (pred >= (decision or {}).get("threshold", 0.5)).astype(int)
    weights = np.asarray((decision or {}).get("class_weights", np.ones(pred.shape[1])))
    return (pred * weights).argmax(1)


def tune(metric, y: np.ndarray, pred: np.ndarray) -> dict:
    """The rule maximising metric(y, labels) on these rows (ties: the one nearest the untuned rule)."""
    pred = np.asarray(pred)
    if pred.ndim == 1:
        best = max(THRESHOLDS, key=lambda t: (metric(y, (pred >= t).astype(int)), -abs(t - 0.5)))
        return {"threshold": float(best)}
    w = np.ones(pred.shape[1])
    best = metric(y, labels({"class_weights": w}, pred))
    for _ in range(SWEEPS):
        changed = False
        for c in range(len(w)):
            for v in CLASS_WEIGHTS:
                trial = w.copy()
                trial[c] = v
                s = metric(y, labels({"class_weights": trial}, pred))
                if s > best + 1e-12:
                    best, w, changed = s, trial, True
        if not changed:
            break
    return {"class_weights": w.round(4).tolist()}


def nested_labels(metric, y: np.ndarray, pred: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """Each fold's labels by the rule tuned on the other folds' rows."""
    out = np.zeros(len(y), dtype=int)
    for k in np.unique(fold):
        held = fold == k
        out[held] = labels(tune(metric, y[~held], pred[~held]), pred[held])
    return out
