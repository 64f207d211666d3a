"""Scores you can trust: the SE of every score, paired differences, repeated k-fold, and blends that pick a
tuned rule only when it holds on every fold set."""

import json

import numpy as np
import pandas as pd
import pytest

from kaggle_kit.ensembling.blend import RULES, Member, blend, choose_rule, nested_evidence, table_rules
from kaggle_kit.metrics import rmse
from kaggle_kit.paths import RunPaths
from kaggle_kit.pipeline import uncertainty
from kaggle_kit.pipeline.cross_validate import train_folds
from kaggle_kit.pipeline.folds import make_folds
from kaggle_kit.pipeline.submit import submit

from .test_kfold import RidgeConfig, RidgeTask, ToyData, toy_data


def test_bootstrap_se_of_a_mean_is_the_hand_computed_one():
    x = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    # resampling n rows with replacement: the mean's variance is the population variance / n, exactly
    expected = np.sqrt(x.var() / len(x))
    replicates = uncertainty.bootstrap(lambda rows: x[rows].mean(), len(x), resamples=20000)
    assert uncertainty.spread_se(replicates) == pytest.approx(expected, rel=0.02)
    # two rows {0, 1}: resampled means 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4, a variance of 1/8
    two = uncertainty.bootstrap(lambda rows: np.array([0.0, 1.0])[rows].mean(), 2, resamples=20000)
    assert uncertainty.spread_se(two) == pytest.approx(np.sqrt(1 / 8), rel=0.02)
    # the same n and seed: the same resamples for every caller (what makes paired differences paired)
    assert np.array_equal(uncertainty.bootstrap(lambda rows: rows.sum(), 9),
                          uncertainty.bootstrap(lambda rows: rows.sum(), 9))


def test_fold_se_and_the_repeats_combination_by_hand():
    assert uncertainty.fold_se([1.0, 2.0, 3.0]) == pytest.approx(1 / np.sqrt(3))
    # sqrt(mean(0.3^2, 0.4^2, 0.5^2) + var(1, 2, 3) / 3) = sqrt(1/6 + 1/3)
    assert uncertainty.combine([1.0, 2.0, 3.0], [0.3, 0.4, 0.5]) == pytest.approx((2.0, np.sqrt(0.5)))
    assert uncertainty.combine([0.7], [0.1]) == pytest.approx((0.7, 0.1))    # one repeat: its own SE


def run(tmp_path, exp, **cfg):
    task, data = RidgeTask(), toy_data()
    cv = train_folds(task, RidgeConfig(folds=3, **cfg), data, RunPaths(tmp_path, "toy", exp), only=None, force=False)
    return task, data, cv.to_json()        # the typed result as cv.json holds it


def test_cv_json_has_the_bootstrap_se_and_an_experiment_paired_with_itself_differs_by_zero(tmp_path):
    task, data, cv = run(tmp_path, "a")
    paths = RunPaths(tmp_path, "toy", "a")
    oof = pd.read_csv(paths.oof)
    expected = uncertainty.spread_se(uncertainty.bootstrap(lambda rows: rmse(data.y[rows], oof["pred"][rows]),
                                                           len(data.ids)))
    assert cv["score_se"] == pytest.approx(expected) and 0 < cv["score_se"] < cv["score"]
    evidence = uncertainty.Evidence.from_json(json.loads(paths.evidence_for(None).read_text()))
    assert evidence.score_se() == pytest.approx(cv["score_se"])
    assert uncertainty.paired(evidence, evidence) == (0.0, 0.0)
    # scored by folds (detection): the same
    by_folds = uncertainty.Evidence(evidence.scores, evidence.folds, None, evidence.folds_files)
    assert uncertainty.paired(by_folds, by_folds) == (0.0, 0.0)
    # another experiment on the same rows: a real difference with a paired SE below the two SEs combined
    _, _, cv_b = run(tmp_path, "b", alpha=3.0)
    other = uncertainty.Evidence.from_json(json.loads(RunPaths(tmp_path, "toy", "b").evidence_for(None).read_text()))
    diff, se = uncertainty.paired(other, evidence)
    assert diff == pytest.approx(cv_b["score"] - cv["score"])
    assert 0 < se < np.hypot(cv["score_se"], cv_b["score_se"])
    # other folds: no paired difference
    _, _, _ = run(tmp_path, "c", fold_seed=7)
    moved = uncertainty.Evidence.from_json(json.loads(RunPaths(tmp_path, "toy", "c").evidence_for(None).read_text()))
    assert uncertainty.paired(moved, evidence) is None


def test_repeated_folds_give_every_row_one_prediction_per_repeat(tmp_path):
    task, data, cv = run(tmp_path, "rep", fold_repeats=3)
    paths = RunPaths(tmp_path, "toy", "rep")
    assert sorted(int(p.name[4:]) for p in paths.run_dir.glob("fold*")) == list(range(9))
    oof = pd.read_csv(paths.oof)
    assert len(oof) == 3 * len(data.ids)
    assert all(sorted(r) == [0, 1, 2] for r in oof.groupby("id")["repeat"].apply(list))
    fingerprint = json.loads(paths.fingerprint.read_text())
    files = fingerprint["folds_files"]
    assert len(set(files)) == 3 and fingerprint["folds_file"] == files[0]
    for r, f in enumerate(files):                       # repeat r is split by fold_seed + r, and shared
        assert pd.read_csv(f)["fold"].tolist() == make_folds(len(data.ids), 3, 42 + r).tolist()
        part = oof[oof["repeat"] == r]
        assert part["id"].tolist() == data.ids and part["fold"].tolist() == pd.read_csv(f)["fold"].tolist()
        assert cv["repeats"][r]["score"] == pytest.approx(rmse(data.y, part["pred"]))
    assert cv["score"] == pytest.approx(np.mean([r["score"] for r in cv["repeats"]]))
    assert len(cv["folds"]) == 9
    row_noise = np.mean([r["score_se"] ** 2 for r in cv["repeats"]])
    split = np.var([r["score"] for r in cv["repeats"]], ddof=1) / 3
    assert cv["score_se"] == pytest.approx(np.sqrt(row_noise + split))
    # repeat 0 is the one-fold-set run: the same folds file, the same first three folds' predictions
    _, _, single = run(tmp_path, "one")
    assert single["score"] == pytest.approx(cv["repeats"][0]["score"])
    assert json.loads(RunPaths(tmp_path, "toy", "one").fingerprint.read_text())["folds_file"] == files[0]
    assert "fold_repeats" not in json.loads(RunPaths(tmp_path, "toy", "one").fingerprint.read_text())["config"]
    # test predictions: the mean of all 9 fold models
    sub = pd.read_csv(submit(task, RidgeConfig(folds=3, fold_repeats=3), data, paths))
    tests = [pd.read_csv(paths.fold_dir(j) / "test_pred.csv")["pred"] for j in range(9)]
    assert sub["y"].to_numpy() == pytest.approx(np.mean(tests, 0))


def test_a_repeated_run_resumed_fold_by_fold_equals_an_uninterrupted_one(tmp_path):
    task, data = RidgeTask(), toy_data()
    cfg = RidgeConfig(folds=3, fold_repeats=2)
    whole = train_folds(task, cfg, data, RunPaths(tmp_path, "toy", "whole"), only=None, force=False)
    parts = RunPaths(tmp_path, "toy", "parts")
    first = RidgeTask()
    assert train_folds(first, cfg, data, parts, only=[0, 4], force=False) is None    # folds of both sets
    assert first.fitted == [0, 4]
    rest = RidgeTask()
    resumed = train_folds(rest, cfg, data, parts, only=None, force=False)
    assert rest.fitted == [1, 2, 3, 5]
    assert resumed == whole
    assert pd.read_csv(parts.oof).equals(pd.read_csv(RunPaths(tmp_path, "toy", "whole").oof))


def hand_made_members(data, *, good: float, bad: float, repeats: int, seed=0):
    """Two members' OOF predictions on `repeats` fold sets: one off by noise `good`, one by `bad`."""
    rng = np.random.default_rng(seed)
    n = len(data.ids)
    folds = [make_folds(n, 3, 42 + r) for r in range(repeats)]
    oofs = [[data.y + rng.normal(0, s, n) for _ in range(repeats)] for s in (good, bad)]
    files = [f"kfold-k3-seed{42 + r}.csv" for r in range(repeats)]
    return [Member(name, oof, np.zeros(2), folds, files) for name, oof in zip("ab", oofs, strict=True)]


def pick(task, data, members):
    results = table_rules(task, data, members, RULES["regression"])
    evidence = {k: nested_evidence(task, data, members, r["nested_preds"]) for k, r in results.items()}
    return choose_rule(evidence, task.higher_is_better)


def test_the_tuned_rule_is_taken_only_when_it_wins_on_every_fold_set():
    task = RidgeTask()
    data = toy_data(n=300)
    # a member 10x noisier: weighting it down wins on every fold set by far more than 3 paired SE
    rule, why = pick(task, data, hand_made_members(data, good=0.1, bad=1.0, repeats=3))
    assert rule in ("select", "weighted", "stack", "best") and "on all 3 fold sets" in why
    # two members equally good: the weights fit noise, and no candidate gains 3 SE on every fold set
    rule, why = pick(task, data, hand_made_members(data, good=0.5, bad=0.5, repeats=3, seed=4))
    assert rule == "mean" and "no candidate" in why
    # one fold set: a clear win is taken there too
    rule, why = pick(task, data, hand_made_members(data, good=0.1, bad=1.0, repeats=1))
    assert rule != "mean" and "on its fold set" in why
    rule, why = pick(task, data, hand_made_members(data, good=0.5, bad=0.5, repeats=1, seed=4))
    assert rule == "mean"


def test_a_mean_blend_is_the_mean_of_its_members_submission_files(tmp_path):
    subs = []
    for exp, alpha in (("a", 0.1), ("b", 30.0)):
        task, data, _ = run(tmp_path, exp, alpha=alpha, fold_repeats=2)
        subs.append(pd.read_csv(submit(task, RidgeConfig(folds=3, alpha=alpha, fold_repeats=2), data,
                                       RunPaths(tmp_path, "toy", exp))))
    path = blend(task, data, tmp_path, ["a", "b"], rule="mean")
    summary = json.loads((tmp_path / "runs/toy/blends/blend-a+b@mean.json").read_text())
    assert summary["rule"] == "mean" and summary["fold_sets"] == 2
    assert pd.read_csv(path)["y"].to_numpy() == pytest.approx((subs[0]["y"] + subs[1]["y"]).to_numpy() / 2,
                                                              rel=1e-12)
    assert isinstance(data, ToyData)
