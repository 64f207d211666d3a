import json

import numpy as np
import pandas as pd
import pytest

from kaggle_kit.ensembling.blend import blend, nested_predictions, rule_stack, simplex_weights
from kaggle_kit.errors import UserError
from kaggle_kit.metrics import rmse
from kaggle_kit.paths import RunPaths
from kaggle_kit.pipeline.cross_validate import train_folds

from .test_kfold import RidgeConfig, RidgeTask, toy_data


def test_simplex_weights_recover_the_mixture():
    rng = np.random.default_rng(1)
    a, b, c = rng.normal(size=(3, 500))
    y = 0.6 * a + 0.4 * b
    P = np.stack([a, b, c], 1)
    w = simplex_weights(P, np.arange(500), lambda rows, pred: rmse(y[rows], pred))
    assert w == pytest.approx([0.6, 0.4, 0.0], abs=1e-4)
    assert w.sum() == pytest.approx(1.0)


def test_weights_stay_non_negative_when_a_member_is_anticorrelated():
    rng = np.random.default_rng(2)
    y = rng.normal(size=300)
    P = np.stack([y + rng.normal(0, 0.3, 300), -y], 1)
    w = simplex_weights(P, np.arange(300), lambda rows, pred: rmse(y[rows], pred))
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0)
    assert w[1] < 0.05   # unconstrained least squares would give it a negative weight


def test_nested_stacking_never_sees_the_fold_it_predicts():
    rng = np.random.default_rng(3)
    y = rng.normal(size=200)
    P = np.stack([y + rng.normal(0, 0.5, 200), y + rng.normal(0, 0.5, 200)], 1)
    fold = np.arange(200) % 4
    loss = lambda rows, pred: rmse(y[rows], pred)  # noqa: E731
    base = nested_predictions(rule_stack, P, y, fold, loss=loss)
    y2 = y.copy()
    y2[fold == 0] += 100.0           # wildly different targets in fold 0 ...
    moved = nested_predictions(rule_stack, P, y2, fold, loss=loss)
    assert np.array_equal(base[fold == 0], moved[fold == 0])   # ... leave fold 0's nested predictions alone
    assert not np.allclose(base[fold != 0], moved[fold != 0])   # while the other folds' meta-models move


def run(tmp_path, exp, **cfg):
    task, data = RidgeTask(), toy_data()
    train_folds(task, RidgeConfig(folds=3, **cfg), data, RunPaths(tmp_path, "toy", exp), only=None, force=False)
    return task, data


def test_blend_end_to_end_on_saved_runs(tmp_path, capsys):
    task, data = run(tmp_path, "a", alpha=0.1)
    run(tmp_path, "b", alpha=30.0)
    path = blend(task, data, tmp_path, ["a", "b"], rule=None)
    assert path == tmp_path / "submissions" / "toy" / "blend-a+b.csv"
    sub = pd.read_csv(path)
    assert sub["id"].tolist() == data.test_ids
    summary = json.loads((tmp_path / "runs" / "toy" / "blends" / "blend-a+b.json").read_text())
    assert set(summary["rules"]) == {"mean", "select", "weighted", "stack", "best", "rank_mean"}
    # alpha 30 is far worse: a tuned candidate beats mean by more than 3 paired SE on the one fold set
    assert summary["rule"] in ("select", "weighted", "stack", "best") and summary["fold_sets"] == 1
    chosen = summary["rules"][summary["rule"]]
    assert chosen["gain_over_mean"][0] > 3 * chosen["gain_paired_se"][0] > 0
    assert summary["rules"]["weighted"]["nested_oof"] < summary["rules"]["mean"]["nested_oof"]
    default_bytes = path.read_bytes()
    forced = blend(task, data, tmp_path, ["a", "b"], rule="weighted")        # its own file: the default's kept
    assert forced == tmp_path / "submissions" / "toy" / "blend-a+b@weighted.csv" and path.read_bytes() == default_bytes
    assert json.loads((tmp_path / "runs/toy/blends/blend-a+b.json").read_text())["rule"] == summary["rule"]
    forced_summary = json.loads((tmp_path / "runs/toy/blends/blend-a+b@weighted.json").read_text())
    assert (forced_summary["rule"], forced_summary["chosen_by"], summary["chosen_by"]) == ("weighted", "RULE=", "default")
    oof_a = pd.read_csv(tmp_path / "runs/toy/a/oof.csv")["pred"]
    assert summary["members"]["a"] == pytest.approx(rmse(data.y, oof_a))
    err = capsys.readouterr().err
    assert "blend: weighted" in err and "nested OOF" in err
    path = blend(task, data, tmp_path, ["a", "b"], rule="mean")
    tests = [pd.read_csv(tmp_path / f"runs/toy/{e}/fold{k}/test_pred.csv")["pred"] for e in "ab" for k in range(3)]
    expected = (np.mean(tests[:3], 0) + np.mean(tests[3:], 0)) / 2
    assert pd.read_csv(path)["y"].to_numpy() == pytest.approx(expected)


def test_blend_refuses_different_folds_and_incomplete_runs(tmp_path):
    task, data = run(tmp_path, "a")
    run(tmp_path, "b", fold_seed=7)
    with pytest.raises(UserError, match="different folds"):
        blend(task, data, tmp_path, ["a", "b"], rule=None)
    with pytest.raises(UserError, match="'c' has no run"):
        blend(task, data, tmp_path, ["a", "c"], rule=None)
    with pytest.raises(UserError, match="RULE=top"):
        blend(task, data, tmp_path, ["a", "b"], rule="top")
    assert not (tmp_path / "submissions").exists()


def test_classification_rules_on_hand_made_probabilities():
    from kaggle_kit.ensembling.blend import rule_prob_mean, rule_prob_weighted, rule_vote

    y = np.array([0, 1, 2, 0])
    good = np.eye(3)[y] * 0.7 + 0.1                       # right class 0.8 on every row
    bad = np.eye(3)[(y + 1) % 3] * 0.7 + 0.1              # wrong class 0.8 on every row
    P = np.stack([good, bad, good], 1)                    # rows x members x classes
    rows = np.arange(4)
    mean, _ = rule_prob_mean(P, y, rows, None)
    assert np.allclose(mean(P), (2 * good + bad) / 3)
    vote, _ = rule_vote(P, y, rows, None)
    assert vote(P).argmax(1).tolist() == y.tolist() and np.allclose(vote(P).sum(1), 1)
    weighted, info = rule_prob_weighted(P, y, rows, None)
    assert info["weights"][1] == pytest.approx(0.0, abs=1e-3) and sum(info["weights"]) == pytest.approx(1)
    assert weighted(P).argmax(1).tolist() == y.tolist()


def test_select_steps_is_a_blend_key(tmp_path, monkeypatch):
    """ARGS="select_steps=5" reaches every greedy selection the blend runs (in-sample and nested), is recorded in
    the blend's JSON, and a mistyped key or a value out of range is one line naming it."""
    from kaggle_kit.config import parse_overrides, validate
    from kaggle_kit.ensembling import blend as blend_module
    from kaggle_kit.ensembling.blend import SELECT_STEPS, BlendConfig

    task, data = run(tmp_path, "a", alpha=0.1)
    run(tmp_path, "b", alpha=30.0)
    seen = []
    real = blend_module.greedy_selection

    def spy(P, rows, loss, steps=SELECT_STEPS):
        seen.append(steps)
        return real(P, rows, loss, steps)

    monkeypatch.setattr(blend_module, "greedy_selection", spy)
    blend(task, data, tmp_path, ["a", "b"], rule="select", cfg=validate(BlendConfig, parse_overrides("select_steps=5")))
    assert seen and set(seen) == {5} and len(seen) == 1 + 3          # all OOF rows, then each of the 3 folds
    assert json.loads((tmp_path / "runs/toy/blends/blend-a+b@select.json").read_text())["config"] == {"select_steps": 5}
    seen.clear()
    blend(task, data, tmp_path, ["a", "b"], rule="select")
    assert set(seen) == {SELECT_STEPS}
    with pytest.raises(UserError, match="unknown config key 'select_step' \\(did you mean 'select_steps'"):
        validate(BlendConfig, parse_overrides("select_step=5"))
    with pytest.raises(UserError, match="select_steps"):
        validate(BlendConfig, parse_overrides("select_steps=0"))
    detection = RidgeTask()
    detection.blend_kind = "detection"        # box rules have no select: the key is refused, nothing written
    with pytest.raises(UserError, match="ARGS sets select_steps, a key of the select rule"):
        blend(detection, data, tmp_path / "d", ["a", "b"], rule=None, cfg=validate(BlendConfig, parse_overrides("select_steps=5")))
    assert not (tmp_path / "d").exists()


def test_the_probability_stacker_recalibrates_an_overconfident_member_and_a_bundle_applies_it_exactly():
    """Log-linear pooling: one member three times too sure of itself, one honest but noisier. The stacker's
    nested log loss (each fold fitted on the others) beats the best simplex weights, its answers are
    probabilities, and the weights and biases the summary saves give exactly its predictions (an offline bundle)."""
    from types import SimpleNamespace

    from kaggle_kit.ensembling.blend import (
        log_loss,
        nested_predictions,
        rule_prob_stack,
        rule_prob_weighted,
        saved_rule,
    )

    rng = np.random.default_rng(0)
    n, c = 3000, 4
    logits = rng.normal(0, 1.5, (n, c))
    truth = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = np.array([rng.choice(c, p=p) for p in truth])

    def softmax(z):
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    P = np.stack([softmax(3 * logits), softmax(logits + rng.normal(0, 1.0, (n, c)))], 1)
    fold, rows = np.arange(n) % 5, np.arange(n)
    stacked = nested_predictions(rule_prob_stack, P, y, fold, loss=None)
    weighted = nested_predictions(rule_prob_weighted, P, y, fold, loss=None)
    assert np.allclose(stacked.sum(1), 1) and (stacked > 0).all()
    assert log_loss(y, stacked) < log_loss(y, weighted) - 0.05, (log_loss(y, stacked), log_loss(y, weighted))
    apply, info = rule_prob_stack(P, y, rows, None)
    assert 0.2 < info["weights"][0] < 0.5                   # the overconfident member, softened about threefold
    replay = saved_rule(SimpleNamespace(blend_kind="classification"), "stack", json.loads(json.dumps(info)))
    assert np.array_equal(replay([P[:, 0], P[:, 1]], None), apply(P))


def test_a_long_blend_name_is_shortened_and_a_short_one_kept():
    """Names whose files could be written stay as they were; a longer one names the common prefix once, then
    a hash where even that is too long: every file name stays under 255 characters, and no two lists collide."""
    from kaggle_kit.ensembling.blend import NAME_LIMIT, blend_name

    assert blend_name(["a-x", "a-y"], None) == "blend-a-x+a-y" and blend_name(["a-x", "b"], "mean") == "blend-a-x+b@mean"
    learners = ["catboost", "gbdt", "linear", "extra_trees", "mlp", "random_forest", "stack_catboost", "stack_gbdt"]
    exps = [f"t-binary_probability-{learner}" for learner in learners]
    name = blend_name(exps, None)
    assert name == "blend-t-binary_probability-+" + "+".join(learners)
    assert len("+".join(exps)) + 6 > NAME_LIMIT >= len(name)
    many = [f"{'c' * 40}-{learner}-{k}" for k in range(9) for learner in learners]
    hashed = blend_name(many, "weighted")
    assert hashed.startswith(f"blend-{'c' * 40}-+72-") and hashed.endswith("@weighted") and len(hashed) < 80
    assert blend_name(many[:-1], "weighted") != hashed


def test_binary_weights_move_under_a_metric_without_gradient():
    """A binary table's `weighted` rule, scored by AUC (a step function of the weights), fits its weights by the
    log loss of the weighted probability: the informative member gets most of the weight and the blend's AUC beats
    the equal-weight mean, where minimising the AUC itself leaves the weights at their equal start. A binary spec
    table blends by these rules, and the saved weights replay its predictions."""
    from types import SimpleNamespace

    from sklearn.metrics import roc_auc_score

    from kaggle_kit.ensembling.blend import FORMS, rule_weighted, saved_rule
    from kaggle_kit.tabular.spec_task import SpecTabularTask

    rng = np.random.default_rng(3)
    n = 2000
    signal = rng.normal(size=n)
    y = (signal + rng.normal(0, 0.7, n) > 0).astype(int)
    sure = 1 / (1 + np.exp(-2 * signal))                          # informative
    noisy = 1 / (1 + np.exp(-(0.3 * signal + rng.normal(0, 1.5, n))))
    P, rows = np.stack([sure, noisy, rng.uniform(size=n)], 1), np.arange(n)

    def loss(r, pred):
        return -roc_auc_score(y[r], pred)

    _, flat = rule_weighted(P, y, rows, loss)
    assert flat["weights"] == pytest.approx([1 / 3] * 3, abs=1e-6)          # no gradient: it never moved
    assert SpecTabularTask.blend_kind.fget(SimpleNamespace(spec=SimpleNamespace(problem="binary"))) == "binary"
    apply, info = FORMS["binary"].rules["weighted"](P, y, rows, loss)
    assert info["weights"][0] > 0.6 and sum(info["weights"]) == pytest.approx(1)
    assert -loss(rows, apply(P)) > roc_auc_score(y, P.mean(1)) + 0.02
    replay = saved_rule(SimpleNamespace(blend_kind="binary"), "weighted", json.loads(json.dumps(info)))
    assert np.array_equal(replay([P[:, 0], P[:, 1], P[:, 2]], None), apply(P))
