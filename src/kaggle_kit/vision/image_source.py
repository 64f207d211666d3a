"""Where a fold's loaders read the training images from. Every fold, epoch and validation pass would otherwise
decode the same JPEGs again; on a few CPUs that costs as much as a small model's training steps. So the
training images are decoded once into a cache file (kaggle_kit.vision.image_cache) that every fold shares:

- the decoded images, when they all have one size and fit in half of the free disk space and of the memory;
- through a deterministic transform (resize, centre crop: validation, and training with augment none): the
  transformed uint8 images, made from the decoded ones where those are cached, read back as they are;
- through a random transform (augmentation): the transform runs on the decoded images as it would on the
  file's pixels.

Either way the loaders see the same pixels as from the files, so the fold scores are the same. Anything else
(images of mixed sizes, too many of them, several DDP processes, `cache_train_images: false`) reads the files."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import albumentations as A
import numpy as np
from albumentations.pytorch import ToTensorV2
from torch.utils.data import Dataset

from kaggle_kit.training.distributed import planned_world_size
from kaggle_kit.vision import image_cache
from kaggle_kit.vision.config import ImageClassifierConfig
from kaggle_kit.vision.dataset import CachedImages, ImageDataset
from kaggle_kit.vision.image_loader import worker_setup

DETERMINISTIC = (A.Resize, A.CenterCrop, A.LongestMaxSize, A.SmallestMaxSize, A.PadIfNeeded, ToTensorV2)

Source = Callable[[np.ndarray, np.ndarray | None], Dataset]     # (rows, labels) -> the dataset of those rows


def is_deterministic(transform: A.Compose) -> bool:
    return all(isinstance(t, DETERMINISTIC) for t in transform.transforms)


def one_size(files: list[Path]) -> tuple[int, int] | None:
    """The images' one (width, height) read from their headers, or None when they differ."""
    from PIL import Image

    sizes = set()
    for f in files:
        with Image.open(f) as im:
            sizes.add(im.size)
        if len(sizes) > 1:
            return None
    return sizes.pop() if sizes else None


def fits(n_bytes: int, folder: Path) -> bool:
    """At most half of the free disk space where the cache goes, and half of the machine's memory."""
    folder.mkdir(parents=True, exist_ok=True)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    return n_bytes <= shutil.disk_usage(folder).free / 2 and (not memory or n_bytes <= memory / 2)


def training_source(cfg: ImageClassifierConfig, data, transform: A.Compose, cache_dir: Path | None) -> Source:
    """The dataset factory of training-image rows through `transform`: from a shared cache where one applies,
    else from the files."""
    names = data.images

    def from_files(rows, labels):
        return ImageDataset(data.root, [names[i] for i in rows], labels, transform)

    if not (cfg.cache_train_images and cache_dir is not None and planned_world_size(cfg) == 1):
        return from_files
    files = [Path(data.root) / n for n in names]
    common = dict(num_workers=cfg.num_workers, worker_init_fn=worker_setup(cfg, nice=False),
                  off_switch="cache_train_images=false")
    decoded = decoded_cache(cfg, data, files, cache_dir, common)
    if is_deterministic(transform):
        # resized once per transform, from the decoded images where they are cached (no second JPEG decode)
        source = (CachedImages(decoded, np.arange(len(names)), None, transform) if decoded is not None
                  else ImageDataset(data.root, names, None, transform))
        path = cache_dir / f"train-{image_cache.cache_key(files, A.to_dict(transform))}.npy"
        image_cache.cached_images(path, source, cfg.batch_size, desc="resizing the training images once", **common)
        return lambda rows, labels: CachedImages(path, rows, labels)
    if decoded is None:
        return from_files
    return lambda rows, labels: CachedImages(decoded, rows, labels, transform)


_DECIDED: dict[tuple, Path | None] = {}      # per process: (data fingerprint, cache folder) -> the decoded cache


def decoded_cache(cfg: ImageClassifierConfig, data, files: list[Path], cache_dir: Path, common: dict) -> Path | None:
    """runs/<comp>/cache/decoded-<key>.npy: every training image as decoded (RGB uint8), built on first use;
    None when the images differ in size or would not fit. Decided once per process and data."""
    memo = (data.fingerprint, str(cache_dir))
    if memo in _DECIDED and (_DECIDED[memo] is None or _DECIDED[memo].is_file()):
        return _DECIDED[memo]
    size = one_size(files)
    if size is None or not fits(len(files) * size[0] * size[1] * 3, cache_dir):
        _DECIDED[memo] = None
        return None
    path = cache_dir / f"decoded-{image_cache.cache_key(files, {'decoded': 'rgb'})}.npy"
    _DECIDED[memo] = path
    image_cache.cached_images(path, ImageDataset(data.root, data.images, None, A.Compose([])), cfg.batch_size,
                              desc="decoding the training images once", **common)
    return path
