"""cowboyoutfits on the sample: class-imbalance handling and detection TTA, measured per class. Each variant is
a full `make cowboy-train && make cowboy-submit` with configs/cowboy-cpu.yaml plus its ARGS (same folds and
seed), in its own work root under --work; a variant that completed there is reused with its recorded times, so
the study can be resumed. Detection TTA is measured on the first variant by submitting it
again with each tta (every fold re-predicts its OOF and test images), with the prediction + fusion cost per
image timed on one fold. Writes its section of docs/BENCHMARKS.md.

Usage: python scripts/study_cowboy.py [--work /tmp/cowboy-study] [--best "sampler=... class_weight_power=..."]
(about 13 minutes per variant on 2 CPU cores)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_report import write_section  # noqa: E402

VARIANTS = [
    ("none (shuffle, plain focal loss)", "base", "sampler=shuffle"),
    ("repeat-factor sampling, t = 0.3", "rfs", "sampler=repeat_factor repeat_threshold=0.3"),
    ("class-aware sampling", "cas", "sampler=class_aware"),
    ("class-weighted focal loss, power 0.5", "cw", "sampler=shuffle class_weight_power=0.5"),
]
PREDICTION_ONLY = ("tta=", "tta_scales=", "tta_wbf_iou=")   # keys that re-predict saved checkpoints
TTA_ON = "cas"             # detection TTA is measured on the default configuration's checkpoints
TTAS = ("hflip", "hflip_scales")
CLASSES = ("belt", "boot", "cowboy_hat", "jacket", "sunglasses")


def make(target: str, root: Path, args: str, log: Path) -> float:
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.run(["make", "-s", target, f"ARGS={args}"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "KIT_ROOT": str(root)})
    if proc.returncode:
        sys.exit(f"{target} {args!r} failed; see {log}")
    return time.perf_counter() - start


def run_variant(work: Path, name: str, args: str) -> dict:
    """Train and submit one variant, or reuse it: its timings are kept in study-time.json once it completed."""
    root = work / name
    root.mkdir(parents=True, exist_ok=True)
    done = root / "study-time.json"
    if done.is_file() and json.loads(done.read_text()).get("args") == args:
        print(f"{name}: complete, reused", file=sys.stderr, flush=True)
        return {"root": root, **json.loads(done.read_text())}
    print(f"{name}: {args or '(config as is)'}", file=sys.stderr, flush=True)
    times = {"args": args, "train_s": make("cowboy-train", root, args, root / "train.log"),
             "submit_s": make("cowboy-submit", root, args, root / "submit.log")}
    done.write_text(json.dumps(times))
    return {"root": root, **times}


def run_best(work: Path, trained: list[tuple[str, dict]], args: str) -> dict:
    """The best combination. Where its training keys are those of a variant already trained, that variant's
    checkpoints are submitted again with its prediction keys (tta...), as `make cowboy-submit` would; else it is
    trained as a variant of its own."""
    words = args.split()
    train_args = " ".join(w for w in words if not w.startswith(PREDICTION_ONLY))
    for _, r in trained:
        if set(r["args"].split()) == set(train_args.split()):
            submit_s = make("cowboy-submit", r["root"], args, r["root"] / "submit-best.log")
            tta = {w.split("=", 1)[0]: w.split("=", 1)[1] for w in words if w.startswith(PREDICTION_ONLY)}
            return {**r, "args": args, "submit_s": submit_s, "variant": prediction_set(tta)}
    return {**run_variant(work, "best", args), "variant": None}


def prediction_set(overrides: dict) -> str | None:
    """The saved prediction set a submit with these prediction keys writes (None: the plain one)."""
    from kaggle_kit.detection.config import DetectionConfig

    name = DetectionConfig(**{k: (v.strip("[]").split(",") if k == "tta_scales" else v)
                           for k, v in overrides.items()}).tta_name()
    return None if name == "none" else f"tta-{name}"


def load_sample(root: Path):
    from kaggle_kit.pipeline.data_source import resolve_data_dir
    from kaggle_kit.registry import get_task

    task = get_task("cowboy")
    return task, task.load(resolve_data_dir(task, None, root)[0])


def cv_of(root: Path, variant: str | None = None) -> dict:
    run = root / "runs" / "cowboy" / "cowboy-cpu"
    cv = json.loads((run / ("cv.json" if variant is None else f"cv-{variant}.json")).read_text())
    if "per_class_AP50" not in cv:     # a run pooled before per-class AP50 was recorded: score its OOF again
        task, data = load_sample(root)
        oof = task.preds.read(run / ("oof.json" if variant is None else f"oof-{variant}.json"), task.id_column)
        cv = {**cv, **task.evaluate(data, task.preds.values(task, data, oof, "train")).extras}
    return cv


def tta_cost(root: Path, args: str) -> float:
    """Seconds per image of one fold's prediction (decode, views, detector, fusion) over the test images."""
    from kaggle_kit.config import load_config
    from kaggle_kit.detection.config import DetectionConfig
    from kaggle_kit.detection.detection_fold import load_fold_detector, predict_frame

    _, data = load_sample(root)
    cfg = load_config(DetectionConfig, ROOT / "configs" / "cowboy-cpu.yaml", ROOT / "configs", args)
    run = root / "runs" / "cowboy" / "cowboy-cpu"
    detector = load_fold_detector(cfg, data, 0, run / "fold0")
    test = data.test
    predict_frame(cfg, detector, data, test, idx=range(4))           # warm-up
    start = time.perf_counter()
    predict_frame(cfg, detector, data, test, idx=range(len(test.ids)))
    return (time.perf_counter() - start) / len(test.ids)


def seconds(r: dict) -> str:
    """Train + submit wall time; a variant recorded without one (interrupted and resumed) says so."""
    if r.get("train_s") is None:
        return "not timed (interrupted, resumed)"
    return f"{r['train_s']:.0f} s + {r['submit_s']:.0f} s"


def row(what: str, cv: dict, extra: str = "") -> str:
    ap50, ap = cv["per_class_AP50"], cv["per_class"]
    cells = " | ".join(f"{ap50[c]:.3f} / {ap[c]:.3f}" for c in CLASSES)
    return f"| {what} | **{cv['AP50']:.3f}** / {cv['score']:.3f} | {cells} | {extra} |"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path("/tmp/cowboy-study"))
    ap.add_argument("--best", default=None, help="ARGS of the best combination, run as one more variant")
    args = ap.parse_args()
    results = [(what, run_variant(args.work, name, a)) for what, name, a in VARIANTS]
    variants = list(VARIANTS)
    if args.best:
        variants.append(("best combination", "best", args.best))
        results.append(("best combination", run_best(args.work, results, args.best)))
    tta_what, tta_run = next((what, r) for what, r in results if r["root"].name == TTA_ON)
    base = tta_run["root"]
    tta_args = tta_run["args"]
    tta_times = {}
    for tta in TTAS:
        tta_times[tta] = make("cowboy-submit", base, f"{tta_args} tta={tta}", base / f"submit-{tta}.log")
    cost = {t: tta_cost(base, f"{tta_args} tta={t}") for t in ("none", *TTAS)}

    head = ("| variant | OOF AP50 / AP | " + " | ".join(f"{c} AP50 / AP" for c in CLASSES) + " | train + submit |\n"
            "| --- | --- | " + " | ".join("---" for _ in CLASSES) + " | --- |")
    table = [head] + [row(what, cv_of(r["root"], r.get("variant")), seconds(r))
                      for what, r in results]
    from kaggle_kit.detection.config import DetectionConfig

    names = {t: DetectionConfig(tta=t).tta_name() for t in TTAS}
    tta_table = [head.replace("train + submit", "prediction + fusion per image (one fold)")]
    tta_table.append(row(f"{tta_what}, tta=none", cv_of(base), f"{cost['none'] * 1000:.0f} ms"))
    for t in TTAS:
        tta_table.append(row(f"same checkpoints, tta={t}", cv_of(base, f"tta-{names[t]}"),
                             f"{cost[t] * 1000:.0f} ms ({cost[t] / cost['none']:.1f}x)"))
    body = "\n".join([
        "Each variant is `make cowboy-train && make cowboy-submit` with `configs/cowboy-cpu.yaml` and the ARGS "
        "below, on the drawn sample (360 training images; belt in 10 of them), 3 multilabel-stratified folds, the "
        "same folds and seed; figures are COCO AP50 / AP@[.5:.95] over all out-of-fold images (pycocotools). "
        f"Times are wall seconds on this machine ({os.cpu_count()} CPUs).", "",
        "| variant | ARGS |", "| --- | --- |", *[f"| {w} | `{a or '-'}` |" for w, _, a in variants], "",
        *table, "",
        f"Detection TTA on the checkpoints of {tta_what}: every fold predicts its OOF and test images again with "
        "the views (the image, its horizontal flip, and for hflip_scales the image at 0.8x and 1.2x of image_size, "
        "each flipped too; `tta_scales` as configured), maps boxes back and fuses the views with weighted boxes fusion; folds are then fused "
        "as before. Cost: one fold's prediction over the test images, decode to fused boxes, per image.", "",
        *tta_table])
    print(body)
    write_section(ROOT / "docs" / "BENCHMARKS.md", "cowboy-imbalance", "cowboyoutfits: class imbalance and "
                  "detection TTA, per class (sample)", body)


if __name__ == "__main__":
    main()
