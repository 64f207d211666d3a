"""The tabular kind: what every competition of one table with one target shares. A competition of the kind
reads its files into TableData and fits its folds; the kind stores one prediction per row and averages folds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaggle_kit.config import TrainConfig
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
