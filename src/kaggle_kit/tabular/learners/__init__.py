"""Every tabular learner, by name: the registry house, spec tables, bundles and offline prediction read.
Adding a learner is one module here (its config section and its Learner class) and its line below."""

from __future__ import annotations

from kaggle_kit.tabular.learners.base import Learner
from kaggle_kit.tabular.learners.catboost import CatBoost, CatBoostConfig
from kaggle_kit.tabular.learners.forests import ExtraTrees, ForestConfig, RandomForest
from kaggle_kit.tabular.learners.gbdt import GBDT, GBDTConfig
from kaggle_kit.tabular.learners.knn import KNN, KNNConfig
from kaggle_kit.tabular.learners.linear import Linear, LinearConfig
from kaggle_kit.tabular.learners.mlp import MLP, MLPConfig
from kaggle_kit.tabular.learners.svr import SVR, SVRConfig

LEARNERS: dict[str, type[Learner]] = {c.name: c for c in (GBDT, CatBoost, Linear, SVR, MLP, ExtraTrees,
                                                           RandomForest, KNN)}

__all__ = ["LEARNERS", "Learner", "GBDTConfig", "CatBoostConfig", "LinearConfig", "SVRConfig", "MLPConfig",
           "ForestConfig", "KNNConfig"]


def learner_files(names) -> tuple[str, ...]:
    """The model files (globs) the named learners save in a fold folder: what a bundle carries."""
    return tuple(dict.fromkeys(f for n in names for f in LEARNERS[n].files))
