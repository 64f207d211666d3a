"""One fold of a spec table competition: the config's learner (kaggle_kit.tabular.learners) on the table
prepared as it takes it, fitted on the fold's training rows only (kaggle_kit.tabular.preparation), then its
predictions on the fold's validation rows and on the test rows, in the form the metric scores (a value, the
positive class's probability, or one probability per class). rmsle: the learners fit log1p(y) and predictions
are expm1, clipped at 0."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError
from kaggle_kit.tabular.config import TableConfig
from kaggle_kit.tabular.learners import LEARNERS
from kaggle_kit.tabular.preparation import Preparation
from kaggle_kit.tabular.spec import TabularSpec
from kaggle_kit.task import FoldContext, FoldOutput
from kaggle_kit.training.seeding import derive_seed


def learner_for(cfg: TableConfig, data, spec: TabularSpec):
    cls = LEARNERS[cfg.model]
    return cls(cfg, spec.problem, categorical=data.categorical if cls.takes == "strings" else None)


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


def fitted_rows(data, train_idx: np.ndarray) -> np.ndarray:
    """The fold's training rows the learner fits on: all, or those the hook's fit_rows keeps."""
    mask = getattr(data, "fit_mask", None)
    return train_idx if mask is None else train_idx[mask[train_idx]]


def fit_table_fold(cfg: TableConfig, data, ctx: FoldContext, spec: TabularSpec) -> FoldOutput:
    rows, val = fitted_rows(data, ctx.train_idx), ctx.val_idx
    y = np.log1p(data.y) if spec.metric == "rmsle" else data.y
    learner = learner_for(cfg, data, spec)
    prep = Preparation(learner.takes, data, rows)
    x_fit = prep.fit(data.train.iloc[rows])
    x_val, x_test = prep.transform(data.train.iloc[val]), prep.transform(data.test)
    info = learner.fit(x_fit, y[rows], seed=derive_seed(cfg.seed, ctx.fold), fold_dir=ctx.dir, x_val=x_val,
                       y_val=y[val], ctx=ctx, names=prep.names)
    learner.save_fold(ctx.dir, [learner], None)
    p_val = metric_form(spec, learner.classes_, learner.predict(x_val))
    p_test = metric_form(spec, learner.classes_, learner.predict(x_test))
    return FoldOutput(val=pred_frame(spec, [data.ids[i] for i in val], p_val),
                      test=pred_frame(spec, data.test_ids, p_test),
                      metrics={"learner": cfg.model, "n_features": len(data.features), "n_fit": len(rows), **info})


def predict_table_test(cfg: TableConfig, data, spec: TabularSpec, fold_dir) -> pd.DataFrame:
    """A fold model's test predictions from its saved model (an offline bundle), the preparation fitted again on
    its training rows as fit_table_fold fits it (deterministic): the numbers fit_table_fold gave."""
    from kaggle_kit.tabular.kind import fold_train_rows

    rows = fitted_rows(data, fold_train_rows(data, fold_dir, spec.id))
    classes = None if spec.problem == "regression" else np.unique(data.y[rows])
    learner = learner_for(cfg, data, spec).load(fold_dir, 0, classes)
    prep = Preparation(learner.takes, data, rows)
    prep.fit(data.train.iloc[rows])
    saved = learner.saved_features()
    if saved is not None and saved != prep.names:
        raise UserError(f"{fold_dir}: the fold model was fitted on other features than these training rows give; "
                        "point --data at the competition's files it was trained on")
    return pred_frame(spec, data.test_ids, metric_form(spec, learner.classes_, learner.predict(prep.transform(data.test))))
