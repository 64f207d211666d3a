"""Fold assignment with scikit-learn splitters, stored once per (ids, n_folds, fold_seed, kind) and shared by
every experiment on the same data, so blends compare like with like."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.config import stable_hash
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic

KINDS = ("kfold", "stratified", "group", "stratified_group", "multilabel")


def check_classes(kind: str, y, n_folds: int) -> None:
    """Stratified folds need every class in at least n_folds rows."""
    if kind not in ("stratified", "stratified_group") or y is None:
        return
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    if counts.min() < n_folds:
        raise UserError(f"class {labels[counts.argmin()]!r} has {counts.min()} rows, fewer than {n_folds} "
                        "folds; lower `folds` or drop/merge that class")


def make_folds(n_rows: int, n_folds: int, seed: int, kind: str = "kfold", *, y=None, groups=None) -> np.ndarray:
    """Fold number (0..n_folds-1) of every row."""
    from sklearn.model_selection import (  # when folds are made
        GroupKFold,
        KFold,
        StratifiedGroupKFold,
        StratifiedKFold,
    )

    if kind not in KINDS:
        raise ValueError(f"unknown fold kind {kind!r}; one of {KINDS}")
    if n_rows < n_folds:
        raise UserError(f"{n_rows} training rows cannot be split into {n_folds} folds; lower `folds`")
    X = np.zeros((n_rows, 1))
    if kind == "kfold":
        splitter, args = KFold(n_folds, shuffle=True, random_state=seed), (X,)
    elif kind == "stratified":
        splitter, args = StratifiedKFold(n_folds, shuffle=True, random_state=seed), (X, y)
    elif kind == "group":
        splitter, args = GroupKFold(n_folds, shuffle=True, random_state=seed), (X, None, groups)
    elif kind == "stratified_group":
        splitter, args = StratifiedGroupKFold(n_folds, shuffle=True, random_state=seed), (X, y, groups)
    else:
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:    # one label: its absence as a second, so it stays an indicator
            y = np.column_stack([y, 1 - y])
        splitter, args = MultilabelStratifiedKFold(n_folds, shuffle=True, random_state=seed), (X, y)
    check_classes(kind, y, n_folds)
    fold = np.full(n_rows, -1, dtype=np.int64)
    for k, (_, val_idx) in enumerate(splitter.split(*args)):
        fold[val_idx] = k
    assert (fold >= 0).all()
    return fold


def ids_fingerprint(ids) -> str:
    return stable_hash([str(i) for i in ids])


def folds_path(folds_dir: Path, ids, n_folds: int, fold_seed: int, *, kind: str, groups=None) -> Path:
    grouped = "" if groups is None else f"-g{stable_hash([int(g) for g in groups])}"
    return Path(folds_dir) / f"{kind}-k{n_folds}-seed{fold_seed}-{ids_fingerprint(ids)}{grouped}.csv"


def load_or_make_folds(folds_dir: Path, ids, n_folds: int, fold_seed: int, *, kind: str = "kfold",
                       y=None, groups=None) -> tuple[np.ndarray, Path]:
    """Fold of every row (in `ids` order) and the file that stores it; made and written on first use."""
    path = folds_path(folds_dir, ids, n_folds, fold_seed, kind=kind, groups=groups)
    ids_str = [str(i) for i in ids]
    if path.is_file():
        stored = pd.read_csv(path, dtype={"id": str})
        if stored["id"].tolist() != ids_str:
            raise UserError(f"folds file {path} does not match the training ids; delete it to remake the folds")
        return stored["fold"].to_numpy(), path
    fold = make_folds(len(ids_str), n_folds, fold_seed, kind, y=y, groups=groups)
    atomic.write_csv(path, pd.DataFrame({"id": ids_str, "fold": fold}))
    return fold, path
