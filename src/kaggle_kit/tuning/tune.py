"""`make tune`: Optuna searches a space of config keys; each trial is a full k-fold run on the competition's
shared folds, as its own experiment (runs/<comp>/tune/<study>/<hash of its parameters>/), reported fold by fold
to the pruner. JOBS=k runs k worker processes on one study; workers on other machines join by running the same
command against the same STORAGE. After the search, the best trial is written as <base>-tuned.yaml (it extends
the base, with only the tuned keys) and trained once more on a fresh fold set, its two scores side by side: the
tuning folds' score is optimistic, as the search picked it on them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kaggle_kit.config import TrainConfig, load_config, parse_value, stable_hash
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import CONFIGS_DIR, RunPaths, user_dir
from kaggle_kit.pipeline import runs
from kaggle_kit.pipeline.cross_validate import say, train_folds
from kaggle_kit.pipeline.cv_result import read_cv
from kaggle_kit.task import Task, TrainData
from kaggle_kit.tuning import study as studies
from kaggle_kit.tuning.space import Dimension, check_space, override, read_space

SPACES_DIR = CONFIGS_DIR / "spaces"
FRESH_FOLD_SEED = 1000          # the recheck's fold_seed: the tuning folds' plus this


@dataclass
class Search:
    task: Task
    root: Path
    base: Path                  # the base config file
    args: list[str]             # ARGS, as key=value items
    space: list[Dimension]
    trials: int
    storage_url: str | None

    @property
    def name(self) -> str:
        return self.base.stem

    @property
    def study_dir(self) -> Path:
        return RunPaths(self.root, self.task.name, "tune").run_dir / self.name

    def config(self, params: dict) -> TrainConfig:
        """The base with ARGS and a trial's parameters; a trial draws no plots unless ARGS asks (make <comp>-report
        EXP=tune/<study>/<key> draws them)."""
        items = [override(k, v) for k, v in params.items()]
        return load_config(self.task.config_class, self.base, CONFIGS_DIR, ["plots=false", *self.args, *items])

    def open(self):
        return studies.open_study(self.name, studies.storage_for(self.study_dir, self.storage_url),
                                  maximize=self.task.higher_is_better)


def default_space(cfg: TrainConfig) -> Path:
    """configs/spaces/<learner>.yaml for a table learner's config; otherwise SPACE= must name one."""
    model = getattr(cfg, "model", None)
    path = SPACES_DIR / f"{model}.yaml"
    if isinstance(model, str) and path.is_file():
        return path
    shipped = ", ".join(sorted(p.name for p in SPACES_DIR.glob("*.yaml")))
    raise UserError(f"name the search space: SPACE=configs/spaces/<name>.yaml (shipped: {shipped})")


def prepare(task: Task, root: Path, base: Path, args: str, *, trials: int, space: str | None,
            storage: str | None) -> Search:
    """The search, checked whole before any trial: the base config with ARGS, the space's every key at its bounds."""
    import shlex

    if trials < 1:
        raise UserError(f"TRIALS={trials}: give the number of trials the study stops at, e.g. TRIALS=30")
    items = shlex.split(args or "")
    cfg = load_config(task.config_class, base, CONFIGS_DIR, items)
    task.check_config(cfg)
    space_path = Path(space) if space else default_space(cfg)
    dims = read_space(space_path)
    given = {item.partition("=")[0] for item in items}
    both = sorted(given & {d.key for d in dims})
    if both:
        raise UserError(f"ARGS sets {', '.join(both)}, which {space_path.name} searches; leave it out of ARGS (or of "
                        "the space)")
    check_space(dims, task.config_class, base, CONFIGS_DIR, items)
    return Search(task, root, base, items, dims, trials, storage)


def objective(search: Search, data: TrainData, trial) -> float:
    """One trial: a k-fold run of the base config with the trial's parameters, each fold's score reported to the
    pruner as the running fold mean."""
    import optuna

    params = {d.key: d.suggest(trial) for d in search.space}
    run_dir = studies.run_dir_of(trial.study, trial, params, search.study_dir)
    key = run_dir.name
    paths = RunPaths(search.root, search.task.name, f"tune/{search.name}/{key}")
    studies.hold(trial, paths.run_dir)
    shown = " ".join(override(k, v) for k, v in params.items())
    say(f"tune: trial {trial.number} [{key}] {shown}")
    try:
        cfg = search.config(params)          # as ARGS: a categorical list's text is read as the list it writes
        scores = []
        for j in range(cfg.total_folds):
            train_folds(search.task, cfg, data, paths, only=[j], force=False)
            scores.append(runs.fold_metrics(paths, j)["score"])
            running = float(np.mean(scores))
            trial.report(running, step=j)
            say(f"tune: trial {trial.number} fold {j + 1}/{cfg.total_folds}: {search.task.metric} {scores[-1]:.5f}, "
                f"running mean {running:.5f}")
            if j + 1 < cfg.total_folds and trial.should_prune():
                say(f"tune: trial {trial.number} pruned after fold {j}: its running mean is worse than the median "
                    "of the other trials' at that fold")
                raise optuna.TrialPruned()
        cv = read_cv(paths.cv)
        trial.set_user_attr("score_se", cv.score_se)
        say(f"tune: trial {trial.number} CV {search.task.metric} {cv.score:.5f}{cv.se_text()}")
        return float(cv.score)
    except KeyboardInterrupt:
        trial.set_user_attr("interrupted", True)
        raise
    except optuna.TrialPruned:
        raise
    except Exception as e:
        trial.set_user_attr("error", f"{type(e).__name__}: {e}"[:500])
        raise
    finally:
        studies.release(paths.run_dir)


def check_base(search: Search, data: TrainData) -> None:
    """A study is one base: its config with ARGS and its data, recorded at its first run; a later run on another
    base would mix their trials (and find their folders trained with other settings), so it is one line."""
    base = stable_hash({"config": search.config({}).fingerprint_dict(), "data": data.fingerprint})
    study = search.open()
    recorded = study.user_attrs.get("base")
    if recorded is None:
        study.set_user_attr("base", base)
    elif recorded != base:
        raise UserError(f"the study {search.name} ({search.study_dir}) was run on another base: its config, ARGS or "
                        "data changed since; run with the same ones, or remove that folder to start a new study")


def finished(study) -> int:
    from optuna.trial import TrialState

    return sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.get_trials(deepcopy=False))


def work(search: Search, data: TrainData, worker: int, recover: bool = True) -> None:
    """One worker: recover dead trials, then run trials until the study has TRIALS finished ones in all. Its
    sampler's seed is the config's seed, the worker's number and the trials the study holds, so a rerun or a
    second worker does not draw the first one's random start again."""
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    study = search.open()
    if recover:
        studies.recover(study, say)
    seed = search.config({}).seed * 100_003 + worker * 1009 + len(study.get_trials(deepcopy=False))
    study.sampler = studies.sampler(seed)
    done = finished(study)
    if done >= search.trials:
        say(f"tune: the study {search.name} has {done} finished trials (TRIALS={search.trials}): nothing to run")
        return
    study.optimize(lambda t: objective(search, data, t), n_trials=search.trials - done, catch=(),
                   callbacks=[MaxTrialsCallback(search.trials, states=(TrialState.COMPLETE, TrialState.PRUNED))])


def run_workers(jobs: int, argv: list[str]) -> None:
    """JOBS=k: k worker processes of this same command on the same study (processes, not threads). Each gets its
    share of the cores (OMP_NUM_THREADS, which LightGBM, torch and scikit-learn's OpenMP read), unless it is set:
    k workers each spinning every core's OpenMP threads ran the Ames search at half the speed of one worker."""
    share = str(max(1, (os.cpu_count() or 1) // jobs))
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", share)}
    procs = [subprocess.Popen([sys.executable, "-m", "kaggle_kit", *argv, "--jobs", "1", "--worker", str(i)], env=env)
             for i in range(jobs)]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise UserError(f"{sum(c != 0 for c in codes)} of {jobs} tune workers failed (their lines above say why); "
                        "run the same command again to continue the study")


def tuned_config_path(search: Search) -> Path:
    """Beside the base, so that `extends` finds it; a base of the kit's own configs/ gets it where make new writes
    configs (the work root's configs/, or local/configs/ in the kit's checkout), which extends the kit's."""
    if search.base.resolve().parent == CONFIGS_DIR.resolve():
        return user_dir(search.root) / "configs" / f"{search.name}-tuned.yaml"
    return search.base.parent / f"{search.name}-tuned.yaml"


def write_tuned(search: Search, best) -> Path:
    import yaml

    nested: dict = {}
    for key, value in best.params.items():
        node = nested
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = parse_value(value) if isinstance(value, str) else value
    se = best.user_attrs.get("score_se")
    head = (f"# make tune: the best of study {search.name}'s trials (trial {best.number}, CV "
            f"{search.task.metric} {best.value:.5f}{f' ± {se:.5f}' if se is not None else ''} on the folds it was "
            f"picked on); only the tuned keys\n"
            + (f"# tuned with ARGS=\"{' '.join(search.args)}\": pass them again to train it as it was scored\n"
               if search.args else ""))
    path = tuned_config_path(search)
    atomic.write_text(path, head + yaml.safe_dump({"extends": search.name, **nested}, sort_keys=False))
    return path


def recheck(search: Search, data: TrainData, tuned: Path, best) -> dict:
    """The tuned config trained on a fresh fold set (another fold_seed): an honest score beside the tuning one."""
    cfg = load_config(search.task.config_class, tuned, CONFIGS_DIR, search.args)
    fresh = cfg.fold_seed + FRESH_FOLD_SEED
    cfg = load_config(search.task.config_class, tuned, CONFIGS_DIR, [*search.args, f"fold_seed={fresh}"])  # plots on
    paths = RunPaths(search.root, search.task.name,
                     f"tune/{search.name}/recheck-{studies.trial_key(best.params)}-fold_seed{fresh}")
    say(f"tune: training the tuned config on a fresh fold set (fold_seed {fresh}) as {paths.run_dir}")
    cv = train_folds(search.task, cfg, data, paths, only=None, force=False)
    cv = cv if cv is not None else read_cv(paths.cv)
    return {"fold_seed": fresh, "score": cv.score, "score_se": cv.score_se, "run": str(paths.run_dir)}


def plots(study, out: Path) -> list[Path]:
    """Optuna's optimisation history and parameter importances (its matplotlib views) as PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna
    import optuna.visualization.matplotlib as views

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, view in (("optimization_history", views.plot_optimization_history),
                       ("param_importances", views.plot_param_importances)):
        try:
            with warnings.catch_warnings():             # Optuna marks its matplotlib views experimental
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                ax = view(study)
        except (ValueError, RuntimeError) as e:          # too few finished trials, or one value everywhere
            say(f"tune: no {name} plot ({e})")
            continue
        fig = (ax if hasattr(ax, "get_figure") else ax.flat[0]).get_figure()
        fig.savefig(out / f"{name}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(out / f"{name}.png")
    return written


def summarise(search: Search, data: TrainData, study) -> None:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    if not complete:
        raise UserError(f"the study {search.name} has no complete trial yet; run the same command again")
    best = study.best_trial
    tuned = write_tuned(search, best)
    say(f"tune: {len(complete)} complete, {len(pruned)} pruned ({sum(len(t.intermediate_values) == 1 for t in pruned)}"
        f" after fold 0); best trial {best.number}: {search.task.metric} {best.value:.5f}; wrote {tuned}")
    fresh = recheck(search, data, tuned, best)
    se = best.user_attrs.get("score_se")
    cfg = search.config({})
    lines = [f"{'':<34} {search.task.metric:>10} {'± SE':>9}",
             f"{f'tuning folds (fold_seed {cfg.fold_seed})':<34} {best.value:>10.5f} "
             f"{se if se is None else f'{se:.5f}':>9}",
             f"{'fresh folds (fold_seed ' + str(fresh['fold_seed']) + ')':<34} {fresh['score']:>10.5f} "
             f"{fresh['score_se'] if fresh['score_se'] is None else format(fresh['score_se'], '.5f'):>9}"]
    say("tune: the tuned config, scored on the folds it was picked on and on fresh ones:\n" + "\n".join(lines))
    drawn = plots(study, search.study_dir / "plots")
    atomic.write_json(search.study_dir / "summary.json", {
        "study": search.name, "trials": search.trials, "complete": len(complete), "pruned": len(pruned),
        "pruned_after_fold0": sum(len(t.intermediate_values) == 1 for t in pruned),
        "best": {"trial": best.number, "params": best.params, "score": best.value, "score_se": se},
        "tuned_config": str(tuned), "fresh_folds": fresh, "plots": [str(p) for p in drawn],
        "base_config": str(search.base), "args": search.args})
    if drawn:
        say(f"tune: plots: {', '.join(p.name for p in drawn)} in {search.study_dir / 'plots'}")
    say(f"tune: wrote {study_report(search.task, search.root, search.study_dir)}")


def study_report(task, root: Path, study_dir: Path) -> Path:
    """The study's page: summary, trials (as the leaderboard lists them, keys compared with the base) and plots."""
    from kaggle_kit.reporting.leaderboard import study_cells
    from kaggle_kit.reporting.report import write_study_report

    summary = json.loads((study_dir / "summary.json").read_text())
    base = Path(summary.get("base_config", ""))
    default = (load_config(task.config_class, base, CONFIGS_DIR, summary.get("args", [])) if base.is_file()
               else task.config_class())
    return write_study_report(task, study_dir, study_cells(task, root, default, study_dir))


def tune(search: Search, data_for, *, jobs: int, worker: int | None, argv: list[str]) -> None:
    """The command: JOBS workers (or this process), then, unless this is a worker, the summary."""
    say(f"tune: study {search.name} ({search.study_dir}), {search.trials} trials in all, "
        f"{len(search.space)} keys: {', '.join(d.key for d in search.space)}; pruner: MedianPruner, which prunes "
        f"nothing until {studies.STARTUP_TRIALS} trials have finished (n_startup_trials)")
    check_base(search, data_for())
    if jobs > 1 and worker is None:
        studies.recover(search.open(), say)       # once, before the workers start
        run_workers(jobs, argv)
    else:
        work(search, data_for(), worker or 0, recover=worker is None)
    if worker is None:
        summarise(search, data_for(), search.open())
