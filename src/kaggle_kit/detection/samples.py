"""A drawn detection download in global-wheat-detection's layout (../shared/COMPETITIONS.md), for tests and
benchmarks of the CSV form: `train.csv` `image_id,width,height,bbox,source` with one row per box and `bbox` as
`[x, y, w, h]` in pixels, `train/<image_id>.jpg` (a few with no box, so absent from the CSV), `test/<image_id>.jpg`,
and `sample_submission.csv` `image_id,PredictionString` with every string empty. The objects are golden ellipses
(wheat heads) on a green-brown field, several per image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

LAYOUTS = ("wheat",)


def draw_field(rng: np.random.Generator, size: int, n: int) -> tuple[Image.Image, list[list[float]]]:
    bg = np.clip(rng.normal([90, 110, 50], 20), 20, 200)
    img = Image.new("RGB", (size, size), tuple(int(c) for c in bg))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(4, 10)):                     # leaves: green strokes, no box
        x, y = rng.integers(0, size, 2)
        draw.line([(x, y), (x + rng.integers(-30, 30), y + rng.integers(10, 40))],
                  fill=tuple(int(c) for c in np.clip(bg + rng.normal(0, 25, 3), 0, 255)), width=3)
    boxes = []
    for _ in range(n):
        w, h = rng.uniform(0.1, 0.2) * size, rng.uniform(0.12, 0.25) * size
        x, y = rng.uniform(0, size - w), rng.uniform(0, size - h)
        colour = tuple(int(c) for c in np.clip(rng.normal([210, 180, 80], 15), 0, 255))
        draw.ellipse([x, y, x + w, y + h], fill=colour)
        boxes.append([round(x, 1), round(y, 1), round(w, 1), round(h, 1)])
    arr = np.asarray(img, dtype=float) + rng.normal(0, 6, (size, size, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)), boxes


def wheat(dest: Path, n_train: int = 48, n_test: int = 12, n_empty: int = 3, size: int = 128, seed: int = 21) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    for folder, count in (("train", n_train), ("test", n_test)):
        (dest / folder).mkdir(parents=True, exist_ok=True)
        ids = [f"{rng.integers(0, 16**9):09x}" for _ in range(count)]
        for k, image_id in enumerate(ids):
            empty = folder == "train" and k < n_empty
            image, boxes = draw_field(rng, size, 0 if empty else int(rng.integers(2, 7)))
            image.save(dest / folder / f"{image_id}.jpg", quality=90)
            if folder == "train":
                rows += [{"image_id": image_id, "width": size, "height": size, "bbox": str(b),
                          "source": "usask_1" if k % 2 else "arvalis_1"} for b in boxes]
        if folder == "test":
            pd.DataFrame({"image_id": ids, "PredictionString": ""}).to_csv(dest / "sample_submission.csv",
                                                                           index=False)
    pd.DataFrame(rows).to_csv(dest / "train.csv", index=False)


def draw(layout: str, dest: Path) -> Path:
    {"wheat": wheat}[layout](dest)
    return dest
