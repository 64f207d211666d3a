"""A level-2 model without the stacking leak. A stack config (`stack.members`) fits its `model` on the table's
features plus the members' predictions. Usual stacking feeds it the members' out-of-fold predictions, but the
member that predicted a training row of outer fold k was fitted on fold k's own rows, so the level-2 model
learns from the scored fold's targets (on a small table the CV of a linear level-2 model read 0.93 AUC against
0.85 held out). Here every member is fitted again inside the training fold: its predictions for the training
rows come from inner folds of those rows only, and those for the scored and test rows are the inner models'
mean. Nothing the level-2 model learns from or is scored on has seen the scored fold. It costs `stack.folds`
fits of each member per outer fold."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.config import stable_hash
from kaggle_kit.errors import UserError
from kaggle_kit.paths import STACK_DIR
from kaggle_kit.pipeline.folds import ids_fingerprint, make_folds
from kaggle_kit.pipeline.runs import run_fingerprint
from kaggle_kit.tabular.learners import LEARNERS
from kaggle_kit.tabular.spec import TabularSpec
from kaggle_kit.tabular.table_fold import (
    early_stopping_rows,
    fitted_rows,
    fitted_target,
    learner_for,
    metric_form,
    outer_kind,
    own_features,
    prepared,
)
from kaggle_kit.task import FoldContext
from kaggle_kit.training.seeding import derive_seed

STACK_STREAM = 2_000_003     # the seed stream of the inner folds, apart from the models' and the early stopping's
COLUMNS = "columns.npz"      # in the cache: a member's columns (train, test)
STALE_S = 86_400             # a cache build's folder untouched this long belongs to a killed process
VERSIONS = {name: metadata.version(name) for name in ("kaggle-kit", "lightgbm", "catboost", "scikit-learn", "torch")}
#   the cache's key holds them: an upgrade fits the members again


def feature_names(spec: TabularSpec, member: str) -> list[str]:
    """The columns a member's predictions become: one per class (multiclass), else one."""
    if spec.problem == "multiclass":
        return [f"stack.{member}.{c}" for c in spec.classes]
    return [f"stack.{member}"]


def member_config(cfg, member: str):
    """The member's config: the stack's own with the member as its model, one seed and no stack of its own."""
    return cfg.model_copy(update={"model": member, "seeds": 1, "stack": type(cfg.stack)()})


def inner_folds(cfg, data, spec: TabularSpec, rows: np.ndarray, fold: int) -> np.ndarray:
    """The inner fold of each of the fold's training rows, split as the outer folds are."""
    return make_folds(len(rows), cfg.stack.folds, derive_seed(cfg.seed, fold, STACK_STREAM) % 2**32,
                      outer_kind(spec, data), y=None if data.stratify is None else data.stratify[rows],
                      groups=None if data.groups is None else data.groups[rows])


def fit_member(member_cfg, data, spec: TabularSpec, fit: np.ndarray, held: np.ndarray, fold: int, folder: Path,
               hooks):
    """The member fitted on the rows `fit` as its own run would be (its preparation, early stopping on its
    inner rows, its first seed) and saved in folder: (the learner, its preparation)."""
    y = fitted_target(spec, data)
    x_fit, prep = prepared(member_cfg, data, spec, fit, y, fold)
    stop = early_stopping_rows(member_cfg, data, spec, fit, fold)
    learner = learner_for(member_cfg, data, spec, hooks)
    folder.mkdir(parents=True, exist_ok=True)
    ctx = FoldContext(fold=fold, dir=folder, train_idx=fit, val_idx=held)
    learner.fit(x_fit, y[fit], seed=member_cfg.model_seed(fold, 0), fold_dir=folder, ctx=ctx, names=prep.names,
                stop=stop, x_val=prep.transform(data.train.iloc[held]), y_val=y[held])   # x_val: a network's log
    type(learner).save_fold(folder, [learner], None)
    return learner, prep


def load_member(member_cfg, data, spec: TabularSpec, fit: np.ndarray, fold: int, folder: Path, hooks):
    """The member a stack's fold saved in folder, with its preparation fitted again on the rows `fit`."""
    _, prep = prepared(member_cfg, data, spec, fit, fitted_target(spec, data), fold)
    classes = None if spec.problem == "regression" else np.unique(data.y[fit])
    return learner_for(member_cfg, data, spec, hooks).load(folder, 0, classes), prep


def member_columns(cfg, data, spec: TabularSpec, member: str, rows: np.ndarray, val: np.ndarray, fold: int,
                   folder: Path, hooks, *, saved: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One member's predictions as stack features: (every training row's, the test rows'), each rows x width.
    Its inner models are fitted into folder/inner<i> (or, `saved`, loaded from there)."""
    width = len(spec.classes) if spec.problem == "multiclass" else 1
    member_cfg, inner = member_config(cfg, member), inner_folds(cfg, data, spec, rows, fold)
    on_train = np.full((len(data.y), width), np.nan)
    on_val, on_test = np.zeros((len(val), width)), np.zeros((len(data.test), width))
    for i in range(cfg.stack.folds):
        held, place = inner == i, folder / f"inner{i}"
        fit = rows[~held]
        learner, prep = (load_member(member_cfg, data, spec, fit, fold, place, hooks) if saved else
                         fit_member(member_cfg, data, spec, fit, rows[held], fold, place, hooks))
        on_train[rows[held]] = predicted(spec, learner, prep, data.train.iloc[rows[held]], width)
        if len(val):                                    # none when predicting again offline
            on_val += predicted(spec, learner, prep, data.train.iloc[val], width) / cfg.stack.folds
        on_test += predicted(spec, learner, prep, data.test, width) / cfg.stack.folds
    on_train[val] = on_val
    return on_train, on_test


def predicted(spec: TabularSpec, learner, prep, frame, width: int) -> np.ndarray:
    """A member's predictions on a frame's rows, in the metric's form, rows x width."""
    return metric_form(spec, learner.classes_, learner.predict(prep.transform(frame))).reshape(-1, width)


REFRESHED: set[Path] = set()    # the cache entries FORCE=1 made again in this process (each once)


def cached_member(cfg, data, spec: TabularSpec, member: str, rows: np.ndarray, val: np.ndarray, fold: int,
                  fold_dir: Path, hooks, cache: Path | None, refresh: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """member_columns, kept in the competition's cache under the key of everything they depend on: another stack
    on the same member (another level-2 model) links its models into its fold and reads its columns. `refresh`
    (FORCE=1): the entry is made again, once a process, and replaces the old one."""
    folder = fold_dir / STACK_DIR / member
    shutil.rmtree(folder, ignore_errors=True)           # a fold resumed after a kill: nothing half-fitted kept
    if cache is None:
        return member_columns(cfg, data, spec, member, rows, val, fold, folder, hooks)
    member_cfg = member_config(cfg, member)
    key = stable_hash({"member": run_fingerprint(member_cfg, data.fingerprint)["hash"],
                       "config": member_cfg.model_dump(mode="json"),         # execution keys too (the MLP's device)
                       "versions": VERSIONS, "folds": cfg.stack.folds, "fold": fold,
                       "rows": ids_fingerprint([data.ids[i] for i in rows]),
                       "val": ids_fingerprint([data.ids[i] for i in val]), "hooks": hooks is not None})
    store = cache / STACK_DIR / f"{member}-{key}"
    if refresh and store not in REFRESHED:
        REFRESHED.add(store)
        if store.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f".{store.name}.", suffix=".old", dir=store.parent))
            store.rename(old / "store")                 # out of the way whole; the folds' links keep their files
            shutil.rmtree(old, ignore_errors=True)
    if not (store / COLUMNS).is_file():
        store.parent.mkdir(parents=True, exist_ok=True)
        for stale in store.parent.glob(".*.building"):  # a build killed a day ago or more: its process is gone
            if time.time() - stale.stat().st_mtime > STALE_S:
                shutil.rmtree(stale, ignore_errors=True)
        building = Path(tempfile.mkdtemp(prefix=f".{store.name}.", suffix=".building", dir=store.parent))
        try:
            on_train, on_test = member_columns(cfg, data, spec, member, rows, val, fold, building, hooks)
            with open(building / COLUMNS, "wb") as f:
                np.savez(f, train=on_train, test=on_test)
                f.flush()
                os.fsync(f.fileno())
            building.rename(store)                      # whole or absent; only FORCE=1 removes a published one
        except OSError:
            if not (store / COLUMNS).is_file():         # not another process's store, published first: a failure
                raise
        finally:
            shutil.rmtree(building, ignore_errors=True)
    models = {f for pattern in LEARNERS[member].files for f in store.glob(f"inner*/{pattern}")}
    for f in sorted(models):                            # the models, not a network's last.ckpt or logs
        if f.is_file():
            target = folder / f.relative_to(store)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(f, target)                      # the fold's own copy, without the disk
            except OSError:
                shutil.copy2(f, target)
    with np.load(store / COLUMNS) as columns:
        return columns["train"], columns["test"]


def stacked_data(data, spec: TabularSpec, members: list[str], columns):
    """`data` with each member's columns (train, test) as numeric features named by feature_names."""
    train_cols, test_cols, names = {}, {}, []
    for member, (on_train, on_test) in zip(members, columns, strict=True):
        for k, name in enumerate(feature_names(spec, member)):
            train_cols[name], test_cols[name] = on_train[:, k], on_test[:, k]
            names.append(name)
    train = pd.concat([data.train.reset_index(drop=True), pd.DataFrame(train_cols)], axis=1)
    test = pd.concat([data.test.reset_index(drop=True), pd.DataFrame(test_cols)], axis=1)
    return replace(data, train=train, test=test, features=[*data.features, *names],
                   types={**(data.types or {}), **dict.fromkeys(names, "numeric")})


def stacked_fold_data(cfg, data, spec: TabularSpec, ctx: FoldContext, hooks=None):
    """The fold's data with the members' columns: on its training rows from the inner fold that held each out,
    on the scored rows and the test rows the inner models' mean (rows outside both: empty, never read). The
    members' models are kept in the fold (stack/<member>/inner<i>/) for offline prediction."""
    check_preparation(hooks)
    rows = fitted_rows(cfg, data, ctx.train_idx, hooks)
    members = list(cfg.stack.members)
    return stacked_data(data, spec, members, [cached_member(cfg, data, spec, m, rows, ctx.val_idx, ctx.fold,
                                                            ctx.dir, hooks, ctx.cache_dir, ctx.refresh_cache)
                                              for m in members])


def saved_stack_data(cfg, data, spec: TabularSpec, fold_dir: Path, fold: int, hooks=None):
    """The data a stack's fold predicts the test rows with, from the member models it saved (an offline bundle):
    the columns it was fitted with, to the byte."""
    from kaggle_kit.tabular.kind import fold_train_rows

    check_preparation(hooks)
    rows = fitted_rows(cfg, data, fold_train_rows(data, fold_dir, spec.id), hooks)
    members, none = list(cfg.stack.members), np.array([], dtype=int)
    return stacked_data(data, spec, members, [member_columns(cfg, data, spec, m, rows, none, fold,
                                                             fold_dir / STACK_DIR / m, hooks, saved=True)
                                              for m in members])


def expected_seconds(cfg, learner_seconds: dict[str, float], fitted: set[str]) -> float | None:
    """What a stack's run should take, from the learners' own runs of this competition (`learner_seconds`: their
    training seconds, by learner): its model's, plus stack.folds - 1 times each member's (each of its stack.folds
    inner fits sees (stack.folds - 1) / stack.folds of the fold's rows) unless an earlier stack fitted that member
    (`fitted`: its columns are cached). None while a member's own time is unknown."""
    todo = [m for m in cfg.stack.members if m not in fitted]
    if any(m not in learner_seconds for m in todo):
        return None
    return learner_seconds.get(cfg.model, 0.0) + (cfg.stack.folds - 1) * sum(learner_seconds[m] for m in todo)


def check_preparation(hooks) -> None:
    if own_features(hooks):
        raise UserError("stack.members needs the kind's own preparation of the table, and this competition's hook "
                        "module fits its features itself; leave stack.members empty")
