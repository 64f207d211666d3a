"""A synthetic cowboyoutfits download: train.json (COCO: the five real category ids and names, [x, y, w, h]
boxes as 2-decimal floats, some with a segmentation), images/<16 hex>.jpg of varied sizes, valid.csv and
test.csv (id,file_name) with unsigned 64-bit ids, most above 2**63-1.

Each image holds one to three drawn people; a person may wear a cowboy hat, sunglasses, a jacket, boots and
(rarely) a belt, each drawn with its own shape and colour and boxed exactly. The wear rates follow the real
box counts: sunglasses and jackets most common, belt about 1 box in 100."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

CATEGORIES = [{"id": 87, "name": "belt"}, {"id": 1034, "name": "sunglasses"}, {"id": 131, "name": "boot"},
              {"id": 318, "name": "cowboy_hat"}, {"id": 588, "name": "jacket"}]
# chance that a drawn person wears each item (real boxes: belt 25, boot 449, hat 595, jacket 2195, glasses 2330)
WEAR = {"sunglasses": 0.72, "jacket": 0.68, "cowboy_hat": 0.19, "boot": 0.14, "belt": 0.012}
N_TRAIN, N_VALID, N_TEST = 360, 60, 60
SIZES = (256, 384)                          # width and height drawn from this range


def uint64_id(rng: np.random.Generator) -> int:
    """An unsigned 64-bit id, above 2**63-1 four times in five (as Python int: never through int64)."""
    high = rng.random() < 0.8
    lo, hi = (2**63, 2**64 - 1) if high else (10**15, 2**63 - 1)
    return int(lo + int(rng.integers(0, 2**62)) * ((hi - lo) // 2**62))


def person(draw: ImageDraw.ImageDraw, rng: np.random.Generator, cx: float, top: float, *, h: float) -> list:
    """Draw one person standing at (cx, top) of height h; return [(category name, [x1, y1, x2, y2])]."""
    boxes = []
    skin = tuple(int(c) for c in rng.uniform([150, 100, 70], [240, 190, 160]))
    head_r, body_w = 0.08 * h, 0.26 * h
    head_c = (cx, top + 0.2 * h)
    shirt = tuple(int(c) for c in rng.uniform(120, 230, 3))
    legs = tuple(int(c) for c in rng.uniform(30, 110, 3))
    draw.rectangle([cx - body_w / 2, top + 0.3 * h, cx + body_w / 2, top + 0.62 * h], fill=shirt)      # torso
    draw.rectangle([cx - body_w / 2.3, top + 0.62 * h, cx + body_w / 2.3, top + 0.95 * h], fill=legs)  # legs
    draw.ellipse([head_c[0] - head_r, head_c[1] - head_r, head_c[0] + head_r, head_c[1] + head_r], fill=skin)
    if rng.random() < WEAR["jacket"]:
        colour = tuple(int(c) for c in rng.choice([[40, 60, 140], [90, 60, 30], [30, 30, 30], [120, 20, 20]])
                       + rng.integers(-15, 15, 3))
        x1, y1, x2, y2 = cx - body_w * 0.62, top + 0.29 * h, cx + body_w * 0.62, top + 0.64 * h
        draw.polygon([(x1, y1 + 0.04 * h), (cx - 0.03 * h, y1), (cx, y1 + 0.12 * h), (cx + 0.03 * h, y1),
                      (x2, y1 + 0.04 * h), (x2, y2), (x1, y2)], fill=colour)                     # V-neck
        draw.line([(cx, y1 + 0.12 * h), (cx, y2)], fill=tuple(max(0, c - 30) for c in colour), width=2)
        boxes.append(("jacket", [x1, y1, x2, y2]))
    if rng.random() < WEAR["belt"]:
        y = top + 0.61 * h
        x1, x2 = cx - body_w / 2, cx + body_w / 2
        draw.rectangle([x1, y - 0.018 * h, x2, y + 0.018 * h], fill=(70, 40, 15))
        draw.rectangle([cx - 0.025 * h, y - 0.025 * h, cx + 0.025 * h, y + 0.025 * h], fill=(220, 190, 60))
        boxes.append(("belt", [x1, y - 0.025 * h, x2, y + 0.025 * h]))
    if rng.random() < WEAR["boot"]:
        colour = tuple(int(c) for c in rng.uniform([60, 30, 10], [120, 70, 30]))
        for side in (-1, 1):
            x = cx + side * body_w / 4.5
            b = [x - 0.045 * h, top + 0.84 * h, x + 0.045 * h + side * 0.04 * h, top + h]
            b = [min(b[0], b[2]), b[1], max(b[0], b[2]), b[3]]
            draw.polygon([(x - 0.045 * h, b[1]), (x + 0.045 * h, b[1]), (x + 0.045 * h, top + 0.95 * h),
                          (x + 0.045 * h + side * 0.04 * h, top + 0.95 * h),
                          (x + 0.045 * h + side * 0.04 * h, top + h), (x - 0.045 * h, top + h)], fill=colour)
            boxes.append(("boot", b))
    if rng.random() < WEAR["sunglasses"]:
        y, w = head_c[1] - 0.01 * h, 0.045 * h
        lens = (15, 15, 20) if rng.random() < 0.7 else (120, 20, 20)
        for side in (-1, 1):
            draw.ellipse([cx + side * 0.045 * h - w, y - 0.6 * w, cx + side * 0.045 * h + w, y + 0.6 * w],
                         fill=lens)
        draw.line([(cx - 0.01 * h, y), (cx + 0.01 * h, y)], fill=lens, width=2)
        boxes.append(("sunglasses", [cx - 0.09 * h, y - 0.6 * w, cx + 0.09 * h, y + 0.6 * w]))
    if rng.random() < WEAR["cowboy_hat"]:
        colour = tuple(int(c) for c in rng.uniform([110, 70, 30], [200, 150, 90]))
        brim_y = head_c[1] - 0.45 * head_r
        draw.ellipse([cx - 0.17 * h, brim_y - 0.025 * h, cx + 0.17 * h, brim_y + 0.025 * h], fill=colour)
        draw.polygon([(cx - 0.075 * h, brim_y), (cx - 0.06 * h, brim_y - 0.1 * h), (cx, brim_y - 0.085 * h),
                      (cx + 0.06 * h, brim_y - 0.1 * h), (cx + 0.075 * h, brim_y)], fill=colour)
        boxes.append(("cowboy_hat", [cx - 0.17 * h, brim_y - 0.1 * h, cx + 0.17 * h, brim_y + 0.025 * h]))
    return boxes


def draw_image(rng: np.random.Generator) -> tuple[Image.Image, list]:
    w, h = (int(v) for v in rng.integers(SIZES[0], SIZES[1] + 1, 2))
    bg = np.clip(rng.normal(170, 40, 3), 60, 250)
    img = Image.new("RGB", (w, h), tuple(int(c) for c in bg))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(0, 5)):                         # background clutter
        x0, y0 = rng.integers(0, w), rng.integers(0, h)
        draw.rectangle([x0, y0, x0 + rng.integers(10, 60), y0 + rng.integers(10, 60)],
                       fill=tuple(int(c) for c in np.clip(bg + rng.normal(0, 40, 3), 0, 255)))
    boxes = []
    n = int(rng.choice([1, 1, 1, 2, 2, 3]))
    slots = rng.permutation(n)
    for i in range(n):
        ph = h * rng.uniform(0.55, 0.95) / (1 + 0.25 * (n - 1))
        cx = w * (slots[i] + 0.5) / n + rng.normal(0, w * 0.03)
        top = rng.uniform(0, h - ph)
        boxes += person(draw, rng, cx, top, h=ph)
    arr = np.asarray(img, dtype=float) * rng.uniform(0.8, 1.15) + rng.normal(0, 5, (h, w, 3))
    clipped = []
    for name, (x1, y1, x2, y2) in boxes:                        # inside the image, 2-decimal floats
        x1, y1, x2, y2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
        if x2 - x1 >= 2 and y2 - y1 >= 2:
            clipped.append((name, [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)]))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)), clipped


def build_sample(dest: Path, seed: int = 1034) -> None:
    rng = np.random.default_rng(seed)
    cat_id = {c["name"]: c["id"] for c in CATEGORIES}
    (dest / "images").mkdir(parents=True, exist_ok=True)
    images, annotations, splits = [], [], {"valid": [], "test": []}
    used = set()
    for n in range(N_TRAIN + N_VALID + N_TEST):
        image, boxes = draw_image(rng)
        name = f"{int(rng.integers(0, 2**63)) * 2 + int(rng.integers(0, 2)):016x}.jpg"
        image_id = uint64_id(rng)
        assert name not in used and image_id not in used
        used |= {name, image_id}
        image.save(dest / "images" / name, quality=85)
        if n >= N_TRAIN:
            splits["valid" if n < N_TRAIN + N_VALID else "test"].append((image_id, name))
            continue
        images.append({"id": image_id, "file_name": name, "height": image.height, "width": image.width})
        for label, bbox in boxes:
            ann = {"id": len(annotations) + 1, "image_id": image_id, "category_id": cat_id[label], "bbox": bbox,
                   "area": round(bbox[2] * bbox[3], 2), "iscrowd": 0}
            if rng.random() < 0.3:                              # some carry a (box-shaped) segmentation
                x, y, bw, bh = bbox
                ann["segmentation"] = [[x, y, x + bw, y, x + bw, y + bh, x, y + bh]]
            annotations.append(ann)
    coco = {"images": images, "annotations": annotations, "categories": CATEGORIES}
    (dest / "train.json").write_text(json.dumps(coco))
    for split, rows in splits.items():
        pd.DataFrame({"id": [str(i) for i, _ in rows], "file_name": [f for _, f in rows]}).to_csv(
            dest / f"{split}.csv", index=False)


def share_images(dest: Path, n: int = 12) -> None:
    """Make the sample's test.csv list n of valid.csv's images too, spread among its own rows: nothing says the
    two phases' csvs are disjoint."""
    valid, test = (pd.read_csv(dest / f"{s}.csv", dtype=str) for s in ("valid", "test"))
    shared = valid.iloc[::max(1, len(valid) // n)].head(n)
    rows = pd.concat([test, shared]).iloc[np.random.default_rng(7).permutation(len(test) + len(shared))]
    rows.to_csv(dest / "test.csv", index=False)
