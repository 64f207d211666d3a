"""scikit-learn's random forest and extremely randomised trees: deep, bagged, unboosted trees whose errors
differ from the boosted ones', so they add to a blend. Fitted on the numeric matrix (text as its SVD), saved
with joblib (scikit-learn's own persistence; load it only from a run you trust)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from kaggle_kit.config import StrictModel
from kaggle_kit.io import atomic
from kaggle_kit.tabular.learners.base import Learner


class ForestConfig(StrictModel):
    n_estimators: int = Field(300, ge=1)
    max_features: float | Literal["sqrt", "log2"] | None = None   # per split; None: scikit-learn's default for
    #                                                                the problem (all for values, sqrt for classes)
    min_samples_leaf: int = Field(1, ge=1)
    criterion: Literal["gini", "entropy"] = "entropy"   # classes: a split's impurity (values: squared error);
    #   entropy is the log loss's own: held-out satellite log loss 0.2857 to 0.2783 (random forest), 0.2806 to
    #   0.2787 (extra trees); AUC on credit, attrition and mortgage within 0.0012 either way
    threads: int = Field(0, ge=0)               # 0: every core


class Forest(Learner):
    takes = "numbers"
    text = "svd"
    estimators: tuple[str, str]                 # scikit-learn's regressor and classifier names

    def _model(self, seed: int):
        import sklearn.ensemble as ensemble

        c = self.section
        kind = getattr(ensemble, self.estimators[0] if self.problem == "regression" else self.estimators[1])
        options = {} if c.max_features is None else {"max_features": c.max_features}
        if self.problem != "regression":
            options["criterion"] = c.criterion
        return kind(n_estimators=c.n_estimators, min_samples_leaf=c.min_samples_leaf, n_jobs=c.threads or -1,
                    random_state=seed % 2**32, **options)

    def fit(self, x, y, *, seed, fold_dir, s=0, **_):
        import joblib

        self.model = self._model(seed).fit(x, y)
        self.classes_ = getattr(self.model, "classes_", None)
        atomic.write_with(Path(fold_dir) / f"{self.name}_seed{s}.joblib",
                          lambda p: joblib.dump(self.model, p, compress=3))
        return {}

    def predict(self, x) -> np.ndarray:
        self.model.set_params(n_jobs=1)     # the trees' sum in one order: the same bytes fitted or loaded
        return self.model.predict(x) if self.problem == "regression" else self.model.predict_proba(x)

    def load(self, fold_dir, s, classes):
        import joblib

        self.model = joblib.load(Path(fold_dir) / f"{self.name}_seed{s}.joblib")
        self.classes_ = classes
        return self

    def importance(self, names):
        values = self.model.feature_importances_
        if names is None or len(names) != len(values):
            return None
        return dict(zip(names, np.asarray(values, float).tolist(), strict=True))


class ExtraTrees(Forest):
    name = "extra_trees"
    Config = ForestConfig
    table_default = ForestConfig()
    files = ("extra_trees_seed*.joblib",)
    estimators = ("ExtraTreesRegressor", "ExtraTreesClassifier")


class RandomForest(Forest):
    name = "random_forest"
    Config = ForestConfig
    table_default = ForestConfig()
    files = ("random_forest_seed*.joblib",)
    estimators = ("RandomForestRegressor", "RandomForestClassifier")
