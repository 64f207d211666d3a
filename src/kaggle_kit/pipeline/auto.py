"""`make auto COMP=<name>`: every learner the spec lists, trained on the shared folds (resuming like train),
blended by the default rule (mean, or a tuned rule that holds on every fold set), the blend (or the one
learner) written to submissions/<name>/auto.csv, and the leaderboard printed."""

from __future__ import annotations

import shutil
from pathlib import Path

from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import CONFIGS_DIR, RunPaths, find_config
from kaggle_kit.pipeline.cross_validate import say
from kaggle_kit.task import Task, TrainData


def auto(task: Task, data: TrainData, root: Path, *, overrides: str = "", force: bool = False) -> Path:
    from kaggle_kit.config import load_config
    from kaggle_kit.ensembling.blend import blend, blend_name
    from kaggle_kit.pipeline.cross_validate import train_folds
    from kaggle_kit.pipeline.submit import submit
    from kaggle_kit.reporting.leaderboard import leaderboard

    exps = task.auto_experiments()
    if not exps:
        raise UserError(f"make auto runs the learners of a competition.yaml; {task.name} has none: train its "
                        f"configs with {task.make('train')}")
    for exp in exps:
        path = find_config(exp, root)
        say(f"auto: {exp} ({path})")
        cfg = load_config(task.config_class, path, CONFIGS_DIR, overrides)
        task.check_config(cfg)
        train_folds(task, cfg, data, RunPaths(root, task.name, exp), only=None, force=force)
        made = submit(task, cfg, data, RunPaths(root, task.name, exp))
    if len(exps) > 1:
        made = blend(task, data, root, exps, rule=None)
    final = root / "submissions" / task.name / f"auto.{task.submission_ext}"
    atomic.write_with(final, lambda tmp: shutil.copyfile(made, tmp))
    source = blend_name(exps, None) if len(exps) > 1 else exps[0]
    atomic.write_json(root / "runs" / task.name / "auto.json", {"source": source, "file": str(final.name)})
    default = find_config(task.default_config(False), root)
    print(leaderboard(task, root, load_config(task.config_class, default, CONFIGS_DIR), default), end="")
    say(f"wrote {final} ({'blend of ' + ', '.join(exps) if len(exps) > 1 else exps[0]})")
    return final
