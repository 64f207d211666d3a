"""Drawn image downloads in three real Kaggle layouts (../shared/COMPETITIONS.md), for tests and benchmarks of the
image-classification kind: CIFAR-10's (`trainLabels.csv` id,label with `train/<id>.png`, `test/<id>.png`, a
`sampleSubmission.csv` whose placeholder label is the same on every row), dog-breed-identification's
(`labels.csv` id,breed with hex ids, images of varying sizes, a sample with one probability column per breed) and
a folder-per-class one (`train/<class>/*.jpg`, `test/*.jpg`, the sample's id the file name). Each class is a
shape in its own colour on a cluttered, noisy background, so a small CNN beats chance within a few epochs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

LAYOUTS = ("cifar", "dog_breeds", "class_folders")
SHAPES = ("disc", "square", "triangle", "cross", "ring")
COLOURS = ((200, 40, 40), (40, 160, 60), (50, 70, 210), (220, 190, 40), (150, 60, 170))


def draw_image(k: int, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """Class k: shape SHAPES[k] in colour COLOURS[k], at a random place and scale, on a noisy background."""
    w, h = size
    bg = tuple(int(c) for c in np.clip(rng.normal(150, 40, 3), 40, 230))
    img = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(0, 3)):                      # clutter
        x, y = rng.integers(0, w), rng.integers(0, h)
        draw.rectangle([x, y, x + w // 6, y + h // 6],
                       fill=tuple(int(c) for c in np.clip(np.asarray(bg) + rng.normal(0, 40, 3), 0, 255)))
    r = min(w, h) * rng.uniform(0.22, 0.38)
    cx, cy = w / 2 + rng.normal(0, w / 10), h / 2 + rng.normal(0, h / 10)
    colour = tuple(int(c) for c in np.clip(np.asarray(COLOURS[k]) * rng.uniform(0.8, 1.15), 0, 255))
    box = [cx - r, cy - r, cx + r, cy + r]
    shape = SHAPES[k]
    if shape == "disc":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    elif shape == "triangle":
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
    elif shape == "cross":
        t = r / 3
        draw.rectangle([cx - r, cy - t, cx + r, cy + t], fill=colour)
        draw.rectangle([cx - t, cy - r, cx + t, cy + r], fill=colour)
    else:
        draw.ellipse(box, outline=colour, width=max(2, int(r / 3)))
    arr = np.asarray(img, dtype=float) + rng.normal(0, 8, (h, w, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _classes_drawn(n_classes: int, per_class: int, n_test: int, rng: np.random.Generator):
    train = np.repeat(np.arange(n_classes), per_class)
    rng.shuffle(train)
    return train, rng.integers(0, n_classes, n_test)


def cifar(dest: Path, per_class: int = 24, n_test: int = 30, seed: int = 10) -> None:
    """train/<id>.png and test/<id>.png (32x32), ids 1.. in each; trainLabels.csv id,label; sampleSubmission.csv
    id,label saying `cat` on every row (a class training does not have: a placeholder)."""
    names = ["airplane", "automobile", "bird", "deer", "frog"]
    rng = np.random.default_rng(seed)
    train, test = _classes_drawn(len(names), per_class, n_test, rng)
    for folder, ks in (("train", train), ("test", test)):
        (dest / folder).mkdir(parents=True, exist_ok=True)
        for i, k in enumerate(ks, 1):
            draw_image(k, (32, 32), rng).save(dest / folder / f"{i}.png")
    pd.DataFrame({"id": np.arange(1, len(train) + 1), "label": [names[k] for k in train]}).to_csv(
        dest / "trainLabels.csv", index=False)
    pd.DataFrame({"id": np.arange(1, n_test + 1), "label": "cat"}).to_csv(dest / "sampleSubmission.csv", index=False)


def dog_breeds(dest: Path, per_class: int = 24, n_test: int = 30, seed: int = 11) -> None:
    """train/<id>.jpg, test/<id>.jpg (32 hex-digit ids, sizes 40..72 px); labels.csv id,breed; sample_submission.csv
    id,<breeds in alphabetical order> with 1/K everywhere."""
    breeds = ["affenpinscher", "beagle", "border_collie", "dingo"]
    rng = np.random.default_rng(seed)
    train, test = _classes_drawn(len(breeds), per_class, n_test, rng)
    ids = {}
    for folder, ks in (("train", train), ("test", test)):
        (dest / folder).mkdir(parents=True, exist_ok=True)
        ids[folder] = [f"{rng.integers(0, 2**63):016x}{rng.integers(0, 2**63):016x}" for _ in ks]
        for i, k in zip(ids[folder], ks, strict=True):
            size = (int(rng.integers(40, 73)), int(rng.integers(40, 73)))
            draw_image(k, size, rng).save(dest / folder / f"{i}.jpg", quality=90)
    pd.DataFrame({"id": ids["train"], "breed": [breeds[k] for k in train]}).to_csv(dest / "labels.csv", index=False)
    pd.concat([pd.DataFrame({"id": ids["test"]}), pd.DataFrame(1 / len(breeds), index=range(n_test), columns=breeds)],
              axis=1).to_csv(dest / "sample_submission.csv", index=False)


def class_folders(dest: Path, per_class: int = 24, n_test: int = 30, seed: int = 12) -> None:
    """train/<class>/<hex>.jpg (48x48), test/<hex>.jpg; sample_submission.csv file,species with the test files'
    names (plant-seedlings style), in an order of its own."""
    species = ["Black-grass", "Charlock", "Cleavers"]
    rng = np.random.default_rng(seed)
    train, test = _classes_drawn(len(species), per_class, n_test, rng)
    for k in train:
        (dest / "train" / species[k]).mkdir(parents=True, exist_ok=True)
        draw_image(k, (48, 48), rng).save(dest / "train" / species[k] / f"{rng.integers(0, 2**40):010x}.jpg")
    (dest / "test").mkdir(parents=True, exist_ok=True)
    files = [f"{rng.integers(0, 2**40):010x}.jpg" for _ in test]
    for name, k in zip(files, test, strict=True):
        draw_image(k, (48, 48), rng).save(dest / "test" / name)
    pd.DataFrame({"file": files, "species": species[0]}).to_csv(dest / "sample_submission.csv", index=False)


def draw(layout: str, dest: Path) -> Path:
    {"cifar": cifar, "dog_breeds": dog_breeds, "class_folders": class_folders}[layout](dest)
    return dest
