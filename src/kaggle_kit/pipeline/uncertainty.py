"""Standard errors of CV scores, and of the difference between two experiments' scores.

Within one fold set (a repeat) a score's SE comes from a bootstrap over OOF rows: B resamples of the rows,
drawn from a fixed seed, so that every experiment on the same rows is scored on the same resamples and the
difference of two experiments has a paired SE (the spread of their per-resample differences). Pooled metrics
(AUC, RMSE) bootstrap as they are. A task whose score cannot be recomputed per resample cheaply (detection:
COCOeval) takes the SE over its folds instead, std / sqrt(K), paired fold by fold.

With R repeats (fold sets), the score is the mean of the repeats' scores and

    SE^2 = mean_r(SE_r^2) + var_r(score_r) / R

The first term is the row noise: the repeats score the same rows, so averaging them does not shrink it. The
second is the split noise, which the mean over R fold sets does shrink. With R = 1 the split noise is not seen
at all; the same formula serves paired differences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

RESAMPLES = 200          # bootstrap resamples; the SE's own relative error is about 1 / sqrt(2 B) = 5%
SEED = 0                 # fixed: every experiment on the same rows shares the resamples


def bootstrap(scorer: Callable[[np.ndarray], float], n: int, *, resamples: int = RESAMPLES,
              seed: int = SEED) -> np.ndarray:
    """scorer(rows) on `resamples` draws of n rows with replacement (the same draws for every caller with the
    same n and seed)."""
    rng = np.random.default_rng(seed)
    return np.array([scorer(rng.integers(0, n, n)) for _ in range(resamples)], dtype=float)


def spread_se(replicates: np.ndarray) -> float:
    """The bootstrap SE: the standard deviation of the resampled scores."""
    r = np.asarray(replicates, float)
    return float(r.std(ddof=1)) if len(r) > 1 else 0.0


def fold_se(fold_scores) -> float:
    """The SE of a mean over folds: their standard deviation / sqrt(K)."""
    f = np.asarray(fold_scores, float)
    return float(f.std(ddof=1) / np.sqrt(len(f))) if len(f) > 1 else 0.0


def combine(scores, ses) -> tuple[float, float]:
    """(mean score, SE) over repeats: mean of the within-repeat variances plus the repeats' variance / R."""
    s, e = np.asarray(scores, float), np.asarray(ses, float)
    split = s.var(ddof=1) / len(s) if len(s) > 1 else 0.0
    return float(s.mean()), float(np.sqrt(np.mean(e ** 2) + split))


@dataclass(frozen=True)
class Evidence:
    """What an experiment's SE and its paired comparisons are computed from, per repeat: the bootstrap scores
    (None for tasks scored by the fold SE) and the fold scores, with the fold sets they were made on."""
    scores: list[float]                    # per repeat
    folds: list[list[float]]               # per repeat, per fold
    replicates: list[list[float]] | None   # per repeat, per resample; None: the fold SE
    folds_files: list[str]                 # per repeat: the shared folds file's name

    def repeat_se(self, r: int) -> float:
        return spread_se(self.replicates[r]) if self.replicates is not None else fold_se(self.folds[r])

    def score_se(self) -> float:
        return combine(self.scores, [self.repeat_se(r) for r in range(len(self.scores))])[1]

    def to_json(self) -> dict:
        return {"resamples": RESAMPLES, "seed": SEED, "scores": self.scores, "folds": self.folds,
                "replicates": self.replicates, "folds_files": self.folds_files}

    @classmethod
    def from_json(cls, d: dict) -> Evidence:
        return cls(d["scores"], d["folds"], d["replicates"], d["folds_files"])


def paired(a: Evidence, b: Evidence) -> tuple[float, float] | None:
    """(score a - score b, its SE) over the fold sets both were made on, paired resample by resample (or fold
    by fold); None when they share no fold set or were scored differently."""
    common = [(i, b.folds_files.index(f)) for i, f in enumerate(a.folds_files) if f in b.folds_files]
    if not common or (a.replicates is None) != (b.replicates is None):
        return None
    diffs, ses = [], []
    for i, j in common:
        diffs.append(a.scores[i] - b.scores[j])
        if a.replicates is not None:
            if len(a.replicates[i]) != len(b.replicates[j]):
                return None
            ses.append(spread_se(np.subtract(a.replicates[i], b.replicates[j])))
        else:
            if len(a.folds[i]) != len(b.folds[j]):
                return None
            ses.append(fold_se(np.subtract(a.folds[i], b.folds[j])))
    return combine(diffs, ses)
