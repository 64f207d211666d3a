"""PNG plots of a run, in runs/<comp>/<exp>/plots/: the core draws the learning curves from every fold's
Lightning CSV log; each task adds its own views of the OOF predictions (Task.plot_oof) with the helpers here.
matplotlib draws off-screen (Agg); every file is written atomically."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from kaggle_kit.io import atomic  # noqa: E402

DPI = 100


def save(fig, path: Path) -> Path:
    """Write the figure as PNG, atomically, and free it."""
    try:
        atomic.write_with(path, lambda p: fig.savefig(p, format="png", dpi=DPI, bbox_inches="tight"))
    finally:
        plt.close(fig)
    return Path(path)


def fold_history(fold_dir: Path) -> pd.DataFrame | None:
    """One row per epoch of a fold's logged metrics (train_loss, val_*), averaged over its logs (one per seed
    where a fold trains several); None when the learner logs no epochs (trees, linear models)."""
    logs = sorted(Path(fold_dir).glob("logs/**/metrics*.csv"))     # metrics-<n>.csv: before a resume
    frames = [pd.read_csv(p) for p in logs if p.stat().st_size]
    frames = [f for f in frames if "epoch" in f.columns and len(f)]
    if not frames:
        return None
    per_log = [f.drop(columns=[c for c in ("step",) if c in f.columns]).groupby("epoch").mean() for f in frames]
    return pd.concat(per_log).groupby(level=0).mean()


def learning_curves(run_dir: Path, n_folds: int, path: Path) -> Path | None:
    """Losses (train solid, validation dashed) and validation metrics per epoch, one colour per fold."""
    history = {k: fold_history(Path(run_dir) / f"fold{k}") for k in range(n_folds)}
    history = {k: h for k, h in history.items() if h is not None}
    if not history:
        return None
    columns = sorted(set().union(*(h.columns for h in history.values())))
    losses = [c for c in columns if c.endswith("loss")]
    metrics = [c for c in columns if c.startswith("val_") and not c.endswith("loss")]
    panels = [("loss", losses)] + [(m, [m]) for m in metrics]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, (title, cols) in zip(axes[0], panels, strict=True):
        for k, h in history.items():
            for c in cols:
                if c in h.columns and h[c].notna().any():
                    s = h[c].dropna()
                    ax.plot(s.index + 1, s.to_numpy(), color=colours(k % 10), marker="." if len(s) < 30 else None,
                            linestyle="--" if c.startswith("val_") else "-",
                            label=f"fold {k} {c}" if len(cols) > 1 else f"fold {k}")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"{Path(run_dir).name}: learning curves", y=1.03)
    return save(fig, path)


def pred_vs_true(true: np.ndarray, pred: np.ndarray, path: Path, title: str, *, label: str,
                 highlight: np.ndarray | None = None) -> Path:
    """OOF predictions against the truth, with the diagonal; highlighted rows (outliers) in red."""
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    hl = np.zeros(len(true), bool) if highlight is None else highlight
    ax.scatter(true[~hl], pred[~hl], s=6, alpha=0.5, label="OOF rows")
    if hl.any():
        ax.scatter(true[hl], pred[hl], s=30, color="red", marker="x", label="outliers")
    lo, hi = min(true.min(), pred.min()), max(true.max(), pred.max())
    ax.plot([lo, hi], [lo, hi], color="grey", linewidth=1)
    ax.set_xlabel(f"true {label}")
    ax.set_ylabel(f"predicted {label}")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, path)


def largest_residuals(ids: list, residual: np.ndarray, path: Path, title: str, *, n: int = 20) -> Path:
    """Horizontal bars of the n rows with the largest absolute residual (prediction minus truth)."""
    order = np.argsort(-np.abs(residual))[:n][::-1]
    fig, ax = plt.subplots(figsize=(6, 0.28 * len(order) + 1.2))
    ax.barh([str(ids[i]) for i in order], residual[order],
            color=["tab:red" if residual[i] > 0 else "tab:blue" for i in order])
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_xlabel("prediction - truth")
    ax.set_title(title)
    return save(fig, path)


def confusion_matrix(true: np.ndarray, guess: np.ndarray, classes: list[str], path: Path, title: str) -> Path:
    """Rows: the true class, columns: the predicted one; each cell the count, shaded by the row's share."""
    k = len(classes)
    counts = np.zeros((k, k), int)
    np.add.at(counts, (true, guess), 1)
    share = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    side = min(0.5 * k + 2.5, 14)
    fig, ax = plt.subplots(figsize=(side, side))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    if k <= 30:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if share[i, j] > 0.5 else "black")
        ax.set_xticks(range(k), classes, rotation=90, fontsize=7)
        ax.set_yticks(range(k), classes, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    return save(fig, path)


def calibration(hit: np.ndarray, prob: np.ndarray, path: Path, title: str, *, label: str, bins: int = 10) -> Path:
    """Reliability curve: the share of rows that hit (0/1) against the predicted probability, in quantile bins
    (scikit-learn's calibration_curve), with the diagonal and the rows' histogram below."""
    from sklearn.calibration import calibration_curve

    frac, mean = calibration_curve(hit, prob, n_bins=bins, strategy="quantile")
    fig, (ax, low) = plt.subplots(2, 1, figsize=(5.5, 6), height_ratios=[3, 1], sharex=True)
    ax.plot([0, 1], [0, 1], color="grey", linewidth=1)
    ax.plot(mean, frac, marker="o")
    ax.set_ylabel(f"observed share: {label}")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    low.hist(prob, bins=20, range=(0, 1), color="tab:blue", alpha=0.6)
    low.set_xlabel("predicted probability")
    low.set_ylabel("rows")
    return save(fig, path)


def class_bars(scores: dict[str, dict[str, float]], path: Path, title: str) -> Path:
    """Grouped bars: one group per class, one bar per score name ({"AP50": {class: value}, "AP": {...}})."""
    names = list(scores)
    classes = list(next(iter(scores.values())))
    x = np.arange(len(classes))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(1.2 * len(classes) + 2, 3.8))
    for j, name in enumerate(names):
        values = [np.nan_to_num(scores[name][c]) for c in classes]
        bars = ax.bar(x + (j - (len(names) - 1) / 2) * width, values, width, label=name)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(x, classes)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save(fig, path)


def image_grid(panels: list[dict], path: Path, title: str, columns: int = 3) -> Path:
    """Images in a grid. Each panel: {"image": RGB array, "title": str, optional "boxes": [(x1, y1, x2, y2,
    colour, text)]} drawn as rectangles with their text."""
    rows = max(1, -(-len(panels) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3.6 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, panel in zip(axes.ravel(), panels, strict=False):
        ax.imshow(panel["image"])
        ax.set_title(panel["title"], fontsize=8)
        for x1, y1, x2, y2, colour, text in panel.get("boxes", ()):
            ax.add_patch(plt.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour, linewidth=1.5))
            if text:
                ax.text(x1, y1, text, color="white", fontsize=6, va="bottom",
                        bbox={"facecolor": colour, "alpha": 0.7, "pad": 1, "linewidth": 0})
    fig.suptitle(title)
    return save(fig, path)


def cv_vs_lb(cv: np.ndarray, lb: np.ndarray, se: np.ndarray, names: list[str], path: Path, *, metric: str,
             rho: float | None) -> Path:
    """Public leaderboard score against CV, one point per submission with its ±2 SE bar, and the line LB = CV."""
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.errorbar(cv, lb, xerr=2 * se, fmt="o", ms=4, capsize=2, alpha=0.8)
    for x, y, n in zip(cv, lb, names, strict=True):
        ax.annotate(n, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    lo, hi = float(min(cv.min(), lb.min())), float(max(cv.max(), lb.max()))
    pad = (hi - lo) * 0.05 or 0.01
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", lw=0.8, ls="--", label="LB = CV")
    ax.set_xlabel(f"CV {metric} (±2 SE)")
    ax.set_ylabel(f"public leaderboard {metric}")
    corr = f", rank correlation {rho:+.2f}" if rho is not None else ""
    ax.set_title(f"CV against the public leaderboard ({len(cv)} submissions{corr})", fontsize=9)
    ax.legend(fontsize=7)
    return save(fig, path)


def importance_plot(table: pd.DataFrame, path: Path, top: int = 20) -> Path:
    """The top features' share of importance (reporting.importance's table), mean ± std over folds."""
    shown = table.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(shown) + 1.2))
    ax.barh(np.arange(len(shown)), shown["mean"], xerr=shown["std"], color="#4c72b0", ecolor="#555")
    ax.set_yticks(np.arange(len(shown)), [str(n)[:40] for n in shown.index])
    ax.set_xlabel("share of the fold's importance (mean ± std over folds)")
    ax.set_title(f"feature importance, top {len(shown)} of {len(table)}")
    return save(fig, path)


def write_run_plots(task, cfg, data, paths) -> list[Path]:
    """Every plot of a complete run: learning curves, then the task's views of its OOF predictions."""
    out = paths.plots_dir
    from kaggle_kit.reporting.importance import write_importance

    table = write_importance(paths.run_dir, cfg.total_folds)
    written = [learning_curves(paths.run_dir, cfg.total_folds, out / "learning_curves.png"),
               None if table is None else importance_plot(table, out / "feature_importance.png")]
    from kaggle_kit.pipeline.predictions import split_repeats

    oof = split_repeats(task.preds.read(paths.oof_for(None, task.preds.ext), task.id_column), cfg.fold_repeats)[0]
    written += task.plot_oof(cfg, data, oof, out)      # the first fold set's OOF predictions
    return [p for p in written if p is not None]
