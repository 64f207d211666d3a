"""classify-leaves against the loop a competitor would write: the whole `make leaves-train && make
leaves-submit` (two processes, as a user runs them) against one plain PyTorch + timm process doing the same
work, on drawn 224x224 JPEGs in the real layout (4,000 training images in 2 folds, 1,000 test images).

The same work: resnet18 from random initialisation at 56 px, 8 epochs, batch 64, AdamW with the config's rate,
weight decay and warmup + cosine per step, label smoothing, no augmentation, validation once per fold, the
last weights kept, test predicted by the fold mean without TTA; validation and test images resized whole to
56 px, as for training (`eval_resize=null`; the default, 1.14, resizes them to 64 px and crops the centre 56).
The plain loop decodes and resizes every image once into memory. The pipeline runs a copy of
configs/leaves-cpu.yaml with these ARGS; then the defaults' extras are measured one at a time: per-epoch
validation keeping the best epoch, duplicate hashing, and the start-up of one more Python process. Writes the
leaves-loop section of docs/BENCHMARKS.md.

    python scripts/bench_leaves_loop.py             (about 25 minutes on 2 CPUs)"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

N_TRAIN, N_TEST, SIZE, EPOCHS, BATCH, FOLDS = 4000, 1000, 56, 8, 64, 2
ARGS = (f"model=resnet18 pretrained=false image_size={SIZE} epochs={EPOCHS} folds={FOLDS} batch_size={BATCH} "
        f"augment=none tta=none val_every={EPOCHS} checkpoint=last duplicate_distance=null progress_bar=false "
        "eval_resize=null")   # validated and predicted on the whole image at 56 px, as trained and as the loop does
EXTRAS = [("+ validation every epoch, best epoch kept (val_every=1 checkpoint=best)", "val_every=1 checkpoint=best"),
          ("+ duplicate hashing (duplicate_distance=2)", "duplicate_distance=2")]


def draw(dest: Path) -> Path:
    """The leaves layout with N_TRAIN + N_TEST drawn leaves (made once, kept for later runs)."""
    import numpy as np
    import pandas as pd
    from tqdm.auto import tqdm

    from competitions.classify_leaves.sample import CLASSES, draw_leaf

    if (dest / "sample_submission.csv").is_file():
        return dest
    labels = sorted(CLASSES)
    rng = np.random.default_rng(0)
    y = [labels[i] for i in rng.integers(0, len(labels), N_TRAIN + N_TEST)]
    (dest / "images").mkdir(parents=True, exist_ok=True)
    for i in tqdm(range(N_TRAIN + N_TEST), desc="drawing images", unit="img", mininterval=2):
        draw_leaf(CLASSES[y[i]], np.random.default_rng(i)).save(dest / "images" / f"{i}.jpg", quality=85)
    names = [f"images/{i}.jpg" for i in range(N_TRAIN + N_TEST)]
    pd.DataFrame({"image": names[:N_TRAIN], "label": y[:N_TRAIN]}).to_csv(dest / "train.csv", index=False)
    pd.DataFrame({"image": names[N_TRAIN:]}).to_csv(dest / "test.csv", index=False)
    pd.DataFrame({"image": names[N_TRAIN:], "label": y[N_TRAIN:]}).to_csv(dest / "sample_submission.csv", index=False)
    return dest


def plain(data: Path, out: Path) -> None:
    """The plain loop, in this process: decode once, train each fold, validate once, fold-mean test answer."""
    import cv2
    import numpy as np
    import pandas as pd
    import timm
    import torch
    import torch.nn.functional as F

    from kaggle_kit.config import load_config
    from kaggle_kit.pipeline.folds import make_folds
    from kaggle_kit.training.optim import optimizer_with_schedule, param_groups
    from kaggle_kit.vision.config import ImageClassifierConfig
    from kaggle_kit.vision.images import read_rgb

    cfg = load_config(ImageClassifierConfig, ROOT / "configs" / "leaves-cpu.yaml", ROOT / "configs", ARGS)
    train, test = pd.read_csv(data / "train.csv"), pd.read_csv(data / "test.csv")
    labels = sorted(train["label"].unique())
    y = torch.tensor(pd.Index(labels).get_indexer(train["label"]))

    def decode(names):
        return torch.from_numpy(np.stack([cv2.resize(read_rgb(data / n), (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
                                          for n in names])).permute(0, 3, 1, 2).contiguous()

    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) * 255
    x, xt = decode(train["image"]), decode(test["image"])
    fold = make_folds(len(train), FOLDS, cfg.fold_seed, "stratified", y=y.numpy())
    correct, probs = 0, []
    for k in range(FOLDS):
        tr, va = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        torch.manual_seed(k)
        net = timm.create_model("resnet18", num_classes=len(labels)).to(memory_format=torch.channels_last)
        steps = math.ceil(len(tr) / BATCH)
        opt = optimizer_with_schedule(param_groups(net, cfg.lr, cfg.weight_decay), cfg, steps)
        opt, sched = opt["optimizer"], opt["lr_scheduler"]["scheduler"]
        g = torch.Generator().manual_seed(k)
        for _ in range(EPOCHS):
            net.train()
            order = torch.from_numpy(tr)[torch.randperm(len(tr), generator=g)]
            for s in range(0, len(order), BATCH):
                b = order[s:s + BATCH]
                loss = F.cross_entropy(net((x[b].float() - mean) / std), y[b], label_smoothing=cfg.label_smoothing)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        net.eval()
        with torch.no_grad():
            for s in range(0, len(va), 256):
                b = torch.from_numpy(va[s:s + 256])
                correct += int((net((x[b].float() - mean) / std).argmax(1) == y[b]).sum())
            probs.append(torch.cat([net((xt[s:s + 256].float() - mean) / std).softmax(1)
                                    for s in range(0, len(xt), 256)]))
    answer = np.asarray(labels, dtype=object)[torch.stack(probs).mean(0).argmax(1).numpy()]
    pd.DataFrame({"image": test["image"], "label": answer}).to_csv(out / "plain.csv", index=False)
    (out / "plain.json").write_text(json.dumps({"accuracy": correct / len(train)}))


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:6])} failed:\n{proc.stderr[-3000:]}")
    return seconds


def pipeline(data: Path, root: Path, exp: str, args: str) -> tuple[float, float, float]:
    """(train seconds, submit seconds, CV accuracy) of the make targets' CLI, each in its own process."""
    env = {**os.environ, "KIT_ROOT": str(root), "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    config = root / "configs" / f"{exp}.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text((ROOT / "configs" / "leaves-cpu.yaml").read_text())
    common = ["leaves", "--data", str(data), "--config", str(config), "--args", args]
    train = timed([sys.executable, "-m", "kaggle_kit", "train", *common], env)
    submit = timed([sys.executable, "-m", "kaggle_kit", "submit", *common], env)
    cv = json.loads((root / "runs" / "leaves" / exp / "cv.json").read_text())
    return train, submit, cv["score"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--plain", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    p.add_argument("--images-dir", default=str(Path(tempfile.gettempdir()) / "kaggle-kit-bench" / "leaves-loop"))
    args = p.parse_args()
    if args.plain:
        plain(Path(args.plain[0]), Path(args.plain[1]))
        return
    from bench_report import write_section

    data = draw(Path(args.images_dir))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1"}
        t_plain = timed([sys.executable, __file__, "--plain", str(data), str(tmp)], env)
        acc_plain = json.loads((tmp / "plain.json").read_text())["accuracy"]
        print(f"plain loop: {t_plain:.1f} s, accuracy {acc_plain:.4f}", file=sys.stderr, flush=True)
        rows = []
        train, submit, acc = pipeline(data, tmp / "same", "leaves-loop", ARGS)
        base = train + submit
        print(f"pipeline: {train:.1f} + {submit:.1f} s, CV {acc:.4f}", file=sys.stderr, flush=True)
        rows.append(("pipeline, the same work: `make leaves-train && make leaves-submit` with ARGS", train, submit,
                     acc))
        for i, (name, extra) in enumerate(EXTRAS):
            t, s, a = pipeline(data, tmp / f"extra{i}", "leaves-loop", f"{ARGS} {extra}")
            rows.append((name, t, s, a))
            print(f"{name}: {t:.1f} + {s:.1f} s", file=sys.stderr, flush=True)
        imports = "import torch, timm, lightning, albumentations, kaggle_kit.vision.classification_fold"
        t_start = timed([sys.executable, "-c", imports], env)
    table = ["| what | train (s) | submit (s) | total (s) | ratio to the plain loop | CV accuracy |",
             "| --- | --- | --- | --- | --- | --- |",
             f"| plain PyTorch + timm loop, one process (baseline) | | | {t_plain:.1f} | 1.00 | {acc_plain:.4f} |"]
    for name, t, s, a in rows:
        table.append(f"| {name} | {t:.1f} | {s:.1f} | {t + s:.1f} | **{(t + s) / t_plain:.2f}** | {a:.4f} |")
    body = (f"Data: {N_TRAIN} drawn 224x224 JPEG leaves in the real layout, {FOLDS} folds, {N_TEST} test images; "
            f"x86_64, {os.cpu_count()} CPUs. ARGS: `{ARGS}`. The plain loop's accuracy is its validation rows' "
            "(each fold's last weights), the pipeline's the CV in cv.json.\n\n" + "\n".join(table)
            + f"\n\nThe pipeline's two processes start twice what the plain loop starts once: importing torch, "
            f"timm, Lightning and the kit costs {t_start:.1f} s a process ({t_start / t_plain:.1%} of the loop). "
            f"Same work: {base / t_plain:.2f}x the plain loop (target 1.10x).")
    write_section(ROOT / "docs" / "BENCHMARKS.md", "leaves-loop", "classify-leaves: the pipeline against a plain "
                  "loop doing the same work", body)
    print(body)


if __name__ == "__main__":
    main()
