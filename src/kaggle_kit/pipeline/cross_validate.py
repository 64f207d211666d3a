"""The k-fold loop: train the selected folds, save each fold's predictions, then pool them into oof.csv
and cv.json once every fold is complete."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.config import TrainConfig
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import (
    FOLD_METRICS,
    FOLD_STARTED,
    RunPaths,
    fold_number,
    fold_of_number,
    test_pred,
    val_pred,
)
from kaggle_kit.pipeline import runs, uncertainty
from kaggle_kit.pipeline.cv_result import CVResult
from kaggle_kit.pipeline.folds import check_classes, ids_fingerprint, load_or_make_folds
from kaggle_kit.task import FoldContext, Task, TrainData
from kaggle_kit.training.distributed import barrier, is_rank_zero, planned_world_size, world_size

GROUPED_KIND = {"kfold": "group", "stratified": "stratified_group"}


def say(msg: str) -> None:
    """A progress line for the user (from one process of a distributed run)."""
    if is_rank_zero():
        print(msg, file=sys.stderr, flush=True)


def make_fold_sets(task: Task, cfg: TrainConfig, data: TrainData, paths: RunPaths) -> list[tuple[np.ndarray, Path]]:
    """(fold of every row, its shared folds file) of each repeat; repeat r is split with fold_seed + r."""
    check_classes(task.fold_kind, data.stratify, cfg.folds)      # before any work is cached
    groups = task.fold_groups(cfg, data, paths.cache_dir)
    kind = task.fold_kind if groups is None else GROUPED_KIND.get(task.fold_kind, task.fold_kind)
    return [load_or_make_folds(paths.folds_dir, data.ids, cfg.folds, cfg.fold_seed + r, kind=kind, y=data.stratify,
                               groups=groups) for r in range(cfg.fold_repeats)]


def train_folds(task: Task, cfg: TrainConfig, data: TrainData, paths: RunPaths,
                *, only: list[int] | None, force: bool) -> CVResult | None:
    fingerprint = runs.run_fingerprint(cfg, data.fingerprint)
    replacing = runs.check_fingerprint(paths, fingerprint, force, "train")
    sets = make_fold_sets(task, cfg, data, paths)
    runs.start_run(paths, cfg, fingerprint, [f for _, f in sets], replacing=replacing)
    selected = only if only is not None else list(range(cfg.total_folds))
    for j in selected:
        r, k = fold_of_number(j, cfg.folds)
        fold_of = sets[r][0]
        if runs.fold_complete(paths, j, fingerprint["hash"]) and not force:
            m = runs.fold_metrics(paths, j)
            say(f"fold {j}: complete, skipped ({task.metric} {m['score']:.5f}); FORCE=1 retrains it")
            continue
        train_idx, val_idx = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        of_repeat = f" (fold {k} of repeat {r})" if cfg.fold_repeats > 1 else ""
        say(f"fold {j} (of {cfg.total_folds}){of_repeat}: training on {len(train_idx)} rows, validating on {len(val_idx)}")
        stage, resume = prepare_stage(paths, j, fingerprint["hash"],
                                      ids_fingerprint([data.ids[i] for i in train_idx]), force=force,
                                      processes=planned_world_size(cfg))
        ctx = FoldContext(fold=j, dir=stage, train_idx=train_idx, val_idx=val_idx, resume=resume,
                          cache_dir=paths.cache_dir, refresh_cache=force)
        start = time.perf_counter()
        out = task.fit_fold(cfg, data, ctx)
        seconds = time.perf_counter() - start
        if not is_rank_zero():        # DDP: rank zero scores and publishes the fold; the others wait for it
            barrier()
            continue
        task.preds.check_val(task, data, out.val, val_idx, k=j)
        score = task.score(data, val_idx, task.preds.values(task, data, out.val, "train"))
        write_fold_preds(task, stage, out)
        atomic.write_json(stage / FOLD_METRICS, {
            "fold": j, **({"repeat": r, "fold_in_repeat": k} if cfg.fold_repeats > 1 else {}),
            "metric": task.metric, "score": score, "n_train": len(train_idx),
            "n_val": len(val_idx), "train_seconds": round(seconds, 1), "processes": world_size(), **out.metrics,
            "fingerprint": fingerprint["hash"]})
        runs.publish_fold(paths, j)
        say(f"fold {j}: {task.metric} {score:.5f}" + (f" ({out.note})" if out.note else ""))
        barrier()
    if not is_rank_zero():
        return None
    return assemble_cv(task, cfg, data, paths, fp_hash=fingerprint["hash"])


def prepare_stage(paths: RunPaths, k: int, fp_hash: str, train_ids: str, *, force: bool,
                  processes: int = 1) -> tuple[Path, bool]:
    """The folder fold k trains in, and whether the fold resumes there. An interrupted fold's folder is kept,
    and the fold resumes from its last.ckpt, only if it was started with the same fingerprint (config and
    data), the same training ids and the same number of processes (their steps per epoch set the schedule);
    anything else (or FORCE) starts the fold afresh. Every DDP process
    takes the same decision; only rank zero changes the folder."""
    stage = paths.staging_dir(k)
    marker = stage / FOLD_STARTED
    ident = {"fingerprint": fp_hash, "train_ids": train_ids, "processes": processes}
    if not force and read_json(marker) == ident and any(stage.glob("last*.ckpt")):
        say(f"fold {k}: resuming the interrupted fold from its last epoch ({stage.name}/last.ckpt); FORCE=1 "
            "starts it afresh")
        return stage, True
    if is_rank_zero():
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir(parents=True)
        atomic.write_json(marker, ident)
    return stage, False


def read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_fold_preds(task: Task, folder, out) -> None:
    ext = task.preds.ext
    task.preds.write(val_pred(folder, ext), out.val)
    task.preds.write(test_pred(folder, ext), out.test)


def run_fold_sets(paths: RunPaths, data: TrainData) -> list[np.ndarray]:
    """Fold of every training row in each repeat, from the folds files the run was trained on."""
    sets = []
    for name in runs.folds_files(paths):
        folds_file = Path(name)
        if not folds_file.is_absolute() or not folds_file.is_file():
            folds_file = paths.folds_dir / folds_file.name      # runs/ moved or copied to another root
        stored = pd.read_csv(folds_file, dtype={"id": str})
        if stored["id"].tolist() != [str(i) for i in data.ids]:
            raise UserError(f"folds file {folds_file} does not match the training ids; retrain with FORCE=1")
        sets.append(stored["fold"].to_numpy())
    return sets


def run_folds(paths: RunPaths, data: TrainData) -> np.ndarray:
    """Fold of every training row in the run's first (or only) fold set."""
    return run_fold_sets(paths, data)[0]


def fold_rows(sets: list[np.ndarray], j: int, n_folds: int) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows) of fold model j (fold j % K of repeat j // K)."""
    r, k = fold_of_number(j, n_folds)
    return np.flatnonzero(sets[r] != k), np.flatnonzero(sets[r] == k)


def assemble_run(task: Task, cfg: TrainConfig, data: TrainData, paths: RunPaths) -> dict:
    """`make <comp>-cv`: the OOF file and cv.json of a run whose folds were trained as separate jobs; an
    error naming the folds that are not complete yet."""
    if not paths.fingerprint.is_file():
        raise UserError(f"no trained run in {paths.run_dir}; run `{task.make('train')} CONFIG=configs/"
                        f"{paths.exp}.yaml` (FOLDS=...) first")
    fingerprint = runs.run_fingerprint(cfg, data.fingerprint)
    runs.check_fingerprint(paths, fingerprint, force=False, command="cv")
    missing = [k for k in range(cfg.total_folds) if not runs.fold_complete(paths, k, fingerprint["hash"])]
    if missing:
        todo = " ".join(map(str, missing))
        raise UserError(f"{runs.fold_list(missing)} of {paths.run_dir} {'is' if len(missing) == 1 else 'are'} not "
                        f'complete yet; train {"it" if len(missing) == 1 else "them"} ({task.make("train")} '
                        f'FOLDS="{todo}" with the same CONFIG and ARGS) or wait for the jobs')
    return assemble_cv(task, cfg, data, paths, fp_hash=fingerprint["hash"])


def assemble_cv(task: Task, cfg: TrainConfig, data: TrainData, paths: RunPaths, *, fp_hash: str) -> CVResult | None:
    missing = [k for k in range(cfg.total_folds) if not runs.fold_complete(paths, k, fp_hash)]
    if missing:
        say(f"{runs.fold_list(missing)} not trained yet: oof.csv and cv.json are written once "
            "every fold is complete")
        return None
    cv = pool_oof(task, data, paths, cfg.folds, variant=None)
    if not cfg.plots:              # an earlier pooling's plots would no longer describe this one
        for p in paths.plots_dir.glob("*.png"):
            p.unlink()
        say(f"plots: not drawn (plots=false); `{task.make('report')} EXP={paths.exp}` draws them")
        return cv
    from kaggle_kit.reporting.plots import write_run_plots  # matplotlib loads only once a run is complete

    plots = write_run_plots(task, cfg, data, paths)
    if plots:
        say(f"plots: {', '.join(p.name for p in plots)} in {paths.plots_dir}; "
            f"`{task.make('report')} EXP={paths.exp}` puts them in one page")
    return cv


def pool_oof(task: Task, data: TrainData, paths: RunPaths, n_folds: int, *, variant: str | None) -> CVResult:
    """Pool every fold's validation predictions (of one prediction set) into the OOF file and its CV score, each
    fold set (repeat) on its own; with several, the score is the mean of theirs (kaggle_kit.pipeline.uncertainty)."""
    sets = run_fold_sets(paths, data)
    names = [Path(f).name for f in runs.folds_files(paths)]
    rows = np.arange(len(data.ids))
    repeats, oofs = [], []
    for r, fold_of in enumerate(sets):
        parts, per_fold = [], []
        for k in range(n_folds):
            j, val_idx = fold_number(r, k, n_folds), np.flatnonzero(fold_of == k)
            frame = task.preds.read(val_pred(paths.pred_dir(j, variant), task.preds.ext), task.id_column)
            task.preds.check_val(task, data, frame, val_idx, k=j)
            per_fold.append(task.score(data, val_idx, task.preds.values(task, data, frame, "train")))
            parts.append((k, val_idx, frame))
        oof = task.preds.pool(task, data, parts)
        pred = task.preds.values(task, data, oof, "train")
        ev = task.evaluate(data, pred, fold_of)
        cv = ev.cv_entries(per_fold)
        cv["replicates"] = None if ev.resample is None else uncertainty.bootstrap(ev.resample, len(rows)).tolist()
        repeats.append(cv)
        oofs.append(oof if len(sets) == 1 else oof.assign(repeat=r))
    evidence = uncertainty.Evidence([c["score"] for c in repeats], [c["folds"] for c in repeats],
                                    None if repeats[0]["replicates"] is None else [c.pop("replicates") for c in repeats],
                                    names)
    for c in repeats:
        c.pop("replicates", None)
    cv = {"metric": task.metric, "higher_is_better": task.higher_is_better, **combine_repeats(repeats),
          "score_se": evidence.score_se()}
    if len(sets) > 1:
        cv["repeats"] = [{"score": c["score"], "score_se": evidence.repeat_se(r), "folds_file": names[r]}
                         for r, c in enumerate(repeats)]
    if variant is not None:
        cv["predictions"] = variant
    result = CVResult.from_json(cv)
    task.preds.write(paths.oof_for(variant, task.preds.ext), pd.concat(oofs, ignore_index=True))
    atomic.write_json(paths.evidence_for(variant), evidence.to_json())
    atomic.write_json(paths.cv_for(variant), result.to_json())
    say(print_cv(task, result))
    return result


def combine_repeats(repeats: list[dict]) -> dict:
    """One repeat's cv entries as they are; several: scores averaged (dicts of scores key by key), fold scores
    listed fold model by fold model, and anything else (a tuned decision) from the first repeat."""
    if len(repeats) == 1:
        return repeats[0]
    out = dict(repeats[0])
    for key, value in repeats[0].items():
        if key == "folds":
            out[key] = [s for c in repeats for s in c["folds"]]
        elif isinstance(value, float):
            out[key] = float(np.mean([c[key] for c in repeats]))
        elif isinstance(value, dict) and all(isinstance(v, float) for v in value.values()):
            out[key] = {n: float(np.mean([c[key][n] for c in repeats])) for n in value}
    return out


def print_cv(task: Task, cv: CVResult) -> str:
    """Each fold's score, the pooled score, then what the task declares beside it: its secondary scores and
    per-class breakdowns."""
    metric, extras = task.metric, cv.extras
    lines = [f"{'fold':>6}  {metric}"]
    lines += [f"{k:>6}  {s:.5f}" for k, s in enumerate(cv.folds)]
    f = np.asarray(cv.folds)
    which = f" ({cv.predictions})" if cv.predictions is not None else ""
    each = " ".join(f"{r['score']:.5f}" for r in cv.repeats or [])
    over = (f"the mean of {len(cv.repeats)} fold sets' pooled out-of-fold scores ({each})" if cv.repeats
            else "all out-of-fold rows")
    lines.append(f"CV {metric}{which}: {cv.score:.5f}{cv.se_text(' (SE)')} over {over} "
                 f"(fold mean {f.mean():.5f} +- {f.std():.5f})")
    lines += [f"   {k}: {extras[k]:.5f}" for k in task.secondary_scores if k in extras]
    if task.breakdowns and task.breakdowns[0][0] in extras:
        (lead_key, lead), *rest = task.breakdowns
        for name, v in extras[lead_key].items():
            lines.append(f"   {lead} {name}: {v:.5f}" + "".join(
                f"  ({label} {extras[key][name]:.5f})" for key, label in rest if name in extras.get(key, {})))
    return "\n".join(lines)
