"""classify-leaves benchmark at 112 px, side by side in one run, on drawn 224x224 JPEGs like the real ones:
- training throughput of the pipeline (JPEG decode + augmentation in DataLoader workers + forward + backward
  + step under Lightning) against the ceiling of the same model, batch size and optimizer on random tensors
  already in memory;
- submit throughput (decode + eval transform + TTA forward passes of every fold's model over the test images,
  decoded once into the cache) against the in-memory forward ceiling divided by the number of TTA views; and
  the same for one model decoding as it goes;
- peak memory (RSS of the main process and of the largest worker) of one training epoch on 1,000 and on
  10,000 images, each in a fresh process.
Writes its section of docs/BENCHMARKS.md.

Usage: python scripts/bench_leaves.py [--config configs/leaves-cpu.yaml] [--repeats 3] [--images-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from lightning.pytorch.callbacks import Callback  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from competitions.classify_leaves.sample import CLASSES, draw_leaf  # noqa: E402
from kaggle_kit.config import load_config  # noqa: E402
from kaggle_kit.training.optim import build_optimizer, param_groups  # noqa: E402
from kaggle_kit.training.replay import SampleSeeds  # noqa: E402
from kaggle_kit.training.samplers import EpochShuffleSampler  # noqa: E402
from kaggle_kit.training.trainer import fit_fold  # noqa: E402
from kaggle_kit.vision.classification_fold import (  # noqa: E402
    build_module,
    create_model,
    loader,
    rows_loader,
    test_batches,
)
from kaggle_kit.vision.config import ImageClassifierConfig  # noqa: E402
from kaggle_kit.vision.image_source import training_source  # noqa: E402
from kaggle_kit.vision.kind import ImageData  # noqa: E402
from kaggle_kit.vision.normalize import ImageNormalize  # noqa: E402
from kaggle_kit.vision.transforms import eval_transform, train_transform  # noqa: E402
from kaggle_kit.vision.tta import crops, n_views, predict_probs  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from bench_report import write_section  # noqa: E402

IMAGE_SIZE = 112
LABELS = sorted(CLASSES)


def make_images(dest: Path, n: int) -> ImageData:
    """n drawn leaves as 224x224 JPEGs (made once, kept for later runs)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, len(LABELS), n)
    names = [f"images/{i}.jpg" for i in range(n)]
    (dest / "images").mkdir(parents=True, exist_ok=True)
    for i in tqdm(range(n), desc="drawing images", unit="img", mininterval=2):
        path = dest / names[i]
        if not path.is_file():
            draw_leaf(CLASSES[LABELS[y[i]]], np.random.default_rng(i)).save(path, quality=85)
    return ImageData(ids=names, test_ids=names, fingerprint="bench", stratify=y, root=dest, images=names, y=y,
                     labels=LABELS, test_images=names)


def bench_config(path: Path, workers: int | None) -> ImageClassifierConfig:
    cfg = load_config(ImageClassifierConfig, path, ROOT / "configs", f"image_size={IMAGE_SIZE} progress_bar=false")
    return cfg if workers is None else cfg.model_copy(update={"num_workers": workers})


class TrainTimer(Callback):
    """Seconds of each epoch's training part: from the epoch's start (first batch fetched included) to the
    start of its validation."""

    def __init__(self):
        self.seconds: list[float] = []

    def on_train_epoch_start(self, trainer, pl_module):
        self.start = time.perf_counter()

    def on_validation_start(self, trainer, pl_module):
        self.seconds.append(time.perf_counter() - self.start)


def pipeline_train(cfg: ImageClassifierConfig, data: ImageData, n: int, epochs: int = 2,
                   cache_dir: Path | None = None) -> float:
    """Images per second of the last training epoch, through the same loaders and module as a leaves fold:
    with a cache_dir, the training images come from the fold's source (decoded once into the shared cache,
    the augmentation in the workers); without, decoded from their files per item."""
    torch.manual_seed(0)
    net = create_model(cfg, len(LABELS))
    names, y = data.images[:n], data.y[:n]
    sub = replace(data, ids=names, stratify=y, images=names, y=y, fingerprint=f"{data.fingerprint}-{n}")
    source = training_source(cfg, sub, train_transform(cfg), cache_dir)
    train_loader = rows_loader(source, np.arange(n), y, cfg=cfg, sampler=SampleSeeds(EpochShuffleSampler(n, 0), 0),
                               drop_last=True)
    val_loader = loader(data, data.images[-cfg.batch_size:], data.y[-cfg.batch_size:], eval_transform(cfg, False), cfg=cfg)
    module = build_module(cfg, net, len(train_loader), len(LABELS))
    timer = TrainTimer()
    with tempfile.TemporaryDirectory() as tmp:
        fit_fold(module, train_loader, val_loader, cfg.model_copy(update={"epochs": epochs}), fold_dir=Path(tmp),
                 monitor="val_acc", mode="max", seed=0, extra_callbacks=(timer,))
    return len(train_loader) * cfg.batch_size / timer.seconds[-1]


def ceiling_train(cfg: ImageClassifierConfig, steps: int) -> float:
    """Images per second of forward + backward + step on random tensors already in memory."""
    torch.manual_seed(0)
    net = create_model(cfg, len(LABELS)).train()
    opt = build_optimizer(param_groups(net, cfg.lr, cfg.weight_decay, net.get_classifier(), head_lr_mult=cfg.head_rate),
                          cfg.optimizer, cfg.lr, cfg.momentum)
    x = torch.randn(cfg.batch_size, 3, IMAGE_SIZE, IMAGE_SIZE)
    y = torch.randint(0, len(LABELS), (cfg.batch_size,))

    def step():
        loss = torch.nn.functional.cross_entropy(net(x), y, label_smoothing=cfg.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * cfg.batch_size / (time.perf_counter() - start)


def pipeline_submit(cfg: ImageClassifierConfig, data: ImageData, n: int, tta: str) -> float:
    """Images per second of a fold's test prediction: fresh loader, decode, eval transform, TTA views."""
    torch.manual_seed(0)
    net = create_model(cfg, len(LABELS))
    names = data.images[:n]
    start = time.perf_counter()
    probs = predict_probs(net, loader(data, names, None, eval_transform(cfg, crops(tta)), cfg=cfg), tta, IMAGE_SIZE,
                          normalize=ImageNormalize.for_model(net))
    assert probs.shape == (n, len(LABELS))
    return n / (time.perf_counter() - start)


def pipeline_submit_folds(cfg: ImageClassifierConfig, data: ImageData, n: int, tta: str, ceiling) -> tuple[float, float]:
    """Images per second of a submit's test predictions, as `make leaves-submit` makes them: every fold's model
    over the same n test images, the test set decoded once into a fresh cache (its building timed too). Each
    fold's pass is timed between two runs of `ceiling()` (img/s); returns the pipeline's rate and the
    ceiling's rate over the same passes."""
    torch.manual_seed(0)
    nets = [create_model(cfg, len(LABELS)) for _ in range(cfg.folds)]
    with tempfile.TemporaryDirectory() as tmp:
        sub = replace(data, test_ids=data.test_ids[:n], test_images=data.test_images[:n])
        transform = eval_transform(cfg, crops(tta))
        seconds = ceiling_seconds = 0.0
        before = ceiling()
        for net in nets:
            start = time.perf_counter()
            probs = predict_probs(net, test_batches(cfg, sub, transform, Path(tmp)), tta, IMAGE_SIZE,
                                  normalize=ImageNormalize.for_model(net))
            seconds += time.perf_counter() - start
            assert probs.shape == (n, len(LABELS))
            after = ceiling()
            ceiling_seconds += n / ((before + after) / 2)
            before = after
    return len(nets) * n / seconds, len(nets) * n / ceiling_seconds


@torch.no_grad()
def ceiling_submit(cfg: ImageClassifierConfig, n: int) -> float:
    """Images per second of one forward pass + softmax on random tensors already in memory."""
    torch.manual_seed(0)
    net = create_model(cfg, len(LABELS)).eval()
    x = torch.randn(cfg.batch_size, 3, IMAGE_SIZE, IMAGE_SIZE)
    torch.softmax(net(x), 1)
    batches = n // cfg.batch_size
    start = time.perf_counter()
    for _ in range(batches):
        torch.softmax(net(x), 1)
    return batches * cfg.batch_size / (time.perf_counter() - start)


def memory_child(cfg_path: Path, images_dir: Path, n: int, workers: int | None) -> None:
    """One training epoch on n images in this fresh process; prints peak RSS (MiB) of it and of its workers."""
    cfg = bench_config(cfg_path, workers)
    data = make_images(images_dir, n)
    ips = pipeline_train(cfg, data, n, epochs=1)
    self_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"n": n, "main_mib": self_mib, "worker_mib": worker_mib, "img_per_s": ips}))


def peak_memory(cfg_path: Path, images_dir: Path, n: int, workers: int | None) -> dict:
    cmd = [sys.executable, __file__, "--config", str(cfg_path), "--images-dir", str(images_dir),
           "--memory-child", str(n)] + ([] if workers is None else ["--workers", str(workers)])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "leaves-cpu.yaml")
    ap.add_argument("--images-dir", type=Path, default=Path(os.environ.get("KIT_ROOT") or ROOT) / "data" / "bench"
                    / "leaves-drawn")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--train-images", type=int, default=640)
    ap.add_argument("--submit-images", type=int, default=2000)
    ap.add_argument("--fold-images", type=int, default=1000, help="test images each fold model predicts")
    ap.add_argument("--ceiling-images", type=int, default=640)
    ap.add_argument("--memory-sizes", default="1000,10000")
    ap.add_argument("--workers", type=int, default=None, help="override the config's num_workers")
    ap.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        return memory_child(args.config, args.images_dir, args.memory_child, args.workers)

    cfg = bench_config(args.config, args.workers)
    sizes = [int(s) for s in args.memory_sizes.split(",")]
    data = make_images(args.images_dir, max(sizes + [args.train_images, args.submit_images, args.fold_images]))
    tta_modes = ["none"] + ([cfg.tta] if cfg.tta != "none" else [])
    rows = {"train": ([], []), **{f"{what} {t}": ([], []) for t in tta_modes for what in ("submit", "one")}}
    for r in range(args.repeats):
        # Each pipeline run sits between two ceiling runs and is compared with their mean: the speed of a shared
        # machine drifts on the scale of seconds, so only neighbouring measurements are comparable.
        print(f"repeat {r + 1}/{args.repeats}", file=sys.stderr, flush=True)
        train_steps = args.train_images // cfg.batch_size
        before = ceiling_train(cfg, train_steps)
        rows["train"][0].append(pipeline_train(cfg, data, args.train_images, cache_dir=args.images_dir / "cache"))
        rows["train"][1].append((before + ceiling_train(cfg, train_steps)) / 2)
        for t in tta_modes:
            c, views = cfg.model_copy(update={"tta": t}), n_views(t, IMAGE_SIZE)
            pipe, ceil = pipeline_submit_folds(c, data, args.fold_images, t,
                                               lambda v=views: ceiling_submit(cfg, args.ceiling_images) / v)
            rows[f"submit {t}"][0].append(pipe)
            rows[f"submit {t}"][1].append(ceil)
            before = ceiling_submit(cfg, args.ceiling_images)
            rows[f"one {t}"][0].append(pipeline_submit(c, data, args.submit_images, t))
            rows[f"one {t}"][1].append((before + ceiling_submit(cfg, args.ceiling_images)) / 2 / views)
    memory = [peak_memory(args.config, args.images_dir, n, args.workers) for n in sizes]

    def line(what, pipe, ceil, target):
        ratios = [p / c for p, c in zip(pipe, ceil, strict=True)]
        return (f"| {what} | {statistics.median(pipe):.1f} | {statistics.median(ceil):.1f} | "
                f"**{statistics.median(ratios):.2f}** | {min(ratios):.2f} - {max(ratios):.2f} | {target} |")

    table = ["| what | pipeline img/s, median | ceiling img/s (mean of the runs either side), median | ratio, median | "
             "ratio, range | goal |", "| --- | --- | --- | --- | --- | --- |",
             line("training (decode + augment + forward + backward + step)", *rows["train"], ">= 0.90")]
    for t in tta_modes:
        views = n_views(t, IMAGE_SIZE)
        table.append(line(f"submit, tta={t} ({views} view{'s' if views > 1 else ''}): {cfg.folds} fold models "
                          f"over the test images, decoded once; ceiling = forward ceiling / {views}",
                          *rows[f"submit {t}"], ">= 0.90"))
    for t in tta_modes:
        views = n_views(t, IMAGE_SIZE)
        table.append(line(f"one model, tta={t}, images decoded as it goes (a fold's validation rows, or "
                          f"cache_test_images=false); ceiling = forward ceiling / {views}", *rows[f"one {t}"],
                          "(reported)"))
    mem = ["| images | peak RSS, main process (MiB) | peak RSS, largest worker (MiB) | total (MiB) | "
           "epoch img/s |", "| --- | --- | --- | --- | --- |"]
    mem += [f"| {m['n']:,} | {m['main_mib']:.0f} | {m['worker_mib']:.0f} | {m['main_mib'] + m['worker_mib']:.0f} | "
            f"{m['img_per_s']:.1f} |" for m in memory]
    growth = (memory[-1]["main_mib"] + memory[-1]["worker_mib"]) / (memory[0]["main_mib"] + memory[0]["worker_mib"])
    body = "\n".join([
        f"Config `{args.config.relative_to(ROOT) if args.config.is_relative_to(ROOT) else args.config}` at "
        f"{IMAGE_SIZE} px: model `{cfg.model}`, batch {cfg.batch_size}, {cfg.optimizer}, num_workers "
        f"{cfg.num_workers}, {torch.get_num_threads()} torch threads; {platform.machine()}, {os.cpu_count()} CPUs. "
        f"Images: drawn 224x224 JPEGs (quality 85, like the real ones) read from disk. Training: the second of two "
        f"epochs over {args.train_images} images, through the same loader, transforms and module as a leaves "
        f"fold, under Lightning (the images decoded once into the fold's shared cache, augmented in the workers); its ceiling is the same model, batch and optimizer stepping on one random batch "
        f"in memory. Submit: the {cfg.folds} fold models each predict the same {args.fold_images} test images "
        f"with the TTA views, from the test set decoded once into a fresh cache (building it is timed; as in "
        f"`make leaves-submit`), each fold's pass timed between two ceiling runs; one model: a fresh loader over {args.submit_images} images (worker start-up "
        f"included) decoding as it goes. Ceiling: the in-memory forward + softmax divided by the number of views. "
        f"Every pipeline run is measured between two ceiling runs and divided by their mean (the machine's speed "
        f"drifts within seconds); {args.repeats} repeats: the median ratio and the range.",
        "", *table, "",
        f"Peak memory of one training epoch, each size in a fresh process (the dataset holds file names only; "
        f"images are decoded per item in the workers): {sizes[-1]:,} images use **{growth:.2f}x** the memory of "
        f"{sizes[0]:,} (goal: at most 1.10x).", "", *mem])
    print(body)
    write_section(ROOT / "docs" / "BENCHMARKS.md", "leaves", "classify-leaves: loading, training and submit "
                  "throughput against the in-memory ceiling; memory", body)


if __name__ == "__main__":
    main()
