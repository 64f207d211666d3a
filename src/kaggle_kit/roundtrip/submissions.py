"""`make <comp>-kaggle-submit` and `make <comp>-lb`: a submission sent with its CV in the message and a token
unique to it (Kaggle's listing carries no file hash), recorded in runs/<comp>/kaggle_submissions.csv; later the
competition's submissions listing is read back and joined to the record by that token, filling the public
(and, after the deadline, private) scores."""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import RunPaths
from kaggle_kit.pipeline.cv_result import read_cv
from kaggle_kit.roundtrip.kaggle_cli import command_line, kaggle, slug_of

COLUMNS = ["time", "experiment", "file", "sha256", "cv", "se", "message", "token", "status", "public_score",
           "private_score"]
TOKEN = re.compile(r"\[kk:([0-9a-f]{8,})\]")


def record_path(root: Path, task) -> Path:
    return root / "runs" / task.name / "kaggle_submissions.csv"


def read_record(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=COLUMNS)
    return pd.read_csv(path, dtype={"token": str, "sha256": str, "status": str, "experiment": str},
                       keep_default_na=False, na_values=[""])


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def not_an_experiment(task, root: Path, name: str) -> str | None:
    """The line for EXP= naming a blend or make auto's file, which are sent with BLEND=; else None."""
    if name.startswith("blend-"):
        return f"'{name}' is a blend: send it with BLEND={name}"
    made = root / "runs" / task.name / "auto.json"
    if name == "auto" and made.is_file():
        source = json.loads(made.read_text())["source"]
        option = f"BLEND={source}" if source.startswith("blend-") else f"EXP={source}"
        return f"'auto' is make auto's copy of {source}: send it with {option}"
    return None


def what_to_submit(task, root: Path, *, exp: str, blend: str) -> tuple[str, Path, float, float | None]:
    """(name, file, CV, SE) of an experiment's or a blend's submission; an error naming what is missing."""
    if bool(exp) == bool(blend):
        raise UserError("name what to submit: EXP=<experiment> or BLEND=<blend name> (one of them)")
    if exp:
        paths = RunPaths(root, task.name, exp)
        if not paths.cv.is_file():
            raise UserError(not_an_experiment(task, root, exp) or
                            f"experiment '{exp}' has no complete run in {paths.run_dir}; train it first")
        cv = read_cv(paths.cv)
        file = paths.submission(task.submission_ext, task.submission_stem(exp))
        hint = task.make("submit") + f" CONFIG=configs/{exp}.yaml"
        name, score, se = exp, cv.score, cv.score_se
    else:
        name = blend if blend.startswith("blend-") else f"blend-{blend}"
        summary = root / "runs" / task.name / "blends" / f"{name}.json"
        if not summary.is_file():
            raise UserError(f"no blend '{name}' in {summary.parent}; make it first: {task.make('blend')} EXPS=...")
        b = json.loads(summary.read_text())
        chosen = b["rules"][b["rule"]]
        file = root / "submissions" / task.name / f"{task.submission_stem(name)}.{task.submission_ext}"
        hint = task.make("blend") + f' EXPS="{" ".join(b["experiments"])}"'
        score, se = chosen["nested_oof"], chosen.get("nested_se")
    if not file.is_file():
        raise UserError(f"{file} is missing; write it first: {hint}")
    return name, file, float(score), None if se is None else float(se)


def check_file(task, data, file: Path) -> None:
    """The file read back and checked as the submit command checks what it writes."""
    if file.suffix != ".csv":
        raise UserError(f"{file.name}: Kaggle takes the competition's CSV; {task.name} writes {file.suffix} answers")
    try:
        frame = pd.read_csv(file, dtype={task.id_column: str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise UserError(f"{file} cannot be read as CSV ({type(e).__name__}); write it again with make submit") \
            from None
    try:
        task.check_submission(frame, data)
    except UserError as e:
        raise UserError(f"{file} no longer passes the checks ({e}); write it again with make submit") from None


def kaggle_submit(task, data, root: Path, *, exp: str = "", blend: str = "", dry: bool = False) -> dict | None:
    """Check, send and record one submission; with `dry`, print the command only."""
    slug = slug_of(task)
    name, file, score, se = what_to_submit(task, root, exp=exp, blend=blend)
    check_file(task, data, file)
    token = uuid.uuid4().hex[:12]
    message = f"{name} CV {score:.5f}" + (f" ± {se:.5f}" if se is not None else "") + f" [kk:{token}]"
    args = ["competitions", "submit", "-c", slug, "-f", str(file), "-m", message]
    if dry:
        print(f"DRY=1, nothing sent: {command_line(args)}")
        return None
    kaggle(args, slug=slug)
    row = {"time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "experiment": name,
           "file": str(file.relative_to(root)) if file.is_relative_to(root) else str(file), "sha256": sha256(file),
           "cv": score, "se": se, "message": message, "token": token, "status": "sent", "public_score": None,
           "private_score": None}
    path = record_path(root, task)
    record = read_record(path)
    atomic.write_csv(path, pd.concat([record, pd.DataFrame([row], columns=COLUMNS)], ignore_index=True))
    print(f"sent {file.name} to {slug} as \"{message}\"; recorded in {path}; `{task.make('lb')}` reads its "
          "score once Kaggle has it", file=sys.stderr)
    return row


def read_listing(text: str) -> pd.DataFrame:
    """`kaggle competitions submissions -v` output (lines before the CSV header, such as notes, skipped)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "fileName" in line and "description" in line), None)
    if start is None:
        if "no submissions" in text.lower():
            return pd.DataFrame(columns=["fileName", "date", "description", "status", "publicScore", "privateScore"])
        raise UserError("the kaggle CLI's submissions listing has no fileName,...,publicScore header; update the "
                        "kaggle package (make setup)")
    return pd.read_csv(io.StringIO("\n".join(lines[start:])), dtype=str, keep_default_na=False)


def score_of(value: str) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def status_of(value: str) -> str:
    """COMPLETE, SubmissionStatus.PENDING, pending ... -> complete | pending | error | the text lowered."""
    v = str(value).lower().split(".")[-1]
    return "complete" if v in ("complete", "completed") else v or "unknown"


def join_listing(record: pd.DataFrame, listing: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The record with each row's status and scores from the listing row carrying its token; and the number
    of listing rows that carry no token of the record (submissions made elsewhere)."""
    out, matched = record.copy(), 0
    for _, row in listing.iterrows():
        m = TOKEN.search(str(row.get("description", "")))
        if not m or m.group(1) not in set(out["token"]):
            continue
        matched += 1
        at = out.index[out["token"] == m.group(1)][0]
        status = status_of(row.get("status", ""))
        out.loc[at, "status"] = status
        out.loc[at, "public_score"] = score_of(row.get("publicScore")) if status == "complete" else None
        out.loc[at, "private_score"] = score_of(row.get("privateScore")) if status == "complete" else None
    return out, len(listing) - matched


def disagreements(record: pd.DataFrame, higher_is_better: bool) -> pd.DataFrame:
    """Scored rows whose public score is more than 2 SE from their CV."""
    scored = record.dropna(subset=["public_score", "se"])
    gap = (scored["public_score"].astype(float) - scored["cv"].astype(float)).abs()
    return scored[gap > 2 * scored["se"].astype(float)]


def rank_correlation(record: pd.DataFrame) -> float | None:
    """Spearman's rank correlation between CV and public score over the scored submissions (None below 3)."""
    from scipy.stats import spearmanr

    scored = record.dropna(subset=["public_score"])
    if len(scored) < 3 or scored["cv"].nunique() < 2 or scored["public_score"].nunique() < 2:
        return None
    return float(spearmanr(scored["cv"].astype(float), scored["public_score"].astype(float)).statistic)


def lb(task, root: Path) -> pd.DataFrame:
    """Read the competition's submissions, fill the record's scores, print the table; the record."""
    slug = slug_of(task)
    path = record_path(root, task)
    record = read_record(path)
    if record.empty:
        raise UserError(f"no submission of {task.name} is recorded in {path}; send one first: "
                        f"{task.make('kaggle-submit')} EXP=<experiment>")
    listing = read_listing(kaggle(["competitions", "submissions", "-c", slug, "-v"], slug=slug))
    record, others = join_listing(record, listing)
    atomic.write_csv(path, record[COLUMNS])
    lines = [f"{'submission':<34} {'CV':>9} {'± SE':>8} {'public':>9} {'private':>9}  status"]
    for _, r in record.iterrows():
        def cell(v):
            return f"{float(v):>9.5f}" if pd.notna(v) else f"{'-':>9}"
        se = f"{float(r['se']):>8.5f}" if pd.notna(r["se"]) else f"{'-':>8}"
        lines.append(f"{r['experiment']:<34} {float(r['cv']):>9.5f} {se} {cell(r['public_score'])} "
                     f"{cell(r['private_score'])}  {r['status']}")
    pending = int((record["status"].isin(["pending", "sent"])).sum())
    far = disagreements(record, task.higher_is_better)
    rho = rank_correlation(record)
    notes = [f"{pending} still pending: run `{task.make('lb')}` again later"] if pending else []
    if others:
        notes.append(f"{others} submission(s) on Kaggle were not sent by the kit (no [kk:] token): left out")
    if rho is not None:
        notes.append(f"rank correlation of CV and public score over {record['public_score'].notna().sum()} "
                     f"submissions: {rho:+.2f}")
    notes += [f"public score {float(r['public_score']):.5f} is more than 2 SE from CV {float(r['cv']):.5f} for "
              f"{r['experiment']}: the CV or the public split does not hold for it" for _, r in far.iterrows()]
    print("\n".join(lines + notes))
    plot = cv_vs_lb_plot(task, root, record, rho)
    if plot is not None:
        print(f"wrote {plot}", file=sys.stderr)
    return record


def cv_vs_lb_plot(task, root: Path, record: pd.DataFrame, rho: float | None) -> Path | None:
    """runs/<comp>/plots/cv_vs_lb.png: every scored submission's public score against its CV, with ±2 SE."""
    scored = record.dropna(subset=["public_score"])
    if scored.empty:
        return None
    from kaggle_kit.reporting import plots

    return plots.cv_vs_lb(scored["cv"].astype(float).to_numpy(), scored["public_score"].astype(float).to_numpy(),
                          scored["se"].astype(float).fillna(0).to_numpy(), scored["experiment"].tolist(),
                          root / "runs" / task.name / "plots" / "cv_vs_lb.png", metric=task.metric, rho=rho)
