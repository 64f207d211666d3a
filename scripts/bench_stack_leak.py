"""Why the kit's stacks refit their members inside each fold: the CV of a level-2 model against its held-out
score, two ways, on real tables (../shared/data/tables, held-out answers apart).

- usual stacking: a level-2 model fitted per fold on the table's features plus the members' out-of-fold
  predictions (the members' runs of `make train`), scored on the fold's rows; test rows get the members'
  submissions. The members that predicted its training rows were fitted on the scored fold's rows.
- the kit's stack (`stack.members`, kaggle_kit.tabular.stacking): the members refitted on inner folds of each
  training fold.

Both level-2 models are linear (the kit's `linear` learner; for usual stacking scikit-learn's
LogisticRegressionCV / RidgeCV on the standardised one-hot features and the members' logits), on the same
folds and members. A CV far above the held-out score is the leak. Writes the stack-leak section of
docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from bench_real_tables import CASES, HIGHER, TABLES, score  # noqa: E402
from bench_report import kit, write_section  # noqa: E402

MEMBERS = ["gbdt", "linear", "extra_trees"]


def metric_of(metric: str, y, p) -> float:
    from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score

    if metric == "auc":
        return float(roc_auc_score(y, p))
    if metric == "rmse":
        return float(np.sqrt(mean_squared_error(y, p)))
    return float(log_loss(y, p, labels=np.arange(p.shape[1])))


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def usual_stack(work: Path, name: str, data: Path, metric: str) -> tuple[float, pd.DataFrame]:
    """The level-2 linear model on features + the members' OOF, per fold of the members' runs: (CV, test)."""
    from sklearn.linear_model import LogisticRegressionCV, RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    id_col, target, _ = CASES[name]
    train, test = pd.read_csv(data / "train.csv"), pd.read_csv(data / "test.csv")
    sample = pd.read_csv(data / "sample_submission.csv")
    both = pd.get_dummies(pd.concat([train.drop(columns=[id_col, target]), test.drop(columns=[id_col])]),
                          dtype=float)
    both = both.fillna(both.median())
    x, xt = both.iloc[:len(train)].to_numpy(), both.iloc[len(train):].to_numpy()
    answer = list(sample.columns[1:])
    oofs, subs = [], []
    for m in MEMBERS:
        oof = pd.read_csv(work / "runs" / name / f"{name}-{m}" / "oof.csv", dtype={id_col: str})
        oof = oof.set_index(id_col).loc[train[id_col].astype(str)]
        sub = pd.read_csv(work / "submissions" / name / f"{name}-{m}.csv", dtype={id_col: str})
        sub = sub.set_index(id_col).loc[test[id_col].astype(str)]
        cols = [c for c in oof.columns if c != "fold"]
        oofs.append(oof[cols].to_numpy(float))
        subs.append(sub[answer].to_numpy(float))
        fold = oof["fold"].to_numpy()
    regression = metric == "rmse"
    f = np.hstack([x] + [o if regression else logit(o) for o in oofs])
    ft = np.hstack([xt] + [s if regression else logit(s) for s in subs])
    if regression:
        y = train[target].to_numpy(float)
    else:
        classes = answer if len(answer) > 1 else sorted(train[target].astype(str).unique())
        y = pd.Index(classes).get_indexer(train[target].astype(str))
    out = np.zeros((len(y),) if regression or metric == "auc" else (len(y), len(answer)))
    test_pred = np.zeros((len(test),) + out.shape[1:])
    for k in np.unique(fold):
        fit = fold != k
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)) if regression else
                              LogisticRegressionCV(Cs=10, max_iter=2000))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(f[fit], y[fit])
        pred = model.predict if regression else (lambda a, m=model: m.predict_proba(a)[:, 1] if metric == "auc"
                                                 else m.predict_proba(a))
        out[~fit] = pred(f[~fit])
        test_pred += pred(ft) / len(np.unique(fold))
    frame = pd.DataFrame({id_col: test[id_col]})
    if test_pred.ndim == 1:
        frame[answer[0]] = test_pred
    else:
        frame = pd.concat([frame, pd.DataFrame(test_pred, columns=answer)], axis=1)
    return metric_of(metric, y, out), frame


def one_table(name: str, tables: Path) -> dict:
    id_col, target, metric = CASES[name]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "downloads" / name
        shutil.copytree(tables / name, data)
        kit("new", name, "--data", str(data), "--metric", metric, root=work)
        for m in MEMBERS:
            kit("train", name, "--config", f"configs/{name}-{m}.yaml", root=work)
            kit("submit", name, "--config", f"configs/{name}-{m}.yaml", root=work)
        (work / "configs" / f"{name}-kitstack.yaml").write_text(
            f"extends: {name}\nmodel: linear\nstack:\n  members: [{', '.join(MEMBERS)}]\n")
        kit("train", name, "--config", f"configs/{name}-kitstack.yaml", root=work)
        kit("submit", name, "--config", f"configs/{name}-kitstack.yaml", root=work)
        answers = pd.read_csv(tables / f"{name}.answers.csv")
        kit_cv = json.loads((work / "runs" / name / f"{name}-kitstack" / "cv.json").read_text())["score"]
        kit_held = score(metric, answers, pd.read_csv(work / "submissions" / name / f"{name}-kitstack.csv"),
                         id_col, target)
        usual_cv, usual_sub = usual_stack(work, name, data, metric)
        usual_held = score(metric, answers, usual_sub, id_col, target)
    return {"metric": metric, "usual": (usual_cv, usual_held), "kit": (kit_cv, kit_held)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="attrition,credit,concrete", help="comma-separated tables")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = {name: one_table(name, TABLES) for name in args.only.split(",")}
    lines = ["| table | metric | usual stacking: CV | held-out | CV - held-out (optimism) | the kit's stack: CV | "
             "held-out | CV - held-out (optimism) |", "|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        sign = 1 if HIGHER[r["metric"]] else -1
        (ucv, uh), (kcv, kh) = r["usual"], r["kit"]
        lines.append(f"| {name} | {r['metric']} | {ucv:.4f} | {uh:.4f} | {sign * (ucv - uh):+.4f} | {kcv:.4f} | "
                     f"{kh:.4f} | {sign * (kcv - kh):+.4f} |")
    body = ("A linear level-2 model on the table's features plus the out-of-fold predictions of "
            f"{', '.join(MEMBERS)} (each trained by `make train` with its defaults, 5 folds), two ways: usual "
            "stacking (the members' OOF as they are) and the kit's stack (`stack.members`: the members refitted "
            "on 4 inner folds of each training fold). Same folds, same members; the held-out rows are the "
            "tables' answers. Optimism: how much better the CV reads than the held-out score (positive: the "
            "CV flatters). `make bench-stack-leak`.\n\n" + "\n".join(lines))
    print(body)
    if not args.no_write:
        write_section(ROOT / "docs" / "BENCHMARKS.md", "stack-leak",
                      "Stacking: the usual leak against the kit's inner-fold members", body)


if __name__ == "__main__":
    main()
