"""Blending saved experiments: plain numpy over each experiment's OOF and test predictions, never a model.

Every rule reports two OOF scores: in-sample (rule fitted on all OOF rows) and nested (for each fold, the
rule is fitted on the other folds' OOF rows only and applied to it), the honest one. With several fold sets
(fold_repeats) each is blended on its own and the scores are their mean.

The blend is `mean` unless RULE names another or a tuned candidate (greedy ensemble selection, simplex
weights, a stacker, the best member alone) beats it by more than CHOICE_SE paired SEs of the difference on
every fold set. The nested scores do not see that choice among candidates: the chosen rule's nested score keeps
a small optimism."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from pydantic import Field
from scipy.optimize import minimize
from scipy.stats import rankdata

from kaggle_kit import metrics
from kaggle_kit.config import StrictModel, stable_hash
from kaggle_kit.ensembling import average, box_rules
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import RunPaths
from kaggle_kit.pipeline import runs, uncertainty
from kaggle_kit.pipeline.cross_validate import run_fold_sets, say
from kaggle_kit.pipeline.predictions import split_repeats
from kaggle_kit.pipeline.submit import complete_run_folds, submitted_prediction, write_submission
from kaggle_kit.task import Evaluation, Task, TrainData

CHOICE_SE = 3.0                  # paired SEs a candidate must gain over mean by, on every fold set (3, not 2:
#                                  the best of several candidates is biased upward)
TUNED = ("select", "weighted", "stack", "best")   # candidates fitted on OOF; rank_mean and vote are alternatives
SELECT_STEPS = 40                # greedy ensemble selection: additions at most (Caruana et al. use 25-50)


class BlendConfig(StrictModel):
    """The blend's keys (ARGS of `make blend`): numbers of the rules, not which rule (RULE= says that)."""

    select_steps: int = Field(SELECT_STEPS, ge=1, le=1000)   # rule select: additions at most


@dataclass
class Member:
    name: str
    oofs: list[np.ndarray]      # per fold set: (n,) or (n, d) in training-file order, or detections
    test: np.ndarray            # exactly the experiment's submitted test predictions (its fold models' ensemble)
    folds: list[np.ndarray]     # per fold set: the fold of every training row
    folds_files: list[str]      # per fold set: the shared folds file's name


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
    oofs = split_repeats(task.preds.read(oof_path, task.id_column), cfg.fold_repeats)
    ids = [str(i) for i in data.ids]
    for oof in oofs:
        if not FORMS[task.blend_kind].by_rows:
            stray = set(oof[task.id_column]) - set(ids)
            if stray:
                raise UserError(f"{oof_path.name} of '{exp}' has images that are not training rows "
                                f"({sorted(stray)[:2]}); retrain it with FORCE=1")
        elif oof[task.id_column].tolist() != ids:
            raise UserError(f"{oof_path.name} of '{exp}' does not match the training rows; retrain it with FORCE=1")
    return Member(exp, [task.preds.values(task, data, oof, "train") for oof in oofs],
                  submitted_prediction(task, cfg, data, paths, folds), run_fold_sets(paths, data),
                  [Path(f).name for f in runs.folds_files(paths)])


def check_same_folds(members: list[Member]) -> None:
    first = members[0]
    for m in members[1:]:
        same = m.folds_files == first.folds_files and all(
            np.array_equal(a, b) for a, b in zip(m.folds, first.folds, strict=True))
        if not same:
            raise UserError(f"experiments use different folds ('{first.name}': {' '.join(first.folds_files)}, "
                            f"'{m.name}': {' '.join(m.folds_files)}): retrain them with the same folds, fold_seed "
                            "and fold_repeats to blend them")


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
    w = simplex_weights(P, rows, loss).round(6)       # as saved: a bundle applies exactly these
    return lambda Q: Q @ w, {"weights": w.tolist()}


def rule_binary_weighted(P, y, rows, loss):
    """Simplex weights minimising the log loss of the weighted mean of the members' probabilities of the positive
    class, whatever the metric: AUC, accuracy and F1 are step functions of the weights, with no gradient to follow
    (minimised directly, the weights never leave their equal start)."""
    w = simplex_minimum(P.shape[1], lambda w: metrics.log_loss(y, P @ w)).round(6)
    return lambda Q: Q @ w, {"weights": w.tolist()}


def rule_stack(P, y, rows, loss):
    from sklearn.linear_model import RidgeCV

    meta = RidgeCV(alphas=np.logspace(-4, 3, 29)).fit(P, y)
    coef, intercept = meta.coef_.round(6), float(meta.intercept_)      # as saved: a bundle applies exactly these
    return lambda Q: Q @ coef + intercept, {"coef": coef.tolist(), "intercept": intercept, "alpha": float(meta.alpha_)}


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
    w = simplex_minimum(P.shape[1], lambda w: log_loss(y, np.einsum("nmc,m->nc", P, w))).round(6)
    return lambda Q: np.einsum("nmc,m->nc", Q, w), {"weights": w.tolist()}


LOG_FLOOR = 1e-6                 # the stacker's floor under a member's probability before its log


def pooled(Q: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Log-linear pooling: probabilities proportional to exp(sum over members of w_m log p_m + b_c), a softmax
    of the members' weighted log-probabilities with a bias per class."""
    z = np.einsum("nmc,m->nc", np.log(np.clip(Q, LOG_FLOOR, 1)), w) + b
    z -= z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def rule_prob_stack(P, y, rows, loss):
    """A stacker for probabilities: log-linear pooling (weights >= 0 per member, a bias per class) fitted by the
    log loss of the pooled probabilities (scipy's L-BFGS-B). Unlike a weighted mean it can sharpen or soften
    the members (weights summing to more or less than one) and correct a class's base rate, m + c numbers in all,
    so it needs no penalty to stay honest on a few thousand rows."""
    m, c = P.shape[1], P.shape[2]
    rows_y = np.arange(len(y))

    def objective(t):
        return -np.log(np.clip(pooled(P, t[:m], t[m:])[rows_y, y], 1e-15, None)).mean()

    res = minimize(objective, np.r_[np.full(m, 1 / m), np.zeros(c)], method="L-BFGS-B",
                   bounds=[(0, None)] * m + [(None, None)] * c)
    w, b = res.x[:m].round(6), res.x[m:].round(6)          # as saved: a bundle applies exactly these
    return lambda Q: pooled(Q, w, b), {"weights": w.tolist(), "bias": b.tolist()}


def combine(Q: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The members' predictions (rows, members[, classes]) averaged with weights w over the members."""
    return np.tensordot(w, Q, axes=([0], [1]))


def greedy_selection(P: np.ndarray, rows: np.ndarray, loss, steps: int = SELECT_STEPS) -> np.ndarray:
    """Ensemble selection with replacement (Caruana et al., 2004): start from the best member, then add, one at a
    time, the member whose addition gives the best score, while one improves it, for at most `steps` additions.
    The weights are the counts over the picks: a member that never helps keeps weight 0."""
    m = P.shape[1]
    alone = [loss(rows, P[:, j]) for j in range(m)]
    counts = np.zeros(m)
    counts[int(np.argmin(alone))] = 1
    current = min(alone)
    for _ in range(steps):
        n = counts.sum()
        tries = [loss(rows, combine(P, (counts + np.eye(m)[j]) / (n + 1))) for j in range(m)]
        j = int(np.argmin(tries))
        if not tries[j] < current - 1e-12:
            break
        counts[j] += 1
        current = tries[j]
    return counts / counts.sum()


def rule_select(P, y, rows, loss, steps: int = SELECT_STEPS):
    """Greedy ensemble selection on the task's own metric: any metric, values or probabilities."""
    w = greedy_selection(P, rows, loss, steps).round(6)
    return lambda Q: combine(Q, w), {"weights": w.tolist()}


def rule_best(P, y, rows, loss):
    """The member with the best score on these rows, alone."""
    w = np.eye(P.shape[1])[int(np.argmin([loss(rows, P[:, j]) for j in range(P.shape[1])]))]
    return lambda Q: combine(Q, w), {"weights": w.tolist()}


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


RULES = {"regression": {"mean": rule_mean, "select": rule_select, "weighted": rule_weighted, "stack": rule_stack,
                        "best": rule_best, "rank_mean": rule_rank_mean},
         "classification": {"mean": rule_prob_mean, "select": rule_select, "weighted": rule_prob_weighted,
                            "stack": rule_prob_stack, "best": rule_best, "vote": rule_vote,
                            "rank_mean": rule_prob_rank_mean}}
RULES["binary"] = {**RULES["regression"], "weighted": rule_binary_weighted}   # one probability per row, blended as a
#   value, but its weights fitted by log loss


def saved_rule(task: Task, rule: str, info: dict):
    """apply(tests, data) of a blend's chosen rule from what its summary saved (weights, a stacker's coefficients,
    a fusion setting), for the members' test predictions (a list, one per member) of the test rows in data: what
    an offline bundle runs."""
    if not FORMS[task.blend_kind].by_rows:
        return lambda tests, data: box_rules.apply(info, tests, data.test.sizes)
    apply = saved_table_rule(task, rule, info)
    return lambda tests, data: apply(np.stack(tests, 1))


def saved_table_rule(task: Task, rule: str, info: dict):
    """apply(T) of a saved rule for rows x members[ x classes] predictions."""
    if rule in ("weighted", "select", "best"):
        w = np.asarray(info["weights"], float)
        if rule != "weighted":
            return lambda Q: combine(Q, w)
        return (lambda Q: Q @ w) if task.blend_kind != "classification" else (lambda Q: np.einsum("nmc,m->nc", Q, w))
    if rule == "stack" and task.blend_kind == "classification":
        w, b = np.asarray(info["weights"], float), np.asarray(info["bias"], float)
        return lambda Q: pooled(Q, w, b)
    if rule == "stack":
        coef, intercept = np.asarray(info["coef"], float), float(info["intercept"])
        return lambda Q: Q @ coef + intercept
    apply, _ = RULES[task.blend_kind][rule](None, None, None, None)    # rules that fit nothing
    return apply


def table_rules(task: Task, data: TrainData, members: list[Member], rules: dict) -> dict:
    """Every rule on rows x members predictions: in-sample and nested OOF scores per fold set, and its test
    predictions by the rule fitted on every OOF row of every fold set."""
    y = task.target(data)
    rows = np.arange(len(y))
    Ps = [np.stack([m.oofs[r] for m in members], 1) for r in range(len(members[0].oofs))]
    T = np.stack([m.test for m in members], 1)
    sign = -1 if task.higher_is_better else 1

    def loss(fit_rows, pred):
        return sign * task.score(data, fit_rows, pred)

    P_all, y_all, rows_all = np.concatenate(Ps), np.tile(y, len(Ps)), np.tile(rows, len(Ps))
    results = {}
    for name, fn in rules.items():
        apply, info = fn(P_all, y_all, rows_all, loss)
        results[name] = {"oof": float(np.mean([task.score(data, rows, apply(P)) for P in Ps])),
                         "nested_preds": [nested_predictions(fn, P, y, fold, loss=loss)
                                          for P, fold in zip(Ps, members[0].folds, strict=True)],
                         "info": info, "test": lambda apply=apply: apply(T)}
    return results


def detection_rules(task: Task, data: TrainData, members: list[Member], rules: dict) -> dict:
    """Every WBF rule: the setting tuned on all OOF images of the first fold set (in-sample score), nested scores
    per fold set, test fusion."""
    m = len(members)
    fused = [box_rules.Fused([mm.oofs[r] for mm in members], data.train.sizes) for r in range(len(members[0].oofs))]
    rows = np.arange(len(members[0].folds[0]))

    def score(fit_rows, dets):
        return task.score(data, fit_rows, dets)

    results = {}
    for name, fn in rules.items():
        say(f"blend: {name}: tuning on OOF AP" if name != "mean" else "blend: mean")
        setting = fn(fused[0], rows, score, m)
        results[name] = {"oof": task.score(data, rows, fused[0].setting(setting)),
                         "nested_preds": [box_rules.nested(fn, f, fold, score, m=m)
                                          for f, fold in zip(fused, members[0].folds, strict=True)],
                         "info": setting,
                         "test": lambda s=setting: box_rules.apply(s, [mm.test for mm in members], data.test.sizes)}
    return results


@dataclass(frozen=True)
class Form:
    """How one form of predictions (a task's `blend_kind`) is blended: its rules, the function scoring them all,
    and whether its predictions are arrays aligned with the rows (sliced by fold, bootstrapped by row) or
    detections (scored by fold)."""
    rules: dict
    results: object
    by_rows: bool


FORMS = {"regression": Form(RULES["regression"], table_rules, True),
         "binary": Form(RULES["binary"], table_rules, True),
         "classification": Form(RULES["classification"], table_rules, True),
         "detection": Form(box_rules.RULES, detection_rules, False)}


def nested_evidence(task: Task, data: TrainData, members: list[Member], preds: list[np.ndarray],
                    whole: list[float] | None = None) -> uncertainty.Evidence:
    """A rule's nested OOF scores per fold set, with what their SE and paired comparisons come from: the bootstrap
    over rows (the resamples every run on these rows shares) or, for detections, the fold scores. `whole`: each
    fold set's score on every row, where the caller has it already."""
    rows = np.arange(len(data.ids))
    scores, folds, replicates = [], [], []
    for r, (pred, fold) in enumerate(zip(preds, members[0].folds, strict=True)):
        scores.append(task.score(data, rows, pred) if whole is None else whole[r])
        by_rows = FORMS[task.blend_kind].by_rows
        folds.append([task.score(data, np.flatnonzero(fold == k), pred[fold == k] if by_rows else pred)
                      for k in np.unique(fold)])
        if by_rows:
            replicates.append(uncertainty.bootstrap(lambda rr, p=pred: task.score(data, rr, p[rr]), len(rows)).tolist())
    return uncertainty.Evidence(scores, folds, replicates or None, members[0].folds_files)


def paired_gains(evidence: dict[str, uncertainty.Evidence], name: str, sign: int) -> list[tuple[float, float]]:
    """(nested gain over mean, its paired SE) per fold set: the spread of the per-resample differences, or of
    the per-fold ones for detections."""
    ev, base = evidence[name], evidence["mean"]
    return [(sign * (ev.scores[r] - base.scores[r]),
             uncertainty.spread_se(np.subtract(ev.replicates[r], base.replicates[r])) if ev.replicates is not None
             else uncertainty.fold_se(np.subtract(ev.folds[r], base.folds[r]))) for r in range(len(base.scores))]


def choose_rule(evidence: dict[str, uncertainty.Evidence], higher_is_better: bool) -> tuple[str, str]:
    """(rule, why): `mean`, unless a tuned candidate beats it by more than CHOICE_SE paired SEs on every fold
    set (the one with the largest mean gain among those that do); and never `mean` where the best member alone
    (nested: each fold's best member chosen on the other folds) scores better than it on every fold set."""
    sign = 1 if higher_is_better else -1
    repeats = len(evidence["mean"].scores)
    gains, lines = {}, []
    for name in (r for r in TUNED if r in evidence):
        per = paired_gains(evidence, name, sign)
        lines.append(f"{name} {np.mean([g for g, _ in per]):+.5f} ("
                     + ", ".join(f"{g / e:+.1f} SE" if e > 0 else f"{g:+.5f}" for g, e in per) + ")")
        if all(g > CHOICE_SE * e and g > 0 for g, e in per):
            gains[name] = float(np.mean([g for g, _ in per]))
    where = f"on all {repeats} fold sets" if repeats > 1 else "on its fold set"
    detail = "nested gain over mean: " + "; ".join(lines)
    if gains:
        best = max(gains, key=gains.get)
        return best, f"{best} beats mean by more than {CHOICE_SE:g} paired SE {where}; {detail}"
    if "best" in evidence and all(g > 0 for g, _ in paired_gains(evidence, "best", sign)):
        return "best", (f"no candidate beats mean by more than {CHOICE_SE:g} paired SE {where}, but mean is worse "
                        f"than the best member alone (nested) {where}, and a blend is never worse than its best "
                        f"member; {detail}")
    return "mean", f"no candidate beats mean by more than {CHOICE_SE:g} paired SE {where}; {detail}"


def scalar_extras(ev: Evaluation) -> dict[str, float]:
    """The evaluation's scalar extras (a score without flagged rows, AP50), not its per-class breakdowns."""
    return {k: v for k, v in ev.extras.items() if isinstance(v, float)}


def fitting_rules(task: Task, rules: dict) -> tuple[dict, dict[str, str]]:
    """(the rules that fit the task's metric and prediction form, {rule: why not} for the others). A log loss
    scores probabilities as probabilities: one-hot votes give an infinite loss on every wrong row, ranks are not
    probabilities. (The classification stacker pools log-probabilities into probabilities: it fits.)"""
    if task.metric != "logloss":
        return rules, {}
    why = {"vote": "gives one-hot answers, an infinite log loss for every wrong row",
           "rank_mean": "gives ranks, not probabilities, which a log loss scores as if they were"}
    if task.blend_kind != "classification":     # a binary log loss blends one probability as a value: the ridge
        why["stack"] = "fits a linear model whose output leaves [0, 1], which a log loss cannot score"
    return {k: v for k, v in rules.items() if k not in why}, {k: w for k, w in why.items() if k in rules}


NAME_LIMIT = 236    # characters of a blend's name: the longest whose files could be written (a file name has 255
#                     at most, and the atomic write's temporary name of <name>.json adds 19), so none is renamed


def blend_name(exps: list[str], rule: str | None) -> str:
    """blend-<a>+<b> for the default choice; blend-<a>+<b>@<rule> for a rule RULE= forced, so that one never
    overwrites the other. Longer than NAME_LIMIT: the members' common prefix once, then `+` and the rest of each
    (blend-comp-+catboost+gbdt+...), else the prefix, the number of members and a hash of their names."""
    names, at = [e.replace("/", "~") for e in exps], f"@{rule}" if rule else ""
    full = "blend-" + "+".join(names) + at
    if len(full) <= NAME_LIMIT:
        return full
    common = os.path.commonprefix(names)
    prefix = common[:common.rfind("-") + 1]
    compact = f"blend-{prefix}+" + "+".join(n[len(prefix):] for n in names) + at
    if len(compact) <= NAME_LIMIT:
        return compact
    return f"blend-{prefix}+{len(names)}-{stable_hash(names, 12)}{at}"


def blend_rules(task: Task, rule: str | None, cfg: BlendConfig) -> dict:
    """The candidate rules of the task's prediction form that fit its metric (the select rule with the blend's
    steps); a RULE= or key that does not fit is one line."""
    form = FORMS.get(task.blend_kind)
    if form is None:
        raise UserError(f"blending {task.name} experiments is not available yet; submit each with "
                        f"`{task.make('submit')}`")
    rules = form.rules
    if "select" in rules:
        rules = {**rules, "select": partial(rule_select, steps=cfg.select_steps)}
    elif cfg.model_fields_set:
        raise UserError(f"ARGS sets {', '.join(sorted(cfg.model_fields_set))}, a key of the select rule, which "
                        f"{task.name} blends do not have ({', '.join(rules)}); leave ARGS out")
    rules, unfit = fitting_rules(task, rules)
    if rule in unfit:
        raise UserError(f"RULE={rule} {unfit[rule]}; the rules that fit this blend: {', '.join(rules)}")
    if rule is not None and rule not in rules:
        raise UserError(f"RULE={rule} is not one of {', '.join(rules)} (the rules that fit this blend)")
    return rules


def weigh_rules(task: Task, data: TrainData, members: list[Member], results: dict) -> tuple[dict, list[str]]:
    """Each rule's nested evidence, added to its results (nested score, SE, gain over mean with its paired SE,
    the extra scores), and the printed table: the members' OOF scores, then every rule's."""
    member_evs = {m.name: [task.evaluate(data, p) for p in m.oofs] for m in members}     # one evaluation each
    extra_names = list(scalar_extras(member_evs[members[0].name][0]))
    head = "".join(f" {n.removeprefix('score_'):>22}" for n in extra_names)
    lines = [f"{'experiment / rule':<28} {'OOF ' + task.metric:>16} {'nested OOF':>12} {'± SE':>9} "
             f"{'gain over mean ± paired SE':>27}{head}"]

    def extras(evs):
        values = [scalar_extras(ev) for ev in evs]
        return "".join(f" {np.mean([v[k] for v in values]):>22.5f}" for k in values[0])

    for m in members:
        evs = member_evs[m.name]
        lines.append(f"{m.name:<28} {float(np.mean([ev.score for ev in evs])):>16.5f} {'':>12} {'':>9} {'':>27}"
                     f"{extras(evs)}")
    evidence = {}
    for name, r in results.items():
        evs = [task.evaluate(data, p) for p in r["nested_preds"]]
        evidence[name] = nested_evidence(task, data, members, r["nested_preds"], [ev.score for ev in evs])
        r["nested_oof"] = float(np.mean(evidence[name].scores))
        r["nested_se"] = evidence[name].score_se()
        nested_extras = [scalar_extras(ev) for ev in evs]
        r.update({f"nested_{k}": float(np.mean([v[k] for v in nested_extras])) for k in nested_extras[0]})
        info = r["info"]
        per = paired_gains(evidence, name, 1 if task.higher_is_better else -1) if name != "mean" else []
        r["gain_over_mean"] = [g for g, _ in per]
        r["gain_paired_se"] = [e for _, e in per]
        versus = (f"{np.mean(r['gain_over_mean']):+.5f} ± {np.sqrt(np.mean(np.square(r['gain_paired_se']))):.5f}"
                  if per else "")
        lines.append(f"{'blend: ' + name:<28} {r['oof']:>16.5f} {r['nested_oof']:>12.5f} {r['nested_se']:>9.5f}"
                     f" {versus:>27}{extras(evs)}"
                     + (f"  weights {info['weights']}" if "weights" in info else "")
                     + (f"  iou {info['iou']}" if "iou" in info else "")
                     + (f"  scores {info['conf']}" if "conf" in info else ""))
    return evidence, lines


def mean_score(task: Task, data: TrainData, preds) -> float:
    rows = np.arange(len(data.ids))
    return float(np.mean([task.score(data, rows, p) for p in preds]))


def blend(task: Task, data: TrainData, root: Path, exps: list[str], *, rule: str | None,
          cfg: BlendConfig | None = None) -> Path:
    cfg = cfg or BlendConfig()
    rules = blend_rules(task, rule, cfg)
    if len(exps) < 2:
        raise UserError(f'name at least two experiments to blend, e.g. EXPS="{task.name} {task.name}-b"')
    members = [load_member(task, data, root, e) for e in exps]
    check_same_folds(members)
    results = FORMS[task.blend_kind].results(task, data, members, rules)
    evidence, lines = weigh_rules(task, data, members, results)
    if rule is None:
        chosen, why = choose_rule(evidence, task.higher_is_better)
    else:
        chosen, why = rule, "RULE="
    say("\n".join(lines) + f"\nrule: {chosen} ({why})")
    pred = results[chosen]["test"]()
    # a label metric: the rule's labels by a decision tuned on its nested OOF (each fold's from the others)
    labelled = task.evaluate(data, results[chosen]["nested_preds"][0], members[0].folds[0])
    if labelled.decision is not None:
        say(f"labels by {labelled.decision}: nested OOF {task.metric} {labelled.score:.5f} with the rule "
            "tuned on the other folds")
    name = blend_name(exps, rule)
    path = root / "submissions" / task.name / f"{task.submission_stem(name)}.{task.submission_ext}"
    write_submission(task, data, pred, path, decision=labelled.decision)
    summary = {"experiments": exps, "rule": chosen, "chosen_by": "RULE=" if rule else "default", "why": why,
               "metric": task.metric, **({"config": cfg.model_dump()} if "select" in rules else {}),
               "fold_sets": len(members[0].folds),
               **({"decision": labelled.decision, "nested_oof_tuned_labels": labelled.score}
                  if labelled.decision is not None else {}),
               "members": {m.name: mean_score(task, data, m.oofs) for m in members},
               "rules": {k: {"oof": v["oof"], "nested_oof": v["nested_oof"], "nested_se": v["nested_se"],
                             "gain_over_mean": v["gain_over_mean"], "gain_paired_se": v["gain_paired_se"],
                             **v["info"], **{kk: vv for kk, vv in v.items()
                                             if kk.startswith("nested_") and kk not in ("nested_preds", "nested_oof",
                                                                                        "nested_se")}}
                         for k, v in results.items()},
               "evidence": evidence[chosen].to_json()}
    atomic.write_json(root / "runs" / task.name / "blends" / f"{name}.json", summary)
    say(f"wrote {path}")
    return path
