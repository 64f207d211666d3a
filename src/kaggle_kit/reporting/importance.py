"""Feature importance of a run: each fold's importance.json (gain for trees, |coefficient| for linear models,
written by the fold), as a share of that fold's total so folds compare, averaged over the folds with their
spread. Written as runs/<comp>/<exp>/importance.csv and drawn as plots/feature_importance.png; the report shows
both."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from kaggle_kit.io import atomic

TOP = 20


def fold_importance(run_dir: Path, n_folds: int) -> pd.DataFrame | None:
    """Features x {mean, std, folds} of the share of importance, most important first; None without any."""
    shares = []
    for k in range(n_folds):
        path = run_dir / f"fold{k}" / "importance.json"
        if not path.is_file():
            continue
        values = pd.Series(json.loads(path.read_text()), dtype=float)
        total = values.sum()
        shares.append(values / total if total > 0 else values)
    if not shares:
        return None
    table = pd.concat(shares, axis=1).fillna(0.0)
    out = pd.DataFrame({"mean": table.mean(1), "std": table.std(1, ddof=0), "folds": table.shape[1]})
    return out.sort_values("mean", ascending=False).rename_axis("feature")


def write_importance(run_dir: Path, n_folds: int) -> pd.DataFrame | None:
    """importance.csv beside the run (reporting.plots draws it); None where the learner has none."""
    table = fold_importance(run_dir, n_folds)
    if table is not None:
        atomic.write_with(run_dir / "importance.csv", lambda p: table.to_csv(p, float_format="%.6g"))
    return table


def importance_rows(run_dir: Path) -> list[list[str]]:
    """The report's table: the top features with their mean share and spread."""
    path = run_dir / "importance.csv"
    if not path.is_file():
        return []
    table = pd.read_csv(path, index_col=0).head(TOP)
    return [[str(name), f"{row['mean']:.4f}", f"{row['std']:.4f}"] for name, row in table.iterrows()]
