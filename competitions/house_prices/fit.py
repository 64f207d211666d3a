"""One house-prices fold: features fitted on the training rows (outliers left out of fitting, never out of
scoring), then the configured learner (kaggle_kit.tabular.learners), `seeds` times, predictions averaged. The
target is log(SalePrice)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from competitions.house_prices.config import HouseConfig
from competitions.house_prices.features import fit_features, n_features, transform
from competitions.house_prices.schema import ID, is_outlier
from kaggle_kit.tabular.learners import LEARNERS
from kaggle_kit.task import FoldContext, FoldOutput
from kaggle_kit.training.seeding import derive_seed


def fit_rows(cfg: HouseConfig, train: pd.DataFrame, train_idx: np.ndarray) -> np.ndarray:
    if not cfg.drop_outliers:
        return train_idx
    return train_idx[~is_outlier(train.iloc[train_idx])]


def clipped(cfg: HouseConfig, y_fit: np.ndarray, *preds: np.ndarray) -> list[np.ndarray]:
    """No sale outside the prices seen in training: stops runaway extrapolation."""
    if not cfg.clip_to_train_range:
        return list(preds)
    return [np.clip(p, y_fit.min(), y_fit.max()) for p in preds]


def fit_house_fold(cfg: HouseConfig, data, ctx: FoldContext) -> FoldOutput:
    train, y, val_idx = data.train, data.y, ctx.val_idx
    rows = fit_rows(cfg, train, ctx.train_idx)
    state = fit_features(train.iloc[rows], cfg.features)
    x, x_test = transform(train, state), transform(data.test, state)
    cls = LEARNERS[cfg.model]
    fitted, preds_val, preds_test, info = [], [], [], []
    for s in range(cfg.seeds):
        learner = cls(cfg, "regression")
        info.append(learner.fit(x[rows], y[rows], seed=derive_seed(cfg.seed, ctx.fold, s), fold_dir=ctx.dir, s=s,
                                x_val=x[val_idx], y_val=y[val_idx], ctx=ctx))
        preds_val.append(learner.predict(x[val_idx]))
        preds_test.append(learner.predict(x_test))
        fitted.append(learner)
    cls.save_fold(ctx.dir, fitted, state)
    pred_val, pred_test = clipped(cfg, y[rows], np.mean(preds_val, 0), np.mean(preds_test, 0))
    return FoldOutput(
        val=pd.DataFrame({ID: [data.ids[i] for i in val_idx], "pred": pred_val}),
        test=pd.DataFrame({ID: data.test_ids, "pred": pred_test}),
        metrics={"n_fit": len(rows), "n_features": n_features(state), "seeds": info})


def predict_house_test(cfg: HouseConfig, data, fold: int, fold_dir) -> pd.DataFrame:
    """A fold's test predictions from what it saved alone (an offline bundle): its feature state and each seed's
    model, averaged and clipped as fit_house_fold does; the same numbers (the SVR's kernel sum up to rounding)."""
    from kaggle_kit.tabular.kind import fold_train_rows

    rows = fit_rows(cfg, data.train, fold_train_rows(data, fold_dir, ID))
    cls = LEARNERS[cfg.model]
    x_test = transform(data.test, cls.fold_context(fold_dir, fold))
    preds = [cls(cfg, "regression").load(fold_dir, s, None).predict(x_test) for s in range(cfg.seeds)]
    (pred,) = clipped(cfg, data.y[rows], np.mean(preds, 0))
    return pd.DataFrame({ID: data.test_ids, "pred": pred})
