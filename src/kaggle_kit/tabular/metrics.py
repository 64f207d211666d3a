"""The table metrics by their exact names: each knows its direction, the problems it fits and the prediction it
scores (a value, the positive class's probability, one probability per class, or a label). scikit-learn's
implementations throughout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

VALUE, PROBABILITY, PROBABILITIES, LABEL = "value", "probability", "probabilities", "label"


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    problems: tuple[str, ...]               # regression, binary, multiclass
    scores: Callable[[str], str]             # problem -> what the metric scores (VALUE, PROBABILITY, ...)
    fn: Callable[[np.ndarray, np.ndarray], float]

    def __call__(self, y_true: np.ndarray, pred: np.ndarray) -> float:
        return float(self.fn(np.asarray(y_true), np.asarray(pred)))


def _auc(y, p):
    from sklearn.metrics import roc_auc_score
    return roc_auc_score(y, p)


def _logloss(y, p):
    from kaggle_kit.metrics import log_loss
    return log_loss(y, p)


def _accuracy(y, label):
    from sklearn.metrics import accuracy_score
    return accuracy_score(y, label)


def _f1(y, label):
    from sklearn.metrics import f1_score
    return f1_score(y, label)


def _macro_f1(y, label):
    from sklearn.metrics import f1_score
    return f1_score(y, label, average="macro")


def _qwk(y, label):
    from sklearn.metrics import cohen_kappa_score
    return cohen_kappa_score(y, label, weights="quadratic")


def _rmse(y, p):
    from sklearn.metrics import mean_squared_error
    return np.sqrt(mean_squared_error(y, p))


def _rmsle(y, p):
    from sklearn.metrics import mean_squared_log_error
    return np.sqrt(mean_squared_log_error(y, np.clip(p, 0, None)))


def _mae(y, p):
    from sklearn.metrics import mean_absolute_error
    return mean_absolute_error(y, p)


def _rmse_log(y, p):
    return _rmse(np.log(y), np.log(np.clip(p, 1e-9, None)))


def _probability(problem: str) -> str:
    return PROBABILITY if problem == "binary" else PROBABILITIES


METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("auc", True, ("binary",), lambda p: PROBABILITY, _auc),
    Metric("logloss", False, ("binary", "multiclass"), _probability, _logloss),
    Metric("accuracy", True, ("binary", "multiclass"), lambda p: LABEL, _accuracy),
    Metric("f1", True, ("binary",), lambda p: LABEL, _f1),
    Metric("macro_f1", True, ("binary", "multiclass"), lambda p: LABEL, _macro_f1),
    Metric("qwk", True, ("multiclass",), lambda p: LABEL, _qwk),
    Metric("rmse", False, ("regression",), lambda p: VALUE, _rmse),
    Metric("rmsle", False, ("regression",), lambda p: VALUE, _rmsle),
    Metric("mae", False, ("regression",), lambda p: VALUE, _mae),
    Metric("rmse_log", False, ("regression",), lambda p: VALUE, _rmse_log),
]}
PROBLEMS = ("regression", "binary", "multiclass")
# the names Kaggle's Evaluation pages and scikit-learn use for the same metrics
ALIASES = {"log_loss": "logloss", "mlogloss": "logloss", "binary_logloss": "logloss", "roc_auc": "auc",
           "rocauc": "auc", "f1_score": "f1", "f1_macro": "macro_f1", "quadratic_weighted_kappa": "qwk",
           "cohen_kappa": "qwk", "mse_log": "rmse_log", "mean_absolute_error": "mae"}


def canonical_metric(name: str | None) -> str | None:
    """A metric name as the registry spells it (log_loss -> logloss); an unknown name is returned as given."""
    if name is None:
        return None
    key = name.strip().lower().replace("-", "_")
    return key if key in METRICS else ALIASES.get(key, name)
