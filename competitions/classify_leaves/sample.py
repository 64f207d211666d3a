"""A synthetic classify-leaves download: train.csv (image,label), test.csv (image), sample_submission.csv and
images/<n>.jpg (224x224 RGB JPEG, numbered on from train into test). Each class is a procedurally drawn leaf
with its own outline, margin, venation and colour; every image varies rotation, scale, position, background
and lighting. Classes share traits pairwise (colour with one class, outline with another), so no single cue
separates them all. One training image per class is a near-duplicate of another, as in the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFilter

SIZE = 224
N_TRAIN_PER_CLASS, N_TEST = 40, 120
# As in the real data, some training images are near-duplicates: here the last image of each class is the
# first one re-encoded at another JPEG quality and slightly relit.

# Real label strings (a subset of the competition's 176), each with its drawing recipe:
# outline (lobes, aspect, tip), margin teeth, vein pattern, colour (RGB).
CLASSES = {
    "acer_campestre":          dict(lobes=5, aspect=1.0, teeth=0, veins="palmate", colour=(70, 120, 40)),
    "acer_palmatum":           dict(lobes=7, aspect=1.0, teeth=10, veins="palmate", colour=(160, 40, 30)),
    "betula_nigra":            dict(lobes=0, aspect=0.65, teeth=12, veins="pinnate", colour=(70, 120, 40)),
    "crataegus_crus-galli":    dict(lobes=0, aspect=0.45, teeth=7, depth=0.16, veins="pinnate",
                                    colour=(40, 90, 30)),
    "magnolia_grandiflora":    dict(lobes=0, aspect=0.45, teeth=0, veins="pinnate", colour=(40, 90, 30)),
    "quercus_alba":            dict(lobes=4, aspect=0.55, teeth=0, veins="pinnate", colour=(110, 130, 40)),
    "robinia_pseudo-acacia":   dict(lobes=0, aspect=0.6, teeth=0, veins="pinnate", colour=(150, 160, 50)),
    "tilia_americana":         dict(lobes=0, aspect=0.9, teeth=9, veins="palmate", colour=(110, 130, 40)),
}


def outline(recipe: dict, rng: np.random.Generator, n: int = 180) -> np.ndarray:
    """Leaf outline as (n, 2) points around the origin, before rotation and scaling."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    if recipe["lobes"] >= 5:            # palmate: lobes radiating from the base
        r = 0.55 + 0.45 * np.abs(np.cos(recipe["lobes"] * t / 2)) ** 1.5
    elif recipe["lobes"]:               # pinnately lobed (oak): lobes along the sides
        r = 0.8 + 0.2 * np.cos(2 * recipe["lobes"] * t)
    else:
        r = np.ones_like(t)
    if recipe["teeth"]:
        r = r + recipe.get("depth", 0.09) * np.abs(np.sin(recipe["teeth"] * t + rng.uniform(0, 1)))  # 2 x teeth
    r = r * (1 + 0.04 * np.sin(t * rng.integers(2, 5) + rng.uniform(0, 2 * np.pi)))   # individual asymmetry
    x, y = r * np.sin(t) * recipe["aspect"], -r * np.cos(t)
    y = np.where(y < 0, y * 1.15, y * 0.9)   # pointed tip at the top, rounder base
    return np.stack([x, y], 1)


def draw_leaf(recipe: dict, rng: np.random.Generator) -> Image.Image:
    bg = np.clip(rng.normal(200, 30, 3), 120, 250)
    img = Image.new("RGB", (SIZE, SIZE), tuple(int(c) for c in bg))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(0, 4)):                    # background clutter
        x0, y0 = rng.integers(0, SIZE, 2)
        draw.ellipse([x0, y0, x0 + rng.integers(10, 40), y0 + rng.integers(10, 40)],
                     fill=tuple(int(c) for c in np.clip(bg + rng.normal(0, 25, 3), 0, 255)))
    scale = SIZE * rng.uniform(0.28, 0.4)
    angle = rng.uniform(-np.pi / 5, np.pi / 5)
    centre = SIZE / 2 + rng.normal(0, 10, 2)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    to_px = lambda p: p @ rot.T * scale + centre  # noqa: E731
    colour = np.clip(np.asarray(recipe["colour"]) * rng.uniform(0.8, 1.2) + rng.normal(0, 10, 3), 0, 255)
    draw.polygon([tuple(p) for p in to_px(outline(recipe, rng))], fill=tuple(int(c) for c in colour))
    vein = tuple(int(c) for c in np.clip(colour * 1.35 + 20, 0, 255))
    width = max(1, int(scale / 40))
    base, tip = to_px(np.array([0.0, 0.9])), to_px(np.array([0.0, -1.05]))
    draw.line([tuple(base), tuple(tip)], fill=vein, width=width + 1)           # midrib / petiole
    if recipe["veins"] == "pinnate":
        for s in np.linspace(0.6, -0.7, 6):
            for side in (-1, 1):
                end = np.array([side * 0.75 * recipe["aspect"], s - 0.3])
                draw.line([tuple(to_px(np.array([0.0, s]))), tuple(to_px(end))], fill=vein, width=width)
    else:
        for a in np.linspace(-2.2, 2.2, 5):
            end = np.array([0.85 * np.sin(a), 0.6 - 0.9 * np.cos(a)])
            draw.line([tuple(to_px(np.array([0.0, 0.6]))), tuple(to_px(end))], fill=vein, width=width)
    arr = np.asarray(img.filter(ImageFilter.GaussianBlur(rng.uniform(0, 0.8))), dtype=float)
    arr = arr * rng.uniform(0.75, 1.2) + rng.normal(0, 6, arr.shape)          # lighting and sensor noise
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def build_sample(dest: Path, seed: int = 176) -> None:
    rng = np.random.default_rng(seed)
    labels = sorted(CLASSES)
    train_labels = [lab for lab in labels for _ in range(N_TRAIN_PER_CLASS)]
    rng.shuffle(train_labels)
    test_labels = list(rng.choice(labels, N_TEST))
    (dest / "images").mkdir(parents=True, exist_ok=True)
    for n, label in enumerate(train_labels + test_labels):
        draw_leaf(CLASSES[label], rng).save(dest / "images" / f"{n}.jpg", quality=85)
    for label in labels:
        first, last = [n for n, lab in enumerate(train_labels) if lab == label][::N_TRAIN_PER_CLASS - 1]
        with Image.open(dest / "images" / f"{first}.jpg") as im:
            copy = np.clip(np.asarray(im, dtype=float) * 1.04 + 3, 0, 255).astype(np.uint8)
        Image.fromarray(copy).save(dest / "images" / f"{last}.jpg", quality=70)
    names = [f"images/{n}.jpg" for n in range(len(train_labels) + N_TEST)]
    pd.DataFrame({"image": names[:len(train_labels)], "label": train_labels}).to_csv(dest / "train.csv", index=False)
    pd.DataFrame({"image": names[len(train_labels):]}).to_csv(dest / "test.csv", index=False)
    pd.DataFrame({"image": names[len(train_labels):], "label": rng.choice(labels, N_TEST)}).to_csv(
        dest / "sample_submission.csv", index=False)
