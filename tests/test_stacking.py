"""Issue 36: the level-2 stack (kaggle_kit.tabular.stacking). Its members are refitted on inner folds of the
training fold, so relabelling the scored fold leaves the stack's predictions the same bytes, and relabelling
training rows moves them (the check can fail). Members' columns are cached and shared between stacks."""

import dataclasses
import json

import numpy as np
import pytest

from kaggle_kit.config import validate
from kaggle_kit.errors import UserError
from kaggle_kit.paths import STACK_DIR, val_pred
from kaggle_kit.tabular.config import STACK_MEMBERS, TableConfig
from kaggle_kit.tabular.infer import config_texts
from kaggle_kit.tabular.spec import validate_spec
from kaggle_kit.tabular.stacking import stacked_fold_data
from kaggle_kit.task import FoldContext

SMALL = {"gbdt": {"n_estimators": 200, "learning_rate": 0.1, "early_stopping_rounds": 20},
         "linear": {"alphas": [0.1, 1.0, 10.0], "inner_folds": 3},
         "extra_trees": {"n_estimators": 30},
         "encoding": {"tfidf_max_features": 400, "svd_components": 4}}


def config(model: str = "gbdt", members=("gbdt", "linear")) -> TableConfig:
    return validate(TableConfig, {**SMALL, "model": model, "stack": {"members": list(members), "folds": 3}})


def context(data, out, cache=None) -> FoldContext:
    """Fold 0 of five: every fifth row scored."""
    idx = np.arange(len(data.y))
    out.mkdir(parents=True, exist_ok=True)
    return FoldContext(fold=0, dir=out, train_idx=idx[idx % 5 != 0], val_idx=idx[idx % 5 == 0], cache_dir=cache)


def fold(task, data, cfg, out, y=None, cache=None):
    if y is not None:
        data = dataclasses.replace(data, y=y)
    result = task.fit_fold(cfg, data, context(data, out, cache))
    return result.val.iloc[:, 1:].to_numpy(), result.test.iloc[:, 1:].to_numpy(), result.metrics


def relabelled(data, rows):
    y = data.y.copy()
    y[rows] = (y[rows] + 1) % 3
    return y


@pytest.mark.e2e      # fits models: make test-fast leaves it out
def test_the_stack_never_sees_a_scored_rows_target(loans_table, tmp_path):
    """The members' columns of the scored rows and of the training rows come from models fitted on training rows
    only: the scored fold relabelled, the same bytes; 60 training rows relabelled, other predictions."""
    task, data = loans_table
    cfg = config()
    val, test, metrics = fold(task, data, cfg, tmp_path / "a")
    assert metrics["stack_members"] == ["gbdt", "linear"]
    names = json.loads((tmp_path / "a" / "importance.json").read_text())
    assert {f"stack.gbdt.{c}" for c in task.spec.classes} <= set(names), list(names)[-8:]
    scored = np.flatnonzero(np.arange(len(data.y)) % 5 == 0)
    same_val, same_test, _ = fold(task, data, cfg, tmp_path / "b", relabelled(data, scored))
    assert same_val.tobytes() == val.tobytes() and same_test.tobytes() == test.tobytes()
    training = np.flatnonzero(np.arange(len(data.y)) % 5 != 0)[:60]
    moved, _, _ = fold(task, data, cfg, tmp_path / "c", relabelled(data, training))
    assert not np.allclose(moved, val)


@pytest.mark.e2e      # fits models: make test-fast leaves it out
def test_members_columns_are_cached_and_shared_between_stacks(loans_table, tmp_path):
    """A second stack on the same members reads their columns from the competition's cache; the cached columns
    give the bytes a fit without the cache gives."""
    task, data = loans_table
    cache = tmp_path / "cache"
    first = stacked_fold_data(config("gbdt"), data, task.spec, context(data, tmp_path / "a", cache))
    saved = sorted(p.name for p in (cache / STACK_DIR).iterdir())
    assert len(saved) == 2 and saved[0].startswith("gbdt-") and saved[1].startswith("linear-")
    columns = [c for c in first.features if c.startswith("stack.")]
    assert len(columns) == 2 * len(task.spec.classes)
    again = stacked_fold_data(config("linear"), data, task.spec, context(data, tmp_path / "b", cache))
    assert sorted(p.name for p in (cache / STACK_DIR).iterdir()) == saved     # read, not fitted again
    assert (tmp_path / "b" / STACK_DIR / "linear" / "inner0" / "model.json").is_file()     # linked into the fold
    plain = stacked_fold_data(config("gbdt"), data, task.spec, context(data, tmp_path / "c"))
    for frame in ("train", "test"):
        a, b, c = (getattr(d, frame)[columns].to_numpy() for d in (first, again, plain))
        assert np.array_equal(a, b, equal_nan=True) and np.array_equal(a, c, equal_nan=True)
    scored = np.arange(len(data.y)) % 5 == 0
    assert not np.isnan(first.train[columns].to_numpy()[scored]).any()
    assert np.isclose(first.train[columns[:3]].to_numpy()[scored].sum(1), 1).all()    # probabilities of 3 classes


@pytest.mark.e2e      # fits models: make test-fast leaves it out
def test_a_stacks_fold_predicts_again_from_its_saved_members(loans_table, tmp_path):
    """What a bundle does: the fold's level-2 model and its members' saved inner models predict the test rows
    again, to the byte; a member that does not fit the problem is one line."""
    task, data = loans_table
    cfg = config(members=("gbdt", "linear", "extra_trees"))
    out = tmp_path / "fold0"
    result = task.fit_fold(cfg, data, context(data, out, tmp_path / "cache"))
    assert sorted(p.name for p in (out / STACK_DIR).iterdir()) == ["extra_trees", "gbdt", "linear"]
    assert len(list((out / STACK_DIR / "gbdt").glob("inner*/model*.txt"))) == cfg.stack.folds
    result.val.to_csv(val_pred(out, "csv"), index=False)        # what the k-fold loop writes beside the models
    again = task.predict_test_fold(cfg, data, 0, out)
    assert again.iloc[:, 1:].to_numpy().tobytes() == result.test.iloc[:, 1:].to_numpy().tobytes()
    with pytest.raises(UserError, match="stack.members: svr fits regression"):
        task.check_config(config(members=("gbdt", "svr")))


def test_make_new_writes_stack_experiments():
    """`learners:` takes stack_<model>; make new writes its config with the members that fit the problem; a
    stack whose model does not fit the problem is refused."""
    spec = validate_spec({"files": {"train": "train.csv", "test": "test.csv"}, "id": "id", "target": "y",
                          "problem": "binary", "metric": "auc", "submission": "probability", "answer_columns": ["y"],
                          "classes": ["0", "1"], "learners": ["gbdt", "stack_catboost"]}, "test")
    texts = config_texts("t", spec)
    assert texts["t-stack_catboost"].startswith("extends: t\nmodel: catboost\n")
    assert f"members: [{', '.join(STACK_MEMBERS)}]" in texts["t-stack_catboost"] and "linear" in STACK_MEMBERS
    assert "stack" not in texts["t-gbdt"]
    import yaml

    body = yaml.safe_load(texts["t-stack_catboost"])
    cfg = validate(TableConfig, {k: v for k, v in body.items() if k != "extends"})
    assert cfg.model == "catboost" and cfg.stack.members == list(STACK_MEMBERS)
    three = {**spec.model_dump(), "problem": "multiclass", "metric": "logloss", "submission": "probabilities",
             "classes": ["a", "b", "c"], "answer_columns": ["a", "b", "c"]}
    members = yaml.safe_load(config_texts("t", validate_spec(three, "test"))["t-stack_catboost"])["stack"]["members"]
    assert members == list(STACK_MEMBERS)          # the linear model too, now that its Newton steps are fast
    with pytest.raises(Exception, match="stack_svr does not fit a binary problem"):
        validate_spec({**spec.model_dump(), "learners": ["stack_svr"]}, "test")


def test_a_stacks_expected_time_comes_from_its_members_own_runs():
    """make auto TIME=: a stack starts only if its model's time plus (stack.folds - 1) times its members' (those
    no earlier stack fitted) fits in the budget; unknown while a member has not run."""
    from kaggle_kit.tabular.stacking import expected_seconds

    cfg = config("catboost", members=("gbdt", "linear"))          # stack.folds 3
    seconds = {"gbdt": 10.0, "linear": 4.0, "catboost": 30.0}
    assert expected_seconds(cfg, seconds, set()) == 30.0 + 2 * (10.0 + 4.0)
    assert expected_seconds(cfg, seconds, {"gbdt"}) == 30.0 + 2 * 4.0         # gbdt's columns are cached
    assert expected_seconds(cfg, {"gbdt": 10.0}, set()) is None


@pytest.mark.e2e      # fits models: make test-fast leaves it out
def test_a_twin_publishing_first_is_used_and_force_makes_the_entry_again(loans_table, tmp_path, monkeypatch):
    """Two processes building one cache entry: the second to finish keeps the first's (no error, nothing left
    behind, a killed build's day-old folder removed); FORCE=1 (refresh_cache) makes the entry again, with the
    same columns."""
    import os
    import shutil
    import time

    from kaggle_kit.tabular import stacking

    task, data = loans_table
    cfg, cache = config(members=("linear",)), tmp_path / "cache"
    real = stacking.member_columns

    def twin_first(*args, **kwargs):
        out = real(*args, **kwargs)
        building = args[7]
        store = building.parent / building.name[1:].split(".")[0]     # .<member>-<key>.<random>.building
        shutil.copytree(building, store)                                # another process publishes it first
        np.savez(store / stacking.COLUMNS, train=out[0], test=out[1])
        return out

    stale = cache / STACK_DIR / ".linear-0123.abcd.building"                  # a build killed two days ago
    stale.mkdir(parents=True)
    os.utime(stale, (time.time() - 2 * 86_400,) * 2)
    monkeypatch.setattr(stacking, "member_columns", twin_first)
    first = stacked_fold_data(cfg, data, task.spec, context(data, tmp_path / "a", cache))
    monkeypatch.setattr(stacking, "member_columns", real)
    entries = list((cache / STACK_DIR).iterdir())
    assert len(entries) == 1 and not entries[0].name.startswith(".")     # no .building left, the stale one gone
    inode = (entries[0] / stacking.COLUMNS).stat().st_ino
    ctx = dataclasses.replace(context(data, tmp_path / "b", cache), refresh_cache=True)
    again = stacked_fold_data(cfg, data, task.spec, ctx)
    assert [p.name for p in (cache / STACK_DIR).iterdir()] == [entries[0].name]
    assert (entries[0] / stacking.COLUMNS).stat().st_ino != inode                 # made again
    columns = [c for c in first.features if c.startswith("stack.")]
    assert np.array_equal(first.train[columns].to_numpy(), again.train[columns].to_numpy(), equal_nan=True)


def test_a_stack_is_costed_by_its_members_own_runs_not_a_variants():
    """make auto costs a stack from its members' own runs: t-gbdt tells gbdt's time; t-gbdt_small (gbdt with
    other numbers, twice the rounds) and a stack whose model is gbdt tell none."""
    from types import SimpleNamespace

    from kaggle_kit.commands.auto import timed_learner
    from kaggle_kit.tabular.stacking import expected_seconds

    task = SimpleNamespace(name="t")
    assert timed_learner(task, "t-gbdt", config("gbdt", ())) == "gbdt"
    assert timed_learner(task, "t-gbdt_small", config("gbdt", ())) is None
    assert timed_learner(task, "t-stack_gbdt", config("gbdt", ("gbdt", "linear"))) is None
    assert timed_learner(task, "t-linear", config("linear", ())) == "linear"
    seconds = {}
    for exp, model, s in (("t-gbdt", "gbdt", 2.0), ("t-gbdt_small", "gbdt", 9.0), ("t-linear", "linear", 1.0)):
        learner = timed_learner(task, exp, config(model, ()))      # make auto's order: the variant after gbdt
        if learner is not None:
            seconds[learner] = s
    assert seconds == {"gbdt": 2.0, "linear": 1.0}
    assert expected_seconds(config("catboost", ("gbdt", "mlp")), seconds, set()) is None    # the MLP's unknown
    assert expected_seconds(config("catboost", ("gbdt", "linear")), seconds, set()) == (3 - 1) * (2.0 + 1.0)
    seconds["catboost"] = 5.0
    assert expected_seconds(config("catboost", ("gbdt", "linear")), seconds, set()) == 5.0 + (3 - 1) * (2.0 + 1.0)
