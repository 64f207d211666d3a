"""One fold of a spec table competition: the config's learner (kaggle_kit.tabular.learners) on the table
prepared as it takes it, fitted on the fold's training rows only (kaggle_kit.tabular.preparation), then its
predictions on the fold's validation rows and on the test rows, in the form the metric scores (a value, the
positive class's probability, or one probability per class). rmsle: the learners fit log1p(y) and predictions
are expm1, clipped at 0."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.tabular.config import TableConfig
from kaggle_kit.tabular.early_stopping import inner_split
from kaggle_kit.tabular.learners import LEARNERS
from kaggle_kit.tabular.preparation import Preparation
from kaggle_kit.tabular.spec import TabularSpec
from kaggle_kit.task import FoldContext, FoldOutput
from kaggle_kit.training.seeding import derive_seed


def own_features(hooks) -> bool:
    """The hook module fits the features (every learner gets its matrix), not the kind's preparation."""
    return hooks is not None and hooks.fit_features is not None


def stack_members(cfg) -> list[str]:
    """The learners whose predictions a level-2 config stacks (kaggle_kit.tabular.stacking); a hook module's own
    Config may have no `stack` section: none."""
    stack = getattr(cfg, "stack", None)
    return list(stack.members) if stack is not None else []


def learner_for(cfg: TableConfig, data, spec: TabularSpec, hooks=None):
    """The config's learner; told the text columns where it takes them as strings (not on a hook's matrix)."""
    cls = LEARNERS[cfg.model]
    strings = cls.takes == "strings" and not own_features(hooks)
    return cls(cfg, spec.problem, categorical=data.categorical if strings else None)


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


def fitted_rows(cfg, data, train_idx: np.ndarray, hooks) -> np.ndarray:
    """The fold's training rows the learner fits on: all, or those the hook's fit_rows keeps."""
    if hooks is None or hooks.fit_rows is None:
        return train_idx
    from kaggle_kit.tabular.hooks import row_mask

    return train_idx[row_mask(hooks, "fit_rows", data.hook_train.iloc[train_idx], cfg)]


def clipped(cfg, data, rows: np.ndarray, spec: TabularSpec, pred: np.ndarray) -> np.ndarray:
    """Values: no prediction outside the fitted rows' target range (clip_to_train_range), which stops runaway
    extrapolation."""
    if spec.problem != "regression" or not cfg.clip_to_train_range:
        return pred
    return np.clip(pred, data.y[rows].min(), data.y[rows].max())


INNER_STREAM = 1_000_003     # the seed stream of the inner split, apart from the models' (seed, fold, s)


def fitted_target(spec: TabularSpec, data) -> np.ndarray:
    """The target the learners fit: log1p of it for rmsle, else as loaded."""
    return np.log1p(data.y) if spec.metric == "rmsle" else data.y


def early_stopping_rows(cfg, data, spec: TabularSpec, rows: np.ndarray, fold: int) -> np.ndarray | None:
    """The mask over `rows` that learners stop early on (kaggle_kit.tabular.early_stopping), drawn from the
    fold's seed; None without early stopping."""
    return inner_split(data.y[rows], None if data.groups is None else data.groups[rows], outer_kind(spec, data),
                       getattr(cfg, "inner_share", 0.0), derive_seed(cfg.seed, fold, INNER_STREAM),
                       classes=spec.problem != "regression")


def outer_kind(spec: TabularSpec, data) -> str:
    """The kind the outer folds were split by: a group column makes kfold `group` and stratified
    `stratified_group` (kaggle_kit.pipeline.cross_validate)."""
    from kaggle_kit.pipeline.cross_validate import GROUPED_KIND

    kind = spec.folds.kind
    return kind if data.groups is None else GROUPED_KIND.get(kind, kind)


def prepared(cfg, data, spec: TabularSpec, rows: np.ndarray, y: np.ndarray, fold: int):
    """The kind's preparation fitted on the fold's training rows (kaggle_kit.tabular.preparation)."""
    cls = LEARNERS[cfg.model]
    prep = Preparation(cls.takes, data, text=cls.text, cfg=cfg, problem=spec.problem,
                       seed=derive_seed(cfg.seed, fold))
    return prep.fit(data.train.iloc[rows], y[rows]), prep


def fit_table_fold(cfg: TableConfig, data, ctx: FoldContext, spec: TabularSpec, hooks=None) -> FoldOutput:
    """The learner `seeds` times on the fold's rows (prepared by the kind, or by the hook's fitted features),
    predictions averaged. Learners that stop early do so on a share of the training rows (inner_share)."""
    rows, val = fitted_rows(cfg, data, ctx.train_idx, hooks), ctx.val_idx
    y = fitted_target(spec, data)
    cls = LEARNERS[cfg.model]
    if own_features(hooks):
        context = hooks.fit_features(data.hook_train.iloc[rows], cfg)
        x = hooks.transform(data.hook_train, context)
        x_fit, x_val, x_test, names = x[rows], x[val], hooks.transform(data.test, context), None
    else:
        x_fit, prep = prepared(cfg, data, spec, rows, y, ctx.fold)
        x_val, x_test, context = prep.transform(data.train.iloc[val]), prep.transform(data.test), None
        names = prep.names
    stop = early_stopping_rows(cfg, data, spec, rows, ctx.fold)
    fitted, p_val, p_test, info, weights = [], [], [], [], []
    for s in range(cfg.seeds):
        learner = learner_for(cfg, data, spec, hooks)
        info.append(learner.fit(x_fit, y[rows], seed=cfg.model_seed(ctx.fold, s), fold_dir=ctx.dir, s=s,
                                x_val=x_val, y_val=y[val], ctx=ctx, names=names, stop=stop))
        p_val.append(metric_form(spec, learner.classes_, learner.predict(x_val)))
        p_test.append(metric_form(spec, learner.classes_, learner.predict(x_test)))
        weights.append(learner.importance(names) if names is not None else None)
        fitted.append(learner)
    cls.save_fold(ctx.dir, fitted, context)
    write_importance(ctx.dir, weights)
    pv = clipped(cfg, data, rows, spec, np.mean(p_val, 0))
    pt = clipped(cfg, data, rows, spec, np.mean(p_test, 0))
    metrics = {"learner": cfg.model, "n_features": x_fit.shape[1] if own_features(hooks) else len(data.features),
               "n_fit": len(rows), "seeds": info}
    if not own_features(hooks):
        metrics["n_columns"] = int(x_fit.shape[1])
    if stack_members(cfg):
        metrics["stack_members"] = stack_members(cfg)
    if stop is not None:
        metrics["n_early_stopping"] = int(stop.sum())
    return FoldOutput(val=pred_frame(spec, [data.ids[i] for i in val], pv), test=pred_frame(spec, data.test_ids, pt),
                      metrics=metrics, note=chosen_note(info, stop))


def chosen_note(info: list[dict], stop) -> str:
    """What early stopping chose on the inner rows, for the fold's line: rounds (and the refit's), or the epoch."""
    if stop is None or not info:
        return ""
    first = info[0]
    if "rounds" in first:
        refit = f", refitted with {first['refit_rounds']} on all" if "refit_rounds" in first else ""
        return f"{first['rounds']} rounds chosen on {int(stop.sum())} inner rows{refit}"
    if "epoch" in first:
        return f"epoch {first['epoch']} chosen on {int(stop.sum())} inner rows"
    return ""


def write_importance(fold_dir, weights: list[dict | None]) -> None:
    """importance.json: each feature's importance averaged over the seeds' models, where the learner has one."""
    if not weights or weights[0] is None:
        return
    keys = list(weights[0])
    mean = {k: float(np.mean([w.get(k, 0.0) for w in weights])) for k in keys}
    atomic.write_json(fold_dir / "importance.json", mean)


def predict_table_test(cfg: TableConfig, data, spec: TabularSpec, fold_dir, fold: int = 0, hooks=None) -> pd.DataFrame:
    """A fold's test predictions from what it saved (an offline bundle): each seed's model, on the test rows
    prepared again from the fold's training rows (deterministic) or by the hook's features from the state kept
    with the models, averaged and clipped as fit_table_fold does: the numbers it gave."""
    from kaggle_kit.tabular.kind import fold_train_rows

    rows = fitted_rows(cfg, data, fold_train_rows(data, fold_dir, spec.id), hooks)
    classes = None if spec.problem == "regression" else np.unique(data.y[rows])
    cls = LEARNERS[cfg.model]
    if own_features(hooks):
        x_test, names = hooks.transform(data.test, cls.fold_context(fold_dir, fold)), None
    else:
        y = fitted_target(spec, data)
        _, prep = prepared(cfg, data, spec, rows, y, fold)
        x_test, names = prep.transform(data.test), prep.names
    preds = []
    for s in range(cfg.seeds):
        learner = learner_for(cfg, data, spec, hooks).load(fold_dir, s, classes)
        saved = learner.saved_features()
        if saved is not None and saved != names:
            raise UserError(f"{fold_dir}: the fold model was fitted on other features than these training rows "
                            "give; point --data at the competition's files it was trained on")
        preds.append(metric_form(spec, learner.classes_, learner.predict(x_test)))
    return pred_frame(spec, data.test_ids, clipped(cfg, data, rows, spec, np.mean(preds, 0)))
