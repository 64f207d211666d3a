"""One fold of a spec table competition: the spec's learner on features prepared from the training rows only,
then its predictions on the fold's validation rows and on the test rows, in the form the metric scores (a
value, the positive class's probability, or one probability per class).

Preparation per learner, fitted on the fold's training rows: LightGBM gets numbers and pandas categories (a
category the training rows never had becomes missing); CatBoost gets numbers and the text columns as its own
categorical features; the linear model gets imputed, standardised numbers and one-hot text (an unseen category
is all zeros). rmsle: the learners fit log1p(y) and predictions are expm1, clipped at 0."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError
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
        with warnings.catch_warnings():      # scikit-learn's notices of its own coming defaults: nothing to act on
            warnings.simplefilter("ignore", FutureWarning)
            model = make_pipeline(linear_features(data), head).fit(text_as_str(data, train.iloc[rows]), y[rows])
        fitted = model[-1]
        atomic.write_text(ctx.dir / "model.json", json.dumps({
            "features": model[0].get_feature_names_out().tolist(), "coef": np.asarray(fitted.coef_).tolist(),
            "intercept": np.atleast_1d(fitted.intercept_).tolist()}) + "\n")
        x_val, x_test = text_as_str(data, train.iloc[val]), text_as_str(data, test)
    if problem == "regression":
        return metric_form(spec, None, model.predict(x_val)), metric_form(spec, None, model.predict(x_test))
    return (metric_form(spec, model.classes_, model.predict_proba(x_val)),
            metric_form(spec, model.classes_, model.predict_proba(x_test)))


def metric_form(spec: TabularSpec, classes, pred: np.ndarray) -> np.ndarray:
    """A learner's output as the metric scores it: rmsle's values back from log1p; a classifier's probabilities
    of the classes it saw (`classes`) spread over every class, the others at 0; binary: the positive one's."""
    if spec.problem == "regression":
        return np.clip(np.expm1(pred), 0, None) if spec.metric == "rmsle" else pred
    full = np.zeros((len(pred), len(spec.classes)))
    for k, c in enumerate(classes):               # a class absent from the training fold keeps probability 0
        full[:, int(c)] = pred[:, k]
    return full[:, 1] if spec.problem == "binary" else full


def pred_frame(spec: TabularSpec, ids, pred: np.ndarray) -> pd.DataFrame:
    columns = list(spec.classes) if spec.problem == "multiclass" else ["pred"]
    values = pred.reshape(len(ids), -1)
    return pd.concat([pd.DataFrame({spec.id: ids}), pd.DataFrame(values, columns=columns)], axis=1)


def fit_table_fold(cfg: TableConfig, data, ctx: FoldContext, spec: TabularSpec) -> FoldOutput:
    seed = derive_seed(cfg.seed, ctx.fold)
    p_val, p_test = fit_predict(cfg, data, spec, ctx, seed)
    return FoldOutput(val=pred_frame(spec, [data.ids[i] for i in ctx.val_idx], p_val),
                      test=pred_frame(spec, data.test_ids, p_test),
                      metrics={"learner": cfg.model, "n_features": len(data.features)})


def predict_table_test(cfg: TableConfig, data, spec: TabularSpec, fold_dir) -> pd.DataFrame:
    """A fold model's test predictions from its saved model (an offline bundle), the preparation fitted again on
    its training rows as fit_predict fits it (deterministic): the numbers fit_table_fold gave."""
    from kaggle_kit.tabular.kind import fold_train_rows

    rows = fold_train_rows(data, fold_dir, spec.id)
    classes = None if spec.problem == "regression" else np.unique(data.y[rows])
    if cfg.model == "gbdt":
        import lightgbm as lgb

        out = lgb.Booster(model_file=str(fold_dir / "model_seed0.txt")).predict(gbdt_frame(data, rows, data.test))
        if spec.problem != "regression" and out.ndim == 1:        # as LGBMClassifier.predict_proba gives it
            out = np.vstack((1.0 - out, out)).transpose()
    elif cfg.model == "catboost":
        from catboost import CatBoostClassifier, CatBoostRegressor

        kind = CatBoostRegressor if spec.problem == "regression" else CatBoostClassifier
        model = kind().load_model(str(fold_dir / "model_seed0.cbm"), format="cbm")
        x = catboost_frame(data, data.test)
        out = model.predict(x) if spec.problem == "regression" else model.predict_proba(x)
    else:
        from sklearn.linear_model import LogisticRegression, Ridge

        saved = json.loads((fold_dir / "model.json").read_text())
        prepare = linear_features(data).fit(text_as_str(data, data.train.iloc[rows]))
        if prepare.get_feature_names_out().tolist() != saved["features"]:
            raise UserError(f"{fold_dir}/model.json was fitted on other features than these training rows give; "
                            "point --data at the competition's files it was trained on")
        head = Ridge() if spec.problem == "regression" else LogisticRegression()
        head.coef_, head.intercept_ = np.asarray(saved["coef"]), np.asarray(saved["intercept"])
        if spec.problem == "regression":
            head.intercept_ = head.intercept_[0]
        head.n_features_in_ = len(saved["features"])
        x = prepare.transform(text_as_str(data, data.test))
        if spec.problem == "regression":
            out = head.predict(x)
        else:
            head.classes_ = classes
            out = head.predict_proba(x)
    return pred_frame(spec, data.test_ids, metric_form(spec, classes, out))
