"""The tabular kind: what every competition of one table with one target shares. A competition of the kind
reads its files into TableData and fits its folds; the kind stores one prediction per row and averages folds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.config import TrainConfig
from kaggle_kit.errors import UserError
from kaggle_kit.paths import FOLD_STARTED, val_pred
from kaggle_kit.task import Task, TrainData


@dataclass(kw_only=True)
class TableData(TrainData):
    train: pd.DataFrame            # the training table as read (every column, file order)
    test: pd.DataFrame             # the test table as read
    y: np.ndarray                  # the target in the space predictions are made in, one entry per training row


class TabularTask(Task):
    def target(self, data: TableData) -> np.ndarray:
        return data.y

    def fold_ensemble(self, cfg: TrainConfig, preds: list[np.ndarray], data: TableData | None = None) -> np.ndarray:
        """The folds' predictions averaged (ensemble: mean) or their median (ensemble: median)."""
        return np.median(preds, 0) if cfg.ensemble == "median" else np.mean(preds, 0)


def fold_train_rows(data: TableData, fold_dir: Path, id_column: str) -> np.ndarray:
    """The training rows of the fold model in fold_dir: every row its validation predictions (val_pred.csv) do
    not cover, as folds split the rows, checked against the training ids the fold was started with. What a fold
    model fitted on them (a clip range, categories) is found again from these rows when it predicts offline."""
    from kaggle_kit.pipeline.folds import ids_fingerprint

    val = pd.read_csv(val_pred(fold_dir, "csv"), dtype={id_column: str}, usecols=[id_column])[id_column]
    at = pd.Index([str(i) for i in data.ids]).get_indexer(val)
    rows = np.setdiff1d(np.arange(len(data.ids)), at)
    started = fold_dir / FOLD_STARTED
    if (at < 0).any() or (started.is_file() and json.loads(started.read_text())["train_ids"]
                          != ids_fingerprint([data.ids[i] for i in rows])):
        raise UserError(f"{fold_dir}: this fold model was trained on other training rows than the ones in the "
                        "data given; point --data at the competition's files it was trained on")
    return rows
