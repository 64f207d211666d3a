"""The tabular kind from download to submission: `make new` then `make auto` on each drawn layout and on a
10,000-row, 25-column table, with the CV of every learner and of the blend beside a constant prediction's
(the baseline measured in the same run), and the wall time of `make auto` (the issue's budget: 10 minutes
for the big table on this machine). Writes the tables-auto section of docs/BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from bench_report import kit, write_section  # noqa: E402

from kaggle_kit.tabular import samples  # noqa: E402
from kaggle_kit.tabular.config import VARIANTS  # noqa: E402
from kaggle_kit.tabular.metrics import METRICS  # noqa: E402
from kaggle_kit.tabular.spec import read_spec  # noqa: E402

CASES = [  # (name, how it is drawn, options of make new)
    ("passengers", lambda d: samples.passengers(d), []),
    ("binary_probability", lambda d: samples.binary_probability(d), []),
    ("multiclass", lambda d: samples.multiclass(d), []),
    ("prices", lambda d: samples.prices(d), ["--metric", "rmsle"]),
    ("loans", lambda d: samples.loans(d), []),
    ("big_binary", lambda d: samples.binary_probability(d, n_train=10000, n_test=5000, k=23), []),
]


def constant_score(spec, data_dir: Path) -> float:
    """The metric of predicting the training prior (classes) or the mean (values) for every row."""
    import pandas as pd

    y = pd.read_csv(data_dir / spec.files.train, dtype={spec.target: str})[spec.target]
    metric = METRICS[spec.metric]
    if spec.problem == "regression":
        v = y.astype(float).to_numpy()
        centre = np.expm1(np.log1p(v).mean()) if spec.metric == "rmsle" else v.mean()
        return metric(v, np.full(len(v), centre))
    idx = pd.Index(spec.classes).get_indexer(y)
    prior = np.bincount(idx, minlength=len(spec.classes)) / len(idx)
    if metric.scores(spec.problem) == "label":
        return metric(idx, np.full(len(idx), prior.argmax()))
    return metric(idx, np.tile(prior, (len(idx), 1)) if spec.problem == "multiclass" else np.full(len(idx), prior[1]))


def choice_table(rows) -> str:
    """Each layout's default blend choice: every candidate's nested score and its nested gain over mean in
    paired SEs (the choice needs more than 3 on every fold set)."""
    names = ("mean", "select", "weighted", "stack", "best")
    lines = ["The default blend choice per layout (`make auto`'s blend of every learner, one fold set): each "
             "candidate's nested OOF score and, in brackets, its nested gain over `mean` in paired SEs (a candidate "
             "replaces `mean` above +3.0; `best` also where `mean` is worse than it; a binary log loss offers no `stack` "
             "(a ridge on probabilities), class probabilities a log-linear pooling one; `weighted` fits probabilities' "
             "weights by log loss, whatever the metric; `= mean`: the same predictions).",
             "", "| table | metric | " + " | ".join(names) + " | chosen |", "|---|---|" + "---|" * (len(names) + 1)]
    for name, _, spec, _, blend, _, _ in rows:
        cells = []
        for r in names:
            info = blend["rules"].get(r)
            if info is None:
                cells.append("-")
                continue
            gains = [f"{g / e:+.1f}" if e > 0 else "= mean" if g == 0 else f"{g:+.4f}"
                     for g, e in zip(info["gain_over_mean"], info["gain_paired_se"], strict=True)]
            cells.append(f"{info['nested_oof']:.4f}" + (f" ({', '.join(gains)})" if gains else ""))
        lines.append(f"| {name} | {spec.metric} | " + " | ".join(cells) + f" | {blend['rule']} |")
    return "\n".join(lines)


TITLES = {"gbdt": "LightGBM", "catboost": "CatBoost", "linear": "linear", "mlp": "MLP", "svr": "SVR",
          "extra_trees": "ExtraTrees", "random_forest": "random forest", "knn": "kNN"}


def title(learner: str) -> str:
    """A `learners:` entry's column title: the learner's name, `<its learner> (<variant>)` for a variant
    (gbdt_small: LightGBM (small)), or `<its level-2 model> stack`."""
    if learner in VARIANTS:
        return f"{TITLES[VARIANTS[learner][0]]} ({learner.partition('_')[2]})"
    top = learner.removeprefix("stack_")
    return TITLES.get(top, top) + (" stack" if top != learner else "")


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, draw, options in CASES:
            data = root / "downloads" / name
            draw(data)
            kit("new", name, "--data", str(data), *options, root=root)
            start = time.perf_counter()
            kit("auto", name, "--data", str(data), root=root)
            seconds = time.perf_counter() - start
            spec = read_spec(root / "competitions" / name / "competition.yaml")
            cvs = {lr: json.loads((root / "runs" / name / f"{name}-{lr}" / "cv.json").read_text())["score"]
                   for lr in spec.learners}
            blend = json.loads(next((root / "runs" / name / "blends").glob("*.json")).read_text())
            shape = (sum(1 for _ in open(data / "train.csv")) - 1, len(open(data / "train.csv").readline().split(",")))
            rows.append((name, shape, spec, cvs, blend, constant_score(spec, data), seconds))
            print(f"{name}: {seconds:.0f} s", file=sys.stderr, flush=True)
    learners = list(dict.fromkeys(lr for row in rows for lr in row[2].learners))
    lines = ["| table | rows x columns | metric | constant | " + " | ".join(title(lr) for lr in learners)
             + " | blend (rule, nested) | make auto |", "|---|---|---|---|" + "---|" * (len(learners) + 2)]
    for name, (n, k), spec, cvs, blend, base, seconds in rows:
        b = blend["rules"][blend["rule"]]
        nested = blend.get("nested_oof_tuned_labels", b["nested_oof"])
        cells = " | ".join(f"{cvs[lr]:.4f}" if lr in cvs else "-" for lr in learners)
        lines.append(f"| {name} | {n} x {k} | {spec.metric} | {base:.4f} | {cells} | {nested:.4f} ({blend['rule']}) "
                     f"| {seconds:.0f} s |")
    body = ("`make new` then `make auto` with the configs `make new` writes (5 folds; CatBoost and LightGBM with "
            "early stopping on 15% of each training fold, then refitted on all of it; ridge / logistic regression "
            "with its penalty chosen inside each training fold; ExtraTrees and a random forest of 300 trees; the "
            "MLP [256, 128] for 40 epochs, its epoch chosen on the same inner rows), on "
            f"{os.cpu_count()} CPUs. `constant` is the metric of predicting the training prior or mean for every "
            "row (the baseline every learner must beat); label metrics (accuracy) are scored with the threshold "
            "each fold takes from the other folds. The blend column is the rule the default choice took and its "
            "nested score. The time is the whole `make auto` (every learner, submissions, blend, leaderboard), "
            "one run.\n\n" + "\n".join(lines))
    body += "\n\n" + choice_table(rows)
    print(body)
    write_section(ROOT / "docs" / "BENCHMARKS.md", "tables-auto", "Tables: make new + make auto on drawn layouts",
                  body)


if __name__ == "__main__":
    main()
