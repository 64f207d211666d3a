"""CatBoost: oblivious trees on numbers and its own encoding of text categories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from kaggle_kit.config import StrictModel
from kaggle_kit.io import atomic
from kaggle_kit.tabular.learners.base import Learner


class CatBoostConfig(StrictModel):
    """CatBoost's oblivious trees (one split shared by every node of a depth level): smoother than LightGBM's
    leaf-wise trees on a thousand rows, and different enough to add to a blend."""
    iterations: int = Field(3000, ge=1)
    learning_rate: float = Field(0.03, gt=0)
    depth: int = Field(4, ge=1, le=16)
    l2_leaf_reg: float = Field(3.0, ge=0)
    rsm: float = Field(1.0, gt=0, le=1)        # share of the columns tried at each split
    threads: int = Field(0, ge=0)              # 0: CatBoost's default (all cores)
    early_stopping_rounds: int = Field(0, ge=0)   # > 0: stop when the inner rows (inner_share) have not improved
    #                                               for this many iterations; 0: fit every iteration
    refit: bool = True                         # after early stopping, fit again on every training row of the fold


class CatBoost(Learner):
    name = "catboost"
    Config = CatBoostConfig
    table_default = CatBoostConfig(iterations=5000, learning_rate=0.05, depth=6,
                                   early_stopping_rounds=100)   # a spec table's section
    takes = "strings"
    files = ("model*.cbm",)

    def _kind(self):
        from catboost import CatBoostClassifier, CatBoostRegressor

        return CatBoostRegressor if self.problem == "regression" else CatBoostClassifier

    def _model(self, seed: int, iterations: int):
        c = self.section
        common = dict(iterations=iterations, learning_rate=c.learning_rate, depth=c.depth,
                      l2_leaf_reg=c.l2_leaf_reg, rsm=c.rsm, random_seed=seed % 2**32, thread_count=c.threads or -1,
                      verbose=0, allow_writing_files=False)      # no catboost_info/ folder in the working directory
        if self.categorical:
            common["cat_features"] = self.categorical
        if self.problem != "regression":
            common["loss_function"] = "Logloss" if self.problem == "binary" else "MultiClass"
        return self._kind()(**common)

    def fit(self, x, y, *, seed, fold_dir, s=0, stop=None, **_):
        c, info = self.section, {}
        if stop is not None and c.early_stopping_rounds:
            from kaggle_kit.tabular.early_stopping import refit_rounds, rows

            probe = self._model(seed, c.iterations)
            probe.fit(rows(x, ~stop), y[~stop], eval_set=(rows(x, stop), y[stop]),
                      early_stopping_rounds=c.early_stopping_rounds, use_best_model=True)
            best = int(probe.get_best_iteration()) + 1
            info = {"rounds": best}
            if c.refit:
                info["refit_rounds"] = refit_rounds(best, stop)
                self.model = self._model(seed, info["refit_rounds"])
                self.model.fit(x, y)
            else:
                self.model = probe
        else:
            self.model = self._model(seed, c.iterations)
            self.model.fit(x, y)
        atomic.write_with(Path(fold_dir) / f"model_seed{s}.cbm", lambda p: self.model.save_model(str(p), format="cbm"))
        self.classes_ = getattr(self.model, "classes_", None)
        return info

    def importance(self, names):
        values = self.model.get_feature_importance()
        return dict(zip(names or self.model.feature_names_, np.asarray(values, float), strict=True))

    def predict(self, x) -> np.ndarray:
        return self.model.predict(x) if self.problem == "regression" else self.model.predict_proba(x)

    def load(self, fold_dir, s, classes):
        self.model = self._kind()().load_model(str(Path(fold_dir) / f"model_seed{s}.cbm"), format="cbm")
        self.classes_ = classes
        return self
