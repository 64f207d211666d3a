"""`make auto` on real tables it has never seen, against what a competitor would run instead: a default
LightGBM 5-fold and AutoGluon `best_quality` at the same time budget. Each table is a Kaggle-layout download
(../shared/data/tables/<name>/: train.csv, test.csv, sample_submission.csv) whose held-out answers
(<name>.answers.csv) score every submission the same way. Writes the real-tables section of
docs/BENCHMARKS.md.

AutoGluon is not a dependency of the kit: it is installed into its own virtualenv (.bench/autogluon) on the
first run, and its results are kept in .bench/autogluon-results/ by table and budget (it does not change with
the kit's code; --rerun-autogluon fits it again), with its submission, so that the difference to make auto gets
a paired bootstrap SE over the held-out rows. make auto's submissions are kept beside them
(.bench/kit-results/).

One run of make auto is one draw: its folds (fold_seed) and seeds move the held-out score too, by more than
the gap on some tables. `--fold-seeds "1 2 3 4 5"` runs make auto again with each of those fold seeds (ARGS=
"fold_seed=N", each in a fresh work root) on the tables --only names, and writes their mean and spread beside
AutoGluon's in the real-tables-fold-seeds section."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from bench_report import kit, write_section  # noqa: E402

TABLES = ROOT.parent / "shared" / "data" / "tables"
BENCH = ROOT / ".bench"
AG_VENV = BENCH / "autogluon"
AG_RESULTS = BENCH / "autogluon-results"
KIT_RESULTS = BENCH / "kit-results"
REPLICATES = 2000               # bootstrap resamples of the held-out rows for a paired SE
AG_PACKAGES = ["autogluon.tabular[lightgbm,catboost,xgboost,fastai]==1.6.3"]
CASES = {  # table: (id, target, metric) as the README of the tables states them
    "credit": ("id", "Status", "auc"), "attrition": ("id", "Attrition", "auc"),
    "concrete": ("id", "compressive_strength", "rmse"), "fine_foods": ("id", "score", "auc"),
    "satellite": ("id", "classes", "logloss"), "mortgage": ("id", "deny", "auc"),
}
HIGHER = {"auc": True, "rmse": False, "logloss": False}


def held_out(metric: str, answers: pd.DataFrame, sub: pd.DataFrame, id_col: str, target: str):
    """(truth, prediction) of the held-out rows in the answers' order: class indices and probabilities for a log
    loss, values otherwise."""
    merged = answers.merge(sub, on=id_col, suffixes=("", "_pred"), how="left", validate="one_to_one",
                           indicator=True)
    if (merged["_merge"] != "both").any():
        raise SystemExit(f"the submission does not answer every one of the {len(answers)} held-out rows")
    if metric == "logloss":
        classes = sorted(c for c in sub.columns if c != id_col)     # one order, whichever the file's
        p = merged[classes].to_numpy(float)
        y = pd.Index(classes).get_indexer(merged[target].astype(str))
        if (y < 0).any():
            raise SystemExit(f"held-out classes {sorted(set(merged[target].astype(str)) - set(classes))} have no "
                             "column in the submission")
        return y, p / p.sum(1, keepdims=True)
    truth = merged[target].astype(int) if metric == "auc" else merged[target]
    return truth.to_numpy(), merged[f"{target}_pred"].to_numpy(float)


def metric_of(metric: str, y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if metric == "auc":
        return float(roc_auc_score(y, p))
    if metric == "rmse":
        return float(np.sqrt(np.mean((y - p) ** 2)))
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-15, None)).mean())


def score(metric: str, answers: pd.DataFrame, sub: pd.DataFrame, id_col: str, target: str) -> float:
    return metric_of(metric, *held_out(metric, answers, sub, id_col, target))


def paired_se(metric: str, answers: pd.DataFrame, ours: pd.DataFrame, theirs: pd.DataFrame, id_col: str,
              target: str) -> float:
    """The SE of score(ours) - score(theirs) over held-out rows drawn again with replacement, both scored on
    the same draw (a paired bootstrap, REPLICATES draws)."""
    y, a = held_out(metric, answers, ours, id_col, target)
    _, b = held_out(metric, answers, theirs, id_col, target)
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(REPLICATES):
        rows = rng.integers(0, len(y), len(y))
        if metric == "auc" and len(np.unique(y[rows])) < 2:
            continue
        diffs.append(metric_of(metric, y[rows], a[rows]) - metric_of(metric, y[rows], b[rows]))
    return float(np.std(diffs, ddof=1))


def default_lightgbm(data: Path, id_col: str, target: str, metric: str) -> pd.DataFrame:
    """LightGBM with its defaults on 5 stratified (or shuffled) folds, text columns as pandas categories, the
    folds' test predictions averaged: what a competitor's first baseline is."""
    import lightgbm as lgb
    from sklearn.model_selection import KFold, StratifiedKFold

    train, test = pd.read_csv(data / "train.csv"), pd.read_csv(data / "test.csv")
    sample = pd.read_csv(data / "sample_submission.csv")
    x, xt = train.drop(columns=[id_col, target]), test.drop(columns=[id_col])
    for c in x.columns:
        if not pd.api.types.is_numeric_dtype(x[c]):
            cats = pd.CategoricalDtype(sorted(x[c].dropna().unique()))
            x[c], xt[c] = x[c].astype(cats), xt[c].astype(cats)
    y = train[target]
    regression = metric == "rmse"
    if not regression:
        classes = list(sample.columns[1:]) if len(sample.columns) > 2 else sorted(y.astype(str).unique())
        y = pd.Series(pd.Index(classes).get_indexer(y.astype(str)))
    split = (KFold if regression else StratifiedKFold)(5, shuffle=True, random_state=42)
    preds = []
    for fit, _ in split.split(x, y):
        model = (lgb.LGBMRegressor if regression else lgb.LGBMClassifier)(verbose=-1, random_state=0)
        model.fit(x.iloc[fit], y.iloc[fit])
        preds.append(model.predict(xt) if regression else model.predict_proba(xt))
    p = np.mean(preds, 0)
    if regression:
        return pd.DataFrame({id_col: test[id_col], target: p})
    if p.shape[1] == 2 and len(sample.columns) == 2:
        return pd.DataFrame({id_col: test[id_col], target: p[:, 1]})
    return pd.concat([test[[id_col]], pd.DataFrame(p, columns=list(sample.columns[1:]))], axis=1)


def ensure_autogluon() -> Path:
    python = AG_VENV / "bin" / "python"
    if not (AG_VENV / ".installed").is_file():
        print(f"installing AutoGluon into {AG_VENV} (once; not a kit dependency)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(AG_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "torch==2.13.0"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *AG_PACKAGES], check=True)
        (AG_VENV / ".installed").write_text("\n".join(AG_PACKAGES) + "\n")
    return python


def autogluon(name: str, data: Path, budget: int, rerun: bool) -> dict:
    id_col, target, metric = CASES[name]
    cached, kept = AG_RESULTS / f"{name}-{budget}s.json", AG_RESULTS / f"{name}-{budget}s.csv"
    if cached.is_file() and kept.is_file() and not rerun:
        return json.loads(cached.read_text())
    python = ensure_autogluon()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sub.csv"
        start = time.perf_counter()
        proc = subprocess.run([str(python), str(ROOT / "scripts" / "autogluon_runner.py"), str(data), id_col, target,
                               metric, str(budget), str(out), str(Path(tmp) / "ag")], capture_output=True, text=True,
                              env={**os.environ, "OMP_NUM_THREADS": str(os.cpu_count())})
        seconds = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(f"AutoGluon failed on {name}:\n{proc.stderr[-3000:]}")
        answers = pd.read_csv(TABLES / f"{name}.answers.csv")
        result = {"score": score(metric, answers, pd.read_csv(out), id_col, target), "seconds": round(seconds, 1),
                  "note": proc.stdout.strip().splitlines()[-1]}
        AG_RESULTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, kept)
        shutil.copyfile(out.with_suffix(".leaderboard.csv"), kept.with_suffix(".leaderboard.csv"))
    cached.write_text(json.dumps(result) + "\n")
    return result


def kit_auto(name: str, data: Path, budget: int, work: Path, fold_seed: int | None = None) -> dict:
    """make new + make auto TIME=<budget> in a fresh work root: the held-out score of auto.csv, the time, each
    learner's CV and the blend's rule. With a fold seed: ARGS="fold_seed=N", and the submission is not kept."""
    id_col, target, metric = CASES[name]
    kit("new", name, "--data", str(data), "--metric", metric, root=work)
    start = time.perf_counter()
    extra = ("--args", f"fold_seed={fold_seed}") if fold_seed is not None else ()
    proc = kit("auto", name, "--time", str(budget), *extra, root=work)
    seconds = time.perf_counter() - start
    answers = pd.read_csv(TABLES / f"{name}.answers.csv")
    sub = pd.read_csv(work / "submissions" / name / "auto.csv")
    if fold_seed is None:
        KIT_RESULTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "submissions" / name / "auto.csv", KIT_RESULTS / f"{name}-{budget}s.csv")
    cvs = {}
    for cv in sorted((work / "runs" / name).glob(f"{name}-*/cv.json")):
        cvs[cv.parent.name.removeprefix(f"{name}-")] = json.loads(cv.read_text())["score"]
    source = json.loads((work / "runs" / name / "auto.json").read_text())["source"]
    blend_json = work / "runs" / name / "blends" / f"{source}.json"
    rule = json.loads(blend_json.read_text())["rule"] if blend_json.is_file() else source
    skipped = [line for line in proc.stderr.splitlines() if "skipped" in line]
    return {"score": score(metric, answers, sub, id_col, target), "seconds": round(seconds, 1), "cvs": cvs,
            "rule": rule, "skipped": skipped}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", default=None, help="the folder of the tables and their answers "
                        "(default: ../shared/data/tables)")
    parser.add_argument("--time", type=int, default=600, help="the budget of make auto and AutoGluon, seconds")
    parser.add_argument("--only", default="", help="comma-separated tables (default: all six)")
    parser.add_argument("--rerun-autogluon", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs/BENCHMARKS.md")
    parser.add_argument("--keep", default=None, help="a folder to keep each table's make auto work root in "
                        "(<keep>/<table>); default: a temporary one")
    parser.add_argument("--autogluon-only", action="store_true", help="fit and keep AutoGluon's results only "
                        "(those not kept yet, or all with --rerun-autogluon); no make auto, nothing written")
    parser.add_argument("--fold-seeds", default="", help='make auto again with each of these fold seeds, "1 2 3 4 5", '
                        "on the --only tables: its mean and spread against AutoGluon (the fold-seeds section)")
    args = parser.parse_args()
    global TABLES
    TABLES = Path(args.tables) if args.tables else TABLES
    names = [n for n in (args.only.split(",") if args.only else CASES)]
    if args.autogluon_only:
        for name in names:
            ag = autogluon(name, TABLES / name, args.time, args.rerun_autogluon)
            print(f"{name}: autogluon {ag['score']:.4f} ({ag['seconds']:.0f} s)", file=sys.stderr, flush=True)
        return
    if args.fold_seeds:
        fold_seeds(names, [int(f) for f in args.fold_seeds.split()], args.time, args.no_write)
        return
    rows = []
    for name in names:
        id_col, target, metric = CASES[name]
        with tempfile.TemporaryDirectory() as tmp:
            if args.keep:
                tmp = str(Path(args.keep).resolve() / name)
                shutil.rmtree(tmp, ignore_errors=True)
            data = Path(tmp) / "downloads" / name
            shutil.copytree(TABLES / name, data)
            answers = pd.read_csv(TABLES / f"{name}.answers.csv")
            start = time.perf_counter()
            lgb_score = score(metric, answers, default_lightgbm(data, id_col, target, metric), id_col, target)
            lgb_seconds = time.perf_counter() - start
            ours = kit_auto(name, data, args.time, Path(tmp))
        ag = autogluon(name, TABLES / name, args.time, args.rerun_autogluon)
        ours["se"] = paired_se(metric, answers, pd.read_csv(KIT_RESULTS / f"{name}-{args.time}s.csv"),
                               pd.read_csv(AG_RESULTS / f"{name}-{args.time}s.csv"), id_col, target)
        rows.append((name, metric, lgb_score, lgb_seconds, ours, ag))
        print(f"{name}: lightgbm {lgb_score:.4f}, make auto {ours['score']:.4f} ({ours['seconds']:.0f} s), "
              f"autogluon {ag['score']:.4f} ({ag['seconds']:.0f} s), difference "
              f"{ours['score'] - ag['score']:+.4f} ± {ours['se']:.4f}", file=sys.stderr, flush=True)
    body = render(rows, args.time)
    print(body)
    if not args.no_write:
        write_section(ROOT / "docs" / "BENCHMARKS.md", "real-tables",
                      "Real tables: make auto against a default LightGBM and AutoGluon best_quality", body)


def fold_seeds(names: list[str], seeds: list[int], budget: int, no_write: bool) -> None:
    """make auto with each fold seed on each table, against AutoGluon's kept result; the kept make auto run of the
    real-tables section (the spec's fold_seed, 42) is one more draw where it is there (run that section first, at
    the same code)."""
    lines = [f"| table | metric | make auto, fold seeds {', '.join(map(str, seeds))} (, 42) | "
             "mean ± SD (SE of the mean) | AutoGluon | mean − AutoGluon | draws at least as good |",
             "|---|---|---|---|---|---|---|"]
    for name in names:
        id_col, target, metric = CASES[name]
        answers = pd.read_csv(TABLES / f"{name}.answers.csv")
        scores = []
        for seed in seeds:
            with tempfile.TemporaryDirectory() as tmp:
                data = Path(tmp) / "downloads" / name
                shutil.copytree(TABLES / name, data)
                scores.append(kit_auto(name, data, budget, Path(tmp), fold_seed=seed)["score"])
            print(f"{name} fold_seed={seed}: make auto {scores[-1]:.4f}", file=sys.stderr, flush=True)
        kept = KIT_RESULTS / f"{name}-{budget}s.csv"
        if kept.is_file():
            scores.append(score(metric, answers, pd.read_csv(kept), id_col, target))
        ag = autogluon(name, TABLES / name, budget, False)["score"]
        s = np.array(scores)
        wins = int(((s >= ag) if HIGHER[metric] else (s <= ag)).sum())
        lines.append(f"| {name} | {metric} | {' '.join(f'{v:.4f}' for v in s)} | {s.mean():.4f} ± {s.std(ddof=1):.4f} "
                     f"({s.std(ddof=1) / np.sqrt(len(s)):.4f}) | {ag:.4f} | {s.mean() - ag:+.4f} | {wins} of {len(s)} |")
    body = (f"`make new` + `make auto TIME={budget}` with every default but `fold_seed` (ARGS=\"fold_seed=N\", each in a "
            "fresh work root), and the kept run of the real-tables section (fold seed 42, last), held-out scores; "
            "AutoGluon's kept result beside them. The spread is what one make auto run's folds and seeds move the "
            "score by, on the same code and data.\n\n" + "\n".join(lines))
    print(body)
    if not no_write:
        write_section(ROOT / "docs" / "BENCHMARKS.md", "real-tables-fold-seeds",
                      "Real tables: make auto over fold seeds, against AutoGluon", body)


def verdict_worse(ours: dict, ag: dict) -> str:
    gap = abs(ours["score"] - ag["score"]) / ours["se"] if ours["se"] > 0 else float("inf")
    return f"worse ({gap:.1f} SE)"


def render(rows, budget: int) -> str:
    lines = [f"| table | metric | default LightGBM 5-fold | make auto (TIME={budget}) | AutoGluon best_quality "
             f"({budget} s) | make auto − AutoGluon ± paired SE | make auto vs AutoGluon | make auto's blend "
             "| time: LightGBM / make auto / AutoGluon |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, metric, lgb_score, lgb_seconds, ours, ag in rows:
        better = (ours["score"] >= ag["score"]) if HIGHER[metric] else (ours["score"] <= ag["score"])
        lines.append(f"| {name} | {metric} | {lgb_score:.4f} | {ours['score']:.4f} | {ag['score']:.4f} | "
                     f"{ours['score'] - ag['score']:+.4f} ± {ours['se']:.4f} | "
                     f"{'at least as good' if better else verdict_worse(ours, ag)} | "
                     f"{ours['rule']} | {lgb_seconds:.0f} s / {ours['seconds']:.0f} s / {ag['seconds']:.0f} s |")
    learners = list(dict.fromkeys(k for row in rows for k in row[4]["cvs"]))
    cv_lines = ["| table | " + " | ".join(learners) + " |", "|---|" + "---|" * len(learners)]
    for name, _, _, _, ours, _ in rows:
        cv_lines.append(f"| {name} | " + " | ".join(f"{ours['cvs'][k]:.4f}" if k in ours["cvs"] else "-"
                                                    for k in learners) + " |")
    return ("Held-out scores (the 30% of rows the tables keep apart, scored by their answers file) of three "
            "submissions made from the same train.csv, on this machine "
            f"({os.cpu_count()} CPUs), one run each: a default LightGBM (`LGBMClassifier()` / `LGBMRegressor()`, "
            f"text as categories, 5 folds, test predictions averaged); `make new` + `make auto TIME={budget}` with "
            f"every default; AutoGluon {AG_PACKAGES[0].split('==')[1]} `best_quality` with `time_limit={budget}` (its "
            "own virtualenv, `scripts/autogluon_runner.py`). Higher is better for auc, lower for rmse and logloss. "
            "The times are wall-clock seconds of each whole run. The SE of the difference is a paired bootstrap over the "
            f"held-out rows ({REPLICATES} draws, both submissions scored on each draw).\n\n"
            + "\n".join(lines) + "\n\nEach learner's 5-fold CV inside `make auto` (the spec's metric):\n\n"
            + "\n".join(cv_lines))


if __name__ == "__main__":
    main()
