"""The interface of every tabular learner: fit on a fold's prepared rows, predict values or class
probabilities, save its model in the fold folder and load it back, and name the files a bundle carries.

A learner reads its own config section (`cfg.<name>`, e.g. `cfg.gbdt`) and the training keys of the whole
config where it trains by gradient steps (the MLP). `takes` says which preparation of the table its rows get:
`categories` (numbers, text columns as pandas categories: LightGBM), `strings` (numbers, text columns as
strings: CatBoost) or `numbers` (one numeric matrix: imputed, standardised, one-hot; linear models, SVR, MLP).
A competition whose own features are numbers already hands every learner the same matrix. The pattern is
scikit-learn's estimator (fit / predict) and AutoGluon's model class (one per learner, saving itself)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import FEATURES

PROBLEMS = ("regression", "binary", "multiclass")


class Learner:
    name: ClassVar[str]                                 # its config section and its `model:` value
    Config: ClassVar[type]                              # its section's keys (a StrictModel)
    table_default: ClassVar[Any]                        # that section's values in a spec table's config
    takes: ClassVar[str] = "numbers"                    # categories | strings | numbers
    files: ClassVar[tuple[str, ...]]                    # its model files in a fold folder (globs): what a bundle carries
    problems: ClassVar[tuple[str, ...]] = PROBLEMS      # the problems it fits
    uses_training_keys: ClassVar[bool] = False          # reads epochs, lr, batch_size... (a network)
    text: ClassVar[str] = "svd"                         # free text as TF-IDF (`tfidf`: sparse, linear models) or
    #                                                     its truncated SVD (`svd`), where it takes `numbers`

    def __init__(self, cfg, problem: str, *, categorical: list[str] | None = None):
        self.cfg, self.section, self.problem = cfg, getattr(cfg, self.name), problem
        self.categorical = list(categorical or [])
        self.classes_: np.ndarray | None = None         # classification: the class indices it saw, in order

    def fit(self, x, y: np.ndarray, *, seed: int, fold_dir: Path, s: int = 0, x_val=None, y_val=None,
            ctx=None, stop: np.ndarray | None = None) -> dict[str, Any]:
        """Fit on (x, y), save the model in fold_dir (seed s's file), return what the fold's metrics record.
        `stop`: a mask of x's rows held out for early stopping (kaggle_kit.tabular.early_stopping), or None; a
        learner that stops early reads only those, never x_val (the scored fold, passed for logging)."""
        raise NotImplementedError

    def predict(self, x) -> np.ndarray:
        """Values (regression) or probabilities of classes_ (rows x classes), fitted or loaded."""
        raise NotImplementedError

    def load(self, fold_dir: Path, s: int, classes: np.ndarray | None) -> Learner:
        """The model seed s saved in fold_dir; `classes`: the class indices its training rows held."""
        raise NotImplementedError

    def importance(self, names: list[str] | None) -> dict[str, float] | None:
        """Each feature's importance in the fitted model (gain for trees, |coefficient| for linear models), by
        the names of the prepared columns; None for a learner without one."""
        return None

    def saved_features(self) -> list[str] | None:
        """The names of the columns a loaded model was fitted on, where it saved them."""
        return None

    @classmethod
    def save_fold(cls, fold_dir: Path, fitted: list[Learner], context: dict | None) -> None:
        """After every seed's fit: what the fold's models predict with beside them (a feature state) as
        features.json; the MLP keeps it inside its checkpoint instead."""
        if context is not None:
            atomic.write_json(fold_dir / FEATURES, context)

    @classmethod
    def fold_context(cls, fold_dir: Path, fold: int) -> dict:
        """What save_fold kept beside the models."""
        return json.loads((fold_dir / FEATURES).read_text())


def seed_file(s: int, stem: str = "model", ext: str = "json") -> str:
    """model.json for the first seed's JSON model, model_seed<s>.json for the others (the files earlier runs
    wrote)."""
    return f"{stem}.{ext}" if s == 0 else f"{stem}_seed{s}.{ext}"


def read_model_json(path: Path) -> dict:
    """A JSON model a fold saved, or one line naming the file to retrain when it is not there."""
    if not path.is_file():
        raise UserError(f"{path} is missing (a run with seeds trained before each seed kept its own model, or a "
                        "damaged fold); retrain it with FORCE=1")
    return json.loads(path.read_text())
