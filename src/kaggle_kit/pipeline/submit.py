"""Turn a complete run's per-fold test predictions into a validated submission file.

A task with a prediction key (image classification and detection: `tta`) keeps one prediction set per setting: the one the run was
trained with in each fold folder, any other in fold<k>/<key>-<value>/, predicted from the fold's checkpoint
the first time it is asked for, with the fold's own validation rows, so its OOF score describes it."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd

from kaggle_kit.config import TrainConfig
from kaggle_kit.errors import UserError
from kaggle_kit.paths import RunPaths, test_pred, val_pred
from kaggle_kit.pipeline import runs
from kaggle_kit.pipeline.cross_validate import fold_rows, pool_oof, run_fold_sets, say, write_fold_preds
from kaggle_kit.pipeline.cv_result import read_cv
from kaggle_kit.task import FoldContext, Task, TrainData


def complete_run_folds(task: Task, cfg: TrainConfig, data: TrainData, paths: RunPaths) -> list[int]:
    """The folds of a run that matches cfg and data; an error unless every fold is complete."""
    if not paths.fingerprint.is_file():
        raise UserError(f"no trained run in {paths.run_dir}; run `{task.make('train')}` with the same CONFIG "
                        "first")
    fingerprint = runs.run_fingerprint(cfg, data.fingerprint)
    runs.check_fingerprint(paths, fingerprint, force=False, command="submit")
    missing = [k for k in range(cfg.total_folds) if not runs.fold_complete(paths, k, fingerprint["hash"])]
    if missing:
        raise UserError(f"folds {' '.join(map(str, missing))} of {paths.run_dir} are not trained; run "
                        f"`{task.make('train')}` (FOLDS=\"{' '.join(map(str, missing))}\") first")
    return list(range(cfg.total_folds))


def prediction_variant(task: Task, cfg: TrainConfig, paths: RunPaths, folds: list[int]) -> str | None:
    """None when cfg asks for the predictions the folds were trained with, else "<key>-<value>"."""
    key = task.prediction_key
    if key is None:
        return None
    value = task.prediction_value(cfg)
    trained = {str(runs.fold_metrics(paths, k).get(key)) for k in folds}
    return None if trained == {value} else f"{key}-{value}"


def ensure_predictions(task: Task, cfg: TrainConfig, data: TrainData, paths: RunPaths, *, folds: list[int],
                       variant: str | None) -> bool:
    """Predict every fold that lacks the variant's prediction set; True if any was made now. All folds are
    predicted before any is written, so a fold that cannot be predicted leaves every folder as it was."""
    if variant is None:
        return False
    sets = run_fold_sets(paths, data)
    made = {}
    for k in folds:
        final = paths.pred_dir(k, variant)
        ext = task.preds.ext
        if val_pred(final, ext).is_file() and test_pred(final, ext).is_file():
            continue
        train_idx, val_idx = fold_rows(sets, k, cfg.folds)
        say(f"fold {k}: predicting validation and test rows with {variant} from its checkpoint")
        ctx = FoldContext(fold=k, dir=paths.fold_dir(k), train_idx=train_idx, val_idx=val_idx,
                          cache_dir=paths.cache_dir)
        made[k] = task.predict_fold(cfg, data, ctx)
        task.preds.check_val(task, data, made[k].val, val_idx, k=k)
    for k, out in made.items():
        final = paths.pred_dir(k, variant)
        stage = final.with_name(f".{final.name}.partial")
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir()
        write_fold_preds(task, stage, out)
        stage.rename(final)
    return bool(made)


def fold_test_preds(task: Task, data: TrainData, paths: RunPaths, folds: list[int],
                    *, variant: str | None = None) -> list[np.ndarray]:
    preds = []
    for k in folds:
        frame = task.preds.read(test_pred(paths.pred_dir(k, variant), task.preds.ext), task.id_column)
        task.preds.check_test(task, data, frame, k, where=paths.run_dir)
        preds.append(task.preds.values(task, data, frame, "test"))
    return preds


def submitted_prediction(task: Task, cfg: TrainConfig, data: TrainData, paths: RunPaths, folds: list[int], *,
                         variant: str | None = None) -> np.ndarray:
    """The test predictions a submission of the run answers with: the ensemble of every fold model's (all
    fold sets' with fold_repeats). Blends take their members' from here too."""
    return task.fold_ensemble(cfg, fold_test_preds(task, data, paths, folds, variant=variant), data)


def write_submission(task: Task, data: TrainData, pred: np.ndarray, path, *,
                     decision: dict | None = None) -> pd.DataFrame:
    frame = task.submission_frame(data, pred, **({"decision": decision} if decision is not None else {}))
    task.check_submission(frame, data)
    task.write_submission(frame, path)
    return frame


def submit(task: Task, cfg: TrainConfig, data: TrainData, paths: RunPaths):
    folds = complete_run_folds(task, cfg, data, paths)
    variant = prediction_variant(task, cfg, paths, folds)
    if ensure_predictions(task, cfg, data, paths, folds=folds, variant=variant) or not paths.cv_for(variant).is_file():
        cv = pool_oof(task, data, paths, cfg.folds, variant=variant)     # prints the CV of what is submitted
    else:
        cv = read_cv(paths.cv_for(variant))
        say(f"CV {cv.metric} of these predictions: {cv.score:.5f}{cv.se_text()} ({paths.cv_for(variant).name})")
    pred = submitted_prediction(task, cfg, data, paths, folds, variant=variant)
    path = paths.submission(task.submission_ext, task.submission_stem(paths.exp))
    frame = write_submission(task, data, pred, path, decision=cv.decision)
    say(f"wrote {path} ({len(frame)} rows, {cfg.ensemble} of {len(folds)} folds"
        + (f", labels by {cv.decision} tuned out of fold" if cv.decision is not None else "") + ")")
    return path
