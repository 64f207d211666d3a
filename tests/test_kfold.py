"""The core k-fold loop with a learner that is not a Lightning model (scikit-learn ridge)."""

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from kaggle_kit.config import TrainConfig
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.metrics import rmse
from kaggle_kit.paths import RunPaths
from kaggle_kit.pipeline.cross_validate import train_folds
from kaggle_kit.pipeline.cv_result import read_cv
from kaggle_kit.pipeline.submit import complete_run_folds
from kaggle_kit.task import FoldOutput, Task, TrainData

from .conftest import files_under


class RidgeConfig(TrainConfig):
    alpha: float = 1.0


class RidgeTask(Task):
    name, slug, config_class, id_column = "toy", "toy-comp", RidgeConfig, "id"
    metric, higher_is_better = "rmse", False

    def __init__(self, fail_on_fold=None):
        self.fitted, self.fail_on_fold = [], fail_on_fold

    def build_sample(self, dest):
        raise NotImplementedError

    def load(self, data_dir):
        raise NotImplementedError

    def fit_fold(self, cfg, data, ctx):
        if ctx.fold == self.fail_on_fold:
            (ctx.dir / "half-written").write_text("x")
            raise RuntimeError("boom")
        self.fitted.append(ctx.fold)
        X, y, train_idx, val_idx = data.X, data.y, ctx.train_idx, ctx.val_idx
        model = Ridge(alpha=cfg.alpha).fit(X[train_idx], y[train_idx])
        atomic.write_json(ctx.dir / "model.json", {"coef": model.coef_.tolist(), "intercept": model.intercept_})
        return FoldOutput(val=pd.DataFrame({"id": [data.ids[i] for i in val_idx], "pred": model.predict(X[val_idx])}),
                          test=pd.DataFrame({"id": data.test_ids, "pred": model.predict(data.Xt)}))

    def target(self, data):
        return data.y

    def score(self, data, rows, pred):
        return rmse(data.y[rows], pred)

    def submission_frame(self, data, pred):
        return pd.DataFrame({"id": data.test_ids, "y": pred})

    def check_submission(self, frame, data):
        pass


@dataclass(kw_only=True)
class ToyData(TrainData):
    X: np.ndarray
    y: np.ndarray
    Xt: np.ndarray


def toy_data(n=60, fingerprint="v1"):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.1, n)
    ids = [f"r{i:03d}" for i in range(n)][::-1]         # ids not in sorted order: OOF must keep file order
    return ToyData(ids=ids, test_ids=["t0", "t1"], fingerprint=fingerprint, X=X, y=y, Xt=rng.normal(size=(2, 3)))


@pytest.fixture
def paths(tmp_path):
    return RunPaths(tmp_path, "toy", "ridge")


def test_oof_covers_every_row_once_and_cv_pools_them(paths):
    task, data, cfg = RidgeTask(), toy_data(), RidgeConfig(folds=4)
    result = train_folds(task, cfg, data, paths, only=None, force=False)
    cv = result.to_json()
    oof = pd.read_csv(paths.oof)
    assert oof["id"].tolist() == data.ids
    folds_file = json.loads(paths.fingerprint.read_text())["folds_file"]
    assert oof["fold"].tolist() == pd.read_csv(folds_file)["fold"].tolist()
    assert cv == json.loads(paths.cv.read_text()) and read_cv(paths.cv) == result   # the file and the typed result
    assert cv["metric"] == "rmse" and cv["higher_is_better"] is False and len(cv["folds"]) == 4
    assert cv["score"] == pytest.approx(rmse(data.y, oof["pred"]))
    for k in range(4):
        m = json.loads((paths.fold_dir(k) / "metrics.json").read_text())
        rows = oof["fold"] == k
        assert m["score"] == pytest.approx(rmse(data.y[rows], oof["pred"][rows]))
        assert (paths.fold_dir(k) / "model.json").is_file()


def test_selected_folds_then_the_rest_then_skip(paths):
    data, cfg = toy_data(), RidgeConfig(folds=3)
    task = RidgeTask()
    assert train_folds(task, cfg, data, paths, only=[0, 2], force=False) is None
    assert task.fitted == [0, 2]
    assert sorted(p.name for p in paths.run_dir.iterdir() if p.name.startswith("fold")) == ["fold0", "fold2"]
    assert not paths.oof.exists() and not paths.cv.exists()
    assert train_folds(task, cfg, data, paths, only=None, force=False) is not None
    assert task.fitted == [0, 2, 1]                       # complete folds are skipped
    before = files_under(paths.run_dir)
    task2 = RidgeTask()
    train_folds(task2, cfg, data, paths, only=None, force=False)
    assert task2.fitted == []
    assert {k: v for k, v in files_under(paths.run_dir).items() if "fold" in k} == \
        {k: v for k, v in before.items() if "fold" in k}


def test_changed_config_or_data_is_refused_without_writing(paths):
    cfg = RidgeConfig(folds=3)
    train_folds(RidgeTask(), cfg, toy_data(), paths, only=None, force=False)
    before = files_under(paths.root)
    with pytest.raises(UserError, match=r"changed: alpha, lr"):
        train_folds(RidgeTask(), RidgeConfig(folds=3, alpha=2.0, lr=0.5), toy_data(), paths, only=None, force=False)
    with pytest.raises(UserError, match="data"):
        train_folds(RidgeTask(), cfg, toy_data(fingerprint="v2"), paths, only=None, force=False)
    assert files_under(paths.root) == before
    # execution keys do not count: the run is reused as it is
    task = RidgeTask()
    train_folds(task, RidgeConfig(folds=3, num_workers=3, devices="auto"), toy_data(), paths, only=None, force=False)
    assert task.fitted == []
    # FORCE retrains everything under the new settings
    task = RidgeTask()
    cv = train_folds(task, RidgeConfig(folds=3, alpha=50.0), toy_data(), paths, only=None, force=True)
    assert task.fitted == [0, 1, 2] and cv is not None
    assert "alpha: 50.0" in paths.config.read_text()


def test_failed_fold_leaves_good_artefacts_untouched(paths):
    cfg = RidgeConfig(folds=3)
    train_folds(RidgeTask(), cfg, toy_data(), paths, only=None, force=False)
    before = files_under(paths.run_dir)
    with pytest.raises(RuntimeError):
        train_folds(RidgeTask(fail_on_fold=1), cfg, toy_data(), paths, only=[1], force=True)
    after = files_under(paths.run_dir)
    assert {k: v for k, v in after.items() if not k.startswith(".fold1.partial")} == before
    assert complete_run_folds(RidgeTask(), cfg, toy_data(), paths) == [0, 1, 2]


def test_submit_requires_complete_matching_run(paths):
    cfg = RidgeConfig(folds=3)
    with pytest.raises(UserError, match="no trained run"):
        complete_run_folds(RidgeTask(), cfg, toy_data(), paths)
    train_folds(RidgeTask(), cfg, toy_data(), paths, only=[1], force=False)
    with pytest.raises(UserError, match="folds 0 2 .* are not trained"):
        complete_run_folds(RidgeTask(), cfg, toy_data(), paths)
    with pytest.raises(UserError, match="changed: alpha"):
        complete_run_folds(RidgeTask(), RidgeConfig(folds=3, alpha=3.0), toy_data(), paths)


def test_experiments_with_other_seeds_share_folds(tmp_path):
    a, b = RunPaths(tmp_path, "toy", "a"), RunPaths(tmp_path, "toy", "b")
    train_folds(RidgeTask(), RidgeConfig(folds=3, seed=1), toy_data(), a, only=None, force=False)
    train_folds(RidgeTask(), RidgeConfig(folds=3, seed=2), toy_data(), b, only=None, force=False)
    files = [json.loads(p.fingerprint.read_text())["folds_file"] for p in (a, b)]
    assert files[0] == files[1] and len(list(a.folds_dir.iterdir())) == 1
    train_folds(RidgeTask(), RidgeConfig(folds=3, fold_seed=5), toy_data(), RunPaths(tmp_path, "toy", "c"),
                only=None, force=False)
    assert len(list(a.folds_dir.iterdir())) == 2


def test_a_run_that_never_completed_a_fold_can_change_settings(paths):
    with pytest.raises(RuntimeError):
        train_folds(RidgeTask(fail_on_fold=0), RidgeConfig(folds=3), toy_data(), paths, only=[0], force=False)
    task = RidgeTask()
    train_folds(task, RidgeConfig(folds=3, alpha=2.0), toy_data(), paths, only=None, force=False)   # no FORCE needed
    assert task.fitted == [0, 1, 2]
