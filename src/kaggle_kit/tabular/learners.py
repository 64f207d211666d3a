"""Tabular learners that are not Lightning models, on a feature matrix: gradient-boosted trees (LightGBM or
CatBoost), linear models whose regularisation is chosen by an inner CV on the training fold only, and RBF
support-vector regression. Each saves its model in its library's own format or as JSON, never a pickle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from kaggle_kit.config import StrictModel
from kaggle_kit.io import atomic


class GBDTConfig(StrictModel):
    n_estimators: int = Field(2000, ge=1)
    learning_rate: float = Field(0.02, gt=0)
    num_leaves: int = Field(15, ge=2)
    min_child_samples: int = Field(10, ge=1)
    subsample: float = Field(0.7, gt=0, le=1)
    colsample_bytree: float = Field(0.3, gt=0, le=1)
    reg_lambda: float = Field(1.0, ge=0)
    reg_alpha: float = Field(0.0, ge=0)
    threads: int = Field(0, ge=0)       # 0: LightGBM's default (all cores)


class LinearConfig(StrictModel):
    kind: Literal["ridge", "lasso", "elasticnet"] = "ridge"
    alphas: list[float] = Field(default_factory=lambda: np.logspace(-4, 3, 36).round(6).tolist())
    l1_ratio: list[float] = [0.1, 0.5, 0.9]   # elastic net only
    inner_folds: int = Field(5, ge=2)
    max_iter: int = Field(20000, ge=100)


class SVRConfig(StrictModel):
    C: float = Field(20.0, gt=0)
    epsilon: float = Field(0.008, ge=0)
    gamma: float = Field(3e-4, gt=0)


class CatBoostConfig(StrictModel):
    """CatBoost's oblivious trees (one split shared by every node of a depth level): smoother than LightGBM's
    leaf-wise trees on a thousand rows, and different enough to add to a blend."""
    iterations: int = Field(3000, ge=1)
    learning_rate: float = Field(0.03, gt=0)
    depth: int = Field(4, ge=1, le=16)
    l2_leaf_reg: float = Field(3.0, ge=0)
    rsm: float = Field(1.0, gt=0, le=1)        # share of the columns tried at each split
    threads: int = Field(0, ge=0)              # 0: CatBoost's default (all cores)


def fit_gbdt(cfg: GBDTConfig, x: np.ndarray, y: np.ndarray, seed: int, *, path: Path):
    """Fit LightGBM, save its text model to `path`, return the fitted regressor."""
    import lightgbm as lgb

    model = lgb.LGBMRegressor(
        n_estimators=cfg.n_estimators, learning_rate=cfg.learning_rate, num_leaves=cfg.num_leaves,
        min_child_samples=cfg.min_child_samples, subsample=cfg.subsample, subsample_freq=1,
        colsample_bytree=cfg.colsample_bytree, reg_lambda=cfg.reg_lambda, reg_alpha=cfg.reg_alpha,
        random_state=seed, n_jobs=cfg.threads or None, verbose=-1)
    model.fit(x, y)
    atomic.write_with(path, lambda p: model.booster_.save_model(str(p)))
    return model


def fit_linear(cfg: LinearConfig, x: np.ndarray, y: np.ndarray, seed: int, *, path: Path):
    """Fit ridge / lasso / elastic net with alpha (and l1_ratio) chosen by inner k-fold CV on (x, y) alone;
    save coefficients as JSON; return the fitted model."""
    from sklearn.linear_model import ElasticNetCV, LassoCV, RidgeCV
    from sklearn.model_selection import KFold

    inner = KFold(cfg.inner_folds, shuffle=True, random_state=seed % 2**32)
    if cfg.kind == "ridge":
        model = RidgeCV(alphas=cfg.alphas, cv=inner).fit(x, y)
        l1 = 0.0
    elif cfg.kind == "lasso":
        model = LassoCV(alphas=cfg.alphas, cv=inner, max_iter=cfg.max_iter, n_jobs=1).fit(x, y)
        l1 = 1.0
    else:
        model = ElasticNetCV(alphas=cfg.alphas, l1_ratio=cfg.l1_ratio, cv=inner, max_iter=cfg.max_iter,
                             n_jobs=1).fit(x, y)
        l1 = float(model.l1_ratio_)
    atomic.write_text(path, json.dumps({"kind": cfg.kind, "alpha": float(model.alpha_), "l1_ratio": l1,
                                        "intercept": float(model.intercept_),
                                        "dtype": str(np.asarray(model.coef_).dtype),
                                        "coef": np.asarray(model.coef_, dtype=float).tolist()}) + "\n")
    return model


def fit_svr(cfg: SVRConfig, x: np.ndarray, y: np.ndarray, seed: int, *, path: Path):
    """RBF support-vector regression; saves its support vectors and dual coefficients as JSON."""
    from sklearn.svm import SVR

    model = SVR(C=cfg.C, epsilon=cfg.epsilon, gamma=cfg.gamma).fit(x, y)
    atomic.write_text(path, json.dumps({"C": cfg.C, "epsilon": cfg.epsilon, "gamma": cfg.gamma,
                                        "intercept": float(model.intercept_[0]),
                                        "dual_coef": model.dual_coef_[0].tolist(),
                                        "support_vectors": model.support_vectors_.tolist()}) + "\n")
    return model


def fit_catboost(cfg: CatBoostConfig, x: np.ndarray, y: np.ndarray, seed: int, *, path: Path):
    """Fit CatBoost, save it in CatBoost's own binary format to `path` (load_catboost reads it back)."""
    from catboost import CatBoostRegressor

    model = CatBoostRegressor(
        iterations=cfg.iterations, learning_rate=cfg.learning_rate, depth=cfg.depth, l2_leaf_reg=cfg.l2_leaf_reg,
        rsm=cfg.rsm, random_seed=seed % 2**32, thread_count=cfg.threads or -1, verbose=0,
        allow_writing_files=False)   # no catboost_info/ folder in the working directory
    model.fit(x, y)
    atomic.write_with(path, lambda p: model.save_model(str(p), format="cbm"))
    return model


def load_catboost(path: Path):
    from catboost import CatBoostRegressor

    return CatBoostRegressor().load_model(str(path), format="cbm")
