"""Blending saved experiments: plain numpy over each experiment's OOF and test predictions, never a model.

Every rule reports two OOF scores: in-sample (rule fitted on all OOF rows) and nested (for each fold, the
rule is fitted on the other folds' OOF rows only and applied to it), the honest one used to pick a rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.stats import rankdata

from kaggle_kit.ensembling import average, box_rules
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import RunPaths
from kaggle_kit.pipeline import runs
from kaggle_kit.pipeline.cross_validate import run_folds, say
from kaggle_kit.pipeline.submit import complete_run_folds, fold_test_preds, write_submission
from kaggle_kit.task import Task, TrainData


@dataclass
class Member:
    name: str
    oof: np.ndarray      # (n,) or (n, d), in training-file order
    test: np.ndarray     # the experiment's own fold ensemble on the test set
    fold: np.ndarray     # fold of every training row
    folds_file: str


def load_member(task: Task, data: TrainData, root: Path, exp: str) -> Member:
    paths = RunPaths(root, task.name, exp)
    if not paths.config.is_file():
        raise UserError(f"experiment '{exp}' has no run in {paths.run_dir} ({runs.existing_runs(paths.comp_dir)}); "
                        f"train it first: {task.make('train')} CONFIG=configs/{exp}.yaml")
    cfg = runs.run_config(task.config_class, paths)
    folds = complete_run_folds(task, cfg, data, paths)
    oof_path = paths.oof_for(None, task.preds.ext)
    if not oof_path.is_file():
        raise UserError(f"experiment '{exp}' has no {oof_path.name}; rerun {task.make('train')} for it")
    oof = task.preds.read(oof_path, task.id_column)
    ids = [str(i) for i in data.ids]
    if task.blend_kind == "detection":
        stray = set(oof[task.id_column]) - set(ids)
        if stray:
            raise UserError(f"{oof_path.name} of '{exp}' has images that are not training rows "
                            f"({sorted(stray)[:2]}); retrain it with FORCE=1")
    elif oof[task.id_column].tolist() != ids:
        raise UserError(f"{oof_path.name} of '{exp}' does not match the training rows; retrain it with FORCE=1")
    test = task.fold_ensemble(cfg, fold_test_preds(task, data, paths, folds), data)
    folds_file = runs.read_fingerprint(paths)["folds_file"]
    return Member(exp, task.preds.values(task, data, oof, "train"), test, run_folds(paths, data),
                  Path(folds_file).name)


def check_same_folds(members: list[Member]) -> None:
    first = members[0]
    for m in members[1:]:
        if m.folds_file != first.folds_file or not np.array_equal(m.fold, first.fold):
            raise UserError(f"experiments use different folds ('{first.name}': {first.folds_file}, '{m.name}': "
                            f"{m.folds_file}): retrain them with the same folds and fold_seed to blend them")


# Regression rules. Each fits on the OOF predictions P (rows x members) of training rows `rows`, with their
# targets y and loss(rows, pred) (the task's metric, lower is better), and returns (apply(Q), info).
def rule_mean(P, y, rows, loss):
    return lambda Q: Q.mean(1), {}


def simplex_minimum(m: int, objective) -> np.ndarray:
    """Non-negative weights for m members, summing to one, minimising objective(w)."""
    res = minimize(objective, np.full(m, 1 / m), method="SLSQP", bounds=[(0, 1)] * m,
                   constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}], options={"ftol": 1e-12})
    w = np.clip(res.x, 0, None)
    return w / w.sum()


def simplex_weights(P, rows, loss) -> np.ndarray:
    """Simplex weights minimising loss(rows, P @ w)."""
    return simplex_minimum(P.shape[1], lambda w: loss(rows, P @ w))


def rule_weighted(P, y, rows, loss):
    w = simplex_weights(P, rows, loss)
    return lambda Q: Q @ w, {"weights": w.round(6).tolist()}


def rule_stack(P, y, rows, loss):
    from sklearn.linear_model import RidgeCV

    meta = RidgeCV(alphas=np.logspace(-4, 3, 29)).fit(P, y)
    return lambda Q: meta.predict(Q), {"coef": meta.coef_.round(6).tolist(),
                                       "intercept": float(meta.intercept_), "alpha": float(meta.alpha_)}


# Classification rules: P is (rows, members, classes) of probabilities; y holds class indices.
def log_loss(y: np.ndarray, probs: np.ndarray) -> float:
    return float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None)).mean())


def rule_prob_mean(P, y, rows, loss):
    return lambda Q: average.prob_mean(np.moveaxis(Q, 1, 0)), {}


def rule_vote(P, y, rows, loss):
    def apply(Q):
        votes = average.majority_vote(np.moveaxis(Q, 1, 0))
        return np.eye(Q.shape[2])[votes]          # one-hot, so scoring and submissions stay probabilities
    return apply, {}


def rule_prob_weighted(P, y, rows, loss):
    """Simplex weights minimising the log loss of the weighted probability mean (accuracy has no gradient)."""
    w = simplex_minimum(P.shape[1], lambda w: log_loss(y, np.einsum("nmc,m->nc", P, w)))
    return lambda Q: np.einsum("nmc,m->nc", Q, w), {"weights": w.round(6).tolist()}


def nested_predictions(rule, P: np.ndarray, y: np.ndarray, fold: np.ndarray, *, loss) -> np.ndarray:
    """Each fold's rows predicted by the rule fitted on the other folds' rows only."""
    out = np.zeros((len(y), *P.shape[2:]))
    rows = np.arange(len(y))
    for k in np.unique(fold):
        held = fold == k
        apply, _ = rule(P[~held], y[~held], rows[~held], loss)
        out[held] = apply(P[held])
    return out


def rank_mean(Q: np.ndarray) -> np.ndarray:
    """Mean over members of each row's rank among the rows (0..1), per column for (rows, members, classes)."""
    return (rankdata(Q, axis=0) - 1).mean(1) / max(len(Q) - 1, 1)


def rule_rank_mean(P, y, rows, loss):
    """The members' ranks averaged, mapped back onto the value scale of their plain mean (its quantiles), so
    a member with a stretched or shifted scale weighs as much as the others."""
    def apply(Q):
        order = (rankdata(rank_mean(Q)) - 1) / max(len(Q) - 1, 1)    # the rows' order by mean rank, 0..1
        return np.quantile(Q.mean(1), order)
    return apply, {}


def rule_prob_rank_mean(P, y, rows, loss):
    """Each member ranks the classes within a row (Borda count); ranks averaged over members and normalised to
    sum one: a vote that weighs a member's runner-up classes too (an order, not a calibrated probability)."""
    def apply(Q):
        r = rankdata(Q, axis=2).mean(1)
        return r / r.sum(1, keepdims=True)
    return apply, {}


RULES = {"regression": {"mean": rule_mean, "weighted": rule_weighted, "stack": rule_stack,
                        "rank_mean": rule_rank_mean},
         "classification": {"mean": rule_prob_mean, "vote": rule_vote, "weighted": rule_prob_weighted,
                            "rank_mean": rule_prob_rank_mean}}


def table_rules(task: Task, data: TrainData, members: list[Member], rules: dict) -> dict:
    """Every rule on rows x members predictions: in-sample and nested OOF score, and its test predictions."""
    y, fold = task.target(data), members[0].fold
    rows = np.arange(len(y))
    P = np.stack([m.oof for m in members], 1)
    T = np.stack([m.test for m in members], 1)
    sign = -1 if task.higher_is_better else 1

    def loss(fit_rows, pred):
        return sign * task.score(data, fit_rows, pred)

    results = {}
    for name, fn in rules.items():
        apply, info = fn(P, y, rows, loss)
        results[name] = {"oof": task.score(data, rows, apply(P)), "nested_pred": nested_predictions(fn, P, y, fold, loss=loss),
                         "info": info, "test": lambda apply=apply: apply(T)}
    return results


def detection_rules(task: Task, data: TrainData, members: list[Member], rules: dict) -> dict:
    """Every WBF rule: the setting tuned on all OOF images (in-sample score), nested scores, test fusion."""
    fused = box_rules.Fused([m.oof for m in members], data.train.sizes)
    fold, m = members[0].fold, len(members)
    rows = np.arange(len(fold))

    def score(fit_rows, dets):
        return task.score(data, fit_rows, dets)

    results = {}
    for name, fn in rules.items():
        say(f"blend: {name}: tuning on OOF AP" if name != "mean" else "blend: mean")
        setting = fn(fused, rows, score, m)
        results[name] = {"oof": task.score(data, rows, fused.setting(setting)),
                         "nested_pred": box_rules.nested(fn, fused, fold, score, m=m), "info": setting,
                         "test": lambda s=setting: box_rules.apply(s, [mm.test for mm in members],
                                                                         data.test.sizes)}
    return results


def scalar_extras(task: Task, data: TrainData, rows: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {k: v for k, v in task.extra_scores(data, rows, pred).items() if isinstance(v, float)}


def blend(task: Task, data: TrainData, root: Path, exps: list[str], *, rule: str | None) -> Path:
    rules = box_rules.RULES if task.blend_kind == "detection" else RULES.get(task.blend_kind)
    if rules is None:
        raise UserError(f"blending {task.name} experiments is not available yet; submit each with "
                        f"`{task.make('submit')}`")
    if len(exps) < 2:
        raise UserError(f'name at least two experiments to blend, e.g. EXPS="{task.name} {task.name}-b"')
    if task.metric == "logloss":          # one-hot votes: an infinite log loss on every wrong row
        if rule == "vote":
            raise UserError("RULE=vote gives one-hot answers, an infinite log loss for every wrong row; use "
                            "RULE=mean or weighted for a log-loss competition")
        rules = {k: v for k, v in rules.items() if k != "vote"}
    if rule is not None and rule not in rules:
        raise UserError(f"RULE={rule} is not one of {', '.join(rules)}")
    members = [load_member(task, data, root, e) for e in exps]
    check_same_folds(members)
    rows = np.arange(len(data.ids))
    results = (detection_rules if task.blend_kind == "detection" else table_rules)(task, data, members, rules)
    extra_names = list(scalar_extras(task, data, rows, members[0].oof))
    head = "".join(f" {n.removeprefix('score_'):>22}" for n in extra_names)
    lines = [f"{'experiment / rule':<28} {'OOF ' + task.metric:>16} {'nested OOF':>12}{head}"]

    def extras(pred):
        return "".join(f" {v:>22.5f}" for v in scalar_extras(task, data, rows, pred).values())

    for m in members:
        lines.append(f"{m.name:<28} {task.score(data, rows, m.oof):>16.5f} {'':>12}{extras(m.oof)}")
    for name, r in results.items():
        r["nested_oof"] = task.score(data, rows, r["nested_pred"])
        r.update({f"nested_{k}": v for k, v in scalar_extras(task, data, rows, r["nested_pred"]).items()})
        info = r["info"]
        lines.append(f"{'blend: ' + name:<28} {r['oof']:>16.5f} {r['nested_oof']:>12.5f}{extras(r['nested_pred'])}"
                     + (f"  weights {info['weights']}" if "weights" in info else "")
                     + (f"  iou {info['iou']}" if "iou" in info else "")
                     + (f"  scores {info['conf']}" if "conf" in info else ""))
    chosen = rule or (max if task.higher_is_better else min)(results, key=lambda r: results[r]["nested_oof"])
    say("\n".join(lines) + f"\nrule: {chosen}" + ("" if rule else " (best nested OOF score)"))
    pred = results[chosen]["test"]()
    # a label metric: the rule's labels by a decision tuned on its nested OOF (each fold's from the others)
    labelled = task.cv_scores(data, members[0].fold, results[chosen]["nested_pred"])
    if "decision" in labelled:
        say(f"labels by {labelled['decision']}: nested OOF {task.metric} {labelled['score']:.5f} with the rule "
            "tuned on the other folds")
    name = "blend-" + "+".join(exps)
    path = root / "submissions" / task.name / f"{task.submission_stem(name)}.{task.submission_ext}"
    write_submission(task, data, pred, path, decision=labelled.get("decision"))
    summary = {"experiments": exps, "rule": chosen, "metric": task.metric,
               **({"decision": labelled["decision"], "nested_oof_tuned_labels": labelled["score"]}
                  if "decision" in labelled else {}),
               "members": {m.name: task.score(data, rows, m.oof) for m in members},
               "rules": {k: {"oof": v["oof"], "nested_oof": v["nested_oof"], **v["info"],
                             **{kk: vv for kk, vv in v.items() if kk.startswith("nested_") and kk != "nested_pred"}}
                         for k, v in results.items()}}
    atomic.write_json(root / "runs" / task.name / "blends" / f"{name}.json", summary)
    say(f"wrote {path}")
    return path
