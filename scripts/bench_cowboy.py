"""cowboyoutfits benchmark, side by side in one run on the drawn sample: training images per second of the
pipeline (decode + resize + augment in workers, detector losses, backward, step under Lightning) against the
same detector stepping on the same images already resized in memory; inference images per second of a
fold's prediction (fresh loader, decode, resize, detector, boxes back to original pixels) against the
detector's forward on in-memory images. Writes its section of docs/BENCHMARKS.md.

Usage: python scripts/bench_cowboy.py [--config configs/cowboy-cpu.yaml] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_leaves import TrainTimer  # noqa: E402
from bench_report import write_section  # noqa: E402

from competitions.cowboy_outfits.sample import build_sample  # noqa: E402
from kaggle_kit.config import load_config  # noqa: E402
from kaggle_kit.detection.config import DetectionConfig  # noqa: E402
from kaggle_kit.detection.detection_fold import create_detector, loader, predict_frame  # noqa: E402
from kaggle_kit.detection.detector_module import DetectorModule, to_float  # noqa: E402
from kaggle_kit.detection.detectors import label_offset  # noqa: E402
from kaggle_kit.registry import get_task  # noqa: E402
from kaggle_kit.training.samplers import EpochShuffleSampler  # noqa: E402
from kaggle_kit.training.trainer import fit_fold  # noqa: E402

INFER_PASSES = 3


def pipeline_train(cfg, data, idx) -> float:
    torch.manual_seed(0)
    detector = create_detector(cfg, len(data.categories))
    train_loader = loader(data, data.train, idx, cfg, augment=cfg.augment, with_boxes=True,
                          sampler=EpochShuffleSampler(len(idx), 0))
    val_loader = loader(data, data.train, idx[:cfg.batch_size], cfg, augment="none", with_boxes=True)
    module = DetectorModule(detector, cfg, len(train_loader), label_offset=label_offset(cfg.detector),
                            categories=data.categories, ground_truth=data.gt)
    timer = TrainTimer()
    with tempfile.TemporaryDirectory() as tmp:
        fit_fold(module, train_loader, val_loader, cfg.model_copy(update={"epochs": 2, "val_every": 1}),
                 fold_dir=Path(tmp), monitor="val_ap50", mode="max", seed=0, extra_callbacks=(timer,))
    return len(train_loader) * cfg.batch_size / timer.seconds[-1]


def in_memory_batches(cfg, data, images, idx, *, with_boxes: bool = True):
    """The same images, decoded, resized and un-augmented once, as the detector's inputs (with their boxes)."""
    return [(to_float(ims), [{"boxes": t["boxes"], "labels": t["labels"]} for t in targets] if with_boxes else None)
            for ims, targets, _ in loader(data, images, idx, cfg, augment="none", with_boxes=with_boxes)]


def ceiling_train(cfg, data, batches) -> float:
    torch.manual_seed(0)
    detector = create_detector(cfg, len(data.categories)).train()
    opt = torch.optim.AdamW(detector.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    def step(images, targets):
        loss = sum(detector(images, targets).values())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(detector.parameters(), cfg.grad_clip or 1e9)
        opt.step()

    step(*batches[0])
    start = time.perf_counter()
    for images, targets in batches:
        step(images, targets)
    return sum(len(b[0]) for b in batches) / (time.perf_counter() - start)


def pipeline_infer(cfg, data, detector) -> float:
    test = data.test
    start = time.perf_counter()
    predict_frame(cfg, detector, data, test, idx=range(len(test.ids)))
    return len(test.ids) / (time.perf_counter() - start)


@torch.no_grad()
def ceiling_infer(detector, batches) -> float:
    detector.eval()
    detector(batches[0][0])
    start = time.perf_counter()
    for images, _ in batches:
        detector(images)
    return sum(len(b[0]) for b in batches) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "cowboy-cpu.yaml")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--images", type=int, default=160)
    args = ap.parse_args()
    cfg = load_config(DetectionConfig, args.config, ROOT / "configs", "progress_bar=false")
    root = Path(os.environ.get("KIT_ROOT") or ROOT) / "data" / "samples" / "cowboyoutfits"
    if not (root / "train.json").is_file():
        build_sample(root)
    data = get_task("cowboy").load(root)
    idx = np.arange(args.images)
    batches = in_memory_batches(cfg, data, data.train, idx)
    test_batches = in_memory_batches(cfg, data, data.test, range(len(data.test.ids)), with_boxes=False)
    torch.manual_seed(0)
    detector = create_detector(cfg, len(data.categories))
    rows = {"train": ([], []), "infer": ([], [])}
    for r in range(args.repeats):
        print(f"repeat {r + 1}/{args.repeats}", file=sys.stderr, flush=True)
        rows["train"][0].append(pipeline_train(cfg, data, idx))
        rows["train"][1].append(ceiling_train(cfg, data, batches))
        for _ in range(INFER_PASSES):      # a pass is ~2 s: alternated several times, so noise hits both alike
            rows["infer"][0].append(pipeline_infer(cfg, data, detector))
            rows["infer"][1].append(ceiling_infer(detector, test_batches))

    def line(what, pipe, ceil):
        return (f"| {what} | {max(pipe):.1f} | {max(ceil):.1f} | **{max(pipe) / max(ceil):.2f}** | "
                f"{statistics.median(pipe):.1f} | {statistics.median(ceil):.1f} | "
                f"{statistics.median(pipe) / statistics.median(ceil):.2f} |")

    body = "\n".join([
        f"Config `{args.config.name}`: {cfg.detector} on `{cfg.backbone}`, {cfg.image_size} px, batch "
        f"{cfg.batch_size}, num_workers {cfg.num_workers}, {torch.get_num_threads()} torch threads; "
        f"{platform.machine()}, {os.cpu_count()} CPUs. Training: the second of two epochs over {args.images} "
        f"sample images (256-384 px JPEGs) through the pipeline's loader, augmentation and module under "
        f"Lightning; its ceiling is the same detector stepping on the same images already decoded and resized "
        f"in memory. Inference: a fold's prediction of the {len(data.test.ids)} valid and test "
        f"images (fresh loader, decode, resize, boxes back to original pixels); its ceiling is the forward "
        f"pass on the same images in memory. {args.repeats} alternating repeats ({INFER_PASSES} alternating "
        f"passes each for inference): best and median.", "",
        "| what | pipeline img/s, best | ceiling img/s, best | ratio, best | pipeline img/s, median | "
        "ceiling img/s, median | ratio, median |", "| --- | --- | --- | --- | --- | --- | --- |",
        line("training", *rows["train"]), line("inference", *rows["infer"])])
    print(body)
    write_section(ROOT / "docs" / "BENCHMARKS.md", "cowboy-speed", "cowboyoutfits: training and inference "
                  "throughput against the in-memory ceiling", body)


if __name__ == "__main__":
    main()
