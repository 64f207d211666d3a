"""`make auto COMP=<name> [TIME=<s>]`: every learner the spec lists, in its order, trained on the shared folds
(resuming like train), blended by the default rule, the blend (or the one learner) written to
submissions/<name>/auto.csv, and the leaderboard printed. With a time budget, a learner starts only while the
budget lasts: the budget counts the learners that had folds to train, and the first of those always starts, so
a run ends within the budget plus one learner's fit and always has a submission. A stack (kaggle_kit.tabular.
stacking), whose cost its members' own runs tell, starts only if it is expected to end within the budget. The ones it skips are named,
and the same command again continues with them: a learner whose folds are complete is not charged (FORCE=1
retrains every learner, so with TIME it starts from the first again)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import CONFIGS_DIR, RunPaths, find_config
from kaggle_kit.pipeline.cross_validate import say
from kaggle_kit.pipeline.cv_result import read_cv
from kaggle_kit.reporting.leaderboard import train_seconds
from kaggle_kit.tabular.stacking import expected_seconds
from kaggle_kit.tabular.table_fold import stack_members
from kaggle_kit.task import Task, TrainData


def folds_left(cfg, data: TrainData, paths: RunPaths) -> int:
    """The run's folds not yet trained with these settings (0: nothing left to fit)."""
    from kaggle_kit.pipeline import runs

    fingerprint = runs.run_fingerprint(cfg, data.fingerprint)["hash"]
    return sum(not runs.fold_complete(paths, j, fingerprint) for j in range(cfg.total_folds))


def timed_learner(task: Task, exp: str, cfg) -> str | None:
    """The learner whose cost as a stack member this run tells: its model where the run is that learner's own
    experiment (<comp>-<model>); None for a variant (<comp>-gbdt_small: other numbers, another time) or a
    stack."""
    model = getattr(cfg, "model", None)
    return model if model is not None and not stack_members(cfg) and exp == f"{task.name}-{model}" else None


def progress_line(task: Task, exp: str, n: int, total: int, paths: RunPaths, seconds: float) -> str:
    if not paths.cv.is_file():
        return f"auto [{n}/{total}] {exp}: CV -, {seconds:.0f} s"
    cv = read_cv(paths.cv)
    return f"auto [{n}/{total}] {exp}: CV {task.metric} {cv.score:.5f}{cv.se_text()}, {seconds:.0f} s"


def auto(task: Task, data: TrainData, root: Path, *, overrides: str = "", force: bool = False,
         budget: float | None = None) -> Path:
    from kaggle_kit.config import load_config
    from kaggle_kit.ensembling.blend import blend, blend_name
    from kaggle_kit.pipeline.cross_validate import train_folds
    from kaggle_kit.pipeline.submit import submit
    from kaggle_kit.reporting.leaderboard import leaderboard

    exps = task.auto_experiments()
    if not exps:
        raise UserError(f"make auto runs the learners of a competition.yaml; {task.name} has none: train its "
                        f"configs with {task.make('train')}")
    if budget is not None and budget <= 0:
        raise UserError(f"TIME={budget:g}: the budget is a number of seconds above 0 (or leave TIME out)")
    start, done, skipped, lines = time.perf_counter(), [], [], []
    charged, trained = 0.0, False       # seconds of learners that had folds to train; whether one started
    learner_seconds, stacked = {}, set()    # each learner's own run time; the members a stack has fitted
    for n, exp in enumerate(exps, 1):
        path = find_config(exp, root)
        cfg = load_config(task.config_class, path, CONFIGS_DIR, overrides)
        task.check_config(cfg)
        paths = RunPaths(root, task.name, exp)
        left = cfg.total_folds if force else folds_left(cfg, data, paths)
        complete = left == 0
        members = stack_members(cfg)
        expected = expected_seconds(cfg, learner_seconds, stacked) if members else None
        if expected is not None:
            expected *= left / cfg.total_folds          # a stack stopped part way: only its folds left
        if budget is not None and trained and not complete and charged >= budget:
            skipped.append(exp)
            say(f"auto [{n}/{len(exps)}] {exp}: skipped, the budget TIME={budget:g} s is spent ({charged:.0f} s)")
            continue
        if budget is not None and trained and not complete and expected is not None and charged + expected > budget:
            skipped.append(exp)       # a stack's cost is known from its members' own runs: none started to overrun
            say(f"auto [{n}/{len(exps)}] {exp}: skipped, its expected {expected:.0f} s (its members' fits inside "
                f"each fold) would pass the budget TIME={budget:g} s ({charged:.0f} s spent)")
            continue
        say(f"auto [{n}/{len(exps)}] {exp} ({path})")
        began = time.perf_counter()
        train_folds(task, cfg, data, paths, only=None, force=force)
        made = submit(task, cfg, data, paths)
        seconds = time.perf_counter() - began
        if not complete:
            charged, trained = charged + seconds, True
        if members:
            stacked |= set(members)
        elif timed_learner(task, exp, cfg) is not None:
            own = train_seconds(paths, cfg.total_folds)
            learner_seconds[cfg.model] = own if own is not None else seconds
        lines.append(progress_line(task, exp, n, len(exps), paths, seconds))
        say(lines[-1])
        done.append(exp)
    if len(done) > 1:
        made = blend(task, data, root, done, rule=None)
    final = root / "submissions" / task.name / f"auto.{task.submission_ext}"
    atomic.write_with(final, lambda tmp: shutil.copyfile(made, tmp))
    source = blend_name(done, None) if len(done) > 1 else done[0]
    atomic.write_json(root / "runs" / task.name / "auto.json",
                      {"source": source, "file": str(final.name), "learners": done, "skipped": skipped,
                       "budget_s": budget, "seconds": round(time.perf_counter() - start, 1)})
    default = find_config(task.default_config(False), root)
    print(leaderboard(task, root, load_config(task.config_class, default, CONFIGS_DIR), default), end="")
    for line in lines:
        say(line)
    if skipped:
        say(f"auto: skipped {', '.join(skipped)} (TIME={budget:g} s spent, or too short for them); the same "
            "command again continues with them, or a larger TIME")
    say(f"wrote {final} ({'blend of ' + ', '.join(done) if len(done) > 1 else done[0]}) in "
        f"{time.perf_counter() - start:.0f} s")
    return final
