"""scikit-learn's k-nearest neighbours on the standardised numeric matrix: a learner with no trees and no
gradient, whose errors differ most from the others', so it adds to a blend where neighbouring rows share a
label (pixels, sensors, measurements). Saved with joblib (scikit-learn's own persistence; load it only from a
run you trust)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from kaggle_kit.config import StrictModel
from kaggle_kit.io import atomic
from kaggle_kit.tabular.learners.base import Learner


class KNNConfig(StrictModel):
    n_neighbors: int = Field(10, ge=1)
    weights: Literal["uniform", "distance"] = "distance"
    smoothing: float = Field(0.01, ge=0, lt=1)   # classes: this share of each row's probability spread evenly
    #   over the classes, so a class no neighbour holds is unlikely, not impossible (a log loss of infinity)


class KNN(Learner):
    name = "knn"
    Config = KNNConfig
    table_default = KNNConfig()
    files = ("knn_seed*.joblib",)
    takes = "numbers"
    text = "svd"

    def fit(self, x, y, *, seed, fold_dir, s=0, **_):
        import joblib
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        c = self.section
        kind = KNeighborsRegressor if self.problem == "regression" else KNeighborsClassifier
        self.model = kind(n_neighbors=min(c.n_neighbors, len(y)), weights=c.weights).fit(x, y)
        self.classes_ = getattr(self.model, "classes_", None)
        atomic.write_with(Path(fold_dir) / f"knn_seed{s}.joblib", lambda p: joblib.dump(self.model, p, compress=3))
        return {}

    def predict(self, x) -> np.ndarray:
        if self.problem == "regression":
            return self.model.predict(x)
        p = self.model.predict_proba(x)
        eps = self.section.smoothing
        return (1 - eps) * p + eps / p.shape[1]

    def load(self, fold_dir, s, classes):
        import joblib

        self.model = joblib.load(Path(fold_dir) / f"knn_seed{s}.joblib")
        self.classes_ = classes
        return self
