"""A spec table's learner defaults, each against the setting it replaced, on real tables
(../shared/data/tables, held-out answers apart): `make new`, then `make train` + `make submit` for each side
with only that key changed (`configs/<table>-<side>.yaml`), its 5-fold CV and its held-out score. Writes the
learner-defaults section of docs/BENCHMARKS.md.

- LightGBM: `gbdt.extra_trees: true` (the default) against false (LightGBM's usual splits);
- the forests on classes: `criterion: entropy` (the default) against gini."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from bench_real_tables import CASES, score  # noqa: E402
from bench_report import kit, write_section  # noqa: E402

TABLES = ROOT.parent / "shared" / "data" / "tables"
SIDES = {  # name: (learner, the section's keys), the default first of each pair
    "gbdt (extra_trees)": ("gbdt", {}), "gbdt (usual splits)": ("gbdt", {"extra_trees": False}),
    "random_forest (entropy)": ("random_forest", {}), "random_forest (gini)": ("random_forest", {"criterion": "gini"}),
    "extra_trees (entropy)": ("extra_trees", {}), "extra_trees (gini)": ("extra_trees", {"criterion": "gini"}),
}
NAMES = ["satellite", "credit", "attrition", "mortgage", "concrete"]   # the tables without free text; on values
#                                                                          (concrete) the forests' criterion is unused


def side_config(name: str, learner: str, keys: dict) -> str:
    body = f"extends: {name}\nmodel: {learner}\n"
    if keys:
        body += f"{learner}:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in keys.items())
    return body


def run_table(name: str, root: Path) -> dict[str, tuple[float, float]]:
    id_col, target, metric = CASES[name]
    data = root / "downloads" / name
    shutil.copytree(TABLES / name, data)
    kit("new", name, "--data", str(data), "--metric", metric, root=root)
    answers = pd.read_csv(TABLES / f"{name}.answers.csv")
    out = {}
    for i, (side, (learner, keys)) in enumerate(SIDES.items()):
        if metric == "rmse" and learner != "gbdt":
            continue
        exp = f"{name}-side{i}"
        (root / "configs" / f"{exp}.yaml").write_text(side_config(name, learner, keys))
        kit("train", name, "--config", f"configs/{exp}.yaml", root=root)
        kit("submit", name, "--config", f"configs/{exp}.yaml", root=root)
        cv = json.loads((root / "runs" / name / exp / "cv.json").read_text())["score"]
        held = score(metric, answers, pd.read_csv(root / "submissions" / name / f"{exp}.csv"), id_col, target)
        out[side] = (cv, held)
        print(f"{name} {side}: CV {cv:.4f}, held-out {held:.4f}", file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs/BENCHMARKS.md")
    args = parser.parse_args()
    rows = {}
    for name in NAMES:
        with tempfile.TemporaryDirectory() as tmp:
            rows[name] = run_table(name, Path(tmp))
    lines = ["| table | metric | " + " | ".join(SIDES) + " |", "|---|---|" + "---|" * len(SIDES)]
    for name, sides in rows.items():
        lines.append(f"| {name} | {CASES[name][2]} | "
                     + " | ".join(f"{sides[k][0]:.4f} / {sides[k][1]:.4f}" if k in sides else "-" for k in SIDES)
                     + " |")
    body = ("Each learner alone, `make train` + `make submit` after `make new` with every other default, 5-fold CV / "
            "held-out score (the tables' 30% kept apart). Higher is better for auc, lower for logloss and rmse. Each "
            "pair is the default against the setting it replaced, one key changed.\n\n" + "\n".join(lines))
    print(body)
    if not args.no_write:
        write_section(ROOT / "docs" / "BENCHMARKS.md", "learner-defaults",
                      "Learner defaults of a spec table: LightGBM's splits, the forests' criterion", body)


if __name__ == "__main__":
    main()
