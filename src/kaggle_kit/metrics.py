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
