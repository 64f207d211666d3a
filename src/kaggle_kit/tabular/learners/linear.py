"""Linear models with their penalty chosen by an inner k-fold CV on the training fold's rows only: ridge, lasso
or elastic net for values; logistic regression with the same penalties for classes. Saved as JSON
coefficients, never a pickle."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from kaggle_kit.config import StrictModel
from kaggle_kit.io import atomic
from kaggle_kit.tabular.learners.base import Learner, read_model_json, seed_file

NEWTON_LIMIT = 300      # coefficients ((features + 1) x classes, or features + 1 for two) up to which a logistic
#                         regression takes Newton steps:
#                         lbfgs takes hundreds of iterations per penalty on a standardised table (satellite, 36
#                         features x 6 classes: 40 s a fold), Newton-Cholesky about ten to the same optimum (1 s);
#                         past this its Hessian (rows x coefficients squared a step) costs more than lbfgs saves


class LinearConfig(StrictModel):
    kind: Literal["ridge", "lasso", "elasticnet"] = "ridge"      # classes: logistic regression, L2 / L1 / both
    alphas: list[float] = Field(default_factory=lambda: np.logspace(-4, 3, 36).round(6).tolist())
    l1_ratio: list[float] = [0.1, 0.5, 0.9]   # elastic net only
    inner_folds: int = Field(5, ge=2)
    max_iter: int = Field(20000, ge=100)


class Linear(Learner):
    name = "linear"
    Config = LinearConfig
    table_default = LinearConfig(alphas=[1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0])   # a spec table's section
    takes = "numbers"
    text = "tfidf"
    files = ("model*.json",)

    def _estimator(self, seed: int, coefficients: int):
        from sklearn.linear_model import ElasticNetCV, LassoCV, LogisticRegressionCV, RidgeCV
        from sklearn.model_selection import KFold, StratifiedKFold

        c = self.section
        inner = (KFold if self.problem == "regression" else StratifiedKFold)(c.inner_folds, shuffle=True,
                                                                             random_state=seed % 2**32)
        if self.problem != "regression":
            penalty = {"ridge": {}, "lasso": {"penalty": "l1", "solver": "saga"},
                       "elasticnet": {"penalty": "elasticnet", "solver": "saga", "l1_ratios": c.l1_ratio}}[c.kind]
            if c.kind == "ridge" and coefficients <= NEWTON_LIMIT:
                penalty = {"solver": "newton-cholesky"}
            return LogisticRegressionCV(Cs=[1 / a for a in c.alphas], cv=inner, scoring="neg_log_loss",
                                        max_iter=c.max_iter, **penalty)
        if c.kind == "ridge":
            return RidgeCV(alphas=c.alphas, cv=inner)
        if c.kind == "lasso":
            return LassoCV(alphas=c.alphas, cv=inner, max_iter=c.max_iter, n_jobs=1)
        return ElasticNetCV(alphas=c.alphas, l1_ratio=c.l1_ratio, cv=inner, max_iter=c.max_iter, n_jobs=1)

    def fit(self, x, y, *, seed, fold_dir, s=0, names=None, **_):
        with warnings.catch_warnings():      # scikit-learn's notices of its own coming defaults: nothing to act on
            warnings.simplefilter("ignore", FutureWarning)
            k = 0 if self.problem == "regression" else len(np.unique(y))
            self.model = self._estimator(seed, (x.shape[1] + 1) * (k if k > 2 else 1)).fit(x, y)
        m, c = self.model, self.section
        saved = {"kind": c.kind, **({"features": list(names)} if names is not None else {})}
        if self.problem == "regression":
            l1 = {"ridge": 0.0, "lasso": 1.0}.get(c.kind, float(getattr(m, "l1_ratio_", 0.0)))
            saved.update({"alpha": float(m.alpha_), "l1_ratio": l1, "intercept": float(m.intercept_),
                          "dtype": str(np.asarray(m.coef_).dtype), "coef": np.asarray(m.coef_, dtype=float).tolist()})
            info = {"alpha": float(m.alpha_)}
        else:
            self.classes_ = m.classes_
            saved.update({"C": float(np.ravel(m.C_)[0]), "coef": np.asarray(m.coef_).tolist(),
                          "intercept": np.atleast_1d(m.intercept_).tolist()})
            info = {}
        atomic.write_text(Path(fold_dir) / seed_file(s), json.dumps(saved) + "\n")
        self.saved = None
        if self.problem != "regression":       # predict as a loaded model does: the same bytes whatever the solver
            self.model = logistic(saved, self.classes_)
        return info

    def predict(self, x) -> np.ndarray:
        if self.saved is None:
            return self.model.predict(x) if self.problem == "regression" else self.model.predict_proba(x)
        if self.problem == "regression":
            dtype = np.dtype(self.saved.get("dtype", "float64"))     # as scikit-learn fitted (and predicts) it
            intercept = float(np.ravel(self.saved["intercept"])[0])
            return x.astype(dtype) @ np.asarray(self.saved["coef"], dtype) + dtype.type(intercept)
        return self.model.predict_proba(x)

    def load(self, fold_dir, s, classes):
        self.saved = read_model_json(Path(fold_dir) / seed_file(s))
        self.classes_ = classes
        if self.problem != "regression":
            self.model = logistic(self.saved, classes)
        return self

    def importance(self, names):
        coef = np.abs(np.atleast_2d(np.asarray(self.model.coef_ if self.saved is None else self.saved["coef"],
                                               float)))
        if names is None or coef.shape[1] != len(names):
            return None
        return dict(zip(names, coef.mean(0).tolist(), strict=True))

    def saved_features(self) -> list[str] | None:
        return self.saved.get("features")


def logistic(saved: dict, classes: np.ndarray):
    """A logistic regression from its saved coefficients (scikit-learn's public attributes set, as its docs
    describe a fitted model)."""
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression()
    head.coef_, head.intercept_ = np.asarray(saved["coef"]), np.asarray(saved["intercept"])
    head.n_features_in_, head.classes_ = head.coef_.shape[1], classes
    return head
