"""One self-contained HTML page per experiment (runs/<comp>/<exp>/report.html): the CV table with the score's
SE, every prediction set's score, the competition's leaderboard with paired differences to the best, the config,
and every plot of the run embedded as a data URI, so the page reads offline and travels as one file."""

from __future__ import annotations

import base64
import html
import json
import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from kaggle_kit.io import atomic
from kaggle_kit.paths import RunPaths
from kaggle_kit.pipeline.cv_result import CVResult, read_cv

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 9px;text-align:right}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}figure{margin:1.5em 0}
img{max-width:100%;border:1px solid #ddd}figcaption{color:#555;font-size:0.9em}pre{background:#f7f7f7;padding:1em}"""


def fmt(v) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.5f}"


def table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def cv_tables(task, cv: CVResult, variants: list[CVResult]) -> str:
    folds, extras = cv.folds, cv.extras
    pooled = ("mean of the fold sets' out-of-fold scores" if cv.repeats else "all out-of-fold rows")
    se = [["± SE", fmt(cv.score_se)]] if cv.score_se is not None else []
    sets = [[f"fold set {r} ({s['folds_file']})", fmt(s["score"]) + f" ± {s['score_se']:.5f}"]
            for r, s in enumerate(cv.repeats or [])]
    parts = [table(["fold", cv.metric], [[str(k), fmt(s)] for k, s in enumerate(folds)] + sets
                   + [[pooled, fmt(cv.score)], *se,
                      ["fold mean ± std", f"{np.mean(folds):.5f} ± {np.std(folds):.5f}" if folds else "-"]])]
    scalars = {k: extras[k] for k in task.secondary_scores if k in extras}
    if scalars:
        parts.append(table(["more scores", ""], [[k, fmt(v)] for k, v in scalars.items()]))
    shown = [(key, label) for key, label in task.breakdowns if key in extras]
    if shown:
        classes = list(extras[shown[0][0]])
        parts.append(table(["class", *(label for _, label in shown)],
                           [[c, *(fmt(extras[key].get(c)) for key, _ in shown)] for c in classes]))
    if variants:
        parts.append("<h3>Other prediction sets of the same checkpoints</h3>" + table(
            ["predictions", cv.metric, "per fold"],
            [[v.predictions, fmt(v.score), " ".join(f"{s:.4f}" for s in v.folds)] for v in variants]))
    return "\n".join(parts)


def figure(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    name = html.escape(path.stem.replace("_", " "))
    return f'<figure><img alt="{name}" src="data:image/png;base64,{data}"><figcaption>{name}</figcaption></figure>'


def comparison_table(comparison, exp: str) -> str:
    """The leaderboard (kaggle_kit.reporting.leaderboard.ranked_rows), this experiment's rows in bold."""
    head, cells = comparison
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join((f"<td><b>{html.escape(c)}</b></td>" if r[1].split(" [")[0] == exp else
                          f"<td>{html.escape(c)}</td>") for c in r) + "</tr>" for r in cells)
    return (f"<table><tr>{th}</tr>{body}</table><p>vs best: the difference to the best row ± the SE of that "
            "paired difference (the same resampled rows, on the same fold sets); ≈ marks rows within 2 SE of the "
            "best, which cannot be told apart from it.</p>")


def used_config_text(task, paths: RunPaths) -> str:
    import yaml

    from kaggle_kit.pipeline.runs import run_config

    return yaml.safe_dump(run_config(task.config_class, paths).used_dict(), sort_keys=False)


def importance_section(paths: RunPaths) -> str:
    from kaggle_kit.reporting.importance import importance_rows

    rows = importance_rows(paths.run_dir)
    if not rows:
        return ""
    return ("<h2>Feature importance</h2><p>Each fold's importance (gain for trees, |coefficient| for linear "
            "models) as a share of its total, averaged over the folds (importance.csv has every feature; the plot "
            "is below).</p>" + table(["feature", "mean share", "std over folds"], rows))


def write_report(task, paths: RunPaths, plots: list[Path], *, comparison=None) -> Path:
    cv = read_cv(paths.cv)
    variants = [read_cv(p) for p in sorted(paths.run_dir.glob("cv-*.json"))]
    better = "higher" if cv.higher_is_better else "lower"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    se_text = cv.se_text(" (SE)")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(task.name)} / {html.escape(paths.exp)}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(task.name)}: {html.escape(paths.exp)}</h1>
<p>CV {html.escape(cv.metric)} <b>{fmt(cv.score)}</b>{se_text} over every out-of-fold row ({better} is better).
Written {stamp} from {html.escape(str(paths.run_dir))}.</p>
<h2>Cross-validation</h2>
{cv_tables(task, cv, variants)}
<h2>Every experiment of {html.escape(task.name)}</h2>
{comparison_table(comparison, paths.exp) if comparison and comparison[1] else '<p>No other runs.</p>'}
{importance_section(paths)}
<h2>Plots</h2>
{''.join(figure(p) for p in plots) or '<p>No plots.</p>'}
<h2>Config</h2>
<p>The keys this run read (the full resolved config is {html.escape(str(paths.config))}).</p>
<pre>{html.escape(used_config_text(task, paths))}</pre>
</body></html>
"""
    return atomic.write_text(paths.run_dir / "report.html", page)


def write_study_report(task, study_dir: Path, trials: tuple[list[str], list[list[str]]]) -> Path:
    """runs/<comp>/tune/<study>/report.html: a tuning study's best trial and its parameters, its score on the
    tuning folds beside the fresh folds', its trials (the leaderboard's header and cells of them:
    leaderboard.study_cells) and Optuna's plots, from summary.json and plots/ (written by make tune)."""
    s = json.loads((study_dir / "summary.json").read_text())
    best, fresh = s["best"], s["fresh_folds"]

    def pm(score, se):
        return f"{fmt(score)}" + (f" ± {fmt(se)}" if se is not None else "")

    params = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
                     for k, v in best["params"].items())
    head, cells = trials
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in cells)
    table = ("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + f"</tr>{rows}</table>"
             if cells else "<p>No complete trial.</p>")
    plots = sorted((study_dir / "plots").glob("*.png"))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(task.name)} / tune / {html.escape(s['study'])}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(task.name)}: study {html.escape(s['study'])} (make tune)</h1>
<p>{s['complete']} complete and {s['pruned']} pruned trials ({s['pruned_after_fold0']} after fold 0) of
{s['trials']}. The best, trial {best['trial']}, is written as {html.escape(s['tuned_config'])}. Written {stamp}.</p>
<h2>The tuned config, on the folds it was picked on and on fresh ones</h2>
<table><tr><th>folds</th><th>CV {html.escape(task.metric)}</th></tr>
<tr><td>tuning folds (the search picked it there: optimistic)</td><td>{pm(best['score'], best['score_se'])}</td></tr>
<tr><td>fresh folds (fold_seed {fresh['fold_seed']})</td><td>{pm(fresh['score'], fresh['score_se'])}</td></tr></table>
<h2>Its parameters</h2>
<table><tr><th>key</th><th>value</th></tr>{params}</table>
<h2>Trials</h2>
{table}
<h2>Optuna's plots</h2>
{''.join(figure(p) for p in plots) or '<p>No plots.</p>'}
</body></html>
"""
    return atomic.write_text(study_dir / "report.html", page)
