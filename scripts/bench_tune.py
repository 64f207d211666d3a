"""`make tune` on the real Ames files: LightGBM and CatBoost tuned for a fixed number of trials with their shipped
spaces, each tuned config's CV on the tuning folds and on a fresh fold set beside the hand-set config's on both,
the trials the pruner stopped after fold 0, and trials per minute with one worker and with two. Writes the
tuning section of docs/BENCHMARKS.md.

    python scripts/bench_tune.py --data ../shared/data/ames-kaggle --trials 8     (about 15 minutes on 2 idle CPUs)"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from bench_report import kit, write_section  # noqa: E402

LEARNERS = ("gbdt", "catboost")
FRESH = 1000                                     # the recheck's fold_seed offset (kaggle_kit.tuning.tune)
SPEED_SPACE = "gbdt.reg_lambda: {float: [0.001, 10.0], log: true}\n"


def cv(root: Path, exp: str) -> dict:
    return json.loads((root / "runs" / "house" / exp / "cv.json").read_text())


def hand_set(data: Path, root: Path, learner: str) -> dict:
    """The shipped config on the tuning folds and on the fresh ones."""
    config = str(ROOT / "configs" / f"house-{learner}.yaml")
    kit("train", "house", "--data", str(data), "--config", config, root=root)
    fresh_cfg = root / "configs" / f"house-{learner}-fresh.yaml"
    fresh_cfg.parent.mkdir(exist_ok=True)
    fresh_cfg.write_text(f"extends: house-{learner}\nfold_seed: {42 + FRESH}\n")
    kit("train", "house", "--data", str(data), "--config", str(fresh_cfg), root=root)
    return {"tuning": cv(root, f"house-{learner}"), "fresh": cv(root, f"house-{learner}-fresh")}


def tuned(data: Path, root: Path, learner: str, trials: int, jobs: int, space: Path | None = None) -> dict:
    """make tune on the Ames files; `search_seconds`: from the first trial's start to the last one's end (the
    journal's times), the workers' start and the recheck left out."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    kit("tune", "house", "--data", str(data), "--config", str(ROOT / "configs" / f"house-{learner}.yaml"),
        "--trials", str(trials), "--jobs", str(jobs), *(["--space", str(space)] if space else []), root=root)
    study_dir = root / "runs/house/tune" / f"house-{learner}"
    summary = json.loads((study_dir / "summary.json").read_text())
    storage = JournalStorage(JournalFileBackend(str(study_dir / "journal.log")))
    done = [t for t in optuna.load_study(study_name=f"house-{learner}", storage=storage).get_trials()
            if t.datetime_complete is not None]
    seconds = (max(t.datetime_complete for t in done) - min(t.datetime_start for t in done)).total_seconds()
    return {**summary, "search_seconds": seconds}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ames-kaggle"))
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--no-write", action="store_true")
    p.add_argument("--speed-only", action="store_true", help="the one- and two-worker searches alone, printed")
    a = p.parse_args()
    data = Path(a.data).resolve()
    if not (data / "train.csv").is_file():
        raise SystemExit(f"no train.csv in {data}: pass --data <the real house-prices download>")
    rows, speed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for learner in LEARNERS if not a.speed_only else ():
            root = Path(tmp) / learner
            root.mkdir()
            base = hand_set(data, root, learner)
            t = tuned(data, root, learner, a.trials, 1)
            rows.append((learner, base, t))
            print(f"{learner}: hand-set {base['tuning']['score']:.4f}, tuned {t['best']['score']:.4f} "
                  f"(fresh {t['fresh_folds']['score']:.4f}), {t['search_seconds']:.0f} s", file=sys.stderr)
        neutral = Path(tmp) / "reg_lambda.yaml"       # a key that leaves a fit's cost as it is, so the two
        neutral.write_text(SPEED_SPACE)               # searches' trials cost the same whatever they draw
        for jobs in (1, 2):
            root = Path(tmp) / f"jobs{jobs}"
            root.mkdir()
            speed.append((jobs, tuned(data, root, "gbdt", a.trials, jobs, neutral)))
    if a.speed_only:
        print(render_speed(speed))
        return
    body = render(rows, speed, a.trials)
    print(body)
    if not a.no_write:
        write_section(ROOT / "docs" / "BENCHMARKS.md", "tuning", "make tune on the real Ames files", body)


def render(rows, speed, trials: int) -> str:
    def pm(score, se):
        return f"{score:.4f} ± {se:.4f}" if se is not None else f"{score:.4f}"

    lines = ["| learner | hand-set config: tuning folds (fold_seed 42) | fresh folds (fold_seed 1042) | tuned: tuning "
             "folds (the search's best) | tuned: fresh folds | trials complete / pruned (after fold 0) | search time |",
             "|---|---|---|---|---|---|---|"]
    for learner, base, t in rows:
        lines.append(f"| {learner} | {pm(base['tuning']['score'], base['tuning'].get('score_se'))} | "
                     f"{pm(base['fresh']['score'], base['fresh'].get('score_se'))} | "
                     f"{pm(t['best']['score'], t['best']['score_se'])} | "
                     f"{pm(t['fresh_folds']['score'], t['fresh_folds']['score_se'])} | {t['complete']} / {t['pruned']} "
                     f"({t['pruned_after_fold0']}) | {t['search_seconds']:.0f} s |")
    best = {learner: t["best"]["params"] for learner, _, t in rows}
    return (f"`make house-tune CONFIG=configs/house-<learner>.yaml TRIALS={trials}` with the shipped spaces "
            "(configs/spaces/gbdt.yaml, catboost.yaml) on the real Ames train.csv, 5 folds, one worker, on this machine "
            f"({os.cpu_count()} CPUs). log-RMSE, lower is better, ± its SE. The tuning folds' score of the tuned config "
            "is the best of the search, picked on those folds and so optimistic; the fresh folds (another fold_seed) "
            "score it as any new config. MedianPruner prunes nothing before 5 trials have finished.\n\n"
            + "\n".join(lines) + "\n\nThe best parameters: " + "; ".join(
                f"{k}: " + ", ".join(f"{kk}={vv:.4g}" if isinstance(vv, float) else f"{kk}={vv}" for kk, vv in v.items())
                for k, v in best.items())
            + "\n\nTrials per minute of a LightGBM search over `gbdt.reg_lambda` alone (a key that leaves each fit's "
              "cost as it is, so both searches' trials cost the same), from the first trial's start to the last one's "
              "end in the journal, one worker against two on the same journal file (each worker given its share of "
              "the cores, OMP_NUM_THREADS):\n\n" + render_speed(speed))


def render_speed(speed) -> str:
    one = speed[0][1]
    lines = ["| workers (JOBS) | trials finished | search time | trials per minute | vs one worker |",
             "|---|---|---|---|---|"]
    for jobs, t in speed:
        n = t["complete"] + t["pruned"]
        rate = n / t["search_seconds"] * 60
        base_rate = (one["complete"] + one["pruned"]) / one["search_seconds"] * 60
        lines.append(f"| {jobs} | {n} | {t['search_seconds']:.0f} s | {rate:.2f} | {rate / base_rate:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
