"""A run's CV as cv.json holds it, typed: what pooling its out-of-fold predictions gave (kaggle_kit.pipeline.
cross_validate.pool_oof) and what every command that reads it (submit, auto, leaderboard, report, tune) asks of
it. The file keeps its keys as they were: the task's extras (secondary scores, per-class breakdowns) sit at the
top level beside `score`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORE = ("metric", "higher_is_better", "score", "folds", "decision", "score_se", "repeats", "predictions")


@dataclass(frozen=True)
class CVResult:
    metric: str
    higher_is_better: bool
    score: float                          # over every out-of-fold row (the mean of the fold sets' with repeats)
    folds: list[float]                    # each fold model's score, fold set by fold set
    extras: dict[str, Any] = field(default_factory=dict)   # the task's secondary scores and breakdowns
    decision: dict | None = None          # a label rule tuned out of fold, which the submission applies
    score_se: float | None = None         # the score's SE (row bootstrap, or over folds); None in old runs
    repeats: list[dict] | None = None     # with fold_repeats: each fold set's score, SE and folds file
    predictions: str | None = None        # the prediction set scored (a TTA setting), where not the trained one

    def to_json(self) -> dict:
        out = {"metric": self.metric, "higher_is_better": self.higher_is_better, "score": self.score,
               "folds": self.folds, **self.extras}
        if self.decision is not None:
            out["decision"] = self.decision
        out["score_se"] = self.score_se
        if self.repeats is not None:
            out["repeats"] = self.repeats
        if self.predictions is not None:
            out["predictions"] = self.predictions
        return out

    @classmethod
    def from_json(cls, d: dict) -> CVResult:
        return cls(metric=d["metric"], higher_is_better=bool(d.get("higher_is_better")), score=d["score"],
                   folds=list(d.get("folds", [])), extras={k: v for k, v in d.items() if k not in CORE},
                   decision=d.get("decision"), score_se=d.get("score_se"), repeats=d.get("repeats"),
                   predictions=d.get("predictions"))

    def se_text(self, suffix: str = "") -> str:
        """ ± the SE (and suffix), or nothing where the run has none."""
        return f" ± {self.score_se:.5f}{suffix}" if self.score_se is not None else ""


def read_cv(path: Path) -> CVResult:
    return CVResult.from_json(json.loads(Path(path).read_text()))
