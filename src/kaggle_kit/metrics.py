"""Competition metrics on plain arrays."""

import numpy as np


def rmse(y_true, y_pred) -> float:
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def rmse_log(true, pred) -> float:
    """RMSE between log(predicted) and log(observed) (Kaggle's RMSLE-like metrics on positive targets)."""
    return rmse(np.log(true), np.log(np.clip(pred, 1e-9, None)))


def accuracy(y_true, y_pred) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def log_loss(y_true, probs) -> float:
    """Multi-class log loss of class indices against probability rows, clipped at 1e-15 and each row normalised
    (Kaggle's own scoring); a 1-d `probs` is the positive class's probability."""
    from sklearn.metrics import log_loss as sk_log_loss

    p = np.clip(np.asarray(probs, dtype=float), 1e-15, 1 - 1e-15)
    if p.ndim == 2:
        return float(sk_log_loss(y_true, p / p.sum(1, keepdims=True), labels=np.arange(p.shape[1])))
    return float(sk_log_loss(y_true, p, labels=[0, 1]))
