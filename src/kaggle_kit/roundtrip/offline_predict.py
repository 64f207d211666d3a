"""What a bundle's predict.py runs: the competition's data read as always, each fold model predicting the test
images from its checkpoint, the fold ensemble and the checked submission, in one process without internet."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from kaggle_kit.config import validate
from kaggle_kit.errors import UserError


def bundle_task(bundle: Path, meta: dict):
    spec = bundle / "competition.yaml"
    if spec.is_file():
        from kaggle_kit.specs import spec_task

        return spec_task(spec)
    from kaggle_kit.registry import get_task

    return get_task(meta["competition"])


def predict(bundle: Path, data_dir: Path, out: Path) -> Path:
    from kaggle_kit.pipeline.submit import write_submission

    meta = json.loads((bundle / "bundle.json").read_text())
    task = bundle_task(bundle, meta)
    if meta.get("split"):
        task.select_split(meta["split"])
    cfg = validate(task.config_class, yaml.safe_load((bundle / "config.yaml").read_text()))
    cfg = cfg.model_copy(update={"progress_bar": False})
    data = task.load(data_dir)
    preds = []
    for k in range(meta["fold_models"]):
        print(f"fold model {k}: predicting {len(data.test_ids)} test rows", file=sys.stderr, flush=True)
        frame = task.predict_test_fold(cfg, data, k, bundle / "folds" / f"fold{k}")
        preds.append(task.preds.values(task, data, frame, "test"))
    cv = json.loads((bundle / "cv.json").read_text())
    pred = task.fold_ensemble(cfg, preds, data)
    write_submission(task, data, pred, out, decision=cv.get("decision"))
    print(f"wrote {out}", file=sys.stderr)
    return out


def main(argv: list[str], *, bundle: Path) -> int:
    p = argparse.ArgumentParser(prog="predict.py", description="the bundle's submission, offline")
    p.add_argument("--data", required=True, help="the competition's files, e.g. /kaggle/input/<slug>")
    p.add_argument("--out", required=True, help="the submission to write, e.g. /kaggle/working/submission.csv")
    args = p.parse_args(argv)
    try:
        predict(bundle, Path(args.data), Path(args.out))
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
