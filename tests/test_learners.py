"""Every registered tabular learner through the one interface: fit on prepared rows, save in the fold folder,
load back and predict what the fitted model predicted (to the byte; the SVR's kernel sum to rounding), on each
problem it fits; and it beats a constant prediction on a learnable table."""

from types import SimpleNamespace

import numpy as np
import pytest

from kaggle_kit.tabular.config import TableConfig
from kaggle_kit.tabular.learners import LEARNERS, learner_files

CFG = TableConfig(epochs=15, gbdt={"n_estimators": 60}, catboost={"iterations": 60}, progress_bar=False)


def table(problem: str, n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    signal = x[:, 0] + 0.5 * x[:, 1] * x[:, 2] - 0.7 * x[:, 3]
    if problem == "regression":
        y = signal + 0.3 * rng.normal(size=n)
    elif problem == "binary":
        y = (signal + 0.5 * rng.normal(size=n) > 0).astype(int)
    else:
        y = np.digitize(signal + 0.4 * rng.normal(size=n), [-0.8, 0.0, 0.8])
    return x, y


def constant_loss(problem, y_fit, y):
    if problem == "regression":
        return np.mean((y - y_fit.mean()) ** 2)
    prior = np.bincount(y_fit, minlength=y.max() + 1) / len(y_fit)
    return -np.mean(np.log(prior[y]))


def loss(problem, pred, classes, y):
    if problem == "regression":
        return np.mean((y - pred) ** 2)
    at = np.searchsorted(classes, y)
    return -np.mean(np.log(np.clip(pred[np.arange(len(y)), at], 1e-12, None)))


CASES = [(name, problem) for name, cls in LEARNERS.items() for problem in cls.problems]


@pytest.mark.parametrize("name, problem", CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_fit_save_load_predict(name, problem, tmp_path):
    x, y = table(problem)
    fit, held = np.arange(300), np.arange(300, 400)
    cfg = CFG.model_copy(update={"model": name})
    ctx = SimpleNamespace(fold=0, dir=tmp_path, resume=False)
    learner = LEARNERS[name](cfg, problem)
    learner.fit(x[fit], y[fit], seed=3, fold_dir=tmp_path, s=0, x_val=x[held], y_val=y[held], ctx=ctx)
    learner.save_fold(tmp_path, [learner], None)
    pred = learner.predict(x[held])
    saved = {p.name for g in learner_files([name]) for p in tmp_path.glob(g)}
    assert saved, f"{name} saved nothing its `files` name"
    classes = None if problem == "regression" else np.unique(y[fit])
    again = LEARNERS[name](cfg, problem).load(tmp_path, 0, classes)
    if name == "svr":
        assert np.allclose(again.predict(x[held]), pred, atol=1e-9)
    else:
        assert again.predict(x[held]).tobytes() == pred.tobytes()
    if problem != "regression":
        assert pred.shape == (len(held), len(classes)) and np.allclose(pred.sum(1), 1)
        assert list(learner.classes_) == list(again.classes_) == list(classes)
    assert loss(problem, pred, classes, y[held]) < 0.8 * constant_loss(problem, y[fit], y[held]), name


@pytest.mark.parametrize("kind", ["lasso", "elasticnet"])
@pytest.mark.parametrize("problem", ["regression", "multiclass"])
def test_the_linear_penalties_on_values_and_classes(kind, problem, tmp_path):
    x, y = table(problem)
    x = np.hstack([x, np.random.default_rng(1).normal(size=(len(x), 20))])     # 20 columns of noise
    cfg = CFG.model_copy(update={"model": "linear", "linear": CFG.linear.model_copy(update={"kind": kind})})
    learner = LEARNERS["linear"](cfg, problem)
    learner.fit(x[:300], y[:300], seed=0, fold_dir=tmp_path)
    classes = None if problem == "regression" else np.unique(y[:300])
    again = LEARNERS["linear"](cfg, problem).load(tmp_path, 0, classes)
    assert again.predict(x[300:]).tobytes() == learner.predict(x[300:]).tobytes()
    coef = np.abs(np.asarray(learner.model.coef_)).reshape(-1 if problem == "regression" else len(classes), 25)
    assert (coef[..., 5:] < 1e-8).mean() > 0.5          # an L1 penalty zeroes most of the noise columns
    assert loss(problem, learner.predict(x[300:]), classes, y[300:]) < 0.8 * constant_loss(problem, y[:300], y[300:])


@pytest.mark.parametrize("problem", ["binary", "multiclass"])
def test_the_logistic_regression_finds_the_same_model_by_newton_steps_as_by_lbfgs(problem, tmp_path, monkeypatch):
    """A small logistic regression is fitted by Newton-Cholesky (ten steps, not hundreds): the penalty it
    chooses and the probabilities it gives are those lbfgs finds, which fits a larger one."""
    from kaggle_kit.tabular.learners import linear

    x, y = table(problem, n=600)
    pred, chosen, solvers = {}, {}, []
    built = linear.Linear._estimator

    def estimator(self, seed, coefficients):
        solvers.append(built(self, seed, coefficients).solver)
        return built(self, seed, coefficients)

    monkeypatch.setattr(linear.Linear, "_estimator", estimator)
    newton = linear.NEWTON_LIMIT
    for limit in (newton, 0):
        monkeypatch.setattr(linear, "NEWTON_LIMIT", limit)
        learner = LEARNERS["linear"](CFG, problem)
        learner.fit(x[:400], y[:400], seed=0, fold_dir=tmp_path / str(limit))
        pred[limit] = learner.predict(x[400:])
        chosen[limit] = linear.read_model_json(tmp_path / str(limit) / "model.json")["C"]
    assert solvers == ["newton-cholesky", "lbfgs"]
    assert chosen[newton] == chosen[0]
    assert np.abs(pred[newton] - pred[0]).max() < 2e-3
