"""Early stopping inside the training fold: a share of the fold's training rows, split off as the outer folds
split (stratified on the classes, or keeping groups together), on which the boosted trees choose their rounds
and the MLP its epoch. The scored fold is never read. The boosted trees then fit again on every training row of
the fold with the chosen rounds, scaled by the rows they gain (`refit`)."""

from __future__ import annotations

import warnings

import numpy as np


def inner_split(y: np.ndarray, groups: np.ndarray | None, fold_kind: str, share: float, seed: int,
                classes: bool = False) -> np.ndarray | None:
    """A mask over the training rows: True on those held out for early stopping; None when share is 0.
    `fold_kind` is the kind the outer folds were split by (stratified_group where groups stratify). With
    `classes`, every class keeps a row outside the mask, so each model still sees every class it is scored on."""
    from sklearn.model_selection import (
        GroupShuffleSplit,
        ShuffleSplit,
        StratifiedGroupKFold,
        StratifiedShuffleSplit,
    )

    n = len(y)
    if share <= 0 or n < 10:
        return None
    seed = seed % 2**32
    counts = np.unique(y, return_counts=True)[1] if classes else np.array([])
    if groups is not None and fold_kind == "stratified_group":
        splits = max(2, round(1 / share))
        with warnings.catch_warnings():     # a class rarer than the splits: handled below, not the user's to fix
            warnings.simplefilter("ignore", UserWarning)
            _, held = next(StratifiedGroupKFold(splits, shuffle=True, random_state=seed).split(np.zeros(n), y,
                                                                                                groups))
    elif groups is not None:
        _, held = next(GroupShuffleSplit(1, test_size=share, random_state=seed).split(np.zeros(n), y, groups))
    elif "stratified" in fold_kind and classes and counts.min() >= 2:
        _, held = next(StratifiedShuffleSplit(1, test_size=share, random_state=seed).split(np.zeros(n), y))
    else:
        _, held = next(ShuffleSplit(1, test_size=share, random_state=seed).split(np.zeros(n)))
    mask = np.zeros(n, bool)
    mask[held] = True
    if classes:
        for c in np.unique(y):                   # a class wholly held out: its rows go back to training
            if mask[y == c].all():
                mask[y == c] = False
    return mask


def refit_rounds(best: int, stop: np.ndarray) -> int:
    """The rounds to fit on every training row: the chosen ones times the rows' growth (all / inner-train)."""
    return max(1, int(round(best * len(stop) / max(1, int((~stop).sum())))))


def rows(x, mask: np.ndarray):
    """x's rows where mask (a frame, an array or a sparse matrix)."""
    return x[mask] if not hasattr(x, "iloc") else x.iloc[np.flatnonzero(mask)]
