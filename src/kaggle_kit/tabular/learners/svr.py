"""RBF support-vector regression on a numeric matrix; saved as its support vectors and dual coefficients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from kaggle_kit.config import StrictModel
from kaggle_kit.io import atomic
from kaggle_kit.tabular.learners.base import Learner, read_model_json, seed_file


class SVRConfig(StrictModel):
    C: float = Field(20.0, gt=0)
    epsilon: float = Field(0.008, ge=0)                  # in the target's units (its z-score's with scale_target)
    gamma: float | Literal["scale"] = Field(3e-4)        # scale: 1 / (columns x the matrix's variance), sklearn's
    scale_target: bool = False                           # fit the target's z-score (a table of any units)


def scale_gamma(x) -> float:
    """scikit-learn's gamma='scale' for this matrix, as a number the saved model keeps."""
    var = (x.multiply(x).mean() - x.mean() ** 2) if hasattr(x, "multiply") else np.asarray(x, float).var()
    return 1.0 / (x.shape[1] * var) if var != 0 else 1.0


class SVR(Learner):
    name = "svr"
    Config = SVRConfig
    table_default = SVRConfig(C=1.0, epsilon=0.1, gamma="scale", scale_target=True)   # a spec table's section
    takes = "numbers"
    files = ("model*.json",)
    problems = ("regression",)

    def fit(self, x, y, *, seed, fold_dir, s=0, **_):
        from sklearn.svm import SVR as SkSVR

        c = self.section
        gamma = scale_gamma(x) if c.gamma == "scale" else c.gamma
        center, scale = (float(y.mean()), float(y.std()) or 1.0) if c.scale_target else (0.0, 1.0)
        self.model = SkSVR(C=c.C, epsilon=c.epsilon, gamma=gamma).fit(x, (y - center) / scale if c.scale_target else y)
        self.target = (center, scale) if c.scale_target else None
        atomic.write_text(Path(fold_dir) / seed_file(s), json.dumps({
            "C": c.C, "epsilon": c.epsilon, "gamma": gamma, "intercept": float(self.model.intercept_[0]),
            **({"target": {"center": center, "scale": scale}} if c.scale_target else {}),
            "dual_coef": self.model.dual_coef_[0].tolist(),
            "support_vectors": self.model.support_vectors_.tolist()}) + "\n")
        self.saved = None
        return {}

    def predict(self, x) -> np.ndarray:
        if self.saved is None:
            out = self.model.predict(x)
        else:
            m = self.saved                      # the RBF kernel against the support vectors
            x = x.toarray() if hasattr(x, "toarray") else x
            sv = np.asarray(m["support_vectors"])
            sq = (x.astype(float) ** 2).sum(1)[:, None] + (sv ** 2).sum(1)[None] - 2 * x @ sv.T
            out = np.exp(-m["gamma"] * np.clip(sq, 0, None)) @ np.asarray(m["dual_coef"]) + m["intercept"]
        if self.target is not None:
            out = self.target[0] + self.target[1] * out
        return out

    def load(self, fold_dir, s, classes):
        self.saved = read_model_json(Path(fold_dir) / seed_file(s))
        t = self.saved.get("target")
        self.target = (t["center"], t["scale"]) if t else None
        return self
