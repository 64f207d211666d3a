"""Every number the three competitions give on their samples, recorded before a refactor and compared after.

Trains small runs of house (each learner), leaves and cowboy on the project's samples with fixed seeds,
submits and blends them, and collects every fold score, every cv.json and blend summary, and the hash of
every submission file. A refactor that changes a number is a bug: record on the old commit, compare on the
new one.

    python scripts/sample_numbers.py --record /tmp/before.json       # on the commit before the change
    python scripts/sample_numbers.py --compare /tmp/before.json      # after it: differences above 1e-6 fail

`--only house,tables` runs some groups (house, tables, leaves, cowboy); `--data <dir>` runs house on those files
(the real Ames download) instead of its sample. `tables`: `make new` then `make auto` on each drawn table layout.

Written for this project's own refactors (no library compares Lightning runs artefact by artefact)."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOUSE = "epochs=3 folds=2 seeds=2 batch_size=64 mlp.hidden=[32] progress_bar=false"
TREES = "folds=2 progress_bar=false gbdt.n_estimators=200 catboost.iterations=200"
LEAVES = "epochs=2 folds=2 image_size=32 batch_size=32 num_workers=0 progress_bar=false tta=hflip ema_decay=0.9"
LEAVES_B = "epochs=2 folds=2 image_size=32 batch_size=32 num_workers=0 progress_bar=false mixup=0.2 cutmix=1.0"
COWBOY = ("epochs=1 folds=2 image_size=64 batch_size=8 num_workers=0 progress_bar=false val_every=1 "
          "detections_per_img=20")
COWBOY_B = COWBOY + " sampler=repeat_factor repeat_threshold=0.3 class_weight_power=0.5"

TABLES = "folds=3 progress_bar=false gbdt.n_estimators=100 catboost.iterations=100"

# (command, competition, config stem, ARGS, extra make variables)
STEPS = [
    ("train", "house", "house", HOUSE, {}), ("submit", "house", "house", HOUSE, {}),
    *[(c, "house", f"house-{m}", TREES, {}) for m in ("gbdt", "linear", "svr", "catboost") for c in ("train", "submit")],
    ("blend", "house", None, "", {"EXPS": "house house-gbdt house-linear house-svr house-catboost"}),
    ("train", "leaves", "leaves-cpu", LEAVES, {}), ("submit", "leaves", "leaves-cpu", LEAVES, {}),
    ("submit", "leaves", "leaves-cpu", LEAVES.replace("tta=hflip", "tta=none"), {}),
    ("train", "leaves", "leaves-b", LEAVES_B, {}), ("submit", "leaves", "leaves-b", LEAVES_B, {}),
    ("blend", "leaves", None, "", {"EXPS": "leaves-cpu leaves-b"}),
    ("train", "cowboy", "cowboy-cpu", COWBOY, {}), ("submit", "cowboy", "cowboy-cpu", COWBOY, {}),
    ("submit", "cowboy", "cowboy-cpu", COWBOY, {"SPLIT": "test"}),
    ("submit", "cowboy", "cowboy-cpu", COWBOY + " tta=hflip", {}),
    ("train", "cowboy", "cowboy-b", COWBOY_B, {}), ("submit", "cowboy", "cowboy-b", COWBOY_B, {}),
    ("blend", "cowboy", None, "", {"EXPS": "cowboy-cpu cowboy-b"}),
]


def table_steps(root: Path) -> list:
    """make new + make auto on each drawn table layout, its files drawn under root/downloads/."""
    from kaggle_kit.tabular import samples

    steps = []
    for layout in samples.LAYOUTS:
        data = root / "downloads" / layout
        samples.draw(layout, data)
        options = {"METRIC": "rmsle"} if layout == "prices" else {}
        steps += [("new", None, None, None, {"COMP": layout, "DATA": str(data), **options}),
                  ("auto", None, None, TABLES, {"COMP": layout})]
    return steps


def run_steps(root: Path, groups: set[str], house_data: str | None = None) -> float:
    configs = root / "configs"
    configs.mkdir()
    (configs / "leaves-b.yaml").write_text("extends: leaves-cpu\n")
    (configs / "cowboy-b.yaml").write_text("extends: cowboy-cpu\n")
    env = {**os.environ, "KIT_ROOT": str(root), "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    start = time.perf_counter()
    steps = [s for s in STEPS if s[1] in groups] + (table_steps(root) if "tables" in groups else [])
    for command, comp, stem, args, variables in steps:
        if comp == "house" and house_data:
            variables = {**variables, "DATA": house_data}
        config = []
        if stem:
            path = configs / f"{stem}.yaml" if (configs / f"{stem}.yaml").is_file() else REPO / "configs" / f"{stem}.yaml"
            config = [f"CONFIG={path}"]
        target = f"{comp}-{command}" if comp else command
        cmd = ["make", "--no-print-directory", "-C", str(REPO), target, f"PY={sys.executable}",
               *([f"ARGS={args}"] if args is not None else []), *config, *(f"{k}={v}" for k, v in variables.items())]
        print(f"[{time.perf_counter() - start:6.0f} s] {comp}-{command} {stem or variables}", file=sys.stderr)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def collect(root: Path) -> dict:
    """Every cv*.json, fold score, blend summary and submission hash under root, by relative path."""
    out = {}
    runs = root / "runs"
    for f in sorted(runs.rglob("*.json")):
        rel = str(f.relative_to(root))
        if f.name.startswith("cv") or f.parent.name == "blends":
            out[rel] = json.loads(f.read_text())
        elif f.name == "metrics.json":
            m = json.loads(f.read_text())
            out[rel] = {"score": m["score"]}
    for f in sorted((root / "submissions").rglob("*.*")):
        if f.suffix == ".zip":                   # a zip's bytes hold its write time: hash what it holds
            with zipfile.ZipFile(f) as z:
                data = b"".join(z.read(n) for n in sorted(z.namelist()))
        else:
            data = f.read_bytes()
        out[str(f.relative_to(root))] = hashlib.sha256(data).hexdigest()
    return out


GROUPS = {"house", "leaves", "cowboy", "tables"}


def differences(old, new, where: str = "", tol: float = 1e-6) -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = [f"{where}.{k}: missing after" for k in old.keys() - new.keys()]
        out += [f"{where}.{k}: new after" for k in new.keys() - old.keys()]
        for k in sorted(old.keys() & new.keys()):
            out += differences(old[k], new[k], f"{where}.{k}" if where else k, tol)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{where}: {len(old)} items before, {len(new)} after"]
        return [d for i, (a, b) in enumerate(zip(old, new, strict=True)) for d in differences(a, b, f"{where}[{i}]", tol)]
    if isinstance(old, float | int) and isinstance(new, float | int) and not isinstance(old, bool):
        if math.isnan(old) and math.isnan(new) or abs(old - new) <= tol:
            return []
    elif old == new:
        return []
    return [f"{where}: {old!r} before, {new!r} after"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--record", help="write the numbers to this JSON file")
    g.add_argument("--compare", help="compare the numbers with this recorded JSON file")
    p.add_argument("--keep", help="run in this folder and keep it (default: a temporary one)")
    p.add_argument("--only", default="house,leaves,cowboy,tables", help="groups to run, comma-separated")
    p.add_argument("--data", help="house's files (the real Ames download) instead of its sample")
    a = p.parse_args()
    groups = set(a.only.split(","))
    if groups - GROUPS:
        raise SystemExit(f"--only takes {', '.join(sorted(GROUPS))}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(a.keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        seconds = run_steps(root, groups, a.data and str(Path(a.data).resolve()))
        numbers = collect(root)
    print(f"{len(numbers)} artefacts in {seconds:.0f} s", file=sys.stderr)
    if a.record:
        Path(a.record).write_text(json.dumps(numbers, indent=1, sort_keys=True) + "\n")
        print(f"wrote {a.record}", file=sys.stderr)
        return 0
    diffs = differences(json.loads(Path(a.compare).read_text()), numbers)
    for d in diffs:
        print(d)
    print(f"{len(diffs)} differences above 1e-6" if diffs else "every number equal to 1e-6", file=sys.stderr)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
