"""Turn a complete run's per-fold test predictions into a validated submission file."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaggle_kit import runs
from kaggle_kit.config import TrainConfig
from kaggle_kit.errors import UserError
from kaggle_kit.kfold import say
from kaggle_kit.paths import RunPaths
from kaggle_kit.task import Task, TrainData, pred_array


def complete_run_folds(task: Task, cfg: TrainConfig, data: TrainData, paths: RunPaths) -> list[int]:
    """The folds of a run that matches cfg and data; an error unless every fold is complete."""
    if not paths.fingerprint.is_file():
        raise UserError(f"no trained run in {paths.run_dir}; run `make {task.name}-train` with the same CONFIG "
                        "first")
    fingerprint = runs.run_fingerprint(cfg, data.fingerprint)
    runs.check_fingerprint(paths, fingerprint, force=False, command="submit")
    missing = [k for k in range(cfg.folds) if not runs.fold_complete(paths, k, fingerprint["hash"])]
    if missing:
        raise UserError(f"folds {' '.join(map(str, missing))} of {paths.run_dir} are not trained; run "
                        f"`make {task.name}-train` (FOLDS=\"{' '.join(map(str, missing))}\") first")
    return list(range(cfg.folds))


def fold_test_preds(task: Task, data: TrainData, paths: RunPaths, folds: list[int]) -> list[np.ndarray]:
    want = [str(i) for i in data.test_ids]
    preds = []
    for k in folds:
        frame = pd.read_csv(paths.fold_dir(k) / "test_pred.csv", dtype={task.id_column: str})
        if frame[task.id_column].tolist() != want:
            raise UserError(f"fold {k} of {paths.run_dir} predicted another test set; retrain it with FORCE=1")
        preds.append(pred_array(frame, task.pred_columns))
    return preds


def write_submission(task: Task, data: TrainData, pred: np.ndarray, path) -> pd.DataFrame:
    frame = task.submission_frame(data, pred)
    task.check_submission(frame, data)
    task.write_submission(frame, path)
    return frame


def submit(task: Task, cfg: TrainConfig, data: TrainData, paths: RunPaths):
    folds = complete_run_folds(task, cfg, data, paths)
    pred = task.fold_ensemble(cfg, fold_test_preds(task, data, paths, folds))
    path = paths.submission(task.submission_ext)
    frame = write_submission(task, data, pred, path)
    say(f"wrote {path} ({len(frame)} rows, {cfg.ensemble} of {len(folds)} folds)")
    return path
