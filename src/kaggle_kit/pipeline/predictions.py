"""How table predictions are stored, checked and pooled: one row per id (a regression value or class
probabilities) in CSV. Other kinds store theirs their own way (kaggle_kit.detection.predictions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic


class TablePredictions:
    ext = "csv"

    def write(self, path: Path, frame: pd.DataFrame) -> None:
        atomic.write_csv(path, frame)

    def read(self, path: Path, id_column: str) -> pd.DataFrame:
        return pd.read_csv(path, dtype={id_column: str})

    def check_val(self, task, data, frame: pd.DataFrame, val_idx: np.ndarray, *, k: int) -> None:
        want = [str(data.ids[i]) for i in val_idx]
        if frame[task.id_column].astype(str).tolist() != want:
            raise UserError(f"fold {k}: its validation predictions do not cover the fold's rows in order; retrain "
                            "it with FORCE=1")

    def check_test(self, task, data, frame: pd.DataFrame, k: int, *, where) -> None:
        if frame[task.id_column].tolist() != [str(i) for i in data.test_ids]:
            raise UserError(f"fold {k} of {where} predicted another test set; retrain it with FORCE=1")
        missing = [c for c in task.prediction_columns(data) if c not in frame.columns]
        if missing:
            raise UserError(f"fold {k} of {where} has no predictions for {missing[:3]} (trained on other labels); "
                            "retrain it with FORCE=1")

    def values(self, task, data, frame: pd.DataFrame, split: str):
        return pred_array(frame, task.prediction_columns(data))

    def pool(self, task, data, parts: list[tuple[int, np.ndarray, pd.DataFrame]]) -> pd.DataFrame:
        """Every fold's validation frame, with a fold column, in training-row order."""
        frames, rows, columns = [], [], task.prediction_columns(data)
        for k, val_idx, frame in parts:
            frames.append(frame.assign(fold=k)[[task.id_column, "fold", *columns]])
            rows.append(val_idx)
        order = np.argsort(np.concatenate(rows), kind="stable")
        return pd.concat(frames, ignore_index=True).iloc[order].reset_index(drop=True)


def pred_array(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Prediction columns as an array: (n,) for one column, (n, d) for several."""
    arr = frame[columns].to_numpy(dtype=float)
    return arr[:, 0] if len(columns) == 1 else arr


def split_repeats(frame: pd.DataFrame, n_repeats: int) -> list[pd.DataFrame]:
    """An OOF frame per fold set: a repeated run's OOF file holds them all, told apart by its `repeat` column."""
    if "repeat" not in frame.columns:
        return [frame]
    return [frame[frame["repeat"] == r].drop(columns="repeat").reset_index(drop=True) for r in range(n_repeats)]
