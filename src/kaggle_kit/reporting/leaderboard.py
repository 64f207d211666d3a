"""The experiment leaderboard: every run and blend of a competition in one table, best CV first, printed and
written to runs/<comp>/leaderboard.md. Each score has its SE, and each row its difference to the best row with
the SE of that paired difference (the same resampled rows, on the same fold sets; kaggle_kit.pipeline.
uncertainty); rows within 2 SE of the best cannot be told apart from it. Reads the artefacts only (cv.json,
evidence.json, config.yaml, fold metrics, blend summaries), never a model or the data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kaggle_kit.config import TrainConfig, changed_keys, flatten
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import RunPaths
from kaggle_kit.pipeline.cv_result import CVResult, read_cv
from kaggle_kit.pipeline.runs import fold_metrics, run_config
from kaggle_kit.pipeline.uncertainty import Evidence, paired

APART = 2.0      # paired SEs a difference must exceed to tell a row from the best


def config_diff(default: TrainConfig, cfg: TrainConfig) -> str:
    """`key=value` for every training or prediction key whose value differs from the default config's."""
    new = flatten(cfg.model_dump(mode="json"))
    keys = [k for k in changed_keys(default.model_dump(mode="json"), cfg.model_dump(mode="json"))
            if k.split(".")[0] not in cfg.EXECUTION_KEYS]
    return " ".join(f"{k}={new.get(k)}" for k in keys) or "(default)"


def train_seconds(paths: RunPaths, n_folds: int) -> float | None:
    """Training time summed over folds, from each fold's metrics.json (None if a fold did not record it)."""
    total = 0.0
    for k in range(n_folds):
        seconds = (fold_metrics(paths, k) or {}).get("train_seconds")
        if seconds is None:
            return None
        total += seconds
    return total


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def spread(folds: list[float]) -> str:
    f = np.asarray(folds, float)
    return f"{f.mean():.4f} ± {f.std():.4f} ({f.min():.4f}-{f.max():.4f})" if len(f) else "-"


def run_rows(task, root: Path, default: TrainConfig, under: str = "") -> list[dict]:
    """A row per complete run in runs/<comp>/ (or in its folder `under`, a tuning study's: tune/<study>)."""
    rows = []
    comp_dir = root / "runs" / task.name / under
    for run_dir in sorted(p for p in comp_dir.iterdir() if p.is_dir()) if comp_dir.is_dir() else []:
        paths = RunPaths(root, task.name, f"{under}/{run_dir.name}" if under else run_dir.name)
        if not (paths.config.is_file() and paths.cv.is_file()):
            continue                                      # folds/, cache/, blends/, an unfinished run
        try:
            cfg = run_config(task.config_class, paths)
        except UserError:                                 # a run of an older version with other keys
            cfg = None
        keys = config_diff(default, cfg) if cfg is not None else "(config no longer valid)"
        seconds = train_seconds(paths, cfg.total_folds) if cfg is not None else None
        submission = paths.submission(task.submission_ext, task.submission_stem(run_dir.name))
        for cv_file in [paths.cv, *sorted(run_dir.glob("cv-*.json"))]:
            cv = read_cv(cv_file)
            variant = cv.predictions
            evidence = paths.evidence_for(variant)
            rows.append({"experiment": paths.exp + (f" [{variant}]" if variant else ""),
                         "score": cv.score, "se": cv.score_se,
                         "evidence": Evidence.from_json(json.loads(evidence.read_text())) if evidence.is_file() else None,
                         "extra": extra_score(task, cv), "spread": spread(cv.folds),
                         "keys": keys, "train": duration(seconds),
                         "submission": rel(submission, root) if submission.is_file() and not variant else "-"})
    return rows


def extra_score(task, cv: CVResult) -> str:
    """The second figure worth a column: the first secondary score the task declares."""
    key = next(iter(task.secondary_scores), None)
    return f"{cv.extras[key]:.4f}" if key in cv.extras else ""


def blend_rows(task, root: Path) -> list[dict]:
    rows = []
    for f in sorted((root / "runs" / task.name / "blends").glob("*.json")):
        b = json.loads(f.read_text())
        chosen = b["rules"][b["rule"]]
        submission = root / "submissions" / task.name / f"{f.stem}.{task.submission_ext}"
        key = f"nested_{next(iter(task.secondary_scores), '')}"
        extra = f"{chosen[key]:.4f}" if key in chosen else ""
        rows.append({"experiment": f.stem, "score": chosen["nested_oof"], "se": chosen.get("nested_se"),
                     "evidence": Evidence.from_json(b["evidence"]) if "evidence" in b else None,
                     "extra": extra, "spread": "-",
                     "keys": f"rule={b['rule']} (nested OOF)", "train": "-",
                     "submission": rel(submission, root) if submission.is_file() else "-"})
    return rows


def rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def versus_best(rows: list[dict]) -> None:
    """Each row's `versus` cell: its difference to the first (best) row ± the paired SE, marked ≈ where it is
    within APART SEs (not told apart from the best); "-" where the two share no fold set."""
    best = rows[0]["evidence"] if rows else None
    for i, r in enumerate(rows):
        if i == 0:
            r["versus"] = "best"
            continue
        pair = paired(r["evidence"], best) if r["evidence"] is not None and best is not None else None
        if pair is None:
            r["versus"] = "-"
            continue
        diff, se = pair
        r["versus"] = f"{diff:+.5f} ± {se:.5f}" + (" ≈" if abs(diff) <= APART * se else "")


def ranked_rows(task, root: Path, default: TrainConfig) -> tuple[list[str], list[list[str]]]:
    """The leaderboard's header and cells, best CV first (for the markdown file and the HTML report)."""
    rows = run_rows(task, root, default) + blend_rows(task, root)
    rows.sort(key=lambda r: -r["score"] if task.higher_is_better else r["score"])
    versus_best(rows)
    extra = next(iter(task.secondary_scores.values()), None)
    head = ["#", "experiment", f"CV {task.metric}", "± SE", "vs best ± paired SE", *([extra] if extra else []),
            "folds mean ± std (min-max)", "differs from the default config", "training", "submission"]
    cells = [[str(i), r["experiment"], f"{r['score']:.5f}", "-" if r["se"] is None else f"{r['se']:.5f}",
              r["versus"], *([r["extra"]] if extra else []), r["spread"], r["keys"], r["train"], r["submission"]]
             for i, r in enumerate(rows, 1)]
    public = public_scores(task, root)
    if public is not None:                   # once anything was sent with make <comp>-kaggle-submit
        head.append("public LB")
        for row, r in zip(cells, rows, strict=True):
            v = public.get(r["experiment"])
            row.append("-" if v is None else f"{v:.5f}")
    return head, cells


def public_scores(task, root: Path) -> dict[str, float] | None:
    """Each submitted experiment's latest public score (runs/<comp>/kaggle_submissions.csv, as make <comp>-lb
    filled it); None when nothing was ever sent."""
    from kaggle_kit.roundtrip.submissions import read_record, record_path

    path = record_path(root, task)
    if not path.is_file():
        return None
    scored = read_record(path).dropna(subset=["public_score"])
    return {str(r["experiment"]): float(r["public_score"]) for _, r in scored.iterrows()}


def lb_notes(task, root: Path) -> list[str]:
    """The rank correlation of CV and public score, and the submissions where they disagree by over 2 SE."""
    from kaggle_kit.roundtrip.submissions import disagreements, rank_correlation, read_record, record_path

    path = record_path(root, task)
    if not path.is_file():
        return []
    record = read_record(path)
    rho = rank_correlation(record)
    notes = [f"Rank correlation of CV and public LB over {record['public_score'].notna().sum()} submissions: "
             f"{rho:+.2f}."] if rho is not None else []
    notes += [f"{r['experiment']}: public LB {float(r['public_score']):.5f} is more than 2 SE from its CV "
              f"{float(r['cv']):.5f} ± {float(r['se']):.5f}." for _, r in disagreements(record, True).iterrows()]
    return notes


def study_cells(task, root: Path, default: TrainConfig, study_dir: Path) -> tuple[list[str], list[list[str]]]:
    """A tuning study's complete runs (its trials and the fresh-fold recheck), best first: the header and cells
    of its table in the leaderboard and on the study's page. EXPS and make <comp>-report name a trial as
    tune/<study>/<key>."""
    rows = run_rows(task, root, default, f"tune/{study_dir.name}")
    rows.sort(key=lambda r: -r["score"] if task.higher_is_better else r["score"])
    head = ["#", "trial", f"CV {task.metric}", "± SE", "folds mean ± std (min-max)", "differs from the default config"]
    return head, [[str(i), r["experiment"], f"{r['score']:.5f}", "-" if r["se"] is None else f"{r['se']:.5f}",
                   r["spread"], r["keys"]] for i, r in enumerate(rows, 1)]


def study_table(task, root: Path, default: TrainConfig, study_dir: Path) -> str:
    head, cells = study_cells(task, root, default, study_dir)
    if not cells:
        return ""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
    return (f"\n## Study {study_dir.name} (make tune)\n\n{len(cells)} complete runs (its trials and the fresh-fold "
            "recheck; pruned trials have no CV), best first.\n\n" + "\n".join(lines) + "\n")


def leaderboard(task, root: Path, default: TrainConfig, default_path: Path) -> str:
    """The markdown table, also written to runs/<comp>/leaderboard.md."""
    head, cells = ranked_rows(task, root, default)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
    better = "higher" if task.higher_is_better else "lower"
    text = (f"# {task.name} leaderboard\n\nCV over every out-of-fold row, {better} is better; blends by their "
            f"nested OOF score. ≈: within {APART:g} paired SE of the best, not told apart from it. Keys are "
            f"compared with {default_path.name}.\n\n" + "\n".join(lines) + "\n")
    notes = lb_notes(task, root)
    if notes:
        text += "\n" + "\n".join(notes) + "\n"
    text += "".join(study_table(task, root, default, d) for d in sorted((root / "runs" / task.name / "tune").glob("*/")))
    if cells:
        atomic.write_text(root / "runs" / task.name / "leaderboard.md", text)
    return text
