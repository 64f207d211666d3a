"""AutoGluon `best_quality` on one Kaggle-layout table, run by the AutoGluon virtualenv's Python (never the
kit's): fits on train.csv less the id, predicts test.csv in the sample submission's form, writes the CSV.
Used by scripts/bench_real_tables.py; AutoGluon is not a dependency of the kit.

usage: python autogluon_runner.py <data dir> <id> <target> <metric> <time limit s> <out.csv> <work dir>

Its leaderboard (each model's validation score and time) goes beside the CSV, <out>.leaderboard.csv, to see
which of its models carry the result."""

import sys
import time
from pathlib import Path

import pandas as pd
from autogluon.tabular import TabularPredictor

METRICS = {"auc": "roc_auc", "rmse": "root_mean_squared_error", "logloss": "log_loss", "accuracy": "accuracy"}


def main() -> None:
    data, id_col, target, metric, limit, out, work = sys.argv[1:8]
    train = pd.read_csv(f"{data}/train.csv")
    test = pd.read_csv(f"{data}/test.csv")
    sample = pd.read_csv(f"{data}/sample_submission.csv")
    problem = ("regression" if metric == "rmse" else "multiclass" if len(sample.columns) > 2 else "binary")
    if problem != "regression":
        train[target] = train[target].astype(str)
    start = time.perf_counter()
    predictor = TabularPredictor(label=target, eval_metric=METRICS[metric], problem_type=problem, path=work,
                                 verbosity=1)
    predictor.fit(train.drop(columns=[id_col]), presets="best_quality", time_limit=float(limit))
    x = test.drop(columns=[id_col])
    if problem == "regression":
        answer = pd.DataFrame({sample.columns[1]: predictor.predict(x).to_numpy()})
    else:
        proba = predictor.predict_proba(x)
        proba.columns = [str(c) for c in proba.columns]
        if problem == "binary":
            positive = sorted(proba.columns, key=lambda c: float(c) if c.replace(".", "").isdigit() else c)[-1]
            answer = pd.DataFrame({sample.columns[1]: proba[positive].to_numpy()})
        else:
            answer = proba[list(sample.columns[1:])].reset_index(drop=True)
    seconds = time.perf_counter() - start
    board = predictor.leaderboard(silent=True)
    frame = pd.concat([test[[id_col]].reset_index(drop=True), answer], axis=1)
    frame.to_csv(out, index=False)
    board.to_csv(Path(out).with_suffix(".leaderboard.csv"), index=False)
    best = board.iloc[0]
    print(f"seconds={seconds:.1f} best={best['model']} models={len(board)}")


if __name__ == "__main__":
    main()
