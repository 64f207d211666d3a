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
from kaggle_kit.pipeline.cv_result import read_cv


def bundle_task(bundle: Path, meta: dict):
    spec = bundle / "competition.yaml"
    if spec.is_file():
        from kaggle_kit.specs import spec_task

        return spec_task(spec)
    from kaggle_kit.registry import get_task

    return get_task(meta["competition"])


def member_prediction(task, data, folder: Path, name: str):
    """One run's test prediction: the ensemble of its fold models, each predicting from its checkpoint."""
    cfg = validate(task.config_class, yaml.safe_load((folder / "config.yaml").read_text()))
    cfg = cfg.model_copy(update={"progress_bar": False})
    preds = []
    for k in range(cfg.total_folds):
        print(f"{name} fold model {k}: predicting {len(data.test_ids)} test rows", file=sys.stderr, flush=True)
        frame = task.predict_test_fold(cfg, data, k, folder / "folds" / f"fold{k}")
        preds.append(task.preds.values(task, data, frame, "test"))
    return task.fold_ensemble(cfg, preds, data)


def predict(bundle: Path, data_dir: Path, out: Path) -> Path:
    from kaggle_kit.pipeline.submit import write_submission

    meta = json.loads((bundle / "bundle.json").read_text())
    task = bundle_task(bundle, meta)
    if meta.get("split"):
        task.select_split(meta["split"])
    data = task.load(data_dir)
    if "members" in meta:                       # a blend: each member's fold ensemble, then the saved rule

        from kaggle_kit.ensembling.blend import saved_rule

        tests = [member_prediction(task, data, bundle / "members" / e, e) for e in meta["members"]]
        apply = saved_rule(task, meta["rule"], meta["setting"])
        pred = apply(tests, data)
        decision = meta.get("decision")
    else:
        pred = member_prediction(task, data, bundle, meta["experiment"])
        decision = read_cv(bundle / "cv.json").decision
    write_submission(task, data, pred, out, decision=decision)
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
