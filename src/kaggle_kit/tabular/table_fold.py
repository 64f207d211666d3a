"""One fold of a spec table competition: the spec's learner on features prepared from the training rows only,
then its predictions on the fold's validation rows and on the test rows, in the form the metric scores (a
value, the positive class's probability, or one probability per class).

Preparation per learner, fitted on the fold's training rows: LightGBM gets numbers and pandas categories (a
category the training rows never had becomes missing); CatBoost gets numbers and the text columns as its own
categorical features; the linear model gets imputed, standardised numbers and one-hot text (an unseen category
is all zeros). rmsle: the learners fit log1p(y) and predictions are expm1, clipped at 0."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from kaggle_kit.io import atomic
from kaggle_kit.tabular.config import TableConfig
from kaggle_kit.tabular.spec import TabularSpec
from kaggle_kit.task import FoldContext, FoldOutput
from kaggle_kit.training.seeding import derive_seed


def gbdt_frame(data, rows_fit: np.ndarray, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[data.features].copy()
    for c in data.features:
        if c in data.categorical:
            seen = sorted(data.train[c].iloc[rows_fit].dropna().astype(str).unique())
            values = frame[c].astype("string").to_numpy(dtype=object)
            known = pd.Series(values).isin(seen).to_numpy()
            out[c] = pd.Categorical(np.where(known, values, None), categories=seen)
        else:
            out[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return out


def catboost_frame(data, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[data.features].copy()
    for c in data.features:
        out[c] = frame[c].astype(str).fillna("nan") if c in data.categorical else \
            pd.to_numeric(frame[c], errors="coerce").astype(float)
    return out


def linear_features(data):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in data.features if c not in data.categorical]
    return ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("text", make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                               OneHotEncoder(handle_unknown="ignore")), data.categorical)])


def text_as_str(data, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[data.features].copy()
    for c in data.categorical:
        out[c] = frame[c].astype(object).where(frame[c].notna(), None).map(lambda v: v if v is None else str(v))
    return out


def fit_predict(cfg: TableConfig, data, spec: TabularSpec, ctx: FoldContext, seed: int):
    """(validation predictions, test predictions, fold metrics) of cfg.model."""
    rows, val = ctx.train_idx, ctx.val_idx
    train, test, problem = data.train, data.test, spec.problem
    y = np.log1p(data.y) if spec.metric == "rmsle" else data.y
    if cfg.model == "gbdt":
        import lightgbm as lgb

        g = cfg.gbdt
        kind = lgb.LGBMRegressor if problem == "regression" else lgb.LGBMClassifier
        model = kind(n_estimators=g.n_estimators, learning_rate=g.learning_rate, num_leaves=g.num_leaves,
                     min_child_samples=g.min_child_samples, subsample=g.subsample, subsample_freq=1,
                     colsample_bytree=g.colsample_bytree, reg_lambda=g.reg_lambda, reg_alpha=g.reg_alpha,
                     random_state=seed, n_jobs=g.threads or None, verbose=-1)
        model.fit(gbdt_frame(data, rows, train.iloc[rows]), y[rows])
        atomic.write_with(ctx.dir / "model_seed0.txt", lambda p: model.booster_.save_model(str(p)))
        x_val, x_test = gbdt_frame(data, rows, train.iloc[val]), gbdt_frame(data, rows, test)
    elif cfg.model == "catboost":
        from catboost import CatBoostClassifier, CatBoostRegressor

        c = cfg.catboost
        common = dict(iterations=c.iterations, learning_rate=c.learning_rate, depth=c.depth,
                      l2_leaf_reg=c.l2_leaf_reg, rsm=c.rsm, random_seed=seed % 2**32, thread_count=c.threads or -1,
                      verbose=0, allow_writing_files=False, cat_features=data.categorical)
        model = CatBoostRegressor(**common) if problem == "regression" else CatBoostClassifier(
            loss_function="Logloss" if problem == "binary" else "MultiClass", **common)
        model.fit(catboost_frame(data, train.iloc[rows]), y[rows])
        atomic.write_with(ctx.dir / "model_seed0.cbm", lambda p: model.save_model(str(p), format="cbm"))
        x_val, x_test = catboost_frame(data, train.iloc[val]), catboost_frame(data, test)
    else:
        from sklearn.linear_model import LogisticRegressionCV, RidgeCV
        from sklearn.model_selection import KFold, StratifiedKFold
        from sklearn.pipeline import make_pipeline

        lin = cfg.linear
        inner = (KFold if problem == "regression" else StratifiedKFold)(lin.inner_folds, shuffle=True,
                                                                        random_state=seed % 2**32)
        head = RidgeCV(alphas=lin.alphas, cv=inner) if problem == "regression" else LogisticRegressionCV(
            Cs=[1 / a for a in lin.alphas], cv=inner, scoring="neg_log_loss", max_iter=lin.max_iter)
        model = make_pipeline(linear_features(data), head).fit(text_as_str(data, train.iloc[rows]), y[rows])
        fitted = model[-1]
        atomic.write_text(ctx.dir / "model.json", json.dumps({
            "features": model[0].get_feature_names_out().tolist(), "coef": np.asarray(fitted.coef_).tolist(),
            "intercept": np.atleast_1d(fitted.intercept_).tolist()}) + "\n")
        x_val, x_test = text_as_str(data, train.iloc[val]), text_as_str(data, test)
    if problem == "regression":
        p_val, p_test = model.predict(x_val), model.predict(x_test)
        if spec.metric == "rmsle":
            p_val, p_test = np.clip(np.expm1(p_val), 0, None), np.clip(np.expm1(p_test), 0, None)
        return p_val, p_test
    p_val, p_test = model.predict_proba(x_val), model.predict_proba(x_test)
    full = np.zeros((len(p_val), len(spec.classes))), np.zeros((len(p_test), len(spec.classes)))
    for k, c in enumerate(model.classes_):        # a class absent from the training fold keeps probability 0
        full[0][:, int(c)], full[1][:, int(c)] = p_val[:, k], p_test[:, k]
    return (full[0][:, 1], full[1][:, 1]) if problem == "binary" else full


def fit_table_fold(cfg: TableConfig, data, ctx: FoldContext, spec: TabularSpec) -> FoldOutput:
    seed = derive_seed(cfg.seed, ctx.fold)
    p_val, p_test = fit_predict(cfg, data, spec, ctx, seed)
    columns = list(spec.classes) if spec.problem == "multiclass" else ["pred"]

    def frame(ids, pred):
        values = pred.reshape(len(ids), -1)
        return pd.concat([pd.DataFrame({spec.id: ids}), pd.DataFrame(values, columns=columns)], axis=1)

    return FoldOutput(val=frame([data.ids[i] for i in ctx.val_idx], p_val), test=frame(data.test_ids, p_test),
                      metrics={"learner": cfg.model, "n_features": len(data.features)})
