"""Ensembling as plain numpy over saved predictions; never needs a model loaded.

Regression inputs are lists of (n,) arrays; classification inputs lists of (n, classes) probabilities.
"""

from __future__ import annotations

import numpy as np


def _stack(preds) -> np.ndarray:
    arr = np.stack([np.asarray(p, dtype=float) for p in preds])
    if not np.isfinite(arr).all():
        raise ValueError("predictions contain NaN or inf")
    return arr


def _weights(weights, n: int) -> np.ndarray:
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"need {n} non-negative weights with a positive sum, got {weights}")
    return w / w.sum()


def mean(preds) -> np.ndarray:
    return _stack(preds).mean(0)


def weighted_mean(preds, weights) -> np.ndarray:
    arr = _stack(preds)
    return np.tensordot(_weights(weights, len(arr)), arr, axes=1)


def prob_mean(probs, weights=None) -> np.ndarray:
    """(Weighted) mean of class probabilities, shape (n, classes)."""
    return weighted_mean(probs, weights)


def majority_vote(probs, weights=None) -> np.ndarray:
    """Class index with the most (weighted) votes; ties go to the higher summed probability."""
    arr = _stack(probs)
    m, n, c = arr.shape
    w = _weights(weights, m)
    votes = np.zeros((n, c))
    np.add.at(votes, (np.arange(n)[None, :].repeat(m, 0), arr.argmax(2)), w[:, None].repeat(n, 1))
    tiebreak = np.tensordot(w, arr, axes=1)
    top = votes == votes.max(1, keepdims=True)
    return np.where(top, tiebreak, -np.inf).argmax(1)
