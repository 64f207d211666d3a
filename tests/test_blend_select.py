"""Greedy ensemble selection (rule `select`) on hand-made OOF arrays, and the default choice among candidates."""

import numpy as np
import pytest

from kaggle_kit.ensembling.blend import combine, greedy_selection, nested_predictions, rule_select
from kaggle_kit.tabular.metrics import METRICS


def rmse_loss(y):
    return lambda rows, pred: float(np.sqrt(np.mean((pred - y[rows]) ** 2)))


@pytest.fixture
def values():
    rng = np.random.default_rng(0)
    y = rng.normal(size=2000)
    return y, rng


def test_two_independent_errors_are_both_picked(values):
    y, rng = values
    P = np.stack([y + rng.normal(0, 0.3, len(y)), y + rng.normal(0, 0.3, len(y))], 1)
    w = greedy_selection(P, np.arange(len(y)), rmse_loss(y))
    assert (w > 0.3).all() and w.sum() == pytest.approx(1)
    assert rmse_loss(y)(np.arange(len(y)), combine(P, w)) < min(rmse_loss(y)(np.arange(len(y)), P[:, j])
                                                             for j in range(2))


def test_steps_cap_the_additions(values):
    y, rng = values
    P = np.stack([y + rng.normal(0, 0.3, len(y)), y + rng.normal(0, 0.45, len(y))], 1)
    rows, loss = np.arange(len(y)), rmse_loss(y)
    assert greedy_selection(P, rows, loss, steps=1).tolist() == [0.5, 0.5]
    _, info = rule_select(P, y, rows, loss, steps=40)
    assert info["weights"][0] > 0.55 and sum(info["weights"]) == pytest.approx(1)


def test_the_best_member_alone_when_the_others_only_add_noise(values):
    y, rng = values
    a = y + rng.normal(0, 0.2, len(y))
    noisier = a + rng.normal(0, 0.5, len(y))          # a's errors and more: adding it never helps
    pure_noise = rng.normal(0, 1.0, len(y))
    w = greedy_selection(np.stack([noisier, a, pure_noise], 1), np.arange(len(y)), rmse_loss(y))
    assert w.tolist() == [0.0, 1.0, 0.0]


def test_a_pure_noise_member_gets_weight_zero_beside_useful_ones(values):
    y, rng = values
    P = np.stack([y + rng.normal(0, 0.3, len(y)), rng.normal(0, 1, len(y)), y + rng.normal(0, 0.5, len(y))], 1)
    w = greedy_selection(P, np.arange(len(y)), rmse_loss(y))
    assert w[1] == 0 and w[0] > w[2] > 0


def test_select_works_on_class_probabilities_and_label_metrics():
    rng = np.random.default_rng(1)
    n, c = 1500, 4
    y = rng.integers(0, c, n)
    onehot = np.eye(c)[y]

    def member(strength):
        logits = strength * onehot + rng.normal(0, 1, (n, c))
        e = np.exp(logits)
        return e / e.sum(1, keepdims=True)

    P = np.stack([member(2.0), member(0.0), member(1.5)], 1)     # the middle one knows nothing
    for metric in ("logloss", "accuracy"):
        m = METRICS[metric]
        sign = -1 if m.higher_is_better else 1

        def loss(rows, pred, m=m, sign=sign, metric=metric):
            return sign * m(y[rows], pred if metric == "logloss" else pred.argmax(1))

        w = greedy_selection(P, np.arange(n), loss)
        assert w[1] == 0 and w[0] > 0, (metric, w)
        assert loss(np.arange(n), combine(P, w)) <= loss(np.arange(n), P[:, 0])


def test_nested_selection_sees_only_the_other_folds(values):
    y, rng = values
    P = np.stack([y + rng.normal(0, 0.3, len(y)), y + rng.normal(0, 0.6, len(y)), rng.normal(0, 1, len(y))], 1)
    fold = np.arange(len(y)) % 4
    loss = rmse_loss(y)
    nested = nested_predictions(rule_select, P, y, fold, loss=loss)
    for k in range(4):
        held = fold == k
        w = greedy_selection(P[~held], np.flatnonzero(~held), loss)
        assert np.allclose(nested[held], combine(P[held], w))
    changed = P.copy()                                   # the held fold's members changed: its rows' weights not
    changed[fold == 0, 2] = y[fold == 0]
    again = nested_predictions(rule_select, changed, y, fold, loss=loss)
    w0 = greedy_selection(P[fold != 0], np.flatnonzero(fold != 0), loss)
    assert np.allclose(again[fold == 0], combine(changed[fold == 0], w0))
