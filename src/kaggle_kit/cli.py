"""One CLI for every competition: `python -m kaggle_kit {new,auto,sample,train,cv,submit,blend,leaderboard,report,
download,kaggle-submit,lb,bundle} <comp>`. The Makefile targets are thin wrappers over it."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from kaggle_kit.errors import UserError


def _parser() -> argparse.ArgumentParser:
    from kaggle_kit.registry import task_names
    from kaggle_kit.tabular.metrics import METRICS

    p = argparse.ArgumentParser(prog="kaggle_kit", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("new", help="write competitions/<name>/competition.yaml and its configs from a download")
    s.add_argument("name", help="the competition's short name (letters, digits, - and _)")
    s.add_argument("--data", required=True, help="the unpacked Kaggle download")
    for option, what in (("metric", f"the metric ({', '.join(METRICS)})"), ("target", "the target column"),
                         ("id", "the id column"),
                         ("problem", "regression, binary or multiclass"),
                         ("slug", "Kaggle's competition slug (kaggle competitions download -c <slug>)")):
        s.add_argument(f"--{option}", default=None, help=what)
    s.add_argument("--force", action="store_true", help="write over an existing spec of that name")
    s = sub.add_parser("auto", help="train every learner of the spec, blend them, write submissions/<comp>/auto.csv")
    s.add_argument("comp", choices=task_names())
    s.add_argument("--data", help="competition folder as unpacked from the Kaggle download")
    s.add_argument("--args", default="", help='overrides for every learner\'s config, "key=value key.sub=value"')
    s.add_argument("--force", action="store_true", help="retrain folds even if complete")
    s.add_argument("--time", type=float, default=None, help="a budget in seconds: a learner starts only while it "
                   "lasts; the skipped ones are named, and the same command again continues with them")
    helps = {"sample": "build the synthetic sample in data/samples/<slug>/",
             "train": "train every fold (or FOLDS) and write oof.csv and cv.json",
             "submit": "ensemble the folds' test predictions into submissions/<comp>/<exp>.<ext>",
             "blend": "blend experiments' saved OOF and test predictions into submissions/<comp>/blend-...",
             "cv": "pool the trained folds of a run into oof and cv.json now, naming any fold still missing",
             "leaderboard": "table of every run and blend by CV, also written to runs/<comp>/leaderboard.md",
             "report": "one self-contained HTML page of a run: runs/<comp>/<exp>/report.html"}
    s = sub.add_parser("tune", help="Optuna search over a space of config keys, each trial a k-fold run; the best "
                       "as <config>-tuned.yaml, rechecked on fresh folds")
    s.add_argument("comp", choices=task_names())
    s.add_argument("--data", help="competition folder as unpacked from the Kaggle download")
    s.add_argument("--config", help="the base config (default configs/<comp>.yaml)")
    s.add_argument("--args", default="", help='overrides of the base, "key=value key.sub=value"')
    s.add_argument("--trials", default="", help="finished trials (complete or pruned) the study stops at")
    s.add_argument("--space", help="the search space YAML (default configs/spaces/<learner>.yaml)")
    s.add_argument("--jobs", default="1", help="worker processes on this machine")
    s.add_argument("--storage", help="an Optuna storage URL (default: a journal file under runs/<comp>/tune/)")
    s.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    s = sub.add_parser("download", help="the competition's files from Kaggle into data/<slug>/, checked")
    s.add_argument("comp", choices=task_names())
    s.add_argument("--force", action="store_true", help="download again over an existing data/<slug>/")
    s = sub.add_parser("kaggle-submit", help="check and send a submission to Kaggle, recorded with its CV")
    s.add_argument("comp", choices=task_names())
    s.add_argument("--data", help="competition folder as unpacked from the Kaggle download")
    s.add_argument("--exp", default="", help="the experiment whose submission to send")
    s.add_argument("--blend", default="", help="the blend whose submission to send (blend-a+b)")
    s.add_argument("--dry", action="store_true", help="print the kaggle command, send nothing")
    s = sub.add_parser("lb", help="public/private scores of the recorded submissions, beside their CV")
    s.add_argument("comp", choices=task_names())
    s = sub.add_parser("bundle", help="bundles/<comp>-<exp>/: an offline Kaggle-notebook bundle of a trained run")
    s.add_argument("comp", choices=task_names())
    s.add_argument("--exp", default="", help="the experiment to bundle")
    s.add_argument("--blend", default="", help="the blend to bundle (blend-a+b), with its members")
    for name, text in helps.items():
        s = sub.add_parser(name, help=text)
        s.add_argument("comp", choices=task_names())
        if name == "sample":
            s.add_argument("--dest", help="output folder (default data/samples/<slug>)")
            continue
        s.add_argument("--data", help="competition folder as unpacked from the Kaggle download")
        if name in ("submit", "blend"):
            s.add_argument("--split", default=None, help="which test set to answer, where a competition has several")
        if name == "blend":
            s.add_argument("--exps", default="", help='experiment names (config stems), "exp-a exp-b"')
            s.add_argument("--rule", default=None, help="blending rule (default: mean, or a tuned candidate that "
                           "beats it by more than 3 paired SE on every fold set)")
            s.add_argument("--args", default="", help='the blend\'s keys, "select_steps=25"')
            continue
        if name == "report":
            s.add_argument("--exp", default="", help="experiment (config stem) to report on")
            continue
        s.add_argument("--config", help="YAML config (default configs/<comp>.yaml)")
        s.add_argument("--args", default="", help='overrides, "key=value key.sub=value"')
        if name == "train":
            s.add_argument("--folds", default="", help='train only these folds, "0 2"')
            s.add_argument("--force", action="store_true", help="retrain folds even if complete")
    for name, sub_parser in sub.choices.items():
        sub_parser.set_defaults(func=COMMANDS[name])
    return p


def parse_folds(text: str, n_folds: int, repeats: int = 1) -> list[int] | None:
    """FOLDS: fold model numbers, 0..folds * fold_repeats - 1 (fold k of repeat r is r * folds + k)."""
    if not text.strip():
        return None
    try:
        folds = [int(t) for t in text.replace(",", " ").split()]
    except ValueError:
        raise UserError(f'FOLDS="{text}" should be fold numbers separated by spaces, e.g. FOLDS="0 2"') from None
    total = n_folds * repeats
    bad = [k for k in folds if not 0 <= k < total]
    if bad:
        sets = f" and fold_repeats={repeats}" if repeats > 1 else ""
        raise UserError(f"FOLDS has {bad}, but the config has folds={n_folds}{sets} (numbered 0..{total - 1})")
    return sorted(set(folds))


@dataclass
class Call:
    """One command line: its arguments, the work root, and what a command asks of them, each found once and in
    the order the checks have always run (the competition, its data folder and test set, its config)."""

    args: argparse.Namespace
    root: Path

    @cached_property
    def task(self):
        from kaggle_kit.registry import get_task

        return get_task(self.args.comp)

    @cached_property
    def located(self) -> tuple[Path, bool]:
        """(data folder, whether it is the drawn sample), with SPLIT= selected: both checked at first use."""
        from kaggle_kit.pipeline.data_source import resolve_data_dir

        found = resolve_data_dir(self.task, self.args.data, self.root)
        if getattr(self.args, "split", None):
            self.task.select_split(self.args.split)
        return found

    def check_data_and_split(self) -> None:
        """DATA and SPLIT= checked now, before a command's own checks."""
        self.located  # noqa: B018 (found once, raising on a bad DATA or SPLIT)

    def data(self):
        """The competition's data read and checked; the sample drawn first where it is the one used."""
        from kaggle_kit.pipeline.data_source import ensure_sample

        data_dir, using_sample = self.located
        if using_sample:
            ensure_sample(self.task, data_dir)
        return self.task.load(data_dir)

    @cached_property
    def config(self):
        """(config, its path): CONFIG, else the competition's default, with ARGS, checked by the competition."""
        from kaggle_kit.config import load_config
        from kaggle_kit.paths import CONFIGS_DIR, RESERVED, find_config

        _, using_sample = self.located
        path = Path(self.args.config) if self.args.config else find_config(
            self.task.default_config(using_sample), self.root)
        if path.stem in RESERVED:
            raise UserError(f"a config may not be called {path.name}: runs/{self.task.name}/{path.stem}/ holds the "
                            f"competition's {path.stem}, not an experiment; save it under another name")
        cfg = load_config(self.task.config_class, path, CONFIGS_DIR, self.args.args)
        self.task.check_config(cfg)
        return cfg, path


def experiment_name(text: str) -> str:
    """An experiment named by its config file or its stem."""
    return Path(text).stem if text.endswith((".yaml", ".yml")) else text.strip()


def cmd_new(call: Call) -> None:
    from kaggle_kit.commands.new import new_competition

    a = call.args
    new_competition(a.name, Path(a.data), call.root, metric=a.metric, target=a.target, id_column=a.id,
                    problem=a.problem, slug=a.slug, force=a.force)


def cmd_download(call: Call) -> None:
    from kaggle_kit.roundtrip import download

    download.download(call.task, call.root, force=call.args.force)


def cmd_lb(call: Call) -> None:
    from kaggle_kit.roundtrip import submissions

    submissions.lb(call.task, call.root)


def cmd_bundle(call: Call) -> None:
    from kaggle_kit.roundtrip import bundle

    bundle.build_bundle(call.task, call.root, exp=experiment_name(call.args.exp), blend=call.args.blend.strip())


def cmd_sample(call: Call) -> None:
    from kaggle_kit.pipeline.data_source import build_sample

    task = call.task
    dest = Path(call.args.dest) if call.args.dest else call.root / "data" / "samples" / task.slug
    build_sample(task, dest)
    print(f"wrote the {task.name} sample to {dest}", file=sys.stderr)


def cmd_blend(call: Call) -> None:
    from kaggle_kit.config import parse_overrides, validate
    from kaggle_kit.ensembling.blend import BlendConfig, blend

    task = call.task
    call.check_data_and_split()
    exps = [experiment_name(e) for e in call.args.exps.split()]
    if len(exps) < 2:
        raise UserError(f'name at least two experiments to blend, e.g. EXPS="{task.name} {task.name}-b"')
    if len(set(exps)) < len(exps):
        raise UserError(f"EXPS names an experiment twice ({' '.join(exps)}); name each once")
    cfg = validate(BlendConfig, parse_overrides(call.args.args))
    blend(task, call.data(), call.root, exps, rule=call.args.rule, cfg=cfg)


def cmd_report(call: Call) -> None:
    report(call.task, call.root, *call.located, exp=call.args.exp)


def cmd_kaggle_submit(call: Call) -> None:
    from kaggle_kit.roundtrip.download import not_on_kaggle
    from kaggle_kit.roundtrip.submissions import kaggle_submit

    task = call.task
    _, using_sample = call.located
    line = not_on_kaggle(task)
    if line:
        raise UserError(line.split(":")[0] + ": submit its answers there, not with the kaggle CLI")
    if using_sample:
        raise UserError(f"no data/{task.slug}/: a submission of the drawn sample means nothing to Kaggle; "
                        f"`{task.make('download')}` fetches the real files")
    kaggle_submit(task, call.data(), call.root, exp=call.args.exp.strip(), blend=call.args.blend.strip(),
                  dry=call.args.dry)


def cmd_auto(call: Call) -> None:
    from kaggle_kit.commands.auto import auto

    a = call.args
    auto(call.task, call.data(), call.root, overrides=a.args, force=a.force, budget=a.time)


def cmd_leaderboard(call: Call) -> None:
    from kaggle_kit.reporting.leaderboard import leaderboard

    cfg, path = call.config
    print(leaderboard(call.task, call.root, cfg, path), end="")
    print(f"wrote {call.root / 'runs' / call.task.name / 'leaderboard.md'}", file=sys.stderr)


def run_command(call: Call):
    """(task, config, data, run paths) of a train, cv or submit: the config checked against the folds asked for and
    the device before the data is read."""
    from kaggle_kit.paths import RunPaths
    from kaggle_kit.training.devices import check_accelerator

    cfg, path = call.config
    only = parse_folds(call.args.folds, cfg.folds, cfg.fold_repeats) if call.args.command == "train" else None
    check_accelerator(cfg)
    return cfg, call.data(), RunPaths(call.root, call.task.name, path.stem), only


def cmd_train(call: Call) -> None:
    from kaggle_kit.pipeline.cross_validate import train_folds

    cfg, data, paths, only = run_command(call)
    train_folds(call.task, cfg, data, paths, only=only, force=call.args.force)


def cmd_cv(call: Call) -> None:
    from kaggle_kit.pipeline.cross_validate import assemble_run

    cfg, data, paths, _ = run_command(call)
    assemble_run(call.task, cfg, data, paths)


def cmd_submit(call: Call) -> None:
    from kaggle_kit.pipeline.submit import submit

    cfg, data, paths, _ = run_command(call)
    submit(call.task, cfg, data, paths)


def cmd_tune(call: Call) -> None:
    from kaggle_kit.training.devices import check_accelerator
    from kaggle_kit.tuning.tune import prepare, tune

    a = call.args
    trials, jobs = (whole_number(name, text) for name, text in (("TRIALS", a.trials), ("JOBS", a.jobs or "1")))
    cfg, path = call.config
    search = prepare(call.task, call.root, path, a.args, trials=trials, space=a.space, storage=a.storage)
    check_accelerator(cfg)
    argv = ["tune", a.comp, "--config", str(path), "--args", a.args, "--trials", str(trials),
            *(["--data", a.data] if a.data else []), *(["--space", a.space] if a.space else []),
            *(["--storage", a.storage] if a.storage else [])]
    tune(search, cache(call.data), jobs=jobs, worker=a.worker, argv=argv)


def whole_number(name: str, text: str) -> int:
    """A make variable that counts something: a whole number of at least 1, or one line saying so."""
    if not text.strip().isdigit() or int(text) < 1:
        raise UserError(f"{name}={text!r}: give a whole number of at least 1, e.g. {name}="
                        f"{30 if name == 'TRIALS' else 2}")
    return int(text)


COMMANDS = {"new": cmd_new, "auto": cmd_auto, "sample": cmd_sample, "train": cmd_train, "cv": cmd_cv,
            "submit": cmd_submit, "blend": cmd_blend, "leaderboard": cmd_leaderboard, "report": cmd_report,
            "download": cmd_download, "kaggle-submit": cmd_kaggle_submit, "lb": cmd_lb, "bundle": cmd_bundle,
            "tune": cmd_tune}


def run(argv: list[str]) -> None:
    from kaggle_kit.paths import work_root

    args = _parser().parse_args(argv)
    args.func(Call(args, work_root()))


def report(task, root: Path, data_dir: Path, using_sample: bool, *, exp: str) -> None:
    """Write runs/<comp>/<exp>/report.html; a run trained before plots existed gets its plots made first."""
    from kaggle_kit.paths import RunPaths
    from kaggle_kit.pipeline.data_source import ensure_sample
    from kaggle_kit.pipeline.runs import existing_runs, run_config

    exp = Path(exp).stem if exp.endswith((".yaml", ".yml")) else exp.strip()
    if not exp:
        raise UserError(f"name the experiment to report on: {task.make('report')} EXP=<config stem>")
    paths = RunPaths(root, task.name, exp)
    if (paths.run_dir / "summary.json").is_file() and exp.startswith("tune/"):      # a tuning study's page
        from kaggle_kit.tuning.tune import study_report

        print(f"wrote {study_report(task, root, paths.run_dir)}", file=sys.stderr)
        return
    if exp.startswith("blend-") or exp == "auto":
        what = "make auto's copy of a blend" if exp == "auto" else "a blend"
        raise UserError(f"'{exp}' is {what}: it has no "
                        f"page of its own; its rules' scores are in runs/{task.name}/blends/ and in "
                        f"`{task.make('leaderboard')}`; report on one of its experiments with EXP=<config stem>")
    if not paths.cv.is_file():
        raise UserError(f"experiment '{exp}' has no complete run in {paths.run_dir} (no cv.json; "
                        f"{existing_runs(paths.comp_dir)}); train every fold first: {task.make('train')} "
                        f"CONFIG=configs/{exp}.yaml")
    plots = sorted(paths.plots_dir.glob("*.png"))
    if not plots:
        from kaggle_kit.reporting.plots import write_run_plots

        if using_sample:
            ensure_sample(task, data_dir)
        data = task.load(data_dir)
        cfg = run_config(task.config_class, paths)
        plots = write_run_plots(task, cfg, data, paths)
    from kaggle_kit.config import load_config
    from kaggle_kit.paths import CONFIGS_DIR, find_config
    from kaggle_kit.reporting.leaderboard import ranked_rows
    from kaggle_kit.reporting.report import write_report

    default = load_config(task.config_class, find_config(task.default_config(using_sample), root), CONFIGS_DIR, "")
    lb_plot = paths.comp_dir / "plots" / "cv_vs_lb.png"          # make <comp>-lb: every submission's LB and CV
    path = write_report(task, paths, plots + ([lb_plot] if lb_plot.is_file() else []),
                        comparison=ranked_rows(task, root, default))
    print(f"wrote {path} ({len(plots)} plots)", file=sys.stderr)


def user_message(e: UserError) -> str:
    """The one line for the user, also when a DataLoader worker raised it (PyTorch re-raises it in the main
    process with the worker's traceback folded into the message)."""
    text = str(e)
    if "Original Traceback" in text:
        text = text.rstrip().splitlines()[-1].split("UserError: ", 1)[-1]
    return text


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    try:
        run(sys.argv[1:] if argv is None else argv)
    except UserError as e:
        print(f"error: {user_message(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished folds are kept; rerun the same command to continue", file=sys.stderr)
        return 130
    return 0
